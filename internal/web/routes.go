package web

import (
	"context"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"
)

// routesStore is what the routes handlers need of the store.
type routesStore interface {
	Ping(ctx context.Context) error
}

// route is one row of the routing table: method, path, the permission its
// caller needs (authz.go) and the handler.
type route struct {
	Method string
	Path   string
	Perm   perm
	h      func(*Server, echo.Context) error
}

// routeTable is every route the server has, each with its permission;
// routes registers it with one loop and nothing registers a route
// elsewhere (TestEveryRouteIsInTheTable).
var routeTable = []route{
	// Operations, the home page, static files and the language switch.
	{"GET", "/healthz", permAnyone, (*Server).healthz},
	{"GET", "/metrics", permLoopback, (*Server).metricsPage},
	{"GET", "/", permAnyone, (*Server).home},
	{"GET", "/static/*", permAnyone, (*Server).staticFiles},
	{"GET", "/lang/:lang", permAnyone, (*Server).setLang},

	// People: citizens, sessions, communities, rolls and topics, API and
	// pages. Community routes find the community from :slug; private
	// communities are 404 to non-members whatever the permission.
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
	// Sign-in through the instance's OpenID provider (oidc.go).
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

	// Ballots: delegations, proposals, ballots, votes, results and proofs,
	// API and pages. Routes on a ballot or proposal (:id) find their
	// community from it; "eligible voter" is checked against the ballot's
	// frozen roll in the handler (a member who left after the ballot
	// opened keeps their vote).
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
	// Deliberation (community_api.go; the same rules as the pages below:
	// members post, support and suggest, the board hides, the handlers
	// let only the author revise and decide suggestions, and the author
	// or the board end the discussion).
	{"GET", "/api/v1/proposals/:id/deliberation", permAnyone, (*Server).apiDeliberation},
	{"POST", "/api/v1/proposals/:id/posts", permMember, (*Server).apiAddPost},
	{"PUT", "/api/v1/proposals/:id/posts/:post/support", permMember, (*Server).apiSupportPost},
	{"DELETE", "/api/v1/proposals/:id/posts/:post/support", permMember, (*Server).apiUnsupportPost},
	{"POST", "/api/v1/proposals/:id/posts/:post/hide", permBoard, (*Server).apiHidePost},
	{"GET", "/api/v1/proposals/:id/versions", permAnyone, (*Server).apiVersions},
	{"POST", "/api/v1/proposals/:id/revisions", permMember, (*Server).apiReviseProposal},
	{"POST", "/api/v1/proposals/:id/suggestions", permMember, (*Server).apiAddSuggestion},
	{"PUT", "/api/v1/proposals/:id/suggestions/:suggestion", permMember, (*Server).apiDecideSuggestion},
	{"PUT", "/api/v1/proposals/:id/discussion-end", permMember, (*Server).apiSetDiscussionEnd},
	{"GET", "/api/v1/communities/:slug/moderation", permMember, (*Server).apiModerationLog},
	// Delegate profiles (community_api.go): read by anyone who may see
	// the community; each member writes her own.
	{"GET", "/api/v1/communities/:slug/delegates", permAnyone, (*Server).apiFindDelegates},
	{"GET", "/api/v1/communities/:slug/delegates/:handle", permAnyone, (*Server).apiShowDelegate},
	{"PUT", "/api/v1/communities/:slug/delegate-profile", permMember, (*Server).apiSaveDelegateProfile},
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
	// Secret ballots (secret.go): the public cryptographic state, and the
	// trustees' signed steps (the handler checks that the caller is one of
	// the ballot's trustees).
	{"GET", "/api/v1/ballots/:id/secret", permAnyone, (*Server).apiSecretTranscript},
	{"POST", "/api/v1/ballots/:id/trustee/:step", permCitizen, (*Server).apiTrusteeStep},
	{"GET", "/.well-known/koinon-key", permAnyone, (*Server).wellKnownKey},

	// Pages.
	{"GET", "/delegations", permCitizen, (*Server).delegationsPage},
	{"POST", "/delegations", permCitizen, (*Server).postDelegation},
	{"GET", "/communities/:slug/proposals", permAnyone, (*Server).listProposals},
	{"GET", "/communities/:slug/proposals/new", permMember, (*Server).newProposal},
	{"POST", "/communities/:slug/proposals", permMember, (*Server).createProposal},
	// Deliberation on a proposal (deliberation.go): members post, support
	// and suggest; the board hides; the handlers let only the author
	// revise and decide suggestions, and the author or the board end the
	// discussion.
	{"POST", "/proposals/:id/posts", permMember, (*Server).addPost},
	{"POST", "/proposals/:id/posts/:post/support", permMember, (*Server).supportPost},
	{"POST", "/proposals/:id/posts/:post/hide", permBoard, (*Server).hidePost},
	{"POST", "/proposals/:id/revisions", permMember, (*Server).reviseProposal},
	{"GET", "/proposals/:id/versions", permAnyone, (*Server).showVersions},
	{"POST", "/proposals/:id/suggestions", permMember, (*Server).addSuggestion},
	{"POST", "/proposals/:id/suggestions/:suggestion", permMember, (*Server).decideSuggestion},
	{"POST", "/proposals/:id/discussion-end", permMember, (*Server).setDiscussionEnd},
	{"GET", "/communities/:slug/moderation", permMember, (*Server).showModeration},
	// Delegate profiles (profiles.go).
	{"GET", "/communities/:slug/delegates", permAnyone, (*Server).findDelegates},
	{"GET", "/communities/:slug/delegates/:handle", permAnyone, (*Server).showDelegate},
	{"POST", "/communities/:slug/delegate-profile", permMember, (*Server).saveDelegateProfile},
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
	// A secret ballot's trustee page (secret_pages.go); the handlers check
	// that the caller is one of the ballot's trustees.
	{"GET", "/ballots/:id/trustee", permCitizen, (*Server).showTrusteePage},
	{"GET", "/ballots/:id/secret", permCitizen, (*Server).apiSecretTranscript}, // the transcript for the page's script, with the session's "you"
	{"POST", "/ballots/:id/trustee/:step", permCitizen, (*Server).trusteeStepPage},
	{"GET", "/ballots/:id/proof", permAnyone, (*Server).downloadProof},
	{"GET", "/ballots/:id/receipt", permCitizen, (*Server).apiReceipt},
	{"GET", "/verify", permAnyone, (*Server).verifyPage},

	// Results: result and audit pages, exports, the community history and
	// the OpenAPI description. Pages and exports of a ballot need what
	// GET /api/v1/ballots/:id needs: anyone for a public community, else a
	// member (permAnyone on a :id or :slug route hides a private community
	// from non-members with a 404).
	{"GET", "/ballots/:id/results", permAnyone, (*Server).showResults},
	{"GET", "/ballots/:id/audit", permAnyone, (*Server).showAudit},
	{"GET", "/communities/:slug/history", permAnyone, (*Server).showHistory},
	{"GET", "/c/:slug/history", permAnyone, (*Server).showHistory},
	{"GET", "/api/v1/ballots/:id/export/result.csv", permAnyone, (*Server).exportResultCSV},
	{"GET", "/api/v1/ballots/:id/export/ballots.csv", permAnyone, (*Server).exportBallotsCSV},
	{"GET", "/api/v1/ballots/:id/export/ballots.blt", permAnyone, (*Server).exportBLT},
	{"GET", "/api/v1/ballots/:id/export/ballots.pb", permAnyone, (*Server).exportPB},
	{"GET", "/api/v1/openapi.json", permAnyone, (*Server).openAPI},

	// Community logs (logs.go, statements.go): the C2SP tlog-tiles read
	// layout, JSON proofs for light clients, and signed statements. 404
	// when the server keeps no logs.
	{"GET", "/logs/:slug/checkpoint", permAnyone, (*Server).logCheckpoint},
	{"GET", "/logs/:slug/tile/*", permAnyone, (*Server).logTile},
	{"GET", "/api/v1/communities/:slug/log/inclusion", permAnyone, (*Server).apiLogInclusion},
	{"GET", "/api/v1/communities/:slug/log/consistency", permAnyone, (*Server).apiLogConsistency},
	{"POST", "/api/v1/communities/:slug/statements", permCitizen, (*Server).apiSubmitStatement},
	{"GET", "/api/v1/communities/:slug/statements", permMember, (*Server).apiMyStatements},
	// Witnesses of the log (witnesses.go): the board configures them and
	// the quorum a seal needs; the log page shows who cosigned.
	{"GET", "/api/v1/communities/:slug/witnesses", permAnyone, (*Server).apiShowWitnesses},
	{"PUT", "/api/v1/communities/:slug/witnesses", permBoard, (*Server).apiSetWitnesses},
	{"GET", "/communities/:slug/log", permAnyone, (*Server).showLog},
	{"POST", "/communities/:slug/witnesses", permBoard, (*Server).setWitnessesPage},
	// The browser's device keys (device.go, static/js/device.js): the same
	// with the session cookie and JSON answers.
	{"GET", "/communities/:slug/device", permMember, (*Server).deviceState},
	{"GET", "/communities/:slug/device/consistency", permAnyone, (*Server).apiLogConsistency},
	{"POST", "/communities/:slug/device/statements", permCitizen, (*Server).apiSubmitStatement},
	{"POST", "/ballots/:id/vote/choice", permCitizen, (*Server).voteChoice},

	// Notifications: a citizen's own list and mail switches; the
	// unsubscribe link of a mail works without signing in (its token is
	// signed, notify.Unsubscriber).
	{"GET", "/api/v1/notifications", permCitizen, (*Server).apiNotifications},
	{"GET", "/api/v1/notifications/unread", permCitizen, (*Server).apiUnreadCount},
	{"POST", "/api/v1/notifications/read", permCitizen, (*Server).apiMarkRead},
	{"GET", "/api/v1/notifications/settings", permCitizen, (*Server).apiNotificationSettings},
	{"PUT", "/api/v1/notifications/settings", permCitizen, (*Server).apiSaveNotificationSettings},
	{"GET", "/notifications", permCitizen, (*Server).notificationsPage},
	{"POST", "/notifications/read", permCitizen, (*Server).markNotificationsRead},
	{"POST", "/notifications/settings", permCitizen, (*Server).saveNotificationSettings},
	{"GET", "/unsubscribe", permAnyone, (*Server).showUnsubscribe},
	{"POST", "/unsubscribe", permAnyone, (*Server).unsubscribe},
}

