package tally

import "slices"

// countIRV implements tally.md §4.4. Without votes there are no rounds.
// When every ballot is exhausted (all votes are empty rankings) no option
// has a majority, so options are eliminated by the tie rule until one is
// left, and it wins, as the spec says.
func countIRV(c counting, r *Result) {
	n := len(c.ballot.Options)
	groups := c.groupRankings()
	continuing := make([]bool, n)
	for i := range continuing {
		continuing[i] = true
	}
	left := n
	var history [][]int64 // totals of every round, by option index
	r.IRVRounds = []IRVRound{}
	if len(c.ballots) == 0 {
		r.Totals = c.optionTotals(make([]int64, n), nil)
		return
	}
	for {
		totals := make([]int64, n)
		var exhausted, live int64
		for _, g := range groups {
			counted := false
			for _, o := range g.ranking {
				if continuing[o] {
					totals[o] += g.weight
					live += g.weight
					counted = true
					break
				}
			}
			if !counted {
				exhausted += g.weight
			}
		}
		history = append(history, totals)
		if len(history) == 1 {
			r.Totals = c.optionTotals(totals, nil)
		}
		round := IRVRound{
			Totals:    c.optionTotals(totals, func(i int) bool { return continuing[i] }),
			Exhausted: exhausted,
		}
		leader := -1
		for i := range n {
			if continuing[i] && (leader < 0 || totals[i] > totals[leader]) {
				leader = i
			}
		}
		if totals[leader]*2 > live || left == 1 {
			round.Elected = c.ballot.Options[leader].Key
			r.IRVRounds = append(r.IRVRounds, round)
			if c.quorumMet {
				r.Winners = []string{round.Elected}
			}
			return
		}
		loser := c.irvLoser(history, continuing)
		round.Eliminated = c.ballot.Options[loser].Key
		r.IRVRounds = append(r.IRVRounds, round)
		continuing[loser] = false
		left--
	}
}

// irvLoser picks the continuing option to eliminate: the lowest in the last
// round; among tied ones the lowest in the round before, back to the first
// round; then the last of them in tie-break order.
func (c counting) irvLoser(history [][]int64, continuing []bool) int {
	var tied []int
	for round := len(history) - 1; round >= 0; round-- {
		totals := history[round]
		var low int64 = -1
		var next []int
		for i, ok := range continuing {
			if !ok || tied != nil && !slices.Contains(tied, i) {
				continue
			}
			switch {
			case low < 0 || totals[i] < low:
				low, next = totals[i], []int{i}
			case totals[i] == low:
				next = append(next, i)
			}
		}
		tied = next
		if len(tied) == 1 {
			return tied[0]
		}
	}
	c.byTiebreak(tied)
	return tied[len(tied)-1]
}
