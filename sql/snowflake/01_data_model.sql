-- Signoff on Snowflake, step 2 of the install: the data model.
--
-- Run after 00_roles.sql, as SIGNOFF_OWNER (the installing user holds it
-- until 06_finish.sql):
--   snow sql -f sql/snowflake/01_data_model.sql --role SIGNOFF_OWNER
-- Idempotent: safe to re-run.
--
-- Two schemas, both owned by SIGNOFF_OWNER:
--   SIGNOFF.MAIN  the tables. Nobody but their owner holds any privilege on
--                 them, or even USAGE on the schema: every change goes
--                 through the API procedures, which run as the owner. (The
--                 name is the one the shared SQL of internal/sqlstore uses,
--                 main.<table>: in SQLite "main" is the database itself.)
--   SIGNOFF.API   read-only views of the tables, under the tables' own names,
--                 and the API procedures (03_api.sql). The app, the admins
--                 and the auditors read the views (02_grants.sql); everyone
--                 may call the actions' procedures, which decide for
--                 themselves what each caller may do.
-- The embedded engine has the same tables and columns in
-- sql/sqlite/001_schema.sql and its migrations; a test keeps them in step.
--
-- Standard tables do not enforce PRIMARY KEY/UNIQUE: every state change is a
-- compare-and-set UPDATE, and correctness never depends on them.

USE ROLE SIGNOFF_OWNER;
USE WAREHOUSE SIGNOFF_WH; -- for the SUBMIT_LOCK row's INSERT

CREATE SCHEMA IF NOT EXISTS SIGNOFF.MAIN WITH MANAGED ACCESS
    COMMENT = 'Signoff: the tables; written only by the API procedures';
CREATE SCHEMA IF NOT EXISTS SIGNOFF.API WITH MANAGED ACCESS
    COMMENT = 'Signoff: read-only views and the API procedures';
-- SIGNOFF.APP holds the service and what deploying it needs; the deployer
-- owns it (deploy/10_account_objects.sql creates what is in it).
CREATE SCHEMA IF NOT EXISTS SIGNOFF.APP
    COMMENT = 'Signoff: the service, its image repository, specification and secret';

USE SCHEMA SIGNOFF.MAIN;

CREATE TABLE IF NOT EXISTS DATA_PRODUCT (
    PRODUCT_ID      VARCHAR NOT NULL PRIMARY KEY,
    NAME            VARCHAR NOT NULL,
    DESCRIPTION     VARCHAR NOT NULL,
    OWNER           VARCHAR NOT NULL,
    OWNER_ROLE      VARCHAR NOT NULL,
    DOMAIN          VARCHAR NOT NULL,
    CLASSIFICATION  VARCHAR NOT NULL,
    TAGS            VARCHAR NOT NULL DEFAULT '[]',   -- JSON array of strings
    PRODUCT_COLUMNS VARCHAR NOT NULL DEFAULT '[]',   -- JSON array of {name,type,description,sensitive}
    ACCESS_ROLE     VARCHAR NOT NULL,
    CREATED_AT      TIMESTAMP_NTZ NOT NULL,
    DURATIONS       VARCHAR NOT NULL DEFAULT '0',   -- days offered, comma-separated; 0 is permanent
    PENDING_DAYS    INTEGER,                        -- how long a request may wait for decisions
    FALLBACK_ROLE   VARCHAR,                        -- decides a step that escalated
    EXTENSION_STEPS VARCHAR NOT NULL DEFAULT 'ALL', -- an extension's chain: ALL steps, or the LAST only
    REVIEW_DAYS     INTEGER,                        -- days between scheduled access reviews (NULL or 0: none)
    IDLE_DAYS       INTEGER,                        -- days unused before a review suggests revoking (NULL: 30)
    OBJECT_NAME     VARCHAR                         -- DB.SCHEMA.OBJECT the access role gives, as ACCESS_HISTORY names it
);

