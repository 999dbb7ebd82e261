package web_test

import (
	"context"
	"strconv"
	"testing"

	"koinon/internal/store"
)

// matrixPost adds a proposal by member1 with a comment by target
// ({post}) and a suggestion by target ({suggestion}).
func matrixPost(t *testing.T, f *matrixFixture) {
	t.Helper()
	matrixProposal(t, f)
	ctx := context.Background()
	pid, _ := strconv.ParseInt(f.Vars["proposal"], 10, 64)
	p := store.Post{ProposalID: pid, AuthorID: f.Citizens["target"].ID, Kind: store.PostComment, Body: "a comment"}
	if err := f.Store.AddPost(ctx, &p); err != nil {
		t.Fatal(err)
	}
	sg := store.Suggestion{ProposalID: pid, AuthorID: f.Citizens["target"].ID, Body: "say more"}
	if err := f.Store.AddSuggestion(ctx, &sg); err != nil {
		t.Fatal(err)
	}
	f.Vars["post"], f.Vars["suggestion"] = strconv.FormatInt(p.ID, 10), strconv.FormatInt(sg.ID, 10)
}

// Matrix rows for deliberation: members post, support and suggest; the
// board hides; only the author revises and decides suggestions; the
// author or the board sets the end of the discussion.
func init() {
	const see, forbid = 303, 403
	memberPage := [numRoles]int{see, forbid, see, see, see, forbid}
	authorPage := [numRoles]int{see, forbid, see, forbid, forbid, forbid}
	matrixRoutes = append(matrixRoutes,
		matrixRoute{Name: "page add argument", Method: "POST", Path: "/proposals/{proposal}/posts", Page: true, Setup: matrixProposal,
			Body: func(*matrixFixture) matrixBody { return formBody("kind", "for", "body", "Because.") }, Want: memberPage},
		matrixRoute{Name: "page support post", Method: "POST", Path: "/proposals/{proposal}/posts/{post}/support", Page: true, Setup: matrixPost,
			Body: func(*matrixFixture) matrixBody { return formBody("support", "1") }, Want: memberPage},
		matrixRoute{Name: "page hide post", Method: "POST", Path: "/proposals/{proposal}/posts/{post}/hide", Page: true, Setup: matrixPost,
			Body: func(*matrixFixture) matrixBody { return formBody("reason", "off topic") }, Want: [numRoles]int{see, forbid, forbid, forbid, see, forbid}},
		matrixRoute{Name: "page revise proposal", Method: "POST", Path: "/proposals/{proposal}/revisions", Page: true, Setup: matrixProposal,
			Body: func(*matrixFixture) matrixBody { return formBody("title", "Matrix proposal", "body", "*better text*") }, Want: authorPage},
		matrixRoute{Name: "page add suggestion", Method: "POST", Path: "/proposals/{proposal}/suggestions", Page: true, Setup: matrixProposal,
			Body: func(*matrixFixture) matrixBody { return formBody("body", "Shorter, please.") }, Want: memberPage},
		matrixRoute{Name: "page decide suggestion", Method: "POST", Path: "/proposals/{proposal}/suggestions/{suggestion}", Page: true, Setup: matrixPost,
			Body: func(*matrixFixture) matrixBody { return formBody("state", "adopted") }, Want: authorPage},
		matrixRoute{Name: "page set discussion end", Method: "POST", Path: "/proposals/{proposal}/discussion-end", Page: true, Setup: matrixProposal,
			Body: func(*matrixFixture) matrixBody { return formBody("days", "3") }, Want: [numRoles]int{see, forbid, see, forbid, see, forbid}},
		matrixRoute{Name: "page moderation log", Method: "GET", Path: "/communities/{alpha}/moderation", Page: true,
			Want: [numRoles]int{see, forbid, 200, 200, 200, forbid}},
		matrixRoute{Name: "page versions", Method: "GET", Path: "/proposals/{proposal}/versions", Page: true, Setup: matrixProposal,
			Want: [numRoles]int{200, 200, 200, 200, 200, 200}},
	)
}

func init() {
	matrixRoutes = append(matrixRoutes,
		matrixRoute{Name: "page save delegate profile", Method: "POST", Path: "/communities/{alpha}/delegate-profile", Page: true,
			Body: func(*matrixFixture) matrixBody { return formBody("statement", "I stand for trees.") },
			Want: [numRoles]int{303, 403, 303, 303, 303, 403}},
		matrixRoute{Name: "page delegate profile", Method: "GET", Path: "/communities/{alpha}/delegates/{target}", Page: true,
			Want: [numRoles]int{200, 200, 200, 200, 200, 200}},
	)
}
