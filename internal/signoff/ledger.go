package signoff

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The audit log is a ledger: every event, of every request, is one link of a
// single hash chain. An event's Seq is its position in the whole log (1, 2,
// …, with no gaps), PrevHash is the Hash of the event before it ("" for the
// first), and Hash is
//
//	SHA-256( PrevHash ‖ canonical(event) ), as lowercase hex,
//
// where canonical(event) writes each field as "<length in characters>:<value>"
// in a fixed order. The length prefixes make the encoding unambiguous (a
// comment cannot pose as the next field), and Snowflake builds the same
// bytes (AUDIT_HASH in sql/snowflake/03_api.sql).
//
// One chain over the whole log, not one per request, so that removing a
// whole request or the newest events leaves a gap or a broken link. Writers
// take the audit lock (sqlstore.LockAudit) before they read the head, so
// appends are serialized and the chain never forks.
//
// A chain without a key can be recomputed by whoever can write the tables.
// What pins it is a Digest (the head's position and hash at a moment) kept
// where those people cannot rewrite it: the verifier checks the log against
// every digest, so history older than the last digest cannot change
// unnoticed. docs/reliability.md lists what is caught, by which check.

// ChainTimeFormat is how an event's time enters its hash (UTC, microseconds).
const ChainTimeFormat = "2006-01-02 15:04:05.000000"

// canonical is the event's content as hashed.
func (e Event) canonical() string {
	step := ""
	if e.Step != 0 {
		step = strconv.Itoa(e.Step)
	}
	fields := []string{e.ID, e.Time.UTC().Format(ChainTimeFormat), e.RequestID, e.ProductID, e.Actor,
		e.ActorRole, string(e.Type), step, string(e.Decision), e.Comment, e.Details, strconv.Itoa(e.Seq)}
	var b strings.Builder
	for _, f := range fields {
		writeField(&b, f)
	}
	return b.String()
}

// writeField writes s as "<length in characters>:<s>".
func writeField(b *strings.Builder, s string) {
	b.WriteString(strconv.Itoa(utf8.RuneCountInString(s)))
	b.WriteByte(':')
	b.WriteString(s)
}

// ComputeHash returns the hash e should carry, given its PrevHash and content.
func (e Event) ComputeHash() string {
	sum := sha256.Sum256([]byte(e.PrevHash + e.canonical()))
	return hex.EncodeToString(sum[:])
}

// LedgerHead is the last link of the audit log.
type LedgerHead struct {
	Seq  int
	Hash string
}

// Link places events, in order, after head: it sets each one's Seq, PrevHash
// and Hash, and returns the new head.
func Link(head LedgerHead, events []Event) LedgerHead {
	for i := range events {
		events[i].Seq = head.Seq + 1
		events[i].PrevHash = head.Hash
		events[i].Time = events[i].Time.UTC().Truncate(time.Microsecond)
		events[i].Hash = events[i].ComputeHash()
		head = LedgerHead{Seq: events[i].Seq, Hash: events[i].Hash}
	}
	return head
}

// MaxChainSteps is the most steps an approval chain may have. The snapshot
// of a chain that a request's REQUEST_SUBMITTED event records is built by
// SQL that both engines run without recursion or string aggregation, one
// column per position, so the length is bounded; ten is more than any
// approval process needs.
const MaxChainSteps = 10

// ChainSnapshot is the text a REQUEST_SUBMITTED event records in its Details:
// the request's chain, step by step, each as "<len>:<approver role><len>:<label>"
// (lengths in characters). The event's hash covers it, so the steps a
// request must pass are fixed when it is submitted: the verifier compares
// the request's step rows with it (sqlstore.StepsSnapshot builds the same
// text in SQL).
func ChainSnapshot(steps []ChainStep) string {
	var b strings.Builder
	for _, s := range steps {
		writeField(&b, s.ApproverRole)
		writeField(&b, s.Label)
	}
	return b.String()
}

// SnapshotDiff is where a snapshot built elsewhere first departs from the
// ChainSnapshot of its steps.
type SnapshotDiff struct {
	Where string // "step 2's label", or "after the last step"
	Want  string // the field as ChainSnapshot writes it; "" after the last step
	Got   string // what the other snapshot holds there, as many characters as Want (up to 40 after the last step)
}

// DiffSnapshot compares got, a snapshot of steps that another
// implementation built (Snowflake's, in the preflight), with
// ChainSnapshot(steps) field by field, and reports the first field that
// differs, or false if none does: an operator sees which length or text
// is off, not two long strings.
func DiffSnapshot(steps []ChainStep, got string) (SnapshotDiff, bool) {
	rest := got
	for _, s := range steps {
		for _, f := range []struct{ name, value string }{{"approver role", s.ApproverRole}, {"label", s.Label}} {
			var b strings.Builder
			writeField(&b, f.value)
			want := b.String()
			if !strings.HasPrefix(rest, want) {
				return SnapshotDiff{Where: fmt.Sprintf("step %d's %s", s.Order, f.name), Want: want,
					Got: firstChars(rest, utf8.RuneCountInString(want))}, true
			}
			rest = rest[len(want):]
		}
	}
	if rest != "" {
		return SnapshotDiff{Where: "after the last step", Got: firstChars(rest, 40)}, true
	}
	return SnapshotDiff{}, false
}

