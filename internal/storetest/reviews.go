package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
)

// reviewAccount is what the review tests need of the engine's account
// besides Account: a product's review policy and a record of use (on
// Snowflake an administrator's UPDATE and the access history).
type reviewAccount interface {
	SetReviewPolicy(ctx context.Context, productID string, p signoff.ReviewPolicy) error
	RecordUsage(ctx context.Context, user, productID string, at time.Time, queries int) error
}

// reviews wires the engine's access reviews into the fixture's Service.
func (f *fixture) reviews(t *testing.T) reviewAccount {
	t.Helper()
	rr, ok := f.reads.(signoff.ReviewReads)
	require.True(t, ok, "the engine's reads serve access reviews")
	re, ok := f.engine.(signoff.ReviewEngine)
	require.True(t, ok, "the engine acts on access reviews")
	acct, ok := f.acct.(reviewAccount)
	require.True(t, ok, "the account sets review policies and records use")
	f.svc.ReviewReads, f.svc.ReviewEngine = rr, re
	return acct
}

// grant walks a request for product (a one-step chain decided by OWNER)
// to GRANTED.
func (f *fixture) grant(t *testing.T, user, product string) signoff.Request {
	t.Helper()
	r := f.submit(t, user, product)
	require.Equal(t, signoff.StatusGranted, f.approve(t, owner, r.ID).Status)
	return r
}

