package web

import "github.com/labstack/echo/v4"

// ballotRoute is one row of the ballot routing table: method, path,
// handler and the permission its caller needs (authz.go).
type ballotRoute struct {
	Method string
	Path   string
	Perm   perm
	h      func(*Server, echo.Context) error
}

// ballotRouteTable lists every route of delegations, proposals, ballots,
// votes, results and proofs, API and pages, with its permission. Routes
// on a ballot or proposal (:id) find their community from it; "eligible
// voter" is checked against the ballot's frozen roll in the handler
// (a member who left after the ballot opened keeps their vote).
var ballotRouteTable = []ballotRoute{
	// Delegations (the community is named in the body or query).
	{"PUT", "/api/v1/delegations", permCitizen, (*Server).apiSetDelegation},
	{"DELETE", "/api/v1/delegations", permCitizen, (*Server).apiRemoveDelegation},
	{"GET", "/api/v1/delegations", permCitizen, (*Server).apiListDelegations},
	// Proposals.
	{"POST", "/api/v1/communities/:slug/proposals", permMember, (*Server).apiCreateProposal},
	{"GET", "/api/v1/communities/:slug/proposals", permAnyone, (*Server).apiListProposals},
	{"GET", "/api/v1/proposals/:id", permAnyone, (*Server).apiShowProposal},
	{"POST", "/api/v1/proposals/:id/support", permMember, (*Server).apiSupport},
	{"DELETE", "/api/v1/proposals/:id/support", permMember, (*Server).apiUnsupport},
	// Ballots.
	{"POST", "/api/v1/communities/:slug/ballots", permBoard, (*Server).apiCreateBallot},
	{"GET", "/api/v1/communities/:slug/ballots", permAnyone, (*Server).apiListBallots},
	{"GET", "/api/v1/ballots/:id", permAnyone, (*Server).apiShowBallot},
	{"POST", "/api/v1/ballots/:id/open", permBoard, (*Server).apiOpenBallot},
	{"POST", "/api/v1/ballots/:id/close", permBoard, (*Server).apiCloseBallot},
	// Votes: eligible voters (frozen roll, checked in the handler).
	{"PUT", "/api/v1/ballots/:id/vote", permCitizen, (*Server).apiCastVote},
	{"GET", "/api/v1/ballots/:id/vote", permCitizen, (*Server).apiShowVote},
	{"DELETE", "/api/v1/ballots/:id/vote", permCitizen, (*Server).apiWithdrawVote},
	// Results and proofs.
	{"GET", "/api/v1/ballots/:id/result", permAnyone, (*Server).apiResult},
	{"GET", "/api/v1/ballots/:id/proof", permAnyone, (*Server).downloadProof},
	{"GET", "/api/v1/ballots/:id/receipt", permCitizen, (*Server).apiReceipt},
	{"GET", "/api/v1/ballots/:id/log", permAnyone, (*Server).apiBallotLog},
	{"GET", "/.well-known/koinon-key", permAnyone, (*Server).wellKnownKey},

	// Pages.
	{"GET", "/delegations", permCitizen, (*Server).delegationsPage},
	{"POST", "/delegations", permCitizen, (*Server).postDelegation},
	{"GET", "/communities/:slug/proposals", permAnyone, (*Server).listProposals},
	{"GET", "/communities/:slug/proposals/new", permMember, (*Server).newProposal},
	{"POST", "/communities/:slug/proposals", permMember, (*Server).createProposal},
	{"GET", "/proposals/:id", permAnyone, (*Server).showProposal},
	{"POST", "/proposals/:id/support", permMember, (*Server).toggleSupport},
	{"GET", "/communities/:slug/ballots", permAnyone, (*Server).listBallots},
	{"GET", "/communities/:slug/ballots/new", permBoard, (*Server).newBallot},
	{"POST", "/communities/:slug/ballots", permBoard, (*Server).createBallot},
	{"GET", "/ballots/:id", permAnyone, (*Server).showBallot},
	{"POST", "/ballots/:id/open", permBoard, (*Server).openBallot},
	{"GET", "/ballots/:id/close", permBoard, (*Server).confirmCloseBallot},
	{"POST", "/ballots/:id/close", permBoard, (*Server).closeBallot},
	{"POST", "/ballots/:id/vote", permCitizen, (*Server).castBallot},
	{"POST", "/ballots/:id/vote/withdraw", permCitizen, (*Server).withdrawBallot},
	{"GET", "/ballots/:id/proof", permAnyone, (*Server).downloadProof},
	{"GET", "/ballots/:id/receipt", permCitizen, (*Server).apiReceipt},
	{"GET", "/verify", permAnyone, (*Server).verifyPage},
}

// ballotRoutes: delegations, proposals, ballots, votes, results, proofs.
func (s *Server) ballotRoutes() {
	for _, r := range ballotRouteTable {
		h := r.h
		s.echo.Add(r.Method, r.Path, func(c echo.Context) error { return h(s, c) }, s.require(r.Perm))
	}
}
