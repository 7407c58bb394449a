package signoff

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// MaxReviewNoteLength bounds a review decision's note: a revocation's
// comment is the note after the review's name (ReviewComment), and must fit
// MaxCommentLength.
const MaxReviewNoteLength = MaxCommentLength - 100

// MaxReviews bounds the reviews a product's review page lists, and the open
// reviews the reviews page reads.
const MaxReviews = 100

// errNoReviews is the answer of a Service whose engine keeps no reviews.
func errNoReviews() error {
	return Errorf(ErrNotFound, "Access reviews are not available on this engine.")
}

func noReview(id string) error { return Errorf(ErrNotFound, "There is no access review %q.", id) }

// MayReview reports whether viewer may start reviews of a product whose
// owner role is ownerRole, and decide their grants: admins and the
// product's owners. The engine checks it again for every action.
func MayReview(viewer Identity, ownerRole string) bool {
	return !viewer.Anonymous() && (viewer.Admin() || ownerRole != "" && viewer.HasRole(ownerRole))
}

// mayReadReviews reports whether viewer may read a product's reviews: its
// owners, admins and auditors.
func mayReadReviews(viewer Identity, ownerRole string) bool {
	return MayReview(viewer, ownerRole) || viewer.Auditor()
}

// ProductReviewsPage is a product's reviews: its policy, its reviews newest
// first, and whether the viewer may start one.
type ProductReviewsPage struct {
	Product  Product
	Policy   ReviewPolicy
	Reviews  []Review
	MayStart bool
	// Open is the product's open review, if any.
	Open *Review
	// NextDue is when the schedule opens the next review (zero: no
	// schedule, or one is open).
	NextDue time.Time
}

// ProductReviews returns product id's reviews for its owners, admins and
// auditors.
func (s *Service) ProductReviews(ctx context.Context, viewer Identity, id string) (ProductReviewsPage, error) {
	if err := requireSignedIn(viewer); err != nil {
		return ProductReviewsPage{}, err
	}
	if s.ReviewReads == nil {
		return ProductReviewsPage{}, errNoReviews()
	}
	p, _, err := s.reads.ProductFor(ctx, id, viewer.User)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return ProductReviewsPage{}, noProduct(id)
		}
		return ProductReviewsPage{}, fmt.Errorf("reviews of %s: %w", id, err)
	}
	if !mayReadReviews(viewer, p.OwnerRole) {
		return ProductReviewsPage{}, Errorf(ErrForbidden,
			"Only the owners of %s (%s), admins and auditors can see its access reviews.", p.Name, p.OwnerRole)
	}
	pol, reviews, err := s.ReviewReads.Reviews(ctx, id, MaxReviews)
	if err != nil {
		return ProductReviewsPage{}, fmt.Errorf("reviews of %s: %w", id, err)
	}
	page := ProductReviewsPage{Product: p, Policy: pol, Reviews: reviews, MayStart: MayReview(viewer, p.OwnerRole)}
	for i := range reviews {
		reviews[i].ProductName, reviews[i].OwnerRole = p.Name, p.OwnerRole
		if reviews[i].Status == ReviewOpen && page.Open == nil {
			page.Open = &reviews[i]
		}
	}
	if pol.ReviewDays > 0 && page.Open == nil {
		if len(reviews) == 0 {
			page.NextDue = s.now()
		} else {
			page.NextDue = reviews[0].OpenedAt.AddDate(0, 0, pol.ReviewDays)
		}
	}
	return page, nil
}

// ReviewPage is one review: its grants with their use, and what the viewer
// may do.
type ReviewPage struct {
	Review Review
	Items  []ReviewItem
	// MayDecide: the viewer is an owner of the product or an admin.
	MayDecide bool
	// Now is when the page was read: idleness and "last used" count from it.
	Now time.Time
}

// Undecided counts the grants still to decide.
func (p ReviewPage) Undecided() int {
	n := 0
	for _, it := range p.Items {
		if it.Decision == "" {
			n++
		}
	}
	return n
}

