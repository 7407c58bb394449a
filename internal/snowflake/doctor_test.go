package snowflake

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/snowflake/sftest"
	"github.com/signoff/signoff/internal/sqlstore"
)

// The preflight runs through the real driver against sftest, answered by
// fakeAccount: an account as the install scripts leave it (ExpectedGrants,
// ExpectedCallerGrants, Owned), which each test then breaks in one way.

// fakeAccount is what the fake answers the preflight's statements with.
type fakeAccount struct {
	grants    map[string][]Grant  // SHOW GRANTS TO ROLE
	caller    []Grant             // SHOW CALLER GRANTS TO ROLE SIGNOFF_APP
	holders   map[string][]string // SHOW GRANTS OF ROLE: "USER X", "ROLE Y"
	forbidden map[string]bool     // statements SIGNOFF_APP may not run
	fail      map[string]sftest.Response

	serviceRole, serviceWarehouse string
	sessionUser, sessionWarehouse string
	sessionRoles                  map[string]bool
	whoami, preflight             map[string]any
	dryRuns                       map[string]string // procedure → the code its dry run answers
	listGrants                    signoff.Code      // what LIST_GRANTS answers instead of OK with no grants
	describe                      sftest.Response   // what DESCRIBE_OBJECT answers for SIGNOFF.MAIN.DATA_PRODUCT
	describeNone                  sftest.Response   // what DESCRIBE_OBJECT answers for no object named ("")
	describeListed                sftest.Response   // what DESCRIBE_OBJECT answers for SALES.PUBLIC.ORDERS, which describeNone lists

	historyDigests, logDigests  []signoff.Digest // what the query history and the event table hold
	ledger                      map[int]string   // the audit log's hash at each position
	roleHolders                 int              // rows of ROLE_HOLDER
	managers, managerDuplicates int              // rows of USER_MANAGER, and users with more than one
}

// taskRowFor is t as PREFLIGHT lists it, started.
func taskRowFor(t Task) map[string]any {
	db, schema, name := strings.Split(t.Name, ".")[0], strings.Split(t.Name, ".")[1], strings.Split(t.Name, ".")[2]
	return map[string]any{"name": db + "." + schema + "." + name, "state": "started", "owner": t.Owner,
		"warehouse": t.Warehouse, "schedule": t.Schedule, "definition": t.Calls}
}

// tasks are the tasks the fake's PREFLIGHT lists.
func (a *fakeAccount) tasks() []map[string]any {
	ts, _ := a.preflight["tasks"].([]map[string]any)
	return ts
}

// digestAt is a digest of the audit log at seq, taken at taken.
func digestAt(seq int, taken time.Time) signoff.Digest {
	return signoff.Digest{Seq: seq, Hash: fmt.Sprintf("%064x", seq), Taken: taken}
}

// installed is an account as the scripts leave it, with ADMIN visiting.
func installed() *fakeAccount {
	a := &fakeAccount{grants: map[string][]Grant{}, holders: map[string][]string{"SIGNOFF_APP": {"ROLE SIGNOFF_DEPLOYER"}},
		forbidden: map[string]bool{}, fail: map[string]sftest.Response{},
		serviceRole: "SIGNOFF_APP", serviceWarehouse: "SIGNOFF_WH", sessionUser: "JANE.DOE@ACME.COM",
		sessionWarehouse: "SIGNOFF_WH", sessionRoles: map[string]bool{"SIGNOFF_ADMIN": true, "SIGNOFF_AUDITOR": true},
		dryRuns: map[string]string{"SET_MANAGERS": "INVALID", "SUBMIT_REQUEST": "PRODUCT_NOT_FOUND", "DECIDE_STEP": "NOT_FOUND",
			"WITHDRAW_REQUEST": "NOT_FOUND", "RETRY_GRANT": "NOT_FOUND", "REVOKE_ACCESS": "NOT_FOUND",
			"RESUBMIT_REQUEST": "NOT_FOUND", "START_REVIEW": "PRODUCT_NOT_FOUND", "DECIDE_REVIEW": "REVIEW_NOT_FOUND", "SAVE_PRODUCT": "PRODUCT_NOT_FOUND",
			"SET_CHAIN_POLICY": "DRY_RUN"}}
	for _, list := range [][]Grant{ExpectedGrants, ExpectedRoleGrants, Owned} {
		for _, g := range list {
			a.grants[g.Role] = append(a.grants[g.Role], g)
		}
	}
	// What SIGNOFF_OWNER creates is its own; the preflight does not list it.
	a.grants["SIGNOFF_OWNER"] = append(a.grants["SIGNOFF_OWNER"],
		Grant{"SIGNOFF_OWNER", "OWNERSHIP", "TABLE", "SIGNOFF.MAIN.AUDIT_LOG"},
		Grant{"SIGNOFF_OWNER", "OWNERSHIP", "ROLE", "CUSTOMER_360_READ"})
	// Other teams' grants to PUBLIC are none of Signoff's business.
	a.grants["PUBLIC"] = append(a.grants["PUBLIC"], Grant{"PUBLIC", "USAGE", "DATABASE", "SNOWFLAKE_SAMPLE_DATA"})
	a.caller = slices.Clone(ExpectedCallerGrants)
	// The digester ran: the newest digest is in both places, an older one
	// only in the event table, and the log still holds both events.
	older, newest := digestAt(540, time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)), digestAt(600, time.Date(2026, 11, 30, 14, 3, 59, 0, time.UTC))
	a.historyDigests, a.logDigests = []signoff.Digest{newest}, []signoff.Digest{newest, older}
	a.ledger = map[int]string{older.Seq: older.Hash, newest.Seq: newest.Hash}
	sample := signoff.HashSample()
	a.whoami = map[string]any{"actor": "JANE.DOE@ACME.COM", "principal_type": "USER", "is_admin": true}
	_, length, visible, bidi := signoff.TextSample()
	a.preflight = map[string]any{"actor": "JANE.DOE@ACME.COM", "grant_error": "", "revoke_error": "",
		"hash_sample": sample.ComputeHash(), "time_sample": "2026-01-02 03:04:05.123456",
		"text_sample":     map[string]any{"length": length, "visible": visible, "bidi": bidi},
		"snapshot_sample": signoff.ChainSnapshot(signoff.SnapshotSample())}
	var hours []string
	for _, s := range AddHoursSamples {
		hours = append(hours, s.Want())
	}
	a.preflight["add_hours_sample"] = hours
	var tags []bool
	for _, s := range signoff.HasTagSamples() {
		tags = append(tags, signoff.HasTag(s.Tags, s.Classification, s.Tag))
	}
	a.preflight["has_tag_sample"] = tags
	// The install's task; the optional notifications step did not run.
	a.preflight["tasks"] = []map[string]any{taskRowFor(ScheduleTask)}
	a.roleHolders = 14
	a.managers = 14
	// DESCRIBE_OBJECT reads Signoff's own catalog table: its columns, and no tags.
	a.describe = describeAnswerOf([]string{"PRODUCT_ID", "NAME", "ACCESS_ROLE", "OBJECT_NAME"})
	// With no object named, the objects SIGNOFF_OWNER can read: one granted.
	a.describeNone = answerWith(signoff.CodeObjectNotVisible, map[string]any{"object": "",
		"readable": []string{"SALES.PUBLIC.ORDERS"}})
	a.describeListed = answerWith(signoff.CodeOK, map[string]any{"object": "SALES.PUBLIC.ORDERS",
		"columns": []map[string]any{{"name": "ORDER_ID", "type": "TEXT"}, {"name": "EMAIL", "type": "TEXT"}},
		"tags":    []map[string]any{{"level": "COLUMN", "column": "EMAIL", "tag_database": "GOV", "tag_schema": "TAGS", "tag_name": "PII", "tag_value": "email"}}})
	return a
}

