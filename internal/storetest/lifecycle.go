package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
)

// The lifecycle of issue 12: time-bound access and its expiry, request
// changes, escalation to a fallback role, and requests that wait too long.
// The scheduler's work runs through Service.Sweep, which the embedded
// engine's server runs on a ticker and Snowflake's RUN_SCHEDULE mirrors.

// sweep runs the scheduler once at the clock's time and returns what it did.
func (f *fixture) sweep(t *testing.T) signoff.SweepReport {
	t.Helper()
	rep, err := f.svc.Sweep(f.ctx)
	require.NoError(t, err)
	return rep
}

// verifies checks that the whole audit log still verifies.
func (f *fixture) verifies(t *testing.T) {
	t.Helper()
	rep, err := f.svc.VerifyAudit(f.ctx, f.who(t, auditor))
	require.NoError(t, err)
	assert.Empty(t, rep.Problems, "the audit log verifies")
}

func (f *fixture) submitFor(t *testing.T, user, product string, days int) signoff.Request {
	t.Helper()
	o, err := f.svc.Submit(f.ctx, f.who(t, user), product, reason, days)
	require.NoError(t, err, "%s requests %s for %d days", user, product, days)
	return f.request(t, o.RequestID)
}

func lastEvent(evs []signoff.Event) signoff.Event { return evs[len(evs)-1] }

func testTimeBoundAccess(t *testing.T, f *fixture) {
	ctx := f.ctx
	t.Run("only the durations the product offers", func(t *testing.T) {
		for _, days := range []int{0, 5, 365} {
			_, err := f.svc.Submit(ctx, f.who(t, requester2), "timed", reason, days)
			assert.ErrorIs(t, err, signoff.ErrInvalid, "%d days", days)
			assert.Equal(t, signoff.CodeDurationNotOffered, codeOf(err), "%d days", days)
		}
		_, err := f.svc.Submit(ctx, f.who(t, requester2), "timed", reason, -1)
		assert.ErrorIs(t, err, signoff.ErrInvalid)
		assert.Empty(t, f.events(t, signoff.EventFilter{ProductID: "timed"}), "nothing was filed")
	})

	r := f.submitFor(t, requester, "timed", 30)
	assert.Equal(t, 30, r.AskedDays)
	assert.Equal(t, 30, r.DurationDays)
	assert.True(t, r.ExpiresAt.IsZero(), "the clock starts at the grant, not at the request")

	t.Run("an approval may shorten the duration, never lengthen it", func(t *testing.T) {
		before := f.snap(t, r.ID)
		_, err := f.svc.Decide(ctx, f.who(t, manager), r.ID, signoff.DecisionInput{Decision: signoff.DecisionApprove, Days: 60})
		assert.ErrorIs(t, err, signoff.ErrInvalid)
		assert.Equal(t, signoff.CodeDurationLonger, codeOf(err))
		assert.Contains(t, signoff.Message(err), "30 days")
		f.unchanged(t, before)
		_, err = f.svc.Decide(ctx, f.who(t, manager), r.ID, signoff.DecisionInput{Decision: signoff.DecisionReject,
			Comment: "No.", Days: 7})
		assert.ErrorIs(t, err, signoff.ErrInvalid, "a rejection has no duration")
		f.unchanged(t, before)
	})

	o, err := f.svc.Decide(ctx, f.who(t, manager), r.ID, signoff.DecisionInput{Decision: signoff.DecisionApprove, Days: 7})
	require.NoError(t, err)
	require.Equal(t, signoff.StatusGranted, o.Status)
	r = f.request(t, r.ID)
	assert.Equal(t, 30, r.AskedDays, "what was asked stays on record")
	assert.Equal(t, 7, r.DurationDays)
	step, _ := r.Step(1)
	assert.Equal(t, 7, step.ApprovedDays)
	evs := f.history(t, r.ID)
	granted := lastEvent(evs)
	require.Equal(t, signoff.EventAccessGranted, granted.Type)
	assert.Equal(t, granted.Time.Add(7*24*time.Hour), r.ExpiresAt, "seven days from the grant")
	assert.Equal(t, signoff.DaysDetails(7), evs[1].Details, "the approval records the shorter duration")
	assert.True(t, f.hasRole(t, requester, "TIMED_READ"))
	f.verifies(t)

	t.Run("nothing is due before the reminder", func(t *testing.T) {
		assert.Zero(t, f.sweep(t).Total())
	})

	t.Run("a reminder three days before the end, once", func(t *testing.T) {
		f.clock.advance(4*24*time.Hour + time.Hour)
		rep := f.sweep(t)
		assert.Equal(t, 1, rep.Done[signoff.DueRemindExpiry])
		assert.Zero(t, f.sweep(t).Total(), "once")
		e := lastEvent(f.history(t, r.ID))
		assert.Equal(t, signoff.EventExpiryReminded, e.Type)
		assert.Equal(t, signoff.SystemActor, e.Actor)
		assert.Equal(t, signoff.StatusGranted, f.request(t, r.ID).Status, "a reminder changes nothing")
	})

	t.Run("at the end the access is revoked and the request expires", func(t *testing.T) {
		f.clock.advance(3 * 24 * time.Hour)
		rep := f.sweep(t)
		assert.Equal(t, 1, rep.Done[signoff.DueExpireAccess])
		r := f.request(t, r.ID)
		assert.Equal(t, signoff.StatusExpired, r.Status)
		assert.False(t, f.hasRole(t, requester, "TIMED_READ"), "the role is taken back")
		e := lastEvent(f.history(t, r.ID))
		assert.Equal(t, signoff.EventAccessExpired, e.Type)
		assert.Equal(t, signoff.SystemActor, e.Actor)
		assert.Equal(t, `REVOKE ROLE "TIMED_READ" FROM USER "`+requester+`"`, e.Details)
		assert.Zero(t, f.sweep(t).Total(), "once")
		f.verifies(t)
	})

	t.Run("an expired request may be asked for again", func(t *testing.T) {
		again := f.submitFor(t, requester, "timed", 7)
		assert.Equal(t, signoff.StatusPending, again.Status)
	})

	t.Run("nobody expires access by hand before its time", func(t *testing.T) {
		r := f.submitFor(t, requester2, "timed", 90)
		f.approve(t, manager, r.ID)
		before := f.snap(t, r.ID)
		o, err := f.acct.RunDue(ctx, signoff.Due{Kind: signoff.DueExpireAccess, RequestID: r.ID},
			signoff.SystemCall{EventIDs: f.newIDs(1), At: f.clock.Now()})
		require.NoError(t, err)
		assert.Equal(t, signoff.CodeNotDue, o.Code)
		f.unchanged(t, before)
		assert.True(t, f.hasRole(t, requester2, "TIMED_READ"))
	})
}

