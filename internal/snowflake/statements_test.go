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
	"strings"
	"testing"
	"time"

	"github.com/DATA-DOG/go-sqlmock"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlstore"
)

var update = flag.Bool("update", false, "rewrite testdata/statements.golden")

// The suffixes sqlstore appends to SelectProducts. They are written out here
// so that changing them takes a deliberate edit of this test too.
var (
	productsSQL = sqlstore.SelectProducts + ` ORDER BY p.name, p.product_id, c.step_order`
	productSQL  = sqlstore.SelectProducts + ` WHERE p.product_id = ? ORDER BY c.step_order`
)

// allFilters sets every audit filter.
var allFilters = signoff.EventFilter{RequestID: reqID, ProductID: "SALES_EU", Actor: "BOB",
	Type: signoff.EventStepApproved, From: t0, To: t2, Before: ev3ID, Limit: 51}

func eventsSQL(f signoff.EventFilter) string {
	q, _ := sqlstore.SelectEvents(f)
	return q
}

type namedStmt struct{ name, text string }

// catalogue is every statement text the Snowflake engine sends (the
// parametric ones in the variants the tests and pages use), in the order of
// testdata/statements.golden.
func catalogue() []namedStmt {
	return []namedStmt{
		{"Ping", `SELECT 1`},
		{"RolesThatMatter", RolesThatMatter},
		{"IdentityQuery(0)", IdentityQuery(0)},
		{"IdentityQuery(1)", IdentityQuery(1)},
		{"IdentityQuery(2)", IdentityQuery(2)},
		{"IdentityQuery(3)", IdentityQuery(3)},
		{"IdentityQuery(9)", IdentityQuery(9)},
		{"Products", productsSQL},
		{"Product", productSQL},
		{"ProductFor (product page)", sqlstore.SelectProductFor},
		{"ApproverRoles", sqlstore.SelectApproverRoles},
		{"Request", sqlstore.SelectRequest},
		{"RequestDetail", sqlstore.SelectRequestDetail},
		{"Requests (limit 200: my requests)", sqlstore.SelectRequestsBy(signoff.MyRequestsLimit)},
		{"Requests (limit 0 renders LIMIT 1)", sqlstore.SelectRequestsBy(0)},
		{"Queue (1 role, limit 50)", sqlstore.SelectQueue(1, signoff.QueueLimit)},
		{"Queue (2 roles, limit 50)", sqlstore.SelectQueue(2, signoff.QueueLimit)},
		{"Events (no filter, default limit)", eventsSQL(signoff.EventFilter{})},
		{"Events (request)", eventsSQL(signoff.EventFilter{RequestID: reqID})},
		{"Events (product)", eventsSQL(signoff.EventFilter{ProductID: "SALES_EU"})},
		{"Events (actor)", eventsSQL(signoff.EventFilter{Actor: "BOB"})},
		{"Events (type)", eventsSQL(signoff.EventFilter{Type: signoff.EventStepApproved})},
		{"Events (from)", eventsSQL(signoff.EventFilter{From: t0})},
		{"Events (to)", eventsSQL(signoff.EventFilter{To: t2})},
		{"Events (from and to)", eventsSQL(signoff.EventFilter{From: t0, To: t2})},
		{"Events (before: keyset)", eventsSQL(signoff.EventFilter{Before: ev3ID})},
		{"Events (every filter, limit 51)", eventsSQL(allFilters)},
		{"Events (request page: request, limit 500)", eventsSQL(signoff.EventFilter{RequestID: reqID, Limit: 500})},
		{"Events (audit page: limit 51)", eventsSQL(signoff.EventFilter{Limit: signoff.AuditPageSize + 1})},
		{"RequestsIn (APPROVED, GRANT_FAILED; limit 50: needs grant)", sqlstore.SelectRequestsIn(2, signoff.QueueLimit)},
		{"VerifyAudit: chains", sqlstore.SelectChains},
		{"VerifyAudit: requests", sqlstore.SelectRequestStates},
		{"CALL SIGNOFF_APPLY", callApply},
		{"SIGNOFF_APPLY batch: InsertRequest", strings.TrimSpace(sqlstore.InsertRequest)},
		{"SIGNOFF_APPLY batch: InsertSteps", strings.TrimSpace(sqlstore.InsertSteps)},
		{"SIGNOFF_APPLY batch: InsertEvent", strings.TrimSpace(sqlstore.InsertEvent)},
		{"SIGNOFF_APPLY batch: AdvanceRequest", strings.TrimSpace(sqlstore.AdvanceRequest)},
		{"SIGNOFF_APPLY batch: RecordDecision", strings.TrimSpace(sqlstore.RecordDecision)},
		{"SIGNOFF_APPLY batch: WithdrawRequest", strings.TrimSpace(sqlstore.WithdrawRequest)},
		{"CALL GRANT_PRODUCT_ACCESS", callGrant},
		{"CALL REVOKE_PRODUCT_ACCESS", callRevoke},
	}
}

