package signoff

import (
	"fmt"
	"slices"
	"strconv"
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

// Invisible reports whether r shows nothing where text is displayed, so
// that it does not count towards a reason's or a comment's length: a reason
// of twenty characters must show twenty, not "a", eighteen blanks and "b".
// The set is the union of
//   - White_Space: spaces of every width (U+00A0, U+2000–U+200A, U+3000,
//     ...) and line breaks;
//   - Cc and Cf: controls and format characters, among them the zero-width
//     space and joiners (U+200B–U+200D), the word joiner (U+2060), the byte
//     order mark (U+FEFF), the Mongolian vowel separator (U+180E), the soft
//     hyphen, tags and the direction controls (refused anyway). A few Cf
//     marks do show (the Arabic number signs, U+0600–U+0605); not counting
//     them only asks for a little more text;
//   - Unicode's Default_Ignorable_Code_Point, which renderers draw as
//     nothing, assigned or not. Go has no table of that derived property;
//     it is Other_Default_Ignorable_Code_Point, Cf and Variation_Selector
//     less a few of them, and their union covers it: the Hangul fillers
//     (U+115F, U+1160, U+3164, U+FFA0), the combining grapheme joiner, the
//     variation selectors and the reserved U+FFF0–U+FFF8 and
//     U+E0000–U+E0FFF;
//   - two symbols drawn as empty space that are commonly used to pad text
//     because they are in none of the above: U+2800 BRAILLE PATTERN BLANK and
//     U+1D159 MUSICAL SYMBOL NULL NOTEHEAD.
//
// The Snowflake procedures count with the same set: internal/sqlgen renders
// it into sql/snowflake/03_api.sql from this function.
func Invisible(r rune) bool {
	return unicode.In(r, unicode.White_Space, unicode.Cc, unicode.Cf, unicode.Other_Default_Ignorable_Code_Point,
		unicode.Variation_Selector) || r == 0x2800 || r == 0x1D159
}

// visibleLength counts the characters of s that show (Invisible).
func visibleLength(s string) int {
	n := 0
	for _, r := range s {
		if !Invisible(r) {
			n++
		}
	}
	return n
}

// storedLength counts the characters of s as it is stored: trimmed, every
// character counted. The maximum lengths bound what is stored.
func storedLength(s string) int { return utf8.RuneCountInString(strings.TrimSpace(s)) }

// bidiControls are the characters that change the order in which text is
// displayed, with their names. Stored and shown, they could make a reason or
// a comment read differently from what was typed (an override reverses a
// run of text; a mark can move digits and punctuation), so text holding one
// is refused. Right-to-left text needs none of them: browsers order it by
// itself.
var bidiControls = map[rune]string{
	0x061C: "arabic letter mark",
	0x200E: "left-to-right mark",
	0x200F: "right-to-left mark",
	0x202A: "left-to-right embedding",
	0x202B: "right-to-left embedding",
	0x202C: "pop directional formatting",
	0x202D: "left-to-right override",
	0x202E: "right-to-left override",
	0x2066: "left-to-right isolate",
	0x2067: "right-to-left isolate",
	0x2068: "first strong isolate",
	0x2069: "pop directional isolate",
}

// BidiControl reports whether r is a bidirectional control that text may not
// hold. The Snowflake procedures refuse the same characters: internal/sqlgen
// renders them into sql/snowflake/03_api.sql from this function.
func BidiControl(r rune) bool {
	_, ok := bidiControls[r]
	return ok
}

// TextSample is a text on which the preflight compares the Snowflake
// procedures' text rules with these: the code points on either side of each
// edge of the invisible and the bidirectional sets, which catches a set that
// is off by one anywhere, and visible letters of one to four bytes. It
// returns the text and how many characters it has, show and are
// bidirectional controls.
func TextSample() (text string, length, visible, bidi int) {
	var b strings.Builder
	edges := func(in func(rune) bool) {
		prev := false
		for r := rune(0); r <= unicode.MaxRune+1; r++ {
			cur := r <= unicode.MaxRune && in(r)
			if cur != prev {
				for _, c := range []rune{r - 1, r} {
					if c >= 0 && utf8.ValidRune(c) {
						b.WriteRune(c)
					}
				}
			}
			prev = cur
		}
	}
	edges(Invisible)
	edges(BidiControl)
	b.WriteString("aé日😀")
	text = b.String()
	for _, r := range text {
		if BidiControl(r) {
			bidi++
		}
	}
	return text, utf8.RuneCountInString(text), visibleLength(text), bidi
}

// notText is the message for a field that is not valid UTF-8. Such bytes
// are refused, never repaired: the audit hash is computed over the exact
// text, and an encoder that replaced them (as encoding/json does, with
// U+FFFD) would make a stored event disagree with its own hash.
const notText = "contains bytes that are not text (invalid UTF-8); please type it again"

// checkText refuses text, the field called label (a sentence's subject),
// that is not valid UTF-8 or that holds a bidirectional control, naming the
// first one found.
func checkText(field, label, text string) error {
	if !utf8.ValidString(text) {
		return Problems{field: label + " " + notText + "."}
	}
	for _, r := range text {
		if name, ok := bidiControls[r]; ok {
			return Problems{field: fmt.Sprintf("%s contains an invisible %s (U+%04X), which changes the order in which "+
				"text is displayed. Remove it and try again.", label, name, r)}
		}
	}
	return nil
}

// ValidateReason checks a business reason and returns Problems keyed "reason".
func ValidateReason(reason string) error {
	if err := checkText("reason", "The business reason", reason); err != nil {
		return err
	}
	n := visibleLength(reason)
	switch {
	case n == 0:
		return Problems{"reason": "Please give a business reason: what you need the data for."}
	case n < MinReasonLength:
		return Problems{"reason": "Please say a little more: the business reason must be at least 20 characters, not counting spaces and " +
			"invisible characters, so approvers can judge it."}
	case storedLength(reason) > MaxReasonLength:
		return Problems{"reason": "The business reason is too long: keep it under 2,000 characters."}
	}
	return nil
}

// ValidateComment checks an approver's comment. A rejection must say why.
func ValidateComment(d Decision, comment string) error {
	if err := checkText("comment", "The comment", comment); err != nil {
		return err
	}
	switch {
	case storedLength(comment) > MaxCommentLength:
		return Problems{"comment": "The comment is too long: keep it under 1,000 characters."}
	case d == DecisionReject && visibleLength(comment) == 0:
		return Problems{"comment": "Please say why you reject the request: the requester will read it."}
	case d == DecisionChanges && visibleLength(comment) == 0:
		return Problems{"comment": "Please ask your question: the requester answers it before the step goes on."}
	}
	return nil
}

// ValidateAnswer checks a requester's answer to an approver's question: it
// must say something.
func ValidateAnswer(answer string) error {
	if err := checkText("answer", "The answer", answer); err != nil {
		return err
	}
	switch {
	case visibleLength(answer) == 0:
		return Problems{"answer": "Please answer the approver's question."}
	case storedLength(answer) > MaxCommentLength:
		return Problems{"answer": "The answer is too long: keep it under 1,000 characters."}
	}
	return nil
}

// ValidateRevokeReason checks the reason given for revoking access, which
// is required (the requester and the audit log read it: blanks of every
// kind do not count), and returns Problems keyed "reason".
func ValidateRevokeReason(reason string) error {
	if err := checkText("reason", "The reason", reason); err != nil {
		return err
	}
	if visibleLength(reason) == 0 {
		return Problems{"reason": RevokeReasonMissing}
	}
	if storedLength(reason) > MaxCommentLength {
		return Problems{"reason": "The reason is too long: keep it under 1,000 characters."}
	}
	return nil
}

// RevokeReasonMissing is the problem with a revocation that gives no reason.
const RevokeReasonMissing = "Say why you revoke the access: the requester and the audit log will read it."

// ParseDecision reads the decision form's value ("approve" or "reject").
func ParseDecision(s string) (Decision, error) {
	switch s {
	case "approve":
		return DecisionApprove, nil
	case "reject":
		return DecisionReject, nil
	case "changes":
		return DecisionChanges, nil
	}
	return DecisionNone, Problems{"decision": "Choose approve, reject or ask a question."}
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
	return slices.ContainsFunc(r.Steps, func(s Step) bool { return slices.ContainsFunc(s.Roles(), viewer.HasRole) })
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
		return "", Errorf(ErrConflict, "This request is %s: there is no step to decide now.", r.Status.InSentence())
	}
	if viewer.User == r.Requester {
		return "", Errorf(ErrForbidden, "You made this request, so you cannot decide any of its steps.")
	}
	if r.DecidedBy(viewer.User) {
		return "", Errorf(ErrForbidden, "You already decided a step of this request; another person must decide the %s step.", step.Label)
	}
	// A manager step is its manager's, unless it escalated and the viewer
	// decides it with the fallback role (sqlstore.CheckDecide's order).
	other := step.ApproverUser != "" && viewer.User != step.ApproverUser
	if other && !(step.EscalatedTo != "" && viewer.HasRole(step.EscalatedTo) && (actingAs == "" || actingAs == step.EscalatedTo)) {
		return "", Outcome{Code: CodeNotStepApprover, StepLabel: step.Label, StepUser: step.ApproverUser}.Err()
	}
	holds := viewer.HasRole
	if other {
		holds = func(role string) bool { return role == step.EscalatedTo && viewer.HasRole(role) }
	}
	if actingAs != "" {
		if !viewer.HasRole(actingAs) {
			return "", Errorf(ErrForbidden, "You chose to act as %s, but that role is not in your session.", actingAs)
		}
		if !slices.Contains(step.Roles(), actingAs) {
			return "", Errorf(ErrForbidden, "The %s step needs the %s role; you are acting as %s.", step.Label, step.ApproverRole, actingAs)
		}
		return actingAs, nil
	}
	if !slices.ContainsFunc(step.Roles(), holds) {
		return "", Errorf(ErrForbidden, "The %s step needs the %s role, which is not in your session.", step.Label, step.ApproverRole)
	}
	return DecidingRole(step.ApproverRole, step.EscalatedTo, "", holds), nil
}

