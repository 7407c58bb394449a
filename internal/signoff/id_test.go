package signoff_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
)

var idTime = time.Date(2025, 3, 1, 9, 30, 0, 0, time.UTC)

func TestIDGeneratorShape(t *testing.T) {
	var g signoff.IDGenerator
	id := g.New(idTime)
	assert.Len(t, id, 26)
	assert.True(t, signoff.ValidID(id), "%q", id)
	for _, c := range "ILOU" { // Crockford base32 has no I, L, O or U
		assert.NotContains(t, id, string(c))
	}
}

func TestIDGeneratorStrictlyIncreasingWithinOneMillisecond(t *testing.T) {
	var g signoff.IDGenerator
	prev := g.New(idTime)
	for i := range 10_000 {
		id := g.New(idTime)
		require.True(t, signoff.ValidID(id), "call %d: %q", i, id)
		require.Greater(t, id, prev, "call %d", i)
		prev = id
	}
}

func TestIDGeneratorStaysIncreasingWhenTheClockGoesBack(t *testing.T) {
	var g signoff.IDGenerator
	later := g.New(idTime.Add(time.Hour))
	earlier := g.New(idTime)
	assert.Greater(t, earlier, later, "one generator never goes backwards")
}

func TestIDGeneratorOrderedByTime(t *testing.T) {
	// Different generators (several app instances) agree on order to the millisecond.
	var a, b signoff.IDGenerator
	for i := range 100 {
		at := idTime.Add(time.Duration(i) * time.Minute)
		first := a.New(at)
		second := b.New(at.Add(time.Millisecond))
		assert.Less(t, first, second, "step %d", i)
	}
	// Times sort the same as their IDs' 10-character time prefix.
	var g signoff.IDGenerator
	t1 := g.New(time.Date(2024, 12, 31, 23, 59, 59, 999_000_000, time.UTC))
	t2 := (&signoff.IDGenerator{}).New(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	assert.Less(t, t1[:10], t2[:10])
}

func TestIDGeneratorConcurrentCallsAreUnique(t *testing.T) {
	var g signoff.IDGenerator
	const workers, each = 8, 500
	ids := make([][]string, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for range each {
				ids[w] = append(ids[w], g.New(idTime))
			}
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, batch := range ids {
		for i, id := range batch {
			require.False(t, seen[id], "duplicate %s", id)
			seen[id] = true
			if i > 0 {
				require.Greater(t, id, batch[i-1])
			}
		}
	}
	assert.Len(t, seen, workers*each)
}

func TestValidID(t *testing.T) {
	var g signoff.IDGenerator
	tests := []struct {
		in   string
		want bool
	}{
		{g.New(idTime), true},
		{"01JNM6Z3X0ABCDEFGHJKMNPQRS", true},
		{"", false},
		{"01JNM6Z3X0ABCDEFGHJKMNPQR", false},   // 25
		{"01JNM6Z3X0ABCDEFGHJKMNPQRST", false}, // 27
		{"01JNM6Z3X0ABCDEFGHJKMNPQRI", false},  // I
		{"01JNM6Z3X0ABCDEFGHJKMNPQRL", false},  // L
		{"01JNM6Z3X0ABCDEFGHJKMNPQRO", false},  // O
		{"01JNM6Z3X0ABCDEFGHJKMNPQRU", false},  // U
		{"01jnm6z3x0abcdefghjkmnpqrs", false},  // lower case
		{"01JNM6Z3X0ABCDEFGHJKMNPQR'", false},
		{"01JNM6Z3X0ABCDEFGHJKMNPQRS\n", false},
		{"../../../../etc/passwd0000", false},
		{strings.Repeat("Z", 26), true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			assert.Equal(t, tt.want, signoff.ValidID(tt.in))
		})
	}
}

// TestIDAt: IDAt lays out time and random bits as IDGenerator does, so its
// IDs are valid and sort by time.
func TestIDAt(t *testing.T) {
	t0 := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	a := signoff.IDAt(t0, [10]byte{9, 9, 9, 9, 9, 9, 9, 9, 9, 9})
	b := signoff.IDAt(t0.Add(time.Millisecond), [10]byte{})
	assert.True(t, signoff.ValidID(a))
	assert.Less(t, a, b, "a later millisecond sorts after, whatever the random bits")
	assert.Equal(t, a, signoff.IDAt(t0, [10]byte{9, 9, 9, 9, 9, 9, 9, 9, 9, 9}), "deterministic")
	g := &signoff.IDGenerator{}
	assert.Equal(t, a[:10], g.New(t0)[:10], "same time prefix as the generator's")
}
