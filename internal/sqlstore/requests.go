package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/signoff/signoff/internal/signoff"
)

// InsertRequest inserts a pending request unless the requester already has
// an open one for the product: a conditional insert, because correctness may
// not rest on UNIQUE constraints (Snowflake does not enforce them).
const InsertRequest = `
INSERT INTO access_request (request_id, product_id, requester, business_reason, status,
                            current_step, step_count, created_at, updated_at)
SELECT ?, ?, ?, ?, 'PENDING', 1, ?, ?, ?
WHERE NOT EXISTS (
    SELECT 1 FROM access_request
    WHERE product_id = ? AND requester = ? AND status IN ('PENDING', 'APPROVED', 'GRANTED', 'GRANT_FAILED'))`

// InsertSteps copies the product's chain into the request's steps.
const InsertSteps = `
INSERT INTO request_step (request_id, step_order, step_label, approver_role)
SELECT ?, step_order, step_label, approver_role FROM approval_chain WHERE product_id = ?`

// InsertEvent appends one audit event at the head of its request's hash
// chain, and only there: if another writer appended first (a link with this
// seq exists, or the link before it is not the one the event was hashed
// over), no row is inserted and the batch fails with a conflict, so a chain
// never forks.
const InsertEvent = `
INSERT INTO audit_log (event_id, event_time, request_id, product_id, actor, actor_role,
                       event_type, step_order, decision, comment, details, seq, prev_hash, hash)
SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
WHERE NOT EXISTS (SELECT 1 FROM audit_log WHERE request_id = ? AND seq >= ?)
  AND COALESCE((SELECT hash FROM audit_log WHERE request_id = ? AND seq = ?), '') = ?`

// CreateRequest inserts r with its steps and the submission event.
func (s *Store) CreateRequest(ctx context.Context, r signoff.Request, ev signoff.Event) error {
	batch := []Stmt{
		{SQL: InsertRequest, Want: 1, Why: "an open request for this product exists",
			Args: []any{r.ID, r.ProductID, r.Requester, r.Reason, r.StepCount, r.CreatedAt.UTC(), r.UpdatedAt.UTC(),
				r.ProductID, r.Requester}},
		{SQL: InsertSteps, Want: r.StepCount, Why: "the product's chain changed", Args: []any{r.ID, r.ProductID}},
		EventStmt(ev),
	}
	if err := s.b.Apply(ctx, batch); err != nil {
		return s.errorf(err, "create request %s", r.ID)
	}
	return nil
}

// EventStmt is the statement that appends ev, already linked into its
// request's chain (signoff.Link), to the audit log.
func EventStmt(e signoff.Event) Stmt {
	return Stmt{SQL: InsertEvent, Want: 1, Why: "the request's audit chain moved on meanwhile",
		Args: []any{e.ID, e.Time.UTC(), nullString(e.RequestID), nullString(e.ProductID), e.Actor,
			nullString(e.ActorRole), string(e.Type), nullInt(e.Step), nullString(string(e.Decision)),
			nullString(e.Comment), nullString(e.Details), e.Seq, e.PrevHash, e.Hash,
			e.RequestID, e.Seq, e.RequestID, e.Seq - 1, e.PrevHash}}
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

// SelectRequest returns one request with its steps.
const SelectRequest = `WITH chosen AS (SELECT ? AS request_id)` + selectRequests + ` ORDER BY s.step_order`

// Request returns one request with its steps.
func (s *Store) Request(ctx context.Context, id string) (signoff.Request, error) {
	rs, err := s.queryRequests(ctx, SelectRequest, id)
	if err != nil {
		return signoff.Request{}, s.errorf(err, "request %s", id)
	}
	if len(rs) == 0 {
		return signoff.Request{}, signoff.Errorf(signoff.ErrNotFound, "There is no request %s.", id)
	}
	return rs[0], nil
}

// SelectRequestsBy returns a requester's requests, newest first; the LIMIT
// is appended inside the CTE by RequestsBy.
func SelectRequestsBy(n int) string {
	return `WITH chosen AS (
		SELECT request_id FROM access_request WHERE requester = ?
		ORDER BY created_at DESC, request_id DESC` + limit(n) + `)` + selectRequests +
		` ORDER BY r.created_at DESC, r.request_id DESC, s.step_order`
}

// Requests returns requester's requests, newest first.
func (s *Store) Requests(ctx context.Context, requester string, n int) ([]signoff.Request, error) {
	rs, err := s.queryRequests(ctx, SelectRequestsBy(n), requester)
	if err != nil {
		return nil, s.errorf(err, "requests of %s", requester)
	}
	return rs, nil
}

// SelectQueue returns the pending requests whose current step is keyed to
// one of roles (nRoles bind markers), excluding the viewer's own requests and
// those the viewer already decided a step of, oldest first.
func SelectQueue(nRoles, n int) string {
	return `WITH chosen AS (
		SELECT r.request_id FROM access_request r
		JOIN request_step cur ON cur.request_id = r.request_id AND cur.step_order = r.current_step
		WHERE r.status = 'PENDING'
		  AND cur.approver_role IN (` + placeholders(nRoles) + `)
		  AND r.requester <> ?
		  AND NOT EXISTS (SELECT 1 FROM request_step d WHERE d.request_id = r.request_id AND d.decided_by = ?)
		ORDER BY r.created_at, r.request_id` + limit(n) + `)` + selectRequests +
		` ORDER BY r.created_at, r.request_id, s.step_order`
}

// Queue returns the pending requests whose current step one of roles may
// decide, excluding user's own and those user already decided a step of.
func (s *Store) Queue(ctx context.Context, roles []string, user string, n int) ([]signoff.Request, error) {
	if len(roles) == 0 {
		return nil, nil
	}
	args := make([]any, 0, len(roles)+2)
	for _, r := range roles {
		args = append(args, r)
	}
	args = append(args, user, user)
	rs, err := s.queryRequests(ctx, SelectQueue(len(roles), n), args...)
	if err != nil {
		return nil, s.errorf(err, "queue for %s", user)
	}
	return rs, nil
}

func (s *Store) queryRequests(ctx context.Context, query string, args ...any) ([]signoff.Request, error) {
	rows, err := s.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
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
		r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
		if decidedAt.Valid {
			st.DecidedAt = decidedAt.Time.UTC()
		}
		if n := len(out); n == 0 || out[n-1].ID != r.ID {
			out = append(out, r)
		}
		last := &out[len(out)-1]
		last.Steps = append(last.Steps, st)
	}
	return out, rows.Err()
}

