package sqlite_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/demo"
	"github.com/signoff/signoff/internal/digestfile"
	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlite"
)

// ledgerFixture is the demo story on a file database with a digest file,
// and the requests the tampering cases aim at.
type ledgerFixture struct {
	path, digests string
	st            *sqlite.Store
	svc           *signoff.Service
	// The demo's requests: ALICE's granted sales orders (approved by MARCO
	// and OLIVIA), BEN's revoked marketing campaigns, ALICE's supplier
	// contracts (GRANT_FAILED, retried twice more below), BEN's rejected GL
	// journal, and ALICE's pending HR headcount.
	granted, revoked, failed, rejected, pending string
	digest                                      signoff.Digest // taken after the story and the retries
}

// newLedgerFixture plays the demo story, fails two more grant retries,
// takes a digest and then approves one more step, so that the log has
// events before and after its newest digest.
func newLedgerFixture(t *testing.T) *ledgerFixture {
	t.Helper()
	ctx := t.Context()
	dir := t.TempDir()
	f := &ledgerFixture{path: filepath.Join(dir, "signoff.db"), digests: filepath.Join(dir, "signoff.db.digests")}
	f.st = open(t, f.path)
	f.svc = signoff.NewService(f.st.Reads(), f.st)
	f.svc.Anchor = digestfile.New(f.digests)
	now := time.Now().UTC().Truncate(time.Second)
	require.NoError(t, demo.Load(ctx, f.st, f.svc, now.Add(-time.Minute)))
	find := func(requester, product string) string {
		rs, err := f.st.Reads().Requests(ctx, requester, 100)
		require.NoError(t, err)
		for _, r := range rs {
			if r.ProductID == product {
				return r.ID
			}
		}
		t.Fatalf("the demo has no request by %s for %s", requester, product)
		return ""
	}
	f.granted, f.revoked = find("ALICE", "sales-orders"), find("BEN", "marketing-campaigns")
	f.failed, f.rejected, f.pending = find("ALICE", "supplier-contracts"), find("BEN", "gl-journal"), find("ALICE", "hr-headcount")

	// The access role goes again, so two retries fail.
	require.NoError(t, f.st.DropRole(ctx, "SUPPLIER_CONTRACTS_READ"))
	admin := f.who(t, "ADAM")
	for range 2 {
		status, err := f.svc.RetryGrant(ctx, admin, f.failed)
		require.NoError(t, err)
		require.Equal(t, signoff.StatusGrantFailed, status)
	}
	d, taken, err := f.svc.TakeDigest(ctx)
	require.NoError(t, err)
	require.True(t, taken)
	f.digest = d
	_, err = f.svc.Decide(ctx, f.who(t, "MARCO"), f.pending, signoff.DecisionInput{Decision: signoff.DecisionApprove})
	require.NoError(t, err)

	rep := f.verify(t)
	require.True(t, rep.OK(), "the untouched log verifies: %v", rep.Problems)
	require.Len(t, rep.Digests, 1)
	return f
}

func (f *ledgerFixture) who(t *testing.T, user string) signoff.Identity {
	id, err := f.st.Identify(t.Context(), user)
	require.NoError(t, err)
	return id
}

// verify checks the database as "signoff audit verify" does: read-only,
// against the digest file.
func (f *ledgerFixture) verify(t *testing.T) signoff.LedgerReport {
	t.Helper()
	ro, err := sqlite.OpenReadOnly(t.Context(), f.path)
	require.NoError(t, err)
	defer ro.Close()
	svc := signoff.NewService(ro.Reads(), nil)
	svc.Anchor = digestfile.New(f.digests)
	rep, err := svc.VerifyAudit(t.Context(), signoff.NewIdentity("AUDITOR", []string{signoff.RoleAuditor}))
	require.NoError(t, err)
	return rep
}

// attacker opens the database as someone who can write its tables: the
// append-only triggers are no obstacle to them.
func (f *ledgerFixture) attacker(t *testing.T) *sql.DB {
	db := rawDB(t, f.path)
	db.SetMaxOpenConns(1) // one connection, so that the pragma holds for every statement
	for _, q := range []string{`PRAGMA foreign_keys = OFF`, `DROP TRIGGER IF EXISTS audit_log_no_update`,
		`DROP TRIGGER IF EXISTS audit_log_no_delete`} {
		_, err := db.ExecContext(t.Context(), q)
		require.NoError(t, err)
	}
	return db
}

