package web_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"koinon/internal/store"
	"koinon/internal/store/storetest"
)

// TestBrowserDeliberation: a proposal goes through discussion in
// Chromium (arguments for and against, a reply, a suggestion adopted, a
// revision, the diff between versions, the discussion ended) to a ballot
// that the board opens; pages are checked with axe and at 390 and 1280 px.
func TestBrowserDeliberation(t *testing.T) {
	ctx := newBrowser(t)
	axe := axeSource(t)
	st := storetest.SQLite(t)
	bw := newBallotWorld(t, st)
	ann := bw.W.Citizens["ann"]
	p := store.Proposal{CommunityID: bw.C.ID, AuthorID: ann.ID, Title: "Plant trees on the square",
		Body: "We plant ten trees on the market square.\n\nThe city pays for them."}
	if err := st.CreateProposal(context.Background(), &p); err != nil {
		t.Fatal(err)
	}
	page := bw.TS.URL + "/proposals/" + itoa(p.ID)
	do := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		browse(t, ctx, what, actions...)
	}
	text := func(sel string) string {
		t.Helper()
		// The footer ends the page: once it is there, sel is parsed or absent.
		if err := chromedp.Do(ctx, chromedp.WaitReady(chromedp.CSS(`footer.site`))); err != nil {
			t.Fatal(err)
		}
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const e = document.querySelector(`+strconv.Quote(sel)+`);
			return e ? e.innerText : "MISSING at " + location.pathname + ": " + document.querySelector("main").innerText.slice(0, 300); })()`))
		if err != nil || strings.HasPrefix(s, "MISSING") {
			t.Fatalf("text of %s: %v %s", sel, err, s)
		}
		return s
	}
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }

	// bob argues for, cat against (with Markdown and a script that must
	// not run), bob replies to cat, and cat suggests a change.
	setSession(t, ctx, bw.TS.URL, bw.tok(t, "bob"))
	do("argue for", chromedp.Navigate(page), chromedp.SendKeys(css(`#post-body`), "**Shade** in summer."), clickAndLoad(`#post-form button[type=submit]`))
	setSession(t, ctx, bw.TS.URL, bw.tok(t, "cat"))
	do("argue against", chromedp.Navigate(page), chromedp.Click(css(`#post-form input[value=against]`)),
		chromedp.SendKeys(css(`#post-body`), "Roots break the paving. <script>document.title='owned'</script>"), clickAndLoad(`#post-form button[type=submit]`))
	do("suggest", chromedp.SendKeys(css(`#sugg-body`), "Say which trees: lindens."), clickAndLoad(`#suggestions button[type=submit]`))
	setSession(t, ctx, bw.TS.URL, bw.tok(t, "bob"))
	do("reply", chromedp.Navigate(page), chromedp.Click(css(`#arguments .delib-columns > div:nth-child(2) .delib-reply summary`)),
		chromedp.SendKeys(css(`#arguments .delib-columns > div:nth-child(2) .delib-reply textarea`), "Lindens have deep roots."),
		clickAndLoad(`#arguments .delib-columns > div:nth-child(2) .delib-reply button[type=submit]`))
	do("support cat's argument", clickAndLoad(`#arguments .delib-columns > div:nth-child(2) .delib-actions button`))
	if got := text(`#arguments`); !strings.Contains(got, "Shade in summer.") || !strings.Contains(got, "Lindens have deep roots.") || !strings.Contains(got, "1 supporter") {
		t.Errorf("arguments section reads %q", got)
	}
	if title, _ := chromedp.Run(ctx, chromedp.Title()); title == "owned" {
		t.Error("a posted script ran")
	}

	// ann adopts the suggestion and revises her text.
	setSession(t, ctx, bw.TS.URL, bw.tok(t, "ann"))
	do("adopt", chromedp.Navigate(page), clickAndLoad(`#suggestions input[value=adopted] + button`))
	if got := text(`#suggestions`); !strings.Contains(got, "adopted") {
		t.Errorf("suggestions after adopting: %q", got)
	}
	do("revise", chromedp.Click(css(`#revise summary`)), chromedp.Clear(css(`#rev-body`)),
		chromedp.SendKeys(css(`#rev-body`), "We plant ten lindens on the market square.\n\nThe city pays for them."),
		chromedp.SendKeys(css(`#rev-note`), "Adopted cat's suggestion"), clickAndLoad(`#revise button[type=submit]`))
	if got := text(`.ballots-markdown`); !strings.Contains(got, "ten lindens") {
		t.Errorf("proposal text after revising: %q", got)
	}
	for _, width := range []int64{390, 1280} {
		do("resize", chromedp.EmulateViewport(width, 900))
		checkFits(t, ctx, "proposal page")
		screenshot(t, ctx, "deliberation-proposal-"+itoa(width))
	}
	do("resize", chromedp.EmulateViewport(1280, 900))
	checkAxe(t, ctx, axe)

	// The diff between version 1 and 2.
	do("versions", chromedp.Navigate(page+"/versions"))
	if del, ins := text(`.delib-diff del`), text(`.delib-diff ins`); !strings.Contains(del, "ten trees") || !strings.Contains(ins, "ten lindens") {
		t.Errorf("diff: removed %q, added %q", del, ins)
	}
	checkAxe(t, ctx, axe)
	do("resize", chromedp.EmulateViewport(390, 900))
	checkFits(t, ctx, "versions page")
	screenshot(t, ctx, "deliberation-versions-390")
	do("resize", chromedp.EmulateViewport(1280, 900))

	// Ending the discussion now needs the confirm box.
	do("freeze unconfirmed", chromedp.Navigate(page), chromedp.Click(css(`#phase details summary`)), chromedp.Clear(css(`#end-days`)),
		chromedp.SendKeys(css(`#end-days`), "0"), clickAndLoad(`#phase details button[type=submit]`))
	if got := text(`#phase`); !strings.Contains(got, "cannot be undone") {
		t.Errorf("freezing without the box: %q", got)
	}
	do("freeze", chromedp.Click(css(`#phase input[name=confirm]`)), clickAndLoad(`#phase details button[type=submit]`))
	if got := text(`.delib-now`); !strings.Contains(got, "frozen") {
		t.Errorf("phase after ending the discussion: %q", got)
	}

	// The board puts it to a vote and opens the ballot.
	setSession(t, ctx, bw.TS.URL, bw.tok(t, "board"))
	do("make ballot", chromedp.Navigate(page), clickAndLoad(`a[href*="ballots/new?proposal="]`), chromedp.WaitVisible(css(`#f-closes_at`)))
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { document.querySelector("#ballot-new").closes_at.value = "2099-07-01T10:00"; return ""; })()`)); err != nil {
		t.Fatal(err)
	}
	do("create ballot", clickAndLoad(`#ballot-new button[type=submit]`), clickAndLoad(`#open-ballot`))
	do("back to the proposal", chromedp.Navigate(page))
	if got := text(`.delib-now`); !strings.Contains(got, "voting") {
		t.Errorf("phase after opening the ballot: %q", got)
	}
	if got := text(`.delib-phases li[aria-current]`); !strings.Contains(got, "Voting") || !strings.Contains(got, "Jul 1, 2099") {
		t.Errorf("current phase reads %q, want Voting with the closing date", got)
	}
	for _, width := range []int64{390, 1280} {
		do("resize", chromedp.EmulateViewport(width, 900))
		checkFits(t, ctx, "proposal in voting")
		screenshot(t, ctx, "deliberation-voting-"+itoa(width))
	}
	checkAxe(t, ctx, axe)

	// In German too.
	do("german", chromedp.Navigate(bw.TS.URL+"/lang/de"), chromedp.Navigate(page))
	if got := text(`.delib-now`); !strings.Contains(got, "Abstimmung") {
		t.Errorf("German phase: %q", got)
	}
	screenshot(t, ctx, "deliberation-voting-de-1280")

	// ann's delegate profile: she writes what she stands for and accepts
	// infra; the search by topic finds her.
	setSession(t, ctx, bw.TS.URL, bw.tok(t, "ann"))
	do("english", chromedp.Navigate(bw.TS.URL+"/lang/en"))
	do("profile", chromedp.Navigate(bw.TS.URL+"/communities/commons/delegates/ann"),
		chromedp.SendKeys(css(`#profile-statement`), "Trees, *shade* and quiet streets."),
		chromedp.Click(css(`#profile-form input[name=topic]`)), clickAndLoad(`#profile-form button[type=submit]`))
	if got := text(`#statement`); !strings.Contains(got, "shade") {
		t.Errorf("statement after saving: %q", got)
	}
	for _, width := range []int64{390, 1280} {
		do("resize", chromedp.EmulateViewport(width, 900))
		checkFits(t, ctx, "delegate profile")
		screenshot(t, ctx, "delegate-profile-"+itoa(width))
	}
	checkAxe(t, ctx, axe)
	do("search", chromedp.Navigate(bw.TS.URL+"/communities/commons/delegates?topic=infra"))
	if got := text(`#delegates`); !strings.Contains(got, "ann") {
		t.Errorf("search by topic: %q", got)
	}
	checkAxe(t, ctx, axe)
	screenshot(t, ctx, "delegate-search-1280")
}
