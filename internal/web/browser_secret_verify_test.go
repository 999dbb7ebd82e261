package web_test

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"koinon"
	"koinon/internal/secret"
	"koinon/internal/store/storetest"
	"koinon/internal/tally"
)

// requireWASM skips (or, with KOINON_REQUIRE_BROWSER=1, fails) a test that
// needs the built WebAssembly module.
func requireWASM(t *testing.T) {
	t.Helper()
	if _, err := fs.Stat(koinon.Assets, "static/wasm/koinon-verify.wasm"); err != nil {
		if os.Getenv("KOINON_REQUIRE_BROWSER") == "1" {
			t.Fatal("static/wasm/koinon-verify.wasm is not built: run `make wasm` before the tests")
		}
		t.Skip("the WebAssembly module is not built (make wasm)")
	}
}

// secretVectorDoc wraps election k of internal/secret's test vectors in a
// koinon-secret-tally/1 document for the method and options given.
func secretVectorDoc(t *testing.T, k int, method string, max int, keys ...string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "secret", "testdata", "vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Elections []struct{ Record json.RawMessage }
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	opts := make([]tally.Option, len(keys))
	for i, k := range keys {
		opts[i] = tally.Option{Key: k, Label: strings.ToUpper(k[:1]) + k[1:]}
	}
	doc, err := json.Marshal(map[string]any{"format": secret.Format, "record": v.Elections[k].Record,
		"ballot": secret.Definition{ID: "ballot-7", Method: method, Options: opts, MaxApprovals: max}})
	if err != nil {
		t.Fatal(err)
	}
	return string(doc)
}

// TestBrowserVerifySecretTally checks secret tallies on /verify: the ten
// numbered checks pass, the decrypted totals are listed in the ballot's
// order of options (a Schulze ballot's as the pairwise matrix), a changed
// count fails at check 10 and shows no counts, in English and German at
// 390 and 1280 px, with no serious axe violation.
func TestBrowserVerifySecretTally(t *testing.T) {
	requireWASM(t)
	ctx := newBrowser(t)
	axe := axeSource(t)
	ts := newServer(t, storetest.SQLite(t))
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	majority := secretVectorDoc(t, 0, "majority", 0, "yes", "no", "abstain")
	files := map[string]string{
		"majority": write("majority.json", majority),
		"schulze":  write("schulze.json", secretVectorDoc(t, 2, "schulze", 0, "ada", "bea", "cai")),
		"bad":      write("bad.json", strings.Replace(majority, `"counts":[3,3,0]`, `"counts":[4,2,0]`, 1)),
	}
	eval := func(js string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	run := func(name, file string) {
		t.Helper()
		eval(`document.getElementById("verify-status").textContent = ""`)
		browse(t, ctx, name, chromedp.SetUploadFiles(chromedp.CSS("#verify-file"), []string{file}),
			chromedp.Poll[chromedp.Void](`document.getElementById("verify-status").textContent !== "" && !document.getElementById("verify-report").hidden`,
				chromedp.WithPollingTimeout(30*time.Second)))
	}
	const rows = `[...document.querySelectorAll("#verify-counts-table tbody tr")].map(r => [...r.children].map(c => c.textContent).join(":")).join(" | ")`
	for _, lang := range []string{"en", "de"} {
		browse(t, ctx, "language", chromedp.Navigate(ts.URL+"/lang/"+lang))
		for _, width := range []int64{390, 1280} {
			name := "verify-secret-" + lang + "-" + itoa(width)
			browse(t, ctx, name, chromedp.EmulateViewport(width, 900), chromedp.Navigate(ts.URL+"/verify"),
				chromedp.Poll[chromedp.Void](`typeof koinonVerify === "function"`, chromedp.WithPollingTimeout(30*time.Second)))

			run(name, files["majority"])
			if got := eval(`[...document.querySelectorAll("#verify-checks li")].map(li => li.value + (li.classList.contains("verify-ok") ? "ok" : "FAIL")).join(" ")`); got != "1ok 2ok 3ok 4ok 5ok 6ok 7ok 8ok 9ok 10ok" {
				t.Errorf("%s: checks %q", name, got)
			}
			if got := eval(rows); got != "Yes (yes):3 | No (no):3 | Abstain (abstain):0" {
				t.Errorf("%s: totals %q", name, got)
			}
			if !strings.Contains(textOf(t, ctx, "#verify-counts h2"), map[string]string{"en": "Decrypted counts", "de": "Entschlüsselte Zählung"}[lang]) {
				t.Errorf("%s: counts heading %q", name, textOf(t, ctx, "#verify-counts h2"))
			}
			checkFits(t, ctx, name)
			checkAxe(t, ctx, axe)
			screenshot(t, ctx, name+"-majority")

			run(name+"-schulze", files["schulze"])
			if got := eval(rows); got != "Ada (ada):—:0:5 | Bea (bea):1:—:5 | Cai (cai):0:0:—" {
				t.Errorf("%s: pairwise %q", name, got)
			}
			checkFits(t, ctx, name+"-schulze")
			checkAxe(t, ctx, axe)
			screenshot(t, ctx, name+"-schulze")

			run(name+"-bad", files["bad"])
			if got := eval(`[...document.querySelectorAll("#verify-checks li")].map(li => li.value + (li.classList.contains("verify-ok") ? "ok" : "FAIL")).join(" ")`); got != "1ok 2ok 3ok 4ok 5ok 6ok 7ok 8ok 9ok 10FAIL" {
				t.Errorf("%s: changed count: checks %q", name, got)
			}
			if eval(`String(document.getElementById("verify-counts").hidden)`) != "true" {
				t.Errorf("%s: a failed tally still shows counts", name)
			}
		}
	}
}