func mustExec(t *testing.T, db *sql.DB, query string, args ...any) {
	t.Helper()
	_, err := db.ExecContext(t.Context(), query, args...)
	require.NoError(t, err, query)
}

// rechain is what a careful attacker does after changing events: number
// the log 1, 2, … again in its order and recompute every hash, as the
// writer would have.
func rechain(t *testing.T, db *sql.DB) {
	t.Helper()
	events := rawEvents(t, db, "seq")
	signoff.Link(signoff.LedgerHead{}, events)
	writeLinks(t, db, events)
}

// rawEvents reads every event's content (not its link) in order.
func rawEvents(t *testing.T, db *sql.DB, order string) []signoff.Event {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), `SELECT event_id, event_time, COALESCE(request_id, ''),
		COALESCE(product_id, ''), actor, COALESCE(actor_role, ''), event_type, COALESCE(step_order, 0),
		COALESCE(decision, ''), COALESCE(comment, ''), COALESCE(details, '') FROM audit_log ORDER BY `+order)
	require.NoError(t, err)
	defer rows.Close()
	var events []signoff.Event
	for rows.Next() {
		var e signoff.Event
		var at string
		require.NoError(t, rows.Scan(&e.ID, &at, &e.RequestID, &e.ProductID, &e.Actor, &e.ActorRole, &e.Type,
			&e.Step, &e.Decision, &e.Comment, &e.Details))
		e.Time, err = time.Parse(time.RFC3339Nano, at) // the raw driver reads TIMESTAMP columns as times
		require.NoError(t, err)
		events = append(events, e)
	}
	require.NoError(t, rows.Err())
	return events
}

// writeLinks stores each event's link (seq, prev_hash, hash).
func writeLinks(t *testing.T, db *sql.DB, events []signoff.Event) {
	t.Helper()
	mustExec(t, db, `UPDATE audit_log SET seq = -seq`)
	for _, e := range events {
		mustExec(t, db, `UPDATE audit_log SET seq = ?, prev_hash = ?, hash = ? WHERE event_id = ?`, e.Seq, e.PrevHash, e.Hash, e.ID)
	}
}

// found is a problem's kind and field, as tests look for them.
type found struct{ kind, field string }

