package server

import (
	"errors"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/web/view"
)

// handleAccess handles "GET /products/{id}/access": who has access to the
// product, for its owners, admins and auditors.
func (s *Server) handleAccess(w http.ResponseWriter, r *http.Request) {
	s.showAccess(w, r, http.StatusOK, chi.URLParam(r, "id"), view.AccessForm{})
}

// showAccess renders who has access to product id, with form's reason and
// problem in the revoke form of form.RequestID.
func (s *Server) showAccess(w http.ResponseWriter, r *http.Request, status int, id string, form view.AccessForm) {
	a, err := s.svc.ProductAccess(r.Context(), viewerOf(r.Context()), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, status, view.AccessPage(s.meta(w, r, "Who has access to "+a.Product.Name, "catalog"), a, form))
}

// errBadBack refuses a revocation whose page to return to is not the
// access page's shape: the value is never followed, so it cannot send
// anyone elsewhere.
var errBadBack = signoff.Errorf(signoff.ErrInvalid, "The page to return to after revoking is not one of Signoff's access pages. Nothing was changed.")

// revokeBack reads the revoke form's back (where to return): "" for the
// request page, or an access page's path (view.ValidBack).
func revokeBack(form url.Values) (string, error) {
	back := form.Get("back")
	if back != "" && !view.ValidBack(back) {
		return "", errBadBack
	}
	return back, nil
}

// backProduct is the product ID of an access page's path that passed
// view.ValidBack.
func backProduct(back string) string {
	return strings.TrimSuffix(strings.TrimPrefix(back, "/products/"), "/access")
}

// handleAdminRequests handles "GET /admin/requests": every request, with
// filters (status, product, requester, classification, from, to) and
// pages (after), for admins and auditors. A filter value that is not one
// of the choices shows the form with its problem (422) and no results.
func (s *Server) handleAdminRequests(w http.ResponseWriter, r *http.Request) {
	viewer := viewerOf(r.Context())
	q := r.URL.Query()
	form := view.AdminRequestsForm{Status: q.Get("status"), Product: q.Get("product"),
		Requester: strings.TrimSpace(q.Get("requester")), Classification: q.Get("classification"),
		From: q.Get("from"), To: q.Get("to"), After: q.Get("after")}
	from, to, problems := parseDays(form.From, form.To)
	in := signoff.RequestsInput{Status: form.Status, ProductID: form.Product, Classification: form.Classification,
		Requester: form.Requester, From: from, To: to, After: form.After}
	page, err := s.svc.AllRequests(r.Context(), viewer, in)
	var more signoff.Problems
	if errors.As(err, &more) {
		maps.Copy(problems, more)
	} else if err != nil {
		s.fail(w, r, err)
		return
	}
	v := view.AdminRequestsView{Form: form, Page: page}
	status := http.StatusOK
	if len(problems) > 0 {
		v.Problems, v.Page.Requests, v.Page.Next = problems, nil, ""
		status = http.StatusUnprocessableEntity
	}
	s.render(w, r, status, view.AdminRequestsPage(s.meta(w, r, "All requests", "admin-requests"), v))
}

// handleAdminGrants handles "GET /admin/grants": every active grant,
// grouped by product or user (by), for one product or user, for admins and
// auditors. A value that is not one of the choices is a 422.
func (s *Server) handleAdminGrants(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	form := view.AdminGrantsForm{By: q.Get("by"), Product: q.Get("product"), User: strings.TrimSpace(q.Get("user"))}
	page, err := s.svc.AllGrants(r.Context(), viewerOf(r.Context()),
		signoff.GrantsInput{By: signoff.GrantsBy(form.By), ProductID: form.Product, User: form.User})
	v := view.AdminGrantsView{Form: form, Page: page}
	status := http.StatusOK
	if errors.As(err, &v.Problems) {
		status = http.StatusUnprocessableEntity
	} else if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, status, view.AdminGrantsPage(s.meta(w, r, "Active grants", "admin-grants"), v))
}

// parseDays reads a filter's from and to days (YYYY-MM-DD, UTC; to
// inclusive) as the audit log's filter does, returning To as the next
// day's start, and the problems by field (never nil).
func parseDays(fromDay, toDay string) (from, to time.Time, problems signoff.Problems) {
	problems = signoff.Problems{}
	var err error
	if fromDay != "" {
		if from, err = time.Parse(time.DateOnly, fromDay); err != nil || from.Year() < 1970 {
			from = time.Time{}
			problems["from"] = "Enter the start date as YYYY-MM-DD, from 1970."
		}
	}
	if toDay != "" {
		if to, err = time.Parse(time.DateOnly, toDay); err != nil || to.Year() < 1970 {
			to = time.Time{}
			problems["to"] = "Enter the end date as YYYY-MM-DD, from 1970."
		} else if to = to.Add(24 * time.Hour); to.Year() > 9998 {
			to = time.Time{} // that far is no end
		}
	}
	return from, to, problems
}
