package snowflake

import (
	"context"
	"database/sql/driver"
	"errors"
	"sync"
	"testing"

	"github.com/DATA-DOG/go-sqlmock"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
)

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

// staticRoles returns the roles function, for roles none of which keys an
// approval step, and a counter of its calls.
func staticRoles(roles ...string) (func(context.Context) (Roles, error), *int) {
	var calls int
	var mu sync.Mutex
	return func(context.Context) (Roles, error) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		return Roles{All: roles}, nil
	}, &calls
}

func TestIdentityQuery(t *testing.T) {
	require.Equal(t, "SELECT CURRENT_USER()", IdentityQuery(0))
	require.Equal(t, "SELECT CURRENT_USER(), IS_ROLE_IN_SESSION(?), IS_ROLE_IN_SESSION(?)", IdentityQuery(2))
}

func TestIdentify(t *testing.T) {
	roles := []string{"APPROVER_DPO", "APPROVER_MGR", "SIGNOFF_AUDITOR"}
	o := &mockOpener{t: t, expect: expectIdentity(roles[:1], "ALICE", true)}
	rolesFn, roleCalls := staticRoles(roles[:1]...)
	ids := NewIdentities(o.open, rolesFn)
	id, err := ids.Identify(t.Context(), "tok-1")
	require.NoError(t, err)
	require.Equal(t, signoff.Identity{User: "ALICE", Roles: []string{"APPROVER_DPO"}}, id, "no credential: the server sets it")
	o.requireMet(t) // the statement ran and the session was closed

	// Only TRUE roles count; NULL (a role that no longer exists) is false.
	rolesFn, _ = staticRoles("SIGNOFF_AUDITOR", "APPROVER_DPO")
	ids = NewIdentities(o.open, rolesFn)
	o.expect = expectIdentity([]string{"SIGNOFF_AUDITOR", "APPROVER_DPO"}, "ALICE", nil, true)
	id, err = ids.Identify(t.Context(), "tok-2")
	require.NoError(t, err)
	require.Equal(t, signoff.Identity{User: "ALICE", Roles: []string{"APPROVER_DPO"}}, id)

	// The roles come back sorted, whatever order they were asked in.
	rolesFn, _ = staticRoles("SIGNOFF_AUDITOR", "APPROVER_MGR", "APPROVER_DPO")
	ids = NewIdentities(o.open, rolesFn)
	o.expect = expectIdentity([]string{"SIGNOFF_AUDITOR", "APPROVER_MGR", "APPROVER_DPO"}, "BOB", true, true, false)
	id, err = ids.Identify(t.Context(), "tok-3")
	require.NoError(t, err)
	require.Equal(t, signoff.Identity{User: "BOB", Roles: []string{"APPROVER_MGR", "SIGNOFF_AUDITOR"}}, id)
	require.Equal(t, []string{"tok-1", "tok-2", "tok-3"}, o.tokens, "the caller token opens the session")
	require.Equal(t, 1, *roleCalls)
	o.requireMet(t)
}

// TestIdentifySaysWhoApproves: the identity says whether a role in the
// session keys an approval step, from the roles that matter it reads anyway:
// an approver role held makes an approver; one that is not held, or an owner
// or access role, does not.
func TestIdentifySaysWhoApproves(t *testing.T) {
	matter := Roles{All: []string{"APPROVER_DPO", "APPROVER_MGR", "SALES_OWNER"}, Approvers: []string{"APPROVER_DPO", "APPROVER_MGR"}}
	rolesFn := func(context.Context) (Roles, error) { return matter, nil }
	for _, tc := range []struct {
		held []driver.Value
		want bool
	}{
		{held: []driver.Value{false, true, false}, want: true},
		{held: []driver.Value{true, nil, true}, want: true},
		{held: []driver.Value{false, false, true}, want: false},
		{held: []driver.Value{nil, false, false}, want: false},
	} {
		o := &mockOpener{t: t, expect: expectIdentity(matter.All, "ALICE", tc.held...)}
		id, err := NewIdentities(o.open, rolesFn).Identify(t.Context(), "tok")
		require.NoError(t, err)
		require.Equal(t, tc.want, id.Approver, "held %v", tc.held)
		o.requireMet(t)
	}
}

