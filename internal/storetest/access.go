package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
)

// grantIDs returns the request IDs of gs, in order.
func grantIDs(gs []signoff.Grant) []string {
	out := make([]string, len(gs))
	for i, g := range gs {
		out[i] = g.Request.ID
	}
	return out
}

// testGrants pins Reads.Grants: only GRANTED requests, newest grant first,
// filtered by product and by user exactly, each with the time of its
// ACCESS_GRANTED event and its expiry; and that the GRANT the engine runs is
// signoff.GrantStatement's text, quotes and all.
func testGrants(t *testing.T, f *fixture) {
	ctx := f.ctx
	read := func(filter signoff.GrantFilter) []signoff.Grant {
		t.Helper()
		if filter.Limit == 0 {
			filter.Limit = signoff.GrantsLimit
		}
		gs, err := f.reads.Grants(ctx, filter)
		require.NoError(t, err)
		return gs
	}
	assert.Empty(t, read(signoff.GrantFilter{}), "no grants yet")

	reports := f.submit(t, requester, "reports")
	f.approve(t, owner, reports.ID)
	archive := f.submit(t, requester, "reports-archive")
	f.approve(t, owner, archive.ID)
	other := f.submit(t, requester2, "reports")
	f.approve(t, owner, other.ID)
	o, err := f.svc.Submit(ctx, f.who(t, requester2), "timed", reason, 30)
	require.NoError(t, err)
	timed := f.approve(t, manager, o.RequestID)
	require.Equal(t, signoff.StatusGranted, timed.Status)
	pending := f.submit(t, requester2, "ledger") // not granted: never listed
	revoked := f.submit(t, stranger, "reports")
	f.approve(t, owner, revoked.ID)
	require.NoError(t, f.svc.Revoke(ctx, f.who(t, admin), revoked.ID, "Project over."))

	all := read(signoff.GrantFilter{})
	assert.Equal(t, []string{timed.RequestID, other.ID, archive.ID, reports.ID}, grantIDs(all),
		"GRANTED requests only, newest grant first")
	assert.NotContains(t, grantIDs(all), pending.ID)
	for _, g := range all {
		evs := f.history(t, g.Request.ID)
		last := evs[len(evs)-1]
		require.Equal(t, signoff.EventAccessGranted, last.Type)
		assert.Equal(t, last.Time, g.GrantedAt, "the grant's time is its ACCESS_GRANTED event's")
		assert.Equal(t, signoff.GrantStatement(g.Request.AccessRole, g.Request.Requester), last.Details,
			"the engine ran the GRANT the preview shows")
		assert.Equal(t, signoff.StatusGranted, g.Request.Status)
	}
	tg := all[0].Request
	assert.Equal(t, "timed", tg.ProductID)
	assert.Equal(t, "Timed extract", tg.ProductName)
	assert.Equal(t, "TIMED_READ", tg.AccessRole)
	assert.Equal(t, "PII", tg.Classification)
	assert.Equal(t, requester2, tg.Requester)
	assert.Equal(t, 30, tg.DurationDays)
	until, ok := all[0].Until()
	assert.True(t, ok)
	assert.Equal(t, all[0].GrantedAt.Add(30*24*time.Hour), until, "time-bound: ends 30 days after the grant")
	_, ok = all[3].Until()
	assert.False(t, ok, "permanent")

	assert.Equal(t, []string{other.ID, reports.ID}, grantIDs(read(signoff.GrantFilter{ProductID: "reports"})))
	assert.Equal(t, []string{archive.ID, reports.ID}, grantIDs(read(signoff.GrantFilter{User: requester})))
	assert.Equal(t, []string{reports.ID}, grantIDs(read(signoff.GrantFilter{ProductID: "reports", User: requester})))
	assert.Empty(t, read(signoff.GrantFilter{User: "req"}), "a user is named exactly")
	assert.Empty(t, read(signoff.GrantFilter{ProductID: "no-such-product"}))
	assert.Len(t, read(signoff.GrantFilter{Limit: 2}), 2, "the limit holds")

	// The last step's approver sees what approving grants, and which grant
	// already justifies the role: REQ2 holds REPORTS_READ through "reports",
	// which "reports-archive" grants too. Others see no preview.
	next, err := f.svc.Submit(ctx, f.who(t, requester2), "reports-archive", reason, 0)
	require.NoError(t, err)
	rp, err := f.svc.RequestPage(ctx, f.who(t, owner), next.RequestID, "")
	require.NoError(t, err)
	require.NotNil(t, rp.Preview, "the only step is the last")
	assert.Equal(t, `GRANT ROLE "REPORTS_READ" TO USER "REQ2"`, rp.Preview.Statement)
	assert.Equal(t, 0, rp.Preview.Days)
	assert.True(t, rp.Preview.ExpiresIfNow.IsZero(), "permanent")
	assert.Equal(t, []string{other.ID}, grantIDs(rp.Preview.AlreadyHeld))
	for _, user := range []string{admin, requester2, auditor} {
		rp, err := f.svc.RequestPage(ctx, f.who(t, user), next.RequestID, "")
		require.NoError(t, err)
		assert.Nil(t, rp.Preview, "%s may not decide the step: no preview", user)
	}
	rp, err = f.svc.RequestPage(ctx, f.who(t, manager), pending.ID, "")
	require.NoError(t, err)
	require.NotEmpty(t, rp.DecideRole)
	assert.Nil(t, rp.Preview, "step 1 of 3 grants nothing")
}

