package server_test

import (
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/signoff/signoff/internal/demo"
	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/web/view"
)

// The pages as the workflow fills them, on the full stack with the demo.
// The HTTP layer's part of them (signing in and out, health, the catalog's
// query string, error pages) is in handlers_test.go, on the fake.

func TestCatalog(t *testing.T) {
	t.Parallel()
	s := newStack(t)
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
		{"search is case-insensitive and matches every word", "?q=OLIVIA+sales", []string{"Sales orders", "Customer 360", "Board revenue KPIs"}},
		{"tag", "?tag=gdpr", []string{"Customer 360", "HR headcount", "Payroll detail"}},
		{"classification", "?classification=FINANCE", []string{"General ledger journal"}},
		{"tag and classification", "?tag=marketing&classification=PUBLIC", []string{"Web traffic, daily"}},
		{"no match", "?q=zzz-no-such-product", nil},
		{"no match with filters", "?q=ledger&tag=gdpr", nil},
		// Issue 14: these found nothing before. A plural, a column's name,
		// initials, a word of a description; ranked, name matches first.
		{"a plural", "?q=customers", []string{"Customer 360", "Sales orders"}},
		{"a column's name", "?q=email", []string{"Customer 360"}},
		{"initials", "?q=c360", []string{"Customer 360"}},
		{"a word of the description", "?q=churn", []string{"Customer 360"}},
		{"a slip of the finger", "?q=custmer", []string{"Customer 360", "Sales orders"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := alice.get("/" + tt.query)
			require.Equal(t, http.StatusOK, res.Status)
			assert.Equal(t, "ALICE", testid(res.Body, "viewer"))
			var listed []string
			for _, a := range findAll(parseHTML(res.Body), element("h2", "class", "card__title")) {
				listed = append(listed, textOf(a))
			}
			if tt.query == "" {
				assert.ElementsMatch(t, tt.want, listed)
			} else {
				assert.Equal(t, tt.want, listed, "in ranked order")
			}
			assert.Equal(t, strconv.Itoa(len(tt.want))+" of "+strconv.Itoa(len(demo.Products))+" products", testid(res.Body, "result-count"))
			if len(tt.want) == 0 {
				assert.False(t, hasTestid(res.Body, "products"))
				assert.Contains(t, testid(res.Body, "no-match"), "No product matches")
			} else {
				assert.False(t, hasTestid(res.Body, "no-match"))
			}
		})
	}
}

// TestCatalogSearchSaysWhy: a card found by a field it does not show says
// where the search found it, and a search that finds nothing says what was
// searched for and how to widen it.
func TestCatalogSearchSaysWhy(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	alice := s.as("ALICE")

	res := alice.get("/?q=email")
	require.Equal(t, http.StatusOK, res.Status)
	assert.Equal(t, "Matches column EMAIL", shown(find(parseHTML(res.Body), byTestid("found"))))
	assert.Contains(t, testidHTML(res.Body, "found"), "<code>EMAIL</code>")
	assert.Equal(t, "/", labelledHref(res.Body, "Clear the search and filters"))

	res = alice.get("/?q=weber")
	require.Equal(t, http.StatusOK, res.Status)
	assert.Contains(t, testid(res.Body, "products"), "Matches owner Frank Weber (Group finance)")

	res = alice.get("/?q=quantity+sku")
	require.Equal(t, http.StatusOK, res.Status)
	assert.Equal(t, "Matches column QUANTITY, column SKU", shown(find(parseHTML(res.Body), byTestid("found"))))

	res = alice.get("/?q=ledger")
	assert.False(t, hasTestid(res.Body, "found"), "the name shows why")

	res = alice.get("/?q=ledger&tag=gdpr&classification=PII")
	require.Equal(t, http.StatusOK, res.Status)
	assert.Equal(t, "No product matches “ledger” tagged gdpr and classified PII. Try fewer or shorter words, or show all products.",
		shown(find(parseHTML(res.Body), byTestid("no-match"))))
	assert.Equal(t, "/", labelledHref(res.Body, "show all products"))
	assert.Empty(t, labelledHref(res.Body, "Clear the search and filters"), "one way back is enough")

	// Without JavaScript the form is a GET form with a button; the script
	// that applies it as it changes is a deferred file from /static/.
	form := find(parseHTML(res.Body), element("form", "role", "search"))
	require.NotNil(t, form)
	method, _ := attrOf(form, "method")
	assert.Equal(t, "get", method)
	assert.NotNil(t, find(form, element("button", "type", "submit")))
	script := find(parseHTML(res.Body), element("script", "src", "/static/catalog.js"))
	require.NotNil(t, script, "catalog.js is loaded")
	_, deferred := attrOf(script, "defer")
	assert.True(t, deferred)
	js := alice.get("/static/catalog.js")
	assert.Equal(t, http.StatusOK, js.Status)
	assert.Contains(t, js.Header.Get("Content-Type"), "javascript")
}

