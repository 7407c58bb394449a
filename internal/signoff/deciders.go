package signoff

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"
)

// RoleHolders says who holds each role, directly or through the role
// hierarchy: the users who may decide a step keyed to it. PUBLIC is held by
// everyone and never keys a step.
type RoleHolders map[string][]string

// Directory is where Signoff learns who holds roles. The embedded engine's
// local account knows; on Snowflake no directory is read yet, and the
// Service then does not say whether a chain can complete.
type Directory interface {
	// RoleHolders returns the holders of each of roles (users in name
	// order; a role nobody holds maps to none).
	RoleHolders(ctx context.Context, roles []string) (RoleHolders, error)
}

// Blocked is a step of a chain that nobody can decide for a request, and
// why, in a sentence people read.
type Blocked struct {
	Step  int
	Label string
	Role  string
	Why   string
	// Fallback, if set, is the fallback role the step goes to (it
	// escalates), whose members can decide it: the chain completes.
	Fallback string
}

// FirstBlocked returns the first of steps' undecided steps that nobody can
// decide, or nil if the chain can be decided to the end. Each step needs its
// own decider (promise 2): someone who holds its role, is not the requester,
// and decides no other step of the request, the steps already decided
// included. Whether every remaining step can have one is a matching of steps
// to people (augmenting paths; chains have at most MaxChainSteps steps), so
// two steps that only the same person could decide are caught as well.
func FirstBlocked(steps []Step, requester string, holders RoleHolders) *Blocked {
	decided := map[string]int{} // user → the step they decided
	var open []Step
	for _, s := range steps {
		if s.Decision != DecisionNone {
			decided[s.DecidedBy] = s.Order
			continue
		}
		open = append(open, s)
	}
	candidates := make([][]string, len(open))
	for i, s := range open {
		for _, role := range s.Roles() {
			for _, u := range holders[role] {
				if role == s.ApproverRole && s.ApproverUser != "" && u != s.ApproverUser && role != s.EscalatedTo {
					continue // a manager step's role is its manager's alone
				}
				if _, took := decided[u]; !took && u != requester && !slices.Contains(candidates[i], u) {
					candidates[i] = append(candidates[i], u)
				}
			}
		}
	}
	assigned := map[string]int{} // user → index in open of the step they would decide
	var assign func(i int, seen map[string]bool) bool
	assign = func(i int, seen map[string]bool) bool {
		for _, u := range candidates[i] {
			if seen[u] {
				continue
			}
			seen[u] = true
			if j, taken := assigned[u]; !taken || assign(j, seen) {
				assigned[u] = i
				return true
			}
		}
		return false
	}
	for i, s := range open {
		if assign(i, map[string]bool{}) {
			continue
		}
		return &Blocked{Step: s.Order, Label: s.Label, Role: s.ApproverRole,
			Why: whyBlocked(s, requester, holders[s.ApproverRole], decided, candidates[i], open, assigned)}
	}
	return nil
}

// whyBlocked says why step s has no decider.
func whyBlocked(s Step, requester string, holders []string, decided map[string]int, candidates []string,
	open []Step, assigned map[string]int) string {
	step := "Step " + strconv.Itoa(s.Order) + " (" + s.Label + ")"
	if s.ApproverUser != "" && s.EscalatedTo == "" {
		switch {
		case !slices.Contains(holders, s.ApproverUser):
			return step + " is for the requester's manager, " + s.ApproverUser + ", who does not hold " + s.ApproverRole + "."
		case s.ApproverUser == requester:
			return step + " is for the requester's manager, who is the requester."
		}
		if o, ok := decided[s.ApproverUser]; ok {
			return step + " is for the requester's manager, " + s.ApproverUser + ", who decided step " + strconv.Itoa(o) +
				", while one person decides at most one step of a request."
		}
		return step + " is for the requester's manager, " + s.ApproverUser + ", who is needed for another step, " +
			"while one person decides at most one step of a request."
	}
	if len(holders) == 0 {
		return step + " needs someone who holds " + s.ApproverRole + ", and nobody does."
	}
	if len(candidates) == 0 {
		var reasons []string
		for _, u := range holders {
			switch {
			case u == requester:
				reasons = append(reasons, u+" made the request")
			default:
				reasons = append(reasons, u+" decided step "+strconv.Itoa(decided[u]))
			}
		}
		return step + " needs someone who holds " + s.ApproverRole + " and has no other part in this request, " +
			"and there is nobody: " + strings.Join(reasons, "; ") + "."
	}
	var busy []string
	for _, u := range candidates {
		if i, ok := assigned[u]; ok {
			busy = append(busy, u+" is needed for step "+strconv.Itoa(open[i].Order))
		}
	}
	slices.Sort(busy)
	return step + " needs someone who holds " + s.ApproverRole + ", and everyone who could is needed for another step, " +
		"while one person decides at most one step of a request: " + strings.Join(busy, "; ") + "."
}

// stepRoles lists the roles that key steps or that they may escalate to,
// once each.
func stepRoles(steps []Step) []string {
	var roles []string
	for _, s := range steps {
		for _, r := range []string{s.ApproverRole, s.EscalatedTo, s.FallbackRole} {
			if r != "" && !slices.Contains(roles, r) {
				roles = append(roles, r)
			}
		}
	}
	return roles
}

// Escalated returns steps as they stand once every undecided step that
// has a fallback role escalated to it.
func Escalated(steps []Step) []Step {
	out := slices.Clone(steps)
	for i, s := range out {
		if s.Decision == DecisionNone && s.EscalatedTo == "" && s.FallbackRole != "" {
			out[i].EscalatedTo = s.FallbackRole
		}
	}
	return out
}

// FirstBlockedWithFallback is FirstBlocked, then, for a blocked step, the
// same question once the steps escalated to their fallback roles: if the
// chain completes then, the step is reported with the Fallback it goes
// to; if it does not, the step that blocks it even so.
func FirstBlockedWithFallback(steps []Step, requester string, holders RoleHolders) *Blocked {
	b := FirstBlocked(steps, requester, holders)
	if b == nil {
		return nil
	}
	after := FirstBlocked(Escalated(steps), requester, holders)
	if after != nil {
		return after
	}
	for _, s := range steps {
		if s.Order == b.Step {
			b.Fallback = cmp.Or(s.EscalatedTo, s.FallbackRole)
		}
	}
	return b
}

// blocked asks the Directory, if there is one, whether steps can be decided
// to the end for requester. Without a directory it says nothing (nil): the
// engine cannot tell. A directory that fails is logged and treated alike,
// since the answer only adds a warning to a page.
func (s *Service) blocked(ctx context.Context, steps []Step, requester string) *Blocked {
	if s.Directory == nil || len(steps) == 0 {
		return nil
	}
	holders, err := s.Directory.RoleHolders(ctx, stepRoles(steps))
	if err != nil {
		s.Log.WarnContext(ctx, "who can decide: the directory failed", "err", err)
		return nil
	}
	return FirstBlockedWithFallback(steps, requester, holders)
}
