package web_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"koinon"
	"koinon/internal/store/storetest"
	"koinon/internal/web"
)

// noFollow is a client that returns redirects instead of following them.
var noFollow = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// TestLangRedirectStaysOnSite: the language switch goes back to the
// referring page's path, never to another host.
func TestLangRedirectStaysOnSite(t *testing.T) {
	ts := newServer(t, storetest.SQLite(t))
	for ref, want := range map[string]string{
		"http://host//evil.example/x": "/",
		`http://host/\evil.example`:   "/",
		"http://host/%5Cevil.example": "/",
		"http://host/communities":     "/communities",
		"":                            "/",
	} {
		req, _ := http.NewRequest("GET", ts.URL+"/lang/de", nil)
		req.Header.Set("Referer", ref)
		res, err := noFollow.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if loc := res.Header.Get("Location"); loc != want {
			t.Errorf("Referer %q: Location %q, want %q", ref, loc, want)
		}
	}
}

// TestStaticRedirectHeaders: the trailing-slash 301s carry the security
// headers as every other answer does.
func TestStaticRedirectHeaders(t *testing.T) {
	ts := newServer(t, storetest.SQLite(t))
	for _, p := range []string{"/static/css/koinon.css/", "/communities/"} {
		res, err := noFollow.Get(ts.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusMovedPermanently {
			t.Fatalf("GET %s = %d, want 301", p, res.StatusCode)
		}
		for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy"} {
			if res.Header.Get(h) == "" {
				t.Errorf("GET %s: 301 without %s", p, h)
			}
		}
	}
}

// TestJSONBodyHygiene: invalid UTF-8 and duplicate keys are 400 (nothing
// is stored), control characters in a single-line field are 422.
func TestJSONBodyHygiene(t *testing.T) {
	bw := newBallotWorld(t, storetest.SQLite(t))
	post := func(body string) (int, map[string]any) {
		t.Helper()
		st, m, _ := call(t, bw.TS.URL, "POST", "/api/v1/communities", bw.tok(t, "out"), body)
		return st, m
	}
	for _, tc := range []struct {
		body, field string
		want        int
	}{
		{"{\"slug\":\"bad-utf\",\"name\":\"Caf\xe9\"}", "", 400},
		{`{"slug":"dup-key","name":"A","name":"B"}`, "name", 400},
		{`{"slug":"dup-deep","name":"A","x":{"a":1,"b":[{"c":1,"c":2}]}}`, "c", 400},
		{`{"slug":"nul-name","name":"A\u0000B"}`, "name", 422},
		{`{"slug":"tab-name","name":"A\tB"}`, "name", 422},
	} {
		st, m := post(tc.body)
		if _, f := errField(m); st != tc.want || f != tc.field {
			t.Errorf("POST %q = %d field %q (%v), want %d field %q", tc.body, st, f, m, tc.want, tc.field)
		}
	}
	if st, m := post(`{"slug":"fine-one","name":"A","x":{"name":1},"y":[{"name":2}]}`); st != 201 {
		t.Errorf("same key in different objects = %d %v, want 201", st, m)
	}
}

// TestVoteLogsNameNoVoter: request logs of vote routes give the route and
// status, never the citizen; other routes keep the citizen id.
func TestVoteLogsNameNoVoter(t *testing.T) {
	st := storetest.SQLite(t)
	bw := newBallotWorld(t, st)
	id := bw.createOpen(t, map[string]any{"title": "Logged", "method": "majority"})
	var logs bytes.Buffer
	srv, err := web.New(web.Deps{Store: st, Tokens: testTokens(), Assets: koinon.Assets, Signer: bw.Signer,
		Log: slog.New(slog.NewJSONHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	tok := bw.tok(t, "ann")
	if s, m, _ := call(t, ts.URL, "PUT", "/api/v1/ballots/"+id+"/vote", tok, map[string]any{"choice": "yes"}); s != 200 {
		t.Fatalf("vote = %d %v", s, m)
	}
	call(t, ts.URL, "GET", "/api/v1/ballots/"+id+"/vote", tok, nil)
	call(t, ts.URL, "GET", "/api/v1/me", tok, nil)
	var voteLines, meLine int
	for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		switch {
		case strings.Contains(l, `"path":"/api/v1/ballots/:id/vote"`):
			voteLines++
			if strings.Contains(l, "user_id") || !strings.Contains(l, `"status":200`) {
				t.Errorf("vote request log %s: names the citizen or lacks the status", l)
			}
		case strings.Contains(l, `"path":"/api/v1/me"`) && strings.Contains(l, `"user_id"`):
			meLine++
		}
	}
	if voteLines != 2 || meLine != 1 {
		t.Errorf("%d vote lines, %d /me lines with user_id in\n%s", voteLines, meLine, logs.String())
	}
}

// TestCSVFormulas: an email that a spreadsheet would run as a formula is
// refused at import, and one already stored is defused in the
// invitation-links CSV.
func TestCSVFormulas(t *testing.T) {
	bw := newBallotWorld(t, storetest.SQLite(t))
	for _, email := range []string{`=HYPERLINK("http://evil.example")@x.org`, "+cmd@x.org", "-2+3@x.org", "a b@x.org", "ann (boss)@x.org"} {
		roll := "handle,email\nnew_one,\"" + strings.ReplaceAll(email, `"`, `""`) + "\"\n"
		s, m, _ := call(t, bw.TS.URL, "POST", "/api/v1/communities/commons/roll/import", bw.tok(t, "board"), matrixBody{ContentType: "text/csv", Data: []byte(roll)})
		if s != 422 || !strings.Contains(fmt.Sprint(m), "email") {
			t.Errorf("import of email %q = %d %v, want 422 naming email", email, s, m)
		}
	}
	s, m, _ := call(t, bw.TS.URL, "POST", "/api/v1/communities/commons/roll/import", bw.tok(t, "board"), matrixBody{ContentType: "text/csv", Data: []byte("handle,email\nnew_one,new@x.org\n")})
	if s != 200 {
		t.Fatalf("import = %d %v", s, m)
	}
	if err := storetest.DB(t, bw.W.S).Exec("UPDATE citizens SET email = ? WHERE handle = ?", "=HYPERLINK(1)@x.org", "new_one").Error; err != nil {
		t.Fatal(err)
	}
	st, body, _ := bw.page(t, "board", "POST", "/communities/commons/roll/invitations", url.Values{})
	if st != 200 || !strings.Contains(body, "new_one,'=HYPERLINK(1)@x.org,") {
		t.Errorf("invitations CSV = %d %q: the formula is not defused", st, body)
	}
}
