-- Signoff on Snowpark Container Services: roll out a new image or specification.
-- deploy/README.md, "Upgrades".
--
-- Push the new image under a new tag, set that tag in spcs.yaml, then:
--   snow stage copy spcs.yaml @SIGNOFF.APP.SPECS --overwrite --role SIGNOFF_APP
--   snow sql -f deploy/30_upgrade.sql
--
-- ALTER SERVICE ... FROM SPECIFICATION is a rolling upgrade: instances are
-- replaced one at a time, each stopped with SIGTERM and 30 s to finish (the
-- server drains within 25 s). The ingress URL does not change.

USE ROLE SIGNOFF_APP;

ALTER SERVICE SIGNOFF.APP.SIGNOFF
    FROM @SIGNOFF.APP.SPECS
    SPECIFICATION_FILE = 'spcs.yaml';

-- Watch the new containers come up: status READY once /readyz answers 200.
SHOW SERVICE CONTAINERS IN SERVICE SIGNOFF.APP.SIGNOFF;
