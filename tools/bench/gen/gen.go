// Package gen fills a new embedded database file with a large, realistic
// data set for benchmarks (tools/bench, and the Go benchmarks of
// internal/sqlite and internal/server): the demo account and catalog, extra
// products with chains of one to four steps keyed to the demo's approver
// roles, extra requesters, and requests in every end state plus about a tenth
// still pending, each with its steps and a valid audit hash chain built
// exactly as the Service builds its events.
//
// The file is created and migrated the way the app does it (sqlite.Open), and
// the demo story is loaded through the real workflow (demo.Load). Everything
// else is written with the generator's own SQL on its own database/sql
// connection, with prepared statements in large transactions, not through the
// workflow, so that 100,000 requests load in seconds. That bypasses the
// workflow's checks, so whatever it writes must already be consistent (valid
// audit chains, steps matching each request's state). It lives here, not in
// internal/sqlite, so that the serving binary carries no bulk loader.
//
// The data is deterministic for a seed, except the demo story's own IDs,
// which the real workflow makes.
package gen

import (
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/ncruces/go-sqlite3/driver" // registers "sqlite3"

	"github.com/signoff/signoff/internal/demo"
	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlite"
)

// Options says what to generate.
type Options struct {
	Requests int       // generated requests (besides the demo story's)
	Products int       // products in the catalog in total, demo's included (default 100)
	Seed     uint64    // shapes the data: same seed, same data
	Now      time.Time // the present; every generated event happens before it (default time.Now)
	// PerRequester caps the requests of one generated requester (default 40).
	PerRequester int
	// Chunk is how many requests one transaction writes (default 10,000).
	Chunk int
}

// Result says what was generated.
type Result struct {
	Products   int // products in the catalog
	Requesters int // generated requesters (GEN0001, …)
	Requests   int // generated requests
	Events     int // generated audit events
	ByStatus   map[signoff.Status]int
	Elapsed    time.Duration
}

// approver is one step of a generated chain and the persona who decides it.
type approver struct {
	role, label, user string
}

var (
	manager  = approver{"LINE_MANAGER", "Line manager", "MARCO"}
	dpo      = approver{"DPO", "Data protection", "DANA"}
	security = approver{"SECURITY_LEAD", "Security", "SAM"}
)

// domains are the generated products' domains with their owners. A chain
// never holds two steps one persona decides (a decider decides one step).
var domains = []struct {
	name, owner string
	step        approver
}{
	{"Sales", "Olivia Chen (Sales operations)", approver{"DATA_OWNER_SALES", "Data owner", "OLIVIA"}},
	{"Marketing", "Olivia Chen (Marketing analytics)", approver{"DATA_OWNER_MARKETING", "Data owner", "OLIVIA"}},
	{"Finance", "Frank Weber (Group finance)", approver{"DATA_OWNER_FINANCE", "Data owner", "FRANK"}},
	{"People", "Hannah Ito (People analytics)", approver{"DATA_OWNER_HR", "Data owner", "HANNAH"}},
}

var classifications = []string{"PUBLIC", "INTERNAL", "CONFIDENTIAL", "PII", "FINANCE"}

var reasons = []string{
	"Quarterly business review needs this data for the growth dashboard.",
	"Building the churn model for the retention squad this quarter.",
	"Reconciling figures for the monthly close with the controlling team.",
	"Capacity planning for next year's budget, by team and location.",
	"Ad-hoc analysis requested by the leadership team for the offsite.",
}

var rejections = []string{
	"Use the aggregated product instead; row-level data is not needed for this.",
	"The business reason does not justify access to personal data.",
	"Access is restricted during the close window; ask again after day 5.",
}

// product is a generated product with its chain.
type product struct {
	id, accessRole string
	chain          []approver
	snapshot       string // the chain as a submission records it (signoff.SubmissionDetails: permanent access, no deadlines)
}

