package web_test

import (
	"testing"

	"koinon/internal/store/storetest"
)

// Matrix rows for the witness configuration: the board of alpha only.
func init() {
	logs := func(t *testing.T, f *matrixFixture) { storetest.Logs(t, f.Store, "http://127.0.0.1/logs/") }
	matrixRoutes = append(matrixRoutes,
		matrixRoute{Name: "api set witnesses", Method: "PUT", Path: "/api/v1/communities/{alpha}/witnesses", Setup: logs,
			Body: func(*matrixFixture) matrixBody { return jsonBody(map[string]any{"quorum": 0, "witnesses": []any{}}) },
			Want: [numRoles]int{401, 403, 403, 403, 200, 403}},
		matrixRoute{Name: "page set witnesses", Method: "POST", Path: "/communities/{alpha}/witnesses", Page: true, Setup: logs,
			Body: func(*matrixFixture) matrixBody { return formBody("witnesses", "", "quorum", "0") },
			Want: [numRoles]int{303, 403, 403, 403, 303, 403}},
	)
}
