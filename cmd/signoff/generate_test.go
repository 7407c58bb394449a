package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDemoGenerate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gen.db")
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), []string{"demo", "generate", "--db", path, "--requests", "300", "--products", "20", "--seed", "9"},
		func(string) string { return "" }, &stdout, &stderr)
	require.NoError(t, err, stderr.String())
	assert.Contains(t, stdout.String(), "generated 300 requests")
	assert.Contains(t, stdout.String(), "PENDING")

	// The generated audit log verifies.
	stdout.Reset()
	require.NoError(t, run(t.Context(), []string{"audit", "verify", "--db", path}, func(string) string { return "" }, &stdout, &stderr))
	assert.Contains(t, stdout.String(), "every chain intact")

	// A database with data is refused, and left as it was.
	before, err := os.Stat(path)
	require.NoError(t, err)
	err = run(t.Context(), []string{"demo", "generate", "--db", path, "--requests", "10"}, func(string) string { return "" }, &stdout, &stderr)
	assert.ErrorContains(t, err, "already holds data")
	_, err = os.Stat(path)
	assert.NoError(t, err)
	assert.NotZero(t, before.Size())
}

func TestDemoGenerateUsage(t *testing.T) {
	env := func(string) string { return "" }
	for _, args := range [][]string{{"demo"}, {"demo", "load"}, {"demo", "generate", "--nope"}, {"demo", "generate", "--db", "x.db", "extra"}} {
		var stdout, stderr bytes.Buffer
		assert.ErrorIs(t, run(t.Context(), args, env, &stdout, &stderr), errUsage, "%v", args)
		assert.Contains(t, stderr.String(), "signoff demo generate", "%v", args)
	}
	var stdout, stderr bytes.Buffer
	assert.ErrorContains(t, run(t.Context(), []string{"demo", "generate"}, env, &stdout, &stderr), "--db FILE")
	assert.ErrorContains(t, run(t.Context(), []string{"demo", "generate", "--db", ":memory:"}, env, &stdout, &stderr), "memory")
	path := filepath.Join(t.TempDir(), "few.db")
	assert.ErrorContains(t, run(t.Context(), []string{"demo", "generate", "--db", path, "--products", "5"}, env, &stdout, &stderr),
		"more than the demo's")
	_, err := os.Stat(path)
	assert.True(t, os.IsNotExist(err), "a failed generate into a new file removes it")
}
