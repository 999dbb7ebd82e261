package markdown

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
)

func TestRender(t *testing.T) {
	r := New()
	for _, tc := range []struct {
		name, in      string
		want, wantNot []string
	}{
		{"headings and emphasis", "# Title\n\nSome *text* and **bold**.", []string{"<h1", "Title</h1>", "<em>text</em>", "<strong>bold</strong>"}, nil},
		{"tables from GFM", "| a | b |\n|---|---|\n| 1 | 2 |", []string{"<table>", "<td>1</td>"}, nil},
		{"raw script is dropped", "hi <script>alert(1)</script>", []string{"hi"}, []string{"<script", "alert(1)</script>"}},
		{"event handlers are dropped", `<img src="x" onerror="alert(1)">`, nil, []string{"onerror"}},
		{"javascript links are dropped", "[click](javascript:alert(1))", nil, []string{"javascript:"}},
		{"links get nofollow", "[site](https://example.org)", []string{`href="https://example.org"`, "nofollow"}, nil},
		{"style attributes are dropped", `<p style="color:red">x</p>`, nil, []string{"style="}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := string(r.Render(tc.in))
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("Render(%q) = %q, want it to contain %q", tc.in, got, w)
				}
			}
			for _, w := range tc.wantNot {
				if strings.Contains(strings.ToLower(got), w) {
					t.Errorf("Render(%q) = %q, must not contain %q", tc.in, got, w)
				}
			}
		})
	}
}

func FuzzRender(f *testing.F) {
	for _, s := range []string{
		"# hi", "<script>alert(1)</script>", "[x](javascript:alert(1))", "<scr<script>ipt>",
		"```\n<script>\n```", "<a href=\"javas&#99;ript:x\">y</a>", "<svg onload=alert(1)>", "> quote\n- list",
		"<iframe src=x>", "<<script>script>alert(1)<</script>/script>",
	} {
		f.Add(s)
	}
	r := New()
	f.Fuzz(func(t *testing.T, src string) {
		out := string(r.Render(src))
		if bad := unsafeHTML(out); bad != "" {
			t.Fatalf("Render(%q) let %s through: %q", src, bad, out)
		}
	})
}

// unsafeHTML names the first dangerous element or attribute in s, as a
// browser's tokenizer reads it: script-like elements, event handlers,
// style attributes and javascript: or data: URLs. Text is harmless.
func unsafeHTML(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			switch tok.Data {
			case "script", "iframe", "object", "embed", "style", "form", "svg", "math":
				return "<" + tok.Data + ">"
			}
			for _, a := range tok.Attr {
				k := strings.ToLower(a.Key)
				v := strings.ToLower(strings.Join(strings.Fields(a.Val), ""))
				switch {
				case strings.HasPrefix(k, "on"), k == "style":
					return "attribute " + k
				case (k == "href" || k == "src") && (strings.HasPrefix(v, "javascript:") || strings.HasPrefix(v, "vbscript:") || strings.HasPrefix(v, "data:")):
					return "URL " + a.Val
				}
			}
		}
	}
}
