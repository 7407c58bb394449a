package server_test

import (
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/digestfile"
	"github.com/signoff/signoff/internal/signoff"
)

// TestAuditVerifyPage: admins and auditors can verify the audit log from
// the audit page; nobody else can.
func TestAuditVerifyPage(t *testing.T) {
	s := newStack(t)
	for _, user := range []string{"ADAM", "AUDREY"} {
		res := s.as(user).get("/audit/verify")
		require.Equal(t, http.StatusOK, res.Status, user)
		assert.Contains(t, testid(res.Body, "chain-status"), "Verified:", user)
		assert.Contains(t, testid(res.Body, "chain-status"), "The ledger is intact and every request agrees with its events.")
		assert.Contains(t, testid(res.Body, "digests"), "No digests are kept for this database")
	}
	audit := s.as("ADAM").get("/audit").Body
	assert.Contains(t, audit, `href="/audit/verify"`, "linked from the audit log")
	assert.Contains(t, testid(audit, "digest-status"), "No digests are kept for this database")
	for _, user := range []string{"ALICE", "OLIVIA", "NOEL"} {
		res := s.as(user).get("/audit/verify")
		assert.Equal(t, http.StatusForbidden, res.Status, user)
	}
}

// TestAuditPagesShowTheDigests: the audit page says when the newest digest
// was taken and whether the log matched it; the verification page lists
// the digests and which the log disagrees with.
func TestAuditPagesShowTheDigests(t *testing.T) {
	s := newStack(t, fileDB(""))
	s.svc.Anchor = digestfile.New(s.path + ".digests")
	assert.Contains(t, testid(s.as("AUDREY").get("/audit").Body, "digest-status"), "No digest has been taken yet")

	d, taken, err := s.svc.TakeDigest(t.Context())
	require.NoError(t, err)
	require.True(t, taken)
	status := testid(s.as("AUDREY").get("/audit").Body, "digest-status")
	assert.Contains(t, status, fmt.Sprintf("covering events 1 to %d; the log matched it", d.Seq))
	page := s.as("AUDREY").get("/audit/verify").Body
	assert.Contains(t, testid(page, "chain-status"), "the log matches all 1 digest.")
	assert.Contains(t, testid(page, "digests"), "1 digest kept in "+s.path+".digests")
	assert.Contains(t, testid(page, "digest-list"), fmt.Sprintf("1 to %d yes", d.Seq))

	// Someone with write access removes the newest event.
	db, err := sql.Open("sqlite3", (&url.URL{Scheme: "file", Path: s.path}).String())
	require.NoError(t, err)
	defer db.Close()
	for _, q := range []string{`DROP TRIGGER audit_log_no_delete`, `DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)`} {
		_, err := db.ExecContext(t.Context(), q)
		require.NoError(t, err)
	}
	_, _, err = s.svc.TakeDigest(t.Context())
	require.ErrorIs(t, err, signoff.ErrLedgerRewritten, "a new digest must not paper over it")
	alert := testid(s.as("AUDREY").get("/audit").Body, "digest-status")
	assert.Contains(t, alert, "The log no longer matches the last digest")
	page = s.as("AUDREY").get("/audit/verify").Body
	assert.Contains(t, testid(page, "chain-status"), "Does not verify")
	assert.Contains(t, testid(page, "chain-problems"), fmt.Sprintf("The ledger has no event %d, which a digest recorded", d.Seq))
	assert.Contains(t, testid(page, "digest-list"), fmt.Sprintf("1 to %d no", d.Seq))
}

