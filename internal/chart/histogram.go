package chart

import (
	"html/template"
	"math"
)

// Histogram is a vertical bar chart of counts per bin (e.g. delegation
// chain lengths), each bar with its value above it and its label below.
type Histogram struct {
	ID, Title, Desc string
	Bins            []Bin
	XTitle          string
}

// Bin is one column of a histogram.
type Bin struct {
	Label     string
	Value     float64
	ValueText string
}

// SVG renders the chart.
func (c Histogram) SVG() template.HTML {
	const top, plotH, colW, gap, left = 20.0, 150.0, 44.0, 12.0, 8.0
	n := len(c.Bins)
	w := math.Max(240, left*2+float64(n)*(colW+gap))
	h := top + plotH + 44
	max := 0.0
	for _, b := range c.Bins {
		max = math.Max(max, b.Value)
	}
	var s svg
	s.open(c.ID, c.Title, c.Desc, w, h)
	base := top + plotH
	s.el("line", "x1", num(left), "y1", num(base), "x2", num(w-left), "y2", num(base), "stroke", muted, "stroke-width", "1")
	for i, b := range c.Bins {
		x := left + gap/2 + float64(i)*(colW+gap)
		bh := scale(b.Value, max, plotH-4)
		s.el("rect", "x", num(x), "y", num(base-bh), "width", num(colW), "height", num(bh), "fill", Palette[0])
		s.text(x+colW/2, base-bh-4, b.ValueText, "text-anchor", "middle", "fill", ink)
		s.text(x+colW/2, base+16, b.Label, "text-anchor", "middle", "fill", ink)
	}
	if c.XTitle != "" {
		s.text(w/2, h-6, c.XTitle, "text-anchor", "middle", "fill", muted)
	}
	return s.close()
}
