package web

// ballotRoutes: delegations, proposals, ballots, votes, results, proofs.
func (s *Server) ballotRoutes() {}
