package sqlite_test

import (
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlstore"
)

// TestDecideChecksTheRoleItDecidesWith replays, statement by statement, how
// DECIDE_STEP interleaves on Snowflake (READ COMMITTED: each statement sees
// what committed before it): MALLORY, holding only step 1's role, decides
// "step 2". Her LoadRequest sees step 1 and her session holds its role;
// then BOB approves step 1 and commits; then her check and her
// compare-and-set run on step 2, whose role she does not hold. The shared
// statements must refuse: the check answers CONFLICT, and the
// compare-and-set, keyed to the role that was checked, changes nothing.
// (SQLite runs one writer at a time, so the engine itself cannot interleave
// like this; the statements are what Snowflake runs.)
func TestDecideChecksTheRoleItDecidesWith(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "signoff.db")
	st := open(t, path)
	for _, r := range []string{"ANALYST", "MGR", "OWNER_R", "X_READ"} {
		require.NoError(t, st.CreateRole(ctx, r, ""))
	}
	for _, u := range []string{"ALICE", "BOB", "MALLORY"} {
		require.NoError(t, st.CreateUser(ctx, u, u, ""))
	}
	require.NoError(t, st.GrantRoleToUser(ctx, "MGR", "BOB", "ACCOUNTADMIN"))
	require.NoError(t, st.GrantRoleToUser(ctx, "MGR", "MALLORY", "ACCOUNTADMIN"))
	require.NoError(t, st.CreateProduct(ctx, signoff.Product{ID: "x", Name: "X", OwnerRole: "OWNER_R", AccessRole: "X_READ",
		Chain: []signoff.ChainStep{{ApproverRole: "MGR", Label: "Manager"}, {ApproverRole: "OWNER_R", Label: "Owner"}}}))
	alice, err := st.Identify(ctx, "ALICE")
	require.NoError(t, err)
	svc := signoff.NewService(st.Reads(), st)
	o, err := svc.Submit(ctx, alice, "x", "Need it for the quarterly review.", 0)
	require.NoError(t, err)
	db := rawDB(t, path)

	now := time.Now().UTC().Truncate(time.Microsecond)
	args := func(extra ...any) []any {
		return append([]any{sql.Named("request_id", o.RequestID), sql.Named("actor", "MALLORY"),
			sql.Named("now_ts", now), sql.Named("step_no", 2), sql.Named("acting_as", ""),
			sql.Named("decision", "APPROVED"), sql.Named("comment_text", ""), sql.Named("holds_acting_as", false)},
			extra...)
	}

	// 1. MALLORY's call: LoadRequest, then the role look-up in her session.
	var loadedRole string
	require.NoError(t, db.QueryRowContext(ctx, `SELECT step_role FROM (`+sqlstore.LoadRequest+`)`, args()...).Scan(&loadedRole))
	require.Equal(t, "MGR", loadedRole)
	mallory, err := st.Identify(ctx, "MALLORY")
	require.NoError(t, err)
	holds := mallory.HasRole(loadedRole)
	require.True(t, holds)

	// 2. Meanwhile BOB approves step 1 and commits.
	bob, err := st.Identify(ctx, "BOB")
	require.NoError(t, err)
	_, err = svc.Decide(ctx, bob, o.RequestID, signoff.DecisionInput{Decision: signoff.DecisionApprove, Step: 1})
	require.NoError(t, err)

	// 3. MALLORY's check and compare-and-set, now at step 2.
	var code string
	var cur int
	require.NoError(t, db.QueryRowContext(ctx, `SELECT code, current_step FROM (`+sqlstore.CheckDecide+`)`,
		args(sql.Named("holds_step_role", holds), sql.Named("step_role", loadedRole))...).Scan(&code, &cur))
	assert.Equal(t, "CONFLICT", code, "the current step's role is not the one checked")
	res, err := db.ExecContext(ctx, sqlstore.AdvanceRequest,
		args(sql.Named("cur_step", cur), sql.Named("actor_role", loadedRole))...)
	require.NoError(t, err)
	n, err := res.RowsAffected()
	require.NoError(t, err)
	assert.Zero(t, n, "keyed to the role checked, the compare-and-set changes nothing")

	r, _, _, err := st.Reads().RequestDetail(ctx, o.RequestID)
	require.NoError(t, err)
	assert.Equal(t, 2, r.CurrentStep)
	assert.Equal(t, signoff.DecisionNone, r.Steps[1].Decision, "step 2 undecided")
}
