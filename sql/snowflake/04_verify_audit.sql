-- Verify Signoff's tamper-evident audit log in Snowflake: the SQL twin of
-- `signoff audit verify` and of the admin's "Verify the audit chain" page.
-- Run as SIGNOFF_AUDITOR or SIGNOFF_ADMIN (SELECT on the tables through the
-- views is not enough: it reads AUDIT_LOG and ACCESS_REQUEST directly, so
-- grant SELECT on both to the role that runs it, or run it as their owner).
--
-- Each request's events form a hash chain (see AUDIT_HASH in
-- 02_rbac_and_grant.sql). A row is reported when:
--   edited     its HASH is not AUDIT_HASH(its own content and PREV_HASH);
--   missing    SEQ skips numbers (a row was deleted), or a request has no events;
--   reordered  SEQ repeats or goes backwards, or PREV_HASH is not the HASH of
--              the row before it in the chain.
-- No rows returned means the whole log verifies.
USE SCHEMA SIGNOFF.APP;

WITH chain AS (
    SELECT a.*,
           LAG(SEQ)  OVER (PARTITION BY REQUEST_ID ORDER BY SEQ, EVENT_ID) AS PREV_SEQ,
           LAG(HASH) OVER (PARTITION BY REQUEST_ID ORDER BY SEQ, EVENT_ID) AS PREV_ROW_HASH
      FROM AUDIT_LOG a
)
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
QUALIFY PROBLEM IS NOT NULL
UNION ALL
SELECT r.REQUEST_ID, NULL, NULL, 'missing'
  FROM ACCESS_REQUEST r
 WHERE NOT EXISTS (SELECT 1 FROM AUDIT_LOG a WHERE a.REQUEST_ID = r.REQUEST_ID)
ORDER BY 1, 2;
