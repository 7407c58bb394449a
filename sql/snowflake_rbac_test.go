package sqlfiles_test

import (
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/signoff/signoff/internal/signoff"
)

// These tests read sql/snowflake/02_rbac_and_grant.sql as text and hold it
// to the least-privilege promises of DESIGN.md. They cannot run the SQL (no
// Snowflake here); they pin what the script grants, to whom, and the shape of
// the procedures. A change to what SIGNOFF_APP may do has to change this file
// too, on purpose.

const rbacScript = "snowflake/02_rbac_and_grant.sql"

// Procedure signatures as GRANT ... ON PROCEDURE names them.
const (
	procApply  = "SIGNOFF.APP.SIGNOFF_APPLY(VARCHAR)"
	procGrant  = "SIGNOFF.APP.GRANT_PRODUCT_ACCESS(VARCHAR, VARCHAR, VARCHAR, VARCHAR)"
	procRevoke = "SIGNOFF.APP.REVOKE_PRODUCT_ACCESS(VARCHAR, VARCHAR, VARCHAR, VARCHAR, VARCHAR)"
)

var (
	useRe       = regexp.MustCompile(`^USE (ROLE|WAREHOUSE|DATABASE|SCHEMA) ([A-Z0-9_$.]+)$`)
	createRe    = regexp.MustCompile(`^CREATE (OR REPLACE )?(SECURE )?(ROLE|WAREHOUSE|IMAGE REPOSITORY|COMPUTE POOL|PROCEDURE|FUNCTION|VIEW|DATABASE|SCHEMA|TABLE) (IF NOT EXISTS )?([A-Z0-9_$.]+)`)
	procRe      = regexp.MustCompile(`^CREATE OR REPLACE PROCEDURE ([A-Z0-9_$.]+)\(([^)]*)\) RETURNS VARCHAR LANGUAGE (SQL|JAVASCRIPT)(?: COMMENT = '(?:[^']|'')*')? EXECUTE AS (OWNER|CALLER) AS \$\$BODY\$\$$`)
	grantRoleRe = regexp.MustCompile(`^GRANT ROLE ([A-Z0-9_$]+) TO ROLE ([A-Z0-9_$]+)$`)
	ownershipRe = regexp.MustCompile(`^GRANT OWNERSHIP ON (ROLE|PROCEDURE) (\S+) TO ROLE ([A-Z0-9_$]+) COPY CURRENT GRANTS$`)
	callerRe    = regexp.MustCompile(`^GRANT (?:INHERITED )?CALLER `)
	privRe      = regexp.MustCompile(`^GRANT (.+?) ON (ACCOUNT|DATABASE|SCHEMA|WAREHOUSE|TABLE|VIEW|PROCEDURE|FUNCTION|COMPUTE POOL|IMAGE REPOSITORY)(?: ([A-Z0-9_$.]+(?:\([A-Z0-9_, ]*\))?))? TO ROLE ([A-Z0-9_$]+)$`)
)

// grants is what a script grants: role -> object ("TABLE SIGNOFF.APP.X") -> privileges.
type grants map[string]map[string][]string

func (g grants) add(role, object string, privs ...string) {
	if g[role] == nil {
		g[role] = map[string][]string{}
	}
	for _, p := range privs {
		if !slices.Contains(g[role][object], p) {
			g[role][object] = append(g[role][object], p)
		}
	}
	sort.Strings(g[role][object])
}

// procedure is one CREATE PROCEDURE of the script.
type procedure struct {
	name      string   // SIGNOFF.APP.X
	signature string   // SIGNOFF.APP.X(VARCHAR, ...)
	params    []string // parameter names
	language  string   // SQL or JAVASCRIPT
	executeAs string   // OWNER or CALLER
	createdAs string   // the role in use when it was created
	body      string
	index     int // statement index
}

// rbac is 02_rbac_and_grant.sql, parsed.
type rbac struct {
	stmts      []statement
	privileges grants              // privilege grants, by grantee role
	roleGrants map[string][]string // GRANT ROLE r TO ROLE grantee: r -> grantees
	usageAt    map[string][]int    // procedure signature -> statement indexes of USAGE grants
	procs      map[string]procedure
	created    []string // every CREATE, normalised
}

