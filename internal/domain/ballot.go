package domain

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
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
}

// OptionRequest is an option as a {key, label} object or a bare label
// (whose key is derived from it).
type OptionRequest struct {
	Key   string `json:"key"`
	Label string `json:"label"`
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
	Options            []tally.Option
	Seats              int
	STVRule            string // stv only
	Threshold, Quorum  string // rationals "n/d"
	Strict, Delegation bool
	Secrecy            string // public or pseudonymous
	ClosesAt           time.Time
}

// NewBallot validates req into a ballot: the one place of the ballot rules
// (docs/ballots.md). A ballot on one proposal is a yes/no majority ballot
// titled after it; competing proposals make a schulze ballot with a status
// quo; a majority ballot without options gets yes, no and abstain; option
// keys are derived from labels when absent, and neither keys nor labels
// (up to case and spacing) repeat; the counting parameters must satisfy the
// tally engine; the ballot closes in the future (after now). Errors are
// *Invalid naming the request field.
func NewBallot(req BallotRequest, look BallotLookup, now time.Time) (Ballot, error) {
	var b Ballot
	method := strings.TrimSpace(req.Method)
	switch {
	case req.Proposal != nil && len(req.Proposals) > 0:
		return b, Invalidf("proposals", "give proposal or proposals, not both")
	case req.Proposal != nil:
		ps, err := lookProposals(look, "proposal", []int64{*req.Proposal})
		if err != nil {
			return b, err
		}
		p := ps[0]
		if p.HasBallot {
			return b, Invalidf("proposal", "this proposal already has a ballot")
		}
		method = cmp.Or(method, "majority")
		if method != "majority" {
			return b, Invalidf("method", "a ballot on one proposal is a yes/no (majority) ballot")
		}
		req.Title = cmp.Or(strings.TrimSpace(req.Title), p.Title)
		req.Description = cmp.Or(strings.TrimSpace(req.Description), fmt.Sprintf("Proposal #%d: %s", p.ID, p.Title))
		b.ProposalID = &p.ID
		if p.TopicID != nil && req.Topic == "" {
			b.TopicID = p.TopicID
		}
		b.Proposals = []int64{p.ID}
	case len(req.Proposals) > 0:
		if len(req.Proposals) < 2 {
			return b, Invalidf("proposals", "name at least two competing proposals (or use proposal for one)")
		}
		method = cmp.Or(method, "schulze")
		if method != "schulze" {
			return b, Invalidf("method", "competing proposals are decided by a ranked schulze ballot")
		}
		if err := CheckOptionCount(method, len(req.Proposals)+1); err != nil {
			return b, err
		}
		ps, err := lookProposals(look, "proposals", req.Proposals)
		if err != nil {
			return b, err
		}
		req.Options = nil
		for _, p := range ps {
			if p.HasBallot {
				return b, Invalidf("proposals", "proposal %d already has a ballot", p.ID)
			}
			req.Options = append(req.Options, OptionRequest{Key: "p" + strconv.FormatInt(p.ID, 10), Label: p.Title})
			b.Proposals = append(b.Proposals, p.ID)
		}
		req.Options = append(req.Options, OptionRequest{Key: StatusQuoKey, Label: "Status quo (none of these proposals)"})
		req.Seats = nil
	}

	req.Title = strings.TrimSpace(req.Title)
	if err := CheckLine("title", req.Title, true, MaxTitle); err != nil {
		return b, err
	}
	if err := CheckText("description", req.Description, false, MaxBallotText); err != nil {
		return b, err
	}
	b.Title, b.Description = req.Title, req.Description
	if req.Topic != "" {
		id, err := look.Topic(req.Topic)
		if errors.Is(err, ErrNotFound) {
			return b, Invalidf("topic", "no topic %q in this community", req.Topic)
		}
		if err != nil {
			return b, err
		}
		b.TopicID = &id
	}

	if method == "" {
		return b, Invalidf("method", "is required: one of %s", strings.Join(tally.Methods, ", "))
	}
	b.Method = method
	if method == "majority" && len(req.Options) == 0 {
		req.Options = []OptionRequest{{"yes", "Yes"}, {"no", "No"}, {"abstain", "Abstain"}}
	}
	if err := CheckOptionCount(method, len(req.Options)); err != nil {
		return b, err
	}
	var err error
	if b.Options, err = ballotOptions(req.Options); err != nil {
		return b, err
	}
	b.Seats = 1
	if req.Seats != nil {
		b.Seats = *req.Seats
	}
	if err := CheckSeats(b.Seats); err != nil {
		return b, err
	}
	if method == "stv" {
		b.STVRule = cmp.Or(req.STVRule, "meek")
	} else if req.STVRule != "" {
		return b, Invalidf("stv_rule", "only stv ballots have a rule")
	}
	b.Threshold = cmp.Or(strings.TrimSpace(req.Threshold), "1/2")
	b.Quorum = cmp.Or(strings.TrimSpace(req.Quorum), "0/1")
	thr, err := tally.ParseRational(b.Threshold)
	if err != nil {
		return b, Invalidf("threshold", "must be a fraction n/d, e.g. 1/2 or 2/3")
	}
	quo, err := tally.ParseRational(b.Quorum)
	if err != nil {
		return b, Invalidf("quorum", "must be a fraction n/d of the eligible weight, e.g. 0/1 or 1/4")
	}
	b.Strict = req.Strict == nil || *req.Strict
	b.Delegation = req.Delegation == nil || *req.Delegation
	b.Secrecy = cmp.Or(req.Secrecy, "public")
	if b.Secrecy != "public" && b.Secrecy != "pseudonymous" {
		return b, Invalidf("secrecy", "must be public or pseudonymous")
	}
	if err := tally.ValidateBallot(tally.Ballot{Method: b.Method, Options: b.Options, Seats: b.Seats, STVRule: b.STVRule,
		Threshold: thr, Strict: b.Strict, Quorum: quo, Delegation: b.Delegation}); err != nil {
		return b, TallyInvalid(err)
	}
	if req.ClosesAt == "" {
		return b, Invalidf("closes_at", "is required (RFC 3339, e.g. 2030-01-31T18:00:00Z)")
	}
	closes, err := time.Parse(time.RFC3339, req.ClosesAt)
	if err != nil {
		return b, Invalidf("closes_at", "must be a time in RFC 3339, e.g. 2030-01-31T18:00:00Z")
	}
	if !closes.After(now) {
		return b, Invalidf("closes_at", "must be in the future")
	}
	b.ClosesAt = closes.UTC().Truncate(time.Second)
	return b, nil
}

