package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBench runs the whole bench, small: it builds signoff, generates two
// small databases, loads every page at both, runs every action with the
// database check, and rewrites the generated block of a Markdown file. The
// Snowflake and Go-benchmark parts run "go test" and are exercised by
// make bench, not here.
func TestBench(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	doc := filepath.Join(dir, "performance.md")
	require.NoError(t, os.WriteFile(doc, []byte("# Title\n\nBy hand.\n\n"+beginMarker+"\nold figures\n"+endMarker+"\n\nAfter.\n"), 0o644))

	var stdout, stderr bytes.Buffer
	start := time.Now()
	// The run takes about 30 s on an idle machine; the race run of the other
	// packages beside it has made it take over 5 minutes, so the cap is wide.
	err := run(ctx, []string{"-cache", filepath.Join(dir, "cache"), "-work", filepath.Join(dir, "work"),
		"-scales", "200,400", "-target", "400", "-n", "20", "-c", "2", "-actions", "8", "-race", "4",
		"-snowflake=false", "-gobench=false", "-profile", "1s", "-doc", doc, "-timeout", "10m"}, &stdout, &stderr)
	require.NoError(t, err, "stderr: %s", stderr.String())
	t.Logf("bench in %s:\n%s", time.Since(start).Round(time.Millisecond), stdout.String())
	out := stdout.String()
	for _, want := range []string{"### Targets", "hello world (baseline)", "| catalog |", "| product |", "| my requests |",
		"| queue |", "| request |", "| audit |", "| submit | 8 |", "| approve | 8 |", "| reject (with comment) | 8 |",
		"race: two clients approve each of 4 steps | 8 |",
		"0 lost, 0 doubled, 0 decisions without exactly one audit event, 0 raced steps won by nobody, 0 refused decisions recorded anyway; 8 of 8 submissions recorded once (0 duplicates); audit chains verified",
		"| 200 |", "| 400 |", "queue p99 at 400 requests vs at 200", "### Scale: p50 / p99 per page",
		"bytes (catalog's size)", "One visitor at a time (one client, 100 GETs per page, at 400 requests)",
		"#### Where the server's CPU goes: queue", "#### Where the server's CPU goes: catalog",
		"#### Where the server's CPU goes: approvals"} {
		assert.Contains(t, out, want)
	}
	// Each racing step was won exactly once: the other attempt got a 409.
	assert.Regexp(t, `race: two clients approve each of 4 steps \| 8 \| \d+ \| [^|]+ \| [^|]+ \| 4 \|`, out)

	b, err := os.ReadFile(doc)
	require.NoError(t, err)
	md := string(b)
	assert.True(t, strings.HasPrefix(md, "# Title\n\nBy hand.\n\n"+beginMarker+"\n\n"), md)
	assert.True(t, strings.HasSuffix(md, endMarker+"\n\nAfter.\n"), md)
	assert.NotContains(t, md, "old figures")
	assert.Contains(t, md, "### Actions at 400 requests")

	// The second run reuses both databases.
	stdout.Reset()
	require.NoError(t, run(ctx, []string{"-cache", filepath.Join(dir, "cache"), "-scales", "200", "-target", "200",
		"-n", "5", "-c", "1", "-actions", "2", "-race", "1", "-snowflake=false", "-gobench=false", "-profile", "0"}, &stdout, &stderr))
	assert.Contains(t, stdout.String(), "(cached)")
}

func TestBenchUsage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	assert.ErrorContains(t, run(context.Background(), []string{"-scales", "10,x"}, &stdout, &stderr), `"x" is not a positive number`)
	assert.ErrorContains(t, run(context.Background(), []string{"-n", "0"}, &stdout, &stderr), "must be positive")
}

func TestReplaceGeneratedNeedsMarkers(t *testing.T) {
	f := filepath.Join(t.TempDir(), "x.md")
	require.NoError(t, os.WriteFile(f, []byte("no markers\n"), 0o644))
	assert.ErrorContains(t, replaceGenerated(f, "figures"), "has no")
}
