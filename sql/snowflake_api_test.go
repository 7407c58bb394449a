package sqlfiles_test

import (
	"bytes"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"text/template"
	"time"

	_ "github.com/ncruces/go-sqlite3/driver" // SQLite checks ID_MILLIS's arithmetic
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlstore"
)

// The Snowflake API, sql/snowflake/03_api.sql, is generated from
// sql/snowflake/api.sql.tmpl, the actions' shared statements
// (internal/sqlstore/actions.go) and the codes (internal/signoff/outcome.go):
// the procedures run, byte for byte, the statements that the embedded
// engine runs and the store contract suite tests.
//
//	go test ./sql/ -run API -update    # rewrite 03_api.sql

const (
	apiTemplate = "snowflake/api.sql.tmpl"
	apiFile     = "snowflake/03_api.sql"
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
	"StillJustified": sqlstore.StillJustified, "ChainHead": sqlstore.ChainHead,
	"AppendEvent": sqlstore.AppendEvent, "SelectOutcome": sqlstore.SelectOutcome,
}

// crockford is the alphabet of signoff's IDs.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// idMillis is SQL for the milliseconds since 1970 that the ID id (an SQL
// expression) encodes in its first ten characters (signoff.IDAt's layout),
// in Horner form. pos(ch) is the dialect's 1-based position of the
// character ch in the alphabet: Snowflake's POSITION(ch, 'alphabet'), and
// SQLite's instr('alphabet', ch) where the test checks the arithmetic.
func idMillis(id string, pos func(ch string) string) string {
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
func snowflakePos(ch string) string { return "POSITION(" + ch + ", '" + crockford + "')" }

// eventArgs are the SQL expressions of one audit event in the template.
type eventArgs struct {
	ID, Type, Step, Decision, Comment, Details string
	Label                                      string // for the comment above it
}

func renderAPI() (string, error) {
	used := map[string]bool{}
	funcs := template.FuncMap{
		"stmt": func(name string) (string, error) {
			text, ok := sharedStatements[name]
			if !ok {
				return "", fmt.Errorf("no shared statement %q", name)
			}
			used[name] = true
			return embedded(text), nil
		},
		"sqlstr": sqlString,
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
		"idMillis": func(id string) string { return idMillis(id, snowflakePos) },
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
	tmpl, err := template.New("api.sql.tmpl").Funcs(funcs).ParseFiles(filepath.FromSlash(apiTemplate))
	if err != nil {
		return "", err
	}
	type code struct{ Code, Message string }
	var codes []code
	for _, c := range signoff.Codes {
		codes = append(codes, code{string(c), c.APIMessage()})
	}
	sample := signoff.HashSample()
	literal := func(s string) string {
		if s == "" {
			return "NULL"
		}
		return sqlString(s)
	}
	data := map[string]any{
		"Codes": codes, "IDPattern": signoff.IDPattern, "RolePattern": signoff.RolePattern,
		"MinReason": signoff.MinReasonLength, "MaxReason": signoff.MaxReasonLength,
		"MaxComment": signoff.MaxCommentLength, "RoleAdmin": signoff.RoleAdmin,
		"TimeSample": sample.Time.Format("2006-01-02 15:04:05.000000000"),
		"Sample": strings.Join([]string{literal(sample.PrevHash), literal(sample.ID),
			"'" + sample.Time.Format("2006-01-02 15:04:05.000000000") + "'::TIMESTAMP_NTZ(9)",
			literal(sample.RequestID), literal(sample.ProductID), literal(sample.Actor), literal(sample.ActorRole),
			literal(string(sample.Type)), fmt.Sprint(sample.Step), literal(string(sample.Decision)),
			literal(sample.Comment), literal(sample.Details), fmt.Sprint(sample.Seq)}, ", "),
	}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, data); err != nil {
		return "", err
	}
	for name := range sharedStatements {
		if !used[name] {
			return "", fmt.Errorf("the shared statement %s is in no procedure", name)
		}
	}
	return b.String(), nil
}

// quoteIfName quotes an event type given as a bare name; an expression is
// used as it is.
func quoteIfName(typ string) string {
	if regexp.MustCompile(`^[A-Z_]+$`).MatchString(typ) {
		return "'" + typ + "'"
	}
	return typ
}

func TestSnowflakeAPI(t *testing.T) {
	got, err := renderAPI()
	require.NoError(t, err)
	path := filepath.FromSlash(apiFile)
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		t.Logf("wrote %s", path)
	}
	committed, err := os.ReadFile(path)
	require.NoError(t, err, "run `go test ./sql/ -run API -update` to create it")
	if !bytes.Equal(committed, []byte(got)) {
		t.Errorf("%s is not what its template renders; run `go test ./sql/ -run API -update`.\n%s",
			apiFile, firstDifference(string(committed), got))
	}
}

