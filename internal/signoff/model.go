package signoff

import (
	"slices"
	"strings"
	"time"
)

// MaxRequestEvents bounds the audit events a request page shows.
const MaxRequestEvents = 500

// Status is where an access request is in its lifecycle (docs/design.md).
type Status string

// The lifecycle's states.
const (
	StatusPending     Status = "PENDING"      // waiting for the decision on CurrentStep
	StatusApproved    Status = "APPROVED"     // every step approved; the grant has not run yet
	StatusGranted     Status = "GRANTED"      // the requester holds the product's access role
	StatusGrantFailed Status = "GRANT_FAILED" // the grant ran and failed; an admin may retry
	StatusRejected    Status = "REJECTED"     // an approver rejected a step
	StatusWithdrawn   Status = "WITHDRAWN"    // the requester withdrew while pending
	StatusRevoked     Status = "REVOKED"      // granted access was taken away again
	// StatusChangesRequested: an approver asked the requester a question;
	// the request waits on the requester's answer, then resumes at the same
	// step.
	StatusChangesRequested Status = "CHANGES_REQUESTED"
	// StatusExpired: time-bound access ended at its time (and was revoked),
	// or the request waited for decisions longer than its product allows.
	StatusExpired Status = "EXPIRED"
)

// Statuses lists every status in lifecycle order.
var Statuses = []Status{StatusPending, StatusChangesRequested, StatusApproved, StatusGranted,
	StatusGrantFailed, StatusRejected, StatusWithdrawn, StatusRevoked, StatusExpired}

// Open reports whether a request in this status still stands: it blocks a
// second request for the same product by the same person.
func (s Status) Open() bool {
	switch s {
	case StatusPending, StatusChangesRequested, StatusApproved, StatusGranted, StatusGrantFailed:
		return true
	}
	return false
}

// Label is the status as people read it.
func (s Status) Label() string {
	switch s {
	case StatusPending:
		return "Pending"
	case StatusApproved:
		return "Approved, awaiting grant"
	case StatusGranted:
		return "Granted"
	case StatusGrantFailed:
		return "Grant failed"
	case StatusRejected:
		return "Rejected"
	case StatusWithdrawn:
		return "Withdrawn"
	case StatusRevoked:
		return "Revoked"
	case StatusChangesRequested:
		return "Changes requested"
	case StatusExpired:
		return "Expired"
	}
	return string(s)
}

// InSentence is the status as it reads after "This request is": lower
// case, and for a request waiting on its requester, what it waits for.
func (s Status) InSentence() string {
	if s == StatusChangesRequested {
		return "waiting for its requester's answer"
	}
	return strings.ToLower(s.Label())
}

// Decision is an approver's verdict on one step.
type Decision string

// Decisions an approver can make. The empty Decision means "not decided yet".
const (
	DecisionNone    Decision = ""
	DecisionApprove Decision = "APPROVED"
	DecisionReject  Decision = "REJECTED"
	// DecisionChanges asks the requester a question: the step stays
	// undecided and the request waits on the requester (never stored on a
	// step).
	DecisionChanges Decision = "CHANGES_REQUESTED"
)

// EventType names an audit event.
type EventType string

// Audit event types (docs/design.md).
const (
	EventRequestSubmitted EventType = "REQUEST_SUBMITTED"
	EventStepApproved     EventType = "STEP_APPROVED"
	EventStepRejected     EventType = "STEP_REJECTED"
	EventRequestApproved  EventType = "REQUEST_APPROVED"
	EventAccessGranted    EventType = "ACCESS_GRANTED"
	EventGrantFailed      EventType = "GRANT_FAILED"
	EventRequestWithdrawn EventType = "REQUEST_WITHDRAWN"
	EventAccessRevoked    EventType = "ACCESS_REVOKED"
	// EventChangesRequested: an approver of the current step asked the
	// requester a question (Comment); the step stays undecided.
	EventChangesRequested EventType = "CHANGES_REQUESTED"
	// EventRequestResubmitted: the requester answered (Comment) and, if
	// Details is not empty, replaced the business reason with it.
	EventRequestResubmitted EventType = "REQUEST_RESUBMITTED"
	// EventStepReminded: the current step passed its deadline; its
	// approvers are reminded (by the system).
	EventStepReminded EventType = "STEP_REMINDED"
	// EventStepEscalated: the current step may now also be decided by its
	// fallback role (Details), because nobody could decide it or its
	// deadline passed twice (Comment says which); by the system.
	EventStepEscalated EventType = "STEP_ESCALATED"
	// EventRequestExpired: the request waited longer than its product
	// allows for decisions; by the system.
	EventRequestExpired EventType = "REQUEST_EXPIRED"
	// EventExpiryReminded: time-bound access ends soon; the requester is
	// reminded (by the system).
	EventExpiryReminded EventType = "EXPIRY_REMINDED"
	// EventAccessExpired: time-bound access ended and was revoked by the
	// guarded revoke path; by the system.
	EventAccessExpired EventType = "ACCESS_EXPIRED"
	// EventReviewKept: an owner kept the access in an access review
	// (Details: ReviewDetails; Comment: their note); the request stays
	// GRANTED.
	EventReviewKept EventType = "REVIEW_KEPT"
	// EventDirectoryChanged: an admin set (Details) or removed (no
	// Details) the manager of the user in Comment. It belongs to no
	// request.
	EventDirectoryChanged EventType = "DIRECTORY_CHANGED"
)

