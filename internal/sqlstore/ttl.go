package sqlstore

import (
	"context"
	"time"
)

// TTLCache keeps the answer of one read for a while. It is for catalog
// metadata that administrators change rarely and that many pages need (the
// products, the roles that key chains): on Snowflake each read is a round
// trip, and a change shows within the TTL. It never keeps anything about a
// visitor. One caller reads at a time; the others wait for that answer, or
// for their own context to end. A failed read is not kept.
type TTLCache[T any] struct {
	ttl  time.Duration
	now  func() time.Time
	turn chan struct{}

	val    T
	readAt time.Time
	ok     bool
}

// NewTTLCache returns a cache that keeps an answer for ttl (0 keeps none)
// on the clock now (nil means time.Now).
func NewTTLCache[T any](ttl time.Duration, now func() time.Time) *TTLCache[T] {
	if now == nil {
		now = time.Now
	}
	return &TTLCache[T]{ttl: ttl, now: now, turn: make(chan struct{}, 1)}
}

// Get returns the kept answer while it is younger than the TTL, and
// otherwise read's, which it keeps.
func (c *TTLCache[T]) Get(ctx context.Context, read func(context.Context) (T, error)) (T, error) {
	if c.ttl <= 0 {
		return read(ctx)
	}
	select {
	case c.turn <- struct{}{}:
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
	defer func() { <-c.turn }()
	if c.ok && c.now().Sub(c.readAt) < c.ttl {
		return c.val, nil
	}
	v, err := read(ctx)
	if err != nil {
		return v, err
	}
	c.val, c.readAt, c.ok = v, c.now(), true
	return v, nil
}

// Forget drops the kept answer, so the next Get reads again: after a change
// this process made (a product saved), its own pages show it at once.
func (c *TTLCache[T]) Forget() {
	c.turn <- struct{}{}
	defer func() { <-c.turn }()
	c.ok = false
}