// TestSnowflakeAPIShape holds the generated procedures to the design: each
// action runs every shared statement it should, in order, takes the actor
// from the session and never from an argument, refuses before it writes,
// and answers with ENVELOPE.
func TestSnowflakeAPIShape(t *testing.T) {
	body, err := os.ReadFile(filepath.FromSlash(apiFile))
	require.NoError(t, err)
	procs := procedureBodies(t, string(body))
	require.ElementsMatch(t, []string{"SUBMIT_REQUEST", "GRANT_REQUEST", "DECIDE_STEP", "WITHDRAW_REQUEST",
		"RETRY_GRANT", "REVOKE_ACCESS", "WHOAMI", "PREFLIGHT"}, keys(procs))

	order := map[string][]string{
		"SUBMIT_REQUEST":   {"LockSubmissions", "CheckSubmit", "InsertRequest", "InsertSteps", "ChainHead", "AppendEvent", "SelectOutcome"},
		"DECIDE_STEP":      {"LoadRequest", "CheckDecide", "AdvanceRequest", "RecordDecision", "ChainHead", "AppendEvent", "SelectOutcome"},
		"WITHDRAW_REQUEST": {"CheckWithdraw", "WithdrawRequest", "ChainHead", "AppendEvent", "SelectOutcome"},
		"RETRY_GRANT":      {"CheckRetry"},
		"GRANT_REQUEST":    {"CheckGrant", "MarkGranted", "ChainHead", "AppendEvent", "MarkGrantFailed", "ChainHead", "AppendEvent", "SelectOutcome"},
		"REVOKE_ACCESS":    {"LoadRequest", "CheckRevoke", "MarkRevoked", "ChainHead", "AppendEvent", "SelectOutcome", "StillJustified"},
	}
	for name, want := range order {
		t.Run(name, func(t *testing.T) {
			p := procs[name]
			at := 0
			for _, st := range want {
				// The whole statement, as the template embeds it.
				text := embedded(sharedStatements[st])
				i := strings.Index(p[at:], text)
				require.GreaterOrEqual(t, i, 0, "%s runs %s, whole, after the statements before it", name, st)
				at += i + len(text)
				// A write must change exactly the rows it should, or the
				// procedure stops: its row count is checked at once.
				if u := strings.ToUpper(strings.TrimSpace(sharedStatements[st])); strings.HasPrefix(u, "UPDATE") ||
					strings.HasPrefix(u, "INSERT") {
					next := strings.TrimLeft(p[at:], "; \n")
					assert.Regexp(t, `^IF \(COALESCE\(SQLROWCOUNT, -1\) <> [a-z_0-9]+\) THEN\n\s+(ROLLBACK;|RAISE lock_missing;)`,
						next, "%s checks the rows %s changed", name, st)
				}
			}
			assert.Contains(t, p, "EXECUTE AS OWNER")
			assert.NotContains(t, p, "CURRENT_USER()", "the actor comes from SYS_CONTEXT, the calling session's")
			assert.NotContains(t, p, "IS_ROLE_IN_SESSION", "inside an owner's-rights procedure it would see the owner's roles")
			assert.NotContains(t, p, "EXECUTE IMMEDIATE", "no dynamic SQL")
			if name != "GRANT_REQUEST" {
				assert.Contains(t, p, `SELECT IFF(SYS_CONTEXT('SNOWFLAKE$SESSION', 'PRINCIPAL_TYPE') LIKE 'USER%',
               SYS_CONTEXT('SNOWFLAKE$SESSION', 'PRINCIPAL_NAME'), NULL),`, "the actor is the session's user, and only a user")
			}
			refusals := regexp.MustCompile(`IF \(COALESCE\(code, ''\) <> 'OK'\) THEN\s+(ROLLBACK;\s+)?SELECT ENVELOPE\(:code, OBJECT_DELETE\(`)
			assert.Equal(t, strings.Count(p, "IF (COALESCE(code, '') <> 'OK') THEN"), len(refusals.FindAllString(p, -1)),
				"every refusal answers without the hidden keys")
			assert.NotContains(t, p, "ENVELOPE(:code, :chk)")
		})
	}
	t.Run("a decision is made with the role that was checked", func(t *testing.T) {
		p := procs["DECIDE_STEP"]
		assert.Contains(t, p, `SYS_CONTEXT('SNOWFLAKE$SESSION', 'IS_ROLE_ACTIVATED', COALESCE(:step_role, '')) = 'TRUE'`)
		assert.Contains(t, p, `SELECT GET(:chk, 'CURRENT_STEP')::NUMBER, :step_role, GET(:chk, 'PRODUCT_ID')::VARCHAR
      INTO :cur_step, :actor_role, :product_id;`)
		assert.Contains(t, sqlstore.CheckDecide, `WHEN COALESCE(r.step_role, '') <> COALESCE(:step_role, '') THEN 'CONFLICT'`)
	})
	t.Run("the grant runs only when the record verifies", func(t *testing.T) {
		p := procs["GRANT_REQUEST"]
		assert.Regexp(t, `(?s)IF \(COALESCE\(code, ''\) <> 'OK'\) THEN\s+SELECT ENVELOPE.*?RETURN result;\s+END IF;\s+`+
			`IF \(refusal = ''\) THEN\s+BEGIN\s+GRANT ROLE IDENTIFIER\(:q_role\) TO USER IDENTIFIER\(:q_user\);`, p)
		assert.Len(t, regexp.MustCompile(`(?m)^\s*GRANT ROLE `).FindAllString(p, -1), 1, "one GRANT, under that guard")
	})
	t.Run("GRANT and REVOKE quote both names", func(t *testing.T) {
		for _, p := range procs {
			for _, line := range strings.Split(p, "\n") {
				l := strings.TrimSpace(line)
				if strings.HasPrefix(l, "GRANT ROLE") || strings.HasPrefix(l, "REVOKE ROLE") {
					assert.Regexp(t, `^(GRANT|REVOKE) ROLE (IDENTIFIER\(:q_role\)|SIGNOFF_PREFLIGHT) (TO|FROM) USER IDENTIFIER\(:q_user\);$`, l)
				}
			}
		}
		assert.Contains(t, procs["GRANT_REQUEST"], `'"' || REPLACE(GET(:chk, 'REQUESTER')::VARCHAR, '"', '""') || '"'`)
	})
	t.Run("only the actions are PUBLIC's", func(t *testing.T) {
		var public []string
		for _, m := range regexp.MustCompile(`GRANT USAGE ON PROCEDURE SIGNOFF\.API\.([A-Z_]+)\([^)]*\) TO ROLE PUBLIC;`).
			FindAllStringSubmatch(string(body), -1) {
			public = append(public, m[1])
		}
		assert.ElementsMatch(t, []string{"SUBMIT_REQUEST", "DECIDE_STEP", "WITHDRAW_REQUEST", "RETRY_GRANT",
			"REVOKE_ACCESS", "WHOAMI"}, public, "GRANT_REQUEST is internal; PREFLIGHT is for admins")
	})
	t.Run("every code has a message", func(t *testing.T) {
		for _, c := range signoff.Codes {
			assert.Contains(t, string(body), "WHEN '"+string(c)+"' THEN '")
		}
	})
}

