package web

import (
	"cmp"
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

	"koinon/internal/closing"
	"koinon/internal/domain"
	"koinon/internal/store"
	"koinon/internal/tally"
)

// ballotRequest is the body of POST /api/v1/communities/{slug}/ballots
// and what the new-ballot form fills. Proposal makes a yes/no ballot on one
// proposal; Proposals (two or more) make a ranked schulze ballot among
// competing proposals plus the status quo.
type ballotRequest struct {
	Title       string          `json:"title"`
	Description string          `json:"description"`
	Topic       string          `json:"topic"`
	Proposal    *int64          `json:"proposal"`
	Proposals   []int64         `json:"proposals"`
	Method      string          `json:"method"`
	Options     []optionRequest `json:"options"`
	Seats       *int            `json:"seats"`
	STVRule     string          `json:"stv_rule"`
	Threshold   string          `json:"threshold"`
	Strict      *bool           `json:"strict"`
	Quorum      string          `json:"quorum"`
	Delegation  *bool           `json:"delegation"`
	Secrecy     string          `json:"secrecy"`
	ClosesAt    string          `json:"closes_at"`
	budgetRequest
}

// optionRequest is an option as a {key, label} object or a bare label
// (whose key is derived from it). A project of a budget ballot also has a
// cost and may have a description.
type optionRequest struct {
	Key         string `json:"key"`
	Label       string `json:"label"`
	Cost        int64  `json:"cost"`
	Description string `json:"description"`
}

func (o *optionRequest) UnmarshalJSON(b []byte) error {
	var label string
	if err := json.Unmarshal(b, &label); err == nil {
		o.Label = label
		return nil
	}
	type plain optionRequest
	return json.Unmarshal(b, (*plain)(o))
}

// Status-quo option of a ballot among competing proposals.
const statusQuoKey = "status-quo"

