package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // the form's time zones, also where the system has none

	"github.com/labstack/echo/v4"

	"koinon/internal/domain"
	"koinon/internal/store"
	"koinon/internal/tally"
)

// ---- list ----

type ballotsPage struct {
	Page
	Community *store.Community
	Board     bool
	Ballots   []store.Ballot
}

func (s *Server) listBallots(c echo.Context) error {
	cm := routeCommunityOf(c)
	board := isBoard(c)
	bs, err := s.store.ListBallots(c.Request().Context(), store.BallotFilter{CommunityID: cm.ID, HideDrafts: !board, Limit: 200})
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "ballots", ballotsPage{Page: s.page(c, "ballot.list.title"), Community: cm,
		Board: board, Ballots: bs})
}

// ---- new ----

// ballotForm is the new-ballot form as typed: every value is kept when the
// form is shown again with its errors.
type ballotForm struct {
	Title, Description, Topic, Method, Options, Seats, STVRule string
	Threshold, Quorum, Secrecy, ClosesAt, TZ                   string
	Strict, Delegation                                         bool
	Proposals                                                  []int64
	budgetForm
}

// methodFields names the form fields that each method uses besides those
// of every ballot. The page hides the others (static/js/ballot_new.js) and
// the server ignores them, so a stray value cannot block a ballot.
var methodFields = map[string][]string{
	"majority":  {"proposals", "threshold"},
	"plurality": {"options", "seats"},
	"approval":  {"options", "seats"},
	"irv":       {"options"},
	"schulze":   {"options", "seats", "proposals"},
	"stv":       {"options", "seats", "stv_rule"},
	"budget":    {"options", "proposals", "budget"},
}

func methodUses(method, field string) bool { return slices.Contains(methodFields[method], field) }

// closesLayouts are what an <input type="datetime-local"> sends.
var closesLayouts = []string{"2006-01-02T15:04", "2006-01-02T15:04:05"}

type proposalChoice struct {
	store.ProposalSummary
	Checked bool
}

type ballotNewPage struct {
	Page
	Community *store.Community
	Topics    []store.Topic
	Proposals []proposalChoice
	Methods   []string
	Form      ballotForm
	Errors    fieldErrors
}

// UsedBy lists the methods that use a form field, for data-methods.
func (p ballotNewPage) UsedBy(field string) string {
	var ms []string
	for _, m := range p.Methods {
		if methodUses(m, field) {
			ms = append(ms, m)
		}
	}
	return strings.Join(ms, " ")
}

func (s *Server) ballotNewPage(c echo.Context, f ballotForm) (ballotNewPage, error) {
	ctx := c.Request().Context()
	cm := routeCommunityOf(c)
	p := ballotNewPage{Page: s.page(c, "ballot.new.title"), Community: cm, Methods: tally.Methods, Form: f, Errors: fieldErrors{}}
	var err error
	if p.Topics, err = s.store.ScopeTopics(ctx, cm.ID); err != nil {
		return p, err
	}
	ps, _, err := s.store.ListProposals(ctx, cm.ID, 100, 0)
	for _, x := range ps {
		if x.BallotID == nil {
			p.Proposals = append(p.Proposals, proposalChoice{x, slices.Contains(f.Proposals, x.ID)})
		}
	}
	return p, err
}

func (s *Server) newBallot(c echo.Context) error {
	f := ballotForm{Method: "majority", Seats: "1", Threshold: "1/2", Quorum: "0/1", Secrecy: "public", Strict: true, Delegation: true,
		ClosesAt: s.now().Add(7 * 24 * time.Hour).UTC().Format(closesLayouts[0]), budgetForm: newBudgetForm()}
	if id, err := strconv.ParseInt(c.QueryParam("proposal"), 10, 64); err == nil {
		f.Proposals = []int64{id}
	}
	p, err := s.ballotNewPage(c, f)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "ballot_new", p)
}

