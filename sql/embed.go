// Package sqlfiles embeds Signoff's SQL: the embedded engine's migrations
// (sqlite/) and the Snowflake scripts (snowflake/), so tests can check that
// the two data models stay in step.
package sqlfiles

import "embed"

// FS holds sqlite/*.sql and snowflake/*.sql.
//
//go:embed sqlite/*.sql snowflake/*.sql
var FS embed.FS
