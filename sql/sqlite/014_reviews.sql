-- Access reviews (docs/design.md, "Access reviews"): a product's owners
-- periodically keep or revoke each of its active grants, seeing each one's
-- last use. The same tables and columns as sql/snowflake/01_data_model.sql.
--
-- DATA_PRODUCT gains its review policy: the days between scheduled reviews
-- (NULL or 0: none), the days a grant may go unused before a review suggests
-- revoking it (NULL: signoff.DefaultIdleDays), and the object its access
-- role gives ("DB.SCHEMA.TABLE"), whose use Snowflake's access history
-- records (NULL: the use is unknown).
ALTER TABLE data_product ADD COLUMN review_days INTEGER;
ALTER TABLE data_product ADD COLUMN idle_days INTEGER;
ALTER TABLE data_product ADD COLUMN object_name TEXT;

-- One row per review: OPEN until every grant it lists is decided, then
-- COMPLETE. opened_by is a person, or SIGNOFF$SCHEDULER.
CREATE TABLE access_review (
    review_id    TEXT NOT NULL PRIMARY KEY,
    product_id   TEXT NOT NULL REFERENCES data_product (product_id),
    status       TEXT NOT NULL CHECK (status IN ('OPEN', 'COMPLETE')),
    opened_by    TEXT NOT NULL,
    opened_at    TIMESTAMP NOT NULL,
    item_count   INTEGER NOT NULL,
    completed_at TIMESTAMP
);
CREATE INDEX access_review_product ON access_review (product_id, status, opened_at);

-- One row per grant a review lists (the product's GRANTED requests when it
-- opened), and its decision: KEEP (a REVIEW_KEPT event), REVOKE (an
-- ACCESS_REVOKED event whose comment names the review) or ENDED (the access
-- ended meanwhile, outside the review).
CREATE TABLE review_item (
    review_id  TEXT NOT NULL REFERENCES access_review (review_id),
    request_id TEXT NOT NULL REFERENCES access_request (request_id),
    requester  TEXT NOT NULL,
    decision   TEXT CHECK (decision IN ('KEEP', 'REVOKE', 'ENDED')),
    decided_by TEXT,
    decided_at TIMESTAMP,
    note       TEXT,
    PRIMARY KEY (review_id, request_id)
);
CREATE INDEX review_item_request ON review_item (request_id);

-- The embedded engine's record of use, which the demo fills: per user,
-- product and day, the last query that day and how many there were. On
-- Snowflake ACCESS_USAGE is a view of the same shape over
-- SNOWFLAKE.ACCOUNT_USAGE.ACCESS_HISTORY (docs/snowflake.md).
CREATE TABLE access_usage (
    user_name    TEXT NOT NULL,
    product_id   TEXT NOT NULL,
    last_used_at TIMESTAMP NOT NULL,
    query_count  INTEGER NOT NULL
);
CREATE INDEX access_usage_user ON access_usage (user_name, product_id, last_used_at);