// readBallotForm reads the form as typed.
func readBallotForm(c echo.Context) (ballotForm, error) {
	f := ballotForm{Title: c.FormValue("title"), Description: c.FormValue("description"), Topic: c.FormValue("topic"),
		Method: c.FormValue("method"), Options: c.FormValue("options"), Seats: c.FormValue("seats"), STVRule: c.FormValue("stv_rule"),
		Threshold: c.FormValue("threshold"), Quorum: c.FormValue("quorum"), Secrecy: c.FormValue("secrecy"),
		ClosesAt: c.FormValue("closes_at"), TZ: c.FormValue("tz"), Strict: c.FormValue("strict") == "1", Delegation: c.FormValue("delegation") == "1"}
	form, err := formParams(c)
	if err != nil {
		return f, err
	}
	for _, v := range form["proposal"] {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil {
			f.Proposals = append(f.Proposals, id)
		}
	}
	f.budgetForm = readBudgetForm(c)
	return f, nil
}

// request turns the form into an API request, using only the fields of
// the chosen method. What cannot be read (seats, the closing time and its
// zone) is reported in errs, translated by tr.
func (f ballotForm) request(tr func(string, ...any) string, errs fieldErrors) ballotRequest {
	m := f.Method
	req := ballotRequest{Title: f.Title, Description: f.Description, Topic: f.Topic, Method: m,
		Quorum: f.Quorum, Secrecy: f.Secrecy, Delegation: &f.Delegation}
	if methodUses(m, "threshold") {
		req.Threshold, req.Strict = f.Threshold, &f.Strict
	}
	if methodUses(m, "stv_rule") {
		req.STVRule = f.STVRule
	}
	if seats := strings.TrimSpace(f.Seats); methodUses(m, "seats") && seats != "" {
		if n, err := strconv.Atoi(seats); err == nil {
			req.Seats = &n
		} else {
			errs["seats"] = tr("ballot.error.seats", domain.MaxSeats)
		}
	}
	if methodUses(m, "budget") {
		req.BudgetRequest = f.budgetForm.request()
	}
	if methodUses(m, "options") {
		for _, line := range strings.Split(f.Options, "\n") {
			line = strings.TrimSpace(line)
			if line == "" {
				continue
			}
			if m == "budget" {
				req.Options = append(req.Options, projectLine(line))
			} else if k, l, ok := strings.Cut(line, ":"); ok && domain.CheckOptionKey("k", strings.TrimSpace(k)) == nil {
				req.Options = append(req.Options, optionRequest{Key: strings.TrimSpace(k), Label: strings.TrimSpace(l)})
			} else {
				req.Options = append(req.Options, optionRequest{Label: line})
			}
		}
	}
	if methodUses(m, "proposals") {
		switch n := len(f.Proposals); {
		case n == 1 && m == "majority":
			req.Proposal, req.Options = &f.Proposals[0], nil
		case n > 1 && m == "schulze", n > 0 && m == "budget":
			req.Proposals, req.Options = f.Proposals, nil
		case n > 1:
			errs["proposals"] = tr("ballot.error.proposal_one")
		case n == 1:
			errs["proposals"] = tr("ballot.error.proposals_two")
		}
	}
	req.ClosesAt = f.closesAt(tr, errs)
	return req
}

// closesAt reads the datetime-local value in the zone the page states:
// the browser's (tz, filled by script) or else UTC, as RFC 3339.
func (f ballotForm) closesAt(tr func(string, ...any) string, errs fieldErrors) string {
	v := strings.TrimSpace(f.ClosesAt)
	if v == "" {
		return "" // buildBallot names the missing field
	}
	loc := time.UTC
	if f.TZ != "" {
		l, err := time.LoadLocation(f.TZ)
		if err != nil || f.TZ == "Local" {
			errs["closes_at"] = tr("ballot.error.closes_at_zone", domain.Quote(f.TZ))
			return ""
		}
		loc = l
	}
	for _, layout := range closesLayouts {
		if t, err := time.ParseInLocation(layout, v, loc); err == nil {
			return t.UTC().Format(time.RFC3339)
		}
	}
	errs["closes_at"] = tr("ballot.error.closes_at_format")
	return ""
}

