package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"koinon/internal/closing"
	"koinon/internal/domain"
	"koinon/internal/store"
	"koinon/internal/tally"
)

// ballotsStore is what the ballots handlers need of the store.
type ballotsStore interface {
	ProposalsByIDs(ctx context.Context, communityID int64, ids []int64) ([]store.Proposal, error)
	ScopeTopic(ctx context.Context, communityID int64, slug string) (store.Topic, error)
}

// ballotRequest and optionRequest are the request shapes NewBallot reads.
type (
	ballotRequest = domain.BallotRequest
	optionRequest = domain.OptionRequest
)

// buildBallot reads what req refers to from the store and validates it by
// the ballot rules of domain.NewBallot, returning the ballot, its options
// and the proposals it decides. Refused fields come joined (errors.Join)
// as *domain.Problem values: the API names the first, the form shows each
// beside its field.
func (s *Server) buildBallot(ctx context.Context, community *store.Community, by int64, req ballotRequest) (store.Ballot, []store.BallotOption, []int64, error) {
	look := domain.BallotLookup{
		Proposals: func(ids []int64) ([]domain.ProposalRef, error) {
			ps, err := s.store.ProposalsByIDs(ctx, community.ID, ids)
			if err != nil {
				return nil, notFoundAsDomain(err)
			}
			refs := make([]domain.ProposalRef, len(ps))
			for i, p := range ps {
				refs[i] = domain.ProposalRef{ID: p.ID, Title: p.Title, TopicID: p.TopicID, HasBallot: p.BallotID != nil,
					Cost: p.Cost, Body: p.Body}
			}
			return refs, nil
		},
		Topic: func(slug string) (int64, error) {
			t, err := s.store.ScopeTopic(ctx, community.ID, slug)
			return t.ID, notFoundAsDomain(err)
		},
	}
	nb, err := domain.NewBallot(req, look, s.now())
	b := store.Ballot{CommunityID: community.ID, CreatedBy: by, TopicID: nb.TopicID, ProposalID: nb.ProposalID,
		Title: nb.Title, Description: nb.Description, Method: nb.Method, Seats: nb.Seats, STVRule: nb.STVRule,
		Threshold: nb.Threshold, Strict: nb.Strict, Quorum: nb.Quorum, Delegation: nb.Delegation, Secrecy: nb.Secrecy,
		ClosesAt: nb.ClosesAt, Budget: nb.Budget, Currency: nb.Currency, BudgetRule: nb.BudgetRule, Completion: nb.Completion,
		ExhaustiveStop: nb.ExhaustiveStop, CompareWithGreedy: nb.CompareWithGreedy, TrusteeThreshold: nb.TrusteeThreshold}
	if err == nil && len(nb.Trustees) > 0 {
		b.TrusteeIDs, err = s.store.TrusteeIDs(ctx, community.ID, nb.Trustees)
	}
	opts := make([]store.BallotOption, len(nb.Options))
	for i, o := range nb.Options {
		opts[i] = store.BallotOption{Key: o.Key, Label: o.Label, Cost: o.Cost, Description: o.Description}
	}
	return b, opts, nb.Proposals, err
}

// notFoundAsDomain makes a store.ErrNotFound match domain.ErrNotFound,
// for the domain rules that tell a missing thing from a failed read.
func notFoundAsDomain(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w: %w", domain.ErrNotFound, err)
	}
	return err
}

// ballotTally is a stored ballot's counting parameters.
func ballotTally(b store.Ballot, opts []store.BallotOption) tally.Ballot {
	thr, _ := tally.ParseRational(b.Threshold)
	quo, _ := tally.ParseRational(b.Quorum)
	tb := tally.Ballot{Method: b.Method, Seats: b.Seats, STVRule: b.STVRule, Threshold: thr, Strict: b.Strict, Quorum: quo, Delegation: b.Delegation,
		Budget: budgetRules(b)}
	for _, o := range opts {
		tb.Options = append(tb.Options, tally.Option{Key: o.Key, Label: o.Label, Cost: o.Cost})
	}
	return tb
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
	// Secret is a secret ballot's key generation and decryption progress.
	Secret *secretJSON `json:"secret,omitempty"`
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
		t, err := s.store.TopicByID(ctx, *b.TopicID)
		if err != nil {
			return v, err
		}
		v.Topic = &t.Slug
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
	if b.Secrecy == domain.SecrecySecret {
		st, err := s.store.SecretState(ctx, b.ID)
		if err != nil {
			return v, err
		}
		if v.Secret, err = secretView(st); err != nil {
			return v, err
		}
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
	return s.respondBallot(c, http.StatusCreated, b)
}

// respondBallot answers with the ballot as the API shows it, in detail.
func (s *Server) respondBallot(c echo.Context, status int, b store.Ballot) error {
	v, err := s.ballotView(c.Request().Context(), b, routeCommunityOf(c), true)
	if err != nil {
		return err
	}
	return c.JSON(status, v)
}

func (s *Server) apiListBallots(c echo.Context) error {
	ctx := c.Request().Context()
	community := routeCommunityOf(c)
	state := c.QueryParam("state")
	if state != "" && state != store.StateDraft && state != store.StateOpen && state != store.StateTallying && state != store.StateClosed {
		return domain.Invalidf("state", "must be draft, open, tallying or closed")
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
	return s.respondBallot(c, http.StatusOK, *routeBallot(c))
}

func (s *Server) apiOpenBallot(c echo.Context) error {
	ctx := c.Request().Context()
	b, err := s.store.OpenBallot(ctx, routeBallot(c).ID)
	if err != nil {
		return err
	}
	return s.respondBallot(c, http.StatusOK, b)
}

func (s *Server) apiCloseBallot(c echo.Context) error {
	ctx := c.Request().Context()
	b, err := s.closer().Close(ctx, routeBallot(c).ID)
	if err != nil {
		return err
	}
	return s.respondBallot(c, http.StatusOK, b)
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
