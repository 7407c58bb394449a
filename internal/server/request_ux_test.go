package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
)

// The request pages after a race, an acting-as mistake or an action that
// cannot be undone, and what they tell a requester (issue 14).

// TestDecisionRaceKeepsTheComment: when someone else decided the step
// first, the approver gets the request page as it now is (409), under a
// banner saying who decided what and when, with the comment they typed
// kept: in the decision form when they may decide the step the request is
// now at, read only beside the banner when not. Nothing changes.
func TestDecisionRaceKeepsTheComment(t *testing.T) {
	t.Parallel()
	s := newStack(t, fromTemplate(matrixDB))
	const typed = "Checked the columns <b>twice</b>; fine for the churn model."

	t.Run("the request moved to a step the approver may not decide", func(t *testing.T) {
		id := playCustomer360(t, s, "ALICE")
		marco := s.as("MARCO")
		require.True(t, hasTestid(marco.get("/requests/"+id).Body, "decision"), "MARCO sees the form for step 1")
		// DUO, who also holds LINE_MANAGER, approves step 1 first.
		_, err := s.svc.Decide(context.Background(), s.identity(duoUser), id,
			signoff.DecisionInput{Decision: signoff.DecisionReject, Comment: "Use the aggregated product.", Step: 1})
		require.NoError(t, err)

		for _, form := range []url.Values{
			{"decision": {"approve"}, "step": {"1"}, "comment": {typed}},
			{"decision": {"reject"}, "step": {"1"}, "comment": {typed}, "confirm": {"1"}},
			{"decision": {"reject"}, "step": {"1"}, "comment": {typed}}, // asking finds the race too
		} {
			before := s.snapshot()
			res := decide(marco, id, form)
			require.Equal(t, http.StatusConflict, res.Status, "%v: %s", form, text(res.Body))
			assert.Equal(t, before, s.snapshot(), "nothing changed")
			assert.False(t, hasTestid(res.Body, "error"), "the request page, not the error page")
			assert.Equal(t, "Rejected", testid(res.Body, "status"), "the request as it now is")
			banner := testid(res.Body, "conflict")
			assert.Contains(t, banner, "Someone got there first")
			assert.Contains(t, banner, "The Line manager step was already rejected by DUO. Nothing was changed.")
			assert.Regexp(t, `^DUO rejected the Line manager step (just now|.+ ago) as LINE_MANAGER, commenting: Use the aggregated product\.$`,
				testid(res.Body, "conflict-decision"), "who decided what, when and with which role")
			assert.Equal(t, typed, testid(res.Body, "kept-comment"), "the comment typed is kept, as text")
			assert.Contains(t, res.Body, ">Checked the columns &lt;b&gt;twice&lt;/b&gt;; fine for the churn model.</textarea>", "escaped")
			assert.False(t, hasTestid(res.Body, "decision"), "no form to decide with")
		}
	})

	t.Run("the request moved to a step the approver may decide", func(t *testing.T) {
		id := playCustomer360(t, s, "NOEL")
		duo := s.as(duoUser)
		require.True(t, hasTestid(duo.get("/requests/"+id).Body, "decision"), "DUO sees the form for step 1")
		_, err := s.svc.Decide(context.Background(), s.identity("MARCO"), id,
			signoff.DecisionInput{Decision: signoff.DecisionApprove, Comment: "Fine.", Step: 1})
		require.NoError(t, err)

		before := s.snapshot()
		res := decide(duo, id, url.Values{"decision": {"approve"}, "step": {"1"}, "comment": {typed}})
		require.Equal(t, http.StatusConflict, res.Status, text(res.Body))
		assert.Equal(t, before, s.snapshot(), "nothing changed")
		assert.Contains(t, testid(res.Body, "conflict"), "The Line manager step was already approved by MARCO.")
		assert.Contains(t, testid(res.Body, "conflict-decision"), "MARCO approved the Line manager step")
		assert.Contains(t, testid(res.Body, "conflict"), "Your comment is kept in the form below")
		assert.Contains(t, testid(res.Body, "decision"), "Your decision: Data owner", "DUO may decide step 2 now")
		assert.Equal(t, typed, fieldValue(res.Body, "comment"), "the comment typed is in the form")
		assert.Equal(t, "2", fieldValue(res.Body, "step"), "the form is for the step the request is now at")
		assert.False(t, hasTestid(res.Body, "kept-comment"))
	})

	t.Run("the request ended another way", func(t *testing.T) {
		id := playCustomer360(t, s, "ALICE")
		require.NoError(t, s.svc.Withdraw(context.Background(), s.identity("ALICE"), id))
		res := decide(s.as("MARCO"), id, url.Values{"decision": {"approve"}, "step": {"1"}, "comment": {typed}})
		require.Equal(t, http.StatusConflict, res.Status)
		assert.Contains(t, testid(res.Body, "conflict"), "This request is already withdrawn.")
		assert.Regexp(t, `^Last change: Request withdrawn by ALICE (just now|.+ ago)$`, testid(res.Body, "conflict-decision"))
		assert.Equal(t, typed, testid(res.Body, "kept-comment"))
	})
}

