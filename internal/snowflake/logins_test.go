package snowflake

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/DATA-DOG/go-sqlmock"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlstore"
)

// TestCallerLoginsPerTokenLifetime measures the caller's-rights logins one
// user causes over a caller token's whole default validity (120 s in SPCS):
// each login is a Snowflake session opened with the visitor's caller token,
// running one statement (the identity statement, or an action's CALL), then
// closed. The user browses through the real server (internal/server over
// sqlmock, configured as `signoff serve` is, with a browser that keeps its
// cookies), viewing a page every 2 s, and acts three times (a submit and two
// decisions, POSTs).
//
// By design a page view logs in only when the identity cookie is missing or
// older than the identity cache (30 s): ceil(120 s / 30 s) = 4 logins for
// 60 page views. An action is one CALL in the visitor's own session, so it
// logs in exactly once; it reuses the identity cookie of any age for the
// user's name (Snowflake checks the roles in the CALL itself), and leaves the
// cookie's age alone. None of this depends on the caller token: the
// ingress may send the same token for its whole life or a fresh one with
// every request. Without the identity cache every request looks the user
// up: every page view logs in, and every action twice.
func TestCallerLoginsPerTokenLifetime(t *testing.T) {
	const pageEvery = 2 * time.Second
	actionsAt := []time.Duration{11 * time.Second, 45 * time.Second, 79 * time.Second}
	cached := []time.Duration{0, 30 * time.Second, 60 * time.Second, 90 * time.Second}
	for _, tc := range []struct {
		name         string
		identityTTL  time.Duration
		freshTokens  bool
		actionsAt    []time.Duration
		pageLogins   []time.Duration // when page views logged in
		actionLogins int             // per action
		summary      string          // the logged line's lead; "" logs nothing for the bench
	}{{
		name: "same caller token, identity cache 30s", identityTTL: prodIdentityTTL, actionsAt: actionsAt,
		pageLogins: cached, actionLogins: 1,
		summary: "caller logins per user per 120s (same caller token on every request)",
	}, {
		name: "fresh caller token, identity cache 30s", identityTTL: prodIdentityTTL, freshTokens: true, actionsAt: actionsAt,
		pageLogins: cached, actionLogins: 1,
		summary: "caller logins per user per 120s (a fresh caller token on every request)",
	}, {
		name: "same caller token, identity cache off", identityTTL: 0, actionsAt: actionsAt,
		pageLogins: everyPageView(callerTokenLifetime, pageEvery), actionLogins: 2, // the identity lookup, then the CALL
		summary: "caller logins per user per 120s (same caller token on every request, identity cache off)",
	}, {
		// Actions right after a page-view login, or just before one is due,
		// move nothing: they neither refresh the cookie nor need it fresh.
		name: "identity cache 30s, actions at the cookie's edges", identityTTL: prodIdentityTTL,
		actionsAt:  []time.Duration{1 * time.Second, 29*time.Second + 500*time.Millisecond, 91 * time.Second},
		pageLogins: cached, actionLogins: 1,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			b := browse(t, tc.identityTTL, tc.freshTokens, callerTokenLifetime, pageEvery, tc.actionsAt)
			require.Equal(t, 60, b.pageViews)
			require.Equal(t, tc.pageLogins, b.pageLogins, "when page views logged in")
			if tc.identityTTL > 0 {
				bound := int((callerTokenLifetime + tc.identityTTL - 1) / tc.identityTTL)
				require.Len(t, b.pageLogins, bound, "page-view logins = ceil(lifetime / identity cache)")
			}
			require.Equal(t, tc.actionLogins*len(tc.actionsAt), b.actionLogins, "logins per action")
			require.Equal(t, len(tc.pageLogins)+tc.actionLogins*len(tc.actionsAt), b.logins, "caller sessions opened")
			require.Equal(t, b.logins, b.callerStatements, "one statement per caller session")
			require.Equal(t, len(tc.actionsAt), b.calls, "one CALL per action")
			if tc.summary != "" {
				t.Logf("%s: %d for %d page views (identity cache %ds) + %d per action (%d actions) = %d",
					tc.summary, len(b.pageLogins), b.pageViews, int(tc.identityTTL/time.Second), tc.actionLogins,
					len(tc.actionsAt), b.logins)
			}
		})
	}
}

