package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/web/view"
)

// mainNav returns the main navigation's markup on a page.
func mainNav(t testing.TB, body string) string {
	t.Helper()
	_, nav, ok := strings.Cut(body, `<nav class="nav" aria-label="Main">`)
	require.True(t, ok, "the page has the main navigation")
	nav, _, ok = strings.Cut(nav, "</nav>")
	require.True(t, ok)
	return nav
}

// approvalsTab is whether the main navigation offers the approvals queue.
func approvalsTab(t testing.TB, body string) bool {
	t.Helper()
	return strings.Contains(mainNav(t, body), `href="/queue"`)
}

// TestApprovalsTabOnlyForApprovers: the Approvals tab is for people with
// something to approve: a role in session that keys a step (held directly,
// or through the role hierarchy, as SAM holds DPO), and admins, who retry
// failed grants there. Requesters, auditors and people with no role do not
// see it; the page itself still answers them.
func TestApprovalsTabOnlyForApprovers(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	for user, want := range map[string]bool{
		"ALICE": false, "NOEL": false, "AUDREY": false,
		"MARCO": true, "OLIVIA": true, "SAM": true, "ADAM": true,
	} {
		t.Run(user, func(t *testing.T) {
			c := s.as(user)
			for _, path := range []string{"/", "/requests"} {
				res := c.get(path)
				require.Equal(t, http.StatusOK, res.Status)
				assert.Equal(t, want, approvalsTab(t, res.Body), "%s on %s", user, path)
			}
			res := c.get("/queue")
			assert.Equal(t, http.StatusOK, res.Status, "the queue still answers whoever asks")
		})
	}
}

// TestApprovalsTabOnSnowflake: on the Snowflake engine, whether the viewer
// approves comes with the identity (from the statement that reads the roles
// that matter) and is kept with it in the identity cookie, so that pages
// served from the cookie show the same tabs without asking anything.
func TestApprovalsTabOnSnowflake(t *testing.T) {
	t.Parallel()
	s := newStack(t, onSnowflake(30*time.Second)...)
	for user, want := range map[string]bool{"ALICE": false, "MARCO": true, "SAM": true} {
		b := s.browser(user)
		before := s.platform.count()
		res, body := b.do(http.MethodGet, "/", nil, nil)
		require.Equal(t, http.StatusOK, res.StatusCode)
		assert.Equal(t, want, approvalsTab(t, body), "%s, asked afresh", user)
		require.Equal(t, before+1, s.platform.count())

		res, body = b.do(http.MethodGet, "/requests", nil, nil)
		require.Equal(t, http.StatusOK, res.StatusCode)
		assert.Equal(t, want, approvalsTab(t, body), "%s, from the identity cookie", user)
		assert.Equal(t, before+1, s.platform.count(), "%s: the second page used the cookie", user)
	}
}

// identHTML is view.Ident's markup for name: how pages show identifiers.
func identHTML(t testing.TB, name string) string {
	t.Helper()
	var b strings.Builder
	require.NoError(t, view.Ident(name).Render(t.Context(), &b))
	return b.String()
}
