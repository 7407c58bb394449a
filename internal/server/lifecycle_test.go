package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/signoff/signoff/internal/signoff"
)

// The lifecycle's actions through the HTTP layer on the full stack: an
// approver's question and the requester's answer (POST /requests/{id}/resubmit),
// and approvals for a shorter time (days). Each refusal changes nothing
// and shows what was typed again.

// askedQuestion is ALICE's Customer 360 request (30 days) after MARCO
// asked her a question at step 1.
const aliceQuestion = "Which squads will use the lifetime value, and for how long?"

func askedQuestion(t *testing.T, s *stack) string {
	t.Helper()
	id := playCustomer360(t, s, "ALICE")
	_, err := s.svc.Decide(t.Context(), s.identity("MARCO"), id,
		signoff.DecisionInput{Decision: signoff.DecisionChanges, Comment: aliceQuestion})
	require.NoError(t, err)
	require.Equal(t, signoff.StatusChangesRequested, s.request(id).Status)
	return id
}

// resubmit posts an answer on request id.
func resubmit(c *client, id, answer, reason string) response {
	c.t.Helper()
	return c.post("/requests/"+id+"/resubmit", url.Values{"answer": {answer}, "reason": {reason}})
}

func TestAskAQuestion(t *testing.T) {
	t.Parallel()
	s := newStack(t, fromTemplate(matrixDB))
	id := playCustomer360(t, s, "ALICE")
	marco := s.as("MARCO")

	t.Run("a question needs words", func(t *testing.T) {
		before := s.snapshot()
		res := decide(marco, id, url.Values{"decision": {"changes"}, "step": {"1"}, "comment": {" \u200b "}})
		require.Equal(t, http.StatusUnprocessableEntity, res.Status)
		assert.Contains(t, testid(res.Body, "decision"), "Please ask your question: the requester answers it before the step goes on.")
		assert.Equal(t, "comment-error", attrValue(res.Body, "textarea", "id", "comment", "aria-describedby"))
		assert.Equal(t, before, s.snapshot(), "nothing changed")
	})

	t.Run("the question goes to the requester", func(t *testing.T) {
		res := decide(marco, id, url.Values{"decision": {"changes"}, "step": {"1"}, "comment": {aliceQuestion}})
		page, _ := marco.followAll(res)
		assert.Equal(t, "Your question is sent to ALICE. The request waits for the answer, then comes back to this step.",
			strings.SplitN(testid(page.Body, "flash"), " Next:", 2)[0])
		r := s.request(id)
		assert.Equal(t, signoff.StatusChangesRequested, r.Status)
		assert.Equal(t, 1, r.CurrentStep, "the step stays open")
		assert.Equal(t, signoff.DecisionNone, r.Steps[0].Decision)
		assert.NotContains(t, marco.get("/queue").Body, id, "not in the queue while it waits on the requester")
	})

	t.Run("the requester is asked to answer", func(t *testing.T) {
		alice := s.as("ALICE")
		res := alice.get("/requests")
		require.Equal(t, http.StatusOK, res.Status)
		cta := testidHTML(res.Body, "answer-cta")
		assert.Contains(t, text(cta), "An approver asked a question — answer it")
		assert.Contains(t, cta, `href="/requests/`+id+`#question"`)

		res = alice.get("/requests/" + id)
		assert.Equal(t, "Changes requested", testid(res.Body, "status"))
		assert.Contains(t, testid(res.Body, "question"), aliceQuestion)
		assert.True(t, hasTestid(res.Body, "question"))
		_, ok := field(res.Body, "answer")
		assert.True(t, ok, "the answer form")
		assert.Contains(t, shown(find(parseHTML(res.Body), element("ol", "class", "stepper"))),
			"Asked the requester a question; waiting for the answer")
		assert.Contains(t, testid(res.Body, "history"), "Question: "+aliceQuestion)
	})

	t.Run("the approver sees it waiting, without a form to answer", func(t *testing.T) {
		res := marco.get("/requests/" + id)
		assert.Contains(t, testid(res.Body, "question"), "The request waits for ALICE's answer, then returns to the Line manager step.")
		_, ok := field(res.Body, "answer")
		assert.False(t, ok)
		assert.False(t, hasTestid(res.Body, "decision"), "nothing to decide while it waits")
	})
}

