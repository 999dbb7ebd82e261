package web_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"koinon/internal/store/storetest"
)

// TestBrowserVerifyLargeProof times the in-browser verifier on a large
// sealed proof (target: 100,000 voters in under 5 s). It runs when
// KOINON_VERIFY_PROOF names the file, made by
//
//	KOINON_GEN_DOC=/tmp/p100k.json KOINON_GEN_VOTERS=100000 KOINON_GEN_SEAL=1 \
//	  go test ./internal/proof -run TestWriteLargeDocument -count=1
func TestBrowserVerifyLargeProof(t *testing.T) {
	file := os.Getenv("KOINON_VERIFY_PROOF")
	if file == "" {
		t.Skip("set KOINON_VERIFY_PROOF to a sealed proof file")
	}
	ctx := newBrowser(t)
	ts := newServer(t, storetest.SQLite(t))
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/verify"), chromedp.WaitVisible(chromedp.CSS("#verify-file"))); err != nil {
		t.Fatal(err)
	}
	ready := `document.getElementById("verify-status").textContent.startsWith("Ready")`
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](ready, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatal(err)
	}
	// Trust the key that sealed this proof (the page prefills this test
	// server's key; wait for that, then replace it).
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Signer struct {
			PublicKey string `json:"public_key"`
		} `json:"signer"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	prefilled := `document.getElementById("verify-key").value !== ""`
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](prefilled, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatal(err)
	}
	key, _ := json.Marshal(doc.Signer.PublicKey)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("verify-key").value = `+string(key))); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.CSS("#verify-file"), []string{file})); err != nil {
		t.Fatal(err)
	}
	done := `document.getElementById("verify-summary").textContent.startsWith("Proof ")`
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](done, chromedp.WithPollingTimeout(60*time.Second), chromedp.WithPollingInterval(20*time.Millisecond))); err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	summary, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#verify-summary")))
	checks, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#verify-checks")))
	t.Logf("in-browser verification of %s: %s (%s)", file, elapsed.Round(time.Millisecond), summary)
	if !strings.Contains(summary, "every check passed") {
		t.Errorf("the proof did not verify in the browser:\n%s", checks)
	}
	if elapsed > 5*time.Second {
		t.Errorf("in-browser verification took %s, target < 5 s", elapsed)
	}
	screenshot(t, ctx, "verify-large")
}
