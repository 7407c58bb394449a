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
	assert.Contains(t, p, "FROM IDENTIFIER(:columns_view)\n     WHERE TABLE_SCHEMA = :schema_name AND TABLE_NAME = :object_only;")
	assert.Contains(t, p, "WITHIN GROUP (ORDER BY ORDINAL_POSITION)")
	assert.Regexp(t, `IF \(n_columns = 0\) THEN\s+SELECT ENVELOPE\('OBJECT_NOT_VISIBLE', OBJECT_CONSTRUCT\('object', :name\)\)`, p)
	// Every table function is the install's database's, fully qualified.
	for _, m := range regexp.MustCompile(`TABLE\(([A-Z_.]+)\(`).FindAllStringSubmatch(p, -1) {
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
