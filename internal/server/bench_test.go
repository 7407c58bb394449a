package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/signoff/signoff/internal/gen"
	"github.com/signoff/signoff/internal/server"
	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlite"
)

// benchStack is a Server on a generated database, called in-process (no
// sockets), so that the benchmarks measure Signoff rather than the network.
type benchStack struct {
	b   *testing.B
	srv *server.Server
	st  *sqlite.Store
}

// newBenchStack generates requests requests (100 products) into a file
// database and serves it.
func newBenchStack(b *testing.B, requests int) *benchStack {
	b.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	if _, err := gen.Generate(ctx, st, gen.Options{Requests: requests, Seed: 1, Now: time.Now()}); err != nil {
		b.Fatal(err)
	}
	svc := signoff.NewService(st)
	svc.CatalogTTL = 30 * time.Second // as signoff serve's default
	srv, err := server.New(server.Config{Service: svc, Ready: st.Ping, Local: st,
		SessionKey: testKey, Engine: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	return &benchStack{b: b, srv: srv, st: st}
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
	product := regexp.MustCompile(`href="/products/([^"/?]+)"`).FindStringSubmatch(s.get("/", requester))[1]
	request := regexp.MustCompile(`/requests/([0-9A-Z]{26})`).FindStringSubmatch(s.get("/requests", requester))[1]
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
