package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/signoff/signoff/internal/signoff"
)

// SelectProducts returns products joined with their chain steps, one row per
// step (a product without a chain still appears once): the whole catalog in
// one statement.
const SelectProducts = `
SELECT p.product_id, p.name, p.description, p.owner, p.owner_role, p.domain, p.classification,
       p.tags, p.product_columns, p.access_role, p.durations, COALESCE(p.pending_days, 0),
       COALESCE(p.fallback_role, ''), p.extension_steps,
       COALESCE(c.step_order, 0), COALESCE(c.approver_role, ''), COALESCE(c.step_label, ''),
       COALESCE(c.deadline_hours, 0), COALESCE(c.fallback_role, ''), COALESCE(c.step_kind, 'ROLE'),
       COALESCE(c.when_tag, ''), COALESCE(c.quorum, 1)
FROM data_product p
LEFT JOIN approval_chain c ON c.product_id = p.product_id`

// Products returns every product with its chain, ordered by name, kept for
// Options.CatalogTTL: the slice is shared, read it, never modify it.
func (s *Store) Products(ctx context.Context) ([]signoff.Product, error) {
	return s.products.Get(ctx, func(ctx context.Context) ([]signoff.Product, error) {
		ps, err := s.queryProducts(ctx, SelectProducts+` ORDER BY p.name, p.product_id, c.step_order`)
		if err != nil {
			return nil, s.errorf(err, "products")
		}
		if ps == nil {
			ps = []signoff.Product{} // an empty catalog is an answer
		}
		return ps, nil
	})
}

// SelectProductFor returns one product's rows (as SelectProducts) with the
// user's open request for it, if any, on every row. The open request is
// picked by an uncorrelated scalar subquery, so that two open requests
// (which a race on Snowflake could leave) never multiply the chain's rows.
const SelectProductFor = `
SELECT p.product_id, p.name, p.description, p.owner, p.owner_role, p.domain, p.classification,
       p.tags, p.product_columns, p.access_role, p.durations, COALESCE(p.pending_days, 0),
       COALESCE(p.fallback_role, ''), p.extension_steps,
       COALESCE(c.step_order, 0), COALESCE(c.approver_role, ''), COALESCE(c.step_label, ''),
       COALESCE(c.deadline_hours, 0), COALESCE(c.fallback_role, ''), COALESCE(c.step_kind, 'ROLE'),
       COALESCE(c.when_tag, ''), COALESCE(c.quorum, 1),
       COALESCE(o.request_id, ''), COALESCE(o.status, ''), o.created_at
FROM data_product p
LEFT JOIN approval_chain c ON c.product_id = p.product_id
LEFT JOIN access_request o ON o.request_id = (
    SELECT MIN(request_id) FROM access_request
    WHERE product_id = ? AND requester = ? AND status IN ('PENDING', 'CHANGES_REQUESTED', 'APPROVED', 'GRANTED', 'GRANT_FAILED'))
WHERE p.product_id = ?
ORDER BY c.step_order`

