package storetest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
)

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
	governor   = "GOV"      // GOVERNANCE: the fallback role of "timed" and "vacant"
	governor2  = "GOV2"     // GOVERNANCE
)

const (
	roleManager  = "LINE_MANAGER"
	roleOwner    = "DATA_OWNER"
	roleDPO      = "DPO"
	roleSecurity = "SECURITY_LEAD"
	roleFallback = "GOVERNANCE"
	roleVacant   = "VACANT_SEAT" // held by nobody
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
	{governor, []string{roleFallback}},
	{governor2, []string{roleFallback}},
}

// Access roles. CONTRACTS_READ is missing on purpose: granting it fails.
var roles = []string{"ANALYST", roleManager, roleOwner, roleDPO, roleSecurity,
	signoff.RoleAdmin, signoff.RoleAuditor, "LEDGER_READ", "REPORTS_READ", roleFallback, roleVacant, "TIMED_READ"}

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
		Durations: []int{0}, AccessRole: "LEDGER_READ", Chain: ledgerChain,
	},
	{
		ID: "reports", Name: "Weekly reports", Description: "Weekly KPI reports.", Owner: "Analytics",
		OwnerRole: roleOwner, Domain: "Analytics", Classification: "INTERNAL", Tags: []string{"kpi"},
		Durations: []int{0}, AccessRole: "REPORTS_READ", Chain: []signoff.ChainStep{{Order: 1, ApproverRole: roleOwner, Label: "Data owner"}},
	},
	{
		ID: "contracts", Name: "Supplier contracts", Description: "Contract terms.", Owner: "Procurement",
		OwnerRole: roleOwner, Domain: "Procurement", Classification: "CONFIDENTIAL",
		Durations: []int{0}, AccessRole: "CONTRACTS_READ", Chain: []signoff.ChainStep{{Order: 1, ApproverRole: roleManager, Label: "Line manager"}},
	},
	{
		// Shares its access role with "reports": revoking one must not take
		// away what the other still justifies.
		ID: "reports-archive", Name: "Weekly reports archive", Description: "Older weekly KPI reports.", Owner: "Analytics",
		OwnerRole: roleOwner, Domain: "Analytics", Classification: "INTERNAL", Tags: []string{"kpi", "archive"},
		Durations: []int{0}, AccessRole: "REPORTS_READ", Chain: []signoff.ChainStep{{Order: 1, ApproverRole: roleOwner, Label: "Data owner"}},
	},
	{
		ID: "draft", Name: "Draft product", Description: "Not requestable yet.", Owner: "Analytics",
		OwnerRole: roleOwner, Domain: "Analytics", Classification: "INTERNAL", AccessRole: "REPORTS_READ",
		Durations: []int{0},
	},
	{
		// Time-bound only, with a step deadline, a pending limit and a
		// fallback role (issue 12).
		ID: "timed", Name: "Timed extract", Description: "Access that ends.", Owner: "Analytics",
		OwnerRole: roleOwner, Domain: "Analytics", Classification: "PII", AccessRole: "TIMED_READ",
		Durations: []int{7, 30, 90}, PendingDays: 10, FallbackRole: roleFallback,
		Chain: []signoff.ChainStep{{Order: 1, ApproverRole: roleManager, Label: "Line manager", DeadlineHours: 24}},
	},
	{
		// Its second step's role is held by nobody: it goes to the
		// fallback role.
		ID: "vacant", Name: "Vacant seat", Description: "A committee seat is empty.", Owner: "Analytics",
		OwnerRole: roleOwner, Domain: "Analytics", Classification: "INTERNAL", AccessRole: "REPORTS_READ",
		Durations: []int{0, 30}, FallbackRole: roleFallback,
		Chain: []signoff.ChainStep{{Order: 1, ApproverRole: roleManager, Label: "Line manager"},
			{Order: 2, ApproverRole: roleVacant, Label: "Committee"}},
	},
	{
		// Time-bound; an extension goes through the last step only.
		ID: "renewable", Name: "Renewable extract", Description: "Extended by its owner.", Owner: "Analytics",
		OwnerRole: roleOwner, Domain: "Analytics", Classification: "INTERNAL", AccessRole: "TIMED_READ",
		Durations: []int{7, 30}, ExtendLastStep: true,
		Chain: []signoff.ChainStep{{Order: 1, ApproverRole: roleFallback, Label: "Steward"},
			{Order: 2, ApproverRole: roleFallback, Label: "Curator"}},
	},
}

// stored is p as the catalog keeps and reads it back: its chain
// normalized (signoff.NormalizeChain), the fixture's own left as written.
func stored(p signoff.Product) signoff.Product {
	p.Chain = slices.Clone(p.Chain)
	signoff.NormalizeChain(&p)
	return p
}

// clock is a deterministic clock: every reading is one second after the
// last, unless it is frozen.
type clock struct {
	mu     sync.Mutex
	t      time.Time
	frozen bool
}

// advance moves the clock on by d.
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.frozen {
		c.t = c.t.Add(time.Second)
	}
	return c.t
}

// freeze stops the clock (every reading is the same time) or restarts it:
// for actions that must happen at the same moment.
func (c *clock) freeze(frozen bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.frozen = frozen
}

// fixture is a store filled with the suite's account and catalog, and a
// Service over it.
type fixture struct {
	ctx    context.Context
	reads  signoff.Reads
	engine signoff.Engine
	acct   Account
	// products is the engine's catalog administration.
	products signoff.ProductStore
	svc      *signoff.Service
	clock    *clock
	ids      signoff.IDGenerator // for events written straight to the store
	// managers is the engine's directory; nil if the engine keeps none.
	managers signoff.Managers
	// policies is the engine's chain policy administration.
	policies signoff.PolicyStore
}

func setup(t *testing.T, h Harness) *fixture {
	t.Helper()
	require.NotNil(t, h.Reads, "harness has no reads")
	require.NotNil(t, h.Engine, "harness has no engine")
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
	f := &fixture{ctx: ctx, reads: h.Reads, engine: h.Engine, acct: h.Account, products: h.Products, svc: signoff.NewService(h.Reads, h.Engine),
		clock: &clock{t: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}}
	f.svc.Now = f.clock.Now
	f.svc.Managers, f.managers = h.Managers, h.Managers
	f.svc.Policies, f.policies = h.Policies, h.Policies
	f.svc.Scheduler = h.Account
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
	o, err := f.svc.Submit(f.ctx, f.who(t, user), product, reason, 0)
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
	r, _, _, err := f.reads.RequestDetail(f.ctx, id)
	require.NoError(t, err)
	return r
}

// events returns the events matching filter (with a generous limit), newest first.
func (f *fixture) events(t *testing.T, filter signoff.EventFilter) []signoff.Event {
	t.Helper()
	if filter.Limit == 0 {
		filter.Limit = 10_000
	}
	evs, err := f.reads.Events(f.ctx, filter)
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

// codeOf returns the engine's code behind a refusal, if it came from one.
func codeOf(err error) signoff.Code {
	var e *signoff.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
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

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}
