package signoff

import (
	"context"
	"time"
)

// Store persists Signoff's state on one engine. Implementations must make
// every state change compare-and-set and write its audit events in the same
// transaction; correctness may not depend on PK/UNIQUE constraints (Snowflake
// standard tables do not enforce them).
type Store interface {
	// Products returns every catalog product with its chain, ordered by name.
	Products(ctx context.Context) ([]Product, error)
	// Product returns one product with its chain, or ErrNotFound.
	Product(ctx context.Context, id string) (Product, error)
	// ProductFor returns one product with its chain and user's open request
	// for it (ID and status only; nil if none), in one statement, or
	// ErrNotFound.
	ProductFor(ctx context.Context, id, user string) (Product, *Request, error)
	// ApproverRoles returns the distinct roles that key any chain step, sorted.
	ApproverRoles(ctx context.Context) ([]string, error)

	// CreateRequest inserts r as PENDING at step 1, copies the product's chain
	// into its steps and writes ev, atomically. It returns ErrConflict if the
	// requester already has an open request (see Status.Open) for the product.
	CreateRequest(ctx context.Context, r Request, ev Event) error
	// Request returns one request with its steps, or ErrNotFound.
	Request(ctx context.Context, id string) (Request, error)
	// RequestDetail returns one request with its steps and its product (the
	// product's chain left empty: the request's steps are what count), in
	// one statement, or ErrNotFound.
	RequestDetail(ctx context.Context, id string) (Request, Product, error)
	// Requests returns the requests made by requester, newest first, with
	// their steps; at most limit.
	Requests(ctx context.Context, requester string, limit int) ([]Request, error)
	// Queue returns pending requests whose current step is keyed to one of
	// roles and that were not made by user and have no step decided by user,
	// oldest first, with their steps; at most limit.
	Queue(ctx context.Context, roles []string, user string, limit int) ([]Request, error)

	// DecideStep records d and moves the request on (next step, APPROVED or
	// REJECTED), writing events in the same transaction. It is a
	// compare-and-set: ErrConflict if the request is no longer PENDING at
	// d.Step, if d.DecidedBy is the requester or already decided a step of
	// it, or if d.ActorRole is not the step's approver role.
	DecideStep(ctx context.Context, d StepDecision, events []Event) error
	// Withdraw moves a PENDING request made by ev.Actor to WITHDRAWN and
	// writes ev; ErrConflict if it is not pending or not theirs.
	Withdraw(ctx context.Context, requestID string, ev Event) error
	// Grant runs the engine's grant path for an APPROVED or GRANT_FAILED
	// request: it re-verifies the decision record, grants the product's access
	// role to the requester, and records GRANTED or GRANT_FAILED with its audit
	// event. It returns the resulting status; an error means the outcome
	// could not be recorded (the request stays visibly APPROVED).
	Grant(ctx context.Context, c GrantCall) (Status, error)
	// Revoke takes the product's access role back from the requester of a
	// GRANTED request, marks it REVOKED and audits; ErrConflict if the request
	// is not GRANTED.
	Revoke(ctx context.Context, c GrantCall) error

	// Events returns audit events matching f, newest first, at most f.Limit.
	Events(ctx context.Context, f EventFilter) ([]Event, error)
	// VerifyAudit checks every request's audit hash chain (see chain.go).
	VerifyAudit(ctx context.Context) (ChainReport, error)
	// RequestsIn returns requests in any of statuses, oldest first, with
	// their steps; at most limit.
	RequestsIn(ctx context.Context, statuses []Status, limit int) ([]Request, error)
}

// StepDecision is one approver's decision on one step, as the store records it.
type StepDecision struct {
	RequestID string
	Step      int
	Decision  Decision
	DecidedBy string
	ActorRole string
	Comment   string
	At        time.Time
	// Next is the status after the decision: PENDING (on to Step+1),
	// APPROVED (final step approved) or REJECTED.
	Next Status
}

// GrantCall asks the engine's grant path to grant or revoke a request's access.
type GrantCall struct {
	RequestID string
	Actor     string // who triggered it (the final approver, or an admin)
	ActorRole string
	Reason    string // for revocations
	At        time.Time
	EventID   string // the ID for the audit event the call writes
}

// EventFilter selects audit events. Zero fields match everything.
type EventFilter struct {
	RequestID string
	ProductID string
	Actor     string
	Type      EventType
	From, To  time.Time // From inclusive, To exclusive
	Before    string    // keyset paging: only events with an ID less than this
	Limit     int
}