// SystemActor is the actor of the events Signoff writes on its own
// schedule (reminders, escalations, expiries): no person acted. Only the
// scheduler's procedure writes it; the verifier refuses it on any other
// event, and a user of that name can do nothing the scheduler does.
const SystemActor = "SIGNOFF$SCHEDULER"

// EventTypes lists every audit event type, for filters.
var EventTypes = []EventType{EventRequestSubmitted, EventStepApproved, EventStepRejected,
	EventChangesRequested, EventRequestResubmitted, EventRequestApproved, EventAccessGranted,
	EventGrantFailed, EventRequestWithdrawn, EventAccessRevoked, EventStepReminded,
	EventStepEscalated, EventRequestExpired, EventExpiryReminded, EventAccessExpired, EventReviewKept, EventProductSaved, EventPolicySaved,
	EventDirectoryChanged}

// Column describes one column of a data product, shown to requesters and to
// approvers so that nobody approves in the dark.
type Column struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Description string `json:"description,omitempty"`
	Sensitive   bool   `json:"sensitive,omitempty"`
}

// StepKind says who decides a chain step.
type StepKind string

// The kinds of chain step.
const (
	// KindRole: any member of the step's ApproverRole.
	KindRole StepKind = "ROLE"
	// KindOwner: any member of the product's owner role; the step's
	// ApproverRole is kept equal to Product.OwnerRole whenever the product
	// is saved.
	KindOwner StepKind = "OWNER"
	// KindManager: the requester's own manager, from the directory, who
	// must also hold the step's ApproverRole.
	KindManager StepKind = "MANAGER"
)

// StepKinds lists the kinds of chain step.
var StepKinds = []StepKind{KindRole, KindOwner, KindManager}

// MaxQuorum is the most approvals one chain step may ask for.
const MaxQuorum = 5

// ChainStep is one rule of a product's approval chain: a step that applies
// to the product (always, or when it carries WhenTag), resolved into one
// request step per approval it needs (ResolveChain) when a request is
// submitted.
type ChainStep struct {
	Order        int    // 1-based position in the chain
	ApproverRole string // any user with this role in session may decide the step
	Label        string // what people call the step ("Line manager")
	// Kind says who decides: a role's members, the owner role's, or the
	// requester's manager. "" reads as KindRole.
	Kind StepKind
	// WhenTag, if set, makes the step apply only to a product whose
	// classification is it or whose tags include it (in any case): "PII
	// adds the data-protection step".
	WhenTag string
	// Quorum is how many distinct members must approve the step (1 when 0):
	// it becomes that many request steps, "Data owner (1 of 2)" ….
	Quorum int
	// DeadlineHours, if not 0, is how long the step may wait: after it the
	// approvers are reminded, after twice it the step escalates.
	DeadlineHours int
	// FallbackRole, if set, is this step's escalation role, instead of the
	// product's.
	FallbackRole string
}

// Product is a data product in the catalog.
type Product struct {
	ID             string
	Name           string
	Description    string
	Owner          string // the person or team that answers for the product
	OwnerRole      string // members of this role may revoke access to the product
	Domain         string
	Classification string // PUBLIC, INTERNAL, CONFIDENTIAL, PII, FINANCE …
	Tags           []string
	Columns        []Column
	AccessRole     string // the role granted on final approval
	Chain          []ChainStep
	// Policy is the account's chain policy, which every product's chain
	// gets after its own steps (each where it applies): the same for every
	// product, read with it.
	Policy []ChainStep
	// Durations are the access durations a requester may ask for, in days,
	// shortest first; 0 is permanent access. Never empty.
	Durations []int
	// PendingDays, if not 0, is how long a request may wait for decisions
	// before it expires.
	PendingDays int
	// FallbackRole, if set, may decide a step that nobody else can, or
	// whose deadline passed twice, once the step has escalated.
	FallbackRole string
	// ExtendLastStep says that a request to extend access goes through
	// the chain's last step only, instead of the whole chain.
	ExtendLastStep bool
}

// MaxDays is the longest duration a product may offer, about ten years.
const MaxDays = 3650

// DefaultDays is the duration a request form offers first: the shortest
// time-bound one the product offers, else permanent access (least
// privilege by default).
func (p Product) DefaultDays() int {
	best := 0
	for _, d := range p.Durations {
		if d > 0 && (best == 0 || d < best) {
			best = d
		}
	}
	return best
}

