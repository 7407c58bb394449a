package server_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
)

// TestOutboxShowsOnlyYourMessages: the outbox page is the viewer's own
// mailbox; an admin sees everyone's; nobody signed in sees nothing.
func TestOutboxShowsOnlyYourMessages(t *testing.T) {
	t.Parallel()
	s := newStack(t, withNotices())
	rep, err := s.svc.Notify(t.Context())
	require.NoError(t, err)
	require.Positive(t, rep.Queued, "the demo's history fills the outbox")

	res := s.as("ALICE").get("/outbox")
	require.Equal(t, http.StatusOK, res.Status)
	assert.Contains(t, mainNav(t, res.Body), `href="/outbox"`)
	assert.Contains(t, res.Body, "To "+identHTML(t, "ALICE"))
	for _, other := range []string{"MARCO", "DANA", "FRANK"} {
		assert.NotContains(t, res.Body, "To "+identHTML(t, other), "ALICE sees no message to %s", other)
	}

	res = s.as("ADAM").get("/outbox")
	require.Equal(t, http.StatusOK, res.Status)
	assert.Contains(t, res.Body, "To "+identHTML(t, "ALICE"), "admins see everyone's")

	res = s.as("NOEL").get("/outbox")
	require.Equal(t, http.StatusOK, res.Status)
	assert.Contains(t, res.Body, "No messages yet", "the empty state")

	res = s.anon().get("/outbox")
	assert.NotEqual(t, http.StatusOK, res.Status)
	assert.NotContains(t, res.Body, "To "+identHTML(t, "ALICE"))
}

// TestDigestChoice: the viewer chooses a daily digest for themselves.
func TestDigestChoice(t *testing.T) {
	t.Parallel()
	s := newStack(t, withNotices())
	c := s.as("MARCO")
	res := c.post("/outbox/digest", url.Values{"digest": {"daily"}})
	require.Equal(t, http.StatusSeeOther, res.Status)
	daily, err := s.st.DigestPreference(t.Context(), "MARCO")
	require.NoError(t, err)
	assert.True(t, daily)
	other, err := s.st.DigestPreference(t.Context(), "ALICE")
	require.NoError(t, err)
	assert.False(t, other, "nobody else's choice changed")
	res = c.post("/outbox/digest", url.Values{"digest": {"weekly"}})
	assert.Equal(t, http.StatusUnprocessableEntity, res.Status)
}

// TestNavCountOnEveryPage: the header shows the viewer's pending approvals
// (the queue's definition) on every page, not only on the queue.
func TestNavCountOnEveryPage(t *testing.T) {
	t.Parallel()
	s := newStack(t, withNotices())
	id := s.identity("MARCO")
	q, err := s.svc.Queue(t.Context(), id, signoff.QueueInput{})
	require.NoError(t, err)
	require.NotEmpty(t, q.Requests)
	want := strconv.Itoa(len(q.Requests))
	for _, path := range []string{"/", "/requests", "/outbox"} {
		res := s.as("MARCO").get(path)
		require.Equal(t, http.StatusOK, res.Status)
		assert.Contains(t, mainNav(t, res.Body), `aria-label="`+want+` waiting"`, path)
	}
	res := s.as("ALICE").get("/")
	assert.False(t, strings.Contains(mainNav(t, res.Body), "waiting"), "no count for who approves nothing")
}
