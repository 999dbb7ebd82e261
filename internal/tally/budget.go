package tally

import (
	"cmp"
	"container/heap"
	"math/big"
	"slices"
	"strings"
)

// budgetCount is the state of a budget count (budget.md) that its MES runs
// share. Voters with the same approvals are counted as one group: they
// start with the same endowment per unit of weight and pay the same per
// unit of weight in every round, so a group behaves as one voter of their
// summed weight.
type budgetCount struct {
	c         counting
	rules     BudgetRules
	cost      []int64 // per option
	votes     []int64 // votes(p) per option
	prec      []int   // position of each option in the tie order ≺
	cands     []int   // options with votes > 0, in ≺ order
	groups    []approvalGroup
	ofBallot  []int32   // group of each ballot
	approvers [][]int32 // per option: the groups approving it
	total     int64     // W: weight of all casting voters
}

// approvalGroup is the summed weight of ballots approving the same
// candidates (ascending option indexes).
type approvalGroup struct {
	projects []int
	weight   int64
}

// selection is one MES run's or the greedy rule's selection.
type selection struct {
	selected []int
	q        []*big.Rat // mes: price per unit of weight of each selection
	by       []string   // "mes" or "greedy", per selection
	spent    int64
}

func (o *selection) add(p int, q *big.Rat, by string, cost int64) {
	o.selected = append(o.selected, p)
	o.q = append(o.q, q)
	o.by = append(o.by, by)
	o.spent += cost
}

// countBudget implements tally.md §4.7 (budget.md).
func countBudget(c counting, r *Result) {
	b := newBudgetCount(c)
	r.Totals = c.optionTotals(b.votes, nil)
	res := &BudgetResult{}
	r.Budget = res

	var final selection
	if b.rules.Rule == "greedy" {
		final = b.greedy(nil, b.rules.Budget)
		res.Rounds = b.rounds(final)
	} else {
		x, e, steps := b.completed()
		res.Rounds = b.rounds(x)
		res.Endowment = e.RatString()
		res.Add1Steps = steps
		res.Payments = b.payments(x, e)
		final = x
		if b.rules.CompareWithGreedy {
			g := b.greedy(nil, b.rules.Budget)
			cw := b.compare(g, x)
			res.Comparison = &cw
			if cw.Used == "greedy" {
				final = g
			}
		}
	}
	res.Left = b.rules.Budget
	if !c.quorumMet {
		return
	}
	for _, p := range final.selected {
		r.Winners = append(r.Winners, c.ballot.Options[p].Key)
	}
	res.Spent, res.Left = final.spent, b.rules.Budget-final.spent
}

func newBudgetCount(c counting) *budgetCount {
	n := len(c.ballot.Options)
	b := &budgetCount{
		c:         c,
		rules:     c.ballot.Budget,
		cost:      make([]int64, n),
		votes:     make([]int64, n),
		prec:      make([]int, n),
		approvers: make([][]int32, n),
		ofBallot:  make([]int32, len(c.ballots)),
	}
	for i, o := range c.ballot.Options {
		b.cost[i] = o.Cost
	}
	at := make(map[string]int32)
	var key []byte
	idx := make([]int, 0, n)
	for i, w := range c.ballots {
		b.total += w.weight
		idx = idx[:0]
		for _, k := range w.choice.Keys {
			idx = append(idx, c.keys[k])
		}
		slices.Sort(idx)
		key = rankingKey(key[:0], idx)
		g, ok := at[string(key)]
		if !ok {
			g = int32(len(b.groups))
			at[string(key)] = g
			b.groups = append(b.groups, approvalGroup{projects: slices.Clone(idx)})
			for _, p := range idx {
				b.approvers[p] = append(b.approvers[p], g)
			}
		}
		b.groups[g].weight += w.weight
		b.ofBallot[i] = g
		for _, p := range idx {
			b.votes[p] += w.weight
		}
	}
	b.order()
	return b
}

