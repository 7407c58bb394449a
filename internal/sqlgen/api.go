package sqlgen

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"strings"
	"text/template"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/snowflake"
	"github.com/signoff/signoff/internal/sqlstore"
	sqlfiles "github.com/signoff/signoff/sql"
)

// The Snowflake API, sql/snowflake/03_api.sql, is rendered from
// sql/snowflake/api.sql.tmpl, the actions' shared statements
// (internal/sqlstore/actions.go), the codes (internal/signoff/outcome.go) and
// the text rules (internal/signoff/rules.go): the procedures run, byte for
// byte, the statements that the embedded engine runs and the store contract
// suite tests, and count and refuse the characters the app does.

const (
	// apiTemplate is the template's name in sqlfiles.FS, which embeds it so
	// that rendering does not depend on the working directory.
	apiTemplate = "snowflake/api.sql.tmpl"
	// idSkew is how far from the procedure's clock a new ID's time may be:
	// the app makes IDs on its own clock, a few seconds off at most.
	idSkew = 10 * time.Minute
)

// sharedStatements are the statements the template may embed, by name.
var sharedStatements = map[string]string{
	"LoadRequest": sqlstore.LoadRequest, "LockSubmissions": sqlstore.LockSubmissions,
	"CheckSubmit": sqlstore.CheckSubmit, "InsertRequest": sqlstore.InsertRequest, "InsertSteps": sqlstore.InsertSteps,
	"CheckDecide": sqlstore.CheckDecide, "AdvanceRequest": sqlstore.AdvanceRequest,
	"RecordDecision": sqlstore.RecordDecision, "CheckWithdraw": sqlstore.CheckWithdraw,
	"WithdrawRequest": sqlstore.WithdrawRequest, "CheckRetry": sqlstore.CheckRetry, "CheckGrant": sqlstore.CheckGrant,
	"MarkGranted": sqlstore.MarkGranted, "MarkGrantFailed": sqlstore.MarkGrantFailed,
	"CheckRevoke": sqlstore.CheckRevoke, "MarkRevoked": sqlstore.MarkRevoked,
	"StillJustified": sqlstore.StillJustified, "LockAudit": sqlstore.LockAudit, "LedgerHead": sqlstore.LedgerHead,
	"AppendEvent": sqlstore.AppendEvent, "ChainSnapshot": sqlstore.ChainSnapshot, "SelectOutcome": sqlstore.SelectOutcome,
	"CheckResubmit": sqlstore.CheckResubmit, "ResubmitRequest": sqlstore.ResubmitRequest,
	"DueWork": sqlstore.DueWork, "CheckSystem": sqlstore.CheckSystem, "ExpireRequest": sqlstore.ExpireRequest,
	"EscalateStep": sqlstore.EscalateStep,
	"LockNotify":   sqlstore.LockNotify, "NotifyWindow": sqlstore.NotifyWindow, "EnqueueNotices": sqlstore.EnqueueNotices,
	"AdvanceNotify": sqlstore.AdvanceNotify, "MakeDigests": sqlstore.MakeDigests, "MarkDigested": sqlstore.MarkDigested,
	"DeleteDigestPreference": sqlstore.DeleteDigestPreference, "InsertDigestPreference": sqlstore.InsertDigestPreference,
	"LoadReview": sqlstore.LoadReview, "CheckStartReview": sqlstore.CheckStartReview, "InsertReview": sqlstore.InsertReview,
	"InsertReviewItems": sqlstore.InsertReviewItems, "CheckDecideReview": sqlstore.CheckDecideReview,
	"MarkReviewItem": sqlstore.MarkReviewItem, "CompleteReview": sqlstore.CompleteReview,
	"SelectReviewOutcome": sqlstore.SelectReviewOutcome,
	"ListGrants":          sqlstore.ListGrants, "ListRequests": sqlstore.ListRequests,
	"CheckSaveProduct": sqlstore.CheckSaveProduct, "InsertProduct": sqlstore.InsertProduct,
	"UpdateProduct": sqlstore.UpdateProduct, "DeleteChain": sqlstore.DeleteChain,
	"InsertChainStep": sqlstore.InsertChainStep, "InsertVersion": sqlstore.InsertVersion,
	"SelectVersionHash": sqlstore.SelectVersionHash,
	"CheckSavePolicy":   sqlstore.CheckSavePolicy, "DeletePolicy": sqlstore.DeletePolicy,
	"InsertPolicyStep": sqlstore.InsertPolicyStep, "SelectPolicyDetails": sqlstore.SelectPolicyDetails,
	"CheckSetManager": sqlstore.CheckSetManager, "DeleteManager": sqlstore.DeleteManager, "InsertManager": sqlstore.InsertManager,
}

