package view

import (
	"net/url"
	"regexp"
	"strconv"

	"github.com/signoff/signoff/internal/signoff"
)

// AccessURL is the address of who has access to product id.
func AccessURL(id string) string { return ProductURL(id) + "/access" }

// accessPath is the shape of AccessURL: the only place a revocation
// returns to besides the request page (ValidBack).
var accessPath = regexp.MustCompile(`^/products/([A-Za-z0-9._~-]{1,200})/access$`)

// ValidBack reports whether back may be where a revocation returns: a
// local path of the access page's shape, nothing else (no scheme, host,
// query, "//", "\\" or dot segment, so never another site nor another page).
func ValidBack(back string) bool {
	m := accessPath.FindStringSubmatch(back)
	return m != nil && m[1] != "." && m[1] != ".."
}

// AccessForm is the state of the access page's revoke forms when the page
// is shown again after a POST: the request whose reason had a problem.
type AccessForm struct {
	RequestID, Reason, Problem string
}

// RevokeFormState is one revoke form: the request it revokes, what was
// typed, its problem, where it returns (Back, "" for the request page)
// and the suffix that keeps its element IDs unique on a page of many.
type RevokeFormState struct {
	RequestID, Reason, Problem, Back, Suffix string
	// Label names whose access the button revokes, for screen readers on
	// a page of many.
	Label string
}

// reasonID and friends are the form's element IDs.
func (f RevokeFormState) reasonID() string { return "revoke-reason" + f.Suffix }
func (f RevokeFormState) errorID() string  { return "revoke-reason-error" + f.Suffix }
func (f RevokeFormState) buttonID() string { return "revoke" + f.Suffix }

// AdminRequestsView is /admin/requests: the filters as typed, their
// problems, and the page.
type AdminRequestsView struct {
	Form     AdminRequestsForm
	Problems signoff.Problems
	Page     signoff.RequestsPage
}

// AdminRequestsForm is the filter form of /admin/requests as typed.
type AdminRequestsForm struct {
	Status, Product, Requester, Classification, From, To, After string
}

// AdminRequestsURL is /admin/requests with f's filters, after cursor.
func AdminRequestsURL(f AdminRequestsForm, after string) string {
	q := url.Values{}
	for k, v := range map[string]string{"status": f.Status, "product": f.Product, "requester": f.Requester,
		"classification": f.Classification, "from": f.From, "to": f.To, "after": after} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if len(q) == 0 {
		return "/admin/requests"
	}
	return "/admin/requests?" + q.Encode()
}

// AdminGrantsView is /admin/grants.
type AdminGrantsView struct {
	Form     AdminGrantsForm
	Problems signoff.Problems
	Page     signoff.GrantsPage
}

// AdminGrantsForm is the filter form of /admin/grants as typed.
type AdminGrantsForm struct{ By, Product, User string }

// AdminGrantsURL is /admin/grants grouped by by, for one product or user.
func AdminGrantsURL(by signoff.GrantsBy, product, user string) string {
	q := url.Values{}
	if by != "" && by != signoff.GrantsByProduct {
		q.Set("by", string(by))
	}
	if product != "" {
		q.Set("product", product)
	}
	if user != "" {
		q.Set("user", user)
	}
	if len(q) == 0 {
		return "/admin/grants"
	}
	return "/admin/grants?" + q.Encode()
}

// grantCount is "1 active grant" or "N active grants".
func grantCount(n int) string {
	if n == 1 {
		return "1 active grant"
	}
	return strconv.Itoa(n) + " active grants"
}

// grantDuration is how long a grant lasts, as people read it.
func grantDuration(g signoff.Grant) string { return signoff.DurationLabel(g.Request.DurationDays) }

// listSep is what goes before the i-th item of a list in a sentence.
func listSep(i int) string {
	if i == 0 {
		return ""
	}
	return ", "
}
