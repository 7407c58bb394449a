package server_test

import (
	"bytes"
	"fmt"
	"html"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/demo"
	"github.com/signoff/signoff/internal/server"
	"github.com/signoff/signoff/internal/signoff"
)

// Hostile input. The tests of how the HTTP layer reads it (bodies, forms,
// IDs in paths, origins, headers) serve the fake workflow; those of what the
// workflow and the engine then do with it (identifiers, markup shown back,
// dates) serve the full stack.

// postRoute is a state-changing route with a persona who may use it, and
// the form that would succeed.
type postRoute struct {
	name string
	user string // "" for a signed-out visitor
	path string
	form url.Values
	ok   int // the status when it succeeds
}

// fakePosts lists every POST route of the URL contract on the fake's
// world, each with a persona who may use it.
func fakePosts() []postRoute {
	request := "/requests/" + fakeRequestID
	return []postRoute{
		{"submit", "ALICE", "/products/" + fakeProduct.ID + "/requests", url.Values{"reason": {goodReason}}, http.StatusSeeOther},
		{"decision", "OLIVIA", request + "/decision", url.Values{"decision": {"approve"}, "step": {"2"}}, http.StatusSeeOther},
		{"withdraw", "BEN", request + "/withdraw", url.Values{"confirm": {"1"}}, http.StatusSeeOther},
		{"revoke", "OLIVIA", request + "/revoke", url.Values{"reason": {"Review finished."}, "confirm": {"1"}}, http.StatusSeeOther},
		{"retry-grant", "ADAM", request + "/retry-grant", nil, http.StatusSeeOther},
		{"doctor", "ADAM", "/doctor", nil, http.StatusOK},
		{"login", "", "/login", url.Values{"user": {"ADAM"}}, http.StatusSeeOther},
		{"logout", "ALICE", "/logout", nil, http.StatusSeeOther},
		{"reject", "OLIVIA", request + "/decision", url.Values{"decision": {"reject"}, "step": {"2"}, "comment": {"Not justified."},
			"confirm": {"1"}}, http.StatusSeeOther},
		// The confirmation steps of the actions that cannot be undone: the
		// same routes without confirm=1, which only ask.
		{"withdraw, asking", "BEN", request + "/withdraw", nil, http.StatusOK},
		{"reject, asking", "OLIVIA", request + "/decision", url.Values{"decision": {"reject"}, "step": {"2"}, "comment": {"Not justified."}},
			http.StatusOK},
		{"revoke, asking", "OLIVIA", request + "/revoke", url.Values{"reason": {"Review finished."}}, http.StatusOK},
	}
}

// asking reports whether route is a confirmation step, which changes
// nothing.
func (r postRoute) asking() bool { return strings.HasSuffix(r.name, ", asking") }

// refusedWithoutChange posts and checks the status and message, and that
// no audit event was written. The tests below also compare a full snapshot
// (every request, step and role) around each group of refusals: a snapshot
// per post would make them slow under the race detector.
func (s *stack) refusedWithoutChange(t *testing.T, post func() response, status int, phrase string) response {
	t.Helper()
	events := len(s.events())
	res := post()
	require.Equal(t, status, res.Status, "body: %s", text(res.Body))
	if phrase != "" {
		assert.Contains(t, text(res.Body), phrase)
	}
	assert.Len(t, s.events(), events, "no audit event")
	return res
}

// TestOversizedBodiesOfAnyKindOnEveryPost extends TestOversizedBodies and
// TestEveryPostReadsItsBodyWithinTheLimit: every POST route refuses a body
// over the limit with 413 and asks the workflow nothing, whatever its
// content type and whether or not it states its length, and whoever sends
// it.
func TestOversizedBodiesOfAnyKindOnEveryPost(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	huge := strings.Repeat("x", server.MaxBodyBytes)
	multipartBody := func(form url.Values) (string, []byte) {
		var b bytes.Buffer
		w := multipart.NewWriter(&b)
		for k, vs := range form {
			for _, v := range vs {
				require.NoError(t, w.WriteField(k, v))
			}
		}
		require.NoError(t, w.WriteField("pad", huge))
		require.NoError(t, w.Close())
		return w.FormDataContentType(), b.Bytes()
	}
	for _, route := range fakePosts() {
		padded := url.Values{"pad": {huge}}
		for k, v := range route.form {
			padded[k] = v
		}
		mpType, mpBody := multipartBody(route.form)
		for _, body := range []struct {
			kind, contentType string
			body              []byte
			chunked           bool
		}{
			{"form", "application/x-www-form-urlencoded", []byte(padded.Encode()), false},
			{"chunked form", "application/x-www-form-urlencoded", []byte(padded.Encode()), true},
			{"multipart", mpType, mpBody, false},
			{"chunked multipart", mpType, mpBody, true},
			{"text", "text/plain", []byte(huge + "x"), false},
			{"json", "application/json", []byte(`{"pad":"` + huge + `"}`), false},
			{"no content type, chunked", "", []byte(huge + "x"), true},
		} {
			t.Run(route.name+"/"+body.kind, func(t *testing.T) {
				c := s.clientFor(route.user)
				res, _ := s.refused(t, func() response {
					return c.postRaw(route.path, body.contentType, body.body, body.chunked)
				}, http.StatusRequestEntityTooLarge, "64 KiB")
				assert.True(t, hasTestid(res.Body, "error"))
				assert.Equal(t, route.user, c.signedInAs(), "the session did not change")
			})
		}
	}
}

