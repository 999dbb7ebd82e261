package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"koinon/internal/auth"
	"koinon/internal/domain"
	"koinon/internal/store"
	"koinon/internal/store/sqlstore"
	"koinon/internal/store/storetest"
)

// The authorisation matrix: every role × every route in matrixRoutes →
// the expected status, each cell on a fresh database. Each area appends
// its rows from its own file's init (the people rows are at the end of
// this file), so adding a route is one line of table.

// Roles of the matrix, in the order of matrixRoute.Want.
const (
	roleAnonymous  = iota // no token
	roleCitizen           // signed in, not on alpha's roll
	roleMember            // member of alpha, weight 1
	roleAuditor           // auditor of alpha, weight 0
	roleBoard             // board of alpha
	roleOtherBoard        // board of beta only
	numRoles
)

var roleNames = [numRoles]string{"anonymous", "citizen", "member", "auditor", "board", "other_board"}

// matrixRoute is one row: a request and the status each role gets.
type matrixRoute struct {
	Name   string
	Method string
	// Path may name fixture values as {key} (see matrixFixture.Vars):
	// {alpha}, {beta}, {target} and whatever Setup adds.
	Path string
	// Page routes authenticate with the session cookie and send the CSRF
	// token; API routes send a bearer token.
	Page bool
	// Body builds the request body (nil: none).
	Body func(f *matrixFixture) matrixBody
	// Setup prepares more fixture (a ballot, a proposal…) and may add Vars.
	Setup func(t *testing.T, f *matrixFixture)
	// Want is the status per role: anonymous, citizen, member, auditor,
	// board, other board. An anonymous 303 must redirect to /signin.
	Want [numRoles]int
}

// matrixRoutes is the whole table; areas append to it in init.
var matrixRoutes []matrixRoute

// matrixBody is a request body and its content type.
type matrixBody struct {
	ContentType string
	Data        []byte
}

func jsonBody(v any) matrixBody {
	b, _ := json.Marshal(v)
	return matrixBody{ContentType: "application/json", Data: b}
}

func formBody(kv ...string) matrixBody {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return matrixBody{ContentType: "application/x-www-form-urlencoded", Data: []byte(v.Encode())}
}

// fileBody is a multipart form with one file field and other fields.
func fileBody(field, name, content string, kv ...string) matrixBody {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for i := 0; i+1 < len(kv); i += 2 {
		w.WriteField(kv[i], kv[i+1])
	}
	fw, _ := w.CreateFormFile(field, name)
	io.WriteString(fw, content)
	w.Close()
	return matrixBody{ContentType: w.FormDataContentType(), Data: buf.Bytes()}
}

// matrixFixture is the world each cell starts from: communities alpha
// (public) and beta, and one citizen per role plus "target" (a member of
// alpha) and "newbie" (a citizen on no roll). Every citizen's password is
// matrixPassword.
type matrixFixture struct {
	Store      *sqlstore.Store
	Tokens     *auth.Tokens
	URL        string
	Alpha      store.Community
	Beta       store.Community
	Citizens   map[string]store.Citizen
	Vars       map[string]string
	RoleHandle [numRoles]string
}

const matrixPassword = "correct horse battery"

var matrixHash = sync.OnceValue(func() string {
	h, err := auth.HashPassword(matrixPassword)
	if err != nil {
		panic(err)
	}
	return h
})

func newMatrixFixture(t *testing.T, st *sqlstore.Store, serverURL string) *matrixFixture {
	t.Helper()
	ctx := context.Background()
	f := &matrixFixture{Store: st, Tokens: testTokens(), URL: serverURL, Citizens: map[string]store.Citizen{}, Vars: map[string]string{}}
	f.RoleHandle = [numRoles]string{"", "outsider", "member1", "auditor1", "board1", "board2"}
	for _, h := range []string{"outsider", "member1", "auditor1", "board1", "board2", "target", "newbie"} {
		c := store.Citizen{Handle: h, Email: h + "@example.org", DisplayName: h, PasswordHash: matrixHash()}
		if err := st.CreateCitizen(ctx, &c); err != nil {
			t.Fatal(err)
		}
		f.Citizens[h] = c
	}
	f.Alpha = store.Community{Slug: "alpha", Name: "Alpha", Public: true}
	if err := st.CreateCommunity(ctx, &f.Alpha, f.Citizens["board1"].ID); err != nil {
		t.Fatal(err)
	}
	f.Beta = store.Community{Slug: "beta", Name: "Beta", Public: true}
	if err := st.CreateCommunity(ctx, &f.Beta, f.Citizens["board2"].ID); err != nil {
		t.Fatal(err)
	}
	for _, m := range []struct {
		h, role string
		w       int64
	}{{"member1", domain.RoleMember, 1}, {"auditor1", domain.RoleAuditor, 0}, {"target", domain.RoleMember, 1}} {
		if _, _, err := st.SetMembership(ctx, f.Alpha.ID, m.h, m.role, m.w); err != nil {
			t.Fatal(err)
		}
	}
	f.Vars["alpha"], f.Vars["beta"], f.Vars["target"] = "alpha", "beta", "target"
	return f
}

