package snowflake

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/signoff/signoff/internal/signoff"
)

// Doctor is the Snowflake engine's preflight (signoff doctor, and the
// admins' /doctor page). It checks on a real account what the code assumes
// about Snowflake: with the service's own connection, the token, the
// session, the views, the audit log's digests and every Signoff role's
// grants against the install scripts (ExpectedGrants); with the visiting
// admin's caller's-rights session, what the procedures see of a caller,
// the grant path, the audit hash, timestamps, the text rules, the chain
// snapshot and a dry run of every action. Each failure comes with its fix.
// docs/snowflake.md lists the checks and the sources of what they check.
type Doctor struct {
	store     *Store
	tokenFile string
	warehouse string
	service   string // the service whose logs keep the audit log's digests (Anchor)
	ids       signoff.IDGenerator
	now       func() time.Time
}

var _ signoff.Diagnoser = (*Doctor)(nil)

// NewDoctor returns the preflight of store, opened with cfg. A cfg without
// a Service checks DefaultService, as signoff serve would keep digests in.
func NewDoctor(store *Store, cfg Config) *Doctor {
	service := cfg.Service
	if service == "" {
		service = DefaultService
	}
	return &Doctor{store: store, tokenFile: cfg.TokenFile, warehouse: strings.ToUpper(cfg.Warehouse), service: service,
		now: time.Now}
}

// Diagnose runs the service checks, then the checks of admin's own
// caller's-rights session.
func (d *Doctor) Diagnose(ctx context.Context, admin signoff.Identity) (signoff.Checks, error) {
	return append(d.ServiceChecks(ctx), d.SessionChecks(ctx, admin)...), nil
}

// ServiceChecks are the checks the service's own connection can make: what
// signoff doctor runs inside the container, where no visitor is.
func (d *Doctor) ServiceChecks(ctx context.Context) signoff.Checks {
	cs := signoff.Checks{d.tokenFileCheck(), d.serviceSessionCheck(ctx), d.viewsCheck(ctx), d.roleHolderCheck(ctx),
		d.accessUsageCheck(ctx), d.managersCheck(ctx), d.digestsCheck(ctx)}
	for _, role := range SignoffRoles {
		cs = append(cs, d.roleGrantsCheck(ctx, role))
	}
	cs = append(cs, d.publicChecks(ctx)...)
	cs = append(cs, d.callerGrantsCheck(ctx),
		d.holdersCheck(ctx, "SIGNOFF_OWNER", nil,
			"whoever holds it can change the data, the procedures and the access roles with no audit event"),
		d.holdersCheck(ctx, "SIGNOFF_APP", []string{"ROLE SIGNOFF_DEPLOYER"},
			"whoever holds it can alter the service (its image, its specification)"))
	return cs
}

// preflightSQL is where the checks the service's role may not make are made.
const preflightSQL = "deploy/preflight.sql, run in a worksheet as SECURITYADMIN, checks it."

func (d *Doctor) tokenFileCheck() signoff.Check {
	c := signoff.Check{Name: "Service token file"}
	if d.tokenFile == "" {
		c.Status, c.Detail = signoff.CheckSkip, "No token file is configured."
		return c
	}
	b, err := os.ReadFile(d.tokenFile)
	switch {
	case err != nil:
		c.Status, c.Detail = signoff.CheckFail, err.Error()
		c.Fix = "Signoff connects with the OAuth token Snowpark Container Services mounts at " + DefaultTokenFile +
			": run it in the service, or point --token-file at the token."
	case len(strings.TrimSpace(string(b))) == 0:
		c.Status, c.Detail = signoff.CheckFail, d.tokenFile+" is empty."
		c.Fix = "Snowflake writes the token there; restart the service if it stays empty."
	default:
		c.Status, c.Detail = signoff.CheckPass, fmt.Sprintf("%s is readable (%d bytes).", d.tokenFile, len(b))
		if fi, err := os.Stat(d.tokenFile); err == nil {
			c.Detail = fmt.Sprintf("%s is readable (%d bytes, written %s ago; Snowflake rewrites it every few minutes).",
				d.tokenFile, len(b), d.now().Sub(fi.ModTime()).Round(time.Second))
		}
	}
	return c
}

// serviceSessionQuery is the statement the preflight runs to see the
// service's own session.
const serviceSessionQuery = `SELECT CURRENT_USER(), CURRENT_ROLE(), CURRENT_WAREHOUSE(), CURRENT_VERSION()`

func (d *Doctor) serviceSessionCheck(ctx context.Context) signoff.Check {
	c := signoff.Check{Name: "Service session"}
	var user, role, warehouse, version sql.NullString
	start := time.Now()
	err := d.store.db.QueryRowContext(ctx, serviceSessionQuery).Scan(&user, &role, &warehouse, &version)
	took := time.Since(start).Round(time.Millisecond)
	if err != nil {
		c.Status, c.Detail = signoff.CheckFail, translate(err).Error()
		c.Fix = "The service cannot run a statement in Snowflake. Check the service's log and its events (SHOW SERVICE CONTAINERS IN SERVICE SIGNOFF.APP.SIGNOFF)."
		return c
	}
	c.Detail = fmt.Sprintf("User %s, role %s, warehouse %s, Snowflake %s; the statement took %s.",
		user.String, role.String, orNone(warehouse.String), version.String, took)
	switch {
	case role.String != "SIGNOFF_APP":
		c.Status = signoff.CheckFail
		c.Fix = "The service's user runs as the role that owns the service: create it as SIGNOFF_APP (deploy/20_service.sql)."
	case warehouse.String != d.warehouse:
		c.Status = signoff.CheckFail
		c.Fix = fmt.Sprintf("The session has no usable warehouse %s: grant USAGE on it to SIGNOFF_APP (sql/snowflake/00_roles.sql) and name it with --warehouse.", d.warehouse)
	default:
		c.Status = signoff.CheckPass
	}
	return c
}

// ViewsQuery reads every API view the app reads, in one statement.
const ViewsQuery = `SELECT (SELECT COUNT(*) FROM data_product), (SELECT COUNT(*) FROM approval_chain),
  (SELECT COUNT(*) FROM access_request), (SELECT COUNT(*) FROM request_step), (SELECT COUNT(*) FROM audit_log)`

