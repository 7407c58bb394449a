// Package digestfile keeps the embedded engine's audit digests in a text
// file, one signoff.Digest.Line per line, appended and never rewritten. The
// file is the anchor the verifier checks the database against, so it
// belongs where the people who can write the database cannot rewrite it:
// another volume, another owner, an append-only or write-once store, or a
// copy sent elsewhere (the lines are plain text; any copy verifies).
package digestfile

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/signoff/signoff/internal/signoff"
)

// File is a digest file.
type File struct {
	path string
}

var _ signoff.Anchor = (*File)(nil)

// New returns the digest file at path; it is created by the first Keep.
func New(path string) *File { return &File{path: path} }

// Where is the file's path.
func (f *File) Where() string { return f.path }

// Keep appends d as one line and syncs it to disk.
func (f *File) Keep(_ context.Context, d signoff.Digest) error {
	w, err := os.OpenFile(f.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("digest file: %w", err)
	}
	_, err = io.WriteString(w, d.Line()+"\n")
	if err == nil {
		err = w.Sync()
	}
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("digest file %s: %w", f.path, err)
	}
	return nil
}

// Digests returns every digest in the file, in the order kept; none if the
// file does not exist yet. A line that is not a digest is an error that
// names it: the file is evidence, and a damaged line must be looked at, not
// skipped.
func (f *File) Digests(_ context.Context) ([]signoff.Digest, error) {
	r, err := os.Open(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("digest file: %w", err)
	}
	defer r.Close()
	var out []signoff.Digest
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		d, err := signoff.ParseDigestLine(string(line))
		if err != nil {
			return nil, fmt.Errorf("digest file %s, line %d: %w", f.path, n, err)
		}
		out = append(out, d)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("digest file %s: %w", f.path, err)
	}
	return out, nil
}

// Last returns the file's last digest.
func (f *File) Last(ctx context.Context) (signoff.Digest, bool, error) {
	ds, err := f.Digests(ctx)
	if err != nil || len(ds) == 0 {
		return signoff.Digest{}, false, err
	}
	return ds[len(ds)-1], true, nil
}
