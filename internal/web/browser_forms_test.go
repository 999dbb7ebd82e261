package web_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"koinon/internal/store/storetest"
)

// TestBrowserCloseAsksFirst: at 390 and 1280 px the board member's close
// control sits below her own vote form, leads to a confirmation page that
// fits the window and says what happens, who voted and the time left;
// "keep it open" keeps it open, and only the confirmation closes.
func TestBrowserCloseAsksFirst(t *testing.T) {
	bw := newBallotWorld(t, storetest.SQLite(t))
	id := bw.createOpen(t, map[string]any{"title": "Close with care", "method": "majority"})
	bw.expect(t, "ann", "PUT", "/api/v1/ballots/"+id+"/vote", map[string]any{"choice": "yes"}, 200, "")
	ctx := newBrowser(t)
	ballot := bw.TS.URL + "/ballots/" + id
	for _, width := range []int64{390, 1280} {
		err := chromedp.Do(ctx, bw.signInAs(t, "board"), chromedp.EmulateViewport(width, 900), chromedp.Navigate(ballot),
			chromedp.WaitVisible(chromedp.CSS(`#close-ballot`)))
		if err != nil {
			t.Fatal(err)
		}
		below, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('#close-ballot').getBoundingClientRect().top >
			document.querySelector('#vote-form').getBoundingClientRect().bottom`))
		if err != nil || !below {
			t.Errorf("%d px: the close control is not below the vote form (%v)", width, err)
		}
		checkFits(t, ctx, fmt.Sprintf("ballot page at %d px", width))
		screenshot(t, ctx, fmt.Sprintf("close-ballot-page-%d", width))
		if err := chromedp.Do(ctx, clickAndLoad(`#close-ballot`), chromedp.WaitVisible(chromedp.CSS(`#confirm-close`))); err != nil {
			t.Fatal(err)
		}
		text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"cannot be undone", "1 of 8 voters on the roll has voted directly", "left"} {
			if !strings.Contains(text, want) {
				t.Errorf("%d px: confirmation page lacks %q", width, want)
			}
		}
		checkFits(t, ctx, fmt.Sprintf("confirmation at %d px", width))
		screenshot(t, ctx, fmt.Sprintf("close-confirm-%d", width))
		if err := chromedp.Do(ctx, clickAndLoad(`#keep-open`), chromedp.WaitVisible(chromedp.CSS(`#vote-form`))); err != nil {
			t.Fatalf("%d px: keep it open: %v", width, err)
		}
	}
	err := chromedp.Do(ctx, clickAndLoad(`#close-ballot`), clickAndLoad(`#confirm-close`), chromedp.WaitVisible(chromedp.CSS(`#result`)))
	if err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "close-done-1280")
}
