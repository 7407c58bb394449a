package server_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/server"
	"github.com/signoff/signoff/internal/signoff"
)

// The tests in this file are about the HTTP layer: they serve a fake
// workflow (fake_test.go).

func TestSignedOut(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	anon := s.anon()
	request := "/requests/" + fakeRequestID

	for _, path := range []string{"/", "/products/" + fakeProduct.ID, "/requests", request, "/queue?as=DPO",
		"/audit?type=ACCESS_GRANTED", "/audit/verify", "/doctor"} {
		t.Run("GET "+path, func(t *testing.T) {
			res := anon.get(path)
			require.Equal(t, http.StatusSeeOther, res.Status)
			assert.Equal(t, "/login?next="+url.QueryEscape(path), res.Location)
		})
	}

	for _, tt := range []struct {
		path string
		form url.Values
	}{
		{"/products/" + fakeProduct.ID + "/requests", url.Values{"reason": {"A perfectly good business reason for this."}}},
		{request + "/decision", url.Values{"decision": {"approve"}, "step": {"2"}}},
		{request + "/decision", url.Values{"decision": {"maybe"}}},
		{request + "/withdraw", nil},
		{request + "/revoke", nil},
		{request + "/retry-grant", nil},
		{"/doctor", nil},
	} {
		t.Run("POST "+tt.path, func(t *testing.T) {
			res, calls := s.wf.during(func() response { return anon.post(tt.path, tt.form) })
			assert.Equal(t, http.StatusUnauthorized, res.Status)
			assert.True(t, hasTestid(res.Body, "error"))
			assert.Contains(t, res.Body, "Please sign in")
			for _, c := range calls {
				assert.True(t, c.Viewer.Anonymous(), "the workflow is asked by nobody: %s", c)
			}
		})
	}

	t.Run("sign-in page lists the personas", func(t *testing.T) {
		res := anon.get("/login?next=%2Fqueue")
		require.Equal(t, http.StatusOK, res.Status)
		for _, p := range fakePersonas {
			assert.Equal(t, 1, count(res.Body, element("button", "data-user", p.User)), p.User)
		}
		assert.Equal(t, "/queue", fieldValue(res.Body, "next"))
	})

	t.Run("signing in goes to next with a flash", func(t *testing.T) {
		c := s.anon()
		res := c.post("/login", url.Values{"user": {"DANA"}, "next": {"/queue"}})
		require.Equal(t, http.StatusSeeOther, res.Status)
		assert.Equal(t, "/queue", res.Location)
		res = c.follow(res)
		require.Equal(t, http.StatusOK, res.Status)
		assert.Equal(t, "DANA", testid(res.Body, "viewer"))
		assert.Equal(t, "Signed in as DANA.", testid(res.Body, "flash"))
		// The flash is shown once.
		assert.False(t, hasTestid(c.get("/queue").Body, "flash"))

		res = c.post("/logout", nil)
		require.Equal(t, http.StatusSeeOther, res.Status)
		assert.Equal(t, "/login", res.Location)
		page := c.follow(res)
		assert.Equal(t, "Signed out. Pick another persona.", testid(page.Body, "flash"))
		assert.Equal(t, http.StatusSeeOther, c.get("/queue").Status, "signed out")
	})

	t.Run("unquoted names are upper-cased, as Snowflake reads them", func(t *testing.T) {
		for _, user := range []string{"dana", "Dana"} {
			c := s.anon()
			require.Equal(t, http.StatusSeeOther, c.post("/login", url.Values{"user": {user}}).Status, user)
			assert.Equal(t, "DANA", c.signedInAs(), user)
		}
	})

	t.Run("unknown and malformed personas are refused", func(t *testing.T) {
		for _, user := range []string{"NOBODY", "ALICE' OR '1'='1", "", "ALICE\n"} {
			c := s.anon()
			res := c.post("/login", url.Values{"user": {user}})
			assert.Contains(t, []int{http.StatusUnauthorized, http.StatusUnprocessableEntity}, res.Status, "user %q", user)
			assert.True(t, hasTestid(res.Body, "error"))
			assert.Equal(t, http.StatusSeeOther, c.get("/requests").Status, "no session for %q", user)
		}
	})
}

