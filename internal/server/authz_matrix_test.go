package server_test

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/demo"
	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlite"
	"github.com/signoff/signoff/web/view"
)

// matrixOut, when set, receives the authorization matrix as Markdown:
//
//	go test ./internal/server -run TestAuthorizationMatrix -args -matrix-out=/tmp/authz-matrix.md
//
// (a relative path is relative to internal/server, where tests run).
var matrixOut = flag.String("matrix-out", "", "write the authorization matrix as Markdown to this file")

// DUO holds two approver roles of the Customer 360 chain (line manager and
// sales data owner): the persona that could decide two steps of one request
// if separation of duties were not enforced.
const duoUser = "DUO"

// matrixDB is the demo with DUO, built once: each row of the matrix starts
// from its own copy (newStack with fromTemplate), which is much cheaper than
// playing the demo again (it matters under the race detector).
var matrixDB = &dbTemplate{seed: func(ctx context.Context, st *sqlite.Store) error {
	if err := st.CreateUser(ctx, duoUser, "Duo Tester", "Line manager and sales data owner (test persona)"); err != nil {
		return err
	}
	for _, role := range []string{"LINE_MANAGER", "DATA_OWNER_SALES"} {
		if err := st.GrantRoleToUser(ctx, role, duoUser, "ACCOUNTADMIN"); err != nil {
			return err
		}
	}
	return nil
}}

// A matrix state is a request in a known state, built through the service
// as the personas would, on a fresh stack. It returns the request's ID ("" for
// states that are about no request).
type matrixState struct {
	name  string
	build func(t *testing.T, s *stack) string
}

// playCustomer360 submits requester's request for Customer 360 (line manager
// → sales data owner → DPO) and has the approvers approve in order.
func playCustomer360(t *testing.T, s *stack, requester string, approvers ...string) string {
	t.Helper()
	ctx := context.Background()
	r, err := s.svc.Submit(ctx, s.identity(requester), "customer-360", goodReason, 30)
	require.NoError(t, err)
	for _, user := range approvers {
		_, err := s.svc.Decide(ctx, s.identity(user), r.RequestID, signoff.DecisionInput{Decision: signoff.DecisionApprove})
		require.NoError(t, err, "%s approves", user)
	}
	return r.RequestID
}

var (
	stNone  = matrixState{"no open request for Customer 360", func(*testing.T, *stack) string { return "" }}
	stStep1 = matrixState{"ALICE's Customer 360 request at step 1 (Line manager)", func(t *testing.T, s *stack) string {
		return playCustomer360(t, s, "ALICE")
	}}
	stStep2 = matrixState{"at step 2 (Data owner), step 1 approved by MARCO", func(t *testing.T, s *stack) string {
		return playCustomer360(t, s, "ALICE", "MARCO")
	}}
	stStep2ByDuo = matrixState{"at step 2 (Data owner), step 1 approved by DUO", func(t *testing.T, s *stack) string {
		return playCustomer360(t, s, "ALICE", duoUser)
	}}
	stStep3 = matrixState{"at step 3 (Data protection, DPO), steps 1–2 approved by MARCO, OLIVIA", func(t *testing.T, s *stack) string {
		return playCustomer360(t, s, "ALICE", "MARCO", "OLIVIA")
	}}
	stMarcosOwn = matrixState{"MARCO's own Customer 360 request at step 1 (Line manager)", func(t *testing.T, s *stack) string {
		return playCustomer360(t, s, "MARCO")
	}}
	stRejected = matrixState{"ALICE's Customer 360 request rejected at step 2", func(t *testing.T, s *stack) string {
		id := playCustomer360(t, s, "ALICE", "MARCO")
		_, err := s.svc.Decide(context.Background(), s.identity("OLIVIA"), id,
			signoff.DecisionInput{Decision: signoff.DecisionReject, Comment: "Use the aggregated product."})
		require.NoError(t, err)
		return id
	}}
	stWithdrawn = matrixState{"ALICE's Customer 360 request withdrawn at step 1", func(t *testing.T, s *stack) string {
		id := playCustomer360(t, s, "ALICE")
		require.NoError(t, s.svc.Withdraw(context.Background(), s.identity("ALICE"), id))
		return id
	}}
	stAsked = matrixState{"ALICE's Customer 360 request at step 1, MARCO asked her a question (CHANGES_REQUESTED)", func(t *testing.T, s *stack) string {
		id := playCustomer360(t, s, "ALICE")
		_, err := s.svc.Decide(context.Background(), s.identity("MARCO"), id,
			signoff.DecisionInput{Decision: signoff.DecisionChanges, Comment: "Which squads need it?"})
		require.NoError(t, err)
		return id
	}}
	stEscalated = matrixState{"ALICE's Payroll detail request at step 3 (COMPENSATION_COMMITTEE, held by nobody), escalated to DATA_GOVERNANCE; steps 1–2 by MARCO, HANNAH", func(t *testing.T, s *stack) string {
		id := s.requestFor("ALICE", "payroll-detail", signoff.StatusPending)
		step, _ := s.request(id).Step(3)
		require.Equal(t, "DATA_GOVERNANCE", step.EscalatedTo, "the demo escalated it")
		return id
	}}
	stGranted = matrixState{"ALICE's Sales orders request GRANTED (owner role DATA_OWNER_SALES)", func(t *testing.T, s *stack) string {
		return s.requestFor("ALICE", "sales-orders", signoff.StatusGranted)
	}}
	stRevoked = matrixState{"BEN's Marketing campaigns request REVOKED", func(t *testing.T, s *stack) string {
		return s.requestFor("BEN", "marketing-campaigns", signoff.StatusRevoked)
	}}
	stNoReview = matrixState{"Customer 360 has no open review (owner role DATA_OWNER_SALES)", func(*testing.T, *stack) string { return "" }}
	stInReview = matrixState{"the demo's open review of Sales orders; GRACE's grant undecided", func(t *testing.T, s *stack) string {
		return s.openReview("sales-orders") + "|" + s.requestFor("GRACE", "sales-orders", signoff.StatusGranted)
	}}
	stKeptInReview = matrixState{"the demo's open review of Sales orders; GRACE's grant kept by OLIVIA", func(t *testing.T, s *stack) string {
		review, id := s.openReview("sales-orders"), s.requestFor("GRACE", "sales-orders", signoff.StatusGranted)
		_, err := s.svc.DecideReview(context.Background(), s.identity("OLIVIA"), review, id, signoff.ReviewKeep, "")
		require.NoError(t, err)
		return review + "|" + id
	}}
	stGrantFailed = matrixState{"ALICE's Supplier contracts request GRANT_FAILED (owner role DATA_OWNER_FINANCE)", func(t *testing.T, s *stack) string {
		return s.requestFor("ALICE", "supplier-contracts", signoff.StatusGrantFailed)
	}}
)

// A matrix action is one state-changing route with the form a browser would
// send.
type matrixAction struct {
	name string
	path func(id string) string
	form url.Values
}

func requestPath(action string) func(string) string {
	return func(id string) string { return "/requests/" + id + "/" + action }
}

