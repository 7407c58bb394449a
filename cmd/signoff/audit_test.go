package main

import (
	"bytes"
	"database/sql"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/ncruces/go-sqlite3/driver"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/demo"
	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlite"
)

// demoFile writes the demo into a fresh database file and returns its path.
func demoFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "signoff.db")
	st, err := sqlite.Open(t.Context(), path)
	require.NoError(t, err)
	require.NoError(t, demo.Load(t.Context(), st, signoff.NewService(st.Reads(), st), time.Now()))
	require.NoError(t, st.Close())
	return path
}

// tamper opens the file as an attacker with write access to it would: the
// append-only triggers are dropped first, then the statements run.
func tamper(t *testing.T, path string, statements ...string) {
	t.Helper()
	db, err := sql.Open("sqlite3", (&url.URL{Scheme: "file", Opaque: path}).String())
	require.NoError(t, err)
	defer db.Close()
	for _, q := range append([]string{`DROP TRIGGER audit_log_no_update`, `DROP TRIGGER audit_log_no_delete`}, statements...) {
		_, err := db.ExecContext(t.Context(), q)
		require.NoError(t, err, q)
	}
}

func verify(t *testing.T, path string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(t.Context(), append([]string{"audit", "verify", "--db", path}, args...), env(nil), &out, &errOut)
	return out.String(), err
}

func digest(t *testing.T, path string, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	require.NoError(t, run(t.Context(), append([]string{"audit", "digest", "--db", path}, args...), env(nil), &out, &errOut))
	return out.String()
}

// TestAuditVerifyCatchesTampering shows `signoff audit verify` passing on an
// untouched log and reporting tampering, and `signoff audit digest` pinning
// the log so that a careful rewrite is caught too. (The full matrix of
// tampering is internal/sqlite's TestTamperingIsCaught.)
func TestAuditVerifyCatchesTampering(t *testing.T) {
	t.Parallel()
	path := demoFile(t)
	out, err := verify(t, path)
	require.NoError(t, err)
	assert.Regexp(t, `^audit log verified: \d+ events in 12 requests`, out)
	assert.Contains(t, out, "no digests in "+path+".digests: the log was checked against itself only")

	line := digest(t, path)
	assert.Regexp(t, `^SIGNOFF-DIGEST v1 n=\d+ h=[0-9a-f]{64} t=\S+\n$`, line)
	assert.Contains(t, digest(t, path), "no new digest", "the head is recorded already")
	out, err = verify(t, path)
	require.NoError(t, err)
	assert.Contains(t, out, "1 digest(s) in "+path+".digests")
	assert.Contains(t, out, "0 disagree with the log")

	// A row of a request with several events: BEN's HR headcount request
	// (submitted, two approvals) is the demo's longest open chain.
	const ben = `(SELECT request_id FROM access_request WHERE requester = 'BEN' AND product_id = 'hr-headcount')`
	cases := []struct {
		name, kind string
		statements []string
	}{
		{"an edited comment", "edited", []string{
			`UPDATE audit_log SET comment = 'Approved, no questions asked.' WHERE request_id = ` + ben + ` AND event_type = 'STEP_APPROVED' AND step_order = 2`}},
		{"an edited actor", "edited", []string{
			`UPDATE audit_log SET actor = 'MALLORY' WHERE request_id = ` + ben + ` AND event_type = 'REQUEST_SUBMITTED'`}},
		{"a deleted event", "missing", []string{
			`DELETE FROM audit_log WHERE request_id = ` + ben + ` AND event_type = 'STEP_APPROVED' AND step_order = 1`}},
		{"a whole request's trail deleted", "missing", []string{
			`DELETE FROM audit_log WHERE request_id = ` + ben}},
		{"the newest event deleted, which the digest recorded", "digest", []string{
			`DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)`}},
		{"an event forged with the wrong link", "reordered", []string{
			`UPDATE audit_log SET prev_hash = 'forged' WHERE seq = 3`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := demoFile(t)
			digest(t, path)
			tamper(t, path, tc.statements...)
			out, err := verify(t, path)
			require.ErrorIs(t, err, errNotVerified)
			assert.Contains(t, out, "audit log DOES NOT VERIFY")
			assert.Contains(t, out, ": "+tc.kind+": ", "reported as %s", tc.kind)
		})
	}

	t.Run("a digest file elsewhere", func(t *testing.T) {
		t.Parallel()
		path := demoFile(t)
		elsewhere := filepath.Join(t.TempDir(), "anchored.digests")
		digest(t, path, "--digests", elsewhere)
		tamper(t, path, `DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)`)
		out, err := verify(t, path)
		require.ErrorIs(t, err, errNotVerified, "the log is inconsistent on its own too")
		assert.NotContains(t, out, ": digest: ", "the default digest file holds nothing")
		out, err = verify(t, path, "--digests", elsewhere)
		require.ErrorIs(t, err, errNotVerified)
		assert.Contains(t, out, ": digest: ")
		assert.Contains(t, out, "1 disagree with the log")
	})
}

func TestAuditVerifyUsage(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	require.ErrorIs(t, run(t.Context(), []string{"audit"}, env(nil), &out, &errOut), errUsage)
	assert.Contains(t, errOut.String(), "signoff audit verify")
	err := run(t.Context(), []string{"audit", "verify", "--db", filepath.Join(t.TempDir(), "missing.db")}, env(nil), &out, &errOut)
	require.Error(t, err, "a missing file is an error, not an empty log")
	assert.NotErrorIs(t, err, errNotVerified)
}
