package web

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"koinon/internal/blt"
	"koinon/internal/domain"
	"koinon/internal/store"
	"koinon/internal/tally"
)

// Exports let anyone who may see a closed ballot take its result and its
// ballots elsewhere (docs/results.md):
//
//   - result.csv: round,option,label,total,rank,status — the totals per
//     option and round as the result states them;
//   - ballots.csv: voter,weight,choice — one row per casting voter
//     (carrier) with the weight W(c) its choice counted with and the
//     choice as the proof's canonical JSON;
//   - ballots.blt: the same ballots as a BLT file for ranked methods, so
//     that other STV software can recount them.

func exportRanked(m string) bool { return m == "irv" || m == "stv" || m == "schulze" }

// exportBallot is the route's ballot, which must be closed and sealed.
func exportBallot(c echo.Context) (*store.Ballot, error) {
	b, _ := c.Get("ballot").(*store.Ballot)
	if b == nil {
		return nil, errorf(http.StatusNotFound, "not_found", "not found")
	}
	if b.State != store.StateClosed || b.ProofHash == "" {
		return nil, errorf(http.StatusConflict, "not_closed", "the ballot is not closed yet: exports exist once it is counted")
	}
	return b, nil
}

func exportAttachment(c echo.Context, name, contentType string, body []byte) error {
	h := c.Response().Header()
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("Cache-Control", "private, max-age=300")
	return c.Blob(http.StatusOK, contentType, body)
}

// exportResultCSV serves GET /api/v1/ballots/:id/export/result.csv.
func (s *Server) exportResultCSV(c echo.Context) error {
	b, err := exportBallot(c)
	if err != nil {
		return err
	}
	d, err := s.ballotResult(c.Request().Context(), b)
	if err != nil {
		return err
	}
	body, err := resultCSV(d)
	if err != nil {
		return err
	}
	return exportAttachment(c, fmt.Sprintf("ballot-%d-result.csv", b.ID), "text/csv; charset=utf-8", body)
}