func (d *Doctor) viewsCheck(ctx context.Context) signoff.Check {
	c := signoff.Check{Name: "API views"}
	var products, steps, requests, reqSteps, events int64
	if err := d.store.db.QueryRowContext(ctx, ViewsQuery).Scan(&products, &steps, &requests, &reqSteps, &events); err != nil {
		c.Status, c.Detail = signoff.CheckFail, translate(err).Error()
		c.Fix = "SIGNOFF_APP reads the five views of " + d.store.apiSchema + ": run sql/snowflake/01_data_model.sql and 02_grants.sql."
		return c
	}
	c.Status = signoff.CheckPass
	c.Detail = fmt.Sprintf("All five are readable: %d products, %d chain steps, %d requests, %d request steps, %d audit events.",
		products, steps, requests, reqSteps, events)
	return c
}

// RoleHolderQuery reads the ROLE_HOLDER view as the app's Directory does
// (sqlstore.SelectRoleHolders), counted.
const RoleHolderQuery = `SELECT COUNT(*), COUNT(DISTINCT role_name) FROM role_holder`

// roleHolderCheck reads SIGNOFF.API.ROLE_HOLDER on the service's
// connection: a view over SIGNOFF.MAIN.ROLE_HOLDER, itself over
// ACCOUNT_USAGE's GRANTS_TO_USERS and GRANTS_TO_ROLES, which its owner may
// read through the SNOWFLAKE database role SECURITY_VIEWER
// (DOCS/sql-reference/snowflake-db-roles). Whether a role without
// SECURITY_VIEWER may read a view over them is what only an account can
// say: the grants checks see the grants, this one the read.
func (d *Doctor) roleHolderCheck(ctx context.Context) signoff.Check {
	c := signoff.Check{Name: "Who holds roles (ROLE_HOLDER)"}
	var holders, roles int64
	if err := d.store.db.QueryRowContext(ctx, RoleHolderQuery).Scan(&holders, &roles); err != nil {
		c.Status, c.Detail = signoff.CheckFail, translate(err).Error()
		c.Fix = "SIGNOFF_APP reads SIGNOFF.API.ROLE_HOLDER (02_grants.sql), whose owner SIGNOFF_OWNER reads ACCOUNT_USAGE " +
			"through SNOWFLAKE.SECURITY_VIEWER (02_grants.sql). If the grants checks pass and this still fails, Snowflake " +
			"refuses a view over ACCOUNT_USAGE to a role without the database role: report it with this page. Until then " +
			"no page says who can decide a step, and the scheduler escalates every step with a fallback role as blocked."
		return c
	}
	if holders == 0 {
		c.Status = signoff.CheckWarn
		c.Detail = "ROLE_HOLDER is readable but lists nobody: ACCOUNT_USAGE's grants views are up to two hours behind, " +
			"so on a fresh install nobody appears to hold an approver role yet."
		c.Fix = "Wait two hours after granting approver roles. Meanwhile the scheduler may escalate steps to their " +
			"fallback role as blocked; the original approvers can still decide them."
		return c
	}
	c.Status = signoff.CheckPass
	c.Detail = fmt.Sprintf("Readable: %d grants of %d roles to users, as ACCOUNT_USAGE held them (up to two hours ago).", holders, roles)
	return c
}

// ManagersQuery reads the directory of managers as the product page does
// (sqlstore.SelectManagerOf), counted: its users, the users with more than
// one row (standard tables enforce no key; the verifier reports them), and
// the chain steps that need it.
const ManagersQuery = `SELECT COUNT(*), COUNT(*) - COUNT(DISTINCT user_name),
  (SELECT COUNT(*) FROM approval_chain WHERE step_kind = 'MANAGER') FROM user_manager`

// managersCheck reads SIGNOFF.API.USER_MANAGER on the service's
// connection: the directory that MANAGER chain steps resolve through.
func (d *Doctor) managersCheck(ctx context.Context) signoff.Check {
	c := signoff.Check{Name: "Directory of managers (USER_MANAGER)"}
	var users, duplicates, steps int64
	if err := d.store.db.QueryRowContext(ctx, ManagersQuery).Scan(&users, &duplicates, &steps); err != nil {
		c.Status, c.Detail = signoff.CheckFail, translate(err).Error()
		c.Fix = "SIGNOFF_APP reads SIGNOFF.API.USER_MANAGER: run sql/snowflake/01_data_model.sql and 02_grants.sql. " +
			"Until then product pages fail to say who decides a manager step."
		return c
	}
	switch {
	case duplicates > 0:
		c.Status = signoff.CheckFail
		c.Detail = fmt.Sprintf("%d users have more than one row: only SET_MANAGERS should write the table, and it never does that.", duplicates)
		c.Fix = "Someone who holds SIGNOFF_OWNER wrote SIGNOFF.MAIN.USER_MANAGER directly: verify the audit log " +
			"(/audit/verify), then set those users' managers again with SIGNOFF.API.SET_MANAGERS."
	case users == 0 && steps > 0:
		c.Status = signoff.CheckWarn
		c.Detail = fmt.Sprintf("%d chain steps are the requester's manager's, and the directory names nobody's manager: "+
			"requests for those products are refused (NO_MANAGER).", steps)
		c.Fix = "Load the directory as " + signoff.RoleAdmin + ": CALL SIGNOFF.API.SET_MANAGERS((SELECT ARRAY_AGG(" +
			"OBJECT_CONSTRUCT('user', ..., 'manager', ...)) FROM <your HR table>)), or on the Directory page (deploy/README.md)."
	default:
		c.Status = signoff.CheckPass
		c.Detail = fmt.Sprintf("Readable: %d users have a manager; %d chain steps are the requester's manager's.", users, steps)
	}
	return c
}

