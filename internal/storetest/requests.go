package storetest

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
)

func testSubmit(t *testing.T, f *fixture) {
	ctx := f.ctx
	o, err := f.svc.Submit(ctx, f.who(t, requester), "ledger", "  "+reason+"\n", 0)
	require.NoError(t, err)
	assert.True(t, signoff.ValidID(o.RequestID), "%q", o.RequestID)
	assert.Equal(t, signoff.CodeOK, o.Code)
	assert.Equal(t, requester, o.Actor, "the engine says who acted")
	assert.Equal(t, "General ledger", o.ProductName)
	assert.Equal(t, 3, o.StepCount)
	assert.Equal(t, signoff.StatusPending, o.Status)

	got := f.request(t, o.RequestID)
	assert.Equal(t, o.RequestID, got.ID)
	assert.Equal(t, "ledger", got.ProductID)
	assert.Equal(t, "General ledger", got.ProductName)
	assert.Equal(t, "FINANCE", got.Classification)
	assert.Equal(t, "LEDGER_READ", got.AccessRole)
	assert.Equal(t, requester, got.Requester)
	assert.Equal(t, reason, got.Reason, "the reason is trimmed")
	assert.Equal(t, signoff.StatusPending, got.Status)
	assert.Equal(t, 1, got.CurrentStep)
	assert.Equal(t, 3, got.StepCount)
	assert.True(t, got.CreatedAt.Equal(got.UpdatedAt))
	require.Len(t, got.Steps, len(ledgerChain), "the chain is copied into the request")
	for i, c := range ledgerChain {
		assert.Equal(t, signoff.Step{Order: c.Order, Label: c.Label, ApproverRole: c.ApproverRole}, got.Steps[i])
	}

	evs := f.history(t, o.RequestID)
	require.Len(t, evs, 1)
	ev := evs[0]
	assert.Equal(t, signoff.EventRequestSubmitted, ev.Type)
	assert.Equal(t, requester, ev.Actor)
	assert.Equal(t, o.RequestID, ev.RequestID)
	assert.Equal(t, "ledger", ev.ProductID)
	assert.Equal(t, reason, ev.Comment)
	assert.Equal(t, 1, ev.Seq)
	assert.Equal(t, ev.ComputeHash(), ev.Hash, "the event carries its hash")
	assert.True(t, signoff.ValidID(ev.ID))
	assert.True(t, ev.Time.Equal(got.CreatedAt))

	t.Run("second open request is a conflict", func(t *testing.T) {
		before := f.snap(t, o.RequestID)
		_, err := f.svc.Submit(ctx, f.who(t, requester), "ledger", "Another reason that is long enough.", 0)
		assert.ErrorIs(t, err, signoff.ErrConflict)
		assert.Contains(t, signoff.Message(err), "already have an open request")
		f.unchanged(t, before)

		// The store's answer names the open request.
		dup, err := f.engine.Submit(ctx, f.who(t, requester), signoff.SubmitCall{ProductID: "ledger", Reason: reason,
			RequestID: f.newID(), EventIDs: f.newIDs(1), At: f.clock.Now()})
		require.NoError(t, err)
		assert.Equal(t, signoff.CodeOpenRequestExists, dup.Code)
		assert.Equal(t, o.RequestID, dup.OpenRequestID)
		mine, err := f.reads.Requests(ctx, requester, 10)
		require.NoError(t, err)
		assert.Len(t, mine, 1, "no new request row")
		f.unchanged(t, before)
	})

	t.Run("a request ID is used once", func(t *testing.T) {
		before := f.snap(t, o.RequestID)
		dup, err := f.engine.Submit(ctx, f.who(t, requester2), signoff.SubmitCall{ProductID: "ledger", Reason: reason,
			RequestID: o.RequestID, EventIDs: f.newIDs(1), At: f.clock.Now()})
		require.NoError(t, err)
		assert.Equal(t, signoff.CodeDuplicateID, dup.Code)
		f.unchanged(t, before)
	})

	t.Run("dry run", func(t *testing.T) {
		before := f.events(t, signoff.EventFilter{})
		dry, err := f.engine.Submit(ctx, f.who(t, requester2), signoff.SubmitCall{ProductID: "ledger", Reason: reason,
			RequestID: f.newID(), EventIDs: f.newIDs(1), At: f.clock.Now(), DryRun: true})
		require.NoError(t, err)
		assert.Equal(t, signoff.CodeDryRun, dry.Code)
		_, _, _, err = f.reads.RequestDetail(ctx, dry.RequestID)
		assert.ErrorIs(t, err, signoff.ErrNotFound, "a dry run writes nothing")
		assert.Equal(t, eventIDs(before), eventIDs(f.events(t, signoff.EventFilter{})))
	})

	t.Run("other people and other products are independent", func(t *testing.T) {
		f.submit(t, requester2, "ledger")
		f.submit(t, requester, "reports")
	})

	t.Run("a closed request does not block a new one", func(t *testing.T) {
		require.NoError(t, f.svc.Withdraw(ctx, f.who(t, requester), o.RequestID))
		again := f.submit(t, requester, "ledger")
		assert.NotEqual(t, o.RequestID, again.ID)
	})

	t.Run("a product without a chain cannot be requested", func(t *testing.T) {
		_, err := f.svc.Submit(ctx, f.who(t, requester), "draft", reason, 0)
		assert.ErrorIs(t, err, signoff.ErrInvalid)
		assert.Contains(t, signoff.Message(err), "no approval chain")
	})

	t.Run("unknown product", func(t *testing.T) {
		_, err := f.svc.Submit(ctx, f.who(t, requester), "no-such-product", reason, 0)
		assert.ErrorIs(t, err, signoff.ErrNotFound)
	})
}

