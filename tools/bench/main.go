// Command bench measures Signoff and prints every figure of
// docs/performance.md in one run, on loopback only:
//
//   - a minimal net/http hello-world server (in-process, same toolchain) is
//     the baseline;
//   - "signoff serve" runs as a child process on embedded databases that
//     the bench fills in-process (package tools/bench/gen) with each of
//     -scales requests (cached under -cache and reused while the generator,
//     demo and schema are unchanged);
//   - every page gets -n GETs from -c keep-alive clients at every scale:
//     requests per second and p50/p99 latency, also as multiples of
//     hello-world's, plus start-up time to the first 200 on /readyz and idle
//     resident memory;
//   - at the -target scale, on a copy of its database, submit, approve,
//     reject, and two clients racing for the same steps, after which the
//     database is checked: no accepted decision lost, none doubled, one audit
//     event each, every hash chain verified;
//   - the Snowflake path's statements per page and action and caller logins
//     per token lifetime, its latency per page and action from 1 to 32
//     concurrent users (the real driver against a loopback fake of
//     Snowflake that waits -sf-statement per statement and -sf-login per
//     login), and the Go benchmarks, from "go test".
//
// It prints a Markdown report (and with -doc, rewrites the generated part of
// that file). It asserts nothing: the report says which targets were met.
//
//	go run ./tools/bench -bin artifacts/bench/signoff -scales 1000,10000 -target 10000
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
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
	bin, cache, work, doc, image string
	scales                       []int
	target                       int
	seed                         uint64
	n, c, actions, race          int
	requester, approver, reader  string
	snowflake, gobench, dataOnly bool
	benchtime                    string
	sf                           sfLatency
	profile                      time.Duration
	timeout                      time.Duration
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	var scales string
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.bin, "bin", "", "signoff `binary` to run; built with \"go build\" into -work if empty")
	fs.StringVar(&cfg.cache, "cache", "artifacts/bench-data", "`directory` of generated databases, reused across runs")
	fs.StringVar(&cfg.work, "work", "", "`directory` for the action runs' database copy (default: a temporary directory)")
	fs.StringVar(&scales, "scales", "1000,10000,100000,1000000", "comma-separated `sizes` (generated requests) to measure the pages at")
	fs.IntVar(&cfg.target, "target", 100000, "the scale whose pages are compared with the targets and where actions run (about a tenth pending)")
	fs.Uint64Var(&cfg.seed, "seed", 1, "generator seed")
	fs.IntVar(&cfg.n, "n", 2000, "GETs per page and scale")
	fs.IntVar(&cfg.c, "c", 32, "concurrent clients")
	fs.IntVar(&cfg.actions, "actions", 2000, "submissions, approvals and rejections each")
	fs.IntVar(&cfg.race, "race", 500, "steps that two clients race to approve")
	fs.StringVar(&cfg.requester, "requester", "GEN0001", "persona for the catalog, product and my-requests pages")
	fs.StringVar(&cfg.approver, "approver", "MARCO", "persona for the queue")
	fs.StringVar(&cfg.reader, "reader", "AUDREY", "persona for the request page and the audit log (sees every request)")
	fs.StringVar(&cfg.image, "image", "", "container image `tar` whose size to report (from make image)")
	fs.StringVar(&cfg.doc, "doc", "", "Markdown `file` whose generated block (between the bench markers) is replaced by the report")
	fs.BoolVar(&cfg.snowflake, "snowflake", true, "report the Snowflake path's statement and login counts and its latency (go test ./internal/snowflake)")
	fs.DurationVar(&cfg.sf.statement, "sf-statement", 40*time.Millisecond, "Snowflake path: how `long` the fake Snowflake takes per statement")
	fs.DurationVar(&cfg.sf.login, "sf-login", 150*time.Millisecond, "Snowflake path: how `long` the fake Snowflake takes per login (session)")
	fs.StringVar(&cfg.sf.users, "sf-users", "1,2,4,8,16,32", "Snowflake path: comma-separated `counts` of concurrent users")
	fs.IntVar(&cfg.sf.iterations, "sf-iterations", 10, "Snowflake path: visits (every page and action once) per user and count")
	fs.BoolVar(&cfg.gobench, "gobench", true, "run the Go benchmarks once and include them")
	fs.BoolVar(&cfg.dataOnly, "data-only", false, "only generate (or find) the databases of -scales in -cache, print their paths and exit")
	fs.StringVar(&cfg.benchtime, "benchtime", "1s", "-benchtime for the Go benchmarks")
	fs.DurationVar(&cfg.profile, "profile", 5*time.Second, "at the target scale, profile the server this `long` under load on the catalog and the queue (0: don't)")
	fs.DurationVar(&cfg.timeout, "timeout", 80*time.Minute, "give up after this `long`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	for _, s := range strings.Split(scales, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return fmt.Errorf("-scales: %q is not a positive number", s)
		}
		cfg.scales = append(cfg.scales, n)
	}
	slices.Sort(cfg.scales)
	given := slices.Clone(cfg.scales)
	if !slices.Contains(cfg.scales, cfg.target) {
		cfg.scales = append(cfg.scales, cfg.target)
		slices.Sort(cfg.scales)
	}
	if cfg.profile > 0 && cfg.profile < time.Second {
		cfg.profile = time.Second // pprof takes whole seconds, and 0 means its default of 30
	}
	if cfg.n < 1 || cfg.c < 1 || cfg.actions < 1 || cfg.race < 0 || fs.NArg() > 0 {
		fs.Usage()
		return errors.New("-n, -c and -actions must be positive")
	}
	if err := cfg.sf.validate(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	if cfg.dataOnly {
		return datasets(ctx, cfg, given, stdout, stderr)
	}
	if cfg.work == "" {
		dir, err := os.MkdirTemp("", "signoff-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		cfg.work = dir
	}
	if err := os.MkdirAll(cfg.work, 0o755); err != nil {
		return err
	}
	if cfg.bin == "" {
		cfg.bin = filepath.Join(cfg.work, "signoff")
		build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", cfg.bin, "github.com/signoff/signoff/cmd/signoff")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		build.Stdout, build.Stderr = stderr, stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("go build: %w", err)
		}
	}
	rep := &report{cfg: cfg, started: time.Now()}

	// The baseline: hello world from the same toolchain.
	static := bytes.Repeat([]byte("x"), 1<<20)
	hello, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/bytes/")); err == nil && n >= 0 && n <= len(static) {
			// A static body of n bytes: what a page of that size costs with no
			// work behind it, sent as Signoff sends pages (one write, with a
			// Content-Length).
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Content-Length", strconv.Itoa(n))
			w.Write(static[:n])
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "hello, world\n")
	}), ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(hello)
	defer hs.Close()
	hcl := newClient(cfg.c)
	rep.hello, err = load(ctx, cfg.n, cfg.c, cfg.c, http.StatusOK, false, getOp(hcl, "http://"+hello.Addr().String()+"/", ""))
	if err != nil {
		return fmt.Errorf("hello world: %w", err)
	}
	rep.hello.name = "hello world (baseline)"

	key := sourceKey(".")
	for _, scale := range cfg.scales {
		ds, err := ensureDataset(ctx, cfg.cache, key, scale, cfg.seed, stderr)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "bench: pages at %d requests\n", scale)
		sr, err := measurePages(ctx, cfg, ds)
		if err != nil {
			return fmt.Errorf("%d requests: %w", scale, err)
		}
		rep.scales = append(rep.scales, sr)
		if scale == cfg.target {
			for _, name := range []string{"catalog", "queue"} {
				size := sr.page(name).bytes
				r, err := load(ctx, cfg.n, cfg.c, cfg.c, http.StatusOK, false,
					getOp(hcl, fmt.Sprintf("http://%s/bytes/%d", hello.Addr(), size), ""))
				if err != nil {
					return fmt.Errorf("static %d bytes: %w", size, err)
				}
				r.name = fmt.Sprintf("static %d bytes (%s's size)", size, name)
				rep.static = append(rep.static, r)
			}
			fmt.Fprintf(stderr, "bench: actions at %d requests\n", scale)
			if rep.actions, err = measureActions(ctx, cfg, ds); err != nil {
				return fmt.Errorf("actions at %d requests: %w", scale, err)
			}
		}
	}
	if cfg.image != "" {
		fi, err := os.Stat(cfg.image)
		if err != nil {
			return fmt.Errorf("-image: %w", err)
		}
		rep.imageBytes = fi.Size()
	}
	if cfg.snowflake {
		fmt.Fprintln(stderr, "bench: Snowflake path (go test ./internal/snowflake)")
		if rep.snowflake, err = snowflakeFigures(ctx); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "bench: Snowflake path latency, %s users (go test -bench BenchmarkSnowflakePath ./internal/snowflake)\n", cfg.sf.users)
		if rep.sfLatency, err = snowflakeLatency(ctx, cfg.sf); err != nil {
			return err
		}
		rep.sfMismatches = checkFloors(rep.snowflake, rep.sfLatency)
	}
	if cfg.gobench {
		fmt.Fprintln(stderr, "bench: Go benchmarks")
		if rep.gobench, err = goBenchmarks(ctx, cfg.benchtime); err != nil {
			return err
		}
	}
	rep.finished = time.Now()
	md := rep.markdown()
	if _, err := io.WriteString(stdout, md); err != nil {
		return err
	}
	if cfg.doc != "" {
		return replaceGenerated(cfg.doc, md)
	}
	return nil
}

