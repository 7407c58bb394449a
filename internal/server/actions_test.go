package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
)

const goodReason = "Campaign attribution for the Q3 growth review needs customer lifetime value."

func TestSubmit(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	alice := s.as("ALICE")
	before := s.countRequests("ALICE")

	t.Run("a short reason is re-shown with the field's message", func(t *testing.T) {
		res := alice.post("/products/customer-360/requests", url.Values{"reason": {"need it <b>now</b>"}, "days": {"30"}})
		require.Equal(t, http.StatusUnprocessableEntity, res.Status)
		assert.Contains(t, res.Body, `<p class="field-error" id="reason-error">`)
		assert.Contains(t, text(res.Body), "the business reason must be at least 20 characters")
		assert.Contains(t, res.Body, `aria-invalid="true"`)
		assert.Contains(t, res.Body, ">need it &lt;b&gt;now&lt;/b&gt;</textarea>", "the typed reason is shown back, escaped")
		assert.Equal(t, "Line manager → Data owner → Data protection", testid(res.Body, "chain-summary"), "it is the product page")
		assert.Equal(t, before, s.countRequests("ALICE"), "no request was created")
	})

	t.Run("an empty reason", func(t *testing.T) {
		res := alice.post("/products/customer-360/requests", url.Values{"reason": {"   "}, "days": {"30"}})
		require.Equal(t, http.StatusUnprocessableEntity, res.Status)
		assert.Contains(t, text(res.Body), "Please give a business reason")
		assert.Equal(t, before, s.countRequests("ALICE"))
	})

	t.Run("a reason over the limit", func(t *testing.T) {
		res := alice.post("/products/customer-360/requests", url.Values{"reason": {strings.Repeat("x", signoff.MaxReasonLength+1)}, "days": {"30"}})
		require.Equal(t, http.StatusUnprocessableEntity, res.Status)
		assert.Contains(t, text(res.Body), "The business reason is too long")
		assert.Equal(t, before, s.countRequests("ALICE"))
	})

	t.Run("an unknown product", func(t *testing.T) {
		res := alice.post("/products/no-such-product/requests", url.Values{"reason": {goodReason}})
		require.Equal(t, http.StatusNotFound, res.Status)
		assert.Equal(t, before, s.countRequests("ALICE"))
	})

	var id string
	t.Run("a good reason files the request", func(t *testing.T) {
		res := alice.post("/products/customer-360/requests", url.Values{"reason": {"  " + goodReason + "\n"}, "days": {"30"}})
		require.Equal(t, http.StatusSeeOther, res.Status, res.Body)
		id = s.requestFor("ALICE", "customer-360", signoff.StatusPending)
		assert.Equal(t, "/requests/"+id, res.Location)
		assert.Equal(t, before+1, s.countRequests("ALICE"))

		r := s.request(id)
		assert.Equal(t, goodReason, r.Reason, "trimmed")
		assert.Equal(t, 1, r.CurrentStep)
		assert.Equal(t, 3, r.StepCount)

		page := alice.follow(res)
		require.Equal(t, http.StatusOK, page.Status)
		assert.Equal(t, "Your request for Customer 360 is submitted. It needs 3 approvals; you can follow it here.", testid(page.Body, "flash"))
		assert.Equal(t, "Pending", testid(page.Body, "status"))
		assert.Equal(t, goodReason, testid(page.Body, "reason"))
		assert.Contains(t, testid(page.Body, "history"), "Request submitted")
		assert.Contains(t, page.Body, `id="withdraw"`, "the requester may withdraw")
		assert.False(t, hasTestid(alice.get(res.Location).Body, "flash"), "the flash is shown once")

		// The request is on My requests and in the line manager's queue.
		assert.Contains(t, testid(alice.get("/requests").Body, "my-requests"), "Customer 360")
		queue := testidHTML(s.as("MARCO").get("/queue").Body, "queue")
		assert.Contains(t, queue, "/requests/"+id)
	})

	t.Run("a second request for the same product conflicts", func(t *testing.T) {
		require.NotEmpty(t, id)
		res := alice.post("/products/customer-360/requests", url.Values{"reason": {goodReason}, "days": {"30"}})
		require.Equal(t, http.StatusConflict, res.Status)
		assert.Contains(t, text(res.Body), "You already have an open request for Customer 360.")
		assert.Equal(t, before+1, s.countRequests("ALICE"))
	})
}

// decide posts a decision on request id.
func decide(c *client, id string, form url.Values) response {
	c.t.Helper()
	return c.post("/requests/"+id+"/decision", form)
}

