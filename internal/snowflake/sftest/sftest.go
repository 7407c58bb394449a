// Package sftest is an in-process fake of the Snowflake v1 REST endpoints
// that gosnowflake talks to: enough of the login, query and session
// protocol to run the real driver against a loopback httptest server, record
// what it sends (login bodies, statement texts, bindings) and answer with
// canned results or errors.
//
// It is not an emulator: it executes no SQL. Every statement it is asked to
// run must have a canned response (by exact text, see Server.On) or be
// answered by a handler (Server.Handle); anything else gets a Snowflake
// error with code NoResponseCode, so a test sees it. A handler sees the
// login of the statement's session (Query.Login), so it can answer as that
// session's user.
//
// It answers at once unless told otherwise: Server.SetLatency makes each
// login and each statement wait, as a Snowflake account tens of
// milliseconds away would, so that a benchmark can measure what the app adds
// to the round trips it cannot avoid.
//
// Tests that open a gosnowflake connection must set
// SNOWFLAKE_DISABLE_PLATFORM_DETECTION=true (and SF_DISABLE_MINICORE=true)
// before the first connection, or the driver probes cloud metadata
// addresses; a blank import of package sfenv sets both before gosnowflake
// initializes. Point the driver at the fake with Config{Protocol: "http",
// Host: s.Host(), Port: s.Port()}.
package sftest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The paths gosnowflake posts to.
const (
	PathLogin   = "/session/v1/login-request"
	PathQuery   = "/queries/v1/query-request"
	PathSession = "/session" // POST /session?delete=true closes a session
)

// NoResponseCode is the error code the fake answers a statement with when
// it has no canned response for it.
const NoResponseCode = "999999"

// Column is one column of a canned result, as Snowflake describes it in a
// JSON result's rowtype.
type Column struct {
	Name      string
	Type      string // "text", "boolean", "fixed", "timestamp_ntz", "real", "variant" …
	Scale     int64
	Precision int64
	Nullable  bool
}

// Text describes a VARCHAR column.
func Text(name string) Column { return Column{Name: name, Type: "text", Nullable: true} }

// Boolean describes a BOOLEAN column.
func Boolean(name string) Column { return Column{Name: name, Type: "boolean", Nullable: true} }

// Fixed describes a NUMBER(38,0) column.
func Fixed(name string) Column {
	return Column{Name: name, Type: "fixed", Precision: 38, Nullable: true}
}

// TimestampNTZ describes a TIMESTAMP_NTZ(9) column.
func TimestampNTZ(name string) Column {
	return Column{Name: name, Type: "timestamp_ntz", Scale: 9, Nullable: true}
}

// Variant describes a VARIANT column, such as a stored procedure's answer
// when it returns VARIANT: the value is JSON text, which the driver hands
// over as a string.
func Variant(name string) Column { return Column{Name: name, Type: "variant", Nullable: true} }

// Response is a canned answer to one statement: a result (Columns and Rows)
// or, when Err is set, a Snowflake error.
type Response struct {
	Columns []Column
	// Rows hold Go values rendered as Snowflake renders them in a JSON
	// result: string as is; bool as "1"/"0"; integers in decimal;
	// float64 in decimal; time.Time as "<seconds>.<nanoseconds>" since the
	// epoch (TIMESTAMP_NTZ); nil as JSON null. A string in a non-text
	// column is sent unchanged.
	Rows [][]any
	Err  *Error
	// QueryID is the query ID answered; empty means one is made up.
	QueryID string
}

// Error is a Snowflake error answer.
type Error struct {
	Code     string // e.g. "003001"; the driver parses it as the error number
	SQLState string // e.g. "42501"
	Message  string
}

// Result returns a successful Response with cols and rows.
func Result(cols []Column, rows ...[]any) Response { return Response{Columns: cols, Rows: rows} }

// Fail returns an error Response.
func Fail(code, sqlState, message string) Response {
	return Response{Err: &Error{Code: code, SQLState: sqlState, Message: message}}
}

// Login is a recorded POST /session/v1/login-request.
type Login struct {
	Authenticator     string
	Token             string
	Account           string
	LoginName         string
	SessionParameters map[string]any
	// Database, Schema, Warehouse and Role are the URL parameters the
	// driver sends with the login.
	Database, Schema, Warehouse, Role string
	// SessionToken is the token the fake issued for the new session.
	SessionToken string
	Body         json.RawMessage
}

// Binding is one bind value as the driver sends it.
type Binding struct {
	Type  string `json:"type"`
	Value any    `json:"value"`
	Fmt   string `json:"fmt,omitempty"`
}