func testRequests(t *testing.T, f *fixture) {
	first := f.submit(t, requester, "ledger")
	second := f.submit(t, requester, "reports")
	f.submit(t, requester2, "ledger")
	f.approve(t, manager, first.ID)
	listed, err := f.reads.Requests(f.ctx, requester, 10)
	require.NoError(t, err)
	i := slices.IndexFunc(listed, func(r signoff.Request) bool { return r.ID == first.ID })
	require.GreaterOrEqual(t, i, 0)
	first = listed[i] // as the lists read it; RequestDetail must read the same below

	mine, err := f.svc.MyRequests(f.ctx, f.who(t, requester))
	require.NoError(t, err)
	assert.Equal(t, []string{second.ID, first.ID}, requestIDs(mine), "newest first, only the requester's")
	for _, r := range mine {
		assert.Len(t, r.Steps, r.StepCount, "with their steps")
	}

	limited, err := f.reads.Requests(f.ctx, requester, 1)
	require.NoError(t, err)
	assert.Equal(t, []string{second.ID}, requestIDs(limited))

	none, err := f.reads.Requests(f.ctx, stranger, 10)
	require.NoError(t, err)
	assert.Empty(t, none)

	_, _, _, err = f.reads.RequestDetail(f.ctx, f.newID())
	assert.ErrorIs(t, err, signoff.ErrNotFound)

	// RequestDetail: the request as the lists read it, its product as
	// ProductFor reads it less the chain (the request's steps stand for it), and its
	// audit events, oldest first, as Events reads them.
	r, p, evs, err := f.reads.RequestDetail(f.ctx, first.ID)
	require.NoError(t, err)
	assert.Equal(t, first, r)
	want := products[0]
	want.Chain = nil
	assert.Equal(t, want, p)
	assert.Equal(t, f.history(t, first.ID), evs)
	require.Len(t, evs, 2)
	_, _, _, err = f.reads.RequestDetail(f.ctx, f.newID())
	assert.ErrorIs(t, err, signoff.ErrNotFound)

	page, err := f.svc.Product(f.ctx, f.who(t, requester), "ledger")
	require.NoError(t, err)
	require.NotNil(t, page.Open, "the product page links to the open request")
	assert.Equal(t, first.ID, page.Open.ID)
	assert.Equal(t, signoff.StatusPending, page.Open.Status)
	assert.Equal(t, first.CreatedAt, page.Open.CreatedAt, "when it was made")
	assert.Equal(t, stored(products[0]), page.Product, "ProductFor reads the product as Product does")
	other, err := f.svc.Product(f.ctx, f.who(t, stranger), "ledger")
	require.NoError(t, err)
	assert.Nil(t, other.Open, "someone else's request is not the viewer's")
	_, _, err = f.reads.ProductFor(f.ctx, "no-such-product", requester)
	assert.ErrorIs(t, err, signoff.ErrNotFound)
}

