package server_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/demo"
	"github.com/signoff/signoff/internal/server"
	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlite"
)

func TestCatalog(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil)
	alice := s.as("ALICE")

	all := make([]string, len(demo.Products))
	for i, p := range demo.Products {
		all[i] = p.Name
	}
	tests := []struct {
		name  string
		query string
		want  []string // product names listed
	}{
		{"everything", "", all},
		{"search by word", "?q=ledger", []string{"General ledger journal"}},
		{"search is case-insensitive and matches every word", "?q=OLIVIA+sales", []string{"Sales orders", "Customer 360"}},
		{"tag", "?tag=gdpr", []string{"Customer 360", "HR headcount"}},
		{"classification", "?classification=FINANCE", []string{"General ledger journal"}},
		{"tag and classification", "?tag=marketing&classification=PUBLIC", []string{"Web traffic, daily"}},
		{"no match", "?q=zzz-no-such-product", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := alice.get("/" + tt.query)
			require.Equal(t, http.StatusOK, res.Status)
			assert.Equal(t, "ALICE", testid(res.Body, "viewer"))
			list := testid(res.Body, "products")
			for _, p := range demo.Products {
				if slices.Contains(tt.want, p.Name) {
					assert.Contains(t, list, p.Name)
				} else {
					assert.NotContains(t, list, p.Name)
				}
			}
			assert.Equal(t, strconv.Itoa(len(tt.want))+" of "+strconv.Itoa(len(demo.Products))+" products", testid(res.Body, "result-count"))
			if len(tt.want) == 0 {
				assert.False(t, hasTestid(res.Body, "products"))
				assert.Contains(t, res.Body, "No product matches these filters.")
			} else {
				assert.NotContains(t, res.Body, "No product matches these filters.")
			}
		})
	}

	t.Run("search text is shown back escaped", func(t *testing.T) {
		res := alice.get("/?q=" + url.QueryEscape(`"><script>x</script>`))
		require.Equal(t, http.StatusOK, res.Status)
		assert.NotContains(t, res.Body, "<script>x</script>")
		assert.Contains(t, res.Body, `value="&#34;&gt;&lt;script&gt;x&lt;/script&gt;"`)
	})
}

// TestCatalogPages shows the catalog a page at a time: 50 products make
// three pages of signoff.CatalogPageSize, the pager keeps the filter, and an
// out-of-range page shows the last one.
func TestCatalogPages(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil)
	for i := range 50 - len(demo.Products) {
		require.NoError(t, s.st.CreateProduct(t.Context(), signoff.Product{
			ID: fmt.Sprintf("extra-%02d", i), Name: fmt.Sprintf("Extra product %02d", i), Domain: "Sales",
			Classification: "INTERNAL", Description: "One more product.", Owner: "Olivia Chen", OwnerRole: "DATA_OWNER_SALES",
			AccessRole: fmt.Sprintf("EXTRA_%02d_READ", i), Tags: []string{"extra"},
			Chain: []signoff.ChainStep{{Order: 1, ApproverRole: "LINE_MANAGER", Label: "Line manager"}},
		}))
	}
	alice := s.as("ALICE")
	count := func(body string) int { return strings.Count(body, `<li class="card">`) }

	res := alice.get("/")
	require.Equal(t, http.StatusOK, res.Status)
	assert.Equal(t, "50 of 50 products", testid(res.Body, "result-count"))
	assert.Equal(t, signoff.CatalogPageSize, count(res.Body))
	assert.Equal(t, "Page 1 of 3 Next page", testid(res.Body, "catalog-pages"))
	assert.Contains(t, res.Body, `href="/?page=2" rel="next"`)

	res = alice.get("/?page=3")
	require.Equal(t, http.StatusOK, res.Status)
	assert.Equal(t, 50-2*signoff.CatalogPageSize, count(res.Body))
	assert.Equal(t, "Previous page Page 3 of 3", testid(res.Body, "catalog-pages"))
	assert.Contains(t, res.Body, `href="/?page=2" rel="prev"`)
	assert.Equal(t, res.Body, alice.get("/?page=99").Body, "past the end: the last page")
	assert.Equal(t, res.Body, alice.get("/?page=9223372036854775807").Body, "a huge page number is the last page too")

	// The filter narrows the pages, and the pager keeps it.
	res = alice.get("/?tag=extra&page=2")
	require.Equal(t, http.StatusOK, res.Status)
	assert.Equal(t, "43 of 50 products", testid(res.Body, "result-count"))
	assert.Equal(t, 43-signoff.CatalogPageSize, count(res.Body))
	assert.Contains(t, res.Body, `href="/?tag=extra" rel="prev"`)
	assert.Equal(t, "Previous page Page 2 of 2", testid(res.Body, "catalog-pages"))

	// A filter that fits one page has no pager.
	res = alice.get("/?classification=FINANCE")
	assert.False(t, hasTestid(res.Body, "catalog-pages"))

	for _, bad := range []string{"0", "-1", "two", "1e3"} {
		res = alice.get("/?page=" + bad)
		assert.Equal(t, http.StatusUnprocessableEntity, res.Status, bad)
		assert.Contains(t, res.Body, "is not valid", bad)
	}
}

