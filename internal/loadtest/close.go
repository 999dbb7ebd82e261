package loadtest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"koinon/internal/closing"
)

// CloseConfig configures the close benchmark.
type CloseConfig struct {
	Voters      int     // eligible voters on the frozen roll
	Votes       int     // direct votes
	Delegating  float64 // share of voters with a delegate list
	DatabaseURL string
	DataDir     string
	// Pages, when > 0, is how many times each page of the sealed ballot is
	// fetched afterwards (ballot page, result page, result API).
	Pages int
	// Scratch runs on PostgreSQL in a new schema dropped afterwards.
	Scratch bool
	// CPUProfile, when set, receives a CPU profile of the close.
	CPUProfile string
	// MemProfile, when set, receives the allocation profile after the
	// close, and MemProfile+".base" the one before it: the close's
	// allocations are go tool pprof -sample_index=alloc_space -base
	// FILE.base FILE.
	MemProfile string
	Progress   io.Writer
}

// CloseResult is what the close benchmark measured.
type CloseResult struct {
	Kind       string  `json:"kind"` // "close"
	Command    string  `json:"command"`
	Database   string  `json:"database"`
	Voters     int     `json:"voters"`
	Votes      int     `json:"votes"`
	Delegating float64 `json:"delegating"`
	SeedS      float64 `json:"seed_s"`
	CloseS     float64 `json:"close_s"`
	// CloseCPUS is the process's CPU time (user and system) during the
	// close: on a loaded machine a steadier figure than CloseS.
	CloseCPUS float64 `json:"close_cpu_s"`
	// FanOutS and FanOutCPUS measure the "result sealed" notices the
	// close queued, sent to the roll after it (store FanOut).
	FanOutS    float64 `json:"fanout_s"`
	FanOutCPUS float64 `json:"fanout_cpu_s"`
	// PeakRSSMB is the process's peak resident memory during the close
	// (VmHWM, reset just before it); BaseRSSMB the resident memory just
	// before the close; PeakHeapMB the largest Go heap sampled every 50 ms.
	// All in MiB (2^20 bytes), as /proc reports KiB.
	PeakRSSMB  float64      `json:"peak_rss_mb"`
	BaseRSSMB  float64      `json:"base_rss_mb"`
	PeakHeapMB float64      `json:"peak_heap_mb"`
	ProofMB    float64      `json:"proof_mb"`
	Result     string       `json:"result"`
	Pages      []PageResult `json:"pages,omitempty"`
	Load       string       `json:"load_avg,omitempty"`
	StartedAt  time.Time    `json:"started_at"`
}