func testWithdraw(t *testing.T, f *fixture) {
	ctx := f.ctx
	r := f.submit(t, requester, "ledger")
	f.approve(t, manager, r.ID)

	for _, user := range []string{manager, owner, admin, stranger} {
		before := f.snap(t, r.ID)
		_, confirmErr := f.svc.ConfirmWithdraw(ctx, f.who(t, user), r.ID)
		err := f.svc.Withdraw(ctx, f.who(t, user), r.ID)
		sameRefusal(t, err, confirmErr)
		assert.ErrorIs(t, err, signoff.ErrForbidden, "%s may not withdraw", user)
		assert.Equal(t, signoff.CodeNotRequester, codeOf(err))
		assert.NotEmpty(t, signoff.Message(err))
		f.unchanged(t, before)
	}
	before := f.snap(t, r.ID)
	_, confirmErr := f.svc.ConfirmWithdraw(ctx, signoff.Identity{}, r.ID)
	assert.ErrorIs(t, confirmErr, signoff.ErrUnauthenticated)
	assert.ErrorIs(t, f.svc.Withdraw(ctx, signoff.Identity{}, r.ID), signoff.ErrUnauthenticated)
	_, confirmErr = f.svc.ConfirmWithdraw(ctx, f.who(t, requester), r.ID)
	assert.NoError(t, confirmErr, "the requester is asked to confirm")
	f.unchanged(t, before)

	require.NoError(t, f.svc.Withdraw(ctx, f.who(t, requester), r.ID))
	got := f.request(t, r.ID)
	assert.Equal(t, signoff.StatusWithdrawn, got.Status)
	evs := f.history(t, r.ID)
	last := evs[len(evs)-1]
	assert.Equal(t, signoff.EventRequestWithdrawn, last.Type)
	assert.Equal(t, requester, last.Actor)
	assert.Equal(t, 2, last.Step)

	before = f.snap(t, r.ID)
	_, confirmErr = f.svc.ConfirmWithdraw(ctx, f.who(t, requester), r.ID)
	err := f.svc.Withdraw(ctx, f.who(t, requester), r.ID)
	assert.ErrorIs(t, err, signoff.ErrConflict, "only once")
	sameRefusal(t, err, confirmErr)
	for _, in := range []signoff.DecisionInput{
		{Decision: signoff.DecisionApprove},
		{Decision: signoff.DecisionApprove, Step: 2},
	} {
		_, err := f.svc.Decide(ctx, f.who(t, owner), r.ID, in)
		assert.ErrorIs(t, err, signoff.ErrConflict, "a withdrawn request cannot be decided")
		assert.NotEmpty(t, signoff.Message(err))
	}
	f.unchanged(t, before)

	q, err := f.svc.Queue(ctx, f.who(t, owner), signoff.QueueInput{})
	require.NoError(t, err)
	assert.NotContains(t, requestIDs(q.Requests), r.ID)

	t.Run("only pending", func(t *testing.T) {
		g := f.submit(t, requester2, "reports")
		require.Equal(t, signoff.StatusGranted, f.approve(t, owner, g.ID).Status)
		before := f.snap(t, g.ID)
		_, confirmErr := f.svc.ConfirmWithdraw(ctx, f.who(t, requester2), g.ID)
		err := f.svc.Withdraw(ctx, f.who(t, requester2), g.ID)
		sameRefusal(t, err, confirmErr)
		assert.ErrorIs(t, err, signoff.ErrConflict)
		assert.Equal(t, signoff.CodeWrongStatus, codeOf(err))
		f.unchanged(t, before)
		assert.True(t, f.hasRole(t, requester2, "REPORTS_READ"))
	})
}

