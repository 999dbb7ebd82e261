package web

import (
	"cmp"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"koinon/internal/domain"
	"koinon/internal/store"
	"koinon/internal/tally"
)

// budgetRequest holds the fields of a budget ballot (budget.md) in a
// ballot request. Amounts are whole units of the currency, its smallest
// display unit here (1 is one euro for EUR: no cents).
type budgetRequest struct {
	Budget            *int64 `json:"budget"`
	Currency          string `json:"currency"`
	BudgetRule        string `json:"budget_rule"`
	Completion        string `json:"completion"`
	ExhaustiveStop    *bool  `json:"exhaustive_stop"`
	CompareWithGreedy *bool  `json:"compare_with_greedy"`
}

// budgetJSON is what the API shows of a budget ballot beyond the others.
type budgetJSON struct {
	Budget            int64  `json:"budget"`
	Currency          string `json:"currency"`
	BudgetRule        string `json:"budget_rule"`
	Completion        string `json:"completion,omitempty"`
	ExhaustiveStop    *bool  `json:"exhaustive_stop,omitempty"`
	CompareWithGreedy *bool  `json:"compare_with_greedy,omitempty"`
}

func newBudgetJSON(b store.Ballot) *budgetJSON {
	if b.Method != "budget" {
		return nil
	}
	j := &budgetJSON{Budget: b.Budget, Currency: b.Currency, BudgetRule: b.BudgetRule}
	if b.BudgetRule == "mes" {
		j.Completion, j.ExhaustiveStop, j.CompareWithGreedy = b.Completion, &b.ExhaustiveStop, &b.CompareWithGreedy
	}
	return j
}

// maxCurrency bounds a currency's display code ("EUR", "CHF", "credits");
// maxProjectText a project's description.
const (
	maxCurrency    = 16
	maxProjectText = 2000
)

// applyBudget checks the budget fields of a request and sets them on b:
// for method budget a budget ≥ 0, a currency code, a rule with its
// options (budget.md defaults) and a positive cost for every project;
// for any other method none of them. Errors name the request field.
func applyBudget(b *store.Ballot, opts []store.BallotOption, req budgetRequest) error {
	if b.Method != "budget" {
		switch {
		case req.Budget != nil || req.Currency != "" || req.BudgetRule != "" || req.Completion != "" || req.ExhaustiveStop != nil || req.CompareWithGreedy != nil:
			return keyed(domain.Invalidf("budget", "only budget ballots have a budget and a rule"), "ballot.error.budget_other")
		}
		for i, o := range opts {
			if o.Cost != 0 || o.Description != "" {
				return keyed(domain.Invalidf("options["+strconv.Itoa(i)+"].cost", "only the projects of a budget ballot have a cost and a description"), "ballot.error.budget_other")
			}
		}
		return nil
	}
	if req.Budget == nil {
		return keyed(domain.Invalidf("budget", "is required: a whole number ≥ 0, in whole units of the currency"), "ballot.error.budget")
	}
	if *req.Budget < 0 || *req.Budget > 1<<53-1 {
		return keyed(domain.Invalidf("budget", "must be a whole number from 0 to 2^53-1, in whole units of the currency"), "ballot.error.budget")
	}
	cur := strings.TrimSpace(req.Currency)
	if err := domain.CheckLine("currency", cur, true, maxCurrency); err != nil {
		return keyed(err, "ballot.error.currency", maxCurrency)
	}
	b.Budget, b.Currency = *req.Budget, cur
	b.BudgetRule = cmp.Or(req.BudgetRule, "mes")
	b.Completion, b.ExhaustiveStop, b.CompareWithGreedy = "", false, false
	switch b.BudgetRule {
	case "mes":
		b.Completion = cmp.Or(req.Completion, "add1")
		if b.Completion != "add1" && b.Completion != "add1+greedy" && b.Completion != "none" {
			return keyed(domain.Invalidf("completion", "must be add1, add1+greedy or none"), "ballot.error.completion")
		}
		b.ExhaustiveStop = req.ExhaustiveStop == nil || *req.ExhaustiveStop
		b.CompareWithGreedy = req.CompareWithGreedy != nil && *req.CompareWithGreedy
	case "greedy":
		if req.Completion != "" || req.ExhaustiveStop != nil || req.CompareWithGreedy != nil {
			return keyed(domain.Invalidf("budget_rule", "completion, exhaustive_stop and compare_with_greedy belong to rule mes"), "ballot.error.budget_rule")
		}
	default:
		return keyed(domain.Invalidf("budget_rule", "must be mes or greedy"), "ballot.error.budget_rule")
	}
	for i, o := range opts {
		field := "options[" + strconv.Itoa(i) + "]"
		if o.Cost < 1 || o.Cost > 1<<53-1 {
			return keyed(domain.Invalidf(field+".cost", "must be a positive whole number of %s", cmp.Or(cur, "currency units")), "ballot.error.cost")
		}
		if err := domain.CheckText(field+".description", o.Description, false, maxProjectText); err != nil {
			return keyed(err, "ballot.error.project_text", maxProjectText)
		}
	}
	return nil
}

