package server

import (
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/web"
)

// routes lists every route (docs/design.md's URL contract) and the middleware
// around them.
func (s *Server) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(withRequestID, s.logRequests, s.recoverPanics, securityHeaders, s.loopbackOnly, limitBodies, s.crossOrigin,
		s.textOnly, middleware.GetHead) // HEAD is answered by the GET handler

	r.Get("/healthz", s.handleHealthz)
	r.Get("/readyz", s.handleReadyz)
	r.Handle("/static/*", http.StripPrefix("/static/", staticFiles()))

	r.Group(func(r chi.Router) {
		r.Use(s.identify)
		r.Get("/", s.handleCatalog)
		r.Get("/products/{id}", s.handleProduct)
		r.Get("/products/{id}/access", s.handleAccess)
		r.Post("/products/{id}/requests", s.handleSubmit)
		r.Get("/requests", s.handleMyRequests)
		r.Get("/requests/{id}", s.handleRequest)
		r.Post("/requests/{id}/decision", s.handleDecision)
		r.Post("/requests/{id}/withdraw", s.handleWithdraw)
		r.Post("/requests/{id}/resubmit", s.handleResubmit)
		r.Post("/requests/{id}/extend", s.handleExtend)
		r.Post("/requests/{id}/revoke", s.handleRevoke)
		r.Post("/requests/{id}/retry-grant", s.handleRetryGrant)
		r.Get("/queue", s.handleQueue)
		if s.reviews != nil {
			r.Get("/reviews", s.handleReviewsAwaiting)
			r.Get("/products/{id}/reviews", s.handleProductReviews)
			r.Post("/products/{id}/reviews", s.handleStartReview)
			r.Get("/reviews/{id}", s.handleReview)
			r.Post("/reviews/{id}/items/{request}", s.handleReviewDecision)
			r.Post("/reviews/{id}/revoke-idle", s.handleRevokeIdle)
		}
		if s.notices != nil {
			r.Get("/outbox", s.handleOutbox)
			r.Post("/outbox/digest", s.handleDigest)
		}
		if s.managers != nil {
			r.Get("/admin/directory", s.handleDirectory)
			r.Post("/admin/directory", s.handleSetManagers)
		}
		if s.policy != nil {
			r.Get("/admin/policy", s.handlePolicy)
			r.Post("/admin/policy", s.handleSavePolicy)
		}
		if s.catalog != nil {
			r.Get("/admin/products", s.handleAdminProducts)
			r.Get("/admin/products/new", s.handleNewProduct)
			r.Get("/admin/products/{id}/edit", s.handleEditProduct)
			r.Post("/admin/products", s.handleSaveProduct)
			r.Post("/admin/products/{id}", s.handleSaveProduct)
		}
		r.Get("/audit", s.handleAudit)
		r.Get("/audit/verify", s.handleAuditVerify)
		r.Get("/admin", s.handleAdminIndex)
		r.Get("/admin/requests", s.handleAdminRequests)
		r.Get("/admin/grants", s.handleAdminGrants)
		r.Get("/doctor", s.handleDoctorPage)
		r.Post("/doctor", s.handleDoctor)
		if s.local != nil { // persona sign-in exists only on the embedded engine
			r.Get("/login", s.handleLoginPage)
			r.Post("/login", s.handleLogin)
			r.Post("/logout", s.handleLogout)
		}
		r.NotFound(func(w http.ResponseWriter, r *http.Request) {
			s.fail(w, r, signoff.Errorf(signoff.ErrNotFound, "There is no page at %s.", r.URL.Path))
		})
		r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
			s.render(w, r, http.StatusMethodNotAllowed, errorPage(s, w, r, http.StatusMethodNotAllowed,
				"This address does not accept "+r.Method+" requests."))
		})
	})
	return r
}

// staticFiles serves web/static with a long cache lifetime and no
// directory listings.
func staticFiles() http.Handler {
	fs := http.FileServerFS(web.Static)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "" || strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		fs.ServeHTTP(w, r)
	})
}
