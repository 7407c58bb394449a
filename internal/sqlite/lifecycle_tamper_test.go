package sqlite_test

import (
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlite"
)

// The lifecycle's tampering cases, from a review: a fixture of its own
// with a vacant step and a renewable product.

type rclock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *rclock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}
func (c *rclock) adv(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type rfix struct {
	st    *sqlite.Store
	svc   *signoff.Service
	clock *rclock
	path  string
}

const rreason = "Quarterly close reconciliation needs the journal lines."

func newR(t *testing.T) *rfix {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "s.db")
	st := open(t, path)
	for _, r := range []string{"ANALYST", "LINE_MANAGER", "DATA_OWNER", "GOVERNANCE", "VACANT_SEAT", "TIMED_READ", "OTHER_ROLE", "SIGNOFF_ADMIN", "SIGNOFF_AUDITOR"} {
		require.NoError(t, st.CreateRole(ctx, r, ""))
	}
	for u, roles := range map[string][]string{"REQ": {"ANALYST"}, "MGR": {"LINE_MANAGER"}, "MGR2": {"LINE_MANAGER"}, "OWNER": {"DATA_OWNER"},
		"OWNER2": {"DATA_OWNER"}, "GOV": {"GOVERNANCE"}, "GOV2": {"GOVERNANCE"}, "EVE": {"OTHER_ROLE"}, "ADMIN": {"SIGNOFF_ADMIN"}, "AUDITOR": {"SIGNOFF_AUDITOR"}} {
		require.NoError(t, st.CreateUser(ctx, u, u, ""))
		for _, r := range roles {
			require.NoError(t, st.GrantRoleToUser(ctx, r, u, "ACCOUNTADMIN"))
		}
	}
	require.NoError(t, st.CreateProduct(ctx, signoff.Product{ID: "renew", Name: "Renew", OwnerRole: "DATA_OWNER", AccessRole: "TIMED_READ",
		Durations: []int{7, 30, 0}, ExtendLastStep: true,
		Chain: []signoff.ChainStep{{Order: 1, ApproverRole: "LINE_MANAGER", Label: "Manager"}, {Order: 2, ApproverRole: "DATA_OWNER", Label: "Owner"}}}))
	require.NoError(t, st.CreateProduct(ctx, signoff.Product{ID: "vac", Name: "Vac", OwnerRole: "DATA_OWNER", AccessRole: "TIMED_READ",
		Durations: []int{7, 30}, FallbackRole: "GOVERNANCE", PendingDays: 20,
		Chain: []signoff.ChainStep{{Order: 1, ApproverRole: "LINE_MANAGER", Label: "Manager", DeadlineHours: 24}, {Order: 2, ApproverRole: "VACANT_SEAT", Label: "Seat"}}}))
	c := &rclock{t: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
	svc := signoff.NewService(st.Reads(), st)
	svc.Now = c.Now
	svc.Scheduler = st
	return &rfix{st: st, svc: svc, clock: c, path: path}
}

func (f *rfix) who(t *testing.T, u string) signoff.Identity {
	id, err := f.st.Identify(t.Context(), u)
	require.NoError(t, err)
	return id
}

func (f *rfix) verify(t *testing.T) []signoff.LedgerProblem {
	rep, err := f.svc.VerifyAudit(t.Context(), f.who(t, "AUDITOR"))
	require.NoError(t, err)
	return rep.Problems
}

func (f *rfix) hasRole(t *testing.T, u, r string) bool { return f.who(t, u).HasRole(r) }

// TestRevokedGrantsExtensionIsRefused: an extension is never permanent nor
// longer than the access it extends, and once that access is revoked, the
// extension is approved no more (a review's finding).
func TestRevokedGrantsExtensionIsRefused(t *testing.T) {
	f := newR(t)
	ctx := t.Context()
	o, err := f.svc.Submit(ctx, f.who(t, "REQ"), "renew", rreason, 7)
	require.NoError(t, err)
	_, err = f.svc.Decide(ctx, f.who(t, "MGR"), o.RequestID, signoff.DecisionInput{Decision: signoff.DecisionApprove})
	require.NoError(t, err)
	g, err := f.svc.Decide(ctx, f.who(t, "OWNER"), o.RequestID, signoff.DecisionInput{Decision: signoff.DecisionApprove})
	require.NoError(t, err)
	require.Equal(t, signoff.StatusGranted, g.Status)
	// An extension is never permanent, nor longer than what it extends.
	_, err = f.svc.Extend(ctx, f.who(t, "REQ"), "renew", o.RequestID, rreason, 0)
	assert.Equal(t, signoff.CodeDurationLonger, signoff.CodeOf(err))
	ext, err := f.svc.Extend(ctx, f.who(t, "REQ"), "renew", o.RequestID, rreason, 7)
	require.NoError(t, err)
	// The owner revokes the original; the extension is approved no more.
	require.NoError(t, f.svc.Revoke(ctx, f.who(t, "OWNER"), o.RequestID, "Misuse of the data."))
	require.False(t, f.hasRole(t, "REQ", "TIMED_READ"))
	_, err = f.svc.Decide(ctx, f.who(t, "OWNER2"), ext.RequestID, signoff.DecisionInput{Decision: signoff.DecisionApprove})
	assert.Equal(t, signoff.CodeNotExtendable, signoff.CodeOf(err))
	assert.False(t, f.hasRole(t, "REQ", "TIMED_READ"), "a revoked grant's extension does not bring the role back")
	assert.Empty(t, f.verify(t))
}

// TestLifecycleFlowsVerify: legitimate flows verify: questions answered
// with and without a new reason, reminders, escalations by deadline and to
// a vacant step, approvals with and without days, an escalated step
// rejected, expiry.
func TestLifecycleFlowsVerify(t *testing.T) {
	f := newR(t)
	ctx := t.Context()
	o, err := f.svc.Submit(ctx, f.who(t, "REQ"), "vac", rreason, 30)
	require.NoError(t, err)
	id := o.RequestID
	// question, answered with a new reason
	_, err = f.svc.Decide(ctx, f.who(t, "MGR"), id, signoff.DecisionInput{Decision: signoff.DecisionChanges, Comment: "Which?"})
	require.NoError(t, err)
	require.NoError(t, f.svc.Resubmit(ctx, f.who(t, "REQ"), id, "These.", "A completely different business reason text."))
	// second question, answered without a new reason
	_, err = f.svc.Decide(ctx, f.who(t, "MGR"), id, signoff.DecisionInput{Decision: signoff.DecisionChanges, Comment: "Sure?"})
	require.NoError(t, err)
	require.NoError(t, f.svc.Resubmit(ctx, f.who(t, "REQ"), id, "Yes.", ""))
	// deadline passes: reminder, then escalation
	f.clock.adv(25 * time.Hour)
	rep, err := f.svc.Sweep(ctx)
	require.NoError(t, err)
	t.Logf("sweep1 %+v", rep)
	f.clock.adv(24 * time.Hour)
	rep, err = f.svc.Sweep(ctx)
	require.NoError(t, err)
	t.Logf("sweep2 %+v", rep)
	// fallback member asks a question
	_, err = f.svc.Decide(ctx, f.who(t, "GOV"), id, signoff.DecisionInput{Decision: signoff.DecisionChanges, Comment: "Why?"})
	require.NoError(t, err)
	require.NoError(t, f.svc.Resubmit(ctx, f.who(t, "REQ"), id, "Because.", "Yet another different business reason here."))
	// approve step 1 with days, via fallback
	_, err = f.svc.Decide(ctx, f.who(t, "GOV"), id, signoff.DecisionInput{Decision: signoff.DecisionApprove, Days: 7})
	require.NoError(t, err)
	rep, err = f.svc.Sweep(ctx) // step 2 blocked -> escalate
	require.NoError(t, err)
	t.Logf("sweep3 %+v", rep)
	r, err := f.svc.Decide(ctx, f.who(t, "GOV2"), id, signoff.DecisionInput{Decision: signoff.DecisionApprove})
	require.NoError(t, err)
	t.Logf("status %s", r.Status)
	assert.Empty(t, f.verify(t))
	f.clock.adv(5 * 24 * time.Hour)
	rep, _ = f.svc.Sweep(ctx)
	t.Logf("sweep4 %+v", rep)
	f.clock.adv(3 * 24 * time.Hour)
	rep, _ = f.svc.Sweep(ctx)
	t.Logf("sweep5 %+v", rep)
	assert.Empty(t, f.verify(t))
	// an escalated step rejected
	o2, err := f.svc.Submit(ctx, f.who(t, "REQ"), "vac", rreason, 7)
	require.NoError(t, err)
	_, err = f.svc.Decide(ctx, f.who(t, "MGR"), o2.RequestID, signoff.DecisionInput{Decision: signoff.DecisionApprove})
	require.NoError(t, err)
	_, _ = f.svc.Sweep(ctx)
	_, err = f.svc.Decide(ctx, f.who(t, "GOV"), o2.RequestID, signoff.DecisionInput{Decision: signoff.DecisionReject, Comment: "No."})
	require.NoError(t, err)
	assert.Empty(t, f.verify(t))
}

// TestForgedEscalationIsReported: a forged STEP_ESCALATED (by the system actor, in the window after the
// newest digest) to a role that is not the step's fallback role.
func TestForgedEscalationIsReported(t *testing.T) {
	f := newR(t)
	ctx := t.Context()
	o, err := f.svc.Submit(ctx, f.who(t, "REQ"), "vac", rreason, 7)
	require.NoError(t, err)
	id := o.RequestID
	db := rawDB(t, f.path)
	var seq int
	var prev string
	require.NoError(t, db.QueryRowContext(ctx, `SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1`).Scan(&seq, &prev))
	at := f.clock.Now().UTC().Truncate(time.Microsecond)
	var gen signoff.IDGenerator
	e := signoff.Event{ID: gen.New(at), Time: at, RequestID: id, ProductID: "vac", Actor: signoff.SystemActor,
		Type: signoff.EventStepEscalated, Step: 1, Comment: "forged", Details: "OTHER_ROLE", Seq: seq + 1, PrevHash: prev}
	e.Hash = e.ComputeHash()
	mustExec(t, db, `INSERT INTO audit_log (event_id, event_time, request_id, product_id, actor, actor_role, event_type, step_order, decision, comment, details, seq, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, NULL, ?, ?, NULL, ?, ?, ?, ?, ?)`, e.ID, at.Format(sqlite.TimeFormat), id, "vac", e.Actor, string(e.Type), 1, e.Comment, e.Details, e.Seq, e.PrevHash, e.Hash)
	mustExec(t, db, `UPDATE request_step SET escalated_to = 'OTHER_ROLE' WHERE request_id = ? AND step_order = 1`, id)
	_, err = f.svc.Decide(ctx, f.who(t, "EVE"), id, signoff.DecisionInput{Decision: signoff.DecisionApprove})
	require.NoError(t, err)
	ps := f.verify(t)
	t.Logf("problems: %+v", ps)
	assert.NotEmpty(t, ps, "an escalation to a role other than the step's fallback role is reported")
}

// TestFallbackSwapIsCaught: no forged event: edit the step's fallback role, let the real scheduler
// escalate, put the fallback role back.
func TestFallbackSwapIsCaught(t *testing.T) {
	f := newR(t)
	ctx := t.Context()
	o, err := f.svc.Submit(ctx, f.who(t, "REQ"), "vac", rreason, 7)
	require.NoError(t, err)
	id := o.RequestID
	_, err = f.svc.Decide(ctx, f.who(t, "MGR"), id, signoff.DecisionInput{Decision: signoff.DecisionApprove})
	require.NoError(t, err)
	db := rawDB(t, f.path)
	mustExec(t, db, `UPDATE request_step SET fallback_role = 'OTHER_ROLE' WHERE request_id = ? AND step_order = 2`, id)
	rep, err := f.svc.Sweep(ctx)
	require.NoError(t, err)
	t.Logf("sweep %+v", rep)
	mustExec(t, db, `UPDATE request_step SET fallback_role = 'GOVERNANCE' WHERE request_id = ? AND step_order = 2`, id)
	g, err := f.svc.Decide(ctx, f.who(t, "EVE"), id, signoff.DecisionInput{Decision: signoff.DecisionApprove})
	require.NoError(t, err)
	assert.Equal(t, signoff.StatusGrantFailed, g.Status, "the grant guard refuses a step decided with another role than its fallback")
	assert.False(t, f.hasRole(t, "REQ", "TIMED_READ"))
	ps := f.verify(t)
	assert.Contains(t, ps, signoff.LedgerProblem{RequestID: id, Seq: ps[0].Seq, EventID: ps[0].EventID, Kind: "illegal",
		Field: "details", Stored: "OTHER_ROLE", Expected: "GOVERNANCE"}, "the escalation names another role than the step's fallback")
}

// TestEarlyExpiryIsReported: move expires_at back, let the scheduler
// expire the access, put it back: the expiry came before the end.
func TestEarlyExpiryIsReported(t *testing.T) {
	f := newR(t)
	ctx := t.Context()
	o, err := f.svc.Submit(ctx, f.who(t, "REQ"), "renew", rreason, 30)
	require.NoError(t, err)
	id := o.RequestID
	_, err = f.svc.Decide(ctx, f.who(t, "MGR"), id, signoff.DecisionInput{Decision: signoff.DecisionApprove})
	require.NoError(t, err)
	_, err = f.svc.Decide(ctx, f.who(t, "OWNER"), id, signoff.DecisionInput{Decision: signoff.DecisionApprove})
	require.NoError(t, err)
	db := rawDB(t, f.path)
	var exp string
	require.NoError(t, db.QueryRowContext(ctx, `SELECT CAST(expires_at AS TEXT) FROM access_request WHERE request_id = ?`, id).Scan(&exp))
	mustExec(t, db, `UPDATE access_request SET expires_at = '2000-01-01T00:00:00.000000Z' WHERE request_id = ?`, id)
	rep, err := f.svc.Sweep(ctx)
	require.NoError(t, err)
	t.Logf("sweep %+v", rep)
	mustExec(t, db, `UPDATE access_request SET expires_at = ? WHERE request_id = ?`, exp, id)
	ps := f.verify(t)
	t.Logf("role kept: %v problems: %+v", f.hasRole(t, "REQ", "TIMED_READ"), ps)
	assert.NotEmpty(t, ps, "an ACCESS_EXPIRED before the access's end is reported")
}
