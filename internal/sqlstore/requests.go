package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/signoff/signoff/internal/signoff"
)

// selectRequests returns requests joined with their product and every step,
// one row per step, for the requests chosen by a CTE named "chosen" that the
// caller prepends: one statement per page.
const selectRequests = `
SELECT r.request_id, r.product_id, p.name, p.classification, p.access_role, r.requester,
       r.business_reason, r.status, r.current_step, r.step_count, r.created_at, r.updated_at,
       s.step_order, s.step_label, s.approver_role, COALESCE(s.decision, ''),
       COALESCE(s.decided_by, ''), COALESCE(s.acting_role, ''), COALESCE(s.comment, ''), s.decided_at,
       r.asked_days, r.duration_days, r.expires_at, COALESCE(s.deadline_hours, 0), COALESCE(s.fallback_role, ''),
       COALESCE(s.escalated_to, ''), COALESCE(s.approved_days, 0), COALESCE(r.extends_request_id, ''),
       COALESCE(s.approver_user, '')
FROM chosen c
JOIN access_request r ON r.request_id = c.request_id
JOIN data_product p ON p.product_id = r.product_id
JOIN request_step s ON s.request_id = r.request_id`

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

// SelectQueue renders the approver queue's read for f and returns it with
// its arguments: one statement per page, on both engines.
//
// The CTE "chosen" picks the page: the pending requests whose current step
// is keyed to one of f.Roles, not the viewer's own nor ones the viewer
// decided a step of, filtered, in f.Sort's order, after the keyset f.After,
// at most f.Limit. On the embedded engine the default order walks the index
// access_request_waiting (status, updated_at, request_id) and stops at the
// limit; "newest" walks it backwards. The keyset is written as
// "key >= k AND (key > k OR id > i)" rather than the equivalent
// "key > k OR (key = k AND id > i)", so that the index is entered at k
// instead of being scanned from its start. By product, every candidate is
// sorted (the name is another table's): the cost grows with the pending
// steps for the viewer's roles, not with the requests.
//
// The outer query returns each chosen request's steps ('R' rows, first: a
// compound SELECT's columns take their types from its first SELECT, and the
// times must land in TIMESTAMP columns), then, in the same statement, one
// 'P' row per product whose chain has a step keyed to f.Roles: the product
// filter's choices. The outer ORDER BY names columns by position (a
// compound SELECT's ORDER BY may only name its result columns): 1 the kind,
// 2 request_id, 3 product_id, 4 the product's name, 13 updated_at,
// 14 step_order.
func SelectQueue(f signoff.QueueFilter) (string, []any) {
	sort := f.Sort
	if sort == "" {
		sort = signoff.QueueOldest
	}
	// A step's role (a manager step's for its manager only), or the
	// fallback role it escalated to.
	var args []any
	for _, r := range f.Roles {
		args = append(args, r)
	}
	args = append(args, f.User, f.User)
	for _, r := range f.Roles {
		args = append(args, r)
	}
	args = append(args, f.User, f.User)
	var b strings.Builder
	b.WriteString(`WITH chosen AS (
		SELECT r.request_id FROM access_request r
		JOIN request_step cur ON cur.request_id = r.request_id AND cur.step_order = r.current_step`)
	if sort == signoff.QueueByProduct || f.Classification != "" {
		b.WriteString(`
		JOIN data_product cp ON cp.product_id = r.product_id`)
	}
	b.WriteString(`
		WHERE r.status = 'PENDING'
		  AND (cur.approver_role IN (` + placeholders(len(f.Roles)) + `) AND COALESCE(cur.approver_user, ?) = ?
		       OR cur.escalated_to IN (` + placeholders(len(f.Roles)) + `))
		  AND r.requester <> ?
		  AND NOT EXISTS (SELECT 1 FROM request_step d WHERE d.request_id = r.request_id AND d.decided_by = ?)`)
	if f.ProductID != "" {
		b.WriteString(`
		  AND r.product_id = ?`)
		args = append(args, f.ProductID)
	}
	if f.Classification != "" {
		b.WriteString(`
		  AND cp.classification = ?`)
		args = append(args, f.Classification)
	}
	if k := f.After; k != nil {
		switch sort {
		case signoff.QueueNewest:
			b.WriteString(`
		  AND r.updated_at <= ? AND (r.updated_at < ? OR r.request_id < ?)`)
			args = append(args, k.Waiting.UTC(), k.Waiting.UTC(), k.RequestID)
		case signoff.QueueByProduct:
			b.WriteString(`
		  AND cp.name >= ? AND (cp.name > ? OR r.updated_at > ? OR (r.updated_at = ? AND r.request_id > ?))`)
			args = append(args, k.ProductName, k.ProductName, k.Waiting.UTC(), k.Waiting.UTC(), k.RequestID)
		default:
			b.WriteString(`
		  AND r.updated_at >= ? AND (r.updated_at > ? OR r.request_id > ?)`)
			args = append(args, k.Waiting.UTC(), k.Waiting.UTC(), k.RequestID)
		}
	}
	// The outer order ends with the step, then the product's name and ID,
	// which order the 'P' rows (equal in every column before).
	order, outer := `r.updated_at, r.request_id`, `13, 2, 14, 4, 3`
	switch sort {
	case signoff.QueueNewest:
		order, outer = `r.updated_at DESC, r.request_id DESC`, `13 DESC, 2 DESC, 14, 4, 3`
	case signoff.QueueByProduct:
		order, outer = `cp.name, r.updated_at, r.request_id`, `4, 13, 2, 14, 3`
	}
	b.WriteString(`
		ORDER BY ` + order + limit(f.Limit) + `)
SELECT 'R' AS kind, r.request_id, r.product_id, p.name, p.classification, p.access_role, r.requester,
       r.business_reason, r.status, r.current_step, r.step_count, r.created_at, r.updated_at,
       s.step_order, s.step_label, s.approver_role, COALESCE(s.decision, ''),
       COALESCE(s.decided_by, ''), COALESCE(s.acting_role, ''), COALESCE(s.comment, ''), s.decided_at,
       r.asked_days, r.duration_days, r.expires_at, COALESCE(s.deadline_hours, 0), COALESCE(s.fallback_role, ''),
       COALESCE(s.escalated_to, ''), COALESCE(s.approved_days, 0), COALESCE(r.extends_request_id, ''),
       COALESCE(s.approver_user, '')
FROM chosen c
JOIN access_request r ON r.request_id = c.request_id
JOIN data_product p ON p.product_id = r.product_id
JOIN request_step s ON s.request_id = r.request_id
UNION ALL
SELECT 'P', '', p.product_id, p.name, p.classification, '', '',
       '', '', 0, 0, NULL, NULL,
       0, '', '', '', '', '', '', NULL,
       0, 0, NULL, 0, '', '', 0, '', ''
FROM data_product p
WHERE EXISTS (SELECT 1 FROM (SELECT product_id, approver_role, fallback_role FROM approval_chain
                             UNION ALL
                             SELECT p.product_id, approver_role, fallback_role FROM chain_policy) ch
              WHERE ch.product_id = p.product_id
                AND (ch.approver_role IN (` + placeholders(len(f.Roles)) + `)
                     OR COALESCE(ch.fallback_role, p.fallback_role) IN (` + placeholders(len(f.Roles)) + `)))
ORDER BY 1 DESC, ` + outer)
	for range 2 {
		for _, r := range f.Roles {
			args = append(args, r)
		}
	}
	return b.String(), args
}

