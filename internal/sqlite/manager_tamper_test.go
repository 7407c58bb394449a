package sqlite_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
)

// Manager steps against someone who can write the database: the step's
// manager is pinned by the submission's event, only they may decide it
// (until it escalates), and the directory is what its events say.

// newManaged is newR with a product whose first step is the requester's
// manager's, REQ's manager MGR in the directory.
func newManaged(t *testing.T) *rfix {
	f := newR(t)
	ctx := t.Context()
	require.NoError(t, f.st.CreateProduct(ctx, signoff.Product{ID: "mgd", Name: "Managed", OwnerRole: "DATA_OWNER",
		AccessRole: "TIMED_READ", Durations: []int{7}, FallbackRole: "GOVERNANCE",
		Chain: []signoff.ChainStep{{Order: 1, Kind: signoff.KindManager, ApproverRole: "LINE_MANAGER", Label: "Manager"},
			{Order: 2, Kind: signoff.KindOwner, ApproverRole: "DATA_OWNER", Label: "Owner"}}}))
	f.svc.Managers = f.st
	_, err := f.svc.SetManagers(ctx, f.who(t, "ADMIN"), []signoff.DirectoryEntry{{User: "REQ", Manager: "MGR"}})
	require.NoError(t, err)
	return f
}

// TestManagerStepDecidedBySomeoneElse: MGR2 (who holds the step's role but
// is not REQ's manager) decides the manager step, through rows forged on
// the way: the step's manager swapped to MGR2 for the decision and put
// back. The grant guard refuses the grant and the verifier reports the
// decision.
func TestManagerStepDecidedBySomeoneElse(t *testing.T) {
	f := newManaged(t)
	ctx := t.Context()
	o, err := f.svc.Submit(ctx, f.who(t, "REQ"), "mgd", rreason, 7)
	require.NoError(t, err)
	id := o.RequestID
	db := rawDB(t, f.path)
	mustExec(t, db, `UPDATE request_step SET approver_user = 'MGR2' WHERE request_id = ? AND step_order = 1`, id)
	_, err = f.svc.Decide(ctx, f.who(t, "MGR2"), id, signoff.DecisionInput{Decision: signoff.DecisionApprove})
	require.NoError(t, err)
	mustExec(t, db, `UPDATE request_step SET approver_user = 'MGR' WHERE request_id = ? AND step_order = 1`, id)
	g, err := f.svc.Decide(ctx, f.who(t, "OWNER"), id, signoff.DecisionInput{Decision: signoff.DecisionApprove})
	require.NoError(t, err)
	assert.Equal(t, signoff.StatusGrantFailed, g.Status, "the grant guard refuses a manager step decided by another")
	assert.False(t, f.hasRole(t, "REQ", "TIMED_READ"))
	r, _, evs, err := f.st.Reads().RequestDetail(ctx, id)
	require.NoError(t, err)
	assert.Contains(t, evs[len(evs)-1].Details, "a manager step was decided by someone other than the manager")
	assert.Equal(t, "MGR2", r.Steps[0].DecidedBy)

	ps := f.verify(t)
	var illegal []signoff.LedgerProblem
	for _, p := range ps {
		if p.Kind == signoff.ProblemIllegal && p.Field == "actor" {
			illegal = append(illegal, p)
		}
	}
	require.Len(t, illegal, 1, "problems: %+v", ps)
	assert.Equal(t, "MGR2", illegal[0].Stored)
	assert.Contains(t, illegal[0].Sentence(), "MGR2 could not act here: the step is for MGR, the requester's manager, to decide.")
}

// TestManagerSwapIsReported: the step's manager changed in the row alone
// (to let a friend decide) no longer tells the submission's story.
func TestManagerSwapIsReported(t *testing.T) {
	f := newManaged(t)
	ctx := t.Context()
	o, err := f.svc.Submit(ctx, f.who(t, "REQ"), "mgd", rreason, 7)
	require.NoError(t, err)
	db := rawDB(t, f.path)
	for _, set := range []string{`approver_user = 'MGR2'`, `approver_user = NULL`} {
		mustExec(t, db, `UPDATE request_step SET `+set+` WHERE request_id = ? AND step_order = 1`, o.RequestID)
		ps := f.verify(t)
		require.NotEmpty(t, ps, set)
		assert.Equal(t, signoff.ProblemInconsistent, ps[0].Kind, set)
		assert.Equal(t, "steps", ps[0].Field, "%s: the submission recorded MGR", set)
		assert.Contains(t, ps[0].Expected, "@3:MGR;")
	}
	// The manager put back: the log verifies again.
	mustExec(t, db, `UPDATE request_step SET approver_user = 'MGR' WHERE request_id = ? AND step_order = 1`, o.RequestID)
	assert.Empty(t, f.verify(t))
}

// TestDirectoryEditIsReported: the directory's rows must be what their
// events say: a row edited, added or removed without its event is reported.
func TestDirectoryEditIsReported(t *testing.T) {
	f := newManaged(t)
	db := rawDB(t, f.path)
	require.Empty(t, f.verify(t))
	for _, tc := range []struct{ name, tamper, undo, field string }{
		{"edited", `UPDATE user_manager SET manager_name = 'EVE' WHERE user_name = 'REQ'`,
			`UPDATE user_manager SET manager_name = 'MGR' WHERE user_name = 'REQ'`, "manager of REQ"},
		{"added", `INSERT INTO user_manager VALUES ('EVE', 'MGR', '2025-03-01T09:00:00Z', 'ADMIN')`,
			`DELETE FROM user_manager WHERE user_name = 'EVE'`, "manager of EVE"},
		{"removed", `DELETE FROM user_manager WHERE user_name = 'REQ'`,
			`INSERT INTO user_manager VALUES ('REQ', 'MGR', '2025-03-01T09:00:00Z', 'ADMIN')`, "manager of REQ"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mustExec(t, db, tc.tamper)
			ps := f.verify(t)
			require.Len(t, ps, 1, "%+v", ps)
			assert.Equal(t, signoff.ProblemInconsistent, ps[0].Kind)
			assert.Equal(t, tc.field, ps[0].Field)
			assert.Contains(t, ps[0].Sentence(), "The directory's "+tc.field)
			mustExec(t, db, tc.undo)
			assert.Empty(t, f.verify(t))
		})
	}
	t.Run("the ledger's first event's empty prev_hash set NULL: the same claim", func(t *testing.T) {
		mustExec(t, db, `DROP TRIGGER audit_log_no_update`)
		var typ string
		require.NoError(t, db.QueryRowContext(t.Context(), `SELECT event_type FROM audit_log WHERE seq = 1`).Scan(&typ))
		require.Equal(t, string(signoff.EventDirectoryChanged), typ)
		mustExec(t, db, `UPDATE audit_log SET prev_hash = NULL WHERE seq = 1`)
		assert.Empty(t, f.verify(t))
	})
	t.Run("a directory change posing as a request's event", func(t *testing.T) {
		mustExec(t, db, `UPDATE audit_log SET request_id = 'X' WHERE event_type = 'DIRECTORY_CHANGED'`)
		ps := f.verify(t)
		assert.NotEmpty(t, ps)
	})
}
