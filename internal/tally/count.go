package tally

import (
	"cmp"
	"slices"
	"strings"
)

// weighted is one casting voter's choice with the weight W(c) it counts with.
type weighted struct {
	choice Choice
	weight int64
}

// counting is what every method reads.
type counting struct {
	ballot    Ballot
	keys      map[string]int // option index by key
	tieRank   []int          // tieRank[i]: position of option i in the tie-break order
	ballots   []weighted
	voters    []string // the voter of each ballot
	quorumMet bool
}

// Count validates in, resolves delegation and counts by the ballot's
// method (tally.md). Invalid input gives a *FieldError. The result is a
// function of the input alone: the order of the electorate and the votes
// does not matter.
func Count(in Input) (Result, error) {
	return count(in, nil)
}

// Aggregated holds a count's sums computed elsewhere: the weighted total
// of each option in ballot order (majority, plurality, approval) or the
// weighted pairwise matrix d[i][j], "i preferred to j" (schulze). A
// secret ballot's trustees decrypt exactly these (secret-ballot.md §7).
type Aggregated struct {
	Totals   []int64
	Pairwise [][]int64
}

// CountAggregated counts like Count, but takes the method's sums from agg
// instead of the votes' choices, which it ignores (a secret ballot's are
// encrypted): resolution, weights, quorum and winners follow the same
// rules. The votes still say who cast a ballot.
func CountAggregated(in Input, agg Aggregated) (Result, error) {
	n := len(in.Ballot.Options)
	switch in.Ballot.Method {
	case "majority", "plurality", "approval":
		if len(agg.Totals) != n {
			return Result{}, fieldErr("totals", "%d totals for %d options", len(agg.Totals), n)
		}
	case "schulze":
		if len(agg.Pairwise) != n || slices.ContainsFunc(agg.Pairwise, func(r []int64) bool { return len(r) != n }) {
			return Result{}, fieldErr("pairwise", "want a %d×%d matrix", n, n)
		}
	default:
		return Result{}, fieldErr("ballot.method", "%s cannot be counted from sums", Quote(in.Ballot.Method))
	}
	return count(in, &agg)
}

func count(in Input, agg *Aggregated) (Result, error) {
	keys, p, err := validateInput(in, agg == nil)
	if err != nil {
		return Result{}, err
	}
	res := resolve(in.Electorate, in.Votes, p, in.Ballot.Delegation)
	r := Result{Weights: res.Weights}

	order := make([]int, len(in.Electorate))
	for i := range order {
		order[i] = i
	}
	byVoter := func(a, b int) int { return strings.Compare(in.Electorate[a].Voter, in.Electorate[b].Voter) }
	if !slices.IsSortedFunc(order, byVoter) {
		slices.SortFunc(order, byVoter)
	}
	r.Resolution = make([]ResolutionRow, 0, len(order))
	r.Carriers = make([]Carrier, 0, len(in.Votes))
	for _, i := range order {
		row := res.Row(i)
		switch row.State {
		case StateAbsent:
			continue
		case StateCast:
			r.Carriers = append(r.Carriers, Carrier{Voter: row.Voter, Weight: row.Weight})
		}
		r.Resolution = append(r.Resolution, ResolutionRow{Voter: row.Voter, State: row.State, Via: row.Via, To: row.To, Hops: row.Hops})
	}

	q := in.Ballot.Quorum
	c := counting{
		ballot:    in.Ballot,
		keys:      keys,
		tieRank:   make([]int, len(in.Ballot.Options)),
		ballots:   make([]weighted, len(in.Votes)),
		voters:    make([]string, len(in.Votes)),
		quorumMet: cmpProducts(r.Weights.Participating, q.Den, q.Num, r.Weights.Eligible) >= 0,
	}
	r.QuorumMet = c.quorumMet
	for pos, k := range in.Tiebreak {
		c.tieRank[keys[k]] = pos
	}
	for i, v := range in.Votes {
		c.ballots[i] = weighted{choice: v.Choice, weight: res.weight[p.votePos[i]]} // validate found every voter
		c.voters[i] = v.Voter
	}

	switch {
	case agg != nil && in.Ballot.Method == "majority":
		majorityResult(c, &r, agg.Totals[keys["yes"]], agg.Totals[keys["no"]], agg.Totals[keys["abstain"]])
	case agg != nil && in.Ballot.Method == "schulze":
		schulzeResult(c, &r, agg.Pairwise)
	case agg != nil:
		pluralityResult(c, &r, agg.Totals)
	}
	switch method := in.Ballot.Method; {
	case agg != nil:
	case method == "majority":
		countMajority(c, &r)
	case method == "plurality" || method == "approval":
		countPlurality(c, &r)
	case method == "irv":
		countIRV(c, &r)
	case method == "schulze":
		countSchulze(c, &r)
	case method == "stv":
		err = countSTV(c, &r)
	case method == "budget":
		countBudget(c, &r)
	}
	if err != nil {
		return Result{}, err
	}
	r.Winners = nonNil(r.Winners)
	return r, nil
}

