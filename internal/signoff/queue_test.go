package signoff

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestQueueKeyRoundTrip(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 30, 15, 123456789, time.UTC)
	r := Request{ID: "01ARZ3NDEKTSV4RRFFQ69G5FAV", ProductName: "Customer 360 \"EU\" <b>", UpdatedAt: at}
	for _, sort := range QueueSorts {
		k := QueueKeyOf(r, sort)
		got, err := ParseQueueKey(k.String())
		if err != nil {
			t.Fatalf("%s: %v", sort, err)
		}
		if got != k {
			t.Errorf("%s: round trip %+v, want %+v", sort, got, k)
		}
		if strings.ContainsAny(k.String(), "&=?#/+ ") {
			t.Errorf("%s: cursor %q is not URL-safe", sort, k.String())
		}
	}
	if k := QueueKeyOf(r, ""); k.Sort != QueueOldest || k.ProductName != "" {
		t.Errorf("the default order: %+v", k)
	}
}

func TestParseQueueKeyRefuses(t *testing.T) {
	good := QueueKey{Sort: QueueOldest, Waiting: time.Unix(0, 0).UTC(), RequestID: "01ARZ3NDEKTSV4RRFFQ69G5FAV"}
	for _, s := range []string{
		"", "not base64!", "e30", // {}
		"eyJzIjoib2xkZXN0In0", // {"s":"oldest"}: no time, no ID
		good.String() + "AA",  // trailing bytes
		QueueKey{Sort: "cheapest", RequestID: good.RequestID}.String(),
		QueueKey{Sort: QueueOldest, RequestID: "x"}.String(),
		QueueKey{Sort: QueueByProduct, RequestID: good.RequestID}.String(),                // by product, without a name
		QueueKey{Sort: QueueOldest, RequestID: good.RequestID, ProductName: "P"}.String(), // a name it has no use for
		QueueKey{Sort: QueueByProduct, RequestID: good.RequestID, ProductName: strings.Repeat("p", 300)}.String(),
		strings.Repeat("A", 3000),
	} {
		if _, err := ParseQueueKey(s); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseQueueKey(%.60q) = %v, want ErrInvalid", s, err)
		}
	}
}

// FuzzParseQueueKey: any text is either refused as invalid input or is a
// cursor that encodes back to one that parses to the same key.
func FuzzParseQueueKey(f *testing.F) {
	f.Add(QueueKey{Sort: QueueOldest, Waiting: time.Unix(1, 2).UTC(), RequestID: "01ARZ3NDEKTSV4RRFFQ69G5FAV"}.String())
	f.Add(QueueKey{Sort: QueueByProduct, Waiting: time.Unix(1, 2).UTC(), RequestID: "01ARZ3NDEKTSV4RRFFQ69G5FAV",
		ProductName: "Sales orders"}.String())
	f.Add("e30")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseQueueKey(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("ParseQueueKey(%q): %v is not ErrInvalid", s, err)
			}
			return
		}
		if !ValidID(k.RequestID) {
			t.Fatalf("ParseQueueKey(%q) accepted request ID %q", s, k.RequestID)
		}
		again, err := ParseQueueKey(k.String())
		if err != nil || !again.Waiting.Equal(k.Waiting) || again.RequestID != k.RequestID ||
			again.ProductName != k.ProductName || again.Sort != k.Sort {
			t.Fatalf("%+v does not round-trip: %+v, %v", k, again, err)
		}
	})
}

func TestQueueInputCheck(t *testing.T) {
	cursor := QueueKey{Sort: QueueNewest, Waiting: time.Unix(0, 0).UTC(), RequestID: "01ARZ3NDEKTSV4RRFFQ69G5FAV"}.String()
	for _, tc := range []struct {
		in QueueInput
		ok bool
	}{
		{QueueInput{}, true},
		{QueueInput{Sort: QueueByProduct, ProductID: "p", Classification: "PII"}, true},
		{QueueInput{Sort: QueueNewest, After: cursor}, true},
		{QueueInput{After: cursor}, false}, // a newest-first cursor for the default order
		{QueueInput{Sort: "Oldest"}, false},
		{QueueInput{ProductID: strings.Repeat("p", 257)}, false},
		{QueueInput{Classification: strings.Repeat("c", 257)}, false},
	} {
		if err := tc.in.Check(); (err == nil) != tc.ok {
			t.Errorf("%+v: Check() = %v", tc.in, err)
		}
	}
}
