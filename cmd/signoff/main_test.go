package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/snowflake"

	"github.com/signoff/signoff/internal/sqlite"
)

// syncBuffer is a bytes.Buffer that the server goroutine writes while the
// test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// env returns a getenv over vars.
func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// instance is "signoff serve" running in-process.
type instance struct {
	URL            string
	stdout, stderr *syncBuffer
	stop           context.CancelFunc
	done           chan error
}

var urlPattern = regexp.MustCompile(`http://127\.0\.0\.1:\d+`)

// start runs "signoff serve args..." and waits until it prints its URL and
// answers /healthz.
func start(t *testing.T, args []string, vars map[string]string) *instance {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	in := &instance{stdout: &syncBuffer{}, stderr: &syncBuffer{}, stop: cancel, done: make(chan error, 1)}
	go func() { in.done <- run(ctx, append([]string{"serve"}, args...), env(vars), in.stdout, in.stderr) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-in.done:
		case <-time.After(10 * time.Second):
			t.Error("serve did not stop")
		}
	})

	deadline := time.Now().Add(10 * time.Second)
	for in.URL == "" {
		select {
		case err := <-in.done:
			t.Fatalf("serve ended before it was ready: %v\nstderr:\n%s", err, in.stderr)
		default:
		}
		require.True(t, time.Now().Before(deadline), "no URL printed; stdout: %q stderr: %q", in.stdout, in.stderr)
		in.URL = urlPattern.FindString(in.stdout.String())
		if in.URL == "" {
			time.Sleep(10 * time.Millisecond)
		}
	}
	for {
		res, err := http.Get(in.URL + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		require.True(t, time.Now().Before(deadline), "/healthz never answered 200: %v", err)
		time.Sleep(10 * time.Millisecond)
	}
	return in
}

// shutdown cancels the server's context and returns run's result.
func (in *instance) shutdown(t *testing.T) error {
	t.Helper()
	in.stop()
	select {
	case err := <-in.done:
		in.done <- err // for the cleanup
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("serve did not shut down within 5 s")
		return nil
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, string(b)
}

// getAs GETs url with the Host header host, as a browser sends it to a name
// that resolves to this server.
func getAs(t *testing.T, url, host string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	require.NoError(t, err)
	req.Host = host
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	return res.StatusCode
}

// TestServeAnswersLoopbackHostsOnly: the embedded engine refuses a request
// addressed to any other name (DNS rebinding), unless --allow-remote, where
// whatever name the network gives it is expected.
func TestServeAnswersLoopbackHostsOnly(t *testing.T) {
	t.Parallel()
	in := start(t, []string{"--addr", "127.0.0.1:0", "--db", ":memory:", "--demo"}, nil)
	assert.Equal(t, http.StatusOK, getAs(t, in.URL+"/login", "localhost"))
	assert.Equal(t, http.StatusMisdirectedRequest, getAs(t, in.URL+"/login", "rebound.example"))

	remote := start(t, []string{"--addr", "127.0.0.1:0", "--db", ":memory:", "--demo", "--allow-remote"}, nil)
	assert.Equal(t, http.StatusOK, getAs(t, remote.URL+"/login", "signoff.lan:8080"))
}

func TestServeDemoInMemory(t *testing.T) {
	t.Parallel()
	in := start(t, []string{"--addr", "127.0.0.1:0", "--db", ":memory:", "--demo"}, nil)
	assert.Contains(t, in.stdout.String(), "Signoff is ready on the embedded engine: "+in.URL)

	status, body := get(t, in.URL+"/login")
	require.Equal(t, http.StatusOK, status)
	for _, user := range []string{"ALICE", "MARCO", "OLIVIA", "DANA", "SAM", "ADAM", "NOEL"} {
		assert.Contains(t, body, `data-user="`+user+`"`)
	}
	assert.Contains(t, body, "engine: embedded (:memory:)")
	status, _ = get(t, in.URL+"/readyz")
	assert.Equal(t, http.StatusOK, status)

	// Sign in and see the catalog: the session key works end to end.
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, in.URL+"/login", strings.NewReader("user=ALICE"))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", in.URL)
	res, err := client.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusSeeOther, res.StatusCode)

	assert.Contains(t, in.stderr.String(), "demo account and data loaded")
	require.NoError(t, in.shutdown(t), "graceful shutdown returns nil")
	assert.Contains(t, in.stderr.String(), "stopped")
	_, err = http.Get(in.URL + "/healthz")
	assert.Error(t, err, "the port is closed after shutdown")
}