func parseRBAC(t *testing.T) rbac {
	t.Helper()
	r := rbac{stmts: script(t, rbacScript), privileges: grants{}, roleGrants: map[string][]string{},
		usageAt: map[string][]int{}, procs: map[string]procedure{}}
	role := ""
	for i, st := range r.stmts {
		u := st.upper
		if runTogether(u) {
			t.Errorf("line %d: two statements run together (a missing ';'?): %.120s", st.line, st.text)
		}
		switch {
		case useRe.MatchString(u):
			if m := useRe.FindStringSubmatch(u); m[1] == "ROLE" {
				role = m[2]
			}
		case strings.HasPrefix(u, "CREATE "):
			r.created = append(r.created, u)
			if m := procRe.FindStringSubmatch(u); m != nil {
				var params, types []string
				for _, p := range strings.Split(m[2], ", ") {
					f := strings.Fields(p)
					if len(f) != 2 {
						t.Fatalf("line %d: cannot read parameter %q", st.line, p)
					}
					params, types = append(params, f[0]), append(types, f[1])
				}
				sig := m[1] + "(" + strings.Join(types, ", ") + ")"
				if len(st.bodies) != 1 {
					t.Fatalf("line %d: procedure %s has %d bodies", st.line, m[1], len(st.bodies))
				}
				r.procs[m[1]] = procedure{name: m[1], signature: sig, params: params, language: m[3],
					executeAs: m[4], createdAs: role, body: st.bodies[0], index: i}
			} else if m := createRe.FindStringSubmatch(u); m != nil && m[3] == "PROCEDURE" {
				t.Fatalf("line %d: procedure header not understood (RETURNS VARCHAR, LANGUAGE, EXECUTE AS expected): %.120s", st.line, st.text)
			}
		case grantRoleRe.MatchString(u):
			m := grantRoleRe.FindStringSubmatch(u)
			r.roleGrants[m[1]] = append(r.roleGrants[m[1]], m[2])
		case ownershipRe.MatchString(u):
			m := ownershipRe.FindStringSubmatch(u)
			r.privileges.add(m[3], m[1]+" "+m[2], "OWNERSHIP")
		case callerRe.MatchString(u):
			if u != "GRANT CALLER USAGE ON WAREHOUSE SIGNOFF_WH TO ROLE SIGNOFF_APP" {
				t.Errorf("line %d: the only caller grant the app may ever need is CALLER USAGE on its warehouse, got: %s", st.line, st.text)
			}
		case privRe.MatchString(u):
			m := privRe.FindStringSubmatch(u)
			object := strings.TrimSpace(m[2] + " " + m[3])
			privs := strings.Split(m[1], ", ")
			r.privileges.add(m[4], object, privs...)
			if m[2] == "PROCEDURE" && slices.Contains(privs, "USAGE") {
				r.usageAt[m[3]] = append(r.usageAt[m[3]], i)
			}
		default:
			t.Errorf("line %d: statement not understood (only USE, CREATE and GRANT belong here): %.120s", st.line, st.text)
		}
	}
	return r
}

var statementStart = regexp.MustCompile(`\b(USE|CREATE|GRANT|REVOKE|ALTER|DROP)\b`)

// runTogether reports whether a statement's text (outside strings and
// bodies) holds the start of another, as it does when a ';' is missing: a
// GRANT names one grantee, and a CREATE contains no other statement keyword
// (a procedure's header is matched whole by procRe).
func runTogether(upper string) bool {
	code := stripSQLBody(upper)
	switch {
	case strings.HasPrefix(code, "GRANT "):
		return strings.Count(code, " TO ROLE ") != 1
	case strings.HasPrefix(code, "CREATE "):
		return len(statementStart.FindAllStringIndex(code, -1)) != 1
	}
	return false
}

func TestRBACStatementsAreTerminatedAndIdempotent(t *testing.T) {
	r := parseRBAC(t) // fails on a statement without its ';'
	if len(r.created) == 0 {
		t.Fatal("no CREATE statement found")
	}
	for _, c := range r.created {
		m := createRe.FindStringSubmatch(c)
		if m == nil {
			t.Errorf("CREATE not understood: %.100s", c)
			continue
		}
		orReplace, ifNotExists := m[1] != "", m[4] != ""
		if orReplace == ifNotExists {
			t.Errorf("%s %s: want exactly one of OR REPLACE and IF NOT EXISTS, so that re-running is safe", m[3], m[5])
		}
		if orReplace && m[3] != "PROCEDURE" && m[3] != "FUNCTION" && m[3] != "VIEW" {
			t.Errorf("%s %s: OR REPLACE would drop a stateful object; use IF NOT EXISTS", m[3], m[5])
		}
	}
}