// scaleResult is the pages' figures on one database.
type scaleResult struct {
	ds       dataset
	startup  time.Duration
	rssKiB   int
	pages    []result
	alone    []result  // at the target scale: the pages from one client at a time
	profiles []profile // at the target scale
}

// page returns the figures of the page called name.
func (s scaleResult) page(name string) result {
	for _, p := range s.pages {
		if p.name == name {
			return p
		}
	}
	return result{}
}

// profile is where the server's CPU went while one page was under load.
type profile struct {
	page     string
	requests int // served during the profile
	top      string
}

var pageNames = []string{"catalog", "product", "my requests", "queue", "request", "audit"}

// measurePages serves ds and loads every page.
func measurePages(ctx context.Context, cfg config, ds dataset) (scaleResult, error) {
	sr := scaleResult{ds: ds}
	sv, err := startSignoff(ctx, cfg.bin, ds.path)
	if err != nil {
		return sr, err
	}
	defer sv.stop()
	sr.startup, sr.rssKiB = sv.startup, sv.rssKiB
	cl := newClient(cfg.c)
	cookies := map[string]string{}
	for _, u := range []string{cfg.requester, cfg.approver, cfg.reader} {
		if cookies[u] == "" {
			if cookies[u], err = signIn(ctx, cl, sv.url, u); err != nil {
				return sr, err
			}
		}
	}
	product, err := find(ctx, cl, sv.url+"/", cookies[cfg.requester], `href="/products/([^"/?]+)"`)
	if err != nil {
		return sr, fmt.Errorf("catalog: %w", err)
	}
	request, err := find(ctx, cl, sv.url+"/requests", cookies[cfg.requester], `/requests/([0-9A-Z]{26})`)
	if err != nil {
		return sr, fmt.Errorf("my requests: %w", err)
	}
	pages := []struct{ user, path string }{
		{cfg.requester, "/"}, {cfg.requester, "/products/" + product}, {cfg.requester, "/requests"},
		{cfg.approver, "/queue"}, {cfg.reader, "/requests/" + request}, {cfg.reader, "/audit"},
	}
	for i, p := range pages {
		r, err := load(ctx, cfg.n, cfg.c, cfg.c, http.StatusOK, false, getOp(cl, sv.url+p.path, cookies[p.user]))
		if err != nil {
			return sr, fmt.Errorf("%s: %w", p.path, err)
		}
		r.name = pageNames[i]
		sr.pages = append(sr.pages, r)
		if ds.requests == cfg.target {
			// What one person sees: the latency a page costs when nobody else
			// is waiting for the same two cores.
			a, err := load(ctx, max(cfg.n/4, 100), 1, 1, http.StatusOK, false, getOp(cl, sv.url+p.path, cookies[p.user]))
			if err != nil {
				return sr, fmt.Errorf("%s, one client: %w", p.path, err)
			}
			a.name = pageNames[i]
			sr.alone = append(sr.alone, a)
		}
		if ds.requests == cfg.target && cfg.profile > 0 && (r.name == "queue" || r.name == "catalog") {
			pr, err := profileServer(ctx, cfg, sv, r.name, getOp(cl, sv.url+p.path, cookies[p.user]))
			if err != nil {
				return sr, fmt.Errorf("profile %s: %w", r.name, err)
			}
			sr.profiles = append(sr.profiles, pr)
		}
	}
	return sr, sv.stop()
}