func TestProductPage(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil)

	res := s.as("ALICE").get("/products/customer-360")
	require.Equal(t, http.StatusOK, res.Status)
	assert.Equal(t, "Line manager → Data owner → Data protection", testid(res.Body, "chain-summary"))
	for _, col := range []string{"CUSTOMER_ID", "FULL_NAME", "EMAIL", "LIFETIME_VALUE_EUR"} {
		assert.Contains(t, res.Body, "<code>"+col+"</code>")
	}
	assert.Contains(t, res.Body, "Sensitive")
	assert.Contains(t, res.Body, "CUSTOMER_360_READ")
	assert.Contains(t, res.Body, `action="/products/customer-360/requests"`, "Alice has no open request: the form is shown")

	// Ben already has an open request for it: a link replaces the form.
	res = s.as("BEN").get("/products/customer-360")
	require.Equal(t, http.StatusOK, res.Status)
	assert.Contains(t, res.Body, "You already have a request for this product")
	assert.Contains(t, res.Body, `href="/requests/`+s.requestFor("BEN", "customer-360", signoff.StatusPending)+`"`)
	assert.NotContains(t, res.Body, `action="/products/customer-360/requests"`)

	res = s.as("ALICE").get("/products/no-such-product")
	assert.Equal(t, http.StatusNotFound, res.Status)
	assert.True(t, hasTestid(res.Body, "error"))
}

func TestMyRequests(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil)

	res := s.as("BEN").get("/requests")
	require.Equal(t, http.StatusOK, res.Status)
	list := testid(res.Body, "my-requests")
	for _, name := range []string{"Customer 360", "HR headcount", "General ledger journal", "Marketing campaigns", "Web traffic, daily"} {
		assert.Contains(t, list, name)
	}
	for _, status := range []string{"Pending", "Rejected", "Revoked", "Withdrawn"} {
		assert.Contains(t, list, status)
	}
	assert.NotContains(t, list, "Supplier contracts", "Alice's request is not Ben's")

	res = s.as("NOEL").get("/requests")
	require.Equal(t, http.StatusOK, res.Status)
	assert.False(t, hasTestid(res.Body, "my-requests"))
	assert.Contains(t, res.Body, "You have not requested access to anything yet.")
}

