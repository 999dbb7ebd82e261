package web_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

const chromiumPath = "/usr/bin/chromium"

// newBrowser starts headless Chromium for one test, or skips the test
// when Chromium is missing (fails instead when KOINON_REQUIRE_BROWSER=1).
//
// chromedp v0.23 has a generic API: run steps with
// chromedp.Do(ctx, chromedp.Navigate(u), chromedp.Click(chromedp.CSS("button"))),
// read values with v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1"))).
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	return newBrowserFor(t, 3*time.Minute)
}

// newBrowserFor is newBrowser for a test that may take up to d (a long
// story in one browser profile).
func newBrowserFor(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("KOINON_REQUIRE_BROWSER") == "1" {
			t.Fatalf("KOINON_REQUIRE_BROWSER=1 but %s is missing", chromiumPath)
		}
		t.Skip("browser tests skipped: no " + chromiumPath)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, d)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// screenshot saves a full-page PNG under the test's temp dir and, when
// KOINON_SCREENSHOTS names a folder, there too.
func screenshot(t *testing.T, ctx context.Context, name string) string {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(t.TempDir(), name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("KOINON_SCREENSHOTS"); dir != "" {
		os.MkdirAll(dir, 0o755)
		os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
	}
	return path
}

// signInAs puts handle's session cookie into the browser.
func (bw *ballotWorld) signInAs(t *testing.T, handle string) chromedp.Action[chromedp.Void] {
	return sessionCookie(bw.TS.URL, bw.tok(t, handle))
}

// sessionCookie puts the session token tok for the server at base into
// the browser.
func sessionCookie(base, tok string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, network.SetCookie, network.SetCookieParams{Name: "koinon_session", Value: tok, URL: base + "/", HTTPOnly: ptrTo(true)})
		return err
	})
}

// clickAndLoad clicks sel, which loads a new page, and waits until that
// page has loaded: the old body is marked first, so that waiting cannot
// match it, and a page still loading may yet replace the nodes a query
// finds in it.
func clickAndLoad(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(markStale(), chromedp.Click(chromedp.CSS(sel)),
		chromedp.WaitReady(chromedp.CSS(`body:not([data-stale])`)),
		chromedp.Poll[chromedp.Void](`document.readyState === "complete" && !document.body.dataset.stale`))
}

// markStale marks the current page's body, so that a wait for
// body:not([data-stale]) matches only the next page.
func markStale() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Evaluate[string](`document.body.dataset.stale = "1"`)(ctx, tg)
		return err
	})
}

// browse runs actions in the browser and fails the test, naming what,
// when one fails.
func browse(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// textOf returns the text of the first element sel matches. A node the
// browser replaced between the query and the read (its document was still
// being updated) is looked up again, a few times.
func textOf(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	for try := 0; try < 5 && err != nil && strings.Contains(err.Error(), "No node with given id"); try++ {
		time.Sleep(100 * time.Millisecond)
		s, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	}
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// checkFits fails the test when the page is wider than the window, naming
// the elements that stick out.
func checkFits(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	if over, where := pageOverflow(t, ctx); over > 0 {
		t.Errorf("%s is %d px wider than the window; sticking out: %v", what, over, where)
	}
}

// pageOverflow returns how many CSS pixels the page is wider than the
// window (0 when it fits), and the widest elements that stick out.
func pageOverflow(t *testing.T, ctx context.Context) (int, []string) {
	t.Helper()
	var out struct {
		Over  int      `json:"over"`
		Where []string `json:"where"`
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify({
		over: Math.max(0, document.documentElement.scrollWidth - window.innerWidth),
		where: [...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
			&& !e.parentElement.closest(".scroll, .table-scroll") ).slice(0, 8)
			.map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className && typeof e.className === "string" ? "." + e.className.trim().replace(/\s+/g, ".") : "") + (e.tagName === "TABLE" && e.caption ? " (" + e.caption.textContent.trim().slice(0, 40) + ")" : "") + " right=" + Math.round(e.getBoundingClientRect().right))})`))
	if err != nil {
		t.Fatalf("measure width: %v", err)
	}
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		t.Fatal(err)
	}
	return out.Over, out.Where
}
