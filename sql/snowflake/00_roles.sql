-- Signoff on Snowflake, step 1 of the install: the roles, the account-level
-- privileges, the warehouse, the compute pool and the database.
--
-- Run as a user who may use ACCOUNTADMIN (it switches to USERADMIN,
-- SECURITYADMIN and SYSADMIN too):
--   snow sql -f sql/snowflake/00_roles.sql --role ACCOUNTADMIN
-- then 01, 02, 03 and 04 in the same way, and 06_finish.sql last. Idempotent:
-- CREATE ... IF NOT EXISTS leaves existing objects alone, and a GRANT of a
-- privilege already held is a no-op. docs/snowflake.md explains the privilege
-- model; the preflight (signoff doctor,
-- deploy/preflight.sql) checks it on the account.
--
-- DOCS = https://docs.snowflake.com/en. Nothing here has been run against a
-- real account by its authors: run the preflight after installing.

-- ============================================================================
-- Roles
-- ============================================================================
-- SIGNOFF_OWNER     owns everything Signoff keeps: the database, its tables,
--                   views, functions and API procedures, and every product's
--                   access role. The procedures run with its privileges
--                   (owner's rights): they are the only way to change
--                   Signoff's state, and the only way to grant an access
--                   role. It is granted to NO role and to no user's everyday
--                   role; the installing user holds it from this script to
--                   06_finish.sql, and again only to upgrade or for
--                   break-glass repairs (deploy/README.md, "Who holds
--                   SIGNOFF_OWNER").
-- SIGNOFF_APP       the service's owner role, so the service user's only
--                   role: the running app. It reads the API views and calls
--                   the API procedures in each visitor's own session; it
--                   owns no data and holds no DML on any table.
-- SIGNOFF_DEPLOYER  deploys and upgrades the service: owns the schema
--                   SIGNOFF.APP with the image repository, the specification
--                   stage and the session-key secret, and inherits
--                   SIGNOFF_APP to create the service as that role.
-- SIGNOFF_ADMIN     people who administer Signoff (revoke, retry grants,
--                   read the audit log, run the preflight).
-- SIGNOFF_AUDITOR   people who read every request and the audit log.
-- SIGNOFF_PREFLIGHT an empty role that the preflight grants to the visiting
--                   admin and revokes at once, to prove that the procedures
--                   can grant. It has no privileges and is never kept.
--
-- No Signoff role is granted to SYSADMIN or any other system role: being a
-- platform administrator does not make anyone a Signoff admin, approver,
-- owner or deployer. (Snowflake advises rolling custom roles up to SYSADMIN,
-- DOCS/user-guide/security-access-control-considerations; here that would
-- let every SYSADMIN user grant access roles and replace the procedures.
-- ACCOUNTADMIN and SECURITYADMIN, which hold MANAGE GRANTS, can always reach
-- any role: Signoff records, it cannot prevent, what they do.)

USE ROLE USERADMIN;

CREATE ROLE IF NOT EXISTS SIGNOFF_OWNER
    COMMENT = 'Signoff: owns its data, API procedures and the products'' access roles. Held by no one between installs.';
CREATE ROLE IF NOT EXISTS SIGNOFF_APP
    COMMENT = 'Signoff: the service''s owner role (the running app). Reads views, calls procedures; no DML, no MANAGE GRANTS.';
CREATE ROLE IF NOT EXISTS SIGNOFF_DEPLOYER
    COMMENT = 'Signoff: deploys and upgrades the service (image repository, specification, session key)';
CREATE ROLE IF NOT EXISTS SIGNOFF_ADMIN
    COMMENT = 'Signoff admins: revoke access, retry failed grants, read the audit log, run the preflight';
CREATE ROLE IF NOT EXISTS SIGNOFF_AUDITOR
    COMMENT = 'Signoff auditors: read every request and the audit log';
CREATE ROLE IF NOT EXISTS SIGNOFF_PREFLIGHT
    COMMENT = 'Signoff: granted and revoked at once by the preflight to prove the grant path works. No privileges.';

-- The deployer creates the service as SIGNOFF_APP (the role that creates a
-- service owns it, and the service user runs as its owner).
GRANT ROLE SIGNOFF_APP TO ROLE SIGNOFF_DEPLOYER;
-- Admins read what auditors read; the app treats an admin as an auditor too.
GRANT ROLE SIGNOFF_AUDITOR TO ROLE SIGNOFF_ADMIN;

-- SIGNOFF_OWNER owns the preflight role, so its procedures may grant it.
USE ROLE SECURITYADMIN;
GRANT OWNERSHIP ON ROLE SIGNOFF_PREFLIGHT TO ROLE SIGNOFF_OWNER COPY CURRENT GRANTS;

-- The installing user holds SIGNOFF_OWNER until 06_finish.sql. The name is
-- quoted, so that a user named "jane.doe@acme.com" is that user.
SET signoff_installer = '"' || REPLACE(CURRENT_USER(), '"', '""') || '"';
GRANT ROLE SIGNOFF_OWNER TO USER IDENTIFIER($signoff_installer);

-- ============================================================================
-- Account-level privileges
-- ============================================================================
-- READ SESSION lets SIGNOFF_OWNER's owner's-rights procedures read the
-- calling session's user and roles with SYS_CONTEXT('SNOWFLAKE$SESSION', ...)
-- (DOCS/sql-reference/functions/sys_context_snowflake_session): without it
-- every action answers IDENTITY_UNAVAILABLE.
GRANT READ SESSION ON ACCOUNT TO ROLE SIGNOFF_OWNER;

-- EXECUTE TASK: a task runs as its owner role, which needs this privilege
-- for the task to run (DOCS/user-guide/tasks-intro, "Task security";
-- DOCS/sql-reference/sql/create-task). SIGNOFF_OWNER owns the task
-- SIGNOFF.API.SIGNOFF_SCHEDULE (03_api.sql), which ends time-bound access
-- and sends reminders and escalations, and the optional notifications task
-- (deploy/40_notifications.sql). Both run on SIGNOFF_WH, so no EXECUTE
-- MANAGED TASK (serverless) is needed.
GRANT EXECUTE TASK ON ACCOUNT TO ROLE SIGNOFF_OWNER;

-- BIND SERVICE ENDPOINT: required to create a service with a public endpoint
-- (DOCS/sql-reference/sql/create-service). Since behaviour-change bundle
-- 2026 (BCR-2321) it is granted to PUBLIC by default, which lets any role
-- that can create a service expose it on the internet. Signoff needs it only
-- for SIGNOFF_APP; to take it back from everyone else, an ACCOUNTADMIN runs
--   REVOKE BIND SERVICE ENDPOINT ON ACCOUNT FROM ROLE PUBLIC;
-- after checking no other service needs it through PUBLIC
-- (SHOW GRANTS TO ROLE PUBLIC). The preflight reports whether PUBLIC holds it.
GRANT BIND SERVICE ENDPOINT ON ACCOUNT TO ROLE SIGNOFF_APP;

-- ============================================================================
-- Compute: the warehouse and the compute pool
-- ============================================================================
USE ROLE SYSADMIN;

-- The warehouse of the app's reads, and of every API procedure: a procedure
-- runs on its caller's warehouse (DOCS/developer-guide/stored-procedure/
-- stored-procedures-rights), and the app CALLs them in visitors' sessions,
-- which name this warehouse. So every user needs USAGE on it (02_grants.sql
-- grants it to PUBLIC); the statement timeout and the auto-suspend bound
-- what anyone can spend on it.
CREATE WAREHOUSE IF NOT EXISTS SIGNOFF_WH
    WAREHOUSE_SIZE = XSMALL
    AUTO_SUSPEND = 60
    AUTO_RESUME = TRUE
    INITIALLY_SUSPENDED = TRUE
    STATEMENT_TIMEOUT_IN_SECONDS = 120
    COMMENT = 'Signoff: the app''s reads and its API procedures';
GRANT USAGE ON WAREHOUSE SIGNOFF_WH TO ROLE SIGNOFF_OWNER;
GRANT USAGE ON WAREHOUSE SIGNOFF_WH TO ROLE SIGNOFF_APP;

USE ROLE ACCOUNTADMIN;

-- DOCS/sql-reference/sql/create-compute-pool (INITIALLY_SUSPENDED: no cost
-- until the service starts; AUTO_RESUME starts it for CREATE SERVICE).
CREATE COMPUTE POOL IF NOT EXISTS SIGNOFF_POOL
    MIN_NODES = 1
    MAX_NODES = 1
    INSTANCE_FAMILY = CPU_X64_XS
    AUTO_RESUME = TRUE
    INITIALLY_SUSPENDED = TRUE
    AUTO_SUSPEND_SECS = 3600
    COMMENT = 'Signoff service';
GRANT USAGE ON COMPUTE POOL SIGNOFF_POOL TO ROLE SIGNOFF_APP;

-- ============================================================================
-- The database, owned by SIGNOFF_OWNER
-- ============================================================================
-- SYSADMIN creates it (SIGNOFF_OWNER holds no CREATE DATABASE), and
-- SECURITYADMIN hands it over: its owner could drop it with the audit log
-- in it, so SYSADMIN keeps nothing.
USE ROLE SYSADMIN;
CREATE DATABASE IF NOT EXISTS SIGNOFF COMMENT = 'Signoff: access requests, decisions and the audit log';

USE ROLE SECURITYADMIN;
GRANT OWNERSHIP ON DATABASE SIGNOFF TO ROLE SIGNOFF_OWNER COPY CURRENT GRANTS;
-- CREATE DATABASE made a PUBLIC schema owned by SYSADMIN: it is not used.
GRANT OWNERSHIP ON SCHEMA SIGNOFF.PUBLIC TO ROLE SIGNOFF_OWNER COPY CURRENT GRANTS;