// describeAnswerOf is DESCRIBE_OBJECT's OK answer for SIGNOFF.MAIN.DATA_PRODUCT
// with columns, and no tags.
func describeAnswerOf(columns []string) sftest.Response {
	var cols []map[string]any
	for _, c := range columns {
		cols = append(cols, map[string]any{"name": c, "type": "TEXT"})
	}
	return answerWith(signoff.CodeOK, map[string]any{"object": "SIGNOFF.MAIN.DATA_PRODUCT", "columns": cols, "tags": []any{}})
}

var grantColumns = []sftest.Column{sftest.TimestampNTZ("created_on"), sftest.Text("privilege"), sftest.Text("granted_on"),
	sftest.Text("name"), sftest.Text("granted_to"), sftest.Text("grantee_name"), sftest.Text("grant_option"),
	sftest.Text("granted_by")}

// showRow renders g as SHOW GRANTS TO ROLE does: object types with
// underscores, procedures with their signature, the account by name.
func showRow(g Grant) []any {
	name := g.Name
	switch g.On {
	case "ACCOUNT":
		name = "ACME"
	case "PROCEDURE", "FUNCTION":
		i := strings.LastIndexByte(name, '.')
		name = name[:i+1] + `"` + name[i+1:] + `(REQUEST_ID VARCHAR):VARIANT"`
	}
	return []any{time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), g.Privilege, strings.ReplaceAll(g.On, " ", "_"), name,
		"ROLE", g.Role, "false", "SECURITYADMIN"}
}

// callerRow renders a caller grant as SHOW CALLER GRANTS does.
func callerRow(g Grant) []any {
	inherited, from, db, schema, name := "false", "", "", "", g.Name
	if rest, ok := strings.CutPrefix(g.Name, "ALL "); ok {
		_, scope, _ := strings.Cut(rest, " IN SCHEMA ")
		db, schema, _ = strings.Cut(scope, ".")
		inherited, from, name = "true", "SCHEMA", ""
	}
	return []any{time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), g.Privilege, g.On, name, inherited, from, db, schema,
		"ROLE", g.Role}
}

// answerWith is a procedure's answer as the fake sends it.
func answerWith(code signoff.Code, data any) sftest.Response {
	b, _ := json.Marshal(data)
	return sftest.Result([]sftest.Column{sftest.Variant("X")}, []any{envelope(code, string(b))})
}

