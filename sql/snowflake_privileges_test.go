package sqlfiles_test

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/signoff/signoff/internal/demo"
	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/snowflake"
	"github.com/signoff/signoff/internal/sqlstore"
)

// These tests replay the install scripts (sql/snowflake/00..06) and the
// deploy scripts (deploy/10..30) statement by statement, as Snowflake would
// apply their CREATEs and GRANTs, and compare what each Signoff role ends up
// holding with what it needs. What a role needs is derived, not listed:
//
//   - SIGNOFF_OWNER: every object each API procedure reads or writes (from
//     the procedure's SQL: a SELECT needs SELECT, an INSERT INSERT, an UPDATE
//     UPDATE and SELECT), the functions and procedures it calls, READ
//     SESSION for SYS_CONTEXT('SNOWFLAKE$SESSION'), OWNERSHIP of every role
//     it grants, and USAGE on the warehouse of the scripts' DML it runs;
//   - SIGNOFF_APP: SELECT on the API view of every table the app's read SQL
//     names (internal/sqlstore, internal/snowflake), caller grants for the
//     procedures it CALLs in visitors' sessions, and what the service needs
//     to run (from spcs.yaml and the CREATE SERVICE statement);
//   - PUBLIC: the actions' procedures and what reaching them needs;
//   - SIGNOFF_AUDITOR and SIGNOFF_ADMIN: the views and the audit check.
//
// A role that lacks a needed privilege fails (a procedure whose owner cannot
// read a table it reads fails on a real account after its GRANT has
// committed), and so does a role that holds one nothing needs.

// obj names a Snowflake object as these tests key it: "TABLE SIGNOFF.MAIN.X".
type obj = string

// account is what the scripts leave behind.
type account struct {
	owner  map[obj]string                     // object → owning role
	grants map[string]map[obj]map[string]bool // role → object → privileges
	caller map[string]map[obj]map[string]bool // role → object → caller privileges
	roles  map[string][]string                // role → the roles granted to it (it inherits them)
	users  map[string][]string                // role → users it is granted to (the SET variable's name)
	procs  map[string]apiProcedure            // SIGNOFF.API.X → the procedure
	views  map[obj]string                     // view → its defining text
	dml    map[string]map[string]bool         // role → warehouses its script DML ran on
	tasks  map[string]*task                   // SIGNOFF.API.X → the task
	errs   []string                           // statements not understood
}

// task is a task the scripts create: it runs as its owner role.
type task struct {
	owner, warehouse, calls string
	resumed                 bool // an ALTER TASK ... RESUME followed its last CREATE
}

type apiProcedure struct {
	types []string // argument types, as its USAGE grants must name them
	body  string
	owner string
}

func (a *account) grant(m map[string]map[obj]map[string]bool, role string, o obj, privs ...string) {
	if m[role] == nil {
		m[role] = map[obj]map[string]bool{}
	}
	if m[role][o] == nil {
		m[role][o] = map[string]bool{}
	}
	for _, p := range privs {
		m[role][o][p] = true
	}
}

func (a *account) revoke(role string, o obj, privs ...string) {
	for _, p := range privs {
		delete(a.grants[role][o], p)
	}
	if len(a.grants[role][o]) == 0 {
		delete(a.grants[role], o)
	}
}

