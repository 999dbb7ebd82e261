package loadtest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// PageResult is the timing of repeated GETs of one page.
type PageResult struct {
	Name     string  `json:"name"`
	Path     string  `json:"path"`
	Status   int     `json:"status"`
	Bytes    int     `json:"bytes"`
	N        int     `json:"n"`
	P50ms    float64 `json:"p50_ms"`
	P95ms    float64 `json:"p95_ms"`
	P99ms    float64 `json:"p99_ms"`
	MaxMs    float64 `json:"max_ms"`
	FirstMs  float64 `json:"first_ms"` // the first (cold) request
	Failures int     `json:"failures"`
}

// Pages are the pages of a sealed ballot the benchmark times.
var Pages = []struct{ Name, Path string }{
	{"ballot page", "/ballots/%d"},
	{"result page", "/ballots/%d/results"},
	{"ballot API", "/api/v1/ballots/%d"},
	{"result API", "/api/v1/ballots/%d/result"},
}

// MeasurePages fetches each page of ballot id n times, one request at a
// time, and reports latency percentiles (the first request included).
func MeasurePages(ctx context.Context, base string, id int64, n int, logf func(string, ...any)) ([]PageResult, error) {
	if err := CheckLoopback(base); err != nil {
		return nil, err
	}
	client := &http.Client{Timeout: time.Minute}
	var out []PageResult
	for _, p := range Pages {
		r := PageResult{Name: p.Name, Path: fmt.Sprintf(p.Path, id), N: n}
		var lat []int64
		for i := 0; i < n; i++ {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+r.Path, nil)
			start := time.Now()
			resp, err := client.Do(req)
			if err != nil {
				return out, err
			}
			nb, _ := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			d := time.Since(start)
			if i == 0 {
				r.FirstMs = float64(d) / 1e6
			}
			r.Status, r.Bytes = resp.StatusCode, int(nb)
			if resp.StatusCode != http.StatusOK {
				r.Failures++
			}
			lat = append(lat, int64(d))
		}
		r.P50ms, r.P95ms, r.P99ms, r.MaxMs = percentiles(lat)
		logf("%s %s: status %d, %d bytes, first %.1f ms, p50 %.1f ms, p95 %.1f ms, max %.1f ms",
			r.Name, r.Path, r.Status, r.Bytes, r.FirstMs, r.P50ms, r.P95ms, r.MaxMs)
		out = append(out, r)
	}
	return out, nil
}
