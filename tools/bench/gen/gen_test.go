package gen_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlite"
	"github.com/signoff/signoff/tools/bench/gen"
)

func TestGenerate(t *testing.T) {
	ctx := context.Background()
	n := 500
	if v, err := strconv.Atoi(os.Getenv("SIGNOFF_GEN_REQUESTS")); err == nil {
		n = v
	}
	path := filepath.Join(t.TempDir(), "gen.db")
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	res, err := gen.Generate(ctx, path, gen.Options{Requests: n, Seed: 7, Now: now, Chunk: 200})
	require.NoError(t, err)
	t.Logf("%d requests, %d events in %s (%.0f requests/s)", res.Requests, res.Events, res.Elapsed, float64(res.Requests)/res.Elapsed.Seconds())
	assert.Equal(t, n, res.Requests)
	assert.Equal(t, 100, res.Products)
	_, err = os.Stat(path + "-wal")
	if err == nil {
		assert.Zero(t, fileSize(t, path+"-wal"), "the WAL is checkpointed into the file")
	}

	store, err := sqlite.OpenExisting(ctx, path)
	require.NoError(t, err)
	defer store.Close()

	// Every chain verifies, the demo story's included.
	rep, err := store.Reads().VerifyLedger(ctx, nil)
	require.NoError(t, err)
	assert.True(t, rep.OK(), "problems: %v", rep.Problems)
	assert.Greater(t, rep.Requests, n)

	// Counts by status, as stored, match what Generate reports, and every
	// state is there in a plausible share.
	total := 0
	for _, st := range []signoff.Status{signoff.StatusPending, signoff.StatusGranted, signoff.StatusRejected, signoff.StatusWithdrawn} {
		rs, err := store.Reads().RequestsIn(ctx, []signoff.Status{st}, 1_000_000)
		require.NoError(t, err)
		got := 0
		for _, r := range rs {
			if len(r.Requester) > 3 && r.Requester[:3] == "GEN" {
				got++
			}
		}
		assert.Equal(t, res.ByStatus[st], got, "%s", st)
		assert.Greater(t, got, n/50, "%s", st)
		total += got
	}
	assert.Equal(t, n, total)
	assert.InDelta(t, n/10, res.ByStatus[signoff.StatusPending], float64(n)/20)

	// Approvers have work, and the requesters' pages and identities work.
	for _, user := range []string{"MARCO", "OLIVIA", "DANA", "SAM"} {
		id, err := store.Identify(ctx, user)
		require.NoError(t, err)
		q, err := store.Reads().Queue(ctx, signoff.QueueFilter{Roles: id.Roles, User: user, Limit: 50})
		require.NoError(t, err)
		assert.NotEmpty(t, q.Requests, "queue of %s", user)
	}
	mine, err := store.Reads().Requests(ctx, "GEN0001", 100)
	require.NoError(t, err)
	assert.NotEmpty(t, mine)
	for _, r := range mine {
		assert.True(t, signoff.ValidID(r.ID), r.ID)
		assert.Len(t, r.Steps, r.StepCount)
		assert.True(t, r.CreatedAt.Before(now))
	}
	require.NoError(t, store.Close())

	// The generator writes times as the app does (the demo story's rows came
	// through the workflow): one fixed-width UTC text layout in every column,
	// so that text order stays time order.
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	require.NoError(t, err)
	defer db.Close()
	const layout = `[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z`
	for _, q := range []string{
		`SELECT created_at AS t FROM access_request UNION ALL SELECT updated_at FROM access_request`,
		`SELECT event_time AS t FROM audit_log`,
		`SELECT decided_at AS t FROM request_step WHERE decided_at IS NOT NULL`,
		`SELECT granted_at AS t FROM local_user_role`,
		`SELECT created_at AS t FROM data_product`,
	} {
		var rows, matching int
		require.NoError(t, db.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(typeof(t) = 'text' AND t GLOB ?), 0)
			FROM (`+q+`)`, layout).Scan(&rows, &matching), q)
		assert.Positive(t, rows, q)
		assert.Equal(t, rows, matching, "every time in the app's layout: %s", q)
	}

	// A second run on the same database is refused, and leaves it as it was.
	before := fileSize(t, path)
	_, err = gen.Generate(ctx, path, gen.Options{Requests: 1})
	assert.ErrorContains(t, err, "already holds data")
	assert.Equal(t, before, fileSize(t, path))
}

// TestGenerateSeed: the same seed gives the same generated requests.
func TestGenerateSeed(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	ids := func() []string {
		path := filepath.Join(t.TempDir(), "seed.db")
		_, err := gen.Generate(ctx, path, gen.Options{Requests: 50, Products: 20, Seed: 3, Now: now})
		require.NoError(t, err)
		store, err := sqlite.OpenExisting(ctx, path)
		require.NoError(t, err)
		defer store.Close()
		rs, err := store.Reads().Requests(ctx, "GEN0002", 100)
		require.NoError(t, err)
		var out []string
		for _, r := range rs {
			out = append(out, r.ID+string(r.Status)+r.ProductID)
		}
		return out
	}
	a := ids()
	assert.NotEmpty(t, a)
	assert.Equal(t, a, ids())
}

// TestGenerateRefuses: options that cannot work are refused before a file is
// made, and a failed generation into a new file removes it.
func TestGenerateRefuses(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, c := range []struct {
		path string
		opt  gen.Options
		want string
	}{
		{"", gen.Options{}, "name the database file"},
		{":memory:", gen.Options{}, "in-memory"},
		{filepath.Join(dir, "neg.db"), gen.Options{Requests: -1}, "cannot be negative"},
		{filepath.Join(dir, "few.db"), gen.Options{Products: 5}, "more than the demo's"},
	} {
		_, err := gen.Generate(ctx, c.path, c.opt)
		assert.ErrorContains(t, err, c.want, "%+v", c)
	}
	// A context that ends partway fails the load; the new file goes away.
	path := filepath.Join(dir, "cancelled.db")
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err := gen.Generate(cctx, path, gen.Options{Requests: 100})
	assert.Error(t, err)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries, "no file left behind")
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	require.NoError(t, err)
	return fi.Size()
}
