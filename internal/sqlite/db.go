// Package sqlite is Signoff's embedded engine: the Store on a SQLite file
// (pure Go, no cgo), plus a local account that stands in for Snowflake's
// users, roles and grants so the whole workflow runs without Snowflake.
package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ncruces/go-sqlite3"
	sqlitedriver "github.com/ncruces/go-sqlite3/driver" // also registers "sqlite3"
	"github.com/ncruces/go-sqlite3/vfs/memdb"

	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlstore"
	sqlfiles "github.com/signoff/signoff/sql"
)

// timeFormat is how times are stored: fixed-width UTC text, so that text
// order is time order (SQLite has no timestamp type).
const timeFormat = "2006-01-02T15:04:05.000000Z07:00"

// Store is the embedded engine: the actions (signoff.Engine) applied in
// SQLite transactions, the reads (Reads: package sqlstore's, over this
// database), and a local account that stands in for Snowflake's users,
// roles and grants.
type Store struct {
	reads  *sqlstore.Store
	db     *sql.DB
	path   string // the database file, "" in memory
	memory string // memdb name to delete on Close, for ":memory:"
	// writer admits one write transaction of this process at a time.
	// SQLite allows one writer anyway; without this, concurrent writers
	// find the database locked and SQLite's busy handler puts them to sleep
	// for milliseconds at a time. Queued here, the next writer starts the
	// moment the last one commits. Writers in other processes, and the
	// account's single-statement set-up writes (CreateUser, …), still meet
	// busy_timeout. A write transaction must not start another: it would
	// wait for itself until its context ends.
	writer chan struct{}
	// wconn is the connection every write transaction runs on, opened at
	// the first write and used only with the writer's turn. One connection
	// keeps its page cache across writes; SQLite empties a connection's
	// cache whenever another connection has written.
	wconn *sql.Conn
	// closeOnce makes Close safe to call more than once.
	closeOnce sync.Once
	closeErr  error
	// prep holds the workflow statements, each parsed once per connection.
	prep *prepared
}

var (
	_ signoff.Engine    = (*Store)(nil)
	_ signoff.Scheduler = (*Store)(nil)
)

// Reads are the page reads over this database.
func (s *Store) Reads() *sqlstore.Store { return s.reads }

// Open opens (creating if needed) the database at path and applies the
// embedded migrations. path ":memory:" gives a private in-memory database
// shared by the pool's connections.
func Open(ctx context.Context, path string) (*Store, error) {
	s, connector, err := prepare(path, false)
	if err != nil {
		return nil, err
	}
	return s.start(ctx, connector)
}

// OpenReadOnly opens an existing database file for reading only, for the
// commands that inspect evidence (signoff audit verify): nothing is
// migrated or written. It fails if the file was written by a Signoff
// version whose schema differs from this one's.
func OpenReadOnly(ctx context.Context, path string) (*Store, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	s, connector, err := prepare(path, true)
	if err != nil {
		return nil, err
	}
	s.open(connector)
	if err := s.checkSchema(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// prepare returns a Store for path, not yet started, and the connector to
// its database; readOnly opens the file with mode=ro.
func prepare(path string, readOnly bool) (*Store, driver.Connector, error) {
	s := &Store{writer: make(chan struct{}, 1)}
	params := url.Values{}
	params.Set("_txlock", "immediate") // writers take the lock at BEGIN: no upgrade deadlocks
	params.Set("_timefmt", timeFormat)
	params.Add("_pragma", "busy_timeout(10000)")
	params.Add("_pragma", "foreign_keys(1)")
	var dsn string
	if path == ":memory:" {
		s.memory = "/signoff-" + rand.Text()
		params.Set("vfs", "memdb")
		dsn = "file:" + s.memory + "?" + params.Encode()
	} else {
		s.path = path
		if readOnly {
			params.Set("mode", "ro")
		} else {
			params.Add("_pragma", "journal_mode(wal)")
			params.Add("_pragma", "synchronous(normal)")
		}
		// An absolute path: in a file: URI, "dir/x.db" would read as "/dir/x.db".
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, nil, fmt.Errorf("sqlite: open %s: %w", path, err)
		}
		// Path, not Opaque: the path is escaped, so a '%', '?' or '#' in a file
		// name is part of the name, not URI syntax.
		dsn = (&url.URL{Scheme: "file", Path: abs, RawQuery: params.Encode()}).String()
	}
	connector, err := (&sqlitedriver.SQLite{}).OpenConnector(dsn) // what sql.Open("sqlite3", dsn) does
	if err != nil {
		return nil, nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return s, withAuditHash{connector}, nil
}

// open opens the pool over connector.
func (s *Store) open(connector driver.Connector) {
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(10) // the writer's and nine for reads
	db.SetMaxIdleConns(10)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s.db = db
	s.prep = newPrepared(db)
	s.reads = sqlstore.New("sqlite", s.prep, translate, sqlstore.Options{DigestsFromJSON: digestsFromJSON})
}

// start opens the pool over connector and applies the migrations.
func (s *Store) start(ctx context.Context, connector driver.Connector) (*Store, error) {
	s.open(connector)
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// OpenExisting opens a database file that must already exist (it is
// migrated like any other); for commands that inspect data.
func OpenExisting(ctx context.Context, path string) (*Store, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return Open(ctx, path)
}

// Close closes the database.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.writer <- struct{}{} // wait for a write in progress
		if s.wconn != nil {
			s.wconn.Close()
			s.wconn = nil
		}
		s.prep.close()
		s.closeErr = s.db.Close()
		<-s.writer // later writes find the database closed
		if s.memory != "" {
			memdb.Delete(s.memory)
		}
	})
	return s.closeErr
}

