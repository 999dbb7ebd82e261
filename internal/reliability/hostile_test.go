package reliability

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"koinon/internal/auth"
	"koinon/internal/domain"
	"koinon/internal/store"
	"koinon/internal/store/sqlstore"
	"koinon/internal/store/storetest"
)

// hostileWorld is a server with: community "commons" (board "board",
// voters v00000…v00002, an open majority ballot), community "beta" with
// its own board "board2", a citizen on no roll "outsider", and tokens.
type hostileWorld struct {
	*app
	E       *electorate
	Beta    store.Community
	Tok     map[string]string
	Revoked string // an access token revoked by logout-all
	Refresh string // a refresh token (not an access token)
}

func newHostileWorld(t testing.TB, st *sqlstore.Store) *hostileWorld {
	a := newApp(t, st, appOptions{})
	e := seed(t, st, a.Tokens, seedOptions{Voters: 3})
	w := storetest.NewWorld(t, st)
	hw := &hostileWorld{app: a, E: e, Tok: e.Tokens}
	hw.Beta = w.Community("beta")
	w.Member(hw.Beta.ID, domain.RoleBoard, 1, "board2")
	for _, h := range []string{"board2", "outsider", "revokee"} {
		c := w.Citizen(h)
		tok, _, err := a.Tokens.Issue(c.ID, c.Handle, c.TokenVersion)
		if err != nil {
			t.Fatal(err)
		}
		hw.Tok[h] = tok
	}
	// Sign revokee out everywhere: its token must stop working.
	hw.Revoked = hw.Tok["revokee"]
	if status, body, _ := do(context.Background(), "POST", a.TS.URL+"/api/v1/auth/logout-all", hw.Revoked, nil); status >= 300 {
		t.Fatalf("logout-all = %d %s", status, body)
	}
	v := e.Voters[0]
	hw.Refresh, _, _ = a.Tokens.IssueRefresh("s", 1, v.ID, v.Handle, v.TokenVersion)
	return hw
}

// rowCounts counts the rows of every table.
func rowCounts(t testing.TB, st *sqlstore.Store) map[string]int64 {
	t.Helper()
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	if st.Dialect() == "postgres" {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	var tables []string
	if err := storetest.DB(t, st).Raw(q).Scan(&tables).Error; err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, tb := range tables {
		var n int64
		if err := storetest.DB(t, st).Table(tb).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		out[tb] = n
	}
	return out
}

// dbDigest is a cheap fingerprint of mutable state beyond row counts.
func dbDigest(t testing.TB, st *sqlstore.Store) string {
	t.Helper()
	var parts []string
	type row struct {
		Handle       string
		DisplayName  string
		TokenVersion int64
		PasswordHash string
	}
	var cs []row
	storetest.DB(t, st).Table("citizens").Select("handle, display_name, token_version, password_hash").Order("id").Scan(&cs)
	for _, c := range cs {
		parts = append(parts, fmt.Sprintf("%s|%s|%d|%d", c.Handle, c.DisplayName, c.TokenVersion, len(c.PasswordHash)))
	}
	var ms []store.Membership
	storetest.DB(t, st).Order("id").Find(&ms)
	for _, m := range ms {
		parts = append(parts, fmt.Sprintf("m%d|%s|%d|%v", m.CitizenID, m.Role, m.Weight, m.EndedAt != nil))
	}
	var bs []store.Ballot
	storetest.DB(t, st).Order("id").Find(&bs)
	for _, b := range bs {
		parts = append(parts, fmt.Sprintf("b%d|%s|%s|%s", b.ID, b.State, b.Title, b.LogHead))
	}
	return strings.Join(parts, "\n")
}

// hostileCase is one malicious request and the statuses it may get.
type hostileCase struct {
	name   string
	method string
	path   string
	token  string // bearer token
	cookie string // session cookie (page routes)
	ctype  string
	body   []byte
	header map[string]string
	want   []int
}

func jsonB(s string) []byte { return []byte(s) }

// noneToken is a token with alg "none" claiming to be the board member.
func noneToken(id int64, handle string) string {
	enc := base64.RawURLEncoding.EncodeToString
	h := enc([]byte(`{"alg":"none","typ":"JWT"}`))
	exp := time.Now().Add(time.Hour).Unix()
	p := enc(fmt.Appendf(nil, `{"handle":%q,"ver":1,"iss":"koinon","sub":"%d","aud":["koinon-access"],"exp":%d}`, handle, id, exp))
	return h + "." + p + "."
}

// forgedToken keeps a voter's signature but claims to be another citizen.
func forgedToken(valid string, id int64, handle string) string {
	parts := strings.Split(valid, ".")
	exp := time.Now().Add(time.Hour).Unix()
	parts[1] = base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, `{"handle":%q,"ver":1,"iss":"koinon","sub":"%d","aud":["koinon-access"],"exp":%d}`, handle, id, exp))
	return strings.Join(parts, ".")
}

