package snowflake

import (
	"strings"
)

// Grant is one privilege a role holds: as SHOW GRANTS TO ROLE lists it
// (privilege, granted_on, name), or as SHOW CALLER GRANTS TO ROLE lists a
// caller grant.
type Grant struct {
	Role      string
	Privilege string
	On        string // the object type: ACCOUNT, DATABASE, SCHEMA, VIEW, PROCEDURE, ...
	Name      string // the object's name, fully qualified; "" for the account
}

// Key is the grant as one comparable string.
func (g Grant) Key() string {
	return g.Role + " " + g.Privilege + " ON " + strings.TrimSpace(g.On+" "+g.Name)
}

// ExpectedGrants are the privileges each Signoff role (and PUBLIC, for
// Signoff's objects) holds after the install (sql/snowflake/00..06) and the
// deployment (deploy/10..30), ownership aside: nothing more and nothing
// less. sql/snowflake_privileges_test.go replays the scripts and fails unless
// they grant exactly this; the preflight compares a real account's SHOW
// GRANTS with it. docs/snowflake.md explains why each is needed.
var ExpectedGrants = []Grant{
	// SIGNOFF_OWNER owns the data, the procedures and the access roles; beyond
	// what it owns it needs only these.
	{"SIGNOFF_OWNER", "READ SESSION", "ACCOUNT", ""},      // SYS_CONTEXT('SNOWFLAKE$SESSION', ...) in its procedures
	{"SIGNOFF_OWNER", "USAGE", "WAREHOUSE", "SIGNOFF_WH"}, // the install scripts' DML, and its tasks' warehouse
	{"SIGNOFF_OWNER", "EXECUTE TASK", "ACCOUNT", ""},      // its tasks run as it (SIGNOFF_SCHEDULE)
	// ACCOUNT_USAGE's GRANTS_TO_USERS, GRANTS_TO_ROLES (MAIN.ROLE_HOLDER) and
	// USERS (SEND_NOTIFICATIONS' e-mail addresses).
	{"SIGNOFF_OWNER", "USAGE", "DATABASE ROLE", "SNOWFLAKE.SECURITY_VIEWER"},
	// ACCOUNT_USAGE.ACCESS_HISTORY (MAIN.ACCESS_USAGE: the grants' last use
	// in access reviews).
	{"SIGNOFF_OWNER", "USAGE", "DATABASE ROLE", "SNOWFLAKE.GOVERNANCE_VIEWER"},

	// SIGNOFF_APP, the running app: reads the views, runs the service.
	{"SIGNOFF_APP", "BIND SERVICE ENDPOINT", "ACCOUNT", ""},
	{"SIGNOFF_APP", "USAGE", "COMPUTE POOL", "SIGNOFF_POOL"},
	{"SIGNOFF_APP", "USAGE", "DATABASE", "SIGNOFF"},
	{"SIGNOFF_APP", "READ", "IMAGE REPOSITORY", "SIGNOFF.APP.REPO"},
	{"SIGNOFF_APP", "USAGE", "SCHEMA", "SIGNOFF.API"},
	{"SIGNOFF_APP", "USAGE", "SCHEMA", "SIGNOFF.APP"},
	{"SIGNOFF_APP", "READ", "SECRET", "SIGNOFF.APP.SESSION_KEY"},
	{"SIGNOFF_APP", "SELECT", "VIEW", "SIGNOFF.API.ACCESS_REQUEST"},
	{"SIGNOFF_APP", "SELECT", "VIEW", "SIGNOFF.API.APPROVAL_CHAIN"},
	{"SIGNOFF_APP", "SELECT", "VIEW", "SIGNOFF.API.CHAIN_POLICY"},
	{"SIGNOFF_APP", "SELECT", "VIEW", "SIGNOFF.API.AUDIT_LOG"},
	{"SIGNOFF_APP", "SELECT", "VIEW", "SIGNOFF.API.DATA_PRODUCT"},
	{"SIGNOFF_APP", "SELECT", "VIEW", "SIGNOFF.API.REQUEST_STEP"},
	{"SIGNOFF_APP", "SELECT", "VIEW", "SIGNOFF.API.ROLE_HOLDER"},       // its signoff.Directory
	{"SIGNOFF_APP", "SELECT", "VIEW", "SIGNOFF.API.NOTIFICATION"},      // the outbox page
	{"SIGNOFF_APP", "SELECT", "VIEW", "SIGNOFF.API.NOTIFY_PREFERENCE"}, // the digest choice
	{"SIGNOFF_APP", "SELECT", "VIEW", "SIGNOFF.API.ACCESS_REVIEW"},     // access reviews
	{"SIGNOFF_APP", "SELECT", "VIEW", "SIGNOFF.API.REVIEW_ITEM"},
	{"SIGNOFF_APP", "SELECT", "VIEW", "SIGNOFF.API.ACCESS_USAGE"},    // the grants' last use
	{"SIGNOFF_APP", "SELECT", "VIEW", "SIGNOFF.API.PRODUCT_VERSION"}, // a product's history
	{"SIGNOFF_APP", "SELECT", "VIEW", "SIGNOFF.API.USER_MANAGER"},    // the directory (manager steps)
	{"SIGNOFF_APP", "USAGE", "WAREHOUSE", "SIGNOFF_WH"},

	// Admins run the preflight; they inherit SIGNOFF_AUDITOR.
	{"SIGNOFF_ADMIN", "USAGE", "PROCEDURE", "SIGNOFF.API.PREFLIGHT"},
	// ... and edit the catalog, from the pages or with SQL.
	{"SIGNOFF_ADMIN", "USAGE", "PROCEDURE", "SIGNOFF.API.SAVE_PRODUCT"},
	{"SIGNOFF_ADMIN", "USAGE", "PROCEDURE", "SIGNOFF.API.SET_CHAIN"},
	{"SIGNOFF_ADMIN", "USAGE", "PROCEDURE", "SIGNOFF.API.SET_CHAIN_POLICY"},
	// ... and read an object's columns and tags into the product form.
	{"SIGNOFF_ADMIN", "USAGE", "PROCEDURE", "SIGNOFF.API.DESCRIBE_OBJECT"},
	// ... and maintain the directory of managers (manager steps).
	{"SIGNOFF_ADMIN", "USAGE", "PROCEDURE", "SIGNOFF.API.SET_MANAGERS"},
	{"SIGNOFF_ADMIN", "USAGE", "PROCEDURE", "SIGNOFF.API.SET_MANAGER"},

	// Auditors read every view and check the audit hash chain.
	{"SIGNOFF_AUDITOR", "USAGE", "DATABASE", "SIGNOFF"},
	{"SIGNOFF_AUDITOR", "USAGE", "FUNCTION", "SIGNOFF.API.AUDIT_HASH"},
	// ... and list every grant and request with SQL (admins inherit it).
	{"SIGNOFF_AUDITOR", "USAGE", "PROCEDURE", "SIGNOFF.API.LIST_GRANTS"},
	{"SIGNOFF_AUDITOR", "USAGE", "PROCEDURE", "SIGNOFF.API.LIST_REQUESTS"},
	{"SIGNOFF_APP", "USAGE", "FUNCTION", "SIGNOFF.API.AUDIT_HASH"},
	{"SIGNOFF_AUDITOR", "USAGE", "FUNCTION", "SIGNOFF.API.ADD_HOURS"},
	{"SIGNOFF_APP", "USAGE", "FUNCTION", "SIGNOFF.API.ADD_HOURS"},
	{"SIGNOFF_AUDITOR", "USAGE", "SCHEMA", "SIGNOFF.API"},
	{"SIGNOFF_AUDITOR", "SELECT", "VIEW", "SIGNOFF.API.ACCESS_REQUEST"},
	{"SIGNOFF_AUDITOR", "SELECT", "VIEW", "SIGNOFF.API.APPROVAL_CHAIN"},
	{"SIGNOFF_AUDITOR", "SELECT", "VIEW", "SIGNOFF.API.CHAIN_POLICY"},
	{"SIGNOFF_AUDITOR", "SELECT", "VIEW", "SIGNOFF.API.AUDIT_LOG"},
	{"SIGNOFF_AUDITOR", "SELECT", "VIEW", "SIGNOFF.API.DATA_PRODUCT"},
	{"SIGNOFF_AUDITOR", "SELECT", "VIEW", "SIGNOFF.API.REQUEST_STEP"},
	{"SIGNOFF_AUDITOR", "SELECT", "VIEW", "SIGNOFF.API.ROLE_HOLDER"},
	{"SIGNOFF_AUDITOR", "SELECT", "VIEW", "SIGNOFF.API.NOTIFICATION"},
	{"SIGNOFF_AUDITOR", "SELECT", "VIEW", "SIGNOFF.API.NOTIFY_PREFERENCE"},
	{"SIGNOFF_AUDITOR", "SELECT", "VIEW", "SIGNOFF.API.ACCESS_REVIEW"},
	{"SIGNOFF_AUDITOR", "SELECT", "VIEW", "SIGNOFF.API.REVIEW_ITEM"},
	{"SIGNOFF_AUDITOR", "SELECT", "VIEW", "SIGNOFF.API.ACCESS_USAGE"},
	{"SIGNOFF_AUDITOR", "SELECT", "VIEW", "SIGNOFF.API.PRODUCT_VERSION"},
	{"SIGNOFF_AUDITOR", "SELECT", "VIEW", "SIGNOFF.API.USER_MANAGER"},
	// ... and read the digests the service keeps in its logs.
	{"SIGNOFF_AUDITOR", "USAGE", "SCHEMA", "SIGNOFF.APP"},
	{"SIGNOFF_AUDITOR", "MONITOR", "SERVICE", "SIGNOFF.APP.SIGNOFF"},
	// ... and Snowflake's own history of the audit log, through the
	// SNOWFLAKE database's roles (SHOW GRANTS lists them as USAGE).
	{"SIGNOFF_AUDITOR", "USAGE", "DATABASE ROLE", "SNOWFLAKE.GOVERNANCE_VIEWER"},
	{"SIGNOFF_AUDITOR", "USAGE", "DATABASE ROLE", "SNOWFLAKE.USAGE_VIEWER"},

	// Everyone may call the actions, which check who may do what.
	{"PUBLIC", "USAGE", "DATABASE", "SIGNOFF"},
	{"PUBLIC", "USAGE", "PROCEDURE", "SIGNOFF.API.DECIDE_STEP"},
	{"PUBLIC", "USAGE", "PROCEDURE", "SIGNOFF.API.RETRY_GRANT"},
	{"PUBLIC", "USAGE", "PROCEDURE", "SIGNOFF.API.REVOKE_ACCESS"},
	{"PUBLIC", "USAGE", "PROCEDURE", "SIGNOFF.API.SET_NOTIFY_DIGEST"},
	{"PUBLIC", "USAGE", "PROCEDURE", "SIGNOFF.API.SUBMIT_REQUEST"},
	{"PUBLIC", "USAGE", "PROCEDURE", "SIGNOFF.API.WHOAMI"},
	{"PUBLIC", "USAGE", "PROCEDURE", "SIGNOFF.API.WITHDRAW_REQUEST"},
	{"PUBLIC", "USAGE", "PROCEDURE", "SIGNOFF.API.RESUBMIT_REQUEST"},
	{"PUBLIC", "USAGE", "PROCEDURE", "SIGNOFF.API.START_REVIEW"},
	{"PUBLIC", "USAGE", "PROCEDURE", "SIGNOFF.API.DECIDE_REVIEW"},
	{"PUBLIC", "USAGE", "SCHEMA", "SIGNOFF.API"},
	{"PUBLIC", "USAGE", "WAREHOUSE", "SIGNOFF_WH"},
}

