package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// renderer holds one parsed template set per page: the layout and
// partials parsed once, cloned per page, the page parsed into its clone.
type renderer struct {
	pages   map[string]*template.Template
	locales *locales
}

func newRenderer(templates fs.FS, loc *locales, funcs template.FuncMap) (*renderer, error) {
	base := template.New("base").Funcs(funcs).Funcs(template.FuncMap{
		"t": func(key string, args ...any) string { return key },
	})
	for _, pattern := range []string{"layouts/*.html", "partials/*.html"} {
		matches, err := fs.Glob(templates, pattern)
		if err != nil {
			return nil, err
		}
		if len(matches) == 0 {
			continue
		}
		if base, err = base.ParseFS(templates, pattern); err != nil {
			return nil, fmt.Errorf("web: parse %s: %w", pattern, err)
		}
	}
	r := &renderer{pages: map[string]*template.Template{}, locales: loc}
	for _, dir := range []string{"pages", "errors"} {
		matches, err := fs.Glob(templates, dir+"/*.html")
		if err != nil {
			return nil, err
		}
		for _, m := range matches {
			clone, err := base.Clone()
			if err != nil {
				return nil, err
			}
			t, err := clone.ParseFS(templates, m)
			if err != nil {
				return nil, fmt.Errorf("web: parse %s: %w", m, err)
			}
			name := dir + "/" + strings.TrimSuffix(path.Base(m), ".html")
			if dir == "pages" {
				name = strings.TrimSuffix(path.Base(m), ".html")
			}
			r.pages[name] = t
		}
	}
	return r, nil
}

// Pages lists the page names, sorted (for tests).
func (r *renderer) Pages() []string {
	names := make([]string, 0, len(r.pages))
	for n := range r.pages {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// execute renders page with data in the given language.
func (r *renderer) execute(w io.Writer, page, lang string, data any) error {
	t, ok := r.pages[page]
	if !ok {
		return fmt.Errorf("web: no page %q", page)
	}
	t, err := t.Clone()
	if err != nil {
		return err
	}
	t.Funcs(template.FuncMap{"t": r.locales.translator(lang)})
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "base", data); err != nil {
		return fmt.Errorf("web: render %s: %w", page, err)
	}
	_, err = buf.WriteTo(w)
	return err
}

// render writes an HTML page.
func (s *Server) render(c echo.Context, status int, page string, data any) error {
	var buf bytes.Buffer
	if err := s.renderer.execute(&buf, page, s.lang(c), data); err != nil {
		return err
	}
	return c.HTMLBlob(status, buf.Bytes())
}

// templateFuncs are available to every template.
func templateFuncs() template.FuncMap {
	return template.FuncMap{
		"json": func(v any) (string, error) {
			b, err := json.Marshal(v)
			return string(b), err
		},
		"time": func(t time.Time) string { return t.UTC().Format(utcLabel) },
		"timep": func(t *time.Time) string {
			if t == nil {
				return ""
			}
			return t.UTC().Format(utcLabel)
		},
		"date":    func(t time.Time) string { return t.UTC().Format(time.DateOnly) },
		"closing": closingOf,
		"timeTag": timeTag,
		"add":     func(a, b int) int { return a + b },
		"sub":     func(a, b int) int { return a - b },
		"seq": func(n int) []int {
			out := make([]int, n)
			for i := range out {
				out[i] = i
			}
			return out
		},
		"statusText": http.StatusText,
		"money":      money,
		"dict": func(kv ...any) map[string]any {
			m := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				m[fmt.Sprint(kv[i])] = kv[i+1]
			}
			return m
		},
	}
}
