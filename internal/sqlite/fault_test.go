package sqlite

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
)

// These tests prove promises 3 and 4 under faults: for every state change
// (submit, each kind of decision, withdraw, grant, retry, revoke) they fail
// the 1st, 2nd, … statement the change sends to the database (BEGIN and
// COMMIT count as statements, and so do the reads before the write) until the
// change completes without reaching the fault. After each fault the database
// must hold one of the lifecycle's states with exactly the audit events that
// state implies, and nothing half done:
//
//   - single fault: only statement k fails (a lost connection, a full disk,
//     SQLITE_BUSY past the timeout). A change that reports an error changed
//     nothing, and doing it again works exactly once.
//   - crash: statement k and everything after it fail, then the store is
//     closed and the file reopened, as a process that died at k and was
//     restarted. The request is in the state before or after the change; a
//     final approval that committed without its grant is APPROVED, listed as
//     needing a grant, and an admin's retry grants it exactly once.
//
// Faults are injected below database/sql by wrapping the driver's connector
// (open's test seam), so the statements counted are exactly those that reach
// SQLite, whatever code sends them.

// errFault is the injected failure.
var errFault = errors.New("injected fault")

// faults counts the statements sent to the database while armed and fails
// the chosen one (or, in crash mode, it and every later one).
type faults struct {
	mu    sync.Mutex
	armed bool
	at    int  // fail statement number at (1-based); 0 fails none
	crash bool // fail every statement from at on
	// afterCommit fails every statement after the first COMMIT: the process
	// died right after its first transaction committed.
	afterCommit bool
	seen        []string
}

func (f *faults) arm(at int, crash bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.armed, f.at, f.crash, f.afterCommit, f.seen = true, at, crash, false, nil
}

// armAfterCommit fails every statement after the first COMMIT.
func (f *faults) armAfterCommit() {
	f.arm(0, false)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.afterCommit = true
}

// disarm stops counting and returns the statements seen while armed.
func (f *faults) disarm() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.armed = false
	return f.seen
}

// before is called before each statement reaches SQLite.
func (f *faults) before(stmt string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.armed {
		return nil
	}
	f.seen = append(f.seen, strings.Join(strings.Fields(stmt), " "))
	n := len(f.seen)
	if n == f.at || (f.crash && f.at > 0 && n > f.at) || (f.afterCommit && slices.Contains(f.seen[:n-1], "COMMIT")) {
		return fmt.Errorf("%w at statement %d (%.60s)", errFault, n, f.seen[n-1])
	}
	return nil
}

// faultConnector wraps the driver's connector so that every connection
// consults f.
type faultConnector struct {
	driver.Connector
	f *faults
}

// sqliteConn is what the ncruces driver's connections implement.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.NamedValueChecker
}

func (c faultConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	inner, ok := conn.(sqliteConn)
	if !ok {
		conn.Close()
		return nil, fmt.Errorf("fault injection: the driver's %T lacks an interface", conn)
	}
	return &faultConn{inner: inner, f: c.f}, nil
}

// faultConn counts a statement each time it runs (a prepared statement
// every time it is executed or queried, not when it is prepared: the store
// prepares each statement once per connection), when it is executed without
// arguments, begun (BEGIN IMMEDIATE) or committed.
type faultConn struct {
	inner sqliteConn
	f     *faults
}

func (c *faultConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *faultConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	st, err := c.inner.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	inner, ok := st.(sqliteStmt)
	if !ok {
		st.Close()
		return nil, fmt.Errorf("fault injection: the driver's %T lacks an interface", st)
	}
	return &faultStmt{inner: inner, query: query, f: c.f}, nil
}

// sqliteStmt is what the ncruces driver's statements implement.
type sqliteStmt interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
	driver.NamedValueChecker
}

// faultStmt counts, and may fail, each run of a prepared statement.
type faultStmt struct {
	inner sqliteStmt
	query string
	f     *faults
}

func (s *faultStmt) Close() error  { return s.inner.Close() }
func (s *faultStmt) NumInput() int { return s.inner.NumInput() }

func (s *faultStmt) CheckNamedValue(nv *driver.NamedValue) error { return s.inner.CheckNamedValue(nv) }

func (s *faultStmt) Exec(args []driver.Value) (driver.Result, error) {
	return nil, errors.New("fault injection: database/sql calls ExecContext")
}

func (s *faultStmt) Query(args []driver.Value) (driver.Rows, error) {
	return nil, errors.New("fault injection: database/sql calls QueryContext")
}

func (s *faultStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	if err := s.f.before(s.query); err != nil {
		return nil, err
	}
	return s.inner.ExecContext(ctx, args)
}

func (s *faultStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	if err := s.f.before(s.query); err != nil {
		return nil, err
	}
	return s.inner.QueryContext(ctx, args)
}

