package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"koinon/internal/notify/smtptest"
)

// serve --smtp-url mails notifications through the worker it starts: a
// citizen registered in German who is put on a community's roll gets the
// mail, in German, with links to the public URL and an unsubscribe link
// signed with the keys dir's notify.key.
func TestServeMailsNotifications(t *testing.T) {
	srv := smtptest.Start(t)
	addr, stop := startServe(t, "--data", t.TempDir(), "--smtp-url", "smtp://"+srv.Addr+"?from=koinon@example.org",
		"--public-url", "http://vote.example.org")
	defer stop()
	api := func(method, path, token string, body any, lang string) map[string]any {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, "http://"+addr+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		if lang != "" {
			req.Header.Set("Accept-Language", lang)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		json.NewDecoder(res.Body).Decode(&out)
		if res.StatusCode >= 300 {
			t.Fatalf("%s %s = %d %v", method, path, res.StatusCode, out)
		}
		return out
	}
	for _, h := range []string{"founder", "greta"} {
		lang := map[string]string{"founder": "en", "greta": "de-DE,de;q=0.9"}[h]
		api("POST", "/api/v1/auth/register", "", map[string]string{"handle": h, "email": h + "@example.org", "password": "correct horse battery staple", "display_name": h}, lang)
	}
	tok := api("POST", "/api/v1/auth/login", "", map[string]string{"handle": "founder", "password": "correct horse battery staple"}, "")["token"].(string)
	api("POST", "/api/v1/communities", tok, map[string]any{"slug": "seeds", "name": "Open Seeds", "public": true}, "")
	api("POST", "/api/v1/communities/seeds/members", tok, map[string]any{"handle": "greta", "role": "member", "weight": 1}, "")
	m := srv.Wait(t, 1, 20*time.Second)[0]
	if m.To != "greta@example.org" || m.Subject != "Sie stehen im Register von Open Seeds" || m.Header.Get("Content-Language") != "de" {
		t.Fatalf("mail to %s: %q (%s)", m.To, m.Subject, m.Header.Get("Content-Language"))
	}
	for _, want := range []string{"http://vote.example.org/communities/seeds", "http://vote.example.org/unsubscribe?c="} {
		if !strings.Contains(m.Body, want) {
			t.Errorf("mail lacks %q:\n%s", want, m.Body)
		}
	}
	i := strings.Index(m.Body, "/unsubscribe?")
	link := strings.Fields(m.Body[i:])[0]
	res, err := http.Get("http://" + addr + link)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("GET %s = %d, want the confirmation page", link, res.StatusCode)
	}
}
