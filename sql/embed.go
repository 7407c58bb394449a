// Package sqlfiles embeds Signoff's SQL: the embedded engine's migrations
// (sqlite/) and the Snowflake scripts (snowflake/), so tests can check that
// the two data models stay in step, and the templates of the Snowflake API
// and seed, so that internal/sqlgen renders 03_api.sql and 04_seed.sql from
// any working directory.
package sqlfiles

import "embed"

// FS holds sqlite/*.sql, snowflake/*.sql and snowflake/*.tmpl (the
// templates internal/sqlgen renders; readers of the scripts glob *.sql).
//
//go:embed sqlite/*.sql snowflake/*.sql snowflake/*.tmpl
var FS embed.FS