// renderCatalogue renders the catalogue verbatim: each statement between a
// header line and an end line, whitespace and all.
func renderCatalogue() string {
	var b strings.Builder
	b.WriteString("# Every statement text the Snowflake engine sends, verbatim (internal/snowflake).\n")
	b.WriteString("# Each is pinned by a sqlmock test; TestMain fails if a pinned statement is missing here.\n")
	b.WriteString("# Regenerate: go test ./internal/snowflake -run TestStatementsGolden -update\n")
	for _, st := range catalogue() {
		fmt.Fprintf(&b, "\n==== %s ====\n%s\n==== end ====\n", st.name, st.text)
	}
	return b.String()
}

func TestStatementsGolden(t *testing.T) {
	path := filepath.Join("testdata", "statements.golden")
	got := renderCatalogue()
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run with -update to create it")
	require.Equal(t, string(want), got, "a statement text changed: review the diff and rerun with -update")
	names := map[string]bool{}
	for _, st := range catalogue() {
		require.False(t, names[st.name], "duplicate name %q", st.name)
		names[st.name] = true
	}
}

// ---- reads ----

func TestProducts(t *testing.T) {
	st, mock := newMock(t)
	rows := sqlmock.NewRows(productCols).
		AddRow("WEB_ADS", "Ad impressions", "Impressions by campaign.", "Marketing", "MKT_OWNER", "Marketing",
			"INTERNAL", `[]`, `[]`, "ADS_READER", int64(0), "", "").
		AddRow("SALES_EU", "EU sales orders", "Order lines for the EU markets, refreshed daily.", "Sales Analytics",
			"SALES_OWNER", "Sales", "CONFIDENTIAL", `["eu","orders"]`,
			`[{"name":"ORDER_ID","type":"NUMBER","description":"Order key"},`+
				`{"name":"EMAIL","type":"VARCHAR","description":"Buyer e-mail","sensitive":true}]`,
			"SALES_READER", int64(1), "APPROVER_MGR", "Line manager").
		AddRow("SALES_EU", "(ignored)", "", "", "", "", "", `not json: only the first row of a product is decoded`, ``,
			"", int64(2), "APPROVER_OWNER", "Data owner").
		AddRow("SALES_EU", "", "", "", "", "", "", ``, ``, "", int64(3), "APPROVER_DPO", "Security / DPO")
	expectQuery(mock, productsSQL).WillReturnRows(rows)
	ps, err := st.Products(t.Context())
	require.NoError(t, err)
	require.Equal(t, []signoff.Product{webAds(), salesEU()}, ps)
}

func TestProductsBadJSON(t *testing.T) {
	for _, tc := range []struct{ tags, cols, want string }{
		{`["eu"`, `[]`, "tags of SALES_EU"},
		{`[]`, `{"name":1}`, "columns of SALES_EU"},
	} {
		st, mock := newMock(t)
		expectQuery(mock, productsSQL).WillReturnRows(sqlmock.NewRows(productCols).AddRow("SALES_EU", "n", "d", "o",
			"R", "D", "C", tc.tags, tc.cols, "A", int64(0), "", ""))
		_, err := st.Products(t.Context())
		require.ErrorContains(t, err, tc.want)
		requireKind(t, err, nil)
	}
}

func TestProductsError(t *testing.T) {
	st, mock := newMock(t)
	expectQuery(mock, productsSQL).WillReturnError(sfErr(3001, "42501", "01b2-query"))
	_, err := st.Products(t.Context())
	requireKind(t, err, signoff.ErrForbidden)
	require.ErrorContains(t, err, "snowflake: products: forbidden: snowflake error 3001 (SQLSTATE 42501, query 01b2-query)")
}

func TestProduct(t *testing.T) {
	st, mock := newMock(t)
	expectQuery(mock, productSQL, "SALES_EU").WillReturnRows(productRows(salesEU()))
	p, err := st.Product(t.Context(), "SALES_EU")
	require.NoError(t, err)
	require.Equal(t, salesEU(), p)

	expectQuery(mock, productSQL, "NOPE").WillReturnRows(sqlmock.NewRows(productCols))
	_, err = st.Product(t.Context(), "NOPE")
	requireKind(t, err, signoff.ErrNotFound)
	require.Equal(t, `There is no data product "NOPE".`, signoff.Message(err))
}

