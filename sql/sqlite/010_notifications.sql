-- Notifications (docs/design.md, "Notifications"): the outbox, its cursor
-- over the audit log, the approvers' digest preference, and who holds each
-- role, which the notifier's shared SQL (internal/sqlstore/notify.go) reads
-- on both engines. Snowflake has the same tables (01_data_model.sql) and a
-- ROLE_HOLDER view over ACCOUNT_USAGE's grants.

-- Who holds each role is the view role_holder (009_lifecycle.sql).

-- The outbox: one row per message and recipient. A notice of an event is
-- keyed by the event and the recipient (notice_id = event_id:recipient); a
-- digest by its run. sent_at is set when it was delivered (here: when it
-- was written for the outbox page, which is the embedded engine's mailbox).
CREATE TABLE notification (
    notice_id  TEXT NOT NULL PRIMARY KEY,
    event_id   TEXT,
    seq        INTEGER,
    request_id TEXT,
    recipient  TEXT NOT NULL,
    kind       TEXT NOT NULL,
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    delivery   TEXT NOT NULL CHECK (delivery IN ('NOW', 'DIGEST')),
    digest_id  TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at    TIMESTAMP,
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
);
CREATE UNIQUE INDEX notification_event_recipient ON notification (event_id, recipient) WHERE event_id IS NOT NULL;
CREATE INDEX notification_recipient ON notification (recipient, created_at);
CREATE INDEX notification_due ON notification (delivery, sent_at);

-- The notifier's cursor, and the row whose lock makes runs take turns. It
-- starts at the log's head: a database that had events before notifications
-- existed does not mail its whole history.
CREATE TABLE notify_state (
    state_id  INTEGER NOT NULL PRIMARY KEY CHECK (state_id = 1),
    last_seq  INTEGER NOT NULL,
    locked_at TIMESTAMP
);
INSERT INTO notify_state (state_id, last_seq) SELECT 1, COALESCE(MAX(seq), 0) FROM audit_log;

-- An approver's choice of a daily digest instead of a message for each step
-- that opens for them.
CREATE TABLE notify_preference (
    user_name    TEXT NOT NULL PRIMARY KEY,
    daily_digest INTEGER NOT NULL CHECK (daily_digest IN (0, 1)),
    updated_at   TIMESTAMP NOT NULL
);
