package sqlite_test

import (
	"database/sql"
	"errors"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	_ "github.com/ncruces/go-sqlite3/driver" // registers "sqlite3" for the raw-SQL tests
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlite"
	"github.com/signoff/signoff/internal/storetest"
	sqlfiles "github.com/signoff/signoff/sql"
)

func open(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), path)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, st.Close()) })
	return st
}

func TestStoreContractInMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Harness {
		st := open(t, ":memory:")
		return storetest.Harness{Reads: st.Reads(), Engine: st, Account: st, Products: st, Managers: st, Policies: st}
	})
}

func TestStoreContractOnFile(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Harness {
		st := open(t, filepath.Join(t.TempDir(), "signoff.db"))
		return storetest.Harness{Reads: st.Reads(), Engine: st, Account: st, Products: st, Managers: st, Policies: st}
	})
}

func TestInMemoryDatabasesArePrivate(t *testing.T) {
	a := open(t, ":memory:")
	b := open(t, ":memory:")
	require.NoError(t, a.CreateUser(t.Context(), "ALICE", "Alice", ""))
	emptyA, err := a.Empty(t.Context())
	require.NoError(t, err)
	emptyB, err := b.Empty(t.Context())
	require.NoError(t, err)
	assert.False(t, emptyA)
	assert.True(t, emptyB)
}

// rawDB opens the file at path with database/sql, beside the Store.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	db, err := sql.Open("sqlite3", (&url.URL{Scheme: "file", Opaque: path, RawQuery: q.Encode()}).String())
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, db.Close()) })
	return db
}

// seed makes one request through the workflow, so that the audit log has rows.
func seed(t *testing.T, st *sqlite.Store) signoff.Outcome {
	t.Helper()
	ctx := t.Context()
	for _, r := range []string{"ANALYST", "DATA_OWNER", "REPORTS_READ"} {
		require.NoError(t, st.CreateRole(ctx, r, ""))
	}
	require.NoError(t, st.CreateUser(ctx, "ALICE", "Alice", ""))
	require.NoError(t, st.GrantRoleToUser(ctx, "ANALYST", "ALICE", "ACCOUNTADMIN"))
	require.NoError(t, st.CreateProduct(ctx, signoff.Product{ID: "reports", Name: "Reports", OwnerRole: "DATA_OWNER",
		AccessRole: "REPORTS_READ", Chain: []signoff.ChainStep{{ApproverRole: "DATA_OWNER", Label: "Data owner"}}}))
	alice, err := st.Identify(ctx, "ALICE")
	require.NoError(t, err)
	r, err := signoff.NewService(st.Reads(), st).Submit(ctx, alice, "reports", "Weekly KPI review for the growth team.", 0)
	require.NoError(t, err)
	return r
}

// Identify says only what went wrong, as a kind: the sign-in page writes the
// sentence, so the store must not.
func TestIdentifyUnknownUser(t *testing.T) {
	st := open(t, ":memory:")
	seed(t, st)
	for _, user := range []string{"GHOST", "alice", "ALICE' --", ""} {
		_, err := st.Identify(t.Context(), user)
		require.ErrorIs(t, err, signoff.ErrUnauthenticated, "%q", user)
		var sentence *signoff.Error
		assert.False(t, errors.As(err, &sentence), "%q: no user-facing sentence from the store", user)
	}
	id, err := st.Identify(t.Context(), "ALICE")
	require.NoError(t, err)
	assert.True(t, id.HasRole("ANALYST"))
}

// TestIdentifySaysWhoApproves: the identity says whether a role in the
// session keys an approval step, inherited roles included, from the same
// statement that reads the roles.
func TestIdentifySaysWhoApproves(t *testing.T) {
	st := open(t, ":memory:")
	seed(t, st) // DATA_OWNER keys the reports product's only step
	ctx := t.Context()
	require.NoError(t, st.CreateRole(ctx, "SECURITY_LEAD", ""))
	require.NoError(t, st.GrantRoleToRole(ctx, "DATA_OWNER", "SECURITY_LEAD"))
	for user, role := range map[string]string{"DORA": "DATA_OWNER", "SAM": "SECURITY_LEAD", "NOEL": ""} {
		require.NoError(t, st.CreateUser(ctx, user, user, ""))
		if role != "" {
			require.NoError(t, st.GrantRoleToUser(ctx, role, user, "ACCOUNTADMIN"))
		}
	}
	for user, want := range map[string]bool{"DORA": true, "SAM": true, "ALICE": false, "NOEL": false} {
		id, err := st.Identify(ctx, user)
		require.NoError(t, err, user)
		assert.Equal(t, want, id.Approver, user)
		assert.True(t, id.HasRole("PUBLIC"), user)
	}
}