func TestDecisionChainGrantsAccess(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	alice := s.as("ALICE")
	res := alice.post("/products/customer-360/requests", url.Values{"reason": {goodReason}, "days": {"30"}})
	require.Equal(t, http.StatusSeeOther, res.Status)
	id := s.requestFor("ALICE", "customer-360", signoff.StatusPending)
	require.False(t, s.identity("ALICE").HasRole("CUSTOMER_360_READ"))
	assert.NotContains(t, testid(alice.get("/").Body, "roles-in-session"), "CUSTOMER_360_READ")

	marco, olivia, dana := s.as("MARCO"), s.as("OLIVIA"), s.as("DANA")

	// Each approver then goes on to the next request of their queue: the
	// demo's (one each), or an empty queue.
	steps := []struct {
		who   *client
		step  string
		flash string
		next  string // the product of the next request, "" for an empty queue
	}{
		{marco, "1", "Approved. Next: HR headcount for ALICE.", "HR headcount"},
		{olivia, "2", "Approved. Next: Customer 360 for BEN.", "Customer 360"},
		{dana, "3", "Approved: ALICE now holds CUSTOMER_360_READ. Next: HR headcount for BEN.", "HR headcount"},
	}
	for i, st := range steps {
		page := st.who.get("/requests/" + id)
		require.Equal(t, http.StatusOK, page.Status)
		require.True(t, hasTestid(page.Body, "decision"), "%s may decide step %s", st.who.user, st.step)
		assert.Contains(t, page.Body, `name="step" value="`+st.step+`"`)

		res := decide(st.who, id, url.Values{"decision": {"approve"}, "step": {st.step}, "comment": {"ok from " + st.who.user},
			"queue": {fieldValue(page.Body, "queue")}})
		require.Equal(t, http.StatusSeeOther, res.Status, res.Body)
		assert.True(t, strings.HasPrefix(res.Location, "/queue?after="), res.Location)
		page, path := st.who.followAll(res)
		require.Equal(t, http.StatusOK, page.Status)
		assert.Equal(t, st.flash, testid(page.Body, "flash"))
		assert.NotEqual(t, "/requests/"+id, path, "on to another request")
		assert.True(t, hasTestid(page.Body, "decision"), "the next request is one %s may decide", st.who.user)
		assert.Contains(t, page.Body, "<h1>"+st.next+"</h1>")
		r := s.request(id)
		assert.Equal(t, signoff.DecisionApprove, r.Steps[i].Decision)
		assert.Equal(t, st.who.user, r.Steps[i].DecidedBy)
	}

	r := s.request(id)
	assert.Equal(t, signoff.StatusGranted, r.Status)
	assert.Equal(t, "Granted", testid(alice.get("/requests/"+id).Body, "status"))
	assert.True(t, s.identity("ALICE").HasRole("CUSTOMER_360_READ"))
	assert.Contains(t, testid(alice.get("/").Body, "roles-in-session"), "CUSTOMER_360_READ",
		"the header shows the new role at once")

	history := testid(alice.get("/requests/"+id).Body, "history")
	for _, want := range []string{"Request submitted", "Step approved", "Request approved", "Access granted", "ok from OLIVIA", "as DPO"} {
		assert.Contains(t, history, want)
	}
}

