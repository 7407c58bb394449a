package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// server is a "signoff serve" child process on a loopback port.
type server struct {
	cmd     *exec.Cmd
	url     string
	debug   string        // the profiler's base URL (--debug-addr)
	startup time.Duration // from exec to the first 200 on /readyz
	rssKiB  int           // resident memory right after start-up
	logs    *limitedWriter
	done    chan struct{}
}

// startSignoff runs "bin serve" on the embedded database db and waits until
// /readyz answers 200.
func startSignoff(ctx context.Context, bin, db string, extra ...string) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	dl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	debug := dl.Addr().String()
	dl.Close()
	cmd := exec.Command(bin, append([]string{"serve", "--engine", "embedded", "--db", db, "--addr", addr,
		"--session-key", "bench-session-key-0123456789abcdef", "--debug-addr", debug}, extra...)...)
	for _, kv := range os.Environ() { // the flags say it all: no SIGNOFF_* from the caller
		if !strings.HasPrefix(kv, "SIGNOFF_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	s := &server{cmd: cmd, url: "http://" + addr, debug: "http://" + debug, logs: &limitedWriter{n: 64 << 10}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = io.Discard, s.logs
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() { cmd.Wait(); close(s.done) }()
	cl := &http.Client{Timeout: time.Second}
	for {
		if resp, err := cl.Get(s.url + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("signoff serve exited before it was ready: %s", s.logs)
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
		if time.Since(start) > 2*time.Minute {
			s.stop()
			return nil, errors.New("signoff serve was not ready within two minutes")
		}
	}
	s.startup = time.Since(start)
	s.rssKiB = rssKiB(cmd.Process.Pid)
	return s, nil
}

// rssKiB returns a process's resident set size, or 0 if unknown.
func rssKiB(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	m := regexp.MustCompile(`VmRSS:\s*(\d+) kB`).FindSubmatch(b)
	if m == nil {
		return 0
	}
	var kb int
	fmt.Sscan(string(m[1]), &kb)
	return kb
}

// stop ends the child gracefully (SIGTERM), or kills it after 30 s.
func (s *server) stop() error {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
		return errors.New("signoff serve did not stop within 30 s of SIGTERM")
	}
	if code := s.cmd.ProcessState.ExitCode(); code != 0 {
		return fmt.Errorf("signoff serve exited with %d: %s", code, s.logs)
	}
	return nil
}

// limitedWriter keeps the first n bytes written to it.
type limitedWriter struct {
	mu sync.Mutex
	b  strings.Builder
	n  int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n > 0 {
		k := min(len(p), l.n)
		l.b.Write(p[:k])
		l.n -= k
	}
	return len(p), nil
}

func (l *limitedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// newClient returns an HTTP client that keeps up to c connections alive,
// sends no cookies of its own and does not follow redirects.
func newClient(c int) *http.Client {
	return &http.Client{Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport: &http.Transport{MaxIdleConns: c, MaxIdleConnsPerHost: c, IdleConnTimeout: time.Minute,
			DisableCompression: true}}
}

// signIn signs user in through POST /login, as the sign-in form does, and
// returns the session's Cookie header value.
func signIn(ctx context.Context, cl *http.Client, base, user string) (string, error) {
	resp, err := post(ctx, cl, base, "/login", "", url.Values{"user": {user}, "next": {"/"}})
	if err != nil {
		return "", fmt.Errorf("sign in as %s: %w", user, err)
	}
	var cookies []string
	for _, c := range resp.Cookies() {
		if c.Name != "signoff_flash" && c.Value != "" {
			cookies = append(cookies, c.Name+"="+c.Value)
		}
	}
	if resp.StatusCode != http.StatusSeeOther || len(cookies) == 0 {
		return "", fmt.Errorf("sign in as %s: %s (is the database from tools/bench/gen?)", user, resp.Status)
	}
	return strings.Join(cookies, "; "), nil
}

// post sends a same-origin form POST and returns the response with its body
// read and closed.
func post(ctx context.Context, cl *http.Client, base, path, cookie string, form url.Values) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+path, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	return send(cl, req)
}

// get sends a GET with cookie and returns the response with its body read
// into body.
func get(ctx context.Context, cl *http.Client, page, cookie string) (resp *http.Response, body []byte, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, page, nil)
	if err != nil {
		return nil, nil, err
	}
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	resp, err = cl.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(resp.Body)
	return resp, body, err
}

