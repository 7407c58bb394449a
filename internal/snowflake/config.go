// Package snowflake is Signoff's Snowflake engine: the Store over the
// service user's connection pool (gosnowflake, OAuth token file injected by
// Snowpark Container Services), caller's-rights sessions that establish who
// each visitor is, and the owner's-rights grant procedures.
//
// The workflow SQL is package sqlstore's, shared with the embedded engine.
// What is Snowflake's own is here: writes run as one CALL of SIGNOFF_APPLY
// (a caller's-rights procedure that runs the batch in one transaction), the
// grant and revoke go through GRANT_PRODUCT_ACCESS / REVOKE_PRODUCT_ACCESS,
// identity comes from CURRENT_USER() and IS_ROLE_IN_SESSION() in the
// visitor's own session, and errors are translated from Snowflake's numbers.
package snowflake

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"time"
)

// DefaultTokenFile is where SPCS mounts the service user's OAuth token.
const DefaultTokenFile = "/snowflake/session/token"

// Config is how to reach Snowflake.
type Config struct {
	Account   string // SNOWFLAKE_ACCOUNT (SPCS injects it)
	Host      string // SNOWFLAKE_HOST (SPCS injects it)
	Port      int    // 0 means 443; tests point it at a loopback fake
	Protocol  string // "" means https
	Database  string // SNOWFLAKE_DATABASE or configuration
	Schema    string // SNOWFLAKE_SCHEMA or configuration
	Warehouse string // required: SPCS injects none
	TokenFile string // the service user's OAuth token, re-read on every new connection
	// QueryTag is set on every session, so Signoff's statements are easy to
	// find in QUERY_HISTORY.
	QueryTag string
	// IdentityTTL is how long a visitor's identity facts are reused for page
	// views carrying the same caller token; 0 disables caching. Decisions and
	// other actions never use the cache.
	IdentityTTL time.Duration
	// RolesTTL is how long the list of roles that matter (approver, owner and
	// access roles) is reused before it is read again.
	RolesTTL time.Duration
}

// objectName is a Snowflake unquoted identifier (database, schema, warehouse).
var objectName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_$]{0,254}$`)

// Validate checks that the configuration can work, with messages that say
// what to set.
func (c Config) Validate() error {
	var errs []error
	if c.Account == "" {
		errs = append(errs, errors.New("SNOWFLAKE_ACCOUNT is not set"))
	}
	if c.Host == "" {
		errs = append(errs, errors.New("SNOWFLAKE_HOST is not set"))
	}
	for _, f := range []struct{ name, value, how string }{
		{"database", c.Database, "SNOWFLAKE_DATABASE or --database"},
		{"schema", c.Schema, "SNOWFLAKE_SCHEMA or --schema"},
		{"warehouse", c.Warehouse, "--warehouse or SIGNOFF_WAREHOUSE (SPCS does not inject one)"},
	} {
		switch {
		case f.value == "":
			errs = append(errs, fmt.Errorf("no %s: set %s", f.name, f.how))
		case !objectName.MatchString(f.value):
			errs = append(errs, fmt.Errorf("%s %q is not a valid unquoted Snowflake identifier", f.name, f.value))
		}
	}
	if c.TokenFile == "" {
		errs = append(errs, errors.New("no token file: set --token-file"))
	} else if _, err := os.Stat(c.TokenFile); err != nil {
		errs = append(errs, fmt.Errorf("token file: %w", err))
	}
	if c.Protocol != "" && c.Protocol != "https" && c.Protocol != "http" {
		errs = append(errs, fmt.Errorf("protocol %q must be https or http", c.Protocol))
	}
	return errors.Join(errs...)
}

// InSPCS reports whether the process runs in Snowpark Container Services:
// the token file exists and SPCS's connection variables are set.
func InSPCS(getenv func(string) string, tokenFile string) bool {
	if tokenFile == "" {
		tokenFile = DefaultTokenFile
	}
	if getenv("SNOWFLAKE_HOST") == "" || getenv("SNOWFLAKE_ACCOUNT") == "" {
		return false
	}
	_, err := os.Stat(tokenFile)
	return err == nil
}

// FromEnv fills the connection fields SPCS injects (SNOWFLAKE_ACCOUNT,
// SNOWFLAKE_HOST, SNOWFLAKE_DATABASE, SNOWFLAKE_SCHEMA; and SNOWFLAKE_PORT /
// SNOWFLAKE_PROTOCOL, which SPCS does not set but local tests may) into c
// where c leaves them empty.
func (c Config) FromEnv(getenv func(string) string) Config {
	set := func(dst *string, name string) {
		if *dst == "" {
			*dst = getenv(name)
		}
	}
	set(&c.Account, "SNOWFLAKE_ACCOUNT")
	set(&c.Host, "SNOWFLAKE_HOST")
	set(&c.Database, "SNOWFLAKE_DATABASE")
	set(&c.Schema, "SNOWFLAKE_SCHEMA")
	set(&c.Protocol, "SNOWFLAKE_PROTOCOL")
	if c.Port == 0 {
		c.Port, _ = strconv.Atoi(getenv("SNOWFLAKE_PORT"))
	}
	return c
}
