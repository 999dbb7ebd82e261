package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"koinon/internal/store/storetest"
)

// TestBrowserCloseAsksFirst: at 390 and 1280 px, in English and German,
// the board member's close control sits below her own vote form and leads
// to a confirmation page that fits the window, passes axe and says what
// happens, who voted and the time left; "keep it open" keeps it open, and
// only the confirmation closes.
func TestBrowserCloseAsksFirst(t *testing.T) {
	bw := newBallotWorld(t, storetest.SQLite(t))
	id := bw.createOpen(t, map[string]any{"title": "Close with care", "method": "majority"})
	bw.expect(t, "ann", "PUT", "/api/v1/ballots/"+id+"/vote", map[string]any{"choice": "yes"}, 200, "")
	ctx := newBrowser(t)
	axe := axeSource(t)
	ballot := bw.TS.URL + "/ballots/" + id
	for _, lang := range []struct{ code, final, voted, left string }{
		{"en", "cannot be undone", "1 of 8 voters on the roll has voted directly", "23 hours"},
		{"de", "nicht rückgängig machen", "1 von 8 Stimmberechtigten hat direkt abgestimmt", "noch 23 Stunden"},
	} {
		for _, width := range []int64{390, 1280} {
			name := fmt.Sprintf("%s-%d", lang.code, width)
			err := chromedp.Do(ctx, bw.signInAs(t, "board"), chromedp.EmulateViewport(width, 900), chromedp.Navigate(bw.TS.URL+"/lang/"+lang.code),
				chromedp.Navigate(ballot), chromedp.WaitVisible(chromedp.CSS(`#close-ballot`)))
			if err != nil {
				t.Fatal(err)
			}
			below, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('#close-ballot').getBoundingClientRect().top >
				document.querySelector('#vote-form').getBoundingClientRect().bottom`))
			if err != nil || !below {
				t.Errorf("%s: the close control is not below the vote form (%v)", name, err)
			}
			checkFits(t, ctx, "ballot page "+name)
			screenshot(t, ctx, "close-ballot-page-"+name)
			if err := chromedp.Do(ctx, clickAndLoad(`#close-ballot`), chromedp.WaitVisible(chromedp.CSS(`#confirm-close`))); err != nil {
				t.Fatal(err)
			}
			text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{lang.final, lang.voted, lang.left} {
				if !strings.Contains(text, want) {
					t.Errorf("%s: confirmation page lacks %q", name, want)
				}
			}
			checkFits(t, ctx, "confirmation "+name)
			checkAxe(t, ctx, axe)
			screenshot(t, ctx, "close-confirm-"+name)
			if err := chromedp.Do(ctx, clickAndLoad(`#keep-open`), chromedp.WaitVisible(chromedp.CSS(`#vote-form`))); err != nil {
				t.Fatalf("%s: keep it open: %v", name, err)
			}
		}
	}
	err := chromedp.Do(ctx, clickAndLoad(`#close-ballot`), clickAndLoad(`#confirm-close`), chromedp.WaitVisible(chromedp.CSS(`#result`)))
	if err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "close-done-1280")
}

