// Package storetest is the contract suite that every signoff.Store must
// pass. It drives the workflow through signoff.Service, as the app does, and
// calls the Store's actions directly where the engine's own checks are what
// keep the promises of DESIGN.md: the Service checks only the shape of what
// people type, and a caller of the Snowflake API procedures never passes
// through it at all.
//
// An engine's tests call Run with a function that opens a fresh, empty store:
//
//	storetest.Run(t, func(t *testing.T) storetest.Harness {
//		st := openEmptyStore(t)
//		return storetest.Harness{Store: st, Account: st}
//	})
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
)

// Account is the part of an engine's local account that the suite uses to
// set up users, roles, role hierarchy and products, and to read a user's
// identity (the roles in their session) back. The embedded engine's
// *sqlite.Store implements it.
type Account interface {
	// CreateUser adds a user (CREATE USER).
	CreateUser(ctx context.Context, user, name, title string) error
	// CreateRole adds a role (CREATE ROLE).
	CreateRole(ctx context.Context, role, comment string) error
	// GrantRoleToRole makes grantee inherit role (GRANT ROLE role TO ROLE grantee).
	GrantRoleToRole(ctx context.Context, role, grantee string) error
	// GrantRoleToUser grants role to user directly, as an administrator would.
	GrantRoleToUser(ctx context.Context, role, user, by string) error
	// DropRole removes a role and every grant of it (DROP ROLE).
	DropRole(ctx context.Context, role string) error
	// CreateProduct adds a product and its approval chain to the catalog.
	CreateProduct(ctx context.Context, p signoff.Product) error
	// Identify returns user's identity with every role in their session,
	// inherited ones included; ErrUnauthenticated for an unknown user.
	Identify(ctx context.Context, user string) (signoff.Identity, error)
}

// Harness is one store under test: a fresh, empty Store and the Account its
// grants land in. Store and Account are usually the same value.
type Harness struct {
	Store   signoff.Store
	Account Account
}

// Run runs the contract suite as subtests of t. open is called once per
// subtest and must return a fresh, empty harness, registering its own
// cleanup with t.Cleanup. Some subtests race goroutines against each other,
// so an engine should also be run on a real file to exercise its locking.
func Run(t *testing.T, open func(t *testing.T) Harness) {
	tests := []struct {
		name string
		fn   func(t *testing.T, f *fixture)
	}{
		{"Catalog", testCatalog},
		{"Account", testAccount},
		{"Submit", testSubmit},
		{"Requests", testRequests},
		{"WalkChainToGrant", testWalkChainToGrant},
		{"SeparationOfDuties", testSeparationOfDuties},
		{"Reject", testReject},
		{"ActionRules", testActionRules},
		{"ConcurrentDecisions", testConcurrentDecisions},
		{"ConcurrentSubmissions", testConcurrentSubmissions},
		{"GrantFailureAndRetry", testGrantFailureAndRetry},
		{"GrantGuard", testGrantGuard},
		{"Withdraw", testWithdraw},
		{"Revoke", testRevoke},
		{"Events", testEvents},
		{"Queue", testQueue},
		{"BadInputChangesNothing", testBadInputChangesNothing},
		{"UserNames", testUserNames},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, setup(t, open(t)))
		})
	}
}

// The fixture's people. Each holds the roles noted, granted directly.
const (
	requester  = "REQ"      // ANALYST, LINE_MANAGER: could approve step 1 of others' requests
	requester2 = "REQ2"     // ANALYST
	manager    = "MGR"      // LINE_MANAGER
	manager2   = "MGR2"     // LINE_MANAGER
	owner      = "OWNER"    // DATA_OWNER
	both       = "BOTH"     // LINE_MANAGER and DATA_OWNER
	security   = "SEC"      // SECURITY_LEAD, which inherits DPO
	admin      = "ADMIN"    // SIGNOFF_ADMIN
	auditor    = "AUDITOR"  // SIGNOFF_AUDITOR
	stranger   = "STRANGER" // no roles
)

const (
	roleManager  = "LINE_MANAGER"
	roleOwner    = "DATA_OWNER"
	roleDPO      = "DPO"
	roleSecurity = "SECURITY_LEAD"
)

// reason is a valid business reason.
const reason = "Quarterly close reconciliation needs the journal lines."

var users = []struct {
	name  string
	roles []string
}{
	{requester, []string{"ANALYST", roleManager}},
	{requester2, []string{"ANALYST"}},
	{manager, []string{roleManager}},
	{manager2, []string{roleManager}},
	{owner, []string{roleOwner}},
	{both, []string{roleManager, roleOwner}},
	{security, []string{roleSecurity}},
	{admin, []string{signoff.RoleAdmin}},
	{auditor, []string{signoff.RoleAuditor}},
	{stranger, nil},
}

// Access roles. CONTRACTS_READ is missing on purpose: granting it fails.
var roles = []string{"ANALYST", roleManager, roleOwner, roleDPO, roleSecurity,
	signoff.RoleAdmin, signoff.RoleAuditor, "LEDGER_READ", "REPORTS_READ"}

var ledgerChain = []signoff.ChainStep{
	{Order: 1, ApproverRole: roleManager, Label: "Line manager"},
	{Order: 2, ApproverRole: roleOwner, Label: "Data owner"},
	{Order: 3, ApproverRole: roleDPO, Label: "Data protection"},
}

var products = []signoff.Product{
	{
		ID: "ledger", Name: "General ledger", Description: "Posted journal lines.", Owner: "Group finance",
		OwnerRole: roleOwner, Domain: "Finance", Classification: "FINANCE", Tags: []string{"finance", "sox"},
		Columns: []signoff.Column{{Name: "JOURNAL_ID", Type: "VARCHAR"},
			{Name: "AMOUNT_EUR", Type: "NUMBER(14,2)", Description: "Signed amount", Sensitive: true}},
		AccessRole: "LEDGER_READ", Chain: ledgerChain,
	},
	{
		ID: "reports", Name: "Weekly reports", Description: "Weekly KPI reports.", Owner: "Analytics",
		OwnerRole: roleOwner, Domain: "Analytics", Classification: "INTERNAL", Tags: []string{"kpi"},
		AccessRole: "REPORTS_READ", Chain: []signoff.ChainStep{{Order: 1, ApproverRole: roleOwner, Label: "Data owner"}},
	},
	{
		ID: "contracts", Name: "Supplier contracts", Description: "Contract terms.", Owner: "Procurement",
		OwnerRole: roleOwner, Domain: "Procurement", Classification: "CONFIDENTIAL",
		AccessRole: "CONTRACTS_READ", Chain: []signoff.ChainStep{{Order: 1, ApproverRole: roleManager, Label: "Line manager"}},
	},
	{
		// Shares its access role with "reports": revoking one must not take
		// away what the other still justifies.
		ID: "reports-archive", Name: "Weekly reports archive", Description: "Older weekly KPI reports.", Owner: "Analytics",
		OwnerRole: roleOwner, Domain: "Analytics", Classification: "INTERNAL", Tags: []string{"kpi", "archive"},
		AccessRole: "REPORTS_READ", Chain: []signoff.ChainStep{{Order: 1, ApproverRole: roleOwner, Label: "Data owner"}},
	},
	{
		ID: "draft", Name: "Draft product", Description: "Not requestable yet.", Owner: "Analytics",
		OwnerRole: roleOwner, Domain: "Analytics", Classification: "INTERNAL", AccessRole: "REPORTS_READ",
	},
}

// clock is a deterministic clock: every reading is one second after the last.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

// fixture is a store filled with the suite's account and catalog, and a
// Service over it.
type fixture struct {
	ctx   context.Context
	store signoff.Store
	acct  Account
	svc   *signoff.Service
	clock *clock
	ids   signoff.IDGenerator // for events written straight to the store
}