// AdvanceRequest is the compare-and-set at the heart of promise 3: it moves
// the request on only if it is still PENDING at the decided step, the decider
// is not the requester and decided no other step, the acting role keys the
// step, and the next status fits the chain. Exactly one of two racing
// deciders affects a row.
const AdvanceRequest = `
UPDATE access_request SET status = ?, current_step = ?, updated_at = ?
WHERE request_id = ? AND status = 'PENDING' AND current_step = ? AND requester <> ?
  AND (? = 'REJECTED' OR (? = 'PENDING' AND current_step < step_count)
                      OR (? = 'APPROVED' AND current_step = step_count))
  AND NOT EXISTS (SELECT 1 FROM request_step WHERE request_id = ? AND decided_by = ?)
  AND EXISTS (SELECT 1 FROM request_step WHERE request_id = ? AND step_order = ?
                                           AND approver_role = ? AND decision IS NULL)`

// RecordDecision writes the decision onto its step, once.
const RecordDecision = `
UPDATE request_step SET decision = ?, decided_by = ?, acting_role = ?, comment = ?, decided_at = ?
WHERE request_id = ? AND step_order = ? AND decision IS NULL`

// DecideStep records d and moves the request on, with events, atomically.
func (s *Store) DecideStep(ctx context.Context, d signoff.StepDecision, events []signoff.Event) error {
	next := d.Step
	if d.Next == signoff.StatusPending {
		next = d.Step + 1
	}
	at := d.At.UTC()
	status := string(d.Next)
	batch := []Stmt{
		{SQL: AdvanceRequest, Want: 1, Why: "the step is no longer open to this decider",
			Args: []any{status, next, at, d.RequestID, d.Step, d.DecidedBy, status, status, status,
				d.RequestID, d.DecidedBy, d.RequestID, d.Step, d.ActorRole}},
		{SQL: RecordDecision, Want: 1, Why: "the step was decided already",
			Args: []any{string(d.Decision), d.DecidedBy, d.ActorRole, nullString(d.Comment), at, d.RequestID, d.Step}},
	}
	for _, e := range events {
		batch = append(batch, EventStmt(e))
	}
	if err := s.b.Apply(ctx, batch); err != nil {
		return s.errorf(err, "decide %s step %d", d.RequestID, d.Step)
	}
	return nil
}

// WithdrawRequest moves a pending request to WITHDRAWN, for its requester only.
const WithdrawRequest = `
UPDATE access_request SET status = 'WITHDRAWN', updated_at = ?
WHERE request_id = ? AND status = 'PENDING' AND requester = ?`

// Withdraw moves a pending request to WITHDRAWN.
func (s *Store) Withdraw(ctx context.Context, requestID string, ev signoff.Event) error {
	batch := []Stmt{
		{SQL: WithdrawRequest, Want: 1, Why: "the request is not pending or not the actor's",
			Args: []any{ev.Time.UTC(), requestID, ev.Actor}},
		EventStmt(ev),
	}
	if err := s.b.Apply(ctx, batch); err != nil {
		return s.errorf(err, "withdraw %s", requestID)
	}
	return nil
}

