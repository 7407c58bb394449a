// Package demo loads the demo account and data into an empty embedded
// database: personas, roles with a hierarchy, a catalog across
// classifications with chains of one to four steps, and requests in flight.
//
// The requests are not inserted as rows: they are made by running the real
// workflow as the personas (with the clock set back), so their steps and
// audit trail are exactly what the app would have written.
package demo

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/signoff/signoff/internal/signoff"
)

// Account is what the demo needs from the embedded engine's local account.
type Account interface {
	CreateUser(ctx context.Context, user, name, title string) error
	CreateRole(ctx context.Context, role, comment string) error
	GrantRoleToRole(ctx context.Context, role, grantee string) error
	GrantRoleToUser(ctx context.Context, role, user, by string) error
	CreateProduct(ctx context.Context, p signoff.Product) error
	// SetChainPolicy replaces the steps every product's chain gets after
	// its own, where they apply.
	SetChainPolicy(ctx context.Context, rules []signoff.ChainStep) error
	Identify(ctx context.Context, user string) (signoff.Identity, error)
	// SetManagers fills the directory of managers (manager steps).
	SetManagers(ctx context.Context, actor signoff.Identity, c signoff.DirectoryCall) (signoff.Outcome, error)
	// The story's scheduled work (reminders, escalations, expiries) runs
	// as the server's scheduler would have run it.
	signoff.Scheduler
}

// User is a demo persona.
type User struct {
	Name, Display, Title string
	Roles                []string
}

// Users are the demo personas, in the order the sign-in page lists them.
var Users = []User{
	{"ALICE", "Alice Moreau", "Analyst, Growth (requester)", []string{"ANALYST"}},
	{"MARCO", "Marco Rossi", "Line manager, Growth", []string{"ANALYST", "LINE_MANAGER"}},
	{"LENA", "Lena Fischer", "Head of Growth, Marco's line manager", []string{"LINE_MANAGER"}},
	{"OLIVIA", "Olivia Chen", "Data owner, Sales and Marketing", []string{"DATA_OWNER_SALES", "DATA_OWNER_MARKETING"}},
	{"DANA", "Dana Okafor", "Data protection officer", []string{"DPO"}},
	{"SAM", "Sam Lindqvist", "Head of security (inherits DPO)", []string{"SECURITY_LEAD"}},
	{"FRANK", "Frank Weber", "Finance controller and finance data owner", []string{"FINANCE_CONTROLLER", "DATA_OWNER_FINANCE"}},
	{"GRACE", "Grace Mensah", "Finance controller", []string{"FINANCE_CONTROLLER"}},
	{"HANNAH", "Hannah Ito", "HR data owner", []string{"DATA_OWNER_HR"}},
	{"VERA", "Vera Santos", "Data governance lead (fallback approver)", []string{"DATA_GOVERNANCE"}},
	{"ADAM", "Adam Novak", "Signoff admin and fallback approver", []string{"SIGNOFF_ADMIN", "DATA_GOVERNANCE"}},
	{"AUDREY", "Audrey Blanc", "Internal auditor (read-only)", []string{"SIGNOFF_AUDITOR"}},
	{"BEN", "Ben Adeyemi", "Analyst, Finance (requester)", []string{"ANALYST"}},
	{"NOEL", "Noel Park", "New joiner, no roles yet", nil},
}

// Managers is the demo's directory: each persona's manager, whom a
// product's manager step (HR headcount) goes to. LENA's manager, SAM, is
// no line manager: her step goes to the fallback role.
var Managers = []signoff.DirectoryEntry{
	{User: "ADAM", Manager: "LENA"}, {User: "ALICE", Manager: "MARCO"}, {User: "AUDREY", Manager: "LENA"},
	{User: "BEN", Manager: "MARCO"}, {User: "DANA", Manager: "LENA"}, {User: "FRANK", Manager: "LENA"},
	{User: "GRACE", Manager: "MARCO"}, {User: "HANNAH", Manager: "LENA"}, {User: "LENA", Manager: "SAM"},
	{User: "MARCO", Manager: "LENA"}, {User: "NOEL", Manager: "MARCO"}, {User: "OLIVIA", Manager: "LENA"},
	{User: "SAM", Manager: "MARCO"}, {User: "VERA", Manager: "LENA"},
}

// ManagerOf is user's manager in the demo's directory, "" if none.
func ManagerOf(user string) string {
	for _, e := range Managers {
		if e.User == user {
			return e.Manager
		}
	}
	return ""
}

