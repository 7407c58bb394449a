-- Signoff on Snowpark Container Services: roll out a new image or specification.
-- deploy/README.md, "Upgrades".
--
-- Push the new image under a new tag, set that tag in spcs.yaml, then, as a
-- user granted SIGNOFF_DEPLOYER:
--   snow stage copy spcs.yaml @SIGNOFF.APP.SPECS --overwrite --role SIGNOFF_DEPLOYER
--   snow sql -f deploy/30_upgrade.sql --role SIGNOFF_DEPLOYER
--
-- ALTER SERVICE ... FROM SPECIFICATION is a rolling upgrade: instances are
-- replaced one at a time, each stopped with SIGTERM and 30 s to finish (the
-- server drains within 25 s). The ingress URL does not change. The service's
-- owner reads the stage only while this script runs.

USE ROLE SIGNOFF_DEPLOYER;
GRANT READ ON STAGE SIGNOFF.APP.SPECS TO ROLE SIGNOFF_APP;

USE ROLE SIGNOFF_APP;
ALTER SERVICE SIGNOFF.APP.SIGNOFF
    FROM @SIGNOFF.APP.SPECS
    SPECIFICATION_FILE = 'spcs.yaml';

USE ROLE SIGNOFF_DEPLOYER;
REVOKE READ ON STAGE SIGNOFF.APP.SPECS FROM ROLE SIGNOFF_APP;

-- Watch the new containers come up: status READY once /readyz answers 200.
SHOW SERVICE CONTAINERS IN SERVICE SIGNOFF.APP.SIGNOFF;
