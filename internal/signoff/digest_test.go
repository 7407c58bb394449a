package signoff

import (
	"strings"
	"testing"
	"time"
)

func TestDigestLineRoundTrips(t *testing.T) {
	d := Digest{Seq: 42, Hash: strings.Repeat("0f", 32), Taken: time.Date(2026, 11, 30, 8, 1, 2, 345, time.UTC)}
	line := d.Line()
	// A log line carries a prefix (timestamp, level); the digest still reads.
	for _, s := range []string{line, "2026-11-30T08:01:02Z INFO " + line, `{"msg":"` + line + `"}`} {
		got, err := ParseDigestLine(s)
		if err != nil {
			t.Fatalf("ParseDigestLine(%q): %v", s, err)
		}
		if got.Seq != d.Seq || got.Hash != d.Hash || !got.Taken.Equal(d.Taken) {
			t.Errorf("ParseDigestLine(%q) = %+v, want %+v", s, got, d)
		}
	}
}

func TestDigestLineRefusesMalformedLines(t *testing.T) {
	h := strings.Repeat("a", 64)
	for _, s := range []string{
		"",
		"SIGNOFF-DIGEST v1 n=1",
		"SIGNOFF-DIGEST v1 n=0 h=" + h + " t=2026-11-30T00:00:00Z",
		"SIGNOFF-DIGEST v1 n=x h=" + h + " t=2026-11-30T00:00:00Z",
		"SIGNOFF-DIGEST v1 n=1 h=" + strings.ToUpper(h) + " t=2026-11-30T00:00:00Z",
		"SIGNOFF-DIGEST v1 n=1 h=" + h[:63] + " t=2026-11-30T00:00:00Z",
		"SIGNOFF-DIGEST v1 n=1 h=" + h + " t=yesterday",
		"SIGNOFF-DIGEST v1 h=" + h + " n=1 t=2026-11-30T00:00:00Z",
	} {
		if d, err := ParseDigestLine(s); err == nil {
			t.Errorf("ParseDigestLine(%q) = %+v, want an error", s, d)
		}
	}
}
