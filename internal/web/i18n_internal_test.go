package web

import (
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"

	"koinon"
)

func testLocales(t *testing.T) *locales {
	t.Helper()
	sub, err := fs.Sub(koinon.Assets, "locales")
	if err != nil {
		t.Fatal(err)
	}
	l, err := loadLocales(sub)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// verb matches one fmt verb, with its optional explicit argument index.
var verb = regexp.MustCompile(`%(?:\[(\d+)\])?[-+# 0]*\d*(?:\.\d+)?([a-zA-Z%])`)

// sampleArgs returns arguments for forms: n first (the count that picks
// the form), then 7 for every further %d and "X" for any other verb.
func sampleArgs(n int, forms map[string]string) []any {
	kinds := map[int]rune{}
	for _, f := range forms {
		next := 1
		for _, m := range verb.FindAllStringSubmatch(f, -1) {
			if m[2] == "%" {
				continue
			}
			i := next
			if m[1] != "" {
				i, _ = strconv.Atoi(m[1])
			}
			kinds[i] = rune(m[2][0])
			next = i + 1
		}
	}
	args := []any{n}
	for i := 2; i <= len(kinds) || kinds[i] != 0; i++ {
		if kinds[i] == 'd' {
			args = append(args, 7)
		} else {
			args = append(args, "X")
		}
	}
	return args
}

// TestPluralMessages renders every plural message of every locale file
// (a value that is an object of forms) with the counts 0, 1, 2 and 5 in
// every language: the form CLDR's cardinal rule names for the count must
// be defined (else "1 minutes" would slip back in through "other"), the
// text must be exactly that form formatted, and no verb may be left
// unfilled.
func TestPluralMessages(t *testing.T) {
	l := testLocales(t)
	var keys []string
	for k, m := range l.texts[defaultLang] {
		if m.forms != nil {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	if len(keys) < 10 {
		t.Fatalf("only %d plural messages found", len(keys))
	}
	for _, lang := range l.langs {
		tag := language.MustParse(lang)
		tr := l.translator(lang)
		for _, k := range keys {
			forms := l.texts[lang][k].forms
			if forms == nil {
				t.Errorf("%s: %q is plural in English but a single text here", lang, k)
				continue
			}
			for _, n := range []int{0, 1, 2, 5} {
				form := [...]string{"other", "zero", "one", "two", "few", "many"}[plural.Cardinal.MatchPlural(tag, n, 0, 0, 0, 0)]
				text, ok := forms["="+strconv.Itoa(n)]
				if !ok {
					if text, ok = forms[form]; !ok {
						t.Errorf("%s: %q lacks the form %q (count %d)", lang, k, form, n)
						continue
					}
				}
				args := sampleArgs(n, forms)
				got := tr(k, args...)
				// x/text, unlike fmt, does not complain about arguments a form leaves out.
				want, _, _ := strings.Cut(fmt.Sprintf(text, args...), "%!(EXTRA")
				if got != want {
					t.Errorf("%s: %q with %d = %q, want %q", lang, k, n, got, want)
				}
				if strings.Contains(got, "%!") {
					t.Errorf("%s: %q with %d = %q: a verb is wrong or unfilled", lang, k, n, got)
				}
			}
		}
	}
}

// TestPluralGrammar pins the sentences the issue reported, in both
// languages.
func TestPluralGrammar(t *testing.T) {
	l := testLocales(t)
	en, de := l.translator("en"), l.translator("de")
	tests := []struct{ got, want string }{
		{timeLeft(en, 61e9), "1 minute left"},
		{timeLeft(en, 25*3600e9), "1 day 1 hour left"},
		{timeLeft(de, 2*3600e9+60e9), "noch 2 Stunden 1 Minute"},
		{en("ballot.result.first_round", 1), "First preferences; 1 round in the full result."},
		{en("delegation.flow.steps", 1), "1 step"},
		{en("results.carriers.caption", 1, "40 %"), "The largest carrier holds 40 % of the counted weight"},
		{en("results.carriers.caption", 3, "70 %"), "The 3 largest carriers hold 70 % of the counted weight"},
		{en("results.hops.bin", 8, "8+", 4), "8+ hops: 4"},
		{de("community.open_ballots", 1), "1 offene Abstimmung"},
		{de("community.members", 1234), "1.234 Mitglieder"},
		{en("community.members", 1234), "1,234 members"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

// TestMatchAcceptLanguage: the language comes from golang.org/x/text's
// matcher, so q-values and regional variants count.
func TestMatchAcceptLanguage(t *testing.T) {
	l := testLocales(t)
	for header, want := range map[string]string{
		"":                          "en",
		"de":                        "de",
		"de-CH,de;q=0.9":            "de",
		"en;q=0.5, de;q=0.9":        "de",
		"fr-FR, fr;q=0.9, de;q=0.3": "de",
		"fr":                        "en",
		"en-GB,de;q=0.8":            "en",
		"not a header;;":            "en",
	} {
		if got := l.match(header); got != want {
			t.Errorf("Accept-Language %q → %s, want %s", header, got, want)
		}
	}
}
