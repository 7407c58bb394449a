package snowflake

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/DATA-DOG/go-sqlmock"
	sf "github.com/snowflakedb/gosnowflake"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/server"
	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlstore"
)

// TestRoundTrips serves every page and action through internal/server on
// the Snowflake engine, configured as `signoff serve` configures it, with
// browsers that keep their cookies, and counts what each request costs: the
// statements on the service connection, the caller's-rights logins (each a
// Snowflake session opened with the visitor's caller token) and the
// statements run in those sessions (identity statements and CALLs).
// Snowflake statements and logins cost tens to hundreds of milliseconds, so
// these counts are the app's latency budget; the test fails when one
// changes, so a regression (or an improvement) is a deliberate edit here.
// It also fails when the engine sends a statement that is not in the
// catalogue (statements_test.go), whose golden file pins every statement
// text the engine sends.
func TestRoundTrips(t *testing.T) {
	rt := newRoundTrip(t, prodIdentityTTL)
	a := pendingRequest(reqID, 1) // ALICE's request, at step 1
	atStep2 := pendingRequest(reqID, 2)
	final := pendingRequest(req2ID, 3) // at its last step
	rejected := pendingRequest(req2ID, 2)
	rejected.Status, rejected.Steps[1].Decision, rejected.Steps[1].DecidedBy = signoff.StatusRejected, signoff.DecisionReject, "CAROL"
	rejected.Steps[1].ActorRole, rejected.Steps[1].Comment, rejected.Steps[1].DecidedAt = "APPROVER_OWNER", "No DPIA yet.", t2
	submittedEv := submitted(reqID)

	rt.do(visit{name: "readiness probe", method: "GET", path: "/readyz",
		service: func(m sqlmock.Sqlmock) {
			expectQuery(m, `SELECT 1`).WillReturnRows(sqlmock.NewRows([]string{"1"}).AddRow(int64(1)))
		}, cost: cost{service: 1}})

	// ALICE browses the catalog and asks for access.
	rt.do(visit{name: "catalog, ALICE's first page (no identity cookie; caches cold)", method: "GET", path: "/", user: "ALICE",
		service: func(m sqlmock.Sqlmock) {
			expectQuery(m, RolesThatMatter).WillReturnRows(rt.rolesRows())
			expectQuery(m, productsSQL).WillReturnRows(productRows(webAds(), salesEU()))
			expectQuery(m, sqlstore.SelectRequestsBy(signoff.MyRequestsLimit), "ALICE").WillReturnRows(requestRows())
		},
		callers: []func(sqlmock.Sqlmock){rt.identity("ALICE")}, cost: cost{service: 3, logins: 1, caller: 1}})
	res := rt.do(visit{name: "catalog (identity cookie and catalog cache fresh)", method: "GET", path: "/", user: "ALICE",
		service: func(m sqlmock.Sqlmock) {
			// The viewer's own requests, to mark what they asked for.
			expectQuery(m, sqlstore.SelectRequestsBy(signoff.MyRequestsLimit), "ALICE").WillReturnRows(requestRows())
		}, cost: cost{service: 1}})
	require.Contains(t, res.Body.String(), "EU sales orders")
	require.Contains(t, res.Body.String(), "Ad impressions")
	require.NotContains(t, res.Body.String(), `href="/queue"`,
		"ALICE holds no approver role: no Approvals tab, known from her identity at no statement")
	rt.clock.advance(prodIdentityTTL)
	res = rt.do(visit{name: "catalog, 30 s later (identity cookie and catalog cache expired)", method: "GET", path: "/", user: "ALICE",
		service: func(m sqlmock.Sqlmock) {
			expectQuery(m, productsSQL).WillReturnRows(productRows(webAds(), salesEU()))
			expectQuery(m, sqlstore.SelectRequestsBy(signoff.MyRequestsLimit), "ALICE").WillReturnRows(requestRows())
		},
		callers: []func(sqlmock.Sqlmock){rt.identity("ALICE")}, cost: cost{service: 2, logins: 1, caller: 1}})
	require.Contains(t, res.Body.String(), "EU sales orders")
	res = rt.do(visit{name: "product", method: "GET", path: "/products/SALES_EU", user: "ALICE",
		service: func(m sqlmock.Sqlmock) {
			expectQuery(m, sqlstore.SelectProductFor, "SALES_EU", "ALICE", "SALES_EU").WillReturnRows(productForRows(salesEU(), "", ""))
		}, cost: cost{service: 1}})
	require.Contains(t, res.Body.String(), "Security / DPO")

	var newID string
	answer, echo := echoRequestID(`{"actor":"ALICE","request_id":"`+idPlaceholder+`","product_id":"SALES_EU",`+
		`"product_name":"EU sales orders","status":"PENDING","current_step":1,"step_count":3}`, &newID)
	res = rt.do(visit{name: "submit", method: "POST", path: "/products/SALES_EU/requests", user: "ALICE",
		form: url.Values{"reason": {"Quarterly churn analysis for the EU board pack."}},
		callers: []func(sqlmock.Sqlmock){expectCall(callSubmit, answer,
			"SALES_EU", "Quarterly churn analysis for the EU board pack.", int64(0), "", echo, validIDs{n: 1}, false)},
		cost: cost{logins: 1, caller: 1}})
	require.True(t, signoff.ValidID(newID))
	require.Equal(t, "/requests/"+newID, res.Header().Get("Location"), "to the request the procedure filed")
	mine := pendingRequest(newID, 1)
	res = rt.do(visit{name: "request page (after submit: the redirect)", method: "GET", path: "/requests/" + newID, user: "ALICE",
		service: func(m sqlmock.Sqlmock) {
			expectQuery(m, sqlstore.SelectRequestDetail, newID, newID).WillReturnRows(detailRows(mine, salesEU(), historyOf(mine)...))
		}, cost: cost{service: 1}})
	require.Contains(t, html.UnescapeString(res.Body.String()),
		"Your request for EU sales orders is submitted. It needs 3 approvals; you can follow it here.")
	rt.do(visit{name: "my requests", method: "GET", path: "/requests", user: "ALICE",
		service: func(m sqlmock.Sqlmock) {
			expectQuery(m, sqlstore.SelectRequestsBy(signoff.MyRequestsLimit), "ALICE").WillReturnRows(requestRows(a, rejected))
		}, cost: cost{service: 1}})

	// BOB approves the first step, and goes on to the next request of his
	// queue.
	products := []signoff.Product{salesEU()}
	rt.do(visit{name: "queue, BOB's first page (no identity cookie; roles cache cold)", method: "GET", path: "/queue", user: "BOB",
		service: func(m sqlmock.Sqlmock) {
			expectQuery(m, sqlstore.SelectApproverRoles).WillReturnRows(sqlmock.NewRows([]string{"approver_role"}).
				AddRow("APPROVER_DPO").AddRow("APPROVER_MGR").AddRow("APPROVER_OWNER"))
			expectQuery(m, queueSQL(oneRole), "APPROVER_MGR", "BOB", "BOB", "APPROVER_MGR", "BOB", "BOB", "APPROVER_MGR", "APPROVER_MGR").WillReturnRows(queueRows(products, a))
			expectPending(m, "BOB", 1, "APPROVER_MGR") // the header's count, kept 30 s: his next pages read none
		},
		callers: []func(sqlmock.Sqlmock){rt.identity("BOB")}, cost: cost{service: 3, logins: 1, caller: 1}})
	res = rt.do(visit{name: "queue", method: "GET", path: "/queue", user: "BOB",
		service: func(m sqlmock.Sqlmock) {
			expectQuery(m, queueSQL(oneRole), "APPROVER_MGR", "BOB", "BOB", "APPROVER_MGR", "BOB", "BOB", "APPROVER_MGR", "APPROVER_MGR").WillReturnRows(queueRows(products, a))
		}, cost: cost{service: 1}})
	require.Contains(t, res.Body.String(), reqID)
	aKey := signoff.QueueKeyOf(a, signoff.QueueByProduct)
	res = rt.do(visit{name: "queue, every filter, by product, a later page", method: "GET",
		path: "/queue?" + url.Values{"product": {"SALES_EU"}, "classification": {"CONFIDENTIAL"}, "sort": {"product"},
			"after": {aKey.String()}}.Encode(), user: "BOB",
		service: func(m sqlmock.Sqlmock) {
			expectQuery(m, queueSQL(queueEveryFilter), "APPROVER_MGR", "BOB", "BOB", "APPROVER_MGR", "BOB", "BOB", "SALES_EU", "CONFIDENTIAL",
				a.ProductName, a.ProductName, a.UpdatedAt, a.UpdatedAt, a.ID, "APPROVER_MGR", "APPROVER_MGR").WillReturnRows(queueRows(products))
		}, cost: cost{service: 1}})
	require.Contains(t, res.Body.String(), "matches these filters", "nothing after it")
	res = rt.do(visit{name: "request page", method: "GET", path: "/requests/" + reqID, user: "BOB",
		service: func(m sqlmock.Sqlmock) {
			expectQuery(m, sqlstore.SelectRequestDetail, reqID, reqID).WillReturnRows(detailRows(a, salesEU(), submittedEv))
		}, cost: cost{service: 1}})
	require.Contains(t, res.Body.String(), "Quarterly churn analysis for the EU board pack.")
	require.Contains(t, res.Body.String(), `data-testid="history"`, "the events come with the request")
	require.Contains(t, res.Body.String(), `href="/queue"`, "BOB approves: his pages offer the Approvals tab")
	queueCtx := fieldValue(t, res.Body.String(), "queue")
	after := signoff.QueueKeyOf(a, signoff.QueueOldest)
	require.Equal(t, url.Values{"after": {after.String()}}.Encode(), queueCtx, "the decision form carries the request's place in the queue")
	res = rt.do(visit{name: "approve a non-final step", method: "POST", path: "/requests/" + reqID + "/decision", user: "BOB",
		form: url.Values{"decision": {"approve"}, "step": {"1"}, "comment": {"Fine by me."}, "queue": {queueCtx}},
		callers: []func(sqlmock.Sqlmock){expectCall(callDecide, envelope(signoff.CodeOK, `{"actor":"BOB","request_id":"`+reqID+
			`","status":"PENDING","current_step":2,"step_count":3,"step_label":"Data owner","step_role":"APPROVER_OWNER"}`),
			reqID, int64(1), "APPROVED", "Fine by me.", "", int64(0), validIDs{n: 3}, false)},
		cost: cost{logins: 1, caller: 1}})
	require.Equal(t, "/queue?"+url.Values{"after": {after.String()}, "next": {"1"}}.Encode(), res.Header().Get("Location"),
		"on to the next request after this one")
	next := pendingRequest(req2ID, 1)
	next.Requester, next.UpdatedAt = "ERIN", t1
	res = rt.do(visit{name: "next request after a decision (the redirect: one queue read finds it)", method: "GET",
		path: res.Header().Get("Location"), user: "BOB", status: http.StatusSeeOther,
		service: func(m sqlmock.Sqlmock) {
			expectQuery(m, queueSQL(queueAfter(signoff.QueueOldest)), "APPROVER_MGR", "BOB", "BOB", "APPROVER_MGR", "BOB", "BOB",
				a.UpdatedAt, a.UpdatedAt, a.ID, "APPROVER_MGR", "APPROVER_MGR").WillReturnRows(queueRows(products, next))
		}, cost: cost{service: 1}})
	require.Equal(t, "/requests/"+req2ID, res.Header().Get("Location"))
	res = rt.do(visit{name: "request page (the next request: the redirect)", method: "GET", path: "/requests/" + req2ID, user: "BOB",
		service: func(m sqlmock.Sqlmock) {
			expectQuery(m, sqlstore.SelectRequestDetail, req2ID, req2ID).WillReturnRows(detailRows(next, salesEU(), historyOf(next)...))
		}, cost: cost{service: 1}})
	require.Contains(t, html.UnescapeString(res.Body.String()), "Approved. Next: EU sales orders for ERIN.")
	nextKey := signoff.QueueKeyOf(next, signoff.QueueOldest)
	res = rt.do(visit{name: "next request after a decision, end of the queue (read again from the top)",
		method: "GET", path: "/queue?" + url.Values{"after": {nextKey.String()}, "next": {"1"}}.Encode(), user: "BOB",
		service: func(m sqlmock.Sqlmock) {
			expectQuery(m, queueSQL(queueAfter(signoff.QueueOldest)), "APPROVER_MGR", "BOB", "BOB", "APPROVER_MGR", "BOB", "BOB",
				next.UpdatedAt, next.UpdatedAt, next.ID, "APPROVER_MGR", "APPROVER_MGR").WillReturnRows(queueRows(products))
			expectQuery(m, queueSQL(oneRole), "APPROVER_MGR", "BOB", "BOB", "APPROVER_MGR", "BOB", "BOB", "APPROVER_MGR", "APPROVER_MGR").WillReturnRows(queueRows(products))
		}, cost: cost{service: 2}})
	require.Contains(t, res.Body.String(), "Nothing waits for you right now.")
	res = rt.do(visit{name: "approve, refused by the procedure (role not held)", method: "POST",
		path: "/requests/" + reqID + "/decision", user: "BOB", status: http.StatusForbidden,
		form: url.Values{"decision": {"approve"}, "step": {"2"}},
		callers: []func(sqlmock.Sqlmock){expectCall(callDecide, envelope(signoff.CodeRoleNotHeld,
			`{"ACTOR":"BOB","REQUEST_ID":"`+reqID+`","STATUS":"PENDING","CURRENT_STEP":2,"STEP_LABEL":"Data owner","STEP_ROLE":"APPROVER_OWNER"}`),
			reqID, int64(2), "APPROVED", "", "", int64(0), validIDs{n: 3}, false)},
		cost: cost{logins: 1, caller: 1}})
	require.Contains(t, res.Body.String(), "The Data owner step needs the APPROVER_OWNER role, which is not in your session.")

	// CAROL rejects the second step; DAN approves another request's last.
	rt.do(visit{name: "request page, CAROL's first page (no identity cookie)", method: "GET", path: "/requests/" + reqID,
		user: "CAROL",
		service: func(m sqlmock.Sqlmock) {
			expectQuery(m, sqlstore.SelectRequestDetail, reqID, reqID).WillReturnRows(detailRows(atStep2, salesEU(), historyOf(atStep2)...))
			expectPending(m, "CAROL", 1, "APPROVER_OWNER")
		},
		callers: []func(sqlmock.Sqlmock){rt.identity("CAROL")}, cost: cost{service: 2, logins: 1, caller: 1}})
	res = rt.do(visit{name: "reject: the confirmation step (a read; no call)", method: "POST", path: "/requests/" + reqID + "/decision",
		user: "CAROL", form: url.Values{"decision": {"reject"}, "comment": {"No DPIA yet."}}, status: http.StatusOK,
		service: func(m sqlmock.Sqlmock) {
			expectQuery(m, sqlstore.SelectRequestDetail, reqID, reqID).WillReturnRows(detailRows(atStep2, salesEU(), historyOf(atStep2)...))
		}, cost: cost{service: 1}})
	require.Contains(t, res.Body.String(), `<input type="hidden" name="step" value="2">`, "the confirmation carries the step it saw")
	rt.do(visit{name: "reject", method: "POST", path: "/requests/" + reqID + "/decision", user: "CAROL",
		form: url.Values{"decision": {"reject"}, "comment": {"No DPIA yet."}, "step": {"2"}, "confirm": {"1"}},
		callers: []func(sqlmock.Sqlmock){expectCall(callDecide, envelope(signoff.CodeOK,
			`{"actor":"CAROL","request_id":"`+reqID+`","status":"REJECTED","current_step":2,"step_count":3}`),
			reqID, int64(2), "REJECTED", "No DPIA yet.", "", int64(0), validIDs{n: 3}, false)},
		cost: cost{logins: 1, caller: 1}})
	res = rt.do(visit{name: "request page of the last step, DAN's first page (no identity cookie)", method: "GET", path: "/requests/" + req2ID,
		user: "DAN",
		service: func(m sqlmock.Sqlmock) {
			expectQuery(m, sqlstore.SelectRequestDetail, req2ID, req2ID).WillReturnRows(detailRows(final, salesEU(), historyOf(final)...))
			// The last step's approver sees what approving grants: the
			// requester's active grants, to say when one already holds
			// the role.
			expectQuery(m, boundText(sqlstore.ListGrants), "", "", "ALICE", "ALICE").WillReturnRows(grantRows())
			expectPending(m, "DAN", 1, "APPROVER_DPO")
		},
		callers: []func(sqlmock.Sqlmock){rt.identity("DAN")}, cost: cost{service: 3, logins: 1, caller: 1}})
	require.Contains(t, res.Body.String(), "Approve and grant")
	require.Contains(t, res.Body.String(), "GRANT ROLE &#34;SALES_READER&#34; TO USER &#34;ALICE&#34;")
	res = rt.do(visit{name: "approve the final step (the grant runs in the same CALL)", method: "POST",
		path: "/requests/" + req2ID + "/decision", user: "DAN",
		form: url.Values{"decision": {"approve"}, "step": {"3"}, "acting_as": {"APPROVER_DPO"}},
		callers: []func(sqlmock.Sqlmock){expectCall(callDecide, envelope(signoff.CodeOK, `{"actor":"DAN","request_id":"`+req2ID+
			`","requester":"ALICE","access_role":"SALES_READER","status":"GRANTED","current_step":3,"step_count":3,"acting_as":"APPROVER_DPO"}`),
			req2ID, int64(3), "APPROVED", "", "APPROVER_DPO", int64(0), validIDs{n: 3}, false)},
		cost: cost{logins: 1, caller: 1}})
	require.Equal(t, "/queue?as=APPROVER_DPO&next=1", res.Header().Get("Location"),
		"a form without the queue's context: on to the first of the queue DAN acted in")

	// A page view now would look the user up again; an action does not.
	rt.do(visit{name: "withdraw: the confirmation step (a read; no call)", method: "POST",
		path: "/requests/" + newID + "/withdraw", user: "ALICE", form: url.Values{}, status: http.StatusOK,
		service: func(m sqlmock.Sqlmock) {
			expectQuery(m, sqlstore.SelectRequestDetail, newID, newID).WillReturnRows(detailRows(mine, salesEU(), historyOf(mine)...))
		}, cost: cost{service: 1}})
	rt.clock.advance(prodIdentityTTL)
	rt.do(visit{name: "withdraw (identity cookie older than the identity cache)", method: "POST",
		path: "/requests/" + newID + "/withdraw", user: "ALICE", form: url.Values{"confirm": {"1"}},
		callers: []func(sqlmock.Sqlmock){expectCall(callWithdraw, envelope(signoff.CodeOK,
			`{"actor":"ALICE","request_id":"`+newID+`","status":"WITHDRAWN"}`), newID, validIDs{n: 1}, false)},
		cost: cost{logins: 1, caller: 1}})

	// Time-bound access and questions (issue 12): BOB asks ALICE a question
	// on her request, she answers it (the request goes back to its
	// approvers), and BOB approves for 30 days. Each is one CALL in the
	// actor's own session, as every action.
	rt.do(visit{name: "ask for changes", method: "POST", path: "/requests/" + reqID + "/decision", user: "BOB",
		form: url.Values{"decision": {"changes"}, "step": {"1"}, "comment": {"Which board pack, Q3 or Q4?"}},
		callers: []func(sqlmock.Sqlmock){expectCall(callDecide, envelope(signoff.CodeOK, `{"actor":"BOB","request_id":"`+reqID+
			`","status":"CHANGES_REQUESTED","current_step":1,"step_count":3}`),
			reqID, int64(1), "CHANGES_REQUESTED", "Which board pack, Q3 or Q4?", "", int64(0), validIDs{n: 3}, false)},
		cost: cost{logins: 1, caller: 1}})
	rt.do(visit{name: "resubmit (answer the question)", method: "POST", path: "/requests/" + reqID + "/resubmit", user: "ALICE",
		form: url.Values{"answer": {"Q4, for the January board."}},
		callers: []func(sqlmock.Sqlmock){expectCall(callResubmit, envelope(signoff.CodeOK,
			`{"actor":"ALICE","request_id":"`+reqID+`","status":"PENDING","current_step":1,"step_count":3}`),
			reqID, "Q4, for the January board.", "", validIDs{n: 1}, false)},
		cost: cost{logins: 1, caller: 1}})
	rt.do(visit{name: "approve for 30 days", method: "POST", path: "/requests/" + reqID + "/decision", user: "BOB",
		form: url.Values{"decision": {"approve"}, "step": {"1"}, "days": {"30"}},
		callers: []func(sqlmock.Sqlmock){expectCall(callDecide, envelope(signoff.CodeOK, `{"actor":"BOB","request_id":"`+reqID+
			`","status":"PENDING","current_step":2,"step_count":3,"step_label":"Data owner","step_role":"APPROVER_OWNER"}`),
			reqID, int64(1), "APPROVED", "", "", int64(30), validIDs{n: 3}, false)},
		cost: cost{logins: 1, caller: 1}})

	// AUDREY reads the audit log.
	rt.do(visit{name: "audit log, AUDREY's first page (no identity cookie; catalog cache expired)", method: "GET",
		path: "/audit", user: "AUDREY",
		service: func(m sqlmock.Sqlmock) {
			expectQuery(m, auditPageSQL(signoff.EventFilter{})).WillReturnRows(eventRows(submittedEv))
			expectQuery(m, productsSQL).WillReturnRows(productRows(webAds(), salesEU()))
		},
		callers: []func(sqlmock.Sqlmock){rt.identity("AUDREY")}, cost: cost{service: 2, logins: 1, caller: 1}})
	res = rt.do(visit{name: "audit log (catalog cache warm)", method: "GET", path: "/audit", user: "AUDREY",
		service: func(m sqlmock.Sqlmock) {
			expectQuery(m, auditPageSQL(signoff.EventFilter{})).WillReturnRows(eventRows(submittedEv))
		}, cost: cost{service: 1}})
	require.Contains(t, res.Body.String(), "EU sales orders", "the product filter lists the cached products")
	approval := historyOf(pendingRequest(reqID, 2))[1]
	res = rt.do(visit{name: "audit log, every filter set (a next page)", method: "GET",
		path: "/audit?" + url.Values{"request": {reqID}, "product": {"SALES_EU"}, "actor": {"bob"},
			"type": {"STEP_APPROVED"}, "from": {"2026-03-02"}, "to": {"2026-03-04"}, "before": {"3"}}.Encode(),
		user: "AUDREY",
		service: func(m sqlmock.Sqlmock) {
			// The actor filter's two halves: bob's events if bob is someone's
			// whole name, else those of everyone whose name contains it.
			from, to := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)
			expectQuery(m, auditPageSQL(allFilters), reqID, "SALES_EU", "STEP_APPROVED", from, to, int64(3), "bob",
				"bob", reqID, "SALES_EU", "STEP_APPROVED", from, to, int64(3), "%bob%").
				WillReturnRows(eventRows(approval))
		}, cost: cost{service: 1}})
	require.Contains(t, res.Body.String(), "<td>Step approved</td>", "the matching event")
	require.Contains(t, res.Body.String(), `<a href="/audit">Newest</a>`, "a later page links to the newest")
	res = rt.do(visit{name: "audit log as CSV (the export)", method: "GET", path: "/audit?format=csv", user: "AUDREY",
		service: func(m sqlmock.Sqlmock) {
			expectQuery(m, eventsSQL(signoff.EventFilter{Limit: server.MaxExportRows})).WillReturnRows(eventRows(submittedEv))
		}, cost: cost{service: 1}})
	require.Equal(t, "text/csv; charset=utf-8", res.Header().Get("Content-Type"))
	require.Contains(t, res.Body.String(), submittedEv.ID)
	digest := signoff.Digest{Seq: 2, Hash: strings.Repeat("a", 64), Taken: t1}
	res = rt.do(visit{name: "audit log verification", method: "GET", path: "/audit/verify", user: "AUDREY",
		service: func(m sqlmock.Sqlmock) {
			expectQuery(m, QueryHistoryDigests).WillReturnRows(sqlmock.NewRows([]string{"query_text"}).
				AddRow("SELECT '" + digest.Line() + "' AS SIGNOFF_DIGEST"))
			expectQuery(m, LogDigests(DefaultService)).WillReturnRows(sqlmock.NewRows([]string{"log"}).AddRow(digest.Line()))
			expectQuery(m, sqlstore.SelectLedgerSize).WillReturnRows(sqlmock.NewRows([]string{"r", "e"}).AddRow(3, 2))
			expectQuery(m, sqlstore.VerifyLedger(DigestsFromJSON), `[{"seq":2,"hash":"`+digest.Hash+`"}]`).WillReturnRows(
				sqlmock.NewRows([]string{"request_id", "seq", "event_id", "problem", "field", "stored", "expected"}).
					AddRow(reqID, 1, ev2ID, "edited", "hash", "x", "y").
					AddRow(ev3ID, 0, "", "missing", "events", "", ""))
		}, cost: cost{service: 4}})
	require.Contains(t, res.Body.String(), "Does not verify: 2 problem(s) in 2 events and 3 requests.")
	require.Contains(t, res.Body.String(), "<td>edited</td>", "the rewritten comment")
	require.Contains(t, res.Body.String(), "<td>missing</td>", "a request without events")
	require.Contains(t, res.Body.String(), "1 digest kept in Snowflake&#39;s query history and the event table", "read from both anchors, once")

	// ADA, an admin, retries a grant and revokes it.
	granted := final
	granted.Status = signoff.StatusGrantFailed
	// The approver roles were read with BOB's first queue page, 30 s ago:
	// the catalog cache's TTL has passed, so they are read again.
	res = rt.do(visit{name: "queue of an admin, ADA's first page (no identity cookie; roles cache expired)", method: "GET",
		path: "/queue", user: "ADA",
		service: func(m sqlmock.Sqlmock) {
			expectQuery(m, sqlstore.SelectApproverRoles).WillReturnRows(sqlmock.NewRows([]string{"approver_role"}).
				AddRow("APPROVER_DPO").AddRow("APPROVER_MGR").AddRow("APPROVER_OWNER"))
			expectQuery(m, sqlstore.SelectRequestsIn(2, signoff.QueueLimit), "APPROVED", "GRANT_FAILED").WillReturnRows(requestRows(granted))
		},
		callers: []func(sqlmock.Sqlmock){rt.identity("ADA")}, cost: cost{service: 2, logins: 1, caller: 1}})
	require.Contains(t, res.Body.String(), req2ID)
	rt.do(visit{name: "retry a failed grant", method: "POST", path: "/requests/" + req2ID + "/retry-grant", user: "ADA",
		form: url.Values{},
		callers: []func(sqlmock.Sqlmock){expectCall(callRetry, envelope(signoff.CodeOK,
			`{"actor":"ADA","request_id":"`+req2ID+`","status":"GRANTED"}`), req2ID, validIDs{n: 1}, false)},
		cost: cost{logins: 1, caller: 1}})
	granted.Status = signoff.StatusGranted
	rt.do(visit{name: "revoke: the confirmation step (a read; no call)", method: "POST", path: "/requests/" + req2ID + "/revoke",
		user: "ADA", form: url.Values{"reason": {"Left the team."}}, status: http.StatusOK,
		service: func(m sqlmock.Sqlmock) {
			expectQuery(m, sqlstore.SelectRequestDetail, req2ID, req2ID).WillReturnRows(detailRows(granted, salesEU(), historyOf(granted)...))
		}, cost: cost{service: 1}})
	rt.do(visit{name: "revoke", method: "POST", path: "/requests/" + req2ID + "/revoke", user: "ADA",
		form: url.Values{"reason": {"Left the team."}, "confirm": {"1"}},
		callers: []func(sqlmock.Sqlmock){expectCall(callRevoke, envelope(signoff.CodeOK,
			`{"actor":"ADA","request_id":"`+req2ID+`","status":"REVOKED"}`), req2ID, "Left the team.", validIDs{n: 1}, false)},
		cost: cost{logins: 1, caller: 1}})

	// ADA sees who has access to the product, every active grant and every
	// request: each page one read over the API views (the catalog, for the
	// product and the filters' choices, comes from its cache or one read).
	held := pendingRequest(reqID, 3)
	held.Status, held.UpdatedAt, held.DurationDays = signoff.StatusGranted, grantedAt, 30
	held.ExpiresAt = grantedAt.Add(30 * 24 * time.Hour)
	res = rt.do(visit{name: "who has access", method: "GET", path: "/products/SALES_EU/access", user: "ADA",
		service: func(m sqlmock.Sqlmock) {
			expectQuery(m, boundText(sqlstore.ListGrants), "SALES_EU", "SALES_EU", "", "").WillReturnRows(grantRows(held))
		}, cost: cost{service: 1}})
	require.Contains(t, res.Body.String(), `data-request="`+reqID+`"`)
	require.Contains(t, res.Body.String(), `name="back" value="/products/SALES_EU/access"`, "revoke returns here")
	res = rt.do(visit{name: "active grants, by user", method: "GET", path: "/admin/grants?by=user", user: "ADA",
		service: func(m sqlmock.Sqlmock) {
			expectQuery(m, boundText(sqlstore.ListGrants), "", "", "", "").WillReturnRows(grantRows(held))
		}, cost: cost{service: 1}})
	require.Contains(t, res.Body.String(), "1 active grant")
	res = rt.do(visit{name: "all requests, filtered", method: "GET", path: "/admin/requests?status=GRANTED&requester=ali", user: "ADA",
		service: func(m sqlmock.Sqlmock) {
			expectQuery(m, boundText(sqlstore.ListRequests), "", "GRANTED", "GRANTED", "", "", "", "",
				"%ali%", "%ali%", sqlstore.NoFrom, sqlstore.NoTo, "", "").WillReturnRows(allRequestRows(held))
		}, cost: cost{service: 1}})
	require.Contains(t, res.Body.String(), `data-request="`+reqID+`"`)
	// The directory of managers: one read of the USER_MANAGER view; a
	// change is one CALL of SET_MANAGERS in the admin's own session, with
	// the entries as JSON.
	res = rt.do(visit{name: "directory of managers", method: "GET", path: "/admin/directory", user: "ADA",
		service: func(m sqlmock.Sqlmock) {
			expectQuery(m, sqlstore.SelectDirectory(false, signoff.DirectoryLimit+1)).WillReturnRows(
				sqlmock.NewRows([]string{"user_name", "manager_name", "updated_at", "updated_by"}).AddRow("ALICE", "BOB", t1, "ADA"))
		}, cost: cost{service: 1}})
	require.Contains(t, res.Body.String(), "BOB")
	rt.do(visit{name: "set a manager", method: "POST", path: "/admin/directory", user: "ADA",
		form: url.Values{"form": {"one"}, "user": {"DAN"}, "manager": {"BOB"}},
		callers: []func(sqlmock.Sqlmock){expectCall(callManagers, envelope(signoff.CodeOK, `{"actor":"ADA","changed":1}`),
			`[{"user":"DAN","manager":"BOB"}]`)},
		cost: cost{logins: 1, caller: 1}})
	managed := salesEU()
	managed.ID, managed.Chain[0].Kind = "MANAGED", signoff.KindManager
	res = rt.do(visit{name: "product with a manager step: the viewer's manager, one more read", method: "GET", path: "/products/MANAGED",
		user: "ADA",
		service: func(m sqlmock.Sqlmock) {
			expectQuery(m, sqlstore.SelectProductFor, "MANAGED", "ADA", "MANAGED").WillReturnRows(productForRows(managed, "", ""))
			expectQuery(m, sqlstore.SelectManagerOf, "ADA").WillReturnRows(sqlmock.NewRows([]string{"m"}).AddRow("BOB"))
		}, cost: cost{service: 2}})
	require.Contains(t, res.Body.String(), `data-testid="manager-steps"`)

	// A client that keeps no cookies pays for the identity on every request.
	// The refusal shows the request as it now is, so it reads it.
	rt.forget("DAN")
	revoked := granted
	revoked.Status = signoff.StatusRevoked
	res = rt.do(visit{name: "approve again, from a client that keeps no cookies (refused: 409 page)", method: "POST",
		path: "/requests/" + req2ID + "/decision", user: "DAN", form: url.Values{"decision": {"approve"}, "step": {"3"}, "comment": {"Fine."}},
		callers: []func(sqlmock.Sqlmock){rt.identity("DAN"), expectCall(callDecide, envelope(signoff.CodeStaleStep,
			`{"actor":"DAN","request_id":"`+req2ID+`","status":"REVOKED","seen_step":3,"seen_label":"Security / DPO","seen_decided_by":"DAN","seen_decision":"APPROVED"}`),
			req2ID, int64(3), "APPROVED", "Fine.", "", int64(0), validIDs{n: 3}, false)},
		service: func(m sqlmock.Sqlmock) {
			expectQuery(m, sqlstore.SelectRequestDetail, req2ID, req2ID).WillReturnRows(detailRows(revoked, salesEU(), historyOf(revoked)...))
			expectPending(m, "DAN", 0, "APPROVER_DPO") // the page is drawn more than 30 s after his last count
		},
		status: http.StatusConflict, cost: cost{service: 2, logins: 2, caller: 2}})
	require.Contains(t, res.Body.String(), `data-testid="conflict"`)
	require.Contains(t, res.Body.String(), ">Fine.</textarea>", "the comment typed is kept")

	// An admin saves the chain policy: one CALL of SET_CHAIN_POLICY in her
	// own session, with the rules' JSON; the catalog the form checks
	// against (and previews with) comes from the cache.
	rt.do(visit{name: "save the chain policy", method: "POST", path: "/admin/policy", user: "ADA",
		form: url.Values{"policy.1.kind": {"ROLE"}, "policy.1.approver_role": {"APPROVER_DPO"},
			"policy.1.label": {"Data protection"}, "policy.1.when_tag": {"PII"}, "policy.2.kind": {"ROLE"}},
		callers: []func(sqlmock.Sqlmock){expectCall(callPolicy, envelope(signoff.CodeOK, `{"actor":"ADA","steps":1}`),
			`[{"kind":"ROLE","approver_role":"APPROVER_DPO","label":"Data protection","when_tag":"PII","quorum":1}]`,
			validIDs{n: 1}, false)},
		cost: cost{logins: 1, caller: 1}})

	// An admin registers a product: one CALL of SAVE_PRODUCT in her own
	// session, with the definition's JSON; on the service connection only
	// the catalog, which the policy's save just forgot (the form checks
	// itself first). Last: the save forgets this process's catalog cache,
	// so what follows would read the catalog again.
	rt.do(visit{name: "save a product", method: "POST", path: "/admin/products", user: "ADA",
		form: url.Values{"id": {"partner-feed"}, "name": {"Partner feed"}, "owner": {"Partnerships"},
			"owner_role": {"APPROVER_OWNER"}, "domain": {"Sales"}, "classification": {"INTERNAL"},
			"access_role": {"PARTNER_READER"}, "durations": {"30"}, "version": {"0"},
			"chain.1.kind": {"ROLE"}, "chain.1.approver_role": {"APPROVER_MGR"}, "chain.1.label": {"Line manager"}},
		service: func(m sqlmock.Sqlmock) {
			expectQuery(m, productsSQL).WillReturnRows(productRows(webAds(), salesEU()))
		},
		callers: []func(sqlmock.Sqlmock){expectCall(callSave, envelope(signoff.CodeOK,
			`{"actor":"ADA","product_id":"partner-feed","product_name":"Partner feed","version":1}`),
			definitionOf{"partner-feed"}, true, int64(0), validIDs{n: 1}, false)},
		cost: cost{service: 1, logins: 1, caller: 1}})

	// An admin reads a product's columns and tags from its Snowflake object
	// on its edit form ("Read from Snowflake"): one CALL of DESCRIBE_OBJECT
	// in her own session, nothing on the service connection, nothing saved.
	res = rt.do(visit{name: "read a product's object from Snowflake (edit form)", method: "POST",
		path: "/admin/products/SALES_EU", user: "ADA",
		form: url.Values{"action": {"describe"}, "name": {"EU sales orders"}, "owner": {"Sales"},
			"owner_role": {"SALES_OWNER"}, "domain": {"Sales"}, "classification": {"INTERNAL"},
			"access_role": {"SALES_READER"}, "durations": {"30"}, "version": {"1"},
			"source_object": {"sales.public.orders"},
			"chain.1.kind":  {"ROLE"}, "chain.1.approver_role": {"APPROVER_MGR"}, "chain.1.label": {"Line manager"}},
		callers: []func(sqlmock.Sqlmock){expectCall(callDescribe, envelope(signoff.CodeOK, describeAnswer),
			"SALES.PUBLIC.ORDERS")},
		status: http.StatusOK, cost: cost{logins: 1, caller: 1}})
	page := html.UnescapeString(res.Body.String())
	require.Contains(t, page, `value="ORDER_ID"`, "the object's columns fill the form")
	require.Contains(t, page, `value="EMAIL"`)
	require.Contains(t, page, "Read SALES.PUBLIC.ORDERS from Snowflake: 2 columns, 3 tags.")
	require.Contains(t, page, "Classification CONFIDENTIAL, from its CLASSIFICATION tag.")
	require.Contains(t, page, "Marked sensitive: EMAIL.")
	// An object Snowflake does not show SIGNOFF_OWNER: the problem beside
	// the field, the grants that let Signoff read it, and the objects it
	// can read, to pick from.
	res = rt.do(visit{name: "read an object Signoff may not see", method: "POST",
		path: "/admin/products/SALES_EU", user: "ADA",
		form: url.Values{"action": {"describe"}, "name": {"EU sales orders"}, "owner": {"Sales"},
			"owner_role": {"SALES_OWNER"}, "domain": {"Sales"}, "classification": {"INTERNAL"},
			"access_role": {"SALES_READER"}, "durations": {"30"}, "version": {"1"},
			"source_object": {"SALES.PRIVATE.ORDERS"},
			"chain.1.kind":  {"ROLE"}, "chain.1.approver_role": {"APPROVER_MGR"}, "chain.1.label": {"Line manager"}},
		callers: []func(sqlmock.Sqlmock){expectCall(callDescribe, envelope(signoff.CodeObjectNotVisible, readableAnswer("SALES.PRIVATE.ORDERS")),
			"SALES.PRIVATE.ORDERS")},
		status: http.StatusUnprocessableEntity, cost: cost{logins: 1, caller: 1}})
	page = html.UnescapeString(res.Body.String())
	require.Contains(t, page, "Signoff cannot see SALES.PRIVATE.ORDERS")
	require.Contains(t, page, "GRANT USAGE ON SCHEMA SALES.PRIVATE TO ROLE SIGNOFF_OWNER;")
	require.Contains(t, page, "GRANT REFERENCES ON TABLE SALES.PRIVATE.ORDERS TO ROLE SIGNOFF_OWNER;")
	requireReadableOffered(t, page)
	// No object named: the same CALL with "", which answers the objects
	// Signoff can read; the problem asks for one.
	res = rt.do(visit{name: "read with no object named", method: "POST",
		path: "/admin/products/SALES_EU", user: "ADA",
		form: url.Values{"action": {"describe"}, "name": {"EU sales orders"}, "owner": {"Sales"},
			"owner_role": {"SALES_OWNER"}, "domain": {"Sales"}, "classification": {"INTERNAL"},
			"access_role": {"SALES_READER"}, "durations": {"30"}, "version": {"1"},
			"source_object": {""},
			"chain.1.kind":  {"ROLE"}, "chain.1.approver_role": {"APPROVER_MGR"}, "chain.1.label": {"Line manager"}},
		callers: []func(sqlmock.Sqlmock){expectCall(callDescribe, envelope(signoff.CodeObjectNotVisible, readableAnswer("")), "")},
		status:  http.StatusUnprocessableEntity, cost: cost{logins: 1, caller: 1}})
	page = html.UnescapeString(res.Body.String())
	require.Contains(t, page, "Enter the Snowflake object to read, as DATABASE.SCHEMA.OBJECT, or pick one Signoff can read.")
	require.NotContains(t, page, "GRANT REFERENCES", "no object, no grants to suggest")
	requireReadableOffered(t, page)

	rt.report()
}

