package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"koinon/internal/domain"
	"koinon/internal/proof"
	"koinon/internal/store"
)

// proofsStore is what the proofs handlers need of the store.
type proofsStore interface {
	BallotLog(ctx context.Context, ballotID int64) ([]store.BallotEvent, error)
}

// downloadProof serves a closed ballot's signed proof as a download named
// after the ballot. The ETag is the proof's SHA-256, stable for its life.
func (s *Server) downloadProof(c echo.Context) error {
	b := routeBallot(c)
	if b.State != store.StateClosed {
		return domain.Stated("ballot_not_closed", "the proof is published when the ballot closes")
	}
	etag := `"` + b.ProofHash + `"`
	h := c.Response().Header()
	h.Set("ETag", etag)
	h.Set("Cache-Control", "public, max-age=3600")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, proofFileName(b)))
	if match := c.Request().Header.Get("If-None-Match"); match != "" && strings.Contains(match, etag) {
		return c.NoContent(http.StatusNotModified)
	}
	if b.ProofJSON != nil {
		return c.Blob(http.StatusOK, "application/json", []byte(*b.ProofJSON))
	}
	// Streamed from its stored chunks: a proof of a large ballot is
	// hundreds of MB, which no download should hold in memory.
	ctx := c.Request().Context()
	size, err := s.store.ProofSize(ctx, b.ID)
	if err != nil {
		return err
	}
	h.Set(echo.HeaderContentType, "application/json")
	h.Set(echo.HeaderContentLength, strconv.FormatInt(size, 10))
	c.Response().WriteHeader(http.StatusOK)
	if c.Request().Method == http.MethodHead {
		return nil
	}
	if err := s.store.CopyProof(ctx, b.ID, c.Response()); err != nil {
		s.log.Error("proof download cut short", "ballot", b.ID, "err", err)
	}
	return nil
}

// proofFileName is koinon-ballot-ID-title-words.proof.json.
func proofFileName(b *store.Ballot) string {
	name := fmt.Sprintf("koinon-ballot-%d", b.ID)
	if k := domain.OptionKey(b.Title); k != "" {
		if len(k) > 40 {
			k = strings.TrimRight(k[:40], "-")
		}
		name += "-" + k
	}
	return name + ".proof.json"
}

// receiptFor returns the caller's signed receipt for a closed ballot.
func (s *Server) receiptFor(c echo.Context, b *store.Ballot) ([]byte, string, error) {
	if b.State != store.StateClosed {
		return nil, "", domain.Stated("ballot_not_closed", "receipts are issued after the ballot closes")
	}
	if b.Secrecy == domain.SecrecySecret {
		return s.secretReceipt(c, b)
	}
	if s.signer == nil || s.signer.SigningKey() == nil {
		return nil, "", errors.New("web: no signing key for receipts")
	}
	ctx := c.Request().Context()
	me := currentCitizen(c)
	if _, err := s.store.VoteOf(ctx, b.ID, me.ID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, "", errorf(http.StatusNotFound, "no_vote", "you did not vote directly on this ballot, so there is no receipt: your weight (if any) went through your delegation")
		}
		return nil, "", err
	}
	voter, err := s.store.VoterID(ctx, *b, me.ID)
	if err != nil {
		return nil, "", err
	}
	receipts, err := s.results.receipts.get(ctx, b.ProofHash, func(ctx context.Context) (*proof.Receipts, error) {
		raw, err := s.proofJSON(ctx, b)
		if err != nil {
			return nil, err
		}
		doc, err := proof.ParseProof(countOf(raw))
		if err != nil {
			return nil, fmt.Errorf("web: stored proof of ballot %d: %w", b.ID, err)
		}
		return proof.NewReceipts(doc)
	})
	if err != nil {
		return nil, "", err
	}
	rc, err := receipts.Receipt(voter, s.signer.SigningKey())
	if err != nil {
		return nil, "", errorf(http.StatusNotFound, "no_vote", "your vote is not in this ballot's proof")
	}
	return rc, voter, nil
}

func (s *Server) apiReceipt(c echo.Context) error {
	b := routeBallot(c)
	rc, _, err := s.receiptFor(c, b)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="koinon-ballot-%d.receipt.json"`, b.ID))
	return c.Blob(http.StatusOK, "application/json", rc)
}

type logEntryJSON struct {
	Seq      int64           `json:"seq"`
	Kind     string          `json:"kind"`
	At       time.Time       `json:"at"`
	Payload  json.RawMessage `json:"payload"`
	PrevHash string          `json:"prev_hash"`
	Hash     string          `json:"hash"`
}

// apiBallotLog serves the ballot's hash-chained event log. Entries name
// voters as the proof does (handles, or pseudonyms) and never a choice.
func (s *Server) apiBallotLog(c echo.Context) error {
	b := routeBallot(c)
	events, err := s.store.BallotLog(c.Request().Context(), b.ID)
	if err != nil {
		return err
	}
	head, err := store.CheckLog(b.ID, events)
	if err != nil {
		return fmt.Errorf("web: log of ballot %d is broken: %w", b.ID, err)
	}
	out := make([]logEntryJSON, len(events))
	for i, e := range events {
		out[i] = logEntryJSON{Seq: e.Seq, Kind: e.Kind, At: e.At.UTC(), Payload: json.RawMessage(e.Payload), PrevHash: e.PrevHash, Hash: e.Hash}
	}
	return c.JSON(http.StatusOK, map[string]any{
		"ballot": b.ID, "head": head, "genesis": store.GenesisHash, "entries": out,
		"hash_rule": `sha256_hex(prev_hash + "\n" + ballot + "\n" + seq + "\n" + kind + "\n" + at + "\n" + payload)`,
	})
}

func (s *Server) wellKnownKey(c echo.Context) error {
	if s.signer == nil {
		return errorf(http.StatusServiceUnavailable, "no_key", "the platform key is not configured")
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	return c.JSON(http.StatusOK, s.signer.KeyDocument())
}

type verifyView struct {
	Page
	KeyJSON string
	Texts   string // JSON: the verify.js.* texts in the page's language
}

// verifyPage renders the in-browser proof verifier (templates/pages/verify.html;
// its WebAssembly is served from /static/wasm/).
func (s *Server) verifyPage(c echo.Context) error {
	p := verifyView{Page: s.page(c, "ballot.verify.title")}
	texts, err := json.Marshal(s.locales.prefixed("verify.js.", p.Lang))
	if err != nil {
		return err
	}
	p.Texts = string(texts)
	if s.signer != nil {
		if b, err := json.Marshal(s.signer.KeyDocument()); err == nil {
			p.KeyJSON = string(b)
		}
	}
	return s.render(c, http.StatusOK, "verify", p)
}
