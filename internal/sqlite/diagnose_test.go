package sqlite_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
)

// statuses maps each check's name to its verdict.
func statuses(cs signoff.Checks) map[string]signoff.CheckStatus {
	out := map[string]signoff.CheckStatus{}
	for _, c := range cs {
		out[c.Name] = c.Status
	}
	return out
}

func TestDiagnoseAHealthyDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "signoff.db")
	st := open(t, path)
	seed(t, st)
	ctx := t.Context()
	before, err := st.Reads().Events(ctx, signoff.EventFilter{})
	require.NoError(t, err)

	admin := signoff.NewIdentity("ADMIN", []string{signoff.RoleAdmin})
	cs, err := st.Diagnose(ctx, admin)
	require.NoError(t, err)
	for _, c := range cs {
		t.Logf("%-5s %s: %s", c.Status, c.Name, c.Detail)
	}
	assert.False(t, cs.Failed())
	assert.Equal(t, map[string]signoff.CheckStatus{
		"Database file": signoff.CheckPass, "Schema migrations": signoff.CheckPass, "Database integrity": signoff.CheckPass,
		"Dry run: submit": signoff.CheckPass, "Dry run: decide": signoff.CheckPass, "Dry run: withdraw": signoff.CheckPass, "Dry run: resubmit": signoff.CheckPass, "Dry run: set managers": signoff.CheckPass,
		"Dry run: start review": signoff.CheckPass, "Dry run: decide review": signoff.CheckPass,
		"Dry run: save a product": signoff.CheckPass,
		"Dry run: retry grant":    signoff.CheckPass, "Dry run: revoke": signoff.CheckPass, "Snowflake": signoff.CheckSkip,
	}, statuses(cs))

	after, err := st.Reads().Events(ctx, signoff.EventFilter{})
	require.NoError(t, err)
	assert.Len(t, after, len(before), "a preflight writes nothing")
}

func TestDiagnoseFindsProblems(t *testing.T) {
	admin := signoff.NewIdentity("ADMIN", []string{signoff.RoleAdmin})

	t.Run("in memory", func(t *testing.T) {
		cs, err := open(t, ":memory:").Diagnose(t.Context(), admin)
		require.NoError(t, err)
		assert.Equal(t, signoff.CheckWarn, statuses(cs)["Database file"])
		assert.False(t, cs.Failed(), "a warning is not a failure")
	})
	t.Run("file deleted", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "signoff.db")
		st := open(t, path)
		require.NoError(t, os.Remove(path))
		cs, err := st.Diagnose(t.Context(), admin)
		require.NoError(t, err)
		assert.Equal(t, signoff.CheckFail, statuses(cs)["Database file"])
		assert.True(t, cs.Failed())
	})
	t.Run("a migration not applied", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "signoff.db")
		st := open(t, path)
		_, err := rawDB(t, path).ExecContext(t.Context(), `DELETE FROM schema_migrations WHERE version = '004_submit_lock'`)
		require.NoError(t, err)
		cs, err := st.Diagnose(t.Context(), admin)
		require.NoError(t, err)
		assert.Equal(t, signoff.CheckFail, statuses(cs)["Schema migrations"])
	})
}
