package signoff_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
)

func goodDefinition() signoff.Definition {
	return signoff.Definition{ID: "payroll", Name: " Payroll ", Owner: "People ops", OwnerRole: "DATA_OWNER_HR",
		Domain: "People", Classification: "pii", Tags: []string{"HR", " hr", "", "Payroll"},
		Columns:    []signoff.Column{{Name: "EMPLOYEE_ID", Type: "VARCHAR"}, {}},
		AccessRole: "PAYROLL_READ", Durations: []int{30, 7, 30},
		Chain: []signoff.DefinitionStep{
			{ApproverRole: "LINE_MANAGER", Label: "Line manager"},
			{Kind: "owner", ApproverRole: "WHATEVER", Label: "Owners", Quorum: 2},
			{Kind: signoff.KindManager, ApproverRole: "LINE_MANAGER", Label: "Manager", WhenTag: "finance"},
		}}
}

func TestDefinitionNormalizeAndJSON(t *testing.T) {
	d := goodDefinition()
	d.Normalize()
	assert.Equal(t, "Payroll", d.Name)
	assert.Equal(t, "PII", d.Classification)
	assert.Equal(t, []string{"hr", "payroll"}, d.Tags)
	assert.Equal(t, []signoff.Column{{Name: "EMPLOYEE_ID", Type: "VARCHAR"}}, d.Columns, "blank rows dropped")
	assert.Equal(t, []int{7, 30}, d.Durations)
	assert.Equal(t, signoff.KindRole, d.Chain[0].Kind)
	assert.Equal(t, 1, d.Chain[0].Quorum)
	assert.Equal(t, signoff.KindOwner, d.Chain[1].Kind)
	assert.Equal(t, "DATA_OWNER_HR", d.Chain[1].ApproverRole, "an owners' step is keyed to the owner role")
	assert.Nil(t, d.Validate())
	assert.Nil(t, d.ValidateWithPolicy(nil))
	policy := []signoff.ChainStep{{ApproverRole: "DPO", Label: "Data protection", Quorum: signoff.MaxQuorum},
		{ApproverRole: "GOV", Label: "Governance", Quorum: signoff.MaxQuorum}}
	assert.Contains(t, d.ValidateWithPolicy(policy)["chain"], "with the chain policy's",
		"the product's approvals and the policy's together are held to the limit")

	back, err := signoff.ParseDefinition(d.JSON())
	require.NoError(t, err)
	assert.Equal(t, d, back, "the JSON round-trips")
	assert.Equal(t, d.JSON(), back.JSON(), "the same definition is the same text")
	assert.Equal(t, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", signoff.DefinitionHash("abc"))
	assert.Equal(t, "version=3;sha256=ab", signoff.DefinitionDetails(3, "ab"))

	_, err = signoff.ParseDefinition(`{"id": "x", "chian": []}`)
	assert.ErrorIs(t, err, signoff.ErrInvalid, "a misspelt key is refused, not dropped")

	p := back.Product()
	assert.Equal(t, 3, p.Chain[2].Order)
	assert.Equal(t, back, signoff.DefinitionOf(p, ""), "a product and its definition agree")
}

func TestDefinitionValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(d *signoff.Definition)
		fields []string
	}{
		{"an ID that is no URL segment", func(d *signoff.Definition) { d.ID = "Pay Roll" }, []string{"id"}},
		{"no name", func(d *signoff.Definition) { d.Name = " " }, []string{"name"}},
		{"a role with a quote", func(d *signoff.Definition) { d.AccessRole = `X"Y` }, []string{"access_role"}},
		{"one of Signoff's own roles", func(d *signoff.Definition) { d.AccessRole = signoff.RoleAdmin }, []string{"access_role"}},
		{"a bidirectional control", func(d *signoff.Definition) { d.Description = "abc\u202edef" }, []string{"description"}},
		{"a bad fallback", func(d *signoff.Definition) { d.FallbackRole = "a b" }, []string{"fallback_role"}},
		{"a duration too long", func(d *signoff.Definition) { d.Durations = []int{signoff.MaxDays + 1} }, []string{"durations"}},
		{"a bad object name", func(d *signoff.Definition) { d.SourceObject = "DB.SCHEMA" }, []string{"source_object"}},
		{"an unknown kind and a quorum too big", func(d *signoff.Definition) {
			d.Chain[0].Kind, d.Chain[1].Quorum = "BOSS", signoff.MaxQuorum+1
		}, []string{"chain.1.kind", "chain.2.quorum"}},
		{"a negative deadline", func(d *signoff.Definition) { d.Chain[0].DeadlineHours = -1 }, []string{"chain.1.deadline_hours"}},
		{"no chain", func(d *signoff.Definition) { d.Chain = nil }, []string{"chain"}},
		{"too many approvals", func(d *signoff.Definition) {
			for i := range d.Chain {
				if d.Chain[i].Kind != signoff.KindManager {
					d.Chain[i].Quorum = signoff.MaxQuorum
				}
			}
		}, []string{"chain"}},
		{"a manager's quorum", func(d *signoff.Definition) {
			d.Chain = append(d.Chain, signoff.DefinitionStep{Kind: signoff.KindManager, ApproverRole: "LINE_MANAGER",
				Label: "Manager", Quorum: 2})
		}, []string{"chain.4.quorum"}},
		{"no step applies", func(d *signoff.Definition) {
			for i := range d.Chain {
				d.Chain[i].WhenTag = "sox"
			}
		}, []string{"chain"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := goodDefinition()
			tc.change(&d)
			d.Normalize()
			probs := d.Validate()
			if probs == nil { // then what depends on the policy too (none here)
				probs = d.ValidateWithPolicy(nil)
			}
			var got []string
			for k := range probs {
				got = append(got, k)
			}
			assert.ElementsMatch(t, tc.fields, got, "%v", probs)
		})
	}
}

