package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/signoff/signoff/internal/signoff"
)

// Catalog administration's SQL (signoff/products.go): the checks and
// writes of a product save, one text for both engines, as actions.go's.
// The embedded engine runs them in a SQLite transaction
// (internal/sqlite/products.go); Snowflake's SAVE_PRODUCT and SET_CHAIN
// procedures embed them (03_api.sql). A save is: LockSubmissions (so saves
// take turns with each other and with submissions, which copy the chain),
// CheckSaveProduct, InsertProduct or UpdateProduct, DeleteChain and one
// InsertChainStep per rule, InsertVersion, and the PRODUCT_SAVED event
// (AppendEvent, with no request) whose details pin the version's hash.
// Requests in flight keep the steps they copied at submit.

// CheckSaveProduct decides whether :actor may save :product_id: an admin
// (:is_admin, from the caller's session), a new product (:is_new) whose ID
// is free, or an existing one still at the version the caller read
// (:base_version; 0 for a product never saved through Signoff). On
// Snowflake :access_role_owned says whether SIGNOFF_OWNER owns the access
// role (without it the grant would fail); the embedded engine's local
// account can grant any role. version is the version the save writes.
const CheckSaveProduct = `
WITH p AS (SELECT COUNT(*) AS n FROM main.data_product WHERE product_id = :product_id),
     v AS (SELECT COALESCE(MAX(version), 0) AS version FROM main.product_version WHERE product_id = :product_id)
SELECT CASE
           ` + identityUnavailable + `
           WHEN NOT :is_admin THEN 'NOT_ADMIN'
           WHEN :is_new AND p.n > 0 THEN 'PRODUCT_EXISTS'
           WHEN NOT :is_new AND p.n = 0 THEN 'PRODUCT_NOT_FOUND'
           WHEN p.n > 1 THEN 'DUPLICATE_ID'
           WHEN NOT :is_new AND v.version <> :base_version THEN 'STALE_VERSION'
           WHEN NOT :access_role_owned THEN 'ACCESS_ROLE_NOT_OWNED'
           ELSE 'OK'
       END AS code,
       :actor AS actor, :product_id AS product_id, :name AS product_name, v.version + 1 AS version
FROM p CROSS JOIN v`

// InsertProduct registers a new product, with how its access is reviewed
// (the object whose use reviews show, the schedule, the idle threshold);
// it affects one row, none if the ID was taken meanwhile.
const InsertProduct = `
INSERT INTO main.data_product (product_id, name, description, owner, owner_role, domain, classification, tags,
                               product_columns, access_role, created_at, durations, pending_days, fallback_role,
                               extension_steps, object_name, review_days, idle_days)
SELECT :product_id, :name, :description, :owner, :owner_role, :domain, :classification, :tags, :product_columns,
       :access_role, :now_ts, :durations, NULLIF(:pending_days, 0), NULLIF(:fallback_role, ''), :extension_steps,
       NULLIF(:object_name, ''), NULLIF(:review_days, 0), NULLIF(:idle_days, 0)
WHERE NOT EXISTS (SELECT 1 FROM main.data_product WHERE product_id = :product_id)`

// UpdateProduct writes an existing product's fields; it affects one row.
const UpdateProduct = `
UPDATE main.data_product
SET name = :name, description = :description, owner = :owner, owner_role = :owner_role, domain = :domain,
    classification = :classification, tags = :tags, product_columns = :product_columns,
    access_role = :access_role, durations = :durations, pending_days = NULLIF(:pending_days, 0),
    fallback_role = NULLIF(:fallback_role, ''), extension_steps = :extension_steps,
    object_name = NULLIF(:object_name, ''), review_days = NULLIF(:review_days, 0), idle_days = NULLIF(:idle_days, 0)
WHERE product_id = :product_id`

// DeleteChain removes a product's chain rules before the new ones are
// written. Requests keep their copies (request_step).
const DeleteChain = `DELETE FROM main.approval_chain WHERE product_id = :product_id`

// InsertChainStep writes rule :step_no of the product's chain; it affects
// one row.
const InsertChainStep = `
INSERT INTO main.approval_chain (product_id, step_order, approver_role, step_label, deadline_hours, fallback_role,
                                 step_kind, when_tag, quorum)
SELECT :product_id, :step_no, :approver_role, :step_label, NULLIF(:deadline_hours, 0), NULLIF(:step_fallback_role, ''),
       :step_kind, NULLIF(:when_tag, ''), :quorum`

// InsertVersion keeps the whole definition as version :version, with its
// hash (SHA2 of the text: Snowflake's function, and a Go function on the
// embedded engine) and the hash of the catalog rows the save just wrote
// (CatalogFingerprint), so the verifier can tell a catalog row changed
// since; nothing if the version exists (standard tables enforce no key),
// so it must affect one row.
var InsertVersion = `
INSERT INTO main.product_version (product_id, version, saved_at, saved_by, definition, definition_hash, catalog_hash)
SELECT :product_id, :version, :now_ts, :actor, :definition, SHA2(:definition, 256),
       (SELECT SHA2(cf.fingerprint, 256) FROM (` + CatalogFingerprint("main.") + `) cf WHERE cf.product_id = :product_id)
WHERE NOT EXISTS (SELECT 1 FROM main.product_version WHERE product_id = :product_id AND version = :version)`

// VersionDetails is SQL for the details of a version's PRODUCT_SAVED event,
// over a product_version row: its number and both its hashes.
const VersionDetails = `'version=' || CAST(version AS VARCHAR) || ';sha256=' || definition_hash || ';catalog=' || catalog_hash`

