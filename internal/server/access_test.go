package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/signoff/signoff/internal/signoff"
)

// TestAccessPage pins who has access to a product on the full stack: its
// owners, admins and auditors see every active grant, with since, until,
// duration and the request; others get 403, an unknown product 404; the
// product page links to it only for those who may see it.
func TestAccessPage(t *testing.T) {
	t.Parallel()
	s := newStack(t, fromTemplate(matrixDB))
	granted := s.requestFor("ALICE", "sales-orders", signoff.StatusGranted)
	r := s.request(granted)

	for _, user := range []string{"OLIVIA", "ADAM", "AUDREY"} {
		res := s.as(user).get("/products/sales-orders/access")
		require.Equal(t, http.StatusOK, res.Status, "%s: %s", user, text(res.Body))
		row := find(parseHTML(res.Body), element("tr", "data-request", granted))
		require.NotNil(t, row, "%s sees ALICE's grant", user)
		cells := collapseSpace(textOf(row))
		assert.Contains(t, cells, "ALICE")
		assert.Contains(t, cells, "30 days")
		assert.Contains(t, cells, r.ExpiresAt.Format("2 Jan 2006"), "until when")
		link := find(row, element("a", "data-testid", "request-link"))
		require.NotNil(t, link)
		assert.Equal(t, "/requests/"+granted, mustAttr(t, link, "href"), "the request that justified it")
		assert.Len(t, requestRowsOf(res.Body), 3, "the demo's three grants of sales orders: ALICE's, MARCO's, GRACE's")
		assert.Contains(t, res.Body, ">permanent<", "GRACE's is permanent")
		revokes := count(res.Body, element("form", "action", "/requests/"+granted+"/revoke"))
		if user == "AUDREY" {
			assert.Zero(t, revokes, "auditors read, and revoke nothing")
		} else {
			assert.Equal(t, 1, revokes, "%s may revoke it from here", user)
		}
	}
	for _, user := range []string{"ALICE", "MARCO", "NOEL", "HANNAH"} {
		res := s.as(user).get("/products/sales-orders/access")
		assert.Equal(t, http.StatusForbidden, res.Status, user)
		assert.Contains(t, text(res.Body), "Who has access to Sales orders is for its owners (DATA_OWNER_SALES), admins and auditors.")
		assert.NotContains(t, res.Body, granted, "%s learns nothing of the grant", user)
	}
	assert.Equal(t, http.StatusNotFound, s.as("ADAM").get("/products/no-such-product/access").Status)
	assert.Equal(t, http.StatusSeeOther, s.anon().get("/products/sales-orders/access").Status, "sign in first")

	// The empty state: nobody holds the payroll access.
	res := s.as("ADAM").get("/products/payroll-detail/access")
	require.Equal(t, http.StatusOK, res.Status)
	assert.True(t, hasTestid(res.Body, "no-grants"))

	// The product page links to it for owners, admins and auditors only.
	assert.Equal(t, "/products/sales-orders/access", href(s.as("OLIVIA").get("/products/sales-orders").Body, "data-testid", "who-has-access"))
	assert.Equal(t, "/products/sales-orders/access", href(s.as("AUDREY").get("/products/sales-orders").Body, "data-testid", "who-has-access"))
	assert.False(t, hasTestid(s.as("ALICE").get("/products/sales-orders").Body, "who-has-access"))
	assert.False(t, hasTestid(s.as("HANNAH").get("/products/sales-orders").Body, "who-has-access"), "an owner of other products")
}

