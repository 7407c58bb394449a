package server

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"github.com/signoff/signoff/internal/signoff"
)

// MaxBodyBytes bounds every request body; larger bodies get 413.
const MaxBodyBytes = 64 << 10

type ctxKey int

const (
	requestInfoKey ctxKey = iota
	viewerKey
	staleViewerKey
)

// requestInfo is what the access log needs to know about a request; the
// identity middleware, deeper in the chain, fills in the user.
type requestInfo struct {
	id   string
	user string
}

// RequestID returns the request's ID, for logs.
func RequestID(ctx context.Context) string {
	if info, ok := ctx.Value(requestInfoKey).(*requestInfo); ok {
		return info.id
	}
	return ""
}

func viewerOf(ctx context.Context) signoff.Identity {
	id, _ := ctx.Value(viewerKey).(signoff.Identity)
	return id
}

// withRequestID gives every request an ID, returned in X-Request-Id and
// attached to every log line about it.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := &requestInfo{id: rand.Text()[:16]}
		w.Header().Set("X-Request-Id", info.id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestInfoKey, info)))
	})
}

// statusRecorder remembers the status code for the access log.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += n
	return n, err
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// logRequests writes one structured line per request.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" {
			return // probes every few seconds would drown the log
		}
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "http",
			slog.String("request_id", RequestID(r.Context())),
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", rec.status), slog.Int("bytes", rec.bytes),
			slog.Duration("duration", time.Since(start)),
			slog.String("user", requestUser(r.Context())))
	})
}

// recoverPanics turns a panic into a logged 500 page instead of a dropped
// connection.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.ErrorContext(r.Context(), "panic", "request_id", RequestID(r.Context()),
					"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				s.fail(w, r, fmt.Errorf("panic: %v", v))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// securityHeaders sets a strict CSP (no inline script or style; Signoff
// needs no JavaScript, and its few scripts are progressive enhancements
// served from /static/; connect-src lets the catalog's fetch its own
// results page), forbids framing and sniffing, and limits referrers.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if h.Get("Cache-Control") == "" {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// loopbackOnly refuses a request whose Host is not a loopback name, unless
// the server answers any host (Config.AnyHost). Binding to 127.0.0.1 is not
// enough: a web page the local user visits can resolve its own name to
// 127.0.0.1 (DNS rebinding) and then talk to Signoff as same-origin, Origin
// and Host agreeing, so cross-origin protection passes. Such a request still
// names the attacker's host, and is refused here before anything else runs.
//
// The status is 421 Misdirected Request (RFC 9110, section 15.5.20): the
// request was well-formed, but this server does not answer for the
// authority it names. 400 would say the request itself was malformed.
func (s *Server) loopbackOnly(next http.Handler) http.Handler {
	if s.anyHost {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !LoopbackHost(r.Host) {
			s.fail(w, r, fmt.Errorf("host %q is not a loopback name: %w", r.Host, errMisdirected))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// LoopbackHost reports whether host, a request's Host with or without a
// port, names this machine's loopback interface: an address in
// 127.0.0.0/8, ::1, or the name localhost, which every system answers from
// its hosts file before asking DNS. Names under .localhost are refused:
// Chrome and Firefox resolve them locally, but other clients may ask a DNS
// resolver, which a hostile network controls, and nobody needs them to
// reach Signoff.
func LoopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	} else if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// limitBodies caps request bodies at MaxBodyBytes. The reader stops after
// MaxBodyBytes+1 bytes with an *http.MaxBytesError (mapped to 413) and tells
// the server to close the connection, so an oversized body is never read in
// full; closing the body up front instead would turn the 413 into a read
// error (422).
func limitBodies(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		next.ServeHTTP(w, r)
	})
}

// textOnly refuses a query string whose names or values are not valid
// UTF-8 (422) before any handler reads it; forms are checked by parseForm.
func (s *Server) textOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !validValues(r.URL.Query()) {
			s.fail(w, r, errNotText)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// crossOrigin refuses cross-origin state changes (Go's
// http.CrossOriginProtection: Sec-Fetch-Site and Origin checks) with a clear
// 403 page.
func (s *Server) crossOrigin(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, signoff.Errorf(signoff.ErrForbidden,
			"This form was sent from another site, so Signoff refused it. Open Signoff directly and try again."))
	}))
	return cop.Handler(next)
}

// identify establishes the viewer for every request: on the embedded engine
// from the signed persona cookie and the local account (never from
// Sf-Context-* headers); on Snowflake from the platform.
func (s *Server) identify(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var viewer signoff.Identity
		var stale bool
		var err error
		if s.local != nil {
			viewer, err = s.localViewer(w, r)
		} else {
			viewer, stale, err = s.platformViewer(w, r)
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if info, ok := r.Context().Value(requestInfoKey).(*requestInfo); ok {
			info.user = viewer.User
		}
		ctx := context.WithValue(r.Context(), viewerKey, viewer)
		if stale {
			ctx = context.WithValue(ctx, staleViewerKey, true)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func requestUser(ctx context.Context) string {
	if info, ok := ctx.Value(requestInfoKey).(*requestInfo); ok {
		return info.user
	}
	return ""
}

// localViewer reads the session cookie and asks the local account whose
// session it is, and the roles in that user's session, on every request: a
// sign-out, a grant or a revoke shows at once.
func (s *Server) localViewer(w http.ResponseWriter, r *http.Request) (signoff.Identity, error) {
	if _, err := r.Cookie(sessionCookie); err != nil {
		return signoff.Identity{}, nil
	}
	session, ok := s.cookies.get(r, sessionCookie)
	if !ok { // forged, signed with another instance's key, or before sign-in changed
		s.cookies.clear(w, sessionCookie)
		return signoff.Identity{}, nil
	}
	user, err := s.local.SessionUser(r.Context(), session, s.now())
	if errors.Is(err, signoff.ErrUnauthenticated) { // signed out, or expired
		s.cookies.clear(w, sessionCookie)
		return signoff.Identity{}, nil
	}
	if err != nil {
		return signoff.Identity{}, fmt.Errorf("session: %w", err)
	}
	id, err := s.local.Identify(r.Context(), user)
	if err != nil {
		if statusOf(err) == http.StatusUnauthorized {
			// The persona no longer exists (a different database): sign out.
			s.cookies.clear(w, sessionCookie)
			return signoff.Identity{}, nil
		}
		return signoff.Identity{}, fmt.Errorf("identify %s: %w", user, err)
	}
	return id, nil
}

// pathOnly returns the request's path and query, URL-escaped for a next= parameter.
func pathOnly(r *http.Request) string {
	return url.QueryEscape(r.URL.RequestURI())
}
