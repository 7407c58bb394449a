package storetest

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
)

// newDefinition is a product an admin registers: a conditional step (PII,
// its classification) and the owners' step with a quorum of two.
func newDefinition() signoff.Definition {
	return signoff.Definition{
		ID: "payroll", Name: "Payroll lines", Description: "Monthly payroll.", Owner: "People ops",
		OwnerRole: roleOwner, Domain: "People", Classification: "pii", Tags: []string{"HR", "hr", " payroll "},
		Columns:    []signoff.Column{{Name: "EMPLOYEE_ID", Type: "VARCHAR"}, {Name: "SALARY", Type: "NUMBER", Sensitive: true}},
		AccessRole: "TIMED_READ", Durations: []int{30, 7}, FallbackRole: roleFallback,
		SourceObject: "HR.PAYROLL.LINES",
		Chain: []signoff.DefinitionStep{
			{ApproverRole: roleManager, Label: "Line manager", DeadlineHours: 24},
			{ApproverRole: roleDPO, Label: "Data protection", WhenTag: "PII"},
			{ApproverRole: roleSecurity, Label: "Controller", WhenTag: "sox"},
			{Kind: signoff.KindOwner, Label: "Owners", Quorum: 2},
		},
	}
}

// testProductAdmin: an admin registers and edits products through the
// engine's guarded save; each save is a new version with its PRODUCT_SAVED
// event, refusals change nothing, requests in flight keep their steps, and
// the ledger verifies throughout.
func testProductAdmin(t *testing.T, f *fixture) {
	ctx := f.ctx
	require.NotNil(t, f.products, "harness has no product store")
	f.svc.Products = f.products
	adminID := f.who(t, admin)

	// Register.
	o, err := f.svc.SaveProduct(ctx, adminID, newDefinition(), true, 0)
	require.NoError(t, err)
	assert.Equal(t, 1, o.Version)
	p, _, err := f.reads.ProductFor(ctx, "payroll", requester2)
	require.NoError(t, err)
	assert.Equal(t, "PII", p.Classification, "classifications are upper case")
	assert.Equal(t, []string{"hr", "payroll"}, p.Tags, "tags lower case, sorted, once")
	assert.Equal(t, []int{7, 30}, p.Durations)
	require.Len(t, p.Chain, 4)
	assert.Equal(t, roleOwner, p.Chain[3].ApproverRole, "the owners' step is keyed to the owner role")
	assert.Equal(t, 2, p.Chain[3].Quorum)
	assert.Equal(t, "PII", p.Chain[1].WhenTag)

	vs, err := f.products.ProductVersions(ctx, "payroll")
	require.NoError(t, err)
	require.Len(t, vs, 1)
	assert.Equal(t, admin, vs[0].SavedBy)
	assert.Equal(t, signoff.DefinitionHash(vs[0].Definition), vs[0].Hash)
	d, err := signoff.ParseDefinition(vs[0].Definition)
	require.NoError(t, err)
	assert.Equal(t, "HR.PAYROLL.LINES", d.SourceObject, "the version keeps the whole definition")
	evs := f.events(t, signoff.EventFilter{ProductID: "payroll", Type: signoff.EventProductSaved})
	require.Len(t, evs, 1)
	assert.Empty(t, evs[0].RequestID, "a save belongs to no request")
	assert.Equal(t, admin, evs[0].Actor)
	assert.True(t, strings.HasPrefix(evs[0].Details, signoff.DefinitionDetails(1, vs[0].Hash)+";catalog="), evs[0].Details)

	// A request in flight, on the first version.
	r := f.submitFor(t, requester2, "payroll", 7)
	before := shapes(r.Steps)
	require.Len(t, before, 4)

	// Edit: a new version; the request keeps its steps, a new one takes
	// the new chain.
	ed, err := f.svc.EditProduct(ctx, adminID, "payroll")
	require.NoError(t, err)
	assert.Equal(t, 1, ed.Version)
	def := ed.Definition
	def.Name = "Payroll lines (EU)"
	def.Chain = def.Chain[:1]
	def.Chain[0].Quorum = 2
	o, err = f.svc.SaveProduct(ctx, adminID, def, false, 1)
	require.NoError(t, err)
	assert.Equal(t, 2, o.Version)
	assert.Equal(t, before, shapes(f.request(t, r.ID).Steps), "a request in flight keeps the steps it copied")
	r2 := f.submitFor(t, requester, "payroll", 7)
	assert.Equal(t, []string{"Line manager (1 of 2)", "Line manager (2 of 2)"}, []string{r2.Steps[0].Label, r2.Steps[1].Label})
	ed, err = f.svc.EditProduct(ctx, adminID, "payroll")
	require.NoError(t, err)
	require.Len(t, ed.History, 2)
	assert.Equal(t, 2, ed.History[0].Version)
	fields := map[string]signoff.Change{}
	for _, c := range ed.History[0].Changes {
		fields[c.Field] = c
	}
	assert.Equal(t, "Payroll lines (EU)", fields["Name"].New)
	assert.Contains(t, fields, "Step 4")
	assert.NotContains(t, fields, "Owner role")

	// Refusals change nothing.
	head := func() signoff.LedgerHead {
		h, err := f.reads.LedgerHead(ctx)
		require.NoError(t, err)
		return h
	}
	h0 := head()
	_, err = f.svc.SaveProduct(ctx, adminID, def, false, 1)
	assert.Equal(t, signoff.CodeStaleVersion, codeOf(err), "a save over a version saved meanwhile")
	_, err = f.svc.SaveProduct(ctx, adminID, def, true, 0)
	assert.Equal(t, signoff.CodeProductExists, codeOf(err))
	_, err = f.svc.SaveProduct(ctx, f.who(t, owner), def, false, 2)
	assert.ErrorIs(t, err, signoff.ErrForbidden, "the Service refuses non-admins")
	out, err := f.products.SaveProduct(ctx, f.who(t, owner), signoff.SaveProductCall{Definition: def, BaseVersion: 2,
		EventIDs: f.newIDs(1), At: f.clock.Now()})
	require.NoError(t, err)
	assert.Equal(t, signoff.CodeNotAdmin, out.Code, "the engine refuses non-admins itself")
	missing := def
	missing.ID = "nope"
	_, err = f.svc.SaveProduct(ctx, adminID, missing, false, 0)
	assert.Equal(t, signoff.CodeProductNotFound, codeOf(err))
	bad := def
	bad.AccessRole = `X"; DROP ROLE Y`
	bad.Chain = append(bad.Chain, signoff.DefinitionStep{Kind: "BOSS", ApproverRole: roleDPO, Label: "x", Quorum: 9})
	_, err = f.svc.SaveProduct(ctx, adminID, bad, false, 2)
	var probs signoff.Problems
	require.True(t, errors.As(err, &probs), "%v", err)
	assert.Contains(t, probs, "access_role")
	assert.Contains(t, probs, "chain.2.kind")
	assert.Contains(t, probs, "chain.2.quorum")
	assert.Equal(t, h0, head(), "no refusal wrote an event")
	vs, err = f.products.ProductVersions(ctx, "payroll")
	require.NoError(t, err)
	assert.Len(t, vs, 2)

	// A product installed without Signoff (version 0) is edited from it.
	ed, err = f.svc.EditProduct(ctx, adminID, "ledger")
	require.NoError(t, err)
	assert.Equal(t, 0, ed.Version)
	o, err = f.svc.SaveProduct(ctx, adminID, ed.Definition, false, 0)
	require.NoError(t, err)
	assert.Equal(t, 1, o.Version)

	rep, err := f.reads.VerifyLedger(ctx, nil)
	require.NoError(t, err)
	assert.Empty(t, rep.Problems, "the ledger verifies with product saves in it")
}

