package signoff

import (
	"context"
	"time"
)

// Reads are the reads the Service draws its pages from. Both engines serve
// them with the same SQL (package sqlstore, over the embedded database or
// Snowflake's API views); they are declared here, where they are used.
// Every read is one statement.
type Reads interface {
	// Products returns every catalog product with its chain, ordered by name.
	// The slice may be shared: read it, never modify it.
	Products(ctx context.Context) ([]Product, error)
	// ProductFor returns one product with its chain and user's open request
	// for it (ID and status only; nil if none), or ErrNotFound.
	ProductFor(ctx context.Context, id, user string) (Product, *Request, error)
	// ApproverRoles returns the distinct roles that key any chain step, sorted.
	ApproverRoles(ctx context.Context) ([]string, error)
	// RequestDetail returns one request with its steps, its product (the
	// product's chain left empty: the request's steps are what count) and
	// its audit events, oldest first, at most MaxRequestEvents, or
	// ErrNotFound.
	RequestDetail(ctx context.Context, id string) (Request, Product, []Event, error)
	// Requests returns the requests made by requester, newest first, with
	// their steps; at most limit.
	Requests(ctx context.Context, requester string, limit int) ([]Request, error)
	// Queue returns pending requests whose current step is keyed to one of
	// f.Roles and that were not made by f.User and have no step decided by
	// f.User, filtered, in f.Sort's order after f.After, with their steps;
	// at most f.Limit. With them, in the same statement, come the filters'
	// choices (QueueRows.Products).
	Queue(ctx context.Context, f QueueFilter) (QueueRows, error)
	// RequestsIn returns requests in any of statuses, oldest first, with
	// their steps; at most limit.
	RequestsIn(ctx context.Context, statuses []Status, limit int) ([]Request, error)
	// Grants returns the active grants (GRANTED requests, without their
	// steps) matching f, newest grant first, at most f.Limit.
	Grants(ctx context.Context, f GrantFilter) ([]Grant, error)
	// AllRequests returns the requests matching f (without their steps),
	// newest first, after f.After, at most f.Limit.
	AllRequests(ctx context.Context, f RequestFilter) ([]Request, error)
	// Events returns audit events matching f, newest first, at most f.Limit.
	Events(ctx context.Context, f EventFilter) ([]Event, error)
	// LedgerHead returns the last link of the audit log.
	LedgerHead(ctx context.Context) (LedgerHead, error)
	// LedgerHash returns the hash of the event at position seq, and false
	// if the log has no such event.
	LedgerHash(ctx context.Context, seq int) (string, bool, error)
	// VerifyLedger checks the whole audit log (see ledger.go), and the log
	// against digests.
	VerifyLedger(ctx context.Context, digests []Digest) (LedgerReport, error)
}

// Anchor keeps digests of the audit log where the people who can write its
// tables cannot rewrite them: a file outside the database (embedded
// engine), Snowflake's event table. The verifier checks the log against
// every digest kept.
type Anchor interface {
	// Digests returns every digest kept, oldest first.
	Digests(ctx context.Context) ([]Digest, error)
	// Last returns the newest digest kept, and false if there is none.
	Last(ctx context.Context) (Digest, bool, error)
	// Keep records a new digest.
	Keep(ctx context.Context, d Digest) error
	// Where says, for people, where the digests are kept.
	Where() string
}

// Engine applies the actions: what really differs between Snowflake and the
// embedded engine. Each action is one guarded call: on Snowflake an
// owner's-rights procedure CALLed in the actor's own session (so the actor
// and their roles are Snowflake's, not the app's), on the embedded engine
// the same checks and writes in one SQLite transaction, with the actor's
// roles from the local account. Each checks every rule of its action
// itself, makes its writes compare-and-set, writes its audit events in the
// same transaction, grants or revokes, and answers with an Outcome: a
// refusal is an Outcome, not an error. An error means the engine failed
// (and, for the grant that follows a final approval, that the outcome could
// not be recorded: the request stays visibly APPROVED). Correctness may not
// depend on PK/UNIQUE constraints: Snowflake's standard tables do not
// enforce them.
type Engine interface {
	// Submit files a request by actor for c.ProductID: PENDING at step 1,
	// with the product's chain copied into its steps.
	Submit(ctx context.Context, actor Identity, c SubmitCall) (Outcome, error)
	// Decide records actor's decision on the request's current step and
	// moves it on; the final approval grants the product's access role in
	// the same call (GRANTED or GRANT_FAILED).
	Decide(ctx context.Context, actor Identity, c DecideCall) (Outcome, error)
	// Withdraw moves actor's PENDING request to WITHDRAWN.
	Withdraw(ctx context.Context, actor Identity, c WithdrawCall) (Outcome, error)
	// RetryGrant runs the grant again for an APPROVED or GRANT_FAILED
	// request; admins only.
	RetryGrant(ctx context.Context, actor Identity, c RetryCall) (Outcome, error)
	// Revoke takes a GRANTED request's access role back and marks it
	// REVOKED; admins and the product's owners only.
	Revoke(ctx context.Context, actor Identity, c RevokeCall) (Outcome, error)
	// Resubmit answers an approver's question on actor's
	// CHANGES_REQUESTED request and sends it back, PENDING, to the same
	// step; the requester only.
	Resubmit(ctx context.Context, actor Identity, c ResubmitCall) (Outcome, error)
}

