-- Signoff on Snowpark Container Services: the service, and who may open it.
-- deploy/README.md, step 10.
--
-- Run after the image is pushed and spcs.yaml is on the stage, as a user
-- granted SIGNOFF_DEPLOYER (which inherits SIGNOFF_APP):
--   snow stage copy spcs.yaml @SIGNOFF.APP.SPECS --overwrite --role SIGNOFF_DEPLOYER
--   snow sql -f deploy/20_service.sql --role SIGNOFF_DEPLOYER
--
-- The service is created by, and so owned by, SIGNOFF_APP: the service user
-- runs as its owner role, and only the owner may grant the service's roles.
-- CREATE SERVICE needs CREATE SERVICE on the schema and READ on the stage
-- (DOCS/sql-reference/sql/create-service); SIGNOFF_APP holds them only while
-- this script runs, so that the running app cannot create services or read
-- the deployer's files. The other privileges it names (USAGE on the compute
-- pool and the warehouse, BIND SERVICE ENDPOINT, READ on the image
-- repository and the secret) it keeps, because the service needs them to run
-- and to restart.
-- Idempotent: CREATE SERVICE IF NOT EXISTS leaves a running service alone, the
-- ALTER re-applies the settings, and GRANTs already held are no-ops. To roll
-- out a new image or specification, see deploy/30_upgrade.sql.

USE ROLE SIGNOFF_DEPLOYER;
GRANT CREATE SERVICE ON SCHEMA SIGNOFF.APP TO ROLE SIGNOFF_APP;
GRANT READ ON STAGE SIGNOFF.APP.SPECS TO ROLE SIGNOFF_APP;

USE ROLE SIGNOFF_APP;

-- QUERY_WAREHOUSE is the service user's default warehouse; Signoff also names
-- it (SIGNOFF_WAREHOUSE in spcs.yaml), since caller's-rights sessions ignore it.
-- One instance to start: the server is stateless, so MAX_INSTANCES may grow.
CREATE SERVICE IF NOT EXISTS SIGNOFF.APP.SIGNOFF
    IN COMPUTE POOL SIGNOFF_POOL
    FROM @SIGNOFF.APP.SPECS
    SPECIFICATION_FILE = 'spcs.yaml'
    MIN_INSTANCES = 1
    MAX_INSTANCES = 1
    QUERY_WAREHOUSE = SIGNOFF_WH
    COMMENT = 'Signoff: multi-step access approvals';

ALTER SERVICE SIGNOFF.APP.SIGNOFF SET
    MIN_INSTANCES = 1
    MAX_INSTANCES = 1
    QUERY_WAREHOUSE = SIGNOFF_WH;

-- Who may open the ui endpoint: the roles holding the service role app_user
-- (spcs.yaml, serviceRoles). Signoff is a catalog every employee may request
-- from, and approvers hold arbitrary roles, so app_user goes to PUBLIC: every
-- user of the account may open the URL, and Signoff decides what each may do
-- from their own roles. To admit only some people, revoke it from PUBLIC and
-- grant it to their roles instead:
--   REVOKE SERVICE ROLE signoff.app.signoff!app_user FROM ROLE PUBLIC;
--   GRANT SERVICE ROLE signoff.app.signoff!app_user TO ROLE <role>;
GRANT SERVICE ROLE signoff.app.signoff!app_user TO ROLE PUBLIC;

-- Auditors read the digest lines the service writes to its logs
-- (sql/snowflake/05_verify_audit.sql): SPCS_GET_LOGS needs MONITOR on the
-- service (DOCS/sql-reference/functions/spcs_get_logs). Only the owner may
-- grant it.
GRANT MONITOR ON SERVICE SIGNOFF.APP.SIGNOFF TO ROLE SIGNOFF_AUDITOR;

USE ROLE SIGNOFF_DEPLOYER;
REVOKE CREATE SERVICE ON SCHEMA SIGNOFF.APP FROM ROLE SIGNOFF_APP;
REVOKE READ ON STAGE SIGNOFF.APP.SPECS FROM ROLE SIGNOFF_APP;

-- The URL: the ingress_url column of the ui endpoint ("Endpoint provisioning
-- in progress" for a minute or two after the first CREATE).
SHOW ENDPOINTS IN SERVICE SIGNOFF.APP.SIGNOFF;
