package snowflake

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	sf "github.com/snowflakedb/gosnowflake"

	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlstore"
)

// Store is the Snowflake engine. Every statement runs on the service user's
// pool: the workflow tables are written only by the app's role.
type Store struct {
	*sqlstore.Store
	db            *sql.DB
	approverRoles *ttlList
}

var _ signoff.Store = (*Store)(nil)

// Open connects the service user's pool. The OAuth token is read from
// cfg.TokenFile on every new connection, so a token SPCS rotated is picked up;
// idle connections are recycled well before the master token's 4-hour limit.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("snowflake: %w", err)
	}
	db := sql.OpenDB(sf.NewConnector(sf.SnowflakeDriver{}, serviceConfig(cfg)))
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(4)
	db.SetConnMaxIdleTime(30 * time.Minute)
	db.SetConnMaxLifetime(3 * time.Hour) // the master token lasts about 4 h (error 390114)
	return New(db), nil
}

// serviceConfig is the gosnowflake configuration of the service user's pool.
func serviceConfig(cfg Config) sf.Config {
	tag := cfg.QueryTag
	if tag == "" {
		tag = "signoff"
	}
	return sf.Config{
		Authenticator: sf.AuthTypeOAuth, TokenFilePath: cfg.TokenFile,
		Account: cfg.Account, Host: cfg.Host, Port: cfg.Port, Protocol: cfg.Protocol,
		Database: cfg.Database, Schema: cfg.Schema, Warehouse: cfg.Warehouse,
		Params:           map[string]*string{"QUERY_TAG": &tag},
		DisableTelemetry: true, // no telemetry requests beyond the statements themselves
	}
}

// New returns a Store over db, an open pool to the service user's session
// (tests pass a go-sqlmock database).
//
// The list of approver roles is catalog metadata that every queue page
// needs; it is reused for a minute rather than read on every page.
func New(db *sql.DB) *Store {
	s := &Store{db: db}
	s.Store = sqlstore.New("snowflake", db, batcher{db}, translate)
	s.approverRoles = &ttlList{ttl: time.Minute, read: s.Store.ApproverRoles}
	return s
}

// ApproverRoles returns the distinct roles keying any chain step, reused for
// a minute. A role added to a chain meanwhile shows in queues a minute late.
func (s *Store) ApproverRoles(ctx context.Context) ([]string, error) {
	return s.approverRoles.get(ctx)
}

// Close closes the pool.
func (s *Store) Close() error { return s.db.Close() }

// Ping reports whether Snowflake answers on the service connection; it backs
// /readyz.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.db.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return fmt.Errorf("snowflake: ping: %w", translate(err))
	}
	return nil
}

// callApply runs a write batch through the caller's-rights procedure
// SIGNOFF_APPLY (sql/snowflake/02_rbac_and_grant.sql): one round trip, one
// transaction, with each statement's rows affected checked.
const callApply = `CALL SIGNOFF_APPLY(?)`

// batcher sends a write batch as one CALL. Snowflake cannot bind values into
// a multi-statement request or an anonymous block from a driver, so a
// procedure is the only way to run a bound, multi-statement transaction in
// one round trip.
type batcher struct{ db *sql.DB }

// applyStmt is one statement as SIGNOFF_APPLY receives it.
type applyStmt struct {
	SQL   string `json:"sql"`
	Binds []any  `json:"binds"`
	Want  int    `json:"want"`
}

// EncodeBatch renders a batch as SIGNOFF_APPLY's JSON argument.
func EncodeBatch(batch []sqlstore.Stmt) (string, error) {
	out := make([]applyStmt, len(batch))
	for i, st := range batch {
		binds := make([]any, len(st.Args))
		for j, a := range st.Args {
			v, err := bindValue(a)
			if err != nil {
				return "", fmt.Errorf("statement %d bind %d: %w", i, j+1, err)
			}
			binds[j] = v
		}
		out[i] = applyStmt{SQL: strings.TrimSpace(st.SQL), Binds: binds, Want: st.Want}
	}
	b, err := json.Marshal(out)
	return string(b), err
}

// bindValue turns a Go argument into a JSON bind: strings, numbers or null.
// Times become UTC text that the TIMESTAMP_NTZ columns cast implicitly.
func bindValue(a any) (any, error) {
	v, err := driver.DefaultParameterConverter.ConvertValue(a)
	if err != nil {
		return nil, err
	}
	switch v := v.(type) {
	case nil, string, int64, float64: // what SIGNOFF_APPLY accepts (no booleans)
		return v, nil
	case time.Time:
		return v.UTC().Format("2006-01-02 15:04:05.000000"), nil
	case []byte:
		return string(v), nil
	}
	return nil, fmt.Errorf("unsupported bind type %T", a)
}

