package web_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"koinon/internal/store/storetest"
)

// TestBrowserCommunityAndRoll: sign up, sign out, sign in, create a
// community, import a roll (preview, then confirm) and see the roll.
func TestBrowserCommunityAndRoll(t *testing.T) {
	ts := newServer(t, storetest.SQLite(t))
	ctx := newBrowser(t)
	csv := filepath.Join(t.TempDir(), "roll.csv")
	if err := os.WriteFile(csv, []byte("handle,email,display_name,role,weight\nbea,bea@example.org,Bea Example,member,2\ncarl,carl@example.org,Carl Example,auditor,0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	err := chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/signup"),
		chromedp.SendKeys(css("#f-handle"), "ada"),
		chromedp.SendKeys(css("#f-display_name"), "Ada Lovelace"),
		chromedp.SendKeys(css("#f-email"), "ada@example.org"),
		chromedp.SendKeys(css("#f-password"), "correct horse battery"),
		chromedp.Click(css(`form[action="/signup"] button[type=submit]`)),
		chromedp.WaitVisible(css(`header form[action="/signout"] button`)),
		chromedp.Click(css(`header form[action="/signout"] button`)),
		chromedp.WaitVisible(css(`header a[href="/signin"]`)),
		chromedp.Navigate(ts.URL+"/signin"),
		chromedp.SendKeys(css("#f-handle"), "ada"),
		chromedp.SendKeys(css("#f-password"), "correct horse battery"),
		chromedp.Click(css(`form[action="/signin"] button[type=submit]`)),
		chromedp.WaitVisible(css(`header a[href="/profile"]`)),
		chromedp.Navigate(ts.URL+"/communities/new"),
		chromedp.SendKeys(css("#f-name"), "Open Seeds"),
		chromedp.SendKeys(css("#f-slug"), "open-seeds"),
		chromedp.SendKeys(css("#f-description"), "A seed library run by its members."),
		chromedp.Click(css(`form[action="/communities"] button[type=submit]`)),
		chromedp.WaitVisible(css(`a[href="/communities/open-seeds/roll"]`)),
		chromedp.Click(css(`a[href="/communities/open-seeds/roll"]`)),
		chromedp.WaitVisible(css(`#f-file`)),
		chromedp.SetUploadFiles(css(`#f-file`), []string{csv}),
		chromedp.Click(css(`form[action="/communities/open-seeds/roll/import"] button[type=submit]`)),
		chromedp.WaitVisible(css(`#confirm-import`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	summary, err := chromedp.Run(ctx, chromedp.Text(css(`p.lead`)))
	if err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "roll-import-preview")
	if !strings.Contains(summary, "New citizens to invite: 2") {
		t.Errorf("preview summary = %q", summary)
	}
	if err := chromedp.Do(ctx, chromedp.Click(css(`#confirm-import`)), chromedp.WaitVisible(css(`table.roll`))); err != nil {
		t.Fatal(err)
	}
	roll, err := chromedp.Run(ctx, chromedp.Text(css(`table.roll`)))
	if err != nil {
		t.Fatal(err)
	}
	url, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "roll")
	if !strings.HasSuffix(url, "/communities/open-seeds/roll") {
		t.Errorf("after confirm at %s", url)
	}
	for _, want := range []string{"ada", "bea", "Bea Example", "carl", "auditor"} {
		if !strings.Contains(roll, want) {
			t.Errorf("roll lacks %q:\n%s", want, roll)
		}
	}
}