// oneLower returns id with its first letter in lower case.
func oneLower(id string) string {
	i := strings.IndexFunc(id, unicode.IsLetter)
	return id[:i] + strings.ToLower(id[i:i+1]) + id[i+1:]
}

// TestMalformedIDsAreNotFound: request and product IDs of the wrong shape,
// in any encoding, are a 404 with the error page on every route, read or
// write, and change nothing. The fake knows one request and one product and
// answers not found for any other ID, so a 404 also shows that the handlers
// pass an ID on as it came, never normalised into the one that exists, and
// that no encoded path reaches another route. (That the service refuses
// IDs of the wrong shape before the store is signoff's ValidID, tested
// there; the full stack's refusals are in TestDecisionRefusals.)
func TestMalformedIDsAreNotFound(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	id := fakeRequestID
	cyrillic := "А" // U+0410, looks like A
	badRequestIDs := []string{
		id[:25], id + "0", strings.ToLower(id), oneLower(id),
		"01ARZ3NDEKTSV4RRFFQ69G5FAI", "01ARZ3NDEKTSV4RRFFQ69G5FAL", "01ARZ3NDEKTSV4RRFFQ69G5FAO", "01ARZ3NDEKTSV4RRFFQ69G5FAU", // not Crockford
		"00000000000000000000000000", "7ZZZZZZZZZZZZZZZZZZZZZZZZZ", "ZZZZZZZZZZZZZZZZZZZZZZZZZZ", // the right shape, but nobody's
		"1' OR '1'='1", "01ARZ3NDEKTSV4RRFFQ69G5FA'; DROP TABLE access_request;--", "' UNION SELECT * FROM audit_log --",
		id[:24] + "%27", id + "%00", "%00" + id,
		"..%2F..%2Faudit", "..%2f..%2faudit", "%2e%2e%2F%2e%2e%2Faudit", "..%5C..%5Caudit", "....%2F%2F",
		url.PathEscape(cyrillic + id[1:]), url.PathEscape(strings.Repeat("０", 26)), url.PathEscape(id[:25] + "\u200d"),
		url.PathEscape(id[:25] + "A\u0301"), url.PathEscape("<script>alert(1)</script>"),
		strings.Repeat("A", 4000),
	}
	adam, olivia := s.as("ADAM"), s.as("OLIVIA")
	for _, bad := range badRequestIDs {
		t.Run("request "+bad[:min(len(bad), 40)], func(t *testing.T) {
			base := "/requests/" + bad
			res := adam.get(base)
			assert.Equal(t, http.StatusNotFound, res.Status, "GET %s", base)
			assert.True(t, hasTestid(res.Body, "error"))
			for _, tc := range []struct {
				c    *client
				path string
				form url.Values
			}{
				{olivia, base + "/decision", url.Values{"decision": {"approve"}}},
				{olivia, base + "/decision", url.Values{"decision": {"approve"}, "step": {"2"}}},
				{adam, base + "/withdraw", nil},
				{adam, base + "/revoke", url.Values{"reason": {"x"}}},
				{adam, base + "/retry-grant", nil},
			} {
				res, calls := s.wf.during(func() response { return tc.c.post(tc.path, tc.form) })
				assert.Equal(t, http.StatusNotFound, res.Status, "POST %s", tc.path)
				assert.True(t, hasTestid(res.Body, "error"))
				for _, c := range calls {
					assert.NotEqual(t, fakeRequestID, c.arg(0), "%s", c)
				}
			}
		})
	}

	alice := s.as("ALICE")
	p := fakeProduct.ID // ledger-101
	for _, bad := range []string{
		strings.ToUpper(p), "Ledger-101", p + " ", "ledger_101", p + "'--", p + "'%20OR%20'1'='1",
		"x'%20UNION%20SELECT%20id%20FROM%20data_product%20--", "..%2Fproducts%2F" + p, "..%2F..%2Faudit", "%2e%2e",
		url.PathEscape("lëdger-101"), url.PathEscape("ledger\u2010101"), url.PathEscape("ｌｅｄｇｅｒ-101"),
		p + "%00", url.PathEscape("<b>" + p + "</b>"), strings.Repeat("p", 4000),
	} {
		t.Run("product "+bad[:min(len(bad), 40)], func(t *testing.T) {
			res := alice.get("/products/" + bad)
			assert.Equal(t, http.StatusNotFound, res.Status)
			assert.True(t, hasTestid(res.Body, "error"))
			// The workflow is asked (product IDs are bound as plain values),
			// but never for the product that exists.
			res, calls := s.wf.during(func() response {
				return alice.post("/products/"+bad+"/requests", url.Values{"reason": {goodReason}})
			})
			assert.Equal(t, http.StatusNotFound, res.Status)
			assert.True(t, hasTestid(res.Body, "error"))
			for _, c := range calls {
				assert.NotEqual(t, fakeProduct.ID, c.arg(0), "%s", c)
			}
		})
	}
}

