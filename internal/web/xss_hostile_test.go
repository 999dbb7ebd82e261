package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"koinon"
	"koinon/internal/domain"
	"koinon/internal/store"
	"koinon/internal/store/storetest"
	"koinon/internal/web"
	"koinon/internal/web/resultstest"
)

// xssPayloads would each set window.__xss (or the page title) if the
// browser ran them. They go into a community description, a display name,
// a proposal's title and Markdown body, and a ballot's title and
// description. (Issue 9, internal/reliability has the other hostile tests.)
var xssPayloads = []string{
	`<script>window.__xss="script";document.title="pwned"</script>`,
	`<img src=x onerror="window.__xss='img'">`,
	`<svg onload="window.__xss='svg'"></svg>`,
	`"><script>window.__xss="attr"</script>`,
	`[click me](javascript:window.__xss='link')`,
	`<a href="javascript:window.__xss='a'">a</a>`,
	`<iframe src="javascript:window.top.__xss='iframe'"></iframe>`,
	"{{.}} {{template \"base\" .}}",
}

func TestBrowserXSSPayloadsDoNotRun(t *testing.T) {
	ctx := newBrowser(t)
	st := storetest.SQLite(t)
	bg := context.Background()
	all := strings.Join(xssPayloads, "\n\n")
	w := storetest.NewWorld(t, st)
	c := store.Community{Slug: "xss", Name: "XSS " + xssPayloads[0], Description: all, Public: true, CreatedAt: time.Now().UTC()}
	if err := storetest.DB(t, st).Create(&c).Error; err != nil {
		t.Fatal(err)
	}
	evil := w.Citizen("evil")
	if err := st.UpdateProfile(bg, evil.ID, `Evil <img src=x onerror="window.__xss='name'">`, all); err != nil {
		t.Fatal(err)
	}
	w.Member(c.ID, domain.RoleBoard, 1, "evil")
	p := store.Proposal{CommunityID: c.ID, AuthorID: evil.ID, Title: xssPayloads[1], Body: "# Proposal\n\n" + all}
	if err := st.CreateProposal(bg, &p); err != nil {
		t.Fatal(err)
	}
	b := store.Ballot{CommunityID: c.ID, Title: xssPayloads[0] + xssPayloads[1], Description: all, Method: "majority", Seats: 1,
		Threshold: "1/2", Quorum: "0/1", Delegation: true, Secrecy: "public", CreatedBy: evil.ID,
		ClosesAt: time.Now().UTC().Add(time.Hour).Truncate(time.Second)}
	opts := []store.BallotOption{{Key: "yes", Label: "Yes"}, {Key: "no", Label: "No"}, {Key: "abstain", Label: "Abstain"}}
	if err := st.CreateBallot(bg, &b, opts, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := st.OpenBallot(bg, b.ID); err != nil {
		t.Fatal(err)
	}
	srv, err := web.New(web.Deps{Store: st, Tokens: testTokens(), Assets: koinon.Assets, Signer: resultstest.NewSigner("xss")})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)

	tok, _, err := testTokens().Issue(evil.ID, evil.Handle, evil.TokenVersion)
	if err != nil {
		t.Fatal(err)
	}
	httpOnly := true
	if _, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{
		Name: "koinon_session", Value: tok, URL: ts.URL + "/", Path: "/", HTTPOnly: &httpOnly}); err != nil {
		t.Fatalf("set cookie: %v", err)
	}
	pages := []string{
		"/communities/xss", "/communities", "/communities/xss/proposals", fmt.Sprintf("/proposals/%d", p.ID),
		"/communities/xss/ballots", fmt.Sprintf("/ballots/%d", b.ID), "/communities/xss/roll", "/profile",
	}
	for _, path := range pages {
		t.Run(strings.ReplaceAll(path, "/", "_"), func(t *testing.T) {
			res, err := http.Get(ts.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
				t.Errorf("CSP %q", csp)
			}
			if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+path)); err != nil {
				t.Fatal(err)
			}
			// Wait until the page has settled: loaded, every image done
			// (an onerror payload fires before that), then one more task.
			if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`new Promise(done => {
				const check = () => document.readyState === "complete" && [...document.images].every(i => i.complete)
					? setTimeout(() => done(true), 0) : setTimeout(check, 10);
				check();
			})`, chromedp.EvalAwaitPromise)); err != nil {
				t.Fatal(err)
			}
			ran, err := chromedp.Run(ctx, chromedp.Evaluate[string](`String(window.__xss || "") + "|" + (document.title === "pwned")`))
			if err != nil {
				t.Fatal(err)
			}
			if ran != "|false" {
				t.Errorf("a payload ran on %s: %q", path, ran)
			}
			// Nothing dangerous reached the DOM as markup.
			found, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll(
				'a[href^="javascript:" i], [onerror], [onload], iframe, main script, body script:not([src])')].map(e => e.outerHTML.slice(0, 120))`))
			if err != nil {
				t.Fatal(err)
			}
			if len(found) > 0 {
				t.Errorf("dangerous markup on %s: %q", path, found)
			}
			body, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
			if err != nil {
				t.Fatal(err)
			}
			if path == fmt.Sprintf("/ballots/%d", b.ID) && !strings.Contains(body, "window.__xss") {
				t.Errorf("the ballot title should be shown as text: %q", body[:min(len(body), 300)])
			}
		})
	}
}
