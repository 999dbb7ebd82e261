package web

// peopleRoutes: citizens, sessions, communities, rolls, topics.
func (s *Server) peopleRoutes() {}
