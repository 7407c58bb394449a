package server_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/server"
	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlite"
)

// The server as it runs on Snowflake: the full stack (newStack) with
// platformIdentity, whose fakePlatform vouches for the users of the local
// account.

// platformStart is when the platform tests' server clock starts.
var platformStart = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

// platformUsers adds users whose names only Snowflake's own users have
// (quotes, dots, lower case, non-ASCII), each an analyst.
func platformUsers(ctx context.Context, st *sqlite.Store) error {
	for _, u := range []string{"JANE.DOE@ACME.COM", "alice", `O"BRIEN`, "Zoë Ångström"} {
		if err := st.CreateUser(ctx, u, u, "test"); err != nil {
			return err
		}
		if err := st.GrantRoleToUser(ctx, "ANALYST", u, "ACCOUNTADMIN"); err != nil {
			return err
		}
	}
	return nil
}

// onSnowflake are newStack's options for the server as it runs on
// Snowflake, with the identity cache ttl.
func onSnowflake(ttl time.Duration) []stackOption {
	return []stackOption{platformIdentity(ttl), clockAt(platformStart), seeded(platformUsers)}
}

// platformClient is a browser on the Snowflake engine: the ingress adds the
// user and token headers to each request, and the client keeps cookies.
type platformClient struct {
	t       testing.TB
	base    string
	user    string
	token   string
	cookies map[string]*http.Cookie
}

func (c *platformClient) do(method, path string, form url.Values, edit func(*http.Request)) (*http.Response, string) {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(c.t.Context(), method, c.base+path, body)
	require.NoError(c.t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", c.base)
	}
	if c.user != "" {
		req.Header.Set(server.HeaderUser, c.user)
		req.Header.Set(server.HeaderToken, c.token)
	}
	for _, ck := range c.cookies {
		req.AddCookie(ck)
	}
	if edit != nil {
		edit(req)
	}
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := hc.Do(req)
	require.NoError(c.t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(c.t, err)
	for _, ck := range res.Cookies() {
		if ck.MaxAge < 0 {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck
		}
	}
	return res, string(b)
}

// browser returns a browser on s (with platformIdentity) whose ingress
// names user ("" for none) with a caller token the platform issued to them.
func (s *stack) browser(user string) *platformClient {
	c := &platformClient{t: s.t, base: s.URL, user: user, cookies: map[string]*http.Cookie{}}
	if user != "" {
		c.token = s.platform.issue(user)
	}
	return c
}

// TestPlatformIdentityMode runs the server as it runs on Snowflake: identity
// comes from the platform, there is no persona sign-in, and a visitor the
// platform does not vouch for gets a 401 page, not a redirect to a sign-in
// page that does not exist.
func TestPlatformIdentityMode(t *testing.T) {
	s := newStack(t, onSnowflake(30*time.Second)...)
	anon := s.browser("")
	res, body := anon.do(http.MethodGet, "/", nil, nil)
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode, "no redirect: there is no sign-in page")
	assert.Contains(t, body, "Signoff did not receive your Snowflake identity.")
	assert.NotContains(t, body, `href="/login"`, "no persona sign-in is offered")

	alice := s.browser("ALICE")
	for _, path := range []string{"/login", "/logout"} {
		res, _ := alice.do(http.MethodGet, path, nil, nil)
		assert.Equal(t, http.StatusNotFound, res.StatusCode, "%s does not exist on this engine", path)
	}
	res, _ = anon.do(http.MethodPost, "/login", url.Values{"user": {"ADAM"}}, nil)
	assert.NotEqual(t, http.StatusSeeOther, res.StatusCode, "persona sign-in does not exist")
	assert.Empty(t, anon.cookies, "no cookie is issued to a visitor nobody vouched for")

	res, body = alice.do(http.MethodGet, "/requests", nil, nil)
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.Equal(t, "ALICE", testid(body, "viewer"))
	assert.NotContains(t, body, "Switch persona")

	res, _ = anon.do(http.MethodGet, "/healthz", nil, nil)
	assert.Equal(t, http.StatusOK, res.StatusCode, "probes need no identity")
}