func TestApproverRoles(t *testing.T) {
	st, mock := newMock(t)
	expectQuery(mock, sqlstore.SelectApproverRoles).WillReturnRows(sqlmock.NewRows([]string{"approver_role"}).
		AddRow("APPROVER_DPO").AddRow("APPROVER_MGR").AddRow("APPROVER_OWNER"))
	want := []string{"APPROVER_DPO", "APPROVER_MGR", "APPROVER_OWNER"}
	roles, err := st.ApproverRoles(t.Context())
	require.NoError(t, err)
	require.Equal(t, want, roles)
	// Reused for a minute: the second call sends nothing.
	roles, err = st.ApproverRoles(t.Context())
	require.NoError(t, err)
	require.Equal(t, want, roles)

	st, mock = newMock(t)
	expectQuery(mock, sqlstore.SelectApproverRoles).WillReturnError(sfErr(390114, "08001", "q-expired"))
	_, err = st.ApproverRoles(t.Context())
	requireKind(t, err, signoff.ErrUnavailable)
	// An error is not cached.
	expectQuery(mock, sqlstore.SelectApproverRoles).WillReturnRows(sqlmock.NewRows([]string{"approver_role"}))
	roles, err = st.ApproverRoles(t.Context())
	require.NoError(t, err)
	require.Empty(t, roles)
}

func TestRequest(t *testing.T) {
	st, mock := newMock(t)
	want := pendingRequest(reqID, 2)
	expectQuery(mock, sqlstore.SelectRequest, reqID).WillReturnRows(requestRows(want))
	got, err := st.Request(t.Context(), reqID)
	require.NoError(t, err)
	require.Equal(t, want, got)
	require.Equal(t, time.Time{}, got.Steps[1].DecidedAt, "NULL decided_at scans as the zero time")

	expectQuery(mock, sqlstore.SelectRequest, req2ID).WillReturnRows(sqlmock.NewRows(requestCols))
	_, err = st.Request(t.Context(), req2ID)
	requireKind(t, err, signoff.ErrNotFound)
}

func TestRequestTimesAreUTC(t *testing.T) {
	st, mock := newMock(t)
	want := pendingRequest(reqID, 2)
	cet := time.FixedZone("CET", 3600)
	vals := requestValues(want, want.Steps[0])
	vals[10], vals[11], vals[19] = t0.In(cet), want.UpdatedAt.In(cet), want.Steps[0].DecidedAt.In(cet)
	expectQuery(mock, sqlstore.SelectRequest, reqID).WillReturnRows(sqlmock.NewRows(requestCols).AddRow(vals...))
	got, err := st.Request(t.Context(), reqID)
	require.NoError(t, err)
	require.Equal(t, time.UTC, got.CreatedAt.Location())
	require.Equal(t, time.UTC, got.UpdatedAt.Location())
	require.Equal(t, time.UTC, got.Steps[0].DecidedAt.Location())
	require.True(t, got.CreatedAt.Equal(t0))
}

func TestRequestDetail(t *testing.T) {
	st, mock := newMock(t)
	r, p := pendingRequest(reqID, 3), salesEU()
	expectQuery(mock, sqlstore.SelectRequestDetail, reqID, reqID).WillReturnRows(detailRows(r, p))
	gotR, gotP, err := st.RequestDetail(t.Context(), reqID)
	require.NoError(t, err)
	require.Equal(t, r, gotR)
	p.Chain = nil // the request's steps are what count
	require.Equal(t, p, gotP)

	expectQuery(mock, sqlstore.SelectRequestDetail, req2ID, req2ID).WillReturnRows(sqlmock.NewRows(detailCols))
	_, _, err = st.RequestDetail(t.Context(), req2ID)
	requireKind(t, err, signoff.ErrNotFound)

	expectQuery(mock, sqlstore.SelectRequestDetail, req2ID, req2ID).WillReturnError(context.DeadlineExceeded)
	_, _, err = st.RequestDetail(t.Context(), req2ID)
	requireKind(t, err, signoff.ErrUnavailable)
}

func TestRequests(t *testing.T) {
	st, mock := newMock(t)
	a, b := pendingRequest(reqID, 2), pendingRequest(req2ID, 1)
	q := sqlstore.SelectRequestsBy(signoff.MyRequestsLimit)
	require.Contains(t, q, "ORDER BY created_at DESC, request_id DESC LIMIT 200)", "the LIMIT is a literal inside the CTE")
	expectQuery(mock, q, "ALICE").WillReturnRows(requestRows(a, b))
	got, err := st.Requests(t.Context(), "ALICE", signoff.MyRequestsLimit)
	require.NoError(t, err)
	require.Equal(t, []signoff.Request{a, b}, got)

	q0 := sqlstore.SelectRequestsBy(0)
	require.Contains(t, q0, " LIMIT 1)")
	expectQuery(mock, q0, "ALICE").WillReturnRows(sqlmock.NewRows(requestCols))
	got, err = st.Requests(t.Context(), "ALICE", 0)
	require.NoError(t, err)
	require.Empty(t, got)
}