// createBallot makes a draft from the form, or shows the form again with
// every refused field's reason beside it and every value as typed (422).
func (s *Server) createBallot(c echo.Context) error {
	ctx := c.Request().Context()
	tr := s.locales.translator(s.lang(c))
	f, err := readBallotForm(c)
	if err != nil {
		return err
	}
	errs := fieldErrors{}
	req := f.request(tr, errs)
	cm := routeCommunityOf(c)
	b, opts, proposals, err := s.buildBallot(ctx, cm, currentCitizen(c).ID, req)
	if err == nil && len(errs) == 0 {
		if err = s.store.CreateBallot(ctx, &b, opts, proposals); err == nil {
			return redirect(c, "/ballots/"+b.IDString())
		}
	}
	if !ballotFormErrors(err, tr, errs) {
		return err
	}
	p, perr := s.ballotNewPage(c, f)
	if perr != nil {
		return perr
	}
	p.Errors = errs
	return s.render(c, http.StatusUnprocessableEntity, "ballot_new", p)
}

// ballotFormFields are the form fields that show an error beside them;
// errors on other fields are shown above the form (key "").
var ballotFormFields = []string{"title", "description", "topic", "method", "options", "proposals", "seats", "stv_rule",
	"threshold", "quorum", "secrecy", "closes_at", "budget", "currency", "budget_rule", "completion"}

// ballotFormErrors adds each field error in err (buildBallot joins them)
// to errs, translated, under its form field, after those already there;
// it reports false when err holds an error that is not a field's.
func ballotFormErrors(err error, tr func(string, ...any) string, errs fieldErrors) bool {
	list := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	}
	for _, e := range list {
		var fp *domain.Problem
		var inv *domain.Invalid
		var field, msg string
		switch {
		case e == nil:
			continue
		case errors.As(e, &fp):
			field, msg = fp.Field, tr(fp.Key, fp.Args...)
		case errors.As(e, &inv):
			field, msg = inv.Field, tr("ballot.error.invalid")
		default:
			return false
		}
		field, _, _ = strings.Cut(field, "[")
		if field == "proposal" {
			field = "proposals"
		}
		if !slices.Contains(ballotFormFields, field) {
			field = ""
		}
		if _, dup := errs[field]; !dup {
			errs[field] = msg
		}
	}
	return true
}

// ---- show ----

type optionRow struct {
	Key, Label string
	Cost       int64  // budget: the project's cost
	Details    string // budget: the project's description
	Checked    bool
	Rank       string
	Error      string // why the typed rank was refused
	First      bool
	Last       bool
}

type voteFormView struct {
	Method   string
	Rows     []optionRow // majority, plurality, approval, schulze: every option
	Ranked   []optionRow // irv, stv: the current ranking
	Unranked []optionRow // irv, stv: options not ranked yet
	Draft    bool        // the ranking shown is an unsaved draft
}

type castVoteView struct {
	Summary string
	Receipt string
	Nonce   string // opens Receipt; shown only to its voter
	CastAt  time.Time
}

type ballotTotal struct {
	Label  string
	Weight int64
	Share  string // of the counted (participating) weight, as resShare writes it
	Winner bool
}

type resultView struct {
	Winners   []string
	Passed    bool
	QuorumMet bool
	Totals    []ballotTotal
	Ranking   [][]string
	Rounds    int
	Weights   tally.Weights
}

type receiptView struct {
	Voter     string
	LeafIndex int
	TreeSize  int
	VotesRoot string
}

type ballotPage struct {
	Page
	Community      *store.Community
	Ballot         store.Ballot
	TopicName      string
	Options        []store.BallotOption
	Board          bool
	TimeLeft       string
	Live           *tally.Weights
	Voters         int64
	OnRoll         bool
	Weight         int64
	MyVote         *castVoteView
	Flow           *flowView
	DelegScope     string
	Delegates      []string
	Form           voteFormView
	FormError      string // why the vote form was refused, beside its fields
	AbstainAllowed bool   // the form offers an explicit empty ballot
	Result         *resultView
	Receipt        *receiptView
	ReceiptError   string
	Pseudonymous   bool
	Pseudonym      string
	ProofName      string
}