// TestActingAsOffersTheRoleHeld: when the acting-as choice is all that
// stands in the way, the request page says so and links to deciding as the
// role the viewer holds; a POST refused for it comes back to that page with
// the comment kept. The requester is never told they cannot decide.
func TestActingAsOffersTheRoleHeld(t *testing.T) {
	t.Parallel()
	s := newStack(t, fromTemplate(matrixDB))
	id := playCustomer360(t, s, "ALICE") // at step 1: LINE_MANAGER
	path := "/requests/" + id

	for _, tt := range []struct {
		user, as, blocked, link string
	}{
		{duoUser, "DATA_OWNER_SALES", "The Line manager step needs the LINE_MANAGER role; you are acting as DATA_OWNER_SALES.",
			path + "?as=LINE_MANAGER"},
		{"MARCO", "DPO", "You chose to act as DPO, but that role is not in your session.", path + "?as=LINE_MANAGER"},
		{"OLIVIA", "DATA_OWNER_SALES", "The Line manager step needs the LINE_MANAGER role; you are acting as DATA_OWNER_SALES.", ""},
	} {
		t.Run(tt.user+" acting as "+tt.as, func(t *testing.T) {
			c := s.as(tt.user)
			page := c.get(path + "?as=" + tt.as)
			require.Equal(t, http.StatusOK, page.Status)
			assert.Contains(t, testid(page.Body, "decide-blocked"), tt.blocked)
			assert.False(t, hasTestid(page.Body, "decision"))
			assert.Equal(t, tt.link, href(page.Body, "data-testid", "decide-as"))
			if tt.link == "" {
				return
			}
			assert.Equal(t, "You hold LINE_MANAGER: decide as that role", testid(page.Body, "decide-as"))
			following := c.get(tt.link)
			assert.Contains(t, testid(following.Body, "decision"), "as LINE_MANAGER", "the link leads to the form")
			assert.Equal(t, "LINE_MANAGER", fieldValue(following.Body, "acting_as"))

			before := s.snapshot()
			res := decide(c, id, url.Values{"decision": {"approve"}, "step": {"1"}, "acting_as": {tt.as}, "comment": {"Fine by me."}})
			require.Equal(t, http.StatusForbidden, res.Status)
			assert.Equal(t, before, s.snapshot(), "nothing changed")
			assert.Contains(t, testid(res.Body, "decide-blocked"), tt.blocked)
			assert.Equal(t, tt.link, href(res.Body, "data-testid", "decide-as"))
			assert.Equal(t, "Fine by me.", testid(res.Body, "kept-comment"))
		})
	}

	t.Run("the requester is not told", func(t *testing.T) {
		own := playCustomer360(t, s, "MARCO") // MARCO holds the step's role
		marco := s.as("MARCO")
		for _, q := range []string{"", "?as=LINE_MANAGER", "?as=DPO"} {
			page := marco.get("/requests/" + own + q)
			require.Equal(t, http.StatusOK, page.Status)
			assert.False(t, hasTestid(page.Body, "decide-blocked"), q)
			assert.False(t, hasTestid(page.Body, "decision"), q)
			assert.NotContains(t, text(page.Body), "cannot decide", q)
		}
		// The rule itself stands.
		res := decide(marco, own, url.Values{"decision": {"approve"}, "step": {"1"}})
		assert.Equal(t, http.StatusForbidden, res.Status)
		assert.Contains(t, text(res.Body), "You made this request, so you cannot decide any of its steps.")
	})
}