// readableObjects are the objects the round trip's DESCRIBE_OBJECT says
// Signoff can read.
var readableObjects = []string{"FINANCE.AP.INVOICES", "SALES.PUBLIC.ORDERS"}

// readableAnswer is DESCRIBE_OBJECT's OBJECT_NOT_VISIBLE data for object:
// the objects Signoff can read.
func readableAnswer(object string) string {
	return `{"object":"` + object + `","readable":["` + strings.Join(readableObjects, `","`) + `"]}`
}

// requireReadableOffered holds page to offer readableObjects: the object
// field's datalist, and the list saying how many Signoff can read.
func requireReadableOffered(t *testing.T, page string) {
	t.Helper()
	require.Contains(t, page, `list="readable-objects"`)
	require.Contains(t, page, `<datalist id="readable-objects">`)
	for _, o := range readableObjects {
		require.Contains(t, page, `<option value="`+o+`"></option>`)
	}
	require.Regexp(t, `data-testid="readable-objects"[^>]*>\s*<summary>2 objects Signoff can read</summary>`, page)
}

// The caches as `signoff serve` configures them by default (--catalog-cache,
// --identity-cache), and the caller token's default validity in SPCS
// (SERVICE_CALLER_TOKEN_VALIDITY_SECS).
const (
	prodCatalogTTL      = 30 * time.Second
	prodIdentityTTL     = 30 * time.Second
	callerTokenLifetime = 120 * time.Second
)

