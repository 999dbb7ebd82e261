package stv

import "slices"

// Meek fixed point: 9 decimals, omega 10^-6.
const (
	meekDigits = 9
	meekOne    = 1_000_000_000
	meekOmega  = 1_000
)

// Meek counts by the PR Foundation's Meek reference rule (tally.md §4.6,
// the rule of Droop's meek-prf):
//
//   - A: hopefuls start with keep factor 1 (withdrawn 0).
//   - B.1: rounds go on while hopefuls > seats left > 0.
//   - B.2.a: each ballot starts with weight 1; each candidate in turn keeps
//     weight × keep factor rounded up to 9 decimals (at most what remains)
//     and the weight drops by as much. A group of w ballots gives w times a
//     single ballot's amounts. What remains at the end is exhausted.
//   - B.2.b: quota = Σ votes / (seats + 1), truncated, + 10⁻⁹.
//   - B.2.c–e: every hopeful at or above quota is elected and ends the
//     round; otherwise the round's iteration stops when the surplus
//     Σ(vote − quota) is below 10⁻⁶ or (after the first iteration) not below
//     the previous one.
//   - B.2.f: kf ← (kf × quota, rounded up to 9 decimals) / vote, rounded up
//     again (the reference rule's two roundings; capped at 1).
//   - B.3: the hopeful with the lowest vote is defeated; every hopeful with
//     vote ≤ lowest + surplus is tied with it and the latest of them in
//     TieOrder is defeated. One defeat per round.
//   - C: the last round then elects the remaining hopefuls if seats remain,
//     else defeats them.
//
// Candidates elected in the same round are ordered by vote, then TieOrder.
// A round reports the votes and keep factors of its last distribution and
// the states after its action (a candidate defeated in the round still shows
// the vote it had).
func Meek(e Election) (Result, error) {
	k, err := newCount(e)
	if err != nil {
		return Result{}, err
	}
	t := newTrie(k.groups)
	n := k.n
	kf := make([]int64, n)
	for c := range n {
		if k.state[c] == stHopeful {
			kf[c] = meekOne
		}
	}
	votes := make([]int64, n)
	var res Result
	seatsLeft := e.Seats
	hopeful := len(k.with(stHopeful))
	seats := int64(e.Seats) + 1

	// One distribution and its quota.
	distribute := func() (exhausted, quota int64) {
		exhausted = t.distribute(kf, votes)
		var sum int64
		for _, v := range votes {
			sum += v
		}
		return exhausted, sum/seats + 1
	}
	record := func(exhausted, quota, surplus int64, iters int) *Round {
		res.Rounds = append(res.Rounds, Round{
			Quota:      decimal(quota, meekDigits),
			Exhausted:  decimal(exhausted, meekDigits),
			Votes:      decimals(votes, meekDigits),
			Keep:       decimals(kf, meekDigits),
			Action:     "count",
			Subject:    -1,
			Surplus:    decimal(surplus, meekDigits),
			Iterations: iters,
		})
		return &res.Rounds[len(res.Rounds)-1]
	}
	// elect marks cs elected, highest vote first.
	elect := func(r *Round, cs []int) {
		k.byTie(cs)
		slices.SortStableFunc(cs, func(a, b int) int { return cmpDesc(votes[a], votes[b]) })
		for _, c := range cs {
			k.state[c] = stElected
			r.Elected = append(r.Elected, c)
			res.Winners = append(res.Winners, c)
		}
		seatsLeft -= len(cs)
		hopeful -= len(cs)
	}

	for hopeful > seatsLeft && seatsLeft > 0 {
		var exhausted, quota, surplus int64
		last := int64(-1)
		iters := 0
		var newly []int
		for {
			exhausted, quota = distribute()
			iters++
			newly = newly[:0]
			for c := range n {
				if k.state[c] == stHopeful && votes[c] >= quota {
					newly = append(newly, c)
				}
			}
			surplus = 0
			for c := range n {
				if k.state[c] == stElected || slices.Contains(newly, c) {
					surplus += votes[c] - quota
				}
			}
			surplus = max(surplus, 0)
			if len(newly) > 0 || surplus < meekOmega || (last >= 0 && surplus >= last) {
				break
			}
			last = surplus
			for c := range n {
				if k.state[c] != stElected {
					continue
				}
				next := int64(meekOne)
				if p, ok := mulDiv(kf[c], quota, meekOne, true); ok {
					if v, ok := mulDiv(p, meekOne, votes[c], true); ok && v < meekOne {
						next = v
					}
				}
				kf[c] = next
			}
		}
		r := record(exhausted, quota, surplus, iters)
		if len(newly) > 0 {
			elect(r, newly)
		} else {
			hs := k.with(stHopeful)
			low := votes[hs[0]]
			for _, c := range hs {
				low = min(low, votes[c])
			}
			var tied []int
			for _, c := range hs {
				if votes[c] <= low+surplus {
					tied = append(tied, c)
				}
			}
			k.byTie(tied)
			d := tied[len(tied)-1]
			k.state[d] = stDefeated
			kf[d] = 0
			hopeful--
			r.Defeated = append(r.Defeated, d)
		}
		r.States = k.states()
	}

	// C: elect or defeat the remaining hopefuls, in the last round.
	if len(res.Rounds) == 0 {
		exhausted, quota := distribute()
		var surplus int64
		record(exhausted, quota, surplus, 1)
	}
	r := &res.Rounds[len(res.Rounds)-1]
	if hs := k.with(stHopeful); len(hs) > 0 {
		if seatsLeft > 0 {
			elect(r, hs)
		} else {
			k.byTie(hs)
			slices.SortStableFunc(hs, func(a, b int) int { return cmpDesc(votes[a], votes[b]) })
			for _, c := range hs {
				k.state[c] = stDefeated
				r.Defeated = append(r.Defeated, c)
			}
		}
	}
	r.States = k.states()
	return res, nil
}

