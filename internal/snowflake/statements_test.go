package snowflake

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/DATA-DOG/go-sqlmock"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/server"
	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlstore"
)

var update = flag.Bool("update", false, "rewrite testdata/statements.golden from the catalogue")

// productsSQL is the catalog's statement. sqlstore exports only its head,
// SelectProducts, and appends this ORDER BY itself.
var productsSQL = sqlstore.SelectCatalog

// allFilters sets every audit filter.
var allFilters = signoff.EventFilter{RequestID: reqID, ProductID: "SALES_EU", Actor: "bob",
	Type: signoff.EventStepApproved, From: t0, To: t2, Before: 3}

func eventsSQL(f signoff.EventFilter) string {
	q, _ := sqlstore.SelectEvents(f)
	return q
}

// auditPageSQL is the audit page's read of the events matching f: one more
// than the page shows, which tells whether there is a next page.
func auditPageSQL(f signoff.EventFilter) string {
	f.Limit = signoff.AuditPageSize + 1
	return eventsSQL(f)
}

// queueSQL is the queue page's statement for f: one more than the page
// shows, which tells whether there is a next page. Its text depends on the
// number of roles and on which filters, order and cursor f sets, not on
// their values.
func queueSQL(f signoff.QueueFilter) string {
	if f.Limit == 0 {
		f.Limit = signoff.QueueLimit + 1
	}
	q, _ := sqlstore.SelectQueue(f)
	return q
}

// oneRole is the queue of one approver role, unfiltered.
var oneRole = signoff.QueueFilter{Roles: []string{"APPROVER_MGR"}}

// queueAfter is the queue of one role in order sort, after a cursor.
func queueAfter(sort signoff.QueueSort) signoff.QueueFilter {
	k := signoff.QueueKeyOf(pendingRequest(reqID, 1), sort)
	return signoff.QueueFilter{Roles: oneRole.Roles, Sort: sort, After: &k}
}

// queueEveryFilter sets every filter of the queue, by product, after a cursor.
var queueEveryFilter = func() signoff.QueueFilter {
	f := queueAfter(signoff.QueueByProduct)
	f.ProductID, f.Classification = "SALES_EU", "CONFIDENTIAL"
	return f
}()

type namedStmt struct{ name, text string }

// boundText is a shared list text as the page reads send it (sqlstore.Bind):
// one text whatever the filters, which are bound values.
func boundText(text string) string {
	values := map[string]any{}
	for _, m := range regexp.MustCompile(`:([a-z_][a-z0-9_]*)`).FindAllStringSubmatch(text, -1) {
		values[m[1]] = ""
	}
	q, _, err := sqlstore.Bind(text, values)
	if err != nil {
		panic(err)
	}
	return q
}

// catalogue is every statement text the Snowflake engine sends (the
// parametric ones in the variants the pages send), in the order
// of testdata/statements.golden, each built by the code the engine builds it
// with. The golden file is the one pin of each text: a change to a
// statement shows in its diff, to be reviewed. Nothing escapes it:
// TestRoundTrips, which serves every page and action, and the preflight's
// tests fail when the engine sends a statement that is not catalogued here.
func catalogue() []namedStmt {
	stmts := []namedStmt{
		{"Ping", `SELECT 1`},
		{"RolesThatMatter", RolesThatMatter},
		{"IdentityQuery(0)", IdentityQuery(0)},
		{"IdentityQuery(1)", IdentityQuery(1)},
		{"IdentityQuery(2)", IdentityQuery(2)},
		{"IdentityQuery(3)", IdentityQuery(3)},
		{"IdentityQuery(9)", IdentityQuery(9)},
		{"Products", productsSQL},
		{"ProductFor (product page)", sqlstore.SelectProductFor},
		{"ApproverRoles", sqlstore.SelectApproverRoles},
		{"RequestDetail", sqlstore.SelectRequestDetail},
		{"Requests (limit 200: my requests)", sqlstore.SelectRequestsBy(signoff.MyRequestsLimit)},
		{"PendingCount (1 role: the header's count)", sqlstore.SelectPendingCount(1)},
		{"Queue (1 role; limit 51)", queueSQL(oneRole)},
		{"Queue (2 roles; limit 51)", queueSQL(signoff.QueueFilter{Roles: []string{"APPROVER_MGR", "APPROVER_OWNER"}})},
		{"Queue (1 role, after: a later page, or the next request after a decision)", queueSQL(queueAfter(signoff.QueueOldest))},
		{"Queue (1 role, newest first)", queueSQL(signoff.QueueFilter{Roles: oneRole.Roles, Sort: signoff.QueueNewest})},
		{"Queue (1 role, newest first, after)", queueSQL(queueAfter(signoff.QueueNewest))},
		{"Queue (1 role, by product)", queueSQL(signoff.QueueFilter{Roles: oneRole.Roles, Sort: signoff.QueueByProduct})},
		{"Queue (1 role, by product, after)", queueSQL(queueAfter(signoff.QueueByProduct))},
		{"Queue (1 role, product)", queueSQL(signoff.QueueFilter{Roles: oneRole.Roles, ProductID: "SALES_EU"})},
		{"Queue (1 role, classification)", queueSQL(signoff.QueueFilter{Roles: oneRole.Roles, Classification: "CONFIDENTIAL"})},
		{"Queue (1 role, every filter, by product, after)", queueSQL(queueEveryFilter)},
		{"Events (audit page: limit 51)", auditPageSQL(signoff.EventFilter{})},
		{"Events (audit page: request)", auditPageSQL(signoff.EventFilter{RequestID: reqID})},
		{"Events (audit page: product)", auditPageSQL(signoff.EventFilter{ProductID: "SALES_EU"})},
		{"Events (audit page: actor)", auditPageSQL(signoff.EventFilter{Actor: "BOB"})},
		{"Events (audit page: type)", auditPageSQL(signoff.EventFilter{Type: signoff.EventStepApproved})},
		{"Events (audit page: from)", auditPageSQL(signoff.EventFilter{From: t0})},
		{"Events (audit page: to)", auditPageSQL(signoff.EventFilter{To: t2})},
		{"Events (audit page: from and to)", auditPageSQL(signoff.EventFilter{From: t0, To: t2})},
		{"Events (audit page: before, the next page)", auditPageSQL(signoff.EventFilter{Before: 3})},
		{"Events (audit page: every filter)", auditPageSQL(allFilters)},
		{"Events (CSV export: limit 100000)", eventsSQL(signoff.EventFilter{Limit: server.MaxExportRows})},
		{"RequestsIn (APPROVED, GRANT_FAILED; limit 50: needs grant)", sqlstore.SelectRequestsIn(2, signoff.QueueLimit)},
		{"Grants (who has access, /admin/grants, the grant preview)", boundText(sqlstore.ListGrants)},
		{"AllRequests (/admin/requests)", boundText(sqlstore.ListRequests)},
		{"CALL LIST_GRANTS (the preflight, in an admin's session)", ListGrantsCall(api)},
		{"VerifyAudit: size", sqlstore.SelectLedgerSize},
		{"VerifyAudit: the verifier", sqlstore.VerifyLedger(DigestsFromJSON)},
		{"Digests: ledger head", sqlstore.SelectLedgerHead},
		{"Digests: ledger hash", sqlstore.SelectLedgerHash},
		{"Digests: query history", QueryHistoryDigests},
		{"Digests: event table", LogDigests(DefaultService)},
		{"CALL SUBMIT_REQUEST", callSubmit},
		{"CALL DECIDE_STEP", callDecide},
		{"CALL WITHDRAW_REQUEST", callWithdraw},
		{"CALL RETRY_GRANT", callRetry},
		{"CALL RESUBMIT_REQUEST", callResubmit},
		{"CALL REVOKE_ACCESS", callRevoke},
		{"Reviews (a product's, limit 100)", sqlstore.SelectReviews(signoff.MaxReviews)},
		{"OpenReviews (limit 100: reviews awaiting the viewer)", sqlstore.SelectOpenReviews(signoff.MaxReviews)},
		{"Review (a review's grants and their use)", sqlstore.SelectReview},
		{"CALL START_REVIEW", callStartReview},
		{"CALL DECIDE_REVIEW", callDecideReview},
		{"CALL SAVE_PRODUCT", callSave},
		{"CALL SET_CHAIN_POLICY", callPolicy},
		{"CALL SET_MANAGERS", callManagers},
		{"CALL DESCRIBE_OBJECT (Read from Snowflake, and the preflight)", callDescribe},
		{"ManagerOf (product page with a manager step)", sqlstore.SelectManagerOf},
		{"Directory (admin page: limit 501)", sqlstore.SelectDirectory(false, signoff.DirectoryLimit+1)},
		{"Directory (admin page, filtered: limit 501)", sqlstore.SelectDirectory(true, signoff.DirectoryLimit+1)},
	}
	stmts = append(stmts, []namedStmt{
		{"Preflight: service session", serviceSessionQuery},
		{"Preflight: views", ViewsQuery},
		{"Preflight: who holds roles", RoleHolderQuery},
		{"Preflight: the grants' last use", AccessUsageQuery},
		{"Preflight: the directory of managers", ManagersQuery},
		{"Preflight: caller grants", "SHOW CALLER GRANTS TO ROLE SIGNOFF_APP"},
		{"Preflight: who holds SIGNOFF_OWNER", "SHOW GRANTS OF ROLE SIGNOFF_OWNER"},
		{"Preflight: who holds SIGNOFF_APP", "SHOW GRANTS OF ROLE SIGNOFF_APP"},
		{"Preflight: the visitor's session (3 roles)", SessionQuery(3)},
		{"Preflight: CALL WHOAMI", "CALL SIGNOFF.API.WHOAMI()"},
		{"Preflight: CALL PREFLIGHT", "CALL SIGNOFF.API.PREFLIGHT()"},
	}...)
	for _, role := range append(slices.Clone(SignoffRoles), "PUBLIC") {
		stmts = append(stmts, namedStmt{"Preflight: grants to " + role, "SHOW GRANTS TO ROLE " + role})
	}
	return stmts
}

