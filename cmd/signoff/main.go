// Command signoff runs Signoff, multi-step access approvals for Snowflake
// data products. See "signoff serve --help".
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version names this build; the Makefile and the Dockerfile set it with
// -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, errUsage) && !errors.Is(err, errNotVerified) && !errors.Is(err, errChecksFailed) {
			fmt.Fprintln(os.Stderr, "signoff:", err)
		}
		os.Exit(1)
	}
}

// errUsage means the usage text was already printed.
var errUsage = errors.New("usage")

const usage = `Signoff: multi-step, role-keyed access approvals for Snowflake data products.

Usage:
  signoff serve [options]    run the web server
  signoff doctor [options]   check what Signoff relies on in its engine (PASS/FAIL with fixes)
  signoff audit verify       check the embedded database's audit hash chains
  signoff version            print the version (also --version)
  signoff help               show this text

Run "signoff serve --help" for the server's options.
`

// run is the whole program: main only supplies the process's context,
// arguments, environment and output, so tests can run it in-process.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], getenv, stdout, stderr)
	case "audit":
		return audit(ctx, args[1:], getenv, stdout, stderr)
	case "doctor":
		return doctor(ctx, args[1:], getenv, stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "signoff", version)
		return nil
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprintf(stderr, "signoff: unknown command %q\n\n%s", args[0], usage)
	return errUsage
}
