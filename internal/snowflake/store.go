package snowflake

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	sf "github.com/snowflakedb/gosnowflake"

	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlstore"
)

// Store is the Snowflake engine. Reads run on the service user's pool,
// against the read-only views of the API schema (named like the tables, so
// that package sqlstore's SQL reads them unchanged). Actions run as one
// CALL of an API procedure in the acting person's own caller's-rights
// session: the procedure, owned by SIGNOFF_OWNER, enforces every rule and
// takes the person and their roles from that session. The service role
// itself can neither write a table nor act for anyone.
type Store struct {
	reads     *sqlstore.Store
	db        *sql.DB
	callers   CallerOpener
	apiSchema string // SIGNOFF.API
	api       procedures
}

var _ signoff.Engine = (*Store)(nil)

// Open connects the service user's pool. The OAuth token is read from
// cfg.TokenFile on every new connection, so a token SPCS rotated is picked up;
// idle connections are recycled well before the master token's 4-hour limit.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("snowflake: %w", err)
	}
	db := sql.OpenDB(sf.NewConnector(sf.SnowflakeDriver{}, serviceConfig(cfg)))
	// As many idle as open: a pool that drops connections under load logs in
	// again (a Snowflake login each) as soon as the load returns.
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)
	db.SetConnMaxIdleTime(30 * time.Minute)
	db.SetConnMaxLifetime(3 * time.Hour) // the master token lasts about 4 h (error 390114)
	return New(db, CallerSessions(cfg), cfg.Database+"."+cfg.Schema, sqlstore.Options{CatalogTTL: cfg.CatalogTTL}), nil
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
		Params: map[string]*string{"QUERY_TAG": &tag},
		//lint:ignore SA1019 v1.19.1 has no session parameter to replace it yet, and without it the driver posts telemetry.
		DisableTelemetry: true, // no telemetry requests beyond the statements themselves
	}
}

// New returns a Store over db, an open pool to the service user's session
// whose schema is the API schema (tests pass a go-sqlmock database), with
// callers opening caller's-rights sessions, api the API schema's qualified
// name (SIGNOFF.API), and o the reads' options (how long catalog metadata
// is kept).
func New(db *sql.DB, callers CallerOpener, api string, o sqlstore.Options) *Store {
	o.DigestsFromJSON = DigestsFromJSON
	return &Store{db: db, callers: callers, apiSchema: api, api: newProcedures(api),
		reads: sqlstore.New("snowflake", db, translate, o)}
}

// DigestsFromJSON reads the digests the verifier is given, bound as a JSON
// array (sqlstore.Options.DigestsFromJSON), with FLATTEN
// (DOCS/sql-reference/functions/flatten).
const DigestsFromJSON = `SELECT value:seq::NUMBER AS seq, value:hash::VARCHAR AS hash
  FROM TABLE(FLATTEN(INPUT => PARSE_JSON(?)))`

// Anchor is where the service keeps the audit log's digests (see Anchor);
// service names it, database.schema.name, and stderr is the container's
// standard error.
func (s *Store) Anchor(service string, stderr io.Writer) *Anchor {
	return NewAnchor(s.db, service, stderr)
}

// Reads are the page reads, on the service user's pool.
func (s *Store) Reads() *sqlstore.Store { return s.reads }

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

// procedures are the CALL statements of the API procedures
// (sql/snowflake/03_api.sql), qualified with the API schema.
type procedures struct {
	submit, decide, withdraw, retry, revoke, resubmit, digest, save, managers, policy, describe string
}

