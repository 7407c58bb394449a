package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlite"
)

// TestStuckChainsAreExplained: when nobody can decide a step (issue 12), the
// product page warns before one asks, and the request page says why to the
// requester, the product's owners and admins, and to nobody else. A step
// with a fallback role goes to it; one without stays stuck, and says so.
func TestStuckChainsAreExplained(t *testing.T) {
	t.Parallel()
	s := newStack(t, seeded(func(ctx context.Context, st *sqlite.Store) error {
		// A product whose only step needs a role nobody holds, and that
		// has no fallback role.
		return st.CreateProduct(ctx, signoff.Product{ID: "orphan-report", Name: "Orphan report",
			Description: "Nobody owns it yet.", Owner: "Nobody", OwnerRole: "SIGNOFF_ADMIN", Domain: "Misc",
			Classification: "INTERNAL", AccessRole: "WEB_TRAFFIC_READ",
			Chain: []signoff.ChainStep{{Order: 1, ApproverRole: "COMPENSATION_COMMITTEE", Label: "Committee"}}})
	}))
	olivia := s.as("OLIVIA") // the only holder of DATA_OWNER_SALES

	res := olivia.get("/products/sales-orders")
	require.Equal(t, http.StatusOK, res.Status)
	warn := text(testidHTML(res.Body, "blocked"))
	assert.Contains(t, warn, "Step 2 (Data owner) goes to its fallback approvers")
	assert.Contains(t, warn, "OLIVIA made the request")
	assert.Contains(t, warn, "DATA_GOVERNANCE")
	assert.Contains(t, res.Body, `action="/products/sales-orders/requests"`, "she may still ask")

	res = s.as("ALICE").get("/products/orphan-report")
	require.Equal(t, http.StatusOK, res.Status)
	assert.Contains(t, text(testidHTML(res.Body, "blocked")), "Nobody can decide step 1 (Committee)", "no fallback: stuck")

	res = s.as("ALICE").get("/products/sales-orders")
	require.Equal(t, http.StatusOK, res.Status)
	assert.False(t, hasTestid(res.Body, "blocked"), "ALICE's request can be decided to the end")
	res = s.as("ALICE").get("/products/gl-journal")
	assert.False(t, hasTestid(res.Body, "blocked"), "GRACE and FRANK split the finance steps (the issue's stuck journal)")
	res = s.as("MARCO").get("/products/sales-orders")
	assert.False(t, hasTestid(res.Body, "blocked"), "LENA decides MARCO's line-manager step")

	res = olivia.post("/products/sales-orders/requests", url.Values{"reason": {"Pipeline review for the sales offsite next week."},
		"days": {"30"}})
	require.Equal(t, http.StatusSeeOther, res.Status)
	page := res.Location
	require.True(t, strings.HasPrefix(page, "/requests/"), page)
	id := strings.TrimPrefix(page, "/requests/")

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
			assert.Contains(t, text(testidHTML(res.Body, "blocked")), "Step 2 (Data owner) goes to its fallback approvers", tc.user)
		}
	}

	// MARCO approves step 1; step 2 is then the current one and nobody in
	// its role may decide it, so the scheduler sends it to the fallback
	// role, and VERA, who holds it, decides it: the request is granted.
	res = decide(s.as("MARCO"), id, url.Values{"decision": {"approve"}, "step": {"1"}})
	require.Equal(t, http.StatusSeeOther, res.Status)
	assert.NotContains(t, s.as("VERA").get("/queue").Body, id, "not hers before it escalates")
	swept, err := s.svc.Sweep(t.Context())
	require.NoError(t, err)
	assert.Equal(t, 1, swept.Done[signoff.DueEscalateStep])
	r, _, evs, err := s.st.Reads().RequestDetail(t.Context(), id)
	require.NoError(t, err)
	step2, _ := r.Step(2)
	assert.Equal(t, "DATA_GOVERNANCE", step2.EscalatedTo)
	last := evs[len(evs)-1]
	assert.Equal(t, signoff.EventStepEscalated, last.Type)
	assert.Equal(t, signoff.SystemActor, last.Actor)
	assert.Equal(t, "DATA_GOVERNANCE", last.Details)
	assert.Equal(t, signoff.EscalationWhy("blocked"), last.Comment)

	again, err := s.svc.Sweep(t.Context())
	require.NoError(t, err)
	assert.Zero(t, again.Total(), "an escalation happens once")

	assert.Contains(t, s.as("VERA").get("/queue").Body, id, "in the fallback approver's queue")
	res = s.as("OLIVIA").get(page)
	assert.False(t, hasTestid(res.Body, "decision"), "the requester still decides nothing")
	res = s.as("VERA").get(page)
	require.True(t, hasTestid(res.Body, "decision"), "the fallback approver may decide the escalated step")
	res = decide(s.as("VERA"), id, url.Values{"decision": {"approve"}, "step": {"2"}})
	require.Equal(t, http.StatusSeeOther, res.Status)
	r, _, _, err = s.st.Reads().RequestDetail(t.Context(), id)
	require.NoError(t, err)
	assert.Equal(t, signoff.StatusGranted, r.Status)
	step2, _ = r.Step(2)
	assert.Equal(t, "DATA_GOVERNANCE", step2.ActorRole, "decided as the fallback role")
	rep, err := s.svc.VerifyAudit(t.Context(), s.identity("AUDREY"))
	require.NoError(t, err)
	assert.Empty(t, rep.Problems, "the escalated decision verifies")
}