// catalogued returns the catalogue's name for the statement text sql, and
// whether the catalogue has it.
func catalogued(sql string) (string, bool) {
	name, ok := catalogueNames()[sql]
	return name, ok
}

// catalogueNames maps each catalogued statement text to its name.
var catalogueNames = sync.OnceValue(func() map[string]string {
	names := map[string]string{}
	for _, st := range catalogue() {
		names[st.text] = st.name // each text once: TestStatementsGolden checks
	}
	return names
})

// renderCatalogue renders the catalogue verbatim: each statement between a
// header line and an end line, whitespace and all.
func renderCatalogue() string {
	var b strings.Builder
	b.WriteString("# Every statement text the Snowflake engine sends, verbatim (internal/snowflake): the one pin of each.\n")
	b.WriteString("# Built by catalogue() in statements_test.go. TestRoundTrips (every page and action) and the preflight's\n")
	b.WriteString("# tests fail when the engine sends a statement missing here; a changed statement shows in this file's diff.\n")
	b.WriteString("# Regenerate, then review the diff: go test ./internal/snowflake -run TestStatementsGolden -update\n")
	for _, st := range catalogue() {
		fmt.Fprintf(&b, "\n==== %s ====\n%s\n==== end ====\n", st.name, st.text)
	}
	return b.String()
}

// TestStatementsGolden compares the catalogue with testdata/statements.golden:
// a statement text that changed fails here until the file is regenerated
// (-update) and its diff reviewed.
func TestStatementsGolden(t *testing.T) {
	path := filepath.Join("testdata", "statements.golden")
	got := renderCatalogue()
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run with -update to create it")
	require.Equal(t, string(want), got, "a statement text changed: review the diff and rerun with -update")
	names, texts := map[string]bool{}, map[string]string{}
	for _, st := range catalogue() {
		require.False(t, names[st.name], "duplicate name %q", st.name)
		names[st.name] = true
		require.NotContains(t, texts, st.text, "%q and %q are the same statement", texts[st.text], st.name)
		texts[st.text] = st.name
	}
}

// ---- reads ----
//
// The page reads are package sqlstore's: the same SQL and the same Go the
// embedded engine runs, which the store contract suite (internal/storetest)
// tests on SQLite. What is tested here is the Snowflake engine's own part:
// errors translated into the domain's kinds, times read back in UTC, the
// catalog kept for --catalog-cache, and JSON text as administrators write it
// into the catalog's VARCHAR columns. driver_test.go reads through the real
// driver, where Snowflake's column types and NULLs are scanned.

// TestProductsBadJSON: the catalog's tags and columns are JSON text in
// VARCHAR columns that administrators fill with SQL (as
// sql/snowflake/04_seed.sql does); text that is not what the app expects is
// an error that names the product, of no domain kind (a 500, logged).
func TestProductsBadJSON(t *testing.T) {
	for _, tc := range []struct{ tags, cols, want string }{
		{`["eu"`, `[]`, "tags of SALES_EU"},
		{`[]`, `{"name":1}`, "columns of SALES_EU"},
	} {
		st, mock := newMock(t)
		expectQuery(mock, productsSQL).WillReturnRows(sqlmock.NewRows(productCols).AddRow("SALES_EU", "n", "d", "o",
			"R", "D", "C", tc.tags, tc.cols, "A", "0", int64(0), "", "ALL", int64(0), "", "", int64(0), "", "ROLE", "", int64(1), int64(0)))
		_, err := st.Reads().Products(t.Context())
		require.ErrorContains(t, err, tc.want)
		requireKind(t, err, nil)
	}
}

func TestProductsError(t *testing.T) {
	st, mock := newMock(t)
	expectQuery(mock, productsSQL).WillReturnError(sfErr(3001, "42501", "01b2-query"))
	_, err := st.Reads().Products(t.Context())
	requireKind(t, err, signoff.ErrForbidden)
	require.ErrorContains(t, err, "snowflake: products: forbidden: snowflake error 3001 (SQLSTATE 42501, query 01b2-query)")
}

// TestCatalogTTL: the Snowflake engine's reads keep the catalog, the
// products and the roles keying chains, for Options.CatalogTTL on the
// Options clock (`signoff serve` passes --catalog-cache, 30 s): every
// catalog and queue page needs them, and each read is a round trip. They
// are read again once the TTL has passed. (The cache is sqlstore.TTLCache,
// whose own tests cover a TTL of 0, failed reads and waiting callers;
// TestDriverCatalog covers Open's wiring of Config.CatalogTTL.)
func TestCatalogTTL(t *testing.T) {
	clock := &fakeClock{now: t2}
	st, mock := newMockOptions(t, sqlstore.Options{CatalogTTL: prodCatalogTTL, Now: clock.Now})
	approvers := []string{"APPROVER_DPO", "APPROVER_MGR", "APPROVER_OWNER"}
	expectCatalog := func() {
		expectQuery(mock, productsSQL).WillReturnRows(productRows(webAds(), salesEU()))
		rows := sqlmock.NewRows([]string{"approver_role"})
		for _, r := range approvers {
			rows.AddRow(r)
		}
		expectQuery(mock, sqlstore.SelectApproverRoles).WillReturnRows(rows)
	}
	read := func(when string) {
		t.Helper()
		ps, err := st.Reads().Products(t.Context())
		require.NoError(t, err, when)
		require.Equal(t, []signoff.Product{webAds(), salesEU()}, ps, when)
		roles, err := st.Reads().ApproverRoles(t.Context())
		require.NoError(t, err, when)
		require.Equal(t, approvers, roles, when)
		require.NoError(t, mock.ExpectationsWereMet(), when)
	}

	expectCatalog()
	read("the first read")
	clock.advance(prodCatalogTTL - time.Microsecond)
	read("within the TTL: nothing is sent (sqlmock fails an unexpected statement)")
	clock.advance(time.Microsecond)
	expectCatalog()
	read("at the TTL: both are read again")
}