func TestDecisionRefusals(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	alice := s.as("ALICE")
	res := alice.post("/products/customer-360/requests", url.Values{"reason": {goodReason}, "days": {"30"}})
	require.Equal(t, http.StatusSeeOther, res.Status)
	id := s.requestFor("ALICE", "customer-360", signoff.StatusPending)
	marco, olivia := s.as("MARCO"), s.as("OLIVIA")

	// refused posts form as c and checks the status, the message and that
	// nothing changed.
	refused := func(t *testing.T, c *client, path string, form url.Values, status int, message string) response {
		t.Helper()
		before, events := s.request(id), len(s.events())
		res := c.post(path, form)
		require.Equal(t, status, res.Status, res.Body)
		if message != "" {
			assert.Contains(t, text(res.Body), message)
		}
		assert.Equal(t, before, s.request(id), "the request did not change")
		assert.Len(t, s.events(), events, "no audit event")
		return res
	}
	decision := "/requests/" + id + "/decision"

	t.Run("the requester cannot approve her own request", func(t *testing.T) {
		refused(t, alice, decision, url.Values{"decision": {"approve"}, "step": {"1"}}, http.StatusForbidden,
			"You made this request, so you cannot decide any of its steps.")
		refused(t, alice, decision, url.Values{"decision": {"approve"}}, http.StatusForbidden, "You made this request")
	})

	t.Run("a role the step does not need", func(t *testing.T) {
		refused(t, olivia, decision, url.Values{"decision": {"approve"}, "step": {"1"}}, http.StatusForbidden,
			"The Line manager step needs the LINE_MANAGER role, which is not in your session.")
	})

	t.Run("a bad decision value", func(t *testing.T) {
		res := refused(t, marco, decision, url.Values{"decision": {"maybe"}, "step": {"1"}}, http.StatusUnprocessableEntity,
			"Choose approve, reject or ask a question.")
		assert.True(t, hasTestid(res.Body, "decision"), "the form is shown again")
		refused(t, marco, decision, url.Values{"step": {"1"}}, http.StatusUnprocessableEntity, "")
	})

	t.Run("a bad step number", func(t *testing.T) {
		for _, step := range []string{"0", "-1", "one", "1 OR 1=1"} {
			refused(t, marco, decision, url.Values{"decision": {"approve"}, "step": {step}}, http.StatusUnprocessableEntity, "is not valid")
		}
	})

	t.Run("a rejection without a comment is shown again", func(t *testing.T) {
		res := refused(t, marco, decision, url.Values{"decision": {"reject"}, "step": {"1"}, "comment": {"  "}},
			http.StatusUnprocessableEntity, "Please say why you reject the request")
		assert.True(t, hasTestid(res.Body, "decision"), "the form is shown again")
		assert.Contains(t, res.Body, `id="comment-error"`)
	})

	t.Run("a comment over the limit", func(t *testing.T) {
		refused(t, marco, decision, url.Values{"decision": {"approve"}, "step": {"1"}, "comment": {strings.Repeat("c", signoff.MaxCommentLength+1)}},
			http.StatusUnprocessableEntity, "The comment is too long")
	})

	t.Run("acting as a role not held", func(t *testing.T) {
		refused(t, marco, decision, url.Values{"decision": {"approve"}, "step": {"1"}, "acting_as": {"DPO"}}, http.StatusForbidden,
			"You chose to act as DPO, but that role is not in your session.")
		refused(t, marco, decision, url.Values{"decision": {"approve"}, "step": {"1"}, "acting_as": {"ANALYST"}}, http.StatusForbidden,
			"The Line manager step needs the LINE_MANAGER role; you are acting as ANALYST.")
	})

	t.Run("a step that is not current yet", func(t *testing.T) {
		refused(t, marco, decision, url.Values{"decision": {"approve"}, "step": {"2"}}, http.StatusConflict,
			"This request is now at step 1, not step 2.")
	})

	// Marco approves step 1, acting as his line manager role.
	res = decide(marco, id, url.Values{"decision": {"approve"}, "step": {"1"}, "acting_as": {"LINE_MANAGER"}})
	require.Equal(t, http.StatusSeeOther, res.Status, res.Body)
	require.Equal(t, 2, s.request(id).CurrentStep)
	assert.Equal(t, "LINE_MANAGER", s.request(id).Steps[0].ActorRole)

	t.Run("one person decides at most one step", func(t *testing.T) {
		refused(t, marco, decision, url.Values{"decision": {"approve"}, "step": {"2"}}, http.StatusForbidden,
			"You already decided a step of this request")
	})

	t.Run("a stale step is a conflict that says what happened", func(t *testing.T) {
		refused(t, olivia, decision, url.Values{"decision": {"approve"}, "step": {"1"}}, http.StatusConflict,
			"The Line manager step was already approved by MARCO. Nothing was changed.")
		refused(t, marco, decision, url.Values{"decision": {"reject"}, "step": {"1"}, "comment": {"changed my mind"}}, http.StatusConflict,
			"already approved by MARCO")
	})

	t.Run("malformed request IDs are not found", func(t *testing.T) {
		for _, bad := range []string{"not-an-id", "1' OR '1'='1", "01ARZ3NDEKTSV4RRFFQ69G5FA'; DROP TABLE access_request;--",
			strings.ToLower(id), "01ARZ3NDEKTSV4RRFFQ69G5FAV"} {
			path := "/requests/" + url.PathEscape(bad)
			res := olivia.get(path)
			assert.Equal(t, http.StatusNotFound, res.Status, "GET %s", path)
			assert.True(t, hasTestid(res.Body, "error"))
			refused(t, olivia, path+"/decision", url.Values{"decision": {"approve"}}, http.StatusNotFound, "")
		}
	})

	t.Run("a rejection with a comment ends the request", func(t *testing.T) {
		res := decide(olivia, id, url.Values{"decision": {"reject"}, "step": {"2"}, "comment": {"Use the aggregated product instead."},
			"confirm": {"1"}})
		require.Equal(t, http.StatusSeeOther, res.Status, res.Body)
		page, _ := olivia.followAll(res)
		assert.Equal(t, "Rejected. Next: Customer 360 for BEN.", testid(page.Body, "flash"))
		assert.Equal(t, signoff.StatusRejected, s.request(id).Status)
		page = alice.get("/requests/" + id)
		assert.Equal(t, "Rejected", testid(page.Body, "status"))
		assert.Contains(t, testid(page.Body, "history"), "Use the aggregated product instead.")
		assert.False(t, s.identity("ALICE").HasRole("CUSTOMER_360_READ"))

		refused(t, s.as("DANA"), decision, url.Values{"decision": {"approve"}, "step": {"3"}}, http.StatusConflict,
			"This request is already rejected.")
	})
}

