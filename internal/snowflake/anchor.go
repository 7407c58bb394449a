package snowflake

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/signoff/signoff/internal/signoff"
)

// Anchor keeps the audit log's digests where the people who can write
// Signoff's tables (holders of SIGNOFF_OWNER, and admins who can grant it to
// themselves) cannot change them, in two places:
//
//   - the text of a query the service runs: SELECT '<digest line>'. Every
//     query lands in SNOWFLAKE.ACCOUNT_USAGE.QUERY_HISTORY, in the read-only
//     SNOWFLAKE database, for 365 days (DOCS/sql-reference/account-usage/
//     query_history, DOCS/sql-reference/snowflake-db): no role in the
//     account can delete it. The service reads its own last 7 days back with
//     INFORMATION_SCHEMA.QUERY_HISTORY_BY_USER, which needs no grant
//     (DOCS/sql-reference/functions/query_history).
//   - a plain-text line on the container's standard error, which Snowpark
//     Container Services collects into the account's event table
//     (DOCS/developer-guide/snowpark-container-services/monitoring-services);
//     only ACCOUNTADMIN and holders of SNOWFLAKE.EVENTS_ADMIN may delete
//     from it. The service reads it back with its SPCS_GET_LOGS function
//     (DOCS/sql-reference/functions/spcs_get_logs). Plain text, not JSON: a
//     JSON line may set its own timestamp.
//
// docs/snowflake.md says who can defeat which, and what an auditor runs
// (sql/snowflake/05_verify_audit.sql reads ACCOUNT_USAGE, which the service
// may not).
type Anchor struct {
	db      *sql.DB
	service string // the service, database.schema.name, whose logs hold the lines
	stderr  io.Writer

	mu    sync.Mutex
	last  signoff.Digest // the newest digest this process kept or read
	known bool
}

var _ signoff.Anchor = (*Anchor)(nil)

// NewAnchor returns the anchor of the service named service (database.schema.name),
// which writes its log lines to stderr.
func NewAnchor(db *sql.DB, service string, stderr io.Writer) *Anchor {
	return &Anchor{db: db, service: service, stderr: stderr}
}

// Where says where the digests are kept.
func (a *Anchor) Where() string {
	return "Snowflake's query history and the event table (service " + a.service + ")"
}

// digestLine is a digest line as Keep writes it: nothing in it needs quoting.
var digestLine = regexp.MustCompile(`^SIGNOFF-DIGEST v1 n=[1-9][0-9]* h=[0-9a-f]{64} t=[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$`)

// AnchorQuery is the statement that records d in the query history. The
// digest is written into the statement's text, not bound: the text is what
// QUERY_HISTORY keeps. It is built only from a position, a hexadecimal
// hash and a time, checked against digestLine.
func AnchorQuery(d signoff.Digest) (string, error) {
	line := d.Line()
	if !digestLine.MatchString(line) {
		return "", fmt.Errorf("anchor: %q is not a digest line", line)
	}
	return "SELECT '" + line + "' AS SIGNOFF_DIGEST", nil
}

// QueryHistoryDigests reads the digest lines of the service's own queries of
// the last 7 days (QUERY_HISTORY_BY_USER returns the current user's), newest
// first.
const QueryHistoryDigests = `SELECT query_text
  FROM TABLE(INFORMATION_SCHEMA.QUERY_HISTORY_BY_USER(RESULT_LIMIT => 10000))
 WHERE execution_status = 'SUCCESS' AND STARTSWITH(query_text, 'SELECT ''SIGNOFF-DIGEST v1 ')
 ORDER BY start_time DESC`

// logDigestDays is how far back the app reads its logs for digests: as far
// as the query history an auditor reads.
const logDigestDays = 365

// LogDigests reads the digest lines the service wrote to its logs, from
// the event table, over the last logDigestDays days.
func LogDigests(service string) string {
	return fmt.Sprintf(`SELECT log::VARCHAR
  FROM TABLE(%s!SPCS_GET_LOGS(START_TIME => DATEADD('day', -%d, CURRENT_TIMESTAMP())))
 WHERE STARTSWITH(log::VARCHAR, 'SIGNOFF-DIGEST v1 ')`, service, logDigestDays)
}

// digestFields matches a digest line in SQL, capturing its position (group
// 1) and hash (group 2), which REGEXP_SUBSTR with the 'e' parameter and a
// group number extracts (DOCS/sql-reference/functions/regexp_substr); like
// ParseDigestLine, it reads only a well-formed line.
const digestFields = `SIGNOFF-DIGEST v1 n=([1-9][0-9]*) h=([0-9a-f]{64}) t=`

