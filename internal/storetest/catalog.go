package storetest

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
)

func testCatalog(t *testing.T, f *fixture) {
	ps, err := f.reads.Products(f.ctx)
	require.NoError(t, err)
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Name
	}
	assert.Equal(t, []string{"Draft product", "General ledger", "Renewable extract", "Supplier contracts", "Timed extract",
		"Vacant seat", "Weekly reports", "Weekly reports archive"}, names,
		"products are ordered by name; a product without a chain is listed")

	p, open, err := f.reads.ProductFor(f.ctx, "ledger", requester)
	require.NoError(t, err)
	assert.Equal(t, stored(products[0]), p, "a product round-trips with its tags, columns and chain")
	assert.Nil(t, open)
	draft, _, err := f.reads.ProductFor(f.ctx, "draft", requester)
	require.NoError(t, err)
	assert.Empty(t, draft.Chain)

	_, _, err = f.reads.ProductFor(f.ctx, "no-such-product", requester)
	assert.ErrorIs(t, err, signoff.ErrNotFound)

	approvers, err := f.reads.ApproverRoles(f.ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{roleOwner, roleDPO, roleFallback, roleManager, roleVacant}, approvers,
		"the roles that key steps and the fallback roles steps may escalate to, distinct and sorted")

	c, err := f.svc.Catalog(f.ctx, f.who(t, requester), signoff.ProductFilter{Classification: "finance"}, 1)
	require.NoError(t, err)
	assert.Equal(t, len(products), c.Total)
	require.Len(t, c.Products, 1)
	assert.Equal(t, "ledger", c.Products[0].ID)
}

func testAccount(t *testing.T, f *fixture) {
	sec := f.who(t, security)
	assert.Equal(t, security, sec.User)
	assert.True(t, sec.HasRole(roleSecurity))
	assert.True(t, sec.HasRole(roleDPO), "SECURITY_LEAD inherits DPO")
	assert.False(t, sec.HasRole(roleOwner))
	assert.True(t, slices.IsSorted(sec.Roles))

	for _, user := range []string{"NOBODY", "", `X" OR 1=1 --`, "req", "ReQ"} {
		_, err := f.acct.Identify(f.ctx, user)
		assert.ErrorIs(t, err, signoff.ErrUnauthenticated, "user %q: names match exactly", user)
	}

	require.NoError(t, f.acct.DropRole(f.ctx, roleDPO))
	assert.False(t, f.hasRole(t, security, roleDPO), "a dropped role leaves every session")
	assert.True(t, f.hasRole(t, security, roleSecurity))
}
