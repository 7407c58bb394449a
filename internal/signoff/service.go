package signoff

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
)

// Page sizes. Pages never load unbounded lists.
const (
	MyRequestsLimit = 200
	// QueueLimit bounds the approver queue to the oldest steps waiting: the
	// queue query's cost grows faster than the rows it returns
	// (docs/performance.md), and nobody decides more than a screenful before
	// the page reloads.
	QueueLimit    = 50
	AuditPageSize = 50
	// CatalogPageSize is how many products a catalog page shows: a page
	// of cards stays quick to render and to scan with a catalog of any size.
	CatalogPageSize = 24
)

// Service applies Signoff's rules on top of an engine. Handlers call one
// Service method per page or action.
type Service struct {
	reads  Reads
	engine Engine
	ids    *IDGenerator

	// Now returns the current time; tests replace it.
	Now func() time.Time
	// Log receives what the Service handles without failing the caller, such
	// as a grant that could not run after the approval was committed.
	Log *slog.Logger
	// Diagnoser is the engine's preflight, for the admins' diagnostics page;
	// nil when the engine has none.
	Diagnoser Diagnoser
	// Anchor keeps the audit log's digests; nil when none are kept (the
	// log is then checked for its own consistency only).
	Anchor Anchor
	// Scheduler does the work that falls due with time (Sweep); nil on
	// Snowflake, where a task does it.
	Scheduler Scheduler
	// Directory says who holds roles, so pages can say when a chain cannot
	// complete; nil when the engine has none (Snowflake, for now).
	Directory Directory
	// Managers is the directory of who manages whom, for manager steps
	// (managers.go); nil when the engine keeps none: manager steps then
	// show no manager before a submission, and the engine still resolves
	// them.
	Managers Managers
	// Notifier is the engine's outbox (notify.go); nil when the engine
	// sends no notifications.
	Notifier Notifier
	// Products saves products and reads their versions (admin.go); nil
	// when the engine offers no catalog administration.
	Products ProductStore
	// Objects reads a Snowflake object's columns and tags for the product
	// form (metadata.go); nil when the engine cannot.
	Objects ObjectReader
	// Policies saves the chain policy (policy.go); nil when the engine
	// offers no policy administration.
	Policies PolicyStore
	// PendingTTL is how long a viewer's pending approvals count (the
	// header's) is reused; 0 reads it for every page.
	PendingTTL time.Duration
	// ReviewReads and ReviewEngine serve access reviews (review.go); nil
	// when the engine has none.
	ReviewReads  ReviewReads
	ReviewEngine ReviewEngine

	digest  digestState // what TakeDigest last found
	pending pendingCache
}

// catalog reads the whole catalog and its facets.
func (s *Service) catalog(ctx context.Context) (Catalog, error) {
	all, err := s.reads.Products(ctx)
	if err != nil {
		return Catalog{}, err
	}
	c := Catalog{Products: all, Total: len(all)}
	for _, p := range all {
		c.Tags = append(c.Tags, p.Tags...)
		c.Classifications = append(c.Classifications, p.Classification)
	}
	slices.Sort(c.Tags)
	c.Tags = slices.Compact(c.Tags)
	slices.Sort(c.Classifications)
	c.Classifications = slices.Compact(c.Classifications)
	return c, nil
}

// NewService returns a Service that reads with reads and acts with engine.
func NewService(reads Reads, engine Engine) *Service {
	return &Service{reads: reads, engine: engine, ids: &IDGenerator{}, Now: time.Now,
		Log: slog.New(slog.DiscardHandler)}
}

// now returns the time truncated to microseconds in UTC, the precision both
// engines keep.
func (s *Service) now() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }

// noRequest and noProduct are the pages' sentences for an ID that names
// nothing.
func noRequest(id string) error { return Errorf(ErrNotFound, "There is no request %q.", id) }

func noProduct(id string) error { return Errorf(ErrNotFound, "There is no data product %q.", id) }

func requireSignedIn(viewer Identity) error {
	if viewer.Anonymous() {
		return Errorf(ErrUnauthenticated, "Please sign in.")
	}
	return nil
}

// Catalog is the catalog page: the products that match, and the facets to
// filter by. Its Products may be shared with the engine's cache: read them,
// never modify them.
type Catalog struct {
	Products        []Product // the page's products
	Matched         int       // products that pass the filter, on all pages
	Total           int       // products in the catalog before filtering
	Page, Pages     int       // this page (from 1) and how many there are
	Tags            []string
	Classifications []string
	// Matches says, by product ID, where a search found the page's products
	// in fields their cards do not show (a column, the owner, the ID).
	Matches map[string][]SearchMatch
	// Mine holds, by product ID, the viewer's own open request for each
	// product they have asked for (pending, approved, granted or failed),
	// so the catalog can say "Requested" or "Granted" before they ask again.
	Mine map[string]Request
}