// testProductSaveWithPolicy: a product's approvals and the chain policy's
// together are held to signoff.MaxChainSteps when the product is saved,
// not only when it is requested (CHAIN_TOO_LONG); and a product whose own
// steps are all conditional saves when a policy step applies to it.
func testProductSaveWithPolicy(t *testing.T, f *fixture) {
	ctx := f.ctx
	require.NotNil(t, f.products, "harness has no product store")
	f.svc.Products = f.products
	adminID := f.who(t, admin)
	require.NoError(t, f.acct.SetChainPolicy(ctx, []signoff.ChainStep{
		{ApproverRole: roleFallback, Label: "Governance", Quorum: signoff.MaxQuorum},
		{ApproverRole: roleSecurity, Label: "Security", Quorum: 3}}))
	_, err := f.svc.SaveProduct(ctx, adminID, newDefinition(), true, 0) // 5 approvals of its own
	var probs signoff.Problems
	require.ErrorAs(t, err, &probs)
	assert.Contains(t, probs["chain"], "with the chain policy's")
	_, _, err = f.reads.ProductFor(ctx, "payroll", requester2)
	assert.ErrorIs(t, err, signoff.ErrNotFound, "nothing was saved")

	require.NoError(t, f.acct.SetChainPolicy(ctx, []signoff.ChainStep{
		{ApproverRole: roleFallback, Label: "Governance", WhenTag: "pii"}}))
	d := newDefinition()
	for i := range d.Chain {
		d.Chain[i].WhenTag = "sox" // none of its own applies to it
	}
	_, err = f.svc.SaveProduct(ctx, adminID, d, true, 0)
	require.NoError(t, err, "the policy's step applies: a request has a chain")
}

