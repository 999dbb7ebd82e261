package web_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"koinon/internal/store/sqlstore"
	"koinon/internal/store/storetest"
)

// cookieClient is a cookie jar that follows no redirects.
type cookieClient struct {
	t    *testing.T
	base string
	mu   sync.Mutex
	jar  map[string]string
}

func newCookieClient(t *testing.T, base string) *cookieClient {
	return &cookieClient{t: t, base: base, jar: map[string]string{}}
}

var csrfInput = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// do sends a request with the jar's cookies (plus extra) and keeps the
// cookies of the answer; it returns the status and body.
func (b *cookieClient) do(method, path string, form url.Values, extra ...*http.Cookie) (int, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	b.mu.Lock()
	for k, v := range b.jar {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	b.mu.Unlock()
	for _, c := range extra {
		req.AddCookie(c)
	}
	res, err := noRedirects.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	b.mu.Lock()
	for _, c := range res.Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.jar, c.Name)
		} else {
			b.jar[c.Name] = c.Value
		}
	}
	b.mu.Unlock()
	return res.StatusCode, string(raw)
}

// csrf loads path and returns the CSRF token of its forms.
func (b *cookieClient) csrf(path string) string {
	b.t.Helper()
	st, body := b.do("GET", path, nil)
	m := csrfInput.FindStringSubmatch(body)
	if st != 200 || m == nil {
		b.t.Fatalf("GET %s = %d, no _csrf field", path, st)
	}
	return m[1]
}

func (b *cookieClient) signIn(handle string) {
	b.t.Helper()
	tok := b.csrf("/signin")
	if st, body := b.do("POST", "/signin", url.Values{"handle": {handle}, "password": {"correct horse battery"}, "_csrf": {tok}}); st != http.StatusSeeOther {
		b.t.Fatalf("sign in %s = %d: %s", handle, st, trim([]byte(body)))
	}
}

// The CSRF token of a signed-in browser is derived from its session: a
// planted koinon_csrf cookie with the same form value is refused, the
// token of before the sign-in stops working, each sign-in gets a new
// token and signing out drops it.
func TestCSRFTiedToSession(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *sqlstore.Store) {
		ts := newServer(t, st)
		register(t, ts.URL, "ann")
		b := newCookieClient(t, ts.URL)
		before := b.csrf("/signin")
		b.signIn("ann")
		post := func(token string, extra ...*http.Cookie) int {
			code, _ := b.do("POST", "/profile", url.Values{"display_name": {"Ann"}, "statement": {"hi"}, "_csrf": {token}}, extra...)
			return code
		}
		planted := "attackerplantedcsrfvalue0123456789abcdefABCDEF"
		if code := post(planted, &http.Cookie{Name: "koinon_csrf", Value: planted}); code != http.StatusForbidden {
			t.Errorf("planted koinon_csrf cookie with the same form value: %d, want 403", code)
		}
		if code := post(before); code != http.StatusForbidden {
			t.Errorf("token of before the sign-in: %d, want 403", code)
		}
		first := b.csrf("/profile")
		if code := post(first); code != http.StatusSeeOther {
			t.Errorf("the session's own token: %d, want 303", code)
		}
		if first == before {
			t.Error("the CSRF token did not change at sign-in")
		}
		other := newCookieClient(t, ts.URL)
		other.signIn("ann")
		if second := other.csrf("/profile"); second == first {
			t.Error("two sign-ins of one citizen share a CSRF token")
		}
		if code, _ := b.do("POST", "/signout", url.Values{"_csrf": {first}}); code != http.StatusSeeOther {
			t.Fatalf("sign out = %d", code)
		}
		if after := b.csrf("/signin"); after == first || after == before {
			t.Error("the CSRF token did not change at sign-out")
		}
	})
}

