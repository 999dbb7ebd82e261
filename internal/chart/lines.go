package chart

import (
	"html/template"
	"math"
	"sort"
)

// Lines is a line chart over a few steps (rounds of a count, or closing
// dates): one line per series, each with its own colour, marker shape and
// a label at its last point; optional horizontal markers (an STV quota).
// A series that stops early (an eliminated option) ends with a cross.
type Lines struct {
	ID, Title, Desc string
	XLabels         []string // one per step
	Series          []Series
	Markers         []Marker
	YMax            float64 // 0: from the data
	XTitle, YTitle  string
}

// Series is one line. Points need not cover every step.
type Series struct {
	Label string
	// Points are (step index, value), in step order.
	Points []Point
	// Ended marks a series whose last point is its end (eliminated,
	// defeated): a cross is drawn there.
	Ended bool
	// Reference draws the series dashed in ink without point markers (a
	// quota that changes from round to round).
	Reference bool
}

// Point is one value of a series at step X.
type Point struct {
	X int
	Y float64
}

// SVG renders the chart.
func (c Lines) SVG() template.HTML {
	labelW := 0.0
	for _, sr := range c.Series {
		labelW = math.Max(labelW, textWidth(sr.Label))
	}
	const left, top, plotH = 56.0, 16.0, 220.0
	right := math.Min(labelW*1.1, 220) + 16 // end labels are bold, about 10 % wider
	steps := len(c.XLabels)
	plotW := math.Max(120, math.Min(560, float64(steps)*90))
	w := left + plotW + right
	h := top + plotH + 46
	ymax := c.YMax
	if ymax <= 0 {
		for _, sr := range c.Series {
			for _, p := range sr.Points {
				ymax = math.Max(ymax, p.Y)
			}
		}
		for _, m := range c.Markers {
			ymax = math.Max(ymax, m.Value)
		}
		ymax = niceMax(ymax)
	}
	xAt := func(i int) float64 {
		if steps <= 1 {
			return left + plotW/2
		}
		return left + float64(i)*plotW/float64(steps-1)
	}
	yAt := func(v float64) float64 { return top + plotH - scale(v, ymax, plotH) }

	var s svg
	s.open(c.ID, c.Title, c.Desc, w, h)
	// Grid and axes.
	for i := 0; i <= 4; i++ {
		v := ymax * float64(i) / 4
		y := yAt(v)
		s.el("line", "x1", num(left), "y1", num(y), "x2", num(left+plotW), "y2", num(y), "stroke", gridline, "stroke-width", "1")
		s.text(left-6, y+4, tick(math.Round(v*1000)/1000), "text-anchor", "end", "fill", muted)
	}
	s.el("line", "x1", num(left), "y1", num(top), "x2", num(left), "y2", num(top+plotH), "stroke", muted, "stroke-width", "1")
	for i, l := range c.XLabels {
		s.text(xAt(i), top+plotH+18, l, "text-anchor", "middle", "fill", ink)
	}
	if c.XTitle != "" {
		s.text(left+plotW/2, h-6, c.XTitle, "text-anchor", "middle", "fill", muted)
	}
	if c.YTitle != "" {
		s.text(4, top-4, c.YTitle, "fill", muted)
	}
	for _, m := range c.Markers {
		y := yAt(m.Value)
		s.el("line", "x1", num(left), "y1", num(y), "x2", num(left+plotW), "y2", num(y),
			"stroke", ink, "stroke-width", "2", "stroke-dasharray", "6 4")
		s.text(left+4, y-4, m.Label, "fill", ink)
	}
	// Lines and markers; then every end label in the right-hand gutter,
	// one column nudged apart so that no two overlap, with a dotted leader
	// from a series that ended early.
	type endLabel struct {
		y, x0, y0 float64 // label baseline; the series' last point
		text      string
		color     string
	}
	var ends []endLabel
	for i, sr := range c.Series {
		if len(sr.Points) == 0 {
			continue
		}
		color := Palette[i%len(Palette)]
		if sr.Reference {
			color = ink
		}
		d := ""
		for j, p := range sr.Points {
			cmd := "L"
			if j == 0 {
				cmd = "M"
			}
			d += cmd + num(xAt(p.X)) + " " + num(yAt(p.Y)) + " "
		}
		if sr.Reference {
			s.el("path", "d", d, "fill", "none", "stroke", color, "stroke-width", "2", "stroke-dasharray", "6 4")
		} else {
			s.el("path", "d", d, "fill", "none", "stroke", color, "stroke-width", "2.5")
		}
		for j, p := range sr.Points {
			if sr.Reference {
				break
			}
			if sr.Ended && j == len(sr.Points)-1 {
				s.cross(xAt(p.X), yAt(p.Y), color)
				continue
			}
			s.shape(i, xAt(p.X), yAt(p.Y), color)
		}
		last := sr.Points[len(sr.Points)-1]
		ends = append(ends, endLabel{y: yAt(last.Y) + 4, x0: xAt(last.X), y0: yAt(last.Y), text: sr.Label, color: color})
	}
	for i, e := range spreadLabels(func() []float64 {
		ys := make([]float64, len(ends))
		for i, e := range ends {
			ys[i] = e.y
		}
		return ys
	}(), fontSize+2, top+fontSize, h-4) {
		ends[i].y = e
	}
	gutter := left + plotW + 8
	for _, e := range ends {
		if e.x0 < left+plotW {
			s.el("line", "x1", num(e.x0+6), "y1", num(e.y0), "x2", num(gutter-2), "y2", num(e.y-4),
				"stroke", e.color, "stroke-width", "1", "stroke-dasharray", "1 3")
		}
		s.text(gutter, e.y, fit(e.text, (right-16)/1.1), "fill", e.color, "font-weight", "bold") // bold runs ~10 % wider
	}
	return s.close()
}