// roundTrip is a Signoff server on the Snowflake engine whose service
// connection and caller sessions are counted sqlmock databases, visited by
// browsers (one per user) that keep the cookies the server sets. Its
// catalog cache (the products and the approver roles), its Service's
// timestamps and its identity cookie run on a fake clock.
type roundTrip struct {
	t       *testing.T
	srv     http.Handler
	svcMock sqlmock.Sqlmock
	svc     *counter // statements on the service connection
	caller  *counter // statements in caller sessions
	closed  atomic.Int64
	clock   *fakeClock
	// freshTokens has the ingress send a new caller token with every
	// request; otherwise each user's token serves until it expires.
	freshTokens bool
	// measure answers caller sessions no visit expects with an autoCaller
	// (otherwise such a session fails the test).
	measure bool

	mu       sync.Mutex
	users    map[string]string                  // caller token → user
	issued   map[string]time.Time               // caller token → when it was issued
	tokens   map[string]string                  // user → current caller token
	jars     map[string]map[string]*http.Cookie // user → their browser's cookies
	sessions []func(sqlmock.Sqlmock)            // what the next caller sessions run, in order
	mocks    []sqlmock.Sqlmock                  // the caller sessions of the current request
	logins   int                                // caller sessions opened, in all
	seq      int
	rows     []roundTripRow
}

