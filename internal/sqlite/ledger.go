package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ncruces/go-sqlite3"
	sqlitedriver "github.com/ncruces/go-sqlite3/driver"

	"github.com/signoff/signoff/internal/signoff"
)

// The embedded engine's part of the audit ledger (signoff/ledger.go): the
// Go twin of Snowflake's AUDIT_HASH, which the shared verifier calls, and the
// migration that turns the per-request chains of older databases into one
// ledger.

// digestsFromJSON reads the digests bound as a JSON array, for the shared
// verifier (sqlstore.Options.DigestsFromJSON).
const digestsFromJSON = `SELECT CAST(json_extract(value, '$.seq') AS INTEGER) AS seq,
       json_extract(value, '$.hash') AS hash FROM json_each(?)`

// withAuditHash registers AUDIT_HASH, ADD_HOURS, HAS_TAG and SHA2 on every
// connection it opens.
type withAuditHash struct{ driver.Connector }

func (c withAuditHash) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	raw, ok := conn.(sqlitedriver.Conn)
	if !ok {
		conn.Close()
		return nil, fmt.Errorf("sqlite: unexpected connection type %T", conn)
	}
	if err := raw.Raw().CreateFunction("audit_hash", len(auditHashArgs), sqlite3.DETERMINISTIC|sqlite3.INNOCUOUS, auditHash); err != nil {
		conn.Close()
		return nil, fmt.Errorf("sqlite: register audit_hash: %w", err)
	}
	if err := raw.Raw().CreateFunction("add_hours", 2, sqlite3.DETERMINISTIC|sqlite3.INNOCUOUS, addHours); err != nil {
		conn.Close()
		return nil, fmt.Errorf("sqlite: register add_hours: %w", err)
	}
	if err := raw.Raw().CreateFunction("has_tag", 3, sqlite3.DETERMINISTIC|sqlite3.INNOCUOUS, hasTag); err != nil {
		conn.Close()
		return nil, fmt.Errorf("sqlite: register has_tag: %w", err)
	}
	if err := raw.Raw().CreateFunction("sha2", 2, sqlite3.DETERMINISTIC|sqlite3.INNOCUOUS, sha2); err != nil {
		conn.Close()
		return nil, fmt.Errorf("sqlite: register sha2: %w", err)
	}
	return conn, nil
}

// auditHash is AUDIT_HASH(prev_hash, event_id, event_time, request_id,
// product_id, actor, actor_role, event_type, step_order, decision, comment,
// details, seq): the hash an event with these columns must carry
// (signoff.Event.ComputeHash), NULL read as empty, as Snowflake's function
// reads it. A value the app cannot have written answers a text no hash
// equals, so the event is reported, never silently skipped: a time that is
// not one, or is finer than the microsecond the hash reads, and a value of
// another type than its column's. SQLite keeps any type in any column,
// where Snowflake's typed columns could not hold it, and read as the
// column's type it would hash as the value it replaced: an empty string
// or '2x' in step_order as 0 or 2, a BLOB as its bytes' text.
func auditHash(ctx sqlite3.Context, arg ...sqlite3.Value) {
	for i, name := range auditHashArgs {
		want := sqlite3.TEXT
		if name == "step_order" || name == "seq" {
			want = sqlite3.INTEGER
		}
		if t := arg[i].Type(); t != sqlite3.NULL && t != want {
			ctx.ResultText(fmt.Sprintf("unreadable %s: %s %q, not %s", name, t, arg[i].Text(), want))
			return
		}
	}
	text := func(i int) string { return arg[i].Text() } // "" for NULL
	at, err := parseStoredTime(text(2))
	if err != nil {
		ctx.ResultText("unreadable event_time: " + err.Error())
		return
	}
	if at.Nanosecond()%int(time.Microsecond) != 0 {
		ctx.ResultText("unreadable event_time: finer than a microsecond")
		return
	}
	e := signoff.Event{PrevHash: text(0), ID: text(1), Time: at, RequestID: text(3), ProductID: text(4),
		Actor: text(5), ActorRole: text(6), Type: signoff.EventType(text(7)), Step: arg[8].Int(),
		Decision: signoff.Decision(text(9)), Comment: text(10), Details: text(11), Seq: arg[12].Int()}
	ctx.ResultText(e.ComputeHash())
}

