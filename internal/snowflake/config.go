// Package snowflake is Signoff's Snowflake engine: the Store over the
// service user's connection pool (gosnowflake, OAuth token file injected by
// Snowpark Container Services), caller's-rights sessions that establish who
// each visitor is, and the owner's-rights grant procedures.
//
// The workflow SQL is package sqlstore's, shared with the embedded engine:
// the reads run here on the service pool against the API schema's views,
// and the actions' checks and writes run inside the API procedures
// (sql/snowflake/03_api.sql embeds them). What is Snowflake's own is here:
// each action is one CALL in the acting person's caller's-rights session,
// identity comes from CURRENT_USER() and IS_ROLE_IN_SESSION() in the
// visitor's own session, and errors are translated from Snowflake's numbers.
package snowflake

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// DefaultTokenFile is where SPCS mounts the service user's OAuth token.
const DefaultTokenFile = "/snowflake/session/token"

// DefaultAPISchema is the schema of the read-only views and the API
// procedures (sql/snowflake/01_data_model.sql, 03_api.sql).
const DefaultAPISchema = "API"

// DefaultService is the service deploy/20_service.sql creates.
const DefaultService = "SIGNOFF.APP.SIGNOFF"

// Config is how to reach Snowflake.
type Config struct {
	Account   string // SNOWFLAKE_ACCOUNT (SPCS injects it)
	Host      string // SNOWFLAKE_HOST (SPCS injects it)
	Port      int    // 0 means 443; tests point it at a loopback fake
	Protocol  string // "" means https
	Database  string // SNOWFLAKE_DATABASE or configuration
	Schema    string // the API schema: its views are read, its procedures called (default API)
	Warehouse string // required: SPCS injects none
	TokenFile string // the service user's OAuth token, re-read on every new connection
	// QueryTag is set on every session, so Signoff's statements are easy to
	// find in QUERY_HISTORY.
	QueryTag string
	// CatalogTTL is how long catalog metadata is reused before it is read
	// again: the products, the approver roles, and the roles that matter to
	// identity (approver, owner and access roles). Each read is a round trip
	// that most pages would pay; a change shows within the TTL.
	CatalogTTL time.Duration
	// Service is the service's own name, database.schema.name, whose logs
	// keep the audit log's digests (Anchor).
	Service string
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
		{"schema", c.Schema, "--schema (the API schema, usually API)"},
		{"warehouse", c.Warehouse, "--warehouse or SIGNOFF_WAREHOUSE (SPCS does not inject one)"},
	} {
		switch {
		case f.value == "":
			errs = append(errs, fmt.Errorf("no %s: set %s", f.name, f.how))
		case !objectName.MatchString(f.value):
			errs = append(errs, fmt.Errorf("%s %q is not a valid unquoted Snowflake identifier", f.name, f.value))
		}
	}
	if parts := strings.Split(c.Service, "."); c.Service != "" && (len(parts) != 3 ||
		!objectName.MatchString(parts[0]) || !objectName.MatchString(parts[1]) || !objectName.MatchString(parts[2])) {
		errs = append(errs, fmt.Errorf("service %q is not database.schema.service in unquoted identifiers", c.Service))
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
// SNOWFLAKE_HOST, SNOWFLAKE_DATABASE; and SNOWFLAKE_PORT /
// SNOWFLAKE_PROTOCOL, which SPCS does not set but local tests may) into c
// where c leaves them empty, and the API schema's default name. The
// service's own schema (SNOWFLAKE_SCHEMA) is not the API schema: the
// service lives in SIGNOFF.APP, and reads and calls go to SIGNOFF.API.
func (c Config) FromEnv(getenv func(string) string) Config {
	set := func(dst *string, name string) {
		if *dst == "" {
			*dst = getenv(name)
		}
	}
	set(&c.Account, "SNOWFLAKE_ACCOUNT")
	set(&c.Host, "SNOWFLAKE_HOST")
	set(&c.Database, "SNOWFLAKE_DATABASE")
	if c.Schema == "" {
		c.Schema = DefaultAPISchema
	}
	set(&c.Protocol, "SNOWFLAKE_PROTOCOL")
	if c.Port == 0 {
		c.Port, _ = strconv.Atoi(getenv("SNOWFLAKE_PORT"))
	}
	return c
}
