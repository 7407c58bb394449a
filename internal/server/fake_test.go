package server_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/server"
	"github.com/signoff/signoff/internal/signoff"
)

// fakeWorkflow is the server.Workflow of tests of the HTTP layer alone. It
// records every call. Each method answers with its on* func when the test
// set one; otherwise a signed-out viewer gets ErrUnauthenticated (as from
// the real service) and anyone else the canned answer about the fake's
// small world: one product (fakeProduct) and one request for it
// (fakeRequestID); any other ID is not found.
type fakeWorkflow struct {
	mu    sync.Mutex
	calls []fakeCall

	onCatalog     func(v signoff.Identity, f signoff.ProductFilter, page int) (signoff.Catalog, error)
	onAllProducts func(v signoff.Identity) ([]signoff.Product, error)
	onProduct     func(v signoff.Identity, id string) (signoff.ProductPage, error)
	onSubmit      func(v signoff.Identity, productID, reason string) (signoff.Outcome, error)
	onMyRequests  func(v signoff.Identity) ([]signoff.Request, error)
	onQueue       func(v signoff.Identity, in signoff.QueueInput) (signoff.Queue, error)
	onRequestPage func(v signoff.Identity, id, actingAs string) (signoff.RequestPage, error)
	onDecide      func(v signoff.Identity, id string, in signoff.DecisionInput) (signoff.Outcome, error)
	onWithdraw    func(v signoff.Identity, id string) error
	onResubmit    func(v signoff.Identity, id, answer, reason string) error
	onRevoke      func(v signoff.Identity, id, reason string) error
	onConfirm     func(method string, v signoff.Identity, id string) (signoff.RequestPage, error)
	onRetryGrant  func(v signoff.Identity, id string) (signoff.Status, error)
	onAudit       func(v signoff.Identity, f signoff.EventFilter) (signoff.AuditPage, error)
	onAuditExport func(v signoff.Identity, f signoff.EventFilter, limit int) ([]signoff.Event, error)
	onVerifyAudit func(v signoff.Identity) (signoff.LedgerReport, error)
	onDiagnose    func(v signoff.Identity) (signoff.Checks, error)
}

var _ server.Workflow = (*fakeWorkflow)(nil)

// fakeCall is one call the server made: the method, the viewer and the
// arguments after the viewer.
type fakeCall struct {
	Method string
	Viewer signoff.Identity
	Args   []any
}

// String makes a call readable in failure messages.
func (c fakeCall) String() string { return fmt.Sprintf("%s(%s, %v)", c.Method, c.Viewer.User, c.Args) }

// arg returns the call's i'th argument after the viewer as a string (IDs,
// reasons), or "" if it is not one.
func (c fakeCall) arg(i int) string {
	if i < len(c.Args) {
		s, _ := c.Args[i].(string)
		return s
	}
	return ""
}

// actionMethods are the workflow methods that change something.
var actionMethods = []string{"Submit", "Decide", "Withdraw", "Revoke", "RetryGrant", "Resubmit", "Extend", "Diagnose"}

func (w *fakeWorkflow) record(method string, v signoff.Identity, args ...any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls = append(w.calls, fakeCall{Method: method, Viewer: v, Args: args})
}

// takeCalls returns the calls recorded so far and forgets them.
func (w *fakeWorkflow) takeCalls() []fakeCall {
	w.mu.Lock()
	defer w.mu.Unlock()
	calls := w.calls
	w.calls = nil
	return calls
}

// during forgets the calls so far, runs fn and returns its response and the
// calls it caused.
func (w *fakeWorkflow) during(fn func() response) (response, []fakeCall) {
	w.takeCalls()
	res := fn()
	return res, w.takeCalls()
}

