package web

import (
	"html/template"
	"time"
)

// utcLabel is how a time reads without JavaScript: minutes, in UTC, saying
// so.
const utcLabel = "2006-01-02 15:04 UTC"

// timeTag renders a time.Time or *time.Time as a <time> element: the UTC
// label as text and title, the instant in datetime. static/js/time.js
// rewrites the text to the reader's zone and adds a relative time. A nil
// pointer renders nothing.
func timeTag(v any) template.HTML {
	var t time.Time
	switch x := v.(type) {
	case time.Time:
		t = x
	case *time.Time:
		if x == nil {
			return ""
		}
		t = *x
	default:
		return ""
	}
	t = t.UTC()
	label := template.HTMLEscapeString(t.Format(utcLabel))
	return template.HTML(`<time datetime="` + t.Format(time.RFC3339) + `" title="` + label + `">` + label + `</time>`)
}
