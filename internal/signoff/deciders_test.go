package signoff

import (
	"strings"
	"testing"
)

func TestFirstBlocked(t *testing.T) {
	step := func(order int, role string) Step {
		return Step{Order: order, Label: "L" + role, ApproverRole: role}
	}
	decided := func(s Step, by string) Step {
		s.Decision, s.DecidedBy = DecisionApprove, by
		return s
	}
	holders := RoleHolders{
		"LINE_MANAGER":       {"MARCO"},
		"FINANCE_CONTROLLER": {"FRANK"},
		"DATA_OWNER_FINANCE": {"FRANK"},
		"DPO":                {"DANA", "SAM"},
		"SECURITY_LEAD":      {"SAM"},
		"DATA_OWNER_SALES":   {"OLIVIA"},
	}
	for _, tc := range []struct {
		name      string
		steps     []Step
		requester string
		want      int    // the blocked step, 0 for none
		why       string // in the sentence
	}{
		{"every step has its own decider", []Step{step(1, "LINE_MANAGER"), step(2, "DATA_OWNER_SALES"), step(3, "DPO")}, "ALICE", 0, ""},
		{"the requester is the only holder", []Step{step(1, "LINE_MANAGER"), step(2, "DATA_OWNER_SALES")}, "MARCO", 1,
			"MARCO made the request"},
		{"one person for two steps (the issue's general ledger)",
			[]Step{step(1, "LINE_MANAGER"), step(2, "FINANCE_CONTROLLER"), step(3, "DATA_OWNER_FINANCE")}, "ALICE", 3,
			"FRANK is needed for step 2"},
		{"after FRANK decided step 2", []Step{decided(step(1, "LINE_MANAGER"), "MARCO"),
			decided(step(2, "FINANCE_CONTROLLER"), "FRANK"), step(3, "DATA_OWNER_FINANCE")}, "ALICE", 3, "FRANK decided step 2"},
		{"a role nobody holds", []Step{step(1, "NOBODY_ROLE")}, "ALICE", 1, "nobody does"},
		{"the matching moves SAM to the step only he can take",
			[]Step{step(1, "DPO"), step(2, "SECURITY_LEAD")}, "ALICE", 0, ""},
		{"two DPO steps and the security lead: three steps, two people",
			[]Step{step(1, "DPO"), step(2, "DPO"), step(3, "SECURITY_LEAD")}, "ALICE", 3, "needed for step"},
		{"decided steps only", []Step{decided(step(1, "LINE_MANAGER"), "MARCO")}, "ALICE", 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := FirstBlocked(tc.steps, tc.requester, holders)
			if tc.want == 0 {
				if b != nil {
					t.Fatalf("FirstBlocked = %+v, want none", b)
				}
				return
			}
			if b == nil || b.Step != tc.want {
				t.Fatalf("FirstBlocked = %+v, want step %d", b, tc.want)
			}
			if !strings.Contains(b.Why, tc.why) || !strings.HasPrefix(b.Why, "Step ") {
				t.Errorf("Why = %q, want it to say %q", b.Why, tc.why)
			}
		})
	}
}
