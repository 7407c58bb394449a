package signoff

import (
	"errors"
	"fmt"
	"strings"
)

// Code is the answer an engine gives to an action: OK, or why it refused.
// Both engines answer with the same codes: on Snowflake they are the "code"
// of the API procedures' response envelope, on the embedded engine the same
// shared check statements compute them (package sqlstore).
type Code string

// The codes. Each refusal leaves everything as it was.
const (
	CodeOK     Code = "OK"      // the action happened
	CodeDryRun Code = "DRY_RUN" // every check passed; nothing was written (dry-run mode)

	// Who is acting.
	CodeIdentityUnavailable Code = "IDENTITY_UNAVAILABLE" // the engine could not tell who called
	CodeInvalid             Code = "INVALID"              // an argument has the wrong shape (Field says which)

	// What is acted on.
	CodeProductNotFound   Code = "PRODUCT_NOT_FOUND"
	CodeNoChain           Code = "NO_CHAIN"            // the product has no approval chain
	CodeChainTooLong      Code = "CHAIN_TOO_LONG"      // its chain and the policy need more than MaxChainSteps approvals
	CodeOpenRequestExists Code = "OPEN_REQUEST_EXISTS" // the requester already has an open request for it
	CodeNotFound          Code = "NOT_FOUND"           // no such request
	CodeDuplicateID       Code = "DUPLICATE_ID"        // an ID is taken (or, corrupt data, not unique)
	CodeWrongStatus       Code = "WRONG_STATUS"        // the request's status does not allow the action
	CodeStaleStep         Code = "STALE_STEP"          // the step the caller saw is no longer the current one

	// Separation of duties (promise 2) and authorization.
	CodeOwnRequest         Code = "OWN_REQUEST"          // the requester may not decide their own request
	CodeDecidedAnotherStep Code = "DECIDED_ANOTHER_STEP" // one person decides at most one step
	CodeActingAsNotHeld    Code = "ACTING_AS_NOT_HELD"   // the chosen acting-as role is not in session
	CodeActingAsWrongRole  Code = "ACTING_AS_WRONG_ROLE" // the chosen acting-as role does not key the step
	CodeRoleNotHeld        Code = "ROLE_NOT_HELD"        // the step's role is not in the caller's session
	CodeNotRequester       Code = "NOT_REQUESTER"        // only the requester may withdraw
	CodeNotAdmin           Code = "NOT_ADMIN"            // only Signoff admins may retry a grant
	CodeNotAdminOrOwner    Code = "NOT_ADMIN_OR_OWNER"   // only admins and the product's owners may revoke
	CodeNotAuditor         Code = "NOT_AUDITOR"          // only admins and auditors may list every request and grant
	CodeNotStepApprover    Code = "NOT_STEP_APPROVER"    // a manager step is its manager's (until it escalates)

	// The directory (docs/design.md, "Manager steps").
	CodeNoManager    Code = "NO_MANAGER"    // a manager step applies, and the directory has no manager for the requester
	CodeSelfManager  Code = "SELF_MANAGER"  // nobody is their own manager
	CodeManagerCycle Code = "MANAGER_CYCLE" // two people cannot manage each other

	// Durations.
	CodeDurationNotOffered Code = "DURATION_NOT_OFFERED" // the product does not offer the duration asked for
	CodeDurationLonger     Code = "DURATION_LONGER"      // an approval may shorten the duration, never lengthen it
	CodeNotExtendable      Code = "NOT_EXTENDABLE"       // only one's own granted time-bound access to the product extends
	CodeReasonApproved     Code = "REASON_APPROVED"      // a step approved the reason: an answer may not replace it

	// Catalog administration (products.go).
	CodeProductExists      Code = "PRODUCT_EXISTS"        // a new product's ID is taken
	CodeStaleVersion       Code = "STALE_VERSION"         // the product was saved by someone else since it was read
	CodeAccessRoleNotOwned Code = "ACCESS_ROLE_NOT_OWNED" // SIGNOFF_OWNER does not own the access role, so cannot grant it
	CodeObjectNotVisible   Code = "OBJECT_NOT_VISIBLE"    // the object does not exist, or SIGNOFF_OWNER may not read its metadata

	// The scheduler's work is no longer due (someone acted first).
	CodeNotDue Code = "NOT_DUE"

	// Access reviews.
	CodeReviewNotFound Code = "REVIEW_NOT_FOUND" // no such review
	CodeReviewOpen     Code = "REVIEW_OPEN"      // the product has an open review already
	CodeNotInReview    Code = "NOT_IN_REVIEW"    // the grant is not one of the review's
	CodeAlreadyDecided Code = "ALREADY_DECIDED"  // the grant was decided already, or the review is complete

	// A race: another change got there between the check and the write.
	CodeConflict Code = "CONFLICT"
)

