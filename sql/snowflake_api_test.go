package sqlfiles_test

import (
	"database/sql"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	_ "github.com/ncruces/go-sqlite3/driver" // SQLite checks ID_MILLIS's arithmetic
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlgen"
	"github.com/signoff/signoff/internal/sqlstore"
)

// The Snowflake API, sql/snowflake/03_api.sql, is rendered by
// internal/sqlgen (API) from sql/snowflake/api.sql.tmpl, the actions' shared
// statements (internal/sqlstore/actions.go) and the codes
// (internal/signoff/outcome.go). "make generate" rewrites it; these tests
// hold the committed file to its renderer and to the design.

const apiFile = "snowflake/03_api.sql"

// TestSnowflakeAPI fails when the committed 03_api.sql is not what its
// sources render, byte for byte: Snowflake would run other statements than
// the embedded engine.
func TestSnowflakeAPI(t *testing.T) {
	requireGenerated(t, apiFile, sqlgen.API)
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
		"RETRY_GRANT", "REVOKE_ACCESS", "END_ACCESS", "RESUBMIT_REQUEST", "RUN_SCHEDULE", "WHOAMI", "PREFLIGHT", "SEND_NOTIFICATIONS",
		"SET_NOTIFY_DIGEST", "START_REVIEW", "DECIDE_REVIEW", "LIST_GRANTS", "LIST_REQUESTS", "SAVE_PRODUCT", "SET_CHAIN", "SET_MANAGERS", "SET_MANAGER", "SET_CHAIN_POLICY",
		"DESCRIBE_OBJECT"}, keys(procs))

	// The notifier runs the embedded engine's statements, whole, in order,
	// under its lock, before it sends anything; the digest choice is the
	// calling user's own.
	at := 0
	for _, st := range []string{"LockNotify", "NotifyWindow", "EnqueueNotices", "AdvanceNotify", "MakeDigests", "MarkDigested"} {
		text := sqlgen.Embedded(sqlgen.SharedStatements()[st])
		i := strings.Index(procs["SEND_NOTIFICATIONS"][at:], text)
		require.GreaterOrEqual(t, i, 0, "SEND_NOTIFICATIONS runs %s, whole, after the statements before it", st)
		at += i + len(text)
	}
	assert.Less(t, at, strings.Index(procs["SEND_NOTIFICATIONS"], "SYSTEM$SEND_EMAIL"), "it sends after it wrote the outbox")
	assert.Contains(t, procs["SET_NOTIFY_DIGEST"], `SYS_CONTEXT('SNOWFLAKE$SESSION', 'PRINCIPAL_NAME')`)

	order := map[string][]string{
		"SUBMIT_REQUEST":   {"LockSubmissions", "CheckSubmit", "InsertRequest", "InsertSteps", "ChainSnapshot", "LockAudit", "LedgerHead", "AppendEvent", "SelectOutcome"},
		"DECIDE_STEP":      {"LoadRequest", "CheckDecide", "AdvanceRequest", "RecordDecision", "LockAudit", "LedgerHead", "AppendEvent", "SelectOutcome"},
		"WITHDRAW_REQUEST": {"CheckWithdraw", "WithdrawRequest", "LockAudit", "LedgerHead", "AppendEvent", "SelectOutcome"},
		"RETRY_GRANT":      {"CheckRetry"},
		"GRANT_REQUEST":    {"CheckGrant", "MarkGranted", "LockAudit", "LedgerHead", "AppendEvent", "MarkGrantFailed", "LockAudit", "LedgerHead", "AppendEvent", "SelectOutcome"},
		"REVOKE_ACCESS":    {"LoadRequest"},
		"END_ACCESS":       {"CheckRevoke", "MarkRevoked", "LockAudit", "LedgerHead", "AppendEvent", "SelectOutcome", "StillJustified"},
		"RESUBMIT_REQUEST": {"CheckResubmit", "ResubmitRequest", "LockAudit", "LedgerHead", "AppendEvent", "SelectOutcome"},
		"SET_MANAGERS":     {"CheckSetManager", "DeleteManager", "InsertManager", "LockAudit", "LedgerHead", "AppendEvent"},
		"SET_MANAGER":      {"CheckSetManager", "DeleteManager", "InsertManager", "LockAudit", "LedgerHead", "AppendEvent"},
		"START_REVIEW":     {"LoadReview", "LockSubmissions", "CheckStartReview", "InsertReview", "InsertReviewItems", "SelectReviewOutcome"},
		// CompleteReview, which may rightly change no row, comes after
		// the event (checked below).
		"DECIDE_REVIEW": {"LoadReview", "CheckDecideReview", "MarkReviewItem", "LockAudit", "LedgerHead", "AppendEvent",
			"SelectReviewOutcome"},
		"RUN_SCHEDULE": {"DueWork", "LockSubmissions", "CheckStartReview", "InsertReview", "InsertReviewItems", "LockAudit", "CheckSystem", "ExpireRequest", "LockAudit", "LedgerHead", "AppendEvent",
			"EscalateStep", "LockAudit", "LedgerHead", "AppendEvent"},
		// SAVE_PRODUCT's two signatures share one body; the map keeps the
		// last (the script's), SET_CHAIN has its own.
		"SAVE_PRODUCT": {"LockSubmissions", "CheckSaveProduct", "InsertProduct", "UpdateProduct", "DeleteChain",
			"InsertChainStep", "InsertVersion", "SelectVersionHash", "LockAudit", "LedgerHead", "AppendEvent"},
		"SET_CHAIN": {"LockSubmissions", "CheckSaveProduct", "InsertProduct", "UpdateProduct", "DeleteChain",
			"InsertChainStep", "InsertVersion", "SelectVersionHash", "LockAudit", "LedgerHead", "AppendEvent"},
		"SET_CHAIN_POLICY": {"LockSubmissions", "CheckSavePolicy", "DeletePolicy", "InsertPolicyStep",
			"SelectPolicyDetails", "LockAudit", "LedgerHead", "AppendEvent"},
	}
	shared := sqlgen.SharedStatements()
	for name, want := range order {
		t.Run(name, func(t *testing.T) {
			p := procs[name]
			at := 0
			for _, st := range want {
				// The whole statement, as the template embeds it.
				require.Contains(t, shared, st, "a shared statement")
				text := sqlgen.Embedded(shared[st])
				i := strings.Index(p[at:], text)
				require.GreaterOrEqual(t, i, 0, "%s runs %s, whole, after the statements before it", name, st)
				at += i + len(text)
				// A write must change exactly the rows it should, or the
				// procedure stops: its row count is checked at once.
				if u := strings.ToUpper(strings.TrimSpace(shared[st])); strings.HasPrefix(u, "UPDATE") ||
					strings.HasPrefix(u, "INSERT") {
					next := strings.TrimLeft(p[at:], "; \n")
					assert.Regexp(t, `^IF \(COALESCE\(SQLROWCOUNT, -1\) <> [a-z_0-9]+\) THEN\n\s+(ROLLBACK;|RAISE (audit_)?lock_missing;)`,
						next, "%s checks the rows %s changed", name, st)
				}
			}
			assert.Contains(t, p, "EXECUTE AS OWNER")
			assert.NotContains(t, p, "CURRENT_USER()", "the actor comes from SYS_CONTEXT, the calling session's")
			assert.NotContains(t, p, "IS_ROLE_IN_SESSION", "inside an owner's-rights procedure it would see the owner's roles")
			assert.NotContains(t, p, "EXECUTE IMMEDIATE", "no dynamic SQL")
			if name != "GRANT_REQUEST" && name != "END_ACCESS" && name != "RUN_SCHEDULE" { // their actor is their caller's
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
		assert.Contains(t, p, `SELECT GET(:chk, 'CURRENT_STEP')::NUMBER, GET(:chk, 'PRODUCT_ID')::VARCHAR,
           CASE WHEN COALESCE(:acting_as, '') <> '' THEN :acting_as
                WHEN :holds_step_role OR :escalated_to = '' THEN :step_role
                ELSE :escalated_to END
      INTO :cur_step, :product_id, :actor_role;`)
		assert.Contains(t, sqlstore.CheckDecide, `WHEN r.escalated_to <> COALESCE(:escalated_to, '') THEN 'CONFLICT'`)
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
	t.Run("a review's revocation takes the guarded revoke path", func(t *testing.T) {
		p := procs["DECIDE_REVIEW"]
		check := strings.Index(p, sqlgen.Embedded(sqlstore.CheckDecideReview))
		call := strings.Index(p, "CALL SIGNOFF.API.END_ACCESS(")
		mark := strings.Index(p, sqlgen.Embedded(sqlstore.MarkReviewItem))
		require.True(t, check >= 0 && call > check && mark > call, "check, then END_ACCESS, then the grant's decision")
		assert.NotContains(t, p, "REVOKE ROLE", "no REVOKE of its own")
		complete := strings.Index(p, sqlgen.Embedded(sqlstore.CompleteReview))
		assert.Greater(t, complete, strings.Index(p, sqlgen.Embedded(sqlstore.AppendEvent)), "completion after the event")
		assert.Contains(t, p, "'Review ' || :review_id || ': ' || ", "the revocation's comment names the review (signoff.ReviewComment)")
	})
	t.Run("only the actions are PUBLIC's", func(t *testing.T) {
		var public []string
		for _, m := range regexp.MustCompile(`GRANT USAGE ON PROCEDURE SIGNOFF\.API\.([A-Z_]+)\([^)]*\) TO ROLE PUBLIC;`).
			FindAllStringSubmatch(string(body), -1) {
			public = append(public, m[1])
		}
		assert.ElementsMatch(t, []string{"SUBMIT_REQUEST", "DECIDE_STEP", "WITHDRAW_REQUEST", "RETRY_GRANT",
			"REVOKE_ACCESS", "RESUBMIT_REQUEST", "WHOAMI", "SET_NOTIFY_DIGEST", "START_REVIEW", "DECIDE_REVIEW"}, public,
			"GRANT_REQUEST and END_ACCESS are internal, RUN_SCHEDULE the task's; PREFLIGHT is for admins")
	})
	t.Run("only admins save products, checked in the caller's session", func(t *testing.T) {
		for _, name := range []string{"SAVE_PRODUCT", "SET_CHAIN"} {
			p := procs[name]
			check := "SELECT COALESCE(SYS_CONTEXT('SNOWFLAKE$SESSION', 'IS_ROLE_ACTIVATED', 'SIGNOFF_ADMIN') = 'TRUE', FALSE) INTO :is_admin;"
			require.Contains(t, p, check, name)
			assert.Less(t, strings.Index(p, check), strings.Index(p, "BEGIN TRANSACTION"), "%s knows before it writes", name)
			assert.Contains(t, p, "WHEN NOT :is_admin THEN 'NOT_ADMIN'", "%s refuses non-admins (CheckSaveProduct)", name)
			assert.Contains(t, p, "SHOW GRANTS TO ROLE SIGNOFF_OWNER;", "%s checks that SIGNOFF_OWNER owns the access role", name)
		}
		p := procs["SET_CHAIN_POLICY"]
		check := "SELECT COALESCE(SYS_CONTEXT('SNOWFLAKE$SESSION', 'IS_ROLE_ACTIVATED', 'SIGNOFF_ADMIN') = 'TRUE', FALSE) INTO :is_admin;"
		require.Contains(t, p, check, "SET_CHAIN_POLICY checks the admin in the caller's session")
		assert.Less(t, strings.Index(p, check), strings.Index(p, "BEGIN TRANSACTION"), "SET_CHAIN_POLICY knows before it writes")
		assert.Contains(t, p, "WHEN NOT :is_admin THEN 'NOT_ADMIN'", "SET_CHAIN_POLICY refuses non-admins (CheckSavePolicy)")
		assert.Contains(t, p, "NOT IN ('ROLE', 'MANAGER')", "a policy step is a role's or the manager's, never the owners'")
		assert.Equal(t, 2, strings.Count(string(body), "CREATE OR REPLACE PROCEDURE SIGNOFF.API.SAVE_PRODUCT("), "the form's and a script's")
		assert.NotContains(t, string(body), "<no value>", "every template block is given the data")
		for _, grant := range []string{
			"GRANT USAGE ON PROCEDURE SIGNOFF.API.SAVE_PRODUCT(VARCHAR, BOOLEAN, NUMBER, VARCHAR, BOOLEAN) TO ROLE SIGNOFF_ADMIN;",
			"GRANT USAGE ON PROCEDURE SIGNOFF.API.SAVE_PRODUCT(VARCHAR) TO ROLE SIGNOFF_ADMIN;",
			"GRANT USAGE ON PROCEDURE SIGNOFF.API.SET_CHAIN(VARCHAR, VARCHAR) TO ROLE SIGNOFF_ADMIN;",
			"GRANT USAGE ON PROCEDURE SIGNOFF.API.SET_CHAIN_POLICY(VARCHAR, VARCHAR, BOOLEAN) TO ROLE SIGNOFF_ADMIN;",
		} {
			assert.Contains(t, string(body), grant)
		}
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

// TestIDMillis checks the arithmetic of ID_MILLIS against the IDs the app
// makes: the same expression, with SQLite's instr for Snowflake's POSITION,
// decodes every ID's time to the millisecond.
func TestIDMillis(t *testing.T) {
	db, err := sql.Open("sqlite3", ":memory:")
	require.NoError(t, err)
	defer db.Close()
	q := "SELECT " + sqlgen.IDMillis("?1", func(ch string) string { return "instr('" + sqlgen.Crockford + "', " + ch + ")" })
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

// TestTextRulesMatchGo pins the procedures' text rules to the app's: the
// characters VISIBLE_LENGTH does not count are exactly those
// signoff.Invisible names, and those BIDI_CONTROLS counts exactly those
// signoff.BidiControl names, over the whole of Unicode; and each action
// applies them to its free text as the Service does.
func TestTextRulesMatchGo(t *testing.T) {
	body, err := os.ReadFile(filepath.FromSlash(apiFile))
	require.NoError(t, err)
	script := string(body)
	for name, in := range map[string]func(rune) bool{"VISIBLE_LENGTH": signoff.Invisible, "BIDI_CONTROLS": signoff.BidiControl} {
		t.Run(name, func(t *testing.T) {
			fn := regexp.MustCompile(`(?s)CREATE OR REPLACE FUNCTION SIGNOFF\.API\.` + name + `\(TEXT VARCHAR\).*?\n\$\$;`).FindString(script)
			require.NotEmpty(t, fn)
			alphabet := regexp.MustCompile(`(?s)TRANSLATE\(TEXT,\n(.*?),\n\s+''\)\)`).FindStringSubmatch(fn)
			require.Len(t, alphabet, 2, "the function translates TEXT with a generated alphabet:\n%s", fn)
			single := regexp.MustCompile(`^CHR\((\d+)\)$`)
			run := regexp.MustCompile(`^ARRAY_TO_STRING\(TRANSFORM\(ARRAY_GENERATE_RANGE\((\d+), (\d+)\), c INT -> CHR\(c\)\), ''\)$`)
			set := make([]bool, unicode.MaxRune+1)
			for _, part := range strings.Split(alphabet[1], "\n") {
				part = strings.TrimPrefix(strings.TrimSpace(part), "|| ")
				if m := single.FindStringSubmatch(part); m != nil {
					set[atoi(t, m[1])] = true
				} else if m := run.FindStringSubmatch(part); m != nil {
					for r := atoi(t, m[1]); r < atoi(t, m[2]); r++ { // the stop is not in the range
						set[r] = true
					}
				} else {
					t.Fatalf("%s's alphabet has a part that is neither a character nor a run: %q", name, part)
				}
			}
			for r := rune(0); r <= unicode.MaxRune; r++ {
				if set[r] != in(r) {
					t.Fatalf("U+%04X: in %s's alphabet %v, in Go's rule %v", r, name, set[r], in(r))
				}
			}
		})
	}

	procs := procedureBodies(t, script)
	for proc, checks := range map[string][]string{
		"SUBMIT_REQUEST": {
			`WHEN COALESCE(LENGTH(` + sqlstore.Trim(":reason") + `), 0) > 2000 THEN 'reason'`,
			`WHEN COALESCE(VISIBLE_LENGTH(:reason), 0) < 20 THEN 'reason'`,
			`WHEN COALESCE(BIDI_CONTROLS(:reason), 0) > 0 THEN 'reason'`},
		"DECIDE_STEP": {
			`WHEN COALESCE(LENGTH(` + sqlstore.Trim(":comment_text") + `), 0) > 1000 THEN 'comment_text'`,
			`WHEN :decision IN ('REJECTED', 'CHANGES_REQUESTED') AND COALESCE(VISIBLE_LENGTH(:comment_text), 0) = 0 THEN 'comment_text'`,
			`WHEN COALESCE(BIDI_CONTROLS(:comment_text), 0) > 0 THEN 'comment_text'`},
		"REVOKE_ACCESS": {
			`WHEN COALESCE(LENGTH(` + sqlstore.Trim(":reason") + `), 0) > 1000 THEN 'reason'`,
			`WHEN COALESCE(BIDI_CONTROLS(:reason), 0) > 0 THEN 'reason'`},
		"RESUBMIT_REQUEST": {
			`WHEN COALESCE(VISIBLE_LENGTH(:answer), 0) = 0 THEN 'answer'`,
			`WHEN COALESCE(LENGTH(` + sqlstore.Trim(":answer") + `), 0) > 1000 THEN 'answer'`,
			`WHEN COALESCE(LENGTH(` + sqlstore.Trim(":reason") + `), 0) > 0 AND COALESCE(VISIBLE_LENGTH(:reason), 0) < 20 THEN 'reason'`,
			`WHEN COALESCE(BIDI_CONTROLS(:answer), 0) > 0 THEN 'answer'`},
	} {
		for _, check := range checks {
			assert.Contains(t, procs[proc], check, proc)
		}
	}
	require.Equal(t, 20, signoff.MinReasonLength, "the checks above name the limits")
	require.Equal(t, 2000, signoff.MaxReasonLength)
	require.Equal(t, 1000, signoff.MaxCommentLength)

	// The SQL names these characters by number: the file itself holds no
	// invisible or reordering character but spaces and line breaks.
	for i, r := range script {
		if r != ' ' && r != '\n' && signoff.Invisible(r) {
			t.Fatalf("%s holds U+%04X at byte %d", apiFile, r, i)
		}
	}
}

// TestSnapshotSampleMatchesGo: PREFLIGHT builds the sample chain's snapshot
// with the query sqlgen renders, which is sqlstore.StepsSnapshot (what
// SUBMIT_REQUEST records) over the sample's steps; on SQLite that query
// gives exactly signoff.ChainSnapshot, so a difference on a real account
// (signoff doctor compares) is Snowflake's functions, not the query.
func TestSnapshotSampleMatchesGo(t *testing.T) {
	body, err := os.ReadFile(filepath.FromSlash(apiFile))
	require.NoError(t, err)
	procs := procedureBodies(t, string(body))
	query := sqlgen.SnapshotSample()
	assert.Contains(t, query, sqlstore.StepsSnapshot())
	assert.Contains(t, procs["PREFLIGHT"], "SELECT snapshot INTO :snapshot_sample FROM ("+sqlgen.Embedded(query)+"\n    ) q;")
	assert.Contains(t, procs["PREFLIGHT"], "'snapshot_sample', :snapshot_sample")

	db, err := sql.Open("sqlite3", ":memory:")
	require.NoError(t, err)
	defer db.Close()
	var got string
	require.NoError(t, db.QueryRow(query).Scan(&got))
	assert.Equal(t, signoff.ChainSnapshot(signoff.SnapshotSample()), got)
}

func atoi(t *testing.T, s string) rune {
	t.Helper()
	n, err := strconv.Atoi(s)
	require.NoError(t, err)
	return rune(n)
}

// TestNewIDDecodes evaluates the ID RUN_SCHEDULE makes for its events
// (sqlgen.NewID) in SQLite, with the milliseconds bound in place of
// DATE_PART(EPOCH_MILLISECOND, SYSDATE()) and SQLite's random() in place of
// UNIFORM(1, 32, RANDOM()): its time part must decode with ID_MILLIS's
// arithmetic (and signoff.IDTime) to those milliseconds, and it must be an
// ID the procedures accept.
func TestNewIDDecodes(t *testing.T) {
	db, err := sql.Open("sqlite3", ":memory:")
	require.NoError(t, err)
	defer db.Close()
	expr := sqlgen.NewID()
	require.Contains(t, expr, "DATE_PART(EPOCH_MILLISECOND, SYSDATE())")
	require.Equal(t, 16, strings.Count(expr, "UNIFORM(1, 32, RANDOM())"), "one random call per random character")
	expr = strings.ReplaceAll(expr, "DATE_PART(EPOCH_MILLISECOND, SYSDATE())", "?1")
	expr = strings.ReplaceAll(expr, "UNIFORM(1, 32, RANDOM())", "(abs(random() % 32) + 1)")
	decode := "SELECT " + sqlgen.IDMillis("?1", func(ch string) string { return "instr('" + sqlgen.Crockford + "', " + ch + ")" })
	seen := map[string]bool{}
	for _, at := range []time.Time{time.Unix(0, 0), time.Date(2026, 11, 30, 14, 3, 59, 987_000_000, time.UTC),
		time.Date(2026, 12, 31, 23, 59, 59, 999_000_000, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 999_000_000, time.UTC),
		time.UnixMilli(1<<48 - 1), time.UnixMilli(1<<45 - 1), time.UnixMilli(1 << 45)} {
		var id string
		require.NoError(t, db.QueryRow("SELECT "+expr, at.UnixMilli()).Scan(&id))
		require.True(t, signoff.ValidID(id), "%s: %q is not an ID the procedures accept", at, id)
		var ms int64
		require.NoError(t, db.QueryRow(decode, id).Scan(&ms))
		assert.Equal(t, at.UnixMilli(), ms, "%s: %s", at, id)
		assert.Equal(t, signoff.IDAt(at, [10]byte{})[:10], id[:10], "the time part is signoff.IDAt's")
		assert.False(t, seen[id[10:]], "the random part repeats")
		seen[id[10:]] = true
	}
}
