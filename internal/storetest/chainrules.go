package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
)

// routed is a product whose chain follows its data: a step for PII (its
// classification, written in another case), one for SOX (a tag it does not
// carry), and the owners' step, which needs two approvals.
func routed() signoff.Product {
	return signoff.Product{
		ID: "routed", Name: "Routed extract", Description: "Customer and payroll lines.", Owner: "Analytics",
		OwnerRole: roleOwner, Domain: "Analytics", Classification: "PII", Tags: []string{"hr", "finance"},
		AccessRole: "TIMED_READ", Durations: []int{7, 30}, ExtendLastStep: true, FallbackRole: roleFallback,
		Chain: []signoff.ChainStep{
			{ApproverRole: roleManager, Label: "Line manager", DeadlineHours: 48},
			{ApproverRole: roleDPO, Label: "Data protection", WhenTag: "pii"},
			{ApproverRole: roleSecurity, Label: "Controller", WhenTag: "SOX"},
			{Kind: signoff.KindOwner, Label: "Owners", Quorum: 2},
		},
	}
}

// stepShape is what a submission copies of a step.
type stepShape struct {
	Order                 int
	Label, Role, Fallback string
	DeadlineHours         int
}

func shapes(steps []signoff.Step) []stepShape {
	var out []stepShape
	for _, s := range steps {
		out = append(out, stepShape{Order: s.Order, Label: s.Label, Role: s.ApproverRole, Fallback: s.FallbackRole,
			DeadlineHours: s.DeadlineHours})
	}
	return out
}