// Kind returns the domain error kind of a refusal, or nil for OK and
// DRY_RUN.
func (c Code) Kind() error {
	switch c {
	case CodeOK, CodeDryRun:
		return nil
	case CodeIdentityUnavailable:
		return ErrUnauthenticated
	case CodeInvalid, CodeNoChain, CodeChainTooLong, CodeDurationNotOffered, CodeDurationLonger, CodeNotExtendable, CodeReasonApproved,
		CodeAccessRoleNotOwned, CodeNoManager, CodeSelfManager, CodeManagerCycle:
		return ErrInvalid
	case CodeProductNotFound, CodeNotFound, CodeReviewNotFound, CodeNotInReview, CodeObjectNotVisible:
		return ErrNotFound
	case CodeOwnRequest, CodeDecidedAnotherStep, CodeActingAsNotHeld, CodeActingAsWrongRole,
		CodeRoleNotHeld, CodeNotRequester, CodeNotAdmin, CodeNotAdminOrOwner, CodeNotAuditor, CodeNotStepApprover:
		return ErrForbidden
	}
	return ErrConflict // OPEN_REQUEST_EXISTS, DUPLICATE_ID, WRONG_STATUS, STALE_STEP, CONFLICT and unknown codes
}

// Codes lists every code, for the Snowflake API's message function and for
// tests that every code has a message.
var Codes = []Code{CodeOK, CodeDryRun, CodeIdentityUnavailable, CodeInvalid, CodeProductNotFound,
	CodeNoChain, CodeChainTooLong, CodeOpenRequestExists, CodeNotFound, CodeDuplicateID, CodeWrongStatus, CodeStaleStep,
	CodeOwnRequest, CodeDecidedAnotherStep, CodeActingAsNotHeld, CodeActingAsWrongRole, CodeRoleNotHeld,
	CodeNotRequester, CodeNotAdmin, CodeNotAdminOrOwner, CodeNotAuditor, CodeDurationNotOffered, CodeDurationLonger,
	CodeNotExtendable, CodeReasonApproved, CodeNotDue, CodeReviewNotFound, CodeReviewOpen, CodeNotInReview,
	CodeAlreadyDecided, CodeConflict, CodeProductExists, CodeStaleVersion, CodeAccessRoleNotOwned, CodeNotStepApprover, CodeNoManager,
	CodeSelfManager, CodeManagerCycle, CodeObjectNotVisible}