func TestRBACAppRoleIsLeastPrivilege(t *testing.T) {
	r := parseRBAC(t)
	want := map[string][]string{
		"ACCOUNT":                           {"BIND SERVICE ENDPOINT"},
		"COMPUTE POOL SIGNOFF_POOL":         {"USAGE"},
		"DATABASE SIGNOFF":                  {"USAGE"},
		"SCHEMA SIGNOFF.APP":                {"CREATE SERVICE", "USAGE"},
		"WAREHOUSE SIGNOFF_WH":              {"USAGE"},
		"IMAGE REPOSITORY SIGNOFF.APP.REPO": {"READ"},
		"TABLE SIGNOFF.APP.DATA_PRODUCT":    {"SELECT"},
		"TABLE SIGNOFF.APP.APPROVAL_CHAIN":  {"SELECT"},
		"TABLE SIGNOFF.APP.ACCESS_REQUEST":  {"INSERT", "SELECT", "UPDATE"},
		"TABLE SIGNOFF.APP.REQUEST_STEP":    {"INSERT", "SELECT", "UPDATE"},
		"TABLE SIGNOFF.APP.AUDIT_LOG":       {"INSERT", "SELECT"},
		"PROCEDURE " + procApply:            {"USAGE"},
		"PROCEDURE " + procGrant:            {"USAGE"},
		"PROCEDURE " + procRevoke:           {"USAGE"},
	}
	got := r.privileges["SIGNOFF_APP"]
	for _, object := range slices.Sorted(maps.Keys(want)) {
		if !slices.Equal(got[object], want[object]) {
			t.Errorf("SIGNOFF_APP on %s: got %v, want %v", object, got[object], want[object])
		}
	}
	for _, object := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[object]; !ok {
			t.Errorf("SIGNOFF_APP is granted %v on %s, which least privilege does not allow", got[object], object)
		}
	}
	for role, grantees := range r.roleGrants {
		if slices.Contains(grantees, "SIGNOFF_APP") {
			t.Errorf("role %s is granted to SIGNOFF_APP: the app role must inherit nothing", role)
		}
	}
	for _, p := range r.procs {
		if p.createdAs == "SIGNOFF_APP" {
			t.Errorf("%s is created (so owned) by SIGNOFF_APP: the app owns nothing", p.name)
		}
	}
}

func TestRBACNoGrantPrivilegesAndAppendOnlyAudit(t *testing.T) {
	r := parseRBAC(t)
	for _, st := range r.stmts {
		for _, forbidden := range []string{"MANAGE GRANTS", "GRANT MANAGEMENT", "FULL MANAGEMENT", "ALL PRIVILEGES", " ON ALL ", " ON FUTURE "} {
			if strings.Contains(st.upper, forbidden) && strings.HasPrefix(st.upper, "GRANT ") {
				t.Errorf("line %d grants %q: %s", st.line, strings.TrimSpace(forbidden), st.text)
			}
		}
	}
	for role, objects := range r.privileges {
		for object, privs := range objects {
			if strings.HasSuffix(object, ".AUDIT_LOG") || strings.HasSuffix(object, ".AUDIT_TRAIL") {
				for _, p := range privs {
					if p != "SELECT" && p != "INSERT" {
						t.Errorf("%s is granted %s on %s: the audit log is append-only (promise 5)", role, p, object)
					}
				}
			}
			for _, p := range privs {
				if p == "ALL" || (p == "OWNERSHIP" && role != "SIGNOFF_GRANT_OWNER") {
					t.Errorf("%s is granted %s on %s", role, p, object)
				}
			}
			// People get no privilege on the workflow tables, only on the views.
			kind := strings.SplitN(object, " ", 2)[0]
			if kind == "TABLE" && role != "SIGNOFF_APP" && role != "SIGNOFF_GRANT_OWNER" {
				t.Errorf("%s is granted %v on %s: only the service and the grant owner touch the tables", role, privs, object)
			}
			if kind == "VIEW" && (role != "SIGNOFF_AUDITOR" || !slices.Equal(privs, []string{"SELECT"})) {
				t.Errorf("%s is granted %v on %s: views are for SIGNOFF_AUDITOR, SELECT only", role, privs, object)
			}
		}
	}
	wantOwner := map[string][]string{
		"DATABASE SIGNOFF":                 {"USAGE"},
		"SCHEMA SIGNOFF.APP":               {"CREATE PROCEDURE", "USAGE"},
		"TABLE SIGNOFF.APP.DATA_PRODUCT":   {"SELECT"},
		"TABLE SIGNOFF.APP.REQUEST_STEP":   {"SELECT"},
		"TABLE SIGNOFF.APP.ACCESS_REQUEST": {"SELECT", "UPDATE"},
		"TABLE SIGNOFF.APP.AUDIT_LOG":      {"INSERT"},
		"FUNCTION " + funcAuditHash:        {"USAGE"},
	}
	if got := r.privileges["SIGNOFF_GRANT_OWNER"]; !maps.EqualFunc(got, wantOwner, slices.Equal[[]string]) {
		t.Errorf("SIGNOFF_GRANT_OWNER's privileges = %v, want %v", got, wantOwner)
	}
	wantHierarchy := map[string][]string{"SIGNOFF_APP": {"SYSADMIN"}, "SIGNOFF_GRANT_OWNER": {"SYSADMIN"}}
	if !maps.EqualFunc(r.roleGrants, wantHierarchy, slices.Equal[[]string]) {
		t.Errorf("role grants = %v, want %v", r.roleGrants, wantHierarchy)
	}
}

