package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStuckChainsAreExplained: when nobody can decide a step (issue 12), the
// product page warns before one asks, and the request page says why to the
// requester, the product's owners and admins, and to nobody else.
func TestStuckChainsAreExplained(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	olivia := s.as("OLIVIA") // the only holder of DATA_OWNER_SALES

	res := olivia.get("/products/sales-orders")
	require.Equal(t, http.StatusOK, res.Status)
	warn := text(testidHTML(res.Body, "blocked"))
	assert.Contains(t, warn, "Nobody can decide step 2 (Data owner)")
	assert.Contains(t, warn, "OLIVIA made the request")
	assert.Contains(t, res.Body, `action="/products/sales-orders/requests"`, "she may still ask")

	res = s.as("ALICE").get("/products/sales-orders")
	require.Equal(t, http.StatusOK, res.Status)
	assert.False(t, hasTestid(res.Body, "blocked"), "ALICE's request can be decided to the end")
	res = s.as("ALICE").get("/products/gl-journal")
	assert.False(t, hasTestid(res.Body, "blocked"), "GRACE and FRANK split the finance steps (the issue's stuck journal)")
	res = s.as("MARCO").get("/products/sales-orders")
	assert.False(t, hasTestid(res.Body, "blocked"), "LENA decides MARCO's line-manager step")

	res = olivia.post("/products/sales-orders/requests", url.Values{"reason": {"Pipeline review for the sales offsite next week."}})
	require.Equal(t, http.StatusSeeOther, res.Status)
	page := res.Location
	require.True(t, strings.HasPrefix(page, "/requests/"), page)

	for _, tc := range []struct {
		user string
		sees bool
	}{
		{"OLIVIA", true},  // the requester
		{"ADAM", true},    // an admin
		{"MARCO", false},  // an approver of step 1: not his to fix
		{"AUDREY", false}, // an auditor
	} {
		res := s.as(tc.user).get(page)
		require.Equal(t, http.StatusOK, res.Status, tc.user)
		assert.Equal(t, tc.sees, hasTestid(res.Body, "blocked"), tc.user)
		if tc.sees {
			assert.Contains(t, text(testidHTML(res.Body, "blocked")), "Nobody can decide step 2", tc.user)
		}
	}
}
