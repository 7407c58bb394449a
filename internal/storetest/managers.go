package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
)

// managed is a product whose first step is the requester's manager's
// (who must also hold LINE_MANAGER), then the owners'. The manager step
// has a deadline, and escalates to the product's fallback role.
func managed() signoff.Product {
	return signoff.Product{
		ID: "managed", Name: "Managed extract", Description: "Needs your manager.", Owner: "Analytics",
		OwnerRole: roleOwner, Domain: "Analytics", Classification: "INTERNAL", Tags: []string{"kpi"},
		AccessRole: "REPORTS_READ", Durations: []int{0}, FallbackRole: roleFallback,
		Chain: []signoff.ChainStep{
			{Kind: signoff.KindManager, ApproverRole: roleManager, Label: "Line manager", DeadlineHours: 24},
			{Kind: signoff.KindOwner, Label: "Owners"},
		},
	}
}

// setManagers changes the directory as admin, through the Service.
func (f *fixture) setManagers(t *testing.T, pairs ...string) int {
	t.Helper()
	var es []signoff.DirectoryEntry
	for i := 0; i+1 < len(pairs); i += 2 {
		es = append(es, signoff.DirectoryEntry{User: pairs[i], Manager: pairs[i+1]})
	}
	n, err := f.svc.SetManagers(f.ctx, f.who(t, admin), es)
	require.NoError(t, err)
	return n
}

// setCall is a change of the directory straight to the engine, which
// checks it itself (the Snowflake procedure may be CALLed with any entries).
func (f *fixture) setCall(t *testing.T, user string, pairs ...string) signoff.Outcome {
	t.Helper()
	c := signoff.DirectoryCall{At: f.clock.Now()}
	for i := 0; i+1 < len(pairs); i += 2 {
		c.Entries = append(c.Entries, signoff.DirectoryEntry{User: pairs[i], Manager: pairs[i+1]})
	}
	c.EventIDs = f.newIDs(len(c.Entries))
	o, err := f.managers.SetManagers(f.ctx, f.who(t, user), c)
	require.NoError(t, err)
	return o
}

// testDirectory: only admins change the directory; nobody manages
// themselves, nor two people each other; a change that changes nothing
// writes nothing; every change is an audit event of no request, and the
// log still verifies.
func testDirectory(t *testing.T, f *fixture) {
	if f.managers == nil {
		t.Skip("the engine keeps no directory")
	}
	ctx := f.ctx
	before := f.events(t, signoff.EventFilter{})

	o := f.setCall(t, manager, requester2, manager)
	assert.Equal(t, signoff.CodeNotAdmin, o.Code, "only admins")
	_, err := f.svc.SetManagers(ctx, f.who(t, owner), []signoff.DirectoryEntry{{User: requester2, Manager: manager}})
	assert.ErrorIs(t, err, signoff.ErrForbidden)
	_, err = f.svc.ManagerDirectory(ctx, f.who(t, auditor), "")
	assert.ErrorIs(t, err, signoff.ErrForbidden)

	o = f.setCall(t, admin, requester2, requester2)
	assert.Equal(t, signoff.CodeSelfManager, o.Code)
	assert.Equal(t, 1, o.Line)
	o = f.setCall(t, admin, requester2, " "+manager)
	assert.Equal(t, signoff.CodeInvalid, o.Code)
	assert.Equal(t, "manager_name", o.Field)
	o = f.setCall(t, admin, "", manager)
	assert.Equal(t, signoff.CodeInvalid, o.Code)
	assert.Equal(t, "user_name", o.Field)
	o = f.setCall(t, admin, requester2, manager, manager, requester2)
	assert.Equal(t, signoff.CodeManagerCycle, o.Code, "two people cannot manage each other, even in one call")
	assert.Equal(t, 2, o.Line)
	assert.Equal(t, eventIDs(before), eventIDs(f.events(t, signoff.EventFilter{})), "a refusal writes nothing, not even the entries before it")
	m, err := f.managers.ManagerOf(ctx, requester2)
	require.NoError(t, err)
	assert.Empty(t, m)

	assert.Equal(t, 2, f.setManagers(t, requester2, manager, requester, manager2))
	assert.Equal(t, 0, f.setManagers(t, requester2, manager), "the directory says so already")
	assert.Equal(t, 1, f.setManagers(t, requester, manager))
	m, err = f.managers.ManagerOf(ctx, requester)
	require.NoError(t, err)
	assert.Equal(t, manager, m)

	page, err := f.svc.ManagerDirectory(ctx, f.who(t, admin), "")
	require.NoError(t, err)
	require.Len(t, page.Entries, 2)
	e := page.Entries[0]
	assert.Equal(t, [3]string{requester, manager, admin}, [3]string{e.User, e.Manager, e.UpdatedBy})
	assert.False(t, e.UpdatedAt.IsZero())
	page, err = f.svc.ManagerDirectory(ctx, f.who(t, admin), "req2")
	require.NoError(t, err)
	require.Len(t, page.Entries, 1, "the filter matches a part of a name, in any case")
	assert.Equal(t, requester2, page.Entries[0].User)

	assert.Equal(t, 1, f.setManagers(t, requester, ""), "an empty manager removes the user's")
	m, err = f.managers.ManagerOf(ctx, requester)
	require.NoError(t, err)
	assert.Empty(t, m)

	evs := f.events(t, signoff.EventFilter{Type: signoff.EventDirectoryChanged})
	require.Len(t, evs, 4)
	last := evs[0] // newest first
	assert.Equal(t, signoff.Event{Actor: admin, ActorRole: signoff.RoleAdmin, Type: signoff.EventDirectoryChanged,
		Comment: requester}, signoff.Event{Actor: last.Actor, ActorRole: last.ActorRole, Type: last.Type,
		Comment: last.Comment, Details: last.Details, RequestID: last.RequestID})
	assert.Equal(t, manager, evs[1].Details)
	f.verifies(t)
}