// testExpiryKeepsAJustifiedRole: time-bound access ends by the revoke path,
// which keeps a role another of the requester's grants still justifies.
func testExpiryKeepsAJustifiedRole(t *testing.T, f *fixture) {
	permanent := f.submitFor(t, requester, "vacant", 0) // REPORTS_READ, for good once granted
	f.approve(t, manager, permanent.ID)
	f.sweep(t) // its second step goes to the fallback role
	f.approve(t, governor, permanent.ID)
	require.Equal(t, signoff.StatusGranted, f.request(t, permanent.ID).Status)

	timed := f.submitFor(t, requester2, "vacant", 30)
	f.approve(t, manager, timed.ID)
	f.sweep(t)
	f.approve(t, governor, timed.ID)
	reports := f.submit(t, requester2, "reports") // REPORTS_READ too, for good
	f.approve(t, owner, reports.ID)
	require.True(t, f.hasRole(t, requester2, "REPORTS_READ"))

	f.clock.advance(31 * 24 * time.Hour)
	assert.Equal(t, 1, f.sweep(t).Done[signoff.DueExpireAccess])
	assert.Equal(t, signoff.StatusExpired, f.request(t, timed.ID).Status)
	assert.True(t, f.hasRole(t, requester2, "REPORTS_READ"), "the weekly reports still justify the role")
	assert.True(t, f.hasRole(t, requester, "REPORTS_READ"), "permanent access does not expire")
	f.verifies(t)
}