func TestResubmit(t *testing.T) {
	t.Parallel()

	t.Run("only the requester may answer", func(t *testing.T) {
		t.Parallel()
		s := newStack(t, fromTemplate(matrixDB))
		id := askedQuestion(t, s)
		for _, user := range []string{"MARCO", "OLIVIA", "ADAM", "AUDREY", "NOEL"} {
			before := s.snapshot()
			res := resubmit(s.as(user), id, "An answer from someone else.", "")
			assert.Equal(t, http.StatusForbidden, res.Status, user)
			assert.True(t, hasTestid(res.Body, "error"), user)
			assert.Equal(t, before, s.snapshot(), "%s changed nothing", user)
		}
		res := resubmit(s.anon(), id, "An answer from nobody.", "")
		assert.Equal(t, http.StatusUnauthorized, res.Status)
	})

	t.Run("only while the request waits for the answer", func(t *testing.T) {
		t.Parallel()
		s := newStack(t, fromTemplate(matrixDB))
		id := playCustomer360(t, s, "ALICE", "MARCO") // pending at step 2, nothing asked
		before := s.snapshot()
		res := resubmit(s.as("ALICE"), id, "Nobody asked, but here is an answer.", "")
		require.Equal(t, http.StatusConflict, res.Status)
		assert.Contains(t, text(res.Body), "This request is pending, so that is no longer possible.")
		assert.Equal(t, before, s.snapshot())
	})

	t.Run("problems come back with what was typed", func(t *testing.T) {
		t.Parallel()
		s := newStack(t, fromTemplate(matrixDB))
		id := askedQuestion(t, s)
		alice := s.as("ALICE")
		for _, tc := range []struct {
			name, answer, reason, field, problem string
		}{
			{"no answer", " ", "The retention squad only; for the Q4 churn model.", "answer", "Please answer the approver's question."},
			{"a new reason that is too short", "The retention squad, for the quarter.", "Churn.", "reason", "at least 20 characters"},
			{"a new reason with a bidirectional control", "The retention squad.", "For the churn model \u202e of the retention squad.", "reason", "changes the order in which text is displayed"},
			{"an answer too long", strings.Repeat("a", 1001), "", "answer", "The answer is too long"},
		} {
			before := s.snapshot()
			res := resubmit(alice, id, tc.answer, tc.reason)
			require.Equal(t, http.StatusUnprocessableEntity, res.Status, tc.name)
			errID := map[string]string{"answer": "answer-error", "reason": "new-reason-error"}[tc.field]
			control := map[string]string{"answer": "answer", "reason": "new-reason"}[tc.field]
			assert.Contains(t, testidOrID(res.Body, errID), tc.problem, tc.name)
			assert.Equal(t, errID, attrValue(res.Body, "textarea", "id", control, "aria-describedby"), tc.name)
			assert.Equal(t, tc.answer, fieldValue(res.Body, "answer"), "%s: the answer typed is kept", tc.name)
			assert.Equal(t, tc.reason, textareaValue(res.Body, "new-reason"), "%s: the reason typed is kept", tc.name)
			assert.False(t, hasTestid(res.Body, "form-problems"), "%s: the problem shows once, at its field", tc.name)
			assert.Equal(t, before, s.snapshot(), "%s: nothing changed", tc.name)
		}
	})

	t.Run("the answer alone keeps the reason", func(t *testing.T) {
		t.Parallel()
		s := newStack(t, fromTemplate(matrixDB))
		id := askedQuestion(t, s)
		alice := s.as("ALICE")
		res := resubmit(alice, id, "The retention squad only, for the Q4 churn model.", "")
		page := alice.follow(res)
		assert.Equal(t, "Your answer is sent; the request is back with its approvers.", testid(page.Body, "flash"))
		r := s.request(id)
		assert.Equal(t, signoff.StatusPending, r.Status)
		assert.Equal(t, 1, r.CurrentStep, "back at the step that asked")
		assert.Equal(t, goodReason, r.Reason)
		history := testid(page.Body, "history")
		assert.Contains(t, history, "Answer: The retention squad only, for the Q4 churn model.")
		assert.NotContains(t, history, "Reason changed")
		assert.Contains(t, s.as("MARCO").get("/queue").Body, id, "back in the approver's queue")
	})

	t.Run("a new reason replaces the old one and the history says so", func(t *testing.T) {
		t.Parallel()
		s := newStack(t, fromTemplate(matrixDB))
		id := askedQuestion(t, s)
		alice := s.as("ALICE")
		const reason = "Churn model of the retention squad for Q4: lifetime value per customer key, no names."
		page := alice.follow(resubmit(alice, id, "Only the retention squad, for Q4.", "  "+reason+"\n"))
		assert.Equal(t, reason, s.request(id).Reason)
		assert.Equal(t, reason, testid(page.Body, "reason"))
		assert.Contains(t, testid(page.Body, "history"), "Reason changed to: "+reason)
		// The approver then decides as usual.
		res := decide(s.as("MARCO"), id, url.Values{"decision": {"approve"}, "step": {"1"}})
		require.Equal(t, http.StatusSeeOther, res.Status)
		assert.Equal(t, 2, s.request(id).CurrentStep)
	})
}

