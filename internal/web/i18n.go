package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/labstack/echo/v4"
	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"
)

// locales holds the messages of every language, merged from LANG.json and
// LANG.PART.json files (one part per area of the product), and formats them
// with golang.org/x/text/message: CLDR plural rules and the language's
// digit grouping. English is complete and the fallback for any missing key.
// The file format is described in docs/i18n.md.
type locales struct {
	texts    map[string]map[string]localeMessage // lang → key → message
	printers map[string]*message.Printer
	langs    []string // English first, then sorted
	matcher  language.Matcher
}

// localeMessage is one entry of a locale file: a text with fmt verbs, or
// plural forms (CLDR categories "zero" … "other", or "=N") of which the
// count in the first argument picks one.
type localeMessage struct {
	text  string
	forms map[string]string
}

// pluralOrder is the order in which plural forms are tried: exact values
// ("=N") first, then the CLDR categories; "other" always matches.
var pluralOrder = []string{"zero", "one", "two", "few", "many", "other"}

func (m *localeMessage) UnmarshalJSON(b []byte) error {
	if json.Unmarshal(b, &m.text) == nil {
		return nil
	}
	if err := json.Unmarshal(b, &m.forms); err != nil {
		return errors.New("want a text or an object of plural forms")
	}
	if _, ok := m.forms["other"]; !ok {
		return errors.New(`plural forms lack "other"`)
	}
	return nil
}

// catalogMessage is m as x/text compiles it.
func (m localeMessage) catalogMessage() catalog.Message {
	if m.forms == nil {
		return catalog.String(m.text)
	}
	var cases []any
	var exact []string
	for f := range m.forms {
		if strings.HasPrefix(f, "=") {
			exact = append(exact, f)
		}
	}
	sort.Strings(exact)
	for _, f := range append(exact, pluralOrder...) {
		if text, ok := m.forms[f]; ok {
			cases = append(cases, f, text)
		}
	}
	return plural.Selectf(1, "%d", cases...)
}

const defaultLang = "en"

func loadLocales(fsys fs.FS) (*locales, error) {
	l := &locales{texts: map[string]map[string]localeMessage{}, printers: map[string]*message.Printer{}}
	files, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		m := map[string]localeMessage{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("web: locale %s: %w", f, err)
		}
		lang := strings.SplitN(strings.TrimSuffix(path.Base(f), ".json"), ".", 2)[0]
		if l.texts[lang] == nil {
			l.texts[lang] = map[string]localeMessage{}
		}
		for k, v := range m {
			if _, dup := l.texts[lang][k]; dup {
				return nil, fmt.Errorf("web: locale %s: key %q defined twice", f, k)
			}
			l.texts[lang][k] = v
		}
	}
	en, ok := l.texts[defaultLang]
	if !ok {
		return nil, fmt.Errorf("web: locale %s.json missing", defaultLang)
	}
	l.langs = []string{defaultLang}
	for lang := range l.texts {
		if lang != defaultLang {
			l.langs = append(l.langs, lang)
		}
	}
	sort.Strings(l.langs[1:])
	tags := make([]language.Tag, len(l.langs))
	cat := catalog.NewBuilder()
	for i, lang := range l.langs {
		if tags[i], err = language.Parse(lang); err != nil {
			return nil, fmt.Errorf("web: locale %s: %w", lang, err)
		}
		for k, m := range en {
			if own, ok := l.texts[lang][k]; ok {
				m = own
			}
			if err := cat.Set(tags[i], k, m.catalogMessage()); err != nil {
				return nil, fmt.Errorf("web: locale %s: %q: %w", lang, k, err)
			}
		}
		l.printers[lang] = message.NewPrinter(tags[i], message.Catalog(cat))
	}
	l.matcher = language.NewMatcher(tags)
	return l, nil
}

// Langs lists the available languages, English first.
func (l *locales) Langs() []string {
	return l.langs
}

// translator returns the template function t for lang: t "key" args…
// formats the message with its fmt verbs (a plural message picks its form
// by the first argument); without arguments a text is returned as it
// stands; an unknown key shows itself.
func (l *locales) translator(lang string) func(key string, args ...any) string {
	m, en, p := l.texts[lang], l.texts[defaultLang], l.printers[lang]
	if p == nil {
		p = l.printers[defaultLang]
	}
	return func(key string, args ...any) string {
		msg, ok := m[key]
		if !ok {
			if msg, ok = en[key]; !ok {
				return key
			}
		}
		if len(args) == 0 && msg.forms == nil {
			return msg.text
		}
		return p.Sprintf(key, args...)
	}
}

// lang picks the language: the lang cookie, then the best match for
// Accept-Language (q-values respected), else English.
func (s *Server) lang(c echo.Context) string {
	if ck, err := c.Cookie("lang"); err == nil {
		if _, ok := s.locales.texts[ck.Value]; ok {
			return ck.Value
		}
	}
	return s.locales.match(c.Request().Header.Get("Accept-Language"))
}

// match returns the available language that best fits an Accept-Language
// header, by golang.org/x/text/language's matcher.
func (l *locales) match(acceptLanguage string) string {
	tags, _, _ := language.ParseAcceptLanguage(acceptLanguage)
	_, i, conf := l.matcher.Match(tags...)
	if conf == language.No {
		return defaultLang
	}
	return l.langs[i]
}

// has reports whether lang has its own text for key.
func (l *locales) has(lang, key string) bool {
	_, ok := l.texts[lang][key]
	return ok
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