// digestsCheck reads the audit log's digests back from both places the
// service keeps them (Anchor), on the service's own connection as the
// verifier does, and compares the newest with the log. It costs two
// statements, three once a digest exists, each on the service's warehouse:
// QueryHistoryDigests reads the service user's own query history of 7 days
// (at most 10,000 queries); LogDigests scans this service's rows of the
// event table over a year, the heaviest statement of the preflight and the
// same one every verification runs; SelectLedgerHash reads one row of the
// audit log view. QUERY_HISTORY_BY_USER needs no grant for the user's own
// queries (DOCS/sql-reference/functions/query_history); SPCS_GET_LOGS needs
// MONITOR on the service (DOCS/sql-reference/functions/spcs_get_logs),
// which SIGNOFF_APP holds as its owner (an owner holds every privilege on
// what it owns, DOCS/user-guide/security-access-control-overview).
func (d *Doctor) digestsCheck(ctx context.Context) signoff.Check {
	c := signoff.Check{Name: "Audit log digests"}
	sources := []struct {
		name, query string
		fix         string // when the source cannot be read
	}{
		{"the query history", QueryHistoryDigests,
			"The service reads its own query history with INFORMATION_SCHEMA.QUERY_HISTORY_BY_USER, which needs no " +
				"grant: the error says what failed, and the Service session check whether the service can run a statement at all."},
		{"the event table", LogDigests(d.service),
			"The service reads its logs with " + d.service + "!SPCS_GET_LOGS, which needs MONITOR on the service; " +
				"SIGNOFF_APP has it by owning the service (deploy/20_service.sql). Check that --service " +
				"(SIGNOFF_SERVICE) names this service, and that SIGNOFF_APP owns it: SHOW GRANTS ON SERVICE " + d.service + "."},
	}
	var all []signoff.Digest
	var held, problems, fixes []string
	counts := make([]int, len(sources)) // of each source, in order
	for i, s := range sources {
		ds, err := digestLines(ctx, d.store.db, s.query)
		if err != nil {
			problems = append(problems, fmt.Sprintf("Signoff cannot read its digests in %s: %v.", s.name, err))
			fixes = append(fixes, s.fix)
			continue
		}
		counts[i] = len(ds)
		held = append(held, s.name+" holds "+nDigests(len(ds)))
		all = append(all, ds...)
	}
	var newest signoff.Digest
	if len(all) > 0 {
		newest = newestDigest(all)
		when := newest.Taken.UTC().Format("2006-01-02 15:04:05 UTC")
		hash, ok, err := d.store.reads.LedgerHash(ctx, newest.Seq)
		switch {
		case err != nil:
			problems = append(problems, fmt.Sprintf("Signoff cannot read event %d of the audit log to compare it with "+
				"the newest digest: %v.", newest.Seq, err))
			fixes = append(fixes, "SIGNOFF_APP reads the audit log view: see the API views check.")
		case !ok:
			// First: nothing on the page matters more.
			problems = append([]string{fmt.Sprintf("The audit log changed after the digest of %s: it no longer holds "+
				"event %d, which the digest recorded. Events were removed.", when, newest.Seq)}, problems...)
			fixes = append([]string{rewrittenFix}, fixes...)
		case hash != newest.Hash:
			problems = append([]string{fmt.Sprintf("The audit log changed after the digest of %s: event %d is not the "+
				"event the digest recorded. History was rewritten.", when, newest.Seq)}, problems...)
			fixes = append([]string{rewrittenFix}, fixes...)
		}
	}
	history, events := counts[0], counts[1]
	switch {
	case len(problems) > 0:
		c.Status = signoff.CheckFail
		if len(held) > 0 {
			problems = append(problems, "Read: "+strings.Join(held, ", ")+".")
		}
		c.Detail, c.Fix = strings.Join(problems, " "), strings.Join(fixes, "\n")
	case len(all) == 0:
		c.Status = signoff.CheckWarn
		c.Detail = "Neither the query history (the service's last 7 days) nor the event table (a year) holds a digest of the audit log yet."
		c.Fix = "On a fresh install this is expected: the service takes the first digest once the audit log has an event, " +
			"and another after each change. If requests were made and this stays, look for \"audit digest not taken\" " +
			"in the service's log."
	case history > 0 && events == 0:
		c.Status = signoff.CheckWarn
		c.Detail = fmt.Sprintf("The query history holds %s, but the event table none: the service's log lines "+
			"do not reach it, so digests older than 7 days will be kept nowhere the service can read.", nDigests(history))
		c.Fix = "Log lines reach the event table some time after they are written. If this stays, the account's " +
			"event table does not collect the service's logs: check SHOW PARAMETERS LIKE 'EVENT_TABLE' IN ACCOUNT, " +
			"and logExporters in spcs.yaml."
	default:
		c.Status = signoff.CheckPass
		c.Detail = fmt.Sprintf("The query history holds %s (the service's last 7 days), the event table %s (a year); "+
			"the newest, of %s, records event %d, which the audit log still holds unchanged.",
			nDigests(history), nDigests(events), newest.Taken.UTC().Format("2006-01-02 15:04:05 UTC"), newest.Seq)
	}
	return c
}

func nDigests(n int) string {
	if n == 1 {
		return "1 digest"
	}
	return fmt.Sprintf("%d digests", n)
}

// rewrittenFix is what to do when the audit log no longer holds what its
// newest digest recorded.
const rewrittenFix = "Open /audit/verify (as an admin or auditor) to see which events changed, and leave the digests " +
	"in Snowflake's query history and event table alone: they are the evidence. Snowflake's QUERY_HISTORY and " +
	"ACCESS_HISTORY show who wrote the tables; only a holder of SIGNOFF_OWNER can."

// show runs a SHOW statement on the service connection and returns its
// rows as column name → text.
func (d *Doctor) show(ctx context.Context, stmt string) ([]map[string]string, error) {
	rows, err := d.store.db.QueryContext(ctx, stmt)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []map[string]string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		dest := make([]any, len(cols))
		for i := range vals {
			dest[i] = &vals[i]
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		row := make(map[string]string, len(cols))
		for i, c := range cols {
			row[strings.ToLower(c)] = vals[i].String
		}
		out = append(out, row)
	}
	return out, translate(rows.Err())
}

// showFailed is the check of a SHOW statement that could not run: a SKIP
// when the service's role may not run it, a FAIL otherwise.
func showFailed(name string, err error) signoff.Check {
	if errors.Is(err, signoff.ErrForbidden) {
		return signoff.Check{Name: name, Status: signoff.CheckSkip,
			Detail: "SIGNOFF_APP may not list this (" + err.Error() + ").", Fix: preflightSQL}
	}
	return signoff.Check{Name: name, Status: signoff.CheckFail, Detail: err.Error(),
		Fix: "The SHOW statement failed; " + preflightSQL}
}

// ShowGrant reads one row of SHOW GRANTS TO ROLE as a Grant: object types
// as the GRANT statement spells them (COMPUTE_POOL is COMPUTE POOL), names
// without quotes, procedures and functions without their signature, and
// the account without its name.
func ShowGrant(role string, row map[string]string) Grant {
	on := strings.ReplaceAll(strings.ToUpper(row["granted_on"]), "_", " ")
	name := strings.ReplaceAll(row["name"], `"`, "")
	switch on {
	case "ACCOUNT":
		name = ""
	case "PROCEDURE", "FUNCTION":
		if i := strings.IndexByte(name, '('); i >= 0 {
			name = name[:i]
		}
	}
	return Grant{Role: role, Privilege: strings.ToUpper(row["privilege"]), On: on, Name: name}
}

