package web_test

import (
	"testing"

	"koinon/internal/domain"
)

// offerEveryone offers a seat on alpha's board to each role's citizen
// (board1 is on it already, so nothing is offered to them).
func offerEveryone(t *testing.T, f *matrixFixture) {
	for _, h := range f.RoleHandle {
		if h == "" {
			continue
		}
		if _, err := f.Store.ChangeRole(t.Context(), f.Alpha.ID, h, domain.RoleBoard, 1); err != nil {
			t.Fatal(err)
		}
	}
}

func init() {
	const (
		ok, accepted, none, see = 200, 202, 204, 303
		unauth, forbid, missing = 401, 403, 404
	)
	// The board member of alpha has no offer to answer: 404.
	answer := func(success int) [numRoles]int {
		return [numRoles]int{unauth, success, success, success, missing, success}
	}
	answerPage := func() [numRoles]int { return [numRoles]int{see, see, see, see, missing, see} }
	matrixRoutes = append(matrixRoutes,
		matrixRoute{Name: "api offer a board seat", Method: "POST", Path: "/api/v1/communities/{alpha}/members",
			Body: func(*matrixFixture) matrixBody {
				return jsonBody(map[string]any{"handle": "target", "role": "board", "weight": 1})
			}, Want: [numRoles]int{unauth, forbid, forbid, forbid, accepted, forbid}},
		matrixRoute{Name: "page offer a board seat", Method: "POST", Path: "/communities/{alpha}/roll", Page: true,
			Body: func(*matrixFixture) matrixBody { return formBody("handle", "target", "role", "board", "weight", "1") },
			Want: [numRoles]int{see, forbid, forbid, forbid, see, forbid}},
		matrixRoute{Name: "api accept board offer", Method: "POST", Path: "/api/v1/me/board-offers/{alpha}/accept",
			Setup: offerEveryone, Want: answer(ok)},
		matrixRoute{Name: "api decline board offer", Method: "POST", Path: "/api/v1/me/board-offers/{alpha}/decline",
			Setup: offerEveryone, Want: answer(none)},
		matrixRoute{Name: "page accept board offer", Method: "POST", Path: "/profile/board-offers/{alpha}/accept", Page: true,
			Setup: offerEveryone, Want: answerPage()},
		matrixRoute{Name: "page decline board offer", Method: "POST", Path: "/profile/board-offers/{alpha}/decline", Page: true,
			Setup: offerEveryone, Want: answerPage()},
		matrixRoute{Name: "api accept without an offer", Method: "POST", Path: "/api/v1/me/board-offers/{alpha}/accept",
			Want: [numRoles]int{unauth, missing, missing, missing, missing, missing}},
	)
}
