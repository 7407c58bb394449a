package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/server"
	"github.com/signoff/signoff/internal/signoff"
)

func TestCrossOriginPostsAreRefused(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil)
	id := s.requestFor("BEN", "customer-360", signoff.StatusPending)
	olivia := s.as("OLIVIA")
	approve := url.Values{"decision": {"approve"}, "step": {"2"}}

	for _, tt := range []struct {
		name   string
		header []string
	}{
		{"foreign Origin", []string{"Origin", "https://evil.example"}},
		{"Sec-Fetch-Site cross-site", []string{"Sec-Fetch-Site", "cross-site"}},
		{"Sec-Fetch-Site same-site", []string{"Sec-Fetch-Site", "same-site"}},
		{"null Origin", []string{"Origin", "null"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			events := len(s.events())
			res := olivia.post("/requests/"+id+"/decision", approve, tt.header...)
			require.Equal(t, http.StatusForbidden, res.Status)
			assert.True(t, hasTestid(res.Body, "error"))
			assert.Contains(t, text(res.Body), "This form was sent from another site")
			assert.Equal(t, 2, s.request(id).CurrentStep, "nothing changed")
			assert.Len(t, s.events(), events)

			// Signing in from another site (login CSRF) is refused too.
			c := s.anon()
			res = c.post("/login", url.Values{"user": {"ADAM"}}, tt.header...)
			assert.Equal(t, http.StatusForbidden, res.Status)
			assert.Equal(t, http.StatusSeeOther, c.get("/audit").Status, "not signed in")
		})
	}

	t.Run("a cross-site GET is only a read", func(t *testing.T) {
		res := olivia.get("/requests/"+id, "Sec-Fetch-Site", "cross-site")
		assert.Equal(t, http.StatusOK, res.Status)
	})

	t.Run("the same post from this site goes through", func(t *testing.T) {
		res := olivia.post("/requests/"+id+"/decision", approve, "Sec-Fetch-Site", "same-origin")
		require.Equal(t, http.StatusSeeOther, res.Status, res.Body)
		assert.Equal(t, 3, s.request(id).CurrentStep)
	})
}

func TestOversizedBodies(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil)
	alice := s.as("ALICE")
	before := s.countRequests("ALICE")
	huge := strings.Repeat("a", server.MaxBodyBytes+1)

	t.Run("with a Content-Length", func(t *testing.T) {
		res := alice.post("/products/customer-360/requests", url.Values{"reason": {huge}})
		require.Equal(t, http.StatusRequestEntityTooLarge, res.Status)
		assert.Contains(t, text(res.Body), "64 KiB")
		assert.Equal(t, before, s.countRequests("ALICE"))
	})

	t.Run("chunked", func(t *testing.T) {
		body := strings.NewReader(url.Values{"reason": {huge}}.Encode())
		req := alice.newRequest(http.MethodPost, "/products/customer-360/requests", struct{ *strings.Reader }{body})
		req.ContentLength = -1 // hide the length: the server must count
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", alice.base)
		res := alice.do(req)
		require.Equal(t, http.StatusRequestEntityTooLarge, res.Status)
		assert.Equal(t, before, s.countRequests("ALICE"))
	})

	t.Run("a decision", func(t *testing.T) {
		id := s.requestFor("BEN", "customer-360", signoff.StatusPending)
		res := s.as("OLIVIA").post("/requests/"+id+"/decision", url.Values{"decision": {"approve"}, "step": {"2"}, "comment": {huge}})
		require.Equal(t, http.StatusRequestEntityTooLarge, res.Status)
		assert.Equal(t, 2, s.request(id).CurrentStep)
	})

	t.Run("just under the limit is read, then judged", func(t *testing.T) {
		form := url.Values{"reason": {strings.Repeat("a", server.MaxBodyBytes-len("reason="))}}
		require.Len(t, form.Encode(), server.MaxBodyBytes)
		res := alice.post("/products/customer-360/requests", form)
		require.Equal(t, http.StatusUnprocessableEntity, res.Status)
		assert.Contains(t, text(res.Body), "The business reason is too long")
	})
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil)
	alice := s.as("ALICE")
	responses := map[string]response{
		"page":        alice.get("/"),
		"error page":  alice.get("/audit"),
		"not found":   alice.get("/no/such/page"),
		"redirect":    s.anon().get("/requests"),
		"login page":  s.anon().get("/login"),
		"form result": alice.post("/products/customer-360/requests", url.Values{"reason": {"short"}}),
		"healthz":     alice.get("/healthz"),
	}
	seen := map[string]bool{}
	for name, res := range responses {
		t.Run(name, func(t *testing.T) {
			csp := res.Header.Get("Content-Security-Policy")
			assert.Contains(t, csp, "frame-ancestors 'none'")
			assert.Contains(t, csp, "default-src 'none'")
			assert.NotContains(t, csp, "unsafe-inline")
			assert.NotContains(t, csp, "unsafe-eval")
			assert.Equal(t, "nosniff", res.Header.Get("X-Content-Type-Options"))
			assert.Equal(t, "DENY", res.Header.Get("X-Frame-Options"))
			assert.NotEmpty(t, res.Header.Get("Referrer-Policy"))
			id := res.Header.Get("X-Request-Id")
			assert.NotEmpty(t, id)
			assert.False(t, seen[id], "request IDs are unique")
			seen[id] = true
		})
	}
	assert.Equal(t, "no-store", responses["page"].Header.Get("Cache-Control"), "pages hold personal data")
	assert.Equal(t, "text/html; charset=utf-8", responses["page"].Header.Get("Content-Type"))

	t.Run("the session cookie is HttpOnly and SameSite", func(t *testing.T) {
		res := s.anon().post("/login", url.Values{"user": {"ALICE"}})
		var session string
		for _, c := range res.Header.Values("Set-Cookie") {
			if strings.HasPrefix(c, "signoff_session=") {
				session = c
			}
		}
		require.NotEmpty(t, session)
		assert.Contains(t, session, "HttpOnly")
		assert.Contains(t, session, "SameSite=Lax")
		assert.Contains(t, session, "Path=/")
	})
}

