package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"koinon/internal/store/storetest"
)

// TestBrowserBudget drives Chromium through a participatory budget: the
// board creates it with the form and opens it; bob, who carries ann's
// weight, ticks projects and sees the running total change before he
// casts; the board closes it; ann sees the funded projects, how her share
// was spent through bob, and greedy beside equal shares, in English and
// German. With eve's empty
// ballot each unit of weight holds 20: bob and cat pay the server, then
// only dan can still pay for a project (travel), while greedy would fund
// the audit, which cat prefers. Screenshots at
// 390 and 1280 px.
func TestBrowserBudget(t *testing.T) {
	bw := newBallotWorld(t, storetest.SQLite(t))
	bw.expect(t, "ann", "PUT", "/api/v1/delegations", map[string]any{"community": "commons", "delegates": []string{"bob"}}, 200, "")
	ctx := newBrowser(t)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	signIn := func(handle string) chromedp.Action[chromedp.Void] { return bw.signInAs(t, handle) }
	do := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		browse(t, ctx, what, actions...)
	}
	text := func(sel string) string { t.Helper(); return textOf(t, ctx, sel) }
	submit := clickAndLoad
	shots := func(name string) {
		t.Helper()
		for _, w := range []int64{390, 1280} {
			do("viewport", chromedp.EmulateViewport(w, 900))
			screenshot(t, ctx, name+"-"+map[int64]string{390: "390", 1280: "1280"}[w])
		}
	}

	// Create with the form, then open.
	projects := "Server upgrade | 60 | Two new machines for the build farm\nTranslation sprint | 40\nAccessibility audit | 30 | Screen readers and keyboards\nMeetup travel | 20"
	do("create", signIn("board"), chromedp.Navigate(bw.TS.URL+"/communities/commons/ballots/new"),
		chromedp.SendKeys(css(`input[name=title]`), "Community fund 2027"),
		chromedp.SetValue(css(`select[name=method]`), "budget"),
		chromedp.SendKeys(css(`textarea[name=options]`), projects),
		chromedp.SendKeys(css(`input[name=budget]`), "100"),
		submit(`form.stack button[type=submit]`),
		chromedp.WaitVisible(css(`#open-ballot`)))
	ballotURL, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href`))
	if err != nil {
		t.Fatal(err)
	}
	do("open", submit(`#open-ballot`), chromedp.WaitVisible(css(`#close-ballot`)))

	// bob ticks a and b: the running total follows before he casts.
	do("vote page", signIn("bob"), chromedp.Navigate(ballotURL), chromedp.WaitVisible(css(`#budget-running`)))
	if s := text(`#budget-sum-text`); !strings.Contains(s, "cost 0\u00a0EUR of the 100\u00a0EUR budget") {
		t.Errorf("running total before ticking: %q", s)
	}
	do("tick", chromedp.Click(css(`input[name=choice][value=server-upgrade]`)), chromedp.Click(css(`input[name=choice][value=translation-sprint]`)),
		chromedp.Click(css(`input[name=choice][value=meetup-travel]`)))
	if s := text(`#budget-sum-text`); !strings.Contains(s, "120\u00a0EUR, more than the 100\u00a0EUR budget") {
		t.Errorf("running total after ticking 60 + 40 + 20: %q", s)
	}
	shots("budget-vote")
	do("untick", chromedp.Click(css(`input[name=choice][value=meetup-travel]`)))
	do("cast", submit(`#cast-vote`), chromedp.WaitVisible(css(`#cast-receipt`)))
	if s := text(`#budget-sum-text`); !strings.Contains(s, "cost 100\u00a0EUR of the 100\u00a0EUR budget") {
		t.Errorf("running total from the stored vote: %q", s)
	}
	id := ballotURL[strings.LastIndex(ballotURL, "/")+1:]
	bw.expect(t, "cat", "PUT", "/api/v1/ballots/"+id+"/vote", map[string]any{"choice": []string{"server-upgrade", "accessibility-audit"}}, 200, "")
	bw.expect(t, "dan", "PUT", "/api/v1/ballots/"+id+"/vote", map[string]any{"choice": []string{"accessibility-audit", "meetup-travel"}}, 200, "")
	bw.expect(t, "eve", "PUT", "/api/v1/ballots/"+id+"/vote", map[string]any{"choice": []string{}}, 200, "")

	// The board closes it; ann sees the result and her share.
	do("close", chromedp.EmulateViewport(1280, 900), signIn("board"), chromedp.Navigate(ballotURL), submit(`#close-ballot`),
		submit(`#confirm-close`), chromedp.WaitVisible(css(`#result`)))
	do("results", signIn("ann"), chromedp.Navigate(ballotURL+"/results"), chromedp.WaitVisible(css(`#budget-share`)))
	if s := text(`#budget-funded`); !strings.Contains(s, "Server upgrade") || !strings.Contains(s, "Meetup travel") {
		t.Errorf("funded projects: %q", s)
	}
	if s := text(`#budget-share`); !strings.Contains(s, "Your weight 1 went to bob") || !strings.Contains(s, "Server upgrade") {
		t.Errorf("share box: %q", s)
	}
	if s := text(`#prefer-greedy`); s != "1" {
		t.Errorf("voters served better by greedy: %q, want 1 (cat)", s)
	}
	shots("budget-results")

	// The same pages in German.
	do("german", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(bw.TS.URL+"/lang/de"), chromedp.Navigate(ballotURL+"/results"),
		chromedp.WaitVisible(css(`#budget-share`)))
	if s := text(`#budget-share`); !strings.Contains(s, "Wofür Ihr Anteil ausgegeben wurde") {
		t.Errorf("German share box: %q", s)
	}
	shots("budget-results-de")
	do("german ballot page", chromedp.Navigate(ballotURL), chromedp.WaitVisible(css(`#result`)))
	shots("budget-closed-de")
}
