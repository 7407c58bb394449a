// Command bench measures Signoff's pages against a hello-world baseline, on
// loopback only: it starts a minimal net/http server in-process and
// "signoff serve" as a child process on a given embedded database (as made
// by "signoff demo generate"), signs in personas, then sends each page a
// fixed number of GET requests from a fixed number of keep-alive clients and
// prints requests per second and latency percentiles, each also as a
// multiple of hello-world's. It also prints the server's start-up time (to
// the first 200 on /readyz) and idle resident memory. It prints figures and
// asserts nothing.
//
//	go run ./tools/bench -db artifacts/bench/bench.db -n 2000 -c 32
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "bench:", err)
		}
		os.Exit(1)
	}
}

type config struct {
	db, bin                     string
	n, c                        int
	requester, approver, reader string
	timeout                     time.Duration
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.db, "db", "", "embedded database `file` to serve (from \"signoff demo generate\"); required")
	fs.StringVar(&cfg.bin, "bin", "", "signoff `binary` to run; built with \"go build\" into a temporary directory if empty")
	fs.IntVar(&cfg.n, "n", 2000, "requests per page")
	fs.IntVar(&cfg.c, "c", 32, "concurrent clients")
	fs.StringVar(&cfg.requester, "requester", "GEN0001", "persona for the catalog, product and my-requests pages")
	fs.StringVar(&cfg.approver, "approver", "MARCO", "persona for the queue")
	fs.StringVar(&cfg.reader, "reader", "AUDREY", "persona for the request page and the audit log (sees every request)")
	fs.DurationVar(&cfg.timeout, "timeout", 10*time.Minute, "give up after this `long`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.db == "" || cfg.n < 1 || cfg.c < 1 || fs.NArg() > 0 {
		fs.Usage()
		return errors.New("-db is required; -n and -c must be positive")
	}
	if _, err := os.Stat(cfg.db); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()

	if cfg.bin == "" {
		dir, err := os.MkdirTemp("", "signoff-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		cfg.bin = filepath.Join(dir, "signoff")
		build := exec.CommandContext(ctx, "go", "build", "-o", cfg.bin, "github.com/signoff/signoff/cmd/signoff")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		build.Stdout, build.Stderr = stderr, stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("go build: %w", err)
		}
	}

	// (a) The baseline: hello world from the same toolchain, in-process.
	hello, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "hello, world\n")
	}), ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(hello)
	defer hs.Close()

	// (b) Signoff, as a child process on a free loopback port.
	sv, err := startSignoff(ctx, cfg)
	if err != nil {
		return err
	}
	defer sv.stop()

	base := sv.url
	sess := map[string]*http.Client{}
	for _, user := range []string{cfg.requester, cfg.approver, cfg.reader} {
		if sess[user] != nil {
			continue
		}
		cl, err := signIn(ctx, base, user, cfg.c)
		if err != nil {
			return err
		}
		sess[user] = cl
	}
	productID, err := find(ctx, sess[cfg.requester], base+"/", `href="/products/([^"/?]+)"`)
	if err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	requestID, err := find(ctx, sess[cfg.requester], base+"/requests", `/requests/([0-9A-Z]{26})`)
	if err != nil {
		return fmt.Errorf("my requests: %w", err)
	}

	pages := []struct {
		name, user, path string
	}{
		{"catalog /", cfg.requester, "/"},
		{"product /products/{id}", cfg.requester, "/products/" + productID},
		{"my requests /requests", cfg.requester, "/requests"},
		{"queue /queue", cfg.approver, "/queue"},
		{"request /requests/{id}", cfg.reader, "/requests/" + requestID},
		{"audit /audit", cfg.reader, "/audit"},
	}
	baseline := load(ctx, newClient(nil, cfg.c), "http://"+hello.Addr().String()+"/", cfg.n, cfg.c)
	if baseline.err != nil {
		return fmt.Errorf("hello world: %w", baseline.err)
	}
	var results []result
	for _, p := range pages {
		r := load(ctx, sess[p.user], base+p.path, cfg.n, cfg.c)
		if r.err != nil {
			return fmt.Errorf("%s: %w", p.name, r.err)
		}
		r.name = p.name + " (" + p.user + ")"
		results = append(results, r)
	}
	baseline.name = "hello world (baseline)"

	fmt.Fprintf(stdout, "signoff bench: %s, %d requests per page, %d clients, %s %s/%s, %d CPUs (GOMAXPROCS %d)\n",
		cfg.db, cfg.n, cfg.c, runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0))
	fmt.Fprintf(stdout, "start-up to ready (first 200 on /readyz): %s; idle RSS after start: %s\n\n",
		sv.startup.Round(time.Millisecond), sv.rss)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "page\treq/s\tp50\tp99\tbytes\thello/page req/s\tp50 x hello\tp99 x hello\t")
	for _, r := range append([]result{baseline}, results...) {
		fmt.Fprintf(tw, "%s\t%.0f\t%s\t%s\t%d\t%.1f\t%.1f\t%.1f\t\n", r.name, r.rps, ms(r.p50), ms(r.p99), r.bytes,
			baseline.rps/r.rps, float64(r.p50)/float64(baseline.p50), float64(r.p99)/float64(baseline.p99))
	}
	return tw.Flush()
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }

