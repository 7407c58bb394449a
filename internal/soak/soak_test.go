package soak

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/ncruces/go-sqlite3/driver" // "sqlite3", to read the file afterwards
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/demo"
	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlite"
)

// TestSoak proves promises 3 (exactly once) and 4 (nothing unaudited)
// across instances: N requests wait in one database file; two signoff
// processes serve it; approvers on both race for the same steps over HTTP,
// each deciding the step it saw, until every request is decided. Then the
// file must show every step decided exactly once, one audit event per
// change, a grant for every final approval, and no 5xx was ever answered.
//
// Its size comes from the environment, so that one test serves "make test"
// (the defaults) and "make soak":
//
//	SIGNOFF_SOAK_REQUESTS   requests to decide (200)
//	SIGNOFF_SOAK_INSTANCES  signoff processes (2)
//	SIGNOFF_SOAK_CLIENTS    concurrent approver clients (32)
//	SIGNOFF_SOAK_REJECT     per cent of decisions that reject (5)
//	SIGNOFF_SOAK_DEADLINE   how long the clients may run (60s)
//	SIGNOFF_SOAK_BUDGET     HTTP requests the clients may send (40 per request + 4000)
//	SIGNOFF_SOAK_SEED       random seed (random; logged)
//	SIGNOFF_SOAK_RACE       1: build the server with -race (0; ten times slower)
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("soak test: not in -short mode")
	}
	cfg := soakConfig(t)
	t.Logf("soak: %d requests, %d instances, %d clients, %d%% rejects, deadline %s, budget %d requests, seed %d, race %v",
		cfg.requests, cfg.instances, cfg.clients, cfg.rejectPct, cfg.deadline, cfg.budget, cfg.seed, cfg.race)

	dir := t.TempDir()
	bin := buildSignoff(t, dir, cfg.race)
	db := filepath.Join(dir, "signoff.db")
	acct := prepare(t, db, cfg.requests)

	key := strings.Repeat("soak-session-key-", 3)
	var urls []string
	var procs []*process
	for i := range cfg.instances {
		p := startServe(t, bin, db, key, filepath.Join(dir, fmt.Sprintf("serve-%d.log", i)))
		procs = append(procs, p)
		urls = append(urls, p.url)
	}

	run := newRun(t, cfg, urls, acct)
	start := time.Now()
	run.clients()
	elapsed := time.Since(start)

	for _, p := range procs {
		p.stop(t)
	}
	run.report(t, elapsed)
	verify(t, db, acct, run)
}

type config struct {
	requests, instances, clients, rejectPct, budget int
	deadline                                        time.Duration
	seed                                            uint64
	race                                            bool
}

func soakConfig(t *testing.T) config {
	t.Helper()
	num := func(name string, def int) int {
		v := os.Getenv(name)
		if v == "" {
			return def
		}
		n, err := strconv.Atoi(v)
		require.NoError(t, err, "%s=%q", name, v)
		require.GreaterOrEqual(t, n, 0, name)
		return n
	}
	c := config{requests: num("SIGNOFF_SOAK_REQUESTS", 200), instances: num("SIGNOFF_SOAK_INSTANCES", 2),
		clients: num("SIGNOFF_SOAK_CLIENTS", 32), rejectPct: num("SIGNOFF_SOAK_REJECT", 5), deadline: 60 * time.Second,
		seed: rand.Uint64()}
	c.budget = num("SIGNOFF_SOAK_BUDGET", 40*c.requests+4000)
	require.Positive(t, c.requests)
	require.Positive(t, c.instances)
	require.Positive(t, c.clients)
	if v := os.Getenv("SIGNOFF_SOAK_DEADLINE"); v != "" {
		d, err := time.ParseDuration(v)
		require.NoError(t, err, "SIGNOFF_SOAK_DEADLINE=%q", v)
		c.deadline = d
	}
	if v := os.Getenv("SIGNOFF_SOAK_SEED"); v != "" {
		s, err := strconv.ParseUint(v, 10, 64)
		require.NoError(t, err, "SIGNOFF_SOAK_SEED=%q", v)
		c.seed = s
	}
	if v := os.Getenv("SIGNOFF_SOAK_RACE"); v != "" {
		b, err := strconv.ParseBool(v)
		require.NoError(t, err, "SIGNOFF_SOAK_RACE=%q", v)
		c.race = b
	}
	return c
}