// TestCallerTokenExpiry: a caller token past its validity is refused by
// Snowflake; the page then says to sign in again (401), even while the
// identity cookie would serve page views: an action needs the token.
func TestCallerTokenExpiry(t *testing.T) {
	rt := newRoundTrip(t, prodIdentityTTL)
	rt.do(visit{name: "catalog", method: "GET", path: "/", user: "BOB",
		service: func(m sqlmock.Sqlmock) {
			expectQuery(m, RolesThatMatter).WillReturnRows(rt.rolesRows())
			expectQuery(m, productsSQL).WillReturnRows(productRows(webAds(), salesEU()))
			expectQuery(m, sqlstore.SelectRequestsBy(signoff.MyRequestsLimit), "BOB").WillReturnRows(requestRows())
			expectQuery(m, sqlstore.SelectApproverRoles).WillReturnRows(sqlmock.NewRows([]string{"approver_role"}).
				AddRow("APPROVER_DPO").AddRow("APPROVER_MGR").AddRow("APPROVER_OWNER"))
			expectPending(m, "BOB", 0, "APPROVER_MGR") // the header's count
		},
		callers: []func(sqlmock.Sqlmock){rt.identity("BOB")}, cost: cost{service: 5, logins: 1, caller: 1}})
	// The same token past its validity (the ingress would send a new one):
	// Snowflake refuses the caller session (390318).
	rt.mu.Lock()
	expired := rt.tokens["BOB"]
	rt.mu.Unlock()
	rt.clock.advance(callerTokenLifetime)
	res := rt.do(visit{name: "decide with an expired caller token", method: "POST", path: "/requests/" + reqID + "/decision",
		user: "BOB", token: expired, form: url.Values{"decision": {"approve"}}, status: http.StatusUnauthorized})
	require.Contains(t, res.Body.String(), "Your Snowflake session has expired.")
	res = rt.do(visit{name: "page view with an expired caller token", method: "GET", path: "/", user: "BOB", token: expired,
		status: http.StatusUnauthorized})
	require.Contains(t, res.Body.String(), "Your Snowflake session has expired.")
}

func everyPageView(lifetime, every time.Duration) []time.Duration {
	var at []time.Duration
	for d := time.Duration(0); d < lifetime; d += every {
		at = append(at, d)
	}
	return at
}

// browsed is what one user's browsing cost in caller's-rights logins.
type browsed struct {
	pageViews        int
	pageLogins       []time.Duration // since the first request
	actionLogins     int
	logins           int // caller sessions opened, in all
	callerStatements int
	calls            int // CALLs among them
}

