package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"

	"koinon"
	"koinon/internal/auth"
	"koinon/internal/store"
	"koinon/internal/store/sqlstore"
	"koinon/internal/store/storetest"
	"koinon/internal/web"
	"koinon/internal/web/resultstest"
)

// idUser is a provider account whose ID token claims the test controls
// (mockoidc's own user drops claims by scope).
type idUser struct {
	sub, email, username string
	verified             bool
	groups               []string
	// tamper changes the standard claims before signing (bad nonce,
	// issuer or audience).
	tamper func(*mockoidc.IDTokenClaims)
}

func (u idUser) ID() string { return u.sub }

func (u idUser) Userinfo([]string) ([]byte, error) {
	return json.Marshal(map[string]any{"sub": u.sub, "email": u.email})
}

func (u idUser) Claims(_ []string, base *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	if u.tamper != nil {
		u.tamper(base)
	}
	return &struct {
		*mockoidc.IDTokenClaims
		Email         string   `json:"email,omitempty"`
		EmailVerified bool     `json:"email_verified"`
		Username      string   `json:"preferred_username,omitempty"`
		Groups        []string `json:"groups,omitempty"`
	}{base, u.email, u.verified, u.username, u.groups}, nil
}

// oidcWorld is a Koinon server signing in through a real in-process
// OpenID provider.
type oidcWorld struct {
	st  *sqlstore.Store
	ts  *httptest.Server
	idp *mockoidc.MockOIDC
	// breakSignature flips a byte of the next ID token's signature.
	mu             sync.Mutex
	breakSignature bool
}

func newOIDCWorld(t *testing.T, st *sqlstore.Store) *oidcWorld {
	t.Helper()
	w := &oidcWorld{st: st}
	idp, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	idp.AddMiddleware(w.signatureBreaker)
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := idp.Start(ln, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idp.Shutdown() })
	w.idp = idp
	w.ts = httptest.NewUnstartedServer(nil)
	w.ts.Start()
	t.Cleanup(w.ts.Close)
	cfg := idp.Config()
	o, err := web.NewOIDC(context.Background(), web.OIDCOptions{Issuer: cfg.Issuer, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
		RedirectURL: w.ts.URL + "/signin/oidc/callback", Claim: "groups", Communities: map[string]string{"engineering": "eng"}})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := web.New(web.Deps{Store: st, Tokens: auth.NewTokens([]byte("0123456789abcdef0123456789abcdef"), nil),
		Assets: koinon.Assets, Signer: resultstest.NewSigner("oidc"), OIDC: o})
	if err != nil {
		t.Fatal(err)
	}
	w.ts.Config.Handler = srv
	return w
}

// signatureBreaker corrupts the ID token's signature in the token
// endpoint's answer when breakSignature is set.
func (w *oidcWorld) signatureBreaker(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.mu.Lock()
		on := w.breakSignature && strings.HasSuffix(r.URL.Path, "/token")
		w.mu.Unlock()
		if !on {
			next.ServeHTTP(rw, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		var body map[string]any
		json.Unmarshal(rec.Body.Bytes(), &body)
		if tok, ok := body["id_token"].(string); ok {
			sig := []byte(tok[strings.LastIndexByte(tok, '.')+1:])
			sig[len(sig)/2] ^= 1 // still base64url, another signature
			body["id_token"] = tok[:strings.LastIndexByte(tok, '.')+1] + string(sig)
		}
		rw.Header().Set("Content-Type", "application/json")
		json.NewEncoder(rw).Encode(body)
	})
}

// counts is what a refused sign-in must leave unchanged.
func (w *oidcWorld) counts(t *testing.T) [3]int64 {
	t.Helper()
	var n [3]int64
	for i, table := range []string{"citizens", "citizen_identities", "memberships"} {
		if err := storetest.DB(t, w.st).Table(table).Count(&n[i]).Error; err != nil {
			t.Fatal(err)
		}
	}
	return n
}

func (w *oidcWorld) citizen(t *testing.T, handle, email string) store.Citizen {
	t.Helper()
	ct := store.Citizen{Handle: handle, Email: email, PasswordHash: "x"}
	if err := w.st.CreateCitizen(context.Background(), &ct); err != nil {
		t.Fatal(err)
	}
	return ct
}

// linkedTo is the citizen the provider account sub is linked to.
func (w *oidcWorld) linkedTo(t *testing.T, sub string) store.Citizen {
	t.Helper()
	var ct store.Citizen
	err := storetest.DB(t, w.st).Raw(`SELECT c.* FROM citizens c JOIN citizen_identities i ON i.citizen_id = c.id WHERE i.subject = ?`, sub).Scan(&ct).Error
	if err != nil || ct.ID == 0 {
		t.Fatalf("no citizen linked to %q (%v)", sub, err)
	}
	return ct
}

