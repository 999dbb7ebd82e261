package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"koinon/internal/store/storetest"
)

func TestBrowserHomePage(t *testing.T) {
	ts := newServer(t, storetest.SQLite(t))
	ctx := newBrowser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/")); err != nil {
		t.Fatal(err)
	}
	heading, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(heading, "Decide together") {
		t.Errorf("home heading = %q", heading)
	}
	screenshot(t, ctx, "home")
}
