package signoff_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
)

// productStore answers Products and counts the calls; every other Store
// method panics (the embedded nil interface), so the test proves the
// catalog needs nothing else.
type productStore struct {
	signoff.Store
	calls    int
	products []signoff.Product
	err      error
}

func (s *productStore) Products(context.Context) ([]signoff.Product, error) {
	s.calls++
	return s.products, s.err
}

func TestCatalogCache(t *testing.T) {
	viewer := signoff.NewIdentity("ALICE", []string{"PUBLIC"})
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	store := &productStore{products: []signoff.Product{
		{ID: "A", Name: "Ads", Classification: "PUBLIC", Tags: []string{"web", "ads"}},
		{ID: "B", Name: "Billing", Classification: "FINANCE", Tags: []string{"finance", "web"}},
	}}
	svc := signoff.NewService(store)
	svc.Now = func() time.Time { return now }
	svc.CatalogTTL = 30 * time.Second

	c, err := svc.Catalog(t.Context(), viewer, signoff.ProductFilter{}, 1)
	require.NoError(t, err)
	assert.Len(t, c.Products, 2)
	assert.Equal(t, []string{"ads", "finance", "web"}, c.Tags)
	assert.Equal(t, []string{"FINANCE", "PUBLIC"}, c.Classifications)
	assert.Equal(t, 1, store.calls)

	// Within the TTL: filtered from the cached list, no statement.
	now = now.Add(29 * time.Second)
	c, err = svc.Catalog(t.Context(), viewer, signoff.ProductFilter{Classification: "finance"}, 1)
	require.NoError(t, err)
	require.Len(t, c.Products, 1)
	assert.Equal(t, "B", c.Products[0].ID)
	assert.Equal(t, 2, c.Total, "the total counts the whole catalog")
	assert.Equal(t, 1, store.calls)

	// After the TTL a change shows.
	store.products = store.products[:1]
	now = now.Add(time.Second)
	c, err = svc.Catalog(t.Context(), viewer, signoff.ProductFilter{}, 1)
	require.NoError(t, err)
	assert.Len(t, c.Products, 1)
	assert.Equal(t, 2, store.calls)

	// A failed read is not cached.
	now = now.Add(time.Minute)
	store.err = errors.New("warehouse suspended")
	_, err = svc.Catalog(t.Context(), viewer, signoff.ProductFilter{}, 1)
	require.Error(t, err)
	store.err = nil
	_, err = svc.Catalog(t.Context(), viewer, signoff.ProductFilter{}, 1)
	require.NoError(t, err)
	assert.Equal(t, 4, store.calls)

	// An empty catalog is an answer worth keeping too.
	store.products = nil
	now = now.Add(time.Minute)
	for range 3 {
		c, err = svc.Catalog(t.Context(), viewer, signoff.ProductFilter{}, 1)
		require.NoError(t, err)
		assert.Empty(t, c.Products)
	}
	assert.Equal(t, 5, store.calls)

	// Without a TTL every page reads.
	svc.CatalogTTL = 0
	for range 2 {
		_, err = svc.Catalog(t.Context(), viewer, signoff.ProductFilter{}, 1)
		require.NoError(t, err)
	}
	assert.Equal(t, 7, store.calls)
}
