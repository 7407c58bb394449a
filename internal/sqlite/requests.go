package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/signoff/signoff/internal/signoff"
)

// insertRequest inserts a pending request unless the requester already has
// an open one for the product: a conditional insert, because correctness may
// not rest on UNIQUE constraints (Snowflake does not enforce them).
const insertRequest = `
INSERT INTO access_request (request_id, product_id, requester, business_reason, status,
                            current_step, step_count, created_at, updated_at)
SELECT ?, ?, ?, ?, 'PENDING', 1, ?, ?, ?
WHERE NOT EXISTS (
    SELECT 1 FROM access_request
    WHERE product_id = ? AND requester = ? AND status IN ('PENDING', 'APPROVED', 'GRANTED', 'GRANT_FAILED'))`

// insertSteps copies the product's chain into the request's steps.
const insertSteps = `
INSERT INTO request_step (request_id, step_order, step_label, approver_role)
SELECT ?, step_order, step_label, approver_role FROM approval_chain WHERE product_id = ?`

const insertEvent = `
INSERT INTO audit_log (event_id, event_time, request_id, product_id, actor, actor_role,
                       event_type, step_order, decision, comment, details)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// CreateRequest inserts r with its steps and the submission event.
func (s *Store) CreateRequest(ctx context.Context, r signoff.Request, ev signoff.Event) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, insertRequest, r.ID, r.ProductID, r.Requester, r.Reason,
			r.StepCount, r.CreatedAt.UTC(), r.UpdatedAt.UTC(), r.ProductID, r.Requester)
		if err := oneRow(res, err, "an open request for this product exists"); err != nil {
			return err
		}
		res, err = tx.ExecContext(ctx, insertSteps, r.ID, r.ProductID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if int(n) != r.StepCount {
			return fmt.Errorf("%w: the product's chain changed (%d steps, expected %d)", signoff.ErrConflict, n, r.StepCount)
		}
		return writeEvents(ctx, tx, ev)
	})
	if err != nil {
		return fmt.Errorf("sqlite: create request %s: %w", r.ID, err)
	}
	return nil
}

// selectRequests returns requests joined with their product and every step,
// one row per step, for the requests chosen by a CTE named "chosen" that the
// caller prepends: one statement per page.
const selectRequests = `
SELECT r.request_id, r.product_id, p.name, p.classification, p.access_role, r.requester,
       r.business_reason, r.status, r.current_step, r.step_count, r.created_at, r.updated_at,
       s.step_order, s.step_label, s.approver_role, COALESCE(s.decision, ''),
       COALESCE(s.decided_by, ''), COALESCE(s.acting_role, ''), COALESCE(s.comment, ''), s.decided_at