func TestRBACProcedures(t *testing.T) {
	r := parseRBAC(t)
	want := map[string]struct {
		signature, language, executeAs, createdAs string
	}{
		"SIGNOFF.APP.SIGNOFF_APPLY":         {procApply, "JAVASCRIPT", "CALLER", "SYSADMIN"},
		"SIGNOFF.APP.GRANT_PRODUCT_ACCESS":  {procGrant, "SQL", "OWNER", "SIGNOFF_GRANT_OWNER"},
		"SIGNOFF.APP.REVOKE_PRODUCT_ACCESS": {procRevoke, "SQL", "OWNER", "SIGNOFF_GRANT_OWNER"},
	}
	if got := slices.Sorted(maps.Keys(r.procs)); !slices.Equal(got, slices.Sorted(maps.Keys(want))) {
		t.Fatalf("procedures = %v, want %v", got, slices.Sorted(maps.Keys(want)))
	}
	for name, w := range want {
		p := r.procs[name]
		if p.signature != w.signature || p.language != w.language || p.executeAs != w.executeAs || p.createdAs != w.createdAs {
			t.Errorf("%s: signature %s, LANGUAGE %s, EXECUTE AS %s, created as %s; want %s, %s, %s, %s", name,
				p.signature, p.language, p.executeAs, p.createdAs, w.signature, w.language, w.executeAs, w.createdAs)
		}
		// OR REPLACE drops grants: the USAGE grant must follow the CREATE.
		if !slices.ContainsFunc(r.usageAt[p.signature], func(i int) bool { return i > p.index }) {
			t.Errorf("%s: no GRANT USAGE after its CREATE OR REPLACE", name)
		}
	}
	// USAGE on procedures goes to SIGNOFF_APP only.
	for role, objects := range r.privileges {
		for object, privs := range objects {
			if strings.HasPrefix(object, "PROCEDURE ") && role != "SIGNOFF_APP" && slices.Contains(privs, "USAGE") {
				t.Errorf("%s is granted USAGE on %s: only SIGNOFF_APP may call the procedures", role, object)
			}
		}
	}
}

// funcAuditHash is AUDIT_HASH's signature as GRANT … ON FUNCTION names it.
const funcAuditHash = "SIGNOFF.APP.AUDIT_HASH(VARCHAR, VARCHAR, TIMESTAMP_NTZ, VARCHAR, VARCHAR, VARCHAR, VARCHAR, VARCHAR, INTEGER, VARCHAR, VARCHAR, VARCHAR, INTEGER)"

// TestRBACAuditHash: the chain's hash function is usable by the grant
// procedures' owner (which writes chained events) and by those who verify
// the log (auditors, admins), and by nobody else.
func TestRBACAuditHash(t *testing.T) {
	r := parseRBAC(t)
	var holders []string
	for role, objects := range r.privileges {
		if slices.Contains(objects["FUNCTION "+funcAuditHash], "USAGE") {
			holders = append(holders, role)
		}
	}
	slices.Sort(holders)
	if want := []string{"SIGNOFF_ADMIN", "SIGNOFF_AUDITOR", "SIGNOFF_GRANT_OWNER"}; !slices.Equal(holders, want) {
		t.Errorf("USAGE on AUDIT_HASH held by %v, want %v", holders, want)
	}
}

