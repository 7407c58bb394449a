package sqlstore

import (
	"context"
	"slices"
	"strings"
	"unicode"

	"github.com/signoff/signoff/internal/signoff"
)

// selectEvents is the audit log's read; Events adds the filters. Each event
// comes with its product's name, from the catalog as it is now: a product's
// ID is for machines, its name for people. The catalog is grouped by ID
// first because Snowflake's standard tables enforce no key, and a product
// registered twice must not show its events twice. The columns are named so
// that the two halves of an actor search (SelectEvents) can be ordered as
// one.
const selectEvents = `
SELECT e.event_id AS event_id, e.event_time AS event_time, COALESCE(e.request_id, '') AS request_id,
       COALESCE(e.product_id, '') AS product_id, COALESCE(p.name, '') AS product_name, e.actor AS actor,
       COALESCE(e.actor_role, '') AS actor_role, e.event_type AS event_type, COALESCE(e.step_order, 0) AS step_order,
       COALESCE(e.decision, '') AS decision, COALESCE(e.comment, '') AS comment, COALESCE(e.details, '') AS details,
       COALESCE(e.seq, 0) AS seq, COALESCE(e.prev_hash, '') AS prev_hash, COALESCE(e.hash, '') AS hash
FROM `

// eventsJoin joins each event to its product's name.
const eventsJoin = `audit_log e
LEFT JOIN (SELECT product_id, MIN(name) AS name FROM data_product GROUP BY product_id) p
       ON p.product_id = e.product_id`

// noWholeName is a one-row table whose n is 0 when nobody's whole name is
// the actor filter's text (its parameter), in any case; it looks no further
// than one event, by index on the embedded engine.
const noWholeName = `(SELECT COUNT(*) AS n FROM (SELECT 1 AS one FROM audit_log x WHERE LOWER(x.actor) = LOWER(?) LIMIT 1) w) gate
CROSS JOIN `

// likeEscape is the escape character of the audit filters' LIKE patterns.
// Not a backslash: Snowflake's string literals read a backslash as an
// escape of their own, SQLite's do not, and '!' means the same to both.
const likeEscape = "!"

// likePattern is a LIKE pattern that matches any text containing s: s with
// the escape character and LIKE's wildcards (% and _) escaped, between two %.
func likePattern(s string) string {
	r := strings.NewReplacer(likeEscape, likeEscape+likeEscape, "%", likeEscape+"%", "_", likeEscape+"_")
	return "%" + r.Replace(s) + "%"
}

// SelectEvents renders the audit query for f and returns it with its
// arguments: the newest first, in the order of the ledger (seq, the order in
// which the events were appended and chained; event times, taken by each
// instance's clock, and IDs may disagree with it by a little). Paging is by
// keyset on seq, so a page costs the same however deep it is.
//
// The actor filter is a person's whole name or a part of one, in any case.
// A part can only be looked for row by row, which at millions of events
// takes seconds when few match; a whole name is what people type most, and
// it can be looked up by index (on the embedded engine,
// audit_log_actor_seq, on LOWER(actor)). So the query is in two halves of
// which at most one answers: the events of the person whose whole name the
// text is, if anyone's; else, when the gate finds no such person, those of
// everyone whose name contains it. Both sides go through the engine's
// LOWER, so the filter is as case-insensitive as that (SQLite's folds ASCII
// letters only; Snowflake's, all).
func SelectEvents(f signoff.EventFilter) (string, []any) {
	var where []string
	var args []any
	add := func(cond string, arg any) { where = append(where, cond); args = append(args, arg) }
	if f.RequestID != "" {
		add("e.request_id = ?", f.RequestID)
	}
	if f.ProductID != "" {
		add("e.product_id = ?", f.ProductID)
	}
	if f.Type != "" {
		add("e.event_type = ?", string(f.Type))
	}
	if !f.From.IsZero() {
		add("e.event_time >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		add("e.event_time < ?", f.To.UTC())
	}
	if f.Before > 0 {
		add("e.seq < ?", int64(f.Before))
	}
	n := f.Limit
	if n <= 0 {
		n = signoff.AuditPageSize
	}
	// page is the read from the events (from), with the filters and conds;
	// and their arguments: first fromArgs.
	page := func(from string, fromArgs []any, conds []string, condArgs ...any) (string, []any) {
		all := append(slices.Clone(where), conds...)
		query := selectEvents + from + eventsJoin
		if len(all) > 0 {
			query += "\nWHERE " + strings.Join(all, "\n  AND ")
		}
		return query + "\nORDER BY e.seq DESC" + limit(n), slices.Concat(fromArgs, args, condArgs)
	}
	if f.Actor == "" {
		return page("", nil, nil)
	}
	if strings.IndexFunc(f.Actor, unicode.IsControl) >= 0 {
		// No user name holds a control character (signoff.ValidUserName),
		// and SQLite's LIKE would stop reading a pattern at a NUL.
		return page("", nil, []string{"1 = 0"})
	}
	// The second half is gated by a table of one row, the outer loop, whose
	// condition is checked before any event is read: a NOT EXISTS in the
	// WHERE clause would be checked event by event, after reading each.
	whole, wholeArgs := page("", nil, []string{"LOWER(e.actor) = LOWER(?)"}, f.Actor)
	part, partArgs := page(noWholeName, []any{f.Actor},
		[]string{"gate.n = 0", "LOWER(e.actor) LIKE LOWER(?) ESCAPE '" + likeEscape + "'"}, likePattern(f.Actor))
	return "SELECT * FROM (" + whole + ") whole_name\nUNION ALL\nSELECT * FROM (" + part + ") part_of_name" +
		"\nORDER BY seq DESC" + limit(n), slices.Concat(wholeArgs, partArgs)
}

// Events returns audit events matching f, newest first.
func (s *Store) Events(ctx context.Context, f signoff.EventFilter) ([]signoff.Event, error) {
	query, args := SelectEvents(f)
	var out []signoff.Event
	err := s.scanEvents(ctx, func(e signoff.Event) error { out = append(out, e); return nil }, query, args...)
	if err != nil {
		return nil, s.errorf(err, "events")
	}
	return out, nil
}

func (s *Store) scanEvents(ctx context.Context, fn func(signoff.Event) error, query string, args ...any) error {
	rows, err := s.q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var e signoff.Event
		if err := rows.Scan(&e.ID, &e.Time, &e.RequestID, &e.ProductID, &e.ProductName, &e.Actor, &e.ActorRole,
			&e.Type, &e.Step, &e.Decision, &e.Comment, &e.Details, &e.Seq, &e.PrevHash, &e.Hash); err != nil {
			return err
		}
		e.Time = e.Time.UTC()
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}
