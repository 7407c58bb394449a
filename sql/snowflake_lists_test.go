package sqlfiles_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlgen"
)

// TestSnowflakeListProcedures holds the SQL API's lists to the design:
// LIST_GRANTS and LIST_REQUESTS run the page reads' shared text, whole;
// refuse (NOT_AUDITOR) before they read unless the calling session holds
// the admin or the auditor role, checked as the actions check roles; write
// nothing; and only SIGNOFF_AUDITOR, which admins inherit, may call them.
func TestSnowflakeListProcedures(t *testing.T) {
	body, err := os.ReadFile(filepath.FromSlash(apiFile))
	require.NoError(t, err)
	procs := procedureBodies(t, string(body))
	shared := sqlgen.SharedStatements()
	check := `SELECT COALESCE(SYS_CONTEXT('SNOWFLAKE$SESSION', 'IS_ROLE_ACTIVATED', '` + signoff.RoleAdmin + `') = 'TRUE', FALSE)
           OR COALESCE(SYS_CONTEXT('SNOWFLAKE$SESSION', 'IS_ROLE_ACTIVATED', '` + signoff.RoleAuditor + `') = 'TRUE', FALSE)
      INTO :allowed;
    IF (NOT allowed) THEN
        SELECT ENVELOPE('NOT_AUDITOR', NULL) INTO :result;
        RETURN result;
    END IF;`
	for name, stmt := range map[string]string{"LIST_GRANTS": "ListGrants", "LIST_REQUESTS": "ListRequests"} {
		t.Run(name, func(t *testing.T) {
			p, ok := procs[name]
			require.True(t, ok, "03_api.sql creates %s", name)
			guard := strings.Index(p, check)
			require.GreaterOrEqual(t, guard, 0, "%s checks the caller's roles", name)
			read := strings.Index(p, sqlgen.Embedded(shared[stmt]))
			require.GreaterOrEqual(t, read, 0, "%s runs sqlstore.%s, whole", name, stmt)
			assert.Less(t, guard, read, "the check comes before the read")
			assert.Contains(t, p, "EXECUTE AS OWNER")
			assert.NotContains(t, p, "IS_ROLE_IN_SESSION", "inside an owner's-rights procedure it would see the owner's roles")
			assert.NotContains(t, p, "EXECUTE IMMEDIATE", "no dynamic SQL")
			for _, w := range []string{"UPDATE ", "INSERT ", "DELETE ", "MERGE ", "GRANT ", "REVOKE ", "BEGIN TRANSACTION"} {
				assert.NotContains(t, strings.ToUpper(p), w, "%s writes nothing", name)
			}
			grants := regexp.MustCompile(`GRANT USAGE ON PROCEDURE SIGNOFF\.API\.`+name+`\([^)]*\) TO ROLE ([A-Z_]+);`).
				FindAllStringSubmatch(string(body), -1)
			require.Len(t, grants, 1, "one USAGE grant of %s", name)
			assert.Equal(t, signoff.RoleAuditor, grants[0][1], "for auditors, and admins through them")
		})
	}
	assert.Contains(t, procs["LIST_REQUESTS"], "'!'", "the requester's pattern escapes as likePattern does")
}
