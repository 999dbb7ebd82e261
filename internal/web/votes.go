package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"koinon/internal/domain"
	"koinon/internal/proof"
	"koinon/internal/store"
	"koinon/internal/tally"
)

// votesStore is what the votes handlers need of the store.
type votesStore interface {
	CastVote(ctx context.Context, r store.CastRequest) (store.Vote, error)
	WithdrawVote(ctx context.Context, ballotID, citizenID int64) error
}

type voteRequest struct {
	Choice json.RawMessage `json:"choice"`
	// Ballot is the encrypted ballot of a secret ballot (secret.go).
	Ballot json.RawMessage `json:"ballot"`
}

type voteJSON struct {
	Ballot      int64           `json:"ballot"`
	Voter       string          `json:"voter"`
	Choice      json.RawMessage `json:"choice"`
	CastAt      time.Time       `json:"cast_at"`
	CastReceipt string          `json:"cast_receipt"`
	// ReceiptNonce opens CastReceipt (docs/proofs.md); only the voter
	// sees it.
	ReceiptNonce string `json:"receipt_nonce"`
	// LogReceipt, on the answer to a vote the community log took, is its
	// log index, a signed checkpoint and the inclusion proof (docs/logs.md).
	LogReceipt *store.Receipt `json:"log_receipt,omitempty"`
}

// precheckVote refuses early a ballot that is not open (409); the store
// checks again under the ballot's lock. The roll check (403 not_eligible)
// is the store's alone (see notEligible).
func (s *Server) precheckVote(c echo.Context, b *store.Ballot) error {
	return domain.CanVote(b.State, b.ClosesAt, s.now())
}

// notEligible turns the store's "not on the roll" into the documented
// 403 not_eligible.
func notEligible(err error) error {
	if errors.Is(err, domain.ErrForbidden) {
		return errorf(http.StatusForbidden, "not_eligible", "you are not on this ballot's voter roll (it was frozen when the ballot opened)")
	}
	return err
}

// canonicalChoice checks a choice against the ballot and returns it in
// the canonical form the vote (and its statement) records.
func (s *Server) canonicalChoice(ctx context.Context, b *store.Ballot, raw json.RawMessage) (json.RawMessage, error) {
	if b.Secrecy == domain.SecrecySecret { // never a plaintext choice
		return nil, domain.Invalidf("choice", "a secret ballot takes an encrypted ballot made on your device, not a choice: "+
			"use the ballot page with JavaScript, or koinon client vote")
	}
	if len(raw) == 0 || string(raw) == "null" {
		return nil, domain.Refuse("choice", "required")
	}
	opts, err := s.options.get(ctx, s.store, b)
	if err != nil {
		return nil, err
	}
	choice, err := tally.DecodeChoice(b.Method, raw)
	if err != nil {
		return nil, domain.Invalidf("choice", "%s", choiceShape(b.Method))
	}
	if err := tally.ValidateChoice(ballotTally(*b, opts), choice); err != nil {
		return nil, domain.TallyInvalid(err)
	}
	canon, err := tally.EncodeChoice(b.Method, choice)
	if err == nil {
		canon, err = proof.Canonicalize(canon)
	}
	if err != nil {
		return nil, domain.Invalidf("choice", "%s", choiceShape(b.Method))
	}
	return canon, nil
}

// castVote validates a choice against the ballot's method and records it;
// it returns the stored vote.
func (s *Server) castVote(c echo.Context, b *store.Ballot, raw json.RawMessage) (store.Vote, error) {
	ctx := c.Request().Context()
	if err := s.precheckVote(c, b); err != nil {
		return store.Vote{}, err
	}
	canon, err := s.canonicalChoice(ctx, b, raw)
	if err != nil {
		return store.Vote{}, err
	}
	me := currentCitizen(c)
	v, err := s.store.CastVote(ctx, store.CastRequest{
		BallotID: b.ID, CitizenID: me.ID, Handle: me.Handle, Choice: string(canon),
		Receipt: func(voter string, at time.Time, nonce string) (string, error) {
			return proof.CastReceipt(b.IDString(), voter, canon, at, nonce)
		},
	})
	if err != nil {
		return v, notEligible(err)
	}
	s.metrics.VotesCast.Inc()
	return v, nil
}