// identifierLiteral is the pattern the procedures check names against with
// RLIKE; it must be the app's own (signoff.ValidIdentifier).
const identifierLiteral = `'^[A-Za-z_][A-Za-z0-9_$]{0,254}$'`

var (
	roleDDL      = regexp.MustCompile(`(?i)\b(GRANT|REVOKE)\s+ROLE\b[^;]*`)
	boundRoleDDL = regexp.MustCompile(`(?i)^(?:GRANT\s+ROLE\s+IDENTIFIER\(:(\w+)\)\s+TO\s+USER\s+IDENTIFIER\(:(\w+)\)|REVOKE\s+ROLE\s+IDENTIFIER\(:(\w+)\)\s+FROM\s+USER\s+IDENTIFIER\(:(\w+)\))$`)
)

func TestRBACGrantPathBindsIdentifiers(t *testing.T) {
	r := parseRBAC(t)
	for _, tc := range []struct {
		proc, verb string
	}{
		{"SIGNOFF.APP.GRANT_PRODUCT_ACCESS", "GRANT"},
		{"SIGNOFF.APP.REVOKE_PRODUCT_ACCESS", "REVOKE"},
	} {
		t.Run(tc.proc, func(t *testing.T) {
			p := r.procs[tc.proc]
			code := stripSQLBody(p.body)
			if regexp.MustCompile(`(?i)\bEXECUTE\s+IMMEDIATE\b`).MatchString(code) {
				t.Error("uses EXECUTE IMMEDIATE: the grant path runs only static SQL")
			}
			ddl := roleDDL.FindAllString(code, -1)
			if len(ddl) == 0 {
				t.Fatalf("no %s ROLE statement", tc.verb)
			}
			params := map[string]bool{}
			for _, name := range p.params {
				params[strings.ToUpper(name)] = true
			}
			for _, d := range ddl {
				m := boundRoleDDL.FindStringSubmatch(strings.TrimSpace(d))
				if m == nil {
					t.Errorf("%q is not GRANT ROLE IDENTIFIER(:r) TO USER IDENTIFIER(:u) / REVOKE ... FROM USER ...", d)
					continue
				}
				if !strings.HasPrefix(strings.ToUpper(d), tc.verb) {
					t.Errorf("%s runs %q", tc.proc, d)
				}
				for _, v := range m[1:] {
					if v != "" && params[strings.ToUpper(v)] {
						t.Errorf("%q binds the parameter %s: the role and the user come from the tables, never from the caller", d, v)
					}
				}
			}
			rlike := strings.Index(p.body, "RLIKE "+identifierLiteral)
			first := roleDDL.FindStringIndex(code)
			if rlike < 0 {
				t.Errorf("names are not checked with RLIKE %s", identifierLiteral)
			} else if strings.Index(code, "RLIKE") > first[0] {
				t.Error("the RLIKE check comes after the GRANT/REVOKE")
			}
			txn := regexp.MustCompile(`(?i)\bBEGIN\s+TRANSACTION\b`).FindStringIndex(code)
			switch {
			case txn == nil || !strings.Contains(strings.ToUpper(code), "SQLROWCOUNT"):
				t.Error("the state change is not a checked compare-and-set in a transaction")
			case txn[0] < first[0]:
				t.Errorf("a transaction is opened before the %s: DDL would commit it", tc.verb)
			}
		})
	}

	// The SQL pattern is the app's.
	re := regexp.MustCompile(strings.Trim(identifierLiteral, "'"))
	for _, s := range []string{"ALICE", "a_b$1", "_X", "1ABC", "A-B", "A B", `A"B`, "A.B", "", "ALICE\n",
		strings.Repeat("A", 255), strings.Repeat("A", 256), "Ünïcode"} {
		if got, want := re.MatchString(s), signoff.ValidIdentifier(s); got != want {
			t.Errorf("pattern(%q) = %v, signoff.ValidIdentifier = %v", s, got, want)
		}
	}
}

