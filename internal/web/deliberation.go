package web

import (
	"context"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"koinon/internal/domain"
	"koinon/internal/store"
	"koinon/internal/textdiff"
)

// deliberationStore is what the deliberation handlers need of the store.
type deliberationStore interface {
	AddPost(ctx context.Context, p *store.Post) error
	AddSuggestion(ctx context.Context, sg *store.Suggestion) error
	DecideSuggestion(ctx context.Context, proposalID, suggestionID, authorID int64, state string) error
	HidePost(ctx context.Context, communityID, postID, boardID int64, reason string) error
	ModerationLog(ctx context.Context, communityID int64, limit int) ([]store.ModerationView, error)
	PostOf(ctx context.Context, proposalID, postID int64) (store.Post, error)
	Posts(ctx context.Context, proposalID, reader int64) ([]store.PostView, error)
	ProposalVersions(ctx context.Context, p store.Proposal) ([]store.ProposalVersion, error)
	ReviseProposal(ctx context.Context, id, authorID int64, title, body, note string) (store.ProposalVersion, error)
	SetDiscussionEnd(ctx context.Context, id int64, at time.Time) error
	SetPostSupport(ctx context.Context, postID, citizenID int64, on bool) error
	Suggestions(ctx context.Context, proposalID int64) ([]store.SuggestionView, error)
}

// Deliberation before the vote (docs/deliberation.md): arguments and
// comments, suggestions, revisions, moderation and phases of a proposal.

// Limits of deliberation texts, in characters.
const (
	maxArgument   = 2000 // an argument for or against: short
	maxComment    = 5000
	maxSuggestion = 2000
	maxNote       = 500 // a revision's note, a moderation reason
	maxDiscussion = 90  // days a discussion may be set to last from now
)

// postLimiter bounds how fast one citizen posts (arguments, comments,
// suggestions, revisions): a burst of postBurst, then one per
// postEvery; beyond it 429 with Retry-After.
type postLimiter struct {
	mu   sync.Mutex
	now  func() time.Time
	byID map[int64]*rate.Limiter
}

const (
	postBurst = 5
	postEvery = 10 * time.Second
)

func newPostLimiter(now func() time.Time) *postLimiter {
	return &postLimiter{now: now, byID: map[int64]*rate.Limiter{}}
}

// allow takes one post from citizen id's allowance, or answers 429 with
// Retry-After.
func (l *postLimiter) allow(c echo.Context, id int64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.byID) > 10_000 { // drop full buckets: they are the default
		for k, lim := range l.byID {
			if lim.TokensAt(now) >= postBurst {
				delete(l.byID, k)
			}
		}
	}
	lim, ok := l.byID[id]
	if !ok {
		lim = rate.NewLimiter(rate.Every(postEvery), postBurst)
		l.byID[id] = lim
	}
	if !lim.AllowN(now, 1) {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(postEvery/time.Second)))
		return errorf(http.StatusTooManyRequests, "too_many_posts", "you are posting too fast; wait a few seconds")
	}
	return nil
}

// deliberationForm is a refused form, re-shown with its values and the
// message beside the field. Form names the form ("post", "reply-7",
// "suggestion", "revision", "hide-7", "discussion").
type deliberationForm struct {
	Form   string
	Values map[string]string
	Errors fieldErrors
}

// V and E read the form's value and error when it is the named form.
func (f deliberationForm) V(form, field string) string {
	if f.Form != form {
		return ""
	}
	return f.Values[field]
}

func (f deliberationForm) E(form, field string) string {
	if f.Form != form {
		return ""
	}
	return f.Errors[field]
}

// postNode is a post with its replies, for the threaded view.
type postNode struct {
	store.PostView
	HTML    template.HTML
	Replies []*postNode
}

type deliberationView struct {
	Phase            string
	DiscussionEndsAt *time.Time
	Ballot           *store.Ballot // nil also for a draft the reader may not see
	Version          int
	Versions         int
	For, Against     []*postNode
	Comments         []*postNode
	Suggestions      []store.SuggestionView
	Author           bool // the reader wrote the proposal
	Form             deliberationForm
	MaxArgument      int
}