// APIMessage is the sentence the Snowflake API procedures put in their
// envelope's "message" for people who call them with SQL. The app writes its
// own sentences from the code and data (Outcome.Err).
func (c Code) APIMessage() string {
	switch c {
	case CodeOK:
		return "Done."
	case CodeDryRun:
		return "Dry run: every check passed; nothing was changed."
	case CodeIdentityUnavailable:
		return "Signoff could not tell who is calling: its owner role needs READ SESSION, and the caller must be a user."
	case CodeInvalid:
		return "An argument is not valid; data.field names it."
	case CodeProductNotFound:
		return "There is no such data product."
	case CodeNoChain:
		return "The data product has no approval chain, so it cannot be requested."
	case CodeChainTooLong:
		return fmt.Sprintf("The data product's chain and the chain policy need more than %d approvals, which a request cannot hold; an admin must shorten them.", MaxChainSteps)
	case CodeOpenRequestExists:
		return "You already have an open request for this data product."
	case CodeNotFound:
		return "There is no such request."
	case CodeDuplicateID:
		return "The ID is already taken; try again with a new one."
	case CodeWrongStatus:
		return "The request's status does not allow this."
	case CodeStaleStep:
		return "The request is no longer at the step given."
	case CodeOwnRequest:
		return "You made this request, so you cannot decide any of its steps."
	case CodeDecidedAnotherStep:
		return "You already decided a step of this request; another person must decide this one."
	case CodeActingAsNotHeld:
		return "The acting-as role is not in your session."
	case CodeActingAsWrongRole:
		return "The acting-as role is not the role this step needs."
	case CodeRoleNotHeld:
		return "This step needs a role that is not in your session."
	case CodeNotRequester:
		return "Only the requester can withdraw a request."
	case CodeNotAdmin:
		return "Only Signoff admins (" + RoleAdmin + ") can do this."
	case CodeNotAdminOrOwner:
		return "Only Signoff admins and the data product's owners can revoke access."
	case CodeNotAuditor:
		return "Only Signoff admins (" + RoleAdmin + ") and auditors (" + RoleAuditor + ") can list every request and grant."
	case CodeDurationNotOffered:
		return "The data product does not offer access for that long."
	case CodeDurationLonger:
		return "An approval may shorten the access it grants, never lengthen it."
	case CodeNotExtendable:
		return "Only your own granted, time-bound access to this data product can be extended, and not once it was revoked."
	case CodeReasonApproved:
		return "A step already approved the business reason as it is: answer the question without replacing it."
	case CodeNotDue:
		return "The scheduled work is no longer due."
	case CodeReviewNotFound:
		return "There is no such access review."
	case CodeReviewOpen:
		return "The data product has an open access review already: finish it first."
	case CodeNotInReview:
		return "That grant is not one of the review's."
	case CodeAlreadyDecided:
		return "That grant was decided already in this review, or the review is complete."
	case CodeProductExists:
		return "A data product with this ID already exists; edit it instead."
	case CodeStaleVersion:
		return "The data product was saved by someone else since you read it; read it again and redo your change."
	case CodeAccessRoleNotOwned:
		return "SIGNOFF_OWNER does not own the access role, so Signoff could not grant it: GRANT OWNERSHIP ON ROLE <role> TO ROLE SIGNOFF_OWNER first."
	case CodeObjectNotVisible:
		return "Signoff cannot see the object: it does not exist, or SIGNOFF_OWNER lacks USAGE on its database and schema or REFERENCES on it (deploy/README.md, \"Letting Signoff read an object\")."
	case CodeNotStepApprover:
		return "This is a manager step: only the requester's manager (data.step_user) can decide it, unless it escalated to its fallback role."
	case CodeNoManager:
		return "The data product needs your manager's approval, and Signoff's directory has no manager for you; ask a Signoff admin to add them."
	case CodeSelfManager:
		return "Nobody can be their own manager; data.line names the entry."
	case CodeManagerCycle:
		return "Two people cannot be each other's manager; data.line names the entry."
	case CodeConflict:
		return "Someone changed the request at the same moment; nothing was changed. Try again."
	}
	return string(c)
}

