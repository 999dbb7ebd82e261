package web

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"koinon/internal/domain"
	"koinon/internal/proof"
	"koinon/internal/proof2"
	"koinon/internal/statement"
	"koinon/internal/store"
)

// statementsStore is what the statements handlers need of the store.
type statementsStore interface {
	RecordStatement(ctx context.Context, communityID, citizenID int64) error
	StatementsOf(ctx context.Context, communityID, citizenID int64) ([]store.LoggedStatement, error)
}

// apiSubmitStatement takes a statement a citizen's device signed
// (docs/spec/statements.md) and applies it as the API route for its kind
// would: the body is the envelope, or for a vote its opening
// {"envelope", "nonce"} (the device's commitment nonce). The store checks
// signature, key, chain and that the statement is exactly the write; a
// refusal is 422 naming the problem, with nothing written. The answer is
// the receipt: log index, signed checkpoint and inclusion proof.
func (s *Server) apiSubmitStatement(c echo.Context) error {
	if err := s.logsOn(); err != nil {
		return err
	}
	sub, err := parseSubmission(c)
	if err != nil {
		return err
	}
	cm := routeCommunityOf(c)
	st := sub.Envelope.Parsed()
	if st.Community != cm.Slug {
		return store.RefuseStatement(fmt.Errorf("%w: %q sent to %q", statement.ErrOtherCommunity, st.Community, cm.Slug))
	}
	if (sub.Nonce != nil) != (st.Kind == statement.Vote) {
		return domain.Invalidf("nonce", "send a vote as its opening {envelope, nonce}, and every other statement as its envelope")
	}
	me := currentCitizen(c)
	sub.CommunityID, sub.CitizenID = cm.ID, me.ID
	ctx := store.WithSubmission(c.Request().Context(), sub)
	c.SetRequest(c.Request().WithContext(ctx))
	switch _, trustee := statement.TrusteeKinds[st.Kind]; {
	case trustee || st.Kind == statement.SecretVote:
		b, err := s.secretStatementBallot(c, cm, st)
		if err != nil {
			return err
		}
		if trustee {
			err = s.trusteeStep(c, b, sub.Envelope)
		} else {
			var vc statement.SecretVoteContent
			if err := json.Unmarshal(st.Content, &vc); err != nil {
				return store.RefuseStatement(fmt.Errorf("%w: %v", statement.ErrContent, err))
			}
			_, err = s.castSecretVote(c, b, vc.Ballot)
		}
		if err != nil {
			return err
		}
	case st.Kind == statement.Vote || st.Kind == statement.VoteWithdraw:
		b, err := s.statementBallot(c, cm, st)
		if st.Kind == statement.VoteWithdraw && err != nil {
			if sb, serr := s.secretStatementBallot(c, cm, st); serr == nil {
				b, err = sb, nil // a secret ballot's vote is withdrawn as a public one's
			}
		}
		if err != nil {
			return err
		}
		if st.Kind == statement.VoteWithdraw {
			err = s.withdrawVote(c, b)
		} else {
			var vc statement.VoteContent
			if err := json.Unmarshal(st.Content, &vc); err != nil {
				return store.RefuseStatement(fmt.Errorf("%w: %v", statement.ErrContent, err))
			}
			_, err = s.castVote(c, b, vc.Choice)
		}
		if err != nil {
			return err
		}
	case st.Kind == statement.Delegate:
		var dc statement.DelegateContent
		if err := json.Unmarshal(st.Content, &dc); err != nil {
			return store.RefuseStatement(fmt.Errorf("%w: %v", statement.ErrContent, err))
		}
		topic, ballot := scopeParts(st.Scope)
		_, sc, err := s.delegationScope(c, cm.Slug, topic, ballot)
		if err != nil {
			return err
		}
		if dc.Remove {
			err = s.store.RemoveDelegation(ctx, me.ID, sc)
		} else {
			var ids []int64
			if ids, err = s.delegateIDs(ctx, dc.Delegates); err == nil {
				err = s.store.SetDelegation(ctx, me.ID, sc, ids)
			}
		}
		if err != nil {
			return err
		}
	default:
		if routeMembership(c) == nil {
			return errorf(http.StatusForbidden, "forbidden", "only members of "+cm.Slug+" register keys or make board statements there")
		}
		if err := s.store.RecordStatement(ctx, cm.ID, me.ID); err != nil {
			return err
		}
	}
	if sub.Receipt == nil {
		return fmt.Errorf("web: statement %s applied without a receipt", sub.Envelope.Hash())
	}
	return c.JSON(http.StatusOK, sub.Receipt)
}