// TestSessions: a persona session is valid from its start until it ends or
// expires, for every store on the database file; expired ones are deleted
// when the next one starts.
func TestSessions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "signoff.db")
	st, other := open(t, path), open(t, path)
	ctx := t.Context()
	require.NoError(t, st.CreateUser(ctx, "ALICE", "Alice", ""))
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	require.NoError(t, st.StartSession(ctx, "s1", "ALICE", now, now.Add(time.Hour)))
	require.NoError(t, st.StartSession(ctx, "s2", "ALICE", now, now.Add(2*time.Hour)))

	for _, s := range []*sqlite.Store{st, other} {
		user, err := s.SessionUser(ctx, "s1", now.Add(time.Hour-time.Microsecond))
		require.NoError(t, err)
		assert.Equal(t, "ALICE", user)
		_, err = s.SessionUser(ctx, "s1", now.Add(time.Hour))
		assert.ErrorIs(t, err, signoff.ErrUnauthenticated, "expired")
		_, err = s.SessionUser(ctx, "no such session", now)
		assert.ErrorIs(t, err, signoff.ErrUnauthenticated)
	}

	require.NoError(t, other.EndSession(ctx, "s2"))
	_, err := st.SessionUser(ctx, "s2", now)
	assert.ErrorIs(t, err, signoff.ErrUnauthenticated, "ended by another store on the file")
	require.NoError(t, st.EndSession(ctx, "s2"), "ending it again is no error")

	require.NoError(t, st.StartSession(ctx, "s3", "ALICE", now.Add(3*time.Hour), now.Add(4*time.Hour)))
	db, err := sql.Open("sqlite3", "file:"+path)
	require.NoError(t, err)
	defer db.Close()
	var ids []string
	rows, err := db.QueryContext(ctx, `SELECT session_id FROM local_session`)
	require.NoError(t, err)
	for rows.Next() {
		var id string
		require.NoError(t, rows.Scan(&id))
		ids = append(ids, id)
	}
	require.NoError(t, rows.Err())
	assert.Equal(t, []string{"s3"}, ids, "the expired session was deleted")

	assert.Error(t, st.StartSession(ctx, "s4", "GHOST", now, now.Add(time.Hour)), "only a user of the account signs in")
}

func TestAuditLogIsAppendOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "signoff.db")
	st := open(t, path)
	r := seed(t, st)
	db := rawDB(t, path)
	ctx := t.Context()

	var before int
	require.NoError(t, db.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log`).Scan(&before))
	require.Equal(t, 1, before)

	for _, tc := range []struct {
		name, query string
	}{
		{"update", `UPDATE audit_log SET actor = 'MALLORY' WHERE request_id = ?`},
		{"update every row", `UPDATE audit_log SET comment = 'rewritten'`},
		{"delete", `DELETE FROM audit_log WHERE request_id = ?`},
		{"delete every row", `DELETE FROM audit_log`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if strings.Contains(tc.query, "?") {
				_, err = db.ExecContext(ctx, tc.query, r.RequestID)
			} else {
				_, err = db.ExecContext(ctx, tc.query)
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), "append-only")
		})
	}

	evs, err := st.Reads().Events(ctx, signoff.EventFilter{RequestID: r.RequestID})
	require.NoError(t, err)
	require.Len(t, evs, 1)
	assert.Equal(t, "ALICE", evs[0].Actor, "the row is untouched")
	assert.Equal(t, "Weekly KPI review for the growth team.", evs[0].Comment)

	_, err = db.ExecContext(ctx, `INSERT INTO audit_log (event_id, event_time, actor, event_type) VALUES (?, ?, ?, ?)`,
		"01ARZ3NDEKTSV4RRFFQ69G5FAV", time.Now().UTC().Format(time.RFC3339Nano), "ADMIN", "TEST")
	assert.NoError(t, err, "appending still works")
}

func TestReopenKeepsDataAndAppliesNoMigration(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "signoff.db")
	first, err := sqlite.Open(ctx, path)
	require.NoError(t, err)
	r := seed(t, first)
	require.NoError(t, first.Close())

	db := rawDB(t, path)
	migrations := func() map[string]string {
		rows, err := db.QueryContext(ctx, `SELECT version, CAST(applied_at AS TEXT) FROM schema_migrations`)
		require.NoError(t, err)
		defer rows.Close()
		out := map[string]string{}
		for rows.Next() {
			var v, at string
			require.NoError(t, rows.Scan(&v, &at))
			out[v] = at
		}
		require.NoError(t, rows.Err())
		return out
	}
	applied := migrations()
	files, err := fs.Glob(sqlfiles.FS, "sqlite/*.sql")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	require.Len(t, applied, len(files), "every migration is recorded once")
	for _, f := range files {
		assert.Contains(t, applied, strings.TrimSuffix(filepath.Base(f), ".sql"))
	}

	second := open(t, path)
	assert.Equal(t, applied, migrations(), "reopening applies no migration again")

	got, _, _, err := second.Reads().RequestDetail(ctx, r.RequestID)
	require.NoError(t, err)
	assert.Equal(t, r.RequestID, got.ID)
	assert.Equal(t, signoff.StatusPending, got.Status)
	alice, err := second.Identify(ctx, "ALICE")
	require.NoError(t, err)
	assert.True(t, alice.HasRole("ANALYST"))
	empty, err := second.Empty(ctx)
	require.NoError(t, err)
	assert.False(t, empty)
	evs, err := second.Reads().Events(ctx, signoff.EventFilter{})
	require.NoError(t, err)
	assert.Len(t, evs, 1)
}

// The workflow tables, which both engines must define alike.
var workflowTables = []string{"DATA_PRODUCT", "APPROVAL_CHAIN", "CHAIN_POLICY", "ACCESS_REQUEST", "REQUEST_STEP", "AUDIT_LOG",
	"SUBMIT_LOCK", "AUDIT_LOCK", "NOTIFICATION", "NOTIFY_STATE", "NOTIFY_PREFERENCE", "ACCESS_REVIEW", "REVIEW_ITEM", "PRODUCT_VERSION", "USER_MANAGER"}

func TestSchemasAgree(t *testing.T) {
	migrations, err := fs.Glob(sqlfiles.FS, "sqlite/*.sql") // in the order they apply
	require.NoError(t, err)
	embedded := tableColumns(t, migrations...)
	snowflake := tableColumns(t, "snowflake/01_data_model.sql")
	for _, table := range workflowTables {
		t.Run(table, func(t *testing.T) {
			require.NotEmpty(t, embedded[table], "sqlite/001_schema.sql defines %s", table)
			require.NotEmpty(t, snowflake[table], "snowflake/01_data_model.sql defines %s", table)
			assert.Equal(t, snowflake[table], embedded[table], "same columns in the same order")
		})
	}
	for table := range snowflake {
		assert.Contains(t, workflowTables, table, "a new Snowflake table needs a twin in the embedded schema and a place in this test")
	}
}

func TestTableColumnsParser(t *testing.T) {
	got := parseTables(`-- a comment with CREATE TABLE fake (x INT)
CREATE TABLE IF NOT EXISTS Shop.App.Thing (
    ID      VARCHAR NOT NULL PRIMARY KEY, -- trailing, comment
    Tags    TEXT NOT NULL DEFAULT '[a, (b)]',
    Amount  NUMBER(12,2),
    status  TEXT CHECK (status IN ('A','B')),
    PRIMARY KEY (ID, Amount),
    CONSTRAINT thing_status CHECK (status IN ('A', 'B')),
    UNIQUE (Tags),
    FOREIGN KEY (ID) REFERENCES other (id)
);
create table other (id text references thing (id));`)
	assert.Equal(t, map[string][]string{
		"THING": {"ID", "TAGS", "AMOUNT", "STATUS"},
		"OTHER": {"ID"},
	}, got)
}

// tableColumns reads the tables defined by the named files, in order,
// applying ALTER TABLE … ADD COLUMN as migrations do.
func tableColumns(t *testing.T, names ...string) map[string][]string {
	t.Helper()
	var all strings.Builder
	for _, name := range names {
		body, err := fs.ReadFile(sqlfiles.FS, name)
		require.NoError(t, err)
		all.Write(body)
		all.WriteByte('\n')
	}
	return parseTables(all.String())
}

var (
	lineComment = regexp.MustCompile(`--[^\n]*`)
	createTable = regexp.MustCompile(`(?i)\bCREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?([A-Za-z0-9_."]+)\s*\(`)
	constraint  = regexp.MustCompile(`(?i)^(PRIMARY|CONSTRAINT|UNIQUE|FOREIGN|CHECK)\b`)
	addColumn   = regexp.MustCompile(`(?i)\bALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?([A-Za-z0-9_."]+)\s+ADD\s+COLUMN\s+(?:IF\s+NOT\s+EXISTS\s+)?([A-Za-z0-9_"]+)`)
)

// parseTables returns each CREATE TABLE's column names, upper-cased, in
// order, keyed by the table's unqualified upper-cased name. Table
// constraints are skipped. It understands enough SQL for the project's DDL:
// line comments, quoted strings and nested parentheses.
func parseTables(ddl string) map[string][]string {
	ddl = lineComment.ReplaceAllString(ddl, "")
	out := map[string][]string{}
	for _, m := range createTable.FindAllStringSubmatchIndex(ddl, -1) {
		name := ddl[m[2]:m[3]]
		if i := strings.LastIndex(name, "."); i >= 0 {
			name = name[i+1:]
		}
		name = strings.ToUpper(strings.Trim(name, `"`))
		var cols []string
		for _, item := range splitTopLevel(ddl[m[1]:]) {
			item = strings.TrimSpace(item)
			if item == "" || constraint.MatchString(item) {
				continue
			}
			cols = append(cols, strings.ToUpper(strings.Trim(strings.Fields(item)[0], `"`)))
		}
		out[name] = cols
	}
	for _, m := range addColumn.FindAllStringSubmatch(ddl, -1) {
		name := m[1]
		if i := strings.LastIndex(name, "."); i >= 0 {
			name = name[i+1:]
		}
		name = strings.ToUpper(strings.Trim(name, `"`))
		col := strings.ToUpper(strings.Trim(m[2], `"`))
		if !slices.Contains(out[name], col) { // IF NOT EXISTS on a column the CREATE already has
			out[name] = append(out[name], col)
		}
	}
	return out
}

// splitTopLevel splits s, which starts just after a table's opening
// parenthesis, at its top-level commas, up to the matching closing
// parenthesis.
func splitTopLevel(s string) []string {
	var items []string
	depth, start, quoted := 0, 0, false
	for i, c := range s {
		switch {
		case c == '\'':
			quoted = !quoted
		case quoted:
		case c == '(':
			depth++
		case c == ')' && depth == 0:
			return append(items, s[start:i])
		case c == ')':
			depth--
		case c == ',' && depth == 0:
			items = append(items, s[start:i])
			start = i + 1
		}
	}
	return append(items, s[start:])
}

// grantGuardCases are decision records that the grant path must refuse
// (promise 1), as a worksheet with write access could forge them: each
// starts from a two-step request by ALICE, forced to APPROVED, and names
// what the refusal must say. The check is sqlstore.CheckGrant, the same SQL
// text the Snowflake procedures run, so these cases hold for both engines.
var grantGuardCases = []struct {
	name   string
	forge  []string // statements, each with the request ID as its only argument
	refuse string   // a part of the GRANT_FAILED event's details
}{
	{"no decision at all", nil, "2 step(s) not approved"},
	{"one step rejected", []string{
		`UPDATE request_step SET decision = 'APPROVED', decided_by = 'BOB' WHERE request_id = ? AND step_order = 1`,
		`UPDATE request_step SET decision = 'REJECTED', decided_by = 'CAROL' WHERE request_id = ? AND step_order = 2`,
	}, "1 step(s) not approved"},
	{"decided by the requester", []string{
		`UPDATE request_step SET decision = 'APPROVED', decided_by = 'ALICE' WHERE request_id = ? AND step_order = 1`,
		`UPDATE request_step SET decision = 'APPROVED', decided_by = 'BOB' WHERE request_id = ? AND step_order = 2`,
	}, "a step was decided by the requester"},
	{"one person decided two steps", []string{
		`UPDATE request_step SET decision = 'APPROVED', decided_by = 'BOB' WHERE request_id = ?`,
	}, "a user decided more than one step"},
	{"a step without a decider", []string{
		`UPDATE request_step SET decision = 'APPROVED', decided_by = 'BOB' WHERE request_id = ? AND step_order = 1`,
		`UPDATE request_step SET decision = 'APPROVED' WHERE request_id = ? AND step_order = 2`,
	}, "a step has no decider"},
	{"a step removed", []string{
		`UPDATE request_step SET decision = 'APPROVED', decided_by = 'BOB' WHERE request_id = ? AND step_order = 1`,
		`DELETE FROM request_step WHERE request_id = ? AND step_order = 2`,
	}, "1 decisions recorded for 2 steps"},
	{"a step added", []string{
		`UPDATE request_step SET decision = 'APPROVED', decided_by = 'BOB' WHERE request_id = ? AND step_order = 1`,
		`UPDATE request_step SET decision = 'APPROVED', decided_by = 'CAROL' WHERE request_id = ? AND step_order = 2`,
		`INSERT INTO request_step (request_id, step_order, step_label, approver_role, decision, decided_by)
		 VALUES (?, 7, 'Extra', 'DATA_OWNER', 'APPROVED', 'DAVE')`,
	}, "3 decisions recorded for 2 steps; steps are not numbered 1 to 2 once each"},
	{"a step renumbered", []string{
		`UPDATE request_step SET decision = 'APPROVED', decided_by = 'BOB' WHERE request_id = ? AND step_order = 1`,
		`UPDATE request_step SET decision = 'APPROVED', decided_by = 'CAROL', step_order = 5 WHERE request_id = ? AND step_order = 2`,
	}, "steps are not numbered 1 to 2 once each"},
	{"the chain shortened", []string{
		`UPDATE request_step SET decision = 'APPROVED', decided_by = 'BOB' WHERE request_id = ? AND step_order = 1`,
		`UPDATE access_request SET step_count = 1 WHERE request_id = ?`,
	}, "2 decisions recorded for 1 steps"},
	{"a step decided with another role", []string{
		`UPDATE request_step SET decision = 'APPROVED', decided_by = 'BOB', acting_role = approver_role WHERE request_id = ? AND step_order = 1`,
		`UPDATE request_step SET decision = 'APPROVED', decided_by = 'CAROL', acting_role = 'ANALYST' WHERE request_id = ? AND step_order = 2`,
	}, "a step was not decided with its approver or fallback role"},
	{"the product lost its access role", []string{
		`UPDATE request_step SET decision = 'APPROVED', decided_by = 'BOB', acting_role = approver_role WHERE request_id = ? AND step_order = 1`,
		`UPDATE request_step SET decision = 'APPROVED', decided_by = 'CAROL', acting_role = approver_role WHERE request_id = ? AND step_order = 2`,
		`UPDATE data_product SET access_role = '' WHERE product_id = (SELECT product_id FROM access_request WHERE request_id = ?)`,
	}, "the product has no single access role"},
}

// TestGrantReverifiesTheDecisionRecord forges the decision record behind
// the app's back, as a worksheet with write access could, and checks that
// the grant path refuses to grant on it and says why; and that the same
// record, honestly made, grants.
func TestGrantReverifiesTheDecisionRecord(t *testing.T) {
	ctx := t.Context()
	setup := func(t *testing.T) (*sqlite.Store, *sql.DB, string, signoff.Identity) {
		path := filepath.Join(t.TempDir(), "signoff.db")
		st := open(t, path)
		for _, r := range []string{"ANALYST", "DATA_OWNER", "LEDGER_READ", signoff.RoleAdmin} {
			require.NoError(t, st.CreateRole(ctx, r, ""))
		}
		for _, u := range []string{"ALICE", "ADMIN"} {
			require.NoError(t, st.CreateUser(ctx, u, u, ""))
		}
		require.NoError(t, st.GrantRoleToUser(ctx, signoff.RoleAdmin, "ADMIN", "ACCOUNTADMIN"))
		require.NoError(t, st.CreateProduct(ctx, signoff.Product{ID: "ledger", Name: "Ledger", OwnerRole: "DATA_OWNER",
			AccessRole: "LEDGER_READ", Chain: []signoff.ChainStep{{ApproverRole: "DATA_OWNER", Label: "Owner"},
				{ApproverRole: "DATA_OWNER", Label: "Second owner"}}}))
		alice, err := st.Identify(ctx, "ALICE")
		require.NoError(t, err)
		o, err := signoff.NewService(st.Reads(), st).Submit(ctx, alice, "ledger", "Monthly close needs the journal lines.", 0)
		require.NoError(t, err)
		db := rawDB(t, path)
		_, err = db.ExecContext(ctx, `UPDATE access_request SET status = 'APPROVED' WHERE request_id = ?`, o.RequestID)
		require.NoError(t, err)
		admin, err := st.Identify(ctx, "ADMIN")
		require.NoError(t, err)
		return st, db, o.RequestID, admin
	}
	retry := func(t *testing.T, st *sqlite.Store, id string, admin signoff.Identity) signoff.Outcome {
		now := time.Now()
		o, err := st.RetryGrant(ctx, admin, signoff.RetryCall{RequestID: id, At: now,
			EventIDs: []string{(&signoff.IDGenerator{}).New(now)}})
		require.NoError(t, err)
		require.Equal(t, signoff.CodeOK, o.Code)
		return o
	}
	for _, tc := range grantGuardCases {
		t.Run(tc.name, func(t *testing.T) {
			st, db, id, admin := setup(t)
			for _, q := range tc.forge {
				_, err := db.ExecContext(ctx, q, id)
				require.NoError(t, err, q)
			}
			assert.Equal(t, signoff.StatusGrantFailed, retry(t, st, id, admin).Status)
			evs, err := st.Reads().Events(ctx, signoff.EventFilter{RequestID: id, Type: signoff.EventGrantFailed, Limit: 1})
			require.NoError(t, err)
			require.Len(t, evs, 1)
			assert.Contains(t, evs[0].Details, tc.refuse)
			alice, err := st.Identify(ctx, "ALICE")
			require.NoError(t, err)
			assert.False(t, alice.HasRole("LEDGER_READ"), "nothing granted")
		})
	}
	t.Run("an honest record grants", func(t *testing.T) {
		st, db, id, admin := setup(t)
		for _, q := range []string{
			`UPDATE request_step SET decision = 'APPROVED', decided_by = 'BOB', acting_role = approver_role WHERE request_id = ? AND step_order = 1`,
			`UPDATE request_step SET decision = 'APPROVED', decided_by = 'CAROL', acting_role = approver_role WHERE request_id = ? AND step_order = 2`,
		} {
			_, err := db.ExecContext(ctx, q, id)
			require.NoError(t, err)
		}
		assert.Equal(t, signoff.StatusGranted, retry(t, st, id, admin).Status)
	})
}

// TestPingNoticesAMissingFile: readiness turns false when the database file
// is gone (writes would vanish with it) and true again once it is back.
func TestPingNoticesAMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "signoff.db")
	st := open(t, path)
	require.NoError(t, st.Ping(t.Context()))
	require.NoError(t, os.Rename(path, path+".moved"))
	err := st.Ping(t.Context())
	require.ErrorIs(t, err, signoff.ErrUnavailable)
	require.NoError(t, os.Rename(path+".moved", path))
	require.NoError(t, st.Ping(t.Context()))
}

// TestPathsWithURISyntax: a '%', '?' or '#' in the file name is part of the
// name, not URI syntax.
func TestPathsWithURISyntax(t *testing.T) {
	for _, name := range []string{"100%.db", "what?.db", "a#b.db"} {
		path := filepath.Join(t.TempDir(), name)
		st := open(t, path)
		require.NoError(t, st.Ping(t.Context()), name)
		_, err := os.Stat(path)
		require.NoError(t, err, "%s: the file has exactly that name", name)
	}
}

// TestRelativePathInADirectory opens "sub/x.db" relative to the working
// directory: as a file: URI it once read as "/sub/x.db" and failed.
func TestRelativePathInADirectory(t *testing.T) {
	t.Chdir(t.TempDir())
	require.NoError(t, os.Mkdir("sub", 0o755))
	st := open(t, filepath.Join("sub", "x.db"))
	require.NoError(t, st.Ping(t.Context()))
	_, err := os.Stat(filepath.Join("sub", "x.db"))
	require.NoError(t, err)
}
