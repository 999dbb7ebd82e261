package loadtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DriveOptions configure a vote-casting run.
type DriveOptions struct {
	BaseURL  string // http://127.0.0.1:PORT
	BallotID int64
	Tokens   []string // one per voter
	Clients  int
	Duration time.Duration
	// Rate is the total request rate per second; 0 sends as fast as the
	// clients get answers (closed loop).
	Rate int
	// ReadOnly sends GET /api/v1/ballots/{id}/vote instead (same session
	// and permission path, no write): the ceiling of the request path.
	ReadOnly bool
	// Progress gets one line a second when set.
	Progress io.Writer
}

// DriveResult is what a vote-casting run measured.
type DriveResult struct {
	Requests   int            `json:"requests"`
	OK         int            `json:"ok"`
	Seconds    float64        `json:"seconds"`
	Throughput float64        `json:"throughput"` // successful votes per second
	P50ms      float64        `json:"p50_ms"`
	P95ms      float64        `json:"p95_ms"`
	P99ms      float64        `json:"p99_ms"`
	MaxMs      float64        `json:"max_ms"`
	Statuses   map[string]int `json:"statuses"` // "200", "409", "error: …"
	// MinSecond is the slowest whole second's successful votes (how
	// sustained the rate was).
	MinSecond int `json:"min_second"`
	// MachineBusy is the share of the machine's CPU time (all cores, all
	// processes) that was busy during the run, from /proc/stat: near 1,
	// the rate is bounded by the CPU; 0 when unknown.
	MachineBusy float64 `json:"machine_busy,omitempty"`
}

// machineCPU returns the machine's busy and total CPU time in ticks,
// from the first line of /proc/stat (0, 0 when unreadable).
func machineCPU() (busy, total int64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	fields := strings.Fields(line)
	if len(fields) < 5 || fields[0] != "cpu" {
		return 0, 0
	}
	for i, f := range fields[1:] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, 0
		}
		if i >= 8 { // guest time is counted in user already
			break
		}
		total += n
		if i != 3 && i != 4 { // idle, iowait
			busy += n
		}
	}
	return busy, total
}

// CheckLoopback refuses any target that is not on this machine.
func CheckLoopback(base string) error {
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "http" {
		return fmt.Errorf("loadtest: target %q: want http://127.0.0.1:PORT", base)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("loadtest: target %q is not a loopback address: this tool only loads 127.0.0.1", base)
	}
	return nil
}

var choiceBodies = [][]byte{[]byte(`{"choice":"yes"}`), []byte(`{"choice":"no"}`), []byte(`{"choice":"abstain"}`)}

