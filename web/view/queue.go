package view

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/signoff/signoff/internal/signoff"
)

// QueueURL is the queue's path for in: acting as, filters, order (the
// default left out), cursor, and next=1 when in asks for the next request.
func QueueURL(in signoff.QueueInput) string {
	q := queueValues(in)
	if in.ActingAs != "" {
		q.Set("as", in.ActingAs)
	}
	if in.Next {
		q.Set("next", "1")
	}
	if len(q) == 0 {
		return "/queue"
	}
	return "/queue?" + q.Encode()
}

// QueueContext encodes in's filters, order and cursor (not acting as, which
// the request page carries as ?as=) as the request page's queue parameter:
// what the decision form sends back so that, after the decision, the
// approver goes on to the next request of the same queue.
func QueueContext(in signoff.QueueInput) string { return queueValues(in).Encode() }

func queueValues(in signoff.QueueInput) url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"product": in.ProductID, "classification": in.Classification, "after": in.After} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if in.Sort != "" && in.Sort != signoff.QueueOldest {
		q.Set("sort", string(in.Sort))
	}
	return q
}

// QueueRequestURL links to request id from the queue in: acting as, and
// the queue's filters and order (without its cursor: the request page
// works out the request's own place in the order).
func QueueRequestURL(id string, in signoff.QueueInput) string {
	q := url.Values{}
	if in.ActingAs != "" {
		q.Set("as", in.ActingAs)
	}
	in.After, in.ActingAs = "", ""
	if c := QueueContext(in); c != "" {
		q.Set("queue", c)
	}
	if len(q) == 0 {
		return RequestURL(id)
	}
	return RequestURL(id) + "?" + q.Encode()
}

// clearFiltersURL is the queue in without its product and classification
// filters, on its first page.
func clearFiltersURL(in signoff.QueueInput) string {
	return QueueURL(signoff.QueueInput{ActingAs: in.ActingAs, Sort: in.Sort})
}

// firstPageURL is the first page of the queue in.
func firstPageURL(in signoff.QueueInput) string {
	in.After, in.Next = "", false
	return QueueURL(in)
}

// nextPageURL is the page of the queue in after cursor.
func nextPageURL(in signoff.QueueInput, cursor string) string {
	in.After, in.Next = cursor, false
	return QueueURL(in)
}

// ReasonExcerptLength is how many visible characters of a business reason
// the queue shows.
const ReasonExcerptLength = 140

// ReasonExcerpt returns the start of a business reason as one line: runs of
// blanks and line breaks become one space, and a reason longer than n
// characters as shown (single spaces included; characters that do not show,
// signoff.Invisible, not counted) is cut at the last word boundary within
// them, or at n when that would keep less than half, and ends with "…"; cut
// says whether it was. The full reason is on the request page.
func ReasonExcerpt(s string, n int) (excerpt string, cut bool) {
	var b strings.Builder
	b.Grow(min(len(s), 4*n+4))
	shown, space := 0, false
	lastSpace := -1 // b's length where the last space was written
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			space = true
			continue
		}
		// Other characters that do not show (joiners, variation selectors)
		// are kept, so that emoji sequences stay whole, but not counted.
		// Printable ASCII shows: checked first, as it is most of any reason
		// and signoff.Invisible looks a rune up in several tables.
		shows := (r > ' ' && r < 0x7f) || !signoff.Invisible(r)
		gap := space && b.Len() > 0
		if shows && shown+btoi(gap)+1 > n {
			cut = true
			break
		}
		if gap {
			lastSpace = b.Len()
			b.WriteByte(' ')
			shown++
		}
		space = false
		b.WriteRune(r)
		shown += btoi(shows)
	}
	out := b.String()
	if !cut {
		return out, false
	}
	// Cut inside a word (no blank right before the cut): back to the last
	// space, unless that keeps too little.
	if !space && lastSpace > 0 && utf8.RuneCountInString(out[:lastSpace]) >= n/2 {
		out = out[:lastSpace]
	}
	return strings.TrimRight(out, ",;:.-–—") + "…", true
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// queueOrderNote says how the queue is ordered, for the line above it.
func queueOrderNote(s signoff.QueueSort) string {
	switch s {
	case signoff.QueueNewest:
		return "newest arrivals at their step first"
	case signoff.QueueByProduct:
		return "by product, then longest waiting first"
	}
	return "longest waiting first"
}

// queueCount says how many requests the page shows.
func queueCount(n int) string {
	if n == 1 {
		return "1 request"
	}
	return itoa(n) + " requests"
}

// productOption is a product filter choice: "Customer 360 (PII)".
func productOption(p signoff.Product) string {
	if p.Classification == "" {
		return p.Name
	}
	return p.Name + " (" + p.Classification + ")"
}