func TestWithdraw(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	alice := s.as("ALICE")
	pending := s.requestFor("ALICE", "hr-headcount", signoff.StatusPending)
	granted := s.requestFor("ALICE", "sales-orders", signoff.StatusGranted)

	// Asking (no confirm) refuses as acting (confirm=1) does.
	for _, confirm := range []url.Values{nil, {"confirm": {"1"}}} {
		t.Run("only the requester "+confirm.Encode(), func(t *testing.T) {
			res := s.as("MARCO").post("/requests/"+pending+"/withdraw", confirm) // Marco may see it: he approves its first step
			require.Equal(t, http.StatusForbidden, res.Status)
			assert.Contains(t, text(res.Body), "Only the person who made this request can do that.")
			assert.Equal(t, http.StatusForbidden, s.as("BEN").post("/requests/"+pending+"/withdraw", confirm).Status)
			assert.Equal(t, signoff.StatusPending, s.request(pending).Status)
		})

		t.Run("only pending "+confirm.Encode(), func(t *testing.T) {
			res := alice.post("/requests/"+granted+"/withdraw", confirm)
			require.Equal(t, http.StatusConflict, res.Status)
			assert.Contains(t, text(res.Body), "This request is granted, so that is no longer possible.")
			assert.Equal(t, signoff.StatusGranted, s.request(granted).Status)
			assert.NotContains(t, alice.get("/requests/"+granted).Body, `id="withdraw"`)
		})
	}

	t.Run("the requester withdraws", func(t *testing.T) {
		res := alice.post("/requests/"+pending+"/withdraw", url.Values{"confirm": {"1"}})
		require.Equal(t, http.StatusSeeOther, res.Status, res.Body)
		assert.Equal(t, "/requests/"+pending, res.Location)
		page := alice.follow(res)
		assert.Equal(t, "You withdrew the request.", testid(page.Body, "flash"))
		assert.Equal(t, "Withdrawn", testid(page.Body, "status"))
		assert.Equal(t, signoff.StatusWithdrawn, s.request(pending).Status)
		assert.NotContains(t, s.as("MARCO").get("/queue").Body, "/requests/"+pending, "gone from the queue")

		res = alice.post("/requests/"+pending+"/withdraw", url.Values{"confirm": {"1"}})
		assert.Equal(t, http.StatusConflict, res.Status, "a second withdrawal")
	})

	t.Run("an unknown request", func(t *testing.T) {
		for _, confirm := range []url.Values{nil, {"confirm": {"1"}}} {
			assert.Equal(t, http.StatusNotFound, alice.post("/requests/not-an-id/withdraw", confirm).Status)
			assert.Equal(t, http.StatusNotFound, alice.post("/requests/01ARZ3NDEKTSV4RRFFQ69G5FAV/withdraw", confirm).Status)
		}
	})
}

