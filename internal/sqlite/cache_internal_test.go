package sqlite

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

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

// TestCheckpointerRunsAfterCommits shows commits wake the background
// checkpointer, and that Close stops it.
func TestCheckpointerRunsAfterCommits(t *testing.T) {
	ctx := t.Context()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "wal.db"))
	require.NoError(t, err)
	require.NotNil(t, s.checkpoints)
	before := s.checkpoints.runs.Load()
	require.NoError(t, s.CreateRole(ctx, "ROLE_A", "a"))
	require.NoError(t, s.CreateUser(ctx, "ANNA", "Anna", "Tester"))
	require.NoError(t, s.GrantRoleToUser(ctx, "ROLE_A", "ANNA", "X")) // a write transaction
	require.Eventually(t, func() bool { return s.checkpoints.runs.Load() > before }, 5*time.Second, 10*time.Millisecond)

	var busy, log, done int
	require.NoError(t, s.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &log, &done))
	assert.Equal(t, log, done, "everything in the WAL is in the file")
	require.NoError(t, s.Close())
	select {
	case <-s.checkpoints.done:
	default:
		t.Fatal("Close left the checkpointer running")
	}
}

func TestDisableReadCache(t *testing.T) {
	ctx := t.Context()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "off.db"))
	require.NoError(t, err)
	defer s.Close()
	s.DisableReadCache()
	assert.Nil(t, s.cache)
	fills := 0
	for range 3 {
		_, err := cached(ctx, s.cache, "k", func() (int, error) { fills++; return 1, nil })
		require.NoError(t, err)
	}
	assert.Equal(t, 3, fills, "every look-up runs its query")
	s.DisableReadCache() // twice is harmless
}

// TestReadCacheIsBoundedByRows shows the cache starts again empty rather
// than grow past maxCacheRows.
func TestReadCacheIsBoundedByRows(t *testing.T) {
	ctx := t.Context()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "rows.db"))
	require.NoError(t, err)
	defer s.Close()
	big := make([]string, maxCacheRows/2)
	for i := range 3 {
		_, err := cached(ctx, s.cache, fmt.Sprint("k", i), func() ([]string, error) { return big, nil })
		require.NoError(t, err)
		assert.LessOrEqual(t, s.cache.rows, maxCacheRows)
	}
	assert.Len(t, s.cache.entries, 1, "the third answer did not fit beside the first two")
	_, err = cached(ctx, s.cache, "huge", func() ([]string, error) { return make([]string, maxCacheRows+1), nil })
	require.NoError(t, err)
	assert.NotContains(t, s.cache.entries, "huge", "an answer larger than the whole budget is not kept")
}
