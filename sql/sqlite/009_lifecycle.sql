-- Time-bound access, escalation and request changes (docs/design.md,
-- "Request lifecycle").
--
-- A product offers access durations (days, comma-separated; 0 is
-- permanent), may limit how long a request waits for decisions
-- (pending_days) and names a fallback role that may decide a step nobody
-- else can, or whose deadline passed; a chain step may set its own deadline
-- (hours) and fallback. A request records the duration asked for and the
-- one it holds now (approvers may shorten it), and when its access ends.
ALTER TABLE data_product ADD COLUMN durations TEXT NOT NULL DEFAULT '0';
ALTER TABLE data_product ADD COLUMN pending_days INTEGER;
ALTER TABLE data_product ADD COLUMN fallback_role TEXT;
ALTER TABLE approval_chain ADD COLUMN deadline_hours INTEGER;
ALTER TABLE approval_chain ADD COLUMN fallback_role TEXT;
ALTER TABLE request_step ADD COLUMN deadline_hours INTEGER;
ALTER TABLE request_step ADD COLUMN fallback_role TEXT;
ALTER TABLE request_step ADD COLUMN escalated_to TEXT;
ALTER TABLE request_step ADD COLUMN approved_days INTEGER;

-- access_request gains columns and two statuses; SQLite cannot change a
-- CHECK constraint, so the table is rebuilt. Its rows go through a copy:
-- with the foreign keys deferred, dropping the table counts request_step's
-- rows as orphans and inserting the requests again settles them before
-- the migration commits.
PRAGMA defer_foreign_keys = ON;
CREATE TEMP TABLE access_request_copy AS SELECT * FROM access_request;
DROP TABLE access_request;
CREATE TABLE access_request (
    request_id      TEXT NOT NULL PRIMARY KEY,
    product_id      TEXT NOT NULL REFERENCES data_product (product_id),
    requester       TEXT NOT NULL,
    business_reason TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('PENDING','CHANGES_REQUESTED','APPROVED','GRANTED','GRANT_FAILED',
                                                    'REJECTED','WITHDRAWN','REVOKED','EXPIRED')),
    current_step    INTEGER NOT NULL,
    step_count      INTEGER NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    asked_days      INTEGER NOT NULL DEFAULT 0,
    duration_days   INTEGER NOT NULL DEFAULT 0,
    expires_at      TIMESTAMP
);
INSERT INTO access_request (request_id, product_id, requester, business_reason, status, current_step, step_count,
                            created_at, updated_at)
SELECT request_id, product_id, requester, business_reason, status, current_step, step_count, created_at, updated_at
FROM access_request_copy;
DROP TABLE access_request_copy;
CREATE INDEX access_request_requester ON access_request (requester, created_at);
CREATE INDEX access_request_product ON access_request (product_id, requester, status);
CREATE INDEX access_request_waiting ON access_request (status, updated_at, request_id);
-- The scheduler finds the grants that end with it.
CREATE INDEX access_request_expiry ON access_request (status, expires_at);

-- Who holds each role, directly or through the hierarchy: the scheduler's
-- shared SQL (sqlstore.DueWork) asks it whether anyone can decide a step.
-- On Snowflake main.role_holder is a view of the account's grants.
CREATE VIEW role_holder (role_name, user_name) AS
WITH RECURSIVE held (role_name, user_name) AS (
    SELECT role_name, user_name FROM local_user_role
    UNION
    SELECT g.role_name, h.user_name FROM local_role_grant g JOIN held h ON g.grantee_role = h.role_name
)
SELECT role_name, user_name FROM held;
