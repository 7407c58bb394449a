package signoff_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/signoff/signoff/internal/signoff"
)

// TestEventBy: the grant's outcome is Signoff's, after the approval or the
// admin's retry that led to it; every other event is its actor's.
func TestEventBy(t *testing.T) {
	for _, tc := range []struct {
		e    signoff.Event
		want string
	}{
		{signoff.Event{Type: signoff.EventGrantFailed, Actor: "FRANK", ActorRole: "DATA_OWNER_FINANCE"}, "Signoff, after FRANK's approval"},
		{signoff.Event{Type: signoff.EventAccessGranted, Actor: "SAM", ActorRole: "DPO"}, "Signoff, after SAM's approval"},
		{signoff.Event{Type: signoff.EventAccessGranted, Actor: "ADAM", ActorRole: signoff.RoleAdmin}, "Signoff, on ADAM's retry"},
		{signoff.Event{Type: signoff.EventGrantFailed, Actor: "ADAM", ActorRole: signoff.RoleAdmin}, "Signoff, on ADAM's retry"},
		{signoff.Event{Type: signoff.EventStepApproved, Actor: "FRANK", ActorRole: "DATA_OWNER_FINANCE"}, "FRANK"},
		{signoff.Event{Type: signoff.EventRequestApproved, Actor: "FRANK", ActorRole: "DATA_OWNER_FINANCE"}, "FRANK"},
		{signoff.Event{Type: signoff.EventAccessRevoked, Actor: "ADAM", ActorRole: signoff.RoleAdmin}, "ADAM"},
	} {
		assert.Equal(t, tc.want, tc.e.By(), "%s by %s", tc.e.Type, tc.e.Actor)
		assert.Equal(t, tc.want != tc.e.Actor, tc.e.Automatic())
	}
}
