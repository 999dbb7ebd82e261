package domain

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"koinon/internal/tally"
)

// BallotRequest is what a board asks for when it creates a ballot: the body
// of POST /api/v1/communities/{slug}/ballots, or what the new-ballot form
// fills. Proposal makes a yes/no ballot on one proposal; Proposals (two or
// more) make a ranked schulze ballot among competing proposals plus the
// status quo.
type BallotRequest struct {
	Title       string          `json:"title"`
	Description string          `json:"description"`
	Topic       string          `json:"topic"`
	Proposal    *int64          `json:"proposal"`
	Proposals   []int64         `json:"proposals"`
	Method      string          `json:"method"`
	Options     []OptionRequest `json:"options"`
	Seats       *int            `json:"seats"`
	STVRule     string          `json:"stv_rule"`
	Threshold   string          `json:"threshold"`
	Strict      *bool           `json:"strict"`
	Quorum      string          `json:"quorum"`
	Delegation  *bool           `json:"delegation"`
	Secrecy     string          `json:"secrecy"`
	ClosesAt    string          `json:"closes_at"`
	// Trustees (handles, in order) and TrusteeThreshold are a secret
	// ballot's: how many of them must take part to decrypt its result.
	Trustees         []string `json:"trustees"`
	TrusteeThreshold int      `json:"trustee_threshold"`
	BudgetRequest
}

// BudgetRequest holds the fields of a budget ballot (budget.md) in a
// ballot request. Amounts are whole units of the currency, its smallest
// display unit here (1 is one euro for EUR: no cents).
type BudgetRequest struct {
	Budget            *int64 `json:"budget"`
	Currency          string `json:"currency"`
	BudgetRule        string `json:"budget_rule"`
	Completion        string `json:"completion"`
	ExhaustiveStop    *bool  `json:"exhaustive_stop"`
	CompareWithGreedy *bool  `json:"compare_with_greedy"`
}

// OptionRequest is an option as a {key, label} object or a bare label
// (whose key is derived from it). A project of a budget ballot also has a
// cost and may have a description.
type OptionRequest struct {
	Key         string `json:"key"`
	Label       string `json:"label"`
	Cost        int64  `json:"cost"`
	Description string `json:"description"`
}

// UnmarshalJSON accepts a bare label as well as a {key, label} object.
func (o *OptionRequest) UnmarshalJSON(b []byte) error {
	var label string
	if err := json.Unmarshal(b, &label); err == nil {
		o.Label = label
		return nil
	}
	type plain OptionRequest
	return json.Unmarshal(b, (*plain)(o))
}

// StatusQuoKey is the option of a ballot among competing proposals that
// none of them passes.
const StatusQuoKey = "status-quo"

// ProposalRef is what the ballot rules need to know of a proposal.
type ProposalRef struct {
	ID        int64
	Title     string
	TopicID   *int64
	HasBallot bool
	Cost      int64  // what it asks from a budget ballot; 0: none
	Body      string // its text, whose start describes it as a project
}

// BallotLookup reads what a request refers to; the caller supplies it from
// the store. Each returns an error matching ErrNotFound for what does not
// exist in the community; any other error is passed on unchanged.
type BallotLookup struct {
	Proposals func(ids []int64) ([]ProposalRef, error)
	Topic     func(slug string) (int64, error)
}

// Ballot is a validated ballot, ready to be stored.
type Ballot struct {
	Title, Description string
	TopicID            *int64
	ProposalID         *int64  // the proposal of a yes/no ballot
	Proposals          []int64 // every proposal the ballot decides
	Method             string
	Options            []Option
	Seats              int
	STVRule            string // stv only
	Threshold, Quorum  string // rationals "n/d"
	Strict, Delegation bool
	Secrecy            string // public, pseudonymous or secret
	ClosesAt           time.Time
	// A secret ballot's trustees (handles, numbered 1..n in this order)
	// and how many of them decrypt its result (secret-ballot.md §5).
	Trustees         []string
	TrusteeThreshold int
	// A budget ballot's parameters (budget.md); zero for other methods.
	Budget                            int64
	Currency, BudgetRule, Completion  string
	ExhaustiveStop, CompareWithGreedy bool
}

// Option is an option of a validated ballot: a project of a budget ballot
// also has a cost and may have a description.
type Option struct {
	Key, Label  string
	Cost        int64
	Description string
}

