package web_test

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// englishWords are words of Koinon's English pages that no German page
// may show (outside user content: titles, labels, handles).
var englishWords = regexp.MustCompile(`\b(Yes|No|Abstain|Abstention|You|Your|your|the|and|of|to|is|are|not|vote|votes|voted|voter|ballot|ballots|Ballot|Results?|results?|proof|Proof|receipt|weight|Weight|round|Round|elected|eliminated|winner|Winners?|closes|Closes|closed|Closed|open|Open|must|required|found|Sign|Check|list|applies|community|Community|delegated|carried|left|hours?|minutes?|days?|ago|Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|AM|PM)\b`)

// hiddenParts are scripts, code and the document title (it repeats the
// h1), left out before looking for words.
var hiddenParts = regexp.MustCompile(`(?s)<script.*?</script>|<style.*?</style>|<pre.*?</pre>|<code.*?</code>|<title>.*?</title>`)

// page GETs path as who ("" for a visitor) in the language acceptLanguage
// asks for, without following redirects.
func (w *pagesWorld) page(t *testing.T, who, acceptLanguage, path string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", w.TS.URL+path, nil)
	req.Header.Set("Accept-Language", acceptLanguage)
	if who != "" {
		req.AddCookie(&http.Cookie{Name: "koinon_session", Value: w.Token(who)})
	}
	res, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// userStrings is the pages world's user content (titles, labels, names)
// and the names of file formats and files, longest first, so a title is
// removed before a part of it.
func (w *pagesWorld) userStrings() []string {
	user := []string{longTitle, "commons", "Commons", "handle, email, display_name, role, weight",
		"docs/results.md", "proof.md", "tally.md"}
	for _, sp := range fixtureSpecs {
		user = append(user, sp.Title)
		for _, l := range sp.Labels {
			user = append(user, l)
		}
	}
	for _, l := range pagesLabels {
		user = append(user, l)
	}
	slices.SortFunc(user, func(a, b string) int { return len(b) - len(a) })
	return user
}

// englishIn returns the English words left in a German page's text (one
// excerpt per word), user content removed.
func englishIn(text string, user []string) []string {
	for _, u := range user {
		text = strings.ReplaceAll(text, u, " ")
	}
	seen := map[string]bool{}
	var out []string
	for _, m := range englishWords.FindAllStringIndex(text, -1) {
		word := text[m[0]:m[1]]
		if seen[word] {
			continue
		}
		seen[word] = true
		from, to := max(0, m[0]-50), min(len(text), m[1]+50)
		out = append(out, fmt.Sprintf("%q in …%s…", word, strings.Join(strings.Fields(text[from:to]), " ")))
	}
	return out
}

// TestPagesInGermanHaveNoEnglish renders every kind of page with
// Accept-Language: de, as a board member and as a visitor, and fails on
// English words left in them.
func TestPagesInGermanHaveNoEnglish(t *testing.T) {
	w := newPagesWorld(t)
	user := w.userStrings()
	pages := []string{"/", "/communities", "/c/commons", "/c/commons/history", "/communities/commons/ballots",
		"/communities/commons/ballots/new", "/communities/commons/proposals", "/delegations", "/verify", "/profile",
		"/communities/commons/roll", "/ballots/999999", w.Long, w.Long + "/results", w.Long + "/audit"}
	for _, path := range w.Open {
		pages = append(pages, path)
	}
	for _, b := range w.Ballots {
		pages = append(pages, "/ballots/"+itoa(b.ID), "/ballots/"+itoa(b.ID)+"/results")
	}
	for _, who := range []string{"ann", ""} {
		for _, path := range pages {
			status, body := w.page(t, who, "de-DE,de;q=0.9,en;q=0.5", path)
			if status >= 300 && status < 400 {
				continue
			}
			for _, e := range englishIn(visibleText(hiddenParts.ReplaceAllString(body, " ")), user) {
				t.Errorf("%s (as %q, %d): English %s", path, who, status, e)
			}
		}
	}
}

// TestDelegationPageSaysWhichListApplies: a ballot without its own list
// names the community's list only when there is one (dee has one, ann has
// none and votes herself), in words, in English and German.
func TestDelegationPageSaysWhichListApplies(t *testing.T) {
	w := newPagesWorld(t)
	for _, tc := range []struct{ who, lang, want, not string }{
		{"dee", "en", "No list of its own: the whole community's list applies.", "No delegation: only your own vote counts."},
		{"dee", "de", "Keine eigene Liste: Es gilt die Liste der ganzen Gemeinschaft.", "Es gilt die Liste community"},
		{"ann", "en", "No delegation: only your own vote counts.", "list applies"},
	} {
		status, body := w.page(t, tc.who, tc.lang, "/delegations")
		text := html.UnescapeString(body)
		if status != 200 || !strings.Contains(text, tc.want) || strings.Contains(text, tc.not) {
			t.Errorf("/delegations as %s in %s (%d): want %q and not %q", tc.who, tc.lang, status, tc.want, tc.not)
		}
	}
}