// buildSignoff builds cmd/signoff into dir, with the race detector if asked.
func buildSignoff(t *testing.T, dir string, race bool) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	bin := filepath.Join(dir, "signoff")
	args := []string{"build", "-o", bin}
	if race {
		args = append(args, "-race")
	}
	start := time.Now()
	out, err := exec.CommandContext(t.Context(), goTool, append(args, "github.com/signoff/signoff/cmd/signoff")...).CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	t.Logf("built signoff in %s", time.Since(start).Round(time.Millisecond))
	return bin
}

// account is who is who in the soak's database.
type account struct {
	approvers  []string            // every persona that holds an approver role
	requesters []string            // R1..Rn
	accessRole map[string]string   // product → access role
	chain      map[string][]string // product → its chain's roles
	admin      string
}

// Approver roles, and the role hierarchy: SECURITY_LEAD inherits DPO.
const (
	lineManager  = "LINE_MANAGER"
	dataOwner    = "DATA_OWNER"
	dpo          = "DPO"
	securityLead = "SECURITY_LEAD"
	// vacant keys a step nobody holds: the schedulers of the serve
	// processes escalate it to its fallback role, dpo, whose clients then
	// decide it (issue 12), each such step once.
	vacant = "VACANT_SEAT"
)

// chains are the products' approval chains, one to four steps.
var chains = [][]string{
	{dataOwner},
	{lineManager},
	{lineManager, dataOwner},
	{dataOwner, dpo},
	{lineManager, dataOwner, dpo},
	{dpo, lineManager},
	{lineManager, dataOwner, dpo, securityLead},
	{dpo, dataOwner, lineManager, securityLead},
	{lineManager, vacant},
}

// prepare creates the database at path with its account, products and n
// pending requests, made through the workflow, and closes it.
func prepare(t *testing.T, path string, n int) account {
	t.Helper()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, path)
	require.NoError(t, err)
	defer st.Close()
	svc := signoff.NewService(st.Reads(), st)

	acct := account{accessRole: map[string]string{}, chain: map[string][]string{}, admin: "ADAM"}
	roles := []string{"ANALYST", lineManager, dataOwner, dpo, securityLead, vacant, signoff.RoleAdmin}
	for i := range chains {
		roles = append(roles, fmt.Sprintf("P%d_READ", i+1))
	}
	for _, r := range roles {
		require.NoError(t, st.CreateRole(ctx, r, ""))
	}
	require.NoError(t, st.GrantRoleToRole(ctx, dpo, securityLead))
	user := func(name string, roles ...string) {
		require.NoError(t, st.CreateUser(ctx, name, name, ""))
		for _, r := range roles {
			require.NoError(t, st.GrantRoleToUser(ctx, r, name, "ACCOUNTADMIN"))
		}
	}
	for i := 1; i <= 8; i++ {
		m, o, d := fmt.Sprintf("M%d", i), fmt.Sprintf("O%d", i), fmt.Sprintf("D%d", i)
		user(m, lineManager)
		user(o, dataOwner)
		if i <= 4 {
			user(d, dpo)
		} else {
			user(d, securityLead) // DPO through the hierarchy
		}
		acct.approvers = append(acct.approvers, m, o, d)
	}
	// Two people who hold two approver roles: they may decide one step of a
	// request, never two.
	for _, x := range []string{"X1", "X2"} {
		user(x, lineManager, dataOwner)
		acct.approvers = append(acct.approvers, x)
	}
	user(acct.admin, signoff.RoleAdmin)

	labels := map[string]string{lineManager: "Line manager", dataOwner: "Data owner", dpo: "Data protection", securityLead: "Security",
		vacant: "Committee"}
	var products []string
	for i, chain := range chains {
		id := fmt.Sprintf("p%d", i+1)
		p := signoff.Product{ID: id, Name: fmt.Sprintf("Product %d", i+1), OwnerRole: dataOwner,
			AccessRole: fmt.Sprintf("P%d_READ", i+1), Classification: "INTERNAL"}
		for _, role := range chain {
			p.Chain = append(p.Chain, signoff.ChainStep{ApproverRole: role, Label: labels[role]})
			if role == vacant {
				p.FallbackRole = dpo
			}
		}
		require.NoError(t, st.CreateProduct(ctx, p))
		products = append(products, id)
		acct.accessRole[id] = p.AccessRole
		acct.chain[id] = chain
	}

	// Each requester asks for every product once (one open request per
	// product and requester), until there are n requests.
	nReq := (n + len(products) - 1) / len(products)
	ids := make([]signoff.Identity, nReq)
	for i := range nReq {
		name := fmt.Sprintf("R%d", i+1)
		user(name, "ANALYST")
		acct.requesters = append(acct.requesters, name)
		ids[i], err = st.Identify(ctx, name)
		require.NoError(t, err)
	}
	for j := range n {
		_, err := svc.Submit(ctx, ids[j/len(products)], products[j%len(products)],
			"Soak test: a business reason long enough to pass.", demo.DefaultDays(products[j%len(products)]))
		require.NoError(t, err)
	}
	return acct
}

