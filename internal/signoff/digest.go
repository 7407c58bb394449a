package signoff

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DigestStatus is what the audit page says about the newest digest.
type DigestStatus struct {
	Anchor  string    // where digests are kept; "" when none are
	Last    Digest    // the newest digest (zero when none was taken)
	Taken   bool      // a digest was taken
	Matches bool      // the log held the newest digest's event, with its hash
	Checked time.Time // when the log was last compared with it; zero before the first time
}

// digestState is the Service's memory of the last TakeDigest, so that the
// audit page can show it without reading the anchor on every view.
type digestState struct {
	mu     sync.Mutex
	status DigestStatus
	acted  time.Time // when the Service last called the engine to act
}

// noteAction records that an action is about to write (every action asks
// for IDs first), so that the digester knows the log may have moved.
func (s *Service) noteAction(at time.Time) {
	s.digest.mu.Lock()
	defer s.digest.mu.Unlock()
	s.digest.acted = at
}

// ActedSince reports whether the Service has acted (written, or tried to)
// since t: until then a new digest would record nothing new, except what
// someone wrote with SQL past the app.
func (s *Service) ActedSince(t time.Time) bool {
	s.digest.mu.Lock()
	defer s.digest.mu.Unlock()
	return !s.digest.acted.Before(t)
}

func (s *Service) digestStatus() DigestStatus {
	s.digest.mu.Lock()
	defer s.digest.mu.Unlock()
	st := s.digest.status
	if s.Anchor != nil {
		st.Anchor = s.Anchor.Where()
	}
	return st
}

func (s *Service) setDigestStatus(st DigestStatus) {
	s.digest.mu.Lock()
	defer s.digest.mu.Unlock()
	s.digest.status = st
}

// digests returns the digests the anchor keeps, none without an anchor.
func (s *Service) digests(ctx context.Context) ([]Digest, error) {
	if s.Anchor == nil {
		return nil, nil
	}
	ds, err := s.Anchor.Digests(ctx)
	if err != nil {
		return nil, fmt.Errorf("digests from %s: %w", s.Anchor.Where(), err)
	}
	return ds, nil
}

// ErrLedgerRewritten means the audit log no longer holds what the newest
// digest recorded: events were removed or history rewritten.
var ErrLedgerRewritten = errors.New("the audit log disagrees with its newest digest")

// TakeDigest compares the log with the newest digest and records the log's
// head with the anchor, unless the newest digest already records it. It
// refuses, with ErrLedgerRewritten, when the log no longer holds the newest
// digest's event: the digests keep that evidence, and a new one must not
// paper over it. It returns the digest taken, or false if none was. Run it
// periodically (signoff serve does) and when the service stops.
func (s *Service) TakeDigest(ctx context.Context) (Digest, bool, error) {
	if s.Anchor == nil {
		return Digest{}, false, nil
	}
	last, taken, err := s.Anchor.Last(ctx)
	if err != nil {
		return Digest{}, false, fmt.Errorf("newest digest in %s: %w", s.Anchor.Where(), err)
	}
	st := DigestStatus{Checked: s.now(), Matches: true, Last: last, Taken: taken}
	if taken {
		hash, ok, err := s.reads.LedgerHash(ctx, st.Last.Seq)
		if err != nil {
			return Digest{}, false, fmt.Errorf("take digest: %w", err)
		}
		if !ok || hash != st.Last.Hash {
			st.Matches = false
			s.setDigestStatus(st)
			return Digest{}, false, fmt.Errorf("%w: event %d (digest of %s)", ErrLedgerRewritten, st.Last.Seq,
				st.Last.Taken.UTC().Format(time.RFC3339))
		}
	}
	head, err := s.reads.LedgerHead(ctx)
	if err != nil {
		return Digest{}, false, fmt.Errorf("take digest: %w", err)
	}
	if head.Seq == 0 || (st.Taken && head.Seq == st.Last.Seq) {
		s.setDigestStatus(st)
		return Digest{}, false, nil
	}
	d := Digest{Seq: head.Seq, Hash: head.Hash, Taken: s.now()}
	if err := s.Anchor.Keep(ctx, d); err != nil {
		s.setDigestStatus(st)
		return Digest{}, false, fmt.Errorf("keep digest in %s: %w", s.Anchor.Where(), err)
	}
	st.Last, st.Taken = d, true
	s.setDigestStatus(st)
	return d, true, nil
}

// digestLinePrefix starts every digest line, so that one can be found among
// other lines (a log, a query history).
const digestLinePrefix = "SIGNOFF-DIGEST v1 "

// Line is the digest as one line of text, the form in which every anchor
// keeps it: "SIGNOFF-DIGEST v1 n=<seq> h=<hash> t=<time, RFC 3339 UTC>".
func (d Digest) Line() string {
	return digestLinePrefix + "n=" + strconv.Itoa(d.Seq) + " h=" + d.Hash + " t=" + d.Taken.UTC().Format(time.RFC3339Nano)
}

// ParseDigestLine reads a digest from s, which holds one Line somewhere
// (a log line may carry a prefix). It refuses anything but a well-formed
// line: a position of 1 or more, a SHA-256 hash in lowercase hex and a time.
func ParseDigestLine(s string) (Digest, error) {
	i := strings.Index(s, digestLinePrefix)
	if i < 0 {
		return Digest{}, errors.New("not a digest line")
	}
	var d Digest
	fields := strings.Fields(s[i+len(digestLinePrefix):])
	if len(fields) < 3 {
		return Digest{}, fmt.Errorf("digest line %q: want n=, h= and t=", s)
	}
	n, okN := strings.CutPrefix(fields[0], "n=")
	h, okH := strings.CutPrefix(fields[1], "h=")
	t, okT := strings.CutPrefix(fields[2], "t=")
	if !okN || !okH || !okT {
		return Digest{}, fmt.Errorf("digest line %q: want n=, h= and t=", s)
	}
	seq, err := strconv.Atoi(n)
	if err != nil || seq < 1 {
		return Digest{}, fmt.Errorf("digest line %q: bad position", s)
	}
	if !isHash(h) {
		return Digest{}, fmt.Errorf("digest line %q: bad hash", s)
	}
	// A log may wrap the line in quotes or JSON: the time ends at the first
	// character RFC 3339 does not use.
	if end := strings.IndexFunc(t, func(r rune) bool { return !strings.ContainsRune("0123456789TZ:.+-", r) }); end >= 0 {
		t = t[:end]
	}
	taken, err := time.Parse(time.RFC3339Nano, t)
	if err != nil {
		return Digest{}, fmt.Errorf("digest line %q: bad time", s)
	}
	d.Seq, d.Hash, d.Taken = seq, h, taken.UTC()
	return d, nil
}

// isHash reports whether s is a SHA-256 hash in lowercase hex.
func isHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