func TestQueue(t *testing.T) {
	st, mock := newMock(t)
	r := pendingRequest(reqID, 2)
	q := sqlstore.SelectQueue(2, signoff.QueueLimit)
	require.Contains(t, q, "cur.approver_role IN (?, ?)")
	require.Contains(t, q, "ORDER BY r.created_at, r.request_id LIMIT 50)")
	// The role binds come first, then the user twice (not the requester,
	// and decided no step).
	expectQuery(mock, q, "APPROVER_MGR", "APPROVER_OWNER", "CAROL", "CAROL").WillReturnRows(requestRows(r))
	got, err := st.Queue(t.Context(), []string{"APPROVER_MGR", "APPROVER_OWNER"}, "CAROL", signoff.QueueLimit)
	require.NoError(t, err)
	require.Equal(t, []signoff.Request{r}, got)

	expectQuery(mock, sqlstore.SelectQueue(1, signoff.QueueLimit), "APPROVER_DPO", "DAN", "DAN").
		WillReturnRows(sqlmock.NewRows(requestCols))
	got, err = st.Queue(t.Context(), []string{"APPROVER_DPO"}, "DAN", signoff.QueueLimit)
	require.NoError(t, err)
	require.Empty(t, got)

	// No roles: no statement at all.
	got, err = st.Queue(t.Context(), nil, "DAN", signoff.QueueLimit)
	require.NoError(t, err)
	require.Empty(t, got)
}

func TestEvents(t *testing.T) {
	cest := time.FixedZone("CEST", 2*3600)
	for _, tc := range []struct {
		name  string
		f     signoff.EventFilter
		where string
		args  []any
	}{
		{"no filter", signoff.EventFilter{}, ` ORDER BY event_id DESC LIMIT 50`, nil},
		{"request", signoff.EventFilter{RequestID: reqID}, ` WHERE request_id = ? ORDER BY event_id DESC LIMIT 50`, []any{reqID}},
		{"product", signoff.EventFilter{ProductID: "SALES_EU"}, ` WHERE product_id = ? ORDER BY event_id DESC LIMIT 50`, []any{"SALES_EU"}},
		{"actor", signoff.EventFilter{Actor: "BOB"}, ` WHERE actor = ? ORDER BY event_id DESC LIMIT 50`, []any{"BOB"}},
		{"type", signoff.EventFilter{Type: signoff.EventStepApproved}, ` WHERE event_type = ? ORDER BY event_id DESC LIMIT 50`, []any{"STEP_APPROVED"}},
		{"from", signoff.EventFilter{From: t0.In(cest)}, ` WHERE event_time >= ? ORDER BY event_id DESC LIMIT 50`, []any{t0}},
		{"to", signoff.EventFilter{To: t2}, ` WHERE event_time < ? ORDER BY event_id DESC LIMIT 50`, []any{t2}},
		{"before: keyset", signoff.EventFilter{Before: ev3ID}, ` WHERE event_id < ? ORDER BY event_id DESC LIMIT 50`, []any{ev3ID}},
		{"every filter", allFilters, ` WHERE request_id = ? AND product_id = ? AND actor = ? AND event_type = ?` +
			` AND event_time >= ? AND event_time < ? AND event_id < ? ORDER BY event_id DESC LIMIT 51`,
			[]any{reqID, "SALES_EU", "BOB", "STEP_APPROVED", t0, t2, ev3ID}},
		{"request page", signoff.EventFilter{RequestID: reqID, Limit: 500}, ` WHERE request_id = ? ORDER BY event_id DESC LIMIT 500`, []any{reqID}},
		{"audit page", signoff.EventFilter{Limit: signoff.AuditPageSize + 1}, ` ORDER BY event_id DESC LIMIT 51`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, mock := newMock(t)
			q := eventsSQL(tc.f)
			require.True(t, strings.HasSuffix(q, "\nFROM audit_log"+tc.where), "got %q", q)
			evs := []signoff.Event{
				{ID: ev2ID, Time: t1, RequestID: reqID, ProductID: "SALES_EU", Actor: "BOB", ActorRole: "APPROVER_MGR",
					Type: signoff.EventStepApproved, Step: 1, Decision: signoff.DecisionApprove, Comment: "Fine by me."},
				submitted(reqID),
			}
			args := make([]driver.Value, len(tc.args))
			for i, a := range tc.args {
				args[i] = a
			}
			expectQuery(mock, q, args...).WillReturnRows(eventRows(evs...))
			got, err := st.Events(t.Context(), tc.f)
			require.NoError(t, err)
			require.Equal(t, evs, got)
		})
	}
}