// Catalog returns page (from 1; out of range means the nearest) of the
// products matching f, CatalogPageSize to a page: best match first when f
// has search words (ProductFilter.Search), else in name order.
func (s *Service) Catalog(ctx context.Context, viewer Identity, f ProductFilter, page int) (Catalog, error) {
	if err := requireSignedIn(viewer); err != nil {
		return Catalog{}, err
	}
	all, err := s.catalog(ctx)
	if err != nil {
		return Catalog{}, fmt.Errorf("catalog: %w", err)
	}
	c := all
	c.Products, c.Pages = nil, 1
	var hits []Hit
	if f == (ProductFilter{}) { // the whole catalog: page through the shared list
		c.Matched = len(all.Products)
	} else {
		hits = f.Search(all.Products)
		c.Products = make([]Product, len(hits))
		for i, h := range hits {
			c.Products[i] = h.Product
		}
		c.Matched = len(hits)
	}
	if c.Matched > 0 {
		c.Pages = (c.Matched + CatalogPageSize - 1) / CatalogPageSize
	}
	page = min(max(page, 1), c.Pages) // clamped before multiplying: a huge page number cannot overflow
	first := (page - 1) * CatalogPageSize
	if c.Matched > 0 {
		matched := c.Products
		if matched == nil {
			matched = all.Products
		}
		last := min(first+CatalogPageSize, c.Matched)
		c.Products = matched[first:last:last] // capped: an append cannot reach the shared list
		for i := first; hits != nil && i < last; i++ {
			if len(hits[i].Matches) > 0 {
				if c.Matches == nil {
					c.Matches = map[string][]SearchMatch{}
				}
				c.Matches[hits[i].Product.ID] = hits[i].Matches
			}
		}
	}
	c.Page = page
	// The viewer's own requests: the read My requests makes (on Snowflake,
	// the catalog's one statement while its products are cached).
	mine, err := s.reads.Requests(ctx, viewer.User, MyRequestsLimit)
	if err != nil {
		return Catalog{}, fmt.Errorf("catalog: your requests: %w", err)
	}
	for _, r := range mine {
		if r.Status.Open() {
			if c.Mine == nil {
				c.Mine = map[string]Request{}
			}
			if _, seen := c.Mine[r.ProductID]; !seen { // newest first: the latest open one
				c.Mine[r.ProductID] = r
			}
		}
	}
	return c, nil
}

// AllProducts returns the whole catalog in name order, for choosers such as
// the audit log's product filter.
func (s *Service) AllProducts(ctx context.Context, viewer Identity) ([]Product, error) {
	if err := requireSignedIn(viewer); err != nil {
		return nil, err
	}
	all, err := s.catalog(ctx)
	if err != nil {
		return nil, fmt.Errorf("products: %w", err)
	}
	n := len(all.Products)
	return all.Products[:n:n], nil // capped: an append cannot reach the shared list
}

// ProductPage is a product and the viewer's own requests for it.
type ProductPage struct {
	Product Product
	// Open is the viewer's open request for the product, if any: the request
	// form is replaced by a link to it.
	Open *Request
	// Steps are the steps a request by the viewer would go through now:
	// the chain's rules and the policy applied to the product
	// (ResolveChainFor), a manager step with the viewer's manager when the
	// viewer has no open request.
	Steps []Step
	// Blocked, when the viewer has no open request, is the first step of the
	// chain nobody could decide for them: the form warns before they ask.
	Blocked *Blocked
	// NeedsManager says the chain has a manager step for the viewer, and
	// Manager is their manager in the directory ("" for none: a submission
	// is refused, NO_MANAGER, and the form says so before).
	NeedsManager bool
	Manager      string
}