// spreadLabels moves label baselines ys (in any order) apart so that any
// two are at least gap apart, keeping each as near its wish as it can and
// all within [lo, hi] when they fit. It returns the new baselines in the
// order of ys.
func spreadLabels(ys []float64, gap, lo, hi float64) []float64 {
	idx := make([]int, len(ys))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return ys[idx[a]] < ys[idx[b]] })
	out := make([]float64, len(ys))
	prev := math.Inf(-1)
	for _, i := range idx {
		out[i] = math.Max(math.Max(ys[i], lo), prev+gap)
		prev = out[i]
	}
	// Pushed past the bottom: shift up from the last, keeping the gaps.
	next := math.Inf(1)
	for k := len(idx) - 1; k >= 0; k-- {
		i := idx[k]
		out[i] = math.Min(out[i], math.Min(hi, next-gap))
		next = out[i]
	}
	return out
}

// shape draws series i's point marker: circle, square, triangle, diamond.
func (s *svg) shape(i int, x, y float64, color string) {
	switch i % 4 {
	case 0:
		s.el("circle", "cx", num(x), "cy", num(y), "r", "4.5", "fill", color)
	case 1:
		s.el("rect", "x", num(x-4), "y", num(y-4), "width", "8", "height", "8", "fill", color)
	case 2:
		s.el("path", "d", "M"+num(x)+" "+num(y-5)+" L"+num(x+5)+" "+num(y+4)+" L"+num(x-5)+" "+num(y+4)+" Z", "fill", color)
	default:
		s.el("path", "d", "M"+num(x)+" "+num(y-5)+" L"+num(x+5)+" "+num(y)+" L"+num(x)+" "+num(y+5)+" L"+num(x-5)+" "+num(y)+" Z", "fill", color)
	}
}

// cross marks where a series ended.
func (s *svg) cross(x, y float64, color string) {
	s.el("path", "d", "M"+num(x-5)+" "+num(y-5)+" L"+num(x+5)+" "+num(y+5)+" M"+num(x-5)+" "+num(y+5)+" L"+num(x+5)+" "+num(y-5),
		"stroke", color, "stroke-width", "3")
}