// TestMalformedFormValues: values that cannot be read, or that are not one
// of the accepted ones, are a 422 with a message, and never reach the
// workflow's actions.
func TestMalformedFormValues(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	routes := fakePosts()
	decision := routes[1].path
	olivia := s.as("OLIVIA")

	for _, d := range []string{"APPROVE", "Approve", "approve ", " approve", "approve\x00", "approved", "APPROVED", "yes", "1",
		"", "approve' OR '1'='1", "<script>", "approve\u200b", "аpprove" /* Cyrillic а */} {
		t.Run("decision "+d, func(t *testing.T) {
			res, _ := s.refused(t, func() response {
				return olivia.post(decision, url.Values{"decision": {d}, "step": {"2"}})
			}, http.StatusUnprocessableEntity, "Choose approve, reject or ask a question.")
			assert.True(t, hasTestid(res.Body, "decision"), "the decision form is shown again")
		})
	}
	for _, step := range []string{"0", "-1", "-2", "1.5", "2.0", "1e0", "0x2", "２", "99999999999999999999999", " 2", "2 ", "2;",
		"two", "2' OR '1'='1", "\x002"} {
		t.Run("step "+step, func(t *testing.T) {
			s.refused(t, func() response {
				return olivia.post(decision, url.Values{"decision": {"approve"}, "step": {step}})
			}, http.StatusUnprocessableEntity, "is not valid")
		})
	}
	for _, body := range []string{"decision=%zz&step=2", "decision=approve;step=2", "decision=approve&step=2%", "decision=approve&step=%G2"} {
		t.Run("body "+body, func(t *testing.T) {
			s.refused(t, func() response {
				return olivia.postRaw(decision, "application/x-www-form-urlencoded", []byte(body), false)
			}, http.StatusUnprocessableEntity, "The form could not be read.")
		})
	}
	t.Run("a malformed content type", func(t *testing.T) {
		s.refused(t, func() response {
			return olivia.postRaw(decision, "application/x-www-form-urlencoded; ===", []byte("decision=approve&step=2"), false)
		}, http.StatusUnprocessableEntity, "The form could not be read.")
	})

	// Every route refuses a form it cannot read, even those that need no
	// field (withdraw, retry-grant, doctor, logout), and even in the query
	// string.
	for _, route := range routes {
		for _, tc := range []struct{ name, path, body string }{
			{"body", route.path, "%zz"},
			{"query", route.path + "?%zz", route.form.Encode()},
		} {
			t.Run(route.name+" malformed "+tc.name, func(t *testing.T) {
				c := s.clientFor(route.user)
				s.refused(t, func() response {
					return c.postRaw(tc.path, "application/x-www-form-urlencoded", []byte(tc.body), false)
				}, http.StatusUnprocessableEntity, "The form could not be read.")
				assert.Equal(t, route.user, c.signedInAs(), "the session did not change")
			})
		}
	}
}

// TestInvalidUTF8IsRefused: bytes that are not UTF-8 text, in any field of
// any form or in a query string, get a 422 and never reach the workflow's
// actions. They are refused rather than repaired, because what is stored is
// hashed into the audit log as sent.
func TestInvalidUTF8IsRefused(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	for _, route := range fakePosts() {
		for _, field := range []string{"reason", "comment", "acting_as", "user", "next", "unrelated"} {
			bad := url.Values{}
			for k, v := range route.form {
				bad[k] = v
			}
			bad.Set(field, "Quarterly close reconciliation \xff\xfe needs the journal lines.")
			t.Run(route.name+" "+field, func(t *testing.T) {
				c := s.clientFor(route.user)
				s.refused(t, func() response { return c.post(route.path, bad) },
					http.StatusUnprocessableEntity, "not text (invalid UTF-8)")
				assert.Equal(t, route.user, c.signedInAs(), "the session did not change")
			})
		}
	}
	adam := s.as("ADAM")
	for _, path := range []string{"/?q=%FF", "/audit?actor=AD%C3%28AM", "/requests?x=%80"} {
		t.Run("GET "+path, func(t *testing.T) {
			res, calls := s.wf.during(func() response { return adam.get(path) })
			assert.Equal(t, http.StatusUnprocessableEntity, res.Status)
			assert.Contains(t, text(res.Body), "not text (invalid UTF-8)")
			assert.Empty(t, calls, "refused before any handler")
		})
	}
}