func lookProposals(look BallotLookup, field string, ids []int64) ([]ProposalRef, error) {
	ps, err := look.Proposals(ids)
	if errors.Is(err, ErrNotFound) {
		return nil, Invalidf(field, "no such proposal in this community")
	}
	return ps, err
}

// ballotOptions trims the requested options, derives missing keys from
// labels and refuses repeats.
func ballotOptions(req []OptionRequest) ([]tally.Option, error) {
	var opts []tally.Option
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
		if err := CheckOptionKey(field+".key", o.Key); err != nil {
			return nil, err
		}
		if err := CheckLine(field+".label", o.Label, true, MaxOptionLabel); err != nil {
			return nil, err
		}
		if seen[o.Key] {
			return nil, Invalidf(field+".key", "option %q is listed twice", o.Key)
		}
		// Labels equal but for case and spacing are one option listed
		// twice; other labels that spell the same key get "-2", "-3", ….
		folded := strings.ToLower(strings.Join(strings.Fields(o.Label), " "))
		if labels[folded] {
			return nil, Invalidf(field+".label", "option %q is listed twice", o.Label)
		}
		seen[o.Key], labels[folded] = true, true
		opts = append(opts, tally.Option{Key: o.Key, Label: o.Label})
	}
	return opts, nil
}

// TallyInvalid turns a tally validation error into an *Invalid on the
// request field it concerns.
func TallyInvalid(err error) error {
	var fe *tally.FieldError
	if errors.As(err, &fe) {
		return Invalidf(strings.TrimPrefix(fe.Field, "ballot."), "%s", fe.Message)
	}
	return err
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
	case state == StateClosed:
		return Stated("ballot_closed", "the ballot is closed")
	case !closesAt.After(now):
		return Stated("ballot_closed", "voting has ended; the ballot is being closed")
	}
	return nil
}
