package server_test

import (
	"encoding/base64"
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
)

// The tests in this file are about the HTTP layer: they serve a fake
// workflow (fake_test.go).

func TestCrossOriginPostsAreRefused(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	olivia := s.as("OLIVIA")
	decision := "/requests/" + fakeRequestID + "/decision"
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
			res, calls := s.wf.during(func() response { return olivia.post(decision, approve, tt.header...) })
			require.Equal(t, http.StatusForbidden, res.Status)
			assert.True(t, hasTestid(res.Body, "error"))
			assert.Contains(t, text(res.Body), "This form was sent from another site")
			assert.Empty(t, calls, "refused before any handler: the workflow is not asked")

			// Signing in from another site (login CSRF) is refused too.
			c := s.anon()
			res = c.post("/login", url.Values{"user": {"ADAM"}}, tt.header...)
			assert.Equal(t, http.StatusForbidden, res.Status)
			assert.Equal(t, http.StatusSeeOther, c.get("/audit").Status, "not signed in")
		})
	}

	t.Run("a cross-site GET is only a read", func(t *testing.T) {
		res := olivia.get("/requests/"+fakeRequestID, "Sec-Fetch-Site", "cross-site")
		assert.Equal(t, http.StatusOK, res.Status)
	})

	t.Run("the same post from this site goes through", func(t *testing.T) {
		res, calls := s.wf.during(func() response { return olivia.post(decision, approve, "Sec-Fetch-Site", "same-origin") })
		require.Equal(t, http.StatusSeeOther, res.Status, res.Body)
		decided := callsTo(calls, "Decide")
		require.Len(t, decided, 1)
		assert.Equal(t, "OLIVIA", decided[0].Viewer.User)
		assert.Equal(t, []any{fakeRequestID, signoff.DecisionInput{Decision: signoff.DecisionApprove, Step: 2}}, decided[0].Args)
	})
}

