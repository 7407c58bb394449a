package snowflake

import (
	"database/sql/driver"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/snowflake/sftest"
	"github.com/signoff/signoff/internal/sqlstore"
)

// These tests run the engine through the real gosnowflake driver against
// sftest, a loopback fake of Snowflake's REST endpoints (TestMain keeps the
// driver off every other address).

// fakeConfig is a Config pointing at fake, with the service token file
// holding token.
func fakeConfig(t *testing.T, fake *sftest.Server, token string) Config {
	t.Helper()
	file := filepath.Join(t.TempDir(), "token")
	writeToken(t, file, token)
	return Config{Protocol: "http", Host: fake.Host(), Port: fake.Port(), Account: "ACME",
		Database: "SIGNOFF_DB", Schema: "APP", Warehouse: "SIGNOFF_WH", TokenFile: file}
}

// writeToken replaces the token file as SPCS does when it rotates the token.
func writeToken(t *testing.T, file, token string) {
	t.Helper()
	require.NoError(t, os.WriteFile(file, []byte(token), 0o600))
}

var selectOne = sftest.Result([]sftest.Column{sftest.Fixed("1")}, []any{1})

func TestDriverServicePoolTokenFile(t *testing.T) {
	t.Parallel()
	fake := sftest.New(t)
	fake.On(`SELECT 1`, selectOne)
	cfg := fakeConfig(t, fake, "svc-token-1")
	st, err := Open(t.Context(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })

	require.NoError(t, st.Ping(t.Context()))
	logins := fake.Logins()
	require.Len(t, logins, 1)
	l := logins[0]
	require.Equal(t, "OAUTH", l.Authenticator)
	require.Equal(t, "svc-token-1", l.Token, "the token comes from the token file")
	require.Equal(t, "ACME", l.Account)
	require.Empty(t, l.LoginName, "OAuth needs no user")
	require.Equal(t, "signoff", l.SessionParameters["QUERY_TAG"])
	require.Equal(t, []string{"SIGNOFF_DB", "APP", "SIGNOFF_WH", ""}, []string{l.Database, l.Schema, l.Warehouse, l.Role})
	qs := fake.Queries()
	require.Len(t, qs, 1)
	require.Equal(t, "SELECT 1", qs[0].SQLText)
	require.Empty(t, qs[0].Bindings)
	require.Equal(t, l.SessionToken, qs[0].SessionToken)

	// An idle connection is reused: no second login.
	require.NoError(t, st.Ping(t.Context()))
	require.Len(t, fake.Logins(), 1)

	// SPCS rotates the token; the next new connection logs in with the new
	// one (gosnowflake re-reads TokenFilePath on every connect).
	writeToken(t, cfg.TokenFile, "svc-token-2")
	st.db.SetMaxIdleConns(0) // drops the idle connection, which closes its session
	require.Equal(t, []string{l.SessionToken}, fake.ClosedSessions())
	require.NoError(t, st.Ping(t.Context()))
	logins = fake.Logins()
	require.Len(t, logins, 2)
	require.Equal(t, "svc-token-2", logins[1].Token)
	require.Equal(t, "signoff", logins[1].SessionParameters["QUERY_TAG"])
	qs = fake.Queries()
	require.Len(t, qs, 3)
	require.Equal(t, logins[1].SessionToken, qs[2].SessionToken)

	require.NoError(t, st.Close())
	require.Len(t, fake.ClosedSessions(), 2, "closing the store closes the session")
	require.Zero(t, fake.Count("/telemetry/send"), "no telemetry")
}