func TestApproveForShorter(t *testing.T) {
	t.Parallel()

	t.Run("an approval may shorten the access", func(t *testing.T) {
		t.Parallel()
		s := newStack(t, fromTemplate(matrixDB))
		id := playCustomer360(t, s, "ALICE") // 30 days
		marco := s.as("MARCO")
		page := marco.get("/requests/" + id)
		assert.Equal(t, "0", fieldValue(page.Body, "days"), "as asked, unless the approver chooses")
		assert.Equal(t, "days-hint", attrValue(page.Body, "select", "id", "days", "aria-describedby"))
		res := decide(marco, id, url.Values{"decision": {"approve"}, "step": {"1"}, "days": {"7"}})
		require.Equal(t, http.StatusSeeOther, res.Status)
		r := s.request(id)
		assert.Equal(t, 7, r.DurationDays)
		assert.Equal(t, 30, r.AskedDays)
		assert.Equal(t, 7, r.Steps[0].ApprovedDays)
		page = s.as("ALICE").get("/requests/" + id)
		assert.Equal(t, "for 7 days (asked for 30 days)", testid(page.Body, "duration"))
		assert.Contains(t, shown(find(parseHTML(page.Body), element("ol", "class", "stepper"))), "Approved for a shorter time: 7 days")
		assert.Contains(t, testid(page.Body, "history"), "Approved for a shorter time: 7 days.")
	})

	t.Run("never for longer (DURATION_LONGER)", func(t *testing.T) {
		t.Parallel()
		s := newStack(t, fromTemplate(matrixDB))
		id := playCustomer360(t, s, "ALICE") // 30 days; the product offers 90
		before := s.snapshot()
		res := decide(s.as("MARCO"), id, url.Values{"decision": {"approve"}, "step": {"1"}, "days": {"90"}, "comment": {"Fine."}})
		require.Equal(t, http.StatusUnprocessableEntity, res.Status)
		const sentence = "The request asks for 30 days; you may approve it for that or shorter, not longer."
		assert.Equal(t, sentence, testidOrID(res.Body, "days-error"))
		assert.Equal(t, "days-error days-hint", attrValue(res.Body, "select", "id", "days", "aria-describedby"))
		assert.Equal(t, "Fine.", fieldValue(res.Body, "comment"), "the comment is kept")
		assert.Equal(t, before, s.snapshot(), "nothing changed")
	})

	t.Run("not with a rejection or a question", func(t *testing.T) {
		t.Parallel()
		s := newStack(t, fromTemplate(matrixDB))
		id := playCustomer360(t, s, "ALICE")
		marco := s.as("MARCO")
		for _, form := range []url.Values{
			{"decision": {"reject"}, "step": {"1"}, "days": {"7"}, "comment": {"Not needed."}},
			{"decision": {"reject"}, "step": {"1"}, "days": {"7"}, "comment": {"Not needed."}, "confirm": {"1"}},
			{"decision": {"changes"}, "step": {"1"}, "days": {"7"}, "comment": {"Which squads?"}},
		} {
			before := s.snapshot()
			res := decide(marco, id, form)
			require.Equal(t, http.StatusUnprocessableEntity, res.Status, form.Encode())
			assert.False(t, hasTestid(res.Body, "confirm"), "no confirmation of a decision that cannot be made")
			assert.Contains(t, testidOrID(res.Body, "days-error"), "Only an approval can shorten the access.")
			assert.Equal(t, "7", fieldValue(res.Body, "days"), "the choice is kept, with its problem")
			assert.Equal(t, form.Get("comment"), fieldValue(res.Body, "comment"))
			assert.Equal(t, before, s.snapshot(), "nothing changed")
		}
	})

	t.Run("a duration that is not a number", func(t *testing.T) {
		t.Parallel()
		s := newStack(t, fromTemplate(matrixDB))
		id := playCustomer360(t, s, "ALICE")
		before := s.snapshot()
		for _, days := range []string{"seven", "-7", "99999", "7.5"} {
			res := decide(s.as("MARCO"), id, url.Values{"decision": {"approve"}, "step": {"1"}, "days": {days}})
			assert.Equal(t, http.StatusUnprocessableEntity, res.Status, days)
			assert.Contains(t, testidOrID(res.Body, "days-error"), "Choose one of the durations offered.", days)
		}
		assert.Equal(t, before, s.snapshot())
	})
}

