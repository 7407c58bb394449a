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
	for _, column := range []string{"| service statements |", "| caller logins |", "| caller statements |"} {
		assert.Contains(t, lines[0], column)
	}
	assert.NotContains(t, out, "identity statements", "the caller sessions run identity statements and CALLs")
	assert.Regexp(t, `(?m)^request page +\| GET /requests/\{id\} +\| +200 \| +1 \| +0 \| +0 \| RequestDetail; -$`, out,
		"the request page is one statement")
	assert.Regexp(t, `(?m)^approve the final step \(the grant runs in the same CALL\) +\| POST /requests/\{id\}/decision +\| +303 \| +0 \| +1 \| +1 \| -; CALL DECIDE_STEP$`, out,
		"an action is one login and one CALL, nothing on the service connection")
	assert.Contains(t, out, "caller logins per user per 120s (same caller token on every request): "+
		"4 for 60 page views (identity cache 30s) + 1 per action (3 actions) = 7")
	assert.Contains(t, out, "caller logins per user per 120s (a fresh caller token on every request): "+
		"4 for 60 page views (identity cache 30s) + 1 per action (3 actions) = 7")
	assert.Contains(t, out, "caller logins per user per 120s (same caller token on every request, identity cache off): "+
		"60 for 60 page views (identity cache 0s) + 2 per action (3 actions) = 66")
	assert.Equal(t, 3, strings.Count(out, "caller logins per user per 120s"), "one line per ingress behaviour and cache setting")
}
