package storetest

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
)

func testGrantFailureAndRetry(t *testing.T, f *fixture) {
	ctx := f.ctx
	r := f.submit(t, requester, "contracts")
	other := f.submit(t, requester2, "contracts")

	got := f.approve(t, manager, r.ID)
	assert.Equal(t, signoff.StatusGrantFailed, got.Status, "CONTRACTS_READ does not exist")
	assert.False(t, f.hasRole(t, requester, "CONTRACTS_READ"))
	evs := f.history(t, r.ID)
	assert.Equal(t, []signoff.EventType{signoff.EventRequestSubmitted, signoff.EventStepApproved,
		signoff.EventRequestApproved, signoff.EventGrantFailed}, types(evs))
	failed := evs[len(evs)-1]
	assert.Contains(t, failed.Details, "CONTRACTS_READ", "the failure names the role")
	assert.Equal(t, manager, failed.Actor)

	_, err := f.svc.Submit(ctx, f.who(t, requester), "contracts", reason, 0)
	assert.ErrorIs(t, err, signoff.ErrConflict, "a failed grant is still an open request")

	for _, user := range []string{manager, auditor, requester} {
		before := f.snap(t, r.ID)
		_, err := f.svc.RetryGrant(ctx, f.who(t, user), r.ID)
		assert.ErrorIs(t, err, signoff.ErrForbidden, "%s may not retry", user)
		assert.Equal(t, signoff.CodeNotAdmin, codeOf(err))
		f.unchanged(t, before)
	}

	// Retrying while the role is still missing fails again, visibly.
	st, err := f.svc.RetryGrant(ctx, f.who(t, admin), r.ID)
	require.NoError(t, err)
	assert.Equal(t, signoff.StatusGrantFailed, st)

	require.NoError(t, f.acct.CreateRole(ctx, "CONTRACTS_READ", "created late"))
	st, err = f.svc.RetryGrant(ctx, f.who(t, admin), r.ID)
	require.NoError(t, err)
	assert.Equal(t, signoff.StatusGranted, st)
	assert.Equal(t, signoff.StatusGranted, f.request(t, r.ID).Status)
	assert.True(t, f.hasRole(t, requester, "CONTRACTS_READ"))

	before := f.snap(t, r.ID)
	_, err = f.svc.RetryGrant(ctx, f.who(t, admin), r.ID)
	assert.ErrorIs(t, err, signoff.ErrConflict, "a granted request has no grant to retry")
	assert.Equal(t, signoff.CodeWrongStatus, codeOf(err))
	assert.NotEmpty(t, signoff.Message(err))
	f.unchanged(t, before)

	evs = f.history(t, r.ID)
	assert.Equal(t, 1, countType(evs, signoff.EventAccessGranted), "granted exactly once")
	assert.Equal(t, 2, countType(evs, signoff.EventGrantFailed))
	granted := evs[len(evs)-1]
	assert.Equal(t, signoff.EventAccessGranted, granted.Type)
	assert.Equal(t, admin, granted.Actor)
	assert.Equal(t, signoff.RoleAdmin, granted.ActorRole)

	// Once the role exists, a final approval grants straight away.
	assert.Equal(t, signoff.StatusPending, f.request(t, other.ID).Status)
	assert.Equal(t, signoff.StatusGranted, f.approve(t, manager2, other.ID).Status)
	assert.True(t, f.hasRole(t, requester2, "CONTRACTS_READ"))
}

func testGrantGuard(t *testing.T, f *fixture) {
	ctx := f.ctx
	pending := f.submit(t, requester, "reports")
	rejected := f.submit(t, requester2, "reports")
	_, err := f.svc.Decide(ctx, f.who(t, owner), rejected.ID, signoff.DecisionInput{Decision: signoff.DecisionReject, Comment: "No."})
	require.NoError(t, err)
	withdrawn := f.submit(t, requester2, "ledger")
	require.NoError(t, f.svc.Withdraw(ctx, f.who(t, requester2), withdrawn.ID))

	for _, tc := range []struct {
		name string
		r    signoff.Request
		user string
		role string
	}{
		{"pending", pending, requester, "REPORTS_READ"},
		{"rejected", rejected, requester2, "REPORTS_READ"},
		{"withdrawn", withdrawn, requester2, "LEDGER_READ"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := f.snap(t, tc.r.ID)
			o, err := f.engine.RetryGrant(ctx, f.who(t, admin), signoff.RetryCall{RequestID: tc.r.ID, EventIDs: f.newIDs(1), At: f.clock.Now()})
			require.NoError(t, err)
			assert.Equal(t, signoff.CodeWrongStatus, o.Code)
			f.unchanged(t, before)
			assert.False(t, f.hasRole(t, tc.user, tc.role), "nothing granted")

			_, err = f.svc.RetryGrant(ctx, f.who(t, admin), tc.r.ID)
			assert.ErrorIs(t, err, signoff.ErrConflict)
			f.unchanged(t, before)
		})
	}

	t.Run("unknown request", func(t *testing.T) {
		before := f.events(t, signoff.EventFilter{})
		o, err := f.engine.RetryGrant(ctx, f.who(t, admin), signoff.RetryCall{RequestID: f.newID(), EventIDs: f.newIDs(1), At: f.clock.Now()})
		require.NoError(t, err)
		assert.Equal(t, signoff.CodeNotFound, o.Code)
		assert.Equal(t, eventIDs(before), eventIDs(f.events(t, signoff.EventFilter{})))
	})
}

