package web

import (
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"koinon/internal/domain"
	"koinon/internal/store"
	"koinon/internal/tally"
)

// budgetRequest holds the fields of a budget ballot in a request.
type budgetRequest = domain.BudgetRequest

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

// budgetRules are the engine's parameters of a stored budget ballot.
func budgetRules(b store.Ballot) tally.BudgetRules {
	if b.Method != "budget" {
		return tally.BudgetRules{}
	}
	return tally.BudgetRules{Budget: b.Budget, Rule: b.BudgetRule, Completion: b.Completion,
		ExhaustiveStop: b.ExhaustiveStop, CompareWithGreedy: b.CompareWithGreedy}
}

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