// CloseBench builds a ballot of cfg.Voters eligible voters (with
// delegations) and cfg.Votes votes directly in the store, in batches,
// then closes it with the closing package (freeze, tally, proof, seal,
// store) and measures the time and the peak memory of the close.
func CloseBench(ctx context.Context, cfg CloseConfig) (CloseResult, error) {
	progress := cfg.Progress
	if progress == nil {
		progress = io.Discard
	}
	logf := func(format string, args ...any) { fmt.Fprintf(progress, "loadtest: "+format+"\n", args...) }
	env, err := open(ctx, cfg.DatabaseURL, cfg.DataDir, "", cfg.Scratch)
	if err != nil {
		return CloseResult{}, err
	}
	defer env.Close()
	res := CloseResult{Kind: "close", Database: env.Store.Dialect(), Voters: cfg.Voters, Votes: cfg.Votes,
		Delegating: cfg.Delegating, StartedAt: time.Now().UTC().Truncate(time.Second)}

	start := time.Now()
	f, err := Seed(ctx, env.Store, SeedOptions{Members: cfg.Voters, Delegating: cfg.Delegating, Progress: logf})
	if err != nil {
		return res, err
	}
	t := time.Now()
	if err := SeedVotes(ctx, env.Store, f, cfg.Votes); err != nil {
		return res, err
	}
	logf("seeded %d votes in %s", cfg.Votes, time.Since(t).Round(time.Millisecond))
	env.Store.Settle(ctx)
	res.SeedS = time.Since(start).Seconds()
	ballotID := f.BallotID
	f = Fixture{} // let the seeding slices go before measuring

	runtime.GC()
	debug.FreeOSMemory()
	res.BaseRSSMB = procStatusMB("VmRSS")
	resetPeakRSS()
	res.Load = loadAvg()
	stopSampler := sampleHeap()
	closer := closing.New(env.Store, Signer{env.Keys}, slog.New(slog.DiscardHandler))
	logf("closing ballot %d (%d voters, %d votes)…", ballotID, cfg.Voters, cfg.Votes)
	stopProfile, err := startProfile(cfg.CPUProfile)
	if err != nil {
		return res, err
	}
	if cfg.MemProfile != "" {
		runtime.MemProfileRate = 64 << 10
		defer func() { runtime.MemProfileRate = 512 << 10 }()
		runtime.GC()
		// The profile is cumulative: compare with this one (pprof -base).
		if err := writeAllocs(cfg.MemProfile + ".base"); err != nil {
			return res, err
		}
	}
	start, cpu := time.Now(), cpuTime()
	b, err := closer.Close(ctx, ballotID)
	res.CloseS, res.CloseCPUS = time.Since(start).Seconds(), (cpuTime() - cpu).Seconds()
	stopProfile()
	if cfg.MemProfile != "" {
		if err := writeAllocs(cfg.MemProfile); err != nil {
			return res, err
		}
	}
	res.PeakHeapMB = stopSampler()
	res.PeakRSSMB = procStatusMB("VmHWM")
	if err != nil {
		return res, fmt.Errorf("loadtest: close: %w", err)
	}
	proof, err := env.Store.BallotProof(ctx, ballotID)
	if err != nil {
		return res, err
	}
	res.ProofMB = float64(len(proof)) / (1 << 20)
	if b.ResultJSON != nil {
		res.Result = summarizeResult(*b.ResultJSON)
	}
	logf("closed in %.2f s (CPU %.2f s), peak RSS %.0f MB (before: %.0f MB), peak Go heap %.0f MB, proof %.1f MB",
		res.CloseS, res.CloseCPUS, res.PeakRSSMB, res.BaseRSSMB, res.PeakHeapMB, res.ProofMB)
	start, cpu = time.Now(), cpuTime()
	if _, err := env.Store.FanOut(ctx); err != nil {
		return res, err
	}
	res.FanOutS, res.FanOutCPUS = time.Since(start).Seconds(), (cpuTime() - cpu).Seconds()
	logf("notified the roll in %.2f s (CPU %.2f s)", res.FanOutS, res.FanOutCPUS)
	if cfg.Pages > 0 {
		base, stop, err := env.Serve()
		if err != nil {
			return res, err
		}
		defer stop()
		res.Pages, err = MeasurePages(ctx, base, ballotID, cfg.Pages, logf)
		if err != nil {
			return res, err
		}
	}
	return res, nil
}

// cpuTime is the CPU time (user and system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// writeAllocs writes the allocation profile to path.
func writeAllocs(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return pprof.Lookup("allocs").WriteTo(f, 0)
}

// summarizeResult shortens the result JSON for the report.
func summarizeResult(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

// resetPeakRSS resets the kernel's peak resident set (VmHWM) of this
// process (Linux ≥ 4.0: "5" to /proc/self/clear_refs).
func resetPeakRSS() {
	os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// procStatusMB reads a "kB" field of /proc/self/status, in MB.
func procStatusMB(field string) float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// sampleHeap samples the Go heap every 50 ms until the returned function
// is called, which returns the largest HeapAlloc seen, in MB.
func sampleHeap() func() float64 {
	done := make(chan struct{})
	peak := make(chan float64, 1)
	go func() {
		var ms runtime.MemStats
		var max uint64
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > max {
				max = ms.HeapAlloc
			}
			select {
			case <-done:
				peak <- float64(max) / (1 << 20)
				return
			case <-t.C:
			}
		}
	}()
	return func() float64 { close(done); return <-peak }
}