// Scheduler does the work that falls due with time: reminders,
// escalations, and the expiry of requests and of time-bound access. The
// embedded engine runs it in process (Service.Sweep); on Snowflake a TASK
// calls the RUN_SCHEDULE procedure, which runs the same statements.
type Scheduler interface {
	// Due lists the work due at at.
	Due(ctx context.Context, at time.Time) ([]Due, error)
	// RunDue does one piece of due work as the system, if it is still due
	// (otherwise NOT_DUE), with its event.
	RunDue(ctx context.Context, d Due, c SystemCall) (Outcome, error)
}

// DueKind names a kind of scheduled work.
type DueKind string

// The kinds of scheduled work.
const (
	DueExpireAccess  DueKind = "EXPIRE_ACCESS"  // time-bound access ended: revoke it, EXPIRED
	DueRemindExpiry  DueKind = "REMIND_EXPIRY"  // time-bound access ends soon: remind the requester
	DueExpireRequest DueKind = "EXPIRE_REQUEST" // waited longer than the product allows: EXPIRED
	DueRemindStep    DueKind = "REMIND_STEP"    // the step passed its deadline: remind its approvers
	DueEscalateStep  DueKind = "ESCALATE_STEP"  // nobody can decide the step, or twice its deadline passed
	DueOpenReview    DueKind = "OPEN_REVIEW"    // the product's access review is due: open one (RequestID is the product's ID)
)

// Due is one piece of scheduled work.
type Due struct {
	Kind      DueKind
	RequestID string
	// Why is "blocked" or "deadline" for an escalation.
	Why string
}

// SystemCall carries what the scheduler's work needs besides the Due.
type SystemCall struct {
	EventIDs []string // 1
	At       time.Time
}

// ResubmitCall answers an approver's question.
type ResubmitCall struct {
	RequestID string
	Answer    string // the requester's answer, for the approver
	Reason    string // a new business reason, or "" to keep it
	EventIDs  []string
	At        time.Time
	DryRun    bool
}

// SubmitCall asks for a new request.
type SubmitCall struct {
	ProductID string
	Reason    string
	Days      int // the duration asked for, one the product offers; 0 is permanent
	// Extends, if set, is the requester's GRANTED time-bound request for
	// the product that this one extends.
	Extends   string
	RequestID string    // the new request's ID (ValidID)
	EventIDs  []string  // IDs for the events the call writes: 1
	At        time.Time // the embedded engine's clock; Snowflake uses its own
	DryRun    bool      // check everything, write nothing (answers DRY_RUN)
}

// DecideCall is an approver's decision on a request's current step.
type DecideCall struct {
	RequestID string
	// Step is the step the approver saw; 0 means the current one. A stale
	// page therefore cannot decide a later step by accident.
	Step     int
	Decision Decision
	Comment  string
	// ActingAs, if set, is the one in-session role the approver chose to
	// act as; it must be the step's role.
	ActingAs string
	// Days, if not 0, approves for a shorter duration than the request
	// holds.
	Days     int
	EventIDs []string // up to 3: the decision, REQUEST_APPROVED, the grant's outcome
	At       time.Time
	DryRun   bool
}

// WithdrawCall withdraws a pending request.
type WithdrawCall struct {
	RequestID string
	EventIDs  []string // 1
	At        time.Time
	DryRun    bool
}

// RetryCall runs a failed (or never run) grant again.
type RetryCall struct {
	RequestID string
	EventIDs  []string // 1
	At        time.Time
	DryRun    bool
}

// RevokeCall takes granted access back.
type RevokeCall struct {
	RequestID string
	Reason    string
	EventIDs  []string // 1
	At        time.Time
	DryRun    bool
}

// EventFilter selects audit events. Zero fields match everything.
type EventFilter struct {
	RequestID string
	ProductID string
	Actor     string // part of the actor's name, in any case: "fra" finds FRANK's events
	Type      EventType
	From, To  time.Time // From inclusive, To exclusive
	// Before pages by key: only events before this position in the log
	// (their Seq less than it), newest first; 0 starts at the newest.
	Before int
	Limit  int
}