// deliberation loads what the proposal page shows below the text.
func (s *Server) deliberation(c echo.Context, p store.ProposalSummary, form deliberationForm) (deliberationView, error) {
	ctx := c.Request().Context()
	v := deliberationView{DiscussionEndsAt: p.DiscussionEndsAt, Form: form, MaxArgument: maxArgument}
	var err error
	if v.Phase, v.Ballot, err = s.proposalPhase(c, p.Proposal); err != nil {
		return v, err
	}
	vs, err := s.store.ProposalVersions(ctx, p.Proposal)
	if err != nil {
		return v, err
	}
	v.Versions, v.Version = len(vs), vs[len(vs)-1].Version
	var reader int64
	if ct := currentCitizen(c); ct != nil {
		reader = ct.ID
		v.Author = ct.ID == p.AuthorID
	}
	posts, err := s.store.Posts(ctx, p.ID, reader)
	if err != nil {
		return v, err
	}
	nodes := map[int64]*postNode{}
	for _, pv := range posts {
		n := &postNode{PostView: pv}
		if pv.HiddenAt == nil {
			n.HTML = md.Render(pv.Body)
		}
		nodes[pv.ID] = n
		switch parent := pv.ParentID; {
		case parent != nil && nodes[*parent] != nil:
			nodes[*parent].Replies = append(nodes[*parent].Replies, n)
		case pv.Kind == store.PostFor:
			v.For = append(v.For, n)
		case pv.Kind == store.PostAgainst:
			v.Against = append(v.Against, n)
		default:
			v.Comments = append(v.Comments, n)
		}
	}
	v.Suggestions, err = s.store.Suggestions(ctx, p.ID)
	return v, err
}

// proposalPhase is p's phase and its ballot as the reader may see it (nil
// without one, and for a draft unless the reader is on the board).
func (s *Server) proposalPhase(c echo.Context, p store.Proposal) (string, *store.Ballot, error) {
	var b *store.Ballot
	if p.BallotID != nil {
		bb, err := s.store.BallotByID(c.Request().Context(), *p.BallotID)
		if err != nil {
			return "", nil, err
		}
		b = &bb
	}
	phase := store.Phase(p, b, s.now())
	if b != nil && b.State == store.StateDraft && !isBoard(c) {
		// A draft is the board's alone (authz.go hideDraft): others see
		// that the text is frozen, not why.
		b = nil
	}
	return phase, b, nil
}

// refuse re-shows the proposal page with the form's values and the
// message beside the field (422), or passes other errors on.
func (s *Server) refuse(c echo.Context, err error, form string, values map[string]string) error {
	he, internal := classify(err)
	if internal || he.Field == "" {
		return err
	}
	f := deliberationForm{Form: form, Values: values, Errors: fieldErrors{he.Field: s.locales.errorText(s.lang(c), err)}}
	return s.renderProposal(c, he.Status, f)
}

func (s *Server) backToProposal(c echo.Context, anchor string) error {
	return redirect(c, "/proposals/"+strconv.FormatInt(routeProposal(c).ID, 10)+anchor)
}

// optionalID parses an optional positive id field ("" is nil).
func optionalID(field, v string) (*int64, error) {
	if v == "" {
		return nil, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return nil, domain.Refuse(field, "required")
	}
	return &id, nil
}

// The actions below check their input and the reader's right, then call
// one store method; the page handlers (form posts, refused forms re-shown
// with 422) and the API handlers (deliberation_api.go, JSON) share them.

// newPost checks and adds a post by the reader: an argument (kind for or
// against, short), a comment, or a reply to parent (always a comment).
func (s *Server) newPost(c echo.Context, kind, body string, parent *int64) (store.Post, error) {
	max := maxComment
	switch {
	case parent != nil:
		kind = store.PostComment
	case kind == store.PostFor || kind == store.PostAgainst:
		max = maxArgument
	case kind == store.PostComment:
	default:
		return store.Post{}, domain.Refuse("kind", "required")
	}
	if err := domain.CheckText("body", body, true, max); err != nil {
		return store.Post{}, err
	}
	ct := currentCitizen(c)
	if err := s.postLimit.allow(c, ct.ID); err != nil {
		return store.Post{}, err
	}
	p := store.Post{ProposalID: routeProposal(c).ID, AuthorID: ct.ID, ParentID: parent, Kind: kind, Body: body}
	err := s.store.AddPost(c.Request().Context(), &p)
	return p, err
}

