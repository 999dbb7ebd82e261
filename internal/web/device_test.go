package web_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"koinon/internal/store/sqlstore"
	"koinon/internal/store/storetest"
)

// TestDevicePagesWithoutJavaScript: with the logs on, a vote and a
// delegation sent by the plain forms (no JavaScript) are signed with the
// citizen's custodial key, and the pages say so; the device routes answer
// JSON, errors included. On SQLite and PostgreSQL.
func TestDevicePagesWithoutJavaScript(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *sqlstore.Store) {
		dw := newDeviceWorld(t, st)
		b := dw.ballot(t, "Paint the hall")
		bob := dw.w.Citizen("bob")
		tok, _, err := dw.tokens.Issue(bob.ID, bob.Handle, bob.TokenVersion)
		if err != nil {
			t.Fatal(err)
		}
		status, body, _ := pageAs(t, dw.ts.URL, tok, "GET", "/ballots/"+b.IDString(), nil)
		if status != 200 || !strings.Contains(body, `id="device"`) || !strings.Contains(body, "JavaScript is off, so this browser cannot sign") ||
			!strings.Contains(body, `data-device="1"`) {
			t.Fatalf("ballot page before voting: %d, device panel or noscript missing", status)
		}
		if status, _, _ := pageAs(t, dw.ts.URL, tok, "POST", "/ballots/"+b.IDString()+"/vote", url.Values{"choice": {"yes"}, "cast": {"1"}}); status != 303 {
			t.Fatalf("vote by the form: %d", status)
		}
		_, body, _ = pageAs(t, dw.ts.URL, tok, "GET", "/ballots/"+b.IDString(), nil)
		if !strings.Contains(body, `class="device-custodial">Signed by the server with the key it holds for you (custodial)`) {
			t.Errorf("the ballot page does not say the vote is custodial")
		}
		if status, _, _ := pageAs(t, dw.ts.URL, tok, "POST", "/delegations", url.Values{"community": {"commons"}, "scope": {"c"}, "action": {"myself"}}); status != 303 {
			t.Fatalf("delegation by the form: %d", status)
		}
		_, body, _ = pageAs(t, dw.ts.URL, tok, "GET", "/delegations?community=commons", nil)
		if !strings.Contains(body, `data-scope="community"`) || !strings.Contains(body, `data-scope="topic:infra"`) ||
			!strings.Contains(body, "Signed by the server with the key it holds for you (custodial)") {
			t.Errorf("the delegations page: statement scopes or custodial line missing")
		}

		// The device routes: the state, and a form error as JSON.
		status, body, _ = jsonPage(t, dw, tok, "GET", "/communities/commons/device", "")
		if status != 200 || !strings.Contains(body, `"handle":"bob"`) || !strings.Contains(body, `"vkey":"`) || !strings.Contains(body, `"custodial":true`) {
			t.Errorf("device state: %d %s", status, body)
		}
		status, body, _ = jsonPage(t, dw, tok, "POST", "/ballots/"+b.IDString()+"/vote/choice", "choice=maybe&cast=1")
		if status != 422 || !strings.Contains(body, `"errors":{"choice"`) {
			t.Errorf("vote choice with an unknown option: %d %s", status, body)
		}
		status, body, _ = jsonPage(t, dw, tok, "POST", "/ballots/"+b.IDString()+"/vote/choice", "choice=yes&cast=1")
		if status != 200 || !strings.Contains(body, `"choice":"yes"`) || !strings.Contains(body, `"scope":"ballot:`+b.IDString()+`"`) {
			t.Errorf("vote choice: %d %s", status, body)
		}
		status, body, _ = jsonPage(t, dw, tok, "POST", "/communities/commons/device/statements", `{"statement":{}}`)
		if status != 422 || !strings.HasPrefix(body, `{"error":`) {
			t.Errorf("a malformed statement: %d %s, want 422 as JSON", status, body)
		}
		status, body, _ = jsonPage(t, dw, tok, "GET", "/communities/commons/device/consistency?old=1&new=99", "")
		if status != 400 || !strings.Contains(body, "bad_range") {
			t.Errorf("consistency beyond the log: %d %s", status, body)
		}
	})
}

// jsonPage sends what device.js sends: the session cookie, the CSRF token
// in X-CSRF-Token and Accept: application/json.
func jsonPage(t *testing.T, dw *deviceWorld, tok, method, path, body string) (int, string, error) {
	t.Helper()
	csrf, _ := csrfFor(t, tok)
	req, _ := http.NewRequest(method, dw.ts.URL+path, strings.NewReader(body))
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-CSRF-Token", csrf)
	if strings.HasPrefix(body, "{") {
		req.Header.Set("Content-Type", "application/json")
	} else if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.AddCookie(&http.Cookie{Name: "koinon_session", Value: tok})
	res, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), nil
}