// order fills prec and cands from cost, votes and the tie-break order.
func (b *budgetCount) order() {
	order := make([]int, len(b.cost))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, b.tieOrder)
	for pos, p := range order {
		b.prec[p] = pos
		if b.votes[p] > 0 {
			b.cands = append(b.cands, p)
		}
	}
}

// BudgetGreedy returns the projects that budget.md's greedy rule funds
// with the given votes per option key and budget, in the order it funds
// them; tiebreak is the ballot's tie-break order (tally.md §5). The results
// page uses it to show greedy beside a mes outcome.
func BudgetGreedy(opts []Option, votes map[string]int64, budget int64, tiebreak []string) []string {
	n := len(opts)
	b := &budgetCount{cost: make([]int64, n), votes: make([]int64, n), prec: make([]int, n)}
	b.c.tieRank = make([]int, n)
	pos := make(map[string]int, n)
	for i, k := range tiebreak {
		pos[k] = i
	}
	for i, o := range opts {
		b.cost[i], b.votes[i] = o.Cost, votes[o.Key]
		b.c.tieRank[i] = pos[o.Key]
	}
	b.order()
	var out []string
	for _, p := range b.greedy(nil, budget).selected {
		out = append(out, opts[p].Key)
	}
	return out
}

// BudgetPreference weighs approval ballots (option keys, and the weight
// each counts with) by which of two outcomes (sets of option keys) they
// approve more projects of: the weight that approves strictly more of a,
// and of b (budget.md, compare_with_greedy).
func BudgetPreference(ballots []Choice, weights []int64, a, b []string) (preferA, preferB int64) {
	in := make(map[string]int, len(a)+len(b)) // bit 1: in a, bit 2: in b
	for _, k := range a {
		in[k] |= 1
	}
	for _, k := range b {
		in[k] |= 2
	}
	for i, c := range ballots {
		na, nb := 0, 0
		for _, k := range c.Keys {
			na += in[k] & 1
			nb += in[k] >> 1
		}
		switch {
		case na > nb:
			preferA += weights[i]
		case nb > na:
			preferB += weights[i]
		}
	}
	return preferA, preferB
}

// tieOrder is ≺: lower cost first, then more votes, then the tie-break order.
func (b *budgetCount) tieOrder(x, y int) int {
	if c := cmp.Compare(b.cost[x], b.cost[y]); c != 0 {
		return c
	}
	if c := cmp.Compare(b.votes[y], b.votes[x]); c != 0 {
		return c
	}
	return cmp.Compare(b.c.tieRank[x], b.c.tieRank[y])
}

// greedy walks the candidates not in skip by votes, most first (ties by ≺),
// and selects each that still fits in the money left.
func (b *budgetCount) greedy(skip []bool, left int64) selection {
	list := slices.Clone(b.cands)
	slices.SortStableFunc(list, func(x, y int) int { return cmp.Compare(b.votes[y], b.votes[x]) }) // cands are in ≺ order
	var o selection
	for _, p := range list {
		if skip != nil && skip[p] || b.cost[p] > left {
			continue
		}
		left -= b.cost[p]
		o.add(p, nil, "greedy", b.cost[p])
	}
	return o
}

// completed runs MES with the ballot's completion and returns the selection,
// the final endowment per unit of weight and how many times it grew.
func (b *budgetCount) completed() (selection, *big.Rat, int) {
	e := new(big.Rat)
	if b.total > 0 {
		e.SetFrac64(b.rules.Budget, b.total)
	}
	x := b.mes(e)
	steps := 0
	if b.rules.Completion != "none" {
		one := big.NewRat(1, 1)
		for !(b.rules.ExhaustiveStop && b.exhaustive(x)) && len(x.selected) < len(b.cands) {
			next := new(big.Rat).Add(e, one)
			y := b.mes(next)
			if y.spent > b.rules.Budget {
				break
			}
			x, e = y, next
			steps++
		}
	}
	if b.rules.Completion == "add1+greedy" {
		in := make([]bool, len(b.cost))
		for _, p := range x.selected {
			in[p] = true
		}
		g := b.greedy(in, b.rules.Budget-x.spent)
		for i, p := range g.selected {
			x.add(p, nil, g.by[i], b.cost[p])
		}
	}
	return x, e, steps
}