// showCallerGrant reads one row of SHOW CALLER GRANTS TO ROLE: a grant on
// every object of a type in a schema reads as "ALL PROCEDURES IN SCHEMA
// SIGNOFF.API", as the GRANT INHERITED CALLER statement names it.
func showCallerGrant(role string, row map[string]string) Grant {
	g := ShowGrant(role, row)
	if strings.EqualFold(row["is_inherited"], "true") {
		scope := strings.ToUpper(row["inherited_from"])
		where := row["inherited_from_database"]
		if scope == "SCHEMA" {
			where += "." + row["inherited_from_schema"]
		}
		g.Name = strings.TrimSpace("ALL " + g.On + "S IN " + scope + " " + strings.ReplaceAll(where, `"`, ""))
	}
	return g
}

// diff returns the grants of want missing from got, and those of got that
// want does not list.
func diff(want, got []Grant) (missing, extra []Grant) {
	has := func(list []Grant, g Grant) bool {
		return slices.ContainsFunc(list, func(x Grant) bool { return x.Key() == g.Key() })
	}
	for _, g := range want {
		if !has(got, g) {
			missing = append(missing, g)
		}
	}
	for _, g := range got {
		if !has(want, g) && !has(extra, g) {
			extra = append(extra, g)
		}
	}
	return missing, extra
}

// grantsOf returns the grants of list held by role.
func grantsOf(list []Grant, role string) []Grant {
	var out []Grant
	for _, g := range list {
		if g.Role == role {
			out = append(out, g)
		}
	}
	return out
}

// ownersOfAnything are the roles whose ownerships the preflight does not
// list one by one: SIGNOFF_OWNER owns the data, procedures and access
// roles, SIGNOFF_DEPLOYER what it creates in SIGNOFF.APP.
var ownersOfAnything = []string{"SIGNOFF_OWNER", "SIGNOFF_DEPLOYER"}

func (d *Doctor) roleGrantsCheck(ctx context.Context, role string) signoff.Check {
	name := "Grants to " + role
	rows, err := d.show(ctx, "SHOW GRANTS TO ROLE "+role)
	if err != nil {
		return showFailed(name, err)
	}
	var got, owns []Grant
	for _, row := range rows {
		g := ShowGrant(role, row)
		if g.Privilege == "OWNERSHIP" {
			owns = append(owns, g)
			continue
		}
		got = append(got, g)
	}
	missing, extra := diff(append(grantsOf(ExpectedGrants, role), grantsOf(ExpectedRoleGrants, role)...), got)
	// A grant of an optional step (OptionalGrants) is neither missing nor extra.
	extra, _ = diff(extra, grantsOf(OptionalGrants, role))
	missingOwn, extraOwn := diff(grantsOf(Owned, role), owns)
	missing = append(missing, missingOwn...)
	if !slices.Contains(ownersOfAnything, role) {
		extra = append(extra, extraOwn...)
	}
	return grantsVerdict(name, len(got), missing, extra, false)
}

// grantsVerdict is the check comparing a role's grants with the expected
// ones, with the statements that fix a difference.
func grantsVerdict(name string, n int, missing, extra []Grant, caller bool) signoff.Check {
	c := signoff.Check{Name: name}
	if len(missing) == 0 && len(extra) == 0 {
		c.Status, c.Detail = signoff.CheckPass, fmt.Sprintf("%d privileges, exactly those the install scripts grant.", n)
		return c
	}
	c.Status = signoff.CheckFail
	var detail, fix []string
	if len(missing) > 0 {
		detail = append(detail, "Missing: "+keys(missing)+".")
		for _, g := range missing {
			fix = append(fix, g.Statement("GRANT", caller)+";")
		}
	}
	if len(extra) > 0 {
		detail = append(detail, "Not expected: "+keys(extra)+".")
		for _, g := range extra {
			fix = append(fix, g.Statement("REVOKE", caller)+";")
		}
	}
	c.Detail = strings.Join(detail, " ")
	c.Fix = "As SECURITYADMIN (ACCOUNTADMIN for caller grants), or by running the install scripts again:\n" + strings.Join(fix, "\n")
	return c
}

func keys(gs []Grant) string {
	var out []string
	for _, g := range gs {
		out = append(out, strings.TrimSpace(g.Privilege+" ON "+g.On+" "+g.Name))
	}
	return strings.Join(out, "; ")
}

// Statement is the GRANT (verb "GRANT") or REVOKE statement of g; caller
// makes it a caller grant. A procedure's statement needs its argument
// types, which SHOW GRANTS does not list: it says so.
func (g Grant) Statement(verb string, caller bool) string {
	to := " TO ROLE "
	if verb == "REVOKE" {
		to = " FROM ROLE "
	}
	priv := g.Privilege
	if caller {
		priv = "CALLER " + priv
		if strings.HasPrefix(g.Name, "ALL ") {
			priv = "INHERITED " + priv
		}
	}
	switch {
	case g.Privilege == "OWNERSHIP" && verb == "REVOKE":
		return "GRANT OWNERSHIP ON " + g.On + " " + g.Name + " TO ROLE SIGNOFF_OWNER COPY CURRENT GRANTS -- or to the role that should own it"
	case g.Privilege == "OWNERSHIP":
		return "GRANT OWNERSHIP ON " + g.On + " " + g.Name + " TO ROLE " + g.Role + " COPY CURRENT GRANTS"
	case g.On == "ROLE":
		return verb + " ROLE " + g.Name + to + g.Role
	case g.On == "ACCOUNT":
		return verb + " " + priv + " ON ACCOUNT" + to + g.Role
	case strings.HasPrefix(g.Name, "ALL "):
		return verb + " " + priv + " ON " + g.Name + to + g.Role
	case g.On == "PROCEDURE" || g.On == "FUNCTION":
		return verb + " " + priv + " ON " + g.On + " " + g.Name + "(<argument types: SHOW PROCEDURES IN SCHEMA SIGNOFF.API>)" + to + g.Role
	}
	return verb + " " + priv + " ON " + g.On + " " + g.Name + to + g.Role
}

// isSignoffObject reports whether a grant to PUBLIC concerns Signoff.
func isSignoffObject(g Grant) bool {
	return g.Name == "SIGNOFF" || strings.HasPrefix(g.Name, "SIGNOFF.") || strings.HasPrefix(g.Name, "SIGNOFF_")
}

