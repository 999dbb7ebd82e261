package web

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"koinon/internal/domain"
	"koinon/internal/store"
)

// The JSON API of deliberation, delegate profiles and notifications. Each
// handler binds its body, then calls the action its page handler calls
// (deliberation.go, profiles.go, notifications.go): the same checks, rate
// limit and store method, with errors as JSON naming the field.

// ---- deliberation ----

type postJSON struct {
	ID         int64      `json:"id"`
	Proposal   int64      `json:"proposal"`
	Parent     *int64     `json:"parent"`
	Kind       string     `json:"kind"` // for, against or comment
	Author     string     `json:"author,omitempty"`
	Body       string     `json:"body,omitempty"` // empty when hidden
	CreatedAt  time.Time  `json:"created_at"`
	Supporters int64      `json:"supporters"`
	Supported  bool       `json:"supported"` // by the caller
	HiddenAt   *time.Time `json:"hidden_at,omitempty"`
	Reason     string     `json:"hidden_reason,omitempty"`
}

func postView(p store.PostView) postJSON {
	j := postJSON{ID: p.ID, Proposal: p.ProposalID, Parent: p.ParentID, Kind: p.Kind, Author: p.AuthorHandle, Body: p.Body,
		CreatedAt: p.CreatedAt, Supporters: p.Supporters, Supported: p.Supported, HiddenAt: p.HiddenAt, Reason: p.HiddenReason}
	if p.HiddenAt != nil {
		j.Body = "" // the board hid it: its reason stands in
	}
	return j
}

type suggestionJSON struct {
	ID        int64      `json:"id"`
	Proposal  int64      `json:"proposal"`
	Author    string     `json:"author,omitempty"`
	Body      string     `json:"body"`
	State     string     `json:"state"` // open, adopted or rejected
	CreatedAt time.Time  `json:"created_at"`
	DecidedAt *time.Time `json:"decided_at,omitempty"`
}

func suggestionView(sg store.SuggestionView) suggestionJSON {
	return suggestionJSON{ID: sg.ID, Proposal: sg.ProposalID, Author: sg.AuthorHandle, Body: sg.Body, State: sg.State,
		CreatedAt: sg.CreatedAt, DecidedAt: sg.DecidedAt}
}

type deliberationJSON struct {
	Proposal         int64            `json:"proposal"`
	Phase            string           `json:"phase"` // discussion, frozen, voting or closed
	DiscussionEndsAt *time.Time       `json:"discussion_ends_at"`
	Ballot           *int64           `json:"ballot"`
	Version          int              `json:"version"`
	Posts            []postJSON       `json:"posts"` // oldest first; a reply names its parent
	Suggestions      []suggestionJSON `json:"suggestions"`
}

// apiDeliberation: a proposal's phase, posts and suggestions.
func (s *Server) apiDeliberation(c echo.Context) error {
	ctx := c.Request().Context()
	p := routeProposal(c)
	phase, b, err := s.proposalPhase(c, *p)
	if err != nil {
		return err
	}
	vs, err := s.store.ProposalVersions(ctx, *p)
	if err != nil {
		return err
	}
	out := deliberationJSON{Proposal: p.ID, Phase: phase, DiscussionEndsAt: p.DiscussionEndsAt, Version: vs[len(vs)-1].Version,
		Posts: []postJSON{}, Suggestions: []suggestionJSON{}}
	if b != nil {
		out.Ballot = &b.ID
	}
	var reader int64
	if ct := currentCitizen(c); ct != nil {
		reader = ct.ID
	}
	posts, err := s.store.Posts(ctx, p.ID, reader)
	if err != nil {
		return err
	}
	for _, pv := range posts {
		out.Posts = append(out.Posts, postView(pv))
	}
	sgs, err := s.store.Suggestions(ctx, p.ID)
	if err != nil {
		return err
	}
	for _, sg := range sgs {
		out.Suggestions = append(out.Suggestions, suggestionView(sg))
	}
	return c.JSON(http.StatusOK, out)
}

// apiAddPost: {"kind": "for"|"against"|"comment", "body": "…", "parent": id}.
func (s *Server) apiAddPost(c echo.Context) error {
	var req struct {
		Kind   string `json:"kind"`
		Body   string `json:"body"`
		Parent *int64 `json:"parent"`
	}
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	if req.Parent != nil && *req.Parent <= 0 {
		return domain.Refuse("parent", "required")
	}
	p, err := s.newPost(c, req.Kind, req.Body, req.Parent)
	if err != nil {
		return err
	}
	return s.apiPost(c, http.StatusCreated, p.ID)
}

