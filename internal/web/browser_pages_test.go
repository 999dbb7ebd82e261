package web_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"koinon/internal/store/storetest"
	"koinon/internal/web/resultstest"
)

// longTitle is a ballot title that a narrow screen must wrap, with a
// word longer than a 390 px line.
const longTitle = "Adopt the revised Donaudampfschifffahrtsgesellschaftskapitänsmützenordnung and the travel budget for the next three years of the foundation"

// pagesLabels are long option labels, one with a word longer than a
// 390 px line allows.
var pagesLabels = map[string]string{
	"ada": "Ada Lovelace-Byron, treasurer of the Analytical Engine Preservation Society",
	"bea": "Bea", "cai": "Caileanachadh-Mhicfhionnlaigh-Ghilleasbuig",
}

// pagesWorld is the results fixture plus an open ballot of every method
// and a closed one, all with long titles and option labels.
type pagesWorld struct {
	*resultsFixture
	TS        *httptest.Server
	Token     func(handle string) string
	Open      map[string]string // method → /ballots/ID
	Long      string            // /ballots/ID of the closed long-titled ballot
	LongProof string            // its proof
}

func newPagesWorld(t *testing.T) *pagesWorld {
	t.Helper()
	st := storetest.SQLite(t)
	f := newResultsFixture(t, st)
	ts, token := resultsServer(t, st)
	w := &pagesWorld{resultsFixture: f, TS: ts, Open: map[string]string{},
		Token: func(h string) string { return token(f.C.W.Citizens[h]) }}
	for _, m := range []string{"majority", "plurality", "approval", "irv", "stv", "schulze"} {
		sp := resultstest.Spec{Title: longTitle + " (" + m + ")", Method: m, Labels: pagesLabels}
		if m != "majority" {
			sp.Options = []string{"ada", "bea", "cai"}
		}
		w.Open[m] = "/ballots/" + itoa(f.C.Open(t, sp).ID)
	}
	// Options out of alphabetical order: pages must keep the ballot's order.
	long := f.C.Closed(t, resultstest.NewSigner("test"), resultstest.Spec{Title: longTitle, Method: "irv",
		Options: []string{"cai", "ada", "bea"}, Labels: pagesLabels,
		Votes: map[string]string{"ann": `["ada","bea"]`, "bob": `["cai"]`, "cy": `["bea","cai"]`}})
	w.Long, w.LongProof = "/ballots/"+itoa(long.ID), *long.ProofJSON
	return w
}

// TestBrowserEveryPageAccessible runs axe-core on every kind of page a
// signed-in board member sees (the result pages are scanned by
// TestBrowserResultPages) and fails on serious or critical violations.
func TestBrowserEveryPageAccessible(t *testing.T) {
	ctx := newBrowser(t)
	axe := axeSource(t)
	w := newPagesWorld(t)
	setSession(t, ctx, w.TS.URL, w.Token("ann"))
	pages := map[string]string{
		"home":         "/",
		"ballot":       "/ballots/" + itoa(w.Ballots["Chair"].ID),
		"ballot-long":  w.Long,
		"verify":       "/verify",
		"delegations":  "/delegations",
		"ballot-form":  "/communities/commons/ballots/new",
		"community":    "/c/commons",
		"results-long": w.Long + "/results",
	}
	for m, path := range w.Open {
		pages["vote-"+m] = path
	}
	for name, path := range pages {
		t.Run(name, func(t *testing.T) {
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(w.TS.URL+path)); err != nil {
				t.Fatal(err)
			}
			screenshot(t, ctx, "axe-"+name)
			checkAxe(t, ctx, axe)
		})
	}
}

// TestBrowserPagesFitTheWindow walks home → ballot → vote → result as a
// citizen at 390 and 1280 px, with long titles and labels, and checks on
// every page (and every page kind) that nothing is wider than the window.
func TestBrowserPagesFitTheWindow(t *testing.T) {
	ctx := newBrowser(t)
	w := newPagesWorld(t)
	setSession(t, ctx, w.TS.URL, w.Token("bob"))
	fits := func(t *testing.T, name string) {
		t.Helper()
		checkFits(t, ctx, name)
		screenshot(t, ctx, "fit-"+name)
	}
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	// Each width votes on its own ballot: a cast vote leaves home's list.
	for width, m := range map[int64]string{390: "plurality", 1280: "approval"} {
		px := itoa(width)
		t.Run(px, func(t *testing.T) {
			do := func(what string, actions ...chromedp.Action[chromedp.Void]) {
				t.Helper()
				step, cancel := context.WithTimeout(ctx, 30*time.Second)
				defer cancel()
				if err := chromedp.Do(step, actions...); err != nil {
					t.Fatalf("%s: %v", what, err)
				}
			}
			do("home", chromedp.EmulateViewport(width, 900), chromedp.Navigate(w.TS.URL+"/"))
			fits(t, "home-"+px)
			do("to the ballot", chromedp.Click(css(`main a[href="`+w.Open[m]+`"]`)), chromedp.WaitVisible(css(`#cast-vote`)))
			fits(t, "ballot-"+px)
			do("vote", chromedp.Click(css(`input[name=choice][value=ada]`)), chromedp.Click(css(`#cast-vote`)),
				chromedp.WaitVisible(css(`#cast-receipt`)))
			fits(t, "voted-"+px)
			do("closed ballot", chromedp.Navigate(w.TS.URL+w.Long), chromedp.Click(css(`main a[href="`+w.Long+`/results"]`)),
				chromedp.WaitVisible(css(`section.myvote`)))
			fits(t, "result-"+px)
			pages := []string{"/ballots/" + itoa(w.Ballots["Board election"].ID) + "/results",
				"/ballots/" + itoa(w.Ballots["Roadmap priorities"].ID) + "/results",
				w.Long + "/audit", "/verify", "/delegations", "/c/commons", "/c/commons/history"}
			for _, path := range w.Open {
				pages = append(pages, path)
			}
			for _, path := range pages {
				do(path, chromedp.Navigate(w.TS.URL+path))
				checkFits(t, ctx, path+" at "+px+" px")
			}
		})
	}

	// In German, after the scripts ran (times, the ranking form, the
	// verifier), no English is left on the page either.
	if err := chromedp.Do(ctx, chromedp.Navigate(w.TS.URL+"/lang/de")); err != nil {
		t.Fatal(err)
	}
	user := w.userStrings()
	for _, path := range []string{"/", w.Open["irv"], w.Open["schulze"], w.Long, w.Long + "/results", "/verify", "/delegations"} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 900), chromedp.Navigate(w.TS.URL+path)); err != nil {
			t.Fatal(err)
		}
		text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`new Promise(r => setTimeout(() => r(document.querySelector("main").innerText), 300))`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range englishIn(text, user) {
			t.Errorf("%s in German after its scripts ran: English %s", path, e)
		}
	}
	screenshot(t, ctx, "fit-de-verify-390")
}

// setSession signs the browser in with a session token for the server at
// baseURL (an empty token signs out).
func setSession(t *testing.T, ctx context.Context, baseURL, token string) {
	t.Helper()
	if token == "" {
		if _, err := chromedp.Call(ctx, network.DeleteCookies, network.DeleteCookiesParams{Name: "koinon_session", URL: baseURL + "/"}); err != nil {
			t.Fatalf("delete cookie: %v", err)
		}
		return
	}
	httpOnly := true
	if _, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{
		Name: "koinon_session", Value: token, URL: baseURL + "/", Path: "/", HTTPOnly: &httpOnly}); err != nil {
		t.Fatalf("set cookie: %v", err)
	}
}
