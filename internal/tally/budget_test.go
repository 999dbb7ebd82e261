package tally

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// randomBudget gives b's options costs of 1–60 and draws a budget of 0–200
// and one of the rules of budget.md.
func randomBudget(rng *rand.Rand, b *Ballot) {
	for i := range b.Options {
		b.Options[i].Cost = 1 + rng.Int64N(60)
	}
	b.Budget = BudgetRules{Budget: rng.Int64N(201), Rule: "greedy"}
	if rng.IntN(4) > 0 {
		b.Budget = BudgetRules{
			Budget:            b.Budget.Budget,
			Rule:              "mes",
			Completion:        []string{"add1", "add1+greedy", "none"}[rng.IntN(3)],
			ExhaustiveStop:    rng.IntN(2) == 0,
			CompareWithGreedy: rng.IntN(2) == 0,
		}
	}
}

func randomBudgetInput(rng *rand.Rand) Input {
	for {
		in := randomInput(rng, "budget", false)
		if len(in.Votes) > 0 {
			return in
		}
	}
}

func rat(t *testing.T, s string) *big.Rat {
	t.Helper()
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		t.Fatalf("not a rational: %q", s)
	}
	return r
}

// TestBudgetPaymentsAndBudget checks, on random ballots, that the payments
// for every project MES selected sum exactly to its cost, that no voter
// spends more than its endowment, and that no outcome costs more than the
// budget.
func TestBudgetPaymentsAndBudget(t *testing.T) {
	t.Logf("seed %d", *seed)
	rng := rand.New(rand.NewPCG(*seed, 20))
	for i := range 400 {
		in := randomBudgetInput(rng)
		r := mustCount(t, in)
		b := r.Budget
		cost := map[string]int64{}
		for _, o := range in.Ballot.Options {
			cost[o.Key] = o.Cost
		}
		var spent int64
		for _, k := range r.Winners {
			spent += cost[k]
		}
		if spent != b.Spent || b.Spent > in.Ballot.Budget.Budget || b.Left != in.Ballot.Budget.Budget-b.Spent {
			t.Fatalf("case %d: winners %v cost %d, spent %d, left %d, budget %d", i, r.Winners, spent, b.Spent, b.Left, in.Ballot.Budget.Budget)
		}
		if in.Ballot.Budget.Rule != "mes" {
			continue
		}
		paid := map[string]*big.Rat{}
		for _, p := range b.Payments {
			sum := new(big.Rat)
			for k, v := range p.Paid {
				if paid[k] == nil {
					paid[k] = new(big.Rat)
				}
				paid[k].Add(paid[k], rat(t, v))
				sum.Add(sum, rat(t, v))
			}
			if sum.Cmp(rat(t, p.Spent)) != 0 || sum.Cmp(rat(t, p.Endowment)) > 0 {
				t.Fatalf("case %d: voter %s paid %s in all, spent %s, endowment %s", i, p.Voter, sum.RatString(), p.Spent, p.Endowment)
			}
		}
		for _, rd := range b.Rounds {
			if rd.By != "mes" {
				continue
			}
			if paid[rd.Key] == nil || paid[rd.Key].Cmp(new(big.Rat).SetInt64(cost[rd.Key])) != 0 {
				t.Fatalf("case %d: payments for %s sum to %v, cost %d", i, rd.Key, paid[rd.Key], cost[rd.Key])
			}
		}
	}
}

// TestBudgetEveryRunPaysExactly checks single MES runs at many endowments,
// not only the final one: each selection is paid exactly, nobody
// overspends, and the run never spends more than the endowments.
func TestBudgetEveryRunPaysExactly(t *testing.T) {
	t.Logf("seed %d", *seed)
	rng := rand.New(rand.NewPCG(*seed, 21))
	for i := range 200 {
		in := randomBudgetInput(rng)
		in.Ballot.Budget = BudgetRules{Budget: in.Ballot.Budget.Budget, Rule: "mes", Completion: "none"}
		c := countingFor(t, in)
		b := newBudgetCount(c)
		for range 5 {
			e := big.NewRat(rng.Int64N(100), 1+rng.Int64N(7))
			x := b.mes(e)
			paid := make([]*big.Rat, len(b.cost))
			for _, p := range b.payments(x, e) {
				for k, v := range p.Paid {
					j := c.keys[k]
					if paid[j] == nil {
						paid[j] = new(big.Rat)
					}
					paid[j].Add(paid[j], rat(t, v))
				}
				if rat(t, p.Spent).Cmp(rat(t, p.Endowment)) > 0 {
					t.Fatalf("case %d, e %s: %s spent %s of %s", i, e.RatString(), p.Voter, p.Spent, p.Endowment)
				}
			}
			for _, p := range x.selected {
				if paid[p].Cmp(new(big.Rat).SetInt64(b.cost[p])) != 0 {
					t.Fatalf("case %d, e %s: %s paid %s, costs %d", i, e.RatString(), in.Ballot.Options[p].Key, paid[p].RatString(), b.cost[p])
				}
			}
		}
	}
}