func testQueue(t *testing.T, f *fixture) {
	ctx := f.ctx
	r1 := f.submit(t, requester2, "ledger") // step 1, LINE_MANAGER
	r2 := f.submit(t, requester, "reports") // step 1, DATA_OWNER
	r3 := f.submit(t, manager, "ledger")    // step 1, LINE_MANAGER, MGR's own
	r4 := f.submit(t, requester, "ledger")  // BOTH approves step 1: step 2, DATA_OWNER
	f.approve(t, both, r4.ID)
	r5 := f.submit(t, requester2, "contracts") // rejected: closed
	_, err := f.svc.Decide(ctx, f.who(t, manager2), r5.ID, signoff.DecisionInput{Decision: signoff.DecisionReject, Comment: "No."})
	require.NoError(t, err)

	store := []struct {
		name  string
		roles []string
		user  string
		limit int
		want  []string
	}{
		{"manager: not their own, not past step 1, not closed", []string{roleManager}, manager, 100, []string{r1.ID}},
		{"requester who approves: not their own", []string{roleManager}, requester, 100, []string{r1.ID, r3.ID}},
		{"owner", []string{roleOwner}, owner, 100, []string{r2.ID, r4.ID}},
		{"both roles: not a request they decided a step of", []string{roleManager, roleOwner}, both, 100, []string{r1.ID, r2.ID, r3.ID}},
		{"limit", []string{roleManager, roleOwner}, both, 2, []string{r1.ID, r2.ID}},
		{"a role keying no current step", []string{roleDPO}, security, 100, nil},
		{"no roles", nil, owner, 100, nil},
	}
	for _, tt := range store {
		t.Run("store/"+tt.name, func(t *testing.T) {
			got, err := f.reads.Queue(ctx, signoff.QueueFilter{Roles: tt.roles, User: tt.user, Limit: tt.limit})
			require.NoError(t, err)
			assert.Equal(t, tt.want, nilIfEmpty(requestIDs(got.Requests)), "oldest first")
			for _, r := range got.Requests {
				assert.Equal(t, signoff.StatusPending, r.Status)
				assert.Len(t, r.Steps, r.StepCount, "with their steps")
			}
		})
	}

	service := []struct {
		name     string
		user     string
		actingAs string
		want     []string
		roles    []string
		kind     error
	}{
		{"all roles", both, "", []string{r1.ID, r2.ID, r3.ID}, []string{roleOwner, roleManager}, nil},
		{"acting as line manager", both, roleManager, []string{r1.ID, r3.ID}, []string{roleOwner, roleManager}, nil},
		{"acting as data owner", both, roleOwner, []string{r2.ID}, []string{roleOwner, roleManager}, nil},
		{"inherited role", security, "", nil, []string{roleDPO}, nil},
		{"no approver roles", stranger, "", nil, nil, nil},
		{"acting as a role not held", both, roleDPO, nil, nil, signoff.ErrForbidden},
		{"acting as a role that approves nothing", admin, signoff.RoleAdmin, nil, nil, signoff.ErrForbidden},
	}
	for _, tt := range service {
		t.Run("service/"+tt.name, func(t *testing.T) {
			q, err := f.svc.Queue(ctx, f.who(t, tt.user), signoff.QueueInput{ActingAs: tt.actingAs})
			if tt.kind != nil {
				assert.ErrorIs(t, err, tt.kind)
				assert.NotEmpty(t, signoff.Message(err))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, nilIfEmpty(requestIDs(q.Requests)))
			assert.Equal(t, tt.roles, q.Roles)
			assert.Equal(t, tt.actingAs, q.ActingAs)
		})
	}

	_, err = f.svc.Queue(ctx, signoff.Identity{}, signoff.QueueInput{})
	assert.ErrorIs(t, err, signoff.ErrUnauthenticated)
}
