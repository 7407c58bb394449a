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
// user causes with one caller token over its whole default validity (120 s in
// SPCS): each login is a Snowflake session opened with the token, running
// the identity statement, then closed. The user browses through the real
// server (internal/server over sqlmock, configured as `signoff serve` is),
// viewing a page every 2 s, and acts (a submit and two decisions, POSTs) three
// times.
//
// By design a page view logs in only when the identity cache has no fresh
// answer for the token, and every login (a page view's or an action's)
// stores a fresh answer, so page-view logins are at least the identity cache
// TTL apart: at most ceil(120 s / TTL) per token lifetime. Every action logs
// in afresh. Here each action follows, a second later, a page view that
// logged in, so the actions take nothing off the page views' logins and the
// count is exactly ceil(120 s / 30 s) + 1 per action. An action in the middle
// of the cache's life pushes the next page-view login back (the last case).
func TestCallerLoginsPerTokenLifetime(t *testing.T) {
	const pageEvery = 2 * time.Second
	afterLogins := []time.Duration{1 * time.Second, 33 * time.Second, 65 * time.Second}
	for _, tc := range []struct {
		name        string
		identityTTL time.Duration
		actionsAt   []time.Duration
		pageLogins  []time.Duration // when page views logged in
		summary     string          // the logged line's lead
	}{{
		name: "identity cache 30s", identityTTL: prodIdentityTTL, actionsAt: afterLogins,
		// ceil(120 s / 30 s) = 4, each 30 s after the last login, page view's or action's.
		pageLogins: []time.Duration{0, 32 * time.Second, 64 * time.Second, 96 * time.Second},
		summary:    "caller logins per user per 120s caller token",
	}, {
		name: "identity cache 0", identityTTL: 0, actionsAt: afterLogins,
		pageLogins: everyPageView(callerTokenLifetime, pageEvery), // no cache: every page view logs in
		summary:    "caller logins per user per 120s caller token",
	}, {
		name: "identity cache 30s, actions mid-cache", identityTTL: prodIdentityTTL,
		actionsAt: []time.Duration{21 * time.Second, 51 * time.Second, 81 * time.Second},
		// The actions at 21, 51 and 81 s keep the cached answer fresh until 111 s.
		pageLogins: []time.Duration{0, 112 * time.Second},
		summary:    "caller logins (actions mid-cache) per user per 120s caller token",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			b := browse(t, tc.identityTTL, callerTokenLifetime, pageEvery, tc.actionsAt)
			require.Equal(t, tc.pageLogins, b.pageLogins, "when page views logged in")
			if tc.identityTTL > 0 {
				bound := int((callerTokenLifetime + tc.identityTTL - 1) / tc.identityTTL)
				require.LessOrEqual(t, len(b.pageLogins), bound, "page-view logins at most ceil(lifetime / identity cache)")
				if slices.Equal(tc.actionsAt, afterLogins) {
					require.Equal(t, bound, len(b.pageLogins), "page-view logins = ceil(lifetime / identity cache)")
				}
			}
			require.Equal(t, len(tc.actionsAt), b.actionLogins, "one login per action")
			require.Equal(t, len(b.pageLogins)+len(tc.actionsAt), b.logins, "caller sessions opened")
			t.Logf("%s: %d for %d page views (identity cache %ds) + 1 per action (%d actions) = %d",
				tc.summary, len(b.pageLogins), b.pageViews, int(tc.identityTTL/time.Second), len(tc.actionsAt), b.logins)
		})
	}
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
	pageViews    int
	pageLogins   []time.Duration // since the token was issued
	actionLogins int
	logins       int // caller sessions opened, in all
}

