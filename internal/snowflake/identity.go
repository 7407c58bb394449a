package snowflake

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	sf "github.com/snowflakedb/gosnowflake"

	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlstore"
)

// CallerOpener opens a caller's-rights session for a visitor's caller token.
// Each call must return a new session that nobody else uses; the caller
// closes it.
type CallerOpener func(ctx context.Context, callerToken string) (*sql.DB, error)

// Identities establishes who a visitor is by asking Snowflake in the
// visitor's own caller's-rights session: CURRENT_USER() and
// IS_ROLE_IN_SESSION() for every role that matters to Signoff, in one
// statement. The HTTP layer decides when to ask (internal/server reads the
// ingress headers and keeps a signed, short-lived copy of the answer).
type Identities struct {
	open  CallerOpener
	roles func(ctx context.Context) (Roles, error) // the roles that matter
}

// Roles are the roles that matter to Signoff: those worth checking in a
// visitor's session (approver, owner and access roles, plus Signoff's admin
// and auditor), and which of them key an approval step.
type Roles struct {
	All       []string // sorted, no duplicates
	Approvers []string // sorted, no duplicates; each also in All
}

// NewIdentities returns an Identities. roles says which roles to check.
func NewIdentities(open CallerOpener, roles func(ctx context.Context) (Roles, error)) *Identities {
	return &Identities{open: open, roles: roles}
}

// Identify opens a caller's-rights session with callerToken and returns the
// user Snowflake says it belongs to, with the roles that matter in their
// session, and whether one of those keys an approval step. A token
// Snowflake refuses is ErrUnauthenticated. The identity carries no
// credential: the caller sets it from the request.
func (ids *Identities) Identify(ctx context.Context, callerToken string) (signoff.Identity, error) {
	matter, err := ids.roles(ctx)
	if err != nil {
		return signoff.Identity{}, fmt.Errorf("snowflake: identity: roles that matter: %w", err)
	}
	roles := slices.DeleteFunc(slices.Clone(matter.All), func(r string) bool { return !signoff.ValidIdentifier(r) })
	db, err := ids.open(ctx, callerToken)
	if err != nil {
		return signoff.Identity{}, fmt.Errorf("snowflake: caller session: %w", callerError(err))
	}
	defer db.Close() // ends the session: caller sessions are never reused or shared

	args := make([]any, len(roles))
	dest := make([]any, len(roles)+1)
	var user string
	dest[0] = &user
	held := make([]sql.NullBool, len(roles))
	for i, r := range roles {
		args[i] = r
		dest[i+1] = &held[i]
	}
	if err := db.QueryRowContext(ctx, IdentityQuery(len(roles)), args...).Scan(dest...); err != nil {
		return signoff.Identity{}, fmt.Errorf("snowflake: identity: %w", callerError(err))
	}
	var inSession []string
	approver := false
	for i, r := range roles {
		if held[i].Valid && held[i].Bool {
			inSession = append(inSession, r)
			approver = approver || slices.Contains(matter.Approvers, r)
		}
	}
	id := signoff.NewIdentity(user, inSession)
	id.Approver = approver
	return id, nil
}

// callerError translates an error of a caller session. A caller token
// Snowflake refuses (invalid or expired: 390303, 390318) means the visitor
// must sign in again (401), not that Snowflake is down.
func callerError(err error) error {
	var se *sf.SnowflakeError
	if errors.As(err, &se) && (se.Number == 390303 || se.Number == 390318) {
		return fmt.Errorf("%w: snowflake error %d (query %s): %w", &signoff.Error{Kind: signoff.ErrUnauthenticated,
			Message: "Your Snowflake session has expired. Reload the page, signing in to Snowflake again if asked."},
			se.Number, se.QueryID, err)
	}
	return translate(err)
}