func TestRequestTimesAreUTC(t *testing.T) {
	st, mock := newMock(t)
	want := pendingRequest(reqID, 2)
	cet := time.FixedZone("CET", 3600)
	vals := requestValues(want, want.Steps[0])
	vals[10], vals[11], vals[19] = t0.In(cet), want.UpdatedAt.In(cet), want.Steps[0].DecidedAt.In(cet)
	expectQuery(mock, sqlstore.SelectRequestsBy(signoff.MyRequestsLimit), want.Requester).
		WillReturnRows(sqlmock.NewRows(requestCols).AddRow(vals...))
	list, err := st.Reads().Requests(t.Context(), want.Requester, signoff.MyRequestsLimit)
	require.NoError(t, err)
	require.Len(t, list, 1)
	got := list[0]
	require.Equal(t, time.UTC, got.CreatedAt.Location())
	require.Equal(t, time.UTC, got.UpdatedAt.Location())
	require.Equal(t, time.UTC, got.Steps[0].DecidedAt.Location())
	require.True(t, got.CreatedAt.Equal(t0))
}

// TestRequestDetail: the request page's one statement on Snowflake, where
// it is not the happy path that TestDriverReads reads through the real
// driver: a request whose events are not there, a request that is not
// there (the Service writes the page's sentence), and errors.
func TestRequestDetail(t *testing.T) {
	st, mock := newMock(t)

	// A request without events (none yet, or more than the page shows were cut).
	r2 := pendingRequest(req2ID, 1)
	expectQuery(mock, sqlstore.SelectRequestDetail, req2ID, req2ID).WillReturnRows(detailRows(r2, salesEU()))
	gotR, _, gotEvs, err := st.Reads().RequestDetail(t.Context(), req2ID)
	require.NoError(t, err)
	require.Equal(t, r2, gotR)
	require.Empty(t, gotEvs)

	// No step rows: no such request, whatever events remain (Snowflake's
	// tables enforce no foreign key).
	orphan := submitted(req2ID)
	orphan.Seq = 1
	for _, rows := range []*sqlmock.Rows{sqlmock.NewRows(detailCols), detailRows(signoff.Request{}, signoff.Product{}, orphan)} {
		expectQuery(mock, sqlstore.SelectRequestDetail, req2ID, req2ID).WillReturnRows(rows)
		_, _, _, err = st.Reads().RequestDetail(t.Context(), req2ID)
		requireKind(t, err, signoff.ErrNotFound)
		require.EqualError(t, err, "snowflake: request "+req2ID+": not found")
	}
	// The page says so in the Service's words.
	expectQuery(mock, sqlstore.SelectRequestDetail, req2ID, req2ID).WillReturnRows(sqlmock.NewRows(detailCols))
	_, err = signoff.NewService(st.Reads(), st).RequestPage(t.Context(), signoff.NewIdentity("ALICE", nil), req2ID, "")
	requireKind(t, err, signoff.ErrNotFound)
	require.Equal(t, `There is no request "`+req2ID+`".`, signoff.Message(err))

	expectQuery(mock, sqlstore.SelectRequestDetail, req2ID, req2ID).WillReturnError(context.DeadlineExceeded)
	_, _, _, err = st.Reads().RequestDetail(t.Context(), req2ID)
	requireKind(t, err, signoff.ErrUnavailable)

	expectQuery(mock, sqlstore.SelectRequestDetail, req2ID, req2ID).WillReturnError(sfErr(3001, "42501", "q-detail"))
	_, _, _, err = st.Reads().RequestDetail(t.Context(), req2ID)
	requireKind(t, err, signoff.ErrForbidden)
	require.ErrorContains(t, err, "snowflake error 3001 (SQLSTATE 42501, query q-detail)")
}

func TestRequestDetailTimesAreUTC(t *testing.T) {
	st, mock := newMock(t)
	r := pendingRequest(reqID, 2)
	evs := historyOf(r)
	cet := time.FixedZone("CET", 3600)
	in := r
	in.Steps = slices.Clone(r.Steps)
	in.CreatedAt, in.UpdatedAt, in.Steps[0].DecidedAt = r.CreatedAt.In(cet), r.UpdatedAt.In(cet), r.Steps[0].DecidedAt.In(cet)
	inEvs := slices.Clone(evs)
	for i := range inEvs {
		inEvs[i].Time = inEvs[i].Time.In(cet)
	}
	expectQuery(mock, sqlstore.SelectRequestDetail, reqID, reqID).WillReturnRows(detailRows(in, salesEU(), inEvs...))
	gotR, _, gotEvs, err := st.Reads().RequestDetail(t.Context(), reqID)
	require.NoError(t, err)
	require.Equal(t, r, gotR)
	require.Equal(t, evs, gotEvs)
	for _, e := range gotEvs {
		require.Equal(t, time.UTC, e.Time.Location())
	}
}

func TestRequestDetailBadJSON(t *testing.T) {
	for _, tc := range []struct{ tags, cols, want string }{
		{`["eu"`, `[]`, "request " + reqID + ": tags"},
		{`[]`, `{"name":1}`, "request " + reqID + ": columns"},
	} {
		st, mock := newMock(t)
		p, r := salesEU(), pendingRequest(reqID, 1)
		vals := []driver.Value{"S", int64(1), r.ID, r.ProductID, r.ProductName, r.Classification, r.AccessRole,
			r.Requester, r.Reason, string(r.Status), int64(1), int64(3), t0, t0, "Line manager", "APPROVER_MGR",
			nil, nil, nil, nil, nil, p.Description, p.Owner, p.OwnerRole, p.Domain, tc.tags, tc.cols,
			int64(0), int64(0), nil, nil, nil, nil, nil, "0", nil, nil, nil, "ALL", nil,
			nil, nil, nil, nil, nil, nil, nil, nil, nil}
		expectQuery(mock, sqlstore.SelectRequestDetail, reqID, reqID).WillReturnRows(sqlmock.NewRows(detailCols).AddRow(vals...))
		_, _, _, err := st.Reads().RequestDetail(t.Context(), reqID)
		require.ErrorContains(t, err, tc.want)
		requireKind(t, err, nil)
	}
}

func TestPing(t *testing.T) {
	st, mock := newMock(t)
	expectQuery(mock, `SELECT 1`).WillReturnRows(sqlmock.NewRows([]string{"1"}).AddRow(int64(1)))
	require.NoError(t, st.Ping(t.Context()))

	expectQuery(mock, `SELECT 1`).WillReturnError(sfErr(390114, "08001", "q-ping"))
	err := st.Ping(t.Context())
	requireKind(t, err, signoff.ErrUnavailable)
	require.ErrorContains(t, err, "snowflake: ping: unavailable: snowflake error 390114 (SQLSTATE 08001, query q-ping)")
}

