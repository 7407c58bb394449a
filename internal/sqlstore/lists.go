package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/signoff/signoff/internal/signoff"
)

// The inspection reads: active grants (who has access, /admin/grants, the
// grant preview) and every request (/admin/requests). Each is one text
// shared by the page read and a Snowflake API procedure (LIST_GRANTS,
// LIST_REQUESTS in sql/snowflake/03_api.sql), written as the actions are:
// tables main.<table>, values :name. The page read runs it through Bind,
// which names the tables unqualified (the API views on Snowflake, the
// database itself on SQLite) and binds the values by position; the
// procedures embed it verbatim, :name being their arguments.
//
// Filters are written "(:x = '' OR column = :x)", so that one text serves
// every combination of filters with its values bound, never spliced.

// grantsLimitLiteral is signoff.GrantsLimit + 1 as SQL text (one more tells
// the page there are more); requestsLimitLiteral is
// signoff.RequestsPageSize + 1. LIMIT takes a constant on Snowflake;
// TestListLimits keeps them equal.
const (
	grantsLimitLiteral   = "1001"
	requestsLimitLiteral = "51"
)

// ListGrants lists active grants, newest grant first: GRANTED requests,
// for :product_id and for :user_name (the requester, exactly) unless
// either is ”. granted_at is the request's updated_at: MarkGranted sets
// it with the grant, nothing changes a GRANTED row but the revoke and
// expiry path, which ends the grant, and the ledger's verifier holds the
// row's time to its events' (so it is the ACCESS_GRANTED event's time).
const ListGrants = `
SELECT r.request_id, r.product_id, p.name AS product_name, p.classification, p.access_role, r.requester,
       r.duration_days, r.expires_at, r.updated_at AS granted_at
FROM main.access_request r
JOIN main.data_product p ON p.product_id = r.product_id
WHERE r.status = 'GRANTED'
  AND (COALESCE(:product_id, '') = '' OR r.product_id = :product_id)
  AND (COALESCE(:user_name, '') = '' OR r.requester = :user_name)
ORDER BY r.updated_at DESC, r.request_id DESC
LIMIT ` + grantsLimitLiteral

// ListRequests lists requests, newest first, filtered by :status,
// :product_id and :classification (exactly, unless ”), :requester_like (a
// LIKE pattern over the requester's name, in any case, '!' escaping; ”
// for any), and made in [:from_ts, :to_ts); after :after_id (a request
// ID, ” for the first page) in that order. A product removed from the
// catalog leaves its requests listed, with no name.
const ListRequests = `
SELECT r.request_id, r.product_id, COALESCE(p.name, '') AS product_name,
       COALESCE(p.classification, '') AS classification, COALESCE(p.access_role, '') AS access_role,
       r.requester, r.status, r.current_step, r.step_count, r.created_at, r.updated_at,
       r.asked_days, r.duration_days, r.expires_at
FROM main.access_request r
LEFT JOIN main.data_product p ON p.product_id = r.product_id
CROSS JOIN (SELECT MAX(created_at) AS created_at FROM main.access_request WHERE request_id = :after_id) k
WHERE (COALESCE(:status, '') = '' OR r.status = :status)
  AND (COALESCE(:product_id, '') = '' OR r.product_id = :product_id)
  AND (COALESCE(:classification, '') = '' OR p.classification = :classification)
  AND (COALESCE(:requester_like, '') = '' OR LOWER(r.requester) LIKE LOWER(:requester_like) ESCAPE '` + likeEscape + `')
  AND r.created_at >= :from_ts AND r.created_at < :to_ts
  AND (COALESCE(:after_id, '') = ''
       OR r.created_at < k.created_at OR (r.created_at = k.created_at AND r.request_id < :after_id))
ORDER BY r.created_at DESC, r.request_id DESC
LIMIT ` + requestsLimitLiteral

// NoFrom and NoTo are the bounds of ListRequests's times when a filter
// gives none: before any request and after any (year 10000 is beyond both
// engines).
var (
	NoFrom = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	NoTo   = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
)