var (
	actSubmit       = matrixAction{"POST /products/{id}/requests", func(string) string { return "/products/customer-360/requests" }, url.Values{"reason": {goodReason}, "days": {"30"}}}
	actApprove      = matrixAction{"POST /requests/{id}/decision approve", requestPath("decision"), url.Values{"decision": {"approve"}, "comment": {"Fine by me."}}}
	actReject       = matrixAction{"POST /requests/{id}/decision reject", requestPath("decision"), url.Values{"decision": {"reject"}, "comment": {"Not justified."}, "confirm": {"1"}}}
	actChanges      = matrixAction{"POST /requests/{id}/decision changes", requestPath("decision"), url.Values{"decision": {"changes"}, "comment": {"Which squads need it?"}}}
	actResubmit     = matrixAction{"POST /requests/{id}/resubmit", requestPath("resubmit"), url.Values{"answer": {"The retention squad, for Q4."}}}
	actWithdraw     = matrixAction{"POST /requests/{id}/withdraw", requestPath("withdraw"), url.Values{"confirm": {"1"}}}
	actRevoke       = matrixAction{"POST /requests/{id}/revoke", requestPath("revoke"), url.Values{"reason": {"Project over."}, "confirm": {"1"}}}
	actRetry        = matrixAction{"POST /requests/{id}/retry-grant", requestPath("retry-grant"), nil}
	actStartReview  = matrixAction{"POST /products/{id}/reviews", func(string) string { return "/products/customer-360/reviews" }, nil}
	actStartReview2 = matrixAction{"POST /products/{id}/reviews (a review is open)", func(string) string { return "/products/sales-orders/reviews" }, nil}
	actReviewKeep   = matrixAction{"POST /reviews/{id}/items/{request} keep", reviewItemPath, url.Values{"decision": {"keep"}, "note": {"Still needed."}}}
	actReviewRevoke = matrixAction{"POST /reviews/{id}/items/{request} revoke", reviewItemPath, url.Values{"decision": {"revoke"}, "note": {"Not used since the grant."}}}
	actRevokeIdle   = matrixAction{"POST /reviews/{id}/revoke-idle", func(id string) string {
		review, _, _ := strings.Cut(id, "|")
		return view.RevokeIdleURL(review)
	}, url.Values{"note": {"Not used since the grant."}}}
	actLogin    = matrixAction{"POST /login", func(string) string { return "/login" }, nil}
	actLogout   = matrixAction{"POST /logout", func(string) string { return "/logout" }, nil}
	actNewProd  = matrixAction{"POST /admin/products", func(string) string { return "/admin/products" }, newProductForm()}
	actEditProd = matrixAction{"POST /admin/products/{id}", func(string) string { return "/admin/products/customer-360" }, customer360Form()}
	// actDescribe reads the product's Snowflake object into the form
	// ("Read from Snowflake"): it saves nothing, so only refusals are rows.
	actDescribe = matrixAction{"POST /admin/products/{id} action=describe", func(string) string { return "/admin/products/customer-360" },
		withValues(customer360Form(), "action", "describe", "source_object", "SALES.CORE.ORDER_LINES")}
	// actDirectory sets NOEL's manager in the directory of managers.
	actDirectory = matrixAction{"POST /admin/directory", func(string) string { return "/admin/directory" },
		url.Values{"form": {"one"}, "user": {"NOEL"}, "manager": {"LENA"}}}
	// actPolicy saves a chain policy of one conditional step.
	actPolicy = matrixAction{"POST /admin/policy", func(string) string { return "/admin/policy" },
		url.Values{"policy.1.kind": {"ROLE"}, "policy.1.approver_role": {"DATA_GOVERNANCE"}, "policy.1.label": {"Governance"},
			"policy.1.when_tag": {"gdpr"}, "policy.1.quorum": {"1"}}}
)

// reviewItemPath is the decision route of a review's grant, for a state
// whose ID is "<review>|<request>".
func reviewItemPath(id string) string {
	review, request, _ := strings.Cut(id, "|")
	return view.ReviewItemURL(review, request)
}

// requestOfState is the request a state's ID names: the part after "|" of
// a review state's.
func requestOfState(id string) string {
	if _, request, ok := strings.Cut(id, "|"); ok {
		return request
	}
	return id
}

// asking returns the confirmation step of a, an action that cannot be
// undone: the same POST without confirm=1, which only asks.
func asking(a matrixAction) matrixAction {
	form := url.Values{}
	for k, v := range a.form {
		if k != "confirm" {
			form[k] = slices.Clone(v)
		}
	}
	return matrixAction{a.name + " (asking)", a.path, form}
}

// askingRows returns, for each row of an action that cannot be undone
// (reject, withdraw, revoke), the row of its confirmation step: it refuses
// whom the action refuses, with the same status and message, and asks
// (200) whom it allows; either way it changes nothing.
func askingRows(rows []matrixRow) []matrixRow {
	var out []matrixRow
	for _, r := range rows {
		switch r.action.name {
		case actReject.name, actWithdraw.name, actRevoke.name:
		default:
			continue
		}
		r.action = asking(r.action)
		if r.status == http.StatusSeeOther {
			r.status, r.events, r.check = http.StatusOK, 0, nil
		}
		out = append(out, r)
	}
	return out
}

// A persona kind is who acts: a label for the matrix and the user signed
// in ("" for a signed-out visitor).
type personaKind struct{ kind, user string }

var (
	whoRequester   = personaKind{"requester", "ALICE"}
	whoSignedOut   = personaKind{"signed-out visitor", ""}
	whoInheritsDPO = personaKind{"inherits DPO (SECURITY_LEAD)", "SAM"}
	whoAdmin       = personaKind{"admin", "ADAM"}
	whoAuditor     = personaKind{"auditor", "AUDREY"}
	whoNoRoles     = personaKind{"no roles", "NOEL"}
	whoTwoRoles    = personaKind{"holds LINE_MANAGER and DATA_OWNER_SALES", duoUser}
)

func matrixPersona(kind, user string) personaKind { return personaKind{kind, user} }

// matrixRow is one cell of the authorization matrix: in state, persona
// sends action with extra form values and gets status. A refusal's page
// says phrase and nothing changes anywhere; an allowed action redirects
// (303), writes `events` audit events and passes check.
type matrixRow struct {
	action  matrixAction
	state   matrixState
	persona personaKind
	extra   url.Values // added to the action's form (step, acting_as, user)
	status  int
	phrase  string                                  // refusals: a key phrase of the message shown
	events  int                                     // allowed: audit events written
	check   func(t *testing.T, s *stack, id string) // allowed: the intended change
}

// withValues is form with the pairs kv set.
func withValues(form url.Values, kv ...string) url.Values {
	for i := 0; i+1 < len(kv); i += 2 {
		form.Set(kv[i], kv[i+1])
	}
	return form
}

