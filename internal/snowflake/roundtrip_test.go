package snowflake

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/DATA-DOG/go-sqlmock"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/server"
	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlstore"
)

// TestRoundTrips serves every page and action through internal/server on
// the Snowflake engine (over sqlmock) and counts the statements each one
// sends: on the service connection, and in caller's-rights sessions
// (identity). Snowflake statements cost tens to hundreds of milliseconds, so
// these counts are the app's latency budget; the test fails when one
// changes, so a regression (or an improvement) is a deliberate edit here.
func TestRoundTrips(t *testing.T) {
	rt := newRoundTrip(t, prodIdentityTTL)
	a, b := pendingRequest(reqID, 1), pendingRequest(req2ID, 3)
	rejected := pendingRequest(req2ID, 2)
	rejected.Status, rejected.Steps[1].Decision, rejected.Steps[1].DecidedBy = signoff.StatusRejected, signoff.DecisionReject, "CAROL"
	rejected.Steps[1].ActorRole, rejected.Steps[1].Comment, rejected.Steps[1].DecidedAt = "APPROVER_OWNER", "No DPIA yet.", t2
	submittedEv := submitted(reqID)

	rt.step("readiness probe", "GET", "/readyz", nil, "", 1, 0, func(m sqlmock.Sqlmock) {
		expectQuery(m, `SELECT 1`).WillReturnRows(sqlmock.NewRows([]string{"1"}).AddRow(int64(1)))
	})
	rt.step("catalog, first page after start (caches cold)", "GET", "/", nil, "ALICE", 2, 1,
		func(m sqlmock.Sqlmock) {
			expectQuery(m, RolesThatMatter).WillReturnRows(rt.rolesRows())
			expectQuery(m, productsSQL).WillReturnRows(productRows(webAds(), salesEU()))
		})
	res := rt.step("catalog, within the catalog cache", "GET", "/", nil, "ALICE", 0, 1, func(sqlmock.Sqlmock) {})
	require.Contains(t, res.Body.String(), "EU sales orders")
	require.Contains(t, res.Body.String(), "Ad impressions")
	res = rt.again("catalog, same caller token (both caches warm)", "GET", "/", nil, "ALICE", 0, 0,
		func(sqlmock.Sqlmock) {})
	require.Contains(t, res.Body.String(), "EU sales orders")
	rt.clock.advance(prodCatalogTTL)
	res = rt.step("catalog, catalog cache cold (expired)", "GET", "/", nil, "ALICE", 1, 1,
		func(m sqlmock.Sqlmock) {
			expectQuery(m, productsSQL).WillReturnRows(productRows(webAds(), salesEU()))
		})
	require.Contains(t, res.Body.String(), "EU sales orders")
	require.Contains(t, res.Body.String(), "Ad impressions")
	res = rt.step("product", "GET", "/products/SALES_EU", nil, "ALICE", 1, 1, func(m sqlmock.Sqlmock) {
		expectQuery(m, sqlstore.SelectProductFor, "SALES_EU", "ALICE", "SALES_EU").WillReturnRows(productForRows(salesEU(), "", ""))
	})
	require.Contains(t, res.Body.String(), "Security / DPO")
	var submitArg string
	res = rt.step("submit", "POST", "/products/SALES_EU/requests",
		url.Values{"reason": {"Quarterly churn analysis for the EU board pack."}}, "ALICE", 2, 1, func(m sqlmock.Sqlmock) {
			expectQuery(m, productSQL, "SALES_EU").WillReturnRows(productRows(salesEU()))
			expectQuery(m, callApply, capture{&submitArg}).WillReturnRows(applied("OK"))
		})
	require.Regexp(t, `^/requests/[0-9A-Z]{26}$`, res.Header().Get("Location"))
	requireBatchSQL(t, submitArg, sqlstore.InsertRequest, sqlstore.InsertSteps, sqlstore.InsertEvent)

	rt.step("my requests", "GET", "/requests", nil, "ALICE", 1, 1, func(m sqlmock.Sqlmock) {
		expectQuery(m, sqlstore.SelectRequestsBy(signoff.MyRequestsLimit), "ALICE").WillReturnRows(requestRows(a, rejected))
	})
	rt.step("queue, first after start (roles cache cold)", "GET", "/queue", nil, "BOB", 2, 1, func(m sqlmock.Sqlmock) {
		expectQuery(m, sqlstore.SelectApproverRoles).WillReturnRows(sqlmock.NewRows([]string{"approver_role"}).
			AddRow("APPROVER_DPO").AddRow("APPROVER_MGR").AddRow("APPROVER_OWNER"))
		expectQuery(m, sqlstore.SelectQueue(1, signoff.QueueLimit), "APPROVER_MGR", "BOB", "BOB").WillReturnRows(requestRows(a))
	})
	res = rt.step("queue", "GET", "/queue", nil, "BOB", 1, 1, func(m sqlmock.Sqlmock) {
		expectQuery(m, sqlstore.SelectQueue(1, signoff.QueueLimit), "APPROVER_MGR", "BOB", "BOB").WillReturnRows(requestRows(a))
	})
	require.Contains(t, res.Body.String(), reqID)
	res = rt.step("request page", "GET", "/requests/"+reqID, nil, "BOB", 2, 1, func(m sqlmock.Sqlmock) {
		expectQuery(m, sqlstore.SelectRequestDetail, reqID, reqID).WillReturnRows(detailRows(a, salesEU()))
		expectQuery(m, eventsSQL(signoff.EventFilter{RequestID: reqID, Limit: 500}), reqID).WillReturnRows(eventRows(submittedEv))
	})
	require.Contains(t, res.Body.String(), "Quarterly churn analysis for the EU board pack.")
	res = rt.step("audit log, catalog cache warm", "GET", "/audit", nil, "AUDREY", 1, 1,
		func(m sqlmock.Sqlmock) {
			expectQuery(m, eventsSQL(signoff.EventFilter{Limit: signoff.AuditPageSize + 1})).WillReturnRows(eventRows(submittedEv))
		})
	require.Contains(t, res.Body.String(), "EU sales orders", "the product filter lists the cached products")
	rt.clock.advance(prodCatalogTTL)
	rt.step("audit log, catalog cache cold (expired)", "GET", "/audit", nil, "AUDREY", 2, 1,
		func(m sqlmock.Sqlmock) {
			expectQuery(m, eventsSQL(signoff.EventFilter{Limit: signoff.AuditPageSize + 1})).WillReturnRows(eventRows(submittedEv))
			expectQuery(m, productsSQL).WillReturnRows(productRows(webAds(), salesEU()))
		})
	var approveArg string
	res = rt.step("approve a non-final step", "POST", "/requests/"+reqID+"/decision",
		url.Values{"decision": {"approve"}, "step": {"1"}, "comment": {"Fine by me."}}, "BOB", 2, 1, func(m sqlmock.Sqlmock) {
			expectQuery(m, sqlstore.SelectRequestDetail, reqID, reqID).WillReturnRows(detailRows(a, salesEU()))
			expectQuery(m, callApply, capture{&approveArg}).WillReturnRows(applied("OK"))
		})
	require.Equal(t, "/requests/"+reqID, res.Header().Get("Location"))
	requireBatchSQL(t, approveArg, sqlstore.AdvanceRequest, sqlstore.RecordDecision, sqlstore.InsertEvent)

	var finalArg string
	rt.step("approve the final step", "POST", "/requests/"+req2ID+"/decision",
		url.Values{"decision": {"approve"}, "step": {"3"}}, "DAN", 3, 1, func(m sqlmock.Sqlmock) {
			expectQuery(m, sqlstore.SelectRequestDetail, req2ID, req2ID).WillReturnRows(detailRows(b, salesEU()))
			expectQuery(m, callApply, capture{&finalArg}).WillReturnRows(applied("OK"))
			expectQuery(m, callGrant, req2ID, "DAN", "APPROVER_DPO", validID{}).
				WillReturnRows(sqlmock.NewRows([]string{"GRANT_PRODUCT_ACCESS"}).AddRow("GRANTED"))
		})
	requireBatchSQL(t, finalArg, sqlstore.AdvanceRequest, sqlstore.RecordDecision, sqlstore.InsertEvent, sqlstore.InsertEvent)

	atStep2 := pendingRequest(reqID, 2)
	var rejectArg string
	rt.step("reject", "POST", "/requests/"+reqID+"/decision",
		url.Values{"decision": {"reject"}, "comment": {"No DPIA yet."}}, "CAROL", 2, 1, func(m sqlmock.Sqlmock) {
			expectQuery(m, sqlstore.SelectRequestDetail, reqID, reqID).WillReturnRows(detailRows(atStep2, salesEU()))
			expectQuery(m, callApply, capture{&rejectArg}).WillReturnRows(applied("OK"))
		})
	requireBatchSQL(t, rejectArg, sqlstore.AdvanceRequest, sqlstore.RecordDecision, sqlstore.InsertEvent)

	var withdrawArg string
	rt.step("withdraw", "POST", "/requests/"+reqID+"/withdraw", url.Values{}, "ALICE", 2, 1, func(m sqlmock.Sqlmock) {
		expectQuery(m, sqlstore.SelectRequestDetail, reqID, reqID).WillReturnRows(detailRows(atStep2, salesEU()))
		expectQuery(m, callApply, capture{&withdrawArg}).WillReturnRows(applied("OK"))
	})
	requireBatchSQL(t, withdrawArg, sqlstore.WithdrawRequest, sqlstore.InsertEvent)

	rt.report()
}