// TestCatalogPages shows the catalog a page at a time: 50 products make
// three pages of signoff.CatalogPageSize, the pager keeps the filter, and an
// out-of-range page shows the last one.
func TestCatalogPages(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	for i := range 50 - len(demo.Products) {
		require.NoError(t, s.st.CreateProduct(t.Context(), signoff.Product{
			ID: fmt.Sprintf("extra-%02d", i), Name: fmt.Sprintf("Extra product %02d", i), Domain: "Sales",
			Classification: "INTERNAL", Description: "One more product.", Owner: "Olivia Chen", OwnerRole: "DATA_OWNER_SALES",
			AccessRole: fmt.Sprintf("EXTRA_%02d_READ", i), Tags: []string{"extra"},
			Chain: []signoff.ChainStep{{Order: 1, ApproverRole: "LINE_MANAGER", Label: "Line manager"}},
		}))
	}
	alice := s.as("ALICE")
	cards := func(body string) int { return count(body, element("li", "class", "card")) }

	res := alice.get("/")
	require.Equal(t, http.StatusOK, res.Status)
	assert.Equal(t, "50 of 50 products", testid(res.Body, "result-count"))
	assert.Equal(t, signoff.CatalogPageSize, cards(res.Body))
	assert.Equal(t, "Page 1 of 3 Next page", testid(res.Body, "catalog-pages"))
	assert.Equal(t, "/?page=2", href(res.Body, "rel", "next"))

	res = alice.get("/?page=3")
	require.Equal(t, http.StatusOK, res.Status)
	assert.Equal(t, 50-2*signoff.CatalogPageSize, cards(res.Body))
	assert.Equal(t, "Previous page Page 3 of 3", testid(res.Body, "catalog-pages"))
	assert.Equal(t, "/?page=2", href(res.Body, "rel", "prev"))
	assert.Equal(t, res.Body, alice.get("/?page=99").Body, "past the end: the last page")
	assert.Equal(t, res.Body, alice.get("/?page=9223372036854775807").Body, "a huge page number is the last page too")

	// The filter narrows the pages, and the pager keeps it.
	res = alice.get("/?tag=extra&page=2")
	require.Equal(t, http.StatusOK, res.Status)
	extras := 50 - len(demo.Products)
	assert.Equal(t, fmt.Sprintf("%d of 50 products", extras), testid(res.Body, "result-count"))
	assert.Equal(t, extras-signoff.CatalogPageSize, cards(res.Body))
	assert.Equal(t, "/?tag=extra", href(res.Body, "rel", "prev"))
	assert.Equal(t, "Previous page Page 2 of 2", testid(res.Body, "catalog-pages"))

	// A filter that fits one page has no pager.
	res = alice.get("/?classification=FINANCE")
	assert.False(t, hasTestid(res.Body, "catalog-pages"))

}

