package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"koinon/internal/domain"
	"koinon/internal/statement"
	"koinon/internal/store"
	"koinon/internal/tally"
)

// delegationsStore is what the delegations handlers need of the store.
type delegationsStore interface {
	CitizenByHandle(ctx context.Context, handle string) (store.Citizen, error)
	DelegationNotices(ctx context.Context, delegateID, communityID int64, limit int) ([]store.DelegationNotice, error)
	DelegationPageOf(ctx context.Context, citizenID, communityID int64) (store.DelegationPage, error)
	DelegatorsOf(ctx context.Context, delegateID, communityID int64) ([]store.Delegator, error)
	LiveInputs(ctx context.Context, ballots []store.Ballot) (map[int64]store.LiveInput, error)
	RemoveDelegation(ctx context.Context, citizenID int64, sc store.Scope) error
	SetDelegation(ctx context.Context, citizenID int64, sc store.Scope, delegates []int64) error
}

type delegationRequest struct {
	Community string    `json:"community"`
	Topic     string    `json:"topic"`
	Ballot    *int64    `json:"ballot"`
	Delegates *[]string `json:"delegates"`
}

// delegationScope resolves a request's community (the caller must be a
// current member) and scope.
func (s *Server) delegationScope(c echo.Context, community, topic string, ballot *int64) (store.Community, store.Scope, error) {
	ctx := c.Request().Context()
	if community == "" {
		return store.Community{}, store.Scope{}, domain.Refuse("community", "required")
	}
	cm, err := s.store.CommunityBySlug(ctx, community)
	if err != nil {
		return cm, store.Scope{}, err
	}
	if _, err := s.store.CurrentMembership(ctx, cm.ID, currentCitizen(c).ID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			if !cm.Public {
				return cm, store.Scope{}, store.ErrNotFound
			}
			return cm, store.Scope{}, errorf(http.StatusForbidden, "forbidden", "only members of "+cm.Slug+" can delegate there")
		}
		return cm, store.Scope{}, err
	}
	sc := store.Scope{CommunityID: cm.ID}
	if topic != "" && ballot != nil {
		return cm, sc, domain.Invalidf("ballot", "name a topic or a ballot, not both")
	}
	if topic != "" {
		t, err := s.store.ScopeTopic(ctx, cm.ID, topic)
		if err != nil {
			return cm, sc, domain.Invalidf("topic", "no topic %s in %s", domain.Quote(topic), cm.Slug)
		}
		sc.TopicID = t.ID
	}
	if ballot != nil {
		if *ballot <= 0 {
			return cm, sc, domain.Invalidf("ballot", "no such ballot in %s", cm.Slug)
		}
		sc.BallotID = *ballot
	}
	return cm, sc, nil
}

// delegateIDs maps handles to citizen ids (422 naming an unknown handle).
func (s *Server) delegateIDs(ctx context.Context, handles []string) ([]int64, error) {
	ids := make([]int64, 0, len(handles))
	for _, h := range handles {
		h = domain.NormalizeHandle(h)
		ct, err := s.store.CitizenByHandle(ctx, h)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return nil, domain.Refuse("delegates", "no_citizen", domain.Quote(h))
			}
			return nil, err
		}
		ids = append(ids, ct.ID)
	}
	return ids, nil
}

func (s *Server) apiSetDelegation(c echo.Context) error {
	var req delegationRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	_, sc, err := s.delegationScope(c, req.Community, req.Topic, req.Ballot)
	if err != nil {
		return err
	}
	if req.Delegates == nil {
		return domain.Invalidf("delegates", "is required: a list of handles in priority order, or [] to vote yourself in this scope")
	}
	ctx := c.Request().Context()
	ids, err := s.delegateIDs(ctx, *req.Delegates)
	if err != nil {
		return err
	}
	if err := s.store.SetDelegation(ctx, currentCitizen(c).ID, sc, ids); err != nil {
		return err
	}
	return s.apiDelegationsOf(c, req.Community)
}

