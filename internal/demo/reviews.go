package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/signoff/signoff/internal/signoff"
)

// ReviewAccount is what the demo's access review needs of the account
// besides Account: the products' review policy and a record of use, which
// on Snowflake are an administrator's UPDATE and the access history. The
// embedded engine's *sqlite.Store implements it.
type ReviewAccount interface {
	SetReviewPolicy(ctx context.Context, productID string, p signoff.ReviewPolicy) error
	RecordUsage(ctx context.Context, user, productID string, at time.Time, queries int) error
}

// ReviewPolicies are the demo products' review policies: sales orders are
// reviewed every 90 days, a grant unused for two weeks is idle, and the
// table whose use counts is named.
var ReviewPolicies = map[string]signoff.ReviewPolicy{
	"sales-orders": {ReviewDays: 90, IdleDays: 14, ObjectName: "SALES.CORE.ORDER_LINES"},
	"customer-360": {ReviewDays: 30, IdleDays: 14, ObjectName: "SALES.CORE.CUSTOMER_360"},
}

// usage is the demo's record of use: ALICE queries sales orders most days;
// GRACE has not since her grant.
var usage = []struct {
	user, product string
	ago           time.Duration
	queries       int
}{
	{"ALICE", "sales-orders", 90 * time.Hour, 6},
	{"ALICE", "sales-orders", 66 * time.Hour, 11},
	{"ALICE", "sales-orders", 26 * time.Hour, 9},
	{"ALICE", "sales-orders", 2 * time.Hour, 4},
}

// playReviews sets the review policies, records the use, and has OLIVIA,
// who owns sales orders, start their access review an hour ago: ALICE's
// grant shows its recent use, GRACE's none since it was granted three
// weeks ago, so it is idle and suggested for revoke. Without an account that
// records use, or a Service with reviews, there is nothing to play.
func playReviews(ctx context.Context, acct Account, svc *signoff.Service, now time.Time) error {
	ra, ok := acct.(ReviewAccount)
	if !ok || svc.ReviewEngine == nil {
		return nil
	}
	for id, p := range ReviewPolicies {
		if err := ra.SetReviewPolicy(ctx, id, p); err != nil {
			return err
		}
	}
	for _, u := range usage {
		if err := ra.RecordUsage(ctx, u.user, u.product, now.Add(-u.ago), u.queries); err != nil {
			return err
		}
	}
	defer func(orig func() time.Time) { svc.Now = orig }(svc.Now)
	at := now.Add(-time.Hour)
	svc.Now = func() time.Time { return at }
	olivia, err := acct.Identify(ctx, "OLIVIA")
	if err != nil {
		return err
	}
	if _, err := svc.StartReview(ctx, olivia, "sales-orders"); err != nil {
		return fmt.Errorf("OLIVIA starts the review of sales orders: %w", err)
	}
	return nil
}