func TestProductPage(t *testing.T) {
	t.Parallel()
	s := newStack(t)

	res := s.as("ALICE").get("/products/customer-360")
	require.Equal(t, http.StatusOK, res.Status)
	assert.Equal(t, "Line manager → Data owner → Data protection", testid(res.Body, "chain-summary"))
	for _, col := range []string{"CUSTOMER_ID", "FULL_NAME", "EMAIL", "LIFETIME_VALUE_EUR"} {
		assert.Contains(t, res.Body, "<code>"+identHTML(t, col)+"</code>", "column names break only after an underscore")
	}
	assert.Contains(t, res.Body, "Sensitive")
	assert.Contains(t, res.Body, identHTML(t, "CUSTOMER_360_READ"))
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
	s := newStack(t)

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
	s := newStack(t)
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
			table := testidHTML(res.Body, "queue")
			require.NotEmpty(t, table)
			for _, want := range tt.contains {
				// Markup (links) or what the page reads (identifiers with their <wbr>s).
				assert.True(t, strings.Contains(table, want) || strings.Contains(text(table), want),
					"the queue holds %q: %s", want, table)
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
	s := newStack(t)
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
				assert.Equal(t, "2", fieldValue(res.Body, "step"))
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
	s := newStack(t)
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

// TestReadyzAsksTheStore: /readyz is the engine's Ping. An SQLite file
// that is gone is not ready, even though the open database still answers.
func TestReadyzAsksTheStore(t *testing.T) {
	t.Parallel()
	s := newStack(t, fileDB(""), withoutDemo())
	res := s.anon().get("/readyz")
	require.Equal(t, http.StatusOK, res.Status)
	assert.Equal(t, "ready\n", res.Body)

	require.NoError(t, os.Remove(s.path))
	res = s.anon().get("/readyz")
	assert.Equal(t, http.StatusServiceUnavailable, res.Status)
	assert.Equal(t, "store unreachable\n", res.Body)
	assert.Equal(t, http.StatusOK, s.anon().get("/healthz").Status, "liveness does not depend on the store")
}

// TestTimesAreRelative: the request page, My requests and the product page
// say how long ago things happened, counted from the server's clock, with
// the exact time in UTC as each <time>'s title and its machine-readable
// datetime (times.js adds the viewer's own time zone to the title).
func TestTimesAreRelative(t *testing.T) {
	t.Parallel()
	now := time.Now().Add(time.Minute) // the demo's story is counted back from just before
	s := newStack(t, clockAt(now))
	ben := s.as("BEN")
	id := s.requestFor("BEN", "customer-360", signoff.StatusPending)

	// times checks every <time> of a page and returns their texts.
	times := func(t *testing.T, body string) []string {
		t.Helper()
		var texts []string
		for _, n := range findAll(parseHTML(body), element("time")) {
			dt, _ := attrOf(n, "datetime")
			title, _ := attrOf(n, "title")
			at, err := time.Parse(time.RFC3339, dt)
			require.NoError(t, err, "datetime %q", dt)
			assert.Equal(t, at.UTC().Format("2 Jan 2006 15:04 UTC"), title, "the exact time in UTC")
			assert.Equal(t, view.When(at, now), textOf(n), "how long ago (or, for a deadline, how soon), from the server's clock")
			texts = append(texts, textOf(n))
		}
		require.NotEmpty(t, texts)
		return texts
	}

	res := ben.get("/requests/" + id)
	require.Equal(t, http.StatusOK, res.Status)
	times(t, res.Body)
	assert.Contains(t, shown(parseHTML(res.Body)), "Requested by BEN 2 d ago · grants CUSTOMER_360_READ")
	assert.Contains(t, shown(find(parseHTML(res.Body), element("ol", "class", "stepper"))), "MARCO, 44 h ago",
		"the stepper: who decided, and when")
	assert.Contains(t, testid(res.Body, "history"), "44 h ago Step approved step 1 by MARCO")

	res = ben.get("/requests")
	require.Equal(t, http.StatusOK, res.Status)
	assert.Contains(t, times(t, res.Body), "2 d ago")
	assert.Contains(t, shown(find(parseHTML(res.Body), byTestid("my-requests"))), "Requested 2 d ago · for 30 days · "+id)

	res = ben.get("/products/customer-360")
	require.Equal(t, http.StatusOK, res.Status)
	times(t, res.Body)
	assert.Equal(t, "You already have a request for this product: Pending, made 2 d ago",
		shown(find(parseHTML(res.Body), byTestid("open-request"))))

	// The request page says who ran a grant: Signoff, after the approval.
	alice := s.requestFor("ALICE", "supplier-contracts", signoff.StatusGrantFailed)
	res = s.as("ADAM").get("/requests/" + alice)
	require.Equal(t, http.StatusOK, res.Status)
	assert.Contains(t, testid(res.Body, "history"), "Grant failed by Signoff, after FRANK's approval as DATA_OWNER_FINANCE")
	assert.Contains(t, testid(res.Body, "history"), "Chain: Line manager (LINE_MANAGER) → Data owner (DATA_OWNER_FINANCE)",
		"the chain a request was submitted with, in words")

	// Every page loads times.js, deferred, from /static/.
	script := find(parseHTML(res.Body), element("script", "src", "/static/times.js"))
	require.NotNil(t, script)
	_, deferred := attrOf(script, "defer")
	assert.True(t, deferred)
	assert.Equal(t, http.StatusOK, ben.get("/static/times.js").Status)
}

// shown is the text of n as a browser lays out inline text: the text nodes
// as they are, with no space added where a tag was (unlike textOf), and
// white space collapsed. It catches words that run together.
func shown(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := range n.ChildNodes() {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

// TestCatalogMarksWhatTheViewerAskedFor: a product the viewer has an open
// request for says so on its card, with a link to the request; others, and
// other people's catalogs, do not.
func TestCatalogMarksWhatTheViewerAskedFor(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	ben := s.as("BEN") // the demo has his open request for Customer 360
	res := ben.get("/?q=c360")
	require.Equal(t, http.StatusOK, res.Status)
	asked := testidHTML(res.Body, "requested")
	require.NotEmpty(t, asked, "BEN's card for Customer 360 says he asked")
	assert.Contains(t, text(asked), "You asked for this")
	assert.Contains(t, text(asked), "Pending")
	assert.Contains(t, asked, `href="/requests/`)
	res = ben.get("/?q=ledger")
	require.Equal(t, http.StatusOK, res.Status)
	assert.False(t, hasTestid(res.Body, "requested"), "BEN asked for no ledger access")

	res = s.as("ALICE").get("/?q=c360")
	require.Equal(t, http.StatusOK, res.Status)
	assert.False(t, hasTestid(res.Body, "requested"), "ALICE asked for no Customer 360 access")
}
