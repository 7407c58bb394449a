package signoff_test

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/signoff/signoff/internal/signoff"
)

// Fuzz targets for the rules that stand between raw input and SQL or the
// workflow. Each states the rule independently of the code under test. Run
// one with, for example:
//
//	go test -run '^$' -fuzz '^FuzzValidIdentifier$' -fuzztime 30s ./internal/signoff
//
// (scripts/fuzz.sh runs them all). Without -fuzz, the seeds run as ordinary
// tests.

// identifierByte reports whether b may appear in an identifier after its
// first character.
func identifierByte(b byte) bool {
	return b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '_' || b == '$'
}

func FuzzValidIdentifier(f *testing.F) {
	for _, s := range []string{
		"ADAM", "SIGNOFF_ADMIN", "_x", "a$b", "A1", "", "1A", "$A", "ADAM' --", "a.b", "a b", `"X"`, "ADAM;",
		"ADAM\n", "ADAM\x00", "\nADAM", "ΑDAM", "ADAMé", "A-B", "DPO' OR '1'='1", "IDENTIFIER('ADAM')",
		strings.Repeat("A", 255), strings.Repeat("A", 256), "_" + strings.Repeat("9", 254), "\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ok := signoff.ValidIdentifier(s)
		want := len(s) >= 1 && len(s) <= 255 && (s[0] == '_' || s[0] >= 'A' && s[0] <= 'Z' || s[0] >= 'a' && s[0] <= 'z')
		for i := 0; want && i < len(s); i++ {
			want = identifierByte(s[i])
		}
		if ok != want {
			t.Fatalf("ValidIdentifier(%q) = %v, want %v", s, ok, want)
		}
		if ok && strings.ContainsAny(s, "'\".; \t\r\n\x00\\-()=*/") {
			t.Fatalf("ValidIdentifier accepted %q, which holds a quote, dot, space, semicolon or operator", s)
		}
		err := signoff.ValidateIdentifier("role", s)
		if (err == nil) != ok {
			t.Fatalf("ValidateIdentifier(%q) = %v, but ValidIdentifier = %v", s, err, ok)
		}
		if err != nil && !errors.Is(err, signoff.ErrInvalid) {
			t.Fatalf("ValidateIdentifier(%q) = %v, not ErrInvalid", s, err)
		}
	})
}

func FuzzParseDecision(f *testing.F) {
	for _, s := range []string{"approve", "reject", "", "APPROVE", "Approve", "approve ", " reject", "approved", "REJECTED",
		"approve\x00", "аpprove", "yes", "1", "approve&decision=reject"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := signoff.ParseDecision(s)
		switch s {
		case "approve", "reject":
			want := map[string]signoff.Decision{"approve": signoff.DecisionApprove, "reject": signoff.DecisionReject}[s]
			if err != nil || d != want {
				t.Fatalf("ParseDecision(%q) = %q, %v; want %q", s, d, err, want)
			}
		default:
			if err == nil || d != signoff.DecisionNone {
				t.Fatalf("ParseDecision(%q) = %q, %v; want an error", s, d, err)
			}
			var p signoff.Problems
			if !errors.As(err, &p) || p["decision"] == "" || len(p) != 1 || !errors.Is(err, signoff.ErrInvalid) {
				t.Fatalf("ParseDecision(%q) error %#v is not a decision problem", s, err)
			}
		}
	})
}

func FuzzValidID(f *testing.F) {
	const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	for _, s := range []string{"01ARZ3NDEKTSV4RRFFQ69G5FAV", "00000000000000000000000000", "7ZZZZZZZZZZZZZZZZZZZZZZZZZ",
		"ZZZZZZZZZZZZZZZZZZZZZZZZZZ", "01arz3ndektsv4rrffq69g5fav", "01ARZ3NDEKTSV4RRFFQ69G5FA", "01ARZ3NDEKTSV4RRFFQ69G5FAVV",
		"01ARZ3NDEKTSV4RRFFQ69G5FAI", "01ARZ3NDEKTSV4RRFFQ69G5FAL", "01ARZ3NDEKTSV4RRFFQ69G5FAO", "01ARZ3NDEKTSV4RRFFQ69G5FAU",
		"01ARZ3NDEKTSV4RRFFQ69G5FA\n", "01ARZ3NDEKTSV4RRFFQ69G5FA'", "1' OR '1'='1", "..%2F..%2Faudit", "",
		"０１ARZ3NDEKTSV4RRFFQ69G5F", "01ARZ3NDEKTSV4RRFFQ69G5FÀ"} {
		f.Add(s, int64(1_700_000_000_000))
	}
	f.Add("", int64(0))
	f.Add("", int64(-1))
	f.Add("", int64(1<<47))
	f.Add("", int64(-1<<63))
	f.Fuzz(func(t *testing.T, s string, ms int64) {
		ok := signoff.ValidID(s)
		want := len(s) == 26
		for i := 0; want && i < len(s); i++ {
			want = strings.IndexByte(crockford, s[i]) >= 0
		}
		if ok != want {
			t.Fatalf("ValidID(%q) = %v, want %v", s, ok, want)
		}
		// Every ID a generator makes is valid, and they increase.
		var g signoff.IDGenerator
		at := time.UnixMilli(ms)
		a, b := g.New(at), g.New(at)
		if !signoff.ValidID(a) || !signoff.ValidID(b) {
			t.Fatalf("IDGenerator made %q, %q for %d ms: not valid", a, b, ms)
		}
		if a >= b {
			t.Fatalf("IDGenerator made %q then %q: not increasing", a, b)
		}
	})
}

