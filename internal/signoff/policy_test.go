package signoff_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/signoff/signoff/internal/signoff"
)

// TestValidatePolicyRules: each rule beside its field, no owners' step, the
// total with a product's own approvals, and a product left without a step
// are refused, naming the product; a product with no chain of its own (a
// draft) does not stop any policy.
func TestValidatePolicyRules(t *testing.T) {
	conditional := signoff.Product{ID: "p", Name: "Partner feed", Classification: "INTERNAL",
		Chain: []signoff.ChainStep{{Order: 1, ApproverRole: "DPO", Label: "Data protection", WhenTag: "pii", Quorum: 1}}}
	heavy := signoff.Product{ID: "h", Name: "Heavy", Classification: "INTERNAL",
		Chain: []signoff.ChainStep{{Order: 1, ApproverRole: "BOARD", Label: "Board", Quorum: 5}}}
	draft := signoff.Product{ID: "d", Name: "Draft", Classification: "INTERNAL"}
	rule := func(quorum int, tag string) signoff.DefinitionStep {
		return signoff.DefinitionStep{Kind: signoff.KindRole, ApproverRole: "GOVERNANCE", Label: "Governance", Quorum: quorum, WhenTag: tag}
	}

	assert.Nil(t, signoff.ValidatePolicyRules([]signoff.DefinitionStep{rule(1, "")}, []signoff.Product{conditional, heavy, draft}))
	assert.Nil(t, signoff.ValidatePolicyRules(nil, []signoff.Product{heavy, draft}), "an empty policy")

	probs := signoff.ValidatePolicyRules([]signoff.DefinitionStep{rule(5, ""), rule(1, "")}, []signoff.Product{heavy})
	assert.Contains(t, probs["policy"], "Heavy", "the product is named")
	assert.Contains(t, probs["policy"], "at most 10")

	probs = signoff.ValidatePolicyRules([]signoff.DefinitionStep{rule(1, "gdpr")}, []signoff.Product{conditional, draft})
	assert.Contains(t, probs["policy"], "No step would apply to Partner feed")

	probs = signoff.ValidatePolicyRules(signoff.NormalizePolicy([]signoff.DefinitionStep{
		{Kind: "owner", Label: "Owners"}, {Kind: "manager", ApproverRole: "MGR", Label: "Manager", Quorum: 2},
		{ApproverRole: "ok", Label: " ", WhenTag: "no spaces"}}), nil)
	assert.Contains(t, probs, "policy.1.kind")
	assert.Contains(t, probs, "policy.2.quorum")
	assert.Contains(t, probs, "policy.3.label")
	assert.Contains(t, probs, "policy.3.when_tag")
}
