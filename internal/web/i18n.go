package web

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/labstack/echo/v4"
)

// locales holds one flat key → text map per language, merged from
// LANG.json and LANG.PART.json files (one part per area of the product);
// English is complete and the fallback for any missing key.
type locales struct {
	texts map[string]map[string]string
}

const defaultLang = "en"

func loadLocales(fsys fs.FS) (*locales, error) {
	l := &locales{texts: map[string]map[string]string{}}
	files, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("web: locale %s: %w", f, err)
		}
		lang := strings.SplitN(strings.TrimSuffix(path.Base(f), ".json"), ".", 2)[0]
		if l.texts[lang] == nil {
			l.texts[lang] = map[string]string{}
		}
		for k, v := range m {
			if _, dup := l.texts[lang][k]; dup {
				return nil, fmt.Errorf("web: locale %s: key %q defined twice", f, k)
			}
			l.texts[lang][k] = v
		}
	}
	if _, ok := l.texts[defaultLang]; !ok {
		return nil, fmt.Errorf("web: locale %s.json missing", defaultLang)
	}
	return l, nil
}

// Langs lists the available languages, English first.
func (l *locales) Langs() []string {
	out := []string{defaultLang}
	for k := range l.texts {
		if k != defaultLang {
			out = append(out, k)
		}
	}
	sort.Strings(out[1:])
	return out
}

// translator returns the template function t for lang: t "key" args…
// formats the text with fmt verbs; an unknown key shows itself.
func (l *locales) translator(lang string) func(key string, args ...any) string {
	m, en := l.texts[lang], l.texts[defaultLang]
	return func(key string, args ...any) string {
		s, ok := m[key]
		if !ok {
			if s, ok = en[key]; !ok {
				return key
			}
		}
		if len(args) > 0 {
			return fmt.Sprintf(s, args...)
		}
		return s
	}
}

// lang picks the language: the lang cookie, then Accept-Language.
func (s *Server) lang(c echo.Context) string {
	if ck, err := c.Cookie("lang"); err == nil {
		if _, ok := s.locales.texts[ck.Value]; ok {
			return ck.Value
		}
	}
	for _, part := range strings.Split(c.Request().Header.Get("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		tag = strings.SplitN(tag, "-", 2)[0]
		if _, ok := s.locales.texts[tag]; ok {
			return tag
		}
	}
	return defaultLang
}

// prefixed returns every text whose key starts with prefix, in lang (for
// scripts that render text themselves).
func (l *locales) prefixed(prefix, lang string) map[string]string {
	t := l.translator(lang)
	out := map[string]string{}
	for k := range l.texts[defaultLang] {
		if strings.HasPrefix(k, prefix) {
			out[k] = t(k)
		}
	}
	return out
}
