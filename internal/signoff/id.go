package signoff

import (
	"crypto/rand"
	"encoding/binary"
	"regexp"
	"sync"
	"time"
)

// crockford is Crockford's base32 alphabet: no I, L, O or U, so IDs read
// aloud or copied from an e-mail are hard to get wrong.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// IDPattern is the shape of the IDs IDGenerator makes, as a regular
// expression without anchors (the Snowflake procedures check their
// arguments with it: RLIKE matches the whole string).
const IDPattern = `[0-9A-HJKMNP-TV-Z]{26}`

var idPattern = regexp.MustCompile(`^` + IDPattern + `$`)

// ValidID reports whether s has the shape of a request or event ID.
func ValidID(s string) bool { return idPattern.MatchString(s) }

// IDGenerator makes 26-character, time-ordered IDs (48 bits of milliseconds,
// 80 random bits, in the ULID layout). IDs from one generator increase
// strictly, even within a millisecond; IDs from different instances are
// ordered by time to the millisecond. Order is a convenience for paging, not
// something correctness depends on.
type IDGenerator struct {
	mu   sync.Mutex
	last [16]byte
}

// New returns a fresh ID for time t.
func (g *IDGenerator) New(t time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(t.UnixMilli())<<16)
	_, _ = rand.Read(b[6:]) // crypto/rand.Read never fails (Go 1.24+)

	g.mu.Lock()
	if string(b[:6]) <= string(g.last[:6]) {
		// Same (or an earlier) millisecond: keep the previous one and count up,
		// so that the sequence stays strictly increasing.
		b = g.last
		for i := 15; i >= 6; i-- {
			b[i]++
			if b[i] != 0 {
				break
			}
		}
	}
	g.last = b
	g.mu.Unlock()
	return encodeID(b)
}

// IDAt returns the ID for time t with the given 80 random bits: the layout
// IDGenerator uses. The data generator passes bits from a seeded source, so
// that generated data is reproducible and sorts by time like the app's.
func IDAt(t time.Time, random [10]byte) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(t.UnixMilli())<<16)
	copy(b[6:], random[:])
	return encodeID(b)
}

// encodeID writes 128 bits as 26 base32 characters (the first carries 3 bits).
func encodeID(b [16]byte) string {
	hi := binary.BigEndian.Uint64(b[:8])
	lo := binary.BigEndian.Uint64(b[8:])
	var out [26]byte
	for i := 25; i >= 0; i-- {
		out[i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(out[:])
}
