package view

import (
	"strconv"
	"strings"
	"time"

	"github.com/signoff/signoff/internal/signoff"
)

// The lifecycle's words on the pages (issue 12): durations and expiries,
// deadlines, escalations, and the scheduler's events, which no person made.

// SchedulerName is how pages name the scheduler, the actor of the events
// Signoff writes on its own schedule (signoff.SystemActor): people read
// who acted, not an account name nobody signs in as.
const SchedulerName = "Signoff (scheduled)"

// eventBy says who an event is by, as people read it: Event.By, except that
// the scheduler's events read as SchedulerName. Only the words change: the
// CSV export keeps the actor as recorded.
func eventBy(e signoff.Event) string {
	if e.Actor == signoff.SystemActor {
		return SchedulerName
	}
	return e.By()
}

// bySignoff reports whether Signoff itself wrote e (the grant's outcome,
// the scheduler's work): the pages set its actor apart from people's.
func bySignoff(e signoff.Event) bool { return e.Automatic() || e.Actor == signoff.SystemActor }

// eventNote says in a sentence what an event of the lifecycle did, for the
// ones whose label alone does not ("" for the others).
func eventNote(e signoff.Event) string {
	switch e.Type {
	case signoff.EventChangesRequested:
		return "The approver asked the requester a question; the step waits for the answer."
	case signoff.EventRequestResubmitted:
		return "The requester answered; the request went back to the step that asked."
	case signoff.EventStepReminded:
		return "The step passed its deadline; its approvers were reminded."
	case signoff.EventRequestExpired:
		return "The request waited longer for decisions than its product allows, so it expired."
	case signoff.EventExpiryReminded:
		return "The access ends within " + strconv.Itoa(signoff.ExpiryReminderHours/24) + " days; the requester was reminded."
	case signoff.EventAccessExpired:
		return "The time-bound access ended, so Signoff took the role back."
	case signoff.EventReviewKept:
		return "An owner kept this access in an access review."
	case signoff.EventDirectoryChanged:
		if e.Details == "" {
			return "An admin removed the user's manager from the directory."
		}
		return "An admin set the user's manager in the directory."
	case signoff.EventPolicySaved:
		return "An admin saved the chain policy: the steps every product's chain gets after its own. Requests already submitted keep their steps."
	}
	return ""
}

// commentLead is what introduces an event's comment: the question asked,
// the answer given; "" for a plain comment.
func commentLead(e signoff.Event) string {
	switch e.Type {
	case signoff.EventChangesRequested:
		return "Question: "
	case signoff.EventRequestResubmitted:
		return "Answer: "
	case signoff.EventStepEscalated:
		return "Why: "
	case signoff.EventReviewKept:
		return "Note: "
	case signoff.EventDirectoryChanged:
		return "User: "
	}
	return ""
}

// approvedDays reads the shorter duration a STEP_APPROVED event records
// ("days=7;"), if it records one.
func approvedDays(e signoff.Event) (int, bool) {
	if e.Type != signoff.EventStepApproved {
		return 0, false
	}
	rest, ok := strings.CutPrefix(e.Details, "days=")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSuffix(rest, ";"))
	return n, err == nil && n > 0
}

// submittedDays reads the duration a REQUEST_SUBMITTED event records.
func submittedDays(e signoff.Event) (int, bool) {
	if e.Type != signoff.EventRequestSubmitted {
		return 0, false
	}
	days, _, ok := signoff.ParseSubmissionDetails(e.Details)
	return days, ok
}

// durationWords says a duration as a request holds it: "permanent access"
// or "for 30 days".
func durationWords(days int) string {
	if days == 0 {
		return "permanent access"
	}
	return "for " + signoff.DurationLabel(days)
}

// escalationWhy returns why step of a request escalated, from its newest
// STEP_ESCALATED event among evs ("" if evs do not say).
func escalationWhy(evs []signoff.Event, step int) string {
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Type == signoff.EventStepEscalated && evs[i].Step == step {
			return evs[i].Comment
		}
	}
	return ""
}

// stepDue is when the request's current step passes its deadline: the
// deadline counts from when the request reached the step, or came back to
// it after an answer (its UpdatedAt), as the scheduler counts it. ok is
// false when the step has no deadline or is not the one waiting.
func stepDue(r signoff.Request, s signoff.Step) (time.Time, bool) {
	if s.DeadlineHours <= 0 || r.Status != signoff.StatusPending || s.Order != r.CurrentStep || s.Decision != signoff.DecisionNone {
		return time.Time{}, false
	}
	return r.UpdatedAt.Add(time.Duration(s.DeadlineHours) * time.Hour), true
}

// hoursLabel says a step's deadline: "48 h", or "3 days" when it is whole days.
func hoursLabel(h int) string {
	if h >= 24 && h%24 == 0 {
		return signoff.DurationLabel(h / 24)
	}
	return strconv.Itoa(h) + " h"
}

// viaFallback reports whether the viewer sees request r in their queue
// because its current step escalated to a fallback role they hold, rather
// than through the step's own role: the queue says so, since they are
// deciding for someone else. actingAs is the queue's acting-as choice.
func viaFallback(viewer signoff.Identity, r signoff.Request, actingAs string) bool {
	s := currentStep(r)
	if s.EscalatedTo == "" || s.EscalatedTo == s.ApproverRole {
		return false
	}
	if actingAs != "" {
		return actingAs == s.EscalatedTo
	}
	return viewer.HasRole(s.EscalatedTo) && !viewer.HasRole(s.ApproverRole)
}

// durationsOffered says the durations a product offers, in the form's
// order: "7 days, 30 days or permanent".
func durationsOffered(p signoff.Product) string {
	ds := offeredDurations(p)
	words := make([]string, len(ds))
	for i, d := range ds {
		words[i] = signoff.DurationLabel(d)
	}
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

// dueWord leads a deadline's time: ", due " before it, ", passed " after.
func dueWord(due, now time.Time) string {
	if due.After(now) {
		return ", due "
	}
	return ", passed "
}

// colonThen is ": s", or "" when s is empty: what follows a name that s
// explains.
func colonThen(s string) string {
	if s == "" {
		return ""
	}
	return ": " + s
}