func (c *faultConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if len(args) > 0 {
		return nil, driver.ErrSkip // as the driver does: prepared, and counted when it runs
	}
	if err := c.f.before(query); err != nil {
		return nil, err
	}
	return c.inner.ExecContext(ctx, query, args)
}

func (c *faultConn) CheckNamedValue(nv *driver.NamedValue) error { return c.inner.CheckNamedValue(nv) }

func (c *faultConn) Close() error { return c.inner.Close() }

func (c *faultConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *faultConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if err := c.f.before("BEGIN"); err != nil {
		return nil, err
	}
	tx, err := c.inner.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return faultTx{Tx: tx, f: c.f}, nil
}

// faultTx fails COMMIT as SQLite does when a commit cannot complete: the
// transaction is rolled back and the error returned.
type faultTx struct {
	driver.Tx
	f *faults
}

func (tx faultTx) Commit() error {
	if err := tx.f.before("COMMIT"); err != nil {
		_ = tx.Tx.Rollback()
		return err
	}
	return tx.Tx.Commit()
}

// fixture is a fresh database file with a small account and catalog:
//
//	reports   (REPORTS_READ):   LINE_MANAGER → DATA_OWNER → DPO
//	contracts (CONTRACTS_READ): LINE_MANAGER → DATA_OWNER, whose access role
//	                            does not exist yet, so its grant is refused
//
// ALICE requests; MARCO, OLIVIA and DANA approve; ADAM is an admin.
type fixture struct {
	t    *testing.T
	path string
	f    *faults
	st   *Store
	svc  *signoff.Service
	id   string // the request under test
	// as holds each user's identity, read before any fault is armed: the
	// server establishes it before the action runs.
	as map[string]signoff.Identity
	// at, if set, is the Service's clock: the scheduler's operations move
	// it to when their work is due.
	at time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	fx := &fixture{t: t, path: filepath.Join(t.TempDir(), "signoff.db"), f: &faults{}}
	fx.open()
	ctx := t.Context()
	for _, r := range []string{"ANALYST", "LINE_MANAGER", "DATA_OWNER", "DPO", signoff.RoleAdmin, "REPORTS_READ", "TIMED_READ"} {
		require.NoError(t, fx.st.CreateRole(ctx, r, ""))
	}
	for user, role := range map[string]string{"ALICE": "ANALYST", "MARCO": "LINE_MANAGER", "OLIVIA": "DATA_OWNER",
		"DANA": "DPO", "ADAM": signoff.RoleAdmin} {
		require.NoError(t, fx.st.CreateUser(ctx, user, user, ""))
		require.NoError(t, fx.st.GrantRoleToUser(ctx, role, user, "ACCOUNTADMIN"))
	}
	lm := signoff.ChainStep{ApproverRole: "LINE_MANAGER", Label: "Line manager"}
	do := signoff.ChainStep{ApproverRole: "DATA_OWNER", Label: "Data owner"}
	dpo := signoff.ChainStep{ApproverRole: "DPO", Label: "Data protection"}
	require.NoError(t, fx.st.CreateProduct(ctx, signoff.Product{ID: "reports", Name: "Reports", OwnerRole: "DATA_OWNER",
		AccessRole: "REPORTS_READ", Chain: []signoff.ChainStep{lm, do, dpo}}))
	require.NoError(t, fx.st.CreateProduct(ctx, signoff.Product{ID: "contracts", Name: "Contracts", OwnerRole: "DATA_OWNER",
		AccessRole: "CONTRACTS_READ", Chain: []signoff.ChainStep{lm, do}}))
	// Time-bound, with a deadline on its first step, DPO as its fallback
	// role and a ten-day limit on waiting (the scheduler's work).
	timedLM := lm
	timedLM.DeadlineHours = 24
	require.NoError(t, fx.st.CreateProduct(ctx, signoff.Product{ID: "timed", Name: "Timed", OwnerRole: "DATA_OWNER",
		AccessRole: "TIMED_READ", Durations: []int{7}, PendingDays: 10, FallbackRole: "DPO",
		Chain: []signoff.ChainStep{timedLM, do}}))
	// Its first step is the requester's own manager's (the directory's).
	require.NoError(t, fx.st.CreateProduct(ctx, signoff.Product{ID: "managed", Name: "Managed", OwnerRole: "DATA_OWNER",
		AccessRole: "REPORTS_READ", Chain: []signoff.ChainStep{
			{Kind: signoff.KindManager, ApproverRole: "LINE_MANAGER", Label: "Line manager"}, do}}))
	fx.as = map[string]signoff.Identity{}
	for _, user := range []string{"ALICE", "MARCO", "OLIVIA", "DANA", "ADAM"} {
		fx.as[user] = fx.who(user)
	}
	return fx
}