// TestIdentifyAsksEveryTime: Identities keeps nothing; every call opens a
// new session (the server decides when to ask).
func TestIdentifyAsksEveryTime(t *testing.T) {
	o := &mockOpener{t: t, expect: expectIdentity([]string{"APPROVER_DPO"}, "ALICE", true)}
	rolesFn, roleCalls := staticRoles("APPROVER_DPO")
	ids := NewIdentities(o.open, rolesFn)
	for i := 1; i <= 3; i++ {
		_, err := ids.Identify(t.Context(), "tok")
		require.NoError(t, err)
		require.Equal(t, i, o.calls(), "one session per call")
		require.Equal(t, i, *roleCalls, "the roles are asked for once per call")
		o.requireMet(t)
	}
}

// TestIdentifyUserNames: the user is whatever CURRENT_USER() says, exactly:
// SSO and SCIM create users with dots, @, lower case and quotes.
func TestIdentifyUserNames(t *testing.T) {
	for _, user := range []string{"JANE.DOE@ACME.COM", "alice", `O"BRIEN`, "Zoë", "DAN SMITH"} {
		o := &mockOpener{t: t, expect: expectIdentity([]string{"APPROVER_DPO"}, user, false)}
		rolesFn, _ := staticRoles("APPROVER_DPO")
		id, err := NewIdentities(o.open, rolesFn).Identify(t.Context(), "tok")
		require.NoError(t, err)
		require.Equal(t, signoff.Identity{User: user}, id)
	}
}

func TestIdentifyDropsInvalidRoles(t *testing.T) {
	o := &mockOpener{t: t, expect: expectIdentity([]string{"APPROVER_DPO"}, "ALICE", true)}
	rolesFn, _ := staticRoles("APPROVER_DPO", "bad-role", `X"Y`, "", "DB.ROLE", "ROLE) OR (1=1")
	id, err := NewIdentities(o.open, rolesFn).Identify(t.Context(), "tok")
	require.NoError(t, err)
	require.Equal(t, []string{"APPROVER_DPO"}, id.Roles)

	// No valid role at all: the statement asks for the user only.
	o.expect = expectIdentity(nil, "ALICE")
	rolesFn, _ = staticRoles("bad-role")
	id, err = NewIdentities(o.open, rolesFn).Identify(t.Context(), "tok")
	require.NoError(t, err)
	require.Equal(t, signoff.Identity{User: "ALICE"}, id)
	o.requireMet(t)
}

func TestIdentifyDoesNotChangeTheRolesList(t *testing.T) {
	list := []string{"bad-role", "APPROVER_DPO"}
	o := &mockOpener{t: t, expect: expectIdentity([]string{"APPROVER_DPO"}, "ALICE", true)}
	_, err := NewIdentities(o.open, func(context.Context) (Roles, error) { return Roles{All: list}, nil }).Identify(t.Context(), "tok")
	require.NoError(t, err)
	require.Equal(t, []string{"bad-role", "APPROVER_DPO"}, list, "the cached list is shared: it is never edited")
}

