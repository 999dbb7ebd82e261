package web

// resultRoutes: result pages, audit pages, exports, community history and
// the OpenAPI description.
func (s *Server) resultRoutes() {}