func TestOversizedBodies(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	alice := s.as("ALICE")
	submit := "/products/" + fakeProduct.ID + "/requests"
	huge := strings.Repeat("a", server.MaxBodyBytes+1)

	t.Run("with a Content-Length", func(t *testing.T) {
		res, _ := s.refused(t, func() response { return alice.post(submit, url.Values{"reason": {huge}}) },
			http.StatusRequestEntityTooLarge, "64 KiB")
		assert.True(t, hasTestid(res.Body, "error"))
	})

	t.Run("chunked", func(t *testing.T) {
		s.refused(t, func() response {
			return alice.postRaw(submit, "application/x-www-form-urlencoded", []byte(url.Values{"reason": {huge}}.Encode()), true)
		}, http.StatusRequestEntityTooLarge, "64 KiB")
	})

	t.Run("a decision", func(t *testing.T) {
		s.refused(t, func() response {
			return s.as("OLIVIA").post("/requests/"+fakeRequestID+"/decision",
				url.Values{"decision": {"approve"}, "step": {"2"}, "comment": {huge}})
		}, http.StatusRequestEntityTooLarge, "64 KiB")
	})

	t.Run("just under the limit is read, then judged", func(t *testing.T) {
		reason := strings.Repeat("a", server.MaxBodyBytes-len("reason="))
		form := url.Values{"reason": {reason}}
		require.Len(t, form.Encode(), server.MaxBodyBytes)
		s.wf.onSubmit = func(_ signoff.Identity, _, got string) (signoff.Outcome, error) {
			return signoff.Outcome{}, signoff.Problems{"reason": "The business reason is too long."}
		}
		t.Cleanup(func() { s.wf.onSubmit = nil })
		res, calls := s.wf.during(func() response { return alice.post(submit, form) })
		require.Equal(t, http.StatusUnprocessableEntity, res.Status)
		assert.Contains(t, text(res.Body), "The business reason is too long")
		submitted := callsTo(calls, "Submit")
		require.Len(t, submitted, 1)
		assert.Equal(t, reason, submitted[0].arg(1), "the whole body was read")
	})
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	s.wf.onAudit = func(signoff.Identity, signoff.EventFilter) (signoff.AuditPage, error) {
		return signoff.AuditPage{}, signoff.Errorf(signoff.ErrForbidden, "The audit log is for admins and auditors.")
	}
	s.wf.onSubmit = func(signoff.Identity, string, string) (signoff.Outcome, error) {
		return signoff.Outcome{}, signoff.Problems{"reason": "Too short."}
	}
	alice := s.as("ALICE")
	responses := map[string]response{
		"page":        alice.get("/"),
		"error page":  alice.get("/audit"),
		"not found":   alice.get("/no/such/page"),
		"redirect":    s.anon().get("/requests"),
		"login page":  s.anon().get("/login"),
		"form result": alice.post("/products/"+fakeProduct.ID+"/requests", url.Values{"reason": {"short"}}),
		"healthz":     alice.get("/healthz"),
	}
	assert.Equal(t, http.StatusForbidden, responses["error page"].Status)
	assert.Equal(t, http.StatusSeeOther, responses["redirect"].Status)
	assert.Equal(t, http.StatusUnprocessableEntity, responses["form result"].Status)
	seen := map[string]bool{}
	for name, res := range responses {
		t.Run(name, func(t *testing.T) {
			csp := res.Header.Get("Content-Security-Policy")
			assert.Contains(t, csp, "frame-ancestors 'none'")
			assert.Contains(t, csp, "default-src 'none'")
			assert.Contains(t, csp, "script-src 'self';", "scripts only from Signoff's own /static/")
			assert.Contains(t, csp, "connect-src 'self';", "the catalog's script fetches only Signoff's own pages")
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
	s := newFake(t)
	s.wf.onAudit = func(v signoff.Identity, _ signoff.EventFilter) (signoff.AuditPage, error) {
		if err := signedIn(v); err != nil {
			return signoff.AuditPage{}, err
		}
		if !v.Auditor() {
			return signoff.AuditPage{}, signoff.Errorf(signoff.ErrForbidden, "The audit log is for admins and auditors.")
		}
		return signoff.AuditPage{}, nil
	}
	s.wf.onRetryGrant = func(v signoff.Identity, _ string) (signoff.Status, error) {
		if err := signedIn(v); err != nil {
			return "", err
		}
		if !v.Admin() {
			return "", signoff.Errorf(signoff.ErrForbidden, "Only admins can retry a grant.")
		}
		return signoff.StatusGranted, nil
	}
	spoof := []string{"Sf-Context-Current-User", "ADAM", "Sf-Context-Current-User-Token", "forged"}
	// viewers returns the viewers of the workflow calls that fn caused.
	viewers := func(fn func() response) (response, []string) {
		res, calls := s.wf.during(fn)
		var users []string
		for _, c := range calls {
			users = append(users, c.Viewer.User)
		}
		return res, users
	}

	res, users := viewers(func() response { return s.anon().get("/audit", spoof...) })
	require.Equal(t, http.StatusSeeOther, res.Status, "still signed out")
	assert.Equal(t, "/login?next=%2Faudit", res.Location)
	assert.Equal(t, []string{""}, users, "the workflow was asked by nobody")

	res, users = viewers(func() response {
		return s.anon().post("/requests/"+fakeRequestID+"/retry-grant", nil, spoof...)
	})
	assert.Equal(t, http.StatusUnauthorized, res.Status)
	assert.Equal(t, []string{""}, users)

	alice := s.as("ALICE")
	res, users = viewers(func() response { return alice.get("/", spoof...) })
	require.Equal(t, http.StatusOK, res.Status)
	assert.Equal(t, "ALICE", testid(res.Body, "viewer"))
	assert.NotContains(t, testid(res.Body, "roles-in-session"), "SIGNOFF_ADMIN")
	assert.Equal(t, []string{"ALICE"}, users)
	res, users = viewers(func() response { return alice.get("/audit", spoof...) })
	assert.Equal(t, http.StatusForbidden, res.Status)
	assert.Equal(t, []string{"ALICE"}, users)

	res, calls := s.wf.during(func() response {
		return alice.post("/requests/"+fakeRequestID+"/retry-grant", nil, spoof...)
	})
	assert.Equal(t, http.StatusForbidden, res.Status)
	require.Len(t, calls, 1)
	assert.Equal(t, s.identity("ALICE"), calls[0].Viewer, "ALICE, with her own roles")
}

// sessionCookieOf returns c's session cookie's value, and the session ID it
// carries.
func sessionCookieOf(t testing.TB, c *client) (value, session string) {
	t.Helper()
	for _, ck := range c.hc.Jar.Cookies(c.baseURL()) {
		if ck.Name == "signoff_session" {
			value = ck.Value
		}
	}
	require.NotEmpty(t, value, "signed in")
	payload, _, ok := strings.Cut(value, ".")
	require.True(t, ok)
	id, err := base64.RawURLEncoding.DecodeString(payload)
	require.NoError(t, err)
	return value, string(id)
}

// withSession GETs path as a browser holding only the session cookie value.
func withSession(s site, path, value string) response {
	c := s.anon()
	req := c.newRequest(http.MethodGet, path, nil)
	req.AddCookie(&http.Cookie{Name: "signoff_session", Value: value})
	return c.do(req)
}

// signedOut checks that res treated its session cookie as no session: a
// redirect to sign in, and the cookie cleared.
func signedOut(t *testing.T, res response, msgAndArgs ...any) {
	t.Helper()
	assert.Equal(t, http.StatusSeeOther, res.Status, msgAndArgs...)
	assert.True(t, strings.HasPrefix(res.Location, "/login?next="), msgAndArgs...)
	assert.Contains(t, res.Header.Values("Set-Cookie"), "signoff_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax", msgAndArgs...)
}

func TestTamperedSessionCookie(t *testing.T) {
	t.Parallel()
	clock := &atomicClock{now: time.Now()}
	s := newFake(t, func(c *server.Config) { c.Now = clock.Now })
	alice := s.as("ALICE")
	value, session := sessionCookieOf(t, alice)
	payload, sig, _ := strings.Cut(value, ".")
	// Another session ID: the last character changed (to X, or Y if it was X).
	other := "X"
	if strings.HasSuffix(session, other) {
		other = "Y"
	}
	forged := base64.RawURLEncoding.EncodeToString([]byte(session[:len(session)-1] + other))
	require.NotEqual(t, payload, forged)

	t.Run("the signing scheme is what this test assumes", func(t *testing.T) {
		assert.Equal(t, value, signedWith(testKey, "signoff_session", session))
		res := withSession(s.site, "/requests", signedWith(testKey, "signoff_session", session))
		require.Equal(t, http.StatusOK, res.Status)
		assert.Equal(t, "ALICE", testid(res.Body, "viewer"))
	})

	for name, cookie := range map[string]string{
		"another session ID":            forged + "." + sig,
		"flipped signature":             payload + "." + strings.ToUpper(sig[:4]) + strings.ToLower(sig[4:]),
		"no signature":                  payload,
		"empty signature":               payload + ".",
		"garbage":                       "%%%.!!!",
		"another server key":            signedWith([]byte("a-different-32-byte-session-key!!"), "signoff_session", session),
		"a session ID never issued":     signedWith(testKey, "signoff_session", "NOSUCHSESSION0123456789ABC"),
		"signed as a flash":             signedWith(testKey, "signoff_flash", session),
		"signed as an identity":         signedWith(testKey, "signoff_identity", session),
		"signed with the session key":   signedWithKey(testKey, session), // as before each cookie had its own key
		"a persona, signed the old way": signedWithKey(testKey, "ADAM|2999-01-01T00:00:00Z"),
	} {
		t.Run(name, func(t *testing.T) {
			signedOut(t, withSession(s.site, "/audit", cookie), "treated as signed out, and cleared")
		})
	}

	t.Run("a session for a persona that no longer exists", func(t *testing.T) {
		require.NoError(t, s.acct.StartSession(t.Context(), "ghost-session", "GHOST", clock.Now(), clock.Now().Add(time.Hour)))
		signedOut(t, withSession(s.site, "/requests", signedWith(testKey, "signoff_session", "ghost-session")))
	})

	t.Run("a session's value is no flash", func(t *testing.T) {
		req := alice.newRequest(http.MethodGet, "/", nil)
		req.AddCookie(&http.Cookie{Name: "signoff_flash", Value: value})
		res := alice.do(req)
		require.Equal(t, http.StatusOK, res.Status)
		assert.NotContains(t, res.Body, session)
		assert.False(t, hasTestid(res.Body, "flash"))
	})

	t.Run("a forged flash is not shown", func(t *testing.T) {
		req := alice.newRequest(http.MethodGet, "/", nil)
		req.AddCookie(&http.Cookie{Name: "signoff_flash", Value: signedWith([]byte("a-different-32-byte-session-key!!"), "signoff_flash", "You won a prize")})
		res := alice.do(req)
		require.Equal(t, http.StatusOK, res.Status)
		assert.NotContains(t, res.Body, "You won a prize")
		assert.False(t, hasTestid(res.Body, "flash"))
	})

	t.Run("an expired session", func(t *testing.T) {
		ben := s.as("BEN")
		value, _ := sessionCookieOf(t, ben)
		clock.advance(12*time.Hour - time.Second)
		assert.Equal(t, "BEN", ben.signedInAs(), "still signed in just before the end")
		clock.advance(2 * time.Second)
		signedOut(t, withSession(s.site, "/requests", value), "signed out after 12 hours, whatever the browser keeps")
	})
}

// TestSignOutEndsTheSession: signing out ends the session for the server,
// not only in the browser, so a copy of its cookie made before signs nobody
// in; so does switching persona.
func TestSignOutEndsTheSession(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	adam := s.as("ADAM")
	copied, _ := sessionCookieOf(t, adam)
	require.Equal(t, http.StatusOK, withSession(s.site, "/audit", copied).Status, "the copy works while signed in")

	res := adam.post("/logout", nil)
	require.Equal(t, http.StatusSeeOther, res.Status)
	assert.Empty(t, adam.signedInAs())
	signedOut(t, withSession(s.site, "/audit", copied), "a copy made before signing out")
	res, calls := s.wf.during(func() response {
		c := s.anon()
		req := c.newRequest(http.MethodPost, "/requests/"+fakeRequestID+"/retry-grant", nil)
		req.Header.Set("Origin", c.base)
		req.AddCookie(&http.Cookie{Name: "signoff_session", Value: copied})
		return c.do(req)
	})
	assert.Equal(t, http.StatusUnauthorized, res.Status, "nor act")
	for _, c := range calls {
		assert.True(t, c.Viewer.Anonymous(), "the workflow is asked by nobody: %s", c)
	}

	t.Run("switching persona", func(t *testing.T) {
		c := s.as("ALICE")
		alice, _ := sessionCookieOf(t, c)
		require.Equal(t, http.StatusSeeOther, c.post("/login", url.Values{"user": {"ADAM"}}).Status)
		assert.Equal(t, "ADAM", c.signedInAs())
		signedOut(t, withSession(s.site, "/requests", alice), "ALICE's session ended when ADAM signed in")
	})
}

// TestMarkupInTextIsEscaped: text the workflow returns (a business reason,
// a comment) is written as text on the request page and the audit log.
// TestMarkupIsEscapedInEveryField checks the same end to end.
func TestMarkupInTextIsEscaped(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	const reason = `<script>alert(1)</script> and <img src=x onerror=alert(2)> for the churn analysis`
	const comment = `"><svg onload=alert(3)> approved`
	events := []signoff.Event{
		{ID: "01JDQ3Z8W6T1V4K9M2N5P7R0E1", Time: fakeTime, RequestID: fakeRequestID, ProductID: fakeProduct.ID,
			Actor: "BEN", Type: signoff.EventRequestSubmitted, Comment: reason},
		{ID: "01JDQ3Z8W6T1V4K9M2N5P7R0E2", Time: fakeTime, RequestID: fakeRequestID, ProductID: fakeProduct.ID,
			Actor: "MARCO", ActorRole: "LINE_MANAGER", Type: signoff.EventStepApproved, Step: 1, Comment: comment},
	}
	s.wf.onRequestPage = func(v signoff.Identity, _, actingAs string) (signoff.RequestPage, error) {
		rp := fakeRequestPage(v, actingAs)
		rp.Request.Reason, rp.Events = reason, events
		return rp, nil
	}
	s.wf.onAudit = func(_ signoff.Identity, f signoff.EventFilter) (signoff.AuditPage, error) {
		return signoff.AuditPage{Filter: f, Events: events}, nil
	}

	check := func(t *testing.T, body string) {
		t.Helper()
		assert.NotContains(t, body, "<script>alert(1)")
		assert.NotContains(t, body, "<img src=x")
		assert.NotContains(t, body, "<svg")
		assert.Contains(t, body, "&lt;script&gt;alert(1)&lt;/script&gt;")
		assert.Contains(t, body, "&lt;svg onload=alert(3)&gt;")
	}
	t.Run("request page", func(t *testing.T) {
		res := s.as("BEN").get("/requests/" + fakeRequestID)
		require.Equal(t, http.StatusOK, res.Status)
		check(t, res.Body)
		assert.Equal(t, reason, testid(res.Body, "reason"))
		assert.Contains(t, testid(res.Body, "history"), comment)
	})
	t.Run("audit page", func(t *testing.T) {
		for _, who := range []string{"ADAM", "AUDREY"} {
			res := s.as(who).get("/audit?request=" + fakeRequestID)
			require.Equal(t, http.StatusOK, res.Status)
			check(t, res.Body)
			assert.Contains(t, testid(res.Body, "audit"), reason)
		}
	})
}

func TestLoginRedirectStaysOnSite(t *testing.T) {
	t.Parallel()
	s := newFake(t)
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
				assert.Equal(t, tt.want, fieldValue(page.Body, "next"))
			}
		})
	}
}

