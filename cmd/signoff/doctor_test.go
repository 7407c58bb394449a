package main

import (
	"bytes"
	"database/sql"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/snowflake/sftest"
	_ "github.com/signoff/signoff/internal/snowflake/sftest/sfenv" // keeps gosnowflake off the network
	"github.com/signoff/signoff/internal/sqlite"
	sqlfiles "github.com/signoff/signoff/sql"
)

// newDatabase creates an embedded database file with its tables.
func newDatabase(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "signoff.db")
	st, err := sqlite.Open(t.Context(), path)
	require.NoError(t, err)
	require.NoError(t, st.Close())
	return path
}

func TestDoctorEmbedded(t *testing.T) {
	t.Parallel()
	path := newDatabase(t)
	var out, errOut bytes.Buffer
	err := run(t.Context(), []string{"doctor", "--db", path}, env(nil), &out, &errOut)
	require.NoError(t, err, "stderr: %s", errOut.String())
	migrations, err := fs.Glob(sqlfiles.FS, "sqlite/*.sql")
	require.NoError(t, err)
	for _, line := range []string{"Signoff preflight on the embedded engine (" + path + ")",
		"PASS  Schema migrations: All " + strconv.Itoa(len(migrations)) + " applied", "PASS  Dry run: decide:", "SKIP  Snowflake:",
		"14 checks: 13 passed, 0 warnings, 0 failed, 1 skipped"} {
		assert.Contains(t, out.String(), line)
	}
}

func TestDoctorEmbeddedFailure(t *testing.T) {
	t.Parallel()
	path := newDatabase(t)
	db, err := sql.Open("sqlite3", "file:"+path)
	require.NoError(t, err)
	_, err = db.Exec(`DELETE FROM submit_lock`)
	require.NoError(t, err)
	require.NoError(t, db.Close())

	var out bytes.Buffer
	err = run(t.Context(), []string{"doctor", "--db", path}, env(nil), &out, &out)
	require.ErrorIs(t, err, errChecksFailed, "a failed check exits 1")
	assert.Contains(t, out.String(), "FAIL  Dry run: submit:")
	assert.Contains(t, out.String(), "PASS  Dry run: decide:", "one broken action fails one check")
	assert.Contains(t, out.String(), "      fix: The action cannot run.")
}

func TestDoctorRefuses(t *testing.T) {
	t.Parallel()
	for name, args := range map[string][]string{
		"no such file":    {"doctor", "--db", filepath.Join(t.TempDir(), "missing.db")},
		"memory":          {"doctor", "--db", ":memory:"},
		"an argument":     {"doctor", "extra"},
		"an engine typo":  {"doctor", "--engine", "snowflak"},
		"snowflake unset": {"doctor", "--engine", "snowflake"},
	} {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(t.Context(), args, env(nil), &out, &out)
			require.Error(t, err)
			assert.NotErrorIs(t, err, errChecksFailed)
		})
	}
}

// TestDoctorSnowflake runs the service checks through the real driver
// against a fake that knows no statement: every check fails or is skipped,
// and the caller's session is left to the /doctor page.
func TestDoctorSnowflake(t *testing.T) {
	t.Parallel()
	fake := sftest.New(t)
	token := filepath.Join(t.TempDir(), "token")
	require.NoError(t, os.WriteFile(token, []byte("svc-token"), 0o600))
	vars := map[string]string{"SNOWFLAKE_ACCOUNT": "ACME", "SNOWFLAKE_HOST": fake.Host(),
		"SNOWFLAKE_PORT": strconv.Itoa(fake.Port()), "SNOWFLAKE_PROTOCOL": "http", "SNOWFLAKE_DATABASE": "SIGNOFF",
		"SIGNOFF_WAREHOUSE": "SIGNOFF_WH", "SIGNOFF_TOKEN_FILE": token}
	var out bytes.Buffer
	err := run(t.Context(), []string{"doctor"}, env(vars), &out, &out)
	require.ErrorIs(t, err, errChecksFailed)
	assert.Contains(t, out.String(), "Signoff preflight on Snowflake (SIGNOFF.API)")
	assert.Contains(t, out.String(), "PASS  Service token file:")
	assert.Contains(t, out.String(), `FAIL  Grants to SIGNOFF_APP: snowflake statement failed`)
	assert.Contains(t, out.String(), `no canned response for "SHOW GRANTS TO ROLE SIGNOFF_APP"`)
	assert.Contains(t, out.String(), "SKIP  Your session: There is no visitor's session to check from here.")
	assert.Contains(t, out.String(), "      fix: Open /doctor in the deployed service as a Signoff admin")
	for _, l := range fake.Logins() {
		assert.Equal(t, "svc-token", l.Token)
	}
	var shows int
	for _, q := range fake.Queries() {
		if strings.HasPrefix(q.SQLText, "SHOW ") {
			shows++
		}
	}
	assert.Equal(t, 9, shows, "six roles' grants, the caller grants and two roles' holders")
}
