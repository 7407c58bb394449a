package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/signoff/signoff/internal/signoff"
)

// chainRules are every product's chain steps (src 0) and the account's
// chain policy (src 1), which applies to every product: the catalog reads
// join them to each product, so that a product comes with all the rules
// its requests resolve (signoff.ResolveChain).
const chainRules = `SELECT 0 AS src, product_id, step_order, approver_role, step_label, deadline_hours, fallback_role,
       step_kind, when_tag, quorum FROM approval_chain
UNION ALL
SELECT 1, '', step_order, approver_role, step_label, deadline_hours, fallback_role, step_kind, when_tag, quorum
FROM chain_policy`

// SelectProducts returns products joined with their chain steps and the
// chain policy, one row per step (a product without either still appears
// once): the whole catalog in one statement.
var SelectProducts = `
SELECT p.product_id, p.name, p.description, p.owner, p.owner_role, p.domain, p.classification,
       p.tags, p.product_columns, p.access_role, p.durations, COALESCE(p.pending_days, 0),
       COALESCE(p.fallback_role, ''), p.extension_steps,
       COALESCE(c.step_order, 0), COALESCE(c.approver_role, ''), COALESCE(c.step_label, ''),
       COALESCE(c.deadline_hours, 0), COALESCE(c.fallback_role, ''), COALESCE(c.step_kind, 'ROLE'),
       COALESCE(c.when_tag, ''), COALESCE(c.quorum, 1), COALESCE(c.src, 0)
FROM data_product p
LEFT JOIN (` + chainRules + `) c ON (c.src = 0 AND c.product_id = p.product_id) OR c.src = 1`

// SelectCatalog is SelectProducts in the catalog's order: by name, each
// product's own steps, then the policy's.
var SelectCatalog = SelectProducts + ` ORDER BY p.name, p.product_id, c.src, c.step_order`

// Products returns every product with its chain, ordered by name, kept for
// Options.CatalogTTL: the slice is shared, read it, never modify it.
func (s *Store) Products(ctx context.Context) ([]signoff.Product, error) {
	return s.products.Get(ctx, func(ctx context.Context) ([]signoff.Product, error) {
		ps, err := s.queryProducts(ctx, SelectCatalog)
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
var SelectProductFor = `
SELECT p.product_id, p.name, p.description, p.owner, p.owner_role, p.domain, p.classification,
       p.tags, p.product_columns, p.access_role, p.durations, COALESCE(p.pending_days, 0),
       COALESCE(p.fallback_role, ''), p.extension_steps,
       COALESCE(c.step_order, 0), COALESCE(c.approver_role, ''), COALESCE(c.step_label, ''),
       COALESCE(c.deadline_hours, 0), COALESCE(c.fallback_role, ''), COALESCE(c.step_kind, 'ROLE'),
       COALESCE(c.when_tag, ''), COALESCE(c.quorum, 1), COALESCE(c.src, 0),
       COALESCE(o.request_id, ''), COALESCE(o.status, ''), o.created_at
FROM data_product p
LEFT JOIN (` + chainRules + `) c ON (c.src = 0 AND c.product_id = p.product_id) OR c.src = 1
LEFT JOIN access_request o ON o.request_id = (
    SELECT MIN(request_id) FROM access_request
    WHERE product_id = ? AND requester = ? AND status IN ('PENDING', 'CHANGES_REQUESTED', 'APPROVED', 'GRANTED', 'GRANT_FAILED'))
WHERE p.product_id = ?
ORDER BY c.src, c.step_order`

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
		var policy int
		if err := rows.Scan(&p.ID, &p.Name, &p.Description, &p.Owner, &p.OwnerRole, &p.Domain,
			&p.Classification, &tags, &cols, &p.AccessRole, &durations, &p.PendingDays, &p.FallbackRole, &extension,
			&step.Order, &step.ApproverRole, &step.Label, &step.DeadlineHours, &step.FallbackRole,
			&step.Kind, &step.WhenTag, &step.Quorum, &policy,
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
		switch {
		case step.Order > 0 && policy == 1:
			p.Policy = append(p.Policy, step)
		case step.Order > 0:
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
		var policy int
		if err := rows.Scan(&p.ID, &p.Name, &p.Description, &p.Owner, &p.OwnerRole, &p.Domain,
			&p.Classification, &tags, &cols, &p.AccessRole, &durations, &p.PendingDays, &p.FallbackRole, &extension,
			&step.Order, &step.ApproverRole, &step.Label, &step.DeadlineHours, &step.FallbackRole,
			&step.Kind, &step.WhenTag, &step.Quorum, &policy); err != nil {
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
			if policy == 1 {
				last.Policy = append(last.Policy, step)
			} else {
				last.Chain = append(last.Chain, step)
			}
		}
	}
	return out, rows.Err()
}

// SelectApproverRoles lists the roles that key any chain step (a
// product's or the policy's) or that a step may escalate to.
const SelectApproverRoles = `
SELECT approver_role FROM approval_chain
UNION
SELECT fallback_role FROM approval_chain WHERE fallback_role IS NOT NULL
UNION
SELECT approver_role FROM chain_policy
UNION
SELECT fallback_role FROM chain_policy WHERE fallback_role IS NOT NULL
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
