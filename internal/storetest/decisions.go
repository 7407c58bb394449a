package storetest

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
)

func testWalkChainToGrant(t *testing.T, f *fixture) {
	ctx := f.ctx
	r := f.submit(t, requester, "ledger")
	require.False(t, f.hasRole(t, requester, "LEDGER_READ"))

	acts := []struct {
		user, role, comment string
	}{
		{manager, roleManager, "Part of the Q4 objectives."},
		{owner, roleOwner, ""},
		{security, roleDPO, "Lawful basis checked."}, // DPO is inherited through SECURITY_LEAD
	}
	for i, a := range acts {
		got, err := f.svc.Decide(ctx, f.who(t, a.user), r.ID, signoff.DecisionInput{
			Decision: signoff.DecisionApprove, Comment: "  " + a.comment + " ", Step: i + 1})
		require.NoError(t, err, "step %d by %s", i+1, a.user)
		assert.Equal(t, a.user, got.Actor)
		if i < len(acts)-1 {
			assert.Equal(t, signoff.StatusPending, got.Status)
			assert.Equal(t, i+2, got.CurrentStep)
			assert.Equal(t, ledgerChain[i+1].Label, got.StepLabel, "the outcome names the next step")
		} else {
			assert.Equal(t, signoff.StatusGranted, got.Status, "the final approval runs the grant in the same call")
			assert.Equal(t, "LEDGER_READ", got.AccessRole)
			assert.Equal(t, requester, got.Requester)
		}
	}

	final := f.request(t, r.ID)
	assert.Equal(t, signoff.StatusGranted, final.Status)
	assert.True(t, f.hasRole(t, requester, "LEDGER_READ"), "the requester holds the access role")

	evs := f.history(t, r.ID)
	assert.Equal(t, []signoff.EventType{signoff.EventRequestSubmitted, signoff.EventStepApproved,
		signoff.EventStepApproved, signoff.EventStepApproved, signoff.EventRequestApproved,
		signoff.EventAccessGranted}, types(evs))
	require.Len(t, evs, 6)
	require.Len(t, final.Steps, 3)
	for i, a := range acts {
		st, ev := final.Steps[i], evs[i+1]
		assert.Equal(t, signoff.DecisionApprove, st.Decision, "step %d", i+1)
		assert.Equal(t, a.user, st.DecidedBy, "step %d", i+1)
		assert.Equal(t, a.role, st.ActorRole, "step %d", i+1)
		assert.Equal(t, a.comment, st.Comment, "step %d: the comment is trimmed", i+1)
		assert.False(t, st.DecidedAt.IsZero(), "step %d", i+1)

		assert.Equal(t, i+1, ev.Step)
		assert.Equal(t, a.user, ev.Actor)
		assert.Equal(t, a.role, ev.ActorRole)
		assert.Equal(t, signoff.DecisionApprove, ev.Decision)
		assert.Equal(t, a.comment, ev.Comment)
		assert.True(t, st.DecidedAt.Equal(ev.Time), "step %d decided at %v, audited at %v", i+1, st.DecidedAt, ev.Time)
	}
	assert.Equal(t, security, evs[4].Actor)
	assert.Equal(t, roleDPO, evs[4].ActorRole)
	assert.Equal(t, `GRANT ROLE "LEDGER_READ" TO USER "`+requester+`"`, evs[5].Details)
	assert.Equal(t, security, evs[5].Actor, "the final approver triggered the grant")
	for i, ev := range evs {
		assert.Equal(t, r.ID, ev.RequestID)
		assert.Equal(t, "ledger", ev.ProductID)
		assert.NotEmpty(t, ev.Actor)
		assert.True(t, signoff.ValidID(ev.ID))
		assert.Equal(t, i+1, ev.Seq, "one chain, in order")
		assert.Equal(t, ev.ComputeHash(), ev.Hash)
		if i > 0 {
			assert.False(t, ev.Time.Before(evs[i-1].Time), "events are in time order")
			assert.Equal(t, evs[i-1].Hash, ev.PrevHash)
		}
	}

	_, err := f.svc.Submit(ctx, f.who(t, requester), "ledger", reason, 0)
	assert.ErrorIs(t, err, signoff.ErrConflict, "granted access is an open request")
}