// inherits returns role and every role it inherits.
func (a *account) inherits(role string) []string {
	out := []string{role}
	for i := 0; i < len(out); i++ {
		for _, r := range a.roles[out[i]] {
			if !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
	}
	return out
}

// holds reports whether role may use priv on o: it (or a role it inherits)
// owns o or was granted priv on it.
func (a *account) holds(role string, o obj, priv string) bool {
	for _, r := range a.inherits(role) {
		if a.owner[o] == r || a.grants[r][o][priv] {
			return true
		}
	}
	return false
}

var (
	reUse         = regexp.MustCompile(`^USE (ROLE|SCHEMA|WAREHOUSE|SECONDARY ROLES) ([A-Z0-9_$.]+)$`)
	reCreate      = regexp.MustCompile(`^CREATE (?:OR REPLACE )?(?:SECURE )?(ROLE|WAREHOUSE|COMPUTE POOL|DATABASE|SCHEMA|TABLE|VIEW|FUNCTION|PROCEDURE|IMAGE REPOSITORY|STAGE|SECRET|SERVICE|TASK|NOTIFICATION INTEGRATION) (?:IF NOT EXISTS )?([A-Z0-9_$.]+)`)
	reProcHead    = regexp.MustCompile(`^CREATE OR REPLACE PROCEDURE ([A-Z0-9_.]+)\(([^)]*)\) RETURNS VARIANT LANGUAGE SQL COMMENT = '(?:[^']|'')*' EXECUTE AS OWNER AS \$\$BODY\$\$$`)
	reOwnership   = regexp.MustCompile(`^GRANT OWNERSHIP ON (ROLE|DATABASE|SCHEMA) ([A-Z0-9_$.]+) TO ROLE ([A-Z0-9_$]+) COPY CURRENT GRANTS$`)
	reGrantRole   = regexp.MustCompile(`^GRANT ROLE ([A-Z0-9_$]+) TO (ROLE|USER) (IDENTIFIER\(\$[A-Z_]+\)|[A-Z0-9_$]+)$`)
	reGrantDBRole = regexp.MustCompile(`^GRANT DATABASE ROLE ([A-Z0-9_$.]+) TO ROLE ([A-Z0-9_$]+)$`)
	reRevokeRole  = regexp.MustCompile(`^REVOKE ROLE ([A-Z0-9_$]+) FROM USER (IDENTIFIER\(\$[A-Z_]+\))$`)
	reCaller      = regexp.MustCompile(`^GRANT (INHERITED )?CALLER ([A-Z ,]+?) ON (ALL PROCEDURES IN SCHEMA [A-Z0-9_.]+|DATABASE [A-Z0-9_]+|SCHEMA [A-Z0-9_.]+|WAREHOUSE [A-Z0-9_]+) TO ROLE ([A-Z0-9_]+)$`)
	reTask        = regexp.MustCompile(`^CREATE (?:OR REPLACE )?TASK (?:IF NOT EXISTS )?([A-Z0-9_.]+) WAREHOUSE = ([A-Z0-9_]+) SCHEDULE = '[^']*' .* AS (CALL [A-Z0-9_.]+\((?:'[A-Z_]*')?\))$`)
	reResume      = regexp.MustCompile(`^ALTER TASK ([A-Z0-9_.]+) RESUME$`)
	rePriv        = regexp.MustCompile(`^(GRANT|REVOKE) ([A-Z ,]+?) ON (ACCOUNT|(?:DATABASE|SCHEMA|WAREHOUSE|TABLE|VIEW|PROCEDURE|FUNCTION|COMPUTE POOL|IMAGE REPOSITORY|STAGE|SECRET|SERVICE|INTEGRATION) [A-Z0-9_$.]+(?:\([A-Z0-9_, ]*\))?) (TO|FROM) ROLE ([A-Z0-9_$]+)$`)
	reSignature   = regexp.MustCompile(`^([A-Z ]+ [A-Z0-9_$.]+)\(([A-Z0-9_, ]*)\)$`)
)

// installScripts are the scripts, in the order an admin runs them.
var installScripts = []string{
	"snowflake/00_roles.sql", "snowflake/01_data_model.sql", "snowflake/02_grants.sql", "snowflake/03_api.sql",
	"snowflake/04_seed.sql", "snowflake/06_finish.sql",
	"../deploy/10_account_objects.sql", "../deploy/20_service.sql", "../deploy/30_upgrade.sql",
}

// optionalScripts are the optional steps, run after the install and deploy.
var optionalScripts = []string{"../deploy/40_notifications.sql"}

// replay applies the scripts to an empty account, and then the optional
// ones named.
func replay(t *testing.T, optional ...string) *account {
	t.Helper()
	a := &account{owner: map[obj]string{}, grants: map[string]map[obj]map[string]bool{},
		caller: map[string]map[obj]map[string]bool{}, roles: map[string][]string{}, users: map[string][]string{},
		procs: map[string]apiProcedure{}, views: map[obj]string{}, dml: map[string]map[string]bool{},
		tasks: map[string]*task{}}
	for _, name := range append(slices.Clone(installScripts), optional...) {
		src, err := os.ReadFile(filepath.FromSlash(name))
		if err != nil {
			t.Fatal(err)
		}
		stmts, err := splitScript(string(src))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		a.apply(name, stmts)
	}
	return a
}

// qualify names an object created with a partial name in the current schema.
func qualify(name, schema string) string {
	switch strings.Count(name, ".") {
	case 0:
		return schema + "." + name
	case 1:
		return strings.SplitN(schema, ".", 2)[0] + "." + name
	}
	return name
}

func (a *account) apply(file string, stmts []statement) {
	role, schema, warehouse := "", "", ""
	for _, st := range stmts {
		u := st.upper
		fail := func(why string) {
			a.errs = append(a.errs, fmt.Sprintf("%s:%d: %s: %.120s", file, st.line, why, st.text))
		}
		switch {
		case reUse.MatchString(u):
			m := reUse.FindStringSubmatch(u)
			switch m[1] {
			case "ROLE":
				role = m[2]
			case "SCHEMA":
				schema = m[2]
			case "WAREHOUSE":
				warehouse = m[2]
			}
		case strings.HasPrefix(u, "CREATE "):
			m := reCreate.FindStringSubmatch(u)
			if m == nil {
				fail("CREATE not understood")
				continue
			}
			kind, name := m[1], m[2]
			switch kind {
			case "TABLE", "VIEW", "FUNCTION", "PROCEDURE", "IMAGE REPOSITORY", "STAGE", "SECRET", "SERVICE", "TASK":
				name = qualify(name, schema)
			}
			o := kind + " " + name
			if _, ok := a.owner[o]; !ok || strings.HasPrefix(u, "CREATE OR REPLACE") {
				a.owner[o] = role
			}
			switch kind {
			case "PROCEDURE":
				h := reProcHead.FindStringSubmatch(u)
				if h == nil || len(st.bodies) != 1 {
					fail("procedure header not understood (RETURNS VARIANT, LANGUAGE SQL, COMMENT, EXECUTE AS OWNER)")
					continue
				}
				var types []string
				for _, p := range strings.Split(h[2], ", ") {
					if f := strings.Fields(p); len(f) == 2 {
						types = append(types, f[1])
					}
				}
				a.procs[name] = apiProcedure{types: types, body: st.bodies[0], owner: role}
			case "VIEW":
				a.views[o] = u
			case "TASK":
				m := reTask.FindStringSubmatch(u)
				if m == nil {
					fail("task not understood (WAREHOUSE, SCHEDULE, AS CALL)")
					continue
				}
				a.tasks[name] = &task{owner: role, warehouse: m[2], calls: m[3]}
			}
		case reOwnership.MatchString(u):
			m := reOwnership.FindStringSubmatch(u)
			a.owner[m[1]+" "+m[2]] = m[3]
		case reGrantRole.MatchString(u):
			m := reGrantRole.FindStringSubmatch(u)
			if m[2] == "ROLE" {
				a.roles[m[3]] = append(a.roles[m[3]], m[1])
			} else {
				a.users[m[1]] = append(a.users[m[1]], m[3])
			}
		case reGrantDBRole.MatchString(u):
			m := reGrantDBRole.FindStringSubmatch(u)
			a.grant(a.grants, m[2], "DATABASE ROLE "+m[1], "USAGE")
		case reRevokeRole.MatchString(u):
			m := reRevokeRole.FindStringSubmatch(u)
			a.users[m[1]] = slices.DeleteFunc(a.users[m[1]], func(x string) bool { return x == m[2] })
		case reCaller.MatchString(u):
			m := reCaller.FindStringSubmatch(u)
			a.grant(a.caller, m[4], m[3], strings.Split(m[2], ", ")...)
		case rePriv.MatchString(u):
			m := rePriv.FindStringSubmatch(u)
			o := m[3]
			if s := reSignature.FindStringSubmatch(o); s != nil {
				o = s[1]
				if p, ok := a.procs[strings.TrimPrefix(o, "PROCEDURE ")]; ok && strings.Join(p.types, ", ") != s[2] {
					fail("the grant's argument types are not the procedure's (" + strings.Join(p.types, ", ") + ")")
				}
			}
			privs := strings.Split(m[2], ", ")
			if m[1] == "GRANT" {
				a.grant(a.grants, m[5], o, privs...)
			} else {
				a.revoke(m[5], o, privs...)
			}
		case strings.HasPrefix(u, "INSERT ") || strings.HasPrefix(u, "MERGE ") || strings.HasPrefix(u, "DELETE "):
			if warehouse == "" {
				fail("DML with no warehouse in use")
			}
			if a.dml[role] == nil {
				a.dml[role] = map[string]bool{}
			}
			a.dml[role][warehouse] = true
		case reResume.MatchString(u):
			m := reResume.FindStringSubmatch(u)
			if tk := a.tasks[m[1]]; tk == nil {
				fail("resumes a task the scripts did not create")
			} else {
				tk.resumed = true
			}
		case strings.HasPrefix(u, "ALTER TABLE ") && strings.Contains(u, " ADD COLUMN IF NOT EXISTS "):
			// An upgrade's new columns: only the tables' owner may add them.
			if role != "SIGNOFF_OWNER" {
				fail("ALTER TABLE as " + role + ", which does not own the tables")
			}
		case strings.HasPrefix(u, "SET "), strings.HasPrefix(u, "SHOW "), strings.HasPrefix(u, "ALTER SERVICE "),
			u == "BEGIN TRANSACTION", u == "COMMIT", strings.HasPrefix(u, "GRANT SERVICE ROLE "):
		default:
			fail("statement not understood")
		}
	}
}

// need is a privilege some role needs, and why.
type need struct {
	role, object, privilege, why string
}

var (
	mainTable = regexp.MustCompile(`\bMAIN\.([A-Z_]+)\b`)
	calls     = regexp.MustCompile(`\bCALL SIGNOFF\.API\.([A-Z_]+)\(`)
	readTable = regexp.MustCompile(`(?i)\b(?:FROM|JOIN)\s+([a-z_]+)\b`)
	// cteName finds the names a query's WITH clause defines ("name AS (").
	cteName = regexp.MustCompile(`(?i)(?:\bWITH|,)\s+([a-z_]+)\s+AS\s*\(`)
)

// procedureNeeds derives what a procedure's owner needs from its body.
func procedureNeeds(name string, p apiProcedure, accessRoles []string) []need {
	code := strings.ToUpper(stripSQLBody(p.body))
	var out []need
	add := func(o obj, priv, why string) {
		out = append(out, need{p.owner, o, priv, name + ": " + why})
	}
	add("DATABASE SIGNOFF", "USAGE", "its objects are in SIGNOFF")
	for _, st := range strings.Split(code, ";") {
		st = strings.TrimSpace(st)
		tables := mainTable.FindAllStringSubmatch(st, -1)
		if len(tables) == 0 {
			continue
		}
		add("SCHEMA SIGNOFF.MAIN", "USAGE", "it reads and writes tables in SIGNOFF.MAIN")
		written := ""
		if m := regexp.MustCompile(`^(?:INSERT INTO|UPDATE) MAIN\.([A-Z_]+)`).FindStringSubmatch(st); m != nil {
			written = m[1]
			add("TABLE SIGNOFF.MAIN."+written, strings.Fields(st)[0], "it "+strings.ToLower(strings.Fields(st)[0])+"s "+written)
		}
		for _, tm := range tables {
			if tm[1] != written || strings.HasPrefix(st, "UPDATE") {
				add("TABLE SIGNOFF.MAIN."+tm[1], "SELECT", "it reads "+tm[1])
			}
		}
	}
	for _, f := range []string{"AUDIT_HASH", "ADD_HOURS", "ENVELOPE", "VISIBLE_LENGTH", "BIDI_CONTROLS"} {
		if strings.Contains(code, f+"(") {
			add("FUNCTION SIGNOFF.API."+f, "USAGE", "it calls "+f)
		}
	}
	for _, m := range calls.FindAllStringSubmatch(code, -1) {
		add("PROCEDURE SIGNOFF.API."+m[1], "USAGE", "it calls "+m[1])
	}
	if strings.Contains(strings.ToUpper(p.body), "SYS_CONTEXT('SNOWFLAKE$SESSION'") { // the code has its strings emptied
		add("ACCOUNT", "READ SESSION", "SYS_CONTEXT('SNOWFLAKE$SESSION', ...) needs READ SESSION in an owner's-rights procedure")
	}
	if strings.Contains(code, "GRANT ROLE IDENTIFIER(:Q_ROLE)") || strings.Contains(code, "REVOKE ROLE IDENTIFIER(:Q_ROLE)") {
		for _, r := range accessRoles {
			add("ROLE "+r, "OWNERSHIP", "it grants or revokes the access role "+r+" (GRANT ROLE needs OWNERSHIP of the role, or MANAGE GRANTS)")
		}
	}
	if strings.Contains(p.body, `'"SIGNOFF_PREFLIGHT"'`) { // PREFLIGHT grants it through IDENTIFIER(:q_role)
		add("ROLE SIGNOFF_PREFLIGHT", "OWNERSHIP", "it grants SIGNOFF_PREFLIGHT")
	}
	return out
}

// appReads are the statements the app runs on its own connection.
func appReads() []string {
	reads := []string{sqlstore.SelectProducts, sqlstore.SelectProductFor, sqlstore.SelectApproverRoles,
		sqlstore.SelectRequestDetail, sqlstore.SelectRequestsBy(1),
		sqlstore.SelectRequestsIn(1, 1), sqlstore.SelectLedgerHead, sqlstore.SelectLedgerHash, sqlstore.SelectLedgerSize,
		sqlstore.VerifyLedger(snowflake.DigestsFromJSON), snowflake.RolesThatMatter,
		sqlstore.SelectOutbox(false, 1), sqlstore.SelectPendingCount(1), sqlstore.SelectDigestPreference,
		sqlstore.SelectRoleHolders(1), sqlstore.SelectReviews(1), sqlstore.SelectOpenReviews(1), sqlstore.SelectReview}
	q, _ := sqlstore.SelectEvents(signoff.EventFilter{RequestID: "x"})
	// The queue's read in its fullest form: every table and view it may touch.
	queue, _ := sqlstore.SelectQueue(signoff.QueueFilter{Roles: []string{"R"}, User: "U", ProductID: "p",
		Classification: "c", Sort: signoff.QueueByProduct, After: &signoff.QueueKey{Sort: signoff.QueueByProduct}, Limit: 1})
	return append(reads, q, queue)
}

// appCalls are the procedures the app CALLs in visitors' sessions.
func appCalls() []string {
	var out []string
	for _, c := range snowflake.ProcedureCalls("SIGNOFF.API") {
		out = append(out, strings.TrimSuffix(strings.SplitN(strings.TrimPrefix(c, "CALL SIGNOFF.API."), "(", 2)[0], ""))
	}
	return out
}

// serviceNeeds are what SIGNOFF_APP needs for the service to run: read from
// spcs.yaml and the CREATE SERVICE statement.
func serviceNeeds(t *testing.T) []need {
	t.Helper()
	var spec struct {
		Spec struct {
			Containers []struct {
				Image   string `yaml:"image"`
				Secrets []struct {
					SnowflakeSecret struct {
						ObjectName string `yaml:"objectName"`
					} `yaml:"snowflakeSecret"`
				} `yaml:"secrets"`
			} `yaml:"containers"`
			Endpoints []struct {
				Public bool `yaml:"public"`
			} `yaml:"endpoints"`
		} `yaml:"spec"`
	}
	b, err := os.ReadFile("../spcs.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &spec); err != nil {
		t.Fatal(err)
	}
	svc := func(o, p, why string) need { return need{"SIGNOFF_APP", o, p, "the service: " + why} }
	out := []need{
		svc("SERVICE SIGNOFF.APP.SIGNOFF", "OWNERSHIP", "the service user runs as its owner role"),
		svc("SCHEMA SIGNOFF.APP", "USAGE", "the service lives in SIGNOFF.APP"),
		svc("COMPUTE POOL SIGNOFF_POOL", "USAGE", "it runs in SIGNOFF_POOL (deploy/20_service.sql)"),
		svc("WAREHOUSE SIGNOFF_WH", "USAGE", "its QUERY_WAREHOUSE and the app's reads"),
	}
	for _, c := range spec.Spec.Containers {
		parts := strings.Split(strings.TrimPrefix(c.Image, "/"), "/") // db/schema/repo/image:tag
		out = append(out, svc("IMAGE REPOSITORY "+strings.ToUpper(strings.Join(parts[:3], ".")), "READ",
			"it pulls "+c.Image+" when an instance starts"))
		for _, s := range c.Secrets {
			out = append(out, svc("SECRET "+strings.ToUpper(s.SnowflakeSecret.ObjectName), "READ",
				"its specification names the secret"))
		}
	}
	for _, e := range spec.Spec.Endpoints {
		if e.Public {
			out = append(out, svc("ACCOUNT", "BIND SERVICE ENDPOINT", "it has a public endpoint"))
			break
		}
	}
	return out
}

// accessRoles are the roles the seed hands to SIGNOFF_OWNER for the grant path.
func accessRoles() []string {
	late := lateRoles()
	var out []string
	for _, p := range demo.Products {
		if !slices.Contains(late, p.AccessRole) && !slices.Contains(out, p.AccessRole) {
			out = append(out, p.AccessRole)
		}
	}
	return out
}

// needs derives every privilege the Signoff roles need.
func needs(t *testing.T, a *account) []need {
	var out []need
	for _, name := range slices.Sorted(maps.Keys(a.procs)) {
		out = append(out, procedureNeeds(name, a.procs[name], accessRoles())...)
	}
	for v, text := range a.views {
		for _, m := range regexp.MustCompile(`FROM SIGNOFF\.MAIN\.([A-Z_]+)`).FindAllStringSubmatch(text, -1) {
			out = append(out, need{a.owner[v], "TABLE SIGNOFF.MAIN." + m[1], "SELECT", v + " selects from it"})
		}
	}
	for role, whs := range a.dml {
		for wh := range whs {
			out = append(out, need{role, "WAREHOUSE " + wh, "USAGE", "the install scripts run DML as " + role})
		}
	}
	// The app's own connection.
	app := func(o, p, why string) { out = append(out, need{"SIGNOFF_APP", o, p, why}) }
	app("DATABASE SIGNOFF", "USAGE", "the app reads the API views")
	app("SCHEMA SIGNOFF.API", "USAGE", "the app reads the API views")
	app("FUNCTION SIGNOFF.API.AUDIT_HASH", "USAGE", "the app's verification recomputes every event's hash")
	if strings.Contains(sqlstore.VerifyLedger(""), "ADD_HOURS(") {
		app("FUNCTION SIGNOFF.API.ADD_HOURS", "USAGE", "the app's verification recomputes when access ends")
	}
	for _, q := range appReads() {
		ctes := map[string]bool{}
		for _, m := range cteName.FindAllStringSubmatch(q, -1) {
			ctes[strings.ToLower(m[1])] = true
		}
		for _, m := range readTable.FindAllStringSubmatch(q, -1) {
			if ctes[strings.ToLower(m[1])] || strings.EqualFold(m[1], "table") { // a CTE, or TABLE(FLATTEN(...))
				continue
			}
			app("VIEW SIGNOFF.API."+strings.ToUpper(m[1]), "SELECT", "the app's read SQL names "+m[1])
		}
	}
	out = append(out, serviceNeeds(t)...)
	// Everyone, and the auditors and admins.
	pub := func(o, p, why string) { out = append(out, need{"PUBLIC", o, p, why}) }
	pub("DATABASE SIGNOFF", "USAGE", "everyone may call the actions")
	pub("SCHEMA SIGNOFF.API", "USAGE", "everyone may call the actions")
	pub("WAREHOUSE SIGNOFF_WH", "USAGE", "the procedures run on the caller's warehouse, which the app names")
	for _, p := range []string{"SUBMIT_REQUEST", "DECIDE_STEP", "WITHDRAW_REQUEST", "RETRY_GRANT", "REVOKE_ACCESS",
		"RESUBMIT_REQUEST", "WHOAMI", "SET_NOTIFY_DIGEST", "START_REVIEW", "DECIDE_REVIEW"} {
		pub("PROCEDURE SIGNOFF.API."+p, "USAGE", "everyone may call "+p+"; it checks who may do what")
	}
	aud := func(o, p, why string) { out = append(out, need{"SIGNOFF_AUDITOR", o, p, why}) }
	aud("DATABASE SIGNOFF", "USAGE", "auditors read the views")
	aud("SCHEMA SIGNOFF.API", "USAGE", "auditors read the views")
	for v := range a.views {
		if strings.HasPrefix(v, "VIEW SIGNOFF.API.") { // SIGNOFF.MAIN's views are the owner's, as its tables
			aud(v, "SELECT", "auditors read every request and the audit log")
		}
	}
	aud("FUNCTION SIGNOFF.API.AUDIT_HASH", "USAGE", "05_verify_audit.sql checks the hash chain")
	verify, err := os.ReadFile(filepath.FromSlash("snowflake/05_verify_audit.sql"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(verify, []byte("ADD_HOURS(")) {
		aud("FUNCTION SIGNOFF.API.ADD_HOURS", "USAGE", "05_verify_audit.sql checks when access ends")
	}
	for _, n := range []struct{ reads, object, privilege string }{
		{"SNOWFLAKE.ACCOUNT_USAGE.QUERY_HISTORY", "DATABASE ROLE SNOWFLAKE.GOVERNANCE_VIEWER", "USAGE"},
		{"SNOWFLAKE.ACCOUNT_USAGE.TABLE_DML_HISTORY", "DATABASE ROLE SNOWFLAKE.USAGE_VIEWER", "USAGE"},
		{"SIGNOFF.APP.SIGNOFF!SPCS_GET_LOGS", "SERVICE SIGNOFF.APP.SIGNOFF", "MONITOR"},
		{"SIGNOFF.APP.SIGNOFF!SPCS_GET_LOGS", "SCHEMA SIGNOFF.APP", "USAGE"},
	} {
		if bytes.Contains(verify, []byte(n.reads)) {
			aud(n.object, n.privilege, "05_verify_audit.sql reads "+n.reads)
		}
	}
	out = append(out, need{"SIGNOFF_ADMIN", "PROCEDURE SIGNOFF.API.PREFLIGHT", "USAGE", "admins run the preflight"})
	for _, p := range []string{"LIST_GRANTS", "LIST_REQUESTS"} {
		aud("PROCEDURE SIGNOFF.API."+p, "USAGE", "auditors (and admins, who inherit the role) list with "+p)
	}
	out = append(out, need{"SIGNOFF_ADMIN", "PROCEDURE SIGNOFF.API.SAVE_PRODUCT", "USAGE", "admins save products (pages, SQL)"})
	out = append(out, need{"SIGNOFF_ADMIN", "PROCEDURE SIGNOFF.API.SET_CHAIN", "USAGE", "admins set chains with SQL"})
	out = append(out, need{"SIGNOFF_ADMIN", "PROCEDURE SIGNOFF.API.SET_CHAIN_POLICY", "USAGE", "admins save the chain policy (page, SQL)"})
	out = append(out, need{"SIGNOFF_ADMIN", "PROCEDURE SIGNOFF.API.DESCRIBE_OBJECT", "USAGE", "admins read an object's columns and tags (form, SQL)"})
	for _, p := range []string{"SET_MANAGERS", "SET_MANAGER"} {
		out = append(out, need{"SIGNOFF_ADMIN", "PROCEDURE SIGNOFF.API." + p, "USAGE", "admins maintain the directory of managers"})
	}
	// Who holds roles, and users' e-mail addresses, come from ACCOUNT_USAGE
	// (SIGNOFF.MAIN.ROLE_HOLDER, SEND_NOTIFICATIONS): SECURITY_VIEWER.
	for o, text := range a.views {
		if strings.Contains(text, "SNOWFLAKE.ACCOUNT_USAGE.GRANTS_TO_") {
			out = append(out, need{a.owner[o], "DATABASE ROLE SNOWFLAKE.SECURITY_VIEWER", "USAGE", o + " reads ACCOUNT_USAGE's grants"})
		}
	}
	// The grants' last use (SIGNOFF.MAIN.ACCESS_USAGE) comes from
	// ACCOUNT_USAGE.ACCESS_HISTORY: GOVERNANCE_VIEWER.
	for o, text := range a.views {
		if strings.Contains(text, "SNOWFLAKE.ACCOUNT_USAGE.ACCESS_HISTORY") {
			out = append(out, need{a.owner[o], "DATABASE ROLE SNOWFLAKE.GOVERNANCE_VIEWER", "USAGE", o + " reads ACCOUNT_USAGE.ACCESS_HISTORY"})
		}
	}
	for name, p := range a.procs {
		if strings.Contains(strings.ToUpper(p.body), "SNOWFLAKE.ACCOUNT_USAGE.USERS") {
			out = append(out, need{p.owner, "DATABASE ROLE SNOWFLAKE.SECURITY_VIEWER", "USAGE", name + " reads ACCOUNT_USAGE.USERS"})
		}
	}
	// A task runs as its owner role: EXECUTE TASK, its warehouse, what it
	// calls (DOCS/user-guide/tasks-intro), and an integration it names.
	for name, tk := range a.tasks {
		out = append(out, need{tk.owner, "ACCOUNT", "EXECUTE TASK", "the task " + name + " runs as it"},
			need{tk.owner, "WAREHOUSE " + tk.warehouse, "USAGE", "the task " + name + " runs on it"},
			need{tk.owner, "PROCEDURE " + strings.SplitN(strings.TrimPrefix(tk.calls, "CALL "), "(", 2)[0], "USAGE",
				"the task " + name + " calls it"})
		if m := regexp.MustCompile(`'([A-Z_]+)'`).FindStringSubmatch(tk.calls); m != nil {
			out = append(out, need{tk.owner, "INTEGRATION " + m[1], "USAGE", "the task " + name + " sends e-mail through it"})
		}
	}
	// A procedure reads SIGNOFF.MAIN's views as it reads its tables.
	for i, n := range out {
		if v := strings.Replace(n.object, "TABLE ", "VIEW ", 1); strings.HasPrefix(n.object, "TABLE ") && a.views[v] != "" {
			out[i].object = v
		}
	}
	return out
}

// callerNeeds are the caller grants SIGNOFF_APP needs to CALL the app's
// procedures in a visitor's session.
func callerNeeds() map[obj][]string {
	return map[obj][]string{
		"DATABASE SIGNOFF":                     {"USAGE"},
		"SCHEMA SIGNOFF.API":                   {"USAGE"},
		"ALL PROCEDURES IN SCHEMA SIGNOFF.API": {"USAGE"},
		"WAREHOUSE SIGNOFF_WH":                 {"USAGE"},
	}
}

// check compares the account with the needs and returns the problems.
func check(t *testing.T, a *account) []string {
	var problems []string
	want := map[string]map[obj]map[string]bool{}
	for _, n := range needs(t, a) {
		if !a.holds(n.role, n.object, n.privilege) {
			problems = append(problems, fmt.Sprintf("%s lacks %s on %s, which %s", n.role, n.privilege, n.object, n.why))
		}
		if want[n.role] == nil {
			want[n.role] = map[obj]map[string]bool{}
		}
		if want[n.role][n.object] == nil {
			want[n.role][n.object] = map[string]bool{}
		}
		want[n.role][n.object][n.privilege] = true
	}
	// Extra grants: a privilege held by a Signoff role (or PUBLIC) that no
	// need explains. Ownership of what a role created itself is how it
	// exists, not a grant.
	for _, role := range []string{"SIGNOFF_OWNER", "SIGNOFF_APP", "SIGNOFF_DEPLOYER", "SIGNOFF_ADMIN", "SIGNOFF_AUDITOR", "PUBLIC"} {
		for o, privs := range a.grants[role] {
			for p := range privs {
				if !want[role][o][p] {
					problems = append(problems, fmt.Sprintf("%s holds %s on %s, which nothing needs", role, p, o))
				}
			}
		}
	}
	for o, r := range a.owner {
		if r == "SIGNOFF_APP" && o != "SERVICE SIGNOFF.APP.SIGNOFF" {
			problems = append(problems, fmt.Sprintf("SIGNOFF_APP owns %s: the running app owns nothing but its service", o))
		}
		if strings.Contains(o, "SIGNOFF.MAIN") && r != "SIGNOFF_OWNER" {
			problems = append(problems, fmt.Sprintf("%s owns %s: SIGNOFF_OWNER owns every table", r, o))
		}
	}
	for role, objs := range a.grants {
		for o := range objs {
			if (strings.Contains(o, "SIGNOFF.MAIN") || o == "SCHEMA SIGNOFF.MAIN") && role != "SIGNOFF_OWNER" {
				problems = append(problems, fmt.Sprintf("%s holds %v on %s: nobody but the owner may touch the tables", role, slices.Sorted(maps.Keys(objs[o])), o))
			}
		}
	}
	// Caller grants: exactly what CALLing the app's procedures needs.
	got := a.caller["SIGNOFF_APP"]
	for o, privs := range callerNeeds() {
		for _, p := range privs {
			if !got[o][p] {
				problems = append(problems, fmt.Sprintf("SIGNOFF_APP lacks the caller grant %s on %s, needed to CALL %v in a visitor's session", p, o, appCalls()))
			}
		}
	}
	for o, privs := range got {
		for p := range privs {
			if !slices.Contains(callerNeeds()[o], p) {
				problems = append(problems, fmt.Sprintf("SIGNOFF_APP holds the caller grant %s on %s, which nothing needs", p, o))
			}
		}
	}
	for role, cg := range a.caller {
		if role != "SIGNOFF_APP" && len(cg) > 0 {
			problems = append(problems, fmt.Sprintf("%s holds caller grants; only the service's owner role should", role))
		}
	}
	// Who holds the roles.
	for role, grantees := range a.roles {
		for _, g := range grantees {
			switch {
			case g == "SIGNOFF_OWNER":
				problems = append(problems, fmt.Sprintf("SIGNOFF_OWNER is granted to role %s: it must be held by nobody", role))
			case strings.HasPrefix(g, "SIGNOFF_") && !strings.HasPrefix(role, "SIGNOFF_"):
				problems = append(problems, fmt.Sprintf("%s is granted to %s: no Signoff role rolls up to a system role", g, role))
			}
		}
	}
	if len(a.users["SIGNOFF_OWNER"]) > 0 {
		problems = append(problems, fmt.Sprintf("SIGNOFF_OWNER is still granted to %v after 06_finish.sql", a.users["SIGNOFF_OWNER"]))
	}
	sort.Strings(problems)
	return problems
}

func TestScriptsAreUnderstood(t *testing.T) {
	a := replay(t)
	for _, e := range a.errs {
		t.Error(e)
	}
	for _, p := range []string{"SUBMIT_REQUEST", "DECIDE_STEP", "WITHDRAW_REQUEST", "RETRY_GRANT", "REVOKE_ACCESS",
		"GRANT_REQUEST", "END_ACCESS", "RESUBMIT_REQUEST", "RUN_SCHEDULE", "WHOAMI", "PREFLIGHT", "SET_MANAGERS", "SET_MANAGER",
		"DESCRIBE_OBJECT"} {
		if _, ok := a.procs["SIGNOFF.API."+p]; !ok {
			t.Errorf("no procedure SIGNOFF.API.%s", p)
		}
	}
	for _, c := range appCalls() {
		if _, ok := a.procs["SIGNOFF.API."+c]; !ok {
			t.Errorf("the app calls SIGNOFF.API.%s, which the scripts do not create", c)
		}
	}
	// Every task as snowflake.Tasks says (the preflight checks the account
	// against it), created and resumed by the install or its optional step.
	withOptional := replay(t, optionalScripts...)
	for _, want := range snowflake.Tasks {
		tk := withOptional.tasks[want.Name]
		if _, mandatory := a.tasks[want.Name]; mandatory == want.Optional {
			t.Errorf("%s: created by the install %v, but snowflake.Tasks says optional %v", want.Name, mandatory, want.Optional)
		}
		if tk == nil {
			t.Errorf("no script creates the task %s", want.Name)
			continue
		}
		if tk.owner != want.Owner || tk.warehouse != want.Warehouse || tk.calls != want.Calls || !tk.resumed {
			t.Errorf("%s: owned by %s, on %s, runs %q, resumed %v; snowflake.Tasks says %s, %s, %q",
				want.Name, tk.owner, tk.warehouse, tk.calls, tk.resumed, want.Owner, want.Warehouse, want.Calls)
		}
	}
	if len(withOptional.tasks) != len(snowflake.Tasks) {
		t.Errorf("the scripts create %d tasks, snowflake.Tasks lists %d", len(withOptional.tasks), len(snowflake.Tasks))
	}
}

// TestOptionalStepGrants: after the optional steps too, every role holds
// exactly what it needs, which is ExpectedGrants and OptionalGrants.
func TestOptionalStepGrants(t *testing.T) {
	a := replay(t, optionalScripts...)
	for _, e := range a.errs {
		t.Error(e)
	}
	for _, p := range check(t, a) {
		t.Error(p)
	}
	var got, want []string
	for _, role := range append(slices.Clone(snowflake.SignoffRoles), "PUBLIC") {
		for o, privs := range a.grants[role] {
			for p := range privs {
				got = append(got, asGrant(role, o, p).Key())
			}
		}
	}
	for _, g := range append(slices.Clone(snowflake.ExpectedGrants), snowflake.OptionalGrants...) {
		want = append(want, g.Key())
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("with the optional steps the scripts grant:\n  %s\nExpectedGrants and OptionalGrants say:\n  %s",
			strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// TestPrivilegesAreExactlyWhatIsNeeded is the test the review asked for: it
// fails when a role lacks a privilege something needs, and when it holds one
// nothing needs.
func TestPrivilegesAreExactlyWhatIsNeeded(t *testing.T) {
	a := replay(t)
	for _, p := range check(t, a) {
		t.Error(p)
	}
	if t.Failed() {
		return
	}
	var lines []string
	for _, role := range []string{"SIGNOFF_OWNER", "SIGNOFF_APP", "SIGNOFF_DEPLOYER", "SIGNOFF_ADMIN", "SIGNOFF_AUDITOR", "PUBLIC"} {
		for _, o := range slices.Sorted(maps.Keys(a.grants[role])) {
			lines = append(lines, fmt.Sprintf("%-16s %-40s %s", role, strings.Join(slices.Sorted(maps.Keys(a.grants[role][o])), ", "), o))
		}
	}
	t.Logf("grants after install and deploy:\n%s", strings.Join(lines, "\n"))
}

// TestPrivilegeCheckCatchesMistakes breaks the replayed account in the ways
// the review found (and a few more) and checks that each is reported.
func TestPrivilegeCheckCatchesMistakes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		break_ func(a *account)
		want   string
	}{
		{"a procedure's owner cannot read the audit log (the review's GRANT_PRODUCT_ACCESS bug)",
			func(a *account) { a.owner["TABLE SIGNOFF.MAIN.AUDIT_LOG"] = "SYSADMIN" },
			"SIGNOFF_OWNER lacks SELECT on TABLE SIGNOFF.MAIN.AUDIT_LOG"},
		{"the owner may not read sessions",
			func(a *account) { a.revoke("SIGNOFF_OWNER", "ACCOUNT", "READ SESSION") },
			"SIGNOFF_OWNER lacks READ SESSION on ACCOUNT"},
		{"an access role owned by someone else",
			func(a *account) { a.owner["ROLE CUSTOMER_360_READ"] = "USERADMIN" },
			"SIGNOFF_OWNER lacks OWNERSHIP on ROLE CUSTOMER_360_READ"},
		{"the app may write a table",
			func(a *account) { a.grant(a.grants, "SIGNOFF_APP", "TABLE SIGNOFF.MAIN.ACCESS_REQUEST", "UPDATE") },
			"SIGNOFF_APP holds UPDATE on TABLE SIGNOFF.MAIN.ACCESS_REQUEST, which nothing needs"},
		{"the app keeps a deploy-time power",
			func(a *account) { a.grant(a.grants, "SIGNOFF_APP", "SCHEMA SIGNOFF.APP", "CREATE SERVICE") },
			"SIGNOFF_APP holds CREATE SERVICE on SCHEMA SIGNOFF.APP, which nothing needs"},
		{"the app cannot read a view its SQL reads",
			func(a *account) { a.revoke("SIGNOFF_APP", "VIEW SIGNOFF.API.REQUEST_STEP", "SELECT") },
			"SIGNOFF_APP lacks SELECT on VIEW SIGNOFF.API.REQUEST_STEP"},
		{"a caller grant that manages grants",
			func(a *account) { a.grant(a.caller, "SIGNOFF_APP", "DATABASE SIGNOFF", "GRANT MANAGEMENT") },
			"SIGNOFF_APP holds the caller grant GRANT MANAGEMENT on DATABASE SIGNOFF"},
		{"no caller grant on the warehouse",
			func(a *account) { delete(a.caller["SIGNOFF_APP"], "WAREHOUSE SIGNOFF_WH") },
			"SIGNOFF_APP lacks the caller grant USAGE on WAREHOUSE SIGNOFF_WH"},
		{"the owner rolls up to SYSADMIN",
			func(a *account) { a.roles["SYSADMIN"] = append(a.roles["SYSADMIN"], "SIGNOFF_OWNER") },
			"SIGNOFF_OWNER is granted to role SYSADMIN"},
		{"the installer keeps the owner role",
			func(a *account) { a.users["SIGNOFF_OWNER"] = []string{"IDENTIFIER($SIGNOFF_INSTALLER)"} },
			"SIGNOFF_OWNER is still granted"},
		{"everyone may run the preflight",
			func(a *account) { a.grant(a.grants, "PUBLIC", "PROCEDURE SIGNOFF.API.PREFLIGHT", "USAGE") },
			"PUBLIC holds USAGE on PROCEDURE SIGNOFF.API.PREFLIGHT, which nothing needs"},
		{"the schedule task's owner may not run tasks",
			func(a *account) { a.revoke("SIGNOFF_OWNER", "ACCOUNT", "EXECUTE TASK") },
			"SIGNOFF_OWNER lacks EXECUTE TASK on ACCOUNT, which the task SIGNOFF.API.SIGNOFF_SCHEDULE runs as it"},
		{"the schedule task runs on a warehouse its owner may not use",
			func(a *account) { a.tasks["SIGNOFF.API.SIGNOFF_SCHEDULE"].warehouse = "COMPUTE_WH" },
			"SIGNOFF_OWNER lacks USAGE on WAREHOUSE COMPUTE_WH, which the task SIGNOFF.API.SIGNOFF_SCHEDULE runs on it"},
		{"an auditor may read a table",
			func(a *account) { a.grant(a.grants, "SIGNOFF_AUDITOR", "TABLE SIGNOFF.MAIN.AUDIT_LOG", "SELECT") },
			"nobody but the owner may touch the tables"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := replay(t)
			tc.break_(a)
			problems := check(t, a)
			if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, tc.want) }) {
				t.Errorf("not reported: %q; the check said:\n%s", tc.want, strings.Join(problems, "\n"))
			}
		})
	}
}

