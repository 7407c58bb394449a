package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/signoff/signoff/internal/signoff"
)

// CreateProduct adds a product and its chain to the catalog. Catalog
// administration happens in SQL on Snowflake; this serves the demo and tests.
func (s *Store) CreateProduct(ctx context.Context, p signoff.Product) error {
	p.Chain = slices.Clone(p.Chain) // the caller's (the demo's shared catalog) stays as it is
	signoff.NormalizeChain(&p)
	if len(p.Chain) > 0 { // tests make a product without a chain, which submissions refuse (NO_CHAIN)
		if err := signoff.ValidateChain(p); err != nil {
			return err
		}
	}
	for _, r := range append([]string{p.OwnerRole, p.AccessRole}, chainRoles(p.Chain)...) {
		if err := signoff.ValidateIdentifier("role", r); err != nil {
			return err
		}
	}
	if err := signoff.ValidateLifecycle(p); err != nil {
		return err
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
			domain, classification, tags, product_columns, access_role, created_at, durations, pending_days,
			fallback_role, extension_steps)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULLIF(?, 0), NULLIF(?, ''), ?)`,
			p.ID, p.Name, p.Description, p.Owner, p.OwnerRole, p.Domain, p.Classification,
			string(tags), string(cols), p.AccessRole, time.Now().UTC(), signoff.FormatDurations(durations(p)),
			p.PendingDays, p.FallbackRole, extensionSteps(p))
		if err != nil {
			return fmt.Errorf("sqlite: create product %s: %w", p.ID, err)
		}
		for i, st := range p.Chain {
			_, err := tx.ExecContext(ctx, `INSERT INTO approval_chain (product_id, step_order, approver_role, step_label,
				deadline_hours, fallback_role, step_kind, when_tag, quorum)
				VALUES (?, ?, ?, ?, NULLIF(?, 0), NULLIF(?, ''), ?, NULLIF(?, ''), ?)`,
				p.ID, i+1, st.ApproverRole, st.Label, st.DeadlineHours, st.FallbackRole,
				string(st.Kind), st.WhenTag, st.Quorum)
			if err != nil {
				return fmt.Errorf("sqlite: create product %s step %d: %w", p.ID, i+1, err)
			}
		}
		return nil
	})
}

// extensionSteps is how the catalog stores p.ExtendLastStep.
func extensionSteps(p signoff.Product) string {
	if p.ExtendLastStep {
		return "LAST"
	}
	return "ALL"
}

// durations are the product's durations, permanent access only if it
// names none.
func durations(p signoff.Product) []int {
	if len(p.Durations) == 0 {
		return []int{0}
	}
	return p.Durations
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

// SetChainPolicy replaces the account's chain policy: the steps every
// product's chain gets after its own, each where it applies. It serves the
// demo and tests.
func (s *Store) SetChainPolicy(ctx context.Context, rules []signoff.ChainStep) error {
	p := signoff.Product{Chain: slices.Clone(rules)}
	signoff.NormalizeChain(&p)
	if err := signoff.ValidatePolicy(p.Chain); err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM chain_policy`); err != nil {
			return fmt.Errorf("sqlite: set chain policy: %w", err)
		}
		for _, st := range p.Chain {
			_, err := tx.ExecContext(ctx, `INSERT INTO chain_policy (step_order, approver_role, step_label,
				deadline_hours, fallback_role, step_kind, when_tag, quorum)
				VALUES (?, ?, ?, NULLIF(?, 0), NULLIF(?, ''), ?, NULLIF(?, ''), ?)`,
				st.Order, st.ApproverRole, st.Label, st.DeadlineHours, st.FallbackRole,
				string(st.Kind), st.WhenTag, st.Quorum)
			if err != nil {
				return fmt.Errorf("sqlite: set chain policy step %d: %w", st.Order, err)
			}
		}
		return nil
	})
}