func testSeparationOfDuties(t *testing.T, f *fixture) {
	ctx := f.ctx
	r := f.submit(t, requester, "ledger")
	approve := signoff.DecisionInput{Decision: signoff.DecisionApprove}
	with := func(in signoff.DecisionInput) signoff.DecisionInput { in.Decision = signoff.DecisionApprove; return in }

	type attempt struct {
		name string
		user string // "" is nobody signed in
		id   string // "" is r
		in   signoff.DecisionInput
		kind error
		code signoff.Code // the engine's code; "" when the Service refuses before calling it
		msg  string
	}
	try := func(t *testing.T, tests []attempt) {
		t.Helper()
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := f.snap(t, r.ID)
				viewer := signoff.Identity{}
				if tt.user != "" {
					viewer = f.who(t, tt.user)
				}
				id := tt.id
				if id == "" {
					id = r.ID
				}
				reject := tt.in
				reject.Decision, reject.Comment = signoff.DecisionReject, "Not for this purpose."
				_, confirmErr := f.svc.ConfirmReject(ctx, viewer, id, reject)
				_, err := f.svc.Decide(ctx, viewer, id, tt.in)
				sameRefusal(t, err, confirmErr)
				assert.ErrorIs(t, err, tt.kind)
				assert.Equal(t, tt.code, codeOf(err))
				assert.NotEmpty(t, signoff.Message(err))
				assert.Contains(t, signoff.Message(err), tt.msg)
				f.unchanged(t, before)
			})
		}
	}

	t.Run("step 1", func(t *testing.T) {
		try(t, []attempt{
			{name: "requester holding the step's role", user: requester, in: approve, kind: signoff.ErrForbidden, code: signoff.CodeOwnRequest, msg: "You made this request"},
			{name: "requester acting as the step's role", user: requester, in: with(signoff.DecisionInput{ActingAs: roleManager}), kind: signoff.ErrForbidden, code: signoff.CodeOwnRequest},
			{name: "role not in session", user: security, in: approve, kind: signoff.ErrForbidden, code: signoff.CodeRoleNotHeld, msg: roleManager},
			{name: "stranger", user: stranger, in: approve, kind: signoff.ErrForbidden, code: signoff.CodeRoleNotHeld},
			{name: "auditor", user: auditor, in: approve, kind: signoff.ErrForbidden, code: signoff.CodeRoleNotHeld},
			{name: "admin", user: admin, in: approve, kind: signoff.ErrForbidden, code: signoff.CodeRoleNotHeld},
			{name: "acting as a role not held", user: manager, in: with(signoff.DecisionInput{ActingAs: roleDPO}), kind: signoff.ErrForbidden, code: signoff.CodeActingAsNotHeld, msg: roleDPO},
			{name: "acting as a held role that is not the step's", user: both, in: with(signoff.DecisionInput{ActingAs: roleOwner}), kind: signoff.ErrForbidden, code: signoff.CodeActingAsWrongRole, msg: roleManager},
			{name: "stale step number", user: manager, in: with(signoff.DecisionInput{Step: 2}), kind: signoff.ErrConflict, code: signoff.CodeStaleStep, msg: "step 1, not step 2"},
			{name: "nobody signed in", in: approve, kind: signoff.ErrUnauthenticated},
			{name: "unknown request", user: manager, id: "01ARZ3NDEKTSV4RRFFQ69G5FAV", in: approve, kind: signoff.ErrNotFound, code: signoff.CodeNotFound},
			{name: "malformed request id", user: manager, id: "1 OR 1=1", in: approve, kind: signoff.ErrNotFound},
		})
	})

	page, err := f.svc.RequestPage(ctx, f.who(t, requester), r.ID, "")
	require.NoError(t, err)
	assert.Empty(t, page.DecideRole)
	assert.Empty(t, page.DecideBlocked, "the requester is not warned about deciding their own request")
	page, err = f.svc.RequestPage(ctx, f.who(t, both), r.ID, roleManager)
	require.NoError(t, err)
	assert.Equal(t, roleManager, page.DecideRole)

	before := f.snap(t, r.ID)
	_, err = f.svc.ConfirmReject(ctx, f.who(t, both), r.ID, signoff.DecisionInput{Decision: signoff.DecisionReject,
		Comment: "Not for this purpose.", ActingAs: roleManager, Step: 1})
	require.NoError(t, err, "the confirmation asks whom the action allows")
	f.unchanged(t, before, "asking changes nothing")
	got, err := f.svc.Decide(ctx, f.who(t, both), r.ID, with(signoff.DecisionInput{ActingAs: roleManager, Step: 1}))
	require.NoError(t, err)
	require.Equal(t, 2, got.CurrentStep)
	assert.Equal(t, roleManager, f.request(t, r.ID).Steps[0].ActorRole, "the acting-as role is recorded")

	t.Run("step 2", func(t *testing.T) {
		try(t, []attempt{
			{name: "one user, two steps, holding both roles", user: both, in: approve, kind: signoff.ErrForbidden, code: signoff.CodeDecidedAnotherStep, msg: "already decided"},
			{name: "one user, two steps, acting as the step's role", user: both, in: with(signoff.DecisionInput{ActingAs: roleOwner, Step: 2}), kind: signoff.ErrForbidden, code: signoff.CodeDecidedAnotherStep},
			{name: "a page that still shows step 1", user: manager, in: with(signoff.DecisionInput{Step: 1}), kind: signoff.ErrConflict, code: signoff.CodeStaleStep, msg: "already approved by " + both},
		})
	})

	assert.Equal(t, 3, f.approve(t, owner, r.ID).CurrentStep)
}

