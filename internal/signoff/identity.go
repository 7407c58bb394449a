package signoff

import (
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
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
	// Approver is true when a role in the session keys a step of some
	// approval chain, or is a fallback role steps may escalate to: the
	// viewer has an approvals queue. The engine says so
	// with the roles, from what it reads to establish them anyway, so that
	// showing the queue's link costs no statement of its own.
	Approver bool
	// Credential lets the engine act as this user: on Snowflake, the
	// visitor's caller token from the ingress, with which the engine opens
	// the user's own session for each action; empty on the embedded engine.
	// It is never logged, stored or shown.
	Credential string
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

// identifierPattern is the strict shape accepted for role names: a
// Snowflake unquoted identifier. Anything else (quotes, dots, spaces, SQL) is
// refused before it gets near a statement. User names are not held to it:
// see ValidUserName.
var identifierPattern = regexp.MustCompile(`^` + RolePattern + `$`)

// RolePattern is identifierPattern without anchors, for RLIKE.
const RolePattern = `[A-Za-z_][A-Za-z0-9_$]{0,254}`

// ValidIdentifier reports whether s is a role name Signoff accepts.
func ValidIdentifier(s string) bool { return identifierPattern.MatchString(s) }

// ValidateIdentifier returns an ErrInvalid error naming what if s is not a
// valid identifier.
func ValidateIdentifier(what, s string) error {
	if !ValidIdentifier(s) {
		return Errorf(ErrInvalid, "%s %q is not a valid Snowflake identifier (letters, digits, _ and $; starting with a letter or _)", what, s)
	}
	return nil
}

// MaxUserNameLength is the longest user name accepted, in characters: the
// length of a Snowflake identifier.
const MaxUserNameLength = 255

// ValidUserName reports whether s can be a user name as Snowflake's
// CURRENT_USER() returns it: 1 to 255 characters of valid UTF-8 with no
// control characters. Anything else is allowed (dots, @, spaces, quotes,
// lower case, non-ASCII letters), because SSO and SCIM provisioning create
// users such as "JANE.DOE@ACME.COM" or "alice". Names are compared exactly,
// never case-folded, and every statement binds them as values or quotes them
// as identifiers ('"' || REPLACE(name, '"', '""') || '"').
func ValidUserName(s string) bool {
	if s == "" || !utf8.ValidString(s) || utf8.RuneCountInString(s) > MaxUserNameLength {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// QuoteIdentifier returns name as a quoted Snowflake identifier, exactly as
// the API procedures build it: "alice" names the user alice, not ALICE.
func QuoteIdentifier(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}