func matrixForm(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

// Phrases of the refusal messages.
const (
	pSignIn      = "Please sign in"
	pOwnRequest  = "You made this request, so you cannot decide any of its steps."
	pAlready     = "You already decided a step of this request; another person must decide the Data owner step."
	pNeedsLM     = "The Line manager step needs the LINE_MANAGER role, which is not in your session."
	pNeedsOwner  = "The Data owner step needs the DATA_OWNER_SALES role, which is not in your session."
	pNeedsDPO    = "The Data protection step needs the DPO role, which is not in your session."
	pOnlyAlice   = "Only the person who made this request can do that."
	pOwnersSales = "Only admins and the owners of Sales orders (DATA_OWNER_SALES) can revoke access to it."
	pOnlyAdmins  = "Only admins (SIGNOFF_ADMIN) can retry a grant."
	// pReviewers are the people who may review a Sales team product's
	// access (Customer 360's and Sales orders' owners are the same).
	pReviewers360   = "Only admins and the owners of Customer 360 (DATA_OWNER_SALES) can review access to it."
	pReviewersSales = "Only admins and the owners of Sales orders (DATA_OWNER_SALES) can review access to it."
	// pOnlyAdminsCatalog refuses the catalog's pages and saves to non-admins.
	pOnlyAdminsCatalog = "Only Signoff admins (SIGNOFF_ADMIN) can edit the catalog."
	pDirectory         = "Only Signoff admins (SIGNOFF_ADMIN) can see or change the directory of managers."
	pOnlyAdminsPolicy  = "Only Signoff admins (SIGNOFF_ADMIN) can edit the chain policy."
	// pOnlyRequester is how a refusal of someone else's answer begins (the
	// engine's NOT_REQUESTER, whose sentence names withdrawing).
	pOnlyRequester = "Only the person who made this request"
)

// decided checks that step of request id was decided by user as role and
// that the request is now in status at current step.
func decided(step int, d signoff.Decision, user, role string, status signoff.Status, current int) func(*testing.T, *stack, string) {
	return func(t *testing.T, s *stack, id string) {
		t.Helper()
		r := s.request(id)
		assert.Equal(t, status, r.Status)
		assert.Equal(t, current, r.CurrentStep)
		st := r.Steps[step-1]
		assert.Equal(t, d, st.Decision)
		assert.Equal(t, user, st.DecidedBy)
		assert.Equal(t, role, st.ActorRole)
		for _, other := range r.Steps[step:] {
			assert.Equal(t, signoff.DecisionNone, other.Decision, "later steps are untouched")
		}
		holds := s.identity("ALICE").HasRole("CUSTOMER_360_READ")
		assert.Equal(t, status == signoff.StatusGranted, holds, "ALICE holds CUSTOMER_360_READ only once granted")
	}
}

// questioned checks that request id waits on its requester's answer at
// step, with the step still undecided.
func questioned(step int) func(*testing.T, *stack, string) {
	return func(t *testing.T, s *stack, id string) {
		t.Helper()
		r := s.request(id)
		assert.Equal(t, signoff.StatusChangesRequested, r.Status)
		assert.Equal(t, step, r.CurrentStep)
		st, _ := r.Step(step)
		assert.Equal(t, signoff.DecisionNone, st.Decision, "a question decides nothing")
	}
}

// answered checks that request id is back at step, pending, its reason
// unchanged (no new one was given).
func answered(step int) func(*testing.T, *stack, string) {
	return func(t *testing.T, s *stack, id string) {
		t.Helper()
		r := s.request(id)
		assert.Equal(t, signoff.StatusPending, r.Status)
		assert.Equal(t, step, r.CurrentStep)
		assert.Equal(t, goodReason, r.Reason)
	}
}

// submitted checks that user now has a pending request for Customer 360.
func submitted(user string) func(*testing.T, *stack, string) {
	return func(t *testing.T, s *stack, _ string) {
		t.Helper()
		r := s.request(s.requestFor(user, "customer-360", signoff.StatusPending))
		assert.Equal(t, 1, r.CurrentStep)
		assert.Equal(t, goodReason, r.Reason)
		assert.False(t, r.DecidedBy(user))
	}
}

func inStatus(status signoff.Status, holds bool) func(*testing.T, *stack, string) {
	return func(t *testing.T, s *stack, id string) {
		t.Helper()
		r := s.request(id)
		assert.Equal(t, status, r.Status)
		assert.Equal(t, holds, s.identity(r.Requester).HasRole(r.AccessRole), "%s holds %s", r.Requester, r.AccessRole)
	}
}

// matrixRows is the authorization matrix: every state-changing route ×
// every kind of persona, in the states where it matters.
func matrixRows() []matrixRow {
	const (
		ok        = http.StatusSeeOther
		forbidden = http.StatusForbidden
		conflict  = http.StatusConflict
		unauth    = http.StatusUnauthorized
	)
	A, R := signoff.DecisionApprove, signoff.DecisionReject
	P, G, X := signoff.StatusPending, signoff.StatusGranted, signoff.StatusRejected
	lm, owner, dpoStep := matrixPersona("approver of the current step", "MARCO"), matrixPersona("approver of step 2 (not current)", "OLIVIA"),
		matrixPersona("approver of step 3 (not current)", "DANA")
	var rows []matrixRow
	add := func(r ...matrixRow) { rows = append(rows, r...) }

	// Submitting: any signed-in person may ask for access, approvers, admins
	// and auditors included; never twice for the same product.
	for _, p := range []personaKind{whoRequester, matrixPersona("line manager", "MARCO"), matrixPersona("data owner of the product", "OLIVIA"),
		whoInheritsDPO, whoAdmin, whoAuditor, whoNoRoles, whoTwoRoles} {
		add(matrixRow{action: actSubmit, state: stNone, persona: p, status: ok, events: 1, check: submitted(p.user)})
	}
	add(matrixRow{action: actSubmit, state: stStep1, persona: whoRequester, status: conflict, phrase: "You already have an open request for Customer 360."},
		matrixRow{action: actSubmit, state: stNone, persona: whoSignedOut, status: unauth, phrase: pSignIn})

	// Deciding step 1 of 3 (LINE_MANAGER).
	for _, a := range []matrixAction{actApprove, actReject} {
		d := A
		status := P
		current := 2
		if a.name == actReject.name {
			d, status, current = R, X, 1
		}
		add(
			matrixRow{action: a, state: stStep1, persona: lm, extra: matrixForm("step", "1"), status: ok, events: 1,
				check: decided(1, d, "MARCO", "LINE_MANAGER", status, current)},
			matrixRow{action: a, state: stStep1, persona: matrixPersona("approver of the current step, acting as it", "MARCO"),
				extra: matrixForm("step", "1", "acting_as", "LINE_MANAGER"), status: ok, events: 1,
				check: decided(1, d, "MARCO", "LINE_MANAGER", status, current)},
			matrixRow{action: a, state: stStep1, persona: whoTwoRoles, extra: matrixForm("step", "1"), status: ok, events: 1,
				check: decided(1, d, duoUser, "LINE_MANAGER", status, current)},
			matrixRow{action: a, state: stStep1, persona: whoRequester, extra: matrixForm("step", "1"), status: forbidden, phrase: pOwnRequest},
			matrixRow{action: a, state: stStep1, persona: owner, extra: matrixForm("step", "1"), status: forbidden, phrase: pNeedsLM},
			matrixRow{action: a, state: stStep1, persona: owner, extra: matrixForm("step", "2"), status: conflict,
				phrase: "This request is now at step 1, not step 2."},
			matrixRow{action: a, state: stStep1, persona: dpoStep, extra: matrixForm("step", "1"), status: forbidden, phrase: pNeedsLM},
			matrixRow{action: a, state: stStep1, persona: whoInheritsDPO, extra: matrixForm("step", "1"), status: forbidden, phrase: pNeedsLM},
			matrixRow{action: a, state: stStep1, persona: whoAdmin, extra: matrixForm("step", "1"), status: forbidden, phrase: pNeedsLM},
			matrixRow{action: a, state: stStep1, persona: whoAuditor, extra: matrixForm("step", "1"), status: forbidden, phrase: pNeedsLM},
			matrixRow{action: a, state: stStep1, persona: whoNoRoles, extra: matrixForm("step", "1"), status: forbidden, phrase: pNeedsLM},
			matrixRow{action: a, state: stStep1, persona: whoSignedOut, extra: matrixForm("step", "1"), status: unauth, phrase: pSignIn},
			matrixRow{action: a, state: stStep1, persona: matrixPersona("approver of the current step, acting as a role not held", "MARCO"),
				extra: matrixForm("step", "1", "acting_as", "DPO"), status: forbidden,
				phrase: "You chose to act as DPO, but that role is not in your session."},
			matrixRow{action: a, state: stStep1, persona: matrixPersona("holds LINE_MANAGER and DATA_OWNER_SALES, acting as the other", duoUser),
				extra: matrixForm("step", "1", "acting_as", "DATA_OWNER_SALES"), status: forbidden,
				phrase: "The Line manager step needs the LINE_MANAGER role; you are acting as DATA_OWNER_SALES."},
			matrixRow{action: a, state: stStep1, persona: matrixPersona("approver of step 2, acting as a held role that is not the step's", "OLIVIA"),
				extra: matrixForm("step", "1", "acting_as", "DATA_OWNER_SALES"), status: forbidden,
				phrase: "The Line manager step needs the LINE_MANAGER role; you are acting as DATA_OWNER_SALES."},
			// A requester who holds the step's role still cannot decide her own request.
			matrixRow{action: a, state: stMarcosOwn, persona: matrixPersona("requester who holds the step's role", "MARCO"),
				extra: matrixForm("step", "1"), status: forbidden, phrase: pOwnRequest},
			matrixRow{action: a, state: stMarcosOwn, persona: matrixPersona("requester who holds the step's role, acting as it", "MARCO"),
				extra: matrixForm("step", "1", "acting_as", "LINE_MANAGER"), status: forbidden, phrase: pOwnRequest},
		)
	}

	// Deciding step 2 of 3 (DATA_OWNER_SALES): one person decides at most one step.
	for _, a := range []matrixAction{actApprove, actReject} {
		d, status, current := A, P, 3
		if a.name == actReject.name {
			d, status, current = R, X, 2
		}
		add(
			matrixRow{action: a, state: stStep2, persona: matrixPersona("approver of the current step", "OLIVIA"), extra: matrixForm("step", "2"),
				status: ok, events: 1, check: decided(2, d, "OLIVIA", "DATA_OWNER_SALES", status, current)},
			matrixRow{action: a, state: stStep2, persona: matrixPersona("approver who decided step 1", "MARCO"), extra: matrixForm("step", "2"),
				status: forbidden, phrase: pAlready},
			matrixRow{action: a, state: stStep2ByDuo, persona: matrixPersona("decided step 1, holds step 2's role too", duoUser),
				extra: matrixForm("step", "2"), status: forbidden, phrase: pAlready},
			matrixRow{action: a, state: stStep2ByDuo, persona: matrixPersona("decided step 1, holds step 2's role too, acting as it", duoUser),
				extra: matrixForm("step", "2", "acting_as", "DATA_OWNER_SALES"), status: forbidden, phrase: pAlready},
			matrixRow{action: a, state: stStep2, persona: whoRequester, extra: matrixForm("step", "2"), status: forbidden, phrase: pOwnRequest},
			matrixRow{action: a, state: stStep2, persona: dpoStep, extra: matrixForm("step", "2"), status: forbidden, phrase: pNeedsOwner},
			matrixRow{action: a, state: stStep2, persona: whoInheritsDPO, extra: matrixForm("step", "2"), status: forbidden, phrase: pNeedsOwner},
			matrixRow{action: a, state: stStep2, persona: matrixPersona("approver of step 3", "DANA"), extra: matrixForm("step", "3"),
				status: conflict, phrase: "This request is now at step 2, not step 3."},
		)
	}

	// Deciding step 3 of 3 (DPO): a role inherited through the hierarchy counts.
	add(
		matrixRow{action: actApprove, state: stStep3, persona: whoInheritsDPO, extra: matrixForm("step", "3"), status: ok, events: 3,
			check: decided(3, A, "SAM", "DPO", G, 3)},
		matrixRow{action: actApprove, state: stStep3, persona: matrixPersona("inherits DPO, acting as DPO", "SAM"), extra: matrixForm("step", "3", "acting_as", "DPO"),
			status: ok, events: 3, check: decided(3, A, "SAM", "DPO", G, 3)},
		matrixRow{action: actApprove, state: stStep3, persona: matrixPersona("inherits DPO, acting as SECURITY_LEAD", "SAM"),
			extra: matrixForm("step", "3", "acting_as", "SECURITY_LEAD"), status: forbidden,
			phrase: "The Data protection step needs the DPO role; you are acting as SECURITY_LEAD."},
		matrixRow{action: actApprove, state: stStep3, persona: matrixPersona("approver of the current step", "DANA"), extra: matrixForm("step", "3"),
			status: ok, events: 3, check: decided(3, A, "DANA", "DPO", G, 3)},
		matrixRow{action: actReject, state: stStep3, persona: whoInheritsDPO, extra: matrixForm("step", "3"), status: ok, events: 1,
			check: decided(3, R, "SAM", "DPO", X, 3)},
		matrixRow{action: actApprove, state: stStep3, persona: matrixPersona("approver who decided step 2", "OLIVIA"), extra: matrixForm("step", "3"),
			status: forbidden, phrase: "You already decided a step of this request"},
		matrixRow{action: actApprove, state: stStep3, persona: whoRequester, extra: matrixForm("step", "3"), status: forbidden, phrase: pOwnRequest},
		matrixRow{action: actApprove, state: stStep3, persona: whoAdmin, extra: matrixForm("step", "3"), status: forbidden, phrase: pNeedsDPO},
		matrixRow{action: actApprove, state: stStep3, persona: whoAuditor, extra: matrixForm("step", "3"), status: forbidden, phrase: pNeedsDPO},
		matrixRow{action: actApprove, state: stStep3, persona: matrixPersona("holds step 1's and 2's roles, decided neither", duoUser),
			extra: matrixForm("step", "3"), status: forbidden, phrase: pNeedsDPO},
	)

	// Deciding a request that has no step left.
	add(
		matrixRow{action: actApprove, state: stGranted, persona: matrixPersona("data owner", "OLIVIA"), status: conflict,
			phrase: "This request is granted, so that is no longer possible."},
		matrixRow{action: actApprove, state: stGranted, persona: matrixPersona("data owner, naming step 2", "OLIVIA"), extra: matrixForm("step", "2"),
			status: conflict, phrase: "The Data owner step was already approved by OLIVIA."},
		matrixRow{action: actApprove, state: stRejected, persona: matrixPersona("approver of step 3", "DANA"), extra: matrixForm("step", "3"),
			status: conflict, phrase: "This request is already rejected."},
		matrixRow{action: actReject, state: stWithdrawn, persona: matrixPersona("approver of step 1", "MARCO"), extra: matrixForm("step", "1"),
			status: conflict, phrase: "This request is already withdrawn."},
	)

	// Asking the requester a question: whoever may decide the current step,
	// with the same separation of duties as a decision; it decides nothing.
	add(
		matrixRow{action: actChanges, state: stStep1, persona: lm, extra: matrixForm("step", "1"), status: ok, events: 1, check: questioned(1)},
		matrixRow{action: actChanges, state: stStep1, persona: whoTwoRoles, extra: matrixForm("step", "1"), status: ok, events: 1, check: questioned(1)},
		matrixRow{action: actChanges, state: stStep2, persona: matrixPersona("approver of the current step", "OLIVIA"), extra: matrixForm("step", "2"),
			status: ok, events: 1, check: questioned(2)},
		matrixRow{action: actChanges, state: stStep1, persona: whoRequester, extra: matrixForm("step", "1"), status: forbidden, phrase: pOwnRequest},
		matrixRow{action: actChanges, state: stStep1, persona: owner, extra: matrixForm("step", "1"), status: forbidden, phrase: pNeedsLM},
		matrixRow{action: actChanges, state: stStep1, persona: whoInheritsDPO, extra: matrixForm("step", "1"), status: forbidden, phrase: pNeedsLM},
		matrixRow{action: actChanges, state: stStep1, persona: whoAdmin, extra: matrixForm("step", "1"), status: forbidden, phrase: pNeedsLM},
		matrixRow{action: actChanges, state: stStep1, persona: whoAuditor, extra: matrixForm("step", "1"), status: forbidden, phrase: pNeedsLM},
		matrixRow{action: actChanges, state: stStep1, persona: whoNoRoles, extra: matrixForm("step", "1"), status: forbidden, phrase: pNeedsLM},
		matrixRow{action: actChanges, state: stStep1, persona: whoSignedOut, extra: matrixForm("step", "1"), status: unauth, phrase: pSignIn},
		matrixRow{action: actChanges, state: stStep1, persona: matrixPersona("holds LINE_MANAGER and DATA_OWNER_SALES, acting as the other", duoUser),
			extra: matrixForm("step", "1", "acting_as", "DATA_OWNER_SALES"), status: forbidden,
			phrase: "The Line manager step needs the LINE_MANAGER role; you are acting as DATA_OWNER_SALES."},
		matrixRow{action: actChanges, state: stStep2, persona: matrixPersona("approver who decided step 1", "MARCO"), extra: matrixForm("step", "2"),
			status: forbidden, phrase: pAlready},
		matrixRow{action: actChanges, state: stAsked, persona: matrixPersona("approver who asked", "MARCO"), extra: matrixForm("step", "1"),
			status: conflict, phrase: "This request is already waiting for its requester's answer. Nothing was changed."},
		matrixRow{action: actApprove, state: stAsked, persona: matrixPersona("approver who asked", "MARCO"), extra: matrixForm("step", "1"),
			status: conflict, phrase: "This request is already waiting for its requester's answer. Nothing was changed."},
		matrixRow{action: actChanges, state: stGranted, persona: matrixPersona("data owner", "OLIVIA"), status: conflict,
			phrase: "This request is granted, so that is no longer possible."},
	)

	// Answering the question: the requester only, only while it waits on
	// her.
	add(matrixRow{action: actResubmit, state: stAsked, persona: whoRequester, status: ok, events: 1, check: answered(1)})
	for _, p := range []personaKind{matrixPersona("approver who asked", "MARCO"), owner, dpoStep, whoInheritsDPO, whoAdmin,
		whoAuditor, whoNoRoles, whoTwoRoles} {
		add(matrixRow{action: actResubmit, state: stAsked, persona: p, status: forbidden, phrase: pOnlyRequester})
	}
	add(
		matrixRow{action: actResubmit, state: stAsked, persona: whoSignedOut, status: unauth, phrase: pSignIn},
		matrixRow{action: actResubmit, state: stStep1, persona: whoRequester, status: conflict,
			phrase: "This request is pending, so that is no longer possible."},
		matrixRow{action: actResubmit, state: stRejected, persona: whoRequester, status: conflict,
			phrase: "This request is rejected, so that is no longer possible."},
		matrixRow{action: actResubmit, state: stGranted, persona: whoRequester, status: conflict,
			phrase: "This request is granted, so that is no longer possible."},
	)

	// An escalated step: its fallback role decides it too (VERA; ADAM, an
	// admin who holds it), with the same separation of duties; its own
	// role's holders still may, but nobody holds it.
	pNeedsCommittee := "The Compensation committee step needs the COMPENSATION_COMMITTEE role, which is not in your session."
	for _, p := range []personaKind{matrixPersona("fallback approver (DATA_GOVERNANCE)", "VERA"), matrixPersona("admin and fallback approver", "ADAM")} {
		add(
			// On to the policy's data protection step (payroll is PII).
			matrixRow{action: actApprove, state: stEscalated, persona: p, extra: matrixForm("step", "3"), status: ok, events: 1,
				check: inStatus(signoff.StatusPending, false)},
			matrixRow{action: actChanges, state: stEscalated, persona: p, extra: matrixForm("step", "3"), status: ok, events: 1,
				check: questioned(3)},
		)
	}
	add(
		matrixRow{action: actApprove, state: stEscalated, persona: matrixPersona("fallback approver, acting as it", "VERA"),
			extra: matrixForm("step", "3", "acting_as", "DATA_GOVERNANCE"), status: ok, events: 1, check: inStatus(signoff.StatusPending, false)},
		matrixRow{action: actApprove, state: stEscalated, persona: whoRequester, extra: matrixForm("step", "3"), status: forbidden, phrase: pOwnRequest},
		matrixRow{action: actApprove, state: stEscalated, persona: matrixPersona("approver who decided step 1", "MARCO"), extra: matrixForm("step", "3"),
			status: forbidden, phrase: "You already decided a step of this request; another person must decide the Compensation committee step."},
		matrixRow{action: actApprove, state: stEscalated, persona: matrixPersona("DPO, whose step comes next", "DANA"), extra: matrixForm("step", "3"),
			status: forbidden, phrase: pNeedsCommittee},
		matrixRow{action: actApprove, state: stEscalated, persona: whoAuditor, extra: matrixForm("step", "3"), status: forbidden, phrase: pNeedsCommittee},
	)

	// Withdrawing: the requester only, while pending.
	add(matrixRow{action: actWithdraw, state: stStep2, persona: whoRequester, status: ok, events: 1,
		check: inStatus(signoff.StatusWithdrawn, false)})
	for _, p := range []personaKind{matrixPersona("approver who decided step 1", "MARCO"), matrixPersona("approver of the current step", "OLIVIA"),
		matrixPersona("approver of step 3", "DANA"), whoInheritsDPO, whoAdmin, whoAuditor, whoTwoRoles} {
		add(matrixRow{action: actWithdraw, state: stStep2, persona: p, status: forbidden, phrase: pOnlyAlice})
	}
	add(
		matrixRow{action: actWithdraw, state: stStep2, persona: whoNoRoles, status: forbidden, phrase: pOnlyAlice},
		matrixRow{action: actWithdraw, state: stStep2, persona: whoSignedOut, status: unauth, phrase: pSignIn},
		matrixRow{action: actWithdraw, state: stGranted, persona: whoRequester, status: conflict,
			phrase: "This request is granted, so that is no longer possible."},
		matrixRow{action: actWithdraw, state: stRejected, persona: whoRequester, status: conflict,
			phrase: "This request is rejected, so that is no longer possible."},
	)

	// Revoking: admins and holders of the product's owner role, only when granted.
	for _, p := range []personaKind{matrixPersona("product owner (DATA_OWNER_SALES)", "OLIVIA"), whoAdmin,
		matrixPersona("holds the owner role DATA_OWNER_SALES", duoUser)} {
		add(matrixRow{action: actRevoke, state: stGranted, persona: p, status: ok, events: 1,
			check: inStatus(signoff.StatusRevoked, false)})
	}
	for _, p := range []personaKind{whoRequester, matrixPersona("approver of step 1, not an owner", "MARCO"), whoAuditor} {
		add(matrixRow{action: actRevoke, state: stGranted, persona: p, status: forbidden, phrase: pOwnersSales})
	}
	for _, p := range []personaKind{matrixPersona("DPO, whose step comes next", "DANA"), whoInheritsDPO, matrixPersona("owner of other products", "FRANK"),
		matrixPersona("owner of other products", "HANNAH"), whoNoRoles} {
		add(matrixRow{action: actRevoke, state: stGranted, persona: p, status: forbidden, phrase: pOwnersSales})
	}
	add(
		matrixRow{action: actRevoke, state: stGranted, persona: whoSignedOut, status: unauth, phrase: pSignIn},
		matrixRow{action: actRevoke, state: stStep2, persona: matrixPersona("product owner", "OLIVIA"), status: conflict,
			phrase: "This request is pending, so that is no longer possible."},
		matrixRow{action: actRevoke, state: stRevoked, persona: whoAdmin, status: conflict,
			phrase: "This request is revoked, so that is no longer possible."},
	)

	// Revoking from who has access (back: the access page it returns to):
	// the same rule, and a back that is not an access page's local path
	// refuses before anything else (never an open redirect).
	back := matrixForm("back", "/products/sales-orders/access")
	for _, p := range []personaKind{matrixPersona("product owner (DATA_OWNER_SALES)", "OLIVIA"), whoAdmin} {
		add(matrixRow{action: actRevoke, state: stGranted, persona: p, extra: back, status: ok, events: 1,
			check: inStatus(signoff.StatusRevoked, false)})
	}
	for _, p := range []personaKind{whoRequester, whoAuditor, whoNoRoles} {
		add(matrixRow{action: actRevoke, state: stGranted, persona: p, extra: back, status: forbidden, phrase: pOwnersSales})
	}
	for _, b := range []string{"https://evil.example/products/sales-orders/access", "//evil.example/products/x/access",
		"/products/sales-orders/access?next=//evil.example", "/requests", "/products/../admin/access", `/\evil.example/access`} {
		add(matrixRow{action: actRevoke, state: stGranted, persona: whoAdmin, extra: matrixForm("back", b),
			status: http.StatusUnprocessableEntity, phrase: "not one of Signoff's access pages"})
	}

	// Retrying a failed grant: admins only.
	add(matrixRow{action: actRetry, state: stGrantFailed, persona: whoAdmin, status: ok, events: 1,
		check: inStatus(signoff.StatusGranted, true)})
	for _, p := range []personaKind{whoRequester, matrixPersona("approver of step 1", "MARCO"),
		matrixPersona("approver of step 2 and product owner", "FRANK"), whoAuditor, whoTwoRoles} {
		add(matrixRow{action: actRetry, state: stGrantFailed, persona: p, status: forbidden, phrase: pOnlyAdmins})
	}
	for _, p := range []personaKind{matrixPersona("DPO, whose step comes next", "DANA"), whoInheritsDPO, whoNoRoles} {
		add(matrixRow{action: actRetry, state: stGrantFailed, persona: p, status: forbidden, phrase: pOnlyAdmins})
	}
	add(
		matrixRow{action: actRetry, state: stGrantFailed, persona: whoSignedOut, status: unauth, phrase: pSignIn},
		matrixRow{action: actRetry, state: stStep2, persona: whoAdmin, status: conflict, phrase: "This request is pending, so that is no longer possible."},
		matrixRow{action: actRetry, state: stGranted, persona: whoAdmin, status: conflict, phrase: "This request is granted, so that is no longer possible."},
	)

	// Access reviews: the product's owners and admins start them and keep or
	// revoke each grant; everyone else is refused, auditors included.
	reviewers := []personaKind{matrixPersona("product owner (DATA_OWNER_SALES)", "OLIVIA"), whoAdmin,
		matrixPersona("holds the owner role DATA_OWNER_SALES", duoUser)}
	notReviewers := []personaKind{whoRequester, matrixPersona("approver of step 1, not an owner", "MARCO"), whoAuditor,
		whoInheritsDPO, matrixPersona("owner of other products", "FRANK"), whoNoRoles}
	for _, p := range reviewers {
		add(matrixRow{action: actStartReview, state: stNoReview, persona: p, status: ok, events: 0},
			matrixRow{action: actReviewKeep, state: stInReview, persona: p, status: ok, events: 1,
				check: inStatus(signoff.StatusGranted, true)},
			matrixRow{action: actReviewRevoke, state: stInReview, persona: p, status: ok, events: 1,
				check: inStatus(signoff.StatusRevoked, false)},
			// GRACE's grant is the review's one idle grant.
			matrixRow{action: actRevokeIdle, state: stInReview, persona: p, status: ok, events: 1,
				check: inStatus(signoff.StatusRevoked, false)})
	}
	for _, p := range notReviewers {
		add(matrixRow{action: actStartReview, state: stNoReview, persona: p, status: forbidden, phrase: pReviewers360},
			matrixRow{action: actReviewKeep, state: stInReview, persona: p, status: forbidden, phrase: pReviewersSales},
			matrixRow{action: actReviewRevoke, state: stInReview, persona: p, status: forbidden, phrase: pReviewersSales},
			matrixRow{action: actRevokeIdle, state: stInReview, persona: p, status: forbidden, phrase: pReviewersSales})
	}
	add(
		matrixRow{action: actStartReview, state: stNoReview, persona: whoSignedOut, status: unauth, phrase: pSignIn},
		matrixRow{action: actReviewKeep, state: stInReview, persona: whoSignedOut, status: unauth, phrase: pSignIn},
		matrixRow{action: actReviewRevoke, state: stInReview, persona: whoSignedOut, status: unauth, phrase: pSignIn},
		matrixRow{action: actRevokeIdle, state: stInReview, persona: whoSignedOut, status: unauth, phrase: pSignIn},
		matrixRow{action: actRevokeIdle, state: stKeptInReview, persona: matrixPersona("product owner", "OLIVIA"), status: conflict,
			phrase: "No grant of this review is idle and still to decide."},
		matrixRow{action: actStartReview2, state: stInReview, persona: matrixPersona("product owner", "OLIVIA"), status: conflict,
			phrase: "Sales orders has an open access review already"},
		matrixRow{action: actReviewRevoke, state: stKeptInReview, persona: matrixPersona("product owner", "OLIVIA"), status: conflict,
			phrase: "OLIVIA already decided this grant in the review."},
		matrixRow{action: actReviewKeep, state: stKeptInReview, persona: whoAdmin, status: conflict,
			phrase: "OLIVIA already decided this grant in the review."},
	)

	// Signing in (embedded engine): anyone may pick a persona, or switch;
	// signing out always works. Neither writes an audit event.
	for _, p := range []personaKind{whoSignedOut, whoRequester, whoNoRoles, whoAdmin} {
		add(matrixRow{action: actLogin, state: stNone, persona: p, extra: matrixForm("user", "ADAM"), status: ok})
	}
	add(
		matrixRow{action: actLogin, state: stNone, persona: whoSignedOut, extra: matrixForm("user", "GHOST"), status: unauth,
			phrase: "There is no persona GHOST. Choose one of the personas"},
		matrixRow{action: actLogin, state: stNone, persona: whoRequester, extra: matrixForm("user", "ADAM' --"), status: unauth,
			phrase: "There is no persona ADAM' --. Choose one of the personas"},
		matrixRow{action: actLogin, state: stNone, persona: whoRequester, extra: matrixForm("user", "ADAM\n"), status: http.StatusUnprocessableEntity,
			phrase: "Choose one of the personas listed on the sign-in page."},
	)
	for _, p := range []personaKind{whoSignedOut, whoRequester, whoAdmin, whoNoRoles} {
		add(matrixRow{action: actLogout, state: stNone, persona: p, status: ok})
	}

	// Catalog administration: admins only, checked by the Service and by
	// the engine; a request in flight keeps its steps.
	add(matrixRow{action: actNewProd, state: stNone, persona: whoAdmin, status: ok, events: 1, check: savedProduct("partner-feed", 1)},
		matrixRow{action: actEditProd, state: stStep2, persona: whoAdmin, status: ok, events: 1, check: savedProduct("customer-360", 1)})
	add(matrixRow{action: actDescribe, state: stNone, persona: whoAdmin, extra: matrixForm("source_object", "SALES.CORE.NO_SUCH_TABLE"),
		status: http.StatusUnprocessableEntity, phrase: "Signoff cannot see SALES.CORE.NO_SUCH_TABLE"},
		matrixRow{action: actDescribe, state: stNone, persona: whoAdmin, extra: matrixForm("source_object", "SALES.CORE"),
			status: http.StatusUnprocessableEntity, phrase: "The Snowflake object is DATABASE.SCHEMA.OBJECT"})
	for _, a := range []matrixAction{actNewProd, actEditProd, actDescribe} {
		for _, p := range []personaKind{whoRequester, matrixPersona("data owner of the product", "OLIVIA"), whoInheritsDPO,
			whoAuditor, whoNoRoles, whoTwoRoles} {
			add(matrixRow{action: a, state: stNone, persona: p, status: forbidden, phrase: pOnlyAdminsCatalog})
		}
		add(matrixRow{action: a, state: stNone, persona: whoSignedOut, status: unauth, phrase: pSignIn})
	}
	// The directory of managers: admins only; an admin's change is one
	// audit event. Nobody is their own manager.
	add(matrixRow{action: actDirectory, state: stNone, persona: whoAdmin, status: ok, events: 1,
		check: func(t *testing.T, s *stack, _ string) {
			m, err := s.st.ManagerOf(context.Background(), "NOEL")
			require.NoError(t, err)
			assert.Equal(t, "LENA", m)
		}},
		matrixRow{action: actDirectory, state: stNone, persona: whoAdmin, extra: matrixForm("manager", "NOEL"),
			status: http.StatusUnprocessableEntity, phrase: "NOEL cannot be their own manager."},
		matrixRow{action: actDirectory, state: stNone, persona: whoSignedOut, status: unauth, phrase: pSignIn})
	for _, p := range []personaKind{whoRequester, whoAuditor, whoNoRoles, whoTwoRoles, matrixPersona("line manager", "MARCO")} {
		add(matrixRow{action: actDirectory, state: stNone, persona: p, status: forbidden, phrase: pDirectory})
	}
	// The chain policy: admins only, checked by the Service and by the
	// engine; a save is one audit event and a request in flight keeps its
	// steps.
	add(matrixRow{action: actPolicy, state: stNone, persona: whoAdmin, status: ok, events: 1, check: savedPolicy("Governance")},
		matrixRow{action: actPolicy, state: stStep2, persona: whoAdmin, status: ok, events: 1, check: savedPolicy("Governance")},
		matrixRow{action: actPolicy, state: stNone, persona: whoSignedOut, status: unauth, phrase: pSignIn})
	for _, p := range []personaKind{whoRequester, matrixPersona("data owner of the product", "OLIVIA"), whoInheritsDPO,
		whoAuditor, whoNoRoles, whoTwoRoles} {
		add(matrixRow{action: actPolicy, state: stNone, persona: p, status: forbidden, phrase: pOnlyAdminsPolicy})
	}
	add(askingRows(rows)...)
	return rows
}

// refusalPage is the data-testid of the page a refusal shows. A decision
// that someone else got to first shows the request as it now is, under a
// banner (409); one refused only for its acting-as role shows the request
// page, which says so (403); both keep the comment typed. Every other
// refusal is the error page.
func (r matrixRow) refusalPage() string {
	if r.action.name == actDirectory.name && r.status == http.StatusUnprocessableEntity {
		return "directory-problem" // the directory's page again, saying why
	}
	if r.action.name == actDescribe.name && r.status == http.StatusUnprocessableEntity {
		return "form-problems" // the form again, the problem beside the object's field
	}
	if r.action.form.Get("decision") == "" || strings.HasPrefix(r.action.name, "POST /reviews/") {
		return "error"
	}
	switch {
	case r.status == http.StatusConflict:
		return "conflict"
	case r.status == http.StatusForbidden &&
		(strings.Contains(r.phrase, "you are acting as") || strings.Contains(r.phrase, "You chose to act as")):
		return "decide-blocked"
	}
	return "error"
}

// stateSnapshot is everything a refused action must leave alone: every persona's
// requests with their steps, the audit log's length, and every persona's
// roles in session.
type stateSnapshot struct {
	Requests map[string][]signoff.Request
	Events   int
	Roles    map[string][]string
}

func (s *stack) snapshot() stateSnapshot {
	s.t.Helper()
	w := stateSnapshot{Requests: map[string][]signoff.Request{}, Roles: map[string][]string{}, Events: len(s.events())}
	users := []string{duoUser}
	for _, u := range demo.Users {
		users = append(users, u.Name)
	}
	for _, u := range users {
		id, err := s.st.Identify(context.Background(), u)
		if u == duoUser && err != nil {
			continue // a stack without DUO
		}
		require.NoError(s.t, err)
		w.Roles[u] = id.Roles
		rs, err := s.st.Reads().Requests(context.Background(), u, 1000)
		require.NoError(s.t, err)
		w.Requests[u] = rs
	}
	return w
}

func (r matrixRow) name() string {
	user := r.persona.user
	if user == "" {
		user = "signed out"
	}
	extra := ""
	if len(r.extra) > 0 {
		extra = " " + r.extra.Encode()
	}
	return fmt.Sprintf("%s%s/%s/%s (%s)", r.action.name, extra, r.state.name, user, r.persona.kind)
}

// TestAuthorizationMatrix runs every row of the matrix on a fresh stack.
func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	rows := matrixRows()
	if *matrixOut != "" {
		require.NoError(t, os.WriteFile(*matrixOut, []byte(matrixMarkdown(rows)), 0o644))
	}
	// Every route and every kind of persona is in the matrix.
	routes, kinds := map[string]bool{}, map[string]bool{}
	for _, r := range rows {
		routes[r.action.name] = true
		kinds[r.persona.kind] = true
	}
	for _, a := range []matrixAction{actSubmit, actApprove, actReject, actChanges, actResubmit, actWithdraw, actRevoke, actRetry, actLogin, actLogout,
		asking(actReject), asking(actWithdraw), asking(actRevoke), actStartReview, actReviewKeep, actReviewRevoke, actRevokeIdle, actNewProd, actEditProd, actDescribe, actDirectory, actPolicy} {
		assert.True(t, routes[a.name], a.name)
	}
	for _, p := range []personaKind{whoRequester, whoSignedOut, whoInheritsDPO, whoAdmin, whoAuditor, whoNoRoles, whoTwoRoles} {
		assert.True(t, kinds[p.kind], p.kind)
	}
	seen := map[string]bool{}
	for _, row := range rows {
		name := row.name()
		require.False(t, seen[name], "duplicate row %s", name)
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := newStack(t, fromTemplate(matrixDB))
			id := row.state.build(t, s)
			c := s.anon()
			if row.persona.user != "" {
				c = s.as(row.persona.user)
			}
			form := url.Values{}
			for k, v := range row.action.form {
				form[k] = slices.Clone(v)
			}
			for k, v := range row.extra {
				form[k] = slices.Clone(v)
			}
			before := s.snapshot()
			res := c.post(row.action.path(id), form)
			require.Equal(t, row.status, res.Status, "body: %s", text(res.Body))
			after := s.snapshot()

			if row.status == http.StatusOK { // a confirmation step
				assert.True(t, hasTestid(res.Body, "confirm"), "the confirmation")
				assert.Equal(t, before, after, "asking changes nothing")
				for k, v := range form {
					assert.Equal(t, v[0], fieldValue(res.Body, k), "the confirmation carries %s", k)
				}
				assert.Equal(t, 1, count(res.Body, element("button", "name", "confirm", "value", "1")), "a button confirms")
				return
			}
			if row.status != http.StatusSeeOther {
				page := row.refusalPage()
				assert.True(t, hasTestid(res.Body, page), "the %s page", page)
				require.NotEmpty(t, row.phrase, "a refusal row names its message")
				assert.Contains(t, text(res.Body), row.phrase)
				assert.Equal(t, before, after, "a refusal changes nothing")
				if page != "error" && form.Get("comment") != "" {
					comment := fieldValue(res.Body, "comment")
					if !hasTestid(res.Body, "decision") {
						comment = testid(res.Body, "kept-comment")
					}
					assert.Equal(t, form.Get("comment"), comment, "the comment typed is kept")
				}
				if row.action.name == actLogin.name {
					assert.Equal(t, row.persona.user, c.signedInAs(), "the session did not change")
				}
				return
			}

			assert.Equal(t, before.Events+row.events, after.Events, "audit events written")
			switch row.action.name {
			case actLogin.name:
				assert.Equal(t, "/", res.Location)
				assert.Equal(t, row.extra.Get("user"), c.signedInAs(), "signed in as the persona chosen")
				assert.Equal(t, before, after, "signing in changes no workflow state")
			case actLogout.name:
				assert.Equal(t, "/login", res.Location)
				assert.Empty(t, c.signedInAs(), "signed out")
				assert.Equal(t, before, after, "signing out changes no workflow state")
			case actDirectory.name:
				assert.Equal(t, "/admin/directory", res.Location)
			case actPolicy.name:
				assert.Equal(t, "/admin/policy", res.Location)
			case actSubmit.name:
				newID := s.requestFor(row.persona.user, "customer-360", signoff.StatusPending)
				assert.Equal(t, "/requests/"+newID, res.Location)
				assert.Len(t, after.Requests[row.persona.user], len(before.Requests[row.persona.user])+1)
			case actStartReview.name:
				assert.True(t, strings.HasPrefix(res.Location, "/reviews/"), "on to the new review: %s", res.Location)
			case actReviewKeep.name, actReviewRevoke.name, actRevokeIdle.name:
				review, _, _ := strings.Cut(id, "|")
				assert.Equal(t, view.ReviewURL(review), res.Location)
			case actNewProd.name, actEditProd.name:
				assert.Regexp(t, `^/admin/products/[a-z0-9-]+/edit$`, res.Location)
			case actApprove.name, actReject.name, actChanges.name:
				// On to the next request of the queue acted in (the form
				// carries no queue context here: from the queue's start).
				want := signoff.QueueInput{ActingAs: row.extra.Get("acting_as"), Next: true}
				assert.Equal(t, view.QueueURL(want), res.Location)
			default:
				want := "/requests/" + id
				if b := row.extra.Get("back"); b != "" {
					want = b // revoked from who has access: back there
				}
				assert.Equal(t, want, res.Location)
			}
			id = requestOfState(id)
			if row.check != nil {
				row.check(t, s, id)
			}
			// Nobody else's requests or roles changed.
			r := signoff.Request{}
			if id != "" {
				r = s.request(id)
			}
			for user, rs := range after.Requests {
				if user == r.Requester || (row.action.name == actSubmit.name && user == row.persona.user) {
					continue
				}
				assert.Equal(t, before.Requests[user], rs, "%s's requests are untouched", user)
				assert.Equal(t, before.Roles[user], after.Roles[user], "%s's roles are untouched", user)
			}
		})
	}
}

