package sqlfiles_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/snowflake"
	"github.com/signoff/signoff/internal/sqlgen"
	"github.com/signoff/signoff/internal/sqlstore"
)

const verifyFile = "snowflake/05_verify_audit.sql"

// TestSnowflakeVerifyAudit fails when the committed 05_verify_audit.sql is
// not what its sources render, byte for byte.
func TestSnowflakeVerifyAudit(t *testing.T) {
	requireGenerated(t, verifyFile, sqlgen.VerifyAudit)
}

// TestSnowflakeVerifyAuditRunsTheAppsVerifier: the auditor's script runs,
// whole, the verifier the embedded engine runs in every tampering test
// (internal/sqlite/ledger_test.go), so it catches what they catch; only
// its digests come from elsewhere, Snowflake's records that the tables'
// writers cannot change.
func TestSnowflakeVerifyAuditRunsTheAppsVerifier(t *testing.T) {
	body, err := os.ReadFile(filepath.FromSlash(verifyFile))
	require.NoError(t, err)
	text := string(body)
	digests := snowflake.AuditorDigests(snowflake.DefaultService)
	assert.Contains(t, text, strings.TrimSpace(sqlstore.VerifyLedger(digests))+";")
	assert.Contains(t, text, "dg AS ("+digests+")")
	assert.NotContains(t, text, "?", "nothing to bind: the script runs as it is in a worksheet")

	stmts := script(t, verifyFile)
	require.Len(t, stmts, 5, "USE SCHEMA, the verifier, the digests found, the table's history, the statements")
	assert.Equal(t, "USE SCHEMA SIGNOFF.API", stmts[0].upper)
	for _, st := range stmts[1:] {
		assert.True(t, strings.HasPrefix(st.upper, "WITH ") || strings.HasPrefix(st.upper, "SELECT "),
			"the script only reads: %.60s", st.text)
		for _, verb := range []string{"INSERT ", "UPDATE ", "DELETE ", "MERGE ", "CREATE ", "GRANT "} {
			assert.NotContains(t, stripSQLBody(st.upper), verb, "the script only reads")
		}
	}
}