func (s *Server) apiRemoveDelegation(c echo.Context) error {
	var req delegationRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	_, sc, err := s.delegationScope(c, req.Community, req.Topic, req.Ballot)
	if err != nil {
		return err
	}
	if err := s.store.RemoveDelegation(c.Request().Context(), currentCitizen(c).ID, sc); err != nil {
		return err
	}
	return s.apiDelegationsOf(c, req.Community)
}

func (s *Server) apiListDelegations(c echo.Context) error {
	return s.apiDelegationsOf(c, c.QueryParam("community"))
}

type delegationListJSON struct {
	Scope     string    `json:"scope"` // community, topic or ballot
	Topic     string    `json:"topic,omitempty"`
	Ballot    int64     `json:"ballot,omitempty"`
	Delegates []string  `json:"delegates"`
	UpdatedAt time.Time `json:"updated_at"`
}

type delegatorJSON struct {
	Handle   string `json:"handle"`
	Scope    string `json:"scope"`
	Topic    string `json:"topic,omitempty"`
	Ballot   int64  `json:"ballot,omitempty"`
	Position int    `json:"position"`
	Weight   int64  `json:"weight"`
}

// noticeJSON is a delegation start or stop naming the caller as delegate;
// Day is its UTC date (YYYY-MM-DD), never a finer time (docs/security.md).
type noticeJSON struct {
	Handle string `json:"handle"`
	Kind   string `json:"kind"` // start or stop
	Scope  string `json:"scope"`
	Day    string `json:"day"`
}

