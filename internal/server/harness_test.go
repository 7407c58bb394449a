package server_test

import (
	"context"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/signoff/signoff/internal/demo"
	"github.com/signoff/signoff/internal/server"
	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlite"
)

// Two kinds of server run under these tests. Tests of the HTTP layer alone
// (routing, parsing, statuses, error pages, flashes, forms, headers,
// cookies) serve a fakeWorkflow (fake_test.go): they do not depend on any
// data. Tests of what Signoff does end to end serve the full stack that
// newStack builds: the embedded engine, the service and the server.

// testKey signs the test servers' cookies.
var testKey = []byte("0123456789abcdef0123456789abcdef-test")

// site is a running test server that clients talk to.
type site struct {
	t   testing.TB
	URL string
}

// anon returns a client with an empty cookie jar that does not follow
// redirects.
func (s site) anon() *client {
	s.t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(s.t, err)
	return &client{t: s.t, base: s.URL, hc: &http.Client{
		Jar:           jar,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// as returns a client signed in as the persona user (embedded engine).
func (s site) as(user string) *client {
	s.t.Helper()
	c := s.anon()
	res := c.post("/login", url.Values{"user": {user}})
	require.Equal(s.t, http.StatusSeeOther, res.Status, "sign in as %s: %s", user, res.Body)
	c.user = user
	// Drop the "Signed in as" flash so that tests see their own flashes.
	c.hc.Jar.SetCookies(c.baseURL(), []*http.Cookie{{Name: "signoff_flash", Path: "/", MaxAge: -1}})
	return c
}

// clientFor returns a client signed in as user, or signed out for "".
func (s site) clientFor(user string) *client {
	if user == "" {
		return s.anon()
	}
	return s.as(user)
}

// ---- The full stack ----

// stack is a real Signoff: the embedded engine (with the demo, unless told
// otherwise), the service and the HTTP server, on a loopback httptest
// server.
type stack struct {
	site
	srv *server.Server
	st  *sqlite.Store
	svc *signoff.Service
	// path is the database file, with fileDB or fromTemplate; "" in memory.
	path string
	// platform is the Snowflake identity look-up's stand-in, with
	// platformIdentity; nil on the embedded engine's persona sign-in.
	platform *fakePlatform
	// clock is the server's clock, with clockAt; nil for time.Now.
	clock *atomicClock
}

// stackConfig is what the options set.
type stackConfig struct {
	file     *string     // nil: in memory; "": a new file; else that file (as it is)
	template *dbTemplate // start from a copy of this database
	demo     bool
	seed     []func(ctx context.Context, st *sqlite.Store) error
	platform bool
	ttl      time.Duration
	start    time.Time
	notices  bool
}

// stackOption configures newStack.
type stackOption func(*stackConfig)

// withNotices serves the outbox and the header's pending count.
func withNotices() stackOption { return func(c *stackConfig) { c.notices = true } }

// fileDB puts the database in a file: path if it is not empty (opened as it
// is, created if missing), else a new file in a temporary directory.
func fileDB(path string) stackOption { return func(c *stackConfig) { c.file = &path } }

// withoutDemo leaves the database as it is opened: empty, or whatever the
// file holds.
func withoutDemo() stackOption { return func(c *stackConfig) { c.demo = false } }

// seeded runs fn on the store once it is open and the demo loaded.
func seeded(fn func(ctx context.Context, st *sqlite.Store) error) stackOption {
	return func(c *stackConfig) { c.seed = append(c.seed, fn) }
}

// fromTemplate starts from a private copy of tpl's database (in a file).
func fromTemplate(tpl *dbTemplate) stackOption { return func(c *stackConfig) { c.template = tpl } }

// platformIdentity serves the identity the platform vouches for (as on the
// Snowflake engine, through a fakePlatform over the local account) instead
// of persona sign-in, with the identity cache ttl.
func platformIdentity(ttl time.Duration) stackOption {
	return func(c *stackConfig) { c.platform, c.ttl = true, ttl }
}

// clockAt gives the server a clock that starts at t and moves only when the
// test moves it (stack.clock).
func clockAt(t time.Time) stackOption { return func(c *stackConfig) { c.start = t } }

// newStack builds a full stack: by default an in-memory database with the
// demo loaded and persona sign-in.
func newStack(t testing.TB, opts ...stackOption) *stack {
	t.Helper()
	cfg := stackConfig{demo: true}
	for _, o := range opts {
		o(&cfg)
	}
	ctx := t.Context()
	path := ":memory:"
	switch {
	case cfg.template != nil:
		data, err := cfg.template.database()
		require.NoError(t, err)
		path = tempDBPath(t)
		require.NoError(t, os.WriteFile(path, data, 0o600))
		cfg.demo = false // the template has it
	case cfg.file != nil && *cfg.file != "":
		path = *cfg.file
	case cfg.file != nil:
		path = tempDBPath(t)
	}
	st, svc, err := openStore(ctx, path, cfg.demo, cfg.seed...)
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })

	s := &stack{st: st, svc: svc}
	if path != ":memory:" {
		s.path = path
	}
	svc.Products = st
	svc.Policies = st
	svc.Objects = st
	sc := server.Config{Service: svc, Ready: st.Ping, SessionKey: testKey, Engine: "test", Reviews: svc, Catalog: svc, Managers: svc, Policy: svc}
	if cfg.notices {
		svc.Notifier = st
		sc.Notices = svc
	}
	if cfg.platform {
		s.platform = &fakePlatform{st: st, owners: map[string]string{}}
		sc.Platform, sc.IdentityTTL = s.platform, cfg.ttl
	} else {
		sc.Local = st
	}
	if !cfg.start.IsZero() {
		s.clock = &atomicClock{now: cfg.start}
		sc.Now = s.clock.Now
	}
	s.srv, err = server.New(sc)
	require.NoError(t, err)
	hs := httptest.NewServer(s.srv)
	t.Cleanup(hs.Close)
	s.site = site{t: t, URL: hs.URL}
	return s
}

// openStore opens the database at path with a service over it, and loads
// the demo (if demo) and the seeds.
func openStore(ctx context.Context, path string, withDemo bool, seeds ...func(context.Context, *sqlite.Store) error) (*sqlite.Store, *signoff.Service, error) {
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, nil, err
	}
	svc := signoff.NewService(st.Reads(), st)
	svc.Diagnoser = st
	svc.Directory, svc.Scheduler, svc.Managers = st, st, st
	svc.ReviewReads, svc.ReviewEngine = st.Reads(), st
	if withDemo {
		err = demo.Load(ctx, st, svc, time.Now())
	}
	for _, seed := range seeds {
		if err == nil {
			err = seed(ctx, st)
		}
	}
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, svc, nil
}