func (s *Server) showBallot(c echo.Context) error {
	p, err := s.ballotPage(c, nil)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "ballot_show", p)
}

// majorityWords labels a majority ballot's options yes, no and abstain in
// the reader's language: the tally reads them by key, so their stored
// labels are the API's English words.
func majorityWords(opts []store.BallotOption, tr func(string, ...any) string) []store.BallotOption {
	out := slices.Clone(opts)
	for i, o := range out {
		switch o.Key {
		case "yes", "no", "abstain":
			out[i].Label = tr("results.majority." + o.Key)
		}
	}
	return out
}

// ballotPage fills the ballot page; draft, when not nil, is a ranking
// being edited (irv, stv) to show instead of the stored vote.
func (s *Server) ballotPage(c echo.Context, draft []string) (ballotPage, error) {
	ctx := c.Request().Context()
	b := routeBallot(c)
	m := routeMembership(c)
	p := ballotPage{Page: s.page(c, ""), Community: routeCommunityOf(c), Ballot: *b, Board: m != nil && m.Role == domain.RoleBoard,
		Pseudonymous: b.Secrecy == "pseudonymous", ProofName: proofFileName(b)}
	p.Title = b.Title
	var err error
	if p.Options, err = s.store.BallotOptions(ctx, b.ID); err != nil {
		return p, err
	}
	if b.TopicID != nil {
		t, err := s.store.TopicByID(ctx, *b.TopicID)
		if err != nil {
			return p, err
		}
		p.TopicName = t.Name
	}
	tr := s.locales.translator(s.lang(c))
	if b.Method == "majority" {
		p.Options = majorityWords(p.Options, tr)
	}
	me := currentCitizen(c)
	if b.State == store.StateOpen {
		p.TimeLeft = timeLeft(tr, b.ClosesAt.Sub(s.now()))
		lb, err := s.resolveLive(ctx, *b)
		if err != nil {
			return p, err
		}
		// Live weights only on a public ballot: on a pseudonymous one their
		// steps would tell which member just voted directly.
		if w := lb.res.Weights; b.Secrecy == "public" {
			p.Live = &w
		}
		p.Voters = int64(len(lb.entries))
		if me != nil {
			f := lb.flow(me.Handle)
			if f.OnRoll {
				p.Flow = &f
			}
		}
	}
	var stored *store.Vote
	if me != nil && b.State != store.StateDraft {
		if w, err := s.store.RollWeight(ctx, b.ID, me.ID); err == nil {
			p.OnRoll, p.Weight = true, w
		}
		if v, err := s.store.VoteOf(ctx, b.ID, me.ID); err == nil {
			stored = &v
			p.MyVote = &castVoteView{Summary: choiceSummary(b.Method, v.Choice, p.Options), Receipt: v.Receipt, Nonce: v.ReceiptNonce, CastAt: v.CastAt}
		}
		if p.OnRoll && p.Pseudonymous {
			if p.Pseudonym, err = s.store.VoterID(ctx, *b, me.ID); err != nil {
				return p, err
			}
		}
		if b.Delegation && p.OnRoll {
			p.DelegScope, p.Delegates = s.effectiveFor(c, *b, me.ID)
		}
	}
	p.Form = voteForm(b.Method, p.Options, stored, draft)
	p.AbstainAllowed = abstainAllowed(b.Method)
	if b.State == store.StateClosed {
		sum, err := s.resultSummaryJSON(ctx, b)
		if err != nil {
			return p, err
		}
		if p.Result, err = resultSummary(b.Method, sum, p.Options); err != nil {
			return p, fmt.Errorf("ballot %d: %w", b.ID, err)
		}
		if me != nil && stored != nil {
			if rc, voter, err := s.receiptFor(c, b); err == nil {
				var r struct {
					LeafIndex int    `json:"leaf_index"`
					TreeSize  int    `json:"tree_size"`
					VotesRoot string `json:"votes_root"`
				}
				json.Unmarshal(rc, &r)
				p.Receipt = &receiptView{Voter: voter, LeafIndex: r.LeafIndex, TreeSize: r.TreeSize, VotesRoot: r.VotesRoot}
			} else {
				p.ReceiptError = s.locales.errorText(s.lang(c), err)
			}
		}
	}
	return p, nil
}