// buildBallot validates a request and returns the ballot, its options and
// the proposals it decides. It reports every refused field at once, in
// field order, joined (errors.Join): the API names the first, the form
// shows each beside its field (fieldProblem keys).
func (s *Server) buildBallot(ctx context.Context, community *store.Community, by int64, req ballotRequest) (store.Ballot, []store.BallotOption, []int64, error) {
	b := store.Ballot{CommunityID: community.ID, CreatedBy: by}
	var opts []store.BallotOption
	var proposals []int64
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
		fail(domain.Invalidf("proposals", "give proposal or proposals, not both"), "ballot.error.proposal")
		optionsKnown = false
	case req.Proposal != nil:
		method = cmp.Or(method, "majority")
		if method != "majority" {
			fail(domain.Invalidf("method", "a ballot on one proposal is a yes/no (majority) ballot"), "ballot.error.proposal_one")
		}
		ps, err := s.store.ProposalsByIDs(ctx, community.ID, []int64{*req.Proposal})
		switch {
		case err != nil:
			fail(domain.Invalidf("proposal", "no such proposal in this community"), "ballot.error.proposal")
		case ps[0].BallotID != nil:
			fail(domain.Invalidf("proposal", "this proposal already has a ballot"), "ballot.error.proposal")
		default:
			p := ps[0]
			req.Title = cmp.Or(strings.TrimSpace(req.Title), p.Title)
			req.Description = cmp.Or(strings.TrimSpace(req.Description), fmt.Sprintf("Proposal #%d: %s", p.ID, p.Title))
			b.ProposalID = &p.ID
			if p.TopicID != nil && req.Topic == "" {
				b.TopicID = p.TopicID
			}
			proposals = []int64{p.ID}
		}
	case len(req.Proposals) > 0:
		method = cmp.Or(method, "schulze")
		optionsKnown = false
		if method != "schulze" && method != "budget" {
			fail(domain.Invalidf("method", "competing proposals are decided by a ranked schulze ballot, or share a budget (method budget)"), "ballot.error.proposals_two")
			break
		}
		if len(req.Proposals) < 2 && method == "schulze" {
			fail(domain.Invalidf("proposals", "name at least two competing proposals (or use proposal for one)"), "ballot.error.proposals_two")
			break
		}
		if err := domain.CheckOptionCount(method, len(req.Proposals)+1); err != nil {
			fail(err, "ballot.error.options", domain.MaxOptionsFor(method))
			break
		}
		ps, err := s.store.ProposalsByIDs(ctx, community.ID, req.Proposals)
		if err != nil {
			fail(domain.Invalidf("proposals", "no such proposal in this community"), "ballot.error.proposal")
			break
		}
		req.Options = nil
		for _, p := range ps {
			if p.BallotID != nil {
				fail(domain.Invalidf("proposals", "proposal %d already has a ballot", p.ID), "ballot.error.proposal")
				break
			}
			o, err := proposalOption(p, method)
			if err != nil {
				fail(err, "ballot.error.proposal_cost", p.ID)
				break
			}
			req.Options = append(req.Options, o)
			proposals = append(proposals, p.ID)
		}
		if method == "schulze" {
			req.Options = append(req.Options, optionRequest{Key: statusQuoKey, Label: "Status quo (none of these proposals)"})
		}
		req.Seats = nil
		optionsKnown = len(errs) == 0
	}

	req.Title = strings.TrimSpace(req.Title)
	fail(domain.CheckLine("title", req.Title, true, domain.MaxTitle), "ballot.error.title", domain.MaxTitle)
	fail(domain.CheckText("description", req.Description, false, domain.MaxBallotText), "ballot.error.description", domain.MaxBallotText)
	b.Title, b.Description = req.Title, req.Description
	if req.Topic != "" {
		if t, err := s.store.ScopeTopic(ctx, community.ID, req.Topic); err != nil {
			fail(domain.Invalidf("topic", "no topic %s in this community", domain.Quote(req.Topic)), "ballot.error.topic")
		} else {
			b.TopicID = &t.ID
		}
	}

	counting := len(errs) // the counting rules are checked together below
	switch {
	case method == "":
		fail(domain.Invalidf("method", "is required: one of %s", strings.Join(tally.Methods, ", ")), "ballot.error.method")
	case !slices.Contains(tally.Methods, method):
		fail(domain.Invalidf("method", "must be one of %s, not %s", strings.Join(tally.Methods, ", "), domain.Quote(method)), "ballot.error.method")
	case optionsKnown:
		b.Method = method
		opts = ballotOptions(method, req.Options, fail)
	}
	b.Seats = 1
	if req.Seats != nil {
		b.Seats = *req.Seats
	}
	fail(domain.CheckSeats(b.Seats), "ballot.error.seats", domain.MaxSeats)
	if method == "stv" {
		b.STVRule = cmp.Or(req.STVRule, "meek")
	} else if req.STVRule != "" {
		fail(domain.Invalidf("stv_rule", "only stv ballots have a rule"), "ballot.error.stv_rule")
	}
	b.Threshold = cmp.Or(strings.TrimSpace(req.Threshold), "1/2")
	b.Quorum = cmp.Or(strings.TrimSpace(req.Quorum), "0/1")
	thr, err := tally.ParseRational(b.Threshold)
	if err != nil {
		fail(domain.Invalidf("threshold", "must be a fraction n/d, e.g. 1/2 or 2/3"), "ballot.error.threshold")
	}
	quo, err := tally.ParseRational(b.Quorum)
	if err != nil {
		fail(domain.Invalidf("quorum", "must be a fraction n/d of the eligible weight, e.g. 0/1 or 1/4"), "ballot.error.quorum")
	}
	if b.Method != "" {
		if err := applyBudget(&b, opts, req.budgetRequest); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) == counting && b.Method != "" {
		if err := tally.ValidateBallot(tallyBallot(b, opts, thr, quo)); err != nil {
			key, args := tallyKey(err, method)
			fail(tallyInvalid(err), key, args...)
		}
	}
	b.Strict = req.Strict == nil || *req.Strict
	b.Delegation = req.Delegation == nil || *req.Delegation
	b.Secrecy = cmp.Or(req.Secrecy, "public")
	if b.Secrecy != "public" && b.Secrecy != "pseudonymous" {
		fail(domain.Invalidf("secrecy", "must be public or pseudonymous"), "ballot.error.secrecy")
	}
	if req.ClosesAt == "" {
		fail(domain.Invalidf("closes_at", "is required (RFC 3339, e.g. 2030-01-31T18:00:00Z)"), "ballot.error.closes_at_missing")
	} else if closes, err := time.Parse(time.RFC3339, req.ClosesAt); err != nil {
		fail(domain.Invalidf("closes_at", "must be a time in RFC 3339, e.g. 2030-01-31T18:00:00Z"), "ballot.error.closes_at_format")
	} else if !closes.After(s.now()) {
		fail(domain.Invalidf("closes_at", "must be in the future"), "ballot.error.closes_at_past")
	} else {
		b.ClosesAt = closes.UTC().Truncate(time.Second)
	}
	return b, opts, proposals, errors.Join(errs...)
}