func testRequestChanges(t *testing.T, f *fixture) {
	ctx := f.ctx
	r := f.submit(t, requester2, "ledger")
	f.approve(t, manager, r.ID)

	t.Run("a question needs words, and only an approver of the step asks it", func(t *testing.T) {
		before := f.snap(t, r.ID)
		_, err := f.svc.Decide(ctx, f.who(t, owner), r.ID, signoff.DecisionInput{Decision: signoff.DecisionChanges, Comment: "  "})
		assert.ErrorIs(t, err, signoff.ErrInvalid)
		for _, user := range []string{requester2, manager, security, stranger} {
			_, err := f.svc.Decide(ctx, f.who(t, user), r.ID, signoff.DecisionInput{Decision: signoff.DecisionChanges,
				Comment: "Why?"})
			assert.ErrorIs(t, err, signoff.ErrForbidden, user)
		}
		f.unchanged(t, before)
	})

	_, err := f.svc.Decide(ctx, f.who(t, owner), r.ID, signoff.DecisionInput{Decision: signoff.DecisionChanges,
		Comment: "Which cost centres?", Step: 2})
	require.NoError(t, err)
	r = f.request(t, r.ID)
	assert.Equal(t, signoff.StatusChangesRequested, r.Status)
	assert.Equal(t, 2, r.CurrentStep, "the request waits at the same step")
	step2, _ := r.Step(2)
	assert.Equal(t, signoff.DecisionNone, step2.Decision, "a question decides nothing")
	asked := lastEvent(f.history(t, r.ID))
	assert.Equal(t, signoff.EventChangesRequested, asked.Type)
	assert.Equal(t, owner, asked.Actor)
	assert.Equal(t, roleOwner, asked.ActorRole)
	assert.Equal(t, "Which cost centres?", asked.Comment)

	t.Run("while it waits on the requester, nobody decides", func(t *testing.T) {
		before := f.snap(t, r.ID)
		_, err := f.svc.Decide(ctx, f.who(t, owner), r.ID, signoff.DecisionInput{Decision: signoff.DecisionApprove})
		assert.ErrorIs(t, err, signoff.ErrConflict)
		f.unchanged(t, before)
		q, err := f.svc.Queue(ctx, f.who(t, owner), signoff.QueueInput{})
		require.NoError(t, err)
		assert.NotContains(t, requestIDs(q.Requests), r.ID, "not in the approvers' queue")
	})

	t.Run("only the requester answers, with something to say", func(t *testing.T) {
		before := f.snap(t, r.ID)
		for _, user := range []string{owner, manager, admin} {
			err := f.svc.Resubmit(ctx, f.who(t, user), r.ID, "Mine.", "")
			assert.ErrorIs(t, err, signoff.ErrForbidden, user)
			assert.Equal(t, signoff.CodeNotRequester, codeOf(err), user)
		}
		assert.ErrorIs(t, f.svc.Resubmit(ctx, f.who(t, requester2), r.ID, " \t", ""), signoff.ErrInvalid)
		assert.ErrorIs(t, f.svc.Resubmit(ctx, f.who(t, requester2), r.ID, "Fine.", "too short"), signoff.ErrInvalid)
		f.unchanged(t, before)
	})

	const newReason = "Quarter-end reconciliation of cost centres 4100 to 4199 only."
	t.Run("a step approved the reason: an answer may not replace it", func(t *testing.T) {
		before := f.snap(t, r.ID)
		err := f.svc.Resubmit(ctx, f.who(t, requester2), r.ID, "Cost centres 4100 to 4199.", newReason)
		assert.ErrorIs(t, err, signoff.ErrInvalid)
		assert.Equal(t, signoff.CodeReasonApproved, codeOf(err))
		f.unchanged(t, before)
	})
	require.NoError(t, f.svc.Resubmit(ctx, f.who(t, requester2), r.ID, "  Cost centres 4100 to 4199.  ", ""))
	r = f.request(t, r.ID)
	assert.Equal(t, signoff.StatusPending, r.Status)
	assert.Equal(t, 2, r.CurrentStep, "back at the step that asked")
	assert.Equal(t, reason, r.Reason, "the reason the first step approved")
	answered := lastEvent(f.history(t, r.ID))
	assert.Equal(t, signoff.EventRequestResubmitted, answered.Type)
	assert.Equal(t, requester2, answered.Actor)
	assert.Equal(t, "Cost centres 4100 to 4199.", answered.Comment)
	assert.Empty(t, answered.Details)
	assert.ErrorIs(t, f.svc.Resubmit(ctx, f.who(t, requester2), r.ID, "Again.", ""), signoff.ErrConflict, "once")

	// The one who asked may decide the step after all: asking decided nothing.
	f.approve(t, owner, r.ID)
	require.Equal(t, signoff.StatusGranted, f.approve(t, security, r.ID).Status)
	f.verifies(t)

	t.Run("before any approval, the answer may replace the reason", func(t *testing.T) {
		r := f.submit(t, requester2, "contracts")
		_, err := f.svc.Decide(ctx, f.who(t, manager), r.ID, signoff.DecisionInput{Decision: signoff.DecisionChanges,
			Comment: "Which suppliers?"})
		require.NoError(t, err)
		require.NoError(t, f.svc.Resubmit(ctx, f.who(t, requester2), r.ID, "  The top 50.  ", "  "+newReason+"\n"))
		r = f.request(t, r.ID)
		assert.Equal(t, newReason, r.Reason, "the new reason, trimmed")
		assert.Equal(t, newReason, lastEvent(f.history(t, r.ID)).Details)
		f.verifies(t)
	})

	t.Run("a request waiting on its requester may be withdrawn", func(t *testing.T) {
		r := f.submit(t, requester2, "reports")
		_, err := f.svc.Decide(ctx, f.who(t, owner), r.ID, signoff.DecisionInput{Decision: signoff.DecisionChanges, Comment: "For what?"})
		require.NoError(t, err)
		_, err = f.svc.ConfirmWithdraw(ctx, f.who(t, requester2), r.ID)
		require.NoError(t, err, "the requester is asked to confirm")
		require.NoError(t, f.svc.Withdraw(ctx, f.who(t, requester2), r.ID))
		assert.Equal(t, signoff.StatusWithdrawn, f.request(t, r.ID).Status)
		f.verifies(t)
	})
}