func TestRolesThatMatter(t *testing.T) {
	st, mock := newMock(t)
	rows := sqlmock.NewRows([]string{"role_name", "approves"}).AddRow("APPROVER_MGR", true).AddRow("SALES_OWNER", false).
		AddRow("APPROVER_DPO", true).AddRow("SALES_READER", false).AddRow("SIGNOFF_ADMIN", false).
		AddRow("SALES_OWNER", true) // an owner role that also keys a step
	expectQuery(mock, RolesThatMatter).WillReturnRows(rows)
	roles := st.RolesThatMatter(time.Hour)
	want := Roles{All: []string{"APPROVER_DPO", "APPROVER_MGR", "SALES_OWNER", "SALES_READER", "SIGNOFF_ADMIN", "SIGNOFF_AUDITOR"},
		Approvers: []string{"APPROVER_DPO", "APPROVER_MGR", "SALES_OWNER"}}
	got, err := roles(t.Context())
	require.NoError(t, err)
	require.Equal(t, want, got, "sorted, deduplicated, with Signoff's admin and auditor; the approver roles apart")
	// Within the TTL: nothing is sent (sqlmock would fail an unexpected query).
	got, err = roles(t.Context())
	require.NoError(t, err)
	require.Equal(t, want, got)
	require.NoError(t, mock.ExpectationsWereMet())
}

func TestRolesThatMatterTTLZeroAndErrors(t *testing.T) {
	st, mock := newMock(t)
	roles := st.RolesThatMatter(0)
	for range 2 {
		expectQuery(mock, RolesThatMatter).WillReturnRows(sqlmock.NewRows([]string{"role_name", "approves"}).AddRow("X", false))
		got, err := roles(t.Context())
		require.NoError(t, err)
		require.Equal(t, Roles{All: []string{"SIGNOFF_ADMIN", "SIGNOFF_AUDITOR", "X"}}, got)
	}
	expectQuery(mock, RolesThatMatter).WillReturnError(sfErr(3001, "42501", "q-roles"))
	_, err := roles(t.Context())
	requireKind(t, err, signoff.ErrForbidden)

	expectQuery(mock, RolesThatMatter).WillReturnRows(sqlmock.NewRows([]string{"role_name", "approves"}).
		AddRow("X", false).RowError(0, sfErr(390114, "08001", "q-rows")))
	_, err = roles(t.Context())
	requireKind(t, err, signoff.ErrUnavailable)
}

// ---- actions: one CALL of an API procedure in the actor's own session ----

// The actions' CALL statements, as the engine builds them for the API
// schema SIGNOFF.API (their texts are pinned by the golden file).
var (
	callSubmit   = newProcedures(api).submit
	callDecide   = newProcedures(api).decide
	callWithdraw = newProcedures(api).withdraw
	callRetry    = newProcedures(api).retry
	callRevoke   = newProcedures(api).revoke
	callResubmit = newProcedures(api).resubmit
	// Access reviews.
	callStartReview  = newReviewCalls(api).start
	callDecideReview = newReviewCalls(api).decide
	callSave         = newProcedures(api).save
	callPolicy       = newProcedures(api).policy
	callManagers     = newProcedures(api).managers
	callDescribe     = newProcedures(api).describe
)

// The actors as the server hands them to the engine: with their caller
// tokens (the roles are the app's copy; the procedures ignore them).
var (
	alice = signoff.Identity{User: "ALICE", Credential: "caller-token-alice"}
	bob   = signoff.Identity{User: "BOB", Roles: []string{"APPROVER_MGR"}, Credential: "caller-token-bob"}
	ada   = signoff.Identity{User: "ADA", Roles: []string{"SIGNOFF_ADMIN"}, Credential: "caller-token-ada"}
)

// envelope renders an API procedure's answer as the procedures build it:
// OBJECT_CONSTRUCT('ok', …, 'code', …, 'message', …, 'data', …).
func envelope(code signoff.Code, data string) string {
	ok := signoff.Outcome{Code: code}.OK()
	if data == "" {
		data = "null"
	}
	return fmt.Sprintf(`{"ok":%t,"code":%q,"message":%q,"data":%s}`, ok, code, code.APIMessage(), data)
}

// expectCall expects exactly one CALL with exactly args in a caller
// session, answering answer as the procedure's one VARIANT column (which
// Snowflake names after the procedure), then the session's Close.
func expectCall(query string, answer driver.Value, args ...driver.Value) func(sqlmock.Sqlmock) {
	return func(m sqlmock.Sqlmock) {
		expectQuery(m, query, args...).WillReturnRows(sqlmock.NewRows([]string{procedureName(query)}).AddRow(answer))
		m.ExpectClose()
	}
}

// procedureName is the name of the procedure a CALL text calls.
func procedureName(call string) string {
	name, _, _ := strings.Cut(strings.TrimPrefix(call, "CALL "+api+"."), "(")
	return name
}

// eventIDs are three event IDs for the calls, as the service passes them.
var eventIDs = []string{evID, ev2ID, ev3ID}