// ballotOptions checks a request's options (a majority ballot without
// options gets yes, no and abstain) and reports the first refused one.
func ballotOptions(method string, req []optionRequest, fail func(error, string, ...any)) []store.BallotOption {
	if method == "majority" && len(req) == 0 {
		req = []optionRequest{{Key: "yes", Label: "Yes"}, {Key: "no", Label: "No"}, {Key: "abstain", Label: "Abstain"}}
	}
	if err := domain.CheckOptionCount(method, len(req)); err != nil {
		fail(err, "ballot.error.options", domain.MaxOptionsFor(method))
		return nil
	}
	var opts []store.BallotOption
	seen, labels := map[string]bool{}, map[string]bool{}
	for i, o := range req {
		o.Label = strings.TrimSpace(o.Label)
		o.Key = strings.TrimSpace(o.Key)
		if o.Key == "" && o.Label != "" {
			o.Key = domain.UniqueOptionKey(o.Label, seen)
		}
		if o.Label == "" {
			o.Label = o.Key
		}
		field := fmt.Sprintf("options[%d]", i)
		if err := cmp.Or(domain.CheckOptionKey(field+".key", o.Key), domain.CheckLine(field+".label", o.Label, true, domain.MaxOptionLabel)); err != nil {
			fail(err, "ballot.error.option_line", domain.MaxOptionLabel)
			return nil
		}
		if seen[o.Key] {
			fail(domain.Invalidf(field+".key", "option %s is listed twice", domain.Quote(o.Key)), "ballot.error.option_twice", domain.Quote(o.Label))
			return nil
		}
		// Labels equal but for case and spacing are one option listed
		// twice; other labels that spell the same key get "-2", "-3", ….
		folded := strings.ToLower(strings.Join(strings.Fields(o.Label), " "))
		if labels[folded] {
			fail(domain.Invalidf(field+".label", "option %s is listed twice", domain.Quote(o.Label)), "ballot.error.option_twice", domain.Quote(o.Label))
			return nil
		}
		seen[o.Key], labels[folded] = true, true
		opts = append(opts, store.BallotOption{Key: o.Key, Label: o.Label, Cost: o.Cost, Description: strings.TrimSpace(o.Description)})
	}
	return opts
}

// fieldProblem is a refused request field: the *domain.Invalid the API
// reports, with the message key and arguments the ballot form shows.
type fieldProblem struct {
	domain.Invalid
	key  string
	args []any
}

func (p *fieldProblem) Unwrap() error { return &p.Invalid }

// keyed gives err, when it is a *domain.Invalid, a message key for pages.
func keyed(err error, key string, args ...any) error {
	var inv *domain.Invalid
	if !errors.As(err, &inv) {
		return err
	}
	return &fieldProblem{Invalid: *inv, key: key, args: args}
}

// tallyInvalid turns a tally validation error into a 422 on the request
// field it concerns.
func tallyInvalid(err error) error {
	var fe *tally.FieldError
	if errors.As(err, &fe) {
		return &domain.Invalid{Field: strings.TrimPrefix(fe.Field, "ballot."), Message: fe.Message, Rule: fe.Rule, Args: fe.Args}
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
		return "ballot.error.seats", []any{domain.MaxSeats}
	case "options":
		return "ballot.error.options", []any{domain.MaxOptionsFor(method)}
	case "threshold", "quorum", "stv_rule", "method":
		return "ballot.error." + field, nil
	}
	return "ballot.error.invalid", nil
}

func tallyBallot(b store.Ballot, opts []store.BallotOption, thr, quo tally.Rational) tally.Ballot {
	tb := tally.Ballot{Method: b.Method, Seats: b.Seats, STVRule: b.STVRule, Threshold: thr, Strict: b.Strict, Quorum: quo, Delegation: b.Delegation,
		Budget: budgetRules(b)}
	for _, o := range opts {
		tb.Options = append(tb.Options, tally.Option{Key: o.Key, Label: o.Label, Cost: o.Cost})
	}
	return tb
}

