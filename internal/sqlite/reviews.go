package sqlite

import (
	"context"
	"errors"

	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlstore"
)

// Access reviews on the embedded engine: the statements START_REVIEW and
// DECIDE_REVIEW run (sqlstore/reviews.go), in one SQLite transaction each.

var _ signoff.ReviewEngine = (*Store)(nil)

// StartReview opens a review of a product (START_REVIEW): admins and the
// product's owners.
func (s *Store) StartReview(ctx context.Context, actor signoff.Identity, c signoff.StartReviewCall) (signoff.Outcome, error) {
	return s.act(ctx, "start review", "", actor, c.At, func(a *action) (signoff.Outcome, error) {
		a.v["review_id"], a.v["product_id"] = c.ReviewID, c.ProductID
		facts, err := a.row(sqlstore.LoadReview)
		if err != nil {
			return signoff.Outcome{}, err
		}
		ownerRole := text(facts, "owner_role")
		a.v["is_admin"], a.v["holds_owner_role"] = actor.Admin(), ownerRole != "" && actor.HasRole(ownerRole)
		return a.startReview(c.DryRun)
	})
}

// startReview is the start of a review, by a person or the scheduler
// (:is_system): check under the submissions' lock, then the review and its
// grants.
func (a *action) startReview(dryRun bool) (signoff.Outcome, error) {
	if ok, err := a.must(sqlstore.LockSubmissions, 1); err != nil || !ok {
		return signoff.Outcome{}, errors.Join(err, errNoRow("submit_lock", ok))
	}
	o, row, err := a.check(sqlstore.CheckStartReview)
	if err != nil || o.Code != signoff.CodeOK {
		return o, err
	}
	if dryRun {
		o.Code = signoff.CodeDryRun
		return o, nil
	}
	items := number(row, "item_count")
	a.v["item_count"] = items
	review := signoff.Outcome{Code: signoff.CodeConflict, ReviewID: text(a.v, "review_id")}
	if ok, err := a.must(sqlstore.InsertReview, 1); err != nil || !ok {
		return review, err
	}
	if ok, err := a.must(sqlstore.InsertReviewItems, items); err != nil || !ok {
		return review, err
	}
	o, _, err = a.check(sqlstore.SelectReviewOutcome)
	return o, err
}

// DecideReview keeps or revokes one grant of a review, or closes one that
// ended meanwhile (DECIDE_REVIEW); a revocation takes the guarded revoke
// path (endAccess). The review completes with its last grant.
func (s *Store) DecideReview(ctx context.Context, actor signoff.Identity, c signoff.ReviewCall) (signoff.Outcome, error) {
	return s.act(ctx, "decide review", c.RequestID, actor, c.At, func(a *action) (signoff.Outcome, error) {
		a.v["review_id"], a.v["product_id"] = c.ReviewID, ""
		a.v["review_decision"], a.v["comment_text"] = string(c.Decision), c.Note
		facts, err := a.row(sqlstore.LoadReview)
		if err != nil {
			return signoff.Outcome{}, err
		}
		ownerRole := text(facts, "owner_role")
		holdsOwner := ownerRole != "" && actor.HasRole(ownerRole)
		a.v["is_admin"], a.v["holds_owner_role"] = actor.Admin(), holdsOwner
		actorRole := signoff.RoleAdmin
		if holdsOwner {
			actorRole = ownerRole
		}
		o, _, err := a.check(sqlstore.CheckDecideReview)
		if err != nil || o.Code != signoff.CodeOK {
			return o, err
		}
		if c.DryRun {
			o.Code = signoff.CodeDryRun
			return o, nil
		}
		a.v["product_id"] = o.ProductID
		id := eventID(c.EventIDs, 0)
		if c.Decision == signoff.ReviewRevoke {
			// The guarded revoke path, as REVOKE_ACCESS: its own check
			// (CheckRevoke), REVOKED with its event, the role taken back.
			r, err := a.endAccess(c.RequestID, id, actorRole, signoff.EventAccessRevoked,
				signoff.ReviewComment(c.ReviewID, c.Note), false)
			if err != nil || r.Code != signoff.CodeOK {
				return r, err
			}
		}
		if ok, err := a.must(sqlstore.MarkReviewItem, 1); err != nil || !ok {
			return conflict(c.RequestID), err
		}
		if c.Decision == signoff.ReviewKeep {
			if err := a.appendEvent(id, actorRole, signoff.EventReviewKept, 0, "", c.Note,
				signoff.ReviewDetails(c.ReviewID)); err != nil {
				return signoff.Outcome{}, err
			}
		}
		if _, err := a.exec(sqlstore.CompleteReview); err != nil {
			return signoff.Outcome{}, err
		}
		o, _, err = a.check(sqlstore.SelectReviewOutcome)
		return o, err
	})
}