// TallyBallot is the engine's view of b's counting parameters.
func (b Ballot) TallyBallot(thr, quo tally.Rational) tally.Ballot {
	tb := tally.Ballot{Method: b.Method, Seats: b.Seats, STVRule: b.STVRule, Threshold: thr, Strict: b.Strict, Quorum: quo,
		Delegation: b.Delegation}
	if b.Method == "budget" {
		tb.Budget = tally.BudgetRules{Budget: b.Budget, Rule: b.BudgetRule, Completion: b.Completion,
			ExhaustiveStop: b.ExhaustiveStop, CompareWithGreedy: b.CompareWithGreedy}
	}
	for _, o := range b.Options {
		tb.Options = append(tb.Options, tally.Option{Key: o.Key, Label: o.Label, Cost: o.Cost})
	}
	return tb
}

// Problem is a refused request field: the *Invalid the API reports, with
// the message key and arguments a page shows beside the field.
type Problem struct {
	Invalid
	Key  string
	Args []any
}

// Unwrap makes errors.As find the *Invalid.
func (p *Problem) Unwrap() error { return &p.Invalid }

// keyed gives err, when it is an *Invalid, a message key for pages.
func keyed(err error, key string, args ...any) error {
	var inv *Invalid
	if !errors.As(err, &inv) {
		return err
	}
	return &Problem{Invalid: *inv, Key: key, Args: args}
}