func TestDriverQueryTagOption(t *testing.T) {
	t.Parallel()
	fake := sftest.New(t)
	fake.On(`SELECT 1`, selectOne)
	cfg := fakeConfig(t, fake, "svc")
	cfg.QueryTag = "signoff-prod"
	st, err := Open(t.Context(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	require.NoError(t, st.Ping(t.Context()))
	require.Equal(t, "signoff-prod", fake.Logins()[0].SessionParameters["QUERY_TAG"])
}

func TestDriverCallerSessions(t *testing.T) {
	t.Parallel()
	fake := sftest.New(t)
	roles := []string{"DPO", "SIGNOFF_ADMIN"}
	fake.On(IdentityQuery(2), sftest.Result([]sftest.Column{sftest.Text("CURRENT_USER()"),
		sftest.Boolean("IS_ROLE_IN_SESSION(?)"), sftest.Boolean("IS_ROLE_IN_SESSION(?)")},
		[]any{"JANE.DOE@ACME.COM", true, false}))
	cfg := fakeConfig(t, fake, "svc-token-1\n") // as written with a trailing newline
	cfg.QueryTag = "signoff"
	rolesFn, _ := staticRoles(roles...)
	ids := NewIdentities(CallerSessions(cfg), rolesFn)

	id, err := ids.Identify(t.Context(), "caller-abc")
	require.NoError(t, err)
	require.Equal(t, signoff.Identity{User: "JANE.DOE@ACME.COM", Roles: []string{"DPO"}}, id)

	logins := fake.Logins()
	require.Len(t, logins, 1)
	l := logins[0]
	require.Equal(t, "OAUTH", l.Authenticator)
	require.Equal(t, "svc-token-1.caller-abc", l.Token, "service token, trimmed, a dot, the caller token")
	require.Equal(t, "ACME", l.Account)
	require.Equal(t, "signoff:caller", l.SessionParameters["QUERY_TAG"])
	require.Equal(t, []string{"", "", "SIGNOFF_WH", ""}, []string{l.Database, l.Schema, l.Warehouse, l.Role},
		"the warehouse for the procedures' statements; no database, schema or role")
	qs := fake.Queries()
	require.Len(t, qs, 1)
	require.Equal(t, IdentityQuery(2), qs[0].SQLText)
	require.Equal(t, map[string]sftest.Binding{
		"1": {Type: "TEXT", Value: "DPO"},
		"2": {Type: "TEXT", Value: "SIGNOFF_ADMIN"},
	}, qs[0].Bindings)
	require.Equal(t, l.SessionToken, qs[0].SessionToken)
	// The session is closed off the request's path: wait for it, bounded.
	require.Eventually(t, func() bool { return len(fake.ClosedSessions()) == 1 }, 5*time.Second, 10*time.Millisecond)
	require.Equal(t, []string{l.SessionToken}, fake.ClosedSessions(), "each lookup closes its session")

	// The service token rotates: the next lookup logs in anew with it.
	writeToken(t, cfg.TokenFile, "svc-token-2\n")
	_, err = ids.Identify(t.Context(), "caller-def")
	require.NoError(t, err)
	logins = fake.Logins()
	require.Len(t, logins, 2)
	require.Equal(t, "svc-token-2.caller-def", logins[1].Token)
	require.Eventually(t, func() bool { return len(fake.ClosedSessions()) == 2 }, 5*time.Second, 10*time.Millisecond)
	require.Equal(t, []string{l.SessionToken, logins[1].SessionToken}, fake.ClosedSessions())

	// The same caller token again: Identities keeps nothing, so it logs in again.
	_, err = ids.Identify(t.Context(), "caller-def")
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(fake.ClosedSessions()) == 3 }, 5*time.Second, 10*time.Millisecond)
	require.Equal(t, 3, fake.Count(sftest.PathLogin))
	require.Equal(t, 3, fake.Count(sftest.PathQuery))
	require.Equal(t, 3, fake.Count(sftest.PathSession))
}

func TestDriverCallerSessionErrors(t *testing.T) {
	t.Parallel()
	t.Run("missing service token", func(t *testing.T) {
		cfg := Config{TokenFile: filepath.Join(t.TempDir(), "missing")}
		_, err := CallerSessions(cfg)(t.Context(), "caller")
		require.ErrorContains(t, err, "service token: ")
	})
	t.Run("login refused", func(t *testing.T) {
		fake := sftest.New(t)
		// Not 390303/390318 (OAuth token invalid or expired): for those the
		// driver logs in a second time and touches its credential cache in
		// the home directory.
		fake.FailLogins(&sftest.Error{Code: "390100", Message: "Incorrect username or password was specified."})
		cfg := fakeConfig(t, fake, "svc")
		rolesFn, _ := staticRoles("DPO")
		_, err := NewIdentities(CallerSessions(cfg), rolesFn).Identify(t.Context(), "caller")
		requireKind(t, err, signoff.ErrUnavailable)
		require.ErrorContains(t, err, "390100")
		require.Len(t, fake.Logins(), 1)
		require.Zero(t, fake.Count(sftest.PathQuery))

		// An action's session is refused the same way, before any CALL.
		st, err := Open(t.Context(), cfg)
		require.NoError(t, err)
		t.Cleanup(func() { st.Close() })
		_, err = st.Withdraw(t.Context(), signoff.Identity{User: "ALICE", Credential: "caller"},
			signoff.WithdrawCall{RequestID: reqID, EventIDs: []string{evID}})
		requireKind(t, err, signoff.ErrUnavailable)
		require.ErrorContains(t, err, "snowflake: withdraw: ")
		require.ErrorContains(t, err, "390100")
		require.Len(t, fake.Logins(), 2, "only the caller session tried to log in")
		require.Zero(t, fake.Count(sftest.PathQuery))
	})
}

