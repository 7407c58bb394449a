package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/demo"
	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlite"
	"github.com/signoff/signoff/web/view"
)

// queued is a request the queue tests add to the demo: by user (created if
// the demo has no such persona), for product, with reason.
type queued struct{ user, product, reason string }

// longReason is a business reason longer than the queue's excerpt.
const longReason = "Quarterly churn model for the growth squad: we need lifetime value, support history and " +
	"renewal dates per customer to find the accounts at risk before the renewal window closes in spring."

// MARCO's queue (LINE_MANAGER decides step 1 of all of these) after the
// demo's own request (HR headcount for ALICE, the oldest), in this order.
var marcoQueue = []queued{
	{"ERIN", "sales-orders", "Pipeline review for the regional sales team,\n\nevery Monday."},
	{"FELIX", "gl-journal", longReason},
	{"GRETA", "supplier-contracts", "Renewal terms for the three logistics suppliers we are renegotiating."},
	{"HUGO", "sales-orders", "Weekly revenue dashboard for the Benelux country managers."},
}

// submitAll files each request in order, through the stack's service.
func submitAll(ctx context.Context, st *sqlite.Store, svc *signoff.Service, rs []queued) error {
	for _, q := range rs {
		if _, err := st.Identify(ctx, q.user); err != nil {
			if err := st.CreateUser(ctx, q.user, q.user, "queue test"); err != nil {
				return err
			}
		}
		who, err := st.Identify(ctx, q.user)
		if err != nil {
			return err
		}
		if _, err := svc.Submit(ctx, who, q.product, q.reason, demo.DefaultDays(q.product)); err != nil {
			return fmt.Errorf("%s requests %s: %w", q.user, q.product, err)
		}
	}
	return nil
}

// queueStack is the demo with marcoQueue added.
func queueStack(t *testing.T) *stack {
	s := newStack(t)
	require.NoError(t, submitAll(t.Context(), s.st, s.svc, marcoQueue))
	return s
}

// queueItems returns the queue page's requests as "PRODUCT for REQUESTER",
// in order, and their links.
func queueItems(t *testing.T, body string) (items, hrefs []string) {
	t.Helper()
	for _, row := range findAll(parseHTML(body), byTestid("queue-item")) {
		a := find(row, element("a"))
		require.NotNil(t, a)
		h, _ := attrOf(a, "href")
		hrefs = append(hrefs, h)
		req := textOf(find(row, element("span", "class", "ident")))
		items = append(items, textOf(a)+" for "+req)
	}
	return items, hrefs
}

// TestQueueShowsWhatApproversTriageBy: each request with the start of its
// reason, its requester, its product and classification, its step and how
// long it has waited there, oldest first.
func TestQueueShowsWhatApproversTriageBy(t *testing.T) {
	t.Parallel()
	s := queueStack(t)
	res := s.as("MARCO").get("/queue")
	require.Equal(t, http.StatusOK, res.Status)
	items, _ := queueItems(t, res.Body)
	assert.Equal(t, []string{"HR headcount for ALICE", "Sales orders for ERIN", "General ledger journal for FELIX",
		"Supplier contracts for GRETA", "Sales orders for HUGO"}, items, "longest waiting first")

	table := testidHTML(res.Body, "queue")
	assert.Contains(t, table, `<th scope="col">Waiting at this step</th>`, "the age says what it counts from")
	assert.Contains(t, testid(res.Body, "queue-note"), "counts from when the request reached its current step")
	rows := findAll(parseHTML(res.Body), byTestid("queue-item"))
	require.Len(t, rows, 5)
	felix := textOf(rows[2])
	for _, want := range []string{"General ledger journal", "FINANCE", "FELIX", "Line manager", "(step 1 of 4)", "LINE_MANAGER"} {
		assert.Contains(t, felix, want)
	}
	reason := testid(testidHTML(res.Body, "queue"), "queue-reason")
	assert.Equal(t, "Team capacity planning for the growth squads next year.", reason, "a short reason whole")
	excerpt := textOf(find(rows[2], byTestid("queue-reason")))
	want, cut := view.ReasonExcerpt(longReason, view.ReasonExcerptLength)
	require.True(t, cut)
	assert.Equal(t, want, excerpt, "a long reason cut")
	assert.True(t, strings.HasSuffix(excerpt, "…"))
	assert.True(t, strings.HasPrefix(longReason, strings.TrimSuffix(excerpt, "…")), "cut at a word: %q", excerpt)
	assert.Equal(t, "Pipeline review for the regional sales team, every Monday.", textOf(find(rows[1], byTestid("queue-reason"))),
		"line breaks are one space")
	tm := find(rows[1], element("time"))
	require.NotNil(t, tm)
	title, _ := attrOf(tm, "title")
	assert.Regexp(t, `^\d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2} UTC$`, title, "the absolute time on hover")
	assert.Equal(t, "< 1 min", textOf(tm), "an age")
	assert.Equal(t, "5", headerCount(res.Body), "the header counts the first page of the whole queue")

	// Each link opens the request as acting as said, and nothing else
	// when the queue is neither filtered nor sorted otherwise.
	_, hrefs := queueItems(t, s.as("OLIVIA").get("/queue?as=DATA_OWNER_SALES").Body)
	require.Len(t, hrefs, 1)
	assert.Regexp(t, `^/requests/[0-9A-Z]{26}\?as=DATA_OWNER_SALES$`, hrefs[0])
}

