package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"koinon/internal/config"
	"koinon/internal/loadtest"
)

// cmdLoadtest measures Koinon at scale (internal/loadtest): vote casting
// over HTTP against a plain-insert baseline, the close of a large ballot
// (--close) and, with --report, rewrites the generated part of
// docs/benchmarks.md from a results directory.
func cmdLoadtest(ctx context.Context, e env) int {
	fs := flag.NewFlagSet("koinon loadtest", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var (
		cfg      loadtest.Config
		ccfg     loadtest.CloseConfig
		closeB   bool
		growth   bool
		procs    int
		gcfg     loadtest.GrowthConfig
		sizes    string
		steps    string
		jsonOut  string
		report   string
		doc      string
		database = e.getenv("KOINON_DATABASE_URL")
	)
	fs.IntVar(&cfg.Members, "members", 10000, "members of the seeded community (each a distinct voter)")
	fs.DurationVar(&cfg.Duration, "duration", 30*time.Second, "how long to cast votes (and run the baseline)")
	fs.IntVar(&cfg.Clients, "clients", 64, "concurrent HTTP clients (and baseline goroutines)")
	fs.IntVar(&cfg.Rate, "rate", 0, "total votes per second to send; 0 sends as fast as answered")
	fs.StringVar(&database, "database", database, "database `URL`: postgres://…, or empty for SQLite in --data (KOINON_DATABASE_URL)")
	fs.StringVar(&cfg.DataDir, "data", "", "data `DIR` for SQLite and keys (default: a temporary directory)")
	fs.StringVar(&cfg.Target, "target", "", "base `URL` of a running koinon on 127.0.0.1 sharing --database and --jwt-key-file (default: serve in this process)")
	fs.StringVar(&cfg.JWTKeyFile, "jwt-key-file", e.getenv("KOINON_JWT_KEY_FILE"), "token key `FILE` (KOINON_JWT_KEY_FILE; default DATA/keys/jwt.key)")
	fs.BoolVar(&cfg.ReadOnly, "read-only", false, "GET the caller's vote instead of casting one (the request path's ceiling without the write; no baseline)")
	fs.BoolVar(&cfg.NoBaseline, "no-baseline", false, "skip the plain-insert baseline")
	fs.StringVar(&cfg.CPUProfile, "cpuprofile", "", "write a CPU profile of the vote phase (or of the close) to `FILE`")
	fs.BoolVar(&cfg.Scratch, "scratch", false, "on PostgreSQL, work in a new schema dropped afterwards (not with --target)")
	fs.StringVar(&ccfg.MemProfile, "memprofile", "", "with --close: write the close's allocation profile to `FILE`")
	fs.BoolVar(&closeB, "close", false, "close benchmark: build a large ballot in the store and time its close")
	fs.IntVar(&ccfg.Voters, "voters", 1_000_000, "with --close: eligible voters")
	fs.IntVar(&ccfg.Votes, "votes", 300_000, "with --close: direct votes")
	fs.Float64Var(&ccfg.Delegating, "delegating", 0.6, "with --close: share of voters with a delegate list")
	fs.IntVar(&ccfg.Pages, "pages", 200, "with --close: GETs of each page of the sealed ballot (0: none)")
	fs.BoolVar(&growth, "growth", false, "growth benchmark: resolution, close, verify and log replay at each of --sizes")
	fs.StringVar(&sizes, "sizes", "10000,100000,1000000,10000000", "with --growth: voters, comma-separated, smallest first")
	fs.StringVar(&steps, "steps", "", "with --growth: steps to run, comma-separated (resolution, close, verify, replay; default all)")
	fs.IntVar(&gcfg.CloseMax, "close-max", 1_000_000, "with --growth: largest size whose close and log replay run")
	fs.IntVar(&procs, "instances", 0, "compare one `koinon serve` process with `N` on one PostgreSQL database (--database; a scratch schema), each phase --duration on its own half of --members")
	fs.StringVar(&jsonOut, "json", "", "also write the result as JSON to `FILE`")
	fs.StringVar(&report, "report", "", "render the results in `DIR` (JSON and go test -bench output) into --doc and exit")
	fs.StringVar(&doc, "doc", "docs/benchmarks.md", "with --report: the `FILE` whose generated section is rewritten")
	if err := fs.Parse(e.args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		return fail(e, "loadtest", fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	shown := make([]string, len(e.args))
	for i, a := range e.args {
		shown[i] = config.Mask(a) // no database password in the report
	}
	command := strings.TrimSpace("koinon loadtest " + strings.Join(shown, " "))
	if report != "" {
		if err := loadtest.WriteReport(report, doc); err != nil {
			return fail(e, "loadtest", err)
		}
		fmt.Fprintf(e.stdout, "wrote %s\n", doc)
		return 0
	}
	var out any
	if growth {
		for _, f := range strings.Split(sizes, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 {
				return fail(e, "loadtest", fmt.Errorf("--sizes: %q is not a number of voters", f))
			}
			gcfg.Sizes = append(gcfg.Sizes, n)
		}
		if steps != "" {
			gcfg.Steps = strings.Split(steps, ",")
		}
		gcfg.DatabaseURL, gcfg.DataDir, gcfg.Scratch, gcfg.Progress = database, cfg.DataDir, cfg.Scratch, e.stderr
		r, err := loadtest.Growth(ctx, gcfg)
		r.Command = command
		if err != nil {
			return fail(e, "loadtest", err)
		}
		out = r
	} else if procs > 0 {
		bin, err := os.Executable()
		if err != nil {
			return fail(e, "loadtest", err)
		}
		r, err := loadtest.RunInstances(ctx, loadtest.InstancesConfig{Bin: bin, Instances: procs, Members: cfg.Members,
			Clients: cfg.Clients, Duration: cfg.Duration, DatabaseURL: database, Progress: e.stderr})
		r.Command = command
		if err != nil {
			return fail(e, "loadtest", err)
		}
		out = r
	} else if closeB {
		ccfg.DatabaseURL, ccfg.DataDir, ccfg.CPUProfile, ccfg.Scratch, ccfg.Progress = database, cfg.DataDir, cfg.CPUProfile, cfg.Scratch, e.stderr
		r, err := loadtest.CloseBench(ctx, ccfg)
		r.Command = command
		if err != nil {
			return fail(e, "loadtest", err)
		}
		out = r
	} else {
		cfg.DatabaseURL, cfg.Progress = database, e.stderr
		r, err := loadtest.Run(ctx, cfg)
		r.Command = command
		if err != nil {
			return fail(e, "loadtest", err)
		}
		fmt.Fprint(e.stdout, loadtest.Summary(r))
		out = r
	}
	if jsonOut != "" {
		b, _ := json.MarshalIndent(out, "", "  ")
		if err := os.WriteFile(jsonOut, append(b, '\n'), 0o644); err != nil {
			return fail(e, "loadtest", err)
		}
	}
	return 0
}