func (d *Doctor) publicChecks(ctx context.Context) signoff.Checks {
	rows, err := d.show(ctx, "SHOW GRANTS TO ROLE PUBLIC")
	if err != nil {
		return signoff.Checks{showFailed("Signoff's grants to PUBLIC", err)}
	}
	var got []Grant
	bind := false
	for _, row := range rows {
		g := ShowGrant("PUBLIC", row)
		if g.Privilege == "BIND SERVICE ENDPOINT" && g.On == "ACCOUNT" {
			bind = true
		}
		if isSignoffObject(g) {
			got = append(got, g)
		}
	}
	missing, extra := diff(grantsOf(ExpectedGrants, "PUBLIC"), got)
	c := grantsVerdict("Signoff's grants to PUBLIC", len(got), missing, extra, false)
	b := signoff.Check{Name: "Who may create public endpoints", Status: signoff.CheckPass,
		Detail: "PUBLIC does not hold BIND SERVICE ENDPOINT: only roles granted it may publish a service."}
	if bind {
		b.Status = signoff.CheckWarn
		b.Detail = "PUBLIC holds BIND SERVICE ENDPOINT (the default since a 2026 behaviour change): any role that may create a service can publish one in this account."
		b.Fix = "Unless other teams rely on it: REVOKE BIND SERVICE ENDPOINT ON ACCOUNT FROM ROLE PUBLIC; (SIGNOFF_APP holds its own grant.)"
	}
	return signoff.Checks{c, b}
}

func (d *Doctor) callerGrantsCheck(ctx context.Context) signoff.Check {
	name := "Caller grants of SIGNOFF_APP"
	rows, err := d.show(ctx, "SHOW CALLER GRANTS TO ROLE SIGNOFF_APP")
	if err != nil {
		return showFailed(name, err)
	}
	var got []Grant
	for _, row := range rows {
		got = append(got, showCallerGrant("SIGNOFF_APP", row))
	}
	missing, extra := diff(ExpectedCallerGrants, got)
	return grantsVerdict(name, len(got), missing, extra, true)
}

// holdersCheck checks who holds role: allowed lists the grantees ("ROLE
// SIGNOFF_DEPLOYER", "USER ALICE") that may; why says what an unexpected
// holder can do.
func (d *Doctor) holdersCheck(ctx context.Context, role string, allowed []string, why string) signoff.Check {
	name := "Who holds " + role
	rows, err := d.show(ctx, "SHOW GRANTS OF ROLE "+role)
	if err != nil {
		return showFailed(name, err)
	}
	var holders, fix []string
	for _, row := range rows {
		kind, grantee := strings.ToUpper(row["granted_to"]), row["grantee_name"]
		holder := kind + " " + grantee
		if slices.Contains(allowed, holder) {
			continue
		}
		holders = append(holders, holder)
		if kind == "USER" {
			grantee = signoff.QuoteIdentifier(grantee)
		}
		fix = append(fix, "REVOKE ROLE "+role+" FROM "+kind+" "+grantee+";")
	}
	if len(holders) == 0 {
		c := signoff.Check{Name: name, Status: signoff.CheckPass, Detail: "Nobody holds it."}
		if len(allowed) > 0 {
			c.Detail = "Only " + strings.Join(allowed, ", ") + " may hold it, and nobody else does."
		}
		return c
	}
	return signoff.Check{Name: name, Status: signoff.CheckFail,
		Detail: role + " is held by " + strings.Join(holders, ", ") + ": " + why + ".",
		Fix:    "As SECURITYADMIN (a break-glass or install session aside):\n" + strings.Join(fix, "\n")}
}

// SessionQuery is the statement the preflight runs in the admin's caller's-
// rights session: who Snowflake says they are, their roles and warehouse,
// and for each role that matters whether it is in the session (as the
// identity query asks).
func SessionQuery(nRoles int) string {
	return strings.Replace(IdentityQuery(nRoles), "SELECT CURRENT_USER()",
		"SELECT CURRENT_USER(), CURRENT_ROLE(), CURRENT_SECONDARY_ROLES(), CURRENT_WAREHOUSE()", 1)
}

// SessionChecks are the checks of admin's own caller's-rights session; they
// need the admin's caller token, which only a page visit has.
func (d *Doctor) SessionChecks(ctx context.Context, admin signoff.Identity) signoff.Checks {
	if admin.Credential == "" {
		return signoff.Checks{{Name: "Your session", Status: signoff.CheckSkip,
			Detail: "There is no visitor's session to check from here.",
			Fix:    "Open /doctor in the deployed service as a Signoff admin: the checks of a person's caller's-rights session run there."}}
	}
	db, err := d.store.callers(ctx, admin.Credential)
	if err != nil {
		return signoff.Checks{{Name: "Your session", Status: signoff.CheckFail, Detail: callerError(err).Error()}}
	}
	defer db.Close()
	cs := d.sessionCheck(ctx, db, admin)
	cs = append(cs, d.whoamiCheck(ctx, db, admin))
	cs = append(cs, d.preflightChecks(ctx, db)...)
	cs = append(cs, d.listsCheck(ctx, db))
	cs = append(cs, d.describeCheck(ctx, db))
	cs = append(cs, signoff.DryRuns(ctx, d.store, admin, &d.ids, d.now())...)
	cs = append(cs, signoff.ReviewDryRuns(ctx, d.store, admin, &d.ids, d.now())...)
	cs = append(cs, signoff.ProductDryRun(ctx, d.store, admin, &d.ids, d.now()))
	cs = append(cs, signoff.PolicyDryRun(ctx, d.store, admin, &d.ids, d.now()))
	return append(cs, signoff.DirectoryDryRun(ctx, d.store, admin, &d.ids, d.now()))
}

func (d *Doctor) sessionCheck(ctx context.Context, db *sql.DB, admin signoff.Identity) signoff.Checks {
	c := signoff.Check{Name: "Your session"}
	matter, err := d.store.readRolesThatMatter(ctx)
	roles := matter.All
	if err != nil {
		c.Status, c.Detail = signoff.CheckFail, err.Error()
		return signoff.Checks{c}
	}
	var user, primary, secondary, warehouse sql.NullString
	held := make([]sql.NullBool, len(roles))
	dest := []any{&user, &primary, &secondary, &warehouse}
	args := make([]any, len(roles))
	for i, r := range roles {
		dest, args[i] = append(dest, &held[i]), r
	}
	if err := db.QueryRowContext(ctx, SessionQuery(len(roles)), args...).Scan(dest...); err != nil {
		c.Status, c.Detail = signoff.CheckFail, callerError(err).Error()
		c.Fix = "Signoff cannot run the identity query in your session; every visitor would get an error page."
		return signoff.Checks{c}
	}
	c.Detail = fmt.Sprintf("User %s, primary role %s, secondary roles %s, warehouse %s.",
		user.String, orNone(primary.String), orNone(secondary.String), orNone(warehouse.String))
	switch {
	case user.String != admin.User:
		c.Status = signoff.CheckFail
		c.Fix = "Your session belongs to another user than the one signed in: report this as a bug."
	case warehouse.String != d.warehouse:
		c.Status = signoff.CheckFail
		c.Fix = fmt.Sprintf("The API procedures run on the caller's warehouse: grant USAGE on %s to PUBLIC (sql/snowflake/02_grants.sql) and the caller grant on it to SIGNOFF_APP.", d.warehouse)
	default:
		c.Status = signoff.CheckPass
	}
	r := signoff.Check{Name: "Roles Signoff sees in your session"}
	var seen []string
	for i, role := range roles {
		if held[i].Valid && held[i].Bool {
			seen = append(seen, role)
		}
	}
	r.Detail = fmt.Sprintf("%d of the %d roles that matter: %s.", len(seen), len(roles), orNone(strings.Join(seen, ", ")))
	if slices.Contains(seen, signoff.RoleAdmin) {
		r.Status = signoff.CheckPass
	} else {
		r.Status = signoff.CheckFail
		r.Fix = fmt.Sprintf("%s is not active in your session. A caller's-rights session has the user's default role and DEFAULT_SECONDARY_ROLES: ALTER USER ... SET DEFAULT_SECONDARY_ROLES = ('ALL').", signoff.RoleAdmin)
	}
	return signoff.Checks{c, r}
}

