package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5"

	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/web/view"
)

// handleHealthz handles "GET /healthz": the process is alive.
func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ok")
}

// readyTimeout bounds the readiness check.
const readyTimeout = 3 * time.Second

// handleReadyz handles "GET /readyz": the store answers.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	// A store that hangs is not ready either: answer within the probe's
	// patience (SPCS probes every 5 s) rather than when a driver gives up.
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		s.log.WarnContext(r.Context(), "not ready", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "store unreachable")
		return
	}
	fmt.Fprintln(w, "ready")
}

// handleCatalog handles "GET /": the catalog with search and filters.
func (s *Server) handleCatalog(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := signoff.ProductFilter{Query: strings.TrimSpace(q.Get("q")), Tag: q.Get("tag"), Classification: q.Get("classification")}
	page := 1
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			s.fail(w, r, signoff.Errorf(signoff.ErrInvalid, "The page number %q is not valid.", v))
			return
		}
		page = n
	}
	c, err := s.svc.Catalog(r.Context(), viewerOf(r.Context()), f, page)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, view.CatalogPage(s.meta(w, r, "Catalog", "catalog"), c, f))
}

// handleProduct handles "GET /products/{id}".
func (s *Server) handleProduct(w http.ResponseWriter, r *http.Request) {
	s.showProduct(w, r, http.StatusOK, view.ProductForm{})
}

