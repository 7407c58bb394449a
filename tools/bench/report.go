package main

import (
	"fmt"
	"strings"
	"time"
)

// report gathers every figure of one run and renders it as Markdown.
type report struct {
	cfg               config
	started, finished time.Time
	hello             result
	static            []result // hello world's server sending pages' sizes
	scales            []scaleResult
	actions           actionRun
	imageBytes        int64
	snowflake         string
	sfLatency         string   // BenchmarkSnowflakePath's table
	sfMismatches      []string // where its floors' counts disagree with TestRoundTrips'
	gobench           string
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

func mib(kib int) string { return fmt.Sprintf("%.1f MiB", float64(kib)/1024) }

func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

// scale returns the figures at n requests.
func (r *report) scale(n int) (scaleResult, bool) {
	for _, s := range r.scales {
		if s.ds.requests == n {
			return s, true
		}
	}
	return scaleResult{}, false
}

func (r *report) markdown() string {
	var b strings.Builder
	cfg := r.cfg
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("Measured %s on %s, in %s. Load: %d GETs per page and scale from %d keep-alive clients, on loopback, "+
		"with the load generator on the same machine.\n\n",
		r.started.UTC().Format("2006-01-02 15:04 MST"), machine(), r.finished.Sub(r.started).Round(time.Second), cfg.n, cfg.c)

	target, _ := r.scale(cfg.target)
	small, large := r.scales[0], r.scales[len(r.scales)-1]
	page := func(s scaleResult, name string) result { return s.page(name) }
	share := func(x result) float64 { return 100 * x.rps / r.hello.rps }
	var worstStart time.Duration
	worstRSS := 0
	for _, s := range r.scales {
		worstStart, worstRSS = max(worstStart, s.startup), max(worstRSS, s.rssKiB)
	}

	p("### Targets\n\n")
	p("| target | goal | measured | met |\n|---|---|---|---|\n")
	for _, name := range []string{"catalog", "queue"} {
		x := page(target, name)
		p("| %s throughput, %d requests (%d pending), vs hello world | ≥ 50%% | %.1f%% (%.0f of %.0f req/s) | %s |\n",
			name, cfg.target, target.ds.pending, share(x), x.rps, r.hello.rps, yes(share(x) >= 50))
	}
	a := r.actions
	dps := a.decisionsPerSecond()
	p("| decisions per second, %d clients | ≥ 1,000 | %.0f | %s |\n", cfg.c, dps, yes(dps >= 1000))
	c := a.check
	p("| lost or doubled decisions | 0 | %d lost, %d doubled, %d without their audit event, %d raced steps won by nobody, %d refused but recorded | %s |\n",
		c.lost, c.doubled, c.missingEvents, c.noWinner, c.strays,
		yes(c.lost == 0 && c.doubled == 0 && c.missingEvents == 0 && c.noWinner == 0 && c.strays == 0))
	qs, ql := page(small, "queue"), page(large, "queue")
	ratio := float64(ql.p99) / float64(qs.p99)
	p("| queue p99 at %d requests vs at %d | ≤ 2× | %.2f× (%s vs %s) | %s |\n",
		large.ds.requests, small.ds.requests, ratio, ms(ql.p99), ms(qs.p99), yes(ratio <= 2))
	p("| start-up to ready (worst scale) | < 200 ms | %s | %s |\n", ms(worstStart), yes(worstStart < 200*time.Millisecond))
	p("| idle RSS after start-up (worst scale) | < 50 MB | %s | %s |\n", mib(worstRSS), yes(worstRSS*1024 < 50e6))
	if r.imageBytes > 0 {
		p("| container image (tar of the compressed layer and config) | < 25 MB | %.1f MB | %s |\n",
			float64(r.imageBytes)/1e6, yes(r.imageBytes < 25e6))
	}

	p("\n### Pages at %d requests (%d pending) against hello world\n\n", cfg.target, target.ds.pending)
	p("| page | req/s | p50 | p99 | bytes | req/s, %% of hello | p50 × hello | p99 × hello |\n|---|---:|---:|---:|---:|---:|---:|---:|\n")
	row := func(x result) {
		p("| %s | %.0f | %s | %s | %d | %.1f%% | %.1f | %.1f |\n", x.name, x.rps, ms(x.p50), ms(x.p99), x.bytes, share(x),
			float64(x.p50)/float64(r.hello.p50), float64(x.p99)/float64(r.hello.p99))
	}
	row(r.hello)
	for _, x := range target.pages {
		row(x)
	}
	for _, x := range r.static {
		row(x)
	}
	if len(r.static) > 0 {
		p("\nThe static rows are hello world's server sending a body of a page's size with no work behind it: " +
			"the most any page of that size could reach here.\n")
	}
	if len(target.alone) > 0 {
		p("\nOne visitor at a time (one client, %d GETs per page, at %d requests): what a person using the page "+
			"waits for the server, with nobody else's requests on the two cores.\n\n", target.alone[0].n, cfg.target)
		p("| page | p50 | p99 |\n|---|---:|---:|\n")
		for _, x := range target.alone {
			p("| %s | %s | %s |\n", x.name, ms(x.p50), ms(x.p99))
		}
	}
	for _, pr := range target.profiles {
		p("\n#### Where the server's CPU goes: %s\n\n", pr.page)
		p("A %s CPU profile of `signoff serve` (through `--debug-addr`) while %d clients loaded the %s page (%d requests); "+
			"`go tool pprof -top -cum`, plumbing frames left out:\n\n```\n%s\n```\n", cfg.profile, cfg.c, pr.page, pr.requests, pr.top)
	}

	p("\n### Actions at %d requests\n\n", cfg.target)
	p("Each on a copy of the database, %d clients, every POST same-origin with the persona's session; "+
		"an action's time ends at its 303 (the redirect is not followed).\n\n", cfg.c)
	p("| action | operations | per second | p50 | p99 | answered 409 |\n|---|---:|---:|---:|---:|---:|\n")
	for _, x := range []struct {
		name string
		r    result
	}{{"submit", a.submit}, {"approve", a.approve}, {"reject (with comment)", a.reject},
		{fmt.Sprintf("race: two clients approve each of %d steps", a.raceItems), a.race}} {
		p("| %s | %d | %.0f | %s | %s | %d |\n", x.name, x.r.n, x.r.rps, ms(x.r.p50), ms(x.r.p99), x.r.conflicts)
	}
	p("\nChecked in the database afterwards: %d lost, %d doubled, %d decisions without exactly one audit event, "+
		"%d raced steps won by nobody, %d refused decisions recorded anyway; "+
		"%d of %d submissions recorded once (%d duplicates); audit chains %s (%d requests, %d events).\n",
		c.lost, c.doubled, c.missingEvents, c.noWinner, c.strays, c.submitted, a.submit.n, c.duplicates,
		map[bool]string{true: "verified", false: "**FAILED**"}[c.chainsOK], c.chains, c.events)
	for _, pr := range c.problems[:min(len(c.problems), 10)] {
		p("- %s\n", pr)
	}
	if a.profile != nil {
		p("\n#### Where the server's CPU goes: approvals\n\n")
		p("A %s CPU profile of `signoff serve` while %d clients approved the steps left over (%d approvals, not among "+
			"the checked ones); `go tool pprof -top -cum`, plumbing frames left out:\n\n```\n%s\n```\n",
			cfg.profile, cfg.c, a.profile.requests, a.profile.top)
	}

	{
		p("\n### Scale: p50 / p99 per page\n\n")
		p("| requests | pending | database | generated in | start-up | idle RSS |")
		for _, n := range pageNames {
			p(" %s |", n)
		}
		p("\n|---:|---:|---:|---:|---:|---:|%s\n", strings.Repeat("---:|", len(pageNames)))
		for _, s := range r.scales {
			gen := s.ds.generated.Round(100 * time.Millisecond).String()
			if s.ds.cached {
				gen += " (cached)"
			}
			p("| %d | %d | %.0f MB | %s | %s | %s |", s.ds.requests, s.ds.pending, float64(s.ds.size)/1e6, gen, ms(s.startup), mib(s.rssKiB))
			for _, x := range s.pages {
				p(" %.2f / %.2f |", float64(x.p50)/1e6, float64(x.p99)/1e6)
			}
			p("\n")
		}
		p("\nLatencies in milliseconds. Requests per second:\n\n| requests |")
		for _, n := range pageNames {
			p(" %s |", n)
		}
		p("\n|---:|%s\n", strings.Repeat("---:|", len(pageNames)))
		for _, s := range r.scales {
			p("| %d |", s.ds.requests)
			for _, x := range s.pages {
				p(" %.0f |", x.rps)
			}
			p("\n")
		}
	}

	b.WriteString(r.snowflakeMarkdown())
	if r.gobench != "" {
		p("\n### Go benchmarks\n\n`go test -bench . -benchmem -count 1 -benchtime %s` (compare runs with benchstat, see `make bench-go`):\n\n```\n%s\n```\n",
			cfg.benchtime, r.gobench)
	}
	return b.String()
}

// snowflakeMarkdown is the report's Snowflake path section: the statement
// counts, the logins per token lifetime and the latency table.
func (r *report) snowflakeMarkdown() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	if r.snowflake != "" {
		p("\n### Snowflake path\n\nStatements per page and action, counted by `go test ./internal/snowflake -run TestRoundTrips` "+
			"(service statements run on the app's own connection pool; each caller login opens a caller's-rights session "+
			"with the visitor's caller token, which runs the caller statements: the identity statement or an action's CALL):"+
			"\n\n```\n%s\n```\n", r.snowflake)
	}
	if r.sfLatency != "" {
		p("\nLatency per page and action through the real server and the real gosnowflake driver against a loopback fake "+
			"of Snowflake that takes %s per statement and %s per login, from %s concurrent users (`go test -bench "+
			"BenchmarkSnowflakePath ./internal/snowflake`); the floor is the request's statements × %s + its caller logins × %s, "+
			"the Snowflake round trips it cannot avoid, so what p50 and p99 add to it is the app's:\n\n```\n%s\n```\n",
			r.cfg.sf.statement, r.cfg.sf.login, listing(r.cfg.sf.users), r.cfg.sf.statement, r.cfg.sf.login, r.sfLatency)
		if len(r.sfMismatches) == 0 {
			p("\nEvery floor counts what TestRoundTrips counts for the same page or action.\n")
		} else {
			p("\n**The floors' counts disagree with TestRoundTrips':**\n\n")
			for _, m := range r.sfMismatches {
				p("- %s\n", m)
			}
		}
	}
	return b.String()
}

// listing writes a comma-separated list as prose: "1, 2 and 4".
func listing(list string) string {
	items := strings.Split(list, ",")
	for i := range items {
		items[i] = strings.TrimSpace(items[i])
	}
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}