func newProcedures(api string) procedures {
	call := func(name string, n int) string {
		return "CALL " + api + "." + name + "(" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")"
	}
	return procedures{
		submit:   call("SUBMIT_REQUEST", 7),    // PRODUCT_ID, REASON, DURATION_DAYS, EXTENDS_ID, REQUEST_ID, EVENT_IDS, DRY_RUN
		decide:   call("DECIDE_STEP", 8),       // REQUEST_ID, STEP_NO, DECISION, COMMENT_TEXT, ACTING_AS, APPROVE_DAYS, EVENT_IDS, DRY_RUN
		withdraw: call("WITHDRAW_REQUEST", 3),  // REQUEST_ID, EVENT_IDS, DRY_RUN
		retry:    call("RETRY_GRANT", 3),       // REQUEST_ID, EVENT_IDS, DRY_RUN
		revoke:   call("REVOKE_ACCESS", 4),     // REQUEST_ID, REASON, EVENT_IDS, DRY_RUN
		resubmit: call("RESUBMIT_REQUEST", 5),  // REQUEST_ID, ANSWER, REASON, EVENT_IDS, DRY_RUN
		digest:   call("SET_NOTIFY_DIGEST", 1), // DAILY
		save:     call("SAVE_PRODUCT", 5),      // DEFINITION, CREATE_NEW, READ_VERSION, EVENT_IDS, DRY_RUN
		policy:   call("SET_CHAIN_POLICY", 3),  // RULES, EVENT_IDS, DRY_RUN
		describe: call("DESCRIBE_OBJECT", 1),   // OBJECT_NAME
		// ENTRIES: the app binds them as JSON text (a bind is text or a
		// number, never an array), which the argument's expression parses
		// (DOCS/sql-reference/sql/call: an argument is a general expression).
		managers: "CALL " + api + ".SET_MANAGERS(PARSE_JSON(?)::ARRAY)",
	}
}

// ProcedureCalls lists the CALL statements of the API procedures the app
// runs, with the API schema api (SIGNOFF.API): what its caller grants must
// allow (sql/snowflake_privileges_test.go derives them from this list).
func ProcedureCalls(api string) []string {
	p, r := newProcedures(api), newReviewCalls(api)
	return []string{p.submit, p.decide, p.withdraw, p.retry, p.revoke, p.resubmit, p.digest, r.start, r.decide, p.save, p.managers,
		p.policy, p.describe}
}

// Submit files a request: SUBMIT_REQUEST in the requester's own session.
func (s *Store) Submit(ctx context.Context, actor signoff.Identity, c signoff.SubmitCall) (signoff.Outcome, error) {
	return s.call(ctx, "submit", actor, s.api.submit, c.ProductID, c.Reason, c.Days, c.Extends, c.RequestID,
		ids(c.EventIDs), c.DryRun)
}

// Decide records a decision: DECIDE_STEP in the approver's own session, which
// also runs the grant after a final approval.
func (s *Store) Decide(ctx context.Context, actor signoff.Identity, c signoff.DecideCall) (signoff.Outcome, error) {
	return s.call(ctx, "decide", actor, s.api.decide, c.RequestID, c.Step, string(c.Decision), c.Comment, c.ActingAs,
		c.Days, ids(c.EventIDs), c.DryRun)
}

// Resubmit answers an approver's question: RESUBMIT_REQUEST in the
// requester's own session.
func (s *Store) Resubmit(ctx context.Context, actor signoff.Identity, c signoff.ResubmitCall) (signoff.Outcome, error) {
	return s.call(ctx, "resubmit", actor, s.api.resubmit, c.RequestID, c.Answer, c.Reason, ids(c.EventIDs), c.DryRun)
}

// Withdraw withdraws a pending request: WITHDRAW_REQUEST in the requester's session.
func (s *Store) Withdraw(ctx context.Context, actor signoff.Identity, c signoff.WithdrawCall) (signoff.Outcome, error) {
	return s.call(ctx, "withdraw", actor, s.api.withdraw, c.RequestID, ids(c.EventIDs), c.DryRun)
}

// RetryGrant runs a grant again: RETRY_GRANT in the admin's session.
func (s *Store) RetryGrant(ctx context.Context, actor signoff.Identity, c signoff.RetryCall) (signoff.Outcome, error) {
	return s.call(ctx, "retry grant", actor, s.api.retry, c.RequestID, ids(c.EventIDs), c.DryRun)
}