func TestDriverErrorsTranslate(t *testing.T) {
	t.Parallel()
	fake := sftest.New(t)
	st, err := Open(t.Context(), fakeConfig(t, fake, "svc"))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	for _, tc := range []struct {
		code, state string
		kind        error
	}{
		{"003001", "42501", signoff.ErrForbidden},
		{"002003", "02000", signoff.ErrForbidden},
		{"390114", "08001", signoff.ErrUnavailable},
		{"000625", "57014", signoff.ErrConflict},
		{"000630", "57014", signoff.ErrUnavailable},
		{"001003", "42000", nil},
	} {
		t.Run(tc.code, func(t *testing.T) {
			qid := "01b2c3d4-0000-" + tc.code
			fake.On(productsSQL, sftest.Response{Err: &sftest.Error{Code: tc.code, SQLState: tc.state,
				Message: "SQL access control error: Insufficient privileges to operate on table 'DATA_PRODUCT'"},
				QueryID: qid})
			_, err := st.Reads().Products(t.Context())
			requireKind(t, err, tc.kind)
			n, _ := strconv.Atoi(tc.code)
			require.ErrorContains(t, err, "snowflake error "+strconv.Itoa(n)+" (SQLSTATE "+tc.state+", query "+qid+")")
		})
	}
}

// TestDriverCatalog reads the catalog through the real driver (text and
// FIXED columns; a product without a chain arrives with step 0 and empty
// texts) and shows Open keeping it for Config.CatalogTTL (--catalog-cache):
// within the TTL the products and the approver roles are read once; with 0,
// on every call.
func TestDriverCatalog(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		ttl   time.Duration
		reads int // of each statement, for three calls of each read
	}{{time.Hour, 1}, {0, 3}} {
		t.Run("CatalogTTL "+tc.ttl.String(), func(t *testing.T) {
			t.Parallel()
			fake := sftest.New(t)
			fake.On(productsSQL, sfResult(productCols, productValues(webAds(), salesEU())))
			fake.On(sqlstore.SelectApproverRoles, sfResult([]string{"approver_role"},
				[][]driver.Value{{"APPROVER_DPO"}, {"APPROVER_MGR"}, {"APPROVER_OWNER"}}))
			cfg := fakeConfig(t, fake, "svc")
			cfg.CatalogTTL = tc.ttl
			st, err := Open(t.Context(), cfg)
			require.NoError(t, err)
			t.Cleanup(func() { st.Close() })
			for range 3 {
				ps, err := st.Reads().Products(t.Context())
				require.NoError(t, err)
				require.Equal(t, []signoff.Product{webAds(), salesEU()}, ps)
				roles, err := st.Reads().ApproverRoles(t.Context())
				require.NoError(t, err)
				require.Equal(t, []string{"APPROVER_DPO", "APPROVER_MGR", "APPROVER_OWNER"}, roles)
			}
			sent := map[string]int{}
			for _, q := range fake.Queries() {
				sent[q.SQLText]++
			}
			require.Equal(t, map[string]int{productsSQL: tc.reads, sqlstore.SelectApproverRoles: tc.reads}, sent)
		})
	}
}

