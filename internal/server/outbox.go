package server

import (
	"context"
	"net/http"

	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/web/view"
)

// Notices is the part of the workflow behind the outbox page and the
// header's pending approvals count: *signoff.Service, or a fake. It is
// apart from Workflow so that a server without it (handler tests of other
// pages) serves neither.
type Notices interface {
	Outbox(ctx context.Context, viewer signoff.Identity) (signoff.OutboxPage, error)
	SetDigest(ctx context.Context, viewer signoff.Identity, daily bool) error
	PendingCount(ctx context.Context, viewer signoff.Identity) (int, bool)
}

// handleOutbox handles "GET /outbox": the viewer's messages, newest first
// (an admin's: everyone's), and their digest choice.
func (s *Server) handleOutbox(w http.ResponseWriter, r *http.Request) {
	page, err := s.notices.Outbox(r.Context(), viewerOf(r.Context()))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, view.OutboxPage(s.meta(w, r, "Messages", "outbox"), page))
}

// handleDigest handles "POST /outbox/digest" (digest=daily|each): the
// viewer's choice of a daily digest of the steps they may decide.
func (s *Server) handleDigest(w http.ResponseWriter, r *http.Request) {
	var daily bool
	switch r.PostFormValue("digest") {
	case "daily":
		daily = true
	case "each":
	default:
		s.fail(w, r, signoff.Errorf(signoff.ErrInvalid, "Choose a daily digest or a message for each request."))
		return
	}
	if err := s.notices.SetDigest(r.Context(), viewerOf(r.Context()), daily); err != nil {
		s.fail(w, r, err)
		return
	}
	flash := "You will get a message for each request that waits for your decision."
	if daily {
		flash = "You will get one daily digest of the requests that wait for your decision."
	}
	s.redirect(w, r, "/outbox", flash)
}