// procedureBodies returns each CREATE PROCEDURE's text, by procedure name.
// embedded is a shared statement as the template's stmt function embeds
// it: trimmed, with every line after the first indented by four spaces.
func embedded(text string) string {
	lines := strings.Split(strings.TrimSpace(text), "\n")
	for i := 1; i < len(lines); i++ {
		lines[i] = "    " + lines[i]
	}
	return strings.Join(lines, "\n")
}

func procedureBodies(t *testing.T, script string) map[string]string {
	t.Helper()
	re := regexp.MustCompile(`(?s)CREATE OR REPLACE PROCEDURE SIGNOFF\.API\.([A-Z_]+)\(.*?\n\$\$;`)
	out := map[string]string{}
	for _, m := range re.FindAllStringSubmatch(script, -1) {
		out[m[1]] = m[0]
	}
	return out
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestIDMillis checks the arithmetic of ID_MILLIS against the IDs the app
// makes: the same expression, with SQLite's instr for Snowflake's POSITION,
// decodes every ID's time to the millisecond.
func TestIDMillis(t *testing.T) {
	db, err := sql.Open("sqlite3", ":memory:")
	require.NoError(t, err)
	defer db.Close()
	q := "SELECT " + idMillis("?1", func(ch string) string { return "instr('" + crockford + "', " + ch + ")" })
	var random [10]byte
	for i, at := range []time.Time{time.Unix(0, 0), time.Date(2026, 11, 30, 14, 3, 59, 987_000_000, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999_000_000, time.UTC), time.UnixMilli(1<<48 - 1)} {
		random[0] = byte(i * 37)
		id := signoff.IDAt(at, random)
		var ms int64
		require.NoError(t, db.QueryRow(q, id).Scan(&ms))
		assert.Equal(t, at.UnixMilli(), ms, id)
	}
}