// Ping reports whether the database answers and its file is still there; it
// backs /readyz. An open SQLite file keeps answering after it is deleted or
// moved, and everything written then is lost: that is not ready.
func (s *Store) Ping(ctx context.Context) error {
	if s.path != "" {
		if _, err := os.Stat(s.path); err != nil {
			return fmt.Errorf("sqlite: ping: %w: %w", signoff.ErrUnavailable, err)
		}
	}
	var one int
	if err := s.db.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return fmt.Errorf("sqlite: ping: %w", translate(err))
	}
	return nil
}

// migrate applies the embedded sql/sqlite/NNN_*.sql files not applied yet,
// each in its own transaction, recording them in schema_migrations. A file
// may hand over to Go for what SQL cannot do (goSteps), at its "-- @go" line.
func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version TEXT NOT NULL PRIMARY KEY, applied_at TIMESTAMP NOT NULL)`); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	names, err := fs.Glob(sqlfiles.FS, "sqlite/*.sql")
	if err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	slices.Sort(names)
	for _, name := range names {
		version := strings.TrimSuffix(path.Base(name), ".sql")
		if err := s.applyMigration(ctx, name, version); err != nil {
			return fmt.Errorf("sqlite: migrate %s: %w", version, err)
		}
	}
	return nil
}

// checkSchema fails unless every embedded migration, and no other, has
// been applied: the reads and the verifier know this version's schema only.
func (s *Store) checkSchema(ctx context.Context) error {
	names, err := fs.Glob(sqlfiles.FS, "sqlite/*.sql")
	if err != nil {
		return err
	}
	want := map[string]bool{}
	for _, name := range names {
		want[strings.TrimSuffix(path.Base(name), ".sql")] = true
	}
	rows, err := s.db.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return fmt.Errorf("sqlite: %s is not a Signoff database: %w", s.path, err)
	}
	defer rows.Close()
	have := map[string]bool{}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return err
		}
		have[v] = true
		if !want[v] {
			return fmt.Errorf("sqlite: %s was written by a newer Signoff (schema %s): check it with that version", s.path, v)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for v := range want {
		if !have[v] {
			return fmt.Errorf("sqlite: %s was written by an older Signoff (schema %s not applied): check it with that "+
				"version, or let this one upgrade a copy (signoff serve --db COPY)", s.path, v)
		}
	}
	return nil
}

func (s *Store) applyMigration(ctx context.Context, name, version string) error {
	body, err := fs.ReadFile(sqlfiles.FS, name)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		before, after, split := strings.Cut(string(body), "\n-- @go\n")
		if _, err := tx.ExecContext(ctx, before); err != nil {
			return err
		}
		if step, ok := goSteps[version]; ok != split {
			return fmt.Errorf("the migration's \"-- @go\" line and its Go step do not match")
		} else if ok {
			if err := step(ctx, tx); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, after); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, version, time.Now().UTC())
		return err
	})
}

// tx runs fn in a write transaction (BEGIN IMMEDIATE) and commits if fn
// returns nil.
func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	release, err := s.lockWriter(ctx)
	if err != nil {
		return err
	}
	defer release()
	if s.wconn == nil {
		if s.wconn, err = s.db.Conn(ctx); err != nil {
			return translate(err)
		}
	}
	if err := runTx(ctx, s.wconn, fn); err != nil {
		if errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) {
			s.wconn.Close() // the next write opens a fresh connection
			s.wconn = nil
		}
		return err
	}
	return nil
}

// lockWriter waits for this process's turn to write, or for ctx to end.
func (s *Store) lockWriter(ctx context.Context) (release func(), err error) {
	select {
	case s.writer <- struct{}{}:
		return func() { <-s.writer }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("sqlite: waiting to write: %w", ctx.Err())
	}
}

// beginner is what can start a transaction: the pool, or one connection.
type beginner interface {
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

// runTx runs fn in a transaction begun on b, committing if fn returns nil
// and rolling back otherwise.
func runTx(ctx context.Context, b beginner, fn func(*sql.Tx) error) error {
	tx, err := b.BeginTx(ctx, nil)
	if err != nil {
		return translate(err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return translate(err)
	}
	return translate(tx.Commit())
}

// translate maps driver errors onto the domain's kinds; other errors pass
// through wrapped as they are.
func translate(err error) error {
	if err == nil {
		return nil
	}
	var se *sqlite3.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.BUSY, sqlite3.LOCKED, sqlite3.CANTOPEN, sqlite3.IOERR, sqlite3.FULL:
			return fmt.Errorf("%w: %w", signoff.ErrUnavailable, err)
		}
	}
	if errors.Is(err, sql.ErrConnDone) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: %w", signoff.ErrUnavailable, err)
	}
	return err
}

// Empty reports whether the database holds no catalog and no account yet, so
// that demo data can be loaded without surprising anyone.
func (s *Store) Empty(ctx context.Context) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM data_product) + (SELECT COUNT(*) FROM local_user)`).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("sqlite: empty: %w", err)
	}
	return n == 0, nil
}
