package stv

// Scottish values have 5 decimals.
const (
	scotDigits = 5
	scotOne    = 100_000
)

// parcel is w papers of one distinct ranking, held by Ranking[pos] at value
// v (5-decimal units per paper).
type parcel struct {
	group int
	pos   int
	w, v  int64
}

// Scottish counts by the Scottish local-government rules (SSI 2007/42,
// rules 45–52), weighted inclusive Gregory:
//
//   - quota = ⌊valid / (seats + 1)⌋ + 1, valid being the non-empty rankings;
//     a candidate at or above quota is elected;
//   - stage 1 counts first preferences; each later stage either transfers
//     one surplus, the largest first, or excludes the single lowest hopeful;
//   - a surplus moves every paper the candidate holds, each at
//     surplus × its value / the candidate's total, truncated to 5 decimals,
//     to its next hopeful candidate (papers with none are exhausted); the
//     candidate keeps exactly the quota. What truncation drops is Lost;
//   - an excluded candidate's papers move at their current value;
//   - equal surpluses, or equal lowest candidates, are separated by the most
//     recent earlier stage at which they differed; if they never did, the
//     earliest in TieOrder has its surplus moved first and the latest in
//     TieOrder is excluded;
//   - before each stage: when every seat is filled the count ends and the
//     remaining hopefuls are defeated; when the hopefuls are no more than the
//     seats left, they are all elected (rule 52). Both happen in the last
//     reported stage, without a new one.
//
// Candidates elected in the same stage are ordered by total, with the same
// tie rule. An exclusion stage lists the excluded candidate in Defeated: the
// stage that moves its papers (the official sheets record the exclusion at
// the end of the previous stage).
func Scottish(e Election) (Result, error) {
	k, err := newCount(e)
	if err != nil {
		return Result{}, err
	}
	n := k.n
	quota := (k.total/int64(e.Seats+1) + 1) * scotOne
	totals := make([]int64, n)
	piles := make([][]parcel, n)
	moved := make([]bool, n) // surplus already transferred
	var exhausted, lost int64
	var history [][]int64 // totals at the end of each stage
	var res Result

	// give moves w papers of group g at value v from position pos onwards
	// to the next hopeful candidate, or exhausts them.
	give := func(g, pos int, w, v int64) {
		r := k.groups[g].Ranking
		for ; pos < len(r); pos++ {
			if c := r[pos]; k.state[c] == stHopeful {
				piles[c] = append(piles[c], parcel{group: g, pos: pos, w: w, v: v})
				totals[c] += w * v
				return
			}
		}
		exhausted += w * v
	}
	seatsLeft := func() int { return e.Seats - len(res.Winners) }
	surplusLeft := func() int64 {
		var s int64
		for c := range n {
			if k.state[c] == stElected && !moved[c] {
				s += totals[c] - quota
			}
		}
		return s
	}
	// pick returns the candidate of cs to act on: the highest (or lowest)
	// total, ties by earlier stages, then by TieOrder.
	pick := func(cs []int, highest bool) int {
		set := cs
		for s := len(history) - 1; s >= 0 && len(set) > 1; s-- {
			best := history[s][set[0]]
			for _, c := range set {
				if v := history[s][c]; (highest && v > best) || (!highest && v < best) {
					best = v
				}
			}
			var next []int
			for _, c := range set {
				if history[s][c] == best {
					next = append(next, c)
				}
			}
			set = next
		}
		k.byTie(set)
		if highest {
			return set[0]
		}
		return set[len(set)-1]
	}
	elect := func(r *Round, cs []int) {
		for len(cs) > 0 {
			c := pick(cs, true)
			k.state[c] = stElected
			r.Elected = append(r.Elected, c)
			res.Winners = append(res.Winners, c)
			cs = remove(cs, c)
		}
	}
	// stage closes a stage: elects those at quota and reports it.
	stage := func(action string, subject int) *Round {
		history = append(history, append([]int64(nil), totals...))
		r := Round{Action: action, Subject: subject}
		if subject >= 0 && k.state[subject] == stDefeated {
			r.Defeated = []int{subject}
		}
		var reached []int
		for c := range n {
			if k.state[c] == stHopeful && totals[c] >= quota {
				reached = append(reached, c)
			}
		}
		elect(&r, reached)
		r.Quota = decimal(quota, scotDigits)
		r.Votes = decimals(totals, scotDigits)
		r.States = k.states()
		r.Exhausted = decimal(exhausted, scotDigits)
		r.Lost = decimal(lost, scotDigits)
		r.Surplus = decimal(surplusLeft(), scotDigits)
		res.Rounds = append(res.Rounds, r)
		return &res.Rounds[len(res.Rounds)-1]
	}

	for g := range k.groups {
		give(g, 0, k.groups[g].Weight, scotOne)
	}
	last := stage("first", -1)
	for {
		hopefuls := k.with(stHopeful)
		if seatsLeft() == 0 {
			for _, c := range hopefuls {
				k.state[c] = stDefeated
				last.Defeated = append(last.Defeated, c)
			}
			break
		}
		if len(hopefuls) <= seatsLeft() {
			elect(last, hopefuls)
			break
		}
		var pending []int
		for c := range n {
			if k.state[c] == stElected && !moved[c] {
				if totals[c] > quota {
					pending = append(pending, c)
				} else {
					moved[c] = true
				}
			}
		}
		if len(pending) > 0 {
			c := pick(pending, true)
			surplus, total := totals[c]-quota, totals[c]
			var given int64
			for _, p := range piles[c] {
				v, _ := mulDiv(surplus, p.v, total, false) // v ≤ p.v: fits
				given += p.w * v
				give(p.group, p.pos+1, p.w, v)
			}
			lost += surplus - given
			piles[c], totals[c], moved[c] = nil, quota, true
			last = stage("surplus", c)
		} else {
			c := pick(hopefuls, false)
			k.state[c] = stDefeated
			for _, p := range piles[c] {
				give(p.group, p.pos+1, p.w, p.v)
			}
			piles[c], totals[c] = nil, 0
			last = stage("exclusion", c)
		}
	}

	last.States = k.states()
	return res, nil
}

func remove(cs []int, c int) []int {
	out := cs[:0:0]
	for _, x := range cs {
		if x != c {
			out = append(out, x)
		}
	}
	return out
}
