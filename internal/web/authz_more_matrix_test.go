package web_test

import (
	"testing"

	"koinon/internal/store"
)

// Matrix rows for sign-in routes (open to everyone by design), closing
// ballots and the page forms that mirror API routes.
func init() {
	const (
		ok, see                 = 200, 303
		unauth, forbid, missing = 401, 403, 404
	)
	all := func(status int) [numRoles]int { return [numRoles]int{status, status, status, status, status, status} }
	matrixRoutes = append(matrixRoutes,
		matrixRoute{Name: "api login, wrong password", Method: "POST", Path: "/api/v1/auth/login",
			Body: func(*matrixFixture) matrixBody {
				return jsonBody(map[string]any{"handle": "member1", "password": "not the password"})
			}, Want: all(unauth)},
		matrixRoute{Name: "api refresh without a refresh token", Method: "POST", Path: "/api/v1/auth/refresh",
			Body: func(*matrixFixture) matrixBody { return jsonBody(map[string]any{}) }, Want: all(unauth)},
		matrixRoute{Name: "api logout with a forged refresh token", Method: "POST", Path: "/api/v1/auth/logout",
			Body: func(*matrixFixture) matrixBody { return jsonBody(map[string]any{"refresh_token": "forged"}) }, Want: all(204)},
		matrixRoute{Name: "page sign up", Method: "POST", Path: "/signup", Page: true,
			Body: func(*matrixFixture) matrixBody {
				return formBody("handle", "newcomer", "email", "n@example.org", "password", "a long enough password", "display_name", "N")
			}, Want: all(see)},
		matrixRoute{Name: "page sign in, wrong password", Method: "POST", Path: "/signin", Page: true,
			Body: func(*matrixFixture) matrixBody { return formBody("handle", "member1", "password", "not the password") },
			Want: all(unauth)},
		matrixRoute{Name: "page sign out", Method: "POST", Path: "/signout", Page: true, Want: all(see)},
		matrixRoute{Name: "page invitation, unknown token", Method: "POST", Path: "/invitations/{token}", Page: true,
			Setup: func(_ *testing.T, f *matrixFixture) { f.Vars["token"] = "nosuchtoken" },
			Body:  func(*matrixFixture) matrixBody { return formBody("password", "a long enough password") }, Want: all(missing)},
		matrixRoute{Name: "api close ballot", Method: "POST", Path: "/api/v1/ballots/{ballot}/close", Setup: matrixBallot(store.StateOpen),
			Want: [numRoles]int{unauth, forbid, forbid, forbid, ok, forbid}},
		matrixRoute{Name: "page confirm close", Method: "GET", Path: "/ballots/{ballot}/close", Page: true, Setup: matrixBallot(store.StateOpen),
			Want: [numRoles]int{see, forbid, forbid, forbid, ok, forbid}},
		matrixRoute{Name: "page close ballot", Method: "POST", Path: "/ballots/{ballot}/close", Page: true, Setup: matrixBallot(store.StateOpen),
			Body: func(*matrixFixture) matrixBody { return formBody("confirm", "1") },
			Want: [numRoles]int{see, forbid, forbid, forbid, see, forbid}},
		matrixRoute{Name: "page create proposal", Method: "POST", Path: "/communities/{alpha}/proposals", Page: true,
			Body: func(*matrixFixture) matrixBody { return formBody("title", "Trees", "body", "Plant them.") },
			Want: [numRoles]int{see, forbid, see, see, see, forbid}},
		matrixRoute{Name: "page create ballot", Method: "POST", Path: "/communities/{alpha}/ballots", Page: true,
			Body: func(*matrixFixture) matrixBody {
				return formBody("title", "T", "method", "majority", "closes_at", "2099-01-01T10:00")
			},
			Want: [numRoles]int{see, forbid, forbid, forbid, see, forbid}},
		matrixRoute{Name: "page withdraw vote", Method: "POST", Path: "/ballots/{ballot}/vote/withdraw", Page: true, Setup: matrixBallot(store.StateOpen),
			Want: [numRoles]int{see, forbid, see, forbid, see, forbid}},
		matrixRoute{Name: "api receipt", Method: "GET", Path: "/api/v1/ballots/{ballot}/receipt", Setup: matrixBallot(store.StateClosed),
			Want: [numRoles]int{unauth, missing, ok, missing, missing, missing}},
	)
}