// TestConfirmations: withdrawing, rejecting and revoking ask once, without
// JavaScript. The first POST shows what will happen and carries the form's
// values, changing nothing; Cancel changes nothing and keeps what was
// typed; confirm=1 acts. Approving asks nothing.
func TestConfirmations(t *testing.T) {
	t.Parallel()
	s := newStack(t, fromTemplate(matrixDB))

	// ask posts form as c, expects the confirmation and that nothing
	// changed, and returns it.
	ask := func(t *testing.T, c *client, path string, form url.Values) response {
		t.Helper()
		before := s.snapshot()
		res := c.post(path, form)
		require.Equal(t, http.StatusOK, res.Status, text(res.Body))
		assert.Equal(t, before, s.snapshot(), "asking changes nothing")
		require.True(t, hasTestid(res.Body, "confirm"), "the confirmation")
		assert.Contains(t, text(res.Body), "This cannot be undone.")
		f := find(parseHTML(res.Body), element("form", "method", "post", "action", path))
		require.NotNil(t, f)
		action, _ := attrOf(f, "action")
		assert.Equal(t, path, action, "it posts to the same action")
		return res
	}

	t.Run("withdraw", func(t *testing.T) {
		id := playCustomer360(t, s, "ALICE")
		alice := s.as("ALICE")
		assert.Contains(t, alice.get("/requests/"+id).Body, `id="withdraw"`)
		res := ask(t, alice, "/requests/"+id+"/withdraw", nil)
		assert.Equal(t, "Withdraw your request? Withdraw your request for Customer 360? Approvers will no longer see it, "+
			"and to ask for this access again you would make a new request. This cannot be undone. Withdraw request Cancel",
			testid(res.Body, "confirm"))
		assert.Equal(t, "/requests/"+id, labelledHref(res.Body, "Cancel"), "Cancel is a link back: nothing typed to keep")

		before := s.snapshot()
		res = alice.post("/requests/"+id+"/withdraw", url.Values{"confirm": {"cancel"}})
		require.Equal(t, http.StatusSeeOther, res.Status)
		assert.Equal(t, "/requests/"+id, res.Location)
		assert.Equal(t, before, s.snapshot(), "cancelling changes nothing")

		res = alice.post("/requests/"+id+"/withdraw", url.Values{"confirm": {"1"}})
		require.Equal(t, http.StatusSeeOther, res.Status, text(res.Body))
		assert.Equal(t, signoff.StatusWithdrawn, s.request(id).Status)
	})

	t.Run("reject", func(t *testing.T) {
		id := playCustomer360(t, s, "ALICE", "MARCO")
		olivia := s.as("OLIVIA")
		const comment = "Use the aggregated product: it has what the model needs."
		form := url.Values{"decision": {"reject"}, "comment": {comment}, "acting_as": {"DATA_OWNER_SALES"}}
		res := ask(t, olivia, "/requests/"+id+"/decision", form)
		assert.Equal(t, "Reject ALICE's request for Customer 360 at the Data owner step (step 2 of 3)? The request ends here: "+
			"no later step is asked, and ALICE would have to make a new request.", testid(res.Body, "confirm-question"))
		assert.Equal(t, comment, testid(res.Body, "confirm-quote"))
		for name, want := range map[string]string{"decision": "reject", "comment": comment, "acting_as": "DATA_OWNER_SALES",
			"step": "2"} { // the step it saw, though the form named none: a decision made meanwhile is caught
			assert.Equal(t, want, fieldValue(res.Body, name), name)
		}

		t.Run("a rejection without a comment is not asked about", func(t *testing.T) {
			before := s.snapshot()
			res := decide(olivia, id, url.Values{"decision": {"reject"}, "comment": {"  "}})
			require.Equal(t, http.StatusUnprocessableEntity, res.Status)
			assert.Contains(t, text(res.Body), "Please say why you reject the request")
			assert.False(t, hasTestid(res.Body, "confirm"))
			assert.Equal(t, before, s.snapshot())
		})

		t.Run("cancel keeps the comment", func(t *testing.T) {
			before := s.snapshot()
			back := url.Values{"confirm": {"cancel"}}
			for k, v := range form {
				back[k] = v
			}
			res := decide(olivia, id, back)
			require.Equal(t, http.StatusOK, res.Status)
			assert.Equal(t, before, s.snapshot(), "cancelling changes nothing")
			assert.True(t, hasTestid(res.Body, "decision"), "the decision form again")
			assert.Equal(t, comment, fieldValue(res.Body, "comment"))
			assert.Equal(t, "DATA_OWNER_SALES", fieldValue(res.Body, "acting_as"))
		})

		form.Set("step", "2")
		form.Set("confirm", "1")
		res = decide(olivia, id, form)
		require.Equal(t, http.StatusSeeOther, res.Status, text(res.Body))
		r := s.request(id)
		assert.Equal(t, signoff.StatusRejected, r.Status)
		assert.Equal(t, comment, r.Steps[1].Comment)
	})

	t.Run("revoke", func(t *testing.T) {
		id := s.requestFor("ALICE", "sales-orders", signoff.StatusGranted)
		olivia := s.as("OLIVIA")
		const reason = "The growth review is over."
		res := ask(t, olivia, "/requests/"+id+"/revoke", url.Values{"reason": {reason}})
		assert.Contains(t, testid(res.Body, "confirm-question"), "Revoke ALICE's access to Sales orders? Signoff takes the role SALES_ORDERS_READ back")
		assert.Equal(t, reason, testid(res.Body, "confirm-quote"))
		assert.Equal(t, reason, fieldValue(res.Body, "reason"))

		before := s.snapshot()
		res = olivia.post("/requests/"+id+"/revoke", url.Values{"reason": {reason}, "confirm": {"cancel"}})
		require.Equal(t, http.StatusOK, res.Status)
		assert.Equal(t, before, s.snapshot(), "cancelling changes nothing")
		assert.Equal(t, reason, fieldValue(res.Body, "reason"), "the reason is back in its field")

		res = olivia.post("/requests/"+id+"/revoke", url.Values{"reason": {reason}, "confirm": {"1"}})
		require.Equal(t, http.StatusSeeOther, res.Status, text(res.Body))
		assert.Equal(t, signoff.StatusRevoked, s.request(id).Status)
		assert.False(t, s.identity("ALICE").HasRole("SALES_ORDERS_READ"))
	})

	t.Run("approve asks nothing", func(t *testing.T) {
		id := playCustomer360(t, s, "ALICE")
		res := decide(s.as("MARCO"), id, url.Values{"decision": {"approve"}, "step": {"1"}})
		require.Equal(t, http.StatusSeeOther, res.Status)
		assert.Equal(t, 2, s.request(id).CurrentStep)
	})
}