// fakeClock is a clock that moves only when told to.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *fakeClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// cost is what one request costs in Snowflake round trips.
type cost struct {
	service int // statements on the service connection
	logins  int // caller's-rights sessions opened (Snowflake logins)
	caller  int // statements in those sessions
}

type roundTripRow struct {
	name, method, path string
	status             int
	cost
	serviceNames, callerNames []string // the statements' names
}

// personas: the roles in each user's session.
var personas = map[string][]string{
	"ALICE":  nil,
	"BOB":    {"APPROVER_MGR"},
	"CAROL":  {"APPROVER_OWNER"},
	"DAN":    {"APPROVER_DPO"},
	"AUDREY": {"SIGNOFF_AUDITOR"},
	"ADA":    {"SIGNOFF_ADMIN"},
}

// rolesThatMatter is what RolesThatMatter answers (with Signoff's admin and
// auditor roles added), sorted: the identity statement's binds.
var rolesThatMatter = []string{"ADS_READER", "APPROVER_DPO", "APPROVER_MGR", "APPROVER_OWNER", "MKT_OWNER",
	"SALES_OWNER", "SALES_READER", "SIGNOFF_ADMIN", "SIGNOFF_AUDITOR"}

func (rt *roundTrip) rolesRows() *sqlmock.Rows {
	rows := sqlmock.NewRows([]string{"role_name", "approves"})
	for _, r := range []string{"APPROVER_DPO", "APPROVER_MGR", "APPROVER_OWNER", "MKT_OWNER", "SALES_OWNER",
		"ADS_READER", "SALES_READER"} {
		rows.AddRow(r, strings.HasPrefix(r, "APPROVER_"))
	}
	return rows
}

