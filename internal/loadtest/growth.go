package loadtest

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"koinon/internal/clog"
	"koinon/internal/proof"
	"koinon/internal/proof2"
	"koinon/internal/tally"
)

// GrowthConfig configures the growth benchmark: how the costs of
// resolution, close, verification and log replay grow with the number of
// voters.
type GrowthConfig struct {
	// Sizes are the electorates to run, smallest first.
	Sizes []int
	// CloseMax is the largest size whose close and log replay run (the
	// close seeds a database of that many citizens first).
	CloseMax int
	// Steps are the steps to run (of growthSteps); empty runs them all.
	Steps       []string
	DatabaseURL string
	DataDir     string
	Scratch     bool
	Progress    io.Writer
}

// GrowthStep is one step at one size.
type GrowthStep struct {
	Step    string  `json:"step"` // resolution, close, verify, replay
	Voters  int     `json:"voters"`
	Seconds float64 `json:"seconds"`
	// CPUSeconds is the process's CPU time (user and system, every
	// thread) per run of the step: on a shared machine it moves less than
	// Seconds.
	CPUSeconds float64 `json:"cpu_seconds,omitempty"`
	PeakRSSMB  float64 `json:"peak_rss_mb"`
}

// GrowthResult is a growth run, as stored in the results directory.
type GrowthResult struct {
	Kind     string       `json:"kind"` // "growth"
	Command  string       `json:"command"`
	Database string       `json:"database"`
	Steps    []GrowthStep `json:"steps"`
	// Skipped names the steps left out, with the reason.
	Skipped   []string  `json:"skipped,omitempty"`
	Load      string    `json:"load_avg,omitempty"`
	StartedAt time.Time `json:"started_at"`
}

// growthSteps are the steps in report order.
var growthSteps = []string{"resolution", "close", "verify", "replay"}

// Growth runs the growth benchmark. Each step runs in this process, each
// run after a garbage collection that returns memory to the OS (measure);
// its peak memory is the process's peak RSS (VmHWM, reset before the
// step) while it and its input exist, so inputs count too (they grow with
// the size as well).
//
//   - resolution: tally.Resolve of the electorate of a generated majority
//     ballot (60 % voting, 30 % delegating to 1–3 others, 10 % absent);
//   - close: CloseBench of that many voters with 30 % voting and 60 %
//     delegating, in the database (seeding not counted);
//   - verify: proof2.VerifyAny, as `koinon verify` runs it, of the sealed
//     proof of the generated ballot;
//   - replay: clog.Replay of a log of as many 500-byte entries.
func Growth(ctx context.Context, cfg GrowthConfig) (GrowthResult, error) {
	progress := cfg.Progress
	if progress == nil {
		progress = io.Discard
	}
	logf := func(format string, args ...any) { fmt.Fprintf(progress, "loadtest: "+format+"\n", args...) }
	res := GrowthResult{Kind: "growth", Database: "sqlite", Load: loadAvg(), StartedAt: time.Now().UTC().Truncate(time.Second)}
	if cfg.DatabaseURL != "" {
		res.Database = "postgres"
	}
	add := func(step string, n int, m measured) {
		res.Steps = append(res.Steps, GrowthStep{Step: step, Voters: n, Seconds: m.seconds, CPUSeconds: m.cpuSeconds, PeakRSSMB: m.peakMiB})
		logf("growth: %s of %d voters: %.3f s (CPU %.3f s), peak RSS %.0f MiB", step, n, m.seconds, m.cpuSeconds, m.peakMiB)
	}
	for _, s := range cfg.Steps {
		if !slices.Contains(growthSteps, s) {
			return res, fmt.Errorf("loadtest: growth: no step %q (steps: %s)", s, strings.Join(growthSteps, ", "))
		}
	}
	runs := func(step string) bool { return len(cfg.Steps) == 0 || slices.Contains(cfg.Steps, step) }
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	for _, n := range cfg.Sizes {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if runs("resolution") {
			electorate, votes := growthElectorate(n)
			add("resolution", n, measure(func() { tally.Resolve(electorate, votes) }))
		}

		verify := runs("verify")
		if need, have := float64(n)*growthVerifyBytes/(1<<20), procMeminfoMB("MemAvailable"); verify && have > 0 && need > have {
			res.Skipped = append(res.Skipped, fmt.Sprintf("verify of %s voters: it needs about %.0f MiB, the machine has %.0f MiB available", commas(int64(n)), need, have))
			logf("growth: %s", res.Skipped[len(res.Skipped)-1])
		} else if verify {
			m, err := growthVerify(n, key)
			if err != nil {
				return res, err
			}
			add("verify", n, m)
		}

		if n > cfg.CloseMax {
			continue
		}
		if runs("replay") {
			var rerr error
			m := measure(func() { rerr = growthReplay(n) })
			if rerr != nil {
				return res, rerr
			}
			add("replay", n, m)
		}
		if !runs("close") {
			continue
		}
		c, err := CloseBench(ctx, CloseConfig{Voters: n, Votes: n * 3 / 10, Delegating: 0.6,
			DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir, Scratch: cfg.Scratch})
		if err != nil {
			return res, err
		}
		add("close", n, measured{c.CloseS, c.CloseCPUS, c.PeakRSSMB})
	}
	return res, nil
}

// measured is a step's cost: see measure.
type measured struct {
	seconds, cpuSeconds, peakMiB float64
}

