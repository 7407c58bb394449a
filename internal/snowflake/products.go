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

// SaveProduct saves a definition: SAVE_PRODUCT in the admin's session.
// A save forgets this process's catalog cache, so the admin's next page
// shows it; other instances show it when their cache expires
// (--catalog-cache).
func (s *Store) SaveProduct(ctx context.Context, actor signoff.Identity, c signoff.SaveProductCall) (signoff.Outcome, error) {
	o, err := s.call(ctx, "save product", actor, s.api.save, c.Definition.JSON(), c.Create, c.BaseVersion,
		ids(c.EventIDs), c.DryRun)
	if err == nil && o.Code == signoff.CodeOK {
		s.reads.ForgetCatalog()
	}
	return o, err
}

// ProductVersions reads a product's versions (sqlstore).
func (s *Store) ProductVersions(ctx context.Context, productID string) ([]signoff.ProductVersion, error) {
	return s.reads.ProductVersions(ctx, productID)
}
