// Package view holds Signoff's server-rendered pages (templ components) and
// the small helpers they share. Pages take typed parameters: domain values
// from package signoff and the view models defined here.
package view

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/signoff/signoff/internal/signoff"
)

// Meta is what every page's layout needs.
type Meta struct {
	Title  string
	Nav    string // which main tab is active: catalog, requests, queue, audit
	Viewer signoff.Identity
	Flash  string // a one-time message after an action
	// Local is true on the embedded engine: the header offers persona sign-in.
	Local bool
	// Engine names the engine the server runs on, and Version the build, for
	// the footer.
	Engine, Version string
	// QueueCount is the number of steps waiting for the viewer, or -1 if unknown.
	QueueCount int
	// Approvals shows the Approvals tab: the viewer holds an approver role,
	// or is an admin, who retries failed grants from that page.
	Approvals bool
	// Outbox shows the Messages tab: the engine keeps an outbox.
	Outbox bool
	// Reviews shows the Reviews tab (access reviews awaiting the viewer):
	// the engine keeps reviews and the viewer may own a product, or audits.
	Reviews bool
	// Products shows admins the Products tab (catalog administration).
	Products bool
	// Directory lists the directory of managers on the Admin page: the
	// engine keeps one.
	Directory bool
	// Policy lists the chain policy on the Admin page: the engine lets
	// admins edit it.
	Policy bool
}

// FormTime formats a time for people: "24 Nov 2026 14:05 UTC".
func FormTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2 Jan 2006 15:04 UTC")
}

// isoTime formats a time for <time datetime>.
func isoTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// RequestURL is the request page's path.
func RequestURL(id string) string { return "/requests/" + url.PathEscape(id) }

// CatalogURL is the catalog's path for page of the products matching f.
func CatalogURL(f signoff.ProductFilter, page int) string {
	q := url.Values{}
	for k, v := range map[string]string{"q": f.Query, "tag": f.Tag, "classification": f.Classification} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if page > 1 {
		q.Set("page", fmt.Sprint(page))
	}
	if len(q) == 0 {
		return "/"
	}
	return "/?" + q.Encode()
}

// ProductURL is the product page's path.
func ProductURL(id string) string { return "/products/" + url.PathEscape(id) }

// chainSummary reads the steps that apply to a product as people say
// them: "Line manager → Data owner (2 approvals) → Data protection".
func chainSummary(p signoff.Product) string {
	var labels []string
	for _, s := range slices.Concat(p.Chain, p.Policy) {
		if !s.AppliesTo(p) {
			continue
		}
		label := s.Label
		if n := s.Approvals(); n > 1 {
			label += fmt.Sprintf(" (%d approvals)", n)
		}
		labels = append(labels, label)
	}
	return strings.Join(labels, " → ")
}

// chainHasRules reports whether a product's chain is more than a list of
// roles that all apply: a condition, an owners' or manager's step, a
// quorum, the account's policy.
func chainHasRules(p signoff.Product) bool {
	if len(p.Policy) > 0 {
		return true
	}
	for _, s := range p.Chain {
		if s.WhenTag != "" || signoff.StepKindOf(s.Kind) != signoff.KindRole || s.Approvals() > 1 {
			return true
		}
	}
	return false
}

// chainRuleText says what one chain rule asks and whether it applies to
// the product: "the product's owners (DATA_OWNER), 2 different people;
// only for products tagged or classified SOX: not this one".
func chainRuleText(p signoff.Product, s signoff.ChainStep) string {
	var who string
	switch signoff.StepKindOf(s.Kind) {
	case signoff.KindOwner:
		who = "the product's owners (" + s.ApproverRole + ")"
	case signoff.KindManager:
		who = "the requester's own manager, who holds " + s.ApproverRole
	default:
		who = "any member of " + s.ApproverRole
	}
	if n := s.Approvals(); n > 1 {
		who += fmt.Sprintf(", %d different people", n)
	}
	if s.WhenTag == "" {
		return who + "; always"
	}
	if s.AppliesTo(p) {
		return who + "; only for products tagged or classified " + s.WhenTag + ": this one is"
	}
	return who + "; only for products tagged or classified " + s.WhenTag + ": not this one"
}

// stepState is a stepper item's state: done, rejected, current, waiting
// (the step asked the requester a question and waits for the answer) or
// todo.
func stepState(r signoff.Request, s signoff.Step) string {
	switch {
	case s.Decision == signoff.DecisionApprove:
		return "done"
	case s.Decision == signoff.DecisionReject:
		return "rejected"
	case r.Status == signoff.StatusPending && s.Order == r.CurrentStep:
		return "current"
	case r.Status == signoff.StatusChangesRequested && s.Order == r.CurrentStep:
		return "waiting"
	}
	return "todo"
}

// stepStateText says a step's state in words, for screen readers and for
// everyone (colour is never the only cue).
func stepStateText(r signoff.Request, s signoff.Step) string {
	switch stepState(r, s) {
	case "done":
		if s.ApprovedDays > 0 {
			return "Approved for a shorter time: " + signoff.DurationLabel(s.ApprovedDays)
		}
		return "Approved"
	case "rejected":
		return "Rejected"
	case "current":
		return "Waiting for a decision"
	case "waiting":
		return "Asked the requester a question; waiting for the answer"
	}
	if r.Status == signoff.StatusPending || r.Status == signoff.StatusChangesRequested {
		return "To come"
	}
	return "Not reached"
}

// statusClass is the CSS modifier for a status badge.
func statusClass(s signoff.Status) string {
	return "status status--" + strings.ToLower(strings.ReplaceAll(string(s), "_", "-"))
}