// exhaustive reports whether no candidate outside x fits in the money left.
func (b *budgetCount) exhaustive(x selection) bool {
	for _, p := range b.cands {
		if !slices.Contains(x.selected, p) && x.spent+b.cost[p] <= b.rules.Budget {
			return false
		}
	}
	return true
}

// mesClass is the voters who have paid the same per unit of weight so far
// (they approve the same selected projects): beta/den is what each still
// holds per unit of weight (den is the run's common denominator), w[p] the
// weight of its members approving p.
type mesClass struct {
	beta  big.Int
	total int64
	w     []int64
}

// mesRun is the state of one MES run. All money per unit of weight is kept
// as integers over one common denominator, den, which grows to the least
// common multiple of the prices' denominators: comparisons and sums are
// then integer operations, and only prices are reduced fractions.
type mesRun struct {
	b       *budgetCount
	den     big.Int
	classes []*mesClass
	active  []int32 // classes with members and money left
	classOf []int32 // per group
	free    []*mesClass
	moved   []int32 // per class: the class its payers of this round move to, or -1
	list    []int32 // scratch for price
	t, u    big.Int // scratch
}

// mes runs the Method of Equal Shares with endowment e per unit of weight
// (budget.md, "one run"). A candidate's price per unit of weight only grows
// as voters spend, so each candidate's last computed ratio q/cost is a
// lower bound: the run recomputes only the candidate at the top of a heap
// of those bounds, and selects it once its ratio is fresh.
func (b *budgetCount) mes(e *big.Rat) selection {
	first := &mesClass{w: slices.Clone(b.votes)}
	first.beta.Set(e.Num())
	for _, g := range b.groups {
		first.total += g.weight
	}
	m := &mesRun{b: b, classes: []*mesClass{first}, active: []int32{0}, classOf: make([]int32, len(b.groups)), moved: []int32{-1}}
	m.den.Set(e.Denom())
	h := &mesHeap{b: b}
	for _, p := range b.cands {
		if q := m.price(p); q != nil {
			h.items = append(h.items, m.item(p, q, 0))
		}
	}
	heap.Init(h)
	var o selection
	for round := 0; h.Len() > 0; {
		top := &h.items[0]
		if top.round != round {
			q := m.price(top.p)
			if q == nil {
				heap.Pop(h) // cannot be afforded now, nor ever after
				continue
			}
			*top = m.item(top.p, q, round)
			heap.Fix(h, 0)
			continue
		}
		it := heap.Pop(h).(mesItem)
		m.pay(it.p, it.q)
		o.add(it.p, it.q, "mes", b.cost[it.p])
		round++
	}
	return o
}

func (m *mesRun) item(p int, q *big.Rat, round int) mesItem {
	rho := new(big.Rat).Quo(q, new(big.Rat).SetInt64(m.b.cost[p]))
	return mesItem{p: p, q: q, rho: rho, round: round}
}

// price returns q_p, the price per unit of weight at which p's approvers
// pay its cost (those with less pay all they have), or nil when together
// they hold less than the cost. Instead of sorting the approvers by what
// they hold, it starts from the price if nobody were short, cost / weight,
// and repeats: every class holding less than the current price is short
// for certain (the price only rises as short classes drop out), so it pays
// all it has and the rest share what remains. The price stops rising when
// no other class is short: then it is exact.
func (m *mesRun) price(p int) *big.Rat {
	list := m.list[:0]
	var r int64
	for _, c := range m.active {
		if w := m.classes[c].w[p]; w > 0 {
			list = append(list, c)
			r += w
		}
	}
	m.list = list
	if r == 0 {
		return nil
	}
	// rest/den is what the classes not yet short must pay together, and
	// the price is rest/(r·den): a class is short when beta·r < rest.
	rest := new(big.Int).Mul(big.NewInt(m.b.cost[p]), &m.den)
	for {
		short := false
		kept := list[:0]
		for _, c := range list {
			cl := m.classes[c]
			if m.t.Mul(&cl.beta, m.u.SetInt64(r)).Cmp(rest) < 0 {
				rest.Sub(rest, m.t.Mul(&cl.beta, m.u.SetInt64(cl.w[p])))
				r -= cl.w[p]
				short = true
				continue
			}
			kept = append(kept, c)
		}
		list = kept
		if !short {
			return new(big.Rat).SetFrac(rest, m.t.Mul(m.u.SetInt64(r), &m.den))
		}
		if r == 0 {
			return nil
		}
	}
}

