package web_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"koinon/internal/store/storetest"
)

// axeSource returns axe-core's axe.min.js, vendored under
// testdata/axe-core (version in its first line, licence beside it), so the
// scan needs no network and always runs the same rules.
func axeSource(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "axe-core", "axe.min.js"))
	if err != nil {
		t.Fatalf("axe-core: %v", err)
	}
	return string(b)
}

type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any  `json:"target"`
		HTML   string `json:"html"`
	} `json:"nodes"`
}

// axeScan injects axe-core through DevTools (the page's CSP allows scripts
// from 'self' only, but Runtime.evaluate is not subject to it) and returns
// the violations of WCAG 2.x A and AA rules.
func axeScan(t *testing.T, ctx context.Context, axe string) []axeViolation {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](axe)); err != nil {
		t.Fatalf("inject axe: %v", err)
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}}).then(r => JSON.stringify({violations: r.violations, passes: r.passes.length}))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("axe.run: %v", err)
	}
	var out struct {
		Violations []axeViolation `json:"violations"`
		Passes     int            `json:"passes"`
	}
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		t.Fatal(err)
	}
	if out.Passes == 0 {
		t.Fatalf("axe checked no rule: the scan did not run")
	}
	return out.Violations
}

// checkAxe fails the test on every serious or critical axe violation of
// the current page and logs the others.
func checkAxe(t *testing.T, ctx context.Context, axe string) {
	t.Helper()
	for _, v := range axeScan(t, ctx, axe) {
		if v.Impact != "serious" && v.Impact != "critical" {
			t.Logf("axe (%s) %s: %s", v.Impact, v.ID, v.Help)
			continue
		}
		var where []string
		for _, n := range v.Nodes {
			where = append(where, n.HTML)
		}
		t.Errorf("axe %s violation %s: %s\n  %s", v.Impact, v.ID, v.Help, strings.Join(where, "\n  "))
	}
}

func TestBrowserResultPages(t *testing.T) {
	ctx := newBrowser(t)
	axe := axeSource(t)
	st := storetest.SQLite(t)
	f := newResultsFixture(t, st)
	ts, token := resultsServer(t, st)

	// Sign in as eve (two hops from ann) through the session cookie.
	setSession(t, ctx, ts.URL, token(f.C.W.Citizens["eve"]))

	pages := map[string]string{
		"results-majority":  "/ballots/" + itoa(f.Ballots["Adopt the code of conduct"].ID) + "/results",
		"results-plurality": "/ballots/" + itoa(f.Ballots["Pick a logo"].ID) + "/results",
		"results-approval":  "/ballots/" + itoa(f.Ballots["Meeting days"].ID) + "/results",
		"results-irv":       "/ballots/" + itoa(f.Ballots["Chair"].ID) + "/results",
		"results-stv-meek":  "/ballots/" + itoa(f.Ballots["Board election"].ID) + "/results",
		"results-stv-scot":  "/ballots/" + itoa(f.Ballots["Board election (Scottish rules)"].ID) + "/results",
		"results-schulze":   "/ballots/" + itoa(f.Ballots["Roadmap priorities"].ID) + "/results",
		"results-pseudo":    "/ballots/" + itoa(f.Ballots["Budget"].ID) + "/results",
		"audit-irv":         "/ballots/" + itoa(f.Ballots["Chair"].ID) + "/audit",
		"history":           "/c/commons/history",
	}
	for name, path := range pages {
		t.Run(name, func(t *testing.T) {
			if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+path)); err != nil {
				t.Fatal(err)
			}
			h1, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
			if err != nil || h1 == "" {
				t.Fatalf("no h1: %v", err)
			}
			// Every chart has a text alternative the browser exposes.
			missing, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("svg")].filter(s =>
				s.getAttribute("role") !== "img" || !s.querySelector("title")?.textContent.trim() || !s.querySelector("desc")?.textContent.trim()
			).map(s => s.outerHTML.slice(0, 120))`))
			if err != nil {
				t.Fatal(err)
			}
			if len(missing) > 0 {
				t.Errorf("charts without text alternatives: %v", missing)
			}
			if strings.HasPrefix(name, "results-") {
				mine, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("section.myvote")))
				if err != nil || !strings.Contains(mine, "What happened to my vote") {
					t.Errorf("no 'what happened to my vote' for the signed-in citizen: %v %q", err, mine)
				}
			}
			if p := screenshot(t, ctx, name); p != "" {
				t.Logf("screenshot %s", p)
			}
			checkAxe(t, ctx, axe)
		})
	}
}