// classificationClass is the CSS modifier for a classification badge.
func classificationClass(c string) string {
	return "badge badge--" + strings.ToLower(c)
}

func itoa(n int) string { return strconv.Itoa(n) }

// stepOf says "step 2 of 3".
func stepOf(r signoff.Request) string {
	return "step " + strconv.Itoa(r.CurrentStep) + " of " + strconv.Itoa(r.StepCount)
}

// StatusBadge shows a request's status in words and colour.
func StatusBadge(s signoff.Status) templ.Component {
	return badge(statusClass(s), s.Label(), ` data-testid="status"`)
}

// Classification shows a product's classification.
func Classification(c string) templ.Component { return badge(classificationClass(c), c, "") }

// badge writes <span class="class"{attrs}>text</span>, escaping class and
// text. It is plain Go rather than templ because these badges appear on
// every row of the long pages, and templ's class attribute goes through
// its CSS-class machinery, which made the badges a tenth of the queue
// page's CPU. attrs is a constant of this package.
func badge(class, text, attrs string) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		_, err := io.WriteString(w, `<span class="`+html.EscapeString(class)+`"`+attrs+`>`+html.EscapeString(text)+`</span>`)
		return err
	})
}

// eventLabel reads an audit event type as words.
func eventLabel(t signoff.EventType) string {
	s := strings.ToLower(strings.ReplaceAll(string(t), "_", " "))
	return strings.ToUpper(s[:1]) + s[1:]
}

// currentStep returns the request's current step (zero Step if none).
func currentStep(r signoff.Request) signoff.Step {
	s, _ := r.Step(r.CurrentStep)
	return s
}

func joinRoles(roles []string) string {
	if len(roles) == 0 {
		return "none"
	}
	return strings.Join(roles, ", ")
}

func actingAsSuffix(role string) string {
	if role == "" {
		return ""
	}
	return " as " + role
}

// maxDigestRows is how many digests the verification page lists.
const maxDigestRows = 20

// newestDigests returns the newest digests, newest first, at most
// maxDigestRows.
func newestDigests(ds []signoff.DigestCheck) []signoff.DigestCheck {
	out := make([]signoff.DigestCheck, 0, min(len(ds), maxDigestRows))
	for i := len(ds) - 1; i >= 0 && len(out) < maxDigestRows; i-- {
		out = append(out, ds[i])
	}
	return out
}

// digestCount reads "1 digest", "3 digests".
func digestCount(ds []signoff.DigestCheck) string {
	n := len(ds)
	if n == 1 {
		return "1 digest"
	}
	return strconv.Itoa(n) + " digests"
}

// verifiedSummary says what a verification that found nothing checked.
func verifiedSummary(rep signoff.LedgerReport) string {
	s := "Verified: " + strconv.Itoa(rep.Events) + " events in " + strconv.Itoa(rep.Requests) +
		" requests. The ledger is intact and every request agrees with its events"
	if len(rep.Digests) > 0 {
		s += "; the log matches all " + digestCount(rep.Digests)
	}
	return s + ". Checked " + FormTime(rep.Checked) + "."
}

// requestActingURL links to a request, carrying the acting-as choice.
func requestActingURL(id, actingAs string) string {
	if actingAs == "" {
		return RequestURL(id)
	}
	return RequestURL(id) + "?as=" + url.QueryEscape(actingAs)
}

// filtersSuffix says which filters narrowed a search that found nothing:
// " tagged gdpr and classified PII".
func filtersSuffix(f signoff.ProductFilter) string {
	var parts []string
	if f.Tag != "" {
		parts = append(parts, "tagged "+f.Tag)
	}
	if f.Classification != "" {
		parts = append(parts, "classified "+f.Classification)
	}
	if len(parts) == 0 {
		return ""
	}
	return " " + strings.Join(parts, " and ")
}

// chainDetails reads a submission's details, the chain it was submitted with
// as its audit event records it (signoff.ChainSnapshot), as people say it:
// "Chain: Line manager (LINE_MANAGER) → Data owner (DATA_OWNER_SALES)"; ok
// is false for any other event or details, which show as they are.
func chainDetails(e signoff.Event) (text string, ok bool) {
	if e.Type != signoff.EventRequestSubmitted || e.Details == "" {
		return "", false
	}
	_, snapshot, _ := signoff.ParseSubmissionDetails(e.Details)
	steps, err := signoff.ParseChainSnapshot(snapshot)
	if err != nil || len(steps) == 0 {
		return "", false
	}
	parts := make([]string, len(steps))
	for i, s := range steps {
		parts[i] = s.Label + " (" + s.ApproverRole + ")"
	}
	return "Chain: " + strings.Join(parts, " → "), true
}

// noticeState says where a message is: delivered, waiting for its digest,
// or failing (Snowflake's SYSTEM$SEND_EMAIL refused it).
func noticeState(n signoff.Notice) string {
	switch {
	case n.Delivery == signoff.DeliverDigest && n.DigestID == "":
		return "waits for the daily digest"
	case n.Delivery == signoff.DeliverDigest:
		return "sent in a daily digest"
	case n.Sent():
		return "sent"
	case n.LastError != "":
		return "not sent yet (" + strconv.Itoa(n.Attempts) + " attempts)"
	}
	return "not sent yet"
}

// adminSection reports whether nav names a page under the Admin tab (the
// index at /admin lists them): the tab is marked as the current section.
func adminSection(nav string) bool {
	switch nav {
	case "admin", "admin-requests", "admin-grants", "products", "directory", "doctor":
		return true
	}
	return false
}
