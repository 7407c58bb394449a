package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/signoff/signoff/internal/signoff"
)

// Access reviews' SQL (signoff/review.go; docs/design.md, "Access reviews"):
// the checks and writes of StartReview and DecideReview, which the embedded
// engine runs in a transaction and the START_REVIEW and DECIDE_REVIEW
// procedures embed (03_api.sql), and the review pages' reads. The
// conventions are actions.go's.

// LoadReview reads the owner role the engine must look up in the caller's
// session: the product's of review :review_id if it exists, else
// :product_id's (a review about to start).
const LoadReview = `
SELECT COALESCE(MAX(p.owner_role), '') AS owner_role
FROM main.data_product p
WHERE p.product_id = COALESCE((SELECT MAX(product_id) FROM main.access_review WHERE review_id = :review_id), :product_id)`

// CheckStartReview decides whether :actor may open review :review_id of
// :product_id: admins and members of its owner role, or the scheduler
// (:is_system) once the product's review interval passed since its last
// review; one open review per product. item_count is how many grants it
// will list: the product's GRANTED requests. Run after LockSubmissions,
// whose lock serializes review starts (and submissions), so that two starts
// at once open one review.
const CheckStartReview = `
WITH p AS (SELECT COUNT(*) AS n, MAX(name) AS product_name, MAX(owner_role) AS owner_role,
                  MAX(review_days) AS review_days
           FROM main.data_product WHERE product_id = :product_id),
     o AS (SELECT MIN(review_id) AS open_review_id, MAX(opened_at) AS last_opened
           FROM main.access_review WHERE product_id = :product_id AND status = 'OPEN'),
     l AS (SELECT MAX(opened_at) AS last_opened FROM main.access_review WHERE product_id = :product_id),
     d AS (SELECT COUNT(*) AS n FROM main.access_review WHERE review_id = :review_id),
     g AS (SELECT COUNT(*) AS n FROM main.access_request WHERE product_id = :product_id AND status = 'GRANTED')
SELECT CASE
           ` + identityUnavailable + `
           WHEN p.n = 0 THEN 'PRODUCT_NOT_FOUND'
           WHEN NOT :is_admin AND NOT :holds_owner_role AND NOT :is_system THEN 'NOT_ADMIN_OR_OWNER'
           WHEN o.open_review_id IS NOT NULL THEN 'REVIEW_OPEN'
           WHEN :is_system AND NOT (COALESCE(p.review_days, 0) > 0
                                    AND (l.last_opened IS NULL OR ADD_HOURS(l.last_opened, 24 * p.review_days) <= :now_ts))
                THEN 'NOT_DUE'
           WHEN d.n > 0 THEN 'DUPLICATE_ID'
           ELSE 'OK'
       END AS code,
       :actor AS actor, :review_id AS review_id, :product_id AS product_id, p.product_name, p.owner_role,
       o.open_review_id, g.n AS item_count
FROM p CROSS JOIN o CROSS JOIN l CROSS JOIN d CROSS JOIN g`

// InsertReview opens the review, OPEN unless it lists no grant (then it is
// complete at once), unless the product has an open review already. It
// affects exactly one row.
const InsertReview = `
INSERT INTO main.access_review (review_id, product_id, status, opened_by, opened_at, item_count, completed_at)
SELECT :review_id, :product_id, CASE WHEN :item_count = 0 THEN 'COMPLETE' ELSE 'OPEN' END, :actor, :now_ts,
       :item_count, CASE WHEN :item_count = 0 THEN :now_ts END
WHERE NOT EXISTS (SELECT 1 FROM main.access_review WHERE product_id = :product_id AND status = 'OPEN')`

// InsertReviewItems lists the product's GRANTED requests in the review,
// undecided. It affects as many rows as the check counted (:item_count);
// otherwise a grant came or went in between: a conflict.
const InsertReviewItems = `
INSERT INTO main.review_item (review_id, request_id, requester)
SELECT :review_id, request_id, requester
FROM main.access_request WHERE product_id = :product_id AND status = 'GRANTED'`