// countingFor validates and resolves in as Count does, and returns what
// the methods read.
func countingFor(t *testing.T, in Input) counting {
	t.Helper()
	keys, p, err := validate(in)
	if err != nil {
		t.Fatal(err)
	}
	res := resolve(in.Electorate, in.Votes, p, in.Ballot.Delegation)
	c := counting{ballot: in.Ballot, keys: keys, tieRank: make([]int, len(keys)), quorumMet: true}
	for pos, k := range in.Tiebreak {
		c.tieRank[keys[k]] = pos
	}
	for i, v := range in.Votes {
		c.ballots = append(c.ballots, weighted{choice: v.Choice, weight: res.weight[p.votePos[i]]})
		c.voters = append(c.voters, v.Voter)
	}
	return c
}

// TestBudgetWeightIsVoters checks that a voter of weight w counts exactly
// as w voters of weight 1 with the same ballot: same winners, rounds,
// endowment and completion steps.
func TestBudgetWeightIsVoters(t *testing.T) {
	t.Logf("seed %d", *seed)
	rng := rand.New(rand.NewPCG(*seed, 22))
	for i := range 300 {
		in := randomBudgetInput(rng)
		in.Ballot.Delegation = false
		split := in
		split.Electorate, split.Votes = nil, nil
		voted := map[string]Choice{}
		for _, v := range in.Votes {
			voted[v.Voter] = v.Choice
		}
		for _, e := range in.Electorate {
			for k := range e.Weight {
				id := fmt.Sprintf("%s-%d", e.Voter, k)
				split.Electorate = append(split.Electorate, entry(id, 1))
				if c, ok := voted[e.Voter]; ok {
					split.Votes = append(split.Votes, Vote{Voter: id, Choice: c})
				}
			}
		}
		a, b := mustCount(t, in), mustCount(t, split)
		if !reflect.DeepEqual(a.Winners, b.Winners) || !reflect.DeepEqual(a.Budget.Rounds, b.Budget.Rounds) ||
			a.Budget.Endowment != b.Budget.Endowment || a.Budget.Add1Steps != b.Budget.Add1Steps ||
			!reflect.DeepEqual(a.Budget.Comparison, b.Budget.Comparison) {
			t.Fatalf("case %d: weighted %v %+v, split %v %+v", i, a.Winners, *a.Budget, b.Winners, *b.Budget)
		}
	}
}

// TestBudgetAllFitGreedyEqualsMES checks that when all candidates fit in
// the budget together, greedy and MES with add1 both fund all of them.
func TestBudgetAllFitGreedyEqualsMES(t *testing.T) {
	t.Logf("seed %d", *seed)
	rng := rand.New(rand.NewPCG(*seed, 23))
	for i := range 300 {
		in := randomBudgetInput(rng)
		var all int64
		for _, o := range in.Ballot.Options {
			all += o.Cost
		}
		in.Ballot.Budget.Budget = all + rng.Int64N(50)
		in.Ballot.Quorum = Rational{0, 1}
		in.Ballot.Budget.Rule, in.Ballot.Budget.Completion = "mes", []string{"add1", "add1+greedy"}[rng.IntN(2)]
		m := mustCount(t, in)
		in.Ballot.Budget = BudgetRules{Budget: in.Ballot.Budget.Budget, Rule: "greedy"}
		g := mustCount(t, in)
		cands := []string{}
		for k, v := range g.Totals {
			if v > 0 {
				cands = append(cands, k)
			}
		}
		mw, gw := slices.Sorted(slices.Values(m.Winners)), slices.Sorted(slices.Values(g.Winners))
		slices.Sort(cands)
		if !slices.Equal(mw, gw) || !slices.Equal(gw, cands) {
			t.Fatalf("case %d: mes %v, greedy %v, candidates %v", i, mw, gw, cands)
		}
		for _, rd := range m.Budget.Rounds {
			if rd.By != "mes" {
				t.Fatalf("case %d: %s funded by %s, want mes", i, rd.Key, rd.By)
			}
		}
	}
}

