-- The audit log becomes one ledger: every event, of every request, is a link
-- of one hash chain (internal/signoff/ledger.go). seq is the event's
-- position in the whole log, prev_hash the hash of the event before it.
-- Appends take the audit_lock row's lock first (sqlstore.LockAudit), as on
-- Snowflake, so they never link to the same head.
CREATE TABLE audit_lock (
    lock_id   INTEGER NOT NULL PRIMARY KEY,
    locked_at TIMESTAMP
);
INSERT INTO audit_lock (lock_id, locked_at) VALUES (1, NULL);

-- The per-request chains of an existing log are relinked into the ledger,
-- once, after they are verified (relinkLedger in internal/sqlite/ledger.go);
-- the append-only trigger is lifted for that and put back.
DROP TRIGGER IF EXISTS audit_log_no_update;
DROP INDEX IF EXISTS audit_log_chain;
-- @go
CREATE UNIQUE INDEX audit_log_seq ON audit_log (seq);
CREATE INDEX audit_log_request_seq ON audit_log (request_id, seq);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