// TestActions checks each action's one CALL, its binds and the session it
// runs in (the actor's, opened with their caller token and closed after the
// call), and reads the procedure's envelope into the Outcome. Nothing runs
// on the service connection.
func TestActions(t *testing.T) {
	reason := "Quarterly churn analysis for the EU board pack."
	submit := func(c signoff.SubmitCall) func(*Store) (signoff.Outcome, error) {
		return func(st *Store) (signoff.Outcome, error) { return st.Submit(t.Context(), alice, c) }
	}
	decide := func(c signoff.DecideCall) func(*Store) (signoff.Outcome, error) {
		return func(st *Store) (signoff.Outcome, error) { return st.Decide(t.Context(), bob, c) }
	}
	submitCall := signoff.SubmitCall{ProductID: "SALES_EU", Reason: reason, RequestID: reqID, EventIDs: eventIDs[:1], At: t0}
	submitArgs := []driver.Value{"SALES_EU", reason, int64(0), "", reqID, evID, false}
	pending2 := `"request_id":"` + reqID + `","product_id":"SALES_EU","product_name":"EU sales orders","requester":"ALICE",` +
		`"access_role":"SALES_READER","status":"PENDING","current_step":2,"step_count":3,"step_label":"Data owner","step_role":"APPROVER_OWNER"`
	want2 := signoff.Outcome{RequestID: reqID, ProductID: "SALES_EU", ProductName: "EU sales orders", Requester: "ALICE",
		AccessRole: "SALES_READER", Status: signoff.StatusPending, CurrentStep: 2, StepCount: 3, StepLabel: "Data owner",
		StepRole: "APPROVER_OWNER"}

	for _, tc := range []struct {
		name   string
		actor  signoff.Identity
		act    func(*Store) (signoff.Outcome, error)
		query  string
		args   []driver.Value
		answer string
		want   signoff.Outcome
		kind   error // the refusal's kind (nil: OK)
	}{{
		name: "submit", actor: alice, act: submit(submitCall), query: callSubmit, args: submitArgs,
		answer: envelope(signoff.CodeOK, `{"actor":"ALICE","request_id":"`+reqID+`","product_id":"SALES_EU",`+
			`"product_name":"EU sales orders","status":"PENDING","current_step":1,"step_count":3}`),
		want: signoff.Outcome{Code: signoff.CodeOK, Actor: "ALICE", RequestID: reqID, ProductID: "SALES_EU",
			ProductName: "EU sales orders", Status: signoff.StatusPending, CurrentStep: 1, StepCount: 3},
	}, {
		name: "submit, dry run", actor: alice, act: submit(with(submitCall, func(c *signoff.SubmitCall) { c.DryRun = true })),
		query: callSubmit, args: []driver.Value{"SALES_EU", reason, int64(0), "", reqID, evID, true},
		answer: envelope(signoff.CodeDryRun, `{"actor":"ALICE","product_id":"SALES_EU"}`),
		want:   signoff.Outcome{Code: signoff.CodeDryRun, Actor: "ALICE", ProductID: "SALES_EU"},
	}, {
		name: "submit refused: an open request exists", actor: alice, act: submit(submitCall), query: callSubmit, args: submitArgs,
		answer: envelope(signoff.CodeOpenRequestExists, `{"actor":"ALICE","product_id":"SALES_EU","product_name":"EU sales orders","open_request_id":"`+req2ID+`"}`),
		want: signoff.Outcome{Code: signoff.CodeOpenRequestExists, Actor: "ALICE", ProductID: "SALES_EU",
			ProductName: "EU sales orders", OpenRequestID: req2ID},
		kind: signoff.ErrConflict,
	}, {
		name: "decide: approve step 1", actor: bob,
		act: decide(signoff.DecideCall{RequestID: reqID, Step: 1, Decision: signoff.DecisionApprove, Comment: "Fine by me.",
			EventIDs: eventIDs, At: t1}),
		query: callDecide, args: []driver.Value{reqID, int64(1), "APPROVED", "Fine by me.", "", int64(0), evID + "," + ev2ID + "," + ev3ID, false},
		answer: envelope(signoff.CodeOK, `{"actor":"BOB",`+pending2+`,"seen_step":1,"seen_label":"Line manager","seen_decided_by":"BOB","seen_decision":"APPROVED"}`),
		want: with(want2, func(o *signoff.Outcome) {
			o.Code, o.Actor, o.SeenStep, o.SeenLabel, o.SeenDecidedBy, o.SeenDecision =
				signoff.CodeOK, "BOB", 1, "Line manager", "BOB", signoff.DecisionApprove
		}),
	}, {
		name: "decide: reject the current step, acting as a role", actor: bob,
		act: decide(signoff.DecideCall{RequestID: reqID, Decision: signoff.DecisionReject, Comment: "No DPIA yet.",
			ActingAs: "APPROVER_MGR", EventIDs: eventIDs, At: t1}),
		query: callDecide, args: []driver.Value{reqID, int64(0), "REJECTED", "No DPIA yet.", "APPROVER_MGR", int64(0), evID + "," + ev2ID + "," + ev3ID, false},
		answer: envelope(signoff.CodeOK, `{"actor":"BOB","request_id":"`+reqID+`","status":"REJECTED","current_step":1,"acting_as":"APPROVER_MGR"}`),
		want: signoff.Outcome{Code: signoff.CodeOK, Actor: "BOB", RequestID: reqID, Status: signoff.StatusRejected,
			CurrentStep: 1, ActingAs: "APPROVER_MGR"},
	}, {
		name: "decide: the final approval grants in the same call", actor: bob,
		act:   decide(signoff.DecideCall{RequestID: reqID, Step: 3, Decision: signoff.DecisionApprove, EventIDs: eventIDs, At: t1}),
		query: callDecide, args: []driver.Value{reqID, int64(3), "APPROVED", "", "", int64(0), evID + "," + ev2ID + "," + ev3ID, false},
		answer: envelope(signoff.CodeOK, `{"actor":"BOB","request_id":"`+reqID+`","requester":"ALICE","access_role":"SALES_READER","status":"GRANTED","current_step":3,"step_count":3}`),
		want: signoff.Outcome{Code: signoff.CodeOK, Actor: "BOB", RequestID: reqID, Requester: "ALICE",
			AccessRole: "SALES_READER", Status: signoff.StatusGranted, CurrentStep: 3, StepCount: 3},
	}, {
		name: "decide: the grant recorded no outcome", actor: bob,
		act:   decide(signoff.DecideCall{RequestID: reqID, Step: 3, Decision: signoff.DecisionApprove, EventIDs: eventIDs, At: t1}),
		query: callDecide, args: []driver.Value{reqID, int64(3), "APPROVED", "", "", int64(0), evID + "," + ev2ID + "," + ev3ID, false},
		answer: envelope(signoff.CodeOK, `{"actor":"BOB","request_id":"`+reqID+`","status":"APPROVED","grant_error":"Insufficient privileges"}`),
		want: signoff.Outcome{Code: signoff.CodeOK, Actor: "BOB", RequestID: reqID, Status: signoff.StatusApproved,
			GrantError: "Insufficient privileges"},
	}, {
		name: "decide refused: stale step", actor: bob,
		act:   decide(signoff.DecideCall{RequestID: reqID, Step: 1, Decision: signoff.DecisionApprove, EventIDs: eventIDs, At: t1}),
		query: callDecide, args: []driver.Value{reqID, int64(1), "APPROVED", "", "", int64(0), evID + "," + ev2ID + "," + ev3ID, false},
		answer: envelope(signoff.CodeStaleStep, `{"actor":"BOB",`+pending2+`,"seen_step":1,"seen_label":"Line manager","seen_decided_by":"CAROL","seen_decision":"APPROVED"}`),
		want: with(want2, func(o *signoff.Outcome) {
			o.Code, o.Actor, o.SeenStep, o.SeenLabel, o.SeenDecidedBy, o.SeenDecision =
				signoff.CodeStaleStep, "BOB", 1, "Line manager", "CAROL", signoff.DecisionApprove
		}),
		kind: signoff.ErrConflict,
	}, {
		// OBJECT_CONSTRUCT(*) of a check's row names the keys after its
		// columns, upper-cased by Snowflake, and carries columns Outcome
		// does not know (N).
		name: "decide refused: role not held (upper-case keys)", actor: bob,
		act:   decide(signoff.DecideCall{RequestID: reqID, Step: 2, Decision: signoff.DecisionApprove, EventIDs: eventIDs, At: t1}),
		query: callDecide, args: []driver.Value{reqID, int64(2), "APPROVED", "", "", int64(0), evID + "," + ev2ID + "," + ev3ID, false},
		answer: `{"code":"ROLE_NOT_HELD","data":{"ACCESS_ROLE":"SALES_READER","ACTOR":"BOB","CURRENT_STEP":2,"N":1,` +
			`"OWNER_ROLE":"SALES_OWNER","PRODUCT_ID":"SALES_EU","PRODUCT_NAME":"EU sales orders","REQUESTER":"ALICE",` +
			`"REQUEST_ID":"` + reqID + `","STATUS":"PENDING","STEP_COUNT":3,"STEP_LABEL":"Data owner","STEP_ROLE":"APPROVER_OWNER"},` +
			`"message":"This step needs a role that is not in your session.","ok":false}`,
		want: with(want2, func(o *signoff.Outcome) { o.Code, o.Actor, o.OwnerRole = signoff.CodeRoleNotHeld, "BOB", "SALES_OWNER" }),
		kind: signoff.ErrForbidden,
	}, {
		name: "withdraw", actor: alice,
		act: func(st *Store) (signoff.Outcome, error) {
			return st.Withdraw(t.Context(), alice, signoff.WithdrawCall{RequestID: reqID, EventIDs: eventIDs[:1], At: t1})
		},
		query: callWithdraw, args: []driver.Value{reqID, evID, false},
		answer: envelope(signoff.CodeOK, `{"actor":"ALICE","request_id":"`+reqID+`","status":"WITHDRAWN"}`),
		want:   signoff.Outcome{Code: signoff.CodeOK, Actor: "ALICE", RequestID: reqID, Status: signoff.StatusWithdrawn},
	}, {
		name: "withdraw refused: not the requester", actor: bob,
		act: func(st *Store) (signoff.Outcome, error) {
			return st.Withdraw(t.Context(), bob, signoff.WithdrawCall{RequestID: reqID, EventIDs: eventIDs[:1], At: t1, DryRun: true})
		},
		query: callWithdraw, args: []driver.Value{reqID, evID, true},
		answer: envelope(signoff.CodeNotRequester, `{"actor":"BOB","request_id":"`+reqID+`","requester":"ALICE","status":"PENDING"}`),
		want: signoff.Outcome{Code: signoff.CodeNotRequester, Actor: "BOB", RequestID: reqID, Requester: "ALICE",
			Status: signoff.StatusPending},
		kind: signoff.ErrForbidden,
	}, {
		name: "retry grant", actor: ada,
		act: func(st *Store) (signoff.Outcome, error) {
			return st.RetryGrant(t.Context(), ada, signoff.RetryCall{RequestID: reqID, EventIDs: eventIDs[1:2], At: t2})
		},
		query: callRetry, args: []driver.Value{reqID, ev2ID, false},
		answer: envelope(signoff.CodeOK, `{"actor":"ADA","request_id":"`+reqID+`","status":"GRANT_FAILED"}`),
		want:   signoff.Outcome{Code: signoff.CodeOK, Actor: "ADA", RequestID: reqID, Status: signoff.StatusGrantFailed},
	}, {
		name: "retry grant refused: not an admin", actor: bob,
		act: func(st *Store) (signoff.Outcome, error) {
			return st.RetryGrant(t.Context(), bob, signoff.RetryCall{RequestID: reqID, EventIDs: eventIDs[1:2], At: t2})
		},
		query: callRetry, args: []driver.Value{reqID, ev2ID, false},
		answer: envelope(signoff.CodeNotAdmin, `{"actor":"BOB","request_id":"`+reqID+`"}`),
		want:   signoff.Outcome{Code: signoff.CodeNotAdmin, Actor: "BOB", RequestID: reqID},
		kind:   signoff.ErrForbidden,
	}, {
		name: "revoke", actor: ada,
		act: func(st *Store) (signoff.Outcome, error) {
			return st.Revoke(t.Context(), ada, signoff.RevokeCall{RequestID: reqID, Reason: "Left the team.", EventIDs: eventIDs[2:], At: t2})
		},
		query: callRevoke, args: []driver.Value{reqID, "Left the team.", ev3ID, false},
		answer: envelope(signoff.CodeOK, `{"actor":"ADA","request_id":"`+reqID+`","access_role":"SALES_READER","status":"REVOKED"}`),
		want: signoff.Outcome{Code: signoff.CodeOK, Actor: "ADA", RequestID: reqID, AccessRole: "SALES_READER",
			Status: signoff.StatusRevoked},
	}, {
		name: "revoke refused: neither admin nor owner", actor: bob,
		act: func(st *Store) (signoff.Outcome, error) {
			return st.Revoke(t.Context(), bob, signoff.RevokeCall{RequestID: reqID, EventIDs: eventIDs[2:], At: t2})
		},
		query: callRevoke, args: []driver.Value{reqID, "", ev3ID, false},
		answer: envelope(signoff.CodeNotAdminOrOwner, `{"actor":"BOB","request_id":"`+reqID+`","product_id":"SALES_EU","product_name":"EU sales orders","owner_role":"SALES_OWNER","status":"GRANTED"}`),
		want: signoff.Outcome{Code: signoff.CodeNotAdminOrOwner, Actor: "BOB", RequestID: reqID, ProductID: "SALES_EU",
			ProductName: "EU sales orders", OwnerRole: "SALES_OWNER", Status: signoff.StatusGranted},
		kind: signoff.ErrForbidden,
	}, {
		name: "save a product: the definition's JSON, in the admin's session", actor: ada,
		act: func(st *Store) (signoff.Outcome, error) {
			return st.SaveProduct(t.Context(), ada, signoff.SaveProductCall{Definition: productDef, BaseVersion: 2,
				EventIDs: eventIDs[:1], At: t2})
		},
		query: callSave, args: []driver.Value{productDef.JSON(), false, int64(2), evID, false},
		answer: envelope(signoff.CodeOK, `{"actor":"ADA","product_id":"sales-eu","product_name":"EU sales orders","version":3}`),
		want: signoff.Outcome{Code: signoff.CodeOK, Actor: "ADA", ProductID: "sales-eu", ProductName: "EU sales orders",
			Version: 3},
	}, {
		name: "save refused: saved meanwhile", actor: ada,
		act: func(st *Store) (signoff.Outcome, error) {
			return st.SaveProduct(t.Context(), ada, signoff.SaveProductCall{Definition: productDef, Create: true,
				EventIDs: eventIDs[:1], At: t2})
		},
		query: callSave, args: []driver.Value{productDef.JSON(), true, int64(0), evID, false},
		answer: envelope(signoff.CodeStaleVersion, `{"actor":"ADA","product_id":"sales-eu","version":4}`),
		want:   signoff.Outcome{Code: signoff.CodeStaleVersion, Actor: "ADA", ProductID: "sales-eu", Version: 4},
		kind:   signoff.ErrConflict,
	}, {
		name: "save refused: the access role is not SIGNOFF_OWNER's", actor: ada,
		act: func(st *Store) (signoff.Outcome, error) {
			return st.SaveProduct(t.Context(), ada, signoff.SaveProductCall{Definition: productDef, BaseVersion: 2,
				EventIDs: eventIDs[:1], At: t2})
		},
		query: callSave, args: []driver.Value{productDef.JSON(), false, int64(2), evID, false},
		answer: envelope(signoff.CodeAccessRoleNotOwned, `{"actor":"ADA","product_id":"sales-eu","version":3}`),
		want:   signoff.Outcome{Code: signoff.CodeAccessRoleNotOwned, Actor: "ADA", ProductID: "sales-eu", Version: 3},
		kind:   signoff.ErrInvalid,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			o := &mockOpener{t: t, expect: expectCall(tc.query, tc.answer, tc.args...)}
			st, _ := newMockWith(t, o.open) // the service connection expects nothing
			got, err := tc.act(st)
			require.NoError(t, err, "a refusal is an outcome, not an error")
			require.Equal(t, tc.want, got)
			require.Equal(t, []string{tc.actor.Credential}, o.tokens, "one session, opened with the actor's caller token")
			o.requireMet(t) // the CALL ran, and the session was closed after it
			if tc.kind == nil {
				require.True(t, got.OK())
				require.NoError(t, got.Err())
			} else {
				require.False(t, got.OK())
				requireKind(t, got.Err(), tc.kind)
			}
		})
	}
}

