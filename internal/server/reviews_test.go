package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/web/view"
)

// TestReviewPages walks the demo's access review of Sales orders as its
// owner: the grants with their use, GRACE's idle grant suggested for
// revoke, keep and revoke (a reason required), the progress, and the
// complete banner.
func TestReviewPages(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	olivia := s.as("OLIVIA")
	review := s.openReview("sales-orders")
	alice := s.requestFor("ALICE", "sales-orders", signoff.StatusGranted)
	grace := s.requestFor("GRACE", "sales-orders", signoff.StatusGranted)

	res := olivia.get("/")
	assert.Contains(t, mainNav(t, res.Body), `href="/reviews"`, "owners have a Reviews tab")
	res = olivia.get("/reviews")
	require.Equal(t, http.StatusOK, res.Status)
	assert.Contains(t, testid(res.Body, "reviews-awaiting"), "Sales orders")
	assert.Contains(t, testid(res.Body, "reviews-awaiting"), "0 of 3 decided")
	assert.Contains(t, testid(res.Body, "reviewable-products"), "Customer 360", "the products she reviews, to start one")
	assert.NotContains(t, testid(res.Body, "reviewable-products"), "General ledger", "not another owner's")

	res = olivia.get(view.ReviewURL(review))
	require.Equal(t, http.StatusOK, res.Status)
	assert.Contains(t, testid(res.Body, "review-progress"), "0 of 3 decided")
	assert.Equal(t, 1, count(res.Body, byTestid("idle")), "one idle grant")
	items := text(testidHTML(res.Body, "review-items"))
	assert.Contains(t, items, "Never used since the grant.")
	assert.Contains(t, items, "Last used")
	assert.Contains(t, items, "30 queries in the last 30 days")
	assert.Contains(t, testid(res.Body, "review-usage-note"), "up to 3 hours behind")
	assert.Contains(t, testid(res.Body, "review-usage-note"), "14 days")
	assert.Equal(t, 3, count(res.Body, element("button", "name", "decision", "value", "keep")))
	assert.Equal(t, 3, count(res.Body, element("button", "name", "decision", "value", "revoke")))

	// A revocation needs a reason: the page comes back with what was typed.
	res = olivia.post(view.ReviewItemURL(review, grace), url.Values{"decision": {"revoke"}, "note": {"  "}})
	require.Equal(t, http.StatusUnprocessableEntity, res.Status)
	assert.Contains(t, text(res.Body), "Please say why you revoke this access")
	assert.Equal(t, signoff.StatusGranted, s.request(grace).Status)
	res = olivia.post(view.ReviewItemURL(review, grace), url.Values{"decision": {"drop"}})
	assert.Equal(t, http.StatusUnprocessableEntity, res.Status)

	res = olivia.post(view.ReviewItemURL(review, alice), url.Values{"decision": {"keep"}})
	require.Equal(t, http.StatusSeeOther, res.Status)
	assert.Equal(t, view.ReviewURL(review), res.Location)
	page := olivia.follow(res)
	assert.Contains(t, testid(page.Body, "flash"), "Kept")
	assert.Contains(t, testid(page.Body, "review-progress"), "1 of 3 decided")
	marco := s.requestFor("MARCO", "sales-orders", signoff.StatusGranted)
	res = olivia.post(view.ReviewItemURL(review, marco), url.Values{"decision": {"keep"}, "note": {"Granted this week."}})
	require.Equal(t, http.StatusSeeOther, res.Status)
	page = olivia.follow(res)
	assert.Contains(t, testid(page.Body, "review-progress"), "2 of 3 decided", "not complete while a grant waits")
	assert.False(t, hasTestid(page.Body, "review-complete"))

	res = olivia.post(view.ReviewItemURL(review, grace), url.Values{"decision": {"revoke"}, "note": {"Not used in three weeks."}})
	require.Equal(t, http.StatusSeeOther, res.Status)
	page = olivia.follow(res)
	assert.Contains(t, testid(page.Body, "flash"), "the review is complete")
	assert.True(t, hasTestid(page.Body, "review-complete"))
	assert.Equal(t, 0, count(page.Body, element("button", "name", "decision", "value", "keep")), "nothing left to decide")
	assert.Equal(t, signoff.StatusRevoked, s.request(grace).Status)
	assert.False(t, s.identity("GRACE").HasRole("SALES_ORDERS_READ"), "the role is taken back")

	// The request's history says where the revocation came from.
	res = olivia.get("/requests/" + grace)
	assert.Contains(t, text(res.Body), signoff.ReviewComment(review, "Not used in three weeks."))

	res = olivia.get("/products/sales-orders/reviews")
	require.Equal(t, http.StatusOK, res.Status)
	assert.Contains(t, testid(res.Body, "reviews"), "3 of 3 decided")
	assert.Contains(t, testid(res.Body, "review-policy"), "Scheduled every 90 days")
	assert.Equal(t, 1, count(res.Body, element("button", "id", "start-review")), "no review is open: one may start")

	// The auditor reads the review but is offered no decision.
	audrey := s.as("AUDREY")
	res = audrey.get(view.ReviewURL(review))
	require.Equal(t, http.StatusOK, res.Status)
	assert.Zero(t, count(res.Body, element("button", "id", "start-review")))
	res = audrey.get("/products/sales-orders/reviews")
	require.Equal(t, http.StatusOK, res.Status)
	assert.Zero(t, count(res.Body, element("button", "id", "start-review")), "auditors read, they do not start")
	assert.False(t, strings.Contains(mainNav(t, s.as("ALICE").get("/").Body), `href="/reviews"`), "requesters have no Reviews tab")
}