// TestRevokeFromAccessPage walks the revoke flow from who has access: a
// reason is required (422, the access page again with the problem at that
// grant), the first POST asks, Cancel goes back, confirm=1 revokes and
// returns to the access page.
func TestRevokeFromAccessPage(t *testing.T) {
	t.Parallel()
	s := newStack(t, fromTemplate(matrixDB))
	id := s.requestFor("ALICE", "sales-orders", signoff.StatusGranted)
	olivia := s.as("OLIVIA")
	page := olivia.get("/products/sales-orders/access")
	require.Equal(t, http.StatusOK, page.Status)
	form := find(parseHTML(page.Body), element("form", "action", "/requests/"+id+"/revoke"))
	require.NotNil(t, form)
	reason := find(form, element("input", "name", "reason"))
	require.NotNil(t, reason)
	_, required := attrOf(reason, "required")
	assert.True(t, required, "the reason is required")
	back := "/products/sales-orders/access"
	assert.NotNil(t, find(form, element("input", "name", "back", "value", back)))

	// No reason: the access page again, the problem at that grant.
	res := olivia.post("/requests/"+id+"/revoke", url.Values{"reason": {"  "}, "back": {back}, "confirm": {"1"}})
	require.Equal(t, http.StatusUnprocessableEntity, res.Status)
	row := find(parseHTML(res.Body), element("tr", "data-request", id))
	require.NotNil(t, row)
	assert.NotNil(t, find(row, element("input", "aria-invalid", "true")), "the field with the problem")
	assert.Equal(t, signoff.StatusGranted, s.request(id).Status)

	// Asking: the confirmation carries the reason and where to return.
	res = olivia.post("/requests/"+id+"/revoke", url.Values{"reason": {"Project over."}, "back": {back}})
	require.Equal(t, http.StatusOK, res.Status)
	require.True(t, hasTestid(res.Body, "confirm"))
	assert.Equal(t, back, fieldValue(res.Body, "back"))
	assert.Equal(t, "Project over.", fieldValue(res.Body, "reason"))
	assert.Equal(t, signoff.StatusGranted, s.request(id).Status, "asking changes nothing")

	res = olivia.post("/requests/"+id+"/revoke", url.Values{"reason": {"Project over."}, "back": {back}, "confirm": {"cancel"}})
	require.Equal(t, http.StatusSeeOther, res.Status)
	assert.Equal(t, back, res.Location, "cancel goes back")
	assert.Equal(t, signoff.StatusGranted, s.request(id).Status)

	res = olivia.post("/requests/"+id+"/revoke", url.Values{"reason": {"Project over."}, "back": {back}, "confirm": {"1"}})
	require.Equal(t, http.StatusSeeOther, res.Status)
	assert.Equal(t, back, res.Location)
	assert.Equal(t, signoff.StatusRevoked, s.request(id).Status)
	after := olivia.follow(res)
	assert.Contains(t, testid(after.Body, "flash"), "Access revoked")
	assert.Nil(t, find(parseHTML(after.Body), element("tr", "data-request", id)), "no longer listed")
}

// TestRevokeFormIsOneFlow pins that the request page and the access page
// revoke with the same form: a required reason, then the confirmation.
func TestRevokeFormIsOneFlow(t *testing.T) {
	t.Parallel()
	s := newStack(t, fromTemplate(matrixDB))
	id := s.requestFor("ALICE", "sales-orders", signoff.StatusGranted)
	olivia := s.as("OLIVIA")
	for _, path := range []string{"/requests/" + id, "/products/sales-orders/access"} {
		form := find(parseHTML(olivia.get(path).Body), element("form", "action", "/requests/"+id+"/revoke"))
		require.NotNil(t, form, path)
		assert.Equal(t, "revoke-form", mustAttr(t, form, "class"), path)
		reason := find(form, element("input", "name", "reason"))
		require.NotNil(t, reason, path)
		_, required := attrOf(reason, "required")
		assert.True(t, required, "%s: the reason is required", path)
		assert.Nil(t, find(form, element("input", "name", "confirm")), "%s: the first POST only asks", path)
	}
	res := olivia.post("/requests/"+id+"/revoke", url.Values{"reason": {"Project over."}})
	require.Equal(t, http.StatusOK, res.Status)
	assert.True(t, hasTestid(res.Body, "confirm"))
	assert.Empty(t, fieldValue(res.Body, "back"), "from the request page, back to it")
}

// mustAttr returns n's attribute name ("" if it has none).
func mustAttr(t *testing.T, n *html.Node, name string) string {
	t.Helper()
	v, _ := attrOf(n, name)
	return v
}

// TestGrantPreview pins the preview of the last step: the GRANT, to whom,
// for how long and until when, and the button that says it grants; never
// on a step that is not the last.
func TestGrantPreview(t *testing.T) {
	t.Parallel()
	s := newStack(t, fromTemplate(matrixDB))
	last := s.requestFor("BEN", "hr-headcount", signoff.StatusPending) // at step 3 of 3: data protection
	require.Equal(t, 3, s.request(last).CurrentStep)
	res := s.as("DANA").get("/requests/" + last)
	require.Equal(t, http.StatusOK, res.Status)
	require.True(t, hasTestid(res.Body, "grant-preview"))
	assert.Equal(t, `GRANT ROLE "HR_HEADCOUNT_READ" TO USER "BEN"`, testid(res.Body, "grant-statement"))
	assert.Contains(t, testid(res.Body, "preview-duration"), "30 days")
	assert.True(t, hasTestid(res.Body, "preview-expires"))
	assert.Equal(t, "Approve and grant", collapseSpace(textOf(find(parseHTML(res.Body), element("button", "id", "approve")))))

	first := s.requestFor("ALICE", "hr-headcount", signoff.StatusPending) // at step 1 of 3
	res = s.as("MARCO").get("/requests/" + first)
	require.Equal(t, http.StatusOK, res.Status)
	assert.False(t, hasTestid(res.Body, "grant-preview"), "step 1 of 3 grants nothing")
	assert.Equal(t, "Approve", collapseSpace(textOf(find(parseHTML(res.Body), element("button", "id", "approve")))))

	for _, user := range []string{"BEN", "ADAM", "AUDREY"} {
		assert.False(t, hasTestid(s.as(user).get("/requests/"+last).Body, "grant-preview"), "%s may not decide it", user)
	}
}

