package sqlgen

import (
	"embed"
	"fmt"
	"slices"
	"strings"
	"text/template"

	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/snowflake"
)

// literal is a single-quoted SQL string for the worksheet. Unlike SQLString
// it leaves backslashes alone: what it quotes (privileges, object names, the
// hash sample) has none, and the worksheet's bytes must stay as they are.
func literal(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// expectedRows are grants as the rows of the worksheet's expected lists, in
// the columns the shown CTEs select: (privilege, granted_on, name).
func expectedRows(grants []snowflake.Grant) string {
	rows := make([]string, len(grants))
	for i, g := range grants {
		rows[i] = "(" + literal(g.Privilege) + ", " + literal(g.On) + ", " + literal(g.Name) + ")"
	}
	return strings.Join(rows, ",\n    ")
}

// templates holds the worksheet's template, here because deploy/ has no Go
// package to embed it. Its reading of SHOW GRANTS (the shown CTE) matches
// the app's preflight (snowflake.ShowGrant): object types with spaces, names
// without quotes, procedures without their signature, the account without
// its name.
//
//go:embed preflight.sql.tmpl
var templates embed.FS

// Preflight renders deploy/preflight.sql, the preflight for a Snowflake
// worksheet, from the lists the app's own preflight (signoff doctor,
// /doctor) checks against, so that both check the same grants.
func Preflight() (string, error) {
	type role struct {
		Name     string
		Expected []snowflake.Grant
	}
	var roles []role
	for _, name := range append(slices.Clone(snowflake.SignoffRoles), "PUBLIC") {
		r := role{Name: name}
		for _, list := range [][]snowflake.Grant{snowflake.ExpectedGrants, snowflake.ExpectedRoleGrants, snowflake.Owned} {
			for _, g := range list {
				if g.Role == name {
					r.Expected = append(r.Expected, g)
				}
			}
		}
		roles = append(roles, r)
	}

	reason := literal("Dry run by the Signoff preflight; nothing is written.")
	const id, ids = "$preflight_id", "$preflight_id || ',' || $preflight_id || ',' || $preflight_id"
	sample := signoff.HashSample()
	_, textLength, textVisible, textBidi := signoff.TextSample()
	data := struct {
		Roles                             []role
		CallerGrants                      []snowflake.Grant
		HashSample, TimeSample            string
		TextLength, TextVisible, TextBidi int
		SnapshotSample                    string
		IDNow                             string
		AddHoursSample                    string
		Schedule, Notifications           snowflake.Task
		ScheduleCalls                     string
		DryRuns                           []struct{ Call, Want string }
	}{
		Roles:        roles,
		CallerGrants: snowflake.ExpectedCallerGrants,
		HashSample:   sample.ComputeHash(),
		TimeSample:   sample.Time.Truncate(1000).Format(signoff.ChainTimeFormat),
		TextLength:   textLength, TextVisible: textVisible, TextBidi: textBidi,
		// literal leaves backslashes alone: the sample has none (signoff's TestSnapshotSampleBytes).
		SnapshotSample: signoff.ChainSnapshot(signoff.SnapshotSample()),
		IDNow: IDNow(func(a string, d int64) string { return fmt.Sprintf("FLOOR(%s / %d)", a, d) },
			"DATE_PART(EPOCH_MILLISECOND, SYSDATE())"),
		AddHoursSample: addHoursWant(),
		Schedule:       snowflake.ScheduleTask, Notifications: snowflake.NotificationsTask,
		// The definition as written, without spaces, upper case, the ';' optional.
		ScheduleCalls: strings.ToUpper(strings.ReplaceAll(snowflake.ScheduleTask.Calls, " ", "")) + "%",
		// The procedures' signatures are 03_api.sql's (a test in deploy/
		// holds each call to its procedure's arguments): SUBMIT_REQUEST(
		// PRODUCT_ID, REASON, DURATION_DAYS, EXTENDS_ID, REQUEST_ID,
		// EVENT_IDS, DRY_RUN), DECIDE_STEP(REQUEST_ID, STEP_NO, DECISION,
		// COMMENT_TEXT, ACTING_AS, APPROVE_DAYS, EVENT_IDS, DRY_RUN),
		// RESUBMIT_REQUEST(REQUEST_ID, ANSWER, REASON, EVENT_IDS, DRY_RUN),
		// LIST_GRANTS(PRODUCT_ID, USER_NAME), LIST_REQUESTS(STATUS,
		// PRODUCT_ID, CLASSIFICATION, REQUESTER, FROM_DAY, TO_DAY, AFTER_ID).
		DryRuns: []struct{ Call, Want string }{
			{fmt.Sprintf("SUBMIT_REQUEST('preflight-no-such-product', %s, 0, '', %s, %s, TRUE)", reason, id, id), "PRODUCT_NOT_FOUND"},
			{fmt.Sprintf("DECIDE_STEP(%s, 0, 'APPROVED', '', '', 0, %s, TRUE)", id, ids), "NOT_FOUND"},
			{fmt.Sprintf("WITHDRAW_REQUEST(%s, %s, TRUE)", id, id), "NOT_FOUND"},
			{fmt.Sprintf("RETRY_GRANT(%s, %s, TRUE)", id, id), "NOT_FOUND"},
			{fmt.Sprintf("REVOKE_ACCESS(%s, %s, %s, TRUE)", id, reason, id), "NOT_FOUND"},
			{fmt.Sprintf("RESUBMIT_REQUEST(%s, %s, '', %s, TRUE)", id, reason, id), "NOT_FOUND"},
			// START_REVIEW(PRODUCT_ID, REVIEW_ID, DRY_RUN) and
			// DECIDE_REVIEW(REVIEW_ID, REQUEST_ID, REVIEW_DECISION, NOTE,
			// EVENT_IDS, DRY_RUN): access reviews.
			{fmt.Sprintf("START_REVIEW('preflight-no-such-product', %s, TRUE)", id), "PRODUCT_NOT_FOUND"},
			{fmt.Sprintf("DECIDE_REVIEW(%s, %s, 'KEEP', '', %s, TRUE)", id, id, id), "REVIEW_NOT_FOUND"},
			// The SQL API's lists (admins hold them through SIGNOFF_AUDITOR):
			// nothing for a product that does not exist, and no refusal.
			{"LIST_GRANTS('preflight-no-such-product', '')", "OK"},
			{"LIST_REQUESTS('', 'preflight-no-such-product', '', '', '', '', '')", "OK"},
		},
	}
	return render(templates, "preflight.sql.tmpl", template.FuncMap{"literal": literal, "rows": expectedRows}, data)
}

// IDNow is SQL for an ID made at the milliseconds ms (an SQL expression), in
// signoff.IDAt's layout with no random bits: ten characters of time, then
// sixteen zeros. floorDiv(a, d) is the dialect's integer division.
func IDNow(floorDiv func(a string, d int64) string, ms string) string {
	var parts []string
	for k := 9; k >= 0; k-- {
		d := int64(1) << (5 * k)
		parts = append(parts, fmt.Sprintf("SUBSTR('%s', %s %% 32 + 1, 1)", Crockford, floorDiv(ms, d)))
	}
	return strings.Join(parts, " || ") + " || '" + strings.Repeat("0", 16) + "'"
}

// addHoursWant is Go's answer to PREFLIGHT's ADD_HOURS samples, joined as
// the worksheet joins Snowflake's (ARRAY_TO_STRING with ',').
func addHoursWant() string {
	var out []string
	for _, s := range snowflake.AddHoursSamples {
		out = append(out, s.Want())
	}
	return strings.Join(out, ",")
}
