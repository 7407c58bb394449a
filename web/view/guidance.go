package view

import (
	"strings"

	"github.com/signoff/signoff/internal/signoff"
)

// Conflict says why an approver's decision was not recorded: someone else
// changed the request first (signoff.Raced). The request page shows it as a
// banner above the request as it now is, keeping the comment typed.
type Conflict struct {
	// Message is the domain's sentence for the refusal.
	Message string
	// Step is the step the approver decided on, 0 if the form named none.
	Step int
}

// conflictStep returns the decision that got there first: the step the
// approver saw, if someone decided it, or else the request's last decision
// when the form named no step.
func conflictStep(r signoff.Request, seen int) (signoff.Step, bool) {
	if seen == 0 {
		return r.LastDecision()
	}
	st, ok := r.Step(seen)
	return st, ok && st.Decision != signoff.DecisionNone
}

// lastEvent returns the newest of a request's events (they come oldest
// first).
func lastEvent(evs []signoff.Event) (signoff.Event, bool) {
	if len(evs) == 0 {
		return signoff.Event{}, false
	}
	return evs[len(evs)-1], true
}

// decisionWord is a decision as a verb: "approved" or "rejected".
func decisionWord(d signoff.Decision) string { return strings.ToLower(string(d)) }

// decisionTitle is decisionWord at the start of a sentence.
func decisionTitle(d signoff.Decision) string {
	w := decisionWord(d)
	if w == "" {
		return ""
	}
	return strings.ToUpper(w[:1]) + w[1:]
}

// useRoleStatement is the statement that switches a Snowflake session to
// role: the name as it is when Snowflake reads it unquoted the same way, else
// quoted.
func useRoleStatement(role string) string {
	if signoff.ValidIdentifier(role) && role == strings.ToUpper(role) {
		return "USE ROLE " + role + ";"
	}
	return "USE ROLE " + signoff.QuoteIdentifier(role) + ";"
}

// possessive is "your" for the viewer's own request, else "NAME's".
func possessive(mine bool, user string) string {
	if mine {
		return "your"
	}
	return user + "'s"
}

// subject is "you" for the viewer, else the user's name.
func subject(mine bool, user string) string {
	if mine {
		return "you"
	}
	return user
}

// decisionTail ends the sentence about a decision after its time: the role
// it was made as, and the lead-in to its comment, if it has one.
func decisionTail(st signoff.Step) string {
	s := ""
	if st.ActorRole != "" {
		s = " as " + st.ActorRole
	}
	if st.Comment != "" {
		return s + ", commenting: "
	}
	return s + "."
}

// unshownProblems returns the problems found with a form the request page no
// longer offers the viewer (the decision form, the revoke form), in field
// order: they are shown on their own rather than lost.
func unshownProblems(rp signoff.RequestPage, form DecisionForm) []string {
	var out []string
	if rp.DecideRole == "" {
		for _, field := range []string{"comment", "days", "decision"} {
			if msg := form.Problems[field]; msg != "" {
				out = append(out, msg)
			}
		}
	} else if msg := form.Problems["days"]; msg != "" && len(shorterDurations(rp.Request, rp.Product)) == 0 {
		out = append(out, msg) // the form has no "Approve for" to show it at
	}
	// "reason" is the revocation's reason or the answer's new business
	// reason: shown at whichever form the page offers.
	if msg := form.Problems["reason"]; msg != "" && !rp.CanRevoke && !rp.CanResubmit {
		out = append(out, msg)
	}
	if msg := form.Problems["answer"]; msg != "" && !rp.CanResubmit {
		out = append(out, msg)
	}
	return out
}
