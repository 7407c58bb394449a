package sqlfiles_test

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlgen"
)

// TestDescribeObjectShape holds DESCRIBE_OBJECT ("Read from Snowflake",
// docs/snowflake.md section 13) to its design: admins only, checked in the
// caller's session before anything is read; the name checked against
// signoff.SourceObjectPattern as Snowflake reads the literal; the columns
// read through IDENTIFIER() with a variable, never dynamic SQL; the tags
// from the install's own INFORMATION_SCHEMA table functions; both lists
// bounded; and the answer's keys those of signoff's JSON.
func TestDescribeObjectShape(t *testing.T) {
	body, err := os.ReadFile(filepath.FromSlash(apiFile))
	require.NoError(t, err)
	p := procedureBodies(t, string(body))["DESCRIBE_OBJECT"]
	require.NotEmpty(t, p)

	assert.Contains(t, p, "EXECUTE AS OWNER")
	assert.NotContains(t, p, "EXECUTE IMMEDIATE", "no dynamic SQL")
	assert.NotContains(t, p, "IS_ROLE_IN_SESSION", "inside an owner's-rights procedure it would see the owner's roles")
	admin := "SYS_CONTEXT('SNOWFLAKE$SESSION', 'IS_ROLE_ACTIVATED', 'SIGNOFF_ADMIN') = 'TRUE'"
	require.Contains(t, p, admin)
	assert.Less(t, strings.Index(p, admin), strings.Index(p, "INFORMATION_SCHEMA"), "the admin is known before anything is read")
	assert.Regexp(t, `IF \(NOT is_admin\) THEN\s+SELECT ENVELOPE\('NOT_ADMIN', NULL\)`, p)

	// The pattern as a Snowflake literal: its backslashes doubled, or \.
	// would reach RLIKE as "any character".
	assert.Contains(t, p, "RLIKE "+sqlgen.SQLString(signoff.SourceObjectPattern)+",")
	assert.Contains(t, p, `\\.`)
	assert.Contains(t, p, "SELECT ENVELOPE('INVALID', OBJECT_CONSTRUCT('field', :invalid))")
	assert.Contains(t, p, "'object_name'")
	assert.Less(t, strings.Index(p, "ENVELOPE('INVALID'"), strings.Index(p, "FROM IDENTIFIER("), "the name is checked before it is used")

	assert.Contains(t, p, "columns_view := db_name || '.INFORMATION_SCHEMA.COLUMNS';")
	assert.Contains(t, p, "FROM IDENTIFIER(:columns_view)\n         WHERE TABLE_SCHEMA = :schema_name AND TABLE_NAME = :object_only;")
	assert.Contains(t, p, "WITHIN GROUP (ORDER BY ORDINAL_POSITION)")
	// No column: OBJECT_NOT_VISIBLE, with the objects it can read
	// (TestDescribeObjectReadable).
	assert.Regexp(t, `IF \(n_columns = 0\) THEN\s+(--[^\n]*\n\s+)*SHOW TERSE OBJECTS IN ACCOUNT;`, p)
	// Every table function but SHOW's RESULT_SCAN is the install's
	// database's, fully qualified.
	for _, m := range regexp.MustCompile(`TABLE\(([A-Z_.]+)\(`).FindAllStringSubmatch(p, -1) {
		if m[1] == "RESULT_SCAN" {
			continue
		}
		assert.True(t, strings.HasPrefix(m[1], "SIGNOFF.INFORMATION_SCHEMA."), "%s is not SIGNOFF's INFORMATION_SCHEMA", m[1])
	}
	assert.Contains(t, p, "TABLE(SIGNOFF.INFORMATION_SCHEMA.TAG_REFERENCES(:name, 'table'))")
	assert.Contains(t, p, "TABLE(SIGNOFF.INFORMATION_SCHEMA.TAG_REFERENCES_ALL_COLUMNS(:name, 'table'))")
	assert.Contains(t, p, `IFF("LEVEL" IN ('DATABASE', 'SCHEMA', 'ACCOUNT'), "LEVEL", 'TABLE') AS tag_level`,
		"the object's own tags read TABLE, whatever its kind (signoff.LevelTable)")
	assert.Contains(t, p, "TAG_REFERENCES_ALL_COLUMNS(:name, 'table'))\n             WHERE \"LEVEL\" = 'COLUMN') t;",
		"a column's inherited tags are the object's, listed once")
	assert.NotContains(t, p, "ACCOUNT_USAGE", "the live INFORMATION_SCHEMA: ACCOUNT_USAGE lags and has no inherited tags")

	assert.Contains(t, p, "ARRAY_SLICE(:cols, 0, "+strconv.Itoa(signoff.MaxColumns+1)+")", "one column more than a product takes")
	assert.Contains(t, p, "ARRAY_SLICE(:tags, 0, "+strconv.Itoa(signoff.MaxTagReferences)+")")

	// The answer's keys are the JSON keys of signoff's types, which the
	// store decodes into.
	for _, typ := range []reflect.Type{reflect.TypeFor[signoff.ObjectColumn](), reflect.TypeFor[signoff.TagReference]()} {
		for i := range typ.NumField() {
			key, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			assert.Contains(t, p, "'"+key+"', ", "%s.%s", typ.Name(), typ.Field(i).Name)
		}
	}
	assert.Contains(t, p, "SELECT ENVELOPE('OK', OBJECT_CONSTRUCT('object', :name,")

	// SAVE_PRODUCT checks a definition's source_object with the same literal.
	save := procedureBodies(t, string(body))["SAVE_PRODUCT"]
	assert.Contains(t, save, ":object_name RLIKE "+sqlgen.SQLString(signoff.SourceObjectPattern)+",")

	grants := regexp.MustCompile(`GRANT USAGE ON PROCEDURE SIGNOFF\.API\.DESCRIBE_OBJECT\(([^)]*)\) TO ROLE ([A-Z_]+);`).
		FindAllStringSubmatch(string(body), -1)
	require.Len(t, grants, 1, "one grant")
	assert.Equal(t, []string{"VARCHAR", "SIGNOFF_ADMIN"}, grants[0][1:], "admins only")
}