func TestQueue(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil)
	olivia := s.as("OLIVIA")

	tests := []struct {
		name     string
		user     string
		query    string
		contains []string
		excludes []string
		empty    string // the empty state's text, when the queue is empty
	}{
		{name: "data owner sees the step keyed to her role", user: "OLIVIA",
			contains: []string{"Customer 360", "BEN", "DATA_OWNER_SALES", "step 2 of 3"},
			excludes: []string{"HR headcount"}},
		{name: "security lead inherits DPO", user: "SAM",
			contains: []string{"HR headcount", "BEN", "DPO", "step 3 of 3"},
			excludes: []string{"Customer 360"}},
		{name: "line manager sees Alice's first step", user: "MARCO",
			contains: []string{"HR headcount", "ALICE", "LINE_MANAGER", "step 1 of 3"}},
		{name: "no approver roles", user: "NOEL",
			empty: "None of your roles approves any step"},
		{name: "acting as narrows the queue", user: "OLIVIA", query: "?as=DATA_OWNER_MARKETING",
			empty: "Nothing waits for you as DATA_OWNER_MARKETING"},
		{name: "acting as the role that has work", user: "OLIVIA", query: "?as=DATA_OWNER_SALES",
			contains: []string{"Customer 360", "?as=DATA_OWNER_SALES"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := olivia
			if tt.user != "OLIVIA" {
				c = s.as(tt.user)
			}
			res := c.get("/queue" + tt.query)
			require.Equal(t, http.StatusOK, res.Status)
			if tt.empty != "" {
				assert.False(t, hasTestid(res.Body, "queue"))
				assert.Contains(t, text(res.Body), tt.empty)
				return
			}
			table := between(res.Body, `data-testid="queue"`, "</table>")
			require.NotEmpty(t, table)
			for _, want := range tt.contains {
				assert.Contains(t, table, want)
			}
			for _, not := range tt.excludes {
				assert.NotContains(t, table, not)
			}
		})
	}

	t.Run("acting as a role not held is refused", func(t *testing.T) {
		res := olivia.get("/queue?as=DPO")
		assert.Equal(t, http.StatusForbidden, res.Status)
		assert.Contains(t, text(res.Body), "You cannot act as DPO")
	})
}

func TestRequestPageDecisionForm(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil)
	id := s.requestFor("BEN", "customer-360", signoff.StatusPending) // at the data owner step

	tests := []struct {
		user     string
		status   int
		decision bool   // the decision form is shown
		blocked  string // the decide-blocked notice, when shown
	}{
		{user: "OLIVIA", status: http.StatusOK, decision: true},
		{user: "BEN", status: http.StatusOK},    // the requester: no form, and no warning that there is none
		{user: "MARCO", status: http.StatusOK},  // decided step 1; no longer his step
		{user: "DANA", status: http.StatusOK},   // her step comes later
		{user: "AUDREY", status: http.StatusOK}, // auditors read everything
		{user: "ADAM", status: http.StatusOK},
		{user: "ALICE", status: http.StatusForbidden}, // not part of Ben's request
		{user: "NOEL", status: http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.user, func(t *testing.T) {
			res := s.as(tt.user).get("/requests/" + id)
			require.Equal(t, tt.status, res.Status)
			if tt.status != http.StatusOK {
				assert.True(t, hasTestid(res.Body, "error"))
				assert.NotContains(t, res.Body, "Churn model", "a refused viewer sees nothing of the request")
				return
			}
			assert.Contains(t, testid(res.Body, "reason"), "Churn model needs lifetime value")
			assert.Contains(t, testid(res.Body, "history"), "Request submitted")
			assert.Equal(t, tt.decision, hasTestid(res.Body, "decision"), "decision form")
			if tt.decision {
				assert.Contains(t, res.Body, `action="/requests/`+id+`/decision"`)
				assert.Contains(t, res.Body, `name="step" value="2"`)
			}
			if tt.blocked != "" {
				assert.Contains(t, testid(res.Body, "decide-blocked"), tt.blocked)
			}
		})
	}

	t.Run("acting as a role that is not the step's shows why not", func(t *testing.T) {
		res := s.as("OLIVIA").get("/requests/" + id + "?as=DATA_OWNER_MARKETING")
		require.Equal(t, http.StatusOK, res.Status)
		assert.False(t, hasTestid(res.Body, "decision"))
		assert.Contains(t, testid(res.Body, "decide-blocked"), "needs the DATA_OWNER_SALES role")
	})
}

func TestAuditPageAccess(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil)
	for _, tt := range []struct {
		user   string
		status int
	}{
		{"ADAM", http.StatusOK},
		{"AUDREY", http.StatusOK},
		{"ALICE", http.StatusForbidden},
		{"NOEL", http.StatusForbidden},
	} {
		t.Run(tt.user, func(t *testing.T) {
			c := s.as(tt.user)
			res := c.get("/audit")
			require.Equal(t, tt.status, res.Status)
			if tt.status == http.StatusOK {
				assert.True(t, hasTestid(res.Body, "audit"))
				assert.Contains(t, res.Body, `href="/audit"`, "auditors get the nav link")
			} else {
				assert.False(t, hasTestid(res.Body, "audit"))
				assert.NotContains(t, res.Body, `<a href="/audit"`, "no nav link for non-auditors")
				// The CSV export is refused too.
				res = c.get("/audit?format=csv")
				assert.Equal(t, http.StatusForbidden, res.Status)
				assert.NotContains(t, res.Header.Get("Content-Type"), "text/csv")
			}
		})
	}
}

