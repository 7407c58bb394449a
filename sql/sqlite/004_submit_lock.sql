-- Submissions take this row's lock first (sqlstore.LockSubmissions), so that
-- two submissions for the same product and person check for an open request
-- one after the other. SQLite serializes writers anyway; the table is here so
-- that the embedded engine runs exactly the statements Snowflake runs.
CREATE TABLE submit_lock (
    lock_id   INTEGER NOT NULL PRIMARY KEY,
    locked_at TIMESTAMP
);
INSERT INTO submit_lock (lock_id, locked_at) VALUES (1, NULL);
