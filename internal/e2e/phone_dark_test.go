package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
)

// Phones and dark mode (issue 14): the pages at 390 px, whose header must
// stay compact and whose identifiers break only after an underscore, and
// every page in the dark colour scheme, which must meet the same contrast
// standard as the light one.

// phoneWidth and phoneHeight are a common phone's viewport, in CSS pixels.
const phoneWidth, phoneHeight = 390, 844

// colorScheme emulates the system's colour scheme preference: "light" or
// "dark" (prefers-color-scheme), for this tab until changed.
func colorScheme(scheme string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
		return err
	})
}

// eval evaluates a script expression on the current page.
func eval[T any](b *browserTest, script string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](script))
	require.NoError(b.t, err, "evaluate %s", script)
	return v
}

// identBreaks is what identBreaksScript finds: the identifiers laid out over
// more than one line, and each break that is not right after an underscore.
type identBreaks struct {
	Checked int      `json:"checked"` // identifiers on screen
	Wrapped int      `json:"wrapped"` // of which laid out over two lines or more
	Bad     []string `json:"bad"`     // breaks elsewhere than after an underscore
}

// identBreaksScript measures, character by character, where each identifier
// (selector) on the page starts a new line: a break must follow an
// underscore. Identifiers not rendered (a closed <details>) are skipped.
const identBreaksScript = `((selector) => {
	const out = {checked: 0, wrapped: 0, bad: []};
	for (const el of document.querySelectorAll(selector)) {
		const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
		let prevTop = null, prev = '', lines = 0;
		for (let n = walk.nextNode(); n; n = walk.nextNode()) {
			for (let i = 0; i < n.length; i++) {
				const r = document.createRange();
				r.setStart(n, i); r.setEnd(n, i + 1);
				const rects = r.getClientRects();
				if (rects.length === 0) continue;
				const top = rects[0].top;
				if (prevTop === null) lines = 1;
				else if (top > prevTop + 2) {
					lines++;
					if (prev !== '_') out.bad.push(JSON.stringify(el.textContent) + ' breaks after ' + JSON.stringify(n.data.slice(0, i)));
				}
				prevTop = top; prev = n.data[i];
			}
		}
		if (lines > 0) out.checked++;
		if (lines > 1) out.wrapped++;
	}
	return out;
})`

// checkIdents fails the test when an identifier on the current page breaks
// anywhere but after an underscore, and returns what it measured.
func (b *browserTest) checkIdents(page string) identBreaks {
	b.t.Helper()
	got := eval[identBreaks](b, identBreaksScript+`(".ident")`)
	assert.Empty(b.t, got.Bad, "%s: identifiers break only after an underscore", page)
	return got
}

// box is an element's place on the page, in CSS pixels.
type box struct {
	Top    float64 `json:"top"`
	Bottom float64 `json:"bottom"`
	Left   float64 `json:"left"`
	Right  float64 `json:"right"`
	Height float64 `json:"height"`
}

func (b *browserTest) box(sel string) box {
	b.t.Helper()
	return eval[box](b, fmt.Sprintf(`(() => { const r = document.querySelector(%q).getBoundingClientRect();
		return {top: r.top + scrollY, bottom: r.bottom + scrollY, left: r.left, right: r.right, height: r.height}; })()`, sel))
}

// decisionPage returns the path of a request user may decide now, found
// through the workflow rather than the queue's markup.
func (b *browserTest) decisionPage(user string) string {
	b.t.Helper()
	id, err := b.store.Identify(b.ctx, user)
	require.NoError(b.t, err)
	q, err := signoff.NewService(b.store.Reads(), b.store).Queue(b.ctx, id, signoff.QueueInput{})
	require.NoError(b.t, err)
	require.NotEmpty(b.t, q.Requests, "%s has something to decide in the demo", user)
	return "/requests/" + q.Requests[0].ID
}