// Product returns the product page for id.
func (s *Service) Product(ctx context.Context, viewer Identity, id string) (ProductPage, error) {
	if err := requireSignedIn(viewer); err != nil {
		return ProductPage{}, err
	}
	p, open, err := s.reads.ProductFor(ctx, id, viewer.User)
	if errors.Is(err, ErrNotFound) {
		return ProductPage{}, noProduct(id)
	}
	if err != nil {
		return ProductPage{}, fmt.Errorf("product %q: %w", id, err)
	}
	page := ProductPage{Product: p, Open: open}
	if open != nil { // no form to warn: the chain without a read of the viewer's manager
		page.Steps = ResolveChain(p, false)
		return page, nil
	}
	if s.Managers != nil && NeedsManager(p, false) {
		page.NeedsManager = true
		if page.Manager, err = s.Managers.ManagerOf(ctx, viewer.User); err != nil {
			return ProductPage{}, fmt.Errorf("product %q: manager of %s: %w", id, viewer.User, err)
		}
		if page.Manager == viewer.User { // corrupt data: the engine refuses it as none
			page.Manager = ""
		}
		page.Steps = ResolveChainFor(p, false, page.Manager)
		if page.Manager != "" {
			page.Blocked = s.blocked(ctx, page.Steps, viewer.User)
		}
		return page, nil
	}
	page.Steps = ResolveChain(p, false)
	page.Blocked = s.blocked(ctx, page.Steps, viewer.User)
	return page, nil
}

// Submit files a request by viewer for product productID, for days (one
// of the product's durations; 0 is permanent). The engine checks that the
// product exists, has a chain and offers the duration, and that the viewer
// has no open request for it; the Service checks the reason's shape first.
func (s *Service) Submit(ctx context.Context, viewer Identity, productID, reason string, days int) (Outcome, error) {
	return s.submit(ctx, viewer, SubmitCall{ProductID: productID, Reason: reason, Days: days})
}

// Extend asks to extend viewer's GRANTED time-bound request grantID for
// product productID: a new request, for days, linked to it, that goes
// through the product's whole chain or its last step only
// (Product.ExtendLastStep). While it is decided the granted access stays;
// once it is granted, the old grant's expiry leaves the role in place,
// which the extension now justifies.
func (s *Service) Extend(ctx context.Context, viewer Identity, productID, grantID, reason string, days int) (Outcome, error) {
	if !ValidID(grantID) {
		return Outcome{}, noRequest(grantID)
	}
	return s.submit(ctx, viewer, SubmitCall{ProductID: productID, Reason: reason, Days: days, Extends: grantID})
}

func (s *Service) submit(ctx context.Context, viewer Identity, c SubmitCall) (Outcome, error) {
	if err := requireSignedIn(viewer); err != nil {
		return Outcome{}, err
	}
	if err := ValidateReason(c.Reason); err != nil {
		return Outcome{}, err
	}
	if c.Days < 0 || c.Days > MaxDays {
		return Outcome{}, Problems{"days": "Choose one of the durations offered."}
	}
	now := s.now()
	c.Reason, c.RequestID, c.EventIDs, c.At = strings.TrimSpace(c.Reason), s.ids.New(now), s.newIDs(now, 1), now
	o, err := s.engine.Submit(ctx, viewer, c)
	if err != nil {
		return Outcome{}, fmt.Errorf("submit for %q: %w", c.ProductID, err)
	}
	return o, s.checkActor(ctx, viewer, o)
}

// MyRequests returns viewer's requests, newest first.
func (s *Service) MyRequests(ctx context.Context, viewer Identity) ([]Request, error) {
	if err := requireSignedIn(viewer); err != nil {
		return nil, err
	}
	rs, err := s.reads.Requests(ctx, viewer.User, MyRequestsLimit)
	if err != nil {
		return nil, fmt.Errorf("my requests: %w", err)
	}
	return rs, nil
}

// Queue is the approver queue page.
type Queue struct {
	// Requests are the page's requests, at most QueueLimit, in Input's
	// order.
	Requests []Request
	// ActingAs is the role the queue is narrowed to, or "" for all of them.
	ActingAs string
	// Roles are the approver roles in the viewer's session: the choices for
	// acting as.
	Roles []string
	// NeedsGrant, for admins only, lists approved requests whose access is
	// not granted yet (the grant failed or never ran): theirs to retry.
	NeedsGrant []Request
	// Input is what the page was asked for, its Sort filled in.
	Input QueueInput
	// Products and Classifications are the filters' choices: the products
	// whose chain has a step keyed to the roles in use (and any product on
	// the page), by name, and their classifications, sorted.
	Products        []Product
	Classifications []string
	// Next is the cursor of the next page, "" on the last.
	Next string
}

// ApproverRoles returns the approver roles in viewer's session.
func (s *Service) ApproverRoles(ctx context.Context, viewer Identity) ([]string, error) {
	all, err := s.reads.ApproverRoles(ctx)
	if err != nil {
		return nil, fmt.Errorf("approver roles: %w", err)
	}
	var mine []string
	for _, r := range all {
		if viewer.HasRole(r) {
			mine = append(mine, r)
		}
	}
	return mine, nil
}

