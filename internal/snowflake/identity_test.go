package snowflake

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/DATA-DOG/go-sqlmock"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
)

// mockOpener is a CallerOpener whose sessions are sqlmock databases. Each
// session expects what expect sets up (the identity statement, then Close)
// and is checked when the test ends.
type mockOpener struct {
	t      *testing.T
	expect func(mock sqlmock.Sqlmock)
	err    error

	mu     sync.Mutex
	tokens []string // the caller tokens of the sessions opened
}

func (o *mockOpener) open(ctx context.Context, token string) (*sql.DB, error) {
	o.mu.Lock()
	o.tokens = append(o.tokens, token)
	o.mu.Unlock()
	if o.err != nil {
		return nil, o.err
	}
	db, mock, err := sqlmock.New(sqlmock.QueryMatcherOption(exactSQL))
	if err != nil {
		return nil, err
	}
	o.expect(mock)
	o.t.Cleanup(func() { require.NoError(o.t, mock.ExpectationsWereMet(), "caller session") })
	return db, nil
}

func (o *mockOpener) calls() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.tokens)
}

// expectIdentity expects the identity statement with roles as binds,
// answering user and held (true, false or nil per role), then Close.
func expectIdentity(roles []string, user string, held ...driver.Value) func(sqlmock.Sqlmock) {
	return func(mock sqlmock.Sqlmock) {
		cols := []string{"CURRENT_USER()"}
		args := make([]driver.Value, len(roles))
		for i, r := range roles {
			cols = append(cols, "IS_ROLE_IN_SESSION(?)")
			args[i] = r
		}
		expectQuery(mock, IdentityQuery(len(roles)), args...).
			WillReturnRows(sqlmock.NewRows(cols).AddRow(append([]driver.Value{user}, held...)...))
		mock.ExpectClose()
	}
}

// staticRoles returns the roles function and a counter of its calls.
func staticRoles(roles ...string) (func(context.Context) ([]string, error), *int) {
	var calls int
	var mu sync.Mutex
	return func(context.Context) ([]string, error) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		return roles, nil
	}, &calls
}

func visit(method, user, token string) *http.Request {
	r := httptest.NewRequest(method, "/", nil)
	if user != "" {
		r.Header.Set(HeaderUser, user)
	}
	if token != "" {
		r.Header.Set(HeaderToken, token)
	}
	return r
}

func TestIdentityQuery(t *testing.T) {
	require.Equal(t, "SELECT CURRENT_USER()", IdentityQuery(0))
	require.Equal(t, "SELECT CURRENT_USER(), IS_ROLE_IN_SESSION(?), IS_ROLE_IN_SESSION(?)", IdentityQuery(2))
}

func TestIdentify(t *testing.T) {
	roles := []string{"APPROVER_DPO", "APPROVER_MGR", "SIGNOFF_AUDITOR"}
	o := &mockOpener{t: t, expect: expectIdentity(roles[:1], "ALICE", true)}
	rolesFn, _ := staticRoles(roles[:1]...)
	ids := NewIdentities(o.open, rolesFn, 0)
	id, err := ids.Identify(visit(http.MethodGet, "ALICE", "tok-1"))
	require.NoError(t, err)
	require.Equal(t, signoff.Identity{User: "ALICE", Roles: []string{"APPROVER_DPO"}}, id)

	// Only TRUE roles count; NULL (a role that no longer exists) is false.
	rolesFn, _ = staticRoles("SIGNOFF_AUDITOR", "APPROVER_DPO")
	ids = NewIdentities(o.open, rolesFn, 0)
	o.expect = expectIdentity([]string{"SIGNOFF_AUDITOR", "APPROVER_DPO"}, "ALICE", nil, true)
	id, err = ids.Identify(visit(http.MethodGet, "ALICE", "tok-2"))
	require.NoError(t, err)
	require.Equal(t, signoff.Identity{User: "ALICE", Roles: []string{"APPROVER_DPO"}}, id)

	rolesFn, _ = staticRoles(roles...)
	ids = NewIdentities(o.open, rolesFn, 0)
	o.expect = expectIdentity(roles, "BOB", false, true, true)
	id, err = ids.Identify(visit(http.MethodPost, "BOB", "tok-3"))
	require.NoError(t, err)
	require.Equal(t, signoff.Identity{User: "BOB", Roles: []string{"APPROVER_MGR", "SIGNOFF_AUDITOR"}}, id)
	require.Equal(t, []string{"tok-1", "tok-2", "tok-3"}, o.tokens, "the caller token opens the session")
}

func TestIdentifyMissingHeaders(t *testing.T) {
	o := &mockOpener{t: t}
	rolesFn, roleCalls := staticRoles("APPROVER_DPO")
	ids := NewIdentities(o.open, rolesFn, time.Minute)
	for _, tc := range []struct{ name, user, token string }{
		{"neither", "", ""},
		{"no token", "ALICE", ""},
		{"no user", "", "tok"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ids.Identify(visit(http.MethodGet, tc.user, tc.token))
			requireKind(t, err, signoff.ErrUnauthenticated)
			require.Contains(t, signoff.Message(err), "Signoff did not receive your Snowflake identity.")
		})
	}
	require.Zero(t, o.calls(), "no session is opened")
	require.Zero(t, *roleCalls, "nothing is read")
}