func TestPlatformHeadersAreIgnoredOnTheEmbeddedEngine(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil)
	spoof := []string{"Sf-Context-Current-User", "ADAM", "Sf-Context-Current-User-Token", "forged"}

	res := s.anon().get("/audit", spoof...)
	require.Equal(t, http.StatusSeeOther, res.Status, "still signed out")
	assert.Equal(t, "/login?next=%2Faudit", res.Location)

	res = s.anon().post("/requests/"+s.requestFor("ALICE", "supplier-contracts", "")+"/retry-grant", nil, spoof...)
	assert.Equal(t, http.StatusUnauthorized, res.Status)

	alice := s.as("ALICE")
	res = alice.get("/", spoof...)
	require.Equal(t, http.StatusOK, res.Status)
	assert.Equal(t, "ALICE", testid(res.Body, "viewer"))
	assert.NotContains(t, testid(res.Body, "roles-in-session"), "SIGNOFF_ADMIN")
	assert.Equal(t, http.StatusForbidden, alice.get("/audit", spoof...).Status)

	id := s.requestFor("ALICE", "supplier-contracts", signoff.StatusGrantFailed)
	assert.Equal(t, http.StatusForbidden, alice.post("/requests/"+id+"/retry-grant", nil, spoof...).Status)
	assert.Equal(t, signoff.StatusGrantFailed, s.request(id).Status)
}