// testManagerSteps: a manager step resolves at submit to the requester's
// manager, as the product page's preview says; without one the submission
// is refused; only that manager decides it, the queue shows it to them
// alone, and the submission's event pins who it is.
func testManagerSteps(t *testing.T, f *fixture) {
	if f.managers == nil {
		t.Skip("the engine keeps no directory")
	}
	ctx := f.ctx
	require.NoError(t, f.acct.CreateProduct(ctx, managed()))

	page, err := f.svc.Product(ctx, f.who(t, requester2), "managed")
	require.NoError(t, err)
	assert.True(t, page.NeedsManager)
	assert.Empty(t, page.Manager)
	before := f.events(t, signoff.EventFilter{})
	_, err = f.svc.Submit(ctx, f.who(t, requester2), "managed", reason, 0)
	assert.Equal(t, signoff.CodeNoManager, codeOf(err))
	assert.ErrorIs(t, err, signoff.ErrInvalid)
	assert.Contains(t, signoff.Message(err), "manager")
	assert.Equal(t, eventIDs(before), eventIDs(f.events(t, signoff.EventFilter{})), "nothing submitted")

	f.setManagers(t, requester2, manager)
	page, err = f.svc.Product(ctx, f.who(t, requester2), "managed")
	require.NoError(t, err)
	assert.Equal(t, manager, page.Manager)
	require.Len(t, page.Steps, 2)
	assert.Equal(t, manager, page.Steps[0].ApproverUser, "the preview names the manager")

	r := f.submitFor(t, requester2, "managed", 0)
	require.Len(t, r.Steps, 2)
	assert.Equal(t, page.Steps[0].ApproverUser, r.Steps[0].ApproverUser, "the engine resolves as the preview")
	assert.Equal(t, roleManager, r.Steps[0].ApproverRole, "and keeps the role managers must hold")
	assert.Empty(t, r.Steps[1].ApproverUser)
	sub := f.history(t, r.ID)[0]
	assert.Contains(t, sub.Details, signoff.StepPolicy(r.Steps[0]), "the submission records the manager")
	assert.Contains(t, signoff.StepPolicy(r.Steps[0]), "@3:MGR;")

	// A later change of the directory moves no request in flight.
	f.setManagers(t, requester2, manager2)
	r = f.request(t, r.ID)
	assert.Equal(t, manager, r.Steps[0].ApproverUser)

	// The queue: the manager's alone.
	for user, want := range map[string]int{manager: 1, manager2: 0, both: 0} {
		q, err := f.svc.Queue(ctx, f.who(t, user), signoff.QueueInput{})
		require.NoError(t, err)
		assert.Len(t, q.Requests, want, "%s's queue", user)
	}

	// Only the manager decides it: another holder of the role is refused,
	// by the Service and by the engine's own check.
	s := f.snap(t, r.ID)
	_, err = f.svc.Decide(ctx, f.who(t, manager2), r.ID, signoff.DecisionInput{Decision: signoff.DecisionApprove})
	assert.Equal(t, signoff.CodeNotStepApprover, codeOf(err))
	assert.ErrorIs(t, err, signoff.ErrForbidden)
	assert.Contains(t, signoff.Message(err), manager, "the refusal names who may")
	o, err := f.engine.Decide(ctx, f.who(t, both), signoff.DecideCall{RequestID: r.ID, Step: 1, Decision: signoff.DecisionApprove,
		ActingAs: roleManager, EventIDs: f.newIDs(3), At: f.clock.Now()})
	require.NoError(t, err)
	assert.Equal(t, signoff.CodeNotStepApprover, o.Code)
	f.unchanged(t, s)

	f.approve(t, manager, r.ID)
	assert.Equal(t, signoff.StatusGranted, f.approve(t, owner, r.ID).Status)
	r = f.request(t, r.ID)
	assert.Equal(t, manager, r.Steps[0].DecidedBy)
	f.verifies(t)

	// A manager who does not hold the step's role cannot decide it.
	f.setManagers(t, stranger, manager2, auditor, governor)
	r2 := f.submitFor(t, auditor, "managed", 0)
	_, err = f.svc.Decide(ctx, f.who(t, governor), r2.ID, signoff.DecisionInput{Decision: signoff.DecisionApprove})
	assert.Equal(t, signoff.CodeRoleNotHeld, codeOf(err))
	f.verifies(t)
}

