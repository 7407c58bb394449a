package signoff

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Notifications (docs/design.md, "Notifications"): every transition tells
// the people who must act or who care, once each. The rules below say who
// and with what words; both engines turn the audit log into messages with
// one SQL text generated from them (sqlstore.EnqueueNotices), and
// NoticesFor is the same rules in Go, which the tests hold the SQL to.

// Audience is who a notice goes to.
type Audience string

// The audiences.
const (
	// ToRequester: the request's requester.
	ToRequester Audience = "REQUESTER"
	// ToApprovers: everyone who may decide the step the event opened: who
	// holds its role (or a fallback role it was escalated to), is not the
	// requester and decided no other step of the request.
	ToApprovers Audience = "APPROVERS"
)

// Delivery is how a notice reaches its recipient.
type Delivery string

// The deliveries.
const (
	DeliverNow    Delivery = "NOW"    // one message for the transition
	DeliverDigest Delivery = "DIGEST" // batched into the recipient's daily digest
)

// KindDigest is the Kind of a daily digest message.
const KindDigest = "DIGEST"

// NoticeRule says who hears of an event of type Event, and in which words.
// Subject and Body may name the fields {product} (the product's name),
// {request} (the request ID), {step} and {label} (the step the event is
// about, or opened), {actor}, {requester} and {comment} (the event's
// comment). Texts name only what the requester or the approver may see on
// the request's page, never an error's details (GRANT_FAILED's are for
// admins), and end with the request's path in Signoff.
type NoticeRule struct {
	Event   EventType
	To      Audience
	Subject string
	Body    string
}

// NoticeFields are the fields a NoticeRule's texts may name.
var NoticeFields = []string{"product", "request", "step", "label", "actor", "requester", "comment"}

const (
	openRequest   = "\n\nOpen it in Signoff: /requests/{request}"
	decideRequest = "\n\nDecide it in Signoff: /requests/{request}"
)

// NoticeRules are every event that tells someone, in the order of
// EventTypes. An event not listed tells nobody: the actor knows what they
// did (a submission, a withdrawal), REQUEST_APPROVED is followed at once by
// the grant's outcome, and the final step's approval by the grant's outcome
// too (so the requester hears once, of the grant).
var NoticeRules = []NoticeRule{
	{EventRequestSubmitted, ToApprovers, "Signoff: {requester} asks for access to {product}",
		"{requester} asks for access to {product} (request {request}). Step {step} ({label}) waits for a decision, which you may make." + decideRequest},
	{EventStepApproved, ToRequester, "Signoff: step {step} of your request for {product} was approved",
		"{actor} approved step {step} ({label}) of your request {request} for {product}. It now waits for the next step." + openRequest},
	{EventStepApproved, ToApprovers, "Signoff: {requester} asks for access to {product}",
		"{requester} asks for access to {product} (request {request}). Step {step} ({label}) waits for a decision, which you may make." + decideRequest},
	{EventStepRejected, ToRequester, "Signoff: your request for {product} was rejected",
		"{actor} rejected your request {request} for {product} at step {step} ({label}). Their reason: {comment}" + openRequest},
	{EventChangesRequested, ToRequester, "Signoff: changes asked for on your request for {product}",
		"{actor} asks for changes to your request {request} for {product} at step {step} ({label}): {comment}" + openRequest},
	{EventRequestResubmitted, ToApprovers, "Signoff: {requester} answered on their request for {product}",
		"{requester} answered the question on their request {request} for {product}. Step {step} ({label}) waits for a decision again, which you may make." + decideRequest},
	{EventAccessGranted, ToRequester, "Signoff: you now have access to {product}",
		"Your request {request} for {product} was approved at every step, and its access role was granted to you." + openRequest},
	{EventGrantFailed, ToRequester, "Signoff: your access to {product} is not granted yet",
		"Your request {request} for {product} was approved at every step, but granting the access failed. Signoff's admins see the failure and can retry the grant; you need not ask again." + openRequest},
	{EventAccessRevoked, ToRequester, "Signoff: your access to {product} was revoked",
		"{actor} revoked the access your request {request} gave you to {product}." + openRequest},
	{EventStepReminded, ToApprovers, "Signoff: reminder, {requester}'s request for {product} waits for a decision",
		"{requester}'s request {request} for {product} has waited past its deadline at step {step} ({label}), which you may decide." + decideRequest},
	{EventStepEscalated, ToApprovers, "Signoff: {requester}'s request for {product} needs a decision",
		"{requester}'s request {request} for {product} was escalated at step {step} ({label}): you may now decide it." + decideRequest},
	{EventRequestExpired, ToRequester, "Signoff: your request for {product} expired",
		"Your request {request} for {product} waited longer for decisions than the product allows, and expired. You may ask again." + openRequest},
	{EventExpiryReminded, ToRequester, "Signoff: your access to {product} ends soon",
		"The time-bound access your request {request} gave you to {product} ends soon. Ask again in Signoff if you still need it." + openRequest},
	{EventAccessExpired, ToRequester, "Signoff: your access to {product} has ended",
		"The time-bound access your request {request} gave you to {product} has ended, and its access role was taken back." + openRequest},
}