// TestAdminRequestsPage pins /admin/requests: every request, newest first,
// filtered, paged by key; a filter value that is not a choice is a 422
// with its message and no results.
func TestAdminRequestsPage(t *testing.T) {
	t.Parallel()
	s := newStack(t, fromTemplate(matrixDB))
	adam := s.as("ADAM")
	res := adam.get("/admin/requests")
	require.Equal(t, http.StatusOK, res.Status)
	rows := requestRowsOf(res.Body)
	require.NotEmpty(t, rows)
	granted := s.requestFor("ALICE", "sales-orders", signoff.StatusGranted)
	assert.Contains(t, rows, granted)

	res = adam.get("/admin/requests?status=GRANTED&requester=ali")
	require.Equal(t, http.StatusOK, res.Status)
	assert.Equal(t, []string{granted}, requestRowsOf(res.Body))
	res = adam.get("/admin/requests?product=sales-orders&classification=" + url.QueryEscape(s.request(granted).Classification))
	assert.Contains(t, requestRowsOf(res.Body), granted)
	res = adam.get("/admin/requests?requester=nobody-at-all")
	assert.True(t, hasTestid(res.Body, "no-requests"))

	for q, msg := range map[string]string{
		"status=SOMETIMES":              "Choose a status from the list.",
		"product=no-such":               "Choose a product from the list.",
		"classification=SECRETS":        "Choose a classification from the list.",
		"from=yesterday":                "Enter the start date as YYYY-MM-DD",
		"to=2026-13-01":                 "Enter the end date as YYYY-MM-DD",
		"from=2026-03-02&to=2026-03-01": "The end date must not be before the start date.",
		"after=not-an-id":               signoff.MalformedCursor,
	} {
		res := adam.get("/admin/requests?" + q)
		assert.Equal(t, http.StatusUnprocessableEntity, res.Status, q)
		assert.Contains(t, text(res.Body), msg, q)
		assert.Empty(t, requestRowsOf(res.Body), "%s: no results under a problem", q)
	}
	for _, user := range []string{"ALICE", "OLIVIA", "NOEL"} {
		res := s.as(user).get("/admin/requests?status=SOMETIMES")
		assert.Equal(t, http.StatusForbidden, res.Status, "%s, even with a bad filter", user)
	}
}

// requestRowsOf returns the request IDs of a listing's rows, in order.
func requestRowsOf(body string) []string {
	var out []string
	for _, n := range findAll(parseHTML(body), element("tr")) {
		if id, ok := attrOf(n, "data-request"); ok {
			out = append(out, id)
		}
	}
	return out
}

// TestAdminGrantsPage pins /admin/grants: grouped by product or user,
// filtered, and a grouping that is not a choice is a 422.
func TestAdminGrantsPage(t *testing.T) {
	t.Parallel()
	s := newStack(t, fromTemplate(matrixDB))
	granted := s.requestFor("ALICE", "sales-orders", signoff.StatusGranted)
	audrey := s.as("AUDREY")
	res := audrey.get("/admin/grants")
	require.Equal(t, http.StatusOK, res.Status)
	assert.NotNil(t, find(parseHTML(res.Body), element("section", "data-group", "sales-orders")))
	assert.Contains(t, requestRowsOf(res.Body), granted)

	res = audrey.get("/admin/grants?by=user")
	require.Equal(t, http.StatusOK, res.Status)
	assert.NotNil(t, find(parseHTML(res.Body), element("section", "data-group", "ALICE")))

	res = audrey.get("/admin/grants?by=user&user=ALICE&product=sales-orders")
	assert.Equal(t, []string{granted}, requestRowsOf(res.Body))
	res = audrey.get("/admin/grants?user=alice")
	assert.True(t, hasTestid(res.Body, "no-grants"), "a user is named exactly")

	for q, msg := range map[string]string{
		"by=role":                           `Group the grants by "product" or "user".`,
		"product=no-such":                   "Choose a product from the list.",
		"user=" + url.QueryEscape("a\x01b"): "That is not a user name Snowflake could have",
	} {
		res := audrey.get("/admin/grants?" + q)
		assert.Equal(t, http.StatusUnprocessableEntity, res.Status, q)
		assert.Contains(t, text(res.Body), msg, q)
	}
	assert.Equal(t, http.StatusForbidden, s.as("OLIVIA").get("/admin/grants").Status, "owners see their products' access only")
	assert.True(t, strings.Contains(s.as("ADAM").get("/admin").Body, `href="/admin/grants"`), "the Admin tab's page links it")
	assert.Equal(t, http.StatusForbidden, s.as("ALICE").get("/admin").Status)
}