// measure runs fn after returning free memory to the OS and resetting the
// peak RSS; it returns fn's wall time, its CPU time per run and the peak
// RSS while it ran. A step shorter than a second runs again, up to five
// times, and the fastest run counts: on a shared machine a short step's
// time is mostly the other processes'. Every run starts with memory
// returned, so that a short step's repeats pay for their fresh pages as a
// long step's one run does.
func measure(fn func()) measured {
	m := measured{seconds: math.Inf(1)}
	runs, cpu := 0, 0.0
	for total := 0.0; runs < 5 && (runs == 0 || total < 1); runs++ {
		runtime.GC()
		debug.FreeOSMemory()
		if runs == 0 {
			resetPeakRSS() // after the previous step's memory is returned
		}
		start, cpu0 := time.Now(), cpuTime()
		fn()
		t := time.Since(start).Seconds()
		cpu += (cpuTime() - cpu0).Seconds()
		m.seconds, total = min(m.seconds, t), total+t
	}
	m.cpuSeconds = cpu / float64(runs)
	m.peakMiB = procStatusMB("VmHWM")
	return m
}

// growthVerifyBytes is about what building and verifying a proof takes
// per voter (peak RSS 0.9–1.3 GiB at 1,000,000 voters, with margin).
const growthVerifyBytes = 1500

// growthVerify measures proof2.VerifyAny, reading the file included, of
// the sealed proof of n voters.
func growthVerify(n int, key ed25519.PrivateKey) (measured, error) {
	proofFile, err := growthProof(n, key)
	if err != nil {
		return measured{}, err
	}
	defer os.Remove(proofFile)
	var rep proof.Report
	m := measure(func() {
		sealed, err := os.ReadFile(proofFile)
		if err == nil {
			rep = proof2.VerifyAny(sealed, key.Public().(ed25519.PublicKey))
		}
	})
	if !rep.OK {
		return measured{}, fmt.Errorf("loadtest: growth: the proof of %d voters does not verify", n)
	}
	return m, nil
}

// growthProof generates the majority ballot of n voters, counts and seals
// it (not measured) and writes the sealed proof to a temporary file
// (reading it is part of verifying). The sealed proof is written as it is
// made, never whole in memory, so that large sizes fit.
func growthProof(n int, key ed25519.PrivateKey) (string, error) {
	f, err := os.CreateTemp("", "koinon-growth-*.json")
	if err != nil {
		return "", err
	}
	defer f.Close()
	if err := sealGenerated(f, n, key); err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// sealGenerated writes the generated document of n voters to f, then
// replaces it with its sealed proof.
func sealGenerated(f *os.File, n int, key ed25519.PrivateKey) error {
	if err := proof.GenMajority(f, n, 1); err != nil {
		return err
	}
	data, err := os.ReadFile(f.Name())
	if err != nil {
		return err
	}
	doc, err := proof.ParseDocument(data)
	if err != nil {
		return err
	}
	if err := proof.Count(doc); err != nil {
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if err := f.Truncate(0); err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := proof.SealTo(w, doc, key, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		return err
	}
	return w.Flush()
}

// growthElectorate is an electorate of n voters in the shape of
// proof.GenMajority's (60 % vote, 30 % list one to three delegates drawn
// uniformly, 10 % stay absent; one in twenty weighs 2–5), built in memory
// (a 10,000,000-voter document would not fit).
func growthElectorate(n int) ([]tally.Entry, []tally.Vote) {
	rng := rand.New(rand.NewPCG(uint64(n), 18))
	names := make([]string, n)
	for i := range names {
		names[i] = "v" + strconv.Itoa(i)
	}
	el := make([]tally.Entry, n)
	votes := make([]tally.Vote, 0, n*6/10)
	words := []string{"yes", "yes", "no", "abstain"}
	for i := range el {
		el[i] = tally.Entry{Voter: names[i], Weight: 1}
		if rng.IntN(20) == 0 {
			el[i].Weight = 2 + rng.Int64N(4)
		}
		switch r := rng.IntN(10); {
		case r < 6:
			votes = append(votes, tally.Vote{Voter: names[i], Choice: tally.Choice{Word: words[rng.IntN(len(words))]}})
		case r < 9:
			for k := 1 + rng.IntN(3); len(el[i].Delegates) < k; {
				if d := names[rng.IntN(n)]; d != names[i] && !slices.Contains(el[i].Delegates, d) {
					el[i].Delegates = append(el[i].Delegates, d)
				}
			}
		}
	}
	rng.Shuffle(len(votes), func(a, b int) { votes[a], votes[b] = votes[b], votes[a] })
	return el, votes
}

// procMeminfoMB reads a "kB" field of /proc/meminfo, in MiB (0 when it
// cannot).
func procMeminfoMB(field string) float64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// growthReplay recomputes the root of an n-entry log of 500-byte entries
// (about a signed statement's size), as an auditor replaying a community
// log does.
func growthReplay(n int) error {
	entry := make([]byte, 500)
	_, size, err := clog.Replay(func(yield func([]byte) bool) {
		for i := range n {
			binary.BigEndian.PutUint64(entry, uint64(i))
			if !yield(entry) {
				return
			}
		}
	})
	if err == nil && size != int64(n) {
		err = fmt.Errorf("loadtest: replay of %d entries gave size %d", n, size)
	}
	return err
}

// fitExponent is the slope of the least-squares line through
// (log size, log value): a cost that grows linearly has exponent 1. It
// needs two sizes or more (NaN otherwise).
func fitExponent(sizes, values []float64) float64 {
	var n, sx, sy, sxx, sxy float64
	for i := range sizes {
		if sizes[i] <= 0 || values[i] <= 0 {
			continue
		}
		x, y := math.Log(sizes[i]), math.Log(values[i])
		n++
		sx += x
		sy += y
		sxx += x * x
		sxy += x * y
	}
	if n < 2 || n*sxx-sx*sx == 0 {
		return math.NaN()
	}
	return (n*sxy - sx*sy) / (n*sxx - sx*sx)
}
