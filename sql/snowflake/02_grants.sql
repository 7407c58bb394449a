-- Signoff on Snowflake, step 3 of the install: who may read what, and the
-- caller grants of the service.
--
-- Run after 01_data_model.sql, as a user who holds SIGNOFF_OWNER (the
-- installer, until 06_finish.sql) and may use SECURITYADMIN and ACCOUNTADMIN:
--   snow sql -f sql/snowflake/02_grants.sql --role ACCOUNTADMIN
-- Idempotent: a GRANT already held is a no-op.
--
-- Each line below is one privilege some role needs, and the preflight
-- (signoff doctor, deploy/preflight.sql) compares the grants of every Signoff
-- role with exactly this list: a missing grant and an extra one are both
-- failures. sql/snowflake_privileges_test.go derives what each role needs
-- from the SQL it runs and fails when a role here lacks something, or holds
-- something nothing needs.
-- The API procedures' own USAGE grants follow each procedure in 03_api.sql.

USE ROLE SIGNOFF_OWNER;

-- ============================================================================
-- SIGNOFF_APP: the running app
-- ============================================================================
-- It reads the API views (every page is one SELECT on them) on the service
-- user's connection. It holds nothing in SIGNOFF.MAIN and no DML anywhere:
-- every change is a procedure CALLed in a visitor's own session, where the
-- visitor's privileges and the caller grants below apply.
GRANT USAGE ON DATABASE SIGNOFF TO ROLE SIGNOFF_APP;
GRANT USAGE ON SCHEMA SIGNOFF.API TO ROLE SIGNOFF_APP;
GRANT SELECT ON VIEW SIGNOFF.API.DATA_PRODUCT TO ROLE SIGNOFF_APP;
GRANT SELECT ON VIEW SIGNOFF.API.APPROVAL_CHAIN TO ROLE SIGNOFF_APP;
GRANT SELECT ON VIEW SIGNOFF.API.CHAIN_POLICY TO ROLE SIGNOFF_APP;
GRANT SELECT ON VIEW SIGNOFF.API.ACCESS_REQUEST TO ROLE SIGNOFF_APP;
GRANT SELECT ON VIEW SIGNOFF.API.REQUEST_STEP TO ROLE SIGNOFF_APP;
GRANT SELECT ON VIEW SIGNOFF.API.AUDIT_LOG TO ROLE SIGNOFF_APP;

-- ============================================================================
-- Auditors (and admins, who inherit SIGNOFF_AUDITOR): the same views in SQL
-- ============================================================================
GRANT USAGE ON DATABASE SIGNOFF TO ROLE SIGNOFF_AUDITOR;
GRANT USAGE ON SCHEMA SIGNOFF.API TO ROLE SIGNOFF_AUDITOR;
GRANT SELECT ON VIEW SIGNOFF.API.DATA_PRODUCT TO ROLE SIGNOFF_AUDITOR;
GRANT SELECT ON VIEW SIGNOFF.API.APPROVAL_CHAIN TO ROLE SIGNOFF_AUDITOR;
GRANT SELECT ON VIEW SIGNOFF.API.CHAIN_POLICY TO ROLE SIGNOFF_AUDITOR;
GRANT SELECT ON VIEW SIGNOFF.API.ACCESS_REQUEST TO ROLE SIGNOFF_AUDITOR;
GRANT SELECT ON VIEW SIGNOFF.API.REQUEST_STEP TO ROLE SIGNOFF_AUDITOR;
GRANT SELECT ON VIEW SIGNOFF.API.AUDIT_LOG TO ROLE SIGNOFF_AUDITOR;
-- They (and admins, who inherit the role) also list every grant and request
-- with SQL: USAGE on SIGNOFF.API.LIST_GRANTS and LIST_REQUESTS, which
-- 03_api.sql grants right after creating them (a replaced procedure loses
-- its grants, and the procedures do not exist yet when this script runs).

-- ============================================================================
-- Everyone: the actions
-- ============================================================================
-- Any user may call the actions' procedures (03_api.sql grants USAGE on each
-- to PUBLIC), from the app or from a worksheet: a procedure takes the caller
-- and their roles from the calling session and applies every rule, so a
-- worksheet can do exactly what the app can, as the person it is. Reaching
-- a procedure needs USAGE on its database and schema; running its
-- statements needs a warehouse, the caller's (procedures use the caller's
-- warehouse), which the app names in each visitor's session.
GRANT USAGE ON DATABASE SIGNOFF TO ROLE PUBLIC;
GRANT USAGE ON SCHEMA SIGNOFF.API TO ROLE PUBLIC;
USE ROLE SYSADMIN;
GRANT USAGE ON WAREHOUSE SIGNOFF_WH TO ROLE PUBLIC;