// server is the signoff child process.
type server struct {
	cmd     *exec.Cmd
	url     string
	startup time.Duration
	rss     string
	done    chan struct{}
}

func startSignoff(ctx context.Context, cfg config) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(cfg.bin, "serve", "--engine", "embedded", "--db", cfg.db, "--addr", addr)
	for _, kv := range os.Environ() { // the flags say it all: no SIGNOFF_* from the caller
		if !strings.HasPrefix(kv, "SIGNOFF_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = io.Discard, &limitedWriter{w: &logs, n: 64 << 10}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, url: "http://" + addr, done: make(chan struct{})}
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
			return nil, fmt.Errorf("signoff serve exited before it was ready: %s", logs.String())
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
		if time.Since(start) > time.Minute {
			s.stop()
			return nil, errors.New("signoff serve was not ready within a minute")
		}
	}
	s.startup = time.Since(start)
	s.rss = "n/a"
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)); err == nil {
		if m := regexp.MustCompile(`VmRSS:\s*(\d+) kB`).FindSubmatch(b); m != nil {
			var kb int
			fmt.Sscan(string(m[1]), &kb)
			s.rss = fmt.Sprintf("%.1f MiB", float64(kb)/1024)
		}
	}
	return s, nil
}

// stop ends the child gracefully (SIGTERM), or kills it after 10 s.
func (s *server) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

type limitedWriter struct {
	mu sync.Mutex
	w  io.Writer
	n  int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n > 0 {
		k := min(len(p), l.n)
		l.w.Write(p[:k])
		l.n -= k
	}
	return len(p), nil
}

func newClient(jar http.CookieJar, c int) *http.Client {
	return &http.Client{Jar: jar, Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: c, MaxIdleConnsPerHost: c, IdleConnTimeout: time.Minute, DisableCompression: true}}
}

// signIn signs user in through POST /login, as the sign-in form does.
func signIn(ctx context.Context, base, user string, c int) (*http.Client, error) {
	jar, _ := cookiejar.New(nil)
	cl := newClient(jar, c)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/login",
		strings.NewReader(url.Values{"user": {user}, "next": {"/"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	resp, err := cl.Do(req)
	if err != nil {
		return nil, fmt.Errorf("sign in as %s: %w", user, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	u, _ := url.Parse(base)
	if resp.StatusCode != http.StatusOK || len(jar.Cookies(u)) == 0 {
		return nil, fmt.Errorf("sign in as %s: %s (is the database from \"signoff demo generate\"?)", user, resp.Status)
	}
	return cl, nil
}

// find gets page and returns the first submatch of pattern in it.
func find(ctx context.Context, cl *http.Client, page, pattern string) (string, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, page, nil)
	resp, err := cl.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	m := regexp.MustCompile(pattern).FindSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil {
		return "", fmt.Errorf("GET %s: %s, no match for %s", page, resp.Status, pattern)
	}
	return string(m[1]), nil
}

type result struct {
	name     string
	rps      float64
	p50, p99 time.Duration
	bytes    int64 // per response
	err      error
}

// load sends n GETs of page from c concurrent workers sharing cl (one
// keep-alive connection each), after a warm-up of c requests.
func load(ctx context.Context, cl *http.Client, page string, n, c int) result {
	var (
		totalBytes, failed atomic.Int64
		firstFailure       atomic.Pointer[string]
		latencies          = make([]time.Duration, n)
		r                  result
	)
	get := func(count bool) (time.Duration, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, page, nil)
		t := time.Now()
		resp, err := cl.Do(req)
		if err != nil {
			return 0, err
		}
		k, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		d := time.Since(t)
		if err != nil {
			return 0, err
		}
		if resp.StatusCode != http.StatusOK {
			return 0, fmt.Errorf("GET %s: %s", page, resp.Status)
		}
		if count {
			totalBytes.Add(k)
		}
		return d, nil
	}
	var wg sync.WaitGroup
	for range c { // warm-up: open the connections
		wg.Go(func() { get(false) })
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
				d, err := get(true)
				if err != nil {
					msg := err.Error()
					firstFailure.CompareAndSwap(nil, &msg)
					failed.Add(1)
					continue
				}
				latencies[i] = d
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := ctx.Err(); err != nil {
		r.err = err
		return r
	}
	if f := firstFailure.Load(); f != nil {
		r.err = fmt.Errorf("%d of %d requests failed, first: %s", failed.Load(), n, *f)
		return r
	}
	slices.Sort(latencies)
	r.p50 = latencies[(n-1)*50/100]
	r.p99 = latencies[(n-1)*99/100]
	r.rps = float64(n) / elapsed.Seconds()
	r.bytes = totalBytes.Load() / int64(n)
	return r
}