// SuggestRevoke reports whether the page suggests revoking it: a grant
// still to decide, still granted, whose use is known and idle.
func (p ReviewPage) SuggestRevoke(it ReviewItem) bool {
	return it.Decision == "" && it.Status == StatusGranted && p.Review.UsageKnown() &&
		it.Idle(p.Now, p.Review.Policy.Idle())
}

// Idle counts the grants suggested for revoke.
func (p ReviewPage) Idle() int {
	n := 0
	for _, it := range p.Items {
		if p.SuggestRevoke(it) {
			n++
		}
	}
	return n
}

// Review returns review id for the product's owners, admins and auditors.
func (s *Service) Review(ctx context.Context, viewer Identity, id string) (ReviewPage, error) {
	if err := requireSignedIn(viewer); err != nil {
		return ReviewPage{}, err
	}
	if s.ReviewReads == nil {
		return ReviewPage{}, errNoReviews()
	}
	if !ValidID(id) {
		return ReviewPage{}, noReview(id)
	}
	now := s.now()
	v, items, err := s.ReviewReads.Review(ctx, id, now)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return ReviewPage{}, noReview(id)
		}
		return ReviewPage{}, fmt.Errorf("review %s: %w", id, err)
	}
	if !mayReadReviews(viewer, v.OwnerRole) {
		return ReviewPage{}, Errorf(ErrForbidden,
			"Only the owners of %s (%s), admins and auditors can see its access reviews.", v.ProductName, v.OwnerRole)
	}
	return ReviewPage{Review: v, Items: items, MayDecide: MayReview(viewer, v.OwnerRole), Now: now}, nil
}

// ReviewsPage is the viewer's reviews: the open ones they may decide, and
// the products whose reviews they may start (owners: their products;
// admins: every product).
type ReviewsPage struct {
	Open     []Review
	Products []Product
}

// ReviewsAwaiting returns the open reviews whose grants viewer may decide
// (of products they own; every one for admins), oldest first, and the
// products whose reviews they may start, by name.
func (s *Service) ReviewsAwaiting(ctx context.Context, viewer Identity) (ReviewsPage, error) {
	if err := requireSignedIn(viewer); err != nil {
		return ReviewsPage{}, err
	}
	if s.ReviewReads == nil {
		return ReviewsPage{}, errNoReviews()
	}
	all, err := s.ReviewReads.OpenReviews(ctx, MaxReviews)
	if err != nil {
		return ReviewsPage{}, fmt.Errorf("open reviews: %w", err)
	}
	var page ReviewsPage
	for _, v := range all {
		if MayReview(viewer, v.OwnerRole) {
			page.Open = append(page.Open, v)
		}
	}
	products, err := s.reads.Products(ctx)
	if err != nil {
		return ReviewsPage{}, fmt.Errorf("open reviews: %w", err)
	}
	for _, p := range products {
		if MayReview(viewer, p.OwnerRole) {
			page.Products = append(page.Products, p)
		}
	}
	return page, nil
}

// StartReview opens a review of product id now; the product's owners and
// admins only (the engine checks). It returns the new review's ID.
func (s *Service) StartReview(ctx context.Context, viewer Identity, productID string) (string, error) {
	if err := requireSignedIn(viewer); err != nil {
		return "", err
	}
	if s.ReviewEngine == nil {
		return "", errNoReviews()
	}
	now := s.now()
	ids := s.newIDs(now, 1)
	o, err := s.ReviewEngine.StartReview(ctx, viewer, StartReviewCall{ProductID: productID, ReviewID: ids[0], At: now})
	if err != nil {
		return "", fmt.Errorf("start review of %s: %w", productID, err)
	}
	if err := s.checkActor(ctx, viewer, o); err != nil {
		return "", err
	}
	return o.ReviewID, nil
}

// ParseReviewDecision reads the review form's value ("keep", "revoke" or
// "ended").
func ParseReviewDecision(v string) (ReviewDecision, error) {
	switch v {
	case "keep":
		return ReviewKeep, nil
	case "revoke":
		return ReviewRevoke, nil
	case "ended":
		return ReviewEnded, nil
	}
	return "", Problems{"decision": "Choose keep or revoke."}
}