// TestQueueFiltersAndOrders: the product and classification filters and
// the orders, in a plain GET form, and their empty state.
func TestQueueFiltersAndOrders(t *testing.T) {
	t.Parallel()
	s := queueStack(t)
	marco := s.as("MARCO")
	for _, tt := range []struct {
		query string
		want  []string
	}{
		{"", []string{"HR headcount for ALICE", "Sales orders for ERIN", "General ledger journal for FELIX",
			"Supplier contracts for GRETA", "Sales orders for HUGO"}},
		{"sort=oldest", []string{"HR headcount for ALICE", "Sales orders for ERIN", "General ledger journal for FELIX",
			"Supplier contracts for GRETA", "Sales orders for HUGO"}},
		{"sort=newest", []string{"Sales orders for HUGO", "Supplier contracts for GRETA", "General ledger journal for FELIX",
			"Sales orders for ERIN", "HR headcount for ALICE"}},
		{"sort=product", []string{"General ledger journal for FELIX", "HR headcount for ALICE", "Sales orders for ERIN",
			"Sales orders for HUGO", "Supplier contracts for GRETA"}},
		{"product=sales-orders", []string{"Sales orders for ERIN", "Sales orders for HUGO"}},
		{"product=sales-orders&sort=newest", []string{"Sales orders for HUGO", "Sales orders for ERIN"}},
		{"classification=PII", []string{"HR headcount for ALICE"}},
		{"classification=INTERNAL&sort=product", []string{"Sales orders for ERIN", "Sales orders for HUGO"}},
		{"as=LINE_MANAGER&classification=CONFIDENTIAL", []string{"Supplier contracts for GRETA"}},
	} {
		t.Run(tt.query, func(t *testing.T) {
			res := marco.get("/queue?" + tt.query)
			require.Equal(t, http.StatusOK, res.Status, text(res.Body))
			items, hrefs := queueItems(t, res.Body)
			assert.Equal(t, tt.want, items)

			// The form shows the choices made, and the links carry them
			// to the request page (for the next request after a decision).
			q, _ := url.ParseQuery(tt.query)
			for _, name := range []string{"as", "product", "classification"} {
				assert.Equal(t, q.Get(name), fieldValue(res.Body, name), name)
			}
			sort := cmpOr(q.Get("sort"), "oldest")
			assert.Equal(t, sort, fieldValue(res.Body, "sort"))
			in := signoff.QueueInput{ProductID: q.Get("product"), Classification: q.Get("classification"),
				Sort: signoff.QueueSort(sort), ActingAs: q.Get("as")}
			for _, h := range hrefs {
				u, err := url.Parse(h)
				require.NoError(t, err)
				assert.Equal(t, view.QueueContext(in), u.Query().Get("queue"), h)
			}
			if in.Filtered() || in.ActingAs != "" {
				assert.Empty(t, headerCount(res.Body), "a filtered queue is not the header's count")
			}
		})
	}

	t.Run("the filters offer the products of the viewer's steps", func(t *testing.T) {
		body := marco.get("/queue").Body
		var options []string
		for _, o := range findAll(find(parseHTML(body), element("select", "name", "product")), element("option")) {
			options = append(options, textOf(o))
		}
		assert.Equal(t, []string{"All products", "Customer 360 (PII)", "General ledger journal (FINANCE)", "HR headcount (PII)",
			"Payroll detail (PII)", "Sales orders (INTERNAL)", "Supplier contracts (CONFIDENTIAL)"}, options)
		form := find(parseHTML(body), byTestid("queue-filters"))
		method, _ := attrOf(form, "method")
		action, _ := attrOf(form, "action")
		assert.Equal(t, "get", method, "the filters work without JavaScript")
		assert.Equal(t, "/queue", action)
		assert.NotNil(t, find(form, element("button", "type", "submit")), "an Apply button")
	})

	t.Run("filters that match nothing say so and offer to clear them", func(t *testing.T) {
		res := marco.get("/queue?as=LINE_MANAGER&product=customer-360&sort=newest")
		require.Equal(t, http.StatusOK, res.Status)
		assert.False(t, hasTestid(res.Body, "queue"))
		assert.Contains(t, testid(res.Body, "queue-empty"), "No request waiting for you as LINE_MANAGER matches these filters.")
		assert.Equal(t, "/queue?as=LINE_MANAGER&sort=newest", href(res.Body, "data-testid", "clear-filters"),
			"clearing keeps acting as and the order")
	})

	t.Run("an empty queue says when requests appear", func(t *testing.T) {
		res := s.as("HANNAH").get("/queue")
		require.Equal(t, http.StatusOK, res.Status)
		empty := testid(res.Body, "queue-empty")
		assert.Contains(t, empty, "Nothing waits for you right now.")
		assert.Contains(t, empty, "A request appears here when it reaches a step keyed to one of your approver roles (DATA_OWNER_HR)")
		assert.False(t, hasTestid(res.Body, "clear-filters"))
	})
}