// CheckDecideReview decides whether :actor may decide :request_id in
// review :review_id as :review_decision (KEEP, REVOKE or ENDED): admins
// and members of the product's owner role, on a grant of the open review
// not decided yet. KEEP and REVOKE need the access still GRANTED (a
// revocation then goes through CheckRevoke as well); ENDED closes a grant
// whose access ended meanwhile, and only such a grant.
const CheckDecideReview = `
WITH v AS (SELECT COUNT(*) AS n, MAX(status) AS review_status, MAX(product_id) AS review_product
           FROM main.access_review WHERE review_id = :review_id),
     i AS (SELECT COUNT(*) AS n, MAX(decision) AS item_decision, MAX(decided_by) AS item_decided_by
           FROM main.review_item WHERE review_id = :review_id AND request_id = :request_id),
     r AS (` + requestFacts + `)
SELECT CASE
           ` + identityUnavailable + `
           WHEN v.n = 0 THEN 'REVIEW_NOT_FOUND'
           WHEN v.n > 1 OR i.n > 1 OR r.n > 1 THEN 'DUPLICATE_ID'
           WHEN NOT :is_admin AND NOT :holds_owner_role THEN 'NOT_ADMIN_OR_OWNER'
           WHEN i.n = 0 OR r.n = 0 OR r.product_id <> v.review_product THEN 'NOT_IN_REVIEW'
           WHEN i.item_decision IS NOT NULL OR v.review_status <> 'OPEN' THEN 'ALREADY_DECIDED'
           WHEN :review_decision = 'ENDED' AND r.status = 'GRANTED' THEN 'WRONG_STATUS'
           WHEN :review_decision <> 'ENDED' AND r.status <> 'GRANTED' THEN 'WRONG_STATUS'
           ELSE 'OK'
       END AS code,
       ` + requestColumns + `,
       :review_id AS review_id, i.item_decided_by AS seen_decided_by
FROM v CROSS JOIN i CROSS JOIN r`

// MarkReviewItem records the decision on the grant, once, while the review
// is open. It affects exactly one row.
const MarkReviewItem = `
UPDATE main.review_item
SET decision = :review_decision, decided_by = :actor, decided_at = :now_ts,
    note = NULLIF(TRIM(:comment_text, ' ' || CHAR(9) || CHAR(10) || CHAR(11) || CHAR(12) || CHAR(13)), '')
WHERE review_id = :review_id AND request_id = :request_id AND decision IS NULL
  AND EXISTS (SELECT 1 FROM main.access_review WHERE review_id = :review_id AND status = 'OPEN')`

// CompleteReview records the review's completion once every grant it lists
// is decided; otherwise it affects no row.
const CompleteReview = `
UPDATE main.access_review SET status = 'COMPLETE', completed_at = :now_ts
WHERE review_id = :review_id AND status = 'OPEN'
  AND NOT EXISTS (SELECT 1 FROM main.review_item WHERE review_id = :review_id AND decision IS NULL)`

// SelectReviewOutcome is where the review stands after an action: the data
// of the OK answer.
const SelectReviewOutcome = `
WITH v AS (SELECT MAX(product_id) AS product_id, MAX(status) AS review_status
           FROM main.access_review WHERE review_id = :review_id),
     u AS (SELECT COUNT(*) AS n FROM main.review_item WHERE review_id = :review_id AND decision IS NULL)
SELECT 'OK' AS code, :actor AS actor, :review_id AS review_id, :request_id AS request_id, v.product_id,
       v.review_status, u.n AS undecided
FROM v CROSS JOIN u`

// reviewsDue is DueWork's part for access reviews: products with a review
// interval (review_days) and no open review, whose last review opened that
// long ago or that were never reviewed (due since they were created). The
// product's ID goes in the request_id column. The scheduler opens each with
// CheckStartReview (:is_system), which checks the same again.
const reviewsDue = `SELECT 'OPEN_REVIEW', p.product_id, '',
           COALESCE(ADD_HOURS(l.last_opened, 24 * p.review_days), p.created_at), 6
    FROM main.data_product p
    LEFT JOIN (SELECT product_id, MAX(opened_at) AS last_opened,
                      SUM(CASE WHEN status = 'OPEN' THEN 1 ELSE 0 END) AS open_n
               FROM main.access_review GROUP BY product_id) l ON l.product_id = p.product_id
    WHERE p.review_days > 0 AND COALESCE(l.open_n, 0) = 0
      AND (l.last_opened IS NULL OR ADD_HOURS(l.last_opened, 24 * p.review_days) <= :now_ts)`