// objectTypes are the object types of the replay's keys, longest first.
var objectTypes = []string{"ALL PROCEDURES IN SCHEMA", "IMAGE REPOSITORY", "COMPUTE POOL", "DATABASE ROLE", "DATABASE", "SCHEMA",
	"WAREHOUSE", "TABLE", "VIEW", "PROCEDURE", "FUNCTION", "STAGE", "SECRET", "SERVICE", "INTEGRATION", "ROLE", "ACCOUNT"}

// asGrant reads a replay key ("VIEW SIGNOFF.API.X") as a snowflake.Grant.
func asGrant(role, key, privilege string) snowflake.Grant {
	for _, typ := range objectTypes {
		if key == typ || strings.HasPrefix(key, typ+" ") {
			switch typ {
			case "ACCOUNT":
				return snowflake.Grant{Role: role, Privilege: privilege, On: typ}
			case "ALL PROCEDURES IN SCHEMA":
				return snowflake.Grant{Role: role, Privilege: privilege, On: "PROCEDURE", Name: key}
			}
			return snowflake.Grant{Role: role, Privilege: privilege, On: typ, Name: strings.TrimPrefix(key, typ+" ")}
		}
	}
	return snowflake.Grant{Role: role, Privilege: privilege, On: "?", Name: key}
}

