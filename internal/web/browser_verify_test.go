package web_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"koinon"
	"koinon/internal/store/storetest"
)

// TestBrowserVerifyPage picks a sealed proof and a tampered copy on /verify:
// the WebAssembly verifier runs in the page and reports a pass, then the
// failure at check 5 (the result no longer matches the inputs).
func TestBrowserVerifyPage(t *testing.T) {
	if _, err := fs.Stat(koinon.Assets, "static/wasm/koinon-verify.wasm"); err != nil {
		if os.Getenv("KOINON_REQUIRE_BROWSER") == "1" {
			t.Fatal("static/wasm/koinon-verify.wasm is not built: run `make wasm` before the tests")
		}
		t.Skip("the WebAssembly verifier is not built (make wasm)")
	}
	ctx := newBrowser(t)
	st := storetest.SQLite(t)
	f := newResultsFixture(t, st)
	ts, _ := resultsServer(t, st)

	b := f.Ballots["Chair"]
	dir := t.TempDir()
	good := filepath.Join(dir, "proof.json")
	if err := os.WriteFile(good, []byte(*b.ProofJSON), 0o644); err != nil {
		t.Fatal(err)
	}
	// Move one unit of weight in the published result: a hand-edited total.
	tampered := strings.Replace(*b.ProofJSON, `"eligible":`, `"eligible":1`, 1)
	if tampered == *b.ProofJSON {
		t.Fatal("could not tamper with the proof")
	}
	bad := filepath.Join(dir, "tampered.json")
	if err := os.WriteFile(bad, []byte(tampered), 0o644); err != nil {
		t.Fatal(err)
	}

	check := func(file, name, want string) string {
		t.Helper()
		waitStatus := func(prefix string) {
			t.Helper()
			js := `document.getElementById("verify-status").textContent.startsWith("` + prefix + `")`
			if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
				t.Fatalf("%s: waiting for %q: %v", name, prefix, err)
			}
		}
		if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/verify"), chromedp.WaitVisible(chromedp.CSS("#verify-file"))); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		waitStatus("Ready")
		if err := chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.CSS("#verify-file"), []string{file})); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		waitStatus("Done")
		summary, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#verify-summary")))
		if err != nil {
			t.Fatal(err)
		}
		checks, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#verify-checks")))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(summary, want) {
			t.Errorf("%s: summary %q, want %q; checks:\n%s", name, summary, want, checks)
		}
		screenshot(t, ctx, name)
		return checks
	}
	check(good, "verify-pass", "verified: every check passed")
	checks := check(bad, "verify-tampered", "NOT verified")
	if !strings.Contains(checks, "FAILED — check 5") {
		t.Errorf("tampered proof: want a failure at check 5, got:\n%s", checks)
	}

	// The script's texts follow the page's language.
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/lang/de")); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/verify"), chromedp.WaitVisible(chromedp.CSS("#verify-file"))); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById("verify-status").textContent.startsWith("Bereit")`,
		chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("German status: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.CSS("#verify-file"), []string{bad})); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById("verify-summary").textContent.startsWith("Beweis NICHT")`,
		chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("German summary: %v", err)
	}
	screenshot(t, ctx, "verify-tampered-de")
}