func testReject(t *testing.T, f *fixture) {
	ctx := f.ctx
	r := f.submit(t, requester2, "ledger")
	f.approve(t, manager, r.ID)

	before := f.snap(t, r.ID)
	_, err := f.svc.Decide(ctx, f.who(t, owner), r.ID, signoff.DecisionInput{Decision: signoff.DecisionReject, Comment: "  "})
	assert.ErrorIs(t, err, signoff.ErrInvalid, "a rejection must say why")
	var p signoff.Problems
	require.ErrorAs(t, err, &p)
	assert.NotEmpty(t, p["comment"])
	f.unchanged(t, before)

	out, err := f.svc.Decide(ctx, f.who(t, owner), r.ID, signoff.DecisionInput{
		Decision: signoff.DecisionReject, Comment: " Use the summary product instead. ", Step: 2})
	require.NoError(t, err)
	assert.Equal(t, signoff.StatusRejected, out.Status)
	got := f.request(t, r.ID)
	assert.Equal(t, signoff.StatusRejected, got.Status)
	assert.Equal(t, 2, got.CurrentStep, "a rejection stays at its step")
	st := got.Steps[1]
	assert.Equal(t, signoff.DecisionReject, st.Decision)
	assert.Equal(t, owner, st.DecidedBy)
	assert.Equal(t, roleOwner, st.ActorRole)
	assert.Equal(t, "Use the summary product instead.", st.Comment)
	assert.Equal(t, signoff.DecisionNone, got.Steps[2].Decision, "later steps stay undecided")

	evs := f.history(t, r.ID)
	assert.Equal(t, []signoff.EventType{signoff.EventRequestSubmitted, signoff.EventStepApproved, signoff.EventStepRejected}, types(evs))
	last := evs[len(evs)-1]
	assert.Equal(t, 2, last.Step)
	assert.Equal(t, signoff.DecisionReject, last.Decision)
	assert.Equal(t, owner, last.Actor)
	assert.Equal(t, roleOwner, last.ActorRole)
	assert.Equal(t, "Use the summary product instead.", last.Comment)

	before = f.snap(t, r.ID)
	_, err = f.svc.Decide(ctx, f.who(t, security), r.ID, signoff.DecisionInput{Decision: signoff.DecisionApprove})
	assert.ErrorIs(t, err, signoff.ErrConflict, "a rejected request has no step left")
	assert.Equal(t, signoff.CodeWrongStatus, codeOf(err))
	assert.NotEmpty(t, signoff.Message(err))
	o, err := f.engine.Decide(ctx, f.who(t, security), f.decideCall(r.ID, 3))
	require.NoError(t, err)
	assert.Equal(t, signoff.CodeStaleStep, o.Code)
	f.unchanged(t, before)
	assert.False(t, f.hasRole(t, requester2, "LEDGER_READ"))

	f.submit(t, requester2, "ledger") // a rejected request is closed
}

