package signoff

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on free text. The minimum reason length keeps "." or "access pls"
// from satisfying a required justification.
const (
	MinReasonLength  = 20
	MaxReasonLength  = 2000
	MaxCommentLength = 1000
)

// visibleLength counts the characters of s that show: spaces at either end,
// control characters and invisible format characters (zero-width spaces,
// joiners, direction marks) do not count, so they cannot pad a reason.
func visibleLength(s string) int {
	n := 0
	for _, r := range strings.TrimSpace(s) {
		if !unicode.Is(unicode.Cc, r) && !unicode.Is(unicode.Cf, r) {
			n++
		}
	}
	return n
}

// notText is the message for a field that is not valid UTF-8. Such bytes
// are refused, never repaired: the audit hash is computed over the exact
// text, and an encoder that replaced them (as encoding/json does, with
// U+FFFD) would make a stored event disagree with its own hash.
const notText = "contains bytes that are not text (invalid UTF-8); please type it again"

// ValidateReason checks a business reason and returns Problems keyed "reason".
func ValidateReason(reason string) error {
	n := visibleLength(reason)
	switch {
	case !utf8.ValidString(reason):
		return Problems{"reason": "The business reason " + notText + "."}
	case n == 0:
		return Problems{"reason": "Please give a business reason: what you need the data for."}
	case n < MinReasonLength:
		return Problems{"reason": "Please say a little more: the business reason must be at least 20 characters, so approvers can judge it."}
	case n > MaxReasonLength:
		return Problems{"reason": "The business reason is too long: keep it under 2,000 characters."}
	}
	return nil
}

// ValidateComment checks an approver's comment. A rejection must say why.
func ValidateComment(d Decision, comment string) error {
	n := visibleLength(comment)
	switch {
	case !utf8.ValidString(comment):
		return Problems{"comment": "The comment " + notText + "."}
	case n > MaxCommentLength:
		return Problems{"comment": "The comment is too long: keep it under 1,000 characters."}
	case d == DecisionReject && n == 0:
		return Problems{"comment": "Please say why you reject the request: the requester will read it."}
	}
	return nil
}

// ParseDecision reads the decision form's value ("approve" or "reject").
func ParseDecision(s string) (Decision, error) {
	switch s {
	case "approve":
		return DecisionApprove, nil
	case "reject":
		return DecisionReject, nil
	}
	return DecisionNone, Problems{"decision": "Choose approve or reject."}
}

// CanView reports whether viewer may see request r of product p: the
// requester, anyone who holds one of the request's approver roles, the
// product's owners, admins and auditors.
func CanView(viewer Identity, r Request, p Product) bool {
	if viewer.Anonymous() {
		return false
	}
	if viewer.User == r.Requester || viewer.Auditor() || viewer.HasRole(p.OwnerRole) {
		return true
	}
	return slices.ContainsFunc(r.Steps, func(s Step) bool { return viewer.HasRole(s.ApproverRole) })
}

// DecideRole returns the role with which viewer may decide r's current step,
// or an ErrForbidden/ErrConflict error whose message says why not. actingAs,
// if set, is the one in-session role the viewer chose to act as.
//
// These are the separation-of-duties rules of docs/design.md's promise 2; the store
// enforces them again in its compare-and-set.
func DecideRole(viewer Identity, r Request, actingAs string) (string, error) {
	if viewer.Anonymous() {
		return "", Errorf(ErrUnauthenticated, "Please sign in to decide requests.")
	}
	step, ok := r.Current()
	if !ok {
		return "", Errorf(ErrConflict, "This request is %s: there is no step left to decide.", strings.ToLower(r.Status.Label()))
	}
	if viewer.User == r.Requester {
		return "", Errorf(ErrForbidden, "You made this request, so you cannot decide any of its steps.")
	}
	if r.DecidedBy(viewer.User) {
		return "", Errorf(ErrForbidden, "You already decided a step of this request; another person must decide the %s step.", step.Label)
	}
	if actingAs != "" {
		if !viewer.HasRole(actingAs) {
			return "", Errorf(ErrForbidden, "You chose to act as %s, but that role is not in your session.", actingAs)
		}
		if actingAs != step.ApproverRole {
			return "", Errorf(ErrForbidden, "The %s step needs the %s role; you are acting as %s.", step.Label, step.ApproverRole, actingAs)
		}
	}
	if !viewer.HasRole(step.ApproverRole) {
		return "", Errorf(ErrForbidden, "The %s step needs the %s role, which is not in your session.", step.Label, step.ApproverRole)
	}
	return step.ApproverRole, nil
}

// CanWithdraw reports whether viewer may withdraw r.
func CanWithdraw(viewer Identity, r Request) bool {
	return !viewer.Anonymous() && viewer.User == r.Requester && r.Status == StatusPending
}

// CanRevoke reports whether viewer may revoke r's granted access: admins and
// members of the product's owner role.
func CanRevoke(viewer Identity, r Request, p Product) bool {
	return r.Status == StatusGranted && (viewer.Admin() || viewer.HasRole(p.OwnerRole))
}

// CanRetryGrant reports whether viewer may run the grant again: admins, for
// a request whose grant failed or never ran (APPROVED after a crash).
func CanRetryGrant(viewer Identity, r Request) bool {
	return viewer.Admin() && (r.Status == StatusGrantFailed || r.Status == StatusApproved)
}

// ProductFilter narrows the catalog.
type ProductFilter struct {
	Query          string // words matched against name, description, owner, domain and tags
	Tag            string
	Classification string
}

// Match reports whether p passes the filter (case-insensitive).
func (f ProductFilter) Match(p Product) bool {
	if f.Classification != "" && !strings.EqualFold(p.Classification, f.Classification) {
		return false
	}
	if f.Tag != "" && !slices.ContainsFunc(p.Tags, func(t string) bool { return strings.EqualFold(t, f.Tag) }) {
		return false
	}
	words := strings.Fields(strings.ToLower(f.Query))
	if len(words) == 0 {
		return true
	}
	hay := strings.ToLower(strings.Join(append([]string{p.ID, p.Name, p.Description, p.Owner, p.Domain, p.Classification}, p.Tags...), " "))
	for _, word := range words {
		if !strings.Contains(hay, word) {
			return false
		}
	}
	return true
}
