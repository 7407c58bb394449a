package server_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/server"
	"github.com/signoff/signoff/internal/signoff"
)

// logRecord is one line the server logged: its level and message.
type logRecord struct {
	Level slog.Level
	Msg   string
}

// recordingHandler keeps every record at every level.
type recordingHandler struct {
	mu      *sync.Mutex
	records *[]logRecord
}

func newRecordingLog() (*slog.Logger, func() []logRecord) {
	h := recordingHandler{mu: &sync.Mutex{}, records: &[]logRecord{}}
	take := func() []logRecord {
		h.mu.Lock()
		defer h.mu.Unlock()
		out := *h.records
		*h.records = nil
		return out
	}
	return slog.New(h), take
}

func (recordingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h recordingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	*h.records = append(*h.records, logRecord{Level: r.Level, Msg: r.Message})
	return nil
}
func (h recordingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h recordingHandler) WithGroup(string) slog.Handler      { return h }

// withoutAccessLog drops the access log's lines, which every request writes.
func withoutAccessLog(rs []logRecord) []logRecord {
	return slices.DeleteFunc(rs, func(r logRecord) bool { return r.Msg == "http" })
}

// TestFailLogLevels: a page asked for before signing in is answered with the
// sign-in page and logged at debug only, since nothing went wrong (the
// first thing "make run" used to log read like an error); refusals stay at
// info and failures at error.
func TestFailLogLevels(t *testing.T) {
	t.Parallel()
	log, take := newRecordingLog()
	s := newFake(t, func(c *server.Config) { c.Log = log })
	s.wf.onCatalog = func(v signoff.Identity, f signoff.ProductFilter, _ int) (signoff.Catalog, error) {
		if v.Anonymous() {
			return signoff.Catalog{}, signedIn(v)
		}
		if f.Query == "fire" {
			return signoff.Catalog{}, errors.New("the disk is on fire")
		}
		return signoff.Catalog{}, nil
	}
	anon, alice := s.anon(), s.as("ALICE")
	take()

	res := anon.get("/")
	require.Equal(t, http.StatusSeeOther, res.Status)
	require.Equal(t, "/login?next=%2F", res.Location)
	assert.Equal(t, []logRecord{{Level: slog.LevelDebug, Msg: "sign-in required"}}, withoutAccessLog(take()),
		"the sign-in redirect is no news")

	res = anon.post("/requests/"+fakeRequestID+"/withdraw", nil)
	require.Equal(t, http.StatusUnauthorized, res.Status)
	assert.Equal(t, []logRecord{{Level: slog.LevelInfo, Msg: "request refused"}}, withoutAccessLog(take()),
		"an action refused for want of a sign-in is still worth a line")

	res = alice.get("/requests/01HZZZZZZZZZZZZZZZZZZZZZZZ")
	require.Equal(t, http.StatusNotFound, res.Status)
	assert.Equal(t, []logRecord{{Level: slog.LevelInfo, Msg: "request refused"}}, withoutAccessLog(take()))

	res = alice.get("/?q=fire")
	require.Equal(t, http.StatusInternalServerError, res.Status)
	assert.Equal(t, []logRecord{{Level: slog.LevelError, Msg: "request failed"}}, withoutAccessLog(take()))
}