// attrValue returns attribute want of the first tag element whose
// attribute name is value, or "".
func attrValue(body, tag, name, value, want string) string {
	n := find(parseHTML(body), element(tag, name, value))
	if n == nil {
		return ""
	}
	v, _ := attrOf(n, want)
	return v
}

// testidOrID returns the text of the element with id, or else the one
// marked data-testid=id.
func testidOrID(body, id string) string {
	if n := find(parseHTML(body), element("", "id", id)); n != nil {
		return textOf(n)
	}
	return testid(body, id)
}

// textareaValue returns the text of the textarea with id, as sent.
func textareaValue(body, id string) string {
	n := find(parseHTML(body), element("textarea", "id", id))
	if n == nil {
		return ""
	}
	var b strings.Builder
	for c := range n.ChildNodes() {
		b.WriteString(c.Data)
	}
	return b.String()
}

// TestLifecyclePages reads the demo's lifecycle stories as people see
// them: an escalated step, expired access, the chain's deadlines and
// fallback, and the scheduler's events, which read as Signoff's.
func TestLifecyclePages(t *testing.T) {
	t.Parallel()
	s := newStack(t, fromTemplate(matrixDB))
	payroll := s.requestFor("ALICE", "payroll-detail", signoff.StatusPending)

	t.Run("an escalated step says where it went and why", func(t *testing.T) {
		res := s.as("ALICE").get("/requests/" + payroll)
		require.Equal(t, http.StatusOK, res.Status)
		assert.Equal(t, "Escalated to DATA_GOVERNANCE: "+signoff.EscalationWhy("blocked"),
			shown(find(parseHTML(res.Body), byTestid("escalated"))))
		history := shown(find(parseHTML(res.Body), byTestid("history")))
		assert.Contains(t, history, "Step escalated step 3 by "+"Signoff (scheduled)")
		assert.Contains(t, history, "Escalated to DATA_GOVERNANCE: its members may now decide the step.")
		assert.NotContains(t, history, signoff.SystemActor, "the scheduler's account name is not shown")
	})

	t.Run("the fallback approvers' queue marks it", func(t *testing.T) {
		for _, user := range []string{"VERA", "ADAM"} {
			res := s.as(user).get("/queue")
			require.Equal(t, http.StatusOK, res.Status)
			var row string
			for _, n := range findAll(parseHTML(res.Body), byTestid("queue-item")) {
				if strings.Contains(testidHTMLNode(n), payroll) {
					row = textOf(n)
				}
			}
			require.NotEmpty(t, row, "%s sees the escalated step", user)
			assert.Contains(t, row, "Escalated to you as DATA_GOVERNANCE", user)
		}
		// Acting as the step's own role would not show it; as the fallback
		// role it does, marked.
		res := s.as("VERA").get("/queue?as=DATA_GOVERNANCE")
		assert.Contains(t, testid(res.Body, "escalated"), "Escalated to you as DATA_GOVERNANCE")
		// MARCO's queue has no escalated step: nothing is marked.
		assert.False(t, hasTestid(s.as("MARCO").get("/queue").Body, "escalated"))
	})

	t.Run("expired access on My requests and its page", func(t *testing.T) {
		ben := s.as("BEN")
		id := s.requestFor("BEN", "web-traffic-daily", signoff.StatusExpired)
		res := ben.get("/requests")
		var item string
		for _, n := range findAll(parseHTML(res.Body), element("li", "class", "request-item")) {
			if strings.Contains(testidHTMLNode(n), id) {
				item = textOf(n)
			}
		}
		assert.Contains(t, item, "Expired")
		assert.Regexp(t, `access expired \d+ d ago`, item)
		res = ben.get("/requests/" + id)
		assert.Equal(t, "Expired", testid(res.Body, "status"))
		assert.Contains(t, testid(res.Body, "history"),
			"Access expired by Signoff (scheduled) The time-bound access ended, so Signoff took the role back.")
	})

	t.Run("the product page says the chain's deadlines, fallback and durations", func(t *testing.T) {
		res := s.as("BEN").get("/products/payroll-detail")
		chain := testid(res.Body, "chain")
		assert.Contains(t, chain, "Line manager LINE_MANAGER decides within 2 days")
		assert.Equal(t, "7 days or 30 days", testid(res.Body, "durations"))
		assert.Contains(t, testid(res.Body, "fallback"), "DATA_GOVERNANCE decide a step nobody else can")
		assert.Contains(t, testid(res.Body, "lifecycle"), "up to 30 days, then the request expires")
	})

	t.Run("the audit log names the scheduler as Signoff", func(t *testing.T) {
		res := s.as("AUDREY").get("/audit?type=STEP_ESCALATED")
		require.Equal(t, http.StatusOK, res.Status)
		row := textOf(find(parseHTML(res.Body), element("tbody")))
		assert.Contains(t, row, "Signoff (scheduled)")
		assert.Contains(t, row, "Why: "+signoff.EscalationWhy("blocked"))
		csv := s.as("AUDREY").get("/audit?format=csv&type=STEP_ESCALATED")
		assert.Contains(t, csv.Body, signoff.SystemActor, "the export keeps the actor as recorded")
	})
}

