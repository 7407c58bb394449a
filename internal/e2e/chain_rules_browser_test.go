package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
)

// TestChainRulesInBrowser: the board KPIs product's page shows the chain a
// request will go through, built from its rules (the owners' step, a
// quorum of two controllers, a step its SOX tag adds) and the account's
// policy, and says which rules do not apply; GRACE finds ALICE's request
// at the second controller's seat, after FRANK took the first.
func TestChainRulesInBrowser(t *testing.T) {
	b := newBrowserTest(t)
	b.signIn("BEN")
	b.open("/products/board-kpis")
	labels := func() []string {
		got, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](
			`[...document.querySelectorAll('[data-testid="chain"] .chain__label')].map(e => e.textContent)`))
		require.NoError(t, err)
		return got
	}
	steps := labels()
	assert.Equal(t, []string{"Product owner", "Finance controllers (1 of 2)", "Finance controllers (2 of 2)", "SOX security review"}, steps)
	assert.Equal(t, "Product owner → Finance controllers (2 approvals) → SOX security review", b.text(`[data-testid="chain-summary"]`))
	b.do(chromedp.Click(chromedp.CSS(`[data-testid="chain-rules"] summary`)))
	rules := oneLine(b.text(`[data-testid="chain-rules"]`))
	assert.Contains(t, rules, "Product owner: the product's owners (DATA_OWNER_SALES); always")
	assert.Contains(t, rules, "Finance controllers: any member of FINANCE_CONTROLLER, 2 different people; always")
	assert.Contains(t, rules, "SOX security review: any member of SECURITY_LEAD; only for products tagged or classified sox: this one is")
	assert.Contains(t, rules, "HR data owner: any member of DATA_OWNER_HR; only for products tagged or classified hr: not this one")
	assert.Contains(t, rules, "Data protection (the account's policy): any member of DPO; only for products tagged or classified PII: not this one")
	b.visit("50 product page, chain built from rules")
	b.checkDark("50 product page, chain built from rules")

	// The policy's step shows where it applies.
	b.open("/products/customer-360")
	assert.Equal(t, []string{"Line manager", "Data owner", "Data protection"}, labels())

	b.signIn("GRACE")
	b.open("/queue")
	assert.Contains(t, b.text(`[data-testid="queue"]`), "Board revenue KPIs")
	b.signIn("FRANK")
	b.open("/queue")
	assert.Contains(t, b.text("main"), "Nothing waits for you right now.", "FRANK took the first controller's seat")
	rs, err := b.store.Reads().Requests(b.ctx, "ALICE", 50)
	require.NoError(t, err)
	for _, r := range rs {
		if r.ProductID == "board-kpis" {
			assert.Equal(t, signoff.StatusPending, r.Status)
			assert.Equal(t, 3, r.CurrentStep)
		}
	}
}