// answer is the fake's handler.
func (a *fakeAccount) answer(roles []string) func(sftest.Query) (sftest.Response, bool) {
	forbidden := sftest.Fail("003001", "42501", "Insufficient privileges to operate on role.")
	return func(q sftest.Query) (sftest.Response, bool) {
		text := q.SQLText
		if r, ok := a.fail[text]; ok {
			return r, true
		}
		if a.forbidden[text] {
			return forbidden, true
		}
		switch {
		case text == serviceSessionQuery:
			return sftest.Result([]sftest.Column{sftest.Text("U"), sftest.Text("R"), sftest.Text("W"), sftest.Text("V")},
				[]any{"SIGNOFF", a.serviceRole, nilIfEmpty(a.serviceWarehouse), "9.40.1"}), true
		case text == ViewsQuery:
			return sftest.Result([]sftest.Column{sftest.Fixed("A"), sftest.Fixed("B"), sftest.Fixed("C"), sftest.Fixed("D"),
				sftest.Fixed("E")}, []any{6, 9, 120, 240, 600}), true
		case text == RoleHolderQuery:
			return sftest.Result([]sftest.Column{sftest.Fixed("N"), sftest.Fixed("R")}, []any{a.roleHolders, 4}), true
		case text == AccessUsageQuery:
			return sftest.Result([]sftest.Column{sftest.Fixed("P"), sftest.Fixed("U")}, []any{3, 1}), true
		case text == ManagersQuery:
			return sftest.Result([]sftest.Column{sftest.Fixed("N"), sftest.Fixed("D"), sftest.Fixed("S")},
				[]any{a.managers, a.managerDuplicates, 2}), true
		case text == QueryHistoryDigests:
			var rows [][]any
			for _, d := range a.historyDigests {
				query, _ := AnchorQuery(d)
				rows = append(rows, []any{query})
			}
			return sftest.Result([]sftest.Column{sftest.Text("QUERY_TEXT")}, rows...), true
		case text == LogDigests(DefaultService):
			var rows [][]any
			for _, d := range a.logDigests {
				rows = append(rows, []any{d.Line() + "\n"})
			}
			return sftest.Result([]sftest.Column{sftest.Text("LOG::VARCHAR")}, rows...), true
		case text == sqlstore.SelectLedgerHash:
			seq, _ := strconv.Atoi(fmt.Sprint(q.Bindings["1"].Value))
			hash, ok := a.ledger[seq]
			if !ok {
				return sftest.Result([]sftest.Column{sftest.Text("HASH")}), true
			}
			return sftest.Result([]sftest.Column{sftest.Text("HASH")}, []any{hash}), true
		case text == RolesThatMatter:
			var rows [][]any
			for _, r := range roles {
				rows = append(rows, []any{r, false})
			}
			return sftest.Result([]sftest.Column{sftest.Text("ROLE_NAME"), sftest.Boolean("APPROVES")}, rows...), true
		case strings.HasPrefix(text, "SHOW GRANTS TO ROLE "):
			var rows [][]any
			for _, g := range a.grants[strings.TrimPrefix(text, "SHOW GRANTS TO ROLE ")] {
				rows = append(rows, showRow(g))
			}
			return sftest.Result(grantColumns, rows...), true
		case text == "SHOW CALLER GRANTS TO ROLE SIGNOFF_APP":
			var rows [][]any
			for _, g := range a.caller {
				rows = append(rows, callerRow(g))
			}
			return sftest.Result([]sftest.Column{sftest.TimestampNTZ("created_on"), sftest.Text("privilege"),
				sftest.Text("granted_on"), sftest.Text("name"), sftest.Text("is_inherited"), sftest.Text("inherited_from"),
				sftest.Text("inherited_from_database"), sftest.Text("inherited_from_schema"), sftest.Text("granted_to"),
				sftest.Text("grantee_name")}, rows...), true
		case strings.HasPrefix(text, "SHOW GRANTS OF ROLE "):
			role := strings.TrimPrefix(text, "SHOW GRANTS OF ROLE ")
			var rows [][]any
			for _, h := range a.holders[role] {
				kind, name, _ := strings.Cut(h, " ")
				rows = append(rows, []any{time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), role, kind, name, "SECURITYADMIN"})
			}
			return sftest.Result([]sftest.Column{sftest.TimestampNTZ("created_on"), sftest.Text("role"),
				sftest.Text("granted_to"), sftest.Text("grantee_name"), sftest.Text("granted_by")}, rows...), true
		case text == SessionQuery(len(roles)):
			cols := []sftest.Column{sftest.Text("U"), sftest.Text("P"), sftest.Text("S"), sftest.Text("W")}
			row := []any{a.sessionUser, "PUBLIC", `{"roles":"SIGNOFF_ADMIN","value":""}`, nilIfEmpty(a.sessionWarehouse)}
			for range roles {
				cols = append(cols, sftest.Boolean("IS_ROLE_IN_SESSION(?)"))
			}
			for i := range roles {
				row = append(row, a.sessionRoles[q.Bindings[fmt.Sprint(i+1)].Value.(string)])
			}
			return sftest.Result(cols, row), true
		case text == "CALL SIGNOFF.API.WHOAMI()":
			return answerWith(signoff.CodeOK, a.whoami), true
		case text == "CALL SIGNOFF.API.PREFLIGHT()":
			return answerWith(signoff.CodeOK, a.preflight), true
		case text == ListGrantsCall("SIGNOFF.API"):
			if a.listGrants != "" {
				return answerWith(a.listGrants, nil), true
			}
			return answerWith(signoff.CodeOK, map[string]any{"grants": []any{}, "more": false}), true
		case text == newProcedures("SIGNOFF.API").describe:
			if q.Bindings["1"].Value == "" {
				return a.describeNone, true
			}
			if q.Bindings["1"].Value == "SALES.PUBLIC.ORDERS" {
				return a.describeListed, true
			}
			if q.Bindings["1"].Value != "SIGNOFF.MAIN.DATA_PRODUCT" {
				return answerWith(signoff.CodeObjectNotVisible, map[string]any{"object": q.Bindings["1"].Value}), true
			}
			return a.describe, true
		case strings.HasPrefix(text, "CALL SIGNOFF.API.SET_MANAGERS("):
			if q.Bindings["1"].Value != `[{"user":"","manager":""}]` {
				return sftest.Fail("000603", "XX000", "the preflight changed the directory for real"), true
			}
			return answerWith(signoff.Code(a.dryRuns["SET_MANAGERS"]), map[string]any{"field": "user_name"}), true
		case strings.HasPrefix(text, "CALL SIGNOFF.API."):
			proc, _, _ := strings.Cut(strings.TrimPrefix(text, "CALL SIGNOFF.API."), "(")
			if last := q.Bindings[fmt.Sprint(len(q.Bindings))]; last.Type != "BOOLEAN" || last.Value != "true" {
				return sftest.Fail("000603", "XX000", "the preflight ran an action for real"), true
			}
			return answerWith(signoff.Code(a.dryRuns[proc]), map[string]any{}), true
		}
		return sftest.Response{}, false
	}
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// runDoctor runs the whole preflight against a, visited by JANE.DOE@ACME.COM
// (an admin) with credential, checks that every statement it sent is in the
// catalogue, and returns the checks and the fake.
func runDoctor(t *testing.T, a *fakeAccount, credential string) (signoff.Checks, *sftest.Server) {
	t.Helper()
	fake := sftest.New(t)
	fake.Handle(a.answer([]string{"DPO", "SIGNOFF_ADMIN", "SIGNOFF_AUDITOR"}))
	cfg := fakeConfig(t, fake, "svc-token")
	cfg.Database, cfg.Schema = "SIGNOFF", "API"
	st, err := Open(t.Context(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	admin := signoff.NewIdentity("JANE.DOE@ACME.COM", []string{"SIGNOFF_ADMIN", "SIGNOFF_AUDITOR"})
	admin.Credential = credential
	cs, err := NewDoctor(st, cfg).Diagnose(t.Context(), admin)
	require.NoError(t, err)
	for _, q := range fake.Queries() {
		_, ok := catalogued(q.SQLText)
		require.True(t, ok, "the preflight sent a statement that is not in the catalogue "+
			"(statements_test.go, testdata/statements.golden): %q", q.SQLText)
	}
	return cs, fake
}

func find(t *testing.T, cs signoff.Checks, name string) signoff.Check {
	t.Helper()
	for _, c := range cs {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no check %q in %v", name, cs)
	return signoff.Check{}
}

func TestDoctorPassesOnAnAccountAsInstalled(t *testing.T) {
	t.Parallel()
	cs, fake := runDoctor(t, installed(), "caller-token")
	var names []string
	for _, c := range cs {
		names = append(names, c.Name)
		assert.Equal(t, signoff.CheckPass, c.Status, "%s: %s\nfix: %s", c.Name, c.Detail, c.Fix)
	}
	assert.Equal(t, []string{"Service token file", "Service session", "API views", "Who holds roles (ROLE_HOLDER)",
		"Grants' last use (ACCESS_USAGE)", "Directory of managers (USER_MANAGER)", "Audit log digests", "Grants to SIGNOFF_OWNER", "Grants to SIGNOFF_APP", "Grants to SIGNOFF_DEPLOYER", "Grants to SIGNOFF_ADMIN",
		"Grants to SIGNOFF_AUDITOR", "Signoff's grants to PUBLIC", "Who may create public endpoints",
		"Caller grants of SIGNOFF_APP", "Who holds SIGNOFF_OWNER", "Who holds SIGNOFF_APP",
		"Your session", "Roles Signoff sees in your session", "Caller identity in the procedures",
		"Grant from a caller's session", "Audit hash: Snowflake and Go agree", "Timestamps truncate to microseconds",
		"Text rules: Snowflake and Go agree", "Chain snapshot: Snowflake and Go agree",
		"ADD_HOURS: Snowflake and Go agree", "HAS_TAG: Snowflake and Go agree", "Schedule task", "Notifications task", "SQL API lists (LIST_GRANTS)",
		"Read from Snowflake (DESCRIBE_OBJECT)", "Dry run: submit", "Dry run: decide", "Dry run: withdraw", "Dry run: retry grant", "Dry run: revoke",
		"Dry run: resubmit", "Dry run: start review", "Dry run: decide review", "Dry run: save a product", "Dry run: save the chain policy", "Dry run: set managers"}, names)
	assert.Contains(t, find(t, cs, "Read from Snowflake (DESCRIBE_OBJECT)").Detail,
		"DESCRIBE_OBJECT reads SIGNOFF.MAIN.DATA_PRODUCT in your session: 4 columns, 0 tags; "+
			"with no object named it lists 1 object Signoff can read.")
	assert.Contains(t, find(t, cs, "Read from Snowflake (DESCRIBE_OBJECT)").Detail,
		"It reads SALES.PUBLIC.ORDERS too: 2 columns, 1 tag.", "the object listed, in another database, is read")
	assert.Contains(t, find(t, cs, "Roles Signoff sees in your session").Detail, "2 of the 3 roles that matter: SIGNOFF_ADMIN, SIGNOFF_AUDITOR")
	assert.Equal(t, "The query history holds 1 digest (the service's last 7 days), the event table 2 digests (a year); "+
		"the newest, of 2026-11-30 14:03:59 UTC, records event 600, which the audit log still holds unchanged.",
		find(t, cs, "Audit log digests").Detail)

	// The service's checks ran in the service's session, the visitor's in
	// caller's-rights sessions logged in with the caller token; each caller
	// session was closed.
	logins := fake.Logins()
	caller := map[string]bool{}
	for _, l := range logins {
		if strings.HasSuffix(l.Token, ".caller-token") {
			caller[l.SessionToken] = true
		} else {
			require.Equal(t, "svc-token", l.Token)
		}
	}
	assert.Len(t, caller, 12, "one session for the session checks, one per dry run")
	for _, q := range fake.Queries() {
		isCall := strings.HasPrefix(q.SQLText, "CALL ") || strings.HasPrefix(q.SQLText, "SELECT CURRENT_USER(), CURRENT_ROLE(), CURRENT_SECONDARY_ROLES()")
		assert.Equal(t, isCall, caller[q.SessionToken], "%s ran in the wrong session", q.SQLText)
	}
	closed := fake.ClosedSessions()
	for s := range caller {
		assert.Contains(t, closed, s)
	}
}

func TestDoctorDetectsEachProblem(t *testing.T) {
	t.Parallel()
	remove := func(a *fakeAccount, role, key string) {
		a.grants[role] = slices.DeleteFunc(a.grants[role], func(g Grant) bool { return g.Key() == key })
	}
	for _, tc := range []struct {
		name   string
		break_ func(a *fakeAccount)
		check  string
		status signoff.CheckStatus
		detail string // in Detail
		fix    string // in Fix
	}{
		{"LIST_GRANTS does not see the admin's roles",
			func(a *fakeAccount) { a.listGrants = signoff.CodeNotAuditor },
			"SQL API lists (LIST_GRANTS)", signoff.CheckFail, "does not see SIGNOFF_ADMIN or SIGNOFF_AUDITOR",
			"DEFAULT_SECONDARY_ROLES"},
		{"DESCRIBE_OBJECT is missing",
			func(a *fakeAccount) {
				a.fail[callDescribe] = sftest.Fail("002141", "42601", "Unknown user-defined function SIGNOFF.API.DESCRIBE_OBJECT.")
			},
			"Read from Snowflake (DESCRIBE_OBJECT)", signoff.CheckFail, "Unknown user-defined function SIGNOFF.API.DESCRIBE_OBJECT",
			"Run sql/snowflake/03_api.sql: it creates DESCRIBE_OBJECT"},
		{"DESCRIBE_OBJECT cannot see Signoff's own table",
			func(a *fakeAccount) {
				a.describe = answerWith(signoff.CodeObjectNotVisible, map[string]any{"object": "SIGNOFF.MAIN.DATA_PRODUCT"})
			},
			"Read from Snowflake (DESCRIBE_OBJECT)", signoff.CheckFail, "cannot see SIGNOFF.MAIN.DATA_PRODUCT, which its owner SIGNOFF_OWNER owns",
			"rows 50 and 63"},
		{"DESCRIBE_OBJECT does not see the admin's role",
			func(a *fakeAccount) { a.describe = answerWith(signoff.CodeNotAdmin, nil) },
			"Read from Snowflake (DESCRIBE_OBJECT)", signoff.CheckFail, "does not see SIGNOFF_ADMIN in your session",
			"DEFAULT_SECONDARY_ROLES"},
		{"DESCRIBE_OBJECT reads another table's columns",
			func(a *fakeAccount) { a.describe = describeAnswerOf([]string{"PRODUCT_ID", "NAME"}) },
			"Read from Snowflake (DESCRIBE_OBJECT)", signoff.CheckFail, "with the columns PRODUCT_ID, NAME, without ACCESS_ROLE",
			"01_data_model.sql"},
		{"DESCRIBE_OBJECT answers without a list of tags",
			func(a *fakeAccount) {
				a.describe = answerWith(signoff.CodeOK, map[string]any{"object": "SIGNOFF.MAIN.DATA_PRODUCT",
					"columns": []map[string]any{{"name": "PRODUCT_ID", "type": "TEXT"}, {"name": "ACCESS_ROLE", "type": "TEXT"}}})
			},
			"Read from Snowflake (DESCRIBE_OBJECT)", signoff.CheckFail, "the procedure answered OK with no list of tags",
			"report it with this page"},
		{"DESCRIBE_OBJECT refuses no object named, as before it listed the objects Signoff can read",
			func(a *fakeAccount) {
				a.describeNone = answerWith(signoff.CodeInvalid, map[string]any{"field": "object_name"})
			},
			"Read from Snowflake (DESCRIBE_OBJECT)", signoff.CheckFail, "with no object named answered",
			"Run sql/snowflake/03_api.sql again: an older DESCRIBE_OBJECT lists no objects"},
		{"DESCRIBE_OBJECT answers no object named without a list",
			func(a *fakeAccount) {
				a.describeNone = answerWith(signoff.CodeObjectNotVisible, map[string]any{"object": ""})
			},
			"Read from Snowflake (DESCRIBE_OBJECT)", signoff.CheckFail, "not OBJECT_NOT_VISIBLE with the list of the objects Signoff can read",
			"Run sql/snowflake/03_api.sql again: an older DESCRIBE_OBJECT lists no objects"},
		{"DESCRIBE_OBJECT lists an object it cannot read",
			func(a *fakeAccount) {
				a.describeListed = answerWith(signoff.CodeObjectNotVisible, map[string]any{"object": "SALES.PUBLIC.ORDERS"})
			},
			"Read from Snowflake (DESCRIBE_OBJECT)", signoff.CheckFail, "lists SALES.PUBLIC.ORDERS as readable, but reading it answered",
			"rows 63, 64, 68 and 72"},
		{"auditors may not list grants with SQL",
			func(a *fakeAccount) {
				remove(a, "SIGNOFF_AUDITOR", "SIGNOFF_AUDITOR USAGE ON PROCEDURE SIGNOFF.API.LIST_GRANTS")
			},
			"Grants to SIGNOFF_AUDITOR", signoff.CheckFail, "Missing: USAGE ON PROCEDURE SIGNOFF.API.LIST_GRANTS", ""},
		{"the app cannot read the audit log view",
			func(a *fakeAccount) { remove(a, "SIGNOFF_APP", "SIGNOFF_APP SELECT ON VIEW SIGNOFF.API.AUDIT_LOG") },
			"Grants to SIGNOFF_APP", signoff.CheckFail, "Missing: SELECT ON VIEW SIGNOFF.API.AUDIT_LOG",
			"GRANT SELECT ON VIEW SIGNOFF.API.AUDIT_LOG TO ROLE SIGNOFF_APP;"},
		{"the app may write a table",
			func(a *fakeAccount) {
				a.grants["SIGNOFF_APP"] = append(a.grants["SIGNOFF_APP"], Grant{"SIGNOFF_APP", "INSERT", "TABLE", "SIGNOFF.MAIN.ACCESS_REQUEST"})
			},
			"Grants to SIGNOFF_APP", signoff.CheckFail, "Not expected: INSERT ON TABLE SIGNOFF.MAIN.ACCESS_REQUEST",
			"REVOKE INSERT ON TABLE SIGNOFF.MAIN.ACCESS_REQUEST FROM ROLE SIGNOFF_APP;"},
		{"the app owns a table",
			func(a *fakeAccount) {
				a.grants["SIGNOFF_APP"] = append(a.grants["SIGNOFF_APP"], Grant{"SIGNOFF_APP", "OWNERSHIP", "TABLE", "SIGNOFF.MAIN.AUDIT_LOG"})
			},
			"Grants to SIGNOFF_APP", signoff.CheckFail, "Not expected: OWNERSHIP ON TABLE SIGNOFF.MAIN.AUDIT_LOG",
			"GRANT OWNERSHIP ON TABLE SIGNOFF.MAIN.AUDIT_LOG TO ROLE SIGNOFF_OWNER COPY CURRENT GRANTS"},
		{"the app keeps a deploy-time power",
			func(a *fakeAccount) {
				a.grants["SIGNOFF_APP"] = append(a.grants["SIGNOFF_APP"], Grant{"SIGNOFF_APP", "CREATE SERVICE", "SCHEMA", "SIGNOFF.APP"})
			},
			"Grants to SIGNOFF_APP", signoff.CheckFail, "Not expected: CREATE SERVICE ON SCHEMA SIGNOFF.APP", ""},
		{"the app inherits a system role",
			func(a *fakeAccount) {
				a.grants["SIGNOFF_APP"] = append(a.grants["SIGNOFF_APP"], Grant{"SIGNOFF_APP", "USAGE", "ROLE", "SYSADMIN"})
			},
			"Grants to SIGNOFF_APP", signoff.CheckFail, "Not expected: USAGE ON ROLE SYSADMIN",
			"REVOKE ROLE SYSADMIN FROM ROLE SIGNOFF_APP;"},
		{"the owner may not read sessions",
			func(a *fakeAccount) { remove(a, "SIGNOFF_OWNER", "SIGNOFF_OWNER READ SESSION ON ACCOUNT") },
			"Grants to SIGNOFF_OWNER", signoff.CheckFail, "Missing: READ SESSION ON ACCOUNT",
			"GRANT READ SESSION ON ACCOUNT TO ROLE SIGNOFF_OWNER;"},
		{"the owner does not own the API schema",
			func(a *fakeAccount) { remove(a, "SIGNOFF_OWNER", "SIGNOFF_OWNER OWNERSHIP ON SCHEMA SIGNOFF.API") },
			"Grants to SIGNOFF_OWNER", signoff.CheckFail, "Missing: OWNERSHIP ON SCHEMA SIGNOFF.API",
			"GRANT OWNERSHIP ON SCHEMA SIGNOFF.API TO ROLE SIGNOFF_OWNER COPY CURRENT GRANTS;"},
		{"admins no longer inherit the auditor",
			func(a *fakeAccount) { remove(a, "SIGNOFF_ADMIN", "SIGNOFF_ADMIN USAGE ON ROLE SIGNOFF_AUDITOR") },
			"Grants to SIGNOFF_ADMIN", signoff.CheckFail, "Missing: USAGE ON ROLE SIGNOFF_AUDITOR",
			"GRANT ROLE SIGNOFF_AUDITOR TO ROLE SIGNOFF_ADMIN;"},
		{"auditors may run the preflight",
			func(a *fakeAccount) {
				a.grants["SIGNOFF_AUDITOR"] = append(a.grants["SIGNOFF_AUDITOR"], Grant{"SIGNOFF_AUDITOR", "USAGE", "PROCEDURE", "SIGNOFF.API.PREFLIGHT"})
			},
			"Grants to SIGNOFF_AUDITOR", signoff.CheckFail, "Not expected: USAGE ON PROCEDURE SIGNOFF.API.PREFLIGHT",
			"REVOKE USAGE ON PROCEDURE SIGNOFF.API.PREFLIGHT(<argument types"},
		{"the service role may not list the owner's grants",
			func(a *fakeAccount) { a.forbidden["SHOW GRANTS TO ROLE SIGNOFF_OWNER"] = true },
			"Grants to SIGNOFF_OWNER", signoff.CheckSkip, "SIGNOFF_APP may not list this", "deploy/preflight.sql"},
		{"everyone may run the preflight",
			func(a *fakeAccount) {
				a.grants["PUBLIC"] = append(a.grants["PUBLIC"], Grant{"PUBLIC", "USAGE", "PROCEDURE", "SIGNOFF.API.PREFLIGHT"})
			},
			"Signoff's grants to PUBLIC", signoff.CheckFail, "Not expected: USAGE ON PROCEDURE SIGNOFF.API.PREFLIGHT", ""},
		{"everyone holds a Signoff role",
			func(a *fakeAccount) {
				a.grants["PUBLIC"] = append(a.grants["PUBLIC"], Grant{"PUBLIC", "USAGE", "ROLE", "SIGNOFF_AUDITOR"})
			},
			"Signoff's grants to PUBLIC", signoff.CheckFail, "Not expected: USAGE ON ROLE SIGNOFF_AUDITOR", ""},
		{"nobody may use the warehouse",
			func(a *fakeAccount) { remove(a, "PUBLIC", "PUBLIC USAGE ON WAREHOUSE SIGNOFF_WH") },
			"Signoff's grants to PUBLIC", signoff.CheckFail, "Missing: USAGE ON WAREHOUSE SIGNOFF_WH", ""},
		{"PUBLIC may publish services",
			func(a *fakeAccount) {
				a.grants["PUBLIC"] = append(a.grants["PUBLIC"], Grant{"PUBLIC", "BIND SERVICE ENDPOINT", "ACCOUNT", ""})
			},
			"Who may create public endpoints", signoff.CheckWarn, "PUBLIC holds BIND SERVICE ENDPOINT",
			"REVOKE BIND SERVICE ENDPOINT ON ACCOUNT FROM ROLE PUBLIC"},
		{"a caller grant that reads every table",
			func(a *fakeAccount) {
				a.caller = append(a.caller, Grant{"SIGNOFF_APP", "SELECT", "TABLE", "ALL TABLES IN SCHEMA SIGNOFF.MAIN"})
			},
			"Caller grants of SIGNOFF_APP", signoff.CheckFail, "Not expected: SELECT ON TABLE ALL TABLES IN SCHEMA SIGNOFF.MAIN",
			"REVOKE INHERITED CALLER SELECT ON ALL TABLES IN SCHEMA SIGNOFF.MAIN FROM ROLE SIGNOFF_APP;"},
		{"no caller grant on the warehouse",
			func(a *fakeAccount) {
				a.caller = slices.DeleteFunc(a.caller, func(g Grant) bool { return g.On == "WAREHOUSE" })
			},
			"Caller grants of SIGNOFF_APP", signoff.CheckFail, "Missing: USAGE ON WAREHOUSE SIGNOFF_WH",
			"GRANT CALLER USAGE ON WAREHOUSE SIGNOFF_WH TO ROLE SIGNOFF_APP;"},
		{"the installer kept the owner role",
			func(a *fakeAccount) { a.holders["SIGNOFF_OWNER"] = []string{`USER jane"s`} },
			"Who holds SIGNOFF_OWNER", signoff.CheckFail, `held by USER jane"s`,
			`REVOKE ROLE SIGNOFF_OWNER FROM USER "jane""s";`},
		{"SYSADMIN inherits the app's role",
			func(a *fakeAccount) { a.holders["SIGNOFF_APP"] = append(a.holders["SIGNOFF_APP"], "ROLE SYSADMIN") },
			"Who holds SIGNOFF_APP", signoff.CheckFail, "held by ROLE SYSADMIN", "REVOKE ROLE SIGNOFF_APP FROM ROLE SYSADMIN;"},
		{"the service runs as another role",
			func(a *fakeAccount) { a.serviceRole = "SYSADMIN" },
			"Service session", signoff.CheckFail, "role SYSADMIN", "create it as SIGNOFF_APP"},
		{"the service has no warehouse",
			func(a *fakeAccount) { a.serviceWarehouse = "" },
			"Service session", signoff.CheckFail, "warehouse (none)", "grant USAGE on it to SIGNOFF_APP"},
		{"a view is missing",
			func(a *fakeAccount) {
				a.fail[ViewsQuery] = sftest.Fail("002003", "42S02", "Object 'AUDIT_LOG' does not exist or not authorized.")
			},
			"API views", signoff.CheckFail, "does not exist or not authorized", "02_grants.sql"},
		{"SIGNOFF_ADMIN is not active in the admin's session",
			func(a *fakeAccount) { a.sessionRoles["SIGNOFF_ADMIN"] = false },
			"Roles Signoff sees in your session", signoff.CheckFail, "1 of the 3 roles that matter: SIGNOFF_AUDITOR",
			"DEFAULT_SECONDARY_ROLES"},
		{"the caller's session has no warehouse",
			func(a *fakeAccount) { a.sessionWarehouse = "" },
			"Your session", signoff.CheckFail, "warehouse (none)", "grant USAGE on SIGNOFF_WH to PUBLIC"},
		{"the procedures cannot see the caller (no READ SESSION)",
			func(a *fakeAccount) { a.whoami["actor"] = nil },
			"Caller identity in the procedures", signoff.CheckFail, "cannot see who calls them",
			"GRANT READ SESSION ON ACCOUNT TO ROLE SIGNOFF_OWNER;"},
		{"a caller's-rights session is not a user's",
			func(a *fakeAccount) { a.whoami["principal_type"] = "SNOWSERVICE" },
			"Caller identity in the procedures", signoff.CheckFail, `principal type "SNOWSERVICE"`, "actor rule"},
		{"the procedures see another user",
			func(a *fakeAccount) { a.whoami["actor"] = "JANE" },
			"Caller identity in the procedures", signoff.CheckFail, `see "JANE" calling`, ""},
		{"the procedures do not see the admin role",
			func(a *fakeAccount) { a.whoami["is_admin"] = false },
			"Caller identity in the procedures", signoff.CheckFail, "IS_ROLE_ACTIVATED does not see SIGNOFF_ADMIN", ""},
		{"the owner cannot grant",
			func(a *fakeAccount) {
				a.preflight["grant_error"] = "Insufficient privileges to operate on role 'SIGNOFF_PREFLIGHT'"
			},
			"Grant from a caller's session", signoff.CheckFail, "GRANT ROLE failed: Insufficient privileges", "must own SIGNOFF_PREFLIGHT"},
		{"the owner cannot revoke",
			func(a *fakeAccount) { a.preflight["revoke_error"] = "Insufficient privileges" },
			"Grant from a caller's session", signoff.CheckFail, "REVOKE ROLE failed", ""},
		{"Snowflake hashes differently",
			func(a *fakeAccount) { a.preflight["hash_sample"] = strings.Repeat("0", 64) },
			"Audit hash: Snowflake and Go agree", signoff.CheckFail, "Snowflake hashes the sample event to \"000", "AUDIT_HASH"},
		{"Snowflake rounds the time",
			func(a *fakeAccount) { a.preflight["time_sample"] = "2026-01-02 03:04:05.123457" },
			"Timestamps truncate to microseconds", signoff.CheckFail, `"2026-01-02 03:04:05.123457"`, "DATE_TRUNC"},
		{"Snowflake counts a blank as visible",
			func(a *fakeAccount) {
				_, length, visible, bidi := signoff.TextSample()
				a.preflight["text_sample"] = map[string]any{"length": length, "visible": visible + 1, "bidi": bidi}
			},
			"Text rules: Snowflake and Go agree", signoff.CheckFail, "Snowflake counts the sample text as", "VISIBLE_LENGTH and BIDI_CONTROLS"},
		{"the procedures predate the text rules",
			func(a *fakeAccount) { delete(a.preflight, "text_sample") },
			"Text rules: Snowflake and Go agree", signoff.CheckFail, "0 that show", "03_api.sql"},
		{"Snowflake counts a snapshot's lengths in bytes",
			func(a *fakeAccount) {
				a.preflight["snapshot_sample"] = strings.Replace(signoff.ChainSnapshot(signoff.SnapshotSample()), "21:Zoë", "26:Zoë", 1)
			},
			"Chain snapshot: Snowflake and Go agree", signoff.CheckFail,
			`at step 2's label, Go writes "21:Zoë's \"owner\": 名前 3:x", Snowflake "26:Zoë's`, "LENGTH does not count characters"},
		{"the procedures predate the snapshot check",
			func(a *fakeAccount) { delete(a.preflight, "snapshot_sample") },
			"Chain snapshot: Snowflake and Go agree", signoff.CheckFail, "predate this check", "03_api.sql"},
		{"no digest yet (a fresh install)",
			func(a *fakeAccount) { a.historyDigests, a.logDigests = nil, nil },
			"Audit log digests", signoff.CheckWarn, "Neither the query history", "fresh install"},
		{"the event table collects none of the service's lines",
			func(a *fakeAccount) { a.logDigests = nil },
			"Audit log digests", signoff.CheckWarn, "The query history holds 1 digest, but the event table none",
			"SHOW PARAMETERS LIKE 'EVENT_TABLE' IN ACCOUNT"},
		{"the service may not read its logs",
			func(a *fakeAccount) {
				a.fail[LogDigests(DefaultService)] = sftest.Fail("003001", "42501",
					"SQL access control error: Insufficient privileges to operate on service 'SIGNOFF'")
			},
			"Audit log digests", signoff.CheckFail,
			"Signoff cannot read its digests in the event table: forbidden: snowflake error 3001",
			"needs MONITOR on the service; SIGNOFF_APP has it by owning the service"},
		{"the query history cannot be read",
			func(a *fakeAccount) {
				a.fail[QueryHistoryDigests] = sftest.Fail("000606", "57P03", "No active warehouse selected in the current session.")
			},
			"Audit log digests", signoff.CheckFail, "Signoff cannot read its digests in the query history",
			"QUERY_HISTORY_BY_USER"},
		{"the log was rewritten after the newest digest",
			func(a *fakeAccount) { a.ledger[600] = strings.Repeat("e", 64) },
			"Audit log digests", signoff.CheckFail,
			"The audit log changed after the digest of 2026-11-30 14:03:59 UTC: event 600 is not the event the digest recorded.",
			"/audit/verify"},
		{"events were removed after the newest digest",
			func(a *fakeAccount) { delete(a.ledger, 600) },
			"Audit log digests", signoff.CheckFail,
			"The audit log changed after the digest of 2026-11-30 14:03:59 UTC: it no longer holds event 600",
			"they are the evidence"},
		{"the newest digest's event cannot be read",
			func(a *fakeAccount) {
				a.fail[sqlstore.SelectLedgerHash] = sftest.Fail("002003", "42S02", "Object 'AUDIT_LOG' does not exist or not authorized.")
			},
			"Audit log digests", signoff.CheckFail, "cannot read event 600 of the audit log", "API views check"},
		{"the app cannot read ROLE_HOLDER although its grants are right",
			func(a *fakeAccount) {
				a.fail[RoleHolderQuery] = sftest.Fail("003001", "42501",
					"SQL access control error: Insufficient privileges to operate on view 'GRANTS_TO_USERS'")
			},
			"Who holds roles (ROLE_HOLDER)", signoff.CheckFail, "Insufficient privileges", "SECURITY_VIEWER"},
		{"the directory names nobody's manager, and chains have manager steps",
			func(a *fakeAccount) { a.managers = 0 },
			"Directory of managers (USER_MANAGER)", signoff.CheckWarn, "requests for those products are refused (NO_MANAGER)", "SET_MANAGERS"},
		{"the directory has a user twice",
			func(a *fakeAccount) { a.managerDuplicates = 1 },
			"Directory of managers (USER_MANAGER)", signoff.CheckFail, "1 users have more than one row", "/audit/verify"},
		{"the app cannot read USER_MANAGER",
			func(a *fakeAccount) {
				a.fail[ManagersQuery] = sftest.Fail("002003", "42S02", "Object 'USER_MANAGER' does not exist or not authorized.")
			},
			"Directory of managers (USER_MANAGER)", signoff.CheckFail, "does not exist or not authorized", "02_grants.sql"},
		{"ROLE_HOLDER lists nobody yet (ACCOUNT_USAGE's lag)",
			func(a *fakeAccount) { a.roleHolders = 0 },
			"Who holds roles (ROLE_HOLDER)", signoff.CheckWarn, "up to two hours behind", "Wait two hours"},
		{"ADD_HOURS adds days where Go adds hours",
			func(a *fakeAccount) {
				h := slices.Clone(a.preflight["add_hours_sample"].([]string))
				h[1] = "2026-02-26 01:00:00.999999000"
				a.preflight["add_hours_sample"] = h
			},
			"ADD_HOURS: Snowflake and Go agree", signoff.CheckFail, "ADD_HOURS('2026-03-01 01:00:00.999999999', -72)", "DATEADD(HOUR"},
		{"the procedures predate the ADD_HOURS check",
			func(a *fakeAccount) { delete(a.preflight, "add_hours_sample") },
			"ADD_HOURS: Snowflake and Go agree", signoff.CheckFail, "no ADD_HOURS sample", "predate this check"},
		{"HAS_TAG compares tags in their case",
			func(a *fakeAccount) {
				t := slices.Clone(a.preflight["has_tag_sample"].([]bool))
				t[0] = false
				a.preflight["has_tag_sample"] = t
			},
			"HAS_TAG: Snowflake and Go agree", signoff.CheckFail, `HAS_TAG(["finance" "sox"], "CONFIDENTIAL", "SOX") is false in Snowflake, true in Go`, "03_api.sql"},
		{"the procedures predate the HAS_TAG check",
			func(a *fakeAccount) { delete(a.preflight, "has_tag_sample") },
			"HAS_TAG: Snowflake and Go agree", signoff.CheckFail, "no HAS_TAG sample", "predate this check"},
		{"the schedule task is missing",
			func(a *fakeAccount) { a.preflight["tasks"] = []map[string]any{} },
			"Schedule task", signoff.CheckFail, "SIGNOFF.API.SIGNOFF_SCHEDULE does not exist", "03_api.sql"},
		{"the schedule task is suspended",
			func(a *fakeAccount) { a.tasks()[0]["state"] = "suspended" },
			"Schedule task", signoff.CheckFail, "is suspended", "ALTER TASK SIGNOFF.API.SIGNOFF_SCHEDULE RESUME"},
		{"the schedule task is owned by SYSADMIN",
			func(a *fakeAccount) { a.tasks()[0]["owner"] = "SYSADMIN" },
			"Schedule task", signoff.CheckFail, "owned by SYSADMIN", "GRANT OWNERSHIP ON TASK SIGNOFF.API.SIGNOFF_SCHEDULE TO ROLE SIGNOFF_OWNER"},
		{"the schedule task calls something else",
			func(a *fakeAccount) {
				a.tasks()[0]["definition"] = "CALL SIGNOFF.API.SEND_NOTIFICATIONS('SIGNOFF_EMAIL')"
			},
			"Schedule task", signoff.CheckFail, "not CALL SIGNOFF.API.RUN_SCHEDULE()", "replaces the task"},
		{"the schedule task runs on another warehouse",
			func(a *fakeAccount) { a.tasks()[0]["warehouse"] = "COMPUTE_WH" },
			"Schedule task", signoff.CheckFail, "COMPUTE_WH", "SET WAREHOUSE = SIGNOFF_WH"},
		{"the notifications task is suspended",
			func(a *fakeAccount) {
				mail := taskRowFor(NotificationsTask)
				mail["state"] = "suspended"
				a.preflight["tasks"] = append(a.tasks(), mail)
				a.grants["SIGNOFF_OWNER"] = append(a.grants["SIGNOFF_OWNER"], OptionalGrants...)
			},
			"Notifications task", signoff.CheckFail, "SEND_NOTIFICATIONS_TASK is suspended", "ALTER TASK SIGNOFF.API.SEND_NOTIFICATIONS_TASK RESUME"},
		{"an action cannot tell who calls",
			func(a *fakeAccount) { a.dryRuns["DECIDE_STEP"] = "IDENTITY_UNAVAILABLE" },
			"Dry run: decide", signoff.CheckFail, "answered IDENTITY_UNAVAILABLE where it must answer NOT_FOUND",
			"caller identity check"},
		{"the admin cannot change the directory (SET_MANAGERS sees no admin)",
			func(a *fakeAccount) { a.dryRuns["SET_MANAGERS"] = "NOT_ADMIN" },
			"Dry run: set managers", signoff.CheckFail, "It answered NOT_ADMIN where it must refuse an entry without a user as INVALID", "SET_MANAGERS"},
		{"a procedure is missing",
			func(a *fakeAccount) {
				a.fail[callRevoke] = sftest.Fail("002141", "42601", "Unknown user-defined function SIGNOFF.API.REVOKE_ACCESS.")
			},
			"Dry run: revoke", signoff.CheckFail, "Unknown user-defined function", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := installed()
			tc.break_(a)
			cs, _ := runDoctor(t, a, "caller-token")
			c := find(t, cs, tc.check)
			assert.Equal(t, tc.status, c.Status, "%s: %s", c.Name, c.Detail)
			assert.Contains(t, c.Detail, tc.detail)
			assert.Contains(t, c.Fix, tc.fix)
			for _, other := range cs {
				if other.Name != tc.check && other.Status != signoff.CheckPass {
					// One break shows in one check: anything else is noise.
					t.Errorf("%s also says %s: %s", other.Name, other.Status, other.Detail)
				}
			}
		})
	}
}

// TestDoctorDigestsOlderThanAWeek: after 7 days without a change the query
// history holds no digest, and the event table still does: that passes,
// checked against the newest the event table holds.
func TestDoctorDigestsOlderThanAWeek(t *testing.T) {
	t.Parallel()
	a := installed()
	a.historyDigests = nil
	cs, _ := runDoctor(t, a, "caller-token")
	c := find(t, cs, "Audit log digests")
	assert.Equal(t, signoff.CheckPass, c.Status, c.Detail)
	assert.Contains(t, c.Detail, "The query history holds 0 digests (the service's last 7 days), the event table 2 digests (a year)")
	assert.Contains(t, c.Detail, "records event 600")
}

func TestDoctorWithoutAVisitor(t *testing.T) {
	t.Parallel()
	cs, fake := runDoctor(t, installed(), "")
	last := cs[len(cs)-1]
	assert.Equal(t, "Your session", last.Name)
	assert.Equal(t, signoff.CheckSkip, last.Status)
	assert.Contains(t, last.Fix, "/doctor")
	assert.False(t, cs.Failed())
	for _, l := range fake.Logins() {
		assert.Equal(t, "svc-token", l.Token, "no caller session without a caller token")
	}
}

func TestDoctorTokenFile(t *testing.T) {
	t.Parallel()
	d := &Doctor{tokenFile: t.TempDir() + "/missing", now: time.Now}
	c := d.tokenFileCheck()
	assert.Equal(t, signoff.CheckFail, c.Status)
	assert.Contains(t, c.Fix, DefaultTokenFile)

	empty := t.TempDir() + "/token"
	require.NoError(t, os.WriteFile(empty, []byte("\n"), 0o600))
	d.tokenFile = empty
	assert.Equal(t, signoff.CheckFail, d.tokenFileCheck().Status)
}

func TestShowGrantReadsSnowflakesFormat(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		row  map[string]string
		want string
	}{
		{map[string]string{"privilege": "USAGE", "granted_on": "COMPUTE_POOL", "name": "SIGNOFF_POOL"},
			"R USAGE ON COMPUTE POOL SIGNOFF_POOL"},
		{map[string]string{"privilege": "BIND SERVICE ENDPOINT", "granted_on": "ACCOUNT", "name": "AB12345"},
			"R BIND SERVICE ENDPOINT ON ACCOUNT"},
		{map[string]string{"privilege": "USAGE", "granted_on": "PROCEDURE",
			"name": `SIGNOFF.API."DECIDE_STEP(REQUEST_ID VARCHAR, STEP_NO NUMBER):VARIANT"`},
			"R USAGE ON PROCEDURE SIGNOFF.API.DECIDE_STEP"},
		{map[string]string{"privilege": "SELECT", "granted_on": "VIEW", "name": `"SIGNOFF"."API"."AUDIT_LOG"`},
			"R SELECT ON VIEW SIGNOFF.API.AUDIT_LOG"},
	} {
		assert.Equal(t, tc.want, ShowGrant("R", tc.row).Key())
	}
	assert.Equal(t, "R USAGE ON PROCEDURE ALL PROCEDURES IN SCHEMA SIGNOFF.API", showCallerGrant("R", map[string]string{
		"privilege": "USAGE", "granted_on": "PROCEDURE", "name": "", "is_inherited": "true", "inherited_from": "SCHEMA",
		"inherited_from_database": "SIGNOFF", "inherited_from_schema": "API"}).Key())
	assert.Equal(t, "R USAGE ON DATABASE SIGNOFF", showCallerGrant("R", map[string]string{
		"privilege": "USAGE", "granted_on": "DATABASE", "name": "SIGNOFF", "is_inherited": "false"}).Key())
}

// TestTaskChecksBeforeTheirProcedure: a PREFLIGHT installed before the task
// checks lists no tasks, which both task checks say (an upgrade's first
// preflight, before 03_api.sql runs, rather than a break).
func TestTaskChecksBeforeTheirProcedure(t *testing.T) {
	for _, task := range Tasks {
		c := taskCheck(signoff.Check{Name: task.Name}, task, nil)
		assert.Equal(t, signoff.CheckFail, c.Status, task.Name)
		assert.Contains(t, c.Fix, "predate this check")
	}
	c := taskCheck(signoff.Check{}, NotificationsTask, &[]taskRow{})
	assert.Equal(t, signoff.CheckPass, c.Status, "the notifications step is optional")
	assert.Contains(t, c.Detail, "deploy/40_notifications.sql (optional) has not run")
}

// TestDoctorDescribeWithNothingGranted: on a fresh install SIGNOFF_OWNER
// may read no object yet; the check passes and says what it could not
// confirm.
func TestDoctorDescribeWithNothingGranted(t *testing.T) {
	t.Parallel()
	a := installed()
	a.describeNone = answerWith(signoff.CodeObjectNotVisible, map[string]any{"object": "", "readable": []string{}})
	cs, _ := runDoctor(t, a, "caller-token")
	c := find(t, cs, "Read from Snowflake (DESCRIBE_OBJECT)")
	assert.Equal(t, signoff.CheckPass, c.Status, c.Detail)
	assert.Contains(t, c.Detail, "lists 0 objects Signoff can read.")
	assert.Contains(t, c.Detail, "No object is granted yet, so reading one in another database is not confirmed here")
}
