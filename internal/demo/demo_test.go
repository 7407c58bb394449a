package demo_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/demo"
	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlite"
)

// TestLoadTellsTheStory loads the demo and checks that every state of the
// lifecycle the story promises is there, made by the real workflow.
func TestLoadTellsTheStory(t *testing.T) {
	ctx := t.Context()
	st, err := sqlite.Open(ctx, ":memory:")
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	svc := signoff.NewService(st.Reads(), st)
	require.NoError(t, demo.Load(ctx, st, svc, time.Now()))

	counts := map[signoff.Status]int{}
	for _, u := range []string{"ALICE", "BEN"} {
		rs, err := st.Reads().Requests(ctx, u, 100)
		require.NoError(t, err)
		for _, r := range rs {
			counts[r.Status]++
		}
	}
	assert.Equal(t, map[signoff.Status]int{
		signoff.StatusGranted: 1, signoff.StatusRevoked: 1, signoff.StatusRejected: 1,
		signoff.StatusWithdrawn: 1, signoff.StatusGrantFailed: 1, signoff.StatusPending: 5, signoff.StatusExpired: 1,
	}, counts)
	assert.False(t, hasRole(t, st, "BEN", "WEB_TRAFFIC_READ"), "Ben's week of web traffic expired, and the scheduler revoked it")

	// Alice asked for 90 days of sales orders; the owner approved 30, and
	// the clock started at the grant.
	mine, err := st.Reads().Requests(ctx, "ALICE", 100)
	require.NoError(t, err)
	var orders, payroll signoff.Request
	for _, r := range mine {
		switch {
		case r.ProductID == "sales-orders":
			orders = r
		case r.ProductID == "payroll-detail":
			payroll = r
		}
	}
	assert.Equal(t, 90, orders.AskedDays)
	assert.Equal(t, 30, orders.DurationDays)
	assert.False(t, orders.ExpiresAt.IsZero())
	// She may ask to extend it: the extension would wait for the data
	// owner only.
	alice, err := st.Identify(ctx, "ALICE")
	require.NoError(t, err)
	o, err := svc.Extend(ctx, alice, "sales-orders", orders.ID, "The Q4 review runs into January; the same order lines.", 30)
	require.NoError(t, err)
	ext, _, _, err := st.Reads().RequestDetail(ctx, o.RequestID)
	require.NoError(t, err)
	assert.Equal(t, orders.ID, ext.Extends)
	assert.Equal(t, 1, ext.StepCount)
	// Her payroll request's third step has nobody in its role: it went to
	// data governance, whose members may now decide it.
	step3, ok := payroll.Step(3)
	require.True(t, ok)
	assert.Equal(t, signoff.StatusPending, payroll.Status)
	assert.Equal(t, "DATA_GOVERNANCE", step3.EscalatedTo)
	vera, err := st.Identify(ctx, "VERA")
	require.NoError(t, err)
	vq, err := svc.Queue(ctx, vera, signoff.QueueInput{})
	require.NoError(t, err)
	require.Len(t, vq.Requests, 1, "the escalated step is in the fallback approver's queue")
	assert.Equal(t, payroll.ID, vq.Requests[0].ID)
	assert.True(t, vera.Approver, "a fallback approver has an approvals queue")
	svc.Notifier = st
	n, ok := svc.PendingCount(ctx, vera)
	assert.True(t, ok)
	assert.Equal(t, 1, n, "the header counts the escalated step")

	alice, err = st.Identify(ctx, "ALICE")
	require.NoError(t, err)
	assert.True(t, alice.HasRole("SALES_ORDERS_READ"), "Alice's granted request gave her the role")
	ben, err := st.Identify(ctx, "BEN")
	require.NoError(t, err)
	assert.False(t, ben.HasRole("CAMPAIGNS_READ"), "Ben's revoked access is gone")

	sam, err := st.Identify(ctx, "SAM")
	require.NoError(t, err)
	assert.True(t, sam.HasRole("DPO"), "SECURITY_LEAD inherits DPO")
	q, err := svc.Queue(ctx, sam, signoff.QueueInput{})
	require.NoError(t, err)
	require.Len(t, q.Requests, 1, "Ben's HR headcount request waits for data protection")
	assert.Equal(t, "hr-headcount", q.Requests[0].ProductID)

	empty, err := st.Empty(ctx)
	require.NoError(t, err)
	assert.False(t, empty)
}

func hasRole(t *testing.T, st *sqlite.Store, user, role string) bool {
	t.Helper()
	id, err := st.Identify(t.Context(), user)
	require.NoError(t, err)
	return id.HasRole(role)
}

// TestStoryIsInTimeOrder: the story is played in the order it happened,
// across requests, so the audit log (newest first, in the order of its
// appends) reads in time order too.
func TestStoryIsInTimeOrder(t *testing.T) {
	ctx := t.Context()
	st, err := sqlite.Open(ctx, ":memory:")
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	require.NoError(t, demo.Load(ctx, st, signoff.NewService(st.Reads(), st), time.Now()))

	evs, err := st.Reads().Events(ctx, signoff.EventFilter{Limit: 1000})
	require.NoError(t, err)
	require.Greater(t, len(evs), 20)
	for i := 1; i < len(evs); i++ {
		assert.Equal(t, evs[i-1].Seq-1, evs[i].Seq)
		assert.False(t, evs[i-1].Time.Before(evs[i].Time), "event %d (%s) is older than the one appended before it", i-1, evs[i-1].Type)
	}
}
