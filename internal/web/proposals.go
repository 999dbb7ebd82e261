package web

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"koinon/internal/domain"
	"koinon/internal/markdown"
	"koinon/internal/store"
)

// proposalsStore is what the proposals handlers need of the store.
type proposalsStore interface {
	CreateProposal(ctx context.Context, p *store.Proposal) error
	ListProposals(ctx context.Context, communityID int64, limit, offset int) ([]store.ProposalSummary, int64, error)
	ProposalSummaryByID(ctx context.Context, id int64) (store.ProposalSummary, error)
	SetSupport(ctx context.Context, proposalID, citizenID int64, on bool) error
	Supports(ctx context.Context, proposalID, citizenID int64) (bool, error)
}

// md renders proposal bodies; it holds no request state and is safe for
// concurrent use.
var md = markdown.New()

type proposalRequest struct {
	Topic string `json:"topic"`
	Title string `json:"title"`
	Body  string `json:"body"`
	// Cost is what the proposal asks from a budget ballot, in whole
	// currency units; CostText is the form's field for it.
	Cost     *int64 `json:"cost"`
	CostText string `json:"-"`
}

type proposalJSON struct {
	ID         int64     `json:"id"`
	Community  string    `json:"community"`
	Topic      *string   `json:"topic"`
	Author     string    `json:"author"`
	Title      string    `json:"title"`
	Body       string    `json:"body"`
	BodyHTML   string    `json:"body_html"`
	Supporters int64     `json:"supporters"`
	Ballot     *int64    `json:"ballot"`
	Cost       int64     `json:"cost,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
}

// proposalView is a proposal as the API shows it. Its ballot is named
// only once it is no draft, or to the board: a draft is the board's alone.
func proposalView(c echo.Context, p store.ProposalSummary, community string) proposalJSON {
	v := proposalJSON{ID: p.ID, Community: community, Author: p.AuthorHandle, Title: p.Title, Body: p.Body,
		BodyHTML: string(md.Render(p.Body)), Supporters: p.Supporters, Ballot: p.BallotID, Cost: p.Cost, CreatedAt: p.CreatedAt.UTC()}
	if p.BallotState == store.StateDraft && !isBoard(c) {
		v.Ballot = nil
	}
	if p.TopicSlug != "" {
		t := p.TopicSlug
		v.Topic = &t
	}
	return v
}

// newProposal validates and stores a proposal by the caller.
func (s *Server) newProposalFrom(ctx context.Context, community *store.Community, author int64, req proposalRequest) (store.Proposal, error) {
	p := store.Proposal{CommunityID: community.ID, AuthorID: author, Title: strings.TrimSpace(req.Title), Body: req.Body}
	if err := domain.CheckLine("title", p.Title, true, domain.MaxTitle); err != nil {
		return p, err
	}
	if err := domain.CheckText("body", p.Body, true, domain.MaxProposalBody); err != nil {
		return p, err
	}
	cost, err := proposalCost(req)
	if err != nil {
		return p, err
	}
	p.Cost = cost
	if req.Topic != "" {
		t, err := s.store.ScopeTopic(ctx, community.ID, req.Topic)
		if err != nil {
			return p, domain.Invalidf("topic", "no topic %s in this community", domain.Quote(req.Topic))
		}
		p.TopicID = &t.ID
	}
	return p, s.store.CreateProposal(ctx, &p)
}

func (s *Server) apiCreateProposal(c echo.Context) error {
	var req proposalRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	ctx := c.Request().Context()
	cm := routeCommunityOf(c)
	p, err := s.newProposalFrom(ctx, cm, currentCitizen(c).ID, req)
	if err != nil {
		return err
	}
	sum, err := s.store.ProposalSummaryByID(ctx, p.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, proposalView(c, sum, cm.Slug))
}

func (s *Server) apiListProposals(c echo.Context) error {
	limit, offset, err := paging(c)
	if err != nil {
		return err
	}
	cm := routeCommunityOf(c)
	ps, total, err := s.store.ListProposals(c.Request().Context(), cm.ID, limit, offset)
	if err != nil {
		return err
	}
	out := make([]proposalJSON, 0, len(ps))
	for _, p := range ps {
		out = append(out, proposalView(c, p, cm.Slug))
	}
	return c.JSON(http.StatusOK, map[string]any{"proposals": out, "total": total, "limit": limit, "offset": offset})
}

func (s *Server) apiShowProposal(c echo.Context) error {
	sum, err := s.store.ProposalSummaryByID(c.Request().Context(), routeProposal(c).ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, proposalView(c, sum, routeCommunityOf(c).Slug))
}

func routeProposal(c echo.Context) *store.Proposal {
	p, _ := c.Get("proposal").(*store.Proposal)
	return p
}

func (s *Server) apiSupport(c echo.Context) error   { return s.apiSetSupport(c, true) }
func (s *Server) apiUnsupport(c echo.Context) error { return s.apiSetSupport(c, false) }

func (s *Server) apiSetSupport(c echo.Context, on bool) error {
	ctx := c.Request().Context()
	p := routeProposal(c)
	if err := s.store.SetSupport(ctx, p.ID, currentCitizen(c).ID, on); err != nil {
		return err
	}
	sum, err := s.store.ProposalSummaryByID(ctx, p.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"proposal": p.ID, "supported": on, "supporters": sum.Supporters})
}

// ---- pages ----

type proposalItem struct {
	store.ProposalSummary
	HTML template.HTML
}

type proposalsPage struct {
	Page
	Community *store.Community
	Member    bool
	Board     bool
	Items     []proposalItem
	PageNo    int
	Prev      int
	Next      int
}

const proposalsPerPage = 20

func (s *Server) listProposals(c echo.Context) error {
	cm := routeCommunityOf(c)
	pageNo, _ := strconv.Atoi(c.QueryParam("page"))
	pageNo = max(pageNo, 1)
	ps, total, err := s.store.ListProposals(c.Request().Context(), cm.ID, proposalsPerPage, (pageNo-1)*proposalsPerPage)
	if err != nil {
		return err
	}
	m := routeMembership(c)
	p := proposalsPage{Page: s.page(c, "proposal.list.title"), Community: cm, Member: m != nil, Board: m != nil && m.Role == domain.RoleBoard, PageNo: pageNo}
	for _, x := range ps {
		p.Items = append(p.Items, proposalItem{ProposalSummary: x})
	}
	if pageNo > 1 {
		p.Prev = pageNo - 1
	}
	if int64(pageNo*proposalsPerPage) < total {
		p.Next = pageNo + 1
	}
	return s.render(c, http.StatusOK, "proposals", p)
}

type proposalShowPage struct {
	Page
	Community *store.Community
	Proposal  store.ProposalSummary
	HTML      template.HTML
	Member    bool
	Board     bool
	Supported bool
	Delib     deliberationView
}

func (s *Server) showProposal(c echo.Context) error {
	return s.renderProposal(c, http.StatusOK, deliberationForm{})
}

// renderProposal shows the proposal and its deliberation, with a
// refused deliberation form re-shown (deliberation.go).
func (s *Server) renderProposal(c echo.Context, status int, form deliberationForm) error {
	ctx := c.Request().Context()
	sum, err := s.store.ProposalSummaryByID(ctx, routeProposal(c).ID)
	if err != nil {
		return err
	}
	m := routeMembership(c)
	p := proposalShowPage{Page: s.page(c, ""), Community: routeCommunityOf(c), Proposal: sum, HTML: md.Render(sum.Body),
		Member: m != nil, Board: m != nil && m.Role == domain.RoleBoard}
	p.Title = sum.Title
	if ct := currentCitizen(c); ct != nil {
		if p.Supported, err = s.store.Supports(ctx, sum.ID, ct.ID); err != nil {
			return err
		}
	}
	if p.Delib, err = s.deliberation(c, sum, form); err != nil {
		return err
	}
	return s.render(c, status, "proposal_show", p)
}

type proposalNewPage struct {
	Page
	Community *store.Community
	Topics    []store.Topic
	Form      proposalRequest
	Errors    map[string]string
}

func (s *Server) newProposal(c echo.Context) error {
	cm := routeCommunityOf(c)
	topics, err := s.store.ScopeTopics(c.Request().Context(), cm.ID)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "proposal_new", proposalNewPage{Page: s.page(c, "proposal.new.title"), Community: cm, Topics: topics, Errors: map[string]string{}})
}

func (s *Server) createProposal(c echo.Context) error {
	ctx := c.Request().Context()
	cm := routeCommunityOf(c)
	req := proposalRequest{Topic: c.FormValue("topic"), Title: c.FormValue("title"), Body: c.FormValue("body"), CostText: c.FormValue("cost")}
	p, err := s.newProposalFrom(ctx, cm, currentCitizen(c).ID, req)
	var inv *domain.Invalid
	if errors.As(err, &inv) {
		topics, err := s.store.ScopeTopics(ctx, cm.ID)
		if err != nil {
			return err
		}
		return s.render(c, http.StatusUnprocessableEntity, "proposal_new", proposalNewPage{Page: s.page(c, "proposal.new.title"),
			Community: cm, Topics: topics, Form: req, Errors: map[string]string{inv.Field: s.locales.errorText(s.lang(c), err)}})
	}
	if err != nil {
		return err
	}
	return redirect(c, "/proposals/"+strconv.FormatInt(p.ID, 10))
}

func (s *Server) toggleSupport(c echo.Context) error {
	p := routeProposal(c)
	on := c.FormValue("support") == "1"
	if err := s.store.SetSupport(c.Request().Context(), p.ID, currentCitizen(c).ID, on); err != nil {
		return err
	}
	return redirect(c, "/proposals/"+strconv.FormatInt(p.ID, 10))
}