func TestIdentifyMalformed(t *testing.T) {
	o := &mockOpener{t: t}
	rolesFn, roleCalls := staticRoles("APPROVER_DPO")
	ids := NewIdentities(o.open, rolesFn, time.Minute)
	for _, tc := range []struct{ name, user, token string }{
		{"quoted user", `"ALICE"`, "tok"},
		{"quote in user", `AL"ICE`, "tok"},
		{"dotted user", "DB.ALICE", "tok"},
		{"space in user", "ALICE SMITH", "tok"},
		{"SQL in user", "ALICE;DROP", "tok"},
		{"user starting with a digit", "1ALICE", "tok"},
		{"space in token", "ALICE", "tok en"},
		{"tab in token", "ALICE", "tok\ten"},
		{"non-ASCII token", "ALICE", "tök"},
		{"token over 8 KiB", "ALICE", strings.Repeat("t", 8<<10+1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ids.Identify(visit(http.MethodPost, tc.user, tc.token))
			requireKind(t, err, signoff.ErrUnauthenticated)
			require.Contains(t, signoff.Message(err), "Signoff received a malformed Snowflake identity.")
		})
	}
	require.Zero(t, o.calls(), "no session is opened for a malformed identity")
	require.Zero(t, *roleCalls)

	// The bound itself is accepted.
	o.expect = expectIdentity([]string{"APPROVER_DPO"}, "ALICE", true)
	long := strings.Repeat("t", 8<<10)
	_, err := ids.Identify(visit(http.MethodPost, "ALICE", long))
	require.NoError(t, err)
	require.Equal(t, []string{long}, o.tokens)
}

func TestIdentifyUserMismatch(t *testing.T) {
	o := &mockOpener{t: t, expect: expectIdentity([]string{"APPROVER_DPO"}, "MALLORY", true)}
	rolesFn, _ := staticRoles("APPROVER_DPO")
	ids := NewIdentities(o.open, rolesFn, time.Minute)
	for range 2 {
		_, err := ids.Identify(visit(http.MethodGet, "ALICE", "tok"))
		requireKind(t, err, signoff.ErrUnauthenticated)
		require.Equal(t, "Your Snowflake session does not match the user the request names. Sign in to Snowflake again.",
			signoff.Message(err))
	}
	require.Equal(t, 2, o.calls(), "a mismatch is never cached")

	// The header's case does not matter; the user is Snowflake's.
	o.expect = expectIdentity([]string{"APPROVER_DPO"}, "ALICE", true)
	id, err := ids.Identify(visit(http.MethodGet, "alice", "tok-2"))
	require.NoError(t, err)
	require.Equal(t, "ALICE", id.User)
}

func TestIdentifyCache(t *testing.T) {
	o := &mockOpener{t: t, expect: expectIdentity([]string{"APPROVER_DPO"}, "ALICE", true)}
	rolesFn, roleCalls := staticRoles("APPROVER_DPO")
	ids := NewIdentities(o.open, rolesFn, 30*time.Second)
	now := t0
	ids.now = func() time.Time { return now }
	want := signoff.Identity{User: "ALICE", Roles: []string{"APPROVER_DPO"}}
	step := func(method, user, token string, opens int) {
		t.Helper()
		id, err := ids.Identify(visit(method, user, token))
		require.NoError(t, err)
		require.Equal(t, want, id)
		require.Equal(t, opens, o.calls(), "%s %s %s", method, user, token)
	}
	step(http.MethodGet, "ALICE", "tok-a", 1)
	step(http.MethodGet, "ALICE", "tok-a", 1)  // same token within the TTL: cached
	step(http.MethodHead, "ALICE", "tok-a", 1) // HEAD is a page view too
	step(http.MethodGet, "ALICE", "tok-b", 2)  // another token: a new session
	step(http.MethodPost, "ALICE", "tok-a", 3) // actions never use the cache
	step(http.MethodPost, "ALICE", "tok-a", 4)
	now = now.Add(29 * time.Second)
	step(http.MethodGet, "ALICE", "tok-a", 4)
	now = now.Add(time.Second) // 30 s after the lookup: expired
	step(http.MethodGet, "ALICE", "tok-a", 5)
	step(http.MethodGet, "ALICE", "tok-a", 5)
	require.Equal(t, 5, *roleCalls, "the roles are asked for once per lookup")

	// A cached answer for the token serves only the user it was for.
	o.expect = expectIdentity([]string{"APPROVER_DPO"}, "ALICE", true)
	_, err := ids.Identify(visit(http.MethodGet, "BOB", "tok-a"))
	requireKind(t, err, signoff.ErrUnauthenticated)
	require.Equal(t, 6, o.calls())
}

