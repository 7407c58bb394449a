-- The audit log is read newest first in the ledger's order (seq), and paged
-- by seq (sqlstore.SelectEvents). Each filter gets an index that hands its
-- events over in that order, so a page reads about a page of rows however
-- large the log: the product and the event type (GRANT_FAILED is how an
-- admin finds grants to retry), and the actor by LOWER(actor), because the
-- actor filter is case-insensitive. They replace the indexes in event_id
-- order, which nothing reads any more.
CREATE INDEX audit_log_product_seq ON audit_log (product_id, seq);
CREATE INDEX audit_log_actor_seq ON audit_log (LOWER(actor), seq);
CREATE INDEX audit_log_type_seq ON audit_log (event_type, seq);
DROP INDEX audit_log_product;
DROP INDEX audit_log_actor;
