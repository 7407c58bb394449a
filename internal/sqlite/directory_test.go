package sqlite_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/demo"
	"github.com/signoff/signoff/internal/signoff"
)

// TestRoleHolders: the local account says who holds each role, directly or
// through the hierarchy (SECURITY_LEAD inherits DPO), for the roles asked
// about only.
func TestRoleHolders(t *testing.T) {
	st := open(t, filepath.Join(t.TempDir(), "signoff.db"))
	svc := signoff.NewService(st.Reads(), st)
	require.NoError(t, demo.Load(t.Context(), st, svc, time.Now()))

	got, err := st.RoleHolders(t.Context(), []string{"DPO", "LINE_MANAGER", "FINANCE_CONTROLLER", "NOBODY_HOLDS_THIS"})
	require.NoError(t, err)
	assert.Equal(t, signoff.RoleHolders{
		"DPO":                {"DANA", "SAM"},
		"LINE_MANAGER":       {"LENA", "MARCO"},
		"FINANCE_CONTROLLER": {"FRANK", "GRACE"},
	}, got)

	none, err := st.RoleHolders(t.Context(), nil)
	require.NoError(t, err)
	assert.Empty(t, none)
}
