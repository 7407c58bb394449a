package deploy_test

import (
	"database/sql"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	_ "github.com/ncruces/go-sqlite3/driver" // checks the worksheet's ID arithmetic

	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/snowflake"
	"github.com/signoff/signoff/internal/sqlgen"
)

// preflight.sql is the preflight for a Snowflake worksheet, rendered by
// internal/sqlgen (Preflight) from the lists the app's preflight (signoff
// doctor, /doctor) checks against. "make generate" rewrites it.

// TestPreflightSQLIsCurrent fails when the committed preflight.sql is not
// what those lists render, byte for byte: the worksheet would check other
// grants than the app.
func TestPreflightSQLIsCurrent(t *testing.T) {
	got := renderPreflight(t)
	want, err := os.ReadFile("preflight.sql")
	if err != nil {
		t.Fatalf(`%v: run "make generate" and commit the result`, err)
	}
	if string(want) != got {
		t.Errorf(`preflight.sql is not what internal/sqlgen renders from snowflake.ExpectedGrants: run "make generate" and commit the result`)
	}
}

// renderPreflight is sqlgen.Preflight's text, for the tests that read it.
func renderPreflight(t *testing.T) string {
	t.Helper()
	text, err := sqlgen.Preflight()
	if err != nil {
		t.Fatal(err)
	}
	return text
}

// TestPreflightSQLChecksEveryGrant: every expected grant, caller grant and
// ownership is in the worksheet's expected lists, and every role is checked.
func TestPreflightSQLChecksEveryGrant(t *testing.T) {
	sql := renderPreflight(t)
	for _, list := range [][]snowflake.Grant{snowflake.ExpectedGrants, snowflake.ExpectedRoleGrants, snowflake.Owned,
		snowflake.ExpectedCallerGrants} {
		for _, g := range list {
			if !strings.Contains(sql, expectedRow(g)) {
				t.Errorf("preflight.sql does not expect %s", g.Key())
			}
		}
	}
	for _, role := range append(slices.Clone(snowflake.SignoffRoles), "PUBLIC") {
		if !strings.Contains(sql, "SHOW GRANTS TO ROLE "+role+";") {
			t.Errorf("preflight.sql does not check %s", role)
		}
	}
	if !strings.Contains(sql, signoff.HashSample().ComputeHash()) {
		t.Error("preflight.sql does not compare the audit hash with Go's")
	}
	if !strings.Contains(sql, sqlLiteral(signoff.ChainSnapshot(signoff.SnapshotSample()))) {
		t.Error("preflight.sql does not compare the sample chain's snapshot with Go's")
	}
}

// sqlLiteral and expectedRow state, independently of internal/sqlgen, how
// a grant must appear in the worksheet's expected lists.
func sqlLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func expectedRow(g snowflake.Grant) string {
	return "(" + sqlLiteral(g.Privilege) + ", " + sqlLiteral(g.On) + ", " + sqlLiteral(g.Name) + ")"
}

// TestPreflightSQLIsWellFormed checks what a worksheet would trip on first:
// every statement ends with ';' outside quotes, with its parentheses and
// quotes balanced, and every RESULT_SCAN follows the statement it reads.
func TestPreflightSQLIsWellFormed(t *testing.T) {
	src := renderPreflight(t)
	var stmts []string
	var cur strings.Builder
	depth, line := 0, 1
	var quote byte
	for i := 0; i < len(src); i++ {
		c := src[i]
		if c == '\n' {
			line++
		}
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '-' && strings.HasPrefix(src[i:], "--"):
			j := strings.IndexByte(src[i:], '\n')
			i += j - 1
			continue
		case c == '\'' || c == '"':
			quote = c
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth < 0 {
				t.Fatalf("line %d: ')' closes nothing", line)
			}
		case c == ';':
			if depth != 0 {
				t.Fatalf("line %d: statement ends inside parentheses", line)
			}
			stmts = append(stmts, strings.TrimSpace(cur.String()))
			cur.Reset()
			continue
		}
		cur.WriteByte(c)
	}
	if quote != 0 || depth != 0 || strings.TrimSpace(cur.String()) != "" {
		t.Fatalf("the script ends inside a quote, parentheses or a statement: %q", cur.String())
	}
	for i, s := range stmts {
		if strings.Contains(s, "RESULT_SCAN(LAST_QUERY_ID())") {
			prev := ""
			if i > 0 {
				prev = stmts[i-1]
			}
			if !strings.HasPrefix(prev, "SHOW ") && !strings.HasPrefix(prev, "CALL ") {
				t.Errorf("statement %d reads the result of %.40q, not of a SHOW or CALL", i+1, prev)
			}
		}
	}
	if len(stmts) < 30 {
		t.Errorf("only %d statements", len(stmts))
	}
}