// open opens the file with fault injection wired in (disarmed).
func (fx *fixture) open() {
	fx.t.Helper()
	st, connector, err := prepare(fx.path, false)
	require.NoError(fx.t, err)
	st, err = st.start(fx.t.Context(), faultConnector{Connector: connector, f: fx.f})
	require.NoError(fx.t, err)
	fx.t.Cleanup(func() { st.Close() })
	fx.st, fx.svc = st, signoff.NewService(st.Reads(), st)
	fx.svc.Scheduler, fx.svc.Products, fx.svc.Managers = st, st, st
	fx.svc.Policies = st
	fx.svc.ReviewReads, fx.svc.ReviewEngine = st.Reads(), st
	if !fx.at.IsZero() {
		at := fx.at
		fx.svc.Now = func() time.Time { return at }
	}
}

// restart closes the store, as a process that died does (its open
// transactions roll back), and opens the file again.
func (fx *fixture) restart() {
	fx.t.Helper()
	fx.f.disarm()
	require.NoError(fx.t, fx.st.Close())
	fx.open()
}

// copy returns a fixture on a copy of fx's database file, which must be
// closed: the same state, in a fresh store.
func (fx *fixture) copy(t *testing.T) *fixture {
	t.Helper()
	c := &fixture{t: t, path: filepath.Join(t.TempDir(), "signoff.db"), f: &faults{}, id: fx.id, as: fx.as, at: fx.at}
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(fx.path + suffix)
		if errors.Is(err, fs.ErrNotExist) && suffix != "" {
			continue
		}
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(c.path+suffix, b, 0o600))
	}
	c.open()
	return c
}

func (fx *fixture) who(user string) signoff.Identity {
	fx.t.Helper()
	id, err := fx.st.Identify(fx.t.Context(), user)
	require.NoError(fx.t, err)
	return id
}

const reason = "Quarterly reporting needs these figures."

func (fx *fixture) submit(product string) error {
	days := 0
	if product == "timed" {
		days = 7
	}
	r, err := fx.svc.Submit(fx.t.Context(), fx.as["ALICE"], product, reason, days)
	if err == nil {
		fx.id = r.RequestID
	}
	return err
}

// sweep does the scheduler's first piece of due work, the unit that
// commits or fails as a whole (Service.Sweep runs one after another): an
// error if there is none, or if it was no longer due.
func (fx *fixture) sweep() error {
	at := fx.svc.Now()
	due, err := fx.st.Due(fx.t.Context(), at)
	if err != nil {
		return err
	}
	if len(due) == 0 {
		return errors.New("the scheduler found nothing to do")
	}
	var ids signoff.IDGenerator
	o, err := fx.st.RunDue(fx.t.Context(), due[0], signoff.SystemCall{EventIDs: []string{ids.New(at)}, At: at})
	if err == nil && o.Code != signoff.CodeOK {
		return fmt.Errorf("%s %s: %s", due[0].Kind, due[0].RequestID, o.Code)
	}
	return err
}

func (fx *fixture) decide(user string, step int, d signoff.Decision) error {
	in := signoff.DecisionInput{Decision: d, Step: step}
	switch d {
	case signoff.DecisionReject:
		in.Comment = "Not for this purpose."
	case signoff.DecisionChanges:
		in.Comment = "Which figures, exactly?"
	}
	_, err := fx.svc.Decide(fx.t.Context(), fx.as[user], fx.id, in)
	return err
}

func (fx *fixture) retryGrant() error {
	_, err := fx.svc.RetryGrant(fx.t.Context(), fx.as["ADAM"], fx.id)
	return err
}

func (fx *fixture) must(err error) {
	fx.t.Helper()
	require.NoError(fx.t, err)
}

// operation is one state change under test, with the state it starts from.
type operation struct {
	name  string
	setup func(fx *fixture)
	run   func(fx *fixture) error
	// approvedWithoutGrant: the change is a final approval, whose grant may
	// fail after the approval committed, leaving the request APPROVED.
	finalApproval bool
}

func (fx *fixture) upToFinalStep() {
	fx.must(fx.submit("reports"))
	fx.must(fx.decide("MARCO", 1, signoff.DecisionApprove))
	fx.must(fx.decide("OLIVIA", 2, signoff.DecisionApprove))
}

// dieAfterApproval reaches APPROVED with no grant: the process dies right
// after the final approval commits, before the grant, and is restarted.
func (fx *fixture) dieAfterApproval() {
	fx.t.Helper()
	fx.upToFinalStep()
	fx.f.armAfterCommit()
	fx.must(fx.decide("DANA", 3, signoff.DecisionApprove)) // the grant's failure is logged, not returned
	seen := fx.f.disarm()
	commit := slices.Index(seen, "COMMIT")
	require.Greater(fx.t, len(seen), commit+1, "the grant was attempted after the approval's commit: %q", seen)
	fx.restart()
	require.Equal(fx.t, signoff.StatusApproved, fx.status())
}