// Apply runs batch atomically in one CALL. SIGNOFF_APPLY answers "OK" or
// "CONFLICT:<i>" when statement i affected other than its Want rows (and
// rolled everything back).
func (b batcher) Apply(ctx context.Context, batch []sqlstore.Stmt) error {
	arg, err := EncodeBatch(batch)
	if err != nil {
		return err
	}
	var result string
	if err := b.db.QueryRowContext(ctx, callApply, arg).Scan(&result); err != nil {
		return err
	}
	if result == "OK" {
		return nil
	}
	if i, ok := strings.CutPrefix(result, "CONFLICT:"); ok {
		if n, err := strconv.Atoi(i); err == nil && n >= 0 && n < len(batch) {
			return fmt.Errorf("%w: %s", signoff.ErrConflict, batch[n].Why)
		}
		return fmt.Errorf("%w: statement %s", signoff.ErrConflict, i)
	}
	return fmt.Errorf("SIGNOFF_APPLY answered %q", result)
}

// The grant path: owner's-rights procedures owned by SIGNOFF_GRANT_OWNER.
// They read the role and the grantee from the request and its product; the
// app passes only the request and who is acting.
const (
	callGrant  = `CALL GRANT_PRODUCT_ACCESS(?, ?, ?, ?)`
	callRevoke = `CALL REVOKE_PRODUCT_ACCESS(?, ?, ?, ?, ?)`
)

// Grant runs GRANT_PRODUCT_ACCESS, which re-verifies the decision record,
// grants, and records GRANTED or GRANT_FAILED with its audit event.
func (s *Store) Grant(ctx context.Context, c signoff.GrantCall) (signoff.Status, error) {
	var result string
	err := s.db.QueryRowContext(ctx, callGrant, c.RequestID, c.Actor, c.ActorRole, c.EventID).Scan(&result)
	if err != nil {
		return "", fmt.Errorf("snowflake: grant %s: %w", c.RequestID, translate(err))
	}
	switch st := signoff.Status(result); st {
	case signoff.StatusGranted, signoff.StatusGrantFailed:
		return st, nil
	}
	return "", fmt.Errorf("snowflake: grant %s: %w", c.RequestID, procResult(result))
}

// Revoke runs REVOKE_PRODUCT_ACCESS.
func (s *Store) Revoke(ctx context.Context, c signoff.GrantCall) error {
	var result string
	err := s.db.QueryRowContext(ctx, callRevoke, c.RequestID, c.Actor, c.ActorRole, c.Reason, c.EventID).Scan(&result)
	if err != nil {
		return fmt.Errorf("snowflake: revoke %s: %w", c.RequestID, translate(err))
	}
	if result == "REVOKED" {
		return nil
	}
	return fmt.Errorf("snowflake: revoke %s: %w", c.RequestID, procResult(result))
}

// procResult maps a procedure's refusal onto a domain kind.
func procResult(result string) error {
	switch {
	case result == "NOT_FOUND":
		return signoff.Errorf(signoff.ErrNotFound, "There is no such request.")
	case strings.HasPrefix(result, "CONFLICT"):
		return fmt.Errorf("%w: %s", signoff.ErrConflict, result)
	}
	return fmt.Errorf("unexpected procedure result %q", result)
}

// translate maps Snowflake errors onto the domain's kinds. The error number
// and query ID stay in the error text, which goes to the log, never to a page.
func translate(err error) error {
	if err == nil {
		return nil
	}
	var se *sf.SnowflakeError
	if errors.As(err, &se) {
		kind := kindOf(se)
		return fmt.Errorf("%w: snowflake error %d (SQLSTATE %s, query %s): %w", kind, se.Number, se.SQLState, se.QueryID, err)
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, sql.ErrConnDone), errors.Is(err, driver.ErrBadConn):
		return fmt.Errorf("%w: %w", signoff.ErrUnavailable, err)
	}
	return err
}

// kindOf classifies a Snowflake error number.
func kindOf(se *sf.SnowflakeError) error {
	switch se.Number {
	case 3001, 2003, 2043: // insufficient privileges; object does not exist or not authorized
		return signoff.ErrForbidden
	case 625, 630, 604: // statement aborted / lock wait timeout / cancelled: a competing change
		return signoff.ErrConflict
	}
	if se.Number >= 390000 && se.Number < 391000 { // authentication and session errors (390114: token expired)
		return signoff.ErrUnavailable
	}
	if strings.HasPrefix(se.SQLState, "08") { // connection exceptions
		return signoff.ErrUnavailable
	}
	return errStatement
}

// errStatement is the kind of a Snowflake error that is none of the domain's
// kinds: the server shows a generic 500 and logs the details.
var errStatement = errors.New("snowflake statement failed")