FROM chosen c
JOIN access_request r ON r.request_id = c.request_id
JOIN data_product p ON p.product_id = r.product_id
JOIN request_step s ON s.request_id = r.request_id`

// Request returns one request with its steps.
func (s *Store) Request(ctx context.Context, id string) (signoff.Request, error) {
	rs, err := s.queryRequests(ctx, `WITH chosen AS (SELECT ? AS request_id)`+selectRequests+
		` ORDER BY s.step_order`, id)
	if err != nil {
		return signoff.Request{}, fmt.Errorf("sqlite: request %s: %w", id, err)
	}
	if len(rs) == 0 {
		return signoff.Request{}, signoff.Errorf(signoff.ErrNotFound, "There is no request %s.", id)
	}
	return rs[0], nil
}

// Requests returns requester's requests, newest first.
func (s *Store) Requests(ctx context.Context, requester string, limit int) ([]signoff.Request, error) {
	rs, err := s.queryRequests(ctx, `WITH chosen AS (
		SELECT request_id FROM access_request WHERE requester = ?
		ORDER BY created_at DESC, request_id DESC LIMIT ?)`+selectRequests+
		` ORDER BY r.created_at DESC, r.request_id DESC, s.step_order`, requester, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: requests of %s: %w", requester, err)
	}
	return rs, nil
}

// Queue returns the pending requests whose current step one of roles may
// decide, excluding user's own and those user already decided a step of.
func (s *Store) Queue(ctx context.Context, roles []string, user string, limit int) ([]signoff.Request, error) {
	if len(roles) == 0 {
		return nil, nil
	}
	args := make([]any, 0, len(roles)+4)
	for _, r := range roles {
		args = append(args, r)
	}
	args = append(args, user, user, limit)
	query := `WITH chosen AS (
		SELECT r.request_id FROM access_request r
		JOIN request_step cur ON cur.request_id = r.request_id AND cur.step_order = r.current_step
		WHERE r.status = 'PENDING'
		  AND cur.approver_role IN (` + placeholders(len(roles)) + `)
		  AND r.requester <> ?
		  AND NOT EXISTS (SELECT 1 FROM request_step d WHERE d.request_id = r.request_id AND d.decided_by = ?)
		ORDER BY r.created_at, r.request_id LIMIT ?)` + selectRequests +
		` ORDER BY r.created_at, r.request_id, s.step_order`
	rs, err := s.queryRequests(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: queue for %s: %w", user, err)
	}
	return rs, nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

func (s *Store) queryRequests(ctx context.Context, query string, args ...any) ([]signoff.Request, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []signoff.Request
	for rows.Next() {
		var r signoff.Request
		var st signoff.Step
		var decidedAt sql.NullTime
		if err := rows.Scan(&r.ID, &r.ProductID, &r.ProductName, &r.Classification, &r.AccessRole,
			&r.Requester, &r.Reason, &r.Status, &r.CurrentStep, &r.StepCount, &r.CreatedAt, &r.UpdatedAt,
			&st.Order, &st.Label, &st.ApproverRole, &st.Decision, &st.DecidedBy, &st.ActorRole,
			&st.Comment, &decidedAt); err != nil {
			return nil, err
		}
		st.DecidedAt = decidedAt.Time
		if n := len(out); n == 0 || out[n-1].ID != r.ID {
			out = append(out, r)
		}
		last := &out[len(out)-1]
		last.Steps = append(last.Steps, st)
	}
	return out, translate(rows.Err())
}

// advanceRequest is the compare-and-set at the heart of promise 3: it moves
// the request on only if it is still PENDING at the decided step, the decider
// is not the requester and decided no other step, and the acting role keys
// the step. Exactly one of two racing deciders affects a row.
const advanceRequest = `
UPDATE access_request SET status = ?1, current_step = ?2, updated_at = ?3
WHERE request_id = ?4 AND status = 'PENDING' AND current_step = ?5 AND requester <> ?6
  AND (?1 = 'REJECTED' OR (?1 = 'PENDING' AND current_step < step_count)
                       OR (?1 = 'APPROVED' AND current_step = step_count))
  AND NOT EXISTS (SELECT 1 FROM request_step WHERE request_id = ?4 AND decided_by = ?6)
  AND EXISTS (SELECT 1 FROM request_step WHERE request_id = ?4 AND step_order = ?5
                                           AND approver_role = ?7 AND decision IS NULL)`

const recordDecision = `
UPDATE request_step SET decision = ?, decided_by = ?, acting_role = ?, comment = ?, decided_at = ?
WHERE request_id = ? AND step_order = ? AND decision IS NULL`

// DecideStep records d and moves the request on, with events, atomically.
func (s *Store) DecideStep(ctx context.Context, d signoff.StepDecision, events []signoff.Event) error {
	next := d.Step
	if d.Next == signoff.StatusPending {
		next = d.Step + 1
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, advanceRequest, d.Next, next, d.At.UTC(), d.RequestID, d.Step,
			d.DecidedBy, d.ActorRole)
		if err := oneRow(res, err, "the step is no longer open to this decider"); err != nil {
			return err
		}
		res, err = tx.ExecContext(ctx, recordDecision, d.Decision, d.DecidedBy, d.ActorRole,
			nullString(d.Comment), d.At.UTC(), d.RequestID, d.Step)
		if err := oneRow(res, err, "the step was decided already"); err != nil {
			return err
		}
		return writeEvents(ctx, tx, events...)
	})
	if err != nil {
		return fmt.Errorf("sqlite: decide %s step %d: %w", d.RequestID, d.Step, err)
	}
	return nil
}

const withdrawRequest = `
UPDATE access_request SET status = 'WITHDRAWN', updated_at = ?
WHERE request_id = ? AND status = 'PENDING' AND requester = ?`

// Withdraw moves a pending request to WITHDRAWN.
func (s *Store) Withdraw(ctx context.Context, requestID string, ev signoff.Event) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, withdrawRequest, ev.Time.UTC(), requestID, ev.Actor)
		if err := oneRow(res, err, "the request is not pending or not the actor's"); err != nil {
			return err
		}
		return writeEvents(ctx, tx, ev)
	})
	if err != nil {
		return fmt.Errorf("sqlite: withdraw %s: %w", requestID, err)
	}
	return nil
}

// oneRow turns an Exec result into ErrConflict unless exactly one row changed.
func oneRow(res sql.Result, err error, why string) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n != 1 {
		return fmt.Errorf("%w: %s", signoff.ErrConflict, why)
	}
	return nil
}

func writeEvents(ctx context.Context, tx *sql.Tx, events ...signoff.Event) error {
	for _, e := range events {
		if _, err := tx.ExecContext(ctx, insertEvent, e.ID, e.Time.UTC(), nullString(e.RequestID),
			nullString(e.ProductID), e.Actor, nullString(e.ActorRole), e.Type, nullInt(e.Step),
			nullString(string(e.Decision)), nullString(e.Comment), nullString(e.Details)); err != nil {
			return fmt.Errorf("audit %s: %w", e.Type, err)
		}
	}
	return nil
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }
func nullInt(n int) sql.NullInt64        { return sql.NullInt64{Int64: int64(n), Valid: n != 0} }
