package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"koinon/internal/store/storetest"
)

// TestBrowserBoardOffer: the roll shows an offered board seat as offered,
// and the offered citizen's profile shows the offer with accept and
// decline, in English and German at 390 and 1280 px without overflow;
// accepting it says so.
func TestBrowserBoardOffer(t *testing.T) {
	ts := newServer(t, storetest.SQLite(t))
	u := ts.URL
	ann, eve := register(t, u, "ann"), register(t, u, "eve")
	if s, m, _ := call(t, u, "POST", "/api/v1/communities", ann, map[string]any{"slug": "club", "name": "The Club"}); s != 201 {
		t.Fatalf("create = %d %v", s, m)
	}
	if s, m, _ := call(t, u, "POST", "/api/v1/communities/club/members", ann, map[string]any{"handle": "eve", "role": "board", "weight": 1}); s != 202 {
		t.Fatalf("offer = %d %v", s, m)
	}
	ctx := newBrowser(t)
	as := func(tok string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, network.SetCookie, network.SetCookieParams{Name: "koinon_session", Value: tok, URL: u + "/", HTTPOnly: ptrTo(true)})
			return err
		})
	}
	look := func(lang, path, selector, name string, want ...string) {
		t.Helper()
		for _, width := range []int64{390, 1280} {
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 900), chromedp.Navigate(u+"/lang/"+lang),
				chromedp.Navigate(u+path), chromedp.WaitVisible(chromedp.CSS(selector))); err != nil {
				t.Fatalf("%s %s %d: %v", lang, path, width, err)
			}
			text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range want {
				if !strings.Contains(text, w) {
					t.Errorf("%s %s at %d px: lacks %q", lang, path, width, w)
				}
			}
			over, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
			if err != nil || over {
				wide, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 5).map(e => e.tagName + "." + e.className).join(" ")`))
				t.Errorf("%s %s at %d px: overflows its width (%v): %s", lang, path, width, err, wide)
			}
			screenshot(t, ctx, fmt.Sprintf("%s-%s-%d", name, lang, width))
		}
	}
	if err := chromedp.Do(ctx, as(ann)); err != nil {
		t.Fatal(err)
	}
	look("en", "/communities/club/roll", "#roll-offers", "offer-roll", "Board seats offered", "board seat offered", "eve")
	look("de", "/communities/club/roll", "#roll-offers", "offer-roll", "Angebotene Vorstandssitze", "Vorstandssitz angeboten", "eve")
	if err := chromedp.Do(ctx, as(eve)); err != nil {
		t.Fatal(err)
	}
	look("en", "/profile", "#profile-offers", "offer-profile", "The board of The Club, with voting weight 1", "Accept the seat", "Decline")
	look("de", "/profile", "#profile-offers", "offer-profile", "Der Vorstand von The Club, mit Stimmgewicht 1", "Sitz annehmen", "Ablehnen")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`form[action$="/accept"] button`)), chromedp.WaitVisible(chromedp.CSS(".flash"))); err != nil {
		t.Fatal(err)
	}
	flash, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".flash")))
	if err != nil || !strings.Contains(flash, "Sie gehören jetzt dem Vorstand von The Club an.") {
		t.Errorf("after accepting: flash %q, %v", flash, err)
	}
}