func TestServeHelp(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	require.NoError(t, run(t.Context(), []string{"serve", "--help"}, env(nil), &stdout, &stderr))
	out := stdout.String()
	assert.Empty(t, stderr.String(), "help that was asked for goes to stdout")
	for _, name := range []string{"-addr", "-db", "-demo", "-allow-remote", "-log-format", "-session-key",
		"SIGNOFF_ADDR", "SIGNOFF_DB", "SIGNOFF_DEMO", "SIGNOFF_ALLOW_REMOTE", "SIGNOFF_LOG_FORMAT", "SIGNOFF_SESSION_KEY"} {
		assert.Contains(t, out, name)
	}
	assert.Contains(t, out, "Usage: signoff serve [options]")

	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}} {
		stdout.Reset()
		require.NoError(t, run(t.Context(), args, env(nil), &stdout, &stderr), "%v", args)
		assert.Contains(t, stdout.String(), "signoff serve [options]")
	}
}

func TestRunRefusesBadInvocations(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		args   []string
		vars   map[string]string
		errSub string // in the error, or in stderr for usage errors
	}{
		{name: "no command", args: nil, errSub: "Usage:"},
		{name: "unknown command", args: []string{"frobnicate"}, errSub: `unknown command "frobnicate"`},
		{name: "unknown flag", args: []string{"serve", "--frobnicate"}, errSub: "flag provided but not defined"},
		{name: "stray argument", args: []string{"serve", "extra"}, errSub: `unexpected argument "extra"`},
		{name: "non-loopback address", args: []string{"serve", "--addr", "0.0.0.0:0", "--db", ":memory:"}, errSub: "loopback"},
		{name: "non-loopback address from the environment", args: []string{"serve", "--db", ":memory:"},
			vars: map[string]string{"SIGNOFF_ADDR": "0.0.0.0:0"}, errSub: "loopback"},
		{name: "a host name that is not localhost", args: []string{"serve", "--addr", "example.com:8080"}, errSub: "loopback"},
		{name: "an address without a port", args: []string{"serve", "--addr", "127.0.0.1"}, errSub: "--addr"},
		{name: "bad log format", args: []string{"serve", "--log-format", "xml"}, errSub: "--log-format must be text or json"},
		{name: "bad log format from the environment", args: []string{"serve"},
			vars: map[string]string{"SIGNOFF_LOG_FORMAT": "yaml"}, errSub: "--log-format"},
		{name: "short session key", args: []string{"serve", "--session-key", "short"}, errSub: "at least 32 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(t.Context(), tt.args, env(tt.vars), &stdout, &stderr)
			require.Error(t, err)
			assert.Contains(t, err.Error()+"\n"+stderr.String(), tt.errSub)
			assert.Empty(t, stdout.String(), "nothing on stdout: no server started")
		})
	}
}