// setManagers makes MARCO the manager of ALICE and of OLIVIA, as ADAM.
func (fx *fixture) setManagers() error {
	_, err := fx.svc.SetManagers(fx.t.Context(), fx.as["ADAM"],
		[]signoff.DirectoryEntry{{User: "ALICE", Manager: "MARCO"}, {User: "OLIVIA", Manager: "MARCO"}})
	return err
}

func operations() []operation {
	approve, reject := signoff.DecisionApprove, signoff.DecisionReject
	return []operation{
		{name: "set managers (two entries, two events)", setup: func(*fixture) {}, run: func(fx *fixture) error { return fx.setManagers() }},
		{name: "submit with a manager step",
			setup: func(fx *fixture) { fx.must(fx.setManagers()) },
			run:   func(fx *fixture) error { return fx.submit("managed") }},
		{name: "the manager approves the manager step",
			setup: func(fx *fixture) {
				fx.must(fx.setManagers())
				fx.must(fx.submit("managed"))
			},
			run: func(fx *fixture) error { return fx.decide("MARCO", 1, approve) }},
		{name: "submit", setup: func(*fixture) {}, run: func(fx *fixture) error { return fx.submit("reports") }},
		{name: "approve step 1 of 3",
			setup: func(fx *fixture) { fx.must(fx.submit("reports")) },
			run:   func(fx *fixture) error { return fx.decide("MARCO", 1, approve) }},
		{name: "approve step 2 of 3",
			setup: func(fx *fixture) {
				fx.must(fx.submit("reports"))
				fx.must(fx.decide("MARCO", 1, approve))
			},
			run: func(fx *fixture) error { return fx.decide("OLIVIA", 2, approve) }},
		{name: "final approval and grant", finalApproval: true,
			setup: func(fx *fixture) { fx.upToFinalStep() },
			run:   func(fx *fixture) error { return fx.decide("DANA", 3, approve) }},
		{name: "final approval, grant refused", finalApproval: true,
			setup: func(fx *fixture) {
				fx.must(fx.submit("contracts"))
				fx.must(fx.decide("MARCO", 1, approve))
			},
			run: func(fx *fixture) error { return fx.decide("OLIVIA", 2, approve) }},
		{name: "reject step 1",
			setup: func(fx *fixture) { fx.must(fx.submit("reports")) },
			run:   func(fx *fixture) error { return fx.decide("MARCO", 1, reject) }},
		{name: "reject step 2",
			setup: func(fx *fixture) {
				fx.must(fx.submit("reports"))
				fx.must(fx.decide("MARCO", 1, approve))
			},
			run: func(fx *fixture) error { return fx.decide("OLIVIA", 2, reject) }},
		{name: "withdraw",
			setup: func(fx *fixture) {
				fx.must(fx.submit("reports"))
				fx.must(fx.decide("MARCO", 1, approve))
			},
			run: func(fx *fixture) error { return fx.svc.Withdraw(fx.t.Context(), fx.as["ALICE"], fx.id) }},
		{name: "grant after a crash (retry on APPROVED)",
			setup: func(fx *fixture) { fx.dieAfterApproval() },
			run:   func(fx *fixture) error { return fx.retryGrant() }},
		{name: "retry a failed grant",
			setup: func(fx *fixture) {
				fx.must(fx.submit("contracts"))
				fx.must(fx.decide("MARCO", 1, approve))
				fx.must(fx.decide("OLIVIA", 2, approve))
				fx.must(fx.st.CreateRole(fx.t.Context(), "CONTRACTS_READ", "created late"))
			},
			run: func(fx *fixture) error { return fx.retryGrant() }},
		{name: "ask the requester a question",
			setup: func(fx *fixture) { fx.must(fx.submit("reports")) },
			run:   func(fx *fixture) error { return fx.decide("MARCO", 1, signoff.DecisionChanges) }},
		{name: "answer the question with a new reason",
			setup: func(fx *fixture) {
				fx.must(fx.submit("reports"))
				fx.must(fx.decide("MARCO", 1, signoff.DecisionChanges))
			},
			run: func(fx *fixture) error {
				return fx.svc.Resubmit(fx.t.Context(), fx.as["ALICE"], fx.id, "The quarterly totals only.",
					"Quarterly totals for the board pack, nothing finer.")
			}},
		{name: "the scheduler expires time-bound access",
			setup: func(fx *fixture) {
				fx.must(fx.submit("timed"))
				fx.must(fx.decide("MARCO", 1, approve))
				fx.must(fx.decide("OLIVIA", 2, approve))
				fx.at = time.Now().Add(8 * 24 * time.Hour)
			},
			run: func(fx *fixture) error { return fx.sweep() }},
		{name: "the scheduler escalates a step twice past its deadline",
			setup: func(fx *fixture) {
				fx.must(fx.submit("timed"))
				fx.at = time.Now().Add(49 * time.Hour)
			},
			run: func(fx *fixture) error { return fx.sweep() }},
		{name: "the scheduler expires a request that waited too long",
			setup: func(fx *fixture) {
				fx.must(fx.submit("timed"))
				fx.at = time.Now().Add(11 * 24 * time.Hour)
			},
			run: func(fx *fixture) error { return fx.sweep() }},
		{name: "save a product with a request in flight",
			setup: func(fx *fixture) { fx.must(fx.submit("reports")) },
			run:   func(fx *fixture) error { return fx.saveProduct("reports", false) }},
		{name: "register a product",
			setup: func(*fixture) {},
			run:   func(fx *fixture) error { return fx.saveProduct("partner-feed", true) }},
		{name: "save the chain policy with a request in flight",
			setup: func(fx *fixture) { fx.must(fx.submit("reports")) },
			run:   func(fx *fixture) error { return fx.savePolicy() }},
		{name: "revoke",
			setup: func(fx *fixture) {
				fx.upToFinalStep()
				fx.must(fx.decide("DANA", 3, approve))
			},
			run: func(fx *fixture) error {
				return fx.svc.Revoke(fx.t.Context(), fx.as["ADAM"], fx.id, "No longer needed.")
			}},
	}
}

