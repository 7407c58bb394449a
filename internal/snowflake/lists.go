package snowflake

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/signoff/signoff/internal/signoff"
)

// ListGrantsCall is how the preflight calls the SQL API's LIST_GRANTS in
// an admin's session: for a product that does not exist (PreflightProduct),
// and any user.
func ListGrantsCall(api string) string { return "CALL " + api + ".LIST_GRANTS(?, ?)" }

// PreflightProduct names a product that does not exist, for the
// preflight's calls.
const PreflightProduct = "preflight-no-such-product"

// listsCheck calls LIST_GRANTS in the admin's own session, as a script
// would (docs/snowflake.md, section 12): it must answer OK with an empty
// array of grants, which shows the procedure exists, takes its arguments,
// sees the admin's roles (NOT_AUDITOR otherwise) and builds its answer with
// ARRAY_AGG and OBJECT_CONSTRUCT as the design relies on.
func (d *Doctor) listsCheck(ctx context.Context, db *sql.DB) signoff.Check {
	c := signoff.Check{Name: "SQL API lists (LIST_GRANTS)"}
	fail := func(detail, fix string) signoff.Check {
		c.Status, c.Detail, c.Fix = signoff.CheckFail, detail, fix
		return c
	}
	var raw sql.NullString
	if err := db.QueryRowContext(ctx, ListGrantsCall(d.store.apiSchema), PreflightProduct, "").Scan(&raw); err != nil {
		return fail(callerError(err).Error(), "Run sql/snowflake/03_api.sql: it creates LIST_GRANTS and grants it to SIGNOFF_AUDITOR.")
	}
	var env struct {
		Code signoff.Code `json:"code"`
		Data *struct {
			Grants *[]json.RawMessage `json:"grants"`
			More   bool               `json:"more"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(raw.String), &env); err != nil || env.Code == "" {
		return fail(fmt.Sprintf("LIST_GRANTS answered %.200q, not an envelope.", raw.String),
			"Run sql/snowflake/03_api.sql again.")
	}
	switch {
	case env.Code == signoff.CodeNotAuditor:
		return fail(fmt.Sprintf("LIST_GRANTS does not see %s or %s in your session.", signoff.RoleAdmin, signoff.RoleAuditor),
			"Make the role active in your default session: ALTER USER ... SET DEFAULT_SECONDARY_ROLES = ('ALL').")
	case env.Code != signoff.CodeOK:
		return fail(fmt.Sprintf("LIST_GRANTS answered %s.", env.Code), "Run sql/snowflake/03_api.sql again.")
	case env.Data == nil || env.Data.Grants == nil || len(*env.Data.Grants) != 0 || env.Data.More:
		return fail(fmt.Sprintf("LIST_GRANTS answered %.200s for a product that does not exist; the design expects an empty array of grants.", raw.String),
			"Report this with the answer shown: docs/snowflake.md, section 12, relies on ARRAY_AGG of no rows being [].")
	}
	c.Status, c.Detail = signoff.CheckPass, "LIST_GRANTS answers in your session, with an empty list for a product that does not exist."
	return c
}