// tempDBPath returns a database file's path in a new temporary directory.
// Not t.TempDir: its name comes from the test's, and sqlite.Open reads a "%"
// in a path as an escape.
func tempDBPath(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "signoff-test-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "signoff.db")
}

// dbTemplate is a database built once, with the demo and then seed, and
// copied for each stack that starts from it: much cheaper than playing the
// demo again for every stack (it matters under the race detector).
type dbTemplate struct {
	seed func(ctx context.Context, st *sqlite.Store) error

	once sync.Once
	data []byte
	err  error
}

// database returns the template's database file's content.
func (d *dbTemplate) database() ([]byte, error) {
	d.once.Do(func() {
		dir, err := os.MkdirTemp("", "signoff-template-")
		if err != nil {
			d.err = err
			return
		}
		defer os.RemoveAll(dir)
		path := filepath.Join(dir, "signoff.db")
		var seeds []func(context.Context, *sqlite.Store) error
		if d.seed != nil {
			seeds = append(seeds, d.seed)
		}
		st, _, err := openStore(context.Background(), path, true, seeds...)
		if err != nil {
			d.err = err
			return
		}
		if d.err = st.Close(); d.err == nil {
			d.data, d.err = os.ReadFile(path)
		}
	})
	return d.data, d.err
}

// openReview returns the ID of product's open access review.
func (s *stack) openReview(product string) string {
	s.t.Helper()
	open, err := s.st.Reads().OpenReviews(context.Background(), 100)
	require.NoError(s.t, err)
	for _, v := range open {
		if v.ProductID == product {
			return v.ID
		}
	}
	require.Failf(s.t, "no open review", "of %s", product)
	return ""
}