// TestDescribeObjectReadable holds DESCRIBE_OBJECT's listing of the objects
// Signoff can read (data.readable) to its design: no object named (NULL or
// blank) is OBJECT_NOT_VISIBLE, not INVALID, as an object with no visible
// column is; only on that path, after the columns were read, does it run
// SHOW TERSE OBJECTS and read it with RESULT_SCAN(LAST_QUERY_ID()); it leaves
// out Signoff's own database and SNOWFLAKE, keeps the names an admin could
// type back (the source-object pattern, upper case), distinct, sorted and
// bounded, and answers [] rather than NULL when there are none.
func TestDescribeObjectReadable(t *testing.T) {
	body, err := os.ReadFile(filepath.FromSlash(apiFile))
	require.NoError(t, err)
	p := procedureBodies(t, string(body))["DESCRIBE_OBJECT"]
	require.NotEmpty(t, p)

	assert.Contains(t, p, "SELECT COALESCE(UPPER(TRIM(:object_name)), '') INTO :name;", "NULL reads as blank")
	assert.Contains(t, p, "SELECT IFF(:name = '' OR COALESCE(:name RLIKE "+sqlgen.SQLString(signoff.SourceObjectPattern)+", FALSE), '', 'object_name'),",
		"blank is not INVALID; a non-blank name that fails the pattern is")
	assert.Regexp(t, `IF \(name <> ''\) THEN\s+-- [^\n]*\n(\s+--[^\n]*\n)*\s+columns_view := `, p,
		"the columns are read only for a name")

	const show = "SHOW TERSE OBJECTS IN ACCOUNT;"
	require.Equal(t, 1, strings.Count(p, show), "one SHOW")
	require.Equal(t, 1, strings.Count(p, "RESULT_SCAN"), "one RESULT_SCAN")
	// Only on the not-visible path: inside IF (n_columns = 0), before its
	// RETURN, and after the columns were read.
	notVisible := strings.Index(p, "IF (n_columns = 0) THEN")
	require.Positive(t, notVisible)
	end := notVisible + strings.Index(p[notVisible:], "END IF;")
	at := strings.Index(p, show)
	assert.Greater(t, at, strings.Index(p, "FROM IDENTIFIER(:columns_view)"), "the SHOW follows the columns' read")
	assert.True(t, at > notVisible && at < end, "the SHOW is only on the not-visible path")
	branch := p[notVisible:end]
	scan := strings.Index(branch, "FROM TABLE(RESULT_SCAN(LAST_QUERY_ID()))")
	assert.Greater(t, scan, strings.Index(branch, show), "RESULT_SCAN reads the SHOW, the statement just before it")
	assert.NotContains(t, branch[strings.Index(branch, show)+len(show):scan], ";", "no statement between SHOW and RESULT_SCAN")
	assert.NotContains(t, p[end:], "SHOW ", "an OK read runs no SHOW")

	// SHOW's columns are lower case: quoted.
	assert.Contains(t, branch, `"database_name" || '.' || "schema_name" || '.' || "name" AS full_name`)
	assert.Contains(t, branch, "WHERE s.db NOT IN ('SIGNOFF', 'SNOWFLAKE')", "not Signoff's own database, nor SNOWFLAKE")
	assert.Contains(t, branch, "AND COALESCE(s.full_name RLIKE "+sqlgen.SQLString(signoff.SourceObjectPattern)+", FALSE)",
		"only names the form accepts")
	assert.Contains(t, branch, "AND s.full_name = UPPER(s.full_name)", "a lower-case (quoted) name could not be read back")
	assert.Contains(t, branch, "SELECT DISTINCT s.full_name")
	assert.Contains(t, branch, "ORDER BY s.full_name\n                 LIMIT "+strconv.Itoa(signoff.MaxReadableObjects)+") o;", "bounded")
	assert.Contains(t, branch, "SELECT COALESCE(ARRAY_AGG(o.full_name) WITHIN GROUP (ORDER BY o.full_name), ARRAY_CONSTRUCT())",
		"sorted, and [] for none")
	assert.Regexp(t, `SELECT ENVELOPE\('OBJECT_NOT_VISIBLE', OBJECT_CONSTRUCT\('object', :name, 'readable', :readable\)\) INTO :result;\s+RETURN result;`,
		branch)
	assert.Equal(t, 1, strings.Count(p, "'OBJECT_NOT_VISIBLE'"), "one not-visible answer, with the list")
}