// TestQueueRefusesBadParameters: every parameter is checked, and a bad one
// is a 422 that says what is wrong, never a silently different queue.
func TestQueueRefusesBadParameters(t *testing.T) {
	t.Parallel()
	s := queueStack(t)
	marco := s.as("MARCO")
	for _, tt := range []struct{ query, message string }{
		{"sort=cheapest", `The queue cannot be sorted that way. Sort it by "oldest", "newest", "product".`},
		{"sort=" + url.QueryEscape("<script>x</script>"), "cannot be sorted that way"},
		{"after=not-a-cursor", "The page link is malformed"},
		{"after=" + url.QueryEscape("' OR 1=1 --"), "The page link is malformed"},
		{"after=" + signoff.QueueKey{Sort: signoff.QueueNewest, RequestID: "01ARZ3NDEKTSV4RRFFQ69G5FAV"}.String(),
			"belongs to another order of the queue"},
		{"product=no-such-product", "No product with a step you approve has that ID."},
		{"product=web-traffic-daily", "No product with a step you approve has that ID."}, // a product, but not one of MARCO's steps
		{"classification=PUBLIC", "No product with a step you approve has that classification."},
		{"product=" + strings.Repeat("x", 300), "longer than any product"},
		{"next=yes", "next parameter can only be 1"},
	} {
		t.Run(tt.query, func(t *testing.T) {
			res := marco.get("/queue?" + tt.query)
			assert.Equal(t, http.StatusUnprocessableEntity, res.Status)
			assert.Contains(t, testid(res.Body, "error"), tt.message)
			assert.NotContains(t, res.Body, "<script>x")
		})
	}
	res := marco.get("/queue?as=DPO")
	assert.Equal(t, http.StatusForbidden, res.Status, "acting as a role not held")
	res = s.as("NOEL").get("/queue?product=sales-orders")
	assert.Equal(t, http.StatusUnprocessableEntity, res.Status, "no approver roles: nothing to filter")
}

