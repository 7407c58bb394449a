// Package sqlstore is the workflow SQL that both engines share: every read
// and every compare-and-set write of signoff.Store, written in the subset of
// SQL that SQLite and Snowflake both accept. Keeping one text for both means
// the store contract suite, run on the embedded engine, covers the logic the
// Snowflake engine runs too.
//
// What differs between the engines stays in the engine packages and is small:
// how a batch of writes runs atomically (a SQLite transaction, or one CALL of
// the SIGNOFF_APPLY procedure on Snowflake), the grant path, identity, and
// error translation.
package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// Querier runs the reads. *sql.DB implements it.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Stmt is one statement of a write batch.
type Stmt struct {
	SQL  string
	Args []any
	// Want is the exact number of rows the statement must affect, or Any.
	// A mismatch aborts the whole batch with signoff.ErrConflict: this is how
	// a compare-and-set that lost a race is detected.
	Want int
	// Why says, for logs, what a mismatch means.
	Why string
}

// Any means a statement may affect any number of rows.
const Any = -1

// Batcher runs a batch of statements atomically: all of them, or none. It
// returns an error wrapping signoff.ErrConflict, naming the statement's Why,
// when a statement affects a number of rows other than its Want.
type Batcher interface {
	Apply(ctx context.Context, batch []Stmt) error
}

// Store implements the engine-independent part of signoff.Store over a
// Querier and a Batcher.
type Store struct {
	q         Querier
	b         Batcher
	translate func(error) error
	name      string
}

// New returns a Store. translate maps the engine's errors onto the domain's
// kinds; name prefixes error messages ("sqlite", "snowflake").
func New(name string, q Querier, b Batcher, translate func(error) error) *Store {
	return &Store{q: q, b: b, translate: translate, name: name}
}

// errorf wraps err with the engine's name and the operation.
func (s *Store) errorf(err error, format string, args ...any) error {
	return fmt.Errorf("%s: %s: %w", s.name, fmt.Sprintf(format, args...), s.translate(err))
}

// limit renders a LIMIT clause. Limits come from code, never from input, and
// are rendered as literals because Snowflake's LIMIT takes a constant.
func limit(n int) string {
	if n <= 0 {
		n = 1
	}
	return fmt.Sprintf(" LIMIT %d", n)
}

// placeholders returns n comma-separated bind markers.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }
func nullInt(n int) sql.NullInt64        { return sql.NullInt64{Int64: int64(n), Valid: n != 0} }

// Strings runs a query that returns one text column and collects it. Errors
// are the driver's, untranslated.
func Strings(ctx context.Context, q Querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
