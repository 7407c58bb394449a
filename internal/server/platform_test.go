package server_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/demo"
	"github.com/signoff/signoff/internal/server"
	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlite"
)

// TestPlatformIdentityMode runs the server as it runs on Snowflake: identity
// comes from the platform (Config.Identify), there is no persona sign-in,
// and a visitor the platform does not vouch for gets a 401 page, not a
// redirect to a sign-in page that does not exist.
func TestPlatformIdentityMode(t *testing.T) {
	ctx := t.Context()
	st, err := sqlite.Open(ctx, ":memory:")
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	svc := signoff.NewService(st)
	require.NoError(t, demo.Load(ctx, st, svc, time.Now()))

	var calls atomic.Int32
	identify := func(r *http.Request) (signoff.Identity, error) {
		calls.Add(1)
		user := r.Header.Get("Sf-Context-Current-User")
		if user == "" {
			return signoff.Identity{}, signoff.Errorf(signoff.ErrUnauthenticated, "Signoff did not receive your Snowflake identity.")
		}
		return st.Identify(r.Context(), user) // stands in for the caller's-rights session
	}
	srv, err := server.New(server.Config{Service: svc, Ready: st.Ping, Identify: identify,
		SessionKey: []byte(strings.Repeat("s", 32)), SecureCookies: true, Engine: "Snowflake (test)"})
	require.NoError(t, err)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	get := func(path, user string) (*http.Response, string) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, hs.URL+path, nil)
		require.NoError(t, err)
		if user != "" {
			req.Header.Set("Sf-Context-Current-User", user)
		}
		res, err := hc.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return res, string(b)
	}

	res, body := get("/", "")
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode, "no redirect: there is no sign-in page")
	assert.Contains(t, body, "Signoff did not receive your Snowflake identity.")
	assert.NotContains(t, body, `href="/login"`, "no persona sign-in is offered")

	for _, path := range []string{"/login", "/logout"} {
		res, _ := get(path, "ALICE")
		assert.Equal(t, http.StatusNotFound, res.StatusCode, "%s does not exist on this engine", path)
	}
	form := url.Values{"user": {"ADAM"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hs.URL+"/login", strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	post, err := hc.Do(req)
	require.NoError(t, err)
	post.Body.Close()
	assert.NotEqual(t, http.StatusSeeOther, post.StatusCode, "persona sign-in does not exist")
	assert.Empty(t, post.Cookies(), "no session cookie is ever issued")

	before := calls.Load()
	res, body = get("/requests", "ALICE")
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, body, `data-testid="viewer">ALICE<`)
	assert.NotContains(t, body, "Switch persona")
	assert.Equal(t, before+1, calls.Load(), "the platform is asked on every request")

	res, _ = get("/healthz", "")
	assert.Equal(t, http.StatusOK, res.StatusCode, "probes need no identity")
}
