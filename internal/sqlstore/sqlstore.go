// Package sqlstore is the workflow SQL that both engines share: the reads
// the Service draws its pages from (signoff.Reads, implemented here once for
// both engines), and every check and write of the actions (actions.go),
// written in the subset of SQL that SQLite and Snowflake both accept.
// Keeping one text for both means the store contract suite, run on the
// embedded engine, covers the logic the Snowflake engine runs too.
//
// What differs between the engines stays in the engine packages and is small:
// how an action's statements run (a SQLite transaction in Go, or one CALL of
// a Snowflake API procedure that embeds them), the GRANT itself, identity,
// and error translation.
package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/signoff/signoff/internal/signoff"
)

// Querier runs the reads. *sql.DB implements it.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Store implements signoff.Reads over a Querier.
type Store struct {
	q         Querier
	translate func(error) error
	name      string
	// products and approverRoles keep the catalog's answers for
	// Options.CatalogTTL (no time on the embedded engine).
	products      *TTLCache[[]signoff.Product]
	approverRoles *TTLCache[[]string]
	// digestsFromJSON is Options.DigestsFromJSON.
	digestsFromJSON string
}

var _ signoff.Reads = (*Store)(nil)

// Options tune a Store's reads.
type Options struct {
	// CatalogTTL is how long the whole catalog (Products) and the roles
	// keying chains (ApproverRoles) are reused before they are read again;
	// 0 reads them every time. Every catalog and queue page needs them, an
	// administrator changes them rarely, and on Snowflake each read is a
	// round trip: a change shows within the TTL.
	CatalogTTL time.Duration
	// Now is the clock of the TTL; nil means time.Now.
	Now func() time.Time
	// DigestsFromJSON is a subquery, in the engine's dialect, that reads the
	// JSON array of {"seq": …, "hash": …} bound to its one parameter (?) as
	// rows (seq, hash): the digests VerifyLedger checks the log against.
	DigestsFromJSON string
}

// New returns a Store. translate maps the engine's errors onto the domain's
// kinds; name prefixes error messages ("sqlite", "snowflake").
func New(name string, q Querier, translate func(error) error, o Options) *Store {
	return &Store{q: q, translate: translate, name: name,
		products:      NewTTLCache[[]signoff.Product](o.CatalogTTL, o.Now),
		approverRoles: NewTTLCache[[]string](o.CatalogTTL, o.Now), digestsFromJSON: o.DigestsFromJSON}
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

// StringsMarked runs a query that returns a text column and a boolean one,
// and collects the texts, and apart those whose boolean is true, each sorted
// without duplicates (a text may come in several rows, marked and not).
// Errors are the driver's, untranslated.
func StringsMarked(ctx context.Context, q Querier, query string, args ...any) (all, marked []string, err error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var v string
		var m bool
		if err := rows.Scan(&v, &m); err != nil {
			return nil, nil, err
		}
		all = append(all, v)
		if m {
			marked = append(marked, v)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	slices.Sort(all)
	slices.Sort(marked)
	return slices.Compact(all), slices.Compact(marked), nil
}