// Queue returns a page of the pending steps viewer may decide: narrowed to
// in.ActingAs when it is set (one of the viewer's in-session approver
// roles), filtered, sorted and continued after a cursor as in asks; or,
// with in.Next, the next request to decide. A malformed order, cursor or
// filter is ErrInvalid; so is a product or classification that none of the
// queue's products has (the filters offer only those).
func (s *Service) Queue(ctx context.Context, viewer Identity, in QueueInput) (Queue, error) {
	if err := requireSignedIn(viewer); err != nil {
		return Queue{}, err
	}
	sort, after, err := parseQueueInput(in)
	if err != nil {
		return Queue{}, err
	}
	in.Sort = sort
	roles, err := s.ApproverRoles(ctx, viewer)
	if err != nil {
		return Queue{}, fmt.Errorf("queue: %w", err)
	}
	q := Queue{Roles: roles, ActingAs: in.ActingAs, Input: in}
	use := roles
	if in.ActingAs != "" {
		if !slices.Contains(roles, in.ActingAs) {
			return Queue{}, Errorf(ErrForbidden, "You cannot act as %s: it is not an approver role in your session.", in.ActingAs)
		}
		use = []string{in.ActingAs}
	}
	if len(use) > 0 {
		// One more than a page: whether it comes tells whether there is a
		// next page, in the same statement.
		f := QueueFilter{Roles: use, User: viewer.User, ProductID: in.ProductID, Classification: in.Classification,
			Sort: sort, After: after, Limit: QueueLimit + 1}
		rows, err := s.reads.Queue(ctx, f)
		if err != nil {
			return Queue{}, fmt.Errorf("queue: %w", err)
		}
		if in.Next && len(rows.Requests) == 0 && after != nil {
			// Nothing after the request just decided: go round to the ones
			// the approver skipped. This second read happens only at the
			// end of the queue.
			f.After = nil
			if rows, err = s.reads.Queue(ctx, f); err != nil {
				return Queue{}, fmt.Errorf("queue: %w", err)
			}
			q.Input.After = ""
		}
		if len(rows.Requests) > QueueLimit {
			rows.Requests = rows.Requests[:QueueLimit]
			q.Next = QueueKeyOf(rows.Requests[QueueLimit-1], sort).String()
		}
		q.Requests = rows.Requests
		q.Products, q.Classifications = queueFacets(rows)
		if err := checkQueueFilters(in, q); err != nil {
			return Queue{}, err
		}
	} else if in.Filtered() || in.After != "" {
		return Queue{}, Errorf(ErrInvalid, "None of your roles approves any step, so the queue has nothing to filter or page through.")
	}
	if in.Next && len(q.Requests) > 0 {
		return q, nil // the next request is all the caller wants
	}
	if q.NeedsGrant, err = s.NeedsGrant(ctx, viewer); err != nil {
		return Queue{}, fmt.Errorf("queue: %w", err)
	}
	return q, nil
}

// queueFacets returns the filters' choices: the read's products, and any
// product on the page that they lack (its chain may have changed since the
// request was submitted), by name; and their classifications.
func queueFacets(rows QueueRows) ([]Product, []string) {
	ps := slices.Clone(rows.Products)
	for _, r := range rows.Requests {
		if !slices.ContainsFunc(ps, func(p Product) bool { return p.ID == r.ProductID }) {
			ps = append(ps, Product{ID: r.ProductID, Name: r.ProductName, Classification: r.Classification})
		}
	}
	slices.SortFunc(ps, func(a, b Product) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.ID, b.ID))
	})
	var cs []string
	for _, p := range ps {
		cs = append(cs, p.Classification)
	}
	slices.Sort(cs)
	return ps, slices.Compact(cs)
}

// checkQueueFilters refuses a product or classification filter that is
// none of the queue's choices: the select boxes cannot send one, so it came
// from an old or edited address, and an empty page would hide the mistake.
func checkQueueFilters(in QueueInput, q Queue) error {
	if in.ProductID != "" && !slices.ContainsFunc(q.Products, func(p Product) bool { return p.ID == in.ProductID }) {
		return Errorf(ErrInvalid, "No product with a step you approve has that ID. Choose a product from the list, or clear the filters.")
	}
	if in.Classification != "" && !slices.Contains(q.Classifications, in.Classification) {
		return Errorf(ErrInvalid, "No product with a step you approve has that classification. Choose one from the list, or clear the filters.")
	}
	return nil
}

