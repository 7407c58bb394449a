package sqlite_test

import (
	"database/sql"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
)

// savedTwice is the ledger fixture with a product registered and edited by
// an admin: two versions, two PRODUCT_SAVED events.
func savedTwice(t *testing.T) *ledgerFixture {
	t.Helper()
	f := newLedgerFixture(t)
	f.svc.Products = f.st
	admin := f.who(t, "ADAM")
	d := signoff.Definition{ID: "partner-feed", Name: "Partner feed", Owner: "Partnerships", OwnerRole: "DATA_OWNER_SALES",
		Domain: "Sales", Classification: "PII", AccessRole: "PARTNER_FEED_READ", Durations: []int{30},
		Chain: []signoff.DefinitionStep{{ApproverRole: "LINE_MANAGER", Label: "Line manager"},
			{Kind: signoff.KindOwner, Label: "Owners", Quorum: 2}}}
	_, err := f.svc.SaveProduct(t.Context(), admin, d, true, 0)
	require.NoError(t, err)
	d.Name = "Partner feed (EU)"
	_, err = f.svc.SaveProduct(t.Context(), admin, d, false, 1)
	require.NoError(t, err)
	rep := f.verify(t)
	require.True(t, rep.OK(), "the log with product saves verifies: %v", rep.Problems)
	return f
}

// productKinds are the report's problems about product versions, their
// field without the product and version ("product_version partner-feed 1
// definition" → "product_version definition").
func productKinds(rep signoff.LedgerReport) []found {
	var out []found
	for _, p := range rep.Problems {
		f := found{p.Kind, p.Field}
		if fields := strings.Fields(p.Field); len(fields) == 4 && fields[0] == "product_version" {
			f.field = fields[0] + " " + fields[3]
		}
		out = append(out, f)
	}
	return out
}

// TestProductVersionTamperingIsCaught: a version row and its PRODUCT_SAVED
// event vouch for each other, so a version edited, forged or removed on
// its own, or an event removed, is reported.
func TestProductVersionTamperingIsCaught(t *testing.T) {
	cases := []struct {
		name   string
		tamper func(t *testing.T, db *sql.DB)
		want   []found
	}{
		{"edit a version's definition", func(t *testing.T, db *sql.DB) {
			mustExec(t, db, `UPDATE product_version SET definition = REPLACE(definition, 'LINE_MANAGER', 'NOBODY')
				WHERE product_id = 'partner-feed' AND version = 1`)
		}, []found{{"edited", "product_version definition"}}},
		{"edit a version's definition and its hash", func(t *testing.T, db *sql.DB) {
			mustExec(t, db, `UPDATE product_version SET definition = REPLACE(definition, 'LINE_MANAGER', 'NOBODY')
				WHERE product_id = 'partner-feed' AND version = 1`)
			var def string
			require.NoError(t, db.QueryRow(`SELECT definition FROM product_version
				WHERE product_id = 'partner-feed' AND version = 1`).Scan(&def))
			mustExec(t, db, `UPDATE product_version SET definition_hash = ? WHERE product_id = 'partner-feed' AND version = 1`,
				signoff.DefinitionHash(def))
		}, []found{{"missing", "product_version"}, {"orphan", "product_version"}}},
		{"delete a version", func(t *testing.T, db *sql.DB) {
			mustExec(t, db, `DELETE FROM product_version WHERE product_id = 'partner-feed' AND version = 2`)
		}, []found{{"missing", "product_version"}}},
		{"forge a version with no event", func(t *testing.T, db *sql.DB) {
			mustExec(t, db, `INSERT INTO product_version (product_id, version, saved_at, saved_by, definition, definition_hash,
				catalog_hash)
				SELECT product_id, 3, saved_at, saved_by, definition, definition_hash, catalog_hash FROM product_version
				WHERE product_id = 'partner-feed' AND version = 2`)
		}, []found{{"orphan", "product_version"}}},
		{"swap a saved product's access role in the catalog", func(t *testing.T, db *sql.DB) {
			mustExec(t, db, `UPDATE data_product SET access_role = 'SYSADMIN' WHERE product_id = 'partner-feed'`)
		}, []found{{"inconsistent", "catalog partner-feed"}}},
		{"drop a saved product's chain rule", func(t *testing.T, db *sql.DB) {
			mustExec(t, db, `DELETE FROM approval_chain WHERE product_id = 'partner-feed' AND step_order = 2`)
		}, []found{{"inconsistent", "catalog partner-feed"}}},
		{"swap the catalog row and its version's catalog hash", func(t *testing.T, db *sql.DB) {
			mustExec(t, db, `UPDATE data_product SET access_role = 'SYSADMIN' WHERE product_id = 'partner-feed'`)
			mustExec(t, db, `UPDATE product_version SET catalog_hash = 'forged' WHERE product_id = 'partner-feed' AND version = 2`)
		}, []found{{"missing", "product_version"}, {"orphan", "product_version"}}},
		{"say someone else saved it", func(t *testing.T, db *sql.DB) {
			mustExec(t, db, `UPDATE product_version SET saved_by = 'MALLORY' WHERE product_id = 'partner-feed' AND version = 2`)
		}, []found{{"inconsistent", "product_version saved"}}},
		{"delete a save's event and recompute the chain", func(t *testing.T, db *sql.DB) {
			mustExec(t, db, `DELETE FROM audit_log WHERE event_type = 'PRODUCT_SAVED' AND details LIKE 'version=2;%'`)
			rechain(t, db)
		}, []found{{"orphan", "product_version"}}},
		{"move a save's event onto a request", func(t *testing.T, db *sql.DB) {
			mustExec(t, db, `UPDATE audit_log SET request_id = (SELECT MIN(request_id) FROM access_request)
				WHERE event_type = 'PRODUCT_SAVED'`)
			rechain(t, db)
		}, []found{{"illegal", "request_id"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := savedTwice(t)
			tc.tamper(t, f.attacker(t))
			rep := f.verify(t)
			require.False(t, rep.OK(), "the tampering is reported")
			got := productKinds(rep)
			for _, w := range tc.want {
				assert.Contains(t, got, w, "%+v", rep.Problems)
			}
		})
	}
}
