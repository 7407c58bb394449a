package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/web/view"
)

// Reviews is the part of the workflow behind the access review pages:
// *signoff.Service, or a fake. It is apart from Workflow so that a server
// without it serves none of them.
type Reviews interface {
	ReviewsAwaiting(ctx context.Context, viewer signoff.Identity) (signoff.ReviewsPage, error)
	ProductReviews(ctx context.Context, viewer signoff.Identity, productID string) (signoff.ProductReviewsPage, error)
	Review(ctx context.Context, viewer signoff.Identity, id string) (signoff.ReviewPage, error)
	StartReview(ctx context.Context, viewer signoff.Identity, productID string) (string, error)
	DecideReview(ctx context.Context, viewer signoff.Identity, reviewID, requestID string, d signoff.ReviewDecision,
		note string) (signoff.Outcome, error)
	RevokeIdle(ctx context.Context, viewer signoff.Identity, id, reason string) (int, error)
}

// handleReviewsAwaiting handles "GET /reviews": the open reviews the viewer
// may decide.
func (s *Server) handleReviewsAwaiting(w http.ResponseWriter, r *http.Request) {
	r, err := s.pageViewer(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	list, err := s.reviews.ReviewsAwaiting(r.Context(), viewerOf(r.Context()))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, view.ReviewsAwaitingPage(s.meta(w, r, "Access reviews", "reviews"), list))
}

// handleProductReviews handles "GET /products/{id}/reviews": a product's
// review policy and reviews, and a button to start one.
func (s *Server) handleProductReviews(w http.ResponseWriter, r *http.Request) {
	r, err := s.pageViewer(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page, err := s.reviews.ProductReviews(r.Context(), viewerOf(r.Context()), chi.URLParam(r, "id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, view.ProductReviewsPage(s.meta(w, r, "Access reviews of "+page.Product.Name, "reviews"), page))
}

// handleStartReview handles "POST /products/{id}/reviews": an owner or an
// admin starts a review now, then goes to it.
func (s *Server) handleStartReview(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(r); err != nil {
		s.fail(w, r, err)
		return
	}
	id, err := s.reviews.StartReview(r.Context(), viewerOf(r.Context()), chi.URLParam(r, "id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, view.ReviewURL(id), "Review started: keep or revoke each grant below.")
}

// handleReview handles "GET /reviews/{id}".
func (s *Server) handleReview(w http.ResponseWriter, r *http.Request) {
	s.showReview(w, r, http.StatusOK, view.ReviewForm{})
}

func (s *Server) showReview(w http.ResponseWriter, r *http.Request, status int, form view.ReviewForm) {
	r, err := s.pageViewer(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page, err := s.reviews.Review(r.Context(), viewerOf(r.Context()), chi.URLParam(r, "id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, status, view.ReviewPage(s.meta(w, r, "Access review of "+page.Review.ProductName, "reviews"), page, form))
}

// handleReviewDecision handles "POST /reviews/{id}/items/{request}"
// (decision=keep|revoke|ended, note): one grant of the review kept,
// revoked (with a reason) or closed once its access ended meanwhile.
// Revoking asks no confirmation: the reason it needs is the deliberate
// step, and the review page lists the decisions made.
func (s *Server) handleReviewDecision(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(r); err != nil {
		s.fail(w, r, err)
		return
	}
	reviewID, requestID := chi.URLParam(r, "id"), chi.URLParam(r, "request")
	note := r.PostForm.Get("note")
	d, err := signoff.ParseReviewDecision(r.PostForm.Get("decision"))
	if err != nil {
		s.fail(w, r, signoff.Errorf(signoff.ErrInvalid, "Choose keep or revoke."))
		return
	}
	o, err := s.reviews.DecideReview(r.Context(), viewerOf(r.Context()), reviewID, requestID, d, note)
	var problems signoff.Problems
	if errors.As(err, &problems) {
		s.showReview(w, r, http.StatusUnprocessableEntity, view.ReviewForm{RequestID: requestID, Note: note, Problems: problems})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	flash := "Kept: the access stays."
	switch d {
	case signoff.ReviewRevoke:
		flash = "Revoked: the role was taken back from the requester."
	case signoff.ReviewEnded:
		flash = "Closed: that access had ended already."
	}
	if o.ReviewStatus == signoff.ReviewComplete {
		flash += " Every grant is decided: the review is complete."
	}
	s.redirect(w, r, view.ReviewURL(reviewID), flash)
}

// handleRevokeIdle handles "POST /reviews/{id}/revoke-idle" (note): every
// grant the review suggests revoking, revoked with one reason, each through
// the guarded revoke path.
func (s *Server) handleRevokeIdle(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(r); err != nil {
		s.fail(w, r, err)
		return
	}
	id, note := chi.URLParam(r, "id"), r.PostForm.Get("note")
	n, err := s.reviews.RevokeIdle(r.Context(), viewerOf(r.Context()), id, note)
	var problems signoff.Problems
	if errors.As(err, &problems) {
		s.showReview(w, r, http.StatusUnprocessableEntity, view.ReviewForm{RequestID: view.IdleForm, Note: note, Problems: problems})
		return
	}
	if err != nil {
		if n > 0 {
			err = fmt.Errorf("after revoking %d idle grants: %w", n, err)
		}
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, view.ReviewURL(id), fmt.Sprintf("Revoked %d idle grant%s: the roles were taken back.", n, plural(n)))
}
