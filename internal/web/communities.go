package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"koinon/internal/domain"
	"koinon/internal/store"
)

// communitiesStore is what the communities handlers need of the store.
type communitiesStore interface {
	CommunitiesFoundedSince(ctx context.Context, citizenID int64, since time.Time) (int64, error)
	CountMembers(ctx context.Context, communityID int64) (int64, error)
	CreateCommunity(ctx context.Context, c *store.Community, creatorID int64) error
	ListBallots(ctx context.Context, f store.BallotFilter) ([]store.Ballot, error)
	ListCommunities(ctx context.Context, citizenID int64) ([]store.CommunitySummary, error)
	Log(ctx context.Context, communityID int64) (store.LogInfo, error)
	LogsEnabled() bool
	Topics(ctx context.Context, communityID int64) ([]store.Topic, error)
}

type communityJSON struct {
	Slug        string    `json:"slug"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Public      bool      `json:"public"`
	CreatedAt   time.Time `json:"created_at"`
	Members     *int64    `json:"member_count,omitempty"`
	OpenBallots *int64    `json:"open_ballots,omitempty"`
}

func toCommunityJSON(c store.Community) communityJSON {
	return communityJSON{Slug: c.Slug, Name: c.Name, Description: c.Description, Public: c.Public, CreatedAt: c.CreatedAt.UTC()}
}

type newCommunity struct {
	Slug        string `json:"slug"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Public      *bool  `json:"public"`
}

func (n *newCommunity) check() []error {
	n.Slug = strings.ToLower(strings.TrimSpace(n.Slug))
	n.Name, n.Description = strings.TrimSpace(n.Name), strings.TrimSpace(n.Description)
	var errs []error
	for _, err := range []error{
		domain.CheckSlug("slug", n.Slug),
		domain.CheckLine("name", n.Name, true, domain.MaxName),
		domain.CheckText("description", n.Description, false, domain.MaxDescription),
	} {
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// createCommunity stores n (checked); the caller becomes its board.
func (s *Server) createCommunity(c echo.Context, n newCommunity) (store.Community, error) {
	cm := store.Community{Slug: n.Slug, Name: n.Name, Description: n.Description, Public: n.Public == nil || *n.Public}
	ctx, me := c.Request().Context(), currentCitizen(c).ID
	founded, err := s.store.CommunitiesFoundedSince(ctx, me, s.now().Add(-24*time.Hour))
	if err != nil {
		return cm, err
	}
	if err := domain.CheckCommunitiesFounded(founded); err != nil {
		return cm, err
	}
	err = s.store.CreateCommunity(ctx, &cm, me)
	if errors.Is(err, store.ErrConflict) {
		return cm, &httpError{Status: http.StatusConflict, Code: "taken", Field: "slug", Message: "slug: is already taken"}
	}
	return cm, err
}

// POST /api/v1/communities
func (s *Server) apiCreateCommunity(c echo.Context) error {
	var n newCommunity
	if err := bindJSON(c, &n); err != nil {
		return err
	}
	if err := first(n.check()); err != nil {
		return err
	}
	cm, err := s.createCommunity(c, n)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"community": toCommunityJSON(cm)})
}

// GET /api/v1/communities: the public communities.
func (s *Server) apiListCommunities(c echo.Context) error {
	list, err := s.store.ListCommunities(c.Request().Context(), 0)
	if err != nil {
		return err
	}
	out := make([]communityJSON, len(list))
	for i, cs := range list {
		out[i] = toCommunityJSON(cs.Community)
		out[i].Members, out[i].OpenBallots = &list[i].Members, &list[i].OpenBallots
	}
	return c.JSON(http.StatusOK, map[string]any{"communities": out})
}

// GET /api/v1/communities/:slug (private ones: members only, via require).
func (s *Server) apiShowCommunity(c echo.Context) error {
	ctx := c.Request().Context()
	cm := routeCommunityOf(c)
	topics, err := s.store.Topics(ctx, cm.ID)
	if err != nil {
		return err
	}
	n, err := s.store.CountMembers(ctx, cm.ID)
	if err != nil {
		return err
	}
	out := map[string]any{"community": toCommunityJSON(*cm), "topics": toTopicsJSON(topics), "member_count": n}
	if m := routeMembership(c); m != nil {
		out["my_role"], out["my_weight"] = m.Role, m.Weight
	}
	if s.store.LogsEnabled() {
		if out["log"], err = s.store.Log(ctx, cm.ID); err != nil {
			return err
		}
	}
	return c.JSON(http.StatusOK, out)
}