// addHours is ADD_HOURS(t, hours), Snowflake's DATEADD(HOUR, hours, t) as
// 03_api.sql defines it: the time hours later, stored as times are; NULL
// for a NULL or unreadable time, so that a damaged row is never due.
func addHours(ctx sqlite3.Context, arg ...sqlite3.Value) {
	if arg[0].Type() == sqlite3.NULL || arg[1].Type() == sqlite3.NULL {
		ctx.ResultNull()
		return
	}
	t, err := parseStoredTime(arg[0].Text())
	if err != nil {
		ctx.ResultNull()
		return
	}
	ctx.ResultText(t.Add(time.Duration(arg[1].Int64()) * time.Hour).UTC().Format(timeFormat))
}

// hasTag is HAS_TAG(tags, classification, tag): whether a product with
// these tags (a JSON array) and classification carries tag
// (signoff.HasTag), as 03_api.sql defines it for Snowflake; false for tags
// that are not a JSON array of strings, so a damaged row adds no step
// rather than any.
func hasTag(ctx sqlite3.Context, arg ...sqlite3.Value) {
	if arg[2].Type() == sqlite3.NULL {
		ctx.ResultBool(true)
		return
	}
	var tags []string
	if err := json.Unmarshal([]byte(arg[0].Text()), &tags); err != nil {
		ctx.ResultBool(false)
		return
	}
	ctx.ResultBool(signoff.HasTag(tags, arg[1].Text(), arg[2].Text()))
}

// sha2 is Snowflake's SHA2(text, 256): the lower-case hex SHA-256 of the
// text's UTF-8 bytes (signoff.DefinitionHash); NULL for NULL, and for any
// other digest size, which Signoff never asks for.
func sha2(ctx sqlite3.Context, arg ...sqlite3.Value) {
	if arg[0].Type() == sqlite3.NULL || arg[1].Int() != 256 {
		ctx.ResultNull()
		return
	}
	ctx.ResultText(signoff.DefinitionHash(arg[0].Text()))
}

// auditHashArgs names AUDIT_HASH's arguments, in order.
var auditHashArgs = [...]string{"prev_hash", "event_id", "event_time", "request_id", "product_id", "actor",
	"actor_role", "event_type", "step_order", "decision", "comment", "details", "seq"}

// parseStoredTime reads a time as the database stores it (timeFormat), or
// as RFC 3339, which a hand-edited row might hold.
func parseStoredTime(s string) (time.Time, error) {
	if t, err := time.Parse(timeFormat, s); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339Nano, s)
}

// goSteps are the migrations' steps that SQL cannot do, by version: each
// runs where its file has the line "-- @go", in the file's transaction.
var goSteps = map[string]func(ctx context.Context, tx *sql.Tx) error{
	"005_ledger": relinkLedger,
}