// process is one "signoff serve".
type process struct {
	cmd    *exec.Cmd
	url    string
	log    string
	exited chan error
}

var readyURL = regexp.MustCompile(`http://127\.0\.0\.1:\d+`)

func startServe(t *testing.T, bin, db, key, logFile string) *process {
	t.Helper()
	logOut, err := os.Create(logFile)
	require.NoError(t, err)
	t.Cleanup(func() { logOut.Close() })
	cmd := exec.Command(bin, "serve", "--engine", "embedded", "--db", db, "--addr", "127.0.0.1:0",
		"--session-key", key, "--log-format", "json")
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SIGNOFF_") && !strings.HasPrefix(kv, "SNOWFLAKE_") {
			env = append(env, kv)
		}
	}
	cmd.Env = env
	cmd.Stderr = logOut
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	p := &process{cmd: cmd, log: logFile, exited: make(chan error, 1)}
	t.Cleanup(func() { _ = cmd.Process.Kill() }) // a no-op once it has exited

	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u := readyURL.FindString(sc.Text()); u != "" {
				select {
				case urls <- u:
				default:
				}
			}
		}
		p.exited <- cmd.Wait()
	}()
	select {
	case p.url = <-urls:
	case err := <-p.exited:
		t.Fatalf("signoff serve exited before it was ready: %v\n%s", err, tail(logFile))
	case <-time.After(30 * time.Second):
		t.Fatalf("signoff serve printed no URL\n%s", tail(logFile))
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(p.url + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return p
			}
		}
		require.True(t, time.Now().Before(deadline), "/healthz never answered 200: %v", err)
		time.Sleep(20 * time.Millisecond)
	}
}

// stop sends SIGTERM, as SPCS does, and expects a clean exit.
func (p *process) stop(t *testing.T) {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-p.exited:
		assert.NoError(t, err, "signoff serve exits 0 on SIGTERM\n%s", tail(p.log))
	case <-time.After(30 * time.Second):
		t.Errorf("signoff serve did not exit within 30 s of SIGTERM\n%s", tail(p.log))
	}
	b, err := os.ReadFile(p.log)
	require.NoError(t, err)
	if n := bytes.Count(b, []byte(`"level":"ERROR"`)); n > 0 {
		t.Errorf("%s logged %d errors:\n%s", p.url, n, grepLines(b, `"level":"ERROR"`, 10))
	}
}

