package main

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/gen"
	"github.com/signoff/signoff/internal/sqlite"
)

// TestBench runs the bench, small, against a generated 200-request database:
// it builds signoff, starts it, signs in, loads every page and prints the table.
func TestBench(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts signoff")
	}
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "bench.db")
	store, err := sqlite.Open(ctx, db)
	require.NoError(t, err)
	_, err = gen.Generate(ctx, store, gen.Options{Requests: 200, Products: 30, Seed: 1})
	require.NoError(t, err)
	require.NoError(t, store.Close())

	var stdout, stderr bytes.Buffer
	start := time.Now()
	err = run(ctx, []string{"-db", db, "-n", "20", "-c", "2", "-timeout", "2m"}, &stdout, &stderr)
	require.NoError(t, err, "stderr: %s", stderr.String())
	t.Logf("bench in %s:\n%s", time.Since(start).Round(time.Millisecond), stdout.String())
	out := stdout.String()
	for _, want := range []string{"start-up to ready", "idle RSS after start: ", "hello world (baseline)",
		"catalog /", "product /products/{id}", "my requests /requests", "queue /queue",
		"request /requests/{id}", "audit /audit"} {
		assert.Contains(t, out, want)
	}
	assert.NotContains(t, out, "n/a")
}

func TestBenchUsage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"-n", "5"}, &stdout, &stderr)
	assert.ErrorContains(t, err, "-db is required")
}