// testManagerStepEscalates: a manager step the manager cannot decide
// escalates at once (blocked), and one that waited twice its deadline
// escalates too; then the fallback role's members decide it, and the grant
// guard and the verifier accept that.
func testManagerStepEscalates(t *testing.T, f *fixture) {
	if f.managers == nil {
		t.Skip("the engine keeps no directory")
	}
	ctx := f.ctx
	require.NoError(t, f.acct.CreateProduct(ctx, managed()))
	f.setManagers(t, auditor, stranger, requester2, manager)

	// STRANGER holds no LINE_MANAGER: nobody can decide AUDITOR's step.
	blocked := f.submitFor(t, auditor, "managed", 0)
	// REQ2's manager can, but does not in time.
	late := f.submitFor(t, requester2, "managed", 0)
	f.sweep(t)
	assert.Equal(t, roleFallback, f.request(t, blocked.ID).Steps[0].EscalatedTo, "blocked: escalated at once")
	assert.Empty(t, f.request(t, late.ID).Steps[0].EscalatedTo, "the manager can decide it")

	f.clock.advance(49 * time.Hour)
	f.sweep(t)
	require.Equal(t, roleFallback, f.request(t, late.ID).Steps[0].EscalatedTo, "twice its deadline")

	q, err := f.svc.Queue(ctx, f.who(t, governor), signoff.QueueInput{})
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{blocked.ID, late.ID}, requestIDs(q.Requests), "escalated: the fallback's members see them")

	// The fallback decides one, the manager still may decide the other.
	f.approve(t, governor, blocked.ID)
	assert.Equal(t, signoff.StatusGranted, f.approve(t, owner, blocked.ID).Status, "the grant guard accepts the fallback's decision")
	f.approve(t, manager, late.ID)
	assert.Equal(t, signoff.StatusGranted, f.approve(t, owner, late.ID).Status)
	r := f.request(t, blocked.ID)
	assert.Equal(t, governor, r.Steps[0].DecidedBy)
	assert.Equal(t, roleFallback, r.Steps[0].ActorRole)
	f.verifies(t)
}
