package signoff

import (
	"testing"
	"unicode/utf8"
)

// osaDistance is the optimal string alignment distance of a and b, in
// characters, by the textbook dynamic programme: the reference that
// oneEditApart's linear check is held to.
func osaDistance(a, b string) int {
	x, y := []rune(a), []rune(b)
	d := make([][]int, len(x)+1)
	for i := range d {
		d[i] = make([]int, len(y)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(x); i++ {
		for j := 1; j <= len(y); j++ {
			cost := 1
			if x[i-1] == y[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && x[i-1] == y[j-2] && x[i-2] == y[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(x)][len(y)]
}

func TestOneEditApart(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want bool
	}{
		{"customer", "customer", false},
		{"customer", "custmer", true},   // deleted
		{"custmer", "customer", true},   // inserted
		{"customer", "customar", true},  // replaced
		{"customer", "cusotmer", true},  // swapped
		{"customer", "cusotmre", false}, // two swaps
		{"customer", "ustomer", true},   // the first
		{"customer", "custome", true},   // the last
		{"customer", "customre", true},  // the last two swapped
		{"customer", "cstmr", false},
		{"größe", "grösse", false}, // two edits: ß for s, one more s
		{"größe", "gröse", true},
		{"größe", "grße", true},
		{"ab", "ba", true},
		{"", "a", true},
		{"", "", false},
	} {
		if got := oneEditApart([]byte(tt.a), []byte(tt.b)); got != tt.want {
			t.Errorf("oneEditApart(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
		if ref := osaDistance(tt.a, tt.b) == 1; ref != tt.want {
			t.Errorf("the reference disagrees on %q, %q: %v", tt.a, tt.b, ref)
		}
	}
}

// FuzzOneEditApart holds oneEditApart to the reference distance on any two
// words.
func FuzzOneEditApart(f *testing.F) {
	f.Add("customer", "cusotmer")
	f.Add("größe", "grösse")
	f.Add("ab", "ba")
	f.Fuzz(func(t *testing.T, a, b string) {
		if !utf8.ValidString(a) || !utf8.ValidString(b) || len(a) > 64 || len(b) > 64 {
			return // field words are valid text; the reference is quadratic
		}
		if got, want := oneEditApart([]byte(a), []byte(b)), osaDistance(a, b) == 1; got != want {
			t.Fatalf("oneEditApart(%q, %q) = %v, the distance is %d", a, b, got, osaDistance(a, b))
		}
	})
}

func TestStem(t *testing.T) {
	for w, want := range map[string]string{
		"customers": "customer", "customer": "customer", "categories": "category", "addresses": "address",
		"address": "address", "boxes": "box", "matches": "match", "wishes": "wish", "status": "status",
		"analysis": "analysis", "sales": "sale", "gas": "gas", "ies": "ies", "s": "s", "orders": "order",
	} {
		if got := string(stem([]byte(w), nil)); got != want {
			t.Errorf("stem(%q) = %q, want %q", w, got, want)
		}
	}
}