// Queue returns a page of the approver queue and the product filter's
// choices, in one statement.
func (s *Store) Queue(ctx context.Context, f signoff.QueueFilter) (signoff.QueueRows, error) {
	if len(f.Roles) == 0 {
		return signoff.QueueRows{}, nil
	}
	query, args := SelectQueue(f)
	rows, err := s.q.QueryContext(ctx, query, args...)
	if err != nil {
		return signoff.QueueRows{}, s.errorf(err, "queue for %s", f.User)
	}
	defer rows.Close()
	var out signoff.QueueRows
	for rows.Next() {
		var kind string
		var r signoff.Request
		var st signoff.Step
		var created, updated, decidedAt, expires sql.NullTime
		if err := rows.Scan(&kind, &r.ID, &r.ProductID, &r.ProductName, &r.Classification, &r.AccessRole,
			&r.Requester, &r.Reason, &r.Status, &r.CurrentStep, &r.StepCount, &created, &updated,
			&st.Order, &st.Label, &st.ApproverRole, &st.Decision, &st.DecidedBy, &st.ActorRole,
			&st.Comment, &decidedAt, &r.AskedDays, &r.DurationDays, &expires, &st.DeadlineHours,
			&st.FallbackRole, &st.EscalatedTo, &st.ApprovedDays, &r.Extends, &st.ApproverUser); err != nil {
			return signoff.QueueRows{}, s.errorf(err, "queue for %s", f.User)
		}
		if kind == "P" {
			out.Products = append(out.Products, signoff.Product{ID: r.ProductID, Name: r.ProductName,
				Classification: r.Classification})
			continue
		}
		r.CreatedAt, r.UpdatedAt = created.Time.UTC(), updated.Time.UTC()
		if expires.Valid {
			r.ExpiresAt = expires.Time.UTC()
		}
		if decidedAt.Valid {
			st.DecidedAt = decidedAt.Time.UTC()
		}
		if n := len(out.Requests); n == 0 || out.Requests[n-1].ID != r.ID {
			out.Requests = append(out.Requests, r)
		}
		last := &out.Requests[len(out.Requests)-1]
		last.Steps = append(last.Steps, st)
	}
	if err := rows.Err(); err != nil {
		return signoff.QueueRows{}, s.errorf(err, "queue for %s", f.User)
	}
	return out, nil
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
		var decidedAt, expires sql.NullTime
		if err := rows.Scan(&r.ID, &r.ProductID, &r.ProductName, &r.Classification, &r.AccessRole,
			&r.Requester, &r.Reason, &r.Status, &r.CurrentStep, &r.StepCount, &r.CreatedAt, &r.UpdatedAt,
			&st.Order, &st.Label, &st.ApproverRole, &st.Decision, &st.DecidedBy, &st.ActorRole,
			&st.Comment, &decidedAt, &r.AskedDays, &r.DurationDays, &expires, &st.DeadlineHours,
			&st.FallbackRole, &st.EscalatedTo, &st.ApprovedDays, &r.Extends, &st.ApproverUser); err != nil {
			return nil, err
		}
		r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
		if expires.Valid {
			r.ExpiresAt = expires.Time.UTC()
		}
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

// SelectRequestDetail returns one request for its page in one statement:
// first one row per step ('S'), each carrying the request and its product's
// context, then one row per audit event ('E'), the latest MaxRequestEvents
// of them, oldest first. The two kinds share one column list; a row leaves
// the other kind's columns NULL, except that an event's decision, comment and
// time use the step's columns (SQLite types a compound SELECT's columns by
// its first SELECT, and a time must land in a TIMESTAMP column to read back
// as one).
const SelectRequestDetail = `
SELECT 'S' AS kind, s.step_order AS ord,
       r.request_id, r.product_id, p.name, p.classification, p.access_role, r.requester,
       r.business_reason, r.status, r.current_step, r.step_count, r.created_at, r.updated_at,
       s.step_label, s.approver_role, s.decision, s.decided_by, s.acting_role, s.comment, s.decided_at,
       p.description, p.owner, p.owner_role, p.domain, p.tags, p.product_columns,
       r.asked_days, r.duration_days, r.expires_at, s.deadline_hours, s.fallback_role, s.escalated_to,
       s.approved_days, p.durations, p.pending_days, p.fallback_role, r.extends_request_id, p.extension_steps,
       s.approver_user,
       NULL AS event_id, NULL AS actor, NULL AS actor_role, NULL AS event_type,
       NULL AS event_step, NULL AS details, NULL AS seq, NULL AS prev_hash, NULL AS hash
FROM access_request r
JOIN data_product p ON p.product_id = r.product_id
JOIN request_step s ON s.request_id = r.request_id
WHERE r.request_id = ?
UNION ALL
SELECT 'E', e.seq,
       NULL, e.product_id, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, e.decision, NULL, NULL, e.comment, e.event_time,
       NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL,
       e.event_id, e.actor, e.actor_role, e.event_type,
       e.step_order, e.details, e.seq, e.prev_hash, e.hash
FROM (SELECT * FROM audit_log WHERE request_id = ? ORDER BY seq DESC, event_id DESC LIMIT ` + maxEventsLiteral + `) e
ORDER BY 1 DESC, 2, 3`

// maxEventsLiteral is signoff.MaxRequestEvents as SQL text (LIMIT takes a
// constant on Snowflake); TestMaxEventsLiteral keeps them equal.
const maxEventsLiteral = "500"

// RequestDetail returns one request with its steps, its product and its
// latest audit events (oldest first).
func (s *Store) RequestDetail(ctx context.Context, id string) (signoff.Request, signoff.Product, []signoff.Event, error) {
	fail := func(err error) (signoff.Request, signoff.Product, []signoff.Event, error) {
		return signoff.Request{}, signoff.Product{}, nil, err
	}
	rows, err := s.q.QueryContext(ctx, SelectRequestDetail, id, id)
	if err != nil {
		return fail(s.errorf(err, "request %s", id))
	}
	defer rows.Close()
	var r signoff.Request
	var p signoff.Product
	var evs []signoff.Event
	for rows.Next() {
		var kind string
		var ord int
		var (
			reqID, name, class, access, requester, reason, status                    sql.NullString
			cur, count                                                               sql.NullInt64
			created, updated, decidedAt                                              sql.NullTime
			label, role, decision, decidedBy, actingRole, comment                    sql.NullString
			desc, owner, ownerRole, domain, tags, cols                               sql.NullString
			productID, eventID, actor, actorRole, eventType, details, prevHash, hash sql.NullString
			eventStep, seq                                                           sql.NullInt64
			asked, duration, deadline, approvedDays, pendingDays                     sql.NullInt64
			expires                                                                  sql.NullTime
			fallback, escalatedTo, durations, productFallback, extends, extension    sql.NullString
			approverUser                                                             sql.NullString
		)
		if err := rows.Scan(&kind, &ord, &reqID, &productID, &name, &class, &access, &requester,
			&reason, &status, &cur, &count, &created, &updated,
			&label, &role, &decision, &decidedBy, &actingRole, &comment, &decidedAt,
			&desc, &owner, &ownerRole, &domain, &tags, &cols,
			&asked, &duration, &expires, &deadline, &fallback, &escalatedTo, &approvedDays, &durations,
			&pendingDays, &productFallback, &extends, &extension, &approverUser,
			&eventID, &actor, &actorRole, &eventType, &eventStep, &details, &seq, &prevHash, &hash); err != nil {
			return fail(s.errorf(err, "request %s", id))
		}
		if kind == "E" {
			evs = append(evs, signoff.Event{ID: eventID.String, Time: decidedAt.Time.UTC(), RequestID: id,
				ProductID: productID.String, Actor: actor.String, ActorRole: actorRole.String,
				Type: signoff.EventType(eventType.String), Step: int(eventStep.Int64),
				Decision: signoff.Decision(decision.String), Comment: comment.String, Details: details.String,
				Seq: int(seq.Int64), PrevHash: prevHash.String, Hash: hash.String})
			continue
		}
		if len(r.Steps) == 0 {
			r = signoff.Request{ID: reqID.String, ProductID: productID.String, ProductName: name.String,
				Classification: class.String, AccessRole: access.String, Requester: requester.String,
				Reason: reason.String, Status: signoff.Status(status.String), CurrentStep: int(cur.Int64),
				StepCount: int(count.Int64), CreatedAt: created.Time.UTC(), UpdatedAt: updated.Time.UTC(),
				AskedDays: int(asked.Int64), DurationDays: int(duration.Int64), Extends: extends.String}
			if expires.Valid {
				r.ExpiresAt = expires.Time.UTC()
			}
			p = signoff.Product{ID: r.ProductID, Name: r.ProductName, Classification: r.Classification,
				AccessRole: r.AccessRole, Description: desc.String, Owner: owner.String, OwnerRole: ownerRole.String,
				Domain: domain.String, PendingDays: int(pendingDays.Int64), FallbackRole: productFallback.String,
				ExtendLastStep: extension.String == "LAST"}
			var err error
			if p.Durations, err = signoff.ParseDurations(durations.String); err != nil {
				return fail(s.errorf(err, "request %s: durations", id))
			}
			if err := json.Unmarshal([]byte(tags.String), &p.Tags); err != nil {
				return fail(s.errorf(err, "request %s: tags", id))
			}
			if err := json.Unmarshal([]byte(cols.String), &p.Columns); err != nil {
				return fail(s.errorf(err, "request %s: columns", id))
			}
		}
		st := signoff.Step{Order: ord, Label: label.String, ApproverRole: role.String,
			Decision: signoff.Decision(decision.String), DecidedBy: decidedBy.String, ActorRole: actingRole.String,
			Comment: comment.String, DeadlineHours: int(deadline.Int64), FallbackRole: fallback.String,
			EscalatedTo: escalatedTo.String, ApprovedDays: int(approvedDays.Int64), ApproverUser: approverUser.String}
		if decidedAt.Valid {
			st.DecidedAt = decidedAt.Time.UTC()
		}
		r.Steps = append(r.Steps, st)
	}
	if err := rows.Err(); err != nil {
		return fail(s.errorf(err, "request %s", id))
	}
	if len(r.Steps) == 0 {
		return fail(fmt.Errorf("%s: request %s: %w", s.name, id, signoff.ErrNotFound))
	}
	for i := range evs { // as Events reads them: with the product's name
		if evs[i].ProductID == p.ID {
			evs[i].ProductName = p.Name
		}
	}
	return r, p, evs, nil
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
