package sqlite

import (
	"fmt"

	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
)

// The access reviews' state changes under faults (fault_test.go): opening a
// review (by an owner, and by the scheduler), and keeping and revoking a
// grant in it, each of which must leave the review and its grant either as
// before or as after, with the audit events that state implies.
func reviewOperations() []operation {
	granted := func(fx *fixture) {
		fx.upToFinalStep()
		fx.must(fx.decide("DANA", 3, signoff.DecisionApprove))
	}
	inReview := func(fx *fixture) {
		granted(fx)
		_, err := fx.svc.StartReview(fx.t.Context(), fx.as["OLIVIA"], "reports")
		fx.must(err)
	}
	decide := func(d signoff.ReviewDecision, note string) func(fx *fixture) error {
		return func(fx *fixture) error {
			// The review's page is read first, as the owner would.
			review, err := fx.openReview()
			if err != nil {
				return err
			}
			_, err = fx.svc.DecideReview(fx.t.Context(), fx.as["OLIVIA"], review, fx.id, d, note)
			return err
		}
	}
	return []operation{
		{name: "start a review", setup: granted, run: func(fx *fixture) error {
			_, err := fx.svc.StartReview(fx.t.Context(), fx.as["OLIVIA"], "reports")
			return err
		}},
		{name: "keep a grant in a review", setup: inReview, run: decide(signoff.ReviewKeep, "Still needed.")},
		{name: "revoke a grant in a review", setup: inReview, run: decide(signoff.ReviewRevoke, "Not used.")},
		{name: "the scheduler opens a due review",
			setup: func(fx *fixture) {
				granted(fx)
				fx.must(fx.st.SetReviewPolicy(fx.t.Context(), "reports", signoff.ReviewPolicy{ReviewDays: 30}))
			},
			run: func(fx *fixture) error { return fx.sweep() }},
	}
}

// openReview returns the ID of the one open review.
func (fx *fixture) openReview() (string, error) {
	fx.t.Helper()
	open, err := fx.st.Reads().OpenReviews(fx.t.Context(), 10)
	if err != nil {
		return "", err
	}
	require.Len(fx.t, open, 1)
	return open[0].ID, nil
}

// reviewSnapshot describes the reviews without IDs and times: each review
// and its grants' decisions, and the REVIEW_KEPT events.
func (fx *fixture) reviewSnapshot() []string {
	t, ctx := fx.t, fx.t.Context()
	t.Helper()
	rows, err := fx.st.db.QueryContext(ctx, `
		SELECT v.product_id, v.status, v.opened_by, v.item_count, COALESCE(v.completed_at IS NOT NULL, 0),
		       (SELECT COALESCE(GROUP_CONCAT(i.requester || ':' || COALESCE(i.decision, '-') || ':' || COALESCE(i.decided_by, '-'), ' '), '')
		        FROM review_item i WHERE i.review_id = v.review_id)
		FROM access_review v ORDER BY v.opened_at`)
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var product, status, by, items string
		var n, completed int
		require.NoError(t, rows.Scan(&product, &status, &by, &n, &completed, &items))
		out = append(out, fmt.Sprintf("review %s %s by %s, %d grants, completed %d: [%s]", product, status, by, n, completed, items))
	}
	require.NoError(t, rows.Err())
	return out
}