// TestBrowserBallotForm: in a browser in Berlin, at 390 and 1280 px and
// in English and German, the new-ballot form shows only the fields of the
// chosen method, names the browser's zone beside the closing time, shows
// every error at once beside its field with every value kept, and reads
// the closing time in that zone.
func TestBrowserBallotForm(t *testing.T) {
	bw := newBallotWorld(t, storetest.SQLite(t))
	ctx := newBrowser(t)
	axe := axeSource(t)
	berlin := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Europe/Berlin"})
		return err
	})
	eval := func(js string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	// shown lists which method-specific fields are visible.
	shown := func() string {
		return eval(`["options", "seats", "stv_rule", "threshold"].filter(n => !document.querySelector("#f-" + n).closest(".field").hidden).join(" ")`)
	}
	pick := func(method string) {
		eval(`(() => { const s = document.querySelector("#f-method"); s.value = "` + method + `"; s.dispatchEvent(new Event("change")); return ""; })()`)
	}
	newForm := bw.TS.URL + "/communities/commons/ballots/new"
	for _, lang := range []struct{ code, zone, titleError, seatsError string }{
		{"en", "your time zone, Europe/Berlin", "Enter a title", "Enter the number of seats"},
		{"de", "Ihrer Zeitzone, Europe/Berlin", "Geben Sie einen Titel ein", "Geben Sie die Zahl der Sitze"},
	} {
		for _, width := range []int64{390, 1280} {
			name := fmt.Sprintf("ballot-form-%s-%d", lang.code, width)
			err := chromedp.Do(ctx, bw.signInAs(t, "board"), berlin, chromedp.EmulateViewport(width, 900),
				chromedp.Navigate(bw.TS.URL+"/lang/"+lang.code), chromedp.Navigate(newForm), chromedp.WaitVisible(chromedp.CSS(`#f-method`)))
			if err != nil {
				t.Fatal(err)
			}
			if got := shown(); got != "threshold" {
				t.Errorf("%s: yes/no shows %q, want threshold only", name, got)
			}
			if hint := eval(`document.querySelector("#h-closes_at").textContent`); !strings.Contains(hint, lang.zone) {
				t.Errorf("%s: closing time hint %q does not name the browser's zone", name, hint)
			}
			pick("stv")
			if got := shown(); got != "options seats stv_rule" {
				t.Errorf("%s: stv shows %q", name, got)
			}
			screenshot(t, ctx, name+"-stv")
			eval(`(() => { const f = document.querySelector("#ballot-new");
				f.options.value = "Ada\nBea\nCai"; f.seats.value = "0"; f.threshold.value = "banana";
				f.closes_at.value = "2001-01-01T10:00"; f.description.value = "Kept"; return ""; })()`)
			if err := chromedp.Do(ctx, clickAndLoad(`#ballot-new button[type=submit]`), chromedp.WaitVisible(chromedp.CSS(`#form-problems`))); err != nil {
				t.Fatalf("%s: submit: %v", name, err)
			}
			for sel, want := range map[string]string{"#e-title": lang.titleError, "#e-seats": lang.seatsError, "#e-closes_at": ""} {
				if got := eval(`(document.querySelector("` + sel + `") || {}).textContent || "missing"`); got == "missing" || !strings.Contains(got, want) {
					t.Errorf("%s: %s says %q, want %q", name, sel, got, want)
				}
			}
			if got := eval(`[...document.querySelectorAll(".field-error")].length + ""`); got != "3" {
				t.Errorf("%s: %s errors, want 3 (title, seats, closing time)", name, got)
			}
			kept := eval(`(() => { const f = document.querySelector("#ballot-new");
				return [f.method.value, f.options.value, f.seats.value, f.closes_at.value, f.description.value, f.tz.value].join("|"); })()`)
			if kept != "stv|Ada\nBea\nCai|0|2001-01-01T10:00|Kept|Europe/Berlin" {
				t.Errorf("%s: values after the error %q", name, kept)
			}
			if got := shown(); got != "options seats stv_rule" {
				t.Errorf("%s: after the error stv shows %q", name, got)
			}
			checkFits(t, ctx, name)
			checkAxe(t, ctx, axe)
			screenshot(t, ctx, name+"-errors")
		}
	}
	// Corrected, the ballot closes at 10:00 Berlin time (08:00 UTC in July).
	eval(`(() => { const f = document.querySelector("#ballot-new");
		f.title.value = "Council"; f.seats.value = "2"; f.closes_at.value = "2099-07-01T10:00"; return ""; })()`)
	if err := chromedp.Do(ctx, clickAndLoad(`#ballot-new button[type=submit]`), chromedp.WaitVisible(chromedp.CSS(`#open-ballot`))); err != nil {
		t.Fatal(err)
	}
	loc := eval(`location.pathname`)
	if m := bw.expect(t, "board", "GET", "/api/v1"+loc, nil, 200, ""); m["closes_at"] != "2099-07-01T08:00:00Z" || m["method"] != "stv" || m["seats"] != float64(2) {
		t.Errorf("created %v, want stv, 2 seats, closing 2099-07-01T08:00:00Z", m)
	}
}
