package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"
)

// sfLatency configures the Snowflake path's latency table: what the fake
// Snowflake waits per statement and per login, the concurrent users, and
// how many visits each user makes per level.
type sfLatency struct {
	statement, login time.Duration
	users            string // comma-separated counts
	iterations       int
}

func (c sfLatency) validate() error {
	if c.statement < 0 || c.login < 0 {
		return errors.New("-sf-statement and -sf-login must not be negative")
	}
	if c.iterations < 1 {
		return errors.New("-sf-iterations must be positive")
	}
	for _, f := range strings.Split(c.users, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(f)); err != nil || n < 1 {
			return fmt.Errorf("-sf-users: %q is not a positive number", f)
		}
	}
	return nil
}

// latencyBegin starts the table BenchmarkSnowflakePath prints (a line that
// is just "---" ends it).
const latencyBegin = "--- latency per page and action (Snowflake path) ---"

// snowflakeLatency runs BenchmarkSnowflakePath with c and returns its table.
func snowflakeLatency(ctx context.Context, c sfLatency) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "test", "-count=1", "-run", "^$", "-bench", "^BenchmarkSnowflakePath$",
		"-benchtime", "1x", "-timeout", "60m", "./internal/snowflake/")
	cmd.Env = append(os.Environ(), "SNOWFLAKE_DISABLE_PLATFORM_DETECTION=true",
		"SIGNOFF_BENCH_SF_STATEMENT="+c.statement.String(), "SIGNOFF_BENCH_SF_LOGIN="+c.login.String(),
		"SIGNOFF_BENCH_SF_USERS="+c.users, "SIGNOFF_BENCH_SF_ITERATIONS="+strconv.Itoa(c.iterations))
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go test -bench BenchmarkSnowflakePath ./internal/snowflake: %w\n%s", err, out)
	}
	table := cutBlock(string(out), latencyBegin)
	if len(table) < 2 {
		return "", fmt.Errorf("go test -bench BenchmarkSnowflakePath ./internal/snowflake printed no table:\n%s", out)
	}
	return strings.Join(table, "\n"), nil
}

// roundTripRow names, for each row of the latency table, the row of
// TestRoundTrips' table whose counts its floor must use: the same page or
// action in the same state of the caches.
var roundTripRow = map[string]string{
	"catalog":                  "catalog (identity cookie and catalog cache fresh)",
	"product":                  "product",
	"my requests":              "my requests",
	"queue":                    "queue",
	"request page":             "request page",
	"audit log":                "audit log (catalog cache warm)",
	"submit":                   "submit",
	"approve a non-final step": "approve a non-final step",
	"approve the final step":   "approve the final step (the grant runs in the same CALL)",
	"reject":                   "reject",
	"withdraw":                 "withdraw (identity cookie older than the identity cache)",
	"first page, no identity cookie (request page)": "request page, CAROL's first page (no identity cookie)",
}

// countColumns are the columns both tables count a request's cost in.
var countColumns = []string{"service statements", "caller logins", "caller statements"}

// tableRows reads a " | "-separated table whose first line is the header:
// each row as a map from column name to cell, trimmed. Lines that are not
// rows (the notes under the table) are left out.
func tableRows(table string) []map[string]string {
	lines := strings.Split(table, "\n")
	if len(lines) == 0 {
		return nil
	}
	header := strings.Split(lines[0], " | ")
	var rows []map[string]string
	for _, line := range lines[1:] {
		cells := strings.Split(line, " | ")
		if len(cells) < len(header) {
			continue
		}
		row := map[string]string{}
		for i, h := range header {
			row[strings.TrimSpace(h)] = strings.TrimSpace(cells[i])
		}
		rows = append(rows, row)
	}
	return rows
}

// checkFloors compares the counts behind each floor of the latency table
// with TestRoundTrips' counts for the same page or action (roundTripRow),
// and returns every disagreement, or none.
func checkFloors(roundTrips, latency string) []string {
	byName := map[string]map[string]string{}
	for _, r := range tableRows(roundTrips) {
		byName[r["page or action"]] = r
	}
	var problems []string
	add := func(format string, args ...any) {
		if m := fmt.Sprintf(format, args...); !slices.Contains(problems, m) {
			problems = append(problems, m)
		}
	}
	rows := tableRows(latency)
	for _, r := range rows {
		name := r["page or action"]
		want, ok := byName[roundTripRow[name]]
		if !ok {
			add("%s: no row of TestRoundTrips to check its counts against", name)
			continue
		}
		for _, col := range countColumns {
			if r[col] != want[col] {
				add("%s: %s %s, but %s in TestRoundTrips' %q", name, r[col], col, want[col], roundTripRow[name])
			}
		}
	}
	if len(rows) == 0 {
		add("the latency table has no rows")
	}
	return problems
}
