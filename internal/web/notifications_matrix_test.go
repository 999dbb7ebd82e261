package web_test

// The notification routes' rows of the authorisation matrix. A citizen
// only ever reads and marks her own notifications; the unsubscribe link
// needs no sign-in but a signed token, and the matrix server has no mail
// configured (404).
func init() {
	const see, missing = 303, 404
	everyone := func(s int) [numRoles]int { return [numRoles]int{s, s, s, s, s, s} }
	matrixRoutes = append(matrixRoutes,
		matrixRoute{Name: "page mark notifications read", Method: "POST", Path: "/notifications/read", Page: true,
			Body: func(*matrixFixture) matrixBody { return formBody() }, Want: everyone(see)},
		matrixRoute{Name: "page notification settings", Method: "POST", Path: "/notifications/settings", Page: true,
			Body: func(*matrixFixture) matrixBody { return formBody("mail_invitation", "on") }, Want: everyone(see)},
		matrixRoute{Name: "page unsubscribe", Method: "POST", Path: "/unsubscribe", Page: true,
			Body: func(*matrixFixture) matrixBody { return formBody("q", "c=1&k=invitation&t=x") }, Want: everyone(missing)},
	)
}