// Generate fills the database file at path, which must be new or hold no
// data, and returns what it wrote. If it created the file and fails, it
// removes it again, so that no half-generated database is left behind.
func Generate(ctx context.Context, path string, opt Options) (res Result, err error) {
	start := time.Now()
	switch {
	case path == "":
		return Result{}, errors.New("gen: name the database file to create")
	case path == ":memory:":
		return Result{}, errors.New("gen: an in-memory database would be lost: name a database file")
	case opt.Requests < 0:
		return Result{}, errors.New("gen: the number of requests cannot be negative")
	case opt.Products < 0:
		return Result{}, errors.New("gen: the number of products cannot be negative")
	}
	if opt.Products == 0 {
		opt.Products = 100
	}
	extra := opt.Products - len(demo.Products)
	if extra < 1 {
		return Result{}, fmt.Errorf("gen: the products must be more than the demo's %d", len(demo.Products))
	}
	if opt.PerRequester <= 0 {
		opt.PerRequester = 40
	}
	opt.PerRequester = min(opt.PerRequester, extra) // one request per product per requester
	if opt.Chunk <= 0 {
		opt.Chunk = 10000
	}
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	now := opt.Now.UTC().Truncate(time.Microsecond)

	if _, statErr := os.Stat(path); statErr != nil { // we create the file
		defer func() {
			if err != nil {
				for _, f := range []string{path, path + "-wal", path + "-shm"} {
					_ = os.Remove(f)
				}
			}
		}()
	}
	if err := loadDemo(ctx, path, now); err != nil {
		return Result{}, err
	}

	db, err := openBulk(path)
	if err != nil {
		return Result{}, err
	}
	defer func() {
		if cerr := db.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("gen: close: %w", cerr)
		}
	}()
	g := &generator{rng: rand.New(rand.NewPCG(opt.Seed, opt.Seed^0x5167_6e6f_6666)), now: now,
		res: Result{ByStatus: map[signoff.Status]int{}}}
	// The generated events follow the demo story's in the one ledger.
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0),
		COALESCE((SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1), '') FROM audit_log`).Scan(&g.head.Seq, &g.head.Hash); err != nil {
		return Result{}, fmt.Errorf("gen: ledger head: %w", err)
	}
	if err := inTx(ctx, db, func(tx *sql.Tx) error { return g.products(ctx, tx, extra) }); err != nil {
		return Result{}, fmt.Errorf("gen: products: %w", err)
	}
	g.res.Products = opt.Products
	requesters := (opt.Requests + opt.PerRequester - 1) / opt.PerRequester
	if err := inTx(ctx, db, func(tx *sql.Tx) error { return g.requesters(ctx, tx, requesters) }); err != nil {
		return Result{}, fmt.Errorf("gen: requesters: %w", err)
	}
	g.res.Requesters = requesters
	// Requester u asks for PerRequester distinct products from a random offset.
	for done := 0; done < opt.Requests; {
		n := min(opt.Chunk, opt.Requests-done)
		first := done
		err := inTx(ctx, db, func(tx *sql.Tx) error {
			w, err := g.prepare(ctx, tx)
			if err != nil {
				return err
			}
			defer w.close()
			for i := first; i < first+n; i++ {
				u := i / opt.PerRequester
				if i%opt.PerRequester == 0 {
					g.offset = g.rng.IntN(len(g.prods))
				}
				p := g.prods[(g.offset+i%opt.PerRequester)%len(g.prods)]
				if err := g.request(ctx, w, requesterName(u), p); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return Result{}, fmt.Errorf("gen: requests: %w", err)
		}
		done += n
	}
	// Copy the write-ahead log into the file and empty it, so that the file
	// holds everything on its own.
	if _, err := db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return Result{}, fmt.Errorf("gen: checkpoint: %w", err)
	}
	g.res.Elapsed = time.Since(start)
	return g.res, nil
}

// loadDemo creates and migrates the database file the way the app does
// (sqlite.Open), checks that it holds no data, and loads the demo account,
// catalog and story through the real workflow.
func loadDemo(ctx context.Context, path string, now time.Time) error {
	store, err := sqlite.Open(ctx, path)
	if err != nil {
		return err
	}
	defer store.Close()
	empty, err := store.Empty(ctx)
	if err != nil {
		return err
	}
	if !empty {
		return errors.New("gen: the database already holds data; generate into a new file")
	}
	if err := demo.Load(ctx, store, signoff.NewService(store.Reads(), store), now); err != nil {
		return err
	}
	return store.Close()
}

// timeFormat is how the app stores times (internal/sqlite's timeFormat):
// fixed-width UTC text, so that text order is time order. Generated rows
// must use the same, or they would sort and compare wrongly against the
// app's; gen_test.go checks that they do.
const timeFormat = "2006-01-02T15:04:05.000000Z07:00"

// cacheKiB is the bulk connection's page cache, so that index pages stay
// in memory instead of spilling. It must stay well inside the 256 MB of
// memory each connection's WebAssembly SQLite may use: a cache of 256 MiB
// ran out of memory (SQLITE_NOMEM, a panic in the driver) partway through
// loading 1,000,000 requests.
const cacheKiB = 128 << 10

// openBulk opens the database file at path for loading, on one connection,
// with the app's time format and foreign keys (internal/sqlite's open), but
// a large page cache and synchronous OFF: commits and checkpoints do not wait
// for the disk. A process crash still leaves the database intact (each
// transaction is atomic); a power loss during a load may lose or damage it,
// which is acceptable for data that can be generated again.
func openBulk(path string) (*sql.DB, error) {
	abs, err := filepath.Abs(path) // in a file: URI, "dir/x.db" would read as "/dir/x.db"
	if err != nil {
		return nil, fmt.Errorf("gen: open %s: %w", path, err)
	}
	params := url.Values{}
	params.Set("_txlock", "immediate")
	params.Set("_timefmt", timeFormat)
	params.Add("_pragma", "busy_timeout(10000)")
	params.Add("_pragma", "foreign_keys(1)")
	params.Add("_pragma", "journal_mode(wal)") // as sqlite.Open left it
	params.Add("_pragma", "synchronous(off)")
	params.Add("_pragma", fmt.Sprintf("cache_size(-%d)", cacheKiB))
	// Path, not Opaque: the path is escaped, so a '%', '?' or '#' in a file
	// name is part of the name, not URI syntax.
	dsn := (&url.URL{Scheme: "file", Path: abs, RawQuery: params.Encode()}).String()
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return nil, fmt.Errorf("gen: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1) // one connection keeps its page cache across transactions
	db.SetMaxIdleConns(1)
	db.SetConnMaxIdleTime(0)
	return db, nil
}

// inTx runs fn in one write transaction (BEGIN IMMEDIATE), committing if fn
// returns nil and rolling back otherwise.
func inTx(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

func requesterName(u int) string { return fmt.Sprintf("GEN%04d", u+1) }

type generator struct {
	rng    *rand.Rand
	now    time.Time
	prods  []product
	offset int
	head   signoff.LedgerHead // the audit ledger's last link so far
	res    Result
}

func (g *generator) products(ctx context.Context, tx *sql.Tx, n int) error {
	for i := range n {
		d := domains[g.rng.IntN(len(domains))]
		class := classifications[g.rng.IntN(len(classifications))]
		steps := 1 + g.rng.IntN(4)
		chain := []approver{d.step}
		if steps >= 2 {
			chain = []approver{manager, d.step}
		}
		if steps >= 3 {
			chain = append(chain, dpo)
		}
		if steps >= 4 {
			chain = append(chain, security)
		}
		p := product{id: fmt.Sprintf("gen-product-%04d", i+1), accessRole: fmt.Sprintf("GEN_PRODUCT_%04d_READ", i+1), chain: chain}
		var snap []signoff.ChainStep
		for s, a := range chain {
			snap = append(snap, signoff.ChainStep{Order: s + 1, ApproverRole: a.role, Label: a.label})
		}
		p.snapshot = signoff.SubmissionDetails(0, "", strings.Repeat("0:;", len(snap)), signoff.ChainSnapshot(snap))
		tags, _ := json.Marshal([]string{"generated", d.name})
		cols, _ := json.Marshal([]signoff.Column{{Name: "ID", Type: "VARCHAR"}, {Name: "VALUE", Type: "NUMBER(12,2)"},
			{Name: "UPDATED_AT", Type: "TIMESTAMP_NTZ"}})
		if _, err := tx.ExecContext(ctx, `INSERT INTO local_role (role_name, comment) VALUES (?, ?)`,
			p.accessRole, "Access role: generated product "+p.id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO data_product (product_id, name, description, owner, owner_role,
			domain, classification, tags, product_columns, access_role, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			p.id, fmt.Sprintf("%s data set %04d", d.name, i+1),
			fmt.Sprintf("Generated %s product for benchmarks, classified %s, with a %d-step chain.", d.name, class, steps),
			d.owner, d.step.role, d.name, class, string(tags), string(cols), p.accessRole, g.now.Add(-400*24*time.Hour))
		if err != nil {
			return err
		}
		for s, a := range chain {
			if _, err := tx.ExecContext(ctx, `INSERT INTO approval_chain (product_id, step_order, approver_role, step_label)
				VALUES (?, ?, ?, ?)`, p.id, s+1, a.role, a.label); err != nil {
				return err
			}
		}
		g.prods = append(g.prods, p)
	}
	return nil
}

func (g *generator) requesters(ctx context.Context, tx *sql.Tx, n int) error {
	user, err := tx.PrepareContext(ctx, `INSERT INTO local_user (user_name, display_name, title) VALUES (?, ?, ?)`)
	if err != nil {
		return err
	}
	defer user.Close()
	role, err := tx.PrepareContext(ctx, `INSERT INTO local_user_role (user_name, role_name, granted_by, granted_at)
		VALUES (?, 'ANALYST', 'ACCOUNTADMIN', ?)`)
	if err != nil {
		return err
	}
	defer role.Close()
	for u := range n {
		name := requesterName(u)
		if _, err := user.ExecContext(ctx, name, fmt.Sprintf("Generated analyst %d", u+1), "Analyst (generated requester)"); err != nil {
			return err
		}
		if _, err := role.ExecContext(ctx, name, g.now.Add(-400*24*time.Hour)); err != nil {
			return err
		}
	}
	return nil
}

// writer holds one transaction's prepared statements.
type writer struct {
	request, step, event, grant *sql.Stmt
}

func (g *generator) prepare(ctx context.Context, tx *sql.Tx) (*writer, error) {
	var w writer
	var err error
	prep := func(q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var st *sql.Stmt
		st, err = tx.PrepareContext(ctx, q)
		return st
	}
	w.request = prep(`INSERT INTO access_request (request_id, product_id, requester, business_reason, status,
		current_step, step_count, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	w.step = prep(`INSERT INTO request_step (request_id, step_order, step_label, approver_role, decision,
		decided_by, acting_role, comment, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	w.event = prep(`INSERT INTO audit_log (event_id, event_time, request_id, product_id, actor, actor_role,
		event_type, step_order, decision, comment, details, seq, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	w.grant = prep(`INSERT INTO local_user_role (user_name, role_name, granted_by, granted_at)
		VALUES (?, ?, ?, ?) ON CONFLICT (user_name, role_name) DO NOTHING`)
	if err != nil {
		w.close()
		return nil, err
	}
	return &w, nil
}

func (w *writer) close() {
	for _, st := range []*sql.Stmt{w.request, w.step, w.event, w.grant} {
		if st != nil {
			st.Close()
		}
	}
}

// request writes one request by requester for p in a state drawn at random.
func (g *generator) request(ctx context.Context, w *writer, requester string, p product) error {
	k := len(p.chain)
	var status signoff.Status
	var stop int // the step the request stopped at (pending, rejected, withdrawn)
	var created time.Time
	switch x := g.rng.Float64(); {
	case x < 0.10:
		status, stop = signoff.StatusPending, 1+g.rng.IntN(k)
		created = g.now.Add(-time.Duration(24+g.rng.IntN(29*24)) * time.Hour)
	case x < 0.72:
		status, stop = signoff.StatusGranted, k
	case x < 0.87:
		status, stop = signoff.StatusRejected, 1+g.rng.IntN(k)
	default:
		status, stop = signoff.StatusWithdrawn, 1+g.rng.IntN(k)
	}
	if created.IsZero() {
		created = g.now.Add(-3*24*time.Hour - time.Duration(g.rng.Int64N(int64(362*24*time.Hour))))
	}
	created = created.Truncate(time.Microsecond)
	id := g.id(created)
	reason := reasons[g.rng.IntN(len(reasons))]
	ev := func(at time.Time, actor, role string, t signoff.EventType) signoff.Event {
		return signoff.Event{ID: g.id(at), Time: at, RequestID: id, ProductID: p.id, Actor: actor, ActorRole: role, Type: t}
	}
	submitted := ev(created, requester, "", signoff.EventRequestSubmitted)
	submitted.Comment, submitted.Details = reason, p.snapshot
	events := []signoff.Event{submitted}
	type decided struct {
		decision          signoff.Decision
		by, role, comment string
		at                time.Time
	}
	steps := make([]decided, k)
	at := created
	later := func() time.Time {
		at = at.Add(5*time.Minute + time.Duration(g.rng.Int64N(int64(12*time.Hour)))).Truncate(time.Microsecond)
		return at
	}
	// Steps before stop are approved; at stop the request is rejected,
	// withdrawn or still pending; a granted request approves every step.
	approvedSteps := stop - 1
	if status == signoff.StatusGranted {
		approvedSteps = k
	}
	for s := 1; s <= approvedSteps; s++ {
		a := p.chain[s-1]
		t := later()
		steps[s-1] = decided{decision: signoff.DecisionApprove, by: a.user, role: a.role, at: t}
		e := ev(t, a.user, a.role, signoff.EventStepApproved)
		e.Step, e.Decision = s, signoff.DecisionApprove
		events = append(events, e)
		if s == k {
			done := ev(t, a.user, a.role, signoff.EventRequestApproved)
			done.Step = s
			events = append(events, done)
		}
	}
	currentStep := stop
	updated := at
	switch status {
	case signoff.StatusGranted:
		last := p.chain[k-1]
		t := at.Add(time.Duration(1+g.rng.IntN(900)) * time.Millisecond).Truncate(time.Microsecond)
		e := ev(t, last.user, last.role, signoff.EventAccessGranted)
		e.Details = fmt.Sprintf("GRANT ROLE %s TO USER %s", p.accessRole, requester)
		events = append(events, e)
		updated = t
		if _, err := w.grant.ExecContext(ctx, requester, p.accessRole, last.user, t); err != nil {
			return err
		}
	case signoff.StatusRejected:
		a := p.chain[stop-1]
		t := later()
		c := rejections[g.rng.IntN(len(rejections))]
		steps[stop-1] = decided{decision: signoff.DecisionReject, by: a.user, role: a.role, comment: c, at: t}
		e := ev(t, a.user, a.role, signoff.EventStepRejected)
		e.Step, e.Decision, e.Comment = stop, signoff.DecisionReject, c
		events = append(events, e)
		updated = t
	case signoff.StatusWithdrawn:
		t := later()
		e := ev(t, requester, "", signoff.EventRequestWithdrawn)
		e.Step = stop
		events = append(events, e)
		updated = t
	}
	g.head = signoff.Link(g.head, events)

	if _, err := w.request.ExecContext(ctx, id, p.id, requester, reason, string(status), currentStep, k,
		created, updated); err != nil {
		return err
	}
	for s, a := range p.chain {
		d := steps[s]
		if d.decision == signoff.DecisionNone {
			_, err := w.step.ExecContext(ctx, id, s+1, a.label, a.role, nil, nil, nil, nil, nil)
			if err != nil {
				return err
			}
			continue
		}
		if _, err := w.step.ExecContext(ctx, id, s+1, a.label, a.role, string(d.decision), d.by, d.role,
			nullString(d.comment), d.at); err != nil {
			return err
		}
	}
	for _, e := range events {
		if _, err := w.event.ExecContext(ctx, e.ID, e.Time, e.RequestID, e.ProductID, e.Actor,
			nullString(e.ActorRole), string(e.Type), nullInt(e.Step), nullString(string(e.Decision)),
			nullString(e.Comment), nullString(e.Details), e.Seq, e.PrevHash, e.Hash); err != nil {
			return err
		}
	}
	g.res.Requests++
	g.res.Events += len(events)
	g.res.ByStatus[status]++
	return nil
}

// id returns an ID in signoff.IDGenerator's layout with random bits from
// the seeded generator, so generated IDs are reproducible and sort by time
// like the app's.
func (g *generator) id(t time.Time) string {
	var random [10]byte
	binary.BigEndian.PutUint16(random[:2], uint16(g.rng.Uint32()))
	binary.BigEndian.PutUint64(random[2:], g.rng.Uint64())
	return signoff.IDAt(t, random)
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }
func nullInt(n int) sql.NullInt64        { return sql.NullInt64{Int64: int64(n), Valid: n != 0} }