func budgetBallot(rule BudgetRules, costs ...int64) Ballot {
	b := newBallot("budget")
	for i, c := range costs {
		b.Options = append(b.Options, Option{Key: fmt.Sprintf("p%d", i+1), Label: "P", Cost: c})
	}
	b.Budget = rule
	return b
}

// TestBudgetRules covers named rules of budget.md on small ballots.
func TestBudgetRules(t *testing.T) {
	mes := BudgetRules{Budget: 100, Rule: "mes", Completion: "add1", ExhaustiveStop: true}
	tests := []struct {
		name    string
		ballot  Ballot
		votes   []Vote
		winners []string
		endow   string
	}{
		{"a quarter of the weight decides about a quarter of the money",
			budgetBallot(mes, 25, 25, 25, 25, 25, 25, 25, 25),
			[]Vote{keysVote("a", "p1", "p2", "p3"), keysVote("b", "p1", "p2", "p3"), keysVote("c", "p1", "p2", "p3"), keysVote("d", "p5", "p6")},
			[]string{"p1", "p2", "p3", "p5"}, "25"},
		{"nobody voting gives endowment 0 and no winners",
			budgetBallot(mes, 10), nil, []string{}, "0"},
		{"an empty ballot's share is never spent",
			budgetBallot(BudgetRules{Budget: 100, Rule: "mes", Completion: "none"}, 60),
			[]Vote{keysVote("a", "p1"), keysVote("b")}, []string{}, "50"},
		{"ties in MES go to the cheaper project",
			budgetBallot(BudgetRules{Budget: 30, Rule: "mes", Completion: "none"}, 20, 10),
			[]Vote{keysVote("a", "p1", "p2")}, []string{"p2", "p1"}, "30"},
		{"budget zero funds nothing",
			budgetBallot(BudgetRules{Budget: 0, Rule: "mes", Completion: "add1"}, 1),
			[]Vote{keysVote("a", "p1")}, []string{}, "0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := Input{Ballot: tc.ballot, Votes: tc.votes, Tiebreak: keysOf(tc.ballot.Options)}
			for _, v := range []string{"a", "b", "c", "d"} {
				in.Electorate = append(in.Electorate, entry(v, 1))
			}
			r := mustCount(t, in)
			if !slices.Equal(nonNil(r.Winners), tc.winners) || r.Budget.Endowment != tc.endow {
				t.Errorf("winners %v endowment %s, want %v %s", r.Winners, r.Budget.Endowment, tc.winners, tc.endow)
			}
			assertRoundTrip(t, r)
		})
	}
}

func TestBudgetValidation(t *testing.T) {
	mes := BudgetRules{Budget: 100, Rule: "mes", Completion: "add1"}
	tests := []struct {
		name  string
		b     Ballot
		field string
	}{
		{"cost 0 is refused", budgetBallot(mes, 10, 0), "ballot.options[1].cost"},
		{"a negative budget is refused", budgetBallot(BudgetRules{Budget: -1, Rule: "greedy"}, 10), "ballot.budget"},
		{"an unknown rule is refused", budgetBallot(BudgetRules{Budget: 1, Rule: "borda"}, 10), "ballot.budget_rule"},
		{"an unknown completion is refused", budgetBallot(BudgetRules{Budget: 1, Rule: "mes", Completion: "add2"}, 10), "ballot.completion"},
		{"greedy takes no completion", budgetBallot(BudgetRules{Budget: 1, Rule: "greedy", Completion: "add1"}, 10), "ballot.budget_rule"},
		{"costs on another method are refused", Ballot{Method: "approval", Seats: 1, Threshold: Rational{1, 2}, Quorum: Rational{0, 1},
			Options: []Option{{Key: "a", Label: "A", Cost: 3}}}, "ballot.options[0].cost"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateBallot(tc.b)
			fe, ok := err.(*FieldError)
			if !ok || fe.Field != tc.field {
				t.Errorf("ValidateBallot = %v, want a FieldError on %s", err, tc.field)
			}
		})
	}
}