// newRoundTrip returns a round-trip server configured as `signoff serve`
// configures it, with identityTTL as --identity-cache. Its clock starts at t2
// and is the catalog cache's too. (RolesThatMatter keeps the same TTL on
// real time: at 30 s it outlasts any test.)
func newRoundTrip(t *testing.T, identityTTL time.Duration) *roundTrip {
	rt := &roundTrip{t: t, svc: &counter{}, caller: &counter{}, clock: &fakeClock{now: t2},
		users: map[string]string{}, issued: map[string]time.Time{}, tokens: map[string]string{},
		jars: map[string]map[string]*http.Cookie{}}
	db, mock := countedMock(t, rt.svc)
	rt.svcMock = mock
	store := New(db, rt.openCaller, api, sqlstore.Options{CatalogTTL: prodCatalogTTL, Now: rt.clock.Now})
	ids := NewIdentities(rt.openCaller, store.RolesThatMatter(prodCatalogTTL))
	svc := signoff.NewService(store.Reads(), store)
	svc.Now = rt.clock.Now
	svc.Anchor = store.Anchor(DefaultService, io.Discard)
	// As signoff serve wires it: the header's pending count, kept 30 s.
	svc.Notifier, svc.PendingTTL = store, 30*time.Second
	svc.ReviewReads, svc.ReviewEngine = store.Reads(), store
	svc.Products, svc.Managers = store, store
	svc.Policies = store
	svc.Objects = store
	srv, err := server.New(server.Config{Service: svc, Ready: store.Ping, Platform: ids, IdentityTTL: identityTTL,
		SessionKey: []byte("0123456789abcdef0123456789abcdef"), SecureCookies: true, Engine: "snowflake",
		Now: rt.clock.Now, Notices: svc, Reviews: svc, Catalog: svc, Managers: svc, Policy: svc})
	require.NoError(t, err)
	rt.srv = srv
	return rt
}

