package server

import (
	"net/http"

	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/web/view"
)

// handleAdminIndex serves GET /admin: the pages under the Admin tab, for
// auditors and admins.
func (s *Server) handleAdminIndex(w http.ResponseWriter, r *http.Request) {
	if err := signoff.RequireAuditor(viewerOf(r.Context())); err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, view.AdminIndexPage(s.meta(w, r, "Admin", "admin")))
}