// whoami is the data of WHOAMI's envelope.
type whoami struct {
	Actor         *string `json:"actor"`
	PrincipalType string  `json:"principal_type"`
	IsAdmin       bool    `json:"is_admin"`
}

// preflight is the data of PREFLIGHT's envelope.
type preflight struct {
	GrantError  string `json:"grant_error"`
	RevokeError string `json:"revoke_error"`
	HashSample  string `json:"hash_sample"`
	TimeSample  string `json:"time_sample"`
	TextSample  struct {
		Length  int `json:"length"`
		Visible int `json:"visible"`
		Bidi    int `json:"bidi"`
	} `json:"text_sample"`
	SnapshotSample string     `json:"snapshot_sample"`
	AddHoursSample *[]string  `json:"add_hours_sample"` // nil: the installed PREFLIGHT predates the check
	HasTagSample   *[]bool    `json:"has_tag_sample"`   // nil: the installed PREFLIGHT predates the check
	Tasks          *[]taskRow `json:"tasks"`
}

// taskRow is a task as PREFLIGHT reports it from SHOW TASKS IN SCHEMA
// SIGNOFF.API.
type taskRow struct {
	Name       string `json:"name"`
	State      string `json:"state"`
	Owner      string `json:"owner"`
	Warehouse  string `json:"warehouse"`
	Schedule   string `json:"schedule"`
	Definition string `json:"definition"`
}

// callProc calls an API procedure without arguments in db and decodes its
// envelope's data into data.
func (d *Doctor) callProc(ctx context.Context, db *sql.DB, proc string, data any) (signoff.Code, error) {
	var raw sql.NullString
	if err := db.QueryRowContext(ctx, "CALL "+d.store.apiSchema+"."+proc+"()").Scan(&raw); err != nil {
		return "", callerError(err)
	}
	var env Envelope
	if err := json.Unmarshal([]byte(raw.String), &env); err != nil || env.Code == "" {
		return "", fmt.Errorf("%s answered %.200q, not an envelope", proc, raw.String)
	}
	if len(env.Data) > 0 && string(env.Data) != "null" {
		if err := json.Unmarshal(env.Data, data); err != nil {
			return "", fmt.Errorf("%s's data: %w", proc, err)
		}
	}
	return env.Code, nil
}

func (d *Doctor) whoamiCheck(ctx context.Context, db *sql.DB, admin signoff.Identity) signoff.Check {
	c := signoff.Check{Name: "Caller identity in the procedures"}
	var w whoami
	if _, err := d.callProc(ctx, db, "WHOAMI", &w); err != nil {
		c.Status, c.Detail = signoff.CheckFail, err.Error()
		c.Fix = "Run sql/snowflake/03_api.sql; SIGNOFF_APP needs the caller grants of 02_grants.sql."
		return c
	}
	actor := ""
	if w.Actor != nil {
		actor = *w.Actor
	}
	switch {
	case w.Actor == nil:
		c.Status = signoff.CheckFail
		c.Detail = "The procedures cannot see who calls them: SYS_CONTEXT('SNOWFLAKE$SESSION', 'PRINCIPAL_NAME') is NULL."
		c.Fix = "GRANT READ SESSION ON ACCOUNT TO ROLE SIGNOFF_OWNER; (as SECURITYADMIN, sql/snowflake/00_roles.sql)"
	case actor != admin.User:
		c.Status = signoff.CheckFail
		c.Detail = fmt.Sprintf("The procedures see %q calling, but your session's user is %q.", actor, admin.User)
		c.Fix = "The procedures would record the wrong person: report this as a bug with this page."
	case !strings.HasPrefix(strings.ToUpper(w.PrincipalType), "USER"):
		c.Status = signoff.CheckFail
		c.Detail = fmt.Sprintf("Snowflake reports the principal type %q for your caller's-rights session; the procedures act only for users (PRINCIPAL_TYPE LIKE 'USER%%') and refuse everyone.", w.PrincipalType)
		c.Fix = "Report this with the type shown: the actor rule in sql/snowflake/03_api.sql must accept it."
	case !w.IsAdmin:
		c.Status = signoff.CheckFail
		c.Detail = fmt.Sprintf("The procedures see you as %s, but IS_ROLE_ACTIVATED does not see %s in your session: they would refuse your admin actions.", actor, signoff.RoleAdmin)
		c.Fix = "Make the role active in your default session: ALTER USER ... SET DEFAULT_SECONDARY_ROLES = ('ALL'), or make it your default role."
	default:
		c.Status = signoff.CheckPass
		c.Detail = fmt.Sprintf("The procedures see you as %s (principal type %s), with %s active.", actor, w.PrincipalType, signoff.RoleAdmin)
	}
	return c
}

