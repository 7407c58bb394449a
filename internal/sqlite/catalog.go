package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/signoff/signoff/internal/signoff"
)

// selectProducts returns products joined with their chain steps, one row per
// step (a product without a chain still appears once): the whole catalog in
// one statement.
const selectProducts = `
SELECT p.product_id, p.name, p.description, p.owner, p.owner_role, p.domain, p.classification,
       p.tags, p.product_columns, p.access_role,
       COALESCE(c.step_order, 0), COALESCE(c.approver_role, ''), COALESCE(c.step_label, '')
FROM data_product p
LEFT JOIN approval_chain c ON c.product_id = p.product_id`

// Products returns every product with its chain, ordered by name.
func (s *Store) Products(ctx context.Context) ([]signoff.Product, error) {
	ps, err := s.queryProducts(ctx, selectProducts+` ORDER BY p.name, p.product_id, c.step_order`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: products: %w", err)
	}
	return ps, nil
}

// Product returns one product with its chain.
func (s *Store) Product(ctx context.Context, id string) (signoff.Product, error) {
	ps, err := s.queryProducts(ctx, selectProducts+` WHERE p.product_id = ? ORDER BY c.step_order`, id)
	if err != nil {
		return signoff.Product{}, fmt.Errorf("sqlite: product %q: %w", id, err)
	}
	if len(ps) == 0 {
		return signoff.Product{}, signoff.Errorf(signoff.ErrNotFound, "There is no data product %q.", id)
	}
	return ps[0], nil
}

func (s *Store) queryProducts(ctx context.Context, query string, args ...any) ([]signoff.Product, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, translate(err)
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
	return out, translate(rows.Err())
}

// ApproverRoles returns the distinct roles keying any chain step.
func (s *Store) ApproverRoles(ctx context.Context) ([]string, error) {
	roles, err := s.strings(ctx, `SELECT DISTINCT approver_role FROM approval_chain ORDER BY approver_role`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: approver roles: %w", err)
	}
	return roles, nil
}

// CreateProduct adds a product and its chain to the catalog. Catalog
// administration happens in SQL on Snowflake; this serves the demo and tests.
func (s *Store) CreateProduct(ctx context.Context, p signoff.Product) error {
	for _, r := range append([]string{p.OwnerRole, p.AccessRole}, chainRoles(p.Chain)...) {
		if err := signoff.ValidateIdentifier("role", r); err != nil {
			return err
		}
	}
	tags, err := json.Marshal(nonNil(p.Tags))
	if err != nil {
		return err
	}
	cols, err := json.Marshal(nonNil(p.Columns))
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO data_product (product_id, name, description, owner, owner_role,
			domain, classification, tags, product_columns, access_role, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			p.ID, p.Name, p.Description, p.Owner, p.OwnerRole, p.Domain, p.Classification,
			string(tags), string(cols), p.AccessRole, time.Now().UTC())
		if err != nil {
			return fmt.Errorf("sqlite: create product %s: %w", p.ID, err)
		}
		for i, st := range p.Chain {
			_, err := tx.ExecContext(ctx, `INSERT INTO approval_chain (product_id, step_order, approver_role, step_label)
				VALUES (?, ?, ?, ?)`, p.ID, i+1, st.ApproverRole, st.Label)
			if err != nil {
				return fmt.Errorf("sqlite: create product %s step %d: %w", p.ID, i+1, err)
			}
		}
		return nil
	})
}

func chainRoles(chain []signoff.ChainStep) []string {
	out := make([]string, len(chain))
	for i, st := range chain {
		out[i] = st.ApproverRole
	}
	return out
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
