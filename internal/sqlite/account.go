package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlstore"
)

// rolesInSession is IS_ROLE_IN_SESSION for every role at once: the roles
// granted to the user, plus everything they inherit through role-to-role
// grants, plus PUBLIC, which every Snowflake session holds. It follows
// Snowflake's caller's-rights session with DEFAULT_SECONDARY_ROLES = ('ALL').
// PUBLIC comes only with an existing user, so no rows means no such user:
// one statement per page answers both questions, and a third: whether each
// role keys an approval step or may decide one that escalates to it (the
// viewer has an approvals queue).
const rolesInSession = `
WITH RECURSIVE in_session (role_name) AS (
    SELECT role_name FROM local_user_role WHERE user_name = ?1
    UNION
    SELECT g.role_name FROM local_role_grant g JOIN in_session s ON g.grantee_role = s.role_name
), held (role_name) AS (
    SELECT role_name FROM in_session
    UNION SELECT 'PUBLIC' FROM local_user WHERE user_name = ?1
)
SELECT role_name, EXISTS (SELECT 1 FROM approval_chain c WHERE c.approver_role = held.role_name
                                                          OR c.fallback_role = held.role_name)
                  OR EXISTS (SELECT 1 FROM chain_policy c WHERE c.approver_role = held.role_name
                                                           OR c.fallback_role = held.role_name)
                  OR EXISTS (SELECT 1 FROM data_product p WHERE p.fallback_role = held.role_name)
FROM held ORDER BY 1`

// Identify returns user's identity in the local account: the user and the
// roles in their session. It returns ErrUnauthenticated if there is no such
// user.
func (s *Store) Identify(ctx context.Context, user string) (signoff.Identity, error) {
	if !signoff.ValidUserName(user) {
		return signoff.Identity{}, fmt.Errorf("sqlite: identify %q: %w", user, signoff.ErrUnauthenticated)
	}
	roles, approves, err := sqlstore.StringsMarked(ctx, s.prep, rolesInSession, user)
	if err != nil {
		return signoff.Identity{}, fmt.Errorf("sqlite: identify %s: %w", user, translate(err))
	}
	if !slices.Contains(roles, "PUBLIC") {
		return signoff.Identity{}, fmt.Errorf("sqlite: identify %s: %w", user, signoff.ErrUnauthenticated)
	}
	id := signoff.NewIdentity(user, roles)
	id.Approver = len(approves) > 0
	return id, nil
}

// Personas returns the local account's users with their directly granted
// roles, for the sign-in page.
func (s *Store) Personas(ctx context.Context) ([]signoff.Persona, error) {
	rows, err := s.db.QueryContext(ctx, `
		SELECT u.user_name, u.display_name, u.title, COALESCE(r.role_name, '')
		FROM local_user u LEFT JOIN local_user_role r ON r.user_name = u.user_name
		ORDER BY u.rowid, r.role_name`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: personas: %w", translate(err))
	}
	defer rows.Close()
	var out []signoff.Persona
	for rows.Next() {
		var p signoff.Persona
		var role string
		if err := rows.Scan(&p.User, &p.Name, &p.Title, &role); err != nil {
			return nil, fmt.Errorf("sqlite: personas: %w", err)
		}
		if n := len(out); n == 0 || out[n-1].User != p.User {
			out = append(out, p)
		}
		if role != "" {
			last := &out[len(out)-1]
			last.Roles = append(last.Roles, role)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: personas: %w", translate(err))
	}
	return out, nil
}

// StartSession records that user signed in with the session id, which is
// valid until expires. Sessions that expired before now are deleted on the
// way, so the table holds only live ones.
func (s *Store) StartSession(ctx context.Context, id, user string, now, expires time.Time) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM local_session WHERE expires_at <= ?`, now.UTC()); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO local_session (session_id, user_name, expires_at) VALUES (?, ?, ?)`,
			id, user, expires.UTC())
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: start a session for %s: %w", user, translate(err))
	}
	return nil
}

// SessionUser returns the user of the session id. It returns
// ErrUnauthenticated if there is no such session, or it expired before now.
func (s *Store) SessionUser(ctx context.Context, id string, now time.Time) (string, error) {
	users, err := s.strings(ctx, `SELECT user_name FROM local_session WHERE session_id = ? AND expires_at > ?`, id, now.UTC())
	if err != nil {
		return "", fmt.Errorf("sqlite: session: %w", err)
	}
	if len(users) == 0 {
		return "", fmt.Errorf("sqlite: session: %w", signoff.ErrUnauthenticated)
	}
	return users[0], nil
}

