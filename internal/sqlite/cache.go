package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/signoff/signoff/internal/signoff"
)

// readCache keeps the answers to the pages' read queries for as long as the
// database has not changed, so that a page viewed again before the next
// write costs one tiny statement instead of its queries. It is exact, not a
// TTL: SQLite's PRAGMA data_version, asked on a connection of the cache's
// own that never writes, changes whenever any other connection commits, in
// this process or another one sharing the file. Any commit empties the
// whole cache.
//
// Only file databases have one (the in-memory VFS is for tests and demos),
// and only reads that pages make are cached: the request a decision acts on
// is read afresh. Callers get their own copy of a cached list (reordering
// or appending to it cannot reach the cache); the elements inside are
// shared and must be treated as read-only.
type readCache struct {
	mu      sync.Mutex
	conn    *sql.Conn // asks PRAGMA data_version; used under mu only
	ask     *sql.Stmt // PRAGMA data_version, prepared on conn
	version int64
	entries map[string]any
	rows    int // rows held, as weight counts them
}

// maxCacheRows bounds the cache by the rows it holds (requests, steps,
// events, roles): about 20,000 rows is a few megabytes. When an answer
// would pass the bound, the cache starts again empty.
const maxCacheRows = 20_000

// weight is the number of rows in a cached answer.
func weight(v any) int {
	switch v := v.(type) {
	case []signoff.Request:
		n := len(v)
		for _, r := range v {
			n += len(r.Steps)
		}
		return n
	case []signoff.Event:
		return len(v)
	case []string:
		return len(v)
	}
	return 1
}

func newReadCache(ctx context.Context, db *sql.DB) (*readCache, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlite: read cache: %w", translate(err))
	}
	ask, err := conn.PrepareContext(ctx, `PRAGMA data_version`)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("sqlite: read cache: %w", translate(err))
	}
	return &readCache{conn: conn, ask: ask, version: -1, entries: map[string]any{}}, nil
}

func (c *readCache) close() error {
	c.ask.Close()
	return c.conn.Close()
}

// cached returns the cached answer for key, or calls fill and caches its
// answer. An error from fill is returned and not cached; if the version
// cannot be read, fill answers uncached.
func cached[T any](ctx context.Context, c *readCache, key string, fill func() (T, error)) (T, error) {
	if c == nil {
		return fill()
	}
	c.mu.Lock()
	var v int64
	err := c.ask.QueryRowContext(ctx).Scan(&v)
	if err != nil {
		c.mu.Unlock()
		return fill()
	}
	if v != c.version {
		c.version = v
		clear(c.entries)
		c.rows = 0
	}
	if e, ok := c.entries[key]; ok {
		c.mu.Unlock()
		return e.(T), nil
	}
	c.mu.Unlock()
	// The version was read before fill's own read began, so what fill sees
	// is at least as new as v: at worst a newer answer is filed under v, and
	// the next look-up finds v changed and drops it.
	val, err := fill()
	if err != nil {
		return val, err
	}
	c.mu.Lock()
	if w := weight(val); c.version == v && w <= maxCacheRows {
		if c.rows+w > maxCacheRows {
			clear(c.entries)
			c.rows = 0
		}
		if _, ok := c.entries[key]; !ok {
			c.entries[key] = val
			c.rows += w
		}
	}
	c.mu.Unlock()
	return val, nil
}

// DisableReadCache makes every page read run its queries (serve
// --read-cache=false): for measuring the queries themselves, or to rule the
// cache out. Call it before serving.
func (s *Store) DisableReadCache() {
	if s.cache != nil {
		s.cache.close()
		s.cache = nil
	}
}

// cloned returns a copy of a cached list for one caller.
func cloned[T any](list []T, err error) ([]T, error) { return slices.Clone(list), err }

// cacheKey joins a query's name and arguments unambiguously.
func cacheKey(name string, args ...any) string {
	var b strings.Builder
	b.WriteString(name)
	for _, a := range args {
		fmt.Fprintf(&b, "\x00%#v", a)
	}
	return b.String()
}

// Identify is the local account's identity look-up, cached while the
// database is unchanged (a grant or revoke is a commit, so it shows at once).
func (s *Store) Identify(ctx context.Context, user string) (signoff.Identity, error) {
	return cached(ctx, s.cache, cacheKey("identify", user), func() (signoff.Identity, error) { return s.identify(ctx, user) })
}

// ApproverRoles is sqlstore's, cached while the database is unchanged.
func (s *Store) ApproverRoles(ctx context.Context) ([]string, error) {
	return cloned(cached(ctx, s.cache, "approver roles", func() ([]string, error) { return s.Store.ApproverRoles(ctx) }))
}

// Queue is sqlstore's, cached while the database is unchanged.
func (s *Store) Queue(ctx context.Context, roles []string, user string, n int) ([]signoff.Request, error) {
	return cloned(cached(ctx, s.cache, cacheKey("queue", roles, user, n), func() ([]signoff.Request, error) {
		return s.Store.Queue(ctx, roles, user, n)
	}))
}

// Requests is sqlstore's, cached while the database is unchanged.
func (s *Store) Requests(ctx context.Context, requester string, n int) ([]signoff.Request, error) {
	return cloned(cached(ctx, s.cache, cacheKey("requests", requester, n), func() ([]signoff.Request, error) {
		return s.Store.Requests(ctx, requester, n)
	}))
}

// RequestsIn is sqlstore's, cached while the database is unchanged.
func (s *Store) RequestsIn(ctx context.Context, statuses []signoff.Status, n int) ([]signoff.Request, error) {
	return cloned(cached(ctx, s.cache, cacheKey("requests in", statuses, n), func() ([]signoff.Request, error) {
		return s.Store.RequestsIn(ctx, statuses, n)
	}))
}

// Events is sqlstore's, cached while the database is unchanged for pages
// (up to 500 events); exports read afresh.
func (s *Store) Events(ctx context.Context, f signoff.EventFilter) ([]signoff.Event, error) {
	if f.Limit > 500 || f.Limit <= 0 {
		return s.Store.Events(ctx, f)
	}
	return cloned(cached(ctx, s.cache, cacheKey("events", f), func() ([]signoff.Event, error) { return s.Store.Events(ctx, f) }))
}