func applied(result string) *sqlmock.Rows {
	return sqlmock.NewRows([]string{"SIGNOFF_APPLY"}).AddRow(result)
}

// requireBatchSQL asserts the statements of a SIGNOFF_APPLY argument.
func requireBatchSQL(t *testing.T, arg string, want ...string) {
	t.Helper()
	var got []string
	for _, st := range decodeBatch(t, arg) {
		got = append(got, st.SQL)
	}
	for i := range want {
		want[i] = strings.TrimSpace(want[i])
	}
	require.Equal(t, want, got)
}

// The caches as `signoff serve` configures them by default (--catalog-cache,
// --identity-cache), and the caller token's default validity in SPCS
// (SERVICE_CALLER_TOKEN_VALIDITY_SECS).
const (
	prodCatalogTTL      = 30 * time.Second
	prodIdentityTTL     = 30 * time.Second
	callerTokenLifetime = 120 * time.Second
)

// roundTrip is a Signoff server on the Snowflake engine whose service
// connection and caller sessions are counted sqlmock databases. Its Service
// (catalog cache, timestamps) and its identity cache run on a fake clock.
type roundTrip struct {
	t       *testing.T
	srv     http.Handler
	svcMock sqlmock.Sqlmock
	svc     *counter
	ident   *counter
	clock   *fakeClock
	opened  atomic.Int64 // caller sessions opened

	mu     sync.Mutex
	users  map[string]string    // caller token → user
	issued map[string]time.Time // caller token → when it was issued
	tokens map[string]string    // user → last caller token
	seq    int
	rows   []roundTripRow
}