// ValidateReviewNote checks the note of a review decision, keyed "note": a
// revocation must say why (the requester reads it), a note to keep access
// is optional.
func ValidateReviewNote(d ReviewDecision, note string) error {
	if err := checkText("note", "The reason", note); err != nil {
		return err
	}
	switch {
	case storedLength(note) > MaxReviewNoteLength:
		return Problems{"note": "The reason is too long: keep it under 900 characters."}
	case d == ReviewRevoke && visibleLength(note) == 0:
		return Problems{"note": "Please say why you revoke this access: the requester will read it."}
	}
	return nil
}

// DecideReview keeps or revokes grant requestID in review reviewID (or
// closes it if its access ended meanwhile); the product's owners and
// admins only. A revocation runs the guarded revoke path. It returns where
// the review stands.
func (s *Service) DecideReview(ctx context.Context, viewer Identity, reviewID, requestID string, d ReviewDecision, note string) (Outcome, error) {
	if err := requireSignedIn(viewer); err != nil {
		return Outcome{}, err
	}
	if s.ReviewEngine == nil {
		return Outcome{}, errNoReviews()
	}
	if !ValidID(reviewID) {
		return Outcome{}, noReview(reviewID)
	}
	if !ValidID(requestID) {
		return Outcome{}, noRequest(requestID)
	}
	if d != ReviewKeep && d != ReviewRevoke && d != ReviewEnded {
		return Outcome{}, Problems{"decision": "Choose keep or revoke."}
	}
	if err := ValidateReviewNote(d, note); err != nil {
		return Outcome{}, err
	}
	now := s.now()
	o, err := s.ReviewEngine.DecideReview(ctx, viewer, ReviewCall{ReviewID: reviewID, RequestID: requestID, Decision: d,
		Note: strings.TrimSpace(note), EventIDs: s.newIDs(now, 1), At: now})
	if err != nil {
		return Outcome{}, fmt.Errorf("decide review %s, %s: %w", reviewID, requestID, err)
	}
	if o.ReviewID == "" {
		o.ReviewID = reviewID
	}
	return o, s.checkActor(ctx, viewer, o)
}

// RevokeIdle revokes, one by one and each through DecideReview's guarded
// path, every grant of review id still to decide that the review page
// suggests revoking (granted, its use known, idle), with the same reason;
// the product's owners and admins only. It returns how many it revoked;
// on an error it stops, and the grants revoked so far stay revoked (each
// revocation is its own action, audited on its own).
func (s *Service) RevokeIdle(ctx context.Context, viewer Identity, id, reason string) (int, error) {
	if err := requireSignedIn(viewer); err != nil {
		return 0, err
	}
	if s.ReviewReads == nil || s.ReviewEngine == nil {
		return 0, errNoReviews()
	}
	if !ValidID(id) {
		return 0, noReview(id)
	}
	if err := ValidateReviewNote(ReviewRevoke, reason); err != nil {
		return 0, err
	}
	now := s.now()
	v, items, err := s.ReviewReads.Review(ctx, id, now)
	if errors.Is(err, ErrNotFound) {
		return 0, noReview(id)
	}
	if err != nil {
		return 0, fmt.Errorf("revoke idle grants of review %s: %w", id, err)
	}
	if !MayReview(viewer, v.OwnerRole) {
		return 0, Outcome{Code: CodeNotAdminOrOwner, ReviewID: id, ProductID: v.ProductID, ProductName: v.ProductName,
			OwnerRole: v.OwnerRole}.Err()
	}
	page := ReviewPage{Review: v, Items: items, Now: now}
	n := 0
	for _, it := range items {
		if !page.SuggestRevoke(it) {
			continue
		}
		if _, err := s.DecideReview(ctx, viewer, id, it.RequestID, ReviewRevoke, reason); err != nil {
			return n, err
		}
		n++
	}
	if n == 0 {
		return 0, Errorf(ErrConflict, "No grant of this review is idle and still to decide. Nothing was changed.")
	}
	return n, nil
}