func TestFaultAtEveryStatement(t *testing.T) {
	t.Parallel()
	total := 0
	var mu sync.Mutex
	for _, op := range append(operations(), reviewOperations()...) {
		t.Run(op.name, func(t *testing.T) {
			t.Parallel()
			// The state before the change, saved once and copied for each
			// case, and the state after it, without faults.
			base := newFixture(t)
			op.setup(base)
			before := base.snapshot()
			require.NoError(t, base.st.Close())
			ref := base.copy(t)
			require.Equal(t, before, ref.snapshot())
			ref.f.arm(0, false)
			require.NoError(t, op.run(ref))
			statements := ref.f.disarm()
			after := ref.snapshot()
			require.NotEqual(t, before, after, "the change changes something")
			ref.checkLifecycle()

			cases := 0
			for _, crash := range []bool{false, true} {
				for k := 1; k <= len(statements); k++ {
					mode := "fault"
					if crash {
						mode = "crash"
					}
					t.Run(fmt.Sprintf("%s at %d of %d", mode, k, len(statements)), func(t *testing.T) {
						t.Parallel()
						fx := base.copy(t)
						fx.f.arm(k, crash)
						err := op.run(fx)
						seen := fx.f.disarm()
						require.GreaterOrEqual(t, len(seen), k, "the fault is reached: %q", seen)
						if crash {
							fx.restart()
						}
						fx.checkLifecycle()
						got := fx.snapshot()
						switch {
						case err != nil:
							require.ErrorIs(t, err, errFault)
							require.Equal(t, before, got, "a change that failed changed nothing")
						case got == after:
						case op.finalApproval:
							// The approval committed; the grant did not.
							require.Equal(t, signoff.StatusApproved, fx.status(), "the grant failed visibly")
						default:
							require.Equal(t, after, got, "a change that reported success is complete")
						}
						switch got {
						case before:
							// Nothing happened: doing it again works, once.
							require.NoError(t, op.run(fx))
						case after:
						default:
							fx.recoverGrant()
						}
						fx.checkLifecycle()
						require.Equal(t, after, fx.snapshot())
					})
					cases++
				}
			}
			mu.Lock()
			total += cases
			mu.Unlock()
			t.Logf("%s: %d statements, %d fault cases", op.name, len(statements), cases)
		})
	}
	t.Cleanup(func() { t.Logf("fault cases in all: %d", total) })
}

// TestCrashBetweenApprovalAndGrant is the process dying after the final
// approval committed and before the grant ran: after the restart the request
// is APPROVED, listed as needing a grant, and granted exactly once.
func TestCrashBetweenApprovalAndGrant(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	fx.dieAfterApproval()
	fx.checkLifecycle()
	fx.recoverGrant()
	fx.checkLifecycle()
}

