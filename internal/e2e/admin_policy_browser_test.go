package e2e

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPolicyAdminInBrowser: ADAM opens the chain policy from the Admin
// page, sees which products each step applies to, adds a step, sees a
// problem beside its field, and saves: every page passes axe in both
// colour schemes.
func TestPolicyAdminInBrowser(t *testing.T) {
	b := newBrowserTest(t)
	b.signIn("ADAM")
	b.open("/admin")
	b.submit(`a[href="/admin/policy"]`)
	assert.Contains(t, b.text(`[data-testid="policy-applies"]`), "Applies now to")
	b.checkBothSchemes("policy 01 page")

	b.set("policy.2.approver_role", "DATA_GOVERNANCE")
	b.set("policy.2.label", "Governance")
	b.set("policy.2.when_tag", "finance")
	b.set("policy.2.quorum", "9")
	b.submit(`[data-testid="save-policy"]`)
	assert.Contains(t, b.text(`#f-policy-2-quorum-error`), "A step asks for 1 to 5 approvals.")
	b.checkBothSchemes("policy 02 a problem")

	b.set("policy.2.quorum", "1")
	b.submit(`[data-testid="save-policy"]`)
	assert.Contains(t, b.text(`[data-testid="flash"]`), "Saved the chain policy: 2 step(s).")
	b.checkBothSchemes("policy 03 saved")

	adam, err := b.store.Identify(t.Context(), "ADAM")
	require.NoError(t, err)
	ed, err := b.svc.EditPolicy(t.Context(), adam)
	require.NoError(t, err)
	require.Len(t, ed.Rules, 2)
	assert.Equal(t, "Governance", ed.Rules[1].Label)
	assert.Equal(t, "finance", ed.Rules[1].WhenTag)
}