// Refresh tokens rotate at each use; a spent one coming back revokes its
// whole session; signing out revokes the session (API and browser).
func TestRefreshTokensRotateAndRevoke(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *sqlstore.Store) {
		now := time.Now().UTC()
		var mu sync.Mutex
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
		ts := newServer(t, sqlstore.WithClock(st, clock))
		register(t, ts.URL, "ann")
		login := func() string {
			code, m, _ := call(t, ts.URL, "POST", "/api/v1/auth/login", "", map[string]string{"handle": "ann", "password": "correct horse battery"})
			if code != 200 {
				t.Fatalf("login = %d %v", code, m)
			}
			return m["refresh_token"].(string)
		}
		refresh := func(tok string) (int, string) {
			code, m, _ := call(t, ts.URL, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": tok})
			next, _ := m["refresh_token"].(string)
			if code == 200 && (next == "" || m["token"] == nil) {
				t.Fatalf("refresh answered %v, want a token and the next refresh token", m)
			}
			return code, next
		}
		r1 := login()
		code, r2 := refresh(r1)
		if code != 200 || r2 == r1 {
			t.Fatalf("first refresh = %d, new token %v", code, r2 != r1)
		}
		code, r3 := refresh(r2)
		if code != 200 {
			t.Fatalf("second refresh = %d", code)
		}
		if code, _ := refresh(r1); code != http.StatusUnauthorized {
			t.Errorf("reusing a spent refresh token = %d, want 401", code)
		}
		if code, _ := refresh(r3); code != http.StatusUnauthorized {
			t.Errorf("the newest token after a reuse = %d, want 401 (session revoked)", code)
		}
		other := login()
		if code, _ := refresh(other); code != 200 {
			t.Errorf("another session was revoked with the reused one: %d", code)
		}

		code, m, _ := call(t, ts.URL, "POST", "/api/v1/auth/login", "", map[string]string{"handle": "ann", "password": "correct horse battery"})
		if code != 200 {
			t.Fatalf("login = %d", code)
		}
		r, access := m["refresh_token"].(string), m["token"].(string)
		if code, _, _ := call(t, ts.URL, "POST", "/api/v1/auth/logout", "", map[string]string{"refresh_token": r}); code != http.StatusNoContent {
			t.Fatalf("logout = %d", code)
		}
		if code, _ := refresh(r); code != http.StatusUnauthorized {
			t.Errorf("refresh after logout = %d, want 401", code)
		}
		if code, _, _ := call(t, ts.URL, "GET", "/api/v1/me", access, nil); code != http.StatusUnauthorized {
			t.Errorf("access token of a signed-out session = %d, want 401", code)
		}

		// Browser: an expired access cookie is renewed from the refresh
		// cookie, which rotates; the old refresh cookie replayed past the
		// grace revokes the session.
		b := newCookieClient(t, ts.URL)
		b.signIn("ann")
		old := b.jar["koinon_refresh"]
		delete(b.jar, "koinon_session")
		if code, _ := b.do("GET", "/profile", nil); code != 200 {
			t.Fatalf("profile with the refresh cookie only = %d", code)
		}
		if b.jar["koinon_refresh"] == old || b.jar["koinon_session"] == "" {
			t.Fatal("the refresh cookie did not rotate")
		}
		advance(time.Minute)
		thief := newCookieClient(t, ts.URL)
		thief.jar["koinon_refresh"] = old
		if code, _ := thief.do("GET", "/profile", nil); code != http.StatusSeeOther {
			t.Errorf("replayed refresh cookie = %d, want 303 to sign in", code)
		}
		delete(b.jar, "koinon_session")
		if code, _ := b.do("GET", "/profile", nil); code != http.StatusSeeOther {
			t.Errorf("the session after a replay = %d, want 303 (revoked)", code)
		}

		// Sign-out revokes the browser's refresh token.
		b = newCookieClient(t, ts.URL)
		b.signIn("ann")
		kept, keptAccess := b.jar["koinon_refresh"], b.jar["koinon_session"]
		if code, _ := b.do("POST", "/signout", url.Values{"_csrf": {b.csrf("/profile")}}); code != http.StatusSeeOther {
			t.Fatalf("sign out = %d", code)
		}
		thief = newCookieClient(t, ts.URL)
		thief.jar["koinon_refresh"] = kept
		if code, _ := thief.do("GET", "/profile", nil); code != http.StatusSeeOther {
			t.Errorf("refresh cookie after sign-out = %d, want 303 to sign in", code)
		}
		thief = newCookieClient(t, ts.URL)
		thief.jar["koinon_session"] = keptAccess
		if code, _ := thief.do("GET", "/profile", nil); code != http.StatusSeeOther {
			t.Errorf("access cookie after sign-out = %d, want 303 to sign in", code)
		}
	})
}
