package signoff

import (
	"strconv"
	"strings"
)

// The lifecycle's vocabulary shared by both engines and the verifier: how
// durations, decisions and escalations are written into audit events
// (docs/design.md, "Request lifecycle").

// SubmissionDetails is the details of a REQUEST_SUBMITTED event: the
// duration asked for, the request it extends if any, the steps' escalation
// policy (sqlstore.StepsPolicy: StepPolicy per step), then the chain as the request copied it (ChainSnapshot). The
// verifier rebuilds it from the request's row and steps.
func SubmissionDetails(days int, extends, policy, snapshot string) string {
	ext := ""
	if extends != "" {
		ext = "extends=" + extends + ";"
	}
	return DaysDetails(days) + ext + "steps=" + policy + "|" + snapshot
}

// DaysDetails is how an event records a duration: "days=30;".
func DaysDetails(days int) string { return "days=" + strconv.Itoa(days) + ";" }

// ParseSubmissionDetails splits a REQUEST_SUBMITTED event's details into
// the duration and the chain snapshot; ok is false for details in another
// shape (a submission from before durations: its details are the snapshot,
// for permanent access).
func ParseSubmissionDetails(details string) (days int, snapshot string, ok bool) {
	rest, found := strings.CutPrefix(details, "days=")
	if !found {
		return 0, details, false
	}
	num, rest, found := strings.Cut(rest, ";")
	n, err := strconv.Atoi(num)
	if !found || err != nil {
		return 0, details, false
	}
	if ext, after, ok := strings.Cut(rest, ";"); ok && strings.HasPrefix(ext, "extends=") {
		rest = after
	}
	rest, found = strings.CutPrefix(rest, "steps=")
	if !found {
		return 0, details, false
	}
	snapshot, found = skipPolicy(rest)
	if !found {
		return 0, details, false
	}
	return n, snapshot, true
}

// StepPolicy is a step's part of a submission's steps policy
// (sqlstore.StepsPolicy): "<deadline hours>:<fallback role>;", and for a
// manager step "@<len>:<manager>;" (the length in characters, since a
// user name may hold any character but controls).
func StepPolicy(s Step) string {
	out := strconv.Itoa(s.DeadlineHours) + ":" + s.FallbackRole + ";"
	if s.ApproverUser != "" {
		var b strings.Builder
		writeField(&b, s.ApproverUser)
		out += "@" + b.String() + ";"
	}
	return out
}

// skipPolicy returns what follows the steps policy at the start of s and
// its "|"; found is false if s does not start with one. A role holds no
// ";" or "|"; a manager's name may, and is skipped by its length.
func skipPolicy(s string) (rest string, found bool) {
	for {
		if after, ok := strings.CutPrefix(s, "|"); ok {
			return after, true
		}
		_, after, ok := strings.Cut(s, ";")
		if !ok {
			return "", false
		}
		s = after
		if user, ok := strings.CutPrefix(s, "@"); ok {
			_, after, err := readField(user)
			if err != nil {
				return "", false
			}
			if s, ok = strings.CutPrefix(after, ";"); !ok {
				return "", false
			}
		}
	}
}

// DecisionEvent is the audit event an approver's decision writes: its type,
// the decision it records, and its details (an approval for a shorter
// duration records it).
func DecisionEvent(d Decision, days int) (EventType, Decision, string) {
	switch d {
	case DecisionReject:
		return EventStepRejected, DecisionReject, ""
	case DecisionChanges:
		return EventChangesRequested, DecisionNone, ""
	}
	if days > 0 {
		return EventStepApproved, DecisionApprove, DaysDetails(days)
	}
	return EventStepApproved, DecisionApprove, ""
}

// DecidingRole is the role a decision is made with: the acting-as role if
// one was chosen, else the step's approver role if the decider holds it,
// else the fallback role the step escalated to.
func DecidingRole(stepRole, escalatedTo, actingAs string, holds func(string) bool) string {
	switch {
	case actingAs != "":
		return actingAs
	case holds(stepRole) || escalatedTo == "":
		return stepRole
	}
	return escalatedTo
}

// EscalationWhy is the comment of a STEP_ESCALATED event, for people.
func EscalationWhy(why string) string {
	if why == "blocked" {
		return "Nobody who may decide this step can: it went to the fallback role."
	}
	return "The step waited twice its deadline: it went to the fallback role."
}

// ExpiryReminderHours is how long before time-bound access ends its
// requester is reminded (sqlstore.DueWork and CheckSystem read it).
const ExpiryReminderHours = 72
