package storetest

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/signoff/signoff/internal/signoff"
)

// The confirmation steps of withdraw, reject and revoke (Service.Confirm*)
// check, from a read, what the engine's check statements decide, so that
// nobody is asked to confirm what the action would then refuse. The tests of
// those actions call sameRefusal beside each attempt: on every engine the
// contract runs on, the confirmation refuses exactly when the engine does,
// with the same kind and the same sentence, and never changes anything
// (the attempts' snapshots are taken before both).

// sameRefusal checks that confirmErr, a confirmation step's answer, refuses
// as actionErr, the action's, did; or allows, when the action was allowed.
func sameRefusal(t *testing.T, actionErr, confirmErr error) {
	t.Helper()
	if actionErr == nil {
		assert.NoError(t, confirmErr, "the action is allowed, so the confirmation asks")
		return
	}
	for _, kind := range []error{signoff.ErrNotFound, signoff.ErrInvalid, signoff.ErrConflict, signoff.ErrForbidden,
		signoff.ErrUnauthenticated} {
		assert.Equal(t, errors.Is(actionErr, kind), errors.Is(confirmErr, kind), "the same kind (%v): %v / %v", kind, actionErr, confirmErr)
	}
	if a, c := codeOf(actionErr), codeOf(confirmErr); a != "" && c != "" {
		assert.Equal(t, a, c, "the same code")
	}
	assert.Equal(t, signoff.Message(actionErr), signoff.Message(confirmErr), "the same sentence")
}
