package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"koinon/internal/store/storetest"
)

// TestBrowserPseudonymousBallotSaysWhatItReveals: on an open pseudonymous
// ballot, at 390 and 1280 px and in English and German, the voter's page
// says what a delegator and a delegate can learn, shows her receipt nonce,
// and no live weights; nothing overflows the width.
func TestBrowserPseudonymousBallotSaysWhatItReveals(t *testing.T) {
	bw := newBallotWorld(t, storetest.SQLite(t))
	id := bw.createOpen(t, map[string]any{"title": "Pseudonymous budget", "method": "majority", "secrecy": "pseudonymous"})
	resp := bw.expect(t, "cat", "PUT", "/api/v1/ballots/"+id+"/vote", map[string]any{"choice": "yes"}, 200, "")
	nonce := resp["receipt_nonce"].(string)
	ctx := newBrowser(t)
	signIn := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, network.SetCookie, network.SetCookieParams{Name: "koinon_session", Value: bw.tok(t, "cat"), URL: bw.TS.URL + "/", HTTPOnly: ptrTo(true)})
		return err
	})
	if err := chromedp.Do(ctx, signIn); err != nil {
		t.Fatal(err)
	}
	for _, lang := range []struct{ code, delegators, open string }{
		{"en", "LiquidFeedback", "no one can see who voted directly"},
		{"de", "LiquidFeedback", "kann niemand sehen, wer direkt abgestimmt hat"},
	} {
		for _, width := range []int64{390, 1280} {
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 900), chromedp.Navigate(bw.TS.URL+"/lang/"+lang.code),
				chromedp.Navigate(bw.TS.URL+"/ballots/"+id), chromedp.WaitVisible(chromedp.CSS(".ballots-secrecy"))); err != nil {
				t.Fatalf("%s %d: %v", lang.code, width, err)
			}
			text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{lang.delegators, lang.open, nonce} {
				if !strings.Contains(text, want) {
					t.Errorf("%s at %d px: page lacks %q", lang.code, width, want)
				}
			}
			if strings.Contains(text, "weight 1 ·") || strings.Contains(text, "Gewicht 1 ·") {
				t.Errorf("%s at %d px: live weights on a pseudonymous ballot", lang.code, width)
			}
			over, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
			if err != nil || over {
				t.Errorf("%s at %d px: page overflows its width (%v)", lang.code, width, err)
			}
			screenshot(t, ctx, "pseudonymous-"+lang.code+"-"+map[int64]string{390: "390", 1280: "1280"}[width])
		}
	}
}