// productDef is a product an admin saves.
var productDef = signoff.Definition{ID: "sales-eu", Name: "EU sales orders", Owner: "Sales ops", OwnerRole: "SALES_OWNER",
	Domain: "Sales", Classification: "INTERNAL", Tags: []string{"sales"}, Columns: []signoff.Column{}, AccessRole: "SALES_READER",
	Durations: []int{30}, Chain: []signoff.DefinitionStep{{Kind: signoff.KindRole, ApproverRole: "APPROVER_MGR",
		Label: "Line manager", Quorum: 1}}}

// with returns v changed by f.
func with[T any](v T, f func(*T)) T { f(&v); return v }

// TestActionRefusalMessages: a refusal read from the envelope says what
// happened in the app's own words, from the data the procedure returned.
func TestActionRefusalMessages(t *testing.T) {
	for _, tc := range []struct{ answer, msg string }{
		{envelope(signoff.CodeRoleNotHeld, `{"STEP_LABEL":"Data owner","STEP_ROLE":"APPROVER_OWNER"}`),
			"The Data owner step needs the APPROVER_OWNER role, which is not in your session."},
		{envelope(signoff.CodeStaleStep, `{"seen_label":"Line manager","seen_decided_by":"CAROL","seen_decision":"APPROVED"}`),
			"The Line manager step was already approved by CAROL. Nothing was changed."},
		{envelope(signoff.CodeOpenRequestExists, `{"product_name":"EU sales orders"}`),
			"You already have an open request for EU sales orders. Follow it in My requests."},
		{envelope(signoff.CodeInvalid, `{"field":"business_reason"}`), "The business reason you sent is not valid."},
	} {
		o, err := parseEnvelope(tc.answer)
		require.NoError(t, err)
		require.Equal(t, tc.msg, signoff.Message(o.Err()))
	}
}