// DigestSubject and DigestBody are the words of a daily digest; {count} is
// how many step openings it gathers.
const (
	DigestSubject = "Signoff: requests wait for your decision"
	DigestBody    = "Since your last digest, {count} request steps that you may decide were opened. Some may have been decided since.\n\nOpen your approvals in Signoff: /queue"
)

// OpenedStep is the step an event of type t opens for approvers, given the
// event's step, the request's step count and its current step; 0 when it
// opens none. A submission opens step 1, an approval that is not the last
// the next step, and a resubmission, a reminder or an escalation the step
// it is about (the current one if the event names none).
func OpenedStep(t EventType, step, stepCount, current int) int {
	switch t {
	case EventRequestSubmitted:
		return 1
	case EventStepApproved:
		if step < stepCount {
			return step + 1
		}
	case EventRequestResubmitted, EventStepReminded, EventStepEscalated:
		if step == 0 {
			return current
		}
		return step
	}
	return 0
}

// Notice is one message to one person: a row of the outbox.
type Notice struct {
	ID        string // the event's ID and the recipient; a digest's own ID
	EventID   string // "" for a digest
	Seq       int    // the event's position in the log; 0 for a digest
	RequestID string
	Recipient string
	Kind      string // the event type, or KindDigest
	Subject   string
	Body      string
	Delivery  Delivery
	DigestID  string // the digest that carried it, once one did
	CreatedAt time.Time
	SentAt    time.Time // zero until sent (on the embedded engine: written to the outbox)
	Attempts  int
	LastError string
}

// Sent reports whether the notice was delivered.
func (n Notice) Sent() bool { return !n.SentAt.IsZero() }

// NoticeText fills a rule's text with the fields' values.
func NoticeText(text string, fields map[string]string) string {
	var pairs []string
	for _, f := range NoticeFields {
		pairs = append(pairs, "{"+f+"}", fields[f])
	}
	return strings.NewReplacer(pairs...).Replace(text)
}

// NoticesFor is the rules in Go: the notices event e of request r (as it is
// now, with its steps and its product's name) gives, with holders the
// holders of r's step roles and of escalated, the fallback roles r's opened
// step was escalated to by e or before it. It is the reference the SQL
// (sqlstore.EnqueueNotices) is tested against; Delivery is left to the
// recipient's preference. Approvers hear only while the opened step is
// still the request's pending step: nobody is told to decide what is
// decided already.
func NoticesFor(e Event, r Request, holders RoleHolders, escalated []string) []Notice {
	var out []Notice
	for _, rule := range NoticeRules {
		if rule.Event != e.Type {
			continue
		}
		step := e.Step
		var to []string
		switch rule.To {
		case ToRequester:
			if e.Type == EventStepApproved && e.Step >= r.StepCount {
				continue // the final approval: the grant's outcome tells
			}
			to = []string{r.Requester}
		case ToApprovers:
			step = OpenedStep(e.Type, e.Step, r.StepCount, r.CurrentStep)
			s, ok := r.Step(step)
			if !ok || r.Status != StatusPending || r.CurrentStep != step {
				continue
			}
			for i, role := range append([]string{s.ApproverRole}, escalated...) {
				for _, u := range holders[role] {
					if i == 0 && s.ApproverUser != "" && u != s.ApproverUser {
						continue // a manager step's role is its manager's alone
					}
					if u != r.Requester && !r.DecidedBy(u) && !slices.Contains(to, u) {
						to = append(to, u)
					}
				}
			}
		}
		label := ""
		if s, ok := r.Step(step); ok {
			label = s.Label
		}
		fields := map[string]string{"product": r.ProductName, "request": r.ID, "step": strconv.Itoa(step),
			"label": label, "actor": e.Actor, "requester": r.Requester, "comment": e.Comment}
		for _, u := range to {
			out = append(out, Notice{ID: e.ID + ":" + u, EventID: e.ID, Seq: e.Seq, RequestID: r.ID, Recipient: u,
				Kind: string(e.Type), Subject: NoticeText(rule.Subject, fields), Body: NoticeText(rule.Body, fields)})
		}
	}
	return out
}

// NotifyReport is what one run of the notifier did.
type NotifyReport struct {
	Events   int // audit events read past the cursor
	Queued   int // notices written to the outbox
	Digests  int // daily digests made
	Sent     int // messages delivered (embedded: written to the outbox)
	Failed   int // messages whose delivery failed this run (Snowflake: SYSTEM$SEND_EMAIL refused)
	Upto     int // the position in the log the cursor reached
	Disabled bool
}