// expectPending expects the header's pending count for user with roles (a
// viewer's first page in the count's 30 s), answering n.
func expectPending(m sqlmock.Sqlmock, user string, n int, roles ...string) {
	var args []driver.Value
	for _, a := range sqlstore.PendingCountArgs(user, roles) {
		args = append(args, a)
	}
	expectQuery(m, sqlstore.SelectPendingCount(len(roles)), args...).WillReturnRows(sqlmock.NewRows([]string{"n"}).AddRow(int64(n)))
}

// openCaller is the CallerOpener: a counted sqlmock session that runs what
// the next of the request's expected sessions says (or, when none is
// expected and the test measures, an autoCaller). Like Snowflake, it refuses
// a caller token past its validity.
func (rt *roundTrip) openCaller(ctx context.Context, token string) (*sql.DB, error) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	user, ok := rt.users[token]
	if !ok {
		return nil, fmt.Errorf("unknown caller token %q", token)
	}
	if age := rt.clock.Now().Sub(rt.issued[token]); age >= callerTokenLifetime {
		return nil, &sf.SnowflakeError{Number: 390318, SQLState: "08004", Message: "OAuth access token expired."}
	}
	rt.logins++
	if len(rt.sessions) == 0 {
		if !rt.measure {
			rt.t.Errorf("caller session %d of %s was not expected", rt.logins, user)
			return nil, errors.New("no caller session expected")
		}
		return sql.OpenDB(autoCaller{user: user, c: rt.caller, closed: &rt.closed}), nil
	}
	expect := rt.sessions[0]
	rt.sessions = rt.sessions[1:]
	db, mock := countedMock(rt.t, rt.caller)
	expect(mock)
	rt.mocks = append(rt.mocks, mock)
	return db, nil
}