func TestHealth(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	c := s.anon()
	res := c.get("/healthz")
	assert.Equal(t, http.StatusOK, res.Status)
	assert.Equal(t, "ok\n", res.Body)
	res = c.get("/readyz")
	assert.Equal(t, http.StatusOK, res.Status)
	assert.Equal(t, "ready\n", res.Body)
	res = c.get("/static/signoff.css")
	assert.Equal(t, http.StatusOK, res.Status)
	assert.Contains(t, res.Header.Get("Cache-Control"), "max-age")

	down := newFake(t, func(c *server.Config) {
		c.Ready = func(context.Context) error { return errors.New("database is gone") }
	})
	res = down.anon().get("/readyz")
	assert.Equal(t, http.StatusServiceUnavailable, res.Status)
	assert.NotContains(t, res.Body, "database is gone", "details are logged, not shown")
	assert.Equal(t, http.StatusOK, down.anon().get("/healthz").Status, "liveness does not depend on the store")
}

func TestNewRefusesIncompleteConfig(t *testing.T) {
	t.Parallel()
	wf, local, platform := &fakeWorkflow{}, &fakeAccount{personas: fakePersonas}, &fakePlatform{}
	ready := func(context.Context) error { return nil }
	tests := []struct {
		name string
		cfg  server.Config
		ok   bool
	}{
		{"complete", server.Config{Service: wf, Ready: ready, Local: local, SessionKey: testKey}, true},
		{"platform identity", server.Config{Service: wf, Ready: ready, Platform: platform, SessionKey: testKey}, true},
		{"short session key", server.Config{Service: wf, Ready: ready, Local: local, SessionKey: testKey[:31]}, false},
		{"no Ready", server.Config{Service: wf, Local: local, SessionKey: testKey}, false},
		{"no Service", server.Config{Ready: ready, Local: local, SessionKey: testKey}, false},
		{"no identity source", server.Config{Service: wf, Ready: ready, SessionKey: testKey}, false},
		{"two identity sources", server.Config{Service: wf, Ready: ready, Local: local, Platform: platform, SessionKey: testKey}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := server.New(tt.cfg)
			if tt.ok {
				assert.NoError(t, err)
			} else {
				assert.Error(t, err)
			}
		})
	}
}

// TestFooterNamesTheBuild: the footer says which build serves the page.
func TestFooterNamesTheBuild(t *testing.T) {
	t.Parallel()
	s := newFake(t, func(c *server.Config) { c.Engine, c.Version = "embedded (test)", "1.2.3" })
	res := s.anon().get("/login")
	require.Equal(t, http.StatusOK, res.Status)
	assert.Contains(t, res.Body, "Signoff 1.2.3 · multi-step access approvals")
	assert.Contains(t, text(res.Body), "engine: embedded (test)")
}

