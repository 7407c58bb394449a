package sqlite_test

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/demo"
	"github.com/signoff/signoff/internal/signoff"
)

// TestReadCacheSeesEveryCommit shows the read cache is exact: two stores on
// one file stand for two processes, and each page read of one reflects a
// commit by the other (or by itself) on the very next look-up.
func TestReadCacheSeesEveryCommit(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "cache.db")
	a := open(t, path)
	require.NoError(t, demo.Load(ctx, a, signoff.NewService(a), time.Now()))
	b := open(t, path)
	svcA, svcB := signoff.NewService(a), signoff.NewService(b)

	marco, err := a.Identify(ctx, "MARCO")
	require.NoError(t, err)
	queue := func() []string {
		t.Helper()
		q, err := svcA.Queue(ctx, marco, "")
		require.NoError(t, err)
		var ids []string
		for _, r := range q.Requests {
			ids = append(ids, r.ID)
		}
		return ids
	}
	before := queue()
	require.NotEmpty(t, before, "the demo leaves steps waiting for MARCO")
	assert.Equal(t, before, queue(), "unchanged database, same answer")

	// Another process decides the oldest: this one's next look-up drops it.
	_, err = svcB.Decide(ctx, marco, before[0], signoff.DecisionInput{Decision: signoff.DecisionApprove})
	require.NoError(t, err)
	after := queue()
	assert.NotContains(t, after, before[0])
	assert.Len(t, after, len(before)-1)

	// A commit through this store shows too: ALICE's requests and the audit log.
	alice, err := a.Identify(ctx, "ALICE")
	require.NoError(t, err)
	mine, err := svcA.MyRequests(ctx, alice)
	require.NoError(t, err)
	audrey, err := a.Identify(ctx, "AUDREY")
	require.NoError(t, err)
	page, err := svcA.Audit(ctx, audrey, signoff.EventFilter{})
	require.NoError(t, err)
	cat, err := svcA.Catalog(ctx, alice, signoff.ProductFilter{}, 1)
	require.NoError(t, err)
	var product string
	for _, p := range cat.Products {
		if !slices.ContainsFunc(mine, func(r signoff.Request) bool { return r.ProductID == p.ID }) {
			product = p.ID
			break
		}
	}
	require.NotEmpty(t, product, "a product ALICE has not asked for")
	r, err := svcA.Submit(ctx, alice, product, "Bench of the read cache: a new request must show at once.")
	require.NoError(t, err)
	mine2, err := svcA.MyRequests(ctx, alice)
	require.NoError(t, err)
	assert.Len(t, mine2, len(mine)+1)
	assert.Equal(t, r.RequestID, mine2[0].ID)
	page2, err := svcA.Audit(ctx, audrey, signoff.EventFilter{})
	require.NoError(t, err)
	assert.NotEqual(t, page.Events[0].ID, page2.Events[0].ID, "the newest event is the submission")

	// A grant by the other process shows in this one's identity at once.
	assert.False(t, alice.HasRole("DPO"))
	require.NoError(t, b.GrantRoleToUser(ctx, "DPO", "ALICE", "ACCOUNTADMIN"))
	alice, err = a.Identify(ctx, "ALICE")
	require.NoError(t, err)
	assert.True(t, alice.HasRole("DPO"))

	// A user who does not exist is still refused, every time.
	for range 2 {
		_, err = a.Identify(ctx, "NOBODY")
		assert.ErrorIs(t, err, signoff.ErrUnauthenticated)
	}
}

// TestRequestPageHistoryIsStableWithTheCache views one request's page again
// and again on a file database: the history must read oldest first every
// time (the page once reversed the cache's shared list in place).
func TestRequestPageHistoryIsStableWithTheCache(t *testing.T) {
	ctx := t.Context()
	st := open(t, filepath.Join(t.TempDir(), "history.db"))
	svc := signoff.NewService(st)
	require.NoError(t, demo.Load(ctx, st, svc, time.Now()))
	audrey, err := st.Identify(ctx, "AUDREY")
	require.NoError(t, err)
	mine, err := svc.MyRequests(ctx, signoff.Identity{User: "ALICE", Roles: []string{"PUBLIC"}})
	require.NoError(t, err)
	var id string // a request with a history of several events
	for _, r := range mine {
		if r.Status == signoff.StatusGranted {
			id = r.ID
		}
	}
	require.NotEmpty(t, id, "ALICE has a granted request in the demo")
	var first []string
	for i := range 3 {
		page, err := svc.RequestPage(ctx, audrey, id, "")
		require.NoError(t, err)
		require.GreaterOrEqual(t, len(page.Events), 3)
		assert.Equal(t, signoff.EventRequestSubmitted, page.Events[0].Type, "view %d: oldest first", i+1)
		var ids []string
		for _, e := range page.Events {
			ids = append(ids, e.ID)
		}
		if i == 0 {
			first = ids
		}
		assert.Equal(t, first, ids, "view %d", i+1)
	}
}
