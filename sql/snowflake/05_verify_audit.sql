-- Verify Signoff's tamper-evident audit log in Snowflake: the SQL twin of
-- `signoff audit verify` and of the admins' "Verify the audit chain" page.
-- Run as SIGNOFF_AUDITOR or SIGNOFF_ADMIN (02_grants.sql grants them SELECT
-- on the API views and USAGE on AUDIT_HASH), with a warehouse:
--   snow sql -f sql/snowflake/05_verify_audit.sql --role SIGNOFF_AUDITOR --warehouse SIGNOFF_WH
--
-- Each request's events form a hash chain (AUDIT_HASH in 03_api.sql). A row
-- is reported when:
--   edited     its HASH is not AUDIT_HASH(its own content and PREV_HASH);
--   missing    SEQ skips numbers (a row was deleted), or a request has no events;
--   reordered  SEQ repeats or goes backwards, or PREV_HASH is not the HASH of
--              the row before it in the chain.
-- No rows returned means every chain verifies.
--
-- QUALIFY filters on a window function of the same SELECT
-- (DOCS/sql-reference/constructs/qualify): the LAG()s are computed in the
-- CTE and the problem filtered with WHERE, so no QUALIFY is needed at all.

USE SCHEMA SIGNOFF.API;

WITH chain AS (
    SELECT a.*,
           LAG(SEQ)  OVER (PARTITION BY REQUEST_ID ORDER BY SEQ, EVENT_ID) AS PREV_SEQ,
           LAG(HASH) OVER (PARTITION BY REQUEST_ID ORDER BY SEQ, EVENT_ID) AS PREV_ROW_HASH
      FROM AUDIT_LOG a
),
checked AS (
    SELECT REQUEST_ID, SEQ, EVENT_ID,
           CASE
               WHEN HASH IS NULL
                 OR HASH <> AUDIT_HASH(PREV_HASH, EVENT_ID, EVENT_TIME, REQUEST_ID, PRODUCT_ID, ACTOR, ACTOR_ROLE,
                                       EVENT_TYPE, STEP_ORDER, DECISION, COMMENT, DETAILS, SEQ)
                   THEN 'edited'
               WHEN SEQ > COALESCE(PREV_SEQ, 0) + 1 THEN 'missing'
               WHEN SEQ <= COALESCE(PREV_SEQ, 0) THEN 'reordered'
               WHEN COALESCE(PREV_HASH, '') <> COALESCE(PREV_ROW_HASH, '') THEN 'reordered'
           END AS PROBLEM
      FROM chain
)
SELECT REQUEST_ID, SEQ, EVENT_ID, PROBLEM
  FROM checked
 WHERE PROBLEM IS NOT NULL
UNION ALL
SELECT r.REQUEST_ID, NULL, NULL, 'missing'
  FROM ACCESS_REQUEST r
 WHERE NOT EXISTS (SELECT 1 FROM AUDIT_LOG a WHERE a.REQUEST_ID = r.REQUEST_ID)
ORDER BY 1, 2;