func testEscalation(t *testing.T, f *fixture) {
	ctx := f.ctx
	t.Run("a step nobody can decide goes to the fallback role", func(t *testing.T) {
		r := f.submitFor(t, requester2, "vacant", 30)
		assert.Zero(t, f.sweep(t).Total(), "step 1 has deciders")
		f.approve(t, manager, r.ID)
		before := f.snap(t, r.ID)
		_, err := f.svc.Decide(ctx, f.who(t, governor), r.ID, signoff.DecisionInput{Decision: signoff.DecisionApprove})
		assert.ErrorIs(t, err, signoff.ErrForbidden, "not before it escalates")
		f.unchanged(t, before)

		rep := f.sweep(t)
		assert.Equal(t, 1, rep.Done[signoff.DueEscalateStep])
		r = f.request(t, r.ID)
		step2, _ := r.Step(2)
		assert.Equal(t, roleFallback, step2.EscalatedTo)
		e := lastEvent(f.history(t, r.ID))
		assert.Equal(t, signoff.EventStepEscalated, e.Type)
		assert.Equal(t, signoff.SystemActor, e.Actor)
		assert.Equal(t, 2, e.Step)
		assert.Equal(t, roleFallback, e.Details)
		assert.Equal(t, signoff.EscalationWhy("blocked"), e.Comment)
		assert.Equal(t, signoff.StatusPending, r.Status)
		assert.Zero(t, f.sweep(t).Total(), "once")

		q, err := f.svc.Queue(ctx, f.who(t, governor), signoff.QueueInput{})
		require.NoError(t, err)
		assert.Contains(t, requestIDs(q.Requests), r.ID, "in the fallback approvers' queue")
		_, err = f.svc.ConfirmReject(ctx, f.who(t, governor), r.ID, signoff.DecisionInput{Decision: signoff.DecisionReject,
			Comment: "Not without the committee.", Step: 2})
		assert.NoError(t, err, "a fallback approver is asked to confirm a rejection, as any approver")
		page, err := f.svc.RequestPage(ctx, f.who(t, governor), r.ID, "")
		require.NoError(t, err)
		assert.Equal(t, roleFallback, page.DecideRole)
		o := f.approve(t, governor, r.ID)
		assert.Equal(t, signoff.StatusGranted, o.Status, "the grant guard accepts the fallback role")
		step2, _ = f.request(t, r.ID).Step(2)
		assert.Equal(t, roleFallback, step2.ActorRole)
		f.verifies(t)
	})

	t.Run("a step past its deadline is reminded, then escalates", func(t *testing.T) {
		r := f.submitFor(t, requester2, "timed", 7)
		f.clock.advance(23 * time.Hour)
		assert.Zero(t, f.sweep(t).Total(), "within its deadline")
		f.clock.advance(2 * time.Hour)
		assert.Equal(t, 1, f.sweep(t).Done[signoff.DueRemindStep])
		assert.Zero(t, f.sweep(t).Total(), "reminded once")
		e := lastEvent(f.history(t, r.ID))
		assert.Equal(t, signoff.EventStepReminded, e.Type)
		assert.Equal(t, 1, e.Step)
		assert.Equal(t, signoff.StatusPending, f.request(t, r.ID).Status)

		f.clock.advance(24 * time.Hour)
		assert.Equal(t, 1, f.sweep(t).Done[signoff.DueEscalateStep], "twice its deadline")
		e = lastEvent(f.history(t, r.ID))
		assert.Equal(t, signoff.EventStepEscalated, e.Type)
		assert.Equal(t, signoff.EscalationWhy("deadline"), e.Comment)
		// The line managers may still decide it, and so may the fallback role.
		o := f.approve(t, governor2, r.ID)
		assert.Equal(t, signoff.StatusGranted, o.Status)
		f.verifies(t)
	})

	t.Run("separation of duties holds for the fallback role", func(t *testing.T) {
		// GOV asks for "vacant": step 2 escalates, and GOV, the requester,
		// may not decide it; GOV2 may.
		r := f.submitFor(t, governor, "vacant", 0)
		f.approve(t, manager, r.ID)
		f.sweep(t)
		_, err := f.svc.Decide(ctx, f.who(t, governor), r.ID, signoff.DecisionInput{Decision: signoff.DecisionApprove})
		assert.ErrorIs(t, err, signoff.ErrForbidden)
		assert.Equal(t, signoff.CodeOwnRequest, codeOf(err))
		assert.Equal(t, signoff.StatusGranted, f.approve(t, governor2, r.ID).Status)
		f.verifies(t)
	})
}

