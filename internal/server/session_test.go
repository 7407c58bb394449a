package server_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/server"
	"github.com/signoff/signoff/internal/sqlite"
)

// TestSessionsLiveInTheDatabase: on the full stack, a persona's session is
// the local account's record, shared by every process that serves the
// database (make soak runs two) and kept across restarts with the same
// --session-key; signing out on one ends it on all.
func TestSessionsLiveInTheDatabase(t *testing.T) {
	t.Parallel()
	a := newStack(t, fileDB(""))
	// A second process: its own store on the same file, its own server.
	st, err := sqlite.Open(t.Context(), a.path)
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	srv, err := server.New(server.Config{Service: a.svc, Ready: st.Ping, Local: st, SessionKey: testKey, Engine: "test"})
	require.NoError(t, err)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	b := site{t: t, URL: hs.URL}

	adam := a.as("ADAM")
	copied, _ := sessionCookieOf(t, adam)
	res := withSession(b, "/audit", copied)
	require.Equal(t, http.StatusOK, res.Status, "signed in on one process, recognised by the other")
	assert.Equal(t, "ADAM", testid(res.Body, "viewer"))

	require.Equal(t, http.StatusSeeOther, adam.post("/logout", nil).Status)
	signedOut(t, withSession(b, "/audit", copied), "signed out on one process, ended on the other")
	signedOut(t, withSession(a.site, "/audit", copied))

	// A restarted process (same key, same database) still knows who is
	// signed in and who signed out.
	ben := a.as("BEN")
	kept, _ := sessionCookieOf(t, ben)
	restarted, err := server.New(server.Config{Service: a.svc, Ready: st.Ping, Local: st, SessionKey: testKey, Engine: "test"})
	require.NoError(t, err)
	hs2 := httptest.NewServer(restarted)
	t.Cleanup(hs2.Close)
	again := site{t: t, URL: hs2.URL}
	assert.Equal(t, "BEN", testid(withSession(again, "/requests", kept).Body, "viewer"))
	signedOut(t, withSession(again, "/audit", copied))
}
