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

// The audit log is tamper-evident: each request's events form a hash chain.
// An event's Seq is its position in its request's chain (1, 2, …), PrevHash
// is the Hash of the event before it ("" for the first), and Hash is
//
//	SHA-256( PrevHash ‖ canonical(event) ), as lowercase hex,
//
// where canonical(event) writes each field as "<length in characters>:<value>"
// in a fixed order. The length prefixes make the encoding unambiguous (a
// comment cannot pose as the next field), and the same bytes can be built in
// Snowflake SQL, so the chain can be checked there too
// (sql/snowflake/05_verify_audit.sql).
//
// Why per request and not one global chain: every event is written together
// with a compare-and-set on its request, which already orders a request's
// events; a global chain would need every write in the account to serialize
// on one row, which Snowflake's concurrent inserts do not give. What a
// per-request chain cannot see by itself, a request whose whole chain was
// removed, the verifier catches by checking every request has a chain.

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
		b.WriteString(strconv.Itoa(utf8.RuneCountInString(f)))
		b.WriteByte(':')
		b.WriteString(f)
	}
	return b.String()
}

// ComputeHash returns the hash e should carry, given its PrevHash and content.
func (e Event) ComputeHash() string {
	sum := sha256.Sum256([]byte(e.PrevHash + e.canonical()))
	return hex.EncodeToString(sum[:])
}

// ChainHead is the last link of a request's audit chain.
type ChainHead struct {
	Seq  int
	Hash string
}

// Link places events, in order, after head: it sets each one's Seq, PrevHash
// and Hash, and returns the new head.
func Link(head ChainHead, events []Event) ChainHead {
	for i := range events {
		events[i].Seq = head.Seq + 1
		events[i].PrevHash = head.Hash
		events[i].Time = events[i].Time.UTC().Truncate(time.Microsecond)
		events[i].Hash = events[i].ComputeHash()
		head = ChainHead{Seq: events[i].Seq, Hash: events[i].Hash}
	}
	return head
}

// ChainProblem is one place where the audit log does not verify.
type ChainProblem struct {
	RequestID string
	Seq       int    // the link at fault (0 for the request as a whole)
	EventID   string // the event at fault, when there is one
	Kind      string // "edited", "missing", "reordered", "no chain"
	Detail    string
}

// ChainReport is the outcome of verifying the audit log.
type ChainReport struct {
	Requests int // requests checked
	Events   int // events checked
	Problems []ChainProblem
	Checked  time.Time
}

// OK reports whether the whole audit log verified.
func (r ChainReport) OK() bool { return len(r.Problems) == 0 }

// ChainVerifier checks audit events fed to it one request at a time, each
// request's events in Seq order (as the store reads them), then checks each
// request's chain against the request's state (Expect).
type ChainVerifier struct {
	report  ChainReport
	current string
	head    ChainHead
	chains  map[string]chainSummary
}

// chainSummary is what Expect needs to know about one request's chain.
type chainSummary struct {
	last      EventType
	approvals int
}

// NewChainVerifier returns an empty verifier.
func NewChainVerifier() *ChainVerifier { return &ChainVerifier{chains: map[string]chainSummary{}} }

// Add checks the next event.
func (v *ChainVerifier) Add(e Event) {
	v.report.Events++
	if e.RequestID != v.current {
		v.current, v.head = e.RequestID, ChainHead{}
	}
	sum := v.chains[e.RequestID]
	sum.last = e.Type
	if e.Type == EventStepApproved {
		sum.approvals++
	}
	v.chains[e.RequestID] = sum
	problem := func(kind, detail string) {
		v.report.Problems = append(v.report.Problems, ChainProblem{RequestID: e.RequestID, Seq: e.Seq,
			EventID: e.ID, Kind: kind, Detail: detail})
	}
	switch {
	case e.Seq != v.head.Seq+1:
		if e.Seq > v.head.Seq+1 {
			problem("missing", "events "+strconv.Itoa(v.head.Seq+1)+" to "+strconv.Itoa(e.Seq-1)+" are missing")
		} else {
			problem("reordered", "event number "+strconv.Itoa(e.Seq)+" appears again or out of order")
		}
	case e.PrevHash != v.head.Hash:
		problem("reordered", "the event does not follow the one before it (previous hash differs)")
	}
	if got := e.ComputeHash(); got != e.Hash {
		problem("edited", "the event's content no longer matches its hash")
	}
	v.head = ChainHead{Seq: e.Seq, Hash: e.Hash}
}

// Expect checks each request's chain against the request's state. A hash
// chain cannot see its own end, so a removed last event (or a whole removed
// trail) shows here: a GRANTED request's chain must end with ACCESS_GRANTED,
// a request pending at step k must hold exactly k-1 approvals, and so on.
func (v *ChainVerifier) Expect(requests []Request) {
	v.report.Requests += len(requests)
	for _, r := range requests {
		sum, ok := v.chains[r.ID]
		problem := func(detail string) {
			v.report.Problems = append(v.report.Problems, ChainProblem{RequestID: r.ID, Kind: "missing", Detail: detail})
		}
		if !ok {
			problem("the request has no audit events at all")
			continue
		}
		want, approvals := chainEnd(r)
		if !slicesContains(want, sum.last) {
			problem(fmt.Sprintf("the request is %s but its audit trail ends with %s", r.Status, sum.last))
		} else if approvals >= 0 && sum.approvals != approvals {
			problem(fmt.Sprintf("the request is %s at step %d but its audit trail holds %d approvals", r.Status, r.CurrentStep, sum.approvals))
		}
	}
}

// chainEnd says which events may end the audit trail of a request in r's
// state, and how many step approvals it must hold (-1: not checked).
func chainEnd(r Request) ([]EventType, int) {
	switch r.Status {
	case StatusPending:
		if r.CurrentStep <= 1 {
			return []EventType{EventRequestSubmitted}, 0
		}
		return []EventType{EventStepApproved}, r.CurrentStep - 1
	case StatusApproved:
		return []EventType{EventRequestApproved}, r.StepCount
	case StatusGranted:
		return []EventType{EventAccessGranted}, r.StepCount
	case StatusGrantFailed:
		return []EventType{EventGrantFailed}, r.StepCount
	case StatusRevoked:
		return []EventType{EventAccessRevoked}, r.StepCount
	case StatusRejected:
		return []EventType{EventStepRejected}, r.CurrentStep - 1
	case StatusWithdrawn:
		return []EventType{EventRequestWithdrawn}, r.CurrentStep - 1
	}
	return nil, -1
}

func slicesContains(ts []EventType, t EventType) bool {
	for _, x := range ts {
		if x == t {
			return true
		}
	}
	return false
}

// Report returns what was found.
func (v *ChainVerifier) Report() ChainReport { return v.report }

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
