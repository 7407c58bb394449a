package signoff

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Who has access, and the inspection pages (docs/design.md, URL contract):
// a product's active grants for its owners, admins and auditors; every
// request and every active grant for admins and auditors; and what a final
// approval will grant, for the approver who gives it.

// Page sizes of the inspection pages.
const (
	// GrantsLimit bounds one read of active grants: a page of who has
	// access lists them all up to it, and says when there are more.
	GrantsLimit = 1000
	// RequestsPageSize is how many requests /admin/requests shows a page.
	RequestsPageSize = 50
)

// Grant is active access: a GRANTED request (without its steps) and when
// its grant ran. GrantedAt is the request's UpdatedAt: the grant is the
// last change of a GRANTED request's row (sqlstore.MarkGranted), and the
// ledger's verifier holds the row's time to its ACCESS_GRANTED event's.
type Grant struct {
	Request   Request
	GrantedAt time.Time
}

// Until is when the access ends, and false for permanent access.
func (g Grant) Until() (time.Time, bool) {
	return g.Request.ExpiresAt, !g.Request.ExpiresAt.IsZero()
}

// GrantFilter selects active grants (Reads.Grants). Empty fields match
// every grant.
type GrantFilter struct {
	ProductID string
	User      string // the requester who holds the access, exactly
	Limit     int
}

// RequestFilter selects requests for /admin/requests (Reads.AllRequests).
// Zero fields match every request.
type RequestFilter struct {
	Status         Status
	ProductID      string
	Classification string
	// Requester is part of the requester's name, in any case.
	Requester string
	// From (inclusive) and To (exclusive) bound when the request was made.
	From, To time.Time
	// After, a request ID, keeps only the requests after it in the order
	// (newest first): keyset paging.
	After string
	Limit int
}

// AccessPage is who has access to one product.
type AccessPage struct {
	Product Product
	Grants  []Grant // newest grant first
	// More says there are more grants than the page lists (GrantsLimit).
	More bool
	// CanRevoke says the viewer may revoke the grants listed (the engine
	// checks again when they do).
	CanRevoke bool
}

// CanSeeAccess reports whether viewer may see who has access to p: its
// owners (members of its owner role), admins and auditors.
func CanSeeAccess(viewer Identity, p Product) bool {
	return !viewer.Anonymous() && (viewer.Auditor() || (p.OwnerRole != "" && viewer.HasRole(p.OwnerRole)))
}

// ProductAccess returns who has access to product id: its active grants,
// newest first. The product comes from the catalog (cached on Snowflake),
// the grants from one read.
func (s *Service) ProductAccess(ctx context.Context, viewer Identity, id string) (AccessPage, error) {
	if err := requireSignedIn(viewer); err != nil {
		return AccessPage{}, err
	}
	p, err := s.catalogProduct(ctx, id)
	if err != nil {
		return AccessPage{}, err
	}
	if !CanSeeAccess(viewer, p) {
		return AccessPage{}, Errorf(ErrForbidden, "Who has access to %s is for its owners (%s), admins and auditors.", p.Name, p.OwnerRole)
	}
	gs, err := s.reads.Grants(ctx, GrantFilter{ProductID: p.ID, Limit: GrantsLimit + 1})
	if err != nil {
		return AccessPage{}, fmt.Errorf("access to %s: %w", id, err)
	}
	page := AccessPage{Product: p, Grants: gs, CanRevoke: viewer.Admin() || viewer.HasRole(p.OwnerRole)}
	if len(gs) > GrantsLimit {
		page.Grants, page.More = gs[:GrantsLimit], true
	}
	return page, nil
}

// catalogProduct returns catalog product id (ErrNotFound when there is none).
func (s *Service) catalogProduct(ctx context.Context, id string) (Product, error) {
	ps, err := s.products(ctx)
	if err != nil {
		return Product{}, err
	}
	for _, p := range ps {
		if p.ID == id {
			return p, nil
		}
	}
	return Product{}, noProduct(id)
}

// products returns the whole catalog (cached on Snowflake).
func (s *Service) products(ctx context.Context) ([]Product, error) {
	ps, err := s.reads.Products(ctx)
	if err != nil {
		return nil, fmt.Errorf("products: %w", err)
	}
	return ps, nil
}

// requireAuditor refuses everyone but admins and auditors, as the
// inspection pages and the SQL API's lists do (NOT_AUDITOR).
// RequireAuditor refuses a viewer who is not an auditor or an admin: for
// pages that read everything and need no read of their own (the Admin
// index).
func RequireAuditor(viewer Identity) error { return requireAuditor(viewer) }

