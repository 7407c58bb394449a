package storetest

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
)

// testPolicyAdmin: an admin replaces the chain policy through the engine's
// guarded save; each save writes a POLICY_SAVED event of no request whose
// details pin the rows' hash, new requests take the new policy, requests in
// flight keep their steps, refusals (non-admins, too many approvals with a
// product's own) change nothing, and the ledger verifies throughout.
func testPolicyAdmin(t *testing.T, f *fixture) {
	ctx := f.ctx
	require.NotNil(t, f.policies, "harness has no policy store")
	adminID := f.who(t, admin)

	r := f.submit(t, requester, "contracts")
	before := shapes(r.Steps)

	rules := []signoff.DefinitionStep{
		{ApproverRole: " " + roleSecurity + " ", Label: "Security", WhenTag: "confidential", DeadlineHours: 48},
		{Kind: "role", ApproverRole: roleFallback, Label: "Privacy", WhenTag: "gdpr"},
	}
	o, err := f.svc.SavePolicy(ctx, adminID, rules)
	require.NoError(t, err)
	assert.Equal(t, admin, o.Actor)

	ed, err := f.svc.EditPolicy(ctx, adminID)
	require.NoError(t, err)
	require.Len(t, ed.Rules, 2)
	assert.Equal(t, roleSecurity, ed.Rules[0].ApproverRole, "trimmed")
	assert.Equal(t, signoff.KindRole, ed.Rules[1].Kind, "kinds upper case")
	assert.Empty(t, signoff.AppliesTo(ed.Rules[1], ed.Products), "no product carries gdpr")
	assert.Equal(t, 48, ed.Rules[0].DeadlineHours)
	assert.Equal(t, []string{"Supplier contracts"}, signoff.AppliesTo(ed.Rules[0], ed.Products),
		"the condition applies to the CONFIDENTIAL product only")
	p, _, err := f.reads.ProductFor(ctx, "contracts", requester)
	require.NoError(t, err)
	require.Len(t, p.Policy, 2, "products read the policy saved")

	evs := f.events(t, signoff.EventFilter{Type: signoff.EventPolicySaved})
	require.Len(t, evs, 1)
	assert.Empty(t, evs[0].RequestID, "a policy save belongs to no request")
	assert.Empty(t, evs[0].ProductID, "nor to a product")
	assert.Equal(t, admin, evs[0].Actor)
	assert.Equal(t, signoff.RoleAdmin, evs[0].ActorRole)
	assert.True(t, strings.HasPrefix(evs[0].Details, "policy="), evs[0].Details)
	assert.Len(t, strings.TrimPrefix(evs[0].Details, "policy="), 64, "a SHA-256 in hex")
	assert.Equal(t, before, shapes(f.request(t, r.ID).Steps), "a request in flight keeps the steps it copied")
	f.verifies(t)

	// Refusals change nothing.
	head := func() signoff.LedgerHead {
		h, err := f.reads.LedgerHead(ctx)
		require.NoError(t, err)
		return h
	}
	h0 := head()
	_, err = f.svc.SavePolicy(ctx, f.who(t, owner), nil)
	assert.ErrorIs(t, err, signoff.ErrForbidden, "the Service refuses non-admins")
	out, err := f.policies.SavePolicy(ctx, f.who(t, owner), signoff.SavePolicyCall{EventIDs: f.newIDs(1), At: f.clock.Now()})
	require.NoError(t, err)
	assert.Equal(t, signoff.CodeNotAdmin, out.Code, "the engine refuses non-admins itself")

	long := []signoff.DefinitionStep{
		{Kind: signoff.KindRole, ApproverRole: roleSecurity, Label: "Security", Quorum: signoff.MaxQuorum},
		{Kind: signoff.KindRole, ApproverRole: roleFallback, Label: "Governance", Quorum: signoff.MaxQuorum},
	}
	_, err = f.svc.SavePolicy(ctx, adminID, long)
	var probs signoff.Problems
	require.ErrorAs(t, err, &probs)
	assert.Contains(t, probs["policy"], "at most 10", "the Service names the total")
	out, err = f.policies.SavePolicy(ctx, adminID, signoff.SavePolicyCall{Rules: long, EventIDs: f.newIDs(1), At: f.clock.Now()})
	require.NoError(t, err)
	assert.Equal(t, signoff.CodeChainTooLong, out.Code, "the engine holds the total with every product's own")
	assert.NotEmpty(t, out.ProductID, "naming the product")
	assert.NotEmpty(t, out.ProductName)

	_, err = f.svc.SavePolicy(ctx, adminID, []signoff.DefinitionStep{{Kind: signoff.KindOwner, ApproverRole: roleOwner, Label: "Owners"},
		{ApproverRole: `X"; DROP ROLE Y`, Label: "", Quorum: 9}})
	require.ErrorAs(t, err, &probs)
	assert.Contains(t, probs, "policy.1.kind", "an owners' step belongs to a product")
	assert.Contains(t, probs, "policy.2.approver_role")
	assert.Contains(t, probs, "policy.2.label")
	assert.Contains(t, probs, "policy.2.quorum")
	out, err = f.policies.SavePolicy(ctx, adminID, signoff.SavePolicyCall{
		Rules:    []signoff.DefinitionStep{{Kind: signoff.KindOwner, ApproverRole: roleOwner, Label: "Owners", Quorum: 1}},
		EventIDs: f.newIDs(1), At: f.clock.Now()})
	require.NoError(t, err)
	assert.Equal(t, signoff.CodeInvalid, out.Code, "the engine checks the rules itself")
	assert.Equal(t, h0, head(), "no refusal wrote an event")

	// New requests take the policy; an empty policy is a save too.
	r2 := f.submit(t, requester2, "contracts")
	labels := []string{}
	for _, st := range r2.Steps {
		labels = append(labels, st.Label)
	}
	assert.Equal(t, []string{"Line manager", "Security"}, labels)
	_, err = f.svc.SavePolicy(ctx, adminID, nil)
	require.NoError(t, err)
	ed, err = f.svc.EditPolicy(ctx, adminID)
	require.NoError(t, err)
	assert.Empty(t, ed.Rules)
	assert.Len(t, f.events(t, signoff.EventFilter{Type: signoff.EventPolicySaved}), 2)
	f.verifies(t)
}