func TestEventsWithoutRequestScanEmpty(t *testing.T) {
	st, mock := newMock(t)
	// A system event: the COALESCEd columns arrive as '' and 0.
	e := signoff.Event{ID: evID, Time: t0, Actor: "SIGNOFF", Type: signoff.EventGrantFailed, Details: `{"error":"x"}`}
	expectQuery(mock, eventsSQL(signoff.EventFilter{})).WillReturnRows(eventRows(e))
	got, err := st.Events(t.Context(), signoff.EventFilter{})
	require.NoError(t, err)
	require.Equal(t, []signoff.Event{e}, got)
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
	rows := sqlmock.NewRows([]string{"approver_role"}).AddRow("APPROVER_MGR").AddRow("SALES_OWNER").
		AddRow("APPROVER_DPO").AddRow("SALES_READER").AddRow("SIGNOFF_ADMIN")
	expectQuery(mock, RolesThatMatter).WillReturnRows(rows)
	roles := st.RolesThatMatter(time.Hour)
	want := []string{"APPROVER_DPO", "APPROVER_MGR", "SALES_OWNER", "SALES_READER", "SIGNOFF_ADMIN", "SIGNOFF_AUDITOR"}
	got, err := roles(t.Context())
	require.NoError(t, err)
	require.Equal(t, want, got, "sorted, deduplicated, with Signoff's admin and auditor")
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
		expectQuery(mock, RolesThatMatter).WillReturnRows(sqlmock.NewRows([]string{"approver_role"}).AddRow("X"))
		got, err := roles(t.Context())
		require.NoError(t, err)
		require.Equal(t, []string{"SIGNOFF_ADMIN", "SIGNOFF_AUDITOR", "X"}, got)
	}
	expectQuery(mock, RolesThatMatter).WillReturnError(sfErr(3001, "42501", "q-roles"))
	_, err := roles(t.Context())
	requireKind(t, err, signoff.ErrForbidden)

	expectQuery(mock, RolesThatMatter).WillReturnRows(sqlmock.NewRows([]string{"approver_role"}).
		AddRow("X").RowError(0, sfErr(390114, "08001", "q-rows")))
	_, err = roles(t.Context())
	requireKind(t, err, signoff.ErrUnavailable)
}

// ---- writes: one CALL SIGNOFF_APPLY(?) with the batch as JSON ----

// expectApply expects the one CALL and captures its argument.
func expectApply(mock sqlmock.Sqlmock, result string) *string {
	var arg string
	expectQuery(mock, callApply, capture{&arg}).WillReturnRows(sqlmock.NewRows([]string{"SIGNOFF_APPLY"}).AddRow(result))
	return &arg
}

// requireBatch asserts the decoded batch against want, pinning each text.
func requireBatch(t *testing.T, arg string, want []sentStmt) {
	t.Helper()
	got := decodeBatch(t, arg)
	for i := range want {
		want[i].SQL = pin(strings.TrimSpace(want[i].SQL))
	}
	require.Equal(t, want, got)
}

const stamp0 = "2026-03-02 09:30:15.123456"

func newRequest() (signoff.Request, signoff.Event) {
	r := pendingRequest(reqID, 1)
	cest := time.FixedZone("CEST", 2*3600)
	r.CreatedAt, r.UpdatedAt = t0.In(cest), t0.In(cest) // binds are UTC whatever the zone
	ev := submitted(reqID)
	ev.Time = t0.In(cest)
	evs := []signoff.Event{ev}
	signoff.Link(signoff.ChainHead{}, evs)
	evs[0].Time = t0.In(cest) // Link normalises to UTC; binds must be UTC whatever the zone
	return r, evs[0]
}

func TestCreateRequest(t *testing.T) {
	st, mock := newMock(t)
	r, ev := newRequest()
	arg := expectApply(mock, "OK")
	require.NoError(t, st.CreateRequest(t.Context(), r, ev))
	requireBatch(t, *arg, []sentStmt{
		{SQL: sqlstore.InsertRequest, Want: 1, Binds: []any{reqID, "SALES_EU", "ALICE",
			"Quarterly churn analysis for the EU board pack.", n(3), stamp0, stamp0, "SALES_EU", "ALICE"}},
		{SQL: sqlstore.InsertSteps, Want: 3, Binds: []any{reqID, "SALES_EU"}},
		{SQL: sqlstore.InsertEvent, Want: 1, Binds: append([]any{evID, stamp0, reqID, "SALES_EU", "ALICE", nil,
			"REQUEST_SUBMITTED", nil, nil, "Quarterly churn analysis for the EU board pack.", nil}, chainBinds(ev)...)},
	})
}

