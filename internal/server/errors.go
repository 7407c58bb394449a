package server

import (
	"errors"
	"net/http"

	"github.com/signoff/signoff/internal/signoff"
)

// errMisdirected refuses a request addressed to a host this server does not
// answer for (loopbackOnly).
var errMisdirected = errors.New("misdirected request")

// statusOf maps the domain's error kinds to HTTP statuses: the one place
// where that mapping lives.
func statusOf(err error) int {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, errMisdirected):
		return http.StatusMisdirectedRequest
	case errors.Is(err, signoff.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, signoff.ErrInvalid):
		return http.StatusUnprocessableEntity
	case errors.Is(err, signoff.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, signoff.ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, signoff.ErrUnauthenticated):
		return http.StatusUnauthorized
	case errors.Is(err, signoff.ErrUnavailable):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// titleOf is the heading of the error page for a status.
func titleOf(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "That request could not be understood"
	case http.StatusUnauthorized:
		return "Please sign in"
	case http.StatusForbidden:
		return "You are not allowed to do that"
	case http.StatusNotFound:
		return "Not found"
	case http.StatusMisdirectedRequest:
		return "Wrong address"
	case http.StatusConflict:
		return "Someone got there first"
	case http.StatusRequestEntityTooLarge:
		return "That was too much to send"
	case http.StatusUnprocessableEntity:
		return "Please check what you entered"
	case http.StatusServiceUnavailable:
		return "Signoff cannot reach its database"
	}
	return "Something went wrong"
}

// defaultMessage explains a status when the error carries no message of its
// own. Internal details never reach the page.
func defaultMessage(status int) string {
	switch status {
	case http.StatusRequestEntityTooLarge:
		return "The form was larger than Signoff accepts (64 KiB). Shorten the text and try again."
	case http.StatusMisdirectedRequest:
		return "Signoff answers only at its loopback address, such as http://127.0.0.1:8080 or http://localhost:8080. " +
			"Another web page may have tried to reach it under a name of its own. Open Signoff at its own address."
	case http.StatusServiceUnavailable:
		return "The database is not answering right now. Nothing was changed; please try again in a moment."
	case http.StatusNotFound:
		return "There is nothing at this address. It may have been mistyped."
	case http.StatusInternalServerError:
		return "Signoff hit an unexpected error. Nothing you did caused it; the details are in the server log under the request ID shown in the X-Request-Id header."
	}
	return http.StatusText(status)
}
