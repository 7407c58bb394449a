-- The local account's sign-ins: a persona session cookie carries only a
-- session ID, valid while its row is here and unexpired. Signing out deletes
-- the row, so a copy of the cookie stops working at once, on every process
-- that serves this database. (Snowflake has no such table: there, signing in
-- is Snowflake's.)
CREATE TABLE local_session (
    session_id TEXT NOT NULL PRIMARY KEY,
    user_name  TEXT NOT NULL REFERENCES local_user (user_name),
    expires_at TIMESTAMP NOT NULL
);