// TestCatalogQuery: the catalog's query string reaches the workflow as a
// filter and a page, and the page shows the filter back.
func TestCatalogQuery(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	alice := s.as("ALICE")
	catalog := func(t *testing.T, query string) (response, []fakeCall) {
		t.Helper()
		res, calls := s.wf.during(func() response { return alice.get("/" + query) })
		return res, callsTo(calls, "Catalog")
	}

	t.Run("the filter, the search trimmed", func(t *testing.T) {
		res, calls := catalog(t, "?q="+url.QueryEscape("  ledger lines \t")+"&tag=finance&classification=INTERNAL&page=2")
		require.Equal(t, http.StatusOK, res.Status)
		require.Len(t, calls, 1)
		assert.Equal(t, []any{signoff.ProductFilter{Query: "ledger lines", Tag: "finance", Classification: "INTERNAL"}, 2}, calls[0].Args)
		assert.Equal(t, "ALICE", calls[0].Viewer.User)
		assert.Equal(t, "ledger lines", fieldValue(res.Body, "q"))
		assert.Equal(t, "finance", fieldValue(res.Body, "tag"))
		assert.Equal(t, "INTERNAL", fieldValue(res.Body, "classification"))
	})

	t.Run("no page is the first", func(t *testing.T) {
		_, calls := catalog(t, "")
		require.Len(t, calls, 1)
		assert.Equal(t, []any{signoff.ProductFilter{}, 1}, calls[0].Args)
	})

	t.Run("a huge page number is for the workflow to clamp", func(t *testing.T) {
		res, calls := catalog(t, "?page=9223372036854775807")
		require.Equal(t, http.StatusOK, res.Status)
		require.Len(t, calls, 1)
		assert.Equal(t, []any{signoff.ProductFilter{}, math.MaxInt}, calls[0].Args)
	})

	for _, bad := range []string{"0", "-1", "two", "1e3", "99999999999999999999"} {
		t.Run("page "+bad, func(t *testing.T) {
			res, calls := catalog(t, "?page="+bad)
			assert.Equal(t, http.StatusUnprocessableEntity, res.Status)
			assert.True(t, hasTestid(res.Body, "error"))
			assert.Contains(t, text(res.Body), "The page number "+strconv.Quote(bad)+" is not valid.")
			assert.Empty(t, calls)
		})
	}

	t.Run("search text is shown back escaped", func(t *testing.T) {
		const q = `"><script>x</script>`
		res, _ := catalog(t, "?q="+url.QueryEscape(q))
		require.Equal(t, http.StatusOK, res.Status)
		assert.NotContains(t, res.Body, "<script>x</script>")
		assert.Contains(t, res.Body, `value="&#34;&gt;&lt;script&gt;x&lt;/script&gt;"`)
		assert.Equal(t, q, fieldValue(res.Body, "q"))
	})

	t.Run("the pager keeps the filter", func(t *testing.T) {
		s.wf.onCatalog = func(_ signoff.Identity, _ signoff.ProductFilter, page int) (signoff.Catalog, error) {
			return signoff.Catalog{Products: []signoff.Product{fakeProduct}, Matched: 30, Total: 40, Page: page, Pages: 3}, nil
		}
		t.Cleanup(func() { s.wf.onCatalog = nil })
		res, _ := catalog(t, "?q=ledger&tag=finance&page=2")
		require.Equal(t, http.StatusOK, res.Status)
		assert.Equal(t, "30 of 40 products", testid(res.Body, "result-count"))
		assert.Equal(t, "Previous page Page 2 of 3 Next page", testid(res.Body, "catalog-pages"))
		assert.Equal(t, "/?q=ledger&tag=finance", href(res.Body, "rel", "prev"))
		assert.Equal(t, "/?page=3&q=ledger&tag=finance", href(res.Body, "rel", "next"))
	})
}