// recoverGrant checks that an approved request whose grant did not run (or
// failed) is listed as needing a grant, and that an admin's retry settles it:
// GRANTED exactly once (a second retry is a conflict), or GRANT_FAILED again
// when the access role still does not exist.
func (fx *fixture) recoverGrant() {
	t, ctx := fx.t, fx.t.Context()
	t.Helper()
	require.Contains(t, []signoff.Status{signoff.StatusApproved, signoff.StatusGrantFailed}, fx.status())
	needs, err := fx.svc.NeedsGrant(ctx, fx.as["ADAM"])
	require.NoError(t, err)
	require.True(t, slices.ContainsFunc(needs, func(r signoff.Request) bool { return r.ID == fx.id }),
		"an approved request without its grant is listed for admins")
	st, err := fx.svc.RetryGrant(ctx, fx.as["ADAM"], fx.id)
	require.NoError(t, err)
	r, err := fx.request(fx.id)
	require.NoError(t, err)
	require.Equal(t, st, r.Status)
	if fx.count(`SELECT COUNT(*) FROM local_role WHERE role_name = ?`, r.AccessRole) == 0 {
		require.Equal(t, signoff.StatusGrantFailed, st, "no role, no grant")
		return
	}
	require.Equal(t, signoff.StatusGranted, st)
	_, err = fx.svc.RetryGrant(ctx, fx.as["ADAM"], fx.id)
	require.ErrorIs(t, err, signoff.ErrConflict, "a second retry grants nothing")
	require.Equal(t, 1, fx.count(`SELECT COUNT(*) FROM audit_log WHERE request_id = ? AND event_type = 'ACCESS_GRANTED'`, fx.id))
	require.True(t, fx.who(r.Requester).HasRole(r.AccessRole), "the requester holds %s", r.AccessRole)
}

// saveProduct saves product id (a new one, or a new version of one never
// saved through Signoff) with a two-step chain, as ADAM.
func (fx *fixture) saveProduct(id string, create bool) error {
	d := signoff.Definition{ID: id, Name: "Saved " + id, Owner: "Analytics", OwnerRole: "DATA_OWNER", Domain: "Finance",
		Classification: "INTERNAL", AccessRole: "REPORTS_READ", Durations: []int{0},
		Chain: []signoff.DefinitionStep{{ApproverRole: "LINE_MANAGER", Label: "Line manager"},
			{Kind: signoff.KindOwner, Label: "Owners"}}}
	_, err := fx.svc.SaveProduct(fx.t.Context(), fx.as["ADAM"], d, create, 0)
	return err
}

// savePolicy replaces the chain policy with two steps, one of them
// conditional, as ADAM.
func (fx *fixture) savePolicy() error {
	_, err := fx.svc.SavePolicy(fx.t.Context(), fx.as["ADAM"], []signoff.DefinitionStep{
		{ApproverRole: "LINE_MANAGER", Label: "Governance", DeadlineHours: 24},
		{ApproverRole: "DATA_OWNER", Label: "Privacy", WhenTag: "pii", Quorum: 1}})
	return err
}

func (fx *fixture) status() signoff.Status {
	fx.t.Helper()
	r, err := fx.request(fx.id)
	require.NoError(fx.t, err)
	return r.Status
}

func (fx *fixture) count(query string, args ...any) int {
	fx.t.Helper()
	var n int
	require.NoError(fx.t, fx.st.db.QueryRowContext(fx.t.Context(), query, args...).Scan(&n))
	return n
}