// Token returns a fresh access token for the role's citizen ("" when
// anonymous).
func (f *matrixFixture) Token(t *testing.T, role int) string {
	h := f.RoleHandle[role]
	if h == "" {
		return ""
	}
	c := f.Citizens[h]
	tok, _, err := f.Tokens.Issue(c.ID, c.Handle, c.TokenVersion)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (f *matrixFixture) expand(path string) string {
	for k, v := range f.Vars {
		path = strings.ReplaceAll(path, "{"+k+"}", v)
	}
	return path
}

// noRedirects is a client that reports redirects instead of following.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func TestAuthorizationMatrix(t *testing.T) {
	if len(matrixRoutes) == 0 {
		t.Fatal("no matrix routes")
	}
	for _, r := range matrixRoutes {
		t.Run(r.Name, func(t *testing.T) {
			for role := range numRoles {
				t.Run(roleNames[role], func(t *testing.T) {
					st := storetest.SQLite(t)
					ts := newServer(t, st)
					f := newMatrixFixture(t, st, ts.URL)
					if r.Setup != nil {
						r.Setup(t, f)
					}
					var body io.Reader
					var ctype string
					if r.Body != nil {
						b := r.Body(f)
						body, ctype = bytes.NewReader(b.Data), b.ContentType
					}
					if r.Page && r.Method != "GET" && body == nil {
						b := formBody()
						body, ctype = bytes.NewReader(b.Data), b.ContentType
					}
					req, err := http.NewRequest(r.Method, ts.URL+f.expand(r.Path), body)
					if err != nil {
						t.Fatal(err)
					}
					if ctype != "" {
						req.Header.Set("Content-Type", ctype)
					}
					tok := f.Token(t, role)
					if r.Page {
						// The session's CSRF token, in the header (multipart
						// bodies are built before the role is known).
						csrf, ck := csrfFor(t, tok)
						req.Header.Set("X-CSRF-Token", csrf)
						if ck != nil {
							req.AddCookie(ck)
						}
					}
					if tok != "" {
						if r.Page {
							req.AddCookie(&http.Cookie{Name: "koinon_session", Value: tok})
						} else {
							req.Header.Set("Authorization", "Bearer "+tok)
						}
					}
					res, err := noRedirects.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					got, _ := io.ReadAll(res.Body)
					res.Body.Close()
					if want := r.Want[role]; res.StatusCode != want {
						t.Errorf("%s %s as %s = %d, want %d: %s", r.Method, r.Path, roleNames[role], res.StatusCode, want, trim(got))
					}
					if role == roleAnonymous && res.StatusCode == http.StatusSeeOther {
						if loc := res.Header.Get("Location"); !strings.HasPrefix(loc, "/signin") && r.Want[roleCitizen] != http.StatusSeeOther {
							t.Errorf("anonymous redirect to %q, want /signin", loc)
						}
					}
				})
			}
		})
	}
}