// CanExtend reports whether viewer may ask to extend r's access: its
// requester, while it is GRANTED and time-bound.
func CanExtend(viewer Identity, r Request) bool {
	return !viewer.Anonymous() && viewer.User == r.Requester && r.Status == StatusGranted && !r.ExpiresAt.IsZero()
}

// CanResubmit reports whether viewer may answer the approver's question on
// r: its requester, while the request waits on them.
func CanResubmit(viewer Identity, r Request) bool {
	return !viewer.Anonymous() && viewer.User == r.Requester && r.Status == StatusChangesRequested
}

// CanWithdraw reports whether viewer may withdraw r.
func CanWithdraw(viewer Identity, r Request) bool {
	return !viewer.Anonymous() && viewer.User == r.Requester &&
		(r.Status == StatusPending || r.Status == StatusChangesRequested)
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

// The confirmation checks. Withdrawing, rejecting and revoking cannot be
// undone, so the pages ask once before they act (docs/design.md, URL
// contract). Asking changes nothing, but it must not ask someone the action
// would refuse: these checks answer, from the request as read, what the
// engine's check statement (sqlstore.CheckWithdraw, CheckDecide,
// CheckRevoke) would, in its order, with its codes and so its sentences.
// They decide nothing: the engine checks everything again, in the acting
// person's own session, when the confirmed action runs.

// CheckWithdraw returns nil if viewer may withdraw r, or the engine's refusal.
func CheckWithdraw(viewer Identity, r Request) error {
	o := Outcome{Code: CodeOK, RequestID: r.ID, Status: r.Status}
	switch {
	case viewer.User != r.Requester:
		o.Code = CodeNotRequester
	case r.Status != StatusPending && r.Status != StatusChangesRequested:
		o.Code = CodeWrongStatus
	}
	return o.Err()
}

// CheckRevoke returns nil if viewer may revoke r's access to p, or the
// engine's refusal.
func CheckRevoke(viewer Identity, r Request, p Product) error {
	o := Outcome{Code: CodeOK, RequestID: r.ID, ProductID: p.ID, ProductName: p.Name, OwnerRole: p.OwnerRole, Status: r.Status}
	switch {
	case !viewer.Admin() && !viewer.HasRole(p.OwnerRole):
		o.Code = CodeNotAdminOrOwner
	case r.Status != StatusGranted:
		o.Code = CodeWrongStatus
	}
	return o.Err()
}

// CheckDecide returns nil if viewer may decide r's current step, having
// seen step (0: whichever is current) and acting as actingAs (""; any role
// that keys the step), or the engine's refusal. Unlike DecideRole, which
// says on the request page why the form is not offered, it also tells a
// stale page from a current one, as the engine does.
func CheckDecide(viewer Identity, r Request, step int, actingAs string) error {
	cur, _ := r.Current()
	o := Outcome{Code: CodeOK, RequestID: r.ID, Status: r.Status, CurrentStep: r.CurrentStep, StepCount: r.StepCount,
		StepLabel: cur.Label, StepRole: cur.ApproverRole, SeenStep: step, ActingAs: actingAs}
	if seen, ok := r.Step(step); ok {
		o.SeenLabel, o.SeenDecidedBy, o.SeenDecision = seen.Label, seen.DecidedBy, seen.Decision
	}
	switch {
	case step > 0 && (r.Status != StatusPending || step != r.CurrentStep):
		o.Code = CodeStaleStep
	case r.Status != StatusPending:
		o.Code = CodeWrongStatus
	case viewer.User == r.Requester:
		o.Code = CodeOwnRequest
	case r.DecidedBy(viewer.User):
		o.Code = CodeDecidedAnotherStep
	case actingAs != "" && !viewer.HasRole(actingAs):
		o.Code = CodeActingAsNotHeld
	case actingAs != "" && !slices.Contains(cur.Roles(), actingAs):
		o.Code = CodeActingAsWrongRole
	case !slices.ContainsFunc(cur.Roles(), viewer.HasRole):
		o.Code = CodeRoleNotHeld
	}
	return o.Err()
}

// ParseDurations reads a product's durations as stored: days, separated by
// commas ("7,30,90"; "0" is permanent only). The result is sorted, without
// repeats, and never empty; a value out of range is an error.
func ParseDurations(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 0 || n > MaxDays {
			return nil, fmt.Errorf("duration %q is not a number of days from 0 to %d", f, MaxDays)
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// FormatDurations writes durations as the catalog stores them.
func FormatDurations(days []int) string {
	parts := make([]string, len(days))
	for i, d := range days {
		parts[i] = strconv.Itoa(d)
	}
	return strings.Join(parts, ",")
}

// DurationLabel says a duration in days as people read it.
func DurationLabel(days int) string {
	switch days {
	case 0:
		return "permanent"
	case 1:
		return "1 day"
	}
	return strconv.Itoa(days) + " days"
}

// ValidateLifecycle checks a product's lifecycle settings: durations from 0
// (permanent) to MaxDays, a pending limit and step deadlines that are not
// negative, and fallback roles that are identifiers.
func ValidateLifecycle(p Product) error {
	for _, d := range p.Durations {
		if d < 0 || d > MaxDays {
			return Errorf(ErrInvalid, "Product %s: a duration must be 0 (permanent) to %d days, not %d.", p.ID, MaxDays, d)
		}
	}
	if p.PendingDays < 0 || p.PendingDays > MaxDays {
		return Errorf(ErrInvalid, "Product %s: the pending limit must be 0 (none) to %d days.", p.ID, MaxDays)
	}
	roles := []string{p.FallbackRole}
	for _, st := range p.Chain {
		if st.DeadlineHours < 0 || st.DeadlineHours > 24*MaxDays {
			return Errorf(ErrInvalid, "Product %s: step %d's deadline must be 0 (none) or a number of hours.", p.ID, st.Order)
		}
		roles = append(roles, st.FallbackRole)
	}
	for _, r := range roles {
		if r == "" {
			continue
		}
		if err := ValidateIdentifier("fallback role", r); err != nil {
			return err
		}
	}
	return nil
}