func TestDefinitionChanges(t *testing.T) {
	v1 := goodDefinition()
	v1.Normalize()
	first := v1.Changes(nil)
	assert.Contains(t, first, signoff.Change{Field: "Name", New: "Payroll"}, "a first version: what it set")
	for _, c := range first {
		assert.Empty(t, c.Old)
		assert.NotEqual(t, "Pending limit (days)", c.Field, "a zero is not shown as set")
	}
	v2 := v1
	v2.Chain = append([]signoff.DefinitionStep{}, v1.Chain[:2]...)
	v2.Chain[0].DeadlineHours = 24
	v2.AccessRole = "PAYROLL_READER"
	assert.Equal(t, []signoff.Change{
		{Field: "Access role", Old: "PAYROLL_READ", New: "PAYROLL_READER"},
		{Field: "Step 1", Old: "Line manager: LINE_MANAGER (ROLE)", New: "Line manager: LINE_MANAGER (ROLE, 24h)"},
		{Field: "Step 3", Old: "Manager: LINE_MANAGER (MANAGER, when finance)"},
	}, v2.Changes(&v1))
	assert.Empty(t, v2.Changes(&v2))
}

// managers is a directory of managers for the preview.
// managers is a directory of managers in memory, for the preview.
type managers map[string]string

func (m managers) ManagerOf(_ context.Context, user string) (string, error) { return m[user], nil }

func (m managers) ManagerEntries(context.Context, string, int) ([]signoff.DirectoryEntry, error) {
	return nil, nil
}

func (m managers) SetManagers(context.Context, signoff.Identity, signoff.DirectoryCall) (signoff.Outcome, error) {
	return signoff.Outcome{}, errors.New("not in the preview")
}

func TestPreviewChain(t *testing.T) {
	admin := signoff.NewIdentity("ADAM", []string{signoff.RoleAdmin})
	svc := signoff.NewService(nil, nil)
	d := goodDefinition()
	d.Tags = append(d.Tags, "finance") // the manager step applies
	steps, err := svc.PreviewChain(t.Context(), admin, d, "ALICE")
	require.NoError(t, err)
	var got []string
	for _, st := range steps {
		got = append(got, st.Label+": "+st.Who)
	}
	assert.Equal(t, []string{
		"Line manager: Members of LINE_MANAGER",
		"Owners (1 of 2): The product's owners: members of DATA_OWNER_HR",
		"Owners (2 of 2): The product's owners: members of DATA_OWNER_HR",
		"Manager: The requester's manager, who must hold LINE_MANAGER",
	}, got)

	svc.Managers = managers{"ALICE": "MARCO"}
	steps, err = svc.PreviewChain(t.Context(), admin, d, "ALICE")
	require.NoError(t, err)
	assert.Equal(t, "ALICE's manager, MARCO, who must hold LINE_MANAGER", steps[3].Who)
	steps, err = svc.PreviewChain(t.Context(), admin, d, "NOEL")
	require.NoError(t, err)
	assert.Equal(t, "NOEL has no manager in the directory: a request of theirs would be refused", steps[3].Who)

	_, err = svc.PreviewChain(t.Context(), signoff.NewIdentity("ALICE", nil), d, "")
	assert.ErrorIs(t, err, signoff.ErrForbidden)
	_, err = svc.SaveProduct(t.Context(), admin, d, true, 0)
	assert.ErrorIs(t, err, signoff.ErrUnavailable, "no product store wired")
}