// TestErrorStatuses: the workflow's errors become the statuses and error
// pages of errors.go, on pages and actions alike. A message written for
// people is shown; anything else (a 5xx) is logged, never shown.
func TestErrorStatuses(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	alice := s.as("ALICE")
	const secret = "db-7.internal:5432"
	for _, tt := range []struct {
		name    string
		err     error
		status  int
		title   string
		message string
	}{
		{"not found", signoff.Errorf(signoff.ErrNotFound, "There is no request %q.", "X"), http.StatusNotFound,
			"Not found", `There is no request "X".`},
		{"invalid", signoff.Errorf(signoff.ErrInvalid, "The page cursor is malformed."), http.StatusUnprocessableEntity,
			"Please check what you entered", "The page cursor is malformed."},
		{"problems", signoff.Problems{"reason": "The reason is too long."}, http.StatusUnprocessableEntity,
			"Please check what you entered", "The reason is too long."},
		{"conflict", signoff.Errorf(signoff.ErrConflict, "This request is granted, so that is no longer possible."), http.StatusConflict,
			"Someone got there first", "This request is granted, so that is no longer possible."},
		{"forbidden", signoff.Errorf(signoff.ErrForbidden, "Only admins can do this."), http.StatusForbidden,
			"You are not allowed to do that", "Only admins can do this."},
		{"wrapped", fmt.Errorf("withdraw %s: %w", secret, signoff.Errorf(signoff.ErrForbidden, "Not yours.")), http.StatusForbidden,
			"You are not allowed to do that", "Not yours."},
		{"unavailable", fmt.Errorf("sqlite: ping %s: %w", secret, signoff.ErrUnavailable), http.StatusServiceUnavailable,
			"Signoff cannot reach its database", "The database is not answering right now. Nothing was changed"},
		{"unavailable, with words of its own", signoff.Errorf(signoff.ErrUnavailable, "Cannot reach %s.", secret), http.StatusServiceUnavailable,
			"Signoff cannot reach its database", "The database is not answering right now."},
		{"unexpected", fmt.Errorf("sql: connection reset by %s", secret), http.StatusInternalServerError,
			"Something went wrong", "Signoff hit an unexpected error. Nothing you did caused it"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s.wf.onMyRequests = func(signoff.Identity) ([]signoff.Request, error) { return nil, tt.err }
			s.wf.onWithdraw = func(signoff.Identity, string) error { return tt.err }
			t.Cleanup(func() { s.wf.onMyRequests, s.wf.onWithdraw = nil, nil })
			for what, res := range map[string]response{
				"page":   alice.get("/requests"),
				"action": alice.post("/requests/"+fakeRequestID+"/withdraw", url.Values{"confirm": {"1"}}),
			} {
				require.Equal(t, tt.status, res.Status, "%s: %s", what, text(res.Body))
				assert.Equal(t, "text/html; charset=utf-8", res.Header.Get("Content-Type"), what)
				page := testid(res.Body, "error")
				assert.Contains(t, page, fmt.Sprintf("Error %d %s", tt.status, tt.title), what)
				assert.Contains(t, page, tt.message, what)
				assert.NotContains(t, res.Body, secret, "%s: internal details are logged, not shown", what)
				assert.NotEmpty(t, res.Header.Get("X-Request-Id"), what)
				assert.Equal(t, "ALICE", testid(res.Body, "viewer"), "%s: the page keeps the header", what)
			}
		})
	}

	t.Run("signed out: a page asks to sign in, an action says so", func(t *testing.T) {
		gone := signoff.Errorf(signoff.ErrUnauthenticated, "Please sign in.")
		s.wf.onMyRequests = func(signoff.Identity) ([]signoff.Request, error) { return nil, gone }
		s.wf.onWithdraw = func(signoff.Identity, string) error { return gone }
		t.Cleanup(func() { s.wf.onMyRequests, s.wf.onWithdraw = nil, nil })
		res := alice.get("/requests?mine=1")
		require.Equal(t, http.StatusSeeOther, res.Status)
		assert.Equal(t, "/login?next="+url.QueryEscape("/requests?mine=1"), res.Location)
		res = alice.post("/requests/"+fakeRequestID+"/withdraw", url.Values{"confirm": {"1"}})
		require.Equal(t, http.StatusUnauthorized, res.Status)
		assert.Contains(t, testid(res.Body, "error"), "Error 401 Please sign in Please sign in.")
	})

	t.Run("a panic is a 500 page", func(t *testing.T) {
		s.wf.onMyRequests = func(signoff.Identity) ([]signoff.Request, error) { panic("boom at " + secret) }
		t.Cleanup(func() { s.wf.onMyRequests = nil })
		res := alice.get("/requests")
		require.Equal(t, http.StatusInternalServerError, res.Status)
		assert.Contains(t, testid(res.Body, "error"), "Something went wrong")
		assert.NotContains(t, res.Body, secret)
	})
}

