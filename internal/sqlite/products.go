package sqlite

import (
	"context"
	"errors"

	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlstore"
)

// Catalog administration on the embedded engine: the statements the
// SAVE_PRODUCT procedure runs (sqlstore/products.go), in the same order,
// in one SQLite transaction; the admin check is the local account's.

var _ signoff.ProductStore = (*Store)(nil)

// SaveProduct saves a product's definition as a new version
// (SAVE_PRODUCT): the catalog row, its chain rules, the version and its
// PRODUCT_SAVED event, or nothing.
func (s *Store) SaveProduct(ctx context.Context, actor signoff.Identity, c signoff.SaveProductCall) (signoff.Outcome, error) {
	d := c.Definition
	return s.act(ctx, "save product "+d.ID, "", actor, c.At, func(a *action) (signoff.Outcome, error) {
		pv, err := sqlstore.ProductVars(d)
		if err != nil {
			return signoff.Outcome{}, err
		}
		for k, v := range pv {
			a.v[k] = v
		}
		a.v["request_id"] = nil // the event belongs to no request
		a.v["is_admin"], a.v["is_new"], a.v["base_version"] = actor.Admin(), c.Create, c.BaseVersion
		a.v["access_role_owned"] = true // the local account grants any role
		if ok, err := a.must(sqlstore.LockSubmissions, 1); err != nil || !ok {
			return signoff.Outcome{}, errors.Join(err, errNoRow("submit_lock", ok))
		}
		o, _, err := a.check(sqlstore.CheckSaveProduct)
		if err != nil || o.Code != signoff.CodeOK {
			return o, err
		}
		if c.DryRun {
			o.Code = signoff.CodeDryRun
			return o, nil
		}
		a.v["version"] = o.Version
		write := sqlstore.UpdateProduct
		if c.Create {
			write = sqlstore.InsertProduct
		}
		if ok, err := a.must(write, 1); err != nil || !ok {
			return signoff.Outcome{Code: signoff.CodeConflict, ProductID: d.ID}, err
		}
		if _, err := a.exec(sqlstore.DeleteChain); err != nil {
			return signoff.Outcome{}, err
		}
		for i, st := range d.Chain {
			for k, v := range sqlstore.StepVars(st, i) {
				a.v[k] = v
			}
			if ok, err := a.must(sqlstore.InsertChainStep, 1); err != nil || !ok {
				return signoff.Outcome{Code: signoff.CodeConflict, ProductID: d.ID}, err
			}
		}
		if ok, err := a.must(sqlstore.InsertVersion, 1); err != nil || !ok {
			return signoff.Outcome{Code: signoff.CodeStaleVersion, ProductID: d.ID}, err
		}
		h, err := a.row(sqlstore.SelectVersionHash)
		if err != nil {
			return signoff.Outcome{}, err
		}
		if err := a.appendEvent(eventID(c.EventIDs, 0), signoff.RoleAdmin, signoff.EventProductSaved, 0, "", "",
			text(h, "details")); err != nil {
			return signoff.Outcome{}, err
		}
		return o, nil
	})
}

// ProductVersions reads a product's versions (sqlstore).
func (s *Store) ProductVersions(ctx context.Context, productID string) ([]signoff.ProductVersion, error) {
	return s.reads.ProductVersions(ctx, productID)
}
