package server_test

import (
	"context"

	"github.com/signoff/signoff/internal/signoff"
)

// The fake's inspection pages: canned, empty answers for a signed-in
// viewer. Their behaviour is tested on the full stack (access_test.go).

func (w *fakeWorkflow) ProductAccess(_ context.Context, v signoff.Identity, id string) (signoff.AccessPage, error) {
	w.record("ProductAccess", v, id)
	if err := signedIn(v); err != nil {
		return signoff.AccessPage{}, err
	}
	if id != fakeProduct.ID {
		return signoff.AccessPage{}, signoff.Errorf(signoff.ErrNotFound, "There is no data product %q.", id)
	}
	return signoff.AccessPage{Product: fakeProduct}, nil
}

func (w *fakeWorkflow) AllRequests(_ context.Context, v signoff.Identity, in signoff.RequestsInput) (signoff.RequestsPage, error) {
	w.record("AllRequests", v, in)
	return signoff.RequestsPage{}, signedIn(v)
}

func (w *fakeWorkflow) AllGrants(_ context.Context, v signoff.Identity, in signoff.GrantsInput) (signoff.GrantsPage, error) {
	w.record("AllGrants", v, in)
	return signoff.GrantsPage{By: signoff.GrantsByProduct}, signedIn(v)
}
