package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/signoff/signoff/internal/signoff"
)

// SelectProducts returns products joined with their chain steps, one row per
// step (a product without a chain still appears once): the whole catalog in
// one statement.
const SelectProducts = `
SELECT p.product_id, p.name, p.description, p.owner, p.owner_role, p.domain, p.classification,
       p.tags, p.product_columns, p.access_role,
       COALESCE(c.step_order, 0), COALESCE(c.approver_role, ''), COALESCE(c.step_label, '')
FROM data_product p
LEFT JOIN approval_chain c ON c.product_id = p.product_id`

// Products returns every product with its chain, ordered by name.
func (s *Store) Products(ctx context.Context) ([]signoff.Product, error) {
	ps, err := s.queryProducts(ctx, SelectProducts+` ORDER BY p.name, p.product_id, c.step_order`)
	if err != nil {
		return nil, s.errorf(err, "products")
	}
	return ps, nil
}

// Product returns one product with its chain.
func (s *Store) Product(ctx context.Context, id string) (signoff.Product, error) {
	ps, err := s.queryProducts(ctx, SelectProducts+` WHERE p.product_id = ? ORDER BY c.step_order`, id)
	if err != nil {
		return signoff.Product{}, s.errorf(err, "product %q", id)
	}
	if len(ps) == 0 {
		return signoff.Product{}, signoff.Errorf(signoff.ErrNotFound, "There is no data product %q.", id)
	}
	return ps[0], nil
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
		var tags, cols string
		var step signoff.ChainStep
		if err := rows.Scan(&p.ID, &p.Name, &p.Description, &p.Owner, &p.OwnerRole, &p.Domain,
			&p.Classification, &tags, &cols, &p.AccessRole, &step.Order, &step.ApproverRole, &step.Label); err != nil {
			return nil, err
		}
		if n := len(out); n == 0 || out[n-1].ID != p.ID {
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

// SelectApproverRoles lists the roles that key any chain step.
const SelectApproverRoles = `SELECT DISTINCT approver_role FROM approval_chain ORDER BY approver_role`

// ApproverRoles returns the distinct roles keying any chain step.
func (s *Store) ApproverRoles(ctx context.Context) ([]string, error) {
	rows, err := s.q.QueryContext(ctx, SelectApproverRoles)
	if err != nil {
		return nil, s.errorf(err, "approver roles")
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return nil, s.errorf(err, "approver roles")
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, s.errorf(err, "approver roles")
	}
	return out, nil
}
