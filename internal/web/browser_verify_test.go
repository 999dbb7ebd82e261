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
)

// TestBrowserVerifyPage checks proofs and a receipt on /verify at 390 and
// 1280 px: the WebAssembly verifier runs in the page; a pass and a failure
// each get their own banner (colour, icon and words), only the checks that
// ran are listed, totals keep the ballot's order of options, the receipt's
// vote reads as a sentence, nothing is wider than the window, and axe-core
// finds no serious violation in the reports.
func TestBrowserVerifyPage(t *testing.T) {
	if _, err := fs.Stat(koinon.Assets, "static/wasm/koinon-verify.wasm"); err != nil {
		if os.Getenv("KOINON_REQUIRE_BROWSER") == "1" {
			t.Fatal("static/wasm/koinon-verify.wasm is not built: run `make wasm` before the tests")
		}
		t.Skip("the WebAssembly verifier is not built (make wasm)")
	}
	ctx := newBrowser(t)
	axe := axeSource(t)
	w := newPagesWorld(t)

	dir := t.TempDir()
	write := func(name, text string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("proof.json", w.LongProof)
	// A hand-edited total: the recount (check 5) no longer matches.
	tampered := strings.Replace(w.LongProof, `"eligible":`, `"eligible":1`, 1)
	if tampered == w.LongProof {
		t.Fatal("could not tamper with the proof")
	}
	bad := write("tampered.json", tampered)
	status, _, receipt := get(t, w.TS.URL+"/api/v1"+w.Long+"/receipt", w.Token("bob"))
	if status != 200 {
		t.Fatalf("receipt: %d %s", status, receipt)
	}
	rc := write("receipt.json", receipt)

	eval := func(js string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	waitStatus := func(name, prefix string) {
		t.Helper()
		js := `document.getElementById("verify-status").textContent.startsWith("` + prefix + `")`
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
			t.Fatalf("%s: waiting for %q: %v (status %q)", name, prefix, err, eval(`document.getElementById("verify-status").textContent`))
		}
	}
	open := func(name string, width int64, ready string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 900), chromedp.Navigate(w.TS.URL+"/verify"),
			chromedp.WaitVisible(chromedp.CSS("#verify-file"))); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		waitStatus(name, ready)
	}
	choose := func(name, sel, file, done string) {
		t.Helper()
		// Clear the status first: the previous run's "Done" must not count.
		eval(`document.getElementById("verify-status").textContent = ""`)
		if err := chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.CSS(sel), []string{file})); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		waitStatus(name, done)
	}
	fits := func(name string) {
		t.Helper()
		checkFits(t, ctx, name)
		screenshot(t, ctx, name)
	}

	for _, width := range []int64{390, 1280} {
		px := itoa(width)
		open("verify-"+px, width, "Ready")
		if b := eval(`document.getElementById("verify-run").textContent`); b != "Check" {
			t.Errorf("button before the first run says %q, want Check", b)
		}
		choose("pass-"+px, "#verify-file", good, "Done")
		if got := eval(`document.getElementById("verify-outcome").className + " | " + document.getElementById("verify-icon").textContent + " | " + document.getElementById("verify-summary").textContent`); got != "verify-outcome pass | ✓ | Proof verified: every check passed" {
			t.Errorf("pass banner: %q", got)
		}
		if b := eval(`document.getElementById("verify-run").textContent`); b != "Check again" {
			t.Errorf("button after a run says %q, want Check again", b)
		}
		if n := eval(`String(document.querySelectorAll("#verify-checks li.verify-ok").length) + "/" + document.querySelectorAll("#verify-checks li").length`); n != "6/6" {
			t.Errorf("passing proof lists %s checks passed, want 6/6", n)
		}
		if order := eval(`[...document.querySelectorAll("#verify-totals tbody th")].map(th => th.textContent.split(" (")[0].split(",")[0].split("-")[0]).join(" | ")`); order != "Caileanachadh | Ada Lovelace | Bea" {
			t.Errorf("totals in the order %q, want the ballot's (cai, ada, bea)", order)
		}
		fits("verify-pass-" + px)

		choose("fail-"+px, "#verify-file", bad, "Done")
		if got := eval(`document.getElementById("verify-outcome").className + " | " + document.getElementById("verify-icon").textContent + " | " + document.getElementById("verify-summary").textContent`); got != "verify-outcome fail | ✗ | Proof NOT verified: a check failed" {
			t.Errorf("fail banner: %q", got)
		}
		// Checks 1–4 passed, 5 failed, 6 did not run and is not listed.
		if got := eval(`[...document.querySelectorAll("#verify-checks li")].map(li => li.value + (li.classList.contains("verify-ok") ? "ok" : "FAIL")).join(" ")`); got != "1ok 2ok 3ok 4ok 5FAIL" {
			t.Errorf("checks listed: %q", got)
		}
		if eval(`String(document.getElementById("verify-stopped").hidden)`) != "false" {
			t.Error("the failure does not say that later checks did not run")
		}
		fits("verify-fail-" + px)
		checkAxe(t, ctx, axe)

		open("receipt-"+px, width, "Ready")
		choose("receipt-proof-"+px, "#verify-proof-file", good, "Proof read")
		choose("receipt-"+px, "#verify-file", rc, "Done")
		if got := eval(`document.getElementById("verify-leaf-vote").textContent`); got != "bob voted Caileanachadh-Mhicfhionnlaigh-Ghilleasbuig." {
			t.Errorf("receipt's vote reads %q", got)
		}
		if eval(`document.getElementById("verify-outcome").className`) != "verify-outcome pass" {
			t.Errorf("receipt: %s", eval(`document.getElementById("verify-report").innerText`))
		}
		fits("verify-receipt-" + px)
		checkAxe(t, ctx, axe)
	}

	// The script's texts follow the page's language.
	if err := chromedp.Do(ctx, chromedp.Navigate(w.TS.URL+"/lang/de")); err != nil {
		t.Fatal(err)
	}
	open("verify-de", 390, "Bereit")
	if b := eval(`document.getElementById("verify-run").textContent`); b != "Prüfen" {
		t.Errorf("German button says %q", b)
	}
	choose("verify-de", "#verify-file", bad, "Fertig")
	if s := eval(`document.getElementById("verify-summary").textContent`); !strings.HasPrefix(s, "Nachweis NICHT") {
		t.Errorf("German summary %q", s)
	}
	screenshot(t, ctx, "verify-tampered-de")
}