// pay makes p's approvers pay min(what they hold, q) per unit of weight;
// those who paid move to a class of their own.
func (m *mesRun) pay(p int, q *big.Rat) {
	b := m.b
	// Bring den to a multiple of q's denominator, and q over den.
	g := new(big.Int).GCD(nil, nil, &m.den, q.Denom())
	f := new(big.Int).Quo(q.Denom(), g)
	if f.Cmp(big.NewInt(1)) != 0 {
		m.den.Mul(&m.den, f)
		for _, c := range m.active {
			m.classes[c].beta.Mul(&m.classes[c].beta, f)
		}
	}
	qn := new(big.Int).Quo(&m.den, q.Denom())
	qn.Mul(qn, q.Num())

	var touched []int32
	for _, c := range m.active {
		cl := m.classes[c]
		if cl.w[p] == 0 {
			continue
		}
		touched = append(touched, c)
		var after big.Int
		if cl.beta.Cmp(qn) > 0 {
			after.Sub(&cl.beta, qn)
		}
		if cl.w[p] == cl.total { // everyone in the class pays
			cl.beta.Set(&after)
			m.moved[c] = c
			continue
		}
		m.moved[c] = m.newClass(&after)
	}
	for _, g := range b.approvers[p] {
		c := m.classOf[g]
		nc := m.moved[c]
		if nc < 0 || nc == c {
			continue // an exhausted class, or paid as a whole
		}
		m.classOf[g] = nc
		from, to := m.classes[c], m.classes[nc]
		wg := b.groups[g].weight
		from.total -= wg
		to.total += wg
		for _, x := range b.groups[g].projects {
			from.w[x] -= wg
			to.w[x] += wg
		}
	}
	for _, c := range touched {
		if nc := m.moved[c]; nc != c {
			m.active = append(m.active, nc)
		}
		m.moved[c] = -1
	}
	// Keep the classes that still have members and money.
	kept := m.active[:0]
	for _, c := range m.active {
		cl := m.classes[c]
		if cl.total > 0 && cl.beta.Sign() > 0 {
			kept = append(kept, c)
		} else if cl.total == 0 {
			m.free = append(m.free, cl)
		}
	}
	m.active = kept
}

// newClass returns the index of an empty class holding beta/den per unit
// of weight, reusing the vectors of emptied classes.
func (m *mesRun) newClass(beta *big.Int) int32 {
	var cl *mesClass
	if n := len(m.free); n > 0 {
		cl = m.free[n-1]
		m.free = m.free[:n-1]
		clear(cl.w)
		cl.total = 0
	} else {
		cl = &mesClass{w: make([]int64, len(m.b.cost))}
	}
	cl.beta.Set(beta)
	m.classes = append(m.classes, cl)
	m.moved = append(m.moved, -1)
	return int32(len(m.classes) - 1)
}

// mesItem is a candidate in the heap with its last computed price and
// ratio q/cost, and the round it was computed in.
type mesItem struct {
	p     int
	q     *big.Rat
	rho   *big.Rat
	round int
}

// mesHeap orders candidates by ratio, smallest first, ties by ≺.
type mesHeap struct {
	b     *budgetCount
	items []mesItem
}

