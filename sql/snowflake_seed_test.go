package sqlfiles_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/signoff/signoff/internal/demo"
	"github.com/signoff/signoff/internal/sqlgen"
)

// The Snowflake seed, sql/snowflake/04_seed.sql, is rendered by
// internal/sqlgen (Seed) from the demo story (internal/demo) so that the two
// cannot drift. "make generate" rewrites it.

const seedFile = "snowflake/04_seed.sql"

// lateRoles are the access roles the seed leaves out, as the embedded demo
// does (sqlgen.LateRoles).
func lateRoles() []string { return sqlgen.LateRoles() }

// TestSnowflakeSeed fails when the committed 04_seed.sql is not what
// internal/demo renders, byte for byte.
func TestSnowflakeSeed(t *testing.T) {
	requireGenerated(t, seedFile, sqlgen.Seed)
}

var ownershipRe = regexp.MustCompile(`^GRANT OWNERSHIP ON (ROLE|PROCEDURE) (\S+) TO ROLE ([A-Z0-9_$]+) COPY CURRENT GRANTS$`)

func TestSnowflakeSeedIsWellFormed(t *testing.T) {
	stmts := script(t, seedFile) // every statement terminated
	kinds := map[string]int{}
	for _, st := range stmts {
		f := strings.Fields(st.upper)
		kinds[strings.Join(f[:min(2, len(f))], " ")]++
	}
	for kind := range kinds {
		switch kind {
		case "USE ROLE", "USE WAREHOUSE", "CREATE ROLE", "GRANT ROLE", "GRANT OWNERSHIP",
			"BEGIN TRANSACTION", "MERGE INTO", "DELETE FROM", "INSERT INTO", "COMMIT":
		default:
			t.Errorf("unexpected statement kind %q in the seed", kind)
		}
	}
	for _, st := range stmts {
		if strings.HasPrefix(st.upper, "CREATE ") && !strings.HasPrefix(st.upper, "CREATE ROLE IF NOT EXISTS ") {
			t.Errorf("line %d: not idempotent: %.80s", st.line, st.text)
		}
		if strings.HasPrefix(st.upper, "GRANT OWNERSHIP ") &&
			!ownershipRe.MatchString(st.upper) {
			t.Errorf("line %d: ownership goes to SIGNOFF_OWNER with COPY CURRENT GRANTS: %s", st.line, st.text)
		}
		if m := ownershipRe.FindStringSubmatch(st.upper); m != nil && (m[1] != "ROLE" || m[3] != "SIGNOFF_OWNER") {
			t.Errorf("line %d: %s", st.line, st.text)
		}
	}
}

// TestDemoCatalogIsSeedable checks what the seed relies on: every owner and
// approver role a product names exists in demo.Roles (access roles may be
// late), and the story still has a late role to show GRANT_FAILED with.
func TestDemoCatalogIsSeedable(t *testing.T) {
	roles := map[string]bool{}
	for _, r := range demo.Roles {
		roles[r.Name] = true
	}
	for _, p := range demo.Products {
		names := []string{p.OwnerRole}
		for _, s := range p.Chain {
			names = append(names, s.ApproverRole)
		}
		for _, n := range names {
			if !roles[n] {
				t.Errorf("product %s names role %s, which demo.Roles lacks", p.ID, n)
			}
		}
	}
	if len(lateRoles()) == 0 {
		t.Log("no late access role: the seed has no GRANT_FAILED story to tell")
	}
}

func TestSQLString(t *testing.T) {
	for in, want := range map[string]string{
		"plain":                "'plain'",
		"it's":                 "'it''s'",
		`a\b`:                  `'a\\b'`,
		`{"a":"x\"y"}`:         `'{"a":"x\\"y"}'`,
		"line\nbreak":          "'line\nbreak'",
		`'\'`:                  `'''\\'''`,
		"\u00e9t\u00e9 \u2014": "'\u00e9t\u00e9 \u2014'",
	} {
		if got := sqlgen.SQLString(in); got != want {
			t.Errorf("SQLString(%q) = %s, want %s", in, got, want)
		}
	}
}

// requireGenerated fails t unless the committed file at path (from sql/)
// is exactly what render produces.
func requireGenerated(t *testing.T, path string, render func() (string, error)) {
	t.Helper()
	got, err := render()
	if err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile(filepath.FromSlash(path))
	if err != nil {
		t.Fatalf(`%v: run "make generate" and commit the result`, err)
	}
	if !bytes.Equal(committed, []byte(got)) {
		t.Errorf("%s is not what internal/sqlgen renders: run \"make generate\" and commit the result.\n%s",
			path, firstDifference(string(committed), got))
	}
}

// firstDifference describes where two texts first differ, by line.
func firstDifference(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y || i >= len(al) || i >= len(bl) {
			return fmt.Sprintf("line %d:\n  committed: %q\n  rendered:  %q", i+1, x, y)
		}
	}
	return "(no difference)"
}