func setup(t *testing.T, h Harness) *fixture {
	t.Helper()
	require.NotNil(t, h.Store, "harness has no store")
	require.NotNil(t, h.Account, "harness has no account")
	ctx := t.Context()
	for _, r := range roles {
		require.NoError(t, h.Account.CreateRole(ctx, r, "storetest"))
	}
	require.NoError(t, h.Account.GrantRoleToRole(ctx, roleDPO, roleSecurity))
	for _, u := range users {
		require.NoError(t, h.Account.CreateUser(ctx, u.name, strings.ToLower(u.name), "storetest"))
		for _, r := range u.roles {
			require.NoError(t, h.Account.GrantRoleToUser(ctx, r, u.name, "ACCOUNTADMIN"))
		}
	}
	for _, p := range products {
		require.NoError(t, h.Account.CreateProduct(ctx, p))
	}
	f := &fixture{ctx: ctx, store: h.Store, acct: h.Account, svc: signoff.NewService(h.Store),
		clock: &clock{t: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}}
	f.svc.Now = f.clock.Now
	return f
}

// who returns user's identity as the account reports it.
func (f *fixture) who(t *testing.T, user string) signoff.Identity {
	t.Helper()
	id, err := f.acct.Identify(f.ctx, user)
	require.NoError(t, err)
	return id
}

// newID returns a fresh ID for a row written straight to the store.
func (f *fixture) newID() string { return f.ids.New(f.clock.Now()) }

func (f *fixture) submit(t *testing.T, user, product string) signoff.Request {
	t.Helper()
	o, err := f.svc.Submit(f.ctx, f.who(t, user), product, reason)
	require.NoError(t, err, "%s requests %s", user, product)
	return f.request(t, o.RequestID)
}

func (f *fixture) approve(t *testing.T, user, id string) signoff.Outcome {
	t.Helper()
	o, err := f.svc.Decide(f.ctx, f.who(t, user), id, signoff.DecisionInput{Decision: signoff.DecisionApprove})
	require.NoError(t, err, "%s approves %s", user, id)
	return o
}

// eventIDs returns n fresh IDs for the events of an action called straight
// on the store.
func (f *fixture) newIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = f.newID()
	}
	return ids
}

// decideCall is user's approval of step of request id, for the store.
func (f *fixture) decideCall(id string, step int) signoff.DecideCall {
	return signoff.DecideCall{RequestID: id, Step: step, Decision: signoff.DecisionApprove, EventIDs: f.newIDs(3),
		At: f.clock.Now()}
}

func (f *fixture) request(t *testing.T, id string) signoff.Request {
	t.Helper()
	r, err := f.store.Request(f.ctx, id)
	require.NoError(t, err)
	return r
}

// events returns the events matching filter (with a generous limit), newest first.
func (f *fixture) events(t *testing.T, filter signoff.EventFilter) []signoff.Event {
	t.Helper()
	if filter.Limit == 0 {
		filter.Limit = 10_000
	}
	evs, err := f.store.Events(f.ctx, filter)
	require.NoError(t, err)
	return evs
}

// history returns request id's events, oldest first.
func (f *fixture) history(t *testing.T, id string) []signoff.Event {
	t.Helper()
	evs := f.events(t, signoff.EventFilter{RequestID: id})
	slices.Reverse(evs)
	return evs
}

func (f *fixture) hasRole(t *testing.T, user, role string) bool {
	t.Helper()
	return f.who(t, user).HasRole(role)
}

func types(evs []signoff.Event) []signoff.EventType {
	out := make([]signoff.EventType, len(evs))
	for i, e := range evs {
		out[i] = e.Type
	}
	return out
}

func eventIDs(evs []signoff.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.ID
	}
	return out
}

func requestIDs(rs []signoff.Request) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

func countType(evs []signoff.Event, typ signoff.EventType) int {
	n := 0
	for _, e := range evs {
		if e.Type == typ {
			n++
		}
	}
	return n
}

// snapshot is a request and the whole audit log at one moment.
type snapshot struct {
	Request signoff.Request
	Events  []signoff.Event
}

func (f *fixture) snap(t *testing.T, id string) snapshot {
	t.Helper()
	return snapshot{Request: f.request(t, id), Events: f.events(t, signoff.EventFilter{})}
}

// unchanged asserts that neither the request nor the audit log changed since before.
func (f *fixture) unchanged(t *testing.T, before snapshot, msgAndArgs ...any) {
	t.Helper()
	after := f.snap(t, before.Request.ID)
	assert.Equal(t, before.Request, after.Request, msgAndArgs...)
	assert.Equal(t, eventIDs(before.Events), eventIDs(after.Events), msgAndArgs...)
}

func testCatalog(t *testing.T, f *fixture) {
	ps, err := f.store.Products(f.ctx)
	require.NoError(t, err)
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Name
	}
	assert.Equal(t, []string{"Draft product", "General ledger", "Supplier contracts", "Weekly reports",
		"Weekly reports archive"}, names,
		"products are ordered by name; a product without a chain is listed")

	p, err := f.store.Product(f.ctx, "ledger")
	require.NoError(t, err)
	assert.Equal(t, products[0], p, "a product round-trips with its tags, columns and chain")
	draft, err := f.store.Product(f.ctx, "draft")
	require.NoError(t, err)
	assert.Empty(t, draft.Chain)

	_, err = f.store.Product(f.ctx, "no-such-product")
	assert.ErrorIs(t, err, signoff.ErrNotFound)

	approvers, err := f.store.ApproverRoles(f.ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{roleOwner, roleDPO, roleManager}, approvers, "distinct and sorted")

	c, err := f.svc.Catalog(f.ctx, f.who(t, requester), signoff.ProductFilter{Classification: "finance"}, 1)
	require.NoError(t, err)
	assert.Equal(t, len(products), c.Total)
	require.Len(t, c.Products, 1)
	assert.Equal(t, "ledger", c.Products[0].ID)
}

func testAccount(t *testing.T, f *fixture) {
	sec := f.who(t, security)
	assert.Equal(t, security, sec.User)
	assert.True(t, sec.HasRole(roleSecurity))
	assert.True(t, sec.HasRole(roleDPO), "SECURITY_LEAD inherits DPO")
	assert.False(t, sec.HasRole(roleOwner))
	assert.True(t, slices.IsSorted(sec.Roles))

	for _, user := range []string{"NOBODY", "", `X" OR 1=1 --`, "req", "ReQ"} {
		_, err := f.acct.Identify(f.ctx, user)
		assert.ErrorIs(t, err, signoff.ErrUnauthenticated, "user %q: names match exactly", user)
	}

	require.NoError(t, f.acct.DropRole(f.ctx, roleDPO))
	assert.False(t, f.hasRole(t, security, roleDPO), "a dropped role leaves every session")
	assert.True(t, f.hasRole(t, security, roleSecurity))
}