// request returns request id from the store.
func (s *stack) request(id string) signoff.Request {
	s.t.Helper()
	r, _, _, err := s.st.Reads().RequestDetail(context.Background(), id)
	require.NoError(s.t, err)
	return r
}

// requestFor returns the ID of requester's newest request for product (in
// status, when status is not empty).
func (s *stack) requestFor(requester, product string, status signoff.Status) string {
	s.t.Helper()
	rs, err := s.st.Reads().Requests(context.Background(), requester, 100)
	require.NoError(s.t, err)
	for _, r := range rs {
		if r.ProductID == product && (status == "" || r.Status == status) {
			return r.ID
		}
	}
	s.t.Fatalf("no %s request by %s for %s", status, requester, product)
	return ""
}

// countRequests counts requester's requests.
func (s *stack) countRequests(requester string) int {
	s.t.Helper()
	rs, err := s.st.Reads().Requests(context.Background(), requester, 1000)
	require.NoError(s.t, err)
	return len(rs)
}

// events returns every audit event, newest first.
func (s *stack) events() []signoff.Event {
	s.t.Helper()
	evs, err := s.st.Reads().Events(context.Background(), signoff.EventFilter{Limit: 100_000})
	require.NoError(s.t, err)
	return evs
}

// identity returns user's roles in session, as the local account says.
func (s *stack) identity(user string) signoff.Identity {
	s.t.Helper()
	id, err := s.st.Identify(context.Background(), user)
	require.NoError(s.t, err)
	return id
}

// fakePlatform stands in for the Snowflake engine's identity look-up: a
// caller token belongs to the user it was issued to, and the roles come from
// the embedded engine's local account.
type fakePlatform struct {
	st *sqlite.Store

	mu     sync.Mutex
	owners map[string]string // caller token → user
	calls  int
}

func (p *fakePlatform) issue(user string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	token := "caller-token-" + url.QueryEscape(user) + "-" + time.Now().Format("150405.000000000")
	p.owners[token] = user
	return token
}

func (p *fakePlatform) Identify(ctx context.Context, token string) (signoff.Identity, error) {
	p.mu.Lock()
	p.calls++
	user, ok := p.owners[token]
	p.mu.Unlock()
	if !ok {
		return signoff.Identity{}, signoff.Errorf(signoff.ErrUnauthenticated, "Your Snowflake session has expired.")
	}
	return p.st.Identify(ctx, user)
}

func (p *fakePlatform) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls
}

// atomicClock is the server's clock, moved by the test.
type atomicClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *atomicClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *atomicClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// ---- Clients ----

// client is a browser stand-in: it keeps cookies, sends a same-origin Origin
// header on POSTs, and returns redirects instead of following them.
type client struct {
	t    testing.TB
	base string
	hc   *http.Client
	user string
}

// response is what a test looks at.
type response struct {
	Status   int
	Header   http.Header
	Body     string
	Location string
}

func (c *client) baseURL() *url.URL {
	c.t.Helper()
	u, err := url.Parse(c.base)
	require.NoError(c.t, err)
	return u
}

