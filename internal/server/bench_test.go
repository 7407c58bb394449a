package server_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/signoff/signoff/internal/server"
	"github.com/signoff/signoff/tools/bench/gen"
)

// benchStack is a full stack on a generated database, called in-process
// (no sockets), so that the benchmarks measure Signoff rather than the
// network.
type benchStack struct {
	b   *testing.B
	srv *server.Server
}

// newBenchStack generates requests requests (100 products) into a file
// database and serves it.
func newBenchStack(b *testing.B, requests int) *benchStack {
	b.Helper()
	path := filepath.Join(b.TempDir(), "bench.db")
	if _, err := gen.Generate(b.Context(), path, gen.Options{Requests: requests, Seed: 1, Now: time.Now()}); err != nil {
		b.Fatal(err)
	}
	return &benchStack{b: b, srv: newStack(b, fileDB(path), withoutDemo()).srv}
}

// signIn returns the session cookie header for user.
func (s *benchStack) signIn(user string) string {
	s.b.Helper()
	req := httptest.NewRequest(http.MethodPost, "http://bench/login", strings.NewReader(url.Values{"user": {user}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "http://bench")
	rec := httptest.NewRecorder()
	s.srv.ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther {
		s.b.Fatalf("sign in as %s: %d %s", user, rec.Code, rec.Body)
	}
	var cookies []string
	for _, c := range rec.Result().Cookies() {
		if c.Name != "signoff_flash" {
			cookies = append(cookies, c.Name+"="+c.Value)
		}
	}
	return strings.Join(cookies, "; ")
}

// get serves GET path with cookie and returns the body; status must be 200.
func (s *benchStack) get(path, cookie string) string {
	req := httptest.NewRequest(http.MethodGet, "http://bench"+path, nil)
	req.Header.Set("Cookie", cookie)
	rec := httptest.NewRecorder()
	s.srv.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		s.b.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
	}
	return rec.Body.String()
}

// BenchmarkPage serves each page in-process on a 10,000-request database.
func BenchmarkPage(b *testing.B) {
	s := newBenchStack(b, 10_000)
	requester, approver, reader := s.signIn("GEN0001"), s.signIn("MARCO"), s.signIn("AUDREY")
	product := firstLink(b, s.get("/", requester), `^/products/([^/?]+)$`)
	request := firstLink(b, s.get("/requests", requester), `^/requests/([0-9A-Z]{26})$`)
	for _, p := range []struct{ name, path, cookie string }{
		{"catalog", "/", requester},
		{"product", "/products/" + product, requester},
		{"myrequests", "/requests", requester},
		{"queue", "/queue", approver},
		{"request", "/requests/" + request, reader},
		{"audit", "/audit", reader},
	} {
		b.Run(p.name, func(b *testing.B) {
			var n int
			for b.Loop() {
				n = len(s.get(p.path, p.cookie))
			}
			b.SetBytes(int64(n))
		})
	}
}

// firstLink returns the part that pattern's group matches of the first link
// on the page whose target pattern matches.
func firstLink(b *testing.B, body, pattern string) string {
	b.Helper()
	re := regexp.MustCompile(pattern)
	for _, l := range links(body) {
		if m := re.FindStringSubmatch(l); m != nil {
			return m[1]
		}
	}
	b.Fatalf("no link matches %s", pattern)
	return ""
}
