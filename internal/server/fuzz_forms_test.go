package server_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/signoff/signoff/internal/signoff"
)

// FuzzFormDecoding posts arbitrary bodies, content types and query strings
// to every POST route (the lifecycle's included: days, an answer and a new
// reason) through the real handlers and middleware, over the
// fake workflow, signed in as a persona who may use the route; answer picks
// how the workflow answers (done, problems with any field, or a refusal of
// each kind). Whatever arrives, the answer is never a 5xx (a panic would be
// one: the recover middleware turns it into a 500).
func FuzzFormDecoding(f *testing.F) {
	s := newFake(f)
	answers := []error{
		nil,
		signoff.Problems{"reason": "A problem with the reason.", "comment": "A problem with the comment.", "decision": "Choose."},
		signoff.Problems{"answer": "A problem with the answer.", "days": "A problem with the duration."},
		signoff.Outcome{Code: signoff.CodeDurationLonger, DurationDays: 30}.Err(),
		signoff.Outcome{Code: signoff.CodeDurationNotOffered, ProductName: "Ledger 101"}.Err(),
		signoff.Errorf(signoff.ErrNotFound, "There is no such thing."),
		signoff.Errorf(signoff.ErrForbidden, "You may not."),
		signoff.Errorf(signoff.ErrConflict, "Someone got there first."),
		signoff.Errorf(signoff.ErrInvalid, "That is not valid."),
		signoff.Errorf(signoff.ErrUnauthenticated, "Please sign in."),
		signoff.Outcome{Code: signoff.CodeStaleStep, SeenLabel: "Data owner", SeenDecidedBy: "DANA", SeenDecision: signoff.DecisionApprove}.Err(),
		signoff.Outcome{Code: signoff.CodeActingAsWrongRole, StepLabel: "Data owner", StepRole: "LEDGER_OWNER", ActingAs: "DPO"}.Err(),
	}
	var answer error // the workflow's answer to the input being tried
	done := signoff.Outcome{Code: signoff.CodeOK, RequestID: fakeRequestID, ProductName: fakeProduct.Name, StepCount: 3}
	s.wf.onSubmit = func(signoff.Identity, string, string) (signoff.Outcome, error) { return done, answer }
	s.wf.onDecide = func(signoff.Identity, string, signoff.DecisionInput) (signoff.Outcome, error) { return done, answer }
	s.wf.onWithdraw = func(signoff.Identity, string) error { return answer }
	s.wf.onResubmit = func(signoff.Identity, string, string, string) error { return answer }
	s.wf.onRevoke = func(signoff.Identity, string, string) error { return answer }
	s.wf.onRetryGrant = func(signoff.Identity, string) (signoff.Status, error) { return signoff.StatusGranted, answer }
	s.wf.onDiagnose = func(signoff.Identity) (signoff.Checks, error) { return signoff.Checks{}, answer }
	s.wf.onConfirm = func(_ string, v signoff.Identity, _ string) (signoff.RequestPage, error) {
		if answer != nil {
			return signoff.RequestPage{}, answer
		}
		return fakeRequestPage(v, ""), nil
	}

	session := func(user string) *http.Cookie {
		value, _ := sessionCookieOf(f, s.as(user))
		return &http.Cookie{Name: "signoff_session", Value: value}
	}
	// NOEL signs out (the first sign-out ends his session; the others post
	// as a signed-out visitor), so that the other personas stay signed in.
	alice, olivia, ben, adam, noel := session("ALICE"), session("OLIVIA"), session("BEN"), session("ADAM"), session("NOEL")
	request := "/requests/" + fakeRequestID
	routes := []struct {
		path   string
		cookie *http.Cookie
	}{
		{request + "/decision", olivia},
		{"/products/" + fakeProduct.ID + "/requests", alice},
		{request + "/withdraw", ben},
		{request + "/revoke", olivia},
		{request + "/retry-grant", adam},
		{"/login", nil},
		{"/logout", noel},
		{"/products/" + fakeProduct.ID + "/requests", nil},
		{"/doctor", adam},
		{request + "/resubmit", ben},
	}
	const form = "application/x-www-form-urlencoded"
	for i, seed := range []struct {
		route              uint8
		contentType, query string
		body               string
	}{
		{0, form, "", "decision=approve&step=2&comment=ok"},
		{0, form, "", "decision=reject&step=2&comment="},
		{0, form, "", "decision=reject&step=2&comment=no&confirm=1"},
		{0, form, "", "decision=reject&step=2&comment=no&confirm=cancel&acting_as=LEDGER_OWNER"},
		{0, form, "", "decision=approve&step=99999999999999999999"},
		{0, form, "", "decision=approve&step=2&acting_as=DPO'+OR+'1'%3D'1"},
		{0, form, "", "decision=%zz"},
		{0, form, "", "decision=approve;step=2"},
		{0, form, "step=2", "decision=approve&decision=reject"},
		{0, form + "; charset=utf-8", "", "decision=approve&comment=%FF%FE"},
		{0, "multipart/form-data; boundary=x", "", "--x\r\nContent-Disposition: form-data; name=\"decision\"\r\n\r\napprove\r\n--x--\r\n"},
		{0, "application/json", "", `{"decision":"approve"}`},
		{0, "", "", "decision=approve"},
		{0, form + "; ===", "", "decision=approve"},
		{1, form, "", "reason=" + strings.Repeat("a", 25)},
		{1, form, "", "reason=%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00"},
		{1, form, "", "reason=" + strings.Repeat("%F0%9F%98%80", 2001)},
		{1, form, "%zz", "reason=x"},
		{2, form, "", ""},
		{2, "text/plain", "", "anything"},
		{3, form, "", "reason=%3Cscript%3E"},
		{3, form, "", "reason=done&confirm=1"},
		{3, form, "", "reason=done&confirm=cancel"},
		{2, form, "", "confirm=1"},
		{2, form, "", "confirm=cancel"},
		{4, form, "", ""},
		{5, form, "", "user=ADAM'+--&next=%2F%09%2Fevil.example"},
		{5, form, "", "user=ALICE&next=%2F.%2F%5Cevil.example"},
		{6, form, "", "%"},
		{7, form, "", "reason=" + strings.Repeat("b", 30)},
		{8, form, "", ""},
		{0, form, "", "decision=approve&step=2&days=7"},
		{0, form, "", "decision=approve&step=2&days=-1"},
		{0, form, "", "decision=approve&step=2&days=99999999999999999999"},
		{0, form, "", "decision=reject&step=2&days=7&comment=no"},
		{0, form, "", "decision=changes&step=2&comment=Which+squads%3F&days=7"},
		{0, form, "", "decision=changes&step=2&comment="},
		{1, form, "", "reason=" + strings.Repeat("a", 25) + "&days=7"},
		{1, form, "", "reason=" + strings.Repeat("a", 25) + "&days=%E2%80%AE7"},
		{9, form, "", "answer=The+retention+squad.&reason="},
		{9, form, "", "answer=&reason=" + strings.Repeat("c", 25)},
		{9, form, "", "answer=" + strings.Repeat("%E2%80%8B", 1200) + "&reason=%E2%80%AE"},
		{9, form, "", "answer=a&answer=b&reason=x&reason=y"},
	} {
		f.Add(seed.route, uint8(i), seed.contentType, seed.query, []byte(seed.body))
	}
	f.Fuzz(func(t *testing.T, which, answerIndex uint8, contentType, query string, body []byte) {
		r := routes[int(which)%len(routes)]
		answer = answers[int(answerIndex)%len(answers)]
		req := httptest.NewRequest(http.MethodPost, r.path, bytes.NewReader(body))
		req.URL.RawQuery = query // as sent, however malformed
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		if r.cookie != nil {
			req.AddCookie(r.cookie)
		}
		rec := httptest.NewRecorder()
		s.srv.ServeHTTP(rec, req)
		s.wf.takeCalls() // forget them: the fuzzer runs for a long time
		if rec.Code >= 500 {
			t.Fatalf("POST %s?%s (%q, %d bytes, workflow answers %v) = %d: %s", r.path, query, contentType, len(body), answer, rec.Code, rec.Body.String())
		}
	})
}
