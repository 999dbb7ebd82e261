package loadtest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Instance is a `koinon serve` child process listening on 127.0.0.1.
type Instance struct {
	URL  string
	cmd  *exec.Cmd
	done chan struct{}
	mu   sync.Mutex
	logs bytes.Buffer
}

// servingURL finds the address in serve's "koinon serving" log line.
var servingURL = regexp.MustCompile(`url=(http://127\.0\.0\.1:[0-9]+)`)

// StartServe starts `bin serve` on a free loopback port with the data
// directory (platform and log keys), the database URL and the token key
// file, and waits up to 20 s for it to say where it serves.
func StartServe(bin, data, databaseURL, jwtKeyFile string) (*Instance, error) {
	in := &Instance{done: make(chan struct{})}
	in.cmd = exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--data", data, "--database", databaseURL)
	in.cmd.Env = append(os.Environ(), "KOINON_JWT_KEY_FILE="+jwtKeyFile)
	stderr, err := in.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := in.cmd.Start(); err != nil {
		return nil, err
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			in.mu.Lock()
			in.logs.WriteString(sc.Text() + "\n")
			in.mu.Unlock()
			if m := servingURL.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		io.Copy(io.Discard, stderr)
		in.cmd.Wait()
		close(in.done)
	}()
	select {
	case in.URL = <-found:
		return in, nil
	case <-in.done:
		return nil, fmt.Errorf("loadtest: koinon serve exited: %s", in.Logs())
	case <-time.After(20 * time.Second):
		in.Stop()
		return nil, fmt.Errorf("loadtest: koinon serve did not start in 20 s: %s", in.Logs())
	}
}

// Logs returns what the process has written to its standard error.
func (in *Instance) Logs() string {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.logs.String()
}

// Stop interrupts the process and waits for it, killing it after 10 s.
func (in *Instance) Stop() {
	in.cmd.Process.Signal(os.Interrupt)
	select {
	case <-in.done:
	case <-time.After(10 * time.Second):
		in.cmd.Process.Kill()
		<-in.done
	}
}

// InstancesConfig configures a comparison of one `koinon serve` process
// with several on one PostgreSQL database.
type InstancesConfig struct {
	Bin         string // the koinon binary
	Instances   int    // processes in the second phase (≥ 2)
	Members     int
	Clients     int // in each phase, split evenly between the processes
	Duration    time.Duration
	DatabaseURL string // postgres://…; the run works in a scratch schema
	Progress    io.Writer
}

// InstancesResult is one such comparison.
type InstancesResult struct {
	Kind      string        `json:"kind"` // "instances"
	Command   string        `json:"command"`
	Database  string        `json:"database"`
	Members   int           `json:"members"`
	Clients   int           `json:"clients"`
	Duration  float64       `json:"duration_s"`
	One       DriveResult   `json:"one"`  // one process, all clients
	Each      []DriveResult `json:"each"` // the processes of the second phase
	Sum       float64       `json:"sum"`  // their votes/s together
	Load      string        `json:"load_avg,omitempty"`
	StartedAt time.Time     `json:"started_at"`
}

