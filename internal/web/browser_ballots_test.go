package web_test

import (
	"crypto/ed25519"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"koinon/internal/proof"
	"koinon/internal/store/storetest"
)

// TestBrowserDelegateVoteCloseVerify drives Chromium: delegate with a
// backup, vote on one ballot of each method, change a vote, close as the
// board, fetch the proof and check it, and see the receipt.
func TestBrowserDelegateVoteCloseVerify(t *testing.T) {
	bw := newBallotWorld(t, storetest.SQLite(t))
	opts := []string{"Ada", "Bea", "Cai"}
	ids := map[string]string{}
	for _, m := range []string{"majority", "plurality", "approval", "irv", "schulze", "stv"} {
		req := map[string]any{"title": "Browser " + m, "method": m}
		if m != "majority" {
			req["options"] = opts
		}
		ids[m] = bw.createOpen(t, req)
	}
	ctx := newBrowser(t)
	signIn := func(handle string) chromedp.Action[chromedp.Void] { return bw.signInAs(t, handle) }
	do := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		browse(t, ctx, what, actions...)
	}
	text := func(sel string) string { t.Helper(); return textOf(t, ctx, sel) }
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	ballot := func(m string) string { return bw.TS.URL + "/ballots/" + ids[m] }

	// Delegate with a backup.
	do("delegate", signIn("ann"),
		chromedp.Navigate(bw.TS.URL+"/delegations?community=commons"),
		chromedp.SendKeys(css(`#scope-c label:nth-of-type(1) input`), "bob"),
		chromedp.SendKeys(css(`#scope-c label:nth-of-type(2) input`), "cat"),
		chromedp.Click(css(`#scope-c button[value=set]`)),
		chromedp.WaitVisible(css(`#scope-c ol.chain`)))
	if chain := text(`#scope-c ol.chain`); !strings.Contains(chain, "bob") || !strings.Contains(chain, "cat") {
		t.Fatalf("delegation chain shows %q, want bob then cat", chain)
	}
	screenshot(t, ctx, "ballots-delegations")

	// Vote on each method as ann.
	submit := clickAndLoad
	cast := submit(`#cast-vote`)
	receipt := chromedp.WaitVisible(css(`#cast-receipt`))
	do("majority", chromedp.Navigate(ballot("majority")), chromedp.Click(css(`input[name=choice][value=yes]`)), cast, receipt)
	screenshot(t, ctx, "ballots-majority-voted")
	first := text(`#cast-receipt`)
	do("change majority", chromedp.Click(css(`input[name=choice][value=no]`)), cast, receipt)
	if text(`#cast-receipt`) == first {
		t.Error("changing the vote kept the same cast receipt")
	}
	do("plurality", chromedp.Navigate(ballot("plurality")), chromedp.Click(css(`input[name=choice][value=bea]`)), cast, receipt)
	do("approval", chromedp.Navigate(ballot("approval")), chromedp.Click(css(`input[name=choice][value=ada]`)),
		chromedp.Click(css(`input[name=choice][value=cai]`)), cast, receipt)
	do("irv", chromedp.Navigate(ballot("irv")),
		chromedp.Click(css(`button[name=add][value=cai]`)), chromedp.WaitVisible(css(`#ranking li[data-key=cai]`)),
		chromedp.Click(css(`button[name=add][value=ada]`)), chromedp.WaitVisible(css(`#ranking li[data-key=ada]`)))
	screenshot(t, ctx, "ballots-irv-ranking")
	do("irv cast", cast, receipt)
	do("schulze", chromedp.Navigate(ballot("schulze")),
		chromedp.SendKeys(css(`input[name=rank_bea]`), "1"), chromedp.SendKeys(css(`input[name=rank_ada]`), "2"),
		chromedp.SendKeys(css(`input[name=rank_cai]`), "2"), cast, receipt)
	do("stv", chromedp.Navigate(ballot("stv")),
		chromedp.Click(css(`button[name=add][value=bea]`)), chromedp.WaitVisible(css(`#ranking li[data-key=bea]`)),
		chromedp.Click(css(`button[name=add][value=ada]`)), chromedp.WaitVisible(css(`#ranking li[data-key=ada]`)),
		chromedp.Click(css(`#ranking li[data-key=ada] button[name=up]`)), cast, receipt)
	if s := text(`.ballots-myvote`); !strings.Contains(s, "Ada > Bea") {
		t.Errorf("stv vote summary %q, want Ada > Bea", s)
	}
	do("schulze page", chromedp.Navigate(ballot("schulze")))
	if s := text(`.ballots-myvote`); !strings.Contains(s, "Bea > Ada = Cai") {
		t.Errorf("schulze vote summary %q", s)
	}
	do("majority page", chromedp.Navigate(ballot("majority")))
	if s := text(`.ballots-myvote`); !strings.Contains(s, "Your vote: No") {
		t.Errorf("changed vote shows %q", s)
	}

	// Close as the board and see the result.
	do("close", signIn("board"), chromedp.Navigate(ballot("majority")), submit(`#close-ballot`),
		submit(`#confirm-close`), chromedp.WaitVisible(css(`#result`)))
	screenshot(t, ctx, "ballots-closed-board")

	// ann fetches the proof the download link points at and sees her receipt.
	do("receipt", signIn("ann"), chromedp.Navigate(ballot("majority")), chromedp.WaitVisible(css(`#my-receipt`)))
	proofText, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch(document.querySelector('#download-proof').href).then(r => r.text())`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if rep := proof.Verify([]byte(proofText), bw.Signer.Key.Public().(ed25519.PublicKey)); !rep.OK {
		t.Fatalf("downloaded proof fails: %+v", rep.Checks)
	}
	if s := text(`#my-receipt`); !strings.Contains(s, "as voter ann") {
		t.Errorf("receipt box says %q", s)
	}
	screenshot(t, ctx, "ballots-receipt")
}

func ptrTo[T any](v T) *T { return &v }