// testActionRules drives the engine's actions directly, as a caller of the
// Snowflake API procedures would, with no Service in front: the engine
// alone must refuse everything the rules forbid, change nothing when it
// does, and answer with the code that says why.
func testActionRules(t *testing.T, f *fixture) {
	ctx := f.ctx
	r := f.submit(t, requester, "ledger")
	refused := func(t *testing.T, name string, want signoff.Code, call func() (signoff.Outcome, error)) {
		t.Helper()
		t.Run(name, func(t *testing.T) {
			before := f.snap(t, r.ID)
			o, err := call()
			require.NoError(t, err)
			assert.Equal(t, want, o.Code)
			assert.Error(t, o.Err())
			assert.Empty(t, o.Requester+o.AccessRole, "a refusal does not say who asked for which role")
			f.unchanged(t, before)
		})
	}
	decide := func(user string, step int, edit func(*signoff.DecideCall)) func() (signoff.Outcome, error) {
		return func() (signoff.Outcome, error) {
			c := f.decideCall(r.ID, step)
			if edit != nil {
				edit(&c)
			}
			return f.engine.Decide(ctx, f.who(t, user), c)
		}
	}
	actingAs := func(role string) func(*signoff.DecideCall) { return func(c *signoff.DecideCall) { c.ActingAs = role } }

	t.Run("step 1", func(t *testing.T) {
		refused(t, "decided by the requester", signoff.CodeOwnRequest, decide(requester, 1, nil))
		refused(t, "role not in session", signoff.CodeRoleNotHeld, decide(owner, 1, nil))
		refused(t, "acting as a role not held", signoff.CodeActingAsNotHeld, decide(manager, 1, actingAs(roleOwner)))
		refused(t, "acting as a role that keys another step", signoff.CodeActingAsWrongRole, decide(both, 1, actingAs(roleOwner)))
		refused(t, "wrong step", signoff.CodeStaleStep, decide(owner, 2, nil))
		refused(t, "step beyond the chain", signoff.CodeStaleStep, decide(owner, 4, nil))
		refused(t, "nobody", signoff.CodeIdentityUnavailable, func() (signoff.Outcome, error) {
			return f.engine.Decide(ctx, signoff.Identity{}, f.decideCall(r.ID, 1))
		})
		refused(t, "withdrawn by someone else", signoff.CodeNotRequester, func() (signoff.Outcome, error) {
			return f.engine.Withdraw(ctx, f.who(t, manager), signoff.WithdrawCall{RequestID: r.ID, EventIDs: f.newIDs(1), At: f.clock.Now()})
		})
		refused(t, "retried by a non-admin", signoff.CodeNotAdmin, func() (signoff.Outcome, error) {
			return f.engine.RetryGrant(ctx, f.who(t, owner), signoff.RetryCall{RequestID: r.ID, EventIDs: f.newIDs(1), At: f.clock.Now()})
		})
		refused(t, "retried while pending", signoff.CodeWrongStatus, func() (signoff.Outcome, error) {
			return f.engine.RetryGrant(ctx, f.who(t, admin), signoff.RetryCall{RequestID: r.ID, EventIDs: f.newIDs(1), At: f.clock.Now()})
		})
		refused(t, "revoked by a stranger", signoff.CodeNotAdminOrOwner, func() (signoff.Outcome, error) {
			return f.engine.Revoke(ctx, f.who(t, stranger), signoff.RevokeCall{RequestID: r.ID, EventIDs: f.newIDs(1), At: f.clock.Now()})
		})
		refused(t, "revoked while pending", signoff.CodeWrongStatus, func() (signoff.Outcome, error) {
			return f.engine.Revoke(ctx, f.who(t, admin), signoff.RevokeCall{RequestID: r.ID, EventIDs: f.newIDs(1), At: f.clock.Now()})
		})
	})

	dry, err := f.engine.Decide(ctx, f.who(t, manager), func() signoff.DecideCall {
		c := f.decideCall(r.ID, 1)
		c.DryRun = true
		return c
	}())
	require.NoError(t, err)
	assert.Equal(t, signoff.CodeDryRun, dry.Code, "a dry run passes every check")
	assert.Equal(t, 1, f.request(t, r.ID).CurrentStep, "and writes nothing")

	o, err := f.engine.Decide(ctx, f.who(t, manager), f.decideCall(r.ID, 1))
	require.NoError(t, err)
	require.Equal(t, signoff.CodeOK, o.Code, "a valid decision passes")
	assert.Equal(t, manager, o.Actor)
	got := f.request(t, r.ID)
	assert.Equal(t, 2, got.CurrentStep)
	assert.Equal(t, manager, got.Steps[0].DecidedBy)

	t.Run("step 2", func(t *testing.T) {
		refused(t, "step 1 again, by someone else", signoff.CodeStaleStep, decide(manager2, 1, nil))
		refused(t, "the same decision replayed", signoff.CodeStaleStep, decide(manager, 1, nil))
		refused(t, "decider already decided a step", signoff.CodeDecidedAnotherStep, decide(manager, 2, nil))
		refused(t, "decided by the requester", signoff.CodeOwnRequest, decide(requester, 2, nil))
	})

	w, err := f.engine.Withdraw(ctx, f.who(t, requester), signoff.WithdrawCall{RequestID: r.ID, EventIDs: f.newIDs(1), At: f.clock.Now()})
	require.NoError(t, err)
	require.Equal(t, signoff.CodeOK, w.Code)
	t.Run("withdrawn", func(t *testing.T) {
		refused(t, "request no longer pending", signoff.CodeStaleStep, decide(owner, 2, nil))
		refused(t, "the current step, no longer pending", signoff.CodeWrongStatus, decide(owner, 0, nil))
		refused(t, "withdrawn twice", signoff.CodeWrongStatus, func() (signoff.Outcome, error) {
			return f.engine.Withdraw(ctx, f.who(t, requester), signoff.WithdrawCall{RequestID: r.ID, EventIDs: f.newIDs(1), At: f.clock.Now()})
		})
	})
}