-- ============================================================================
-- SIGNOFF.APP: the deployer's
-- ============================================================================
USE ROLE SECURITYADMIN;
GRANT OWNERSHIP ON SCHEMA SIGNOFF.APP TO ROLE SIGNOFF_DEPLOYER COPY CURRENT GRANTS;
-- The service lives in SIGNOFF.APP; its owner, SIGNOFF_APP, uses the schema.
GRANT USAGE ON SCHEMA SIGNOFF.APP TO ROLE SIGNOFF_APP;
-- Auditors read the service's logs (05_verify_audit.sql), which needs a
-- privilege on its schema besides MONITOR on the service (deploy/20_service.sql)
-- (DOCS/sql-reference/functions/spcs_get_logs).
GRANT USAGE ON SCHEMA SIGNOFF.APP TO ROLE SIGNOFF_AUDITOR;

-- ============================================================================
-- Auditors: the evidence Signoff's tables cannot hold
-- ============================================================================
-- 05_verify_audit.sql checks the audit log against the digests the service
-- keeps in Snowflake's query history, and looks in Snowflake's own records
-- for any change to the log: ACCOUNT_USAGE.QUERY_HISTORY needs the
-- SNOWFLAKE database role GOVERNANCE_VIEWER, TABLE_DML_HISTORY USAGE_VIEWER
-- (DOCS/sql-reference/snowflake-db-roles); ACCOUNTADMIN grants them. Both
-- show the whole account's history, the text of every query among it:
-- grant SIGNOFF_AUDITOR (and SIGNOFF_ADMIN, which inherits it) only to
-- people who may see that.
USE ROLE ACCOUNTADMIN;
GRANT DATABASE ROLE SNOWFLAKE.GOVERNANCE_VIEWER TO ROLE SIGNOFF_AUDITOR;
GRANT DATABASE ROLE SNOWFLAKE.USAGE_VIEWER TO ROLE SIGNOFF_AUDITOR;