// profileServer takes a CPU profile of the server through --debug-addr while
// do runs from cfg.c clients, and summarizes it with go tool pprof.
func profileServer(ctx context.Context, cfg config, sv *server, name string, do op) (profile, error) {
	pr := profile{page: name}
	file := filepath.Join(cfg.work, "cpu-"+strings.NewReplacer(" ", "-", ",", "").Replace(name)+".pprof")
	got := make(chan error, 1)
	go func() {
		resp, body, err := get(ctx, newClient(1), fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", sv.debug,
			int(cfg.profile.Seconds())), "")
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("%s: %s", resp.Status, body)
		}
		if err == nil {
			err = os.WriteFile(file, body, 0o644)
		}
		got <- err
	}()
	time.Sleep(100 * time.Millisecond) // the profile has started
	pr.requests = loadFor(ctx, cfg.profile-200*time.Millisecond, cfg.c, do)
	if err := <-got; err != nil {
		return pr, err
	}
	out, err := exec.CommandContext(ctx, "go", "tool", "pprof", "-top", "-cum", "-nodecount=40", cfg.bin, file).CombinedOutput()
	if err != nil {
		return pr, fmt.Errorf("go tool pprof: %w\n%s", err, out)
	}
	var keep []string
	for _, line := range strings.Split(string(out), "\n") {
		// The header lines and the functions that say where time goes; the
		// runtime's and chi's plumbing frames add nothing.
		if strings.HasPrefix(line, "Duration:") || strings.HasPrefix(line, "Showing") || strings.Contains(line, "flat%") ||
			(strings.Contains(line, "%") && !strings.Contains(line, "runtime.goexit") && !strings.Contains(line, "chi/v5") &&
				!strings.Contains(line, "net/http.HandlerFunc") && !strings.Contains(line, ".func1") && !strings.Contains(line, ".func2")) {
			keep = append(keep, line)
		}
	}
	pr.top = strings.Join(keep, "\n")
	return pr, nil
}