// Revoke takes access back: REVOKE_ACCESS in the admin's or owner's session.
func (s *Store) Revoke(ctx context.Context, actor signoff.Identity, c signoff.RevokeCall) (signoff.Outcome, error) {
	return s.call(ctx, "revoke", actor, s.api.revoke, c.RequestID, c.Reason, ids(c.EventIDs), c.DryRun)
}

// ids joins an action's event IDs as the procedures take them.
func ids(list []string) string { return strings.Join(list, ",") }

// errNoCredential means an action reached the engine without the caller
// token it must act with: a wiring error, never a visitor's.
var errNoCredential = errors.New("no caller token to act with")

// call runs one API procedure in actor's own caller's-rights session and
// reads its envelope. The session is opened for this call and closed after
// it: a session is never shared between people or reused.
func (s *Store) call(ctx context.Context, name string, actor signoff.Identity, query string, args ...any) (signoff.Outcome, error) {
	raw, err := s.callRaw(ctx, name, actor, query, args...)
	if err != nil {
		return signoff.Outcome{}, err
	}
	o, err := parseEnvelope(raw)
	if err != nil {
		return signoff.Outcome{}, fmt.Errorf("snowflake: %s: %w", name, err)
	}
	return o, nil
}

// callRaw runs one API procedure in actor's own caller's-rights session, as
// call does, and returns its answer unread: for a procedure whose data is
// not an Outcome's (DESCRIBE_OBJECT). The session is opened for this call
// and closed after it.
func (s *Store) callRaw(ctx context.Context, name string, actor signoff.Identity, query string, args ...any) (string, error) {
	if actor.Credential == "" {
		return "", fmt.Errorf("snowflake: %s: %w", name, errNoCredential)
	}
	db, err := s.callers(ctx, actor.Credential)
	if err != nil {
		return "", fmt.Errorf("snowflake: %s: caller session: %w", name, callerError(err))
	}
	defer db.Close()
	var raw sql.NullString
	if err := db.QueryRowContext(ctx, query, args...).Scan(&raw); err != nil {
		return "", fmt.Errorf("snowflake: %s: %w", name, callerError(err))
	}
	return raw.String, nil
}

// Envelope is the answer of every API procedure: ok, a code (signoff.Code),
// a message for people who call the procedures with SQL, and data, whose
// keys are those of signoff.Outcome (Snowflake may upper-case them;
// encoding/json matches keys case-insensitively).
type Envelope struct {
	OK      bool            `json:"ok"`
	Code    signoff.Code    `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
}

// readEnvelope reads a procedure's VARIANT answer as an Envelope, which
// must have a code.
func readEnvelope(raw string) (Envelope, error) {
	var env Envelope
	if err := json.Unmarshal([]byte(raw), &env); err != nil {
		return Envelope{}, fmt.Errorf("the procedure's answer is not an envelope: %w", err)
	}
	if env.Code == "" {
		return Envelope{}, fmt.Errorf("the procedure's answer has no code: %.200q", raw)
	}
	return env, nil
}

// parseEnvelope reads a procedure's VARIANT answer as an Outcome.
func parseEnvelope(raw string) (signoff.Outcome, error) {
	env, err := readEnvelope(raw)
	if err != nil {
		return signoff.Outcome{}, err
	}
	var o signoff.Outcome
	if len(env.Data) > 0 && string(env.Data) != "null" {
		if err := json.Unmarshal(env.Data, &o); err != nil {
			return signoff.Outcome{}, fmt.Errorf("the procedure's data: %w", err)
		}
	}
	o.Code = env.Code
	if env.OK != o.OK() {
		return signoff.Outcome{}, fmt.Errorf("the procedure's answer says ok=%t with code %s", env.OK, env.Code)
	}
	return o, nil
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
	case 625, 604: // a deadlock victim's statement / a cancelled statement: a competing change
		return signoff.ErrConflict
	case 630: // the statement timed out (STATEMENT_TIMEOUT_IN_SECONDS): Snowflake is slow, not contended
		return signoff.ErrUnavailable
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
