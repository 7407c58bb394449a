package snowflake

import (
	"database/sql/driver"
	"encoding/json"
	"slices"
	"time"

	"github.com/DATA-DOG/go-sqlmock"

	"github.com/signoff/signoff/internal/signoff"
)

// Realistic rows for the sqlmock tests and the round trips.

var (
	t0 = time.Date(2026, 3, 2, 9, 30, 15, 123456000, time.UTC)
	t1 = t0.Add(26*time.Hour + 5*time.Minute + 789*time.Microsecond)
	t2 = t1.Add(3 * time.Hour)
)

// Request and event IDs in Signoff's shape (26 Crockford base32 characters).
const (
	reqID  = "01JNQ4Z5M8A1B2C3D4E5F6G7H8"
	req2ID = "01JNQ4Z5M8A1B2C3D4E5F6G7H9"
	evID   = "01JNQ4Z5M8A1B2C3D4E5F6G7HA"
	ev2ID  = "01JNQ4Z5M8A1B2C3D4E5F6G7HB"
	ev3ID  = "01JNQ4Z5M8A1B2C3D4E5F6G7HC"
)

var productCols = []string{"product_id", "name", "description", "owner", "owner_role", "domain",
	"classification", "tags", "product_columns", "access_role", "durations", "pending_days", "fallback_role",
	"extension_steps", "step_order", "approver_role", "step_label", "deadline_hours", "step_fallback_role",
	"step_kind", "when_tag", "quorum", "src"}

var requestCols = []string{"request_id", "product_id", "name", "classification", "access_role", "requester",
	"business_reason", "status", "current_step", "step_count", "created_at", "updated_at",
	"step_order", "step_label", "approver_role", "decision", "decided_by", "acting_role", "comment", "decided_at",
	"asked_days", "duration_days", "expires_at", "deadline_hours", "fallback_role", "escalated_to", "approved_days",
	"extends_request_id", "approver_user"}

// queueCols are SelectQueue's columns: the row's kind ('R' for a request's
// step, 'P' for a product the filters offer), then requestCols.
var queueCols = append([]string{"kind"}, requestCols...)

// detailCols are SelectRequestDetail's columns: the row's kind ('S' for a
// step, 'E' for an audit event) and order, the request, its step, its
// product, then the event's own columns.
var detailCols = []string{"kind", "ord",
	"request_id", "product_id", "name", "classification", "access_role", "requester",
	"business_reason", "status", "current_step", "step_count", "created_at", "updated_at",
	"step_label", "approver_role", "decision", "decided_by", "acting_role", "comment", "decided_at",
	"description", "owner", "owner_role", "domain", "tags", "product_columns",
	"asked_days", "duration_days", "expires_at", "deadline_hours", "fallback_role", "escalated_to",
	"approved_days", "durations", "pending_days", "product_fallback_role", "extends_request_id", "extension_steps",
	"approver_user",
	"event_id", "actor", "actor_role", "event_type", "event_step", "details", "seq", "prev_hash", "hash"}

var eventCols = []string{"event_id", "event_time", "request_id", "product_id", "product_name", "actor", "actor_role",
	"event_type", "step_order", "decision", "comment", "details", "seq", "prev_hash", "hash"}

// salesEU is a product with a three-step chain.
func salesEU() signoff.Product {
	p := signoff.Product{
		ID: "SALES_EU", Name: "EU sales orders", Description: "Order lines for the EU markets, refreshed daily.",
		Owner: "Sales Analytics", OwnerRole: "SALES_OWNER", Domain: "Sales", Classification: "CONFIDENTIAL",
		Tags: []string{"eu", "orders"},
		Columns: []signoff.Column{
			{Name: "ORDER_ID", Type: "NUMBER", Description: "Order key"},
			{Name: "EMAIL", Type: "VARCHAR", Description: "Buyer e-mail", Sensitive: true},
		},
		AccessRole: "SALES_READER", Durations: []int{0},
		Chain: []signoff.ChainStep{
			{Order: 1, ApproverRole: "APPROVER_MGR", Label: "Line manager"},
			{Order: 2, ApproverRole: "APPROVER_OWNER", Label: "Data owner"},
			{Order: 3, ApproverRole: "APPROVER_DPO", Label: "Security / DPO"},
		},
	}
	signoff.NormalizeChain(&p) // as the catalog stores it
	return p
}