// TestQueuePagesByKeyset: a page holds QueueLimit requests; the next page
// continues after the last one's key, and the pages together are the whole
// queue, each request once.
func TestQueuePagesByKeyset(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	ctx := t.Context()
	var extra []queued
	for i := range signoff.QueueLimit + 3 {
		extra = append(extra, queued{fmt.Sprintf("EXTRA%02d", i), "sales-orders", "Quarterly pipeline review for the regional team."})
	}
	require.NoError(t, submitAll(ctx, s.st, s.svc, extra))
	marco := s.as("MARCO")
	for _, sort := range []string{"oldest", "newest", "product"} {
		t.Run(sort, func(t *testing.T) {
			res := marco.get("/queue?sort=" + sort)
			require.Equal(t, http.StatusOK, res.Status)
			page1, _ := queueItems(t, res.Body)
			assert.Len(t, page1, signoff.QueueLimit, "a page")
			assert.Empty(t, labelledHref(res.Body, "First page"), "the first page")
			next := href(res.Body, "rel", "next")
			require.NotEmpty(t, next, "more than a page")
			u, err := url.Parse(next)
			require.NoError(t, err)
			assert.Equal(t, "/queue", u.Path)
			assert.NotEmpty(t, u.Query().Get("after"))
			if sort != "oldest" {
				assert.Equal(t, sort, u.Query().Get("sort"), "the order goes on")
			}

			res = marco.get(next)
			require.Equal(t, http.StatusOK, res.Status)
			page2, _ := queueItems(t, res.Body)
			assert.Len(t, page2, 4, "the rest: the demo's one and 53 more")
			assert.Empty(t, href(res.Body, "rel", "next"), "the last page")
			assert.Equal(t, "/queue"+map[string]string{"oldest": "", "newest": "?sort=newest", "product": "?sort=product"}[sort],
				labelledHref(res.Body, "First page"))

			all := append(slices.Clone(page1), page2...)
			assert.Len(t, all, signoff.QueueLimit+4)
			_, h1 := queueItems(t, marco.get("/queue?sort="+sort).Body)
			_, h2 := queueItems(t, res.Body)
			ids := append(slices.Clone(h1), h2...)
			slices.Sort(ids)
			assert.Len(t, slices.Compact(ids), signoff.QueueLimit+4, "each request once")
		})
	}
}

// TestDecisionGoesOnToTheNextRequest: after a decision the approver lands
// on the next request of the queue they came from, after the one decided
// (with its filters, order and acting as), told what their decision did and
// what is next; at the end they go round to the requests they skipped, and
// when nothing is left they see the queue saying so.
func TestDecisionGoesOnToTheNextRequest(t *testing.T) {
	t.Parallel()
	s := queueStack(t)
	marco := s.as("MARCO")

	// open returns the request page a queue link leads to.
	open := func(t *testing.T, c *client, link string) response {
		t.Helper()
		page := c.get(link)
		require.Equal(t, http.StatusOK, page.Status)
		require.True(t, hasTestid(page.Body, "decision"))
		return page
	}
	// decideOn posts a decision from page, served at link, as its form
	// would, and follows the redirects; it returns where MARCO lands and
	// the flash there.
	decideOn := func(t *testing.T, c *client, link string, page response, decision string) (response, string, string) {
		t.Helper()
		form := url.Values{"decision": {decision}, "step": {fieldValue(page.Body, "step")}, "comment": {"Checked."},
			"queue": {fieldValue(page.Body, "queue")}}
		if v, ok := field(page.Body, "acting_as"); ok {
			form.Set("acting_as", v)
		}
		res := decide(c, idOf(link), form)
		if decision == "reject" {
			// Asked once: the confirmation carries the queue on.
			require.Equal(t, http.StatusOK, res.Status, text(res.Body))
			assert.Equal(t, form.Get("queue"), fieldValue(res.Body, "queue"), "the confirmation keeps the queue")
			form.Set("confirm", "1")
			res = decide(c, idOf(link), form)
		}
		require.Equal(t, http.StatusSeeOther, res.Status, text(res.Body))
		landed, path := c.followAll(res)
		require.Equal(t, http.StatusOK, landed.Status)
		return landed, path, testid(landed.Body, "flash")
	}
	heading := func(body string) string { return textOf(find(parseHTML(body), element("h1"))) }

	queue := marco.get("/queue")
	items, hrefs := queueItems(t, queue.Body)
	require.Len(t, items, 5)

	// MARCO skips the first two and approves the third.
	page, path, flash := decideOn(t, marco, hrefs[2], open(t, marco, hrefs[2]), "approve")
	assert.Equal(t, "Approved. Next: Supplier contracts for GRETA.", flash)
	assert.Equal(t, hrefs[3], path, "the request after the one decided")
	assert.Equal(t, "Supplier contracts", heading(page.Body))

	page, path, flash = decideOn(t, marco, path, page, "reject")
	assert.Equal(t, "Rejected. Next: Sales orders for HUGO.", flash)

	// At the end of the queue, round to the ones skipped.
	page, path, flash = decideOn(t, marco, path, page, "approve")
	assert.Equal(t, "Approved. Next: HR headcount for ALICE.", flash)
	assert.Equal(t, hrefs[0], path)

	page, path, flash = decideOn(t, marco, path, page, "approve")
	assert.Equal(t, "Approved. Next: Sales orders for ERIN.", flash)

	// The last one: the queue, saying it is empty.
	page, path, flash = decideOn(t, marco, path, page, "approve")
	assert.Equal(t, "Approved. Your queue is empty.", flash)
	assert.True(t, strings.HasPrefix(path, "/queue?"), path)
	assert.Contains(t, testid(page.Body, "queue-empty"), "Nothing waits for you right now.")
	assert.False(t, hasTestid(marco.get(path).Body, "flash"), "a reload says nothing more")

	t.Run("within the queue's filters, order and acting as", func(t *testing.T) {
		s := queueStack(t)
		require.NoError(t, submitAll(t.Context(), s.st, s.svc, []queued{{"IRIS", "sales-orders", "Territory planning for next year."}}))
		marco := s.as("MARCO")
		_, hrefs := queueItems(t, marco.get("/queue?as=LINE_MANAGER&product=sales-orders&sort=newest").Body)
		require.Len(t, hrefs, 3) // IRIS, HUGO, ERIN
		assert.Contains(t, hrefs[0], "as=LINE_MANAGER")

		page, path, flash := decideOn(t, marco, hrefs[0], open(t, marco, hrefs[0]), "approve")
		assert.Equal(t, "Approved. Next: Sales orders for HUGO.", flash, "newest first, sales orders only")
		assert.Equal(t, hrefs[1], path, "acting as and the queue's context carried on")

		page, path, flash = decideOn(t, marco, path, page, "approve")
		assert.Equal(t, "Approved. Next: Sales orders for ERIN.", flash)

		page, _, flash = decideOn(t, marco, path, page, "approve")
		assert.Equal(t, "Approved. Nothing else in your queue matches these filters.", flash)
		assert.Equal(t, "/queue?as=LINE_MANAGER&sort=newest", href(page.Body, "data-testid", "clear-filters"))
		items, _ := queueItems(t, marco.get("/queue").Body)
		assert.Len(t, items, 3, "the rest of the queue is still there")
	})

	t.Run("a decision form with a bad queue context still decides", func(t *testing.T) {
		s := queueStack(t)
		marco := s.as("MARCO")
		_, hrefs := queueItems(t, marco.get("/queue").Body)
		page := open(t, marco, hrefs[0]+"?queue="+url.QueryEscape("sort=cheapest&product=x"))
		assert.Equal(t, view.QueueContext(signoff.QueueInput{After: signoff.QueueKeyOf(
			s.request(idOf(hrefs[0])), signoff.QueueOldest).String()}), fieldValue(page.Body, "queue"),
			"the bad context is dropped; the request's own place stays")
		res := decide(marco, idOf(hrefs[0]), url.Values{"decision": {"approve"},
			"queue": {"after=forged&sort=cheapest"}})
		require.Equal(t, http.StatusSeeOther, res.Status)
		assert.Equal(t, "/queue?next=1", res.Location, "a forged context is dropped: on to the first of the queue")
	})
}

