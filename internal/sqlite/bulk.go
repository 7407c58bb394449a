package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// BulkLoad runs fn in one write transaction (BEGIN IMMEDIATE) on the
// database file and commits if fn returns nil, rolling back otherwise. It is
// for loaders such as "signoff demo generate" that fill a database with many
// rows at once, using their own prepared statements on tx: it bypasses the
// workflow's compare-and-set batches, so whatever fn writes must already be
// consistent (valid audit chains, steps matching each request's state). The
// app never uses it.
//
// For the transaction's length, the connection's page cache is raised to
// bulkCacheKiB, so that index pages stay in memory instead of spilling, and
// synchronous is OFF: the commit and its checkpoint do not wait for the disk.
// A process crash still leaves the database intact (the transaction is
// atomic); a power loss during a bulk load may lose or damage it, which is
// acceptable for data that a loader can make again.
func (s *Store) BulkLoad(ctx context.Context, fn func(tx *sql.Tx) error) error {
	release, err := s.lockWriter(ctx)
	if err != nil {
		return err
	}
	defer release()
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return translate(err)
	}
	defer conn.Close()
	for _, pragma := range []string{fmt.Sprintf(`PRAGMA cache_size = -%d`, bulkCacheKiB), `PRAGMA synchronous = OFF`} {
		if _, err := conn.ExecContext(ctx, pragma); err != nil {
			return translate(err)
		}
	}
	defer func() { // back to SQLite's default cache and Open's synchronous
		for _, pragma := range []string{`PRAGMA cache_size = -2000`, `PRAGMA synchronous = NORMAL`} {
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), pragma)
		}
	}()
	if err := runTx(ctx, conn, fn); err != nil {
		return err
	}
	s.checkpoints.committed()
	return nil
}

// bulkCacheKiB is BulkLoad's page cache size. It must stay well inside the
// 256 MB of memory each connection's WebAssembly SQLite may use: a cache of
// 256 MiB ran out of memory (SQLITE_NOMEM, a panic in the driver) partway
// through loading 1,000,000 requests.
const bulkCacheKiB = 128 << 10