func testSubmit(t *testing.T, f *fixture) {
	ctx := f.ctx
	o, err := f.svc.Submit(ctx, f.who(t, requester), "ledger", "  "+reason+"\n")
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
		_, err := f.svc.Submit(ctx, f.who(t, requester), "ledger", "Another reason that is long enough.")
		assert.ErrorIs(t, err, signoff.ErrConflict)
		assert.Contains(t, signoff.Message(err), "already have an open request")
		f.unchanged(t, before)

		// The store's answer names the open request.
		dup, err := f.store.Submit(ctx, f.who(t, requester), signoff.SubmitCall{ProductID: "ledger", Reason: reason,
			RequestID: f.newID(), EventIDs: f.newIDs(1), At: f.clock.Now()})
		require.NoError(t, err)
		assert.Equal(t, signoff.CodeOpenRequestExists, dup.Code)
		assert.Equal(t, o.RequestID, dup.OpenRequestID)
		mine, err := f.store.Requests(ctx, requester, 10)
		require.NoError(t, err)
		assert.Len(t, mine, 1, "no new request row")
		f.unchanged(t, before)
	})

	t.Run("a request ID is used once", func(t *testing.T) {
		before := f.snap(t, o.RequestID)
		dup, err := f.store.Submit(ctx, f.who(t, requester2), signoff.SubmitCall{ProductID: "ledger", Reason: reason,
			RequestID: o.RequestID, EventIDs: f.newIDs(1), At: f.clock.Now()})
		require.NoError(t, err)
		assert.Equal(t, signoff.CodeDuplicateID, dup.Code)
		f.unchanged(t, before)
	})

	t.Run("dry run", func(t *testing.T) {
		before := f.events(t, signoff.EventFilter{})
		dry, err := f.store.Submit(ctx, f.who(t, requester2), signoff.SubmitCall{ProductID: "ledger", Reason: reason,
			RequestID: f.newID(), EventIDs: f.newIDs(1), At: f.clock.Now(), DryRun: true})
		require.NoError(t, err)
		assert.Equal(t, signoff.CodeDryRun, dry.Code)
		_, err = f.store.Request(ctx, dry.RequestID)
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
		_, err := f.svc.Submit(ctx, f.who(t, requester), "draft", reason)
		assert.ErrorIs(t, err, signoff.ErrInvalid)
		assert.Contains(t, signoff.Message(err), "no approval chain")
	})

	t.Run("unknown product", func(t *testing.T) {
		_, err := f.svc.Submit(ctx, f.who(t, requester), "no-such-product", reason)
		assert.ErrorIs(t, err, signoff.ErrNotFound)
	})
}

func testRequests(t *testing.T, f *fixture) {
	first := f.submit(t, requester, "ledger")
	second := f.submit(t, requester, "reports")
	f.submit(t, requester2, "ledger")
	f.approve(t, manager, first.ID)
	first = f.request(t, first.ID)

	mine, err := f.svc.MyRequests(f.ctx, f.who(t, requester))
	require.NoError(t, err)
	assert.Equal(t, []string{second.ID, first.ID}, requestIDs(mine), "newest first, only the requester's")
	for _, r := range mine {
		assert.Len(t, r.Steps, r.StepCount, "with their steps")
	}

	limited, err := f.store.Requests(f.ctx, requester, 1)
	require.NoError(t, err)
	assert.Equal(t, []string{second.ID}, requestIDs(limited))

	none, err := f.store.Requests(f.ctx, stranger, 10)
	require.NoError(t, err)
	assert.Empty(t, none)

	_, err = f.store.Request(f.ctx, f.newID())
	assert.ErrorIs(t, err, signoff.ErrNotFound)

	// RequestDetail: the request as Request reads it, its product as Product
	// reads it less the chain (the request's steps stand for it), and its
	// audit events, oldest first, as Events reads them.
	r, p, evs, err := f.store.RequestDetail(f.ctx, first.ID)
	require.NoError(t, err)
	assert.Equal(t, first, r)
	want := products[0]
	want.Chain = nil
	assert.Equal(t, want, p)
	assert.Equal(t, f.history(t, first.ID), evs)
	require.Len(t, evs, 2)
	_, _, _, err = f.store.RequestDetail(f.ctx, f.newID())
	assert.ErrorIs(t, err, signoff.ErrNotFound)

	page, err := f.svc.Product(f.ctx, f.who(t, requester), "ledger")
	require.NoError(t, err)
	require.NotNil(t, page.Open, "the product page links to the open request")
	assert.Equal(t, first.ID, page.Open.ID)
	assert.Equal(t, signoff.StatusPending, page.Open.Status)
	assert.Equal(t, products[0], page.Product, "ProductFor reads the product as Product does")
	other, err := f.svc.Product(f.ctx, f.who(t, stranger), "ledger")
	require.NoError(t, err)
	assert.Nil(t, other.Open, "someone else's request is not the viewer's")
	_, _, err = f.store.ProductFor(f.ctx, "no-such-product", requester)
	assert.ErrorIs(t, err, signoff.ErrNotFound)
}

func testWalkChainToGrant(t *testing.T, f *fixture) {
	ctx := f.ctx
	r := f.submit(t, requester, "ledger")
	require.False(t, f.hasRole(t, requester, "LEDGER_READ"))

	acts := []struct {
		user, role, comment string
	}{
		{manager, roleManager, "Part of the Q4 objectives."},
		{owner, roleOwner, ""},
		{security, roleDPO, "Lawful basis checked."}, // DPO is inherited through SECURITY_LEAD
	}
	for i, a := range acts {
		got, err := f.svc.Decide(ctx, f.who(t, a.user), r.ID, signoff.DecisionInput{
			Decision: signoff.DecisionApprove, Comment: "  " + a.comment + " ", Step: i + 1})
		require.NoError(t, err, "step %d by %s", i+1, a.user)
		assert.Equal(t, a.user, got.Actor)
		if i < len(acts)-1 {
			assert.Equal(t, signoff.StatusPending, got.Status)
			assert.Equal(t, i+2, got.CurrentStep)
			assert.Equal(t, ledgerChain[i+1].Label, got.StepLabel, "the outcome names the next step")
		} else {
			assert.Equal(t, signoff.StatusGranted, got.Status, "the final approval runs the grant in the same call")
			assert.Equal(t, "LEDGER_READ", got.AccessRole)
			assert.Equal(t, requester, got.Requester)
		}
	}

	final := f.request(t, r.ID)
	assert.Equal(t, signoff.StatusGranted, final.Status)
	assert.True(t, f.hasRole(t, requester, "LEDGER_READ"), "the requester holds the access role")

	evs := f.history(t, r.ID)
	assert.Equal(t, []signoff.EventType{signoff.EventRequestSubmitted, signoff.EventStepApproved,
		signoff.EventStepApproved, signoff.EventStepApproved, signoff.EventRequestApproved,
		signoff.EventAccessGranted}, types(evs))
	require.Len(t, evs, 6)
	require.Len(t, final.Steps, 3)
	for i, a := range acts {
		st, ev := final.Steps[i], evs[i+1]
		assert.Equal(t, signoff.DecisionApprove, st.Decision, "step %d", i+1)
		assert.Equal(t, a.user, st.DecidedBy, "step %d", i+1)
		assert.Equal(t, a.role, st.ActorRole, "step %d", i+1)
		assert.Equal(t, a.comment, st.Comment, "step %d: the comment is trimmed", i+1)
		assert.False(t, st.DecidedAt.IsZero(), "step %d", i+1)

		assert.Equal(t, i+1, ev.Step)
		assert.Equal(t, a.user, ev.Actor)
		assert.Equal(t, a.role, ev.ActorRole)
		assert.Equal(t, signoff.DecisionApprove, ev.Decision)
		assert.Equal(t, a.comment, ev.Comment)
		assert.True(t, st.DecidedAt.Equal(ev.Time), "step %d decided at %v, audited at %v", i+1, st.DecidedAt, ev.Time)
	}
	assert.Equal(t, security, evs[4].Actor)
	assert.Equal(t, roleDPO, evs[4].ActorRole)
	assert.Equal(t, `GRANT ROLE "LEDGER_READ" TO USER "`+requester+`"`, evs[5].Details)
	assert.Equal(t, security, evs[5].Actor, "the final approver triggered the grant")
	for i, ev := range evs {
		assert.Equal(t, r.ID, ev.RequestID)
		assert.Equal(t, "ledger", ev.ProductID)
		assert.NotEmpty(t, ev.Actor)
		assert.True(t, signoff.ValidID(ev.ID))
		assert.Equal(t, i+1, ev.Seq, "one chain, in order")
		assert.Equal(t, ev.ComputeHash(), ev.Hash)
		if i > 0 {
			assert.False(t, ev.Time.Before(evs[i-1].Time), "events are in time order")
			assert.Equal(t, evs[i-1].Hash, ev.PrevHash)
		}
	}

	_, err := f.svc.Submit(ctx, f.who(t, requester), "ledger", reason)
	assert.ErrorIs(t, err, signoff.ErrConflict, "granted access is an open request")
}

