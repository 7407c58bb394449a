package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/signoff/signoff/internal/demo"
	"github.com/signoff/signoff/internal/server"
	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlite"
)

// serveConfig is "signoff serve"'s configuration: each flag has a matching
// environment variable, and the flag wins.
type serveConfig struct {
	addr        string
	db          string
	demo        bool
	allowRemote bool
	logFormat   string
	sessionKey  string
}

const serveUsage = `Usage: signoff serve [options]

Runs Signoff's web server. Without Snowflake settings it runs on the embedded
engine: a SQLite file holding the workflow tables and a local account (users,
roles, grants) that stands in for Snowflake's, with persona sign-in at /login.

Options (each has an environment variable; a flag overrides it):
`

func parseServe(args []string, getenv func(string) string, stdout, stderr io.Writer) (serveConfig, error) {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	envBool := func(name string) bool {
		b, _ := strconv.ParseBool(getenv(name))
		return b
	}
	var c serveConfig
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.addr, "addr", env("SIGNOFF_ADDR", "127.0.0.1:8080"),
		"`host:port` to listen on (SIGNOFF_ADDR). Port 0 picks a free port.")
	fs.StringVar(&c.db, "db", env("SIGNOFF_DB", "signoff.db"),
		"embedded database `file` (SIGNOFF_DB); created with its tables if missing; \":memory:\" keeps it in memory")
	fs.BoolVar(&c.demo, "demo", envBool("SIGNOFF_DEMO"),
		"load the demo account and data into an empty database (SIGNOFF_DEMO=1); an existing database is never changed")
	fs.BoolVar(&c.allowRemote, "allow-remote", envBool("SIGNOFF_ALLOW_REMOTE"),
		"allow a non-loopback --addr on the embedded engine (SIGNOFF_ALLOW_REMOTE=1). Persona sign-in is not\n"+
			"authentication: anyone who can reach the port can act as anyone.")
	fs.StringVar(&c.logFormat, "log-format", env("SIGNOFF_LOG_FORMAT", "text"),
		"log format, `text or json` (SIGNOFF_LOG_FORMAT)")
	fs.StringVar(&c.sessionKey, "session-key", env("SIGNOFF_SESSION_KEY", ""),
		"`secret` of at least 32 characters that signs cookies (SIGNOFF_SESSION_KEY); instances sharing one\n"+
			"URL must share it. Default: random per process (sign-ins end on restart).")
	fs.Usage = func() {
		// Help that was asked for goes to stdout; help after a mistake, to stderr.
		out := stderr
		for _, a := range args {
			if a == "-h" || a == "-help" || a == "--help" || a == "--h" {
				out = stdout
			}
		}
		fs.SetOutput(out)
		fmt.Fprint(out, serveUsage)
		fs.PrintDefaults()
		fs.SetOutput(stderr)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, errHelp
		}
		return c, errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "signoff serve: unexpected argument %q\n", fs.Arg(0))
		return c, errUsage
	}
	if c.logFormat != "text" && c.logFormat != "json" {
		return c, fmt.Errorf("--log-format must be text or json, not %q", c.logFormat)
	}
	if c.sessionKey != "" && len(c.sessionKey) < 32 {
		return c, errors.New("--session-key must be at least 32 characters")
	}
	if !c.allowRemote {
		if err := requireLoopback(c.addr); err != nil {
			return c, err
		}
	}
	return c, nil
}

// errHelp means --help was asked for: not a failure.
var errHelp = errors.New("help")

// requireLoopback refuses to listen beyond this machine on the embedded
// engine, which has no real authentication.
func requireLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--addr %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("refusing to listen on %q: the embedded engine's persona sign-in is not authentication, "+
		"so it listens on loopback only (e.g. 127.0.0.1:8080); pass --allow-remote to override", addr)
}

func newLogger(format string, w io.Writer) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

// serve runs the server until ctx is cancelled, then shuts down gracefully.
func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseServe(args, getenv, stdout, stderr)
	if errors.Is(err, errHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	log := newLogger(cfg.logFormat, stderr)
	start := time.Now()

	store, err := sqlite.Open(ctx, cfg.db)
	if err != nil {
		return err
	}
	defer store.Close()
	svc := signoff.NewService(store)
	svc.Log = log
	if err := loadDemo(ctx, cfg, store, svc, log); err != nil {
		return err
	}

	key := []byte(cfg.sessionKey)
	if len(key) == 0 {
		key = []byte(rand.Text() + rand.Text())
	}
	srv, err := server.New(server.Config{Service: svc, Ready: store.Ping, Log: log, Local: store,
		SessionKey: key, Engine: "embedded (" + cfg.db + ")"})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	url := "http://" + ln.Addr().String()
	fmt.Fprintf(stdout, "Signoff is ready on the embedded engine: %s (sign in as a demo persona)\n", url)
	log.Info("listening", "url", url, "db", cfg.db, "startup", time.Since(start).Round(time.Millisecond))

	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	// SPCS sends SIGTERM and waits 30 s: finish in-flight requests within 25.
	log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 25*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

// loadDemo loads the demo into an empty database when asked; it never
// touches a database that already holds data.
func loadDemo(ctx context.Context, cfg serveConfig, store *sqlite.Store, svc *signoff.Service, log *slog.Logger) error {
	empty, err := store.Empty(ctx)
	if err != nil {
		return err
	}
	switch {
	case cfg.demo && empty:
		if err := demo.Load(ctx, store, svc, time.Now()); err != nil {
			return err
		}
		log.Info("demo account and data loaded", "db", cfg.db)
	case cfg.demo:
		log.Info("database already holds data; demo not loaded", "db", cfg.db)
	case empty:
		log.Warn("the database is empty: no personas and no products; start with --demo to load the demo", "db", cfg.db)
	}
	return nil
}