func TestIdentifyErrors(t *testing.T) {
	t.Run("roles", func(t *testing.T) {
		o := &mockOpener{t: t}
		boom := errors.New("boom")
		ids := NewIdentities(o.open, func(context.Context) (Roles, error) { return Roles{}, boom })
		_, err := ids.Identify(t.Context(), "tok")
		require.ErrorIs(t, err, boom)
		require.ErrorContains(t, err, "snowflake: identity: roles that matter: boom")
		require.Zero(t, o.calls(), "no session is opened")
	})
	t.Run("open", func(t *testing.T) {
		o := &mockOpener{t: t, err: sfErr(390114, "08001", "q-login")}
		rolesFn, _ := staticRoles("APPROVER_DPO")
		_, err := NewIdentities(o.open, rolesFn).Identify(t.Context(), "tok")
		requireKind(t, err, signoff.ErrUnavailable)
		require.ErrorContains(t, err, "snowflake: caller session: unavailable: snowflake error 390114")
	})
	t.Run("query", func(t *testing.T) {
		o := &mockOpener{t: t, expect: func(mock sqlmock.Sqlmock) {
			expectQuery(mock, IdentityQuery(1), "APPROVER_DPO").WillReturnError(sfErr(3001, "42501", "q-id"))
			mock.ExpectClose() // the session is closed on failure too
		}}
		rolesFn, _ := staticRoles("APPROVER_DPO")
		_, err := NewIdentities(o.open, rolesFn).Identify(t.Context(), "tok")
		requireKind(t, err, signoff.ErrForbidden)
		require.ErrorContains(t, err, "snowflake: identity: forbidden: snowflake error 3001 (SQLSTATE 42501, query q-id)")
		o.requireMet(t)
	})
	t.Run("deadline", func(t *testing.T) {
		o := &mockOpener{t: t, expect: func(mock sqlmock.Sqlmock) {
			expectQuery(mock, IdentityQuery(1), "APPROVER_DPO").WillReturnError(context.DeadlineExceeded)
			mock.ExpectClose()
		}}
		rolesFn, _ := staticRoles("APPROVER_DPO")
		_, err := NewIdentities(o.open, rolesFn).Identify(t.Context(), "tok")
		requireKind(t, err, signoff.ErrUnavailable)
		o.requireMet(t)
	})
	t.Run("no row", func(t *testing.T) {
		o := &mockOpener{t: t, expect: func(mock sqlmock.Sqlmock) {
			expectQuery(mock, IdentityQuery(0)).WillReturnRows(sqlmock.NewRows([]string{"CURRENT_USER()"}))
			mock.ExpectClose()
		}}
		_, err := NewIdentities(o.open, func(context.Context) (Roles, error) { return Roles{}, nil }).Identify(t.Context(), "tok")
		requireKind(t, err, nil)
		require.ErrorContains(t, err, "snowflake: identity: sql: no rows in result set")
		o.requireMet(t)
	})
}

// TestIdentifyExpiredCallerToken: a caller token Snowflake refuses means
// "sign in again" (401), not "Snowflake is down" (503), whether the refusal
// comes when the session is opened or, as gosnowflake logs in lazily, with
// the first statement.
func TestIdentifyExpiredCallerToken(t *testing.T) {
	for _, n := range []int{390303, 390318} {
		o := &mockOpener{t: t, err: sfErr(n, "08001", "q-login")}
		rolesFn, _ := staticRoles("APPROVER_DPO")
		_, err := NewIdentities(o.open, rolesFn).Identify(t.Context(), "tok")
		requireKind(t, err, signoff.ErrUnauthenticated)
		require.Contains(t, signoff.Message(err), "session has expired")
		require.ErrorContains(t, err, "q-login", "the query id stays in the log text")

		o = &mockOpener{t: t, expect: func(mock sqlmock.Sqlmock) {
			expectQuery(mock, IdentityQuery(1), "APPROVER_DPO").WillReturnError(sfErr(n, "08001", "q-first"))
			mock.ExpectClose()
		}}
		_, err = NewIdentities(o.open, rolesFn).Identify(t.Context(), "tok")
		requireKind(t, err, signoff.ErrUnauthenticated)
		require.Equal(t, "Your Snowflake session has expired. Reload the page, signing in to Snowflake again if asked.",
			signoff.Message(err))
		o.requireMet(t)
	}
}