// hide hides post p with the board member's stated reason.
func (s *Server) hide(c echo.Context, p store.Post, reason string) error {
	if err := domain.CheckLine("reason", reason, true, maxNote); err != nil {
		return err
	}
	return s.store.HidePost(c.Request().Context(), routeCommunityOf(c).ID, p.ID, currentCitizen(c).ID, reason)
}

// revise stores a new version of the route's proposal; only its author may.
func (s *Server) revise(c echo.Context, title, body, note string) (store.ProposalVersion, error) {
	p := routeProposal(c)
	ct := currentCitizen(c)
	if ct.ID != p.AuthorID {
		return store.ProposalVersion{}, errorf(http.StatusForbidden, "forbidden", "only the author revises a proposal")
	}
	for _, err := range []error{
		domain.CheckLine("title", title, true, domain.MaxTitle),
		domain.CheckText("body", body, true, domain.MaxProposalBody),
		domain.CheckLine("note", note, false, maxNote),
	} {
		if err != nil {
			return store.ProposalVersion{}, err
		}
	}
	if err := s.postLimit.allow(c, ct.ID); err != nil {
		return store.ProposalVersion{}, err
	}
	return s.store.ReviseProposal(c.Request().Context(), p.ID, ct.ID, title, body, note)
}

// suggest adds the reader's suggestion to the route's proposal.
func (s *Server) suggest(c echo.Context, body string) (store.Suggestion, error) {
	if err := domain.CheckText("body", body, true, maxSuggestion); err != nil {
		return store.Suggestion{}, err
	}
	ct := currentCitizen(c)
	if err := s.postLimit.allow(c, ct.ID); err != nil {
		return store.Suggestion{}, err
	}
	sg := store.Suggestion{ProposalID: routeProposal(c).ID, AuthorID: ct.ID, Body: body}
	err := s.store.AddSuggestion(c.Request().Context(), &sg)
	return sg, err
}

// routeSuggestion is the :suggestion of the route (404 when malformed).
func routeSuggestion(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("suggestion"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errorf(http.StatusNotFound, "not_found", "not found")
	}
	return id, nil
}

// decide marks a suggestion adopted or rejected (the store lets only the
// proposal's author).
func (s *Server) decide(c echo.Context, id int64, state string) error {
	if state != store.SuggestionAdopted && state != store.SuggestionRejected {
		return fieldError(http.StatusUnprocessableEntity, "state", "adopted or rejected")
	}
	return s.store.DecideSuggestion(c.Request().Context(), routeProposal(c).ID, id, currentCitizen(c).ID, state)
}

// endDiscussion: the author or the board sets in how many days the
// discussion ends; 0 freezes the text now, which cannot be undone and
// needs confirm.
func (s *Server) endDiscussion(c echo.Context, days int, confirm bool) error {
	p := routeProposal(c)
	if currentCitizen(c).ID != p.AuthorID && !isBoard(c) {
		return errorf(http.StatusForbidden, "forbidden", "only the author or the board sets the end of the discussion")
	}
	if days < 0 || days > maxDiscussion {
		return domain.Refuse("days", "range", 0, maxDiscussion)
	}
	if days == 0 && !confirm {
		return domain.Refuse("confirm", "confirm_freeze")
	}
	return s.store.SetDiscussionEnd(c.Request().Context(), p.ID, s.now().AddDate(0, 0, days))
}

func (s *Server) addPost(c echo.Context) error {
	kind, body := c.FormValue("kind"), c.FormValue("body")
	values := map[string]string{"kind": kind, "body": body}
	parent, err := optionalID("parent", c.FormValue("parent"))
	if err != nil {
		return err
	}
	p, err := s.newPost(c, kind, body, parent)
	if err != nil {
		form := "post"
		if he, _ := classify(err); parent != nil && he.Field != "parent" {
			form = "reply-" + c.FormValue("parent") // no such parent: the main form says so
		}
		return s.refuse(c, err, form, values)
	}
	return s.backToProposal(c, "#post-"+strconv.FormatInt(p.ID, 10))
}

// routePost is the :post of the route's proposal.
func (s *Server) routePost(c echo.Context) (store.Post, error) {
	id, err := strconv.ParseInt(c.Param("post"), 10, 64)
	if err != nil || id <= 0 {
		return store.Post{}, errorf(http.StatusNotFound, "not_found", "not found")
	}
	return s.store.PostOf(c.Request().Context(), routeProposal(c).ID, id)
}