func TestSignedOut(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil)
	anon := s.anon()
	id := s.requestFor("BEN", "customer-360", signoff.StatusPending)

	for _, path := range []string{"/", "/products/customer-360", "/requests", "/requests/" + id, "/queue?as=DPO", "/audit?type=ACCESS_GRANTED"} {
		t.Run("GET "+path, func(t *testing.T) {
			res := anon.get(path)
			require.Equal(t, http.StatusSeeOther, res.Status)
			assert.Equal(t, "/login?next="+url.QueryEscape(path), res.Location)
		})
	}

	before := len(s.events())
	for _, tt := range []struct {
		path string
		form url.Values
	}{
		{"/products/customer-360/requests", url.Values{"reason": {"A perfectly good business reason for this."}}},
		{"/requests/" + id + "/decision", url.Values{"decision": {"approve"}, "step": {"2"}}},
		{"/requests/" + id + "/decision", url.Values{"decision": {"maybe"}}},
		{"/requests/" + id + "/withdraw", nil},
		{"/requests/" + id + "/revoke", nil},
		{"/requests/" + id + "/retry-grant", nil},
	} {
		t.Run("POST "+tt.path, func(t *testing.T) {
			res := anon.post(tt.path, tt.form)
			assert.Equal(t, http.StatusUnauthorized, res.Status)
			assert.True(t, hasTestid(res.Body, "error"))
			assert.Contains(t, res.Body, "Please sign in")
		})
	}
	assert.Len(t, s.events(), before, "nothing changed")
	assert.Equal(t, signoff.StatusPending, s.request(id).Status)
	assert.Equal(t, 2, s.request(id).CurrentStep)

	t.Run("sign-in page lists the personas", func(t *testing.T) {
		res := anon.get("/login?next=%2Fqueue")
		require.Equal(t, http.StatusOK, res.Status)
		for _, u := range demo.Users {
			assert.Contains(t, res.Body, `data-user="`+u.Name+`"`)
		}
		assert.Contains(t, res.Body, `name="next" value="/queue"`)
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
		assert.Equal(t, http.StatusSeeOther, c.get("/queue").Status, "signed out")
	})

	t.Run("unknown and malformed personas are refused", func(t *testing.T) {
		for _, user := range []string{"NOBODY", "ALICE' OR '1'='1", ""} {
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
	s := newStack(t, nil)
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

	down := newStack(t, func(context.Context) error { return errors.New("database is gone") })
	res = down.anon().get("/readyz")
	assert.Equal(t, http.StatusServiceUnavailable, res.Status)
	assert.NotContains(t, res.Body, "database is gone", "details are logged, not shown")
	assert.Equal(t, http.StatusOK, down.anon().get("/healthz").Status, "liveness does not depend on the store")
}

func TestNewRefusesIncompleteConfig(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil)
	ready := func(context.Context) error { return nil }
	tests := []struct {
		name string
		cfg  server.Config
		ok   bool
	}{
		{"complete", server.Config{Service: s.svc, Ready: ready, Local: s.st, SessionKey: testKey}, true},
		{"short session key", server.Config{Service: s.svc, Ready: ready, Local: s.st, SessionKey: testKey[:31]}, false},
		{"no Ready", server.Config{Service: s.svc, Local: s.st, SessionKey: testKey}, false},
		{"no Service", server.Config{Ready: ready, Local: s.st, SessionKey: testKey}, false},
		{"no identity source", server.Config{Service: s.svc, Ready: ready, SessionKey: testKey}, false},
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
	st, err := sqlite.Open(t.Context(), ":memory:")
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	srv, err := server.New(server.Config{Service: signoff.NewService(st), Ready: st.Ping, Local: st,
		SessionKey: testKey, Engine: "embedded (test)", Version: "1.2.3"})
	require.NoError(t, err)
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/login", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, rec.Body.String(), "Signoff 1.2.3 · multi-step access approvals")
}
