package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/signoff/signoff/internal/signoff"
)

// The embedded engine's stand-ins for what Snowflake knows by itself about
// a data product's review: the review policy an administrator sets on
// DATA_PRODUCT, and the record of use that Snowflake's access history
// keeps (access_usage; docs/design.md, "Access reviews").

// SetReviewPolicy sets a product's review policy (DATA_PRODUCT's
// REVIEW_DAYS, IDLE_DAYS and OBJECT_NAME); 0 and "" store NULL.
func (s *Store) SetReviewPolicy(ctx context.Context, productID string, p signoff.ReviewPolicy) error {
	res, err := s.db.ExecContext(ctx, `UPDATE data_product SET review_days = NULLIF(?, 0), idle_days = NULLIF(?, 0),
       object_name = NULLIF(?, '') WHERE product_id = ?`, p.ReviewDays, p.IdleDays, p.ObjectName, productID)
	if err != nil {
		return fmt.Errorf("sqlite: review policy of %s: %w", productID, translate(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlite: review policy of %s: %w", productID, translate(err))
	}
	if n != 1 {
		return fmt.Errorf("sqlite: review policy of %s: %w", productID, signoff.ErrNotFound)
	}
	return nil
}

// RecordUsage records that user ran queries queries on product productID's
// objects on the day of at, the last of them at at: what Snowflake's
// access history would say (the demo's usage, tests' usage).
func (s *Store) RecordUsage(ctx context.Context, user, productID string, at time.Time, queries int) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO access_usage (user_name, product_id, last_used_at, query_count)
VALUES (?, ?, ?, ?)`, user, productID, at.UTC().Truncate(time.Microsecond), queries)
	if err != nil {
		return fmt.Errorf("sqlite: usage of %s by %s: %w", productID, user, translate(err))
	}
	return nil
}
