package sqlite

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadCacheHitsUntilACommit shows the cache answers repeated reads
// without calling fill until a commit, by this store or another, and
// that errors are not cached.
func TestReadCacheHitsUntilACommit(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "hits.db")
	s, err := Open(ctx, path)
	require.NoError(t, err)
	defer s.Close()
	other, err := Open(ctx, path)
	require.NoError(t, err)
	defer other.Close()
	require.NotNil(t, s.cache, "a file database has a read cache")

	fills := 0
	read := func() string {
		v, err := cached(ctx, s.cache, "k", func() (string, error) { fills++; return "v", nil })
		require.NoError(t, err)
		return v
	}
	for range 3 {
		assert.Equal(t, "v", read())
	}
	assert.Equal(t, 1, fills, "hits while nothing changed")

	require.NoError(t, other.CreateUser(ctx, "ZED", "Zed", "Tester"))
	read()
	read()
	assert.Equal(t, 2, fills, "another store's commit empties the cache once")

	require.NoError(t, s.CreateRole(ctx, "ZED_ROLE", "for the test"))
	read()
	assert.Equal(t, 3, fills, "this store's own commit too")

	boom := errors.New("boom")
	_, err = cached(ctx, s.cache, "e", func() (string, error) { return "", boom })
	require.ErrorIs(t, err, boom)
	v, err := cached(ctx, s.cache, "e", func() (string, error) { return "ok", nil })
	require.NoError(t, err)
	assert.Equal(t, "ok", v, "an error is not cached")

	mem, err := Open(ctx, ":memory:")
	require.NoError(t, err)
	defer mem.Close()
	assert.Nil(t, mem.cache, "in memory there is no cache")
}