func TestDriverReads(t *testing.T) {
	t.Parallel()
	fake := sftest.New(t)
	st, err := Open(t.Context(), fakeConfig(t, fake, "svc"))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })

	// A requester's requests: fixed, text and timestamp_ntz columns, a NULL decided_at.
	want := pendingRequest(reqID, 2)
	cols := []sftest.Column{}
	for i, name := range requestCols {
		switch {
		case i == 8 || i == 9 || i == 12:
			cols = append(cols, sftest.Fixed(name))
		case i == 10 || i == 11 || i == 19:
			cols = append(cols, sftest.TimestampNTZ(name))
		default:
			cols = append(cols, sftest.Text(name))
		}
	}
	var rows [][]any
	for _, s := range want.Steps {
		row := []any{}
		for _, v := range requestValues(want, s) {
			row = append(row, v)
		}
		rows = append(rows, row)
	}
	fake.On(sqlstore.SelectRequestsBy(signoff.MyRequestsLimit), sftest.Result(cols, rows...))
	got, err := st.Reads().Requests(t.Context(), want.Requester, signoff.MyRequestsLimit)
	require.NoError(t, err)
	require.Equal(t, []signoff.Request{want}, got)
	q := fake.Queries()[0]
	require.Equal(t, map[string]sftest.Binding{"1": {Type: "TEXT", Value: want.Requester}}, q.Bindings)

	// The request page's one statement: step rows, then event rows, with
	// NULLs in every type of column.
	r, p := pendingRequest(reqID, 2), salesEU()
	history := historyOf(r)
	detailTypes := map[int]func(string) sftest.Column{1: sftest.Fixed, 10: sftest.Fixed, 11: sftest.Fixed,
		12: sftest.TimestampNTZ, 13: sftest.TimestampNTZ, 20: sftest.TimestampNTZ, 31: sftest.Fixed, 33: sftest.Fixed}
	var detail []sftest.Column
	for i, name := range detailCols {
		col := sftest.Text
		if c, ok := detailTypes[i]; ok {
			col = c
		}
		detail = append(detail, col(name))
	}
	var detailRows [][]any
	for _, v := range detailValues(r, p, history...) {
		row := make([]any, len(v))
		for i := range v {
			row[i] = v[i]
		}
		detailRows = append(detailRows, row)
	}
	fake.On(sqlstore.SelectRequestDetail, sftest.Result(detail, detailRows...))
	gotR, gotP, gotEvs, err := st.Reads().RequestDetail(t.Context(), reqID)
	require.NoError(t, err)
	require.Equal(t, r, gotR)
	p.Chain = nil
	require.Equal(t, p, gotP)
	require.Equal(t, history, gotEvs)
	require.Equal(t, map[string]sftest.Binding{"1": {Type: "TEXT", Value: reqID}, "2": {Type: "TEXT", Value: reqID}},
		fake.Queries()[1].Bindings)

	// Events filtered by time: a time.Time binds as TIMESTAMP_NTZ
	// (nanoseconds since the epoch, as text).
	f := signoff.EventFilter{From: t0, To: t2, Limit: signoff.AuditPageSize + 1}
	evCols := []sftest.Column{sftest.Text("event_id"), sftest.TimestampNTZ("event_time"), sftest.Text("request_id"),
		sftest.Text("product_id"), sftest.Text("product_name"), sftest.Text("actor"), sftest.Text("actor_role"), sftest.Text("event_type"),
		sftest.Fixed("step_order"), sftest.Text("decision"), sftest.Text("comment"), sftest.Text("details"),
		sftest.Fixed("seq"), sftest.Text("prev_hash"), sftest.Text("hash")}
	fake.On(eventsSQL(f), sftest.Result(evCols,
		[]any{ev2ID, t1, reqID, "SALES_EU", "EU sales orders", "BOB", "APPROVER_MGR", "STEP_APPROVED", 1, "APPROVED", "", "", 2, "h1", "h2"}))
	evs, err := st.Reads().Events(t.Context(), f)
	require.NoError(t, err)
	require.Equal(t, []signoff.Event{{ID: ev2ID, Time: t1, RequestID: reqID, ProductID: "SALES_EU",
		ProductName: "EU sales orders", Actor: "BOB",
		ActorRole: "APPROVER_MGR", Type: signoff.EventStepApproved, Step: 1, Decision: signoff.DecisionApprove,
		Seq: 2, PrevHash: "h1", Hash: "h2"}}, evs)
	qs := fake.Queries()
	require.Equal(t, map[string]sftest.Binding{
		"1": {Type: "TIMESTAMP_NTZ", Value: strconv.FormatInt(t0.UnixNano(), 10)},
		"2": {Type: "TIMESTAMP_NTZ", Value: strconv.FormatInt(t2.UnixNano(), 10)},
	}, qs[len(qs)-1].Bindings)
}