// effectiveFor names the scope whose list applies to the citizen on this
// ballot and its delegates.
func (s *Server) effectiveFor(c echo.Context, b store.Ballot, citizen int64) (string, []string) {
	lists, err := s.store.DelegationsOf(c.Request().Context(), citizen, b.CommunityID)
	if err != nil {
		return "", nil
	}
	keys := []string{"b:" + b.IDString()}
	if b.TopicID != nil {
		keys = append(keys, "t:"+strconv.FormatInt(*b.TopicID, 10))
	}
	keys = append(keys, "c")
	for _, k := range keys {
		for _, l := range lists {
			if l.ScopeKey == k {
				var hs []string
				for _, d := range l.Delegates {
					hs = append(hs, d.Handle)
				}
				return store.ScopeKind(k), hs
			}
		}
	}
	return "", nil
}

func timeLeft(tr func(string, ...any) string, d time.Duration) string {
	if d <= 0 {
		return tr("ballot.left.none")
	}
	days, hours, mins := int(d.Hours())/24, int(d.Hours())%24, int(d.Minutes())%60
	switch {
	case days > 0:
		return tr("ballot.left.dh", tr("duration.days", days), tr("duration.hours", hours))
	case hours > 0:
		return tr("ballot.left.hm", tr("duration.hours", hours), tr("duration.minutes", mins))
	}
	return tr("ballot.left.m", tr("duration.minutes", max(mins, 1)))
}

// choiceSummary writes a stored choice with option labels.
func choiceSummary(method, choice string, opts []store.BallotOption) string {
	label := map[string]string{}
	for _, o := range opts {
		label[o.Key] = o.Label
	}
	c, err := tally.DecodeChoice(method, []byte(choice))
	if err != nil {
		return choice
	}
	names := func(keys []string) []string {
		out := make([]string, len(keys))
		for i, k := range keys {
			out[i] = label[k]
		}
		return out
	}
	switch method {
	case "majority", "plurality":
		return label[c.Word]
	case "approval", "budget":
		if len(c.Keys) == 0 {
			return "—"
		}
		return strings.Join(names(c.Keys), ", ")
	case "irv", "stv":
		if len(c.Keys) == 0 {
			return "—"
		}
		return strings.Join(names(c.Keys), " > ")
	case "schulze":
		var groups []string
		for _, g := range c.Groups {
			groups = append(groups, strings.Join(names(g), " = "))
		}
		return strings.Join(groups, " > ")
	}
	return choice
}

// voteForm prepares the vote form for the method, filled from the stored
// vote (or the draft ranking being edited).
func voteForm(method string, opts []store.BallotOption, stored *store.Vote, draft []string) voteFormView {
	f := voteFormView{Method: method}
	var c tally.Choice
	if stored != nil {
		c, _ = tally.DecodeChoice(method, []byte(stored.Choice))
	}
	switch method {
	case "irv", "stv":
		order := c.Keys
		if draft != nil {
			order, f.Draft = draft, true
		}
		byKey := map[string]store.BallotOption{}
		for _, o := range opts {
			byKey[o.Key] = o
		}
		for _, k := range order {
			if o, ok := byKey[k]; ok {
				f.Ranked = append(f.Ranked, optionRow{Key: k, Label: o.Label, Rank: strconv.Itoa(len(f.Ranked) + 1)})
				delete(byKey, k)
			}
		}
		if n := len(f.Ranked); n > 0 {
			f.Ranked[0].First, f.Ranked[n-1].Last = true, true
		}
		for _, o := range opts {
			if _, ok := byKey[o.Key]; ok {
				f.Unranked = append(f.Unranked, optionRow{Key: o.Key, Label: o.Label})
			}
		}
	default:
		rank := map[string]int{}
		for i, g := range c.Groups {
			for _, k := range g {
				rank[k] = i + 1
			}
		}
		for _, o := range opts {
			r := optionRow{Key: o.Key, Label: o.Label, Cost: o.Cost, Details: o.Description}
			switch method {
			case "majority", "plurality":
				r.Checked = c.Word == o.Key
			case "approval", "budget":
				r.Checked = slices.Contains(c.Keys, o.Key)
			case "schulze":
				if n := rank[o.Key]; n > 0 {
					r.Rank = strconv.Itoa(n)
				}
			}
			f.Rows = append(f.Rows, r)
		}
	}
	return f
}

