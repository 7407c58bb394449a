package snowflake

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	sf "github.com/snowflakedb/gosnowflake"

	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlstore"
)

// The ingress headers SPCS adds to every request on a public endpoint; with
// executeAsCaller the second one carries the visitor's caller token.
const (
	HeaderUser  = "Sf-Context-Current-User"
	HeaderToken = "Sf-Context-Current-User-Token"
)

// maxTokenLength bounds the caller token header; real tokens are far shorter.
const maxTokenLength = 8 << 10

// CallerOpener opens a caller's-rights session for a visitor's caller token.
// Each call must return a new session that nobody else uses; the caller
// closes it.
type CallerOpener func(ctx context.Context, callerToken string) (*sql.DB, error)

// Identities establishes who a visitor is by asking Snowflake in the
// visitor's own caller's-rights session: CURRENT_USER() and
// IS_ROLE_IN_SESSION() for every role that matters to Signoff, in one
// statement. Page views reuse the answer while it is fresh; actions always
// ask again in a new session.
type Identities struct {
	open  CallerOpener
	roles func(ctx context.Context) ([]string, error) // the roles that matter
	ttl   time.Duration
	now   func() time.Time

	mu    sync.Mutex
	cache map[[32]byte]cachedIdentity
}

type cachedIdentity struct {
	id      signoff.Identity
	expires time.Time
}

// maxCached bounds the identity cache; past it, expired entries are dropped
// and, if still full, the cache starts over.
const maxCached = 10_000

// NewIdentities returns an Identities. roles lists the roles worth checking
// (approver, owner and access roles, plus Signoff's admin and auditor);
// ttl is how long a page view may reuse an answer for the same caller token.
func NewIdentities(open CallerOpener, roles func(ctx context.Context) ([]string, error), ttl time.Duration) *Identities {
	return &Identities{open: open, roles: roles, ttl: ttl, now: time.Now, cache: map[[32]byte]cachedIdentity{}}
}

// Identify returns the visitor's identity for r. Missing or malformed ingress
// headers are ErrUnauthenticated. GET and HEAD may use a cached answer;
// every other method (every state change) checks afresh.
func (ids *Identities) Identify(r *http.Request) (signoff.Identity, error) {
	user := r.Header.Get(HeaderUser)
	token := r.Header.Get(HeaderToken)
	if user == "" || token == "" {
		return signoff.Identity{}, signoff.Errorf(signoff.ErrUnauthenticated,
			"Signoff did not receive your Snowflake identity. Open it through its Snowflake endpoint URL, "+
				"signed in to Snowflake, with a role that holds the service role.")
	}
	if !signoff.ValidIdentifier(user) || !validToken(token) {
		return signoff.Identity{}, signoff.Errorf(signoff.ErrUnauthenticated,
			"Signoff received a malformed Snowflake identity. Sign in to Snowflake again and reload the page.")
	}
	key := sha256.Sum256([]byte(token))
	// Page views may reuse a fresh answer; actions never do. Every answer,
	// an action's included, is stored: it is as fresh as any.
	if ids.ttl > 0 && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		if id, ok := ids.cached(key); ok && strings.EqualFold(id.User, user) {
			return id, nil
		}
	}
	id, err := ids.lookup(r.Context(), token)
	if err != nil {
		return signoff.Identity{}, err
	}
	if !strings.EqualFold(id.User, user) {
		return signoff.Identity{}, signoff.Errorf(signoff.ErrUnauthenticated,
			"Your Snowflake session does not match the user the request names. Sign in to Snowflake again.")
	}
	if ids.ttl > 0 {
		ids.store(key, id)
	}
	return id, nil
}

// callerError translates an error of the caller session. A caller token
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

// validToken accepts printable ASCII without spaces, within a length bound.
func validToken(t string) bool {
	if len(t) > maxTokenLength {
		return false
	}
	for i := 0; i < len(t); i++ {
		if t[i] <= ' ' || t[i] > '~' {
			return false
		}
	}
	return true
}