// resultCSV writes the totals per option and round. Rows whose option is
// "_exhausted" or "_quota" (never an option key, which has no '_') carry
// the round's exhausted weight and STV quota.
func resultCSV(d *resultData) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"round", "option", "label", "total", "rank", "status"})
	r := &d.Result
	winner := func(k string) string {
		if slices.Contains(r.Winners, k) {
			return "winner"
		}
		return ""
	}
	// A round's "elected" is only "would_be_elected" when the result
	// elected nobody (quorum not met), as on the result page.
	elected := func(status string) string {
		if status == "elected" && len(r.Winners) == 0 {
			return "would_be_elected"
		}
		return status
	}
	row := func(round int, key, total, rank, status string) {
		label := ""
		if !strings.HasPrefix(key, "_") {
			label = d.Label(key)
		}
		w.Write([]string{strconv.Itoa(round), key, domain.CSVText(label), total, rank, status})
	}
	switch d.Method {
	case "majority", "plurality", "approval":
		for _, o := range d.Options {
			row(1, o.Key, strconv.FormatInt(r.Totals[o.Key], 10), "", winner(o.Key))
		}
	case "irv":
		for i, rd := range r.IRVRounds {
			for _, o := range d.Options {
				t, ok := rd.Totals[o.Key]
				if !ok {
					continue
				}
				status := ""
				switch o.Key {
				case rd.Eliminated:
					status = "eliminated"
				case rd.Elected:
					status = elected("elected")
				}
				row(i+1, o.Key, strconv.FormatInt(t, 10), "", status)
			}
			row(i+1, "_exhausted", strconv.FormatInt(rd.Exhausted, 10), "", "")
		}
	case "stv":
		for i, rd := range r.STVRounds {
			for _, o := range d.Options {
				cd, ok := rd.Candidates[o.Key]
				if !ok {
					continue
				}
				row(i+1, o.Key, cd.Vote, "", elected(cd.State))
			}
			row(i+1, "_exhausted", rd.Exhausted, "", "")
			row(i+1, "_quota", rd.Quota, "", "")
		}
	case "budget":
		// rank: the order in which a project was funded (rounds); status:
		// funded (a winner), or would_be_funded when the quorum failed.
		rank := map[string]int{}
		if r.Budget != nil {
			for i, rd := range r.Budget.Rounds {
				rank[rd.Key] = i + 1
			}
		}
		for _, o := range d.Options {
			rk, status := "", ""
			if n, ok := rank[o.Key]; ok {
				rk = strconv.Itoa(n)
			}
			switch {
			case slices.Contains(r.Winners, o.Key):
				status = "funded"
			case rk != "" && !r.QuorumMet:
				status = "would_be_funded"
			}
			row(1, o.Key, strconv.FormatInt(r.Totals[o.Key], 10), rk, status)
		}
	case "schulze":
		rank := map[string]int{}
		for i, g := range r.Ranking {
			for _, k := range g {
				rank[k] = i + 1
			}
		}
		for i, o := range d.Options {
			beats := 0
			for j := range d.Options {
				if i != j && i < len(r.Paths) && j < len(r.Paths) && r.Paths[i][j] > r.Paths[j][i] {
					beats++
				}
			}
			rk := ""
			if n, ok := rank[o.Key]; ok {
				rk = strconv.Itoa(n)
			}
			row(1, o.Key, strconv.Itoa(beats), rk, winner(o.Key))
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// exportVotes is the part of a proof the ballot exports read.
type exportVotes struct {
	Votes []struct {
		Voter  string          `json:"voter"`
		Choice json.RawMessage `json:"choice"`
	} `json:"votes"`
	Tiebreak []string `json:"tiebreak"`
}

func (s *Server) exportLoadVotes(ctx context.Context, b *store.Ballot) (*resultData, *exportVotes, error) {
	d, err := s.ballotResult(ctx, b)
	if err != nil {
		return nil, nil, err
	}
	raw, err := s.proofJSON(ctx, b)
	if err != nil {
		return nil, nil, err
	}
	var pv exportVotes
	if err := json.Unmarshal(raw, &pv); err != nil {
		return nil, nil, fmt.Errorf("export: parse proof of ballot %d: %w", b.ID, err)
	}
	return d, &pv, nil
}

// exportBallotsCSV serves GET /api/v1/ballots/:id/export/ballots.csv.
func (s *Server) exportBallotsCSV(c echo.Context) error {
	b, err := exportBallot(c)
	if err != nil {
		return err
	}
	d, pv, err := s.exportLoadVotes(c.Request().Context(), b)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"voter", "weight", "choice"})
	for _, v := range pv.Votes {
		w.Write([]string{v.Voter, strconv.FormatInt(d.carrierWeight(v.Voter), 10), string(v.Choice)})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	return exportAttachment(c, fmt.Sprintf("ballot-%d-ballots.csv", b.ID), "text/csv; charset=utf-8", buf.Bytes())
}

// exportBLT serves GET /api/v1/ballots/:id/export/ballots.blt.
func (s *Server) exportBLT(c echo.Context) error {
	b, err := exportBallot(c)
	if err != nil {
		return err
	}
	if !exportRanked(b.Method) {
		return errorf(http.StatusNotFound, "not_ranked", "a BLT file exists for ranked ballots only (irv, stv, schulze); this ballot uses "+b.Method)
	}
	d, pv, err := s.exportLoadVotes(c.Request().Context(), b)
	if err != nil {
		return err
	}
	el, err := exportBLTElection(b, d, pv)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := blt.Format(&buf, el); err != nil {
		return fmt.Errorf("export: ballot %d as BLT: %w", b.ID, err)
	}
	return exportAttachment(c, fmt.Sprintf("ballot-%d.blt", b.ID), "text/plain; charset=utf-8", buf.Bytes())
}

// exportBLTElection writes the ballots of a ranked ballot as a BLT election.
// Candidates are listed in the reverse of the ballot's tie-break order, so
// that software breaking ties against the first-listed candidate (Droop's
// meek-prf, `koinon tally --blt --tiebreak file`) breaks them as Koinon
// did. Identical rankings are merged into one line whose weight is the sum
// of their W(c); lines keep the order of their first voter. A schulze
// ranking's tied group becomes an equal rank ("2=3"); options it leaves
// out are left out of the line.
func exportBLTElection(b *store.Ballot, d *resultData, pv *exportVotes) (*blt.Election, error) {
	order := pv.Tiebreak
	if len(order) != len(d.Options) {
		order = make([]string, len(d.Options))
		for i, o := range d.Options {
			order[i] = o.Key
		}
	}
	n := len(order)
	num := make(map[string]int, n) // option key → 1-based candidate number
	names := make([]string, n)
	for i := range order {
		k := order[n-1-i]
		num[k] = i + 1
		names[i] = bltLine(d.Label(k))
	}
	seats := max(b.Seats, 1)
	if b.Method == "irv" {
		seats = 1
	}
	el := &blt.Election{Candidates: n, Seats: min(seats, n), Names: names, Title: bltLine(b.Title)}
	index := map[string]int{}
	for _, v := range pv.Votes {
		w := d.carrierWeight(v.Voter)
		if w < 1 {
			continue
		}
		dec, err := tally.DecodeChoice(b.Method, v.Choice)
		if err != nil {
			return nil, fmt.Errorf("export: vote of %s: %w", v.Voter, err)
		}
		groups := dec.Groups
		if b.Method != "schulze" {
			groups = make([][]string, len(dec.Keys))
			for i, k := range dec.Keys {
				groups[i] = []string{k}
			}
		}
		bl := blt.Ballot{Ranking: []int{}, Overvote: -1}
		var ranks [][]int
		tied := false
		for _, g := range groups {
			pos := make([]int, 0, len(g))
			for _, k := range g {
				c, ok := num[k]
				if !ok {
					return nil, fmt.Errorf("export: vote of %s names unknown option %q", v.Voter, k)
				}
				pos = append(pos, c)
			}
			ranks = append(ranks, pos)
			if len(pos) > 1 && !tied {
				tied, bl.Overvote = true, len(bl.Ranking)
			}
			if !tied {
				bl.Ranking = append(bl.Ranking, pos[0])
			}
		}
		if tied {
			bl.Ranks = ranks
		}
		key := fmt.Sprint(ranks)
		if i, ok := index[key]; ok {
			el.Ballots[i].Weight += w
			continue
		}
		index[key] = len(el.Ballots)
		bl.Weight = w
		el.Ballots = append(el.Ballots, bl)
	}
	return el, nil
}

// bltLine makes a label or title fit one quoted BLT line: one line, and
// double quotes turned into single ones.
func bltLine(s string) string {
	s = strings.Join(strings.Fields(strings.ReplaceAll(s, `"`, "'")), " ")
	if s == "" {
		return "-"
	}
	return s
}