// AuditorDigests is the digest source of sql/snowflake/05_verify_audit.sql:
// rows (seq, hash) of every digest the service of the given name
// (database.schema.name) kept in the last 365 days, read where an auditor
// can read them and nobody in the account can delete them. The query
// history is ACCOUNT_USAGE's (365 days, up to 45 minutes late,
// DOCS/sql-reference/account-usage/query_history), filtered to queries the
// service user ran (user_type SNOWFLAKE_SERVICE,
// DOCS/developer-guide/snowpark-container-services/spcs-execute-sql) as
// SIGNOFF_APP, the service's owner role; the log lines are the service's
// own (SPCS_GET_LOGS, which needs MONITOR on the service). A digest anyone
// else forged could only disagree with the log, which the verifier reports;
// it can never hide a change.
func AuditorDigests(service string) string {
	field := func(group int) string {
		return fmt.Sprintf("REGEXP_SUBSTR(line, '%s', 1, 1, 'e', %d)", digestFields, group)
	}
	return fmt.Sprintf(`
    SELECT %s::NUMBER AS seq, %s AS hash
      FROM (SELECT query_text AS line
              FROM SNOWFLAKE.ACCOUNT_USAGE.QUERY_HISTORY
             WHERE user_type = 'SNOWFLAKE_SERVICE' AND role_name = 'SIGNOFF_APP'
               AND execution_status = 'SUCCESS' AND STARTSWITH(query_text, 'SELECT ''SIGNOFF-DIGEST v1 ')
            UNION ALL
            SELECT log::VARCHAR
              FROM TABLE(%s!SPCS_GET_LOGS(START_TIME => DATEADD('day', -%d, CURRENT_TIMESTAMP())))
             WHERE STARTSWITH(log::VARCHAR, 'SIGNOFF-DIGEST v1 '))
     WHERE %s IS NOT NULL
     GROUP BY 1, 2
`, field(1), field(2), service, logDigestDays, field(1))
}

// Keep records d in both places.
func (a *Anchor) Keep(ctx context.Context, d signoff.Digest) error {
	query, err := AnchorQuery(d)
	if err != nil {
		return err
	}
	rows, err := a.db.QueryContext(ctx, query)
	if err != nil {
		return fmt.Errorf("anchor: %w", translate(err))
	}
	rows.Close()
	if _, err := fmt.Fprintln(a.stderr, d.Line()); err != nil {
		return fmt.Errorf("anchor: standard error: %w", err)
	}
	a.mu.Lock()
	a.last, a.known = d, true
	a.mu.Unlock()
	return nil
}

// Last returns the newest digest this process kept, or else the newest in
// the service's query history of the last 7 days.
func (a *Anchor) Last(ctx context.Context) (signoff.Digest, bool, error) {
	a.mu.Lock()
	last, known := a.last, a.known
	a.mu.Unlock()
	if known {
		return last, true, nil
	}
	ds, err := a.lines(ctx, QueryHistoryDigests)
	if err != nil || len(ds) == 0 {
		return signoff.Digest{}, false, err
	}
	newest := newestDigest(ds)
	a.mu.Lock()
	a.last, a.known = newest, true
	a.mu.Unlock()
	return newest, true, nil
}

// newestDigest is the digest of ds taken last; ds must not be empty.
func newestDigest(ds []signoff.Digest) signoff.Digest {
	return slices.MaxFunc(ds, func(x, y signoff.Digest) int { return x.Taken.Compare(y.Taken) })
}

// Digests returns the digests in the query history of the last 7 days and
// in the event table, once each, by position.
func (a *Anchor) Digests(ctx context.Context) ([]signoff.Digest, error) {
	var all []signoff.Digest
	for _, q := range []string{QueryHistoryDigests, LogDigests(a.service)} {
		ds, err := a.lines(ctx, q)
		if err != nil {
			return nil, err
		}
		all = append(all, ds...)
	}
	slices.SortFunc(all, func(x, y signoff.Digest) int {
		if x.Seq != y.Seq {
			return x.Seq - y.Seq
		}
		return x.Taken.Compare(y.Taken)
	})
	return slices.CompactFunc(all, func(x, y signoff.Digest) bool { return x == y }), nil
}

// lines reads the digests of query (digestLines) on the anchor's connection.
func (a *Anchor) lines(ctx context.Context, query string) ([]signoff.Digest, error) {
	ds, err := digestLines(ctx, a.db, query)
	if err != nil {
		return nil, fmt.Errorf("anchor: %w", err)
	}
	return ds, nil
}

// digestLines runs query (QueryHistoryDigests, LogDigests), which returns
// one text column of digest lines, on db, and reads them. A line that does
// not parse is skipped: anyone may run a query that starts like a digest,
// and what it claims could only ever disagree with the log, which the
// verifier reports; a malformed one proves nothing. The anchor and the
// preflight (Doctor) both read the digests with it.
func digestLines(ctx context.Context, db *sql.DB, query string) ([]signoff.Digest, error) {
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []signoff.Digest
	for rows.Next() {
		var text sql.NullString
		if err := rows.Scan(&text); err != nil {
			return nil, err
		}
		if d, err := signoff.ParseDigestLine(strings.TrimSpace(text.String)); err == nil {
			out = append(out, d)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err)
	}
	return out, nil
}
