package server_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/demo"
	"github.com/signoff/signoff/internal/server"
	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlite"
)

// testKey signs the test server's cookies.
var testKey = []byte("0123456789abcdef0123456789abcdef-test")

// stack is a real Signoff: the embedded engine with the demo loaded, the
// service and the HTTP server, on a loopback httptest server.
type stack struct {
	t   *testing.T
	URL string
	st  *sqlite.Store
	svc *signoff.Service
}

// newStack builds a stack whose /readyz uses ready (nil: the store's Ping).
func newStack(t *testing.T, ready func(context.Context) error) *stack {
	t.Helper()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, ":memory:")
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	svc := signoff.NewService(st)
	svc.Diagnoser = st
	require.NoError(t, demo.Load(ctx, st, svc, time.Now()))
	if ready == nil {
		ready = st.Ping
	}
	srv, err := server.New(server.Config{Service: svc, Ready: ready, Local: st, SessionKey: testKey, Engine: "test"})
	require.NoError(t, err)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return &stack{t: t, URL: hs.URL, st: st, svc: svc}
}

// anon returns a client with an empty cookie jar that does not follow
// redirects.
func (s *stack) anon() *client {
	s.t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(s.t, err)
	return &client{t: s.t, base: s.URL, hc: &http.Client{
		Jar:           jar,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// as returns a client signed in as the persona user.
func (s *stack) as(user string) *client {
	s.t.Helper()
	c := s.anon()
	res := c.post("/login", url.Values{"user": {user}})
	require.Equal(s.t, http.StatusSeeOther, res.Status, "sign in as %s: %s", user, res.Body)
	c.user = user
	// Consume the "Signed in as" flash so that tests see their own flashes.
	require.Equal(s.t, http.StatusOK, c.get("/requests").Status)
	return c
}

// request returns request id from the store.
func (s *stack) request(id string) signoff.Request {
	s.t.Helper()
	r, err := s.st.Request(context.Background(), id)
	require.NoError(s.t, err)
	return r
}

// requestFor returns the ID of requester's newest request for product (in
// status, when status is not empty).
func (s *stack) requestFor(requester, product string, status signoff.Status) string {
	s.t.Helper()
	rs, err := s.st.Requests(context.Background(), requester, 100)
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
	rs, err := s.st.Requests(context.Background(), requester, 1000)
	require.NoError(s.t, err)
	return len(rs)
}

// events returns every audit event, newest first.
func (s *stack) events() []signoff.Event {
	s.t.Helper()
	evs, err := s.st.Events(context.Background(), signoff.EventFilter{Limit: 100_000})
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

// client is a browser stand-in: it keeps cookies, sends a same-origin Origin
// header on POSTs, and returns redirects instead of following them.
type client struct {
	t    *testing.T
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

// follow GETs a 303's Location (the POST/redirect/GET pattern).
func (c *client) follow(res response) response {
	c.t.Helper()
	require.Equal(c.t, http.StatusSeeOther, res.Status, "expected a redirect: %s", res.Body)
	return c.get(res.Location)
}

// testid returns the unescaped text inside the first element marked
// data-testid=id, tags stripped and white space collapsed, or "" if there is
// none.
func testid(body, id string) string {
	re := regexp.MustCompile(`<([a-z0-9]+)[^>]*\sdata-testid="` + regexp.QuoteMeta(id) + `"[^>]*>`)
	loc := re.FindStringSubmatchIndex(body)
	if loc == nil {
		return ""
	}
	return text(inner(body[loc[1]:], body[loc[2]:loc[3]]))
}

// inner returns rest up to the closing tag that matches an element already
// opened, counting nested elements of the same name.
func inner(rest, tag string) string {
	tok := regexp.MustCompile(`<(/?)` + tag + `[\s>]`)
	depth := 1
	for _, m := range tok.FindAllStringSubmatchIndex(rest, -1) {
		if m[3] > m[2] { // closing
			depth--
			if depth == 0 {
				return rest[:m[0]]
			}
		} else {
			depth++
		}
	}
	return rest
}

// hasTestid reports whether the page has an element marked data-testid=id.
func hasTestid(body, id string) bool {
	return strings.Contains(body, `data-testid="`+id+`"`)
}

var tags = regexp.MustCompile(`<[^>]*>`)
var spaces = regexp.MustCompile(`\s+`)

// text strips tags, unescapes entities and collapses white space.
func text(s string) string {
	return strings.TrimSpace(spaces.ReplaceAllString(html.UnescapeString(tags.ReplaceAllString(s, " ")), " "))
}

// between returns the part of s from the first start up to the next end after
// it, or "" when start is missing.
func between(s, start, end string) string {
	i := strings.Index(s, start)
	if i < 0 {
		return ""
	}
	s = s[i:]
	if j := strings.Index(s, end); j >= 0 {
		return s[:j]
	}
	return s
}

// signedWith signs a cookie value as the server does (HMAC-SHA256, base64url
// without padding), to forge cookies with known or foreign keys.
func signedWith(key []byte, value string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(value))
	return base64.RawURLEncoding.EncodeToString([]byte(value)) + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}