func requireAuditor(viewer Identity) error {
	if err := requireSignedIn(viewer); err != nil {
		return err
	}
	if !viewer.Auditor() {
		return Outcome{Code: CodeNotAuditor}.Err()
	}
	return nil
}

// RequestsInput is what /admin/requests asks for. Zero fields mean no
// filter and the first page.
type RequestsInput struct {
	Status         string
	ProductID      string
	Classification string
	Requester      string
	From, To       time.Time // From inclusive, To exclusive
	After          string    // the last request ID of the previous page
}

// RequestsPage is a page of every request, newest first.
type RequestsPage struct {
	Requests []Request // without their steps
	// Next is the cursor of the next page ("" on the last).
	Next string
	// Products and Classifications are the filters' choices.
	Products        []Product
	Classifications []string
}

// maxRequesterFilter bounds the requester filter: a user name's length.
const maxRequesterFilter = MaxUserNameLength

// AllRequests returns a page of every request matching in, newest first,
// for admins and auditors. A status, product or classification that is not
// one of the choices is ErrInvalid (Problems, by field), as is a malformed
// cursor.
func (s *Service) AllRequests(ctx context.Context, viewer Identity, in RequestsInput) (RequestsPage, error) {
	if err := requireAuditor(viewer); err != nil {
		return RequestsPage{}, err
	}
	ps, err := s.products(ctx)
	if err != nil {
		return RequestsPage{}, err
	}
	page := RequestsPage{Products: ps, Classifications: classificationsOf(ps)}
	problems := Problems{}
	if in.Status != "" && !slices.Contains(Statuses, Status(in.Status)) {
		problems["status"] = "Choose a status from the list."
	}
	if in.ProductID != "" && !slices.ContainsFunc(ps, func(p Product) bool { return p.ID == in.ProductID }) {
		problems["product"] = "Choose a product from the list."
	}
	if in.Classification != "" && !slices.Contains(page.Classifications, in.Classification) {
		problems["classification"] = "Choose a classification from the list."
	}
	if utf8.RuneCountInString(in.Requester) > maxRequesterFilter || !utf8.ValidString(in.Requester) {
		problems["requester"] = "A requester's name is at most 255 characters."
	}
	if in.After != "" && !ValidID(in.After) {
		problems["after"] = MalformedCursor
	}
	if !in.From.IsZero() && !in.To.IsZero() && !in.From.Before(in.To) {
		problems["to"] = "The end date must not be before the start date."
	}
	if len(problems) > 0 {
		return page, problems
	}
	f := RequestFilter{Status: Status(in.Status), ProductID: in.ProductID, Classification: in.Classification,
		Requester: strings.TrimSpace(in.Requester), From: in.From, To: in.To, After: in.After, Limit: RequestsPageSize + 1}
	rs, err := s.reads.AllRequests(ctx, f)
	if err != nil {
		return page, fmt.Errorf("all requests: %w", err)
	}
	page.Requests = rs
	if len(rs) > RequestsPageSize {
		page.Requests = rs[:RequestsPageSize]
		page.Next = rs[RequestsPageSize-1].ID
	}
	return page, nil
}

