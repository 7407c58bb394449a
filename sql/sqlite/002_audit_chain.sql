-- The audit log becomes tamper-evident: each request's events form a hash
-- chain (internal/signoff/chain.go). seq is the event's position in its
-- request's chain, prev_hash the hash of the event before it, hash
-- SHA-256(prev_hash ‖ canonical event), as lowercase hex. Rows written before
-- this migration have no link; the verifier reports them.
ALTER TABLE audit_log ADD COLUMN seq INTEGER;
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;
CREATE UNIQUE INDEX audit_log_chain ON audit_log (request_id, seq);