// callsTo returns the calls of method among calls.
func callsTo(calls []fakeCall, method string) []fakeCall {
	var out []fakeCall
	for _, c := range calls {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// actions returns the calls among calls that would change something.
func actions(calls []fakeCall) []fakeCall {
	var out []fakeCall
	for _, c := range calls {
		if slices.Contains(actionMethods, c.Method) {
			out = append(out, c)
		}
	}
	return out
}

// The fake's world.
var (
	fakeProduct = signoff.Product{
		ID: "ledger-101", Name: "Ledger 101", Description: "Journal lines of the test ledger.",
		Owner: "Finance team", OwnerRole: "LEDGER_OWNER", Domain: "Finance", Classification: "INTERNAL",
		Tags: []string{"finance"}, AccessRole: "LEDGER_101_READ",
		Columns: []signoff.Column{{Name: "LINE_ID", Type: "NUMBER"}, {Name: "AMOUNT", Type: "NUMBER", Sensitive: true}},
		Chain: []signoff.ChainStep{{Order: 1, ApproverRole: "LINE_MANAGER", Label: "Line manager"},
			{Order: 2, ApproverRole: "LEDGER_OWNER", Label: "Data owner"}, {Order: 3, ApproverRole: "DPO", Label: "Data protection"}},
	}
	fakeTime = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
)

// fakeRequestID is the fake's one request: BEN's, pending at step 2.
const fakeRequestID = "01JDQ3Z8W6T1V4K9M2N5P7R0SX"

// fakeRequest returns the fake's request.
func fakeRequest() signoff.Request {
	r := signoff.Request{ID: fakeRequestID, ProductID: fakeProduct.ID, ProductName: fakeProduct.Name,
		Classification: fakeProduct.Classification, AccessRole: fakeProduct.AccessRole, Requester: "BEN",
		Reason: "Quarter-end reconciliation needs the journal lines.", Status: signoff.StatusPending,
		CurrentStep: 2, StepCount: len(fakeProduct.Chain), CreatedAt: fakeTime, UpdatedAt: fakeTime.Add(time.Hour)}
	for _, s := range fakeProduct.Chain {
		r.Steps = append(r.Steps, signoff.Step{Order: s.Order, Label: s.Label, ApproverRole: s.ApproverRole})
	}
	r.Steps[0].Decision, r.Steps[0].DecidedBy, r.Steps[0].ActorRole, r.Steps[0].DecidedAt =
		signoff.DecisionApprove, "MARCO", "LINE_MANAGER", fakeTime.Add(time.Hour)
	return r
}

// fakeRequestPage is the request page of the fake's request for viewer,
// acting as actingAs: the decision form is offered when the viewer holds the
// current step's role (and acts as it, if acting as anything).
func fakeRequestPage(viewer signoff.Identity, actingAs string) signoff.RequestPage {
	r := fakeRequest()
	rp := signoff.RequestPage{Request: r, Product: fakeProduct, ActingAs: actingAs, Events: []signoff.Event{
		{ID: "01JDQ3Z8W6T1V4K9M2N5P7R0E1", Time: r.CreatedAt, RequestID: r.ID, ProductID: r.ProductID, Actor: r.Requester,
			Type: signoff.EventRequestSubmitted, Comment: r.Reason},
	}}
	if step, _ := r.Current(); viewer.HasRole(step.ApproverRole) && (actingAs == "" || actingAs == step.ApproverRole) {
		rp.DecideRole = step.ApproverRole
	}
	return rp
}

func signedIn(v signoff.Identity) error {
	if v.Anonymous() {
		return signoff.Errorf(signoff.ErrUnauthenticated, "Please sign in.")
	}
	return nil
}

func noRequest(id string) error {
	return signoff.Errorf(signoff.ErrNotFound, "There is no request %q.", id)
}

func noProduct(id string) error {
	return signoff.Errorf(signoff.ErrNotFound, "There is no data product %q.", id)
}

// knownRequest is nil for the fake's request, else not found.
func knownRequest(id string) error {
	if id != fakeRequestID {
		return noRequest(id)
	}
	return nil
}

func (w *fakeWorkflow) Catalog(_ context.Context, v signoff.Identity, f signoff.ProductFilter, page int) (signoff.Catalog, error) {
	w.record("Catalog", v, f, page)
	if w.onCatalog != nil {
		return w.onCatalog(v, f, page)
	}
	if err := signedIn(v); err != nil {
		return signoff.Catalog{}, err
	}
	return signoff.Catalog{Products: []signoff.Product{fakeProduct}, Matched: 1, Total: 1, Page: 1, Pages: 1,
		Tags: fakeProduct.Tags, Classifications: []string{fakeProduct.Classification}}, nil
}

func (w *fakeWorkflow) AllProducts(_ context.Context, v signoff.Identity) ([]signoff.Product, error) {
	w.record("AllProducts", v)
	if w.onAllProducts != nil {
		return w.onAllProducts(v)
	}
	if err := signedIn(v); err != nil {
		return nil, err
	}
	return []signoff.Product{fakeProduct}, nil
}

func (w *fakeWorkflow) Product(_ context.Context, v signoff.Identity, id string) (signoff.ProductPage, error) {
	w.record("Product", v, id)
	if w.onProduct != nil {
		return w.onProduct(v, id)
	}
	if err := signedIn(v); err != nil {
		return signoff.ProductPage{}, err
	}
	if id != fakeProduct.ID {
		return signoff.ProductPage{}, noProduct(id)
	}
	return signoff.ProductPage{Product: fakeProduct, Steps: signoff.ResolveChain(fakeProduct, false)}, nil
}

func (w *fakeWorkflow) Submit(_ context.Context, v signoff.Identity, productID, reason string, days int) (signoff.Outcome, error) {
	w.record("Submit", v, productID, reason, days)
	if w.onSubmit != nil {
		return w.onSubmit(v, productID, reason)
	}
	if err := signedIn(v); err != nil {
		return signoff.Outcome{}, err
	}
	if productID != fakeProduct.ID {
		return signoff.Outcome{}, noProduct(productID)
	}
	return signoff.Outcome{Code: signoff.CodeOK, Actor: v.User, RequestID: fakeRequestID, ProductID: fakeProduct.ID,
		ProductName: fakeProduct.Name, Status: signoff.StatusPending, CurrentStep: 1, StepCount: len(fakeProduct.Chain)}, nil
}

func (w *fakeWorkflow) MyRequests(_ context.Context, v signoff.Identity) ([]signoff.Request, error) {
	w.record("MyRequests", v)
	if w.onMyRequests != nil {
		return w.onMyRequests(v)
	}
	return nil, signedIn(v)
}

func (w *fakeWorkflow) Queue(_ context.Context, v signoff.Identity, in signoff.QueueInput) (signoff.Queue, error) {
	w.record("Queue", v, in)
	if w.onQueue != nil {
		return w.onQueue(v, in)
	}
	return signoff.Queue{ActingAs: in.ActingAs, Input: in}, signedIn(v)
}

func (w *fakeWorkflow) RequestPage(_ context.Context, v signoff.Identity, id, actingAs string) (signoff.RequestPage, error) {
	w.record("RequestPage", v, id, actingAs)
	if w.onRequestPage != nil {
		return w.onRequestPage(v, id, actingAs)
	}
	if err := signedIn(v); err != nil {
		return signoff.RequestPage{}, err
	}
	if err := knownRequest(id); err != nil {
		return signoff.RequestPage{}, err
	}
	return fakeRequestPage(v, actingAs), nil
}

func (w *fakeWorkflow) Decide(_ context.Context, v signoff.Identity, id string, in signoff.DecisionInput) (signoff.Outcome, error) {
	w.record("Decide", v, id, in)
	if w.onDecide != nil {
		return w.onDecide(v, id, in)
	}
	if err := signedIn(v); err != nil {
		return signoff.Outcome{}, err
	}
	if err := knownRequest(id); err != nil {
		return signoff.Outcome{}, err
	}
	return signoff.Outcome{Code: signoff.CodeOK, Actor: v.User, RequestID: id, Status: signoff.StatusPending,
		CurrentStep: 3, StepCount: 3, StepLabel: "Data protection", StepRole: "DPO"}, nil
}

func (w *fakeWorkflow) Extend(_ context.Context, v signoff.Identity, productID, grantID, reason string, days int) (signoff.Outcome, error) {
	w.record("Extend", v, productID, grantID, reason, days)
	if err := signedIn(v); err != nil {
		return signoff.Outcome{}, err
	}
	return signoff.Outcome{}, knownRequest(grantID)
}

func (w *fakeWorkflow) Resubmit(_ context.Context, v signoff.Identity, id, answer, reason string) error {
	w.record("Resubmit", v, id, answer, reason)
	if w.onResubmit != nil {
		return w.onResubmit(v, id, answer, reason)
	}
	if err := signedIn(v); err != nil {
		return err
	}
	return knownRequest(id)
}

func (w *fakeWorkflow) Withdraw(_ context.Context, v signoff.Identity, id string) error {
	w.record("Withdraw", v, id)
	if w.onWithdraw != nil {
		return w.onWithdraw(v, id)
	}
	if err := signedIn(v); err != nil {
		return err
	}
	return knownRequest(id)
}

func (w *fakeWorkflow) Revoke(_ context.Context, v signoff.Identity, id, reason string) error {
	w.record("Revoke", v, id, reason)
	if w.onRevoke != nil {
		return w.onRevoke(v, id, reason)
	}
	if err := signedIn(v); err != nil {
		return err
	}
	return knownRequest(id)
}

// confirm answers the confirmation steps: the request page, for the fake's
// request, or what onConfirm says.
func (w *fakeWorkflow) confirm(method string, v signoff.Identity, id, actingAs string) (signoff.RequestPage, error) {
	if w.onConfirm != nil {
		return w.onConfirm(method, v, id)
	}
	if err := signedIn(v); err != nil {
		return signoff.RequestPage{}, err
	}
	if err := knownRequest(id); err != nil {
		return signoff.RequestPage{}, err
	}
	return fakeRequestPage(v, actingAs), nil
}

func (w *fakeWorkflow) ConfirmWithdraw(_ context.Context, v signoff.Identity, id string) (signoff.RequestPage, error) {
	w.record("ConfirmWithdraw", v, id)
	return w.confirm("ConfirmWithdraw", v, id, "")
}

func (w *fakeWorkflow) ConfirmReject(_ context.Context, v signoff.Identity, id string, in signoff.DecisionInput) (signoff.RequestPage, error) {
	w.record("ConfirmReject", v, id, in)
	return w.confirm("ConfirmReject", v, id, in.ActingAs)
}

func (w *fakeWorkflow) ConfirmRevoke(_ context.Context, v signoff.Identity, id, reason string) (signoff.RequestPage, error) {
	w.record("ConfirmRevoke", v, id, reason)
	return w.confirm("ConfirmRevoke", v, id, "")
}

func (w *fakeWorkflow) RetryGrant(_ context.Context, v signoff.Identity, id string) (signoff.Status, error) {
	w.record("RetryGrant", v, id)
	if w.onRetryGrant != nil {
		return w.onRetryGrant(v, id)
	}
	if err := signedIn(v); err != nil {
		return "", err
	}
	if err := knownRequest(id); err != nil {
		return "", err
	}
	return signoff.StatusGranted, nil
}

func (w *fakeWorkflow) Audit(_ context.Context, v signoff.Identity, f signoff.EventFilter) (signoff.AuditPage, error) {
	w.record("Audit", v, f)
	if w.onAudit != nil {
		return w.onAudit(v, f)
	}
	return signoff.AuditPage{Filter: f}, signedIn(v)
}

func (w *fakeWorkflow) AuditExport(_ context.Context, v signoff.Identity, f signoff.EventFilter, limit int) ([]signoff.Event, error) {
	w.record("AuditExport", v, f, limit)
	if w.onAuditExport != nil {
		return w.onAuditExport(v, f, limit)
	}
	return nil, signedIn(v)
}

func (w *fakeWorkflow) VerifyAudit(_ context.Context, v signoff.Identity) (signoff.LedgerReport, error) {
	w.record("VerifyAudit", v)
	if w.onVerifyAudit != nil {
		return w.onVerifyAudit(v)
	}
	return signoff.LedgerReport{}, signedIn(v)
}

func (w *fakeWorkflow) Diagnose(_ context.Context, v signoff.Identity) (signoff.Checks, error) {
	w.record("Diagnose", v)
	if w.onDiagnose != nil {
		return w.onDiagnose(v)
	}
	return signoff.Checks{}, signedIn(v)
}

// fakeAccount is the embedded engine's local account for tests of the HTTP
// layer: the personas, each with their roles in session, and who is signed
// in. Names are exact: "alice" is not ALICE.
type fakeAccount struct {
	personas []signoff.Persona

	mu       sync.Mutex
	sessions map[string]fakeSession // by session ID
}

// fakeSession is a sign-in the fake account records.
type fakeSession struct {
	user    string
	expires time.Time
}

// fakePersonas are the fake account's users.
var fakePersonas = []signoff.Persona{
	{User: "ALICE", Name: "Alice Analyst", Title: "Analyst", Roles: []string{"ANALYST"}},
	{User: "BEN", Name: "Ben Analyst", Title: "Analyst", Roles: []string{"ANALYST"}},
	{User: "MARCO", Name: "Marco Manager", Title: "Line manager", Roles: []string{"LINE_MANAGER"}},
	{User: "OLIVIA", Name: "Olivia Owner", Title: "Ledger owner", Roles: []string{"LEDGER_OWNER"}},
	{User: "DANA", Name: "Dana Protection", Title: "Data protection officer", Roles: []string{"DPO"}},
	{User: "ADAM", Name: "Adam Admin", Title: "Signoff admin", Roles: []string{signoff.RoleAdmin}},
	{User: "AUDREY", Name: "Audrey Auditor", Title: "Auditor", Roles: []string{signoff.RoleAuditor}},
	{User: "NOEL", Name: "Noel Nobody", Title: "No roles"},
}

func (a *fakeAccount) Identify(_ context.Context, user string) (signoff.Identity, error) {
	for _, p := range a.personas {
		if p.User == user {
			id := signoff.NewIdentity(user, append([]string{"PUBLIC"}, p.Roles...))
			for _, step := range fakeProduct.Chain { // the fake's only chain
				id.Approver = id.Approver || id.HasRole(step.ApproverRole)
			}
			return id, nil
		}
	}
	return signoff.Identity{}, fmt.Errorf("fake: identify %s: %w", user, signoff.ErrUnauthenticated)
}

func (a *fakeAccount) Personas(context.Context) ([]signoff.Persona, error) { return a.personas, nil }

func (a *fakeAccount) StartSession(_ context.Context, id, user string, _, expires time.Time) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.sessions == nil {
		a.sessions = map[string]fakeSession{}
	}
	a.sessions[id] = fakeSession{user: user, expires: expires}
	return nil
}

func (a *fakeAccount) SessionUser(_ context.Context, id string, now time.Time) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if s, ok := a.sessions[id]; ok && now.Before(s.expires) {
		return s.user, nil
	}
	return "", fmt.Errorf("fake: session: %w", signoff.ErrUnauthenticated)
}