func nested(depth int) string {
	return `{"choice":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `}`
}

func (hw *hostileWorld) cases(t testing.TB) []hostileCase {
	e := hw.E
	vote := fmt.Sprintf("/api/v1/ballots/%d/vote", e.Ballot.ID)
	voter := hw.Tok[e.Voters[0].Handle]
	board := hw.Tok["board"]
	otherKey, _, _ := auth.NewTokens([]byte("another-key-another-key-another-key!"), nil).Issue(e.Board.ID, "board", 1)
	expired, _, _ := auth.NewTokens(jwtKey, func() time.Time { return time.Now().Add(-time.Hour) }).Issue(e.Voters[0].ID, e.Voters[0].Handle, 1)
	big := bytes.Repeat([]byte("a"), 2<<20)
	ballot := func(extra string) []byte {
		return fmt.Appendf(nil, `{"title":"T","method":"majority","closes_at":%q%s}`, time.Now().Add(48*time.Hour).UTC().Format(time.RFC3339), extra)
	}
	form := "application/x-www-form-urlencoded"
	return []hostileCase{
		// Sizes and shapes.
		{name: "oversized vote body", method: "PUT", path: vote, token: voter, body: append(append([]byte(`{"choice":"`), big...), `"}`...), want: []int{413}},
		{name: "oversized register body", method: "POST", path: "/api/v1/auth/register", body: append(append([]byte(`{"handle":"`), big...), `"}`...), want: []int{413}},
		{name: "oversized form", method: "POST", path: "/signin", ctype: form, body: append([]byte("handle="), big...), want: []int{413}},
		{name: "deep JSON nesting in a vote", method: "PUT", path: vote, token: voter, body: jsonB(nested(20000)), want: []int{400, 422}},
		{name: "deep JSON nesting in a ballot", method: "POST", path: "/api/v1/communities/commons/ballots", token: board, body: jsonB(`{"options":` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `}`), want: []int{400, 422}},
		{name: "two JSON values", method: "PUT", path: vote, token: voter, body: jsonB(`{"choice":"yes"}{"choice":"no"}`), want: []int{400}},
		{name: "not JSON", method: "PUT", path: vote, token: voter, body: jsonB(`choice=yes`), want: []int{400}},
		{name: "wrong content type", method: "PUT", path: vote, token: voter, ctype: "text/plain", body: jsonB(`{"choice":"yes"}`), want: []int{415}},
		{name: "invalid UTF-8 in a handle", method: "POST", path: "/api/v1/auth/register", body: []byte("{\"handle\":\"ab\xff\xfe\",\"email\":\"x@example.org\",\"password\":\"correct horse battery\"}"), want: []int{400, 422}},
		{name: "invalid UTF-8 in a slug", method: "POST", path: "/api/v1/communities", token: voter, body: []byte("{\"slug\":\"s\xc3\x28x\",\"name\":\"N\"}"), want: []int{400, 422}},
		{name: "invalid UTF-8 choice", method: "PUT", path: vote, token: voter, body: []byte("{\"choice\":\"y\xffes\"}"), want: []int{400}},
		// Injection strings.
		{name: "SQL injection in a handle", method: "POST", path: "/api/v1/auth/register", body: jsonB(`{"handle":"x'); DROP TABLE citizens;--","email":"x@example.org","password":"correct horse battery"}`), want: []int{422}},
		{name: "SQL injection at sign-in", method: "POST", path: "/api/v1/auth/login", body: jsonB(`{"handle":"board' OR '1'='1","password":"' OR '1'='1"}`), want: []int{401, 422}},
		{name: "SQL injection in a path slug", method: "GET", path: "/api/v1/communities/" + url.PathEscape("commons' OR '1'='1") + "/members", token: voter, want: []int{404}},
		{name: "SQL injection in a query", method: "GET", path: "/api/v1/communities/commons/ballots?state=" + url.QueryEscape("open' OR 1=1--") + "&limit=1;DROP", want: []int{422}},
		{name: "SQL injection in a community slug", method: "POST", path: "/api/v1/communities", token: voter, body: jsonB(`{"slug":"a'; DELETE FROM votes;--","name":"N"}`), want: []int{422}},
		{name: "template injection in a slug", method: "POST", path: "/api/v1/communities", token: voter, body: jsonB(`{"slug":"{{.}}","name":"{{template \"base\" .}}"}`), want: []int{422}},
		{name: "template injection in a topic slug", method: "POST", path: "/api/v1/communities/commons/topics", token: board, body: jsonB(`{"slug":"{{printf \"%s\" .}}","name":"x"}`), want: []int{422}},
		// Path traversal.
		{name: "traversal in a community slug", method: "POST", path: "/api/v1/communities", token: voter, body: jsonB(`{"slug":"../../etc","name":"N"}`), want: []int{422}},
		{name: "traversal in a path slug", method: "GET", path: "/api/v1/communities/..%2F..%2Fetc%2Fpasswd", want: []int{404}},
		{name: "traversal in a page slug", method: "GET", path: "/communities/..%2f..%2fgo.mod", want: []int{404}},
		{name: "traversal in static files", method: "GET", path: "/static/..%2f..%2fgo.mod", want: []int{400, 404}},
		{name: "traversal in a topic slug", method: "POST", path: "/api/v1/communities/commons/topics", token: board, body: jsonB(`{"slug":"../x","name":"x"}`), want: []int{422}},
		// Numbers.
		{name: "negative weight", method: "POST", path: "/api/v1/communities/commons/members", token: board, body: jsonB(`{"handle":"outsider","role":"member","weight":-1}`), want: []int{422}},
		{name: "huge weight", method: "POST", path: "/api/v1/communities/commons/members", token: board, body: jsonB(`{"handle":"outsider","role":"member","weight":1e300}`), want: []int{400, 422}},
		{name: "weight past int64", method: "POST", path: "/api/v1/communities/commons/members", token: board, body: jsonB(`{"handle":"outsider","role":"member","weight":99999999999999999999}`), want: []int{400, 422}},
		{name: "negative seats", method: "POST", path: "/api/v1/communities/commons/ballots", token: board, body: ballot(`,"seats":-1`), want: []int{422}},
		{name: "huge seats", method: "POST", path: "/api/v1/communities/commons/ballots", token: board, body: ballot(`,"seats":2147483648000`), want: []int{422}},
		{name: "negative ballot id", method: "PUT", path: "/api/v1/ballots/-1/vote", token: voter, body: jsonB(`{"choice":"yes"}`), want: []int{404}},
		{name: "zero ballot id", method: "PUT", path: "/api/v1/ballots/0/vote", token: voter, body: jsonB(`{"choice":"yes"}`), want: []int{404}},
		{name: "ballot id past int64", method: "PUT", path: "/api/v1/ballots/99999999999999999999/vote", token: voter, body: jsonB(`{"choice":"yes"}`), want: []int{404}},
		{name: "negative proposal id", method: "POST", path: "/api/v1/proposals/-5/support", token: voter, want: []int{404}},
		{name: "negative paging", method: "GET", path: "/api/v1/communities/commons/ballots?limit=-1&offset=-9", want: []int{422}},
		{name: "proposal id past int64 in a ballot", method: "POST", path: "/api/v1/communities/commons/ballots", token: board, body: ballot(`,"proposal":99999999999999999999`), want: []int{400, 422}},
		// Tokens.
		{name: "missing token", method: "PUT", path: vote, body: jsonB(`{"choice":"yes"}`), want: []int{401}},
		{name: "garbage token", method: "PUT", path: vote, token: "not.a.token", body: jsonB(`{"choice":"yes"}`), want: []int{401}},
		{name: "forged claims", method: "POST", path: fmt.Sprintf("/api/v1/ballots/%d/close", e.Ballot.ID), token: forgedToken(voter, e.Board.ID, "board"), want: []int{401}},
		{name: "alg none", method: "POST", path: fmt.Sprintf("/api/v1/ballots/%d/close", e.Ballot.ID), token: noneToken(e.Board.ID, "board"), want: []int{401}},
		{name: "signed with another key", method: "POST", path: fmt.Sprintf("/api/v1/ballots/%d/close", e.Ballot.ID), token: otherKey, want: []int{401}},
		{name: "expired token", method: "PUT", path: vote, token: expired, body: jsonB(`{"choice":"yes"}`), want: []int{401}},
		{name: "revoked token (logout-all)", method: "POST", path: "/api/v1/communities", token: hw.Revoked, body: jsonB(`{"slug":"revoked","name":"R"}`), want: []int{401}},
		{name: "refresh token as access token", method: "PUT", path: vote, token: hw.Refresh, body: jsonB(`{"choice":"yes"}`), want: []int{401}},
		{name: "token in the query string", method: "PUT", path: vote + "?access_token=" + voter, body: jsonB(`{"choice":"yes"}`), want: []int{401}},
		// Forms: CSRF and origin.
		{name: "form POST without CSRF token", method: "POST", path: "/communities", cookie: voter, ctype: form, body: []byte("slug=csrf&name=CSRF"), want: []int{403}},
		{name: "form POST with a wrong CSRF token", method: "POST", path: "/communities", cookie: voter, ctype: form, body: []byte("slug=csrf&name=CSRF&_csrf=forged"), header: map[string]string{"Cookie-Extra": "koinon_csrf=other"}, want: []int{403}},
		{name: "cross-origin form POST", method: "POST", path: fmt.Sprintf("/ballots/%d/vote", e.Ballot.ID), cookie: voter, ctype: form, body: []byte("choice=yes"), header: map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}, want: []int{403}},
		{name: "cross-origin form POST without fetch metadata", method: "POST", path: "/profile/signout-all", cookie: voter, ctype: form, body: []byte(""), header: map[string]string{"Origin": "https://evil.example"}, want: []int{403}},
		// Cross-community and roles.
		{name: "board of commons adds a member to beta", method: "POST", path: "/api/v1/communities/beta/members", token: board, body: jsonB(`{"handle":"outsider","role":"board","weight":1}`), want: []int{403}},
		{name: "board of commons creates a ballot in beta", method: "POST", path: "/api/v1/communities/beta/ballots", token: board, body: ballot(""), want: []int{403}},
		{name: "board of beta closes a commons ballot", method: "POST", path: fmt.Sprintf("/api/v1/ballots/%d/close", e.Ballot.ID), token: hw.Tok["board2"], want: []int{403}},
		{name: "board of beta removes a commons member", method: "DELETE", path: "/api/v1/communities/commons/members/" + e.Voters[1].Handle, token: hw.Tok["board2"], want: []int{403}},
		{name: "member promotes themselves", method: "POST", path: "/api/v1/communities/commons/members", token: voter, body: jsonB(`{"handle":"` + e.Voters[0].Handle + `","role":"board","weight":100}`), want: []int{403}},
		{name: "citizen off the roll votes", method: "PUT", path: vote, token: hw.Tok["outsider"], body: jsonB(`{"choice":"yes"}`), want: []int{403}},
		{name: "delegation in another community", method: "PUT", path: "/api/v1/delegations", token: voter, body: jsonB(`{"community":"beta","delegates":["board2"]}`), want: []int{403, 404, 422}},
	}
}

// send performs one hostile case.
func (hw *hostileWorld) send(t testing.TB, c hostileCase) (int, []byte) {
	t.Helper()
	var r io.Reader
	if c.body != nil {
		r = bytes.NewReader(c.body)
	}
	req, err := http.NewRequest(c.method, hw.TS.URL+c.path, r)
	if err != nil {
		t.Fatal(err)
	}
	if c.body != nil {
		req.Header.Set("Content-Type", cmpOr(c.ctype, "application/json"))
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.cookie != "" {
		req.AddCookie(&http.Cookie{Name: "koinon_session", Value: c.cookie})
	}
	for k, v := range c.header {
		if k == "Cookie-Extra" {
			kv := strings.SplitN(v, "=", 2)
			req.AddCookie(&http.Cookie{Name: kv[0], Value: kv[1]})
			continue
		}
		req.Header.Set(k, v)
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, body
}

// TestHostileRequests sends each malicious request and checks its status
// and that no table changed (row counts, and citizens, memberships and
// ballots field by field).
func TestHostileRequests(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *sqlstore.Store) {
		hw := newHostileWorld(t, st)
		for _, c := range hw.cases(t) {
			t.Run(c.name, func(t *testing.T) {
				before, digest := rowCounts(t, st), dbDigest(t, st)
				status, body := hw.send(t, c)
				if !slices.Contains(c.want, status) {
					t.Errorf("%s %s = %d %s, want %v", c.method, c.path[:min(len(c.path), 80)], status, trimBody(body), c.want)
				}
				after := rowCounts(t, st)
				for tb, n := range after {
					if before[tb] != n {
						t.Errorf("table %s: %d rows before, %d after", tb, before[tb], n)
					}
				}
				if d := dbDigest(t, st); d != digest {
					t.Errorf("citizens, memberships or ballots changed")
				}
			})
		}
		if n := strings.Count(hw.Log.String(), `"level":"ERROR"`); n > 0 {
			t.Errorf("hostile input logged %d errors:\n%s", n, grepLines(hw.Log.String(), `"level":"ERROR"`))
		}
	})
}

// fuzzRoutes are the JSON handlers FuzzAPI reaches, with who calls them.
var fuzzRoutes = []struct{ method, path, who string }{
	{"POST", "/api/v1/auth/register", ""},
	{"POST", "/api/v1/auth/login", ""},
	{"POST", "/api/v1/auth/refresh", ""},
	{"PUT", "/api/v1/ballots/{ballot}/vote", "voter"},
	{"PUT", "/api/v1/delegations", "voter"},
	{"DELETE", "/api/v1/delegations", "voter"},
	{"POST", "/api/v1/communities/commons/ballots", "board"},
	{"POST", "/api/v1/communities", "voter"},
	{"POST", "/api/v1/communities/commons/members", "board"},
	{"POST", "/api/v1/communities/commons/topics", "board"},
	{"POST", "/api/v1/communities/commons/proposals", "voter"},
	{"PUT", "/api/v1/me", "voter"},
	{"PUT", "/api/v1/me/password", "pw"},
	{"POST", "/api/v1/communities/commons/roll/import", "board"},
}

// FuzzAPI sends arbitrary bytes as the JSON body of every API handler
// that takes one, through the real server and store: the answer is never
// a 5xx and nothing panics (a panic would be recovered into a 500).
func FuzzAPI(f *testing.F) {
	st := storetest.SQLite(f)
	hw := newHostileWorld(f, st)
	w := storetest.NewWorld(f, st)
	pw := w.Citizen("pwchanger")
	hw.Tok["pw"], _, _ = hw.Tokens.Issue(pw.ID, pw.Handle, pw.TokenVersion)
	seeds := []string{
		`{}`, `null`, `[]`, `""`, `0`, `{"choice":"yes"}`, `{"choice":["a","b"]}`, `{"choice":[["yes"],["no"]]}`,
		`{"handle":"newcomer","email":"n@example.org","password":"correct horse battery","display_name":"N"}`,
		`{"handle":"board","password":"wrong password"}`,
		`{"community":"commons","delegates":["v00001","v00002"]}`, `{"community":"commons","ballot":1,"delegates":[]}`,
		`{"community":"commons","topic":"nope"}`,
		`{"title":"T","method":"stv","options":["a","b","c"],"seats":2,"closes_at":"2099-01-01T00:00:00Z"}`,
		`{"title":"T","method":"schulze","proposals":[1,2],"threshold":"2/3","quorum":"1/0"}`,
		`{"slug":"newc","name":"N","description":"<script>x</script>"}`,
		`{"handle":"outsider","role":"auditor","weight":0}`, `{"slug":"t1","name":"T"}`,
		`{"topic":"","title":"P","body":"# h\n<img src=x onerror=alert(1)>"}`,
		`{"display_name":"\u0000\ud800"}`, `{"old_password":"x","new_password":"yyyyyyyyyyyy"}`,
		"{\"choice\":\"\xff\"}", `{"choice":1e999}`, `{"seats":-9223372036854775808}`, `{"refresh_token":"a.b.c"}`,
	}
	for i := range fuzzRoutes {
		for _, s := range seeds {
			f.Add(uint8(i), []byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		r := fuzzRoutes[int(route)%len(fuzzRoutes)]
		path := strings.ReplaceAll(r.path, "{ballot}", fmt.Sprint(hw.E.Ballot.ID))
		tok := ""
		switch r.who {
		case "voter":
			tok = hw.Tok[hw.E.Voters[0].Handle]
		case "board", "pw":
			tok = hw.Tok[r.who]
		}
		status, resp, err := do(context.Background(), r.method, hw.TS.URL+path, tok, body)
		if err != nil {
			t.Fatal(err)
		}
		if status >= 500 {
			t.Fatalf("%s %s with %q = %d %s\n%s", r.method, path, body, status, trimBody(resp), grepLines(hw.Log.String(), requestIDOf(resp)))
		}
	})
}

// requestIDOf is the request_id of an API error body.
func requestIDOf(body []byte) string {
	var m struct {
		RequestID string `json:"request_id"`
	}
	json.Unmarshal(body, &m)
	if m.RequestID == "" {
		return "\x00"
	}
	return m.RequestID
}