func TestRevoke(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	id := s.requestFor("ALICE", "sales-orders", signoff.StatusGranted)
	require.True(t, s.identity("ALICE").HasRole("SALES_ORDERS_READ"))
	olivia := s.as("OLIVIA")

	for _, tt := range []struct {
		user   string
		status int
	}{
		{"BEN", http.StatusForbidden},   // not part of the request
		{"ALICE", http.StatusForbidden}, // the requester does not revoke her own access
		{"MARCO", http.StatusForbidden}, // an approver, but not an owner
		{"AUDREY", http.StatusForbidden},
	} {
		t.Run(tt.user+" may not revoke", func(t *testing.T) {
			res := s.as(tt.user).post("/requests/"+id+"/revoke", url.Values{"reason": {"no"}, "confirm": {"1"}})
			assert.Equal(t, tt.status, res.Status)
			res = s.as(tt.user).post("/requests/"+id+"/revoke", url.Values{"reason": {"no"}})
			assert.Equal(t, tt.status, res.Status, "nor be asked to confirm")
			assert.Equal(t, signoff.StatusGranted, s.request(id).Status)
			assert.True(t, s.identity("ALICE").HasRole("SALES_ORDERS_READ"))
		})
	}

	t.Run("the owner sees the revoke form", func(t *testing.T) {
		assert.Contains(t, olivia.get("/requests/"+id).Body, `id="revoke"`)
		assert.NotContains(t, s.as("MARCO").get("/requests/"+id).Body, `id="revoke"`)
	})

	t.Run("a reason over the limit", func(t *testing.T) {
		res := olivia.post("/requests/"+id+"/revoke", url.Values{"reason": {strings.Repeat("r", signoff.MaxCommentLength+1)}, "confirm": {"1"}})
		assert.Equal(t, http.StatusUnprocessableEntity, res.Status)
		assert.Equal(t, signoff.StatusGranted, s.request(id).Status)
	})

	t.Run("the product owner revokes", func(t *testing.T) {
		res := olivia.post("/requests/"+id+"/revoke", url.Values{"reason": {"Growth review finished."}, "confirm": {"1"}})
		require.Equal(t, http.StatusSeeOther, res.Status, res.Body)
		page := olivia.follow(res)
		assert.Equal(t, "Access revoked: the role was taken back from the requester.", testid(page.Body, "flash"))
		assert.Equal(t, "Revoked", testid(page.Body, "status"))
		assert.Contains(t, testid(page.Body, "history"), "Growth review finished.")
		assert.Equal(t, signoff.StatusRevoked, s.request(id).Status)
		assert.False(t, s.identity("ALICE").HasRole("SALES_ORDERS_READ"))
		assert.NotContains(t, testid(s.as("ALICE").get("/").Body, "roles-in-session"), "SALES_ORDERS_READ")

		res = olivia.post("/requests/"+id+"/revoke", url.Values{"reason": {"again"}, "confirm": {"1"}})
		assert.Equal(t, http.StatusConflict, res.Status, "nothing left to revoke")
	})
}

func TestRetryGrant(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	id := s.requestFor("ALICE", "supplier-contracts", signoff.StatusGrantFailed)
	adam := s.as("ADAM")

	t.Run("only admins", func(t *testing.T) {
		for _, user := range []string{"ALICE", "FRANK", "AUDREY"} {
			res := s.as(user).post("/requests/"+id+"/retry-grant", nil)
			assert.Equal(t, http.StatusForbidden, res.Status, user)
			assert.NotContains(t, s.as(user).get("/requests/"+id).Body, `id="retry-grant"`)
		}
		assert.Equal(t, signoff.StatusGrantFailed, s.request(id).Status)
		assert.False(t, s.identity("ALICE").HasRole("SUPPLIER_CONTRACTS_READ"))
	})

	t.Run("the admin retries", func(t *testing.T) {
		page := adam.get("/requests/" + id)
		require.Equal(t, http.StatusOK, page.Status)
		assert.Equal(t, "Grant failed", testid(page.Body, "status"))
		assert.Contains(t, page.Body, `id="retry-grant"`)

		res := adam.post("/requests/"+id+"/retry-grant", nil)
		require.Equal(t, http.StatusSeeOther, res.Status, res.Body)
		page = adam.follow(res)
		assert.Equal(t, "The grant succeeded: the requester now holds the access role.", testid(page.Body, "flash"))
		assert.Equal(t, "Granted", testid(page.Body, "status"))
		assert.Equal(t, signoff.StatusGranted, s.request(id).Status)
		assert.True(t, s.identity("ALICE").HasRole("SUPPLIER_CONTRACTS_READ"))
	})

	t.Run("a second retry conflicts", func(t *testing.T) {
		events := len(s.events())
		res := adam.post("/requests/"+id+"/retry-grant", nil)
		assert.Equal(t, http.StatusConflict, res.Status)
		assert.Contains(t, text(res.Body), "This request is granted, so that is no longer possible.")
		assert.Len(t, s.events(), events)
	})

	t.Run("a request that was never approved", func(t *testing.T) {
		pending := s.requestFor("BEN", "customer-360", signoff.StatusPending)
		assert.Equal(t, http.StatusConflict, adam.post("/requests/"+pending+"/retry-grant", nil).Status)
		assert.Equal(t, signoff.StatusPending, s.request(pending).Status)
	})
}