// fakeClock is a clock that moves only when told to.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *fakeClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

type roundTripRow struct {
	name, method, path string
	status             int
	service, identity  int
	statements         []string
}

// personas: the roles in each user's session.
var personas = map[string][]string{
	"ALICE":  nil,
	"BOB":    {"APPROVER_MGR"},
	"CAROL":  {"APPROVER_OWNER"},
	"DAN":    {"APPROVER_DPO"},
	"AUDREY": {"SIGNOFF_AUDITOR"},
}

// rolesThatMatter is what RolesThatMatter answers (with Signoff's admin and
// auditor roles added), sorted: the identity statement's binds.
var rolesThatMatter = []string{"ADS_READER", "APPROVER_DPO", "APPROVER_MGR", "APPROVER_OWNER", "MKT_OWNER",
	"SALES_OWNER", "SALES_READER", "SIGNOFF_ADMIN", "SIGNOFF_AUDITOR"}

func (rt *roundTrip) rolesRows() *sqlmock.Rows {
	rows := sqlmock.NewRows([]string{"approver_role"})
	for _, r := range []string{"APPROVER_DPO", "APPROVER_MGR", "APPROVER_OWNER", "MKT_OWNER", "SALES_OWNER",
		"ADS_READER", "SALES_READER"} {
		rows.AddRow(r)
	}
	return rows
}

// newRoundTrip returns a round-trip server configured as `signoff serve`
// configures it, with identityTTL as --identity-cache. Its clock starts at t2.
// (The store's own metadata caches, RolesThatMatter and ApproverRoles, keep
// real time: at a minute they outlast any test.)
func newRoundTrip(t *testing.T, identityTTL time.Duration) *roundTrip {
	rt := &roundTrip{t: t, svc: &counter{}, ident: &counter{}, clock: &fakeClock{now: t2},
		users: map[string]string{}, issued: map[string]time.Time{}, tokens: map[string]string{}}
	db, mock := countedMock(t, rt.svc)
	rt.svcMock = mock
	store := New(db)
	ids := NewIdentities(rt.openCaller, store.RolesThatMatter(time.Minute), identityTTL)
	ids.now = rt.clock.Now
	svc := signoff.NewService(store)
	svc.Now = rt.clock.Now
	svc.CatalogTTL = prodCatalogTTL
	srv, err := server.New(server.Config{Service: svc, Ready: store.Ping, Identify: ids.Identify,
		SessionKey: []byte("0123456789abcdef0123456789abcdef"), SecureCookies: true, Engine: "snowflake"})
	require.NoError(t, err)
	rt.srv = srv
	return rt
}