func TestParseServe(t *testing.T) {
	t.Parallel()
	key := strings.Repeat("k", 32)
	tests := []struct {
		name string
		args []string
		vars map[string]string
		want serveConfig
	}{
		{name: "defaults", want: serveConfig{addr: "127.0.0.1:8080", db: "signoff.db", logFormat: "text"}},
		{name: "environment", vars: map[string]string{"SIGNOFF_ADDR": "localhost:9000", "SIGNOFF_DB": "/tmp/x.db",
			"SIGNOFF_DEMO": "1", "SIGNOFF_LOG_FORMAT": "json", "SIGNOFF_SESSION_KEY": key},
			want: serveConfig{addr: "localhost:9000", db: "/tmp/x.db", demo: true, logFormat: "json", sessionKey: key}},
		{name: "flags override the environment",
			args: []string{"--addr", "127.0.0.1:7000", "--db", "flag.db", "--demo=false", "--log-format", "text"},
			vars: map[string]string{"SIGNOFF_ADDR": "0.0.0.0:9000", "SIGNOFF_DB": "env.db", "SIGNOFF_DEMO": "true", "SIGNOFF_LOG_FORMAT": "json"},
			want: serveConfig{addr: "127.0.0.1:7000", db: "flag.db", logFormat: "text"}},
		{name: "allow remote from the environment", vars: map[string]string{"SIGNOFF_ALLOW_REMOTE": "true", "SIGNOFF_ADDR": "0.0.0.0:8080"},
			want: serveConfig{addr: "0.0.0.0:8080", db: "signoff.db", allowRemote: true, logFormat: "text"}},
		{name: "allow remote by flag", args: []string{"--allow-remote", "--addr", ":8080"},
			want: serveConfig{addr: ":8080", db: "signoff.db", allowRemote: true, logFormat: "text"}},
		{name: "IPv6 loopback", args: []string{"--addr", "[::1]:8080"},
			want: serveConfig{addr: "[::1]:8080", db: "signoff.db", logFormat: "text"}},
		{name: "a bad boolean in the environment is false", vars: map[string]string{"SIGNOFF_DEMO": "yes please"},
			want: serveConfig{addr: "127.0.0.1:8080", db: "signoff.db", logFormat: "text"}},
		{name: "catalog cache from the environment", vars: map[string]string{"SIGNOFF_CATALOG_CACHE": "5s"},
			want: serveConfig{addr: "127.0.0.1:8080", db: "signoff.db", logFormat: "text",
				snowflake: snowflake.Config{CatalogTTL: 5 * time.Second}}},
		{name: "catalog cache by flag", args: []string{"--catalog-cache", "1m"}, vars: map[string]string{"SIGNOFF_CATALOG_CACHE": "5s"},
			want: serveConfig{addr: "127.0.0.1:8080", db: "signoff.db", logFormat: "text",
				snowflake: snowflake.Config{CatalogTTL: time.Minute}}},
		{name: "digests by flag", args: []string{"--digests", "/worm/signoff.digests", "--digest-every", "30s"},
			vars: map[string]string{"SIGNOFF_DIGESTS": "env.digests", "SIGNOFF_DIGEST_EVERY": "1h"},
			want: serveConfig{addr: "127.0.0.1:8080", db: "signoff.db", logFormat: "text",
				digests: "/worm/signoff.digests", digestEvery: 30 * time.Second}},
		{name: "digests from the environment", vars: map[string]string{"SIGNOFF_DIGESTS": "env.digests", "SIGNOFF_DIGEST_EVERY": "1h"},
			want: serveConfig{addr: "127.0.0.1:8080", db: "signoff.db", logFormat: "text",
				digests: "env.digests", digestEvery: time.Hour}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseServe(tt.args, env(tt.vars), io.Discard, io.Discard)
			require.NoError(t, err)
			if tt.want.engine == "" { // the embedded engine, with the Snowflake options' defaults
				tt.want.engine = "embedded"
				tt.want.snowflake.TokenFile, tt.want.snowflake.Schema = snowflake.DefaultTokenFile, snowflake.DefaultAPISchema
				tt.want.snowflake.Service = snowflake.DefaultService
				tt.want.identityTTL = 30 * time.Second
			}
			if tt.want.snowflake.CatalogTTL == 0 {
				tt.want.snowflake.CatalogTTL = 30 * time.Second
			}
			if tt.want.digests == "" { // beside the database, every five minutes
				tt.want.digests = tt.want.db + ".digests"
			}
			if tt.want.digestEvery == 0 {
				tt.want.digestEvery = 5 * time.Minute
			}
			assert.Equal(t, tt.want, got)
		})
	}

	t.Run("an empty host listens everywhere and needs --allow-remote", func(t *testing.T) {
		_, err := parseServe([]string{"--addr", ":8080"}, env(nil), io.Discard, io.Discard)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "loopback")
	})
}

func TestServeAddrFromEnvironment(t *testing.T) {
	t.Parallel()
	in := start(t, []string{"--db", ":memory:"}, map[string]string{"SIGNOFF_ADDR": "127.0.0.1:0"})
	status, body := get(t, in.URL+"/login")
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, "The local account has no users", "no --demo: an empty account")
	assert.Contains(t, in.stderr.String(), "the database is empty")
	require.NoError(t, in.shutdown(t))
}