// Notifier is the engine's outbox: it turns the audit log past its cursor
// into notices and delivers the due ones, idempotently (each event and
// recipient get one notice however many notifiers run), and lists them.
type Notifier interface {
	// Notify runs the notifier once at now: enqueue, make digests, deliver.
	Notify(ctx context.Context, now time.Time) (NotifyReport, error)
	// Outbox returns the newest notices, for recipient ("" for everyone),
	// newest first, at most limit.
	Outbox(ctx context.Context, recipient string, limit int) ([]Notice, error)
	// PendingCount counts the pending steps user may decide with roles:
	// the approvals queue's requests, all pages.
	PendingCount(ctx context.Context, user string, roles []string) (int, error)
	// DigestPreference says whether user asked for a daily digest.
	DigestPreference(ctx context.Context, user string) (bool, error)
	// SetDigestPreference records user's choice, in their own session on
	// Snowflake (a procedure call), so nobody chooses for anyone else.
	SetDigestPreference(ctx context.Context, user Identity, daily bool, at time.Time) error
}

// OutboxLimit bounds the outbox page.
const OutboxLimit = 200

// Notify runs the engine's notifier once: the entry point of the scheduler.
// Without a notifier it does nothing and says so (Disabled).
func (s *Service) Notify(ctx context.Context) (NotifyReport, error) {
	if s.Notifier == nil {
		return NotifyReport{Disabled: true}, nil
	}
	rep, err := s.Notifier.Notify(ctx, s.now())
	if err != nil {
		return rep, fmt.Errorf("notify: %w", err)
	}
	return rep, nil
}

// OutboxPage is the outbox: the viewer's messages (an admin's: everyone's).
type OutboxPage struct {
	Notices []Notice
	All     bool // the viewer is an admin and sees everyone's
	Digest  bool // the viewer asked for a daily digest
}

// Outbox returns the viewer's notices, newest first; admins see everyone's.
func (s *Service) Outbox(ctx context.Context, viewer Identity) (OutboxPage, error) {
	if err := requireSignedIn(viewer); err != nil {
		return OutboxPage{}, err
	}
	if s.Notifier == nil {
		return OutboxPage{}, Errorf(ErrNotFound, "This engine keeps no outbox.")
	}
	recipient := viewer.User
	if viewer.Admin() {
		recipient = ""
	}
	ns, err := s.Notifier.Outbox(ctx, recipient, OutboxLimit)
	if err != nil {
		return OutboxPage{}, fmt.Errorf("outbox: %w", err)
	}
	digest, err := s.Notifier.DigestPreference(ctx, viewer.User)
	if err != nil {
		return OutboxPage{}, fmt.Errorf("outbox: %w", err)
	}
	return OutboxPage{Notices: ns, All: recipient == "", Digest: digest}, nil
}

// SetDigest records whether the viewer wants a daily digest of the steps
// they may decide instead of one message for each.
func (s *Service) SetDigest(ctx context.Context, viewer Identity, daily bool) error {
	if err := requireSignedIn(viewer); err != nil {
		return err
	}
	if s.Notifier == nil {
		return Errorf(ErrNotFound, "This engine sends no notifications.")
	}
	if err := s.Notifier.SetDigestPreference(ctx, viewer, daily, s.now()); err != nil {
		return fmt.Errorf("digest preference: %w", err)
	}
	return nil
}

// PendingCount is the header's count of the viewer's pending approvals (the
// approvals queue's, all pages), and false when it is not known: no
// notifier, the viewer approves nothing, or the read failed (logged: the
// count only decorates a page). With PendingTTL set, a viewer's count is
// reused that long (pendingCache), so that on Snowflake page views spend no
// statement on it.
func (s *Service) PendingCount(ctx context.Context, viewer Identity) (int, bool) {
	if s.Notifier == nil || viewer.Anonymous() || !viewer.Approver {
		return 0, false
	}
	now := s.Now()
	if n, ok := s.pending.get(viewer.User, now); ok {
		return n, true
	}
	roles, err := s.ApproverRoles(ctx, viewer)
	if err != nil {
		s.Log.WarnContext(ctx, "pending count: approver roles", "err", err)
		return 0, false
	}
	n, err := s.Notifier.PendingCount(ctx, viewer.User, roles)
	if err != nil {
		s.Log.WarnContext(ctx, "pending count", "err", err)
		return 0, false
	}
	s.pending.put(viewer.User, n, now, s.PendingTTL)
	return n, true
}

// pendingCacheSize bounds how many viewers' counts are kept.
const pendingCacheSize = 4096

// pendingCache keeps viewers' pending counts for a short while, bounded: it
// is emptied when full, so memory never grows with the visitors.
type pendingCache struct {
	mu sync.Mutex
	m  map[string]pendingEntry
}

type pendingEntry struct {
	n       int
	expires time.Time
}

func (c *pendingCache) get(user string, now time.Time) (int, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[user]
	if !ok || !now.Before(e.expires) {
		return 0, false
	}
	return e.n, true
}

func (c *pendingCache) put(user string, n int, now time.Time, ttl time.Duration) {
	if ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= pendingCacheSize {
		c.m = map[string]pendingEntry{}
	}
	c.m[user] = pendingEntry{n: n, expires: now.Add(ttl)}
}