// testChainRules: a submission resolves the product's chain rules (tags and
// classification, the owners' step, quorums) into its steps as
// signoff.ResolveChain says (which the product page shows before anyone
// submits), records them in its first event, and a quorum is met only by
// distinct members.
func testChainRules(t *testing.T, f *fixture) {
	ctx := f.ctx
	require.NoError(t, f.acct.CreateProduct(ctx, routed()))
	// The account's policy: HR data gets a governance step after the
	// product's own; FINANCE classification a controller, which does not
	// apply here (the product is classified PII, tagged finance only).
	require.NoError(t, f.acct.SetChainPolicy(ctx, []signoff.ChainStep{
		{ApproverRole: roleFallback, Label: "Governance", WhenTag: "HR", DeadlineHours: 24},
		{ApproverRole: roleManager, Label: "Controller", WhenTag: "sox"},
	}))
	p, _, err := f.reads.ProductFor(ctx, "routed", requester2)
	require.NoError(t, err)
	require.Len(t, p.Chain, 4, "the catalog keeps every rule, applicable or not")
	require.Len(t, p.Policy, 2, "every product comes with the policy")
	assert.Equal(t, signoff.KindOwner, p.Chain[3].Kind)
	assert.Equal(t, roleOwner, p.Chain[3].ApproverRole, "an owners' step is keyed to the owner role")
	assert.Equal(t, 2, p.Chain[3].Quorum)
	assert.Equal(t, "SOX", p.Chain[2].WhenTag)

	want := []stepShape{
		{Order: 1, Label: "Line manager", Role: roleManager, Fallback: roleFallback, DeadlineHours: 48},
		{Order: 2, Label: "Data protection", Role: roleDPO, Fallback: roleFallback},
		{Order: 3, Label: "Owners (1 of 2)", Role: roleOwner, Fallback: roleFallback},
		{Order: 4, Label: "Owners (2 of 2)", Role: roleOwner, Fallback: roleFallback},
		{Order: 5, Label: "Governance", Role: roleFallback, Fallback: roleFallback, DeadlineHours: 24},
	}
	require.Equal(t, want, shapes(signoff.ResolveChain(p, false)), "the product page's preview")
	products, err := f.reads.Products(ctx)
	require.NoError(t, err)
	for _, q := range products {
		if q.ID == "routed" {
			assert.Equal(t, p.Chain, q.Chain, "the catalog reads the product's rules as its page does")
			assert.Equal(t, p.Policy, q.Policy)
		}
	}

	r := f.submitFor(t, requester2, "routed", 30)
	assert.Equal(t, want, shapes(r.Steps), "the engine resolves the chain as the preview does")
	assert.Equal(t, 5, r.StepCount)
	// A policy changed later never moves a request in flight.
	require.NoError(t, f.acct.SetChainPolicy(ctx, nil))
	assert.Equal(t, want, shapes(f.request(t, r.ID).Steps))
	sub := f.history(t, r.ID)[0]
	require.Equal(t, signoff.EventRequestSubmitted, sub.Type)
	assert.Contains(t, sub.Details, signoff.ChainSnapshot([]signoff.ChainStep{
		{ApproverRole: roleManager, Label: "Line manager"}, {ApproverRole: roleDPO, Label: "Data protection"},
		{ApproverRole: roleOwner, Label: "Owners (1 of 2)"}, {ApproverRole: roleOwner, Label: "Owners (2 of 2)"}}),
		"the submission records the resolved chain")

	f.approve(t, manager, r.ID)
	f.approve(t, security, r.ID) // SECURITY_LEAD inherits DPO
	f.approve(t, owner, r.ID)
	_, err = f.svc.Decide(ctx, f.who(t, owner), r.ID, signoff.DecisionInput{Decision: signoff.DecisionApprove})
	assert.Equal(t, signoff.CodeDecidedAnotherStep, codeOf(err), "a quorum of two needs two people")
	f.approve(t, both, r.ID)
	assert.Equal(t, signoff.StatusGranted, f.approve(t, governor, r.ID).Status, "the policy's step, dropped after the submission, still counts")
	r = f.request(t, r.ID)
	s3, _ := r.Step(3)
	s4, _ := r.Step(4)
	assert.NotEqual(t, s3.DecidedBy, s4.DecidedBy)

	// An extension through the last step only takes the whole quorum.
	f.clock.advance(25 * 24 * time.Hour)
	o, err := f.svc.Extend(ctx, f.who(t, requester2), "routed", r.ID, reason, 7)
	require.NoError(t, err)
	ext := f.request(t, o.RequestID)
	p, _, err = f.reads.ProductFor(ctx, "routed", requester2) // without the policy now
	require.NoError(t, err)
	assert.Equal(t, shapes(signoff.ResolveChain(p, true)), shapes(ext.Steps))
	assert.Equal(t, []string{"Owners (1 of 2)", "Owners (2 of 2)"}, []string{ext.Steps[0].Label, ext.Steps[1].Label})
}

// testChainTooLong: a product's steps and the policy's together may need
// more approvals than a submission can record; the engine refuses to
// submit rather than cut the chain short.
func testChainTooLong(t *testing.T, f *fixture) {
	ctx := f.ctx
	require.NoError(t, f.acct.CreateProduct(ctx, routed())) // 4 approvals apply to it
	require.NoError(t, f.acct.SetChainPolicy(ctx, []signoff.ChainStep{
		{ApproverRole: roleFallback, Label: "Governance", Quorum: signoff.MaxQuorum},
		{ApproverRole: roleSecurity, Label: "Security", Quorum: 2},
	}))
	_, err := f.svc.Submit(ctx, f.who(t, requester2), "routed", reason, 30)
	assert.Equal(t, signoff.CodeChainTooLong, codeOf(err))
	assert.ErrorIs(t, err, signoff.ErrInvalid)
	assert.Empty(t, f.events(t, signoff.EventFilter{}), "nothing was written")
	require.NoError(t, f.acct.SetChainPolicy(ctx, []signoff.ChainStep{
		{ApproverRole: roleFallback, Label: "Governance", Quorum: signoff.MaxQuorum}}))
	r := f.submitFor(t, requester2, "routed", 30)
	assert.Equal(t, signoff.MaxChainSteps-1, r.StepCount, "4 approvals and the policy's 5")
}