// ReviewCommentPrefix is SQL for the start of the comment of an
// ACCESS_REVOKED event made in review <id> (signoff.ReviewComment), for
// the review id expression id.
func ReviewCommentPrefix(id string) string { return "'Review ' || " + id + " || ': '" }

// reviewColumns are a review's columns in the reads, with its product's
// policy; decided counts its grants decided.
const reviewColumns = `v.review_id, v.product_id, p.name, p.owner_role, v.status, v.opened_by, v.opened_at,
       v.completed_at, v.item_count,
       COALESCE(dc.decided, 0), COALESCE(p.review_days, 0), COALESCE(p.idle_days, 0), COALESCE(p.object_name, '')`

// decidedCounts joins each review (v) to how many of its grants are decided
// (dc.decided).
const decidedCounts = `
LEFT JOIN (SELECT review_id, COUNT(decision) AS decided FROM review_item GROUP BY review_id) dc
       ON dc.review_id = v.review_id`

// SelectReviews reads a product's review policy and its reviews, newest
// first: one row for the product with no review, else one per review.
func SelectReviews(n int) string {
	return `
SELECT COALESCE(p.review_days, 0), COALESCE(p.idle_days, 0), COALESCE(p.object_name, ''),
       v.review_id, v.status, v.opened_by, v.opened_at, v.completed_at, v.item_count,
       COALESCE(dc.decided, 0)
FROM data_product p LEFT JOIN access_review v ON v.product_id = p.product_id` + decidedCounts + `
WHERE p.product_id = ?
ORDER BY v.opened_at DESC, v.review_id DESC` + limit(n)
}

// Reviews returns a product's review policy and its reviews, newest first.
func (s *Store) Reviews(ctx context.Context, productID string, n int) (signoff.ReviewPolicy, []signoff.Review, error) {
	var pol signoff.ReviewPolicy
	rows, err := s.q.QueryContext(ctx, SelectReviews(n), productID)
	if err != nil {
		return pol, nil, s.errorf(err, "reviews of %s", productID)
	}
	defer rows.Close()
	found := false
	var out []signoff.Review
	for rows.Next() {
		found = true
		var id, status, by sql.NullString
		var opened, completed sql.NullTime
		var items sql.NullInt64
		var decided int
		if err := rows.Scan(&pol.ReviewDays, &pol.IdleDays, &pol.ObjectName, &id, &status, &by, &opened, &completed,
			&items, &decided); err != nil {
			return pol, nil, s.errorf(err, "reviews of %s", productID)
		}
		if !id.Valid {
			continue
		}
		out = append(out, signoff.Review{ID: id.String, ProductID: productID, Status: signoff.ReviewStatus(status.String),
			OpenedBy: by.String, OpenedAt: utc(opened), CompletedAt: utc(completed), Items: int(items.Int64),
			Decided: decided})
	}
	if err := rows.Err(); err != nil {
		return pol, nil, s.errorf(err, "reviews of %s", productID)
	}
	if !found {
		return pol, nil, signoff.ErrNotFound
	}
	for i := range out {
		out[i].Policy = pol
	}
	return pol, out, nil
}

// SelectOpenReviews reads the open reviews, oldest first.
func SelectOpenReviews(n int) string {
	return `
SELECT ` + reviewColumns + `
FROM access_review v JOIN data_product p ON p.product_id = v.product_id` + decidedCounts + `
WHERE v.status = 'OPEN'
ORDER BY v.opened_at, v.review_id` + limit(n)
}