func TestIdentifyTTLZeroDisablesCache(t *testing.T) {
	o := &mockOpener{t: t, expect: expectIdentity([]string{"APPROVER_DPO"}, "ALICE", true)}
	rolesFn, _ := staticRoles("APPROVER_DPO")
	ids := NewIdentities(o.open, rolesFn, 0)
	for i := 1; i <= 3; i++ {
		_, err := ids.Identify(visit(http.MethodGet, "ALICE", "tok"))
		require.NoError(t, err)
		require.Equal(t, i, o.calls())
	}
}

func TestIdentifyDropsInvalidRoles(t *testing.T) {
	o := &mockOpener{t: t, expect: expectIdentity([]string{"APPROVER_DPO"}, "ALICE", true)}
	rolesFn, _ := staticRoles("APPROVER_DPO", "bad-role", `X"Y`, "", "DB.ROLE", "ROLE) OR (1=1")
	ids := NewIdentities(o.open, rolesFn, 0)
	id, err := ids.Identify(visit(http.MethodGet, "ALICE", "tok"))
	require.NoError(t, err)
	require.Equal(t, []string{"APPROVER_DPO"}, id.Roles)

	// No valid role at all: the statement asks for the user only.
	o.expect = expectIdentity(nil, "ALICE")
	rolesFn, _ = staticRoles("bad-role")
	ids = NewIdentities(o.open, rolesFn, 0)
	id, err = ids.Identify(visit(http.MethodGet, "ALICE", "tok"))
	require.NoError(t, err)
	require.Equal(t, signoff.Identity{User: "ALICE"}, id)
}

func TestIdentifyErrors(t *testing.T) {
	t.Run("roles", func(t *testing.T) {
		o := &mockOpener{t: t}
		boom := errors.New("boom")
		ids := NewIdentities(o.open, func(context.Context) ([]string, error) { return nil, boom }, 0)
		_, err := ids.Identify(visit(http.MethodGet, "ALICE", "tok"))
		require.ErrorIs(t, err, boom)
		require.ErrorContains(t, err, "snowflake: identity: roles that matter: boom")
		require.Zero(t, o.calls())
	})
	t.Run("open", func(t *testing.T) {
		o := &mockOpener{t: t, err: sfErr(390114, "08001", "q-login")}
		rolesFn, _ := staticRoles("APPROVER_DPO")
		_, err := NewIdentities(o.open, rolesFn, 0).Identify(visit(http.MethodGet, "ALICE", "tok"))
		requireKind(t, err, signoff.ErrUnavailable)
		require.ErrorContains(t, err, "snowflake: caller session: unavailable: snowflake error 390114")
	})
	t.Run("query", func(t *testing.T) {
		o := &mockOpener{t: t, expect: func(mock sqlmock.Sqlmock) {
			expectQuery(mock, IdentityQuery(1), "APPROVER_DPO").WillReturnError(sfErr(3001, "42501", "q-id"))
			mock.ExpectClose() // the session is closed on failure too
		}}
		rolesFn, _ := staticRoles("APPROVER_DPO")
		_, err := NewIdentities(o.open, rolesFn, 0).Identify(visit(http.MethodGet, "ALICE", "tok"))
		requireKind(t, err, signoff.ErrForbidden)
		require.ErrorContains(t, err, "snowflake: identity: forbidden: snowflake error 3001 (SQLSTATE 42501, query q-id)")
	})
}

// TestIdentifyActionAnswersServeTheRedirect: an action checks afresh, and
// its answer serves the page the browser is redirected to next.
func TestIdentifyActionAnswersServeTheRedirect(t *testing.T) {
	o := &mockOpener{t: t, expect: expectIdentity([]string{"APPROVER_DPO"}, "ALICE", true)}
	rolesFn, _ := staticRoles("APPROVER_DPO")
	ids := NewIdentities(o.open, rolesFn, 30*time.Second)
	ids.now = func() time.Time { return t0 }
	_, err := ids.Identify(visit(http.MethodPost, "ALICE", "tok-post"))
	require.NoError(t, err)
	require.Equal(t, 1, o.calls())
	id, err := ids.Identify(visit(http.MethodGet, "ALICE", "tok-post"))
	require.NoError(t, err)
	require.Equal(t, "ALICE", id.User)
	require.Equal(t, 1, o.calls(), "the GET after the 303 reuses the action's fresh answer")
	// The user header's case does not matter (Snowflake names are case-insensitive unquoted).
	_, err = ids.Identify(visit(http.MethodGet, "alice", "tok-post"))
	require.NoError(t, err)
	require.Equal(t, 1, o.calls())
}

// TestIdentifyExpiredCallerToken: a caller token Snowflake refuses means
// "sign in again" (401), not "Snowflake is down" (503).
func TestIdentifyExpiredCallerToken(t *testing.T) {
	for _, n := range []int{390303, 390318} {
		o := &mockOpener{t: t, err: sfErr(n, "08001", "q-login")}
		rolesFn, _ := staticRoles("APPROVER_DPO")
		_, err := NewIdentities(o.open, rolesFn, 0).Identify(visit(http.MethodGet, "ALICE", "tok"))
		requireKind(t, err, signoff.ErrUnauthenticated)
		require.Contains(t, signoff.Message(err), "session has expired")
		require.ErrorContains(t, err, "q-login", "the query id stays in the log text")
	}
}