func (s *Server) apiDelegationsOf(c echo.Context, community string) error {
	cm, _, err := s.delegationScope(c, community, "", nil)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	me := currentCitizen(c).ID
	lists, err := s.store.DelegationsOf(ctx, me, cm.ID)
	if err != nil {
		return err
	}
	topics, err := s.topicSlugs(ctx, cm.ID)
	if err != nil {
		return err
	}
	out := struct {
		Community  string               `json:"community"`
		Lists      []delegationListJSON `json:"lists"`
		Delegators []delegatorJSON      `json:"delegators"`
		Notices    []noticeJSON         `json:"notices"`
	}{Community: cm.Slug, Lists: []delegationListJSON{}, Delegators: []delegatorJSON{}, Notices: []noticeJSON{}}
	for _, l := range lists {
		j := delegationListJSON{Delegates: []string{}, UpdatedAt: l.UpdatedAt.UTC()}
		j.Scope, j.Topic, j.Ballot = describeScope(cm.ID, l.ScopeKey, topics)
		for _, d := range l.Delegates {
			j.Delegates = append(j.Delegates, d.Handle)
		}
		out.Lists = append(out.Lists, j)
	}
	from, err := s.store.DelegatorsOf(ctx, me, cm.ID)
	if err != nil {
		return err
	}
	for _, d := range from {
		j := delegatorJSON{Handle: d.Citizen.Handle, Position: d.Position, Weight: d.Weight}
		j.Scope, j.Topic, j.Ballot = describeScope(cm.ID, d.ScopeKey, topics)
		out.Delegators = append(out.Delegators, j)
	}
	notices, err := s.store.DelegationNotices(ctx, me, cm.ID, 20)
	if err != nil {
		return err
	}
	for _, n := range notices {
		scope, _, _ := describeScope(cm.ID, n.ScopeKey, topics)
		out.Notices = append(out.Notices, noticeJSON{Handle: n.Handle, Kind: n.Kind, Scope: scope, Day: n.At.UTC().Format(time.DateOnly)})
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) topicSlugs(ctx context.Context, communityID int64) (map[int64]store.Topic, error) {
	ts, err := s.store.ScopeTopics(ctx, communityID)
	if err != nil {
		return nil, err
	}
	m := make(map[int64]store.Topic, len(ts))
	for _, t := range ts {
		m[t.ID] = t
	}
	return m, nil
}

// describeScope turns a scope key into (kind, topic slug, ballot id).
func describeScope(communityID int64, key string, topics map[int64]store.Topic) (string, string, int64) {
	sc, err := store.ParseScopeKey(communityID, key)
	switch {
	case err != nil:
		return "community", "", 0
	case sc.BallotID > 0:
		return "ballot", "", sc.BallotID
	case sc.TopicID > 0:
		return "topic", topics[sc.TopicID].Slug, 0
	}
	return "community", "", 0
}

// ---- live resolution: where a citizen's vote flows right now ----

// liveBallot is an open ballot resolved over the current votes and
// effective delegation lists, with handles as voter ids (server-side only).
type liveBallot struct {
	ballot  store.Ballot
	entries []tally.Entry
	votes   []tally.Vote
	res     tally.Resolution
	handles map[int64]string
}

func (s *Server) resolveLive(ctx context.Context, b store.Ballot) (*liveBallot, error) {
	in, err := s.store.LiveInputs(ctx, []store.Ballot{b})
	if err != nil {
		return nil, err
	}
	return newLiveBallot(b, in[b.ID]), nil
}

// newLiveBallot resolves ballot b over in, its roll, lists and voters.
// Delegates off the roll stay in the lists under an id that is no handle
// ("#12"), as at the close: the tally skips them, and a list of only such
// delegates makes its owner lost, not absent (tally.md §3).
func newLiveBallot(b store.Ballot, in store.LiveInput) *liveBallot {
	lb := &liveBallot{ballot: b, handles: make(map[int64]string, len(in.Roll))}
	for _, r := range in.Roll {
		lb.handles[r.CitizenID] = r.Handle
	}
	for _, r := range in.Roll {
		e := tally.Entry{Voter: r.Handle, Weight: r.Weight, Delegates: []string{}}
		for _, d := range in.Lists[r.CitizenID] {
			h, ok := lb.handles[d]
			if !ok {
				h = "#" + strconv.FormatInt(d, 10)
			}
			if d != r.CitizenID {
				e.Delegates = append(e.Delegates, h)
			}
		}
		lb.entries = append(lb.entries, e)
	}
	for _, id := range in.Voters {
		if h, ok := lb.handles[id]; ok {
			lb.votes = append(lb.votes, tally.Vote{Voter: h})
		}
	}
	lb.res = tally.Resolve(lb.entries, lb.votes)
	return lb
}

// flowView says where one citizen's vote goes now.
type flowView struct {
	OnRoll  bool
	State   string   // cast, delegated, lost, absent
	Chain   []string // delegated: carriers after the citizen, ending with the root
	To      string
	Hops    int
	Hidden  bool  // pseudonymous ballot: names after the first delegate are not shown
	Carries int64 // weight the citizen's choice counts with if they vote
	// CarriesHidden: a pseudonymous ballot does not show Carries while
	// open, since its changes would tell a delegate which of her
	// delegators voted directly (docs/security.md).
	CarriesHidden bool
}

func (lb *liveBallot) flow(handle string) flowView {
	row, ok := lb.res.Lookup(handle)
	if !ok {
		return flowView{}
	}
	f := flowView{OnRoll: true, State: row.State.String(), Hops: row.Hops, To: row.To}
	if row.State == tally.StateDelegated {
		f.Chain = lb.res.Chain(handle)[1:]
		if lb.ballot.Secrecy == "pseudonymous" && len(f.Chain) > 1 {
			f.Chain, f.To, f.Hidden = f.Chain[:1], "", true
		}
	}
	switch {
	case lb.ballot.Secrecy != "public":
		f.CarriesHidden = true
	case row.State == tally.StateCast:
		f.Carries = row.Weight
	default:
		votes := append(append([]tally.Vote{}, lb.votes...), tally.Vote{Voter: handle})
		if r, ok := tally.Resolve(lb.entries, votes).Lookup(handle); ok {
			f.Carries = r.Weight
		}
	}
	return f
}

// ---- page ----

type delegationScopeView struct {
	Key            string // form value: c, t:ID, b:ID
	Statement      string // the scope as statements name it: community, topic:SLUG, ballot:ID
	SignedBy       string // how the current list was signed: device, custodial or ""
	Anchor         string // element id: scope-c, scope-t-ID, scope-b-ID
	Kind           string // community, topic, ballot
	Name           string
	BallotID       int64
	Set            bool     // a list exists for this scope
	Delegates      []string // handles in priority order
	Inputs         []string // Delegates padded with empty inputs
	Inherited      string   // which wider scope applies when none is set: community or topic
	InheritedTopic string   // the topic's name when Inherited is topic
	Flow           *flowView
	ClosesAt       time.Time
}

type delegatorView struct {
	Handle   string
	Scope    string
	Position int
	Weight   int64
}

type delegateWarning struct {
	Handle string
	Left   bool
	Last   *time.Time
}

type delegationsPage struct {
	Page
	Communities []store.CommunitySummary
	Community   *store.Community
	Members     []string
	Scopes      []delegationScopeView
	Delegators  []delegatorView
	Carried     int64
	Notices     []store.DelegationNotice
	Warnings    []delegateWarning
	Device      *deviceView // device.js runs here when the logs are on
}

// inactiveAfter is how long without a vote makes a delegate worth a
// warning.
const inactiveAfter = 90 * 24 * time.Hour

func (s *Server) delegationsPage(c echo.Context) error {
	ctx := c.Request().Context()
	me := currentCitizen(c)
	p := delegationsPage{Page: s.page(c, "delegation.title")}
	var err error
	if p.Communities, err = s.store.ListCommunities(ctx, me.ID); err != nil {
		return err
	}
	slug := c.QueryParam("community")
	if slug == "" && len(p.Communities) > 0 {
		slug = p.Communities[0].Slug
	}
	if slug == "" {
		return s.render(c, http.StatusOK, "delegations", p)
	}
	cm, _, err := s.delegationScope(c, slug, "", nil)
	if err != nil {
		return err
	}
	p.Community = &cm
	data, err := s.store.DelegationPageOf(ctx, me.ID, cm.ID)
	if err != nil {
		return err
	}
	p.Members = data.Members
	byKey := map[string]store.DelegationList{}
	for _, l := range data.Lists {
		byKey[l.ScopeKey] = l
	}
	scope := func(key, kind, name, stmtScope string) delegationScopeView {
		v := delegationScopeView{Key: key, Anchor: "scope-" + strings.ReplaceAll(key, ":", "-"), Kind: kind, Name: name, Statement: stmtScope, Delegates: []string{}}
		if l, ok := byKey[key]; ok {
			v.Set = true
			for _, d := range l.Delegates {
				v.Delegates = append(v.Delegates, d.Handle)
			}
		}
		v.Inputs = append(append([]string{}, v.Delegates...), make([]string, max(3, len(v.Delegates)+1)-len(v.Delegates))...)
		return v
	}
	p.Scopes = append(p.Scopes, scope("c", "community", cm.Name, statement.ScopeCommunity))
	topicName := map[int64]string{}
	topicSlugs := make(map[int64]store.Topic, len(data.Topics))
	for _, t := range data.Topics {
		topicName[t.ID] = t.Name
		topicSlugs[t.ID] = t
		v := scope("t:"+strconv.FormatInt(t.ID, 10), "topic", t.Name, statement.TopicScope(t.Slug))
		if _, ok := byKey["c"]; ok && !v.Set {
			v.Inherited = "community"
		}
		p.Scopes = append(p.Scopes, v)
	}
	for _, b := range data.Open {
		v := scope("b:"+strconv.FormatInt(b.ID, 10), "ballot", b.Title, statement.BallotScope(strconv.FormatInt(b.ID, 10)))
		v.BallotID, v.ClosesAt = b.ID, b.ClosesAt
		// A wider list applies only when there is one: the topic's, else
		// the community's (tally.md §2).
		if !v.Set {
			if _, ok := byKey["c"]; ok {
				v.Inherited = "community"
			}
			if b.TopicID != nil {
				if _, ok := byKey["t:"+strconv.FormatInt(*b.TopicID, 10)]; ok {
					v.Inherited, v.InheritedTopic = "topic", topicName[*b.TopicID]
				}
			}
		}
		f := newLiveBallot(b, data.Live[b.ID]).flow(me.Handle)
		v.Flow = &f
		p.Scopes = append(p.Scopes, v)
	}
	counted := map[string]bool{}
	for _, d := range data.Delegators {
		kind, topic, ballot := describeScope(cm.ID, d.ScopeKey, topicSlugs)
		label := s.tr(c, "delegation.scope."+kind)
		if topic != "" {
			label += " " + topic
		}
		if ballot > 0 {
			label += " #" + strconv.FormatInt(ballot, 10)
		}
		p.Delegators = append(p.Delegators, delegatorView{Handle: d.Citizen.Handle, Scope: label, Position: d.Position + 1, Weight: d.Weight})
		if !counted[d.Citizen.Handle] && d.ScopeKey == "c" && d.Position == 0 {
			counted[d.Citizen.Handle] = true
			p.Carried += d.Weight
		}
	}
	p.Notices = data.Notices
	if p.Device, err = s.deviceFor(c, &cm); err != nil {
		return err
	}
	if p.Device != nil {
		stmts, err := s.store.StatementsOf(ctx, cm.ID, me.ID)
		if err != nil {
			return err
		}
		for i := range p.Scopes {
			p.Scopes[i].SignedBy = signedBy(stmts, p.Scopes[i].Statement, statement.Delegate)
		}
	}
	// A delegate who has not voted lately is worth a warning only once the
	// community has closed a ballot they could have voted on.
	warned := map[string]bool{}
	for _, l := range data.Lists {
		for _, d := range l.Delegates {
			if warned[d.Handle] {
				continue
			}
			warned[d.Handle] = true
			st := data.Delegates[d.ID]
			stale := st.LastVote == nil || s.now().Sub(*st.LastVote) > inactiveAfter
			if !st.Member || (stale && data.HasClosed) {
				p.Warnings = append(p.Warnings, delegateWarning{Handle: d.Handle, Left: !st.Member, Last: st.LastVote})
			}
		}
	}
	return s.render(c, http.StatusOK, "delegations", p)
}

// postDelegation handles the delegation page's forms: action "set" saves
// the listed handles (in order), "myself" saves an explicit empty list,
// "remove" deletes the scope's list.
func (s *Server) postDelegation(c echo.Context) error {
	ctx := c.Request().Context()
	slug := c.FormValue("community")
	back := "/delegations?community=" + url.QueryEscape(slug)
	cm, _, err := s.delegationScope(c, slug, "", nil)
	if err != nil {
		return err
	}
	sc, err := store.ParseScopeKey(cm.ID, c.FormValue("scope"))
	if err != nil {
		return errorf(http.StatusBadRequest, "malformed", "unknown scope")
	}
	me := currentCitizen(c).ID
	form, err := formParams(c)
	if err != nil {
		return err
	}
	switch c.FormValue("action") {
	case "remove":
		err = s.store.RemoveDelegation(ctx, me, sc)
	case "myself":
		err = s.store.SetDelegation(ctx, me, sc, []int64{})
	default:
		var handles []string
		for _, h := range form["delegate"] {
			if h = strings.TrimSpace(h); h != "" {
				handles = append(handles, h)
			}
		}
		if len(handles) == 0 {
			err = domain.Refuse("delegates", "delegates_none")
			break
		}
		var ids []int64
		if ids, err = s.delegateIDs(ctx, handles); err == nil {
			err = s.store.SetDelegation(ctx, me, sc, ids)
		}
	}
	if err == nil {
		s.flash(c, s.locales.translator(s.lang(c))("delegation.saved"))
	} else if err := s.flashStateError(c, err); err != nil {
		return err
	}
	return redirect(c, back+"#scope-"+strings.ReplaceAll(sc.Key(), ":", "-"))
}
