package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/snowflake"
	"github.com/signoff/signoff/internal/sqlite"
)

const doctorUsage = `Usage: signoff doctor [options]

Checks what Signoff relies on in the engine it would run on, and prints
PASS, WARN, FAIL or SKIP for each check, with the fix for each failure.
Exits 1 if a check fails. Nothing is changed: actions run as dry runs.

  embedded   the database file (--db): that it exists, its migrations,
             its integrity, and a dry run of every action.
  snowflake  inside Snowpark Container Services, or with --engine
             snowflake: the service's connection, the API views, the audit
             log's digests (readable, and the newest still matching the
             log), and every Signoff role's grants against the install
             scripts. The checks
             of a person's caller's-rights session (what the procedures see
             of a caller, the grant path, the audit hash, the dry runs) need
             a visitor: open /doctor in the service as a Signoff admin. The
             service also logs these checks when it starts.

Options (each has an environment variable; a flag overrides it):
`

// errChecksFailed means the checks ran and at least one failed; the output
// says which.
var errChecksFailed = errors.New("a check failed")

// doctor runs "signoff doctor".
func doctor(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	var c serveConfig
	fs := flag.NewFlagSet("doctor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addEngineFlags(fs, &c, env)
	fs.Usage = func() { fmt.Fprint(stderr, doctorUsage); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "signoff doctor: unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	if err := resolveEngine(&c, getenv); err != nil {
		return err
	}
	var cs signoff.Checks
	switch c.engine {
	case "snowflake":
		store, err := snowflake.Open(ctx, c.snowflake)
		if err != nil {
			return err
		}
		defer store.Close()
		d := snowflake.NewDoctor(store, c.snowflake)
		cs = append(d.ServiceChecks(ctx), d.SessionChecks(ctx, signoff.Identity{})...)
		fmt.Fprintf(stdout, "Signoff preflight on Snowflake (%s.%s)\n\n", c.snowflake.Database, c.snowflake.Schema)
	default:
		if c.db == ":memory:" {
			return errors.New("--db :memory: has nothing to check: name the database file")
		}
		store, err := sqlite.OpenExisting(ctx, c.db)
		if err != nil {
			return err
		}
		defer store.Close()
		// The dry runs act as an admin nobody is: every one must be refused.
		cs, err = store.Diagnose(ctx, signoff.NewIdentity("SIGNOFF_DOCTOR", []string{signoff.RoleAdmin}))
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Signoff preflight on the embedded engine (%s)\n\n", c.db)
	}
	printChecks(stdout, cs)
	if cs.Failed() {
		return errChecksFailed
	}
	return nil
}

// printChecks writes one line per check, its fix indented below it, and a
// summary.
func printChecks(w io.Writer, cs signoff.Checks) {
	counts := map[signoff.CheckStatus]int{}
	for _, c := range cs {
		counts[c.Status]++
		fmt.Fprintf(w, "%-4s  %s: %s\n", c.Status, c.Name, c.Detail)
		if c.Fix != "" && c.Status != signoff.CheckPass {
			for i, line := range strings.Split(c.Fix, "\n") {
				prefix := "      fix: "
				if i > 0 {
					prefix = "           "
				}
				fmt.Fprintln(w, prefix+line)
			}
		}
	}
	fmt.Fprintf(w, "\n%d checks: %d passed, %d warnings, %d failed, %d skipped\n", len(cs),
		counts[signoff.CheckPass], counts[signoff.CheckWarn], counts[signoff.CheckFail], counts[signoff.CheckSkip])
}

// logServiceChecks runs the Snowflake preflight's service checks once, at
// start, and logs them: in SPCS, where nobody can run signoff doctor in the
// container, SYSTEM$GET_SERVICE_LOGS shows what is wrong.
func logServiceChecks(ctx context.Context, d *snowflake.Doctor, log *slog.Logger) {
	cs := d.ServiceChecks(ctx)
	failed := 0
	for _, c := range cs {
		switch c.Status {
		case signoff.CheckFail:
			failed++
			log.Error("preflight: "+c.Name, "status", string(c.Status), "detail", c.Detail, "fix", c.Fix)
		case signoff.CheckWarn:
			log.Warn("preflight: "+c.Name, "status", string(c.Status), "detail", c.Detail, "fix", c.Fix)
		}
	}
	log.Info("preflight done", "checks", len(cs), "failed", failed,
		"more", "open /doctor as a Signoff admin for the checks of a person's session")
}
