package server

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/web/view"
)

// handleLoginPage handles "GET /login" (embedded engine only): pick a persona.
func (s *Server) handleLoginPage(w http.ResponseWriter, r *http.Request) {
	personas, err := s.local.Personas(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, view.LoginPage(s.meta(w, r, "Sign in", ""), personas, safeNext(r.URL.Query().Get("next"))))
}

// handleLogin handles "POST /login" (user=NAME, next): sign in as a persona.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(r); err != nil {
		s.fail(w, r, err)
		return
	}
	user := r.PostForm.Get("user")
	if !signoff.ValidUserName(user) {
		s.fail(w, r, signoff.Errorf(signoff.ErrInvalid, "Choose one of the personas listed on the sign-in page."))
		return
	}
	id, err := s.local.Identify(r.Context(), user)
	if upper := strings.ToUpper(user); err != nil && upper != user && signoff.ValidIdentifier(user) {
		// As Snowflake resolves a name typed without quotes: alice is ALICE,
		// unless a user is called exactly "alice".
		id, err = s.local.Identify(r.Context(), upper)
	}
	if errors.Is(err, signoff.ErrUnauthenticated) {
		// The account says only "no such user"; the sentence is the page's.
		err = signoff.Errorf(signoff.ErrUnauthenticated, "There is no persona %s. Choose one of the personas listed on the sign-in page.", user)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.endSession(r); err != nil { // the persona switched from
		s.fail(w, r, err)
		return
	}
	session, now := rand.Text(), s.now()
	if err := s.local.StartSession(r.Context(), session, id.User, now, now.Add(sessionMaxAge)); err != nil {
		s.fail(w, r, err)
		return
	}
	s.cookies.set(w, sessionCookie, session, sessionMaxAge)
	s.redirect(w, r, safeNext(r.PostForm.Get("next")), "Signed in as "+id.User+".")
}

// handleLogout handles "POST /logout": the session ends for the local
// account, not only in this browser, so a copy of its cookie signs nobody in.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(r); err != nil { // within the body limit, like every POST
		s.fail(w, r, err)
		return
	}
	if err := s.endSession(r); err != nil {
		s.fail(w, r, err)
		return
	}
	s.cookies.clear(w, sessionCookie)
	s.redirect(w, r, "/login", "Signed out. Pick another persona.")
}

// endSession ends the session r's cookie names, if it names one.
func (s *Server) endSession(r *http.Request) error {
	session, ok := s.cookies.get(r, sessionCookie)
	if !ok {
		return nil
	}
	if err := s.local.EndSession(r.Context(), session); err != nil {
		return fmt.Errorf("sign out: %w", err)
	}
	return nil
}

// safeNext keeps a post-login redirect on this site: a local path only.
// Backslashes and control characters are refused anywhere, not only at the
// start: browsers read "\\" as "/" and drop tabs and newlines, and
// http.Redirect cleans the path, so "/\t/evil.example" and "/./\\evil.example"
// would both end up as a redirect to //evil.example.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsRune(next, '\\') ||
		strings.HasPrefix(next, "/login") || strings.ContainsFunc(next, isControl) {
		return "/"
	}
	return next
}

// isControl reports whether r is an ASCII control character (C0 or DEL).
func isControl(r rune) bool { return r < 0x20 || r == 0x7f }
