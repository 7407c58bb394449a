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

// TestDemoReview: the demo has an open access review of sales orders, made
// by the real workflow, in which ALICE's grant shows its recent use and
// GRACE's, never used since it was granted three weeks ago, is idle and
// suggested for revoke.
func TestDemoReview(t *testing.T) {
	ctx := t.Context()
	st, err := sqlite.Open(ctx, ":memory:")
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	svc := signoff.NewService(st.Reads(), st)
	svc.ReviewReads, svc.ReviewEngine = st.Reads(), st
	now := time.Now()
	require.NoError(t, demo.Load(ctx, st, svc, now))

	olivia, err := st.Identify(ctx, "OLIVIA")
	require.NoError(t, err)
	page, err := svc.ReviewsAwaiting(ctx, olivia)
	require.NoError(t, err)
	open := page.Open
	require.Len(t, open, 1, "the sales orders review waits for its owner")
	var owned []string
	for _, p := range page.Products {
		owned = append(owned, p.ID)
	}
	assert.ElementsMatch(t, []string{"board-kpis", "customer-360", "marketing-campaigns", "sales-orders", "web-traffic-daily"}, owned,
		"the products she may review")
	assert.Equal(t, "sales-orders", open[0].ProductID)
	rp, err := svc.Review(ctx, olivia, open[0].ID)
	require.NoError(t, err)
	assert.True(t, rp.MayDecide)
	assert.True(t, rp.Review.UsageKnown())
	require.Len(t, rp.Items, 3, "ALICE's, GRACE's and MARCO's grants")
	items := map[string]signoff.ReviewItem{}
	for _, it := range rp.Items {
		items[it.Requester] = it
	}
	alice, grace := items["ALICE"], items["GRACE"]
	assert.False(t, alice.LastUsed.IsZero())
	assert.Equal(t, 30, alice.Queries30)
	assert.False(t, alice.Idle(rp.Now, rp.Review.Policy.Idle()))
	assert.True(t, grace.LastUsed.IsZero(), "never used since the grant")
	assert.True(t, grace.Idle(rp.Now, rp.Review.Policy.Idle()), "idle: suggested for revoke")
	marco := items["MARCO"]
	assert.True(t, marco.LastUsed.IsZero())
	assert.False(t, marco.Idle(rp.Now, rp.Review.Policy.Idle()), "granted today: not idle yet")
	assert.Equal(t, 1, rp.Idle())

	rep, err := st.Reads().VerifyLedger(ctx, nil)
	require.NoError(t, err)
	assert.Empty(t, rep.Problems)
}