func tail(file string) string {
	b, _ := os.ReadFile(file)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

func grepLines(b []byte, substr string, max int) string {
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, substr) && len(out) < max {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// soakRun is the client side of the soak: what was sent and answered.
type soakRun struct {
	t    *testing.T
	cfg  config
	urls []string
	acct account
	http *http.Client

	deadline    time.Time
	sent        atomic.Int64 // HTTP requests sent (the budget)
	finished    atomic.Int64 // requests whose last decision the clients made
	empty       atomic.Int64 // queue pages with nothing to do
	outOfBudget atomic.Bool  // the budget ran out

	mu          sync.Mutex
	statuses    map[int]int      // status → count, all responses
	perInstance []map[string]int // per instance: "requests", "decisions", "conflicts"
	unexpected  []string         // responses other than the expected ones
	decided     int              // decisions that succeeded (303)
	finals      int              // final approvals that succeeded
	rejects     int              // rejections that succeeded
	conflicts   int              // 409s
	latencies   []time.Duration  // of the decisions
}

func newRun(t *testing.T, cfg config, urls []string, acct account) *soakRun {
	tr := &http.Transport{MaxIdleConnsPerHost: cfg.clients, MaxConnsPerHost: cfg.clients, IdleConnTimeout: 30 * time.Second}
	t.Cleanup(tr.CloseIdleConnections)
	r := &soakRun{t: t, cfg: cfg, urls: urls, acct: acct, statuses: map[int]int{},
		http: &http.Client{Transport: tr, Timeout: 30 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	for range urls {
		r.perInstance = append(r.perInstance, map[string]int{})
	}
	return r
}

func (r *soakRun) done() bool {
	return r.finished.Load() >= int64(r.cfg.requests) || time.Now().After(r.deadline) || r.outOfBudget.Load()
}

// take spends one request of the budget; false when it is spent.
func (r *soakRun) take() bool {
	if r.sent.Add(1) > int64(r.cfg.budget) {
		r.outOfBudget.Store(true)
		return false
	}
	return true
}

// do sends req to instance i and returns the status and body.
func (r *soakRun) do(i int, req *http.Request, what string) (int, string, error) {
	res, err := r.http.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	r.mu.Lock()
	r.statuses[res.StatusCode]++
	r.perInstance[i]["requests"]++
	if res.StatusCode >= 500 {
		r.unexpected = append(r.unexpected, fmt.Sprintf("%s on %s: %d %s", what, r.urls[i], res.StatusCode, snippet(b)))
	}
	r.mu.Unlock()
	return res.StatusCode, string(b), err
}

func snippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if i := strings.Index(s, "<main"); i >= 0 {
		s = s[i:]
	}
	if len(s) > 300 {
		s = s[:300]
	}
	return s
}

func (r *soakRun) fail(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.unexpected = append(r.unexpected, fmt.Sprintf(format, args...))
}

// clients runs the approvers until every request is decided, the deadline
// passes or the budget is spent.
func (r *soakRun) clients() {
	r.deadline = time.Now().Add(r.cfg.deadline)
	var wg sync.WaitGroup
	for c := range r.cfg.clients {
		persona := r.acct.approvers[c%len(r.acct.approvers)]
		rng := rand.New(rand.NewPCG(r.cfg.seed, uint64(c)))
		wg.Go(func() { r.approver(persona, rng) })
	}
	wg.Wait()
}

// queueTable is the approver's queue on the queue page, and queueRow one
// line of it: a request at a step.
var (
	queueTable = regexp.MustCompile(`(?s)<table[^>]* data-testid="queue"[^>]*>.*?</table>`)
	queueRow   = regexp.MustCompile(`(?s)<a [^>]*href="/requests/([0-9A-Z]{26})[^"]*"[^>]*>.*?\(step (\d+) of (\d+)\)`)
)

func (r *soakRun) approver(persona string, rng *rand.Rand) {
	ctx := r.t.Context()
	pick := func() int { return rng.IntN(len(r.urls)) }

	// Sign in on one instance; the cookie works on every instance.
	var cookie string
	for cookie == "" {
		if r.done() || !r.take() {
			return
		}
		i := pick()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, r.urls[i]+"/login", strings.NewReader("user="+persona))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", r.urls[i])
		res, err := r.http.Do(req)
		if err != nil {
			r.fail("login %s: %v", persona, err)
			return
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		r.mu.Lock()
		r.statuses[res.StatusCode]++
		r.perInstance[i]["requests"]++
		r.mu.Unlock()
		if res.StatusCode != http.StatusSeeOther {
			r.fail("login %s on %s: %d", persona, r.urls[i], res.StatusCode)
			return
		}
		for _, c := range res.Cookies() {
			if c.Name == "signoff_session" {
				cookie = c.Value
			}
		}
		if cookie == "" {
			r.fail("login %s: no session cookie", persona)
			return
		}
	}

	backoff := 5 * time.Millisecond
	for !r.done() {
		if !r.take() {
			return
		}
		i := pick()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, r.urls[i]+"/queue", nil)
		req.AddCookie(&http.Cookie{Name: "signoff_session", Value: cookie})
		status, body, err := r.do(i, req, "GET /queue as "+persona)
		if err != nil {
			if ctx.Err() == nil {
				r.fail("GET /queue as %s: %v", persona, err)
			}
			return
		}
		if status != http.StatusOK {
			r.fail("GET /queue as %s on %s: %d", persona, r.urls[i], status)
			continue
		}
		rows := queueRow.FindAllStringSubmatch(queueTable.FindString(body), -1)
		if len(rows) == 0 {
			// Nothing for this persona now; later steps may still reach it.
			r.empty.Add(1)
			time.Sleep(backoff)
			backoff = min(2*backoff, 200*time.Millisecond)
			continue
		}
		backoff = 5 * time.Millisecond
		row := rows[rng.IntN(len(rows))]
		id, step, count := row[1], row[2], row[3]

		if !r.take() {
			return
		}
		form := url.Values{"decision": {"approve"}, "step": {step}}
		reject := rng.IntN(100) < r.cfg.rejectPct
		if reject {
			form.Set("decision", "reject")
			form.Set("comment", "Soak test: rejected by "+persona+".")
			form.Set("confirm", "1") // as the confirmation page's button sends it
		}
		j := pick()
		req, _ = http.NewRequestWithContext(ctx, http.MethodPost, r.urls[j]+"/requests/"+id+"/decision",
			strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", r.urls[j])
		req.AddCookie(&http.Cookie{Name: "signoff_session", Value: cookie})
		began := time.Now()
		status, body, err = r.do(j, req, "POST decision as "+persona)
		took := time.Since(began)
		if err != nil {
			if ctx.Err() == nil {
				r.fail("POST decision on %s step %s as %s: %v", id, step, persona, err)
			}
			return
		}
		r.mu.Lock()
		r.latencies = append(r.latencies, took)
		switch status {
		case http.StatusSeeOther:
			r.decided++
			r.perInstance[j]["decisions"]++
			if reject {
				r.rejects++
			} else if step == count {
				r.finals++
			}
			if reject || step == count {
				r.finished.Add(1)
			}
		case http.StatusConflict:
			r.conflicts++
			r.perInstance[j]["conflicts"]++
		default:
			r.unexpected = append(r.unexpected, fmt.Sprintf("POST decision on %s step %s as %s on %s: %d %s",
				id, step, persona, r.urls[j], status, snippet([]byte(body))))
		}
		r.mu.Unlock()
	}
}

func (r *soakRun) report(t *testing.T, elapsed time.Duration) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	lat := slices.Clone(r.latencies)
	slices.Sort(lat)
	q := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))].Round(time.Microsecond)
	}
	t.Logf("soak: %d requests: %d decisions (%d final approvals, %d rejections), %d conflicts (409), "+
		"%d HTTP requests, %d empty queue pages, in %s: %.1f decisions/s, %.1f HTTP requests/s",
		r.cfg.requests, r.decided, r.finals, r.rejects, r.conflicts, r.sent.Load(), r.empty.Load(),
		elapsed.Round(time.Millisecond), float64(r.decided)/elapsed.Seconds(), float64(r.sent.Load())/elapsed.Seconds())
	t.Logf("soak: decision latency p50 %s, p90 %s, p99 %s, max %s", q(0.5), q(0.9), q(0.99), q(1))
	for i, u := range r.urls {
		t.Logf("soak: instance %d (%s): %d HTTP requests, %d decisions, %d conflicts",
			i+1, u, r.perInstance[i]["requests"], r.perInstance[i]["decisions"], r.perInstance[i]["conflicts"])
	}
	codes := make([]int, 0, len(r.statuses))
	for c := range r.statuses {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	var parts []string
	for _, c := range codes {
		parts = append(parts, fmt.Sprintf("%d×%d", r.statuses[c], c))
	}
	t.Logf("soak: statuses: %s", strings.Join(parts, ", "))

	for _, c := range codes {
		if c >= 500 {
			t.Errorf("%d responses with status %d", r.statuses[c], c)
		}
	}
	if len(r.unexpected) > 0 {
		t.Errorf("%d unexpected responses or errors, the first:\n%s", len(r.unexpected),
			strings.Join(r.unexpected[:min(10, len(r.unexpected))], "\n"))
	}
	switch {
	case r.finished.Load() >= int64(r.cfg.requests):
	case r.outOfBudget.Load():
		t.Errorf("the budget of %d HTTP requests ran out with %d of %d requests decided",
			r.cfg.budget, r.finished.Load(), r.cfg.requests)
	default:
		t.Logf("soak: the deadline (%s) passed with %d of %d requests decided; the state is checked as it is",
			r.cfg.deadline, r.finished.Load(), r.cfg.requests)
	}
	require.Positive(t, r.decided, "some decisions succeed")
}