// Outcome is an engine's answer to an action: the code, and the facts that
// go with it (the envelope's "data"). Which fields are set depends on the
// action and the code; zero means "not said".
type Outcome struct {
	Code Code `json:"code"`
	// Field names the argument an INVALID answer is about.
	Field string `json:"field,omitempty"`
	// Actor is who the engine says acted (on Snowflake, the calling
	// session's user, never a value the app passed).
	Actor string `json:"actor,omitempty"`

	RequestID   string `json:"request_id,omitempty"`
	ProductID   string `json:"product_id,omitempty"`
	ProductName string `json:"product_name,omitempty"`
	Requester   string `json:"requester,omitempty"`
	AccessRole  string `json:"access_role,omitempty"`
	Status      Status `json:"status,omitempty"`
	CurrentStep int    `json:"current_step,omitempty"`
	StepCount   int    `json:"step_count,omitempty"`
	// StepLabel and StepRole describe the current step.
	StepLabel string `json:"step_label,omitempty"`
	StepRole  string `json:"step_role,omitempty"`
	// Seen* describe the step the caller acted on (DecideCall.Step), as it
	// stands now: who decided it, if someone did.
	SeenStep      int      `json:"seen_step,omitempty"`
	SeenLabel     string   `json:"seen_label,omitempty"`
	SeenDecidedBy string   `json:"seen_decided_by,omitempty"`
	SeenDecision  Decision `json:"seen_decision,omitempty"`
	// ActingAs echoes the acting-as role of a decision.
	ActingAs string `json:"acting_as,omitempty"`
	// OpenRequestID is the requester's open request (OPEN_REQUEST_EXISTS).
	OpenRequestID string `json:"open_request_id,omitempty"`
	// OwnerRole is the product's owner role (NOT_ADMIN_OR_OWNER).
	OwnerRole string `json:"owner_role,omitempty"`
	// ReviewID is the access review acted on, OpenReviewID the product's
	// review already open (REVIEW_OPEN), ReviewStatus where the review
	// stands after the action, and Undecided how many of its grants wait.
	ReviewID     string       `json:"review_id,omitempty"`
	OpenReviewID string       `json:"open_review_id,omitempty"`
	ReviewStatus ReviewStatus `json:"review_status,omitempty"`
	Undecided    int          `json:"undecided,omitempty"`
	// DurationDays is the duration the request holds now, in days; 0 is
	// permanent.
	DurationDays int `json:"duration_days,omitempty"`
	// FallbackRole is the role a step escalated to (the scheduler's work).
	FallbackRole string `json:"fallback_role,omitempty"`
	// Version is the product version a save wrote (or, refused, the
	// product's current one).
	Version int `json:"version,omitempty"`
	// StepUser is the current step's one decider, for a manager step: the
	// requester's manager (NOT_STEP_APPROVER).
	StepUser string `json:"step_user,omitempty"`
	// Line, UserName and ManagerName name the directory entry a
	// SET_MANAGERS refusal is about (1-based); Changed counts the entries
	// an accepted call changed.
	Line        int    `json:"line,omitempty"`
	UserName    string `json:"user_name,omitempty"`
	ManagerName string `json:"manager_name,omitempty"`
	Changed     int    `json:"changed,omitempty"`
	// GrantError says why the grant after a final approval recorded no
	// outcome (the request stays APPROVED): for the log, never for a page.
	GrantError string `json:"grant_error,omitempty"`
}

// RefusalHides are the data keys a refusal does not carry: anyone may call
// an engine's actions with any request ID, and who asked for which role is
// for the people the request concerns. A refusal keeps what its message
// needs. (The Snowflake procedures delete the same keys, upper-cased.)
var RefusalHides = []string{"requester", "access_role"}

// Refusal returns o without the data RefusalHides names.
func (o Outcome) Refusal() Outcome {
	o.Requester, o.AccessRole = "", ""
	return o
}

// OK reports whether the action happened (or, in a dry run, would have).
func (o Outcome) OK() bool { return o.Code == CodeOK || o.Code == CodeDryRun }

// Err returns nil for OK and DRY_RUN, and otherwise an *Error of the code's
// kind whose message says, for the person using the app, what happened and
// what they can do.
func (o Outcome) Err() error {
	kind := o.Code.Kind()
	if kind == nil {
		return nil
	}
	return &Error{Kind: kind, Message: o.message(), Code: o.Code}
}

