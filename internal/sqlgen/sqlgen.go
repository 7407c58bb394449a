// Package sqlgen renders Signoff's generated SQL files from the Go code they
// must agree with, so that the SQL cannot drift from the app:
//
//   - sql/snowflake/03_api.sql, the Snowflake API (API), from its template
//     and the shared statements the embedded engine runs;
//   - sql/snowflake/04_seed.sql, the Snowflake demo seed (Seed), from its
//     template (sql/snowflake/seed.sql.tmpl) and the demo story the embedded
//     engine loads;
//   - sql/snowflake/05_verify_audit.sql, the auditor's verifier
//     (VerifyAudit), from its template and the verifier the app runs;
//   - deploy/preflight.sql, the worksheet preflight (Preflight), from its
//     template (preflight.sql.tmpl, here) and the grants the app's own
//     preflight expects.
//
// tools/sqlgen writes them ("make generate", or go generate ./...), and the
// tests of sql/ and deploy/ fail when a committed file is not exactly what
// its renderer produces. Rendering is deterministic: the same sources give
// the same bytes, which is what lets CI compare them with git.
package sqlgen

import (
	"io/fs"
	"path"
	"strings"
	"text/template"
)

// File is one generated file: where it lives and what renders it.
type File struct {
	// Path is the file's path from the module root, slash-separated.
	Path string
	// Render returns the file's whole content.
	Render func() (string, error)
}

// Files lists every file this package renders, so that tools/sqlgen writes
// them all and a new one cannot be forgotten by the generator.
var Files = []File{
	{Path: "sql/snowflake/03_api.sql", Render: API},
	{Path: "sql/snowflake/04_seed.sql", Render: Seed},
	{Path: "sql/snowflake/05_verify_audit.sql", Render: VerifyAudit},
	{Path: "deploy/preflight.sql", Render: Preflight},
}

// Crockford is the alphabet of Signoff's IDs (internal/signoff/id.go keeps
// its copy unexported). The SQL decodes IDs with it (IDMillis) and makes
// them (IDNow), so it must be the app's exactly.
const Crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// SQLString renders s as a Snowflake single-quoted string literal. Snowflake
// reads backslash escapes in such literals (DOCS/sql-reference/data-types-text,
// "Escape sequences in single-quoted string constants"), so a backslash is
// doubled as well as a single quote; JSON text keeps its \" and \u escapes.
func SQLString(s string) string {
	return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", "''") + "'"
}

// render executes the template at name in fsys with funcs and data.
func render(fsys fs.FS, name string, funcs template.FuncMap, data any) (string, error) {
	tmpl, err := template.New(path.Base(name)).Funcs(funcs).ParseFS(fsys, name)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if err := tmpl.Execute(&b, data); err != nil {
		return "", err
	}
	return b.String(), nil
}
