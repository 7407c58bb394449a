package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/signoff/signoff/internal/gen"
	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlite"
)

const demoUsage = `Usage: signoff demo generate --db FILE [--requests N] [--products P] [--seed S]

Fills a new, empty embedded database with a large data set for benchmarks:
the demo account, catalog and story, P products in all (chains of one to
four steps keyed to the demo's approver roles), generated requesters
GEN0001, GEN0002, … (ANALYST, at most 40 requests each), and N requests:
about 10% pending at various steps, the rest granted, rejected or
withdrawn, each with its steps and a valid audit hash chain ("signoff audit
verify" passes). The same seed gives the same data. A database that already
holds data is refused.

Options:
`

// demoCmd runs "signoff demo generate".
func demoCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "generate" {
		fmt.Fprint(stderr, demoUsage)
		return errUsage
	}
	fs := flag.NewFlagSet("demo generate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var opt gen.Options
	db := getenv("SIGNOFF_DB")
	fs.StringVar(&db, "db", db, "embedded database `file` to create (SIGNOFF_DB); it must be new or empty")
	fs.IntVar(&opt.Requests, "requests", 1000, "`number` of requests to generate")
	fs.IntVar(&opt.Products, "products", 100, "`number` of products in the catalog, the demo's included")
	fs.Uint64Var(&opt.Seed, "seed", 1, "`seed` of the generated data")
	fs.Usage = func() { fmt.Fprint(stderr, demoUsage); fs.PrintDefaults() }
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "signoff demo generate: unexpected argument %q\n", fs.Arg(0))
		return errUsage
	case db == "":
		return errors.New("name the database file to create: --db FILE")
	case db == ":memory:":
		return errors.New("--db :memory: would be lost on exit: name a database file")
	case opt.Requests < 0 || opt.Products < 0:
		return errors.New("--requests and --products cannot be negative")
	}
	_, statErr := os.Stat(db)
	store, err := sqlite.Open(ctx, db)
	if err != nil {
		return err
	}
	defer store.Close()
	res, err := gen.Generate(ctx, store, opt)
	if err != nil {
		if statErr != nil { // we created the file: do not leave half a data set behind
			store.Close()
			for _, f := range []string{db, db + "-wal", db + "-shm"} {
				_ = os.Remove(f)
			}
		}
		return err
	}
	rate := float64(res.Requests) / res.Elapsed.Seconds()
	fmt.Fprintf(stdout, "generated %d requests (%d audit events) for %d requesters over %d products in %s (%.0f requests/s) into %s\n",
		res.Requests, res.Events, res.Requesters, res.Products, res.Elapsed.Round(1e6), rate, db)
	statuses := make([]signoff.Status, 0, len(res.ByStatus))
	for st := range res.ByStatus {
		statuses = append(statuses, st)
	}
	slices.Sort(statuses)
	for _, st := range statuses {
		fmt.Fprintf(stdout, "  %-10s %d\n", st, res.ByStatus[st])
	}
	return nil
}