// parseSubmission reads an envelope, or a vote's opening.
func parseSubmission(c echo.Context) (*store.Submission, error) {
	var body map[string]json.RawMessage
	if err := bindJSON(c, &body); err != nil {
		return nil, err
	}
	sub := &store.Submission{}
	raw, err := json.Marshal(body)
	if env, ok := body["envelope"]; ok {
		var nonce string
		if err := json.Unmarshal(body["nonce"], &nonce); err != nil || len(body) != 2 {
			return nil, domain.Invalidf("nonce", "an opening is {envelope, nonce} with the nonce as 64 hex digits")
		}
		if sub.Nonce, err = hex.DecodeString(nonce); err != nil || len(sub.Nonce) != statement.NonceSize || hex.EncodeToString(sub.Nonce) != nonce {
			return nil, store.RefuseStatement(fmt.Errorf("%w: %q", statement.ErrBadNonce, nonce))
		}
		raw = env
	}
	if err == nil {
		raw, err = proof.Canonicalize(raw)
	}
	if err == nil {
		sub.Envelope, err = statement.Parse(raw)
	}
	if err != nil {
		return nil, store.RefuseStatement(err)
	}
	return sub, nil
}

// statementBallot is the ballot a vote statement names, which must be a
// public ballot of the route's community.
func (s *Server) statementBallot(c echo.Context, cm *store.Community, st *statement.Statement) (*store.Ballot, error) {
	b, err := s.scopeBallot(c, cm, st)
	if err == nil && b.Secrecy != "public" {
		id, _ := st.Ballot()
		return nil, domain.Invalidf("statement", "ballot %s is %s: signed statements are for public ballots", id, b.Secrecy)
	}
	return b, err
}

// secretStatementBallot is the ballot a secret vote or trustee step
// names, which must be a secret ballot of the route's community.
func (s *Server) secretStatementBallot(c echo.Context, cm *store.Community, st *statement.Statement) (*store.Ballot, error) {
	b, err := s.scopeBallot(c, cm, st)
	if err == nil && b.Secrecy != domain.SecrecySecret {
		return nil, domain.Invalidf("statement", "ballot %s is %s: %s statements are for secret ballots", b.IDString(), b.Secrecy, st.Kind)
	}
	return b, err
}

// scopeBallot is the ballot of the route's community a statement's scope
// names.
func (s *Server) scopeBallot(c echo.Context, cm *store.Community, st *statement.Statement) (*store.Ballot, error) {
	id, _ := st.Ballot()
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return nil, store.RefuseStatement(fmt.Errorf("%w: %q is not a ballot of %s", statement.ErrScope, st.Scope, cm.Slug))
	}
	b, err := s.store.BallotByID(c.Request().Context(), n)
	if err != nil || b.CommunityID != cm.ID {
		return nil, store.RefuseStatement(fmt.Errorf("%w: no ballot %s in %s", statement.ErrScope, id, cm.Slug))
	}
	return &b, nil
}

// scopeParts splits a delegation scope into the topic slug or ballot id.
func scopeParts(scope string) (topic string, ballot *int64) {
	if t, ok := strings.CutPrefix(scope, "topic:"); ok {
		return t, nil
	}
	if id, ok := strings.CutPrefix(scope, "ballot:"); ok {
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			n = -1 // delegationScope refuses it
		}
		return "", &n
	}
	return "", nil
}

// apiMyStatements lists the caller's statements in the community's log,
// with their indexes: what `koinon client check` compares with its
// receipts and the sealed proofs.
func (s *Server) apiMyStatements(c echo.Context) error {
	out, err := s.store.StatementsOf(c.Request().Context(), routeCommunityOf(c).ID, currentCitizen(c).ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"statements": out})
}

// countOf returns a proof as proof 1 reads it: a koinon-tally-proof/2
// carries proof 1's count members byte for byte (proof-2.md), which the
// cast receipts are issued from; other documents are returned unchanged.
func countOf(raw []byte) []byte {
	d, err := proof2.Parse(raw)
	if err != nil {
		return raw
	}
	out, err := json.Marshal(map[string]any{
		"format": proof.Format, "ballot": d.Ballot, "electorate": d.Electorate, "votes": d.Votes,
		"votes_root": d.VotesRoot, "tiebreak": d.Tiebreak, "result": d.Result,
		"issued_at": d.IssuedAt, "signer": d.Signer, "signature": d.Signature,
	})
	if err != nil {
		return raw
	}
	return out
}