// testidHTMLNode renders n as HTML, for assertions about its links.
func testidHTMLNode(n *html.Node) string {
	var b strings.Builder
	if err := html.Render(&b, n); err != nil {
		panic(err)
	}
	return b.String()
}

// TestExtend: the requester of granted, time-bound access asks to extend it
// from its page; the extension is a new request linked to it, through the
// product's last step only where the product says so; nobody else may, and
// problems come back at the extension's form with what was typed.
func TestExtend(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	granted := s.requestFor("ALICE", "sales-orders", signoff.StatusGranted) // 30 days; extensions: the data owner only
	page := "/requests/" + granted

	res := s.as("ALICE").get(page)
	require.Equal(t, http.StatusOK, res.Status)
	require.True(t, hasTestid(res.Body, "extend"), "the requester may ask to extend")
	assert.Contains(t, testid(res.Body, "extend"), "only the last step of the chain decides it")
	for _, user := range []string{"OLIVIA", "ADAM"} {
		assert.False(t, hasTestid(s.as(user).get(page).Body, "extend"), "%s does not extend ALICE's access", user)
	}

	extend := func(c *client, reason, days string) response {
		return c.post(page+"/extend", url.Values{"product": {"sales-orders"}, "reason": {reason}, "days": {days}})
	}
	before := s.snapshot()
	res = extend(s.as("ALICE"), "Short.", "30")
	require.Equal(t, http.StatusUnprocessableEntity, res.Status)
	form := text(testidHTML(res.Body, "extend"))
	assert.Contains(t, form, "at least 20 characters", "at the extension's form")
	assert.Contains(t, res.Body, `aria-describedby="extend-reason-error"`)
	assert.Contains(t, res.Body, ">Short.</textarea>", "what was typed comes back")
	res = extend(s.as("ALICE"), "The Q4 review runs into January; same order lines.", "5")
	require.Equal(t, http.StatusUnprocessableEntity, res.Status)
	assert.Contains(t, text(testidHTML(res.Body, "extend")), "Choose one of the durations offered.")
	res = extend(s.as("BEN"), "Ben would like Alice's access to last longer.", "30")
	assert.Equal(t, http.StatusUnprocessableEntity, res.Status)
	assert.Contains(t, text(res.Body), "Only your own granted, time-bound access")
	assert.Equal(t, before, s.snapshot(), "refusals change nothing")

	alice := s.as("ALICE")
	res = extend(alice, "The Q4 review runs into January; same order lines.", "30")
	require.Equal(t, http.StatusSeeOther, res.Status, text(res.Body))
	id := strings.TrimPrefix(res.Location, "/requests/")
	res = alice.get(res.Location)
	assert.Contains(t, text(res.Body), "your access stays meanwhile", "the flash says so")
	assert.Contains(t, res.Body, `href="/requests/`+granted+`"`, "the extension links to the access it extends")
	r, _, evs, err := s.st.Reads().RequestDetail(t.Context(), id)
	require.NoError(t, err)
	assert.Equal(t, granted, r.Extends)
	assert.Equal(t, 1, r.StepCount, "the data owner's step only")
	assert.Contains(t, evs[0].Details, "extends="+granted+";", "the link is in the audit log")
	old, _, _, err := s.st.Reads().RequestDetail(t.Context(), granted)
	require.NoError(t, err)
	assert.Equal(t, signoff.StatusGranted, old.Status, "the access stays")
}
