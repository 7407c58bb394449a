package storetest

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
)

func testBadInputChangesNothing(t *testing.T, f *fixture) {
	ctx := f.ctx
	req := f.who(t, requester)
	nothing := func(t *testing.T) {
		t.Helper()
		mine, err := f.reads.Requests(ctx, requester, 100)
		require.NoError(t, err)
		assert.Empty(t, mine, "no request created")
		assert.Empty(t, f.events(t, signoff.EventFilter{}), "nothing audited")
	}

	for _, tc := range []struct {
		name, reason string
	}{
		{"empty reason", ""},
		{"blank reason", "   \n "},
		{"short reason", "need it"},
		{"long reason", strings.Repeat("x", signoff.MaxReasonLength+1)},
		{"invalid UTF-8", "Quarterly close reconciliation \xff\xfe needs the lines."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.Submit(ctx, req, "ledger", tc.reason, 0)
			assert.ErrorIs(t, err, signoff.ErrInvalid)
			var p signoff.Problems
			require.ErrorAs(t, err, &p)
			assert.NotEmpty(t, p["reason"])
			nothing(t)
		})
	}
	t.Run("unknown product", func(t *testing.T) {
		_, err := f.svc.Submit(ctx, req, "'; DROP TABLE access_request; --", reason, 0)
		assert.ErrorIs(t, err, signoff.ErrNotFound)
		nothing(t)
	})
	t.Run("nobody signed in", func(t *testing.T) {
		_, err := f.svc.Submit(ctx, signoff.Identity{}, "ledger", reason, 0)
		assert.ErrorIs(t, err, signoff.ErrUnauthenticated)
		nothing(t)
	})

	r := f.submit(t, requester, "ledger")
	for _, tc := range []struct {
		name string
		in   signoff.DecisionInput
	}{
		{"comment too long", signoff.DecisionInput{Decision: signoff.DecisionApprove, Comment: strings.Repeat("c", signoff.MaxCommentLength+1)}},
		{"comment not UTF-8", signoff.DecisionInput{Decision: signoff.DecisionApprove, Comment: "fine \xc3\x28 by me"}},
		{"no decision", signoff.DecisionInput{}},
		{"unknown decision", signoff.DecisionInput{Decision: "MAYBE"}},
		{"lower-case decision", signoff.DecisionInput{Decision: "approve"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := f.snap(t, r.ID)
			_, err := f.svc.Decide(ctx, f.who(t, manager), r.ID, tc.in)
			assert.ErrorIs(t, err, signoff.ErrInvalid)
			assert.NotEmpty(t, signoff.Message(err))
			f.unchanged(t, before)
		})
	}
	t.Run("not part of the request", func(t *testing.T) {
		before := f.snap(t, r.ID)
		_, err := f.svc.RequestPage(ctx, f.who(t, stranger), r.ID, "")
		assert.ErrorIs(t, err, signoff.ErrForbidden)
		_, err = f.svc.RequestPage(ctx, f.who(t, manager), "not-an-id", "")
		assert.ErrorIs(t, err, signoff.ErrNotFound)
		f.unchanged(t, before)
	})
}

// testUserNames walks requests by and for users named as SSO and SCIM
// provisioning names them: any name CURRENT_USER() can return, compared
// exactly, quoted in every GRANT, so that "alice" and ALICE are two people.
func testUserNames(t *testing.T, f *fixture) {
	ctx := f.ctx
	const (
		jane  = "JANE.DOE@ACME.COM"
		lower = "alice"
		upper = "ALICE"
		quote = `O"BRIEN`
		zoe   = "Zoë Ångström"
	)
	for _, u := range []struct {
		name  string
		roles []string
	}{{jane, []string{roleOwner}}, {lower, []string{"ANALYST"}}, {upper, []string{roleOwner}},
		{quote, []string{roleManager}}, {zoe, []string{roleManager}}} {
		require.NoError(t, f.acct.CreateUser(ctx, u.name, u.name, "storetest"), u.name)
		for _, r := range u.roles {
			require.NoError(t, f.acct.GrantRoleToUser(ctx, r, u.name, "ACCOUNTADMIN"))
		}
	}
	assert.Equal(t, lower, f.who(t, lower).User)
	assert.False(t, f.who(t, lower).HasRole(roleOwner), "alice does not hold what ALICE holds")

	// alice asks; ALICE, another person, may approve it.
	r := f.submit(t, lower, "reports")
	assert.Equal(t, lower, r.Requester)
	o := f.approve(t, upper, r.ID)
	require.Equal(t, signoff.StatusGranted, o.Status)
	assert.True(t, f.hasRole(t, lower, "REPORTS_READ"), "granted to alice")
	assert.False(t, f.hasRole(t, upper, "REPORTS_READ"), "not to ALICE")
	evs := f.history(t, r.ID)
	assert.Equal(t, `GRANT ROLE "REPORTS_READ" TO USER "alice"`, evs[len(evs)-1].Details)
	assert.Equal(t, upper, evs[1].Actor)

	// JANE asks for the ledger: O"BRIEN decides step 1, after which Zoë,
	// who holds only the manager role, has no step to decide.
	l := f.submit(t, jane, "ledger")
	f.approve(t, quote, l.ID)
	_, err := f.svc.Decide(ctx, f.who(t, zoe), l.ID, signoff.DecisionInput{Decision: signoff.DecisionApprove})
	assert.ErrorIs(t, err, signoff.ErrForbidden, "Zoë holds the manager role, and step 1 is decided")
	f.approve(t, upper, l.ID)
	f.approve(t, security, l.ID)
	got := f.request(t, l.ID)
	assert.Equal(t, signoff.StatusGranted, got.Status)
	assert.Equal(t, []string{quote, upper, security}, []string{got.Steps[0].DecidedBy, got.Steps[1].DecidedBy, got.Steps[2].DecidedBy})
	assert.True(t, f.hasRole(t, jane, "LEDGER_READ"))
	evs = f.history(t, l.ID)
	assert.Equal(t, `GRANT ROLE "LEDGER_READ" TO USER "JANE.DOE@ACME.COM"`, evs[len(evs)-1].Details)
	for _, e := range evs {
		assert.Equal(t, e.ComputeHash(), e.Hash, "the chain hashes the names as stored")
	}

	// A name with a quote is quoted by doubling it.
	q := f.submit(t, quote, "reports")
	require.Equal(t, signoff.StatusGranted, f.approve(t, jane, q.ID).Status)
	evs = f.history(t, q.ID)
	assert.Equal(t, `GRANT ROLE "REPORTS_READ" TO USER "O""BRIEN"`, evs[len(evs)-1].Details)
	require.NoError(t, f.svc.Revoke(ctx, f.who(t, admin), q.ID, "Project over."))
	assert.False(t, f.hasRole(t, quote, "REPORTS_READ"))
	evs = f.history(t, q.ID)
	assert.Equal(t, `REVOKE ROLE "REPORTS_READ" FROM USER "O""BRIEN"`, evs[len(evs)-1].Details)

	// Zoë's own request, withdrawn.
	z := f.submit(t, zoe, "reports")
	require.NoError(t, f.svc.Withdraw(ctx, f.who(t, zoe), z.ID))
	assert.Equal(t, signoff.StatusWithdrawn, f.request(t, z.ID).Status)
	mine, err := f.svc.MyRequests(ctx, f.who(t, zoe))
	require.NoError(t, err)
	assert.Equal(t, []string{z.ID}, requestIDs(mine))
}
