package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// prepared keeps one prepared statement per query text, so that SQLite
// parses and plans each of the workflow's statements once per connection
// rather than on every use: parsing was a large share of a page's CPU
// (docs/performance.md). A
// *sql.Stmt prepares itself again on each pool connection it runs on, and
// Tx.StmtContext reuses it inside transactions.
type prepared struct {
	db    *sql.DB
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

// maxPrepared bounds the statements kept. The workflow has a few dozen
// texts (some vary with the number of bind markers, such as a viewer's role
// count); past the bound, queries run unprepared.
const maxPrepared = 256

func newPrepared(db *sql.DB) *prepared {
	return &prepared{db: db, stmts: map[string]*sql.Stmt{}}
}

// stmt returns the prepared statement for query, preparing it the first
// time, or nil when the cache is full.
func (p *prepared) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	p.mu.Lock()
	s, ok := p.stmts[query]
	full := len(p.stmts) >= maxPrepared
	p.mu.Unlock()
	if ok || full {
		return s, nil
	}
	s, err := p.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if old, ok := p.stmts[query]; ok { // prepared meanwhile by another caller
		s.Close()
		return old, nil
	}
	p.stmts[query] = s
	return s, nil
}

// QueryContext runs query through its prepared statement (sqlstore.Querier).
func (p *prepared) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	s, err := p.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return p.db.QueryContext(ctx, query, args...)
	}
	return s.QueryContext(ctx, args...)
}

// txQuerier is what the write paths run their statements on: a *sql.Tx,
// or the same transaction through prepared statements (preparedTx).
type txQuerier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// preparedTx runs tx's statements through p's prepared statements.
type preparedTx struct {
	tx *sql.Tx
	p  *prepared
}

// in returns tx with its statements prepared once per connection.
func (p *prepared) in(tx *sql.Tx) preparedTx { return preparedTx{tx: tx, p: p} }

// stmt returns query's statement bound to the transaction, or nil to run
// it unprepared (the cache is full, or preparing failed: running it then
// reports the error where the caller looks for it).
func (t preparedTx) stmt(ctx context.Context, query string) *sql.Stmt {
	s, err := t.p.stmt(ctx, query)
	if err != nil || s == nil {
		return nil
	}
	return t.tx.StmtContext(ctx, s)
}

// ExecContext is (*sql.Tx).ExecContext through a prepared statement.
func (t preparedTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s := t.stmt(ctx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, query, args...)
}

// QueryContext is (*sql.Tx).QueryContext through a prepared statement.
func (t preparedTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := t.stmt(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, query, args...)
}

// QueryRowContext is (*sql.Tx).QueryRowContext through a prepared statement.
func (t preparedTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if s := t.stmt(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, query, args...)
}

// close closes every prepared statement.
func (p *prepared) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for q, s := range p.stmts {
		s.Close()
		delete(p.stmts, q)
	}
}