func testPendingExpiry(t *testing.T, f *fixture) {
	ctx := f.ctx
	waiting := f.submitFor(t, requester, "timed", 7)
	asked := f.submitFor(t, requester2, "timed", 7)
	_, err := f.svc.Decide(ctx, f.who(t, manager), asked.ID, signoff.DecisionInput{Decision: signoff.DecisionChanges,
		Comment: "Which tables?"})
	require.NoError(t, err)
	untimed := f.submit(t, requester, "ledger") // no pending limit

	f.clock.advance(10*24*time.Hour - time.Hour)
	rep := f.sweep(t)
	assert.Zero(t, rep.Done[signoff.DueExpireRequest], "not yet")
	f.clock.advance(2 * time.Hour)
	rep = f.sweep(t)
	assert.Equal(t, 2, rep.Done[signoff.DueExpireRequest], "both past the product's ten days, however they wait")
	for _, id := range []string{waiting.ID, asked.ID} {
		r := f.request(t, id)
		assert.Equal(t, signoff.StatusExpired, r.Status)
		e := lastEvent(f.history(t, id))
		assert.Equal(t, signoff.EventRequestExpired, e.Type)
		assert.Equal(t, signoff.SystemActor, e.Actor)
	}
	assert.Equal(t, signoff.StatusPending, f.request(t, untimed.ID).Status)
	_, err = f.svc.Decide(ctx, f.who(t, manager), waiting.ID, signoff.DecisionInput{Decision: signoff.DecisionApprove})
	assert.ErrorIs(t, err, signoff.ErrConflict, "an expired request is decided no more")
	f.verifies(t)
}

// testSchedulersRunOnce: schedulers racing over the same due work (several
// processes on one database, or a late run catching up) do each piece once.
func testSchedulersRunOnce(t *testing.T, f *fixture) {
	var ids []string
	for _, user := range []string{requester, requester2, stranger} {
		r := f.submitFor(t, user, "timed", 7)
		f.approve(t, manager, r.ID)
		ids = append(ids, r.ID)
	}
	f.clock.advance(8 * 24 * time.Hour) // missed runs: the reminders and the expiries are all due now
	var wg sync.WaitGroup
	reports := make([]signoff.SweepReport, 4)
	for i := range reports {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep, err := f.svc.Sweep(f.ctx)
			assert.NoError(t, err)
			reports[i] = rep
		}()
	}
	wg.Wait()
	done := 0
	for _, rep := range reports {
		done += rep.Done[signoff.DueExpireAccess]
	}
	assert.Equal(t, len(ids), done, "each expiry once, across the runs")
	for _, id := range ids {
		assert.Equal(t, 1, countType(f.history(t, id), signoff.EventAccessExpired), id)
		assert.Equal(t, signoff.StatusExpired, f.request(t, id).Status)
	}
	f.verifies(t)
}