// Roles are the demo account's roles. The access roles are what products
// grant; SUPPLIER_CONTRACTS_READ is created only after a failed grant, to
// show GRANT_FAILED and its retry.
var Roles = []struct{ Name, Comment string }{
	{"ANALYST", "Analysts"},
	{"LINE_MANAGER", "Line managers: first step of most chains"},
	{"DATA_OWNER_SALES", "Owners of sales data products"},
	{"DATA_OWNER_MARKETING", "Owners of marketing data products"},
	{"DATA_OWNER_FINANCE", "Owners of finance data products"},
	{"DATA_OWNER_HR", "Owners of HR data products"},
	{"FINANCE_CONTROLLER", "Finance controllers"},
	{"DPO", "Data protection office: approves access to personal data"},
	{"SECURITY_LEAD", "Security leadership; inherits DPO"},
	{"DATA_GOVERNANCE", "Data governance: decides the steps that escalate (nobody else can, or their deadline passed)"},
	{"COMPENSATION_COMMITTEE", "Compensation committee: its seat is vacant, so its steps escalate"},
	{"SIGNOFF_ADMIN", "Administers Signoff: revoke, retry grants, audit"},
	{"SIGNOFF_AUDITOR", "Reads every request and the audit log"},
	{"WEB_TRAFFIC_READ", "Access role: web traffic"},
	{"SALES_ORDERS_READ", "Access role: sales orders"},
	{"CUSTOMER_360_READ", "Access role: customer 360"},
	{"GL_JOURNAL_READ", "Access role: general ledger journal"},
	{"HR_HEADCOUNT_READ", "Access role: HR headcount"},
	{"CAMPAIGNS_READ", "Access role: marketing campaigns"},
	{"PAYROLL_READ", "Access role: payroll detail"},
	{"BOARD_KPIS_READ", "Access role: board revenue KPIs"},
}

// Hierarchy lists role-to-role grants: Grantee inherits Role.
var Hierarchy = []struct{ Role, Grantee string }{
	{"DPO", "SECURITY_LEAD"},
}

// fallback is every demo product's escalation role: a step that nobody
// else can decide, or that waited twice its deadline, goes to it.
const fallback = "DATA_GOVERNANCE"

// pendingDays is how long a demo request may wait for decisions.
const pendingDays = 30

var (
	// A line manager has two days before they are reminded (and as long
	// again before the step escalates); the data protection step comes
	// from the policy.
	manager = signoff.ChainStep{ApproverRole: "LINE_MANAGER", Label: "Line manager", DeadlineHours: 48}
	// ownManager is the requester's own manager (the directory's), who
	// must hold LINE_MANAGER too.
	ownManager = signoff.ChainStep{Kind: signoff.KindManager, ApproverRole: "LINE_MANAGER", Label: "Line manager",
		DeadlineHours: 48}
	controller = signoff.ChainStep{ApproverRole: "FINANCE_CONTROLLER", Label: "Finance controller"}
)

// Policy is the demo account's chain policy: every product classified or
// tagged PII gets the data protection step after its own steps.
var Policy = []signoff.ChainStep{
	{Order: 1, ApproverRole: "DPO", Label: "Data protection", DeadlineHours: 72, WhenTag: "PII"},
}

func owner(role string) signoff.ChainStep {
	return signoff.ChainStep{ApproverRole: role, Label: "Data owner"}
}