// --- pages ---

type communitiesPage struct {
	Page
	Public []store.CommunitySummary
	Mine   []store.CommunitySummary
	Values map[string]string
	Errors fieldErrors
}

func (s *Server) renderCommunities(c echo.Context, status int, values map[string]string, errs fieldErrors) error {
	ctx := c.Request().Context()
	p := communitiesPage{Page: s.page(c, "communities.title"), Values: values, Errors: errs}
	if p.Values == nil {
		p.Values = map[string]string{"public": "1"}
	}
	if p.Errors == nil {
		p.Errors = fieldErrors{}
	}
	var err error
	if p.Public, err = s.store.ListCommunities(ctx, 0); err != nil {
		return err
	}
	if p.User != nil {
		if p.Mine, err = s.store.ListCommunities(ctx, p.User.ID); err != nil {
			return err
		}
	}
	return s.render(c, status, "communities", p)
}

func (s *Server) listCommunities(c echo.Context) error {
	return s.renderCommunities(c, http.StatusOK, nil, nil)
}

func (s *Server) createCommunityPage(c echo.Context) error {
	public := c.FormValue("public") != ""
	n := newCommunity{Slug: c.FormValue("slug"), Name: c.FormValue("name"), Description: c.FormValue("description"), Public: &public}
	errs := fieldErrors{}
	for _, err := range n.check() {
		errs.add(s.errorWords(c), err)
	}
	if len(errs) == 0 {
		cm, err := s.createCommunity(c, n)
		if err == nil {
			s.flash(c, s.tr(c, "communities.created"))
			return redirect(c, "/communities/"+cm.Slug)
		}
		if !errs.add(s.errorWords(c), err) {
			return err
		}
	}
	values := map[string]string{"slug": n.Slug, "name": n.Name, "description": n.Description}
	if public {
		values["public"] = "1"
	}
	status := http.StatusUnprocessableEntity
	if len(errs) == 1 && strings.Contains(errs["slug"], "taken") {
		status = http.StatusConflict
	}
	return s.renderCommunities(c, status, values, errs)
}

// communityPage shows a community: description, topics, members, ballots.
type communityPage struct {
	Page
	Community  store.Community
	Topics     []store.Topic
	Members    int64
	Membership *store.Membership
	IsBoard    bool
	Open       []store.Ballot
	Past       []store.Ballot
	Values     map[string]string
	Errors     fieldErrors
	LogsOn     bool // the community log page exists
}

func (s *Server) renderCommunity(c echo.Context, status int, values map[string]string, errs fieldErrors) error {
	ctx := c.Request().Context()
	cm := routeCommunityOf(c)
	p := communityPage{Page: s.page(c, ""), Community: *cm, Membership: routeMembership(c), Values: values, Errors: errs}
	p.Title = cm.Name
	p.IsBoard = p.Membership != nil && p.Membership.Role == domain.RoleBoard
	p.LogsOn = s.store.LogsEnabled()
	if p.Values == nil {
		p.Values = map[string]string{}
	}
	if p.Errors == nil {
		p.Errors = fieldErrors{}
	}
	var err error
	if p.Topics, err = s.store.Topics(ctx, cm.ID); err != nil {
		return err
	}
	if p.Members, err = s.store.CountMembers(ctx, cm.ID); err != nil {
		return err
	}
	if p.Open, err = s.store.ListBallots(ctx, store.BallotFilter{CommunityID: cm.ID, State: store.StateOpen, Limit: 50}); err != nil {
		return err
	}
	if p.Past, err = s.store.ListBallots(ctx, store.BallotFilter{CommunityID: cm.ID, State: store.StateClosed, Limit: 20}); err != nil {
		return err
	}
	return s.render(c, status, "community_show", p)
}

func (s *Server) showCommunity(c echo.Context) error {
	return s.renderCommunity(c, http.StatusOK, nil, nil)
}

// shortCommunityLink: /c/:slug is the short link to a community.
func (s *Server) shortCommunityLink(c echo.Context) error {
	return c.Redirect(http.StatusMovedPermanently, "/communities/"+routeCommunityOf(c).Slug)
}