func testReviews(t *testing.T, f *fixture) {
	ctx := f.ctx
	acct := f.reviews(t)
	r1 := f.grant(t, requester, "reports")
	r2 := f.grant(t, requester2, "reports")
	granted := f.clock.Now()
	require.NoError(t, acct.SetReviewPolicy(ctx, "reports", signoff.ReviewPolicy{IdleDays: 14, ObjectName: "DB.KPI.WEEKLY"}))
	require.NoError(t, acct.RecordUsage(ctx, requester, "reports", granted.Add(2*time.Hour), 5))
	require.NoError(t, acct.RecordUsage(ctx, requester, "reports", granted.Add(-48*time.Hour), 7)) // before the grant: not counted
	require.NoError(t, acct.RecordUsage(ctx, requester, "ledger", granted.Add(3*time.Hour), 9))    // another product

	// Only the product's owners and admins start a review.
	for _, user := range []string{manager, requester, auditor, stranger} {
		_, err := f.svc.StartReview(ctx, f.who(t, user), "reports")
		assert.ErrorIs(t, err, signoff.ErrForbidden, "%s may not start a review", user)
		assert.Equal(t, signoff.CodeNotAdminOrOwner, codeOf(err))
	}
	_, err := f.svc.StartReview(ctx, f.who(t, owner), "nope")
	assert.ErrorIs(t, err, signoff.ErrNotFound)
	pol, none, err := f.svc.ReviewReads.Reviews(ctx, "reports", 10)
	require.NoError(t, err)
	assert.Empty(t, none, "a refusal opens nothing")
	assert.Equal(t, signoff.ReviewPolicy{IdleDays: 14, ObjectName: "DB.KPI.WEEKLY"}, pol)

	f.clock.advance(20 * 24 * time.Hour)
	id, err := f.svc.StartReview(ctx, f.who(t, owner), "reports")
	require.NoError(t, err)
	require.True(t, signoff.ValidID(id))
	_, err = f.svc.StartReview(ctx, f.who(t, admin), "reports")
	assert.ErrorIs(t, err, signoff.ErrConflict, "one open review per product")
	assert.Equal(t, signoff.CodeReviewOpen, codeOf(err))

	page, err := f.svc.Review(ctx, f.who(t, auditor), id)
	require.NoError(t, err, "auditors read reviews")
	assert.False(t, page.MayDecide)
	assert.Equal(t, signoff.ReviewOpen, page.Review.Status)
	assert.Equal(t, owner, page.Review.OpenedBy)
	assert.Equal(t, "Weekly reports", page.Review.ProductName)
	assert.True(t, page.Review.UsageKnown())
	require.Len(t, page.Items, 2)
	byUser := map[string]signoff.ReviewItem{}
	for _, it := range page.Items {
		byUser[it.Requester] = it
	}
	used, idle := byUser[requester], byUser[requester2]
	assert.Equal(t, r1.ID, used.RequestID)
	assert.Equal(t, granted.Add(2*time.Hour).UTC().Truncate(time.Microsecond), used.LastUsed, "the last use since the grant")
	assert.Equal(t, 5, used.Queries30)
	assert.Equal(t, 5, used.Queries90)
	assert.True(t, idle.LastUsed.IsZero(), "never used since the grant")
	assert.False(t, idle.GrantedAt.IsZero())
	assert.True(t, idle.Idle(page.Now, page.Review.Policy.Idle()), "unused for 20 days of 14 allowed")
	assert.True(t, used.Idle(page.Now, page.Review.Policy.Idle()), "last used 20 days ago")
	assert.Equal(t, 2, page.Undecided())
	_, err = f.svc.Review(ctx, f.who(t, stranger), id)
	assert.ErrorIs(t, err, signoff.ErrForbidden)

	// Only the product's owners and admins decide.
	for _, user := range []string{manager, requester2, auditor, stranger} {
		_, err := f.svc.DecideReview(ctx, f.who(t, user), id, r1.ID, signoff.ReviewKeep, "")
		assert.ErrorIs(t, err, signoff.ErrForbidden, "%s may not decide", user)
	}
	_, err = f.svc.DecideReview(ctx, f.who(t, owner), id, r2.ID, signoff.ReviewRevoke, "   ")
	assert.ErrorIs(t, err, signoff.ErrInvalid, "a revocation says why")
	o, err := f.svc.ReviewEngine.DecideReview(ctx, f.who(t, owner), signoff.ReviewCall{ReviewID: id, RequestID: r1.ID,
		Decision: signoff.ReviewEnded, EventIDs: f.newIDs(1), At: f.clock.Now()})
	require.NoError(t, err)
	assert.Equal(t, signoff.CodeWrongStatus, o.Code, "granted access has not ended")
	other := f.submit(t, requester, "ledger")
	o, err = f.svc.ReviewEngine.DecideReview(ctx, f.who(t, owner), signoff.ReviewCall{ReviewID: id, RequestID: other.ID,
		Decision: signoff.ReviewKeep, EventIDs: f.newIDs(1), At: f.clock.Now()})
	require.NoError(t, err)
	assert.Equal(t, signoff.CodeNotInReview, o.Code)
	_, err = f.svc.DecideReview(ctx, f.who(t, owner), f.newID(), r1.ID, signoff.ReviewKeep, "")
	assert.ErrorIs(t, err, signoff.ErrNotFound)
	assert.Equal(t, signoff.CodeReviewNotFound, codeOf(err))
	page, err = f.svc.Review(ctx, f.who(t, owner), id)
	require.NoError(t, err)
	assert.Equal(t, 2, page.Undecided(), "the refusals decided nothing")
	assert.True(t, page.MayDecide)

	// Keep: a REVIEW_KEPT event; the access stays.
	o, err = f.svc.DecideReview(ctx, f.who(t, owner), id, r1.ID, signoff.ReviewKeep, " Still reconciling. ")
	require.NoError(t, err)
	assert.Equal(t, signoff.ReviewOpen, o.ReviewStatus, "one grant is left")
	assert.Equal(t, 1, o.Undecided)
	assert.Equal(t, signoff.StatusGranted, f.request(t, r1.ID).Status)
	evs := f.history(t, r1.ID)
	kept := evs[len(evs)-1]
	assert.Equal(t, signoff.EventReviewKept, kept.Type)
	assert.Equal(t, owner, kept.Actor)
	assert.Equal(t, roleOwner, kept.ActorRole)
	assert.Equal(t, "Still reconciling.", kept.Comment)
	assert.Equal(t, signoff.ReviewDetails(id), kept.Details)
	_, err = f.svc.DecideReview(ctx, f.who(t, both), id, r1.ID, signoff.ReviewRevoke, "Changed my mind.")
	assert.ErrorIs(t, err, signoff.ErrConflict, "decided once")
	assert.Equal(t, signoff.CodeAlreadyDecided, codeOf(err))
	assert.Contains(t, signoff.Message(err), owner)
	assert.True(t, f.hasRole(t, requester, "REPORTS_READ"))

	// Revoke: the guarded revoke path, and the review completes.
	o, err = f.svc.DecideReview(ctx, f.who(t, both), id, r2.ID, signoff.ReviewRevoke, "Not used since the grant.")
	require.NoError(t, err)
	assert.Equal(t, signoff.ReviewComplete, o.ReviewStatus)
	assert.Equal(t, signoff.StatusRevoked, f.request(t, r2.ID).Status)
	assert.False(t, f.hasRole(t, requester2, "REPORTS_READ"), "the role is taken back")
	evs = f.history(t, r2.ID)
	revoked := evs[len(evs)-1]
	assert.Equal(t, signoff.EventAccessRevoked, revoked.Type)
	assert.Equal(t, both, revoked.Actor)
	assert.Equal(t, signoff.ReviewComment(id, "Not used since the grant."), revoked.Comment)
	page, err = f.svc.Review(ctx, f.who(t, owner), id)
	require.NoError(t, err)
	assert.Equal(t, signoff.ReviewComplete, page.Review.Status)
	assert.False(t, page.Review.CompletedAt.IsZero(), "completion is recorded")
	assert.Equal(t, 0, page.Undecided())
	_, err = f.svc.DecideReview(ctx, f.who(t, owner), id, r2.ID, signoff.ReviewKeep, "")
	assert.Equal(t, signoff.CodeAlreadyDecided, codeOf(err))
	f.verifies(t)

	// A grant revoked meanwhile, outside the review, is closed as ended;
	// the review completes only when every grant is decided.
	r3 := f.grant(t, requester2, "reports")
	id2, err := f.svc.StartReview(ctx, f.who(t, admin), "reports")
	require.NoError(t, err)
	require.NoError(t, f.svc.Revoke(ctx, f.who(t, owner), r3.ID, "Left the team."))
	_, err = f.svc.DecideReview(ctx, f.who(t, owner), id2, r3.ID, signoff.ReviewKeep, "")
	assert.ErrorIs(t, err, signoff.ErrConflict)
	assert.Equal(t, signoff.CodeWrongStatus, codeOf(err), "revoked meanwhile: nothing to keep")
	o, err = f.svc.DecideReview(ctx, f.who(t, owner), id2, r3.ID, signoff.ReviewEnded, "")
	require.NoError(t, err)
	assert.Equal(t, signoff.ReviewOpen, o.ReviewStatus, "r1 is left")
	o, err = f.svc.DecideReview(ctx, f.who(t, admin), id2, r1.ID, signoff.ReviewKeep, "")
	require.NoError(t, err)
	assert.Equal(t, signoff.ReviewComplete, o.ReviewStatus)
	_, reviews, err := f.svc.ReviewReads.Reviews(ctx, "reports", 10)
	require.NoError(t, err)
	require.Len(t, reviews, 2)
	assert.Equal(t, id2, reviews[0].ID, "newest first")
	assert.Equal(t, 2, reviews[0].Decided)
	f.verifies(t)

	// A product with no grant gets a review that is complete at once.
	id3, err := f.svc.StartReview(ctx, f.who(t, owner), "ledger")
	require.NoError(t, err)
	page, err = f.svc.Review(ctx, f.who(t, owner), id3)
	require.NoError(t, err)
	assert.Equal(t, signoff.ReviewComplete, page.Review.Status)
	assert.Empty(t, page.Items)
	assert.False(t, page.Review.UsageKnown(), "ledger names no object")
	f.verifies(t)
}

