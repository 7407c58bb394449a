package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/signoff/signoff/internal/sqlite"
)

const auditUsage = `Usage: signoff audit verify [--db FILE]

Checks the embedded database's tamper-evident audit log: every request's
events must form an intact hash chain (no row edited, deleted or reordered),
and every request must have one. Prints what it checked; exits 1 if anything
does not verify. On Snowflake, run sql/snowflake/05_verify_audit.sql, or open
/audit/verify as an admin or auditor.

Options:
`

// errNotVerified means the audit log was read and does not verify.
var errNotVerified = errors.New("the audit log does not verify")

// audit runs "signoff audit verify".
func audit(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprint(stderr, auditUsage)
		return errUsage
	}
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := getenv("SIGNOFF_DB")
	if db == "" {
		db = "signoff.db"
	}
	fs.StringVar(&db, "db", db, "embedded database `file` to check (SIGNOFF_DB)")
	fs.Usage = func() { fmt.Fprint(stderr, auditUsage); fs.PrintDefaults() }
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if db == ":memory:" {
		return errors.New("--db :memory: has nothing to verify: name the database file")
	}
	store, err := sqlite.OpenExisting(ctx, db)
	if err != nil {
		return err
	}
	defer store.Close()
	rep, err := store.Reads().VerifyAudit(ctx)
	if err != nil {
		return err
	}
	if rep.OK() {
		fmt.Fprintf(stdout, "audit log verified: %d events in %d requests, every chain intact (%s)\n", rep.Events, rep.Requests, db)
		return nil
	}
	fmt.Fprintf(stdout, "audit log DOES NOT VERIFY: %d problem(s) in %d events and %d requests (%s)\n",
		len(rep.Problems), rep.Events, rep.Requests, db)
	for _, p := range rep.Problems {
		fmt.Fprintf(stdout, "  request %s link %d event %s: %s: %s\n", p.RequestID, p.Seq, p.EventID, p.Kind, p.Detail)
	}
	return errNotVerified
}