// textSeeds are free-text edge cases: around the limits, in runes that take
// several bytes, white space that is trimmed or not, and invalid UTF-8.
func textSeeds() []string {
	return []string{
		"", " ", "\t\n ", "x", strings.Repeat("a", 19), strings.Repeat("a", 20), " " + strings.Repeat("a", 19) + " ",
		strings.Repeat("é", 20), strings.Repeat("é", 19), strings.Repeat("😀", 20), strings.Repeat("\xff", 20),
		strings.Repeat("\u00a0", 25), strings.Repeat("\u200b", 25), strings.Repeat("a", 1000), strings.Repeat("a", 1001),
		strings.Repeat("😀", 1000), strings.Repeat("😀", 1001), strings.Repeat("a", 2000), strings.Repeat("a", 2001),
		strings.Repeat("😀", 2000), strings.Repeat("😀", 2001), " " + strings.Repeat("b", 2000) + "\n",
		`<script>alert(1)</script> and "quotes" and 'single' and \ backslash`, "a\x00b\x00c\x00d\x00e\x00f\x00g\x00h\x00i\x00j\x00",
		"a" + strings.Repeat(" ", 18) + "b", "a" + strings.Repeat("\u3164", 18) + "b", strings.Repeat("\u2800", 25),
		"Refund approved for \u202eredro 1 ylno\u202c, nothing else.", strings.Repeat("a", 1000) + strings.Repeat("\n", 20) + strings.Repeat("a", 990),
	}
}

// runes counts what the rules count towards the minimum: the characters
// that show (invisibleOracle, written independently of the rules).
func runes(s string) int {
	n := 0
	for _, r := range s {
		if !invisibleOracle(r) {
			n++
		}
	}
	return n
}

// stored counts what the rules count towards the maximum: every character
// of the trimmed text, as it is stored.
func stored(s string) int { return utf8.RuneCountInString(strings.TrimSpace(s)) }

// hasBidi reports whether s holds a bidirectional control, which the rules
// refuse.
func hasBidi(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool {
		return r == 0x061C || r == 0x200E || r == 0x200F || (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069)
	})
}

// onlyProblem checks that err is Problems with exactly the field key.
func onlyProblem(t *testing.T, err error, field string) {
	t.Helper()
	var p signoff.Problems
	if !errors.As(err, &p) || len(p) != 1 || p[field] == "" || !errors.Is(err, signoff.ErrInvalid) {
		t.Fatalf("error %#v is not a single %q problem", err, field)
	}
}

func FuzzValidateReason(f *testing.F) {
	for _, s := range textSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := signoff.ValidateReason(s)
		n := runes(s)
		want := utf8.ValidString(s) && !hasBidi(s) && n >= signoff.MinReasonLength && stored(s) <= signoff.MaxReasonLength
		if want != (err == nil) {
			t.Fatalf("ValidateReason(%d runes) = %v", n, err)
		}
		if err != nil {
			onlyProblem(t, err, "reason")
		}
	})
}

func FuzzValidateComment(f *testing.F) {
	for _, s := range textSeeds() {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, reject bool) {
		d := signoff.DecisionApprove
		if reject {
			d = signoff.DecisionReject
		}
		err := signoff.ValidateComment(d, s)
		n := runes(s)
		want := utf8.ValidString(s) && !hasBidi(s) && stored(s) <= signoff.MaxCommentLength && !(reject && n == 0)
		if want != (err == nil) {
			t.Fatalf("ValidateComment(%s, %d runes) = %v", d, n, err)
		}
		if err != nil {
			onlyProblem(t, err, "comment")
		}
	})
}