func TestUnknownRoutesAndMethods(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	alice := s.as("ALICE")

	for _, path := range []string{"/no-such-page", "/products", "/requests/" + fakeRequestID + "/nope", "/static/nope.css"} {
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
		{http.MethodGet, "/requests/" + fakeRequestID + "/withdraw"},
		{http.MethodGet, "/products/" + fakeProduct.ID + "/requests"},
		{http.MethodPost, "/queue"},
	} {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req := alice.newRequest(tt.method, tt.path, nil)
			req.Header.Set("Origin", alice.base)
			res, calls := s.wf.during(func() response { return alice.do(req) })
			assert.Equal(t, http.StatusMethodNotAllowed, res.Status)
			assert.True(t, hasTestid(res.Body, "error"))
			assert.Contains(t, text(res.Body), "This address does not accept "+tt.method+" requests.")
			assert.Empty(t, calls)
		})
	}
}

// TestEveryPostReadsItsBodyWithinTheLimit checks that every state-changing
// route refuses an oversized body with 413 and asks the workflow nothing.
func TestEveryPostReadsItsBodyWithinTheLimit(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	big := url.Values{"pad": {strings.Repeat("x", server.MaxBodyBytes)}}
	for _, route := range fakePosts() {
		c := s.clientFor(route.user)
		s.refused(t, func() response { return c.post(route.path, big) }, http.StatusRequestEntityTooLarge, "64 KiB")
	}
}

