package view

import (
	"testing"

	"github.com/signoff/signoff/internal/signoff"
)

// TestChainDetails: a submission's recorded chain reads as words; anything
// else, or a snapshot that does not parse, shows as recorded.
func TestChainDetails(t *testing.T) {
	chain := []signoff.ChainStep{{Order: 1, ApproverRole: "LINE_MANAGER", Label: "Line manager"},
		{Order: 2, ApproverRole: "DPO", Label: "Data protection"}}
	for _, tc := range []struct {
		name string
		e    signoff.Event
		want string
		ok   bool
	}{
		{"a submission", signoff.Event{Type: signoff.EventRequestSubmitted, Details: signoff.ChainSnapshot(chain)},
			"Chain: Line manager (LINE_MANAGER) → Data protection (DPO)", true},
		{"a submission without a snapshot", signoff.Event{Type: signoff.EventRequestSubmitted}, "", false},
		{"a snapshot that does not parse", signoff.Event{Type: signoff.EventRequestSubmitted, Details: "12:LINE"}, "", false},
		{"a grant", signoff.Event{Type: signoff.EventAccessGranted, Details: signoff.ChainSnapshot(chain)}, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := chainDetails(tc.e)
			if got != tc.want || ok != tc.ok {
				t.Errorf("chainDetails = %q, %v; want %q, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}