// TestDriverActionCall runs an action through the real driver: one CALL in
// a caller's-rights session (the service pool is not touched), its binds as
// TEXT, FIXED and BOOLEAN, and the procedure's VARIANT answer as Snowflake
// renders it (indented JSON text).
func TestDriverActionCall(t *testing.T) {
	t.Parallel()
	fake := sftest.New(t)
	cfg := fakeConfig(t, fake, "svc-token")
	cfg.Database, cfg.Schema = "SIGNOFF", "API"
	st, err := Open(t.Context(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })

	answer := "{\n  \"code\": \"OK\",\n  \"data\": {\n    \"ACTOR\": \"BOB\",\n    \"CURRENT_STEP\": 2,\n" +
		"    \"REQUEST_ID\": \"" + reqID + "\",\n    \"STATUS\": \"PENDING\",\n    \"STEP_LABEL\": \"Data owner\",\n" +
		"    \"STEP_ROLE\": \"APPROVER_OWNER\"\n  },\n  \"message\": \"Done.\",\n  \"ok\": true\n}"
	fake.On(callDecide, sftest.Result([]sftest.Column{sftest.Variant("DECIDE_STEP")}, []any{answer}))
	got, err := st.Decide(t.Context(), bob, signoff.DecideCall{RequestID: reqID, Step: 1, Decision: signoff.DecisionApprove,
		Comment: "Fine by me.", EventIDs: []string{evID, ev2ID, ev3ID}, At: t1})
	require.NoError(t, err)
	require.Equal(t, signoff.Outcome{Code: signoff.CodeOK, Actor: "BOB", RequestID: reqID, Status: signoff.StatusPending,
		CurrentStep: 2, StepLabel: "Data owner", StepRole: "APPROVER_OWNER"}, got)

	logins := fake.Logins()
	require.Len(t, logins, 1, "only the caller session logs in: the service pool is not used")
	l := logins[0]
	require.Equal(t, "svc-token.caller-token-bob", l.Token, "the acting person's own session")
	require.Equal(t, "signoff:caller", l.SessionParameters["QUERY_TAG"])
	require.Equal(t, []string{"", "", "SIGNOFF_WH"}, []string{l.Database, l.Schema, l.Warehouse})
	qs := fake.Queries()
	require.Len(t, qs, 1)
	require.Equal(t, callDecide, qs[0].SQLText)
	require.Equal(t, l.SessionToken, qs[0].SessionToken, "the CALL runs in the caller's session")
	require.Equal(t, map[string]sftest.Binding{
		"1": {Type: "TEXT", Value: reqID},
		"2": {Type: "FIXED", Value: "1"},
		"3": {Type: "TEXT", Value: "APPROVED"},
		"4": {Type: "TEXT", Value: "Fine by me."},
		"5": {Type: "TEXT", Value: ""},
		"6": {Type: "FIXED", Value: "0"},
		"7": {Type: "TEXT", Value: evID + "," + ev2ID + "," + ev3ID},
		"8": {Type: "BOOLEAN", Value: "false"},
	}, qs[0].Bindings)
	require.Eventually(t, func() bool { return len(fake.ClosedSessions()) == 1 }, 5*time.Second, 10*time.Millisecond)
	require.Equal(t, []string{l.SessionToken}, fake.ClosedSessions(), "the session is closed after the call")

	// A refusal: an outcome, not an error; a dry run binds TRUE.
	fake.On(callWithdraw, sftest.Result([]sftest.Column{sftest.Variant("WITHDRAW_REQUEST")},
		[]any{`{"ok":false,"code":"NOT_REQUESTER","message":"Only the requester can withdraw a request.","data":{"ACTOR":"BOB","REQUESTER":"ALICE"}}`}))
	got, err = st.Withdraw(t.Context(), bob, signoff.WithdrawCall{RequestID: reqID, EventIDs: []string{evID}, DryRun: true})
	require.NoError(t, err)
	require.Equal(t, signoff.Outcome{Code: signoff.CodeNotRequester, Actor: "BOB", Requester: "ALICE"}, got)
	requireKind(t, got.Err(), signoff.ErrForbidden)
	q := fake.Queries()[1]
	require.Equal(t, callWithdraw, q.SQLText)
	require.Equal(t, map[string]sftest.Binding{
		"1": {Type: "TEXT", Value: reqID}, "2": {Type: "TEXT", Value: evID}, "3": {Type: "BOOLEAN", Value: "true"},
	}, q.Bindings)

	// The procedure fails: insufficient privileges on it is forbidden; the
	// session is closed all the same.
	fake.On(callRevoke, sftest.Response{Err: &sftest.Error{Code: "003001", SQLState: "42501",
		Message: "SQL access control error: Insufficient privileges to operate on procedure 'REVOKE_ACCESS'"}})
	_, err = st.Revoke(t.Context(), bob, signoff.RevokeCall{RequestID: reqID, Reason: "Left.", EventIDs: []string{evID}})
	requireKind(t, err, signoff.ErrForbidden)
	require.ErrorContains(t, err, "snowflake: revoke: forbidden: snowflake error 3001 (SQLSTATE 42501, query ")
	require.Eventually(t, func() bool { return len(fake.ClosedSessions()) == 3 }, 5*time.Second, 10*time.Millisecond)
	require.Len(t, fake.Logins(), 3, "one login per action")
}

