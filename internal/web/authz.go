package web

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"koinon/internal/domain"
	"koinon/internal/store"
)

// authzStore is what the authz handlers need of the store.
type authzStore interface {
	BallotByID(ctx context.Context, id int64) (store.Ballot, error)
	CommunityByID(ctx context.Context, id int64) (store.Community, error)
	CommunityBySlug(ctx context.Context, slug string) (store.Community, error)
	CurrentMembership(ctx context.Context, communityID, citizenID int64) (store.Membership, error)
	ProposalByID(ctx context.Context, id int64) (store.Proposal, error)
}

// perm is what a route requires of its caller. Community-scoped
// permissions find the community from the route (:slug, or the ballot or
// proposal named by :id) and the caller's current membership of it.
type perm int

const (
	permNone     perm = iota // the zero value: a route row that names no permission (refused)
	permAnyone               // no sign-in; community routes still hide private communities
	permCitizen              // signed in
	permMember               // any current role in the route's community
	permBoard                // board of the route's community
	permReader               // board or auditor (reads what the board reads)
	permLoopback             // a caller on this machine (metrics scrapers); 404 to others
)

func (p perm) String() string {
	return [...]string{"none", "anyone", "citizen", "member", "board", "board or auditor", "this machine"}[p]
}

const (
	ctxCommunity  = "community"
	ctxMembership = "membership"
)

// require enforces p before the handler runs. For API routes a missing or
// bad token is 401; for pages it redirects to sign-in.
func (s *Server) require(p perm) echo.MiddlewareFunc {
	if p == permNone {
		panic("web: a route without a permission")
	}
	if p == permLoopback {
		return func(next echo.HandlerFunc) echo.HandlerFunc {
			return func(c echo.Context) error {
				if ip := net.ParseIP(c.RealIP()); ip == nil || !ip.IsLoopback() {
					return errorf(http.StatusNotFound, "not_found", "not found")
				}
				return next(c)
			}
		}
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			ct := currentCitizen(c)
			if p != permAnyone && ct == nil {
				if isAPI(c) {
					msg := "sign in first: send Authorization: Bearer <token>"
					if c.Get("bad_token") != nil {
						msg = "the token is invalid, expired or revoked"
					}
					return errorf(http.StatusUnauthorized, "unauthorized", msg)
				}
				return redirect(c, "/signin?next="+urlPath(c))
			}
			if p == permAnyone || p == permCitizen {
				if strings.Contains(c.Path(), ":slug") || strings.Contains(c.Path(), ":id") {
					return s.loadScope(c, p, next)
				}
				return next(c)
			}
			return s.loadScope(c, p, next)
		}
	}
}

