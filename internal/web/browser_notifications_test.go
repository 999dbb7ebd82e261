package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"koinon/internal/store/storetest"
)

// TestBrowserBellAndNotifications: the bell shows the unread count in the
// header, the page lists the notifications with working links, and
// marking them read empties the bell; at 390 and 1280 px, English and
// German.
func TestBrowserBellAndNotifications(t *testing.T) {
	bw := newBallotWorld(t, storetest.SQLite(t))
	// Three notifications for ann: a ballot opens, bob's vote, the result.
	bw.expect(t, "ann", "PUT", "/api/v1/delegations", map[string]any{"community": "commons", "delegates": []string{"bob"}}, 200, "")
	id := bw.createOpen(t, map[string]any{"title": "Adopt the charter", "method": "majority", "delegation": true, "secrecy": "public"})
	bw.expect(t, "bob", "PUT", "/api/v1/ballots/"+id+"/vote", map[string]any{"choice": "yes"}, 200, "")
	bw.closeAndNotify(t, id)

	ctx := newBrowser(t)
	do := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		browse(t, ctx, what, actions...)
	}
	text := func(sel string) string { t.Helper(); return textOf(t, ctx, sel) }
	shots := func(name string) {
		t.Helper()
		for _, w := range []int64{390, 1280} {
			do("viewport", chromedp.EmulateViewport(w, 900))
			checkFits(t, ctx, name)
			screenshot(t, ctx, name+"-"+map[int64]string{390: "390", 1280: "1280"}[w])
		}
	}

	do("home", bw.signInAs(t, "ann"), chromedp.Navigate(bw.TS.URL+"/"))
	if got := text("header .bell .count"); got != "3" {
		t.Errorf("bell count = %q, want 3", got)
	}
	shots("notify-bell")
	do("page", clickAndLoad("header .bell"))
	list := text("ul.notifications")
	for _, want := range []string{"Voting has opened on “Adopt the charter”", "Your delegate bob (@bob) voted on “Adopt the charter”: Yes", "The result of “Adopt the charter” is counted and sealed"} {
		if !strings.Contains(list, want) {
			t.Errorf("notifications page lacks %q:\n%s", want, list)
		}
	}
	shots("notify-page")
	do("mark one read", clickAndLoad("ul.notifications li.unread button.link"))
	if got := text("header .bell .count"); got != "2" {
		t.Errorf("after marking one read the bell shows %q, want 2", got)
	}
	do("follow a link", clickAndLoad("ul.notifications li a"))
	if h := text("h1"); !strings.Contains(h, "Adopt the charter") {
		t.Errorf("the notification's link led to %q", h)
	}
	do("german", chromedp.Navigate(bw.TS.URL+"/lang/de"), chromedp.Navigate(bw.TS.URL+"/notifications"))
	if h := text("h1"); h != "Benachrichtigungen" {
		t.Errorf("German heading = %q", h)
	}
	shots("notify-page-de")
	do("mark all read", clickAndLoad("form.notify-all button"))
	do("profile", chromedp.Navigate(bw.TS.URL+"/lang/en"), chromedp.Navigate(bw.TS.URL+"/profile"), clickAndLoad(`a[href="/notifications#notify-settings"]`))
	if h := text("#notify-settings"); h != "Mail settings" {
		t.Errorf("the profile's link leads to %q, want the mail settings", h)
	}
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("header .bell .count").length`))
	if err != nil || n != 0 {
		t.Errorf("after marking all read: %d bell counts (%v), want none", n, err)
	}
}