// SharedStatements returns the statements the API template may embed, by
// name (a copy): tests look for each, as Embedded renders it, in the
// procedures that must run it.
func SharedStatements() map[string]string { return maps.Clone(sharedStatements) }

// Embedded is a shared statement as the template's stmt function embeds it:
// trimmed, with every line after the first indented by four spaces to sit
// inside a procedure's body.
func Embedded(text string) string {
	lines := strings.Split(strings.TrimSpace(text), "\n")
	for i := 1; i < len(lines); i++ {
		lines[i] = "    " + lines[i]
	}
	return strings.Join(lines, "\n")
}

// NewID is Snowflake SQL for a fresh ID in signoff.IDAt's layout: the
// first ten Crockford characters are the milliseconds since 1970 of
// SYSDATE(), the other sixteen random (RANDOM, one call per character).
// The scheduler's procedure, which no app calls, makes its events' IDs
// with it; sql/snowflake_api_test.go decodes its time part with ID_MILLIS.
func NewID() string {
	ms := "DATE_PART(EPOCH_MILLISECOND, SYSDATE())"
	var parts []string
	for k := 9; k >= 0; k-- {
		// POW returns a FLOAT, and dividing by a power of two in floating
		// point is exact while the milliseconds stay below 2^53 (year
		// 287,396), so FLOOR and MOD see the exact digit; CAST makes it the
		// integer SUBSTR's position is (NUMBER division would round to a
		// scale instead).
		parts = append(parts, fmt.Sprintf("SUBSTR('%s', CAST(MOD(FLOOR(%s / POW(32, %d)), 32) AS INTEGER) + 1, 1)", Crockford, ms, k))
	}
	for range 16 {
		parts = append(parts, fmt.Sprintf("SUBSTR('%s', UNIFORM(1, 32, RANDOM()), 1)", Crockford))
	}
	return strings.Join(parts, "\n        || ")
}

// IDMillis is SQL for the milliseconds since 1970 that the ID id (an SQL
// expression) encodes in its first ten characters (signoff.IDAt's layout),
// in Horner form. pos(ch) is the dialect's 1-based position of the
// character ch in Crockford: Snowflake's POSITION(ch, 'alphabet'), and
// SQLite's instr('alphabet', ch) where the test checks the arithmetic.
func IDMillis(id string, pos func(ch string) string) string {
	expr := ""
	for i := 1; i <= 10; i++ {
		digit := "(" + pos(fmt.Sprintf("SUBSTR(%s, %d, 1)", id, i)) + " - 1)"
		if expr == "" {
			expr = digit
		} else {
			expr = "(" + expr + ") * 32 + " + digit
		}
	}
	return expr
}

// snowflakePos is POSITION in Snowflake's dialect (DOCS/sql-reference/functions/position).
func snowflakePos(ch string) string { return "POSITION(" + ch + ", '" + Crockford + "')" }

// Runs returns the runs of consecutive code points for which in is true,
// in order, each as its first and last code point.
func Runs(in func(rune) bool) [][2]rune {
	var runs [][2]rune
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !in(r) {
			continue
		}
		if n := len(runs); n > 0 && runs[n-1][1] == r-1 {
			runs[n-1][1] = r
		} else {
			runs = append(runs, [2]rune{r, r})
		}
	}
	return runs
}

