package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/web/view"
)

// handleQueue handles "GET /queue": the approver queue (?as=ROLE,
// product, classification, sort=oldest|newest|product, after=CURSOR), or,
// with next=1, the way on to the next request after a decision.
//
// After a decision (handleDecision), the browser comes here with next=1,
// the queue's filters and order, and after= the decided request's place
// in that order. This page's one read (the queue statement it runs anyway)
// then finds the next request: the first after the decided one, or, when
// the approver skipped some and nothing is after it, the first of the
// queue (a second read, at the end of the queue only). The approver is sent
// on to that request's page with the decision's message and "Next: …", or,
// when nothing is left, shown this page with "Your queue is empty." On
// Snowflake a decision therefore costs its CALL, this one queue statement
// and the next request page's own statement. Reading the next request in
// the POST instead would cost the same statements when there is one, and
// one more when the queue is empty (the queue page would read it again);
// sending the approver back to the queue to click the next request would
// cost the same statements and a click.
func (s *Server) handleQueue(w http.ResponseWriter, r *http.Request) {
	in, err := parseQueueQuery(r.URL.Query())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q, err := s.svc.Queue(r.Context(), viewerOf(r.Context()), in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if in.Next && len(q.Requests) > 0 {
		first := q.Requests[0]
		next := fmt.Sprintf("Next: %s for %s.", first.ProductName, first.Requester)
		prior, _ := s.cookies.get(r, flashCookie) // what the decision did
		s.redirect(w, r, view.QueueRequestURL(first.ID, q.Input), joinSentences(prior, next))
		return
	}
	m := s.meta(w, r, "Approvals", "queue")
	if in.Next && m.Flash != "" { // after a decision: say what is left (a reload says nothing)
		left := "Your queue is empty."
		if in.Filtered() {
			left = "Nothing else in your queue matches these filters."
		}
		m.Flash = joinSentences(m.Flash, left)
	}
	if !in.Filtered() && q.Input.After == "" {
		m.QueueCount = len(q.Requests) // the first page of the whole queue: the header's count
	}
	s.render(w, r, http.StatusOK, view.QueuePage(m, q))
}

// parseQueueQuery reads the queue page's parameters. The workflow checks
// their values (signoff.QueueInput); here only next, which is 1 or absent.
func parseQueueQuery(v url.Values) (signoff.QueueInput, error) {
	in := signoff.QueueInput{ActingAs: v.Get("as"), ProductID: v.Get("product"), Classification: v.Get("classification"),
		Sort: signoff.QueueSort(v.Get("sort")), After: v.Get("after")}
	switch v.Get("next") {
	case "":
	case "1":
		in.Next = true
	default:
		return in, signoff.Errorf(signoff.ErrInvalid, "The address's next parameter can only be 1.")
	}
	return in, nil
}

// maxQueueContext bounds the queue context a request page accepts.
const maxQueueContext = 4096

// queueContext returns the decision form's queue context for request r:
// raw's filters and order, if raw is a well-formed context (else none: it
// is a convenience, and a bad one must not stand in the way of a decision),
// and r's place in that order as the cursor the next request comes after.
func queueContext(raw string, r signoff.Request) string {
	in := parseQueueContext(raw)
	in.After = signoff.QueueKeyOf(r, in.Sort).String()
	return view.QueueContext(in)
}

// parseQueueContext reads a queue context (view.QueueContext), or returns
// the empty one if raw is not well-formed.
func parseQueueContext(raw string) signoff.QueueInput {
	if len(raw) > maxQueueContext {
		return signoff.QueueInput{}
	}
	v, err := url.ParseQuery(raw)
	if err != nil {
		return signoff.QueueInput{}
	}
	in := signoff.QueueInput{ProductID: v.Get("product"), Classification: v.Get("classification"),
		Sort: signoff.QueueSort(v.Get("sort")), After: v.Get("after")}
	if in.Check() != nil {
		return signoff.QueueInput{}
	}
	return in
}

// nextAfterDecision is where a decision sends the approver: the queue,
// asked for the next request after the decided one (handleQueue).
func nextAfterDecision(rawContext, actingAs string) string {
	in := parseQueueContext(rawContext)
	in.ActingAs, in.Next = actingAs, true
	return view.QueueURL(in)
}

// joinSentences joins two messages with a space, either may be empty.
func joinSentences(a, b string) string {
	return strings.TrimSpace(a + " " + b)
}