// TestReviewNotFound: a review or a grant that does not exist is a 404.
func TestReviewNotFound(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	olivia := s.as("OLIVIA")
	assert.Equal(t, http.StatusNotFound, olivia.get("/reviews/01J0000000000000000000000Z").Status)
	assert.Equal(t, http.StatusNotFound, olivia.get("/reviews/nope").Status)
	assert.Equal(t, http.StatusNotFound, olivia.get("/products/nope/reviews").Status)
	review := s.openReview("sales-orders")
	res := olivia.post(view.ReviewItemURL(review, s.requestFor("BEN", "marketing-campaigns", signoff.StatusRevoked)),
		url.Values{"decision": {"keep"}})
	assert.Equal(t, http.StatusNotFound, res.Status, "not one of the review's grants")
}

// TestRevokeIdle: an owner revokes every idle grant of a review at once,
// with one reason, each through the guarded revoke path; the grants in use
// stay, and a reason is required.
func TestRevokeIdle(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	olivia := s.as("OLIVIA")
	review := s.openReview("sales-orders")
	page := olivia.get(view.ReviewURL(review))
	assert.Contains(t, testid(page.Body, "revoke-idle"), "Reason to revoke every idle grant (1)")

	grace := s.requestFor("GRACE", "sales-orders", signoff.StatusGranted)
	res := olivia.post(view.RevokeIdleURL(review), url.Values{"note": {" "}})
	require.Equal(t, http.StatusUnprocessableEntity, res.Status)
	assert.Contains(t, text(res.Body), "Please say why you revoke this access")
	assert.Equal(t, signoff.StatusGranted, s.request(grace).Status)

	res = olivia.post(view.RevokeIdleURL(review), url.Values{"note": {"Unused for three weeks."}})
	require.Equal(t, http.StatusSeeOther, res.Status)
	page = olivia.follow(res)
	assert.Contains(t, testid(page.Body, "flash"), "Revoked 1 idle grant:")
	assert.Equal(t, signoff.StatusRevoked, s.request(grace).Status)
	assert.Equal(t, signoff.StatusGranted, s.request(s.requestFor("ALICE", "sales-orders", signoff.StatusGranted)).Status,
		"the grant in use stays")
	assert.Contains(t, testid(page.Body, "review-progress"), "1 of 3 decided")
	assert.False(t, hasTestid(page.Body, "revoke-idle"), "no idle grant is left")
}
