package snowflake

import (
	"net/url"
	"testing"
	"time"

	"github.com/DATA-DOG/go-sqlmock"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlstore"
)

// reviewID names the access review of the review round trips.
const reviewID = "01JNQ4Z5M8A1B2C3D4E5F6G7HR"

// reviewRows renders a review of EU sales orders and its grants as
// SelectReview's rows: reqID's used two hours before t2, req2ID's never.
func reviewRows(status signoff.ReviewStatus, decided int) *sqlmock.Rows {
	rows := sqlmock.NewRows([]string{"review_id", "product_id", "name", "owner_role", "status", "opened_by", "opened_at",
		"completed_at", "item_count", "decided", "review_days", "idle_days", "object_name",
		"request_id", "requester", "r_status", "granted_at", "expires_at", "decision", "decided_by", "decided_at", "note",
		"last_used_at", "q30", "q90"})
	add := func(id, requester string, lastUsed any, q int) {
		rows.AddRow(reviewID, "SALES_EU", "EU sales orders", "SALES_OWNER", string(status), "ADA", t1, nil, int64(2),
			int64(decided), int64(90), int64(0), "SALES.CORE.ORDERS_EU",
			id, requester, "GRANTED", t0.Add(-60*24*time.Hour), nil, nil, nil, nil, nil, lastUsed, int64(q), int64(q))
	}
	add(reqID, "ALICE", t2.Add(-2*time.Hour), 12)
	add(req2ID, "BOB", nil, 0)
	return rows
}

// TestReviewRoundTrips pins what an access review costs on Snowflake: one
// CALL per action (START_REVIEW, DECIDE_REVIEW), in the actor's own
// session, and one statement for the review's page, its grants' use
// included (SIGNOFF.API.ACCESS_USAGE over ACCESS_HISTORY).
func TestReviewRoundTrips(t *testing.T) {
	rt := newRoundTrip(t, prodIdentityTTL)
	now := t2.UTC().Truncate(time.Microsecond)

	res := rt.do(visit{name: "start a review (ADA's first request: her identity, then the call)", method: "POST",
		path: "/products/SALES_EU/reviews", user: "ADA", form: url.Values{},
		service: func(m sqlmock.Sqlmock) { expectQuery(m, RolesThatMatter).WillReturnRows(rt.rolesRows()) },
		callers: []func(sqlmock.Sqlmock){rt.identity("ADA"), expectCall(callStartReview, envelope(signoff.CodeOK,
			`{"actor":"ADA","review_id":"`+reviewID+`","product_id":"SALES_EU","review_status":"OPEN","undecided":2}`),
			"SALES_EU", validIDs{n: 1}, false)},
		cost: cost{service: 1, logins: 2, caller: 2}})
	require.Equal(t, "/reviews/"+reviewID, res.Header().Get("Location"))

	res = rt.do(visit{name: "the review: its grants with their use", method: "GET", path: "/reviews/" + reviewID, user: "ADA",
		service: func(m sqlmock.Sqlmock) {
			expectQuery(m, sqlstore.SelectReview, now.AddDate(0, 0, -30), now.AddDate(0, 0, -90), reviewID).
				WillReturnRows(reviewRows(signoff.ReviewOpen, 0))
		}, cost: cost{service: 1}})
	body := res.Body.String()
	require.Contains(t, body, "0 of 2 decided")
	require.Contains(t, body, "Never used since the grant.")
	require.Contains(t, body, `data-testid="idle"`)

	rt.do(visit{name: "keep a grant", method: "POST", path: "/reviews/" + reviewID + "/items/" + reqID, user: "ADA",
		form: url.Values{"decision": {"keep"}, "note": {"Monthly close."}},
		callers: []func(sqlmock.Sqlmock){expectCall(callDecideReview, envelope(signoff.CodeOK,
			`{"actor":"ADA","review_id":"`+reviewID+`","request_id":"`+reqID+`","review_status":"OPEN","undecided":1}`),
			reviewID, reqID, "KEEP", "Monthly close.", validIDs{n: 1}, false)},
		cost: cost{logins: 1, caller: 1}})
	rt.do(visit{name: "revoke a grant (the review completes)", method: "POST", path: "/reviews/" + reviewID + "/items/" + req2ID,
		user: "ADA", form: url.Values{"decision": {"revoke"}, "note": {"Never used."}},
		callers: []func(sqlmock.Sqlmock){expectCall(callDecideReview, envelope(signoff.CodeOK,
			`{"actor":"ADA","review_id":"`+reviewID+`","request_id":"`+req2ID+`","review_status":"COMPLETE"}`),
			reviewID, req2ID, "REVOKE", "Never used.", validIDs{n: 1}, false)},
		cost: cost{logins: 1, caller: 1}})
	rt.do(visit{name: "a revocation without a reason (refused before any call)", method: "POST",
		path: "/reviews/" + reviewID + "/items/" + req2ID, user: "ADA", form: url.Values{"decision": {"revoke"}},
		status: 422,
		service: func(m sqlmock.Sqlmock) {
			expectQuery(m, sqlstore.SelectReview, now.AddDate(0, 0, -30), now.AddDate(0, 0, -90), reviewID).
				WillReturnRows(reviewRows(signoff.ReviewOpen, 1))
		}, cost: cost{service: 1}})
}