// TestPlatformUserNames: any name Snowflake's CURRENT_USER() returns is a
// user, compared exactly; only what no user name can be is refused.
func TestPlatformUserNames(t *testing.T) {
	s := newStack(t, onSnowflake(30*time.Second)...)
	for _, user := range []string{"JANE.DOE@ACME.COM", "alice", `O"BRIEN`, "Zoë Ångström"} {
		b := s.browser(user)
		res, body := b.do(http.MethodGet, "/requests", nil, nil)
		require.Equal(t, http.StatusOK, res.StatusCode, "%s: %s", user, body)
		assert.Contains(t, body, "Roles in session", user)
	}

	t.Run("a token of ALICE with the name alice", func(t *testing.T) {
		b := s.browser("ALICE")
		b.user = "alice"
		res, body := b.do(http.MethodGet, "/requests", nil, nil)
		assert.Equal(t, http.StatusUnauthorized, res.StatusCode, "alice and ALICE are different users")
		assert.Contains(t, body, "does not match the user the request names")
	})
	t.Run("a token of another user", func(t *testing.T) {
		b := s.browser("BEN")
		b.user = "ALICE"
		res, _ := b.do(http.MethodGet, "/", nil, nil)
		assert.Equal(t, http.StatusUnauthorized, res.StatusCode)
	})
	for name, user := range map[string]string{
		"control character": "ALICE\n", "invalid UTF-8": "AL\xffICE", "too long": strings.Repeat("A", 256),
	} {
		t.Run(name, func(t *testing.T) {
			// Served in-process: Go's HTTP client will not send such a header.
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.Header[server.HeaderUser] = []string{user}
			req.Header.Set(server.HeaderToken, s.platform.issue("ALICE"))
			before := s.platform.count()
			res := httptest.NewRecorder()
			s.srv.ServeHTTP(res, req)
			assert.Equal(t, http.StatusUnauthorized, res.Code)
			assert.Contains(t, res.Body.String(), "malformed Snowflake identity")
			assert.Equal(t, before, s.platform.count(), "refused before Snowflake is asked")
		})
	}
	t.Run("a malformed token", func(t *testing.T) {
		b := s.browser("ALICE")
		b.token = "tok en"
		res, _ := b.do(http.MethodGet, "/", nil, nil)
		assert.Equal(t, http.StatusUnauthorized, res.StatusCode)
	})
	t.Run("an unknown token", func(t *testing.T) {
		b := s.browser("ALICE")
		b.token = "expired"
		res, body := b.do(http.MethodGet, "/", nil, nil)
		assert.Equal(t, http.StatusUnauthorized, res.StatusCode)
		assert.Contains(t, body, "has expired")
	})
}

