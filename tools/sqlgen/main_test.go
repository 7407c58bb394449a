package main

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/sqlgen"
)

// TestGenerateWritesEveryFile: in a fresh module root, every file of
// sqlgen.Files is written with what its renderer produces.
func TestGenerateWritesEveryFile(t *testing.T) {
	root := moduleRoot(t)
	require.NoError(t, generate(root, sqlgen.Files))
	for _, f := range sqlgen.Files {
		want, err := f.Render()
		require.NoError(t, err)
		got, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(f.Path)))
		require.NoError(t, err)
		assert.Equal(t, want, string(got), f.Path)
	}
}

// TestGenerateLeavesCurrentFilesAlone: a file that is already right is not
// rewritten; one that is not is.
func TestGenerateLeavesCurrentFilesAlone(t *testing.T) {
	root := moduleRoot(t)
	files := []sqlgen.File{
		{Path: "a.sql", Render: func() (string, error) { return "a\n", nil }},
		{Path: "b.sql", Render: func() (string, error) { return "b\n", nil }},
	}
	require.NoError(t, generate(root, files))
	past := time.Now().Add(-time.Hour).Truncate(time.Second)
	for _, name := range []string{"a.sql", "b.sql"} {
		require.NoError(t, os.Chtimes(filepath.Join(root, name), past, past))
	}
	require.NoError(t, os.WriteFile(filepath.Join(root, "b.sql"), []byte("stale\n"), 0o644))
	require.NoError(t, os.Chtimes(filepath.Join(root, "b.sql"), past, past))

	require.NoError(t, generate(root, files))
	a, err := os.Stat(filepath.Join(root, "a.sql"))
	require.NoError(t, err)
	assert.True(t, a.ModTime().Equal(past), "a.sql was current and was rewritten")
	b, err := os.ReadFile(filepath.Join(root, "b.sql"))
	require.NoError(t, err)
	assert.Equal(t, "b\n", string(b))
}

// TestGenerateWritesNothingOnError: one failing renderer leaves every file
// as it was.
func TestGenerateWritesNothingOnError(t *testing.T) {
	root := moduleRoot(t)
	files := []sqlgen.File{
		{Path: "a.sql", Render: func() (string, error) { return "a\n", nil }},
		{Path: "b.sql", Render: func() (string, error) { return "", errors.New("broken") }},
	}
	err := generate(root, files)
	require.ErrorContains(t, err, "b.sql: broken")
	_, err = os.Stat(filepath.Join(root, "a.sql"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

// TestGenerateNeedsTheModuleRoot: run from elsewhere, sqlgen refuses
// rather than writing files nothing reads.
func TestGenerateNeedsTheModuleRoot(t *testing.T) {
	err := generate(t.TempDir(), sqlgen.Files)
	require.ErrorContains(t, err, "not the module root")
}

// moduleRoot is an empty module root with the directories sqlgen.Files
// writes into.
func moduleRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(root, "go.mod"), []byte("module example.com/x\n"), 0o644))
	for _, f := range sqlgen.Files {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(root, filepath.FromSlash(f.Path))), 0o755))
	}
	return root
}