// matrixMarkdown renders the matrix as a Markdown table, one row per cell.
func matrixMarkdown(rows []matrixRow) string {
	var b strings.Builder
	b.WriteString("# Signoff authorization matrix\n\n")
	b.WriteString("Generated by `go test ./internal/server -run TestAuthorizationMatrix -args -matrix-out=FILE`. ")
	b.WriteString("Each row runs on a fresh demo database; a refusal changes no request, step, audit event or role.\n\n")
	b.WriteString("| route | state | persona | user | form | expected |\n|---|---|---|---|---|---|\n")
	for _, r := range rows {
		user := r.persona.user
		if user == "" {
			user = "—"
		}
		form := r.extra.Encode()
		if form == "" {
			form = "—"
		}
		outcome := fmt.Sprintf("%d %s", r.status, http.StatusText(r.status))
		if r.phrase != "" {
			outcome += ": " + r.phrase
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | `%s` | %s |\n", r.action.name, r.state.name, r.persona.kind, user,
			strings.ReplaceAll(form, "|", "\\|"), strings.ReplaceAll(outcome, "|", "\\|"))
	}
	return b.String()
}

// TestPageAuthorizationMatrix pins who may read each protected page on the
// full stack: a signed-out visitor is sent to sign in (embedded engine) or
// shown the 401 page (Snowflake, where the ingress names nobody), exactly as
// on every other page; a signed-in visitor without the role gets 403.
// OLIVIA owns the sales and marketing products, and nothing else.
func TestPageAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	const (
		ok        = http.StatusOK
		forbidden = http.StatusForbidden
	)
	s := newStack(t, fromTemplate(matrixDB))
	granted := "/requests/" + s.requestFor("ALICE", "sales-orders", signoff.StatusGranted)
	pages := []struct {
		path string
		// status for each signed-in persona; everyone not listed gets 200.
		status map[string]int
	}{
		{"/", nil},
		{"/products/customer-360", nil},
		{"/requests", nil},
		{granted, map[string]int{"NOEL": forbidden}},
		{"/queue", nil},
		{"/audit", map[string]int{"ALICE": forbidden, "NOEL": forbidden, "OLIVIA": forbidden}},
		{"/audit?format=csv", map[string]int{"ALICE": forbidden, "NOEL": forbidden, "OLIVIA": forbidden}},
		{"/audit/verify", map[string]int{"ALICE": forbidden, "NOEL": forbidden, "OLIVIA": forbidden}},
		{"/doctor", map[string]int{"ALICE": forbidden, "NOEL": forbidden, "AUDREY": forbidden, "OLIVIA": forbidden}},
		// Who has access: the product's owners (OLIVIA, of sales orders
		// and not of HR headcount), admins and auditors.
		{"/products/sales-orders/access", map[string]int{"ALICE": forbidden, "NOEL": forbidden}},
		{"/products/hr-headcount/access", map[string]int{"ALICE": forbidden, "NOEL": forbidden, "OLIVIA": forbidden}},
		{"/admin", map[string]int{"ALICE": forbidden, "NOEL": forbidden, "OLIVIA": forbidden}},
		{"/admin/requests", map[string]int{"ALICE": forbidden, "NOEL": forbidden, "OLIVIA": forbidden}},
		{"/admin/grants", map[string]int{"ALICE": forbidden, "NOEL": forbidden, "OLIVIA": forbidden}},
		{"/reviews", nil},
		{"/products/sales-orders/reviews", map[string]int{"ALICE": forbidden, "NOEL": forbidden}},
		{view.ReviewURL(s.openReview("sales-orders")), map[string]int{"ALICE": forbidden, "NOEL": forbidden}},
		{"/admin/products", map[string]int{"ALICE": forbidden, "NOEL": forbidden, "AUDREY": forbidden, "OLIVIA": forbidden}},
		{"/admin/products/new", map[string]int{"ALICE": forbidden, "NOEL": forbidden, "AUDREY": forbidden, "OLIVIA": forbidden}},
		{"/admin/products/customer-360/edit", map[string]int{"ALICE": forbidden, "NOEL": forbidden, "AUDREY": forbidden, "OLIVIA": forbidden}},
		{"/admin/directory", map[string]int{"ALICE": forbidden, "NOEL": forbidden, "AUDREY": forbidden, "OLIVIA": forbidden}},
		{"/admin/policy", map[string]int{"ALICE": forbidden, "NOEL": forbidden, "AUDREY": forbidden, "OLIVIA": forbidden}},
	}
	clients := map[string]*client{}
	for _, user := range []string{"ALICE", "NOEL", "AUDREY", "ADAM", "OLIVIA"} {
		clients[user] = s.as(user)
	}
	for _, p := range pages {
		t.Run("GET "+p.path+"/signed out", func(t *testing.T) {
			res := s.anon().get(p.path)
			require.Equal(t, http.StatusSeeOther, res.Status, "body: %s", text(res.Body))
			assert.Equal(t, "/login?next="+url.QueryEscape(p.path), res.Location)
		})
		for user, c := range clients {
			want, listed := p.status[user]
			if !listed {
				want = ok
			}
			t.Run("GET "+p.path+"/"+user, func(t *testing.T) {
				res := c.get(p.path)
				assert.Equal(t, want, res.Status, "body: %s", text(res.Body))
			})
		}
	}

	t.Run("on Snowflake, a visitor the ingress names nobody", func(t *testing.T) {
		sf := newStack(t, onSnowflake(time.Minute)...)
		for _, p := range pages {
			res := sf.anon().get(p.path)
			assert.Equal(t, http.StatusUnauthorized, res.Status, p.path)
			assert.Contains(t, text(res.Body), "Signoff did not receive your Snowflake identity", p.path)
		}
	})
}