// openCaller is the CallerOpener: a counted sqlmock session that expects the
// identity statement for the token's user, then Close. Like Snowflake, it
// refuses a caller token past its validity.
func (rt *roundTrip) openCaller(ctx context.Context, token string) (*sql.DB, error) {
	rt.mu.Lock()
	user, ok := rt.users[token]
	issued := rt.issued[token]
	rt.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("unknown caller token %q", token)
	}
	if age := rt.clock.Now().Sub(issued); age >= callerTokenLifetime {
		return nil, fmt.Errorf("caller token %q expired %s ago", token, age-callerTokenLifetime)
	}
	rt.opened.Add(1)
	db, mock := countedMock(rt.t, rt.ident)
	held := make([]driver.Value, len(rolesThatMatter))
	for i, r := range rolesThatMatter {
		held[i] = slices.Contains(personas[user], r)
	}
	expectIdentity(rolesThatMatter, user, held...)(mock)
	rt.t.Cleanup(func() { require.NoError(rt.t, mock.ExpectationsWereMet(), "caller session of %s", user) })
	return db, nil
}

// step sends a request as user with a new caller token (so the identity
// cache cannot answer) after expect has set up the service statements, and
// checks the status and both counts.
func (rt *roundTrip) step(name, method, path string, form url.Values, user string, service, identity int,
	expect func(sqlmock.Sqlmock)) *httptest.ResponseRecorder {
	rt.t.Helper()
	token := ""
	if user != "" {
		token = rt.newToken(user)
	}
	return rt.send(name, method, path, form, user, token, service, identity, expect)
}

// newToken issues a new caller token for user, valid from now on.
func (rt *roundTrip) newToken(user string) string {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.seq++
	token := fmt.Sprintf("caller-token-%s-%d", strings.ToLower(user), rt.seq)
	rt.users[token], rt.issued[token], rt.tokens[user] = user, rt.clock.Now(), token
	return token
}

// again is step with the user's previous caller token.
func (rt *roundTrip) again(name, method, path string, form url.Values, user string, service, identity int,
	expect func(sqlmock.Sqlmock)) *httptest.ResponseRecorder {
	rt.t.Helper()
	return rt.send(name, method, path, form, user, rt.tokens[user], service, identity, expect)
}

// send serves a request with token and checks the status and both counts.
func (rt *roundTrip) send(name, method, path string, form url.Values, user, token string, service, identity int,
	expect func(sqlmock.Sqlmock)) *httptest.ResponseRecorder {
	t := rt.t
	t.Helper()
	res, row := rt.serve(name, method, path, form, user, token, expect)
	require.Equal(t, service, row.service, "%s: statements on the service connection: %v", name, row.statements)
	require.Equal(t, identity, row.identity, "%s: identity statements", name)
	return res
}

// serve serves a request as user with token after expect has set up the
// service statements, checks the status and that exactly those statements
// ran, and returns what it counted.
func (rt *roundTrip) serve(name, method, path string, form url.Values, user, token string,
	expect func(sqlmock.Sqlmock)) (*httptest.ResponseRecorder, roundTripRow) {
	t := rt.t
	t.Helper()
	expect(rt.svcMock)
	var req *http.Request
	if form != nil {
		req = httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "http://"+req.Host) // a same-origin form post
	} else {
		req = httptest.NewRequest(method, path, nil)
	}
	if user != "" {
		req.Header.Set(HeaderUser, user)
		req.Header.Set(HeaderToken, token)
	}
	res := httptest.NewRecorder()
	rt.srv.ServeHTTP(res, req)
	want := http.StatusOK
	if method == http.MethodPost {
		want = http.StatusSeeOther
	}
	require.Equal(t, want, res.Code, "%s: %s %s: %s", name, method, path, res.Body.String())
	require.NoError(t, rt.svcMock.ExpectationsWereMet(), name)
	stmts, ids := rt.svc.take(), rt.ident.take()
	row := roundTripRow{name: name, method: method, path: path, status: res.Code,
		service: len(stmts), identity: len(ids)}
	for _, s := range stmts {
		row.statements = append(row.statements, statementName(s))
	}
	rt.rows = append(rt.rows, row)
	return res, row
}