// CharSet is SQL for a string of the characters of runs (Runs), for
// TRANSLATE's alphabet: each run of code points is a CHR, or an
// ARRAY_GENERATE_RANGE of code points turned into characters, one run to a
// line (DOCS/sql-reference/functions/chr, .../array_generate_range,
// .../transform, .../array_to_string). The SQL names the characters by
// number, so no invisible or reordering character is written into the file.
func CharSet(runs [][2]rune, indent string) string {
	var parts []string
	for _, run := range runs {
		if run[0] == run[1] {
			parts = append(parts, fmt.Sprintf("CHR(%d)", run[0]))
		} else {
			parts = append(parts, fmt.Sprintf("ARRAY_TO_STRING(TRANSFORM(ARRAY_GENERATE_RANGE(%d, %d), c INT -> CHR(c)), '')",
				run[0], run[1]+1))
		}
	}
	return strings.Join(parts, "\n"+indent+"|| ")
}

// chars is SQL for the string s, each character a CHR of its code point,
// eight to a line.
func chars(s, indent string) string {
	var lines []string
	var line []string
	for _, r := range s {
		line = append(line, fmt.Sprintf("CHR(%d)", r))
		if len(line) == 8 {
			lines = append(lines, strings.Join(line, " || "))
			line = nil
		}
	}
	if len(line) > 0 {
		lines = append(lines, strings.Join(line, " || "))
	}
	return strings.Join(lines, "\n"+indent+"|| ")
}

// codePoints names runs as U+ ranges, for the comment above the SQL that
// CharSet writes.
func codePoints(runs [][2]rune) string {
	var names []string
	for _, run := range runs {
		name := fmt.Sprintf("U+%04X", run[0])
		if run[1] != run[0] {
			name += fmt.Sprintf("–U+%04X", run[1])
		}
		names = append(names, name)
	}
	return strings.Join(names, ", ")
}

// SnapshotSample is the query by which PREFLIGHT builds the chain snapshot
// of signoff.SnapshotSample: sqlstore.StepsSnapshot, the expression
// SUBMIT_REQUEST records, over the sample's steps as a VALUES list, whose
// columns are COLUMN1, COLUMN2, ... (DOCS/sql-reference/constructs/values),
// renamed to the request_step columns the expression reads. SQLite reads
// the same text (sql/snowflake_api_test.go runs it there), so only
// Snowflake's own functions are left for the preflight to confirm.
func SnapshotSample() string {
	var rows []string
	for _, s := range signoff.SnapshotSample() {
		rows = append(rows, fmt.Sprintf("(%d, %s, %s)", s.Order, SQLString(s.ApproverRole), SQLString(s.Label)))
	}
	return `SELECT ` + sqlstore.StepsSnapshot() + ` AS snapshot
FROM (SELECT column1 AS step_order, column2 AS approver_role, column3 AS step_label
      FROM (VALUES ` + strings.Join(rows, ",\n                   ") + `)) request_step`
}

// eventArgs are the SQL expressions of one audit event in the template.
type eventArgs struct {
	ID, Type, Step, Decision, Comment, Details string
	Label                                      string // for the comment above it
}

