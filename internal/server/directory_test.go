package server_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/demo"
	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlite"
)

// TestDirectoryPage: admins list and filter the directory of managers, set
// one user's manager, and load many as CSV, pasted or uploaded; every
// change is an audit event. A refusal shows the page again, saying why and
// keeping what was typed, and changes nothing.
func TestDirectoryPage(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	adam := s.as("ADAM")
	manager := func(user string) string {
		t.Helper()
		m, err := s.st.ManagerOf(t.Context(), user)
		require.NoError(t, err)
		return m
	}
	changes := func() int {
		n := 0
		for _, e := range s.events() {
			if e.Type == signoff.EventDirectoryChanged {
				n++
			}
		}
		return n
	}

	res := adam.get("/admin/directory")
	require.Equal(t, http.StatusOK, res.Status)
	assert.Contains(t, mainNav(t, res.Body), `href="/admin" aria-current="true"`, "under the Admin tab")
	assert.Contains(t, testid(adam.get("/admin").Body, "admin-index"), "Directory", "the Admin page links it")
	assert.Len(t, findAll(find(parseHTML(res.Body), byTestid("directory")), element("tr")), len(demo.Managers)+1, "a row per user, and the header")
	assert.NotContains(t, testid(s.as("AUDREY").get("/admin").Body, "admin-index"), "Directory", "only admins see it")

	res = adam.get("/admin/directory?q=" + url.QueryEscape("aLi"))
	require.Equal(t, http.StatusOK, res.Status)
	assert.Len(t, findAll(find(parseHTML(res.Body), byTestid("directory")), element("tr")), 2, "ALICE's row only")
	assert.Contains(t, testid(res.Body, "directory"), "ALICE")
	res = adam.get("/admin/directory?q=nobody")
	assert.True(t, hasTestid(res.Body, "directory-empty"))

	before := changes()
	res = adam.post("/admin/directory", url.Values{"form": {"one"}, "user": {"NOEL"}, "manager": {" LENA "}})
	require.Equal(t, http.StatusSeeOther, res.Status, text(res.Body))
	assert.Equal(t, "LENA is NOEL's manager now.", testid(adam.follow(res).Body, "flash"))
	assert.Equal(t, "LENA", manager("NOEL"))
	assert.Equal(t, before+1, changes())

	res = adam.post("/admin/directory", url.Values{"form": {"csv"}, "csv": {"user,manager\nNOEL,DANA\n\n\"BEN\",MARCO\nAUDREY,\n"}})
	require.Equal(t, http.StatusSeeOther, res.Status, text(res.Body))
	assert.Equal(t, "2 of 3 lines changed the directory.", testid(adam.follow(res).Body, "flash"))
	assert.Equal(t, "DANA", manager("NOEL"))
	assert.Empty(t, manager("AUDREY"), "an empty manager removes the user's")
	assert.Equal(t, before+3, changes())

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	require.NoError(t, mw.WriteField("form", "csv"))
	fw, err := mw.CreateFormFile("file", "managers.csv")
	require.NoError(t, err)
	_, err = fw.Write([]byte("\ufeffAUDREY,LENA\r\n"))
	require.NoError(t, err)
	require.NoError(t, mw.Close())
	res = adam.postRaw("/admin/directory", mw.FormDataContentType(), body.Bytes(), false)
	require.Equal(t, http.StatusSeeOther, res.Status, text(res.Body))
	assert.Equal(t, "LENA", manager("AUDREY"), "an uploaded file, its byte-order mark left out")

	for _, tc := range []struct {
		form   url.Values
		phrase string
	}{
		{url.Values{"form": {"csv"}, "csv": {"NOEL,LENA\nBEN"}}, "Line 2 has 1 fields"},
		{url.Values{"form": {"csv"}, "csv": {"NOEL,LENA\nMARCO,ALICE"}}, "Line 2: MARCO manages ALICE already, so ALICE cannot manage MARCO."},
		{url.Values{"form": {"csv"}, "csv": {"NOEL,LENA\nNOEL,MARCO"}}, "Line 2: NOEL already has a manager on line 1"},
		{url.Values{"form": {"one"}, "user": {"NOEL"}, "manager": {"NOEL"}}, "Line 1: NOEL cannot be their own manager."},
		{url.Values{"form": {"one"}, "user": {""}, "manager": {"LENA"}}, "is not a user name"},
		{url.Values{"form": {"csv"}, "csv": {""}}, "Give at least one line"},
	} {
		snap := s.snapshot()
		n := changes()
		res := adam.post("/admin/directory", tc.form)
		require.Equal(t, http.StatusUnprocessableEntity, res.Status, tc.phrase)
		assert.Contains(t, testid(res.Body, "directory-problem"), tc.phrase)
		if csv := tc.form.Get("csv"); csv != "" {
			assert.Equal(t, csv, fieldValue(res.Body, "csv"), "what was typed is kept")
		}
		assert.Equal(t, snap, s.snapshot())
		assert.Equal(t, n, changes(), "nothing changed: %s", tc.phrase)
	}
	assert.Equal(t, "DANA", manager("NOEL"))

	res = adam.post("/admin/directory", url.Values{"form": {"other"}})
	assert.Equal(t, http.StatusUnprocessableEntity, res.Status)
	res = s.as("MARCO").post("/admin/directory", url.Values{"form": {"one"}, "user": {"ALICE"}, "manager": {"LENA"}})
	assert.Equal(t, http.StatusForbidden, res.Status)
	assert.Equal(t, "MARCO", manager("ALICE"))
	for _, user := range []string{"ALICE", "AUDREY", "NOEL"} {
		assert.Equal(t, http.StatusForbidden, s.as(user).get("/admin/directory").Status, user)
	}

	// The ledger still verifies, directory changes and all.
	rep, err := s.svc.VerifyAudit(t.Context(), s.identity("AUDREY"))
	require.NoError(t, err)
	assert.Empty(t, rep.Problems)
}

