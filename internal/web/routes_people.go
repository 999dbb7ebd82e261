package web

import "github.com/labstack/echo/v4"

// peopleRoute is one row of the people routing table: method, path,
// permission (authz.go) and handler.
type peopleRoute struct {
	Method string
	Path   string
	Perm   perm
	h      func(*Server, echo.Context) error
}

// peopleRouteTable lists every route of citizens, sessions, communities,
// rolls and topics, API and pages, with the permission its caller needs.
// Community routes find the community from :slug; private communities
// are 404 to non-members whatever the permission.
var peopleRouteTable = []peopleRoute{
	// Citizens and sessions (API).
	{"POST", "/api/v1/auth/register", permAnyone, (*Server).apiRegister},
	{"POST", "/api/v1/auth/login", permAnyone, (*Server).apiLogin},
	{"POST", "/api/v1/auth/refresh", permAnyone, (*Server).apiRefresh},
	{"POST", "/api/v1/auth/logout", permAnyone, (*Server).apiLogout},
	{"POST", "/api/v1/auth/logout-all", permCitizen, (*Server).apiLogoutAll},
	{"GET", "/api/v1/me", permCitizen, (*Server).apiMe},
	{"PUT", "/api/v1/me", permCitizen, (*Server).apiUpdateMe},
	{"PUT", "/api/v1/me/password", permCitizen, (*Server).apiChangePassword},
	{"POST", "/api/v1/me/board-offers/:community/accept", permCitizen, (*Server).apiAcceptOffer},
	{"POST", "/api/v1/me/board-offers/:community/decline", permCitizen, (*Server).apiDeclineOffer},
	// Communities, rolls and topics (API).
	{"POST", "/api/v1/communities", permCitizen, (*Server).apiCreateCommunity},
	{"GET", "/api/v1/communities", permAnyone, (*Server).apiListCommunities},
	{"GET", "/api/v1/communities/:slug", permAnyone, (*Server).apiShowCommunity},
	{"GET", "/api/v1/communities/:slug/members", permMember, (*Server).apiListMembers},
	{"GET", "/api/v1/communities/:slug/members/history", permReader, (*Server).apiMemberHistory},
	{"POST", "/api/v1/communities/:slug/members", permBoard, (*Server).apiSetMember},
	{"DELETE", "/api/v1/communities/:slug/members/:handle", permBoard, (*Server).apiRemoveMember},
	{"POST", "/api/v1/communities/:slug/roll/import", permBoard, (*Server).apiImportRoll},
	{"GET", "/api/v1/communities/:slug/topics", permAnyone, (*Server).apiListTopics},
	{"POST", "/api/v1/communities/:slug/topics", permBoard, (*Server).apiCreateTopic},

	// Pages: accounts.
	{"GET", "/signup", permAnyone, (*Server).showSignup},
	{"POST", "/signup", permAnyone, (*Server).signup},
	{"GET", "/signin", permAnyone, (*Server).showSignin},
	{"POST", "/signin", permAnyone, (*Server).signin},
	{"GET", "/signin/oidc", permAnyone, (*Server).startOIDC},
	{"GET", "/signin/oidc/callback", permAnyone, (*Server).oidcCallback},
	{"POST", "/signout", permAnyone, (*Server).signout},
	{"GET", "/profile", permCitizen, (*Server).showProfile},
	{"POST", "/profile", permCitizen, (*Server).saveProfile},
	{"POST", "/profile/password", permCitizen, (*Server).changePasswordPage},
	{"POST", "/profile/signout-all", permCitizen, (*Server).signoutEverywhere},
	{"POST", "/profile/board-offers/:community/accept", permCitizen, (*Server).acceptOfferPage},
	{"POST", "/profile/board-offers/:community/decline", permCitizen, (*Server).declineOfferPage},
	{"GET", "/invitations/:token", permAnyone, (*Server).showInvitation},
	{"POST", "/invitations/:token", permAnyone, (*Server).acceptInvitation},
	// Pages: communities, rolls, topics.
	{"GET", "/communities", permAnyone, (*Server).listCommunities},
	{"GET", "/communities/new", permCitizen, (*Server).listCommunities},
	{"POST", "/communities", permCitizen, (*Server).createCommunityPage},
	{"GET", "/communities/:slug", permAnyone, (*Server).showCommunity},
	{"GET", "/c/:slug", permAnyone, (*Server).shortCommunityLink},
	{"POST", "/communities/:slug/topics", permBoard, (*Server).createTopicPage},
	{"GET", "/communities/:slug/roll", permMember, (*Server).showRoll},
	{"POST", "/communities/:slug/roll", permBoard, (*Server).setMemberPage},
	{"POST", "/communities/:slug/roll/:handle/remove", permBoard, (*Server).removeMemberPage},
	{"POST", "/communities/:slug/roll/import", permBoard, (*Server).importRollPage},
	{"POST", "/communities/:slug/roll/invitations", permBoard, (*Server).downloadInvitations},
}

// peopleRoutes: citizens, sessions, communities, rolls, topics.
func (s *Server) peopleRoutes() {
	s.addRoutes(peopleRouteTable)
	s.addRoutes(deliberationRouteTable)
	s.addRoutes(profileRouteTable)
}

// addRoutes registers a table's routes, each behind its permission.
func (s *Server) addRoutes(table []peopleRoute) {
	for _, r := range table {
		h := r.h
		s.echo.Add(r.Method, r.Path, func(c echo.Context) error { return h(s, c) }, s.require(r.Perm))
	}
}
