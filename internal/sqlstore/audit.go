package sqlstore

import (
	"context"
	"strings"

	"github.com/signoff/signoff/internal/signoff"
)

// selectEvents is the audit log's read; Events adds the filters.
const selectEvents = `
SELECT event_id, event_time, COALESCE(request_id, ''), COALESCE(product_id, ''), actor,
       COALESCE(actor_role, ''), event_type, COALESCE(step_order, 0), COALESCE(decision, ''),
       COALESCE(comment, ''), COALESCE(details, ''), COALESCE(seq, 0), COALESCE(prev_hash, ''),
       COALESCE(hash, '')
FROM audit_log`

// SelectEvents renders the audit query for f and returns it with its
// arguments. Paging is by keyset (event_id), so a page costs the same however
// deep it is.
func SelectEvents(f signoff.EventFilter) (string, []any) {
	var where []string
	var args []any
	add := func(cond string, arg any) { where = append(where, cond); args = append(args, arg) }
	if f.RequestID != "" {
		add("request_id = ?", f.RequestID)
	}
	if f.ProductID != "" {
		add("product_id = ?", f.ProductID)
	}
	if f.Actor != "" {
		add("actor = ?", f.Actor)
	}
	if f.Type != "" {
		add("event_type = ?", string(f.Type))
	}
	if !f.From.IsZero() {
		add("event_time >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		add("event_time < ?", f.To.UTC())
	}
	if f.Before != "" {
		add("event_id < ?", f.Before)
	}
	query := selectEvents
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	n := f.Limit
	if n <= 0 {
		n = signoff.AuditPageSize
	}
	return query + " ORDER BY event_id DESC" + limit(n), args
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
		if err := rows.Scan(&e.ID, &e.Time, &e.RequestID, &e.ProductID, &e.Actor, &e.ActorRole,
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