// Products is the demo catalog. Every product escalates to fallback and
// lets requests wait pendingDays (withLifecycle); personal and financial
// data are never granted for good.
var Products = withLifecycle([]signoff.Product{
	{
		ID: "web-traffic-daily", Name: "Web traffic, daily", Domain: "Marketing", Classification: "PUBLIC",
		Description: "Daily sessions, page views and conversion by channel for the public web site. Aggregated; no personal data.",
		Owner:       "Olivia Chen (Marketing analytics)", OwnerRole: "DATA_OWNER_MARKETING", AccessRole: "WEB_TRAFFIC_READ",
		Tags: []string{"web", "marketing", "aggregated"},
		Columns: []signoff.Column{{Name: "DAY", Type: "DATE"}, {Name: "CHANNEL", Type: "VARCHAR"},
			{Name: "SESSIONS", Type: "NUMBER"}, {Name: "PAGE_VIEWS", Type: "NUMBER"}, {Name: "CONVERSION_RATE", Type: "FLOAT"}},
		Chain:     []signoff.ChainStep{owner("DATA_OWNER_MARKETING")},
		Durations: []int{0, 7, 30, 90},
	},
	{
		ID: "marketing-campaigns", Name: "Marketing campaigns", Domain: "Marketing", Classification: "INTERNAL",
		Description: "Every campaign with its budget, spend, audience segment and attributed revenue.",
		Owner:       "Olivia Chen (Marketing analytics)", OwnerRole: "DATA_OWNER_MARKETING", AccessRole: "CAMPAIGNS_READ",
		Tags: []string{"marketing", "spend"},
		Columns: []signoff.Column{{Name: "CAMPAIGN_ID", Type: "VARCHAR"}, {Name: "NAME", Type: "VARCHAR"},
			{Name: "BUDGET_EUR", Type: "NUMBER(12,2)"}, {Name: "SPEND_EUR", Type: "NUMBER(12,2)"},
			{Name: "SEGMENT", Type: "VARCHAR"}, {Name: "ATTRIBUTED_REVENUE_EUR", Type: "NUMBER(12,2)"}},
		Chain:     []signoff.ChainStep{owner("DATA_OWNER_MARKETING")},
		Durations: []int{0, 30, 90},
	},
	{
		ID: "sales-orders", Name: "Sales orders", Domain: "Sales", Classification: "INTERNAL",
		Description: "One row per order line from the order system, refreshed hourly. Customer identified by an opaque key.",
		Owner:       "Olivia Chen (Sales operations)", OwnerRole: "DATA_OWNER_SALES", AccessRole: "SALES_ORDERS_READ",
		Tags: []string{"sales", "orders", "hourly"},
		Columns: []signoff.Column{{Name: "ORDER_ID", Type: "VARCHAR"}, {Name: "LINE_NO", Type: "NUMBER"},
			{Name: "CUSTOMER_KEY", Type: "VARCHAR", Description: "Pseudonymous customer key"},
			{Name: "SKU", Type: "VARCHAR"}, {Name: "QUANTITY", Type: "NUMBER"}, {Name: "NET_AMOUNT_EUR", Type: "NUMBER(12,2)"},
			{Name: "ORDERED_AT", Type: "TIMESTAMP_NTZ"}},
		Chain:     []signoff.ChainStep{manager, owner("DATA_OWNER_SALES")},
		Durations: []int{0, 30, 90}, ExtendLastStep: true,
	},
	{
		ID: "customer-360", Name: "Customer 360", Domain: "Sales", Classification: "PII",
		Description: "Customer profile joined across CRM, orders and support: names, e-mail addresses, lifetime value and open tickets, for segmentation and churn analysis. Personal data under GDPR.",
		Owner:       "Olivia Chen (Sales operations)", OwnerRole: "DATA_OWNER_SALES", AccessRole: "CUSTOMER_360_READ",
		Tags: []string{"customer", "crm", "gdpr"},
		Columns: []signoff.Column{{Name: "CUSTOMER_ID", Type: "VARCHAR"},
			{Name: "FULL_NAME", Type: "VARCHAR", Sensitive: true}, {Name: "EMAIL", Type: "VARCHAR", Sensitive: true},
			{Name: "COUNTRY", Type: "VARCHAR"}, {Name: "LIFETIME_VALUE_EUR", Type: "NUMBER(12,2)"},
			{Name: "OPEN_TICKETS", Type: "NUMBER"}},
		Chain:     []signoff.ChainStep{manager, owner("DATA_OWNER_SALES")}, // and the policy's data protection step
		Durations: []int{7, 30, 90},
	},
	{
		ID: "hr-headcount", Name: "HR headcount", Domain: "People", Classification: "PII",
		Description: "Monthly headcount by team and location with employee identifiers, grades and start dates.",
		Owner:       "Hannah Ito (People analytics)", OwnerRole: "DATA_OWNER_HR", AccessRole: "HR_HEADCOUNT_READ",
		Tags: []string{"hr", "people", "gdpr"},
		Columns: []signoff.Column{{Name: "MONTH", Type: "DATE"}, {Name: "EMPLOYEE_ID", Type: "VARCHAR", Sensitive: true},
			{Name: "TEAM", Type: "VARCHAR"}, {Name: "LOCATION", Type: "VARCHAR"}, {Name: "GRADE", Type: "VARCHAR", Sensitive: true},
			{Name: "START_DATE", Type: "DATE"}},
		Chain:     []signoff.ChainStep{ownManager, owner("DATA_OWNER_HR")}, // and the policy's data protection step
		Durations: []int{7, 30},
	},
	{
		ID: "gl-journal", Name: "General ledger journal", Domain: "Finance", Classification: "FINANCE",
		Description: "Posted journal lines from the general ledger before close. Material non-public information during the close window.",
		Owner:       "Frank Weber (Group finance)", OwnerRole: "DATA_OWNER_FINANCE", AccessRole: "GL_JOURNAL_READ",
		Tags: []string{"finance", "ledger", "sox"},
		Columns: []signoff.Column{{Name: "JOURNAL_ID", Type: "VARCHAR"}, {Name: "LINE_NO", Type: "NUMBER"},
			{Name: "ACCOUNT", Type: "VARCHAR"}, {Name: "COST_CENTER", Type: "VARCHAR"},
			{Name: "AMOUNT_EUR", Type: "NUMBER(14,2)"}, {Name: "POSTED_AT", Type: "TIMESTAMP_NTZ"}},
		Chain:     []signoff.ChainStep{manager, controller, owner("DATA_OWNER_FINANCE"), {ApproverRole: "SECURITY_LEAD", Label: "Security"}},
		Durations: []int{7, 30, 90},
	},
	{
		ID: "supplier-contracts", Name: "Supplier contracts", Domain: "Procurement", Classification: "CONFIDENTIAL",
		Description: "Contract terms, renewal dates and negotiated prices for every supplier.",
		Owner:       "Frank Weber (Procurement finance)", OwnerRole: "DATA_OWNER_FINANCE", AccessRole: "SUPPLIER_CONTRACTS_READ",
		Tags: []string{"procurement", "contracts", "finance"},
		Columns: []signoff.Column{{Name: "SUPPLIER_ID", Type: "VARCHAR"}, {Name: "SUPPLIER_NAME", Type: "VARCHAR"},
			{Name: "RENEWAL_DATE", Type: "DATE"}, {Name: "ANNUAL_VALUE_EUR", Type: "NUMBER(14,2)", Sensitive: true},
			{Name: "TERMS", Type: "VARCHAR", Sensitive: true}},
		Chain:     []signoff.ChainStep{manager, owner("DATA_OWNER_FINANCE")},
		Durations: []int{30, 90, 365},
	},
	{
		ID: "payroll-detail", Name: "Payroll detail", Domain: "People", Classification: "PII",
		Description: "Salary, bonus and pay grade per employee and month. Its compensation committee seat is vacant, so its last step goes to data governance.",
		Owner:       "Hannah Ito (People analytics)", OwnerRole: "DATA_OWNER_HR", AccessRole: "PAYROLL_READ",
		Tags: []string{"hr", "payroll", "gdpr"},
		Columns: []signoff.Column{{Name: "MONTH", Type: "DATE"}, {Name: "EMPLOYEE_ID", Type: "VARCHAR", Sensitive: true},
			{Name: "BASE_SALARY_EUR", Type: "NUMBER(12,2)", Sensitive: true}, {Name: "BONUS_EUR", Type: "NUMBER(12,2)", Sensitive: true},
			{Name: "PAY_GRADE", Type: "VARCHAR", Sensitive: true}},
		Chain: []signoff.ChainStep{manager, owner("DATA_OWNER_HR"),
			{ApproverRole: "COMPENSATION_COMMITTEE", Label: "Compensation committee"}}, // then the policy's data protection step
		Durations: []int{7, 30},
	},
	{
		// A chain built from rules: the owners' step, a quorum of two
		// controllers, a step that its SOX tag adds, and one for PII that
		// does not apply.
		ID: "board-kpis", Name: "Board revenue KPIs", Domain: "Finance", Classification: "CONFIDENTIAL",
		Description: "Monthly revenue, margin and bookings by region as reported to the board, before publication. Two finance controllers sign off on every reader.",
		Owner:       "Olivia Chen (Sales operations)", OwnerRole: "DATA_OWNER_SALES", AccessRole: "BOARD_KPIS_READ",
		Tags: []string{"finance", "board", "sox"},
		Columns: []signoff.Column{{Name: "MONTH", Type: "DATE"}, {Name: "REGION", Type: "VARCHAR"},
			{Name: "REVENUE_EUR", Type: "NUMBER(14,2)"}, {Name: "GROSS_MARGIN_PCT", Type: "NUMBER(5,2)"},
			{Name: "BOOKINGS_EUR", Type: "NUMBER(14,2)"}},
		Chain: []signoff.ChainStep{
			{Kind: signoff.KindOwner, Label: "Product owner"},
			{ApproverRole: "FINANCE_CONTROLLER", Label: "Finance controllers", Quorum: 2},
			{ApproverRole: "SECURITY_LEAD", Label: "SOX security review", WhenTag: "sox"},
			{ApproverRole: "DATA_OWNER_HR", Label: "HR data owner", WhenTag: "hr"},
		},
		Durations: []int{30, 90},
	},
})