// TestIdentBreakCheckCanFail proves the identifier check on a page built for
// it: with the stylesheet, an identifier in a box too narrow for it wraps
// after an underscore; the same name as plain code text breaks mid-word,
// and the check reports it.
func TestIdentBreakCheckCanFail(t *testing.T) {
	b := newBrowserTest(t)
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!DOCTYPE html><html lang="en"><head><title>identifiers</title>
			<link rel="stylesheet" href="%s/static/signoff.css"></head><body>
			<p style="width: 11ch"><code id="ident"><span class="ident">CUSTOMER_<wbr>LIFETIME_<wbr>KEY</span></code></p>
			<p style="width: 11ch"><code id="plain"><span class="plain">CUSTOMER_LIFETIME_KEY</span></code></p>
			<table style="width: 4ch"><tr><td><code><span class="ident">SALES_<wbr>ORDERS_<wbr>READ</span></code></td>
			<td>Sales orders of every region, read only</td></tr></table>
			</body></html>`, b.base)
	}))
	t.Cleanup(page.Close)
	b.do(chromedp.Navigate(page.URL))

	idents := eval[identBreaks](b, identBreaksScript+`(".ident")`)
	assert.Empty(t, idents.Bad)
	assert.Equal(t, 2, idents.Checked)
	assert.Equal(t, 2, idents.Wrapped, "both identifiers are too wide for their box, and wrap at an underscore")
	plain := eval[identBreaks](b, identBreaksScript+`(".plain")`)
	assert.NotEmpty(t, plain.Bad, "code text without the helper breaks mid-word, and the check says so")
}

// TestPhonePages looks at the catalog, a product page and the decision page
// at phone width, in the light and the dark colour scheme: screenshots of
// each; a header that keeps to the top of the screen; the product's columns
// before the decision form; identifiers that break only after an
// underscore; no sideways scrolling; and axe's rules, contrast included.
func TestPhonePages(t *testing.T) {
	b := newBrowserTest(t)
	decide := b.decisionPage("MARCO")

	// On a wide screen the product's context sits beside the form.
	b.signIn("MARCO")
	b.open(decide)
	form, context := b.box(`[data-testid="decision"]`), b.box(`[data-testid="product-context"]`)
	assert.GreaterOrEqual(t, context.Left, form.Right, "wide: the columns are beside the form")
	assert.Less(t, context.Top, form.Bottom, "wide: side by side, not below")

	b.do(chromedp.EmulateViewport(phoneWidth, phoneHeight))
	for _, scheme := range []string{"light", "dark"} {
		b.do(colorScheme(scheme))
		for _, p := range []struct{ name, path string }{
			{"catalog", "/"}, {"product", "/products/customer-360"}, {"decision", decide},
		} {
			name := "phone " + p.name + " " + scheme
			b.open(p.path)
			b.visit(name)
			header := b.box("header.site")
			assert.LessOrEqual(t, header.Height, float64(phoneHeight)/6, "%s: the header keeps to the top sixth of the screen", name)
			w := eval[int](b, `document.documentElement.scrollWidth`)
			assert.LessOrEqual(t, w, phoneWidth, "%s: no sideways scrolling", name)
			got := b.checkIdents(name)
			assert.Positive(t, got.Checked, "%s shows identifiers", name)
		}
		// The decision page reads top to bottom: the reason, the product's
		// columns the form asks to check, then the form.
		reason, context, form := b.box(`[data-testid="reason"]`), b.box(`[data-testid="product-context"]`), b.box(`[data-testid="decision"]`)
		assert.Less(t, reason.Bottom, context.Top, "%s: the reason, then the product", scheme)
		assert.LessOrEqual(t, context.Bottom, form.Top, "%s: the product's columns come before the form", scheme)
	}

	// The header of the persona with the most tabs stays compact too.
	b.do(colorScheme("light"))
	b.signIn("ADAM")
	b.open("/audit")
	assert.LessOrEqual(t, b.box("header.site").Height, float64(phoneHeight)/6, "the admin's header: every tab, the admin pages behind one")
	b.checkIdents("phone audit")
	b.visit("phone audit light")
	b.open("/admin")
	assert.Contains(t, b.text(`[data-testid="admin-index"]`), "Products")
	b.visit("phone admin index light")
	b.do(colorScheme("dark"))
	b.visit("phone admin index dark")
}

// TestDarkMode runs axe on the pages in the dark colour scheme, as each
// persona sees them: every colour pair keeps WCAG AA contrast, as in light
// mode. It checks the scheme took effect first, so that it cannot pass by
// looking at the light pages.
func TestDarkMode(t *testing.T) {
	b := newBrowserTest(t)
	b.do(colorScheme("dark"))
	b.open("/login")
	bg := eval[string](b, `getComputedStyle(document.documentElement).backgroundColor`)
	require.Equal(t, "rgb(18, 20, 24)", bg, "the dark scheme is in effect")
	b.visit("dark 01 login")

	decide := b.decisionPage("MARCO")
	b.signIn("ALICE")
	b.open("/")
	b.visit("dark 02 catalog")
	b.open("/products/customer-360")
	b.do(chromedp.SendKeys(chromedp.CSS("#reason"), "too short"))
	b.submit(`form[action$="/requests"] button[type="submit"]`)
	assert.Contains(t, b.text("#reason-error"), "at least 20 characters")
	b.visit("dark 03 product with a problem")
	b.do(chromedp.Clear(chromedp.CSS("#reason")),
		chromedp.SendKeys(chromedp.CSS("#reason"), "Churn model for the growth squad: lifetime value per customer."))
	b.submit(`form[action$="/requests"] button[type="submit"]`)
	assert.Contains(t, b.text(`[data-testid="flash"]`), "submitted")
	b.visit("dark 04 request submitted")
	b.submit("#withdraw") // the confirmation step
	assert.Equal(t, "Withdraw your request?", b.text(`[data-testid="confirm"] h1`))
	b.visit("dark 04b withdraw confirmation")
	b.open("/requests") // grant notes, and the statements to use the access
	b.visit("dark 04c my requests with notes")
	b.open("/requests/" + b.requestOf("ALICE", "sales-orders", signoff.StatusGranted))
	b.visit("dark 04d granted using your access")

	b.signIn("BEN") // requests in every state: each status badge
	b.open("/requests")
	b.visit("dark 05 my requests")

	b.signIn("MARCO")
	b.open("/queue")
	b.visit("dark 06 queue")
	b.open(decide)
	b.do(chromedp.WaitVisible(chromedp.CSS("#approve")))
	b.visit("dark 07 decision form")

	b.signIn("ADAM")
	for _, p := range []struct{ name, path string }{
		{"dark 08 audit", "/audit"}, {"dark 09 audit verify", "/audit/verify"},
		{"dark 10 not found", "/requests/00000000000000000000000000"},
	} {
		b.open(p.path)
		b.visit(p.name)
	}
	b.open("/doctor")
	b.submit(`[data-testid="run-checks"]`)
	b.visit("dark 11 diagnostics")
	assert.True(t, strings.HasPrefix(eval[string](b, `getComputedStyle(document.documentElement).backgroundColor`), "rgb(18, 20, 24)"))
}