// RequestPage is everything the request page shows.
type RequestPage struct {
	Request Request
	Product Product
	Events  []Event // oldest first
	// DecideRole is the role the viewer would decide the current step with,
	// or "" when the viewer may not decide it; DecideBlocked then says why
	// (empty when the viewer has nothing to do with the step).
	DecideRole    string
	DecideBlocked string
	// DecideAs, when only the acting-as choice stands in the way, is the
	// role the viewer holds that the current step needs: the page offers to
	// decide as it.
	DecideAs string
	// CanWithdraw, CanRevoke and CanRetry say which of those actions the
	// viewer may take (the engine checks again when they do).
	CanWithdraw bool
	CanRevoke   bool
	CanRetry    bool
	// CanResubmit says the viewer is the requester and an approver asked
	// them a question (Question) to answer.
	CanResubmit bool
	// CanExtend says the viewer may ask to extend the request's granted,
	// time-bound access (Service.Extend).
	CanExtend bool
	Question  *Event
	// ActingAs is the role the viewer chose to act as, if any.
	ActingAs string
	// Blocked, for a pending request, is the first step nobody can decide;
	// shown to the requester, the product's owners and admins.
	Blocked *Blocked
	// Preview, when the viewer may decide the request's last step, is what
	// approving it will grant.
	Preview *GrantPreview
}

// RequestPage returns request id as viewer may see it, in one read.
func (s *Service) RequestPage(ctx context.Context, viewer Identity, id, actingAs string) (RequestPage, error) {
	r, p, evs, err := s.requestDetail(ctx, viewer, id)
	if err != nil {
		return RequestPage{}, err
	}
	if !CanView(viewer, r, p) {
		return RequestPage{}, Errorf(ErrForbidden, "You are not part of request %s: only its requester, its approvers, the product's owners and auditors can see it.", id)
	}
	page := requestPage(viewer, r, p, evs, actingAs)
	if r.Status == StatusPending && (viewer.User == r.Requester || viewer.Admin() || viewer.HasRole(p.OwnerRole)) {
		page.Blocked = s.blocked(ctx, r.Steps, r.Requester)
	}
	if page.DecideRole != "" {
		if page.Preview, err = s.grantPreview(ctx, r); err != nil {
			return RequestPage{}, err
		}
	}
	return page, nil
}

// requestDetail reads request id, with its product and events, for a signed-in
// viewer; whether they may see it is the caller's to check.
func (s *Service) requestDetail(ctx context.Context, viewer Identity, id string) (Request, Product, []Event, error) {
	if err := requireSignedIn(viewer); err != nil {
		return Request{}, Product{}, nil, err
	}
	if !ValidID(id) {
		return Request{}, Product{}, nil, noRequest(id)
	}
	r, p, evs, err := s.reads.RequestDetail(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return Request{}, Product{}, nil, noRequest(id)
	}
	if err != nil {
		return Request{}, Product{}, nil, fmt.Errorf("request %s: %w", id, err)
	}
	return r, p, evs, nil
}

// requestPage builds the request page of r for viewer, who may see it.
func requestPage(viewer Identity, r Request, p Product, evs []Event, actingAs string) RequestPage {
	if !viewer.Auditor() {
		evs = withoutGrantErrors(evs)
	}
	page := RequestPage{Request: r, Product: p, Events: evs, ActingAs: actingAs,
		CanWithdraw: CanWithdraw(viewer, r), CanRevoke: CanRevoke(viewer, r, p), CanRetry: CanRetryGrant(viewer, r),
		CanResubmit: CanResubmit(viewer, r), CanExtend: CanExtend(viewer, r)}
	if r.Status == StatusChangesRequested {
		for i := len(evs) - 1; i >= 0; i-- {
			if evs[i].Type == EventChangesRequested {
				page.Question = &evs[i]
				break
			}
		}
	}
	if role, err := DecideRole(viewer, r, actingAs); err == nil {
		page.DecideRole = role
	} else if step, ok := r.Current(); ok && viewer.User != r.Requester && (viewer.HasRole(step.ApproverRole) || actingAs != "") {
		// The requester is not told what they cannot do: the rule that they
		// never decide their own request needs no warning on their page.
		page.DecideBlocked = Message(err)
		if role, err := DecideRole(viewer, r, ""); actingAs != "" && err == nil {
			page.DecideAs = role
		}
	}
	return page
}

// ConfirmWithdraw is the confirmation step of Withdraw: it reads request id
// and checks that viewer may withdraw it (CheckWithdraw), changing nothing.
// The page it returns asks the viewer to confirm.
func (s *Service) ConfirmWithdraw(ctx context.Context, viewer Identity, id string) (RequestPage, error) {
	return s.confirm(ctx, viewer, id, "", func(r Request, _ Product) error { return CheckWithdraw(viewer, r) })
}

