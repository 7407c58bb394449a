// Command sqlgen writes the SQL files that internal/sqlgen renders
// (sqlgen.Files: sql/snowflake/03_api.sql, sql/snowflake/04_seed.sql,
// sql/snowflake/05_verify_audit.sql, deploy/preflight.sql) under the
// module root. "make generate" runs it through go generate ./...; by hand,
// from the module root:
//
//	go run ./tools/sqlgen
//
// A file whose content is already right is not rewritten, so that its
// modification time tells when it last changed.
package main

//go:generate go run . -root ../..

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/signoff/signoff/internal/sqlgen"
)

func main() {
	root := flag.String("root", ".", "the module root, under which the files are written")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "sqlgen: unexpected arguments %q\n", flag.Args())
		os.Exit(2)
	}
	if err := generate(*root, sqlgen.Files); err != nil {
		fmt.Fprintln(os.Stderr, "sqlgen:", err)
		os.Exit(1)
	}
}

// generate renders every file and writes those that changed under root.
// It renders them all before it writes any, so that a failing renderer
// leaves the tree as it was rather than half regenerated.
func generate(root string, files []sqlgen.File) error {
	// The paths are the module root's: run from anywhere else, sqlgen would
	// write files where nothing reads them.
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return fmt.Errorf("%s is not the module root (no go.mod); pass -root", root)
	}
	texts := make([]string, len(files))
	for i, f := range files {
		text, err := f.Render()
		if err != nil {
			return fmt.Errorf("%s: %w", f.Path, err)
		}
		texts[i] = text
	}
	for i, f := range files {
		path := filepath.Join(root, filepath.FromSlash(f.Path))
		old, err := os.ReadFile(path)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if err == nil && bytes.Equal(old, []byte(texts[i])) {
			continue
		}
		if err := os.WriteFile(path, []byte(texts[i]), 0o644); err != nil {
			return err
		}
	}
	return nil
}