// naiveMES is budget.md's "one run" written literally, voter by voter,
// with every price recomputed in every round: the reference the engine's
// grouped, lazy run is held to.
func naiveMES(cost []int64, approves [][]bool, w []int64, e *big.Rat, prec []int) ([]int, []*big.Rat) {
	bud := make([]*big.Rat, len(w))
	for i := range w {
		bud[i] = new(big.Rat).Mul(e, new(big.Rat).SetInt64(w[i]))
	}
	left := map[int]bool{}
	for p := range cost {
		for i := range w {
			if approves[i][p] {
				left[p] = true
			}
		}
	}
	var sel []int
	var qs []*big.Rat
	for {
		best, bestRho, bestQ := -1, (*big.Rat)(nil), (*big.Rat)(nil)
		for _, p := range slices.Sorted(func(yield func(int) bool) {
			for p := range left {
				if !yield(p) {
					return
				}
			}
		}) {
			c := new(big.Rat).SetInt64(cost[p])
			var ids []int
			total := new(big.Rat)
			for i := range w {
				if approves[i][p] {
					ids = append(ids, i)
					total.Add(total, bud[i])
				}
			}
			if total.Cmp(c) < 0 {
				delete(left, p)
				continue
			}
			per := func(i int) *big.Rat { return new(big.Rat).Quo(bud[i], new(big.Rat).SetInt64(w[i])) }
			slices.SortFunc(ids, func(a, b int) int { return per(a).Cmp(per(b)) })
			paid, r := new(big.Rat), int64(0)
			for _, i := range ids {
				r += w[i]
			}
			var q *big.Rat
			for _, i := range ids {
				rr := new(big.Rat).SetInt64(r)
				if new(big.Rat).Add(paid, new(big.Rat).Mul(per(i), rr)).Cmp(c) >= 0 {
					q = new(big.Rat).Quo(new(big.Rat).Sub(c, paid), rr)
					break
				}
				paid.Add(paid, bud[i])
				r -= w[i]
			}
			rho := new(big.Rat).Quo(q, c)
			if best < 0 || rho.Cmp(bestRho) < 0 || rho.Cmp(bestRho) == 0 && prec[p] < prec[best] {
				best, bestRho, bestQ = p, rho, q
			}
		}
		if best < 0 {
			return sel, qs
		}
		for i := range w {
			if approves[i][best] {
				pay := new(big.Rat).Mul(bestQ, new(big.Rat).SetInt64(w[i]))
				if pay.Cmp(bud[i]) > 0 {
					pay.Set(bud[i])
				}
				bud[i].Sub(bud[i], pay)
			}
		}
		delete(left, best)
		sel, qs = append(sel, best), append(qs, bestQ)
	}
}

// TestBudgetMatchesNaiveMES compares single MES runs with naiveMES.
func TestBudgetMatchesNaiveMES(t *testing.T) {
	t.Logf("seed %d", *seed)
	rng := rand.New(rand.NewPCG(*seed, 24))
	for i := range 300 {
		in := randomBudgetInput(rng)
		c := countingFor(t, in)
		b := newBudgetCount(c)
		approves := make([][]bool, len(c.ballots))
		w := make([]int64, len(c.ballots))
		for j, bl := range c.ballots {
			approves[j] = make([]bool, len(b.cost))
			for _, k := range bl.choice.Keys {
				approves[j][c.keys[k]] = true
			}
			w[j] = bl.weight
		}
		e := big.NewRat(rng.Int64N(120), 1+rng.Int64N(9))
		x := b.mes(e)
		sel, qs := naiveMES(b.cost, approves, w, e, b.prec)
		if !slices.Equal(x.selected, sel) {
			t.Fatalf("case %d, e %s: engine %v, naive %v", i, e.RatString(), x.selected, sel)
		}
		for k := range qs {
			if qs[k].Cmp(x.q[k]) != 0 {
				t.Fatalf("case %d: round %d q %s, naive %s", i, k, x.q[k].RatString(), qs[k].RatString())
			}
		}
	}
}