// ConfirmReject is the confirmation step of a rejection: it checks the
// comment as Decide does, reads request id and checks that viewer may
// decide the step they saw (CheckDecide), changing nothing.
func (s *Service) ConfirmReject(ctx context.Context, viewer Identity, id string, in DecisionInput) (RequestPage, error) {
	if err := requireSignedIn(viewer); err != nil {
		return RequestPage{}, err
	}
	if !ValidID(id) {
		return RequestPage{}, noRequest(id)
	}
	if err := ValidateComment(DecisionReject, in.Comment); err != nil {
		return RequestPage{}, err
	}
	if in.ActingAs != "" && !ValidIdentifier(in.ActingAs) {
		return RequestPage{}, Errorf(ErrForbidden, "You chose to act as %s, but that role is not in your session.", in.ActingAs)
	}
	return s.confirm(ctx, viewer, id, in.ActingAs, func(r Request, _ Product) error {
		return CheckDecide(viewer, r, in.Step, in.ActingAs)
	})
}

// ConfirmRevoke is the confirmation step of Revoke: it checks the reason as
// Revoke does, reads request id and checks that viewer may revoke its
// access (CheckRevoke), changing nothing.
func (s *Service) ConfirmRevoke(ctx context.Context, viewer Identity, id, reason string) (RequestPage, error) {
	if err := requireSignedIn(viewer); err != nil {
		return RequestPage{}, err
	}
	if !ValidID(id) {
		return RequestPage{}, noRequest(id)
	}
	if err := ValidateRevokeReason(reason); err != nil {
		return RequestPage{}, err
	}
	return s.confirm(ctx, viewer, id, "", func(r Request, p Product) error { return CheckRevoke(viewer, r, p) })
}

// confirm reads request id for a confirmation step and refuses, as the
// action would, when check does. Someone the action allows may always see
// the request; CanView is checked anyway, so that a confirmation never shows
// more than the request page would.
func (s *Service) confirm(ctx context.Context, viewer Identity, id, actingAs string, check func(Request, Product) error) (RequestPage, error) {
	r, p, evs, err := s.requestDetail(ctx, viewer, id)
	if err != nil {
		return RequestPage{}, err
	}
	if err := check(r, p); err != nil {
		return RequestPage{}, err
	}
	if !CanView(viewer, r, p) {
		return RequestPage{}, Errorf(ErrForbidden, "You are not part of request %s.", id)
	}
	return requestPage(viewer, r, p, evs, actingAs), nil
}

// withoutGrantErrors returns evs with the details of failed grants removed:
// they carry Snowflake's own error text, which is for admins, auditors and
// the log, not for requesters and approvers.
func withoutGrantErrors(evs []Event) []Event {
	out := slices.Clone(evs)
	for i := range out {
		if out[i].Type == EventGrantFailed {
			out[i].Details = ""
		}
	}
	return out
}

// DecisionInput is an approver's decision as submitted.
type DecisionInput struct {
	Decision Decision
	Comment  string
	// Step is the step the approver saw when deciding; 0 means the current
	// one. A stale page therefore cannot decide a later step by accident.
	Step     int
	ActingAs string
	// Days, if not 0, approves for a shorter duration than the request
	// holds (approvals only).
	Days int
}

