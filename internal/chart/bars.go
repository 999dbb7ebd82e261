package chart

import (
	"html/template"
	"math"
)

// Bars is a horizontal bar chart: one bar per item, its label on the left
// and its value text at the end of the bar, with optional vertical markers
// (threshold, quorum) drawn as dashed lines with their own labels.
type Bars struct {
	ID, Title, Desc string
	Items           []BarItem
	Markers         []Marker
	// Max is the value of a full-length bar; 0 takes the largest item or
	// marker.
	Max float64
}

// BarItem is one bar. Emphasis marks a winner: the bar gets a dark outline
// and its value text a leading check mark, so it is not shown by colour
// alone. Color overrides the palette (e.g. for yes and no).
type BarItem struct {
	Label     string
	Value     float64
	ValueText string
	Emphasis  bool
	Color     string
}

const (
	barHeight = 22
	barGap    = 10
	barWidth  = 640
)

// SVG renders the chart.
func (c Bars) SVG() template.HTML {
	labelW := 0.0
	for _, it := range c.Items {
		labelW = math.Max(labelW, textWidth(it.Label))
	}
	labelW = math.Min(labelW+12, 220)
	valueW := 0.0
	for _, it := range c.Items {
		valueW = math.Max(valueW, textWidth("✓ "+it.ValueText))
	}
	valueW += 12
	top := 8.0
	if len(c.Markers) > 0 {
		top = 8 + float64(len(c.Markers))*(fontSize+4)
	}
	plotW := barWidth - labelW - valueW
	if plotW < 120 {
		plotW = 120
	}
	w := labelW + plotW + valueW
	h := top + float64(len(c.Items))*(barHeight+barGap) + 4
	max := c.Max
	if max <= 0 {
		for _, it := range c.Items {
			max = math.Max(max, it.Value)
		}
		for _, m := range c.Markers {
			max = math.Max(max, m.Value)
		}
	}

	var s svg
	s.open(c.ID, c.Title, c.Desc, w, h)
	// The axis line the bars start from.
	s.el("line", "x1", num(labelW), "y1", num(top-2), "x2", num(labelW), "y2", num(h-4), "stroke", muted, "stroke-width", "1")
	for i, it := range c.Items {
		y := top + float64(i)*(barHeight+barGap)
		color := it.Color
		if color == "" {
			color = Palette[i%len(Palette)]
		}
		bw := scale(it.Value, max, plotW)
		s.text(labelW-6, y+barHeight/2+4, fit(it.Label, labelW-8), "text-anchor", "end", "fill", ink)
		attrs := []string{"x", num(labelW), "y", num(y), "width", num(bw), "height", num(barHeight), "fill", color}
		if it.Emphasis {
			attrs = append(attrs, "stroke", ink, "stroke-width", "2")
		}
		s.el("rect", attrs...)
		vt := it.ValueText
		if it.Emphasis {
			vt = "✓ " + vt
		}
		weight := "normal"
		if it.Emphasis {
			weight = "bold"
		}
		s.text(labelW+bw+6, y+barHeight/2+4, vt, "fill", ink, "font-weight", weight)
	}
	for i, m := range c.Markers {
		x := labelW + scale(m.Value, max, plotW)
		ly := 4 + float64(i+1)*(fontSize+4) - 4
		s.el("line", "x1", num(x), "y1", num(ly+3), "x2", num(x), "y2", num(h-2),
			"stroke", ink, "stroke-width", "2", "stroke-dasharray", "5 3")
		anchor := "start"
		tx := x + 4
		if x+textWidth(m.Label) > w {
			anchor, tx = "end", x-4
		}
		s.text(tx, ly, m.Label, "text-anchor", anchor, "fill", ink)
	}
	return s.close()
}