// TestPlatformIdentityCookie: the platform is asked once per identity-cache
// period for page views, however often the ingress changes the caller token,
// and a cookie is only ever believed for the user the ingress names.
func TestPlatformIdentityCookie(t *testing.T) {
	s := newStack(t, onSnowflake(30*time.Second)...)
	alice := s.browser("ALICE")
	get := func(b *platformClient) int {
		t.Helper()
		res, body := b.do(http.MethodGet, "/requests", nil, nil)
		require.Equal(t, http.StatusOK, res.StatusCode, body)
		return s.platform.count()
	}

	n := get(alice)
	assert.Equal(t, 1, n, "the first page asks the platform")
	assert.Equal(t, n, get(alice), "the next one, within the identity cache, does not")
	alice.token = s.platform.issue("ALICE") // the ingress sends a fresh token
	assert.Equal(t, n, get(alice), "a fresh caller token changes nothing")
	s.clock.advance(30 * time.Second)
	n = get(alice)
	assert.Equal(t, 2, n, "after the identity cache, the platform is asked again")

	t.Run("an action reuses the name of an older answer", func(t *testing.T) {
		s.clock.advance(10 * time.Minute)
		before := s.platform.count()
		id := s.browser("ALICE")
		id.cookies, id.token = alice.cookies, alice.token
		res, body := id.do(http.MethodPost, "/products/web-traffic-daily/requests",
			url.Values{"reason": {"Channel mix analysis for the Q4 review."}}, nil)
		require.Equal(t, http.StatusSeeOther, res.StatusCode, body)
		assert.Equal(t, before, s.platform.count(), "the engine checks the action in the visitor's own session")
	})
	t.Run("a form redrawn after the identity cache asks the roles again", func(t *testing.T) {
		// AUDREY reads ALICE's request as an auditor; then her role goes.
		// A POST with her older cookie still names her, but the page it
		// redraws (a rejection without a comment) must not show what the
		// role no longer may.
		fresh := newStack(t, onSnowflake(30*time.Second)...)
		evs, err := fresh.st.Reads().Events(t.Context(), signoff.EventFilter{Actor: "ALICE", Type: signoff.EventRequestSubmitted, Limit: 1})
		require.NoError(t, err)
		require.NotEmpty(t, evs)
		path := "/requests/" + evs[0].RequestID
		audrey := fresh.browser("AUDREY")
		res, body := audrey.do(http.MethodGet, path, nil, nil)
		require.Equal(t, http.StatusOK, res.StatusCode, body)
		require.Contains(t, body, evs[0].Comment, "the business reason, for an auditor")

		require.NoError(t, fresh.st.DropRole(t.Context(), signoff.RoleAuditor))
		fresh.clock.advance(time.Minute)
		before := fresh.platform.count()
		res, body = audrey.do(http.MethodPost, path+"/decision", url.Values{"decision": {"reject"}, "comment": {""}}, nil)
		assert.Equal(t, http.StatusForbidden, res.StatusCode)
		assert.NotContains(t, body, evs[0].Comment)
		assert.Equal(t, before+1, fresh.platform.count(), "asked once, before drawing the page")

		// Within the identity cache, a redraw uses the fresh answer it has.
		fresh.clock.advance(time.Second)
		before = fresh.platform.count()
		res, _ = audrey.do(http.MethodPost, path+"/decision", url.Values{"decision": {"reject"}, "comment": {""}}, nil)
		assert.Equal(t, http.StatusForbidden, res.StatusCode)
		assert.Equal(t, before, fresh.platform.count())
	})
	t.Run("another user's cookie is not believed", func(t *testing.T) {
		ben := s.browser("BEN")
		ben.cookies = alice.cookies
		before := s.platform.count()
		res, body := ben.do(http.MethodGet, "/requests", nil, nil)
		require.Equal(t, http.StatusOK, res.StatusCode)
		assert.Equal(t, "BEN", testid(body, "viewer"))
		assert.Equal(t, before+1, s.platform.count())
	})
	t.Run("an altered cookie is not believed", func(t *testing.T) {
		b := s.browser("ALICE")
		ck := *alice.cookies["signoff_identity"]
		ck.Value = strings.Replace(ck.Value, "A", "B", 1)
		b.cookies = map[string]*http.Cookie{ck.Name: &ck}
		before := s.platform.count()
		get(b)
		assert.Equal(t, before+1, s.platform.count())
	})
	t.Run("identity cache 0 asks every time", func(t *testing.T) {
		s0 := newStack(t, onSnowflake(0)...)
		b := s0.browser("ALICE")
		for i := 1; i <= 3; i++ {
			res, _ := b.do(http.MethodGet, "/requests", nil, nil)
			require.Equal(t, http.StatusOK, res.StatusCode)
			assert.Equal(t, i, s0.platform.count())
		}
		assert.Empty(t, b.cookies, "no identity cookie")
	})
}