// apiPost answers with post id as the caller sees it.
func (s *Server) apiPost(c echo.Context, status int, id int64) error {
	posts, err := s.store.Posts(c.Request().Context(), routeProposal(c).ID, currentCitizen(c).ID)
	if err != nil {
		return err
	}
	for _, pv := range posts {
		if pv.ID == id {
			return c.JSON(status, postView(pv))
		}
	}
	return errorf(http.StatusNotFound, "not_found", "not found")
}

func (s *Server) apiSupportPost(c echo.Context) error   { return s.apiSetPostSupport(c, true) }
func (s *Server) apiUnsupportPost(c echo.Context) error { return s.apiSetPostSupport(c, false) }

func (s *Server) apiSetPostSupport(c echo.Context, on bool) error {
	p, err := s.routePost(c)
	if err != nil {
		return err
	}
	if err := s.store.SetPostSupport(c.Request().Context(), p.ID, currentCitizen(c).ID, on); err != nil {
		return err
	}
	return s.apiPost(c, http.StatusOK, p.ID)
}

// apiHidePost: {"reason": "…"}; board only (route table).
func (s *Server) apiHidePost(c echo.Context) error {
	var req struct {
		Reason string `json:"reason"`
	}
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	p, err := s.routePost(c)
	if err != nil {
		return err
	}
	if err := s.hide(c, p, strings.TrimSpace(req.Reason)); err != nil {
		return err
	}
	return s.apiPost(c, http.StatusOK, p.ID)
}

