package web

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"koinon/internal/pabulib"
	"koinon/internal/store"
	"koinon/internal/tally"
)

// exportPB serves GET /api/v1/ballots/:id/export/ballots.pb: a closed
// budget ballot as a pabulib file that `koinon tally --pb` and other
// participatory-budgeting tools read. A .pb vote has no weight, so a
// carrier of weight W(c) is written as W(c) rows with the same approvals:
// its voter id (handle or pseudonym, as the proof has it) for the first,
// then "id~2", "id~3", …; the count is the same (budget.md: a voter of
// weight w counts as w voters of weight 1).
func (s *Server) exportPB(c echo.Context) error {
	b, err := exportBallot(c)
	if err != nil {
		return err
	}
	if b.Method != "budget" {
		return errorf(http.StatusNotFound, "not_budget", "a .pb file exists for budget ballots only; this ballot uses "+b.Method)
	}
	d, pv, err := s.exportLoadVotes(c.Request().Context(), b)
	if err != nil {
		return err
	}
	f, err := pbFile(b, d, pv)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := pabulib.Write(&buf, f); err != nil {
		return fmt.Errorf("export: ballot %d as .pb: %w", b.ID, err)
	}
	return exportAttachment(c, fmt.Sprintf("ballot-%d.pb", b.ID), "text/plain; charset=utf-8", buf.Bytes())
}

// pbFile is a budget ballot's votes as a pabulib file.
func pbFile(b *store.Ballot, d *resultData, pv *exportVotes) (*pabulib.File, error) {
	rule := "greedy"
	if b.BudgetRule == "mes" {
		rule = "equalshares"
		if b.Completion != "none" {
			rule += "/" + b.Completion
		}
	}
	f := &pabulib.File{}
	var rows int64
	for _, v := range pv.Votes {
		c, err := tally.DecodeChoice("budget", v.Choice)
		if err != nil {
			return nil, fmt.Errorf("export: vote of %s: %w", v.Voter, err)
		}
		w := d.carrierWeight(v.Voter)
		for i := range w {
			id := v.Voter
			if i > 0 {
				id += "~" + strconv.FormatInt(i+1, 10)
			}
			f.Votes = append(f.Votes, pabulib.Vote{Voter: id, Projects: c.Keys})
		}
		rows += w
	}
	f.Meta = []pabulib.Field{
		{Key: "description", Value: b.Title},
		{Key: "num_projects", Value: strconv.Itoa(len(d.Options))},
		{Key: "num_votes", Value: strconv.FormatInt(rows, 10)},
		{Key: "budget", Value: strconv.FormatInt(b.Budget, 10)},
		{Key: "vote_type", Value: "approval"},
		{Key: "rule", Value: rule},
		{Key: "currency", Value: b.Currency},
	}
	for _, o := range d.Options {
		f.Projects = append(f.Projects, pabulib.Project{ID: o.Key, Cost: o.Cost, Name: d.Label(o.Key)})
	}
	return f, nil
}