func (d *Doctor) preflightChecks(ctx context.Context, db *sql.DB) signoff.Checks {
	grant := signoff.Check{Name: "Grant from a caller's session"}
	hash := signoff.Check{Name: "Audit hash: Snowflake and Go agree"}
	stamp := signoff.Check{Name: "Timestamps truncate to microseconds"}
	text := signoff.Check{Name: "Text rules: Snowflake and Go agree"}
	snap := signoff.Check{Name: "Chain snapshot: Snowflake and Go agree"}
	hours := signoff.Check{Name: "ADD_HOURS: Snowflake and Go agree"}
	tags := signoff.Check{Name: "HAS_TAG: Snowflake and Go agree"}
	schedule := signoff.Check{Name: "Schedule task"}
	mail := signoff.Check{Name: "Notifications task"}
	var p preflight
	code, err := d.callProc(ctx, db, "PREFLIGHT", &p)
	if err == nil && code != signoff.CodeOK {
		err = fmt.Errorf("PREFLIGHT answered %s", code)
	}
	if err != nil {
		for _, c := range []*signoff.Check{&grant, &hash, &stamp, &text, &snap, &hours, &tags, &schedule, &mail} {
			c.Status, c.Detail = signoff.CheckFail, err.Error()
			c.Fix = "Run sql/snowflake/03_api.sql; only " + signoff.RoleAdmin + " may call PREFLIGHT."
		}
		return signoff.Checks{grant, hash, stamp, text, snap, hours, tags, schedule, mail}
	}
	switch {
	case p.GrantError == "" && p.RevokeError == "":
		grant.Status = signoff.CheckPass
		grant.Detail = "A procedure owned by SIGNOFF_OWNER granted the empty role SIGNOFF_PREFLIGHT to you and revoked it, called from your caller's-rights session: final approvals can grant."
	case p.GrantError != "":
		grant.Status, grant.Detail = signoff.CheckFail, "GRANT ROLE failed: "+p.GrantError
		grant.Fix = "SIGNOFF_OWNER must own SIGNOFF_PREFLIGHT and every access role (sql/snowflake/00_roles.sql, 04_seed.sql)."
	default:
		grant.Status, grant.Detail = signoff.CheckFail, "The grant worked, but REVOKE ROLE failed: "+p.RevokeError
		grant.Fix = "Revoke SIGNOFF_PREFLIGHT from yourself as SECURITYADMIN; revokes of access roles would fail the same way."
	}
	sample := signoff.HashSample()
	if want := sample.ComputeHash(); p.HashSample == want {
		hash.Status = signoff.CheckPass
		hash.Detail = "SIGNOFF.API.AUDIT_HASH and Signoff's Go code hash the sample event (non-ASCII text, quotes, nanoseconds) to " + short(want) + "."
	} else {
		hash.Status = signoff.CheckFail
		hash.Detail = fmt.Sprintf("Snowflake hashes the sample event to %q, Go to %q.", p.HashSample, want)
		hash.Fix = "Install the AUDIT_HASH of this version (sql/snowflake/03_api.sql): until they agree, the audit check reports every event Snowflake wrote as edited."
	}
	if want := sample.Time.Truncate(time.Microsecond).Format(signoff.ChainTimeFormat); p.TimeSample == want {
		stamp.Status = signoff.CheckPass
		stamp.Detail = "Snowflake truncates " + sample.Time.Format("15:04:05.000000000") + " to " + want + ", as Go does."
	} else {
		stamp.Status = signoff.CheckFail
		stamp.Detail = fmt.Sprintf("Snowflake turns the sample time into %q, Go into %q.", p.TimeSample, want)
		stamp.Fix = "The procedures must truncate event times to microseconds (DATE_TRUNC('MICROSECOND', ...)); install 03_api.sql of this version."
	}
	_, length, visible, bidi := signoff.TextSample()
	got := p.TextSample
	if got.Length == length && got.Visible == visible && got.Bidi == bidi {
		text.Status = signoff.CheckPass
		text.Detail = fmt.Sprintf("SIGNOFF.API.VISIBLE_LENGTH and BIDI_CONTROLS count the sample text (the characters on either side of "+
			"each edge of both sets) as Signoff's Go code does: %d characters, %d that show, %d bidirectional controls.", length, visible, bidi)
	} else {
		text.Status = signoff.CheckFail
		text.Detail = fmt.Sprintf("Snowflake counts the sample text as %d characters, %d that show and %d bidirectional controls; "+
			"Go as %d, %d and %d.", got.Length, got.Visible, got.Bidi, length, visible, bidi)
		text.Fix = "Install VISIBLE_LENGTH and BIDI_CONTROLS of this version (sql/snowflake/03_api.sql): until they agree, " +
			"the procedures refuse reasons and comments the app accepts, or accept what it refuses."
	}
	snap = snapshotCheck(snap, p.SnapshotSample)
	hours = addHoursCheck(hours, p.AddHoursSample)
	tags = hasTagCheck(tags, p.HasTagSample)
	schedule = taskCheck(schedule, ScheduleTask, p.Tasks)
	mail = taskCheck(mail, NotificationsTask, p.Tasks)
	return signoff.Checks{grant, hash, stamp, text, snap, hours, tags, schedule, mail}
}

// predates is the fix when the installed PREFLIGHT does not report a check.
const predates = "The installed procedures predate this check: install sql/snowflake/03_api.sql of this version."

// addHoursCheck compares what ADD_HOURS made of AddHoursSamples in
// Snowflake with Go's answers, which the embedded engine's ADD_HOURS gives.
func addHoursCheck(c signoff.Check, got *[]string) signoff.Check {
	if got == nil {
		c.Status, c.Detail, c.Fix = signoff.CheckFail, "PREFLIGHT reported no ADD_HOURS sample.", predates
		return c
	}
	for i, s := range AddHoursSamples {
		want, have := s.Want(), ""
		if i < len(*got) {
			have = (*got)[i]
		}
		if have != want {
			c.Status = signoff.CheckFail
			c.Detail = fmt.Sprintf("ADD_HOURS('%s', %d) is %q in Snowflake, %q in Go.",
				s.At.UTC().Format(AddHoursFormat), s.Hours, have, want)
			c.Fix = "Install ADD_HOURS of this version (sql/snowflake/03_api.sql: DATEADD(HOUR, HOURS, T)). Until they agree, " +
				"access ends, and deadlines fall, at other times on Snowflake than the verifier and the embedded engine compute."
			return c
		}
	}
	c.Status = signoff.CheckPass
	c.Detail = fmt.Sprintf("SIGNOFF.API.ADD_HOURS moves %d sample times (a leap day, month and year ends, nanoseconds) "+
		"as Signoff's Go code does.", len(AddHoursSamples))
	return c
}