func testRevoke(t *testing.T, f *fixture) {
	ctx := f.ctx
	r := f.submit(t, requester, "ledger")
	f.approve(t, manager, r.ID)
	f.approve(t, owner, r.ID)
	require.Equal(t, signoff.StatusGranted, f.approve(t, security, r.ID).Status)
	require.True(t, f.hasRole(t, requester, "LEDGER_READ"))

	for _, user := range []string{manager, security, requester, auditor, stranger} {
		before := f.snap(t, r.ID)
		_, confirmErr := f.svc.ConfirmRevoke(ctx, f.who(t, user), r.ID, "Project over.")
		err := f.svc.Revoke(ctx, f.who(t, user), r.ID, "Project over.")
		sameRefusal(t, err, confirmErr)
		assert.ErrorIs(t, err, signoff.ErrForbidden, "%s may not revoke", user)
		assert.Equal(t, signoff.CodeNotAdminOrOwner, codeOf(err))
		assert.Contains(t, signoff.Message(err), roleOwner)
		f.unchanged(t, before)
		assert.True(t, f.hasRole(t, requester, "LEDGER_READ"))
	}
	before := f.snap(t, r.ID)
	_, confirmErr := f.svc.ConfirmRevoke(ctx, f.who(t, both), r.ID, strings.Repeat("x", signoff.MaxCommentLength+1))
	err := f.svc.Revoke(ctx, f.who(t, both), r.ID, strings.Repeat("x", signoff.MaxCommentLength+1))
	assert.ErrorIs(t, err, signoff.ErrInvalid)
	sameRefusal(t, err, confirmErr)
	for _, blank := range []string{"", "  ", "\u200b"} { // a reason is required: blanks do not count
		_, confirmErr = f.svc.ConfirmRevoke(ctx, f.who(t, both), r.ID, blank)
		err = f.svc.Revoke(ctx, f.who(t, both), r.ID, blank)
		assert.ErrorIs(t, err, signoff.ErrInvalid, "%q", blank)
		sameRefusal(t, err, confirmErr)
	}
	_, confirmErr = f.svc.ConfirmRevoke(ctx, f.who(t, both), r.ID, "  Project finished.  ")
	assert.NoError(t, confirmErr, "an owner is asked to confirm")
	f.unchanged(t, before)

	// BOTH holds the owner role and took no part in the request.
	require.NoError(t, f.svc.Revoke(ctx, f.who(t, both), r.ID, "  Project finished.  "))
	assert.Equal(t, signoff.StatusRevoked, f.request(t, r.ID).Status)
	assert.False(t, f.hasRole(t, requester, "LEDGER_READ"), "the access role is taken back")
	evs := f.history(t, r.ID)
	last := evs[len(evs)-1]
	assert.Equal(t, signoff.EventAccessRevoked, last.Type)
	assert.Equal(t, both, last.Actor)
	assert.Equal(t, roleOwner, last.ActorRole)
	assert.Equal(t, "Project finished.", last.Comment)
	assert.Equal(t, `REVOKE ROLE "LEDGER_READ" FROM USER "`+requester+`"`, last.Details)

	before = f.snap(t, r.ID)
	_, confirmErr = f.svc.ConfirmRevoke(ctx, f.who(t, both), r.ID, "Project over.")
	err = f.svc.Revoke(ctx, f.who(t, both), r.ID, "Project over.")
	sameRefusal(t, err, confirmErr)
	assert.ErrorIs(t, err, signoff.ErrConflict, "only once")
	assert.Equal(t, signoff.CodeWrongStatus, codeOf(err))
	assert.NotEmpty(t, signoff.Message(err))
	f.unchanged(t, before)
	assert.Equal(t, 1, countType(f.history(t, r.ID), signoff.EventAccessRevoked))

	f.submit(t, requester, "ledger") // revoked access is closed: one may ask again

	t.Run("admin", func(t *testing.T) {
		g := f.submit(t, requester2, "reports")
		require.Equal(t, signoff.StatusGranted, f.approve(t, owner, g.ID).Status)
		require.NoError(t, f.svc.Revoke(ctx, f.who(t, admin), g.ID, "Project over."))
		assert.False(t, f.hasRole(t, requester2, "REPORTS_READ"))
		evs := f.history(t, g.ID)
		assert.Equal(t, signoff.RoleAdmin, evs[len(evs)-1].ActorRole)
	})

	t.Run("a role another granted request still justifies stays", func(t *testing.T) {
		a := f.submit(t, stranger, "reports")
		require.Equal(t, signoff.StatusGranted, f.approve(t, owner, a.ID).Status)
		b := f.submit(t, stranger, "reports-archive")
		require.Equal(t, signoff.StatusGranted, f.approve(t, owner, b.ID).Status)
		require.NoError(t, f.svc.Revoke(ctx, f.who(t, admin), a.ID, "Project over."))
		assert.True(t, f.hasRole(t, stranger, "REPORTS_READ"), "the archive request still grants it")
		evs := f.history(t, a.ID)
		assert.Equal(t, "no REVOKE: another GRANTED request of theirs for REPORTS_READ keeps it", evs[len(evs)-1].Details,
			"the audit log does not claim a REVOKE that did not run")
		require.NoError(t, f.svc.Revoke(ctx, f.who(t, admin), b.ID, "Project over."))
		assert.False(t, f.hasRole(t, stranger, "REPORTS_READ"), "nothing justifies it any more")
	})

	t.Run("not granted", func(t *testing.T) {
		p := f.submit(t, requester2, "ledger")
		before := f.snap(t, p.ID)
		_, confirmErr := f.svc.ConfirmRevoke(ctx, f.who(t, admin), p.ID, "Project over.")
		err := f.svc.Revoke(ctx, f.who(t, admin), p.ID, "Project over.")
		sameRefusal(t, err, confirmErr)
		assert.ErrorIs(t, err, signoff.ErrConflict)
		f.unchanged(t, before)
	})
}
