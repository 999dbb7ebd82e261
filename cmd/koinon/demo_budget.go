package main

import (
	"math/rand/v2"

	"koinon/internal/store"
)

// demoBudget is a participatory-budgeting ballot of the demo: its budget
// and each project's cost and description, in option order.
type demoBudget struct {
	budget   int64
	rule     string
	costs    []int64
	details  []string
	compare  bool
	complete string
}

func (db *demoBudget) apply(b *store.Ballot, opts []store.BallotOption) {
	b.Budget, b.Currency, b.BudgetRule = db.budget, "EUR", db.rule
	if db.rule == "mes" {
		b.Completion, b.ExhaustiveStop, b.CompareWithGreedy = db.complete, true, db.compare
	}
	for i := range opts {
		opts[i].Cost, opts[i].Description = db.costs[i], db.details[i]
	}
}

// demoBudgetBallots are a closed grant round of eight projects (MES with
// the greedy comparison shown beside it) and an open one.
func demoBudgetBallots() []demoBallot {
	// Earlier projects are more popular; a few voters back only the
	// small ones, which is where equal shares and greedy differ.
	approve := func(i int, r *rand.Rand, keys []string) any {
		out := []string{}
		for j, k := range keys {
			if r.IntN(100) < 70-7*j {
				out = append(out, k)
			}
		}
		return out
	}
	return []demoBallot{
		{title: "Grant round 2026", topic: "finance", method: "budget", close: true, votes: approve,
			options: []string{"Reproducible builds", "Security audit", "Documentation sprint", "Translation to Spanish",
				"Mentoring programme", "Accessibility review", "Conference travel fund", "Logo and website refresh"},
			budget: &demoBudget{budget: 60000, rule: "mes", complete: "add1", compare: true,
				costs: []int64{25000, 30000, 8000, 6000, 12000, 9000, 15000, 5000},
				details: []string{"Bit-for-bit identical release builds on two CI providers.",
					"An external audit of the sign-in and vote-casting code.",
					"Two weeks to rewrite the getting-started guide.",
					"Translate the user guide and the interface.",
					"Pair six newcomers with maintainers for three months.",
					"Screen-reader and keyboard review of every page.",
					"Travel grants for four contributors to speak at conferences.",
					"A new logo and a simpler home page."}}},
		{title: "Grant round 2027", topic: "finance", method: "budget", votes: approve,
			options: []string{"Mobile app", "Offline voting kiosks", "Plain-language guide", "Data export tools", "Community meetups"},
			budget: &demoBudget{budget: 50000, rule: "mes", complete: "add1",
				costs:   []int64{30000, 18000, 4000, 7000, 6000},
				details: []string{"An app for Android and iOS.", "Two kiosks for members without a phone.", "Explain the voting rules in plain words.", "Export results as open data.", "Four local meetups."}}},
	}
}
