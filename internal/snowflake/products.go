package snowflake

import (
	"context"

	"github.com/signoff/signoff/internal/signoff"
)

// Catalog administration on Snowflake (signoff/products.go): a save is one
// CALL of SAVE_PRODUCT in the admin's own caller's-rights session, which
// checks SIGNOFF_ADMIN there; versions are read from the PRODUCT_VERSION
// view on the service's connection, as every page read.

var _ signoff.ProductStore = (*Store)(nil)

// SaveProduct saves a definition: SAVE_PRODUCT in the admin's session. The
// catalog cache (--catalog-cache) shows the change once it expires.
func (s *Store) SaveProduct(ctx context.Context, actor signoff.Identity, c signoff.SaveProductCall) (signoff.Outcome, error) {
	return s.call(ctx, "save product", actor, s.api.save, c.Definition.JSON(), c.Create, c.BaseVersion,
		ids(c.EventIDs), c.DryRun)
}

// ProductVersions reads a product's versions (sqlstore).
func (s *Store) ProductVersions(ctx context.Context, productID string) ([]signoff.ProductVersion, error) {
	return s.reads.ProductVersions(ctx, productID)
}
