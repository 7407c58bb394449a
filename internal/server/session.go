package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
	"time"
)

// Cookies carry the only per-visitor state (docs/design.md: stateless server), so
// they are signed with HMAC-SHA256: a visitor cannot forge another persona.
const (
	sessionCookie = "signoff_session" // the signed-in persona (embedded engine only)
	flashCookie   = "signoff_flash"   // a one-time message shown after a redirect
	sessionMaxAge = 12 * time.Hour
)

// cookies signs and verifies cookie values.
type cookies struct {
	key    []byte
	secure bool // set the Secure attribute (behind HTTPS)
}

func (c cookies) sign(value string) string {
	mac := hmac.New(sha256.New, c.key)
	mac.Write([]byte(value))
	return base64.RawURLEncoding.EncodeToString([]byte(value)) + "." +
		base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// verify returns the value signed, if signed is exactly what sign writes
// for it. Comparing the whole string, rather than decoding and checking the
// MAC, also refuses the other spellings base64 decoding would let through
// (line breaks, non-zero padding bits): one signed form per value.
func (c cookies) verify(signed string) (string, bool) {
	v, _, ok := strings.Cut(signed, ".")
	if !ok {
		return "", false
	}
	value, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return "", false
	}
	if !hmac.Equal([]byte(signed), []byte(c.sign(string(value)))) {
		return "", false
	}
	return string(value), true
}

func (c cookies) set(w http.ResponseWriter, name, value string, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: c.sign(value), Path: "/", MaxAge: int(maxAge.Seconds()),
		HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode})
}

func (c cookies) get(r *http.Request, name string) (string, bool) {
	ck, err := r.Cookie(name)
	if err != nil {
		return "", false
	}
	return c.verify(ck.Value)
}

func (c cookies) clear(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode})
}

// sessionValue binds the persona to its expiry so that an old cookie cannot
// be replayed after it lapses, whatever the browser does with MaxAge.
func sessionValue(user string, now time.Time) string {
	return user + "|" + now.Add(sessionMaxAge).UTC().Format(time.RFC3339)
}

func parseSession(v string, now time.Time) (string, bool) {
	user, exp, ok := strings.Cut(v, "|")
	if !ok {
		return "", false
	}
	t, err := time.Parse(time.RFC3339, exp)
	if err != nil || now.After(t) {
		return "", false
	}
	return user, true
}
