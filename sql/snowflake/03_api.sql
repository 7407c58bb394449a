-- Signoff on Snowflake: the API. Owner's-rights procedures that are the only
-- way to change Signoff's state, and the functions they use.
--
-- GENERATED from sql/snowflake/api.sql.tmpl, internal/sqlstore/actions.go,
-- internal/signoff/outcome.go and internal/signoff/rules.go by internal/sqlgen;
-- do not edit.
-- After changing any of them, run: make generate (go generate ./...)
--
-- Run after 00_roles.sql and 01_data_model.sql, as SIGNOFF_OWNER (the
-- installing user holds it until 06_finish.sql). Idempotent: every object is
-- CREATE OR REPLACE, and its grants follow it (a replaced object loses its
-- grants until behaviour-change bundle 2026_08 makes COPY GRANTS the
-- default; DOCS/release-notes/bcr-bundles/2026_08/bcr-2433).
--
-- How the procedures keep the promises (docs/snowflake.md, "How an
-- action runs"):
--   * Who acts is Snowflake's answer, never an argument:
--     SYS_CONTEXT('SNOWFLAKE$SESSION', 'PRINCIPAL_NAME') is the user of the
--     session that CALLed the procedure. An owner's-rights procedure may read
--     it because its owner, SIGNOFF_OWNER, holds READ SESSION
--     (DOCS/sql-reference/functions/sys_context_snowflake_session); without
--     it the function returns NULL and every action answers
--     IDENTITY_UNAVAILABLE. The app CALLs each procedure in the acting
--     person's own caller's-rights session, so the app cannot act for
--     anyone who is not, at that moment, sending it requests.
--   * Which roles the caller holds is also Snowflake's answer:
--     SYS_CONTEXT('SNOWFLAKE$SESSION', 'IS_ROLE_ACTIVATED', role) is TRUE when
--     the role is in the hierarchy of the session's primary or secondary
--     roles (DOCS/sql-reference/functions/is_role_activated), the session's
--     IS_ROLE_IN_SESSION. (IS_ROLE_IN_SESSION itself would see the owner's
--     roles inside an owner's-rights procedure.)
--   * Every rule is one of the shared statements of internal/sqlstore,
--     embedded here verbatim; the embedded engine runs the same texts, so
--     the store contract suite tests them. Tables are main.<table>: the
--     schema SIGNOFF.MAIN in the procedures' own database.
--   * Each action is one transaction: the check, then compare-and-set
--     writes whose rows affected are checked (SQLROWCOUNT, read right after
--     each statement: since bundle 2025_01 it is NULL once another
--     statement has run; DOCS/developer-guide/snowflake-scripting/dml-status),
--     then its audit events, whose hash AUDIT_HASH computes. A refusal rolls
--     back and answers with its code. Any other error rolls back and is
--     raised to the caller.
--   * GRANT and REVOKE are DDL, and DDL commits any open transaction
--     (DOCS/sql-reference/transactions, "DDL"), so they run outside one:
--     a grant after the approval commits, its outcome in a transaction after.
--   * Every answer is ENVELOPE(code, data): {"ok", "code", "message", "data"},
--     data holding the columns of the statement that decided it.
--
-- DOCS = https://docs.snowflake.com/en

USE ROLE SIGNOFF_OWNER;
USE SCHEMA SIGNOFF.API;

-- ============================================================================
-- AUDIT_HASH: the audit log's hash chain, as Snowflake computes it
-- ============================================================================
-- Each request's events form a hash chain (internal/signoff/chain.go):
--   HASH = SHA2(PREV_HASH || canonical(event), 256), lowercase hex,
-- where canonical(event) writes each field as '<length in characters>:<value>'
-- in the order below, NULL as '', the time as 'YYYY-MM-DD HH24:MI:SS.FF6'
-- (UTC) and STEP_ORDER and SEQ in decimal. The time is truncated to the
-- microsecond first, as Go's ChainTimeFormat truncates: FF6 then has nothing
-- to round. The embedded engine computes the same bytes in Go; the
-- preflight (PREFLIGHT below, signoff doctor) compares the two on a sample.
CREATE OR REPLACE FUNCTION SIGNOFF.API.AUDIT_HASH(
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
        || LENGTH(COALESCE(TO_CHAR(DATE_TRUNC('MICROSECOND', EVENT_TIME), 'YYYY-MM-DD HH24:MI:SS.FF6'), '')) || ':'
           || COALESCE(TO_CHAR(DATE_TRUNC('MICROSECOND', EVENT_TIME), 'YYYY-MM-DD HH24:MI:SS.FF6'), '')
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

-- Auditors (and admins, who inherit SIGNOFF_AUDITOR) verify the log with it
-- (05_verify_audit.sql).
GRANT USAGE ON FUNCTION SIGNOFF.API.AUDIT_HASH(VARCHAR, VARCHAR, TIMESTAMP_NTZ, VARCHAR, VARCHAR, VARCHAR, VARCHAR, VARCHAR, INTEGER, VARCHAR, VARCHAR, VARCHAR, INTEGER) TO ROLE SIGNOFF_AUDITOR;
-- The app's own verification (the /audit/verify page) calls it too.
GRANT USAGE ON FUNCTION SIGNOFF.API.AUDIT_HASH(VARCHAR, VARCHAR, TIMESTAMP_NTZ, VARCHAR, VARCHAR, VARCHAR, VARCHAR, VARCHAR, INTEGER, VARCHAR, VARCHAR, VARCHAR, INTEGER) TO ROLE SIGNOFF_APP;

-- ============================================================================
-- ADD_HOURS: a time some hours later
-- ============================================================================
-- The shared statements compute deadlines and expiries with it
-- (sqlstore.MarkGranted, DueWork, CheckSystem, and the verifier); the
-- embedded engine registers a Go function of the same name. DATEADD adds
-- whole hours to a TIMESTAMP_NTZ (DOCS/sql-reference/functions/dateadd).
CREATE OR REPLACE FUNCTION SIGNOFF.API.ADD_HOURS(T TIMESTAMP_NTZ, HOURS NUMBER)
RETURNS TIMESTAMP_NTZ
LANGUAGE SQL
COMMENT = 'Signoff: the time HOURS hours after T'
AS
$$
    DATEADD(HOUR, HOURS, T)
$$;

-- The verifier (05_verify_audit.sql, the /audit/verify page) checks expiries
-- with it.
GRANT USAGE ON FUNCTION SIGNOFF.API.ADD_HOURS(TIMESTAMP_NTZ, NUMBER) TO ROLE SIGNOFF_AUDITOR;
GRANT USAGE ON FUNCTION SIGNOFF.API.ADD_HOURS(TIMESTAMP_NTZ, NUMBER) TO ROLE SIGNOFF_APP;

-- ============================================================================
-- HAS_TAG: whether a product carries a tag or classification
-- ============================================================================
-- A chain step with a condition (APPROVAL_CHAIN.WHEN_TAG) applies only to a
-- product that carries it (sqlstore's resolvedChain, run by SUBMIT_REQUEST);
-- the embedded engine registers a Go function of the same name
-- (signoff.HasTag), and the preflight compares the two. TAGS is the
-- product's JSON array of strings: AS_ARRAY(TRY_PARSE_JSON(...)) is NULL for
-- anything else, so a damaged row adds no step rather than any
-- (DOCS/sql-reference/functions/try_parse_json, as_array, array_contains).
CREATE OR REPLACE FUNCTION SIGNOFF.API.HAS_TAG(TAGS VARCHAR, CLASSIFICATION VARCHAR, TAG VARCHAR)
RETURNS BOOLEAN
LANGUAGE SQL
COMMENT = 'Signoff: whether a product with TAGS and CLASSIFICATION carries TAG'
AS
$$
    TAG IS NULL OR TAG = ''
    OR COALESCE(UPPER(CLASSIFICATION) = UPPER(TAG), FALSE)
    OR COALESCE(ARRAY_CONTAINS(LOWER(TAG)::VARIANT, AS_ARRAY(TRY_PARSE_JSON(LOWER(TAGS)))), FALSE)
$$;

-- ============================================================================
-- ID_MILLIS: when an ID was made
-- ============================================================================
-- Signoff's IDs (internal/signoff/id.go) are 26 Crockford base32 characters
-- whose first ten encode the milliseconds since 1970 they were made at. The
-- app makes them; anyone may call the procedures with SQL, so the
-- procedures refuse a new ID made more than a few minutes from their own
-- clock: the audit log and lists sort by ID, which nobody may backdate.
-- (sql/snowflake_api_test.go checks this arithmetic against the app's IDs.)
CREATE OR REPLACE FUNCTION SIGNOFF.API.ID_MILLIS(ID VARCHAR)
RETURNS NUMBER
LANGUAGE SQL
COMMENT = 'Signoff: the time, in milliseconds since 1970, an ID encodes'
AS
$$
    ((((((((((POSITION(SUBSTR(ID, 1, 1), '0123456789ABCDEFGHJKMNPQRSTVWXYZ') - 1)) * 32 + (POSITION(SUBSTR(ID, 2, 1), '0123456789ABCDEFGHJKMNPQRSTVWXYZ') - 1)) * 32 + (POSITION(SUBSTR(ID, 3, 1), '0123456789ABCDEFGHJKMNPQRSTVWXYZ') - 1)) * 32 + (POSITION(SUBSTR(ID, 4, 1), '0123456789ABCDEFGHJKMNPQRSTVWXYZ') - 1)) * 32 + (POSITION(SUBSTR(ID, 5, 1), '0123456789ABCDEFGHJKMNPQRSTVWXYZ') - 1)) * 32 + (POSITION(SUBSTR(ID, 6, 1), '0123456789ABCDEFGHJKMNPQRSTVWXYZ') - 1)) * 32 + (POSITION(SUBSTR(ID, 7, 1), '0123456789ABCDEFGHJKMNPQRSTVWXYZ') - 1)) * 32 + (POSITION(SUBSTR(ID, 8, 1), '0123456789ABCDEFGHJKMNPQRSTVWXYZ') - 1)) * 32 + (POSITION(SUBSTR(ID, 9, 1), '0123456789ABCDEFGHJKMNPQRSTVWXYZ') - 1)) * 32 + (POSITION(SUBSTR(ID, 10, 1), '0123456789ABCDEFGHJKMNPQRSTVWXYZ') - 1)
$$;

-- ============================================================================
-- VISIBLE_LENGTH and BIDI_CONTROLS: the rules for free text
-- ============================================================================
-- A business reason must show at least 20 characters and a rejection
-- must say why, so characters that show nothing do not count: spaces of
-- every width, controls, format characters, Unicode's default-ignorable
-- characters and two blank symbols (signoff.Invisible in
-- internal/signoff/rules.go, from which this set is generated):
--  U+0000–U+0020, U+007F–U+00A0, U+00AD, U+034F, U+0600–U+0605, U+061C, U+06DD, U+070F,
--  U+0890–U+0891, U+08E2, U+115F–U+1160, U+1680, U+17B4–U+17B5, U+180B–U+180F, U+2000–U+200F,
--  U+2028–U+202F, U+205F–U+206F, U+2800, U+3000, U+3164, U+FE00–U+FE0F, U+FEFF, U+FFA0,
--  U+FFF0–U+FFFB, U+110BD, U+110CD, U+13430–U+1343F, U+1BCA0–U+1BCA3, U+1D159, U+1D173–U+1D17A,
--  U+E0000–U+E0FFF
-- Text holding a bidirectional control, which would make it display in
-- another order than it was typed, is refused (signoff.BidiControl):
--  U+061C, U+200E–U+200F, U+202A–U+202E, U+2066–U+2069
-- TRANSLATE removes every character of its second argument that has no
-- counterpart in the third (DOCS/sql-reference/functions/translate), and
-- LENGTH counts characters, not bytes (DOCS/sql-reference/functions/length).
-- The preflight (PREFLIGHT below, signoff doctor) compares both functions
-- with Go on a sample.
CREATE OR REPLACE FUNCTION SIGNOFF.API.VISIBLE_LENGTH(TEXT VARCHAR)
RETURNS NUMBER
LANGUAGE SQL
COMMENT = 'Signoff: how many characters of a text show (blanks and invisible characters do not count)'
AS
$$
    LENGTH(TRANSLATE(TEXT,
           ARRAY_TO_STRING(TRANSFORM(ARRAY_GENERATE_RANGE(0, 33), c INT -> CHR(c)), '')
        || ARRAY_TO_STRING(TRANSFORM(ARRAY_GENERATE_RANGE(127, 161), c INT -> CHR(c)), '')
        || CHR(173)
        || CHR(847)
        || ARRAY_TO_STRING(TRANSFORM(ARRAY_GENERATE_RANGE(1536, 1542), c INT -> CHR(c)), '')
        || CHR(1564)
        || CHR(1757)
        || CHR(1807)
        || ARRAY_TO_STRING(TRANSFORM(ARRAY_GENERATE_RANGE(2192, 2194), c INT -> CHR(c)), '')
        || CHR(2274)
        || ARRAY_TO_STRING(TRANSFORM(ARRAY_GENERATE_RANGE(4447, 4449), c INT -> CHR(c)), '')
        || CHR(5760)
        || ARRAY_TO_STRING(TRANSFORM(ARRAY_GENERATE_RANGE(6068, 6070), c INT -> CHR(c)), '')
        || ARRAY_TO_STRING(TRANSFORM(ARRAY_GENERATE_RANGE(6155, 6160), c INT -> CHR(c)), '')
        || ARRAY_TO_STRING(TRANSFORM(ARRAY_GENERATE_RANGE(8192, 8208), c INT -> CHR(c)), '')
        || ARRAY_TO_STRING(TRANSFORM(ARRAY_GENERATE_RANGE(8232, 8240), c INT -> CHR(c)), '')
        || ARRAY_TO_STRING(TRANSFORM(ARRAY_GENERATE_RANGE(8287, 8304), c INT -> CHR(c)), '')
        || CHR(10240)
        || CHR(12288)
        || CHR(12644)
        || ARRAY_TO_STRING(TRANSFORM(ARRAY_GENERATE_RANGE(65024, 65040), c INT -> CHR(c)), '')
        || CHR(65279)
        || CHR(65440)
        || ARRAY_TO_STRING(TRANSFORM(ARRAY_GENERATE_RANGE(65520, 65532), c INT -> CHR(c)), '')
        || CHR(69821)
        || CHR(69837)
        || ARRAY_TO_STRING(TRANSFORM(ARRAY_GENERATE_RANGE(78896, 78912), c INT -> CHR(c)), '')
        || ARRAY_TO_STRING(TRANSFORM(ARRAY_GENERATE_RANGE(113824, 113828), c INT -> CHR(c)), '')
        || CHR(119129)
        || ARRAY_TO_STRING(TRANSFORM(ARRAY_GENERATE_RANGE(119155, 119163), c INT -> CHR(c)), '')
        || ARRAY_TO_STRING(TRANSFORM(ARRAY_GENERATE_RANGE(917504, 921600), c INT -> CHR(c)), ''),
        ''))
$$;

CREATE OR REPLACE FUNCTION SIGNOFF.API.BIDI_CONTROLS(TEXT VARCHAR)
RETURNS NUMBER
LANGUAGE SQL
COMMENT = 'Signoff: how many bidirectional controls a text holds'
AS
$$
    LENGTH(TEXT) - LENGTH(TRANSLATE(TEXT,
           CHR(1564)
        || ARRAY_TO_STRING(TRANSFORM(ARRAY_GENERATE_RANGE(8206, 8208), c INT -> CHR(c)), '')
        || ARRAY_TO_STRING(TRANSFORM(ARRAY_GENERATE_RANGE(8234, 8239), c INT -> CHR(c)), '')
        || ARRAY_TO_STRING(TRANSFORM(ARRAY_GENERATE_RANGE(8294, 8298), c INT -> CHR(c)), ''),
        ''))
$$;

-- ============================================================================
-- ENVELOPE: every procedure's answer
-- ============================================================================
-- ok is TRUE for OK and DRY_RUN; message is for people who call the API
-- with SQL (the app writes its own sentences from code and data).
CREATE OR REPLACE FUNCTION SIGNOFF.API.ENVELOPE(CODE VARCHAR, DATA VARIANT)
RETURNS VARIANT
LANGUAGE SQL
COMMENT = 'Signoff: the API''s response envelope'
AS
$$
    OBJECT_CONSTRUCT(
        'ok', CODE IN ('OK', 'DRY_RUN'),
        'code', CODE,
        'message', CASE CODE
            WHEN 'OK' THEN 'Done.'
            WHEN 'DRY_RUN' THEN 'Dry run: every check passed; nothing was changed.'
            WHEN 'IDENTITY_UNAVAILABLE' THEN 'Signoff could not tell who is calling: its owner role needs READ SESSION, and the caller must be a user.'
            WHEN 'INVALID' THEN 'An argument is not valid; data.field names it.'
            WHEN 'PRODUCT_NOT_FOUND' THEN 'There is no such data product.'
            WHEN 'NO_CHAIN' THEN 'The data product has no approval chain, so it cannot be requested.'
            WHEN 'CHAIN_TOO_LONG' THEN 'The data product''s chain and the chain policy need more than 10 approvals, which a request cannot hold; an admin must shorten them.'
            WHEN 'OPEN_REQUEST_EXISTS' THEN 'You already have an open request for this data product.'
            WHEN 'NOT_FOUND' THEN 'There is no such request.'
            WHEN 'DUPLICATE_ID' THEN 'The ID is already taken; try again with a new one.'
            WHEN 'WRONG_STATUS' THEN 'The request''s status does not allow this.'
            WHEN 'STALE_STEP' THEN 'The request is no longer at the step given.'
            WHEN 'OWN_REQUEST' THEN 'You made this request, so you cannot decide any of its steps.'
            WHEN 'DECIDED_ANOTHER_STEP' THEN 'You already decided a step of this request; another person must decide this one.'
            WHEN 'ACTING_AS_NOT_HELD' THEN 'The acting-as role is not in your session.'
            WHEN 'ACTING_AS_WRONG_ROLE' THEN 'The acting-as role is not the role this step needs.'
            WHEN 'ROLE_NOT_HELD' THEN 'This step needs a role that is not in your session.'
            WHEN 'NOT_REQUESTER' THEN 'Only the requester can withdraw a request.'
            WHEN 'NOT_ADMIN' THEN 'Only Signoff admins (SIGNOFF_ADMIN) can do this.'
            WHEN 'NOT_ADMIN_OR_OWNER' THEN 'Only Signoff admins and the data product''s owners can revoke access.'
            WHEN 'NOT_AUDITOR' THEN 'Only Signoff admins (SIGNOFF_ADMIN) and auditors (SIGNOFF_AUDITOR) can list every request and grant.'
            WHEN 'DURATION_NOT_OFFERED' THEN 'The data product does not offer access for that long.'
            WHEN 'DURATION_LONGER' THEN 'An approval may shorten the access it grants, never lengthen it.'
            WHEN 'NOT_EXTENDABLE' THEN 'Only your own granted, time-bound access to this data product can be extended, and not once it was revoked.'
            WHEN 'REASON_APPROVED' THEN 'A step already approved the business reason as it is: answer the question without replacing it.'
            WHEN 'NOT_DUE' THEN 'The scheduled work is no longer due.'
            WHEN 'REVIEW_NOT_FOUND' THEN 'There is no such access review.'
            WHEN 'REVIEW_OPEN' THEN 'The data product has an open access review already: finish it first.'
            WHEN 'NOT_IN_REVIEW' THEN 'That grant is not one of the review''s.'
            WHEN 'ALREADY_DECIDED' THEN 'That grant was decided already in this review, or the review is complete.'
            WHEN 'CONFLICT' THEN 'Someone changed the request at the same moment; nothing was changed. Try again.'
            WHEN 'PRODUCT_EXISTS' THEN 'A data product with this ID already exists; edit it instead.'
            WHEN 'STALE_VERSION' THEN 'The data product was saved by someone else since you read it; read it again and redo your change.'
            WHEN 'ACCESS_ROLE_NOT_OWNED' THEN 'SIGNOFF_OWNER does not own the access role, so Signoff could not grant it: GRANT OWNERSHIP ON ROLE <role> TO ROLE SIGNOFF_OWNER first.'
            WHEN 'NOT_STEP_APPROVER' THEN 'This is a manager step: only the requester''s manager (data.step_user) can decide it, unless it escalated to its fallback role.'
            WHEN 'NO_MANAGER' THEN 'The data product needs your manager''s approval, and Signoff''s directory has no manager for you; ask a Signoff admin to add them.'
            WHEN 'SELF_MANAGER' THEN 'Nobody can be their own manager; data.line names the entry.'
            WHEN 'MANAGER_CYCLE' THEN 'Two people cannot be each other''s manager; data.line names the entry.'
            WHEN 'OBJECT_NOT_VISIBLE' THEN 'Signoff cannot see the object: it does not exist, or SIGNOFF_OWNER lacks USAGE on its database and schema or REFERENCES on it (deploy/README.md, "Letting Signoff read an object").'
            ELSE CODE
        END,
        'data', DATA)
$$;










-- ============================================================================
-- SUBMIT_REQUEST: the calling user asks for access to a data product
-- ============================================================================
-- Answers OK (data: the new request), DRY_RUN, INVALID, IDENTITY_UNAVAILABLE,
-- PRODUCT_NOT_FOUND, NO_CHAIN, NO_MANAGER, DURATION_NOT_OFFERED, OPEN_REQUEST_EXISTS,
-- DUPLICATE_ID or CONFLICT. DURATION_DAYS is one of the product's durations
-- (0: permanent). EXTENDS_ID, if not empty, is the caller's GRANTED
-- time-bound request for the product that this one extends (NOT_EXTENDABLE
-- otherwise). EVENT_IDS is one ID for the REQUEST_SUBMITTED event, which
-- records the duration, the request extended, the steps' deadlines and
-- fallback roles, and the chain (signoff.SubmissionDetails). Submissions take the
-- SUBMIT_LOCK row's lock first (sqlstore.LockSubmissions), so that two
-- submissions by one person for one product check for an open request one
-- after the other.
CREATE OR REPLACE PROCEDURE SIGNOFF.API.SUBMIT_REQUEST(
    PRODUCT_ID VARCHAR, REASON VARCHAR, DURATION_DAYS NUMBER, EXTENDS_ID VARCHAR, REQUEST_ID VARCHAR, EVENT_IDS VARCHAR,
    DRY_RUN BOOLEAN)
RETURNS VARIANT
LANGUAGE SQL
COMMENT = 'Signoff: the calling user requests access to a data product'
EXECUTE AS OWNER
AS
$$
DECLARE
    lock_missing EXCEPTION (-20001, 'SUBMIT_REQUEST: the SIGNOFF.MAIN.SUBMIT_LOCK row is missing; run 01_data_model.sql');
    actor        VARCHAR;
    now_ts       TIMESTAMP_NTZ;
    invalid      VARCHAR;
    chk          VARIANT;
    code         VARCHAR;
    result       VARIANT;
    step_count   NUMBER;
    snapshot     VARCHAR;
    policy       VARCHAR;
    actor_role   VARCHAR DEFAULT '';
    audit_lock_missing EXCEPTION (-20002, 'the SIGNOFF.MAIN.AUDIT_LOCK row is missing; run 01_data_model.sql');
    event_id     VARCHAR;
    event_type   VARCHAR;
    ev_step      NUMBER;
    ev_decision  VARCHAR;
    ev_comment   VARCHAR;
    ev_details   VARCHAR;
    ev_seq       NUMBER;
    ev_prev_hash VARCHAR;
    ev_hash      VARCHAR;
BEGIN
    -- Who is calling: the calling session's user, from Snowflake.
    SELECT IFF(SYS_CONTEXT('SNOWFLAKE$SESSION', 'PRINCIPAL_TYPE') LIKE 'USER%',
               SYS_CONTEXT('SNOWFLAKE$SESSION', 'PRINCIPAL_NAME'), NULL),
           DATE_TRUNC('MICROSECOND', SYSDATE())
      INTO :actor, :now_ts;
    SELECT CASE
               WHEN COALESCE(LENGTH(:product_id), 0) NOT BETWEEN 1 AND 255 THEN 'product_id'
               WHEN COALESCE(LENGTH(TRIM(:reason, ' ' || CHAR(9) || CHAR(10) || CHAR(11) || CHAR(12) || CHAR(13))), 0) > 2000 THEN 'reason'
               WHEN COALESCE(VISIBLE_LENGTH(:reason), 0) < 20 THEN 'reason'
               WHEN COALESCE(BIDI_CONTROLS(:reason), 0) > 0 THEN 'reason'
               WHEN COALESCE(:duration_days, -1) NOT BETWEEN 0 AND 3650 THEN 'duration_days'
               WHEN :extends_id IS NULL OR (:extends_id <> '' AND NOT (:extends_id RLIKE '[0-9A-HJKMNP-TV-Z]{26}')) THEN 'extends_id'
               WHEN NOT COALESCE(:request_id RLIKE '[0-9A-HJKMNP-TV-Z]{26}', FALSE) THEN 'request_id'
               WHEN NOT COALESCE(:event_ids RLIKE '[0-9A-HJKMNP-TV-Z]{26}', FALSE) THEN 'event_ids'
               WHEN ABS(ID_MILLIS(:request_id) - DATE_PART(EPOCH_MILLISECOND, :now_ts)) > 600000 THEN 'request_id'
               WHEN ABS(ID_MILLIS(:event_ids) - DATE_PART(EPOCH_MILLISECOND, :now_ts)) > 600000 THEN 'event_ids'
               ELSE ''
           END
      INTO :invalid;
    IF (invalid <> '') THEN
        SELECT ENVELOPE('INVALID', OBJECT_CONSTRUCT('field', :invalid)) INTO :result;
        RETURN result;
    END IF;
    BEGIN TRANSACTION;
    UPDATE main.submit_lock SET locked_at = :now_ts WHERE lock_id = 1;
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        RAISE lock_missing;
    END IF;
    SELECT OBJECT_CONSTRUCT(*) INTO :chk FROM (WITH p AS (SELECT COUNT(*) AS n, MAX(name) AS product_name, MAX(durations) AS durations,
                      MAX(extension_steps) AS extension_steps
               FROM main.data_product WHERE product_id = :product_id),
         c AS (SELECT COUNT(*) AS n, COUNT(rc.approver_user) AS managed,
                      SUM(CASE WHEN rc.approver_user = '' OR rc.approver_user = :actor THEN 1 ELSE 0 END) AS unmanaged
               FROM (
    SELECT CASE WHEN a.last_only = 1 THEN 0 ELSE a.base END + q.k AS step_order,
           CASE WHEN a.quorum > 1 THEN a.step_label || ' (' || CAST(q.k AS VARCHAR) || ' of ' || CAST(a.quorum AS VARCHAR) || ')'
                ELSE a.step_label END AS step_label,
           a.approver_role, a.deadline_hours, a.fallback_role, a.approver_user
    FROM (SELECT r.step_label, r.approver_role, r.deadline_hours, COALESCE(r.fallback_role, p.fallback_role) AS fallback_role,
                 r.quorum, CASE WHEN r.step_kind = 'MANAGER' THEN COALESCE(m.manager_name, '') END AS approver_user,
                 SUM(r.quorum) OVER (ORDER BY r.src, r.step_order ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
                     - r.quorum AS base,
                 ROW_NUMBER() OVER (ORDER BY r.src, r.step_order) AS pos, COUNT(*) OVER () AS rules,
                 CASE WHEN :extends_id <> '' AND p.extension_steps = 'LAST' THEN 1 ELSE 0 END AS last_only
          FROM (SELECT 0 AS src, step_order, step_label, approver_role, deadline_hours, fallback_role, when_tag, step_kind,
                       CASE WHEN COALESCE(quorum, 1) < 1 THEN 1 WHEN quorum > 5 THEN 5 ELSE quorum END AS quorum
                FROM main.approval_chain WHERE product_id = :product_id
                UNION ALL
                SELECT 1, step_order, step_label, approver_role, deadline_hours, fallback_role, when_tag, step_kind,
                       CASE WHEN COALESCE(quorum, 1) < 1 THEN 1 WHEN quorum > 5 THEN 5 ELSE quorum END
                FROM main.chain_policy) r
          JOIN main.data_product p ON p.product_id = :product_id
          LEFT JOIN (SELECT MAX(manager_name) AS manager_name FROM main.user_manager WHERE user_name = :actor) m
                 ON r.step_kind = 'MANAGER'
          WHERE HAS_TAG(p.tags, p.classification, r.when_tag)) a
    JOIN (SELECT 1 AS k UNION ALL SELECT 2 AS k UNION ALL SELECT 3 AS k UNION ALL SELECT 4 AS k UNION ALL SELECT 5 AS k) q ON q.k <= a.quorum
    WHERE a.last_only = 0 OR a.pos = a.rules) rc),
         mg AS (SELECT COUNT(*) AS n FROM main.user_manager WHERE user_name = :actor),
         o AS (SELECT MIN(request_id) AS open_request_id FROM main.access_request
               WHERE product_id = :product_id AND requester = :actor AND request_id <> :extends_id
                 AND status IN ('PENDING', 'CHANGES_REQUESTED', 'APPROVED', 'GRANTED', 'GRANT_FAILED')),
         e AS (SELECT COUNT(*) AS n, MAX(status) AS status, MAX(product_id) AS product_id, MAX(requester) AS requester,
                      COUNT(expires_at) AS timed, MAX(duration_days) AS duration_days
               FROM main.access_request WHERE request_id = :extends_id),
         d AS (SELECT COUNT(*) AS n FROM main.access_request WHERE request_id = :request_id)
    SELECT CASE
               WHEN COALESCE(:actor, '') = '' THEN 'IDENTITY_UNAVAILABLE'
               WHEN p.n = 0 THEN 'PRODUCT_NOT_FOUND'
               WHEN c.n = 0 THEN 'NO_CHAIN'
               WHEN c.n > 10 THEN 'CHAIN_TOO_LONG'
               WHEN c.managed > 0 AND (c.unmanaged > 0 OR mg.n <> 1) THEN 'NO_MANAGER'
               WHEN ',' || p.durations || ',' NOT LIKE '%,' || CAST(:duration_days AS VARCHAR) || ',%' THEN 'DURATION_NOT_OFFERED'
               WHEN :extends_id <> '' AND (e.n <> 1 OR e.requester <> :actor OR e.product_id <> :product_id
                                           OR e.status <> 'GRANTED' OR e.timed = 0) THEN 'NOT_EXTENDABLE'
               WHEN :extends_id <> '' AND (:duration_days = 0 OR :duration_days > e.duration_days) THEN 'DURATION_LONGER'
               WHEN o.open_request_id IS NOT NULL THEN 'OPEN_REQUEST_EXISTS'
               WHEN d.n > 0 THEN 'DUPLICATE_ID'
               ELSE 'OK'
           END AS code,
           :actor AS actor, :request_id AS request_id, :product_id AS product_id, p.product_name,
           :actor AS requester,
           c.n AS step_count,
           o.open_request_id, :duration_days AS duration_days
    FROM p CROSS JOIN c CROSS JOIN o CROSS JOIN e CROSS JOIN d CROSS JOIN mg
    ) q;
    SELECT GET(:chk, 'CODE')::VARCHAR INTO :code;
    IF (COALESCE(code, '') <> 'OK') THEN
        ROLLBACK;
        SELECT ENVELOPE(:code, OBJECT_DELETE(:chk, 'REQUESTER', 'ACCESS_ROLE')) INTO :result;
        RETURN result;
    END IF;
    IF (COALESCE(dry_run, FALSE)) THEN
        ROLLBACK;
        SELECT ENVELOPE('DRY_RUN', :chk) INTO :result;
        RETURN result;
    END IF;
    SELECT GET(:chk, 'STEP_COUNT')::NUMBER INTO :step_count;
    INSERT INTO main.access_request (request_id, product_id, requester, business_reason, status,
                                     current_step, step_count, created_at, updated_at, asked_days, duration_days,
                                     extends_request_id)
    SELECT :request_id, :product_id, :actor, TRIM(:reason, ' ' || CHAR(9) || CHAR(10) || CHAR(11) || CHAR(12) || CHAR(13)), 'PENDING', 1,
           :step_count, :now_ts, :now_ts, :duration_days, :duration_days, NULLIF(:extends_id, '');
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        ROLLBACK;
        SELECT ENVELOPE('CONFLICT', OBJECT_CONSTRUCT('request_id', :request_id)) INTO :result;
        RETURN result;
    END IF;
    INSERT INTO main.request_step (request_id, step_order, step_label, approver_role, deadline_hours, fallback_role,
                                   approver_user)
    SELECT :request_id, rc.step_order, rc.step_label, rc.approver_role, rc.deadline_hours, rc.fallback_role,
           NULLIF(rc.approver_user, '')
    FROM (
    SELECT CASE WHEN a.last_only = 1 THEN 0 ELSE a.base END + q.k AS step_order,
           CASE WHEN a.quorum > 1 THEN a.step_label || ' (' || CAST(q.k AS VARCHAR) || ' of ' || CAST(a.quorum AS VARCHAR) || ')'
                ELSE a.step_label END AS step_label,
           a.approver_role, a.deadline_hours, a.fallback_role, a.approver_user
    FROM (SELECT r.step_label, r.approver_role, r.deadline_hours, COALESCE(r.fallback_role, p.fallback_role) AS fallback_role,
                 r.quorum, CASE WHEN r.step_kind = 'MANAGER' THEN COALESCE(m.manager_name, '') END AS approver_user,
                 SUM(r.quorum) OVER (ORDER BY r.src, r.step_order ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
                     - r.quorum AS base,
                 ROW_NUMBER() OVER (ORDER BY r.src, r.step_order) AS pos, COUNT(*) OVER () AS rules,
                 CASE WHEN :extends_id <> '' AND p.extension_steps = 'LAST' THEN 1 ELSE 0 END AS last_only
          FROM (SELECT 0 AS src, step_order, step_label, approver_role, deadline_hours, fallback_role, when_tag, step_kind,
                       CASE WHEN COALESCE(quorum, 1) < 1 THEN 1 WHEN quorum > 5 THEN 5 ELSE quorum END AS quorum
                FROM main.approval_chain WHERE product_id = :product_id
                UNION ALL
                SELECT 1, step_order, step_label, approver_role, deadline_hours, fallback_role, when_tag, step_kind,
                       CASE WHEN COALESCE(quorum, 1) < 1 THEN 1 WHEN quorum > 5 THEN 5 ELSE quorum END
                FROM main.chain_policy) r
          JOIN main.data_product p ON p.product_id = :product_id
          LEFT JOIN (SELECT MAX(manager_name) AS manager_name FROM main.user_manager WHERE user_name = :actor) m
                 ON r.step_kind = 'MANAGER'
          WHERE HAS_TAG(p.tags, p.classification, r.when_tag)) a
    JOIN (SELECT 1 AS k UNION ALL SELECT 2 AS k UNION ALL SELECT 3 AS k UNION ALL SELECT 4 AS k UNION ALL SELECT 5 AS k) q ON q.k <= a.quorum
    WHERE a.last_only = 0 OR a.pos = a.rules) rc;
    IF (COALESCE(SQLROWCOUNT, -1) <> step_count) THEN
        ROLLBACK;
        SELECT ENVELOPE('CONFLICT', OBJECT_CONSTRUCT('request_id', :request_id)) INTO :result;
        RETURN result;
    END IF;
    -- The chain as the request copied it, recorded in its first event.
    SELECT snapshot, policy INTO :snapshot, :policy FROM (SELECT COALESCE(MAX(CASE WHEN step_order = 1 THEN
                    CAST(LENGTH(approver_role) AS VARCHAR) || ':' || approver_role ||
                    CAST(LENGTH(step_label) AS VARCHAR) || ':' || step_label END), '') ||
           COALESCE(MAX(CASE WHEN step_order = 2 THEN
                    CAST(LENGTH(approver_role) AS VARCHAR) || ':' || approver_role ||
                    CAST(LENGTH(step_label) AS VARCHAR) || ':' || step_label END), '') ||
           COALESCE(MAX(CASE WHEN step_order = 3 THEN
                    CAST(LENGTH(approver_role) AS VARCHAR) || ':' || approver_role ||
                    CAST(LENGTH(step_label) AS VARCHAR) || ':' || step_label END), '') ||
           COALESCE(MAX(CASE WHEN step_order = 4 THEN
                    CAST(LENGTH(approver_role) AS VARCHAR) || ':' || approver_role ||
                    CAST(LENGTH(step_label) AS VARCHAR) || ':' || step_label END), '') ||
           COALESCE(MAX(CASE WHEN step_order = 5 THEN
                    CAST(LENGTH(approver_role) AS VARCHAR) || ':' || approver_role ||
                    CAST(LENGTH(step_label) AS VARCHAR) || ':' || step_label END), '') ||
           COALESCE(MAX(CASE WHEN step_order = 6 THEN
                    CAST(LENGTH(approver_role) AS VARCHAR) || ':' || approver_role ||
                    CAST(LENGTH(step_label) AS VARCHAR) || ':' || step_label END), '') ||
           COALESCE(MAX(CASE WHEN step_order = 7 THEN
                    CAST(LENGTH(approver_role) AS VARCHAR) || ':' || approver_role ||
                    CAST(LENGTH(step_label) AS VARCHAR) || ':' || step_label END), '') ||
           COALESCE(MAX(CASE WHEN step_order = 8 THEN
                    CAST(LENGTH(approver_role) AS VARCHAR) || ':' || approver_role ||
                    CAST(LENGTH(step_label) AS VARCHAR) || ':' || step_label END), '') ||
           COALESCE(MAX(CASE WHEN step_order = 9 THEN
                    CAST(LENGTH(approver_role) AS VARCHAR) || ':' || approver_role ||
                    CAST(LENGTH(step_label) AS VARCHAR) || ':' || step_label END), '') ||
           COALESCE(MAX(CASE WHEN step_order = 10 THEN
                    CAST(LENGTH(approver_role) AS VARCHAR) || ':' || approver_role ||
                    CAST(LENGTH(step_label) AS VARCHAR) || ':' || step_label END), '') AS snapshot,
           COALESCE(MAX(CASE WHEN step_order = 1 THEN
                    CAST(COALESCE(deadline_hours, 0) AS VARCHAR) || ':' || COALESCE(fallback_role, '') || ';' ||
                    COALESCE('@' || CAST(LENGTH(approver_user) AS VARCHAR) || ':' || approver_user || ';', '') END), '') ||
           COALESCE(MAX(CASE WHEN step_order = 2 THEN
                    CAST(COALESCE(deadline_hours, 0) AS VARCHAR) || ':' || COALESCE(fallback_role, '') || ';' ||
                    COALESCE('@' || CAST(LENGTH(approver_user) AS VARCHAR) || ':' || approver_user || ';', '') END), '') ||
           COALESCE(MAX(CASE WHEN step_order = 3 THEN
                    CAST(COALESCE(deadline_hours, 0) AS VARCHAR) || ':' || COALESCE(fallback_role, '') || ';' ||
                    COALESCE('@' || CAST(LENGTH(approver_user) AS VARCHAR) || ':' || approver_user || ';', '') END), '') ||
           COALESCE(MAX(CASE WHEN step_order = 4 THEN
                    CAST(COALESCE(deadline_hours, 0) AS VARCHAR) || ':' || COALESCE(fallback_role, '') || ';' ||
                    COALESCE('@' || CAST(LENGTH(approver_user) AS VARCHAR) || ':' || approver_user || ';', '') END), '') ||
           COALESCE(MAX(CASE WHEN step_order = 5 THEN
                    CAST(COALESCE(deadline_hours, 0) AS VARCHAR) || ':' || COALESCE(fallback_role, '') || ';' ||
                    COALESCE('@' || CAST(LENGTH(approver_user) AS VARCHAR) || ':' || approver_user || ';', '') END), '') ||
           COALESCE(MAX(CASE WHEN step_order = 6 THEN
                    CAST(COALESCE(deadline_hours, 0) AS VARCHAR) || ':' || COALESCE(fallback_role, '') || ';' ||
                    COALESCE('@' || CAST(LENGTH(approver_user) AS VARCHAR) || ':' || approver_user || ';', '') END), '') ||
           COALESCE(MAX(CASE WHEN step_order = 7 THEN
                    CAST(COALESCE(deadline_hours, 0) AS VARCHAR) || ':' || COALESCE(fallback_role, '') || ';' ||
                    COALESCE('@' || CAST(LENGTH(approver_user) AS VARCHAR) || ':' || approver_user || ';', '') END), '') ||
           COALESCE(MAX(CASE WHEN step_order = 8 THEN
                    CAST(COALESCE(deadline_hours, 0) AS VARCHAR) || ':' || COALESCE(fallback_role, '') || ';' ||
                    COALESCE('@' || CAST(LENGTH(approver_user) AS VARCHAR) || ':' || approver_user || ';', '') END), '') ||
           COALESCE(MAX(CASE WHEN step_order = 9 THEN
                    CAST(COALESCE(deadline_hours, 0) AS VARCHAR) || ':' || COALESCE(fallback_role, '') || ';' ||
                    COALESCE('@' || CAST(LENGTH(approver_user) AS VARCHAR) || ':' || approver_user || ';', '') END), '') ||
           COALESCE(MAX(CASE WHEN step_order = 10 THEN
                    CAST(COALESCE(deadline_hours, 0) AS VARCHAR) || ':' || COALESCE(fallback_role, '') || ';' ||
                    COALESCE('@' || CAST(LENGTH(approver_user) AS VARCHAR) || ':' || approver_user || ';', '') END), '') AS policy
    FROM main.request_step WHERE request_id = :request_id
    ) q;
    -- Audit event REQUEST_SUBMITTED, appended at the head of the ledger, under the
    -- audit lock (taken last, so that locks are always taken in one order).
    SELECT SPLIT_PART(:event_ids, ',', 1), 'REQUEST_SUBMITTED', 0, '', TRIM(:reason, ' ' || CHAR(9) || CHAR(10) || CHAR(11) || CHAR(12) || CHAR(13)), 'days=' || TO_VARCHAR(:duration_days) || ';' || IFF(:extends_id = '', '', 'extends=' || :extends_id || ';') || 'steps=' || :policy || '|' || :snapshot
      INTO :event_id, :event_type, :ev_step, :ev_decision, :ev_comment, :ev_details;
    UPDATE main.audit_lock SET locked_at = :now_ts WHERE lock_id = 1;
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        RAISE audit_lock_missing;
    END IF;
    SELECT h.ev_seq + 1, h.ev_prev_hash INTO :ev_seq, :ev_prev_hash FROM (SELECT COALESCE((SELECT MAX(seq) FROM main.audit_log), 0) AS ev_seq,
           COALESCE((SELECT hash FROM main.audit_log ORDER BY seq DESC LIMIT 1), '') AS ev_prev_hash
    ) h;
    SELECT AUDIT_HASH(:ev_prev_hash, :event_id, :now_ts, :request_id, NULLIF(:product_id, ''), :actor,
                      NULLIF(:actor_role, ''), :event_type, NULLIF(:ev_step, 0), NULLIF(:ev_decision, ''),
                      NULLIF(:ev_comment, ''), NULLIF(:ev_details, ''), :ev_seq)
      INTO :ev_hash;
    INSERT INTO main.audit_log (event_id, event_time, request_id, product_id, actor, actor_role, event_type,
                                step_order, decision, comment, details, seq, prev_hash, hash)
    SELECT :event_id, :now_ts, NULLIF(:request_id, ''), NULLIF(:product_id, ''), :actor, NULLIF(:actor_role, ''), :event_type,
           NULLIF(:ev_step, 0), NULLIF(:ev_decision, ''), NULLIF(:ev_comment, ''), NULLIF(:ev_details, ''),
           :ev_seq, :ev_prev_hash, :ev_hash
    WHERE NOT EXISTS (SELECT 1 FROM main.audit_log WHERE seq >= :ev_seq)
      AND NOT EXISTS (SELECT 1 FROM main.audit_log WHERE event_id = :event_id);
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        ROLLBACK;
        SELECT ENVELOPE('CONFLICT', OBJECT_CONSTRUCT('request_id', :request_id)) INTO :result;
        RETURN result;
    END IF;
    SELECT OBJECT_CONSTRUCT(*) INTO :chk FROM (WITH r AS (
    SELECT (SELECT COUNT(*) FROM main.access_request WHERE request_id = :request_id) AS n,
           MAX(r.status) AS status, MAX(r.requester) AS requester, MAX(r.product_id) AS product_id,
           MAX(p.name) AS product_name, MAX(p.access_role) AS access_role, MAX(p.owner_role) AS owner_role,
           MAX(r.current_step) AS current_step, MAX(r.step_count) AS step_count,
           MAX(cur.step_label) AS step_label, MAX(cur.approver_role) AS step_role,
           COALESCE(MAX(cur.escalated_to), '') AS escalated_to, COALESCE(MAX(cur.approver_user), '') AS step_user, MAX(r.duration_days) AS duration_days,
           MAX(r.expires_at) AS expires_at, COALESCE(MAX(x.status), '') AS extends_status
    FROM main.access_request r
    LEFT JOIN main.data_product p ON p.product_id = r.product_id
    LEFT JOIN main.request_step cur ON cur.request_id = r.request_id AND cur.step_order = r.current_step
    LEFT JOIN main.access_request x ON x.request_id = r.extends_request_id
    WHERE r.request_id = :request_id)
    SELECT 'OK' AS code, :actor AS actor, :request_id AS request_id, r.product_id, r.product_name, r.requester,
           r.access_role, r.owner_role, r.status, r.current_step, r.step_count, r.step_label, r.step_role,
           r.duration_days, r.step_user
    FROM r
    ) q;
    COMMIT;
    SELECT ENVELOPE('OK', :chk) INTO :result;
    RETURN result;
EXCEPTION
    WHEN OTHER THEN
        ROLLBACK;
        RAISE;
END;
$$;

GRANT USAGE ON PROCEDURE SIGNOFF.API.SUBMIT_REQUEST(VARCHAR, VARCHAR, NUMBER, VARCHAR, VARCHAR, VARCHAR, BOOLEAN) TO ROLE PUBLIC;

-- ============================================================================
-- GRANT_REQUEST: the grant path (promise 1); internal, for DECIDE_STEP and
-- RETRY_GRANT only (nobody else holds USAGE on it)
-- ============================================================================
-- Re-verifies the decision record (sqlstore.CheckGrant), grants the
-- product's access role to the requester with both names quoted (so that
-- "alice" is alice, not ALICE), and records GRANTED or GRANT_FAILED with its
-- audit event. A GRANT that Snowflake refuses (no such role or user, a role
-- SIGNOFF_OWNER does not own) becomes GRANT_FAILED with Snowflake's message
-- in the event's DETAILS, which only admins and auditors see in the app.
-- GRANT ROLE needs OWNERSHIP of the role or MANAGE GRANTS
-- (DOCS/sql-reference/sql/grant-role): SIGNOFF_OWNER owns each access role
-- (04_seed.sql), which lets it grant those and nothing else.
CREATE OR REPLACE PROCEDURE SIGNOFF.API.GRANT_REQUEST(
    REQUEST_ID VARCHAR, ACTOR VARCHAR, ACTOR_ROLE VARCHAR, EVENT_ID_ARG VARCHAR)
RETURNS VARIANT
LANGUAGE SQL
COMMENT = 'Signoff: grants an approved request''s access role after re-verifying its decision record (internal)'
EXECUTE AS OWNER
AS
$$
DECLARE
    now_ts       TIMESTAMP_NTZ;
    chk          VARIANT;
    code         VARCHAR;
    result       VARIANT;
    refusal      VARCHAR;
    product_id   VARCHAR;
    q_role       VARCHAR;
    q_user       VARCHAR;
    audit_lock_missing EXCEPTION (-20002, 'the SIGNOFF.MAIN.AUDIT_LOCK row is missing; run 01_data_model.sql');
    event_id     VARCHAR;
    event_type   VARCHAR;
    ev_step      NUMBER;
    ev_decision  VARCHAR;
    ev_comment   VARCHAR;
    ev_details   VARCHAR;
    ev_seq       NUMBER;
    ev_prev_hash VARCHAR;
    ev_hash      VARCHAR;
BEGIN
    SELECT DATE_TRUNC('MICROSECOND', SYSDATE()) INTO :now_ts;
    SELECT OBJECT_CONSTRUCT(*) INTO :chk FROM (WITH r AS (SELECT COUNT(*) AS n, MAX(status) AS status, MAX(requester) AS requester,
                      MAX(step_count) AS step_count, MAX(product_id) AS product_id
               FROM main.access_request WHERE request_id = :request_id),
         s AS (SELECT COUNT(*) AS n, COUNT(DISTINCT step_order) AS orders, MIN(step_order) AS lo,
                      MAX(step_order) AS hi,
                      SUM(CASE WHEN decision = 'APPROVED' THEN 0 ELSE 1 END) AS not_approved,
                      COUNT(decided_by) AS decided, COUNT(DISTINCT decided_by) AS deciders,
                      SUM(CASE WHEN acting_role = approver_role OR acting_role = escalated_to AND escalated_to = fallback_role
                               THEN 0 ELSE 1 END) AS other_role,
                      SUM(CASE WHEN approver_user IS NULL OR decided_by = approver_user
                                    OR acting_role = escalated_to AND escalated_to = fallback_role
                               THEN 0 ELSE 1 END) AS not_step_user
               FROM main.request_step WHERE request_id = :request_id),
         q AS (SELECT COUNT(*) AS n FROM main.request_step st
               WHERE st.request_id = :request_id
                 AND st.decided_by = (SELECT MAX(requester) FROM main.access_request WHERE request_id = :request_id)),
         p AS (SELECT COUNT(DISTINCT access_role) AS n, MAX(access_role) AS access_role
               FROM main.data_product
               WHERE product_id = (SELECT MAX(product_id) FROM main.access_request WHERE request_id = :request_id)),
         v AS (SELECT RTRIM(
                    CASE WHEN s.n <> r.step_count
                         THEN CAST(s.n AS VARCHAR) || ' decisions recorded for ' || CAST(r.step_count AS VARCHAR) || ' steps; '
                         ELSE '' END ||
                    CASE WHEN s.n > 0 AND (s.orders <> s.n OR s.lo <> 1 OR s.hi <> r.step_count)
                         THEN 'steps are not numbered 1 to ' || CAST(r.step_count AS VARCHAR) || ' once each; '
                         ELSE '' END ||
                    CASE WHEN s.not_approved > 0
                         THEN CAST(s.not_approved AS VARCHAR) || ' step(s) not approved; ' ELSE '' END ||
                    CASE WHEN q.n > 0 THEN 'a step was decided by the requester; ' ELSE '' END ||
                    CASE WHEN s.decided < s.n THEN 'a step has no decider; ' ELSE '' END ||
                    CASE WHEN s.deciders < s.decided THEN 'a user decided more than one step; ' ELSE '' END ||
                    CASE WHEN s.other_role > 0 THEN 'a step was not decided with its approver or fallback role; ' ELSE '' END ||
                    CASE WHEN s.not_step_user > 0 THEN 'a manager step was decided by someone other than the manager; ' ELSE '' END,
                    '; ') AS problems
               FROM r CROSS JOIN s CROSS JOIN q)
    SELECT CASE
               WHEN r.n = 0 THEN 'NOT_FOUND'
               WHEN r.n > 1 THEN 'DUPLICATE_ID'
               WHEN r.status NOT IN ('APPROVED', 'GRANT_FAILED') THEN 'WRONG_STATUS'
               ELSE 'OK'
           END AS code,
           :request_id AS request_id, r.product_id, r.requester, p.access_role, r.status, r.step_count,
           CASE WHEN v.problems <> '' THEN 'decision record does not verify: ' || v.problems
                WHEN p.n <> 1 OR COALESCE(p.access_role, '') = '' THEN 'the product has no single access role'
                ELSE '' END AS refusal,
           'GRANT ROLE "' || REPLACE(COALESCE(p.access_role, ''), '"', '""') || '" TO USER "' ||
               REPLACE(COALESCE(r.requester, ''), '"', '""') || '"' AS grant_statement
    FROM r CROSS JOIN p CROSS JOIN v
    ) q;
    SELECT GET(:chk, 'CODE')::VARCHAR, GET(:chk, 'REFUSAL')::VARCHAR, GET(:chk, 'PRODUCT_ID')::VARCHAR,
           '"' || REPLACE(GET(:chk, 'ACCESS_ROLE')::VARCHAR, '"', '""') || '"',
           '"' || REPLACE(GET(:chk, 'REQUESTER')::VARCHAR, '"', '""') || '"'
      INTO :code, :refusal, :product_id, :q_role, :q_user;
    IF (COALESCE(code, '') <> 'OK') THEN
        SELECT ENVELOPE(:code, OBJECT_DELETE(:chk, 'REQUESTER', 'ACCESS_ROLE')) INTO :result;
        RETURN result;
    END IF;
    IF (refusal = '') THEN
        BEGIN
            GRANT ROLE IDENTIFIER(:q_role) TO USER IDENTIFIER(:q_user);
        EXCEPTION
            WHEN OTHER THEN
                refusal := COALESCE(NULLIF(SQLERRM, ''), 'GRANT failed with SQLCODE ' || SQLCODE);
        END;
    END IF;
    BEGIN TRANSACTION;
    IF (refusal = '') THEN
        UPDATE main.access_request
    SET status = 'GRANTED', updated_at = :now_ts,
        expires_at = CASE WHEN duration_days > 0 THEN ADD_HOURS(:now_ts, 24 * duration_days) END
    WHERE request_id = :request_id AND status IN ('APPROVED', 'GRANT_FAILED');
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        ROLLBACK;
        SELECT ENVELOPE('CONFLICT', OBJECT_CONSTRUCT('request_id', :request_id)) INTO :result;
        RETURN result;
    END IF;
    -- Audit event ACCESS_GRANTED, appended at the head of the ledger, under the
    -- audit lock (taken last, so that locks are always taken in one order).
    SELECT :event_id_arg, 'ACCESS_GRANTED', 0, '', '', GET(:chk, 'GRANT_STATEMENT')::VARCHAR
      INTO :event_id, :event_type, :ev_step, :ev_decision, :ev_comment, :ev_details;
    UPDATE main.audit_lock SET locked_at = :now_ts WHERE lock_id = 1;
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        RAISE audit_lock_missing;
    END IF;
    SELECT h.ev_seq + 1, h.ev_prev_hash INTO :ev_seq, :ev_prev_hash FROM (SELECT COALESCE((SELECT MAX(seq) FROM main.audit_log), 0) AS ev_seq,
           COALESCE((SELECT hash FROM main.audit_log ORDER BY seq DESC LIMIT 1), '') AS ev_prev_hash
    ) h;
    SELECT AUDIT_HASH(:ev_prev_hash, :event_id, :now_ts, :request_id, NULLIF(:product_id, ''), :actor,
                      NULLIF(:actor_role, ''), :event_type, NULLIF(:ev_step, 0), NULLIF(:ev_decision, ''),
                      NULLIF(:ev_comment, ''), NULLIF(:ev_details, ''), :ev_seq)
      INTO :ev_hash;
    INSERT INTO main.audit_log (event_id, event_time, request_id, product_id, actor, actor_role, event_type,
                                step_order, decision, comment, details, seq, prev_hash, hash)
    SELECT :event_id, :now_ts, NULLIF(:request_id, ''), NULLIF(:product_id, ''), :actor, NULLIF(:actor_role, ''), :event_type,
           NULLIF(:ev_step, 0), NULLIF(:ev_decision, ''), NULLIF(:ev_comment, ''), NULLIF(:ev_details, ''),
           :ev_seq, :ev_prev_hash, :ev_hash
    WHERE NOT EXISTS (SELECT 1 FROM main.audit_log WHERE seq >= :ev_seq)
      AND NOT EXISTS (SELECT 1 FROM main.audit_log WHERE event_id = :event_id);
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        ROLLBACK;
        SELECT ENVELOPE('CONFLICT', OBJECT_CONSTRUCT('request_id', :request_id)) INTO :result;
        RETURN result;
    END IF;
    ELSE
        UPDATE main.access_request SET status = 'GRANT_FAILED', updated_at = :now_ts
    WHERE request_id = :request_id AND status IN ('APPROVED', 'GRANT_FAILED');
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        ROLLBACK;
        SELECT ENVELOPE('CONFLICT', OBJECT_CONSTRUCT('request_id', :request_id)) INTO :result;
        RETURN result;
    END IF;
    -- Audit event GRANT_FAILED, appended at the head of the ledger, under the
    -- audit lock (taken last, so that locks are always taken in one order).
    SELECT :event_id_arg, 'GRANT_FAILED', 0, '', '', :refusal
      INTO :event_id, :event_type, :ev_step, :ev_decision, :ev_comment, :ev_details;
    UPDATE main.audit_lock SET locked_at = :now_ts WHERE lock_id = 1;
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        RAISE audit_lock_missing;
    END IF;
    SELECT h.ev_seq + 1, h.ev_prev_hash INTO :ev_seq, :ev_prev_hash FROM (SELECT COALESCE((SELECT MAX(seq) FROM main.audit_log), 0) AS ev_seq,
           COALESCE((SELECT hash FROM main.audit_log ORDER BY seq DESC LIMIT 1), '') AS ev_prev_hash
    ) h;
    SELECT AUDIT_HASH(:ev_prev_hash, :event_id, :now_ts, :request_id, NULLIF(:product_id, ''), :actor,
                      NULLIF(:actor_role, ''), :event_type, NULLIF(:ev_step, 0), NULLIF(:ev_decision, ''),
                      NULLIF(:ev_comment, ''), NULLIF(:ev_details, ''), :ev_seq)
      INTO :ev_hash;
    INSERT INTO main.audit_log (event_id, event_time, request_id, product_id, actor, actor_role, event_type,
                                step_order, decision, comment, details, seq, prev_hash, hash)
    SELECT :event_id, :now_ts, NULLIF(:request_id, ''), NULLIF(:product_id, ''), :actor, NULLIF(:actor_role, ''), :event_type,
           NULLIF(:ev_step, 0), NULLIF(:ev_decision, ''), NULLIF(:ev_comment, ''), NULLIF(:ev_details, ''),
           :ev_seq, :ev_prev_hash, :ev_hash
    WHERE NOT EXISTS (SELECT 1 FROM main.audit_log WHERE seq >= :ev_seq)
      AND NOT EXISTS (SELECT 1 FROM main.audit_log WHERE event_id = :event_id);
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        ROLLBACK;
        SELECT ENVELOPE('CONFLICT', OBJECT_CONSTRUCT('request_id', :request_id)) INTO :result;
        RETURN result;
    END IF;
    END IF;
    SELECT OBJECT_CONSTRUCT(*) INTO :chk FROM (WITH r AS (
    SELECT (SELECT COUNT(*) FROM main.access_request WHERE request_id = :request_id) AS n,
           MAX(r.status) AS status, MAX(r.requester) AS requester, MAX(r.product_id) AS product_id,
           MAX(p.name) AS product_name, MAX(p.access_role) AS access_role, MAX(p.owner_role) AS owner_role,
           MAX(r.current_step) AS current_step, MAX(r.step_count) AS step_count,
           MAX(cur.step_label) AS step_label, MAX(cur.approver_role) AS step_role,
           COALESCE(MAX(cur.escalated_to), '') AS escalated_to, COALESCE(MAX(cur.approver_user), '') AS step_user, MAX(r.duration_days) AS duration_days,
           MAX(r.expires_at) AS expires_at, COALESCE(MAX(x.status), '') AS extends_status
    FROM main.access_request r
    LEFT JOIN main.data_product p ON p.product_id = r.product_id
    LEFT JOIN main.request_step cur ON cur.request_id = r.request_id AND cur.step_order = r.current_step
    LEFT JOIN main.access_request x ON x.request_id = r.extends_request_id
    WHERE r.request_id = :request_id)
    SELECT 'OK' AS code, :actor AS actor, :request_id AS request_id, r.product_id, r.product_name, r.requester,
           r.access_role, r.owner_role, r.status, r.current_step, r.step_count, r.step_label, r.step_role,
           r.duration_days, r.step_user
    FROM r
    ) q;
    COMMIT;
    SELECT ENVELOPE('OK', :chk) INTO :result;
    RETURN result;
EXCEPTION
    WHEN OTHER THEN
        ROLLBACK;
        RAISE;
END;
$$;

-- ============================================================================
-- DECIDE_STEP: the calling user approves or rejects a request's current step
-- ============================================================================
-- Answers OK (data: where the request now stands; after a final approval,
-- GRANTED or GRANT_FAILED, or APPROVED with grant_error if the grant could
-- not record an outcome), DRY_RUN, INVALID, IDENTITY_UNAVAILABLE, NOT_FOUND,
-- DUPLICATE_ID, STALE_STEP (data: who decided the step given), WRONG_STATUS,
-- OWN_REQUEST, DECIDED_ANOTHER_STEP, NOT_STEP_APPROVER (a manager step,
-- not the caller's), ACTING_AS_NOT_HELD,
-- ACTING_AS_WRONG_ROLE, ROLE_NOT_HELD, DURATION_LONGER or CONFLICT
-- (sqlstore.CheckDecide, promise 2). DECISION is APPROVED, REJECTED or
-- CHANGES_REQUESTED (a question for the requester: the step stays open and
-- the request waits on them). STEP_NO is the step the caller saw (0: the
-- current one); APPROVE_DAYS, if not 0, approves for that shorter
-- duration; EVENT_IDS are three IDs: the decision's event,
-- REQUEST_APPROVED and the grant's outcome. Once a step escalated, members
-- of its fallback role may decide it too (their role is looked up in the
-- session as the step's is).
CREATE OR REPLACE PROCEDURE SIGNOFF.API.DECIDE_STEP(
    REQUEST_ID VARCHAR, STEP_NO NUMBER, DECISION VARCHAR, COMMENT_TEXT VARCHAR, ACTING_AS VARCHAR,
    APPROVE_DAYS NUMBER, EVENT_IDS VARCHAR, DRY_RUN BOOLEAN)
RETURNS VARIANT
LANGUAGE SQL
COMMENT = 'Signoff: the calling user decides the current step of a request'
EXECUTE AS OWNER
AS
$$
DECLARE
    actor            VARCHAR;
    now_ts           TIMESTAMP_NTZ;
    invalid          VARCHAR;
    facts            VARIANT;
    chk              VARIANT;
    code             VARCHAR;
    result           VARIANT;
    granted          VARIANT;
    granted_code     VARCHAR DEFAULT '';
    grant_error      VARCHAR DEFAULT '';
    step_role        VARCHAR;
    escalated_to     VARCHAR;
    step_user        VARCHAR;
    holds_step_role  BOOLEAN DEFAULT FALSE;
    holds_escalated_to BOOLEAN DEFAULT FALSE;
    holds_acting_as  BOOLEAN DEFAULT FALSE;
    cur_step         NUMBER;
    actor_role       VARCHAR;
    product_id       VARCHAR;
    status           VARCHAR;
    audit_lock_missing EXCEPTION (-20002, 'the SIGNOFF.MAIN.AUDIT_LOCK row is missing; run 01_data_model.sql');
    event_id     VARCHAR;
    event_type   VARCHAR;
    ev_step      NUMBER;
    ev_decision  VARCHAR;
    ev_comment   VARCHAR;
    ev_details   VARCHAR;
    ev_seq       NUMBER;
    ev_prev_hash VARCHAR;
    ev_hash      VARCHAR;
BEGIN
    -- Who is calling: the calling session's user, from Snowflake.
    SELECT IFF(SYS_CONTEXT('SNOWFLAKE$SESSION', 'PRINCIPAL_TYPE') LIKE 'USER%',
               SYS_CONTEXT('SNOWFLAKE$SESSION', 'PRINCIPAL_NAME'), NULL),
           DATE_TRUNC('MICROSECOND', SYSDATE())
      INTO :actor, :now_ts;
    SELECT CASE
               WHEN NOT COALESCE(:request_id RLIKE '[0-9A-HJKMNP-TV-Z]{26}', FALSE) THEN 'request_id'
               WHEN COALESCE(:step_no, 0) < 0 THEN 'step_no'
               WHEN COALESCE(:decision, '') NOT IN ('APPROVED', 'REJECTED', 'CHANGES_REQUESTED') THEN 'decision'
               WHEN COALESCE(LENGTH(TRIM(:comment_text, ' ' || CHAR(9) || CHAR(10) || CHAR(11) || CHAR(12) || CHAR(13))), 0) > 1000 THEN 'comment_text'
               WHEN :decision IN ('REJECTED', 'CHANGES_REQUESTED') AND COALESCE(VISIBLE_LENGTH(:comment_text), 0) = 0 THEN 'comment_text'
               WHEN COALESCE(:approve_days, -1) NOT BETWEEN 0 AND 3650 THEN 'approve_days'
               WHEN :approve_days > 0 AND :decision <> 'APPROVED' THEN 'approve_days'
               WHEN COALESCE(BIDI_CONTROLS(:comment_text), 0) > 0 THEN 'comment_text'
               WHEN COALESCE(:acting_as, '') <> '' AND NOT (:acting_as RLIKE '[A-Za-z_][A-Za-z0-9_$]{0,254}') THEN 'acting_as'
               WHEN NOT COALESCE(:event_ids RLIKE '[0-9A-HJKMNP-TV-Z]{26},[0-9A-HJKMNP-TV-Z]{26},[0-9A-HJKMNP-TV-Z]{26}', FALSE) THEN 'event_ids'
               WHEN ABS(ID_MILLIS(SPLIT_PART(:event_ids, ',', 1)) - DATE_PART(EPOCH_MILLISECOND, :now_ts)) > 600000 OR ABS(ID_MILLIS(SPLIT_PART(:event_ids, ',', 2)) - DATE_PART(EPOCH_MILLISECOND, :now_ts)) > 600000
                    OR ABS(ID_MILLIS(SPLIT_PART(:event_ids, ',', 3)) - DATE_PART(EPOCH_MILLISECOND, :now_ts)) > 600000 THEN 'event_ids'
               ELSE ''
           END
      INTO :invalid;
    IF (invalid <> '') THEN
        SELECT ENVELOPE('INVALID', OBJECT_CONSTRUCT('field', :invalid)) INTO :result;
        RETURN result;
    END IF;
    BEGIN TRANSACTION;
    -- The roles to look up in the caller's session: the current step's,
    -- and the fallback role it escalated to, if it did.
    SELECT OBJECT_CONSTRUCT(*) INTO :facts FROM (SELECT (SELECT COUNT(*) FROM main.access_request WHERE request_id = :request_id) AS n,
           MAX(r.status) AS status, MAX(r.requester) AS requester, MAX(r.product_id) AS product_id,
           MAX(p.name) AS product_name, MAX(p.access_role) AS access_role, MAX(p.owner_role) AS owner_role,
           MAX(r.current_step) AS current_step, MAX(r.step_count) AS step_count,
           MAX(cur.step_label) AS step_label, MAX(cur.approver_role) AS step_role,
           COALESCE(MAX(cur.escalated_to), '') AS escalated_to, COALESCE(MAX(cur.approver_user), '') AS step_user, MAX(r.duration_days) AS duration_days,
           MAX(r.expires_at) AS expires_at, COALESCE(MAX(x.status), '') AS extends_status
    FROM main.access_request r
    LEFT JOIN main.data_product p ON p.product_id = r.product_id
    LEFT JOIN main.request_step cur ON cur.request_id = r.request_id AND cur.step_order = r.current_step
    LEFT JOIN main.access_request x ON x.request_id = r.extends_request_id
    WHERE r.request_id = :request_id
    ) q;
    SELECT GET(:facts, 'STEP_ROLE')::VARCHAR, COALESCE(GET(:facts, 'ESCALATED_TO')::VARCHAR, ''),
           COALESCE(GET(:facts, 'STEP_USER')::VARCHAR, '')
      INTO :step_role, :escalated_to, :step_user;
    -- A manager step's role counts only for its manager (STEP_USER):
    -- anyone else decides it, once it escalated, with the fallback role.
    SELECT COALESCE(SYS_CONTEXT('SNOWFLAKE$SESSION', 'IS_ROLE_ACTIVATED', COALESCE(:step_role, '')) = 'TRUE', FALSE)
               AND (:step_user = '' OR :step_user = :actor),
           :escalated_to <> ''
               AND COALESCE(SYS_CONTEXT('SNOWFLAKE$SESSION', 'IS_ROLE_ACTIVATED', :escalated_to) = 'TRUE', FALSE),
           COALESCE(:acting_as, '') <> ''
               AND COALESCE(SYS_CONTEXT('SNOWFLAKE$SESSION', 'IS_ROLE_ACTIVATED', COALESCE(:acting_as, '')) = 'TRUE', FALSE)
      INTO :holds_step_role, :holds_escalated_to, :holds_acting_as;
    SELECT OBJECT_CONSTRUCT(*) INTO :chk FROM (WITH r AS (
    SELECT (SELECT COUNT(*) FROM main.access_request WHERE request_id = :request_id) AS n,
           MAX(r.status) AS status, MAX(r.requester) AS requester, MAX(r.product_id) AS product_id,
           MAX(p.name) AS product_name, MAX(p.access_role) AS access_role, MAX(p.owner_role) AS owner_role,
           MAX(r.current_step) AS current_step, MAX(r.step_count) AS step_count,
           MAX(cur.step_label) AS step_label, MAX(cur.approver_role) AS step_role,
           COALESCE(MAX(cur.escalated_to), '') AS escalated_to, COALESCE(MAX(cur.approver_user), '') AS step_user, MAX(r.duration_days) AS duration_days,
           MAX(r.expires_at) AS expires_at, COALESCE(MAX(x.status), '') AS extends_status
    FROM main.access_request r
    LEFT JOIN main.data_product p ON p.product_id = r.product_id
    LEFT JOIN main.request_step cur ON cur.request_id = r.request_id AND cur.step_order = r.current_step
    LEFT JOIN main.access_request x ON x.request_id = r.extends_request_id
    WHERE r.request_id = :request_id),
         seen AS (SELECT MAX(step_label) AS seen_label, MAX(decided_by) AS seen_decided_by,
                         MAX(decision) AS seen_decision
                  FROM main.request_step WHERE request_id = :request_id AND step_order = :step_no),
         mine AS (SELECT COUNT(*) AS n FROM main.request_step WHERE request_id = :request_id AND decided_by = :actor)
    SELECT CASE
               WHEN COALESCE(:actor, '') = '' THEN 'IDENTITY_UNAVAILABLE'
               WHEN r.n = 0 THEN 'NOT_FOUND'
               WHEN r.n > 1 THEN 'DUPLICATE_ID'
               WHEN :step_no > 0 AND (r.status <> 'PENDING' OR :step_no <> r.current_step) THEN 'STALE_STEP'
               WHEN r.status <> 'PENDING' THEN 'WRONG_STATUS'
               WHEN COALESCE(r.step_role, '') <> COALESCE(:step_role, '') THEN 'CONFLICT'
               WHEN r.escalated_to <> COALESCE(:escalated_to, '') THEN 'CONFLICT'
               WHEN r.step_user <> COALESCE(:step_user, '') THEN 'CONFLICT'
               WHEN :actor = r.requester THEN 'OWN_REQUEST'
               WHEN :decision = 'APPROVED' AND r.extends_status = 'REVOKED' THEN 'NOT_EXTENDABLE'
               WHEN mine.n > 0 THEN 'DECIDED_ANOTHER_STEP'
               WHEN r.step_user <> '' AND :actor <> r.step_user
                    AND NOT (r.escalated_to <> '' AND :holds_escalated_to
                             AND (COALESCE(:acting_as, '') = '' OR :acting_as = r.escalated_to)) THEN 'NOT_STEP_APPROVER'
               WHEN :acting_as <> '' AND NOT :holds_acting_as THEN 'ACTING_AS_NOT_HELD'
               WHEN :acting_as <> '' AND :acting_as <> r.step_role
                    AND (r.escalated_to = '' OR :acting_as <> r.escalated_to) THEN 'ACTING_AS_WRONG_ROLE'
               WHEN NOT :holds_step_role AND NOT (r.escalated_to <> '' AND :holds_escalated_to) THEN 'ROLE_NOT_HELD'
               WHEN :decision = 'APPROVED' AND :approve_days > 0 AND r.duration_days > 0 AND :approve_days > r.duration_days
                    THEN 'DURATION_LONGER'
               ELSE 'OK'
           END AS code,
           :actor AS actor, :request_id AS request_id, r.product_id, r.product_name, r.requester,
           r.access_role, r.owner_role, r.status, r.current_step, r.step_count, r.step_label, r.step_role,
           r.duration_days, r.step_user,
           :step_no AS seen_step, seen.seen_label, seen.seen_decided_by, seen.seen_decision, :acting_as AS acting_as
    FROM r CROSS JOIN seen CROSS JOIN mine
    ) q;
    SELECT GET(:chk, 'CODE')::VARCHAR INTO :code;
    IF (COALESCE(code, '') <> 'OK') THEN
        ROLLBACK;
        SELECT ENVELOPE(:code, OBJECT_DELETE(:chk, 'REQUESTER', 'ACCESS_ROLE')) INTO :result;
        RETURN result;
    END IF;
    IF (COALESCE(dry_run, FALSE)) THEN
        ROLLBACK;
        SELECT ENVELOPE('DRY_RUN', :chk) INTO :result;
        RETURN result;
    END IF;
    -- The decision is made with a role whose possession was checked
    -- (CheckDecide answered CONFLICT if the current step's are others): the
    -- acting-as role, else the step's role if held, else the fallback role
    -- (signoff.DecidingRole).
    SELECT GET(:chk, 'CURRENT_STEP')::NUMBER, GET(:chk, 'PRODUCT_ID')::VARCHAR,
           CASE WHEN COALESCE(:acting_as, '') <> '' THEN :acting_as
                WHEN :holds_step_role OR :escalated_to = '' THEN :step_role
                ELSE :escalated_to END
      INTO :cur_step, :product_id, :actor_role;
    UPDATE main.access_request
    SET status = CASE WHEN :decision = 'REJECTED' THEN 'REJECTED'
                      WHEN :decision = 'CHANGES_REQUESTED' THEN 'CHANGES_REQUESTED'
                      WHEN current_step = step_count THEN 'APPROVED'
                      ELSE 'PENDING' END,
        current_step = CASE WHEN :decision = 'APPROVED' AND current_step < step_count THEN current_step + 1
                            ELSE current_step END,
        duration_days = CASE WHEN :decision = 'APPROVED' AND :approve_days > 0 THEN :approve_days
                             ELSE duration_days END,
        updated_at = :now_ts
    WHERE request_id = :request_id AND status = 'PENDING' AND current_step = :cur_step AND requester <> :actor
      AND NOT EXISTS (SELECT 1 FROM main.request_step WHERE request_id = :request_id AND decided_by = :actor)
      AND EXISTS (SELECT 1 FROM main.request_step WHERE request_id = :request_id AND step_order = :cur_step
                                                    AND (approver_role = :actor_role AND COALESCE(approver_user, :actor) = :actor
                                                         OR escalated_to = :actor_role)
                                                    AND decision IS NULL);
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        ROLLBACK;
        SELECT ENVELOPE('CONFLICT', OBJECT_CONSTRUCT('request_id', :request_id)) INTO :result;
        RETURN result;
    END IF;
    -- A question for the requester decides nothing: the step stays open.
    IF (decision <> 'CHANGES_REQUESTED') THEN
        UPDATE main.request_step
    SET decision = :decision, decided_by = :actor, acting_role = :actor_role,
        comment = NULLIF(TRIM(:comment_text, ' ' || CHAR(9) || CHAR(10) || CHAR(11) || CHAR(12) || CHAR(13)), ''),
        decided_at = :now_ts,
        approved_days = CASE WHEN :decision = 'APPROVED' AND :approve_days > 0 THEN :approve_days END
    WHERE request_id = :request_id AND step_order = :cur_step AND decision IS NULL;
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        ROLLBACK;
        SELECT ENVELOPE('CONFLICT', OBJECT_CONSTRUCT('request_id', :request_id)) INTO :result;
        RETURN result;
    END IF;
    END IF;
    -- Audit event STEP_APPROVED or STEP_REJECTED, appended at the head of the ledger, under the
    -- audit lock (taken last, so that locks are always taken in one order).
    SELECT SPLIT_PART(:event_ids, ',', 1), CASE :decision WHEN 'REJECTED' THEN 'STEP_REJECTED' WHEN 'CHANGES_REQUESTED' THEN 'CHANGES_REQUESTED' ELSE 'STEP_APPROVED' END, :cur_step, IFF(:decision = 'CHANGES_REQUESTED', '', :decision), TRIM(:comment_text, ' ' || CHAR(9) || CHAR(10) || CHAR(11) || CHAR(12) || CHAR(13)), IFF(:decision = 'APPROVED' AND :approve_days > 0, 'days=' || TO_VARCHAR(:approve_days) || ';', '')
      INTO :event_id, :event_type, :ev_step, :ev_decision, :ev_comment, :ev_details;
    UPDATE main.audit_lock SET locked_at = :now_ts WHERE lock_id = 1;
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        RAISE audit_lock_missing;
    END IF;
    SELECT h.ev_seq + 1, h.ev_prev_hash INTO :ev_seq, :ev_prev_hash FROM (SELECT COALESCE((SELECT MAX(seq) FROM main.audit_log), 0) AS ev_seq,
           COALESCE((SELECT hash FROM main.audit_log ORDER BY seq DESC LIMIT 1), '') AS ev_prev_hash
    ) h;
    SELECT AUDIT_HASH(:ev_prev_hash, :event_id, :now_ts, :request_id, NULLIF(:product_id, ''), :actor,
                      NULLIF(:actor_role, ''), :event_type, NULLIF(:ev_step, 0), NULLIF(:ev_decision, ''),
                      NULLIF(:ev_comment, ''), NULLIF(:ev_details, ''), :ev_seq)
      INTO :ev_hash;
    INSERT INTO main.audit_log (event_id, event_time, request_id, product_id, actor, actor_role, event_type,
                                step_order, decision, comment, details, seq, prev_hash, hash)
    SELECT :event_id, :now_ts, NULLIF(:request_id, ''), NULLIF(:product_id, ''), :actor, NULLIF(:actor_role, ''), :event_type,
           NULLIF(:ev_step, 0), NULLIF(:ev_decision, ''), NULLIF(:ev_comment, ''), NULLIF(:ev_details, ''),
           :ev_seq, :ev_prev_hash, :ev_hash
    WHERE NOT EXISTS (SELECT 1 FROM main.audit_log WHERE seq >= :ev_seq)
      AND NOT EXISTS (SELECT 1 FROM main.audit_log WHERE event_id = :event_id);
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        ROLLBACK;
        SELECT ENVELOPE('CONFLICT', OBJECT_CONSTRUCT('request_id', :request_id)) INTO :result;
        RETURN result;
    END IF;
    SELECT OBJECT_CONSTRUCT(*) INTO :chk FROM (WITH r AS (
    SELECT (SELECT COUNT(*) FROM main.access_request WHERE request_id = :request_id) AS n,
           MAX(r.status) AS status, MAX(r.requester) AS requester, MAX(r.product_id) AS product_id,
           MAX(p.name) AS product_name, MAX(p.access_role) AS access_role, MAX(p.owner_role) AS owner_role,
           MAX(r.current_step) AS current_step, MAX(r.step_count) AS step_count,
           MAX(cur.step_label) AS step_label, MAX(cur.approver_role) AS step_role,
           COALESCE(MAX(cur.escalated_to), '') AS escalated_to, COALESCE(MAX(cur.approver_user), '') AS step_user, MAX(r.duration_days) AS duration_days,
           MAX(r.expires_at) AS expires_at, COALESCE(MAX(x.status), '') AS extends_status
    FROM main.access_request r
    LEFT JOIN main.data_product p ON p.product_id = r.product_id
    LEFT JOIN main.request_step cur ON cur.request_id = r.request_id AND cur.step_order = r.current_step
    LEFT JOIN main.access_request x ON x.request_id = r.extends_request_id
    WHERE r.request_id = :request_id)
    SELECT 'OK' AS code, :actor AS actor, :request_id AS request_id, r.product_id, r.product_name, r.requester,
           r.access_role, r.owner_role, r.status, r.current_step, r.step_count, r.step_label, r.step_role,
           r.duration_days, r.step_user
    FROM r
    ) q;
    SELECT GET(:chk, 'STATUS')::VARCHAR INTO :status;
    IF (COALESCE(status, '') = 'APPROVED') THEN
    -- Audit event REQUEST_APPROVED, appended at the head of the ledger, under the
    -- audit lock (taken last, so that locks are always taken in one order).
    SELECT SPLIT_PART(:event_ids, ',', 2), 'REQUEST_APPROVED', :cur_step, '', '', ''
      INTO :event_id, :event_type, :ev_step, :ev_decision, :ev_comment, :ev_details;
    UPDATE main.audit_lock SET locked_at = :now_ts WHERE lock_id = 1;
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        RAISE audit_lock_missing;
    END IF;
    SELECT h.ev_seq + 1, h.ev_prev_hash INTO :ev_seq, :ev_prev_hash FROM (SELECT COALESCE((SELECT MAX(seq) FROM main.audit_log), 0) AS ev_seq,
           COALESCE((SELECT hash FROM main.audit_log ORDER BY seq DESC LIMIT 1), '') AS ev_prev_hash
    ) h;
    SELECT AUDIT_HASH(:ev_prev_hash, :event_id, :now_ts, :request_id, NULLIF(:product_id, ''), :actor,
                      NULLIF(:actor_role, ''), :event_type, NULLIF(:ev_step, 0), NULLIF(:ev_decision, ''),
                      NULLIF(:ev_comment, ''), NULLIF(:ev_details, ''), :ev_seq)
      INTO :ev_hash;
    INSERT INTO main.audit_log (event_id, event_time, request_id, product_id, actor, actor_role, event_type,
                                step_order, decision, comment, details, seq, prev_hash, hash)
    SELECT :event_id, :now_ts, NULLIF(:request_id, ''), NULLIF(:product_id, ''), :actor, NULLIF(:actor_role, ''), :event_type,
           NULLIF(:ev_step, 0), NULLIF(:ev_decision, ''), NULLIF(:ev_comment, ''), NULLIF(:ev_details, ''),
           :ev_seq, :ev_prev_hash, :ev_hash
    WHERE NOT EXISTS (SELECT 1 FROM main.audit_log WHERE seq >= :ev_seq)
      AND NOT EXISTS (SELECT 1 FROM main.audit_log WHERE event_id = :event_id);
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        ROLLBACK;
        SELECT ENVELOPE('CONFLICT', OBJECT_CONSTRUCT('request_id', :request_id)) INTO :result;
        RETURN result;
    END IF;
    END IF;
    COMMIT;
    IF (COALESCE(status, '') <> 'APPROVED') THEN
        SELECT ENVELOPE('OK', :chk) INTO :result;
        RETURN result;
    END IF;
    -- The final approval is committed; the grant runs now, outside any
    -- transaction. If it cannot record an outcome, the request stays
    -- visibly APPROVED for an admin to retry (promise 4).
    BEGIN
        CALL SIGNOFF.API.GRANT_REQUEST(:request_id, :actor, :actor_role, SPLIT_PART(:event_ids, ',', 3)) INTO :granted;
        SELECT GET(:granted, 'code')::VARCHAR INTO :granted_code;
    EXCEPTION
        WHEN OTHER THEN
            grant_error := COALESCE(NULLIF(SQLERRM, ''), 'the grant failed with SQLCODE ' || SQLCODE);
    END;
    IF (grant_error = '' AND COALESCE(granted_code, '') = 'OK') THEN
        RETURN granted;
    END IF;
    IF (grant_error = '') THEN
        grant_error := 'the grant answered ' || COALESCE(granted_code, 'nothing');
    END IF;
    SELECT ENVELOPE('OK', OBJECT_INSERT(:chk, 'GRANT_ERROR', :grant_error)) INTO :result;
    RETURN result;
EXCEPTION
    WHEN OTHER THEN
        ROLLBACK;
        RAISE;
END;
$$;

GRANT USAGE ON PROCEDURE SIGNOFF.API.DECIDE_STEP(VARCHAR, NUMBER, VARCHAR, VARCHAR, VARCHAR, NUMBER, VARCHAR, BOOLEAN) TO ROLE PUBLIC;

-- ============================================================================
-- RESUBMIT_REQUEST: the calling user answers an approver's question
-- ============================================================================
-- Answers OK, DRY_RUN, INVALID, IDENTITY_UNAVAILABLE, NOT_FOUND,
-- DUPLICATE_ID, NOT_REQUESTER, WRONG_STATUS or CONFLICT. The request goes
-- back, PENDING, to the step that asked (sqlstore.ResubmitRequest); REASON,
-- if not empty, replaces the business reason. The REQUEST_RESUBMITTED event
-- records the answer as its comment and the new reason as its details.
CREATE OR REPLACE PROCEDURE SIGNOFF.API.RESUBMIT_REQUEST(
    REQUEST_ID VARCHAR, ANSWER VARCHAR, REASON VARCHAR, EVENT_IDS VARCHAR, DRY_RUN BOOLEAN)
RETURNS VARIANT
LANGUAGE SQL
COMMENT = 'Signoff: the calling user answers an approver''s question on their request'
EXECUTE AS OWNER
AS
$$
DECLARE
    actor        VARCHAR;
    now_ts       TIMESTAMP_NTZ;
    invalid      VARCHAR;
    chk          VARIANT;
    code         VARCHAR;
    result       VARIANT;
    product_id   VARCHAR;
    cur_step     NUMBER;
    actor_role   VARCHAR DEFAULT '';
    audit_lock_missing EXCEPTION (-20002, 'the SIGNOFF.MAIN.AUDIT_LOCK row is missing; run 01_data_model.sql');
    event_id     VARCHAR;
    event_type   VARCHAR;
    ev_step      NUMBER;
    ev_decision  VARCHAR;
    ev_comment   VARCHAR;
    ev_details   VARCHAR;
    ev_seq       NUMBER;
    ev_prev_hash VARCHAR;
    ev_hash      VARCHAR;
BEGIN
    -- Who is calling: the calling session's user, from Snowflake.
    SELECT IFF(SYS_CONTEXT('SNOWFLAKE$SESSION', 'PRINCIPAL_TYPE') LIKE 'USER%',
               SYS_CONTEXT('SNOWFLAKE$SESSION', 'PRINCIPAL_NAME'), NULL),
           DATE_TRUNC('MICROSECOND', SYSDATE())
      INTO :actor, :now_ts;
    SELECT CASE
               WHEN NOT COALESCE(:request_id RLIKE '[0-9A-HJKMNP-TV-Z]{26}', FALSE) THEN 'request_id'
               WHEN COALESCE(VISIBLE_LENGTH(:answer), 0) = 0 THEN 'answer'
               WHEN COALESCE(LENGTH(TRIM(:answer, ' ' || CHAR(9) || CHAR(10) || CHAR(11) || CHAR(12) || CHAR(13))), 0) > 1000 THEN 'answer'
               WHEN COALESCE(BIDI_CONTROLS(:answer), 0) > 0 THEN 'answer'
               WHEN COALESCE(LENGTH(TRIM(:reason, ' ' || CHAR(9) || CHAR(10) || CHAR(11) || CHAR(12) || CHAR(13))), 0) > 2000 THEN 'reason'
               WHEN COALESCE(LENGTH(TRIM(:reason, ' ' || CHAR(9) || CHAR(10) || CHAR(11) || CHAR(12) || CHAR(13))), 0) > 0 AND COALESCE(VISIBLE_LENGTH(:reason), 0) < 20 THEN 'reason'
               WHEN COALESCE(BIDI_CONTROLS(:reason), 0) > 0 THEN 'reason'
               WHEN NOT COALESCE(:event_ids RLIKE '[0-9A-HJKMNP-TV-Z]{26}', FALSE) THEN 'event_ids'
               WHEN ABS(ID_MILLIS(:event_ids) - DATE_PART(EPOCH_MILLISECOND, :now_ts)) > 600000 THEN 'event_ids'
               ELSE ''
           END
      INTO :invalid;
    IF (invalid <> '') THEN
        SELECT ENVELOPE('INVALID', OBJECT_CONSTRUCT('field', :invalid)) INTO :result;
        RETURN result;
    END IF;
    BEGIN TRANSACTION;
    SELECT OBJECT_CONSTRUCT(*) INTO :chk FROM (WITH r AS (
    SELECT (SELECT COUNT(*) FROM main.access_request WHERE request_id = :request_id) AS n,
           MAX(r.status) AS status, MAX(r.requester) AS requester, MAX(r.product_id) AS product_id,
           MAX(p.name) AS product_name, MAX(p.access_role) AS access_role, MAX(p.owner_role) AS owner_role,
           MAX(r.current_step) AS current_step, MAX(r.step_count) AS step_count,
           MAX(cur.step_label) AS step_label, MAX(cur.approver_role) AS step_role,
           COALESCE(MAX(cur.escalated_to), '') AS escalated_to, COALESCE(MAX(cur.approver_user), '') AS step_user, MAX(r.duration_days) AS duration_days,
           MAX(r.expires_at) AS expires_at, COALESCE(MAX(x.status), '') AS extends_status
    FROM main.access_request r
    LEFT JOIN main.data_product p ON p.product_id = r.product_id
    LEFT JOIN main.request_step cur ON cur.request_id = r.request_id AND cur.step_order = r.current_step
    LEFT JOIN main.access_request x ON x.request_id = r.extends_request_id
    WHERE r.request_id = :request_id)
    SELECT CASE
               WHEN COALESCE(:actor, '') = '' THEN 'IDENTITY_UNAVAILABLE'
               WHEN r.n = 0 THEN 'NOT_FOUND'
               WHEN r.n > 1 THEN 'DUPLICATE_ID'
               WHEN :actor <> r.requester THEN 'NOT_REQUESTER'
               WHEN r.status <> 'CHANGES_REQUESTED' THEN 'WRONG_STATUS'
               WHEN r.current_step > 1
                    AND TRIM(COALESCE(:reason, ''), ' ' || CHAR(9) || CHAR(10) || CHAR(11) || CHAR(12) || CHAR(13)) <> ''
                    THEN 'REASON_APPROVED'
               ELSE 'OK'
           END AS code,
           :actor AS actor, :request_id AS request_id, r.product_id, r.product_name, r.requester,
           r.access_role, r.owner_role, r.status, r.current_step, r.step_count, r.step_label, r.step_role,
           r.duration_days, r.step_user
    FROM r
    ) q;
    SELECT GET(:chk, 'CODE')::VARCHAR INTO :code;
    IF (COALESCE(code, '') <> 'OK') THEN
        ROLLBACK;
        SELECT ENVELOPE(:code, OBJECT_DELETE(:chk, 'REQUESTER', 'ACCESS_ROLE')) INTO :result;
        RETURN result;
    END IF;
    IF (COALESCE(dry_run, FALSE)) THEN
        ROLLBACK;
        SELECT ENVELOPE('DRY_RUN', :chk) INTO :result;
        RETURN result;
    END IF;
    SELECT GET(:chk, 'PRODUCT_ID')::VARCHAR, GET(:chk, 'CURRENT_STEP')::NUMBER INTO :product_id, :cur_step;
    UPDATE main.access_request
    SET status = 'PENDING',
        business_reason = COALESCE(NULLIF(TRIM(:reason, ' ' || CHAR(9) || CHAR(10) || CHAR(11) || CHAR(12) || CHAR(13)), ''),
                                   business_reason),
        updated_at = :now_ts
    WHERE request_id = :request_id AND status = 'CHANGES_REQUESTED' AND requester = :actor;
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        ROLLBACK;
        SELECT ENVELOPE('CONFLICT', OBJECT_CONSTRUCT('request_id', :request_id)) INTO :result;
        RETURN result;
    END IF;
    -- Audit event REQUEST_RESUBMITTED, appended at the head of the ledger, under the
    -- audit lock (taken last, so that locks are always taken in one order).
    SELECT SPLIT_PART(:event_ids, ',', 1), 'REQUEST_RESUBMITTED', :cur_step, '', TRIM(:answer, ' ' || CHAR(9) || CHAR(10) || CHAR(11) || CHAR(12) || CHAR(13)), TRIM(COALESCE(:reason, ''), ' ' || CHAR(9) || CHAR(10) || CHAR(11) || CHAR(12) || CHAR(13))
      INTO :event_id, :event_type, :ev_step, :ev_decision, :ev_comment, :ev_details;
    UPDATE main.audit_lock SET locked_at = :now_ts WHERE lock_id = 1;
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        RAISE audit_lock_missing;
    END IF;
    SELECT h.ev_seq + 1, h.ev_prev_hash INTO :ev_seq, :ev_prev_hash FROM (SELECT COALESCE((SELECT MAX(seq) FROM main.audit_log), 0) AS ev_seq,
           COALESCE((SELECT hash FROM main.audit_log ORDER BY seq DESC LIMIT 1), '') AS ev_prev_hash
    ) h;
    SELECT AUDIT_HASH(:ev_prev_hash, :event_id, :now_ts, :request_id, NULLIF(:product_id, ''), :actor,
                      NULLIF(:actor_role, ''), :event_type, NULLIF(:ev_step, 0), NULLIF(:ev_decision, ''),
                      NULLIF(:ev_comment, ''), NULLIF(:ev_details, ''), :ev_seq)
      INTO :ev_hash;
    INSERT INTO main.audit_log (event_id, event_time, request_id, product_id, actor, actor_role, event_type,
                                step_order, decision, comment, details, seq, prev_hash, hash)
    SELECT :event_id, :now_ts, NULLIF(:request_id, ''), NULLIF(:product_id, ''), :actor, NULLIF(:actor_role, ''), :event_type,
           NULLIF(:ev_step, 0), NULLIF(:ev_decision, ''), NULLIF(:ev_comment, ''), NULLIF(:ev_details, ''),
           :ev_seq, :ev_prev_hash, :ev_hash
    WHERE NOT EXISTS (SELECT 1 FROM main.audit_log WHERE seq >= :ev_seq)
      AND NOT EXISTS (SELECT 1 FROM main.audit_log WHERE event_id = :event_id);
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        ROLLBACK;
        SELECT ENVELOPE('CONFLICT', OBJECT_CONSTRUCT('request_id', :request_id)) INTO :result;
        RETURN result;
    END IF;
    SELECT OBJECT_CONSTRUCT(*) INTO :chk FROM (WITH r AS (
    SELECT (SELECT COUNT(*) FROM main.access_request WHERE request_id = :request_id) AS n,
           MAX(r.status) AS status, MAX(r.requester) AS requester, MAX(r.product_id) AS product_id,
           MAX(p.name) AS product_name, MAX(p.access_role) AS access_role, MAX(p.owner_role) AS owner_role,
           MAX(r.current_step) AS current_step, MAX(r.step_count) AS step_count,
           MAX(cur.step_label) AS step_label, MAX(cur.approver_role) AS step_role,
           COALESCE(MAX(cur.escalated_to), '') AS escalated_to, COALESCE(MAX(cur.approver_user), '') AS step_user, MAX(r.duration_days) AS duration_days,
           MAX(r.expires_at) AS expires_at, COALESCE(MAX(x.status), '') AS extends_status
    FROM main.access_request r
    LEFT JOIN main.data_product p ON p.product_id = r.product_id
    LEFT JOIN main.request_step cur ON cur.request_id = r.request_id AND cur.step_order = r.current_step
    LEFT JOIN main.access_request x ON x.request_id = r.extends_request_id
    WHERE r.request_id = :request_id)
    SELECT 'OK' AS code, :actor AS actor, :request_id AS request_id, r.product_id, r.product_name, r.requester,
           r.access_role, r.owner_role, r.status, r.current_step, r.step_count, r.step_label, r.step_role,
           r.duration_days, r.step_user
    FROM r
    ) q;
    COMMIT;
    SELECT ENVELOPE('OK', :chk) INTO :result;
    RETURN result;
EXCEPTION
    WHEN OTHER THEN
        ROLLBACK;
        RAISE;
END;
$$;

GRANT USAGE ON PROCEDURE SIGNOFF.API.RESUBMIT_REQUEST(VARCHAR, VARCHAR, VARCHAR, VARCHAR, BOOLEAN) TO ROLE PUBLIC;

-- ============================================================================
-- WITHDRAW_REQUEST: the calling user withdraws their pending request
-- ============================================================================
-- Answers OK, DRY_RUN, INVALID, IDENTITY_UNAVAILABLE, NOT_FOUND,
-- DUPLICATE_ID, NOT_REQUESTER, WRONG_STATUS or CONFLICT.
CREATE OR REPLACE PROCEDURE SIGNOFF.API.WITHDRAW_REQUEST(REQUEST_ID VARCHAR, EVENT_IDS VARCHAR, DRY_RUN BOOLEAN)
RETURNS VARIANT
LANGUAGE SQL
COMMENT = 'Signoff: the calling user withdraws their pending request'
EXECUTE AS OWNER
AS
$$
DECLARE
    actor        VARCHAR;
    now_ts       TIMESTAMP_NTZ;
    invalid      VARCHAR;
    chk          VARIANT;
    code         VARCHAR;
    result       VARIANT;
    product_id   VARCHAR;
    cur_step     NUMBER;
    actor_role   VARCHAR DEFAULT '';
    audit_lock_missing EXCEPTION (-20002, 'the SIGNOFF.MAIN.AUDIT_LOCK row is missing; run 01_data_model.sql');
    event_id     VARCHAR;
    event_type   VARCHAR;
    ev_step      NUMBER;
    ev_decision  VARCHAR;
    ev_comment   VARCHAR;
    ev_details   VARCHAR;
    ev_seq       NUMBER;
    ev_prev_hash VARCHAR;
    ev_hash      VARCHAR;
BEGIN
    -- Who is calling: the calling session's user, from Snowflake.
    SELECT IFF(SYS_CONTEXT('SNOWFLAKE$SESSION', 'PRINCIPAL_TYPE') LIKE 'USER%',
               SYS_CONTEXT('SNOWFLAKE$SESSION', 'PRINCIPAL_NAME'), NULL),
           DATE_TRUNC('MICROSECOND', SYSDATE())
      INTO :actor, :now_ts;
    SELECT CASE
               WHEN NOT COALESCE(:request_id RLIKE '[0-9A-HJKMNP-TV-Z]{26}', FALSE) THEN 'request_id'
               WHEN NOT COALESCE(:event_ids RLIKE '[0-9A-HJKMNP-TV-Z]{26}', FALSE) THEN 'event_ids'
               WHEN ABS(ID_MILLIS(:event_ids) - DATE_PART(EPOCH_MILLISECOND, :now_ts)) > 600000 THEN 'event_ids'
               ELSE ''
           END
      INTO :invalid;
    IF (invalid <> '') THEN
        SELECT ENVELOPE('INVALID', OBJECT_CONSTRUCT('field', :invalid)) INTO :result;
        RETURN result;
    END IF;
    BEGIN TRANSACTION;
    SELECT OBJECT_CONSTRUCT(*) INTO :chk FROM (WITH r AS (
    SELECT (SELECT COUNT(*) FROM main.access_request WHERE request_id = :request_id) AS n,
           MAX(r.status) AS status, MAX(r.requester) AS requester, MAX(r.product_id) AS product_id,
           MAX(p.name) AS product_name, MAX(p.access_role) AS access_role, MAX(p.owner_role) AS owner_role,
           MAX(r.current_step) AS current_step, MAX(r.step_count) AS step_count,
           MAX(cur.step_label) AS step_label, MAX(cur.approver_role) AS step_role,
           COALESCE(MAX(cur.escalated_to), '') AS escalated_to, COALESCE(MAX(cur.approver_user), '') AS step_user, MAX(r.duration_days) AS duration_days,
           MAX(r.expires_at) AS expires_at, COALESCE(MAX(x.status), '') AS extends_status
    FROM main.access_request r
    LEFT JOIN main.data_product p ON p.product_id = r.product_id
    LEFT JOIN main.request_step cur ON cur.request_id = r.request_id AND cur.step_order = r.current_step
    LEFT JOIN main.access_request x ON x.request_id = r.extends_request_id
    WHERE r.request_id = :request_id)
    SELECT CASE
               WHEN COALESCE(:actor, '') = '' THEN 'IDENTITY_UNAVAILABLE'
               WHEN r.n = 0 THEN 'NOT_FOUND'
               WHEN r.n > 1 THEN 'DUPLICATE_ID'
               WHEN :actor <> r.requester THEN 'NOT_REQUESTER'
               WHEN r.status NOT IN ('PENDING', 'CHANGES_REQUESTED') THEN 'WRONG_STATUS'
               ELSE 'OK'
           END AS code,
           :actor AS actor, :request_id AS request_id, r.product_id, r.product_name, r.requester,
           r.access_role, r.owner_role, r.status, r.current_step, r.step_count, r.step_label, r.step_role,
           r.duration_days, r.step_user
    FROM r
    ) q;
    SELECT GET(:chk, 'CODE')::VARCHAR INTO :code;
    IF (COALESCE(code, '') <> 'OK') THEN
        ROLLBACK;
        SELECT ENVELOPE(:code, OBJECT_DELETE(:chk, 'REQUESTER', 'ACCESS_ROLE')) INTO :result;
        RETURN result;
    END IF;
    IF (COALESCE(dry_run, FALSE)) THEN
        ROLLBACK;
        SELECT ENVELOPE('DRY_RUN', :chk) INTO :result;
        RETURN result;
    END IF;
    SELECT GET(:chk, 'PRODUCT_ID')::VARCHAR, GET(:chk, 'CURRENT_STEP')::NUMBER INTO :product_id, :cur_step;
    UPDATE main.access_request SET status = 'WITHDRAWN', updated_at = :now_ts
    WHERE request_id = :request_id AND status IN ('PENDING', 'CHANGES_REQUESTED') AND requester = :actor;
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        ROLLBACK;
        SELECT ENVELOPE('CONFLICT', OBJECT_CONSTRUCT('request_id', :request_id)) INTO :result;
        RETURN result;
    END IF;
    -- Audit event REQUEST_WITHDRAWN, appended at the head of the ledger, under the
    -- audit lock (taken last, so that locks are always taken in one order).
    SELECT SPLIT_PART(:event_ids, ',', 1), 'REQUEST_WITHDRAWN', :cur_step, '', '', ''
      INTO :event_id, :event_type, :ev_step, :ev_decision, :ev_comment, :ev_details;
    UPDATE main.audit_lock SET locked_at = :now_ts WHERE lock_id = 1;
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        RAISE audit_lock_missing;
    END IF;
    SELECT h.ev_seq + 1, h.ev_prev_hash INTO :ev_seq, :ev_prev_hash FROM (SELECT COALESCE((SELECT MAX(seq) FROM main.audit_log), 0) AS ev_seq,
           COALESCE((SELECT hash FROM main.audit_log ORDER BY seq DESC LIMIT 1), '') AS ev_prev_hash
    ) h;
    SELECT AUDIT_HASH(:ev_prev_hash, :event_id, :now_ts, :request_id, NULLIF(:product_id, ''), :actor,
                      NULLIF(:actor_role, ''), :event_type, NULLIF(:ev_step, 0), NULLIF(:ev_decision, ''),
                      NULLIF(:ev_comment, ''), NULLIF(:ev_details, ''), :ev_seq)
      INTO :ev_hash;
    INSERT INTO main.audit_log (event_id, event_time, request_id, product_id, actor, actor_role, event_type,
                                step_order, decision, comment, details, seq, prev_hash, hash)
    SELECT :event_id, :now_ts, NULLIF(:request_id, ''), NULLIF(:product_id, ''), :actor, NULLIF(:actor_role, ''), :event_type,
           NULLIF(:ev_step, 0), NULLIF(:ev_decision, ''), NULLIF(:ev_comment, ''), NULLIF(:ev_details, ''),
           :ev_seq, :ev_prev_hash, :ev_hash
    WHERE NOT EXISTS (SELECT 1 FROM main.audit_log WHERE seq >= :ev_seq)
      AND NOT EXISTS (SELECT 1 FROM main.audit_log WHERE event_id = :event_id);
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        ROLLBACK;
        SELECT ENVELOPE('CONFLICT', OBJECT_CONSTRUCT('request_id', :request_id)) INTO :result;
        RETURN result;
    END IF;
    SELECT OBJECT_CONSTRUCT(*) INTO :chk FROM (WITH r AS (
    SELECT (SELECT COUNT(*) FROM main.access_request WHERE request_id = :request_id) AS n,
           MAX(r.status) AS status, MAX(r.requester) AS requester, MAX(r.product_id) AS product_id,
           MAX(p.name) AS product_name, MAX(p.access_role) AS access_role, MAX(p.owner_role) AS owner_role,
           MAX(r.current_step) AS current_step, MAX(r.step_count) AS step_count,
           MAX(cur.step_label) AS step_label, MAX(cur.approver_role) AS step_role,
           COALESCE(MAX(cur.escalated_to), '') AS escalated_to, COALESCE(MAX(cur.approver_user), '') AS step_user, MAX(r.duration_days) AS duration_days,
           MAX(r.expires_at) AS expires_at, COALESCE(MAX(x.status), '') AS extends_status
    FROM main.access_request r
    LEFT JOIN main.data_product p ON p.product_id = r.product_id
    LEFT JOIN main.request_step cur ON cur.request_id = r.request_id AND cur.step_order = r.current_step
    LEFT JOIN main.access_request x ON x.request_id = r.extends_request_id
    WHERE r.request_id = :request_id)
    SELECT 'OK' AS code, :actor AS actor, :request_id AS request_id, r.product_id, r.product_name, r.requester,
           r.access_role, r.owner_role, r.status, r.current_step, r.step_count, r.step_label, r.step_role,
           r.duration_days, r.step_user
    FROM r
    ) q;
    COMMIT;
    SELECT ENVELOPE('OK', :chk) INTO :result;
    RETURN result;
EXCEPTION
    WHEN OTHER THEN
        ROLLBACK;
        RAISE;
END;
$$;

GRANT USAGE ON PROCEDURE SIGNOFF.API.WITHDRAW_REQUEST(VARCHAR, VARCHAR, BOOLEAN) TO ROLE PUBLIC;

-- ============================================================================
-- RETRY_GRANT: an admin runs a failed (or never run) grant again
-- ============================================================================
-- Answers as GRANT_REQUEST, or DRY_RUN, INVALID, IDENTITY_UNAVAILABLE,
-- NOT_FOUND, DUPLICATE_ID, NOT_ADMIN or WRONG_STATUS. Idempotent: a granted
-- request is WRONG_STATUS, never a second grant.
CREATE OR REPLACE PROCEDURE SIGNOFF.API.RETRY_GRANT(REQUEST_ID VARCHAR, EVENT_IDS VARCHAR, DRY_RUN BOOLEAN)
RETURNS VARIANT
LANGUAGE SQL
COMMENT = 'Signoff: a Signoff admin runs a failed grant again'
EXECUTE AS OWNER
AS
$$
DECLARE
    actor        VARCHAR;
    now_ts       TIMESTAMP_NTZ;
    invalid      VARCHAR;
    is_admin     BOOLEAN DEFAULT FALSE;
    chk          VARIANT;
    code         VARCHAR;
    result       VARIANT;
BEGIN
    -- Who is calling: the calling session's user, from Snowflake.
    SELECT IFF(SYS_CONTEXT('SNOWFLAKE$SESSION', 'PRINCIPAL_TYPE') LIKE 'USER%',
               SYS_CONTEXT('SNOWFLAKE$SESSION', 'PRINCIPAL_NAME'), NULL),
           DATE_TRUNC('MICROSECOND', SYSDATE())
      INTO :actor, :now_ts;
    SELECT CASE
               WHEN NOT COALESCE(:request_id RLIKE '[0-9A-HJKMNP-TV-Z]{26}', FALSE) THEN 'request_id'
               WHEN NOT COALESCE(:event_ids RLIKE '[0-9A-HJKMNP-TV-Z]{26}', FALSE) THEN 'event_ids'
               WHEN ABS(ID_MILLIS(:event_ids) - DATE_PART(EPOCH_MILLISECOND, :now_ts)) > 600000 THEN 'event_ids'
               ELSE ''
           END
      INTO :invalid;
    IF (invalid <> '') THEN
        SELECT ENVELOPE('INVALID', OBJECT_CONSTRUCT('field', :invalid)) INTO :result;
        RETURN result;
    END IF;
    SELECT COALESCE(SYS_CONTEXT('SNOWFLAKE$SESSION', 'IS_ROLE_ACTIVATED', 'SIGNOFF_ADMIN') = 'TRUE', FALSE) INTO :is_admin;
    BEGIN TRANSACTION;
    SELECT OBJECT_CONSTRUCT(*) INTO :chk FROM (WITH r AS (
    SELECT (SELECT COUNT(*) FROM main.access_request WHERE request_id = :request_id) AS n,
           MAX(r.status) AS status, MAX(r.requester) AS requester, MAX(r.product_id) AS product_id,
           MAX(p.name) AS product_name, MAX(p.access_role) AS access_role, MAX(p.owner_role) AS owner_role,
           MAX(r.current_step) AS current_step, MAX(r.step_count) AS step_count,
           MAX(cur.step_label) AS step_label, MAX(cur.approver_role) AS step_role,
           COALESCE(MAX(cur.escalated_to), '') AS escalated_to, COALESCE(MAX(cur.approver_user), '') AS step_user, MAX(r.duration_days) AS duration_days,
           MAX(r.expires_at) AS expires_at, COALESCE(MAX(x.status), '') AS extends_status
    FROM main.access_request r
    LEFT JOIN main.data_product p ON p.product_id = r.product_id
    LEFT JOIN main.request_step cur ON cur.request_id = r.request_id AND cur.step_order = r.current_step
    LEFT JOIN main.access_request x ON x.request_id = r.extends_request_id
    WHERE r.request_id = :request_id)
    SELECT CASE
               WHEN COALESCE(:actor, '') = '' THEN 'IDENTITY_UNAVAILABLE'
               WHEN r.n = 0 THEN 'NOT_FOUND'
               WHEN r.n > 1 THEN 'DUPLICATE_ID'
               WHEN NOT :is_admin THEN 'NOT_ADMIN'
               WHEN r.status NOT IN ('APPROVED', 'GRANT_FAILED') THEN 'WRONG_STATUS'
               ELSE 'OK'
           END AS code,
           :actor AS actor, :request_id AS request_id, r.product_id, r.product_name, r.requester,
           r.access_role, r.owner_role, r.status, r.current_step, r.step_count, r.step_label, r.step_role,
           r.duration_days, r.step_user
    FROM r
    ) q;
    SELECT GET(:chk, 'CODE')::VARCHAR INTO :code;
    IF (COALESCE(code, '') <> 'OK') THEN
        ROLLBACK;
        SELECT ENVELOPE(:code, OBJECT_DELETE(:chk, 'REQUESTER', 'ACCESS_ROLE')) INTO :result;
        RETURN result;
    END IF;
    IF (COALESCE(dry_run, FALSE)) THEN
        ROLLBACK;
        SELECT ENVELOPE('DRY_RUN', :chk) INTO :result;
        RETURN result;
    END IF;
    COMMIT;
    CALL SIGNOFF.API.GRANT_REQUEST(:request_id, :actor, 'SIGNOFF_ADMIN', :event_ids) INTO :result;
    RETURN result;
EXCEPTION
    WHEN OTHER THEN
        ROLLBACK;
        RAISE;
END;
$$;

GRANT USAGE ON PROCEDURE SIGNOFF.API.RETRY_GRANT(VARCHAR, VARCHAR, BOOLEAN) TO ROLE PUBLIC;

-- ============================================================================
-- END_ACCESS: the guarded revoke path; internal, for REVOKE_ACCESS and
-- RUN_SCHEDULE only (nobody else holds USAGE on it)
-- ============================================================================
-- A revocation by an admin or an owner of the product, and the expiry of
-- time-bound access by the scheduler (IS_SYSTEM), are one path: the check
-- (sqlstore.CheckRevoke: who may, a GRANTED request, and for the scheduler
-- access whose time is up), the REVOKE, then REVOKED or EXPIRED with its
-- event. The role stays while another of the requester's GRANTED requests
-- (a product with the same access role) justifies it.
-- Order: REVOKE first (DDL, outside a transaction), then mark the request
-- with its event in one transaction. If the REVOKE fails, nothing is
-- recorded and the error is raised: the request stays GRANTED and a retry
-- is possible (the other order could record "revoked" while the user keeps
-- the role). If the procedure dies between the two, the user has less
-- access than recorded: the safe direction, and a retry completes it. A
-- revocation racing another of the user's requests for the same role is
-- settled after the COMMIT (sqlstore.StillJustified): if nothing justifies
-- the role any more, it is revoked then.
CREATE OR REPLACE PROCEDURE SIGNOFF.API.END_ACCESS(
    REQUEST_ID VARCHAR, ACTOR VARCHAR, ACTOR_ROLE VARCHAR, REASON VARCHAR, IS_ADMIN BOOLEAN,
    HOLDS_OWNER_ROLE BOOLEAN, IS_SYSTEM BOOLEAN, EVENT_ID_ARG VARCHAR, DRY_RUN BOOLEAN)
RETURNS VARIANT
LANGUAGE SQL
COMMENT = 'Signoff: revokes granted access, for a person or at its expiry (internal)'
EXECUTE AS OWNER
AS
$$
DECLARE
    now_ts           TIMESTAMP_NTZ;
    chk              VARIANT;
    code             VARCHAR;
    result           VARIANT;
    product_id       VARCHAR;
    q_role           VARCHAR;
    q_user           VARCHAR;
    justified_by     NUMBER;
    revoked          BOOLEAN DEFAULT FALSE;
    audit_lock_missing EXCEPTION (-20002, 'the SIGNOFF.MAIN.AUDIT_LOCK row is missing; run 01_data_model.sql');
    event_id     VARCHAR;
    event_type   VARCHAR;
    ev_step      NUMBER;
    ev_decision  VARCHAR;
    ev_comment   VARCHAR;
    ev_details   VARCHAR;
    ev_seq       NUMBER;
    ev_prev_hash VARCHAR;
    ev_hash      VARCHAR;
BEGIN
    SELECT DATE_TRUNC('MICROSECOND', SYSDATE()) INTO :now_ts;
    SELECT OBJECT_CONSTRUCT(*) INTO :chk FROM (WITH r AS (
    SELECT (SELECT COUNT(*) FROM main.access_request WHERE request_id = :request_id) AS n,
           MAX(r.status) AS status, MAX(r.requester) AS requester, MAX(r.product_id) AS product_id,
           MAX(p.name) AS product_name, MAX(p.access_role) AS access_role, MAX(p.owner_role) AS owner_role,
           MAX(r.current_step) AS current_step, MAX(r.step_count) AS step_count,
           MAX(cur.step_label) AS step_label, MAX(cur.approver_role) AS step_role,
           COALESCE(MAX(cur.escalated_to), '') AS escalated_to, COALESCE(MAX(cur.approver_user), '') AS step_user, MAX(r.duration_days) AS duration_days,
           MAX(r.expires_at) AS expires_at, COALESCE(MAX(x.status), '') AS extends_status
    FROM main.access_request r
    LEFT JOIN main.data_product p ON p.product_id = r.product_id
    LEFT JOIN main.request_step cur ON cur.request_id = r.request_id AND cur.step_order = r.current_step
    LEFT JOIN main.access_request x ON x.request_id = r.extends_request_id
    WHERE r.request_id = :request_id),
         j AS (SELECT COUNT(*) AS n FROM main.access_request o JOIN main.data_product op ON op.product_id = o.product_id
               WHERE o.requester = (SELECT MAX(requester) FROM r) AND op.access_role = (SELECT MAX(access_role) FROM r)
                 AND o.status = 'GRANTED' AND o.request_id <> :request_id)
    SELECT CASE
               WHEN COALESCE(:actor, '') = '' THEN 'IDENTITY_UNAVAILABLE'
               WHEN r.n = 0 THEN 'NOT_FOUND'
               WHEN r.n > 1 THEN 'DUPLICATE_ID'
               WHEN NOT :is_admin AND NOT :holds_owner_role AND NOT :is_system THEN 'NOT_ADMIN_OR_OWNER'
               WHEN r.status <> 'GRANTED' THEN 'WRONG_STATUS'
               WHEN :is_system AND (r.expires_at IS NULL OR r.expires_at > :now_ts) THEN 'NOT_DUE'
               ELSE 'OK'
           END AS code,
           :actor AS actor, :request_id AS request_id, r.product_id, r.product_name, r.requester,
           r.access_role, r.owner_role, r.status, r.current_step, r.step_count, r.step_label, r.step_role,
           r.duration_days, r.step_user,
           CASE WHEN j.n > 0 THEN 'no REVOKE: another GRANTED request of theirs for ' || COALESCE(r.access_role, '') || ' keeps it'
                ELSE 'REVOKE ROLE "' || REPLACE(COALESCE(r.access_role, ''), '"', '""') || '" FROM USER "' ||
                     REPLACE(COALESCE(r.requester, ''), '"', '""') || '"' END AS revoke_statement,
           j.n AS justified_by
    FROM r CROSS JOIN j
    ) q;
    SELECT GET(:chk, 'CODE')::VARCHAR, GET(:chk, 'PRODUCT_ID')::VARCHAR, GET(:chk, 'JUSTIFIED_BY')::NUMBER,
           '"' || REPLACE(GET(:chk, 'ACCESS_ROLE')::VARCHAR, '"', '""') || '"',
           '"' || REPLACE(GET(:chk, 'REQUESTER')::VARCHAR, '"', '""') || '"'
      INTO :code, :product_id, :justified_by, :q_role, :q_user;
    IF (COALESCE(code, '') <> 'OK') THEN
        SELECT ENVELOPE(:code, OBJECT_DELETE(:chk, 'REQUESTER', 'ACCESS_ROLE')) INTO :result;
        RETURN result;
    END IF;
    IF (COALESCE(dry_run, FALSE)) THEN
        SELECT ENVELOPE('DRY_RUN', :chk) INTO :result;
        RETURN result;
    END IF;
    IF (justified_by = 0) THEN
        REVOKE ROLE IDENTIFIER(:q_role) FROM USER IDENTIFIER(:q_user);
        revoked := TRUE;
    END IF;
    BEGIN TRANSACTION;
    UPDATE main.access_request SET status = CASE WHEN :is_system THEN 'EXPIRED' ELSE 'REVOKED' END, updated_at = :now_ts
    WHERE request_id = :request_id AND status = 'GRANTED'
      AND (NOT :is_system OR expires_at <= :now_ts);
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        ROLLBACK;
        SELECT ENVELOPE('CONFLICT', OBJECT_CONSTRUCT('request_id', :request_id)) INTO :result;
        RETURN result;
    END IF;
    -- Audit event IFF(:is_system, 'ACCESS_EXPIRED', 'ACCESS_REVOKED'), appended at the head of the ledger, under the
    -- audit lock (taken last, so that locks are always taken in one order).
    SELECT :event_id_arg, IFF(:is_system, 'ACCESS_EXPIRED', 'ACCESS_REVOKED'), 0, '', TRIM(COALESCE(:reason, ''), ' ' || CHAR(9) || CHAR(10) || CHAR(11) || CHAR(12) || CHAR(13)), GET(:chk, 'REVOKE_STATEMENT')::VARCHAR
      INTO :event_id, :event_type, :ev_step, :ev_decision, :ev_comment, :ev_details;
    UPDATE main.audit_lock SET locked_at = :now_ts WHERE lock_id = 1;
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        RAISE audit_lock_missing;
    END IF;
    SELECT h.ev_seq + 1, h.ev_prev_hash INTO :ev_seq, :ev_prev_hash FROM (SELECT COALESCE((SELECT MAX(seq) FROM main.audit_log), 0) AS ev_seq,
           COALESCE((SELECT hash FROM main.audit_log ORDER BY seq DESC LIMIT 1), '') AS ev_prev_hash
    ) h;
    SELECT AUDIT_HASH(:ev_prev_hash, :event_id, :now_ts, :request_id, NULLIF(:product_id, ''), :actor,
                      NULLIF(:actor_role, ''), :event_type, NULLIF(:ev_step, 0), NULLIF(:ev_decision, ''),
                      NULLIF(:ev_comment, ''), NULLIF(:ev_details, ''), :ev_seq)
      INTO :ev_hash;
    INSERT INTO main.audit_log (event_id, event_time, request_id, product_id, actor, actor_role, event_type,
                                step_order, decision, comment, details, seq, prev_hash, hash)
    SELECT :event_id, :now_ts, NULLIF(:request_id, ''), NULLIF(:product_id, ''), :actor, NULLIF(:actor_role, ''), :event_type,
           NULLIF(:ev_step, 0), NULLIF(:ev_decision, ''), NULLIF(:ev_comment, ''), NULLIF(:ev_details, ''),
           :ev_seq, :ev_prev_hash, :ev_hash
    WHERE NOT EXISTS (SELECT 1 FROM main.audit_log WHERE seq >= :ev_seq)
      AND NOT EXISTS (SELECT 1 FROM main.audit_log WHERE event_id = :event_id);
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        ROLLBACK;
        SELECT ENVELOPE('CONFLICT', OBJECT_CONSTRUCT('request_id', :request_id)) INTO :result;
        RETURN result;
    END IF;
    SELECT OBJECT_CONSTRUCT(*) INTO :chk FROM (WITH r AS (
    SELECT (SELECT COUNT(*) FROM main.access_request WHERE request_id = :request_id) AS n,
           MAX(r.status) AS status, MAX(r.requester) AS requester, MAX(r.product_id) AS product_id,
           MAX(p.name) AS product_name, MAX(p.access_role) AS access_role, MAX(p.owner_role) AS owner_role,
           MAX(r.current_step) AS current_step, MAX(r.step_count) AS step_count,
           MAX(cur.step_label) AS step_label, MAX(cur.approver_role) AS step_role,
           COALESCE(MAX(cur.escalated_to), '') AS escalated_to, COALESCE(MAX(cur.approver_user), '') AS step_user, MAX(r.duration_days) AS duration_days,
           MAX(r.expires_at) AS expires_at, COALESCE(MAX(x.status), '') AS extends_status
    FROM main.access_request r
    LEFT JOIN main.data_product p ON p.product_id = r.product_id
    LEFT JOIN main.request_step cur ON cur.request_id = r.request_id AND cur.step_order = r.current_step
    LEFT JOIN main.access_request x ON x.request_id = r.extends_request_id
    WHERE r.request_id = :request_id)
    SELECT 'OK' AS code, :actor AS actor, :request_id AS request_id, r.product_id, r.product_name, r.requester,
           r.access_role, r.owner_role, r.status, r.current_step, r.step_count, r.step_label, r.step_role,
           r.duration_days, r.step_user
    FROM r
    ) q;
    COMMIT;
    IF (NOT revoked) THEN
        SELECT justified_by INTO :justified_by FROM (SELECT COUNT(*) AS justified_by
    FROM main.access_request o JOIN main.data_product op ON op.product_id = o.product_id
    WHERE o.requester = (SELECT MAX(requester) FROM main.access_request WHERE request_id = :request_id)
      AND op.access_role = (SELECT MAX(p.access_role) FROM main.access_request r
                            JOIN main.data_product p ON p.product_id = r.product_id WHERE r.request_id = :request_id)
      AND o.status = 'GRANTED'
        ) q;
        IF (justified_by = 0) THEN
            REVOKE ROLE IDENTIFIER(:q_role) FROM USER IDENTIFIER(:q_user);
        END IF;
    END IF;
    SELECT ENVELOPE('OK', :chk) INTO :result;
    RETURN result;
EXCEPTION
    WHEN OTHER THEN
        ROLLBACK;
        RAISE;
END;
$$;

-- ============================================================================
-- REVOKE_ACCESS: an admin or an owner of the product takes access back
-- ============================================================================
-- REASON is required: at least one character that shows (VISIBLE_LENGTH).
-- Answers OK, DRY_RUN, INVALID, IDENTITY_UNAVAILABLE, NOT_FOUND,
-- DUPLICATE_ID, NOT_ADMIN_OR_OWNER, WRONG_STATUS or CONFLICT, through
-- END_ACCESS, the path the expiry of time-bound access takes too.
CREATE OR REPLACE PROCEDURE SIGNOFF.API.REVOKE_ACCESS(REQUEST_ID VARCHAR, REASON VARCHAR, EVENT_IDS VARCHAR, DRY_RUN BOOLEAN)
RETURNS VARIANT
LANGUAGE SQL
COMMENT = 'Signoff: a Signoff admin or an owner of the product revokes granted access'
EXECUTE AS OWNER
AS
$$
DECLARE
    actor            VARCHAR;
    now_ts           TIMESTAMP_NTZ;
    invalid          VARCHAR;
    facts            VARIANT;
    owner_role       VARCHAR;
    is_admin         BOOLEAN DEFAULT FALSE;
    holds_owner_role BOOLEAN DEFAULT FALSE;
    result           VARIANT;
BEGIN
    -- Who is calling: the calling session's user, from Snowflake.
    SELECT IFF(SYS_CONTEXT('SNOWFLAKE$SESSION', 'PRINCIPAL_TYPE') LIKE 'USER%',
               SYS_CONTEXT('SNOWFLAKE$SESSION', 'PRINCIPAL_NAME'), NULL),
           DATE_TRUNC('MICROSECOND', SYSDATE())
      INTO :actor, :now_ts;
    SELECT CASE
               WHEN NOT COALESCE(:request_id RLIKE '[0-9A-HJKMNP-TV-Z]{26}', FALSE) THEN 'request_id'
               WHEN COALESCE(LENGTH(TRIM(:reason, ' ' || CHAR(9) || CHAR(10) || CHAR(11) || CHAR(12) || CHAR(13))), 0) > 1000 THEN 'reason'
               WHEN COALESCE(VISIBLE_LENGTH(:reason), 0) = 0 THEN 'reason'
               WHEN COALESCE(BIDI_CONTROLS(:reason), 0) > 0 THEN 'reason'
               WHEN NOT COALESCE(:event_ids RLIKE '[0-9A-HJKMNP-TV-Z]{26}', FALSE) THEN 'event_ids'
               WHEN ABS(ID_MILLIS(:event_ids) - DATE_PART(EPOCH_MILLISECOND, :now_ts)) > 600000 THEN 'event_ids'
               ELSE ''
           END
      INTO :invalid;
    IF (invalid <> '') THEN
        SELECT ENVELOPE('INVALID', OBJECT_CONSTRUCT('field', :invalid)) INTO :result;
        RETURN result;
    END IF;
    SELECT OBJECT_CONSTRUCT(*) INTO :facts FROM (SELECT (SELECT COUNT(*) FROM main.access_request WHERE request_id = :request_id) AS n,
           MAX(r.status) AS status, MAX(r.requester) AS requester, MAX(r.product_id) AS product_id,
           MAX(p.name) AS product_name, MAX(p.access_role) AS access_role, MAX(p.owner_role) AS owner_role,
           MAX(r.current_step) AS current_step, MAX(r.step_count) AS step_count,
           MAX(cur.step_label) AS step_label, MAX(cur.approver_role) AS step_role,
           COALESCE(MAX(cur.escalated_to), '') AS escalated_to, COALESCE(MAX(cur.approver_user), '') AS step_user, MAX(r.duration_days) AS duration_days,
           MAX(r.expires_at) AS expires_at, COALESCE(MAX(x.status), '') AS extends_status
    FROM main.access_request r
    LEFT JOIN main.data_product p ON p.product_id = r.product_id
    LEFT JOIN main.request_step cur ON cur.request_id = r.request_id AND cur.step_order = r.current_step
    LEFT JOIN main.access_request x ON x.request_id = r.extends_request_id
    WHERE r.request_id = :request_id
    ) q;
    SELECT GET(:facts, 'OWNER_ROLE')::VARCHAR INTO :owner_role;
    SELECT COALESCE(SYS_CONTEXT('SNOWFLAKE$SESSION', 'IS_ROLE_ACTIVATED', 'SIGNOFF_ADMIN') = 'TRUE', FALSE),
           COALESCE(SYS_CONTEXT('SNOWFLAKE$SESSION', 'IS_ROLE_ACTIVATED', COALESCE(:owner_role, '')) = 'TRUE', FALSE)
      INTO :is_admin, :holds_owner_role;
    CALL SIGNOFF.API.END_ACCESS(:request_id, :actor, IFF(:holds_owner_role, :owner_role, 'SIGNOFF_ADMIN'), :reason,
                                :is_admin, :holds_owner_role, FALSE, :event_ids, :dry_run) INTO :result;
    RETURN result;
EXCEPTION
    WHEN OTHER THEN
        ROLLBACK;
        RAISE;
END;
$$;

GRANT USAGE ON PROCEDURE SIGNOFF.API.REVOKE_ACCESS(VARCHAR, VARCHAR, VARCHAR, BOOLEAN) TO ROLE PUBLIC;

-- ============================================================================
-- START_REVIEW: an admin or an owner of the product opens an access review
-- ============================================================================
-- Answers OK (data: the review, its status and how many grants wait),
-- DRY_RUN, INVALID, IDENTITY_UNAVAILABLE, PRODUCT_NOT_FOUND,
-- NOT_ADMIN_OR_OWNER, REVIEW_OPEN (one open review per product),
-- DUPLICATE_ID or CONFLICT. The review lists the product's GRANTED requests,
-- undecided; one that lists none is COMPLETE at once. Writes no audit
-- event: the review's row records who opened it and when, and each
-- decision is audited on its grant (DECIDE_REVIEW). Review starts take the
-- SUBMIT_LOCK row's lock first (sqlstore.LockSubmissions), so that two at
-- once open one review.
CREATE OR REPLACE PROCEDURE SIGNOFF.API.START_REVIEW(PRODUCT_ID VARCHAR, REVIEW_ID VARCHAR, DRY_RUN BOOLEAN)
RETURNS VARIANT
LANGUAGE SQL
COMMENT = 'Signoff: a Signoff admin or an owner of the product opens an access review'
EXECUTE AS OWNER
AS
$$
DECLARE
    actor            VARCHAR;
    now_ts           TIMESTAMP_NTZ;
    invalid          VARCHAR;
    facts            VARIANT;
    owner_role       VARCHAR;
    is_admin         BOOLEAN DEFAULT FALSE;
    holds_owner_role BOOLEAN DEFAULT FALSE;
    lock_missing     EXCEPTION (-20001, 'the SIGNOFF.MAIN.SUBMIT_LOCK row is missing; run 01_data_model.sql');
    is_system        BOOLEAN DEFAULT FALSE;
    item_count       NUMBER;
    request_id       VARCHAR DEFAULT '';
    chk              VARIANT;
    code             VARCHAR;
    result           VARIANT;
BEGIN
    -- Who is calling: the calling session's user, from Snowflake.
    SELECT IFF(SYS_CONTEXT('SNOWFLAKE$SESSION', 'PRINCIPAL_TYPE') LIKE 'USER%',
               SYS_CONTEXT('SNOWFLAKE$SESSION', 'PRINCIPAL_NAME'), NULL),
           DATE_TRUNC('MICROSECOND', SYSDATE())
      INTO :actor, :now_ts;
    SELECT CASE
               WHEN COALESCE(LENGTH(:product_id), 0) NOT BETWEEN 1 AND 255 THEN 'product_id'
               WHEN NOT COALESCE(:review_id RLIKE '[0-9A-HJKMNP-TV-Z]{26}', FALSE) THEN 'review_id'
               WHEN ABS(ID_MILLIS(:review_id) - DATE_PART(EPOCH_MILLISECOND, :now_ts)) > 600000 THEN 'review_id'
               ELSE ''
           END
      INTO :invalid;
    IF (invalid <> '') THEN
        SELECT ENVELOPE('INVALID', OBJECT_CONSTRUCT('field', :invalid)) INTO :result;
        RETURN result;
    END IF;
    SELECT OBJECT_CONSTRUCT(*) INTO :facts FROM (SELECT COALESCE(MAX(p.owner_role), '') AS owner_role
    FROM main.data_product p
    WHERE p.product_id = COALESCE((SELECT MAX(product_id) FROM main.access_review WHERE review_id = :review_id), :product_id)
    ) q;
    SELECT GET(:facts, 'OWNER_ROLE')::VARCHAR INTO :owner_role;
    SELECT COALESCE(SYS_CONTEXT('SNOWFLAKE$SESSION', 'IS_ROLE_ACTIVATED', 'SIGNOFF_ADMIN') = 'TRUE', FALSE),
           COALESCE(SYS_CONTEXT('SNOWFLAKE$SESSION', 'IS_ROLE_ACTIVATED', COALESCE(:owner_role, '')) = 'TRUE', FALSE)
      INTO :is_admin, :holds_owner_role;
    BEGIN TRANSACTION;
    UPDATE main.submit_lock SET locked_at = :now_ts WHERE lock_id = 1;
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        RAISE lock_missing;
    END IF;
    SELECT OBJECT_CONSTRUCT(*) INTO :chk FROM (WITH p AS (SELECT COUNT(*) AS n, MAX(name) AS product_name, MAX(owner_role) AS owner_role,
                      MAX(review_days) AS review_days
               FROM main.data_product WHERE product_id = :product_id),
         o AS (SELECT MIN(review_id) AS open_review_id, MAX(opened_at) AS last_opened
               FROM main.access_review WHERE product_id = :product_id AND status = 'OPEN'),
         l AS (SELECT MAX(opened_at) AS last_opened FROM main.access_review WHERE product_id = :product_id),
         d AS (SELECT COUNT(*) AS n FROM main.access_review WHERE review_id = :review_id),
         g AS (SELECT COUNT(*) AS n FROM main.access_request WHERE product_id = :product_id AND status = 'GRANTED')
    SELECT CASE
               WHEN COALESCE(:actor, '') = '' THEN 'IDENTITY_UNAVAILABLE'
               WHEN p.n = 0 THEN 'PRODUCT_NOT_FOUND'
               WHEN NOT :is_admin AND NOT :holds_owner_role AND NOT :is_system THEN 'NOT_ADMIN_OR_OWNER'
               WHEN o.open_review_id IS NOT NULL THEN 'REVIEW_OPEN'
               WHEN :is_system AND NOT (COALESCE(p.review_days, 0) > 0
                                        AND (l.last_opened IS NULL OR ADD_HOURS(l.last_opened, 24 * p.review_days) <= :now_ts))
                    THEN 'NOT_DUE'
               WHEN d.n > 0 THEN 'DUPLICATE_ID'
               ELSE 'OK'
           END AS code,
           :actor AS actor, :review_id AS review_id, :product_id AS product_id, p.product_name, p.owner_role,
           o.open_review_id, g.n AS item_count
    FROM p CROSS JOIN o CROSS JOIN l CROSS JOIN d CROSS JOIN g
    ) q;
    SELECT GET(:chk, 'CODE')::VARCHAR INTO :code;
    IF (COALESCE(code, '') <> 'OK') THEN
        ROLLBACK;
        SELECT ENVELOPE(:code, OBJECT_DELETE(:chk, 'REQUESTER', 'ACCESS_ROLE')) INTO :result;
        RETURN result;
    END IF;
    IF (COALESCE(dry_run, FALSE)) THEN
        ROLLBACK;
        SELECT ENVELOPE('DRY_RUN', :chk) INTO :result;
        RETURN result;
    END IF;
    SELECT GET(:chk, 'ITEM_COUNT')::NUMBER INTO :item_count;
    INSERT INTO main.access_review (review_id, product_id, status, opened_by, opened_at, item_count, completed_at)
    SELECT :review_id, :product_id, CASE WHEN :item_count = 0 THEN 'COMPLETE' ELSE 'OPEN' END, :actor, :now_ts,
           :item_count, CASE WHEN :item_count = 0 THEN :now_ts END
    WHERE NOT EXISTS (SELECT 1 FROM main.access_review WHERE product_id = :product_id AND status = 'OPEN');
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        ROLLBACK;
        SELECT ENVELOPE('CONFLICT', OBJECT_CONSTRUCT('request_id', :request_id)) INTO :result;
        RETURN result;
    END IF;
    INSERT INTO main.review_item (review_id, request_id, requester)
    SELECT :review_id, request_id, requester
    FROM main.access_request WHERE product_id = :product_id AND status = 'GRANTED';
    IF (COALESCE(SQLROWCOUNT, -1) <> item_count) THEN
        ROLLBACK;
        SELECT ENVELOPE('CONFLICT', OBJECT_CONSTRUCT('request_id', :request_id)) INTO :result;
        RETURN result;
    END IF;
    SELECT OBJECT_CONSTRUCT(*) INTO :chk FROM (WITH v AS (SELECT MAX(product_id) AS product_id, MAX(status) AS review_status
               FROM main.access_review WHERE review_id = :review_id),
         u AS (SELECT COUNT(*) AS n FROM main.review_item WHERE review_id = :review_id AND decision IS NULL)
    SELECT 'OK' AS code, :actor AS actor, :review_id AS review_id, :request_id AS request_id, v.product_id,
           v.review_status, u.n AS undecided
    FROM v CROSS JOIN u
    ) q;
    COMMIT;
    SELECT ENVELOPE('OK', :chk) INTO :result;
    RETURN result;
EXCEPTION
    WHEN OTHER THEN
        ROLLBACK;
        RAISE;
END;
$$;

GRANT USAGE ON PROCEDURE SIGNOFF.API.START_REVIEW(VARCHAR, VARCHAR, BOOLEAN) TO ROLE PUBLIC;

-- ============================================================================
-- DECIDE_REVIEW: an admin or an owner of the product keeps or revokes one
-- grant of an open review
-- ============================================================================
-- REVIEW_DECISION is KEEP (a REVIEW_KEPT event on the grant's request, NOTE
-- its optional comment), REVOKE (the guarded revoke path, END_ACCESS, as
-- REVOKE_ACCESS takes it: its own check, the REVOKE, then REVOKED with an
-- ACCESS_REVOKED event whose comment is "Review <id>: <NOTE>", NOTE being
-- required), or ENDED (a grant whose access ended meanwhile, outside the
-- review; no event). The review becomes COMPLETE with its last grant.
-- Answers OK (data: the review's status and how many grants wait),
-- DRY_RUN, INVALID, IDENTITY_UNAVAILABLE, REVIEW_NOT_FOUND, DUPLICATE_ID,
-- NOT_ADMIN_OR_OWNER, NOT_IN_REVIEW, ALREADY_DECIDED, WRONG_STATUS,
-- END_ACCESS's answers, or CONFLICT. A revocation commits before the
-- grant's decision is written (REVOKE is DDL): if that write then finds the
-- grant decided by someone else meanwhile, the revocation stands and the
-- answer is CONFLICT.
CREATE OR REPLACE PROCEDURE SIGNOFF.API.DECIDE_REVIEW(
    REVIEW_ID VARCHAR, REQUEST_ID VARCHAR, REVIEW_DECISION VARCHAR, NOTE VARCHAR, EVENT_IDS VARCHAR, DRY_RUN BOOLEAN)
RETURNS VARIANT
LANGUAGE SQL
COMMENT = 'Signoff: a Signoff admin or an owner of the product keeps or revokes a grant in an access review'
EXECUTE AS OWNER
AS
$$
DECLARE
    actor            VARCHAR;
    now_ts           TIMESTAMP_NTZ;
    invalid          VARCHAR;
    facts            VARIANT;
    owner_role       VARCHAR;
    actor_role       VARCHAR;
    product_id       VARCHAR DEFAULT '';
    comment_text     VARCHAR;
    revoke_comment   VARCHAR;
    is_admin         BOOLEAN DEFAULT FALSE;
    holds_owner_role BOOLEAN DEFAULT FALSE;
    chk              VARIANT;
    code             VARCHAR;
    result           VARIANT;
    audit_lock_missing EXCEPTION (-20002, 'the SIGNOFF.MAIN.AUDIT_LOCK row is missing; run 01_data_model.sql');
    event_id     VARCHAR;
    event_type   VARCHAR;
    ev_step      NUMBER;
    ev_decision  VARCHAR;
    ev_comment   VARCHAR;
    ev_details   VARCHAR;
    ev_seq       NUMBER;
    ev_prev_hash VARCHAR;
    ev_hash      VARCHAR;
BEGIN
    -- Who is calling: the calling session's user, from Snowflake.
    SELECT IFF(SYS_CONTEXT('SNOWFLAKE$SESSION', 'PRINCIPAL_TYPE') LIKE 'USER%',
               SYS_CONTEXT('SNOWFLAKE$SESSION', 'PRINCIPAL_NAME'), NULL),
           DATE_TRUNC('MICROSECOND', SYSDATE())
      INTO :actor, :now_ts;
    comment_text := COALESCE(note, '');
    SELECT CASE
               WHEN NOT COALESCE(:review_id RLIKE '[0-9A-HJKMNP-TV-Z]{26}', FALSE) THEN 'review_id'
               WHEN NOT COALESCE(:request_id RLIKE '[0-9A-HJKMNP-TV-Z]{26}', FALSE) THEN 'request_id'
               WHEN COALESCE(:review_decision, '') NOT IN ('KEEP', 'REVOKE', 'ENDED') THEN 'review_decision'
               WHEN COALESCE(LENGTH(TRIM(:comment_text, ' ' || CHAR(9) || CHAR(10) || CHAR(11) || CHAR(12) || CHAR(13))), 0) > 900 THEN 'note'
               WHEN COALESCE(BIDI_CONTROLS(:comment_text), 0) > 0 THEN 'note'
               WHEN :review_decision = 'REVOKE' AND COALESCE(VISIBLE_LENGTH(:comment_text), 0) = 0 THEN 'note'
               WHEN NOT COALESCE(:event_ids RLIKE '[0-9A-HJKMNP-TV-Z]{26}', FALSE) THEN 'event_ids'
               WHEN ABS(ID_MILLIS(:event_ids) - DATE_PART(EPOCH_MILLISECOND, :now_ts)) > 600000 THEN 'event_ids'
               ELSE ''
           END
      INTO :invalid;
    IF (invalid <> '') THEN
        SELECT ENVELOPE('INVALID', OBJECT_CONSTRUCT('field', :invalid)) INTO :result;
        RETURN result;
    END IF;
    SELECT OBJECT_CONSTRUCT(*) INTO :facts FROM (SELECT COALESCE(MAX(p.owner_role), '') AS owner_role
    FROM main.data_product p
    WHERE p.product_id = COALESCE((SELECT MAX(product_id) FROM main.access_review WHERE review_id = :review_id), :product_id)
    ) q;
    SELECT GET(:facts, 'OWNER_ROLE')::VARCHAR INTO :owner_role;
    SELECT COALESCE(SYS_CONTEXT('SNOWFLAKE$SESSION', 'IS_ROLE_ACTIVATED', 'SIGNOFF_ADMIN') = 'TRUE', FALSE),
           COALESCE(SYS_CONTEXT('SNOWFLAKE$SESSION', 'IS_ROLE_ACTIVATED', COALESCE(:owner_role, '')) = 'TRUE', FALSE)
      INTO :is_admin, :holds_owner_role;
    actor_role := IFF(holds_owner_role, owner_role, 'SIGNOFF_ADMIN');
    BEGIN TRANSACTION;
    SELECT OBJECT_CONSTRUCT(*) INTO :chk FROM (WITH v AS (SELECT COUNT(*) AS n, MAX(status) AS review_status, MAX(product_id) AS review_product
               FROM main.access_review WHERE review_id = :review_id),
         i AS (SELECT COUNT(*) AS n, MAX(decision) AS item_decision, MAX(decided_by) AS item_decided_by
               FROM main.review_item WHERE review_id = :review_id AND request_id = :request_id),
         r AS (
    SELECT (SELECT COUNT(*) FROM main.access_request WHERE request_id = :request_id) AS n,
           MAX(r.status) AS status, MAX(r.requester) AS requester, MAX(r.product_id) AS product_id,
           MAX(p.name) AS product_name, MAX(p.access_role) AS access_role, MAX(p.owner_role) AS owner_role,
           MAX(r.current_step) AS current_step, MAX(r.step_count) AS step_count,
           MAX(cur.step_label) AS step_label, MAX(cur.approver_role) AS step_role,
           COALESCE(MAX(cur.escalated_to), '') AS escalated_to, COALESCE(MAX(cur.approver_user), '') AS step_user, MAX(r.duration_days) AS duration_days,
           MAX(r.expires_at) AS expires_at, COALESCE(MAX(x.status), '') AS extends_status
    FROM main.access_request r
    LEFT JOIN main.data_product p ON p.product_id = r.product_id
    LEFT JOIN main.request_step cur ON cur.request_id = r.request_id AND cur.step_order = r.current_step
    LEFT JOIN main.access_request x ON x.request_id = r.extends_request_id
    WHERE r.request_id = :request_id)
    SELECT CASE
               WHEN COALESCE(:actor, '') = '' THEN 'IDENTITY_UNAVAILABLE'
               WHEN v.n = 0 THEN 'REVIEW_NOT_FOUND'
               WHEN v.n > 1 OR i.n > 1 OR r.n > 1 THEN 'DUPLICATE_ID'
               WHEN NOT :is_admin AND NOT :holds_owner_role THEN 'NOT_ADMIN_OR_OWNER'
               WHEN i.n = 0 OR r.n = 0 OR r.product_id <> v.review_product THEN 'NOT_IN_REVIEW'
               WHEN i.item_decision IS NOT NULL OR v.review_status <> 'OPEN' THEN 'ALREADY_DECIDED'
               WHEN :review_decision = 'ENDED' AND r.status = 'GRANTED' THEN 'WRONG_STATUS'
               WHEN :review_decision <> 'ENDED' AND r.status <> 'GRANTED' THEN 'WRONG_STATUS'
               ELSE 'OK'
           END AS code,
           :actor AS actor, :request_id AS request_id, r.product_id, r.product_name, r.requester,
           r.access_role, r.owner_role, r.status, r.current_step, r.step_count, r.step_label, r.step_role,
           r.duration_days, r.step_user,
           :review_id AS review_id, i.item_decided_by AS seen_decided_by
    FROM v CROSS JOIN i CROSS JOIN r
    ) q;
    SELECT GET(:chk, 'CODE')::VARCHAR INTO :code;
    IF (COALESCE(code, '') <> 'OK') THEN
        ROLLBACK;
        SELECT ENVELOPE(:code, OBJECT_DELETE(:chk, 'REQUESTER', 'ACCESS_ROLE')) INTO :result;
        RETURN result;
    END IF;
    IF (COALESCE(dry_run, FALSE)) THEN
        ROLLBACK;
        SELECT ENVELOPE('DRY_RUN', :chk) INTO :result;
        RETURN result;
    END IF;
    SELECT GET(:chk, 'PRODUCT_ID')::VARCHAR, 'Review ' || :review_id || ': ' || TRIM(:comment_text, ' ' || CHAR(9) || CHAR(10) || CHAR(11) || CHAR(12) || CHAR(13))
      INTO :product_id, :revoke_comment;
    IF (review_decision = 'REVOKE') THEN
        -- REVOKE is DDL: END_ACCESS runs it outside a transaction, then
        -- records the revocation in its own.
        COMMIT;
        CALL SIGNOFF.API.END_ACCESS(:request_id, :actor, :actor_role, :revoke_comment, :is_admin, :holds_owner_role,
                                    FALSE, :event_ids, FALSE) INTO :result;
        IF (COALESCE(GET(:result, 'code')::VARCHAR, '') <> 'OK') THEN
            RETURN result;
        END IF;
        BEGIN TRANSACTION;
    END IF;
    UPDATE main.review_item
    SET decision = :review_decision, decided_by = :actor, decided_at = :now_ts,
        note = NULLIF(TRIM(:comment_text, ' ' || CHAR(9) || CHAR(10) || CHAR(11) || CHAR(12) || CHAR(13)), '')
    WHERE review_id = :review_id AND request_id = :request_id AND decision IS NULL
      AND EXISTS (SELECT 1 FROM main.access_review WHERE review_id = :review_id AND status = 'OPEN');
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        ROLLBACK;
        SELECT ENVELOPE('CONFLICT', OBJECT_CONSTRUCT('request_id', :request_id)) INTO :result;
        RETURN result;
    END IF;
    IF (review_decision = 'KEEP') THEN
    -- Audit event REVIEW_KEPT, appended at the head of the ledger, under the
    -- audit lock (taken last, so that locks are always taken in one order).
    SELECT SPLIT_PART(:event_ids, ',', 1), 'REVIEW_KEPT', 0, '', TRIM(:comment_text, ' ' || CHAR(9) || CHAR(10) || CHAR(11) || CHAR(12) || CHAR(13)), 'review=' || :review_id || ';'
      INTO :event_id, :event_type, :ev_step, :ev_decision, :ev_comment, :ev_details;
    UPDATE main.audit_lock SET locked_at = :now_ts WHERE lock_id = 1;
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        RAISE audit_lock_missing;
    END IF;
    SELECT h.ev_seq + 1, h.ev_prev_hash INTO :ev_seq, :ev_prev_hash FROM (SELECT COALESCE((SELECT MAX(seq) FROM main.audit_log), 0) AS ev_seq,
           COALESCE((SELECT hash FROM main.audit_log ORDER BY seq DESC LIMIT 1), '') AS ev_prev_hash
    ) h;
    SELECT AUDIT_HASH(:ev_prev_hash, :event_id, :now_ts, :request_id, NULLIF(:product_id, ''), :actor,
                      NULLIF(:actor_role, ''), :event_type, NULLIF(:ev_step, 0), NULLIF(:ev_decision, ''),
                      NULLIF(:ev_comment, ''), NULLIF(:ev_details, ''), :ev_seq)
      INTO :ev_hash;
    INSERT INTO main.audit_log (event_id, event_time, request_id, product_id, actor, actor_role, event_type,
                                step_order, decision, comment, details, seq, prev_hash, hash)
    SELECT :event_id, :now_ts, NULLIF(:request_id, ''), NULLIF(:product_id, ''), :actor, NULLIF(:actor_role, ''), :event_type,
           NULLIF(:ev_step, 0), NULLIF(:ev_decision, ''), NULLIF(:ev_comment, ''), NULLIF(:ev_details, ''),
           :ev_seq, :ev_prev_hash, :ev_hash
    WHERE NOT EXISTS (SELECT 1 FROM main.audit_log WHERE seq >= :ev_seq)
      AND NOT EXISTS (SELECT 1 FROM main.audit_log WHERE event_id = :event_id);
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        ROLLBACK;
        SELECT ENVELOPE('CONFLICT', OBJECT_CONSTRUCT('request_id', :request_id)) INTO :result;
        RETURN result;
    END IF;
    END IF;
    UPDATE main.access_review SET status = 'COMPLETE', completed_at = :now_ts
    WHERE review_id = :review_id AND status = 'OPEN'
      AND NOT EXISTS (SELECT 1 FROM main.review_item WHERE review_id = :review_id AND decision IS NULL);
    SELECT OBJECT_CONSTRUCT(*) INTO :chk FROM (WITH v AS (SELECT MAX(product_id) AS product_id, MAX(status) AS review_status
               FROM main.access_review WHERE review_id = :review_id),
         u AS (SELECT COUNT(*) AS n FROM main.review_item WHERE review_id = :review_id AND decision IS NULL)
    SELECT 'OK' AS code, :actor AS actor, :review_id AS review_id, :request_id AS request_id, v.product_id,
           v.review_status, u.n AS undecided
    FROM v CROSS JOIN u
    ) q;
    COMMIT;
    SELECT ENVELOPE('OK', :chk) INTO :result;
    RETURN result;
EXCEPTION
    WHEN OTHER THEN
        ROLLBACK;
        RAISE;
END;
$$;

GRANT USAGE ON PROCEDURE SIGNOFF.API.DECIDE_REVIEW(VARCHAR, VARCHAR, VARCHAR, VARCHAR, VARCHAR, BOOLEAN) TO ROLE PUBLIC;

-- ============================================================================
-- The SQL API's lists: every active grant, every request (admins, auditors)
-- ============================================================================
-- Reads for people who script Signoff with SQL (deploy/README.md, "Scripting
-- Signoff with SQL"): the statements the app's /admin/grants and
-- /admin/requests pages read (sqlstore.ListGrants, ListRequests), embedded
-- verbatim, over SIGNOFF.MAIN. Anyone may know the procedures exist; only a
-- caller whose session holds SIGNOFF_ADMIN or SIGNOFF_AUDITOR (IS_ROLE_ACTIVATED,
-- as the actions check roles) gets an answer other than NOT_AUDITOR, and
-- only SIGNOFF_AUDITOR, which admins inherit, holds USAGE on them. Each
-- row is an OBJECT_CONSTRUCT(*) of the statement's columns: keys in upper
-- case, a NULL column absent (a permanent grant has no EXPIRES_AT); the rows
-- are ARRAY_AGG'd in the statement's order (WITHIN GROUP; an empty input is
-- an empty array) (DOCS/sql-reference/functions/object_construct,
-- DOCS/sql-reference/functions/array_agg, DOCS/sql-reference/functions/array_slice).

-- LIST_GRANTS answers OK with data {"grants": [...], "more": bool}: the
-- active grants (GRANTED requests) of PRODUCT_ID and of USER_NAME (the
-- requester, exactly; '' or NULL for any), newest grant first, at most
-- 1000 (more is TRUE when there are others: filter to see them).
-- Each has REQUEST_ID, PRODUCT_ID, PRODUCT_NAME, CLASSIFICATION,
-- ACCESS_ROLE, REQUESTER, DURATION_DAYS (0: permanent), EXPIRES_AT and
-- GRANTED_AT (UTC). Or NOT_AUDITOR.
CREATE OR REPLACE PROCEDURE SIGNOFF.API.LIST_GRANTS(PRODUCT_ID VARCHAR, USER_NAME VARCHAR)
RETURNS VARIANT
LANGUAGE SQL
COMMENT = 'Signoff: every active grant, by product or user (admins and auditors)'
EXECUTE AS OWNER
AS
$$
DECLARE
    allowed BOOLEAN DEFAULT FALSE;
    result  VARIANT;
BEGIN
    SELECT COALESCE(SYS_CONTEXT('SNOWFLAKE$SESSION', 'IS_ROLE_ACTIVATED', 'SIGNOFF_ADMIN') = 'TRUE', FALSE)
           OR COALESCE(SYS_CONTEXT('SNOWFLAKE$SESSION', 'IS_ROLE_ACTIVATED', 'SIGNOFF_AUDITOR') = 'TRUE', FALSE)
      INTO :allowed;
    IF (NOT allowed) THEN
        SELECT ENVELOPE('NOT_AUDITOR', NULL) INTO :result;
        RETURN result;
    END IF;
    SELECT ENVELOPE('OK', OBJECT_CONSTRUCT(
               'grants', ARRAY_SLICE(l.grants, 0, 1000),
               'more', ARRAY_SIZE(l.grants) > 1000))
      INTO :result
      FROM (SELECT ARRAY_AGG(OBJECT_CONSTRUCT(*)) WITHIN GROUP (ORDER BY g.granted_at DESC, g.request_id DESC) AS grants
            FROM (SELECT r.request_id, r.product_id, p.name AS product_name, p.classification, p.access_role, r.requester,
           r.duration_days, r.expires_at, r.updated_at AS granted_at
    FROM main.access_request r
    JOIN main.data_product p ON p.product_id = r.product_id
    WHERE r.status = 'GRANTED'
      AND (COALESCE(:product_id, '') = '' OR r.product_id = :product_id)
      AND (COALESCE(:user_name, '') = '' OR r.requester = :user_name)
    ORDER BY r.updated_at DESC, r.request_id DESC
    LIMIT 1001
            ) g) l;
    RETURN result;
END;
$$;

GRANT USAGE ON PROCEDURE SIGNOFF.API.LIST_GRANTS(VARCHAR, VARCHAR) TO ROLE SIGNOFF_AUDITOR;

-- LIST_REQUESTS answers OK with data {"requests": [...], "next": id}: the
-- requests with STATUS, PRODUCT_ID and CLASSIFICATION (exactly), whose
-- requester contains REQUESTER (any case; % and _ are plain characters),
-- made from FROM_DAY to TO_DAY (YYYY-MM-DD, UTC, both included), newest
-- first, after the request AFTER_ID (paging: pass the last answer's next,
-- absent on the last page); '' or NULL for any. At most
-- 50 a call. Each has REQUEST_ID, PRODUCT_ID, PRODUCT_NAME,
-- CLASSIFICATION, ACCESS_ROLE, REQUESTER, STATUS, CURRENT_STEP, STEP_COUNT,
-- CREATED_AT, UPDATED_AT, ASKED_DAYS, DURATION_DAYS and EXPIRES_AT. Or INVALID (data.field
-- names the argument) or NOT_AUDITOR.
CREATE OR REPLACE PROCEDURE SIGNOFF.API.LIST_REQUESTS(STATUS VARCHAR, PRODUCT_ID VARCHAR, CLASSIFICATION VARCHAR,
    REQUESTER VARCHAR, FROM_DAY VARCHAR, TO_DAY VARCHAR, AFTER_ID VARCHAR)
RETURNS VARIANT
LANGUAGE SQL
COMMENT = 'Signoff: every request, filtered, newest first (admins and auditors)'
EXECUTE AS OWNER
AS
$$
DECLARE
    allowed        BOOLEAN DEFAULT FALSE;
    invalid        VARCHAR;
    requester_like VARCHAR;
    from_ts        TIMESTAMP_NTZ;
    to_ts          TIMESTAMP_NTZ;
    result         VARIANT;
BEGIN
    SELECT COALESCE(SYS_CONTEXT('SNOWFLAKE$SESSION', 'IS_ROLE_ACTIVATED', 'SIGNOFF_ADMIN') = 'TRUE', FALSE)
           OR COALESCE(SYS_CONTEXT('SNOWFLAKE$SESSION', 'IS_ROLE_ACTIVATED', 'SIGNOFF_AUDITOR') = 'TRUE', FALSE)
      INTO :allowed;
    IF (NOT allowed) THEN
        SELECT ENVELOPE('NOT_AUDITOR', NULL) INTO :result;
        RETURN result;
    END IF;
    SELECT CASE
               WHEN COALESCE(:status, '') NOT IN ('', 'PENDING', 'CHANGES_REQUESTED', 'APPROVED', 'GRANTED', 'GRANT_FAILED', 'REJECTED', 'WITHDRAWN', 'REVOKED', 'EXPIRED') THEN 'status'
               WHEN COALESCE(:from_day, '') <> '' AND TRY_TO_DATE(:from_day, 'YYYY-MM-DD') IS NULL THEN 'from_day'
               WHEN COALESCE(:to_day, '') <> '' AND TRY_TO_DATE(:to_day, 'YYYY-MM-DD') IS NULL THEN 'to_day'
               WHEN COALESCE(:after_id, '') <> '' AND NOT COALESCE(:after_id RLIKE '[0-9A-HJKMNP-TV-Z]{26}', FALSE) THEN 'after_id'
               ELSE ''
           END,
           IFF(COALESCE(:requester, '') = '', '',
               '%' || REPLACE(REPLACE(REPLACE(:requester, '!', '!!'), '%', '!%'), '_', '!_') || '%'),
           COALESCE(TRY_TO_DATE(NULLIF(:from_day, ''), 'YYYY-MM-DD')::TIMESTAMP_NTZ, '1970-01-01 00:00:00'::TIMESTAMP_NTZ),
           COALESCE(DATEADD(DAY, 1, TRY_TO_DATE(NULLIF(:to_day, ''), 'YYYY-MM-DD'))::TIMESTAMP_NTZ, '9999-12-31 00:00:00'::TIMESTAMP_NTZ)
      INTO :invalid, :requester_like, :from_ts, :to_ts;
    IF (invalid <> '') THEN
        SELECT ENVELOPE('INVALID', OBJECT_CONSTRUCT('field', :invalid)) INTO :result;
        RETURN result;
    END IF;
    SELECT ENVELOPE('OK', OBJECT_CONSTRUCT(
               'requests', ARRAY_SLICE(l.requests, 0, 50),
               'next', IFF(ARRAY_SIZE(l.requests) > 50,
                           GET(GET(l.requests, 50 - 1), 'REQUEST_ID'), NULL)))
      INTO :result
      FROM (SELECT ARRAY_AGG(OBJECT_CONSTRUCT(*)) WITHIN GROUP (ORDER BY q.created_at DESC, q.request_id DESC) AS requests
            FROM (SELECT r.request_id, r.product_id, COALESCE(p.name, '') AS product_name,
           COALESCE(p.classification, '') AS classification, COALESCE(p.access_role, '') AS access_role,
           r.requester, r.status, r.current_step, r.step_count, r.created_at, r.updated_at,
           r.asked_days, r.duration_days, r.expires_at
    FROM main.access_request r
    LEFT JOIN main.data_product p ON p.product_id = r.product_id
    CROSS JOIN (SELECT MAX(created_at) AS created_at FROM main.access_request WHERE request_id = :after_id) k
    WHERE (COALESCE(:status, '') = '' OR r.status = :status)
      AND (COALESCE(:product_id, '') = '' OR r.product_id = :product_id)
      AND (COALESCE(:classification, '') = '' OR p.classification = :classification)
      AND (COALESCE(:requester_like, '') = '' OR LOWER(r.requester) LIKE LOWER(:requester_like) ESCAPE '!')
      AND r.created_at >= :from_ts AND r.created_at < :to_ts
      AND (COALESCE(:after_id, '') = ''
           OR r.created_at < k.created_at OR (r.created_at = k.created_at AND r.request_id < :after_id))
    ORDER BY r.created_at DESC, r.request_id DESC
    LIMIT 51
            ) q) l;
    RETURN result;
END;
$$;

GRANT USAGE ON PROCEDURE SIGNOFF.API.LIST_REQUESTS(VARCHAR, VARCHAR, VARCHAR, VARCHAR, VARCHAR, VARCHAR, VARCHAR) TO ROLE SIGNOFF_AUDITOR;

-- ============================================================================
-- RUN_SCHEDULE: the work that falls due with time; for the SIGNOFF_SCHEDULE
-- task only (nobody holds USAGE on it; the task runs as its owner)
-- ============================================================================
-- Reminders, escalations, expiries and due access reviews (sqlstore.DueWork, at most 500 pieces
-- a run; a run that leaves work catches up at the next). Each
-- piece of work is checked again in its own transaction (CheckSystem, or
-- END_ACCESS's check for expiring access) and written compare-and-set, so
-- that work is done once however runs overlap; reminders write only their
-- event, after taking the audit lock, under which their check runs. Every
-- event is the system's (SIGNOFF$SCHEDULER), with an ID made here (NewID:
-- no app is involved). Answers OK with the counts of work done, of work
-- no longer due, and of expiries whose REVOKE failed (END_ACCESS raises
-- then, recording nothing: the access stays GRANTED and the next run tries
-- again; one access role that cannot be revoked must not stop the rest of
-- the run, so that error is caught here, per piece of work).
-- Snowflake Scripting as documented: a RESULTSET runs its query, binds
-- included, when assigned, and a cursor declared FOR it iterates its rows
-- (DOCS/developer-guide/snowflake-scripting/resultsets,
-- DOCS/sql-reference/snowflake-scripting/let); FOR ... IN cursor DO names
-- each row's columns with dot notation (DOCS/sql-reference/snowflake-scripting/for);
-- CONTINUE starts the next iteration (DOCS/sql-reference/snowflake-scripting/continue);
-- each transaction begins and ends inside one iteration, and END_ACCESS is
-- CALLed outside any, as a transaction may not span a procedure's boundary
-- (DOCS/sql-reference/transactions, "Transactions and stored procedures").
CREATE OR REPLACE PROCEDURE SIGNOFF.API.RUN_SCHEDULE()
RETURNS VARIANT
LANGUAGE SQL
COMMENT = 'Signoff: reminders, escalations and expiries (for the SIGNOFF_SCHEDULE task)'
EXECUTE AS OWNER
AS
$$
DECLARE
    actor        VARCHAR DEFAULT 'SIGNOFF$SCHEDULER';
    actor_role   VARCHAR DEFAULT '';
    now_ts       TIMESTAMP_NTZ;
    request_id   VARCHAR;
    kind         VARCHAR;
    why          VARCHAR;
    chk          VARIANT;
    code         VARCHAR;
    result       VARIANT;
    product_id   VARCHAR;
    cur_step     NUMBER;
    done         NUMBER DEFAULT 0;
    not_due      NUMBER DEFAULT 0;
    failed       NUMBER DEFAULT 0;
    due          RESULTSET;
    review_id    VARCHAR;
    item_count   NUMBER;
    is_admin     BOOLEAN DEFAULT FALSE;
    holds_owner_role BOOLEAN DEFAULT FALSE;
    is_system    BOOLEAN DEFAULT TRUE;
    lock_missing EXCEPTION (-20001, 'the SIGNOFF.MAIN.SUBMIT_LOCK row is missing; run 01_data_model.sql');
    audit_lock_missing EXCEPTION (-20002, 'the SIGNOFF.MAIN.AUDIT_LOCK row is missing; run 01_data_model.sql');
    event_id     VARCHAR;
    event_type   VARCHAR;
    ev_step      NUMBER;
    ev_decision  VARCHAR;
    ev_comment   VARCHAR;
    ev_details   VARCHAR;
    ev_seq       NUMBER;
    ev_prev_hash VARCHAR;
    ev_hash      VARCHAR;
BEGIN
    SELECT DATE_TRUNC('MICROSECOND', SYSDATE()) INTO :now_ts;
    due := (SELECT kind, request_id, why FROM (
        SELECT 'EXPIRE_ACCESS' AS kind, request_id, '' AS why, expires_at AS due_at, 1 AS prio
        FROM main.access_request WHERE status = 'GRANTED' AND expires_at <= :now_ts
        UNION ALL
        SELECT 'REMIND_EXPIRY', r.request_id, '', r.expires_at, 5
        FROM main.access_request r
        WHERE r.status = 'GRANTED' AND r.expires_at > :now_ts AND ADD_HOURS(r.expires_at, -72) <= :now_ts
          AND NOT EXISTS (SELECT 1 FROM main.audit_log e WHERE e.request_id = r.request_id AND e.event_type = 'EXPIRY_REMINDED')
        UNION ALL
        SELECT 'EXPIRE_REQUEST', r.request_id, '', r.created_at, 2
        FROM main.access_request r JOIN main.data_product p ON p.product_id = r.product_id
        WHERE r.status IN ('PENDING', 'CHANGES_REQUESTED') AND p.pending_days > 0
          AND ADD_HOURS(r.created_at, 24 * p.pending_days) <= :now_ts
        UNION ALL
        SELECT CASE WHEN ADD_HOURS(r.updated_at, 2 * s.deadline_hours) <= :now_ts AND s.fallback_role IS NOT NULL
                    THEN 'ESCALATE_STEP' ELSE 'REMIND_STEP' END,
               r.request_id, 'deadline', r.updated_at, 3
        FROM main.access_request r
        JOIN main.request_step s ON s.request_id = r.request_id AND s.step_order = r.current_step
        WHERE r.status = 'PENDING' AND s.deadline_hours > 0 AND s.escalated_to IS NULL
          AND ADD_HOURS(r.updated_at, s.deadline_hours) <= :now_ts
          AND (ADD_HOURS(r.updated_at, 2 * s.deadline_hours) <= :now_ts AND s.fallback_role IS NOT NULL
               OR NOT EXISTS (SELECT 1 FROM main.audit_log e
                              WHERE e.request_id = r.request_id AND e.event_type = 'STEP_REMINDED'
                                AND e.step_order = r.current_step AND e.event_time >= r.updated_at))
        UNION ALL
        SELECT 'ESCALATE_STEP', r.request_id, 'blocked', r.updated_at, 4
        FROM main.access_request r
        JOIN main.request_step s ON s.request_id = r.request_id AND s.step_order = r.current_step
        WHERE r.status = 'PENDING' AND s.escalated_to IS NULL AND s.fallback_role IS NOT NULL
          AND CASE WHEN s.deadline_hours > 0 AND ADD_HOURS(r.updated_at, 2 * s.deadline_hours) <= :now_ts THEN 1 ELSE 0 END = 0
          AND NOT EXISTS (SELECT 1 FROM main.role_holder h
                          WHERE h.role_name = s.approver_role AND h.user_name <> r.requester
                            AND COALESCE(s.approver_user, h.user_name) = h.user_name
                            AND NOT EXISTS (SELECT 1 FROM main.request_step d
                                            WHERE d.request_id = r.request_id AND d.decided_by = h.user_name))
        UNION ALL
        SELECT 'OPEN_REVIEW', p.product_id, '',
               COALESCE(ADD_HOURS(l.last_opened, 24 * p.review_days), p.created_at), 6
        FROM main.data_product p
        LEFT JOIN (SELECT product_id, MAX(opened_at) AS last_opened,
                          SUM(CASE WHEN status = 'OPEN' THEN 1 ELSE 0 END) AS open_n
                   FROM main.access_review GROUP BY product_id) l ON l.product_id = p.product_id
        WHERE p.review_days > 0 AND COALESCE(l.open_n, 0) = 0
          AND (l.last_opened IS NULL OR ADD_HOURS(l.last_opened, 24 * p.review_days) <= :now_ts)
    ) due
    ORDER BY due_at, request_id, prio
    LIMIT 500);
    LET due_rows CURSOR FOR due;
    FOR d IN due_rows DO
        kind := d.kind;
        request_id := d.request_id;
        why := d.why;
        SELECT DATE_TRUNC('MICROSECOND', SYSDATE()), SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 9)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 8)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 7)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 6)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 5)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 4)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 3)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 2)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 1)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 0)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
          INTO :now_ts, :event_id;
        IF (kind = 'EXPIRE_ACCESS') THEN
            BEGIN
                CALL SIGNOFF.API.END_ACCESS(:request_id, :actor, '', '', FALSE, FALSE, TRUE, :event_id, FALSE) INTO :result;
                SELECT GET(:result, 'code')::VARCHAR INTO :code;
            EXCEPTION
                WHEN OTHER THEN
                    code := 'FAILED';
            END;
            IF (code = 'OK') THEN
                done := done + 1;
            ELSEIF (code = 'FAILED') THEN
                failed := failed + 1;
            ELSE
                not_due := not_due + 1;
            END IF;
            CONTINUE;
        END IF;
        IF (kind = 'OPEN_REVIEW') THEN
            -- A product's access review is due: DueWork's request_id is the
            -- product's ID, and the ID made for the event names the review,
            -- opened as START_REVIEW opens one (CheckStartReview with
            -- is_system: only when due).
            product_id := request_id;
            review_id := event_id;
            request_id := '';
            BEGIN TRANSACTION;
            UPDATE main.submit_lock SET locked_at = :now_ts WHERE lock_id = 1;
            IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
                RAISE lock_missing;
            END IF;
            SELECT OBJECT_CONSTRUCT(*) INTO :chk FROM (WITH p AS (SELECT COUNT(*) AS n, MAX(name) AS product_name, MAX(owner_role) AS owner_role,
                      MAX(review_days) AS review_days
               FROM main.data_product WHERE product_id = :product_id),
         o AS (SELECT MIN(review_id) AS open_review_id, MAX(opened_at) AS last_opened
               FROM main.access_review WHERE product_id = :product_id AND status = 'OPEN'),
         l AS (SELECT MAX(opened_at) AS last_opened FROM main.access_review WHERE product_id = :product_id),
         d AS (SELECT COUNT(*) AS n FROM main.access_review WHERE review_id = :review_id),
         g AS (SELECT COUNT(*) AS n FROM main.access_request WHERE product_id = :product_id AND status = 'GRANTED')
    SELECT CASE
               WHEN COALESCE(:actor, '') = '' THEN 'IDENTITY_UNAVAILABLE'
               WHEN p.n = 0 THEN 'PRODUCT_NOT_FOUND'
               WHEN NOT :is_admin AND NOT :holds_owner_role AND NOT :is_system THEN 'NOT_ADMIN_OR_OWNER'
               WHEN o.open_review_id IS NOT NULL THEN 'REVIEW_OPEN'
               WHEN :is_system AND NOT (COALESCE(p.review_days, 0) > 0
                                        AND (l.last_opened IS NULL OR ADD_HOURS(l.last_opened, 24 * p.review_days) <= :now_ts))
                    THEN 'NOT_DUE'
               WHEN d.n > 0 THEN 'DUPLICATE_ID'
               ELSE 'OK'
           END AS code,
           :actor AS actor, :review_id AS review_id, :product_id AS product_id, p.product_name, p.owner_role,
           o.open_review_id, g.n AS item_count
    FROM p CROSS JOIN o CROSS JOIN l CROSS JOIN d CROSS JOIN g
            ) q;
            SELECT GET(:chk, 'CODE')::VARCHAR, GET(:chk, 'ITEM_COUNT')::NUMBER INTO :code, :item_count;
            IF (COALESCE(code, 'NOT_DUE') <> 'OK') THEN
                ROLLBACK;
                not_due := not_due + 1;
                CONTINUE;
            END IF;
            INSERT INTO main.access_review (review_id, product_id, status, opened_by, opened_at, item_count, completed_at)
    SELECT :review_id, :product_id, CASE WHEN :item_count = 0 THEN 'COMPLETE' ELSE 'OPEN' END, :actor, :now_ts,
           :item_count, CASE WHEN :item_count = 0 THEN :now_ts END
    WHERE NOT EXISTS (SELECT 1 FROM main.access_review WHERE product_id = :product_id AND status = 'OPEN');
            IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
                ROLLBACK;
                not_due := not_due + 1;
                CONTINUE;
            END IF;
            INSERT INTO main.review_item (review_id, request_id, requester)
    SELECT :review_id, request_id, requester
    FROM main.access_request WHERE product_id = :product_id AND status = 'GRANTED';
            IF (COALESCE(SQLROWCOUNT, -1) <> item_count) THEN
                ROLLBACK;
                not_due := not_due + 1;
                CONTINUE;
            END IF;
            COMMIT;
            done := done + 1;
            CONTINUE;
        END IF;
        BEGIN TRANSACTION;
        IF (kind IN ('REMIND_EXPIRY', 'REMIND_STEP')) THEN
            UPDATE main.audit_lock SET locked_at = :now_ts WHERE lock_id = 1;
            IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
                RAISE audit_lock_missing;
            END IF;
        END IF;
        SELECT OBJECT_CONSTRUCT(*) INTO :chk FROM (WITH r AS (
    SELECT (SELECT COUNT(*) FROM main.access_request WHERE request_id = :request_id) AS n,
           MAX(r.status) AS status, MAX(r.requester) AS requester, MAX(r.product_id) AS product_id,
           MAX(p.name) AS product_name, MAX(p.access_role) AS access_role, MAX(p.owner_role) AS owner_role,
           MAX(r.current_step) AS current_step, MAX(r.step_count) AS step_count,
           MAX(cur.step_label) AS step_label, MAX(cur.approver_role) AS step_role,
           COALESCE(MAX(cur.escalated_to), '') AS escalated_to, COALESCE(MAX(cur.approver_user), '') AS step_user, MAX(r.duration_days) AS duration_days,
           MAX(r.expires_at) AS expires_at, COALESCE(MAX(x.status), '') AS extends_status
    FROM main.access_request r
    LEFT JOIN main.data_product p ON p.product_id = r.product_id
    LEFT JOIN main.request_step cur ON cur.request_id = r.request_id AND cur.step_order = r.current_step
    LEFT JOIN main.access_request x ON x.request_id = r.extends_request_id
    WHERE r.request_id = :request_id),
         x AS (SELECT MAX(r2.created_at) AS created_at, MAX(r2.updated_at) AS updated_at,
                      MAX(p.pending_days) AS pending_days, MAX(s.deadline_hours) AS deadline_hours,
                      MAX(s.fallback_role) AS fallback_role, COUNT(s.escalated_to) AS escalated
               FROM main.access_request r2
               JOIN main.data_product p ON p.product_id = r2.product_id
               LEFT JOIN main.request_step s ON s.request_id = r2.request_id AND s.step_order = r2.current_step
               WHERE r2.request_id = :request_id),
         rem AS (SELECT COUNT(*) AS n FROM main.audit_log e, x
                 WHERE e.request_id = :request_id
                   AND (e.event_type = 'EXPIRY_REMINDED'
                        OR e.event_type = 'STEP_REMINDED' AND e.event_time >= x.updated_at))
    SELECT CASE
               WHEN r.n = 0 THEN 'NOT_FOUND'
               WHEN r.n > 1 THEN 'DUPLICATE_ID'
               WHEN :kind = 'REMIND_EXPIRY' AND r.status = 'GRANTED' AND r.expires_at > :now_ts
                    AND ADD_HOURS(r.expires_at, -72) <= :now_ts AND rem.n = 0 THEN 'OK'
               WHEN :kind = 'EXPIRE_REQUEST' AND r.status IN ('PENDING', 'CHANGES_REQUESTED') AND x.pending_days > 0
                    AND ADD_HOURS(x.created_at, 24 * x.pending_days) <= :now_ts THEN 'OK'
               WHEN :kind = 'REMIND_STEP' AND r.status = 'PENDING' AND x.deadline_hours > 0 AND x.escalated = 0
                    AND ADD_HOURS(x.updated_at, x.deadline_hours) <= :now_ts AND rem.n = 0 THEN 'OK'
               WHEN :kind = 'ESCALATE_STEP' AND r.status = 'PENDING' AND x.escalated = 0 AND x.fallback_role IS NOT NULL
                    AND (:why = 'blocked'
                         OR x.deadline_hours > 0 AND ADD_HOURS(x.updated_at, 2 * x.deadline_hours) <= :now_ts) THEN 'OK'
               ELSE 'NOT_DUE'
           END AS code,
           :actor AS actor, :request_id AS request_id, r.product_id, r.product_name, r.requester,
           r.access_role, r.owner_role, r.status, r.current_step, r.step_count, r.step_label, r.step_role,
           r.duration_days, r.step_user, x.fallback_role AS fallback_role
    FROM r CROSS JOIN x CROSS JOIN rem
        ) q;
        SELECT GET(:chk, 'CODE')::VARCHAR, GET(:chk, 'PRODUCT_ID')::VARCHAR, GET(:chk, 'CURRENT_STEP')::NUMBER
          INTO :code, :product_id, :cur_step;
        -- Work no longer due (someone acted first) is skipped, not answered.
        IF (COALESCE(code, 'NOT_DUE') <> 'OK') THEN
            ROLLBACK;
            not_due := not_due + 1;
            CONTINUE;
        END IF;
        IF (kind = 'EXPIRE_REQUEST') THEN
            UPDATE main.access_request SET status = 'EXPIRED', updated_at = :now_ts
    WHERE request_id = :request_id AND status IN ('PENDING', 'CHANGES_REQUESTED');
            IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
                ROLLBACK;
                not_due := not_due + 1;
                CONTINUE;
            END IF;
    -- Audit event REQUEST_EXPIRED, appended at the head of the ledger, under the
    -- audit lock (taken last, so that locks are always taken in one order).
    SELECT :event_id, 'REQUEST_EXPIRED', 0, '', '', ''
      INTO :event_id, :event_type, :ev_step, :ev_decision, :ev_comment, :ev_details;
    UPDATE main.audit_lock SET locked_at = :now_ts WHERE lock_id = 1;
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        RAISE audit_lock_missing;
    END IF;
    SELECT h.ev_seq + 1, h.ev_prev_hash INTO :ev_seq, :ev_prev_hash FROM (SELECT COALESCE((SELECT MAX(seq) FROM main.audit_log), 0) AS ev_seq,
           COALESCE((SELECT hash FROM main.audit_log ORDER BY seq DESC LIMIT 1), '') AS ev_prev_hash
    ) h;
    SELECT AUDIT_HASH(:ev_prev_hash, :event_id, :now_ts, :request_id, NULLIF(:product_id, ''), :actor,
                      NULLIF(:actor_role, ''), :event_type, NULLIF(:ev_step, 0), NULLIF(:ev_decision, ''),
                      NULLIF(:ev_comment, ''), NULLIF(:ev_details, ''), :ev_seq)
      INTO :ev_hash;
    INSERT INTO main.audit_log (event_id, event_time, request_id, product_id, actor, actor_role, event_type,
                                step_order, decision, comment, details, seq, prev_hash, hash)
    SELECT :event_id, :now_ts, NULLIF(:request_id, ''), NULLIF(:product_id, ''), :actor, NULLIF(:actor_role, ''), :event_type,
           NULLIF(:ev_step, 0), NULLIF(:ev_decision, ''), NULLIF(:ev_comment, ''), NULLIF(:ev_details, ''),
           :ev_seq, :ev_prev_hash, :ev_hash
    WHERE NOT EXISTS (SELECT 1 FROM main.audit_log WHERE seq >= :ev_seq)
      AND NOT EXISTS (SELECT 1 FROM main.audit_log WHERE event_id = :event_id);
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        ROLLBACK;
        SELECT ENVELOPE('CONFLICT', OBJECT_CONSTRUCT('request_id', :request_id)) INTO :result;
        RETURN result;
    END IF;
        ELSEIF (kind = 'ESCALATE_STEP') THEN
            UPDATE main.request_step SET escalated_to = fallback_role
    WHERE request_id = :request_id AND step_order = :cur_step AND decision IS NULL
      AND escalated_to IS NULL AND fallback_role IS NOT NULL
      AND EXISTS (SELECT 1 FROM main.access_request
                  WHERE request_id = :request_id AND status = 'PENDING' AND current_step = :cur_step);
            IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
                ROLLBACK;
                not_due := not_due + 1;
                CONTINUE;
            END IF;
    -- Audit event STEP_ESCALATED, appended at the head of the ledger, under the
    -- audit lock (taken last, so that locks are always taken in one order).
    SELECT :event_id, 'STEP_ESCALATED', :cur_step, '', IFF(:why = 'blocked', 'Nobody who may decide this step can: it went to the fallback role.', 'The step waited twice its deadline: it went to the fallback role.'), GET(:chk, 'FALLBACK_ROLE')::VARCHAR
      INTO :event_id, :event_type, :ev_step, :ev_decision, :ev_comment, :ev_details;
    UPDATE main.audit_lock SET locked_at = :now_ts WHERE lock_id = 1;
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        RAISE audit_lock_missing;
    END IF;
    SELECT h.ev_seq + 1, h.ev_prev_hash INTO :ev_seq, :ev_prev_hash FROM (SELECT COALESCE((SELECT MAX(seq) FROM main.audit_log), 0) AS ev_seq,
           COALESCE((SELECT hash FROM main.audit_log ORDER BY seq DESC LIMIT 1), '') AS ev_prev_hash
    ) h;
    SELECT AUDIT_HASH(:ev_prev_hash, :event_id, :now_ts, :request_id, NULLIF(:product_id, ''), :actor,
                      NULLIF(:actor_role, ''), :event_type, NULLIF(:ev_step, 0), NULLIF(:ev_decision, ''),
                      NULLIF(:ev_comment, ''), NULLIF(:ev_details, ''), :ev_seq)
      INTO :ev_hash;
    INSERT INTO main.audit_log (event_id, event_time, request_id, product_id, actor, actor_role, event_type,
                                step_order, decision, comment, details, seq, prev_hash, hash)
    SELECT :event_id, :now_ts, NULLIF(:request_id, ''), NULLIF(:product_id, ''), :actor, NULLIF(:actor_role, ''), :event_type,
           NULLIF(:ev_step, 0), NULLIF(:ev_decision, ''), NULLIF(:ev_comment, ''), NULLIF(:ev_details, ''),
           :ev_seq, :ev_prev_hash, :ev_hash
    WHERE NOT EXISTS (SELECT 1 FROM main.audit_log WHERE seq >= :ev_seq)
      AND NOT EXISTS (SELECT 1 FROM main.audit_log WHERE event_id = :event_id);
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        ROLLBACK;
        SELECT ENVELOPE('CONFLICT', OBJECT_CONSTRUCT('request_id', :request_id)) INTO :result;
        RETURN result;
    END IF;
        ELSEIF (kind = 'REMIND_STEP') THEN
    -- Audit event STEP_REMINDED, appended at the head of the ledger, under the
    -- audit lock (taken last, so that locks are always taken in one order).
    SELECT :event_id, 'STEP_REMINDED', :cur_step, '', '', ''
      INTO :event_id, :event_type, :ev_step, :ev_decision, :ev_comment, :ev_details;
    UPDATE main.audit_lock SET locked_at = :now_ts WHERE lock_id = 1;
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        RAISE audit_lock_missing;
    END IF;
    SELECT h.ev_seq + 1, h.ev_prev_hash INTO :ev_seq, :ev_prev_hash FROM (SELECT COALESCE((SELECT MAX(seq) FROM main.audit_log), 0) AS ev_seq,
           COALESCE((SELECT hash FROM main.audit_log ORDER BY seq DESC LIMIT 1), '') AS ev_prev_hash
    ) h;
    SELECT AUDIT_HASH(:ev_prev_hash, :event_id, :now_ts, :request_id, NULLIF(:product_id, ''), :actor,
                      NULLIF(:actor_role, ''), :event_type, NULLIF(:ev_step, 0), NULLIF(:ev_decision, ''),
                      NULLIF(:ev_comment, ''), NULLIF(:ev_details, ''), :ev_seq)
      INTO :ev_hash;
    INSERT INTO main.audit_log (event_id, event_time, request_id, product_id, actor, actor_role, event_type,
                                step_order, decision, comment, details, seq, prev_hash, hash)
    SELECT :event_id, :now_ts, NULLIF(:request_id, ''), NULLIF(:product_id, ''), :actor, NULLIF(:actor_role, ''), :event_type,
           NULLIF(:ev_step, 0), NULLIF(:ev_decision, ''), NULLIF(:ev_comment, ''), NULLIF(:ev_details, ''),
           :ev_seq, :ev_prev_hash, :ev_hash
    WHERE NOT EXISTS (SELECT 1 FROM main.audit_log WHERE seq >= :ev_seq)
      AND NOT EXISTS (SELECT 1 FROM main.audit_log WHERE event_id = :event_id);
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        ROLLBACK;
        SELECT ENVELOPE('CONFLICT', OBJECT_CONSTRUCT('request_id', :request_id)) INTO :result;
        RETURN result;
    END IF;
        ELSE
    -- Audit event EXPIRY_REMINDED, appended at the head of the ledger, under the
    -- audit lock (taken last, so that locks are always taken in one order).
    SELECT :event_id, 'EXPIRY_REMINDED', 0, '', '', ''
      INTO :event_id, :event_type, :ev_step, :ev_decision, :ev_comment, :ev_details;
    UPDATE main.audit_lock SET locked_at = :now_ts WHERE lock_id = 1;
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        RAISE audit_lock_missing;
    END IF;
    SELECT h.ev_seq + 1, h.ev_prev_hash INTO :ev_seq, :ev_prev_hash FROM (SELECT COALESCE((SELECT MAX(seq) FROM main.audit_log), 0) AS ev_seq,
           COALESCE((SELECT hash FROM main.audit_log ORDER BY seq DESC LIMIT 1), '') AS ev_prev_hash
    ) h;
    SELECT AUDIT_HASH(:ev_prev_hash, :event_id, :now_ts, :request_id, NULLIF(:product_id, ''), :actor,
                      NULLIF(:actor_role, ''), :event_type, NULLIF(:ev_step, 0), NULLIF(:ev_decision, ''),
                      NULLIF(:ev_comment, ''), NULLIF(:ev_details, ''), :ev_seq)
      INTO :ev_hash;
    INSERT INTO main.audit_log (event_id, event_time, request_id, product_id, actor, actor_role, event_type,
                                step_order, decision, comment, details, seq, prev_hash, hash)
    SELECT :event_id, :now_ts, NULLIF(:request_id, ''), NULLIF(:product_id, ''), :actor, NULLIF(:actor_role, ''), :event_type,
           NULLIF(:ev_step, 0), NULLIF(:ev_decision, ''), NULLIF(:ev_comment, ''), NULLIF(:ev_details, ''),
           :ev_seq, :ev_prev_hash, :ev_hash
    WHERE NOT EXISTS (SELECT 1 FROM main.audit_log WHERE seq >= :ev_seq)
      AND NOT EXISTS (SELECT 1 FROM main.audit_log WHERE event_id = :event_id);
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        ROLLBACK;
        SELECT ENVELOPE('CONFLICT', OBJECT_CONSTRUCT('request_id', :request_id)) INTO :result;
        RETURN result;
    END IF;
        END IF;
        COMMIT;
        done := done + 1;
    END FOR;
    SELECT ENVELOPE('OK', OBJECT_CONSTRUCT('done', :done, 'not_due', :not_due, 'failed', :failed)) INTO :result;
    RETURN result;
EXCEPTION
    WHEN OTHER THEN
        ROLLBACK;
        RAISE;
END;
$$;

-- SIGNOFF_SCHEDULE runs RUN_SCHEDULE every 5 MINUTES. It is not optional:
-- access granted for a time ends only when it runs. A task runs as its owner
-- role (DOCS/user-guide/tasks-intro), here SIGNOFF_OWNER, which owns the
-- procedure and needs beyond it only EXECUTE TASK on the account (granted in
-- 00_roles.sql) and USAGE on the task's warehouse, SIGNOFF_WH (a serverless
-- task would need EXECUTE MANAGED TASK instead of the warehouse,
-- DOCS/sql-reference/sql/create-task). It keeps running when nobody holds
-- SIGNOFF_OWNER (06_finish.sql): a task needs no user. A run that overlaps
-- the previous one is skipped (ALLOW_OVERLAPPING_EXECUTION); the work is
-- compare-and-set anyway. A new or replaced task is suspended until
-- resumed (DOCS/sql-reference/sql/create-task), so this script resumes it;
-- the preflight's "Schedule task" check says whether it is started.
CREATE OR REPLACE TASK SIGNOFF.API.SIGNOFF_SCHEDULE
    WAREHOUSE = SIGNOFF_WH
    SCHEDULE = '5 MINUTES'
    ALLOW_OVERLAPPING_EXECUTION = FALSE
    COMMENT = 'Signoff: reminders, escalations and the expiry of time-bound access (RUN_SCHEDULE)'
AS
    CALL SIGNOFF.API.RUN_SCHEDULE();
ALTER TASK SIGNOFF.API.SIGNOFF_SCHEDULE RESUME;

-- ============================================================================
-- Notifications (docs/design.md, "Notifications"; docs/snowflake.md, 8)
-- ============================================================================
-- SEND_NOTIFICATIONS is what the task deploy/40_notifications.sql creates
-- runs: in one transaction under NOTIFY_STATE's lock it writes the notices
-- of the audit events past the cursor (one per event and recipient), moves
-- the cursor and makes the digests due, the statements the embedded engine
-- runs (internal/sqlstore/notify.go); then it sends each message due with
-- SYSTEM$SEND_EMAIL through INTEGRATION_NAME and marks it sent, or counts
-- the attempt and keeps the error. A message is marked sent after it was
-- sent, so a run that fails in between sends it again: at least once. Up to
-- 100 messages a run, each tried at most 5 times. E-mail goes to the
-- address ACCOUNT_USAGE.USERS holds for the recipient (up to two hours
-- behind), which must be verified; a recipient without one is an attempt
-- with its error (DOCS/sql-reference/stored-procedures/system_send_email,
-- DOCS/user-guide/notifications/email-notifications).
CREATE OR REPLACE PROCEDURE SIGNOFF.API.SEND_NOTIFICATIONS(INTEGRATION_NAME VARCHAR)
RETURNS VARIANT
LANGUAGE SQL
COMMENT = 'Signoff: write the outbox from the audit log and send what is due (the notifications task)'
EXECUTE AS OWNER
AS
$$
DECLARE
    notify_state_missing EXCEPTION (-20003, 'the SIGNOFF.MAIN.NOTIFY_STATE row is missing; run 01_data_model.sql');
    now_ts       TIMESTAMP_NTZ;
    digest_since TIMESTAMP_NTZ;
    run_id       VARCHAR;
    from_seq     NUMBER;
    upto_seq     NUMBER;
    queued       NUMBER DEFAULT 0;
    digests      NUMBER DEFAULT 0;
    sent         NUMBER DEFAULT 0;
    failed       NUMBER DEFAULT 0;
    m_id         VARCHAR;
    m_email      VARCHAR;
    m_subject    VARCHAR;
    m_body       VARCHAR;
    m_error      VARCHAR;
    due CURSOR FOR
        SELECT n.notice_id, u.email, n.subject, n.body
        FROM main.notification n
        LEFT JOIN SNOWFLAKE.ACCOUNT_USAGE.USERS u ON u.name = n.recipient AND u.deleted_on IS NULL
        WHERE n.delivery = 'NOW' AND n.sent_at IS NULL AND n.attempts < 5
        ORDER BY n.created_at, n.notice_id
        LIMIT 100;
    result       VARIANT;
BEGIN
    SELECT DATE_TRUNC('MICROSECOND', SYSDATE()), UUID_STRING() INTO :now_ts, :run_id;
    digest_since := DATEADD(HOUR, -24, now_ts);
    BEGIN TRANSACTION;
    UPDATE main.notify_state SET locked_at = :now_ts WHERE state_id = 1;
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        RAISE notify_state_missing;
    END IF;
    SELECT w.from_seq, w.upto_seq INTO :from_seq, :upto_seq FROM (SELECT s.last_seq AS from_seq,
           CASE WHEN h.head_seq > s.last_seq + 1000 THEN s.last_seq + 1000
                ELSE h.head_seq END AS upto_seq
    FROM main.notify_state s CROSS JOIN (SELECT COALESCE(MAX(seq), 0) AS head_seq FROM main.audit_log) h
    WHERE s.state_id = 1
    ) w;
    IF (upto_seq > from_seq) THEN
        INSERT INTO main.notification (notice_id, event_id, seq, request_id, recipient, kind, subject, body, delivery,
                                   created_at, attempts)
    SELECT x.event_id || ':' || x.recipient, x.event_id, x.seq, x.request_id, x.recipient, x.event_type,
           CASE WHEN x.event_type = 'REQUEST_SUBMITTED' AND x.audience = 'APPROVERS' THEN 'Signoff: ' || COALESCE(r.requester, '') || ' asks for access to ' || COALESCE(COALESCE(p.name, r.product_id), '')
                WHEN x.event_type = 'STEP_APPROVED' AND x.audience = 'REQUESTER' THEN 'Signoff: step ' || COALESCE(CAST(x.step_no AS VARCHAR), '') || ' of your request for ' || COALESCE(COALESCE(p.name, r.product_id), '') || ' was approved'
                WHEN x.event_type = 'STEP_APPROVED' AND x.audience = 'APPROVERS' THEN 'Signoff: ' || COALESCE(r.requester, '') || ' asks for access to ' || COALESCE(COALESCE(p.name, r.product_id), '')
                WHEN x.event_type = 'STEP_REJECTED' AND x.audience = 'REQUESTER' THEN 'Signoff: your request for ' || COALESCE(COALESCE(p.name, r.product_id), '') || ' was rejected'
                WHEN x.event_type = 'CHANGES_REQUESTED' AND x.audience = 'REQUESTER' THEN 'Signoff: changes asked for on your request for ' || COALESCE(COALESCE(p.name, r.product_id), '')
                WHEN x.event_type = 'REQUEST_RESUBMITTED' AND x.audience = 'APPROVERS' THEN 'Signoff: ' || COALESCE(r.requester, '') || ' answered on their request for ' || COALESCE(COALESCE(p.name, r.product_id), '')
                WHEN x.event_type = 'ACCESS_GRANTED' AND x.audience = 'REQUESTER' THEN 'Signoff: you now have access to ' || COALESCE(COALESCE(p.name, r.product_id), '')
                WHEN x.event_type = 'GRANT_FAILED' AND x.audience = 'REQUESTER' THEN 'Signoff: your access to ' || COALESCE(COALESCE(p.name, r.product_id), '') || ' is not granted yet'
                WHEN x.event_type = 'ACCESS_REVOKED' AND x.audience = 'REQUESTER' THEN 'Signoff: your access to ' || COALESCE(COALESCE(p.name, r.product_id), '') || ' was revoked'
                WHEN x.event_type = 'STEP_REMINDED' AND x.audience = 'APPROVERS' THEN 'Signoff: reminder, ' || COALESCE(r.requester, '') || '''s request for ' || COALESCE(COALESCE(p.name, r.product_id), '') || ' waits for a decision'
                WHEN x.event_type = 'STEP_ESCALATED' AND x.audience = 'APPROVERS' THEN 'Signoff: ' || COALESCE(r.requester, '') || '''s request for ' || COALESCE(COALESCE(p.name, r.product_id), '') || ' needs a decision'
                WHEN x.event_type = 'REQUEST_EXPIRED' AND x.audience = 'REQUESTER' THEN 'Signoff: your request for ' || COALESCE(COALESCE(p.name, r.product_id), '') || ' expired'
                WHEN x.event_type = 'EXPIRY_REMINDED' AND x.audience = 'REQUESTER' THEN 'Signoff: your access to ' || COALESCE(COALESCE(p.name, r.product_id), '') || ' ends soon'
                WHEN x.event_type = 'ACCESS_EXPIRED' AND x.audience = 'REQUESTER' THEN 'Signoff: your access to ' || COALESCE(COALESCE(p.name, r.product_id), '') || ' has ended' END,
           CASE WHEN x.event_type = 'REQUEST_SUBMITTED' AND x.audience = 'APPROVERS' THEN COALESCE(r.requester, '') || ' asks for access to ' || COALESCE(COALESCE(p.name, r.product_id), '') || ' (request ' || COALESCE(x.request_id, '') || '). Step ' || COALESCE(CAST(x.step_no AS VARCHAR), '') || ' (' || COALESCE(s.step_label, '') || ') waits for a decision, which you may make.' || CHAR(10) || CHAR(10) || 'Decide it in Signoff: /requests/' || COALESCE(x.request_id, '')
                WHEN x.event_type = 'STEP_APPROVED' AND x.audience = 'REQUESTER' THEN COALESCE(x.actor, '') || ' approved step ' || COALESCE(CAST(x.step_no AS VARCHAR), '') || ' (' || COALESCE(s.step_label, '') || ') of your request ' || COALESCE(x.request_id, '') || ' for ' || COALESCE(COALESCE(p.name, r.product_id), '') || '. It now waits for the next step.' || CHAR(10) || CHAR(10) || 'Open it in Signoff: /requests/' || COALESCE(x.request_id, '')
                WHEN x.event_type = 'STEP_APPROVED' AND x.audience = 'APPROVERS' THEN COALESCE(r.requester, '') || ' asks for access to ' || COALESCE(COALESCE(p.name, r.product_id), '') || ' (request ' || COALESCE(x.request_id, '') || '). Step ' || COALESCE(CAST(x.step_no AS VARCHAR), '') || ' (' || COALESCE(s.step_label, '') || ') waits for a decision, which you may make.' || CHAR(10) || CHAR(10) || 'Decide it in Signoff: /requests/' || COALESCE(x.request_id, '')
                WHEN x.event_type = 'STEP_REJECTED' AND x.audience = 'REQUESTER' THEN COALESCE(x.actor, '') || ' rejected your request ' || COALESCE(x.request_id, '') || ' for ' || COALESCE(COALESCE(p.name, r.product_id), '') || ' at step ' || COALESCE(CAST(x.step_no AS VARCHAR), '') || ' (' || COALESCE(s.step_label, '') || '). Their reason: ' || COALESCE(x.comment_text, '') || CHAR(10) || CHAR(10) || 'Open it in Signoff: /requests/' || COALESCE(x.request_id, '')
                WHEN x.event_type = 'CHANGES_REQUESTED' AND x.audience = 'REQUESTER' THEN COALESCE(x.actor, '') || ' asks for changes to your request ' || COALESCE(x.request_id, '') || ' for ' || COALESCE(COALESCE(p.name, r.product_id), '') || ' at step ' || COALESCE(CAST(x.step_no AS VARCHAR), '') || ' (' || COALESCE(s.step_label, '') || '): ' || COALESCE(x.comment_text, '') || CHAR(10) || CHAR(10) || 'Open it in Signoff: /requests/' || COALESCE(x.request_id, '')
                WHEN x.event_type = 'REQUEST_RESUBMITTED' AND x.audience = 'APPROVERS' THEN COALESCE(r.requester, '') || ' answered the question on their request ' || COALESCE(x.request_id, '') || ' for ' || COALESCE(COALESCE(p.name, r.product_id), '') || '. Step ' || COALESCE(CAST(x.step_no AS VARCHAR), '') || ' (' || COALESCE(s.step_label, '') || ') waits for a decision again, which you may make.' || CHAR(10) || CHAR(10) || 'Decide it in Signoff: /requests/' || COALESCE(x.request_id, '')
                WHEN x.event_type = 'ACCESS_GRANTED' AND x.audience = 'REQUESTER' THEN 'Your request ' || COALESCE(x.request_id, '') || ' for ' || COALESCE(COALESCE(p.name, r.product_id), '') || ' was approved at every step, and its access role was granted to you.' || CHAR(10) || CHAR(10) || 'Open it in Signoff: /requests/' || COALESCE(x.request_id, '')
                WHEN x.event_type = 'GRANT_FAILED' AND x.audience = 'REQUESTER' THEN 'Your request ' || COALESCE(x.request_id, '') || ' for ' || COALESCE(COALESCE(p.name, r.product_id), '') || ' was approved at every step, but granting the access failed. Signoff''s admins see the failure and can retry the grant; you need not ask again.' || CHAR(10) || CHAR(10) || 'Open it in Signoff: /requests/' || COALESCE(x.request_id, '')
                WHEN x.event_type = 'ACCESS_REVOKED' AND x.audience = 'REQUESTER' THEN COALESCE(x.actor, '') || ' revoked the access your request ' || COALESCE(x.request_id, '') || ' gave you to ' || COALESCE(COALESCE(p.name, r.product_id), '') || '.' || CHAR(10) || CHAR(10) || 'Open it in Signoff: /requests/' || COALESCE(x.request_id, '')
                WHEN x.event_type = 'STEP_REMINDED' AND x.audience = 'APPROVERS' THEN COALESCE(r.requester, '') || '''s request ' || COALESCE(x.request_id, '') || ' for ' || COALESCE(COALESCE(p.name, r.product_id), '') || ' has waited past its deadline at step ' || COALESCE(CAST(x.step_no AS VARCHAR), '') || ' (' || COALESCE(s.step_label, '') || '), which you may decide.' || CHAR(10) || CHAR(10) || 'Decide it in Signoff: /requests/' || COALESCE(x.request_id, '')
                WHEN x.event_type = 'STEP_ESCALATED' AND x.audience = 'APPROVERS' THEN COALESCE(r.requester, '') || '''s request ' || COALESCE(x.request_id, '') || ' for ' || COALESCE(COALESCE(p.name, r.product_id), '') || ' was escalated at step ' || COALESCE(CAST(x.step_no AS VARCHAR), '') || ' (' || COALESCE(s.step_label, '') || '): you may now decide it.' || CHAR(10) || CHAR(10) || 'Decide it in Signoff: /requests/' || COALESCE(x.request_id, '')
                WHEN x.event_type = 'REQUEST_EXPIRED' AND x.audience = 'REQUESTER' THEN 'Your request ' || COALESCE(x.request_id, '') || ' for ' || COALESCE(COALESCE(p.name, r.product_id), '') || ' waited longer for decisions than the product allows, and expired. You may ask again.' || CHAR(10) || CHAR(10) || 'Open it in Signoff: /requests/' || COALESCE(x.request_id, '')
                WHEN x.event_type = 'EXPIRY_REMINDED' AND x.audience = 'REQUESTER' THEN 'The time-bound access your request ' || COALESCE(x.request_id, '') || ' gave you to ' || COALESCE(COALESCE(p.name, r.product_id), '') || ' ends soon. Ask again in Signoff if you still need it.' || CHAR(10) || CHAR(10) || 'Open it in Signoff: /requests/' || COALESCE(x.request_id, '')
                WHEN x.event_type = 'ACCESS_EXPIRED' AND x.audience = 'REQUESTER' THEN 'The time-bound access your request ' || COALESCE(x.request_id, '') || ' gave you to ' || COALESCE(COALESCE(p.name, r.product_id), '') || ' has ended, and its access role was taken back.' || CHAR(10) || CHAR(10) || 'Open it in Signoff: /requests/' || COALESCE(x.request_id, '') END,
           CASE WHEN x.audience = 'APPROVERS' AND EXISTS (SELECT 1 FROM main.notify_preference np
                                                           WHERE np.user_name = x.recipient AND np.daily_digest = 1)
                THEN 'DIGEST' ELSE 'NOW' END,
           :now_ts, 0
    FROM (
        SELECT e.event_id, e.seq, e.request_id, e.event_type, e.actor, e.comment AS comment_text,
               'REQUESTER' AS audience, q.requester AS recipient, COALESCE(e.step_order, 0) AS step_no
        FROM main.audit_log e JOIN main.access_request q ON q.request_id = e.request_id
        WHERE e.seq > :from_seq AND e.seq <= :upto_seq
          AND (e.event_type IN ('STEP_REJECTED', 'CHANGES_REQUESTED', 'ACCESS_GRANTED', 'GRANT_FAILED', 'ACCESS_REVOKED', 'REQUEST_EXPIRED', 'EXPIRY_REMINDED', 'ACCESS_EXPIRED')
               OR (e.event_type = 'STEP_APPROVED' AND e.step_order < q.step_count))
        UNION
        SELECT o.event_id, o.seq, o.request_id, o.event_type, o.actor, o.comment_text,
               'APPROVERS', h.user_name, o.step_no
        FROM (SELECT e.event_id, e.seq, e.request_id, e.event_type, e.actor, e.comment AS comment_text,
                     CASE WHEN e.event_type = 'REQUEST_SUBMITTED' THEN 1
                          WHEN e.event_type = 'STEP_APPROVED' THEN
                              CASE WHEN e.step_order < q.step_count THEN e.step_order + 1 ELSE 0 END
                          ELSE COALESCE(NULLIF(e.step_order, 0), q.current_step) END AS step_no
              FROM main.audit_log e JOIN main.access_request q ON q.request_id = e.request_id
              WHERE e.seq > :from_seq AND e.seq <= :upto_seq
                AND e.event_type IN ('REQUEST_SUBMITTED', 'STEP_APPROVED', 'REQUEST_RESUBMITTED', 'STEP_REMINDED', 'STEP_ESCALATED')) o
        JOIN main.access_request q ON q.request_id = o.request_id
        JOIN (SELECT st.request_id, st.step_order, st.approver_role AS role_name, 0 AS since_seq,
                     st.approver_user AS only_user
              FROM main.request_step st
              UNION ALL
              SELECT esc.request_id, esc.step_order, esc.details, esc.seq, NULL
              FROM main.audit_log esc WHERE esc.event_type = 'STEP_ESCALATED') k
          ON k.request_id = o.request_id AND k.step_order = o.step_no AND k.since_seq <= o.seq
        JOIN main.role_holder h ON h.role_name = k.role_name AND COALESCE(k.only_user, h.user_name) = h.user_name
        WHERE q.status = 'PENDING' AND q.current_step = o.step_no AND h.user_name <> q.requester
          AND NOT EXISTS (SELECT 1 FROM main.request_step d WHERE d.request_id = o.request_id AND d.decided_by = h.user_name)
    ) x
    JOIN main.access_request r ON r.request_id = x.request_id
    LEFT JOIN main.data_product p ON p.product_id = r.product_id
    LEFT JOIN main.request_step s ON s.request_id = x.request_id AND s.step_order = x.step_no
    WHERE NOT EXISTS (SELECT 1 FROM main.notification n WHERE n.event_id = x.event_id AND n.recipient = x.recipient);
        queued := SQLROWCOUNT;
        UPDATE main.notify_state SET last_seq = :upto_seq WHERE state_id = 1 AND last_seq = :from_seq;
    END IF;
    INSERT INTO main.notification (notice_id, event_id, seq, request_id, recipient, kind, subject, body, delivery,
                                   created_at, attempts)
    SELECT 'digest:' || :run_id || ':' || w.recipient, NULL, NULL, NULL, w.recipient, 'DIGEST',
           'Signoff: requests wait for your decision',
           'Since your last digest, ' || COALESCE(CAST(w.n AS VARCHAR), '') || ' request steps that you may decide were opened. Some may have been decided since.' || CHAR(10) || CHAR(10) || 'Open your approvals in Signoff: /queue',
           'NOW', :now_ts, 0
    FROM (SELECT recipient, COUNT(*) AS n FROM main.notification
          WHERE delivery = 'DIGEST' AND digest_id IS NULL GROUP BY recipient) w
    WHERE NOT EXISTS (SELECT 1 FROM main.notification d
                      WHERE d.recipient = w.recipient AND d.kind = 'DIGEST' AND d.created_at > :digest_since);
    digests := SQLROWCOUNT;
    UPDATE main.notification SET digest_id = 'digest:' || :run_id || ':' || recipient, sent_at = :now_ts
    WHERE delivery = 'DIGEST' AND digest_id IS NULL
      AND recipient IN (SELECT d.recipient FROM main.notification d
                        WHERE d.kind = 'DIGEST' AND d.notice_id = 'digest:' || :run_id || ':' || d.recipient);
    COMMIT;
    FOR m IN due DO
        m_id := m.notice_id;
        m_email := m.email;
        m_subject := m.subject;
        m_body := m.body;
        BEGIN
            IF (COALESCE(m_email, '') = '') THEN
                UPDATE main.notification SET attempts = attempts + 1,
                       last_error = 'the recipient has no e-mail address in ACCOUNT_USAGE.USERS'
                 WHERE notice_id = :m_id;
                failed := failed + 1;
            ELSE
                CALL SYSTEM$SEND_EMAIL(:integration_name, :m_email, :m_subject, :m_body);
                UPDATE main.notification SET sent_at = :now_ts, attempts = attempts + 1, last_error = NULL
                 WHERE notice_id = :m_id;
                sent := sent + 1;
            END IF;
        EXCEPTION
            WHEN OTHER THEN
                m_error := LEFT(SQLERRM, 1000);
                UPDATE main.notification SET attempts = attempts + 1, last_error = :m_error
                 WHERE notice_id = :m_id;
                failed := failed + 1;
        END;
    END FOR;
    SELECT ENVELOPE('OK', OBJECT_CONSTRUCT('events', :upto_seq - :from_seq, 'queued', :queued, 'digests', :digests,
                                           'sent', :sent, 'failed', :failed, 'upto', :upto_seq))
      INTO :result;
    RETURN result;
EXCEPTION
    WHEN OTHER THEN
        ROLLBACK;
        RAISE;
END;
$$;

-- SET_NOTIFY_DIGEST: the calling user chooses a daily digest (TRUE) of the
-- steps they may decide, or a message for each (FALSE). Only for
-- themselves: the user is the calling session's.
CREATE OR REPLACE PROCEDURE SIGNOFF.API.SET_NOTIFY_DIGEST(DAILY BOOLEAN)
RETURNS VARIANT
LANGUAGE SQL
COMMENT = 'Signoff: the calling user chooses a daily digest of approvals'
EXECUTE AS OWNER
AS
$$
DECLARE
    actor        VARCHAR;
    now_ts       TIMESTAMP_NTZ;
    daily_digest NUMBER;
    result       VARIANT;
BEGIN
    -- Who is calling: the calling session's user, from Snowflake.
    SELECT IFF(SYS_CONTEXT('SNOWFLAKE$SESSION', 'PRINCIPAL_TYPE') LIKE 'USER%',
               SYS_CONTEXT('SNOWFLAKE$SESSION', 'PRINCIPAL_NAME'), NULL),
           DATE_TRUNC('MICROSECOND', SYSDATE())
      INTO :actor, :now_ts;
    IF (COALESCE(actor, '') = '') THEN
        SELECT ENVELOPE('IDENTITY_UNAVAILABLE', NULL) INTO :result;
        RETURN result;
    END IF;
    daily_digest := IFF(COALESCE(daily, FALSE), 1, 0);
    BEGIN TRANSACTION;
    DELETE FROM main.notify_preference WHERE user_name = :actor;
    INSERT INTO main.notify_preference (user_name, daily_digest, updated_at) VALUES (:actor, :daily_digest, :now_ts);
    COMMIT;
    SELECT ENVELOPE('OK', OBJECT_CONSTRUCT('daily', :daily_digest = 1)) INTO :result;
    RETURN result;
EXCEPTION
    WHEN OTHER THEN
        ROLLBACK;
        RAISE;
END;
$$;

GRANT USAGE ON PROCEDURE SIGNOFF.API.SET_NOTIFY_DIGEST(BOOLEAN) TO ROLE PUBLIC;

-- ============================================================================
-- SET_MANAGERS, SET_MANAGER: an admin maintains the directory of managers
-- ============================================================================
-- For MANAGER chain steps (docs/design.md, "Manager steps"): each user's
-- manager, whom a submission makes the one decider of the request's
-- manager step. Only SIGNOFF_ADMIN may call them (granted below, and
-- checked in the caller's session: sqlstore.CheckSetManager). ENTRIES is an
-- array of objects {"user": ..., "manager": ...}, applied in order in one
-- transaction, all or none; an empty or missing manager removes the user's.
-- A CALL's argument may be a subquery
-- (DOCS/sql-reference/sql/call), so an HR table loads in one statement:
--     CALL SIGNOFF.API.SET_MANAGERS((SELECT ARRAY_AGG(OBJECT_CONSTRUCT(
--         'user', login_name, 'manager', manager_login)) FROM hr.employees));
-- FLATTEN lists the entries with their INDEX (DOCS/sql-reference/functions/flatten).
-- Each entry that changes the directory replaces the user's row and
-- appends a DIRECTORY_CHANGED event (no request; the user in its comment,
-- the new manager in its details) with an ID made here, as RUN_SCHEDULE's.
-- Answers OK (data: changed, how many entries changed anything), INVALID
-- (data.field; data.line, the entry), IDENTITY_UNAVAILABLE, NOT_ADMIN,
-- SELF_MANAGER or MANAGER_CYCLE (data.line).


CREATE OR REPLACE PROCEDURE SIGNOFF.API.SET_MANAGERS(ENTRIES ARRAY)
RETURNS VARIANT
LANGUAGE SQL
COMMENT = 'Signoff: an admin sets or removes users'' managers (the directory)'
EXECUTE AS OWNER
AS
$$
DECLARE
    actor        VARCHAR;
    now_ts       TIMESTAMP_NTZ;
    is_admin     BOOLEAN DEFAULT FALSE;
    is_array_ok  BOOLEAN DEFAULT FALSE;
    chk          VARIANT;
    code         VARCHAR;
    result       VARIANT;
    request_id   VARCHAR DEFAULT NULL;
    product_id   VARCHAR DEFAULT '';
    actor_role   VARCHAR DEFAULT 'SIGNOFF_ADMIN';
    line_no      NUMBER DEFAULT 0;
    user_name    VARCHAR;
    manager_name VARCHAR;
    changed      NUMBER DEFAULT 0;
    want_rows    NUMBER DEFAULT 1;
    entry_rows   RESULTSET;
    audit_lock_missing EXCEPTION (-20002, 'the SIGNOFF.MAIN.AUDIT_LOCK row is missing; run 01_data_model.sql');
    event_id     VARCHAR;
    event_type   VARCHAR;
    ev_step      NUMBER;
    ev_decision  VARCHAR;
    ev_comment   VARCHAR;
    ev_details   VARCHAR;
    ev_seq       NUMBER;
    ev_prev_hash VARCHAR;
    ev_hash      VARCHAR;
BEGIN
    -- Who is calling: the calling session's user, from Snowflake.
    SELECT IFF(SYS_CONTEXT('SNOWFLAKE$SESSION', 'PRINCIPAL_TYPE') LIKE 'USER%',
               SYS_CONTEXT('SNOWFLAKE$SESSION', 'PRINCIPAL_NAME'), NULL),
           DATE_TRUNC('MICROSECOND', SYSDATE())
      INTO :actor, :now_ts;
    SELECT COALESCE(SYS_CONTEXT('SNOWFLAKE$SESSION', 'IS_ROLE_ACTIVATED', 'SIGNOFF_ADMIN') = 'TRUE', FALSE),
           COALESCE(ARRAY_SIZE(:entries) BETWEEN 1 AND 10000, FALSE)
      INTO :is_admin, :is_array_ok;
    IF (NOT is_array_ok) THEN
        SELECT ENVELOPE('INVALID', OBJECT_CONSTRUCT('field', 'entries')) INTO :result;
        RETURN result;
    END IF;
    entry_rows := (SELECT f.index + 1 AS line_no, f.value:"user"::VARCHAR AS user_name,
                          COALESCE(f.value:"manager"::VARCHAR, '') AS manager_name
                   FROM TABLE(FLATTEN(INPUT => :entries)) f ORDER BY f.index);
    LET entry_cursor CURSOR FOR entry_rows;
    BEGIN TRANSACTION;
    FOR e IN entry_cursor DO
        line_no := e.line_no;
        user_name := e.user_name;
        manager_name := e.manager_name;
        SELECT OBJECT_CONSTRUCT(*) INTO :chk FROM (WITH cur AS (SELECT COUNT(*) AS n, MAX(manager_name) AS manager_name
                 FROM main.user_manager WHERE user_name = :user_name),
         back AS (SELECT COUNT(*) AS n FROM main.user_manager
                  WHERE user_name = :manager_name AND manager_name = :user_name),
         v AS (SELECT CASE WHEN COALESCE(:user_name, '') = '' OR LENGTH(:user_name) > 255
                                OR :user_name <> TRIM(:user_name, ' ' || CHAR(9) || CHAR(10) || CHAR(11) || CHAR(12) || CHAR(13)) THEN 'user_name'
                           WHEN :manager_name IS NULL OR LENGTH(:manager_name) > 255
                                OR :manager_name <> TRIM(:manager_name, ' ' || CHAR(9) || CHAR(10) || CHAR(11) || CHAR(12) || CHAR(13)) THEN 'manager_name'
                           ELSE '' END AS field)
    SELECT CASE
               WHEN COALESCE(:actor, '') = '' THEN 'IDENTITY_UNAVAILABLE'
               WHEN NOT :is_admin THEN 'NOT_ADMIN'
               WHEN v.field <> '' THEN 'INVALID'
               WHEN :manager_name = :user_name THEN 'SELF_MANAGER'
               WHEN :manager_name <> '' AND back.n > 0 THEN 'MANAGER_CYCLE'
               ELSE 'OK'
           END AS code,
           NULLIF(v.field, '') AS field, :actor AS actor, :user_name AS user_name, :manager_name AS manager_name,
           :line_no AS line,
           CASE WHEN cur.n = 1 AND cur.manager_name = :manager_name OR cur.n = 0 AND :manager_name = '' THEN 0
                ELSE 1 END AS changed
    FROM cur CROSS JOIN back CROSS JOIN v
        ) q;
        SELECT GET(:chk, 'CODE')::VARCHAR INTO :code;
        IF (COALESCE(code, '') <> 'OK') THEN
            ROLLBACK;
            SELECT ENVELOPE(:code, OBJECT_DELETE(:chk, 'REQUESTER', 'ACCESS_ROLE')) INTO :result;
            RETURN result;
        END IF;
        IF (GET(:chk, 'CHANGED')::NUMBER = 1) THEN
            want_rows := IFF(manager_name = '', 0, 1);
            DELETE FROM main.user_manager WHERE user_name = :user_name;
            INSERT INTO main.user_manager (user_name, manager_name, updated_at, updated_by)
    SELECT :user_name, :manager_name, :now_ts, :actor WHERE :manager_name <> '';
            IF (COALESCE(SQLROWCOUNT, -1) <> want_rows) THEN
                ROLLBACK;
                SELECT ENVELOPE('CONFLICT', OBJECT_CONSTRUCT('line', :line_no)) INTO :result;
                RETURN result;
            END IF;
            SELECT SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 9)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 8)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 7)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 6)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 5)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 4)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 3)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 2)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 1)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 0)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
              INTO :event_id;
    -- Audit event DIRECTORY_CHANGED, appended at the head of the ledger, under the
    -- audit lock (taken last, so that locks are always taken in one order).
    SELECT :event_id, 'DIRECTORY_CHANGED', 0, '', :user_name, :manager_name
      INTO :event_id, :event_type, :ev_step, :ev_decision, :ev_comment, :ev_details;
    UPDATE main.audit_lock SET locked_at = :now_ts WHERE lock_id = 1;
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        RAISE audit_lock_missing;
    END IF;
    SELECT h.ev_seq + 1, h.ev_prev_hash INTO :ev_seq, :ev_prev_hash FROM (SELECT COALESCE((SELECT MAX(seq) FROM main.audit_log), 0) AS ev_seq,
           COALESCE((SELECT hash FROM main.audit_log ORDER BY seq DESC LIMIT 1), '') AS ev_prev_hash
    ) h;
    SELECT AUDIT_HASH(:ev_prev_hash, :event_id, :now_ts, :request_id, NULLIF(:product_id, ''), :actor,
                      NULLIF(:actor_role, ''), :event_type, NULLIF(:ev_step, 0), NULLIF(:ev_decision, ''),
                      NULLIF(:ev_comment, ''), NULLIF(:ev_details, ''), :ev_seq)
      INTO :ev_hash;
    INSERT INTO main.audit_log (event_id, event_time, request_id, product_id, actor, actor_role, event_type,
                                step_order, decision, comment, details, seq, prev_hash, hash)
    SELECT :event_id, :now_ts, NULLIF(:request_id, ''), NULLIF(:product_id, ''), :actor, NULLIF(:actor_role, ''), :event_type,
           NULLIF(:ev_step, 0), NULLIF(:ev_decision, ''), NULLIF(:ev_comment, ''), NULLIF(:ev_details, ''),
           :ev_seq, :ev_prev_hash, :ev_hash
    WHERE NOT EXISTS (SELECT 1 FROM main.audit_log WHERE seq >= :ev_seq)
      AND NOT EXISTS (SELECT 1 FROM main.audit_log WHERE event_id = :event_id);
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        ROLLBACK;
        SELECT ENVELOPE('CONFLICT', OBJECT_CONSTRUCT('request_id', :request_id)) INTO :result;
        RETURN result;
    END IF;
            changed := changed + 1;
        END IF;
    END FOR;
    COMMIT;
    SELECT ENVELOPE('OK', OBJECT_CONSTRUCT('changed', :changed, 'actor', :actor)) INTO :result;
    RETURN result;
EXCEPTION
    WHEN OTHER THEN
        ROLLBACK;
        RAISE;
END;
$$;

GRANT USAGE ON PROCEDURE SIGNOFF.API.SET_MANAGERS(ARRAY) TO ROLE SIGNOFF_ADMIN;

-- SET_MANAGER is SET_MANAGERS for one user: MANAGER_NAME '' or NULL
-- removes the user's manager.
CREATE OR REPLACE PROCEDURE SIGNOFF.API.SET_MANAGER(USER_NAME_ARG VARCHAR, MANAGER_NAME_ARG VARCHAR)
RETURNS VARIANT
LANGUAGE SQL
COMMENT = 'Signoff: an admin sets or removes one user''s manager (the directory)'
EXECUTE AS OWNER
AS
$$
DECLARE
    entries      ARRAY;
    actor        VARCHAR;
    now_ts       TIMESTAMP_NTZ;
    is_admin     BOOLEAN DEFAULT FALSE;
    is_array_ok  BOOLEAN DEFAULT FALSE;
    chk          VARIANT;
    code         VARCHAR;
    result       VARIANT;
    request_id   VARCHAR DEFAULT NULL;
    product_id   VARCHAR DEFAULT '';
    actor_role   VARCHAR DEFAULT 'SIGNOFF_ADMIN';
    line_no      NUMBER DEFAULT 0;
    user_name    VARCHAR;
    manager_name VARCHAR;
    changed      NUMBER DEFAULT 0;
    want_rows    NUMBER DEFAULT 1;
    entry_rows   RESULTSET;
    audit_lock_missing EXCEPTION (-20002, 'the SIGNOFF.MAIN.AUDIT_LOCK row is missing; run 01_data_model.sql');
    event_id     VARCHAR;
    event_type   VARCHAR;
    ev_step      NUMBER;
    ev_decision  VARCHAR;
    ev_comment   VARCHAR;
    ev_details   VARCHAR;
    ev_seq       NUMBER;
    ev_prev_hash VARCHAR;
    ev_hash      VARCHAR;
BEGIN
    -- Who is calling: the calling session's user, from Snowflake.
    SELECT IFF(SYS_CONTEXT('SNOWFLAKE$SESSION', 'PRINCIPAL_TYPE') LIKE 'USER%',
               SYS_CONTEXT('SNOWFLAKE$SESSION', 'PRINCIPAL_NAME'), NULL),
           DATE_TRUNC('MICROSECOND', SYSDATE())
      INTO :actor, :now_ts;
    SELECT COALESCE(SYS_CONTEXT('SNOWFLAKE$SESSION', 'IS_ROLE_ACTIVATED', 'SIGNOFF_ADMIN') = 'TRUE', FALSE), TRUE,
           ARRAY_CONSTRUCT(OBJECT_CONSTRUCT_KEEP_NULL('user', :user_name_arg, 'manager', COALESCE(:manager_name_arg, '')))
      INTO :is_admin, :is_array_ok, :entries;
    IF (NOT is_array_ok) THEN
        SELECT ENVELOPE('INVALID', OBJECT_CONSTRUCT('field', 'entries')) INTO :result;
        RETURN result;
    END IF;
    entry_rows := (SELECT f.index + 1 AS line_no, f.value:"user"::VARCHAR AS user_name,
                          COALESCE(f.value:"manager"::VARCHAR, '') AS manager_name
                   FROM TABLE(FLATTEN(INPUT => :entries)) f ORDER BY f.index);
    LET entry_cursor CURSOR FOR entry_rows;
    BEGIN TRANSACTION;
    FOR e IN entry_cursor DO
        line_no := e.line_no;
        user_name := e.user_name;
        manager_name := e.manager_name;
        SELECT OBJECT_CONSTRUCT(*) INTO :chk FROM (WITH cur AS (SELECT COUNT(*) AS n, MAX(manager_name) AS manager_name
                 FROM main.user_manager WHERE user_name = :user_name),
         back AS (SELECT COUNT(*) AS n FROM main.user_manager
                  WHERE user_name = :manager_name AND manager_name = :user_name),
         v AS (SELECT CASE WHEN COALESCE(:user_name, '') = '' OR LENGTH(:user_name) > 255
                                OR :user_name <> TRIM(:user_name, ' ' || CHAR(9) || CHAR(10) || CHAR(11) || CHAR(12) || CHAR(13)) THEN 'user_name'
                           WHEN :manager_name IS NULL OR LENGTH(:manager_name) > 255
                                OR :manager_name <> TRIM(:manager_name, ' ' || CHAR(9) || CHAR(10) || CHAR(11) || CHAR(12) || CHAR(13)) THEN 'manager_name'
                           ELSE '' END AS field)
    SELECT CASE
               WHEN COALESCE(:actor, '') = '' THEN 'IDENTITY_UNAVAILABLE'
               WHEN NOT :is_admin THEN 'NOT_ADMIN'
               WHEN v.field <> '' THEN 'INVALID'
               WHEN :manager_name = :user_name THEN 'SELF_MANAGER'
               WHEN :manager_name <> '' AND back.n > 0 THEN 'MANAGER_CYCLE'
               ELSE 'OK'
           END AS code,
           NULLIF(v.field, '') AS field, :actor AS actor, :user_name AS user_name, :manager_name AS manager_name,
           :line_no AS line,
           CASE WHEN cur.n = 1 AND cur.manager_name = :manager_name OR cur.n = 0 AND :manager_name = '' THEN 0
                ELSE 1 END AS changed
    FROM cur CROSS JOIN back CROSS JOIN v
        ) q;
        SELECT GET(:chk, 'CODE')::VARCHAR INTO :code;
        IF (COALESCE(code, '') <> 'OK') THEN
            ROLLBACK;
            SELECT ENVELOPE(:code, OBJECT_DELETE(:chk, 'REQUESTER', 'ACCESS_ROLE')) INTO :result;
            RETURN result;
        END IF;
        IF (GET(:chk, 'CHANGED')::NUMBER = 1) THEN
            want_rows := IFF(manager_name = '', 0, 1);
            DELETE FROM main.user_manager WHERE user_name = :user_name;
            INSERT INTO main.user_manager (user_name, manager_name, updated_at, updated_by)
    SELECT :user_name, :manager_name, :now_ts, :actor WHERE :manager_name <> '';
            IF (COALESCE(SQLROWCOUNT, -1) <> want_rows) THEN
                ROLLBACK;
                SELECT ENVELOPE('CONFLICT', OBJECT_CONSTRUCT('line', :line_no)) INTO :result;
                RETURN result;
            END IF;
            SELECT SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 9)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 8)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 7)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 6)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 5)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 4)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 3)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 2)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 1)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 0)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
              INTO :event_id;
    -- Audit event DIRECTORY_CHANGED, appended at the head of the ledger, under the
    -- audit lock (taken last, so that locks are always taken in one order).
    SELECT :event_id, 'DIRECTORY_CHANGED', 0, '', :user_name, :manager_name
      INTO :event_id, :event_type, :ev_step, :ev_decision, :ev_comment, :ev_details;
    UPDATE main.audit_lock SET locked_at = :now_ts WHERE lock_id = 1;
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        RAISE audit_lock_missing;
    END IF;
    SELECT h.ev_seq + 1, h.ev_prev_hash INTO :ev_seq, :ev_prev_hash FROM (SELECT COALESCE((SELECT MAX(seq) FROM main.audit_log), 0) AS ev_seq,
           COALESCE((SELECT hash FROM main.audit_log ORDER BY seq DESC LIMIT 1), '') AS ev_prev_hash
    ) h;
    SELECT AUDIT_HASH(:ev_prev_hash, :event_id, :now_ts, :request_id, NULLIF(:product_id, ''), :actor,
                      NULLIF(:actor_role, ''), :event_type, NULLIF(:ev_step, 0), NULLIF(:ev_decision, ''),
                      NULLIF(:ev_comment, ''), NULLIF(:ev_details, ''), :ev_seq)
      INTO :ev_hash;
    INSERT INTO main.audit_log (event_id, event_time, request_id, product_id, actor, actor_role, event_type,
                                step_order, decision, comment, details, seq, prev_hash, hash)
    SELECT :event_id, :now_ts, NULLIF(:request_id, ''), NULLIF(:product_id, ''), :actor, NULLIF(:actor_role, ''), :event_type,
           NULLIF(:ev_step, 0), NULLIF(:ev_decision, ''), NULLIF(:ev_comment, ''), NULLIF(:ev_details, ''),
           :ev_seq, :ev_prev_hash, :ev_hash
    WHERE NOT EXISTS (SELECT 1 FROM main.audit_log WHERE seq >= :ev_seq)
      AND NOT EXISTS (SELECT 1 FROM main.audit_log WHERE event_id = :event_id);
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        ROLLBACK;
        SELECT ENVELOPE('CONFLICT', OBJECT_CONSTRUCT('request_id', :request_id)) INTO :result;
        RETURN result;
    END IF;
            changed := changed + 1;
        END IF;
    END FOR;
    COMMIT;
    SELECT ENVELOPE('OK', OBJECT_CONSTRUCT('changed', :changed, 'actor', :actor)) INTO :result;
    RETURN result;
EXCEPTION
    WHEN OTHER THEN
        ROLLBACK;
        RAISE;
END;
$$;

GRANT USAGE ON PROCEDURE SIGNOFF.API.SET_MANAGER(VARCHAR, VARCHAR) TO ROLE SIGNOFF_ADMIN;

-- ============================================================================
-- WHOAMI: who Snowflake says the caller is, as the procedures see it
-- ============================================================================
-- For the preflight (signoff doctor, deploy/preflight.sql): the actor the
-- actions would record, the principal type and whether READ SESSION works.
CREATE OR REPLACE PROCEDURE SIGNOFF.API.WHOAMI()
RETURNS VARIANT
LANGUAGE SQL
COMMENT = 'Signoff: who the API procedures see calling'
EXECUTE AS OWNER
AS
$$
DECLARE
    result VARIANT;
BEGIN
    SELECT ENVELOPE('OK', OBJECT_CONSTRUCT(
               'actor', SYS_CONTEXT('SNOWFLAKE$SESSION', 'PRINCIPAL_NAME'),
               'principal_type', SYS_CONTEXT('SNOWFLAKE$SESSION', 'PRINCIPAL_TYPE'),
               'is_admin', COALESCE(SYS_CONTEXT('SNOWFLAKE$SESSION', 'IS_ROLE_ACTIVATED', 'SIGNOFF_ADMIN') = 'TRUE', FALSE)))
      INTO :result;
    RETURN result;
END;
$$;

GRANT USAGE ON PROCEDURE SIGNOFF.API.WHOAMI() TO ROLE PUBLIC;

-- ============================================================================
-- PREFLIGHT: what only a real account can confirm, checked in one call
-- ============================================================================
-- For Signoff admins (signoff doctor's Diagnostics page calls it in the
-- admin's own session). It grants the empty role SIGNOFF_PREFLIGHT to the
-- caller and revokes it again (an owner's-rights GRANT from a caller's
-- session), hashes a fixed sample event with AUDIT_HASH (the Go side knows
-- the answer: signoff.HashSample), truncates a fixed time to the
-- microsecond, counts a sample text with LENGTH, VISIBLE_LENGTH and
-- BIDI_CONTROLS (signoff.TextSample: the characters on either side of each
-- edge of both sets), and builds the chain snapshot of a sample chain with
-- the expression SUBMIT_REQUEST records (signoff.SnapshotSample: three steps,
-- characters of one to four bytes). It moves sample times with ADD_HOURS
-- (snowflake.AddHoursSamples: leap day, month and year ends, nanoseconds),
-- asks HAS_TAG about signoff.HasTagSamples, and lists the tasks in SIGNOFF.API with SHOW TASKS: PREFLIGHT runs as
-- their owner, and SHOW and DESCRIBE list a task only to its owner or a
-- role with MONITOR or OPERATE on it (DOCS/sql-reference/sql/desc-task,
-- DOCS/sql-reference/sql/show-tasks), which the app's role is not; an
-- owner's-rights procedure may run SHOW
-- (DOCS/developer-guide/stored-procedure/stored-procedures-rights), and
-- RESULT_SCAN(LAST_QUERY_ID()) reads its output
-- (DOCS/sql-reference/functions/result_scan). Nothing else is changed.
CREATE OR REPLACE PROCEDURE SIGNOFF.API.PREFLIGHT()
RETURNS VARIANT
LANGUAGE SQL
COMMENT = 'Signoff: checks for the preflight (admins)'
EXECUTE AS OWNER
AS
$$
DECLARE
    actor        VARCHAR;
    is_admin     BOOLEAN DEFAULT FALSE;
    -- Granted as GRANT_REQUEST grants an access role: quoted, through
    -- IDENTIFIER with a variable, so that the preflight proves that form.
    q_role       VARCHAR DEFAULT '"SIGNOFF_PREFLIGHT"';
    q_user       VARCHAR;
    grant_error  VARCHAR DEFAULT '';
    revoke_error VARCHAR DEFAULT '';
    hash_sample  VARCHAR;
    time_sample  VARCHAR;
    text_sample  VARCHAR;
    text_counts  VARIANT;
    snapshot_sample VARCHAR;
    add_hours_sample VARIANT;
    has_tag_sample VARIANT;
    tasks        VARIANT;
    result       VARIANT;
BEGIN
    SELECT SYS_CONTEXT('SNOWFLAKE$SESSION', 'PRINCIPAL_NAME'),
           COALESCE(SYS_CONTEXT('SNOWFLAKE$SESSION', 'IS_ROLE_ACTIVATED', 'SIGNOFF_ADMIN') = 'TRUE', FALSE)
      INTO :actor, :is_admin;
    IF (actor IS NULL) THEN
        SELECT ENVELOPE('IDENTITY_UNAVAILABLE', NULL) INTO :result;
        RETURN result;
    END IF;
    IF (NOT is_admin) THEN
        SELECT ENVELOPE('NOT_ADMIN', OBJECT_CONSTRUCT('actor', :actor)) INTO :result;
        RETURN result;
    END IF;
    SELECT '"' || REPLACE(:actor, '"', '""') || '"' INTO :q_user;
    BEGIN
        GRANT ROLE IDENTIFIER(:q_role) TO USER IDENTIFIER(:q_user);
    EXCEPTION
        WHEN OTHER THEN
            grant_error := COALESCE(NULLIF(SQLERRM, ''), 'SQLCODE ' || SQLCODE);
    END;
    BEGIN
        REVOKE ROLE IDENTIFIER(:q_role) FROM USER IDENTIFIER(:q_user);
    EXCEPTION
        WHEN OTHER THEN
            revoke_error := COALESCE(NULLIF(SQLERRM, ''), 'SQLCODE ' || SQLCODE);
    END;
    SELECT AUDIT_HASH('5f1d0b1d9d4f6d2f9b5b0f3e2c1a4b6d8e7f9a0b1c2d3e4f5a6b7c8d9e0f1a2b', '01JNQ4Z5M8A1B2C3D4E5F6G7H8', '2026-01-02 03:04:05.123456789'::TIMESTAMP_NTZ(9), '01JNQ4Z5M8A1B2C3D4E5F6G7H9', 'customer-360', 'JANE.DOE@ACME.COM', 'DATA_OWNER_SALES', 'STEP_APPROVED', 2, 'APPROVED', 'Zoë''s "ok": 名前 3:x', NULL, 3),
           TO_CHAR(DATE_TRUNC('MICROSECOND', '2026-01-02 03:04:05.123456789'::TIMESTAMP_NTZ(9)), 'YYYY-MM-DD HH24:MI:SS.FF6')
      INTO :hash_sample, :time_sample;
    SELECT CHR(0) || CHR(32) || CHR(33) || CHR(126) || CHR(127) || CHR(160) || CHR(161) || CHR(172)
        || CHR(173) || CHR(173) || CHR(174) || CHR(846) || CHR(847) || CHR(847) || CHR(848) || CHR(1535)
        || CHR(1536) || CHR(1541) || CHR(1542) || CHR(1563) || CHR(1564) || CHR(1564) || CHR(1565) || CHR(1756)
        || CHR(1757) || CHR(1757) || CHR(1758) || CHR(1806) || CHR(1807) || CHR(1807) || CHR(1808) || CHR(2191)
        || CHR(2192) || CHR(2193) || CHR(2194) || CHR(2273) || CHR(2274) || CHR(2274) || CHR(2275) || CHR(4446)
        || CHR(4447) || CHR(4448) || CHR(4449) || CHR(5759) || CHR(5760) || CHR(5760) || CHR(5761) || CHR(6067)
        || CHR(6068) || CHR(6069) || CHR(6070) || CHR(6154) || CHR(6155) || CHR(6159) || CHR(6160) || CHR(8191)
        || CHR(8192) || CHR(8207) || CHR(8208) || CHR(8231) || CHR(8232) || CHR(8239) || CHR(8240) || CHR(8286)
        || CHR(8287) || CHR(8303) || CHR(8304) || CHR(10239) || CHR(10240) || CHR(10240) || CHR(10241) || CHR(12287)
        || CHR(12288) || CHR(12288) || CHR(12289) || CHR(12643) || CHR(12644) || CHR(12644) || CHR(12645) || CHR(65023)
        || CHR(65024) || CHR(65039) || CHR(65040) || CHR(65278) || CHR(65279) || CHR(65279) || CHR(65280) || CHR(65439)
        || CHR(65440) || CHR(65440) || CHR(65441) || CHR(65519) || CHR(65520) || CHR(65531) || CHR(65532) || CHR(69820)
        || CHR(69821) || CHR(69821) || CHR(69822) || CHR(69836) || CHR(69837) || CHR(69837) || CHR(69838) || CHR(78895)
        || CHR(78896) || CHR(78911) || CHR(78912) || CHR(113823) || CHR(113824) || CHR(113827) || CHR(113828) || CHR(119128)
        || CHR(119129) || CHR(119129) || CHR(119130) || CHR(119154) || CHR(119155) || CHR(119162) || CHR(119163) || CHR(917503)
        || CHR(917504) || CHR(921599) || CHR(921600) || CHR(1563) || CHR(1564) || CHR(1564) || CHR(1565) || CHR(8205)
        || CHR(8206) || CHR(8207) || CHR(8208) || CHR(8233) || CHR(8234) || CHR(8238) || CHR(8239) || CHR(8293)
        || CHR(8294) || CHR(8297) || CHR(8298) || CHR(97) || CHR(233) || CHR(26085) || CHR(128512)
      INTO :text_sample;
    SELECT OBJECT_CONSTRUCT('length', LENGTH(:text_sample), 'visible', VISIBLE_LENGTH(:text_sample),
                            'bidi', BIDI_CONTROLS(:text_sample))
      INTO :text_counts;
    SELECT snapshot INTO :snapshot_sample FROM (SELECT COALESCE(MAX(CASE WHEN step_order = 1 THEN
                    CAST(LENGTH(approver_role) AS VARCHAR) || ':' || approver_role ||
                    CAST(LENGTH(step_label) AS VARCHAR) || ':' || step_label END), '') ||
           COALESCE(MAX(CASE WHEN step_order = 2 THEN
                    CAST(LENGTH(approver_role) AS VARCHAR) || ':' || approver_role ||
                    CAST(LENGTH(step_label) AS VARCHAR) || ':' || step_label END), '') ||
           COALESCE(MAX(CASE WHEN step_order = 3 THEN
                    CAST(LENGTH(approver_role) AS VARCHAR) || ':' || approver_role ||
                    CAST(LENGTH(step_label) AS VARCHAR) || ':' || step_label END), '') ||
           COALESCE(MAX(CASE WHEN step_order = 4 THEN
                    CAST(LENGTH(approver_role) AS VARCHAR) || ':' || approver_role ||
                    CAST(LENGTH(step_label) AS VARCHAR) || ':' || step_label END), '') ||
           COALESCE(MAX(CASE WHEN step_order = 5 THEN
                    CAST(LENGTH(approver_role) AS VARCHAR) || ':' || approver_role ||
                    CAST(LENGTH(step_label) AS VARCHAR) || ':' || step_label END), '') ||
           COALESCE(MAX(CASE WHEN step_order = 6 THEN
                    CAST(LENGTH(approver_role) AS VARCHAR) || ':' || approver_role ||
                    CAST(LENGTH(step_label) AS VARCHAR) || ':' || step_label END), '') ||
           COALESCE(MAX(CASE WHEN step_order = 7 THEN
                    CAST(LENGTH(approver_role) AS VARCHAR) || ':' || approver_role ||
                    CAST(LENGTH(step_label) AS VARCHAR) || ':' || step_label END), '') ||
           COALESCE(MAX(CASE WHEN step_order = 8 THEN
                    CAST(LENGTH(approver_role) AS VARCHAR) || ':' || approver_role ||
                    CAST(LENGTH(step_label) AS VARCHAR) || ':' || step_label END), '') ||
           COALESCE(MAX(CASE WHEN step_order = 9 THEN
                    CAST(LENGTH(approver_role) AS VARCHAR) || ':' || approver_role ||
                    CAST(LENGTH(step_label) AS VARCHAR) || ':' || step_label END), '') ||
           COALESCE(MAX(CASE WHEN step_order = 10 THEN
                    CAST(LENGTH(approver_role) AS VARCHAR) || ':' || approver_role ||
                    CAST(LENGTH(step_label) AS VARCHAR) || ':' || step_label END), '') AS snapshot
    FROM (SELECT column1 AS step_order, column2 AS approver_role, column3 AS step_label
          FROM (VALUES (1, 'LINE_MANAGER', 'Line manager'),
                       (2, 'DATA_OWNER_SALES', 'Zoë''s "owner": 名前 3:x'),
                       (3, 'DPO', 'Sécurité 🔒 DPO'))) request_step
    ) q;
    SELECT ARRAY_CONSTRUCT(
               TO_CHAR(ADD_HOURS('2026-11-30 14:03:59.123456789'::TIMESTAMP_NTZ(9), 2160), 'YYYY-MM-DD HH24:MI:SS.FF9'),
               TO_CHAR(ADD_HOURS('2026-03-01 01:00:00.999999999'::TIMESTAMP_NTZ(9), -72), 'YYYY-MM-DD HH24:MI:SS.FF9'),
               TO_CHAR(ADD_HOURS('2027-06-15 12:00:00.000001000'::TIMESTAMP_NTZ(9), 8784), 'YYYY-MM-DD HH24:MI:SS.FF9'),
               TO_CHAR(ADD_HOURS('2028-02-28 23:30:00.500000000'::TIMESTAMP_NTZ(9), 1), 'YYYY-MM-DD HH24:MI:SS.FF9'),
               TO_CHAR(ADD_HOURS('2026-12-31 23:59:59.999999999'::TIMESTAMP_NTZ(9), 24), 'YYYY-MM-DD HH24:MI:SS.FF9'))
      INTO :add_hours_sample;
    SELECT ARRAY_CONSTRUCT(
               HAS_TAG('["finance","sox"]', 'CONFIDENTIAL', 'SOX'),
               HAS_TAG('["hr"]', 'PII', 'pii'),
               HAS_TAG('["web"]', 'INTERNAL', NULL),
               HAS_TAG('["finance_eu"]', 'INTERNAL', 'finance'),
               HAS_TAG('["données"]', 'INTERNAL', 'DONNÉES'),
               HAS_TAG('[]', 'PUBLIC', 'gdpr'),
               HAS_TAG('["a\\"b","x"]', 'INTERNAL', 'a"b'))
      INTO :has_tag_sample;
    SHOW TASKS IN SCHEMA SIGNOFF.API;
    SELECT COALESCE(ARRAY_AGG(OBJECT_CONSTRUCT(
               'name', "database_name" || '.' || "schema_name" || '.' || "name", 'state', "state",
               'owner', "owner", 'warehouse', "warehouse", 'schedule', "schedule", 'definition', "definition")),
               ARRAY_CONSTRUCT())
      INTO :tasks
      FROM TABLE(RESULT_SCAN(LAST_QUERY_ID()));
    SELECT ENVELOPE('OK', OBJECT_CONSTRUCT('actor', :actor, 'grant_error', :grant_error, 'revoke_error', :revoke_error,
                                           'hash_sample', :hash_sample, 'time_sample', :time_sample,
                                           'text_sample', :text_counts, 'snapshot_sample', :snapshot_sample,
                                           'add_hours_sample', :add_hours_sample, 'has_tag_sample', :has_tag_sample,
                                           'tasks', :tasks))
      INTO :result;
    RETURN result;
END;
$$;

GRANT USAGE ON PROCEDURE SIGNOFF.API.PREFLIGHT() TO ROLE SIGNOFF_ADMIN;

-- ============================================================================
-- SAVE_PRODUCT and SET_CHAIN: admins register and edit data products
-- ============================================================================
-- Catalog administration (docs/design.md, "Product administration"), for the
-- admin pages and for scripts (deploy/README.md, "Scripting Signoff with
-- SQL"). A save checks the definition (the rules that matter for safety:
-- identifiers, kinds, quorums, the number of steps, lengths, no
-- bidirectional controls; the pages check the rest first), that the caller
-- holds SIGNOFF_ADMIN in their session, and that SIGNOFF_OWNER owns the
-- access role, which GRANT_REQUEST must be able to grant: SHOW GRANTS TO ROLE
-- SIGNOFF_OWNER lists its OWNERSHIP of each role (DOCS/sql-reference/sql/show-grants),
-- and an owner's-rights procedure may run SHOW
-- (DOCS/developer-guide/stored-procedure/stored-procedures-rights,
-- DOCS/release-notes/2026/10_3). Then, in one transaction under the
-- submit lock (sqlstore.LockSubmissions: saves take turns with each other
-- and with submissions, which copy the chain): the catalog row, the chain
-- rules, a new version with the whole definition and its SHA2, and the
-- PRODUCT_SAVED event, whose details pin the version (version=N;sha256=…;catalog=…).
-- Requests in flight keep the steps they copied.
--
-- SAVE_PRODUCT(DEFINITION) registers the product, or saves a new version of
-- it over whatever version is current; the app's form uses
-- SAVE_PRODUCT(DEFINITION, CREATE_NEW, READ_VERSION, EVENT_IDS, DRY_RUN),
-- whose save refuses (STALE_VERSION) when someone saved since READ_VERSION.
-- DEFINITION is the JSON of signoff.Definition: {"id", "name",
-- "description", "owner", "owner_role", "domain", "classification", "tags":
-- [...], "columns": [{"name", "type", "description", "sensitive"}],
-- "access_role", "durations": [days, 0 = permanent], "pending_days",
-- "fallback_role", "extend_last_step", "source_object", "review_days", "idle_days", "chain": [{"kind":
-- ROLE|OWNER|MANAGER, "approver_role", "label", "when_tag", "quorum",
-- "deadline_hours", "fallback_role"}]}. SET_CHAIN(PRODUCT_ID, RULES) saves
-- the product's current definition with RULES (a JSON array of chain rules)
-- as its chain. Answers OK (data: product_id, version), DRY_RUN, INVALID
-- (data.field), IDENTITY_UNAVAILABLE, NOT_ADMIN, PRODUCT_EXISTS,
-- PRODUCT_NOT_FOUND, DUPLICATE_ID, STALE_VERSION, ACCESS_ROLE_NOT_OWNED or
-- CONFLICT.


CREATE OR REPLACE PROCEDURE SIGNOFF.API.SAVE_PRODUCT(
    DEFINITION VARCHAR, CREATE_NEW BOOLEAN, READ_VERSION NUMBER, EVENT_IDS VARCHAR, DRY_RUN BOOLEAN)
RETURNS VARIANT
LANGUAGE SQL
COMMENT = 'Signoff: an admin registers or edits a data product (the app''s form)'
EXECUTE AS OWNER
AS
$$
DECLARE
    actor        VARCHAR;
    now_ts       TIMESTAMP_NTZ;
    invalid      VARCHAR;
    chk          VARIANT;
    code         VARCHAR;
    result       VARIANT;
    d            VARIANT;
    request_id   VARCHAR DEFAULT NULL;
    actor_role   VARCHAR DEFAULT 'SIGNOFF_ADMIN';
    is_admin     BOOLEAN DEFAULT FALSE;
    is_new       BOOLEAN;
    base_version NUMBER;
    access_role_owned BOOLEAN DEFAULT FALSE;
    version      NUMBER;
    definition_hash VARCHAR;
    product_id   VARCHAR;
    name         VARCHAR;
    description  VARCHAR;
    owner        VARCHAR;
    owner_role   VARCHAR;
    domain       VARCHAR;
    classification VARCHAR;
    tags         VARCHAR;
    product_columns VARCHAR;
    access_role  VARCHAR;
    durations    VARCHAR;
    pending_days NUMBER;
    fallback_role VARCHAR;
    extension_steps VARCHAR;
    object_name  VARCHAR;
    review_days  NUMBER;
    idle_days    NUMBER;
    step_no      NUMBER;
    step_kind    VARCHAR;
    approver_role VARCHAR;
    step_label   VARCHAR;
    when_tag     VARCHAR;
    quorum       NUMBER;
    deadline_hours NUMBER;
    step_fallback_role VARCHAR;
    rules        RESULTSET;
    audit_lock_missing EXCEPTION (-20002, 'the SIGNOFF.MAIN.AUDIT_LOCK row is missing; run 01_data_model.sql');
    event_id     VARCHAR;
    event_type   VARCHAR;
    ev_step      NUMBER;
    ev_decision  VARCHAR;
    ev_comment   VARCHAR;
    ev_details   VARCHAR;
    ev_seq       NUMBER;
    ev_prev_hash VARCHAR;
    ev_hash      VARCHAR;
    lock_missing EXCEPTION (-20003, 'the SIGNOFF.MAIN.SUBMIT_LOCK row is missing; run 01_data_model.sql');
    new_event_id VARCHAR;
BEGIN
    -- Who is calling: the calling session's user, from Snowflake.
    SELECT IFF(SYS_CONTEXT('SNOWFLAKE$SESSION', 'PRINCIPAL_TYPE') LIKE 'USER%',
               SYS_CONTEXT('SNOWFLAKE$SESSION', 'PRINCIPAL_NAME'), NULL),
           DATE_TRUNC('MICROSECOND', SYSDATE())
      INTO :actor, :now_ts;
    SELECT TRY_PARSE_JSON(:definition), :create_new, :read_version, SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 9)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 8)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 7)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 6)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 5)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 4)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 3)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 2)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 1)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 0)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
      INTO :d, :is_new, :base_version, :new_event_id;
    -- The definition's fields, as the shared statements bind them.
    SELECT TRIM(GET(:d, 'id')::VARCHAR), TRIM(GET(:d, 'name')::VARCHAR), TRIM(COALESCE(GET(:d, 'description')::VARCHAR, '')),
           TRIM(GET(:d, 'owner')::VARCHAR), TRIM(GET(:d, 'owner_role')::VARCHAR), TRIM(GET(:d, 'domain')::VARCHAR),
           UPPER(TRIM(GET(:d, 'classification')::VARCHAR)), TRIM(GET(:d, 'access_role')::VARCHAR),
           TRIM(COALESCE(GET(:d, 'fallback_role')::VARCHAR, '')), COALESCE(TRY_TO_NUMBER(GET(:d, 'pending_days')::VARCHAR), 0),
           IFF(COALESCE(TRY_TO_BOOLEAN(GET(:d, 'extend_last_step')::VARCHAR), FALSE), 'LAST', 'ALL'),
           UPPER(TRIM(COALESCE(GET(:d, 'source_object')::VARCHAR, ''))),
           COALESCE(TRY_TO_NUMBER(GET(:d, 'review_days')::VARCHAR), 0), COALESCE(TRY_TO_NUMBER(GET(:d, 'idle_days')::VARCHAR), 0)
      INTO :product_id, :name, :description, :owner, :owner_role, :domain, :classification, :access_role,
           :fallback_role, :pending_days, :extension_steps, :object_name, :review_days, :idle_days;
    SELECT CASE
               WHEN :d IS NULL OR TYPEOF(:d) <> 'OBJECT' THEN 'definition'
               WHEN EXISTS (SELECT 1 FROM TABLE(FLATTEN(INPUT => :d)) f
                            WHERE f.key NOT IN ('id', 'name', 'description', 'owner', 'owner_role', 'domain', 'classification', 'tags', 'columns', 'access_role', 'durations', 'pending_days', 'fallback_role', 'extend_last_step', 'source_object', 'review_days', 'idle_days', 'chain')) THEN 'definition'
               WHEN NOT COALESCE(:product_id RLIKE '[a-z0-9][a-z0-9-]{0,63}', FALSE) THEN 'id'
               WHEN COALESCE(LENGTH(:name), 0) = 0 OR LENGTH(:name) > 200 OR BIDI_CONTROLS(:name) > 0 THEN 'name'
               WHEN LENGTH(:description) > 4000 OR BIDI_CONTROLS(:description) > 0 THEN 'description'
               WHEN COALESCE(LENGTH(:owner), 0) = 0 OR LENGTH(:owner) > 200 OR BIDI_CONTROLS(:owner) > 0 THEN 'owner'
               WHEN COALESCE(LENGTH(:domain), 0) = 0 OR LENGTH(:domain) > 200 OR BIDI_CONTROLS(:domain) > 0 THEN 'domain'
               WHEN COALESCE(LENGTH(:classification), 0) = 0 OR LENGTH(:classification) > 64
                    OR BIDI_CONTROLS(:classification) > 0 THEN 'classification'
               WHEN NOT COALESCE(:owner_role RLIKE '[A-Za-z_][A-Za-z0-9_$]{0,254}', FALSE) THEN 'owner_role'
               WHEN NOT COALESCE(:access_role RLIKE '[A-Za-z_][A-Za-z0-9_$]{0,254}', FALSE) OR STARTSWITH(UPPER(:access_role), 'SIGNOFF_')
                    THEN 'access_role'
               WHEN :fallback_role <> '' AND NOT (:fallback_role RLIKE '[A-Za-z_][A-Za-z0-9_$]{0,254}') THEN 'fallback_role'
               WHEN COALESCE(TYPEOF(GET(:d, 'pending_days')), 'INTEGER') NOT IN ('INTEGER', 'DECIMAL')
                    OR TRY_TO_DOUBLE(GET(:d, 'pending_days')::VARCHAR) <> FLOOR(TRY_TO_DOUBLE(GET(:d, 'pending_days')::VARCHAR))
                    OR :pending_days < 0 OR :pending_days > 3650 THEN 'pending_days'
               WHEN COALESCE(TYPEOF(GET(:d, 'review_days')), 'INTEGER') NOT IN ('INTEGER', 'DECIMAL')
                    OR TRY_TO_DOUBLE(GET(:d, 'review_days')::VARCHAR) <> FLOOR(TRY_TO_DOUBLE(GET(:d, 'review_days')::VARCHAR))
                    OR :review_days < 0 OR :review_days > 3650 THEN 'review_days'
               WHEN COALESCE(TYPEOF(GET(:d, 'idle_days')), 'INTEGER') NOT IN ('INTEGER', 'DECIMAL')
                    OR TRY_TO_DOUBLE(GET(:d, 'idle_days')::VARCHAR) <> FLOOR(TRY_TO_DOUBLE(GET(:d, 'idle_days')::VARCHAR))
                    OR :idle_days < 0 OR :idle_days > 3650 THEN 'idle_days'
               WHEN :object_name <> '' AND NOT COALESCE(:object_name RLIKE '[A-Za-z_][A-Za-z0-9_$]{0,254}\\.[A-Za-z_][A-Za-z0-9_$]{0,254}\\.[A-Za-z_][A-Za-z0-9_$]{0,254}', FALSE) THEN 'source_object'
               WHEN COALESCE(TYPEOF(GET(:d, 'tags')), 'ARRAY') <> 'ARRAY' OR ARRAY_SIZE(GET(:d, 'tags')) > 32
                    OR EXISTS (SELECT 1 FROM TABLE(FLATTEN(INPUT => GET(:d, 'tags'))) f
                               WHERE TYPEOF(f.value) <> 'VARCHAR' OR COALESCE(LENGTH(TRIM(f.value::VARCHAR)), 0) NOT BETWEEN 1 AND 64
                                  OR BIDI_CONTROLS(f.value::VARCHAR) > 0) THEN 'tags'
               WHEN COALESCE(TYPEOF(GET(:d, 'columns')), 'ARRAY') <> 'ARRAY' OR ARRAY_SIZE(GET(:d, 'columns')) > 500
                    OR EXISTS (SELECT 1 FROM TABLE(FLATTEN(INPUT => GET(:d, 'columns'))) f
                               WHERE TYPEOF(f.value) <> 'OBJECT' OR COALESCE(LENGTH(f.value:name::VARCHAR), 0) = 0
                                  OR COALESCE(LENGTH(f.value:type::VARCHAR), 0) = 0) THEN 'columns'
               WHEN COALESCE(TYPEOF(GET(:d, 'durations')), 'ARRAY') <> 'ARRAY'
                    OR EXISTS (SELECT 1 FROM TABLE(FLATTEN(INPUT => GET(:d, 'durations'))) f
                               WHERE TYPEOF(f.value) NOT IN ('INTEGER', 'DECIMAL') OR TRY_TO_DOUBLE(f.value::VARCHAR) <> FLOOR(TRY_TO_DOUBLE(f.value::VARCHAR))
                                  OR TRY_TO_DOUBLE(f.value::VARCHAR) NOT BETWEEN 0 AND 3650) THEN 'durations'
               WHEN COALESCE(TYPEOF(GET(:d, 'chain')), '') <> 'ARRAY' OR ARRAY_SIZE(GET(:d, 'chain')) = 0
                    OR ARRAY_SIZE(GET(:d, 'chain')) > 10 THEN 'chain'
               WHEN EXISTS (SELECT 1 FROM TABLE(FLATTEN(INPUT => GET(:d, 'chain'))) f
                            WHERE TYPEOF(f.value) <> 'OBJECT'
                               OR UPPER(COALESCE(f.value:kind::VARCHAR, 'ROLE')) NOT IN ('ROLE', 'OWNER', 'MANAGER')
                               OR (UPPER(COALESCE(f.value:kind::VARCHAR, 'ROLE')) <> 'OWNER'
                                   AND NOT COALESCE(TRIM(f.value:approver_role::VARCHAR) RLIKE '[A-Za-z_][A-Za-z0-9_$]{0,254}', FALSE))
                               OR COALESCE(LENGTH(TRIM(f.value:label::VARCHAR)), 0) NOT BETWEEN 1 AND 200
                               OR BIDI_CONTROLS(f.value:label::VARCHAR) > 0
                               OR LENGTH(f.value:when_tag::VARCHAR) > 64 OR BIDI_CONTROLS(f.value:when_tag::VARCHAR) > 0
                               OR COALESCE(TYPEOF(f.value:quorum), 'INTEGER') NOT IN ('INTEGER', 'DECIMAL')
                               OR TRY_TO_DOUBLE(f.value:quorum::VARCHAR) <> FLOOR(TRY_TO_DOUBLE(f.value:quorum::VARCHAR))
                               OR COALESCE(TRY_TO_NUMBER(f.value:quorum::VARCHAR), 1) NOT BETWEEN 1 AND 5
                               OR (UPPER(COALESCE(f.value:kind::VARCHAR, 'ROLE')) = 'MANAGER'
                                   AND COALESCE(TRY_TO_NUMBER(f.value:quorum::VARCHAR), 1) <> 1)
                               OR COALESCE(TYPEOF(f.value:deadline_hours), 'INTEGER') NOT IN ('INTEGER', 'DECIMAL')
                               OR TRY_TO_DOUBLE(f.value:deadline_hours::VARCHAR) <> FLOOR(TRY_TO_DOUBLE(f.value:deadline_hours::VARCHAR))
                               OR COALESCE(TRY_TO_NUMBER(f.value:deadline_hours::VARCHAR), 0) NOT BETWEEN 0 AND 87600
                               OR (COALESCE(f.value:fallback_role::VARCHAR, '') <> ''
                                   AND NOT (TRIM(f.value:fallback_role::VARCHAR) RLIKE '[A-Za-z_][A-Za-z0-9_$]{0,254}'))) THEN 'chain'
               -- The product's approvals and the chain policy's, however the
               -- product is tagged: no request of it may need more than a
               -- submission records (CHAIN_TOO_LONG).
               WHEN (SELECT SUM(COALESCE(TRY_TO_NUMBER(f.value:quorum::VARCHAR), 1)) FROM TABLE(FLATTEN(INPUT => GET(:d, 'chain'))) f)
                    + (SELECT COALESCE(SUM(COALESCE(quorum, 1)), 0) FROM SIGNOFF.MAIN.CHAIN_POLICY)
                    > 10 THEN 'chain'
               WHEN :event_ids IS NOT NULL AND NOT COALESCE(:event_ids RLIKE '[0-9A-HJKMNP-TV-Z]{26}', FALSE) THEN 'event_ids'
               WHEN :event_ids IS NOT NULL AND ABS(ID_MILLIS(:event_ids) - DATE_PART(EPOCH_MILLISECOND, :now_ts)) > 600000 THEN 'event_ids'
               ELSE ''
           END
      INTO :invalid;
    IF (invalid <> '') THEN
        SELECT ENVELOPE('INVALID', OBJECT_CONSTRUCT('field', :invalid)) INTO :result;
        RETURN result;
    END IF;
    -- Normal forms, as signoff.Definition.Normalize writes them: tags lower
    -- case, sorted, once; durations sorted, once (permanent when none).
    SELECT TO_JSON(COALESCE(ARRAY_AGG(DISTINCT LOWER(TRIM(f.value::VARCHAR)))
                                WITHIN GROUP (ORDER BY LOWER(TRIM(f.value::VARCHAR))), ARRAY_CONSTRUCT()))
      INTO :tags FROM TABLE(FLATTEN(INPUT => GET(:d, 'tags'))) f;
    SELECT TO_JSON(COALESCE(GET(:d, 'columns'), ARRAY_CONSTRUCT())) INTO :product_columns;
    SELECT COALESCE(NULLIF(LISTAGG(DISTINCT f.value::NUMBER, ',') WITHIN GROUP (ORDER BY f.value::NUMBER), ''), '0')
      INTO :durations FROM TABLE(FLATTEN(INPUT => GET(:d, 'durations'))) f;
    SELECT COALESCE(SYS_CONTEXT('SNOWFLAKE$SESSION', 'IS_ROLE_ACTIVATED', 'SIGNOFF_ADMIN') = 'TRUE', FALSE) INTO :is_admin;
    -- GRANT_REQUEST grants the access role as SIGNOFF_OWNER, which must own
    -- it: SHOW GRANTS TO ROLE lists its OWNERSHIP of each role it owns (the
    -- preflight reads the same list), the role's name unquoted for an
    -- unquoted identifier, which the role pattern above requires.
    SHOW GRANTS TO ROLE SIGNOFF_OWNER;
    SELECT COUNT(*) > 0 INTO :access_role_owned FROM TABLE(RESULT_SCAN(LAST_QUERY_ID()))
     WHERE "privilege" = 'OWNERSHIP' AND "granted_on" = 'ROLE' AND REPLACE("name", '"', '') = UPPER(:access_role);
    SELECT COALESCE(:is_new, NOT EXISTS (SELECT 1 FROM SIGNOFF.MAIN.DATA_PRODUCT WHERE PRODUCT_ID = :product_id)),
           COALESCE(:base_version, (SELECT COALESCE(MAX(VERSION), 0) FROM SIGNOFF.MAIN.PRODUCT_VERSION
                                    WHERE PRODUCT_ID = :product_id))
      INTO :is_new, :base_version;
    BEGIN TRANSACTION;
    UPDATE main.submit_lock SET locked_at = :now_ts WHERE lock_id = 1;
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        RAISE lock_missing;
    END IF;
    SELECT OBJECT_CONSTRUCT(*) INTO :chk FROM (WITH p AS (SELECT COUNT(*) AS n FROM main.data_product WHERE product_id = :product_id),
         v AS (SELECT COALESCE(MAX(version), 0) AS version FROM main.product_version WHERE product_id = :product_id)
    SELECT CASE
               WHEN COALESCE(:actor, '') = '' THEN 'IDENTITY_UNAVAILABLE'
               WHEN NOT :is_admin THEN 'NOT_ADMIN'
               WHEN :is_new AND p.n > 0 THEN 'PRODUCT_EXISTS'
               WHEN NOT :is_new AND p.n = 0 THEN 'PRODUCT_NOT_FOUND'
               WHEN p.n > 1 THEN 'DUPLICATE_ID'
               WHEN NOT :is_new AND v.version <> :base_version THEN 'STALE_VERSION'
               WHEN NOT :access_role_owned THEN 'ACCESS_ROLE_NOT_OWNED'
               ELSE 'OK'
           END AS code,
           :actor AS actor, :product_id AS product_id, :name AS product_name, v.version + 1 AS version
    FROM p CROSS JOIN v
    ) q;
    SELECT GET(:chk, 'CODE')::VARCHAR INTO :code;
    IF (COALESCE(code, '') <> 'OK') THEN
        ROLLBACK;
        SELECT ENVELOPE(:code, OBJECT_DELETE(:chk, 'REQUESTER', 'ACCESS_ROLE')) INTO :result;
        RETURN result;
    END IF;
    IF (COALESCE(dry_run, FALSE)) THEN
        ROLLBACK;
        SELECT ENVELOPE('DRY_RUN', :chk) INTO :result;
        RETURN result;
    END IF;
    SELECT GET(:chk, 'VERSION')::NUMBER INTO :version;
    IF (is_new) THEN
        INSERT INTO main.data_product (product_id, name, description, owner, owner_role, domain, classification, tags,
                                   product_columns, access_role, created_at, durations, pending_days, fallback_role,
                                   extension_steps, object_name, review_days, idle_days)
    SELECT :product_id, :name, :description, :owner, :owner_role, :domain, :classification, :tags, :product_columns,
           :access_role, :now_ts, :durations, NULLIF(:pending_days, 0), NULLIF(:fallback_role, ''), :extension_steps,
           NULLIF(:object_name, ''), NULLIF(:review_days, 0), NULLIF(:idle_days, 0)
    WHERE NOT EXISTS (SELECT 1 FROM main.data_product WHERE product_id = :product_id);
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        ROLLBACK;
        SELECT ENVELOPE('CONFLICT', OBJECT_CONSTRUCT('request_id', :request_id)) INTO :result;
        RETURN result;
    END IF;
    ELSE
        UPDATE main.data_product
    SET name = :name, description = :description, owner = :owner, owner_role = :owner_role, domain = :domain,
        classification = :classification, tags = :tags, product_columns = :product_columns,
        access_role = :access_role, durations = :durations, pending_days = NULLIF(:pending_days, 0),
        fallback_role = NULLIF(:fallback_role, ''), extension_steps = :extension_steps,
        object_name = NULLIF(:object_name, ''), review_days = NULLIF(:review_days, 0), idle_days = NULLIF(:idle_days, 0)
    WHERE product_id = :product_id;
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        ROLLBACK;
        SELECT ENVELOPE('CONFLICT', OBJECT_CONSTRUCT('request_id', :request_id)) INTO :result;
        RETURN result;
    END IF;
    END IF;
    DELETE FROM main.approval_chain WHERE product_id = :product_id;
    rules := (SELECT f.index + 1 AS step_no, UPPER(COALESCE(f.value:kind::VARCHAR, 'ROLE')) AS step_kind,
                     IFF(UPPER(COALESCE(f.value:kind::VARCHAR, 'ROLE')) = 'OWNER', :owner_role,
                         TRIM(f.value:approver_role::VARCHAR)) AS approver_role,
                     TRIM(f.value:label::VARCHAR) AS step_label, TRIM(COALESCE(f.value:when_tag::VARCHAR, '')) AS when_tag,
                     COALESCE(f.value:quorum::NUMBER, 1) AS quorum, COALESCE(f.value:deadline_hours::NUMBER, 0) AS deadline_hours,
                     TRIM(COALESCE(f.value:fallback_role::VARCHAR, '')) AS step_fallback_role
              FROM TABLE(FLATTEN(INPUT => GET(:d, 'chain'))) f ORDER BY f.index);
    LET rule_rows CURSOR FOR rules;
    FOR r IN rule_rows DO
        step_no := r.step_no;
        step_kind := r.step_kind;
        approver_role := r.approver_role;
        step_label := r.step_label;
        when_tag := r.when_tag;
        quorum := r.quorum;
        deadline_hours := r.deadline_hours;
        step_fallback_role := r.step_fallback_role;
        INSERT INTO main.approval_chain (product_id, step_order, approver_role, step_label, deadline_hours, fallback_role,
                                     step_kind, when_tag, quorum)
    SELECT :product_id, :step_no, :approver_role, :step_label, NULLIF(:deadline_hours, 0), NULLIF(:step_fallback_role, ''),
           :step_kind, NULLIF(:when_tag, ''), :quorum;
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        ROLLBACK;
        SELECT ENVELOPE('CONFLICT', OBJECT_CONSTRUCT('request_id', :request_id)) INTO :result;
        RETURN result;
    END IF;
    END FOR;
    INSERT INTO main.product_version (product_id, version, saved_at, saved_by, definition, definition_hash, catalog_hash)
    SELECT :product_id, :version, :now_ts, :actor, :definition, SHA2(:definition, 256),
           (SELECT SHA2(cf.fingerprint, 256) FROM (SELECT p.product_id, MAX(CAST(LENGTH(p.name) AS VARCHAR) || ':' || p.name || CAST(LENGTH(p.description) AS VARCHAR) || ':' || p.description || CAST(LENGTH(p.owner) AS VARCHAR) || ':' || p.owner || CAST(LENGTH(p.owner_role) AS VARCHAR) || ':' || p.owner_role || CAST(LENGTH(p.domain) AS VARCHAR) || ':' || p.domain || CAST(LENGTH(p.classification) AS VARCHAR) || ':' || p.classification || CAST(LENGTH(p.tags) AS VARCHAR) || ':' || p.tags || CAST(LENGTH(p.product_columns) AS VARCHAR) || ':' || p.product_columns || CAST(LENGTH(p.access_role) AS VARCHAR) || ':' || p.access_role || CAST(LENGTH(p.durations) AS VARCHAR) || ':' || p.durations || CAST(LENGTH(CAST(COALESCE(p.pending_days, 0) AS VARCHAR)) AS VARCHAR) || ':' || CAST(COALESCE(p.pending_days, 0) AS VARCHAR) || CAST(LENGTH(COALESCE(p.fallback_role, '')) AS VARCHAR) || ':' || COALESCE(p.fallback_role, '') || CAST(LENGTH(p.extension_steps) AS VARCHAR) || ':' || p.extension_steps || CAST(LENGTH(COALESCE(p.object_name, '')) AS VARCHAR) || ':' || COALESCE(p.object_name, '') || CAST(LENGTH(CAST(COALESCE(p.review_days, 0) AS VARCHAR)) AS VARCHAR) || ':' || CAST(COALESCE(p.review_days, 0) AS VARCHAR) || CAST(LENGTH(CAST(COALESCE(p.idle_days, 0) AS VARCHAR)) AS VARCHAR) || ':' || CAST(COALESCE(p.idle_days, 0) AS VARCHAR)) || '|' || CAST(COUNT(c.step_order) AS VARCHAR) || '|' ||
           COALESCE(MAX(CASE WHEN c.step_order = 1 THEN CAST(LENGTH(c.approver_role) AS VARCHAR) || ':' || c.approver_role || CAST(LENGTH(c.step_label) AS VARCHAR) || ':' || c.step_label || CAST(LENGTH(CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR)) AS VARCHAR) || ':' || CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR) || CAST(LENGTH(COALESCE(c.fallback_role, '')) AS VARCHAR) || ':' || COALESCE(c.fallback_role, '') || CAST(LENGTH(c.step_kind) AS VARCHAR) || ':' || c.step_kind || CAST(LENGTH(COALESCE(c.when_tag, '')) AS VARCHAR) || ':' || COALESCE(c.when_tag, '') || CAST(LENGTH(CAST(c.quorum AS VARCHAR)) AS VARCHAR) || ':' || CAST(c.quorum AS VARCHAR) END), '') ||
           COALESCE(MAX(CASE WHEN c.step_order = 2 THEN CAST(LENGTH(c.approver_role) AS VARCHAR) || ':' || c.approver_role || CAST(LENGTH(c.step_label) AS VARCHAR) || ':' || c.step_label || CAST(LENGTH(CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR)) AS VARCHAR) || ':' || CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR) || CAST(LENGTH(COALESCE(c.fallback_role, '')) AS VARCHAR) || ':' || COALESCE(c.fallback_role, '') || CAST(LENGTH(c.step_kind) AS VARCHAR) || ':' || c.step_kind || CAST(LENGTH(COALESCE(c.when_tag, '')) AS VARCHAR) || ':' || COALESCE(c.when_tag, '') || CAST(LENGTH(CAST(c.quorum AS VARCHAR)) AS VARCHAR) || ':' || CAST(c.quorum AS VARCHAR) END), '') ||
           COALESCE(MAX(CASE WHEN c.step_order = 3 THEN CAST(LENGTH(c.approver_role) AS VARCHAR) || ':' || c.approver_role || CAST(LENGTH(c.step_label) AS VARCHAR) || ':' || c.step_label || CAST(LENGTH(CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR)) AS VARCHAR) || ':' || CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR) || CAST(LENGTH(COALESCE(c.fallback_role, '')) AS VARCHAR) || ':' || COALESCE(c.fallback_role, '') || CAST(LENGTH(c.step_kind) AS VARCHAR) || ':' || c.step_kind || CAST(LENGTH(COALESCE(c.when_tag, '')) AS VARCHAR) || ':' || COALESCE(c.when_tag, '') || CAST(LENGTH(CAST(c.quorum AS VARCHAR)) AS VARCHAR) || ':' || CAST(c.quorum AS VARCHAR) END), '') ||
           COALESCE(MAX(CASE WHEN c.step_order = 4 THEN CAST(LENGTH(c.approver_role) AS VARCHAR) || ':' || c.approver_role || CAST(LENGTH(c.step_label) AS VARCHAR) || ':' || c.step_label || CAST(LENGTH(CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR)) AS VARCHAR) || ':' || CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR) || CAST(LENGTH(COALESCE(c.fallback_role, '')) AS VARCHAR) || ':' || COALESCE(c.fallback_role, '') || CAST(LENGTH(c.step_kind) AS VARCHAR) || ':' || c.step_kind || CAST(LENGTH(COALESCE(c.when_tag, '')) AS VARCHAR) || ':' || COALESCE(c.when_tag, '') || CAST(LENGTH(CAST(c.quorum AS VARCHAR)) AS VARCHAR) || ':' || CAST(c.quorum AS VARCHAR) END), '') ||
           COALESCE(MAX(CASE WHEN c.step_order = 5 THEN CAST(LENGTH(c.approver_role) AS VARCHAR) || ':' || c.approver_role || CAST(LENGTH(c.step_label) AS VARCHAR) || ':' || c.step_label || CAST(LENGTH(CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR)) AS VARCHAR) || ':' || CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR) || CAST(LENGTH(COALESCE(c.fallback_role, '')) AS VARCHAR) || ':' || COALESCE(c.fallback_role, '') || CAST(LENGTH(c.step_kind) AS VARCHAR) || ':' || c.step_kind || CAST(LENGTH(COALESCE(c.when_tag, '')) AS VARCHAR) || ':' || COALESCE(c.when_tag, '') || CAST(LENGTH(CAST(c.quorum AS VARCHAR)) AS VARCHAR) || ':' || CAST(c.quorum AS VARCHAR) END), '') ||
           COALESCE(MAX(CASE WHEN c.step_order = 6 THEN CAST(LENGTH(c.approver_role) AS VARCHAR) || ':' || c.approver_role || CAST(LENGTH(c.step_label) AS VARCHAR) || ':' || c.step_label || CAST(LENGTH(CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR)) AS VARCHAR) || ':' || CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR) || CAST(LENGTH(COALESCE(c.fallback_role, '')) AS VARCHAR) || ':' || COALESCE(c.fallback_role, '') || CAST(LENGTH(c.step_kind) AS VARCHAR) || ':' || c.step_kind || CAST(LENGTH(COALESCE(c.when_tag, '')) AS VARCHAR) || ':' || COALESCE(c.when_tag, '') || CAST(LENGTH(CAST(c.quorum AS VARCHAR)) AS VARCHAR) || ':' || CAST(c.quorum AS VARCHAR) END), '') ||
           COALESCE(MAX(CASE WHEN c.step_order = 7 THEN CAST(LENGTH(c.approver_role) AS VARCHAR) || ':' || c.approver_role || CAST(LENGTH(c.step_label) AS VARCHAR) || ':' || c.step_label || CAST(LENGTH(CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR)) AS VARCHAR) || ':' || CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR) || CAST(LENGTH(COALESCE(c.fallback_role, '')) AS VARCHAR) || ':' || COALESCE(c.fallback_role, '') || CAST(LENGTH(c.step_kind) AS VARCHAR) || ':' || c.step_kind || CAST(LENGTH(COALESCE(c.when_tag, '')) AS VARCHAR) || ':' || COALESCE(c.when_tag, '') || CAST(LENGTH(CAST(c.quorum AS VARCHAR)) AS VARCHAR) || ':' || CAST(c.quorum AS VARCHAR) END), '') ||
           COALESCE(MAX(CASE WHEN c.step_order = 8 THEN CAST(LENGTH(c.approver_role) AS VARCHAR) || ':' || c.approver_role || CAST(LENGTH(c.step_label) AS VARCHAR) || ':' || c.step_label || CAST(LENGTH(CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR)) AS VARCHAR) || ':' || CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR) || CAST(LENGTH(COALESCE(c.fallback_role, '')) AS VARCHAR) || ':' || COALESCE(c.fallback_role, '') || CAST(LENGTH(c.step_kind) AS VARCHAR) || ':' || c.step_kind || CAST(LENGTH(COALESCE(c.when_tag, '')) AS VARCHAR) || ':' || COALESCE(c.when_tag, '') || CAST(LENGTH(CAST(c.quorum AS VARCHAR)) AS VARCHAR) || ':' || CAST(c.quorum AS VARCHAR) END), '') ||
           COALESCE(MAX(CASE WHEN c.step_order = 9 THEN CAST(LENGTH(c.approver_role) AS VARCHAR) || ':' || c.approver_role || CAST(LENGTH(c.step_label) AS VARCHAR) || ':' || c.step_label || CAST(LENGTH(CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR)) AS VARCHAR) || ':' || CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR) || CAST(LENGTH(COALESCE(c.fallback_role, '')) AS VARCHAR) || ':' || COALESCE(c.fallback_role, '') || CAST(LENGTH(c.step_kind) AS VARCHAR) || ':' || c.step_kind || CAST(LENGTH(COALESCE(c.when_tag, '')) AS VARCHAR) || ':' || COALESCE(c.when_tag, '') || CAST(LENGTH(CAST(c.quorum AS VARCHAR)) AS VARCHAR) || ':' || CAST(c.quorum AS VARCHAR) END), '') ||
           COALESCE(MAX(CASE WHEN c.step_order = 10 THEN CAST(LENGTH(c.approver_role) AS VARCHAR) || ':' || c.approver_role || CAST(LENGTH(c.step_label) AS VARCHAR) || ':' || c.step_label || CAST(LENGTH(CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR)) AS VARCHAR) || ':' || CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR) || CAST(LENGTH(COALESCE(c.fallback_role, '')) AS VARCHAR) || ':' || COALESCE(c.fallback_role, '') || CAST(LENGTH(c.step_kind) AS VARCHAR) || ':' || c.step_kind || CAST(LENGTH(COALESCE(c.when_tag, '')) AS VARCHAR) || ':' || COALESCE(c.when_tag, '') || CAST(LENGTH(CAST(c.quorum AS VARCHAR)) AS VARCHAR) || ':' || CAST(c.quorum AS VARCHAR) END), '') AS fingerprint
    FROM main.data_product p LEFT JOIN main.approval_chain c ON c.product_id = p.product_id
    GROUP BY p.product_id) cf WHERE cf.product_id = :product_id)
    WHERE NOT EXISTS (SELECT 1 FROM main.product_version WHERE product_id = :product_id AND version = :version);
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        ROLLBACK;
        SELECT ENVELOPE('CONFLICT', OBJECT_CONSTRUCT('request_id', :request_id)) INTO :result;
        RETURN result;
    END IF;
    SELECT q.details INTO :definition_hash FROM (SELECT MAX('version=' || CAST(version AS VARCHAR) || ';sha256=' || definition_hash || ';catalog=' || catalog_hash) AS details FROM main.product_version
    WHERE product_id = :product_id AND version = :version
    ) q;
    -- Audit event PRODUCT_SAVED, appended at the head of the ledger, under the
    -- audit lock (taken last, so that locks are always taken in one order).
    SELECT COALESCE(SPLIT_PART(:event_ids, ',', 1), :new_event_id), 'PRODUCT_SAVED', 0, '', '', :definition_hash
      INTO :event_id, :event_type, :ev_step, :ev_decision, :ev_comment, :ev_details;
    UPDATE main.audit_lock SET locked_at = :now_ts WHERE lock_id = 1;
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        RAISE audit_lock_missing;
    END IF;
    SELECT h.ev_seq + 1, h.ev_prev_hash INTO :ev_seq, :ev_prev_hash FROM (SELECT COALESCE((SELECT MAX(seq) FROM main.audit_log), 0) AS ev_seq,
           COALESCE((SELECT hash FROM main.audit_log ORDER BY seq DESC LIMIT 1), '') AS ev_prev_hash
    ) h;
    SELECT AUDIT_HASH(:ev_prev_hash, :event_id, :now_ts, :request_id, NULLIF(:product_id, ''), :actor,
                      NULLIF(:actor_role, ''), :event_type, NULLIF(:ev_step, 0), NULLIF(:ev_decision, ''),
                      NULLIF(:ev_comment, ''), NULLIF(:ev_details, ''), :ev_seq)
      INTO :ev_hash;
    INSERT INTO main.audit_log (event_id, event_time, request_id, product_id, actor, actor_role, event_type,
                                step_order, decision, comment, details, seq, prev_hash, hash)
    SELECT :event_id, :now_ts, NULLIF(:request_id, ''), NULLIF(:product_id, ''), :actor, NULLIF(:actor_role, ''), :event_type,
           NULLIF(:ev_step, 0), NULLIF(:ev_decision, ''), NULLIF(:ev_comment, ''), NULLIF(:ev_details, ''),
           :ev_seq, :ev_prev_hash, :ev_hash
    WHERE NOT EXISTS (SELECT 1 FROM main.audit_log WHERE seq >= :ev_seq)
      AND NOT EXISTS (SELECT 1 FROM main.audit_log WHERE event_id = :event_id);
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        ROLLBACK;
        SELECT ENVELOPE('CONFLICT', OBJECT_CONSTRUCT('request_id', :request_id)) INTO :result;
        RETURN result;
    END IF;
    COMMIT;
    SELECT ENVELOPE('OK', OBJECT_CONSTRUCT('actor', :actor, 'product_id', :product_id, 'product_name', :name,
                                           'version', :version))
      INTO :result;
    RETURN result;
EXCEPTION
    WHEN OTHER THEN
        ROLLBACK;
        RAISE;
END;
$$;

GRANT USAGE ON PROCEDURE SIGNOFF.API.SAVE_PRODUCT(VARCHAR, BOOLEAN, NUMBER, VARCHAR, BOOLEAN) TO ROLE SIGNOFF_ADMIN;

CREATE OR REPLACE PROCEDURE SIGNOFF.API.SAVE_PRODUCT(DEFINITION VARCHAR)
RETURNS VARIANT
LANGUAGE SQL
COMMENT = 'Signoff: an admin registers or edits a data product'
EXECUTE AS OWNER
AS
$$
DECLARE
    actor        VARCHAR;
    now_ts       TIMESTAMP_NTZ;
    invalid      VARCHAR;
    chk          VARIANT;
    code         VARCHAR;
    result       VARIANT;
    d            VARIANT;
    request_id   VARCHAR DEFAULT NULL;
    actor_role   VARCHAR DEFAULT 'SIGNOFF_ADMIN';
    is_admin     BOOLEAN DEFAULT FALSE;
    is_new       BOOLEAN;
    base_version NUMBER;
    access_role_owned BOOLEAN DEFAULT FALSE;
    version      NUMBER;
    definition_hash VARCHAR;
    product_id   VARCHAR;
    name         VARCHAR;
    description  VARCHAR;
    owner        VARCHAR;
    owner_role   VARCHAR;
    domain       VARCHAR;
    classification VARCHAR;
    tags         VARCHAR;
    product_columns VARCHAR;
    access_role  VARCHAR;
    durations    VARCHAR;
    pending_days NUMBER;
    fallback_role VARCHAR;
    extension_steps VARCHAR;
    object_name  VARCHAR;
    review_days  NUMBER;
    idle_days    NUMBER;
    step_no      NUMBER;
    step_kind    VARCHAR;
    approver_role VARCHAR;
    step_label   VARCHAR;
    when_tag     VARCHAR;
    quorum       NUMBER;
    deadline_hours NUMBER;
    step_fallback_role VARCHAR;
    rules        RESULTSET;
    audit_lock_missing EXCEPTION (-20002, 'the SIGNOFF.MAIN.AUDIT_LOCK row is missing; run 01_data_model.sql');
    event_id     VARCHAR;
    event_type   VARCHAR;
    ev_step      NUMBER;
    ev_decision  VARCHAR;
    ev_comment   VARCHAR;
    ev_details   VARCHAR;
    ev_seq       NUMBER;
    ev_prev_hash VARCHAR;
    ev_hash      VARCHAR;
    lock_missing EXCEPTION (-20003, 'the SIGNOFF.MAIN.SUBMIT_LOCK row is missing; run 01_data_model.sql');
    new_event_id VARCHAR;
    event_ids    VARCHAR DEFAULT NULL;
    dry_run      BOOLEAN DEFAULT FALSE;
BEGIN
    -- Who is calling: the calling session's user, from Snowflake.
    SELECT IFF(SYS_CONTEXT('SNOWFLAKE$SESSION', 'PRINCIPAL_TYPE') LIKE 'USER%',
               SYS_CONTEXT('SNOWFLAKE$SESSION', 'PRINCIPAL_NAME'), NULL),
           DATE_TRUNC('MICROSECOND', SYSDATE())
      INTO :actor, :now_ts;
    SELECT TRY_PARSE_JSON(:definition), SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 9)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 8)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 7)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 6)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 5)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 4)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 3)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 2)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 1)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 0)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
      INTO :d, :new_event_id;
    -- The definition's fields, as the shared statements bind them.
    SELECT TRIM(GET(:d, 'id')::VARCHAR), TRIM(GET(:d, 'name')::VARCHAR), TRIM(COALESCE(GET(:d, 'description')::VARCHAR, '')),
           TRIM(GET(:d, 'owner')::VARCHAR), TRIM(GET(:d, 'owner_role')::VARCHAR), TRIM(GET(:d, 'domain')::VARCHAR),
           UPPER(TRIM(GET(:d, 'classification')::VARCHAR)), TRIM(GET(:d, 'access_role')::VARCHAR),
           TRIM(COALESCE(GET(:d, 'fallback_role')::VARCHAR, '')), COALESCE(TRY_TO_NUMBER(GET(:d, 'pending_days')::VARCHAR), 0),
           IFF(COALESCE(TRY_TO_BOOLEAN(GET(:d, 'extend_last_step')::VARCHAR), FALSE), 'LAST', 'ALL'),
           UPPER(TRIM(COALESCE(GET(:d, 'source_object')::VARCHAR, ''))),
           COALESCE(TRY_TO_NUMBER(GET(:d, 'review_days')::VARCHAR), 0), COALESCE(TRY_TO_NUMBER(GET(:d, 'idle_days')::VARCHAR), 0)
      INTO :product_id, :name, :description, :owner, :owner_role, :domain, :classification, :access_role,
           :fallback_role, :pending_days, :extension_steps, :object_name, :review_days, :idle_days;
    SELECT CASE
               WHEN :d IS NULL OR TYPEOF(:d) <> 'OBJECT' THEN 'definition'
               WHEN EXISTS (SELECT 1 FROM TABLE(FLATTEN(INPUT => :d)) f
                            WHERE f.key NOT IN ('id', 'name', 'description', 'owner', 'owner_role', 'domain', 'classification', 'tags', 'columns', 'access_role', 'durations', 'pending_days', 'fallback_role', 'extend_last_step', 'source_object', 'review_days', 'idle_days', 'chain')) THEN 'definition'
               WHEN NOT COALESCE(:product_id RLIKE '[a-z0-9][a-z0-9-]{0,63}', FALSE) THEN 'id'
               WHEN COALESCE(LENGTH(:name), 0) = 0 OR LENGTH(:name) > 200 OR BIDI_CONTROLS(:name) > 0 THEN 'name'
               WHEN LENGTH(:description) > 4000 OR BIDI_CONTROLS(:description) > 0 THEN 'description'
               WHEN COALESCE(LENGTH(:owner), 0) = 0 OR LENGTH(:owner) > 200 OR BIDI_CONTROLS(:owner) > 0 THEN 'owner'
               WHEN COALESCE(LENGTH(:domain), 0) = 0 OR LENGTH(:domain) > 200 OR BIDI_CONTROLS(:domain) > 0 THEN 'domain'
               WHEN COALESCE(LENGTH(:classification), 0) = 0 OR LENGTH(:classification) > 64
                    OR BIDI_CONTROLS(:classification) > 0 THEN 'classification'
               WHEN NOT COALESCE(:owner_role RLIKE '[A-Za-z_][A-Za-z0-9_$]{0,254}', FALSE) THEN 'owner_role'
               WHEN NOT COALESCE(:access_role RLIKE '[A-Za-z_][A-Za-z0-9_$]{0,254}', FALSE) OR STARTSWITH(UPPER(:access_role), 'SIGNOFF_')
                    THEN 'access_role'
               WHEN :fallback_role <> '' AND NOT (:fallback_role RLIKE '[A-Za-z_][A-Za-z0-9_$]{0,254}') THEN 'fallback_role'
               WHEN COALESCE(TYPEOF(GET(:d, 'pending_days')), 'INTEGER') NOT IN ('INTEGER', 'DECIMAL')
                    OR TRY_TO_DOUBLE(GET(:d, 'pending_days')::VARCHAR) <> FLOOR(TRY_TO_DOUBLE(GET(:d, 'pending_days')::VARCHAR))
                    OR :pending_days < 0 OR :pending_days > 3650 THEN 'pending_days'
               WHEN COALESCE(TYPEOF(GET(:d, 'review_days')), 'INTEGER') NOT IN ('INTEGER', 'DECIMAL')
                    OR TRY_TO_DOUBLE(GET(:d, 'review_days')::VARCHAR) <> FLOOR(TRY_TO_DOUBLE(GET(:d, 'review_days')::VARCHAR))
                    OR :review_days < 0 OR :review_days > 3650 THEN 'review_days'
               WHEN COALESCE(TYPEOF(GET(:d, 'idle_days')), 'INTEGER') NOT IN ('INTEGER', 'DECIMAL')
                    OR TRY_TO_DOUBLE(GET(:d, 'idle_days')::VARCHAR) <> FLOOR(TRY_TO_DOUBLE(GET(:d, 'idle_days')::VARCHAR))
                    OR :idle_days < 0 OR :idle_days > 3650 THEN 'idle_days'
               WHEN :object_name <> '' AND NOT COALESCE(:object_name RLIKE '[A-Za-z_][A-Za-z0-9_$]{0,254}\\.[A-Za-z_][A-Za-z0-9_$]{0,254}\\.[A-Za-z_][A-Za-z0-9_$]{0,254}', FALSE) THEN 'source_object'
               WHEN COALESCE(TYPEOF(GET(:d, 'tags')), 'ARRAY') <> 'ARRAY' OR ARRAY_SIZE(GET(:d, 'tags')) > 32
                    OR EXISTS (SELECT 1 FROM TABLE(FLATTEN(INPUT => GET(:d, 'tags'))) f
                               WHERE TYPEOF(f.value) <> 'VARCHAR' OR COALESCE(LENGTH(TRIM(f.value::VARCHAR)), 0) NOT BETWEEN 1 AND 64
                                  OR BIDI_CONTROLS(f.value::VARCHAR) > 0) THEN 'tags'
               WHEN COALESCE(TYPEOF(GET(:d, 'columns')), 'ARRAY') <> 'ARRAY' OR ARRAY_SIZE(GET(:d, 'columns')) > 500
                    OR EXISTS (SELECT 1 FROM TABLE(FLATTEN(INPUT => GET(:d, 'columns'))) f
                               WHERE TYPEOF(f.value) <> 'OBJECT' OR COALESCE(LENGTH(f.value:name::VARCHAR), 0) = 0
                                  OR COALESCE(LENGTH(f.value:type::VARCHAR), 0) = 0) THEN 'columns'
               WHEN COALESCE(TYPEOF(GET(:d, 'durations')), 'ARRAY') <> 'ARRAY'
                    OR EXISTS (SELECT 1 FROM TABLE(FLATTEN(INPUT => GET(:d, 'durations'))) f
                               WHERE TYPEOF(f.value) NOT IN ('INTEGER', 'DECIMAL') OR TRY_TO_DOUBLE(f.value::VARCHAR) <> FLOOR(TRY_TO_DOUBLE(f.value::VARCHAR))
                                  OR TRY_TO_DOUBLE(f.value::VARCHAR) NOT BETWEEN 0 AND 3650) THEN 'durations'
               WHEN COALESCE(TYPEOF(GET(:d, 'chain')), '') <> 'ARRAY' OR ARRAY_SIZE(GET(:d, 'chain')) = 0
                    OR ARRAY_SIZE(GET(:d, 'chain')) > 10 THEN 'chain'
               WHEN EXISTS (SELECT 1 FROM TABLE(FLATTEN(INPUT => GET(:d, 'chain'))) f
                            WHERE TYPEOF(f.value) <> 'OBJECT'
                               OR UPPER(COALESCE(f.value:kind::VARCHAR, 'ROLE')) NOT IN ('ROLE', 'OWNER', 'MANAGER')
                               OR (UPPER(COALESCE(f.value:kind::VARCHAR, 'ROLE')) <> 'OWNER'
                                   AND NOT COALESCE(TRIM(f.value:approver_role::VARCHAR) RLIKE '[A-Za-z_][A-Za-z0-9_$]{0,254}', FALSE))
                               OR COALESCE(LENGTH(TRIM(f.value:label::VARCHAR)), 0) NOT BETWEEN 1 AND 200
                               OR BIDI_CONTROLS(f.value:label::VARCHAR) > 0
                               OR LENGTH(f.value:when_tag::VARCHAR) > 64 OR BIDI_CONTROLS(f.value:when_tag::VARCHAR) > 0
                               OR COALESCE(TYPEOF(f.value:quorum), 'INTEGER') NOT IN ('INTEGER', 'DECIMAL')
                               OR TRY_TO_DOUBLE(f.value:quorum::VARCHAR) <> FLOOR(TRY_TO_DOUBLE(f.value:quorum::VARCHAR))
                               OR COALESCE(TRY_TO_NUMBER(f.value:quorum::VARCHAR), 1) NOT BETWEEN 1 AND 5
                               OR (UPPER(COALESCE(f.value:kind::VARCHAR, 'ROLE')) = 'MANAGER'
                                   AND COALESCE(TRY_TO_NUMBER(f.value:quorum::VARCHAR), 1) <> 1)
                               OR COALESCE(TYPEOF(f.value:deadline_hours), 'INTEGER') NOT IN ('INTEGER', 'DECIMAL')
                               OR TRY_TO_DOUBLE(f.value:deadline_hours::VARCHAR) <> FLOOR(TRY_TO_DOUBLE(f.value:deadline_hours::VARCHAR))
                               OR COALESCE(TRY_TO_NUMBER(f.value:deadline_hours::VARCHAR), 0) NOT BETWEEN 0 AND 87600
                               OR (COALESCE(f.value:fallback_role::VARCHAR, '') <> ''
                                   AND NOT (TRIM(f.value:fallback_role::VARCHAR) RLIKE '[A-Za-z_][A-Za-z0-9_$]{0,254}'))) THEN 'chain'
               -- The product's approvals and the chain policy's, however the
               -- product is tagged: no request of it may need more than a
               -- submission records (CHAIN_TOO_LONG).
               WHEN (SELECT SUM(COALESCE(TRY_TO_NUMBER(f.value:quorum::VARCHAR), 1)) FROM TABLE(FLATTEN(INPUT => GET(:d, 'chain'))) f)
                    + (SELECT COALESCE(SUM(COALESCE(quorum, 1)), 0) FROM SIGNOFF.MAIN.CHAIN_POLICY)
                    > 10 THEN 'chain'
               WHEN :event_ids IS NOT NULL AND NOT COALESCE(:event_ids RLIKE '[0-9A-HJKMNP-TV-Z]{26}', FALSE) THEN 'event_ids'
               WHEN :event_ids IS NOT NULL AND ABS(ID_MILLIS(:event_ids) - DATE_PART(EPOCH_MILLISECOND, :now_ts)) > 600000 THEN 'event_ids'
               ELSE ''
           END
      INTO :invalid;
    IF (invalid <> '') THEN
        SELECT ENVELOPE('INVALID', OBJECT_CONSTRUCT('field', :invalid)) INTO :result;
        RETURN result;
    END IF;
    -- Normal forms, as signoff.Definition.Normalize writes them: tags lower
    -- case, sorted, once; durations sorted, once (permanent when none).
    SELECT TO_JSON(COALESCE(ARRAY_AGG(DISTINCT LOWER(TRIM(f.value::VARCHAR)))
                                WITHIN GROUP (ORDER BY LOWER(TRIM(f.value::VARCHAR))), ARRAY_CONSTRUCT()))
      INTO :tags FROM TABLE(FLATTEN(INPUT => GET(:d, 'tags'))) f;
    SELECT TO_JSON(COALESCE(GET(:d, 'columns'), ARRAY_CONSTRUCT())) INTO :product_columns;
    SELECT COALESCE(NULLIF(LISTAGG(DISTINCT f.value::NUMBER, ',') WITHIN GROUP (ORDER BY f.value::NUMBER), ''), '0')
      INTO :durations FROM TABLE(FLATTEN(INPUT => GET(:d, 'durations'))) f;
    SELECT COALESCE(SYS_CONTEXT('SNOWFLAKE$SESSION', 'IS_ROLE_ACTIVATED', 'SIGNOFF_ADMIN') = 'TRUE', FALSE) INTO :is_admin;
    -- GRANT_REQUEST grants the access role as SIGNOFF_OWNER, which must own
    -- it: SHOW GRANTS TO ROLE lists its OWNERSHIP of each role it owns (the
    -- preflight reads the same list), the role's name unquoted for an
    -- unquoted identifier, which the role pattern above requires.
    SHOW GRANTS TO ROLE SIGNOFF_OWNER;
    SELECT COUNT(*) > 0 INTO :access_role_owned FROM TABLE(RESULT_SCAN(LAST_QUERY_ID()))
     WHERE "privilege" = 'OWNERSHIP' AND "granted_on" = 'ROLE' AND REPLACE("name", '"', '') = UPPER(:access_role);
    SELECT COALESCE(:is_new, NOT EXISTS (SELECT 1 FROM SIGNOFF.MAIN.DATA_PRODUCT WHERE PRODUCT_ID = :product_id)),
           COALESCE(:base_version, (SELECT COALESCE(MAX(VERSION), 0) FROM SIGNOFF.MAIN.PRODUCT_VERSION
                                    WHERE PRODUCT_ID = :product_id))
      INTO :is_new, :base_version;
    BEGIN TRANSACTION;
    UPDATE main.submit_lock SET locked_at = :now_ts WHERE lock_id = 1;
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        RAISE lock_missing;
    END IF;
    SELECT OBJECT_CONSTRUCT(*) INTO :chk FROM (WITH p AS (SELECT COUNT(*) AS n FROM main.data_product WHERE product_id = :product_id),
         v AS (SELECT COALESCE(MAX(version), 0) AS version FROM main.product_version WHERE product_id = :product_id)
    SELECT CASE
               WHEN COALESCE(:actor, '') = '' THEN 'IDENTITY_UNAVAILABLE'
               WHEN NOT :is_admin THEN 'NOT_ADMIN'
               WHEN :is_new AND p.n > 0 THEN 'PRODUCT_EXISTS'
               WHEN NOT :is_new AND p.n = 0 THEN 'PRODUCT_NOT_FOUND'
               WHEN p.n > 1 THEN 'DUPLICATE_ID'
               WHEN NOT :is_new AND v.version <> :base_version THEN 'STALE_VERSION'
               WHEN NOT :access_role_owned THEN 'ACCESS_ROLE_NOT_OWNED'
               ELSE 'OK'
           END AS code,
           :actor AS actor, :product_id AS product_id, :name AS product_name, v.version + 1 AS version
    FROM p CROSS JOIN v
    ) q;
    SELECT GET(:chk, 'CODE')::VARCHAR INTO :code;
    IF (COALESCE(code, '') <> 'OK') THEN
        ROLLBACK;
        SELECT ENVELOPE(:code, OBJECT_DELETE(:chk, 'REQUESTER', 'ACCESS_ROLE')) INTO :result;
        RETURN result;
    END IF;
    IF (COALESCE(dry_run, FALSE)) THEN
        ROLLBACK;
        SELECT ENVELOPE('DRY_RUN', :chk) INTO :result;
        RETURN result;
    END IF;
    SELECT GET(:chk, 'VERSION')::NUMBER INTO :version;
    IF (is_new) THEN
        INSERT INTO main.data_product (product_id, name, description, owner, owner_role, domain, classification, tags,
                                   product_columns, access_role, created_at, durations, pending_days, fallback_role,
                                   extension_steps, object_name, review_days, idle_days)
    SELECT :product_id, :name, :description, :owner, :owner_role, :domain, :classification, :tags, :product_columns,
           :access_role, :now_ts, :durations, NULLIF(:pending_days, 0), NULLIF(:fallback_role, ''), :extension_steps,
           NULLIF(:object_name, ''), NULLIF(:review_days, 0), NULLIF(:idle_days, 0)
    WHERE NOT EXISTS (SELECT 1 FROM main.data_product WHERE product_id = :product_id);
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        ROLLBACK;
        SELECT ENVELOPE('CONFLICT', OBJECT_CONSTRUCT('request_id', :request_id)) INTO :result;
        RETURN result;
    END IF;
    ELSE
        UPDATE main.data_product
    SET name = :name, description = :description, owner = :owner, owner_role = :owner_role, domain = :domain,
        classification = :classification, tags = :tags, product_columns = :product_columns,
        access_role = :access_role, durations = :durations, pending_days = NULLIF(:pending_days, 0),
        fallback_role = NULLIF(:fallback_role, ''), extension_steps = :extension_steps,
        object_name = NULLIF(:object_name, ''), review_days = NULLIF(:review_days, 0), idle_days = NULLIF(:idle_days, 0)
    WHERE product_id = :product_id;
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        ROLLBACK;
        SELECT ENVELOPE('CONFLICT', OBJECT_CONSTRUCT('request_id', :request_id)) INTO :result;
        RETURN result;
    END IF;
    END IF;
    DELETE FROM main.approval_chain WHERE product_id = :product_id;
    rules := (SELECT f.index + 1 AS step_no, UPPER(COALESCE(f.value:kind::VARCHAR, 'ROLE')) AS step_kind,
                     IFF(UPPER(COALESCE(f.value:kind::VARCHAR, 'ROLE')) = 'OWNER', :owner_role,
                         TRIM(f.value:approver_role::VARCHAR)) AS approver_role,
                     TRIM(f.value:label::VARCHAR) AS step_label, TRIM(COALESCE(f.value:when_tag::VARCHAR, '')) AS when_tag,
                     COALESCE(f.value:quorum::NUMBER, 1) AS quorum, COALESCE(f.value:deadline_hours::NUMBER, 0) AS deadline_hours,
                     TRIM(COALESCE(f.value:fallback_role::VARCHAR, '')) AS step_fallback_role
              FROM TABLE(FLATTEN(INPUT => GET(:d, 'chain'))) f ORDER BY f.index);
    LET rule_rows CURSOR FOR rules;
    FOR r IN rule_rows DO
        step_no := r.step_no;
        step_kind := r.step_kind;
        approver_role := r.approver_role;
        step_label := r.step_label;
        when_tag := r.when_tag;
        quorum := r.quorum;
        deadline_hours := r.deadline_hours;
        step_fallback_role := r.step_fallback_role;
        INSERT INTO main.approval_chain (product_id, step_order, approver_role, step_label, deadline_hours, fallback_role,
                                     step_kind, when_tag, quorum)
    SELECT :product_id, :step_no, :approver_role, :step_label, NULLIF(:deadline_hours, 0), NULLIF(:step_fallback_role, ''),
           :step_kind, NULLIF(:when_tag, ''), :quorum;
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        ROLLBACK;
        SELECT ENVELOPE('CONFLICT', OBJECT_CONSTRUCT('request_id', :request_id)) INTO :result;
        RETURN result;
    END IF;
    END FOR;
    INSERT INTO main.product_version (product_id, version, saved_at, saved_by, definition, definition_hash, catalog_hash)
    SELECT :product_id, :version, :now_ts, :actor, :definition, SHA2(:definition, 256),
           (SELECT SHA2(cf.fingerprint, 256) FROM (SELECT p.product_id, MAX(CAST(LENGTH(p.name) AS VARCHAR) || ':' || p.name || CAST(LENGTH(p.description) AS VARCHAR) || ':' || p.description || CAST(LENGTH(p.owner) AS VARCHAR) || ':' || p.owner || CAST(LENGTH(p.owner_role) AS VARCHAR) || ':' || p.owner_role || CAST(LENGTH(p.domain) AS VARCHAR) || ':' || p.domain || CAST(LENGTH(p.classification) AS VARCHAR) || ':' || p.classification || CAST(LENGTH(p.tags) AS VARCHAR) || ':' || p.tags || CAST(LENGTH(p.product_columns) AS VARCHAR) || ':' || p.product_columns || CAST(LENGTH(p.access_role) AS VARCHAR) || ':' || p.access_role || CAST(LENGTH(p.durations) AS VARCHAR) || ':' || p.durations || CAST(LENGTH(CAST(COALESCE(p.pending_days, 0) AS VARCHAR)) AS VARCHAR) || ':' || CAST(COALESCE(p.pending_days, 0) AS VARCHAR) || CAST(LENGTH(COALESCE(p.fallback_role, '')) AS VARCHAR) || ':' || COALESCE(p.fallback_role, '') || CAST(LENGTH(p.extension_steps) AS VARCHAR) || ':' || p.extension_steps || CAST(LENGTH(COALESCE(p.object_name, '')) AS VARCHAR) || ':' || COALESCE(p.object_name, '') || CAST(LENGTH(CAST(COALESCE(p.review_days, 0) AS VARCHAR)) AS VARCHAR) || ':' || CAST(COALESCE(p.review_days, 0) AS VARCHAR) || CAST(LENGTH(CAST(COALESCE(p.idle_days, 0) AS VARCHAR)) AS VARCHAR) || ':' || CAST(COALESCE(p.idle_days, 0) AS VARCHAR)) || '|' || CAST(COUNT(c.step_order) AS VARCHAR) || '|' ||
           COALESCE(MAX(CASE WHEN c.step_order = 1 THEN CAST(LENGTH(c.approver_role) AS VARCHAR) || ':' || c.approver_role || CAST(LENGTH(c.step_label) AS VARCHAR) || ':' || c.step_label || CAST(LENGTH(CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR)) AS VARCHAR) || ':' || CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR) || CAST(LENGTH(COALESCE(c.fallback_role, '')) AS VARCHAR) || ':' || COALESCE(c.fallback_role, '') || CAST(LENGTH(c.step_kind) AS VARCHAR) || ':' || c.step_kind || CAST(LENGTH(COALESCE(c.when_tag, '')) AS VARCHAR) || ':' || COALESCE(c.when_tag, '') || CAST(LENGTH(CAST(c.quorum AS VARCHAR)) AS VARCHAR) || ':' || CAST(c.quorum AS VARCHAR) END), '') ||
           COALESCE(MAX(CASE WHEN c.step_order = 2 THEN CAST(LENGTH(c.approver_role) AS VARCHAR) || ':' || c.approver_role || CAST(LENGTH(c.step_label) AS VARCHAR) || ':' || c.step_label || CAST(LENGTH(CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR)) AS VARCHAR) || ':' || CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR) || CAST(LENGTH(COALESCE(c.fallback_role, '')) AS VARCHAR) || ':' || COALESCE(c.fallback_role, '') || CAST(LENGTH(c.step_kind) AS VARCHAR) || ':' || c.step_kind || CAST(LENGTH(COALESCE(c.when_tag, '')) AS VARCHAR) || ':' || COALESCE(c.when_tag, '') || CAST(LENGTH(CAST(c.quorum AS VARCHAR)) AS VARCHAR) || ':' || CAST(c.quorum AS VARCHAR) END), '') ||
           COALESCE(MAX(CASE WHEN c.step_order = 3 THEN CAST(LENGTH(c.approver_role) AS VARCHAR) || ':' || c.approver_role || CAST(LENGTH(c.step_label) AS VARCHAR) || ':' || c.step_label || CAST(LENGTH(CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR)) AS VARCHAR) || ':' || CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR) || CAST(LENGTH(COALESCE(c.fallback_role, '')) AS VARCHAR) || ':' || COALESCE(c.fallback_role, '') || CAST(LENGTH(c.step_kind) AS VARCHAR) || ':' || c.step_kind || CAST(LENGTH(COALESCE(c.when_tag, '')) AS VARCHAR) || ':' || COALESCE(c.when_tag, '') || CAST(LENGTH(CAST(c.quorum AS VARCHAR)) AS VARCHAR) || ':' || CAST(c.quorum AS VARCHAR) END), '') ||
           COALESCE(MAX(CASE WHEN c.step_order = 4 THEN CAST(LENGTH(c.approver_role) AS VARCHAR) || ':' || c.approver_role || CAST(LENGTH(c.step_label) AS VARCHAR) || ':' || c.step_label || CAST(LENGTH(CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR)) AS VARCHAR) || ':' || CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR) || CAST(LENGTH(COALESCE(c.fallback_role, '')) AS VARCHAR) || ':' || COALESCE(c.fallback_role, '') || CAST(LENGTH(c.step_kind) AS VARCHAR) || ':' || c.step_kind || CAST(LENGTH(COALESCE(c.when_tag, '')) AS VARCHAR) || ':' || COALESCE(c.when_tag, '') || CAST(LENGTH(CAST(c.quorum AS VARCHAR)) AS VARCHAR) || ':' || CAST(c.quorum AS VARCHAR) END), '') ||
           COALESCE(MAX(CASE WHEN c.step_order = 5 THEN CAST(LENGTH(c.approver_role) AS VARCHAR) || ':' || c.approver_role || CAST(LENGTH(c.step_label) AS VARCHAR) || ':' || c.step_label || CAST(LENGTH(CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR)) AS VARCHAR) || ':' || CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR) || CAST(LENGTH(COALESCE(c.fallback_role, '')) AS VARCHAR) || ':' || COALESCE(c.fallback_role, '') || CAST(LENGTH(c.step_kind) AS VARCHAR) || ':' || c.step_kind || CAST(LENGTH(COALESCE(c.when_tag, '')) AS VARCHAR) || ':' || COALESCE(c.when_tag, '') || CAST(LENGTH(CAST(c.quorum AS VARCHAR)) AS VARCHAR) || ':' || CAST(c.quorum AS VARCHAR) END), '') ||
           COALESCE(MAX(CASE WHEN c.step_order = 6 THEN CAST(LENGTH(c.approver_role) AS VARCHAR) || ':' || c.approver_role || CAST(LENGTH(c.step_label) AS VARCHAR) || ':' || c.step_label || CAST(LENGTH(CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR)) AS VARCHAR) || ':' || CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR) || CAST(LENGTH(COALESCE(c.fallback_role, '')) AS VARCHAR) || ':' || COALESCE(c.fallback_role, '') || CAST(LENGTH(c.step_kind) AS VARCHAR) || ':' || c.step_kind || CAST(LENGTH(COALESCE(c.when_tag, '')) AS VARCHAR) || ':' || COALESCE(c.when_tag, '') || CAST(LENGTH(CAST(c.quorum AS VARCHAR)) AS VARCHAR) || ':' || CAST(c.quorum AS VARCHAR) END), '') ||
           COALESCE(MAX(CASE WHEN c.step_order = 7 THEN CAST(LENGTH(c.approver_role) AS VARCHAR) || ':' || c.approver_role || CAST(LENGTH(c.step_label) AS VARCHAR) || ':' || c.step_label || CAST(LENGTH(CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR)) AS VARCHAR) || ':' || CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR) || CAST(LENGTH(COALESCE(c.fallback_role, '')) AS VARCHAR) || ':' || COALESCE(c.fallback_role, '') || CAST(LENGTH(c.step_kind) AS VARCHAR) || ':' || c.step_kind || CAST(LENGTH(COALESCE(c.when_tag, '')) AS VARCHAR) || ':' || COALESCE(c.when_tag, '') || CAST(LENGTH(CAST(c.quorum AS VARCHAR)) AS VARCHAR) || ':' || CAST(c.quorum AS VARCHAR) END), '') ||
           COALESCE(MAX(CASE WHEN c.step_order = 8 THEN CAST(LENGTH(c.approver_role) AS VARCHAR) || ':' || c.approver_role || CAST(LENGTH(c.step_label) AS VARCHAR) || ':' || c.step_label || CAST(LENGTH(CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR)) AS VARCHAR) || ':' || CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR) || CAST(LENGTH(COALESCE(c.fallback_role, '')) AS VARCHAR) || ':' || COALESCE(c.fallback_role, '') || CAST(LENGTH(c.step_kind) AS VARCHAR) || ':' || c.step_kind || CAST(LENGTH(COALESCE(c.when_tag, '')) AS VARCHAR) || ':' || COALESCE(c.when_tag, '') || CAST(LENGTH(CAST(c.quorum AS VARCHAR)) AS VARCHAR) || ':' || CAST(c.quorum AS VARCHAR) END), '') ||
           COALESCE(MAX(CASE WHEN c.step_order = 9 THEN CAST(LENGTH(c.approver_role) AS VARCHAR) || ':' || c.approver_role || CAST(LENGTH(c.step_label) AS VARCHAR) || ':' || c.step_label || CAST(LENGTH(CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR)) AS VARCHAR) || ':' || CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR) || CAST(LENGTH(COALESCE(c.fallback_role, '')) AS VARCHAR) || ':' || COALESCE(c.fallback_role, '') || CAST(LENGTH(c.step_kind) AS VARCHAR) || ':' || c.step_kind || CAST(LENGTH(COALESCE(c.when_tag, '')) AS VARCHAR) || ':' || COALESCE(c.when_tag, '') || CAST(LENGTH(CAST(c.quorum AS VARCHAR)) AS VARCHAR) || ':' || CAST(c.quorum AS VARCHAR) END), '') ||
           COALESCE(MAX(CASE WHEN c.step_order = 10 THEN CAST(LENGTH(c.approver_role) AS VARCHAR) || ':' || c.approver_role || CAST(LENGTH(c.step_label) AS VARCHAR) || ':' || c.step_label || CAST(LENGTH(CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR)) AS VARCHAR) || ':' || CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR) || CAST(LENGTH(COALESCE(c.fallback_role, '')) AS VARCHAR) || ':' || COALESCE(c.fallback_role, '') || CAST(LENGTH(c.step_kind) AS VARCHAR) || ':' || c.step_kind || CAST(LENGTH(COALESCE(c.when_tag, '')) AS VARCHAR) || ':' || COALESCE(c.when_tag, '') || CAST(LENGTH(CAST(c.quorum AS VARCHAR)) AS VARCHAR) || ':' || CAST(c.quorum AS VARCHAR) END), '') AS fingerprint
    FROM main.data_product p LEFT JOIN main.approval_chain c ON c.product_id = p.product_id
    GROUP BY p.product_id) cf WHERE cf.product_id = :product_id)
    WHERE NOT EXISTS (SELECT 1 FROM main.product_version WHERE product_id = :product_id AND version = :version);
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        ROLLBACK;
        SELECT ENVELOPE('CONFLICT', OBJECT_CONSTRUCT('request_id', :request_id)) INTO :result;
        RETURN result;
    END IF;
    SELECT q.details INTO :definition_hash FROM (SELECT MAX('version=' || CAST(version AS VARCHAR) || ';sha256=' || definition_hash || ';catalog=' || catalog_hash) AS details FROM main.product_version
    WHERE product_id = :product_id AND version = :version
    ) q;
    -- Audit event PRODUCT_SAVED, appended at the head of the ledger, under the
    -- audit lock (taken last, so that locks are always taken in one order).
    SELECT COALESCE(SPLIT_PART(:event_ids, ',', 1), :new_event_id), 'PRODUCT_SAVED', 0, '', '', :definition_hash
      INTO :event_id, :event_type, :ev_step, :ev_decision, :ev_comment, :ev_details;
    UPDATE main.audit_lock SET locked_at = :now_ts WHERE lock_id = 1;
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        RAISE audit_lock_missing;
    END IF;
    SELECT h.ev_seq + 1, h.ev_prev_hash INTO :ev_seq, :ev_prev_hash FROM (SELECT COALESCE((SELECT MAX(seq) FROM main.audit_log), 0) AS ev_seq,
           COALESCE((SELECT hash FROM main.audit_log ORDER BY seq DESC LIMIT 1), '') AS ev_prev_hash
    ) h;
    SELECT AUDIT_HASH(:ev_prev_hash, :event_id, :now_ts, :request_id, NULLIF(:product_id, ''), :actor,
                      NULLIF(:actor_role, ''), :event_type, NULLIF(:ev_step, 0), NULLIF(:ev_decision, ''),
                      NULLIF(:ev_comment, ''), NULLIF(:ev_details, ''), :ev_seq)
      INTO :ev_hash;
    INSERT INTO main.audit_log (event_id, event_time, request_id, product_id, actor, actor_role, event_type,
                                step_order, decision, comment, details, seq, prev_hash, hash)
    SELECT :event_id, :now_ts, NULLIF(:request_id, ''), NULLIF(:product_id, ''), :actor, NULLIF(:actor_role, ''), :event_type,
           NULLIF(:ev_step, 0), NULLIF(:ev_decision, ''), NULLIF(:ev_comment, ''), NULLIF(:ev_details, ''),
           :ev_seq, :ev_prev_hash, :ev_hash
    WHERE NOT EXISTS (SELECT 1 FROM main.audit_log WHERE seq >= :ev_seq)
      AND NOT EXISTS (SELECT 1 FROM main.audit_log WHERE event_id = :event_id);
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        ROLLBACK;
        SELECT ENVELOPE('CONFLICT', OBJECT_CONSTRUCT('request_id', :request_id)) INTO :result;
        RETURN result;
    END IF;
    COMMIT;
    SELECT ENVELOPE('OK', OBJECT_CONSTRUCT('actor', :actor, 'product_id', :product_id, 'product_name', :name,
                                           'version', :version))
      INTO :result;
    RETURN result;
EXCEPTION
    WHEN OTHER THEN
        ROLLBACK;
        RAISE;
END;
$$;

GRANT USAGE ON PROCEDURE SIGNOFF.API.SAVE_PRODUCT(VARCHAR) TO ROLE SIGNOFF_ADMIN;

CREATE OR REPLACE PROCEDURE SIGNOFF.API.SET_CHAIN(FOR_PRODUCT VARCHAR, RULES_JSON VARCHAR)
RETURNS VARIANT
LANGUAGE SQL
COMMENT = 'Signoff: an admin replaces a data product''s chain rules'
EXECUTE AS OWNER
AS
$$
DECLARE
    actor        VARCHAR;
    now_ts       TIMESTAMP_NTZ;
    invalid      VARCHAR;
    chk          VARIANT;
    code         VARCHAR;
    result       VARIANT;
    d            VARIANT;
    request_id   VARCHAR DEFAULT NULL;
    actor_role   VARCHAR DEFAULT 'SIGNOFF_ADMIN';
    is_admin     BOOLEAN DEFAULT FALSE;
    is_new       BOOLEAN;
    base_version NUMBER;
    access_role_owned BOOLEAN DEFAULT FALSE;
    version      NUMBER;
    definition_hash VARCHAR;
    product_id   VARCHAR;
    name         VARCHAR;
    description  VARCHAR;
    owner        VARCHAR;
    owner_role   VARCHAR;
    domain       VARCHAR;
    classification VARCHAR;
    tags         VARCHAR;
    product_columns VARCHAR;
    access_role  VARCHAR;
    durations    VARCHAR;
    pending_days NUMBER;
    fallback_role VARCHAR;
    extension_steps VARCHAR;
    object_name  VARCHAR;
    review_days  NUMBER;
    idle_days    NUMBER;
    step_no      NUMBER;
    step_kind    VARCHAR;
    approver_role VARCHAR;
    step_label   VARCHAR;
    when_tag     VARCHAR;
    quorum       NUMBER;
    deadline_hours NUMBER;
    step_fallback_role VARCHAR;
    rules        RESULTSET;
    audit_lock_missing EXCEPTION (-20002, 'the SIGNOFF.MAIN.AUDIT_LOCK row is missing; run 01_data_model.sql');
    event_id     VARCHAR;
    event_type   VARCHAR;
    ev_step      NUMBER;
    ev_decision  VARCHAR;
    ev_comment   VARCHAR;
    ev_details   VARCHAR;
    ev_seq       NUMBER;
    ev_prev_hash VARCHAR;
    ev_hash      VARCHAR;
    lock_missing EXCEPTION (-20003, 'the SIGNOFF.MAIN.SUBMIT_LOCK row is missing; run 01_data_model.sql');
    new_event_id VARCHAR;
    event_ids    VARCHAR DEFAULT NULL;
    dry_run      BOOLEAN DEFAULT FALSE;
    definition   VARCHAR;
BEGIN
    -- Who is calling: the calling session's user, from Snowflake.
    SELECT IFF(SYS_CONTEXT('SNOWFLAKE$SESSION', 'PRINCIPAL_TYPE') LIKE 'USER%',
               SYS_CONTEXT('SNOWFLAKE$SESSION', 'PRINCIPAL_NAME'), NULL),
           DATE_TRUNC('MICROSECOND', SYSDATE())
      INTO :actor, :now_ts;
    -- The current definition: the last version saved, or (a product
    -- installed before versions) the catalog row's.
    SELECT COALESCE(
               (SELECT TRY_PARSE_JSON(DEFINITION) FROM SIGNOFF.MAIN.PRODUCT_VERSION WHERE PRODUCT_ID = :for_product
                ORDER BY VERSION DESC LIMIT 1),
               (SELECT OBJECT_CONSTRUCT('id', PRODUCT_ID, 'name', NAME, 'description', DESCRIPTION, 'owner', OWNER,
                                        'owner_role', OWNER_ROLE, 'domain', DOMAIN, 'classification', CLASSIFICATION,
                                        'tags', TRY_PARSE_JSON(TAGS), 'columns', TRY_PARSE_JSON(PRODUCT_COLUMNS),
                                        'access_role', ACCESS_ROLE,
                                        'durations', TRANSFORM(SPLIT(DURATIONS, ','), x VARIANT -> TO_NUMBER(x::VARCHAR)),
                                        'pending_days', COALESCE(PENDING_DAYS, 0), 'fallback_role', COALESCE(FALLBACK_ROLE, ''),
                                        'extend_last_step', EXTENSION_STEPS = 'LAST',
                                        'source_object', COALESCE(OBJECT_NAME, ''), 'review_days', COALESCE(REVIEW_DAYS, 0),
                                        'idle_days', COALESCE(IDLE_DAYS, 0))
                FROM SIGNOFF.MAIN.DATA_PRODUCT WHERE PRODUCT_ID = :for_product LIMIT 1)),
           SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 9)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 8)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 7)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 6)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 5)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 4)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 3)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 2)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 1)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 0)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
      INTO :d, :new_event_id;
    IF (d IS NULL) THEN
        SELECT ENVELOPE('PRODUCT_NOT_FOUND', OBJECT_CONSTRUCT('product_id', :for_product)) INTO :result;
        RETURN result;
    END IF;
    SELECT OBJECT_INSERT(:d, 'chain', TRY_PARSE_JSON(:rules_json), TRUE), FALSE INTO :d, :is_new;
    SELECT TO_JSON(:d) INTO :definition;
    -- The definition's fields, as the shared statements bind them.
    SELECT TRIM(GET(:d, 'id')::VARCHAR), TRIM(GET(:d, 'name')::VARCHAR), TRIM(COALESCE(GET(:d, 'description')::VARCHAR, '')),
           TRIM(GET(:d, 'owner')::VARCHAR), TRIM(GET(:d, 'owner_role')::VARCHAR), TRIM(GET(:d, 'domain')::VARCHAR),
           UPPER(TRIM(GET(:d, 'classification')::VARCHAR)), TRIM(GET(:d, 'access_role')::VARCHAR),
           TRIM(COALESCE(GET(:d, 'fallback_role')::VARCHAR, '')), COALESCE(TRY_TO_NUMBER(GET(:d, 'pending_days')::VARCHAR), 0),
           IFF(COALESCE(TRY_TO_BOOLEAN(GET(:d, 'extend_last_step')::VARCHAR), FALSE), 'LAST', 'ALL'),
           UPPER(TRIM(COALESCE(GET(:d, 'source_object')::VARCHAR, ''))),
           COALESCE(TRY_TO_NUMBER(GET(:d, 'review_days')::VARCHAR), 0), COALESCE(TRY_TO_NUMBER(GET(:d, 'idle_days')::VARCHAR), 0)
      INTO :product_id, :name, :description, :owner, :owner_role, :domain, :classification, :access_role,
           :fallback_role, :pending_days, :extension_steps, :object_name, :review_days, :idle_days;
    SELECT CASE
               WHEN :d IS NULL OR TYPEOF(:d) <> 'OBJECT' THEN 'definition'
               WHEN EXISTS (SELECT 1 FROM TABLE(FLATTEN(INPUT => :d)) f
                            WHERE f.key NOT IN ('id', 'name', 'description', 'owner', 'owner_role', 'domain', 'classification', 'tags', 'columns', 'access_role', 'durations', 'pending_days', 'fallback_role', 'extend_last_step', 'source_object', 'review_days', 'idle_days', 'chain')) THEN 'definition'
               WHEN NOT COALESCE(:product_id RLIKE '[a-z0-9][a-z0-9-]{0,63}', FALSE) THEN 'id'
               WHEN COALESCE(LENGTH(:name), 0) = 0 OR LENGTH(:name) > 200 OR BIDI_CONTROLS(:name) > 0 THEN 'name'
               WHEN LENGTH(:description) > 4000 OR BIDI_CONTROLS(:description) > 0 THEN 'description'
               WHEN COALESCE(LENGTH(:owner), 0) = 0 OR LENGTH(:owner) > 200 OR BIDI_CONTROLS(:owner) > 0 THEN 'owner'
               WHEN COALESCE(LENGTH(:domain), 0) = 0 OR LENGTH(:domain) > 200 OR BIDI_CONTROLS(:domain) > 0 THEN 'domain'
               WHEN COALESCE(LENGTH(:classification), 0) = 0 OR LENGTH(:classification) > 64
                    OR BIDI_CONTROLS(:classification) > 0 THEN 'classification'
               WHEN NOT COALESCE(:owner_role RLIKE '[A-Za-z_][A-Za-z0-9_$]{0,254}', FALSE) THEN 'owner_role'
               WHEN NOT COALESCE(:access_role RLIKE '[A-Za-z_][A-Za-z0-9_$]{0,254}', FALSE) OR STARTSWITH(UPPER(:access_role), 'SIGNOFF_')
                    THEN 'access_role'
               WHEN :fallback_role <> '' AND NOT (:fallback_role RLIKE '[A-Za-z_][A-Za-z0-9_$]{0,254}') THEN 'fallback_role'
               WHEN COALESCE(TYPEOF(GET(:d, 'pending_days')), 'INTEGER') NOT IN ('INTEGER', 'DECIMAL')
                    OR TRY_TO_DOUBLE(GET(:d, 'pending_days')::VARCHAR) <> FLOOR(TRY_TO_DOUBLE(GET(:d, 'pending_days')::VARCHAR))
                    OR :pending_days < 0 OR :pending_days > 3650 THEN 'pending_days'
               WHEN COALESCE(TYPEOF(GET(:d, 'review_days')), 'INTEGER') NOT IN ('INTEGER', 'DECIMAL')
                    OR TRY_TO_DOUBLE(GET(:d, 'review_days')::VARCHAR) <> FLOOR(TRY_TO_DOUBLE(GET(:d, 'review_days')::VARCHAR))
                    OR :review_days < 0 OR :review_days > 3650 THEN 'review_days'
               WHEN COALESCE(TYPEOF(GET(:d, 'idle_days')), 'INTEGER') NOT IN ('INTEGER', 'DECIMAL')
                    OR TRY_TO_DOUBLE(GET(:d, 'idle_days')::VARCHAR) <> FLOOR(TRY_TO_DOUBLE(GET(:d, 'idle_days')::VARCHAR))
                    OR :idle_days < 0 OR :idle_days > 3650 THEN 'idle_days'
               WHEN :object_name <> '' AND NOT COALESCE(:object_name RLIKE '[A-Za-z_][A-Za-z0-9_$]{0,254}\\.[A-Za-z_][A-Za-z0-9_$]{0,254}\\.[A-Za-z_][A-Za-z0-9_$]{0,254}', FALSE) THEN 'source_object'
               WHEN COALESCE(TYPEOF(GET(:d, 'tags')), 'ARRAY') <> 'ARRAY' OR ARRAY_SIZE(GET(:d, 'tags')) > 32
                    OR EXISTS (SELECT 1 FROM TABLE(FLATTEN(INPUT => GET(:d, 'tags'))) f
                               WHERE TYPEOF(f.value) <> 'VARCHAR' OR COALESCE(LENGTH(TRIM(f.value::VARCHAR)), 0) NOT BETWEEN 1 AND 64
                                  OR BIDI_CONTROLS(f.value::VARCHAR) > 0) THEN 'tags'
               WHEN COALESCE(TYPEOF(GET(:d, 'columns')), 'ARRAY') <> 'ARRAY' OR ARRAY_SIZE(GET(:d, 'columns')) > 500
                    OR EXISTS (SELECT 1 FROM TABLE(FLATTEN(INPUT => GET(:d, 'columns'))) f
                               WHERE TYPEOF(f.value) <> 'OBJECT' OR COALESCE(LENGTH(f.value:name::VARCHAR), 0) = 0
                                  OR COALESCE(LENGTH(f.value:type::VARCHAR), 0) = 0) THEN 'columns'
               WHEN COALESCE(TYPEOF(GET(:d, 'durations')), 'ARRAY') <> 'ARRAY'
                    OR EXISTS (SELECT 1 FROM TABLE(FLATTEN(INPUT => GET(:d, 'durations'))) f
                               WHERE TYPEOF(f.value) NOT IN ('INTEGER', 'DECIMAL') OR TRY_TO_DOUBLE(f.value::VARCHAR) <> FLOOR(TRY_TO_DOUBLE(f.value::VARCHAR))
                                  OR TRY_TO_DOUBLE(f.value::VARCHAR) NOT BETWEEN 0 AND 3650) THEN 'durations'
               WHEN COALESCE(TYPEOF(GET(:d, 'chain')), '') <> 'ARRAY' OR ARRAY_SIZE(GET(:d, 'chain')) = 0
                    OR ARRAY_SIZE(GET(:d, 'chain')) > 10 THEN 'chain'
               WHEN EXISTS (SELECT 1 FROM TABLE(FLATTEN(INPUT => GET(:d, 'chain'))) f
                            WHERE TYPEOF(f.value) <> 'OBJECT'
                               OR UPPER(COALESCE(f.value:kind::VARCHAR, 'ROLE')) NOT IN ('ROLE', 'OWNER', 'MANAGER')
                               OR (UPPER(COALESCE(f.value:kind::VARCHAR, 'ROLE')) <> 'OWNER'
                                   AND NOT COALESCE(TRIM(f.value:approver_role::VARCHAR) RLIKE '[A-Za-z_][A-Za-z0-9_$]{0,254}', FALSE))
                               OR COALESCE(LENGTH(TRIM(f.value:label::VARCHAR)), 0) NOT BETWEEN 1 AND 200
                               OR BIDI_CONTROLS(f.value:label::VARCHAR) > 0
                               OR LENGTH(f.value:when_tag::VARCHAR) > 64 OR BIDI_CONTROLS(f.value:when_tag::VARCHAR) > 0
                               OR COALESCE(TYPEOF(f.value:quorum), 'INTEGER') NOT IN ('INTEGER', 'DECIMAL')
                               OR TRY_TO_DOUBLE(f.value:quorum::VARCHAR) <> FLOOR(TRY_TO_DOUBLE(f.value:quorum::VARCHAR))
                               OR COALESCE(TRY_TO_NUMBER(f.value:quorum::VARCHAR), 1) NOT BETWEEN 1 AND 5
                               OR (UPPER(COALESCE(f.value:kind::VARCHAR, 'ROLE')) = 'MANAGER'
                                   AND COALESCE(TRY_TO_NUMBER(f.value:quorum::VARCHAR), 1) <> 1)
                               OR COALESCE(TYPEOF(f.value:deadline_hours), 'INTEGER') NOT IN ('INTEGER', 'DECIMAL')
                               OR TRY_TO_DOUBLE(f.value:deadline_hours::VARCHAR) <> FLOOR(TRY_TO_DOUBLE(f.value:deadline_hours::VARCHAR))
                               OR COALESCE(TRY_TO_NUMBER(f.value:deadline_hours::VARCHAR), 0) NOT BETWEEN 0 AND 87600
                               OR (COALESCE(f.value:fallback_role::VARCHAR, '') <> ''
                                   AND NOT (TRIM(f.value:fallback_role::VARCHAR) RLIKE '[A-Za-z_][A-Za-z0-9_$]{0,254}'))) THEN 'chain'
               -- The product's approvals and the chain policy's, however the
               -- product is tagged: no request of it may need more than a
               -- submission records (CHAIN_TOO_LONG).
               WHEN (SELECT SUM(COALESCE(TRY_TO_NUMBER(f.value:quorum::VARCHAR), 1)) FROM TABLE(FLATTEN(INPUT => GET(:d, 'chain'))) f)
                    + (SELECT COALESCE(SUM(COALESCE(quorum, 1)), 0) FROM SIGNOFF.MAIN.CHAIN_POLICY)
                    > 10 THEN 'chain'
               WHEN :event_ids IS NOT NULL AND NOT COALESCE(:event_ids RLIKE '[0-9A-HJKMNP-TV-Z]{26}', FALSE) THEN 'event_ids'
               WHEN :event_ids IS NOT NULL AND ABS(ID_MILLIS(:event_ids) - DATE_PART(EPOCH_MILLISECOND, :now_ts)) > 600000 THEN 'event_ids'
               ELSE ''
           END
      INTO :invalid;
    IF (invalid <> '') THEN
        SELECT ENVELOPE('INVALID', OBJECT_CONSTRUCT('field', :invalid)) INTO :result;
        RETURN result;
    END IF;
    -- Normal forms, as signoff.Definition.Normalize writes them: tags lower
    -- case, sorted, once; durations sorted, once (permanent when none).
    SELECT TO_JSON(COALESCE(ARRAY_AGG(DISTINCT LOWER(TRIM(f.value::VARCHAR)))
                                WITHIN GROUP (ORDER BY LOWER(TRIM(f.value::VARCHAR))), ARRAY_CONSTRUCT()))
      INTO :tags FROM TABLE(FLATTEN(INPUT => GET(:d, 'tags'))) f;
    SELECT TO_JSON(COALESCE(GET(:d, 'columns'), ARRAY_CONSTRUCT())) INTO :product_columns;
    SELECT COALESCE(NULLIF(LISTAGG(DISTINCT f.value::NUMBER, ',') WITHIN GROUP (ORDER BY f.value::NUMBER), ''), '0')
      INTO :durations FROM TABLE(FLATTEN(INPUT => GET(:d, 'durations'))) f;
    SELECT COALESCE(SYS_CONTEXT('SNOWFLAKE$SESSION', 'IS_ROLE_ACTIVATED', 'SIGNOFF_ADMIN') = 'TRUE', FALSE) INTO :is_admin;
    -- GRANT_REQUEST grants the access role as SIGNOFF_OWNER, which must own
    -- it: SHOW GRANTS TO ROLE lists its OWNERSHIP of each role it owns (the
    -- preflight reads the same list), the role's name unquoted for an
    -- unquoted identifier, which the role pattern above requires.
    SHOW GRANTS TO ROLE SIGNOFF_OWNER;
    SELECT COUNT(*) > 0 INTO :access_role_owned FROM TABLE(RESULT_SCAN(LAST_QUERY_ID()))
     WHERE "privilege" = 'OWNERSHIP' AND "granted_on" = 'ROLE' AND REPLACE("name", '"', '') = UPPER(:access_role);
    SELECT COALESCE(:is_new, NOT EXISTS (SELECT 1 FROM SIGNOFF.MAIN.DATA_PRODUCT WHERE PRODUCT_ID = :product_id)),
           COALESCE(:base_version, (SELECT COALESCE(MAX(VERSION), 0) FROM SIGNOFF.MAIN.PRODUCT_VERSION
                                    WHERE PRODUCT_ID = :product_id))
      INTO :is_new, :base_version;
    BEGIN TRANSACTION;
    UPDATE main.submit_lock SET locked_at = :now_ts WHERE lock_id = 1;
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        RAISE lock_missing;
    END IF;
    SELECT OBJECT_CONSTRUCT(*) INTO :chk FROM (WITH p AS (SELECT COUNT(*) AS n FROM main.data_product WHERE product_id = :product_id),
         v AS (SELECT COALESCE(MAX(version), 0) AS version FROM main.product_version WHERE product_id = :product_id)
    SELECT CASE
               WHEN COALESCE(:actor, '') = '' THEN 'IDENTITY_UNAVAILABLE'
               WHEN NOT :is_admin THEN 'NOT_ADMIN'
               WHEN :is_new AND p.n > 0 THEN 'PRODUCT_EXISTS'
               WHEN NOT :is_new AND p.n = 0 THEN 'PRODUCT_NOT_FOUND'
               WHEN p.n > 1 THEN 'DUPLICATE_ID'
               WHEN NOT :is_new AND v.version <> :base_version THEN 'STALE_VERSION'
               WHEN NOT :access_role_owned THEN 'ACCESS_ROLE_NOT_OWNED'
               ELSE 'OK'
           END AS code,
           :actor AS actor, :product_id AS product_id, :name AS product_name, v.version + 1 AS version
    FROM p CROSS JOIN v
    ) q;
    SELECT GET(:chk, 'CODE')::VARCHAR INTO :code;
    IF (COALESCE(code, '') <> 'OK') THEN
        ROLLBACK;
        SELECT ENVELOPE(:code, OBJECT_DELETE(:chk, 'REQUESTER', 'ACCESS_ROLE')) INTO :result;
        RETURN result;
    END IF;
    IF (COALESCE(dry_run, FALSE)) THEN
        ROLLBACK;
        SELECT ENVELOPE('DRY_RUN', :chk) INTO :result;
        RETURN result;
    END IF;
    SELECT GET(:chk, 'VERSION')::NUMBER INTO :version;
    IF (is_new) THEN
        INSERT INTO main.data_product (product_id, name, description, owner, owner_role, domain, classification, tags,
                                   product_columns, access_role, created_at, durations, pending_days, fallback_role,
                                   extension_steps, object_name, review_days, idle_days)
    SELECT :product_id, :name, :description, :owner, :owner_role, :domain, :classification, :tags, :product_columns,
           :access_role, :now_ts, :durations, NULLIF(:pending_days, 0), NULLIF(:fallback_role, ''), :extension_steps,
           NULLIF(:object_name, ''), NULLIF(:review_days, 0), NULLIF(:idle_days, 0)
    WHERE NOT EXISTS (SELECT 1 FROM main.data_product WHERE product_id = :product_id);
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        ROLLBACK;
        SELECT ENVELOPE('CONFLICT', OBJECT_CONSTRUCT('request_id', :request_id)) INTO :result;
        RETURN result;
    END IF;
    ELSE
        UPDATE main.data_product
    SET name = :name, description = :description, owner = :owner, owner_role = :owner_role, domain = :domain,
        classification = :classification, tags = :tags, product_columns = :product_columns,
        access_role = :access_role, durations = :durations, pending_days = NULLIF(:pending_days, 0),
        fallback_role = NULLIF(:fallback_role, ''), extension_steps = :extension_steps,
        object_name = NULLIF(:object_name, ''), review_days = NULLIF(:review_days, 0), idle_days = NULLIF(:idle_days, 0)
    WHERE product_id = :product_id;
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        ROLLBACK;
        SELECT ENVELOPE('CONFLICT', OBJECT_CONSTRUCT('request_id', :request_id)) INTO :result;
        RETURN result;
    END IF;
    END IF;
    DELETE FROM main.approval_chain WHERE product_id = :product_id;
    rules := (SELECT f.index + 1 AS step_no, UPPER(COALESCE(f.value:kind::VARCHAR, 'ROLE')) AS step_kind,
                     IFF(UPPER(COALESCE(f.value:kind::VARCHAR, 'ROLE')) = 'OWNER', :owner_role,
                         TRIM(f.value:approver_role::VARCHAR)) AS approver_role,
                     TRIM(f.value:label::VARCHAR) AS step_label, TRIM(COALESCE(f.value:when_tag::VARCHAR, '')) AS when_tag,
                     COALESCE(f.value:quorum::NUMBER, 1) AS quorum, COALESCE(f.value:deadline_hours::NUMBER, 0) AS deadline_hours,
                     TRIM(COALESCE(f.value:fallback_role::VARCHAR, '')) AS step_fallback_role
              FROM TABLE(FLATTEN(INPUT => GET(:d, 'chain'))) f ORDER BY f.index);
    LET rule_rows CURSOR FOR rules;
    FOR r IN rule_rows DO
        step_no := r.step_no;
        step_kind := r.step_kind;
        approver_role := r.approver_role;
        step_label := r.step_label;
        when_tag := r.when_tag;
        quorum := r.quorum;
        deadline_hours := r.deadline_hours;
        step_fallback_role := r.step_fallback_role;
        INSERT INTO main.approval_chain (product_id, step_order, approver_role, step_label, deadline_hours, fallback_role,
                                     step_kind, when_tag, quorum)
    SELECT :product_id, :step_no, :approver_role, :step_label, NULLIF(:deadline_hours, 0), NULLIF(:step_fallback_role, ''),
           :step_kind, NULLIF(:when_tag, ''), :quorum;
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        ROLLBACK;
        SELECT ENVELOPE('CONFLICT', OBJECT_CONSTRUCT('request_id', :request_id)) INTO :result;
        RETURN result;
    END IF;
    END FOR;
    INSERT INTO main.product_version (product_id, version, saved_at, saved_by, definition, definition_hash, catalog_hash)
    SELECT :product_id, :version, :now_ts, :actor, :definition, SHA2(:definition, 256),
           (SELECT SHA2(cf.fingerprint, 256) FROM (SELECT p.product_id, MAX(CAST(LENGTH(p.name) AS VARCHAR) || ':' || p.name || CAST(LENGTH(p.description) AS VARCHAR) || ':' || p.description || CAST(LENGTH(p.owner) AS VARCHAR) || ':' || p.owner || CAST(LENGTH(p.owner_role) AS VARCHAR) || ':' || p.owner_role || CAST(LENGTH(p.domain) AS VARCHAR) || ':' || p.domain || CAST(LENGTH(p.classification) AS VARCHAR) || ':' || p.classification || CAST(LENGTH(p.tags) AS VARCHAR) || ':' || p.tags || CAST(LENGTH(p.product_columns) AS VARCHAR) || ':' || p.product_columns || CAST(LENGTH(p.access_role) AS VARCHAR) || ':' || p.access_role || CAST(LENGTH(p.durations) AS VARCHAR) || ':' || p.durations || CAST(LENGTH(CAST(COALESCE(p.pending_days, 0) AS VARCHAR)) AS VARCHAR) || ':' || CAST(COALESCE(p.pending_days, 0) AS VARCHAR) || CAST(LENGTH(COALESCE(p.fallback_role, '')) AS VARCHAR) || ':' || COALESCE(p.fallback_role, '') || CAST(LENGTH(p.extension_steps) AS VARCHAR) || ':' || p.extension_steps || CAST(LENGTH(COALESCE(p.object_name, '')) AS VARCHAR) || ':' || COALESCE(p.object_name, '') || CAST(LENGTH(CAST(COALESCE(p.review_days, 0) AS VARCHAR)) AS VARCHAR) || ':' || CAST(COALESCE(p.review_days, 0) AS VARCHAR) || CAST(LENGTH(CAST(COALESCE(p.idle_days, 0) AS VARCHAR)) AS VARCHAR) || ':' || CAST(COALESCE(p.idle_days, 0) AS VARCHAR)) || '|' || CAST(COUNT(c.step_order) AS VARCHAR) || '|' ||
           COALESCE(MAX(CASE WHEN c.step_order = 1 THEN CAST(LENGTH(c.approver_role) AS VARCHAR) || ':' || c.approver_role || CAST(LENGTH(c.step_label) AS VARCHAR) || ':' || c.step_label || CAST(LENGTH(CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR)) AS VARCHAR) || ':' || CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR) || CAST(LENGTH(COALESCE(c.fallback_role, '')) AS VARCHAR) || ':' || COALESCE(c.fallback_role, '') || CAST(LENGTH(c.step_kind) AS VARCHAR) || ':' || c.step_kind || CAST(LENGTH(COALESCE(c.when_tag, '')) AS VARCHAR) || ':' || COALESCE(c.when_tag, '') || CAST(LENGTH(CAST(c.quorum AS VARCHAR)) AS VARCHAR) || ':' || CAST(c.quorum AS VARCHAR) END), '') ||
           COALESCE(MAX(CASE WHEN c.step_order = 2 THEN CAST(LENGTH(c.approver_role) AS VARCHAR) || ':' || c.approver_role || CAST(LENGTH(c.step_label) AS VARCHAR) || ':' || c.step_label || CAST(LENGTH(CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR)) AS VARCHAR) || ':' || CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR) || CAST(LENGTH(COALESCE(c.fallback_role, '')) AS VARCHAR) || ':' || COALESCE(c.fallback_role, '') || CAST(LENGTH(c.step_kind) AS VARCHAR) || ':' || c.step_kind || CAST(LENGTH(COALESCE(c.when_tag, '')) AS VARCHAR) || ':' || COALESCE(c.when_tag, '') || CAST(LENGTH(CAST(c.quorum AS VARCHAR)) AS VARCHAR) || ':' || CAST(c.quorum AS VARCHAR) END), '') ||
           COALESCE(MAX(CASE WHEN c.step_order = 3 THEN CAST(LENGTH(c.approver_role) AS VARCHAR) || ':' || c.approver_role || CAST(LENGTH(c.step_label) AS VARCHAR) || ':' || c.step_label || CAST(LENGTH(CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR)) AS VARCHAR) || ':' || CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR) || CAST(LENGTH(COALESCE(c.fallback_role, '')) AS VARCHAR) || ':' || COALESCE(c.fallback_role, '') || CAST(LENGTH(c.step_kind) AS VARCHAR) || ':' || c.step_kind || CAST(LENGTH(COALESCE(c.when_tag, '')) AS VARCHAR) || ':' || COALESCE(c.when_tag, '') || CAST(LENGTH(CAST(c.quorum AS VARCHAR)) AS VARCHAR) || ':' || CAST(c.quorum AS VARCHAR) END), '') ||
           COALESCE(MAX(CASE WHEN c.step_order = 4 THEN CAST(LENGTH(c.approver_role) AS VARCHAR) || ':' || c.approver_role || CAST(LENGTH(c.step_label) AS VARCHAR) || ':' || c.step_label || CAST(LENGTH(CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR)) AS VARCHAR) || ':' || CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR) || CAST(LENGTH(COALESCE(c.fallback_role, '')) AS VARCHAR) || ':' || COALESCE(c.fallback_role, '') || CAST(LENGTH(c.step_kind) AS VARCHAR) || ':' || c.step_kind || CAST(LENGTH(COALESCE(c.when_tag, '')) AS VARCHAR) || ':' || COALESCE(c.when_tag, '') || CAST(LENGTH(CAST(c.quorum AS VARCHAR)) AS VARCHAR) || ':' || CAST(c.quorum AS VARCHAR) END), '') ||
           COALESCE(MAX(CASE WHEN c.step_order = 5 THEN CAST(LENGTH(c.approver_role) AS VARCHAR) || ':' || c.approver_role || CAST(LENGTH(c.step_label) AS VARCHAR) || ':' || c.step_label || CAST(LENGTH(CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR)) AS VARCHAR) || ':' || CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR) || CAST(LENGTH(COALESCE(c.fallback_role, '')) AS VARCHAR) || ':' || COALESCE(c.fallback_role, '') || CAST(LENGTH(c.step_kind) AS VARCHAR) || ':' || c.step_kind || CAST(LENGTH(COALESCE(c.when_tag, '')) AS VARCHAR) || ':' || COALESCE(c.when_tag, '') || CAST(LENGTH(CAST(c.quorum AS VARCHAR)) AS VARCHAR) || ':' || CAST(c.quorum AS VARCHAR) END), '') ||
           COALESCE(MAX(CASE WHEN c.step_order = 6 THEN CAST(LENGTH(c.approver_role) AS VARCHAR) || ':' || c.approver_role || CAST(LENGTH(c.step_label) AS VARCHAR) || ':' || c.step_label || CAST(LENGTH(CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR)) AS VARCHAR) || ':' || CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR) || CAST(LENGTH(COALESCE(c.fallback_role, '')) AS VARCHAR) || ':' || COALESCE(c.fallback_role, '') || CAST(LENGTH(c.step_kind) AS VARCHAR) || ':' || c.step_kind || CAST(LENGTH(COALESCE(c.when_tag, '')) AS VARCHAR) || ':' || COALESCE(c.when_tag, '') || CAST(LENGTH(CAST(c.quorum AS VARCHAR)) AS VARCHAR) || ':' || CAST(c.quorum AS VARCHAR) END), '') ||
           COALESCE(MAX(CASE WHEN c.step_order = 7 THEN CAST(LENGTH(c.approver_role) AS VARCHAR) || ':' || c.approver_role || CAST(LENGTH(c.step_label) AS VARCHAR) || ':' || c.step_label || CAST(LENGTH(CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR)) AS VARCHAR) || ':' || CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR) || CAST(LENGTH(COALESCE(c.fallback_role, '')) AS VARCHAR) || ':' || COALESCE(c.fallback_role, '') || CAST(LENGTH(c.step_kind) AS VARCHAR) || ':' || c.step_kind || CAST(LENGTH(COALESCE(c.when_tag, '')) AS VARCHAR) || ':' || COALESCE(c.when_tag, '') || CAST(LENGTH(CAST(c.quorum AS VARCHAR)) AS VARCHAR) || ':' || CAST(c.quorum AS VARCHAR) END), '') ||
           COALESCE(MAX(CASE WHEN c.step_order = 8 THEN CAST(LENGTH(c.approver_role) AS VARCHAR) || ':' || c.approver_role || CAST(LENGTH(c.step_label) AS VARCHAR) || ':' || c.step_label || CAST(LENGTH(CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR)) AS VARCHAR) || ':' || CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR) || CAST(LENGTH(COALESCE(c.fallback_role, '')) AS VARCHAR) || ':' || COALESCE(c.fallback_role, '') || CAST(LENGTH(c.step_kind) AS VARCHAR) || ':' || c.step_kind || CAST(LENGTH(COALESCE(c.when_tag, '')) AS VARCHAR) || ':' || COALESCE(c.when_tag, '') || CAST(LENGTH(CAST(c.quorum AS VARCHAR)) AS VARCHAR) || ':' || CAST(c.quorum AS VARCHAR) END), '') ||
           COALESCE(MAX(CASE WHEN c.step_order = 9 THEN CAST(LENGTH(c.approver_role) AS VARCHAR) || ':' || c.approver_role || CAST(LENGTH(c.step_label) AS VARCHAR) || ':' || c.step_label || CAST(LENGTH(CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR)) AS VARCHAR) || ':' || CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR) || CAST(LENGTH(COALESCE(c.fallback_role, '')) AS VARCHAR) || ':' || COALESCE(c.fallback_role, '') || CAST(LENGTH(c.step_kind) AS VARCHAR) || ':' || c.step_kind || CAST(LENGTH(COALESCE(c.when_tag, '')) AS VARCHAR) || ':' || COALESCE(c.when_tag, '') || CAST(LENGTH(CAST(c.quorum AS VARCHAR)) AS VARCHAR) || ':' || CAST(c.quorum AS VARCHAR) END), '') ||
           COALESCE(MAX(CASE WHEN c.step_order = 10 THEN CAST(LENGTH(c.approver_role) AS VARCHAR) || ':' || c.approver_role || CAST(LENGTH(c.step_label) AS VARCHAR) || ':' || c.step_label || CAST(LENGTH(CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR)) AS VARCHAR) || ':' || CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR) || CAST(LENGTH(COALESCE(c.fallback_role, '')) AS VARCHAR) || ':' || COALESCE(c.fallback_role, '') || CAST(LENGTH(c.step_kind) AS VARCHAR) || ':' || c.step_kind || CAST(LENGTH(COALESCE(c.when_tag, '')) AS VARCHAR) || ':' || COALESCE(c.when_tag, '') || CAST(LENGTH(CAST(c.quorum AS VARCHAR)) AS VARCHAR) || ':' || CAST(c.quorum AS VARCHAR) END), '') AS fingerprint
    FROM main.data_product p LEFT JOIN main.approval_chain c ON c.product_id = p.product_id
    GROUP BY p.product_id) cf WHERE cf.product_id = :product_id)
    WHERE NOT EXISTS (SELECT 1 FROM main.product_version WHERE product_id = :product_id AND version = :version);
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        ROLLBACK;
        SELECT ENVELOPE('CONFLICT', OBJECT_CONSTRUCT('request_id', :request_id)) INTO :result;
        RETURN result;
    END IF;
    SELECT q.details INTO :definition_hash FROM (SELECT MAX('version=' || CAST(version AS VARCHAR) || ';sha256=' || definition_hash || ';catalog=' || catalog_hash) AS details FROM main.product_version
    WHERE product_id = :product_id AND version = :version
    ) q;
    -- Audit event PRODUCT_SAVED, appended at the head of the ledger, under the
    -- audit lock (taken last, so that locks are always taken in one order).
    SELECT COALESCE(SPLIT_PART(:event_ids, ',', 1), :new_event_id), 'PRODUCT_SAVED', 0, '', '', :definition_hash
      INTO :event_id, :event_type, :ev_step, :ev_decision, :ev_comment, :ev_details;
    UPDATE main.audit_lock SET locked_at = :now_ts WHERE lock_id = 1;
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        RAISE audit_lock_missing;
    END IF;
    SELECT h.ev_seq + 1, h.ev_prev_hash INTO :ev_seq, :ev_prev_hash FROM (SELECT COALESCE((SELECT MAX(seq) FROM main.audit_log), 0) AS ev_seq,
           COALESCE((SELECT hash FROM main.audit_log ORDER BY seq DESC LIMIT 1), '') AS ev_prev_hash
    ) h;
    SELECT AUDIT_HASH(:ev_prev_hash, :event_id, :now_ts, :request_id, NULLIF(:product_id, ''), :actor,
                      NULLIF(:actor_role, ''), :event_type, NULLIF(:ev_step, 0), NULLIF(:ev_decision, ''),
                      NULLIF(:ev_comment, ''), NULLIF(:ev_details, ''), :ev_seq)
      INTO :ev_hash;
    INSERT INTO main.audit_log (event_id, event_time, request_id, product_id, actor, actor_role, event_type,
                                step_order, decision, comment, details, seq, prev_hash, hash)
    SELECT :event_id, :now_ts, NULLIF(:request_id, ''), NULLIF(:product_id, ''), :actor, NULLIF(:actor_role, ''), :event_type,
           NULLIF(:ev_step, 0), NULLIF(:ev_decision, ''), NULLIF(:ev_comment, ''), NULLIF(:ev_details, ''),
           :ev_seq, :ev_prev_hash, :ev_hash
    WHERE NOT EXISTS (SELECT 1 FROM main.audit_log WHERE seq >= :ev_seq)
      AND NOT EXISTS (SELECT 1 FROM main.audit_log WHERE event_id = :event_id);
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        ROLLBACK;
        SELECT ENVELOPE('CONFLICT', OBJECT_CONSTRUCT('request_id', :request_id)) INTO :result;
        RETURN result;
    END IF;
    COMMIT;
    SELECT ENVELOPE('OK', OBJECT_CONSTRUCT('actor', :actor, 'product_id', :product_id, 'product_name', :name,
                                           'version', :version))
      INTO :result;
    RETURN result;
EXCEPTION
    WHEN OTHER THEN
        ROLLBACK;
        RAISE;
END;
$$;

GRANT USAGE ON PROCEDURE SIGNOFF.API.SET_CHAIN(VARCHAR, VARCHAR) TO ROLE SIGNOFF_ADMIN;

-- ============================================================================
-- SET_CHAIN_POLICY: an admin replaces the account's chain policy
-- ============================================================================
-- The steps every product's chain gets after its own, where their condition
-- applies (docs/design.md, "Chain rules"), for the policy page
-- (/admin/policy) and for scripts. RULES is a JSON array of chain rules as
-- SAVE_PRODUCT's "chain" takes them ({"kind": ROLE|MANAGER, "approver_role",
-- "label", "when_tag", "quorum", "deadline_hours", "fallback_role"}; an
-- owners' step belongs to a product), checked as SAVE_PRODUCT checks them;
-- "[]" is no policy. The caller must hold SIGNOFF_ADMIN in their session,
-- and no product's own approvals with the policy's may exceed
-- 10 (CHAIN_TOO_LONG, naming the first such product). Then, in one
-- transaction under the submit lock (sqlstore/policy.go): the rows
-- replaced, and a POLICY_SAVED event of no request and no product whose
-- details pin the hash of the rows written (policy=<SHA2>), which the
-- verifier compares with the rows. Requests in flight keep their steps.
-- Answers OK (data: steps), DRY_RUN, INVALID (data.field), IDENTITY_UNAVAILABLE,
-- NOT_ADMIN, CHAIN_TOO_LONG or CONFLICT.
CREATE OR REPLACE PROCEDURE SIGNOFF.API.SET_CHAIN_POLICY(RULES VARCHAR, EVENT_IDS VARCHAR, DRY_RUN BOOLEAN)
RETURNS VARIANT
LANGUAGE SQL
COMMENT = 'Signoff: an admin replaces the account''s chain policy'
EXECUTE AS OWNER
AS
$$
DECLARE
    actor        VARCHAR;
    now_ts       TIMESTAMP_NTZ;
    invalid      VARCHAR;
    chk          VARIANT;
    code         VARCHAR;
    result       VARIANT;
    d            VARIANT;
    request_id   VARCHAR DEFAULT NULL;
    product_id   VARCHAR DEFAULT NULL;
    actor_role   VARCHAR DEFAULT 'SIGNOFF_ADMIN';
    is_admin     BOOLEAN DEFAULT FALSE;
    policy_approvals NUMBER;
    policy_details VARCHAR;
    step_no      NUMBER;
    step_kind    VARCHAR;
    approver_role VARCHAR;
    step_label   VARCHAR;
    when_tag     VARCHAR;
    quorum       NUMBER;
    deadline_hours NUMBER;
    step_fallback_role VARCHAR;
    rules_rs     RESULTSET;
    audit_lock_missing EXCEPTION (-20002, 'the SIGNOFF.MAIN.AUDIT_LOCK row is missing; run 01_data_model.sql');
    event_id     VARCHAR;
    event_type   VARCHAR;
    ev_step      NUMBER;
    ev_decision  VARCHAR;
    ev_comment   VARCHAR;
    ev_details   VARCHAR;
    ev_seq       NUMBER;
    ev_prev_hash VARCHAR;
    ev_hash      VARCHAR;
    lock_missing EXCEPTION (-20003, 'the SIGNOFF.MAIN.SUBMIT_LOCK row is missing; run 01_data_model.sql');
    new_event_id VARCHAR;
BEGIN
    -- Who is calling: the calling session's user, from Snowflake.
    SELECT IFF(SYS_CONTEXT('SNOWFLAKE$SESSION', 'PRINCIPAL_TYPE') LIKE 'USER%',
               SYS_CONTEXT('SNOWFLAKE$SESSION', 'PRINCIPAL_NAME'), NULL),
           DATE_TRUNC('MICROSECOND', SYSDATE())
      INTO :actor, :now_ts;
    SELECT TRY_PARSE_JSON(:rules), SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 9)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 8)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 7)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 6)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 5)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 4)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 3)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 2)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 1)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(MOD(FLOOR(DATE_PART(EPOCH_MILLISECOND, SYSDATE()) / POW(32, 0)), 32) AS INTEGER) + 1, 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1)
        || SUBSTR('0123456789ABCDEFGHJKMNPQRSTVWXYZ', UNIFORM(1, 32, RANDOM()), 1) INTO :d, :new_event_id;
    -- Each rule as SAVE_PRODUCT checks a chain rule, but ROLE or MANAGER
    -- only (signoff.ValidatePolicy).
    SELECT CASE
               WHEN :d IS NULL OR TYPEOF(:d) <> 'ARRAY' OR ARRAY_SIZE(:d) > 10 THEN 'rules'
               WHEN EXISTS (SELECT 1 FROM TABLE(FLATTEN(INPUT => :d)) f
                            WHERE TYPEOF(f.value) <> 'OBJECT'
                               OR UPPER(COALESCE(f.value:kind::VARCHAR, 'ROLE')) NOT IN ('ROLE', 'MANAGER')
                               OR NOT COALESCE(TRIM(f.value:approver_role::VARCHAR) RLIKE '[A-Za-z_][A-Za-z0-9_$]{0,254}', FALSE)
                               OR COALESCE(LENGTH(TRIM(f.value:label::VARCHAR)), 0) NOT BETWEEN 1 AND 200
                               OR BIDI_CONTROLS(f.value:label::VARCHAR) > 0
                               OR LENGTH(f.value:when_tag::VARCHAR) > 64 OR BIDI_CONTROLS(f.value:when_tag::VARCHAR) > 0
                               OR COALESCE(TYPEOF(f.value:quorum), 'INTEGER') NOT IN ('INTEGER', 'DECIMAL')
                               OR TRY_TO_DOUBLE(f.value:quorum::VARCHAR) <> FLOOR(TRY_TO_DOUBLE(f.value:quorum::VARCHAR))
                               OR COALESCE(TRY_TO_NUMBER(f.value:quorum::VARCHAR), 1) NOT BETWEEN 1 AND 5
                               OR (UPPER(COALESCE(f.value:kind::VARCHAR, 'ROLE')) = 'MANAGER'
                                   AND COALESCE(TRY_TO_NUMBER(f.value:quorum::VARCHAR), 1) <> 1)
                               OR COALESCE(TYPEOF(f.value:deadline_hours), 'INTEGER') NOT IN ('INTEGER', 'DECIMAL')
                               OR TRY_TO_DOUBLE(f.value:deadline_hours::VARCHAR) <> FLOOR(TRY_TO_DOUBLE(f.value:deadline_hours::VARCHAR))
                               OR COALESCE(TRY_TO_NUMBER(f.value:deadline_hours::VARCHAR), 0) NOT BETWEEN 0 AND 87600
                               OR (COALESCE(f.value:fallback_role::VARCHAR, '') <> ''
                                   AND NOT (TRIM(f.value:fallback_role::VARCHAR) RLIKE '[A-Za-z_][A-Za-z0-9_$]{0,254}'))) THEN 'rules'
               WHEN :event_ids IS NOT NULL AND NOT COALESCE(:event_ids RLIKE '[0-9A-HJKMNP-TV-Z]{26}', FALSE) THEN 'event_ids'
               WHEN :event_ids IS NOT NULL AND ABS(ID_MILLIS(:event_ids) - DATE_PART(EPOCH_MILLISECOND, :now_ts)) > 600000 THEN 'event_ids'
               ELSE ''
           END
      INTO :invalid;
    IF (invalid <> '') THEN
        SELECT ENVELOPE('INVALID', OBJECT_CONSTRUCT('field', :invalid)) INTO :result;
        RETURN result;
    END IF;
    SELECT COALESCE(SUM(COALESCE(TRY_TO_NUMBER(f.value:quorum::VARCHAR), 1)), 0) INTO :policy_approvals
      FROM TABLE(FLATTEN(INPUT => :d)) f;
    SELECT COALESCE(SYS_CONTEXT('SNOWFLAKE$SESSION', 'IS_ROLE_ACTIVATED', 'SIGNOFF_ADMIN') = 'TRUE', FALSE) INTO :is_admin;
    BEGIN TRANSACTION;
    UPDATE main.submit_lock SET locked_at = :now_ts WHERE lock_id = 1;
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        RAISE lock_missing;
    END IF;
    SELECT OBJECT_CONSTRUCT(*) INTO :chk FROM (WITH t AS (SELECT p.product_id, MAX(p.name) AS name, COALESCE(SUM(COALESCE(c.quorum, 1)), 0) AS n
               FROM main.data_product p LEFT JOIN main.approval_chain c ON c.product_id = p.product_id
               GROUP BY p.product_id),
         too_long AS (SELECT MIN(product_id) AS product_id FROM t WHERE t.n + :policy_approvals > 10)
    SELECT CASE
               WHEN COALESCE(:actor, '') = '' THEN 'IDENTITY_UNAVAILABLE'
               WHEN NOT :is_admin THEN 'NOT_ADMIN'
               WHEN too_long.product_id IS NOT NULL THEN 'CHAIN_TOO_LONG'
               ELSE 'OK'
           END AS code,
           :actor AS actor, too_long.product_id AS product_id,
           (SELECT MAX(name) FROM t WHERE t.product_id = too_long.product_id) AS product_name
    FROM too_long
    ) q;
    SELECT GET(:chk, 'CODE')::VARCHAR INTO :code;
    IF (COALESCE(code, '') <> 'OK') THEN
        ROLLBACK;
        SELECT ENVELOPE(:code, OBJECT_DELETE(:chk, 'REQUESTER', 'ACCESS_ROLE')) INTO :result;
        RETURN result;
    END IF;
    IF (COALESCE(dry_run, FALSE)) THEN
        ROLLBACK;
        SELECT ENVELOPE('DRY_RUN', :chk) INTO :result;
        RETURN result;
    END IF;
    DELETE FROM main.chain_policy;
    rules_rs := (SELECT f.index + 1 AS step_no, UPPER(COALESCE(f.value:kind::VARCHAR, 'ROLE')) AS step_kind,
                        TRIM(f.value:approver_role::VARCHAR) AS approver_role,
                        TRIM(f.value:label::VARCHAR) AS step_label, TRIM(COALESCE(f.value:when_tag::VARCHAR, '')) AS when_tag,
                        COALESCE(f.value:quorum::NUMBER, 1) AS quorum, COALESCE(f.value:deadline_hours::NUMBER, 0) AS deadline_hours,
                        TRIM(COALESCE(f.value:fallback_role::VARCHAR, '')) AS step_fallback_role
                 FROM TABLE(FLATTEN(INPUT => :d)) f ORDER BY f.index);
    LET rule_rows CURSOR FOR rules_rs;
    FOR r IN rule_rows DO
        step_no := r.step_no;
        step_kind := r.step_kind;
        approver_role := r.approver_role;
        step_label := r.step_label;
        when_tag := r.when_tag;
        quorum := r.quorum;
        deadline_hours := r.deadline_hours;
        step_fallback_role := r.step_fallback_role;
        INSERT INTO main.chain_policy (step_order, approver_role, step_label, deadline_hours, fallback_role, step_kind,
                                   when_tag, quorum)
    SELECT :step_no, :approver_role, :step_label, NULLIF(:deadline_hours, 0), NULLIF(:step_fallback_role, ''),
           :step_kind, NULLIF(:when_tag, ''), :quorum;
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        ROLLBACK;
        SELECT ENVELOPE('CONFLICT', OBJECT_CONSTRUCT('request_id', :request_id)) INTO :result;
        RETURN result;
    END IF;
    END FOR;
    SELECT q.details INTO :policy_details FROM (SELECT 'policy=' || SHA2(pf.fingerprint, 256) AS details FROM (SELECT CAST(COUNT(*) AS VARCHAR) || '|' ||
           COALESCE(MAX(CASE WHEN c.step_order = 1 THEN CAST(LENGTH(c.approver_role) AS VARCHAR) || ':' || c.approver_role || CAST(LENGTH(c.step_label) AS VARCHAR) || ':' || c.step_label || CAST(LENGTH(CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR)) AS VARCHAR) || ':' || CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR) || CAST(LENGTH(COALESCE(c.fallback_role, '')) AS VARCHAR) || ':' || COALESCE(c.fallback_role, '') || CAST(LENGTH(c.step_kind) AS VARCHAR) || ':' || c.step_kind || CAST(LENGTH(COALESCE(c.when_tag, '')) AS VARCHAR) || ':' || COALESCE(c.when_tag, '') || CAST(LENGTH(CAST(c.quorum AS VARCHAR)) AS VARCHAR) || ':' || CAST(c.quorum AS VARCHAR) END), '') ||
           COALESCE(MAX(CASE WHEN c.step_order = 2 THEN CAST(LENGTH(c.approver_role) AS VARCHAR) || ':' || c.approver_role || CAST(LENGTH(c.step_label) AS VARCHAR) || ':' || c.step_label || CAST(LENGTH(CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR)) AS VARCHAR) || ':' || CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR) || CAST(LENGTH(COALESCE(c.fallback_role, '')) AS VARCHAR) || ':' || COALESCE(c.fallback_role, '') || CAST(LENGTH(c.step_kind) AS VARCHAR) || ':' || c.step_kind || CAST(LENGTH(COALESCE(c.when_tag, '')) AS VARCHAR) || ':' || COALESCE(c.when_tag, '') || CAST(LENGTH(CAST(c.quorum AS VARCHAR)) AS VARCHAR) || ':' || CAST(c.quorum AS VARCHAR) END), '') ||
           COALESCE(MAX(CASE WHEN c.step_order = 3 THEN CAST(LENGTH(c.approver_role) AS VARCHAR) || ':' || c.approver_role || CAST(LENGTH(c.step_label) AS VARCHAR) || ':' || c.step_label || CAST(LENGTH(CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR)) AS VARCHAR) || ':' || CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR) || CAST(LENGTH(COALESCE(c.fallback_role, '')) AS VARCHAR) || ':' || COALESCE(c.fallback_role, '') || CAST(LENGTH(c.step_kind) AS VARCHAR) || ':' || c.step_kind || CAST(LENGTH(COALESCE(c.when_tag, '')) AS VARCHAR) || ':' || COALESCE(c.when_tag, '') || CAST(LENGTH(CAST(c.quorum AS VARCHAR)) AS VARCHAR) || ':' || CAST(c.quorum AS VARCHAR) END), '') ||
           COALESCE(MAX(CASE WHEN c.step_order = 4 THEN CAST(LENGTH(c.approver_role) AS VARCHAR) || ':' || c.approver_role || CAST(LENGTH(c.step_label) AS VARCHAR) || ':' || c.step_label || CAST(LENGTH(CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR)) AS VARCHAR) || ':' || CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR) || CAST(LENGTH(COALESCE(c.fallback_role, '')) AS VARCHAR) || ':' || COALESCE(c.fallback_role, '') || CAST(LENGTH(c.step_kind) AS VARCHAR) || ':' || c.step_kind || CAST(LENGTH(COALESCE(c.when_tag, '')) AS VARCHAR) || ':' || COALESCE(c.when_tag, '') || CAST(LENGTH(CAST(c.quorum AS VARCHAR)) AS VARCHAR) || ':' || CAST(c.quorum AS VARCHAR) END), '') ||
           COALESCE(MAX(CASE WHEN c.step_order = 5 THEN CAST(LENGTH(c.approver_role) AS VARCHAR) || ':' || c.approver_role || CAST(LENGTH(c.step_label) AS VARCHAR) || ':' || c.step_label || CAST(LENGTH(CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR)) AS VARCHAR) || ':' || CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR) || CAST(LENGTH(COALESCE(c.fallback_role, '')) AS VARCHAR) || ':' || COALESCE(c.fallback_role, '') || CAST(LENGTH(c.step_kind) AS VARCHAR) || ':' || c.step_kind || CAST(LENGTH(COALESCE(c.when_tag, '')) AS VARCHAR) || ':' || COALESCE(c.when_tag, '') || CAST(LENGTH(CAST(c.quorum AS VARCHAR)) AS VARCHAR) || ':' || CAST(c.quorum AS VARCHAR) END), '') ||
           COALESCE(MAX(CASE WHEN c.step_order = 6 THEN CAST(LENGTH(c.approver_role) AS VARCHAR) || ':' || c.approver_role || CAST(LENGTH(c.step_label) AS VARCHAR) || ':' || c.step_label || CAST(LENGTH(CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR)) AS VARCHAR) || ':' || CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR) || CAST(LENGTH(COALESCE(c.fallback_role, '')) AS VARCHAR) || ':' || COALESCE(c.fallback_role, '') || CAST(LENGTH(c.step_kind) AS VARCHAR) || ':' || c.step_kind || CAST(LENGTH(COALESCE(c.when_tag, '')) AS VARCHAR) || ':' || COALESCE(c.when_tag, '') || CAST(LENGTH(CAST(c.quorum AS VARCHAR)) AS VARCHAR) || ':' || CAST(c.quorum AS VARCHAR) END), '') ||
           COALESCE(MAX(CASE WHEN c.step_order = 7 THEN CAST(LENGTH(c.approver_role) AS VARCHAR) || ':' || c.approver_role || CAST(LENGTH(c.step_label) AS VARCHAR) || ':' || c.step_label || CAST(LENGTH(CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR)) AS VARCHAR) || ':' || CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR) || CAST(LENGTH(COALESCE(c.fallback_role, '')) AS VARCHAR) || ':' || COALESCE(c.fallback_role, '') || CAST(LENGTH(c.step_kind) AS VARCHAR) || ':' || c.step_kind || CAST(LENGTH(COALESCE(c.when_tag, '')) AS VARCHAR) || ':' || COALESCE(c.when_tag, '') || CAST(LENGTH(CAST(c.quorum AS VARCHAR)) AS VARCHAR) || ':' || CAST(c.quorum AS VARCHAR) END), '') ||
           COALESCE(MAX(CASE WHEN c.step_order = 8 THEN CAST(LENGTH(c.approver_role) AS VARCHAR) || ':' || c.approver_role || CAST(LENGTH(c.step_label) AS VARCHAR) || ':' || c.step_label || CAST(LENGTH(CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR)) AS VARCHAR) || ':' || CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR) || CAST(LENGTH(COALESCE(c.fallback_role, '')) AS VARCHAR) || ':' || COALESCE(c.fallback_role, '') || CAST(LENGTH(c.step_kind) AS VARCHAR) || ':' || c.step_kind || CAST(LENGTH(COALESCE(c.when_tag, '')) AS VARCHAR) || ':' || COALESCE(c.when_tag, '') || CAST(LENGTH(CAST(c.quorum AS VARCHAR)) AS VARCHAR) || ':' || CAST(c.quorum AS VARCHAR) END), '') ||
           COALESCE(MAX(CASE WHEN c.step_order = 9 THEN CAST(LENGTH(c.approver_role) AS VARCHAR) || ':' || c.approver_role || CAST(LENGTH(c.step_label) AS VARCHAR) || ':' || c.step_label || CAST(LENGTH(CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR)) AS VARCHAR) || ':' || CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR) || CAST(LENGTH(COALESCE(c.fallback_role, '')) AS VARCHAR) || ':' || COALESCE(c.fallback_role, '') || CAST(LENGTH(c.step_kind) AS VARCHAR) || ':' || c.step_kind || CAST(LENGTH(COALESCE(c.when_tag, '')) AS VARCHAR) || ':' || COALESCE(c.when_tag, '') || CAST(LENGTH(CAST(c.quorum AS VARCHAR)) AS VARCHAR) || ':' || CAST(c.quorum AS VARCHAR) END), '') ||
           COALESCE(MAX(CASE WHEN c.step_order = 10 THEN CAST(LENGTH(c.approver_role) AS VARCHAR) || ':' || c.approver_role || CAST(LENGTH(c.step_label) AS VARCHAR) || ':' || c.step_label || CAST(LENGTH(CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR)) AS VARCHAR) || ':' || CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR) || CAST(LENGTH(COALESCE(c.fallback_role, '')) AS VARCHAR) || ':' || COALESCE(c.fallback_role, '') || CAST(LENGTH(c.step_kind) AS VARCHAR) || ':' || c.step_kind || CAST(LENGTH(COALESCE(c.when_tag, '')) AS VARCHAR) || ':' || COALESCE(c.when_tag, '') || CAST(LENGTH(CAST(c.quorum AS VARCHAR)) AS VARCHAR) || ':' || CAST(c.quorum AS VARCHAR) END), '') AS fingerprint
    FROM main.chain_policy c) pf
    ) q;
    -- Audit event POLICY_SAVED, appended at the head of the ledger, under the
    -- audit lock (taken last, so that locks are always taken in one order).
    SELECT COALESCE(SPLIT_PART(:event_ids, ',', 1), :new_event_id), 'POLICY_SAVED', 0, '', '', :policy_details
      INTO :event_id, :event_type, :ev_step, :ev_decision, :ev_comment, :ev_details;
    UPDATE main.audit_lock SET locked_at = :now_ts WHERE lock_id = 1;
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        RAISE audit_lock_missing;
    END IF;
    SELECT h.ev_seq + 1, h.ev_prev_hash INTO :ev_seq, :ev_prev_hash FROM (SELECT COALESCE((SELECT MAX(seq) FROM main.audit_log), 0) AS ev_seq,
           COALESCE((SELECT hash FROM main.audit_log ORDER BY seq DESC LIMIT 1), '') AS ev_prev_hash
    ) h;
    SELECT AUDIT_HASH(:ev_prev_hash, :event_id, :now_ts, :request_id, NULLIF(:product_id, ''), :actor,
                      NULLIF(:actor_role, ''), :event_type, NULLIF(:ev_step, 0), NULLIF(:ev_decision, ''),
                      NULLIF(:ev_comment, ''), NULLIF(:ev_details, ''), :ev_seq)
      INTO :ev_hash;
    INSERT INTO main.audit_log (event_id, event_time, request_id, product_id, actor, actor_role, event_type,
                                step_order, decision, comment, details, seq, prev_hash, hash)
    SELECT :event_id, :now_ts, NULLIF(:request_id, ''), NULLIF(:product_id, ''), :actor, NULLIF(:actor_role, ''), :event_type,
           NULLIF(:ev_step, 0), NULLIF(:ev_decision, ''), NULLIF(:ev_comment, ''), NULLIF(:ev_details, ''),
           :ev_seq, :ev_prev_hash, :ev_hash
    WHERE NOT EXISTS (SELECT 1 FROM main.audit_log WHERE seq >= :ev_seq)
      AND NOT EXISTS (SELECT 1 FROM main.audit_log WHERE event_id = :event_id);
    IF (COALESCE(SQLROWCOUNT, -1) <> 1) THEN
        ROLLBACK;
        SELECT ENVELOPE('CONFLICT', OBJECT_CONSTRUCT('request_id', :request_id)) INTO :result;
        RETURN result;
    END IF;
    COMMIT;
    SELECT ENVELOPE('OK', OBJECT_CONSTRUCT('actor', :actor, 'steps', ARRAY_SIZE(:d))) INTO :result;
    RETURN result;
EXCEPTION
    WHEN OTHER THEN
        ROLLBACK;
        RAISE;
END;
$$;

GRANT USAGE ON PROCEDURE SIGNOFF.API.SET_CHAIN_POLICY(VARCHAR, VARCHAR, BOOLEAN) TO ROLE SIGNOFF_ADMIN;

-- ============================================================================
-- DESCRIBE_OBJECT: an object's columns and tags, for "Read from Snowflake"
-- ============================================================================
-- The product form's "Read from Snowflake" (docs/snowflake.md, section 13),
-- and scripts: OBJECT_NAME is DATABASE.SCHEMA.OBJECT, each part an unquoted
-- identifier (signoff.SourceObjectPattern; any case: it is upper-cased).
-- Only a caller whose session holds SIGNOFF_ADMIN (IS_ROLE_ACTIVATED) gets an
-- answer other than NOT_ADMIN. The procedure reads the live
-- INFORMATION_SCHEMA as its owner, SIGNOFF_OWNER: the COLUMNS view of the
-- object's database, read through IDENTIFIER() with a Snowflake Scripting
-- variable (DOCS/sql-reference/identifier-literal; no dynamic SQL), and the
-- table functions TAG_REFERENCES (the object's own tags and those it
-- inherits from its schema and database; LEVEL says which) and
-- TAG_REFERENCES_ALL_COLUMNS (every column's), called with the object's
-- fully qualified name (DOCS/sql-reference/functions/tag_references,
-- DOCS/sql-reference/functions/tag_references_all_columns). Each shows only
-- what the role in force may access, so an admin lets Signoff read an
-- object by granting SIGNOFF_OWNER USAGE on its database and schema and
-- REFERENCES on it, which shows its structure, never its data
-- (deploy/README.md, "Letting Signoff read an object"). An object it cannot
-- see has no columns there: OBJECT_NOT_VISIBLE. System tags (such as
-- SNOWFLAKE.CORE.PRIVACY_CATEGORY) show only to a role with IMPORTED
-- PRIVILEGES on the SNOWFLAKE database, which Signoff does not ask for.
-- Answers OK with data {"object", "columns": [{"name", "type", "comment"}]
-- in column order, at most 501 (one more than a product
-- takes, so the form can say some were left out), "tags": [{"level",
-- "column", "tag_database", "tag_schema", "tag_name", "tag_value"}], at most
-- 1000}; or INVALID (data.field: object_name), NOT_ADMIN or
-- OBJECT_NOT_VISIBLE (data.object, and data.readable). A NULL or blank
-- OBJECT_NAME is not INVALID: it is OBJECT_NOT_VISIBLE, as an object with no
-- visible column is, so the form can offer what Signoff can read. Only then
-- (an OK read does not pay for it) the procedure lists, with SHOW TERSE
-- OBJECTS IN ACCOUNT read through RESULT_SCAN(LAST_QUERY_ID()) as SAVE_PRODUCT
-- reads SHOW GRANTS, the tables and views SIGNOFF_OWNER holds a privilege on
-- (SHOW lists a schema object only to a role that also holds one on its
-- database and schema: DOCS/sql-reference/sql/show): data.readable is their
-- DATABASE.SCHEMA.OBJECT names, outside Signoff's own database and SNOWFLAKE,
-- those an admin can type (unquoted upper-case identifiers, the pattern
-- above), distinct, sorted, at most 200 ([] when none). It writes nothing.
CREATE OR REPLACE PROCEDURE SIGNOFF.API.DESCRIBE_OBJECT(OBJECT_NAME VARCHAR)
RETURNS VARIANT
LANGUAGE SQL
COMMENT = 'Signoff: an object''s columns and tags, read for the product form (admins)'
EXECUTE AS OWNER
AS
$$
DECLARE
    is_admin     BOOLEAN DEFAULT FALSE;
    invalid      VARCHAR;
    name         VARCHAR;
    db_name      VARCHAR;
    schema_name  VARCHAR;
    object_only  VARCHAR;
    columns_view VARCHAR;
    n_columns    NUMBER DEFAULT 0;
    cols         ARRAY;
    tags         ARRAY;
    readable     ARRAY;
    result       VARIANT;
BEGIN
    SELECT COALESCE(SYS_CONTEXT('SNOWFLAKE$SESSION', 'IS_ROLE_ACTIVATED', 'SIGNOFF_ADMIN') = 'TRUE', FALSE)
      INTO :is_admin;
    IF (NOT is_admin) THEN
        SELECT ENVELOPE('NOT_ADMIN', NULL) INTO :result;
        RETURN result;
    END IF;
    -- NULL reads as blank: no object named, which lists what can be read.
    SELECT COALESCE(UPPER(TRIM(:object_name)), '') INTO :name;
    -- The pattern's backslashes are doubled: Snowflake reads a backslash in
    -- a single-quoted literal as an escape (\. would be any character).
    SELECT IFF(:name = '' OR COALESCE(:name RLIKE '[A-Za-z_][A-Za-z0-9_$]{0,254}\\.[A-Za-z_][A-Za-z0-9_$]{0,254}\\.[A-Za-z_][A-Za-z0-9_$]{0,254}', FALSE), '', 'object_name'),
           SPLIT_PART(:name, '.', 1), SPLIT_PART(:name, '.', 2), SPLIT_PART(:name, '.', 3)
      INTO :invalid, :db_name, :schema_name, :object_only;
    IF (invalid <> '') THEN
        SELECT ENVELOPE('INVALID', OBJECT_CONSTRUCT('field', :invalid)) INTO :result;
        RETURN result;
    END IF;
    IF (name <> '') THEN
        -- The pattern allows no quotes and no blanks, so this names the
        -- database's own INFORMATION_SCHEMA.COLUMNS and nothing else.
        columns_view := db_name || '.INFORMATION_SCHEMA.COLUMNS';
        SELECT COUNT(*),
               ARRAY_AGG(OBJECT_CONSTRUCT('name', COLUMN_NAME, 'type', DATA_TYPE, 'comment', "COMMENT"))
                   WITHIN GROUP (ORDER BY ORDINAL_POSITION)
          INTO :n_columns, :cols
          FROM IDENTIFIER(:columns_view)
         WHERE TABLE_SCHEMA = :schema_name AND TABLE_NAME = :object_only;
    END IF;
    IF (n_columns = 0) THEN
        -- Only here, not on an OK read: the objects SIGNOFF_OWNER can read,
        -- for the admin to pick from. SHOW's columns are lower-case, so
        -- quoted. Signoff's own database and SNOWFLAKE are no product's
        -- object; a name the pattern refuses, or in lower case (a quoted
        -- identifier, which the upper-casing above would not find), could
        -- not be read back.
        SHOW TERSE OBJECTS IN ACCOUNT;
        SELECT COALESCE(ARRAY_AGG(o.full_name) WITHIN GROUP (ORDER BY o.full_name), ARRAY_CONSTRUCT())
          INTO :readable
          FROM (SELECT DISTINCT s.full_name
                  FROM (SELECT "database_name" AS db, "database_name" || '.' || "schema_name" || '.' || "name" AS full_name
                          FROM TABLE(RESULT_SCAN(LAST_QUERY_ID()))) s
                 WHERE s.db NOT IN ('SIGNOFF', 'SNOWFLAKE')
                   AND COALESCE(s.full_name RLIKE '[A-Za-z_][A-Za-z0-9_$]{0,254}\\.[A-Za-z_][A-Za-z0-9_$]{0,254}\\.[A-Za-z_][A-Za-z0-9_$]{0,254}', FALSE)
                   AND s.full_name = UPPER(s.full_name)
                 ORDER BY s.full_name
                 LIMIT 200) o;
        SELECT ENVELOPE('OBJECT_NOT_VISIBLE', OBJECT_CONSTRUCT('object', :name, 'readable', :readable)) INTO :result;
        RETURN result;
    END IF;
    SELECT COALESCE(ARRAY_AGG(OBJECT_CONSTRUCT('level', t.tag_level, 'column', t.column_name,
                                               'tag_database', t.tag_database, 'tag_schema', t.tag_schema,
                                               'tag_name', t.tag_name, 'tag_value', t.tag_value))
                        WITHIN GROUP (ORDER BY t.branch, t.column_name, t.tag_level, t.tag_database, t.tag_schema, t.tag_name),
                    ARRAY_CONSTRUCT())
      INTO :tags
      -- LEVEL and COMMENT quoted: keywords elsewhere (CONNECT BY's LEVEL,
      -- COMMENT ON), the columns' names here, in upper case.
      -- The object's own tags read TABLE whatever its kind (the domain
      -- 'table' covers views); a column's, only those set on the column:
      -- what its table, schema or database gives it is listed once, above.
      FROM (SELECT 1 AS branch, IFF("LEVEL" IN ('DATABASE', 'SCHEMA', 'ACCOUNT'), "LEVEL", 'TABLE') AS tag_level,
                   NULL AS column_name, TAG_DATABASE AS tag_database, TAG_SCHEMA AS tag_schema, TAG_NAME AS tag_name,
                   TAG_VALUE AS tag_value
              FROM TABLE(SIGNOFF.INFORMATION_SCHEMA.TAG_REFERENCES(:name, 'table'))
            UNION ALL
            SELECT 2, 'COLUMN', COLUMN_NAME, TAG_DATABASE, TAG_SCHEMA, TAG_NAME, TAG_VALUE
              FROM TABLE(SIGNOFF.INFORMATION_SCHEMA.TAG_REFERENCES_ALL_COLUMNS(:name, 'table'))
             WHERE "LEVEL" = 'COLUMN') t;
    SELECT ENVELOPE('OK', OBJECT_CONSTRUCT('object', :name,
                                           'columns', ARRAY_SLICE(:cols, 0, 501),
                                           'tags', ARRAY_SLICE(:tags, 0, 1000)))
      INTO :result;
    RETURN result;
END;
$$;

GRANT USAGE ON PROCEDURE SIGNOFF.API.DESCRIBE_OBJECT(VARCHAR) TO ROLE SIGNOFF_ADMIN;
