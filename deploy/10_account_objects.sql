-- Signoff on Snowpark Container Services: what deploying needs, in the
-- deployer's schema SIGNOFF.APP. deploy/README.md, step 8.
--
-- Run after the install (sql/snowflake/00..06), as a user granted
-- SIGNOFF_DEPLOYER, from the repository root:
--   snow sql -f deploy/10_account_objects.sql --role SIGNOFF_DEPLOYER -D "session_key=$(openssl rand -hex 32)"
-- snow sql replaces <% session_key %> before sending the statement, so the key
-- is never written to a file. (In a worksheet, type a random string of at least
-- 32 characters in its place, and do not save the worksheet.)
--
-- Idempotent: CREATE ... IF NOT EXISTS leaves an existing object alone (a
-- re-run does not change the session key; README "Rotating the session key")
-- and a GRANT already held is a no-op.
--
-- SIGNOFF_DEPLOYER owns SIGNOFF.APP (sql/snowflake/02_grants.sql hands it
-- over), so it may create these objects and push images and specifications;
-- SIGNOFF_APP, the running app, only READs what it needs to start.

USE ROLE SIGNOFF_DEPLOYER;

-- The image repository. The deployer pushes images (it owns the
-- repository); the service's owner pulls them (READ,
-- DOCS/sql-reference/sql/create-service), also when an instance restarts.
CREATE IMAGE REPOSITORY IF NOT EXISTS SIGNOFF.APP.REPO
    COMMENT = 'Signoff: container images';
GRANT READ ON IMAGE REPOSITORY SIGNOFF.APP.REPO TO ROLE SIGNOFF_APP;

-- The key that signs Signoff's cookies. Every instance must share it, so it is a
-- secret rather than a random per-process key; the service specification
-- (spcs.yaml, containers[].secrets) hands it to the container as
-- SIGNOFF_SESSION_KEY, when the container starts. The server refuses a key
-- shorter than 32 characters.
CREATE SECRET IF NOT EXISTS SIGNOFF.APP.SESSION_KEY
    TYPE = GENERIC_STRING
    SECRET_STRING = '<% session_key %>'
    COMMENT = 'Signoff: signs session, identity and flash cookies (SIGNOFF_SESSION_KEY)';
-- READ, not USAGE: SPCS needs READ on a secret a specification names.
GRANT READ ON SECRET SIGNOFF.APP.SESSION_KEY TO ROLE SIGNOFF_APP;

-- The stage that holds the service specification (spcs.yaml). Only the
-- deployer writes it; the service's owner reads it only while 20_service.sql
-- or 30_upgrade.sql runs.
CREATE STAGE IF NOT EXISTS SIGNOFF.APP.SPECS
    COMMENT = 'Signoff: the SPCS service specification';