// ProductFor returns one product with its chain and user's open request.
func (s *Store) ProductFor(ctx context.Context, id, user string) (signoff.Product, *signoff.Request, error) {
	rows, err := s.q.QueryContext(ctx, SelectProductFor, id, user, id)
	if err != nil {
		return signoff.Product{}, nil, s.errorf(err, "product %q for %s", id, user)
	}
	defer rows.Close()
	var p signoff.Product
	var open *signoff.Request
	for rows.Next() {
		var tags, cols, durations, extension, openID, openStatus string
		var openCreated sql.NullTime
		var step signoff.ChainStep
		if err := rows.Scan(&p.ID, &p.Name, &p.Description, &p.Owner, &p.OwnerRole, &p.Domain,
			&p.Classification, &tags, &cols, &p.AccessRole, &durations, &p.PendingDays, &p.FallbackRole, &extension,
			&step.Order, &step.ApproverRole, &step.Label, &step.DeadlineHours, &step.FallbackRole,
			&step.Kind, &step.WhenTag, &step.Quorum,
			&openID, &openStatus, &openCreated); err != nil {
			return signoff.Product{}, nil, s.errorf(err, "product %q for %s", id, user)
		}
		p.ExtendLastStep = extension == "LAST"
		if p.Tags == nil {
			if p.Durations, err = signoff.ParseDurations(durations); err != nil {
				return signoff.Product{}, nil, s.errorf(err, "product %q: durations", id)
			}
			if err := json.Unmarshal([]byte(tags), &p.Tags); err != nil {
				return signoff.Product{}, nil, s.errorf(err, "product %q: tags", id)
			}
			if err := json.Unmarshal([]byte(cols), &p.Columns); err != nil {
				return signoff.Product{}, nil, s.errorf(err, "product %q: columns", id)
			}
		}
		if step.Order > 0 {
			p.Chain = append(p.Chain, step)
		}
		if openID != "" && open == nil {
			open = &signoff.Request{ID: openID, ProductID: id, Requester: user, Status: signoff.Status(openStatus),
				CreatedAt: openCreated.Time.UTC()}
		}
	}
	if err := rows.Err(); err != nil {
		return signoff.Product{}, nil, s.errorf(err, "product %q for %s", id, user)
	}
	if p.ID == "" {
		return signoff.Product{}, nil, fmt.Errorf("%s: product %q: %w", s.name, id, signoff.ErrNotFound)
	}
	return p, open, nil
}

func (s *Store) queryProducts(ctx context.Context, query string, args ...any) ([]signoff.Product, error) {
	rows, err := s.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []signoff.Product
	for rows.Next() {
		var p signoff.Product
		var tags, cols, durations, extension string
		var step signoff.ChainStep
		if err := rows.Scan(&p.ID, &p.Name, &p.Description, &p.Owner, &p.OwnerRole, &p.Domain,
			&p.Classification, &tags, &cols, &p.AccessRole, &durations, &p.PendingDays, &p.FallbackRole, &extension,
			&step.Order, &step.ApproverRole, &step.Label, &step.DeadlineHours, &step.FallbackRole,
			&step.Kind, &step.WhenTag, &step.Quorum); err != nil {
			return nil, err
		}
		p.ExtendLastStep = extension == "LAST"
		if n := len(out); n == 0 || out[n-1].ID != p.ID {
			var err error
			if p.Durations, err = signoff.ParseDurations(durations); err != nil {
				return nil, fmt.Errorf("durations of %s: %w", p.ID, err)
			}
			if err := json.Unmarshal([]byte(tags), &p.Tags); err != nil {
				return nil, fmt.Errorf("tags of %s: %w", p.ID, err)
			}
			if err := json.Unmarshal([]byte(cols), &p.Columns); err != nil {
				return nil, fmt.Errorf("columns of %s: %w", p.ID, err)
			}
			out = append(out, p)
		}
		if step.Order > 0 {
			last := &out[len(out)-1]
			last.Chain = append(last.Chain, step)
		}
	}
	return out, rows.Err()
}

// SelectApproverRoles lists the roles that key any chain step or that a
// step may escalate to.
const SelectApproverRoles = `
SELECT approver_role FROM approval_chain
UNION
SELECT fallback_role FROM approval_chain WHERE fallback_role IS NOT NULL
UNION
SELECT fallback_role FROM data_product WHERE fallback_role IS NOT NULL
ORDER BY 1`

// ApproverRoles returns the distinct roles keying any chain step, kept for
// Options.CatalogTTL.
func (s *Store) ApproverRoles(ctx context.Context) ([]string, error) {
	return s.approverRoles.Get(ctx, func(ctx context.Context) ([]string, error) {
		roles, err := Strings(ctx, s.q, SelectApproverRoles)
		if err != nil {
			return nil, s.errorf(err, "approver roles")
		}
		if roles == nil {
			roles = []string{}
		}
		return roles, nil
	})
}
