package signoff_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/signoff/signoff/internal/signoff"
)

func TestEveryCodeIsExplained(t *testing.T) {
	for _, c := range signoff.Codes {
		assert.NotEqual(t, string(c), c.APIMessage(), "%s has a message for SQL callers", c)
		o := signoff.Outcome{Code: c, Status: signoff.StatusPending, StepLabel: "Owner", StepRole: "R"}
		if c == signoff.CodeOK || c == signoff.CodeDryRun {
			assert.True(t, o.OK())
			assert.NoError(t, o.Err())
			assert.NoError(t, c.Kind())
			continue
		}
		assert.False(t, o.OK())
		err := o.Err()
		var e *signoff.Error
		if assert.True(t, errors.As(err, &e), "%s", c) {
			assert.Equal(t, c, e.Code)
			assert.NotEmpty(t, e.Message)
			assert.NotContains(t, e.Message, "refused the action", "%s has its own sentence", c)
		}
		assert.ErrorIs(t, err, c.Kind())
	}
}

func TestStaleStepSaysWhoDecided(t *testing.T) {
	o := signoff.Outcome{Code: signoff.CodeStaleStep, Status: signoff.StatusPending, CurrentStep: 2, SeenStep: 1,
		SeenLabel: "Line manager", SeenDecidedBy: "JANE.DOE@ACME.COM", SeenDecision: signoff.DecisionApprove}
	assert.Equal(t, "The Line manager step was already approved by JANE.DOE@ACME.COM. Nothing was changed.",
		signoff.Message(o.Err()))
	o.SeenDecidedBy = ""
	o.CurrentStep, o.SeenStep = 1, 2
	assert.Equal(t, "This request is now at step 1, not step 2. Reload the page to see it.", signoff.Message(o.Err()))
	o.Status = signoff.StatusWithdrawn
	assert.Equal(t, "This request is already withdrawn. Nothing was changed.", signoff.Message(o.Err()))
}