// Query is a recorded POST /queries/v1/query-request.
type Query struct {
	SQLText    string
	Bindings   map[string]Binding
	Parameters map[string]any
	// SessionToken is the session the statement ran in (from the
	// Authorization header).
	SessionToken string
	// Login is that session's login (zero for a session the fake did not
	// open): its Token says whose session it is, e.g. a caller's-rights
	// session's "<service token>.<caller token>".
	Login   Login
	QueryID string
}

// Server is the fake. Its zero value is not usable; call New.
type Server struct {
	srv *httptest.Server

	mu       sync.Mutex
	canned   map[string]Response
	handle   func(Query) (Response, bool)
	logins   []Login
	queries  []Query
	closed   []string // session tokens deleted
	paths    map[string]int
	sessions int
	open     map[string]Login // session token → its login
	seq      int
	login    *Error // when set, logins fail with it
	query    *Error // when set, every statement fails with it
	// loginDelay and queryDelay are waited before answering a login or a
	// statement (SetLatency).
	loginDelay, queryDelay time.Duration
}

// New starts a fake on a loopback address and closes it when t ends.
func New(t testing.TB) *Server {
	s := &Server{canned: map[string]Response{}, paths: map[string]int{}, open: map[string]Login{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the fake's base URL.
func (s *Server) URL() string { return s.srv.URL }

// Host is the fake's host (a loopback IP).
func (s *Server) Host() string {
	h, _, _ := net.SplitHostPort(s.srv.Listener.Addr().String())
	return h
}

// Port is the fake's port.
func (s *Server) Port() int { return s.srv.Listener.Addr().(*net.TCPAddr).Port }

// On answers the statement whose text is exactly sqlText with r.
func (s *Server) On(sqlText string, r Response) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.canned[sqlText] = r
}

// Handle answers statements without a canned response: f returns the
// response and true, or false to fall through to NoResponseCode.
func (s *Server) Handle(f func(Query) (Response, bool)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handle = f
}

// SetLatency makes the fake wait login before it answers each login and
// statement before it answers each statement (a query request), as
// Snowflake's own round trips take, so the app's latency can be measured
// against them. Closing a session and any other request stay immediate.
// Zero (the default) answers at once; the wait ends early if the client
// gives up.
func (s *Server) SetLatency(login, statement time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loginDelay, s.queryDelay = login, statement
}

// wait waits d, or less if ctx ends first.
func wait(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// FailLogins makes every following login fail with e (nil restores success).
func (s *Server) FailLogins(e *Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.login = e
}

// FailQueries makes every following statement fail with e, canned or not,
// as when Snowflake stops answering the service user's session (nil restores
// the canned answers). The statements are still recorded.
func (s *Server) FailQueries(e *Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.query = e
}

// Logins returns the logins so far.
func (s *Server) Logins() []Login {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Login(nil), s.logins...)
}

// Queries returns the statements so far.
func (s *Server) Queries() []Query {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Query(nil), s.queries...)
}

// ClosedSessions returns the session tokens of the sessions closed so far
// (POST /session?delete=true).
func (s *Server) ClosedSessions() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.closed...)
}

// Count returns how many requests were made to path (e.g. PathQuery).
func (s *Server) Count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.paths[path]
}

// Counts returns the number of requests per path.
func (s *Server) Counts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.paths))
	for k, v := range s.paths {
		out[k] = v
	}
	return out
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.paths[r.URL.Path]++
	s.mu.Unlock()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == PathLogin:
		s.serveLogin(w, r, body)
	case r.Method == http.MethodPost && r.URL.Path == PathQuery:
		s.serveQuery(w, r, body)
	case r.Method == http.MethodPost && r.URL.Path == PathSession && r.URL.Query().Get("delete") == "true":
		s.mu.Lock()
		s.closed = append(s.closed, sessionToken(r))
		delete(s.open, sessionToken(r))
		s.mu.Unlock()
		writeJSON(w, map[string]any{"success": true, "code": nil, "message": nil, "data": nil})
	default:
		writeJSON(w, map[string]any{"success": true})
	}
}

