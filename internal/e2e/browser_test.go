// Package e2e drives Signoff in headless Chromium: a request walked through
// a three-step chain by three personas, screenshots of every page, and
// axe-core's WCAG 2 A/AA rules on every page.
package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/demo"
	"github.com/signoff/signoff/internal/server"
	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlite"
)

// browserPath finds Debian's chromium. With SIGNOFF_REQUIRE_BROWSER=1 (set
// by "make test" and so in CI) a missing browser fails the test instead of
// skipping it.
func browserPath(t *testing.T) string {
	for _, p := range []string{os.Getenv("SIGNOFF_CHROMIUM"), "/usr/lib/chromium/chromium", "/usr/bin/chromium"} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if os.Getenv("SIGNOFF_REQUIRE_BROWSER") != "" {
		t.Fatal("chromium is not installed: run 'make test-deps' (apt-get install chromium)")
	}
	t.Skip("chromium not installed; 'make test' installs it and runs this test")
	return ""
}

// axeSource reads axe-core from node_modules (npm ci installs it).
func axeSource(t *testing.T) string {
	path := os.Getenv("SIGNOFF_AXE")
	if path == "" {
		path = filepath.Join("..", "..", "node_modules", "axe-core", "axe.min.js")
	}
	src, err := os.ReadFile(path)
	if err != nil {
		if os.Getenv("SIGNOFF_REQUIRE_BROWSER") != "" {
			t.Fatalf("axe-core missing (%v): run 'npm ci'", err)
		}
		t.Skipf("axe-core missing (%v); 'make test' installs it", err)
	}
	return string(src)
}

// browserTest is one running app and one browser tab.
type browserTest struct {
	t     *testing.T
	ctx   context.Context
	base  string
	axe   string
	store *sqlite.Store
	// svc is the app's service, with the embedded engine's scheduler
	// (svc.Sweep runs it), and clock the time it and the server keep.
	svc   *signoff.Service
	clock *testClock
	shots int
}

// testClock is the app's clock: the wall clock, moved on by what tests
// add (a week passes in an instant).
type testClock struct {
	mu     sync.Mutex
	offset time.Duration
}

// Now is the wall clock plus the time the test moved on.
func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

// advance moves the clock on by d.
func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

func newBrowserTest(t *testing.T) *browserTest {
	exe := browserPath(t)
	axe := axeSource(t)
	ctx := t.Context()
	st, err := sqlite.Open(ctx, ":memory:")
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	clock := &testClock{}
	svc := signoff.NewService(st.Reads(), st)
	svc.Diagnoser = st
	svc.Directory, svc.Scheduler, svc.Products, svc.Managers = st, st, st, st
	svc.Policies = st
	svc.Objects = st
	svc.ReviewReads, svc.ReviewEngine = st.Reads(), st // as signoff serve wires them
	require.NoError(t, demo.Load(ctx, st, svc, time.Now()))
	svc.Now = clock.Now
	srv, err := server.New(server.Config{Service: svc, Ready: st.Ping, Local: st,
		SessionKey: []byte(strings.Repeat("k", 32)), Engine: "embedded (test)", Now: clock.Now, Reviews: svc, Catalog: svc, Managers: svc, Policy: svc})
	require.NoError(t, err)
	hs := httptest.NewServer(srv) // loopback only
	t.Cleanup(hs.Close)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-component-update", true), chromedp.Flag("no-pings", true),
		chromedp.Flag("disable-quic", true), chromedp.Flag("no-first-run", true),
		chromedp.WindowSize(1280, 900))
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(cancelBrowser)
	tctx, cancel := context.WithTimeout(bctx, 90*time.Second)
	t.Cleanup(cancel)
	return &browserTest{t: t, ctx: tctx, base: hs.URL, axe: axe, store: st, svc: svc, clock: clock}
}

// do runs browser actions and fails the test on error.
func (b *browserTest) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	require.NoError(b.t, chromedp.Do(b.ctx, steps...))
}

// submit clicks a submit button and waits for the POST/redirect/GET to land.
func (b *browserTest) submit(sel string) {
	b.t.Helper()
	resp, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(sel)))
	require.NoError(b.t, err)
	require.NotNil(b.t, resp)
}

func (b *browserTest) open(path string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.base + path))
}

func (b *browserTest) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	require.NoError(b.t, err)
	return s
}

// signIn switches to persona user through the sign-in page.
func (b *browserTest) signIn(user string) {
	b.t.Helper()
	b.open("/login")
	b.submit(`button[data-user="` + user + `"]`)
	assert.Equal(b.t, user, b.text(`[data-testid="viewer"]`))
}