// API renders sql/snowflake/03_api.sql. It fails if the template names a
// statement that is not shared, or if a shared statement is in no
// procedure: a statement the embedded engine runs but Snowflake does not
// would be a rule that holds on one engine only.
func API() (string, error) {
	used := map[string]bool{}
	funcs := template.FuncMap{
		"stmt": func(name string) (string, error) {
			text, ok := sharedStatements[name]
			if !ok {
				return "", fmt.Errorf("no shared statement %q", name)
			}
			used[name] = true
			return Embedded(text), nil
		},
		"sqlstr": SQLString,
		"trim":   sqlstore.Trim,
		// refusal is a check's data as a refusal carries it: without the
		// keys signoff.RefusalHides names (upper-cased, as OBJECT_CONSTRUCT(*)
		// names columns).
		"refusal": func(obj string) string {
			out := "OBJECT_DELETE(" + obj
			for _, k := range signoff.RefusalHides {
				out += ", '" + strings.ToUpper(k) + "'"
			}
			return out + ")"
		},
		"idMillis": func(id string) string { return IDMillis(id, snowflakePos) },
		// wrap breaks text into comment lines of at most 100 characters.
		"wrap": func(prefix, text string) string { return wrapComment(prefix, text, 100) },
		// stale is true when the ID expr was not made within idSkew of now.
		"stale": func(expr string) string {
			return fmt.Sprintf("ABS(ID_MILLIS(%s) - DATE_PART(EPOCH_MILLISECOND, :now_ts)) > %d", expr, idSkew.Milliseconds())
		},
		"event": func(id, typ, step, decision, comment, details string) eventArgs {
			label := strings.Trim(typ, "'")
			if strings.Contains(typ, "STEP_REJECTED") {
				label = "STEP_APPROVED or STEP_REJECTED"
			}
			return eventArgs{ID: id, Type: quoteIfName(typ), Step: step, Decision: decision, Comment: comment,
				Details: details, Label: label}
		},
	}
	type code struct{ Code, Message string }
	var codes []code
	for _, c := range signoff.Codes {
		codes = append(codes, code{string(c), c.APIMessage()})
	}
	sample := signoff.HashSample()
	textSample, _, _, _ := signoff.TextSample()
	invisible, bidi := Runs(signoff.Invisible), Runs(signoff.BidiControl)
	literal := func(s string) string {
		if s == "" {
			return "NULL"
		}
		return SQLString(s)
	}
	data := map[string]any{
		"Codes": codes, "IDPattern": signoff.IDPattern, "RolePattern": signoff.RolePattern,
		"MinReason": signoff.MinReasonLength, "MaxReason": signoff.MaxReasonLength,
		"MaxComment": signoff.MaxCommentLength, "RoleAdmin": signoff.RoleAdmin, "MaxReviewNote": signoff.MaxReviewNoteLength, "RoleAuditor": signoff.RoleAuditor,
		"GrantsLimit": signoff.GrantsLimit, "RequestsPageSize": signoff.RequestsPageSize, "StatusList": statusList(),
		"NoFrom": sqlstore.NoFrom.Format(time.DateTime), "NoTo": sqlstore.NoTo.Format(time.DateTime),
		"MaxDays": signoff.MaxDays, "SystemActor": signoff.SystemActor, "NewID": NewID(), "MaxDirectoryCall": snowflake.MaxDirectoryCall, "ScheduleEvery": snowflake.ScheduleEvery, "AddHoursSamples": addHoursSamples(),
		"HasTagSamples":    hasTagSamples(),
		"ProductIDPattern": signoff.ProductIDPattern, "DefinitionKeys": definitionKeys(),
		"SourceObjectPattern": signoff.SourceObjectPattern,
		// DESCRIBE_OBJECT answers one column more than a product takes, so
		// that the form can say some were left out.
		"MaxColumnsRead": signoff.MaxColumns + 1, "MaxTagReferences": signoff.MaxTagReferences,
		"MaxReadableObjects": signoff.MaxReadableObjects,
		"MaxName":            signoff.MaxNameLength, "MaxDescription": signoff.MaxDescriptionLength,
		"MaxTags": signoff.MaxTags, "MaxColumns": signoff.MaxColumns, "MaxChainSteps": signoff.MaxChainSteps,
		"MaxQuorum": signoff.MaxQuorum, "MaxDeadlineHours": 24 * signoff.MaxDays,
		"EscalatedBlocked":  SQLString(signoff.EscalationWhy("blocked")),
		"EscalatedDeadline": SQLString(signoff.EscalationWhy("deadline")),
		"Invisible":         CharSet(invisible, "        "), "InvisibleCodePoints": codePoints(invisible),
		"BidiControls": CharSet(bidi, "        "), "BidiCodePoints": codePoints(bidi),
		"TextSample":     chars(textSample, "        "),
		"SnapshotSample": Embedded(SnapshotSample()),
		"TimeSample":     sample.Time.Format("2006-01-02 15:04:05.000000000"),
		"Sample": strings.Join([]string{literal(sample.PrevHash), literal(sample.ID),
			"'" + sample.Time.Format("2006-01-02 15:04:05.000000000") + "'::TIMESTAMP_NTZ(9)",
			literal(sample.RequestID), literal(sample.ProductID), literal(sample.Actor), literal(sample.ActorRole),
			literal(string(sample.Type)), fmt.Sprint(sample.Step), literal(string(sample.Decision)),
			literal(sample.Comment), literal(sample.Details), fmt.Sprint(sample.Seq)}, ", "),
	}
	text, err := render(sqlfiles.FS, apiTemplate, funcs, data)
	if err != nil {
		return "", err
	}
	for name := range sharedStatements {
		if !used[name] {
			return "", fmt.Errorf("the shared statement %s is in no procedure", name)
		}
	}
	return text, nil
}

