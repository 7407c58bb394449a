package signoff_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
)

func TestHasTag(t *testing.T) {
	for _, tc := range []struct {
		tags           []string
		classification string
		tag            string
		want           bool
	}{
		{nil, "PUBLIC", "", true},
		{[]string{"finance", "sox"}, "CONFIDENTIAL", "SOX", true},
		{[]string{"hr"}, "PII", "pii", true},
		{[]string{"finance_eu"}, "INTERNAL", "finance", false},
		{[]string{"données"}, "INTERNAL", "DONNÉES", true},
		{nil, "PUBLIC", "gdpr", false},
	} {
		assert.Equal(t, tc.want, signoff.HasTag(tc.tags, tc.classification, tc.tag), "%+v", tc)
	}
}

func TestResolveChain(t *testing.T) {
	p := signoff.Product{ID: "p", OwnerRole: "OWNERS", Classification: "FINANCE", Tags: []string{"sox"},
		FallbackRole: "GOV", Chain: []signoff.ChainStep{
			{ApproverRole: "MGR", Label: "Manager"},
			{ApproverRole: "DPO", Label: "DPO", WhenTag: "PII"},
			{ApproverRole: "CTRL", Label: "Controller", WhenTag: "finance", FallbackRole: "CFO", Quorum: 2},
			{Kind: signoff.KindOwner, Label: "Owner"},
		}}
	signoff.NormalizeChain(&p)
	require.NoError(t, signoff.ValidateChain(p))
	var got []string
	for _, s := range signoff.ResolveChain(p, false) {
		got = append(got, s.Label+"/"+s.ApproverRole+"/"+s.FallbackRole)
	}
	assert.Equal(t, []string{"Manager/MGR/GOV", "Controller (1 of 2)/CTRL/CFO", "Controller (2 of 2)/CTRL/CFO",
		"Owner/OWNERS/GOV"}, got)
	for i, s := range signoff.ResolveChain(p, false) {
		assert.Equal(t, i+1, s.Order)
	}
	assert.Len(t, signoff.ResolveChain(p, true), 4, "extensions take the whole chain unless the product says otherwise")
	p.ExtendLastStep = true
	last := signoff.ResolveChain(p, true)
	require.Len(t, last, 1)
	assert.Equal(t, "Owner", last[0].Label)
}

func TestValidateChain(t *testing.T) {
	base := func() signoff.Product {
		return signoff.Product{ID: "p", OwnerRole: "OWNERS", Classification: "INTERNAL",
			Chain: []signoff.ChainStep{{ApproverRole: "MGR", Label: "Manager"}}}
	}
	for _, tc := range []struct {
		name   string
		change func(p *signoff.Product)
		want   string
	}{
		{"no steps", func(p *signoff.Product) { p.Chain = nil }, "at least one step"},
		{"unknown kind", func(p *signoff.Product) { p.Chain[0].Kind = "BOSS" }, "must be ROLE, OWNER, MANAGER"},
		{"bad role", func(p *signoff.Product) { p.Chain[0].ApproverRole = "a b" }, "not a valid Snowflake identifier"},
		{"no label", func(p *signoff.Product) { p.Chain[0].Label = " " }, "needs a label"},
		{"bad tag", func(p *signoff.Product) {
			p.Chain = append(p.Chain, signoff.ChainStep{ApproverRole: "DPO", Label: "DPO", WhenTag: "pii'--"})
		}, "is not a tag or classification"},
		{"quorum too big", func(p *signoff.Product) { p.Chain[0].Quorum = 6 }, "1 to 5 approvals"},
		{"too many approvals", func(p *signoff.Product) {
			for range 4 {
				p.Chain = append(p.Chain, signoff.ChainStep{ApproverRole: "X", Label: "X", Quorum: 3})
			}
		}, "can need 13 approvals"},
		{"nothing applies", func(p *signoff.Product) { p.Chain[0].WhenTag = "PII" }, "no step of the chain applies"},
		{"a manager's quorum", func(p *signoff.Product) { p.Chain[0].Kind, p.Chain[0].Quorum = signoff.KindManager, 2 }, "one person"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := base()
			tc.change(&p)
			signoff.NormalizeChain(&p)
			err := signoff.ValidateChain(p)
			require.ErrorIs(t, err, signoff.ErrInvalid)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	p := base()
	p.Chain = append(p.Chain, signoff.ChainStep{Kind: signoff.KindOwner, ApproverRole: "SOMEONE_ELSE", Label: "Owner"})
	signoff.NormalizeChain(&p)
	assert.Equal(t, "OWNERS", p.Chain[1].ApproverRole, "normalizing keys the owners' step to the owner role")
	assert.NoError(t, signoff.ValidateChain(p))
}
