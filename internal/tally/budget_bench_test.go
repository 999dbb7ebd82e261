package tally

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// budgetBenchInput draws a participatory-budgeting ballot: projects with
// costs from 0.5 % to 10.5 % of the budget, and voters approving 1–10 of them
// with Zipf popularity (so some projects are far more popular than
// others), as in city counts. With delegators > 0, that many extra voters
// delegate to one to three earlier voters instead of voting (a third of
// them vote directly after all).
func budgetBenchInput(voters, delegators, projects int, budget int64, rules BudgetRules) Input {
	rng := rand.New(rand.NewPCG(20, 26))
	b := newBallot("budget")
	rules.Budget = budget
	b.Budget = rules
	keys := make([]string, projects)
	for i := range keys {
		keys[i] = fmt.Sprintf("p%03d", i)
		b.Options = append(b.Options, Option{Key: keys[i], Label: keys[i], Cost: budget/200 + rng.Int64N(budget/10)})
	}
	zipf := rand.NewZipf(rng, 1.1, 3, uint64(projects-1))
	perm := rng.Perm(projects)
	in := Input{Ballot: b, Tiebreak: keys}
	vote := func(id string) {
		n := 1 + rng.IntN(10)
		seen := map[int]bool{}
		var choice []string
		for len(choice) < n {
			p := perm[zipf.Uint64()]
			if !seen[p] {
				seen[p] = true
				choice = append(choice, keys[p])
			}
		}
		in.Votes = append(in.Votes, Vote{Voter: id, Choice: Choice{Keys: choice}})
	}
	for i := range voters {
		id := fmt.Sprintf("v%06d", i)
		in.Electorate = append(in.Electorate, entry(id, 1))
		vote(id)
	}
	for i := range delegators {
		id := fmt.Sprintf("d%06d", i)
		e := entry(id, 1+rng.Int64N(2))
		for k := range 1 + rng.IntN(3) {
			e.Delegates = append(e.Delegates, fmt.Sprintf("v%06d", (i*7+k*voters/3+rng.IntN(voters))%voters))
		}
		in.Electorate = append(in.Electorate, e)
		if rng.IntN(3) == 0 {
			vote(id)
		}
	}
	return in
}

func benchBudget(b *testing.B, in Input) {
	b.ReportAllocs()
	var r Result
	for b.Loop() {
		var err error
		if r, err = Count(in); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(r.Budget.Add1Steps), "add1-steps")
	b.ReportMetric(float64(len(r.Winners)), "funded")
}

// BenchmarkBudgetCity is a city-sized count as Wieliczka 2023: 6,586
// voters, 64 projects, budget 1,000,000, MES with add1 and the exhaustive
// stop off (target < 1 s).
func BenchmarkBudgetCity(b *testing.B) {
	benchBudget(b, budgetBenchInput(6586, 0, 64, 1_000_000, BudgetRules{Rule: "mes", Completion: "add1"}))
}

// BenchmarkBudgetLiquid is 100,000 liquid voters (40,000 casting, 60,000
// delegating to them), 200 projects, MES with add1 (target < 10 s, 500 MiB).
func BenchmarkBudgetLiquid(b *testing.B) {
	benchBudget(b, budgetBenchInput(40_000, 60_000, 200, 10_000_000, BudgetRules{Rule: "mes", Completion: "add1", ExhaustiveStop: true}))
}