// TestManagerStepOnTheProductPage: the product page names who decides the
// chain's manager step for the viewer, or says the directory has nobody for
// them, whose request is then refused; the request's page names the
// manager.
func TestManagerStepOnTheProductPage(t *testing.T) {
	t.Parallel()
	s := newStack(t, seeded(func(ctx context.Context, st *sqlite.Store) error {
		return st.CreateUser(ctx, "ERIN", "Erin New", "Joined today; not in the directory yet")
	}))
	res := s.as("NOEL").get("/products/hr-headcount")
	require.Equal(t, http.StatusOK, res.Status)
	assert.Equal(t, "Line manager: MARCO (your manager)", testid(res.Body, "manager-steps"))
	assert.False(t, hasTestid(res.Body, "no-manager"))

	erin := s.as("ERIN")
	res = erin.get("/products/hr-headcount")
	require.Equal(t, http.StatusOK, res.Status)
	assert.Contains(t, testid(res.Body, "no-manager"), "your manager is not in Signoff's directory")
	res = erin.post("/products/hr-headcount/requests", url.Values{"reason": {goodReason}, "days": {"30"}})
	require.Equal(t, http.StatusUnprocessableEntity, res.Status)
	assert.Contains(t, text(res.Body), "Ask a Signoff admin to add them; nothing was submitted.")
	assert.Zero(t, s.countRequests("ERIN"))

	res = s.as("ADAM").post("/admin/directory", url.Values{"form": {"one"}, "user": {"ERIN"}, "manager": {"LENA"}})
	require.Equal(t, http.StatusSeeOther, res.Status)
	res = erin.post("/products/hr-headcount/requests", url.Values{"reason": {goodReason}, "days": {"30"}})
	require.Equal(t, http.StatusSeeOther, res.Status, text(res.Body))
	r := s.request(s.requestFor("ERIN", "hr-headcount", signoff.StatusPending))
	assert.Equal(t, "LENA", r.Steps[0].ApproverUser)
	res = erin.get("/requests/" + r.ID)
	require.Equal(t, http.StatusOK, res.Status)
	assert.Equal(t, "LENA (the requester's manager), with", testid(res.Body, "step-manager"), "the stepper names the manager")

	// MARCO holds LINE_MANAGER but is not ERIN's manager: the queue does not
	// offer him the step, and the engine refuses his decision.
	assert.NotContains(t, s.as("MARCO").get("/queue").Body, r.ID)
	assert.Contains(t, s.as("LENA").get("/queue").Body, r.ID)
	res = s.as("MARCO").post("/requests/"+r.ID+"/decision", url.Values{"decision": {"approve"}, "step": {"1"}})
	require.Equal(t, http.StatusForbidden, res.Status)
	assert.Contains(t, text(res.Body), "The Line manager step is for the requester's manager, LENA, to decide")
	res = s.as("LENA").post("/requests/"+r.ID+"/decision", url.Values{"decision": {"approve"}, "step": {"1"}})
	require.Equal(t, http.StatusSeeOther, res.Status, text(res.Body))
	assert.Equal(t, 2, s.request(r.ID).CurrentStep)
}
