package chart

import (
	"encoding/xml"
	"html/template"
	"io"
	"math"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"koinon/internal/golden"
)

const hostile = `<script>alert("x")</script> & 'Ann'`

// charts builds one of each chart, with hostile text in every label.
func charts() map[string]template.HTML {
	return map[string]template.HTML{
		"bars": Bars{
			ID: "bars", Title: "Votes " + hostile, Desc: "Yes 60, no 40",
			Items: []BarItem{
				{Label: "Yes", Value: 60, ValueText: "60", Emphasis: true, Color: "#1d6b2f"},
				{Label: "No " + hostile, Value: 40, ValueText: "40"},
			},
			Markers: []Marker{{Label: "Threshold 1/2: 50", Value: 50}},
		}.SVG(),
		"stacked": Stacked{
			ID: "part", Title: "Participation", Desc: "Direct 5, delegated 3, lost 1, absent 1 " + hostile,
			Segments: []Segment{{"Direct", 5, "5"}, {"Delegated", 3, "3"}, {"Lost " + hostile, 1, "1"}, {"Absent", 1, "1"}},
			Markers:  []Marker{{Label: "Quorum", Value: 4}},
		}.SVG(),
		"lines": Lines{
			ID: "rounds", Title: "Rounds", Desc: "a wins " + hostile,
			XLabels: []string{"1", "2", "3"},
			Series: []Series{
				{Label: "Alpha", Points: []Point{{0, 4}, {1, 5}, {2, 7}}},
				{Label: "Beta " + hostile, Points: []Point{{0, 3}, {1, 4}}, Ended: true},
				{Label: "Gamma", Points: []Point{{0, 2}}, Ended: true},
			},
			Markers: []Marker{{Label: "Quota 3.5", Value: 3.5}},
			XTitle:  "Round", YTitle: "Votes",
		}.SVG(),
		"histogram": Histogram{
			ID: "hops", Title: "Chain lengths", Desc: hostile,
			Bins:   []Bin{{"1", 10, "10"}, {"2", 4, "4"}, {"3+ " + hostile, 1, "1"}},
			XTitle: "Hops",
		}.SVG(),
	}
}

func TestChartsAreAccessibleSVG(t *testing.T) {
	for name, out := range charts() {
		t.Run(name, func(t *testing.T) {
			s := string(out)
			if strings.Contains(s, "<script") || strings.Contains(s, `"x")`) {
				t.Errorf("text not escaped:\n%s", s)
			}
			if strings.Contains(s, "style=") {
				t.Errorf("inline style attribute (the CSP forbids it):\n%s", s)
			}
			root, err := parse(s)
			if err != nil {
				t.Fatalf("not well-formed XML: %v\n%s", err, s)
			}
			if root.name != "svg" || root.attrs["role"] != "img" {
				t.Errorf("root = <%s role=%q>, want <svg role=\"img\">", root.name, root.attrs["role"])
			}
			if len(root.children) < 2 || root.children[0].name != "title" || root.children[1].name != "desc" {
				t.Fatalf("svg must start with <title> and <desc>")
			}
			if root.children[0].text == "" || root.children[1].text == "" {
				t.Errorf("empty text alternative")
			}
			ids := strings.Fields(root.attrs["aria-labelledby"])
			if len(ids) != 2 || root.children[0].attrs["id"] != ids[0] || root.children[1].attrs["id"] != ids[1] {
				t.Errorf("aria-labelledby %q does not name title and desc", root.attrs["aria-labelledby"])
			}
			if !strings.Contains(root.allText(), hostile) {
				t.Errorf("hostile label lost or mangled: text = %q", root.allText())
			}
		})
	}
}

func TestChartsGolden(t *testing.T) {
	for name, out := range charts() {
		t.Run(name, func(t *testing.T) {
			golden.Check(t, filepath.Join("testdata", name+".golden.svg"), []byte(out))
		})
	}
}

func TestBarsScaleAndEmphasis(t *testing.T) {
	root, err := parse(string(Bars{ID: "b", Title: "t", Desc: "d", Max: 100,
		Items: []BarItem{{Label: "a", Value: 50, ValueText: "50", Emphasis: true}, {Label: "b", Value: 0, ValueText: "0"}}}.SVG()))
	if err != nil {
		t.Fatal(err)
	}
	var widths []float64
	root.walk(func(n *node) {
		if n.name == "rect" {
			w, _ := strconv.ParseFloat(n.attrs["width"], 64)
			widths = append(widths, w)
		}
	})
	if len(widths) != 2 || widths[1] != 0 || widths[0] <= 0 {
		t.Fatalf("bar widths = %v", widths)
	}
	if !strings.Contains(root.allText(), "✓ 50") {
		t.Errorf("winner not marked by text: %q", root.allText())
	}
}

func TestEmptyChartsRender(t *testing.T) {
	for _, out := range []template.HTML{Bars{ID: "a", Title: "t", Desc: "d"}.SVG(), Stacked{ID: "b", Title: "t", Desc: "d"}.SVG(),
		Lines{ID: "c", Title: "t", Desc: "d"}.SVG(), Histogram{ID: "d", Title: "t", Desc: "d"}.SVG()} {
		if _, err := parse(string(out)); err != nil {
			t.Errorf("empty chart: %v\n%s", err, out)
		}
		if strings.Contains(string(out), "NaN") || strings.Contains(string(out), "Inf") {
			t.Errorf("empty chart has NaN/Inf: %s", out)
		}
	}
}