// browse has BOB (an approver) browse a round-trip server for lifetime: a
// page view every pageEvery (catalog, queue, request page, product, my
// requests, in turn) and an action at each of actionsAt (a submit, an
// approval, a rejection, in turn). Every page and action checks its service
// statements exactly; the caller sessions answer whatever they are asked,
// and what they were asked is counted.
func browse(t *testing.T, identityTTL time.Duration, freshTokens bool, lifetime, pageEvery time.Duration,
	actionsAt []time.Duration) browsed {
	rt := newRoundTrip(t, identityTTL)
	rt.measure, rt.freshTokens = true, freshTokens
	start := rt.clock.Now()

	type event struct {
		at     time.Duration
		action int // -1 for a page view
	}
	var events []event
	for _, at := range everyPageView(lifetime, pageEvery) {
		events = append(events, event{at, -1})
	}
	for i, at := range actionsAt {
		require.Less(t, at, lifetime, "an action within the token's lifetime")
		events = append(events, event{at, i})
	}
	slices.SortStableFunc(events, func(a, b event) int { return int(a.at - b.at) })

	var (
		out                           browsed
		rolesRead                     bool
		catalogRead, approverRead     bool      // the catalog cache's two reads,
		catalogReadAt, approverReadAt time.Time // each kept for its TTL on the fake clock
		atStep1                       = pendingRequest(reqID, 1)
	)
	for _, ev := range events {
		rt.clock.set(start.Add(ev.at))
		now := rt.clock.Now()
		v := visit{user: "BOB"}
		var expect []func(sqlmock.Sqlmock)
		if !rolesRead { // the first lookup reads the roles that matter (then kept 30 s, on real time)
			rolesRead = true
			expect = append(expect, func(m sqlmock.Sqlmock) {
				expectQuery(m, RolesThatMatter).WillReturnRows(rt.rolesRows())
			})
		}
		if ev.action < 0 {
			v.method = http.MethodGet
			switch out.pageViews % 5 {
			case 0:
				v.name, v.path = "catalog", "/"
				if !catalogRead || now.Sub(catalogReadAt) >= prodCatalogTTL {
					catalogRead, catalogReadAt = true, now
					expect = append(expect, func(m sqlmock.Sqlmock) {
						expectQuery(m, productsSQL).WillReturnRows(productRows(webAds(), salesEU()))
					})
				}
				expect = append(expect, func(m sqlmock.Sqlmock) { // the viewer's own requests
					expectQuery(m, sqlstore.SelectRequestsBy(signoff.MyRequestsLimit), "BOB").WillReturnRows(requestRows())
				})
			case 1:
				v.name, v.path = "queue", "/queue"
				if !approverRead || now.Sub(approverReadAt) >= prodCatalogTTL {
					approverRead, approverReadAt = true, now
					expect = append(expect, func(m sqlmock.Sqlmock) {
						expectQuery(m, sqlstore.SelectApproverRoles).WillReturnRows(sqlmock.NewRows([]string{"approver_role"}).
							AddRow("APPROVER_DPO").AddRow("APPROVER_MGR").AddRow("APPROVER_OWNER"))
					})
				}
				expect = append(expect, func(m sqlmock.Sqlmock) {
					expectQuery(m, queueSQL(oneRole), "APPROVER_MGR", "BOB", "BOB", "APPROVER_MGR", "BOB", "BOB", "APPROVER_MGR", "APPROVER_MGR").
						WillReturnRows(queueRows([]signoff.Product{salesEU()}, atStep1))
				})
			case 2:
				v.name, v.path = "request page", "/requests/"+reqID
				expect = append(expect, func(m sqlmock.Sqlmock) {
					expectQuery(m, sqlstore.SelectRequestDetail, reqID, reqID).
						WillReturnRows(detailRows(atStep1, salesEU(), historyOf(atStep1)...))
				})
			case 3:
				v.name, v.path = "product", "/products/SALES_EU"
				expect = append(expect, func(m sqlmock.Sqlmock) {
					expectQuery(m, sqlstore.SelectProductFor, "SALES_EU", "BOB", "SALES_EU").
						WillReturnRows(productForRows(salesEU(), "", ""))
				})
			case 4:
				v.name, v.path = "my requests", "/requests"
				expect = append(expect, func(m sqlmock.Sqlmock) {
					expectQuery(m, sqlstore.SelectRequestsBy(signoff.MyRequestsLimit), "BOB").WillReturnRows(requestRows())
				})
			}
		} else {
			v.method = http.MethodPost
			switch ev.action % 3 { // no service statement: the CALL is all
			case 0:
				v.name, v.path = "submit", "/products/SALES_EU/requests"
				v.form = url.Values{"reason": {"Forecast of EU returns for the supply team."}}
			case 1:
				v.name, v.path = "approve", "/requests/"+reqID+"/decision"
				v.form = url.Values{"decision": {"approve"}, "step": {"1"}, "comment": {"Fine by me."}}
			case 2:
				v.name, v.path = "reject", "/requests/"+req2ID+"/decision"
				v.form = url.Values{"decision": {"reject"}, "comment": {"No DPIA yet."}, "confirm": {"1"}}
			}
		}
		v.name = fmt.Sprintf("%s at %s", v.name, ev.at)
		v.service = func(m sqlmock.Sqlmock) {
			for _, e := range expect {
				e(m)
			}
		}
		_, row := rt.serve(v)
		require.LessOrEqual(t, row.logins, 2, v.name)
		out.logins += row.logins
		out.callerStatements += row.caller
		for _, name := range row.callerNames {
			if name == "CALL SUBMIT_REQUEST" || name == "CALL DECIDE_STEP" {
				out.calls++
			}
		}
		if ev.action < 0 {
			out.pageViews++
			require.Empty(t, slices.DeleteFunc(slices.Clone(row.callerNames), func(n string) bool { return n == "IdentityQuery(9)" }),
				"%s: a page view runs only identity statements in caller sessions", v.name)
			if row.logins > 0 {
				out.pageLogins = append(out.pageLogins, ev.at)
			}
		} else {
			require.Zero(t, row.cost.service, "%s: an action runs nothing on the service connection", v.name)
			out.actionLogins += row.logins
		}
	}
	return out
}
