-- Signoff on Snowflake, optional step: notifications by e-mail.
--
-- Run after the install (sql/snowflake/00..06) and 10_account_objects.sql,
-- as a user who may use ACCOUNTADMIN, with SIGNOFF_OWNER granted for the
-- task's creation (deploy/README.md, "Notifications"):
--   snow sql -f deploy/40_notifications.sql --role ACCOUNTADMIN
-- Without it Signoff still writes its outbox (SIGNOFF.MAIN.NOTIFICATION)
-- when SEND_NOTIFICATIONS runs; nothing calls it and nobody is mailed.
--
-- Snowflake sends e-mail only to users of this account whose address is
-- verified (each user in Snowsight, or an admin with
-- SYSTEM$START_USER_EMAIL_VERIFICATION); with ALLOWED_RECIPIENTS set, to
-- those addresses only, and each must be verified or the CREATE fails
-- (DOCS/user-guide/notifications/email-notifications). A message to anyone
-- else is kept in the outbox with its error (LAST_ERROR), tried up to five
-- times. DOCS = https://docs.snowflake.com/en

USE ROLE ACCOUNTADMIN;
-- CREATE INTEGRATION is an account privilege (ACCOUNTADMIN holds it).
-- Uncomment ALLOWED_RECIPIENTS to restrict who may be mailed.
CREATE NOTIFICATION INTEGRATION IF NOT EXISTS SIGNOFF_EMAIL
    TYPE = EMAIL
    ENABLED = TRUE
    -- ALLOWED_RECIPIENTS = ('approver@example.com', 'requester@example.com')
    COMMENT = 'Signoff: approval notifications';
-- The procedure runs with its owner's privileges: SIGNOFF_OWNER uses the
-- integration. (It already holds EXECUTE TASK, from 00_roles.sql, for the
-- schedule task; this task names SIGNOFF_WH, so no EXECUTE MANAGED TASK.)
-- The preflight expects this grant only while the integration exists
-- (internal/snowflake/privileges.go, OptionalGrants).
GRANT USAGE ON INTEGRATION SIGNOFF_EMAIL TO ROLE SIGNOFF_OWNER;

-- The task is SIGNOFF_OWNER's, like the procedure it calls: it runs as
-- the task's owner role (DOCS/user-guide/tasks-intro). Every minute; a run
-- that finds nothing new costs a few statements on SIGNOFF_WH.
USE ROLE SIGNOFF_OWNER;
CREATE TASK IF NOT EXISTS SIGNOFF.API.SEND_NOTIFICATIONS_TASK
    WAREHOUSE = SIGNOFF_WH
    SCHEDULE = '1 MINUTE'
    ALLOW_OVERLAPPING_EXECUTION = FALSE
    COMMENT = 'Signoff: write the outbox from the audit log and send what is due'
AS
    CALL SIGNOFF.API.SEND_NOTIFICATIONS('SIGNOFF_EMAIL');
-- A new task is suspended until resumed (DOCS/sql-reference/sql/create-task);
-- the preflight's "Notifications task" check says whether it is started.
ALTER TASK SIGNOFF.API.SEND_NOTIFICATIONS_TASK RESUME;
