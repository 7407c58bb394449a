-- Signoff on Snowflake, the last step of an install or an upgrade: nobody
-- keeps SIGNOFF_OWNER.
--
-- Run after 00 to 04 (or after an upgrade's re-run of 01 to 04), as the
-- installing user:
--   snow sql -f sql/snowflake/06_finish.sql --role SECURITYADMIN
--
-- SIGNOFF_OWNER owns the data, the API procedures and every product's access
-- role: whoever holds it can grant access roles and change the tables with
-- no audit event. Between installs nobody holds it. To upgrade, or for a
-- break-glass repair, a SECURITYADMIN grants it to a named person for the
-- task and this script takes it back (deploy/README.md, "Who holds
-- SIGNOFF_OWNER"); every use shows in QUERY_HISTORY and LOGIN_HISTORY.

USE ROLE SECURITYADMIN;
SET signoff_installer = '"' || REPLACE(CURRENT_USER(), '"', '""') || '"';
REVOKE ROLE SIGNOFF_OWNER FROM USER IDENTIFIER($signoff_installer);

-- Must list no grant to any user or role: run it and check.
SHOW GRANTS OF ROLE SIGNOFF_OWNER;