// TestHeadAndStaticListing: HEAD is answered like GET, and /static/ lists
// nothing.
func TestHeadAndStaticListing(t *testing.T) {
	t.Parallel()
	s := newFake(t)
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

// TestDNSRebindingIsRefused: a web page the local user visits can resolve a
// name of its own to 127.0.0.1 and send requests whose Origin and Host are
// both that name, which cross-origin protection lets through. The embedded
// engine answers only requests addressed to a loopback name.
func TestDNSRebindingIsRefused(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	port := s.URL[strings.LastIndex(s.URL, ":"):]
	adam := s.as("ADAM")
	// sendAs sends req to the server with Host host, and, for a POST, the
	// Origin a page served from that host would send. c's cookies go with
	// it: the client's cookie jar would keep them to the server's own name.
	sendAs := func(c *client, host string, req *http.Request) response {
		req.Host = host
		if req.Method == http.MethodPost {
			req.Header.Set("Origin", "http://"+host)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		for _, ck := range c.hc.Jar.Cookies(c.baseURL()) {
			req.AddCookie(ck)
		}
		return c.do(req)
	}

	for _, host := range []string{"evil.example" + port, "evil.example", "localhost.evil.example" + port,
		"127.0.0.1.nip.io" + port, "app.localhost" + port, "0.0.0.0" + port, "192.168.1.10" + port, "localhost." + port} {
		t.Run("refused: "+host, func(t *testing.T) {
			c := s.anon()
			res, calls := s.wf.during(func() response {
				return sendAs(c, host, c.newRequest(http.MethodPost, "/login", strings.NewReader("user=ADAM")))
			})
			require.Equal(t, http.StatusMisdirectedRequest, res.Status)
			assert.True(t, hasTestid(res.Body, "error"))
			assert.Contains(t, text(res.Body), "Signoff answers only at its loopback address")
			assert.Empty(t, calls)
			assert.NotContains(t, strings.Join(res.Header.Values("Set-Cookie"), "\n"), "signoff_session=",
				"no session is handed to the rebound page")

			// Even with a session cookie (a browser keeps cookies per name,
			// so the page would first have to sign in there), nothing is
			// read or changed.
			for _, req := range []*http.Request{
				adam.newRequest(http.MethodGet, "/audit?format=csv", nil),
				adam.newRequest(http.MethodPost, "/requests/"+fakeRequestID+"/revoke", strings.NewReader("reason=rebound")),
			} {
				res, calls := s.wf.during(func() response { return sendAs(adam, host, req) })
				assert.Equal(t, http.StatusMisdirectedRequest, res.Status, req.URL.Path)
				assert.NotContains(t, res.Header.Get("Content-Type"), "text/csv")
				assert.Empty(t, calls, req.URL.Path)
			}
		})
	}

	for _, host := range []string{"127.0.0.1" + port, "localhost" + port, "LocalHost" + port, "localhost",
		"127.0.0.1", "127.3.4.5" + port, "[::1]" + port, "[::1]"} {
		t.Run("answered: "+host, func(t *testing.T) {
			res := sendAs(adam, host, adam.newRequest(http.MethodGet, "/", nil))
			require.Equal(t, http.StatusOK, res.Status)
			assert.Equal(t, "ADAM", testid(res.Body, "viewer"))
			c := s.anon()
			res = sendAs(c, host, c.newRequest(http.MethodPost, "/login", strings.NewReader("user=ALICE")))
			assert.Equal(t, http.StatusSeeOther, res.Status)
		})
	}

	t.Run("no Host at all", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodGet, "/healthz", nil)
		req.Host = ""
		rec := httptest.NewRecorder()
		s.srv.ServeHTTP(rec, req)
		assert.Equal(t, http.StatusMisdirectedRequest, rec.Code)
	})

	t.Run("with AnyHost (--allow-remote), any name", func(t *testing.T) {
		remote := newFake(t, func(c *server.Config) { c.AnyHost = true })
		c := remote.anon()
		res := sendAs(c, "signoff.lan:8080", c.newRequest(http.MethodPost, "/login", strings.NewReader("user=ALICE")))
		assert.Equal(t, http.StatusSeeOther, res.Status)
	})
}

// TestPlatformAnswersAnyHost: on Snowflake the browser reaches Signoff
// through the SPCS ingress's public name, so no Host is refused.
func TestPlatformAnswersAnyHost(t *testing.T) {
	t.Parallel()
	s := newStack(t, onSnowflake(time.Minute)...)
	res, body := s.browser("ALICE").do(http.MethodGet, "/requests", nil, func(r *http.Request) { r.Host = "abc123-myorg-myacct.snowflakecomputing.app" })
	require.Equal(t, http.StatusOK, res.StatusCode, body)
	assert.Equal(t, "ALICE", testid(body, "viewer"))
}
