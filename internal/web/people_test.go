package web_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"koinon/internal/auth"
	"koinon/internal/store/sqlstore"
	"koinon/internal/store/storetest"
)

// testTokens issues tokens with newServer's key.
func testTokens() *auth.Tokens {
	return auth.NewTokens([]byte("0123456789abcdef0123456789abcdef"), nil)
}

// call sends a request to the API and decodes the JSON answer.
func call(t *testing.T, base, method, path, token string, body any) (int, map[string]any, http.Header) {
	t.Helper()
	var r io.Reader
	ctype := "application/json"
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case matrixBody:
		r, ctype = bytes.NewReader(b.Data), b.ContentType
	default:
		data, _ := json.Marshal(b)
		r = bytes.NewReader(data)
	}
	req, _ := http.NewRequest(method, base+path, r)
	if r != nil {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := map[string]any{}
	if len(raw) > 0 && strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: bad JSON %q", method, path, raw)
		}
	}
	return res.StatusCode, out, res.Header
}

// errField returns the error's code and field of an API error answer.
func errField(m map[string]any) (string, string) {
	e, _ := m["error"].(map[string]any)
	code, _ := e["code"].(string)
	field, _ := e["field"].(string)
	return code, field
}

func register(t *testing.T, base, handle string) string {
	t.Helper()
	st, m, _ := call(t, base, "POST", "/api/v1/auth/register", "", map[string]string{
		"handle": handle, "email": handle + "@example.org", "password": "correct horse battery", "display_name": strings.ToUpper(handle)})
	if st != 201 {
		t.Fatalf("register %s = %d %v", handle, st, m)
	}
	st, m, _ = call(t, base, "POST", "/api/v1/auth/login", "", map[string]string{"handle": handle, "password": "correct horse battery"})
	if st != 200 || m["token"] == "" {
		t.Fatalf("login %s = %d %v", handle, st, m)
	}
	return m["token"].(string)
}

func TestAccountsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *sqlstore.Store) {
		ts := newServer(t, st)
		for _, tc := range []struct {
			name        string
			body        any
			status      int
			code, field string
		}{
			{"registers, handle lower-cased", map[string]string{"handle": "Ann_1", "email": "ann@example.org", "password": "correct horse battery", "display_name": "Ann"}, 201, "", ""},
			{"duplicate handle", map[string]string{"handle": "ann_1", "email": "x@example.org", "password": "correct horse battery"}, 409, "taken", "handle"},
			{"weak password", map[string]string{"handle": "bob", "email": "bob@example.org", "password": "short"}, 422, "invalid", "password"},
			{"bad handle", map[string]string{"handle": "b!", "email": "bob@example.org", "password": "correct horse battery"}, 422, "invalid", "handle"},
			{"no email", map[string]string{"handle": "bob", "password": "correct horse battery"}, 422, "invalid", "email"},
			{"implausible email", map[string]string{"handle": "bob", "email": "bob@", "password": "correct horse battery"}, 422, "invalid", "email"},
			{"malformed JSON", `{"handle": "bob",`, 400, "malformed", ""},
			{"wrong type", `{"handle": 42}`, 422, "invalid", "handle"},
			{"unknown fields ignored", `{"handle":"cyd","email":"cyd@example.org","password":"correct horse battery","shoe":44}`, 201, "", ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				status, m, _ := call(t, ts.URL, "POST", "/api/v1/auth/register", "", tc.body)
				code, field := errField(m)
				if status != tc.status || code != tc.code || field != tc.field {
					t.Errorf("register = %d %s/%s, want %d %s/%s (%v)", status, code, field, tc.status, tc.code, tc.field, m)
				}
			})
		}
		status, m, _ := call(t, ts.URL, "POST", "/api/v1/auth/login", "", map[string]string{"handle": "ANN_1", "password": "correct horse battery"})
		if status != 200 || m["token"] == nil || m["expires_at"] == nil {
			t.Fatalf("login = %d %v", status, m)
		}
		token, refresh := m["token"].(string), m["refresh_token"].(string)
		// Wrong password and unknown handle: the same 401.
		_, bad1, _ := call(t, ts.URL, "POST", "/api/v1/auth/login", "", map[string]string{"handle": "ann_1", "password": "wrong password!"})
		s2, bad2, _ := call(t, ts.URL, "POST", "/api/v1/auth/login", "", map[string]string{"handle": "nobody", "password": "wrong password!"})
		if s2 != 401 || bad1["error"].(map[string]any)["message"] != bad2["error"].(map[string]any)["message"] {
			t.Errorf("unknown handle = %d %v; wrong password %v: want the same 401", s2, bad2, bad1)
		}
		status, me, _ := call(t, ts.URL, "GET", "/api/v1/me", token, nil)
		if status != 200 || me["citizen"].(map[string]any)["handle"] != "ann_1" {
			t.Fatalf("me = %d %v", status, me)
		}
		// Refresh mints an access token; refresh tokens are not access tokens.
		status, m, _ = call(t, ts.URL, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": refresh})
		if status != 200 || m["token"] == nil {
			t.Fatalf("refresh = %d %v", status, m)
		}
		if status, _, _ := call(t, ts.URL, "GET", "/api/v1/me", refresh, nil); status != 401 {
			t.Errorf("refresh token used as access token = %d, want 401", status)
		}
		// Password change: wrong current is 422, weak new is 422, success
		// revokes the old token and returns a new one.
		if status, m, _ := call(t, ts.URL, "PUT", "/api/v1/me/password", token, map[string]string{"current_password": "nope nope nope", "new_password": "another good passphrase"}); status != 422 {
			t.Errorf("wrong current password = %d %v", status, m)
		}
		if status, m, _ := call(t, ts.URL, "PUT", "/api/v1/me/password", token, map[string]string{"current_password": "correct horse battery", "new_password": "short"}); status != 422 {
			t.Errorf("weak new password = %d %v", status, m)
		}
		status, m, _ = call(t, ts.URL, "PUT", "/api/v1/me/password", token, map[string]string{"current_password": "correct horse battery", "new_password": "another good passphrase"})
		if status != 200 {
			t.Fatalf("change password = %d %v", status, m)
		}
		if status, _, _ := call(t, ts.URL, "GET", "/api/v1/me", token, nil); status != 401 {
			t.Errorf("old token after password change = %d, want 401", status)
		}
		if status, _, _ := call(t, ts.URL, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": refresh}); status != 401 {
			t.Errorf("old refresh token after password change = %d, want 401", status)
		}
		token = m["token"].(string)
		if status, _, _ := call(t, ts.URL, "POST", "/api/v1/auth/logout-all", token, nil); status != 204 {
			t.Errorf("logout-all = %d", status)
		}
		if status, _, _ := call(t, ts.URL, "GET", "/api/v1/me", token, nil); status != 401 {
			t.Errorf("token after logout-all = %d, want 401", status)
		}
	})
}

func TestLoginRateLimit(t *testing.T) {
	ts := newServer(t, storetest.SQLite(t))
	register(t, ts.URL, "eve")
	for i := range 5 {
		if status, _, _ := call(t, ts.URL, "POST", "/api/v1/auth/login", "", map[string]string{"handle": "eve", "password": "guess number " + string(rune('a'+i))}); status != 401 {
			t.Fatalf("failure %d = %d, want 401", i+1, status)
		}
	}
	// Locked now, even with the right password.
	status, m, h := call(t, ts.URL, "POST", "/api/v1/auth/login", "", map[string]string{"handle": "eve", "password": "correct horse battery"})
	if code, _ := errField(m); status != 429 || code != "rate_limited" || h.Get("Retry-After") == "" {
		t.Fatalf("after 5 failures = %d %v Retry-After %q, want 429", status, m, h.Get("Retry-After"))
	}
}

func TestCommunitiesAndRollAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *sqlstore.Store) {
		// The store's clock runs ahead on demand, so a removal is later
		// than a moment read before it without sleeping.
		var ahead atomic.Int64
		clock := func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }
		ts := newServer(t, sqlstore.WithClock(st, clock))
		ann, bob := register(t, ts.URL, "ann"), register(t, ts.URL, "bob")
		register(t, ts.URL, "cyd")
		u := ts.URL
		if s, m, _ := call(t, u, "POST", "/api/v1/communities", ann, map[string]any{"slug": "commons", "name": "The Commons", "description": "A test"}); s != 201 {
			t.Fatalf("create = %d %v", s, m)
		}
		if s, m, _ := call(t, u, "POST", "/api/v1/communities", bob, map[string]any{"slug": "commons", "name": "Again"}); s != 409 {
			t.Errorf("duplicate slug = %d %v", s, m)
		} else if _, f := errField(m); f != "slug" {
			t.Errorf("duplicate slug names field %q", f)
		}
		if s, m, _ := call(t, u, "POST", "/api/v1/communities", bob, map[string]any{"slug": "Bad Slug", "name": "X"}); s != 422 {
			t.Errorf("bad slug = %d %v", s, m)
		}
		if s, m, _ := call(t, u, "POST", "/api/v1/communities", bob, map[string]any{"slug": "secret", "name": "Secret", "public": false}); s != 201 {
			t.Fatalf("private = %d %v", s, m)
		}
		if s, _, _ := call(t, u, "GET", "/api/v1/communities/secret", ann, nil); s != 404 {
			t.Errorf("private community to non-member = %d, want 404", s)
		}
		if s, _, _ := call(t, u, "GET", "/api/v1/communities/secret", "", nil); s != 404 {
			t.Errorf("private community to anonymous = %d, want 404", s)
		}
		_, list, _ := call(t, u, "GET", "/api/v1/communities", "", nil)
		if n := len(list["communities"].([]any)); n != 1 {
			t.Errorf("public list has %d communities, want 1", n)
		}
		// Members: add, update (history kept), weight rules, last board.
		for _, tc := range []struct {
			name   string
			body   any
			status int
			field  string
		}{
			{"add bob", map[string]any{"handle": "bob", "role": "member"}, 200, ""},
			{"update bob's weight", map[string]any{"handle": "BOB", "role": "member", "weight": 3}, 200, ""},
			{"negative weight", map[string]any{"handle": "cyd", "weight": -1}, 422, "weight"},
			{"fractional weight", `{"handle":"cyd","weight":1.5}`, 422, "weight"},
			{"bad role", map[string]any{"handle": "cyd", "role": "king"}, 422, "role"},
			{"unknown handle", map[string]any{"handle": "nobody"}, 422, "handle"},
			{"demote last board", map[string]any{"handle": "ann", "role": "member"}, 409, ""},
			{"auditor with no vote", map[string]any{"handle": "cyd", "role": "auditor", "weight": 0}, 200, ""},
		} {
			s, m, _ := call(t, u, "POST", "/api/v1/communities/commons/members", ann, tc.body)
			if _, f := errField(m); s != tc.status || f != tc.field {
				t.Errorf("%s: = %d field %q, want %d %q (%v)", tc.name, s, f, tc.status, tc.field, m)
			}
		}
		if s, m, _ := call(t, u, "DELETE", "/api/v1/communities/commons/members/ann", ann, nil); s != 409 {
			t.Errorf("remove last board = %d %v", s, m)
		} else if code, _ := errField(m); code != "last_board" {
			t.Errorf("remove last board code = %q", code)
		}
		before := clock().UTC().Format(time.RFC3339Nano)
		ahead.Add(int64(2 * time.Second)) // the store keeps whole seconds
		if s, _, _ := call(t, u, "DELETE", "/api/v1/communities/commons/members/cyd", ann, nil); s != 204 {
			t.Errorf("remove cyd = %d", s)
		}
		if s, _, _ := call(t, u, "DELETE", "/api/v1/communities/commons/members/cyd", ann, nil); s != 404 {
			t.Errorf("remove cyd twice = %d, want 404", s)
		}
		handles := func(m map[string]any, key string) string {
			var out []string
			for _, x := range m[key].([]any) {
				e := x.(map[string]any)
				out = append(out, e["handle"].(string)+":"+e["role"].(string))
			}
			return strings.Join(out, " ")
		}
		_, now, _ := call(t, u, "GET", "/api/v1/communities/commons/members", bob, nil)
		if got := handles(now, "members"); got != "ann:board bob:member" {
			t.Errorf("roll = %q", got)
		}
		// RFC3339 with nanoseconds parses with time.RFC3339 too.
		s, past, _ := call(t, u, "GET", "/api/v1/communities/commons/members?at="+before, bob, nil)
		if got := handles(past, "members"); s != 200 || got != "ann:board bob:member cyd:auditor" {
			t.Errorf("roll at %s = %d %q", before, s, got)
		}
		if s, _, _ := call(t, u, "GET", "/api/v1/communities/commons/members?at=yesterday", bob, nil); s != 422 {
			t.Errorf("bad at = %d, want 422", s)
		}
		_, hist, _ := call(t, u, "GET", "/api/v1/communities/commons/members/history", ann, nil)
		if n := len(hist["history"].([]any)); n != 4 { // ann, bob w1, bob w3, cyd
			t.Errorf("history rows = %d, want 4: %v", n, hist)
		}
		// Topics.
		if s, m, _ := call(t, u, "POST", "/api/v1/communities/commons/topics", ann, map[string]string{"slug": "budget", "name": "Budget"}); s != 201 {
			t.Errorf("topic = %d %v", s, m)
		}
		if s, _, _ := call(t, u, "POST", "/api/v1/communities/commons/topics", ann, map[string]string{"slug": "budget", "name": "Budget"}); s != 409 {
			t.Errorf("duplicate topic = %d", s)
		}
		_, show, _ := call(t, u, "GET", "/api/v1/communities/commons", "", nil)
		if show["member_count"].(float64) != 2 || len(show["topics"].([]any)) != 1 {
			t.Errorf("show = %v", show)
		}
		// Roll import: bad lines → 422 with every line, nothing applied.
		bad := "handle,email,display_name,role,weight\ndee,dee@example.org,Dee,member,1\nx,,,,\neve,,,,\nfay,fay@example.org,,king,1\n"
		s, m, _ := call(t, u, "POST", "/api/v1/communities/commons/roll/import", ann, matrixBody{ContentType: "text/csv", Data: []byte(bad)})
		if lines, _ := m["lines"].([]any); s != 422 || len(lines) != 2 {
			t.Errorf("bad file = %d %v, want 422 with 2 lines (parse errors first)", s, m)
		}
		bad2 := "dee,dee@example.org,Dee,member,1\neve,,,,\n"
		s, m, _ = call(t, u, "POST", "/api/v1/communities/commons/roll/import", ann, matrixBody{ContentType: "text/csv", Data: []byte(bad2)})
		if lines, _ := m["lines"].([]any); s != 422 || len(lines) != 1 {
			t.Errorf("file with a new handle without email = %d %v", s, m)
		}
		good := "handle,email,display_name,role,weight\ndee,dee@example.org,Dee,member,1\nbob,,,member,3\ncyd,,,member,2\n"
		s, m, _ = call(t, u, "POST", "/api/v1/communities/commons/roll/import?dry_run=1", ann, matrixBody{ContentType: "text/csv", Data: []byte(good)})
		if plan, _ := m["plan"].(map[string]any); s != 200 || m["applied"] != false || plan["created"].(float64) != 1 || plan["added"].(float64) != 1 || plan["unchanged"].(float64) != 1 {
			t.Errorf("dry run = %d %v", s, m)
		}
		if s, _, _ := call(t, u, "GET", "/api/v1/communities/commons/members", bob, nil); s != 200 {
			t.Fatal(s)
		} else if _, now, _ := call(t, u, "GET", "/api/v1/communities/commons/members", bob, nil); len(now["members"].([]any)) != 2 {
			t.Errorf("dry run changed the roll: %v", now)
		}
		s, m, _ = call(t, u, "POST", "/api/v1/communities/commons/roll/import", ann, matrixBody{ContentType: "text/csv", Data: []byte(good)})
		invs, _ := m["invitations"].([]any)
		if s != 200 || m["applied"] != true || len(invs) != 1 {
			t.Fatalf("import = %d %v", s, m)
		}
		link := invs[0].(map[string]any)["link"].(string)
		if !strings.HasPrefix(link, u+"/invitations/") {
			t.Errorf("invitation link %q", link)
		}
		// The invitee sets a password through the link's page.
		res, err := http.Get(link)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("invitation page = %v %v", res.StatusCode, err)
		}
		res.Body.Close()
		_, now, _ = call(t, u, "GET", "/api/v1/communities/commons/members", bob, nil)
		if got := handles(now, "members"); got != "ann:board bob:member cyd:member dee:member" {
			t.Errorf("roll after import = %q", got)
		}
		_, me, _ := call(t, u, "GET", "/api/v1/me", bob, nil)
		if ms := me["memberships"].([]any); len(ms) != 2 || ms[0].(map[string]any)["community"] != "secret" || ms[1].(map[string]any)["weight"].(float64) != 3 {
			t.Errorf("bob's memberships = %v", ms)
		}
	})
}