func (c *client) do(req *http.Request) response {
	c.t.Helper()
	res, err := c.hc.Do(req)
	require.NoError(c.t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(c.t, err)
	return response{Status: res.StatusCode, Header: res.Header, Body: string(b), Location: res.Header.Get("Location")}
}

func (c *client) newRequest(method, path string, body io.Reader) *http.Request {
	c.t.Helper()
	req, err := http.NewRequestWithContext(c.t.Context(), method, c.base+path, body)
	require.NoError(c.t, err)
	return req
}

// get GETs path, with optional header pairs (name, value, ...).
func (c *client) get(path string, header ...string) response {
	c.t.Helper()
	req := c.newRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return c.do(req)
}

// post POSTs form to path from this site's origin.
func (c *client) post(path string, form url.Values, header ...string) response {
	c.t.Helper()
	req := c.newRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", c.base)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return c.do(req)
}

// postRaw POSTs body with contentType (none if empty) from this site.
func (c *client) postRaw(path, contentType string, body []byte, chunked bool) response {
	c.t.Helper()
	var r io.Reader = strings.NewReader(string(body))
	if chunked {
		r = struct{ io.Reader }{r} // hide the length: the server must count
	}
	req := c.newRequest(http.MethodPost, path, r)
	if chunked {
		req.ContentLength = -1
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Origin", c.base)
	return c.do(req)
}

// follow GETs a 303's Location (the POST/redirect/GET pattern).
func (c *client) follow(res response) response {
	c.t.Helper()
	require.Equal(c.t, http.StatusSeeOther, res.Status, "expected a redirect: %s", res.Body)
	return c.get(res.Location)
}

// followAll follows res's redirects until a page that is not one, and
// returns it with the path it was served at.
func (c *client) followAll(res response) (response, string) {
	c.t.Helper()
	path := ""
	for i := 0; res.Status == http.StatusSeeOther; i++ {
		require.Less(c.t, i, 5, "too many redirects")
		path = res.Location
		res = c.get(path)
	}
	require.NotEmpty(c.t, path, "expected a redirect: %s", res.Body)
	return res, path
}

// signedInAs returns who c is signed in as, "" when signed out.
func (c *client) signedInAs() string {
	c.t.Helper()
	res := c.get("/requests")
	if res.Status == http.StatusSeeOther {
		return ""
	}
	require.Equal(c.t, http.StatusOK, res.Status)
	return testid(res.Body, "viewer")
}

// signedWith signs a value of the cookie name as the server does with the
// session key key (HMAC-SHA256 with the cookie's own key, derived from key
// by HKDF-SHA256 with the context "signoff cookie <name>"; base64url without
// padding), to forge cookies with known or foreign keys.
func signedWith(key []byte, name, value string) string {
	derived, err := hkdf.Key(sha256.New, key, nil, "signoff cookie "+name, sha256.Size)
	if err != nil {
		panic(err) // only for a length HKDF cannot give
	}
	return signedWithKey(derived, value)
}

// signedWithKey signs value with key itself, as cookies were signed before
// each cookie had its own key.
func signedWithKey(key []byte, value string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(value))
	return base64.RawURLEncoding.EncodeToString([]byte(value)) + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// ---- Reading pages ----

// parseHTML parses a page as a browser would.
func parseHTML(body string) *html.Node {
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		panic(err) // html.Parse accepts any text; only a failing reader makes it fail
	}
	return doc
}

// matcher selects elements.
type matcher func(*html.Node) bool

// element matches elements named tag ("" for any) whose attributes have the
// values given as name, value pairs.
func element(tag string, attrs ...string) matcher {
	return func(n *html.Node) bool {
		if n.Type != html.ElementNode || (tag != "" && n.Data != tag) {
			return false
		}
		for i := 0; i+1 < len(attrs); i += 2 {
			if v, ok := attrOf(n, attrs[i]); !ok || v != attrs[i+1] {
				return false
			}
		}
		return true
	}
}

// byTestid matches elements marked data-testid=id.
func byTestid(id string) matcher { return element("", "data-testid", id) }

// find returns the first element under n, in document order, that m
// matches, or nil.
func find(n *html.Node, m matcher) *html.Node {
	for d := range n.Descendants() {
		if m(d) {
			return d
		}
	}
	return nil
}

// findAll returns every element under n that m matches, in document order.
func findAll(n *html.Node, m matcher) []*html.Node {
	var out []*html.Node
	for d := range n.Descendants() {
		if m(d) {
			out = append(out, d)
		}
	}
	return out
}

// attrOf returns the value of n's attribute name (entities decoded).
func attrOf(n *html.Node, name string) (string, bool) {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == name {
			return a.Val, true
		}
	}
	return "", false
}