func TestServeFlagOverridesEnvironment(t *testing.T) {
	t.Parallel()
	// The environment asks for every interface, which is refused without
	// --allow-remote; the flag's loopback address wins.
	in := start(t, []string{"--addr", "127.0.0.1:0", "--db", ":memory:"}, map[string]string{"SIGNOFF_ADDR": "0.0.0.0:0"})
	assert.True(t, strings.HasPrefix(in.URL, "http://127.0.0.1:"))
	require.NoError(t, in.shutdown(t))
}

func TestServeDemoLoadsOnlyIntoAnEmptyDatabase(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "signoff.db")
	args := []string{"--addr", "127.0.0.1:0", "--db", db, "--demo", "--session-key", strings.Repeat("s", 32)}

	counts := func() (personas, products, requests int) {
		st, err := sqlite.Open(t.Context(), db)
		require.NoError(t, err)
		defer st.Close()
		ps, err := st.Personas(t.Context())
		require.NoError(t, err)
		prods, err := st.Reads().Products(t.Context())
		require.NoError(t, err)
		rs, err := st.Reads().Requests(t.Context(), "BEN", 1000)
		require.NoError(t, err)
		return len(ps), len(prods), len(rs)
	}

	first := start(t, args, nil)
	assert.Contains(t, first.stderr.String(), "demo account and data loaded")
	require.NoError(t, first.shutdown(t))
	personas, products, requests := counts()
	require.Positive(t, personas)
	require.Positive(t, products)
	require.Positive(t, requests)

	second := start(t, args, nil)
	assert.Contains(t, second.stderr.String(), "database already holds data; demo not loaded")
	assert.NotContains(t, second.stderr.String(), "demo account and data loaded")
	status, _ := get(t, second.URL+"/login")
	assert.Equal(t, http.StatusOK, status)
	require.NoError(t, second.shutdown(t))

	p2, pr2, r2 := counts()
	assert.Equal(t, personas, p2, "personas")
	assert.Equal(t, products, pr2, "products")
	assert.Equal(t, requests, r2, "requests")
}

func TestServeLogsJSON(t *testing.T) {
	t.Parallel()
	in := start(t, []string{"--addr", "127.0.0.1:0", "--db", ":memory:", "--demo", "--log-format", "json"}, nil)
	status, _ := get(t, in.URL+"/login")
	require.Equal(t, http.StatusOK, status)
	require.NoError(t, in.shutdown(t))

	msgs := map[string]map[string]any{}
	sc := bufio.NewScanner(strings.NewReader(in.stderr.String()))
	n := 0
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var line map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &line), "not JSON: %q", sc.Text())
		n++
		assert.Contains(t, line, "time")
		assert.Contains(t, line, "level")
		if msg, ok := line["msg"].(string); ok {
			msgs[msg] = line
		}
	}
	require.Positive(t, n)
	require.Contains(t, msgs, "listening")
	assert.Equal(t, in.URL, msgs["listening"]["url"])
	require.Contains(t, msgs, "http", "the access log")
	assert.Equal(t, "/login", msgs["http"]["path"])
	assert.EqualValues(t, 200, msgs["http"]["status"])
	assert.NotEmpty(t, msgs["http"]["request_id"])
	assert.Contains(t, msgs, "shutting down")
}