func TestTamperedSessionCookie(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil)
	alice := s.as("ALICE")
	base, err := url.Parse(s.URL)
	require.NoError(t, err)
	var value string
	for _, c := range alice.hc.Jar.Cookies(base) {
		if c.Name == "signoff_session" {
			value = c.Value
		}
	}
	require.NotEmpty(t, value)
	payload, sig, ok := strings.Cut(value, ".")
	require.True(t, ok)
	forged := strings.Replace(payload, "QUxJQ0", "QURBTQ", 1) // "ALIC…" → "ADAM…" in base64
	require.NotEqual(t, payload, forged)

	for name, cookie := range map[string]string{
		"forged persona":     forged + "." + sig,
		"flipped signature":  payload + "." + strings.ToUpper(sig[:4]) + strings.ToLower(sig[4:]),
		"no signature":       payload,
		"empty signature":    payload + ".",
		"garbage":            "%%%.!!!",
		"another server key": signedWith([]byte("a-different-32-byte-session-key!!"), "ADAM|2999-01-01T00:00:00Z"),
	} {
		t.Run(name, func(t *testing.T) {
			c := s.anon()
			req := c.newRequest(http.MethodGet, "/audit", nil)
			req.AddCookie(&http.Cookie{Name: "signoff_session", Value: cookie})
			res := c.do(req)
			require.Equal(t, http.StatusSeeOther, res.Status, "treated as signed out")
			assert.Equal(t, "/login?next=%2Faudit", res.Location)
			assert.Contains(t, res.Header.Values("Set-Cookie"), "signoff_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax",
				"the bad cookie is cleared")
		})
	}

	t.Run("an expired session", func(t *testing.T) {
		c := s.anon()
		req := c.newRequest(http.MethodGet, "/requests", nil)
		req.AddCookie(&http.Cookie{Name: "signoff_session", Value: signedWith(testKey, "ALICE|2001-01-01T00:00:00Z")})
		res := c.do(req)
		assert.Equal(t, http.StatusSeeOther, res.Status)
		assert.Contains(t, strings.Join(res.Header.Values("Set-Cookie"), "\n"), "signoff_session=;", "the lapsed cookie is cleared")
	})

	t.Run("a well-signed session for a persona that does not exist", func(t *testing.T) {
		c := s.anon()
		req := c.newRequest(http.MethodGet, "/requests", nil)
		req.AddCookie(&http.Cookie{Name: "signoff_session", Value: signedWith(testKey, "GHOST|2999-01-01T00:00:00Z")})
		res := c.do(req)
		assert.Equal(t, http.StatusSeeOther, res.Status)
	})

	t.Run("the signing scheme is what this test assumes", func(t *testing.T) {
		c := s.anon()
		req := c.newRequest(http.MethodGet, "/requests", nil)
		req.AddCookie(&http.Cookie{Name: "signoff_session", Value: signedWith(testKey, "BEN|2999-01-01T00:00:00Z")})
		res := c.do(req)
		require.Equal(t, http.StatusOK, res.Status)
		assert.Equal(t, "BEN", testid(res.Body, "viewer"))
	})

	t.Run("a forged flash is not shown", func(t *testing.T) {
		req := alice.newRequest(http.MethodGet, "/", nil)
		req.AddCookie(&http.Cookie{Name: "signoff_flash", Value: signedWith([]byte("a-different-32-byte-session-key!!"), "You won a prize")})
		res := alice.do(req)
		require.Equal(t, http.StatusOK, res.Status)
		assert.NotContains(t, res.Body, "You won a prize")
	})
}

func TestMarkupInTextIsEscaped(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil)
	const reason = `<script>alert(1)</script> and <img src=x onerror=alert(2)> for the churn analysis`
	alice := s.as("ALICE")
	res := alice.post("/products/customer-360/requests", url.Values{"reason": {reason}})
	require.Equal(t, http.StatusSeeOther, res.Status, res.Body)
	id := s.requestFor("ALICE", "customer-360", signoff.StatusPending)
	comment := `"><svg onload=alert(3)> approved`
	res = decide(s.as("MARCO"), id, url.Values{"decision": {"approve"}, "step": {"1"}, "comment": {comment}})
	require.Equal(t, http.StatusSeeOther, res.Status, res.Body)

	check := func(t *testing.T, body string) {
		t.Helper()
		assert.NotContains(t, body, "<script>alert(1)")
		assert.NotContains(t, body, "<img src=x")
		assert.NotContains(t, body, "<svg")
		assert.Contains(t, body, "&lt;script&gt;alert(1)&lt;/script&gt;")
		assert.Contains(t, body, "&lt;svg onload=alert(3)&gt;")
	}
	t.Run("request page", func(t *testing.T) {
		res := alice.get("/requests/" + id)
		require.Equal(t, http.StatusOK, res.Status)
		check(t, res.Body)
		assert.Equal(t, reason, testid(res.Body, "reason"))
	})
	t.Run("audit page", func(t *testing.T) {
		for _, who := range []string{"ADAM", "AUDREY"} {
			res := s.as(who).get("/audit?request=" + id)
			require.Equal(t, http.StatusOK, res.Status)
			check(t, res.Body)
		}
	})
}