// hasTagCheck compares HAS_TAG's answers on signoff.HasTagSamples in
// Snowflake with Go's (signoff.HasTag), which the embedded engine and the
// product page's chain preview use.
func hasTagCheck(c signoff.Check, got *[]bool) signoff.Check {
	if got == nil {
		c.Status, c.Detail, c.Fix = signoff.CheckFail, "PREFLIGHT reported no HAS_TAG sample.", predates
		return c
	}
	samples := signoff.HasTagSamples()
	for i, s := range samples {
		want := signoff.HasTag(s.Tags, s.Classification, s.Tag)
		if i >= len(*got) || (*got)[i] != want {
			have := "no answer"
			if i < len(*got) {
				have = fmt.Sprint((*got)[i])
			}
			c.Status = signoff.CheckFail
			c.Detail = fmt.Sprintf("HAS_TAG(%q, %q, %q) is %s in Snowflake, %v in Go.", s.Tags, s.Classification, s.Tag, have, want)
			c.Fix = "Install HAS_TAG of this version (sql/snowflake/03_api.sql). Until they agree, a conditional chain step " +
				"applies on Snowflake where the product page says it does not, or the other way round."
			return c
		}
	}
	c.Status = signoff.CheckPass
	c.Detail = fmt.Sprintf("SIGNOFF.API.HAS_TAG answers %d sample conditions (case, classification, non-ASCII, quotes) "+
		"as Signoff's Go code does, so conditional chain steps apply where the product page says.", len(samples))
	return c
}

// callText is a task's statement, compared without case or spaces.
func callText(s string) string {
	return strings.ToUpper(strings.Join(strings.Fields(strings.TrimSuffix(strings.TrimSpace(s), ";")), ""))
}

// taskCheck checks want, one of Tasks, against the tasks PREFLIGHT listed.
func taskCheck(c signoff.Check, want Task, tasks *[]taskRow) signoff.Check {
	if tasks == nil {
		c.Status, c.Detail, c.Fix = signoff.CheckFail, "PREFLIGHT did not list the tasks.", predates
		return c
	}
	var t *taskRow
	for i := range *tasks {
		if strings.EqualFold(strings.ReplaceAll((*tasks)[i].Name, `"`, ""), want.Name) {
			t = &(*tasks)[i]
		}
	}
	resume := "As SIGNOFF_OWNER (a SECURITYADMIN grants it for this, deploy/README.md \"Who holds SIGNOFF_OWNER\"): ALTER TASK " +
		want.Name + " RESUME;"
	switch {
	case t == nil && want.Optional:
		c.Status = signoff.CheckPass
		c.Detail = want.Name + " does not exist: " + want.Script + " (optional) has not run."
	case t == nil:
		c.Status = signoff.CheckFail
		c.Detail = want.Name + " does not exist, so nothing runs " + want.Calls + "."
		c.Fix = "Run " + want.Script + " as SIGNOFF_OWNER: it creates the task and resumes it."
	case !strings.EqualFold(t.Owner, want.Owner):
		c.Status = signoff.CheckFail
		c.Detail = fmt.Sprintf("%s is owned by %s: a task runs as its owner, and %s's procedures expect %s.", want.Name, t.Owner,
			want.Calls, want.Owner)
		c.Fix = "As SECURITYADMIN: GRANT OWNERSHIP ON TASK " + want.Name + " TO ROLE " + want.Owner + " COPY CURRENT GRANTS; " +
			"the transfer suspends the task, so resume it as " + want.Owner + ": ALTER TASK " + want.Name + " RESUME;"
	case callText(t.Definition) != callText(want.Calls):
		c.Status = signoff.CheckFail
		c.Detail = fmt.Sprintf("%s runs %q, not %s.", want.Name, t.Definition, want.Calls)
		c.Fix = "Run " + want.Script + " again as SIGNOFF_OWNER: it replaces the task."
	case !strings.EqualFold(t.Warehouse, want.Warehouse):
		c.Status = signoff.CheckFail
		c.Detail = fmt.Sprintf("%s runs on the warehouse %q, where its owner holds USAGE only on %s.", want.Name, t.Warehouse, want.Warehouse)
		c.Fix = "As SIGNOFF_OWNER: ALTER TASK " + want.Name + " SUSPEND; ALTER TASK " + want.Name + " SET WAREHOUSE = " +
			want.Warehouse + "; ALTER TASK " + want.Name + " RESUME;"
	case !strings.EqualFold(t.State, "started"):
		c.Status = signoff.CheckFail
		c.Detail = fmt.Sprintf("%s is %s, so %s does not run.", want.Name, orNone(strings.ToLower(t.State)), want.Calls)
		if want == ScheduleTask {
			c.Detail += " Time-bound access does not end, and no reminder or escalation happens."
		}
		c.Fix = "If Snowflake suspended it after failed runs (SHOW TASKS, last_suspended_reason), read why first: SELECT * FROM " +
			"TABLE(SIGNOFF.INFORMATION_SCHEMA.TASK_HISTORY(TASK_NAME => '" + want.Name[strings.LastIndexByte(want.Name, '.')+1:] +
			"')) ORDER BY SCHEDULED_TIME DESC LIMIT 10; then " + resume
	default:
		c.Status = signoff.CheckPass
		c.Detail = fmt.Sprintf("%s is started, owned by %s, runs %s on %s every %s.", want.Name, t.Owner, want.Calls,
			t.Warehouse, strings.ToLower(orNone(t.Schedule)))
	}
	return c
}

// snapshotCheck compares the chain snapshot PREFLIGHT built of
// signoff.SnapshotSample, with the expression SUBMIT_REQUEST records, with
// Go's, and names the first field that differs.
func snapshotCheck(c signoff.Check, got string) signoff.Check {
	steps := signoff.SnapshotSample()
	const fix = "Install sql/snowflake/03_api.sql of this version; if this still fails, Snowflake's LENGTH does not count " +
		"characters as documented: report it with this page. Until they agree, every submission records its chain in " +
		"another form than Signoff's, which any reader outside Snowflake, and the audit verification of a version " +
		"that builds it right, report as not the request's steps."
	d, differ := signoff.DiffSnapshot(steps, got)
	switch {
	case !differ:
		c.Status = signoff.CheckPass
		c.Detail = fmt.Sprintf("Snowflake records the snapshot of a sample chain (%d steps, characters of one to four bytes) "+
			"as Signoff's Go code does, lengths counted in characters.", len(steps))
	case got == "":
		c.Status = signoff.CheckFail
		c.Detail = "PREFLIGHT returned no snapshot of the sample chain: the installed procedures predate this check."
		c.Fix = fix
	case d.Want == "":
		c.Status = signoff.CheckFail
		c.Detail = fmt.Sprintf("Snowflake builds the sample chain's snapshot otherwise than Go: it goes on with %q after the last step.", d.Got)
		c.Fix = fix
	default:
		c.Status = signoff.CheckFail
		c.Detail = fmt.Sprintf("Snowflake builds the sample chain's snapshot otherwise than Go: at %s, Go writes %q, Snowflake %q.",
			d.Where, d.Want, d.Got)
		c.Fix = fix
	}
	return c
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12] + "…"
	}
	return h
}
