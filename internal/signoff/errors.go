package signoff

import (
	"errors"
	"fmt"
)

// Error kinds returned by Service and Store methods. Test with errors.Is;
// internal/server maps each kind to an HTTP status in one place.
var (
	// ErrNotFound: the product or request does not exist (404).
	ErrNotFound = errors.New("not found")
	// ErrInvalid: the input is malformed or breaks a rule about its shape (422).
	ErrInvalid = errors.New("invalid input")
	// ErrConflict: the request is not in a state that allows the action,
	// typically because someone else acted first (409).
	ErrConflict = errors.New("conflict")
	// ErrForbidden: the viewer is known but may not do this (403).
	ErrForbidden = errors.New("forbidden")
	// ErrUnauthenticated: the viewer is not signed in or the platform did not
	// say who they are (401).
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrUnavailable: the store cannot be reached right now (503).
	ErrUnavailable = errors.New("unavailable")
)

// Error is a domain error whose Message is written for the person using the
// app: it is safe to show on a page. Kind is one of the Err* values above.
type Error struct {
	Kind    error
	Message string
	// Code is the engine's answer the error came from, when it came from
	// one (see Outcome.Err).
	Code Code
}

func (e *Error) Error() string { return e.Message }

// Unwrap lets errors.Is match the kind.
func (e *Error) Unwrap() error { return e.Kind }

// Errorf returns an *Error of the given kind with a formatted, user-facing message.
func Errorf(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// Message returns the user-facing message carried by err, or "" if err
// carries none (internal errors never reach a page).
func Message(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	var p Problems
	if errors.As(err, &p) {
		return p.Error()
	}
	return ""
}

// Problems maps form fields to user-facing messages. It unwraps to ErrInvalid
// so that a form can be re-rendered with each field's message beside it.
type Problems map[string]string

func (p Problems) Error() string {
	if len(p) == 1 {
		for _, msg := range p {
			return msg
		}
	}
	return fmt.Sprintf("%d fields need attention", len(p))
}

// Unwrap lets errors.Is(err, ErrInvalid) match.
func (p Problems) Unwrap() error { return ErrInvalid }
