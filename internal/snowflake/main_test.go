package snowflake

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/DATA-DOG/go-sqlmock"
	sf "github.com/snowflakedb/gosnowflake"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
	_ "github.com/signoff/signoff/internal/snowflake/sftest/sfenv" // before gosnowflake's init
	"github.com/signoff/signoff/internal/sqlstore"
)

// TestMain keeps gosnowflake off the network before any test opens a
// connection: no cloud-metadata probes (platform detection) and no native
// minicore. The environment is set here rather than with t.Setenv so that
// tests may run in parallel. gosnowflake starts loading minicore in its
// package init, before TestMain runs; the blank import of sftest/sfenv sets
// the same variables before that init.
func TestMain(m *testing.M) {
	os.Setenv("SNOWFLAKE_DISABLE_PLATFORM_DETECTION", "true")
	os.Setenv("SF_DISABLE_MINICORE", "true")
	if os.Getenv("SIGNOFF_TEST_DRIVER_LOG") == "" {
		// The driver logs every Snowflake error the tests provoke.
		_ = sf.GetLogger().SetLogLevel("fatal")
	}
	os.Exit(m.Run())
}

// exactSQL is sqlmock's QueryMatcherEqual made strict: QueryMatcherEqual
// collapses whitespace, this also requires the text to be identical byte for
// byte. The sqlmock tests name the statement they expect through the same
// constants and functions the engine builds it from, so this checks that the
// engine sends the statement it should, not its text: the text is pinned
// once, by the catalogue's golden file (statements_test.go).
var exactSQL = sqlmock.QueryMatcherFunc(func(expected, actual string) error {
	if err := sqlmock.QueryMatcherEqual.Match(expected, actual); err != nil {
		return err
	}
	if expected != actual {
		return fmt.Errorf("statement text differs only in whitespace:\n got %q\nwant %q", actual, expected)
	}
	return nil
})

// api is the API schema the tests' stores call, as `signoff serve` names
// it (database SIGNOFF, schema API).
const api = "SIGNOFF.API"

// newMock returns a Store over a sqlmock database that matches statements
// exactly and checks, when the test ends, that every expectation was met.
// The store has no caller sessions: opening one fails the test.
func newMock(t *testing.T) (*Store, sqlmock.Sqlmock) {
	t.Helper()
	return newMockOptions(t, sqlstore.Options{})
}

// newMockWith is newMock with callers opening the caller sessions.
func newMockWith(t *testing.T, callers CallerOpener) (*Store, sqlmock.Sqlmock) {
	t.Helper()
	return newMockStore(t, callers, sqlstore.Options{})
}

// newMockOptions is newMock with o as the reads' options (newMock's have no
// catalog cache: every read is sent).
func newMockOptions(t *testing.T, o sqlstore.Options) (*Store, sqlmock.Sqlmock) {
	t.Helper()
	return newMockStore(t, func(context.Context, string) (*sql.DB, error) {
		t.Error("a caller session was opened")
		return nil, errors.New("no caller sessions in this test")
	}, o)
}

func newMockStore(t *testing.T, callers CallerOpener, o sqlstore.Options) (*Store, sqlmock.Sqlmock) {
	t.Helper()
	db, mock, err := sqlmock.New(sqlmock.QueryMatcherOption(exactSQL))
	require.NoError(t, err)
	t.Cleanup(func() {
		require.NoError(t, mock.ExpectationsWereMet())
		db.Close()
	})
	return New(db, callers, api, o), mock
}

// mockOpener is a CallerOpener whose sessions are sqlmock databases. Each
// session expects what expect sets up (one statement, then Close) and is
// checked with requireMet, and again when the test ends.
type mockOpener struct {
	t      *testing.T
	expect func(mock sqlmock.Sqlmock) // nil: no session may be opened
	err    error                      // when set, opening fails with it

	mu     sync.Mutex
	tokens []string // the caller tokens of the sessions opened (or tried)
	mocks  []sqlmock.Sqlmock
}

func (o *mockOpener) open(ctx context.Context, token string) (*sql.DB, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.tokens = append(o.tokens, token)
	if o.err != nil {
		return nil, o.err
	}
	if o.expect == nil {
		o.t.Error("a caller session was opened")
		return nil, errors.New("no caller session expected")
	}
	db, mock, err := sqlmock.New(sqlmock.QueryMatcherOption(exactSQL))
	if err != nil {
		return nil, err
	}
	o.expect(mock)
	o.mocks = append(o.mocks, mock)
	o.t.Cleanup(func() { require.NoError(o.t, mock.ExpectationsWereMet(), "caller session") })
	return db, nil
}

// calls returns how many sessions were opened (or tried).
func (o *mockOpener) calls() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.tokens)
}

// requireMet asserts that every session opened so far ran exactly what it
// was to run and was closed.
func (o *mockOpener) requireMet(t *testing.T) {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	for i, m := range o.mocks {
		require.NoError(t, m.ExpectationsWereMet(), "caller session %d", i+1)
	}
}

// expectQuery expects the statement sql with exactly args.
func expectQuery(mock sqlmock.Sqlmock, sql string, args ...driver.Value) *sqlmock.ExpectedQuery {
	e := mock.ExpectQuery(sql)
	if len(args) > 0 {
		e = e.WithArgs(args...)
	} else {
		e = e.WithoutArgs()
	}
	return e
}

// validIDs matches n distinct Signoff IDs joined by commas (an action's
// event IDs), and keeps them when got is set.
type validIDs struct {
	n   int
	got *[]string
}

func (m validIDs) Match(v driver.Value) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	ids := strings.Split(s, ",")
	if len(ids) != m.n {
		return false
	}
	for i, id := range ids {
		if !signoff.ValidID(id) || slices.Contains(ids[:i], id) {
			return false
		}
	}
	if m.got != nil {
		*m.got = ids
	}
	return true
}

// sfErr returns a Snowflake error as the driver reports one.
func sfErr(number int, sqlState, queryID string) error {
	return &sf.SnowflakeError{Number: number, SQLState: sqlState, QueryID: queryID, Message: "boom"}
}

// kinds are the domain's error kinds.
var kinds = []error{signoff.ErrNotFound, signoff.ErrInvalid, signoff.ErrConflict, signoff.ErrForbidden,
	signoff.ErrUnauthenticated, signoff.ErrUnavailable}

// requireKind asserts that err is of kind and of no other kind (kind nil:
// of none).
func requireKind(t *testing.T, err error, kind error) {
	t.Helper()
	require.Error(t, err)
	for _, k := range kinds {
		if k == kind {
			require.ErrorIs(t, err, k)
		} else {
			require.NotErrorIs(t, err, k, "error %q has the wrong kind", err)
		}
	}
}

func TestExactSQLMatcher(t *testing.T) {
	require.NoError(t, exactSQL.Match("SELECT 1", "SELECT 1"))
	require.ErrorContains(t, exactSQL.Match("SELECT 1", "SELECT 2"), "does not equal")
	require.ErrorContains(t, exactSQL.Match("SELECT 1", "SELECT  1"), "differs only in whitespace")
	require.ErrorContains(t, exactSQL.Match("\nSELECT 1", "SELECT 1"), "differs only in whitespace")
}
