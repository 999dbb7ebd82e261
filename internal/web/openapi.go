package web

import (
	_ "embed"
	"net/http"

	"github.com/labstack/echo/v4"
)

// openAPIDoc is the hand-written OpenAPI 3.0 description of the whole JSON
// API; TestOpenAPICoversRoutes keeps it and the routing tables in step.
//
//go:embed openapi.json
var openAPIDoc []byte

// openAPI serves GET /api/v1/openapi.json.
func (s *Server) openAPI(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	return c.Blob(http.StatusOK, "application/json", openAPIDoc)
}
