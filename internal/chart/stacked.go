package chart

import (
	"html/template"
	"math"
)

// Stacked is one horizontal bar split into segments (e.g. direct,
// delegated, lost, absent weight), with a legend under it that repeats each
// segment's label and value. Segments are told apart by pattern as well as
// colour: solid, diagonal hatching, dots, and an outlined light fill.
type Stacked struct {
	ID, Title, Desc string
	Segments        []Segment
	Markers         []Marker // e.g. the quorum, on the same scale as the segments
	// Total is the value of the full bar; 0 takes the sum of the segments.
	Total float64
}

// Segment is one part of a stacked bar.
type Segment struct {
	Label     string
	Value     float64
	ValueText string
}

// segmentColors pair with the patterns of Stacked.SVG.
var segmentColors = []string{"#1f4e99", "#1f4e99", "#b34700", "#4a5360"}

// SVG renders the chart.
func (c Stacked) SVG() template.HTML {
	const w, barH = 640.0, 28.0
	top := 8.0
	if len(c.Markers) > 0 {
		top = 8 + float64(len(c.Markers))*(fontSize+4)
	}
	legendTop := top + barH + 14
	h := legendTop + float64(len(c.Segments))*(fontSize+8) + 4
	total := c.Total
	if total <= 0 {
		for _, sg := range c.Segments {
			total += sg.Value
		}
	}
	var s svg
	s.open(c.ID, c.Title, c.Desc, w, h)
	s.b.WriteString("<defs>")
	for i := range c.Segments {
		s.pattern(c.ID, i)
	}
	s.b.WriteString("</defs>")
	x := 0.0
	for i, sg := range c.Segments {
		sw := scale(sg.Value, total, w)
		if sw > 0 {
			s.el("rect", "x", num(x), "y", num(top), "width", num(sw), "height", num(barH),
				"fill", "url(#"+patternID(c.ID, i)+")", "stroke", ink, "stroke-width", "1")
		}
		x += sw
	}
	s.el("rect", "x", "0", "y", num(top), "width", num(w), "height", num(barH), "fill", "none", "stroke", ink, "stroke-width", "1")
	for i, m := range c.Markers {
		mx := scale(m.Value, total, w)
		ly := 4 + float64(i+1)*(fontSize+4) - 4
		s.el("line", "x1", num(mx), "y1", num(ly+3), "x2", num(mx), "y2", num(top+barH+6),
			"stroke", ink, "stroke-width", "2", "stroke-dasharray", "5 3")
		anchor, tx := "start", mx+4
		if mx+textWidth(m.Label) > w {
			anchor, tx = "end", mx-4
		}
		s.text(tx, ly, m.Label, "text-anchor", anchor, "fill", ink)
	}
	for i, sg := range c.Segments {
		y := legendTop + float64(i)*(fontSize+8)
		s.el("rect", "x", "0", "y", num(y), "width", "16", "height", "14",
			"fill", "url(#"+patternID(c.ID, i)+")", "stroke", ink, "stroke-width", "1")
		share := ""
		if total > 0 {
			share = " (" + percent(sg.Value/total) + ")"
		}
		s.text(24, y+11, sg.Label+": "+sg.ValueText+share, "fill", ink)
	}
	return s.close()
}

func patternID(id string, i int) string { return id + "-p" + tick(float64(i)) }

// pattern defines the fill of segment i: solid, hatched, dotted, outlined.
func (s *svg) pattern(id string, i int) {
	color := segmentColors[i%len(segmentColors)]
	s.b.WriteString("<pattern")
	s.attr("id", patternID(id, i))
	s.attr("patternUnits", "userSpaceOnUse")
	s.attr("width", "8")
	s.attr("height", "8")
	s.b.WriteString(">")
	switch i % 4 {
	case 0:
		s.el("rect", "width", "8", "height", "8", "fill", color)
	case 1:
		s.el("rect", "width", "8", "height", "8", "fill", "#dbe6f7")
		s.el("path", "d", "M0 8 L8 0 M-2 2 L2 -2 M6 10 L10 6", "stroke", color, "stroke-width", "2.5")
	case 2:
		s.el("rect", "width", "8", "height", "8", "fill", "#fbe3d3")
		s.el("circle", "cx", "4", "cy", "4", "r", "2", "fill", color)
	default:
		s.el("rect", "width", "8", "height", "8", "fill", "#f4f6f8")
	}
	s.b.WriteString("</pattern>")
}

// percent formats a share with one decimal, e.g. "42.5%".
func percent(f float64) string {
	if math.IsNaN(f) {
		return "0%"
	}
	return num(f*100) + "%"
}
