package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAccessReviewInBrowser: OLIVIA reviews the demo's grants of Sales
// orders: ALICE's, used lately, MARCO's, granted today, and GRACE's, never
// used since it was granted and suggested for revoke. She keeps two and
// revokes the third with a reason (refused first without one); the review
// completes. Every
// state passes axe, in the light and the dark colour scheme.
func TestAccessReviewInBrowser(t *testing.T) {
	b := newBrowserTest(t)
	b.signIn("OLIVIA")
	b.submit(`a[href="/reviews"]`)
	b.visit("review 01 reviews awaiting")
	b.submit(`[data-testid="reviews-awaiting"] a`)
	b.visit("review 02 grants with their use")
	items := b.text(`[data-testid="review-items"]`)
	assert.Contains(t, items, "Never used since the grant.")
	assert.Contains(t, items, "Last used")
	assert.Contains(t, b.text(`[data-testid="idle"]`), "suggested for revoke")
	assert.Contains(t, b.text(`[data-testid="review-progress"]`), "0 of 3 decided")
	for _, scheme := range []string{"dark", "light"} {
		b.do(colorScheme(scheme))
		b.checkA11y("review 02 " + scheme)
	}

	// GRACE's grant (the idle one) without a reason: refused, nothing changes.
	grace := b.itemOf("GRACE")
	b.submit(`#revoke-` + grace)
	assert.Contains(t, b.text(`#note-error-`+grace), "Please say why you revoke this access")
	b.visit("review 03 a revocation needs a reason")

	alice := b.itemOf("ALICE")
	b.submit(`#keep-` + alice)
	assert.Contains(t, b.text(`[data-testid="flash"]`), "Kept")
	assert.Contains(t, b.text(`[data-testid="review-progress"]`), "1 of 3 decided")
	b.submit(`#keep-` + b.itemOf("MARCO"))
	assert.Contains(t, b.text(`[data-testid="review-progress"]`), "2 of 3 decided")
	b.do(chromedp.SetValue(chromedp.CSS(`#note-`+grace), "Not used since the finance review."))
	b.submit(`#revoke-` + grace)
	assert.Contains(t, b.text(`[data-testid="flash"]`), "the review is complete")
	assert.Contains(t, b.text(`[data-testid="review-complete"]`), "Review complete.")
	for _, scheme := range []string{"light", "dark"} {
		b.do(colorScheme(scheme))
		b.visit("review 04 complete " + scheme)
	}
	b.open("/products/sales-orders/reviews")
	assert.Contains(t, b.text(`[data-testid="reviews"]`), "3 of 3 decided")
	for _, scheme := range []string{"dark", "light"} {
		b.do(colorScheme(scheme))
		b.visit("review 05 product reviews " + scheme)
	}
}

// itemOf returns the request ID of requester's grant on the review page.
func (b *browserTest) itemOf(requester string) string {
	b.t.Helper()
	id, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`[...document.querySelectorAll('[data-testid="review-item"]')]
		.find(li => li.querySelector('h2').textContent.includes(`+strconvQuote(requester)+`)).id`))
	require.NoError(b.t, err)
	require.True(b.t, strings.HasPrefix(id, "grant-"), "a grant of %s: %q", requester, id)
	return strings.TrimPrefix(id, "grant-")
}
