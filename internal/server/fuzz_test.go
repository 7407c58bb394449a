package server

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/signoff/signoff/internal/signoff"
)

// Fuzz targets for the server's parsers of untrusted input: the audit
// filter, signed cookies and sessions, and the post-login redirect (every
// form through the real handlers is FuzzFormDecoding, in
// fuzz_forms_test.go). scripts/fuzz.sh runs each for a bounded time;
// without -fuzz their seeds run as ordinary tests.

var fuzzKey = []byte("fuzz-key-0123456789abcdef-0123456789")

func FuzzParseAuditFilter(f *testing.F) {
	for _, raw := range []string{
		"", "type=ACCESS_GRANTED", "type=access_granted", "type=bogus", "type=%zz", "actor=+alice+&request=+01arz3ndektsv4rrffq69g5fav",
		"from=2024-01-01&to=2024-01-31", "from=2024-02-01&to=2024-01-01", "from=2024-01-01&to=2024-01-01",
		"from=2024-13-01", "from=2024-02-30", "from=24-01-01", "from=+2024-01-01", "from=2024-1-1",
		"to=9999-12-31", "from=9999-12-31&to=9999-12-31", "to=0000-12-31", "from=0000-01-01", "from=0001-01-01&to=0001-01-01",
		"from=2020-01-01&to=0000-12-31", "from=2024-01-01;to=x", "before=01ARZ3NDEKTSV4RRFFQ69G5FAV", "before='", "before=51", "before=0", "before=-3", "before=+3", "before=007",
		"before=99999999999999999999",
		"actor=ALICE'+OR+'1'%3D'1&product=x'--", "type=ACCESS_GRANTED&type=bogus", "from=2024-01-01T00:00:00Z",
	} {
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, _ := url.ParseQuery(raw) // a browser's query may be malformed; parse what there is
		form, filter, problems := parseAuditFilter(q)

		// The form is shown back as typed; the filter is its normalised form.
		if form.Request != strings.TrimSpace(q.Get("request")) || form.Actor != strings.TrimSpace(q.Get("actor")) ||
			form.Product != q.Get("product") || form.Type != q.Get("type") || form.From != q.Get("from") || form.To != q.Get("to") {
			t.Fatalf("the form %+v is not the query %v", form, q)
		}
		if filter.RequestID != strings.ToUpper(form.Request) || filter.Actor != form.Actor ||
			filter.ProductID != form.Product {
			t.Fatalf("the filter %+v does not follow the form %+v", filter, form)
		}
		// The cursor is a position in the log, in digits only (no sign),
		// or it is a problem.
		if before := q.Get("before"); before == "" {
			if filter.Before != 0 {
				t.Fatalf("no cursor, but Before is %d", filter.Before)
			}
		} else if problems["before"] == "" {
			n, err := strconv.Atoi(before)
			if err != nil || n < 1 || n != filter.Before || strings.Trim(before, "0123456789") != "" {
				t.Fatalf("cursor %q accepted as %d", before, filter.Before)
			}
		} else if filter.Before != 0 {
			t.Fatalf("a malformed cursor %q still pages (%d)", before, filter.Before)
		}
		for k, msg := range problems {
			if !slices.Contains([]string{"type", "from", "to", "before"}, k) || msg == "" {
				t.Fatalf("problem %q: %q", k, msg)
			}
		}
		if problems != nil {
			return
		}
		// A filter without problems is one the store can run as asked.
		if filter.Type != "" && !slices.Contains(signoff.EventTypes, filter.Type) {
			t.Fatalf("type %q is not an event type", filter.Type)
		}
		if !filter.From.IsZero() && !filter.To.IsZero() && !filter.From.Before(filter.To) {
			t.Fatalf("from %v is not before to %v", filter.From, filter.To)
		}
		for _, tt := range []struct {
			typed string
			got   time.Time
		}{{form.From, filter.From}, {form.To, filter.To}} {
			if tt.typed == "" {
				continue
			}
			day, err := time.Parse(time.DateOnly, tt.typed)
			if err != nil {
				t.Fatalf("date %q was accepted but does not parse: %v", tt.typed, err)
			}
			if day.Year() < 1 || day.Year() > 9999 || (!tt.got.IsZero() && (tt.got.Year() < 1 || tt.got.Year() > 9999)) {
				t.Fatalf("date %q (%v) is outside the years the engines store", tt.typed, tt.got)
			}
		}
		if form.From != "" && form.To != "" {
			from, _ := time.Parse(time.DateOnly, form.From)
			to, _ := time.Parse(time.DateOnly, form.To)
			if to.Before(from) {
				t.Fatalf("the end date %s before the start date %s was accepted", form.To, form.From)
			}
		}
		if form.To != "" && !filter.To.IsZero() {
			to, _ := time.Parse(time.DateOnly, form.To)
			if !filter.To.Equal(to.Add(24 * time.Hour)) {
				t.Fatalf("to %s became %v, not the next midnight", form.To, filter.To)
			}
		}
	})
}