// identity is the caller session of an identity lookup for user: the
// identity statement with the roles that matter, then Close.
func (rt *roundTrip) identity(user string) func(sqlmock.Sqlmock) {
	held := make([]driver.Value, len(rolesThatMatter))
	for i, r := range rolesThatMatter {
		held[i] = slices.Contains(personas[user], r)
	}
	return expectIdentity(rolesThatMatter, user, held...)
}

// token returns the caller token the ingress sends for user now.
func (rt *roundTrip) token(user string) string {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if tok, ok := rt.tokens[user]; ok && !rt.freshTokens && rt.clock.Now().Sub(rt.issued[tok]) < callerTokenLifetime {
		return tok
	}
	rt.seq++
	tok := fmt.Sprintf("caller-token-%s-%d", strings.ToLower(user), rt.seq)
	rt.users[tok], rt.issued[tok], rt.tokens[user] = user, rt.clock.Now(), tok
	return tok
}

// forget clears user's cookies.
func (rt *roundTrip) forget(user string) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	delete(rt.jars, user)
}

// visit is one request and what it must cost.
type visit struct {
	name, method, path string
	form               url.Values // a POST's form
	user               string     // "" for none: no ingress headers
	token              string     // the caller token to send; "" for the ingress's (roundTrip.token)
	status             int        // 0: 200 for GET, 303 for POST
	// service expects the statements on the service connection, in order.
	service func(sqlmock.Sqlmock)
	// callers are the caller sessions the request opens, in order: what
	// each one runs (then its Close).
	callers []func(sqlmock.Sqlmock)
	cost    cost
}

// do serves v and checks that it ran exactly what v expects, and cost
// exactly v.cost.
func (rt *roundTrip) do(v visit) *httptest.ResponseRecorder {
	t := rt.t
	t.Helper()
	if v.service == nil {
		v.service = func(sqlmock.Sqlmock) {}
	}
	rt.mu.Lock()
	rt.sessions = v.callers
	rt.mu.Unlock()
	res, row := rt.serve(v)
	rt.mu.Lock()
	left := len(rt.sessions)
	rt.mu.Unlock()
	require.Zero(t, left, "%s: caller sessions expected but not opened", v.name)
	require.Equal(t, v.cost, row.cost, "%s: service %v; caller %v", v.name, row.serviceNames, row.callerNames)
	return res
}