func cmpDesc(a, b int64) int {
	switch {
	case a > b:
		return -1
	case a < b:
		return 1
	}
	return 0
}

// trie is the prefix tree of the distinct rankings in preorder: a
// distribution visits each node once and skips the subtree below a node
// where the ballots' weight is used up.
type trie struct {
	nodes  []trieNode
	weight []int64 // remaining weight per depth during a walk
}

// trieNode counts ballots in int32: the total weight is at most
// MaxTotalWeight.
type trieNode struct {
	cand    int32
	depth   int32
	skip    int32 // index of the first node after this subtree
	through int32 // ballots whose ranking passes through this node
	ends    int32 // ballots whose ranking ends here
}

// newTrie builds the tree from groups sorted lexicographically.
func newTrie(groups []Ballot) *trie {
	size, depth := 0, 0
	var prev []int
	for _, g := range groups {
		size += len(g.Ranking) - commonPrefix(prev, g.Ranking)
		depth = max(depth, len(g.Ranking))
		prev = g.Ranking
	}
	t := &trie{nodes: make([]trieNode, 0, size), weight: make([]int64, depth+1)}
	path := make([]int32, 0, depth) // open node indexes, one per depth
	prev = nil
	for _, g := range groups {
		l := commonPrefix(prev, g.Ranking)
		for _, i := range path[l:] {
			t.nodes[i].skip = int32(len(t.nodes))
		}
		path = path[:l]
		for d := l; d < len(g.Ranking); d++ {
			path = append(path, int32(len(t.nodes)))
			t.nodes = append(t.nodes, trieNode{cand: int32(g.Ranking[d]), depth: int32(d)})
		}
		for _, i := range path {
			t.nodes[i].through += int32(g.Weight)
		}
		t.nodes[path[len(path)-1]].ends += int32(g.Weight)
		prev = g.Ranking
	}
	for _, i := range path {
		t.nodes[i].skip = int32(len(t.nodes))
	}
	return t
}

func commonPrefix(a, b []int) int {
	l := 0
	for l < len(a) && l < len(b) && a[l] == b[l] {
		l++
	}
	return l
}

// distribute sets votes (9-decimal units) from the keep factors and returns
// the exhausted weight.
func (t *trie) distribute(kf, votes []int64) (exhausted int64) {
	clear(votes)
	w := t.weight
	w[0] = meekOne
	nodes := t.nodes
	for i := 0; i < len(nodes); {
		nd := &nodes[i]
		rem := w[nd.depth]
		if f := kf[nd.cand]; f != 0 {
			keep := rem
			if f < meekOne {
				keep = min((rem*f+meekOne-1)/meekOne, rem)
			}
			votes[nd.cand] += keep * int64(nd.through)
			rem -= keep
		}
		if rem == 0 {
			i = int(nd.skip)
			continue
		}
		exhausted += rem * int64(nd.ends)
		w[nd.depth+1] = rem
		i++
	}
	return exhausted
}
