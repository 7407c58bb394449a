-- Signoff on Snowpark Container Services: the objects the service needs beyond
-- the data model, and SIGNOFF_APP's privileges on them. deploy/README.md, step 4.
--
-- Run after sql/snowflake/01..03, from the repository root, as a user who may
-- USE ROLE SYSADMIN (ACCOUNTADMIN may; so may a user granted SYSADMIN):
--   snow sql -f deploy/10_account_objects.sql -D "session_key=$(openssl rand -hex 32)"
-- snow sql replaces <% session_key %> before sending the statement, so the key
-- is never written to a file. (In a worksheet, type a random string of at least
-- 32 characters in its place, and do not save the worksheet.)
--
-- Idempotent: CREATE ... IF NOT EXISTS leaves an existing object alone (a
-- re-run does not change the session key; README "Rotating the session key")
-- and a GRANT already held is a no-op.
--
-- Made elsewhere, not here: the warehouse SIGNOFF_WH, the image repository
-- SIGNOFF.APP.REPO, the compute pool SIGNOFF_POOL, BIND SERVICE ENDPOINT and
-- CREATE SERVICE for SIGNOFF_APP are all in sql/snowflake/02_rbac_and_grant.sql,
-- which runs first. deploy/deploy_test.go checks the names agree.

USE ROLE SYSADMIN;

-- The key that signs Signoff's cookies. Every instance must share it, so it is a
-- secret rather than a random per-process key; the service specification
-- (spcs.yaml, containers[].secrets) hands it to the container as
-- SIGNOFF_SESSION_KEY. The server refuses a key shorter than 32 characters.
CREATE SECRET IF NOT EXISTS SIGNOFF.APP.SESSION_KEY
    TYPE = GENERIC_STRING
    SECRET_STRING = '<% session_key %>'
    COMMENT = 'Signoff: signs session and flash cookies (SIGNOFF_SESSION_KEY)';

-- The service's owner role reads the secret when the service starts. READ, not
-- USAGE: USAGE is what UDFs and integrations need; SPCS needs READ.
GRANT READ ON SECRET SIGNOFF.APP.SESSION_KEY TO ROLE SIGNOFF_APP;

-- The stage that holds the service specification (spcs.yaml) for CREATE/ALTER
-- SERVICE ... FROM @SIGNOFF.APP.SPECS SPECIFICATION_FILE = 'spcs.yaml'.
-- SIGNOFF_APP uploads the file (WRITE) and creates the service from it (READ).
CREATE STAGE IF NOT EXISTS SIGNOFF.APP.SPECS
    COMMENT = 'Signoff: the SPCS service specification';
GRANT READ, WRITE ON STAGE SIGNOFF.APP.SPECS TO ROLE SIGNOFF_APP;

-- Whoever pushes the image needs WRITE on the repository; SYSADMIN owns it
-- (02 creates it as SYSADMIN), so push with a SYSADMIN connection
-- (deploy/README.md, step 5). No grant is needed for that.