// relinkLedger turns the per-request hash chains of a database written
// before the ledger into the one chain over the whole log, and records each
// existing request's chain in its REQUEST_SUBMITTED event (the snapshot the
// verifier compares the steps with), from the request's step rows. It first
// verifies the old chains and changes nothing if they do not verify: a log
// that was tampered with keeps its evidence. The relinking is the only
// rewrite the log ever gets; docs/reliability.md says so.
func relinkLedger(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `
		SELECT event_id, event_time, COALESCE(request_id, ''), COALESCE(product_id, ''), actor,
		       COALESCE(actor_role, ''), event_type, COALESCE(step_order, 0), COALESCE(decision, ''),
		       COALESCE(comment, ''), COALESCE(details, ''), COALESCE(seq, 0), COALESCE(prev_hash, ''),
		       COALESCE(hash, '')
		FROM audit_log ORDER BY request_id, seq`)
	if err != nil {
		return err
	}
	var events []signoff.Event
	for rows.Next() {
		var e signoff.Event
		var at string
		if err := rows.Scan(&e.ID, &at, &e.RequestID, &e.ProductID, &e.Actor, &e.ActorRole, &e.Type, &e.Step,
			&e.Decision, &e.Comment, &e.Details, &e.Seq, &e.PrevHash, &e.Hash); err != nil {
			rows.Close()
			return err
		}
		if e.Time, err = parseStoredTime(at); err != nil {
			rows.Close()
			return fmt.Errorf("event %s: %w", e.ID, err)
		}
		events = append(events, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(events) == 0 {
		return nil
	}
	// The old chains: per request, positions 1, 2, …, each linked to the one
	// before and matching its hash.
	var head signoff.LedgerHead
	for i, e := range events {
		if i == 0 || e.RequestID != events[i-1].RequestID {
			head = signoff.LedgerHead{}
		}
		if e.Seq != head.Seq+1 || e.PrevHash != head.Hash || e.ComputeHash() != e.Hash {
			return fmt.Errorf("the audit log does not verify as it stands (request %s, event %s), so it was "+
				"left unchanged: verify it with the Signoff version that wrote it", e.RequestID, e.ID)
		}
		head = signoff.LedgerHead{Seq: e.Seq, Hash: e.Hash}
	}
	snapshots, err := chainSnapshots(ctx, tx)
	if err != nil {
		return err
	}
	// One order for the whole log: by time, a request's events in their
	// chain's order.
	sortLedger(events)
	for i := range events {
		if events[i].Type == signoff.EventRequestSubmitted && events[i].Details == "" {
			events[i].Details = snapshots[events[i].RequestID]
		}
	}
	signoff.Link(signoff.LedgerHead{}, events)
	for _, e := range events {
		if _, err := tx.ExecContext(ctx, `UPDATE audit_log SET seq = ?, prev_hash = ?, hash = ?, details = NULLIF(?, '')
			WHERE event_id = ?`, -e.Seq, e.PrevHash, e.Hash, e.Details, e.ID); err != nil {
			return err
		}
	}
	// Positions were written negated so that none collided with an old one.
	_, err = tx.ExecContext(ctx, `UPDATE audit_log SET seq = -seq`)
	return err
}

// sortLedger orders events by time, keeping each request's chain order
// among events of the same time; ties across requests go by request ID.
func sortLedger(events []signoff.Event) {
	slices.SortFunc(events, func(a, b signoff.Event) int {
		return cmp.Or(a.Time.Compare(b.Time), strings.Compare(a.RequestID, b.RequestID), cmp.Compare(a.Seq, b.Seq))
	})
}

// chainSnapshots reads every request's steps as its REQUEST_SUBMITTED
// event records them: a signoff.ChainSnapshot or, once the database has
// the lifecycle's columns (migration 009, which a database relinked by
// this migration normally does not have yet), signoff.SubmissionDetails.
func chainSnapshots(ctx context.Context, tx *sql.Tx) (map[string]string, error) {
	var lifecycle int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM pragma_table_info('request_step')
		WHERE name IN ('deadline_hours', 'fallback_role')`).Scan(&lifecycle); err != nil {
		return nil, err
	}
	// Manager steps (migration 013) record their manager in the policy
	// too (signoff.StepPolicy); a database without the column has none.
	var managers int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM pragma_table_info('request_step')
		WHERE name = 'approver_user'`).Scan(&managers); err != nil {
		return nil, err
	}
	user := "''"
	if managers == 1 {
		user = "COALESCE(s.approver_user, '')"
	}
	query := `SELECT s.request_id, s.step_order, s.approver_role, s.step_label, 0, 0, '', ''
		FROM request_step s ORDER BY s.request_id, s.step_order`
	if lifecycle == 2 {
		query = `SELECT s.request_id, s.step_order, s.approver_role, s.step_label, r.asked_days,
		       COALESCE(s.deadline_hours, 0), COALESCE(s.fallback_role, ''), ` + user + `
		FROM request_step s JOIN access_request r ON r.request_id = s.request_id
		ORDER BY s.request_id, s.step_order`
	}
	rows, err := tx.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	steps := map[string][]signoff.ChainStep{}
	days := map[string]int{}
	policy := map[string]string{}
	for rows.Next() {
		var id string
		var s signoff.ChainStep
		var asked int
		var manager string
		if err := rows.Scan(&id, &s.Order, &s.ApproverRole, &s.Label, &asked, &s.DeadlineHours, &s.FallbackRole, &manager); err != nil {
			return nil, err
		}
		steps[id] = append(steps[id], s)
		days[id] = asked
		policy[id] += signoff.StepPolicy(signoff.Step{DeadlineHours: s.DeadlineHours, FallbackRole: s.FallbackRole,
			ApproverUser: manager})
	}
	out := make(map[string]string, len(steps))
	for id, ss := range steps {
		out[id] = signoff.ChainSnapshot(ss)
		if lifecycle == 2 {
			out[id] = signoff.SubmissionDetails(days[id], "", policy[id], out[id])
		}
	}
	return out, rows.Err()
}
