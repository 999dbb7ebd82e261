package web_test

import (
	"encoding/json"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"testing"

	"koinon"
	"koinon/internal/store/storetest"
)

// TestLocalesHaveSameKeys: every language has exactly the keys of English,
// merged over all its parts (LANG.json, LANG.PART.json); the message names
// the missing and extra keys and the part English keeps them in.
func TestLocalesHaveSameKeys(t *testing.T) {
	files, err := fs.Glob(koinon.Assets, "locales/*.json")
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]map[string]string{} // lang → key → file
	for _, f := range files {
		b, err := fs.ReadFile(koinon.Assets, f)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]json.RawMessage{}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		lang := strings.SplitN(strings.TrimSuffix(path.Base(f), ".json"), ".", 2)[0]
		if keys[lang] == nil {
			keys[lang] = map[string]string{}
		}
		for k, raw := range m {
			for form, v := range localeTexts(t, f, k, raw) {
				if strings.TrimSpace(v) == "" {
					t.Errorf("%s: %q %s is empty", f, k, form)
				}
			}
			keys[lang][k] = path.Base(f)
		}
	}
	en := keys["en"]
	if len(en) == 0 {
		t.Fatal("no English locale")
	}
	for lang, ks := range keys {
		if lang == "en" {
			continue
		}
		var missing, extra []string
		for k, f := range en {
			if _, ok := ks[k]; !ok {
				missing = append(missing, k+" (en: "+f+")")
			}
		}
		for k, f := range ks {
			if _, ok := en[k]; !ok {
				extra = append(extra, k+" ("+f+")")
			}
		}
		slices.Sort(missing)
		slices.Sort(extra)
		if len(missing) > 0 {
			t.Errorf("locale %s lacks %d keys:\n  %s", lang, len(missing), strings.Join(missing, "\n  "))
		}
		if len(extra) > 0 {
			t.Errorf("locale %s has %d keys English lacks:\n  %s", lang, len(extra), strings.Join(extra, "\n  "))
		}
	}
}

// localeTexts returns the texts of one locale entry: a string (form "")
// or an object of plural forms, which must include "other" and name only
// CLDR categories or exact counts ("=0").
func localeTexts(t *testing.T, file, key string, raw json.RawMessage) map[string]string {
	t.Helper()
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return map[string]string{"": s}
	}
	forms := map[string]string{}
	if err := json.Unmarshal(raw, &forms); err != nil {
		t.Errorf("%s: %q is neither a text nor plural forms: %v", file, key, err)
		return nil
	}
	if _, ok := forms["other"]; !ok {
		t.Errorf("%s: %q has plural forms without \"other\"", file, key)
	}
	for form := range forms {
		if _, err := strconv.ParseUint(strings.TrimPrefix(form, "="), 10, 16); err != nil && !slices.Contains([]string{"zero", "one", "two", "few", "many", "other"}, form) {
			t.Errorf("%s: %q has an unknown plural form %q", file, key, form)
		}
	}
	return forms
}

// TestResultsTemplatesUseKeys: the result, audit and history templates
// hold no bare words outside {{…}} actions: every text goes through {{t}}.
// TestTemplatesUseKeys: every text in every template goes through {{t}};
// only proper names (the product, counting rules) and field names may stand.
func TestTemplatesUseKeys(t *testing.T) {
	allowed := map[string]bool{"Koinon": true, "Meek": true, "Scottish": true, "STV": true, "votes_root": true}
	var files []string
	for _, dir := range []string{"layouts", "partials", "pages", "errors"} {
		m, _ := fs.Glob(koinon.Assets, "templates/"+dir+"/*.html")
		files = append(files, m...)
	}
	for _, f := range files {
		b, err := fs.ReadFile(koinon.Assets, f)
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		// Drop actions, tags and code samples, then look for letters.
		s = strip(s, "{{", "}}")
		s = strip(s, "<pre>", "</pre>")
		s = strip(s, "<", ">")
		for _, word := range strings.Fields(s) {
			if strings.HasPrefix(word, "/") || allowed[word] {
				continue // a URL shown as itself
			}
			if strings.IndexFunc(word, func(r rune) bool { return r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' }) >= 0 {
				t.Errorf("%s: bare text %q outside {{t}}", f, word)
			}
		}
	}
}

func strip(s, open, close string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, open)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteByte(' ')
		j := strings.Index(s[i:], close)
		if j < 0 {
			return b.String()
		}
		s = s[i+j+len(close):]
	}
}

// TestLanguageSwitch: the footer links switch the language, remember it in
// a cookie and return to the page they were clicked on.
func TestLanguageSwitch(t *testing.T) {
	st := storetest.SQLite(t)
	f := newResultsFixture(t, st)
	ts, _ := resultsServer(t, st)
	page := "/ballots/" + itoa(f.Ballots["Chair"].ID) + "/results"
	_, _, body := get(t, ts.URL+page, "")
	if !strings.Contains(body, `href="/lang/de"`) || !strings.Contains(body, "Round by round") {
		t.Fatalf("English page without the switch")
	}
	req, _ := http.NewRequest("GET", ts.URL+"/lang/de", nil)
	req.Header.Set("Referer", ts.URL+page)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != page {
		t.Fatalf("GET /lang/de = %d → %q, want 303 → %s", res.StatusCode, res.Header.Get("Location"), page)
	}
	var lang *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == "lang" {
			lang = c
		}
	}
	if lang == nil || lang.Value != "de" {
		t.Fatalf("no lang=de cookie: %v", res.Cookies())
	}
	req, _ = http.NewRequest("GET", ts.URL+page, nil)
	req.AddCookie(lang)
	res, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 1<<16)
	for {
		n, err := res.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	if !strings.Contains(sb.String(), "Runde für Runde") || !strings.Contains(sb.String(), `<html lang="de">`) {
		t.Errorf("page not in German after the switch")
	}
	// An off-site referer never becomes the redirect target; an unknown
	// language is a 404.
	req, _ = http.NewRequest("GET", ts.URL+"/lang/en", nil)
	req.Header.Set("Referer", "https://evil.example/phish")
	res, _ = client.Do(req)
	res.Body.Close()
	if loc := res.Header.Get("Location"); loc != "/phish" && loc != "/" {
		t.Errorf("off-site referer gave Location %q", loc)
	}
	if status, _, _ := get(t, ts.URL+"/lang/xx", ""); status != 404 {
		t.Errorf("GET /lang/xx = %d, want 404", status)
	}
}