// TestPreflightIDs checks sqlgen.IDNow's arithmetic on SQLite (integer division is
// its /) against the app's own IDs.
func TestPreflightIDs(t *testing.T) {
	db, err := sql.Open("sqlite3", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	q := "SELECT " + sqlgen.IDNow(func(a string, d int64) string { return fmt.Sprintf("(%s / %d)", a, d) }, "?1")
	for _, at := range []time.Time{time.UnixMilli(0), time.Date(2026, 11, 30, 14, 3, 59, 987_000_000, time.UTC),
		time.UnixMilli(1<<48 - 1)} {
		var got string
		if err := db.QueryRow(q, at.UnixMilli()).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if want := signoff.IDAt(at, [10]byte{}); got != want {
			t.Errorf("at %v: SQL makes %s, the app %s", at, got, want)
		}
	}
}

// TestPreflightCallsMatchTheProcedures: every CALL of an API procedure in
// the worksheet passes as many arguments as 03_api.sql declares, so a
// procedure that gains a parameter cannot leave the worksheet calling one
// that does not exist (Snowflake resolves procedures by their arguments).
func TestPreflightCallsMatchTheProcedures(t *testing.T) {
	api, err := os.ReadFile("../sql/snowflake/03_api.sql")
	if err != nil {
		t.Fatal(err)
	}
	declared := map[string]int{}
	for _, m := range regexp.MustCompile(`(?s)CREATE OR REPLACE PROCEDURE SIGNOFF\.API\.([A-Z_]+)\((.*?)\)\s*RETURNS`).
		FindAllStringSubmatch(string(api), -1) {
		declared[m[1]] = len(topLevelArgs(m[2]))
	}
	if len(declared) < 10 {
		t.Fatalf("found %d procedures in 03_api.sql", len(declared))
	}
	calls := regexp.MustCompile(`CALL SIGNOFF\.API\.([A-Z_]+)\(`)
	src := renderPreflight(t)
	n := 0
	for _, loc := range calls.FindAllStringSubmatchIndex(src, -1) {
		name := src[loc[2]:loc[3]]
		want, ok := declared[name]
		if !ok {
			t.Errorf("the worksheet calls %s, which 03_api.sql does not create", name)
			continue
		}
		depth, end := 1, loc[1]
		for ; end < len(src) && depth > 0; end++ {
			switch src[end] {
			case '(':
				depth++
			case ')':
				depth--
			}
		}
		if got := len(topLevelArgs(src[loc[1] : end-1])); got != want {
			t.Errorf("the worksheet calls %s with %d arguments; it takes %d", name, got, want)
		}
		n++
	}
	if n < 5 {
		t.Fatalf("found %d calls in the worksheet", n)
	}
}

// topLevelArgs splits an argument list at its top-level commas (not those
// inside parentheses or quotes); an empty list has none.
func topLevelArgs(list string) []string {
	if strings.TrimSpace(list) == "" {
		return nil
	}
	var out []string
	depth, start := 0, 0
	var quote byte
	for i := 0; i < len(list); i++ {
		c := list[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == ',' && depth == 0:
			out = append(out, list[start:i])
			start = i + 1
		}
	}
	return append(out, list[start:])
}
