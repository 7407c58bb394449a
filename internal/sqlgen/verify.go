package sqlgen

import (
	"strings"

	"github.com/signoff/signoff/internal/snowflake"
	"github.com/signoff/signoff/internal/sqlstore"
	sqlfiles "github.com/signoff/signoff/sql"
)

// verifyTemplate is the template of sql/snowflake/05_verify_audit.sql in
// sqlfiles.FS.
const verifyTemplate = "snowflake/verify_audit.sql.tmpl"

// VerifyAudit renders sql/snowflake/05_verify_audit.sql: the verifier the
// app runs (sqlstore.VerifyLedger), byte for byte, with the digests an
// auditor reads (snowflake.AuditorDigests) in place of the ones the app is
// given, and the checks that only Snowflake's own history can answer. The
// embedded engine runs the same verifier in every tampering test, so what
// those tests catch, the script catches.
func VerifyAudit() (string, error) {
	digests := snowflake.AuditorDigests(snowflake.DefaultService)
	data := map[string]string{
		"Verify":  strings.TrimSpace(sqlstore.VerifyLedger(digests)),
		"Digests": digests,
	}
	return render(sqlfiles.FS, verifyTemplate, nil, data)
}