// SelectVersionHash is the details of the PRODUCT_SAVED event of the
// version InsertVersion stored (VersionDetails).
const SelectVersionHash = `
SELECT MAX(` + VersionDetails + `) AS details FROM main.product_version
WHERE product_id = :product_id AND version = :version`

// CatalogFingerprint is SQL yielding (product_id, fingerprint) for every
// product: its catalog row and chain rules as one text, each value
// length-prefixed as the chain snapshot's (StepsSnapshot), the rules one
// position at a time up to signoff.MaxChainSteps. A save stores its hash
// with the version; the verifier recomputes it for each product's latest
// version, so a catalog row or rule changed behind the app's back (an
// access role swapped, a step dropped) is reported. prefix is "main." for
// the procedures' tables, "" for the verifier, which reads the API views.
func CatalogFingerprint(prefix string) string {
	lp := func(expr string) string {
		return "CAST(LENGTH(" + expr + ") AS VARCHAR) || ':' || " + expr
	}
	fields := []string{"p.name", "p.description", "p.owner", "p.owner_role", "p.domain", "p.classification", "p.tags",
		"p.product_columns", "p.access_role", "p.durations", "CAST(COALESCE(p.pending_days, 0) AS VARCHAR)",
		"COALESCE(p.fallback_role, '')", "p.extension_steps", "COALESCE(p.object_name, '')",
		"CAST(COALESCE(p.review_days, 0) AS VARCHAR)", "CAST(COALESCE(p.idle_days, 0) AS VARCHAR)"}
	var parts []string
	for _, f := range fields {
		parts = append(parts, lp(f))
	}
	row := strings.Join(parts, " || ")
	var rules []string
	for k := 1; k <= signoff.MaxChainSteps; k++ {
		rule := []string{"c.approver_role", "c.step_label", "CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR)",
			"COALESCE(c.fallback_role, '')", "c.step_kind", "COALESCE(c.when_tag, '')", "CAST(c.quorum AS VARCHAR)"}
		var ps []string
		for _, f := range rule {
			ps = append(ps, lp(f))
		}
		rules = append(rules, fmt.Sprintf("COALESCE(MAX(CASE WHEN c.step_order = %d THEN %s END), '')", k, strings.Join(ps, " || ")))
	}
	return `SELECT p.product_id, MAX(` + row + `) || '|' || CAST(COUNT(c.step_order) AS VARCHAR) || '|' ||
       ` + strings.Join(rules, " ||\n       ") + ` AS fingerprint
FROM ` + prefix + `data_product p LEFT JOIN ` + prefix + `approval_chain c ON c.product_id = p.product_id
GROUP BY p.product_id`
}

// SelectProductVersions reads a product's versions, newest first.
var SelectProductVersions = `
SELECT product_id, version, saved_at, saved_by, definition, definition_hash
FROM product_version WHERE product_id = ? ORDER BY version DESC` + limit(signoff.MaxVersions)

// ProductVersions returns a product's versions, newest first.
func (s *Store) ProductVersions(ctx context.Context, productID string) ([]signoff.ProductVersion, error) {
	rows, err := s.q.QueryContext(ctx, SelectProductVersions, productID)
	if err != nil {
		return nil, s.errorf(err, "product %q versions", productID)
	}
	defer rows.Close()
	var out []signoff.ProductVersion
	for rows.Next() {
		var v signoff.ProductVersion
		var at sql.NullTime
		var def, hash sql.NullString
		if err := rows.Scan(&v.ProductID, &v.Version, &at, &v.SavedBy, &def, &hash); err != nil {
			return nil, s.errorf(err, "product %q versions", productID)
		}
		v.SavedAt, v.Definition, v.Hash = at.Time.UTC(), def.String, hash.String
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, s.errorf(err, "product %q versions", productID)
	}
	return out, nil
}

// ProductVars are the named values the save's statements bind for d: the
// same names the SAVE_PRODUCT procedure's variables have.
func ProductVars(d signoff.Definition) (map[string]any, error) {
	tags, err := jsonText(d.Tags)
	if err != nil {
		return nil, err
	}
	cols, err := jsonText(d.Columns)
	if err != nil {
		return nil, err
	}
	ext := "ALL"
	if d.ExtendLastStep {
		ext = "LAST"
	}
	return map[string]any{"product_id": d.ID, "name": d.Name, "description": d.Description, "owner": d.Owner,
		"owner_role": d.OwnerRole, "domain": d.Domain, "classification": d.Classification, "tags": tags,
		"product_columns": cols, "access_role": d.AccessRole, "durations": signoff.FormatDurations(d.Durations),
		"pending_days": d.PendingDays, "fallback_role": d.FallbackRole, "extension_steps": ext,
		"object_name": d.SourceObject, "review_days": d.ReviewDays, "idle_days": d.IdleDays,
		"definition": d.JSON()}, nil
}

// StepVars are the named values InsertChainStep binds for rule i (0-based).
func StepVars(st signoff.DefinitionStep, i int) map[string]any {
	return map[string]any{"step_no": i + 1, "approver_role": st.ApproverRole, "step_label": st.Label,
		"deadline_hours": st.DeadlineHours, "step_fallback_role": st.FallbackRole, "step_kind": string(st.Kind),
		"when_tag": st.WhenTag, "quorum": st.Quorum}
}

// jsonText is v as the catalog's JSON columns hold it.
func jsonText(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode: %w", err)
	}
	return string(b), nil
}

// ForgetCatalog drops the catalog's kept answers (the products, the roles
// that key chains): a save this process made shows on its next page.
// Other instances see it when their answers expire (--catalog-cache).
func (s *Store) ForgetCatalog() {
	s.products.Forget()
	s.approverRoles.Forget()
}
