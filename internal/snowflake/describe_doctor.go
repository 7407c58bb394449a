package snowflake

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/signoff/signoff/internal/signoff"
)

// DescribeCheckObject is the object the preflight reads with DESCRIBE_OBJECT,
// for the API schema api (SIGNOFF.API): Signoff's own catalog table in the
// same database, which SIGNOFF_OWNER owns and so may always see.
func DescribeCheckObject(api string) string {
	database, _, _ := strings.Cut(api, ".")
	return database + ".MAIN.DATA_PRODUCT"
}

// describeColumns are columns DATA_PRODUCT has (01_data_model.sql), which
// the preflight's read must list.
var describeColumns = []string{"PRODUCT_ID", "ACCESS_ROLE"}

// describeCheck calls DESCRIBE_OBJECT in the admin's own session, as the
// product form's "Read from Snowflake" does, on Signoff's own DATA_PRODUCT
// table: it must answer OK with that table's columns and a list of tags,
// which shows the procedure exists, sees the admin's role, reads
// INFORMATION_SCHEMA.COLUMNS through IDENTIFIER() with a variable, and
// calls the TAG_REFERENCES table functions inside an owner's-rights
// procedure (docs/snowflake.md, section 13), all of which only an account
// can confirm. A second CALL in the same session names no object: it must
// answer OBJECT_NOT_VISIBLE with the list of the objects Signoff can read
// (SHOW OBJECTS inside the procedure), which the form offers; a third
// reads the first object listed, in another database.
func (d *Doctor) describeCheck(ctx context.Context, db *sql.DB) signoff.Check {
	c := signoff.Check{Name: "Read from Snowflake (DESCRIBE_OBJECT)"}
	object := DescribeCheckObject(d.store.apiSchema)
	fail := func(detail, fix string) signoff.Check {
		c.Status, c.Detail, c.Fix = signoff.CheckFail, detail, fix
		return c
	}
	var raw sql.NullString
	if err := db.QueryRowContext(ctx, d.store.api.describe, object).Scan(&raw); err != nil {
		return fail(callerError(err).Error(), "Run sql/snowflake/03_api.sql: it creates DESCRIBE_OBJECT and grants it to "+
			signoff.RoleAdmin+". Until then the product form's \"Read from Snowflake\" fails.")
	}
	env, err := readEnvelope(raw.String)
	if err != nil {
		return fail(fmt.Sprintf("DESCRIBE_OBJECT answered %.200q, not an envelope.", raw.String),
			"Run sql/snowflake/03_api.sql again.")
	}
	switch env.Code {
	case signoff.CodeOK:
	case signoff.CodeNotAdmin:
		return fail(fmt.Sprintf("DESCRIBE_OBJECT does not see %s in your session.", signoff.RoleAdmin),
			"Make the role active in your default session: ALTER USER ... SET DEFAULT_SECONDARY_ROLES = ('ALL').")
	case signoff.CodeObjectNotVisible:
		return fail(fmt.Sprintf("DESCRIBE_OBJECT cannot see %s, which its owner SIGNOFF_OWNER owns: "+
			"INFORMATION_SCHEMA.COLUMNS showed it no column inside the owner's-rights procedure.", object),
			"Check the Grants to SIGNOFF_OWNER check (it must own the table). If that passes, Snowflake does not show "+
				"INFORMATION_SCHEMA to an owner's-rights procedure as docs/snowflake.md (rows 50 and 63) expects: report "+
				"it with this page. Until then \"Read from Snowflake\" can read no object; admins fill the form by hand.")
	default:
		return fail(fmt.Sprintf("DESCRIBE_OBJECT answered %s for %s.", env.Code, object), "Run sql/snowflake/03_api.sql again.")
	}
	m, err := parseObjectMetadata(raw.String)
	if err != nil {
		return fail(fmt.Sprintf("DESCRIBE_OBJECT's answer for %s cannot be read: %v.", object, err),
			"Run sql/snowflake/03_api.sql again; if it stays, report it with this page.")
	}
	var names []string
	for _, col := range m.Columns {
		names = append(names, col.Name)
	}
	for _, want := range describeColumns {
		if !slices.Contains(names, want) {
			return fail(fmt.Sprintf("DESCRIBE_OBJECT read %s with the columns %s, without %s.", object,
				strings.Join(names, ", "), want),
				"Run sql/snowflake/01_data_model.sql and 03_api.sql again; if it stays, report it with this page.")
		}
	}
	// No object named: the product form's list of the objects Signoff can
	// read. Its contents are not checked (a fresh account may have none),
	// only that there is a list: a DESCRIBE_OBJECT from before it answers
	// INVALID.
	if err := db.QueryRowContext(ctx, d.store.api.describe, "").Scan(&raw); err != nil {
		return fail(fmt.Sprintf("DESCRIBE_OBJECT with no object named: %v", callerError(err)),
			"Run sql/snowflake/03_api.sql again; if it stays, report it with this page.")
	}
	none, err := parseObjectMetadata(raw.String)
	if signoff.CodeOf(err) != signoff.CodeObjectNotVisible || none.Readable == nil {
		return fail(fmt.Sprintf("DESCRIBE_OBJECT with no object named answered %.200q, not OBJECT_NOT_VISIBLE with "+
			"the list of the objects Signoff can read.", raw.String),
			"Run sql/snowflake/03_api.sql again: an older DESCRIBE_OBJECT lists no objects, so the product form "+
				"offers none to pick from (it still reads an object typed in full).")
	}
	c.Status = signoff.CheckPass
	c.Detail = fmt.Sprintf("DESCRIBE_OBJECT reads %s in your session: %d columns, %d tags; with no object named it "+
		"lists %s Signoff can read. To let it read a product's object, grant SIGNOFF_OWNER USAGE on its database "+
		"and schema and REFERENCES on it (deploy/README.md).",
		object, len(m.Columns), len(m.Tags), signoff.Count(len(none.Readable), "object", "objects"))
	if len(none.Readable) == 0 {
		c.Detail += " No object is granted yet, so reading one in another database is not confirmed here (docs/snowflake.md, rows 68 and 72)."
		return c
	}
	// The first object listed is in another database and was granted by an
	// admin: reading it confirms what Signoff's own table cannot, that the
	// read works across databases for an object SHOW OBJECTS lists (rows 64,
	// 68 and 72).
	listed := none.Readable[0]
	if err := db.QueryRowContext(ctx, d.store.api.describe, listed).Scan(&raw); err != nil {
		return fail(fmt.Sprintf("DESCRIBE_OBJECT of %s, which it lists as readable: %v", listed, callerError(err)),
			"Report it with this page: docs/snowflake.md, rows 66-68, expects the tag functions to answer for an object in another database.")
	}
	other, err := parseObjectMetadata(raw.String)
	if err != nil {
		return fail(fmt.Sprintf("DESCRIBE_OBJECT lists %s as readable, but reading it answered %.200q.", listed, raw.String),
			"Check that SIGNOFF_OWNER holds REFERENCES on it and USAGE on its database and schema; if it does, report it "+
				"with this page (docs/snowflake.md, rows 63, 64, 68 and 72).")
	}
	c.Detail += fmt.Sprintf(" It reads %s too: %s, %s.", listed, signoff.Count(len(other.Columns), "column", "columns"),
		signoff.Count(len(other.Tags), "tag", "tags"))
	return c
}