// RequesterLike is ListRequests's :requester_like for part of a
// requester's name, in any case: "" for any.
func RequesterLike(part string) string {
	if part == "" {
		return ""
	}
	return likePattern(part)
}

// paramPattern matches a :name value in a shared text. The texts hold no
// string literal with a colon and no :: cast.
var paramPattern = regexp.MustCompile(`:([a-z_][a-z0-9_]*)`)

// Bind turns a shared text into one the page reads run: main.<table> made
// unqualified, and each :name a positional ? with its value from values,
// in order. A name missing from values is an error (a bug).
func Bind(text string, values map[string]any) (string, []any, error) {
	var args []any
	var missing []string
	query := paramPattern.ReplaceAllStringFunc(strings.ReplaceAll(text, "main.", ""), func(m string) string {
		v, ok := values[m[1:]]
		if !ok {
			missing = append(missing, m)
		}
		args = append(args, v)
		return "?"
	})
	if len(missing) > 0 {
		return "", nil, fmt.Errorf("no value for %s", strings.Join(missing, ", "))
	}
	return query, args, nil
}

// Grants returns the active grants matching f, newest grant first.
func (s *Store) Grants(ctx context.Context, f signoff.GrantFilter) ([]signoff.Grant, error) {
	query, args, err := Bind(ListGrants, map[string]any{"product_id": f.ProductID, "user_name": f.User})
	if err != nil {
		return nil, fmt.Errorf("%s: grants: %w", s.name, err)
	}
	rows, err := s.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, s.errorf(err, "grants")
	}
	defer rows.Close()
	var out []signoff.Grant
	for rows.Next() {
		var g signoff.Grant
		r := &g.Request
		var expires sql.NullTime
		if err := rows.Scan(&r.ID, &r.ProductID, &r.ProductName, &r.Classification, &r.AccessRole, &r.Requester,
			&r.DurationDays, &expires, &g.GrantedAt); err != nil {
			return nil, s.errorf(err, "grants")
		}
		r.Status, r.UpdatedAt, g.GrantedAt = signoff.StatusGranted, g.GrantedAt.UTC(), g.GrantedAt.UTC()
		if expires.Valid {
			r.ExpiresAt = expires.Time.UTC()
		}
		if f.Limit > 0 && len(out) == f.Limit {
			break
		}
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, s.errorf(err, "grants")
	}
	return out, nil
}

// AllRequests returns the requests matching f, newest first.
func (s *Store) AllRequests(ctx context.Context, f signoff.RequestFilter) ([]signoff.Request, error) {
	from, to := NoFrom, NoTo
	if !f.From.IsZero() {
		from = f.From.UTC()
	}
	if !f.To.IsZero() {
		to = f.To.UTC()
	}
	query, args, err := Bind(ListRequests, map[string]any{"status": string(f.Status), "product_id": f.ProductID,
		"classification": f.Classification, "requester_like": RequesterLike(f.Requester), "from_ts": from,
		"to_ts": to, "after_id": f.After})
	if err != nil {
		return nil, fmt.Errorf("%s: requests: %w", s.name, err)
	}
	rows, err := s.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, s.errorf(err, "requests")
	}
	defer rows.Close()
	var out []signoff.Request
	for rows.Next() {
		var r signoff.Request
		var expires sql.NullTime
		if err := rows.Scan(&r.ID, &r.ProductID, &r.ProductName, &r.Classification, &r.AccessRole, &r.Requester,
			&r.Status, &r.CurrentStep, &r.StepCount, &r.CreatedAt, &r.UpdatedAt, &r.AskedDays, &r.DurationDays, &expires); err != nil {
			return nil, s.errorf(err, "requests")
		}
		r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
		if expires.Valid {
			r.ExpiresAt = expires.Time.UTC()
		}
		if f.Limit > 0 && len(out) == f.Limit {
			break
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, s.errorf(err, "requests")
	}
	return out, nil
}
