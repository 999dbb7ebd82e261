package reliability

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"koinon/internal/store/sqlstore"
	"koinon/internal/store/storetest"
)

// TestSecurityHeaders: every kind of response (page, API, error page, API
// error, static file) carries a CSP whose scripts allow no inline code,
// frame-ancestors 'none', nosniff and a referrer policy.
func TestSecurityHeaders(t *testing.T) {
	a := newApp(t, storetest.SQLite(t), appOptions{})
	for _, path := range []string{"/", "/signin", "/communities", "/no-such-page", "/api/v1/communities", "/api/v1/no-such", "/.well-known/koinon-key", "/static/css/koinon.css", "/healthz"} {
		res, err := client.Get(a.TS.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		h := res.Header
		csp := h.Get("Content-Security-Policy")
		directives := map[string]string{}
		for _, d := range strings.Split(csp, ";") {
			f := strings.Fields(d)
			if len(f) > 0 {
				directives[f[0]] = strings.Join(f[1:], " ")
			}
		}
		scripts, ok := directives["script-src"]
		if !ok {
			scripts = directives["default-src"]
		}
		switch {
		case csp == "":
			t.Errorf("%s: no Content-Security-Policy", path)
		case strings.Contains(scripts, "'unsafe-inline'") || strings.Contains(scripts, "'unsafe-eval'") || strings.Contains(scripts, "*") || scripts == "":
			t.Errorf("%s: script-src %q allows inline or foreign scripts", path, scripts)
		case directives["frame-ancestors"] != "'none'":
			t.Errorf("%s: frame-ancestors %q, want 'none'", path, directives["frame-ancestors"])
		case directives["object-src"] != "'none'":
			t.Errorf("%s: object-src %q, want 'none'", path, directives["object-src"])
		}
		if v := h.Get("X-Content-Type-Options"); v != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q", path, v)
		}
		if v := h.Get("Referrer-Policy"); v == "" || v == "unsafe-url" || v == "no-referrer-when-downgrade" {
			t.Errorf("%s: Referrer-Policy %q", path, v)
		}
		if v := h.Get("X-Request-Id"); v == "" {
			t.Errorf("%s: no X-Request-Id", path)
		}
	}
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// signinCookies signs in through the page form and returns the cookies set.
func signinCookies(t *testing.T, base, handle, password string) []*http.Cookie {
	t.Helper()
	res, err := client.Get(base + "/signin")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := csrfField.FindSubmatch(body)
	if m == nil {
		t.Fatalf("no _csrf field on /signin")
	}
	form := url.Values{"handle": {handle}, "password": {password}, "_csrf": {string(m[1])}}
	req, _ := http.NewRequest("POST", base+"/signin", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, c := range res.Cookies() {
		req.AddCookie(c)
	}
	res2, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res2.Body.Close()
	if res2.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /signin = %d", res2.StatusCode)
	}
	return append(res.Cookies(), res2.Cookies()...)
}

// TestCookieFlags: session, refresh and CSRF cookies are HttpOnly and
// SameSite=Lax, and Secure when the server is configured for TLS.
func TestCookieFlags(t *testing.T) {
	for _, secure := range []bool{false, true} {
		t.Run(fmt.Sprintf("secure=%v", secure), func(t *testing.T) {
			st := storetest.SQLite(t)
			a := newApp(t, st, appOptions{Secure: secure})
			register(t, a.TS.URL, "cookie_user")
			cookies := signinCookies(t, a.TS.URL, "cookie_user", testPassword)
			seen := map[string]bool{}
			for _, c := range cookies {
				seen[c.Name] = true
				if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure != secure {
					t.Errorf("cookie %s: HttpOnly %v SameSite %v Secure %v", c.Name, c.HttpOnly, c.SameSite, c.Secure)
				}
			}
			for _, name := range []string{"koinon_session", "koinon_refresh", "koinon_csrf"} {
				if !seen[name] {
					t.Errorf("cookie %s not set", name)
				}
			}
		})
	}
}

const testPassword = "a long enough passphrase 42"

func register(t *testing.T, base, handle string) string {
	t.Helper()
	return registerWith(t, base, handle, testPassword)
}

func registerWith(t *testing.T, base, handle, password string) string {
	t.Helper()
	status, body, err := do(context.Background(), "POST", base+"/api/v1/auth/register", "", map[string]string{
		"handle": handle, "email": handle + "@example.org", "password": password, "display_name": handle})
	if err != nil || status != 201 {
		t.Fatalf("register %s = %d %s %v", handle, status, body, err)
	}
	return login(t, base, handle, password)
}

func login(t *testing.T, base, handle, password string) string {
	t.Helper()
	status, body, err := do(context.Background(), "POST", base+"/api/v1/auth/login", "", map[string]string{"handle": handle, "password": password})
	var m struct{ Token string }
	json.Unmarshal(body, &m)
	if err != nil || status != 200 || m.Token == "" {
		t.Fatalf("login %s = %d %s %v", handle, status, body, err)
	}
	return m.Token
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// TestLoginLockout: after five failures a handle is locked with 429 and
// Retry-After, for twice as long after each further failure, even for the
// right password; spoofed X-Forwarded-For does not escape the per-address
// limit (the server reads the peer address, not the header).
func TestLoginLockout(t *testing.T) {
	clock := &fakeClock{now: time.Now().UTC()}
	a := newApp(t, storetest.SQLite(t), appOptions{Now: clock.Now})
	register(t, a.TS.URL, "locked_user")
	try := func(handle, password string, hdr map[string]string) (int, string) {
		req, _ := http.NewRequest("POST", a.TS.URL+"/api/v1/auth/login", strings.NewReader(fmt.Sprintf(`{"handle":%q,"password":%q}`, handle, password)))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode, res.Header.Get("Retry-After")
	}
	for i := range 5 {
		if st, _ := try("locked_user", "wrong password", nil); st != 401 {
			t.Fatalf("failure %d = %d, want 401", i+1, st)
		}
	}
	var waits []int
	for range 4 {
		st, ra := try("locked_user", testPassword, nil)
		n, _ := strconv.Atoi(ra)
		if st != 429 || n <= 0 {
			t.Fatalf("locked sign-in = %d Retry-After %q, want 429 with a delay", st, ra)
		}
		waits = append(waits, n)
		clock.Add(time.Duration(n)*time.Second + 100*time.Millisecond)
		if st, _ := try("locked_user", "wrong password", nil); st != 401 {
			t.Fatalf("after the lock = %d, want 401", st)
		}
	}
	for i := 1; i < len(waits); i++ {
		if waits[i] < 2*waits[i-1] {
			t.Errorf("Retry-After did not back off: %v", waits)
		}
	}
	clock.Add(time.Hour + time.Minute)
	if st, _ := try("locked_user", testPassword, nil); st != 200 {
		t.Errorf("after the lock expired, the right password = %d", st)
	}

	// Per-address limit: 20 failures over many handles, with a new
	// X-Forwarded-For and X-Real-IP each time, lock the address.
	for i := range 20 {
		spoof := map[string]string{"X-Forwarded-For": fmt.Sprintf("10.0.%d.%d", i/250, i%250), "X-Real-IP": fmt.Sprintf("10.1.0.%d", i)}
		try(fmt.Sprintf("nobody%02d", i), "wrong password", spoof)
	}
	if st, ra := try("someone_else", "wrong password", map[string]string{"X-Forwarded-For": "192.0.2.1", "X-Real-IP": "192.0.2.2"}); st != 429 || ra == "" {
		t.Errorf("21st failure from one address with spoofed headers = %d (Retry-After %q), want 429", st, ra)
	}
}

// flow runs register, login, community, ballot, vote, withdraw, vote,
// close, proof and receipt through the API and returns the token.
func flow(t *testing.T, a *app, handle, password string) string {
	t.Helper()
	base := a.TS.URL
	registerWith(t, base, handle, password)
	// A failed sign-in with another secret, and a bad bearer token.
	do(context.Background(), "POST", base+"/api/v1/auth/login", "", map[string]string{"handle": handle, "password": "Wrong-" + password})
	do(context.Background(), "GET", base+"/api/v1/me", "eyJhbGciOiJIUzI1NiJ9.bogus.sig", nil)
	tok := login(t, base, handle, password)
	must := func(method, path string, body any, want int) []byte {
		t.Helper()
		status, b, err := do(context.Background(), method, base+path, tok, body)
		if err != nil || status != want {
			t.Fatalf("%s %s = %d %s %v", method, path, status, trimBody(b), err)
		}
		return b
	}
	must("POST", "/api/v1/communities", map[string]any{"slug": "flow", "name": "Flow", "description": "d"}, 201)
	b := must("POST", "/api/v1/communities/flow/ballots", map[string]any{"title": "Flow ballot", "method": "majority",
		"closes_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}, 201)
	var bl struct{ ID int64 }
	json.Unmarshal(b, &bl)
	id := fmt.Sprint(bl.ID)
	must("POST", "/api/v1/ballots/"+id+"/open", nil, 200)
	must("PUT", "/api/v1/ballots/"+id+"/vote", map[string]any{"choice": "no"}, 200)
	must("DELETE", "/api/v1/ballots/"+id+"/vote", nil, 204)
	must("PUT", "/api/v1/ballots/"+id+"/vote", map[string]any{"choice": "yes"}, 200)
	must("POST", "/api/v1/ballots/"+id+"/close", nil, 200)
	must("GET", "/api/v1/ballots/"+id+"/proof", nil, 200)
	must("GET", "/api/v1/ballots/"+id+"/receipt", nil, 200)
	return tok
}

// TestSecretsNeverLogged: a full flow against a server whose slog output
// goes to a buffer; the buffer holds none of the password (right or
// wrong), the JWTs, the Authorization header, the JWT key or the proof
// signing key.
func TestSecretsNeverLogged(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *sqlstore.Store) {
		a := newApp(t, st, appOptions{})
		password := "Sup3r secret passphrase!"
		tok := flow(t, a, "secret_keeper", password)
		logs := a.Log.String()
		if !strings.Contains(logs, `"msg":"request"`) {
			t.Fatalf("the server logged no requests: the test would prove nothing")
		}
		seed := a.Signer.Key.Seed()
		secrets := map[string]string{
			"password": password, "wrong password": "Wrong-" + password, "access token": tok,
			"token signature": tok[strings.LastIndex(tok, ".")+1:], "token payload": strings.Split(tok, ".")[1],
			"bearer header": "Bearer ", "authorization header": "Authorization",
			"jwt key": string(jwtKey), "jwt key hex": hex.EncodeToString(jwtKey), "jwt key base64": base64.StdEncoding.EncodeToString(jwtKey),
			"signing key hex": hex.EncodeToString(seed), "signing key base64": base64.StdEncoding.EncodeToString(a.Signer.Key),
			"signing seed base64": base64.StdEncoding.EncodeToString(seed),
		}
		for name, s := range secrets {
			if strings.Contains(strings.ToLower(logs), strings.ToLower(s)) {
				t.Errorf("the log contains the %s", name)
			}
		}
	})
}

// TestRequestIDs: an HTML error page and an API error carry the request
// id of the X-Request-Id header, and the log line of the request has it.
func TestRequestIDs(t *testing.T) {
	a := newApp(t, storetest.SQLite(t), appOptions{})
	for _, path := range []string{"/no-such-page", "/api/v1/no-such-route", "/api/v1/ballots/999/vote"} {
		res, err := client.Get(a.TS.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		id := res.Header.Get("X-Request-Id")
		if res.StatusCode < 400 || id == "" {
			t.Fatalf("%s = %d, request id %q", path, res.StatusCode, id)
		}
		if strings.HasPrefix(path, "/api/") {
			if got := requestIDOf(body); got != id {
				t.Errorf("%s: API error request_id %q, header %q", path, got, id)
			}
		} else if !strings.Contains(string(body), id) {
			t.Errorf("%s: the error page does not show the request id %s", path, id)
		}
		if !strings.Contains(a.Log.String(), `"request_id":"`+id+`"`) {
			t.Errorf("%s: no log line with request_id %s", path, id)
		}
	}
}

var metricLine = regexp.MustCompile(`(?m)^(koinon_[a-z_]+)(?:\{[^}]*\})? ([0-9.e+-]+)$`)

func metricsOf(t *testing.T, base string) map[string]float64 {
	t.Helper()
	_, body, err := do(context.Background(), "GET", base+"/metrics", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, m := range metricLine.FindAllStringSubmatch(string(body), -1) {
		v, _ := strconv.ParseFloat(m[2], 64)
		out[m[1]] += v
	}
	return out
}

// TestMetricsCounted: the vote and close paths move the votes cast,
// votes withdrawn, ballots closed and tally duration metrics; failed
// sign-ins move theirs.
func TestMetricsCounted(t *testing.T) {
	a := newApp(t, storetest.SQLite(t), appOptions{})
	flow(t, a, "metric_user", testPassword)
	m := metricsOf(t, a.TS.URL)
	for name, want := range map[string]float64{
		"koinon_votes_cast_total": 2, "koinon_votes_withdrawn_total": 1, "koinon_ballots_closed_total": 1,
		"koinon_tally_duration_seconds_count": 1, "koinon_login_failures_total": 1,
	} {
		if m[name] < want {
			t.Errorf("%s = %v, want ≥ %v", name, m[name], want)
		}
	}
	if m["koinon_http_requests_total"] == 0 {
		t.Errorf("koinon_http_requests_total not counted")
	}
}
