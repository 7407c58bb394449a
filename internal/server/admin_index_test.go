package server_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAdminIndex: the Admin tab's page lists what the viewer may use there:
// auditors read requests, grants and the ledger's verdict; admins also edit
// the catalog and run the diagnostics. Nobody else may open it.
func TestAdminIndex(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	res := s.as("ADAM").get("/admin")
	require.Equal(t, http.StatusOK, res.Status)
	index := testid(res.Body, "admin-index")
	for _, want := range []string{"All requests", "Grants", "Audit log verification", "Products", "Diagnostics"} {
		assert.Contains(t, index, want)
	}
	assert.Equal(t, "/admin", href(res.Body, "aria-current", "page"), "the Admin tab is current")

	res = s.as("AUDREY").get("/admin")
	require.Equal(t, http.StatusOK, res.Status)
	index = testid(res.Body, "admin-index")
	assert.Contains(t, index, "All requests")
	assert.NotContains(t, index, "Products", "auditors change nothing")
	assert.NotContains(t, index, "Diagnostics")
	assert.Contains(t, res.Body, "As an auditor you read everything here and change nothing.")

	for _, user := range []string{"ALICE", "NOEL", "OLIVIA"} {
		res := s.as(user).get("/admin")
		assert.Equal(t, http.StatusForbidden, res.Status, user)
		assert.NotContains(t, mainNav(t, s.as(user).get("/").Body), `href="/admin"`, user)
	}
	assert.Equal(t, http.StatusSeeOther, s.anon().get("/admin").Status, "sign in first")
}
