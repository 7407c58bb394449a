package signoff

import (
	"context"
	"strings"
	"time"
)

// Access reviews (docs/design.md, "Access reviews"): the owners of a data
// product (members of its owner role) and admins periodically go through the
// product's active grants, each with its last use, and keep or revoke each.
// A review lists the grants that were GRANTED when it opened; it is complete
// once every grant is decided. Keeping records a REVIEW_KEPT event on the
// grant's request; revoking runs the guarded revoke path (CheckRevoke,
// REVOKE_ACCESS's END_ACCESS) with an ACCESS_REVOKED event whose comment
// names the review (ReviewComment); a grant that ended meanwhile (revoked or
// expired outside the review) is closed as ENDED, which needs no event.

// ReviewStatus is where an access review is.
type ReviewStatus string

// A review's states.
const (
	ReviewOpen     ReviewStatus = "OPEN"     // some grant is not decided yet
	ReviewComplete ReviewStatus = "COMPLETE" // every grant is decided
)

// ReviewDecision is an owner's verdict on one grant of a review.
type ReviewDecision string

// The verdicts. The empty ReviewDecision means "not decided yet".
const (
	ReviewKeep   ReviewDecision = "KEEP"   // the access stays (REVIEW_KEPT)
	ReviewRevoke ReviewDecision = "REVOKE" // the access is revoked (ACCESS_REVOKED)
	// ReviewEnded closes a grant whose access ended meanwhile, outside the
	// review (revoked by someone, or expired): there is nothing to decide.
	ReviewEnded ReviewDecision = "ENDED"
)

// DefaultIdleDays is how long a grant may go unused before a review
// suggests revoking it, for a product that does not say
// (Product.IdleDays).
const DefaultIdleDays = 30

// UsageLatency is how far behind Snowflake's access history may be
// (docs/snowflake.md): a grant used within it may show an older last use.
const UsageLatency = 3 * time.Hour

// Review is one access review of a product.
type Review struct {
	ID          string
	ProductID   string
	ProductName string
	OwnerRole   string
	Status      ReviewStatus
	OpenedBy    string // a person, or SystemActor when the schedule opened it
	OpenedAt    time.Time
	CompletedAt time.Time // zero while open
	Items       int       // grants listed
	Decided     int       // grants decided
	// Policy is the product's review policy now.
	Policy ReviewPolicy
}

// UsageKnown says whether Signoff can tell the grants' use: the product
// names the object its access role gives.
func (r Review) UsageKnown() bool { return r.Policy.ObjectName != "" }

// ReviewItem is one grant of a review, with its use and its decision.
type ReviewItem struct {
	ReviewID  string
	RequestID string
	Requester string
	// Status is the grant's request's status now: GRANTED unless it ended
	// meanwhile.
	Status    Status
	GrantedAt time.Time
	ExpiresAt time.Time
	Decision  ReviewDecision
	DecidedBy string
	DecidedAt time.Time
	Note      string
	// LastUsed is the requester's last use of the product since the grant;
	// zero if none was recorded. Queries30 and Queries90 count their queries
	// in the last 30 and 90 days (since the grant).
	LastUsed             time.Time
	Queries30, Queries90 int
}

// Idle reports whether the grant went unused for idleDays at now: never
// used and granted at least that long ago, or last used that long ago. A
// review suggests revoking idle grants.
func (it ReviewItem) Idle(now time.Time, idleDays int) bool {
	limit := now.Add(-time.Duration(idleDays) * 24 * time.Hour)
	if it.LastUsed.IsZero() {
		return !it.GrantedAt.IsZero() && !it.GrantedAt.After(limit)
	}
	return !it.LastUsed.After(limit)
}

// ReviewPolicy is how a product is reviewed: DATA_PRODUCT's REVIEW_DAYS,
// IDLE_DAYS and OBJECT_NAME.
type ReviewPolicy struct {
	// ReviewDays is the interval between scheduled reviews; 0 schedules
	// none (owners may still start one).
	ReviewDays int
	// IdleDays is how long a grant may go unused before a review suggests
	// revoking it; 0 means DefaultIdleDays.
	IdleDays int
	// ObjectName is the object ("DB.SCHEMA.TABLE") the product's access
	// role gives, whose use Snowflake's access history records; "" if the
	// product names none, and its use is then unknown.
	ObjectName string
}

// Idle is the policy's idle threshold in days.
func (p ReviewPolicy) Idle() int {
	if p.IdleDays > 0 {
		return p.IdleDays
	}
	return DefaultIdleDays
}

// ReviewComment is the comment of the ACCESS_REVOKED event of a revocation
// made in review id: the review, then the owner's reason. The verifier
// relates the review's REVOKE decisions to these events by the prefix
// (sqlstore.ReviewCommentPrefix is the same text in SQL).
func ReviewComment(id, reason string) string {
	return "Review " + id + ": " + strings.TrimSpace(reason)
}

// ReviewDetails is the details of a REVIEW_KEPT event: the review.
func ReviewDetails(id string) string { return "review=" + id + ";" }

// ReviewReads are the reads behind the review pages, one statement each
// (package sqlstore).
type ReviewReads interface {
	// Reviews returns a product's review policy and its reviews, newest
	// first, at most limit, or ErrNotFound if there is no such product.
	Reviews(ctx context.Context, productID string, limit int) (ReviewPolicy, []Review, error)
	// OpenReviews returns every open review, oldest first, at most limit.
	OpenReviews(ctx context.Context, limit int) ([]Review, error)
	// Review returns one review with its grants and their use as of now
	// (the product's name, owner role and thresholds with it), or
	// ErrNotFound.
	Review(ctx context.Context, id string, now time.Time) (Review, []ReviewItem, error)
}

// ReviewEngine applies the review actions, each one guarded call as the
// Engine's actions are (the START_REVIEW and DECIDE_REVIEW procedures on
// Snowflake).
type ReviewEngine interface {
	// StartReview opens a review of c.ProductID listing its GRANTED
	// requests; admins and the product's owners only, one open review per
	// product. A product with no grant gets a review that is complete at
	// once.
	StartReview(ctx context.Context, actor Identity, c StartReviewCall) (Outcome, error)
	// DecideReview keeps or revokes one grant of an open review (or closes
	// one that ended meanwhile), and completes the review when it was the
	// last; admins and the product's owners only.
	DecideReview(ctx context.Context, actor Identity, c ReviewCall) (Outcome, error)
}

// StartReviewCall opens a review.
type StartReviewCall struct {
	ProductID string
	ReviewID  string // the new review's ID (ValidID)
	At        time.Time
	DryRun    bool
}

// ReviewCall is an owner's decision on one grant of a review.
type ReviewCall struct {
	ReviewID  string
	RequestID string
	Decision  ReviewDecision
	// Note is the reason for a revocation (required), or an optional note
	// for keeping it.
	Note     string
	EventIDs []string // 1
	At       time.Time
	DryRun   bool
}