func init() {
	const (
		ok, created, none, see = 200, 201, 204, 303
		unauth, forbid         = 401, 403
	)
	board := func(success int) [numRoles]int { return [numRoles]int{unauth, forbid, forbid, forbid, success, forbid} }
	boardPage := func(success int) [numRoles]int { return [numRoles]int{see, forbid, forbid, forbid, success, forbid} }
	citizen := func(success int) [numRoles]int {
		return [numRoles]int{unauth, success, success, success, success, success}
	}
	citizenPage := func(success int) [numRoles]int {
		return [numRoles]int{see, success, success, success, success, success}
	}
	anyone := func(success int) [numRoles]int {
		return [numRoles]int{success, success, success, success, success, success}
	}
	roll := "handle,email,display_name,role,weight\nnewbie,,,member,1\nfresh_one,fresh@example.org,Fresh,member,1\n"
	matrixRoutes = append(matrixRoutes,
		matrixRoute{Name: "api register", Method: "POST", Path: "/api/v1/auth/register",
			Body: func(*matrixFixture) matrixBody {
				return jsonBody(map[string]string{"handle": "zed", "email": "zed@example.org", "password": matrixPassword})
			}, Want: anyone(created)},
		matrixRoute{Name: "api logout-all", Method: "POST", Path: "/api/v1/auth/logout-all", Want: citizen(none)},
		matrixRoute{Name: "api update me", Method: "PUT", Path: "/api/v1/me",
			Body: func(*matrixFixture) matrixBody { return jsonBody(map[string]string{"statement": "I read everything."}) }, Want: citizen(ok)},
		matrixRoute{Name: "api change password", Method: "PUT", Path: "/api/v1/me/password",
			Body: func(*matrixFixture) matrixBody {
				return jsonBody(map[string]string{"current_password": matrixPassword, "new_password": "a brand new passphrase"})
			}, Want: citizen(ok)},
		matrixRoute{Name: "api create community", Method: "POST", Path: "/api/v1/communities",
			Body: func(*matrixFixture) matrixBody { return jsonBody(map[string]string{"slug": "gamma", "name": "Gamma"}) }, Want: citizen(created)},
		matrixRoute{Name: "api set member", Method: "POST", Path: "/api/v1/communities/{alpha}/members",
			Body: func(*matrixFixture) matrixBody {
				return jsonBody(map[string]any{"handle": "newbie", "role": "member", "weight": 2})
			}, Want: board(ok)},
		matrixRoute{Name: "api remove member", Method: "DELETE", Path: "/api/v1/communities/{alpha}/members/{target}", Want: board(none)},
		matrixRoute{Name: "api create topic", Method: "POST", Path: "/api/v1/communities/{alpha}/topics",
			Body: func(*matrixFixture) matrixBody {
				return jsonBody(map[string]string{"slug": "budget", "name": "Budget"})
			}, Want: board(created)},
		matrixRoute{Name: "api import roll", Method: "POST", Path: "/api/v1/communities/{alpha}/roll/import",
			Body: func(*matrixFixture) matrixBody { return matrixBody{ContentType: "text/csv", Data: []byte(roll)} }, Want: board(ok)},
		matrixRoute{Name: "api list members", Method: "GET", Path: "/api/v1/communities/{alpha}/members",
			Want: [numRoles]int{unauth, forbid, ok, ok, ok, forbid}},
		matrixRoute{Name: "api member history", Method: "GET", Path: "/api/v1/communities/{alpha}/members/history",
			Want: [numRoles]int{unauth, forbid, forbid, ok, ok, forbid}},

		matrixRoute{Name: "page create community", Method: "POST", Path: "/communities", Page: true,
			Body: func(*matrixFixture) matrixBody { return formBody("slug", "gamma", "name", "Gamma", "public", "1") }, Want: citizenPage(see)},
		matrixRoute{Name: "page save profile", Method: "POST", Path: "/profile", Page: true,
			Body: func(*matrixFixture) matrixBody { return formBody("display_name", "Someone", "statement", "") }, Want: citizenPage(see)},
		matrixRoute{Name: "page change password", Method: "POST", Path: "/profile/password", Page: true,
			Body: func(*matrixFixture) matrixBody {
				return formBody("current_password", matrixPassword, "new_password", "a brand new passphrase")
			}, Want: citizenPage(see)},
		matrixRoute{Name: "page sign out everywhere", Method: "POST", Path: "/profile/signout-all", Page: true, Want: citizenPage(see)},
		matrixRoute{Name: "page set member", Method: "POST", Path: "/communities/{alpha}/roll", Page: true,
			Body: func(*matrixFixture) matrixBody { return formBody("handle", "newbie", "role", "member", "weight", "1") }, Want: boardPage(see)},
		matrixRoute{Name: "page remove member", Method: "POST", Path: "/communities/{alpha}/roll/{target}/remove", Page: true, Want: boardPage(see)},
		matrixRoute{Name: "page create topic", Method: "POST", Path: "/communities/{alpha}/topics", Page: true,
			Body: func(*matrixFixture) matrixBody { return formBody("topic_slug", "budget", "topic_name", "Budget") }, Want: boardPage(see)},
		matrixRoute{Name: "page import preview", Method: "POST", Path: "/communities/{alpha}/roll/import", Page: true,
			Body: func(*matrixFixture) matrixBody { return fileBody("file", "roll.csv", roll) }, Want: boardPage(ok)},
		matrixRoute{Name: "page invitation links", Method: "POST", Path: "/communities/{alpha}/roll/invitations", Page: true, Want: boardPage(ok)},
		matrixRoute{Name: "page roll", Method: "GET", Path: "/communities/{alpha}/roll", Page: true,
			Want: [numRoles]int{see, forbid, ok, ok, ok, forbid}},
	)
	_ = fmt.Sprint
}
