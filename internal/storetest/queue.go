package storetest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
)

// testQueuePages: the approver queue's orders, filters and keyset pages,
// the filters' choices that come with every read, and the next request
// after a decision.
func testQueuePages(t *testing.T, f *fixture) {
	ctx := f.ctx
	// h is submitted first but reaches the data owner's step late: the
	// queue orders by how long a request has waited at its current step.
	h := f.submit(t, stranger, "ledger")
	a := f.submit(t, requester, "ledger")
	b := f.submit(t, requester2, "contracts")
	c := f.submit(t, manager, "ledger")
	d := f.submit(t, owner, "contracts")
	f.clock.freeze(true) // e and f arrive at the same moment: the request ID breaks the tie
	e := f.submit(t, security, "ledger")
	ff := f.submit(t, admin, "contracts")
	f.clock.freeze(false)
	g := f.submit(t, auditor, "ledger")
	x := f.submit(t, stranger, "reports")
	f.approve(t, manager, h.ID) // h moves on to the data owner's step
	y := f.submit(t, requester2, "reports")
	require.True(t, e.UpdatedAt.Equal(ff.UpdatedAt), "a tie on the time waited")
	require.Less(t, e.ID, ff.ID)

	ids := func(rs ...signoff.Request) []string {
		out := make([]string, len(rs))
		for i, r := range rs {
			out[i] = r.ID
		}
		return out
	}
	mgr := []string{roleManager}
	read := func(t *testing.T, qf signoff.QueueFilter) signoff.QueueRows {
		t.Helper()
		if qf.Limit == 0 {
			qf.Limit = 100
		}
		got, err := f.reads.Queue(ctx, qf)
		require.NoError(t, err)
		return got
	}

	orders := []struct {
		name string
		f    signoff.QueueFilter
		want []string
	}{
		{"oldest first by default", signoff.QueueFilter{Roles: mgr, User: manager2}, ids(a, b, c, d, e, ff, g)},
		{"oldest", signoff.QueueFilter{Roles: mgr, User: manager2, Sort: signoff.QueueOldest}, ids(a, b, c, d, e, ff, g)},
		{"newest", signoff.QueueFilter{Roles: mgr, User: manager2, Sort: signoff.QueueNewest}, ids(g, ff, e, d, c, b, a)},
		{"by product name, then oldest", signoff.QueueFilter{Roles: mgr, User: manager2, Sort: signoff.QueueByProduct},
			ids(a, c, e, g, b, d, ff)},
		{"waiting at the current step, not since submission", signoff.QueueFilter{Roles: []string{roleOwner}, User: owner},
			ids(x, h, y)},
		{"product", signoff.QueueFilter{Roles: mgr, User: manager2, ProductID: "contracts"}, ids(b, d, ff)},
		{"classification", signoff.QueueFilter{Roles: mgr, User: manager2, Classification: "FINANCE"}, ids(a, c, e, g)},
		{"classification, newest", signoff.QueueFilter{Roles: mgr, User: manager2, Classification: "CONFIDENTIAL",
			Sort: signoff.QueueNewest}, ids(ff, d, b)},
		{"classification, by product", signoff.QueueFilter{Roles: []string{roleManager, roleOwner}, User: manager2,
			Classification: "INTERNAL", Sort: signoff.QueueByProduct}, ids(x, y)},
		{"product and classification that do not meet", signoff.QueueFilter{Roles: mgr, User: manager2, ProductID: "ledger",
			Classification: "CONFIDENTIAL"}, nil},
		{"a product no step of these roles is for", signoff.QueueFilter{Roles: mgr, User: manager2, ProductID: "reports"}, nil},
		{"the viewer's own request is left out", signoff.QueueFilter{Roles: mgr, User: manager}, ids(a, b, d, e, ff, g)},
	}
	for _, tt := range orders {
		t.Run("store/"+tt.name, func(t *testing.T) {
			got := read(t, tt.f)
			assert.Equal(t, tt.want, nilIfEmpty(requestIDs(got.Requests)))
			for _, r := range got.Requests {
				assert.Equal(t, signoff.StatusPending, r.Status)
				assert.Len(t, r.Steps, r.StepCount, "with their steps")
				assert.Equal(t, f.request(t, r.ID), r, "the whole request, as its page reads it")
			}

			// Keyset pages of every size put together are the whole list,
			// in order, each request once.
			for _, size := range []int{1, 2, 3} {
				var all []string
				qf := tt.f
				qf.Limit = size
				for page := 0; ; page++ {
					require.Less(t, page, 20, "paging ends")
					rows := read(t, qf).Requests
					require.LessOrEqual(t, len(rows), size)
					all = append(all, requestIDs(rows)...)
					if len(rows) < size {
						break
					}
					k := signoff.QueueKeyOf(rows[len(rows)-1], qf.Sort)
					qf.After = &k
				}
				assert.Equal(t, tt.want, nilIfEmpty(all), "pages of %d", size)
			}
		})
	}

	t.Run("store/the filters' choices come with every read", func(t *testing.T) {
		ledger := signoff.Product{ID: "ledger", Name: "General ledger", Classification: "FINANCE"}
		contracts := signoff.Product{ID: "contracts", Name: "Supplier contracts", Classification: "CONFIDENTIAL"}
		reports := signoff.Product{ID: "reports", Name: "Weekly reports", Classification: "INTERNAL"}
		archive := signoff.Product{ID: "reports-archive", Name: "Weekly reports archive", Classification: "INTERNAL"}
		timed := signoff.Product{ID: "timed", Name: "Timed extract", Classification: "PII"}
		vacant := signoff.Product{ID: "vacant", Name: "Vacant seat", Classification: "INTERNAL"}
		renewable := signoff.Product{ID: "renewable", Name: "Renewable extract", Classification: "INTERNAL"}
		for _, tt := range []struct {
			name string
			f    signoff.QueueFilter
			want []signoff.Product
		}{
			{"line manager", signoff.QueueFilter{Roles: mgr, User: manager2}, []signoff.Product{ledger, contracts, timed, vacant}},
			{"whatever the filters and page", signoff.QueueFilter{Roles: mgr, User: manager2, ProductID: "ledger",
				Classification: "CONFIDENTIAL", Sort: signoff.QueueByProduct,
				After: &signoff.QueueKey{Sort: signoff.QueueByProduct, Waiting: g.UpdatedAt, RequestID: g.ID, ProductName: "Zzz"}},
				[]signoff.Product{ledger, contracts, timed, vacant}},
			{"a fallback role: the products whose steps it keys or may escalate to it", signoff.QueueFilter{Roles: []string{roleFallback}, User: governor},
				[]signoff.Product{renewable, timed, vacant}},
			{"data owner: any step of the chain, by name", signoff.QueueFilter{Roles: []string{roleOwner}, User: owner},
				[]signoff.Product{ledger, reports, archive}},
			{"a role with nothing waiting", signoff.QueueFilter{Roles: []string{roleDPO}, User: security},
				[]signoff.Product{ledger}},
			{"two roles: each product once", signoff.QueueFilter{Roles: []string{roleManager, roleOwner}, User: both},
				[]signoff.Product{ledger, contracts, timed, vacant, reports, archive}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				assert.Equal(t, tt.want, read(t, tt.f).Products)
			})
		}
	})

	t.Run("service/pages of QueueLimit with a cursor to the next", func(t *testing.T) {
		// Enough requests for more than a page (before the others in
		// order: "Extra product" sorts before "General ledger").
		var extra []string
		for i := range signoff.QueueLimit {
			user := fmt.Sprintf("EXTRA%02d", i)
			require.NoError(t, f.acct.CreateUser(ctx, user, user, "storetest"))
			extra = append(extra, f.submit(t, user, "contracts").ID)
		}
		all := append(ids(a, b, c, d, e, ff, g), extra...)
		viewer := f.who(t, manager2)
		q, err := f.svc.Queue(ctx, viewer, signoff.QueueInput{})
		require.NoError(t, err)
		assert.Equal(t, all[:signoff.QueueLimit], requestIDs(q.Requests))
		require.NotEmpty(t, q.Next, "more than a page")
		assert.Equal(t, signoff.QueueOldest, q.Input.Sort, "the default order, filled in")
		assert.Equal(t, []string{"CONFIDENTIAL", "FINANCE", "INTERNAL", "PII"}, q.Classifications)
		assert.Equal(t, []string{"ledger", "contracts", "timed", "vacant"}, productIDs(q.Products))

		q2, err := f.svc.Queue(ctx, viewer, signoff.QueueInput{After: q.Next})
		require.NoError(t, err)
		assert.Equal(t, all[signoff.QueueLimit:], requestIDs(q2.Requests))
		assert.Empty(t, q2.Next, "the last page")

		q, err = f.svc.Queue(ctx, viewer, signoff.QueueInput{Sort: signoff.QueueNewest})
		require.NoError(t, err)
		reversed := slices.Clone(all)
		slices.Reverse(reversed)
		assert.Equal(t, reversed[:signoff.QueueLimit], requestIDs(q.Requests))
		_, err = f.svc.Queue(ctx, viewer, signoff.QueueInput{After: q.Next})
		assert.ErrorIs(t, err, signoff.ErrInvalid, "a newest-first cursor does not continue the oldest-first order")
	})

	t.Run("service/the next request after a decision", func(t *testing.T) {
		viewer := f.who(t, manager2)
		next := func(t *testing.T, in signoff.QueueInput) signoff.Queue {
			t.Helper()
			in.Next = true
			q, err := f.svc.Queue(ctx, viewer, in)
			require.NoError(t, err)
			return q
		}
		key := func(r signoff.Request, s signoff.QueueSort) string { return signoff.QueueKeyOf(r, s).String() }

		q := next(t, signoff.QueueInput{After: key(c, signoff.QueueOldest)})
		require.NotEmpty(t, q.Requests)
		assert.Equal(t, d.ID, q.Requests[0].ID, "the one after c")

		q = next(t, signoff.QueueInput{ProductID: "ledger", After: key(a, signoff.QueueOldest)})
		assert.Equal(t, c.ID, q.Requests[0].ID, "the next of the same product")

		q = next(t, signoff.QueueInput{Sort: signoff.QueueByProduct, After: key(g, signoff.QueueByProduct)})
		assert.Equal(t, b.ID, q.Requests[0].ID, "by product, after the last ledger request comes the first contracts one")

		q = next(t, signoff.QueueInput{ProductID: "ledger", After: key(g, signoff.QueueOldest)})
		assert.Equal(t, a.ID, q.Requests[0].ID, "nothing after g: round to the start")
		assert.Empty(t, q.Input.After)

		q = next(t, signoff.QueueInput{})
		assert.Equal(t, a.ID, q.Requests[0].ID, "without a cursor: the first")

		q = next(t, signoff.QueueInput{ProductID: "ledger", Classification: "CONFIDENTIAL"})
		assert.Empty(t, q.Requests, "nothing left")
	})

	t.Run("service/bad input is refused", func(t *testing.T) {
		viewer := f.who(t, manager2)
		cursor := signoff.QueueKeyOf(c, signoff.QueueOldest).String()
		for _, in := range []signoff.QueueInput{
			{Sort: "cheapest"},
			{Sort: "OLDEST"},
			{After: "not-a-cursor"},
			{After: cursor + "x"},
			{After: cursor, Sort: signoff.QueueNewest},
			{After: signoff.QueueKey{Sort: signoff.QueueOldest, RequestID: "' OR 1=1 --"}.String()},
			{After: signoff.QueueKey{Sort: signoff.QueueByProduct, RequestID: c.ID}.String(), Sort: signoff.QueueByProduct},
			{ProductID: "reports"},     // not a product of the line manager's steps
			{ProductID: "no-such"},     // not a product at all
			{Classification: "PUBLIC"}, // no product of these roles has it
			{Classification: "finance"},
		} {
			_, err := f.svc.Queue(ctx, viewer, in)
			assert.ErrorIs(t, err, signoff.ErrInvalid, "%+v", in)
			assert.NotEmpty(t, signoff.Message(err), "%+v", in)
		}
		q, err := f.svc.Queue(ctx, viewer, signoff.QueueInput{ProductID: "ledger", Classification: "CONFIDENTIAL"})
		require.NoError(t, err, "each filter is one of the choices; together they match nothing")
		assert.Empty(t, q.Requests)

		_, err = f.svc.Queue(ctx, f.who(t, stranger), signoff.QueueInput{ProductID: "ledger"})
		assert.ErrorIs(t, err, signoff.ErrInvalid, "no approver roles: nothing to filter")
	})
}

func productIDs(ps []signoff.Product) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}