// optionTotals turns per-option totals into the map results write.
func (c counting) optionTotals(totals []int64, include func(int) bool) map[string]int64 {
	m := make(map[string]int64, len(totals))
	for i, o := range c.ballot.Options {
		if include == nil || include(i) {
			m[o.Key] = totals[i]
		}
	}
	return m
}

// byTiebreak sorts option indexes by tie-break order, earliest first.
func (c counting) byTiebreak(opts []int) {
	slices.SortFunc(opts, func(a, b int) int { return cmp.Compare(c.tieRank[a], c.tieRank[b]) })
}

// countMajority implements tally.md §4.1.
func countMajority(c counting, r *Result) {
	var yes, no, abstain int64
	for _, b := range c.ballots {
		switch b.choice.Word {
		case "yes":
			yes += b.weight
		case "no":
			no += b.weight
		case "abstain":
			abstain += b.weight
		}
	}
	majorityResult(c, r, yes, no, abstain)
}

// majorityResult decides a majority ballot from its weighted totals.
func majorityResult(c counting, r *Result, yes, no, abstain int64) {
	r.Totals = map[string]int64{"yes": yes, "no": no, "abstain": abstain}
	t := c.ballot.Threshold
	passed := false
	if c.quorumMet && yes+no > 0 {
		s := cmpProducts(yes, t.Den, t.Num, yes+no)
		passed = s > 0 || s == 0 && !c.ballot.Strict
	}
	r.Passed = &passed
	if passed {
		r.Winners = []string{"yes"}
	}
}

// countPlurality implements tally.md §4.2 and §4.3. Only options with a
// positive total can win, so seats stay empty when too few options got
// any weight (and without votes there are no winners).
func countPlurality(c counting, r *Result) {
	totals := make([]int64, len(c.ballot.Options))
	for _, b := range c.ballots {
		if c.ballot.Method == "plurality" {
			totals[c.keys[b.choice.Word]] += b.weight
			continue
		}
		for _, k := range b.choice.Keys {
			totals[c.keys[k]] += b.weight
		}
	}
	pluralityResult(c, r, totals)
}

// pluralityResult decides a plurality or approval ballot from its
// weighted totals per option.
func pluralityResult(c counting, r *Result, totals []int64) {
	r.Totals = c.optionTotals(totals, nil)
	if !c.quorumMet {
		return
	}
	ranked := make([]int, len(totals))
	for i := range ranked {
		ranked[i] = i
	}
	slices.SortFunc(ranked, func(a, b int) int {
		if totals[a] != totals[b] {
			return cmp.Compare(totals[b], totals[a])
		}
		return cmp.Compare(c.tieRank[a], c.tieRank[b])
	})
	if len(c.ballots) == 0 {
		return // no votes, no winners (proof.md)
	}
	for _, i := range ranked[:min(c.ballot.Seats, len(ranked))] {
		r.Winners = append(r.Winners, c.ballot.Options[i].Key)
	}
}

// rankingKey appends a compact, order-preserving key of option indexes.
func rankingKey(buf []byte, idx []int) []byte {
	for _, i := range idx {
		buf = append(buf, byte(i>>8), byte(i))
	}
	return buf
}

// rankedGroup is the summed weight of identical strict rankings.
type rankedGroup struct {
	ranking []int
	weight  int64
}

// groupRankings sums the weights of identical strict rankings (irv, stv)
// and returns the groups in a fixed order (by ranking).
func (c counting) groupRankings() []rankedGroup {
	at := make(map[string]int)
	var groups []rankedGroup
	var buf []byte
	idx := make([]int, 0, len(c.ballot.Options))
	for _, b := range c.ballots {
		idx = idx[:0]
		for _, k := range b.choice.Keys {
			idx = append(idx, c.keys[k])
		}
		buf = rankingKey(buf[:0], idx)
		if g, ok := at[string(buf)]; ok {
			groups[g].weight += b.weight
			continue
		}
		at[string(buf)] = len(groups)
		groups = append(groups, rankedGroup{ranking: slices.Clone(idx), weight: b.weight})
	}
	slices.SortFunc(groups, func(a, b rankedGroup) int { return slices.Compare(a.ranking, b.ranking) })
	return groups
}
