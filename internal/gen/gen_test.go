package gen_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/gen"
	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlite"
)

func TestGenerate(t *testing.T) {
	ctx := context.Background()
	n := 500
	if v, err := strconv.Atoi(os.Getenv("SIGNOFF_GEN_REQUESTS")); err == nil {
		n = v
	}
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "gen.db"))
	require.NoError(t, err)
	defer store.Close()
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	res, err := gen.Generate(ctx, store, gen.Options{Requests: n, Seed: 7, Now: now, Chunk: 200})
	require.NoError(t, err)
	t.Logf("%d requests, %d events in %s (%.0f requests/s)", res.Requests, res.Events, res.Elapsed, float64(res.Requests)/res.Elapsed.Seconds())
	assert.Equal(t, n, res.Requests)
	assert.Equal(t, 100, res.Products)

	// Every chain verifies, the demo story's included.
	rep, err := store.VerifyAudit(ctx)
	require.NoError(t, err)
	assert.True(t, rep.OK(), "problems: %v", rep.Problems)
	assert.Greater(t, rep.Requests, n)

	// Counts by status, as stored, match what Generate reports, and every
	// state is there in a plausible share.
	total := 0
	for _, st := range []signoff.Status{signoff.StatusPending, signoff.StatusGranted, signoff.StatusRejected, signoff.StatusWithdrawn} {
		rs, err := store.RequestsIn(ctx, []signoff.Status{st}, 1_000_000)
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
		q, err := store.Queue(ctx, id.Roles, user, 50)
		require.NoError(t, err)
		assert.NotEmpty(t, q, "queue of %s", user)
	}
	mine, err := store.Requests(ctx, "GEN0001", 100)
	require.NoError(t, err)
	assert.NotEmpty(t, mine)
	for _, r := range mine {
		assert.True(t, signoff.ValidID(r.ID), r.ID)
		assert.Len(t, r.Steps, r.StepCount)
		assert.True(t, r.CreatedAt.Before(now))
	}

	// A second run on the same database is refused.
	_, err = gen.Generate(ctx, store, gen.Options{Requests: 1})
	assert.ErrorContains(t, err, "already holds data")
}

// TestGenerateSeed: the same seed gives the same generated requests.
func TestGenerateSeed(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	ids := func() []string {
		store, err := sqlite.Open(ctx, ":memory:")
		require.NoError(t, err)
		defer store.Close()
		_, err = gen.Generate(ctx, store, gen.Options{Requests: 50, Products: 20, Seed: 3, Now: now})
		require.NoError(t, err)
		rs, err := store.Requests(ctx, "GEN0002", 100)
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