// message writes the refusal for people.
func (o Outcome) message() string {
	status := o.Status.InSentence()
	switch o.Code {
	case CodeIdentityUnavailable:
		return "Snowflake did not say who you are, so nothing was changed. Reload the page, signing in again if asked; if it persists, an admin can run the checks on the Diagnostics page."
	case CodeInvalid:
		return fmt.Sprintf("The %s you sent is not valid.", strings.ReplaceAll(o.Field, "_", " "))
	case CodeProductNotFound:
		return noProduct(o.ProductID).Error()
	case CodeNoChain:
		return fmt.Sprintf("%s has no approval chain yet, so it cannot be requested. Please contact its owner.", or(o.ProductName, o.ProductID))
	case CodeChainTooLong:
		return fmt.Sprintf("%s cannot be requested: its approval chain and the account's chain policy together need more than %d approvals. Please tell a Signoff admin.",
			or(o.ProductName, o.ProductID), MaxChainSteps)
	case CodeOpenRequestExists:
		return fmt.Sprintf("You already have an open request for %s. Follow it in My requests.", or(o.ProductName, o.ProductID))
	case CodeNotFound:
		return noRequest(o.RequestID).Error()
	case CodeDuplicateID:
		return "Signoff picked an ID that is already taken. Nothing was changed; please try again."
	case CodeWrongStatus:
		return fmt.Sprintf("This request is %s, so that is no longer possible. Nothing was changed.", status)
	case CodeStaleStep:
		if o.SeenDecidedBy != "" {
			return fmt.Sprintf("The %s step was already %s by %s. Nothing was changed.",
				o.SeenLabel, strings.ToLower(string(o.SeenDecision)), o.SeenDecidedBy)
		}
		if o.Status != StatusPending {
			return fmt.Sprintf("This request is already %s. Nothing was changed.", status)
		}
		return fmt.Sprintf("This request is now at step %d, not step %d. Reload the page to see it.", o.CurrentStep, o.SeenStep)
	case CodeOwnRequest:
		return "You made this request, so you cannot decide any of its steps."
	case CodeDecidedAnotherStep:
		return fmt.Sprintf("You already decided a step of this request; another person must decide the %s step.", o.StepLabel)
	case CodeActingAsNotHeld:
		return fmt.Sprintf("You chose to act as %s, but that role is not in your session.", o.ActingAs)
	case CodeActingAsWrongRole:
		return fmt.Sprintf("The %s step needs the %s role; you are acting as %s.", o.StepLabel, o.StepRole, o.ActingAs)
	case CodeRoleNotHeld:
		return fmt.Sprintf("The %s step needs the %s role, which is not in your session.", o.StepLabel, o.StepRole)
	case CodeNotRequester:
		return "Only the person who made this request can do that."
	case CodeNotAdmin:
		return fmt.Sprintf("Only admins (%s) can retry a grant.", RoleAdmin)
	case CodeNotAdminOrOwner:
		if o.ReviewID != "" {
			return fmt.Sprintf("Only admins and the owners of %s (%s) can review access to it.", or(o.ProductName, o.ProductID), o.OwnerRole)
		}
		return fmt.Sprintf("Only admins and the owners of %s (%s) can revoke access to it.", or(o.ProductName, o.ProductID), o.OwnerRole)
	case CodeNotAuditor:
		return fmt.Sprintf("Only admins (%s) and auditors (%s) can list every request and grant.", RoleAdmin, RoleAuditor)
	case CodeDurationNotOffered:
		return fmt.Sprintf("%s does not offer access for that long; choose one of the durations offered.", or(o.ProductName, o.ProductID))
	case CodeDurationLonger:
		if o.StepRole == "" { // a submission: an extension asked for longer than the access it extends
			return "An extension is no longer than the access it extends, and never permanent. Nothing was changed."
		}
		return fmt.Sprintf("The request asks for %s; you may approve it for that or shorter, not longer.", DurationLabel(o.DurationDays))
	case CodeNotExtendable:
		return "Only your own granted, time-bound access to this data product can be extended, and not once it was revoked. Nothing was changed."
	case CodeReasonApproved:
		return "Earlier steps approved the business reason as it is, so it cannot be replaced now: answer the question, or withdraw and ask again. Nothing was changed."
	case CodeNotDue:
		return "That scheduled work is no longer due. Nothing was changed."
	case CodeReviewNotFound:
		return fmt.Sprintf("There is no access review %q.", o.ReviewID)
	case CodeReviewOpen:
		return fmt.Sprintf("%s has an open access review already (%s): finish it first. Nothing was changed.",
			or(o.ProductName, o.ProductID), o.OpenReviewID)
	case CodeNotInReview:
		return fmt.Sprintf("Request %s is not one of the grants of review %s. Nothing was changed.", o.RequestID, o.ReviewID)
	case CodeAlreadyDecided:
		if o.SeenDecidedBy != "" {
			return fmt.Sprintf("%s already decided this grant in the review. Nothing was changed.", o.SeenDecidedBy)
		}
		return "This review is complete. Nothing was changed."
	case CodeProductExists:
		return fmt.Sprintf("There is already a data product %q. Choose another ID, or edit that one. Nothing was saved.", o.ProductID)
	case CodeStaleVersion:
		return "Someone else saved this data product since you opened it. Nothing was saved; open it again and redo your change."
	case CodeAccessRoleNotOwned:
		return "Signoff could not grant this access role: its owner role, SIGNOFF_OWNER, does not own it. Ask a Snowflake admin to run GRANT OWNERSHIP ON ROLE <the access role> TO ROLE SIGNOFF_OWNER COPY CURRENT GRANTS (deploy/README.md). Nothing was saved."
	case CodeObjectNotVisible:
		return "Signoff cannot see that Snowflake object: it does not exist, or Signoff's owner role may not read its metadata."
	case CodeNotStepApprover:
		if o.StepUser == "" {
			return fmt.Sprintf("The %s step is for the requester's manager to decide. Nothing was changed.", o.StepLabel)
		}
		return fmt.Sprintf("The %s step is for the requester's manager, %s, to decide (or, once it escalates, its fallback approvers). Nothing was changed.",
			o.StepLabel, o.StepUser)
	case CodeNoManager:
		return fmt.Sprintf("%s needs your manager's approval, and your manager is not in Signoff's directory. Ask a Signoff admin to add them; nothing was submitted.",
			or(o.ProductName, o.ProductID))
	case CodeSelfManager:
		return fmt.Sprintf("%s: %s cannot be their own manager. Nothing was changed.", entryName(o.Line), o.UserName)
	case CodeManagerCycle:
		return fmt.Sprintf("%s: %s manages %s already, so %s cannot manage %s. Nothing was changed.",
			entryName(o.Line), o.UserName, o.ManagerName, o.ManagerName, o.UserName)
	case CodeConflict:
		return "Someone changed this request at the same moment. Nothing was changed; reload the page and try again."
	}
	return fmt.Sprintf("Signoff refused the action (%s). Nothing was changed.", o.Code)
}

// entryName names the directory entry at line (1-based) in a refusal.
func entryName(line int) string {
	if line <= 0 {
		return "The entry"
	}
	return fmt.Sprintf("Line %d", line)
}

func or(s, fallback string) string {
	if s != "" {
		return s
	}
	return fallback
}

// CodeOf returns the engine's code err came from, or "" if it came from none.
func CodeOf(err error) Code { return codeOf(err) }

// codeOf returns the engine's code err came from, or "" if it came from none.
func codeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// Raced reports whether err refused a decision because the request changed
// after the approver's page was read: someone else decided the step, the
// request ended, or another change came at the same moment. Nothing was
// recorded, and the request page as it now is says what happened.
func Raced(err error) bool {
	switch codeOf(err) {
	case CodeStaleStep, CodeWrongStatus, CodeConflict:
		return true
	}
	return false
}

// ActingAsRefused reports whether err refused a decision only for the
// acting-as role chosen: one not in the session, or not the step's.
func ActingAsRefused(err error) bool {
	c := codeOf(err)
	return c == CodeActingAsNotHeld || c == CodeActingAsWrongRole
}