// codeOf returns the engine's code behind a refusal, if it came from one.
func codeOf(err error) signoff.Code {
	var e *signoff.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func testSeparationOfDuties(t *testing.T, f *fixture) {
	ctx := f.ctx
	r := f.submit(t, requester, "ledger")
	approve := signoff.DecisionInput{Decision: signoff.DecisionApprove}
	with := func(in signoff.DecisionInput) signoff.DecisionInput { in.Decision = signoff.DecisionApprove; return in }

	type attempt struct {
		name string
		user string // "" is nobody signed in
		id   string // "" is r
		in   signoff.DecisionInput
		kind error
		code signoff.Code // the engine's code; "" when the Service refuses before calling it
		msg  string
	}
	try := func(t *testing.T, tests []attempt) {
		t.Helper()
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := f.snap(t, r.ID)
				viewer := signoff.Identity{}
				if tt.user != "" {
					viewer = f.who(t, tt.user)
				}
				id := tt.id
				if id == "" {
					id = r.ID
				}
				_, err := f.svc.Decide(ctx, viewer, id, tt.in)
				assert.ErrorIs(t, err, tt.kind)
				assert.Equal(t, tt.code, codeOf(err))
				assert.NotEmpty(t, signoff.Message(err))
				assert.Contains(t, signoff.Message(err), tt.msg)
				f.unchanged(t, before)
			})
		}
	}

	t.Run("step 1", func(t *testing.T) {
		try(t, []attempt{
			{name: "requester holding the step's role", user: requester, in: approve, kind: signoff.ErrForbidden, code: signoff.CodeOwnRequest, msg: "You made this request"},
			{name: "requester acting as the step's role", user: requester, in: with(signoff.DecisionInput{ActingAs: roleManager}), kind: signoff.ErrForbidden, code: signoff.CodeOwnRequest},
			{name: "role not in session", user: security, in: approve, kind: signoff.ErrForbidden, code: signoff.CodeRoleNotHeld, msg: roleManager},
			{name: "stranger", user: stranger, in: approve, kind: signoff.ErrForbidden, code: signoff.CodeRoleNotHeld},
			{name: "auditor", user: auditor, in: approve, kind: signoff.ErrForbidden, code: signoff.CodeRoleNotHeld},
			{name: "admin", user: admin, in: approve, kind: signoff.ErrForbidden, code: signoff.CodeRoleNotHeld},
			{name: "acting as a role not held", user: manager, in: with(signoff.DecisionInput{ActingAs: roleDPO}), kind: signoff.ErrForbidden, code: signoff.CodeActingAsNotHeld, msg: roleDPO},
			{name: "acting as a held role that is not the step's", user: both, in: with(signoff.DecisionInput{ActingAs: roleOwner}), kind: signoff.ErrForbidden, code: signoff.CodeActingAsWrongRole, msg: roleManager},
			{name: "stale step number", user: manager, in: with(signoff.DecisionInput{Step: 2}), kind: signoff.ErrConflict, code: signoff.CodeStaleStep, msg: "step 1, not step 2"},
			{name: "nobody signed in", in: approve, kind: signoff.ErrUnauthenticated},
			{name: "unknown request", user: manager, id: "01ARZ3NDEKTSV4RRFFQ69G5FAV", in: approve, kind: signoff.ErrNotFound, code: signoff.CodeNotFound},
			{name: "malformed request id", user: manager, id: "1 OR 1=1", in: approve, kind: signoff.ErrNotFound},
		})
	})

	page, err := f.svc.RequestPage(ctx, f.who(t, requester), r.ID, "")
	require.NoError(t, err)
	assert.Empty(t, page.DecideRole)
	assert.Empty(t, page.DecideBlocked, "the requester is not warned about deciding their own request")
	page, err = f.svc.RequestPage(ctx, f.who(t, both), r.ID, roleManager)
	require.NoError(t, err)
	assert.Equal(t, roleManager, page.DecideRole)

	got, err := f.svc.Decide(ctx, f.who(t, both), r.ID, with(signoff.DecisionInput{ActingAs: roleManager, Step: 1}))
	require.NoError(t, err)
	require.Equal(t, 2, got.CurrentStep)
	assert.Equal(t, roleManager, f.request(t, r.ID).Steps[0].ActorRole, "the acting-as role is recorded")

	t.Run("step 2", func(t *testing.T) {
		try(t, []attempt{
			{name: "one user, two steps, holding both roles", user: both, in: approve, kind: signoff.ErrForbidden, code: signoff.CodeDecidedAnotherStep, msg: "already decided"},
			{name: "one user, two steps, acting as the step's role", user: both, in: with(signoff.DecisionInput{ActingAs: roleOwner, Step: 2}), kind: signoff.ErrForbidden, code: signoff.CodeDecidedAnotherStep},
			{name: "a page that still shows step 1", user: manager, in: with(signoff.DecisionInput{Step: 1}), kind: signoff.ErrConflict, code: signoff.CodeStaleStep, msg: "already approved by " + both},
		})
	})

	assert.Equal(t, 3, f.approve(t, owner, r.ID).CurrentStep)
}

func testReject(t *testing.T, f *fixture) {
	ctx := f.ctx
	r := f.submit(t, requester2, "ledger")
	f.approve(t, manager, r.ID)

	before := f.snap(t, r.ID)
	_, err := f.svc.Decide(ctx, f.who(t, owner), r.ID, signoff.DecisionInput{Decision: signoff.DecisionReject, Comment: "  "})
	assert.ErrorIs(t, err, signoff.ErrInvalid, "a rejection must say why")
	var p signoff.Problems
	require.ErrorAs(t, err, &p)
	assert.NotEmpty(t, p["comment"])
	f.unchanged(t, before)

	out, err := f.svc.Decide(ctx, f.who(t, owner), r.ID, signoff.DecisionInput{
		Decision: signoff.DecisionReject, Comment: " Use the summary product instead. ", Step: 2})
	require.NoError(t, err)
	assert.Equal(t, signoff.StatusRejected, out.Status)
	got := f.request(t, r.ID)
	assert.Equal(t, signoff.StatusRejected, got.Status)
	assert.Equal(t, 2, got.CurrentStep, "a rejection stays at its step")
	st := got.Steps[1]
	assert.Equal(t, signoff.DecisionReject, st.Decision)
	assert.Equal(t, owner, st.DecidedBy)
	assert.Equal(t, roleOwner, st.ActorRole)
	assert.Equal(t, "Use the summary product instead.", st.Comment)
	assert.Equal(t, signoff.DecisionNone, got.Steps[2].Decision, "later steps stay undecided")

	evs := f.history(t, r.ID)
	assert.Equal(t, []signoff.EventType{signoff.EventRequestSubmitted, signoff.EventStepApproved, signoff.EventStepRejected}, types(evs))
	last := evs[len(evs)-1]
	assert.Equal(t, 2, last.Step)
	assert.Equal(t, signoff.DecisionReject, last.Decision)
	assert.Equal(t, owner, last.Actor)
	assert.Equal(t, roleOwner, last.ActorRole)
	assert.Equal(t, "Use the summary product instead.", last.Comment)

	before = f.snap(t, r.ID)
	_, err = f.svc.Decide(ctx, f.who(t, security), r.ID, signoff.DecisionInput{Decision: signoff.DecisionApprove})
	assert.ErrorIs(t, err, signoff.ErrConflict, "a rejected request has no step left")
	assert.Equal(t, signoff.CodeWrongStatus, codeOf(err))
	assert.NotEmpty(t, signoff.Message(err))
	o, err := f.store.Decide(ctx, f.who(t, security), f.decideCall(r.ID, 3))
	require.NoError(t, err)
	assert.Equal(t, signoff.CodeStaleStep, o.Code)
	f.unchanged(t, before)
	assert.False(t, f.hasRole(t, requester2, "LEDGER_READ"))

	f.submit(t, requester2, "ledger") // a rejected request is closed
}

