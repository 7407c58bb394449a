package sqlite

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/signoff/signoff/internal/signoff"
	sqlfiles "github.com/signoff/signoff/sql"
)

var _ signoff.Diagnoser = (*Store)(nil)

// The local account says who holds roles (signoff.Directory).
var _ signoff.Directory = (*Store)(nil)

// Diagnose is the embedded engine's preflight: the database file, its
// migrations and integrity, and a dry run of every action as admin (the
// same dry runs the Snowflake preflight makes). What only Snowflake has
// (grants, caller sessions, the SQL audit hash) is reported as skipped.
func (s *Store) Diagnose(ctx context.Context, admin signoff.Identity) (signoff.Checks, error) {
	cs := signoff.Checks{s.fileCheck(), s.migrationsCheck(ctx), s.integrityCheck(ctx)}
	var ids signoff.IDGenerator
	now := time.Now().UTC().Truncate(time.Microsecond)
	cs = append(cs, signoff.DryRuns(ctx, s, admin, &ids, now)...)
	cs = append(cs, signoff.ReviewDryRuns(ctx, s, admin, &ids, now)...)
	cs = append(cs, signoff.ProductDryRun(ctx, s, admin, &ids, now))
	cs = append(cs, signoff.DirectoryDryRun(ctx, s, admin, &ids, now))
	return append(cs, signoff.Check{Name: "Snowflake", Status: signoff.CheckSkip,
		Detail: "This is the embedded engine: there are no Snowflake grants, caller sessions or SQL audit hash to check.",
		Fix:    "Deployed in Snowflake, this page checks them."}), nil
}

func (s *Store) fileCheck() signoff.Check {
	c := signoff.Check{Name: "Database file"}
	if s.path == "" {
		c.Status, c.Detail = signoff.CheckWarn, "The database is in memory: everything is lost when Signoff stops."
		c.Fix = "Start Signoff with --db FILE to keep its data."
		return c
	}
	fi, err := os.Stat(s.path)
	if err != nil {
		c.Status, c.Detail = signoff.CheckFail, err.Error()
		c.Fix = "The file Signoff writes to is gone; restart Signoff to open it again."
		return c
	}
	c.Status, c.Detail = signoff.CheckPass, fmt.Sprintf("%s (%d KiB).", s.path, fi.Size()/1024)
	return c
}

func (s *Store) migrationsCheck(ctx context.Context) signoff.Check {
	c := signoff.Check{Name: "Schema migrations"}
	names, err := fs.Glob(sqlfiles.FS, "sqlite/*.sql")
	if err != nil {
		c.Status, c.Detail = signoff.CheckFail, err.Error()
		return c
	}
	applied, err := s.strings(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		c.Status, c.Detail = signoff.CheckFail, err.Error()
		return c
	}
	var missing []string
	for _, n := range names {
		v := strings.TrimSuffix(path.Base(n), ".sql")
		if !slices.Contains(applied, v) {
			missing = append(missing, v)
		}
	}
	if len(missing) > 0 {
		c.Status, c.Detail = signoff.CheckFail, "Not applied: "+strings.Join(missing, ", ")+"."
		c.Fix = "Restart Signoff: it applies its migrations when it opens the database."
		return c
	}
	c.Status, c.Detail = signoff.CheckPass, fmt.Sprintf("All %d applied (latest %s).", len(applied), applied[len(applied)-1])
	return c
}

func (s *Store) integrityCheck(ctx context.Context) signoff.Check {
	c := signoff.Check{Name: "Database integrity"}
	res, err := s.strings(ctx, `PRAGMA quick_check`)
	switch {
	case err != nil:
		c.Status, c.Detail = signoff.CheckFail, err.Error()
	case len(res) == 1 && res[0] == "ok":
		c.Status, c.Detail = signoff.CheckPass, "SQLite's quick_check finds nothing wrong."
	default:
		c.Status, c.Detail = signoff.CheckFail, strings.Join(res, "; ")
		c.Fix = "Restore the database from a backup; the audit check (/audit/verify) shows which requests are affected."
	}
	return c
}