// SelectRequestDetail returns one request's steps, each row carrying the
// request and its product's context: everything a request page or an action
// on it needs, in one statement.
const SelectRequestDetail = `
WITH head AS (SELECT seq, hash FROM audit_log WHERE request_id = ? ORDER BY seq DESC LIMIT 1)
SELECT r.request_id, r.product_id, p.name, p.classification, p.access_role, r.requester,
       r.business_reason, r.status, r.current_step, r.step_count, r.created_at, r.updated_at,
       s.step_order, s.step_label, s.approver_role, COALESCE(s.decision, ''),
       COALESCE(s.decided_by, ''), COALESCE(s.acting_role, ''), COALESCE(s.comment, ''), s.decided_at,
       p.description, p.owner, p.owner_role, p.domain, p.tags, p.product_columns,
       COALESCE(h.seq, 0), COALESCE(h.hash, '')
FROM access_request r
JOIN data_product p ON p.product_id = r.product_id
JOIN request_step s ON s.request_id = r.request_id
LEFT JOIN head h ON 1 = 1
WHERE r.request_id = ?
ORDER BY s.step_order`

// RequestDetail returns one request with its steps and its product.
func (s *Store) RequestDetail(ctx context.Context, id string) (signoff.Request, signoff.Product, error) {
	rows, err := s.q.QueryContext(ctx, SelectRequestDetail, id, id)
	if err != nil {
		return signoff.Request{}, signoff.Product{}, s.errorf(err, "request %s", id)
	}
	defer rows.Close()
	var r signoff.Request
	var p signoff.Product
	for rows.Next() {
		var st signoff.Step
		var decidedAt sql.NullTime
		var tags, cols string
		if err := rows.Scan(&r.ID, &r.ProductID, &r.ProductName, &r.Classification, &r.AccessRole,
			&r.Requester, &r.Reason, &r.Status, &r.CurrentStep, &r.StepCount, &r.CreatedAt, &r.UpdatedAt,
			&st.Order, &st.Label, &st.ApproverRole, &st.Decision, &st.DecidedBy, &st.ActorRole,
			&st.Comment, &decidedAt, &p.Description, &p.Owner, &p.OwnerRole, &p.Domain, &tags, &cols,
			&r.Head.Seq, &r.Head.Hash); err != nil {
			return signoff.Request{}, signoff.Product{}, s.errorf(err, "request %s", id)
		}
		if decidedAt.Valid {
			st.DecidedAt = decidedAt.Time.UTC()
		}
		if len(r.Steps) == 0 {
			if err := json.Unmarshal([]byte(tags), &p.Tags); err != nil {
				return signoff.Request{}, signoff.Product{}, s.errorf(err, "request %s: tags", id)
			}
			if err := json.Unmarshal([]byte(cols), &p.Columns); err != nil {
				return signoff.Request{}, signoff.Product{}, s.errorf(err, "request %s: columns", id)
			}
		}
		r.Steps = append(r.Steps, st)
	}
	if err := rows.Err(); err != nil {
		return signoff.Request{}, signoff.Product{}, s.errorf(err, "request %s", id)
	}
	if len(r.Steps) == 0 {
		return signoff.Request{}, signoff.Product{}, signoff.Errorf(signoff.ErrNotFound, "There is no request %s.", id)
	}
	r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	p.ID, p.Name, p.Classification, p.AccessRole = r.ProductID, r.ProductName, r.Classification, r.AccessRole
	return r, p, nil
}

// SelectRequestsIn returns the requests in any of nStatuses statuses,
// oldest first.
func SelectRequestsIn(nStatuses, n int) string {
	return `WITH chosen AS (
		SELECT request_id FROM access_request WHERE status IN (` + placeholders(nStatuses) + `)
		ORDER BY updated_at, request_id` + limit(n) + `)` + selectRequests +
		` ORDER BY r.updated_at, r.request_id, s.step_order`
}

// RequestsIn returns requests in any of statuses, oldest first.
func (s *Store) RequestsIn(ctx context.Context, statuses []signoff.Status, n int) ([]signoff.Request, error) {
	if len(statuses) == 0 {
		return nil, nil
	}
	args := make([]any, len(statuses))
	for i, st := range statuses {
		args[i] = string(st)
	}
	rs, err := s.queryRequests(ctx, SelectRequestsIn(len(statuses), n), args...)
	if err != nil {
		return nil, s.errorf(err, "requests in %v", statuses)
	}
	return rs, nil
}