// testActionRules drives the engine's actions directly, as a caller of the
// Snowflake API procedures would, with no Service in front: the engine
// alone must refuse everything the rules forbid, change nothing when it
// does, and answer with the code that says why.
func testActionRules(t *testing.T, f *fixture) {
	ctx := f.ctx
	r := f.submit(t, requester, "ledger")
	refused := func(t *testing.T, name string, want signoff.Code, call func() (signoff.Outcome, error)) {
		t.Helper()
		t.Run(name, func(t *testing.T) {
			before := f.snap(t, r.ID)
			o, err := call()
			require.NoError(t, err)
			assert.Equal(t, want, o.Code)
			assert.Error(t, o.Err())
			assert.Empty(t, o.Requester+o.AccessRole, "a refusal does not say who asked for which role")
			f.unchanged(t, before)
		})
	}
	decide := func(user string, step int, edit func(*signoff.DecideCall)) func() (signoff.Outcome, error) {
		return func() (signoff.Outcome, error) {
			c := f.decideCall(r.ID, step)
			if edit != nil {
				edit(&c)
			}
			return f.store.Decide(ctx, f.who(t, user), c)
		}
	}
	actingAs := func(role string) func(*signoff.DecideCall) { return func(c *signoff.DecideCall) { c.ActingAs = role } }

	t.Run("step 1", func(t *testing.T) {
		refused(t, "decided by the requester", signoff.CodeOwnRequest, decide(requester, 1, nil))
		refused(t, "role not in session", signoff.CodeRoleNotHeld, decide(owner, 1, nil))
		refused(t, "acting as a role not held", signoff.CodeActingAsNotHeld, decide(manager, 1, actingAs(roleOwner)))
		refused(t, "acting as a role that keys another step", signoff.CodeActingAsWrongRole, decide(both, 1, actingAs(roleOwner)))
		refused(t, "wrong step", signoff.CodeStaleStep, decide(owner, 2, nil))
		refused(t, "step beyond the chain", signoff.CodeStaleStep, decide(owner, 4, nil))
		refused(t, "nobody", signoff.CodeIdentityUnavailable, func() (signoff.Outcome, error) {
			return f.store.Decide(ctx, signoff.Identity{}, f.decideCall(r.ID, 1))
		})
		refused(t, "withdrawn by someone else", signoff.CodeNotRequester, func() (signoff.Outcome, error) {
			return f.store.Withdraw(ctx, f.who(t, manager), signoff.WithdrawCall{RequestID: r.ID, EventIDs: f.newIDs(1), At: f.clock.Now()})
		})
		refused(t, "retried by a non-admin", signoff.CodeNotAdmin, func() (signoff.Outcome, error) {
			return f.store.RetryGrant(ctx, f.who(t, owner), signoff.RetryCall{RequestID: r.ID, EventIDs: f.newIDs(1), At: f.clock.Now()})
		})
		refused(t, "retried while pending", signoff.CodeWrongStatus, func() (signoff.Outcome, error) {
			return f.store.RetryGrant(ctx, f.who(t, admin), signoff.RetryCall{RequestID: r.ID, EventIDs: f.newIDs(1), At: f.clock.Now()})
		})
		refused(t, "revoked by a stranger", signoff.CodeNotAdminOrOwner, func() (signoff.Outcome, error) {
			return f.store.Revoke(ctx, f.who(t, stranger), signoff.RevokeCall{RequestID: r.ID, EventIDs: f.newIDs(1), At: f.clock.Now()})
		})
		refused(t, "revoked while pending", signoff.CodeWrongStatus, func() (signoff.Outcome, error) {
			return f.store.Revoke(ctx, f.who(t, admin), signoff.RevokeCall{RequestID: r.ID, EventIDs: f.newIDs(1), At: f.clock.Now()})
		})
	})

	dry, err := f.store.Decide(ctx, f.who(t, manager), func() signoff.DecideCall {
		c := f.decideCall(r.ID, 1)
		c.DryRun = true
		return c
	}())
	require.NoError(t, err)
	assert.Equal(t, signoff.CodeDryRun, dry.Code, "a dry run passes every check")
	assert.Equal(t, 1, f.request(t, r.ID).CurrentStep, "and writes nothing")

	o, err := f.store.Decide(ctx, f.who(t, manager), f.decideCall(r.ID, 1))
	require.NoError(t, err)
	require.Equal(t, signoff.CodeOK, o.Code, "a valid decision passes")
	assert.Equal(t, manager, o.Actor)
	got := f.request(t, r.ID)
	assert.Equal(t, 2, got.CurrentStep)
	assert.Equal(t, manager, got.Steps[0].DecidedBy)

	t.Run("step 2", func(t *testing.T) {
		refused(t, "step 1 again, by someone else", signoff.CodeStaleStep, decide(manager2, 1, nil))
		refused(t, "the same decision replayed", signoff.CodeStaleStep, decide(manager, 1, nil))
		refused(t, "decider already decided a step", signoff.CodeDecidedAnotherStep, decide(manager, 2, nil))
		refused(t, "decided by the requester", signoff.CodeOwnRequest, decide(requester, 2, nil))
	})

	w, err := f.store.Withdraw(ctx, f.who(t, requester), signoff.WithdrawCall{RequestID: r.ID, EventIDs: f.newIDs(1), At: f.clock.Now()})
	require.NoError(t, err)
	require.Equal(t, signoff.CodeOK, w.Code)
	t.Run("withdrawn", func(t *testing.T) {
		refused(t, "request no longer pending", signoff.CodeStaleStep, decide(owner, 2, nil))
		refused(t, "the current step, no longer pending", signoff.CodeWrongStatus, decide(owner, 0, nil))
		refused(t, "withdrawn twice", signoff.CodeWrongStatus, func() (signoff.Outcome, error) {
			return f.store.Withdraw(ctx, f.who(t, requester), signoff.WithdrawCall{RequestID: r.ID, EventIDs: f.newIDs(1), At: f.clock.Now()})
		})
	})
}