// snapshot describes the whole workflow state without IDs and times, so
// that two fixtures that did the same things compare equal: each request
// with its steps and its audit events, and the roles granted to ALICE.
func (fx *fixture) snapshot() string {
	t, ctx := fx.t, fx.t.Context()
	t.Helper()
	var out []string
	rows, err := fx.st.db.QueryContext(ctx, `
		SELECT r.request_id, r.product_id, r.requester, r.status, r.current_step, r.step_count,
		       (SELECT COALESCE(GROUP_CONCAT(s.step_order || ':' || COALESCE(s.decision, '-') || ':' || COALESCE(s.decided_by, '-'), ' '), '')
		        FROM (SELECT * FROM request_step WHERE request_id = r.request_id ORDER BY step_order) s)
		FROM access_request r ORDER BY r.product_id, r.created_at`)
	require.NoError(t, err)
	type req struct{ id, desc string }
	var reqs []req
	for rows.Next() {
		var id, product, requester, status, steps string
		var cur, count int
		require.NoError(t, rows.Scan(&id, &product, &requester, &status, &cur, &count, &steps))
		reqs = append(reqs, req{id, fmt.Sprintf("%s %s %s %d/%d [%s]", product, requester, status, cur, count, steps)})
	}
	require.NoError(t, rows.Err())
	rows.Close()
	for _, r := range reqs {
		var evs []string
		rows, err := fx.st.db.QueryContext(ctx, `SELECT event_type, COALESCE(step_order, 0), COALESCE(decision, '')
			FROM audit_log WHERE request_id = ?`, r.id)
		require.NoError(t, err)
		for rows.Next() {
			var typ, decision string
			var step int
			require.NoError(t, rows.Scan(&typ, &step, &decision))
			evs = append(evs, fmt.Sprintf("%s@%d%s", typ, step, decision))
		}
		require.NoError(t, rows.Err())
		rows.Close()
		slices.Sort(evs)
		out = append(out, r.desc+" events: "+strings.Join(evs, ","))
	}
	out = append(out, fx.reviewSnapshot()...)
	id := fx.who("ALICE")
	out = append(out, "ALICE holds: "+strings.Join(id.Roles, ","))
	// The catalog and its versions (product saves).
	var catalog string
	require.NoError(t, fx.st.db.QueryRowContext(ctx, `SELECT COALESCE(GROUP_CONCAT(x, ' '), '') FROM (
		SELECT p.product_id || ':' || p.name || ':' || (SELECT COUNT(*) FROM approval_chain c WHERE c.product_id = p.product_id)
		       || ':v' || (SELECT COUNT(*) FROM product_version v WHERE v.product_id = p.product_id) AS x
		FROM data_product p ORDER BY p.product_id)`).Scan(&catalog))
	out = append(out, "catalog: "+catalog)
	var policy string
	require.NoError(t, fx.st.db.QueryRowContext(ctx, `SELECT COALESCE(GROUP_CONCAT(x, ' '), '') FROM (
		SELECT step_order || ':' || step_label || ':' || approver_role AS x FROM chain_policy ORDER BY step_order)`).Scan(&policy))
	out = append(out, "policy: "+policy+fmt.Sprintf(" (%d saves)", fx.count(`SELECT COUNT(*) FROM audit_log WHERE event_type = 'POLICY_SAVED'`)))
	dir, err := fx.st.Reads().ManagerEntries(ctx, "", 100)
	require.NoError(t, err)
	for _, e := range dir {
		out = append(out, "directory: "+e.User+" → "+e.Manager+" by "+e.UpdatedBy)
	}
	out = append(out, fmt.Sprintf("audit rows: %d", fx.count(`SELECT COUNT(*) FROM audit_log`)))
	return strings.Join(out, "\n")
}

// checkLifecycle checks that every request is in one of the lifecycle's
// states, with its steps decided as that state implies, exactly the audit
// events that state implies (in an intact hash chain), and the access role
// held exactly when granted.
func (fx *fixture) checkLifecycle() {
	t, ctx := fx.t, fx.t.Context()
	t.Helper()
	rows, err := fx.st.db.QueryContext(ctx, `SELECT request_id FROM access_request`)
	require.NoError(t, err)
	var ids []string
	for rows.Next() {
		var id string
		require.NoError(t, rows.Scan(&id))
		ids = append(ids, id)
	}
	require.NoError(t, rows.Err())
	rows.Close()
	holders := map[string]bool{} // requester:role justified by a GRANTED request
	for _, id := range ids {
		r, err := fx.request(id)
		require.NoError(t, err)
		checkRequest(t, r, fx.events(id))
		if r.Status == signoff.StatusGranted {
			holders[r.Requester+":"+r.AccessRole] = true
		}
	}
	for _, user := range []string{"ALICE"} {
		id := fx.who(user)
		for _, role := range []string{"REPORTS_READ", "CONTRACTS_READ", "TIMED_READ"} {
			assert.Equal(t, holders[user+":"+role], id.HasRole(role), "%s holds %s exactly when a request of theirs is GRANTED", user, role)
		}
	}
	// Every request's audit hash chain is whole and matches its state.
	rep, err := fx.svc.VerifyAudit(ctx, fx.as["ADAM"])
	require.NoError(t, err)
	require.True(t, rep.OK(), "audit chains: %+v", rep.Problems)
	require.Equal(t, len(ids), rep.Requests)
}

func (fx *fixture) events(requestID string) map[string]int {
	fx.t.Helper()
	rows, err := fx.st.db.QueryContext(fx.t.Context(), `SELECT event_type, COALESCE(step_order, 0)
		FROM audit_log WHERE request_id = ?`, requestID)
	require.NoError(fx.t, err)
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var typ string
		var step int
		require.NoError(fx.t, rows.Scan(&typ, &step))
		out[typ]++
		if typ == string(signoff.EventStepApproved) || typ == string(signoff.EventStepRejected) {
			out[fmt.Sprintf("%s@%d", typ, step)]++
		}
	}
	require.NoError(fx.t, rows.Err())
	return out
}