func TestApplyResults(t *testing.T) {
	r, ev := newRequest()
	for _, tc := range []struct {
		result string
		kind   error
		msg    string
	}{
		{"CONFLICT:0", signoff.ErrConflict, "conflict: an open request for this product exists"},
		{"CONFLICT:1", signoff.ErrConflict, "conflict: the product's chain changed"},
		{"CONFLICT:2", signoff.ErrConflict, "conflict: the request's audit chain moved on meanwhile"},
		{"CONFLICT:7", signoff.ErrConflict, "conflict: statement 7"},
		{"CONFLICT:x", signoff.ErrConflict, "conflict: statement x"},
		{"DONE", nil, `SIGNOFF_APPLY answered "DONE"`},
		{"", nil, `SIGNOFF_APPLY answered ""`},
	} {
		t.Run(tc.result, func(t *testing.T) {
			st, mock := newMock(t)
			expectApply(mock, tc.result)
			err := st.CreateRequest(t.Context(), r, ev)
			requireKind(t, err, tc.kind)
			require.ErrorContains(t, err, "snowflake: create request "+reqID+": ")
			require.ErrorContains(t, err, tc.msg)
		})
	}
	t.Run("Snowflake error", func(t *testing.T) {
		st, mock := newMock(t)
		expectQuery(mock, callApply, sqlmock.AnyArg()).WillReturnError(sfErr(625, "57014", "q-apply"))
		err := st.CreateRequest(t.Context(), r, ev)
		requireKind(t, err, signoff.ErrConflict)
		require.ErrorContains(t, err, "snowflake error 625 (SQLSTATE 57014, query q-apply)")
	})
}

func TestEncodeBatchBindTypes(t *testing.T) {
	// SIGNOFF_APPLY takes strings, numbers and nulls; times are UTC text.
	s, err := EncodeBatch([]sqlstore.Stmt{{SQL: " UPDATE t SET a = ? \n", Want: sqlstore.Any,
		Args: []any{"s", 1.5, []byte("b"), int32(7), nil, sql.NullString{}, sql.NullInt64{Int64: 4, Valid: true},
			t0.In(time.FixedZone("X", -5*3600))}}})
	require.NoError(t, err)
	require.Equal(t, `[{"sql":"UPDATE t SET a = ?","binds":["s",1.5,"b",7,null,null,4,"2026-03-02 09:30:15.123456"],"want":-1}]`, s)
	for _, bad := range []any{true, struct{}{}} {
		_, err := EncodeBatch([]sqlstore.Stmt{{SQL: "x", Args: []any{"ok", bad}}})
		require.ErrorContains(t, err, "statement 0 bind 2: ")
	}
}

func TestDecideStep(t *testing.T) {
	cest := time.FixedZone("CEST", 2*3600)
	at := t1.In(cest)
	stamp1 := "2026-03-03 11:35:15.124245"
	require.Equal(t, stamp1, t1.Format("2006-01-02 15:04:05.000000"))
	stepEvent := func(typ signoff.EventType, step int, d signoff.Decision, role, comment string) signoff.Event {
		return signoff.Event{ID: ev2ID, Time: at, RequestID: reqID, ProductID: "SALES_EU", Actor: "BOB",
			ActorRole: role, Type: typ, Step: step, Decision: d, Comment: comment}
	}
	for _, tc := range []struct {
		name   string
		d      signoff.StepDecision
		events []signoff.Event
		next   int
	}{
		{"advance",
			signoff.StepDecision{RequestID: reqID, Step: 1, Decision: signoff.DecisionApprove, DecidedBy: "BOB",
				ActorRole: "APPROVER_MGR", At: at, Next: signoff.StatusPending},
			[]signoff.Event{stepEvent(signoff.EventStepApproved, 1, signoff.DecisionApprove, "APPROVER_MGR", "")}, 2},
		{"approve",
			signoff.StepDecision{RequestID: reqID, Step: 3, Decision: signoff.DecisionApprove, DecidedBy: "BOB",
				ActorRole: "APPROVER_DPO", Comment: "Masking in place.", At: at, Next: signoff.StatusApproved},
			[]signoff.Event{stepEvent(signoff.EventStepApproved, 3, signoff.DecisionApprove, "APPROVER_DPO", "Masking in place."),
				{ID: ev3ID, Time: at, RequestID: reqID, ProductID: "SALES_EU", Actor: "BOB", ActorRole: "APPROVER_DPO",
					Type: signoff.EventRequestApproved, Step: 3}}, 3},
		{"reject",
			signoff.StepDecision{RequestID: reqID, Step: 2, Decision: signoff.DecisionReject, DecidedBy: "BOB",
				ActorRole: "APPROVER_OWNER", Comment: "No DPIA yet.", At: at, Next: signoff.StatusRejected},
			[]signoff.Event{stepEvent(signoff.EventStepRejected, 2, signoff.DecisionReject, "APPROVER_OWNER", "No DPIA yet.")}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, mock := newMock(t)
			arg := expectApply(mock, "OK")
			require.NoError(t, st.DecideStep(t.Context(), tc.d, tc.events))
			status, step := string(tc.d.Next), tc.d.Step
			var comment any
			if tc.d.Comment != "" {
				comment = tc.d.Comment
			}
			want := []sentStmt{
				{SQL: sqlstore.AdvanceRequest, Want: 1, Binds: []any{status, n(tc.next), stamp1, reqID, n(step), "BOB",
					status, status, status, reqID, "BOB", reqID, n(step), tc.d.ActorRole}},
				{SQL: sqlstore.RecordDecision, Want: 1, Binds: []any{string(tc.d.Decision), "BOB", tc.d.ActorRole,
					comment, stamp1, reqID, n(step)}},
			}
			for _, e := range tc.events {
				var dec, com any
				if e.Decision != "" {
					dec = string(e.Decision)
				}
				if e.Comment != "" {
					com = e.Comment
				}
				want = append(want, sentStmt{SQL: sqlstore.InsertEvent, Want: 1, Binds: append([]any{e.ID, stamp1, reqID,
					"SALES_EU", "BOB", e.ActorRole, string(e.Type), n(e.Step), dec, com, nil}, chainBinds(e)...)})
			}
			requireBatch(t, *arg, want)
		})
	}
	t.Run("conflict", func(t *testing.T) {
		st, mock := newMock(t)
		expectApply(mock, "CONFLICT:1")
		err := st.DecideStep(t.Context(), signoff.StepDecision{RequestID: reqID, Step: 1, At: at, Next: signoff.StatusPending}, nil)
		requireKind(t, err, signoff.ErrConflict)
		require.ErrorContains(t, err, "snowflake: decide "+reqID+" step 1: conflict: the step was decided already")
	})
}

