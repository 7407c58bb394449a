package main

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSnowflakeFigures runs the Snowflake path's counting tests as make
// bench does and checks the report has the statement table and the logins.
func TestSnowflakeFigures(t *testing.T) {
	t.Chdir("../..") // the module's root, where make bench runs
	out, err := snowflakeFigures(context.Background())
	require.NoError(t, err)
	lines := strings.Split(out, "\n")
	assert.True(t, strings.HasPrefix(lines[0], "page or action"), "the table comes first, not indented: %q", lines[0])
	assert.Contains(t, out, "approve the final step")
	assert.Contains(t, out, "caller logins per user per 120s caller token: 4 for 60 page views")
}