// wrapComment breaks text at spaces into lines of at most width characters,
// each starting with prefix.
func wrapComment(prefix, text string, width int) string {
	var lines []string
	line := prefix
	for _, word := range strings.Fields(text) {
		if line != prefix && utf8.RuneCountInString(line)+1+utf8.RuneCountInString(word) > width {
			lines = append(lines, line)
			line = prefix
		}
		if line != prefix {
			line += " "
		}
		line += word
	}
	return strings.Join(append(lines, line), "\n")
}

// eventTypeName is an event type given as a bare name, not an expression.
var eventTypeName = regexp.MustCompile(`^[A-Z_]+$`)

// quoteIfName quotes an event type given as a bare name; an expression is
// used as it is.
func quoteIfName(typ string) string {
	if eventTypeName.MatchString(typ) {
		return "'" + typ + "'"
	}
	return typ
}

// addHoursSamples are snowflake.AddHoursSamples as PREFLIGHT writes them:
// each time as a TIMESTAMP_NTZ(9) literal's text, and its hours.
func addHoursSamples() []struct {
	At    string
	Hours int
} {
	out := make([]struct {
		At    string
		Hours int
	}, len(snowflake.AddHoursSamples))
	for i, s := range snowflake.AddHoursSamples {
		out[i].At, out[i].Hours = s.At.UTC().Format(snowflake.AddHoursFormat), s.Hours
	}
	return out
}

// hasTagSamples are signoff.HasTagSamples as PREFLIGHT writes them: SQL
// literals for HAS_TAG's arguments (the tags as the catalog stores them, a
// JSON array; an empty tag as NULL, as a step without a condition has it).
func hasTagSamples() []struct{ Tags, Classification, Tag string } {
	var out []struct{ Tags, Classification, Tag string }
	for _, s := range signoff.HasTagSamples() {
		tags, err := json.Marshal(s.Tags)
		if err != nil {
			panic(err) // a []string always marshals
		}
		tag := "NULL"
		if s.Tag != "" {
			tag = SQLString(s.Tag)
		}
		out = append(out, struct{ Tags, Classification, Tag string }{SQLString(string(tags)), SQLString(s.Classification), tag})
	}
	return out
}

// statusList is every status as SQL string literals, comma-separated.
func statusList() string {
	var out []string
	for _, st := range signoff.Statuses {
		out = append(out, SQLString(string(st)))
	}
	return strings.Join(out, ", ")
}

// definitionKeys are the keys of signoff.Definition's JSON, as an SQL list:
// SAVE_PRODUCT refuses any other key, as signoff.ParseDefinition does.
func definitionKeys() string {
	var keys []string
	t := reflect.TypeFor[signoff.Definition]()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		keys = append(keys, SQLString(name))
	}
	return strings.Join(keys, ", ")
}
