package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlite"
	"github.com/signoff/signoff/tools/bench/gen"
)

// dataset is a generated database of one size.
type dataset struct {
	requests  int // generated requests
	path      string
	generated time.Duration // how long generating it took (package gen)
	cached    bool          // reused from an earlier run
	size      int64         // bytes on disk
	pending   int           // requests pending at the start
}

// sourceDirs hold what shapes a generated database: the generator, the demo
// and the embedded schema.
var sourceDirs = []string{"tools/bench/gen", "internal/demo", "sql/sqlite"}

// sourceKey fingerprints sourceDirs, so that a cached database is reused only
// while they are unchanged. It reads them from the module's source tree.
func sourceKey(root string) string {
	h := sha256.New()
	for _, dir := range sourceDirs {
		_ = filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			b, err := os.ReadFile(path)
			if err == nil {
				fmt.Fprintf(h, "%s %d\n", path, len(b))
				h.Write(b)
			}
			return nil
		})
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// ensureDataset returns the database with requests generated requests from
// cacheDir, generating it in-process (package gen) if it is not there yet.
func ensureDataset(ctx context.Context, cacheDir, key string, requests int, seed uint64, log io.Writer) (dataset, error) {
	ds := dataset{requests: requests,
		path: filepath.Join(cacheDir, fmt.Sprintf("requests-%d-seed-%d-%s.db", requests, seed, key))}
	meta := ds.path + ".json"
	if b, err := os.ReadFile(meta); err == nil {
		var m struct{ Generated time.Duration }
		if json.Unmarshal(b, &m) == nil {
			if _, err := os.Stat(ds.path); err == nil {
				ds.generated, ds.cached = m.Generated, true
			}
		}
	}
	if !ds.cached {
		if err := os.MkdirAll(cacheDir, 0o755); err != nil {
			return ds, err
		}
		for _, suffix := range []string{"", "-wal", "-shm", ".json"} {
			os.Remove(ds.path + suffix)
		}
		fmt.Fprintf(log, "bench: generating %d requests into %s\n", requests, ds.path)
		start := time.Now()
		res, err := gen.Generate(ctx, ds.path, gen.Options{Requests: requests, Seed: seed})
		if err != nil {
			return ds, fmt.Errorf("generate %d requests: %w", requests, err)
		}
		ds.generated = time.Since(start)
		logGenerated(log, res)
		b, _ := json.Marshal(struct{ Generated time.Duration }{ds.generated})
		if err := os.WriteFile(meta, b, 0o644); err != nil {
			return ds, err
		}
	}
	db, err := openRead(ds.path)
	if err != nil {
		return ds, err
	}
	defer db.Close()
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM access_request WHERE status = 'PENDING'`).Scan(&ds.pending); err != nil {
		return ds, fmt.Errorf("%s: %w", ds.path, err)
	}
	ds.size = fileSize(ds.path) + fileSize(ds.path+"-wal")
	return ds, nil
}

// logGenerated writes what gen.Generate wrote, one line and then the
// requests by status.
func logGenerated(log io.Writer, res gen.Result) {
	fmt.Fprintf(log, "bench: generated %d requests (%d audit events) for %d requesters over %d products in %s (%.0f requests/s)\n",
		res.Requests, res.Events, res.Requesters, res.Products, res.Elapsed.Round(time.Millisecond),
		float64(res.Requests)/res.Elapsed.Seconds())
	statuses := make([]signoff.Status, 0, len(res.ByStatus))
	for st := range res.ByStatus {
		statuses = append(statuses, st)
	}
	slices.Sort(statuses)
	for _, st := range statuses {
		fmt.Fprintf(log, "bench:   %-10s %d\n", st, res.ByStatus[st])
	}
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// openRead opens an embedded database for reading only.
func openRead(path string) (*sql.DB, error) {
	return sql.Open("sqlite3", "file:"+path+"?mode=ro&_pragma=busy_timeout(10000)")
}

// copyDatabase copies a database file (checkpointed: no -wal) to dst.
func copyDatabase(src, dst string) error {
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(dst + suffix)
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if wal, err := os.ReadFile(src + "-wal"); err == nil && len(wal) > 0 {
		if err := os.WriteFile(dst+"-wal", wal, 0o644); err != nil {
			out.Close()
			return err
		}
	}
	return out.Close()
}

// decision is one pending step and the persona who will decide it.
type decision struct {
	request string
	step    int
	persona string
	final   bool
}

// submission is a product a requester has no open request for.
type submission struct {
	requester, product string
}

// workload is what the action runs do, read from the database first.
type workload struct {
	decisions   []decision
	submissions []submission
	personas    []string // every persona a decision needs
}

// planWork reads the pending steps and who may decide each (a persona who
// holds the step's role in session, is not the requester and decided no
// earlier step), and products that requesters have no open request for.
func planWork(ctx context.Context, path string, maxSubmissions int) (workload, error) {
	var w workload
	st, err := sqlite.OpenExisting(ctx, path)
	if err != nil {
		return w, err
	}
	defer st.Close()
	db, err := openRead(path)
	if err != nil {
		return w, err
	}
	defer db.Close()

	users, err := column(ctx, db, `SELECT user_name FROM local_user WHERE user_name NOT LIKE 'GEN%' ORDER BY user_name`)
	if err != nil {
		return w, err
	}
	holders := map[string][]string{} // role → personas holding it in session
	for _, u := range users {
		id, err := st.Identify(ctx, u)
		if err != nil {
			return w, err
		}
		for _, r := range id.Roles {
			holders[r] = append(holders[r], u)
		}
	}
	rows, err := db.QueryContext(ctx, `
		SELECT r.request_id, r.requester, r.current_step, r.step_count, s.approver_role,
		       COALESCE((SELECT group_concat(d.decided_by) FROM request_step d
		                 WHERE d.request_id = r.request_id AND d.decided_by IS NOT NULL), '')
		FROM access_request r
		JOIN request_step s ON s.request_id = r.request_id AND s.step_order = r.current_step
		WHERE r.status = 'PENDING'
		ORDER BY r.request_id`)
	if err != nil {
		return w, err
	}
	defer rows.Close()
	used := map[string]bool{}
	for i := 0; rows.Next(); i++ {
		var d decision
		var requester, role, decided string
		var steps int
		if err := rows.Scan(&d.request, &requester, &d.step, &steps, &role, &decided); err != nil {
			return w, err
		}
		d.final = d.step == steps
		var eligible []string
		for _, p := range holders[role] {
			if p != requester && !slices.Contains(strings.Split(decided, ","), p) {
				eligible = append(eligible, p)
			}
		}
		if len(eligible) == 0 {
			continue
		}
		d.persona = eligible[i%len(eligible)]
		used[d.persona] = true
		w.decisions = append(w.decisions, d)
	}
	if err := rows.Err(); err != nil {
		return w, err
	}
	for p := range used {
		w.personas = append(w.personas, p)
	}
	slices.Sort(w.personas)

	products, err := column(ctx, db, `SELECT product_id FROM data_product ORDER BY product_id`)
	if err != nil {
		return w, err
	}
	requesters, err := column(ctx, db, `SELECT user_name FROM local_user WHERE user_name LIKE 'GEN%' ORDER BY user_name LIMIT 64`)
	if err != nil {
		return w, err
	}
	open := map[submission]bool{}
	rows, err = db.QueryContext(ctx, `SELECT requester, product_id FROM access_request
		WHERE status IN ('PENDING', 'APPROVED', 'GRANTED', 'GRANT_FAILED') AND requester LIKE 'GEN%'`)
	if err != nil {
		return w, err
	}
	defer rows.Close()
	for rows.Next() {
		var s submission
		if err := rows.Scan(&s.requester, &s.product); err != nil {
			return w, err
		}
		open[s] = true
	}
	if err := rows.Err(); err != nil {
		return w, err
	}
	for _, p := range products { // round robin over requesters, so that all of them submit
		for _, r := range requesters {
			if s := (submission{r, p}); !open[s] && len(w.submissions) < maxSubmissions {
				w.submissions = append(w.submissions, s)
			}
		}
	}
	return w, nil
}

func column(ctx context.Context, db *sql.DB, query string) ([]string, error) {
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// check is what the database says after the action runs.
type check struct {
	lost, doubled int // decisions answered 303 but not recorded as sent; steps accepted twice
	noWinner      int // raced steps that no client won
	strays        int // steps recorded as decided by the persona though the server refused

	missingEvents int  // decided steps without exactly one decision event by their decider
	submitted     int  // new open requests found for the submissions
	duplicates    int  // (requester, product) pairs with more than one open request
	chainsOK      bool // every audit hash chain verifies
	chains        int
	events        int
	problems      []string
}

// verify checks the database after the action runs: every decision the
// server accepted is recorded exactly once, as sent (decider and verdict),
// with its audit event; every raced step (from raceFrom on) was won exactly
// once; a refused decision left no trace; every accepted submission made
// one open request; and the audit log verifies. Decisions before rejectFrom
// were approvals, the rest up to raceFrom rejections, the raced ones
// approvals.
func verify(ctx context.Context, path string, decided []decision, wins map[int]int, raceFrom, rejectFrom int,
	submitted []submission, since time.Time) (check, error) {
	var c check
	db, err := openRead(path)
	if err != nil {
		return c, err
	}
	defer db.Close()
	for i, d := range decided {
		if wins[i] > 1 {
			c.doubled++
		}
		if i >= raceFrom && wins[i] == 0 {
			c.noWinner++
		}
		var by, verdict string
		err := db.QueryRowContext(ctx, `SELECT COALESCE(decided_by, ''), COALESCE(decision, '') FROM request_step
			WHERE request_id = ? AND step_order = ?`, d.request, d.step).Scan(&by, &verdict)
		if err != nil {
			return c, err
		}
		var events int
		err = db.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE request_id = ? AND actor = ?
			AND event_type IN ('STEP_APPROVED', 'STEP_REJECTED')`, d.request, d.persona).Scan(&events)
		if err != nil {
			return c, err
		}
		if wins[i] == 0 {
			if by == d.persona || events > 0 {
				c.strays++
				c.problems = append(c.problems, fmt.Sprintf("%s step %d: refused, yet recorded for %s", d.request, d.step, d.persona))
			}
			continue
		}
		want := "APPROVED"
		if i >= rejectFrom && i < raceFrom {
			want = "REJECTED"
		}
		if by != d.persona || verdict != want {
			c.lost++
			c.problems = append(c.problems, fmt.Sprintf("%s step %d: accepted %s from %s, recorded %q by %q",
				d.request, d.step, want, d.persona, verdict, by))
		}
		if events != 1 {
			c.missingEvents++
		}
	}
	for _, s := range submitted {
		var n int
		err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM access_request WHERE requester = ? AND product_id = ?
			AND status IN ('PENDING', 'APPROVED', 'GRANTED', 'GRANT_FAILED') AND created_at >= ?`,
			s.requester, s.product, since.UTC().Format("2006-01-02T15:04:05.000000Z07:00")).Scan(&n)
		if err != nil {
			return c, err
		}
		c.submitted += min(n, 1)
		if n > 1 {
			c.duplicates++
		}
	}
	st, err := sqlite.OpenExisting(ctx, path)
	if err != nil {
		return c, err
	}
	defer st.Close()
	rep, err := st.Reads().VerifyLedger(ctx, nil)
	if err != nil {
		return c, err
	}
	c.chainsOK, c.chains, c.events = rep.OK(), rep.Requests, rep.Events
	for _, p := range rep.Problems {
		c.problems = append(c.problems, fmt.Sprintf("audit: request %s event %d: %s", p.RequestID, p.Seq, p.Sentence()))
	}
	return c, nil
}

// datasets is -data-only: it generates (or finds in the cache) the database
// of each of scales and prints one line per database: requests, pending,
// size, how long generating it took, and its path.
func datasets(ctx context.Context, cfg config, scales []int, stdout, log io.Writer) error {
	key := sourceKey(".")
	for _, scale := range scales {
		ds, err := ensureDataset(ctx, cfg.cache, key, scale, cfg.seed, log)
		if err != nil {
			return err
		}
		took := ds.generated.Round(100 * time.Millisecond).String()
		if ds.cached {
			took += " (cached)"
		}
		fmt.Fprintf(stdout, "%d requests, %d pending, %.0f MB, generated in %s: %s\n",
			ds.requests, ds.pending, float64(ds.size)/1e6, took, ds.path)
	}
	return nil
}
