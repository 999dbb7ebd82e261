// Package chart draws the small inline SVG charts of Koinon's result pages:
// horizontal bars, a stacked bar, line charts and a histogram.
//
// It is pure (no I/O, no clock, standard library only) and knows nothing of
// ballots: callers pass labels and numbers already translated and formatted.
// Every chart is an <svg role="img"> with a <title> and a <desc>, carries its
// values as text next to the marks (colour is never the only cue: segments
// have patterns, series have marker shapes and end labels), and escapes all
// text. A page shows a data table with the same figures beside each chart.
//
// Coordinates are floating point: they are geometry, not counts. Callers keep
// exact figures in the text they pass (ValueText).
package chart

import (
	"html/template"
	"math"
	"strconv"
	"strings"
)

// Palette holds series colours, each at least 4.5:1 against white (so the
// marks and any text drawn in them stay readable), in an order where
// neighbours differ in lightness as well as hue.
var Palette = []string{"#1f4e99", "#b34700", "#1d6b2f", "#8e2c8a", "#006d75", "#7a5c00", "#a3165b", "#4a5360"}

const (
	ink      = "#1b1f24"
	muted    = "#4a5360"
	gridline = "#d0d7de"
	fontSize = 13
	font     = "system-ui, sans-serif"
)

// Marker is a labelled vertical (bars) or horizontal (lines) reference line,
// such as a threshold, a quorum or an STV quota.
type Marker struct {
	Label string
	Value float64
}

// svg collects the markup of one chart.
type svg struct {
	b strings.Builder
}

// open writes the root element with its text alternatives. id must be
// unique on the page; it names the title and desc for aria-labelledby.
func (s *svg) open(id, title, desc string, w, h float64) {
	s.b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img"`)
	if id != "" {
		s.attr("id", id)
		s.attr("aria-labelledby", id+"-title "+id+"-desc")
	}
	s.attr("viewBox", "0 0 "+num(w)+" "+num(h))
	s.attr("width", num(w))
	s.attr("height", num(h))
	s.attr("font-family", font)
	s.attr("font-size", strconv.Itoa(fontSize))
	s.b.WriteString(`><title`)
	if id != "" {
		s.attr("id", id+"-title")
	}
	s.b.WriteString(">" + esc(title) + "</title><desc")
	if id != "" {
		s.attr("id", id+"-desc")
	}
	s.b.WriteString(">" + esc(desc) + "</desc>")
}

func (s *svg) close() template.HTML {
	s.b.WriteString("</svg>")
	return template.HTML(s.b.String()) // every text and attribute went through esc
}

// attr writes ` name="value"` with value escaped.
func (s *svg) attr(name, value string) {
	s.b.WriteString(" " + name + `="` + esc(value) + `"`)
}

// el writes one empty element with attributes given as name, value pairs.
func (s *svg) el(name string, attrs ...string) {
	s.b.WriteString("<" + name)
	for i := 0; i+1 < len(attrs); i += 2 {
		s.attr(attrs[i], attrs[i+1])
	}
	s.b.WriteString("/>")
}

// text writes a <text> element; attrs as for el.
func (s *svg) text(x, y float64, content string, attrs ...string) {
	s.b.WriteString("<text")
	s.attr("x", num(x))
	s.attr("y", num(y))
	for i := 0; i+1 < len(attrs); i += 2 {
		s.attr(attrs[i], attrs[i+1])
	}
	s.b.WriteString(">" + esc(content) + "</text>")
}

func esc(s string) string { return template.HTMLEscapeString(s) }

// num formats a coordinate with at most one decimal.
func num(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "0"
	}
	return strconv.FormatFloat(math.Round(f*10)/10, 'f', -1, 64)
}

// textWidth estimates the width of s at the chart font size; labels are
// short, and an estimate keeps the package free of font metrics.
func textWidth(s string) float64 {
	return float64(len([]rune(s))) * fontSize * 0.6
}

// fit shortens s with an ellipsis to at most width (estimated as
// textWidth does), so a long label stays inside the chart; the chart's
// description and the table beside it keep the whole label.
func fit(s string, width float64) string {
	if textWidth(s) <= width {
		return s
	}
	r := []rune(s)
	n := max(int(width/(fontSize*0.6))-1, 1)
	return strings.TrimRight(string(r[:min(n, len(r))]), " ,-") + "…"
}

// scale maps [0, max] onto [0, length].
func scale(v, max, length float64) float64 {
	if max <= 0 || v <= 0 {
		return 0
	}
	if v > max {
		v = max
	}
	return v / max * length
}

// niceMax rounds max up to 1, 2 or 5 times a power of ten, for axis ticks.
func niceMax(max float64) float64 {
	if max <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(max)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= max {
			return m * p
		}
	}
	return 10 * p
}

// tick formats an axis value: whole numbers plainly, others with up to
// three decimals.
func tick(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}
