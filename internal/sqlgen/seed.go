package sqlgen

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/signoff/signoff/internal/demo"
	"github.com/signoff/signoff/internal/signoff"
)

// LateRoles are the access roles that demo.Roles lacks: the embedded demo
// creates them only after a grant failed (demo.Load), to show GRANT_FAILED
// and its retry. The seed leaves them commented out so that a Snowflake
// account tells the same story.
func LateRoles() []string {
	known := map[string]bool{}
	for _, r := range demo.Roles {
		known[r.Name] = true
	}
	var late []string
	for _, p := range demo.Products {
		if !known[p.AccessRole] && !slices.Contains(late, p.AccessRole) {
			late = append(late, p.AccessRole)
		}
	}
	return late
}

// ident returns name if it is a valid identifier, for use unquoted in SQL.
func ident(what, name string) (string, error) {
	if !signoff.ValidIdentifier(name) {
		return "", fmt.Errorf("%s %q is not a valid identifier", what, name)
	}
	return name, nil
}

// comment makes s safe inside a -- comment.
func comment(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// Seed renders sql/snowflake/04_seed.sql from internal/demo, so that a
// Snowflake account tells the demo story the embedded engine tells. It fails
// if a name it would write unquoted is not a valid identifier.
func Seed() (string, error) {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }

	accessRoles := map[string]bool{}
	for _, p := range demo.Products {
		accessRoles[p.AccessRole] = true
	}
	createdBy00 := map[string]bool{signoff.RoleAdmin: true, signoff.RoleAuditor: true}

	w(`-- Signoff on Snowflake: the demo story's catalog and roles (internal/demo).
--
-- GENERATED from internal/demo by internal/sqlgen; do not edit.
-- After changing the demo, run: make generate (go generate ./...)
--
-- Run after 00 to 03, as the installing user, who holds SIGNOFF_OWNER until
-- 06_finish.sql and may use USERADMIN (creates the roles) and SECURITYADMIN
-- (transfers the access roles to SIGNOFF_OWNER):
--   snow sql -f sql/snowflake/04_seed.sql --role ACCOUNTADMIN
-- Idempotent: roles are CREATE ... IF NOT EXISTS, grants are no-ops when
-- held, and the catalog rows of the demo products (only those) are merged and
-- their chains replaced in one transaction.
--
-- Not here, on purpose:
--   * users: a real account has its own (commented examples at the end);
--   * requests: they are made through the app, which audits them;
--   * SIGNOFF_ADMIN and SIGNOFF_AUDITOR: 00_roles.sql creates them.
-- TAGS and PRODUCT_COLUMNS hold the JSON text the embedded engine stores
-- (encoding/json of []string and []signoff.Column).

-- ============================================================================
-- Roles (USERADMIN creates, and so owns, them)
-- ============================================================================

USE ROLE USERADMIN;

`)
	for _, r := range demo.Roles {
		name, err := ident("role", r.Name)
		if err != nil {
			return "", err
		}
		if !createdBy00[name] {
			w("CREATE ROLE IF NOT EXISTS %s COMMENT = %s;\n", name, SQLString(r.Comment))
		}
	}
	late := LateRoles()
	for _, p := range demo.Products {
		if !slices.Contains(late, p.AccessRole) {
			continue
		}
		name, err := ident("access role of "+p.ID, p.AccessRole)
		if err != nil {
			return "", err
		}
		w("\n-- %s is left out, as in the embedded demo: the first approved request for\n", name)
		w("-- %s ends GRANT_FAILED (\"Role ... does not exist or not authorized\").\n", p.ID)
		w("-- Then create it (and transfer it below), and retry the grant in the app:\n")
		w("-- CREATE ROLE IF NOT EXISTS %s COMMENT = %s;\n", name, SQLString("Access role: "+p.Name))
	}
	w("\n-- Hierarchy: the grantee inherits the role.\n")
	for _, h := range demo.Hierarchy {
		role, err := ident("role", h.Role)
		if err != nil {
			return "", err
		}
		grantee, err := ident("role", h.Grantee)
		if err != nil {
			return "", err
		}
		w("GRANT ROLE %s TO ROLE %s;\n", role, grantee)
	}

	w(`
-- ============================================================================
-- Access roles: owned by SIGNOFF_OWNER
-- ============================================================================
-- The grant path (GRANT_REQUEST in 03_api.sql) may grant a role only because
-- SIGNOFF_OWNER owns it: GRANT ROLE needs OWNERSHIP of the role or MANAGE
-- GRANTS (DOCS/sql-reference/sql/grant-role), and owning exactly the access
-- roles lets the procedures grant those and nothing else.
-- SECURITYADMIN transfers ownership: its MANAGE GRANTS covers any role, also
-- once USERADMIN no longer owns it (re-runs), and satisfies the GRANT
-- OWNERSHIP check of bundle 2026_07 (DOCS/release-notes/bcr-bundles/2026_07/
-- bcr-2395). COPY CURRENT GRANTS keeps the role's existing grants
-- (DOCS/sql-reference/sql/grant-ownership). When you add a product, transfer
-- its access role the same way.
-- In a real account, also give each access role the privileges on its
-- product's objects (as their owner), for example:
--   GRANT USAGE ON DATABASE SALES TO ROLE SALES_ORDERS_READ;
--   GRANT USAGE ON SCHEMA SALES.CURATED TO ROLE SALES_ORDERS_READ;
--   GRANT SELECT ON VIEW SALES.CURATED.ORDER_LINES TO ROLE SALES_ORDERS_READ;

USE ROLE SECURITYADMIN;

`)
	for _, r := range demo.Roles {
		if accessRoles[r.Name] {
			w("GRANT OWNERSHIP ON ROLE %s TO ROLE SIGNOFF_OWNER COPY CURRENT GRANTS;\n", r.Name)
		}
	}
	for _, name := range late {
		w("-- GRANT OWNERSHIP ON ROLE %s TO ROLE SIGNOFF_OWNER COPY CURRENT GRANTS;\n", name)
	}

	w(`
-- ============================================================================
-- Catalog: DATA_PRODUCT and APPROVAL_CHAIN (SIGNOFF_OWNER owns the tables)
-- ============================================================================

USE ROLE SIGNOFF_OWNER;
USE WAREHOUSE SIGNOFF_WH;

BEGIN TRANSACTION;

MERGE INTO SIGNOFF.MAIN.DATA_PRODUCT t
USING (
`)
	var ids []string
	for i, p := range demo.Products {
		for what, role := range map[string]string{"owner role": p.OwnerRole, "access role": p.AccessRole} {
			if _, err := ident(what+" of "+p.ID, role); err != nil {
				return "", err
			}
		}
		tags, err := json.Marshal(nonNil(p.Tags))
		if err != nil {
			return "", err
		}
		cols, err := json.Marshal(nonNil(p.Columns))
		if err != nil {
			return "", err
		}
		if i > 0 {
			w("    UNION ALL\n")
		}
		w("    SELECT %s AS PRODUCT_ID,\n", SQLString(p.ID))
		w("           %s AS NAME,\n", SQLString(p.Name))
		w("           %s AS DESCRIPTION,\n", SQLString(p.Description))
		w("           %s AS OWNER,\n", SQLString(p.Owner))
		w("           %s AS OWNER_ROLE,\n", SQLString(p.OwnerRole))
		w("           %s AS DOMAIN,\n", SQLString(p.Domain))
		w("           %s AS CLASSIFICATION,\n", SQLString(p.Classification))
		w("           %s AS TAGS,\n", SQLString(string(tags)))
		w("           %s AS PRODUCT_COLUMNS,\n", SQLString(string(cols)))
		w("           %s AS ACCESS_ROLE\n", SQLString(p.AccessRole))
		ids = append(ids, SQLString(p.ID))
	}
	w(`) s
ON t.PRODUCT_ID = s.PRODUCT_ID
WHEN MATCHED THEN UPDATE SET
    NAME = s.NAME, DESCRIPTION = s.DESCRIPTION, OWNER = s.OWNER, OWNER_ROLE = s.OWNER_ROLE,
    DOMAIN = s.DOMAIN, CLASSIFICATION = s.CLASSIFICATION, TAGS = s.TAGS,
    PRODUCT_COLUMNS = s.PRODUCT_COLUMNS, ACCESS_ROLE = s.ACCESS_ROLE
WHEN NOT MATCHED THEN INSERT
    (PRODUCT_ID, NAME, DESCRIPTION, OWNER, OWNER_ROLE, DOMAIN, CLASSIFICATION, TAGS,
     PRODUCT_COLUMNS, ACCESS_ROLE, CREATED_AT)
VALUES
    (s.PRODUCT_ID, s.NAME, s.DESCRIPTION, s.OWNER, s.OWNER_ROLE, s.DOMAIN, s.CLASSIFICATION, s.TAGS,
     s.PRODUCT_COLUMNS, s.ACCESS_ROLE, SYSDATE());

-- The chains of the demo products, replaced as a whole. Requests in flight
-- keep the chain they copied when they were submitted.
DELETE FROM SIGNOFF.MAIN.APPROVAL_CHAIN
WHERE PRODUCT_ID IN (
`)
	for i, id := range ids {
		sep := ","
		if i == len(ids)-1 {
			sep = ""
		}
		w("    %s%s\n", id, sep)
	}
	w(");\n\nINSERT INTO SIGNOFF.MAIN.APPROVAL_CHAIN (PRODUCT_ID, STEP_ORDER, APPROVER_ROLE, STEP_LABEL) VALUES\n")
	var rows []string
	for _, p := range demo.Products {
		for i, s := range p.Chain {
			role, err := ident("approver role of "+p.ID, s.ApproverRole)
			if err != nil {
				return "", err
			}
			rows = append(rows, fmt.Sprintf("    (%s, %d, %s, %s)", SQLString(p.ID), i+1, SQLString(role), SQLString(s.Label)))
		}
	}
	w("%s;\n\nCOMMIT;\n", strings.Join(rows, ",\n"))

	w(`
-- ============================================================================
-- Users (not created here)
-- ============================================================================
-- The demo's personas and their roles, for an account that wants to play the
-- story with its own users (run as USERADMIN or SECURITYADMIN). The app reads
-- a user's roles with IS_ROLE_IN_SESSION in their caller's-rights session,
-- which holds the default role and the default secondary roles, so give each
-- user DEFAULT_SECONDARY_ROLES = ('ALL') (the default since bundle 2024_08).
-- Users also need the endpoint's service role (deploy/). Names are quoted,
-- as the procedures quote them: a user created as "jane.doe@acme.com" is
-- named exactly so.
--
`)
	for _, u := range demo.Users {
		name, err := ident("user", u.Name)
		if err != nil {
			return "", err
		}
		w("-- %s: %s, %s\n", name, comment(u.Display), comment(u.Title))
		roles := slices.Clone(u.Roles)
		if len(roles) == 0 {
			w("--   (no roles)\n")
		}
		for _, r := range roles {
			role, err := ident("role of "+u.Name, r)
			if err != nil {
				return "", err
			}
			w("--   GRANT ROLE %s TO USER %s;\n", role, name)
		}
		w("--   ALTER USER %s SET DEFAULT_SECONDARY_ROLES = ('ALL');\n", name)
	}
	return b.String(), nil
}

// nonNil makes a nil slice empty, so that it is written as the JSON [] the
// embedded engine stores, not null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