// loadScope finds the route's community and the caller's membership and
// checks p against it.
func (s *Server) loadScope(c echo.Context, p perm, next echo.HandlerFunc) error {
	ctx := c.Request().Context()
	community, err := s.routeCommunity(c)
	if err != nil {
		return err
	}
	c.Set(ctxCommunity, &community)
	if err := s.hideDraft(c, community); err != nil {
		return err
	}
	var m *store.Membership
	if ct := currentCitizen(c); ct != nil && community.Public && (p == permAnyone || p == permCitizen) {
		// Nothing to check: the membership is read only if the handler
		// asks for it (routeMembership); the vote API never does.
		c.Set(ctxMembership, &lazyMembership{load: func() (store.Membership, error) {
			return s.store.CurrentMembership(ctx, community.ID, ct.ID)
		}, log: s.log})
		return next(c)
	} else if ct != nil {
		mm, err := s.store.CurrentMembership(ctx, community.ID, ct.ID)
		if err == nil {
			m = &mm
			c.Set(ctxMembership, m)
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	if !community.Public && m == nil {
		return errorf(http.StatusNotFound, "not_found", "not found")
	}
	ok := true
	switch p {
	case permMember:
		ok = m != nil
	case permBoard:
		ok = m != nil && m.Role == domain.RoleBoard
	case permReader:
		ok = m != nil && (m.Role == domain.RoleBoard || m.Role == domain.RoleAuditor)
	}
	if !ok {
		return errorf(http.StatusForbidden, "forbidden", "this needs the role "+p.String()+" in "+community.Slug)
	}
	return next(c)
}

// hideDraft answers 404 for a draft ballot unless the caller is on the
// board of its community, or a trustee of the (secret) ballot, who must
// make its key before it opens: a draft is the board's work in progress,
// and everyone else must not learn that it exists (pages, API,
// sub-resources).
func (s *Server) hideDraft(c echo.Context, community store.Community) error {
	b := routeBallot(c)
	if b == nil || b.State != store.StateDraft {
		return nil
	}
	if ct := currentCitizen(c); ct != nil {
		m, err := s.store.CurrentMembership(c.Request().Context(), community.ID, ct.ID)
		switch {
		case err == nil && m.Role == domain.RoleBoard:
			return nil
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return err
		}
		if b.Secrecy == domain.SecrecySecret {
			ok, err := s.store.IsTrustee(c.Request().Context(), b.ID, ct.ID)
			if ok || err != nil {
				return err
			}
		}
	}
	return errorf(http.StatusNotFound, "not_found", "not found")
}

// isBoard reports whether the caller is on the board of the route's
// community.
func isBoard(c echo.Context) bool {
	m := routeMembership(c)
	return m != nil && m.Role == domain.RoleBoard
}

// routeCommunity resolves the community a route acts on.
func (s *Server) routeCommunity(c echo.Context) (store.Community, error) {
	ctx := c.Request().Context()
	if slug := c.Param("slug"); slug != "" {
		return s.store.CommunityBySlug(ctx, slug)
	}
	id, err := pathID(c)
	if err != nil {
		return store.Community{}, err
	}
	path := c.Path()
	switch {
	case c.Request().Method == http.MethodPut && path == "/api/v1/ballots/:id/vote":
		b, cm, err := s.voteScopes.get(ctx, s.store, id)
		if err == nil {
			c.Set("ballot", &b)
		}
		return cm, err
	case strings.Contains(path, "/ballots/:id"):
		b, err := s.store.BallotByID(ctx, id)
		if err != nil {
			return store.Community{}, err
		}
		c.Set("ballot", &b)
		return s.store.CommunityByID(ctx, b.CommunityID)
	case strings.Contains(path, "/proposals/:id"):
		p, err := s.store.ProposalByID(ctx, id)
		if err != nil {
			return store.Community{}, err
		}
		c.Set("proposal", &p)
		return s.store.CommunityByID(ctx, p.CommunityID)
	}
	return store.Community{}, errorf(http.StatusNotFound, "not_found", "not found")
}

// routeMembership is the caller's membership of the route's community
// (set by require), or nil.
func routeMembership(c echo.Context) *store.Membership {
	switch m := c.Get(ctxMembership).(type) {
	case *store.Membership:
		return m
	case *lazyMembership:
		return m.get()
	}
	return nil
}

// lazyMembership reads the caller's membership on first use.
type lazyMembership struct {
	once sync.Once
	load func() (store.Membership, error)
	log  *slog.Logger
	m    *store.Membership
}

func (l *lazyMembership) get() *store.Membership {
	l.once.Do(func() {
		m, err := l.load()
		switch {
		case err == nil:
			l.m = &m
		case !errors.Is(err, store.ErrNotFound):
			// Shown as "not a member"; the failure is logged here, once.
			l.log.Error("load membership", "err", err)
		}
	})
	return l.m
}

// routeCommunityOf is the community set by require.
func routeCommunityOf(c echo.Context) *store.Community {
	m, _ := c.Get(ctxCommunity).(*store.Community)
	return m
}

// pathID parses the :id parameter as a positive integer (400 otherwise).
func pathID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errorf(http.StatusNotFound, "not_found", "not found")
	}
	return id, nil
}

func urlPath(c echo.Context) string {
	return url.QueryEscape(c.Request().URL.Path)
}