// TestOIDCBrowser signs in twice through the provider in Chromium: once
// linking an existing citizen by verified email, once creating a new
// citizen whose handle is derived and made unique, who joins the
// community the groups claim maps to.
func TestOIDCBrowser(t *testing.T) {
	st := storetest.SQLite(t)
	w := newOIDCWorld(t, st)
	ctx := context.Background()
	alice := w.citizen(t, "alice", "alice@example.org")
	founder := w.citizen(t, "founder", "")
	if err := st.CreateCommunity(ctx, &store.Community{Slug: "eng", Name: "Engineering", Public: true}, founder.ID); err != nil {
		t.Fatal(err)
	}
	bctx := newBrowser(t)

	signIn := func(u idUser) string {
		t.Helper()
		w.idp.QueueUser(u)
		if err := chromedp.Do(bctx, chromedp.Navigate(w.ts.URL+"/signin?next=/communities/eng"), clickAndLoad("#oidc-signin")); err != nil {
			t.Fatal(err)
		}
		nav, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("header nav")))
		if err != nil {
			t.Fatal(err)
		}
		loc, _ := chromedp.Run(bctx, chromedp.Location())
		if !strings.HasSuffix(loc, "/communities/eng") {
			t.Errorf("after sign-in at %s, want the next page /communities/eng", loc)
		}
		return nav
	}

	// An existing citizen, by verified email (in another case).
	nav := signIn(idUser{sub: "s-alice", email: "Alice@EXAMPLE.org", username: "ally", verified: true})
	if !strings.Contains(nav, "alice") {
		t.Errorf("nav after linking = %q, want alice signed in", nav)
	}
	if got := w.linkedTo(t, "s-alice"); got.ID != alice.ID {
		t.Errorf("s-alice linked to citizen %d, want alice %d", got.ID, alice.ID)
	}
	screenshot(t, bctx, "oidc-linked")
	if err := chromedp.Do(bctx, clickAndLoad(`form[action="/signout"] button`)); err != nil {
		t.Fatal(err)
	}

	// A new citizen: the username "alice" is taken, so alice_2.
	before := w.counts(t)
	nav = signIn(idUser{sub: "s-new", email: "newbie@example.org", username: "Alice", verified: true, groups: []string{"engineering", "design"}})
	created := w.linkedTo(t, "s-new")
	if created.Handle != "alice_2" || created.Email != "newbie@example.org" || created.PasswordHash != "" {
		t.Errorf("created %+v, want handle alice_2, the verified email and no password", created)
	}
	if !strings.Contains(nav, "alice_2") {
		t.Errorf("nav after creating = %q, want alice_2 signed in", nav)
	}
	if after := w.counts(t); after != [3]int64{before[0] + 1, before[1] + 1, before[2] + 1} {
		t.Errorf("citizens, identities, memberships: %v → %v, want one more of each", before, after)
	}
	cm, _ := st.CommunityBySlug(ctx, "eng")
	if m, err := st.CurrentMembership(ctx, cm.ID, created.ID); err != nil || m.Role != "member" {
		t.Errorf("membership in eng from the groups claim: %+v, %v", m, err)
	}
	path := screenshot(t, bctx, "oidc-created")
	t.Logf("screenshot %s", path)

	// The same account again: found by subject, nothing new.
	chromedp.Do(bctx, clickAndLoad(`form[action="/signout"] button`))
	before = w.counts(t)
	signIn(idUser{sub: "s-new", email: "changed@example.org", username: "other", verified: true, groups: []string{"engineering"}})
	if after := w.counts(t); after != before {
		t.Errorf("second sign-in changed counts %v → %v", before, after)
	}

	// A callback this browser did not start: the error page says why and
	// that nothing changed, in English and German; the pages pass axe.
	axe := axeSource(t)
	chromedp.Do(bctx, clickAndLoad(`form[action="/signout"] button`))
	checkAxe(t, bctx, axe) // the sign-in page with the provider's button
	for _, lang := range []struct{ code, want string }{{"en", "state does not match"}, {"de", "State stimmt nicht"}} {
		if err := chromedp.Do(bctx, chromedp.Navigate(w.ts.URL+"/lang/"+lang.code), chromedp.Navigate(w.ts.URL+"/signin/oidc/callback?state=forged&code=x")); err != nil {
			t.Fatal(err)
		}
		reason, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("#oidc-reason")))
		if err != nil || !strings.Contains(reason, lang.want) {
			t.Errorf("%s error page reason %q (%v), want %q", lang.code, reason, err, lang.want)
		}
		checkAxe(t, bctx, axe)
		checkFits(t, bctx, "oidc error page")
		screenshot(t, bctx, "oidc-error-"+lang.code)
	}
}

