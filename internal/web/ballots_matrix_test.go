package web_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"koinon/internal/closing"
	"koinon/internal/proof"
	"koinon/internal/store"
	"koinon/internal/web/resultstest"
)

// Matrix rows for delegations, proposals, ballots, votes and proofs; the
// close and receipt rows are in authz_more_matrix_test.go.

func matrixBallot(state string) func(t *testing.T, f *matrixFixture) {
	return func(t *testing.T, f *matrixFixture) {
		t.Helper()
		ctx := context.Background()
		b := store.Ballot{CommunityID: f.Alpha.ID, Title: "Matrix ballot", Method: "majority", Seats: 1, Threshold: "1/2", Strict: true,
			Quorum: "0/1", Delegation: true, Secrecy: "public", CreatedBy: f.Citizens["board1"].ID, ClosesAt: time.Now().UTC().Add(time.Hour)}
		opts := []store.BallotOption{{Key: "yes", Label: "Yes"}, {Key: "no", Label: "No"}, {Key: "abstain", Label: "Abstain"}}
		if err := f.Store.CreateBallot(ctx, &b, opts, nil); err != nil {
			t.Fatal(err)
		}
		f.Vars["ballot"] = strconv.FormatInt(b.ID, 10)
		if state == store.StateDraft {
			return
		}
		if _, err := f.Store.OpenBallot(ctx, b.ID); err != nil {
			t.Fatal(err)
		}
		if state == store.StateOpen {
			return
		}
		_, err := f.Store.CastVote(ctx, store.CastRequest{BallotID: b.ID, CitizenID: f.Citizens["member1"].ID, Choice: `"yes"`,
			Receipt: func(v string, at time.Time, nonce string) (string, error) {
				return proof.CastReceipt(b.IDString(), v, []byte(`"yes"`), at, nonce)
			}})
		if err == nil {
			_, err = closing.New(f.Store, resultstest.NewSigner("matrix"), nil).Close(ctx, b.ID)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func matrixProposal(t *testing.T, f *matrixFixture) {
	p := store.Proposal{CommunityID: f.Alpha.ID, AuthorID: f.Citizens["member1"].ID, Title: "Matrix proposal", Body: "*text*"}
	if err := f.Store.CreateProposal(context.Background(), &p); err != nil {
		t.Fatal(err)
	}
	f.Vars["proposal"] = strconv.FormatInt(p.ID, 10)
}

func init() {
	const (
		ok, created, none, see         = 200, 201, 204, 303
		unauth, forbid, missing, wrong = 401, 403, 404, 409
	)
	member := func(success int) [numRoles]int {
		return [numRoles]int{unauth, forbid, success, success, success, forbid}
	}
	memberPage := func(success int) [numRoles]int { return [numRoles]int{see, forbid, success, success, success, forbid} }
	board := func(success int) [numRoles]int { return [numRoles]int{unauth, forbid, forbid, forbid, success, forbid} }
	boardPage := func(success int) [numRoles]int { return [numRoles]int{see, forbid, forbid, forbid, success, forbid} }
	anyone := func(success int) [numRoles]int {
		return [numRoles]int{success, success, success, success, success, success}
	}
	// Voters are those on the frozen roll: member1 and board1 (auditor1 has
	// weight 0, board2 and outsider are not members of alpha).
	voter := func(success int) [numRoles]int {
		return [numRoles]int{unauth, forbid, success, forbid, success, forbid}
	}
	future := func() string { return time.Now().UTC().Add(time.Hour).Format(time.RFC3339) }
	_ = wrong
	matrixRoutes = append(matrixRoutes,
		matrixRoute{Name: "api set delegation", Method: "PUT", Path: "/api/v1/delegations",
			Body: func(*matrixFixture) matrixBody {
				return jsonBody(map[string]any{"community": "alpha", "delegates": []string{"target"}})
			}, Want: member(ok)},
		matrixRoute{Name: "api remove delegation", Method: "DELETE", Path: "/api/v1/delegations",
			Body: func(*matrixFixture) matrixBody { return jsonBody(map[string]any{"community": "alpha"}) }, Want: member(ok)},
		matrixRoute{Name: "api list delegations", Method: "GET", Path: "/api/v1/delegations?community=alpha", Want: member(ok)},
		matrixRoute{Name: "api create proposal", Method: "POST", Path: "/api/v1/communities/{alpha}/proposals",
			Body: func(*matrixFixture) matrixBody {
				return jsonBody(map[string]any{"title": "Trees", "body": "Plant them."})
			}, Want: member(created)},
		matrixRoute{Name: "api list proposals", Method: "GET", Path: "/api/v1/communities/{alpha}/proposals", Want: anyone(ok)},
		matrixRoute{Name: "api support proposal", Method: "POST", Path: "/api/v1/proposals/{proposal}/support", Setup: matrixProposal, Want: member(ok)},
		matrixRoute{Name: "api withdraw support", Method: "DELETE", Path: "/api/v1/proposals/{proposal}/support", Setup: matrixProposal, Want: member(ok)},
		matrixRoute{Name: "api create ballot", Method: "POST", Path: "/api/v1/communities/{alpha}/ballots",
			Body: func(*matrixFixture) matrixBody {
				return jsonBody(map[string]any{"title": "T", "method": "majority", "closes_at": future()})
			}, Want: board(created)},
		matrixRoute{Name: "api list ballots", Method: "GET", Path: "/api/v1/communities/{alpha}/ballots", Want: anyone(ok)},
		matrixRoute{Name: "api show ballot", Method: "GET", Path: "/api/v1/ballots/{ballot}", Setup: matrixBallot(store.StateOpen), Want: anyone(ok)},
		matrixRoute{Name: "api open ballot", Method: "POST", Path: "/api/v1/ballots/{ballot}/open", Setup: matrixBallot(store.StateDraft),
			Want: [numRoles]int{unauth, missing, missing, missing, ok, missing}}, // a draft is the board's only (404 to the rest)
		matrixRoute{Name: "api cast vote", Method: "PUT", Path: "/api/v1/ballots/{ballot}/vote", Setup: matrixBallot(store.StateOpen),
			Body: func(*matrixFixture) matrixBody { return jsonBody(map[string]any{"choice": "yes"}) }, Want: voter(ok)},
		matrixRoute{Name: "api withdraw vote", Method: "DELETE", Path: "/api/v1/ballots/{ballot}/vote", Setup: matrixBallot(store.StateOpen), Want: voter(missing)},
		matrixRoute{Name: "api result", Method: "GET", Path: "/api/v1/ballots/{ballot}/result", Setup: matrixBallot(store.StateClosed), Want: anyone(ok)},
		matrixRoute{Name: "api proof", Method: "GET", Path: "/api/v1/ballots/{ballot}/proof", Setup: matrixBallot(store.StateClosed), Want: anyone(ok)},
		matrixRoute{Name: "api log", Method: "GET", Path: "/api/v1/ballots/{ballot}/log", Setup: matrixBallot(store.StateClosed), Want: anyone(ok)},

		matrixRoute{Name: "page delegations", Method: "GET", Path: "/delegations", Page: true, Want: [numRoles]int{see, ok, ok, ok, ok, ok}},
		matrixRoute{Name: "page save delegation", Method: "POST", Path: "/delegations", Page: true,
			Body: func(*matrixFixture) matrixBody {
				return formBody("community", "alpha", "scope", "c", "action", "myself")
			},
			Want: memberPage(see)},
		matrixRoute{Name: "page proposals", Method: "GET", Path: "/communities/{alpha}/proposals", Page: true, Want: anyone(ok)},
		matrixRoute{Name: "page new proposal", Method: "GET", Path: "/communities/{alpha}/proposals/new", Page: true, Want: memberPage(ok)},
		matrixRoute{Name: "page proposal", Method: "GET", Path: "/proposals/{proposal}", Page: true, Setup: matrixProposal, Want: anyone(ok)},
		matrixRoute{Name: "page support", Method: "POST", Path: "/proposals/{proposal}/support", Page: true, Setup: matrixProposal,
			Body: func(*matrixFixture) matrixBody { return formBody("support", "1") }, Want: memberPage(see)},
		matrixRoute{Name: "page ballots", Method: "GET", Path: "/communities/{alpha}/ballots", Page: true, Want: anyone(ok)},
		matrixRoute{Name: "page new ballot", Method: "GET", Path: "/communities/{alpha}/ballots/new", Page: true, Want: boardPage(ok)},
		matrixRoute{Name: "page ballot", Method: "GET", Path: "/ballots/{ballot}", Page: true, Setup: matrixBallot(store.StateOpen), Want: anyone(ok)},
		matrixRoute{Name: "page open ballot", Method: "POST", Path: "/ballots/{ballot}/open", Page: true, Setup: matrixBallot(store.StateDraft),
			Want: [numRoles]int{see, missing, missing, missing, see, missing}},
		matrixRoute{Name: "page vote", Method: "POST", Path: "/ballots/{ballot}/vote", Page: true, Setup: matrixBallot(store.StateOpen),
			Body: func(*matrixFixture) matrixBody { return formBody("choice", "no") },
			Want: [numRoles]int{see, forbid, see, forbid, see, forbid}},
		matrixRoute{Name: "page proof", Method: "GET", Path: "/ballots/{ballot}/proof", Page: true, Setup: matrixBallot(store.StateClosed), Want: anyone(ok)},
	)
	_ = none
}
