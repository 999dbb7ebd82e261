package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"koinon"
	"koinon/internal/auth"
	"koinon/internal/store/sqlstore"
	"koinon/internal/store/storetest"
	"koinon/internal/web"
	"koinon/internal/web/resultstest"
)

// newServer starts the real server over a migrated store.
func newServer(t *testing.T, st *sqlstore.Store) *httptest.Server {
	t.Helper()
	srv, err := web.New(web.Deps{Store: st, Tokens: auth.NewTokens([]byte("0123456789abcdef0123456789abcdef"), nil),
		Assets: koinon.Assets, Signer: resultstest.NewSigner("matrix")})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts
}

func TestHomeAndHealth(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *sqlstore.Store) {
		ts := newServer(t, st)
		for _, tc := range []struct {
			path, want string
			status     int
		}{
			{"/healthz", `"ok"`, 200},
			{"/", "Decide together", 200},
			{"/static/css/koinon.css", "--accent", 200},
			{"/no-such-page", "404", 404},
			{"/api/v1/no-such-route", `"code":"not_found"`, 404},
			{"/metrics", "koinon_http_requests_total", 200},
		} {
			res, err := http.Get(ts.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != tc.status || !strings.Contains(string(body), tc.want) {
				t.Errorf("GET %s = %d %q…, want %d containing %q", tc.path, res.StatusCode, trim(body), tc.status, tc.want)
			}
			if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
				t.Errorf("GET %s: CSP %q lacks frame-ancestors", tc.path, csp)
			}
		}
	})
}

func TestHomeInGerman(t *testing.T) {
	ts := newServer(t, storetest.SQLite(t))
	req, _ := http.NewRequest("GET", ts.URL+"/", nil)
	req.Header.Set("Accept-Language", "de-DE,de;q=0.9,en;q=0.5")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(body), "Gemeinsam entscheiden") {
		t.Errorf("German home page not served: %q", trim(body))
	}
}

func trim(b []byte) string {
	if len(b) > 200 {
		return string(b[:200])
	}
	return string(b)
}
