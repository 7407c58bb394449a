package signoff

import (
	"context"
	"fmt"
	"time"
)

// ReviewDryRuns runs the access review actions as dry runs, as actor, on a
// product and a review that exist nowhere, and checks that each answers
// the refusal it must (PRODUCT_NOT_FOUND, REVIEW_NOT_FOUND), as DryRuns
// does for the other actions. Both engines' preflights run it.
func ReviewDryRuns(ctx context.Context, st ReviewEngine, actor Identity, ids *IDGenerator, now time.Time) Checks {
	runs := []struct {
		action string
		want   Code
		run    func() (Outcome, error)
	}{
		{"start review", CodeProductNotFound, func() (Outcome, error) {
			return st.StartReview(ctx, actor, StartReviewCall{ProductID: "preflight-no-such-product", ReviewID: ids.New(now),
				At: now, DryRun: true})
		}},
		{"decide review", CodeReviewNotFound, func() (Outcome, error) {
			return st.DecideReview(ctx, actor, ReviewCall{ReviewID: ids.New(now), RequestID: ids.New(now), Decision: ReviewKeep,
				EventIDs: []string{ids.New(now)}, At: now, DryRun: true})
		}},
	}
	var cs Checks
	for _, r := range runs {
		c := Check{Name: "Dry run: " + r.action}
		o, err := r.run()
		switch {
		case err != nil:
			c.Status, c.Detail = CheckFail, err.Error()
			c.Fix = "Access reviews cannot run. Install the procedures of this version (sql/snowflake/03_api.sql)."
		case o.Code != r.want:
			c.Status = CheckFail
			c.Detail = fmt.Sprintf("It answered %s where it must answer %s for a record that does not exist.", o.Code, r.want)
			c.Fix = "Install the procedures of this version (sql/snowflake/03_api.sql) and run the preflight again."
		default:
			c.Status = CheckPass
			c.Detail = fmt.Sprintf("It ran its checks as %s and answered %s, as it must; nothing was written.", actor.User, o.Code)
		}
		cs = append(cs, c)
	}
	return cs
}