// TestPaletteContrast: every series colour reaches 4.5:1 on white
// (WCAG 1.4.3 for text drawn in it, and more than 1.4.11's 3:1 for marks).
func TestPaletteContrast(t *testing.T) {
	for _, c := range append(append([]string{}, Palette...), segmentColors...) {
		if r := contrast(c, "#ffffff"); r < 4.5 {
			t.Errorf("%s on white: contrast %.2f < 4.5", c, r)
		}
	}
}

func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func luminance(hex string) float64 {
	var rgb [3]float64
	for i := range rgb {
		v, _ := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		c := float64(v) / 255
		if c <= 0.03928 {
			rgb[i] = c / 12.92
		} else {
			rgb[i] = math.Pow((c+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*rgb[0] + 0.7152*rgb[1] + 0.0722*rgb[2]
}

type node struct {
	name     string
	attrs    map[string]string
	text     string
	children []*node
}

func (n *node) walk(fn func(*node)) {
	fn(n)
	for _, c := range n.children {
		c.walk(fn)
	}
}

func (n *node) allText() string {
	var b strings.Builder
	n.walk(func(m *node) { b.WriteString(m.text + "\n") })
	return b.String()
}

// parse reads s with encoding/xml into a small tree.
func parse(s string) (*node, error) {
	d := xml.NewDecoder(strings.NewReader(s))
	d.Strict = true
	var stack []*node
	var root *node
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return root, nil
		}
		if err != nil {
			return nil, err
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			n := &node{name: tk.Name.Local, attrs: map[string]string{}}
			for _, a := range tk.Attr {
				n.attrs[a.Name.Local] = a.Value
			}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(tk)
			}
		}
	}
}

// End labels never overlap, even when series end at different steps near
// the same value (an STV count where candidates are defeated one by one).
func TestLinesEndLabelsDoNotCollide(t *testing.T) {
	c := Lines{ID: "r", Title: "t", Desc: "d", XLabels: []string{"1", "2", "3", "4"}, Series: []Series{
		{Label: "Ada", Points: []Point{{0, 3}, {1, 3.1}, {2, 3.2}, {3, 3.3}}},
		{Label: "Bea", Points: []Point{{0, 3}, {1, 3.05}, {2, 3.1}}, Ended: true},
		{Label: "Cai", Points: []Point{{0, 3}, {1, 3.02}}, Ended: true},
		{Label: "Quota", Points: []Point{{0, 3.1}, {1, 3.1}, {2, 3.1}, {3, 3.1}}, Reference: true},
	}}
	re := regexp.MustCompile(`<text x="([0-9.]+)" y="([0-9.]+)" fill="[^"]+" font-weight="bold">([^<]+)</text>`)
	labels := re.FindAllStringSubmatch(string(c.SVG()), -1)
	if len(labels) != 4 {
		t.Fatalf("want 4 end labels, got %d", len(labels))
	}
	var ys []float64
	for _, l := range labels {
		if l[1] != labels[0][1] {
			t.Errorf("label %s at x=%s, others at x=%s: not in one column", l[3], l[1], labels[0][1])
		}
		y, _ := strconv.ParseFloat(l[2], 64)
		ys = append(ys, y)
	}
	slices.Sort(ys)
	for i := 1; i < len(ys); i++ {
		if ys[i]-ys[i-1] < fontSize {
			t.Errorf("end labels %v: %v and %v overlap", ys, ys[i-1], ys[i])
		}
	}
}

// TestLongLabelsStayInside: a label longer than its column is shortened
// with an ellipsis instead of running out of the chart.
func TestLongLabelsStayInside(t *testing.T) {
	long := "Ada Lovelace-Byron, treasurer of the Analytical Engine Preservation Society"
	bars := string(Bars{ID: "b", Title: "t", Desc: "d", Items: []BarItem{{Label: long, Value: 4, ValueText: "4"}, {Label: "Bea", Value: 1, ValueText: "1"}}}.SVG())
	lines := string(Lines{ID: "l", Title: "t", Desc: "d", XLabels: []string{"1", "2"}, Series: []Series{
		{Label: long, Points: []Point{{0, 3}, {1, 4}}}, {Label: "Bea", Points: []Point{{0, 1}, {1, 1}}}}}.SVG())
	for name, svg := range map[string]string{"bars": bars, "lines": lines} {
		if strings.Contains(svg, long) {
			t.Errorf("%s: the whole long label is drawn", name)
		}
		if !strings.Contains(svg, "Ada Lovelace-Byron") || !strings.Contains(svg, "…") {
			t.Errorf("%s: the long label is not shortened with an ellipsis", name)
		}
		if !strings.Contains(svg, ">Bea<") {
			t.Errorf("%s: a short label was changed", name)
		}
	}
	if got := fit(long, 120); textWidth(got) > 120 {
		t.Errorf("fit(…, 120) = %q, %.0f wide", got, textWidth(got))
	}
}