// Step is one step of a request's approval chain and, once made, its decision.
// The chain is copied from the product when the request is submitted, so a
// later change to the product's chain does not move a request in flight.
type Step struct {
	Order        int
	Label        string
	ApproverRole string
	Decision     Decision
	DecidedBy    string
	ActorRole    string // the role the decider acted as
	Comment      string
	DecidedAt    time.Time
	// DeadlineHours and FallbackRole are copied from the chain at submit.
	DeadlineHours int
	FallbackRole  string
	// EscalatedTo is the fallback role once the step escalated: its members
	// may then decide the step as well.
	EscalatedTo string
	// ApprovedDays, if not 0, is the shorter duration the approver
	// approved.
	ApprovedDays int
	// ApproverUser, for a manager step, is the requester's manager as the
	// directory named them at submit: only they may decide the step with
	// ApproverRole; once it escalated, the fallback role's members too.
	ApproverUser string
}

// Roles returns the roles that may decide the step now: its approver role
// and, once escalated, its fallback role.
func (s Step) Roles() []string {
	if s.EscalatedTo != "" && s.EscalatedTo != s.ApproverRole {
		return []string{s.ApproverRole, s.EscalatedTo}
	}
	return []string{s.ApproverRole}
}

// Request is one access request.
type Request struct {
	ID             string
	ProductID      string
	ProductName    string
	Classification string
	AccessRole     string
	Requester      string
	Reason         string
	Status         Status
	CurrentStep    int // the step waiting for a decision while PENDING
	StepCount      int
	CreatedAt      time.Time
	UpdatedAt      time.Time
	Steps          []Step // ordered by Step.Order; empty in list views that do not need them
	// AskedDays is the duration the requester asked for, DurationDays the
	// one the request holds now (approvers may shorten it); 0 is permanent.
	AskedDays, DurationDays int
	// ExpiresAt is when granted access ends; zero for permanent access or
	// before the grant.
	ExpiresAt time.Time
	// Extends is the granted request this one asks to extend, if any.
	Extends string
}

// Current returns the step waiting for a decision, if the request is pending.
func (r Request) Current() (Step, bool) {
	if r.Status != StatusPending {
		return Step{}, false
	}
	for _, s := range r.Steps {
		if s.Order == r.CurrentStep {
			return s, true
		}
	}
	return Step{}, false
}

// Step returns the request's step numbered order, if it has one.
func (r Request) Step(order int) (Step, bool) {
	for _, s := range r.Steps {
		if s.Order == order {
			return s, true
		}
	}
	return Step{}, false
}

// LastDecision returns the step decided last, if any was: steps are decided
// in order, so it is the decided step with the highest number. Its comment
// is what the requester most wants to read (a rejection's reason).
func (r Request) LastDecision() (Step, bool) {
	var last Step
	for _, s := range r.Steps {
		if s.Decision != DecisionNone && s.Order > last.Order {
			last = s
		}
	}
	return last, last.Order > 0
}

// DecidedBy reports whether user decided any step of the request.
func (r Request) DecidedBy(user string) bool {
	return slices.ContainsFunc(r.Steps, func(s Step) bool {
		return s.Decision != DecisionNone && s.DecidedBy == user
	})
}

// Event is one row of the append-only audit log.
type Event struct {
	ID        string
	Time      time.Time
	RequestID string
	ProductID string
	// ProductName is the product's name as the catalog has it now, for
	// people to read; "" if the product is gone. It is not part of the
	// event, nor of its hash.
	ProductName string
	Actor       string // the user who acted (or the app for system events)
	ActorRole   string // the role the actor acted as
	Type        EventType
	Step        int      // 0 when the event is not about one step
	Decision    Decision // for step events
	Comment     string
	Details     string // machine-readable context (the granted role, an error)
	// The event's link in its request's hash chain (see chain.go).
	Seq      int
	PrevHash string
	Hash     string
}

// Persona is a user of the embedded engine's demo account that one can sign in as.
type Persona struct {
	User  string
	Name  string
	Title string
	Roles []string // roles granted directly
}

// Automatic reports whether Signoff wrote e by itself, as the consequence of
// a person's action rather than as the action: the grant's outcome
// (ACCESS_GRANTED, GRANT_FAILED), which follows the final approval or an
// admin's retry. Its actor is that person, who asked for the grant but did
// not run it.
func (e Event) Automatic() bool {
	return e.Type == EventAccessGranted || e.Type == EventGrantFailed
}

// By says who an event is by, as people read it: its actor, or for an
// automatic event "Signoff, after FRANK's approval" ("Signoff, on ADAM's
// retry" when an admin retried the grant). Only the words change: the actor
// stays the event's, in the log and its exports.
func (e Event) By() string {
	if !e.Automatic() {
		return e.Actor
	}
	if e.ActorRole == RoleAdmin {
		return "Signoff, on " + e.Actor + "'s retry"
	}
	return "Signoff, after " + e.Actor + "'s approval"
}