// resultSummary is the ballot page's view of a closed ballot's result,
// derived from the one result model (newResultData) of the stored summary.
func resultSummary(method string, summary []byte, opts []store.BallotOption) (*resultView, error) {
	d, err := newResultData(method, opts, summary)
	if err != nil {
		return nil, err
	}
	r := &d.Result
	v := &resultView{Passed: r.Passed != nil && *r.Passed, QuorumMet: r.QuorumMet, Weights: r.Weights,
		Rounds: len(r.IRVRounds) + len(r.STVRounds)}
	for _, w := range r.Winners {
		v.Winners = append(v.Winners, d.label[w])
	}
	if r.Totals != nil {
		for _, o := range totalsOrder(opts, func(o store.BallotOption) string { return o.Key }, r.Totals, r.Winners) {
			v.Totals = append(v.Totals, ballotTotal{Label: o.Label, Weight: r.Totals[o.Key],
				Share: resShare(r.Totals[o.Key], r.Weights.Participating), Winner: slices.Contains(r.Winners, o.Key)})
		}
	}
	for _, g := range r.Ranking {
		var names []string
		for _, k := range g {
			names = append(names, d.label[k])
		}
		v.Ranking = append(v.Ranking, names)
	}
	return v, nil
}

// ---- board actions ----

func (s *Server) openBallot(c echo.Context) error {
	b := routeBallot(c)
	_, err := s.store.OpenBallot(c.Request().Context(), b.ID)
	if err := s.flashStateError(c, err); err != nil {
		return err
	}
	return redirect(c, "/ballots/"+b.IDString())
}

// ballotClosePage is the confirmation step before closing: what closing
// does, the participation that may be shown before the close
// (docs/ballots.md: weights only on public ballots) and the time left.
type ballotClosePage struct {
	Page
	Ballot       store.Ballot
	Community    *store.Community
	TimeLeft     string
	Part         store.Participation
	Live         *tally.Weights // public ballots only
	Pseudonymous bool
}

// confirmCloseBallot asks the board to confirm closing an open ballot;
// the page's form posts to closeBallot. Other states go to the ballot.
func (s *Server) confirmCloseBallot(c echo.Context) error {
	ctx := c.Request().Context()
	b := routeBallot(c)
	if b.State != store.StateOpen {
		return redirect(c, "/ballots/"+b.IDString())
	}
	p := ballotClosePage{Page: s.page(c, "ballot.close.title"), Ballot: *b, Community: routeCommunityOf(c),
		TimeLeft: timeLeft(s.locales.translator(s.lang(c)), b.ClosesAt.Sub(s.now())), Pseudonymous: b.Secrecy != "public"}
	var err error
	if p.Part, err = s.store.BallotParticipation(ctx, b.ID); err != nil {
		return err
	}
	if !p.Pseudonymous {
		lb, err := s.resolveLive(ctx, *b)
		if err != nil {
			return err
		}
		p.Live = &lb.res.Weights
	}
	return s.render(c, http.StatusOK, "ballot_close", p)
}

// closeBallot closes the ballot when the confirmation page's form says
// so (confirm=1); any other post is sent to that page first.
func (s *Server) closeBallot(c echo.Context) error {
	b := routeBallot(c)
	if c.FormValue("confirm") != "1" {
		return redirect(c, "/ballots/"+b.IDString()+"/close")
	}
	_, err := s.closer().Close(c.Request().Context(), b.ID)
	if err := s.flashStateError(c, err); err != nil {
		return err
	}
	return redirect(c, "/ballots/"+b.IDString())
}

