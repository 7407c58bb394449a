package main

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

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

// TestSnowflakeLatency runs the Snowflake path's latency table tiny (two
// levels, one visit each, 2 ms statements and 5 ms logins) as make bench
// runs it, and checks its shape: the header, one row per page or action and
// level, and floors computed from the counts, which are TestRoundTrips'.
// It asserts no latency: timings belong to the benchmark's output.
func TestSnowflakeLatency(t *testing.T) {
	t.Chdir("../..") // the module's root, where make bench runs
	cfg := sfLatency{statement: 2 * time.Millisecond, login: 5 * time.Millisecond, users: "1,2", iterations: 1}
	require.NoError(t, cfg.validate())
	out, err := snowflakeLatency(context.Background(), cfg)
	require.NoError(t, err)
	lines := strings.Split(out, "\n")
	require.Regexp(t, `^page or action +\| users \| requests \| service statements \| caller logins \| caller statements \| +floor \| +p50 \| +p99$`,
		lines[0], "the header comes first, not indented")

	rows := tableRows(out)
	require.Len(t, rows, 2*len(roundTripRow), "one row per page or action and level")
	levels := map[string][]string{}
	for _, r := range rows {
		name := r["page or action"]
		require.Contains(t, roundTripRow, name, "a page or action make bench knows")
		levels[name] = append(levels[name], r["users"])
		requests, err := strconv.Atoi(r["requests"])
		require.NoError(t, err)
		users, _ := strconv.Atoi(r["users"])
		require.Equal(t, users*cfg.iterations, requests, "%s: one request per user and visit", name)

		var n [3]int
		for i, col := range countColumns {
			n[i], err = strconv.Atoi(r[col])
			require.NoError(t, err, "%s: %s", name, col)
		}
		floor := time.Duration(n[0]+n[2])*cfg.statement + time.Duration(n[1])*cfg.login
		require.Equal(t, fmt.Sprintf("%.1f ms", float64(floor)/float64(time.Millisecond)), r["floor"],
			"%s: statements × 2ms + logins × 5ms", name)
		for _, col := range []string{"p50", "p99"} {
			require.Regexp(t, `^\d+\.\d ms$`, r[col], "%s: %s", name, col)
		}
	}
	for name, got := range levels {
		require.Equal(t, []string{"1", "2"}, got, "%s: a row per level, in order", name)
	}
	require.Contains(t, out, "\n(floor = statements × 2ms + logins × 5ms: ")
	require.Regexp(t, `\n\(1 user: 12 requests in [^,]+, \d+ logins? of the service pool\)\n\(2 users: 24 requests in `, out)

	// The floors count what TestRoundTrips counts.
	figures, err := snowflakeFigures(context.Background())
	require.NoError(t, err)
	require.Empty(t, checkFloors(figures, out))
	assert.Regexp(t, `(?m)^first page, no identity cookie \(request page\) +\| +1 \| +1 \| +2 \| +1 \| +1 \| +11\.0 ms \|`, out,
		"the first page: the identity lookup's login and statement, then the page's statement and the header's count")

	// A disagreement is reported, not hidden.
	broken := strings.Replace(out, "\ncatalog ", "\nsomething new ", 1)
	assert.Contains(t, checkFloors(figures, broken), "something new: no row of TestRoundTrips to check its counts against")
	assert.Equal(t, []string{`catalog: 1 caller logins, but 0 in TestRoundTrips' "catalog (identity cookie and catalog cache fresh)"`},
		checkFloors(figures, regexp.MustCompile(`(?m)^(catalog +\| +1 \| +1 \| +\d+ \| +)0`).ReplaceAllString(out, "${1}1")))

	rep := &report{cfg: config{sf: cfg}, snowflake: figures, sfLatency: out}
	md := rep.snowflakeMarkdown()
	assert.Contains(t, md, "takes 2ms per statement and 5ms per login, from 1 and 2 concurrent users")
	assert.Contains(t, md, "Every floor counts what TestRoundTrips counts for the same page or action.")
	rep.sfMismatches = []string{"catalog: 1 caller logins, but 0"}
	assert.Contains(t, rep.snowflakeMarkdown(), "**The floors' counts disagree with TestRoundTrips':**\n\n- catalog: 1 caller logins, but 0\n")
}
