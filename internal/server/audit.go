package server

import (
	"bufio"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/web/view"
)

// MaxExportRows bounds a CSV export.
const MaxExportRows = 100_000

// handleAudit handles "GET /audit": the filterable, paginated audit log, or
// its CSV export with format=csv.
func (s *Server) handleAudit(w http.ResponseWriter, r *http.Request) {
	viewer := viewerOf(r.Context())
	form, f, problems := parseAuditFilter(r.URL.Query())
	if r.URL.Query().Get("format") == "csv" {
		if problems != nil {
			s.fail(w, r, problems)
			return
		}
		evs, err := s.svc.AuditExport(r.Context(), viewer, f, MaxExportRows)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeAuditCSV(w, evs, s.now())
		return
	}
	v := view.AuditView{Form: form, Problems: problems, CSVURL: auditURL(form, "", true)}
	status := http.StatusOK
	if problems != nil {
		// Show the form with its problems and no results rather than
		// silently dropping a filter.
		status = http.StatusUnprocessableEntity
		if !viewer.Auditor() {
			s.fail(w, r, signoff.Errorf(signoff.ErrForbidden, "The audit log is for admins and auditors."))
			return
		}
	} else {
		page, err := s.svc.Audit(r.Context(), viewer, f)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		v.Page = page
		if page.Next != 0 {
			v.NextURL = auditURL(form, strconv.Itoa(page.Next), false)
		}
	}
	if ps, err := s.svc.AllProducts(r.Context(), viewer); err == nil {
		v.Products = ps
	}
	s.render(w, r, status, view.AuditPage(s.meta(w, r, "Audit log", "audit"), v))
}

// handleAuditVerify handles "GET /audit/verify": checks every request's
// audit hash chain and shows the outcome (admins and auditors).
func (s *Server) handleAuditVerify(w http.ResponseWriter, r *http.Request) {
	rep, err := s.svc.VerifyAudit(r.Context(), viewerOf(r.Context()))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !rep.OK() {
		s.log.WarnContext(r.Context(), "audit chain does not verify", "problems", len(rep.Problems))
	}
	s.render(w, r, http.StatusOK, view.AuditVerifyPage(s.meta(w, r, "Audit chain", "audit"), rep))
}

// handleDoctorPage handles "GET /doctor": the diagnostics page, for admins,
// with the button that runs the checks. A GET runs nothing: the checks open
// sessions and grant a role, which a link from elsewhere must not trigger.
func (s *Server) handleDoctorPage(w http.ResponseWriter, r *http.Request) {
	if err := signoff.MayDiagnose(viewerOf(r.Context())); err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, view.DoctorPage(s.meta(w, r, "Diagnostics", "doctor"), view.DoctorView{Engine: s.engine}))
}

// handleDoctor handles "POST /doctor": the engine's preflight, run now as
// the visiting admin (their own session is part of what is checked).
func (s *Server) handleDoctor(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(r); err != nil {
		s.fail(w, r, err)
		return
	}
	cs, err := s.svc.Diagnose(r.Context(), viewerOf(r.Context()))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, c := range cs {
		if c.Status == signoff.CheckFail {
			s.log.WarnContext(r.Context(), "preflight check failed", "check", c.Name, "detail", c.Detail)
		}
	}
	s.render(w, r, http.StatusOK, view.DoctorPage(s.meta(w, r, "Diagnostics", "doctor"),
		view.DoctorView{Engine: s.engine, Checks: cs}))
}