// TestParseServeSnowflake covers choosing the Snowflake engine: explicitly,
// or automatically inside SPCS, and the configuration it then requires.
func TestParseServeSnowflake(t *testing.T) {
	t.Parallel()
	token := filepath.Join(t.TempDir(), "token")
	require.NoError(t, os.WriteFile(token, []byte("service-token"), 0o600))
	spcs := map[string]string{"SNOWFLAKE_ACCOUNT": "ACME", "SNOWFLAKE_HOST": "acme.snowflakecomputing.com",
		"SNOWFLAKE_DATABASE": "SIGNOFF", "SNOWFLAKE_SCHEMA": "APP", "SIGNOFF_WAREHOUSE": "SIGNOFF_WH",
		"SIGNOFF_TOKEN_FILE": token}

	t.Run("auto-detected in SPCS", func(t *testing.T) {
		got, err := parseServe([]string{"--addr", "0.0.0.0:8080"}, env(spcs), io.Discard, io.Discard)
		require.NoError(t, err, "any address is allowed on Snowflake")
		assert.Equal(t, "snowflake", got.engine)
		assert.Equal(t, snowflake.Config{Account: "ACME", Host: "acme.snowflakecomputing.com", Database: "SIGNOFF",
			Schema: "API", Warehouse: "SIGNOFF_WH", TokenFile: token, CatalogTTL: 30 * time.Second,
			Service: snowflake.DefaultService}, got.snowflake,
			"the API schema, not the service's own schema SPCS injects")
		assert.Equal(t, 30*time.Second, got.identityTTL)
	})
	t.Run("no token file means embedded", func(t *testing.T) {
		vars := maps.Clone(spcs)
		vars["SIGNOFF_TOKEN_FILE"] = filepath.Join(t.TempDir(), "missing")
		got, err := parseServe(nil, env(vars), io.Discard, io.Discard)
		require.NoError(t, err)
		assert.Equal(t, "embedded", got.engine)
	})
	t.Run("flags override the injected database and schema", func(t *testing.T) {
		got, err := parseServe([]string{"--database", "OTHER", "--schema", "WORK", "--identity-cache", "0"},
			env(spcs), io.Discard, io.Discard)
		require.NoError(t, err)
		assert.Equal(t, "OTHER", got.snowflake.Database)
		assert.Equal(t, "WORK", got.snowflake.Schema)
		assert.Zero(t, got.identityTTL)
	})
	for name, tc := range map[string]struct {
		args   []string
		drop   string
		errSub string
	}{
		"no warehouse":      {drop: "SIGNOFF_WAREHOUSE", errSub: "no warehouse"},
		"no account":        {drop: "SNOWFLAKE_ACCOUNT", args: []string{"--engine", "snowflake"}, errSub: "SNOWFLAKE_ACCOUNT is not set"},
		"a bad schema":      {args: []string{"--schema", "APP; DROP TABLE X"}, errSub: "not a valid unquoted Snowflake identifier"},
		"demo on Snowflake": {args: []string{"--demo"}, errSub: "04_seed.sql"},
		"an unknown engine": {args: []string{"--engine", "postgres"}, errSub: "auto, embedded or snowflake"},
	} {
		t.Run(name, func(t *testing.T) {
			vars := maps.Clone(spcs)
			delete(vars, tc.drop)
			_, err := parseServe(tc.args, env(vars), io.Discard, io.Discard)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.errSub)
		})
	}
}

func TestServeDebugAddr(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	debug := ln.Addr().String()
	ln.Close()
	in := start(t, []string{"--addr", "127.0.0.1:0", "--db", ":memory:", "--debug-addr", debug}, nil)
	status, body := get(t, "http://"+debug+"/debug/pprof/")
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, "goroutine")
	status, _ = get(t, "http://"+debug+"/debug/pprof/profile?seconds=1")
	assert.Equal(t, http.StatusOK, status, "a CPU profile")
	status, _ = get(t, in.URL+"/debug/pprof/")
	assert.Equal(t, http.StatusNotFound, status, "never on the app's own port")
	for _, host := range []string{"rebound.example", "rebound.example:6060", "0.0.0.0"} {
		assert.Equal(t, http.StatusMisdirectedRequest, getAs(t, "http://"+debug+"/debug/pprof/cmdline", host),
			"a page that rebound %s to 127.0.0.1 reads no profile", host)
	}
	assert.Equal(t, http.StatusOK, getAs(t, "http://"+debug+"/debug/pprof/cmdline", "localhost"))
	require.NoError(t, in.shutdown(t))
	_, err = http.Get("http://" + debug + "/debug/pprof/")
	assert.Error(t, err, "the profiler stops with the server")

	for _, addr := range []string{"0.0.0.0:6060", "example.com:6060", "6060"} {
		var stdout, stderr bytes.Buffer
		err := run(t.Context(), []string{"serve", "--addr", "127.0.0.1:0", "--db", ":memory:", "--debug-addr", addr}, env(nil), &stdout, &stderr)
		assert.ErrorContains(t, err, "--debug-addr", addr)
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	for _, arg := range []string{"--version", "version"} {
		var out bytes.Buffer
		require.NoError(t, run(t.Context(), []string{arg}, env(nil), &out, io.Discard))
		assert.Equal(t, "signoff dev\n", out.String(), "without -ldflags the build is dev")
	}
}