// ballotTally is a stored ballot's counting parameters.
func ballotTally(b store.Ballot, opts []store.BallotOption) tally.Ballot {
	thr, _ := tally.ParseRational(b.Threshold)
	quo, _ := tally.ParseRational(b.Quorum)
	return tallyBallot(b, opts, thr, quo)
}

// ballotJSON is a ballot as the API shows it (never its secret).
type ballotJSON struct {
	ID            int64          `json:"id"`
	Community     string         `json:"community"`
	Topic         *string        `json:"topic"`
	Proposal      *int64         `json:"proposal"`
	Title         string         `json:"title"`
	Description   string         `json:"description"`
	Method        string         `json:"method"`
	Options       []optionJSON   `json:"options"`
	Seats         int            `json:"seats"`
	STVRule       string         `json:"stv_rule,omitempty"`
	Threshold     string         `json:"threshold"`
	Strict        bool           `json:"strict"`
	Quorum        string         `json:"quorum"`
	Delegation    bool           `json:"delegation"`
	Secrecy       string         `json:"secrecy"`
	State         string         `json:"state"`
	CreatedAt     time.Time      `json:"created_at"`
	OpensAt       *time.Time     `json:"opens_at"`
	ClosesAt      time.Time      `json:"closes_at"`
	ClosedAt      *time.Time     `json:"closed_at"`
	Participation *participation `json:"participation,omitempty"`
	*budgetJSON
	ProofHash string          `json:"proof_hash,omitempty"`
	LogHead   string          `json:"log_head,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
}

type optionJSON struct {
	Key         string `json:"key"`
	Label       string `json:"label"`
	Cost        int64  `json:"cost,omitempty"`
	Description string `json:"description,omitempty"`
}

// participation is an open ballot's running figures: weights only. A
// pseudonymous ballot omits direct_weight: on a weighted roll its steps
// would tell which member just voted directly (docs/security.md).
type participation struct {
	Voters       int64  `json:"voters"`
	Eligible     int64  `json:"eligible"`
	Votes        int64  `json:"votes"`
	DirectWeight *int64 `json:"direct_weight,omitempty"`
}

func (s *Server) ballotView(ctx context.Context, b store.Ballot, community *store.Community, withDetails bool) (ballotJSON, error) {
	v := ballotJSON{ID: b.ID, Community: community.Slug, Proposal: b.ProposalID, Title: b.Title, Description: b.Description,
		Method: b.Method, Seats: b.Seats, STVRule: b.STVRule, Threshold: b.Threshold, Strict: b.Strict, Quorum: b.Quorum,
		Delegation: b.Delegation, Secrecy: b.Secrecy, State: b.State, CreatedAt: b.CreatedAt.UTC(), OpensAt: utcp(b.OpensAt),
		ClosesAt: b.ClosesAt.UTC(), ClosedAt: utcp(b.ClosedAt), ProofHash: b.ProofHash, LogHead: b.LogHead, Options: []optionJSON{},
		budgetJSON: newBudgetJSON(b)}
	if b.TopicID != nil {
		if t, err := s.topicByID(ctx, *b.TopicID); err == nil {
			v.Topic = &t.Slug
		}
	}
	if !withDetails {
		return v, nil
	}
	opts, err := s.store.BallotOptions(ctx, b.ID)
	if err != nil {
		return v, err
	}
	for _, o := range opts {
		v.Options = append(v.Options, optionJSON{o.Key, o.Label, o.Cost, o.Description})
	}
	switch b.State {
	case store.StateOpen:
		p, err := s.store.BallotParticipation(ctx, b.ID)
		if err != nil {
			return v, err
		}
		v.Participation = &participation{Voters: p.Voters, Eligible: p.Eligible, Votes: p.VotesCast}
		if b.Secrecy == "public" {
			v.Participation.DirectWeight = &p.DirectWeight
		}
	case store.StateClosed:
		// The summary: the full result (with the per-voter resolution,
		// tens of megabytes for a large ballot) is at …/result.
		sum, err := s.resultSummaryJSON(ctx, &b)
		if err != nil {
			return v, err
		}
		v.Result = sum
	}
	return v, nil
}

func (s *Server) topicByID(ctx context.Context, id int64) (store.Topic, error) {
	var t store.Topic
	err := s.store.DB().WithContext(ctx).First(&t, id).Error
	if err != nil {
		return t, store.ErrNotFound
	}
	return t, nil
}

func utcp(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// routeBallot is the ballot loaded by require for /ballots/:id routes.
func routeBallot(c echo.Context) *store.Ballot {
	b, _ := c.Get("ballot").(*store.Ballot)
	return b
}

func (s *Server) closer() *closing.Closer {
	var signer closing.Signer
	if s.signer != nil {
		signer = s.signer
	}
	cl := closing.New(s.store, signer, s.log)
	cl.OnClosed = s.closedHook()
	return cl
}

// closedHook counts a sealed ballot and its close time in the metrics.
func (s *Server) closedHook() func(time.Duration) {
	return func(d time.Duration) {
		s.metrics.BallotsClosed.Inc()
		s.metrics.TallyDuration.Observe(d.Seconds())
	}
}

// ---- API ----

func (s *Server) apiCreateBallot(c echo.Context) error {
	var req ballotRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	ctx := c.Request().Context()
	community := routeCommunityOf(c)
	b, opts, proposals, err := s.buildBallot(ctx, community, currentCitizen(c).ID, req)
	if err != nil {
		return err
	}
	if err := s.store.CreateBallot(ctx, &b, opts, proposals); err != nil {
		return err
	}
	v, err := s.ballotView(ctx, b, community, true)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, v)
}

func (s *Server) apiListBallots(c echo.Context) error {
	ctx := c.Request().Context()
	community := routeCommunityOf(c)
	state := c.QueryParam("state")
	if state != "" && state != store.StateDraft && state != store.StateOpen && state != store.StateClosed {
		return domain.Invalidf("state", "must be draft, open or closed")
	}
	limit, offset, err := paging(c)
	if err != nil {
		return err
	}
	bs, err := s.store.ListBallots(ctx, store.BallotFilter{CommunityID: community.ID, State: state,
		HideDrafts: !isBoard(c), Limit: limit, Offset: offset})
	if err != nil {
		return err
	}
	out := make([]ballotJSON, 0, len(bs))
	for _, b := range bs {
		v, err := s.ballotView(ctx, b, community, false)
		if err != nil {
			return err
		}
		out = append(out, v)
	}
	return c.JSON(http.StatusOK, map[string]any{"ballots": out, "limit": limit, "offset": offset})
}

// paging reads ?limit= (1–100, default 20) and ?offset= (≥ 0).
func paging(c echo.Context) (int, int, error) {
	limit, offset := 20, 0
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return 0, 0, domain.Invalidf("limit", "must be a whole number from 1 to 100")
		}
		limit = n
	}
	if v := c.QueryParam("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, 0, domain.Invalidf("offset", "must be a whole number ≥ 0")
		}
		offset = n
	}
	return limit, offset, nil
}

func (s *Server) apiShowBallot(c echo.Context) error {
	v, err := s.ballotView(c.Request().Context(), *routeBallot(c), routeCommunityOf(c), true)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

func (s *Server) apiOpenBallot(c echo.Context) error {
	ctx := c.Request().Context()
	b, err := s.store.OpenBallot(ctx, routeBallot(c).ID)
	if err != nil {
		return err
	}
	v, err := s.ballotView(ctx, b, routeCommunityOf(c), true)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

func (s *Server) apiCloseBallot(c echo.Context) error {
	ctx := c.Request().Context()
	b, err := s.closer().Close(ctx, routeBallot(c).ID)
	if err != nil {
		return err
	}
	v, err := s.ballotView(ctx, b, routeCommunityOf(c), true)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

func (s *Server) apiResult(c echo.Context) error {
	b := routeBallot(c)
	if b.State != store.StateClosed {
		return domain.Stated("ballot_not_closed", "the result is published when the ballot closes")
	}
	raw, err := s.resultJSON(c.Request().Context(), b)
	if err != nil {
		return err
	}
	return c.JSONBlob(http.StatusOK, raw)
}