// testProductReviewSettings: how a product's access is reviewed (the
// object whose use reviews show, the schedule, the idle threshold) is part
// of its definition: saved with it into the catalog row reviews read,
// shown again by the edit form, versioned, and audited with the save.
func testProductReviewSettings(t *testing.T, f *fixture) {
	ctx := f.ctx
	require.NotNil(t, f.products, "harness has no product store")
	rr, ok := f.reads.(signoff.ReviewReads)
	require.True(t, ok, "the engine's reads serve reviews")
	f.svc.Products, f.svc.ReviewReads = f.products, rr
	adminID := f.who(t, admin)
	d := newDefinition()
	d.SourceObject, d.ReviewDays, d.IdleDays = "hr.payroll.lines", 90, 14
	_, err := f.svc.SaveProduct(ctx, adminID, d, true, 0)
	require.NoError(t, err)
	pol, _, err := rr.Reviews(ctx, "payroll", 1)
	require.NoError(t, err)
	assert.Equal(t, signoff.ReviewPolicy{ReviewDays: 90, IdleDays: 14, ObjectName: "HR.PAYROLL.LINES"}, pol,
		"the catalog row reviews read; the object as the access history names it")
	ed, err := f.svc.EditProduct(ctx, adminID, "payroll")
	require.NoError(t, err)
	assert.Equal(t, 90, ed.Definition.ReviewDays)
	assert.Equal(t, 14, ed.Definition.IdleDays)
	assert.Equal(t, "HR.PAYROLL.LINES", ed.Definition.SourceObject)

	// No schedule any more: the row says so, and the change is a version.
	ed.Definition.ReviewDays = 0
	o, err := f.svc.SaveProduct(ctx, adminID, ed.Definition, false, ed.Version)
	require.NoError(t, err)
	assert.Equal(t, 2, o.Version)
	pol, _, err = rr.Reviews(ctx, "payroll", 1)
	require.NoError(t, err)
	assert.Equal(t, 0, pol.ReviewDays)
	assert.Equal(t, 14, pol.IdleDays)
	ed, err = f.svc.EditProduct(ctx, adminID, "payroll")
	require.NoError(t, err)
	require.NotEmpty(t, ed.History)
	assert.Contains(t, fmt.Sprint(ed.History[0].Changes), "Review every (days)")

	d.ID, d.ReviewDays = "payroll-2", -1
	_, err = f.svc.SaveProduct(ctx, adminID, d, true, 0)
	var probs signoff.Problems
	require.ErrorAs(t, err, &probs)
	assert.Contains(t, probs, "review_days")
	rep, err := f.reads.VerifyLedger(ctx, nil)
	require.NoError(t, err)
	assert.Empty(t, rep.Problems, "the catalog row matches its latest version")
}