CREATE TABLE IF NOT EXISTS APPROVAL_CHAIN (
    PRODUCT_ID    VARCHAR NOT NULL,
    STEP_ORDER    INTEGER NOT NULL,
    APPROVER_ROLE VARCHAR NOT NULL,
    STEP_LABEL    VARCHAR NOT NULL,
    DEADLINE_HOURS INTEGER,
    FALLBACK_ROLE VARCHAR,
    STEP_KIND     VARCHAR NOT NULL DEFAULT 'ROLE', -- ROLE, OWNER or MANAGER
    WHEN_TAG      VARCHAR,                        -- the step applies only to products with this tag or classification
    QUORUM        INTEGER NOT NULL DEFAULT 1,     -- approvals from distinct members
    PRIMARY KEY (PRODUCT_ID, STEP_ORDER)
);

-- The account's chain policy: steps every product's chain gets after its
-- own, each when the product carries its tag or classification.
CREATE TABLE IF NOT EXISTS CHAIN_POLICY (
    STEP_ORDER     INTEGER NOT NULL PRIMARY KEY,
    APPROVER_ROLE  VARCHAR NOT NULL,
    STEP_LABEL     VARCHAR NOT NULL,
    DEADLINE_HOURS INTEGER,
    FALLBACK_ROLE  VARCHAR,
    STEP_KIND      VARCHAR NOT NULL DEFAULT 'ROLE', -- ROLE or MANAGER
    WHEN_TAG       VARCHAR,
    QUORUM         INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE IF NOT EXISTS ACCESS_REQUEST (
    REQUEST_ID      VARCHAR NOT NULL PRIMARY KEY,
    PRODUCT_ID      VARCHAR NOT NULL,
    REQUESTER       VARCHAR NOT NULL,
    BUSINESS_REASON VARCHAR NOT NULL,
    STATUS          VARCHAR NOT NULL,
    CURRENT_STEP    INTEGER NOT NULL,
    STEP_COUNT      INTEGER NOT NULL,
    CREATED_AT      TIMESTAMP_NTZ NOT NULL,
    UPDATED_AT      TIMESTAMP_NTZ NOT NULL,
    ASKED_DAYS      INTEGER NOT NULL DEFAULT 0,  -- the duration asked for; 0 is permanent
    DURATION_DAYS   INTEGER NOT NULL DEFAULT 0,  -- the duration it holds now (approvers may shorten it)
    EXPIRES_AT      TIMESTAMP_NTZ(6),            -- when granted, time-bound access ends
    EXTENDS_REQUEST_ID VARCHAR,                  -- the granted request this one extends
    CONSTRAINT ACCESS_REQUEST_STATUS CHECK (STATUS IN ('PENDING','CHANGES_REQUESTED','APPROVED','GRANTED','GRANT_FAILED','REJECTED','WITHDRAWN','REVOKED','EXPIRED'))
);

CREATE TABLE IF NOT EXISTS REQUEST_STEP (
    REQUEST_ID    VARCHAR NOT NULL,
    STEP_ORDER    INTEGER NOT NULL,
    STEP_LABEL    VARCHAR NOT NULL,
    APPROVER_ROLE VARCHAR NOT NULL,
    DECISION      VARCHAR,
    DECIDED_BY    VARCHAR,
    ACTING_ROLE   VARCHAR,
    COMMENT       VARCHAR,
    DECIDED_AT    TIMESTAMP_NTZ,
    DEADLINE_HOURS INTEGER,
    FALLBACK_ROLE VARCHAR,
    ESCALATED_TO  VARCHAR,
    APPROVED_DAYS INTEGER,
    APPROVER_USER VARCHAR,  -- a MANAGER step: the requester's manager, who alone decides it until it escalates
    PRIMARY KEY (REQUEST_ID, STEP_ORDER)
);

-- Times are stored with microseconds, the precision the audit hash reads
-- (the procedures truncate SYSDATE() to the microsecond before using it).
CREATE TABLE IF NOT EXISTS AUDIT_LOG (
    EVENT_ID    VARCHAR NOT NULL PRIMARY KEY,
    EVENT_TIME  TIMESTAMP_NTZ(6) NOT NULL,
    REQUEST_ID  VARCHAR,
    PRODUCT_ID  VARCHAR,
    ACTOR       VARCHAR NOT NULL,
    ACTOR_ROLE  VARCHAR,
    EVENT_TYPE  VARCHAR NOT NULL,
    STEP_ORDER  INTEGER,
    DECISION    VARCHAR,
    COMMENT     VARCHAR,
    DETAILS     VARCHAR,
    -- Tamper evidence: every event is a link of one hash chain over the
    -- whole log (internal/signoff/ledger.go). SEQ is its position (1, 2, …),
    -- HASH = AUDIT_HASH(PREV_HASH, the event); see 03_api.sql.
    SEQ         INTEGER,
    PREV_HASH   VARCHAR,
    HASH        VARCHAR
);

-- An install from before the lifecycle or the chain rules has these tables
-- without its columns: CREATE TABLE IF NOT EXISTS leaves them as they are,
-- so the columns are added here, once (DOCS/sql-reference/sql/alter-table,
-- ADD COLUMN IF NOT EXISTS). Rows from before are permanent access with
-- no deadlines, fallback roles or extension, as the defaults say.
ALTER TABLE DATA_PRODUCT ADD COLUMN IF NOT EXISTS DURATIONS VARCHAR DEFAULT '0';
ALTER TABLE DATA_PRODUCT ADD COLUMN IF NOT EXISTS PENDING_DAYS INTEGER;
ALTER TABLE DATA_PRODUCT ADD COLUMN IF NOT EXISTS FALLBACK_ROLE VARCHAR;
ALTER TABLE DATA_PRODUCT ADD COLUMN IF NOT EXISTS EXTENSION_STEPS VARCHAR DEFAULT 'ALL';
ALTER TABLE DATA_PRODUCT ADD COLUMN IF NOT EXISTS REVIEW_DAYS INTEGER;
ALTER TABLE DATA_PRODUCT ADD COLUMN IF NOT EXISTS IDLE_DAYS INTEGER;
ALTER TABLE DATA_PRODUCT ADD COLUMN IF NOT EXISTS OBJECT_NAME VARCHAR;
ALTER TABLE APPROVAL_CHAIN ADD COLUMN IF NOT EXISTS DEADLINE_HOURS INTEGER;
ALTER TABLE APPROVAL_CHAIN ADD COLUMN IF NOT EXISTS FALLBACK_ROLE VARCHAR;
ALTER TABLE APPROVAL_CHAIN ADD COLUMN IF NOT EXISTS STEP_KIND VARCHAR DEFAULT 'ROLE';
ALTER TABLE APPROVAL_CHAIN ADD COLUMN IF NOT EXISTS WHEN_TAG VARCHAR;
ALTER TABLE APPROVAL_CHAIN ADD COLUMN IF NOT EXISTS QUORUM INTEGER DEFAULT 1;
ALTER TABLE ACCESS_REQUEST ADD COLUMN IF NOT EXISTS ASKED_DAYS INTEGER DEFAULT 0;
ALTER TABLE ACCESS_REQUEST ADD COLUMN IF NOT EXISTS DURATION_DAYS INTEGER DEFAULT 0;
ALTER TABLE ACCESS_REQUEST ADD COLUMN IF NOT EXISTS EXPIRES_AT TIMESTAMP_NTZ(6);
ALTER TABLE ACCESS_REQUEST ADD COLUMN IF NOT EXISTS EXTENDS_REQUEST_ID VARCHAR;
ALTER TABLE REQUEST_STEP ADD COLUMN IF NOT EXISTS DEADLINE_HOURS INTEGER;
ALTER TABLE REQUEST_STEP ADD COLUMN IF NOT EXISTS FALLBACK_ROLE VARCHAR;
ALTER TABLE REQUEST_STEP ADD COLUMN IF NOT EXISTS ESCALATED_TO VARCHAR;
ALTER TABLE REQUEST_STEP ADD COLUMN IF NOT EXISTS APPROVED_DAYS INTEGER;
ALTER TABLE REQUEST_STEP ADD COLUMN IF NOT EXISTS APPROVER_USER VARCHAR;

-- The directory (docs/design.md, "Manager steps"): each user's manager, for
-- MANAGER chain steps. Written only by SIGNOFF.API.SET_MANAGERS and
-- SET_MANAGER (owner's rights, SIGNOFF_ADMIN), each change with a
-- DIRECTORY_CHANGED event in the audit ledger; the verifier holds every row
-- to its user's last event. Standard tables enforce no key: the procedures
-- delete a user's row before inserting its new one, under the audit lock.
CREATE TABLE IF NOT EXISTS USER_MANAGER (
    USER_NAME    VARCHAR NOT NULL PRIMARY KEY,
    MANAGER_NAME VARCHAR NOT NULL,
    UPDATED_AT   TIMESTAMP_NTZ(6) NOT NULL,
    UPDATED_BY   VARCHAR NOT NULL
);

-- One row whose lock serializes submissions (sqlstore.LockSubmissions): two
-- submissions by one person for one product check for an open request one
-- after the other, because an UPDATE's lock is held to the end of its
-- transaction and INSERTs alone do not lock against each other
-- (DOCS/sql-reference/transactions, "Resource locking").
CREATE TABLE IF NOT EXISTS SUBMIT_LOCK (
    LOCK_ID   INTEGER NOT NULL PRIMARY KEY,
    LOCKED_AT TIMESTAMP_NTZ
);
INSERT INTO SUBMIT_LOCK (LOCK_ID, LOCKED_AT)
SELECT 1, NULL WHERE NOT EXISTS (SELECT 1 FROM SUBMIT_LOCK WHERE LOCK_ID = 1);

-- One row whose lock serializes appends to the audit log (sqlstore.LockAudit):
-- every action takes it, last, before it reads the ledger's head, so two
-- actions never link their events to the same head.
CREATE TABLE IF NOT EXISTS AUDIT_LOCK (
    LOCK_ID   INTEGER NOT NULL PRIMARY KEY,
    LOCKED_AT TIMESTAMP_NTZ
);
INSERT INTO AUDIT_LOCK (LOCK_ID, LOCKED_AT)
SELECT 1, NULL WHERE NOT EXISTS (SELECT 1 FROM AUDIT_LOCK WHERE LOCK_ID = 1);

-- ============================================================================
-- SIGNOFF.API: the read-only views
-- ============================================================================
-- Named like the tables, so that the app's read SQL (internal/sqlstore) runs
-- unchanged on either engine. Explicit column lists: a column added to a
-- table is not exposed by accident. COPY GRANTS keeps 02_grants.sql's
-- grants when this script runs again (DOCS/sql-reference/sql/create-view).

USE SCHEMA SIGNOFF.API;

CREATE OR REPLACE VIEW DATA_PRODUCT COPY GRANTS
    COMMENT = 'Signoff data products (read-only)'
AS SELECT PRODUCT_ID, NAME, DESCRIPTION, OWNER, OWNER_ROLE, DOMAIN, CLASSIFICATION, TAGS, PRODUCT_COLUMNS,
          ACCESS_ROLE, CREATED_AT, DURATIONS, PENDING_DAYS, FALLBACK_ROLE, EXTENSION_STEPS, REVIEW_DAYS, IDLE_DAYS,
          OBJECT_NAME
   FROM SIGNOFF.MAIN.DATA_PRODUCT;

CREATE OR REPLACE VIEW APPROVAL_CHAIN COPY GRANTS
    COMMENT = 'Signoff approval chains (read-only)'
AS SELECT PRODUCT_ID, STEP_ORDER, APPROVER_ROLE, STEP_LABEL, DEADLINE_HOURS, FALLBACK_ROLE, STEP_KIND, WHEN_TAG,
          QUORUM
   FROM SIGNOFF.MAIN.APPROVAL_CHAIN;

CREATE OR REPLACE VIEW CHAIN_POLICY COPY GRANTS
    COMMENT = 'Signoff chain policy: steps every product gets when its tags say (read-only)'
AS SELECT STEP_ORDER, APPROVER_ROLE, STEP_LABEL, DEADLINE_HOURS, FALLBACK_ROLE, STEP_KIND, WHEN_TAG, QUORUM
   FROM SIGNOFF.MAIN.CHAIN_POLICY;

CREATE OR REPLACE VIEW ACCESS_REQUEST COPY GRANTS
    COMMENT = 'Signoff access requests (read-only)'
AS SELECT REQUEST_ID, PRODUCT_ID, REQUESTER, BUSINESS_REASON, STATUS, CURRENT_STEP, STEP_COUNT, CREATED_AT,
          UPDATED_AT, ASKED_DAYS, DURATION_DAYS, EXPIRES_AT, EXTENDS_REQUEST_ID
   FROM SIGNOFF.MAIN.ACCESS_REQUEST;

CREATE OR REPLACE VIEW REQUEST_STEP COPY GRANTS
    COMMENT = 'Signoff per-step decisions (read-only)'
AS SELECT REQUEST_ID, STEP_ORDER, STEP_LABEL, APPROVER_ROLE, DECISION, DECIDED_BY, ACTING_ROLE, COMMENT,
          DECIDED_AT, DEADLINE_HOURS, FALLBACK_ROLE, ESCALATED_TO, APPROVED_DAYS, APPROVER_USER
   FROM SIGNOFF.MAIN.REQUEST_STEP;

CREATE OR REPLACE VIEW USER_MANAGER COPY GRANTS
    COMMENT = 'Signoff directory: each user''s manager (read-only)'
AS SELECT USER_NAME, MANAGER_NAME, UPDATED_AT, UPDATED_BY
   FROM SIGNOFF.MAIN.USER_MANAGER;

CREATE OR REPLACE VIEW AUDIT_LOG COPY GRANTS
    COMMENT = 'Signoff audit log with its hash chain (read-only)'
AS SELECT EVENT_ID, EVENT_TIME, REQUEST_ID, PRODUCT_ID, ACTOR, ACTOR_ROLE, EVENT_TYPE, STEP_ORDER, DECISION,
          COMMENT, DETAILS, SEQ, PREV_HASH, HASH
   FROM SIGNOFF.MAIN.AUDIT_LOG;

-- ============================================================================
-- Notifications (docs/design.md, "Notifications"; docs/snowflake.md, 8)
-- ============================================================================
-- The outbox, its cursor over the audit log, and the approvers' digest
-- choice: the embedded engine's tables (sql/sqlite/010_notifications.sql),
-- filled and read by the same SQL (internal/sqlstore/notify.go), which
-- SEND_NOTIFICATIONS embeds. Standard tables enforce no key: one notice per
-- event and recipient holds because every run takes NOTIFY_STATE's row
-- lock first and inserts only notices not there yet.

USE SCHEMA SIGNOFF.MAIN;

CREATE TABLE IF NOT EXISTS NOTIFICATION (
    NOTICE_ID  VARCHAR NOT NULL PRIMARY KEY,
    EVENT_ID   VARCHAR,
    SEQ        INTEGER,
    REQUEST_ID VARCHAR,
    RECIPIENT  VARCHAR NOT NULL,
    KIND       VARCHAR NOT NULL,
    SUBJECT    VARCHAR NOT NULL,
    BODY       VARCHAR NOT NULL,
    DELIVERY   VARCHAR NOT NULL,
    DIGEST_ID  VARCHAR,
    CREATED_AT TIMESTAMP_NTZ NOT NULL,
    SENT_AT    TIMESTAMP_NTZ,
    ATTEMPTS   INTEGER NOT NULL DEFAULT 0,
    LAST_ERROR VARCHAR
);

-- The cursor starts at the log's head: an account with history does not
-- mail it all when notifications are installed.
CREATE TABLE IF NOT EXISTS NOTIFY_STATE (
    STATE_ID  INTEGER NOT NULL PRIMARY KEY,
    LAST_SEQ  INTEGER NOT NULL,
    LOCKED_AT TIMESTAMP_NTZ
);
INSERT INTO NOTIFY_STATE (STATE_ID, LAST_SEQ, LOCKED_AT)
SELECT 1, COALESCE((SELECT MAX(SEQ) FROM AUDIT_LOG), 0), NULL
WHERE NOT EXISTS (SELECT 1 FROM NOTIFY_STATE WHERE STATE_ID = 1);

CREATE TABLE IF NOT EXISTS NOTIFY_PREFERENCE (
    USER_NAME    VARCHAR NOT NULL PRIMARY KEY,
    DAILY_DIGEST INTEGER NOT NULL,
    UPDATED_AT   TIMESTAMP_NTZ NOT NULL
);

-- Who holds each role, directly or through the role hierarchy: Snowflake's
-- record of grants to users and to roles, revoked ones left out
-- (DOCS/sql-reference/account-usage/grants_to_users, .../grants_to_roles).
-- Those views lag up to two hours: a user granted an approver role is
-- neither notified nor counted as a possible decider until they show it,
-- and one whose role was revoked may still be told. Reading them needs the
-- SNOWFLAKE database role SECURITY_VIEWER (DOCS/sql-reference/snowflake-db-roles),
-- which 02_grants.sql grants SIGNOFF_OWNER; the view runs with its owner's
-- privileges, so nobody else needs it.
CREATE OR REPLACE VIEW ROLE_HOLDER COPY GRANTS
    COMMENT = 'Signoff: who holds each role (ACCOUNT_USAGE, up to 2 h behind)'
AS WITH RECURSIVE HELD (ROLE_NAME, USER_NAME) AS (
       SELECT ROLE, GRANTEE_NAME FROM SNOWFLAKE.ACCOUNT_USAGE.GRANTS_TO_USERS WHERE DELETED_ON IS NULL
       UNION ALL
       SELECT G.NAME, H.USER_NAME
       FROM SNOWFLAKE.ACCOUNT_USAGE.GRANTS_TO_ROLES G JOIN HELD H ON G.GRANTEE_NAME = H.ROLE_NAME
       WHERE G.DELETED_ON IS NULL AND G.GRANTED_ON = 'ROLE' AND G.PRIVILEGE = 'USAGE' AND G.GRANTED_TO = 'ROLE'
   )
   SELECT DISTINCT ROLE_NAME, USER_NAME FROM HELD;

USE SCHEMA SIGNOFF.API;

CREATE OR REPLACE VIEW ROLE_HOLDER COPY GRANTS
    COMMENT = 'Signoff: who holds each role (read-only; up to 2 h behind)'
AS SELECT ROLE_NAME, USER_NAME
   FROM SIGNOFF.MAIN.ROLE_HOLDER;

CREATE OR REPLACE VIEW NOTIFICATION COPY GRANTS
    COMMENT = 'Signoff outbox (read-only)'
AS SELECT NOTICE_ID, EVENT_ID, SEQ, REQUEST_ID, RECIPIENT, KIND, SUBJECT, BODY, DELIVERY, DIGEST_ID, CREATED_AT,
          SENT_AT, ATTEMPTS, LAST_ERROR
   FROM SIGNOFF.MAIN.NOTIFICATION;

CREATE OR REPLACE VIEW NOTIFY_PREFERENCE COPY GRANTS
    COMMENT = 'Signoff approvers digest choices (read-only)'
AS SELECT USER_NAME, DAILY_DIGEST, UPDATED_AT
   FROM SIGNOFF.MAIN.NOTIFY_PREFERENCE;

-- ============================================================================
-- Access reviews (docs/design.md, "Access reviews"; docs/snowflake.md, 9)
-- ============================================================================
-- A product's owners periodically keep or revoke each of its active grants
-- (the embedded engine's sql/sqlite/014_reviews.sql). ACCESS_REVIEW is one
-- row per review, OPEN until every grant it lists is decided, then
-- COMPLETE; REVIEW_ITEM one row per grant it lists, with its decision
-- (KEEP, REVOKE or ENDED). START_REVIEW, DECIDE_REVIEW and RUN_SCHEDULE
-- write them (03_api.sql); the verifier relates them to the audit log.

USE SCHEMA SIGNOFF.MAIN;

CREATE TABLE IF NOT EXISTS ACCESS_REVIEW (
    REVIEW_ID    VARCHAR NOT NULL PRIMARY KEY,
    PRODUCT_ID   VARCHAR NOT NULL,
    STATUS       VARCHAR NOT NULL,
    OPENED_BY    VARCHAR NOT NULL,
    OPENED_AT    TIMESTAMP_NTZ NOT NULL,
    ITEM_COUNT   INTEGER NOT NULL,
    COMPLETED_AT TIMESTAMP_NTZ
);

CREATE TABLE IF NOT EXISTS REVIEW_ITEM (
    REVIEW_ID  VARCHAR NOT NULL,
    REQUEST_ID VARCHAR NOT NULL,
    REQUESTER  VARCHAR NOT NULL,
    DECISION   VARCHAR,
    DECIDED_BY VARCHAR,
    DECIDED_AT TIMESTAMP_NTZ,
    NOTE       VARCHAR,
    PRIMARY KEY (REVIEW_ID, REQUEST_ID)
);

-- Each user's use of each product, per day: the queries Snowflake's access
-- history records that touched the product's OBJECT_NAME, directly (a view
-- or table the query named) or as a base object (a table under a view),
-- each query counted once (DOCS/sql-reference/account-usage/access_history:
-- USER_NAME, QUERY_ID, QUERY_START_TIME, DIRECT_OBJECTS_ACCESSED and
-- BASE_OBJECTS_ACCESSED, whose elements' "objectName" is the fully
-- qualified name). Times are turned from TIMESTAMP_LTZ into UTC
-- TIMESTAMP_NTZ, as every Signoff time. ACCESS_HISTORY is up to 3 hours
-- behind, keeps 365 days (DOCS/sql-reference/account-usage), needs
-- Enterprise Edition, and is read with the SNOWFLAKE database role
-- GOVERNANCE_VIEWER (DOCS/sql-reference/snowflake-db-roles), which
-- 02_grants.sql grants SIGNOFF_OWNER; the view runs with its owner's
-- privileges, so nobody else needs it. A product without OBJECT_NAME has
-- no rows: its use is unknown, and the review page says so. Reading it
-- scans the access history: the review page reads it once, filtered to
-- the review's product and people.
CREATE OR REPLACE VIEW ACCESS_USAGE COPY GRANTS
    COMMENT = 'Signoff: queries of each product''s object per user and day (ACCESS_HISTORY, up to 3 h behind)'
AS SELECT H.USER_NAME AS USER_NAME, P.PRODUCT_ID AS PRODUCT_ID,
          MAX(CONVERT_TIMEZONE('UTC', H.QUERY_START_TIME)::TIMESTAMP_NTZ) AS LAST_USED_AT,
          COUNT(DISTINCT H.QUERY_ID) AS QUERY_COUNT
   FROM SNOWFLAKE.ACCOUNT_USAGE.ACCESS_HISTORY H,
        LATERAL FLATTEN(INPUT => ARRAY_CAT(COALESCE(H.DIRECT_OBJECTS_ACCESSED, ARRAY_CONSTRUCT()),
                                           COALESCE(H.BASE_OBJECTS_ACCESSED, ARRAY_CONSTRUCT()))) O,
        SIGNOFF.MAIN.DATA_PRODUCT P
   WHERE P.OBJECT_NAME IS NOT NULL AND O.VALUE:"objectName"::VARCHAR = P.OBJECT_NAME
   GROUP BY H.USER_NAME, P.PRODUCT_ID, TO_DATE(CONVERT_TIMEZONE('UTC', H.QUERY_START_TIME));

USE SCHEMA SIGNOFF.API;

CREATE OR REPLACE VIEW ACCESS_REVIEW COPY GRANTS
    COMMENT = 'Signoff access reviews (read-only)'
AS SELECT REVIEW_ID, PRODUCT_ID, STATUS, OPENED_BY, OPENED_AT, ITEM_COUNT, COMPLETED_AT
   FROM SIGNOFF.MAIN.ACCESS_REVIEW;

CREATE OR REPLACE VIEW REVIEW_ITEM COPY GRANTS
    COMMENT = 'Signoff access reviews: the grants and their decisions (read-only)'
AS SELECT REVIEW_ID, REQUEST_ID, REQUESTER, DECISION, DECIDED_BY, DECIDED_AT, NOTE
   FROM SIGNOFF.MAIN.REVIEW_ITEM;

CREATE OR REPLACE VIEW ACCESS_USAGE COPY GRANTS
    COMMENT = 'Signoff: queries of each product''s object per user and day (read-only; up to 3 h behind)'
AS SELECT USER_NAME, PRODUCT_ID, LAST_USED_AT, QUERY_COUNT
   FROM SIGNOFF.MAIN.ACCESS_USAGE;

-- ============================================================================
-- Product versions (docs/design.md, "Product administration")
-- ============================================================================
-- Every save of a product (the admin pages, SIGNOFF.API.SAVE_PRODUCT and
-- SET_CHAIN) keeps the whole definition as a numbered version with its
-- SHA2, which the save's PRODUCT_SAVED event records (details:
-- version=N;sha256=<hash>;catalog=<hash>); the verifier (05_verify_audit.sql) holds each
-- to the other. The embedded engine's table: sql/sqlite/016_product_versions.sql.
USE SCHEMA SIGNOFF.MAIN;

CREATE TABLE IF NOT EXISTS PRODUCT_VERSION (
    PRODUCT_ID      VARCHAR NOT NULL,
    VERSION         INTEGER NOT NULL,
    SAVED_AT        TIMESTAMP_NTZ(6) NOT NULL,
    SAVED_BY        VARCHAR NOT NULL,
    DEFINITION      VARCHAR NOT NULL,  -- the definition's JSON (signoff.Definition)
    DEFINITION_HASH VARCHAR NOT NULL,  -- SHA2(DEFINITION, 256)
    CATALOG_HASH    VARCHAR NOT NULL,  -- SHA2 of the catalog row and rules the save wrote (sqlstore.CatalogFingerprint)
    PRIMARY KEY (PRODUCT_ID, VERSION)
);

USE SCHEMA SIGNOFF.API;

CREATE OR REPLACE VIEW PRODUCT_VERSION COPY GRANTS
    COMMENT = 'Signoff product versions (read-only)'
AS SELECT PRODUCT_ID, VERSION, SAVED_AT, SAVED_BY, DEFINITION, DEFINITION_HASH, CATALOG_HASH
   FROM SIGNOFF.MAIN.PRODUCT_VERSION;