func (s *Server) supportPost(c echo.Context) error {
	p, err := s.routePost(c)
	if err != nil {
		return err
	}
	if err := s.store.SetPostSupport(c.Request().Context(), p.ID, currentCitizen(c).ID, c.FormValue("support") == "1"); err != nil {
		return err
	}
	return s.backToProposal(c, "#post-"+strconv.FormatInt(p.ID, 10))
}

func (s *Server) hidePost(c echo.Context) error {
	p, err := s.routePost(c)
	if err != nil {
		return err
	}
	reason := strings.TrimSpace(c.FormValue("reason"))
	if err := s.hide(c, p, reason); err != nil {
		return s.refuse(c, err, "hide-"+strconv.FormatInt(p.ID, 10), map[string]string{"reason": reason})
	}
	return s.backToProposal(c, "#post-"+strconv.FormatInt(p.ID, 10))
}

func (s *Server) reviseProposal(c echo.Context) error {
	title, body, note := strings.TrimSpace(c.FormValue("title")), c.FormValue("body"), strings.TrimSpace(c.FormValue("note"))
	if _, err := s.revise(c, title, body, note); err != nil {
		return s.refuse(c, err, "revision", map[string]string{"title": title, "body": body, "note": note})
	}
	return s.backToProposal(c, "")
}

func (s *Server) addSuggestion(c echo.Context) error {
	body := c.FormValue("body")
	if _, err := s.suggest(c, body); err != nil {
		return s.refuse(c, err, "suggestion", map[string]string{"body": body})
	}
	return s.backToProposal(c, "#suggestions")
}

func (s *Server) decideSuggestion(c echo.Context) error {
	id, err := routeSuggestion(c)
	if err != nil {
		return err
	}
	if err := s.decide(c, id, c.FormValue("state")); err != nil {
		return err
	}
	return s.backToProposal(c, "#suggestions")
}

func (s *Server) setDiscussionEnd(c echo.Context) error {
	raw := strings.TrimSpace(c.FormValue("days"))
	days, err := strconv.Atoi(raw)
	if err != nil {
		days = -1 // out of range: the same message as a negative number
	}
	if err := s.endDiscussion(c, days, c.FormValue("confirm") == "1"); err != nil {
		return s.refuse(c, err, "discussion", map[string]string{"days": raw})
	}
	return s.backToProposal(c, "#phase")
}

type versionsPage struct {
	Page
	Community *store.Community
	Proposal  *store.Proposal
	Versions  []store.ProposalVersion
	From, To  store.ProposalVersion
	Title     []textdiff.Line
	Body      []textdiff.Line
}

// showVersions lists a proposal's versions and the difference between
// two of them (?from=&to=; default: the last two).
func (s *Server) showVersions(c echo.Context) error {
	p := routeProposal(c)
	vs, err := s.store.ProposalVersions(c.Request().Context(), *p)
	if err != nil {
		return err
	}
	pick := func(name string, def int) (store.ProposalVersion, error) {
		n := def
		if raw := c.QueryParam(name); raw != "" {
			if n, err = strconv.Atoi(raw); err != nil || n < 1 || n > len(vs) {
				return store.ProposalVersion{}, fieldError(http.StatusBadRequest, name, "no such version")
			}
		}
		return vs[n-1], nil
	}
	from, err := pick("from", max(1, len(vs)-1))
	if err != nil {
		return err
	}
	to, err := pick("to", len(vs))
	if err != nil {
		return err
	}
	pg := versionsPage{Page: s.page(c, "deliberation.versions.title"), Community: routeCommunityOf(c), Proposal: p, Versions: vs,
		From: from, To: to, Title: textdiff.Lines(from.Title, to.Title), Body: textdiff.Lines(from.Body, to.Body)}
	return s.render(c, http.StatusOK, "proposal_versions", pg)
}

type moderationPage struct {
	Page
	Community *store.Community
	Entries   []store.ModerationView
}

func (s *Server) showModeration(c echo.Context) error {
	cm := routeCommunityOf(c)
	es, err := s.store.ModerationLog(c.Request().Context(), cm.ID, 500)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "moderation", moderationPage{Page: s.page(c, "deliberation.moderation.title"), Community: cm, Entries: es})
}
