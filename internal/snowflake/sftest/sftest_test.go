package sftest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// post sends body to the fake's path as gosnowflake does, in session
// (a session token, or "" before login), and returns the decoded answer and
// how long the fake took to give it.
func post(t *testing.T, s *Server, path, session, body string) (map[string]any, time.Duration) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL()+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if session != "" {
		req.Header.Set("Authorization", `Snowflake Token="`+session+`"`)
	}
	start := time.Now()
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	var out map[string]any
	require.NoError(t, json.NewDecoder(res.Body).Decode(&out))
	return out, time.Since(start)
}

// TestSetLatency: a login waits the login latency, a statement the
// statement latency, and a handler sees the login of the statement's
// session. Only lower bounds are asserted: a loaded machine may be slower.
func TestSetLatency(t *testing.T) {
	s := New(t)
	s.Handle(func(q Query) (Response, bool) {
		return Result([]Column{Text("TOKEN")}, []any{q.Login.Token}), true
	})
	const login, statement = 60 * time.Millisecond, 30 * time.Millisecond
	s.SetLatency(login, statement)

	ans, took := post(t, s, PathLogin, "", `{"data":{"ACCOUNT_NAME":"ACME","AUTHENTICATOR":"OAUTH","TOKEN":"svc.caller-1"}}`)
	require.Equal(t, true, ans["success"])
	require.GreaterOrEqual(t, took, login, "the login waited")
	session := ans["data"].(map[string]any)["token"].(string)

	ans, took = post(t, s, PathQuery, session, `{"sqlText":"SELECT CURRENT_USER()"}`)
	require.Equal(t, true, ans["success"], ans)
	require.GreaterOrEqual(t, took, statement, "the statement waited")
	require.Equal(t, []any{[]any{"svc.caller-1"}}, ans["data"].(map[string]any)["rowset"],
		"the handler answered as the session's login")
	require.Equal(t, "svc.caller-1", s.Queries()[0].Login.Token)

	// A statement the fake cannot answer waits too: the latency is the
	// round trip's, whatever the answer.
	s.Handle(nil)
	ans, took = post(t, s, PathQuery, session, `{"sqlText":"SELECT 2"}`)
	require.Equal(t, false, ans["success"])
	require.Equal(t, NoResponseCode, ans["code"])
	require.GreaterOrEqual(t, took, statement)

	ans, _ = post(t, s, PathSession+"?delete=true", session, `{}`)
	require.Equal(t, true, ans["success"])
	require.Equal(t, []string{session}, s.ClosedSessions())

	// Back to answering at once; a statement in a closed session has no login.
	s.SetLatency(0, 0)
	s.On("SELECT 3", Result([]Column{Fixed("3")}, []any{3}))
	ans, _ = post(t, s, PathQuery, session, `{"sqlText":"SELECT 3"}`)
	require.Equal(t, true, ans["success"])
	require.Equal(t, Login{}, s.Queries()[2].Login)
	require.Equal(t, 1, s.Count(PathLogin))
	require.Equal(t, 3, s.Count(PathQuery))
}