// race runs fn(i) for i in [0, n) in n goroutines released together and
// returns their errors.
func race(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

func testConcurrentDecisions(t *testing.T, f *fixture) {
	const racers = 16
	names := make([]string, racers)
	for i := range names {
		names[i] = fmt.Sprintf("RACER%02d", i)
		require.NoError(t, f.acct.CreateUser(f.ctx, names[i], names[i], "storetest"))
		for _, role := range []string{roleManager, roleOwner, signoff.RoleAdmin} {
			require.NoError(t, f.acct.GrantRoleToUser(f.ctx, role, names[i], "ACCOUNTADMIN"))
		}
	}
	ids := make([]signoff.Identity, racers)
	for i, n := range names {
		ids[i] = f.who(t, n)
	}

	for _, tc := range []struct {
		n    int
		from string
	}{{2, requester}, {16, requester2}} {
		t.Run(fmt.Sprintf("%d approvers through the service", tc.n), func(t *testing.T) {
			r := f.submit(t, tc.from, "ledger")
			errs := race(tc.n, func(i int) error {
				_, err := f.svc.Decide(f.ctx, ids[i], r.ID, signoff.DecisionInput{
					Decision: signoff.DecisionApprove, Comment: "racing", Step: 1})
				return err
			})
			winner := -1
			for i, err := range errs {
				if err == nil {
					if winner != -1 {
						assert.Failf(t, "step decided twice", "%s and %s both decided step 1", names[winner], names[i])
					}
					winner = i
					continue
				}
				assert.ErrorIs(t, err, signoff.ErrConflict, "%s: %v", names[i], err)
				assert.Contains(t, signoff.Message(err), "already approved", "%s is told the step was decided", names[i])
			}
			require.NotEqual(t, -1, winner, "nobody decided step 1: %v", errs)

			got := f.request(t, r.ID)
			assert.Equal(t, 2, got.CurrentStep)
			assert.Equal(t, names[winner], got.Steps[0].DecidedBy)
			approved := f.events(t, signoff.EventFilter{RequestID: r.ID, Type: signoff.EventStepApproved})
			require.Len(t, approved, 1, "exactly one STEP_APPROVED event")
			assert.Equal(t, 1, approved[0].Step)
			assert.Equal(t, names[winner], approved[0].Actor)
		})
	}

	t.Run("16 final approvals straight to the store", func(t *testing.T) {
		r := f.submit(t, requester, "reports")
		outs := make([]signoff.Outcome, racers)
		errs := race(racers, func(i int) (err error) {
			outs[i], err = f.store.Decide(f.ctx, ids[i], f.decideCall(r.ID, 1))
			return err
		})
		won := 0
		for i, err := range errs {
			require.NoError(t, err, names[i])
			if outs[i].Code == signoff.CodeOK {
				won++
				assert.Equal(t, signoff.StatusGranted, outs[i].Status, "the winner's call granted")
				continue
			}
			assert.Contains(t, []signoff.Code{signoff.CodeStaleStep, signoff.CodeConflict}, outs[i].Code, names[i])
		}
		assert.Equal(t, 1, won, "exactly one decider wins")
		assert.Equal(t, signoff.StatusGranted, f.request(t, r.ID).Status)
		assert.Len(t, f.events(t, signoff.EventFilter{RequestID: r.ID, Type: signoff.EventStepApproved}), 1)
		assert.Len(t, f.events(t, signoff.EventFilter{RequestID: r.ID, Type: signoff.EventAccessGranted}), 1)
		assert.True(t, f.hasRole(t, requester, "REPORTS_READ"))
	})

	t.Run("16 retries of a failed grant straight to the store", func(t *testing.T) {
		r := f.submit(t, requester2, "contracts")
		require.Equal(t, signoff.StatusGrantFailed, f.approve(t, manager, r.ID).Status)
		require.NoError(t, f.acct.CreateRole(f.ctx, "CONTRACTS_READ", "created late"))
		outs := make([]signoff.Outcome, racers)
		errs := race(racers, func(i int) (err error) {
			outs[i], err = f.store.RetryGrant(f.ctx, ids[i], signoff.RetryCall{RequestID: r.ID, EventIDs: f.newIDs(1), At: f.clock.Now()})
			return err
		})
		granted := 0
		for i, err := range errs {
			require.NoError(t, err, names[i])
			if outs[i].Code == signoff.CodeOK {
				assert.Equal(t, signoff.StatusGranted, outs[i].Status)
				granted++
				continue
			}
			assert.Contains(t, []signoff.Code{signoff.CodeWrongStatus, signoff.CodeConflict}, outs[i].Code, names[i])
		}
		assert.Equal(t, 1, granted, "exactly one retry grants")
		assert.Len(t, f.events(t, signoff.EventFilter{RequestID: r.ID, Type: signoff.EventAccessGranted}), 1)
		assert.True(t, f.hasRole(t, requester2, "CONTRACTS_READ"))
	})
}

func testConcurrentSubmissions(t *testing.T, f *fixture) {
	const n = 8
	who := f.who(t, requester)
	ids := make([]string, n)
	errs := race(n, func(i int) error {
		o, err := f.svc.Submit(f.ctx, who, "ledger", reason)
		ids[i] = o.RequestID
		return err
	})
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
			continue
		}
		assert.ErrorIs(t, err, signoff.ErrConflict)
		assert.Equal(t, signoff.CodeOpenRequestExists, codeOf(err))
	}
	assert.Equal(t, 1, ok, "one open request per person and product, even when submitted at once")
	mine, err := f.store.Requests(f.ctx, requester, 100)
	require.NoError(t, err)
	assert.Len(t, mine, 1)
	assert.Len(t, f.events(t, signoff.EventFilter{Type: signoff.EventRequestSubmitted}), 1)
}

func testGrantFailureAndRetry(t *testing.T, f *fixture) {
	ctx := f.ctx
	r := f.submit(t, requester, "contracts")
	other := f.submit(t, requester2, "contracts")

	got := f.approve(t, manager, r.ID)
	assert.Equal(t, signoff.StatusGrantFailed, got.Status, "CONTRACTS_READ does not exist")
	assert.False(t, f.hasRole(t, requester, "CONTRACTS_READ"))
	evs := f.history(t, r.ID)
	assert.Equal(t, []signoff.EventType{signoff.EventRequestSubmitted, signoff.EventStepApproved,
		signoff.EventRequestApproved, signoff.EventGrantFailed}, types(evs))
	failed := evs[len(evs)-1]
	assert.Contains(t, failed.Details, "CONTRACTS_READ", "the failure names the role")
	assert.Equal(t, manager, failed.Actor)

	_, err := f.svc.Submit(ctx, f.who(t, requester), "contracts", reason)
	assert.ErrorIs(t, err, signoff.ErrConflict, "a failed grant is still an open request")

	for _, user := range []string{manager, auditor, requester} {
		before := f.snap(t, r.ID)
		_, err := f.svc.RetryGrant(ctx, f.who(t, user), r.ID)
		assert.ErrorIs(t, err, signoff.ErrForbidden, "%s may not retry", user)
		assert.Equal(t, signoff.CodeNotAdmin, codeOf(err))
		f.unchanged(t, before)
	}

	// Retrying while the role is still missing fails again, visibly.
	st, err := f.svc.RetryGrant(ctx, f.who(t, admin), r.ID)
	require.NoError(t, err)
	assert.Equal(t, signoff.StatusGrantFailed, st)

	require.NoError(t, f.acct.CreateRole(ctx, "CONTRACTS_READ", "created late"))
	st, err = f.svc.RetryGrant(ctx, f.who(t, admin), r.ID)
	require.NoError(t, err)
	assert.Equal(t, signoff.StatusGranted, st)
	assert.Equal(t, signoff.StatusGranted, f.request(t, r.ID).Status)
	assert.True(t, f.hasRole(t, requester, "CONTRACTS_READ"))

	before := f.snap(t, r.ID)
	_, err = f.svc.RetryGrant(ctx, f.who(t, admin), r.ID)
	assert.ErrorIs(t, err, signoff.ErrConflict, "a granted request has no grant to retry")
	assert.Equal(t, signoff.CodeWrongStatus, codeOf(err))
	assert.NotEmpty(t, signoff.Message(err))
	f.unchanged(t, before)

	evs = f.history(t, r.ID)
	assert.Equal(t, 1, countType(evs, signoff.EventAccessGranted), "granted exactly once")
	assert.Equal(t, 2, countType(evs, signoff.EventGrantFailed))
	granted := evs[len(evs)-1]
	assert.Equal(t, signoff.EventAccessGranted, granted.Type)
	assert.Equal(t, admin, granted.Actor)
	assert.Equal(t, signoff.RoleAdmin, granted.ActorRole)

	// Once the role exists, a final approval grants straight away.
	assert.Equal(t, signoff.StatusPending, f.request(t, other.ID).Status)
	assert.Equal(t, signoff.StatusGranted, f.approve(t, manager2, other.ID).Status)
	assert.True(t, f.hasRole(t, requester2, "CONTRACTS_READ"))
}