// flashStateError shows a refused action as a flash on the next page and
// returns any other error.
func (s *Server) flashStateError(c echo.Context, err error) error {
	var inv *domain.Invalid
	var st *domain.StateError
	switch {
	case errors.As(err, &inv), errors.As(err, &st):
		s.flash(c, "!"+s.locales.errorText(s.lang(c), err))
	case err != nil:
		return err
	}
	return nil
}

// ---- voting from the page ----

// castBallot reads the page's vote form. For ranked methods the buttons
// "up", "down", "remove" and "add" (value = option key) edit the draft
// ranking server-side and show the page again; "cast" saves the vote and
// "abstain" an empty ballot (readVoteForm). A refused form is shown again
// as typed, with the reasons beside its fields (422).
func (s *Server) castBallot(c echo.Context) error {
	b := routeBallot(c)
	form, err := formParams(c)
	if err != nil {
		return err
	}
	if b.Method == "irv" || b.Method == "stv" {
		if edited, ok := editRanking(form["rank"], form); ok {
			p, err := s.ballotPage(c, edited)
			if err != nil {
				return err
			}
			return s.render(c, http.StatusOK, "ballot_show", p)
		}
	}
	opts, err := s.options.get(c.Request().Context(), s.store, b)
	if err != nil {
		return err
	}
	tr := s.locales.translator(s.lang(c))
	raw, errs := readVoteForm(b.Method, opts, form, tr)
	if errs == nil {
		_, err = s.castVote(c, b, raw)
		var inv *domain.Invalid
		if errors.As(err, &inv) {
			errs = fieldErrors{"choice": s.locales.errorText(s.lang(c), err)}
		}
	}
	if errs != nil {
		return s.refuseVote(c, form, errs)
	}
	if err := s.flashStateError(c, err); err != nil {
		return err
	}
	if err == nil {
		saved := "vote.saved"
		if form.Get("abstain") == "1" {
			saved = "vote.saved_empty"
		}
		s.flash(c, tr(saved))
	}
	return redirect(c, "/ballots/"+b.IDString()+"#vote")
}

// refuseVote shows the ballot page again with the vote form as typed and
// errs beside its fields.
func (s *Server) refuseVote(c echo.Context, form url.Values, errs fieldErrors) error {
	var draft []string
	if m := routeBallot(c).Method; m == "irv" || m == "stv" {
		draft = append([]string{}, form["rank"]...)
	}
	p, err := s.ballotPage(c, draft)
	if err != nil {
		return err
	}
	keepTyped(&p.Form, form, errs)
	p.FormError = errs["choice"]
	return s.render(c, http.StatusUnprocessableEntity, "ballot_show", p)
}

// editRanking applies one up/down/remove/add button to the ranking.
func editRanking(order []string, form map[string][]string) ([]string, bool) {
	order = slices.Clone(order)
	one := func(name string) string {
		if v := form[name]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	if k := one("up"); k != "" {
		if i := slices.Index(order, k); i > 0 {
			order[i-1], order[i] = order[i], order[i-1]
		}
		return order, true
	}
	if k := one("down"); k != "" {
		if i := slices.Index(order, k); i >= 0 && i < len(order)-1 {
			order[i+1], order[i] = order[i], order[i+1]
		}
		return order, true
	}
	if k := one("remove"); k != "" {
		return slices.DeleteFunc(order, func(x string) bool { return x == k }), true
	}
	if k := one("add"); k != "" {
		if !slices.Contains(order, k) {
			order = append(order, k)
		}
		return order, true
	}
	return order, false
}

func (s *Server) withdrawBallot(c echo.Context) error {
	b := routeBallot(c)
	err := s.withdrawVote(c, b)
	if errors.Is(err, store.ErrNotFound) {
		err = nil
	}
	if err := s.flashStateError(c, err); err != nil {
		return err
	}
	if err == nil {
		s.flash(c, s.locales.translator(s.lang(c))("vote.withdrawn"))
	}
	return redirect(c, "/ballots/"+b.IDString()+"#vote")
}