// TestActionFlashes: each action redirects to the request's page (a
// decision: to the queue's next request) with a flash that says what it
// did, shown once, and hands the workflow the form as sent.
func TestActionFlashes(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	request := "/requests/" + fakeRequestID
	// act posts form to path as c and follows the redirect; it returns the
	// redirect's target, the flash shown there and the workflow's calls.
	act := func(t *testing.T, c *client, path string, form url.Values) (string, string, []fakeCall) {
		t.Helper()
		res, calls := s.wf.during(func() response { return c.post(path, form) })
		require.Equal(t, http.StatusSeeOther, res.Status, text(res.Body))
		page := c.follow(res)
		require.Equal(t, http.StatusOK, page.Status)
		assert.False(t, hasTestid(c.get(res.Location).Body, "flash"), "the flash is shown once")
		return res.Location, testid(page.Body, "flash"), calls
	}

	t.Run("submit", func(t *testing.T) {
		for steps, want := range map[int]string{
			1: "Your request for Ledger 101 is submitted. It needs 1 approval; you can follow it here.",
			3: "Your request for Ledger 101 is submitted. It needs 3 approvals; you can follow it here.",
		} {
			s.wf.onSubmit = func(v signoff.Identity, _, _ string) (signoff.Outcome, error) {
				return signoff.Outcome{Code: signoff.CodeOK, Actor: v.User, RequestID: fakeRequestID, ProductName: fakeProduct.Name,
					Status: signoff.StatusPending, CurrentStep: 1, StepCount: steps}, nil
			}
			const reason = "  Quarter-end reconciliation needs the journal lines.\n"
			loc, flash, calls := act(t, s.as("ALICE"), "/products/"+fakeProduct.ID+"/requests",
				url.Values{"reason": {reason}, "days": {"30"}})
			assert.Equal(t, request, loc)
			assert.Equal(t, want, flash)
			submitted := callsTo(calls, "Submit")
			require.Len(t, submitted, 1)
			assert.Equal(t, []any{fakeProduct.ID, reason, 30}, submitted[0].Args,
				"the reason as typed (the workflow trims it) and the duration chosen")
		}
		s.wf.onSubmit = nil
	})

	t.Run("decisions", func(t *testing.T) {
		olivia := s.as("OLIVIA")
		for _, tt := range []struct {
			decision string
			outcome  signoff.Outcome
			flash    string
		}{
			// The queue adds what comes next (TestDecisionGoesOnToTheNextRequest).
			{"reject", signoff.Outcome{Status: signoff.StatusRejected}, "Rejected."},
			{"approve", signoff.Outcome{Status: signoff.StatusPending, StepLabel: "Data protection", StepRole: "DPO"},
				"Approved."},
			{"approve", signoff.Outcome{Status: signoff.StatusGranted, Requester: "BEN", AccessRole: "LEDGER_101_READ"},
				"Approved: BEN now holds LEDGER_101_READ."},
			{"approve", signoff.Outcome{Status: signoff.StatusGrantFailed},
				"Approved, but the grant failed: an admin can see why and retry it."},
			{"approve", signoff.Outcome{Status: signoff.StatusApproved},
				"Approved, but the grant has not run yet: an admin can retry it."},
		} {
			s.wf.onDecide = func(signoff.Identity, string, signoff.DecisionInput) (signoff.Outcome, error) {
				o := tt.outcome
				o.Code, o.Actor, o.RequestID = signoff.CodeOK, "OLIVIA", fakeRequestID
				return o, nil
			}
			form := url.Values{"decision": {tt.decision}, "step": {"2"}, "comment": {" Fine. "}, "acting_as": {"LEDGER_OWNER"}, "confirm": {"1"}}
			loc, flash, calls := act(t, olivia, request+"/decision", form)
			assert.Equal(t, "/queue?as=LEDGER_OWNER&next=1", loc, "on to the next request of the queue acted in")
			assert.Equal(t, tt.flash+" Your queue is empty.", flash, "the fake's queue is empty")
			decided := callsTo(calls, "Decide")
			require.Len(t, decided, 1)
			d := signoff.DecisionApprove
			if tt.decision == "reject" {
				d = signoff.DecisionReject
			}
			assert.Equal(t, []any{fakeRequestID, signoff.DecisionInput{Decision: d, Comment: " Fine. ", Step: 2, ActingAs: "LEDGER_OWNER"}},
				decided[0].Args)
		}
		s.wf.onDecide = nil
	})

	t.Run("withdraw", func(t *testing.T) {
		loc, flash, calls := act(t, s.as("BEN"), request+"/withdraw", url.Values{"confirm": {"1"}})
		assert.Equal(t, request, loc)
		assert.Equal(t, "You withdrew the request.", flash)
		assert.Len(t, callsTo(calls, "Withdraw"), 1)
	})

	t.Run("revoke", func(t *testing.T) {
		loc, flash, calls := act(t, s.as("OLIVIA"), request+"/revoke", url.Values{"reason": {"Review finished."}, "confirm": {"1"}})
		assert.Equal(t, request, loc)
		assert.Equal(t, "Access revoked: the role was taken back from the requester.", flash)
		revoked := callsTo(calls, "Revoke")
		require.Len(t, revoked, 1)
		assert.Equal(t, []any{fakeRequestID, "Review finished."}, revoked[0].Args)
	})

	t.Run("retry grant", func(t *testing.T) {
		for status, want := range map[signoff.Status]string{
			signoff.StatusGranted:     "The grant succeeded: the requester now holds the access role.",
			signoff.StatusGrantFailed: "The grant failed again. The history below says why.",
		} {
			s.wf.onRetryGrant = func(signoff.Identity, string) (signoff.Status, error) { return status, nil }
			loc, flash, _ := act(t, s.as("ADAM"), request+"/retry-grant", nil)
			assert.Equal(t, request, loc)
			assert.Equal(t, want, flash)
		}
		s.wf.onRetryGrant = nil
	})
}