// serve serves v as v.user's browser (the ingress headers, and the cookies
// the server set before), checks the status and that every statement
// expected ran (and each sqlmock caller session was closed), and returns
// what it counted.
func (rt *roundTrip) serve(v visit) (*httptest.ResponseRecorder, roundTripRow) {
	t := rt.t
	t.Helper()
	v.service(rt.svcMock)
	var req *http.Request
	if v.form != nil {
		req = httptest.NewRequest(v.method, v.path, strings.NewReader(v.form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "http://"+req.Host) // a same-origin form post
	} else {
		req = httptest.NewRequest(v.method, v.path, nil)
	}
	rt.mu.Lock()
	before, closedBefore := rt.logins, rt.closed.Load()
	rt.mu.Unlock()
	if v.user != "" {
		req.Header.Set(server.HeaderUser, v.user)
		token := v.token
		if token == "" {
			token = rt.token(v.user)
		}
		req.Header.Set(server.HeaderToken, token)
		rt.mu.Lock()
		for _, c := range rt.jars[v.user] {
			req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
		}
		rt.mu.Unlock()
	}
	res := httptest.NewRecorder()
	rt.srv.ServeHTTP(res, req)
	want := v.status
	if want == 0 {
		want = http.StatusOK
		if v.method == http.MethodPost {
			want = http.StatusSeeOther
		}
	}
	require.Equal(t, want, res.Code, "%s: %s %s: %s", v.name, v.method, v.path, res.Body.String())
	require.NoError(t, rt.svcMock.ExpectationsWereMet(), v.name)

	rt.mu.Lock()
	mocks, logins := rt.mocks, rt.logins-before
	rt.mocks = nil
	if v.user != "" { // the browser keeps what the server set
		jar := rt.jars[v.user]
		if jar == nil {
			jar = map[string]*http.Cookie{}
			rt.jars[v.user] = jar
		}
		for _, c := range res.Result().Cookies() {
			if c.MaxAge < 0 {
				delete(jar, c.Name)
			} else {
				jar[c.Name] = c
			}
		}
	}
	rt.mu.Unlock()
	for i, m := range mocks {
		require.NoError(t, m.ExpectationsWereMet(), "%s: caller session %d (its statement, then Close)", v.name, i+1)
	}
	svc, caller := rt.svc.take(), rt.caller.take()
	if len(mocks) == 0 { // autoCaller sessions, if any
		require.Equal(t, int64(logins), rt.closed.Load()-closedBefore, "%s: every caller session is closed", v.name)
	}
	row := roundTripRow{name: v.name, method: v.method, path: v.path, status: res.Code,
		cost: cost{service: len(svc), logins: logins, caller: len(caller)}}
	for _, s := range svc {
		row.serviceNames = append(row.serviceNames, rt.statementName(v.name, s))
	}
	for _, s := range caller {
		row.callerNames = append(row.callerNames, rt.statementName(v.name, s))
	}
	rt.rows = append(rt.rows, row)
	return res, row
}

// The round-trip table is logged as one block between these marker lines
// (go test -v indents each line of it), so a benchmark can extract it: from
// the line beginning with reportBegin to the line that is just reportEnd.
const (
	reportBegin = "--- statements per page and action (Snowflake path) ---"
	reportEnd   = "---"
)

var anyID = regexp.MustCompile(`[0-9A-Z]{26}`)

// anyCursor is a queue page's cursor in an address.
var anyCursor = regexp.MustCompile(`after=[0-9A-Za-z_-]+`)

// report logs the table of round trips: the begin marker, a header naming
// the columns, one line per page or action, the configuration it ran with,
// and the end marker.
func (rt *roundTrip) report() {
	nameW, reqW := len("page or action"), len("request")
	paths := make([]string, len(rt.rows))
	for i, r := range rt.rows {
		path, query, _ := strings.Cut(anyCursor.ReplaceAllString(anyID.ReplaceAllString(r.path, "{id}"), "after={cursor}"), "?")
		if n := strings.Count(query, "&") + 1; n > 2 { // the row's name says which
			query = fmt.Sprintf("{%d parameters}", n)
		}
		if query != "" {
			path += "?" + query
		}
		paths[i] = r.method + " " + path
		nameW, reqW = max(nameW, len(r.name)), max(reqW, len(paths[i]))
	}
	names := func(list []string) string {
		if len(list) == 0 {
			return "-"
		}
		return strings.Join(list, ", ")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n%s\n", reportBegin)
	fmt.Fprintf(&b, "%-*s | %-*s | %6s | %18s | %13s | %17s | %s\n", nameW, "page or action", reqW, "request", "status",
		"service statements", "caller logins", "caller statements", "statement names (service connection; caller sessions)")
	for i, r := range rt.rows {
		fmt.Fprintf(&b, "%-*s | %-*s | %6d | %18d | %13d | %17d | %s; %s\n", nameW, r.name, reqW, paths[i],
			r.status, r.service, r.logins, r.caller, names(r.serviceNames), names(r.callerNames))
	}
	fmt.Fprintf(&b, "(caches as signoff serve's defaults: catalog %s, identity cookie %s; the browser keeps its cookies)\n",
		prodCatalogTTL, prodIdentityTTL)
	b.WriteString(reportEnd)
	rt.t.Log(b.String())
}

// statementName returns the catalogue's name for sql, a statement the
// engine sent for the visit named visit. A statement missing from the
// catalogue fails the test: the golden file lists every statement the
// engine sends.
func (rt *roundTrip) statementName(visit, sql string) string {
	rt.t.Helper()
	if name, ok := catalogued(sql); ok {
		return name
	}
	rt.t.Errorf("%s: the engine sent a statement that is not in the catalogue "+
		"(add it to catalogue() in statements_test.go and rerun TestStatementsGolden with -update): %q", visit, sql)
	return fmt.Sprintf("(uncatalogued: %.40q)", sql)
}

// ---- the submitted request's ID, echoed ----

// idPlaceholder stands for a request ID in an answer until echoRequestID's
// matcher writes the bound one over it.
const idPlaceholder = "~~~~~~~~~~~~~~~~~~~~~~~~~~"

// echoRequestID returns SUBMIT_REQUEST's answer with data, whose request_id
// is idPlaceholder, and the matcher for the new request's ID bind: it
// accepts a valid ID, keeps it in got and writes it into the answer, as the
// procedure echoes the ID it was given. (sqlmock's answers are set before the
// statement runs, but it reads an answer's bytes only after the match.)
func echoRequestID(data string, got *string) ([]byte, echoID) {
	answer := []byte(envelope(signoff.CodeOK, data))
	at := strings.Index(string(answer), idPlaceholder)
	if at < 0 || len(idPlaceholder) != 26 {
		panic("echoRequestID: no placeholder in " + data)
	}
	return answer, echoID{answer: answer, at: at, got: got}
}

type echoID struct {
	answer []byte
	at     int
	got    *string
}

func (e echoID) Match(v driver.Value) bool {
	s, ok := v.(string)
	if !ok || !signoff.ValidID(s) {
		return false
	}
	copy(e.answer[e.at:], s)
	*e.got = s
	return true
}

// ---- autoCaller: a caller session that answers whatever it is asked ----

// autoCaller is a hand-written caller's-rights session for measuring, where
// which statements a request runs in its caller sessions is the thing
// measured, not something to expect: it answers the identity statement for
// its user (roles from personas) and any API CALL with an OK envelope that
// echoes the request ID, and counts its statements and its Close.
type autoCaller struct {
	user   string
	c      *counter
	closed *atomic.Int64
}

func (a autoCaller) Connect(context.Context) (driver.Conn, error) { return &autoConn{a: a}, nil }
func (a autoCaller) Driver() driver.Driver                        { return autoDriver{} }

type autoDriver struct{}

func (autoDriver) Open(string) (driver.Conn, error) {
	return nil, errors.New("autoCaller: use the connector")
}

type autoConn struct{ a autoCaller }

func (c *autoConn) Prepare(string) (driver.Stmt, error) {
	return nil, errors.New("autoCaller: no prepare")
}
func (c *autoConn) Begin() (driver.Tx, error) { return nil, errors.New("autoCaller: no transactions") }
func (c *autoConn) Close() error              { c.a.closed.Add(1); return nil }

func (c *autoConn) QueryContext(_ context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	c.a.c.add(q)
	if q == IdentityQuery(len(args)) {
		cols, row := []string{"CURRENT_USER()"}, []driver.Value{c.a.user}
		for _, arg := range args {
			role, _ := arg.Value.(string)
			cols, row = append(cols, "IS_ROLE_IN_SESSION(?)"), append(row, slices.Contains(personas[c.a.user], role))
		}
		return &autoRows{cols: cols, rows: [][]driver.Value{row}}, nil
	}
	if strings.HasPrefix(q, "CALL "+api+".") && len(args) > 0 {
		id := args[0].Value
		if q == callSubmit {
			id = args[4].Value
		}
		answer := envelope(signoff.CodeOK, fmt.Sprintf(`{"actor":%q,"request_id":%q}`, c.a.user, id))
		return &autoRows{cols: []string{procedureName(q)}, rows: [][]driver.Value{{answer}}}, nil
	}
	return nil, fmt.Errorf("autoCaller: unexpected statement %q", q)
}

type autoRows struct {
	cols []string
	rows [][]driver.Value
}

func (r *autoRows) Columns() []string { return r.cols }
func (r *autoRows) Close() error      { return nil }
func (r *autoRows) Next(dest []driver.Value) error {
	if len(r.rows) == 0 {
		return io.EOF
	}
	copy(dest, r.rows[0])
	r.rows = r.rows[1:]
	return nil
}

// ---- counted sqlmock databases ----

// counter records the statements a database received, as its driver
// connection saw them: nothing sent can go uncounted, even when the caller
// swallows the statement's error.
type counter struct {
	mu    sync.Mutex
	stmts []string
}

func (c *counter) add(q string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stmts = append(c.stmts, q)
}

// take returns the statements since the last take.
func (c *counter) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stmts
	c.stmts = nil
	return s
}

var dsnSeq atomic.Int64

// countedMock returns a sqlmock database (exact statement matching) whose
// statements c counts.
func countedMock(t *testing.T, c *counter) (*sql.DB, sqlmock.Sqlmock) {
	t.Helper()
	dsn := fmt.Sprintf("roundtrip-%d", dsnSeq.Add(1))
	raw, mock, err := sqlmock.NewWithDSN(dsn, sqlmock.QueryMatcherOption(exactSQL))
	require.NoError(t, err)
	db := sql.OpenDB(countingConnector{drv: raw.Driver(), dsn: dsn, c: c})
	t.Cleanup(func() {
		db.Close()
		raw.Close() // the mock's own handle; its Close expectation is already spent
	})
	return db, mock
}

type countingConnector struct {
	drv driver.Driver
	dsn string
	c   *counter
}

func (cc countingConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := cc.drv.Open(cc.dsn)
	if err != nil {
		return nil, err
	}
	return countingConn{Conn: conn, c: cc.c}, nil
}

func (cc countingConnector) Driver() driver.Driver { return cc.drv }

// countingConn forwards to sqlmock's connection, counting statements.
type countingConn struct {
	driver.Conn
	c *counter
}

func (cc countingConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	cc.c.add(q)
	return cc.Conn.(driver.QueryerContext).QueryContext(ctx, q, args)
}

func (cc countingConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	cc.c.add(q)
	return cc.Conn.(driver.ExecerContext).ExecContext(ctx, q, args)
}

func (cc countingConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	cc.c.add(q)
	return cc.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, q)
}

func (cc countingConn) CheckNamedValue(nv *driver.NamedValue) error {
	return cc.Conn.(driver.NamedValueChecker).CheckNamedValue(nv)
}

// fieldValue is the value of the form control named name in body, as
// templ renders it (name, then value); the test fails if there is none.
func fieldValue(t *testing.T, body, name string) string {
	t.Helper()
	m := regexp.MustCompile(`name="` + regexp.QuoteMeta(name) + `" value="([^"]*)"`).FindStringSubmatch(body)
	require.NotNil(t, m, "no field %q", name)
	return html.UnescapeString(m[1])
}

// definitionOf matches a SAVE_PRODUCT definition: the JSON of a
// signoff.Definition with the product ID id.
type definitionOf struct{ id string }

func (m definitionOf) Match(v driver.Value) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	d, err := signoff.ParseDefinition(s)
	return err == nil && d.ID == m.id && d.JSON() == s
}