// OpenReviews returns the open reviews, oldest first.
func (s *Store) OpenReviews(ctx context.Context, n int) ([]signoff.Review, error) {
	rows, err := s.q.QueryContext(ctx, SelectOpenReviews(n))
	if err != nil {
		return nil, s.errorf(err, "open reviews")
	}
	defer rows.Close()
	var out []signoff.Review
	for rows.Next() {
		v, err := scanReview(rows)
		if err != nil {
			return nil, s.errorf(err, "open reviews")
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, s.errorf(err, "open reviews")
	}
	return out, nil
}

// scanner is a row being read.
type scanner interface{ Scan(dest ...any) error }

// scanReview reads reviewColumns, then dest.
func scanReview(row scanner, dest ...any) (signoff.Review, error) {
	var v signoff.Review
	var completed sql.NullTime
	err := row.Scan(append([]any{&v.ID, &v.ProductID, &v.ProductName, &v.OwnerRole, &v.Status, &v.OpenedBy,
		&v.OpenedAt, &completed, &v.Items, &v.Decided, &v.Policy.ReviewDays, &v.Policy.IdleDays,
		&v.Policy.ObjectName}, dest...)...)
	v.OpenedAt, v.CompletedAt = v.OpenedAt.UTC(), utc(completed)
	return v, err
}

func utc(t sql.NullTime) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

// anyTime scans a time that may come as a time or as text: SQLite returns
// an aggregate of a TIMESTAMP column (MAX) as the text stored, having no
// declared type to convert it by; Snowflake returns a time.
type anyTime struct{ t sql.NullTime }

// Scan implements sql.Scanner.
func (a *anyTime) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		a.t = sql.NullTime{}
		return nil
	case string:
		return a.parse(v)
	case []byte:
		return a.parse(string(v))
	}
	return a.t.Scan(src)
}

func (a *anyTime) parse(s string) error {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("a time %q: %w", s, err)
	}
	a.t = sql.NullTime{Time: t, Valid: true}
	return nil
}

// SelectReview reads one review and its grants, one row each (one row with
// no grant for a review that lists none), with each grant's request now,
// when it was granted (its ACCESS_GRANTED event), and its use since then:
// the last use, and the queries in the 30 and 90 days before the time
// bound to the first two parameters. Use comes from access_usage: the
// demo's record on the embedded engine, on Snowflake a view over
// SNOWFLAKE.ACCOUNT_USAGE.ACCESS_HISTORY (docs/snowflake.md).
const SelectReview = `
SELECT ` + reviewColumns + `,
       i.request_id, i.requester, r.status, g.granted_at, r.expires_at, i.decision, i.decided_by, i.decided_at,
       i.note, MAX(u.last_used_at),
       COALESCE(SUM(CASE WHEN u.last_used_at >= ? THEN u.query_count ELSE 0 END), 0),
       COALESCE(SUM(CASE WHEN u.last_used_at >= ? THEN u.query_count ELSE 0 END), 0)
FROM access_review v
JOIN data_product p ON p.product_id = v.product_id` + decidedCounts + `
LEFT JOIN review_item i ON i.review_id = v.review_id
LEFT JOIN access_request r ON r.request_id = i.request_id
LEFT JOIN (SELECT request_id, MAX(event_time) AS granted_at FROM audit_log
           WHERE event_type = 'ACCESS_GRANTED' GROUP BY request_id) g ON g.request_id = i.request_id
LEFT JOIN access_usage u ON u.user_name = i.requester AND u.product_id = v.product_id
                        AND u.last_used_at >= g.granted_at
WHERE v.review_id = ?
GROUP BY v.review_id, v.product_id, p.name, p.owner_role, v.status, v.opened_by, v.opened_at, v.completed_at,
         v.item_count, dc.decided, p.review_days, p.idle_days, p.object_name, i.request_id, i.requester, r.status,
         g.granted_at, r.expires_at, i.decision, i.decided_by, i.decided_at, i.note
ORDER BY i.requester, i.request_id`

// Review returns one review with its grants and their use as of now.
func (s *Store) Review(ctx context.Context, id string, now time.Time) (signoff.Review, []signoff.ReviewItem, error) {
	now = now.UTC()
	rows, err := s.q.QueryContext(ctx, SelectReview, now.AddDate(0, 0, -30), now.AddDate(0, 0, -90), id)
	if err != nil {
		return signoff.Review{}, nil, s.errorf(err, "review %s", id)
	}
	defer rows.Close()
	var v signoff.Review
	var items []signoff.ReviewItem
	found := false
	for rows.Next() {
		var reqID, requester, status, decision, decidedBy, note sql.NullString
		var granted, lastUsed anyTime
		var expires, decidedAt sql.NullTime
		var q30, q90 int
		row, err := scanReview(rows, &reqID, &requester, &status, &granted, &expires, &decision, &decidedBy,
			&decidedAt, &note, &lastUsed, &q30, &q90)
		if err != nil {
			return signoff.Review{}, nil, s.errorf(err, "review %s", id)
		}
		v, found = row, true
		if !reqID.Valid {
			continue
		}
		items = append(items, signoff.ReviewItem{ReviewID: id, RequestID: reqID.String, Requester: requester.String,
			Status: signoff.Status(status.String), GrantedAt: utc(granted.t), ExpiresAt: utc(expires),
			Decision: signoff.ReviewDecision(decision.String), DecidedBy: decidedBy.String, DecidedAt: utc(decidedAt),
			Note: note.String, LastUsed: utc(lastUsed.t), Queries30: q30, Queries90: q90})
	}
	if err := rows.Err(); err != nil {
		return signoff.Review{}, nil, s.errorf(err, "review %s", id)
	}
	if !found {
		return signoff.Review{}, nil, signoff.ErrNotFound
	}
	return v, items, nil
}