// TestVersionFromLdflags builds the binary as the Makefile does, with
// -ldflags -X main.version, and asks it its version.
func TestVersionFromLdflags(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "signoff")
	build := exec.CommandContext(t.Context(), "go", "build", "-ldflags", "-X main.version=1.2.3-test", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)
	out, err = exec.CommandContext(t.Context(), bin, "--version").Output()
	require.NoError(t, err)
	assert.Equal(t, "signoff 1.2.3-test\n", string(out))
}

// TestServeRefusesADeletedLogWithDigests: a database deleted and created
// anew cannot match the digests of the old one; serving it would report
// tampering forever, so serve says what happened and what to do instead.
func TestServeRefusesADeletedLogWithDigests(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "signoff.db")
	args := []string{"--addr", "127.0.0.1:0", "--db", db, "--demo", "--session-key", strings.Repeat("s", 32)}
	first := start(t, args, nil)
	require.NoError(t, first.shutdown(t))
	digests, err := os.ReadFile(db + ".digests")
	require.NoError(t, err)
	require.Contains(t, string(digests), "SIGNOFF-DIGEST v1 ", "serve keeps digests next to the database by default")

	for _, f := range []string{db, db + "-wal", db + "-shm"} {
		require.NoError(t, os.RemoveAll(f))
	}
	var stdout, stderr bytes.Buffer
	err = run(t.Context(), append([]string{"serve"}, args...), env(nil), &stdout, &stderr)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "has no audit events, but "+db+".digests holds digests")
	assert.Contains(t, err.Error(), "move the digest file aside")
	assert.Empty(t, stdout.String(), "no server started")

	after, err := os.ReadFile(db + ".digests")
	require.NoError(t, err)
	assert.Equal(t, digests, after, "the digests are evidence: left as they were")

	// Named elsewhere, the new database starts, with its own digests.
	other := start(t, append(args, "--digests", db+".new-digests"), nil)
	require.NoError(t, other.shutdown(t))
}

// TestServeTakesThePortFirst: a second "make run" while one is running fails
// at once, says how to pick another address, and has opened no database:
// nothing is created, migrated or loaded, and an existing one is left as it
// was, digests included.
func TestServeTakesThePortFirst(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	existing := filepath.Join(dir, "existing.db")
	first := start(t, []string{"--addr", "127.0.0.1:0", "--db", existing, "--demo"}, nil)
	require.NoError(t, first.shutdown(t))
	snapshot := func() map[string]string {
		files := map[string]string{}
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		for _, e := range entries {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			require.NoError(t, err)
			files[e.Name()] = fmt.Sprintf("%d bytes, sha256 %x", len(b), sha256.Sum256(b))
		}
		return files
	}
	before := snapshot()
	require.Contains(t, before, "existing.db.digests")

	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	addr := taken.Addr().String()
	_, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	n, err := strconv.Atoi(port)
	require.NoError(t, err)
	other := "127.0.0.1:" + strconv.Itoa(n+1)

	for _, db := range []string{filepath.Join(dir, "new.db"), existing} {
		var stdout, stderr bytes.Buffer
		err := run(t.Context(), []string{"serve", "--addr", addr, "--db", db, "--demo"}, env(nil), &stdout, &stderr)
		require.Error(t, err, db)
		msg := err.Error()
		assert.Contains(t, msg, "cannot listen on "+addr+": another program, perhaps another Signoff, already uses it")
		assert.Contains(t, msg, "make run ADDR="+other, "how to pick another address with make")
		assert.Contains(t, msg, "--addr "+other, "and with the flag")
		assert.Empty(t, stdout.String(), "no banner: no server started")
		assert.NotContains(t, stderr.String(), "demo", "the demo was neither loaded nor considered")
		assert.Equal(t, before, snapshot(), "%s: no file created or changed", db)
	}
}

func TestNextPort(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]string{
		"127.0.0.1:8080": "127.0.0.1:8081",
		"localhost:9000": "localhost:9001",
		"[::1]:8080":     "[::1]:8081",
		"127.0.0.1:http": "127.0.0.1:8081",
		"nonsense":       "127.0.0.1:8081",
	} {
		assert.Equal(t, want, nextPort(addr), addr)
	}
}
