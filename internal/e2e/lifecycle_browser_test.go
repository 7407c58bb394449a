package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
)

// The lifecycle in the browser (issue 12): a question and its answer, a
// step that escalates to the fallback approvers when the scheduler runs,
// and time-bound access that expires. axe checks every new state of the
// pages, in the light scheme and, where the new badges show, the dark one.

// checkDark runs axe on the current page in the dark colour scheme too,
// then goes back to light.
func (b *browserTest) checkDark(page string) {
	b.t.Helper()
	b.do(colorScheme("dark"))
	b.checkA11y(page + " (dark)")
	b.do(colorScheme("light"))
}

// oneLine is s with each run of white space, line breaks included, one
// space: the text as a sentence, however the page lays it out.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// TestRequestChangesLoopInBrowser: MARCO asks ALICE a question about her
// HR headcount request; she is told to answer on My requests, answers with
// a new business reason (a first try without an answer is refused, keeping
// what she typed), and MARCO approves the step.
func TestRequestChangesLoopInBrowser(t *testing.T) {
	b := newBrowserTest(t)
	id := b.requestOf("ALICE", "hr-headcount", signoff.StatusPending)
	path := "/requests/" + id

	b.signIn("MARCO")
	b.open(path)
	b.do(chromedp.SendKeys(chromedp.CSS("#comment"), "Which teams, and is grade enough or do you need names?"))
	b.submit("#changes")
	assert.Contains(t, b.text(`[data-testid="flash"]`), "Your question is sent to ALICE.")
	assert.Equal(t, signoff.StatusChangesRequested, b.status(id))
	b.open(path)
	assert.Equal(t, "Changes requested", b.text(`[data-testid="status"]`))
	assert.Contains(t, b.text(`[data-testid="question"]`), "The request waits for ALICE's answer")
	b.visit("40 question asked, approver")
	b.checkDark("40 question asked, approver")

	b.signIn("ALICE")
	b.open("/requests")
	assert.Contains(t, b.text(`[data-testid="answer-cta"]`), "An approver asked a question — answer it")
	b.visit("41 my requests, a question to answer")
	b.checkDark("41 my requests, a question to answer")
	b.submit(`[data-testid="answer-cta"] a`)
	assert.Contains(t, b.text(`[data-testid="question"]`), "Which teams, and is grade enough or do you need names?")
	b.visit("42 question to answer")

	const reason = "Team capacity planning for the growth squads next year: grades per team, no names."
	b.do(chromedp.SendKeys(chromedp.CSS("#new-reason"), reason))
	b.submit("#resubmit")
	assert.Equal(t, "Please answer the approver's question.", b.text("#answer-error"))
	kept, err := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS("#new-reason")))
	require.NoError(t, err)
	assert.Equal(t, reason, kept, "the new reason typed is kept")
	described, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.getElementById('answer').getAttribute('aria-describedby')`))
	require.NoError(t, err)
	assert.Equal(t, "answer-error", described)
	assert.Equal(t, signoff.StatusChangesRequested, b.status(id), "nothing changed")
	b.visit("43 answer missing")

	b.do(chromedp.SendKeys(chromedp.CSS("#answer"), "The four growth squads; grades are enough."))
	b.submit("#resubmit")
	assert.Equal(t, "Your answer is sent; the request is back with its approvers.", b.text(`[data-testid="flash"]`))
	assert.Equal(t, "Pending", b.text(`[data-testid="status"]`))
	assert.Equal(t, reason, b.text(`[data-testid="reason"]`))
	history := oneLine(b.text(`[data-testid="history"]`))
	assert.Contains(t, history, "Answer: The four growth squads; grades are enough.")
	assert.Contains(t, history, "Reason changed to: "+reason)
	b.visit("44 answered")

	b.signIn("MARCO")
	b.open("/queue")
	b.do(chromedp.WaitVisible(chromedp.CSS(`a[href^="` + path + `"]`)))
	b.open(path)
	b.submit("#approve")
	r, _, _, err := b.store.Reads().RequestDetail(b.ctx, id)
	require.NoError(t, err)
	assert.Equal(t, signoff.StatusPending, r.Status)
	assert.Equal(t, 2, r.CurrentStep, "on to the data owner")
	assert.Equal(t, "MARCO", r.Steps[0].DecidedBy)
}

// TestEscalationInBrowser: BEN's payroll detail request reaches its
// compensation committee step, whose role nobody holds. Until the
// scheduler runs it is in no queue; then it goes to data governance, and
// VERA finds it in hers, marked, and approves it.
func TestEscalationInBrowser(t *testing.T) {
	b := newBrowserTest(t)
	ctx := b.ctx
	ben, err := b.store.Identify(ctx, "BEN")
	require.NoError(t, err)
	o, err := b.svc.Submit(ctx, ben, "payroll-detail", "Pay band audit for the finance team's annual salary review.", 7)
	require.NoError(t, err)
	id, path := o.RequestID, "/requests/"+o.RequestID
	for _, user := range []string{"MARCO", "HANNAH"} {
		who, err := b.store.Identify(ctx, user)
		require.NoError(t, err)
		_, err = b.svc.Decide(ctx, who, id, signoff.DecisionInput{Decision: signoff.DecisionApprove})
		require.NoError(t, err, user)
	}

	b.signIn("BEN")
	b.open(path)
	assert.Contains(t, b.text(`[data-testid="blocked"]`), "Step 3 (Compensation committee) goes to its fallback approvers.")
	b.signIn("VERA")
	b.open("/queue")
	queue := b.text(`[data-testid="queue"]`)
	assert.NotContains(t, queue, "Pay band audit", "not hers before the scheduler runs")

	rep, err := b.svc.Sweep(ctx)
	require.NoError(t, err)
	require.Positive(t, rep.Done[signoff.DueEscalateStep])

	b.open("/queue")
	var row string
	rows, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('[data-testid="queue-item"]')].map(tr => tr.innerText)`))
	require.NoError(t, err)
	for _, r := range rows {
		if strings.Contains(r, "Pay band audit") {
			row = r
		}
	}
	require.NotEmpty(t, row, "in VERA's queue once escalated")
	assert.Contains(t, row, "Escalated to you as DATA_GOVERNANCE")
	b.visit("45 queue with an escalated step")
	b.checkDark("45 queue with an escalated step")

	b.open(path)
	assert.Equal(t, "Escalated to DATA_GOVERNANCE: Nobody who may decide this step can: it went to the fallback role.",
		b.text(`[data-testid="escalated"]`))
	assert.Contains(t, b.text(`[data-testid="decision"]`), "as DATA_GOVERNANCE")
	assert.Contains(t, b.text(`[data-testid="history"]`), "Step escalated step 3 by Signoff (scheduled)")
	b.visit("46 escalated step, fallback approver")
	b.submit("#approve")
	assert.Equal(t, signoff.StatusPending, b.status(id), "on to the chain policy's data protection step (payroll is PII)")

	b.signIn("AUDREY")
	b.open("/audit?type=STEP_ESCALATED")
	assert.Contains(t, b.text(`[data-testid="audit"] tbody tr`), "Signoff (scheduled)")
	b.visit("47 audit, an escalation")
}

