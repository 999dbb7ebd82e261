package web_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"koinon/internal/clog"
	"koinon/internal/store"
	"koinon/internal/store/storetest"
)

// The log page in English and German, to the board (with the witness
// form) and to a visitor: it names the witnesses, their state and the
// quorum in words; a refused form is 422 naming the line; German pages
// hold no English.
func TestLogPage(t *testing.T) {
	w := newPagesWorld(t)
	st := w.C.W.S
	storetest.Logs(t, st, "https://vote.example.org/logs/")
	_, vkey, err := clog.NewCosigner("w1.example", make([]byte, 32), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := st.SetWitnesses(ctx, w.C.Community.ID, store.WitnessConfig{Quorum: 1,
		Witnesses: []store.LogWitness{{Name: "w1.example", VKey: vkey, URL: "https://w1.example/"}}}); err != nil {
		t.Fatal(err)
	}
	if err := st.SetWitnessError(ctx, w.C.Community.ID, "w1.example", "connection refused"); err != nil {
		t.Fatal(err)
	}
	user := append(w.userStrings(), "w1.example", "https://w1.example/", "vote.example.org/logs/commons")
	for _, tc := range []struct{ who, lang, want, form string }{
		{"ann", "en", "A result is only sealed on a checkpoint cosigned by 1 of these witnesses.", "Configure the witnesses"},
		{"ann", "de-DE,de;q=0.9", "Ein Ergebnis wird nur auf einem Prüfpunkt versiegelt, den 1 dieser Zeugen mitsigniert haben.", "Zeugen einrichten"},
		{"", "en", "did not cosign:", ""},
		{"", "de-DE,de;q=0.9", "hat nicht mitsigniert:", ""},
	} {
		status, body := w.page(t, tc.who, tc.lang, "/communities/commons/log")
		text := html.UnescapeString(body)
		if status != 200 || !strings.Contains(text, tc.want) || !strings.Contains(text, "w1.example") ||
			(tc.form != "") != strings.Contains(text, "name=\"witnesses\"") || tc.form != "" && !strings.Contains(text, tc.form) {
			t.Errorf("%q in %s: %d, want %q (form %q)", tc.who, tc.lang, status, tc.want, tc.form)
		}
		if strings.HasPrefix(tc.lang, "de") {
			for _, e := range englishIn(visibleText(hiddenParts.ReplaceAllString(body, " ")), user) {
				t.Errorf("%q in German: English %s", tc.who, e)
			}
		}
	}
	if _, body := w.page(t, "ann", "en", "/communities/commons"); !strings.Contains(body, `href="/communities/commons/log"`) {
		t.Error("the community page does not link to the log page")
	}

	// The board's form: a bad line is 422 naming it (in the board's
	// language); a good one saves and redirects back.
	post := func(lang string, form url.Values) (int, string) {
		tok := w.Token("ann")
		csrf, _ := csrfFor(t, tok)
		form.Set("_csrf", csrf)
		req, _ := http.NewRequest("POST", w.TS.URL+"/communities/commons/witnesses", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept-Language", lang)
		req.AddCookie(&http.Cookie{Name: "koinon_session", Value: tok})
		res, err := noRedirects.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, html.UnescapeString(string(b))
	}
	for _, tc := range []struct{ lang, witnesses, quorum, want string }{
		{"en", vkey + " https://w1.example/", "2", "must be a whole number from 0 to the number of witnesses"},
		{"en", "\n" + vkey, "1", "line 2: write the key, a space, then the address"},
		{"en", vkey + " ftp://w1.example/", "1", "line 1: must be an http or https address"},
		{"de-DE,de;q=0.9", "nokey https://w1.example/", "1", "Zeile 1: kein Zeugenschlüssel"},
		{"en", vkey + " https://a/\n" + vkey + " https://b/", "1", "line 2: names the same witness as an earlier line (w1.example)"},
	} {
		if code, body := post(tc.lang, url.Values{"witnesses": {tc.witnesses}, "quorum": {tc.quorum}}); code != 422 || !strings.Contains(body, tc.want) {
			t.Errorf("form %q quorum %s: %d, want 422 with %q", tc.witnesses, tc.quorum, code, tc.want)
		}
	}
	if code, _ := post("en", url.Values{"witnesses": {vkey + " https://w2.example/add/"}, "quorum": {"1"}}); code != 303 {
		t.Fatalf("good form: %d", code)
	}
	if cfg, _ := st.Witnesses(ctx, w.C.Community.ID); len(cfg.Witnesses) != 1 || cfg.Witnesses[0].URL != "https://w2.example/add/" || cfg.Quorum != 1 {
		t.Errorf("saved %+v", cfg)
	}
}

// TestBrowserLogPage: the log page, to the board, fits 390 and 1280 px
// in English and German (screenshots with KOINON_SCREENSHOTS).
func TestBrowserLogPage(t *testing.T) {
	ctx := newBrowser(t)
	w := newPagesWorld(t)
	st := w.C.W.S
	storetest.Logs(t, st, "https://vote.example.org/logs/")
	_, vkey, _ := clog.NewCosigner("witness.example.org", make([]byte, 32), time.Now)
	_, vkey2, _ := clog.NewCosigner("second-witness.example.net", []byte("0123456789abcdef0123456789abcdef"), time.Now)
	if err := st.SetWitnesses(context.Background(), w.C.Community.ID, store.WitnessConfig{Quorum: 2, Witnesses: []store.LogWitness{
		{Name: "witness.example.org", VKey: vkey, URL: "https://witness.example.org/tlog-witness/"},
		{Name: "second-witness.example.net", VKey: vkey2, URL: "http://127.0.0.1:7380/"}}}); err != nil {
		t.Fatal(err)
	}
	_ = st.SetWitnessError(context.Background(), w.C.Community.ID, "second-witness.example.net",
		`Post "http://127.0.0.1:7380/add-checkpoint": dial tcp 127.0.0.1:7380: connect: connection refused`)
	setSession(t, ctx, w.TS.URL, w.Token("ann"))
	for _, lang := range []string{"en", "de"} {
		browse(t, ctx, "language", chromedp.Navigate(w.TS.URL+"/lang/"+lang))
		for _, width := range []int64{390, 1280} {
			browse(t, ctx, "log page", chromedp.EmulateViewport(width, 900), chromedp.Navigate(w.TS.URL+"/communities/commons/log"))
			checkFits(t, ctx, "log page "+lang)
			screenshot(t, ctx, "log-"+lang+"-"+strconv.FormatInt(width, 10))
		}
	}
}
