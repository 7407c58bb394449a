package signoff_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/demo"
	"github.com/signoff/signoff/internal/signoff"
)

// names lists the hits' product names, in order.
func names(hits []signoff.Hit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.Product.Name
	}
	return out
}

// TestSearchDemoCatalog searches the demo catalog as people do: plurals,
// column names, initials, words from the description, slips of the finger,
// partial words; and ranks what it finds.
func TestSearchDemoCatalog(t *testing.T) {
	tests := []struct {
		query string
		want  []string // names, in ranked order
	}{
		// The four searches of issue 14, which found nothing before.
		{"customers", []string{"Customer 360", "Sales orders"}},
		{"email", []string{"Customer 360"}},
		{"c360", []string{"Customer 360"}},
		{"churn", []string{"Customer 360"}},

		// A name above a column, a column above a description.
		{"customer", []string{"Customer 360", "Sales orders"}},
		{"customer 360", []string{"Customer 360"}},
		{"Customer-360", []string{"Customer 360"}},
		{"e-mail", []string{"Customer 360"}},
		{"EMAIL", []string{"Customer 360"}},
		// The column's whole name first; else its parts, anywhere.
		{"customer_id", []string{"Customer 360", "Sales orders"}},
		{"orders", []string{"Sales orders", "Customer 360"}},
		{"order", []string{"Sales orders", "Customer 360"}},
		{"contract", []string{"Supplier contracts"}},
		{"suppliers", []string{"Supplier contracts"}},

		// Tags and domains.
		{"gdpr", []string{"Customer 360", "HR headcount", "Payroll detail"}},
		{"people", []string{"HR headcount", "Payroll detail"}},
		{"pii", []string{"Customer 360", "HR headcount", "Payroll detail"}},
		{"marketing", []string{"Marketing campaigns", "Web traffic, daily"}},

		// Slips of the finger in words of five characters or more.
		{"custmer", []string{"Customer 360", "Sales orders"}},
		{"cusotmers", []string{"Customer 360", "Sales orders"}},
		{"ledgr", []string{"General ledger journal"}},
		{"journl", []string{"General ledger journal"}},
		{"headcuont", []string{"HR headcount"}},
		{"emial", []string{"Customer 360"}},

		// Prefixes, as the box is typed into, and parts of words.
		{"cust", []string{"Customer 360", "Sales orders"}},
		{"head", []string{"HR headcount"}},
		{"count", []string{"HR headcount", "Customer 360", "General ledger journal"}}, // headcount, COUNTRY, ACCOUNT

		// Initials of a name.
		{"glj", []string{"General ledger journal"}},

		// Owners, found out of sight of the card.
		{"weber", []string{"General ledger journal", "Supplier contracts"}},
		{"hannah", []string{"HR headcount", "Payroll detail"}},

		// Every word must match.
		{"customer gdpr", []string{"Customer 360"}},
		{"journal marketing", nil},
		{"zzz-no-such-product", nil},
		// Short words get no slips and no parts: "hrr" is not "hr", "dc" is
		// not inside "headcount"; but a short word may start one ("ad").
		{"dc", nil},
		{"ad", []string{"Customer 360"}},
		{"hrr", nil},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			got := signoff.ProductFilter{Query: tt.query}.Search(demo.Products)
			assert.Equal(t, tt.want, nilIfNone(names(got)))
			for _, p := range demo.Products {
				assert.Equal(t, slices.Contains(tt.want, p.Name), signoff.ProductFilter{Query: tt.query}.Match(p),
					"Match agrees with Search for %s", p.Name)
			}
		})
	}
}