// The round-trip table is logged as one block between these marker lines
// (go test -v indents each line of it), so a benchmark can extract it: from
// the line beginning with reportBegin to the line that is just reportEnd.
const (
	reportBegin = "--- statements per page and action (Snowflake path) ---"
	reportEnd   = "---"
)

// report logs the table of round trips: the begin marker, a header naming
// the columns, one line per page or action, the caches it ran with, and the
// end marker.
func (rt *roundTrip) report() {
	nameW, reqW := len("page or action"), len("request")
	paths := make([]string, len(rt.rows))
	for i, r := range rt.rows {
		paths[i] = r.method + " " + strings.ReplaceAll(strings.ReplaceAll(r.path, reqID, "{id}"), req2ID, "{id}")
		nameW, reqW = max(nameW, len(r.name)), max(reqW, len(paths[i]))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n%s\n", reportBegin)
	fmt.Fprintf(&b, "%-*s | %-*s | %6s | %18s | %19s | %s\n", nameW, "page or action", reqW, "request", "status",
		"service statements", "identity statements", "statement names (service connection)")
	for i, r := range rt.rows {
		names := strings.Join(r.statements, ", ")
		if names == "" {
			names = "-"
		}
		fmt.Fprintf(&b, "%-*s | %-*s | %6d | %18d | %19d | %s\n", nameW, r.name, reqW, paths[i],
			r.status, r.service, r.identity, names)
	}
	fmt.Fprintf(&b, "(caches as signoff serve's defaults: catalog %s, identity %s)\n", prodCatalogTTL, prodIdentityTTL)
	b.WriteString(reportEnd)
	rt.t.Log(b.String())
}

func statementName(sql string) string {
	for _, st := range catalogue() {
		if st.text == sql {
			return st.name
		}
	}
	return fmt.Sprintf("(uncatalogued: %.40q)", sql)
}

// ---- counted sqlmock databases ----

// counter records the statements a database received, as its driver
// connection saw them: nothing sent can go uncounted, even when the caller
// swallows the statement's error.
type counter struct {
	mu    sync.Mutex
	stmts []string
}

func (c *counter) add(q string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stmts = append(c.stmts, q)
}

// take returns the statements since the last take.
func (c *counter) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stmts
	c.stmts = nil
	return s
}

var dsnSeq atomic.Int64

// countedMock returns a sqlmock database (exact statement matching) whose
// statements c counts.
func countedMock(t *testing.T, c *counter) (*sql.DB, sqlmock.Sqlmock) {
	t.Helper()
	dsn := fmt.Sprintf("roundtrip-%d", dsnSeq.Add(1))
	raw, mock, err := sqlmock.NewWithDSN(dsn, sqlmock.QueryMatcherOption(exactSQL))
	require.NoError(t, err)
	db := sql.OpenDB(countingConnector{drv: raw.Driver(), dsn: dsn, c: c})
	t.Cleanup(func() {
		db.Close()
		raw.Close() // the mock's own handle; its Close expectation is already spent
	})
	return db, mock
}

type countingConnector struct {
	drv driver.Driver
	dsn string
	c   *counter
}

func (cc countingConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := cc.drv.Open(cc.dsn)
	if err != nil {
		return nil, err
	}
	return countingConn{Conn: conn, c: cc.c}, nil
}

func (cc countingConnector) Driver() driver.Driver { return cc.drv }

// countingConn forwards to sqlmock's connection, counting statements.
type countingConn struct {
	driver.Conn
	c *counter
}

func (cc countingConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	cc.c.add(q)
	return cc.Conn.(driver.QueryerContext).QueryContext(ctx, q, args)
}

func (cc countingConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	cc.c.add(q)
	return cc.Conn.(driver.ExecerContext).ExecContext(ctx, q, args)
}

func (cc countingConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	cc.c.add(q)
	return cc.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, q)
}

func (cc countingConn) CheckNamedValue(nv *driver.NamedValue) error {
	return cc.Conn.(driver.NamedValueChecker).CheckNamedValue(nv)
}