// checkRequest checks one request against the lifecycle (docs/design.md) and its
// audit events (type, and type@step for step events, counted).
func checkRequest(t *testing.T, r signoff.Request, events map[string]int) {
	t.Helper()
	decided, rejected := 0, 0
	deciders := map[string]bool{}
	for i, s := range r.Steps {
		require.Equal(t, i+1, s.Order)
		if s.Decision == signoff.DecisionNone {
			for _, later := range r.Steps[i:] {
				require.Equal(t, signoff.DecisionNone, later.Decision, "%s: decided steps are a prefix: %+v", r.ID, r.Steps)
			}
			break
		}
		decided++
		require.NotEqual(t, r.Requester, s.DecidedBy, "%s: the requester decided step %d", r.ID, s.Order)
		require.False(t, deciders[s.DecidedBy], "%s: %s decided two steps", r.ID, s.DecidedBy)
		deciders[s.DecidedBy] = true
		if s.Decision == signoff.DecisionReject {
			rejected++
			require.Equal(t, decided, len(r.Steps[:i+1]), "%s: a rejection is the last decision", r.ID)
		}
		want := signoff.EventStepApproved
		if s.Decision == signoff.DecisionReject {
			want = signoff.EventStepRejected
		}
		require.Equal(t, 1, events[fmt.Sprintf("%s@%d", want, s.Order)], "%s: one %s event for step %d", r.ID, want, s.Order)
	}
	require.Equal(t, decided-rejected, events[string(signoff.EventStepApproved)], "%s: STEP_APPROVED events", r.ID)
	require.Equal(t, rejected, events[string(signoff.EventStepRejected)], "%s: STEP_REJECTED events", r.ID)
	require.Equal(t, 1, events[string(signoff.EventRequestSubmitted)], "%s: REQUEST_SUBMITTED events", r.ID)
	require.Equal(t, len(r.Steps), r.StepCount, "%s: the chain was copied whole", r.ID)

	approved := 0 // the request passed every step
	one := func(b bool) int {
		if b {
			return 1
		}
		return 0
	}
	expired := r.Status == signoff.StatusExpired
	accessExpired := expired && events[string(signoff.EventAccessExpired)] > 0
	switch {
	case r.Status == signoff.StatusPending || r.Status == signoff.StatusWithdrawn ||
		r.Status == signoff.StatusChangesRequested || expired && !accessExpired:
		require.Zero(t, rejected, r.ID)
		require.Equal(t, r.CurrentStep-1, decided, "%s: %s at step %d", r.ID, r.Status, r.CurrentStep)
		require.LessOrEqual(t, r.CurrentStep, r.StepCount, r.ID)
	case r.Status == signoff.StatusRejected:
		require.Equal(t, 1, rejected, r.ID)
		require.Equal(t, r.CurrentStep, decided, "%s: rejected at step %d", r.ID, r.CurrentStep)
	case r.Status == signoff.StatusApproved || r.Status == signoff.StatusGranted || r.Status == signoff.StatusGrantFailed ||
		r.Status == signoff.StatusRevoked || accessExpired:
		require.Zero(t, rejected, r.ID)
		require.Equal(t, r.StepCount, decided, "%s: %s with every step approved", r.ID, r.Status)
		require.Equal(t, r.StepCount, r.CurrentStep, r.ID)
		approved = 1
	default:
		t.Fatalf("%s: status %q is not in the lifecycle", r.ID, r.Status)
	}
	granted := one(r.Status == signoff.StatusGranted || r.Status == signoff.StatusRevoked || accessExpired)
	require.Equal(t, one(accessExpired), events[string(signoff.EventAccessExpired)], "%s: ACCESS_EXPIRED events", r.ID)
	require.Equal(t, one(expired && !accessExpired), events[string(signoff.EventRequestExpired)], "%s: REQUEST_EXPIRED events", r.ID)
	require.Equal(t, events[string(signoff.EventChangesRequested)]-one(r.Status == signoff.StatusChangesRequested),
		events[string(signoff.EventRequestResubmitted)], "%s: every question but a pending one is answered", r.ID)
	require.Equal(t, approved, events[string(signoff.EventRequestApproved)], "%s: REQUEST_APPROVED events", r.ID)
	require.Equal(t, granted, events[string(signoff.EventAccessGranted)], "%s: ACCESS_GRANTED events", r.ID)
	require.Equal(t, one(r.Status == signoff.StatusWithdrawn), events[string(signoff.EventRequestWithdrawn)], "%s: REQUEST_WITHDRAWN events", r.ID)
	require.Equal(t, one(r.Status == signoff.StatusRevoked), events[string(signoff.EventAccessRevoked)], "%s: ACCESS_REVOKED events", r.ID)
	if r.Status == signoff.StatusGrantFailed {
		require.Positive(t, events[string(signoff.EventGrantFailed)], "%s: GRANT_FAILED says why", r.ID)
	}
	if approved == 0 {
		require.Zero(t, events[string(signoff.EventGrantFailed)], "%s: no grant ran before approval", r.ID)
	}
}

// request reads one request as the pages do.
func (fx *fixture) request(id string) (signoff.Request, error) {
	r, _, _, err := fx.st.Reads().RequestDetail(fx.t.Context(), id)
	return r, err
}