func nilIfNone(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// TestSearchSaysWhereItFound: a match in a field that the catalog's cards
// do not show is reported, so the card can say why it is listed.
func TestSearchSaysWhereItFound(t *testing.T) {
	tests := []struct {
		query string
		want  map[string][]signoff.SearchMatch
	}{
		{"email", map[string][]signoff.SearchMatch{"customer-360": {{Field: "column", Value: "EMAIL"}}}},
		{"weber", map[string][]signoff.SearchMatch{
			"gl-journal":         {{Field: "owner", Value: "Frank Weber (Group finance)"}},
			"supplier-contracts": {{Field: "owner", Value: "Frank Weber (Procurement finance)"}},
		}},
		{"refreshed", map[string][]signoff.SearchMatch{}}, // in the description, which the card shows
		{"quantity sku", map[string][]signoff.SearchMatch{"sales-orders": {{Field: "column", Value: "QUANTITY"},
			{Field: "column", Value: "SKU"}}}},
		{"gl-journal", map[string][]signoff.SearchMatch{"gl-journal": {{Field: "ID", Value: "gl-journal"}}}},
		{"pseudonymous", map[string][]signoff.SearchMatch{"sales-orders": {{Field: "column", Value: "CUSTOMER_KEY"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			hits := signoff.ProductFilter{Query: tt.query}.Search(demo.Products)
			require.NotEmpty(t, hits)
			got := map[string][]signoff.SearchMatch{}
			for _, h := range hits {
				if len(h.Matches) > 0 {
					got[h.Product.ID] = h.Matches
				}
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

// TestSearchFilters: the tag and the classification are exact (any case),
// and narrow the search words' results.
func TestSearchFilters(t *testing.T) {
	search := func(f signoff.ProductFilter) []string { return nilIfNone(names(f.Search(demo.Products))) }
	assert.Equal(t, []string{"Customer 360", "HR headcount", "Payroll detail"}, search(signoff.ProductFilter{Tag: "GDPR"}),
		"without search words, the catalog's order")
	assert.Equal(t, []string{"General ledger journal"}, search(signoff.ProductFilter{Classification: "finance"}))
	assert.Nil(t, search(signoff.ProductFilter{Tag: "gdp"}), "a tag is not a prefix")
	assert.Equal(t, []string{"Customer 360"}, search(signoff.ProductFilter{Query: "customer", Tag: "gdpr"}))
	assert.Equal(t, []string{"Sales orders"}, search(signoff.ProductFilter{Query: "customer", Classification: "INTERNAL"}))
	assert.Nil(t, search(signoff.ProductFilter{Query: "ledger", Tag: "gdpr"}))
	assert.Len(t, search(signoff.ProductFilter{}), len(demo.Products))
	assert.Len(t, search(signoff.ProductFilter{Query: " \t ,;- "}), len(demo.Products), "punctuation is no search word")
}

// TestSearchOrderIsDeterministic: products that score alike are listed by
// name, then ID, whatever order they come in.
func TestSearchOrderIsDeterministic(t *testing.T) {
	ps := []signoff.Product{
		{ID: "b-2", Name: "Beta", Tags: []string{"shared"}},
		{ID: "a-1", Name: "Alpha", Tags: []string{"shared"}},
		{ID: "b-1", Name: "Beta", Tags: []string{"shared"}},
		{ID: "shared", Name: "Gamma"},
		{ID: "c-1", Name: "Shared things"},
	}
	want := []string{"c-1", "shared", "a-1", "b-1", "b-2"} // name, ID, then tags in name and ID order
	for range 20 {
		rand := slices.Clone(ps)
		shuffle(rand)
		hits := signoff.ProductFilter{Query: "shared"}.Search(rand)
		var ids []string
		for _, h := range hits {
			ids = append(ids, h.Product.ID)
		}
		require.Equal(t, want, ids)
	}
}

// shuffle permutes ps with a fixed pattern per call (no randomness in
// tests' outcomes): rotating and reversing covers several orders.
var shuffles int

func shuffle(ps []signoff.Product) {
	shuffles++
	for i := 0; i < shuffles%len(ps); i++ {
		ps = append(ps[1:], ps[0])[:len(ps)]
	}
	if shuffles%2 == 0 {
		slices.Reverse(ps)
	}
}

// TestSearchRanksCloserMatchesFirst: the same word above its plural, a
// plural above a prefix, a prefix above a slip, and a slip above a part.
func TestSearchRanksCloserMatchesFirst(t *testing.T) {
	ps := []signoff.Product{
		{ID: "p1", Name: "Subledger"},  // part
		{ID: "p2", Name: "Ledgers"},    // plural
		{ID: "p3", Name: "Ledgerbook"}, // prefix
		{ID: "p4", Name: "Ledger"},     // the same word
		{ID: "p5", Name: "Legder"},     // slip
	}
	var got []string
	for _, h := range (signoff.ProductFilter{Query: "ledger"}).Search(ps) {
		got = append(got, h.Product.Name)
	}
	assert.Equal(t, []string{"Ledger", "Ledgers", "Ledgerbook", "Legder", "Subledger"}, got)
}

// TestSearchBoundsItsWork: a query of many words looks at the first 16 only,
// and a very long word costs no more than a short one's comparisons.
func TestSearchBoundsItsWork(t *testing.T) {
	q := "customer " + strings.Repeat("x ", 15) + "nothing-matches-this"
	assert.Empty(t, signoff.ProductFilter{Query: q}.Search(demo.Products), "the 16 first words: x does not match")
	q = "customer" + strings.Repeat(" 360", 15) + " nothing-matches-this"
	assert.Equal(t, []string{"Customer 360"}, names(signoff.ProductFilter{Query: q}.Search(demo.Products)),
		"words beyond the 16th are ignored")
	long := strings.Repeat("customer", 1000)
	assert.Empty(t, signoff.ProductFilter{Query: long}.Search(demo.Products))
}

// TestSearchNonASCII: words in other scripts are words too, matched by
// character, not byte.
func TestSearchNonASCII(t *testing.T) {
	ps := []signoff.Product{
		{ID: "kunden", Name: "Kündigungen", Description: "Straße, Größe"},
		{ID: "jp", Name: "顧客 データ"},
	}
	for q, want := range map[string]string{
		"kündigungen": "kunden", "KÜNDIGUNGEN": "kunden", "kundigungen": "kunden", "kündigugen": "kunden",
		"strasse": "", "straße": "kunden", "größe": "kunden", "顧客": "jp", "データ": "jp",
	} {
		t.Run(q, func(t *testing.T) {
			hits := signoff.ProductFilter{Query: q}.Search(ps)
			if want == "" {
				assert.Empty(t, hits)
				return
			}
			require.Len(t, hits, 1)
			assert.Equal(t, want, hits[0].Product.ID)
		})
	}
}

// catalogOf returns n generated products like the demo's, for benchmarks.
func catalogOf(n int) []signoff.Product {
	ps := make([]signoff.Product, 0, n)
	for i := range n {
		p := demo.Products[i%len(demo.Products)]
		p.ID = fmt.Sprintf("%s-%03d", p.ID, i)
		p.Name = fmt.Sprintf("%s %03d", p.Name, i)
		ps = append(ps, p)
	}
	return ps
}

// BenchmarkSearch searches the demo catalog and a catalog of 100 products
// with the kinds of words people type.
func BenchmarkSearch(b *testing.B) {
	for _, c := range []struct {
		name string
		ps   []signoff.Product
	}{{"demo", demo.Products}, {"100", catalogOf(100)}} {
		for _, q := range []string{"customers", "email", "c360", "custmer 360", "cust", "zzz-no-such-product"} {
			b.Run(c.name+"/"+q, func(b *testing.B) {
				f := signoff.ProductFilter{Query: q}
				b.ReportAllocs()
				for b.Loop() {
					f.Search(c.ps)
				}
			})
		}
	}
}

// FuzzSearch: whatever the search and the product hold, searching neither
// panics nor disagrees with itself: Match and Search agree, scores come
// best first, and a product is found by its own name.
func FuzzSearch(f *testing.F) {
	f.Add("customers", "Customer 360", "customer-360", "EMAIL", "PII")
	f.Add("c360 e-mail", "Customer 360", "customer-360", "E_MAIL", "gdpr")
	f.Add("ünïcödé 顧客", "Kündigungen 顧客", "k-1", "GRÖSSE", "x")
	f.Add("\xff\xfe", "\xffname", "id", "COL", "")
	f.Add("  ,, -- ", "", "", "", "")
	f.Fuzz(func(t *testing.T, q, name, id, column, tag string) {
		p := signoff.Product{ID: id, Name: name, Description: name + " " + column, Tags: []string{tag},
			Columns: []signoff.Column{{Name: column, Description: tag}}}
		other := signoff.Product{ID: "other", Name: "Other"}
		filter := signoff.ProductFilter{Query: q}
		hits := filter.Search([]signoff.Product{other, p})
		found := slices.ContainsFunc(hits, func(h signoff.Hit) bool { return h.Product.ID == id && h.Product.Name == name })
		if found != filter.Match(p) {
			t.Fatalf("Search found %v, Match says %v", found, filter.Match(p))
		}
		for i := 1; i < len(hits); i++ {
			if hits[i].Score > hits[i-1].Score {
				t.Fatalf("not best first: %d after %d", hits[i].Score, hits[i-1].Score)
			}
		}
		if !(signoff.ProductFilter{Query: name}).Match(p) {
			t.Fatalf("%q is not found by its own name", name)
		}
	})
}
