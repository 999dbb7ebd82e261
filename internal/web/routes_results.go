package web

import "github.com/labstack/echo/v4"

// resultRoute is one row of the results routing table: method, path,
// handler and the permission its caller needs (authz.go).
type resultRoute struct {
	Method string
	Path   string
	Perm   perm
	h      func(*Server, echo.Context) error
}

// resultRouteTable lists the result pages, audit pages, exports, the
// community history and the OpenAPI description. Pages and exports of a
// ballot need what GET /api/v1/ballots/:id needs: anyone for a public
// community, else a member (permAnyone on a :id or :slug route hides a
// private community from non-members with a 404).
var resultRouteTable = []resultRoute{
	{"GET", "/ballots/:id/results", permAnyone, (*Server).showResults},
	{"GET", "/ballots/:id/audit", permAnyone, (*Server).showAudit},
	{"GET", "/communities/:slug/history", permAnyone, (*Server).showHistory},
	{"GET", "/c/:slug/history", permAnyone, (*Server).showHistory},
	{"GET", "/api/v1/ballots/:id/export/result.csv", permAnyone, (*Server).exportResultCSV},
	{"GET", "/api/v1/ballots/:id/export/ballots.csv", permAnyone, (*Server).exportBallotsCSV},
	{"GET", "/api/v1/ballots/:id/export/ballots.blt", permAnyone, (*Server).exportBLT},
	{"GET", "/api/v1/openapi.json", permAnyone, (*Server).openAPI},
}

// resultRoutes registers resultRouteTable.
func (s *Server) resultRoutes() {
	for _, r := range resultRouteTable {
		h := r.h
		s.echo.Add(r.Method, r.Path, func(c echo.Context) error { return h(s, c) }, s.require(r.Perm))
	}
}
