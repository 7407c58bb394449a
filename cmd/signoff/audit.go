package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/signoff/signoff/internal/digestfile"
	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlite"
)

const auditUsage = `Usage:
  signoff audit verify [--db FILE] [--digests FILE]
  signoff audit digest [--db FILE] [--digests FILE]

verify checks the embedded database's tamper-evident audit log, read-only:
the ledger (every event's hash and link), the workflow's rules replayed over
each request's events, every request and step row against its events, and
the log against every digest in the digest file. It prints what it checked
and exactly what disagrees, and exits 1 if anything does.

digest records the head of the audit log in the digest file now (signoff
serve does so within --digest-every of every change) and prints the line.
Copy the digest file, or its lines, somewhere the people who can write the
database cannot change: any copy verifies.

On Snowflake, run sql/snowflake/05_verify_audit.sql as an auditor, or open
/audit/verify as an admin or auditor.

Options:
`

// errNotVerified means the audit log was read and does not verify.
var errNotVerified = errors.New("the audit log does not verify")

// audit runs "signoff audit verify" and "signoff audit digest".
func audit(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "verify" && args[0] != "digest") {
		fmt.Fprint(stderr, auditUsage)
		return errUsage
	}
	fs := flag.NewFlagSet("audit "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := getenv("SIGNOFF_DB")
	if db == "" {
		db = "signoff.db"
	}
	fs.StringVar(&db, "db", db, "embedded database `file` to check (SIGNOFF_DB)")
	digests := fs.String("digests", getenv("SIGNOFF_DIGESTS"),
		"digest `file` (SIGNOFF_DIGESTS); default: the database file's name with .digests added")
	fs.Usage = func() { fmt.Fprint(stderr, auditUsage); fs.PrintDefaults() }
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "unexpected arguments %q\n", fs.Args())
		return errUsage
	}
	if db == ":memory:" {
		return errors.New("--db :memory: has nothing to check: name the database file")
	}
	if *digests == "" {
		*digests = db + ".digests"
	}
	store, err := sqlite.OpenReadOnly(ctx, db)
	if err != nil {
		return err
	}
	defer store.Close()
	svc := signoff.NewService(store.Reads(), nil)
	svc.Anchor = digestfile.New(*digests)
	if args[0] == "digest" {
		d, taken, err := svc.TakeDigest(ctx)
		if err != nil {
			return err
		}
		if !taken {
			fmt.Fprintf(stdout, "no new digest: the log is empty or its head is already recorded in %s\n", *digests)
			return nil
		}
		fmt.Fprintln(stdout, d.Line())
		return nil
	}
	rep, err := svc.VerifyAudit(ctx, signoff.NewIdentity("signoff audit verify", []string{signoff.RoleAuditor}))
	if err != nil {
		return err
	}
	printReport(stdout, rep, db)
	if !rep.OK() {
		return errNotVerified
	}
	return nil
}

// printReport writes a verification's outcome for people.
func printReport(w io.Writer, rep signoff.LedgerReport, db string) {
	if rep.OK() {
		fmt.Fprintf(w, "audit log verified: %d events in %d requests (%s)\n", rep.Events, rep.Requests, db)
	} else {
		fmt.Fprintf(w, "audit log DOES NOT VERIFY: %d problem(s) in %d events and %d requests (%s)\n",
			len(rep.Problems), rep.Events, rep.Requests, db)
		for _, p := range rep.Problems {
			where := "request " + p.RequestID
			if p.RequestID == "" {
				where = "the ledger"
			}
			if p.Seq > 0 {
				where += fmt.Sprintf(", event %d", p.Seq)
			}
			fmt.Fprintf(w, "  %s: %s: %s\n", where, p.Kind, p.Sentence())
		}
	}
	switch last, ok := rep.LastDigest(); {
	case !ok:
		fmt.Fprintf(w, "no digests in %s: the log was checked against itself only\n", rep.Anchor)
	default:
		bad := 0
		for _, d := range rep.Digests {
			if !d.OK {
				bad++
			}
		}
		fmt.Fprintf(w, "%d digest(s) in %s, the newest taken %s covering events 1 to %d; %d disagree with the log\n",
			len(rep.Digests), rep.Anchor, last.Taken.Format("2006-01-02 15:04:05 MST"), last.Seq, bad)
	}
}