// Decide records viewer's decision on request id's current step: one call
// of the engine, which checks separation of duties against the viewer's own
// session and, on the final approval, runs the grant in the same call. The
// outcome says where the request now stands (GRANTED or GRANT_FAILED after a
// final approval; APPROVED if the grant could not even be recorded).
func (s *Service) Decide(ctx context.Context, viewer Identity, id string, in DecisionInput) (Outcome, error) {
	if err := requireSignedIn(viewer); err != nil {
		return Outcome{}, err
	}
	if !ValidID(id) {
		return Outcome{}, noRequest(id)
	}
	if in.Decision != DecisionApprove && in.Decision != DecisionReject && in.Decision != DecisionChanges {
		return Outcome{}, Problems{"decision": "Choose approve, reject or request changes."}
	}
	if in.Days < 0 || in.Days > MaxDays || in.Days > 0 && in.Decision != DecisionApprove {
		return Outcome{}, Problems{"days": "Choose a duration no longer than the request's."}
	}
	if err := ValidateComment(in.Decision, in.Comment); err != nil {
		return Outcome{}, err
	}
	if in.ActingAs != "" && !ValidIdentifier(in.ActingAs) {
		return Outcome{}, Errorf(ErrForbidden, "You chose to act as %s, but that role is not in your session.", in.ActingAs)
	}
	now := s.now()
	o, err := s.engine.Decide(ctx, viewer, DecideCall{RequestID: id, Step: in.Step, Decision: in.Decision,
		Comment: strings.TrimSpace(in.Comment), ActingAs: in.ActingAs, Days: in.Days, EventIDs: s.newIDs(now, 3), At: now})
	if err != nil {
		return Outcome{}, fmt.Errorf("decide %s: %w", id, err)
	}
	if o.OK() && o.Status == StatusApproved {
		// The approval is committed, but the grant's outcome was not
		// recorded: the request stays visibly APPROVED ("awaiting grant")
		// for an admin to retry; the approver is not told their decision
		// failed.
		s.Log.ErrorContext(ctx, "the grant did not record an outcome after the final approval; the request stays APPROVED",
			"access_request", id, "err", o.GrantError)
	}
	return o, s.checkActor(ctx, viewer, o)
}

// Resubmit answers the approver's question on viewer's request id and
// sends it back to the step that asked, with a new business reason if
// reason is not empty.
func (s *Service) Resubmit(ctx context.Context, viewer Identity, id, answer, reason string) error {
	if err := requireSignedIn(viewer); err != nil {
		return err
	}
	if !ValidID(id) {
		return noRequest(id)
	}
	if err := ValidateAnswer(answer); err != nil {
		return err
	}
	if strings.TrimSpace(reason) != "" {
		if err := ValidateReason(reason); err != nil {
			return err
		}
	}
	now := s.now()
	o, err := s.engine.Resubmit(ctx, viewer, ResubmitCall{RequestID: id, Answer: strings.TrimSpace(answer),
		Reason: strings.TrimSpace(reason), EventIDs: s.newIDs(now, 1), At: now})
	if err != nil {
		return fmt.Errorf("resubmit %s: %w", id, err)
	}
	return s.checkActor(ctx, viewer, o)
}

// Withdraw withdraws viewer's pending request id.
func (s *Service) Withdraw(ctx context.Context, viewer Identity, id string) error {
	if err := requireSignedIn(viewer); err != nil {
		return err
	}
	if !ValidID(id) {
		return noRequest(id)
	}
	now := s.now()
	o, err := s.engine.Withdraw(ctx, viewer, WithdrawCall{RequestID: id, EventIDs: s.newIDs(now, 1), At: now})
	if err != nil {
		return fmt.Errorf("withdraw %s: %w", id, err)
	}
	return s.checkActor(ctx, viewer, o)
}

// Revoke takes back the access granted by request id. Admins and the
// product's owners may; the engine checks.
func (s *Service) Revoke(ctx context.Context, viewer Identity, id, reason string) error {
	if err := requireSignedIn(viewer); err != nil {
		return err
	}
	if !ValidID(id) {
		return noRequest(id)
	}
	if err := ValidateRevokeReason(reason); err != nil {
		return err
	}
	now := s.now()
	o, err := s.engine.Revoke(ctx, viewer, RevokeCall{RequestID: id, Reason: strings.TrimSpace(reason),
		EventIDs: s.newIDs(now, 1), At: now})
	if err != nil {
		return fmt.Errorf("revoke %s: %w", id, err)
	}
	return s.checkActor(ctx, viewer, o)
}

// RetryGrant runs the grant again for a request whose grant failed (or never
// ran). It is idempotent: a request already granted is a conflict, not a
// second grant.
func (s *Service) RetryGrant(ctx context.Context, viewer Identity, id string) (Status, error) {
	if err := requireSignedIn(viewer); err != nil {
		return "", err
	}
	if !ValidID(id) {
		return "", noRequest(id)
	}
	now := s.now()
	o, err := s.engine.RetryGrant(ctx, viewer, RetryCall{RequestID: id, EventIDs: s.newIDs(now, 1), At: now})
	if err != nil {
		return "", fmt.Errorf("retry grant %s: %w", id, err)
	}
	if err := s.checkActor(ctx, viewer, o); err != nil {
		return "", err
	}
	return o.Status, nil
}