func testConcurrentDecisions(t *testing.T, f *fixture) {
	const racers = 16
	names := make([]string, racers)
	for i := range names {
		names[i] = fmt.Sprintf("RACER%02d", i)
		require.NoError(t, f.acct.CreateUser(f.ctx, names[i], names[i], "storetest"))
		for _, role := range []string{roleManager, roleOwner, signoff.RoleAdmin} {
			require.NoError(t, f.acct.GrantRoleToUser(f.ctx, role, names[i], "ACCOUNTADMIN"))
		}
	}
	ids := make([]signoff.Identity, racers)
	for i, n := range names {
		ids[i] = f.who(t, n)
	}

	for _, tc := range []struct {
		n    int
		from string
	}{{2, requester}, {16, requester2}} {
		t.Run(fmt.Sprintf("%d approvers through the service", tc.n), func(t *testing.T) {
			r := f.submit(t, tc.from, "ledger")
			errs := race(tc.n, func(i int) error {
				_, err := f.svc.Decide(f.ctx, ids[i], r.ID, signoff.DecisionInput{
					Decision: signoff.DecisionApprove, Comment: "racing", Step: 1})
				return err
			})
			winner := -1
			for i, err := range errs {
				if err == nil {
					if winner != -1 {
						assert.Failf(t, "step decided twice", "%s and %s both decided step 1", names[winner], names[i])
					}
					winner = i
					continue
				}
				assert.ErrorIs(t, err, signoff.ErrConflict, "%s: %v", names[i], err)
				assert.Contains(t, signoff.Message(err), "already approved", "%s is told the step was decided", names[i])
			}
			require.NotEqual(t, -1, winner, "nobody decided step 1: %v", errs)

			got := f.request(t, r.ID)
			assert.Equal(t, 2, got.CurrentStep)
			assert.Equal(t, names[winner], got.Steps[0].DecidedBy)
			approved := f.events(t, signoff.EventFilter{RequestID: r.ID, Type: signoff.EventStepApproved})
			require.Len(t, approved, 1, "exactly one STEP_APPROVED event")
			assert.Equal(t, 1, approved[0].Step)
			assert.Equal(t, names[winner], approved[0].Actor)
		})
	}

	t.Run("16 final approvals straight to the store", func(t *testing.T) {
		r := f.submit(t, requester, "reports")
		outs := make([]signoff.Outcome, racers)
		errs := race(racers, func(i int) (err error) {
			outs[i], err = f.engine.Decide(f.ctx, ids[i], f.decideCall(r.ID, 1))
			return err
		})
		won := 0
		for i, err := range errs {
			require.NoError(t, err, names[i])
			if outs[i].Code == signoff.CodeOK {
				won++
				assert.Equal(t, signoff.StatusGranted, outs[i].Status, "the winner's call granted")
				continue
			}
			assert.Contains(t, []signoff.Code{signoff.CodeStaleStep, signoff.CodeConflict}, outs[i].Code, names[i])
		}
		assert.Equal(t, 1, won, "exactly one decider wins")
		assert.Equal(t, signoff.StatusGranted, f.request(t, r.ID).Status)
		assert.Len(t, f.events(t, signoff.EventFilter{RequestID: r.ID, Type: signoff.EventStepApproved}), 1)
		assert.Len(t, f.events(t, signoff.EventFilter{RequestID: r.ID, Type: signoff.EventAccessGranted}), 1)
		assert.True(t, f.hasRole(t, requester, "REPORTS_READ"))
	})

	t.Run("16 retries of a failed grant straight to the store", func(t *testing.T) {
		r := f.submit(t, requester2, "contracts")
		require.Equal(t, signoff.StatusGrantFailed, f.approve(t, manager, r.ID).Status)
		require.NoError(t, f.acct.CreateRole(f.ctx, "CONTRACTS_READ", "created late"))
		outs := make([]signoff.Outcome, racers)
		errs := race(racers, func(i int) (err error) {
			outs[i], err = f.engine.RetryGrant(f.ctx, ids[i], signoff.RetryCall{RequestID: r.ID, EventIDs: f.newIDs(1), At: f.clock.Now()})
			return err
		})
		granted := 0
		for i, err := range errs {
			require.NoError(t, err, names[i])
			if outs[i].Code == signoff.CodeOK {
				assert.Equal(t, signoff.StatusGranted, outs[i].Status)
				granted++
				continue
			}
			assert.Contains(t, []signoff.Code{signoff.CodeWrongStatus, signoff.CodeConflict}, outs[i].Code, names[i])
		}
		assert.Equal(t, 1, granted, "exactly one retry grants")
		assert.Len(t, f.events(t, signoff.EventFilter{RequestID: r.ID, Type: signoff.EventAccessGranted}), 1)
		assert.True(t, f.hasRole(t, requester2, "CONTRACTS_READ"))
	})
}

func testConcurrentSubmissions(t *testing.T, f *fixture) {
	const n = 8
	who := f.who(t, requester)
	ids := make([]string, n)
	errs := race(n, func(i int) error {
		o, err := f.svc.Submit(f.ctx, who, "ledger", reason, 0)
		ids[i] = o.RequestID
		return err
	})
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
			continue
		}
		assert.ErrorIs(t, err, signoff.ErrConflict)
		assert.Equal(t, signoff.CodeOpenRequestExists, codeOf(err))
	}
	assert.Equal(t, 1, ok, "one open request per person and product, even when submitted at once")
	mine, err := f.reads.Requests(f.ctx, requester, 100)
	require.NoError(t, err)
	assert.Len(t, mine, 1)
	assert.Len(t, f.events(t, signoff.EventFilter{Type: signoff.EventRequestSubmitted}), 1)
}
