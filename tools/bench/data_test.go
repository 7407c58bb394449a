package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSourceKey: the dataset cache key covers the generator, the demo and
// the schema where they are in the module, and changes when the generator's
// source does (but not its tests).
func TestSourceKey(t *testing.T) {
	for _, dir := range sourceDirs { // go test runs in tools/bench
		fi, err := os.Stat(filepath.Join("..", "..", dir))
		require.NoError(t, err, "sourceKey hashes %s, which is not in the module", dir)
		assert.True(t, fi.IsDir(), dir)
	}
	assert.Contains(t, sourceDirs, "tools/bench/gen")

	root := t.TempDir()
	write := func(rel, body string) {
		t.Helper()
		path := filepath.Join(root, rel)
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(body), 0o644))
	}
	write("tools/bench/gen/gen.go", "package gen // one")
	write("internal/demo/demo.go", "package demo")
	write("sql/sqlite/001_schema.sql", "CREATE TABLE t (x);")
	key := sourceKey(root)
	assert.Len(t, key, 12)
	assert.Equal(t, key, sourceKey(root), "stable")

	write("tools/bench/gen/gen_test.go", "package gen_test")
	assert.Equal(t, key, sourceKey(root), "tests do not shape the data")

	write("tools/bench/gen/gen.go", "package gen // two")
	changed := sourceKey(root)
	assert.NotEqual(t, key, changed, "a change to the generator")

	write("sql/sqlite/001_schema.sql", "CREATE TABLE t (x, y);")
	assert.NotEqual(t, changed, sourceKey(root), "a change to the schema")
}

// TestDataOnly: -data-only generates the databases of -scales (not the
// target's, unless asked), prints where they are, and reuses them.
func TestDataOnly(t *testing.T) {
	cache := filepath.Join(t.TempDir(), "cache")
	var stdout, stderr bytes.Buffer
	args := []string{"-data-only", "-cache", cache, "-scales", "150", "-seed", "4"}
	require.NoError(t, run(context.Background(), args, &stdout, &stderr), stderr.String())
	assert.Regexp(t, `^150 requests, \d+ pending, \d+ MB, generated in [^(]+: .*requests-150-seed-4-\w+\.db\n$`, stdout.String())
	assert.Contains(t, stderr.String(), "bench: generated 150 requests")
	dbs, err := filepath.Glob(filepath.Join(cache, "*.db"))
	require.NoError(t, err)
	require.Len(t, dbs, 1, "only the scale asked for, not -target's")

	stdout.Reset()
	require.NoError(t, run(context.Background(), args, &stdout, &stderr))
	assert.Contains(t, stdout.String(), "(cached)")
	assert.Contains(t, stdout.String(), dbs[0])
}