// shoot saves a full-page PNG of the current page as an artifact.
func (b *browserTest) shoot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	require.NoError(b.t, err)
	b.shots++
	file := filepath.Join(b.t.ArtifactDir(), strings.ReplaceAll(
		strings.ToLower(name), " ", "-")+".png")
	require.NoError(b.t, os.WriteFile(file, png, 0o644))
}

// axeResult is what the page script returns from axe.run.
type axeResult struct {
	Violations []struct {
		ID    string `json:"id"`
		Help  string `json:"help"`
		Nodes []struct {
			Target any    `json:"target"`
			HTML   string `json:"html"`
		} `json:"nodes"`
	} `json:"violations"`
	Passes int `json:"passes"`
}

// axeViolations runs axe-core's WCAG 2.0/2.1 A and AA rules on the current
// page and returns one line per violating node.
func (b *browserTest) axeViolations() []string {
	b.t.Helper()
	_, err := chromedp.Run(b.ctx, chromedp.Evaluate[any](b.axe+";0"))
	require.NoError(b.t, err, "inject axe-core")
	raw, err := chromedp.Run(b.ctx, chromedp.Evaluate[json.RawMessage](
		`axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
		   .then(r => ({violations: r.violations, passes: r.passes.length}))`,
		chromedp.EvalAwaitPromise))
	require.NoError(b.t, err, "run axe-core")
	var res axeResult
	require.NoError(b.t, json.Unmarshal(raw, &res))
	require.Positive(b.t, res.Passes, "axe ran no rule")
	var out []string
	for _, v := range res.Violations {
		for _, n := range v.Nodes {
			out = append(out, fmt.Sprintf("%s (%s): %v %s", v.ID, v.Help, n.Target, n.HTML))
		}
	}
	return out
}

// checkA11y fails the test on any axe violation on the current page.
func (b *browserTest) checkA11y(page string) {
	b.t.Helper()
	for _, v := range b.axeViolations() {
		b.t.Errorf("%s: axe %s", page, v)
	}
}

// waitCount waits until the catalog's result count reads want.
func (b *browserTest) waitCount(want string) {
	b.t.Helper()
	_, err := chromedp.Run(b.ctx, chromedp.Poll[bool](
		`document.querySelector('[data-testid="result-count"]').textContent.trim() === `+strconvQuote(want),
		chromedp.WithPollingTimeout(10*time.Second)))
	require.NoError(b.t, err, "the result count never read %q (it reads %q)", want, b.text(`[data-testid="result-count"]`))
}

// strconvQuote quotes s as a JavaScript string literal.
func strconvQuote(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}

// visit checks and photographs the current page.
func (b *browserTest) visit(name string) {
	b.t.Helper()
	b.shoot(name)
	b.checkA11y(name)
}

