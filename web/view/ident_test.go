package view

import (
	"context"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

func TestIdentParts(t *testing.T) {
	for name, want := range map[string][]string{
		"CUSTOMER_KEY":      {"CUSTOMER_", "KEY"},
		"SALES_ORDERS_READ": {"SALES_", "ORDERS_", "READ"},
		"ANALYST":           {"ANALYST"},
		"_PRIVATE":          {"_", "PRIVATE"},
		"TRAILING_":         {"TRAILING_"},
		"A__B":              {"A_", "_", "B"},
		"JANE.DOE@ACME.COM": {"JANE.DOE@ACME.COM"},
		"":                  {""},
	} {
		got := IdentParts(name)
		if !slices.Equal(got, want) {
			t.Errorf("IdentParts(%q) = %q, want %q", name, got, want)
		}
		if strings.Join(got, "") != name {
			t.Errorf("IdentParts(%q) does not join back to it: %q", name, got)
		}
	}
}

// TestIdent: an identifier breaks only after its underscores (a <wbr> after
// each), reads exactly as it is (no space added), and is escaped like any
// text.
func TestIdent(t *testing.T) {
	for name, want := range map[string]string{
		"CUSTOMER_KEY":      `<span class="ident">CUSTOMER_<wbr>KEY</span>`,
		"SALES_ORDERS_READ": `<span class="ident">SALES_<wbr>ORDERS_<wbr>READ</span>`,
		"ANALYST":           `<span class="ident">ANALYST</span>`,
		`O"BRIEN_<script>`:  `<span class="ident">O&#34;BRIEN_<wbr>&lt;script&gt;</span>`,
	} {
		var b strings.Builder
		if err := Ident(name).Render(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		if b.String() != want {
			t.Errorf("Ident(%q) = %s, want %s", name, b.String(), want)
		}
		if got := textOf(t, b.String()); got != name {
			t.Errorf("Ident(%q) reads %q", name, got)
		}
	}
}

func TestIdentList(t *testing.T) {
	for _, tc := range []struct {
		names []string
		text  string
	}{
		{nil, "none"},
		{[]string{"ANALYST"}, "ANALYST"},
		{[]string{"ANALYST", "CUSTOMER_360_READ", "PUBLIC"}, "ANALYST, CUSTOMER_360_READ, PUBLIC"},
	} {
		var b strings.Builder
		if err := IdentList(tc.names).Render(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSpace(textOf(t, b.String())); got != tc.text {
			t.Errorf("IdentList(%q) reads %q, want %q", tc.names, got, tc.text)
		}
		if n := strings.Count(b.String(), `<span class="ident">`); n != len(tc.names) {
			t.Errorf("IdentList(%q): %d identifiers, want %d", tc.names, n, len(tc.names))
		}
	}
}

// textOf returns the text an HTML fragment shows, as a browser reads it.
func textOf(t *testing.T, fragment string) string {
	t.Helper()
	nodes, err := html.ParseFragment(strings.NewReader(fragment), &html.Node{Type: html.ElementNode, Data: "p", DataAtom: atom.P})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	for _, n := range nodes {
		walk(n)
	}
	return b.String()
}