// RunInstances seeds one community with an open ballot in a scratch
// schema, then casts signed votes for cfg.Duration through one `koinon
// serve` process, and for as long through cfg.Instances processes at once
// (the same ballot, hence the same community log). Each phase has its own
// half of the members, so both start with every voter's first statement
// (key registration) and neither gets warmer voters than the other.
func RunInstances(ctx context.Context, cfg InstancesConfig) (InstancesResult, error) {
	res := InstancesResult{Kind: "instances", Members: cfg.Members, Clients: cfg.Clients,
		Duration: cfg.Duration.Seconds(), StartedAt: time.Now().UTC().Truncate(time.Second)}
	if cfg.DatabaseURL == "" || cfg.Instances < 2 || cfg.Members < 2*cfg.Instances || cfg.Clients < cfg.Instances {
		return res, errors.New("loadtest: --instances needs --database postgres://…, at least 2 instances, as many clients and twice as many members")
	}
	logf := func(format string, args ...any) {
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, "loadtest: "+format+"\n", args...)
		}
	}
	env, err := OpenScratch(ctx, cfg.DatabaseURL, "", "")
	if err != nil {
		return res, err
	}
	defer env.Close()
	res.Database = env.Store.Dialect()
	if err := env.EnableLogs(); err != nil { // makes the log keys the processes share
		return res, err
	}
	f, err := Seed(ctx, env.Store, SeedOptions{Members: cfg.Members, ClosesIn: 2*cfg.Duration + time.Hour, Progress: logf})
	if err != nil {
		return res, err
	}
	tokens, err := Tokens(env.Tokens, f)
	if err != nil {
		return res, err
	}
	url, jwtKey := env.URL, filepath.Join(env.DataDir, "keys", "jwt.key")
	var procs []*Instance
	defer func() {
		for _, p := range procs {
			p.Stop()
		}
	}()
	for range cfg.Instances {
		p, err := StartServe(cfg.Bin, env.DataDir, url, jwtKey)
		if err != nil {
			return res, err
		}
		procs = append(procs, p)
	}
	drive := func(p *Instance, tokens []string, clients int) (DriveResult, error) {
		return Drive(ctx, DriveOptions{BaseURL: p.URL, BallotID: f.BallotID, Tokens: tokens, Clients: clients, Duration: cfg.Duration})
	}

	half := len(tokens) / 2
	res.Load = loadAvg()
	logf("one process (%s), %d clients, %s", procs[0].URL, cfg.Clients, cfg.Duration)
	if res.One, err = drive(procs[0], tokens[:half], cfg.Clients); err != nil {
		return res, err
	}
	logf("one process: %.0f votes/s, p99 %.1f ms", res.One.Throughput, res.One.P99ms)

	rest, n := tokens[half:], len(procs)
	res.Each = make([]DriveResult, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, p := range procs {
		wg.Go(func() {
			res.Each[i], errs[i] = drive(p, rest[i*len(rest)/n:(i+1)*len(rest)/n], cfg.Clients/n)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return res, err
	}
	for i, r := range res.Each {
		res.Sum += r.Throughput
		logf("process %d of %d: %.0f votes/s, p99 %.1f ms", i+1, n, r.Throughput, r.P99ms)
	}
	logf("%d processes together: %.0f votes/s (one alone: %.0f)", n, res.Sum, res.One.Throughput)
	if res.One.OK == 0 || res.Sum == 0 {
		return res, errors.New("loadtest: no vote succeeded")
	}
	return res, nil
}

// targetRow is the issue 18 target line of r.
func (r InstancesResult) targetRow() string {
	parts := make([]string, len(r.Each))
	for i, e := range r.Each {
		parts[i] = commas(int64(e.Throughput))
	}
	return fmt.Sprintf("| %d `koinon serve` processes sharing %s: together more votes/s than one (issue 18) | one: %s votes/s; %d: %s = %s votes/s, load %s | %s |",
		len(r.Each), r.Database, commas(int64(r.One.Throughput)), len(r.Each), strings.Join(parts, " + "), commas(int64(r.Sum)), r.Load, mark(r.Sum > r.One.Throughput))
}

// busyShare renders DriveResult.MachineBusy ("–" when unknown).
func busyShare(f float64) string {
	if f == 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f %%", 100*f)
}

// writeInstances renders the runs of RunInstances.
func writeInstances(w func(string, ...any), rs []InstancesResult) {
	w("### Several `koinon serve` processes on one database\n\n")
	w("`koinon loadtest --instances N` seeds one community with an open ballot in a scratch schema, starts N `koinon serve` processes on it (shared token key, platform and log keys), then casts signed (custodial) votes for the duration through the first process alone, and for as long through all N at once, the clients split evenly; each phase votes with its own half of the members, so both start with every voter's first statement. Machine CPU busy is the share of all cores' time, all processes (the servers, PostgreSQL, the load generator), that was not idle during the phase: a second process can add votes only where the first left the CPU idle.\n\n")
	w("| database | members | clients | processes | votes/s | p50 | p99 | statuses | machine CPU busy | load avg |\n|---|---|---|---|---|---|---|---|---|---|\n")
	row := func(r InstancesResult, who string, d DriveResult) {
		w("| %s | %s | %d | %s | %s | %.1f ms | %.1f ms | %s | %s | %s |\n",
			r.Database, commas(int64(r.Members)), r.Clients, who, commas(int64(d.Throughput)), d.P50ms, d.P99ms, statuses(d.Statuses), busyShare(d.MachineBusy), r.Load)
	}
	for _, r := range rs {
		row(r, "one alone", r.One)
		for i, d := range r.Each {
			row(r, fmt.Sprintf("%d of %d at once", i+1, len(r.Each)), d)
		}
		w("| %s | | | **%d together** | **%s** | | | | | |\n", r.Database, len(r.Each), commas(int64(r.Sum)))
	}
	w("\nCommands:\n\n")
	for _, r := range rs {
		w("    %s\n", r.Command)
	}
	w("\n")
}
