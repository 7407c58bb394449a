package signoff

import (
	"regexp"
	"slices"
)

// Roles the app itself knows by name.
const (
	// RoleAdmin may revoke any access, retry failed grants and read the audit log.
	RoleAdmin = "SIGNOFF_ADMIN"
	// RoleAuditor may read the whole audit log and every request, and change nothing.
	RoleAuditor = "SIGNOFF_AUDITOR"
)

// Identity is who the viewer is, as the engine says: the user name and the
// roles in the user's session (primary, secondary and everything they
// inherit). It is established by the engine for every request, never taken
// from the browser.
type Identity struct {
	User  string
	Roles []string // sorted, no duplicates
}

// Anonymous reports whether nobody is signed in.
func (id Identity) Anonymous() bool { return id.User == "" }

// HasRole reports whether role is in the viewer's session (IS_ROLE_IN_SESSION).
func (id Identity) HasRole(role string) bool {
	_, ok := slices.BinarySearch(id.Roles, role)
	return ok
}

// Admin reports whether the viewer may administer Signoff.
func (id Identity) Admin() bool { return id.HasRole(RoleAdmin) }

// Auditor reports whether the viewer may read everything.
func (id Identity) Auditor() bool { return id.Admin() || id.HasRole(RoleAuditor) }

// NewIdentity returns an Identity with its roles sorted and deduplicated.
func NewIdentity(user string, roles []string) Identity {
	rs := slices.Clone(roles)
	slices.Sort(rs)
	return Identity{User: user, Roles: slices.Compact(rs)}
}

// identifierPattern is the strict shape accepted for user and role names: a
// Snowflake unquoted identifier. Anything else (quotes, dots, spaces, SQL) is
// refused before it gets near a statement.
var identifierPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_$]{0,254}$`)

// ValidIdentifier reports whether s is a user or role name Signoff accepts.
func ValidIdentifier(s string) bool { return identifierPattern.MatchString(s) }

// ValidateIdentifier returns an ErrInvalid error naming what if s is not a
// valid identifier.
func ValidateIdentifier(what, s string) error {
	if !ValidIdentifier(s) {
		return Errorf(ErrInvalid, "%s %q is not a valid Snowflake identifier (letters, digits, _ and $; starting with a letter or _)", what, s)
	}
	return nil
}
