package signoff_test

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/signoff/signoff/internal/signoff"
)

// TestNoticesFor: who hears of each event type, as the rules say.
func TestNoticesFor(t *testing.T) {
	r := signoff.Request{ID: "R1", ProductName: "Reports", Requester: "ALICE", Status: signoff.StatusPending,
		CurrentStep: 2, StepCount: 3, Steps: []signoff.Step{
			{Order: 1, Label: "Line manager", ApproverRole: "LM", Decision: signoff.DecisionApprove, DecidedBy: "MARCO"},
			{Order: 2, Label: "Data owner", ApproverRole: "DO"},
			{Order: 3, Label: "Security", ApproverRole: "SEC"}}}
	holders := signoff.RoleHolders{"LM": {"ALICE", "LENA", "MARCO"}, "DO": {"ALICE", "DORA", "MARCO", "SAM"},
		"SEC": {"SEC1"}, "FALLBACK": {"FRED", "DORA"}}
	for _, tc := range []struct {
		event     signoff.EventType
		step      int
		escalated []string
		want      []string
	}{
		{signoff.EventRequestSubmitted, 0, nil, nil}, // step 1 is no longer the pending step
		{signoff.EventStepApproved, 1, nil, []string{"ALICE", "DORA", "SAM"}},
		{signoff.EventStepApproved, 3, nil, nil}, // the final approval: the grant tells
		{signoff.EventStepRejected, 2, nil, []string{"ALICE"}},
		{signoff.EventChangesRequested, 2, nil, []string{"ALICE"}},
		{signoff.EventRequestResubmitted, 2, nil, []string{"DORA", "SAM"}},
		{signoff.EventStepReminded, 2, nil, []string{"DORA", "SAM"}},
		{signoff.EventStepEscalated, 2, []string{"FALLBACK"}, []string{"DORA", "FRED", "SAM"}},
		{signoff.EventRequestApproved, 3, nil, nil},
		{signoff.EventAccessGranted, 0, nil, []string{"ALICE"}},
		{signoff.EventGrantFailed, 0, nil, []string{"ALICE"}},
		{signoff.EventAccessRevoked, 0, nil, []string{"ALICE"}},
		{signoff.EventRequestWithdrawn, 0, nil, nil},
		{signoff.EventExpiryReminded, 0, nil, []string{"ALICE"}},
		{signoff.EventAccessExpired, 0, nil, []string{"ALICE"}},
		{signoff.EventRequestExpired, 0, nil, []string{"ALICE"}},
	} {
		t.Run(string(tc.event), func(t *testing.T) {
			e := signoff.Event{ID: "E1", Type: tc.event, Step: tc.step, Actor: "MARCO", Details: "role X failed: secret"}
			var got []string
			for _, n := range signoff.NoticesFor(e, r, holders, tc.escalated) {
				got = append(got, n.Recipient)
				assert.Contains(t, n.Body, "/requests/R1")
				assert.Contains(t, n.Subject, "Reports")
				assert.NotContains(t, n.Body, "secret", "details never reach mail")
			}
			slices.Sort(got)
			assert.Equal(t, tc.want, got)
		})
	}
}

// TestNoticeRulesNameKnownFields: every {field} a rule names is filled.
func TestNoticeRulesNameKnownFields(t *testing.T) {
	fields := map[string]string{}
	for _, f := range signoff.NoticeFields {
		fields[f] = "x"
	}
	for _, rule := range signoff.NoticeRules {
		assert.NotContains(t, signoff.NoticeText(rule.Subject+rule.Body, fields), "{", "%s %s", rule.Event, rule.To)
		assert.Contains(t, signoff.EventTypes, rule.Event)
	}
}