func FuzzSessionCookie(f *testing.F) {
	c, err := newCookies(fuzzKey, false)
	if err != nil {
		f.Fatal(err)
	}
	other, err := newCookies([]byte("another-key-0123456789abcdef-012345"), false)
	if err != nil {
		f.Fatal(err)
	}
	signed := c.sign(sessionCookie, "ALICE|2026-03-02T00:00:00Z")
	payload, mac, _ := strings.Cut(signed, ".")
	for _, seed := range []struct{ value, forged string }{
		{"ALICE|2026-03-02T00:00:00Z", signed},
		{"ALICE", signed[:10] + "\n" + signed[10:]},                      // a line break base64 decoding skips
		{"ALICE", "\r\n" + signed},                                       // and another
		{"A", "QR." + strings.Split(c.sign(sessionCookie, "A"), ".")[1]}, // "QQ" is "A"; "QR" decodes to "A" too (padding bits)
		{"ADAM|2999-01-01T00:00:00Z", strings.Replace(payload, "QUxJQ0", "QURBTQ", 1) + "." + mac},
		{"", ""}, {"|", "."}, {"x", "x"}, {"x|y|z", "..."},
		{"ADAM|2999-01-01T00:00:00Z", other.sign(sessionCookie, "ADAM|2999-01-01T00:00:00Z")},
		{"ADAM|2999-01-01T00:00:00Z", c.sign(flashCookie, "ADAM|2999-01-01T00:00:00Z")},
		{"ALICE|not a time", "%%%.!!!"}, {"ALICE|2026-03-01T11:59:59Z", payload + "."}, {"\xff\x00", payload},
	} {
		f.Add(seed.value, seed.forged)
	}
	f.Fuzz(func(t *testing.T, value, forged string) {
		// Round trip: what sign writes, verify reads back.
		s := c.sign(sessionCookie, value)
		if got, ok := c.verify(sessionCookie, s); !ok || got != value {
			t.Fatalf("verify(sign(%q)) = %q, %v", value, got, ok)
		}
		if _, ok := other.verify(sessionCookie, s); ok {
			t.Fatalf("a cookie signed with one key verified with another")
		}
		for _, name := range []string{flashCookie, identityCookie} {
			if _, ok := c.verify(name, s); ok {
				t.Fatalf("a session cookie's value verified as %s", name)
			}
		}
		// Anything else verifies only if sign wrote exactly it: no other
		// spelling of a signed value, and no value without the key.
		if got, ok := c.verify(sessionCookie, forged); ok && c.sign(sessionCookie, got) != forged {
			t.Fatalf("verify accepted %q as %q, which sign writes as %q", forged, got, c.sign(sessionCookie, got))
		}
	})
}

// browserPath is how a browser reads a Location that starts with "/": it
// drops tabs and newlines and reads "\" as "/".
func browserPath(loc string) string {
	return strings.NewReplacer("\t", "", "\n", "", "\r", "", "\\", "/").Replace(loc)
}

func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{
		"", "/", "/queue?as=DPO", "/requests/01ARZ3NDEKTSV4RRFFQ69G5FAV", "//evil.example", "///evil.example", `/\evil.example`,
		"https://evil.example", "evil.example", "javascript:alert(1)", "/login", "/login?next=//evil.example", "/\t/evil.example",
		"/\n/evil.example", "/\r\n/evil.example", "/\t\\evil.example", "/./\\evil.example", "/a/../\\evil.example", "/a/..//evil.example",
		"/%2F/evil.example", "/%5Cevil.example", "/\x00", "/\x7f/evil", " /evil", "/\u2028/evil.example", "/\uff0f/evil.example",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(next)
		if got != "/" && got != next {
			t.Fatalf("safeNext(%q) = %q: neither the input nor /", next, got)
		}
		// What the server sends (http.Redirect cleans the path), as the
		// browser reads it, is a path on this site.
		rec := httptest.NewRecorder()
		http.Redirect(rec, httptest.NewRequest(http.MethodPost, "/login", nil), got, http.StatusSeeOther)
		for _, loc := range []string{got, rec.Header().Get("Location")} {
			p := browserPath(loc)
			if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") {
				t.Fatalf("safeNext(%q) = %q; Location %q reads as %q in a browser: another site", next, got, loc, p)
			}
			if u, err := url.Parse(p); err == nil && (u.Scheme != "" || u.Host != "") {
				t.Fatalf("safeNext(%q) = %q parses with scheme %q host %q", next, got, u.Scheme, u.Host)
			}
		}
		if strings.HasPrefix(got, "/login") && got != "/" {
			t.Fatalf("safeNext(%q) = %q: back to the sign-in page", next, got)
		}
	})
}