func TestWithdraw(t *testing.T) {
	st, mock := newMock(t)
	ev := signoff.Event{ID: ev2ID, Time: t1, RequestID: reqID, ProductID: "SALES_EU", Actor: "ALICE",
		Type: signoff.EventRequestWithdrawn, Step: 2}
	arg := expectApply(mock, "OK")
	require.NoError(t, st.Withdraw(t.Context(), reqID, ev))
	stamp1 := t1.Format("2006-01-02 15:04:05.000000")
	requireBatch(t, *arg, []sentStmt{
		{SQL: sqlstore.WithdrawRequest, Want: 1, Binds: []any{stamp1, reqID, "ALICE"}},
		{SQL: sqlstore.InsertEvent, Want: 1, Binds: append([]any{ev2ID, stamp1, reqID, "SALES_EU", "ALICE", nil,
			"REQUEST_WITHDRAWN", n(2), nil, nil, nil}, chainBinds(ev)...)},
	})

	expectApply(mock, "CONFLICT:0")
	err := st.Withdraw(t.Context(), reqID, ev)
	requireKind(t, err, signoff.ErrConflict)
	require.ErrorContains(t, err, "the request is not pending or not the actor's")
}

// ---- the grant path ----

func TestGrant(t *testing.T) {
	call := signoff.GrantCall{RequestID: reqID, Actor: "DAN", ActorRole: "APPROVER_DPO", At: t2, EventID: ev3ID}
	for _, tc := range []struct {
		result string
		status signoff.Status
		kind   error
		msg    string
	}{
		{"GRANTED", signoff.StatusGranted, nil, ""},
		{"GRANT_FAILED", signoff.StatusGrantFailed, nil, ""},
		{"CONFLICT: request is GRANTED", "", signoff.ErrConflict, "conflict: CONFLICT: request is GRANTED"},
		{"NOT_FOUND", "", signoff.ErrNotFound, "There is no such request."},
		{"APPROVED", "", nil, `unexpected procedure result "APPROVED"`},
	} {
		t.Run(tc.result, func(t *testing.T) {
			st, mock := newMock(t)
			expectQuery(mock, callGrant, reqID, "DAN", "APPROVER_DPO", ev3ID).
				WillReturnRows(sqlmock.NewRows([]string{"GRANT_PRODUCT_ACCESS"}).AddRow(tc.result))
			got, err := st.Grant(t.Context(), call)
			if tc.status != "" {
				require.NoError(t, err)
				require.Equal(t, tc.status, got)
				return
			}
			requireKind(t, err, tc.kind)
			require.ErrorContains(t, err, "snowflake: grant "+reqID+": "+tc.msg)
			require.Empty(t, got)
		})
	}
	t.Run("Snowflake error", func(t *testing.T) {
		st, mock := newMock(t)
		expectQuery(mock, callGrant, reqID, "DAN", "APPROVER_DPO", ev3ID).WillReturnError(sfErr(2003, "02000", "q-grant"))
		_, err := st.Grant(t.Context(), call)
		requireKind(t, err, signoff.ErrForbidden)
		require.ErrorContains(t, err, "snowflake error 2003 (SQLSTATE 02000, query q-grant)")
	})
}