// TestFormsShownAgainWithProblems: when the workflow finds problems with a
// form, the page is drawn again with 422, each problem beside its field and
// what was typed still in it.
func TestFormsShownAgainWithProblems(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	request := "/requests/" + fakeRequestID

	// problem checks that the page's control named name is marked invalid
	// and described by the problem shown beside it, which says message.
	problem := func(t *testing.T, body, tag, name, message string) {
		t.Helper()
		doc := parseHTML(body)
		control := find(doc, element(tag, "name", name))
		require.NotNil(t, control, "the %s field", name)
		invalid, _ := attrOf(control, "aria-invalid")
		assert.Equal(t, "true", invalid)
		describedBy, _ := attrOf(control, "aria-describedby")
		require.NotEmpty(t, describedBy)
		shown := find(doc, element("p", "id", describedBy, "class", "field-error"))
		require.NotNil(t, shown, "the problem beside the %s field", name)
		assert.Equal(t, message, textOf(shown))
	}

	t.Run("a request's reason", func(t *testing.T) {
		const msg = "The business reason must be at least 20 characters."
		s.wf.onSubmit = func(signoff.Identity, string, string) (signoff.Outcome, error) {
			return signoff.Outcome{}, signoff.Problems{"reason": msg}
		}
		t.Cleanup(func() { s.wf.onSubmit = nil })
		const typed = "need it <b>now</b>"
		res, calls := s.wf.during(func() response {
			return s.as("ALICE").post("/products/"+fakeProduct.ID+"/requests", url.Values{"reason": {typed}})
		})
		require.Equal(t, http.StatusUnprocessableEntity, res.Status)
		assert.Equal(t, "Line manager → Data owner → Data protection", testid(res.Body, "chain-summary"), "it is the product page")
		assert.False(t, hasTestid(res.Body, "error"))
		problem(t, res.Body, "textarea", "reason", msg)
		assert.Equal(t, typed, fieldValue(res.Body, "reason"), "the typed reason is shown back")
		assert.Contains(t, res.Body, ">need it &lt;b&gt;now&lt;/b&gt;</textarea>", "escaped")
		require.Len(t, calls, 2)
		assert.Equal(t, "Submit", calls[0].Method)
		assert.Equal(t, fakeCall{Method: "Product", Viewer: calls[0].Viewer, Args: []any{fakeProduct.ID}}, calls[1],
			"the product page, for the same viewer")
	})

	t.Run("a decision's comment", func(t *testing.T) {
		const msg = "Please say why you reject the request."
		s.wf.onDecide = func(signoff.Identity, string, signoff.DecisionInput) (signoff.Outcome, error) {
			return signoff.Outcome{}, signoff.Problems{"comment": msg}
		}
		t.Cleanup(func() { s.wf.onDecide = nil })
		const typed = "<i>no</i>"
		res, calls := s.wf.during(func() response {
			return s.as("OLIVIA").post(request+"/decision", url.Values{"decision": {"reject"}, "step": {"2"},
				"comment": {typed}, "acting_as": {"LEDGER_OWNER"}, "confirm": {"1"}})
		})
		require.Equal(t, http.StatusUnprocessableEntity, res.Status)
		assert.True(t, hasTestid(res.Body, "decision"), "the decision form is shown again")
		problem(t, res.Body, "textarea", "comment", msg)
		assert.Equal(t, typed, fieldValue(res.Body, "comment"))
		assert.Equal(t, "2", fieldValue(res.Body, "step"))
		assert.Equal(t, "LEDGER_OWNER", fieldValue(res.Body, "acting_as"), "still acting as the role chosen")
		pages := callsTo(calls, "RequestPage")
		require.Len(t, pages, 1)
		assert.Equal(t, []any{fakeRequestID, "LEDGER_OWNER"}, pages[0].Args)
	})

	t.Run("a decision that is neither", func(t *testing.T) {
		res, _ := s.refused(t, func() response {
			return s.as("OLIVIA").post(request+"/decision", url.Values{"decision": {"maybe"}, "step": {"2"}, "comment": {"Hmm."}})
		}, http.StatusUnprocessableEntity, "")
		shown := find(parseHTML(res.Body), element("p", "id", "decision-error", "class", "field-error"))
		require.NotNil(t, shown)
		assert.Equal(t, "Choose approve, reject or ask a question.", textOf(shown))
		assert.Equal(t, "Hmm.", fieldValue(res.Body, "comment"))
	})

	t.Run("a revoke's reason", func(t *testing.T) {
		const msg = "The reason is too long: keep it under 1,000 characters."
		s.wf.onRevoke = func(signoff.Identity, string, string) error { return signoff.Problems{"reason": msg} }
		s.wf.onConfirm = func(string, signoff.Identity, string) (signoff.RequestPage, error) {
			return signoff.RequestPage{}, signoff.Problems{"reason": msg}
		}
		s.wf.onRequestPage = func(v signoff.Identity, _, actingAs string) (signoff.RequestPage, error) {
			rp := fakeRequestPage(v, actingAs)
			rp.Request.Status, rp.CanRevoke = signoff.StatusGranted, true
			return rp, nil
		}
		t.Cleanup(func() { s.wf.onRevoke, s.wf.onConfirm, s.wf.onRequestPage = nil, nil, nil })
		for _, confirm := range []string{"", "1"} { // found when asking, and when acting
			const typed = "<i>x</i>"
			res := s.as("OLIVIA").post(request+"/revoke", url.Values{"reason": {typed}, "confirm": {confirm}})
			require.Equal(t, http.StatusUnprocessableEntity, res.Status, "confirm=%q", confirm)
			assert.False(t, hasTestid(res.Body, "error"), "the request page, not an error page")
			problem(t, res.Body, "input", "reason", msg)
			assert.Equal(t, typed, fieldValue(res.Body, "reason"), "the typed reason is shown back")
		}
	})
}