// TestQueueQueryReachesTheWorkflow: the queue's parameters reach the
// workflow as they were sent (it checks them), and next is 1 or absent.
func TestQueueQueryReachesTheWorkflow(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	c := s.as("OLIVIA")
	for _, tt := range []struct {
		query string
		want  signoff.QueueInput
	}{
		{"", signoff.QueueInput{}},
		{"as=DPO&product=p&classification=PII&sort=newest&after=abc",
			signoff.QueueInput{ActingAs: "DPO", ProductID: "p", Classification: "PII", Sort: signoff.QueueNewest, After: "abc"}},
		{"next=1", signoff.QueueInput{Next: true}},
		{"unknown=ignored", signoff.QueueInput{}},
	} {
		res, calls := s.wf.during(func() response { return c.get("/queue?" + tt.query) })
		require.Equal(t, http.StatusOK, res.Status, tt.query)
		q := callsTo(calls, "Queue")
		require.Len(t, q, 1)
		assert.Equal(t, []any{tt.want}, q[0].Args, tt.query)
	}
	res, calls := s.wf.during(func() response { return c.get("/queue?next=2") })
	assert.Equal(t, http.StatusUnprocessableEntity, res.Status)
	assert.Empty(t, callsTo(calls, "Queue"))
}

// idOf is the ID of the request a link leads to.
func idOf(link string) string {
	return strings.TrimPrefix(strings.SplitN(link, "?", 2)[0], "/requests/")
}

// headerCount is the count beside Approvals in the header, "" if none.
func headerCount(body string) string {
	if n := find(parseHTML(body), element("span", "class", "count")); n != nil {
		return textOf(n)
	}
	return ""
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