// TestExpectedGrantsAreTheScripts holds snowflake.ExpectedGrants, the list
// the preflight checks a real account against, to what the scripts grant.
func TestExpectedGrantsAreTheScripts(t *testing.T) {
	a := replay(t)
	var got, want []string
	for _, role := range append(slices.Clone(snowflake.SignoffRoles), "PUBLIC") {
		for o, privs := range a.grants[role] {
			for p := range privs {
				got = append(got, asGrant(role, o, p).Key())
			}
		}
	}
	for _, g := range snowflake.ExpectedGrants {
		want = append(want, g.Key())
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("the scripts grant:\n  %s\nsnowflake.ExpectedGrants says:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	got, want = nil, nil
	for o, privs := range a.caller["SIGNOFF_APP"] {
		for p := range privs {
			got = append(got, asGrant("SIGNOFF_APP", o, p).Key())
		}
	}
	for _, g := range snowflake.ExpectedCallerGrants {
		want = append(want, g.Key())
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("the scripts grant the caller grants %v; snowflake.ExpectedCallerGrants says %v", got, want)
	}
	for _, g := range snowflake.Owned {
		if o := g.On + " " + g.Name; a.owner[o] != g.Role {
			t.Errorf("%s is owned by %q, want %s", o, a.owner[o], g.Role)
		}
	}
}
