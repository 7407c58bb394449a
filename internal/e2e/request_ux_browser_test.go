package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
)

// requestOf returns the ID of requester's request for product in status.
func (b *browserTest) requestOf(requester, product string, status signoff.Status) string {
	b.t.Helper()
	rs, err := b.store.Reads().Requests(context.Background(), requester, 100)
	require.NoError(b.t, err)
	for _, r := range rs {
		if r.ProductID == product && r.Status == status {
			return r.ID
		}
	}
	b.t.Fatalf("no %s request by %s for %s", status, requester, product)
	return ""
}

// status returns the request's status in the store.
func (b *browserTest) status(id string) signoff.Status {
	b.t.Helper()
	r, _, _, err := b.store.Reads().RequestDetail(context.Background(), id)
	require.NoError(b.t, err)
	return r.Status
}

// TestWithdrawAsksFirstInBrowser walks a withdrawal with its confirmation,
// without JavaScript's help: the first click only asks, Cancel leaves the
// request as it was, and the confirmation's button withdraws.
func TestWithdrawAsksFirstInBrowser(t *testing.T) {
	b := newBrowserTest(t)
	id := b.requestOf("ALICE", "hr-headcount", signoff.StatusPending)
	b.signIn("ALICE")
	b.open("/requests/" + id)

	b.submit("#withdraw")
	assert.Equal(t, "Withdraw your request?", b.text(`[data-testid="confirm"] h1`))
	assert.Contains(t, b.text(`[data-testid="confirm-question"]`), "Withdraw your request for HR headcount?")
	assert.Equal(t, signoff.StatusPending, b.status(id), "asking changed nothing")
	b.visit("20 withdraw confirmation")

	b.submit("#cancel")
	assert.Equal(t, "/requests/"+id, b.location(), "Cancel goes back to the request")
	assert.Equal(t, "Pending", b.text(`[data-testid="status"]`))
	assert.Equal(t, signoff.StatusPending, b.status(id), "cancelling changed nothing")

	b.submit("#withdraw")
	b.submit("#confirm-withdraw")
	assert.Equal(t, "You withdrew the request.", b.text(`[data-testid="flash"]`))
	assert.Equal(t, "Withdrawn", b.text(`[data-testid="status"]`))
	assert.Equal(t, signoff.StatusWithdrawn, b.status(id))
	b.visit("21 withdrawn")
}

// TestRaceKeepsTheCommentInBrowser: SAM (who holds DPO through the role
// hierarchy) opens BEN's request at its data protection step and types a
// comment; DANA approves the step first. SAM's approval comes back as the
// request page (409) under a banner naming DANA's decision, with SAM's
// comment kept to copy.
func TestRaceKeepsTheCommentInBrowser(t *testing.T) {
	b := newBrowserTest(t)
	id := b.requestOf("BEN", "hr-headcount", signoff.StatusPending)
	b.signIn("SAM")
	b.open("/requests/" + id)
	assert.Contains(t, b.text(`[data-testid="decision"] h2`), "Data protection")
	const comment = "Grades are fine for the cost model; salaries stay out."
	b.do(chromedp.SendKeys(chromedp.CSS("#comment"), comment))

	// Meanwhile DANA decides the step.
	dana, err := b.store.Identify(b.ctx, "DANA")
	require.NoError(t, err)
	svc := signoff.NewService(b.store.Reads(), b.store)
	_, err = svc.Decide(b.ctx, dana, id, signoff.DecisionInput{Decision: signoff.DecisionApprove, Step: 3,
		Comment: "Approved for the 2027 budget."})
	require.NoError(t, err)

	b.submit("#approve")
	banner := b.text(`[data-testid="conflict"]`)
	assert.Contains(t, banner, "Someone got there first")
	assert.Contains(t, banner, "The Data protection step was already approved by DANA. Nothing was changed.")
	decided := b.text(`[data-testid="conflict-decision"]`)
	assert.True(t, strings.HasPrefix(decided, "DANA approved the Data protection step"), decided)
	assert.Contains(t, decided, "as DPO")
	assert.Contains(t, decided, "Approved for the 2027 budget.")
	kept, err := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS(`[data-testid="kept-comment"]`)))
	require.NoError(t, err)
	assert.Equal(t, comment, kept, "SAM's comment is kept")
	assert.Equal(t, "Granted", b.text(`[data-testid="status"]`), "the request as it now is")
	b.visit("22 race lost comment kept")
}

// TestRequesterPagesInBrowser photographs and checks what a requester now
// reads: My requests with each request's last decision and the grant
// notes, a granted request's "using your access", a failed grant explained,
// and the catalog marking what they hold.
func TestRequesterPagesInBrowser(t *testing.T) {
	b := newBrowserTest(t)
	b.signIn("ALICE")
	b.open("/requests")
	assert.Contains(t, b.text(`[data-testid="grant-note"]`), "Snowflake refused the grant")
	assert.Contains(t, b.text(`[data-testid="use-access"]`), "USE ROLE SALES_ORDERS_READ;")
	b.visit("23 my requests with notes")

	b.open("/requests/" + b.requestOf("ALICE", "sales-orders", signoff.StatusGranted))
	assert.Contains(t, b.text(`[data-testid="use-access"]`), "USE SECONDARY ROLES ALL;")
	b.visit("24 granted using your access")

	b.open("/requests/" + b.requestOf("ALICE", "supplier-contracts", signoff.StatusGrantFailed))
	assert.Contains(t, b.text(`[data-testid="grant-note"]`), "Signoff's admins see this request")
	b.visit("25 grant failed explained")

	b.open("/")
	assert.Contains(t, b.text(`[data-testid="held"]`), "SALES_ORDERS_READ")
	b.visit("26 catalog marks access held")

	// An approver acting as a role that does not fit is offered the one
	// that does.
	b.signIn("SAM")
	id := b.requestOf("BEN", "hr-headcount", signoff.StatusPending)
	b.open("/requests/" + id + "?as=SECURITY_LEAD")
	assert.Contains(t, b.text(`[data-testid="decide-blocked"]`), "you are acting as SECURITY_LEAD")
	b.visit("27 acting as the wrong role")
	b.submit(`[data-testid="decide-as"]`)
	assert.Contains(t, b.text(`[data-testid="decision"]`), "as DPO")

	// A rejection asks first, showing the comment.
	b.do(chromedp.SendKeys(chromedp.CSS("#comment"), "Salary bands are out of scope for this budget."))
	b.submit("#reject")
	assert.Equal(t, "Salary bands are out of scope for this budget.", b.text(`[data-testid="confirm-quote"]`))
	b.visit("28 reject confirmation")
	b.submit("#cancel")
	comment, err := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS("#comment")))
	require.NoError(t, err)
	assert.Equal(t, "Salary bands are out of scope for this budget.", comment, "Cancel keeps the comment")
	assert.Equal(t, signoff.StatusPending, b.status(id))
}