type versionJSON struct {
	Version   int       `json:"version"`
	Title     string    `json:"title"`
	Body      string    `json:"body"`
	Note      string    `json:"note,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

func versionView(v store.ProposalVersion) versionJSON {
	return versionJSON{Version: v.Version, Title: v.Title, Body: v.Body, Note: v.Note, CreatedAt: v.CreatedAt}
}

// apiVersions lists every version of a proposal, oldest first.
func (s *Server) apiVersions(c echo.Context) error {
	vs, err := s.store.ProposalVersions(c.Request().Context(), *routeProposal(c))
	if err != nil {
		return err
	}
	out := make([]versionJSON, len(vs))
	for i, v := range vs {
		out[i] = versionView(v)
	}
	return c.JSON(http.StatusOK, map[string]any{"proposal": routeProposal(c).ID, "versions": out})
}

// apiReviseProposal: {"title", "body", "note"}; the author only.
func (s *Server) apiReviseProposal(c echo.Context) error {
	var req struct {
		Title string `json:"title"`
		Body  string `json:"body"`
		Note  string `json:"note"`
	}
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	v, err := s.revise(c, strings.TrimSpace(req.Title), req.Body, strings.TrimSpace(req.Note))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, versionView(v))
}

// apiAddSuggestion: {"body": "…"}.
func (s *Server) apiAddSuggestion(c echo.Context) error {
	var req struct {
		Body string `json:"body"`
	}
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	sg, err := s.suggest(c, req.Body)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, suggestionView(store.SuggestionView{Suggestion: sg, AuthorHandle: currentCitizen(c).Handle}))
}

// apiDecideSuggestion: {"state": "adopted"|"rejected"}; the author only.
func (s *Server) apiDecideSuggestion(c echo.Context) error {
	var req struct {
		State string `json:"state"`
	}
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	id, err := routeSuggestion(c)
	if err != nil {
		return err
	}
	if err := s.decide(c, id, req.State); err != nil {
		return err
	}
	sgs, err := s.store.Suggestions(c.Request().Context(), routeProposal(c).ID)
	if err != nil {
		return err
	}
	for _, sg := range sgs {
		if sg.ID == id {
			return c.JSON(http.StatusOK, suggestionView(sg))
		}
	}
	return errorf(http.StatusNotFound, "not_found", "not found")
}

// apiSetDiscussionEnd: {"days": 0–90, "confirm": true to freeze now}; the
// author or the board.
func (s *Server) apiSetDiscussionEnd(c echo.Context) error {
	var req struct {
		Days    *int `json:"days"`
		Confirm bool `json:"confirm"`
	}
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	if req.Days == nil {
		return domain.Refuse("days", "required")
	}
	if err := s.endDiscussion(c, *req.Days, req.Confirm); err != nil {
		return err
	}
	p, err := s.store.ProposalByID(c.Request().Context(), routeProposal(c).ID)
	if err != nil {
		return err
	}
	phase, _, err := s.proposalPhase(c, p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"proposal": p.ID, "phase": phase, "discussion_ends_at": p.DiscussionEndsAt})
}

// apiModerationLog: the community's hidden posts and the reasons, newest
// first (members).
func (s *Server) apiModerationLog(c echo.Context) error {
	es, err := s.store.ModerationLog(c.Request().Context(), routeCommunityOf(c).ID, 500)
	if err != nil {
		return err
	}
	type entry struct {
		Post      int64     `json:"post"`
		Proposal  int64     `json:"proposal"`
		Title     string    `json:"proposal_title"`
		Board     string    `json:"board"`
		Reason    string    `json:"reason"`
		CreatedAt time.Time `json:"created_at"`
	}
	out := make([]entry, len(es))
	for i, e := range es {
		out[i] = entry{e.PostID, e.ProposalID, e.ProposalTitle, e.BoardHandle, e.Reason, e.CreatedAt}
	}
	return c.JSON(http.StatusOK, out)
}

// ---- delegate profiles ----

type delegateJSON struct {
	Handle        string            `json:"handle"`
	DisplayName   string            `json:"display_name"`
	Statement     string            `json:"statement"` // Markdown
	Topics        []string          `json:"topics"`    // slugs the delegate accepts delegations for
	Weights       []scopeWeightJSON `json:"weights"`   // null while a pseudonymous ballot is open
	WeightsHidden bool              `json:"weights_hidden"`
	Record        []recordJSON      `json:"record"`
}

type scopeWeightJSON struct {
	Scope      string `json:"scope"`
	Delegators int64  `json:"delegators"`
	Weight     int64  `json:"weight"`
}

type recordJSON struct {
	Ballot   int64           `json:"ballot"`
	Title    string          `json:"title"`
	Method   string          `json:"method"`
	ClosedAt *time.Time      `json:"closed_at"`
	Choice   json.RawMessage `json:"choice"`
	Summary  string          `json:"summary"`
}

func delegateView(d delegateData) delegateJSON {
	j := delegateJSON{Handle: d.Citizen.Handle, DisplayName: d.Citizen.DisplayName, Statement: d.Statement, Topics: []string{},
		WeightsHidden: d.WeightsHidden, Record: []recordJSON{}}
	for _, t := range d.Topics {
		j.Topics = append(j.Topics, t.Slug)
	}
	if !d.WeightsHidden {
		j.Weights = []scopeWeightJSON{}
		for _, w := range d.Weights {
			j.Weights = append(j.Weights, scopeWeightJSON(w))
		}
	}
	for _, r := range d.Record {
		choice := json.RawMessage(r.Choice)
		if !json.Valid(choice) {
			choice, _ = json.Marshal(r.Choice)
		}
		j.Record = append(j.Record, recordJSON{r.BallotID, r.Title, r.Method, r.ClosedAt, choice, r.Summary})
	}
	return j
}

// apiFindDelegates lists the community's delegates (?topic=SLUG: of one
// topic), with the start of their statements.
func (s *Server) apiFindDelegates(c echo.Context) error {
	ds, err := s.searchDelegates(c, strings.TrimSpace(c.QueryParam("topic")))
	if err != nil {
		return err
	}
	type card struct {
		Handle      string `json:"handle"`
		DisplayName string `json:"display_name"`
		Excerpt     string `json:"excerpt"`
	}
	out := make([]card, len(ds))
	for i, d := range ds {
		out[i] = card{d.Handle, d.DisplayName, d.Excerpt}
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) apiShowDelegate(c echo.Context) error {
	d, err := s.loadDelegate(c, c.Param("handle"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, delegateView(d))
}

// apiSaveDelegateProfile: {"statement": "…", "topics": ["slug", …]}; the
// caller's own profile in the community.
func (s *Server) apiSaveDelegateProfile(c echo.Context) error {
	var req struct {
		Statement string   `json:"statement"`
		Topics    []string `json:"topics"`
	}
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	ctx := c.Request().Context()
	ids := make([]int64, 0, len(req.Topics))
	for _, slug := range req.Topics {
		t, err := s.store.ScopeTopic(ctx, routeCommunityOf(c).ID, slug)
		if err != nil {
			return fieldError(http.StatusUnprocessableEntity, "topics", "unknown topic "+strconv.Quote(slug))
		}
		ids = append(ids, t.ID)
	}
	if err := s.saveDelegate(c, req.Statement, ids); err != nil {
		return err
	}
	d, err := s.loadDelegate(c, currentCitizen(c).Handle)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, delegateView(d))
}

// ---- notifications ----

type notificationJSON struct {
	ID        int64     `json:"id"`
	Kind      string    `json:"kind"`
	Text      string    `json:"text"` // in the caller's language
	Link      string    `json:"link"`
	CreatedAt time.Time `json:"created_at"` // delegation notices: the day only
	Read      bool      `json:"read"`
}

// maxNotifications bounds one page of the API's list.
const maxNotifications = 100

// apiNotifications lists the caller's notifications, newest first:
// ?limit=N (1–100, default 50) of them, with an id below ?before=ID.
func (s *Server) apiNotifications(c echo.Context) error {
	limit, err := wholeNumber("limit", c.QueryParam("limit"), 50, 1, maxNotifications)
	if err != nil {
		return err
	}
	before, err := wholeNumber("before", c.QueryParam("before"), 0, 0, 1<<53)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	me := currentCitizen(c)
	list, err := s.store.Notifications(ctx, me.ID, int64(before), limit)
	if err != nil {
		return err
	}
	t := s.locales.translator(s.lang(c))
	out := struct {
		Items      []notificationJSON `json:"items"`
		NextBefore *int64             `json:"next_before"` // for the next page; null at the end
	}{Items: []notificationJSON{}}
	for _, n := range list {
		out.Items = append(out.Items, notificationJSON{n.ID, n.Kind, t(n.Message, n.Args()...), n.Link, n.CreatedAt, n.ReadAt != nil})
	}
	if len(list) == limit {
		out.NextBefore = &list[len(list)-1].ID
	}
	return c.JSON(http.StatusOK, out)
}

// wholeNumber reads the optional parameter name (raw; def when empty)
// as a whole number within [lo, hi].
func wholeNumber(name, raw string, def, lo, hi int) (int, error) {
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > hi {
		return 0, domain.Invalidf(name, "must be a whole number from %d to %d", lo, hi)
	}
	return n, nil
}

func (s *Server) apiUnreadCount(c echo.Context) error {
	n, err := s.store.UnreadCount(c.Request().Context(), currentCitizen(c).ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]int64{"unread": n})
}

// apiMarkRead: {"id": N} marks one notification read, {} all of them.
func (s *Server) apiMarkRead(c echo.Context) error {
	var req struct {
		ID *int64 `json:"id"`
	}
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	var id int64
	if req.ID != nil {
		if id = *req.ID; id <= 0 {
			return domain.Refuse("id", "required")
		}
	}
	if err := s.store.MarkRead(c.Request().Context(), currentCitizen(c).ID, id); err != nil {
		return err
	}
	return s.apiUnreadCount(c)
}

type notificationSettingsJSON struct {
	Mail    bool     `json:"mail"`    // the server mails notifications
	Delayed bool     `json:"delayed"` // a mail to the caller is overdue
	Kinds   []string `json:"kinds"`   // every kind, in page order
	Muted   []string `json:"muted"`   // kinds not mailed to the caller
}

func (s *Server) apiNotificationSettings(c echo.Context) error {
	ctx := c.Request().Context()
	me := currentCitizen(c)
	prefs, err := s.store.Prefs(ctx, me.ID)
	if err != nil {
		return err
	}
	out := notificationSettingsJSON{Mail: s.store.MailEnabled(), Kinds: store.NotificationKinds, Muted: []string{}}
	for _, k := range store.NotificationKinds {
		if slices.Contains(prefs.MutedKinds(), k) {
			out.Muted = append(out.Muted, k)
		}
	}
	if out.Mail {
		if out.Delayed, err = s.store.MailDelayed(ctx, me.ID); err != nil {
			return err
		}
	}
	return c.JSON(http.StatusOK, out)
}

// apiSaveNotificationSettings: {"muted": [kind, …]} switches mail off for
// those kinds and on for the others.
func (s *Server) apiSaveNotificationSettings(c echo.Context) error {
	var req struct {
		Muted *[]string `json:"muted"`
	}
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	if req.Muted == nil {
		return domain.Refuse("muted", "required")
	}
	for _, k := range *req.Muted {
		if !slices.Contains(store.NotificationKinds, k) {
			return fieldError(http.StatusUnprocessableEntity, "muted", "unknown kind "+strconv.Quote(k))
		}
	}
	if err := s.store.SetMuted(c.Request().Context(), currentCitizen(c).ID, *req.Muted); err != nil {
		return err
	}
	return s.apiNotificationSettings(c)
}