// measureActions runs the actions on a copy of ds and checks the result.
func measureActions(ctx context.Context, cfg config, ds dataset) (actionRun, error) {
	db := filepath.Join(cfg.work, "actions.db")
	if err := copyDatabase(ds.path, db); err != nil {
		return actionRun{}, err
	}
	defer func() {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			os.Remove(db + suffix)
		}
	}()
	w, err := planWork(ctx, db, cfg.actions)
	if err != nil {
		return actionRun{}, err
	}
	sv, err := startSignoff(ctx, cfg.bin, db)
	if err != nil {
		return actionRun{}, err
	}
	start := time.Now().Add(-time.Second)
	var profileRun func(string, op) (profile, error)
	if cfg.profile > 0 {
		profileRun = func(name string, do op) (profile, error) { return profileServer(ctx, cfg, sv, name, do) }
	}
	run, decided, wins, subs, err := runActions(ctx, sv.url, w, cfg.actions, cfg.race, cfg.c, profileRun)
	if stopErr := sv.stop(); err == nil {
		err = stopErr
	}
	if err != nil {
		return run, err
	}
	winsByIndex := map[int]int{}
	for i, n := range wins {
		winsByIndex[i] = n
	}
	run.check, err = verify(ctx, db, decided, winsByIndex, 2*cfg.actions, cfg.actions, subs, start)
	return run, err
}

