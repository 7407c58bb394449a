package signoff

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// QueueSort is an order of the approver queue. Every order ends with the
// request ID, so that it is total and a page can continue from a key.
type QueueSort string

// The queue's orders. A pending request's UpdatedAt is when it reached its
// current step (submission or the previous step's approval), so "oldest"
// puts first what has waited longest for the viewer's decision.
const (
	// QueueOldest: longest waiting at its current step first; the default.
	QueueOldest QueueSort = "oldest"
	// QueueNewest: most recently arrived at its current step first.
	QueueNewest QueueSort = "newest"
	// QueueByProduct: by product name, then longest waiting first.
	QueueByProduct QueueSort = "product"
)

// QueueSorts lists the queue's orders, the default first.
var QueueSorts = []QueueSort{QueueOldest, QueueNewest, QueueByProduct}

// Label is the order as the sort choice names it.
func (s QueueSort) Label() string {
	switch s {
	case QueueNewest:
		return "Newest first"
	case QueueByProduct:
		return "Product (A to Z)"
	}
	return "Oldest first"
}

// maxQueueFilter bounds a product or classification filter's length: a
// value longer than any catalog's is refused before it reaches the store.
const maxQueueFilter = 256

// QueueInput is what the approver asks the queue page for. Zero fields
// mean no filter, the default order and the first page.
type QueueInput struct {
	// ActingAs narrows the queue to one of the viewer's approver roles.
	ActingAs string
	// ProductID and Classification keep only requests for that product, or
	// for products of that classification.
	ProductID      string
	Classification string
	// Sort is one of QueueSorts; "" means QueueOldest.
	Sort QueueSort
	// After is the cursor of the last request of the previous page
	// (QueueKey.String), "" for the first page.
	After string
	// Next asks for the next request to decide rather than a page to show:
	// the one after After, or the first of the queue when nothing is after
	// it (the approver skipped some). The admins' list of requests awaiting
	// a grant is then read only if the queue turns out empty, for the page
	// that says so.
	Next bool
}

// Filtered reports whether in keeps only some products or classifications.
func (in QueueInput) Filtered() bool { return in.ProductID != "" || in.Classification != "" }

// QueueKey is a request's place in a queue order: what keyset paging
// continues from. Its String is the page cursor.
type QueueKey struct {
	Sort QueueSort
	// Waiting is when the request reached its current step (UpdatedAt).
	Waiting   time.Time
	RequestID string
	// ProductName is the product's name, for QueueByProduct only.
	ProductName string
}

// QueueKeyOf returns r's key in the order sort.
func QueueKeyOf(r Request, sort QueueSort) QueueKey {
	if sort == "" {
		sort = QueueOldest
	}
	k := QueueKey{Sort: sort, Waiting: r.UpdatedAt.UTC(), RequestID: r.ID}
	if sort == QueueByProduct {
		k.ProductName = r.ProductName
	}
	return k
}

// queueKeyJSON is a QueueKey as a cursor carries it.
type queueKeyJSON struct {
	Sort    QueueSort `json:"s"`
	Waiting string    `json:"t"`
	ID      string    `json:"id"`
	Product string    `json:"p,omitempty"`
}

// String encodes k as a page cursor: URL-safe, opaque to people, and
// checked in full when it comes back (ParseQueueKey).
func (k QueueKey) String() string {
	b, _ := json.Marshal(queueKeyJSON{Sort: k.Sort, Waiting: k.Waiting.UTC().Format(time.RFC3339Nano),
		ID: k.RequestID, Product: k.ProductName}) // strings only: cannot fail
	return base64.RawURLEncoding.EncodeToString(b)
}

// maxQueueCursor bounds a cursor's length; real ones are far shorter.
const maxQueueCursor = 2048

// errBadCursor refuses a cursor that is not one the queue made.
var errBadCursor = Errorf(ErrInvalid, "The page link is malformed; start again from the first page of the queue.")

// ParseQueueKey decodes a cursor made by QueueKey.String, refusing anything
// else: a cursor is bound into SQL, and a forged one must not reach it.
func ParseQueueKey(s string) (QueueKey, error) {
	if len(s) > maxQueueCursor {
		return QueueKey{}, errBadCursor
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return QueueKey{}, errBadCursor
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var j queueKeyJSON
	if err := dec.Decode(&j); err != nil || dec.More() {
		return QueueKey{}, errBadCursor
	}
	t, err := time.Parse(time.RFC3339Nano, j.Waiting)
	if err != nil || !slices.Contains(QueueSorts, j.Sort) || !ValidID(j.ID) ||
		(j.Sort == QueueByProduct) != (j.Product != "") || !utf8.ValidString(j.Product) ||
		len(j.Product) > maxQueueFilter {
		return QueueKey{}, errBadCursor
	}
	return QueueKey{Sort: j.Sort, Waiting: t.UTC(), RequestID: j.ID, ProductName: j.Product}, nil
}

// QueueFilter is one read of the approver queue (Reads.Queue).
type QueueFilter struct {
	// Roles are the approver roles whose steps are read; User is the
	// viewer, whose own requests and those they decided a step of are left
	// out.
	Roles []string
	User  string
	// ProductID and Classification, when set, keep only requests for that
	// product, or for products of that classification.
	ProductID      string
	Classification string
	// Sort orders the requests; "" means QueueOldest.
	Sort QueueSort
	// After, when set, keeps only requests after it in Sort's order
	// (keyset paging). Its Sort must be Sort.
	After *QueueKey
	// Limit bounds the requests returned.
	Limit int
}

// QueueRows is one read of the approver queue.
type QueueRows struct {
	// Requests are the page's requests, in the filter's order, with their
	// steps.
	Requests []Request
	// Products are the filter's choices: every product whose chain has a
	// step keyed to one of the filter's roles (ID, Name and Classification
	// only), whatever the other filters, ordered by name.
	Products []Product
}

// parseQueueInput checks in's shape and returns its order and cursor.
func parseQueueInput(in QueueInput) (QueueSort, *QueueKey, error) {
	sort := in.Sort
	if sort == "" {
		sort = QueueOldest
	}
	if !slices.Contains(QueueSorts, sort) {
		// The value is not quoted back: it is whatever the address said.
		names := make([]string, len(QueueSorts))
		for i, s := range QueueSorts {
			names[i] = fmt.Sprintf("%q", string(s))
		}
		return "", nil, Errorf(ErrInvalid, "The queue cannot be sorted that way. Sort it by %s.", strings.Join(names, ", "))
	}
	for _, v := range []string{in.ProductID, in.Classification} {
		if len(v) > maxQueueFilter {
			return "", nil, Errorf(ErrInvalid, "That filter is longer than any product or classification. Choose one from the lists.")
		}
	}
	if in.After == "" {
		return sort, nil, nil
	}
	k, err := ParseQueueKey(in.After)
	if err != nil {
		return "", nil, err
	}
	if k.Sort != sort {
		return "", nil, Errorf(ErrInvalid, "The page link belongs to another order of the queue; start again from the first page.")
	}
	return sort, &k, nil
}

// Check reports whether in is well-formed: a known order, filters of a
// sensible length and a cursor the queue made for that order. Whether its
// filters name one of the queue's products is for Service.Queue to say.
func (in QueueInput) Check() error {
	_, _, err := parseQueueInput(in)
	return err
}