// EndSession ends the session id (sign-out): its cookie no longer signs
// anyone in. Ending a session that does not exist does nothing.
func (s *Store) EndSession(ctx context.Context, id string) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM local_session WHERE session_id = ?`, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: end a session: %w", translate(err))
	}
	return nil
}

// CreateUser adds a user to the local account (CREATE USER). Like
// Snowflake's, a user name may be anything CURRENT_USER() can return:
// "JANE.DOE@ACME.COM", "alice" (distinct from ALICE), names with quotes or
// non-ASCII letters; names are matched exactly.
func (s *Store) CreateUser(ctx context.Context, user, name, title string) error {
	if !signoff.ValidUserName(user) {
		return signoff.Errorf(signoff.ErrInvalid, "user %q is not a valid user name (1 to %d characters of text, no control characters)",
			user, signoff.MaxUserNameLength)
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO local_user (user_name, display_name, title) VALUES (?, ?, ?)`, user, name, title)
	if err != nil {
		return fmt.Errorf("sqlite: create user %s: %w", user, translate(err))
	}
	return nil
}

// CreateRole adds a role to the local account (CREATE ROLE).
func (s *Store) CreateRole(ctx context.Context, role, comment string) error {
	if err := signoff.ValidateIdentifier("role", role); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO local_role (role_name, comment) VALUES (?, ?)`, role, comment)
	if err != nil {
		return fmt.Errorf("sqlite: create role %s: %w", role, translate(err))
	}
	return nil
}

// GrantRoleToRole makes grantee inherit role (GRANT ROLE role TO ROLE grantee).
func (s *Store) GrantRoleToRole(ctx context.Context, role, grantee string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO local_role_grant (role_name, grantee_role) VALUES (?, ?)`, role, grantee)
	if err != nil {
		return fmt.Errorf("sqlite: grant role %s to role %s: %w", role, grantee, translate(err))
	}
	return nil
}

// GrantRoleToUser grants role to user directly (GRANT ROLE role TO USER
// user), as an administrator would outside Signoff. It is idempotent.
func (s *Store) GrantRoleToUser(ctx context.Context, role, user, by string) error {
	return s.tx(ctx, func(tx *sql.Tx) error { return grantRole(ctx, s.prep.in(tx), role, user, by, time.Now().UTC()) })
}

// DropRole removes a role and its grants from the local account (DROP ROLE).
func (s *Store) DropRole(ctx context.Context, role string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{
			`DELETE FROM local_user_role WHERE role_name = ?`,
			`DELETE FROM local_role_grant WHERE role_name = ?1 OR grantee_role = ?1`,
			`DELETE FROM local_role WHERE role_name = ?`,
		} {
			if _, err := tx.ExecContext(ctx, q, role); err != nil {
				return fmt.Errorf("sqlite: drop role %s: %w", role, err)
			}
		}
		return nil
	})
}

// grantRole is the local GRANT ROLE … TO USER: it checks that both exist and
// grants idempotently.
func grantRole(ctx context.Context, tx txQuerier, role, user, by string, at time.Time) error {
	if !signoff.ValidIdentifier(role) || !signoff.ValidUserName(user) {
		return fmt.Errorf("invalid name in GRANT ROLE %q TO USER %q", role, user)
	}
	var roles, users int
	err := tx.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM local_role WHERE role_name = ?),
		(SELECT COUNT(*) FROM local_user WHERE user_name = ?)`, role, user).Scan(&roles, &users)
	if err != nil {
		return err
	}
	if roles == 0 {
		return errGrant{fmt.Sprintf("Role %s does not exist or not authorized.", signoff.QuoteIdentifier(role))}
	}
	if users == 0 {
		return errGrant{fmt.Sprintf("User %s does not exist or not authorized.", signoff.QuoteIdentifier(user))}
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO local_user_role (user_name, role_name, granted_by, granted_at)
		VALUES (?, ?, ?, ?) ON CONFLICT (user_name, role_name) DO NOTHING`, user, role, by, at)
	return err
}

// errGrant is a GRANT that the account refused, worded as Snowflake words it.
// It becomes a GRANT_FAILED outcome rather than an error.
type errGrant struct{ msg string }

func (e errGrant) Error() string { return e.msg }

func isGrantRefusal(err error) (string, bool) {
	var g errGrant
	if errors.As(err, &g) {
		return g.msg, true
	}
	return "", false
}

// strings runs a query returning one text column.
func (s *Store) strings(ctx context.Context, query string, args ...any) ([]string, error) {
	out, err := sqlstore.Strings(ctx, s.prep, query, args...)
	return out, translate(err)
}

// roleHolders lists (role, user) for every user who holds a role, directly
// or through the hierarchy, for the roles in the JSON array ?1.
const roleHolders = `
SELECT role_name, user_name FROM role_holder
WHERE role_name IN (SELECT value FROM json_each(?1))
ORDER BY role_name, user_name`

// RoleHolders returns who holds each of roles in the local account,
// through the role hierarchy (signoff.Directory).
func (s *Store) RoleHolders(ctx context.Context, roles []string) (signoff.RoleHolders, error) {
	list, err := json.Marshal(roles)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, roleHolders, string(list))
	if err != nil {
		return nil, fmt.Errorf("sqlite: role holders: %w", translate(err))
	}
	defer rows.Close()
	out := signoff.RoleHolders{}
	for rows.Next() {
		var role, user string
		if err := rows.Scan(&role, &user); err != nil {
			return nil, fmt.Errorf("sqlite: role holders: %w", err)
		}
		out[role] = append(out[role], user)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: role holders: %w", translate(err))
	}
	return out, nil
}