func TestRevoke(t *testing.T) {
	call := signoff.GrantCall{RequestID: reqID, Actor: "ERIN", ActorRole: "SALES_OWNER", Reason: "Left the team.",
		At: t2, EventID: ev3ID}
	for _, tc := range []struct {
		result string
		kind   error
		msg    string
	}{
		{"REVOKED", nil, ""},
		{"CONFLICT: request is REVOKED", signoff.ErrConflict, "conflict: CONFLICT: request is REVOKED"},
		{"NOT_FOUND", signoff.ErrNotFound, "There is no such request."},
		{"GRANTED", nil, `unexpected procedure result "GRANTED"`},
	} {
		t.Run(tc.result, func(t *testing.T) {
			st, mock := newMock(t)
			expectQuery(mock, callRevoke, reqID, "ERIN", "SALES_OWNER", "Left the team.", ev3ID).
				WillReturnRows(sqlmock.NewRows([]string{"REVOKE_PRODUCT_ACCESS"}).AddRow(tc.result))
			err := st.Revoke(t.Context(), call)
			if tc.msg == "" {
				require.NoError(t, err)
				return
			}
			requireKind(t, err, tc.kind)
			require.ErrorContains(t, err, "snowflake: revoke "+reqID+": "+tc.msg)
		})
	}
	t.Run("Snowflake error", func(t *testing.T) {
		st, mock := newMock(t)
		expectQuery(mock, callRevoke, reqID, "ERIN", "SALES_OWNER", "Left the team.", ev3ID).
			WillReturnError(sfErr(3001, "42501", "q-revoke"))
		err := st.Revoke(t.Context(), call)
		requireKind(t, err, signoff.ErrForbidden)
	})
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
		{"630 lock wait timeout", sfErr(630, "57014", "q1"), signoff.ErrConflict},
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

// TestRequestsIn pins the admin's "needs a grant" read.
func TestRequestsIn(t *testing.T) {
	st, mock := newMock(t)
	r := pendingRequest(reqID, 1)
	r.Status = signoff.StatusGrantFailed
	expectQuery(mock, sqlstore.SelectRequestsIn(2, signoff.QueueLimit), "APPROVED", "GRANT_FAILED").
		WillReturnRows(requestRows(r))
	got, err := st.RequestsIn(t.Context(), []signoff.Status{signoff.StatusApproved, signoff.StatusGrantFailed}, signoff.QueueLimit)
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, signoff.StatusGrantFailed, got[0].Status)
	require.Len(t, got[0].Steps, len(r.Steps))
}

// TestVerifyAudit pins the two reads of the audit verification and shows a
// tampered row reported.
func TestVerifyAudit(t *testing.T) {
	st, mock := newMock(t)
	good := []signoff.Event{submitted(reqID)}
	signoff.Link(signoff.ChainHead{}, good)
	tampered := []signoff.Event{submitted(req2ID)}
	signoff.Link(signoff.ChainHead{}, tampered)
	tampered[0].Comment = "rewritten"
	expectQuery(mock, sqlstore.SelectChains).WillReturnRows(eventRows(good[0], tampered[0]))
	expectQuery(mock, sqlstore.SelectRequestStates).WillReturnRows(
		sqlmock.NewRows([]string{"request_id", "status", "current_step", "step_count"}).
			AddRow(reqID, "PENDING", 1, 3).AddRow(req2ID, "PENDING", 1, 3).AddRow(ev3ID, "PENDING", 1, 3))
	rep, err := st.VerifyAudit(t.Context())
	require.NoError(t, err)
	require.Equal(t, 3, rep.Requests)
	require.Equal(t, 2, rep.Events)
	require.Len(t, rep.Problems, 2)
	require.Equal(t, signoff.ChainProblem{RequestID: req2ID, Seq: 1, EventID: evID, Kind: "edited",
		Detail: "the event's content no longer matches its hash"}, rep.Problems[0])
	require.Equal(t, ev3ID, rep.Problems[1].RequestID, "a request with no events at all")
	require.Equal(t, "missing", rep.Problems[1].Kind)
}

// TestProductFor pins the product page's one statement: the product, its
// chain and the viewer's open request.
func TestProductFor(t *testing.T) {
	st, mock := newMock(t)
	p := salesEU()
	expectQuery(mock, sqlstore.SelectProductFor, "SALES_EU", "ALICE", "SALES_EU").
		WillReturnRows(productForRows(p, reqID, "PENDING"))
	got, open, err := st.ProductFor(t.Context(), "SALES_EU", "ALICE")
	require.NoError(t, err)
	require.Equal(t, p, got)
	require.Equal(t, &signoff.Request{ID: reqID, ProductID: "SALES_EU", Requester: "ALICE", Status: signoff.StatusPending}, open)

	expectQuery(mock, sqlstore.SelectProductFor, "SALES_EU", "BOB", "SALES_EU").WillReturnRows(productForRows(p, "", ""))
	_, open, err = st.ProductFor(t.Context(), "SALES_EU", "BOB")
	require.NoError(t, err)
	require.Nil(t, open)

	expectQuery(mock, sqlstore.SelectProductFor, "NOPE", "BOB", "NOPE").WillReturnRows(productForRows())
	_, _, err = st.ProductFor(t.Context(), "NOPE", "BOB")
	requireKind(t, err, signoff.ErrNotFound)
}