func testGrantGuard(t *testing.T, f *fixture) {
	ctx := f.ctx
	pending := f.submit(t, requester, "reports")
	rejected := f.submit(t, requester2, "reports")
	_, err := f.svc.Decide(ctx, f.who(t, owner), rejected.ID, signoff.DecisionInput{Decision: signoff.DecisionReject, Comment: "No."})
	require.NoError(t, err)
	withdrawn := f.submit(t, requester2, "ledger")
	require.NoError(t, f.svc.Withdraw(ctx, f.who(t, requester2), withdrawn.ID))

	for _, tc := range []struct {
		name string
		r    signoff.Request
		user string
		role string
	}{
		{"pending", pending, requester, "REPORTS_READ"},
		{"rejected", rejected, requester2, "REPORTS_READ"},
		{"withdrawn", withdrawn, requester2, "LEDGER_READ"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := f.snap(t, tc.r.ID)
			o, err := f.store.RetryGrant(ctx, f.who(t, admin), signoff.RetryCall{RequestID: tc.r.ID, EventIDs: f.newIDs(1), At: f.clock.Now()})
			require.NoError(t, err)
			assert.Equal(t, signoff.CodeWrongStatus, o.Code)
			f.unchanged(t, before)
			assert.False(t, f.hasRole(t, tc.user, tc.role), "nothing granted")

			_, err = f.svc.RetryGrant(ctx, f.who(t, admin), tc.r.ID)
			assert.ErrorIs(t, err, signoff.ErrConflict)
			f.unchanged(t, before)
		})
	}

	t.Run("unknown request", func(t *testing.T) {
		before := f.events(t, signoff.EventFilter{})
		o, err := f.store.RetryGrant(ctx, f.who(t, admin), signoff.RetryCall{RequestID: f.newID(), EventIDs: f.newIDs(1), At: f.clock.Now()})
		require.NoError(t, err)
		assert.Equal(t, signoff.CodeNotFound, o.Code)
		assert.Equal(t, eventIDs(before), eventIDs(f.events(t, signoff.EventFilter{})))
	})
}

func testWithdraw(t *testing.T, f *fixture) {
	ctx := f.ctx
	r := f.submit(t, requester, "ledger")
	f.approve(t, manager, r.ID)

	for _, user := range []string{manager, owner, admin, stranger} {
		before := f.snap(t, r.ID)
		err := f.svc.Withdraw(ctx, f.who(t, user), r.ID)
		assert.ErrorIs(t, err, signoff.ErrForbidden, "%s may not withdraw", user)
		assert.Equal(t, signoff.CodeNotRequester, codeOf(err))
		assert.NotEmpty(t, signoff.Message(err))
		f.unchanged(t, before)
	}
	before := f.snap(t, r.ID)
	assert.ErrorIs(t, f.svc.Withdraw(ctx, signoff.Identity{}, r.ID), signoff.ErrUnauthenticated)
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
	assert.ErrorIs(t, f.svc.Withdraw(ctx, f.who(t, requester), r.ID), signoff.ErrConflict, "only once")
	for _, in := range []signoff.DecisionInput{
		{Decision: signoff.DecisionApprove},
		{Decision: signoff.DecisionApprove, Step: 2},
	} {
		_, err := f.svc.Decide(ctx, f.who(t, owner), r.ID, in)
		assert.ErrorIs(t, err, signoff.ErrConflict, "a withdrawn request cannot be decided")
		assert.NotEmpty(t, signoff.Message(err))
	}
	f.unchanged(t, before)

	q, err := f.svc.Queue(ctx, f.who(t, owner), "")
	require.NoError(t, err)
	assert.NotContains(t, requestIDs(q.Requests), r.ID)

	t.Run("only pending", func(t *testing.T) {
		g := f.submit(t, requester2, "reports")
		require.Equal(t, signoff.StatusGranted, f.approve(t, owner, g.ID).Status)
		before := f.snap(t, g.ID)
		err := f.svc.Withdraw(ctx, f.who(t, requester2), g.ID)
		assert.ErrorIs(t, err, signoff.ErrConflict)
		assert.Equal(t, signoff.CodeWrongStatus, codeOf(err))
		f.unchanged(t, before)
		assert.True(t, f.hasRole(t, requester2, "REPORTS_READ"))
	})
}

func testRevoke(t *testing.T, f *fixture) {
	ctx := f.ctx
	r := f.submit(t, requester, "ledger")
	f.approve(t, manager, r.ID)
	f.approve(t, owner, r.ID)
	require.Equal(t, signoff.StatusGranted, f.approve(t, security, r.ID).Status)
	require.True(t, f.hasRole(t, requester, "LEDGER_READ"))

	for _, user := range []string{manager, security, requester, auditor, stranger} {
		before := f.snap(t, r.ID)
		err := f.svc.Revoke(ctx, f.who(t, user), r.ID, "")
		assert.ErrorIs(t, err, signoff.ErrForbidden, "%s may not revoke", user)
		assert.Equal(t, signoff.CodeNotAdminOrOwner, codeOf(err))
		assert.Contains(t, signoff.Message(err), roleOwner)
		f.unchanged(t, before)
		assert.True(t, f.hasRole(t, requester, "LEDGER_READ"))
	}
	before := f.snap(t, r.ID)
	err := f.svc.Revoke(ctx, f.who(t, both), r.ID, strings.Repeat("x", signoff.MaxCommentLength+1))
	assert.ErrorIs(t, err, signoff.ErrInvalid)
	f.unchanged(t, before)

	// BOTH holds the owner role and took no part in the request.
	require.NoError(t, f.svc.Revoke(ctx, f.who(t, both), r.ID, "  Project finished.  "))
	assert.Equal(t, signoff.StatusRevoked, f.request(t, r.ID).Status)
	assert.False(t, f.hasRole(t, requester, "LEDGER_READ"), "the access role is taken back")
	evs := f.history(t, r.ID)
	last := evs[len(evs)-1]
	assert.Equal(t, signoff.EventAccessRevoked, last.Type)
	assert.Equal(t, both, last.Actor)
	assert.Equal(t, roleOwner, last.ActorRole)
	assert.Equal(t, "Project finished.", last.Comment)
	assert.Equal(t, `REVOKE ROLE "LEDGER_READ" FROM USER "`+requester+`"`, last.Details)

	before = f.snap(t, r.ID)
	err = f.svc.Revoke(ctx, f.who(t, both), r.ID, "")
	assert.ErrorIs(t, err, signoff.ErrConflict, "only once")
	assert.Equal(t, signoff.CodeWrongStatus, codeOf(err))
	assert.NotEmpty(t, signoff.Message(err))
	f.unchanged(t, before)
	assert.Equal(t, 1, countType(f.history(t, r.ID), signoff.EventAccessRevoked))

	f.submit(t, requester, "ledger") // revoked access is closed: one may ask again

	t.Run("admin", func(t *testing.T) {
		g := f.submit(t, requester2, "reports")
		require.Equal(t, signoff.StatusGranted, f.approve(t, owner, g.ID).Status)
		require.NoError(t, f.svc.Revoke(ctx, f.who(t, admin), g.ID, ""))
		assert.False(t, f.hasRole(t, requester2, "REPORTS_READ"))
		evs := f.history(t, g.ID)
		assert.Equal(t, signoff.RoleAdmin, evs[len(evs)-1].ActorRole)
	})

	t.Run("a role another granted request still justifies stays", func(t *testing.T) {
		a := f.submit(t, stranger, "reports")
		require.Equal(t, signoff.StatusGranted, f.approve(t, owner, a.ID).Status)
		b := f.submit(t, stranger, "reports-archive")
		require.Equal(t, signoff.StatusGranted, f.approve(t, owner, b.ID).Status)
		require.NoError(t, f.svc.Revoke(ctx, f.who(t, admin), a.ID, ""))
		assert.True(t, f.hasRole(t, stranger, "REPORTS_READ"), "the archive request still grants it")
		require.NoError(t, f.svc.Revoke(ctx, f.who(t, admin), b.ID, ""))
		assert.False(t, f.hasRole(t, stranger, "REPORTS_READ"), "nothing justifies it any more")
	})

	t.Run("not granted", func(t *testing.T) {
		p := f.submit(t, requester2, "ledger")
		before := f.snap(t, p.ID)
		assert.ErrorIs(t, f.svc.Revoke(ctx, f.who(t, admin), p.ID, ""), signoff.ErrConflict)
		f.unchanged(t, before)
	})
}