// IdentityQuery is the statement a caller session runs to say who the
// visitor is: the user and, for each role that matters, whether it is in
// the session (primary or secondary, inherited roles included).
func IdentityQuery(nRoles int) string {
	var b strings.Builder
	b.WriteString("SELECT CURRENT_USER()")
	for range nRoles {
		b.WriteString(", IS_ROLE_IN_SESSION(?)")
	}
	return b.String()
}

// CallerSessions returns the CallerOpener for cfg: each session logs in with
// the service user's current token and the visitor's caller token joined by
// a dot (Snowflake's caller's-rights login), through a connector of its own.
func CallerSessions(cfg Config) CallerOpener {
	return func(ctx context.Context, callerToken string) (*sql.DB, error) {
		svc, err := os.ReadFile(cfg.TokenFile) // re-read: SPCS rotates it every few minutes
		if err != nil {
			return nil, fmt.Errorf("service token: %w", err)
		}
		c := callerConfig(cfg, strings.TrimSpace(string(svc))+"."+callerToken)
		db := sql.OpenDB(sf.NewConnector(sf.SnowflakeDriver{}, c))
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		return db, nil
	}
}

// callerConfig is the gosnowflake configuration of one caller's-rights
// session. It names the warehouse, because the API procedures run their
// statements on the caller's warehouse (a caller's session otherwise has
// the user's default one, or none); no database or schema, because every
// statement names its objects in full. The session keeps the user's
// default role and secondary roles: a caller session cannot change role.
func callerConfig(cfg Config, token string) sf.Config {
	tag := cfg.QueryTag
	if tag == "" {
		tag = "signoff"
	}
	tag += ":caller"
	return sf.Config{
		Authenticator: sf.AuthTypeOAuth, Token: token,
		Account: cfg.Account, Host: cfg.Host, Port: cfg.Port, Protocol: cfg.Protocol,
		Warehouse: cfg.Warehouse,
		Params:    map[string]*string{"QUERY_TAG": &tag},
		//lint:ignore SA1019 v1.19.1 has no session parameter to replace it yet, and without it the driver posts telemetry.
		DisableTelemetry: true,
	}
}

// RolesThatMatter lists the roles worth checking in a visitor's session:
// every approver, owner and access role (Signoff's admin and auditor are
// added in Go), each marked whether it keys an approval step, so that the
// identity says whether the visitor has an approvals queue at no statement
// of its own. A role that is both is listed twice, once marked.
const RolesThatMatter = `
SELECT approver_role AS role_name, TRUE AS approves FROM approval_chain
UNION SELECT fallback_role, TRUE FROM approval_chain WHERE fallback_role IS NOT NULL
UNION SELECT approver_role, TRUE FROM chain_policy
UNION SELECT fallback_role, TRUE FROM chain_policy WHERE fallback_role IS NOT NULL
UNION SELECT fallback_role, TRUE FROM data_product WHERE fallback_role IS NOT NULL
UNION SELECT owner_role, FALSE FROM data_product
UNION SELECT access_role, FALSE FROM data_product`

// RolesThatMatter returns the roles worth checking, read on the service
// connection and kept for ttl. A stale list can only leave a brand-new role
// out for a while, which refuses rather than allows.
func (s *Store) RolesThatMatter(ttl time.Duration) func(ctx context.Context) (Roles, error) {
	c := sqlstore.NewTTLCache[Roles](ttl, nil)
	return func(ctx context.Context) (Roles, error) { return c.Get(ctx, s.readRolesThatMatter) }
}

// readRolesThatMatter reads the roles worth checking.
func (s *Store) readRolesThatMatter(ctx context.Context) (Roles, error) {
	all, approvers, err := sqlstore.StringsMarked(ctx, s.db, RolesThatMatter)
	if err != nil {
		return Roles{}, translate(err)
	}
	all = append(all, signoff.RoleAdmin, signoff.RoleAuditor)
	slices.Sort(all)
	return Roles{All: slices.Compact(all), Approvers: approvers}, nil
}