func TestLoginRedirectStaysOnSite(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil)
	for _, tt := range []struct{ next, want string }{
		{"/queue?as=DPO", "/queue?as=DPO"},
		{"/requests", "/requests"},
		{"", "/"},
		{"//evil.example", "/"},
		{"//evil.example/path", "/"},
		{"https://evil.example", "/"},
		{`/\evil.example`, "/"},
		{"evil.example", "/"},
		{"javascript:alert(1)", "/"},
		{"/login", "/"},
		{"/login?next=//evil.example", "/"},
	} {
		t.Run(tt.next, func(t *testing.T) {
			res := s.anon().post("/login", url.Values{"user": {"DANA"}, "next": {tt.next}})
			require.Equal(t, http.StatusSeeOther, res.Status)
			assert.Equal(t, tt.want, res.Location)

			page := s.anon().get("/login?next=" + url.QueryEscape(tt.next))
			require.Equal(t, http.StatusOK, page.Status)
			if tt.want == "/" {
				assert.NotContains(t, page.Body, "evil.example", "the sign-in page drops an unsafe next")
				assert.NotContains(t, page.Body, "javascript:")
			} else {
				assert.Contains(t, page.Body, `name="next" value="`+tt.want+`"`)
			}
		})
	}
}

func TestUnknownRoutesAndMethods(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil)
	alice := s.as("ALICE")

	for _, path := range []string{"/no-such-page", "/products", "/requests/" + s.requestFor("ALICE", "sales-orders", "") + "/nope", "/static/nope.css"} {
		res := alice.get(path)
		assert.Equal(t, http.StatusNotFound, res.Status, path)
	}
	res := alice.get("/no-such-page")
	assert.True(t, hasTestid(res.Body, "error"))
	assert.Contains(t, text(res.Body), "There is no page at /no-such-page.")
	assert.Equal(t, http.StatusNotFound, s.anon().get("/no-such-page").Status, "signed out too")

	for _, tt := range []struct{ method, path string }{
		{http.MethodDelete, "/requests"},
		{http.MethodPut, "/"},
		{http.MethodGet, "/requests/" + s.requestFor("ALICE", "sales-orders", "") + "/withdraw"},
		{http.MethodGet, "/products/customer-360/requests"},
		{http.MethodPost, "/queue"},
	} {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req := alice.newRequest(tt.method, tt.path, nil)
			req.Header.Set("Origin", alice.base)
			res := alice.do(req)
			assert.Equal(t, http.StatusMethodNotAllowed, res.Status)
			assert.True(t, hasTestid(res.Body, "error"))
			assert.Contains(t, text(res.Body), "This address does not accept "+tt.method+" requests.")
		})
	}
}

// TestEveryPostReadsItsBodyWithinTheLimit checks that every state-changing
// route refuses an oversized body with 413 and changes nothing.
func TestEveryPostReadsItsBodyWithinTheLimit(t *testing.T) {
	s := newStack(t, nil)
	pending := s.requestFor("BEN", "customer-360", signoff.StatusPending)
	failed := s.requestFor("ALICE", "supplier-contracts", signoff.StatusGrantFailed)
	granted := s.requestFor("ALICE", "sales-orders", signoff.StatusGranted)
	big := url.Values{"pad": {strings.Repeat("x", server.MaxBodyBytes)}}
	for _, tc := range []struct{ user, path string }{
		{"ALICE", "/products/customer-360/requests"},
		{"OLIVIA", "/requests/" + pending + "/decision"},
		{"BEN", "/requests/" + pending + "/withdraw"},
		{"ADAM", "/requests/" + failed + "/retry-grant"},
		{"ADAM", "/requests/" + granted + "/revoke"},
		{"ALICE", "/login"},
	} {
		before := len(s.events())
		res := s.as(tc.user).post(tc.path, big)
		assert.Equal(t, http.StatusRequestEntityTooLarge, res.Status, tc.path)
		assert.Len(t, s.events(), before, "%s: nothing changed", tc.path)
	}
	assert.Equal(t, signoff.StatusGrantFailed, s.request(failed).Status)
}

// TestHeadAndStaticListing: HEAD is answered like GET, and /static/ lists
// nothing.
func TestHeadAndStaticListing(t *testing.T) {
	s := newStack(t, nil)
	c := s.anon()
	for _, path := range []string{"/healthz", "/readyz", "/static/signoff.css"} {
		res := c.do(c.newRequest(http.MethodHead, path, nil))
		assert.Equal(t, http.StatusOK, res.Status, path)
		assert.Empty(t, res.Body, path)
	}
	for _, path := range []string{"/static/", "/static"} {
		assert.Equal(t, http.StatusNotFound, c.get(path).Status, path)
	}
}