func (s *Server) serveLogin(w http.ResponseWriter, r *http.Request, body []byte) {
	var req struct {
		Data struct {
			AccountName       string         `json:"ACCOUNT_NAME"`
			LoginName         string         `json:"LOGIN_NAME"`
			Authenticator     string         `json:"AUTHENTICATOR"`
			Token             string         `json:"TOKEN"`
			SessionParameters map[string]any `json:"SESSION_PARAMETERS"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(w, "login body: "+err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	delay := s.loginDelay
	s.mu.Unlock()
	wait(r.Context(), delay)
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	l := Login{Authenticator: req.Data.Authenticator, Token: req.Data.Token, Account: req.Data.AccountName,
		LoginName: req.Data.LoginName, SessionParameters: req.Data.SessionParameters,
		Database: q.Get("databaseName"), Schema: q.Get("schemaName"), Warehouse: q.Get("warehouse"),
		Role: q.Get("roleName"), Body: json.RawMessage(body)}
	if e := s.login; e != nil {
		s.logins = append(s.logins, l)
		writeJSON(w, map[string]any{"success": false, "code": e.Code, "message": e.Message, "data": nil})
		return
	}
	s.sessions++
	l.SessionToken = fmt.Sprintf("session-token-%d", s.sessions)
	s.logins = append(s.logins, l)
	s.open[l.SessionToken] = l
	writeJSON(w, map[string]any{"success": true, "code": nil, "message": nil, "data": map[string]any{
		"token": l.SessionToken, "masterToken": fmt.Sprintf("master-token-%d", s.sessions),
		"sessionId": s.sessions, "validityInSeconds": 3600, "masterValidityInSeconds": 14400,
		"parameters": []any{}, "sessionInfo": map[string]any{
			"databaseName": l.Database, "schemaName": l.Schema, "warehouseName": l.Warehouse, "roleName": "PUBLIC"},
	}})
}

func (s *Server) serveQuery(w http.ResponseWriter, r *http.Request, body []byte) {
	var req struct {
		SQLText    string             `json:"sqlText"`
		Bindings   map[string]Binding `json:"bindings"`
		Parameters map[string]any     `json:"parameters"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(w, "query body: "+err.Error(), http.StatusBadRequest)
		return
	}
	q := Query{SQLText: req.SQLText, Bindings: req.Bindings, Parameters: req.Parameters, SessionToken: sessionToken(r)}
	s.mu.Lock()
	delay := s.queryDelay
	s.mu.Unlock()
	wait(r.Context(), delay)
	s.mu.Lock()
	q.Login = s.open[q.SessionToken]
	s.seq++
	q.QueryID = fmt.Sprintf("01c0ffee-0000-5f7e-0000-%012d", s.seq)
	resp, ok := s.canned[q.SQLText]
	handle, failing := s.handle, s.query
	s.mu.Unlock()
	if !ok && handle != nil && failing == nil {
		resp, ok = handle(q)
	}
	switch {
	case failing != nil:
		resp = Response{Err: failing}
	case !ok:
		resp = Fail(NoResponseCode, "42000", "sftest: no canned response for "+strconv.Quote(q.SQLText))
	}
	if resp.QueryID != "" {
		q.QueryID = resp.QueryID
	}
	s.mu.Lock()
	s.queries = append(s.queries, q)
	s.mu.Unlock()

	if e := resp.Err; e != nil {
		writeJSON(w, map[string]any{"success": false, "code": e.Code, "message": e.Message,
			"data": map[string]any{"sqlState": e.SQLState, "queryId": q.QueryID}})
		return
	}
	rowtype := make([]map[string]any, len(resp.Columns))
	for i, c := range resp.Columns {
		rowtype[i] = map[string]any{"name": c.Name, "type": c.Type, "scale": c.Scale, "precision": c.Precision,
			"nullable": c.Nullable, "length": nil, "byteLength": nil}
	}
	rowset := make([][]*string, len(resp.Rows))
	for i, row := range resp.Rows {
		if len(row) != len(resp.Columns) {
			http.Error(w, fmt.Sprintf("sftest: row %d has %d values for %d columns", i, len(row), len(resp.Columns)),
				http.StatusInternalServerError)
			return
		}
		rowset[i] = make([]*string, len(row))
		for j, v := range row {
			rowset[i][j] = wire(v)
		}
	}
	writeJSON(w, map[string]any{"success": true, "code": nil, "message": nil, "data": map[string]any{
		"queryResultFormat": "json", "rowtype": rowtype, "rowset": rowset,
		"total": len(rowset), "returned": len(rowset), "queryId": q.QueryID,
		"statementTypeId": 4096, "version": 1,
	}})
}

// wire renders v as a JSON result cell.
func wire(v any) *string {
	var s string
	switch v := v.(type) {
	case nil:
		return nil
	case *string:
		return v
	case string:
		s = v
	case bool:
		s = "0"
		if v {
			s = "1"
		}
	case int:
		s = strconv.Itoa(v)
	case int64:
		s = strconv.FormatInt(v, 10)
	case float64:
		s = strconv.FormatFloat(v, 'g', -1, 64)
	case time.Time:
		s = fmt.Sprintf("%d.%09d", v.Unix(), v.Nanosecond())
	default:
		s = fmt.Sprint(v)
	}
	return &s
}

// sessionToken extracts the session token from `Snowflake Token="…"`.
func sessionToken(r *http.Request) string {
	h := r.Header.Get("Authorization")
	h = strings.TrimPrefix(h, "Snowflake Token=")
	return strings.Trim(h, `"`)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