func testScheduledReviews(t *testing.T, f *fixture) {
	ctx := f.ctx
	acct := f.reviews(t)
	r := f.grant(t, requester, "reports")
	require.NoError(t, acct.SetReviewPolicy(ctx, "reports", signoff.ReviewPolicy{ReviewDays: 90}))

	rep, err := f.svc.Sweep(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Done[signoff.DueOpenReview], "never reviewed: due now")
	_, reviews, err := f.svc.ReviewReads.Reviews(ctx, "reports", 10)
	require.NoError(t, err)
	require.Len(t, reviews, 1)
	assert.Equal(t, signoff.SystemActor, reviews[0].OpenedBy)
	assert.Equal(t, 1, reviews[0].Items)

	rep, err = f.svc.Sweep(ctx)
	require.NoError(t, err)
	assert.Zero(t, rep.Done[signoff.DueOpenReview], "one is open")
	_, err = f.svc.DecideReview(ctx, f.who(t, owner), reviews[0].ID, r.ID, signoff.ReviewKeep, "")
	require.NoError(t, err)
	rep, err = f.svc.Sweep(ctx)
	require.NoError(t, err)
	assert.Zero(t, rep.Done[signoff.DueOpenReview], "not due again before 90 days")

	f.clock.advance(90 * 24 * time.Hour)
	rep, err = f.svc.Sweep(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Done[signoff.DueOpenReview], "due again after 90 days")
	_, reviews, err = f.svc.ReviewReads.Reviews(ctx, "reports", 10)
	require.NoError(t, err)
	assert.Len(t, reviews, 2)

	// The scheduler's call is refused when the review is not due.
	o, err := f.acct.RunDue(ctx, signoff.Due{Kind: signoff.DueOpenReview, RequestID: "ledger"},
		signoff.SystemCall{EventIDs: f.newIDs(1), At: f.clock.Now()})
	require.NoError(t, err)
	assert.Equal(t, signoff.CodeNotDue, o.Code, "ledger has no review schedule")
	f.verifies(t)
}