func testExtensions(t *testing.T, f *fixture) {
	ctx := f.ctx
	r := f.submitFor(t, requester2, "renewable", 30)
	f.approve(t, governor, r.ID)
	require.Equal(t, signoff.StatusGranted, f.approve(t, governor2, r.ID).Status)
	r = f.request(t, r.ID)

	t.Run("only one's own granted, time-bound access extends", func(t *testing.T) {
		for _, tc := range []struct{ user, product, grant string }{
			{requester, "renewable", r.ID},       // someone else's
			{requester2, "timed", r.ID},          // another product
			{requester2, "renewable", f.newID()}, // no such request
		} {
			_, err := f.svc.Extend(ctx, f.who(t, tc.user), tc.product, tc.grant, reason, 7)
			assert.ErrorIs(t, err, signoff.ErrInvalid, "%+v", tc)
			assert.Equal(t, signoff.CodeNotExtendable, codeOf(err), "%+v", tc)
		}
		permanent := f.submit(t, requester2, "reports")
		f.approve(t, owner, permanent.ID)
		_, err := f.svc.Extend(ctx, f.who(t, requester2), "reports", permanent.ID, reason, 0)
		assert.Equal(t, signoff.CodeNotExtendable, codeOf(err), "permanent access has nothing to extend")
		_, err = f.svc.Submit(ctx, f.who(t, requester2), "renewable", reason, 7)
		assert.Equal(t, signoff.CodeOpenRequestExists, codeOf(err), "a new request is not an extension")
	})

	// Near the end of the access, the requester asks for 7 more days: an
	// extension is no longer than the access it extends, and goes through
	// the product's last step only.
	f.clock.advance(28 * 24 * time.Hour)
	o, err := f.svc.Extend(ctx, f.who(t, requester2), "renewable", r.ID, reason, 7)
	require.NoError(t, err)
	ext := f.request(t, o.RequestID)
	assert.Equal(t, r.ID, ext.Extends)
	assert.Equal(t, 1, ext.StepCount, "the product's extensions take its last step only")
	step, _ := ext.Step(1)
	assert.Equal(t, "Curator", step.Label, "the last step, as step 1")
	_, err = f.svc.Extend(ctx, f.who(t, requester2), "renewable", r.ID, reason, 7)
	assert.Equal(t, signoff.CodeOpenRequestExists, codeOf(err), "one extension at a time")
	assert.Equal(t, signoff.StatusGranted, f.request(t, r.ID).Status, "the access stays while the extension is decided")

	require.Equal(t, signoff.StatusGranted, f.approve(t, governor, ext.ID).Status)
	f.clock.advance(3 * 24 * time.Hour)
	rep := f.sweep(t)
	assert.Equal(t, 1, rep.Done[signoff.DueExpireAccess], "the first grant ends")
	assert.Equal(t, signoff.StatusExpired, f.request(t, r.ID).Status)
	assert.True(t, f.hasRole(t, requester2, "TIMED_READ"), "the extension keeps the role")
	assert.Equal(t, signoff.StatusGranted, f.request(t, ext.ID).Status)

	f.clock.advance(5 * 24 * time.Hour)
	f.sweep(t)
	assert.Equal(t, signoff.StatusExpired, f.request(t, ext.ID).Status)
	assert.False(t, f.hasRole(t, requester2, "TIMED_READ"), "and ends with it")
	f.verifies(t)

	t.Run("an extension is no longer than the access it extends", func(t *testing.T) {
		r := f.submitFor(t, requester, "renewable", 7)
		f.approve(t, governor, r.ID)
		f.approve(t, governor2, r.ID)
		_, err := f.svc.Extend(ctx, f.who(t, requester), "renewable", r.ID, reason, 30)
		assert.Equal(t, signoff.CodeDurationLonger, codeOf(err))
		assert.Contains(t, signoff.Message(err), "no longer than the access it extends")
		require.NoError(t, f.svc.Revoke(ctx, f.who(t, owner), r.ID, "Done."))
	})

	t.Run("the extension of revoked access is approved no more", func(t *testing.T) {
		r := f.submitFor(t, requester, "renewable", 30)
		f.approve(t, governor, r.ID)
		f.approve(t, governor2, r.ID)
		o, err := f.svc.Extend(ctx, f.who(t, requester), "renewable", r.ID, reason, 30)
		require.NoError(t, err)
		require.NoError(t, f.svc.Revoke(ctx, f.who(t, owner), r.ID, "Misuse."))
		before := f.snap(t, o.RequestID)
		_, err = f.svc.Decide(ctx, f.who(t, governor), o.RequestID, signoff.DecisionInput{Decision: signoff.DecisionApprove})
		assert.Equal(t, signoff.CodeNotExtendable, codeOf(err))
		f.unchanged(t, before)
		assert.False(t, f.hasRole(t, requester, "TIMED_READ"))
		f.verifies(t)
	})
}
