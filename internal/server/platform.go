package server

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/signoff/signoff/internal/signoff"
)

// The ingress headers Snowpark Container Services adds to every request on
// a public endpoint. The first names the signed-in user; with
// executeAsCaller the second carries their caller token, with which the
// engine opens a session as that user. A client can send either header
// itself, so neither is believed alone: the user is whoever Snowflake says
// the token belongs to, and the name header must agree.
const (
	HeaderUser  = "Sf-Context-Current-User"
	HeaderToken = "Sf-Context-Current-User-Token"
)

// maxTokenLength bounds the caller token header; real tokens are far shorter.
const maxTokenLength = 8 << 10

// PlatformAccount is the Snowflake engine's identity look-up: who the
// caller token belongs to, and which roles that matter are in their session.
type PlatformAccount interface {
	Identify(ctx context.Context, callerToken string) (signoff.Identity, error)
}

// identityCookie keeps the platform's last answer for this browser, signed
// with the session key: page views within Config.IdentityTTL reuse it
// instead of opening a caller's session (a Snowflake login) each time,
// whether the ingress sends the same caller token with every request or a
// fresh one. A visitor cannot forge or alter it, and it is only used while
// the ingress names the same user.
const identityCookie = "signoff_identity"

// identityRecord is the cookie's content.
type identityRecord struct {
	User     string    `json:"u"`
	Roles    []string  `json:"r"`
	Approver bool      `json:"a,omitempty"` // signoff.Identity.Approver
	At       time.Time `json:"t"`           // when the platform answered
}

// maxIdentityCookie bounds the cookie's value (before signing); a visitor
// with so many roles that matter that it would not fit is looked up afresh
// on every page.
const maxIdentityCookie = 2048

// platformViewer establishes the viewer on the Snowflake engine.
//
// Page views (GET, HEAD) reuse a signed answer younger than IdentityTTL.
// Actions (POST) reuse one of any age up to sessionMaxAge, but only to name
// who acts: an action is one CALL in the visitor's own session, where
// Snowflake checks every role itself and the engine reports who acted. Such
// a viewer is stale: its roles may have changed since, so before a POST
// shows a page (a form redrawn with its problems) pageViewer asks again.
func (s *Server) platformViewer(w http.ResponseWriter, r *http.Request) (id signoff.Identity, stale bool, err error) {
	user, token := r.Header.Get(HeaderUser), r.Header.Get(HeaderToken)
	if user == "" || token == "" {
		return signoff.Identity{}, false, signoff.Errorf(signoff.ErrUnauthenticated,
			"Signoff did not receive your Snowflake identity. Open it through its Snowflake endpoint URL, "+
				"signed in to Snowflake, with a role that holds the service role.")
	}
	if !signoff.ValidUserName(user) || !validToken(token) {
		return signoff.Identity{}, false, signoff.Errorf(signoff.ErrUnauthenticated,
			"Signoff received a malformed Snowflake identity. Sign in to Snowflake again and reload the page.")
	}
	if id, age, ok := s.rememberedIdentity(r, user); ok {
		id.Credential = token
		return id, age >= s.identityTTL, nil
	}
	id, err = s.identifyAfresh(w, r, user, token)
	return id, false, err
}

// identifyAfresh asks the platform who token belongs to, checks that it is
// user, and remembers the answer in the identity cookie.
func (s *Server) identifyAfresh(w http.ResponseWriter, r *http.Request, user, token string) (signoff.Identity, error) {
	id, err := s.platform.Identify(r.Context(), token)
	if err != nil {
		return signoff.Identity{}, err
	}
	if id.User != user { // exactly: "alice" and ALICE are different users
		return signoff.Identity{}, signoff.Errorf(signoff.ErrUnauthenticated,
			"Your Snowflake session does not match the user the request names. Sign in to Snowflake again.")
	}
	s.rememberIdentity(w, id)
	id.Credential = token
	return id, nil
}

// pageViewer returns r with a viewer whose roles may be shown a page: the
// request's own, or, when they came from an identity cookie older than
// IdentityTTL (a POST), the platform's answer asked afresh. Handlers that
// render a page after a POST (a form with problems) call it first, so that
// a role revoked since cannot show what it no longer may.
func (s *Server) pageViewer(w http.ResponseWriter, r *http.Request) (*http.Request, error) {
	if stale, _ := r.Context().Value(staleViewerKey).(bool); !stale {
		return r, nil
	}
	id, err := s.identifyAfresh(w, r, r.Header.Get(HeaderUser), r.Header.Get(HeaderToken))
	if err != nil {
		return r, err
	}
	ctx := context.WithValue(context.WithValue(r.Context(), viewerKey, id), staleViewerKey, false)
	return r.WithContext(ctx), nil
}

// rememberedIdentity returns the identity the cookie holds for user and its
// age, if it may be used for this request.
func (s *Server) rememberedIdentity(r *http.Request, user string) (signoff.Identity, time.Duration, bool) {
	if s.identityTTL <= 0 {
		return signoff.Identity{}, 0, false
	}
	v, ok := s.cookies.get(r, identityCookie)
	if !ok {
		return signoff.Identity{}, 0, false
	}
	var rec identityRecord
	if err := json.Unmarshal([]byte(v), &rec); err != nil || rec.User != user {
		return signoff.Identity{}, 0, false
	}
	age := s.now().Sub(rec.At)
	maxAge := s.identityTTL
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		maxAge = sessionMaxAge
	}
	if age < 0 || age >= maxAge {
		return signoff.Identity{}, 0, false
	}
	id := signoff.NewIdentity(rec.User, rec.Roles)
	id.Approver = rec.Approver
	return id, age, true
}

// rememberIdentity sets the cookie for id.
func (s *Server) rememberIdentity(w http.ResponseWriter, id signoff.Identity) {
	if s.identityTTL <= 0 {
		return
	}
	b, err := json.Marshal(identityRecord{User: id.User, Roles: id.Roles, Approver: id.Approver, At: s.now().UTC()})
	if err != nil || len(b) > maxIdentityCookie {
		return
	}
	s.cookies.set(w, identityCookie, string(b), sessionMaxAge)
}

// validToken accepts printable ASCII without spaces, within a length bound.
func validToken(t string) bool {
	if len(t) > maxTokenLength {
		return false
	}
	for i := 0; i < len(t); i++ {
		if t[i] <= ' ' || t[i] > '~' {
			return false
		}
	}
	return true
}