func (h *mesHeap) Len() int { return len(h.items) }
func (h *mesHeap) Less(i, j int) bool {
	if c := h.items[i].rho.Cmp(h.items[j].rho); c != 0 {
		return c < 0
	}
	return h.b.prec[h.items[i].p] < h.b.prec[h.items[j].p]
}
func (h *mesHeap) Swap(i, j int) { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *mesHeap) Push(x any)    { h.items = append(h.items, x.(mesItem)) }
func (h *mesHeap) Pop() any {
	n := len(h.items) - 1
	it := h.items[n]
	h.items = h.items[:n]
	return it
}

// rounds writes an selection's selections as result rounds.
func (b *budgetCount) rounds(o selection) []BudgetRound {
	out := make([]BudgetRound, len(o.selected))
	for i, p := range o.selected {
		out[i] = BudgetRound{Key: b.c.ballot.Options[p].Key, By: o.by[i]}
		if q := o.q[i]; q != nil {
			out[i].Q = q.RatString()
			out[i].EffectiveVotes = new(big.Rat).Quo(new(big.Rat).SetInt64(b.cost[p]), q).RatString()
		}
	}
	return out
}

// payments replays the MES selections of x with endowment e for every
// casting voter (budget.md, "payments"), sorted by voter.
func (b *budgetCount) payments(x selection, e *big.Rat) []Payment {
	roundOf := make([]int, len(b.cost))
	for i := range roundOf {
		roundOf[i] = -1
	}
	for i, p := range x.selected {
		if x.by[i] == "mes" {
			roundOf[p] = i
		}
	}
	// perUnit[g][k] is what group g paid per unit of weight in its k-th
	// paying round, in the order of rounds.
	type paid struct {
		p   int
		amt *big.Rat
	}
	perUnit := make([][]paid, len(b.groups))
	var rs []int
	for g, gr := range b.groups {
		rs = rs[:0]
		for _, p := range gr.projects {
			if roundOf[p] >= 0 {
				rs = append(rs, roundOf[p])
			}
		}
		slices.Sort(rs)
		beta := new(big.Rat).Set(e)
		for _, k := range rs {
			if beta.Sign() == 0 {
				break
			}
			amt := new(big.Rat).Set(x.q[k])
			if beta.Cmp(amt) < 0 {
				amt.Set(beta)
			}
			beta.Sub(beta, amt)
			perUnit[g] = append(perUnit[g], paid{x.selected[k], amt})
		}
	}
	order := make([]int, len(b.c.ballots))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(i, j int) int { return strings.Compare(b.c.voters[i], b.c.voters[j]) })
	out := make([]Payment, len(order))
	w := new(big.Rat)
	for k, i := range order {
		w.SetInt64(b.c.ballots[i].weight)
		spent := new(big.Rat)
		pm := Payment{
			Voter:     b.c.voters[i],
			Endowment: new(big.Rat).Mul(e, w).RatString(),
			Paid:      make(map[string]string, len(perUnit[b.ofBallot[i]])),
		}
		for _, pd := range perUnit[b.ofBallot[i]] {
			v := new(big.Rat).Mul(pd.amt, w)
			spent.Add(spent, v)
			pm.Paid[b.c.ballot.Options[pd.p].Key] = v.RatString()
		}
		pm.Spent = spent.RatString()
		out[k] = pm
	}
	return out
}

// compare weighs the casting voters who approve more projects of g than
// of x against those who approve more of x than of g (budget.md,
// compare_with_greedy); a tie keeps x.
func (b *budgetCount) compare(g, x selection) Comparison {
	keys := func(s selection) []string {
		out := make([]string, len(s.selected))
		for i, p := range s.selected {
			out[i] = b.c.ballot.Options[p].Key
		}
		return out
	}
	weights := make([]int64, len(b.c.ballots))
	choices := make([]Choice, len(b.c.ballots))
	for i, w := range b.c.ballots {
		choices[i], weights[i] = w.choice, w.weight
	}
	var res Comparison
	res.PreferGreedy, res.PreferMES = BudgetPreference(choices, weights, keys(g), keys(x))
	res.Used = "mes"
	if res.PreferGreedy > res.PreferMES {
		res.Used = "greedy"
	}
	return res
}
