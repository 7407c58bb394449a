package main

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	sf "github.com/snowflakedb/gosnowflake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	_ "github.com/signoff/signoff/internal/snowflake/sftest/sfenv" // before gosnowflake's init

	"github.com/signoff/signoff/internal/snowflake/sftest"
)

// runMainEnv makes the test binary run main() instead of the tests, so that
// a test can run the real program, signals included, as a child process
// without building it.
const runMainEnv = "SIGNOFF_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		os.Exit(0)
	}
	if os.Getenv("SIGNOFF_TEST_DRIVER_LOG") == "" {
		_ = sf.GetLogger().SetLogLevel("fatal") // the driver logs every error the tests provoke
	}
	os.Exit(m.Run())
}

// spcsGrace is how long SPCS waits after SIGTERM before it kills a container.
const spcsGrace = 30 * time.Second

func TestHTTPServerTimeouts(t *testing.T) {
	t.Parallel()
	h := http.NotFoundHandler()
	hs := newHTTPServer(h, slog.New(slog.DiscardHandler))
	// The values the doc comment of newHTTPServer states.
	assert.Equal(t, 10*time.Second, hs.ReadHeaderTimeout, "slow headers (slowloris) are cut off")
	assert.Equal(t, 30*time.Second, hs.ReadTimeout)
	assert.Equal(t, 60*time.Second, hs.WriteTimeout)
	assert.Equal(t, 120*time.Second, hs.IdleTimeout)
	assert.NotNil(t, hs.ErrorLog, "the server's own errors go to the structured log")
	assert.NotNil(t, hs.Handler)

	// SIGTERM → drain → exit fits SPCS's grace period, with room to close
	// the store and exit.
	assert.Equal(t, 25*time.Second, shutdownTimeout)
	assert.LessOrEqual(t, shutdownTimeout+2*time.Second, spcsGrace)
}

// TestGracefulShutdownFinishesInFlightRequest holds a request inside its
// handler while the server shuts down as serve does: new connections are
// refused at once, Shutdown waits, and the request completes with its 200.
func TestGracefulShutdownFinishesInFlightRequest(t *testing.T) {
	t.Parallel()
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(entered) })
		<-release
		io.WriteString(w, "finished")
	})
	hs := newHTTPServer(h, slog.New(slog.DiscardHandler))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	t.Cleanup(func() { hs.Close() })

	type result struct {
		status int
		body   string
		err    error
	}
	got := make(chan result, 1)
	go func() {
		res, err := http.Get("http://" + addr + "/slow")
		if err != nil {
			got <- result{err: err}
			return
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		got <- result{status: res.StatusCode, body: string(b), err: err}
	}()
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the request never reached its handler")
	}

	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		shut <- hs.Shutdown(ctx)
	}()
	require.Eventually(t, func() bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
		}
		return err != nil
	}, 10*time.Second, 10*time.Millisecond, "new connections are refused once shutdown begins")
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned (%v) while a request was in flight", err)
	case r := <-got:
		t.Fatalf("the in-flight request ended early: %+v", r)
	default:
	}

	close(release)
	select {
	case r := <-got:
		require.NoError(t, r.err)
		assert.Equal(t, http.StatusOK, r.status)
		assert.Equal(t, "finished", r.body)
	case <-time.After(10 * time.Second):
		t.Fatal("the in-flight request did not complete")
	}
	select {
	case err := <-shut:
		require.NoError(t, err, "Shutdown finished within its budget")
	case <-time.After(10 * time.Second):
		t.Fatal("Shutdown did not return after the last request")
	}
	require.ErrorIs(t, <-served, http.ErrServerClosed)
}