func send(cl *http.Client, req *http.Request) (*http.Response, error) {
	resp, err := cl.Do(req)
	if err != nil {
		return nil, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp, err
}

// find gets page and returns the first submatch of pattern in it.
func find(ctx context.Context, cl *http.Client, page, cookie, pattern string) (string, error) {
	resp, body, err := get(ctx, cl, page, cookie)
	if err != nil {
		return "", err
	}
	m := regexp.MustCompile(pattern).FindSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil {
		return "", fmt.Errorf("GET %s: %s, no match for %s", page, resp.Status, pattern)
	}
	return string(m[1]), nil
}

// result is one load run's figures.
type result struct {
	name      string
	n         int // operations timed
	rps       float64
	p50, p99  time.Duration
	bytes     int64 // per response
	conflicts int   // operations answered 409 (expected for racing decisions)
	elapsed   time.Duration
}

// op is one timed operation: it returns the response's status and size.
type op func(ctx context.Context, i int) (status int, size int64, err error)

// load runs do(0..n-1) from c concurrent workers and times each call. A call
// is good if its status is want, or 409 when conflictOK; anything else fails
// the run with the first such outcome. warm calls, run first, are not timed.
func load(ctx context.Context, n, c, warm int, want int, conflictOK bool, do op) (result, error) {
	var (
		totalBytes, failed, conflicts atomic.Int64
		firstFailure                  atomic.Pointer[string]
		latencies                     = make([]time.Duration, n)
	)
	var wg sync.WaitGroup
	for i := range warm {
		wg.Go(func() { do(ctx, -1-i) })
	}
	wg.Wait()
	var next atomic.Int64
	start := time.Now()
	for range c {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				t := time.Now()
				status, size, err := do(ctx, i)
				latencies[i] = time.Since(t)
				switch {
				case err == nil && status == want:
					totalBytes.Add(size)
				case err == nil && status == http.StatusConflict && conflictOK:
					conflicts.Add(1)
				default:
					msg := fmt.Sprintf("status %d", status)
					if err != nil {
						msg = err.Error()
					}
					firstFailure.CompareAndSwap(nil, &msg)
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := ctx.Err(); err != nil {
		return result{}, err
	}
	if f := firstFailure.Load(); f != nil {
		return result{}, fmt.Errorf("%d of %d failed, first: %s", failed.Load(), n, *f)
	}
	slices.Sort(latencies)
	good := int64(n) - conflicts.Load()
	r := result{n: n, elapsed: elapsed, rps: float64(n) / elapsed.Seconds(), conflicts: int(conflicts.Load()),
		p50: latencies[(n-1)*50/100], p99: latencies[(n-1)*99/100]}
	if good > 0 {
		r.bytes = totalBytes.Load() / good
	}
	return r, nil
}

// loadFor runs do from c workers until d has passed (for profiling, where
// the duration matters rather than the count) and returns how many ran.
func loadFor(ctx context.Context, d time.Duration, c int, do op) int {
	var n atomic.Int64
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var wg sync.WaitGroup
	for range c {
		wg.Go(func() {
			for ctx.Err() == nil {
				if _, _, err := do(ctx, 0); err == nil {
					n.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return int(n.Load())
}

// getOp is an op that GETs page with cookie.
func getOp(cl *http.Client, page, cookie string) op {
	return func(ctx context.Context, _ int) (int, int64, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, page, nil)
		if err != nil {
			return 0, 0, err
		}
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		resp, err := cl.Do(req)
		if err != nil {
			return 0, 0, err
		}
		k, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, k, err
	}
}