// firstChars is the first n characters of s, or s if it is shorter.
func firstChars(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// ParseChainSnapshot reads a ChainSnapshot back, numbering the steps from 1.
func ParseChainSnapshot(s string) ([]ChainStep, error) {
	var steps []ChainStep
	for s != "" {
		role, rest, err := readField(s)
		if err != nil {
			return nil, err
		}
		label, rest, err := readField(rest)
		if err != nil {
			return nil, err
		}
		steps = append(steps, ChainStep{Order: len(steps) + 1, ApproverRole: role, Label: label})
		s = rest
	}
	return steps, nil
}

// readField reads one "<length>:<value>" from the start of s.
func readField(s string) (value, rest string, err error) {
	colon := strings.IndexByte(s, ':')
	if colon <= 0 {
		return "", "", fmt.Errorf("chain snapshot: no length before %.20q", s)
	}
	n, err := strconv.Atoi(s[:colon])
	if err != nil || n < 0 {
		return "", "", fmt.Errorf("chain snapshot: bad length %q", s[:colon])
	}
	rest = s[colon+1:]
	i := 0
	for range n {
		if i >= len(rest) {
			return "", "", fmt.Errorf("chain snapshot: a field is shorter than its length %d", n)
		}
		_, size := utf8.DecodeRuneInString(rest[i:])
		i += size
	}
	return rest[:i], rest[i:], nil
}

// Digest pins the audit log at a moment: the position and hash of its last
// event then. Kept where the people who can write the tables cannot change
// it, it lets a verifier prove that nothing up to Seq was edited, removed,
// added or reordered since.
type Digest struct {
	Seq   int
	Hash  string
	Taken time.Time
}

// The kinds of LedgerProblem.
const (
	ProblemEdited       = "edited"       // an event's content no longer matches its hash
	ProblemMissing      = "missing"      // events are missing from the ledger, or a request has none
	ProblemReordered    = "reordered"    // an event does not follow the one before it
	ProblemOrphan       = "orphan"       // events or step rows of a request that does not exist
	ProblemIllegal      = "illegal"      // an event that the workflow's rules could not have written
	ProblemInconsistent = "inconsistent" // a request or step row disagrees with its events
	ProblemDigest       = "digest"       // the log disagrees with a digest taken earlier
)

// LedgerProblem is one place where the audit log does not verify, as the
// verifier (sqlstore.VerifyLedger) reports it: what kind of problem, where,
// and the value stored against the value the log and its rules require.
type LedgerProblem struct {
	RequestID string
	Seq       int    // the event at fault, 0 when the problem is the request's
	EventID   string // the event at fault, when there is one
	Kind      string // one of the Problem constants
	Field     string // the column or fact that disagrees
	Stored    string // what the database holds ("" for nothing)
	Expected  string // what the log and the rules require
}

// Sentence says what the problem is, for the verification page and the
// verify command.
func (p LedgerProblem) Sentence() string {
	switch p.Kind {
	case ProblemEdited:
		return "The event's content no longer matches its hash: it was edited after it was written."
	case ProblemMissing:
		switch p.Field {
		case "events":
			return "The request has no audit events at all."
		case "seq":
			return fmt.Sprintf("Events %s to %d are missing from the ledger: they were removed.", p.Expected, p.Seq-1)
		}
	case ProblemReordered:
		if p.Field == "seq" {
			return fmt.Sprintf("Event number %d appears more than once.", p.Seq)
		}
		return "The event does not follow the one before it (its previous hash differs): events were removed, added or moved."
	case ProblemOrphan:
		if p.Field == "steps" {
			return "These approval steps belong to a request that does not exist: the request row was removed, or the steps were added."
		}
		return "These events belong to a request that does not exist: the request row was removed."
	case ProblemIllegal:
		return illegalSentence(p)
	case ProblemInconsistent:
		if p.Field == "rows" {
			return fmt.Sprintf("The request is stored in %s rows, but its events make one request: rows were added.", p.Stored)
		}
		if p.RequestID == "" { // the directory of managers, whose events belong to no request
			if strings.HasPrefix(p.Field, "directory rows of ") {
				return fmt.Sprintf("The directory holds %s rows for %s: rows were added.", p.Stored, strings.TrimPrefix(p.Field, "directory rows of "))
			}
			return fmt.Sprintf("The directory's %s is %s, but its DIRECTORY_CHANGED events say %s.", p.Field, quoteOrNone(p.Stored), quoteOrNone(p.Expected))
		}
		return fmt.Sprintf("The stored %s is %s, but the request's events say %s.", p.Field, quoteOrNone(p.Stored), quoteOrNone(p.Expected))
	case ProblemDigest:
		if p.Field == "event" {
			return fmt.Sprintf("The ledger has no event %d, which a digest recorded: events were removed.", p.Seq)
		}
		return fmt.Sprintf("Event %d is not the event a digest recorded: history was rewritten.", p.Seq)
	}
	return fmt.Sprintf("%s: %s is %s, expected %s.", p.Kind, p.Field, quoteOrNone(p.Stored), quoteOrNone(p.Expected))
}

// illegalSentence explains an event the workflow could not have written.
func illegalSentence(p LedgerProblem) string {
	switch p.Field {
	case "event_type":
		if p.Stored == "" {
			return fmt.Sprintf("A %s event is not allowed at this point of the request's history.", p.Expected)
		}
		return fmt.Sprintf("A %s event cannot follow %s.", p.Expected, p.Stored)
	case "step_order":
		return fmt.Sprintf("The decision is recorded for step %s, but the request was at step %s.", p.Stored, p.Expected)
	case "actor":
		return fmt.Sprintf("%s could not act here: %s.", p.Stored, p.Expected)
	case "actor_role":
		return fmt.Sprintf("The step was decided as %s, but it needs %s.", quoteOrNone(p.Stored), p.Expected)
	case "product_id":
		return fmt.Sprintf("The event names product %s, but the request is for %s.", quoteOrNone(p.Stored), p.Expected)
	}
	return fmt.Sprintf("The event's %s is %s, but the rules require %s.", p.Field, quoteOrNone(p.Stored), quoteOrNone(p.Expected))
}

func quoteOrNone(s string) string {
	if s == "" {
		return "empty"
	}
	return strconv.Quote(s)
}

// DigestCheck is how one digest fared in a verification.
type DigestCheck struct {
	Digest
	OK bool // the log still has the digest's event, with its hash
}

// LedgerReport is the outcome of verifying the audit log.
type LedgerReport struct {
	Requests int // requests checked
	Events   int // events checked
	Problems []LedgerProblem
	Digests  []DigestCheck // every digest the log was checked against, oldest first
	Anchor   string        // where the digests are kept; "" when none are
	Checked  time.Time
}

// OK reports whether the whole audit log verified.
func (r LedgerReport) OK() bool { return len(r.Problems) == 0 }

// LastDigest returns the newest digest checked, if any.
func (r LedgerReport) LastDigest() (DigestCheck, bool) {
	if len(r.Digests) == 0 {
		return DigestCheck{}, false
	}
	return r.Digests[len(r.Digests)-1], true
}

// CheckDigests marks each digest OK unless a problem of kind ProblemDigest
// names its position.
func CheckDigests(digests []Digest, problems []LedgerProblem) []DigestCheck {
	bad := map[int]bool{}
	for _, p := range problems {
		if p.Kind == ProblemDigest {
			bad[p.Seq] = true
		}
	}
	out := make([]DigestCheck, len(digests))
	for i, d := range digests {
		out[i] = DigestCheck{Digest: d, OK: !bad[d.Seq]}
	}
	return out
}

// HashSample is a fixed audit event for checking that another
// implementation of the chain builds the same bytes: Snowflake's AUDIT_HASH
// hashes it in the PREFLIGHT procedure, and signoff doctor compares. Its
// time has nanoseconds, which both sides must truncate (not round) to
// microseconds; its text has non-ASCII letters, quotes and a colon, which
// the length prefixes must count as characters.
func HashSample() Event {
	return Event{ID: "01JNQ4Z5M8A1B2C3D4E5F6G7H8", Time: time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC),
		RequestID: "01JNQ4Z5M8A1B2C3D4E5F6G7H9", ProductID: "customer-360", Actor: "JANE.DOE@ACME.COM",
		ActorRole: "DATA_OWNER_SALES", Type: EventStepApproved, Step: 2, Decision: DecisionApprove,
		Comment: `Zoë's "ok": 名前 3:x`, Seq: 3,
		PrevHash: "5f1d0b1d9d4f6d2f9b5b0f3e2c1a4b6d8e7f9a0b1c2d3e4f5a6b7c8d9e0f1a2b"}
}

// SnapshotSample is a fixed chain on which the preflight checks that
// Snowflake builds a request's ChainSnapshot as Go does: PREFLIGHT runs the
// expression SUBMIT_REQUEST records (sqlstore.StepsSnapshot) over these
// steps, and signoff doctor compares. Three steps, so the positions are
// joined in order; labels with characters of one to four bytes, quotes, a
// colon and digits, which the length prefixes must count as characters;
// and lengths of one digit and of two. It holds no backslash, which the SQL
// literals that carry it would have to escape.
func SnapshotSample() []ChainStep {
	return []ChainStep{
		{Order: 1, ApproverRole: "LINE_MANAGER", Label: "Line manager"},
		{Order: 2, ApproverRole: "DATA_OWNER_SALES", Label: `Zoë's "owner": 名前 3:x`},
		{Order: 3, ApproverRole: "DPO", Label: "Sécurité 🔒 DPO"},
	}
}
