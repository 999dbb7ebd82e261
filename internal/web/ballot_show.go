package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"koinon/internal/domain"
	"koinon/internal/statement"
	"koinon/internal/store"
	"koinon/internal/tally"
)

// ballotShowStore is what the ballot show handlers need of the store.
type ballotShowStore interface {
	DelegationsOf(ctx context.Context, citizenID, communityID int64) ([]store.DelegationList, error)
	RollWeight(ctx context.Context, ballotID, citizenID int64) (int64, error)
	TopicByID(ctx context.Context, id int64) (store.Topic, error)
	VoteOf(ctx context.Context, ballotID, citizenID int64) (store.Vote, error)
	VoterID(ctx context.Context, b store.Ballot, citizenID int64) (string, error)
}

// The ballot page (GET /ballots/:id): the ballot, the caller's vote form,
// receipt and delegation, and the result summary once closed.

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
	Device         *deviceView     // device.js runs here (voters on the roll, with the logs on)
	Secret         *secretPageView // a secret ballot's trustees, voting and tallying (secret_pages.go)
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
		switch v, err := s.store.VoteOf(ctx, b.ID, me.ID); {
		case err == nil:
			stored = &v
			p.MyVote = &castVoteView{Summary: choiceSummary(b.Method, v.Choice, p.Options), Receipt: v.Receipt, Nonce: v.ReceiptNonce, CastAt: v.CastAt}
			if b.Secrecy == domain.SecrecySecret { // the server cannot say what it says
				p.MyVote.Summary = tr("secret.my_vote")
			}
		case !errors.Is(err, store.ErrNotFound):
			return p, err
		}
		if p.OnRoll && p.Pseudonymous {
			if p.Pseudonym, err = s.store.VoterID(ctx, *b, me.ID); err != nil {
				return p, err
			}
		}
		if b.Delegation && p.OnRoll {
			if p.DelegScope, p.Delegates, err = s.effectiveFor(c, *b, me.ID); err != nil {
				return p, err
			}
		}
	}
	if b.State != store.StateDraft && p.OnRoll {
		if p.Device, err = s.deviceFor(c, p.Community); err != nil {
			return p, err
		}
		if p.Device != nil {
			p.Device.Ballot, p.Device.Closed = b.ID, b.State == store.StateClosed
		}
		if p.Device != nil && stored != nil {
			stmts, err := s.store.StatementsOf(ctx, b.CommunityID, me.ID)
			if err != nil {
				return p, err
			}
			p.Device.SignedBy = signedBy(stmts, statement.BallotScope(b.IDString()), statement.Vote, statement.SecretVote)
		}
	}
	if b.Secrecy == domain.SecrecySecret {
		if p.Secret, err = s.secretPage(c, b, p.OnRoll); err != nil {
			return p, err
		}
		stored = nil // the form starts empty: nothing of the choice is kept
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
		if me != nil && stored != nil && b.Secrecy != domain.SecrecySecret { // a secret ballot's receipt is the API's
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
// ballot (the first of store.ScopeKeys she has a list under) and its
// delegates.
func (s *Server) effectiveFor(c echo.Context, b store.Ballot, citizen int64) (string, []string, error) {
	lists, err := s.store.DelegationsOf(c.Request().Context(), citizen, b.CommunityID)
	if err != nil {
		return "", nil, err
	}
	for _, k := range store.ScopeKeys(b) {
		for _, l := range lists {
			if l.ScopeKey == k {
				var hs []string
				for _, d := range l.Delegates {
					hs = append(hs, d.Handle)
				}
				return store.ScopeKind(k), hs, nil
			}
		}
	}
	return "", nil, nil
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
