package web

import (
	"cmp"
	"context"
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"koinon/internal/domain"
	"koinon/internal/store"
)

// profilesStore is what the profiles handlers need of the store.
type profilesStore interface {
	DelegateProfileOf(ctx context.Context, communityID, citizenID int64) (store.DelegateProfile, []store.Topic, error)
	FindDelegates(ctx context.Context, communityID, topicID int64, limit int) ([]store.DelegateSummary, error)
	FirstChoiceWeights(ctx context.Context, communityID, delegateID int64) ([]store.ScopeWeight, error)
	HasOpenPseudonymous(ctx context.Context, communityID int64) (bool, error)
	PublicVotingRecord(ctx context.Context, communityID, citizenID int64, limit int) ([]store.RecordEntry, error)
	SaveDelegateProfile(ctx context.Context, communityID, citizenID int64, statement string, topicIDs []int64) error
	ScopeTopics(ctx context.Context, communityID int64) ([]store.Topic, error)
}

// Delegate profiles (docs/delegate-profiles.md): what a citizen stands for
// in a community, the topics they accept delegations for, the weight
// named to them now and their votes on closed public ballots.

// maxRecord bounds the voting record shown.
const maxRecord = 100

type scopeWeightView struct {
	Scope      string // the community's name or a topic's
	Delegators int64
	Weight     int64
}

type recordView struct {
	store.RecordEntry
	Summary string
}

type delegatePage struct {
	Page
	Community *store.Community
	Citizen   store.Citizen
	Statement template.HTML
	Topics    []store.Topic
	// Weights is nil when hidden (WeightsHidden: a pseudonymous ballot is open).
	Weights       []scopeWeightView
	WeightsHidden bool
	Record        []recordView
	// Own: the reader's own profile, with the edit form.
	Own       bool
	AllTopics []topicChoice
	Form      map[string]string
	Errors    fieldErrors
}

type topicChoice struct {
	store.Topic
	Checked bool
}

func (s *Server) showDelegate(c echo.Context) error {
	return s.renderDelegate(c, c.Param("handle"), http.StatusOK, nil, nil)
}

// delegateData is what a delegate's profile shows, for the page and the
// API alike.
type delegateData struct {
	Citizen   store.Citizen
	Profile   store.DelegateProfile
	Statement string // for this community, else the account's (/profile)
	Topics    []store.Topic
	// Weights is nil when hidden (WeightsHidden: a pseudonymous ballot is open).
	Weights       []scopeWeightView
	WeightsHidden bool
	Record        []recordView
}

// loadDelegate reads handle's profile in the route's community (404 when
// they are not on its roll).
func (s *Server) loadDelegate(c echo.Context, handle string) (delegateData, error) {
	ctx := c.Request().Context()
	cm := routeCommunityOf(c)
	var d delegateData
	ct, err := s.store.CitizenByHandle(ctx, handle)
	if err != nil {
		return d, err
	}
	if _, err := s.store.CurrentMembership(ctx, cm.ID, ct.ID); err != nil {
		return d, err // not on the roll: no profile here (404)
	}
	d.Citizen = ct
	if d.Profile, d.Topics, err = s.store.DelegateProfileOf(ctx, cm.ID, ct.ID); err != nil {
		return d, err
	}
	d.Statement = cmp.Or(d.Profile.Statement, ct.Statement)
	if d.WeightsHidden, err = s.store.HasOpenPseudonymous(ctx, cm.ID); err != nil {
		return d, err
	}
	if !d.WeightsHidden {
		if d.Weights, err = s.scopeWeights(c, cm, ct.ID); err != nil {
			return d, err
		}
	}
	d.Record, err = s.votingRecord(c, cm.ID, ct.ID)
	return d, err
}

// renderDelegate shows handle's profile; form and errs re-show a
// refused edit.
func (s *Server) renderDelegate(c echo.Context, handle string, status int, form map[string]string, errs fieldErrors) error {
	ctx := c.Request().Context()
	cm := routeCommunityOf(c)
	d, err := s.loadDelegate(c, handle)
	if err != nil {
		return err
	}
	p := delegatePage{Page: s.page(c, ""), Community: cm, Citizen: d.Citizen, Statement: md.Render(d.Statement), Topics: d.Topics,
		Weights: d.Weights, WeightsHidden: d.WeightsHidden, Record: d.Record, Form: form, Errors: errs}
	p.Title = d.Citizen.Handle
	if me := currentCitizen(c); me != nil && me.ID == d.Citizen.ID {
		p.Own = true
		if p.Form == nil {
			p.Form = map[string]string{"statement": d.Profile.Statement}
		}
		all, err := s.store.ScopeTopics(ctx, cm.ID)
		if err != nil {
			return err
		}
		for _, t := range all {
			checked := false
			for _, mine := range d.Topics {
				checked = checked || mine.ID == t.ID
			}
			p.AllTopics = append(p.AllTopics, topicChoice{t, checked})
		}
	}
	return s.render(c, status, "delegate_show", p)
}

