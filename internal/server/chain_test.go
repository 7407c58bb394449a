package server_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAuditVerifyPage: admins and auditors can check the audit hash chain
// from the audit log; nobody else can.
func TestAuditVerifyPage(t *testing.T) {
	s := newStack(t, nil)
	for _, user := range []string{"ADAM", "AUDREY"} {
		res := s.as(user).get("/audit/verify")
		require.Equal(t, http.StatusOK, res.Status, user)
		assert.Contains(t, testid(res.Body, "chain-status"), "Verified:", user)
		assert.Contains(t, testid(res.Body, "chain-status"), "every chain intact")
	}
	assert.Contains(t, s.as("ADAM").get("/audit").Body, `href="/audit/verify"`, "linked from the audit log")
	for _, user := range []string{"ALICE", "OLIVIA", "NOEL"} {
		res := s.as(user).get("/audit/verify")
		assert.Equal(t, http.StatusForbidden, res.Status, user)
	}
}

// TestQueueShowsAdminsWhatNeedsAGrant: an approved request without access
// (the demo's failed supplier-contracts grant) is listed for admins, and
// only for them.
func TestQueueShowsAdminsWhatNeedsAGrant(t *testing.T) {
	s := newStack(t, nil)
	failed := s.requestFor("ALICE", "supplier-contracts", "")
	res := s.as("ADAM").get("/queue")
	require.Equal(t, http.StatusOK, res.Status)
	section := testid(res.Body, "needs-grant")
	assert.Contains(t, section, "Supplier contracts")
	assert.Contains(t, section, "Grant failed")
	assert.Contains(t, res.Body, `href="/requests/`+failed+`"`)

	for _, user := range []string{"MARCO", "AUDREY", "ALICE"} {
		assert.False(t, hasTestid(s.as(user).get("/queue").Body, "needs-grant"), user)
	}

	// Once retried, it leaves the list.
	require.Equal(t, http.StatusSeeOther, s.as("ADAM").post("/requests/"+failed+"/retry-grant", nil).Status)
	assert.False(t, hasTestid(s.as("ADAM").get("/queue").Body, "needs-grant"))
}