// classificationsOf returns the classifications of ps, sorted, once each.
func classificationsOf(ps []Product) []string {
	var out []string
	for _, p := range ps {
		if p.Classification != "" {
			out = append(out, p.Classification)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// GrantsBy is how /admin/grants groups the active grants.
type GrantsBy string

// The groupings of /admin/grants.
const (
	GrantsByProduct GrantsBy = "product" // the default
	GrantsByUser    GrantsBy = "user"
)

// GrantsInput is what /admin/grants asks for.
type GrantsInput struct {
	By        GrantsBy // "" means GrantsByProduct
	ProductID string
	User      string
}

// GrantGroup is the active grants of one product or one user.
type GrantGroup struct {
	// Key is the product's ID or the user's name; Label what people read.
	Key, Label string
	Grants     []Grant
}

// GrantsPage is every active grant, grouped.
type GrantsPage struct {
	By       GrantsBy
	Groups   []GrantGroup
	Total    int
	More     bool // there are more than GrantsLimit
	Products []Product
}

// AllGrants returns every active grant matching in, grouped by product or
// by user, for admins and auditors. A grouping or product that is not one
// of the choices, or a user name Snowflake could not have, is ErrInvalid.
func (s *Service) AllGrants(ctx context.Context, viewer Identity, in GrantsInput) (GrantsPage, error) {
	if err := requireAuditor(viewer); err != nil {
		return GrantsPage{}, err
	}
	ps, err := s.products(ctx)
	if err != nil {
		return GrantsPage{}, err
	}
	by := cmp.Or(in.By, GrantsByProduct)
	page := GrantsPage{By: by, Products: ps}
	problems := Problems{}
	if by != GrantsByProduct && by != GrantsByUser {
		page.By = GrantsByProduct
		problems["by"] = `Group the grants by "product" or "user".`
	}
	if in.ProductID != "" && !slices.ContainsFunc(ps, func(p Product) bool { return p.ID == in.ProductID }) {
		problems["product"] = "Choose a product from the list."
	}
	if in.User != "" && !ValidUserName(in.User) {
		problems["user"] = "That is not a user name Snowflake could have (1 to 255 characters, no control characters)."
	}
	if len(problems) > 0 {
		return page, problems
	}
	gs, err := s.reads.Grants(ctx, GrantFilter{ProductID: in.ProductID, User: in.User, Limit: GrantsLimit + 1})
	if err != nil {
		return page, fmt.Errorf("all grants: %w", err)
	}
	if len(gs) > GrantsLimit {
		gs, page.More = gs[:GrantsLimit], true
	}
	page.Total = len(gs)
	page.Groups = groupGrants(gs, page.By)
	return page, nil
}

// groupGrants groups gs (newest first) by product name or user name, the
// groups in name order and each group's grants newest first.
func groupGrants(gs []Grant, by GrantsBy) []GrantGroup {
	key := func(g Grant) (string, string) { return g.Request.ProductID, g.Request.ProductName }
	if by == GrantsByUser {
		key = func(g Grant) (string, string) { return g.Request.Requester, g.Request.Requester }
	}
	var groups []GrantGroup
	at := map[string]int{}
	for _, g := range gs {
		k, label := key(g)
		i, ok := at[k]
		if !ok {
			i = len(groups)
			at[k] = i
			groups = append(groups, GrantGroup{Key: k, Label: label})
		}
		groups[i].Grants = append(groups[i].Grants, g)
	}
	slices.SortStableFunc(groups, func(a, b GrantGroup) int {
		return cmp.Or(cmp.Compare(a.Label, b.Label), cmp.Compare(a.Key, b.Key))
	})
	return groups
}

// GrantStatement is the GRANT a grant of role to user runs: both names
// quoted as identifiers, exactly as sqlstore.CheckGrant builds the
// statement the engine runs (a test holds them equal).
func GrantStatement(role, user string) string {
	return "GRANT ROLE " + QuoteIdentifier(role) + " TO USER " + QuoteIdentifier(user)
}

// GrantPreview is what approving the last step will do: shown to the
// approver who gives it, before they do.
type GrantPreview struct {
	// Statement is the GRANT that runs (GrantStatement).
	Statement string
	Role      string
	User      string
	// Days is the duration the request holds (0: permanent); the approver
	// may approve for a shorter one.
	Days int
	// ExpiresIfNow is when the access would end if granted at the time the
	// page was made; zero for permanent access.
	ExpiresIfNow time.Time
	// AlreadyHeld lists the requester's other active grants of the same
	// role: the GRANT changes nothing in Snowflake while one stands, but
	// this request becomes one more reason to hold it.
	AlreadyHeld []Grant
}

// grantPreview returns the preview of what approving r's current step
// grants, when that step is the last one; nil otherwise. It reads the
// requester's active grants, to say when one already justifies the role.
func (s *Service) grantPreview(ctx context.Context, r Request) (*GrantPreview, error) {
	if r.Status != StatusPending || r.CurrentStep != r.StepCount || r.StepCount == 0 {
		return nil, nil
	}
	p := &GrantPreview{Statement: GrantStatement(r.AccessRole, r.Requester), Role: r.AccessRole, User: r.Requester,
		Days: r.DurationDays}
	if r.DurationDays > 0 {
		p.ExpiresIfNow = s.now().Add(time.Duration(r.DurationDays) * 24 * time.Hour)
	}
	gs, err := s.reads.Grants(ctx, GrantFilter{User: r.Requester, Limit: GrantsLimit})
	if err != nil {
		return nil, fmt.Errorf("grant preview of %s: %w", r.ID, err)
	}
	for _, g := range gs {
		if g.Request.AccessRole == r.AccessRole && g.Request.ID != r.ID {
			p.AlreadyHeld = append(p.AlreadyHeld, g)
		}
	}
	return p, nil
}