// webAds is a product without a chain yet.
func webAds() signoff.Product {
	return signoff.Product{
		ID: "WEB_ADS", Name: "Ad impressions", Description: "Impressions by campaign.", Owner: "Marketing",
		OwnerRole: "MKT_OWNER", Domain: "Marketing", Classification: "INTERNAL", Tags: []string{},
		Columns: []signoff.Column{}, AccessRole: "ADS_READER", Durations: []int{0},
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// productRows renders products as SelectProducts rows: one per chain step,
// or one with step 0 for a product without a chain.
func productRows(ps ...signoff.Product) *sqlmock.Rows {
	rows := sqlmock.NewRows(productCols)
	for _, v := range productValues(ps...) {
		rows.AddRow(v...)
	}
	return rows
}

// pendingRequest is ALICE's request for SALES_EU, at step (1-based) with
// the steps before it approved by BOB and CAROL.
func pendingRequest(id string, step int) signoff.Request {
	p := salesEU()
	r := signoff.Request{ID: id, ProductID: p.ID, ProductName: p.Name, Classification: p.Classification,
		AccessRole: p.AccessRole, Requester: "ALICE", Reason: "Quarterly churn analysis for the EU board pack.",
		Status: signoff.StatusPending, CurrentStep: step, StepCount: 3, CreatedAt: t0, UpdatedAt: t0}
	deciders := []string{"BOB", "CAROL"}
	for _, c := range p.Chain {
		st := signoff.Step{Order: c.Order, Label: c.Label, ApproverRole: c.ApproverRole}
		if c.Order < step {
			st.Decision, st.DecidedBy, st.ActorRole = signoff.DecisionApprove, deciders[c.Order-1], c.ApproverRole
			st.Comment, st.DecidedAt = "Fine by me.", t1.Add(time.Duration(c.Order)*time.Hour)
			r.UpdatedAt = st.DecidedAt
		}
		r.Steps = append(r.Steps, st)
	}
	return r
}

func requestValues(r signoff.Request, st signoff.Step) []driver.Value {
	var decidedAt driver.Value
	if !st.DecidedAt.IsZero() {
		decidedAt = st.DecidedAt
	}
	return []driver.Value{r.ID, r.ProductID, r.ProductName, r.Classification, r.AccessRole, r.Requester,
		r.Reason, string(r.Status), int64(r.CurrentStep), int64(r.StepCount), r.CreatedAt, r.UpdatedAt,
		int64(st.Order), st.Label, st.ApproverRole, string(st.Decision), st.DecidedBy, st.ActorRole, st.Comment,
		decidedAt, int64(r.AskedDays), int64(r.DurationDays), expiresAt(r), int64(st.DeadlineHours), st.FallbackRole,
		st.EscalatedTo, int64(st.ApprovedDays), r.Extends, st.ApproverUser}
}

// expiresAt is when r's access ends, or SQL NULL.
func expiresAt(r signoff.Request) driver.Value {
	if r.ExpiresAt.IsZero() {
		return nil
	}
	return r.ExpiresAt
}

// requestRows renders requests as the rows of the request list statements.
func requestRows(rs ...signoff.Request) *sqlmock.Rows {
	rows := sqlmock.NewRows(requestCols)
	for _, r := range rs {
		for _, st := range r.Steps {
			rows.AddRow(requestValues(r, st)...)
		}
	}
	return rows
}

// queueRows renders requests and the product filter's choices as
// SelectQueue rows, as Snowflake answers them: a row per step of each
// request ('R'), then a row per product ('P') with empty text and zero
// numbers where the statement selects them, and NULL times.
func queueRows(products []signoff.Product, rs ...signoff.Request) *sqlmock.Rows {
	rows := sqlmock.NewRows(queueCols)
	for _, v := range queueValues(products, rs...) {
		rows.AddRow(v...)
	}
	return rows
}

// queueValues are queueRows' rows.
func queueValues(products []signoff.Product, rs ...signoff.Request) [][]driver.Value {
	var rows [][]driver.Value
	for _, r := range rs {
		for _, st := range r.Steps {
			rows = append(rows, append([]driver.Value{"R"}, requestValues(r, st)...))
		}
	}
	for _, p := range products {
		rows = append(rows, []driver.Value{"P", "", p.ID, p.Name, p.Classification, "", "", "", "", int64(0), int64(0),
			nil, nil, int64(0), "", "", "", "", "", "", nil, int64(0), int64(0), nil, int64(0), "", "", int64(0), "", ""})
	}
	return rows
}

// detailRows renders a request, its product and its events as
// SelectRequestDetail rows, as Snowflake answers them: first a step row per
// step ('S'), then an event row per event ('E'), with SQL NULL wherever the
// statement selects NULL or a column is empty (an undecided step's
// decision, an event without a step).
func detailRows(r signoff.Request, p signoff.Product, evs ...signoff.Event) *sqlmock.Rows {
	rows := sqlmock.NewRows(detailCols)
	for _, v := range detailValues(r, p, evs...) {
		rows.AddRow(v...)
	}
	return rows
}

// detailValues are detailRows' rows.
func detailValues(r signoff.Request, p signoff.Product, evs ...signoff.Event) [][]driver.Value {
	var rows [][]driver.Value
	nulls := func(n int) []driver.Value { return make([]driver.Value, n) }
	for _, st := range r.Steps {
		var decidedAt driver.Value
		if !st.DecidedAt.IsZero() {
			decidedAt = st.DecidedAt
		}
		row := []driver.Value{"S", int64(st.Order),
			r.ID, r.ProductID, r.ProductName, r.Classification, r.AccessRole, r.Requester,
			r.Reason, string(r.Status), int64(r.CurrentStep), int64(r.StepCount), r.CreatedAt, r.UpdatedAt,
			st.Label, st.ApproverRole, null(string(st.Decision)), null(st.DecidedBy), null(st.ActorRole),
			null(st.Comment), decidedAt,
			p.Description, p.Owner, p.OwnerRole, p.Domain, mustJSON(p.Tags), mustJSON(p.Columns),
			int64(r.AskedDays), int64(r.DurationDays), expiresAt(r), nil, null(st.FallbackRole), null(st.EscalatedTo),
			nil, signoff.FormatDurations(p.Durations), nil, null(p.FallbackRole), null(r.Extends), extensionSteps(p),
			null(st.ApproverUser)}
		rows = append(rows, append(row, nulls(9)...))
	}
	for _, e := range evs {
		var step driver.Value
		if e.Step != 0 {
			step = int64(e.Step)
		}
		row := []driver.Value{"E", int64(e.Seq), nil, e.ProductID}
		row = append(row, nulls(10)...) // name … updated_at
		row = append(row, nil, nil, null(string(e.Decision)), nil, nil, null(e.Comment), e.Time)
		row = append(row, nulls(6)...)  // description … product_columns
		row = append(row, nulls(13)...) // asked_days … approver_user
		row = append(row, e.ID, e.Actor, null(e.ActorRole), string(e.Type), step, null(e.Details),
			int64(e.Seq), e.PrevHash, e.Hash)
		rows = append(rows, row)
	}
	return rows
}

// extensionSteps is how the catalog stores p.ExtendLastStep.
func extensionSteps(p signoff.Product) string {
	if p.ExtendLastStep {
		return "LAST"
	}
	return "ALL"
}

// null is s, or SQL NULL for "".
func null(s string) driver.Value {
	if s == "" {
		return nil
	}
	return s
}

// eventRows renders events as audit rows.
func eventRows(evs ...signoff.Event) *sqlmock.Rows {
	rows := sqlmock.NewRows(eventCols)
	for _, e := range evs {
		rows.AddRow(e.ID, e.Time, e.RequestID, e.ProductID, e.ProductName, e.Actor, e.ActorRole, string(e.Type), int64(e.Step),
			string(e.Decision), e.Comment, e.Details, int64(e.Seq), e.PrevHash, e.Hash)
	}
	return rows
}

// submitted is the submission event of pendingRequest.
func submitted(id string) signoff.Event {
	return signoff.Event{ID: evID, Time: t0, RequestID: id, ProductID: "SALES_EU", ProductName: "EU sales orders", Actor: "ALICE",
		Type: signoff.EventRequestSubmitted, Comment: "Quarterly churn analysis for the EU board pack."}
}

// historyOf returns the audit events of pendingRequest(id, step), linked
// in their hash chain: the submission, then an approval per decided step.
func historyOf(r signoff.Request) []signoff.Event {
	evs := []signoff.Event{submitted(r.ID)}
	ids := []string{ev2ID, ev3ID}
	for _, st := range r.Steps {
		if st.Decision == signoff.DecisionNone || st.Order > len(ids) {
			continue
		}
		evs = append(evs, signoff.Event{ID: ids[st.Order-1], Time: st.DecidedAt, RequestID: r.ID,
			ProductID: r.ProductID, ProductName: r.ProductName, Actor: st.DecidedBy, ActorRole: st.ActorRole, Type: signoff.EventStepApproved,
			Step: st.Order, Decision: st.Decision, Comment: st.Comment})
	}
	signoff.Link(signoff.LedgerHead{}, evs)
	return evs
}

// openCreated is when the open request openID was made (t0, as
// pendingRequest's), or NULL for no request.
func openCreated(openID string) driver.Value {
	if openID == "" {
		return nil
	}
	return t0
}

// productForRows renders a product as SelectProductFor rows, each carrying
// the viewer's open request (empty strings for none). With no product, it
// returns no rows.
func productForRows(args ...any) *sqlmock.Rows {
	rows := sqlmock.NewRows(append(slices.Clone(productCols), "open_id", "open_status", "open_created_at"))
	if len(args) == 0 {
		return rows
	}
	p, openID, openStatus := args[0].(signoff.Product), args[1].(string), args[2].(string)
	for _, v := range productForValues(p, openID, openStatus) {
		rows.AddRow(v...)
	}
	return rows
}