// snowflakeFigures runs the Snowflake path's counting tests and returns
// their tables.
func snowflakeFigures(ctx context.Context) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "test", "-count=1", "-v",
		"-run", "^(TestRoundTrips|TestCallerLoginsPerTokenLifetime)$", "./internal/snowflake/")
	cmd.Env = append(os.Environ(), "SNOWFLAKE_DISABLE_PLATFORM_DETECTION=true")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go test ./internal/snowflake: %w\n%s", err, out)
	}
	table := cutBlock(string(out), "--- statements per page and action")
	var logins []string
	for _, line := range strings.Split(string(out), "\n") {
		if t := strings.TrimSpace(line); strings.Contains(t, "caller logins per user") {
			logins = append(logins, t[strings.Index(t, "caller logins"):])
		}
	}
	keep := append(table, "")
	keep = append(keep, logins...)
	if len(table) == 0 || len(logins) == 0 {
		return "", fmt.Errorf("go test ./internal/snowflake printed no figures:\n%s", out)
	}
	return strings.Join(keep, "\n"), nil
}

// cutBlock returns the lines from the line beginning with begin to the
// line that is just "---", both left out, without the indentation go test
// adds to every line alike.
func cutBlock(out, begin string) []string {
	var block []string
	in := false
	for _, line := range strings.Split(out, "\n") {
		t := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(t, begin):
			in = true
		case in && t == "---":
			in = false
		case in:
			block = append(block, strings.TrimRight(line, " "))
		}
	}
	indent := -1
	for _, line := range block {
		if n := len(line) - len(strings.TrimLeft(line, " \t")); line != "" && (indent < 0 || n < indent) {
			indent = n
		}
	}
	for i, line := range block {
		block[i] = line[min(max(indent, 0), len(line)):]
	}
	return block
}

// goBenchmarks runs every Go benchmark once and returns the result lines in
// the format benchstat reads.
func goBenchmarks(ctx context.Context, benchtime string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "test", "-run", "^$", "-bench", ".", "-benchmem", "-count", "1",
		"-benchtime", benchtime, "./web/view/", "./internal/sqlite/", "./internal/signoff/", "./internal/server/")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go test -bench: %w\n%s", err, out)
	}
	var keep []string
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "Benchmark") || strings.HasPrefix(line, "pkg: ") ||
			(len(keep) == 0 && (strings.HasPrefix(line, "goos: ") || strings.HasPrefix(line, "goarch: ") || strings.HasPrefix(line, "cpu: "))) {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n"), nil
}

// Markers around the generated block of the -doc file.
const (
	beginMarker = "<!-- bench:begin (generated by make bench; do not edit by hand) -->"
	endMarker   = "<!-- bench:end -->"
)

// replaceGenerated puts md between the markers of file.
func replaceGenerated(file, md string) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	i, j := bytes.Index(b, []byte(beginMarker)), bytes.Index(b, []byte(endMarker))
	if i < 0 || j < i {
		return fmt.Errorf("%s has no %q … %q block", file, beginMarker, endMarker)
	}
	var out bytes.Buffer
	out.Write(b[:i+len(beginMarker)])
	out.WriteString("\n\n" + md + "\n")
	out.Write(b[j:])
	return os.WriteFile(file, out.Bytes(), 0o644)
}

// machine describes the computer the figures come from.
func machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		if m := regexp.MustCompile(`(?m)^model name\s*:\s*(.+)$`).FindSubmatch(b); m != nil {
			cpu = strings.TrimSpace(string(m[1]))
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		if m := regexp.MustCompile(`MemTotal:\s*(\d+) kB`).FindSubmatch(b); m != nil {
			kb, _ := strconv.Atoi(string(m[1]))
			mem = fmt.Sprintf(", %.0f GiB RAM", float64(kb)/(1<<20))
		}
	}
	return fmt.Sprintf("%s, %d CPUs%s; %s %s/%s", cpu, runtime.NumCPU(), mem, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