// TestHostileIdentifiers: user and role names with quotes, dots, spaces or
// SQL are refused, or treated as the plain (unknown) names they are: they
// never reach SQL as text and change nothing.
func TestHostileIdentifiers(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	hostile := []string{`ADAM' --`, `ADAM'--`, `a.b`, `SIGNOFF.PUBLIC.ADAM`, `a b`, `"X"`, `"ADAM"`, `ADAM"`, `ADAM;`,
		`ADAM; DROP TABLE local_user; --`, `ADAM' OR '1'='1`, `' OR 1=1 --`, `ADAM\`, "ADAM\x00", "ADAM\n", "ΑDAM", /* Greek Α */
		`IDENTIFIER('ADAM')`, `$ADAM`, `1ADAM`, `*`, `%`, `_%`, strings.Repeat("A", 256)}

	t.Run("sign in", func(t *testing.T) {
		before := s.snapshot()
		for _, user := range append(hostile, "GHOST", "PUBLIC", "ACCOUNTADMIN", "SIGNOFF_ADMIN", "") {
			c := s.anon()
			res := c.post("/login", url.Values{"user": {user}, "next": {"/audit"}})
			assert.Contains(t, []int{http.StatusUnauthorized, http.StatusUnprocessableEntity}, res.Status, "user %q", user)
			assert.True(t, hasTestid(res.Body, "error"), "user %q", user)
			assert.Empty(t, c.signedInAs(), "no session for %q", user)
		}
		assert.Equal(t, before, s.snapshot(), "nothing changed")
		// The personas are all still there, with their roles (snapshot compares them).
		assert.Equal(t, "ADAM", s.as("ADAM").signedInAs())
		// Unquoted Snowflake names are case-insensitive: "adam" is ADAM.
		for _, user := range []string{"adam", "Adam"} {
			c := s.anon()
			res := c.post("/login", url.Values{"user": {user}})
			assert.Equal(t, http.StatusSeeOther, res.Status, "user %q", user)
			assert.Equal(t, "ADAM", c.signedInAs(), "user %q", user)
		}
	})

	pending := s.requestFor("BEN", "customer-360", signoff.StatusPending) // step 2, DATA_OWNER_SALES
	olivia := s.as("OLIVIA")
	t.Run("acting as", func(t *testing.T) {
		before := s.snapshot()
		for _, role := range append(hostile, "DATA_OWNER_SALES'", "data_owner_sales", "DATA_OWNER_SALES ", " DATA_OWNER_SALES",
			"DATA_OWNER_SALES,DPO", "PUBLIC", "DATA_OWNER_MARKETING") {
			res := s.refusedWithoutChange(t, func() response {
				return olivia.post("/requests/"+pending+"/decision", url.Values{"decision": {"approve"}, "step": {"2"}, "acting_as": {role}})
			}, http.StatusForbidden, "")
			assert.Regexp(t, `You chose to act as .*, but that role is not in your session\.|; you are acting as `, text(res.Body))
			if !strings.ContainsAny(role, " \n\x00") {
				assert.Contains(t, text(res.Body), role, "the name is shown back as text")
			}

			if role != "DATA_OWNER_MARKETING" { // held, and an approver role: her queue may be narrowed to it
				res = olivia.get("/queue?as=" + url.QueryEscape(role))
				assert.Equal(t, http.StatusForbidden, res.Status, "queue as %q", role)
				assert.Contains(t, text(res.Body), "it is not an approver role in your session")
			}

			res = olivia.get("/requests/" + pending + "?as=" + url.QueryEscape(role))
			require.Equal(t, http.StatusOK, res.Status)
			assert.False(t, hasTestid(res.Body, "decision"), "no decision form when acting as %q", role)
			assert.Regexp(t, `You chose to act as .*, but that role is not in your session\.|; you are acting as `, testid(res.Body, "decide-blocked"))
		}
		assert.Equal(t, before, s.snapshot(), "nothing changed")
		// Acting as the step's role, written exactly, still works.
		res := olivia.post("/requests/"+pending+"/decision", url.Values{"decision": {"approve"}, "step": {"2"}, "acting_as": {"DATA_OWNER_SALES"}})
		require.Equal(t, http.StatusSeeOther, res.Status, text(res.Body))
		assert.Equal(t, 3, s.request(pending).CurrentStep)
	})

	t.Run("audit filters", func(t *testing.T) {
		adam := s.as("ADAM")
		require.NotEmpty(t, auditRows(t, adam.get("/audit?actor=ALICE").Body), "a plain actor filter finds rows")
		before := s.snapshot()
		defer func() { assert.Equal(t, before, s.snapshot(), "nothing changed") }()
		for _, q := range []string{"actor", "request", "product"} {
			for _, v := range append(hostile, "ALICE' OR '1'='1", "ALICE' OR 1=1 --", "%", "_", "ALICE%", "ALIC_", "' UNION SELECT event_id FROM audit_log --") {
				if q == "actor" && strings.TrimSpace(v) == "ADAM" {
					continue // the filter trims what was typed, and ADAM loaded the directory
				}
				res := adam.get("/audit?" + q + "=" + url.QueryEscape(v))
				require.Equal(t, http.StatusOK, res.Status, "%s=%q", q, v)
				assert.Empty(t, auditRows(t, res.Body), "%s=%q is a plain value that matches nothing", q, v)
				assert.Contains(t, res.Body, "No audit events match these filters.")
				res = adam.get("/audit?format=csv&" + q + "=" + url.QueryEscape(v))
				require.Equal(t, http.StatusOK, res.Status)
				assert.Equal(t, 1, strings.Count(strings.TrimSpace(res.Body), "\n")+1, "%s=%q: the CSV has its header only", q, v)
			}
		}
		for _, q := range []string{"type", "before", "from", "to"} {
			res := adam.get("/audit?" + q + "=" + url.QueryEscape("' OR '1'='1"))
			assert.Equal(t, http.StatusUnprocessableEntity, res.Status, q)
			assert.Empty(t, auditRows(t, res.Body))
			assert.Equal(t, http.StatusUnprocessableEntity, adam.get("/audit?format=csv&"+q+"="+url.QueryEscape("' OR '1'='1")).Status, q)
		}
	})

	t.Run("catalog search", func(t *testing.T) {
		alice := s.as("ALICE")
		for _, q := range []string{"q", "tag", "classification"} {
			res := alice.get("/?" + q + "=" + url.QueryEscape("' OR '1'='1"))
			require.Equal(t, http.StatusOK, res.Status)
			assert.Equal(t, fmt.Sprintf("0 of %d products", len(demo.Products)), testid(res.Body, "result-count"), q)
		}
	})
}

// TestCrossOriginPostsOnEveryRoute extends TestCrossOriginPostsAreRefused to
// every POST route, each sent by a persona who may use it: a cross-site
// form is refused with 403 before any handler runs, and changes nothing
// (not even the session, for sign-in and sign-out); the same form from
// this site goes through.
func TestCrossOriginPostsOnEveryRoute(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	routes := fakePosts()
	for _, route := range routes {
		for _, header := range [][]string{
			{"Origin", "https://evil.example"},
			{"Origin", "null"},
			{"Origin", "http://127.0.0.1"}, // loopback, another port
			{"Sec-Fetch-Site", "cross-site"},
			{"Sec-Fetch-Site", "same-site"},
			{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"},
		} {
			t.Run(route.name+" "+strings.Join(header, " "), func(t *testing.T) {
				c := s.clientFor(route.user)
				req := c.newRequest(http.MethodPost, route.path, strings.NewReader(route.form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				for i := 0; i+1 < len(header); i += 2 {
					req.Header.Set(header[i], header[i+1])
				}
				_, calls := s.refused(t, func() response { return c.do(req) }, http.StatusForbidden,
					"This form was sent from another site, so Signoff refused it.")
				assert.Empty(t, calls, "the workflow is not asked")
				assert.Equal(t, route.user, c.signedInAs(), "the session did not change")
			})
		}
	}
	// The same forms from this site go through.
	for _, route := range routes {
		c := s.clientFor(route.user)
		res, calls := s.wf.during(func() response { return c.post(route.path, route.form, "Sec-Fetch-Site", "same-origin") })
		assert.Equal(t, route.ok, res.Status, "%s: %s", route.name, text(res.Body))
		switch {
		case route.asking():
			assert.Empty(t, actions(calls), "%s changes nothing", route.name)
			assert.Len(t, calls, 1, "%s reaches the workflow's confirmation step", route.name)
			assert.True(t, hasTestid(res.Body, "confirm"), "%s shows the confirmation", route.name)
		case route.name != "login" && route.name != "logout":
			assert.Len(t, actions(calls), 1, "%s reaches the workflow", route.name)
		}
	}
}

// TestSpoofedPlatformHeadersOnPosts extends
// TestPlatformHeadersAreIgnoredOnTheEmbeddedEngine to every POST: on the
// embedded engine Sf-Context-* headers name nobody. The workflow is asked
// as the persona signed in, or as nobody, never as the header's user.
func TestSpoofedPlatformHeadersOnPosts(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	spoof := []string{"Sf-Context-Current-User", "ADAM", "Sf-Context-Current-User-Token", "forged"}
	for _, route := range fakePosts() {
		t.Run(route.name, func(t *testing.T) {
			switch route.name {
			case "login":
				c := s.anon()
				res := c.post(route.path, url.Values{"user": {"NOEL"}}, spoof...)
				require.Equal(t, http.StatusSeeOther, res.Status)
				assert.Equal(t, "NOEL", c.signedInAs(), "signed in as the persona chosen, not the header's")
			case "logout":
				c := s.anon()
				assert.Equal(t, http.StatusSeeOther, c.post(route.path, nil, spoof...).Status)
				assert.Empty(t, c.signedInAs())
			default:
				c := s.anon()
				res, calls := s.wf.during(func() response { return c.post(route.path, route.form, spoof...) })
				assert.Equal(t, http.StatusUnauthorized, res.Status)
				assert.Contains(t, text(res.Body), "Please sign in")
				require.NotEmpty(t, calls)
				for _, call := range calls {
					assert.True(t, call.Viewer.Anonymous(), "%s is asked by nobody", call)
				}
				noel := s.as("NOEL")
				_, calls = s.wf.during(func() response { return noel.post(route.path, route.form, spoof...) })
				require.NotEmpty(t, calls)
				for _, call := range calls {
					assert.Equal(t, s.identity("NOEL"), call.Viewer, "%s is asked by NOEL, with his roles", call)
				}
			}
		})
	}
}

// hostileMarkup is hostile text for every free-text field: it breaks out of an
// attribute, a textarea and the title, and carries script and an element
// that would show if it were ever parsed as HTML.
const hostileMarkup = `"'><b data-pwn="1">PWN</b><script>document.title='pwned'</script><img src=x onerror=alert(1)></textarea></title><!--`

// assertInert checks that hostileMarkup appears in body only as text.
func assertInert(t *testing.T, body string) {
	t.Helper()
	for _, raw := range []string{"<b data-pwn", `data-pwn="`, "<script>document.title", "<img src=x", "</textarea></title>", "<!--"} {
		assert.NotContains(t, body, raw)
	}
}

// TestMarkupIsEscapedInEveryField extends TestMarkupInTextIsEscaped to every
// free-text field and everything a page reflects back: the business reason,
// approve and reject comments, the revoke reason, forms shown again with
// their problems, the audit filter, the sign-in page's next, acting-as and
// addresses quoted in error messages.
func TestMarkupIsEscapedInEveryField(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	alice, marco, olivia, adam := s.as("ALICE"), s.as("MARCO"), s.as("OLIVIA"), s.as("ADAM")
	escaped := html.EscapeString(hostileMarkup) // how templ writes text and attribute values

	t.Run("business reason", func(t *testing.T) {
		res := alice.post("/products/customer-360/requests", url.Values{"reason": {hostileMarkup}, "days": {"30"}})
		require.Equal(t, http.StatusSeeOther, res.Status, text(res.Body))
		page := alice.follow(res)
		assertInert(t, page.Body)
		assert.Equal(t, hostileMarkup, testid(page.Body, "reason"), "shown verbatim, as text")
	})
	id := s.requestFor("ALICE", "customer-360", signoff.StatusPending)

	t.Run("reason shown again with its problem", func(t *testing.T) {
		long := hostileMarkup + strings.Repeat("x", signoff.MaxReasonLength)
		res := s.as("BEN").post("/products/sales-orders/requests", url.Values{"reason": {long}})
		require.Equal(t, http.StatusUnprocessableEntity, res.Status)
		assertInert(t, res.Body)
		assert.Contains(t, res.Body, ">"+html.EscapeString(long)+"</textarea>")
	})

	t.Run("approve comment", func(t *testing.T) {
		res := marco.post("/requests/"+id+"/decision", url.Values{"decision": {"approve"}, "step": {"1"}, "comment": {hostileMarkup}})
		require.Equal(t, http.StatusSeeOther, res.Status, text(res.Body))
		page, _ := marco.followAll(res)
		assertInert(t, page.Body)
		page = marco.get("/requests/" + id)
		assertInert(t, page.Body)
		assert.Contains(t, testid(page.Body, "history"), hostileMarkup)
	})

	t.Run("comment shown again with its problem", func(t *testing.T) {
		long := hostileMarkup + strings.Repeat("c", signoff.MaxCommentLength)
		res := olivia.post("/requests/"+id+"/decision", url.Values{"decision": {"reject"}, "step": {"2"}, "comment": {long}})
		require.Equal(t, http.StatusUnprocessableEntity, res.Status)
		assertInert(t, res.Body)
		assert.Contains(t, res.Body, ">"+html.EscapeString(long)+"</textarea>")
	})

	t.Run("comment kept after someone else decided", func(t *testing.T) {
		res := marco.post("/requests/"+id+"/decision", url.Values{"decision": {"approve"}, "step": {"1"}, "comment": {hostileMarkup}})
		require.Equal(t, http.StatusConflict, res.Status, text(res.Body))
		assertInert(t, res.Body)
		assert.Equal(t, hostileMarkup, testid(res.Body, "kept-comment"), "shown back verbatim, as text")
		assert.Contains(t, testid(res.Body, "conflict-decision"), hostileMarkup, "and the comment that got there first")
	})

	t.Run("reject comment", func(t *testing.T) {
		form := url.Values{"decision": {"reject"}, "step": {"2"}, "comment": {hostileMarkup}}
		res := olivia.post("/requests/"+id+"/decision", form) // asks first
		require.Equal(t, http.StatusOK, res.Status, text(res.Body))
		assertInert(t, res.Body)
		assert.Equal(t, hostileMarkup, testid(res.Body, "confirm-quote"), "shown back verbatim, as text")
		assert.Contains(t, res.Body, `value="`+escaped+`"`, "carried in its hidden field, escaped")
		form.Set("confirm", "cancel")
		res = olivia.post("/requests/"+id+"/decision", form)
		require.Equal(t, http.StatusOK, res.Status, text(res.Body))
		assertInert(t, res.Body)
		assert.Equal(t, hostileMarkup, fieldValue(res.Body, "comment"), "cancelling keeps it in the form")
		form.Set("confirm", "1")
		res = olivia.post("/requests/"+id+"/decision", form)
		require.Equal(t, http.StatusSeeOther, res.Status, text(res.Body))
		page := alice.get("/requests/" + id)
		assertInert(t, page.Body)
		assert.Contains(t, testid(page.Body, "history"), hostileMarkup)
	})

	granted := s.requestFor("ALICE", "sales-orders", signoff.StatusGranted)
	t.Run("revoke reason", func(t *testing.T) {
		res := olivia.post("/requests/"+granted+"/revoke", url.Values{"reason": {hostileMarkup}}) // asks first
		require.Equal(t, http.StatusOK, res.Status, text(res.Body))
		assertInert(t, res.Body)
		assert.Equal(t, hostileMarkup, testid(res.Body, "confirm-quote"))
		assert.Contains(t, res.Body, `value="`+escaped+`"`)
		res = olivia.post("/requests/"+granted+"/revoke", url.Values{"reason": {hostileMarkup}, "confirm": {"cancel"}})
		require.Equal(t, http.StatusOK, res.Status, text(res.Body))
		assertInert(t, res.Body)
		assert.Equal(t, hostileMarkup, fieldValue(res.Body, "reason"), "cancelling keeps it in the form")
		res = olivia.post("/requests/"+granted+"/revoke", url.Values{"reason": {hostileMarkup}, "confirm": {"1"}})
		require.Equal(t, http.StatusSeeOther, res.Status, text(res.Body))
		page := alice.get("/requests/" + granted)
		assertInert(t, page.Body)
		assert.Contains(t, testid(page.Body, "history"), hostileMarkup)
	})

	t.Run("audit log rows", func(t *testing.T) {
		for _, rid := range []string{id, granted} {
			res := adam.get("/audit?request=" + rid)
			require.Equal(t, http.StatusOK, res.Status)
			assertInert(t, res.Body)
			assert.Contains(t, testid(res.Body, "audit"), hostileMarkup)
		}
	})

	t.Run("audit filter shown back", func(t *testing.T) {
		for _, field := range []string{"request", "actor"} {
			res := adam.get("/audit?" + field + "=" + url.QueryEscape(hostileMarkup))
			require.Equal(t, http.StatusOK, res.Status)
			assertInert(t, res.Body)
			assert.Contains(t, res.Body, `value="`+escaped+`"`, "%s is shown back in its field, escaped", field)
		}
		for _, field := range []string{"from", "to", "type", "product"} {
			res := adam.get("/audit?" + field + "=" + url.QueryEscape(hostileMarkup))
			assertInert(t, res.Body)
			if field == "from" || field == "to" {
				require.Equal(t, http.StatusUnprocessableEntity, res.Status)
				assert.Contains(t, res.Body, `value="`+escaped+`"`)
			}
		}
		// The CSV link carries the filter URL-encoded.
		res := adam.get("/audit?actor=" + url.QueryEscape(hostileMarkup))
		link := href(res.Body, "data-testid", "csv")
		require.NotEmpty(t, link)
		u, err := url.Parse(link)
		require.NoError(t, err)
		assert.Equal(t, "/audit", u.Path)
		assert.Equal(t, hostileMarkup, u.Query().Get("actor"))
		assert.Equal(t, "csv", u.Query().Get("format"))
	})

	t.Run("sign-in page next", func(t *testing.T) {
		next := "/" + hostileMarkup
		res := s.anon().get("/login?next=" + url.QueryEscape(next))
		require.Equal(t, http.StatusOK, res.Status)
		assertInert(t, res.Body)
		assert.Contains(t, res.Body, `name="next" value="`+html.EscapeString(next)+`"`)
	})

	t.Run("acting as", func(t *testing.T) {
		res := olivia.get("/queue?as=" + url.QueryEscape(hostileMarkup))
		require.Equal(t, http.StatusForbidden, res.Status)
		assertInert(t, res.Body)
		assert.Contains(t, text(res.Body), "You cannot act as "+hostileMarkup)
		pending := s.requestFor("BEN", "customer-360", signoff.StatusPending)
		res = olivia.get("/requests/" + pending + "?as=" + url.QueryEscape(hostileMarkup))
		require.Equal(t, http.StatusOK, res.Status)
		assertInert(t, res.Body)
		assert.Contains(t, testid(res.Body, "decide-blocked"), hostileMarkup)
		res = olivia.post("/requests/"+pending+"/decision", url.Values{"decision": {"approve"}, "acting_as": {hostileMarkup}})
		require.Equal(t, http.StatusForbidden, res.Status)
		assertInert(t, res.Body)
	})

	t.Run("addresses quoted in errors", func(t *testing.T) {
		for _, path := range []string{"/" + url.PathEscape(hostileMarkup), "/requests/" + url.PathEscape(hostileMarkup), "/products/" + url.PathEscape(hostileMarkup)} {
			res := alice.get(path)
			require.Equal(t, http.StatusNotFound, res.Status)
			assertInert(t, res.Body)
		}
	})
}

// TestLoginNextThatBrowsersWouldRewrite extends TestLoginRedirectStaysOnSite
// to paths that only look local: browsers drop tabs and newlines from a URL
// and read "\\" as "/", and http.Redirect cleans "/./" away, so each of these
// would send the browser to //evil.example. Such a next is replaced by "/",
// on the sign-in page and in the redirect.
func TestLoginNextThatBrowsersWouldRewrite(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	for _, next := range []string{"/\t/evil.example", "/\n/evil.example", "/\r/evil.example", "/\t\\evil.example",
		"/\r\n/evil.example", "/\x00/evil.example", "/\x7f/evil.example", "/queue\t", "/\x0b/evil.example",
		"/./\\evil.example", "/a/../\\evil.example", "/requests/..\\..\\\\evil.example", "/queue\\"} {
		t.Run(next, func(t *testing.T) {
			// The raw Location: Go's client refuses to parse one with a control character.
			c := s.anon()
			req := c.newRequest(http.MethodPost, "/login", strings.NewReader(url.Values{"user": {"DANA"}, "next": {next}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			res, err := http.DefaultTransport.RoundTrip(req)
			require.NoError(t, err)
			res.Body.Close()
			require.Equal(t, http.StatusSeeOther, res.StatusCode)
			assert.Equal(t, "/", res.Header.Get("Location"))

			page := s.anon().get("/login?next=" + url.QueryEscape(next))
			require.Equal(t, http.StatusOK, page.Status)
			assert.False(t, strings.Contains(page.Body, "evil.example"), "the sign-in page drops the unsafe next")
			assert.Equal(t, "/", fieldValue(page.Body, "next"))
		})
	}
}

// TestAuditDateExtremes: the audit filter's dates at the ends of the
// calendar never silently drop a filter nor reach the store as a year the
// engines cannot store.
func TestAuditDateExtremes(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	adam := s.as("ADAM")
	all := len(auditRows(t, adam.get("/audit").Body))
	require.Positive(t, all)
	for _, tt := range []struct {
		query  string
		status int
		rows   int
	}{
		{"to=9999-12-31", http.StatusOK, all},
		{"from=0001-01-01&to=9999-12-31", http.StatusOK, all},
		{"from=9999-12-31", http.StatusOK, 0},
		{"to=0001-01-01", http.StatusOK, 0},
		{"to=0000-12-31", http.StatusUnprocessableEntity, 0},
		{"from=0000-01-01", http.StatusUnprocessableEntity, 0},
		{"from=2020-01-01&to=0000-12-31", http.StatusUnprocessableEntity, 0},
		{"from=9999-12-31&to=2020-01-01", http.StatusUnprocessableEntity, 0},
		{"from=2020-02-30", http.StatusUnprocessableEntity, 0},
		{"from=+2020-01-01", http.StatusUnprocessableEntity, 0},
		{"from=20200-01-01", http.StatusUnprocessableEntity, 0},
	} {
		t.Run(tt.query, func(t *testing.T) {
			res := adam.get("/audit?" + tt.query)
			require.Equal(t, tt.status, res.Status, text(res.Body))
			assert.Len(t, auditRows(t, res.Body), tt.rows)
			csv := adam.get("/audit?format=csv&" + tt.query)
			assert.Equal(t, tt.status, csv.Status)
		})
	}
}

// TestBlankAndBidiTextIsRefused: a reason or comment padded with characters
// that show nothing does not reach its minimum, and one that holds a
// bidirectional control, which would make it read differently from what was
// typed, is refused with a message naming it, in every free-text field.
// Nothing changes.
func TestBlankAndBidiTextIsRefused(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	submit := "/products/customer-360/requests"
	pending := playCustomer360(t, s, "ALICE")
	granted := s.requestFor("ALICE", "sales-orders", signoff.StatusGranted)
	before := s.snapshot()
	marco, olivia, noel := s.as("MARCO"), s.as("OLIVIA"), s.as("NOEL")

	for _, reason := range []string{
		"a" + strings.Repeat(" ", 18) + "b",
		"a" + strings.Repeat("\u3164", 18) + "b",
		"need" + strings.Repeat("\u2800", 20) + "it",
		"need" + strings.Repeat("\u115f\u1160\uffa0\u180e\u200b\u200c\u200d\u2060\ufeff", 4) + "it",
	} {
		s.refusedWithoutChange(t, func() response { return noel.post(submit, url.Values{"reason": {reason}, "days": {"30"}}) },
			http.StatusUnprocessableEntity, "at least 20 characters, not counting spaces and invisible characters")
	}
	s.refusedWithoutChange(t, func() response {
		return decide(marco, pending, url.Values{"decision": {"reject"}, "step": {"1"}, "comment": {"\u3164\u2800\u3164"}})
	}, http.StatusUnprocessableEntity, "Please say why you reject the request")

	for control, name := range map[string]string{"\u202e": "right-to-left override (U+202E)",
		"\u2066": "left-to-right isolate (U+2066)", "\u200f": "right-to-left mark (U+200F)"} {
		text := "Refund approved for " + control + "redro 1 ylno, nothing else."
		s.refusedWithoutChange(t, func() response { return noel.post(submit, url.Values{"reason": {text}, "days": {"30"}}) },
			http.StatusUnprocessableEntity, "The business reason contains an invisible "+name)
		s.refusedWithoutChange(t, func() response {
			return decide(marco, pending, url.Values{"decision": {"approve"}, "step": {"1"}, "comment": {text}})
		}, http.StatusUnprocessableEntity, "The comment contains an invisible "+name)
		s.refusedWithoutChange(t, func() response {
			return olivia.post("/requests/"+granted+"/revoke", url.Values{"reason": {text}})
		}, http.StatusUnprocessableEntity, "The reason contains an invisible "+name+", which changes the order in which text is displayed. Remove it and try again.")
	}
	assert.Equal(t, before, s.snapshot(), "nothing changed")

	// Text with blanks between enough letters, and right-to-left text
	// without controls, is fine.
	res := noel.post(submit, url.Values{"reason": {"Churn model \u3000 needs it: \u05e0\u05ea\u05d5\u05e0\u05d9\u05dd \u05e9\u05dc \u05dc\u05e7\u05d5\u05d7\u05d5\u05ea"}, "days": {"30"}})
	assert.Equal(t, http.StatusSeeOther, res.Status, text(res.Body))
}