// IdentityQuery is the one statement a caller session runs: the user and,
// for each role that matters, whether it is in the session (primary or
// secondary, inherited roles included).
func IdentityQuery(nRoles int) string {
	var b strings.Builder
	b.WriteString("SELECT CURRENT_USER()")
	for range nRoles {
		b.WriteString(", IS_ROLE_IN_SESSION(?)")
	}
	return b.String()
}

// lookup asks Snowflake in a new caller's-rights session.
func (ids *Identities) lookup(ctx context.Context, token string) (signoff.Identity, error) {
	roles, err := ids.roles(ctx)
	if err != nil {
		return signoff.Identity{}, fmt.Errorf("snowflake: identity: roles that matter: %w", err)
	}
	roles = slices.DeleteFunc(slices.Clone(roles), func(r string) bool { return !signoff.ValidIdentifier(r) })
	db, err := ids.open(ctx, token)
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
	for i, r := range roles {
		if held[i].Valid && held[i].Bool {
			inSession = append(inSession, r)
		}
	}
	return signoff.NewIdentity(user, inSession), nil
}

func (ids *Identities) cached(key [32]byte) (signoff.Identity, bool) {
	ids.mu.Lock()
	defer ids.mu.Unlock()
	c, ok := ids.cache[key]
	if !ok || !ids.now().Before(c.expires) {
		return signoff.Identity{}, false
	}
	return c.id, true
}

func (ids *Identities) store(key [32]byte, id signoff.Identity) {
	ids.mu.Lock()
	defer ids.mu.Unlock()
	now := ids.now()
	if len(ids.cache) >= maxCached {
		for k, c := range ids.cache {
			if !now.Before(c.expires) {
				delete(ids.cache, k)
			}
		}
		if len(ids.cache) >= maxCached {
			clear(ids.cache)
		}
	}
	ids.cache[key] = cachedIdentity{id: id, expires: now.Add(ids.ttl)}
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
// session. No warehouse or schema: the identity statement needs neither,
// and the session may not change role.
func callerConfig(cfg Config, token string) sf.Config {
	tag := cfg.QueryTag
	if tag == "" {
		tag = "signoff"
	}
	tag += ":identity"
	return sf.Config{
		Authenticator: sf.AuthTypeOAuth, Token: token,
		Account: cfg.Account, Host: cfg.Host, Port: cfg.Port, Protocol: cfg.Protocol,
		Params:           map[string]*string{"QUERY_TAG": &tag},
		DisableTelemetry: true,
	}
}

// RolesThatMatter lists the roles worth checking in a visitor's session:
// every approver, owner and access role, plus Signoff's admin and auditor.
const RolesThatMatter = `
SELECT approver_role FROM approval_chain
UNION SELECT owner_role FROM data_product
UNION SELECT access_role FROM data_product`

// RolesThatMatter returns the roles worth checking, read on the service
// connection and reused for ttl. A stale list can only leave a brand-new
// role out for a while, which refuses rather than allows.
func (s *Store) RolesThatMatter(ttl time.Duration) func(ctx context.Context) ([]string, error) {
	c := &ttlList{ttl: ttl, read: func(ctx context.Context) ([]string, error) {
		roles, err := s.strings(ctx, RolesThatMatter)
		if err != nil {
			return nil, err
		}
		roles = append(roles, signoff.RoleAdmin, signoff.RoleAuditor)
		slices.Sort(roles)
		return slices.Compact(roles), nil
	}}
	return c.get
}

// ttlList is a list read from Snowflake and reused for ttl. It caches
// catalog metadata only, never anything about a visitor.
type ttlList struct {
	ttl  time.Duration
	read func(ctx context.Context) ([]string, error)

	mu     sync.Mutex
	list   []string
	readAt time.Time
}

func (c *ttlList) get(ctx context.Context) ([]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.list != nil && time.Since(c.readAt) < c.ttl {
		return c.list, nil
	}
	list, err := c.read(ctx)
	if err != nil {
		return nil, err
	}
	if list == nil {
		list = []string{}
	}
	c.list, c.readAt = list, time.Now()
	return list, nil
}

// strings runs a query returning one text column on the service connection.
func (s *Store) strings(ctx context.Context, query string, args ...any) ([]string, error) {
	out, err := sqlstore.Strings(ctx, s.db, query, args...)
	return out, translate(err)
}
