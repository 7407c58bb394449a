-- Signoff on Snowflake: roles, least-privilege grants, and the three procedures
-- the app calls (SIGNOFF_APPLY, GRANT_PRODUCT_ACCESS, REVOKE_PRODUCT_ACCESS).
--
-- Run it after 01_data_model.sql and before 03_seed.sql, as a user who may
-- assume the roles it names with USE ROLE:
--   USERADMIN           creates the roles and their hierarchy (it owns them);
--   SECURITYADMIN       grants account-level privileges (MANAGE GRANTS);
--   ACCOUNTADMIN        creates the compute pool (CREATE COMPUTE POOL is an
--                       account privilege that only ACCOUNTADMIN holds by default);
--   SYSADMIN            owns the database, its tables and views (01 runs as
--                       SYSADMIN), the warehouse and the image repository, so it
--                       grants privileges on them; it also creates SIGNOFF_APPLY;
--   SIGNOFF_GRANT_OWNER creates and owns the two owner's-rights procedures.
--                       Nobody is granted this role directly; an admin assumes
--                       it through SYSADMIN (see "Roles" below) to (re)deploy.
--
-- Idempotent: safe to re-run. CREATE ... IF NOT EXISTS leaves existing objects
-- alone, GRANT of a privilege already held is a no-op, and the procedures are
-- CREATE OR REPLACE. CREATE OR REPLACE drops the grants on the replaced object
-- (until behaviour-change bundle 2026_08 makes COPY GRANTS the default;
-- DOCS/release-notes/bcr-bundles/2026_08/bcr-2433), so every procedure's USAGE
-- grant follows its CREATE and is re-run with it.
--
-- DOCS = https://docs.snowflake.com/en. Nothing here has been run against a
-- real account yet; the lines marked "VERIFY" are checks an admin must make on
-- a real account before relying on it.

-- ============================================================================
-- Roles
-- ============================================================================
-- SIGNOFF_APP          the SPCS service's owner role: the service user runs as
--                      this role and nothing else. The app's only role.
-- SIGNOFF_GRANT_OWNER  owns the grant procedures and every product access role.
--                      It holds OWNERSHIP of each access role rather than the
--                      account-wide MANAGE GRANTS: GRANT ROLE r TO USER u needs
--                      one of the two (DOCS/sql-reference/sql/grant-role), and
--                      ownership of exactly the access roles lets the procedures
--                      grant those roles and nothing else, where MANAGE GRANTS
--                      would let them grant any privilege in the account.
-- SIGNOFF_ADMIN        people who administer Signoff in the app (revoke, retry).
-- SIGNOFF_AUDITOR      people who read everything in the app, and the read-only
--                      views below in SQL.
-- The app recognises SIGNOFF_ADMIN and SIGNOFF_AUDITOR with IS_ROLE_IN_SESSION
-- in the user's caller's-rights session: grant them to users (or to their roles).
--
-- SIGNOFF_APP and SIGNOFF_GRANT_OWNER are granted to SYSADMIN, following
-- Snowflake's advice that every custom role that owns objects roll up to
-- SYSADMIN (DOCS/user-guide/security-access-control-considerations): otherwise
-- the objects they own (the service; the procedures and access roles) are out
-- of reach of the administrators. Ownership of a role is not membership of it:
-- SYSADMIN users do not receive the access roles' data privileges. The people
-- roles are NOT granted to SYSADMIN, so that being a platform administrator does
-- not silently make someone a Signoff admin or auditor.

USE ROLE USERADMIN;

CREATE ROLE IF NOT EXISTS SIGNOFF_APP
    COMMENT = 'Signoff service owner role: the app''s only role. Never holds MANAGE GRANTS.';
CREATE ROLE IF NOT EXISTS SIGNOFF_GRANT_OWNER
    COMMENT = 'Owns Signoff''s owner''s-rights grant procedures and the product access roles. Nobody logs in as it.';
CREATE ROLE IF NOT EXISTS SIGNOFF_ADMIN
    COMMENT = 'Signoff admins: revoke access, retry failed grants, read the audit log (in the app)';
CREATE ROLE IF NOT EXISTS SIGNOFF_AUDITOR
    COMMENT = 'Signoff auditors: read every request and the audit log (in the app and in the read-only views)';

GRANT ROLE SIGNOFF_APP TO ROLE SYSADMIN;
GRANT ROLE SIGNOFF_GRANT_OWNER TO ROLE SYSADMIN;

-- ============================================================================
-- Compute: warehouse, image repository, compute pool
-- ============================================================================
-- Created here because the grants below name them; deploy/ uses these names.
-- IF NOT EXISTS keeps an existing object (and its settings) as it is.

USE ROLE SYSADMIN;

CREATE WAREHOUSE IF NOT EXISTS SIGNOFF_WH
    WAREHOUSE_SIZE = XSMALL
    AUTO_SUSPEND = 60
    AUTO_RESUME = TRUE
    INITIALLY_SUSPENDED = TRUE
    COMMENT = 'Signoff: the service''s queries and procedure calls';

CREATE IMAGE REPOSITORY IF NOT EXISTS SIGNOFF.APP.REPO;

USE ROLE ACCOUNTADMIN;

-- DOCS/sql-reference/sql/create-compute-pool (INITIALLY_SUSPENDED: no cost
-- until the service starts; AUTO_RESUME starts it for CREATE SERVICE).
CREATE COMPUTE POOL IF NOT EXISTS SIGNOFF_POOL
    MIN_NODES = 1
    MAX_NODES = 1
    INSTANCE_FAMILY = CPU_X64_XS
    AUTO_RESUME = TRUE
    INITIALLY_SUSPENDED = TRUE
    AUTO_SUSPEND_SECS = 3600
    COMMENT = 'Signoff service';

-- ============================================================================
-- SIGNOFF_APP: what the service may do
-- ============================================================================
-- Account level (SECURITYADMIN holds MANAGE GRANTS and may grant these).
-- BIND SERVICE ENDPOINT: required to create a service with a public endpoint.
-- USAGE on the compute pool: required to create the service in it.
-- (DOCS/sql-reference/sql/create-service, access control requirements.)

USE ROLE SECURITYADMIN;

GRANT BIND SERVICE ENDPOINT ON ACCOUNT TO ROLE SIGNOFF_APP;
GRANT USAGE ON COMPUTE POOL SIGNOFF_POOL TO ROLE SIGNOFF_APP;

-- Objects owned by SYSADMIN.
USE ROLE SYSADMIN;

