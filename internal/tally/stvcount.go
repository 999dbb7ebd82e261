package tally

import (
	"fmt"

	"koinon/internal/tally/stv"
)

// countSTV implements tally.md §4.6 through package stv: options become
// candidates 0..n-1 in option order, identical rankings are summed into one
// weighted ballot (a voter of weight W counts as W identical ballots), and
// the tie-break order becomes stv's TieOrder. Without votes there are no
// rounds and no winners.
func countSTV(c counting, r *Result) error {
	n := len(c.ballot.Options)
	groups := c.groupRankings()
	first := make([]int64, n)
	e := stv.Election{Candidates: n, Seats: c.ballot.Seats, TieOrder: make([]int, n)}
	for _, g := range groups {
		if len(g.ranking) > 0 {
			first[g.ranking[0]] += g.weight
		}
		e.Ballots = append(e.Ballots, stv.Ballot{Weight: g.weight, Ranking: g.ranking})
	}
	for i, pos := range c.tieRank {
		e.TieOrder[pos] = i
	}
	r.Totals = c.optionTotals(first, nil)
	r.STVRounds = []STVRound{}
	if len(c.ballots) == 0 {
		return nil
	}
	count := stv.Meek
	if c.ballot.STVRule == "scottish" {
		count = stv.Scottish
	}
	res, err := count(e)
	if err != nil {
		return fmt.Errorf("tally: count stv (%s): %w", stvRule(c.ballot), err)
	}
	r.STVRounds, err = c.stvRounds(res.Rounds)
	if err != nil {
		return err
	}
	if c.quorumMet {
		for _, w := range res.Winners {
			r.Winners = append(r.Winners, c.ballot.Options[w].Key)
		}
	}
	return nil
}

func stvRule(b Ballot) string {
	if b.STVRule == "" {
		return "meek"
	}
	return b.STVRule
}

// stvRounds maps stv's rounds onto option keys.
func (c counting) stvRounds(rounds []stv.Round) ([]STVRound, error) {
	n := len(c.ballot.Options)
	key := func(i int) string { return c.ballot.Options[i].Key }
	keys := func(idx []int) []string {
		out := make([]string, len(idx))
		for j, i := range idx {
			out[j] = key(i)
		}
		return out
	}
	out := make([]STVRound, len(rounds))
	for ri, rd := range rounds {
		if len(rd.Votes) != n || len(rd.States) != n || rd.Keep != nil && len(rd.Keep) != n {
			return nil, fmt.Errorf("tally: stv round %d: figures for %d candidates, want %d", ri+1, len(rd.Votes), n)
		}
		cands := make(map[string]STVCandidate, n)
		for i := range n {
			sc := STVCandidate{Vote: rd.Votes[i], State: rd.States[i]}
			if rd.Keep != nil {
				sc.Keep = rd.Keep[i]
			}
			cands[key(i)] = sc
		}
		sr := STVRound{
			Quota:      rd.Quota,
			Exhausted:  rd.Exhausted,
			Candidates: cands,
			Elected:    keys(rd.Elected),
			Defeated:   keys(rd.Defeated),
			Action:     rd.Action,
		}
		if rd.Subject >= 0 && rd.Subject < n {
			sr.Subject = key(rd.Subject)
		}
		out[ri] = sr
	}
	return out, nil
}