// TestThreeStepChainInBrowser walks ALICE's request for Customer 360 through
// its chain (line manager MARCO, data owner OLIVIA, data protection by SAM,
// who holds DPO through the role hierarchy) and checks the grant shows.
func TestThreeStepChainInBrowser(t *testing.T) {
	b := newBrowserTest(t)

	b.open("/")
	assert.Contains(t, b.text("h1"), "Sign in", "signed-out visitors land on the sign-in page")
	b.visit("01 login")

	b.signIn("ALICE")
	b.do(chromedp.SendKeys(chromedp.CSS("#q"), "customer 360"))
	b.waitCount("1 of 9 products") // the search applies itself as it is typed (catalog.js)
	b.visit("02 catalog")

	b.submit(`a[href="/products/customer-360"]`)
	assert.Equal(t, "Line manager → Data owner → Data protection", b.text(`[data-testid="chain-summary"]`))
	b.visit("03 product")

	// A reason that is too short is refused with a message, keeping the text.
	b.do(chromedp.SendKeys(chromedp.CSS("#reason"), "need it"))
	b.submit(`form[action$="/requests"] button[type="submit"]`)
	assert.Contains(t, b.text("#reason-error"), "at least 20 characters")
	b.visit("04 product reason too short")

	b.do(chromedp.Clear(chromedp.CSS("#reason")),
		chromedp.SendKeys(chromedp.CSS("#reason"), "Churn model for the growth squad: lifetime value per customer."))
	b.submit(`form[action$="/requests"] button[type="submit"]`)
	assert.Contains(t, b.text(`[data-testid="flash"]`), "submitted")
	assert.Equal(t, "Churn model for the growth squad: lifetime value per customer.", b.text(`[data-testid="reason"]`))
	reqURL, err := chromedp.Run(b.ctx, chromedp.Location())
	require.NoError(t, err)
	reqPath := strings.TrimPrefix(reqURL, b.base)
	require.Regexp(t, `^/requests/[0-9A-Z]{26}$`, reqPath)
	assert.Equal(t, "Pending", b.text(`[data-testid="status"]`))
	b.visit("05 request submitted")

	approvers := []struct{ user, step string }{
		{"MARCO", "Line manager"}, {"OLIVIA", "Data owner"}, {"SAM", "Data protection"},
	}
	for i, a := range approvers {
		b.signIn(a.user)
		b.open("/queue")
		b.do(chromedp.WaitVisible(chromedp.CSS(`a[href="` + reqPath + `"]`)))
		if i == 0 {
			b.visit("06 queue")
		}
		b.submit(`a[href="` + reqPath + `"]`)
		assert.Contains(t, b.text(`[data-testid="decision"] h2`), a.step)
		if i == 0 {
			b.visit("07 request decision form")
		}
		b.do(chromedp.SendKeys(chromedp.CSS("#comment"), "Looks right to me ("+a.user+")."))
		b.submit("#approve")
		// On to the next request of the approver's queue (the demo has one
		// for each of them).
		flash := b.text(`[data-testid="flash"]`)
		if i < len(approvers)-1 {
			assert.Contains(t, flash, "Approved. Next: ")
		} else {
			assert.Contains(t, flash, "Approved: ALICE now holds CUSTOMER_360_READ. Next: ")
			b.open(reqPath)
			assert.Equal(t, "Granted", b.text(`[data-testid="status"]`))
			b.visit("08 request granted")
		}
	}

	// The requester really holds the role now, and the header says so.
	b.signIn("ALICE")
	b.open("/requests")
	roles, err := chromedp.Run(b.ctx, chromedp.TextContent(chromedp.CSS(`[data-testid="roles-in-session"]`)))
	require.NoError(t, err)
	assert.Contains(t, roles, "CUSTOMER_360_READ")
	b.visit("09 my requests")
	id, err := b.store.Identify(b.ctx, "ALICE")
	require.NoError(t, err)
	assert.True(t, id.HasRole("CUSTOMER_360_READ"))

	// The audit log tells the whole story; an admin reads it.
	b.signIn("ADAM")
	b.open("/audit?request=" + strings.TrimPrefix(reqPath, "/requests/"))
	audit := b.text(`[data-testid="audit"]`)
	for _, ev := range []string{"Request submitted", "Step approved", "Request approved", "Access granted"} {
		assert.Contains(t, audit, ev)
	}
	b.visit("10 audit")

	// The admin's diagnostics page: the preflight runs on a button, as a table.
	b.open("/doctor")
	b.submit(`[data-testid="run-checks"]`)
	assert.Contains(t, b.text(`[data-testid="doctor-summary"]`), "No check failed")
	b.visit("10b diagnostics")

	// Error pages are accessible too.
	b.open("/requests/00000000000000000000000000")
	assert.Contains(t, b.text(`[data-testid="error"]`), "There is no request")
	b.visit("11 not found")
	t.Logf("%d screenshots in %s", b.shots, t.ArtifactDir())
}

