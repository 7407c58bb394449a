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
	"syscall"
	"time"

	"github.com/signoff/signoff/internal/demo"
	"github.com/signoff/signoff/internal/digestfile"
	"github.com/signoff/signoff/internal/server"
	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/snowflake"
	"github.com/signoff/signoff/internal/sqlite"
)

// serveConfig is "signoff serve"'s configuration: each flag has a matching
// environment variable, and the flag wins.
type serveConfig struct {
	addr        string
	engine      string // "embedded" or "snowflake" once resolved
	db          string
	demo        bool
	allowRemote bool
	logFormat   string
	sessionKey  string
	debugAddr   string
	identityTTL time.Duration
	digests     string        // the embedded engine's digest file
	digestEvery time.Duration // how often digests are taken while the app acts; 0: never
	snowflake   snowflake.Config
}

const serveUsage = `Usage: signoff serve [options]

Runs Signoff's web server on one of two engines, chosen at start:

  snowflake  inside Snowpark Container Services (the token file
             /snowflake/session/token exists and SNOWFLAKE_HOST and
             SNOWFLAKE_ACCOUNT are set), or with --engine snowflake.
             Identity comes from Snowflake's ingress headers and
             caller's-rights sessions; there is no sign-in page.
  embedded   otherwise: a SQLite file holding the workflow tables and a
             local account (users, roles, grants) that stands in for
             Snowflake's, with persona sign-in at /login. It listens on
             loopback, and answers only requests addressed to a loopback
             name, unless --allow-remote.

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
	fs.BoolVar(&c.demo, "demo", envBool("SIGNOFF_DEMO"),
		"load the demo account and data into an empty database (SIGNOFF_DEMO=1); an existing database is never changed")
	fs.BoolVar(&c.allowRemote, "allow-remote", envBool("SIGNOFF_ALLOW_REMOTE"),
		"allow a non-loopback --addr on the embedded engine, and requests addressed to any host name\n"+
			"(SIGNOFF_ALLOW_REMOTE=1). Persona sign-in is not authentication: anyone who can reach the port can act as anyone.")
	fs.StringVar(&c.logFormat, "log-format", env("SIGNOFF_LOG_FORMAT", "text"),
		"log format, `text or json` (SIGNOFF_LOG_FORMAT)")
	addEngineFlags(fs, &c, env)
	fs.DurationVar(&c.identityTTL, "identity-cache", envDuration(getenv, "SIGNOFF_IDENTITY_CACHE", 30*time.Second),
		"Snowflake: how long page views reuse what Snowflake said about a visitor (a signed cookie) before\n"+
			"opening their session again (SIGNOFF_IDENTITY_CACHE); 0 asks on every request. Actions are always\n"+
			"checked by Snowflake in the visitor's own session.")
	fs.DurationVar(&c.snowflake.CatalogTTL, "catalog-cache", envDuration(getenv, "SIGNOFF_CATALOG_CACHE", 30*time.Second),
		"Snowflake: how long catalog metadata (products, approver roles) is reused before it is read again\n"+
			"(SIGNOFF_CATALOG_CACHE); 0 reads it for every page. A product changed in Snowflake shows within this time.")
	fs.StringVar(&c.digests, "digests", env("SIGNOFF_DIGESTS", ""),
		"embedded engine: the `file` that keeps the audit log's digests (SIGNOFF_DIGESTS). Default: the\n"+
			"database file's name with .digests added. Keep it where those who can write the database cannot.")
	fs.DurationVar(&c.digestEvery, "digest-every", envDuration(getenv, "SIGNOFF_DIGEST_EVERY", 5*time.Minute),
		"how soon after a change a digest of the audit log is taken (SIGNOFF_DIGEST_EVERY); 0 takes none")
	fs.StringVar(&c.debugAddr, "debug-addr", env("SIGNOFF_DEBUG_ADDR", ""),
		"loopback `host:port` to serve Go's profiler on, /debug/pprof/ (SIGNOFF_DEBUG_ADDR); off by default")
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
	if err := resolveEngine(&c, getenv); err != nil {
		return c, err
	}
	if c.digestEvery < 0 {
		return c, errors.New("--digest-every must not be negative")
	}
	if c.digests == "" && c.db != ":memory:" {
		c.digests = c.db + ".digests"
	}
	if c.engine == "snowflake" {
		if c.demo {
			return c, errors.New("--demo loads the embedded engine's demo; on Snowflake, run sql/snowflake/04_seed.sql instead")
		}
		return c, nil
	}
	if !c.allowRemote {
		if err := requireLoopback(c.addr); err != nil {
			return c, err
		}
	}
	return c, nil
}

// addEngineFlags defines the options that choose and reach the engine,
// which serve and doctor share.
func addEngineFlags(fs *flag.FlagSet, c *serveConfig, env func(name, def string) string) {
	fs.StringVar(&c.db, "db", env("SIGNOFF_DB", "signoff.db"),
		"embedded database `file` (SIGNOFF_DB); created with its tables if missing; \":memory:\" keeps it in memory")
	fs.StringVar(&c.engine, "engine", env("SIGNOFF_ENGINE", "auto"),
		"`engine`: auto, embedded or snowflake (SIGNOFF_ENGINE); auto picks snowflake inside SPCS")
	fs.StringVar(&c.snowflake.TokenFile, "token-file", env("SIGNOFF_TOKEN_FILE", snowflake.DefaultTokenFile),
		"Snowflake: the service user's OAuth token `file` (SIGNOFF_TOKEN_FILE), re-read for every new connection")
	fs.StringVar(&c.snowflake.Warehouse, "warehouse", env("SIGNOFF_WAREHOUSE", ""),
		"Snowflake: `warehouse` for the app's statements (SIGNOFF_WAREHOUSE); required, SPCS injects none")
	fs.StringVar(&c.snowflake.Database, "database", env("SIGNOFF_DATABASE", ""),
		"Snowflake: `database` of the workflow tables (SIGNOFF_DATABASE; default SNOWFLAKE_DATABASE, which SPCS injects)")
	fs.StringVar(&c.snowflake.Schema, "schema", env("SIGNOFF_SCHEMA", snowflake.DefaultAPISchema),
		"Snowflake: the API `schema` whose views Signoff reads and whose procedures it calls (SIGNOFF_SCHEMA)")
	fs.StringVar(&c.snowflake.Service, "service", env("SIGNOFF_SERVICE", snowflake.DefaultService),
		"Snowflake: this service's `name`, database.schema.service (SIGNOFF_SERVICE), whose logs keep audit digests")
}

// resolveEngine turns --engine auto into the engine to use and checks the
// Snowflake engine's configuration.
func resolveEngine(c *serveConfig, getenv func(string) string) error {
	switch c.engine {
	case "auto":
		c.engine = "embedded"
		if snowflake.InSPCS(getenv, c.snowflake.TokenFile) {
			c.engine = "snowflake"
		}
	case "embedded", "snowflake":
	default:
		return fmt.Errorf("--engine must be auto, embedded or snowflake, not %q", c.engine)
	}
	if c.engine == "snowflake" {
		c.snowflake = c.snowflake.FromEnv(getenv)
		if err := c.snowflake.Validate(); err != nil {
			return fmt.Errorf("snowflake engine: %w", err)
		}
	}
	return nil
}

// envDuration reads a duration variable, or def when it is unset or invalid
// (an invalid value is reported by the flag when given as one).
func envDuration(getenv func(string) string, name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(getenv(name)); err == nil {
		return d
	}
	return def
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
	if server.LoopbackHost(host) {
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

	// The port first: a second "make run" must fail before it opens, migrates
	// or loads anything, and connections that arrive while the store opens
	// wait in the listen queue instead of being refused.
	ln, err := listen(cfg.addr)
	if err != nil {
		return err
	}
	defer ln.Close() // if serving never starts; Shutdown closes it otherwise

	key := []byte(cfg.sessionKey)
	if len(key) == 0 {
		key = []byte(rand.Text() + rand.Text())
	}
	sc := server.Config{Log: log, SessionKey: key, Version: version}
	var banner string
	var digestSvc *signoff.Service // the Service whose audit log is digested
	switch cfg.engine {
	case "snowflake":
		store, err := snowflake.Open(ctx, cfg.snowflake)
		if err != nil {
			return err
		}
		defer store.Close()
		ids := snowflake.NewIdentities(snowflake.CallerSessions(cfg.snowflake), store.RolesThatMatter(cfg.snowflake.CatalogTTL))
		svc := signoff.NewService(store.Reads(), store)
		svc.Log = log
		svc.Anchor = store.Anchor(cfg.snowflake.Service, stderr)
		svc.Notifier, svc.PendingTTL = store, 30*time.Second
		svc.Directory = store.Directory(cfg.snowflake.CatalogTTL)
		svc.ReviewReads, svc.ReviewEngine = store.Reads(), store
		sc.Notices, sc.Reviews = svc, svc
		svc.Products, sc.Catalog = store, svc
		// "Read from Snowflake" on the product form: DESCRIBE_OBJECT in the admin's session.
		svc.Objects = store
		svc.Policies, sc.Policy = store, svc
		svc.Managers = store
		sc.Managers = svc
		digestSvc = svc
		doctor := snowflake.NewDoctor(store, cfg.snowflake)
		svc.Diagnoser = doctor
		go logServiceChecks(context.WithoutCancel(ctx), doctor, log)
		sc.Service, sc.Ready, sc.Platform, sc.IdentityTTL = svc, store.Ping, ids, cfg.identityTTL
		sc.SecureCookies = true // SPCS ingress is HTTPS
		sc.Engine = "Snowflake (" + cfg.snowflake.Database + "." + cfg.snowflake.Schema + ")"
		banner = "Signoff is ready on Snowflake: %s (reach it through the service's endpoint URL)\n"
	default:
		store, err := sqlite.Open(ctx, cfg.db)
		if err != nil {
			return err
		}
		defer store.Close()
		svc := signoff.NewService(store.Reads(), store)
		svc.Log = log
		svc.Diagnoser = store
		svc.Directory, svc.Managers = store, store
		svc.ReviewReads, svc.ReviewEngine = store.Reads(), store
		if cfg.digests != "" {
			svc.Anchor = digestfile.New(cfg.digests)
			if err := refuseStrayDigests(ctx, store.Reads(), svc.Anchor, cfg.db); err != nil {
				return err
			}
		}
		if err := loadDemo(ctx, cfg, store, svc, log); err != nil {
			return err
		}
		digestSvc = svc
		svc.Notifier, svc.Scheduler = store, store
		// The store closes only after the scheduler's run in progress ends
		// (deferred calls run last first), and no run starts after: a run
		// cut off by the store's Close could still hold the write connection
		// when serve has returned.
		schedCtx, stopScheduler := context.WithCancel(ctx)
		schedulerDone := make(chan struct{})
		go func() { defer close(schedulerDone); runScheduler(schedCtx, svc, scheduleEvery, log) }()
		defer func() { stopScheduler(); <-schedulerDone }()
		sc.Service, sc.Ready, sc.Local, sc.Notices, sc.Reviews = svc, store.Ping, store, svc, svc
		svc.Products, sc.Catalog = store, svc
		svc.Policies, sc.Policy = store, svc
		svc.Objects = store
		sc.Managers = svc
		sc.AnyHost = cfg.allowRemote // reached by whatever name the network gives it
		sc.Engine = "embedded (" + cfg.db + ")"
		banner = "Signoff is ready on the embedded engine: %s (sign in as a demo persona)\n"
	}
	srv, err := server.New(sc)
	if err != nil {
		return err
	}
	if cfg.debugAddr != "" {
		stopDebug, err := startDebug(cfg.debugAddr, log)
		if err != nil {
			return err
		}
		defer stopDebug()
	}
	hs := newHTTPServer(srv, log)
	url := "http://" + ln.Addr().String()
	fmt.Fprintf(stdout, banner, url)
	log.Info("listening", "url", url, "engine", sc.Engine, "startup", time.Since(start).Round(time.Millisecond))

	digestsDone := make(chan struct{})
	if digestSvc != nil && digestSvc.Anchor != nil && cfg.digestEvery > 0 {
		go func() { defer close(digestsDone); runDigests(ctx, digestSvc, cfg.digestEvery, log) }()
	} else {
		close(digestsDone)
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	defer func() { <-digestsDone }() // the last digest, taken as ctx ends
	log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

// listen opens addr for the server. An address already in use (most often
// Signoff itself, started twice) gets a sentence that says how to pick
// another, rather than the bare system error.
func listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		other := nextPort(addr)
		return nil, fmt.Errorf("cannot listen on %s: another program, perhaps another Signoff, already uses it. "+
			"Stop it, or pick another address: make run ADDR=%s, or signoff serve --addr %s "+
			"(nothing was opened or changed): %w", addr, other, other, err)
	}
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	return ln, nil
}

// nextPort returns addr with the port after its own, to suggest in its
// place (127.0.0.1:8081 for 127.0.0.1:8080).
func nextPort(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	n, perr := strconv.Atoi(port)
	if err != nil || perr != nil || n <= 0 || n >= 65535 {
		return "127.0.0.1:8081"
	}
	return net.JoinHostPort(host, strconv.Itoa(n+1))
}

// shutdownTimeout bounds the graceful shutdown: SPCS sends SIGTERM and waits
// 30 s before it kills the container, so in-flight requests get 25.
const shutdownTimeout = 25 * time.Second

// newHTTPServer returns the HTTP server for h with its timeouts: headers
// within 10 s, the whole request within 30 s, the response within 60 s, and
// idle keep-alive connections closed after 120 s.
func newHTTPServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// refuseStrayDigests refuses to serve an audit log with no events when the
// digest file holds digests: the log they vouch for is gone (a deleted or
// replaced database file), and a new log could never match them. Moving the
// file aside is the operator's decision, since it is evidence; a log that
// merely disagrees with its digests is served, and reported (runDigests,
// /audit/verify).
func refuseStrayDigests(ctx context.Context, reads signoff.Reads, anchor signoff.Anchor, db string) error {
	head, err := reads.LedgerHead(ctx)
	if err != nil || head.Seq > 0 {
		return err
	}
	last, ok, err := anchor.Last(ctx)
	if err != nil || !ok {
		return err
	}
	return fmt.Errorf("%s has no audit events, but %s holds digests of an audit log up to event %d (%s): "+
		"the database was deleted or replaced. If that was on purpose, move the digest file aside "+
		"(keep it: it is evidence) or name another with --digests; \"make reset-demo\" removes both",
		db, anchor.Where(), last.Seq, last.Taken.Format(time.RFC3339))
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
