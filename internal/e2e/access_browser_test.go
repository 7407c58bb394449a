package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"

	"github.com/signoff/signoff/internal/signoff"
)

// TestAccessPageRevokeInBrowser: OLIVIA, the owner of Sales orders, opens
// who has access from the product page, sees the demo's three grants,
// tries to revoke MARCO's without a reason (the browser's required field
// stops it; the server would too), gives one, is asked to confirm,
// cancels, confirms, and lands on the access page again with two grants
// left. axe checks each page in the light and the dark scheme.
func TestAccessPageRevokeInBrowser(t *testing.T) {
	b := newBrowserTest(t)
	id := b.requestOf("MARCO", "sales-orders", signoff.StatusGranted)
	const access = "/products/sales-orders/access"

	b.signIn("OLIVIA")
	b.open("/products/sales-orders")
	b.submit(`[data-testid="who-has-access"]`)
	assert.Equal(t, access, b.location())
	rows := b.rows()
	assert.Len(t, rows, 3, "ALICE's, MARCO's and GRACE's grants")
	assert.Contains(t, oneLine(b.text(`tr[data-request="`+id+`"]`)), "MARCO")
	b.visit("60 who has access")
	b.checkDark("60 who has access")

	// Without a reason the browser does not send the form: required.
	b.do(chromedp.Click(chromedp.CSS("#revoke-" + id)))
	assert.Equal(t, access, b.location(), "nothing was sent")
	valid, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.getElementById('revoke-reason-`+id+`').checkValidity()`))
	assert.NoError(t, err)
	assert.False(t, valid, "the reason is required")

	b.do(chromedp.SendKeys(chromedp.CSS("#revoke-reason-"+id), "Pipeline review moved to the BI team."))
	b.submit("#revoke-" + id)
	assert.Equal(t, "Revoke this access?", b.text(`[data-testid="confirm"] h1`))
	assert.Contains(t, b.text(`[data-testid="confirm-quote"]`), "Pipeline review moved to the BI team.")
	assert.Equal(t, signoff.StatusGranted, b.status(id), "asking changed nothing")
	b.visit("61 revoke from who has access, confirmation")
	b.checkDark("61 revoke from who has access, confirmation")

	b.submit("#cancel")
	assert.Equal(t, access, b.location(), "Cancel goes back to who has access")
	assert.Equal(t, signoff.StatusGranted, b.status(id))

	b.do(chromedp.SendKeys(chromedp.CSS("#revoke-reason-"+id), "Pipeline review moved to the BI team."))
	b.submit("#revoke-" + id)
	b.submit("#confirm-revoke")
	assert.Equal(t, access, b.location(), "back to who has access")
	assert.Contains(t, b.text(`[data-testid="flash"]`), "Access revoked")
	assert.Equal(t, signoff.StatusRevoked, b.status(id))
	assert.Len(t, b.rows(), 2)
	b.visit("62 who has access, after revoking")
	b.checkDark("62 who has access, after revoking")
}

// TestGrantPreviewInBrowser: DANA decides the last step of BEN's HR
// headcount request and sees what approving grants before she does: the
// GRANT statement, to whom, for how long and until when; the button says
// it grants. axe checks the page in both schemes.
func TestGrantPreviewInBrowser(t *testing.T) {
	b := newBrowserTest(t)
	id := b.requestOf("BEN", "hr-headcount", signoff.StatusPending)
	b.signIn("DANA")
	b.open("/requests/" + id)
	assert.Equal(t, `GRANT ROLE "HR_HEADCOUNT_READ" TO USER "BEN"`, b.text(`[data-testid="grant-statement"]`))
	assert.Contains(t, oneLine(b.text(`[data-testid="preview-duration"]`)), "30 days")
	assert.Equal(t, "Approve and grant", oneLine(b.text("#approve")))
	b.visit("63 grant preview")
	b.checkDark("63 grant preview")

	b.submit("#approve")
	assert.Equal(t, signoff.StatusGranted, b.status(id))

	// The inspection pages list it.
	b.signIn("AUDREY")
	b.open("/admin/grants?by=user&user=BEN")
	assert.Contains(t, b.rows(), id)
	b.visit("64 active grants by user")
	b.checkDark("64 active grants by user")
	b.open("/admin/requests?product=hr-headcount")
	assert.Contains(t, b.rows(), id)
	b.visit("65 all requests")
	b.checkDark("65 all requests")
}

// rows returns the request IDs of the current page's table rows.
func (b *browserTest) rows() []string {
	b.t.Helper()
	ids, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll('tr[data-request]')).map(tr => tr.dataset.request)`))
	if err != nil {
		b.t.Fatal(err)
	}
	return ids
}
