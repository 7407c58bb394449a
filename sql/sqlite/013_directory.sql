-- The directory (docs/design.md, "Manager steps"): who each user's manager
-- is, maintained by admins (SET_MANAGERS on Snowflake, the admin page, the
-- demo). A MANAGER chain step resolves at submit to the requester's manager
-- here, and the request step keeps that user in approver_user: only they
-- decide it (with its role), unless it escalated. Every change of a row is
-- a DIRECTORY_CHANGED event in the audit ledger (user in its comment, new
-- manager in its details), and the verifier holds each row to the last one.
CREATE TABLE user_manager (
    user_name    TEXT NOT NULL PRIMARY KEY,
    manager_name TEXT NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    updated_by   TEXT NOT NULL,
    CHECK (manager_name <> user_name)
);
CREATE INDEX user_manager_manager ON user_manager (manager_name);

ALTER TABLE request_step ADD COLUMN approver_user TEXT;