// NewBallot validates req into a ballot: the one place of the ballot rules
// (docs/ballots.md). A ballot on one proposal is a yes/no majority ballot
// titled after it; competing proposals make a schulze ballot with a status
// quo; a majority ballot without options gets yes, no and abstain; option
// keys are derived from labels when absent, and neither keys nor labels
// (up to case and spacing) repeat; a budget ballot has a budget, a rule and
// a cost for every project (budget.go), no other ballot has them; the
// counting parameters must satisfy the tally engine; the ballot closes
// after now.
//
// It reports every refused field at once, in field order, joined
// (errors.Join) as *Problem values: the API names the first, the form shows
// each beside its field. A lookup error other than ErrNotFound is returned
// alone, unchanged.
func NewBallot(req BallotRequest, look BallotLookup, now time.Time) (Ballot, error) {
	var b Ballot
	var errs []error
	fail := func(err error, key string, args ...any) {
		if err != nil {
			errs = append(errs, keyed(err, key, args...))
		}
	}
	method := strings.TrimSpace(req.Method)
	optionsKnown := true // false when the proposals that make the options were refused

	switch {
	case req.Proposal != nil && len(req.Proposals) > 0:
		fail(Invalidf("proposals", "give proposal or proposals, not both"), "ballot.error.proposal")
		optionsKnown = false
	case req.Proposal != nil:
		method = cmp.Or(method, "majority")
		if method != "majority" {
			fail(Invalidf("method", "a ballot on one proposal is a yes/no (majority) ballot"), "ballot.error.proposal_one")
		}
		ps, err := look.Proposals([]int64{*req.Proposal})
		switch {
		case errors.Is(err, ErrNotFound):
			fail(Invalidf("proposal", "no such proposal in this community"), "ballot.error.proposal")
		case err != nil:
			return b, err
		case ps[0].HasBallot:
			fail(Invalidf("proposal", "this proposal already has a ballot"), "ballot.error.proposal")
		default:
			p := ps[0]
			req.Title = cmp.Or(strings.TrimSpace(req.Title), p.Title)
			req.Description = cmp.Or(strings.TrimSpace(req.Description), fmt.Sprintf("Proposal #%d: %s", p.ID, p.Title))
			b.ProposalID = &p.ID
			if p.TopicID != nil && req.Topic == "" {
				b.TopicID = p.TopicID
			}
			b.Proposals = []int64{p.ID}
		}
	case len(req.Proposals) > 0:
		method = cmp.Or(method, "schulze")
		optionsKnown = false
		if method != "schulze" && method != "budget" {
			fail(Invalidf("method", "competing proposals are decided by a ranked schulze ballot, or share a budget (method budget)"), "ballot.error.proposals_two")
			break
		}
		if len(req.Proposals) < 2 && method == "schulze" {
			fail(Invalidf("proposals", "name at least two competing proposals (or use proposal for one)"), "ballot.error.proposals_two")
			break
		}
		if err := CheckOptionCount(method, len(req.Proposals)+1); err != nil {
			fail(err, "ballot.error.options", MaxOptionsFor(method))
			break
		}
		ps, err := look.Proposals(req.Proposals)
		if errors.Is(err, ErrNotFound) {
			fail(Invalidf("proposals", "no such proposal in this community"), "ballot.error.proposal")
			break
		}
		if err != nil {
			return b, err
		}
		req.Options = nil
		for _, p := range ps {
			if p.HasBallot {
				fail(Invalidf("proposals", "proposal %d already has a ballot", p.ID), "ballot.error.proposal")
				break
			}
			o, err := proposalOption(p, method)
			if err != nil {
				fail(err, "ballot.error.proposal_cost", p.ID)
				break
			}
			req.Options = append(req.Options, o)
			b.Proposals = append(b.Proposals, p.ID)
		}
		if method == "schulze" {
			req.Options = append(req.Options, OptionRequest{Key: StatusQuoKey, Label: "Status quo (none of these proposals)"})
		}
		req.Seats = nil
		optionsKnown = len(errs) == 0
	}

	req.Title = strings.TrimSpace(req.Title)
	fail(CheckLine("title", req.Title, true, MaxTitle), "ballot.error.title", MaxTitle)
	fail(CheckText("description", req.Description, false, MaxBallotText), "ballot.error.description", MaxBallotText)
	b.Title, b.Description = req.Title, req.Description
	if req.Topic != "" {
		id, err := look.Topic(req.Topic)
		switch {
		case errors.Is(err, ErrNotFound):
			fail(Invalidf("topic", "no topic %s in this community", Quote(req.Topic)), "ballot.error.topic")
		case err != nil:
			return b, err
		default:
			b.TopicID = &id
		}
	}

	counting := len(errs) // the counting rules are checked together below
	switch {
	case method == "":
		fail(Invalidf("method", "is required: one of %s", strings.Join(tally.Methods, ", ")), "ballot.error.method")
	case !slices.Contains(tally.Methods, method):
		fail(Invalidf("method", "must be one of %s, not %s", strings.Join(tally.Methods, ", "), Quote(method)), "ballot.error.method")
	case optionsKnown:
		b.Method = method
		b.Options = ballotOptions(method, req.Options, fail)
	}
	b.Seats = 1
	if req.Seats != nil {
		b.Seats = *req.Seats
	}
	fail(CheckSeats(b.Seats), "ballot.error.seats", MaxSeats)
	if method == "stv" {
		b.STVRule = cmp.Or(req.STVRule, "meek")
	} else if req.STVRule != "" {
		fail(Invalidf("stv_rule", "only stv ballots have a rule"), "ballot.error.stv_rule")
	}
	b.Threshold = cmp.Or(strings.TrimSpace(req.Threshold), "1/2")
	b.Quorum = cmp.Or(strings.TrimSpace(req.Quorum), "0/1")
	thr, err := tally.ParseRational(b.Threshold)
	if err != nil {
		fail(Invalidf("threshold", "must be a fraction n/d, e.g. 1/2 or 2/3"), "ballot.error.threshold")
	}
	quo, err := tally.ParseRational(b.Quorum)
	if err != nil {
		fail(Invalidf("quorum", "must be a fraction n/d of the eligible weight, e.g. 0/1 or 1/4"), "ballot.error.quorum")
	}
	b.Strict = req.Strict == nil || *req.Strict
	b.Delegation = req.Delegation == nil || *req.Delegation
	if b.Method != "" {
		if err := applyBudget(&b, req.BudgetRequest); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) == counting && b.Method != "" {
		if err := tally.ValidateBallot(b.TallyBallot(thr, quo)); err != nil {
			key, args := tallyKey(err, method)
			fail(TallyInvalid(err), key, args...)
		}
	}
	b.Secrecy = cmp.Or(req.Secrecy, "public")
	switch b.Secrecy {
	case "public", "pseudonymous":
		if len(req.Trustees) > 0 || req.TrusteeThreshold != 0 {
			fail(Invalidf("trustees", "only a secret ballot has trustees"), "ballot.error.trustees_not_secret")
		}
	case SecrecySecret:
		secretBallot(&b, method, req, fail)
	default:
		fail(Invalidf("secrecy", "must be public, pseudonymous or secret"), "ballot.error.secrecy")
	}
	if req.ClosesAt == "" {
		fail(Invalidf("closes_at", "is required (RFC 3339, e.g. 2030-01-31T18:00:00Z)"), "ballot.error.closes_at_missing")
	} else if closes, err := time.Parse(time.RFC3339, req.ClosesAt); err != nil {
		fail(Invalidf("closes_at", "must be a time in RFC 3339, e.g. 2030-01-31T18:00:00Z"), "ballot.error.closes_at_format")
	} else if !closes.After(now) {
		fail(Invalidf("closes_at", "must be in the future"), "ballot.error.closes_at_past")
	} else {
		b.ClosesAt = closes.UTC().Truncate(time.Second)
	}
	return b, errors.Join(errs...)
}