-- ============================================================================
-- Caller grants: what the app may do in a visitor's session
-- ============================================================================
-- The service runs with restricted caller's rights (spcs.yaml,
-- executeAsCaller): a statement in a visitor's session must pass the
-- visitor's own privileges AND a caller grant held by the service's owner
-- role, SIGNOFF_APP (DOCS/developer-guide/restricted-callers-rights). By
-- default the service may do nothing on anyone's behalf. The app runs two
-- kinds of statement there:
--   SELECT CURRENT_USER(), IS_ROLE_IN_SESSION(?), ...   needs no caller grant
--       (SPCS tutorial 7 ran SELECT CURRENT_USER(), CURRENT_ROLE() with none);
--   CALL SIGNOFF.API.<action>(...)                      needs the four below:
--       the database, the schema, the procedures and the warehouse their
--       statements run on.
-- Nothing else: no caller grant on any table or view (the app reads on its
-- own connection), and never a GRANT MANAGEMENT or FULL MANAGEMENT caller
-- grant (the GRANT runs inside an owner's-rights procedure, with the
-- owner's privileges). Granting caller grants needs MANAGE CALLER GRANTS
-- and a privilege on each object (DOCS/sql-reference/sql/grant-caller):
-- ACCOUNTADMIN holds the first, SIGNOFF_OWNER the second, so the installer
-- grants them with both roles active.
USE ROLE ACCOUNTADMIN;
USE SECONDARY ROLES ALL;
GRANT CALLER USAGE ON DATABASE SIGNOFF TO ROLE SIGNOFF_APP;
GRANT CALLER USAGE ON SCHEMA SIGNOFF.API TO ROLE SIGNOFF_APP;
GRANT INHERITED CALLER USAGE ON ALL PROCEDURES IN SCHEMA SIGNOFF.API TO ROLE SIGNOFF_APP;
GRANT CALLER USAGE ON WAREHOUSE SIGNOFF_WH TO ROLE SIGNOFF_APP;
USE SECONDARY ROLES NONE;

-- ============================================================================
-- Notifications (docs/snowflake.md, 8)
-- ============================================================================
-- The app reads the outbox, the digest choices and who holds roles (its
-- signoff.Directory); auditors read them as every other view.
USE ROLE SIGNOFF_OWNER;
GRANT SELECT ON VIEW SIGNOFF.API.ROLE_HOLDER TO ROLE SIGNOFF_APP;
GRANT SELECT ON VIEW SIGNOFF.API.NOTIFICATION TO ROLE SIGNOFF_APP;
GRANT SELECT ON VIEW SIGNOFF.API.NOTIFY_PREFERENCE TO ROLE SIGNOFF_APP;
GRANT SELECT ON VIEW SIGNOFF.API.ROLE_HOLDER TO ROLE SIGNOFF_AUDITOR;
GRANT SELECT ON VIEW SIGNOFF.API.NOTIFICATION TO ROLE SIGNOFF_AUDITOR;
GRANT SELECT ON VIEW SIGNOFF.API.NOTIFY_PREFERENCE TO ROLE SIGNOFF_AUDITOR;
-- The directory (docs/design.md, "Manager steps"): the app reads each
-- user's manager to show a manager step before submitting and for the
-- admin page; auditors verify it against its events. Only SET_MANAGERS and
-- SET_MANAGER (03_api.sql, SIGNOFF_ADMIN) write it.
GRANT SELECT ON VIEW SIGNOFF.API.USER_MANAGER TO ROLE SIGNOFF_APP;
GRANT SELECT ON VIEW SIGNOFF.API.USER_MANAGER TO ROLE SIGNOFF_AUDITOR;
-- SIGNOFF.MAIN.ROLE_HOLDER reads ACCOUNT_USAGE's GRANTS_TO_USERS and
-- GRANTS_TO_ROLES, and SEND_NOTIFICATIONS reads USERS for e-mail addresses:
-- the SNOWFLAKE database role SECURITY_VIEWER (DOCS/sql-reference/snowflake-db-roles).
USE ROLE ACCOUNTADMIN;
GRANT DATABASE ROLE SNOWFLAKE.SECURITY_VIEWER TO ROLE SIGNOFF_OWNER;

-- ============================================================================
-- Access reviews (docs/snowflake.md, 9)
-- ============================================================================
-- The app reads the reviews, their grants and the grants' use; auditors read
-- them as every other view. SIGNOFF.MAIN.ACCESS_USAGE reads
-- ACCOUNT_USAGE.ACCESS_HISTORY: the SNOWFLAKE database role GOVERNANCE_VIEWER
-- (DOCS/sql-reference/snowflake-db-roles), for its owner only. (An account
-- whose admin prefers IMPORTED PRIVILEGES ON DATABASE SNOWFLAKE grants more:
-- every ACCOUNT_USAGE view.)
USE ROLE SIGNOFF_OWNER;
GRANT SELECT ON VIEW SIGNOFF.API.ACCESS_REVIEW TO ROLE SIGNOFF_APP;
GRANT SELECT ON VIEW SIGNOFF.API.REVIEW_ITEM TO ROLE SIGNOFF_APP;
GRANT SELECT ON VIEW SIGNOFF.API.ACCESS_USAGE TO ROLE SIGNOFF_APP;
GRANT SELECT ON VIEW SIGNOFF.API.ACCESS_REVIEW TO ROLE SIGNOFF_AUDITOR;
GRANT SELECT ON VIEW SIGNOFF.API.REVIEW_ITEM TO ROLE SIGNOFF_AUDITOR;
GRANT SELECT ON VIEW SIGNOFF.API.ACCESS_USAGE TO ROLE SIGNOFF_AUDITOR;
USE ROLE ACCOUNTADMIN;
GRANT DATABASE ROLE SNOWFLAKE.GOVERNANCE_VIEWER TO ROLE SIGNOFF_OWNER;

-- ============================================================================
-- Product versions (docs/design.md, "Product administration")
-- ============================================================================
-- The app reads a product's versions for its history; auditors read them as
-- every other view, and 05_verify_audit.sql holds them to their events.
USE ROLE SIGNOFF_OWNER;
GRANT SELECT ON VIEW SIGNOFF.API.PRODUCT_VERSION TO ROLE SIGNOFF_APP;
GRANT SELECT ON VIEW SIGNOFF.API.PRODUCT_VERSION TO ROLE SIGNOFF_AUDITOR;