// parseAuditFilter reads the audit filter from the query string.
func parseAuditFilter(q url.Values) (view.AuditForm, signoff.EventFilter, signoff.Problems) {
	form := view.AuditForm{Request: strings.TrimSpace(q.Get("request")), Product: q.Get("product"),
		Actor: strings.TrimSpace(q.Get("actor")), Type: q.Get("type"), From: q.Get("from"), To: q.Get("to")}
	f := signoff.EventFilter{RequestID: strings.ToUpper(form.Request), ProductID: form.Product,
		Actor: form.Actor, Type: signoff.EventType(form.Type)}
	problems := signoff.Problems{}
	if before := q.Get("before"); before != "" {
		// A position in the log: digits only, no sign, within an int.
		n, err := strconv.Atoi(before)
		if err != nil || n < 1 || strings.TrimLeft(before, "0123456789") != "" {
			problems["before"] = signoff.MalformedCursor
		} else {
			f.Before = n
		}
	}
	if form.Type != "" && !slices.Contains(signoff.EventTypes, f.Type) {
		problems["type"] = "Choose an event type from the list."
	}
	var err error
	if form.From != "" {
		// Year 0000 parses, but 0000-12-31 plus a day is the zero time that
		// means "no bound": a filter would silently vanish. Refuse it.
		if f.From, err = time.Parse(time.DateOnly, form.From); err != nil || f.From.Year() < 1 {
			f.From = time.Time{}
			problems["from"] = "Enter the start date as YYYY-MM-DD."
		}
	}
	if form.To != "" {
		if f.To, err = time.Parse(time.DateOnly, form.To); err != nil || f.To.Year() < 1 {
			f.To = time.Time{}
			problems["to"] = "Enter the end date as YYYY-MM-DD."
		} else if f.To = f.To.Add(24 * time.Hour); f.To.Year() > 9999 { // the form's end date is inclusive
			f.To = time.Time{} // up to 9999-12-31 is no end: year 10000 is beyond both engines
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		problems["to"] = "The end date must not be before the start date."
	}
	if len(problems) == 0 {
		problems = nil
	}
	return form, f, problems
}

// auditURL is the audit page's URL for form, at the page before cursor, or
// its CSV export.
func auditURL(form view.AuditForm, before string, csv bool) string {
	q := url.Values{}
	for k, v := range map[string]string{"request": form.Request, "product": form.Product, "actor": form.Actor,
		"type": form.Type, "from": form.From, "to": form.To, "before": before} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if csv {
		q.Set("format", "csv")
	}
	if len(q) == 0 {
		return "/audit"
	}
	return "/audit?" + q.Encode()
}

// writeAuditCSV writes events as CSV (RFC 4180) that no common spreadsheet
// (Excel, LibreOffice Calc, Google Sheets, Numbers) runs as formulas, in any
// locale.
//
// OWASP's guidance (owasp.org/www-community/attacks/CSV_Injection) is to
// quote every field, double its quotes and neutralise a field that starts
// with a formula character, and it warns that checking a field's first
// character is not enough on its own: a field separator inside the text can
// start a new cell whose first character is the formula's. Which character
// separates fields depends on the reader's locale (a comma, a semicolon, a
// tab), so "ok;=cmd|' /C calc'!A0" is two cells where the separator is ";"
// unless it is quoted. So every field is quoted, whatever it holds: inside
// quotes no separator or line break starts a cell or a row, in any locale,
// and every cell starts where its field does, where csvSafe neutralises it.
func writeAuditCSV(w http.ResponseWriter, evs []signoff.Event, now time.Time) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="signoff-audit-`+now.UTC().Format("20060102T150405Z")+`.csv"`)
	bw := bufio.NewWriter(w)
	writeCSVRow(bw, []string{"event_id", "event_time", "request_id", "product_id", "actor", "actor_role",
		"event_type", "step_order", "decision", "comment", "details"})
	for _, e := range evs {
		step := ""
		if e.Step > 0 {
			step = strconv.Itoa(e.Step)
		}
		writeCSVRow(bw, []string{e.ID, e.Time.UTC().Format(time.RFC3339Nano), e.RequestID, e.ProductID,
			e.Actor, e.ActorRole, string(e.Type), step, string(e.Decision), e.Comment, e.Details})
	}
	_ = bw.Flush() // a client gone mid-download has nothing left to tell
}

// writeCSVRow writes one row: every field neutralised (csvSafe) and quoted,
// its quotes doubled, and the row ended with CRLF.
func writeCSVRow(w *bufio.Writer, fields []string) {
	for i, f := range fields {
		if i > 0 {
			w.WriteByte(',')
		}
		w.WriteByte('"')
		w.WriteString(strings.ReplaceAll(csvSafe(f), `"`, `""`))
		w.WriteByte('"')
	}
	w.WriteString("\r\n")
}

// csvSafe prefixes an apostrophe, which spreadsheets read as "this cell is
// text", to a field that a spreadsheet could read as a formula: one that
// starts with = + - @ or their full-width forms (which some East Asian
// locales accept), or with white space or a control character (tab and CR
// are on OWASP's list; other readers trim leading blanks before looking for
// a formula). Other fields, IDs and times among them, are left as they are.
func csvSafe(s string) string {
	r, _ := utf8.DecodeRuneInString(s)
	if s != "" && (strings.ContainsRune("=+-@＝＋－＠", r) || unicode.IsSpace(r) || unicode.IsControl(r)) {
		return "'" + s
	}
	return s
}