// TestSIGTERMFinishesInFlightRequest runs the program as SPCS does, as its
// own process, and sends it SIGTERM while a request is in flight: its handler
// is waiting for the body. The listener closes, the request is answered, and
// the process exits 0.
func TestSIGTERMFinishesInFlightRequest(t *testing.T) {
	t.Parallel()
	exe, err := os.Executable()
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, "serve", "--addr", "127.0.0.1:0", "--db", ":memory:", "--demo", "--engine", "embedded")
	cmd.Env = append(cleanEnv(), runMainEnv+"=1")
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u := urlPattern.FindString(sc.Text()); u != "" {
				urls <- u
			}
		}
		exited <- cmd.Wait() // after stdout is drained, as Wait requires
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // no-op once it has exited
	})
	var url string
	select {
	case url = <-urls:
	case err := <-exited:
		t.Fatalf("signoff exited before it was ready: %v\n%s", err, stderr)
	case <-time.After(30 * time.Second):
		t.Fatalf("signoff printed no URL\n%s", stderr)
	}
	addr := strings.TrimPrefix(url, "http://")

	// A sign-in whose body has not arrived yet. "Expect: 100-continue" makes
	// the server say when the handler starts reading the body, so the
	// request is known to be in flight before the signal.
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(30*time.Second)))
	body := "user=ALICE"
	_, err = io.WriteString(conn, "POST /login HTTP/1.1\r\nHost: "+addr+"\r\nExpect: 100-continue\r\n"+
		"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n")
	require.NoError(t, err)
	br := bufio.NewReader(conn)
	interim, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusContinue, interim.StatusCode, "the handler is reading the body")

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.Eventually(t, func() bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
		}
		return err != nil
	}, 10*time.Second, 10*time.Millisecond, "new connections are refused after SIGTERM")
	select {
	case err := <-exited:
		t.Fatalf("signoff exited (%v) with a request in flight\n%s", err, stderr)
	default:
	}

	_, err = io.WriteString(conn, body)
	require.NoError(t, err)
	res, err := http.ReadResponse(br, nil)
	require.NoError(t, err, "the in-flight request is answered\n%s", stderr)
	res.Body.Close()
	assert.Equal(t, http.StatusSeeOther, res.StatusCode, "signed in")
	assert.Equal(t, "/", res.Header.Get("Location"))

	select {
	case err := <-exited:
		require.NoError(t, err, "a graceful stop exits 0\n%s", stderr)
	case <-time.After(shutdownTimeout):
		t.Fatalf("signoff did not exit after SIGTERM\n%s", stderr)
	}
	assert.Contains(t, stderr.String(), "shutting down")
	assert.Contains(t, stderr.String(), "stopped")
}

// cleanEnv is the test's environment without Signoff's and Snowflake's
// variables, so that the child runs on the flags alone.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SIGNOFF_") && !strings.HasPrefix(kv, "SNOWFLAKE_") {
			out = append(out, kv)
		}
	}
	return append(out, "SNOWFLAKE_DISABLE_PLATFORM_DETECTION=true", "SF_DISABLE_MINICORE=true")
}

// TestReadinessFollowsSnowflake runs serve on the Snowflake engine against
// the loopback fake of Snowflake's REST API: /readyz is 200 while statements
// run, 503 "store unreachable" while Snowflake refuses them, and 200 again
// once it answers, while /healthz stays 200 throughout (SPCS takes the
// instance out of the load balancer without restarting it).
func TestReadinessFollowsSnowflake(t *testing.T) {
	t.Parallel()
	fake := sftest.New(t)
	fake.On(`SELECT 1`, sftest.Result([]sftest.Column{sftest.Fixed("1")}, []any{1}))
	token := filepath.Join(t.TempDir(), "token")
	require.NoError(t, os.WriteFile(token, []byte("service-token"), 0o600))
	in := start(t, []string{"--engine", "snowflake", "--addr", "127.0.0.1:0", "--token-file", token, "--warehouse", "SIGNOFF_WH"},
		map[string]string{"SNOWFLAKE_ACCOUNT": "ACME", "SNOWFLAKE_HOST": fake.Host(), "SNOWFLAKE_PORT": strconv.Itoa(fake.Port()),
			"SNOWFLAKE_PROTOCOL": "http", "SNOWFLAKE_DATABASE": "SIGNOFF", "SNOWFLAKE_SCHEMA": "APP"})
	assert.Contains(t, in.stdout.String(), "Signoff is ready on Snowflake")

	probe := func(path string) (int, string) {
		status, body := get(t, in.URL+path)
		return status, strings.TrimSpace(body)
	}
	status, body := probe("/readyz")
	require.Equal(t, http.StatusOK, status, body)
	require.Equal(t, "ready", body)

	fake.FailQueries(&sftest.Error{Code: "390114", SQLState: "08001", Message: "Authentication token has expired.  The user must authenticate again."})
	status, body = probe("/readyz")
	assert.Equal(t, http.StatusServiceUnavailable, status)
	assert.Equal(t, "store unreachable", body)
	status, _ = probe("/healthz")
	assert.Equal(t, http.StatusOK, status, "liveness does not depend on the store")

	fake.FailQueries(nil)
	status, body = probe("/readyz")
	assert.Equal(t, http.StatusOK, status, body)
	assert.Equal(t, "ready", body)
	assert.Contains(t, in.stderr.String(), "not ready", "the outage is logged")
	require.NoError(t, in.shutdown(t))
}