// flowClient follows the redirect flow like a browser, with cookies.
func flowClient(t *testing.T, stopAtCallback bool) *http.Client {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	if stopAtCallback {
		c.CheckRedirect = func(r *http.Request, _ []*http.Request) error {
			if r.URL.Path == "/signin/oidc/callback" {
				return http.ErrUseLastResponse
			}
			return nil
		}
	}
	return c
}

func readAll(t *testing.T, res *http.Response) string {
	t.Helper()
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestOIDCRefusals: a bad state, nonce, issuer, audience or signature,
// an unverified email or a provider error gives a clear error page and
// changes no account.
func TestOIDCRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *sqlstore.Store) {
		w := newOIDCWorld(t, st)
		w.citizen(t, "bob", "bob@example.org")
		good := idUser{sub: "s-bob", email: "bob@example.org", username: "bob", verified: true}
		withClaims := func(f func(*mockoidc.IDTokenClaims)) idUser { u := good; u.tamper = f; return u }
		for _, tc := range []struct {
			name, want string
			user       idUser
			prepare    func()
			state      string // replaces the state on the way back
		}{
			{name: "state", want: "state does not match", user: good, state: "forged"},
			{name: "nonce", want: "nonce does not match", user: withClaims(func(c *mockoidc.IDTokenClaims) { c.Nonce = "another" })},
			{name: "issuer", want: "issuer, audience, signature", user: withClaims(func(c *mockoidc.IDTokenClaims) { c.Issuer = "https://evil.example/" })},
			{name: "audience", want: "issuer, audience, signature", user: withClaims(func(c *mockoidc.IDTokenClaims) { c.Audience = jwt.ClaimStrings{"another-client"} })},
			{name: "signature", want: "issuer, audience, signature", user: good, prepare: func() { w.breakSignature = true }},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := w.counts(t)
				w.mu.Lock()
				w.breakSignature = false
				if tc.prepare != nil {
					tc.prepare()
				}
				w.mu.Unlock()
				w.idp.QueueUser(tc.user)
				cl := flowClient(t, tc.state != "")
				res, err := cl.Get(w.ts.URL + "/signin/oidc")
				if err != nil {
					t.Fatal(err)
				}
				if tc.state != "" {
					readAll(t, res)
					u, _ := url.Parse(res.Header.Get("Location"))
					q := u.Query()
					q.Set("state", tc.state)
					u.RawQuery = q.Encode()
					if res, err = cl.Get(u.String()); err != nil {
						t.Fatal(err)
					}
				}
				body := readAll(t, res)
				if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, tc.want) || !strings.Contains(body, "Nothing was changed") {
					t.Errorf("status %d, want 400 with %q and 'Nothing was changed'; body:\n%s", res.StatusCode, tc.want, body)
				}
				if after := w.counts(t); after != before {
					t.Errorf("counts changed %v → %v", before, after)
				}
				for _, ck := range cl.Jar.Cookies(mustURL(w.ts.URL)) {
					if ck.Name == "koinon_session" {
						t.Error("a session cookie was set")
					}
				}
			})
		}
		w.mu.Lock()
		w.breakSignature = false
		w.mu.Unlock()
		// An unverified email never links to the citizen who has it, and
		// is not stored on the new citizen.
		w.idp.QueueUser(idUser{sub: "s-mallory", email: "bob@example.org", username: "mallory", verified: false})
		res, err := flowClient(t, false).Get(w.ts.URL + "/signin/oidc")
		if err != nil {
			t.Fatal(err)
		}
		readAll(t, res)
		if m := w.linkedTo(t, "s-mallory"); m.Handle != "mallory" || m.Email != "" {
			t.Errorf("unverified email: linked to %+v, want a new citizen mallory without email", m)
		}
	})
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

// TestPasswordSigninOff: with --password-signin=false the password forms
// and endpoints refuse, and the sign-in page offers the provider only.
func TestPasswordSigninOff(t *testing.T) {
	st := storetest.SQLite(t)
	srv, err := web.New(web.Deps{Store: st, Tokens: auth.NewTokens([]byte("0123456789abcdef0123456789abcdef"), nil),
		Assets: koinon.Assets, Signer: resultstest.NewSigner("oidc"), NoPasswordSignin: true})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	for _, path := range []string{"/api/v1/auth/login", "/api/v1/auth/register"} {
		res, err := http.Post(ts.URL+path, "application/json", bytes.NewReader([]byte(`{"handle":"x","password":"0123456789ab"}`)))
		if err != nil {
			t.Fatal(err)
		}
		if body := readAll(t, res); res.StatusCode != http.StatusForbidden || !strings.Contains(body, "password_signin_off") {
			t.Errorf("POST %s: %d %s, want 403 password_signin_off", path, res.StatusCode, body)
		}
	}
	res, err := http.Get(ts.URL + "/signin")
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(t, res); strings.Contains(body, `name="password"`) || strings.Contains(body, `href="/signup"`) {
		t.Error("the sign-in page still offers password sign-in or sign-up")
	}
}