// budgetRules are the engine's parameters of a stored budget ballot.
func budgetRules(b store.Ballot) tally.BudgetRules {
	if b.Method != "budget" {
		return tally.BudgetRules{}
	}
	return tally.BudgetRules{Budget: b.Budget, Rule: b.BudgetRule, Completion: b.Completion,
		ExhaustiveStop: b.ExhaustiveStop, CompareWithGreedy: b.CompareWithGreedy}
}

// proposalOption is a competing proposal as an option: for a budget
// ballot a project with the proposal's cost (which it must have) and the
// start of its text.
func proposalOption(p store.Proposal, method string) (optionRequest, error) {
	o := optionRequest{Key: "p" + strconv.FormatInt(p.ID, 10), Label: p.Title}
	if method == "budget" {
		if p.Cost < 1 {
			return o, domain.Invalidf("proposals", "proposal %d asks for no cost: give it one before it can be a project", p.ID)
		}
		o.Cost = p.Cost
		o.Description = excerpt(p.Body, maxProjectText)
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

// proposalCost reads a proposal's optional cost (API number or form
// text): a positive whole number, or 0 when none is given.
func proposalCost(req proposalRequest) (int64, error) {
	cost := req.Cost
	if t := strings.TrimSpace(req.CostText); t != "" {
		n, err := strconv.ParseInt(t, 10, 64)
		if err != nil {
			return 0, domain.Invalidf("cost", "must be a positive whole number of currency units")
		}
		cost = &n
	}
	if cost == nil {
		return 0, nil
	}
	if *cost < 1 || *cost > 1<<53-1 {
		return 0, domain.Invalidf("cost", "must be a positive whole number of currency units")
	}
	return *cost, nil
}

// budgetForm is the budget part of the new-ballot form.
type budgetForm struct {
	Budget, Currency, BudgetRule, Completion string
	ExhaustiveStop, CompareWithGreedy        bool
}

func newBudgetForm() budgetForm {
	return budgetForm{Currency: "EUR", BudgetRule: "mes", Completion: "add1", ExhaustiveStop: true}
}

func readBudgetForm(c echo.Context) budgetForm {
	return budgetForm{Budget: c.FormValue("budget"), Currency: c.FormValue("currency"), BudgetRule: c.FormValue("budget_rule"),
		Completion: c.FormValue("completion"), ExhaustiveStop: c.FormValue("exhaustive_stop") == "1",
		CompareWithGreedy: c.FormValue("compare_with_greedy") == "1"}
}

// request turns the form into the API's fields; a budget that is not a
// whole number is sent as -1, which applyBudget refuses on its field.
func (f budgetForm) request() budgetRequest {
	r := budgetRequest{Currency: f.Currency, BudgetRule: f.BudgetRule}
	if t := strings.TrimSpace(f.Budget); t != "" {
		n, err := strconv.ParseInt(t, 10, 64)
		if err != nil {
			n = -1
		}
		r.Budget = &n
	}
	if r.BudgetRule != "greedy" {
		r.Completion, r.ExhaustiveStop, r.CompareWithGreedy = f.Completion, &f.ExhaustiveStop, &f.CompareWithGreedy
	}
	return r
}

// projectLine reads one project line of the form, "label | cost |
// description" (the description may be left out). A cost that is not a
// whole number is read as 0, which applyBudget refuses on its field.
func projectLine(line string) optionRequest {
	parts := strings.SplitN(line, "|", 3)
	o := optionRequest{Label: strings.TrimSpace(parts[0])}
	if len(parts) > 1 {
		o.Cost, _ = strconv.ParseInt(strings.TrimSpace(parts[1]), 10, 64)
	}
	if len(parts) > 2 {
		o.Description = strings.TrimSpace(parts[2])
	}
	return o
}

// Spent is the total cost of the ticked projects of a budget vote form.
func (f voteFormView) Spent() int64 {
	var n int64
	for _, r := range f.Rows {
		if r.Checked {
			n += r.Cost
		}
	}
	return n
}

// SpentPercent is Spent as a whole percentage of budget, at most 100.
func (f voteFormView) SpentPercent(budget int64) int64 {
	if budget <= 0 {
		if f.Spent() > 0 {
			return 100
		}
		return 0
	}
	return min(100, f.Spent()*100/budget)
}

// Completions lists the completions of rule mes for the form.
func (budgetForm) Completions() []string { return []string{"add1", "add1+greedy", "none"} }