// textOf returns the text in n as people read it: entities decoded, a space
// where each tag was, and white space collapsed.
func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		switch n.Type {
		case html.TextNode:
			b.WriteString(n.Data)
		case html.ElementNode, html.DocumentNode:
			if cls, _ := attrOf(n, "class"); n.Data == "wbr" || cls == "ident" { // view.Ident: one word
				for c := range n.ChildNodes() {
					walk(c)
				}
				return
			}
			b.WriteByte(' ')
			for c := range n.ChildNodes() {
				walk(c)
			}
			b.WriteByte(' ')
		}
	}
	walk(n)
	return collapseSpace(b.String())
}

// collapseSpace trims s and turns each run of white space (space, tab, line
// break, form feed) into one space.
func collapseSpace(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if strings.ContainsRune(" \t\n\r\f", r) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// text returns a page's text (see textOf).
func text(body string) string { return textOf(parseHTML(body)) }

// testid returns the text of the first element marked data-testid=id, with
// white space collapsed, or "" if there is none.
func testid(body, id string) string {
	if n := find(parseHTML(body), byTestid(id)); n != nil {
		return textOf(n)
	}
	return ""
}

// hasTestid reports whether the page has an element marked data-testid=id.
func hasTestid(body, id string) bool { return find(parseHTML(body), byTestid(id)) != nil }

// testidHTML returns the first element marked data-testid=id as HTML, or
// "" if there is none: for assertions about its links and markup.
func testidHTML(body, id string) string {
	n := find(parseHTML(body), byTestid(id))
	if n == nil {
		return ""
	}
	var b strings.Builder
	if err := html.Render(&b, n); err != nil {
		panic(err)
	}
	return b.String()
}

// count returns how many elements of the page m matches.
func count(body string, m matcher) int { return len(findAll(parseHTML(body), m)) }

// href returns the target of the first link whose attributes have the
// values given as name, value pairs (e.g. "rel", "next"), or "".
func href(body string, attrs ...string) string {
	if n := find(parseHTML(body), element("a", attrs...)); n != nil {
		v, _ := attrOf(n, "href")
		return v
	}
	return ""
}

// labelledHref returns the target of the first link that reads label, or "".
func labelledHref(body, label string) string {
	for _, a := range findAll(parseHTML(body), element("a")) {
		if textOf(a) == label {
			v, _ := attrOf(a, "href")
			return v
		}
	}
	return ""
}

// links returns the targets of every link on the page, in order.
func links(body string) []string {
	var out []string
	for _, a := range findAll(parseHTML(body), element("a")) {
		if v, ok := attrOf(a, "href"); ok {
			out = append(out, v)
		}
	}
	return out
}

// field returns the value the page's first form control named name would
// send: an input's value, a textarea's text or a select's chosen option;
// ok is false if the page has no such control.
func field(body, name string) (value string, ok bool) {
	n := find(parseHTML(body), func(n *html.Node) bool {
		v, named := attrOf(n, "name")
		return n.Type == html.ElementNode && named && v == name &&
			(n.Data == "input" || n.Data == "textarea" || n.Data == "select")
	})
	if n == nil {
		return "", false
	}
	switch n.Data {
	case "textarea":
		var b strings.Builder
		for c := range n.ChildNodes() {
			if c.Type == html.TextNode {
				b.WriteString(c.Data)
			}
		}
		return b.String(), true
	case "select":
		options := findAll(n, element("option"))
		for _, o := range options {
			if _, sel := attrOf(o, "selected"); sel {
				v, _ := attrOf(o, "value")
				return v, true
			}
		}
		if len(options) > 0 {
			v, _ := attrOf(options[0], "value")
			return v, true
		}
		return "", true
	}
	v, _ := attrOf(n, "value")
	return v, true
}

// fieldValue is field's value, "" when there is no such control.
func fieldValue(body, name string) string {
	v, _ := field(body, name)
	return v
}
