package loadtest

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"koinon/internal/chart"
)

// targetGrowthExponent is the largest fitted log-log exponent a cost may
// have to count as linear (issue 18).
const targetGrowthExponent = 1.1

// sizeLabel is a short electorate size: 10k, 1M.
func sizeLabel(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return fmt.Sprintf("%dM", n/1_000_000)
	case n >= 1000 && n%1000 == 0:
		return fmt.Sprintf("%dk", n/1000)
	}
	return commas(int64(n))
}

// growthCurve is one step's points, by size.
type growthCurve struct {
	step    string
	sizes   []float64
	seconds []float64
	peaks   []float64
}

func growthCurves(r GrowthResult) []growthCurve {
	var out []growthCurve
	for _, step := range growthSteps {
		c := growthCurve{step: step}
		for _, s := range r.Steps {
			if s.Step == step {
				c.sizes = append(c.sizes, float64(s.Voters))
				c.seconds = append(c.seconds, s.Seconds)
				c.peaks = append(c.peaks, s.PeakRSSMB)
			}
		}
		if len(c.sizes) > 0 {
			out = append(out, c)
		}
	}
	return out
}

// exponentText formats a fitted exponent ("–" when it cannot be fitted).
func exponentText(e float64) string {
	if math.IsNaN(e) {
		return "–"
	}
	return fmt.Sprintf("%.2f", e)
}

// growthTargets are the Targets rows of a growth run: each curve's time
// and memory exponents.
func growthTargets(r GrowthResult) []string {
	var rows []string
	for _, c := range growthCurves(r) {
		et, em := fitExponent(c.sizes, c.seconds), fitExponent(c.sizes, c.peaks)
		ok := !math.IsNaN(et) && et <= targetGrowthExponent && !math.IsNaN(em) && em <= targetGrowthExponent
		rows = append(rows, fmt.Sprintf("| %s grows linearly with the voters (fitted log-log exponent ≤ %.1f, time and peak memory), %s to %s voters | time %s, memory %s | %s |",
			c.step, targetGrowthExponent, sizeLabel(int(c.sizes[0])), sizeLabel(int(c.sizes[len(c.sizes)-1])), exponentText(et), exponentText(em), mark(ok)))
	}
	return rows
}

// writeGrowth renders a growth run: the table, the fitted exponents and
// two SVG charts (written beside doc, named after it) of the cost per
// voter against the size, where a linear cost is a flat line.
func writeGrowth(w func(string, ...any), r GrowthResult, doc string) error {
	curves := growthCurves(r)
	var sizes []int
	for _, s := range r.Steps {
		if !slices.Contains(sizes, s.Voters) {
			sizes = append(sizes, s.Voters)
		}
	}
	slices.Sort(sizes)
	labels := make([]string, len(sizes))
	for i, n := range sizes {
		labels[i] = sizeLabel(n)
	}
	w("### Growth with the electorate\n\n")
	w("Each step runs in one process (load average %s at the start), each run of it after a garbage collection that returns memory to the OS (a step under a second runs up to five times and the fastest counts); peak memory is the process's peak RSS (VmHWM, reset before the step) while the step and its input exist. Resolution is `tally.Resolve` of a generated majority ballot (60 %% voting, 30 %% delegating to 1–3 others, 10 %% absent); verify is `koinon verify`'s check (`proof2.VerifyAny`, reading the file included) of that ballot's sealed proof; replay recomputes the root of a community log of as many 500-byte entries (`clog.Replay`); close is the close benchmark above at that size (30 %% voting, 60 %% delegating; seeding not counted). The exponent is the slope of the least-squares line through (log voters, log cost): 1 is linear.\n\n", r.Load)
	w("| step | voters | time | peak RSS (MiB) | time per voter | memory per voter |\n|---|---|---|---|---|---|\n")
	for _, c := range curves {
		for i := range c.sizes {
			w("| %s | %s | %.3f s | %.0f | %.2f µs | %.1f kB |\n", c.step, commas(int64(c.sizes[i])), c.seconds[i], c.peaks[i],
				c.seconds[i]/c.sizes[i]*1e6, c.peaks[i]*1024/c.sizes[i])
		}
	}
	w("\n| step | fitted exponent, time | fitted exponent, peak memory |\n|---|---|---|\n")
	for _, c := range curves {
		w("| %s | %s | %s |\n", c.step, exponentText(fitExponent(c.sizes, c.seconds)), exponentText(fitExponent(c.sizes, c.peaks)))
	}
	w("\n")
	base := strings.TrimSuffix(filepath.Base(doc), filepath.Ext(doc))
	for _, ch := range []struct {
		name, title, ytitle string
		value               func(c growthCurve, i int) float64
	}{
		{"time", "Time per voter against the electorate (flat: linear; labels give the fitted exponent)", "µs per voter", func(c growthCurve, i int) float64 { return c.seconds[i] / c.sizes[i] * 1e6 }},
		{"memory", "Peak memory per voter against the electorate (flat: linear; labels give the fitted exponent)", "kB per voter", func(c growthCurve, i int) float64 { return c.peaks[i] * 1024 / c.sizes[i] }},
	} {
		lines := chart.Lines{ID: "growth-" + ch.name, Title: ch.title, XLabels: labels, XTitle: "voters", YTitle: ch.ytitle,
			Desc: fmt.Sprintf("%s of resolution, close, verify and log replay at %s voters", ch.ytitle, strings.Join(labels, ", "))}
		for _, c := range curves {
			sr := chart.Series{Label: fmt.Sprintf("%s %s", c.step, exponentText(fitExponent(c.sizes, c.seconds)))}
			if ch.name == "memory" {
				sr.Label = fmt.Sprintf("%s %s", c.step, exponentText(fitExponent(c.sizes, c.peaks)))
			}
			for i := range c.sizes {
				sr.Points = append(sr.Points, chart.Point{X: slices.Index(sizes, int(c.sizes[i])), Y: ch.value(c, i)})
			}
			lines.Series = append(lines.Series, sr)
		}
		file := fmt.Sprintf("%s-growth-%s.svg", base, ch.name)
		if err := os.WriteFile(filepath.Join(filepath.Dir(doc), file), []byte(lines.SVG()+"\n"), 0o644); err != nil {
			return err
		}
		w("![%s](%s)\n\n", ch.title, file)
	}
	for _, sk := range r.Skipped {
		w("Skipped: %s.\n\n", sk)
	}
	w("Command:\n\n    %s\n\n", r.Command)
	return nil
}
