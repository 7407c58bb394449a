package sqlite_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/demo"
	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlite"
)

// TestTamperedReviews: an access review's rows and the audit log tell one
// story, which the verifier checks (sqlstore.reviewChecks). Someone who can
// write the tables edits a review's rows; each edit is reported.
func TestTamperedReviews(t *testing.T) {
	// The demo's review of sales orders, with ALICE's grant kept by OLIVIA
	// and GRACE's revoked by her.
	build := func(t *testing.T) (string, *sqlite.Store) {
		ctx := t.Context()
		path := filepath.Join(t.TempDir(), "signoff.db")
		st, err := sqlite.Open(ctx, path)
		require.NoError(t, err)
		t.Cleanup(func() { st.Close() })
		svc := signoff.NewService(st.Reads(), st)
		svc.ReviewReads, svc.ReviewEngine = st.Reads(), st
		require.NoError(t, demo.Load(ctx, st, svc, time.Now()))
		open, err := st.Reads().OpenReviews(ctx, 10)
		require.NoError(t, err)
		require.Len(t, open, 1)
		olivia, err := st.Identify(ctx, "OLIVIA")
		require.NoError(t, err)
		_, items, err := st.Reads().Review(ctx, open[0].ID, time.Now())
		require.NoError(t, err)
		for _, it := range items {
			d, note := signoff.ReviewKeep, "Monthly close."
			if it.Requester == "GRACE" {
				d, note = signoff.ReviewRevoke, "Not used."
			}
			_, err := svc.DecideReview(ctx, olivia, open[0].ID, it.RequestID, d, note)
			require.NoError(t, err)
		}
		rep, err := st.Reads().VerifyLedger(ctx, nil)
		require.NoError(t, err)
		require.Empty(t, rep.Problems, "the untouched log verifies")
		return path, st
	}
	cases := []struct {
		name, sql, field string
	}{
		{"a kept grant made revoked", `UPDATE review_item SET decision = 'REVOKE' WHERE requester = 'ALICE'`, "review "},
		{"a revoked grant made kept", `UPDATE review_item SET decision = 'KEEP' WHERE requester = 'GRACE'`, "review "},
		{"a kept grant's decider changed", `UPDATE review_item SET decided_by = 'ADAM' WHERE requester = 'ALICE'`, "details"},
		{"a kept grant undecided", `UPDATE review_item SET decision = NULL, decided_by = NULL, decided_at = NULL
			WHERE requester = 'ALICE'`, "details"},
		{"a kept grant's row deleted", `DELETE FROM review_item WHERE requester = 'ALICE'`, "details"},
		{"a complete review reopened", `UPDATE access_review SET status = 'OPEN'`, "review "},
		{"a grant added to a complete review", `INSERT INTO review_item (review_id, request_id, requester)
			SELECT review_id, (SELECT MIN(request_id) FROM access_request WHERE requester = 'BEN'), 'BEN' FROM access_review`,
			"review "},
		{"a revoked grant said to have ended by itself", `UPDATE review_item SET decision = 'ENDED' WHERE requester = 'GRACE'`, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path, st := build(t)
			db := attackerDB(t, path)
			_, err := db.ExecContext(t.Context(), c.sql)
			require.NoError(t, err, c.sql)
			rep, err := st.Reads().VerifyLedger(t.Context(), nil)
			require.NoError(t, err)
			if c.field == "" {
				// ENDED for access that did end is what an owner records for
				// a grant revoked outside the review: the revocation's event
				// stands, naming the review; the verifier cannot tell.
				assert.Empty(t, rep.Problems, "indistinguishable from a grant revoked meanwhile")
				return
			}
			require.NotEmpty(t, rep.Problems, "the edit is reported")
			found := false
			for _, p := range rep.Problems {
				if len(p.Field) >= len(c.field) && p.Field[:len(c.field)] == c.field {
					found = true
				}
			}
			assert.True(t, found, "a problem with %q: %+v", c.field, rep.Problems)
		})
	}
}
