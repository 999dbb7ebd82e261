package web_test

// Matrix rows for the JSON API of deliberation, delegate profiles and
// notifications: the same rules as the pages (deliberation_matrix_test.go,
// notifications_matrix_test.go), with 401 instead of the sign-in redirect.
// The proposal is member1's: only she revises it and decides its
// suggestions; she or the board set the end of its discussion.
func init() {
	const ok, created, unauth, forbid = 200, 201, 401, 403
	member := func(success int) [numRoles]int {
		return [numRoles]int{unauth, forbid, success, success, success, forbid}
	}
	author := [numRoles]int{unauth, forbid, created, forbid, forbid, forbid}
	citizen := [numRoles]int{unauth, ok, ok, ok, ok, ok}
	matrixRoutes = append(matrixRoutes,
		matrixRoute{Name: "api deliberation", Method: "GET", Path: "/api/v1/proposals/{proposal}/deliberation", Setup: matrixPost,
			Want: [numRoles]int{ok, ok, ok, ok, ok, ok}},
		matrixRoute{Name: "api add argument", Method: "POST", Path: "/api/v1/proposals/{proposal}/posts", Setup: matrixProposal,
			Body: func(*matrixFixture) matrixBody { return jsonBody(map[string]string{"kind": "for", "body": "Because."}) }, Want: member(created)},
		matrixRoute{Name: "api support post", Method: "PUT", Path: "/api/v1/proposals/{proposal}/posts/{post}/support", Setup: matrixPost, Want: member(ok)},
		matrixRoute{Name: "api withdraw post support", Method: "DELETE", Path: "/api/v1/proposals/{proposal}/posts/{post}/support", Setup: matrixPost, Want: member(ok)},
		matrixRoute{Name: "api hide post", Method: "POST", Path: "/api/v1/proposals/{proposal}/posts/{post}/hide", Setup: matrixPost,
			Body: func(*matrixFixture) matrixBody { return jsonBody(map[string]string{"reason": "off topic"}) },
			Want: [numRoles]int{unauth, forbid, forbid, forbid, ok, forbid}},
		matrixRoute{Name: "api revise proposal", Method: "POST", Path: "/api/v1/proposals/{proposal}/revisions", Setup: matrixProposal,
			Body: func(*matrixFixture) matrixBody {
				return jsonBody(map[string]string{"title": "Matrix proposal", "body": "*better text*"})
			}, Want: author},
		matrixRoute{Name: "api add suggestion", Method: "POST", Path: "/api/v1/proposals/{proposal}/suggestions", Setup: matrixProposal,
			Body: func(*matrixFixture) matrixBody { return jsonBody(map[string]string{"body": "Shorter, please."}) }, Want: member(created)},
		matrixRoute{Name: "api decide suggestion", Method: "PUT", Path: "/api/v1/proposals/{proposal}/suggestions/{suggestion}", Setup: matrixPost,
			Body: func(*matrixFixture) matrixBody { return jsonBody(map[string]string{"state": "adopted"}) },
			Want: [numRoles]int{unauth, forbid, ok, forbid, forbid, forbid}},
		matrixRoute{Name: "api set discussion end", Method: "PUT", Path: "/api/v1/proposals/{proposal}/discussion-end", Setup: matrixProposal,
			Body: func(*matrixFixture) matrixBody { return jsonBody(map[string]int{"days": 3}) },
			Want: [numRoles]int{unauth, forbid, ok, forbid, ok, forbid}},
		matrixRoute{Name: "api moderation log", Method: "GET", Path: "/api/v1/communities/{alpha}/moderation", Want: member(ok)},
		matrixRoute{Name: "api find delegates", Method: "GET", Path: "/api/v1/communities/{alpha}/delegates", Want: [numRoles]int{ok, ok, ok, ok, ok, ok}},
		matrixRoute{Name: "api delegate profile", Method: "GET", Path: "/api/v1/communities/{alpha}/delegates/{target}",
			Want: [numRoles]int{ok, ok, ok, ok, ok, ok}},
		matrixRoute{Name: "api save delegate profile", Method: "PUT", Path: "/api/v1/communities/{alpha}/delegate-profile",
			Body: func(*matrixFixture) matrixBody {
				return jsonBody(map[string]any{"statement": "I stand for trees.", "topics": []string{}})
			},
			Want: member(ok)},
		matrixRoute{Name: "api notifications", Method: "GET", Path: "/api/v1/notifications", Want: citizen},
		matrixRoute{Name: "api unread notifications", Method: "GET", Path: "/api/v1/notifications/unread", Want: citizen},
		matrixRoute{Name: "api mark notifications read", Method: "POST", Path: "/api/v1/notifications/read",
			Body: func(*matrixFixture) matrixBody { return jsonBody(map[string]any{}) }, Want: citizen},
		matrixRoute{Name: "api notification settings", Method: "GET", Path: "/api/v1/notifications/settings", Want: citizen},
		matrixRoute{Name: "api save notification settings", Method: "PUT", Path: "/api/v1/notifications/settings",
			Body: func(*matrixFixture) matrixBody { return jsonBody(map[string]any{"muted": []string{"invitation"}}) }, Want: citizen},
	)
}