func TestDriverHandlerAndUnknownStatements(t *testing.T) {
	t.Parallel()
	fake := sftest.New(t)
	st, err := Open(t.Context(), fakeConfig(t, fake, "svc"))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })

	// A handler answers statements chosen by content: here every queue.
	fake.Handle(func(q sftest.Query) (sftest.Response, bool) {
		if !strings.HasPrefix(q.SQLText, "WITH chosen AS (\n\t\tSELECT r.request_id FROM access_request r") {
			return sftest.Response{}, false
		}
		cols := make([]sftest.Column, len(queueCols))
		for i, name := range queueCols {
			cols[i] = sftest.Text(name)
		}
		return sftest.Result(cols), true
	})
	after := signoff.QueueKey{Sort: signoff.QueueByProduct, Waiting: t1, RequestID: reqID, ProductName: "EU sales orders"}
	f := signoff.QueueFilter{Roles: []string{"APPROVER_MGR", "APPROVER_OWNER"}, User: "CAROL", ProductID: "SALES_EU",
		Classification: "CONFIDENTIAL", Sort: signoff.QueueByProduct, After: &after, Limit: signoff.QueueLimit + 1}
	q, _ := sqlstore.SelectQueue(f)
	got, err := st.Reads().Queue(t.Context(), f)
	require.NoError(t, err)
	require.Empty(t, got.Requests)
	sent := fake.Queries()[0]
	require.Equal(t, q, sent.SQLText)
	at := sftest.Binding{Type: "TIMESTAMP_NTZ", Value: strconv.FormatInt(t1.UnixNano(), 10)}
	require.Equal(t, map[string]sftest.Binding{
		"1": {Type: "TEXT", Value: "APPROVER_MGR"}, "2": {Type: "TEXT", Value: "APPROVER_OWNER"},
		"3": {Type: "TEXT", Value: "CAROL"}, "4": {Type: "TEXT", Value: "CAROL"},
		"5": {Type: "TEXT", Value: "APPROVER_MGR"}, "6": {Type: "TEXT", Value: "APPROVER_OWNER"},
		"7": {Type: "TEXT", Value: "CAROL"}, "8": {Type: "TEXT", Value: "CAROL"},
		"9": {Type: "TEXT", Value: "SALES_EU"}, "10": {Type: "TEXT", Value: "CONFIDENTIAL"},
		"11": {Type: "TEXT", Value: "EU sales orders"}, "12": {Type: "TEXT", Value: "EU sales orders"}, "13": at, "14": at,
		"15": {Type: "TEXT", Value: reqID},
		"16": {Type: "TEXT", Value: "APPROVER_MGR"}, "17": {Type: "TEXT", Value: "APPROVER_OWNER"},
		"18": {Type: "TEXT", Value: "APPROVER_MGR"}, "19": {Type: "TEXT", Value: "APPROVER_OWNER"},
	}, sent.Bindings, "role binds (a step's role, for a manager step only the user's), the user twice, the fallback roles it escalated to, the user twice, the filters, the cursor (times as TIMESTAMP_NTZ), the roles again for the products")

	// Anything else gets an error a test cannot miss.
	_, err = st.Reads().ApproverRoles(t.Context())
	requireKind(t, err, nil)
	require.ErrorContains(t, err, "snowflake error 999999")
	require.ErrorContains(t, err, "sftest: no canned response for")
	require.ErrorContains(t, err, fake.Queries()[1].QueryID)
}