func (s *Server) showProduct(w http.ResponseWriter, r *http.Request, status int, form view.ProductForm) {
	r, err := s.pageViewer(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pp, err := s.svc.Product(r.Context(), viewerOf(r.Context()), chi.URLParam(r, "id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, status, view.ProductPage(s.meta(w, r, pp.Product.Name, "catalog"), pp, form))
}

// handleSubmit handles "POST /products/{id}/requests" (reason, days).
func (s *Server) handleSubmit(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(r); err != nil {
		s.fail(w, r, err)
		return
	}
	reason := r.PostForm.Get("reason")
	days, err := formDays(r.PostForm.Get("days"))
	if err == nil {
		var o signoff.Outcome
		o, err = s.svc.Submit(r.Context(), viewerOf(r.Context()), chi.URLParam(r, "id"), reason, days)
		if err == nil {
			s.redirect(w, r, view.RequestURL(o.RequestID), fmt.Sprintf(
				"Your request for %s is submitted. It needs %d approval%s; you can follow it here.", o.ProductName, o.StepCount, plural(o.StepCount)))
			return
		}
	}
	var problems signoff.Problems
	if errors.As(err, &problems) {
		s.showProduct(w, r, http.StatusUnprocessableEntity, view.ProductForm{Reason: reason, Days: days, Problems: problems})
		return
	}
	if signoff.CodeOf(err) == signoff.CodeDurationNotOffered {
		s.showProduct(w, r, http.StatusUnprocessableEntity, view.ProductForm{Reason: reason, Days: days,
			Problems: signoff.Problems{"days": "Choose one of the durations offered."}})
		return
	}
	s.fail(w, r, err)
}

// formDays reads a duration in days from a form: empty is 0 (permanent, or
// "as asked" for an approval).
func formDays(v string) (int, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > signoff.MaxDays {
		return 0, signoff.Problems{"days": "Choose one of the durations offered."}
	}
	return n, nil
}

// handleExtend handles "POST /requests/{id}/extend" (product, reason, days):
// the requester asks to extend the request's granted, time-bound access
// with a new request linked to it.
func (s *Server) handleExtend(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(r); err != nil {
		s.fail(w, r, err)
		return
	}
	id := chi.URLParam(r, "id")
	reason := r.PostForm.Get("reason")
	days, err := formDays(r.PostForm.Get("days"))
	var o signoff.Outcome
	if err == nil {
		o, err = s.svc.Extend(r.Context(), viewerOf(r.Context()), r.PostForm.Get("product"), id, reason, days)
	}
	if err == nil {
		s.redirect(w, r, view.RequestURL(o.RequestID), fmt.Sprintf(
			"You asked to extend your access to %s. It needs %d approval%s; your access stays meanwhile.",
			o.ProductName, o.StepCount, plural(o.StepCount)))
		return
	}
	var problems signoff.Problems
	if errors.As(err, &problems) || signoff.CodeOf(err) == signoff.CodeDurationNotOffered {
		form := view.DecisionForm{ExtendReason: reason, ExtendDays: days, Problems: signoff.Problems{}}
		for field, msg := range problems {
			form.Problems["extend_"+field] = msg
		}
		if len(problems) == 0 {
			form.Problems["extend_days"] = "Choose one of the durations offered."
		}
		s.showRequest(w, r, http.StatusUnprocessableEntity, "", form)
		return
	}
	s.fail(w, r, err)
}

// handleResubmit handles "POST /requests/{id}/resubmit" (answer, and
// optionally a new reason): the requester answers an approver's question.
func (s *Server) handleResubmit(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(r); err != nil {
		s.fail(w, r, err)
		return
	}
	id := chi.URLParam(r, "id")
	answer, reason := r.PostForm.Get("answer"), r.PostForm.Get("reason")
	err := s.svc.Resubmit(r.Context(), viewerOf(r.Context()), id, answer, reason)
	var problems signoff.Problems
	if errors.As(err, &problems) {
		s.showRequest(w, r, http.StatusUnprocessableEntity, "", view.DecisionForm{Answer: answer, NewReason: reason,
			Problems: problems})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, view.RequestURL(id), "Your answer is sent; the request is back with its approvers.")
}

// handleMyRequests handles "GET /requests".
func (s *Server) handleMyRequests(w http.ResponseWriter, r *http.Request) {
	rs, err := s.svc.MyRequests(r.Context(), viewerOf(r.Context()))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, view.MyRequestsPage(s.meta(w, r, "My requests", "requests"), rs))
}

// handleRequest handles "GET /requests/{id}" (optional ?as=ROLE, and
// ?queue=…, the queue the approver came from: see queueContext).
func (s *Server) handleRequest(w http.ResponseWriter, r *http.Request) {
	s.showRequest(w, r, http.StatusOK, r.URL.Query().Get("as"), view.DecisionForm{Queue: r.URL.Query().Get("queue")})
}

// showRequest renders the request page. form.Queue is the queue context as
// the address or the form sent it; the decision form gets it back checked,
// with this request's own place in the queue's order added.
func (s *Server) showRequest(w http.ResponseWriter, r *http.Request, status int, actingAs string, form view.DecisionForm) {
	r, err := s.pageViewer(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rp, err := s.svc.RequestPage(r.Context(), viewerOf(r.Context()), chi.URLParam(r, "id"), actingAs)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if rp.DecideRole != "" {
		form.Queue = queueContext(form.Queue, rp.Request)
	} else {
		form.Queue = ""
	}
	title := rp.Product.Name + " · request " + rp.Request.ID
	nav := "queue" // approvers, owners and auditors arrive from their queue or the audit log
	if rp.Request.Requester == viewerOf(r.Context()).User {
		nav = "requests"
	}
	s.render(w, r, status, view.RequestPage(s.meta(w, r, title, nav), rp, form))
}

// The confirm field of the actions that cannot be undone (withdraw, reject,
// revoke). Without it a POST only asks: it renders a confirmation carrying
// the form's values and changes nothing. confirm=1 acts; confirm=cancel
// goes back to the request page, keeping what was typed.
const (
	confirmYes    = "1"
	confirmCancel = "cancel"
)

// handleDecision handles "POST /requests/{id}/decision"
// (decision=approve|reject|changes, comment, and optionally step,
// acting_as, days (an approval for a shorter time) and, for a rejection,
// confirm).
func (s *Server) handleDecision(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(r); err != nil {
		s.fail(w, r, err)
		return
	}
	id := chi.URLParam(r, "id")
	in := signoff.DecisionInput{Comment: r.PostForm.Get("comment"), ActingAs: r.PostForm.Get("acting_as")}
	days, err := formDays(r.PostForm.Get("days"))
	if err != nil {
		s.decisionRefused(w, r, in, err)
		return
	}
	in.Days = days
	if v := r.PostForm.Get("step"); v != "" {
		if in.Step, err = strconv.Atoi(v); err != nil || in.Step < 1 {
			s.fail(w, r, signoff.Errorf(signoff.ErrInvalid, "The step number %q is not valid.", v))
			return
		}
	}
	in.Decision, err = signoff.ParseDecision(r.PostForm.Get("decision"))
	if err == nil && in.Days > 0 && in.Decision != signoff.DecisionApprove {
		// Refused here, before a rejection's confirmation, which would
		// otherwise ask about a rejection that then fails.
		err = signoff.Problems{"days": daysNotApproval}
	}
	if err == nil && in.Decision == signoff.DecisionReject && r.PostForm.Get("confirm") != confirmYes {
		s.askReject(w, r, id, in)
		return
	}
	var o signoff.Outcome
	if err == nil {
		o, err = s.svc.Decide(r.Context(), viewerOf(r.Context()), id, in)
	}
	if err != nil {
		s.decisionRefused(w, r, in, err)
		return
	}
	// On to the next request of the approver's queue. The queue page finds
	// it with its own one read and sends the approver on to it (or, when
	// nothing is left, shows the queue saying so): see nextAfterDecision.
	s.redirect(w, r, nextAfterDecision(r.PostForm.Get("queue"), in.ActingAs), decisionFlash(o, in.Decision))
}

// daysNotApproval refuses a shorter duration sent with a rejection or a
// question: only an approval grants, so only an approval can shorten.
const daysNotApproval = "Only an approval can shorten the access. To reject or ask a question, leave “Approve for” as asked."

// askReject is a rejection's first step: it asks the approver to confirm,
// or, on cancel, shows the request page again with their comment. Neither
// changes anything.
func (s *Server) askReject(w http.ResponseWriter, r *http.Request, id string, in signoff.DecisionInput) {
	queue := r.PostForm.Get("queue") // the approver's queue, for the next request after the decision
	if r.PostForm.Get("confirm") == confirmCancel {
		s.showRequest(w, r, http.StatusOK, in.ActingAs, view.DecisionForm{Comment: in.Comment, Queue: queue})
		return
	}
	r, err := s.pageViewer(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rp, err := s.svc.ConfirmReject(r.Context(), viewerOf(r.Context()), id, in)
	if err != nil {
		s.decisionRefused(w, r, in, err)
		return
	}
	c := view.ConfirmReject(rp, in)
	if queue != "" {
		c.Fields = append(c.Fields, view.Field{Name: "queue", Value: queue})
	}
	s.showConfirm(w, r, rp, c)
}

// decisionRefused shows why a decision was not recorded, and never loses
// the comment typed: a form with problems comes back with them (422); when
// someone else changed the request first, the request page shows it as it
// now is under a banner saying who decided what and when (409); when only
// the acting-as role chosen was wrong, the request page says so and offers
// the role that fits (403). Other refusals get the error page.
func (s *Server) decisionRefused(w http.ResponseWriter, r *http.Request, in signoff.DecisionInput, err error) {
	var problems signoff.Problems
	queue := r.PostForm.Get("queue") // the approver's queue, kept for the next try
	switch {
	case errors.As(err, &problems):
		s.showRequest(w, r, http.StatusUnprocessableEntity, in.ActingAs,
			view.DecisionForm{Comment: in.Comment, Problems: problems, Queue: queue, Days: in.Days})
	case signoff.CodeOf(err) == signoff.CodeDurationLonger:
		// The engine's refusal of a longer duration is about one field:
		// the form comes back with it there, keeping the comment.
		s.showRequest(w, r, http.StatusUnprocessableEntity, in.ActingAs,
			view.DecisionForm{Comment: in.Comment, Problems: signoff.Problems{"days": signoff.Message(err)}, Queue: queue})
	case signoff.Raced(err):
		// The acting-as choice is dropped: the page offers whatever the
		// approver may do now, which is rarely the step they chose it for.
		s.showRequest(w, r, http.StatusConflict, "", view.DecisionForm{Comment: in.Comment,
			Conflict: &view.Conflict{Message: signoff.Message(err), Step: in.Step}, Queue: queue})
	case signoff.ActingAsRefused(err):
		s.showRequest(w, r, http.StatusForbidden, in.ActingAs, view.DecisionForm{Comment: in.Comment, Queue: queue})
	default:
		s.fail(w, r, err)
	}
}

// showConfirm renders a confirmation step for request page rp.
func (s *Server) showConfirm(w http.ResponseWriter, r *http.Request, rp signoff.RequestPage, c view.Confirm) {
	nav := "queue"
	if rp.Request.Requester == viewerOf(r.Context()).User {
		nav = "requests"
	}
	s.render(w, r, http.StatusOK, view.ConfirmPage(s.meta(w, r, c.Heading, nav), c))
}

// decisionFlash tells the approver what their decision did; the queue adds
// what comes next (handleQueue).
func decisionFlash(o signoff.Outcome, d signoff.Decision) string {
	switch {
	case d == signoff.DecisionReject:
		return "Rejected."
	case d == signoff.DecisionChanges:
		return fmt.Sprintf("Your question is sent to %s. The request waits for the answer, then comes back to this step.",
			or(o.Requester, "the requester"))
	case o.Status == signoff.StatusGranted:
		return fmt.Sprintf("Approved: %s now holds %s.", o.Requester, o.AccessRole)
	case o.Status == signoff.StatusGrantFailed:
		return "Approved, but the grant failed: an admin can see why and retry it."
	case o.Status == signoff.StatusApproved:
		return "Approved, but the grant has not run yet: an admin can retry it."
	}
	return "Approved."
}

// handleWithdraw handles "POST /requests/{id}/withdraw" (confirm).
func (s *Server) handleWithdraw(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(r); err != nil {
		s.fail(w, r, err)
		return
	}
	id := chi.URLParam(r, "id")
	switch r.PostForm.Get("confirm") {
	case confirmYes:
	case confirmCancel:
		s.redirect(w, r, view.RequestURL(id), "")
		return
	default:
		r, err := s.pageViewer(w, r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		rp, err := s.svc.ConfirmWithdraw(r.Context(), viewerOf(r.Context()), id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.showConfirm(w, r, rp, view.ConfirmWithdraw(rp))
		return
	}
	if err := s.svc.Withdraw(r.Context(), viewerOf(r.Context()), id); err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, view.RequestURL(id), "You withdrew the request.")
}

// handleRevoke handles "POST /requests/{id}/revoke" (reason, confirm, and
// back: the access page it came from, where it returns).
func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(r); err != nil {
		s.fail(w, r, err)
		return
	}
	id := chi.URLParam(r, "id")
	reason := r.PostForm.Get("reason")
	back, err := revokeBack(r.PostForm)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	switch r.PostForm.Get("confirm") {
	case confirmYes:
		err = s.svc.Revoke(r.Context(), viewerOf(r.Context()), id, reason)
	case confirmCancel:
		if back != "" {
			s.redirect(w, r, back, "")
			return
		}
		s.showRequest(w, r, http.StatusOK, "", view.DecisionForm{RevokeReason: reason})
		return
	default:
		var rp signoff.RequestPage
		if r, err = s.pageViewer(w, r); err == nil {
			rp, err = s.svc.ConfirmRevoke(r.Context(), viewerOf(r.Context()), id, reason)
		}
		if err == nil {
			c := view.ConfirmRevoke(rp, reason)
			if back != "" {
				c.Fields = append(c.Fields, view.Field{Name: "back", Value: back})
			}
			s.showConfirm(w, r, rp, c)
			return
		}
	}
	var problems signoff.Problems
	if errors.As(err, &problems) {
		if back != "" {
			s.showAccess(w, r, http.StatusUnprocessableEntity, backProduct(back),
				view.AccessForm{RequestID: id, Reason: reason, Problem: problems["reason"]})
			return
		}
		s.showRequest(w, r, http.StatusUnprocessableEntity, "", view.DecisionForm{RevokeReason: reason, Problems: problems})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, cmp.Or(back, view.RequestURL(id)), "Access revoked: the role was taken back from the requester.")
}

// handleRetryGrant handles "POST /requests/{id}/retry-grant".
func (s *Server) handleRetryGrant(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(r); err != nil {
		s.fail(w, r, err)
		return
	}
	id := chi.URLParam(r, "id")
	st, err := s.svc.RetryGrant(r.Context(), viewerOf(r.Context()), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	msg := "The grant succeeded: the requester now holds the access role."
	if st != signoff.StatusGranted {
		msg = "The grant failed again. The history below says why."
	}
	s.redirect(w, r, view.RequestURL(id), msg)
}

// parseForm parses a POST body within the size limit; a body that is too
// large is a 413, a malformed one a 422. Whatever ParseForm leaves unread (a
// body that is not a URL-encoded form: multipart, JSON, text) is read to
// the end too, so an oversized body is refused whatever its content type.
func parseForm(r *http.Request) error {
	err := r.ParseForm()
	if err == nil && r.Body != nil {
		_, err = io.Copy(io.Discard, r.Body)
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return err
		}
		return signoff.Errorf(signoff.ErrInvalid, "The form could not be read.")
	}
	if !validValues(r.Form) {
		return errNotText
	}
	return nil
}

// errNotText refuses a form or address with bytes that are not UTF-8 text.
// They are refused, never repaired: what is stored is hashed into the audit
// log as sent, and a repaired copy would no longer match its hash.
var errNotText = signoff.Errorf(signoff.ErrInvalid,
	"The form or address contains bytes that are not text (invalid UTF-8). Nothing was changed; please type it again.")

// validValues reports whether every name and value is valid UTF-8.
func validValues(v url.Values) bool {
	for k, vs := range v {
		if !utf8.ValidString(k) {
			return false
		}
		for _, x := range vs {
			if !utf8.ValidString(x) {
				return false
			}
		}
	}
	return true
}

// or returns s, or fallback when s is empty.
func or(s, fallback string) string {
	if s != "" {
		return s
	}
	return fallback
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// errorPage is the error page component for status with message.
func errorPage(s *Server, w http.ResponseWriter, r *http.Request, status int, message string) templ.Component {
	return view.ErrorPage(s.errorMeta(w, r, titleOf(status), ""), status, titleOf(status), message)
}
