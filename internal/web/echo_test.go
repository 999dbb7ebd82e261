package web_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"koinon/internal/store/storetest"
)

// TestSigninNamesTheMissingField: an empty sign-in form names each empty
// field beside it (422), not "Wrong handle or password", and keeps the
// handle typed.
func TestSigninNamesTheMissingField(t *testing.T) {
	bw := newBallotWorld(t, storetest.SQLite(t))
	for _, tc := range []struct {
		name, handle, password string
		want, notWant          []string
	}{
		{"both empty", "", "", []string{`id="e-handle"`, "Enter your handle.", `id="e-password"`, "Enter your password."}, []string{"Wrong handle or password"}},
		{"no password", "ann", "", []string{`id="e-password"`, "Enter your password.", `value="ann"`}, []string{"Wrong handle or password", `id="e-handle"`}},
		{"no handle", "", "some password", []string{`id="e-handle"`, "Enter your handle."}, []string{"Wrong handle or password", `id="e-password"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, body, _ := bw.page(t, "", "POST", "/signin", url.Values{"handle": {tc.handle}, "password": {tc.password}})
			if st != 422 {
				t.Errorf("status %d, want 422", st)
			}
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(body, w) {
					t.Errorf("page shows %q", w)
				}
			}
		})
	}
	if st, body, _ := bw.page(t, "", "POST", "/signin", url.Values{"handle": {"ann"}, "password": {"not her password"}}); st != 401 || !strings.Contains(body, "Wrong handle or password") {
		t.Errorf("wrong password = %d, want 401 saying so", st)
	}
}

// TestLongInputIsNotEchoedWhole: a 3,000-character handle, topic, method,
// rule or vote choice is cut in the error that names it, on the
// delegation page (its flash) and in the API's 422.
func TestLongInputIsNotEchoedWhole(t *testing.T) {
	bw := newBallotWorld(t, storetest.SQLite(t))
	long := strings.Repeat("x", 3000)
	tooMuch := strings.Repeat("x", 41)

	st, _, hdr := bw.page(t, "ann", "POST", "/delegations", url.Values{"community": {"commons"}, "scope": {"c"}, "action": {"set"}, "delegate": {long}})
	if st != 303 {
		t.Fatalf("delegation form = %d", st)
	}
	req, _ := http.NewRequest("GET", bw.TS.URL+hdr.Get("Location"), nil)
	req.AddCookie(&http.Cookie{Name: "koinon_session", Value: bw.tok(t, "ann")})
	for _, ck := range (&http.Response{Header: hdr}).Cookies() {
		req.AddCookie(ck)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	page := string(b)
	if !strings.Contains(page, "no citizen has the handle") || !strings.Contains(page, strings.Repeat("x", 40)+"…") {
		t.Errorf("delegation page does not name the cut handle: %s", trim(b))
	}
	if strings.Contains(page, tooMuch) {
		t.Error("delegation page echoes the 3,000-character handle")
	}

	vote := "/api/v1/ballots/" + bw.createOpen(t, map[string]any{"title": "Echo", "method": "plurality", "options": []string{"Ada", "Bea"}}) + "/vote"
	for _, tc := range []struct {
		name, method, path string
		body               map[string]any
	}{
		{"vote choice", "PUT", vote, map[string]any{"choice": long}},
		{"ballot method", "POST", "/api/v1/communities/commons/ballots", map[string]any{"title": "T", "method": long, "closes_at": future()}},
		{"stv rule", "POST", "/api/v1/communities/commons/ballots", map[string]any{"title": "T", "method": "stv", "stv_rule": long, "options": []string{"A", "B"}, "closes_at": future()}},
		{"delegate handle", "PUT", "/api/v1/delegations", map[string]any{"community": "commons", "delegates": []string{long}}},
		{"delegation topic", "PUT", "/api/v1/delegations", map[string]any{"community": "commons", "topic": long, "delegates": []string{"bob"}}},
		{"proposal topic", "POST", "/api/v1/communities/commons/proposals", map[string]any{"title": "Trees", "body": "Plant them.", "topic": long}},
		{"ballot topic", "POST", "/api/v1/communities/commons/ballots", map[string]any{"title": "T", "method": "majority", "topic": long, "closes_at": future()}},
	} {
		handle := "ann"
		if strings.Contains(tc.path, "communities/commons/ballots") {
			handle = "board"
		}
		st, m := bw.api(t, handle, tc.method, tc.path, tc.body)
		if msg := fmt.Sprint(m); st != 422 || strings.Contains(msg, tooMuch) || !strings.Contains(msg, "…") {
			t.Errorf("%s: %d %.200s…, want 422 with the input cut", tc.name, st, msg)
		}
	}
}