// verify reads the database file and checks promises 3 and 4.
func verify(t *testing.T, path string, acct account, run *soakRun) {
	t.Helper()
	ctx := context.Background()
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	db, err := sql.Open("sqlite3", (&url.URL{Scheme: "file", Opaque: path, RawQuery: q.Encode()}).String())
	require.NoError(t, err)
	defer db.Close()

	type step struct {
		decision, by string
	}
	type request struct {
		id, product, requester, status string
		current, count                 int
		steps                          map[int]step
		events                         map[string]int // type, and type@step for step events
	}
	reqs := map[string]*request{}
	rows, err := db.QueryContext(ctx, `SELECT request_id, product_id, requester, status, current_step, step_count FROM access_request`)
	require.NoError(t, err)
	for rows.Next() {
		r := &request{steps: map[int]step{}, events: map[string]int{}}
		require.NoError(t, rows.Scan(&r.id, &r.product, &r.requester, &r.status, &r.current, &r.count))
		reqs[r.id] = r
	}
	require.NoError(t, rows.Err())
	rows.Close()
	require.Len(t, reqs, run.cfg.requests, "every request is there, and no other")

	rows, err = db.QueryContext(ctx, `SELECT request_id, step_order, COALESCE(decision, ''), COALESCE(decided_by, '') FROM request_step`)
	require.NoError(t, err)
	stepRows := map[string]int{}
	for rows.Next() {
		var id, decision, by string
		var n int
		require.NoError(t, rows.Scan(&id, &n, &decision, &by))
		stepRows[id]++
		if decision != "" {
			reqs[id].steps[n] = step{decision, by}
		}
	}
	require.NoError(t, rows.Err())
	rows.Close()

	rows, err = db.QueryContext(ctx, `SELECT COALESCE(request_id, ''), event_type, COALESCE(step_order, 0) FROM audit_log`)
	require.NoError(t, err)
	eventTotals := map[string]int{}
	for rows.Next() {
		var id, typ string
		var n int
		require.NoError(t, rows.Scan(&id, &typ, &n))
		eventTotals[typ]++
		r, ok := reqs[id]
		require.True(t, ok, "audit event %s for an unknown request %q", typ, id)
		r.events[typ]++
		if typ == string(signoff.EventStepApproved) || typ == string(signoff.EventStepRejected) {
			r.events[fmt.Sprintf("%s@%d", typ, n)]++
		}
	}
	require.NoError(t, rows.Err())
	rows.Close()

	byStatus := map[string]int{}
	decided, finalApprovals := 0, 0
	grantedTo := map[string][]string{} // requester → access roles granted
	bad := 0
	check := func(ok bool, format string, args ...any) {
		if !ok {
			bad++
			if bad <= 20 {
				t.Errorf(format, args...)
			}
		}
	}
	for _, r := range reqs {
		byStatus[r.status]++
		check(stepRows[r.id] == r.count, "%s: %d step rows for a chain of %d", r.id, stepRows[r.id], r.count)
		d, rejected := len(r.steps), 0
		deciders := map[string]bool{}
		for n := 1; n <= d; n++ {
			s, ok := r.steps[n]
			check(ok, "%s: steps decided are not 1..%d: %v", r.id, d, r.steps)
			if !ok {
				break
			}
			check(s.by != r.requester, "%s: the requester decided step %d", r.id, n)
			check(!deciders[s.by], "%s: %s decided two steps", r.id, s.by)
			deciders[s.by] = true
			typ := signoff.EventStepApproved
			if s.decision == string(signoff.DecisionReject) {
				rejected++
				typ = signoff.EventStepRejected
				check(n == d, "%s: step %d was rejected and a later one decided", r.id, n)
			}
			check(r.events[fmt.Sprintf("%s@%d", typ, n)] == 1, "%s: %d %s events for step %d",
				r.id, r.events[fmt.Sprintf("%s@%d", typ, n)], typ, n)
		}
		decided += d
		check(r.events[string(signoff.EventStepApproved)]+r.events[string(signoff.EventStepRejected)] == d,
			"%s: %d step events for %d decided steps", r.id,
			r.events[string(signoff.EventStepApproved)]+r.events[string(signoff.EventStepRejected)], d)
		check(r.events[string(signoff.EventRequestSubmitted)] == 1, "%s: %d REQUEST_SUBMITTED events", r.id, r.events[string(signoff.EventRequestSubmitted)])
		// A step of the vacant seat, once it was the current one, escalated
		// exactly once, however many schedulers saw it.
		escalations := 0
		if chain := acct.chain[r.product]; r.current <= len(chain) && slices.Contains(chain[:r.current], vacant) {
			escalations = 1
		}
		check(r.events[string(signoff.EventStepEscalated)] <= escalations, "%s: %d STEP_ESCALATED events", r.id,
			r.events[string(signoff.EventStepEscalated)])
		if r.status == string(signoff.StatusGranted) {
			check(r.events[string(signoff.EventStepEscalated)] == escalations, "%s: granted with %d STEP_ESCALATED events",
				r.id, r.events[string(signoff.EventStepEscalated)])
		}
		approvedEvents, grantedEvents := r.events[string(signoff.EventRequestApproved)], r.events[string(signoff.EventAccessGranted)]
		switch r.status {
		case string(signoff.StatusPending):
			check(rejected == 0 && d == r.current-1, "%s: PENDING at step %d with %d decided (%d rejected)", r.id, r.current, d, rejected)
			check(approvedEvents == 0 && grantedEvents == 0, "%s: PENDING with approval or grant events", r.id)
		case string(signoff.StatusRejected):
			check(rejected == 1 && d == r.current, "%s: REJECTED at step %d with %d decided (%d rejected)", r.id, r.current, d, rejected)
			check(approvedEvents == 0 && grantedEvents == 0, "%s: REJECTED with approval or grant events", r.id)
		case string(signoff.StatusGranted):
			finalApprovals++
			check(rejected == 0 && d == r.count && r.current == r.count, "%s: GRANTED with %d of %d steps decided", r.id, d, r.count)
			check(approvedEvents == 1 && grantedEvents == 1, "%s: GRANTED with %d REQUEST_APPROVED and %d ACCESS_GRANTED events",
				r.id, approvedEvents, grantedEvents)
			grantedTo[r.requester] = append(grantedTo[r.requester], acct.accessRole[r.product])
		default:
			// APPROVED (grant never ran), GRANT_FAILED, WITHDRAWN, REVOKED:
			// nobody here withdraws or revokes, and every grant should succeed.
			check(false, "%s: status %s after the soak", r.id, r.status)
		}
	}
	t.Logf("soak: final state: %v; %d decided steps; audit events %v", byStatus, decided, eventTotals)

	assert.Equal(t, run.decided, decided, "every decision the clients saw succeed is recorded, and only those")
	assert.Equal(t, decided, eventTotals[string(signoff.EventStepApproved)]+eventTotals[string(signoff.EventStepRejected)],
		"one audit event per decided step")
	assert.Equal(t, run.cfg.requests, eventTotals[string(signoff.EventRequestSubmitted)], "one REQUEST_SUBMITTED per request")
	assert.Equal(t, byStatus[string(signoff.StatusGranted)], eventTotals[string(signoff.EventRequestApproved)], "GRANTED == REQUEST_APPROVED")
	assert.Equal(t, byStatus[string(signoff.StatusGranted)], eventTotals[string(signoff.EventAccessGranted)], "GRANTED == ACCESS_GRANTED")
	assert.Equal(t, run.finals, finalApprovals, "every final approval the clients made was granted")
	assert.Equal(t, run.rejects, byStatus[string(signoff.StatusRejected)], "every rejection the clients made is recorded")
	assert.Zero(t, eventTotals[string(signoff.EventGrantFailed)], "no grant failed")

	// Each requester holds exactly the access roles of their granted requests.
	st, err := sqlite.Open(ctx, path)
	require.NoError(t, err)
	defer st.Close()
	for _, who := range acct.requesters {
		id, err := st.Identify(ctx, who)
		require.NoError(t, err)
		for _, role := range acct.accessRole {
			check(id.HasRole(role) == slices.Contains(grantedTo[who], role),
				"%s holds %s: %v; granted requests for it: %v", who, role, id.HasRole(role), slices.Contains(grantedTo[who], role))
		}
	}
	if bad > 20 {
		t.Errorf("… and %d more violations", bad-20)
	}

	// Every request's audit hash chain is whole and matches its state.
	admin, err := st.Identify(ctx, acct.admin)
	require.NoError(t, err)
	rep, err := signoff.NewService(st.Reads(), st).VerifyAudit(ctx, admin)
	require.NoError(t, err)
	assert.True(t, rep.OK(), "audit chains: %d problems, the first: %+v", len(rep.Problems), rep.Problems[:min(5, len(rep.Problems))])
	assert.Equal(t, run.cfg.requests, rep.Requests, "every request's chain is checked")
	t.Logf("soak: audit chains verified: %d requests, %d events", rep.Requests, rep.Events)
}