// TestParseEnvelope reads procedure answers, well-formed and not.
func TestParseEnvelope(t *testing.T) {
	for _, tc := range []struct {
		name, raw string
		want      signoff.Outcome
	}{
		{"OK with data", `{"ok":true,"code":"OK","message":"Done.","data":{"request_id":"` + reqID + `","current_step":2}}`,
			signoff.Outcome{Code: signoff.CodeOK, RequestID: reqID, CurrentStep: 2}},
		{"OK, data null", `{"ok":true,"code":"OK","message":"Done.","data":null}`, signoff.Outcome{Code: signoff.CodeOK}},
		{"OK, no data", `{"ok":true,"code":"OK"}`, signoff.Outcome{Code: signoff.CodeOK}},
		{"dry run", `{"ok":true,"code":"DRY_RUN","data":{}}`, signoff.Outcome{Code: signoff.CodeDryRun}},
		{"refusal with data", `{"ok":false,"code":"NOT_ADMIN_OR_OWNER","data":{"owner_role":"SALES_OWNER","product_id":"SALES_EU"}}`,
			signoff.Outcome{Code: signoff.CodeNotAdminOrOwner, OwnerRole: "SALES_OWNER", ProductID: "SALES_EU"}},
		{"upper-case keys throughout", `{"OK":false,"CODE":"WRONG_STATUS","MESSAGE":"x","DATA":{"STATUS":"REVOKED","REQUEST_ID":"` + reqID + `","SEEN_STEP":3}}`,
			signoff.Outcome{Code: signoff.CodeWrongStatus, Status: signoff.StatusRevoked, RequestID: reqID, SeenStep: 3}},
		{"Snowflake's indented VARIANT text", "{\n  \"code\": \"CONFLICT\",\n  \"data\": {\n    \"REQUEST_ID\": \"" + reqID +
			"\"\n  },\n  \"message\": \"Someone changed the request.\",\n  \"ok\": false\n}",
			signoff.Outcome{Code: signoff.CodeConflict, RequestID: reqID}},
		{"unknown data keys are ignored", `{"ok":true,"code":"OK","data":{"N":1,"HOLDS_STEP_ROLE":true}}`,
			signoff.Outcome{Code: signoff.CodeOK}},
		{"the envelope's code wins over data's", `{"ok":false,"code":"CONFLICT","data":{"code":"OK"}}`,
			signoff.Outcome{Code: signoff.CodeConflict}},
		{"an unknown code is a refusal", `{"ok":false,"code":"SOMETHING_NEW"}`, signoff.Outcome{Code: "SOMETHING_NEW"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseEnvelope(tc.raw)
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
	unknown, _ := parseEnvelope(`{"ok":false,"code":"SOMETHING_NEW"}`)
	requireKind(t, unknown.Err(), signoff.ErrConflict)
	require.Equal(t, "Signoff refused the action (SOMETHING_NEW). Nothing was changed.", signoff.Message(unknown.Err()))

	for _, tc := range []struct{ name, raw, err string }{
		{"NULL", ``, "the procedure's answer is not an envelope"},
		{"not JSON", `CONFLICT:1`, "the procedure's answer is not an envelope"},
		{"an array", `[{"ok":true,"code":"OK"}]`, "the procedure's answer is not an envelope"},
		{"ok as text", `{"ok":"true","code":"OK"}`, "the procedure's answer is not an envelope"},
		{"no code", `{"ok":true,"message":"Done."}`, "the procedure's answer has no code"},
		{"empty code", `{"ok":false,"code":"","data":{"status":"PENDING"}}`, "the procedure's answer has no code"},
		{"ok without its code", `{"ok":true,"code":"NOT_ADMIN"}`, "the procedure's answer says ok=true with code NOT_ADMIN"},
		{"a code without ok", `{"ok":false,"code":"OK"}`, "the procedure's answer says ok=false with code OK"},
		{"no ok at all", `{"code":"DRY_RUN"}`, "the procedure's answer says ok=false with code DRY_RUN"},
		{"data not an object", `{"ok":true,"code":"OK","data":"done"}`, "the procedure's data: "},
		{"data of the wrong type", `{"ok":true,"code":"OK","data":{"current_step":"two"}}`, "the procedure's data: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseEnvelope(tc.raw)
			require.ErrorContains(t, err, tc.err)
			require.Zero(t, got)
		})
	}
}

// TestActionWithoutCredential: an action without the actor's caller token
// is a wiring error; no session is opened and nothing is sent.
func TestActionWithoutCredential(t *testing.T) {
	o := &mockOpener{t: t}
	st, _ := newMockWith(t, o.open)
	anon := signoff.Identity{User: "ALICE"}
	for name, act := range map[string]func() (signoff.Outcome, error){
		"submit": func() (signoff.Outcome, error) {
			return st.Submit(t.Context(), anon, signoff.SubmitCall{ProductID: "SALES_EU", RequestID: reqID})
		},
		"decide": func() (signoff.Outcome, error) {
			return st.Decide(t.Context(), anon, signoff.DecideCall{RequestID: reqID})
		},
		"withdraw": func() (signoff.Outcome, error) {
			return st.Withdraw(t.Context(), anon, signoff.WithdrawCall{RequestID: reqID})
		},
		"retry grant": func() (signoff.Outcome, error) {
			return st.RetryGrant(t.Context(), anon, signoff.RetryCall{RequestID: reqID})
		},
		"revoke": func() (signoff.Outcome, error) {
			return st.Revoke(t.Context(), anon, signoff.RevokeCall{RequestID: reqID})
		},
	} {
		got, err := act()
		require.ErrorIs(t, err, errNoCredential, name)
		require.EqualError(t, err, "snowflake: "+name+": no caller token to act with")
		requireKind(t, err, nil)
		require.Zero(t, got)
	}
	require.Zero(t, o.calls(), "no session is opened")
}

// TestActionErrors: a failed CALL is an error of its kind, never an
// outcome; the session is closed all the same.
func TestActionErrors(t *testing.T) {
	withdraw := func(st *Store) (signoff.Outcome, error) {
		return st.Withdraw(t.Context(), alice, signoff.WithdrawCall{RequestID: reqID, EventIDs: eventIDs[:1]})
	}
	for _, tc := range []struct {
		name string
		err  error
		kind error
		text string
	}{
		{"caller token expired (390318)", sfErr(390318, "08001", "q-call"), signoff.ErrUnauthenticated,
			"snowflake: withdraw: Your Snowflake session has expired. Reload the page, signing in to Snowflake again if asked.: " +
				"snowflake error 390318 (query q-call)"},
		{"caller token invalid (390303)", sfErr(390303, "08001", "q-call"), signoff.ErrUnauthenticated,
			"snowflake error 390303 (query q-call)"},
		{"insufficient privileges (3001)", sfErr(3001, "42501", "q-call"), signoff.ErrForbidden,
			"snowflake: withdraw: forbidden: snowflake error 3001 (SQLSTATE 42501, query q-call)"},
		{"procedure not visible (2003)", sfErr(2003, "02000", "q-call"), signoff.ErrForbidden, "snowflake error 2003"},
		{"statement timeout (630)", sfErr(630, "57014", "q-call"), signoff.ErrUnavailable,
			"snowflake: withdraw: unavailable: snowflake error 630 (SQLSTATE 57014, query q-call)"},
		{"deadlock victim (625)", sfErr(625, "57014", "q-call"), signoff.ErrConflict, "snowflake error 625"},
		{"service session expired (390114)", sfErr(390114, "08001", "q-call"), signoff.ErrUnavailable, "snowflake error 390114"},
		{"a bug in the procedure (100132)", sfErr(100132, "P0000", "q-call"), nil, "snowflake error 100132"},
		{"deadline", context.DeadlineExceeded, signoff.ErrUnavailable, "snowflake: withdraw: unavailable: context deadline exceeded"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := &mockOpener{t: t, expect: func(m sqlmock.Sqlmock) {
				expectQuery(m, callWithdraw, reqID, evID, false).WillReturnError(tc.err)
				m.ExpectClose()
			}}
			st, _ := newMockWith(t, o.open)
			got, err := withdraw(st)
			requireKind(t, err, tc.kind)
			require.ErrorContains(t, err, tc.text)
			require.ErrorIs(t, err, tc.err, "the driver's error stays in the chain, for the log")
			require.Zero(t, got)
			o.requireMet(t)
		})
	}
	t.Run("expired caller token: the message asks to sign in again", func(t *testing.T) {
		o := &mockOpener{t: t, expect: func(m sqlmock.Sqlmock) {
			expectQuery(m, callWithdraw, reqID, evID, false).WillReturnError(sfErr(390318, "08001", "q-call"))
			m.ExpectClose()
		}}
		st, _ := newMockWith(t, o.open)
		_, err := withdraw(st)
		require.Equal(t, "Your Snowflake session has expired. Reload the page, signing in to Snowflake again if asked.",
			signoff.Message(err))
	})
	t.Run("opening the session fails", func(t *testing.T) {
		o := &mockOpener{t: t, err: errors.New("service token: open /snowflake/session/token: no such file or directory")}
		st, _ := newMockWith(t, o.open)
		_, err := withdraw(st)
		requireKind(t, err, nil)
		require.EqualError(t, err, "snowflake: withdraw: caller session: service token: open /snowflake/session/token: no such file or directory")

		o = &mockOpener{t: t, err: sfErr(390303, "08001", "q-login")}
		st, _ = newMockWith(t, o.open)
		_, err = withdraw(st)
		requireKind(t, err, signoff.ErrUnauthenticated)
		require.ErrorContains(t, err, "snowflake: withdraw: caller session: Your Snowflake session has expired. "+
			"Reload the page, signing in to Snowflake again if asked.: snowflake error 390303 (query q-login)")
	})
	for _, tc := range []struct {
		name   string
		answer driver.Value
		err    string
	}{
		{"NULL answer", nil, "snowflake: withdraw: the procedure's answer is not an envelope"},
		{"an old-style answer", "OK", "snowflake: withdraw: the procedure's answer is not an envelope"},
		{"no code", `{"ok":true}`, "snowflake: withdraw: the procedure's answer has no code"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := &mockOpener{t: t, expect: expectCall(callWithdraw, tc.answer, reqID, evID, false)}
			st, _ := newMockWith(t, o.open)
			got, err := withdraw(st)
			require.ErrorContains(t, err, tc.err)
			requireKind(t, err, nil)
			require.Zero(t, got)
			o.requireMet(t)
		})
	}
	t.Run("no row", func(t *testing.T) {
		o := &mockOpener{t: t, expect: func(m sqlmock.Sqlmock) {
			expectQuery(m, callWithdraw, reqID, evID, false).WillReturnRows(sqlmock.NewRows([]string{"WITHDRAW_REQUEST"}))
			m.ExpectClose()
		}}
		st, _ := newMockWith(t, o.open)
		_, err := withdraw(st)
		require.ErrorIs(t, err, sql.ErrNoRows)
		requireKind(t, err, nil)
		o.requireMet(t)
	})
}