func TestRBACApplyRefusesOtherStatements(t *testing.T) {
	r := parseRBAC(t)
	body := r.procs["SIGNOFF.APP.SIGNOFF_APPLY"].body
	m := regexp.MustCompile(`(?m)^var ALLOWED = /(.+)/i;$`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("SIGNOFF_APPLY has no `var ALLOWED = /.../i;` statement filter")
	}
	allowed := regexp.MustCompile("(?i)" + m[1])
	for _, must := range []string{"indexOf(';')", "BEGIN TRANSACTION", "ROLLBACK", "COMMIT",
		"getNumRowsAffected()", "'CONFLICT:' + k", "return 'OK'", "throw err"} {
		if !strings.Contains(body, must) {
			t.Errorf("SIGNOFF_APPLY does not contain %q", must)
		}
	}
	for _, tc := range []struct {
		sql  string
		want bool
	}{
		// The shapes of the app's own statements (internal/sqlstore).
		{"\nINSERT INTO access_request (request_id, product_id) SELECT ?, ? WHERE NOT EXISTS (SELECT 1 FROM access_request)", true},
		{"\nINSERT INTO request_step (request_id, step_order) SELECT ?, step_order FROM approval_chain WHERE product_id = ?", true},
		{"\nINSERT INTO audit_log (event_id, event_time) VALUES (?, ?)", true},
		{"\nUPDATE access_request SET status = ?, current_step = ? WHERE request_id = ?", true},
		{"\nUPDATE request_step SET decision = ? WHERE request_id = ? AND decision IS NULL", true},
		{"UPDATE access_request SET status = 'WITHDRAWN' WHERE request_id = ?", true},
		{"insert into SIGNOFF.APP.AUDIT_LOG(event_id) values (?)", true},
		{"\tupdate Signoff.App.Request_Step\nset decision = ?", true},
		// Everything else.
		{"UPDATE audit_log SET details = ''", false},
		{"UPDATE SIGNOFF.APP.AUDIT_LOG SET details = ''", false},
		{"DELETE FROM audit_log", false},
		{"DELETE FROM access_request WHERE 1 = 1", false},
		{"TRUNCATE TABLE audit_log", false},
		{"INSERT OVERWRITE INTO audit_log SELECT * FROM audit_log", false},
		{"INSERT ALL INTO access_request VALUES (1) SELECT 1", false},
		{"INSERT INTO audit_log_copy VALUES (1)", false},
		{"INSERT INTO data_product VALUES (1)", false},
		{"UPDATE approval_chain SET approver_role = 'PUBLIC'", false},
		{"UPDATE access_request_archive SET status = 'X'", false},
		{"UPDATE other.app.access_request SET status = 'X'", false},
		{`UPDATE "ACCESS_REQUEST" SET status = 'X'`, false},
		{"MERGE INTO access_request t USING x s ON 1 = 1 WHEN MATCHED THEN DELETE", false},
		{"WITH x AS (SELECT 1) UPDATE access_request SET status = 'X'", false},
		{"/* c */ UPDATE access_request SET status = 'X'", false},
		{"GRANT ROLE ACCOUNTADMIN TO USER MALLORY", false},
		{"CALL SIGNOFF.APP.GRANT_PRODUCT_ACCESS(?, ?, ?, ?)", false},
		{"SELECT 1", false},
		{"", false},
	} {
		if got := allowed.MatchString(tc.sql); got != tc.want {
			t.Errorf("ALLOWED(%q) = %v, want %v", tc.sql, got, tc.want)
		}
	}
}

func TestDataModelIsIdempotent(t *testing.T) {
	views := 0
	for _, st := range script(t, "snowflake/01_data_model.sql") {
		if !strings.HasPrefix(st.upper, "CREATE ") {
			continue
		}
		m := createRe.FindStringSubmatch(st.upper)
		if m == nil || runTogether(st.upper) {
			t.Errorf("line %d: CREATE not understood: %.100s", st.line, st.text)
			continue
		}
		switch kind := m[3]; {
		case kind == "VIEW":
			views++
			if m[1] == "" || m[2] == "" || !strings.Contains(st.upper, " COPY GRANTS ") || strings.Contains(st.upper, "*") {
				t.Errorf("line %d: views are CREATE OR REPLACE SECURE VIEW ... COPY GRANTS with explicit columns: %.100s", st.line, st.text)
			}
		case m[1] != "" || m[4] == "":
			t.Errorf("line %d: %s %s must be CREATE ... IF NOT EXISTS (re-running must keep the data)", st.line, kind, m[5])
		}
	}
	if views == 0 {
		t.Error("01_data_model.sql defines no read-only view for auditors")
	}
}