// TestDoctorPage: admins run the engine's preflight from the nav; nobody
// else can, and nobody else sees the link.
func TestDoctorPage(t *testing.T) {
	s := newStack(t)
	before, err := s.st.Reads().Events(t.Context(), signoff.EventFilter{})
	require.NoError(t, err)
	page := s.as("ADAM").get("/doctor")
	require.Equal(t, http.StatusOK, page.Status)
	assert.Contains(t, page.Body, `data-testid="run-checks"`)
	assert.NotContains(t, page.Body, `data-testid="doctor-checks"`, "a GET runs nothing")
	res := s.as("ADAM").post("/doctor", nil)
	require.Equal(t, http.StatusOK, res.Status)
	assert.Contains(t, testid(res.Body, "doctor-summary"), "No check failed: 12 passed, 1 warning(s), 1 skipped.")
	checks := testid(res.Body, "doctor-checks")
	for _, name := range []string{"Database integrity", "Dry run: submit", "Dry run: revoke", "Dry run: save a product", "Dry run: set managers"} {
		assert.Contains(t, checks, name)
	}
	assert.Contains(t, checks, "WARN Database file The database is in memory", "the test's database is in memory")
	assert.Contains(t, res.Body, `<span class="status status--check-pass">PASS</span>`)
	assert.Contains(t, page.Body, `href="/admin" aria-current="true"`, "under the Admin tab, marked")
	after, err := s.st.Reads().Events(t.Context(), signoff.EventFilter{})
	require.NoError(t, err)
	assert.Len(t, after, len(before), "the preflight changes nothing")

	for _, user := range []string{"AUDREY", "ALICE", "NOEL"} {
		assert.Equal(t, http.StatusForbidden, s.as(user).get("/doctor").Status, user)
		assert.Equal(t, http.StatusForbidden, s.as(user).post("/doctor", nil).Status, user)
		assert.NotContains(t, s.as(user).get("/admin").Body, `href="/doctor"`, user)
	}
	assert.Equal(t, http.StatusSeeOther, s.anon().get("/doctor").Status, "sign in first")
}

// TestGrantErrorsAreForAdmins: a failed grant's error text (Snowflake's own
// message) shows on the request page to admins and auditors only; the
// requester reads a plain sentence.
func TestGrantErrorsAreForAdmins(t *testing.T) {
	s := newStack(t)
	id := s.requestFor("ALICE", "supplier-contracts", signoff.StatusGrantFailed)
	evs, err := s.st.Reads().Events(t.Context(), signoff.EventFilter{RequestID: id, Type: signoff.EventGrantFailed})
	require.NoError(t, err)
	require.NotEmpty(t, evs)
	details := evs[0].Details
	require.NotEmpty(t, details)

	for _, user := range []string{"ADAM", "AUDREY"} {
		body := testid(s.as(user).get("/requests/"+id).Body, "history")
		assert.Contains(t, body, details, user)
	}
	body := testid(s.as("ALICE").get("/requests/"+id).Body, "history")
	assert.NotContains(t, body, details)
	assert.Contains(t, body, "Snowflake refused the grant. Signoff's admins can see why and retry it.")
}

// TestQueueShowsAdminsWhatNeedsAGrant: an approved request without access
// (the demo's failed supplier-contracts grant) is listed for admins, and
// only for them.
func TestQueueShowsAdminsWhatNeedsAGrant(t *testing.T) {
	s := newStack(t)
	failed := s.requestFor("ALICE", "supplier-contracts", "")
	res := s.as("ADAM").get("/queue")
	require.Equal(t, http.StatusOK, res.Status)
	section := testid(res.Body, "needs-grant")
	assert.Contains(t, section, "Supplier contracts")
	assert.Contains(t, section, "Grant failed")
	assert.Contains(t, res.Body, `href="/requests/`+failed+`"`)

	for _, user := range []string{"MARCO", "AUDREY", "ALICE"} {
		assert.False(t, hasTestid(s.as(user).get("/queue").Body, "needs-grant"), user)
	}

	// Once retried, it leaves the list.
	require.Equal(t, http.StatusSeeOther, s.as("ADAM").post("/requests/"+failed+"/retry-grant", nil).Status)
	assert.False(t, hasTestid(s.as("ADAM").get("/queue").Body, "needs-grant"))
}
