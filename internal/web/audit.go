package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"koinon/internal/store"
)

// auditStore is what the audit handlers need of the store.
type auditStore interface {
	BallotOptions(ctx context.Context, ballotID int64) ([]store.BallotOption, error)
}

// auditInfo is what the audit page takes from a sealed proof.
type auditInfo struct {
	Format    string `json:"format"`
	VotesRoot string `json:"votes_root"`
	IssuedAt  string `json:"issued_at"`
	Signer    struct {
		KeyID     string `json:"key_id"`
		PublicKey string `json:"public_key"`
	} `json:"signer"`
	Tiebreak []string `json:"tiebreak"`
	Ballot   struct {
		Options []struct{ Key, Label string } `json:"options"`
	} `json:"ballot"`
}

type auditPage struct {
	Page
	Ballot      resBallot
	Audit       auditInfo
	LogHead     string
	ProofHash   string
	ProofURL    string
	ProofName   string // the file name the download gets (Content-Disposition)
	VerifierURL string
	ExportURLs  []auditExport
	// TieOrder is the proof's tie-break order, earliest first.
	TieOrder []auditOption
}

type auditOption struct {
	Key, Label string
}

type auditExport struct {
	URL, Key string
}

// ballotAudit reads the proof's seal fields once per proof hash.
func (s *Server) ballotAudit(ctx context.Context, b *store.Ballot) (auditInfo, error) {
	return s.results.audits.get(ctx, b.ProofHash, func(ctx context.Context) (auditInfo, error) {
		var a auditInfo
		raw, err := s.proofJSON(ctx, b)
		if err != nil {
			return a, err
		}
		if err := json.Unmarshal(raw, &a); err != nil {
			return a, fmt.Errorf("audit: parse proof of ballot %d: %w", b.ID, err)
		}
		return a, nil
	})
}

// showAudit renders GET /ballots/:id/audit.
func (s *Server) showAudit(c echo.Context) error {
	b, _ := c.Get("ballot").(*store.Ballot)
	if b == nil {
		return errorf(http.StatusNotFound, "not_found", "not found")
	}
	page := auditPage{Page: s.page(c, "audit.title"), Ballot: newResBallot(b, routeCommunityOf(c))}
	if !page.Ballot.Closed {
		return s.render(c, http.StatusOK, "ballot_audit", page)
	}
	a, err := s.ballotAudit(c.Request().Context(), b)
	if err != nil {
		return err
	}
	id := strconv.FormatInt(b.ID, 10)
	page.Audit, page.LogHead, page.ProofHash = a, b.LogHead, b.ProofHash
	opts, err := s.store.BallotOptions(c.Request().Context(), b.ID)
	if err != nil {
		return err
	}
	for _, k := range a.Tiebreak {
		o := auditOption{Key: k, Label: k}
		if i := slices.IndexFunc(opts, func(o store.BallotOption) bool { return o.Key == k }); i >= 0 {
			o.Label = opts[i].Label
		}
		page.TieOrder = append(page.TieOrder, o)
	}
	page.ProofURL, page.ProofName = "/api/v1/ballots/"+id+"/proof", proofFileName(b)
	page.VerifierURL = "/verify?proof=" + url.QueryEscape(page.ProofURL)
	page.ExportURLs = []auditExport{
		{"/api/v1/ballots/" + id + "/export/result.csv", "audit.export.result"},
		{"/api/v1/ballots/" + id + "/export/ballots.csv", "audit.export.ballots"},
	}
	if exportRanked(b.Method) {
		page.ExportURLs = append(page.ExportURLs, auditExport{"/api/v1/ballots/" + id + "/export/ballots.blt", "audit.export.blt"})
	}
	if b.Method == "budget" {
		page.ExportURLs = append(page.ExportURLs, auditExport{"/api/v1/ballots/" + id + "/export/ballots.pb", "audit.export.pb"})
	}
	return s.render(c, http.StatusOK, "ballot_audit", page)
}