func kinds(rep signoff.LedgerReport) []found {
	var out []found
	for _, p := range rep.Problems {
		f := found{p.Kind, p.Field}
		if strings.HasPrefix(p.Field, "step ") { // "step 2 decided_by" → "step decided_by"
			f.field = "step " + p.Field[strings.LastIndexByte(p.Field, ' ')+1:]
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// TestTamperingIsCaught is the tampering matrix of docs/reliability.md on
// the embedded engine: each way someone who can write the tables might
// change history, and the checks that catch it. "careful" cases also
// recompute the whole chain and fix the rows, as a writer without the
// digests could; only the digest catches those.
func TestTamperingIsCaught(t *testing.T) {
	cases := []struct {
		name   string
		tamper func(t *testing.T, f *ledgerFixture, db *sql.DB)
		want   []found // each must be reported
	}{
		{"delete the last GRANT_FAILED events after two failed retries",
			func(t *testing.T, f *ledgerFixture, db *sql.DB) {
				mustExec(t, db, `DELETE FROM audit_log WHERE event_id IN (SELECT event_id FROM audit_log
					WHERE request_id = ? AND event_type = 'GRANT_FAILED' ORDER BY seq DESC LIMIT 2)`, f.failed)
			},
			[]found{{"missing", "seq"}, {"inconsistent", "updated_at"}, {"digest", "event"}}},
		{"delete the last GRANT_FAILED events, fix the request and recompute the chain (careful)",
			func(t *testing.T, f *ledgerFixture, db *sql.DB) {
				mustExec(t, db, `DELETE FROM audit_log WHERE event_id IN (SELECT event_id FROM audit_log
					WHERE request_id = ? AND event_type = 'GRANT_FAILED' ORDER BY seq DESC LIMIT 2)`, f.failed)
				mustExec(t, db, `UPDATE access_request SET updated_at = (SELECT MAX(event_time) FROM audit_log WHERE request_id = ?)
					WHERE request_id = ?`, f.failed, f.failed)
				rechain(t, db)
			},
			[]found{{"digest", "event"}}}, // the log is now shorter than the digest says
		{"delete ACCESS_REVOKED and set the request back to GRANTED",
			func(t *testing.T, f *ledgerFixture, db *sql.DB) {
				mustExec(t, db, `DELETE FROM audit_log WHERE request_id = ? AND event_type = 'ACCESS_REVOKED'`, f.revoked)
				mustExec(t, db, `UPDATE access_request SET status = 'GRANTED' WHERE request_id = ?`, f.revoked)
			},
			[]found{{"missing", "seq"}, {"inconsistent", "updated_at"}}},
		{"delete ACCESS_REVOKED, set GRANTED and recompute the chain (careful)",
			func(t *testing.T, f *ledgerFixture, db *sql.DB) {
				mustExec(t, db, `DELETE FROM audit_log WHERE request_id = ? AND event_type = 'ACCESS_REVOKED'`, f.revoked)
				mustExec(t, db, `UPDATE access_request SET status = 'GRANTED',
					updated_at = (SELECT MAX(event_time) FROM audit_log WHERE request_id = ?) WHERE request_id = ?`, f.revoked, f.revoked)
				rechain(t, db)
			},
			[]found{{"digest", "hash"}}},
		{"delete a whole request: its row, steps and events",
			func(t *testing.T, f *ledgerFixture, db *sql.DB) {
				for _, table := range []string{"audit_log", "request_step", "access_request"} {
					mustExec(t, db, `DELETE FROM `+table+` WHERE request_id = ?`, f.rejected)
				}
			},
			[]found{{"missing", "seq"}}},
		{"delete a whole request and recompute the chain (careful)",
			func(t *testing.T, f *ledgerFixture, db *sql.DB) {
				for _, table := range []string{"audit_log", "request_step", "access_request"} {
					mustExec(t, db, `DELETE FROM `+table+` WHERE request_id = ?`, f.rejected)
				}
				rechain(t, db)
			},
			[]found{{"digest", "event"}}},
		{"delete only the request row: its events are left orphaned",
			func(t *testing.T, f *ledgerFixture, db *sql.DB) {
				mustExec(t, db, `DELETE FROM access_request WHERE request_id = ?`, f.rejected)
			},
			[]found{{"orphan", "request"}}},
		{"delete a request's last event (the grant)",
			func(t *testing.T, f *ledgerFixture, db *sql.DB) {
				mustExec(t, db, `DELETE FROM audit_log WHERE request_id = ? AND event_type = 'ACCESS_GRANTED'`, f.granted)
			},
			[]found{{"missing", "seq"}, {"inconsistent", "status"}}},
		{"turn OLIVIA's data-owner approval into DANA's",
			func(t *testing.T, f *ledgerFixture, db *sql.DB) {
				mustExec(t, db, `UPDATE audit_log SET actor = 'DANA' WHERE request_id = ? AND actor = 'OLIVIA'
					AND event_type = 'STEP_APPROVED'`, f.granted)
			},
			[]found{{"edited", "hash"}, {"inconsistent", "step decided_by"}}},
		{"turn OLIVIA's approval into DANA's, in the step row too, and recompute the chain (careful)",
			func(t *testing.T, f *ledgerFixture, db *sql.DB) {
				mustExec(t, db, `UPDATE audit_log SET actor = 'DANA' WHERE request_id = ? AND actor = 'OLIVIA'
					AND event_type IN ('STEP_APPROVED', 'REQUEST_APPROVED', 'ACCESS_GRANTED')`, f.granted)
				mustExec(t, db, `UPDATE request_step SET decided_by = 'DANA' WHERE request_id = ? AND decided_by = 'OLIVIA'`, f.granted)
				rechain(t, db)
			},
			[]found{{"digest", "hash"}}},
		{"turn the approval into DANA's with a role DANA holds (careful)",
			func(t *testing.T, f *ledgerFixture, db *sql.DB) {
				mustExec(t, db, `UPDATE audit_log SET actor = 'DANA', actor_role = 'DPO' WHERE request_id = ?
					AND actor = 'OLIVIA' AND event_type = 'STEP_APPROVED'`, f.granted)
				mustExec(t, db, `UPDATE request_step SET decided_by = 'DANA', acting_role = 'DPO' WHERE request_id = ?
					AND decided_by = 'OLIVIA'`, f.granted)
				rechain(t, db)
			},
			[]found{{"illegal", "actor_role"}, {"digest", "hash"}}},
		{"let the requester approve her own request (careful)",
			func(t *testing.T, f *ledgerFixture, db *sql.DB) {
				mustExec(t, db, `UPDATE audit_log SET actor = 'ALICE' WHERE request_id = ? AND actor = 'OLIVIA'
					AND event_type = 'STEP_APPROVED'`, f.granted)
				mustExec(t, db, `UPDATE request_step SET decided_by = 'ALICE' WHERE request_id = ? AND decided_by = 'OLIVIA'`, f.granted)
				rechain(t, db)
			},
			[]found{{"illegal", "actor"}, {"digest", "hash"}}},
		{"swap two events",
			func(t *testing.T, f *ledgerFixture, db *sql.DB) {
				mustExec(t, db, `UPDATE audit_log SET seq = -seq WHERE seq IN (5, 6)`)
				mustExec(t, db, `UPDATE audit_log SET seq = 11 - (-seq) WHERE seq IN (-5, -6)`)
			},
			[]found{{"reordered", "prev_hash"}}},
		{"change a step row's decider only",
			func(t *testing.T, f *ledgerFixture, db *sql.DB) {
				mustExec(t, db, `UPDATE request_step SET decided_by = 'DANA' WHERE request_id = ? AND step_order = 2`, f.granted)
			},
			[]found{{"inconsistent", "step decided_by"}}},
		{"change a request's business reason",
			func(t *testing.T, f *ledgerFixture, db *sql.DB) {
				mustExec(t, db, `UPDATE access_request SET business_reason = 'Something else entirely, for the record.'
					WHERE request_id = ?`, f.granted)
			},
			[]found{{"inconsistent", "business_reason"}}},
		{"give a pending step another approver role",
			func(t *testing.T, f *ledgerFixture, db *sql.DB) {
				mustExec(t, db, `UPDATE request_step SET approver_role = 'ANALYST' WHERE request_id = ? AND step_order = 3`, f.pending)
			},
			[]found{{"inconsistent", "steps"}}},
		{"remove a step from a request's chain",
			func(t *testing.T, f *ledgerFixture, db *sql.DB) {
				mustExec(t, db, `DELETE FROM request_step WHERE request_id = ? AND step_order = 3`, f.pending)
				mustExec(t, db, `UPDATE access_request SET step_count = 2 WHERE request_id = ?`, f.pending)
			},
			[]found{{"inconsistent", "steps"}}},
		{"move a pending request on, without events",
			func(t *testing.T, f *ledgerFixture, db *sql.DB) {
				mustExec(t, db, `UPDATE access_request SET status = 'APPROVED', current_step = 3 WHERE request_id = ?`, f.pending)
			},
			[]found{{"inconsistent", "status"}, {"inconsistent", "current_step"}}},
		{"delete the digest's event and every later one",
			func(t *testing.T, f *ledgerFixture, db *sql.DB) {
				mustExec(t, db, `DELETE FROM audit_log WHERE seq >= ?`, f.digest.Seq)
			},
			[]found{{"digest", "event"}}},
		{"add a step to a request that does not exist",
			func(t *testing.T, f *ledgerFixture, db *sql.DB) {
				mustExec(t, db, `INSERT INTO request_step (request_id, step_order, step_label, approver_role)
					SELECT request_id || 'X', step_order, step_label, approver_role FROM request_step WHERE request_id = ?`, f.pending)
			},
			[]found{{"orphan", "steps"}}},
		{"store a request twice, as Snowflake's unenforced key allows",
			func(t *testing.T, f *ledgerFixture, db *sql.DB) {
				mustExec(t, db, `CREATE TABLE unkeyed AS SELECT * FROM access_request`)
				mustExec(t, db, `DROP TABLE access_request`)
				mustExec(t, db, `ALTER TABLE unkeyed RENAME TO access_request`)
				mustExec(t, db, `INSERT INTO access_request SELECT * FROM access_request WHERE request_id = ?`, f.granted)
			},
			[]found{{"inconsistent", "rows"}}},
		{"store text in an event's position",
			func(t *testing.T, f *ledgerFixture, db *sql.DB) {
				mustExec(t, db, `UPDATE audit_log SET seq = CAST(seq AS TEXT) || 'x' WHERE seq = 5`)
			},
			[]found{{"edited", "hash"}, {"missing", "seq"}}},
		{"blank the step of an event that has none",
			func(t *testing.T, f *ledgerFixture, db *sql.DB) {
				mustExec(t, db, `UPDATE audit_log SET step_order = '' WHERE request_id = ? AND event_type = 'ACCESS_GRANTED'
					AND step_order IS NULL`, f.granted)
			},
			[]found{{"edited", "hash"}}},
		{"move an event's time by less than a microsecond",
			func(t *testing.T, f *ledgerFixture, db *sql.DB) {
				mustExec(t, db, `UPDATE audit_log SET event_time = substr(event_time, 1, 26) || '5Z'
					WHERE request_id = ? AND event_type = 'REQUEST_APPROVED'`, f.granted)
			},
			[]found{{"edited", "hash"}}},
		{"store an event's actor as a BLOB of the same bytes",
			func(t *testing.T, f *ledgerFixture, db *sql.DB) {
				mustExec(t, db, `UPDATE audit_log SET actor = CAST(actor AS BLOB) WHERE request_id = ? AND event_type = 'REQUEST_APPROVED'`, f.granted)
			},
			[]found{{"edited", "hash"}}},
		{"store a pending step's role as a BLOB of the same bytes, which no role matches",
			func(t *testing.T, f *ledgerFixture, db *sql.DB) {
				mustExec(t, db, `UPDATE request_step SET approver_role = CAST(approver_role AS BLOB) WHERE request_id = ? AND step_order = 3`, f.pending)
			},
			[]found{{"inconsistent", "step approver_role"}}},
		{"edit a comment in place",
			func(t *testing.T, f *ledgerFixture, db *sql.DB) {
				mustExec(t, db, `UPDATE audit_log SET comment = 'Fine by me.' WHERE request_id = ? AND event_type = 'STEP_REJECTED'`, f.rejected)
			},
			[]found{{"edited", "hash"}, {"inconsistent", "step comment"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newLedgerFixture(t)
			tc.tamper(t, f, f.attacker(t))
			rep := f.verify(t)
			got := kinds(rep)
			for _, w := range tc.want {
				assert.Contains(t, got, w, "problems: %v", rep.Problems)
			}
			for _, p := range rep.Problems {
				assert.NotEmpty(t, p.Sentence())
			}
		})
	}
}

// TestTheWindowAfterTheNewestDigest pins what a digest cannot do: events
// written after the newest digest, removed by someone who also fixes the
// rows, leave nothing to find until the next digest would have recorded
// them. That window is --digest-every (docs/reliability.md).
func TestTheWindowAfterTheNewestDigest(t *testing.T) {
	f := newLedgerFixture(t)
	db := f.attacker(t)
	// The approval after the digest is the log's newest event.
	mustExec(t, db, `DELETE FROM audit_log WHERE seq > ?`, f.digest.Seq)
	mustExec(t, db, `UPDATE request_step SET decision = NULL, decided_by = NULL, acting_role = NULL, comment = NULL,
		decided_at = NULL WHERE request_id = ? AND step_order = 1`, f.pending)
	mustExec(t, db, `UPDATE access_request SET current_step = 1,
		updated_at = (SELECT MAX(event_time) FROM audit_log WHERE request_id = ?) WHERE request_id = ?`, f.pending, f.pending)
	rep := f.verify(t)
	assert.True(t, rep.OK(), "nothing records the removed events: %v", rep.Problems)
}

// TestVerifyOpensReadOnly: the verifier reads the evidence without writing
// to it, and refuses a database of another schema rather than migrate it.
func TestVerifyOpensReadOnly(t *testing.T) {
	f := newLedgerFixture(t)
	require.NoError(t, f.st.Close())
	before, err := os.ReadFile(f.path)
	require.NoError(t, err)
	rep := f.verify(t)
	require.True(t, rep.OK())
	after, err := os.ReadFile(f.path)
	require.NoError(t, err)
	assert.Equal(t, before, after, "verifying wrote nothing")

	db := rawDB(t, f.path)
	mustExec(t, db, `DELETE FROM schema_migrations WHERE version = '005_ledger'`)
	_, err = sqlite.OpenReadOnly(context.Background(), f.path)
	assert.ErrorContains(t, err, "older Signoff")
	mustExec(t, db, `INSERT INTO schema_migrations (version, applied_at) VALUES ('005_ledger', '2026-01-01'), ('999_future', '2026-01-01')`)
	_, err = sqlite.OpenReadOnly(context.Background(), f.path)
	assert.ErrorContains(t, err, "newer Signoff")
}

// downgrade turns the ledger of the database at path back into what
// Signoff wrote before it (schema 004): a hash chain per request, no chain
// snapshots in the submissions, no audit lock.
func downgrade(t *testing.T, path string) {
	t.Helper()
	db := rawDB(t, path)
	db.SetMaxOpenConns(1)
	for _, q := range []string{`DROP TRIGGER audit_log_no_update`, `DROP INDEX audit_log_seq`, `DROP INDEX audit_log_request_seq`,
		`DROP TABLE audit_lock`, `DELETE FROM schema_migrations WHERE version = '005_ledger'`,
		`UPDATE audit_log SET details = NULL WHERE event_type = 'REQUEST_SUBMITTED'`} {
		mustExec(t, db, q)
	}
	events := rawEvents(t, db, "request_id, seq")
	for start := 0; start < len(events); { // each request's chain on its own, as before
		end := start
		for end < len(events) && events[end].RequestID == events[start].RequestID {
			end++
		}
		signoff.Link(signoff.LedgerHead{}, events[start:end])
		start = end
	}
	writeLinks(t, db, events)
	for _, q := range []string{`CREATE UNIQUE INDEX audit_log_chain ON audit_log (request_id, seq)`,
		`CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END`} {
		mustExec(t, db, q)
	}
	require.NoError(t, db.Close())
}

// TestMigrationRelinksOldLogs: a database written before the ledger is
// upgraded once: its per-request chains are verified, then relinked into
// the one ledger with each submission's chain recorded, and the result
// verifies. A log that was tampered with before the upgrade is left as it
// is, and the upgrade refuses.
func TestMigrationRelinksOldLogs(t *testing.T) {
	f := newLedgerFixture(t)
	require.NoError(t, f.st.Close())
	downgrade(t, f.path)
	require.NoError(t, os.Remove(f.digests)) // a log written before the ledger has none
	st := open(t, f.path)                    // migrates
	require.NoError(t, st.Close())
	rep := f.verify(t)
	assert.Empty(t, rep.Problems, "the relinked log verifies")
	assert.Greater(t, rep.Events, 25)

	t.Run("a tampered old log", func(t *testing.T) {
		f := newLedgerFixture(t)
		require.NoError(t, f.st.Close())
		downgrade(t, f.path)
		db := rawDB(t, f.path)
		mustExec(t, db, `DROP TRIGGER audit_log_no_update`)
		mustExec(t, db, `UPDATE audit_log SET comment = 'Changed.' WHERE event_type = 'STEP_REJECTED'`)
		require.NoError(t, db.Close())
		before, err := os.ReadFile(f.path)
		require.NoError(t, err)
		_, err = sqlite.Open(t.Context(), f.path)
		require.ErrorContains(t, err, "the audit log does not verify as it stands")
		after, err := os.ReadFile(f.path)
		require.NoError(t, err)
		assert.Equal(t, before, after, "nothing was changed")
	})
}
