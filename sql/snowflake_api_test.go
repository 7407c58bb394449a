package sqlfiles_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"text/template"

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
			lines := strings.Split(strings.TrimSpace(text), "\n")
			for i := 1; i < len(lines); i++ {
				lines[i] = "    " + lines[i]
			}
			return strings.Join(lines, "\n"), nil
		},
		"sqlstr": sqlString,
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
				text := strings.TrimSpace(sharedStatements[st])
				first := strings.SplitN(text, "\n", 2)[0]
				i := strings.Index(p[at:], first)
				require.GreaterOrEqual(t, i, 0, "%s runs %s after the statements before it", name, st)
				at += i + len(first)
			}
			assert.Contains(t, p, "EXECUTE AS OWNER")
			assert.NotContains(t, p, "CURRENT_USER()", "the actor comes from SYS_CONTEXT, the calling session's")
			assert.NotContains(t, p, "IS_ROLE_IN_SESSION", "inside an owner's-rights procedure it would see the owner's roles")
			assert.NotContains(t, p, "EXECUTE IMMEDIATE", "no dynamic SQL")
			if name != "GRANT_REQUEST" {
				assert.Contains(t, p, "SYS_CONTEXT('SNOWFLAKE$SESSION', 'PRINCIPAL_NAME')")
			}
		})
	}
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
