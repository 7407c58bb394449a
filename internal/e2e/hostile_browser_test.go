package e2e

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
)

// hostileMarkup tries every way free text could turn into markup: an
// element with an error handler, a script, an attribute break-out, SVG with
// an onload handler and a marked element.
const hostileMarkup = `<img src=x onerror="document.title='pwned'"><script>document.title='pwned'</script>"'><svg onload="document.title='pwned'"></svg><b data-pwn="1">PWN</b>`

// inert checks that the current page built and ran nothing from hostile
// text: the title is the app's, and main holds no element made from it.
func (b *browserTest) inert(page string) {
	b.t.Helper()
	title, err := chromedp.Run(b.ctx, chromedp.Title())
	require.NoError(b.t, err)
	assert.NotContains(b.t, title, "pwned", page)
	assert.True(b.t, strings.HasSuffix(title, "· Signoff"), "%s: the title is the app's: %q", page, title)
	n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](
		`document.querySelectorAll('main script, main img[src=x], main [onerror], main [onload], main svg, main [data-pwn]').length`))
	require.NoError(b.t, err)
	assert.Zero(b.t, n, "%s: no element was created from the text", page)
}

// location is the current path and query.
func (b *browserTest) location() string {
	b.t.Helper()
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	require.NoError(b.t, err)
	return strings.TrimPrefix(loc, b.base)
}

// TestHostileInputIsInertInBrowser puts markup and script in every
// free-text field (business reason, approve and reject comments, revoke
// reason, the audit filter's actor) and checks that the browser shows it
// verbatim, as text, and runs none of it; and that a sign-in's next never
// leaves the site, whether it is a javascript: URL or a path the browser
// would rewrite into another host.
func TestHostileInputIsInertInBrowser(t *testing.T) {
	b := newBrowserTest(t)

	// The business reason.
	reason := hostileMarkup + " churn model for the growth squad"
	b.signIn("ALICE")
	b.open("/products/customer-360")
	b.do(chromedp.SetValue(chromedp.CSS("#reason"), reason))
	b.submit(`form[action$="/requests"] button[type="submit"]`)
	reqPath := b.location()
	require.Regexp(t, `^/requests/[0-9A-Z]{26}$`, reqPath)
	b.inert("request page")
	assert.Equal(t, reason, b.text(`[data-testid="reason"]`), "the reason is shown verbatim")

	// An approval comment, then a rejection comment.
	approveComment := hostileMarkup + " approved by the line manager"
	b.signIn("MARCO")
	b.open(reqPath)
	b.do(chromedp.SetValue(chromedp.CSS("#comment"), approveComment))
	b.submit("#approve")
	assert.Contains(t, b.text(`[data-testid="flash"]`), "Approved. Next: ", "on to the next request")
	b.inert("next request page after approval")
	b.open(reqPath)
	b.inert("request page after approval")
	assert.Contains(t, b.text(`[data-testid="history"]`), approveComment)

	rejectComment := hostileMarkup + " rejected by the data owner"
	b.signIn("OLIVIA")
	b.open(reqPath)
	b.do(chromedp.SetValue(chromedp.CSS("#comment"), rejectComment))
	b.submit("#reject")
	b.inert("rejection's confirmation")
	assert.Equal(t, rejectComment, b.text(`[data-testid="confirm-quote"]`), "the comment is shown back verbatim")
	b.submit("#confirm-reject")
	assert.Contains(t, b.text(`[data-testid="flash"]`), "Rejected. ", "on to the next request")
	b.open(reqPath)
	assert.Equal(t, "Rejected", b.text(`[data-testid="status"]`))
	b.inert("request page after rejection")
	assert.Contains(t, b.text(`[data-testid="history"]`), rejectComment)

	// A revoke reason, on ALICE's granted Sales orders request.
	rs, err := b.store.Reads().Requests(context.Background(), "ALICE", 100)
	require.NoError(t, err)
	var granted string
	for _, r := range rs {
		if r.ProductID == "sales-orders" && r.Status == signoff.StatusGranted {
			granted = r.ID
		}
	}
	require.NotEmpty(t, granted)
	revokeReason := hostileMarkup + " review finished"
	b.open("/requests/" + granted)
	b.do(chromedp.SetValue(chromedp.CSS("#revoke-reason"), revokeReason))
	b.submit("#revoke")
	b.inert("revocation's confirmation")
	assert.Equal(t, revokeReason, b.text(`[data-testid="confirm-quote"]`), "the reason is shown back verbatim")
	b.submit("#confirm-revoke")
	assert.Equal(t, "Revoked", b.text(`[data-testid="status"]`))
	b.inert("request page after revocation")
	assert.Contains(t, b.text(`[data-testid="history"]`), revokeReason)

	// The audit log shows all of it as text; its actor filter shows the
	// typed markup back in the field, as a value.
	b.signIn("ADAM")
	for _, id := range []string{strings.TrimPrefix(reqPath, "/requests/"), granted} {
		b.open("/audit?request=" + id)
		b.inert("audit log")
	}
	b.open("/audit?request=" + strings.TrimPrefix(reqPath, "/requests/"))
	audit := b.text(`[data-testid="audit"]`)
	for _, want := range []string{reason, approveComment, rejectComment} {
		assert.Contains(t, audit, want)
	}
	b.open("/audit")
	b.do(chromedp.SetValue(chromedp.CSS("#f-actor"), hostileMarkup))
	b.submit(`form.filters button[type="submit"]`)
	assert.Contains(t, b.location(), "actor=")
	b.inert("audit log filtered by a hostile actor")
	actor, err := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS("#f-actor")))
	require.NoError(t, err)
	assert.Equal(t, hostileMarkup, actor, "the filter is shown back verbatim")

	// A sign-in's next never leaves the site. The "other site" is a second
	// loopback server that counts visits.
	var visits atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		visits.Add(1)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte("<!doctype html><title>pwned</title><p>another site</p>"))
	}))
	t.Cleanup(other.Close)
	otherHost := strings.TrimPrefix(other.URL, "http://")
	for _, next := range []string{
		"javascript:document.title='pwned'",
		"/\t/" + otherHost + "/", // a browser drops the tab: //host/
		"/\n/" + otherHost + "/",
		"/\t\\" + otherHost + "/", // and reads \ as /
		"/./\\" + otherHost + "/", // which http.Redirect's path cleaning would put first
		"//" + otherHost + "/",
		"/\\" + otherHost + "/",
		other.URL + "/",
	} {
		b.open("/login?next=" + url.QueryEscape(next))
		// Chromium aborts a cross-origin redirect after a form post
		// (CSP form-action 'self'), so an error here means the server
		// tried to send the browser off-site.
		_, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(`button[data-user="ALICE"]`)))
		if !assert.NoError(t, err, "next %q: signing in lands on a page of this site", next) {
			continue
		}
		assert.Equal(t, "/", b.location(), "next %q is not followed", next)
		title, err := chromedp.Run(b.ctx, chromedp.Title())
		require.NoError(t, err)
		assert.NotContains(t, title, "pwned", "next %q", next)
	}
	assert.Zero(t, visits.Load(), "the browser never went to the other site")
}
