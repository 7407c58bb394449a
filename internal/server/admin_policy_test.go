package server_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
)

// savedPolicy checks that the chain policy's first step is labelled
// label, that ADAM's save is the last event, and that a request in flight
// (id) keeps its steps.
func savedPolicy(label string) func(*testing.T, *stack, string) {
	return func(t *testing.T, s *stack, id string) {
		t.Helper()
		ed, err := s.svc.EditPolicy(t.Context(), s.identity("ADAM"))
		require.NoError(t, err)
		require.NotEmpty(t, ed.Rules)
		assert.Equal(t, label, ed.Rules[0].Label)
		evs := s.events()
		assert.Equal(t, signoff.EventPolicySaved, evs[0].Type)
		assert.Equal(t, "ADAM", evs[0].Actor)
		if id != "" {
			r := s.request(id)
			assert.Len(t, r.Steps, 3, "the request in flight keeps its steps")
			assert.Equal(t, 2, r.CurrentStep)
		}
	}
}

func TestAdminPolicyPage(t *testing.T) {
	t.Parallel()
	s := newStack(t, fromTemplate(matrixDB))
	adam := s.as("ADAM")

	res := adam.get("/admin")
	require.Equal(t, http.StatusOK, res.Status)
	assert.Contains(t, testid(res.Body, "admin-index"), "Chain policy")
	assert.NotContains(t, testid(s.as("AUDREY").get("/admin").Body, "admin-index"), "Chain policy", "auditors are not offered it")

	res = adam.get("/admin/policy")
	require.Equal(t, http.StatusOK, res.Status)
	assert.Equal(t, "/admin", href(res.Body, "aria-current", "page"), "under the Admin tab")
	assert.True(t, hasTestid(res.Body, "policy-form"))
	assert.Equal(t, "Data protection", fieldValue(res.Body, "policy.1.label"), "the demo's policy step")
	assert.Contains(t, testid(res.Body, "policy-applies"), "Applies now to", "with the products it applies to")
	assert.Equal(t, "", fieldValue(res.Body, "policy.2.label"), "then blank rows to add one")

	form := func(quorum string) url.Values {
		return url.Values{
			"policy.1.order": {"2"}, "policy.1.kind": {"ROLE"}, "policy.1.approver_role": {"DPO"},
			"policy.1.label": {"Data protection"}, "policy.1.when_tag": {"PII"}, "policy.1.deadline_hours": {"72"},
			"policy.2.order": {"1"}, "policy.2.kind": {"ROLE"}, "policy.2.approver_role": {"DATA_GOVERNANCE"},
			"policy.2.label": {"Governance"}, "policy.2.when_tag": {"export-control"}, "policy.2.quorum": {quorum},
			"policy.3.order": {"3"}, "policy.3.kind": {"ROLE"},
		}
	}

	t.Run("problems come back beside their fields, nothing saved", func(t *testing.T) {
		f := form("9")
		f.Set("policy.1.approver_role", `X"; DROP ROLE Y`)
		before := len(s.events())
		res := adam.post("/admin/policy", f)
		require.Equal(t, http.StatusUnprocessableEntity, res.Status, text(res.Body))
		assert.True(t, hasTestid(res.Body, "form-problems"))
		assert.Contains(t, text(res.Body), "A step asks for 1 to 5 approvals.")
		assert.Equal(t, `X"; DROP ROLE Y`, fieldValue(res.Body, "policy.2.approver_role"), "as typed, escaped, in order")
		assert.Equal(t, 1, count(res.Body, element("input", "name", "policy.1.quorum", "aria-invalid", "true")))
		assert.Equal(t, before, len(s.events()))
	})

	t.Run("too many approvals with a product's own are refused, naming it", func(t *testing.T) {
		f := form("5")
		f.Set("policy.1.quorum", "5")
		before := len(s.events())
		res := adam.post("/admin/policy", f)
		require.Equal(t, http.StatusUnprocessableEntity, res.Status, text(res.Body))
		msg := text(res.Body)
		assert.Contains(t, msg, "own")
		assert.Contains(t, msg, "at most 10 are possible")
		assert.Equal(t, before, len(s.events()))
	})

	t.Run("an admin saves the policy", func(t *testing.T) {
		res := adam.post("/admin/policy", form("2"))
		require.Equal(t, http.StatusSeeOther, res.Status, text(res.Body))
		assert.Equal(t, "/admin/policy", res.Location)
		page := adam.follow(res)
		assert.Contains(t, text(page.Body), "Saved the chain policy: 2 step(s).")
		assert.Equal(t, "Governance", fieldValue(page.Body, "policy.1.label"), "in the order of their numbers")
		assert.Equal(t, "2", fieldValue(page.Body, "policy.1.quorum"))
		assert.Contains(t, page.Body, "Applies now to no product: none carries the tag export-control.")
		evs := s.events()
		assert.Equal(t, signoff.EventPolicySaved, evs[0].Type)
		assert.Empty(t, evs[0].ProductID)
		assert.Empty(t, evs[0].RequestID)

		audit := adam.get("/audit?type=POLICY_SAVED")
		require.Equal(t, http.StatusOK, audit.Status)
		assert.Contains(t, text(audit.Body), "An admin saved the chain policy")
		rep, err := s.svc.VerifyAudit(t.Context(), s.identity("AUDREY"))
		require.NoError(t, err)
		assert.Empty(t, rep.Problems, "the ledger verifies with the save")
	})

	t.Run("others are refused", func(t *testing.T) {
		for _, who := range []string{"ALICE", "AUDREY", "OLIVIA"} {
			assert.Equal(t, http.StatusForbidden, s.as(who).get("/admin/policy").Status, who)
			assert.Equal(t, http.StatusForbidden, s.as(who).post("/admin/policy", form("1")).Status, who)
		}
	})
}