// testConcurrentReviews: owners and admins racing to start a review open
// one; racing to decide one grant, decide it once; the log verifies.
func testConcurrentReviews(t *testing.T, f *fixture) {
	ctx := f.ctx
	f.reviews(t)
	r := f.grant(t, requester, "reports")
	starters := []string{owner, both, admin, owner}
	errs := race(len(starters), func(i int) error {
		_, err := f.svc.StartReview(ctx, f.who(t, starters[i]), "reports")
		return err
	})
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
			continue
		}
		assert.Equal(t, signoff.CodeReviewOpen, codeOf(err), "the others find it open: %v", err)
	}
	assert.Equal(t, 1, ok, "one review opens")
	_, reviews, err := f.svc.ReviewReads.Reviews(ctx, "reports", 10)
	require.NoError(t, err)
	require.Len(t, reviews, 1)
	id := reviews[0].ID

	deciders := []string{owner, both, admin}
	decisions := []signoff.ReviewDecision{signoff.ReviewKeep, signoff.ReviewRevoke, signoff.ReviewKeep}
	errs = race(len(deciders), func(i int) error {
		_, err := f.svc.DecideReview(ctx, f.who(t, deciders[i]), id, r.ID, decisions[i], "Racing.")
		return err
	})
	ok = 0
	for _, err := range errs {
		if err == nil {
			ok++
			continue
		}
		assert.Contains(t, []signoff.Code{signoff.CodeAlreadyDecided, signoff.CodeWrongStatus, signoff.CodeConflict}, codeOf(err),
			"the others find it decided: %v", err)
	}
	assert.Equal(t, 1, ok, "the grant is decided once")
	evs := f.history(t, r.ID)
	assert.Equal(t, 1, countType(evs, signoff.EventReviewKept)+countType(evs, signoff.EventAccessRevoked), "one decision's event")
	f.verifies(t)
}
