// Package server is Signoff's HTTP layer: routes, middleware, and handlers
// that parse a request, call one workflow method and render a templ page.
package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/a-h/templ"

	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/web/view"
)

// Workflow is what the handlers call: *signoff.Service, or a fake in tests
// of the HTTP layer alone.
type Workflow interface {
	Catalog(ctx context.Context, viewer signoff.Identity, f signoff.ProductFilter, page int) (signoff.Catalog, error)
	AllProducts(ctx context.Context, viewer signoff.Identity) ([]signoff.Product, error)
	Product(ctx context.Context, viewer signoff.Identity, id string) (signoff.ProductPage, error)
	Submit(ctx context.Context, viewer signoff.Identity, productID, reason string, days int) (signoff.Outcome, error)
	Resubmit(ctx context.Context, viewer signoff.Identity, id, answer, reason string) error
	Extend(ctx context.Context, viewer signoff.Identity, productID, grantID, reason string, days int) (signoff.Outcome, error)
	MyRequests(ctx context.Context, viewer signoff.Identity) ([]signoff.Request, error)
	Queue(ctx context.Context, viewer signoff.Identity, in signoff.QueueInput) (signoff.Queue, error)
	RequestPage(ctx context.Context, viewer signoff.Identity, id, actingAs string) (signoff.RequestPage, error)
	Decide(ctx context.Context, viewer signoff.Identity, id string, in signoff.DecisionInput) (signoff.Outcome, error)
	Withdraw(ctx context.Context, viewer signoff.Identity, id string) error
	Revoke(ctx context.Context, viewer signoff.Identity, id, reason string) error
	ConfirmWithdraw(ctx context.Context, viewer signoff.Identity, id string) (signoff.RequestPage, error)
	ConfirmReject(ctx context.Context, viewer signoff.Identity, id string, in signoff.DecisionInput) (signoff.RequestPage, error)
	ConfirmRevoke(ctx context.Context, viewer signoff.Identity, id, reason string) (signoff.RequestPage, error)
	RetryGrant(ctx context.Context, viewer signoff.Identity, id string) (signoff.Status, error)
	ProductAccess(ctx context.Context, viewer signoff.Identity, id string) (signoff.AccessPage, error)
	AllRequests(ctx context.Context, viewer signoff.Identity, in signoff.RequestsInput) (signoff.RequestsPage, error)
	AllGrants(ctx context.Context, viewer signoff.Identity, in signoff.GrantsInput) (signoff.GrantsPage, error)
	Audit(ctx context.Context, viewer signoff.Identity, f signoff.EventFilter) (signoff.AuditPage, error)
	AuditExport(ctx context.Context, viewer signoff.Identity, f signoff.EventFilter, limit int) ([]signoff.Event, error)
	VerifyAudit(ctx context.Context, viewer signoff.Identity) (signoff.LedgerReport, error)
	Diagnose(ctx context.Context, viewer signoff.Identity) (signoff.Checks, error)
}

// LocalAccount is the embedded engine's account: who exists, which roles
// are in their session, and who is signed in. Its presence turns on persona
// sign-in. Sessions are its records, not the server's memory, so that
// signing out ends a session on every process serving the same database,
// and after a restart.
type LocalAccount interface {
	Identify(ctx context.Context, user string) (signoff.Identity, error)
	Personas(ctx context.Context) ([]signoff.Persona, error)
	// StartSession records that user signed in with the session id, valid
	// until expires; sessions expired before now may be forgotten.
	StartSession(ctx context.Context, id, user string, now, expires time.Time) error
	// SessionUser returns the user of session id, or ErrUnauthenticated if
	// it ended or expired before now.
	SessionUser(ctx context.Context, id string, now time.Time) (string, error)
	// EndSession ends session id; ending one that does not exist is no error.
	EndSession(ctx context.Context, id string) error
}

// Config is what the server needs. Service and Ready are required.
type Config struct {
	Service Workflow
	// Ready reports whether the store is reachable, for /readyz.
	Ready func(ctx context.Context) error
	Log   *slog.Logger
	// Local, when set, is the embedded engine's account: persona sign-in is
	// served and Sf-Context-* headers are ignored. Without it, the identity
	// comes from the platform (the Snowflake engine) through Platform.
	Local LocalAccount
	// Platform establishes the viewer from the ingress's caller token on the
	// Snowflake engine.
	Platform PlatformAccount
	// IdentityTTL is how long page views reuse the platform's answer about a
	// visitor (a signed cookie) before asking again; 0 asks on every request.
	IdentityTTL time.Duration
	// AnyHost answers requests addressed to any host name. Without it, the
	// embedded engine answers only requests whose Host is a loopback name
	// or address (LoopbackHost), so that a web page cannot reach it through
	// a name of its own rebound to 127.0.0.1 (DNS rebinding). The Snowflake
	// engine is always reached through the SPCS ingress's public name, so it
	// never checks.
	AnyHost bool
	// SessionKey signs cookies, each with its own key derived from it;
	// instances behind one URL must share it.
	SessionKey []byte
	// SecureCookies sets the Secure attribute (when served over HTTPS).
	SecureCookies bool
	// Engine names the engine for the footer ("embedded" or "snowflake").
	Engine string
	// Version names the build, for the footer.
	Version string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Notices, when set, serves the outbox page and the header's pending
	// approvals count.
	Notices Notices
	// Reviews, when set, serves the access review pages (reviews.go).
	Reviews Reviews
	// Catalog, when set, serves the admins' product pages (/admin/products).
	Catalog CatalogAdmin
	// Managers, when set, serves the admins' directory of managers
	// (/admin/directory).
	Managers Managers
	// Policy, when set, serves the admins' chain policy page
	// (/admin/policy).
	Policy PolicyAdmin
}

