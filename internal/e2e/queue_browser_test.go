package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/demo"
	"github.com/signoff/signoff/internal/signoff"
)

// seedQueue files requests waiting for MARCO (LINE_MANAGER decides step 1
// of each), submitted some time ago so that the ages differ.
func (b *browserTest) seedQueue() {
	b.t.Helper()
	ctx := b.ctx
	svc := signoff.NewService(b.store.Reads(), b.store)
	now := time.Now()
	for _, q := range []struct {
		user, product, reason string
		ago                   time.Duration
	}{
		{"ERIN", "sales-orders", "Pipeline review for the regional sales team, every Monday with the weekly forecast call.", 4 * 24 * time.Hour},
		{"FELIX", "gl-journal", "Quarter-end close: we reconcile the intercompany accounts line by line against the journal, " +
			"and need the posted lines for every entity in the group, including the eliminations.", 3 * 24 * time.Hour},
		{"GRETA", "supplier-contracts", "Renewal terms for the three logistics suppliers we are renegotiating.", 26 * time.Hour},
		{"HUGO", "sales-orders", "Weekly revenue dashboard for the Benelux country managers.", 5 * time.Hour},
		{"IRIS", "customer-360", "Churn model for the retention squad: lifetime value, support tickets and renewal dates per " +
			"customer, to find the accounts at risk before the spring renewal window.", 40 * time.Minute},
	} {
		require.NoError(b.t, b.store.CreateUser(ctx, q.user, q.user, "browser test"))
		who, err := b.store.Identify(ctx, q.user)
		require.NoError(b.t, err)
		at := now.Add(-q.ago)
		svc.Now = func() time.Time { return at }
		_, err = svc.Submit(ctx, who, q.product, q.reason, demo.DefaultDays(q.product))
		require.NoError(b.t, err)
	}
}

// queueItems returns the queue page's requests as "PRODUCT for REQUESTER".
func (b *browserTest) queueItems() []string {
	b.t.Helper()
	items, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('[data-testid="queue-item"]')]
		.map(tr => tr.querySelector('a').textContent.trim() + ' for ' + tr.querySelector('.ident').textContent.trim())`))
	require.NoError(b.t, err)
	return items
}

// TestQueueInBrowser: MARCO triages his queue: a table at desktop width,
// filters and orders applied with the form's button (no JavaScript), the
// next request after a decision, the empty states, and one card per request
// at phone width with no sideways scrolling and no role name broken inside
// a word; axe finds nothing on any of it.
func TestQueueInBrowser(t *testing.T) {
	b := newBrowserTest(t)
	b.seedQueue()
	b.signIn("MARCO")

	b.open("/queue")
	assert.Equal(t, []string{"Sales orders for ERIN", "General ledger journal for FELIX", "Supplier contracts for GRETA",
		"Sales orders for HUGO", "HR headcount for ALICE", "Customer 360 for IRIS"}, b.queueItems(),
		"longest waiting first (the demo's request reached its step 3 h ago)")
	assert.Equal(t, "4 d", b.text(`[data-testid="queue-item"]:first-child time`))
	title, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](
		`document.querySelector('[data-testid="queue-item"] time').title`))
	require.NoError(t, err)
	assert.Regexp(t, `^\d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2} UTC$`, title, "the absolute time on hover")
	assert.True(t, strings.HasSuffix(b.text(`[data-testid="queue-item"]:nth-child(2) [data-testid="queue-reason"]`), "…"),
		"a long reason is cut")
	display, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](
		`getComputedStyle(document.querySelector('[data-testid="queue-item"]')).display`))
	require.NoError(t, err)
	assert.Equal(t, "table-row", display, "a table at desktop width")
	b.visit("12 queue desktop")

	// Filter and order with the form: select, then Apply.
	b.do(chromedp.SetValue(chromedp.CSS("#product"), "sales-orders"), chromedp.SetValue(chromedp.CSS("#sort"), "newest"))
	b.submit(`[data-testid="queue-filters"] button[type="submit"]`)
	assert.Equal(t, "/queue?as=&product=sales-orders&classification=&sort=newest", b.location())
	assert.Equal(t, []string{"Sales orders for HUGO", "Sales orders for ERIN"}, b.queueItems())
	b.visit("13 queue filtered")

	// After a decision, on to the next request of the same queue.
	b.submit(`[data-testid="queue-item"] a`)
	assert.Contains(t, b.text("h1"), "Sales orders")
	b.do(chromedp.SendKeys(chromedp.CSS("#comment"), "Fine for the dashboard."))
	b.submit("#approve")
	assert.Equal(t, "Approved. Next: Sales orders for ERIN.", b.text(`[data-testid="flash"]`))
	assert.True(t, strings.HasPrefix(b.location(), "/requests/"), b.location())
	b.visit("14 queue next request")
	b.submit("#approve")
	assert.Equal(t, "Approved. Nothing else in your queue matches these filters.", b.text(`[data-testid="flash"]`))
	assert.Contains(t, b.text(`[data-testid="queue-empty"]`), "matches these filters")
	b.visit("15 queue filters match nothing")
	b.submit(`[data-testid="clear-filters"]`)
	assert.Equal(t, "/queue?sort=newest", b.location())
	assert.Len(t, b.queueItems(), 4)

	// Phone width: a card per request, nothing to scroll sideways, and
	// role names whole.
	b.do(chromedp.EmulateViewport(390, 844))
	b.open("/queue")
	require.Len(t, b.queueItems(), 4)
	w, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
	require.NoError(t, err)
	assert.LessOrEqual(t, w, 390, "no horizontal scrolling at phone width")
	display, err = chromedp.Run(b.ctx, chromedp.Evaluate[string](
		`getComputedStyle(document.querySelector('[data-testid="queue-item"]')).display`))
	require.NoError(t, err)
	assert.Equal(t, "block", display, "one card per request")
	b.checkIdents("phone queue") // role and user names break only after an underscore
	labels, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](
		`document.querySelector('[data-testid="queue-item"]').innerText`))
	require.NoError(t, err)
	for _, want := range []string{"Requester:", "Step:", "Waiting at this step:"} {
		assert.Contains(t, labels, want, "a card labels what the table's headers said")
	}
	b.visit("16 queue phone")

	// Empty: nothing waits for HANNAH.
	b.do(chromedp.EmulateViewport(1280, 900))
	b.signIn("HANNAH")
	b.open("/queue")
	assert.Contains(t, b.text(`[data-testid="queue-empty"]`), "Nothing waits for you right now.")
	b.visit("17 queue empty")
}
