package snowflake

import (
	"context"
	"database/sql/driver"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/server"
	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/snowflake/sftest"
	"github.com/signoff/signoff/internal/sqlstore"
)

// BenchmarkSnowflakePath measures what each page and action takes on the
// Snowflake path, end to end: the real HTTP server (configured as `signoff
// serve` configures it on the Snowflake engine) runs the real gosnowflake
// driver against sftest on loopback, which waits a login latency before
// each login and a statement latency before each statement. Simulated users,
// each a browser with its own cookies and its own Snowflake user, visit
// every page and run every action in turn, with no pause, at each level of
// concurrency. Every request carries a fresh caller token, as the ingress
// may send one each time, and every visit starts without an identity cookie.
//
// It prints, per page or action and level, p50 and p99 next to the floor:
// the Snowflake round trips the request cannot avoid, counted from what the
// driver sent for it with one user alone (the counts TestRoundTrips asserts;
// tools/bench checks that they agree), times their latency. What is above
// the floor is the app's: rendering, the connection pool, the caches' locks.
//
// The table is printed between latencyBegin and reportEnd, for tools/bench.
// It is configured by the environment, so a test can run it tiny:
// SIGNOFF_BENCH_SF_STATEMENT and SIGNOFF_BENCH_SF_LOGIN (durations; 40ms and
// 150ms), SIGNOFF_BENCH_SF_USERS (the levels; 1,2,4,8,16,32) and
// SIGNOFF_BENCH_SF_ITERATIONS (visits per user and level; 10). Every loop is
// bounded by these; b.N repeats the whole run, adding to the samples, so
// run it with -benchtime 1x:
//
//	go test -run '^$' -bench BenchmarkSnowflakePath -benchtime 1x ./internal/snowflake/
func BenchmarkSnowflakePath(b *testing.B) {
	cfg, err := pathConfigFromEnv(os.Getenv)
	if err != nil {
		b.Fatal(err)
	}
	st := newPathStack(b, cfg.login, cfg.statement)
	costs, err := st.calibrate(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	var visit time.Duration // a visit's floor: users start spread over it
	for _, c := range costs {
		visit += cfg.floor(c)
	}
	runs := make([]pathLevel, len(cfg.users))
	for range b.N {
		for i, users := range cfg.users {
			lv, err := st.level(b.Context(), users, cfg.iterations, visit)
			if err != nil {
				b.Fatalf("%d users: %v", users, err)
			}
			runs[i].add(lv)
		}
	}
	// Printed, not logged: go test keeps only the first lines of a
	// benchmark's log.
	fmt.Println(pathReport(cfg, costs, runs))
}

// TestSnowflakePathScenario runs the benchmark's scenario once through the
// real driver without latency, one user and then two at once, so that a
// change to a page or a statement breaks it here rather than in make bench.
func TestSnowflakePathScenario(t *testing.T) {
	t.Parallel()
	st := newPathStack(t, 0, 0)
	costs, err := st.calibrate(t.Context())
	require.NoError(t, err)
	require.Len(t, costs, len(pathSteps))
	lv, err := st.level(t.Context(), 2, 1, 0)
	require.NoError(t, err)
	for i, s := range pathSteps {
		require.Len(t, lv.samples[i], 2, s.name)
	}
	cfg := pathConfig{statement: 40 * time.Millisecond, login: 150 * time.Millisecond, users: []int{2}, iterations: 1}
	out := pathReport(cfg, costs, []pathLevel{lv})
	require.Contains(t, out, "\n"+latencyBegin+"\n")
	require.True(t, strings.HasSuffix(out, "\n"+reportEnd), "the block ends with the end marker")
}

func TestSnowflakePathConfig(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(name string) string {
			for i := 0; i < len(kv); i += 2 {
				if kv[i] == name {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	cfg, err := pathConfigFromEnv(env())
	require.NoError(t, err)
	require.Equal(t, pathConfig{statement: 40 * time.Millisecond, login: 150 * time.Millisecond,
		users: []int{1, 2, 4, 8, 16, 32}, iterations: 10}, cfg, "make bench's defaults")
	cfg, err = pathConfigFromEnv(env("SIGNOFF_BENCH_SF_STATEMENT", "2ms", "SIGNOFF_BENCH_SF_LOGIN", "5ms",
		"SIGNOFF_BENCH_SF_USERS", "1, 2", "SIGNOFF_BENCH_SF_ITERATIONS", "3"))
	require.NoError(t, err)
	require.Equal(t, pathConfig{statement: 2 * time.Millisecond, login: 5 * time.Millisecond, users: []int{1, 2},
		iterations: 3}, cfg)
	require.Equal(t, 2*(2*time.Millisecond)+5*time.Millisecond, cfg.floor(cost{service: 1, logins: 1, caller: 1}))
	for _, bad := range [][]string{{"SIGNOFF_BENCH_SF_STATEMENT", "40"}, {"SIGNOFF_BENCH_SF_LOGIN", "-1ms"},
		{"SIGNOFF_BENCH_SF_USERS", "1,0"}, {"SIGNOFF_BENCH_SF_USERS", "many"}, {"SIGNOFF_BENCH_SF_ITERATIONS", "0"}} {
		_, err := pathConfigFromEnv(env(bad...))
		require.ErrorContains(t, err, bad[0], "%s=%s", bad[0], bad[1])
	}
}

// latencyBegin starts the latency table's block (which reportEnd ends).
const latencyBegin = "--- latency per page and action (Snowflake path) ---"

// pathConfig is the benchmark's configuration.
type pathConfig struct {
	statement, login time.Duration
	users            []int
	iterations       int
}

// floor is the least a request costing c can take: its Snowflake round
// trips, each taking its latency.
func (cfg pathConfig) floor(c cost) time.Duration {
	return time.Duration(c.service+c.caller)*cfg.statement + time.Duration(c.logins)*cfg.login
}

// pathConfigFromEnv reads the configuration (see BenchmarkSnowflakePath).
func pathConfigFromEnv(getenv func(string) string) (pathConfig, error) {
	cfg := pathConfig{statement: 40 * time.Millisecond, login: 150 * time.Millisecond,
		users: []int{1, 2, 4, 8, 16, 32}, iterations: 10}
	for _, d := range []struct {
		name string
		dst  *time.Duration
	}{{"SIGNOFF_BENCH_SF_STATEMENT", &cfg.statement}, {"SIGNOFF_BENCH_SF_LOGIN", &cfg.login}} {
		if v := getenv(d.name); v != "" {
			x, err := time.ParseDuration(v)
			if err != nil {
				return cfg, fmt.Errorf("%s: %w", d.name, err)
			}
			if x < 0 {
				return cfg, fmt.Errorf("%s=%q: a latency cannot be negative", d.name, v)
			}
			*d.dst = x
		}
	}
	if v := getenv("SIGNOFF_BENCH_SF_USERS"); v != "" {
		cfg.users = nil
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 || n > 1000 {
				return cfg, fmt.Errorf("SIGNOFF_BENCH_SF_USERS=%q: comma-separated user counts from 1 to 1000", v)
			}
			cfg.users = append(cfg.users, n)
		}
	}
	if v := getenv("SIGNOFF_BENCH_SF_ITERATIONS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			return cfg, fmt.Errorf("SIGNOFF_BENCH_SF_ITERATIONS=%q: visits per user, from 1 to 10000", v)
		}
		cfg.iterations = n
	}
	return cfg, nil
}

// pathStep is one page or action of a visit.
type pathStep struct {
	name         string
	method, path string
	form         url.Values // a POST's form
	// fresh starts a new browser (no cookies): the visitor's first page.
	fresh bool
	// want is in the page's body (a check that a page, not an error, was
	// measured).
	want string
}

// pathSteps is one visit, in the order a user makes it: the first page
// without an identity cookie, every page, then every action (each
// answered 303; the redirect is not followed). The actions reuse the
// identity cookie, so each is one login and one CALL.
var pathSteps = []pathStep{
	{name: "first page, no identity cookie (request page)", method: "GET", path: "/requests/" + reqID, fresh: true,
		want: "Quarterly churn analysis"},
	{name: "catalog", method: "GET", path: "/", want: "EU sales orders"},
	{name: "product", method: "GET", path: "/products/SALES_EU", want: "Security / DPO"},
	{name: "my requests", method: "GET", path: "/requests", want: reqID},
	{name: "queue", method: "GET", path: "/queue", want: reqID},
	{name: "request page", method: "GET", path: "/requests/" + reqID, want: "Quarterly churn analysis"},
	{name: "audit log", method: "GET", path: "/audit", want: reqID},
	{name: "submit", method: "POST", path: "/products/SALES_EU/requests",
		form: url.Values{"reason": {"Quarterly churn analysis for the EU board pack."}}},
	{name: "approve a non-final step", method: "POST", path: "/requests/" + reqID + "/decision",
		form: url.Values{"decision": {"approve"}, "step": {"1"}, "comment": {"Fine by me."}}},
	{name: "approve the final step", method: "POST", path: "/requests/" + req2ID + "/decision",
		form: url.Values{"decision": {"approve"}, "step": {"3"}}},
	{name: "reject", method: "POST", path: "/requests/" + reqID + "/decision",
		form: url.Values{"decision": {"reject"}, "comment": {"No DPIA yet."}, "confirm": {"1"}}},
	{name: "withdraw", method: "POST", path: "/requests/" + reqID + "/withdraw", form: url.Values{"confirm": {"1"}}},
}

// pathOrder is the order of the table: pages, actions, then the first page.
var pathOrder = []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0}

// benchRoles are the roles in every simulated user's session: an approver
// (the queue) and an auditor (the audit log, every request page).
var benchRoles = []string{"APPROVER_MGR", signoff.RoleAuditor}

// pathStack is the server under test and the fake account behind it.
type pathStack struct {
	fake *sftest.Server
	url  string
	tr   *http.Transport
	seq  atomic.Int64 // caller tokens issued
}

// newPathStack starts sftest with the latencies, answering every statement
// the pages and actions send, and the Signoff server on the Snowflake
// engine in front of it, configured as `signoff serve` configures it
// (identity cookie 30 s; catalog cache 30 s, for the products, the approver
// roles and the roles that matter).
func newPathStack(tb testing.TB, login, statement time.Duration) *pathStack {
	tb.Helper()
	st := &pathStack{fake: sftest.New(tb)}
	st.fake.SetLatency(login, statement)
	st.cannedReads()
	st.fake.Handle(st.answer)

	file := filepath.Join(tb.TempDir(), "token")
	if err := os.WriteFile(file, []byte("svc-token\n"), 0o600); err != nil {
		tb.Fatal(err)
	}
	cfg := Config{Protocol: "http", Host: st.fake.Host(), Port: st.fake.Port(), Account: "ACME",
		Database: "SIGNOFF", Schema: "API", Warehouse: "SIGNOFF_WH", TokenFile: file, CatalogTTL: prodCatalogTTL}
	store, err := Open(tb.Context(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	ids := NewIdentities(CallerSessions(cfg), store.RolesThatMatter(cfg.CatalogTTL))
	svc := signoff.NewService(store.Reads(), store)
	svc.Diagnoser = NewDoctor(store, cfg)
	// As signoff serve wires it: the header's pending count, kept 30 s.
	svc.Notifier, svc.PendingTTL = store, 30*time.Second
	srv, err := server.New(server.Config{Service: svc, Ready: store.Ping, Platform: ids, IdentityTTL: prodIdentityTTL,
		SessionKey: []byte("0123456789abcdef0123456789abcdef"), SecureCookies: true,
		Engine: "Snowflake (" + cfg.Database + "." + cfg.Schema + ")", Notices: svc})
	if err != nil {
		tb.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	tb.Cleanup(hs.Close)
	st.url = hs.URL
	st.tr = &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, IdleConnTimeout: time.Minute}
	tb.Cleanup(st.tr.CloseIdleConnections)
	return st
}

// cannedReads answers the pages' statements on the service connection with
// the fixtures' rows.
func (st *pathStack) cannedReads() {
	a, final := pendingRequest(reqID, 1), pendingRequest(req2ID, 3)
	roles := [][]driver.Value{}
	for _, r := range []string{"APPROVER_DPO", "APPROVER_MGR", "APPROVER_OWNER", "MKT_OWNER", "SALES_OWNER",
		"ADS_READER", "SALES_READER"} {
		roles = append(roles, []driver.Value{r, strings.HasPrefix(r, "APPROVER_")})
	}
	st.fake.On(RolesThatMatter, sfResult([]string{"role_name", "approves"}, roles))
	st.fake.On(sqlstore.SelectApproverRoles, sfResult([]string{"approver_role"},
		[][]driver.Value{{"APPROVER_DPO"}, {"APPROVER_MGR"}, {"APPROVER_OWNER"}}))
	st.fake.On(productsSQL, sfResult(productCols, productValues(webAds(), salesEU())))
	st.fake.On(sqlstore.SelectProductFor, sfResult(append(slices.Clone(productCols), "open_id", "open_status", "open_created_at"),
		productForValues(salesEU(), "", "")))
	st.fake.On(sqlstore.SelectRequestsBy(signoff.MyRequestsLimit), sfResult(requestCols, requestValuesOf(a, final)))
	st.fake.On(queueSQL(oneRole), sfResult(queueCols, queueValues([]signoff.Product{salesEU()}, a)))
	st.fake.On(sqlstore.SelectRequestDetail, sfResult(detailCols, detailValues(a, salesEU(), historyOf(a)...)))
	st.fake.On(auditPageSQL(signoff.EventFilter{}),
		sfResult(eventCols, eventValues(historyOf(pendingRequest(reqID, 3))...)))
	st.fake.On(`SELECT 1`, selectOne)
	for n := 1; n <= 3; n++ { // the header's count, for viewers with up to three approver roles
		st.fake.On(sqlstore.SelectPendingCount(n), sfResult([]string{"n"}, [][]driver.Value{{int64(1)}}))
	}
}

// answer answers what a caller's-rights session runs, as the session's
// user: the identity statement (the user holds benchRoles) and the
// actions' CALLs, each with an OK envelope echoing the request.
func (st *pathStack) answer(q sftest.Query) (sftest.Response, bool) {
	user, ok := pathUser(q.Login.Token)
	if !ok {
		return sftest.Response{}, false
	}
	bind := func(i int) string {
		s, _ := q.Bindings[strconv.Itoa(i)].Value.(string)
		return s
	}
	var data string
	switch q.SQLText {
	case IdentityQuery(len(q.Bindings)):
		cols, row := []sftest.Column{sftest.Text("CURRENT_USER()")}, []any{user}
		for i := range len(q.Bindings) {
			cols = append(cols, sftest.Boolean("IS_ROLE_IN_SESSION(?)"))
			row = append(row, slices.Contains(benchRoles, bind(i+1)))
		}
		return sftest.Result(cols, row), true
	case callSubmit:
		data = fmt.Sprintf(`{"actor":%q,"request_id":%q,"product_id":"SALES_EU","product_name":"EU sales orders",`+
			`"status":"PENDING","current_step":1,"step_count":3}`, user, bind(3))
	case callDecide:
		switch {
		case bind(3) == string(signoff.DecisionReject):
			data = fmt.Sprintf(`{"actor":%q,"request_id":%q,"status":"REJECTED","current_step":2,"step_count":3}`,
				user, bind(1))
		case bind(2) == "3":
			data = fmt.Sprintf(`{"actor":%q,"request_id":%q,"requester":"ALICE","access_role":"SALES_READER",`+
				`"status":"GRANTED","current_step":3,"step_count":3}`, user, bind(1))
		default:
			data = fmt.Sprintf(`{"actor":%q,"request_id":%q,"status":"PENDING","current_step":2,"step_count":3,`+
				`"step_label":"Data owner","step_role":"APPROVER_OWNER"}`, user, bind(1))
		}
	case callWithdraw:
		data = fmt.Sprintf(`{"actor":%q,"request_id":%q,"status":"WITHDRAWN"}`, user, bind(1))
	default:
		return sftest.Response{}, false
	}
	return sftest.Result([]sftest.Column{sftest.Variant(procedureName(q.SQLText))},
		[]any{envelope(signoff.CodeOK, data)}), true
}

// callerToken is the next caller token the ingress sends for user: a new
// one with every request.
func (st *pathStack) callerToken(user string) string {
	return "bench:" + user + ":" + strconv.FormatInt(st.seq.Add(1), 10)
}

// pathUser is the user whose caller token a caller's-rights session logged
// in with ("<service token>.bench:<user>:<n>").
func pathUser(loginToken string) (string, bool) {
	_, caller, ok := strings.Cut(loginToken, ".bench:")
	if !ok {
		return "", false
	}
	user, _, ok := strings.Cut(caller, ":")
	return user, ok
}

// sfResult renders rows of driver values (as the sqlmock fixtures hold
// them) as a canned result, each column typed by its values: NUMBER for
// integers, TIMESTAMP_NTZ for times, BOOLEAN for booleans, VARCHAR
// otherwise.
func sfResult(names []string, rows [][]driver.Value) sftest.Response {
	cols := make([]sftest.Column, len(names))
	for i, name := range names {
		var sample driver.Value // the column's first non-NULL value
		for _, row := range rows {
			if sample = row[i]; sample != nil {
				break
			}
		}
		switch sample.(type) {
		case int64, int:
			cols[i] = sftest.Fixed(name)
		case time.Time:
			cols[i] = sftest.TimestampNTZ(name)
		case bool:
			cols[i] = sftest.Boolean(name)
		default:
			cols[i] = sftest.Text(name)
		}
	}
	out := make([][]any, len(rows))
	for i, row := range rows {
		out[i] = make([]any, len(row))
		for j, v := range row {
			out[i][j] = v
		}
	}
	return sftest.Result(cols, out...)
}

// productValues are productRows' rows.
func productValues(ps ...signoff.Product) [][]driver.Value {
	var rows [][]driver.Value
	for _, p := range ps {
		head := []driver.Value{p.ID, p.Name, p.Description, p.Owner, p.OwnerRole, p.Domain, p.Classification,
			mustJSON(p.Tags), mustJSON(p.Columns), p.AccessRole, signoff.FormatDurations(p.Durations),
			int64(p.PendingDays), p.FallbackRole, extensionSteps(p)}
		if len(p.Chain) == 0 {
			rows = append(rows, append(slices.Clone(head), int64(0), "", "", int64(0), "", "ROLE", "", int64(1), int64(0)))
		}
		for _, c := range p.Chain {
			rows = append(rows, append(slices.Clone(head), int64(c.Order), c.ApproverRole, c.Label,
				int64(c.DeadlineHours), c.FallbackRole, string(signoff.StepKindOf(c.Kind)), c.WhenTag, int64(c.Approvals()), int64(0)))
		}
	}
	return rows
}

// productForValues are productForRows' rows for p.
func productForValues(p signoff.Product, openID, openStatus string) [][]driver.Value {
	var rows [][]driver.Value
	for _, row := range productValues(p) {
		rows = append(rows, append(row, openID, openStatus, openCreated(openID)))
	}
	return rows
}

// requestValuesOf are requestRows' rows.
func requestValuesOf(rs ...signoff.Request) [][]driver.Value {
	var rows [][]driver.Value
	for _, r := range rs {
		for _, s := range r.Steps {
			rows = append(rows, requestValues(r, s))
		}
	}
	return rows
}

// eventValues are eventRows' rows.
func eventValues(evs ...signoff.Event) [][]driver.Value {
	var rows [][]driver.Value
	for _, e := range evs {
		rows = append(rows, []driver.Value{e.ID, e.Time, e.RequestID, e.ProductID, e.ProductName, e.Actor, e.ActorRole,
			string(e.Type), int64(e.Step), string(e.Decision), e.Comment, e.Details, int64(e.Seq), e.PrevHash, e.Hash})
	}
	return rows
}

// ---- browsers ----

// pathBrowser is one simulated user: their Snowflake user name and a
// browser that keeps the cookies the server sets (Secure ones too: the
// ingress in front of the app speaks HTTPS, this loopback does not).
type pathBrowser struct {
	st     *pathStack
	user   string
	client *http.Client
	jar    *pathJar
}

func (st *pathStack) browser(user string) *pathBrowser {
	jar := &pathJar{}
	return &pathBrowser{st: st, user: user, jar: jar, client: &http.Client{Transport: st.tr, Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// do makes s's request as the ingress forwards it (the user's name and a
// fresh caller token) and returns how long the whole response took.
func (br *pathBrowser) do(ctx context.Context, s pathStep) (time.Duration, error) {
	if s.fresh {
		br.jar.clear()
	}
	var body io.Reader
	if s.form != nil {
		body = strings.NewReader(s.form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, s.method, br.st.url+s.path, body)
	if err != nil {
		return 0, err
	}
	if s.form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", br.st.url) // a same-origin form post
	}
	req.Header.Set(server.HeaderUser, br.user)
	req.Header.Set(server.HeaderToken, br.st.callerToken(br.user))
	start := time.Now()
	res, err := br.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", s.name, err)
	}
	page, err := io.ReadAll(res.Body)
	res.Body.Close()
	took := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", s.name, err)
	}
	want := http.StatusOK
	if s.method == http.MethodPost {
		want = http.StatusSeeOther
	}
	if res.StatusCode != want {
		return 0, fmt.Errorf("%s: %s %s as %s: %s, not %d: %.300s", s.name, s.method, s.path, br.user, res.Status, want, page)
	}
	if s.want != "" && !strings.Contains(string(page), s.want) {
		return 0, fmt.Errorf("%s: %s %s as %s: the page lacks %q", s.name, s.method, s.path, br.user, s.want)
	}
	return took, nil
}

// pathJar is a browser's cookie jar for one site: the cookies by name.
type pathJar struct {
	mu      sync.Mutex
	cookies map[string]*http.Cookie
}

func (j *pathJar) SetCookies(_ *url.URL, cs []*http.Cookie) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.cookies == nil {
		j.cookies = map[string]*http.Cookie{}
	}
	for _, c := range cs {
		if c.MaxAge < 0 {
			delete(j.cookies, c.Name)
		} else {
			j.cookies[c.Name] = &http.Cookie{Name: c.Name, Value: c.Value}
		}
	}
}

func (j *pathJar) Cookies(*url.URL) []*http.Cookie {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make([]*http.Cookie, 0, len(j.cookies))
	for _, c := range j.cookies {
		out = append(out, c)
	}
	return out
}

func (j *pathJar) clear() {
	j.mu.Lock()
	defer j.mu.Unlock()
	clear(j.cookies)
}

// ---- counting and measuring ----

// calibrate makes one visit to warm the server (the service pool's
// connection, the roles and the catalog caches), then a second one, alone,
// counting the Snowflake round trips each page or action takes.
func (st *pathStack) calibrate(ctx context.Context) ([]cost, error) {
	warm := st.browser("WARMUP")
	for _, s := range pathSteps {
		if _, err := warm.do(ctx, s); err != nil {
			return nil, fmt.Errorf("warm-up: %w", err)
		}
	}
	br := st.browser("CALIBRATE")
	costs := make([]cost, len(pathSteps))
	for i, s := range pathSteps {
		logins, queries := len(st.fake.Logins()), len(st.fake.Queries())
		if _, err := br.do(ctx, s); err != nil {
			return nil, fmt.Errorf("calibration: %w", err)
		}
		for _, l := range st.fake.Logins()[logins:] {
			if _, caller := pathUser(l.Token); !caller {
				return nil, fmt.Errorf("calibration: %s: the service pool logged in after the warm-up", s.name)
			}
			costs[i].logins++
		}
		for _, q := range st.fake.Queries()[queries:] {
			if _, caller := pathUser(q.Login.Token); caller {
				costs[i].caller++
			} else {
				costs[i].service++
			}
		}
	}
	return costs, nil
}

// pathLevel is what one level of concurrency measured.
type pathLevel struct {
	users, requests int
	samples         [][]time.Duration // by pathSteps index
	took            time.Duration
	serviceLogins   int // logins of the service pool while the level ran
}

func (lv *pathLevel) add(o pathLevel) {
	if lv.samples == nil {
		lv.samples = make([][]time.Duration, len(pathSteps))
	}
	lv.users = o.users
	lv.requests += o.requests
	lv.took += o.took
	lv.serviceLogins += o.serviceLogins
	for i := range o.samples {
		lv.samples[i] = append(lv.samples[i], o.samples[i]...)
	}
}

// level has users browsers make iterations visits each, at once, and
// returns every request's time. The users start spread evenly over spread
// (a visit's length), as people who browse independently are, rather than
// all asking for the same page at the same moment.
func (st *pathStack) level(ctx context.Context, users, iterations int, spread time.Duration) (pathLevel, error) {
	lv := pathLevel{users: users, samples: make([][]time.Duration, len(pathSteps))}
	logins := len(st.fake.Logins())
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	start := time.Now()
	for u := range users {
		br := st.browser(fmt.Sprintf("USER%02d", u+1))
		wg.Go(func() {
			select {
			case <-time.After(spread * time.Duration(u) / time.Duration(users)):
			case <-ctx.Done():
				return
			}
			mine := make([][]time.Duration, len(pathSteps))
			for range iterations {
				for i, s := range pathSteps {
					took, err := br.do(ctx, s)
					if err != nil {
						mu.Lock()
						errs = append(errs, err)
						mu.Unlock()
						cancel()
						return
					}
					mine[i] = append(mine[i], took)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			for i := range mine {
				lv.samples[i] = append(lv.samples[i], mine[i]...)
				lv.requests += len(mine[i])
			}
		})
	}
	wg.Wait()
	lv.took = time.Since(start)
	if len(errs) > 0 {
		return lv, errs[0]
	}
	for _, l := range st.fake.Logins()[logins:] {
		if _, caller := pathUser(l.Token); !caller {
			lv.serviceLogins++
		}
	}
	return lv, nil
}

// percentile is the nearest-rank p-th percentile of ds (sorted in place).
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	rank := int(float64(len(ds))*p/100+0.999999) - 1
	return ds[min(max(rank, 0), len(ds)-1)]
}

func millis(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64) + " ms"
}

// pathReport renders the table: the begin marker, a header naming the
// columns, a row per page or action and level, what it ran with, and the
// end marker.
func pathReport(cfg pathConfig, costs []cost, levels []pathLevel) string {
	nameW := len("page or action")
	for _, s := range pathSteps {
		nameW = max(nameW, len(s.name))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n%s\n", latencyBegin)
	fmt.Fprintf(&b, "%-*s | %5s | %8s | %18s | %13s | %17s | %10s | %10s | %10s\n", nameW, "page or action", "users",
		"requests", "service statements", "caller logins", "caller statements", "floor", "p50", "p99")
	for _, i := range pathOrder {
		c := costs[i]
		floor := cfg.floor(c)
		for _, lv := range levels {
			ds := slices.Clone(lv.samples[i])
			fmt.Fprintf(&b, "%-*s | %5d | %8d | %18d | %13d | %17d | %10s | %10s | %10s\n", nameW, pathSteps[i].name,
				lv.users, len(ds), c.service, c.logins, c.caller, millis(floor), millis(percentile(ds, 50)),
				millis(percentile(ds, 99)))
		}
	}
	fmt.Fprintf(&b, "(floor = statements × %s + logins × %s: the round trips the driver sent for the request "+
		"with one user alone, at the fake Snowflake's latency)\n", cfg.statement, cfg.login)
	fmt.Fprintf(&b, "(%d visits per user and level, each in a browser without cookies, a fresh caller token on "+
		"every request; users start spread over a visit)\n", cfg.iterations)
	b.WriteString("(caches as signoff serve's defaults, on the real clock: the request that refreshes one pays its statement)\n")
	for _, lv := range levels {
		fmt.Fprintf(&b, "(%s: %d requests in %s, %s of the service pool)\n", signoff.Count(lv.users, "user", "users"),
			lv.requests, lv.took.Round(10*time.Millisecond), signoff.Count(lv.serviceLogins, "login", "logins"))
	}
	b.WriteString(reportEnd)
	return b.String()
}