func (a *fakeAccount) EndSession(_ context.Context, id string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.sessions, id)
	return nil
}

// fakeStack is a Server over a fakeWorkflow and a fakeAccount, on a loopback
// httptest server.
type fakeStack struct {
	site
	srv  *server.Server
	wf   *fakeWorkflow
	acct *fakeAccount
}

// newFake builds a fakeStack; configure may change the server's Config.
func newFake(t testing.TB, configure ...func(*server.Config)) *fakeStack {
	t.Helper()
	wf, acct := &fakeWorkflow{}, &fakeAccount{personas: fakePersonas}
	cfg := server.Config{Service: wf, Ready: func(context.Context) error { return nil }, Local: acct,
		SessionKey: testKey, Engine: "fake"}
	for _, c := range configure {
		c(&cfg)
	}
	srv, err := server.New(cfg)
	require.NoError(t, err)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return &fakeStack{site: site{t: t, URL: hs.URL}, srv: srv, wf: wf, acct: acct}
}

// identity is the fake account's identity of user.
func (s *fakeStack) identity(user string) signoff.Identity {
	s.t.Helper()
	id, err := s.acct.Identify(context.Background(), user)
	require.NoError(s.t, err)
	return id
}

// refused runs post and checks its status and message (phrase, when not
// empty), and that it asked the workflow to change nothing. It returns the
// response and the calls the post caused.
func (s *fakeStack) refused(t *testing.T, post func() response, status int, phrase string) (response, []fakeCall) {
	t.Helper()
	res, calls := s.wf.during(post)
	require.Equal(t, status, res.Status, "body: %s", text(res.Body))
	if phrase != "" {
		assert.Contains(t, text(res.Body), phrase)
	}
	assert.Empty(t, actions(calls), "no action reached the workflow")
	return res, calls
}