// OptionalGrants are the grants an optional step adds
// (deploy/40_notifications.sql): the preflight neither misses them where
// the step did not run nor calls them extra where it did.
var OptionalGrants = []Grant{
	{"SIGNOFF_OWNER", "USAGE", "INTEGRATION", "SIGNOFF_EMAIL"}, // SEND_NOTIFICATIONS' SYSTEM$SEND_EMAIL
}

// ExpectedCallerGrants are SIGNOFF_APP's caller grants: what the app may do
// in a visitor's caller's-rights session, which is to CALL the API
// procedures on SIGNOFF_WH. The identity query needs none.
var ExpectedCallerGrants = []Grant{
	{"SIGNOFF_APP", "USAGE", "DATABASE", "SIGNOFF"},
	{"SIGNOFF_APP", "USAGE", "SCHEMA", "SIGNOFF.API"},
	{"SIGNOFF_APP", "USAGE", "PROCEDURE", "ALL PROCEDURES IN SCHEMA SIGNOFF.API"},
	{"SIGNOFF_APP", "USAGE", "WAREHOUSE", "SIGNOFF_WH"},
}

// Owned is what the Signoff roles must own, for the preflight's
// SHOW GRANTS ON ... checks.
var Owned = []Grant{
	{"SIGNOFF_OWNER", "OWNERSHIP", "DATABASE", "SIGNOFF"},
	{"SIGNOFF_OWNER", "OWNERSHIP", "SCHEMA", "SIGNOFF.MAIN"},
	{"SIGNOFF_OWNER", "OWNERSHIP", "SCHEMA", "SIGNOFF.API"},
	{"SIGNOFF_OWNER", "OWNERSHIP", "ROLE", "SIGNOFF_PREFLIGHT"},
	{"SIGNOFF_DEPLOYER", "OWNERSHIP", "SCHEMA", "SIGNOFF.APP"},
	{"SIGNOFF_APP", "OWNERSHIP", "SERVICE", "SIGNOFF.APP.SIGNOFF"},
}

// ExpectedRoleGrants are the roles granted to Signoff roles (as SHOW GRANTS
// TO ROLE lists them: USAGE on the role). The deployer inherits the
// service's role to manage the service; admins inherit the auditor's reads.
var ExpectedRoleGrants = []Grant{
	{"SIGNOFF_DEPLOYER", "USAGE", "ROLE", "SIGNOFF_APP"},
	{"SIGNOFF_ADMIN", "USAGE", "ROLE", "SIGNOFF_AUDITOR"},
}

// SignoffRoles are the roles the preflight checks.
var SignoffRoles = []string{"SIGNOFF_OWNER", "SIGNOFF_APP", "SIGNOFF_DEPLOYER", "SIGNOFF_ADMIN", "SIGNOFF_AUDITOR"}