// Drive casts votes with PUT /api/v1/ballots/{id}/vote from opt.Clients
// concurrent clients for opt.Duration. Client i votes for voters i,
// i+clients, i+2·clients, … in turn and starts over, switching choice on
// every pass, so votes spread over the roll: the first pass casts, later
// passes replace.
func Drive(ctx context.Context, opt DriveOptions) (DriveResult, error) {
	if err := CheckLoopback(opt.BaseURL); err != nil {
		return DriveResult{}, err
	}
	if opt.Clients < 1 || len(opt.Tokens) == 0 {
		return DriveResult{}, fmt.Errorf("loadtest: need clients and voters")
	}
	tr := &http.Transport{
		MaxIdleConns:        opt.Clients,
		MaxIdleConnsPerHost: opt.Clients,
		MaxConnsPerHost:     opt.Clients,
		DisableCompression:  true,
		IdleConnTimeout:     time.Minute,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	url := fmt.Sprintf("%s/api/v1/ballots/%d/vote", opt.BaseURL, opt.BallotID)

	ctx, cancel := context.WithTimeout(ctx, opt.Duration)
	defer cancel()

	type clientOut struct {
		lat      []int64
		statuses map[string]int
	}
	outs := make([]clientOut, opt.Clients)
	var (
		okCount, errCount atomic.Int64
		perSecond         []int
		psMu              sync.Mutex
	)
	start := time.Now()
	busy0, total0 := machineCPU()

	// Progress: one line a second to stderr, and the per-second counts.
	progDone := make(chan struct{})
	go func() {
		defer close(progDone)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		var lastOK, lastErr int64
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				ok, bad := okCount.Load(), errCount.Load()
				psMu.Lock()
				perSecond = append(perSecond, int(ok-lastOK))
				psMu.Unlock()
				if opt.Progress != nil {
					fmt.Fprintf(opt.Progress, "loadtest: %3.0fs %6d votes/s  %6d errors/s  total %d ok, %d errors\n",
						now.Sub(start).Seconds(), ok-lastOK, bad-lastErr, ok, bad)
				}
				lastOK, lastErr = ok, bad
			}
		}
	}()

	var wg sync.WaitGroup
	for ci := 0; ci < opt.Clients; ci++ {
		wg.Add(1)
		go func(ci int) {
			defer wg.Done()
			o := clientOut{lat: make([]int64, 0, 4096), statuses: map[string]int{}}
			var interval time.Duration
			if opt.Rate > 0 {
				interval = time.Duration(float64(time.Second) * float64(opt.Clients) / float64(opt.Rate))
			}
			next := start.Add(time.Duration(ci) * interval / time.Duration(opt.Clients))
			voter, pass := ci%len(opt.Tokens), 0
			for ctx.Err() == nil {
				sent := time.Now()
				if interval > 0 {
					if d := time.Until(next); d > 0 {
						select {
						case <-ctx.Done():
						case <-time.After(d):
						}
						if ctx.Err() != nil {
							break
						}
					}
					// Latency counts from the scheduled send time, so a
					// slow server cannot hide its queue (coordinated
					// omission).
					sent = next
					next = next.Add(interval)
				}
				var req *http.Request
				if opt.ReadOnly {
					req, _ = http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
				} else {
					req, _ = http.NewRequestWithContext(ctx, http.MethodPut, url, bytes.NewReader(choiceBodies[pass%len(choiceBodies)]))
					req.Header.Set("Content-Type", "application/json")
				}
				req.Header.Set("Authorization", "Bearer "+opt.Tokens[voter])
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() != nil {
						break // the run ended during the request: not counted
					}
					o.statuses["error: "+errKind(err)]++
					errCount.Add(1)
				} else {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					o.statuses[strconv.Itoa(resp.StatusCode)]++
					if resp.StatusCode == http.StatusOK || opt.ReadOnly && resp.StatusCode == http.StatusNotFound {
						o.lat = append(o.lat, int64(time.Since(sent)))
						okCount.Add(1)
					} else {
						errCount.Add(1)
					}
				}
				voter += opt.Clients
				if voter >= len(opt.Tokens) {
					voter, pass = ci%len(opt.Tokens), pass+1
				}
			}
			outs[ci] = o
		}(ci)
	}
	wg.Wait()
	elapsed := time.Since(start)
	busy1, total1 := machineCPU()
	cancel()
	<-progDone

	res := DriveResult{Seconds: elapsed.Seconds(), Statuses: map[string]int{}}
	if total1 > total0 {
		res.MachineBusy = float64(busy1-busy0) / float64(total1-total0)
	}
	var lat []int64
	for _, o := range outs {
		lat = append(lat, o.lat...)
		for k, v := range o.statuses {
			res.Statuses[k] += v
			res.Requests += v
		}
	}
	res.OK = len(lat)
	res.Throughput = float64(res.OK) / elapsed.Seconds()
	res.P50ms, res.P95ms, res.P99ms, res.MaxMs = percentiles(lat)
	psMu.Lock()
	if len(perSecond) > 0 {
		res.MinSecond = slices.Min(perSecond)
	}
	psMu.Unlock()
	return res, nil
}

// percentiles returns p50, p95, p99 and max of nanosecond samples, in ms.
func percentiles(ns []int64) (p50, p95, p99, max float64) {
	if len(ns) == 0 {
		return
	}
	slices.Sort(ns)
	at := func(q float64) float64 {
		i := int(q*float64(len(ns))+0.5) - 1
		i = min(max0(i), len(ns)-1)
		return float64(ns[i]) / 1e6
	}
	return at(0.50), at(0.95), at(0.99), float64(ns[len(ns)-1]) / 1e6
}

func max0(i int) int {
	if i < 0 {
		return 0
	}
	return i
}

func errKind(err error) string {
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	default:
		s := err.Error()
		if len(s) > 60 {
			s = s[len(s)-60:]
		}
		return s
	}
}
