package domain

import (
	"cmp"
	"strconv"
	"strings"
)

// MaxCurrency bounds a currency's display code ("EUR", "CHF", "credits");
// MaxProjectText a project's description.
const (
	MaxCurrency    = 16
	MaxProjectText = 2000
)

// applyBudget checks the budget fields of a request and sets them on b:
// for method budget a budget ≥ 0, a currency code, a rule with its
// options (budget.md defaults) and a positive cost for every project;
// for any other method none of them. Errors name the request field.
func applyBudget(b *Ballot, req BudgetRequest) error {
	if b.Method != "budget" {
		switch {
		case req.Budget != nil || req.Currency != "" || req.BudgetRule != "" || req.Completion != "" || req.ExhaustiveStop != nil || req.CompareWithGreedy != nil:
			return keyed(Invalidf("budget", "only budget ballots have a budget and a rule"), "ballot.error.budget_other")
		}
		for i, o := range b.Options {
			if o.Cost != 0 || o.Description != "" {
				return keyed(Invalidf("options["+strconv.Itoa(i)+"].cost", "only the projects of a budget ballot have a cost and a description"), "ballot.error.budget_other")
			}
		}
		return nil
	}
	if req.Budget == nil {
		return keyed(Invalidf("budget", "is required: a whole number ≥ 0, in whole units of the currency"), "ballot.error.budget")
	}
	if *req.Budget < 0 || *req.Budget > 1<<53-1 {
		return keyed(Invalidf("budget", "must be a whole number from 0 to 2^53-1, in whole units of the currency"), "ballot.error.budget")
	}
	cur := strings.TrimSpace(req.Currency)
	if err := CheckLine("currency", cur, true, MaxCurrency); err != nil {
		return keyed(err, "ballot.error.currency", MaxCurrency)
	}
	b.Budget, b.Currency = *req.Budget, cur
	b.BudgetRule = cmp.Or(req.BudgetRule, "mes")
	b.Completion, b.ExhaustiveStop, b.CompareWithGreedy = "", false, false
	switch b.BudgetRule {
	case "mes":
		b.Completion = cmp.Or(req.Completion, "add1")
		if b.Completion != "add1" && b.Completion != "add1+greedy" && b.Completion != "none" {
			return keyed(Invalidf("completion", "must be add1, add1+greedy or none"), "ballot.error.completion")
		}
		b.ExhaustiveStop = req.ExhaustiveStop == nil || *req.ExhaustiveStop
		b.CompareWithGreedy = req.CompareWithGreedy != nil && *req.CompareWithGreedy
	case "greedy":
		if req.Completion != "" || req.ExhaustiveStop != nil || req.CompareWithGreedy != nil {
			return keyed(Invalidf("budget_rule", "completion, exhaustive_stop and compare_with_greedy belong to rule mes"), "ballot.error.budget_rule")
		}
	default:
		return keyed(Invalidf("budget_rule", "must be mes or greedy"), "ballot.error.budget_rule")
	}
	for i, o := range b.Options {
		field := "options[" + strconv.Itoa(i) + "]"
		if o.Cost < 1 || o.Cost > 1<<53-1 {
			return keyed(Invalidf(field+".cost", "must be a positive whole number of %s", cmp.Or(cur, "currency units")), "ballot.error.cost")
		}
		if err := CheckText(field+".description", o.Description, false, MaxProjectText); err != nil {
			return keyed(err, "ballot.error.project_text", MaxProjectText)
		}
	}
	return nil
}

// proposalOption is a competing proposal as an option: for a budget
// ballot a project with the proposal's cost (which it must have) and the
// start of its text.
func proposalOption(p ProposalRef, method string) (OptionRequest, error) {
	o := OptionRequest{Key: "p" + strconv.FormatInt(p.ID, 10), Label: p.Title}
	if method == "budget" {
		if p.Cost < 1 {
			return o, Invalidf("proposals", "proposal %d asks for no cost: give it one before it can be a project", p.ID)
		}
		o.Cost = p.Cost
		o.Description = excerpt(p.Body, MaxProjectText)
	}
	return o, nil
}

// excerpt cuts s to at most n bytes at a word boundary, with an ellipsis.
func excerpt(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	cut := strings.LastIndexByte(s[:n-3], ' ')
	if cut <= 0 {
		cut = n - 3
	}
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	return strings.TrimSpace(s[:cut]) + "…"
}

func utf8Start(c byte) bool { return c&0xC0 != 0x80 }