// ballotOptions checks a request's options (a majority ballot without
// options gets yes, no and abstain) and reports the first refused one.
func ballotOptions(method string, req []OptionRequest, fail func(error, string, ...any)) []Option {
	if method == "majority" && len(req) == 0 {
		req = []OptionRequest{{Key: "yes", Label: "Yes"}, {Key: "no", Label: "No"}, {Key: "abstain", Label: "Abstain"}}
	}
	if err := CheckOptionCount(method, len(req)); err != nil {
		fail(err, "ballot.error.options", MaxOptionsFor(method))
		return nil
	}
	var opts []Option
	seen, labels := map[string]bool{}, map[string]bool{}
	for i, o := range req {
		o.Label = strings.TrimSpace(o.Label)
		o.Key = strings.TrimSpace(o.Key)
		if o.Key == "" && o.Label != "" {
			o.Key = UniqueOptionKey(o.Label, seen)
		}
		if o.Label == "" {
			o.Label = o.Key
		}
		field := fmt.Sprintf("options[%d]", i)
		if err := cmp.Or(CheckOptionKey(field+".key", o.Key), CheckLine(field+".label", o.Label, true, MaxOptionLabel)); err != nil {
			fail(err, "ballot.error.option_line", MaxOptionLabel)
			return nil
		}
		if seen[o.Key] {
			fail(Invalidf(field+".key", "option %s is listed twice", Quote(o.Key)), "ballot.error.option_twice", Quote(o.Label))
			return nil
		}
		// Labels equal but for case and spacing are one option listed
		// twice; other labels that spell the same key get "-2", "-3", ….
		folded := strings.ToLower(strings.Join(strings.Fields(o.Label), " "))
		if labels[folded] {
			fail(Invalidf(field+".label", "option %s is listed twice", Quote(o.Label)), "ballot.error.option_twice", Quote(o.Label))
			return nil
		}
		seen[o.Key], labels[folded] = true, true
		opts = append(opts, Option{Key: o.Key, Label: o.Label, Cost: o.Cost, Description: strings.TrimSpace(o.Description)})
	}
	return opts
}

// TallyInvalid turns a tally validation error into an *Invalid on the
// request field it concerns.
func TallyInvalid(err error) error {
	var fe *tally.FieldError
	if errors.As(err, &fe) {
		return &Invalid{Field: strings.TrimPrefix(fe.Field, "ballot."), Message: fe.Message, Rule: fe.Rule, Args: fe.Args}
	}
	return err
}

// tallyKey is the form's message for a tally validation error: the rule
// of the field it concerns.
func tallyKey(err error, method string) (string, []any) {
	var fe *tally.FieldError
	if !errors.As(err, &fe) {
		return "ballot.error.invalid", nil
	}
	field, _, _ := strings.Cut(strings.TrimPrefix(fe.Field, "ballot."), "[")
	switch field {
	case "seats":
		return "ballot.error.seats", []any{MaxSeats}
	case "options":
		return "ballot.error.options", []any{MaxOptionsFor(method)}
	case "threshold", "quorum", "stv_rule", "method":
		return "ballot.error." + field, nil
	}
	return "ballot.error.invalid", nil
}

// Ballot states: a draft is being prepared, an open ballot takes votes
// until it closes, a closed one has its result and proof.
const (
	StateDraft  = "draft"
	StateOpen   = "open"
	StateClosed = "closed"
)

// CanVote is the one rule of when a vote may be cast or withdrawn: the
// ballot is open and its closing time (closesAt) is after now. Otherwise it
// returns a *StateError with code ballot_not_open or ballot_closed.
func CanVote(state string, closesAt, now time.Time) error {
	switch {
	case state == StateDraft:
		return Stated("ballot_not_open", "the ballot is not open yet")
	case state == StateClosed || state == StateTallying:
		return Stated("ballot_closed", "the ballot is closed")
	case !closesAt.After(now):
		return Stated("ballot_closed", "voting has ended; the ballot is being closed")
	}
	return nil
}