// scopeWeights names each scope of the delegate's first-choice weights.
func (s *Server) scopeWeights(c echo.Context, cm *store.Community, id int64) ([]scopeWeightView, error) {
	ctx := c.Request().Context()
	ws, err := s.store.FirstChoiceWeights(ctx, cm.ID, id)
	if err != nil {
		return nil, err
	}
	topics, err := s.topicSlugs(ctx, cm.ID)
	if err != nil {
		return nil, err
	}
	out := []scopeWeightView{}
	for _, w := range ws {
		_, name, _ := describeScope(cm.ID, w.ScopeKey, topics)
		if w.ScopeKey == "c" {
			name = cm.Name
		}
		out = append(out, scopeWeightView{Scope: name, Delegators: w.Delegators, Weight: w.Weight})
	}
	return out, nil
}

func (s *Server) votingRecord(c echo.Context, communityID, id int64) ([]recordView, error) {
	ctx := c.Request().Context()
	rec, err := s.store.PublicVotingRecord(ctx, communityID, id, maxRecord)
	if err != nil {
		return nil, err
	}
	out := make([]recordView, len(rec))
	for i, r := range rec {
		opts, err := s.store.BallotOptions(ctx, r.BallotID)
		if err != nil {
			return nil, err
		}
		out[i] = recordView{r, choiceSummary(r.Method, r.Choice, opts)}
	}
	return out, nil
}

// saveDelegate checks and stores the reader's statement and topics in the
// route's community.
func (s *Server) saveDelegate(c echo.Context, statement string, topicIDs []int64) error {
	if err := domain.CheckText("statement", statement, false, domain.MaxStatement); err != nil {
		return err
	}
	return s.store.SaveDelegateProfile(c.Request().Context(), routeCommunityOf(c).ID, currentCitizen(c).ID, statement, topicIDs)
}

func (s *Server) saveDelegateProfile(c echo.Context) error {
	cm := routeCommunityOf(c)
	me := currentCitizen(c)
	statement := c.FormValue("statement")
	values, err := c.FormParams()
	if err != nil {
		return err
	}
	var ids []int64
	for _, v := range values["topic"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return fieldError(http.StatusUnprocessableEntity, "topics", "unknown topic")
		}
		ids = append(ids, id)
	}
	err = s.saveDelegate(c, statement, ids)
	var inv *domain.Invalid
	if errors.As(err, &inv) {
		return s.renderDelegate(c, me.Handle, http.StatusUnprocessableEntity, map[string]string{"statement": statement},
			fieldErrors{inv.Field: s.locales.errorText(s.lang(c), err)})
	}
	if err != nil {
		return err
	}
	return redirect(c, "/communities/"+cm.Slug+"/delegates/"+me.Handle)
}

type delegatesPage struct {
	Page
	Community *store.Community
	Topics    []store.Topic
	Topic     string
	Delegates []delegateCard
}

type delegateCard struct {
	store.DelegateSummary
	Excerpt string // the statement's start, as plain text
}

// excerptLen is how much of a statement the search shows, in characters.
const excerptLen = 200

// searchDelegates lists the route community's delegates, of one topic
// when topic (a slug) is set, with the start of their statements.
func (s *Server) searchDelegates(c echo.Context, topic string) ([]delegateCard, error) {
	ctx := c.Request().Context()
	cm := routeCommunityOf(c)
	var topicID int64
	if topic != "" {
		t, err := s.store.ScopeTopic(ctx, cm.ID, topic)
		if err != nil {
			return nil, fieldError(http.StatusNotFound, "topic", "no such topic in this community")
		}
		topicID = t.ID
	}
	ds, err := s.store.FindDelegates(ctx, cm.ID, topicID, 500)
	if err != nil {
		return nil, err
	}
	out := make([]delegateCard, 0, len(ds))
	for _, d := range ds {
		ex := []rune(strings.Join(strings.Fields(d.Statement), " "))
		if len(ex) > excerptLen {
			ex = append(ex[:excerptLen], '…')
		}
		out = append(out, delegateCard{d, string(ex)})
	}
	return out, nil
}

// findDelegates lists delegates, of one topic with ?topic=SLUG.
func (s *Server) findDelegates(c echo.Context) error {
	cm := routeCommunityOf(c)
	topics, err := s.store.ScopeTopics(c.Request().Context(), cm.ID)
	if err != nil {
		return err
	}
	p := delegatesPage{Page: s.page(c, "delegate.find.title"), Community: cm, Topics: topics, Topic: strings.TrimSpace(c.QueryParam("topic"))}
	if p.Delegates, err = s.searchDelegates(c, p.Topic); err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "delegates", p)
}
