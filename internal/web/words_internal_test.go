package web

import (
	"errors"
	"maps"
	"net/http"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"koinon/internal/domain"
	"koinon/internal/store"
	"koinon/internal/tally"
)

// TestValidationRulesHaveWords: every validation rule of domain.Rules and
// tally.Rules has a message key in every language; English says what the
// API says, the other languages say it in their own words with the same
// verbs.
func TestValidationRulesHaveWords(t *testing.T) {
	l := testLocales(t)
	rules := maps.Clone(domain.Rules)
	for rule, text := range tally.Rules {
		if _, dup := rules[rule]; dup {
			t.Errorf("rule %s is both domain's and tally's", rule)
		}
		rules[rule] = text
	}
	for rule, text := range rules {
		key := "invalid." + rule
		en, ok := l.texts[defaultLang][key]
		if !ok || en.text != text {
			t.Errorf("en %s = %q, want the rule's text %q", key, en.text, text)
		}
		for _, lang := range l.langs[1:] {
			m, ok := l.texts[lang][key]
			if !ok || m.text == text {
				t.Errorf("%s has no own words for %s (%q)", lang, key, m.text)
				continue
			}
			if a, b := verb.FindAllString(text, -1), verb.FindAllString(m.text, -1); strings.Join(a, "") != strings.Join(b, "") {
				t.Errorf("%s %s has verbs %v, English %v", lang, key, b, a)
			}
		}
	}
}

// TestErrorTextInGerman: refusals reach a German page in German: a broken
// rule with its arguments, a refused state and an HTTP error by code; an
// unknown code falls back to the status, never to English.
func TestErrorTextInGerman(t *testing.T) {
	l := testLocales(t)
	for _, tc := range []struct {
		err    error
		de, en string
	}{
		{domain.CheckText("title", strings.Repeat("x", 300), true, 200), "darf höchstens 200 Zeichen lang sein", "must be at most 200 characters"},
		{domain.CheckPassword("ann", "short"), "muss mindestens 10 Zeichen lang sein", "must be at least 10 characters"},
		{domain.Refuse("delegates", "delegate_not_member", "bob"), "bob ist kein Mitglied dieser Gemeinschaft", "bob is not a member of this community"},
		{domain.Refuse("current_password", "password_wrong"), "ist nicht Ihr jetziges Passwort", "is not your current password"},
		{domain.TallyInvalid(&tally.FieldError{Field: "ballot.seats", Message: "3 seats for 2 options", Rule: "seats_options", Args: []any{3, 2}}), "3 Sitze für 2 Optionen", "3 seats for 2 options"},
		{domain.Stated("ballot_closed", "the ballot is closed"), "Die Abstimmung ist geschlossen.", "the ballot is closed"},
		{store.ErrNotFound, "Nicht gefunden.", "not found"},
		{errorf(http.StatusForbidden, "csrf", "the form expired"), "Das Formular ist abgelaufen", "the form expired"},
		{echo.NewHTTPError(http.StatusMethodNotAllowed), "Diese Adresse nimmt diese Art von Anfrage nicht an.", "Method Not Allowed"},
		{echo.NewHTTPError(http.StatusTooManyRequests), "Zu viele Anfragen", "Too Many Requests"},
		{errorf(http.StatusTeapot, "teapot", "I am a teapot"), "Die Anfrage wurde abgelehnt (HTTP 418).", "I am a teapot"},
		{errors.New("disk on fire"), "Bei uns ist etwas schiefgegangen.", "internal error"},
	} {
		if got := l.errorText("de", tc.err); !strings.Contains(got, tc.de) {
			t.Errorf("German for %v: %q, want %q", tc.err, got, tc.de)
		}
		if got := l.errorText("en", tc.err); !strings.Contains(got, tc.en) {
			t.Errorf("English for %v: %q, want %q", tc.err, got, tc.en)
		}
	}
}

// TestGermanGlossaryWords: German texts use the glossary's one word per
// concept (docs/glossary.md), not the synonyms pages once mixed.
func TestGermanGlossaryWords(t *testing.T) {
	synonyms := map[string]string{ // synonym → the glossary's word
		"beweis":            "Nachweis",
		"wählerverzeichnis": "Stimmregister",
		"wählerliste":       "Stimmregister",
		"vorschlag":         "Antrag",
	}
	for key, m := range testLocales(t).texts["de"] {
		texts := []string{m.text}
		for _, f := range m.forms {
			texts = append(texts, f)
		}
		for _, text := range texts {
			for bad, good := range synonyms {
				if strings.Contains(strings.ToLower(text), bad) {
					t.Errorf("de %s says %q: the glossary's word is %s", key, bad, good)
				}
			}
		}
	}
}