// TestRequesterLearnsWhatHappened: My requests shows each request's last
// decision and its comment (a rejection's reason); a failed grant is
// explained with what happens next and whom to ask; a granted request says
// how to use the access; the catalog marks the products whose access the
// viewer holds.
func TestRequesterLearnsWhatHappened(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	alice, ben := s.as("ALICE"), s.as("BEN")

	t.Run("my requests", func(t *testing.T) {
		mine := ben.get("/requests")
		require.Equal(t, http.StatusOK, mine.Status)
		items := findAll(parseHTML(mine.Body), element("li", "class", "request-item"))
		notes := map[string]string{}
		for _, it := range items {
			name := textOf(find(it, element("h2")))
			if n := find(it, byTestid("last-decision")); n != nil {
				notes[name] = textOf(n)
			}
		}
		assert.Regexp(t, `^Rejected by FRANK at the Finance controller step .+ ago : Use the GL summary product during the close window; `+
			`journal lines are restricted until day 5\.$`, notes["General ledger journal"])
		assert.Regexp(t, `^Approved by MARCO at the Line manager step .+ ago : Ben is on the churn squad this quarter\.$`,
			notes["Customer 360"])
		_, decided := notes["Web traffic (daily)"]
		assert.False(t, decided, "a request nobody decided has no decision to show")

		page := alice.get("/requests")
		assert.Contains(t, testid(page.Body, "grant-note"), "Snowflake refused the grant, so you do not have access yet. "+
			"Signoff's admins retry it once the cause is fixed; you do not need to request again.")
		assert.Equal(t, "You hold SALES_ORDERS_READ . In Snowflake: USE ROLE SALES_ORDERS_READ; (or USE SECONDARY ROLES ALL; ).",
			testid(page.Body, "use-access"))
	})

	t.Run("grant failed, on the request page", func(t *testing.T) {
		path := "/requests/" + s.requestFor("ALICE", "supplier-contracts", signoff.StatusGrantFailed)
		note := testid(alice.get(path).Body, "grant-note")
		assert.Contains(t, note, "Every step approved your request, but Snowflake refused to grant the role SUPPLIER_CONTRACTS_READ")
		assert.Contains(t, note, "Signoff's admins see this request in their list of grants to retry")
		assert.Contains(t, note, "contact the product's owner, Frank Weber (Procurement finance), or your Signoff admins (the SIGNOFF_ADMIN role)")
		other := testid(s.as("ADAM").get(path).Body, "grant-note")
		assert.Contains(t, other, "Every step approved ALICE's request", "others read it about the requester")
		assert.NotContains(t, other, "contact")
	})

	t.Run("granted, on the request page", func(t *testing.T) {
		path := "/requests/" + s.requestFor("ALICE", "sales-orders", signoff.StatusGranted)
		page := alice.get(path)
		use := testid(page.Body, "use-access")
		assert.Contains(t, use, "Your Snowflake user holds the role SALES_ORDERS_READ")
		codes := findAll(parseHTML(testidHTML(page.Body, "use-access")), element("pre", "class", "copy"))
		require.Len(t, codes, 2)
		assert.Equal(t, "USE ROLE SALES_ORDERS_READ;", textOf(codes[0]))
		assert.Equal(t, "USE SECONDARY ROLES ALL;", textOf(codes[1]))
		assert.False(t, hasTestid(s.as("OLIVIA").get(path).Body, "use-access"), "only the requester is told how to use it")
		assert.False(t, hasTestid(page.Body, "grant-note"))
	})

	t.Run("the catalog marks what the viewer holds", func(t *testing.T) {
		held := func(c *client) []string {
			var out []string
			for _, card := range findAll(parseHTML(c.get("/").Body), element("li", "class", "card")) {
				if find(card, byTestid("held")) != nil {
					out = append(out, textOf(find(card, element("h2"))))
				}
			}
			return out
		}
		assert.Equal(t, []string{"Sales orders"}, held(alice))
		assert.Empty(t, held(ben), "BEN's marketing access was revoked")
		assert.Contains(t, testid(alice.get("/").Body, "held"), "You have access : SALES_ORDERS_READ is in your session")
	})
}

// TestProblemsOfAFormNotShown: when the page redrawn with a form's problems
// no longer offers that form to the viewer, the problems are shown on their
// own, with the text typed kept.
func TestProblemsOfAFormNotShown(t *testing.T) {
	t.Parallel()
	s := newStack(t, fromTemplate(matrixDB))
	id := playCustomer360(t, s, "ALICE")
	marco := s.as("MARCO")
	before := s.snapshot()
	// MARCO may see the request (he approves its first step) but not revoke it.
	res := marco.post("/requests/"+id+"/revoke", url.Values{"reason": {strings.Repeat("r", signoff.MaxCommentLength+1)}})
	require.Equal(t, http.StatusUnprocessableEntity, res.Status)
	assert.Contains(t, testid(res.Body, "form-problems"), "The reason is too long")
	assert.Equal(t, before, s.snapshot())

	// OLIVIA may see it (she approves step 2) but not decide step 1.
	res = decide(s.as("OLIVIA"), id, url.Values{"decision": {"reject"}, "comment": {" "}})
	require.Equal(t, http.StatusUnprocessableEntity, res.Status)
	assert.Contains(t, testid(res.Body, "form-problems"), "Please say why you reject the request")
	assert.Equal(t, before, s.snapshot())
}
