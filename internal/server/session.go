package server

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Cookies carry the per-visitor state (docs/design.md: stateless server), so
// they are signed with HMAC-SHA256: a visitor cannot forge another persona.
// On the embedded engine the session cookie carries only a session ID,
// which the local account records from sign-in to sign-out.
const (
	sessionCookie = "signoff_session" // the persona's session ID (embedded engine only)
	flashCookie   = "signoff_flash"   // a one-time message shown after a redirect
	sessionMaxAge = 12 * time.Hour
)

// cookies signs and verifies cookie values, each cookie with its own key:
// a value signed for one purpose (a flash message, the platform's identity
// record) is not valid for another (the session).
type cookies struct {
	keys   map[string][]byte // by cookie name
	secure bool              // set the Secure attribute (behind HTTPS)
}

// newCookies derives each cookie's key from the session key with HKDF
// (RFC 5869), the cookie's name as the context: one secret to configure,
// and no key shared between purposes.
func newCookies(secret []byte, secure bool) (cookies, error) {
	c := cookies{keys: map[string][]byte{}, secure: secure}
	for _, name := range []string{sessionCookie, flashCookie, identityCookie} {
		key, err := hkdf.Key(sha256.New, secret, nil, "signoff cookie "+name, sha256.Size)
		if err != nil {
			return cookies{}, fmt.Errorf("derive the key of %s: %w", name, err)
		}
		c.keys[name] = key
	}
	return c, nil
}

// sign returns value signed as the cookie name.
func (c cookies) sign(name, value string) string {
	key, ok := c.keys[name]
	if !ok {
		panic("server: no key for the cookie " + name) // a cookie missing from newCookies
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(value))
	return base64.RawURLEncoding.EncodeToString([]byte(value)) + "." +
		base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// verify returns the value signed, if signed is exactly what sign writes
// for it as the cookie name. Comparing the whole string, rather than
// decoding and checking the MAC, also refuses the other spellings base64
// decoding would let through (line breaks, non-zero padding bits): one
// signed form per value.
func (c cookies) verify(name, signed string) (string, bool) {
	v, _, ok := strings.Cut(signed, ".")
	if !ok {
		return "", false
	}
	value, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return "", false
	}
	if !hmac.Equal([]byte(signed), []byte(c.sign(name, string(value)))) {
		return "", false
	}
	return string(value), true
}

func (c cookies) set(w http.ResponseWriter, name, value string, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: c.sign(name, value), Path: "/", MaxAge: int(maxAge.Seconds()),
		HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode})
}

func (c cookies) get(r *http.Request, name string) (string, bool) {
	ck, err := r.Cookie(name)
	if err != nil {
		return "", false
	}
	return c.verify(name, ck.Value)
}

func (c cookies) clear(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode})
}