// TestActionSessionsAreNotShared: every action opens its own session with
// the token it was given, even for the same person twice.
func TestActionSessionsAreNotShared(t *testing.T) {
	o := &mockOpener{t: t, expect: expectCall(callRetry, envelope(signoff.CodeOK, `{"status":"GRANTED"}`), reqID, ev2ID, false)}
	st, _ := newMockWith(t, o.open)
	for _, token := range []string{"caller-token-1", "caller-token-1", "caller-token-2"} {
		actor := ada
		actor.Credential = token
		got, err := st.RetryGrant(t.Context(), actor, signoff.RetryCall{RequestID: reqID, EventIDs: eventIDs[1:2]})
		require.NoError(t, err)
		require.Equal(t, signoff.StatusGranted, got.Status)
	}
	require.Equal(t, []string{"caller-token-1", "caller-token-1", "caller-token-2"}, o.tokens)
	o.requireMet(t)
}

// ---- error translation ----

func TestTranslate(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		kind error
	}{
		{"3001 insufficient privileges", sfErr(3001, "42501", "q1"), signoff.ErrForbidden},
		{"2003 does not exist or not authorized", sfErr(2003, "02000", "q1"), signoff.ErrForbidden},
		{"2043 object does not exist", sfErr(2043, "02000", "q1"), signoff.ErrForbidden},
		{"390114 token expired", sfErr(390114, "08001", "q1"), signoff.ErrUnavailable},
		{"390114 without SQLSTATE", sfErr(390114, "", "q1"), signoff.ErrUnavailable},
		{"SQLSTATE 08001 connection", sfErr(260008, "08001", "q1"), signoff.ErrUnavailable},
		{"SQLSTATE 08006", sfErr(261000, "08006", "q1"), signoff.ErrUnavailable},
		{"625 statement aborted", sfErr(625, "57014", "q1"), signoff.ErrConflict},
		{"630 statement timeout", sfErr(630, "57014", "q1"), signoff.ErrUnavailable},
		{"604 cancelled", sfErr(604, "57014", "q1"), signoff.ErrConflict},
		{"1003 syntax error", sfErr(1003, "42000", "q1"), nil},
		{"100038 numeric conversion", sfErr(100038, "22018", "q1"), nil},
		{"wrapped Snowflake error", fmt.Errorf("outer: %w", sfErr(3001, "42501", "q1")), signoff.ErrForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := translate(tc.err)
			requireKind(t, err, tc.kind)
			require.ErrorIs(t, err, tc.err, "the driver's error stays in the chain")
			require.ErrorContains(t, err, "query q1", "the query ID goes to the log")
			require.Regexp(t, `snowflake error \d+ \(SQLSTATE [0-9]*, query q1\)`, err.Error())
			if tc.kind == nil {
				require.ErrorIs(t, err, errStatement)
			}
		})
	}
	t.Run("number in text", func(t *testing.T) {
		require.ErrorContains(t, translate(sfErr(3001, "42501", "01b2")), "snowflake error 3001 (SQLSTATE 42501, query 01b2)")
	})
	t.Run("deadline", func(t *testing.T) {
		err := translate(fmt.Errorf("post: %w", context.DeadlineExceeded))
		requireKind(t, err, signoff.ErrUnavailable)
		require.ErrorIs(t, err, context.DeadlineExceeded)
	})
	t.Run("bad connection", func(t *testing.T) {
		requireKind(t, translate(driver.ErrBadConn), signoff.ErrUnavailable)
	})
	t.Run("nil", func(t *testing.T) { require.NoError(t, translate(nil)) })
	t.Run("other errors pass through", func(t *testing.T) {
		plain := errors.New("plain")
		require.Same(t, plain, translate(plain))
	})
}
