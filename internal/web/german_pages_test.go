package web_test

import (
	"fmt"
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
			req, _ := http.NewRequest("GET", w.TS.URL+path, nil)
			req.Header.Set("Accept-Language", "de-DE,de;q=0.9,en;q=0.5")
			if who != "" {
				req.AddCookie(&http.Cookie{Name: "koinon_session", Value: w.Token(who)})
			}
			res, err := noRedirects.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode >= 300 && res.StatusCode < 400 {
				continue
			}
			for _, e := range englishIn(visibleText(hiddenParts.ReplaceAllString(string(b), " ")), user) {
				t.Errorf("%s (as %q, %d): English %s", path, who, res.StatusCode, e)
			}
		}
	}
}
