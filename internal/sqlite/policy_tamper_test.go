package sqlite_test

import (
	"database/sql"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
)

// policySaved is the ledger fixture with the chain policy saved by an
// admin: one POLICY_SAVED event pinning the rows it wrote.
func policySaved(t *testing.T) *ledgerFixture {
	t.Helper()
	f := newLedgerFixture(t)
	f.svc.Policies = f.st
	_, err := f.svc.SavePolicy(t.Context(), f.who(t, "ADAM"), []signoff.DefinitionStep{
		{ApproverRole: "LINE_MANAGER", Label: "Governance", DeadlineHours: 24},
		{ApproverRole: "DATA_OWNER_SALES", Label: "Privacy", WhenTag: "pii"}})
	require.NoError(t, err)
	rep := f.verify(t)
	require.True(t, rep.OK(), "the log with a policy save verifies: %v", rep.Problems)
	return f
}

// TestPolicyTamperingIsCaught: the chain policy's rows are what the latest
// POLICY_SAVED wrote, and that event is an admin's, of no request, so a
// rule edited, added or dropped behind Signoff's back, or the event moved
// or reattributed, is reported.
func TestPolicyTamperingIsCaught(t *testing.T) {
	cases := []struct {
		name   string
		tamper func(t *testing.T, db *sql.DB)
		want   found
	}{
		{"swap a policy rule's role", func(t *testing.T, db *sql.DB) {
			mustExec(t, db, `UPDATE chain_policy SET approver_role = 'PUBLIC' WHERE step_order = 1`)
		}, found{"inconsistent", "chain_policy"}},
		{"drop a policy rule", func(t *testing.T, db *sql.DB) {
			mustExec(t, db, `DELETE FROM chain_policy WHERE step_order = 2`)
		}, found{"inconsistent", "chain_policy"}},
		{"add a policy rule", func(t *testing.T, db *sql.DB) {
			mustExec(t, db, `INSERT INTO chain_policy (step_order, approver_role, step_label, step_kind, quorum)
				VALUES (3, 'MALLORY_ROLE', 'Rubber stamp', 'ROLE', 1)`)
		}, found{"inconsistent", "chain_policy"}},
		{"say the save was not an admin's", func(t *testing.T, db *sql.DB) {
			mustExec(t, db, `UPDATE audit_log SET actor_role = 'PUBLIC' WHERE event_type = 'POLICY_SAVED'`)
			rechain(t, db)
		}, found{"illegal", "actor_role"}},
		{"move the save onto a request", func(t *testing.T, db *sql.DB) {
			mustExec(t, db, `UPDATE audit_log SET request_id = (SELECT MIN(request_id) FROM access_request)
				WHERE event_type = 'POLICY_SAVED'`)
			rechain(t, db)
		}, found{"illegal", "event_type"}},
		{"edit the save's details", func(t *testing.T, db *sql.DB) {
			mustExec(t, db, `UPDATE audit_log SET details = 'policy=forged' WHERE event_type = 'POLICY_SAVED'`)
			rechain(t, db)
		}, found{"inconsistent", "chain_policy"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := policySaved(t)
			tc.tamper(t, f.attacker(t))
			rep := f.verify(t)
			require.False(t, rep.OK(), "the tampering is reported")
			assert.Contains(t, productKinds(rep), tc.want, "%+v", rep.Problems)
		})
	}
}

// TestPolicyBeforeAnySaveIsNotCompared: a policy installed otherwise (the
// demo's seed, an upgrade) has no POLICY_SAVED to compare with, and
// verifies.
func TestPolicyBeforeAnySaveIsNotCompared(t *testing.T) {
	f := newLedgerFixture(t)
	mustExec(t, f.attacker(t), `INSERT INTO chain_policy (step_order, approver_role, step_label, step_kind, quorum)
		VALUES (9, 'LINE_MANAGER', 'Governance', 'ROLE', 1)`)
	rep := f.verify(t)
	assert.True(t, rep.OK(), "%v", rep.Problems)
}
