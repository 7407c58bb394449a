package signoff_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/signoff/signoff/internal/signoff"
)

func TestLastDecision(t *testing.T) {
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	r := signoff.Request{Steps: []signoff.Step{{Order: 1}, {Order: 2}, {Order: 3}}}
	_, ok := r.LastDecision()
	assert.False(t, ok, "nothing decided")

	r.Steps[0] = signoff.Step{Order: 1, Decision: signoff.DecisionApprove, DecidedBy: "MARCO", DecidedAt: at}
	r.Steps[1] = signoff.Step{Order: 2, Decision: signoff.DecisionReject, DecidedBy: "OLIVIA", Comment: "Use the summary.", DecidedAt: at.Add(time.Hour)}
	last, ok := r.LastDecision()
	assert.True(t, ok)
	assert.Equal(t, "OLIVIA", last.DecidedBy)
	assert.Equal(t, "Use the summary.", last.Comment)

	st, ok := r.Step(3)
	assert.True(t, ok)
	assert.Equal(t, 3, st.Order)
	_, ok = r.Step(0)
	assert.False(t, ok)
}

func TestRacedAndActingAsRefused(t *testing.T) {
	for _, c := range signoff.Codes {
		err := signoff.Outcome{Code: c}.Err()
		raced := c == signoff.CodeStaleStep || c == signoff.CodeWrongStatus || c == signoff.CodeConflict
		actingAs := c == signoff.CodeActingAsNotHeld || c == signoff.CodeActingAsWrongRole
		assert.Equal(t, raced, signoff.Raced(err), c)
		assert.Equal(t, raced, signoff.Raced(fmt.Errorf("decide: %w", err)), "%s, wrapped", c)
		assert.Equal(t, actingAs, signoff.ActingAsRefused(err), c)
	}
	assert.False(t, signoff.Raced(signoff.Errorf(signoff.ErrConflict, "A conflict with no engine code.")))
	assert.False(t, signoff.ActingAsRefused(signoff.Errorf(signoff.ErrForbidden, "You chose to act as X, but that role is not in your session.")))
}