// testAllRequests pins Reads.AllRequests: every request, newest first,
// filtered by status, product, classification, part of the requester's
// name in any case (wildcards taken literally) and days, paged by key.
func testAllRequests(t *testing.T, f *fixture) {
	ctx := f.ctx
	read := func(filter signoff.RequestFilter) []string {
		t.Helper()
		if filter.Limit == 0 {
			filter.Limit = signoff.RequestsPageSize
		}
		rs, err := f.reads.AllRequests(ctx, filter)
		require.NoError(t, err)
		return requestIDs(rs)
	}
	assert.Empty(t, read(signoff.RequestFilter{}))

	start := f.clock.Now()
	a := f.submit(t, requester, "reports")
	f.approve(t, owner, a.ID)
	b := f.submit(t, requester2, "ledger")
	f.clock.advance(48 * time.Hour)
	oc, err := f.svc.Submit(ctx, f.who(t, manager), "timed", reason, 7)
	require.NoError(t, err)
	c := f.request(t, oc.RequestID)
	d := f.submit(t, requester2, "reports")

	assert.Equal(t, []string{d.ID, c.ID, b.ID, a.ID}, read(signoff.RequestFilter{}), "newest first")
	assert.Equal(t, []string{a.ID}, read(signoff.RequestFilter{Status: signoff.StatusGranted}))
	assert.Equal(t, []string{d.ID, c.ID, b.ID}, read(signoff.RequestFilter{Status: signoff.StatusPending}))
	assert.Equal(t, []string{d.ID, a.ID}, read(signoff.RequestFilter{ProductID: "reports"}))
	assert.Equal(t, []string{c.ID}, read(signoff.RequestFilter{Classification: "PII"}))
	assert.Equal(t, []string{d.ID, b.ID}, read(signoff.RequestFilter{Requester: "req2"}), "part of a name, any case")
	assert.Equal(t, []string{d.ID, b.ID, a.ID}, read(signoff.RequestFilter{Requester: "Re"}))
	assert.Empty(t, read(signoff.RequestFilter{Requester: "R_Q"}), "_ is no wildcard")
	assert.Empty(t, read(signoff.RequestFilter{Requester: "%"}), "% is no wildcard")
	day := start.Truncate(24 * time.Hour)
	assert.Equal(t, []string{b.ID, a.ID}, read(signoff.RequestFilter{From: day, To: day.Add(24 * time.Hour)}))
	assert.Equal(t, []string{d.ID, c.ID}, read(signoff.RequestFilter{From: day.Add(24 * time.Hour)}))
	assert.Equal(t, []string{b.ID}, read(signoff.RequestFilter{Status: signoff.StatusPending, To: day.Add(24 * time.Hour)}))

	// Paging by key: each page continues after the last ID of the one before.
	rs, err := f.reads.AllRequests(ctx, signoff.RequestFilter{Limit: 3})
	require.NoError(t, err)
	assert.Equal(t, []string{d.ID, c.ID, b.ID}, requestIDs(rs))
	assert.Equal(t, []string{a.ID}, read(signoff.RequestFilter{After: b.ID}))
	assert.Equal(t, []string{b.ID, a.ID}, read(signoff.RequestFilter{After: c.ID}))
	assert.Equal(t, []string{b.ID}, read(signoff.RequestFilter{After: c.ID, Requester: "REQ2"}))
	assert.Empty(t, read(signoff.RequestFilter{After: f.newID()}), "after a request that does not exist: nothing")

	got, err := f.reads.AllRequests(ctx, signoff.RequestFilter{ProductID: "timed", Limit: 1})
	require.NoError(t, err)
	require.Len(t, got, 1)
	r := got[0]
	assert.Equal(t, "Timed extract", r.ProductName)
	assert.Equal(t, "PII", r.Classification)
	assert.Equal(t, manager, r.Requester)
	assert.Equal(t, signoff.StatusPending, r.Status)
	assert.Equal(t, 1, r.CurrentStep)
	assert.Equal(t, 1, r.StepCount)
	assert.Equal(t, 7, r.AskedDays)
	assert.Equal(t, 7, r.DurationDays)
	assert.False(t, r.CreatedAt.IsZero())
}