// checkActor turns a refusal into its error and checks that the engine
// acted for the viewer the app believes it serves. On Snowflake the actor is
// the user of the session the call ran in; a different one means the
// ingress's user header and its token disagree. The call already happened,
// attributed to the token's real owner, so this is a sign-in problem to
// report, not a change to undo.
func (s *Service) checkActor(ctx context.Context, viewer Identity, o Outcome) error {
	if err := o.Err(); err != nil {
		return err
	}
	if o.Actor != "" && o.Actor != viewer.User {
		s.Log.ErrorContext(ctx, "the engine acted for another user than the app's viewer",
			"viewer", viewer.User, "actor", o.Actor, "access_request", o.RequestID)
		return Errorf(ErrUnauthenticated, "Your Snowflake session belongs to %s, not %s. Sign in to Snowflake again.", o.Actor, viewer.User)
	}
	return nil
}

// newIDs returns n fresh IDs for the events an action may write.
func (s *Service) newIDs(now time.Time, n int) []string {
	s.noteAction(now)
	ids := make([]string, n)
	for i := range ids {
		ids[i] = s.ids.New(now)
	}
	return ids
}

// AuditPage is one page of the audit log.
type AuditPage struct {
	Filter EventFilter
	Events []Event
	// Next is the keyset cursor for the next (older) page: the position
	// (Seq) of the page's oldest event; 0 on the last page.
	Next int
	// Digest is the newest digest and whether the log matched it when
	// TakeDigest last compared them.
	Digest DigestStatus
}

// Audit returns one page of audit events matching f. Admins and auditors
// see everything.
func (s *Service) Audit(ctx context.Context, viewer Identity, f EventFilter) (AuditPage, error) {
	if err := checkAudit(viewer, f); err != nil {
		return AuditPage{}, err
	}
	if f.Limit <= 0 || f.Limit > AuditPageSize {
		f.Limit = AuditPageSize
	}
	want := f.Limit
	f.Limit++ // one more tells whether there is a next page
	evs, err := s.reads.Events(ctx, f)
	if err != nil {
		return AuditPage{}, fmt.Errorf("audit: %w", err)
	}
	f.Limit = want
	page := AuditPage{Filter: f, Events: evs, Digest: s.digestStatus()}
	if len(evs) > want {
		page.Events = evs[:want]
		page.Next = evs[want-1].Seq
	}
	return page, nil
}

// AuditExport returns up to limit events matching f for a CSV download.
func (s *Service) AuditExport(ctx context.Context, viewer Identity, f EventFilter, limit int) ([]Event, error) {
	if err := checkAudit(viewer, f); err != nil {
		return nil, err
	}
	f.Limit = limit
	evs, err := s.reads.Events(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("audit export: %w", err)
	}
	return evs, nil
}

// VerifyAudit checks the whole audit log, and the log against every digest
// kept; for admins and auditors.
func (s *Service) VerifyAudit(ctx context.Context, viewer Identity) (LedgerReport, error) {
	if err := checkAudit(viewer, EventFilter{}); err != nil {
		return LedgerReport{}, err
	}
	digests, err := s.digests(ctx)
	if err != nil {
		return LedgerReport{}, fmt.Errorf("verify audit: %w", err)
	}
	rep, err := s.reads.VerifyLedger(ctx, digests)
	if err != nil {
		return LedgerReport{}, fmt.Errorf("verify audit: %w", err)
	}
	rep.Checked = s.now()
	if s.Anchor != nil {
		rep.Anchor = s.Anchor.Where()
	}
	return rep, nil
}

// NeedsGrant lists the requests whose access is approved but not granted
// (APPROVED after a crash or an error, or GRANT_FAILED), for admins, who may
// retry them. Nothing approved is ever silently left without access.
func (s *Service) NeedsGrant(ctx context.Context, viewer Identity) ([]Request, error) {
	if !viewer.Admin() {
		return nil, nil
	}
	rs, err := s.reads.RequestsIn(ctx, []Status{StatusApproved, StatusGrantFailed}, QueueLimit)
	if err != nil {
		return nil, fmt.Errorf("needs grant: %w", err)
	}
	return rs, nil
}

// MalformedCursor is the problem with an audit page cursor that is not a
// position in the log.
const MalformedCursor = "The page cursor is malformed; start again from the first page."

// checkAudit checks that viewer may read the audit log and that f's cursor
// is well-formed. A signed-out visitor is asked to sign in, as on every
// other page, rather than told they may not.
func checkAudit(viewer Identity, f EventFilter) error {
	if err := requireSignedIn(viewer); err != nil {
		return err
	}
	if !viewer.Auditor() {
		return Errorf(ErrForbidden, "The audit log is for admins (%s) and auditors (%s).", RoleAdmin, RoleAuditor)
	}
	if f.Before < 0 {
		return Problems{"before": MalformedCursor}
	}
	return nil
}