// withdrawVote withdraws the caller's vote and counts it.
func (s *Server) withdrawVote(c echo.Context, b *store.Ballot) error {
	if err := s.precheckVote(c, b); err != nil {
		return err
	}
	withdraw := s.store.WithdrawVote
	if b.Secrecy == domain.SecrecySecret {
		withdraw = s.store.WithdrawSecretVote
	}
	if err := withdraw(c.Request().Context(), b.ID, currentCitizen(c).ID); err != nil {
		return notEligible(err)
	}
	s.metrics.VotesWithdrawn.Inc()
	return nil
}

// optionCache keeps ballots' options, which never change once a ballot
// is open (docs/scaling.md allows caches of immutable data only): a vote
// does not read them again. Drafts are not cached.
type optionCache struct{ c idCache[[]store.BallotOption] }

func (oc *optionCache) get(ctx context.Context, st Store, b *store.Ballot) ([]store.BallotOption, error) {
	if opts, ok := oc.c.lookup(b.ID); ok {
		return opts, nil
	}
	opts, err := st.BallotOptions(ctx, b.ID)
	if err != nil || b.State == store.StateDraft {
		return opts, err
	}
	oc.c.keep(b.ID, opts)
	return opts, nil
}

// choiceShape says what a method's choice looks like (tally.md §4).
func choiceShape(method string) string {
	switch method {
	case "majority":
		return `must be "yes", "no" or "abstain"`
	case "plurality":
		return "must be one option key, as a string"
	case "approval":
		return "must be a list of distinct option keys (possibly empty)"
	case "irv", "stv":
		return "must be a ranking: a list of distinct option keys, best first"
	case "schulze":
		return `must be a ranking of groups, best first, e.g. [["a"],["b","c"]]`
	}
	return "does not fit the method"
}

func (s *Server) voteView(c echo.Context, b *store.Ballot, v store.Vote) (voteJSON, error) {
	out := voteJSON{Ballot: b.ID, Choice: json.RawMessage(v.Choice), CastAt: v.CastAt.UTC(), CastReceipt: v.Receipt, ReceiptNonce: v.ReceiptNonce}
	if me := currentCitizen(c); b.Secrecy != "pseudonymous" && me != nil && me.ID == v.CitizenID {
		out.Voter = me.Handle // a public ballot names the voter by handle
		return out, nil
	}
	var err error
	out.Voter, err = s.store.VoterID(c.Request().Context(), *b, v.CitizenID)
	return out, err
}

func (s *Server) apiCastVote(c echo.Context) error {
	var req voteRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	b := routeBallot(c)
	sub := &store.Submission{} // the store signs with the custodial key and fills the receipt
	c.SetRequest(c.Request().WithContext(store.WithSubmission(c.Request().Context(), sub)))
	var v store.Vote
	var err error
	if b.Secrecy == domain.SecrecySecret {
		v, err = s.castSecretVote(c, b, req.Ballot)
	} else {
		v, err = s.castVote(c, b, req.Choice)
	}
	if err != nil {
		return err
	}
	out, err := s.voteView(c, b, v)
	if err != nil {
		return err
	}
	out.LogReceipt = sub.Receipt
	return c.JSON(http.StatusOK, out)
}

func (s *Server) apiShowVote(c echo.Context) error {
	b := routeBallot(c)
	v, err := s.store.VoteOf(c.Request().Context(), b.ID, currentCitizen(c).ID)
	if err != nil {
		return err
	}
	out, err := s.voteView(c, b, v)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) apiWithdrawVote(c echo.Context) error {
	if err := s.withdrawVote(c, routeBallot(c)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