// reviewChecks are the verifier's checks of access reviews (VerifyLedger):
// a review's rows and the audit log must tell the same story, so that a
// decision edited into (or out of) the tables, or an event with no
// decision behind it, is reported.
//   - A REVIEW_KEPT event is a KEEP decision of the review its details
//     name, on that grant, by its actor, at its time.
//   - A KEEP decision has its REVIEW_KEPT event, and a REVOKE decision an
//     ACCESS_REVOKED event by the same person whose comment names the
//     review (signoff.ReviewComment); ENDED is only for access that ended.
//   - A COMPLETE review decided every grant it lists, an OPEN one did not,
//     and each lists as many grants as it says.
func reviewChecks() []string {
	prefix := ReviewCommentPrefix("i.review_id")
	return []string{
		`SELECT e.request_id, e.seq, e.event_id, 'illegal', 'details', COALESCE(e.details, ''), 'a grant kept in a review'
  FROM ev e
 WHERE e.event_type = 'REVIEW_KEPT'
   AND NOT EXISTS (SELECT 1 FROM review_item i
                   WHERE i.request_id = e.request_id AND 'review=' || i.review_id || ';' = e.details
                     AND i.decision = 'KEEP' AND i.decided_by = e.actor AND i.decided_at = e.event_time)`,
		`SELECT i.request_id, 0, '', 'inconsistent', 'review ' || i.review_id, COALESCE(i.decision, ''), 'its audit event'
  FROM review_item i
 WHERE (i.decision = 'KEEP'
        AND NOT EXISTS (SELECT 1 FROM ev e
                        WHERE e.request_id = i.request_id AND e.event_type = 'REVIEW_KEPT'
                          AND e.details = 'review=' || i.review_id || ';' AND e.actor = i.decided_by))
    OR (i.decision = 'REVOKE'
        AND NOT EXISTS (SELECT 1 FROM ev e
                        WHERE e.request_id = i.request_id AND e.event_type = 'ACCESS_REVOKED'
                          AND e.actor = i.decided_by
                          AND SUBSTR(e.comment, 1, LENGTH(` + prefix + `)) = ` + prefix + `))
    OR (i.decision IS NOT NULL AND i.decision NOT IN ('KEEP', 'REVOKE', 'ENDED'))`,
		`SELECT i.request_id, 0, '', 'inconsistent', 'review ' || i.review_id, i.decision, 'access that ended'
  FROM review_item i JOIN access_request r ON r.request_id = i.request_id
 WHERE i.decision = 'ENDED' AND r.status = 'GRANTED'`,
		`SELECT '', 0, '', 'inconsistent', 'review ' || v.review_id,
       v.status || ', ' || CAST(COALESCE(c.decided, 0) AS VARCHAR) || ' of ' || CAST(COALESCE(c.n, 0) AS VARCHAR)
           || ' decided, ' || CAST(v.item_count AS VARCHAR) || ' listed',
       CASE WHEN v.status = 'COMPLETE' THEN 'every grant decided' ELSE 'a grant to decide' END
  FROM access_review v
  LEFT JOIN (SELECT review_id, COUNT(*) AS n, COUNT(decision) AS decided FROM review_item GROUP BY review_id) c
         ON c.review_id = v.review_id
 WHERE (v.status = 'COMPLETE' AND COALESCE(c.n, 0) <> COALESCE(c.decided, 0))
    OR (v.status = 'OPEN' AND COALESCE(c.n, 0) = COALESCE(c.decided, 0))
    OR (v.status NOT IN ('OPEN', 'COMPLETE'))
    OR COALESCE(c.n, 0) <> v.item_count`,
	}
}
