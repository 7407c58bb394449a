package snowflake

import (
	"context"
	"strings"

	"github.com/signoff/signoff/internal/signoff"
)

// Access reviews on Snowflake: START_REVIEW and DECIDE_REVIEW
// (sql/snowflake/03_api.sql), each one CALL in the acting person's own
// session, as every action. The reads are the shared ones (sqlstore).

var _ signoff.ReviewEngine = (*Store)(nil)

// reviewCalls are the CALL statements of the review procedures, qualified
// with the API schema.
type reviewCalls struct{ start, decide string }

func newReviewCalls(api string) reviewCalls {
	call := func(name string, n int) string {
		return "CALL " + api + "." + name + "(" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")"
	}
	return reviewCalls{
		start:  call("START_REVIEW", 3),  // PRODUCT_ID, REVIEW_ID, DRY_RUN
		decide: call("DECIDE_REVIEW", 6), // REVIEW_ID, REQUEST_ID, REVIEW_DECISION, NOTE, EVENT_IDS, DRY_RUN
	}
}

// StartReview opens an access review: START_REVIEW in the owner's or
// admin's own session.
func (s *Store) StartReview(ctx context.Context, actor signoff.Identity, c signoff.StartReviewCall) (signoff.Outcome, error) {
	return s.call(ctx, "start review", actor, newReviewCalls(s.apiSchema).start, c.ProductID, c.ReviewID, c.DryRun)
}

// DecideReview keeps or revokes a grant of a review: DECIDE_REVIEW in the
// owner's or admin's own session.
func (s *Store) DecideReview(ctx context.Context, actor signoff.Identity, c signoff.ReviewCall) (signoff.Outcome, error) {
	return s.call(ctx, "decide review", actor, newReviewCalls(s.apiSchema).decide, c.ReviewID, c.RequestID,
		string(c.Decision), c.Note, ids(c.EventIDs), c.DryRun)
}
