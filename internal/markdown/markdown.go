// Package markdown renders proposal bodies: CommonMark with GitHub's
// extensions (goldmark), then sanitised with bluemonday's UGC policy so
// that no script, event handler or style attribute reaches a page. It
// imports no store or HTTP package.
package markdown

import (
	"bytes"
	"html/template"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// Renderer turns Markdown into safe HTML. It is safe for concurrent use.
type Renderer struct {
	md     goldmark.Markdown
	policy *bluemonday.Policy
}

// New returns a Renderer. Raw HTML in the source is dropped by goldmark
// (no WithUnsafe) and whatever remains is sanitised again.
func New() *Renderer {
	p := bluemonday.UGCPolicy()
	p.RequireNoFollowOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(false)
	return &Renderer{
		md:     goldmark.New(goldmark.WithExtensions(extension.GFM)),
		policy: p,
	}
}

// Render converts src to sanitised HTML. Goldmark does not fail on any
// input; should it ever, the text is shown escaped.
func (r *Renderer) Render(src string) template.HTML {
	var buf bytes.Buffer
	if err := r.md.Convert([]byte(src), &buf); err != nil {
		return template.HTML("<pre>" + template.HTMLEscapeString(src) + "</pre>")
	}
	return template.HTML(r.policy.SanitizeBytes(buf.Bytes()))
}