// browse has BOB (an approver) browse a round-trip server with one caller
// token, issued at the start, for lifetime: a page view every pageEvery
// (catalog, queue, request page, product, my requests, in turn) and an
// action at each of actionsAt (a submit, an approval, a rejection, in turn).
// Every page and action checks its service statements exactly.
func browse(t *testing.T, identityTTL, lifetime, pageEvery time.Duration, actionsAt []time.Duration) browsed {
	rt := newRoundTrip(t, identityTTL)
	start := rt.clock.Now()
	token := rt.newToken("BOB")

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
		out                        browsed
		rolesRead, approverRead    bool
		catalogRead                bool
		catalogReadAt              time.Time
		atStep1, req2AtStep1       = pendingRequest(reqID, 1), pendingRequest(req2ID, 1)
		reqEvents                  = []signoff.Event{submitted(reqID)}
		submitArg, approveArg, rej string
	)
	for _, ev := range events {
		rt.clock.set(start.Add(ev.at))
		now := rt.clock.Now()
		var (
			name, method, path string
			form               url.Values
			expect             []func(sqlmock.Sqlmock)
		)
		if !rolesRead { // the first login reads the roles that matter (then cached for a minute)
			rolesRead = true
			expect = append(expect, func(m sqlmock.Sqlmock) {
				expectQuery(m, RolesThatMatter).WillReturnRows(rt.rolesRows())
			})
		}
		if ev.action < 0 {
			method = http.MethodGet
			switch out.pageViews % 5 {
			case 0:
				name, path = "catalog", "/"
				if !catalogRead || now.Sub(catalogReadAt) >= prodCatalogTTL {
					catalogRead, catalogReadAt = true, now
					expect = append(expect, func(m sqlmock.Sqlmock) {
						expectQuery(m, productsSQL).WillReturnRows(productRows(webAds(), salesEU()))
					})
				}
			case 1:
				name, path = "queue", "/queue"
				if !approverRead {
					approverRead = true
					expect = append(expect, func(m sqlmock.Sqlmock) {
						expectQuery(m, sqlstore.SelectApproverRoles).WillReturnRows(sqlmock.NewRows([]string{"approver_role"}).
							AddRow("APPROVER_DPO").AddRow("APPROVER_MGR").AddRow("APPROVER_OWNER"))
					})
				}
				expect = append(expect, func(m sqlmock.Sqlmock) {
					expectQuery(m, sqlstore.SelectQueue(1, signoff.QueueLimit), "APPROVER_MGR", "BOB", "BOB").
						WillReturnRows(requestRows(atStep1))
				})
			case 2:
				name, path = "request page", "/requests/"+reqID
				expect = append(expect, func(m sqlmock.Sqlmock) {
					expectQuery(m, sqlstore.SelectRequestDetail, reqID, reqID).WillReturnRows(detailRows(atStep1, salesEU()))
					expectQuery(m, eventsSQL(signoff.EventFilter{RequestID: reqID, Limit: 500}), reqID).
						WillReturnRows(eventRows(reqEvents...))
				})
			case 3:
				name, path = "product", "/products/SALES_EU"
				expect = append(expect, func(m sqlmock.Sqlmock) {
					expectQuery(m, sqlstore.SelectProductFor, "SALES_EU", "BOB", "SALES_EU").
						WillReturnRows(productForRows(salesEU(), "", ""))
				})
			case 4:
				name, path = "my requests", "/requests"
				expect = append(expect, func(m sqlmock.Sqlmock) {
					expectQuery(m, sqlstore.SelectRequestsBy(signoff.MyRequestsLimit), "BOB").WillReturnRows(requestRows())
				})
			}
		} else {
			method = http.MethodPost
			switch ev.action % 3 {
			case 0:
				name, path = "submit", "/products/SALES_EU/requests"
				form = url.Values{"reason": {"Forecast of EU returns for the supply team."}}
				expect = append(expect, func(m sqlmock.Sqlmock) {
					expectQuery(m, productSQL, "SALES_EU").WillReturnRows(productRows(salesEU()))
					expectQuery(m, callApply, capture{&submitArg}).WillReturnRows(applied("OK"))
				})
			case 1:
				name, path = "approve", "/requests/"+reqID+"/decision"
				form = url.Values{"decision": {"approve"}, "step": {"1"}, "comment": {"Fine by me."}}
				expect = append(expect, func(m sqlmock.Sqlmock) {
					expectQuery(m, sqlstore.SelectRequestDetail, reqID, reqID).WillReturnRows(detailRows(atStep1, salesEU()))
					expectQuery(m, callApply, capture{&approveArg}).WillReturnRows(applied("OK"))
				})
			case 2:
				name, path = "reject", "/requests/"+req2ID+"/decision"
				form = url.Values{"decision": {"reject"}, "comment": {"No DPIA yet."}}
				expect = append(expect, func(m sqlmock.Sqlmock) {
					expectQuery(m, sqlstore.SelectRequestDetail, req2ID, req2ID).WillReturnRows(detailRows(req2AtStep1, salesEU()))
					expectQuery(m, callApply, capture{&rej}).WillReturnRows(applied("OK"))
				})
			}
		}
		name = fmt.Sprintf("%s at %s", name, ev.at)
		opened := rt.opened.Load()
		_, row := rt.serve(name, method, path, form, "BOB", token, func(m sqlmock.Sqlmock) {
			for _, e := range expect {
				e(m)
			}
		})
		logins := int(rt.opened.Load() - opened)
		require.Equal(t, logins, row.identity, "%s: one identity statement per caller session", name)
		require.LessOrEqual(t, logins, 1, name)
		out.logins += logins
		if ev.action < 0 {
			out.pageViews++
			if logins > 0 {
				out.pageLogins = append(out.pageLogins, ev.at)
			}
		} else {
			require.Equal(t, 1, logins, "%s: an action logs in afresh", name)
			out.actionLogins += logins
		}
	}
	for arg, want := range map[*string][]string{
		&submitArg:  {sqlstore.InsertRequest, sqlstore.InsertSteps, sqlstore.InsertEvent},
		&approveArg: {sqlstore.AdvanceRequest, sqlstore.RecordDecision, sqlstore.InsertEvent},
		&rej:        {sqlstore.AdvanceRequest, sqlstore.RecordDecision, sqlstore.InsertEvent},
	} {
		if *arg != "" {
			requireBatchSQL(t, *arg, want...)
		}
	}
	return out
}
