package sqlstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/sqlstore"
)

func TestTTLCache(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	c := sqlstore.NewTTLCache[[]string](30*time.Second, func() time.Time { return now })
	calls := 0
	answer := []string{"A", "B"}
	var fail error
	read := func(context.Context) ([]string, error) {
		calls++
		return answer, fail
	}
	get := func() ([]string, error) { return c.Get(t.Context(), read) }

	got, err := get()
	require.NoError(t, err)
	assert.Equal(t, []string{"A", "B"}, got)
	now = now.Add(29 * time.Second)
	_, err = get()
	require.NoError(t, err)
	assert.Equal(t, 1, calls, "within the TTL the answer is kept")

	answer = []string{"A"}
	now = now.Add(time.Second)
	got, err = get()
	require.NoError(t, err)
	assert.Equal(t, []string{"A"}, got, "after the TTL a change shows")
	assert.Equal(t, 2, calls)

	now = now.Add(time.Minute)
	fail = errors.New("warehouse suspended")
	_, err = get()
	require.Error(t, err)
	fail = nil
	_, err = get()
	require.NoError(t, err)
	assert.Equal(t, 4, calls, "a failed read is not kept")
}

func TestTTLCacheOff(t *testing.T) {
	c := sqlstore.NewTTLCache[int](0, nil)
	calls := 0
	for range 3 {
		_, err := c.Get(t.Context(), func(context.Context) (int, error) { calls++; return calls, nil })
		require.NoError(t, err)
	}
	assert.Equal(t, 3, calls, "a TTL of 0 reads every time")
}

// TestTTLCacheWaitsForOneRead: callers arriving during a read wait for its
// answer instead of reading too, and one whose context ends stops waiting.
func TestTTLCacheWaitsForOneRead(t *testing.T) {
	c := sqlstore.NewTTLCache[int](time.Minute, nil)
	started, release := make(chan struct{}), make(chan struct{})
	done := make(chan int)
	go func() {
		v, _ := c.Get(context.Background(), func(context.Context) (int, error) {
			close(started)
			<-release
			return 7, nil
		})
		done <- v
	}()
	<-started
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := c.Get(ctx, func(context.Context) (int, error) { return 0, errors.New("must not read") })
	assert.ErrorIs(t, err, context.Canceled)
	close(release)
	assert.Equal(t, 7, <-done)
	v, err := c.Get(t.Context(), func(context.Context) (int, error) { return 0, errors.New("must not read") })
	require.NoError(t, err)
	assert.Equal(t, 7, v, "the answer read meanwhile is kept")
}

func TestTTLCacheForget(t *testing.T) {
	c := sqlstore.NewTTLCache[int](time.Hour, nil)
	calls := 0
	read := func(context.Context) (int, error) { calls++; return calls, nil }
	v, err := c.Get(t.Context(), read)
	require.NoError(t, err)
	assert.Equal(t, 1, v)
	v, _ = c.Get(t.Context(), read)
	assert.Equal(t, 1, v, "kept")
	c.Forget()
	v, _ = c.Get(t.Context(), read)
	assert.Equal(t, 2, v, "a forgotten answer is read again")
}