GRANT USAGE ON DATABASE SIGNOFF TO ROLE SIGNOFF_APP;
GRANT USAGE ON SCHEMA SIGNOFF.APP TO ROLE SIGNOFF_APP;
GRANT USAGE ON WAREHOUSE SIGNOFF_WH TO ROLE SIGNOFF_APP;

-- The catalog is read-only for the app: admins maintain DATA_PRODUCT and
-- APPROVAL_CHAIN in SQL as the tables' owner (SYSADMIN; see 03_seed.sql).
GRANT SELECT ON TABLE SIGNOFF.APP.DATA_PRODUCT TO ROLE SIGNOFF_APP;
GRANT SELECT ON TABLE SIGNOFF.APP.APPROVAL_CHAIN TO ROLE SIGNOFF_APP;

-- Workflow state: compare-and-set UPDATEs and INSERTs, never DELETE.
GRANT SELECT, INSERT, UPDATE ON TABLE SIGNOFF.APP.ACCESS_REQUEST TO ROLE SIGNOFF_APP;
GRANT SELECT, INSERT, UPDATE ON TABLE SIGNOFF.APP.REQUEST_STEP TO ROLE SIGNOFF_APP;

-- Promise 5: the audit log is append-only for the app. No UPDATE, no DELETE,
-- no TRUNCATE, no OWNERSHIP. (The table's owner, SYSADMIN, could still change
-- it; that is an administrator's act, visible in ACCESS_HISTORY.)
GRANT SELECT, INSERT ON TABLE SIGNOFF.APP.AUDIT_LOG TO ROLE SIGNOFF_APP;

-- SPCS: the service is created by (and owned by) SIGNOFF_APP.
-- CREATE SERVICE on the schema; READ on the image repository to pull the image
-- (READ, not USAGE: DOCS/sql-reference/sql/create-service lists READ on the
-- repository, and Snowflake's samples grant READ ON IMAGE REPOSITORY to the
-- service's owner role). The specification stage and the session-key secret,
-- and SIGNOFF_APP's READ on them, are deploy/10_account_objects.sql's.
GRANT CREATE SERVICE ON SCHEMA SIGNOFF.APP TO ROLE SIGNOFF_APP;
GRANT READ ON IMAGE REPOSITORY SIGNOFF.APP.REPO TO ROLE SIGNOFF_APP;

-- Not granted, on purpose: MANAGE GRANTS (or any other account-wide grant
-- privilege), OWNERSHIP of any table, procedure or role, DELETE or TRUNCATE on
-- anything, and no role is granted to SIGNOFF_APP. The only way the app can
-- cause a GRANT is CALL GRANT_PRODUCT_ACCESS, whose guards it cannot bypass.

-- ============================================================================
-- Caller grants (restricted caller's rights)
-- ============================================================================
-- With executeAsCaller, every statement on a user's caller's-rights connection
-- must pass the user's own privileges AND a caller grant held by the service's
-- owner role, SIGNOFF_APP (DOCS/developer-guide/restricted-callers-rights). The
-- app runs exactly one kind of statement there, to learn who the user is:
--     SELECT CURRENT_USER(), IS_ROLE_IN_SESSION(?), IS_ROLE_IN_SESSION(?), ...
-- It touches no table, view, procedure or stage, so it needs no caller grant on
-- any object: Snowflake's tutorial (SPCS tutorial 7, caller's rights) ran
-- SELECT CURRENT_USER(), CURRENT_ROLE() with no caller grants at all. Context
-- functions run in the cloud-services layer, so no warehouse is needed either,
-- and this script grants NO caller grants: a caller grant only whitelists what
-- the user may already do, and none is needed for what the app does.
-- The store must open the caller's-rights connection without a database,
-- schema or warehouse (they would be resolved with the user's privileges).
--
-- VERIFY on a real account: sign in through the endpoint as a user with no
-- default warehouse and open any page. If the identity query fails with
-- "No active warehouse selected" (or a caller-grant error naming the
-- warehouse), the fallback is, run by a role with MANAGE CALLER GRANTS
-- (ACCOUNTADMIN by default; DOCS/sql-reference/sql/grant-caller):
--     GRANT CALLER USAGE ON WAREHOUSE SIGNOFF_WH TO ROLE SIGNOFF_APP;
-- plus USAGE ON WAREHOUSE SIGNOFF_WH for the users' roles, and the store
-- setting that warehouse on the caller's-rights connection (a caller session
-- may change its warehouse, not its role). Grant nothing else: in particular
-- never CALLER GRANT MANAGEMENT / FULL MANAGEMENT (GRANT ROLE from a caller's
-- session), and no caller grant on the workflow tables.
-- `SHOW CALLER GRANTS TO ROLE SIGNOFF_APP;` must list nothing else.

-- ============================================================================
-- People: no privilege on the workflow tables
-- ============================================================================
-- Users get no privilege on DATA_PRODUCT, APPROVAL_CHAIN, ACCESS_REQUEST,
-- REQUEST_STEP or AUDIT_LOG: all workflow state is written by the service role
-- only, or a worksheet could bypass the app. To reach the app, users need the
-- service role of the endpoint (deploy/ grants it once the service exists).
-- Auditors may read the secure views that 01_data_model.sql defines (with
-- their own warehouse).

GRANT USAGE ON DATABASE SIGNOFF TO ROLE SIGNOFF_AUDITOR;
GRANT USAGE ON SCHEMA SIGNOFF.APP TO ROLE SIGNOFF_AUDITOR;
GRANT SELECT ON VIEW SIGNOFF.APP.AUDIT_TRAIL TO ROLE SIGNOFF_AUDITOR;
GRANT SELECT ON VIEW SIGNOFF.APP.REQUEST_OVERVIEW TO ROLE SIGNOFF_AUDITOR;
GRANT SELECT ON VIEW SIGNOFF.APP.REQUEST_DECISIONS TO ROLE SIGNOFF_AUDITOR;

-- ============================================================================
-- SIGNOFF_GRANT_OWNER: what the owner's-rights procedures need
-- ============================================================================
-- Owner's-rights procedures run with the owner's privileges (and the caller's
-- warehouse): DOCS/developer-guide/stored-procedure/stored-procedures-rights.
-- They read the request, its decision record and the product, mark the request
-- GRANTED / GRANT_FAILED / REVOKED and append one audit event. OWNERSHIP of the
-- access roles is transferred to SIGNOFF_GRANT_OWNER by 03_seed.sql (and by
-- admins when they add a product; see there). CREATE PROCEDURE lets it create
-- its two procedures itself (below): they are never, not even for a moment
-- after a CREATE OR REPLACE, owner's-rights procedures owned by a broader role,
-- and a re-run needs no ownership transfer.

GRANT USAGE ON DATABASE SIGNOFF TO ROLE SIGNOFF_GRANT_OWNER;
GRANT USAGE ON SCHEMA SIGNOFF.APP TO ROLE SIGNOFF_GRANT_OWNER;
GRANT CREATE PROCEDURE ON SCHEMA SIGNOFF.APP TO ROLE SIGNOFF_GRANT_OWNER;
GRANT SELECT ON TABLE SIGNOFF.APP.DATA_PRODUCT TO ROLE SIGNOFF_GRANT_OWNER;
GRANT SELECT ON TABLE SIGNOFF.APP.REQUEST_STEP TO ROLE SIGNOFF_GRANT_OWNER;
GRANT SELECT, UPDATE ON TABLE SIGNOFF.APP.ACCESS_REQUEST TO ROLE SIGNOFF_GRANT_OWNER;
GRANT INSERT ON TABLE SIGNOFF.APP.AUDIT_LOG TO ROLE SIGNOFF_GRANT_OWNER;

-- ============================================================================
-- SIGNOFF_APPLY(BATCH VARCHAR) RETURNS VARCHAR -- caller's rights
-- ============================================================================
-- The app's one-round-trip transaction runner. BATCH is a JSON array of
--     {"sql": "...", "binds": [...], "want": N}
-- where want is the exact number of rows the statement must affect (-1: any).
-- It runs BEGIN TRANSACTION, then each statement with its binds, and checks
-- getNumRowsAffected() against want:
--   all match        -> COMMIT, returns 'OK'
--   statement i not  -> ROLLBACK, returns 'CONFLICT:<i>' (0-based index): a
--                       compare-and-set that lost a race; nothing was changed
--   any error        -> ROLLBACK, and the error is thrown on to the caller
--                       (a CALL error whose message carries Snowflake's)
-- Before anything runs, the whole batch is checked and refused (thrown, nothing
-- run) unless every statement is an INSERT INTO ACCESS_REQUEST, REQUEST_STEP or
-- AUDIT_LOG, or an UPDATE of ACCESS_REQUEST or REQUEST_STEP (optionally
-- qualified SIGNOFF.APP.), a single statement with no ';', whose binds are
-- strings, finite numbers or null. Timestamps arrive as strings
-- 'YYYY-MM-DD HH24:MI:SS.FF6' (UTC) and are cast implicitly by the
-- TIMESTAMP_NTZ columns. Unqualified table names resolve in the caller's
-- session schema (the service connects to SIGNOFF.APP).
--
-- EXECUTE AS CALLER is the point: the procedure runs with the app role's own
-- privileges, so it adds none (the statement filter is defence in depth, not
-- the control), and the app role needs to own nothing: no owner's-rights
-- writer, no table ownership. The procedure is owned by SYSADMIN (its
-- ownership grants nothing when it runs).
-- API: DOCS/sql-reference/stored-procedures-api (snowflake.createStatement
-- ({sqlText, binds}), Statement.execute(), Statement.getNumRowsAffected(),
-- snowflake.execute()); transactions inside procedures:
-- DOCS/sql-reference/transactions ("Transactions and stored procedures").
-- VERIFY: a null element of binds binds SQL NULL; JS numbers bind into
-- INTEGER columns and comparisons; getNumRowsAffected() of INSERT ... SELECT
-- counts the inserted rows.

USE ROLE SYSADMIN;

CREATE OR REPLACE PROCEDURE SIGNOFF.APP.SIGNOFF_APPLY(BATCH VARCHAR)
RETURNS VARCHAR
LANGUAGE JAVASCRIPT
COMMENT = 'Signoff: runs a batch of INSERT/UPDATE statements on the workflow tables in one transaction (caller''s rights)'
EXECUTE AS CALLER
AS
$$
// Only INSERT INTO the three writable tables, or UPDATE of the two mutable
// ones; AUDIT_LOG takes inserts only. Whitespace is spelled out (not \s) so
// that the pattern means the same in Go, where a test exercises it.
var ALLOWED = /^[ \t\r\n]*(?:INSERT[ \t\r\n]+INTO[ \t\r\n]+(?:SIGNOFF\.APP\.)?(?:ACCESS_REQUEST|REQUEST_STEP|AUDIT_LOG)[ \t\r\n(]|UPDATE[ \t\r\n]+(?:SIGNOFF\.APP\.)?(?:ACCESS_REQUEST|REQUEST_STEP)[ \t\r\n])/i;
var MAX_STATEMENTS = 100;
var MAX_SQL_CHARS = 20000;

function refuse(msg) {
    throw new Error('SIGNOFF_APPLY refused the batch: ' + msg);
}

if (typeof BATCH !== 'string') {
    refuse('BATCH is null');
}
var batch;
try {
    batch = JSON.parse(BATCH);
} catch (e) {
    refuse('BATCH is not JSON: ' + e.message);
}
if (!Array.isArray(batch) || batch.length === 0 || batch.length > MAX_STATEMENTS) {
    refuse('BATCH must be a JSON array of 1 to ' + MAX_STATEMENTS + ' statements');
}
for (var i = 0; i < batch.length; i++) {
    var s = batch[i];
    if (s === null || typeof s !== 'object' || Array.isArray(s)) {
        refuse('statement ' + i + ' is not an object');
    }
    if (typeof s.sql !== 'string' || s.sql.length > MAX_SQL_CHARS) {
        refuse('statement ' + i + ' has no sql text, or too long a one');
    }
    if (s.sql.indexOf(';') >= 0 || !ALLOWED.test(s.sql)) {
        refuse('statement ' + i + ' is not a single INSERT or UPDATE of a Signoff workflow table');
    }
    if (s.binds === undefined || s.binds === null) {
        s.binds = [];
    }
    if (!Array.isArray(s.binds)) {
        refuse('statement ' + i + ': binds is not an array');
    }
    for (var j = 0; j < s.binds.length; j++) {
        var b = s.binds[j];
        var ok = b === null || typeof b === 'string' || (typeof b === 'number' && isFinite(b));
        if (!ok) {
            refuse('statement ' + i + ': bind ' + j + ' is not a string, a finite number or null');
        }
    }
    if (typeof s.want !== 'number' || !Number.isInteger(s.want) || s.want < -1) {
        refuse('statement ' + i + ': want must be an integer >= -1');
    }
}

snowflake.execute({sqlText: 'BEGIN TRANSACTION'});
try {
    for (var k = 0; k < batch.length; k++) {
        var cmd = {sqlText: batch[k].sql};
        if (batch[k].binds.length > 0) {
            cmd.binds = batch[k].binds;
        }
        var stmt = snowflake.createStatement(cmd);
        stmt.execute();
        var n = stmt.getNumRowsAffected();
        if (batch[k].want >= 0 && n !== batch[k].want) {
            snowflake.execute({sqlText: 'ROLLBACK'});
            return 'CONFLICT:' + k;
        }
    }
    snowflake.execute({sqlText: 'COMMIT'});
    return 'OK';
} catch (err) {
    try {
        snowflake.execute({sqlText: 'ROLLBACK'});
    } catch (ignored) {
        // The original error is the one worth reporting.
    }
    throw err;
}
$$;

GRANT USAGE ON PROCEDURE SIGNOFF.APP.SIGNOFF_APPLY(VARCHAR) TO ROLE SIGNOFF_APP;

-- ============================================================================
-- AUDIT_HASH: the audit log's hash chain, as Snowflake computes it
-- ============================================================================
-- Each request's events form a hash chain (internal/signoff/chain.go):
--   HASH = SHA2(PREV_HASH || canonical(event), 256), lowercase hex,
-- where canonical(event) writes each field as '<length in characters>:<value>'
-- in the order below, NULL as '', the time as 'YYYY-MM-DD HH24:MI:SS.FF6' (UTC)
-- and STEP_ORDER and SEQ in decimal. The app computes the same bytes in Go for
-- the events it writes; the grant procedures call this function for theirs,
-- and 04_verify_audit.sql uses it to check the whole log in SQL.
-- VERIFY on a real account: TO_CHAR(.., 'FF6') truncates like Go's .000000.
CREATE OR REPLACE FUNCTION SIGNOFF.APP.AUDIT_HASH(
    PREV_HASH VARCHAR, EVENT_ID VARCHAR, EVENT_TIME TIMESTAMP_NTZ, REQUEST_ID VARCHAR, PRODUCT_ID VARCHAR,
    ACTOR VARCHAR, ACTOR_ROLE VARCHAR, EVENT_TYPE VARCHAR, STEP_ORDER INTEGER, DECISION VARCHAR,
    COMMENT VARCHAR, DETAILS VARCHAR, SEQ INTEGER)
RETURNS VARCHAR
LANGUAGE SQL
COMMENT = 'Signoff: the hash of one audit event in its request''s chain'
AS
$$
    SHA2(
        COALESCE(PREV_HASH, '')
        || LENGTH(COALESCE(EVENT_ID, '')) || ':' || COALESCE(EVENT_ID, '')
        || LENGTH(COALESCE(TO_CHAR(EVENT_TIME, 'YYYY-MM-DD HH24:MI:SS.FF6'), '')) || ':'
           || COALESCE(TO_CHAR(EVENT_TIME, 'YYYY-MM-DD HH24:MI:SS.FF6'), '')
        || LENGTH(COALESCE(REQUEST_ID, '')) || ':' || COALESCE(REQUEST_ID, '')
        || LENGTH(COALESCE(PRODUCT_ID, '')) || ':' || COALESCE(PRODUCT_ID, '')
        || LENGTH(COALESCE(ACTOR, '')) || ':' || COALESCE(ACTOR, '')
        || LENGTH(COALESCE(ACTOR_ROLE, '')) || ':' || COALESCE(ACTOR_ROLE, '')
        || LENGTH(COALESCE(EVENT_TYPE, '')) || ':' || COALESCE(EVENT_TYPE, '')
        || LENGTH(COALESCE(TO_VARCHAR(STEP_ORDER), '')) || ':' || COALESCE(TO_VARCHAR(STEP_ORDER), '')
        || LENGTH(COALESCE(DECISION, '')) || ':' || COALESCE(DECISION, '')
        || LENGTH(COALESCE(COMMENT, '')) || ':' || COALESCE(COMMENT, '')
        || LENGTH(COALESCE(DETAILS, '')) || ':' || COALESCE(DETAILS, '')
        || LENGTH(COALESCE(TO_VARCHAR(SEQ), '')) || ':' || COALESCE(TO_VARCHAR(SEQ), ''),
        256)
$$;

-- The grant procedures' owner computes hashes; auditors and admins verify.
GRANT USAGE ON FUNCTION SIGNOFF.APP.AUDIT_HASH(VARCHAR, VARCHAR, TIMESTAMP_NTZ, VARCHAR, VARCHAR, VARCHAR, VARCHAR, VARCHAR, INTEGER, VARCHAR, VARCHAR, VARCHAR, INTEGER) TO ROLE SIGNOFF_GRANT_OWNER;
GRANT USAGE ON FUNCTION SIGNOFF.APP.AUDIT_HASH(VARCHAR, VARCHAR, TIMESTAMP_NTZ, VARCHAR, VARCHAR, VARCHAR, VARCHAR, VARCHAR, INTEGER, VARCHAR, VARCHAR, VARCHAR, INTEGER) TO ROLE SIGNOFF_AUDITOR;
GRANT USAGE ON FUNCTION SIGNOFF.APP.AUDIT_HASH(VARCHAR, VARCHAR, TIMESTAMP_NTZ, VARCHAR, VARCHAR, VARCHAR, VARCHAR, VARCHAR, INTEGER, VARCHAR, VARCHAR, VARCHAR, INTEGER) TO ROLE SIGNOFF_ADMIN;

-- ============================================================================
-- The grant path: owner's-rights procedures owned by SIGNOFF_GRANT_OWNER
-- ============================================================================
-- Both take the request's ID and who triggered the call (recorded as data on
-- the audit event; the app decides who may trigger it). The role and the
-- grantee are never parameters: they are read from DATA_PRODUCT.ACCESS_ROLE
-- and ACCESS_REQUEST.REQUESTER, checked against the strict identifier pattern
-- ^[A-Za-z_][A-Za-z0-9_$]{0,254}$ (the app's signoff.ValidIdentifier) with
-- RLIKE, and bound with IDENTIFIER(:variable): never concatenated into SQL.
-- IDENTIFIER() takes a Snowflake Scripting variable directly
-- (DOCS/sql-reference/identifier-literal: "string_literal | session_variable |
-- bind_variable | snowflake_scripting_variable"), so the GRANT is a static
-- statement and no EXECUTE IMMEDIATE is needed; public code uses exactly
-- GRANT ROLE IDENTIFIER(:r) TO USER IDENTIFIER(:u) in Scripting procedures.
--
-- GRANT and REVOKE are DDL: each runs as its own transaction and commits any
-- open one (DOCS/sql-reference/transactions, "DDL"). So neither ever runs
-- inside a transaction here; the state change and its audit event are one
-- explicit transaction after it. The procedures must be CALLed with no
-- transaction open (autocommit), which is how the app calls them.
-- SQLROWCOUNT is read right after each UPDATE: since bundle 2025_01 it is NULL
-- once another (non-DML) statement has run
-- (DOCS/developer-guide/snowflake-scripting/dml-status).
-- SELECT ... INTO must return exactly one row (DOCS/sql-reference/constructs/into),
-- so every lookup is an aggregate, which always does; counting also catches
-- duplicate IDs, which standard tables do not prevent (promise 3).
-- Errors other than a refused GRANT roll back any open transaction and are
-- raised to the caller: nothing is recorded and the request stays visibly
-- APPROVED (or GRANTED, for a revocation), retryable.

USE ROLE SIGNOFF_GRANT_OWNER;

-- GRANT_PRODUCT_ACCESS(REQUEST_ID, ACTOR, ACTOR_ROLE, EVENT_ID) RETURNS VARCHAR
-- The grant path of promise 1, with the guards of internal/sqlite/grant.go:
--   'NOT_FOUND'                       no such request
--   'CONFLICT: request is <STATUS>'   not APPROVED or GRANT_FAILED; nothing done
--   'CONFLICT: request id is not unique' (corrupt data; nothing done)
--   'GRANT_FAILED'                    the decision record does not verify
--                                     ('decision record does not verify: ...'),
--                                     the product has no single access role, a
--                                     name is not a valid identifier, or the
--                                     GRANT itself failed (DETAILS = SQLERRM):
--                                     marked GRANT_FAILED with a GRANT_FAILED
--                                     audit event, never left APPROVED (promise 4)
--   'GRANTED'                         granted, marked GRANTED, ACCESS_GRANTED
--                                     event with DETAILS 'GRANT ROLE r TO USER u'
--   'CONFLICT: granted concurrently'  another call recorded the outcome first
--                                     (the GRANT ran twice, which is harmless);
--                                     no second audit event
-- Order: verify, GRANT (commits on its own), then one transaction:
-- UPDATE ... WHERE STATUS IN ('APPROVED','GRANT_FAILED') (compare-and-set),
-- INSERT the audit event, COMMIT. A crash between the GRANT and the COMMIT
-- leaves the request APPROVED with the role held: visible, and a retry
-- re-verifies, re-grants harmlessly and records GRANTED.
-- Idempotent: a retry after GRANT_FAILED runs every guard again.
-- Stricter than the embedded engine in two places, both recorded as
-- GRANT_FAILED: steps must be numbered 1..STEP_COUNT once each (the embedded
-- engine's primary key guarantees that; here nothing does), and an invalid
-- access role or requester name (the catalog is edited in SQL here) is a
-- recorded refusal rather than an engine error.

CREATE OR REPLACE PROCEDURE SIGNOFF.APP.GRANT_PRODUCT_ACCESS(
    REQUEST_ID VARCHAR, ACTOR VARCHAR, ACTOR_ROLE VARCHAR, EVENT_ID VARCHAR)
RETURNS VARCHAR
LANGUAGE SQL
COMMENT = 'Signoff: grants an approved request''s access role to its requester after re-verifying the decision record'
EXECUTE AS OWNER
AS
$$
DECLARE
    missing_argument EXCEPTION (-20001, 'GRANT_PRODUCT_ACCESS: REQUEST_ID, ACTOR and EVENT_ID are required');
    n_requests     INTEGER DEFAULT 0;
    v_status       VARCHAR;
    v_requester    VARCHAR;
    v_steps        INTEGER;
    v_product      VARCHAR;
    n_roles        INTEGER DEFAULT 0;
    v_role         VARCHAR;
    n_decisions    INTEGER DEFAULT 0;
    n_orders       INTEGER DEFAULT 0;
    min_order      INTEGER;
    max_order      INTEGER;
    n_not_approved INTEGER DEFAULT 0;
    n_by_requester INTEGER DEFAULT 0;
    n_decided      INTEGER DEFAULT 0;
    n_deciders     INTEGER DEFAULT 0;
    role_ok        BOOLEAN DEFAULT FALSE;
    user_ok        BOOLEAN DEFAULT FALSE;
    problems       VARCHAR DEFAULT '';
    refusal        VARCHAR DEFAULT '';
    v_details      VARCHAR DEFAULT '';
    rows_changed   INTEGER DEFAULT 0;
    in_txn         BOOLEAN DEFAULT FALSE;
BEGIN
    IF (REQUEST_ID IS NULL OR ACTOR IS NULL OR EVENT_ID IS NULL) THEN
        RAISE missing_argument;
    END IF;

    -- The request.
    SELECT COUNT(*), MAX(r.STATUS), MAX(r.REQUESTER), MAX(r.STEP_COUNT), MAX(r.PRODUCT_ID)
      INTO :n_requests, :v_status, :v_requester, :v_steps, :v_product
      FROM SIGNOFF.APP.ACCESS_REQUEST r
     WHERE r.REQUEST_ID = :REQUEST_ID;
    IF (n_requests = 0) THEN
        RETURN 'NOT_FOUND';
    END IF;
    IF (n_requests > 1) THEN
        RETURN 'CONFLICT: request id is not unique';
    END IF;
    IF (v_status <> 'APPROVED' AND v_status <> 'GRANT_FAILED') THEN
        RETURN 'CONFLICT: request is ' || v_status;
    END IF;

    -- The decision record: every step of the chain approved, once each, by
    -- distinct users, none of them the requester.
    SELECT COUNT(*), COUNT(DISTINCT s.STEP_ORDER), MIN(s.STEP_ORDER), MAX(s.STEP_ORDER),
           COUNT_IF(s.DECISION IS DISTINCT FROM 'APPROVED'),
           COUNT_IF(s.DECIDED_BY = :v_requester),
           COUNT(s.DECIDED_BY), COUNT(DISTINCT s.DECIDED_BY)
      INTO :n_decisions, :n_orders, :min_order, :max_order,
           :n_not_approved, :n_by_requester, :n_decided, :n_deciders
      FROM SIGNOFF.APP.REQUEST_STEP s
     WHERE s.REQUEST_ID = :REQUEST_ID;
    IF (n_decisions <> v_steps) THEN
        problems := problems || IFF(problems = '', '', '; ') || n_decisions || ' decisions recorded for ' || v_steps || ' steps';
    END IF;
    IF (n_orders <> n_decisions OR COALESCE(min_order, 0) <> 1 OR COALESCE(max_order, 0) <> v_steps) THEN
        problems := problems || IFF(problems = '', '', '; ') || 'steps are not numbered 1 to ' || v_steps || ' once each';
    END IF;
    IF (n_not_approved > 0) THEN
        problems := problems || IFF(problems = '', '', '; ') || n_not_approved || ' step(s) not approved';
    END IF;
    IF (n_by_requester > 0) THEN
        problems := problems || IFF(problems = '', '', '; ') || 'a step was decided by the requester';
    END IF;
    IF (n_decided < n_decisions) THEN
        problems := problems || IFF(problems = '', '', '; ') || 'a step has no decider';
    END IF;
    IF (n_deciders < n_decided) THEN
        problems := problems || IFF(problems = '', '', '; ') || 'a user decided more than one step';
    END IF;
    IF (problems <> '') THEN
        refusal := 'decision record does not verify: ' || problems;
    END IF;

    -- The role and the grantee, from the tables, checked before use.
    SELECT COUNT(DISTINCT p.ACCESS_ROLE), MAX(p.ACCESS_ROLE)
      INTO :n_roles, :v_role
      FROM SIGNOFF.APP.DATA_PRODUCT p
     WHERE p.PRODUCT_ID = :v_product;
    SELECT COALESCE(:v_role RLIKE '^[A-Za-z_][A-Za-z0-9_$]{0,254}$', FALSE),
           COALESCE(:v_requester RLIKE '^[A-Za-z_][A-Za-z0-9_$]{0,254}$', FALSE)
      INTO :role_ok, :user_ok;
    IF (refusal = '' AND n_roles <> 1) THEN
        refusal := 'product ' || COALESCE(v_product, '?') || ' has no single access role';
    END IF;
    IF (refusal = '' AND NOT role_ok) THEN
        refusal := 'access role ' || COALESCE(v_role, '?') || ' is not a valid identifier';
    END IF;
    IF (refusal = '' AND NOT user_ok) THEN
        refusal := 'requester ' || COALESCE(v_requester, '?') || ' is not a valid identifier';
    END IF;

    -- The GRANT: DDL, so outside any transaction. A refusal by Snowflake (no
    -- such role or user, the role not owned by SIGNOFF_GRANT_OWNER, ...)
    -- becomes GRANT_FAILED with Snowflake's message.
    IF (refusal = '') THEN
        BEGIN
            GRANT ROLE IDENTIFIER(:v_role) TO USER IDENTIFIER(:v_requester);
        EXCEPTION
            WHEN OTHER THEN
                refusal := COALESCE(NULLIF(SQLERRM, ''), 'GRANT failed with SQLCODE ' || SQLCODE);
        END;
    END IF;

    -- The outcome and its audit event, atomically (promise 4).
    BEGIN TRANSACTION;
    in_txn := TRUE;
    IF (refusal = '') THEN
        UPDATE SIGNOFF.APP.ACCESS_REQUEST
           SET STATUS = 'GRANTED', UPDATED_AT = SYSDATE()
         WHERE REQUEST_ID = :REQUEST_ID AND STATUS IN ('APPROVED', 'GRANT_FAILED');
        rows_changed := SQLROWCOUNT;
        IF (rows_changed <> 1) THEN
            ROLLBACK;
            in_txn := FALSE;
            RETURN 'CONFLICT: granted concurrently';
        END IF;
        v_details := 'GRANT ROLE ' || v_role || ' TO USER ' || v_requester;
        INSERT INTO SIGNOFF.APP.AUDIT_LOG (EVENT_ID, EVENT_TIME, REQUEST_ID, PRODUCT_ID, ACTOR, ACTOR_ROLE,
                                   EVENT_TYPE, STEP_ORDER, DECISION, COMMENT, DETAILS, SEQ, PREV_HASH, HASH)
    -- Appended at the head of the request's hash chain; the compare-and-set
    -- UPDATE just above holds the request, so no other link can slip in.
    WITH head AS (
        SELECT COALESCE(MAX(SEQ), 0) AS SEQ, COALESCE(MAX_BY(HASH, SEQ), '') AS HASH
          FROM SIGNOFF.APP.AUDIT_LOG WHERE REQUEST_ID = :REQUEST_ID),
    ev AS (
        SELECT :EVENT_ID AS EVENT_ID, SYSDATE() AS EVENT_TIME, :REQUEST_ID AS REQUEST_ID, :v_product AS PRODUCT_ID,
               :ACTOR AS ACTOR, NULLIF(:ACTOR_ROLE, '') AS ACTOR_ROLE, 'ACCESS_GRANTED' AS EVENT_TYPE,
               NULL::INTEGER AS STEP_ORDER, NULL::VARCHAR AS DECISION, NULL::VARCHAR AS COMMENT,
               :v_details AS DETAILS, head.SEQ + 1 AS SEQ, head.HASH AS PREV_HASH
          FROM head)
    SELECT EVENT_ID, EVENT_TIME, REQUEST_ID, PRODUCT_ID, ACTOR, ACTOR_ROLE, EVENT_TYPE, STEP_ORDER, DECISION,
           COMMENT, DETAILS, SEQ, PREV_HASH,
           SIGNOFF.APP.AUDIT_HASH(PREV_HASH, EVENT_ID, EVENT_TIME, REQUEST_ID, PRODUCT_ID, ACTOR, ACTOR_ROLE,
                                  EVENT_TYPE, STEP_ORDER, DECISION, COMMENT, DETAILS, SEQ)
      FROM ev;
        COMMIT;
        in_txn := FALSE;
        RETURN 'GRANTED';
    END IF;
    UPDATE SIGNOFF.APP.ACCESS_REQUEST
       SET STATUS = 'GRANT_FAILED', UPDATED_AT = SYSDATE()
     WHERE REQUEST_ID = :REQUEST_ID AND STATUS IN ('APPROVED', 'GRANT_FAILED');
    rows_changed := SQLROWCOUNT;
    IF (rows_changed <> 1) THEN
        ROLLBACK;
        in_txn := FALSE;
        RETURN 'CONFLICT: granted concurrently';
    END IF;
    INSERT INTO SIGNOFF.APP.AUDIT_LOG (EVENT_ID, EVENT_TIME, REQUEST_ID, PRODUCT_ID, ACTOR, ACTOR_ROLE,
                                   EVENT_TYPE, STEP_ORDER, DECISION, COMMENT, DETAILS, SEQ, PREV_HASH, HASH)
    -- Appended at the head of the request's hash chain; the compare-and-set
    -- UPDATE just above holds the request, so no other link can slip in.
    WITH head AS (
        SELECT COALESCE(MAX(SEQ), 0) AS SEQ, COALESCE(MAX_BY(HASH, SEQ), '') AS HASH
          FROM SIGNOFF.APP.AUDIT_LOG WHERE REQUEST_ID = :REQUEST_ID),
    ev AS (
        SELECT :EVENT_ID AS EVENT_ID, SYSDATE() AS EVENT_TIME, :REQUEST_ID AS REQUEST_ID, :v_product AS PRODUCT_ID,
               :ACTOR AS ACTOR, NULLIF(:ACTOR_ROLE, '') AS ACTOR_ROLE, 'GRANT_FAILED' AS EVENT_TYPE,
               NULL::INTEGER AS STEP_ORDER, NULL::VARCHAR AS DECISION, NULL::VARCHAR AS COMMENT,
               :refusal AS DETAILS, head.SEQ + 1 AS SEQ, head.HASH AS PREV_HASH
          FROM head)
    SELECT EVENT_ID, EVENT_TIME, REQUEST_ID, PRODUCT_ID, ACTOR, ACTOR_ROLE, EVENT_TYPE, STEP_ORDER, DECISION,
           COMMENT, DETAILS, SEQ, PREV_HASH,
           SIGNOFF.APP.AUDIT_HASH(PREV_HASH, EVENT_ID, EVENT_TIME, REQUEST_ID, PRODUCT_ID, ACTOR, ACTOR_ROLE,
                                  EVENT_TYPE, STEP_ORDER, DECISION, COMMENT, DETAILS, SEQ)
      FROM ev;
    COMMIT;
    in_txn := FALSE;
    RETURN 'GRANT_FAILED';
EXCEPTION
    WHEN OTHER THEN
        IF (in_txn) THEN
            ROLLBACK;
        END IF;
        RAISE;
END;
$$;

GRANT USAGE ON PROCEDURE SIGNOFF.APP.GRANT_PRODUCT_ACCESS(VARCHAR, VARCHAR, VARCHAR, VARCHAR) TO ROLE SIGNOFF_APP;

-- REVOKE_PRODUCT_ACCESS(REQUEST_ID, ACTOR, ACTOR_ROLE, REASON, EVENT_ID) RETURNS VARCHAR
--   'NOT_FOUND'                          no such request
--   'CONFLICT: request is <STATUS>'      not GRANTED; nothing done
--   'CONFLICT: request id is not unique' (corrupt data; nothing done)
--   'CONFLICT: revoked concurrently'     another call marked it REVOKED first
--                                        (the role is revoked either way); no
--                                        second audit event
--   'REVOKED'                            marked REVOKED with an ACCESS_REVOKED
--                                        event (COMMENT = REASON, DETAILS
--                                        'REVOKE ROLE r FROM USER u')
--   raised error                         the product has no single access role,
--                                        a name is not a valid identifier, or
--                                        the REVOKE failed: nothing changed, the
--                                        request stays GRANTED, retryable
-- The role is kept when another of the user's GRANTED requests (for another
-- product with the same access role) still justifies it: the embedded
-- engine's revokeRole rule. The audit DETAILS are the same either way, as in
-- the embedded engine.
--
-- Order: REVOKE first, then mark REVOKED (one transaction with the event).
--   * If the REVOKE fails, nothing has been recorded: the request is still
--     GRANTED, the caller gets Snowflake's error, and a retry is possible. The
--     other order would commit REVOKED and then fail to revoke, leaving a
--     record that says "revoked" while the user keeps the access, with no
--     state left from which the app could retry.
--   * If the procedure dies between the REVOKE and the COMMIT, the user has
--     less access than the record says (GRANTED): the safe direction, visible
--     to the user, and a retry completes it (REVOKE of a role not held is
--     harmless).
--   * Checking "does another GRANTED request justify the role?" before
--     marking leaves one race: two of the user's requests for the same role
--     revoked at the same moment could each see the other still GRANTED and
--     both keep the role. So the check runs again after the COMMIT and revokes
--     then if nothing justifies the role any more; if that late REVOKE fails,
--     the error is raised (the request is correctly REVOKED; the leftover role
--     is reported, not hidden).
--   * Known, accepted: a revocation racing a grant of another request for the
--     same role to the same user can remove the role that grant just gave
--     (less access than recorded; the user reports it, an admin re-grants).

CREATE OR REPLACE PROCEDURE SIGNOFF.APP.REVOKE_PRODUCT_ACCESS(
    REQUEST_ID VARCHAR, ACTOR VARCHAR, ACTOR_ROLE VARCHAR, REASON VARCHAR, EVENT_ID VARCHAR)
RETURNS VARCHAR
LANGUAGE SQL
COMMENT = 'Signoff: revokes a granted request''s access role from its requester and marks it REVOKED'
EXECUTE AS OWNER
AS
$$
DECLARE
    missing_argument EXCEPTION (-20001, 'REVOKE_PRODUCT_ACCESS: REQUEST_ID, ACTOR and EVENT_ID are required');
    no_single_role   EXCEPTION (-20002, 'REVOKE_PRODUCT_ACCESS: the product has no single access role; nothing was changed');
    invalid_name     EXCEPTION (-20003, 'REVOKE_PRODUCT_ACCESS: the access role or the requester is not a valid identifier; nothing was changed');
    n_requests   INTEGER DEFAULT 0;
    v_status     VARCHAR;
    v_requester  VARCHAR;
    v_product    VARCHAR;
    n_roles      INTEGER DEFAULT 0;
    v_role       VARCHAR;
    role_ok      BOOLEAN DEFAULT FALSE;
    user_ok      BOOLEAN DEFAULT FALSE;
    n_justifying INTEGER DEFAULT 0;
    revoked      BOOLEAN DEFAULT FALSE;
    v_details    VARCHAR DEFAULT '';
    rows_changed INTEGER DEFAULT 0;
    in_txn       BOOLEAN DEFAULT FALSE;
BEGIN
    IF (REQUEST_ID IS NULL OR ACTOR IS NULL OR EVENT_ID IS NULL) THEN
        RAISE missing_argument;
    END IF;

    SELECT COUNT(*), MAX(r.STATUS), MAX(r.REQUESTER), MAX(r.PRODUCT_ID)
      INTO :n_requests, :v_status, :v_requester, :v_product
      FROM SIGNOFF.APP.ACCESS_REQUEST r
     WHERE r.REQUEST_ID = :REQUEST_ID;
    IF (n_requests = 0) THEN
        RETURN 'NOT_FOUND';
    END IF;
    IF (n_requests > 1) THEN
        RETURN 'CONFLICT: request id is not unique';
    END IF;
    IF (v_status <> 'GRANTED') THEN
        RETURN 'CONFLICT: request is ' || v_status;
    END IF;

    SELECT COUNT(DISTINCT p.ACCESS_ROLE), MAX(p.ACCESS_ROLE)
      INTO :n_roles, :v_role
      FROM SIGNOFF.APP.DATA_PRODUCT p
     WHERE p.PRODUCT_ID = :v_product;
    IF (n_roles <> 1) THEN
        RAISE no_single_role;
    END IF;
    SELECT COALESCE(:v_role RLIKE '^[A-Za-z_][A-Za-z0-9_$]{0,254}$', FALSE),
           COALESCE(:v_requester RLIKE '^[A-Za-z_][A-Za-z0-9_$]{0,254}$', FALSE)
      INTO :role_ok, :user_ok;
    IF (NOT role_ok OR NOT user_ok) THEN
        RAISE invalid_name;
    END IF;

    -- Does another of the user's GRANTED requests still justify the role?
    SELECT COUNT(*)
      INTO :n_justifying
      FROM SIGNOFF.APP.ACCESS_REQUEST r
      JOIN SIGNOFF.APP.DATA_PRODUCT p ON p.PRODUCT_ID = r.PRODUCT_ID
     WHERE r.REQUESTER = :v_requester AND p.ACCESS_ROLE = :v_role
       AND r.STATUS = 'GRANTED' AND r.REQUEST_ID <> :REQUEST_ID;
    IF (n_justifying = 0) THEN
        -- DDL, outside any transaction; an error propagates with nothing changed.
        REVOKE ROLE IDENTIFIER(:v_role) FROM USER IDENTIFIER(:v_requester);
        revoked := TRUE;
    END IF;

    BEGIN TRANSACTION;
    in_txn := TRUE;
    UPDATE SIGNOFF.APP.ACCESS_REQUEST
       SET STATUS = 'REVOKED', UPDATED_AT = SYSDATE()
     WHERE REQUEST_ID = :REQUEST_ID AND STATUS = 'GRANTED';
    rows_changed := SQLROWCOUNT;
    IF (rows_changed <> 1) THEN
        ROLLBACK;
        in_txn := FALSE;
        RETURN 'CONFLICT: revoked concurrently';
    END IF;
    v_details := 'REVOKE ROLE ' || v_role || ' FROM USER ' || v_requester;
    INSERT INTO SIGNOFF.APP.AUDIT_LOG (EVENT_ID, EVENT_TIME, REQUEST_ID, PRODUCT_ID, ACTOR, ACTOR_ROLE,
                                   EVENT_TYPE, STEP_ORDER, DECISION, COMMENT, DETAILS, SEQ, PREV_HASH, HASH)
    -- Appended at the head of the request's hash chain; the compare-and-set
    -- UPDATE just above holds the request, so no other link can slip in.
    WITH head AS (
        SELECT COALESCE(MAX(SEQ), 0) AS SEQ, COALESCE(MAX_BY(HASH, SEQ), '') AS HASH
          FROM SIGNOFF.APP.AUDIT_LOG WHERE REQUEST_ID = :REQUEST_ID),
    ev AS (
        SELECT :EVENT_ID AS EVENT_ID, SYSDATE() AS EVENT_TIME, :REQUEST_ID AS REQUEST_ID, :v_product AS PRODUCT_ID,
               :ACTOR AS ACTOR, NULLIF(:ACTOR_ROLE, '') AS ACTOR_ROLE, 'ACCESS_REVOKED' AS EVENT_TYPE,
               NULL::INTEGER AS STEP_ORDER, NULL::VARCHAR AS DECISION, NULLIF(:REASON, '')::VARCHAR AS COMMENT,
               :v_details AS DETAILS, head.SEQ + 1 AS SEQ, head.HASH AS PREV_HASH
          FROM head)
    SELECT EVENT_ID, EVENT_TIME, REQUEST_ID, PRODUCT_ID, ACTOR, ACTOR_ROLE, EVENT_TYPE, STEP_ORDER, DECISION,
           COMMENT, DETAILS, SEQ, PREV_HASH,
           SIGNOFF.APP.AUDIT_HASH(PREV_HASH, EVENT_ID, EVENT_TIME, REQUEST_ID, PRODUCT_ID, ACTOR, ACTOR_ROLE,
                                  EVENT_TYPE, STEP_ORDER, DECISION, COMMENT, DETAILS, SEQ)
      FROM ev;
    COMMIT;
    in_txn := FALSE;

    -- Close the race with a concurrent revocation of a sibling request.
    IF (NOT revoked) THEN
        SELECT COUNT(*)
          INTO :n_justifying
          FROM SIGNOFF.APP.ACCESS_REQUEST r
          JOIN SIGNOFF.APP.DATA_PRODUCT p ON p.PRODUCT_ID = r.PRODUCT_ID
         WHERE r.REQUESTER = :v_requester AND p.ACCESS_ROLE = :v_role
           AND r.STATUS = 'GRANTED';
        IF (n_justifying = 0) THEN
            REVOKE ROLE IDENTIFIER(:v_role) FROM USER IDENTIFIER(:v_requester);
        END IF;
    END IF;
    RETURN 'REVOKED';
EXCEPTION
    WHEN OTHER THEN
        IF (in_txn) THEN
            ROLLBACK;
        END IF;
        RAISE;
END;
$$;

GRANT USAGE ON PROCEDURE SIGNOFF.APP.REVOKE_PRODUCT_ACCESS(VARCHAR, VARCHAR, VARCHAR, VARCHAR, VARCHAR) TO ROLE SIGNOFF_APP;

-- Nobody else gets USAGE on any of the three procedures.
-- VERIFY on a real account, after running this script:
--   SHOW GRANTS TO ROLE SIGNOFF_APP;        -- exactly the grants above
--   SHOW GRANTS ON PROCEDURE SIGNOFF.APP.GRANT_PRODUCT_ACCESS(VARCHAR, VARCHAR, VARCHAR, VARCHAR);
--                                           -- OWNERSHIP: SIGNOFF_GRANT_OWNER; USAGE: SIGNOFF_APP only
--   SHOW GRANTS TO ROLE SIGNOFF_GRANT_OWNER; -- OWNERSHIP of the access roles (after 03)
--   SHOW CALLER GRANTS TO ROLE SIGNOFF_APP; -- empty