// TestCatalogSearchInBrowser: the catalog applies the search as it is
// typed and the filters as they change, without a click and without
// reloading the page (the search box keeps its focus), keeps the address bar
// in step, and works the same without JavaScript, as a GET form.
func TestCatalogSearchInBrowser(t *testing.T) {
	b := newBrowserTest(t)
	b.signIn("ALICE")
	b.open("/")
	b.waitCount("9 of 9 products")
	titles := func() []string {
		got, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](
			`[...document.querySelectorAll('.card__title')].map(e => e.textContent.trim())`))
		require.NoError(t, err)
		return got
	}
	location := func() string {
		loc, err := chromedp.Run(b.ctx, chromedp.Location())
		require.NoError(t, err)
		return strings.TrimPrefix(loc, b.base)
	}
	// A marker on the window survives only as long as the page does.
	b.do(chromedp.Evaluate[chromedp.Void](`window.samePage = true`))
	stillThere := func() {
		t.Helper()
		same, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`window.samePage === true`))
		require.NoError(t, err)
		assert.True(t, same, "the page was not reloaded")
		focus, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.activeElement.id`))
		require.NoError(t, err)
		assert.Equal(t, "q", focus, "the search box keeps its focus")
	}

	b.do(chromedp.Click(chromedp.CSS("#q")), chromedp.SendKeys(chromedp.CSS("#q"), "customers"))
	b.waitCount("2 of 9 products")
	assert.Equal(t, []string{"Customer 360", "Sales orders"}, titles(), "a name match above a column match")
	assert.Equal(t, "/?q=customers", location())
	stillThere()
	b.visit("catalog search customers")

	b.do(chromedp.Evaluate[chromedp.Void](`document.getElementById('q').select()`), chromedp.SendKeys(chromedp.CSS("#q"), "email"))
	b.waitCount("1 of 9 products")
	assert.Equal(t, []string{"Customer 360"}, titles())
	assert.Equal(t, "Matches column EMAIL", b.text(`[data-testid="found"]`))
	stillThere()
	b.visit("catalog search by column")

	b.do(chromedp.Evaluate[chromedp.Void](`document.getElementById('q').select()`), chromedp.SendKeys(chromedp.CSS("#q"), "churnn"))
	b.waitCount("1 of 9 products") // a slip of the finger
	b.do(chromedp.Evaluate[chromedp.Void](`document.getElementById('q').select()`), chromedp.SendKeys(chromedp.CSS("#q"), "zzz"))
	b.waitCount("0 of 9 products")
	assert.Contains(t, b.text(`[data-testid="no-match"]`), "No product matches “zzz”")
	b.visit("catalog search no match")

	// A filter applies as it is chosen.
	b.do(chromedp.Evaluate[chromedp.Void](`document.getElementById('q').value = ''`))
	b.do(chromedp.Evaluate[chromedp.Void](`const c = document.getElementById('classification');
		c.value = 'PII'; c.dispatchEvent(new Event('change', {bubbles: true}))`))
	b.waitCount("3 of 9 products")
	assert.Equal(t, "/?classification=PII", location())
	assert.Equal(t, []string{"Customer 360", "HR headcount", "Payroll detail"}, titles())

	// Without JavaScript the form is a GET form: its button searches.
	b.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	}))
	b.open("/")
	b.do(chromedp.SendKeys(chromedp.CSS("#q"), "c360"))
	b.submit(`form[role="search"] button[type="submit"]`)
	assert.Equal(t, "1 of 9 products", b.text(`[data-testid="result-count"]`))
	assert.Equal(t, "/?q=c360&classification=&tag=", location())
	assert.Equal(t, "Customer 360", b.text(`[data-testid="products"] .card__title`))
}

// TestAuditLogInBrowser: the audit log keeps one line per request ID (its
// last 8 characters, the rest folded into an ellipsis but still in the
// text, so copying the cell copies the whole ID), names products, says who
// ran a grant, and filters on part of an actor's name. Times: the request
// page says how long ago, and times.js adds the viewer's own time zone to
// each <time>'s title.
func TestAuditLogInBrowser(t *testing.T) {
	b := newBrowserTest(t)
	b.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Asia/Tokyo"})
		return err
	}))
	b.signIn("AUDREY")
	b.open("/audit")
	b.visit("audit log")

	// The request column: the last 8 characters show, in one line.
	cell, err := chromedp.Run(b.ctx, chromedp.Evaluate[map[string]any](`(() => {
		const a = document.querySelector('[data-testid="request-id"]');
		const code = a.querySelector('code');
		const ch = (() => { const s = document.createElement('code'); s.textContent = '0'; s.style.position = 'absolute';
			code.parentNode.appendChild(s); const w = s.getBoundingClientRect().width; s.remove(); return w; })();
		const r = code.getBoundingClientRect(), line = parseFloat(getComputedStyle(a).lineHeight) || r.height;
		const sel = getSelection(); sel.selectAllChildren(a);
		const copied = sel.toString(); sel.removeAllRanges();
		// Where the ID's first and last characters are laid out: inside the
		// box, or folded away to its left.
		const at = i => { const g = document.createRange(); g.setStart(code.firstChild, i); g.setEnd(code.firstChild, i + 1);
			const c = g.getBoundingClientRect(); return c.left >= r.left - 0.5 && c.right <= r.right + 0.5; };
		const n = code.textContent.length;
		return {title: a.title, text: code.textContent, copied: copied, widthInChars: r.width / ch,
			overflows: code.scrollWidth > code.clientWidth, lines: Math.round(r.height / line),
			firstShows: at(0), lastShows: at(n - 1), eighthLastShows: at(n - 8), eleventhLastShows: at(n - 11)};
	})()`))
	require.NoError(t, err)
	id := cell["title"].(string)
	require.Regexp(t, `^[0-9A-Z]{26}$`, id)
	assert.Equal(t, id, cell["text"])
	assert.InDelta(t, 10, cell["widthInChars"], 0.5, "an ellipsis and the last 8 characters show")
	assert.Equal(t, true, cell["overflows"], "the rest is folded away")
	assert.Equal(t, true, cell["lastShows"], "the end of the ID shows")
	assert.Equal(t, false, cell["firstShows"], "its start is folded away")
	assert.Equal(t, true, cell["eighthLastShows"], "the last 8 characters show")
	assert.Equal(t, false, cell["eleventhLastShows"], "and little more: an ellipsis covers the rest")
	assert.Equal(t, id, cell["copied"], "what a copy takes: the whole ID")
	assert.EqualValues(t, 1, cell["lines"])

	// Who ran the failed grant, and which product, by name.
	b.open("/audit?type=GRANT_FAILED")
	row := b.text(`[data-testid="audit"] tbody tr`)
	assert.Contains(t, row, "Signoff, after FRANK's approval")
	assert.Contains(t, row, "Supplier contracts")

	// Part of a name, in any case.
	b.open("/audit")
	b.do(chromedp.SendKeys(chromedp.CSS("#f-actor"), "ann"))
	b.submit(`form[action="/audit"] button[type="submit"]`)
	actors, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('[data-testid="audit"] tbody tr td:nth-child(5)')].map(td => td.innerText.trim())`))
	require.NoError(t, err)
	require.NotEmpty(t, actors)
	for _, a := range actors {
		assert.Contains(t, a, "HANNAH")
	}
	b.visit("audit log filtered by actor")

	// The time's title: the viewer's own zone first, then UTC.
	title, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid="audit"] time').title`))
	require.NoError(t, err)
	assert.Regexp(t, `^.+(GMT\+9|JST).* \(\d{1,2} \w{3} \d{4} \d{2}:\d{2} UTC\)$`, title)

	// The request page says how long ago (or, for a deadline, how soon),
	// with the same titles.
	b.open("/requests/" + id)
	ago, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('main time')].map(t => t.textContent)`))
	require.NoError(t, err)
	require.NotEmpty(t, ago)
	for _, a := range ago {
		assert.Regexp(t, `^(just now|\d+ (min|h|d) ago|in \d+ (min|h|d))$`, a) // "in …": a step's deadline
	}
	b.visit("request times")
}

// TestHostileTextIsInertInBrowser submits a business reason full of markup
// and checks that the browser shows it as text and runs none of it.
func TestHostileTextIsInertInBrowser(t *testing.T) {
	b := newBrowserTest(t)
	b.signIn("BEN")
	b.open("/products/sales-orders")
	hostile := `<img src=x onerror="document.title='pwned'"><script>document.title='pwned'</script> need the data`
	b.do(chromedp.SendKeys(chromedp.CSS("#reason"), hostile))
	b.submit(`form[action$="/requests"] button[type="submit"]`)
	assert.Equal(t, hostile, b.text(`[data-testid="reason"]`), "the reason is shown verbatim, as text")
	title, err := chromedp.Run(b.ctx, chromedp.Title())
	require.NoError(t, err)
	assert.NotEqual(t, "pwned", title)
	n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll('main img, main script').length`))
	require.NoError(t, err)
	assert.Zero(t, n, "no element was created from the text")
}

// TestPhoneWidth checks that the request page works at phone width: the
// stepper and decision form stay reachable and axe still passes.
func TestPhoneWidth(t *testing.T) {
	b := newBrowserTest(t)
	b.signIn("OLIVIA")
	b.do(chromedp.EmulateViewport(390, 844))
	b.open("/queue")
	b.submit(`[data-testid="queue"] a`)
	b.do(chromedp.WaitVisible(chromedp.CSS("#approve")))
	b.visit("phone request")
	w, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
	require.NoError(t, err)
	assert.LessOrEqual(t, w, 390, "no horizontal scrolling at phone width")
}

// TestAxeCatchesViolations proves the accessibility check can fail: a page
// with an unlabelled input, an image without alt text and no language is
// reported.
func TestAxeCatchesViolations(t *testing.T) {
	b := newBrowserTest(t)
	bad := httptest.NewServer(http.FileServer(http.Dir("testdata")))
	t.Cleanup(bad.Close)
	b.do(chromedp.Navigate(bad.URL + "/axe-selftest.html"))
	got := strings.Join(b.axeViolations(), "\n")
	for _, rule := range []string{"image-alt", "label", "html-has-lang"} {
		assert.Contains(t, got, rule)
	}
}