func testEvents(t *testing.T, f *fixture) {
	ctx := f.ctx
	r1 := f.submit(t, requester, "ledger")
	r2 := f.submit(t, requester2, "reports")
	f.approve(t, manager, r1.ID)
	f.approve(t, owner, r2.ID) // STEP_APPROVED, REQUEST_APPROVED, ACCESS_GRANTED
	require.NoError(t, f.svc.Withdraw(ctx, f.who(t, requester), r1.ID))

	all := f.events(t, signoff.EventFilter{})
	require.Len(t, all, 7)
	for i := 1; i < len(all); i++ {
		assert.Greater(t, all[i-1].ID, all[i].ID, "newest first")
		assert.False(t, all[i-1].Time.Before(all[i].Time), "newest first")
	}
	assert.Equal(t, signoff.EventRequestWithdrawn, all[0].Type)
	assert.Equal(t, signoff.EventRequestSubmitted, all[6].Type)

	// The window starts at the manager's approval (inclusive) and ends at the
	// withdrawal (exclusive). The owner's approval, the request's approval
	// and the grant are one action: their events share its time.
	managerApproval := all[4]
	require.Equal(t, manager, managerApproval.Actor)
	grant := all[1]
	require.Equal(t, signoff.EventAccessGranted, grant.Type)
	require.True(t, all[3].Time.Equal(grant.Time), "one action, one time")
	from, to := managerApproval.Time, all[0].Time

	tests := []struct {
		name   string
		filter signoff.EventFilter
		match  func(signoff.Event) bool
		n      int
	}{
		{"everything", signoff.EventFilter{}, func(signoff.Event) bool { return true }, 7},
		{"request", signoff.EventFilter{RequestID: r1.ID}, func(e signoff.Event) bool { return e.RequestID == r1.ID }, 3},
		{"product", signoff.EventFilter{ProductID: "reports"}, func(e signoff.Event) bool { return e.ProductID == "reports" }, 4},
		{"actor", signoff.EventFilter{Actor: owner}, func(e signoff.Event) bool { return e.Actor == owner }, 3},
		{"type", signoff.EventFilter{Type: signoff.EventStepApproved}, func(e signoff.Event) bool { return e.Type == signoff.EventStepApproved }, 2},
		{"time range", signoff.EventFilter{From: from, To: to}, func(e signoff.Event) bool {
			return !e.Time.Before(from) && e.Time.Before(to)
		}, 4},
		{"time range in another zone", signoff.EventFilter{From: from.In(time.FixedZone("CET", 3600)), To: to.In(time.FixedZone("PST", -8*3600))},
			func(e signoff.Event) bool { return !e.Time.Before(from) && e.Time.Before(to) }, 4},
		{"from only", signoff.EventFilter{From: grant.Time}, func(e signoff.Event) bool { return !e.Time.Before(grant.Time) }, 4},
		{"actor and type", signoff.EventFilter{Actor: owner, Type: signoff.EventAccessGranted}, func(e signoff.Event) bool {
			return e.Actor == owner && e.Type == signoff.EventAccessGranted
		}, 1},
		{"nothing matches", signoff.EventFilter{Actor: stranger}, func(signoff.Event) bool { return false }, 0},
		{"limit", signoff.EventFilter{Limit: 3}, func(e signoff.Event) bool { return e.ID >= all[2].ID }, 3},
		{"before", signoff.EventFilter{Before: all[2].ID}, func(e signoff.Event) bool { return e.ID < all[2].ID }, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want []string
			for _, e := range all {
				if tt.match(e) {
					want = append(want, e.ID)
				}
			}
			require.Len(t, want, tt.n, "the fixture has the events the test expects")
			got := f.events(t, tt.filter)
			assert.Equal(t, want, nilIfEmpty(eventIDs(got)))
		})
	}

	t.Run("keyset pages", func(t *testing.T) {
		var seen []string
		before := ""
		for page := 0; page < 10; page++ {
			evs, err := f.store.Events(ctx, signoff.EventFilter{Before: before, Limit: 2})
			require.NoError(t, err)
			assert.LessOrEqual(t, len(evs), 2, "limit honoured")
			if len(evs) == 0 {
				break
			}
			for _, e := range evs {
				assert.NotContains(t, seen, e.ID, "pages do not overlap")
				seen = append(seen, e.ID)
			}
			before = evs[len(evs)-1].ID
		}
		assert.Equal(t, eventIDs(all), seen, "the pages together are the whole log, newest first")
	})

	t.Run("audit pages through the service", func(t *testing.T) {
		aud := f.who(t, auditor)
		var seen []string
		f1 := signoff.EventFilter{Limit: 3}
		for page := 0; page < 10; page++ {
			p, err := f.svc.Audit(ctx, aud, f1)
			require.NoError(t, err)
			assert.LessOrEqual(t, len(p.Events), 3)
			seen = append(seen, eventIDs(p.Events)...)
			if p.Next == "" {
				break
			}
			f1.Before = p.Next
		}
		assert.Equal(t, eventIDs(all), seen)

		_, err := f.svc.Audit(ctx, f.who(t, manager), signoff.EventFilter{})
		assert.ErrorIs(t, err, signoff.ErrForbidden)
		_, err = f.svc.Audit(ctx, aud, signoff.EventFilter{Before: "' OR 1=1"})
		assert.ErrorIs(t, err, signoff.ErrInvalid)
	})
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
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
			rs, err := f.store.Queue(ctx, tt.roles, tt.user, tt.limit)
			require.NoError(t, err)
			assert.Equal(t, tt.want, nilIfEmpty(requestIDs(rs)), "oldest first")
			for _, r := range rs {
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
			q, err := f.svc.Queue(ctx, f.who(t, tt.user), tt.actingAs)
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

	_, err = f.svc.Queue(ctx, signoff.Identity{}, "")
	assert.ErrorIs(t, err, signoff.ErrUnauthenticated)
}

func testBadInputChangesNothing(t *testing.T, f *fixture) {
	ctx := f.ctx
	req := f.who(t, requester)
	nothing := func(t *testing.T) {
		t.Helper()
		mine, err := f.store.Requests(ctx, requester, 100)
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
			_, err := f.svc.Submit(ctx, req, "ledger", tc.reason)
			assert.ErrorIs(t, err, signoff.ErrInvalid)
			var p signoff.Problems
			require.ErrorAs(t, err, &p)
			assert.NotEmpty(t, p["reason"])
			nothing(t)
		})
	}
	t.Run("unknown product", func(t *testing.T) {
		_, err := f.svc.Submit(ctx, req, "'; DROP TABLE access_request; --", reason)
		assert.ErrorIs(t, err, signoff.ErrNotFound)
		nothing(t)
	})
	t.Run("nobody signed in", func(t *testing.T) {
		_, err := f.svc.Submit(ctx, signoff.Identity{}, "ledger", reason)
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
	require.NoError(t, f.svc.Revoke(ctx, f.who(t, admin), q.ID, ""))
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