// DefaultDays is the duration a request for the demo product id asks for
// unless told otherwise (signoff.Product.DefaultDays): for the story, and
// for scripts and tests that request demo products.
func DefaultDays(id string) int {
	for _, p := range Products {
		if p.ID == id {
			return p.DefaultDays()
		}
	}
	return 0
}

// withLifecycle gives every product the demo's fallback role and pending
// limit, permanent access where it offers no durations, and the chain
// policy, and normalizes its chain (numbers its steps, keys the owners'
// step to the owner role).
func withLifecycle(ps []signoff.Product) []signoff.Product {
	for i := range ps {
		ps[i].FallbackRole, ps[i].PendingDays = fallback, pendingDays
		if len(ps[i].Durations) == 0 {
			ps[i].Durations = []int{0}
		}
		ps[i].Chain = slices.Clone(ps[i].Chain)
		ps[i].Policy = Policy // as the catalog reads it back
		signoff.NormalizeChain(&ps[i])
	}
	return ps
}

// Load fills an empty embedded database with the demo account and data and
// plays the in-flight requests through svc. now is the present; the story's
// events happen in the days before it.
func Load(ctx context.Context, acct Account, svc *signoff.Service, now time.Time) error {
	for _, r := range Roles {
		if r.Name == "SUPPLIER_CONTRACTS_READ" {
			continue
		}
		if err := acct.CreateRole(ctx, r.Name, r.Comment); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	for _, h := range Hierarchy {
		if err := acct.GrantRoleToRole(ctx, h.Role, h.Grantee); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	for _, u := range Users {
		if err := acct.CreateUser(ctx, u.Name, u.Display, u.Title); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		for _, r := range u.Roles {
			if err := acct.GrantRoleToUser(ctx, r, u.Name, "ACCOUNTADMIN"); err != nil {
				return fmt.Errorf("demo: %w", err)
			}
		}
	}
	if err := acct.SetChainPolicy(ctx, Policy); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	for _, p := range Products {
		if err := acct.CreateProduct(ctx, p); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	if err := loadManagers(ctx, acct, now.Add(-directoryAgo)); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if err := play(ctx, acct, svc, now); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if err := playReviews(ctx, acct, svc, now); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if err := recordObjects(ctx, acct); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	// The supplier-contracts grant failed because its access role did not
	// exist yet; it exists now, so an admin's retry succeeds.
	if err := acct.CreateRole(ctx, "SUPPLIER_CONTRACTS_READ", "Access role: supplier contracts (created late)"); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	return nil
}

// directoryAgo is when the admin loaded the directory: weeks before the
// story, which happens in the last two.
const directoryAgo = 40 * 24 * time.Hour

// loadManagers fills the directory as the demo's admin, ADAM, at at: the
// engine's own path, with an audit event per entry.
func loadManagers(ctx context.Context, acct Account, at time.Time) error {
	adam, err := acct.Identify(ctx, "ADAM")
	if err != nil {
		return err
	}
	var ids signoff.IDGenerator
	c := signoff.DirectoryCall{Entries: Managers, At: at}
	for range Managers {
		c.EventIDs = append(c.EventIDs, ids.New(at))
	}
	o, err := acct.SetManagers(ctx, adam, c)
	if err != nil {
		return fmt.Errorf("directory: %w", err)
	}
	return o.Err()
}

// act is one step of the story.
type act struct {
	ago      time.Duration // before now
	user     string
	submit   string // product ID to request, with reason, for days
	reason   string
	days     int    // with submit: the duration asked; with approve: a shorter one
	decide   string // "approve", "reject" or "changes" (ask a question) on the story's request's current step
	comment  string
	answer   string // the requester answers the approver's question
	withdraw bool
	revoke   bool
	sweep    bool // the scheduler runs (reminders, escalations, expiries)
}

// story lists, per request, what happens to it, oldest first.
var story = [][]act{
	{ // ALICE: sales orders, asked for 90 days, granted for 30.
		{ago: 120 * time.Hour, user: "ALICE", submit: "sales-orders", days: 90, reason: "Weekly growth review needs order lines to attribute revenue to campaigns."},
		{ago: 118 * time.Hour, user: "MARCO", decide: "approve", comment: "Part of Alice's Q4 objectives."},
		{ago: 100 * time.Hour, user: "OLIVIA", decide: "approve", days: 30, comment: "30 days covers the Q4 review; ask again if it runs on."},
	},
	{ // BEN: web traffic for a week, granted, then expired and revoked by the scheduler.
		{ago: 300 * time.Hour, user: "BEN", submit: "web-traffic-daily", days: 7, reason: "One-off check of the channel mix for the August board deck."},
		{ago: 298 * time.Hour, user: "OLIVIA", decide: "approve"},
		{ago: 129 * time.Hour, sweep: true},
	},
	{ // BEN: marketing campaigns, granted then revoked by the owner.
		{ago: 240 * time.Hour, user: "BEN", submit: "marketing-campaigns", reason: "Budget reconciliation for the September marketing spend review."},
		{ago: 236 * time.Hour, user: "OLIVIA", decide: "approve", comment: "For the September review only."},
		{ago: 48 * time.Hour, user: "OLIVIA", revoke: true, comment: "Review finished; access no longer needed."},
	},
	{ // BEN: GL journal, rejected at the controller step.
		{ago: 96 * time.Hour, user: "BEN", submit: "gl-journal", days: 30, reason: "Reconcile cost-center allocations against journal lines for the audit."},
		{ago: 90 * time.Hour, user: "MARCO", decide: "approve"},
		{ago: 70 * time.Hour, user: "FRANK", decide: "reject", comment: "Use the GL summary product during the close window; journal lines are restricted until day 5."},
	},
	{ // BEN: web traffic, withdrawn.
		{ago: 30 * time.Hour, user: "BEN", submit: "web-traffic-daily", reason: "Checking whether the channel mix explains the September dip."},
		{ago: 29 * time.Hour, user: "BEN", withdraw: true},
	},
	{ // ALICE: supplier contracts, approved but the grant failed (role missing).
		{ago: 72 * time.Hour, user: "ALICE", submit: "supplier-contracts", days: 90, reason: "Model renewal risk for the top 50 suppliers for the procurement offsite."},
		{ago: 70 * time.Hour, user: "MARCO", decide: "approve"},
		{ago: 26 * time.Hour, user: "FRANK", decide: "approve", comment: "Approved for the offsite; the access role is being created by the platform team."},
	},
	{ // BEN: customer 360, the data owner asked a question, Ben answered: waiting for her again (step 2 of 3).
		{ago: 50 * time.Hour, user: "BEN", submit: "customer-360", days: 30, reason: "Churn model needs lifetime value and support history per customer."},
		{ago: 44 * time.Hour, user: "MARCO", decide: "approve", comment: "Ben is on the churn squad this quarter."},
		{ago: 40 * time.Hour, user: "OLIVIA", decide: "changes", comment: "Do you need names and e-mail addresses, or would the customer key do?"},
		{ago: 38 * time.Hour, user: "BEN", answer: "The key would do for the model, but the retention team calls the top 100 at-risk customers, so names are needed for that list."},
	},
	{ // ALICE: payroll detail, past her manager and the HR owner; the compensation committee's seat is vacant, so the step went to data governance.
		{ago: 60 * time.Hour, user: "ALICE", submit: "payroll-detail", days: 7, reason: "Pay equity analysis across the growth squads for the annual review."},
		{ago: 58 * time.Hour, user: "MARCO", decide: "approve"},
		{ago: 30 * time.Hour, user: "HANNAH", decide: "approve", comment: "Aggregate the results before sharing them outside HR."},
		{ago: 29 * time.Hour, sweep: true},
	},
	{ // BEN: HR headcount, waiting for data protection (step 3 of 3).
		{ago: 80 * time.Hour, user: "BEN", submit: "hr-headcount", days: 30, reason: "Headcount cost forecast for the 2027 budget, by team and location."},
		{ago: 76 * time.Hour, user: "MARCO", decide: "approve"},
		{ago: 20 * time.Hour, user: "HANNAH", decide: "approve", comment: "Grades are needed for the cost model."},
	},
	{ // ALICE: board KPIs, past the product owner and one of the two finance controllers; waiting for the second.
		{ago: 10 * time.Hour, user: "ALICE", submit: "board-kpis", days: 30, reason: "Revenue by region for the growth squads' quarterly planning."},
		{ago: 8 * time.Hour, user: "OLIVIA", decide: "approve"},
		{ago: 5 * time.Hour, user: "FRANK", decide: "approve", comment: "Fine by me; Grace signs as the second controller."},
	},
	{ // GRACE: sales orders for good, granted three weeks ago and never used since: the access review suggests revoking it (reviews.go).
		{ago: 23 * 24 * time.Hour, user: "GRACE", submit: "sales-orders", days: 0, reason: "Margin analysis of the spring promotions for the finance review."},
		{ago: 22 * 24 * time.Hour, user: "MARCO", decide: "approve"},
		{ago: 21 * 24 * time.Hour, user: "OLIVIA", decide: "approve", comment: "Granted for the finance review."},
	},
	{ // ALICE: HR headcount, waiting for her line manager (step 1 of 3).
		{ago: 3 * time.Hour, user: "ALICE", submit: "hr-headcount", days: 7, reason: "Team capacity planning for the growth squads next year."},
	},
	// Sales orders has several people with access (who has access, the
	// grants pages; GRACE's is above). Played last, so that the events
	// before keep their places in the log.
	{ // MARCO: sales orders for 90 days, granted.
		{ago: 150 * time.Minute, user: "MARCO", submit: "sales-orders", days: 90, reason: "Quarterly pipeline review for the growth squads: order lines by campaign."},
		{ago: 140 * time.Minute, user: "LENA", decide: "approve"},
		{ago: 100 * time.Minute, user: "OLIVIA", decide: "approve", comment: "For the quarterly reviews."},
	},
}

// play plays the story's acts in the order they happened, across requests,
// as they would have been: the audit log is a ledger in the order of its
// appends, and it reads newest first in that order.
func play(ctx context.Context, acct Account, svc *signoff.Service, now time.Time) error {
	defer func(orig func() time.Time, sched signoff.Scheduler) {
		svc.Now, svc.Scheduler = orig, sched
	}(svc.Now, svc.Scheduler)
	svc.Scheduler = acct
	type step struct {
		act
		request int // the story's request it belongs to
	}
	var steps []step
	for i, acts := range story {
		for _, a := range acts {
			steps = append(steps, step{act: a, request: i})
		}
	}
	// Stable: a request's own acts keep their order, and acts at the same
	// moment keep the story's.
	slices.SortStableFunc(steps, func(a, b step) int { return cmp.Compare(b.ago, a.ago) })
	ids := make([]string, len(story)) // each request's ID, once submitted
	for _, st := range steps {
		a, id := st.act, ids[st.request]
		at := now.Add(-a.ago)
		svc.Now = func() time.Time { return at }
		if a.sweep {
			if _, err := svc.Sweep(ctx); err != nil {
				return err
			}
			continue
		}
		who, err := acct.Identify(ctx, a.user)
		if err != nil {
			return err
		}
		switch {
		case a.submit != "":
			r, err := svc.Submit(ctx, who, a.submit, a.reason, a.days)
			if err != nil {
				return fmt.Errorf("%s requests %s: %w", a.user, a.submit, err)
			}
			ids[st.request] = r.RequestID
		case a.decide != "":
			d, err := signoff.ParseDecision(a.decide)
			if err != nil {
				return err
			}
			if _, err := svc.Decide(ctx, who, id, signoff.DecisionInput{Decision: d, Comment: a.comment, Days: a.days}); err != nil {
				return fmt.Errorf("%s decides %s: %w", a.user, id, err)
			}
		case a.answer != "":
			if err := svc.Resubmit(ctx, who, id, a.answer, ""); err != nil {
				return fmt.Errorf("%s answers on %s: %w", a.user, id, err)
			}
		case a.withdraw:
			if err := svc.Withdraw(ctx, who, id); err != nil {
				return fmt.Errorf("%s withdraws %s: %w", a.user, id, err)
			}
		case a.revoke:
			if err := svc.Revoke(ctx, who, id, a.comment); err != nil {
				return fmt.Errorf("%s revokes %s: %w", a.user, id, err)
			}
		}
	}
	return nil
}