// Server serves Signoff's pages.
type Server struct {
	svc         Workflow
	ready       func(ctx context.Context) error
	log         *slog.Logger
	local       LocalAccount
	platform    PlatformAccount
	identityTTL time.Duration
	anyHost     bool
	cookies     cookies
	engine      string
	version     string
	now         func() time.Time
	handler     http.Handler
	buffers     sync.Pool // render's page buffers, reused between requests
	notices     Notices
	reviews     Reviews
	catalog     CatalogAdmin
	managers    Managers
	policy      PolicyAdmin
}

// New returns the server's handler with every route and middleware.
func New(cfg Config) (*Server, error) {
	if cfg.Service == nil || cfg.Ready == nil {
		return nil, errors.New("server: Service and Ready are required")
	}
	if (cfg.Local == nil) == (cfg.Platform == nil) {
		return nil, errors.New("server: exactly one of Local and Platform is required")
	}
	if len(cfg.SessionKey) < 32 {
		return nil, errors.New("server: SessionKey must be at least 32 bytes")
	}
	cks, err := newCookies(cfg.SessionKey, cfg.SecureCookies)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	s := &Server{svc: cfg.Service, ready: cfg.Ready, log: cfg.Log, local: cfg.Local, platform: cfg.Platform,
		identityTTL: cfg.IdentityTTL, anyHost: cfg.AnyHost || cfg.Local == nil,
		cookies: cks, engine: cfg.Engine, version: cfg.Version, now: cfg.Now, notices: cfg.Notices,
		reviews: cfg.Reviews, catalog: cfg.Catalog,
		managers: cfg.Managers, policy: cfg.Policy}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.handler = s.routes()
	return s, nil
}

// ServeHTTP serves a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// meta returns the layout's data for a page, consuming the flash message.
func (s *Server) meta(w http.ResponseWriter, r *http.Request, title, nav string) view.Meta {
	m := s.errorMeta(w, r, title, nav)
	if s.notices != nil {
		// The header's count on every page: cheap on the embedded engine,
		// kept for a short while per viewer on Snowflake (Service.PendingTTL).
		if n, ok := s.notices.PendingCount(r.Context(), viewerOf(r.Context())); ok {
			m.QueueCount = n
		}
	}
	return m
}

// errorMeta is meta without the header's pending count: an error page
// spends no statement on it (a page that failed, or a session that
// expired, is no time to read more).
func (s *Server) errorMeta(w http.ResponseWriter, r *http.Request, title, nav string) view.Meta {
	viewer := viewerOf(r.Context())
	m := view.Meta{Title: title, Nav: nav, Viewer: viewer, Local: s.local != nil,
		Engine: s.engine, Version: s.version, QueueCount: -1,
		// From the identity alone: the engine said whether the viewer
		// approves when it said who they are, so no page reads more for it.
		Approvals: viewer.Approver || viewer.Admin()}
	if s.notices != nil {
		m.Outbox = !viewer.Anonymous()
	}
	// Reviews are for the products' owners, who key approval steps, and
	// for admins and auditors: the tab needs no statement.
	m.Reviews = s.reviews != nil && (viewer.Approver || viewer.Auditor())
	m.Products = s.catalog != nil
	m.Directory = s.managers != nil
	m.Policy = s.policy != nil
	if msg, ok := s.cookies.get(r, flashCookie); ok {
		m.Flash = msg
		s.cookies.clear(w, flashCookie)
	}
	return m
}

// render writes a page with status code. It renders into a buffer first, so
// a failed render never leaves half a page behind a 200, and sends the page
// with its Content-Length in one write rather than in chunks.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	buf, _ := s.buffers.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	defer func() {
		if buf.Cap() <= maxPooledPage {
			buf.Reset()
			s.buffers.Put(buf)
		}
	}()
	if err := c.Render(view.WithNow(r.Context(), s.now()), buf); err != nil {
		s.log.ErrorContext(r.Context(), "render failed", "path", r.URL.Path, "err", err)
		http.Error(w, "Signoff could not render this page.", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}

// maxPooledPage is the largest buffer kept for reuse; a rare huge page's
// buffer goes to the garbage collector instead of staying in the pool.
const maxPooledPage = 1 << 20

// fail renders the error page for err. Unexpected errors are logged with the
// request ID; only messages written for people reach the page.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := statusOf(err)
	msg := signoff.Message(err)
	// A page asked for before signing in is every visit's first step, and
	// is answered with the sign-in page: nothing went wrong, so it is logged
	// at debug (the access log still records the request).
	signIn := status == http.StatusUnauthorized && s.local != nil && r.Method == http.MethodGet
	level, what := slog.LevelInfo, "request refused"
	switch {
	case status >= 500:
		level, what = slog.LevelError, "request failed"
		msg = ""
	case signIn:
		level, what = slog.LevelDebug, "sign-in required"
	}
	s.log.Log(r.Context(), level, what, "request_id", RequestID(r.Context()),
		"method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	if signIn {
		http.Redirect(w, r, "/login?next="+pathOnly(r), http.StatusSeeOther)
		return
	}
	if msg == "" {
		msg = defaultMessage(status)
	}
	s.render(w, r, status, view.ErrorPage(s.errorMeta(w, r, titleOf(status), ""), status, titleOf(status), msg))
}

// redirect sends the browser to path with a one-time flash message (the
// POST/redirect/GET pattern).
func (s *Server) redirect(w http.ResponseWriter, r *http.Request, path, flash string) {
	if flash != "" {
		s.cookies.set(w, flashCookie, flash, time.Minute)
	}
	http.Redirect(w, r, path, http.StatusSeeOther)
}