// TestExpiryInBrowser: BEN asks for a week of web traffic, OLIVIA approves,
// and he holds the role until the week is over; a week and a day later the
// scheduler ends the access: the request reads Expired, the role is gone
// and the history says Signoff took it back.
func TestExpiryInBrowser(t *testing.T) {
	b := newBrowserTest(t)
	b.signIn("BEN")
	b.open("/products/web-traffic-daily")
	assert.Contains(t, b.text(`[data-testid="lifecycle"]`), "7 days, 30 days, 90 days or permanent")
	b.visit("48 product, durations and fallback")
	b.do(chromedp.SendKeys(chromedp.CSS("#reason"), "Channel mix for the November board deck, one week."),
		chromedp.SetValue(chromedp.CSS("#days"), "7"))
	b.submit(`form[action$="/requests"] button[type="submit"]`)
	assert.Equal(t, "for 7 days", b.text(`[data-testid="duration"]`))
	path := b.location()
	id := strings.TrimPrefix(path, "/requests/")

	b.signIn("OLIVIA")
	b.open(path)
	b.submit("#approve")
	require.Equal(t, signoff.StatusGranted, b.status(id))

	b.signIn("BEN")
	b.open(path)
	assert.Regexp(t, `^access until .+ UTC, in (6|7) d$`, b.text(`[data-testid="duration"]`))
	ben, err := b.store.Identify(b.ctx, "BEN")
	require.NoError(t, err)
	require.True(t, ben.HasRole("WEB_TRAFFIC_READ"))
	b.visit("49 granted for a week")

	b.clock.advance(8 * 24 * time.Hour)
	rep, err := b.svc.Sweep(b.ctx)
	require.NoError(t, err)
	require.Positive(t, rep.Done[signoff.DueExpireAccess])

	b.signIn("BEN") // the week-old session has ended
	b.open(path)
	assert.Equal(t, "Expired", b.text(`[data-testid="status"]`))
	assert.Regexp(t, `^access expired \d+ (h|d) ago$`, b.text(`[data-testid="duration"]`))
	assert.Contains(t, oneLine(b.text(`[data-testid="history"]`)),
		"Access expired by Signoff (scheduled) The time-bound access ended, so Signoff took the role back.")
	roles, err := chromedp.Run(b.ctx, chromedp.TextContent(chromedp.CSS(`[data-testid="roles-in-session"]`)))
	require.NoError(t, err)
	assert.NotContains(t, roles, "WEB_TRAFFIC_READ", "the role is gone from the session")
	ben, err = b.store.Identify(b.ctx, "BEN")
	require.NoError(t, err)
	assert.False(t, ben.HasRole("WEB_TRAFFIC_READ"), "and from the account")
	b.visit("50 access expired")
	b.checkDark("50 access expired")

	b.open("/requests")
	b.visit("51 my requests, expired")
}