// routes registers routeTable.
func (s *Server) routes() {
	for _, r := range routeTable {
		h := r.h
		s.echo.Add(r.Method, r.Path, func(c echo.Context) error { return h(s, c) }, s.require(r.Perm))
	}
}

func (s *Server) staticFiles(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	return echo.WrapHandler(http.StripPrefix("/static/", http.FileServerFS(s.static)))(c)
}

func (s *Server) healthz(c echo.Context) error {
	if err := s.store.Ping(c.Request().Context()); err != nil {
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "database unavailable"})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// setLang stores the language choice from the footer switch.
func (s *Server) setLang(c echo.Context) error {
	lang := c.Param("lang")
	if _, ok := s.locales.texts[lang]; !ok {
		return errorf(http.StatusNotFound, "not_found", "unknown language")
	}
	s.setCookie(c, "lang", lang, s.now().AddDate(1, 0, 0))
	if ct := currentCitizen(c); ct != nil {
		s.rememberLang(c, ct.ID, lang)
	}
	back := "/"
	if u, err := url.Parse(c.Request().Referer()); err == nil {
		back = safeNext(u.Path) // only the path, and never one that leaves the site
	}
	return redirect(c, back)
}

// metricsPage serves Prometheus metrics to scrapers on this machine only
// (permLoopback; a scraper elsewhere goes through a proxy that the
// operator controls).
func (s *Server) metricsPage(c echo.Context) error {
	return echo.WrapHandler(s.metrics.Handler())(c)
}
