package loadtest

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFitExponent(t *testing.T) {
	sizes := []float64{1e4, 1e5, 1e6, 1e7}
	for _, tc := range []struct {
		name string
		cost func(n float64) float64
		want float64
	}{
		{"a linear cost has exponent 1", func(n float64) float64 { return 3e-7 * n }, 1},
		{"a quadratic cost has exponent 2", func(n float64) float64 { return 1e-12 * n * n }, 2},
		{"n log n is just above 1", func(n float64) float64 { return n * math.Log(n) }, 1.1},
		{"a fixed cost has exponent 0", func(float64) float64 { return 40 }, 0},
	} {
		values := make([]float64, len(sizes))
		for i, n := range sizes {
			values[i] = tc.cost(n)
		}
		if got := fitExponent(sizes, values); math.Abs(got-tc.want) > 0.02 {
			t.Errorf("%s: exponent %.3f, want %.2f", tc.name, got, tc.want)
		}
	}
	if got := fitExponent([]float64{1e4}, []float64{1}); !math.IsNaN(got) {
		t.Errorf("one size: exponent %v, want NaN", got)
	}
}

// The growth run is rendered as a table, the fitted exponents (in the
// Targets table too, met or missed) and two SVG charts beside the page.
func TestWriteReportGrowth(t *testing.T) {
	dir := t.TempDir()
	res := filepath.Join(dir, "results")
	os.Mkdir(res, 0o755)
	g := GrowthResult{Kind: "growth", Command: "koinon loadtest --growth", Load: "0.10 0.20 0.30"}
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		f := float64(n)
		g.Steps = append(g.Steps,
			GrowthStep{Step: "resolution", Voters: n, Seconds: 4e-7 * f, PeakRSSMB: 30 + f/5000},
			GrowthStep{Step: "replay", Voters: n, Seconds: 1e-12 * f * f, PeakRSSMB: 30 + f/2000})
	}
	g.Skipped = []string{"verify of 10,000,000 voters: not enough memory"}
	data, _ := json.Marshal(g)
	if err := os.WriteFile(filepath.Join(res, "growth.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	doc := filepath.Join(dir, "benchmarks.md")
	if err := WriteReport(res, doc); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(doc)
	got := string(b)
	for _, want := range []string{
		"| resolution grows linearly with the voters (fitted log-log exponent ≤ 1.1, time and peak memory), 10k to 1M voters | time 1.00,",
		"| replay grows linearly with the voters (fitted log-log exponent ≤ 1.1, time and peak memory), 10k to 1M voters | time 2.00,",
		"| growth measured up to 10,000,000 voters",
		"Skipped: verify of 10,000,000 voters: not enough memory.",
		"![Time per voter", "(benchmarks-growth-time.svg)", "(benchmarks-growth-memory.svg)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q:\n%s", want, got)
		}
	}
	if !strings.Contains(got, "time 1.00, memory") || strings.Count(got, "**missed**") < 2 {
		t.Errorf("want the linear curve met and the quadratic one and the missing 10M size missed:\n%s", got)
	}
	for _, f := range []string{"benchmarks-growth-time.svg", "benchmarks-growth-memory.svg"} {
		svg, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil || !strings.HasPrefix(string(svg), "<svg xmlns=") || !strings.Contains(string(svg), "resolution") {
			t.Errorf("%s: %v\n%.300s", f, err, svg)
		}
	}
}
