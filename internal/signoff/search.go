package signoff

import (
	"bytes"
	"cmp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Catalog search. People search the catalog the way they talk about data:
// "customers" for Customer 360, "email" for the product with an EMAIL
// column, "c360" for Customer 360, "custmer" with a slip of the finger. So a
// search word is looked for in every field of a product (name, ID, tags,
// domain, classification, column names, owner, descriptions), and it
// matches a word of a field that
//   - is the same word;
//   - is its plural or singular ("customers", "customer"; stem);
//   - starts with it ("cust", as the search box is typed into);
//   - is one slip away, for words of 5 characters or more: one character
//     added, removed, changed, or two neighbours swapped (the
//     Damerau-Levenshtein distance, in its optimal string alignment form, of
//     the two stems is 1);
//   - contains it, for words of 3 characters or more ("ledger" in
//     "subledger");
//   - or is made of the initials of a name or ID and its numbers ("c360"
//     for "Customer 360").
//
// Words joined by punctuation count both ways: "e-mail" is the words "e"
// and "mail" and the word "email", and so is a search for it; "CUSTOMER_ID"
// is "customer", "id" and "customerid".
//
// A product matches when every search word matches somewhere. Results are
// ranked: each word scores its best match, the field's weight (a name
// above an ID, tags, domain, columns, owner, descriptions) times how close
// the match is (the same word above a plural, a prefix, a slip, a part),
// and products are listed by their total, then by name and ID, so the
// order is the same on every view.
//
// The catalog is read whole (and cached on Snowflake), so searching is
// plain Go over the products: no SQL, the same on both engines.

// Field weights: what a search word found in each field is worth.
const (
	weightName        = 100
	weightID          = 80 // the product's ID, and the initials of its name or ID
	weightTag         = 60
	weightDomain      = 50 // the domain and the classification
	weightColumn      = 40 // a column's name
	weightOwner       = 30
	weightDescription = 20 // the product's description
	weightColumnNote  = 15 // a column's description
)

// Match qualities, in percent of the field's weight.
const (
	qualityExact  = 100
	qualityStem   = 90
	qualityPrefix = 70
	qualityTypo   = 50
	qualityInfix  = 40
)

// Limits that keep a search cheap whatever is typed: words beyond
// maxSearchWords are ignored, and a slip is only looked for in words long
// enough that one wrong character still leaves the word recognisable.
const (
	maxSearchWords = 16
	minTypoLength  = 5
	minInfixLength = 3
)

// ProductFilter narrows the catalog.
type ProductFilter struct {
	Query          string // words searched for in every field of a product (see Search)
	Tag            string // exactly this tag (any case)
	Classification string // exactly this classification (any case)
}

// SearchMatch says where a search found a product, in a field that the
// catalog's cards do not show (so people can see why it is listed).
type SearchMatch struct {
	Field string // "column", "owner" or "ID"
	Value string // the column's name, the owner, the ID
}

// Hit is a product that passes a filter, with its score (higher is a better
// match; 0 without search words) and where it matched out of sight.
type Hit struct {
	Product Product
	Score   int
	Matches []SearchMatch
}

// Match reports whether p passes the filter.
func (f ProductFilter) Match(p Product) bool {
	_, ok := f.rank(newSearcher(f.Query), p)
	return ok
}

// Search returns the products of ps that pass the filter, best match first,
// then by name and ID. Without search words the products keep the order of
// ps.
func (f ProductFilter) Search(ps []Product) []Hit {
	s := newSearcher(f.Query)
	var hits []Hit
	for _, p := range ps {
		if h, ok := f.rank(s, p); ok {
			hits = append(hits, h)
		}
	}
	if len(s.terms) > 0 {
		slices.SortStableFunc(hits, func(a, b Hit) int {
			return cmp.Or(cmp.Compare(b.Score, a.Score), strings.Compare(a.Product.Name, b.Product.Name),
				strings.Compare(a.Product.ID, b.Product.ID))
		})
	}
	return hits
}

// rank checks p against the filter and, if it passes, scores it.
func (f ProductFilter) rank(s *searcher, p Product) (Hit, bool) {
	if f.Classification != "" && !strings.EqualFold(p.Classification, f.Classification) {
		return Hit{}, false
	}
	if f.Tag != "" && !slices.ContainsFunc(p.Tags, func(t string) bool { return strings.EqualFold(t, f.Tag) }) {
		return Hit{}, false
	}
	if len(s.terms) == 0 {
		return Hit{Product: p}, true
	}
	clear(s.best)
	s.field(p.Name, weightName, true, SearchMatch{})
	s.field(p.ID, weightID, true, SearchMatch{Field: "ID", Value: p.ID})
	for _, t := range p.Tags {
		s.field(t, weightTag, false, SearchMatch{})
	}
	s.field(p.Domain, weightDomain, false, SearchMatch{})
	s.field(p.Classification, weightDomain, false, SearchMatch{})
	for _, c := range p.Columns {
		s.field(c.Name, weightColumn, false, SearchMatch{Field: "column", Value: c.Name})
	}
	s.field(p.Owner, weightOwner, false, SearchMatch{Field: "owner", Value: p.Owner})
	s.field(p.Description, weightDescription, false, SearchMatch{})
	for _, c := range p.Columns {
		s.field(c.Description, weightColumnNote, false, SearchMatch{Field: "column", Value: c.Name})
	}

	h := Hit{Product: p}
	for _, w := range s.words {
		score, where := w.score(s.best)
		if score == 0 {
			return Hit{}, false
		}
		h.Score += score
		if where.Field != "" && !slices.Contains(h.Matches, where) {
			h.Matches = append(h.Matches, where)
		}
	}
	return h, true
}

// term is one word looked for: lower-cased, with its stem.
type term struct {
	word, stem []byte
	runes      int
}

// found is a term's best match so far: its score and where it was.
type found struct {
	score int
	where SearchMatch
}

// searchWord is one word of the query as typed. A word with punctuation
// inside ("e-mail") is its letters and digits run together ("email"),
// one term, or else all of its parts ("e", "mail"), each a term.
type searchWord struct {
	whole int   // the term of the whole word
	parts []int // the terms of its parts, when it has several
}

// score is the word's score, the better of the whole word's and its
// parts' (the weakest part's, as all must match), and where it was found.
func (w searchWord) score(best []found) (int, SearchMatch) {
	f := best[w.whole]
	if len(w.parts) > 0 {
		weakest := best[w.parts[0]]
		for _, i := range w.parts[1:] {
			if best[i].score < weakest.score {
				weakest = best[i]
			}
		}
		if weakest.score > f.score {
			f = weakest
		}
	}
	return f.score, f.where
}

// searcher is a parsed search and the scratch space it scores products
// with. Scoring a product's fields allocates nothing: a catalog of a
// hundred products is searched on every keystroke of the search box.
type searcher struct {
	words []searchWord
	terms []term
	best  []found // per term, for the product being scored

	part, joined, acronym, stemmed []byte // scratch
}

// newSearcher splits q into search words, at most maxSearchWords.
func newSearcher(q string) *searcher {
	s := &searcher{}
	index := func(w string) int {
		for i, t := range s.terms {
			if string(t.word) == w {
				return i
			}
		}
		s.terms = append(s.terms, term{word: []byte(w), stem: stem([]byte(w), nil), runes: utf8.RuneCountInString(w)})
		return len(s.terms) - 1
	}
	for _, chunk := range strings.Fields(strings.ToLower(q)) {
		if len(s.words) == maxSearchWords {
			break
		}
		parts := strings.FieldsFunc(chunk, notWordRune)
		if len(parts) == 0 { // punctuation only
			continue
		}
		w := searchWord{whole: index(strings.Join(parts, ""))}
		if len(parts) > 1 {
			for _, p := range parts {
				w.parts = append(w.parts, index(p))
			}
		}
		s.words = append(s.words, w)
	}
	s.best = make([]found, len(s.terms))
	return s
}

// field looks for every term in text, a field worth weight, and keeps each
// term's best match. Its words are each run of letters and digits,
// lower-cased, and each run of several of them joined by punctuation
// without a space, run together ("e-mail" gives "e", "mail" and "email").
// With initials, the initials of text's words and its numbers ("c360" for
// "Customer 360") are a word of it too.
func (s *searcher) field(text string, weight int, initials bool, where SearchMatch) {
	s.acronym = s.acronym[:0]
	s.joined = s.joined[:0]
	s.part = s.part[:0]
	parts, inChunk, digits := 0, 0, false
	endPart := func() {
		if len(s.part) == 0 {
			return
		}
		s.match(s.part, weight, where)
		parts++
		if inChunk++; inChunk == 1 { // a first part is joined only if another follows
			s.joined = append(s.joined[:0], s.part...)
		} else {
			s.joined = append(s.joined, s.part...)
		}
		s.part = s.part[:0]
	}
	endChunk := func() {
		endPart()
		if inChunk > 1 {
			s.match(s.joined, weight, where)
		}
		s.joined = s.joined[:0]
		inChunk = 0
	}
	for i := 0; i < len(text); {
		r, size := rune(text[i]), 1
		if r < utf8.RuneSelf { // most text: a table says what the byte is
			switch asciiClass[r] {
			case asciiSpace:
				endChunk()
				i++
				continue
			case asciiOther:
				endPart()
				i++
				continue
			case asciiUpper:
				r += 'a' - 'A'
			}
		} else {
			r, size = utf8.DecodeRuneInString(text[i:])
			switch {
			case unicode.IsSpace(r):
				endChunk()
				i += size
				continue
			case notWordRune(r):
				endPart()
				i += size
				continue
			}
			r = unicode.ToLower(r)
		}
		i += size
		if initials {
			d := unicode.IsDigit(r)
			if len(s.part) == 0 || d && digits {
				s.acronym = utf8.AppendRune(s.acronym, r)
			}
			digits = d
		}
		if r < utf8.RuneSelf {
			s.part = append(s.part, byte(r))
		} else {
			s.part = utf8.AppendRune(s.part, r)
		}
	}
	endChunk()
	if initials && parts > 1 && len(s.acronym) > 1 {
		for i, t := range s.terms {
			if bytes.Equal(t.word, s.acronym) {
				keep(s.best, i, weight*qualityExact, where)
			}
		}
	}
}

// match scores every term against one word of a field.
func (s *searcher) match(tok []byte, weight int, where SearchMatch) {
	stemmed := false
	for i, t := range s.terms {
		quality := 0
		switch {
		case bytes.Equal(tok, t.word):
			quality = qualityExact
		case bytes.HasPrefix(tok, t.word):
			// A prefix may also be the plural's stem ("customer" of
			// "customers"); that is the better match.
			quality = qualityPrefix
			if !stemmed {
				s.stemmed, stemmed = stem(tok, s.stemmed[:0]), true
			}
			if bytes.Equal(s.stemmed, t.stem) {
				quality = qualityStem
			}
		default:
			// A stem is at most 2 bytes shorter than its word (and "-ies"
			// to "-y" 2 shorter), and one slip changes a length by at most
			// a character: a word much longer or shorter than the term's
			// stem can match neither way, and is not stemmed.
			if d := len(tok) - len(t.stem); d >= -utf8.UTFMax && d <= utf8.UTFMax+2 {
				if !stemmed {
					s.stemmed, stemmed = stem(tok, s.stemmed[:0]), true
				}
				switch {
				case bytes.Equal(s.stemmed, t.stem):
					quality = qualityStem
				case t.runes >= minTypoLength && oneEditApart(t.stem, s.stemmed):
					quality = qualityTypo
				}
			}
			if quality == 0 && t.runes >= minInfixLength && bytes.Contains(tok, t.word) {
				quality = qualityInfix
			}
		}
		if quality > 0 {
			keep(s.best, i, weight*quality, where)
		}
	}
}

// keep records a match of term i if it beats the best so far.
func keep(best []found, i, score int, where SearchMatch) {
	if score > best[i].score {
		best[i] = found{score: score, where: where}
	}
}

// ASCII characters' classes, for field's fast path.
const (
	asciiOther = iota // punctuation and controls: between parts of a word
	asciiSpace        // between words
	asciiUpper
	asciiWord // lower-case letters and digits
)

var asciiClass = func() (c [utf8.RuneSelf]uint8) {
	for r := range rune(utf8.RuneSelf) {
		switch {
		case unicode.IsSpace(r):
			c[r] = asciiSpace
		case 'A' <= r && r <= 'Z':
			c[r] = asciiUpper
		case !notWordRune(r):
			c[r] = asciiWord
		}
	}
	return c
}()

// notWordRune reports whether r separates words: anything but a letter or
// a digit.
func notWordRune(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }

// stem appends to buf w without an English plural ending, so that
// "customers" and "customer", "categories" and "category", "addresses" and
// "address" meet. It is deliberately simple: both the search word and the
// field's word go through it, so an imperfect stem ("analyses" to
// "analyse") still meets its other form when both are stemmed alike.
func stem(w, buf []byte) []byte {
	n := len(w)
	switch {
	case n > 4 && bytes.HasSuffix(w, []byte("ies")):
		return append(append(buf, w[:n-3]...), 'y')
	case n > 4 && (bytes.HasSuffix(w, []byte("sses")) || bytes.HasSuffix(w, []byte("xes")) ||
		bytes.HasSuffix(w, []byte("ches")) || bytes.HasSuffix(w, []byte("shes"))):
		return append(buf, w[:n-2]...)
	case n > 3 && w[n-1] == 's' && !bytes.HasSuffix(w, []byte("ss")) && !bytes.HasSuffix(w, []byte("us")) &&
		!bytes.HasSuffix(w, []byte("is")):
		return append(buf, w[:n-1]...)
	}
	return append(buf, w...)
}

// oneEditApart reports whether a and b differ by exactly one edit: one
// character inserted, deleted or replaced, or two adjacent characters
// swapped (a Damerau-Levenshtein distance of 1, counted in characters).
func oneEditApart(a, b []byte) bool {
	if d := len(a) - len(b); d > utf8.UTFMax || d < -utf8.UTFMax {
		return false
	}
	if isASCII(a) && isASCII(b) {
		return oneEdit(a, b)
	}
	return oneEdit(bytes.Runes(a), bytes.Runes(b))
}

func oneEdit[T byte | rune](a, b []T) bool {
	if len(a) < len(b) {
		a, b = b, a
	}
	i := 0
	for i < len(b) && a[i] == b[i] {
		i++
	}
	switch len(a) - len(b) {
	case 0: // the same, replaced, or swapped with the next
		if i == len(a) {
			return false
		}
		if slices.Equal(a[i+1:], b[i+1:]) {
			return true
		}
		return i+1 < len(a) && a[i] == b[i+1] && a[i+1] == b[i] && slices.Equal(a[i+2:], b[i+2:])
	case 1: // one more character in a
		return slices.Equal(a[i+1:], b[i:])
	}
	return false
}

func isASCII(s []byte) bool {
	for _, c := range s {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
