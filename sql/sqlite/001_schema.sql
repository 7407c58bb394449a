-- Signoff on the embedded engine (SQLite). The five workflow tables have the
-- same names and columns as the Snowflake data model in
-- sql/snowflake/01_data_model.sql (a test keeps them in step). Times are
-- stored as fixed-width UTC text (YYYY-MM-DDTHH:MM:SS.ffffffZ), so they sort.

CREATE TABLE data_product (
    product_id      TEXT NOT NULL PRIMARY KEY,
    name            TEXT NOT NULL,
    description     TEXT NOT NULL,
    owner           TEXT NOT NULL,
    owner_role      TEXT NOT NULL,
    domain          TEXT NOT NULL,
    classification  TEXT NOT NULL,
    tags            TEXT NOT NULL DEFAULT '[]',   -- JSON array of strings
    product_columns TEXT NOT NULL DEFAULT '[]',   -- JSON array of {name,type,description,sensitive}
    access_role     TEXT NOT NULL,
    created_at      TIMESTAMP NOT NULL
);

CREATE TABLE approval_chain (
    product_id    TEXT NOT NULL REFERENCES data_product (product_id),
    step_order    INTEGER NOT NULL CHECK (step_order >= 1),
    approver_role TEXT NOT NULL,
    step_label    TEXT NOT NULL,
    PRIMARY KEY (product_id, step_order)
);

CREATE TABLE access_request (
    request_id      TEXT NOT NULL PRIMARY KEY,
    product_id      TEXT NOT NULL REFERENCES data_product (product_id),
    requester       TEXT NOT NULL,
    business_reason TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('PENDING','APPROVED','GRANTED','GRANT_FAILED','REJECTED','WITHDRAWN','REVOKED')),
    current_step    INTEGER NOT NULL,
    step_count      INTEGER NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);
CREATE INDEX access_request_requester ON access_request (requester, created_at);
CREATE INDEX access_request_product ON access_request (product_id, requester, status);
CREATE INDEX access_request_status ON access_request (status, created_at);

CREATE TABLE request_step (
    request_id    TEXT NOT NULL REFERENCES access_request (request_id),
    step_order    INTEGER NOT NULL,
    step_label    TEXT NOT NULL,
    approver_role TEXT NOT NULL,
    decision      TEXT CHECK (decision IN ('APPROVED','REJECTED')),
    decided_by    TEXT,
    acting_role   TEXT,
    comment       TEXT,
    decided_at    TIMESTAMP,
    PRIMARY KEY (request_id, step_order)
);
CREATE INDEX request_step_decided_by ON request_step (request_id, decided_by);

CREATE TABLE audit_log (
    event_id    TEXT NOT NULL PRIMARY KEY,
    event_time  TIMESTAMP NOT NULL,
    request_id  TEXT,
    product_id  TEXT,
    actor       TEXT NOT NULL,
    actor_role  TEXT,
    event_type  TEXT NOT NULL,
    step_order  INTEGER,
    decision    TEXT,
    comment     TEXT,
    details     TEXT
);
CREATE INDEX audit_log_request ON audit_log (request_id, event_id);
CREATE INDEX audit_log_product ON audit_log (product_id, event_id);
CREATE INDEX audit_log_actor ON audit_log (actor, event_id);
CREATE INDEX audit_log_time ON audit_log (event_time);

-- Promise 5: the audit log is append-only. Snowflake enforces it with
-- privileges (the app role has INSERT only); here triggers abort any change.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

-- The local account: it stands in for Snowflake's users, roles and grants.
-- local_role_grant (role_name, grantee_role) is GRANT ROLE role_name TO ROLE
-- grantee_role: grantee_role inherits role_name.
CREATE TABLE local_user (
    user_name    TEXT NOT NULL PRIMARY KEY,
    display_name TEXT NOT NULL,
    title        TEXT NOT NULL DEFAULT ''
);
CREATE TABLE local_role (
    role_name TEXT NOT NULL PRIMARY KEY,
    comment   TEXT NOT NULL DEFAULT ''
);
CREATE TABLE local_role_grant (
    role_name    TEXT NOT NULL REFERENCES local_role (role_name),
    grantee_role TEXT NOT NULL REFERENCES local_role (role_name),
    PRIMARY KEY (role_name, grantee_role)
);
CREATE TABLE local_user_role (
    user_name  TEXT NOT NULL REFERENCES local_user (user_name),
    role_name  TEXT NOT NULL REFERENCES local_role (role_name),
    granted_by TEXT NOT NULL,
    granted_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_name, role_name)
);
