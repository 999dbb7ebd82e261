package web

import (
	"context"
	"html/template"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"koinon/internal/chart"
	"koinon/internal/store"
	"koinon/internal/tally"
)

// resBudget is the results page of a budget ballot: what was funded, what
// it cost, how the Method of Equal Shares shared the money out, what the
// greedy rule would have funded instead, and, for the signed-in voter,
// how their share was spent.
type resBudget struct {
	Currency            string
	Budget, Spent, Left int64
	Rule, Completion    string
	QuorumMet           bool
	Bar                 template.HTML   // spent and left
	FundedChart         template.HTML   // the funded projects' costs
	Funded              []resProject    // in the order they were funded
	NotFunded           []resProject    // the other projects, by votes
	Endowment           string          // mes: each unit of weight's share
	Steps               int             // mes: add1 steps
	Greedy              *resGreedy      // mes: the greedy outcome beside it
	Share               *resBudgetShare // the signed-in voter's share
}

// resProject is one project with its figures. Payers groups who paid for
// it (mes) by what they paid per unit of weight.
type resProject struct {
	Label     string
	Cost      int64
	Votes     int64
	By        string // mes or greedy
	Q         string // mes: price per unit of weight
	Effective string // mes: effective vote count cost / q
	Payers    []resPayer
}

// resPayer is a group of carriers who paid the same per unit of weight.
type resPayer struct {
	PerUnit  string
	Weight   int64
	Carriers int
	Total    string
}

// resGreedy sets the greedy outcome beside the MES one.
type resGreedy struct {
	Rows         []resSideBySide
	GreedySpent  int64
	MESSpent     int64
	PreferGreedy int64
	PreferMES    int64
	Used         string // the outcome the result uses: mes or greedy
	Chart        template.HTML
}

type resSideBySide struct {
	Label     string
	Cost      int64
	Votes     int64
	MES       bool
	Greedy    bool
	Different bool
}

// resBudgetShare is how the signed-in voter's share of the budget was spent:
// their carrier's payments scaled to the voter's own weight.
type resBudgetShare struct {
	State    string // cast, delegated; other states have no share
	Weight   int64
	Carrier  string
	CarrierW int64
	Share    string
	Spent    string
	Rows     []resBudgetShareRow
}

type resBudgetShareRow struct{ Label, Amount string }

// budgetResults builds the budget part of the results page.
func (s *Server) budgetResults(ctx context.Context, b *store.Ballot, d *resultData, tr resTranslate, mine *resMyVote) (*resBudget, error) {
	r := d.Result.Budget
	if r == nil {
		return nil, nil
	}
	cur := b.Currency
	v := &resBudget{Currency: cur, Budget: b.Budget, Spent: r.Spent, Left: r.Left, Rule: b.BudgetRule,
		Completion: b.Completion, QuorumMet: d.Result.QuorumMet, Steps: r.Add1Steps}
	cost := map[string]int64{}
	for _, o := range d.Options {
		cost[o.Key] = o.Cost
	}
	project := func(k string) resProject {
		return resProject{Label: d.Label(k), Cost: cost[k], Votes: d.Result.Totals[k]}
	}
	// Payers per project, grouped by what they paid per unit of weight.
	weightOf := map[string]int64{}
	for _, c := range d.Result.Carriers {
		weightOf[c.Voter] = c.Weight
	}
	type group struct {
		perUnit  *big.Rat
		weight   int64
		carriers int
		total    *big.Rat
	}
	payers := map[string][]*group{}
	for _, p := range r.Payments {
		w := weightOf[p.Voter]
		if w == 0 {
			continue
		}
		for k, amt := range p.Paid {
			a, ok := new(big.Rat).SetString(amt)
			if !ok {
				continue
			}
			per := new(big.Rat).Quo(a, new(big.Rat).SetInt64(w))
			i := slices.IndexFunc(payers[k], func(g *group) bool { return g.perUnit.Cmp(per) == 0 })
			if i < 0 {
				payers[k] = append(payers[k], &group{perUnit: per, total: new(big.Rat)})
				i = len(payers[k]) - 1
			}
			g := payers[k][i]
			g.weight += w
			g.carriers++
			g.total.Add(g.total, a)
		}
	}
	funded := map[string]bool{}
	for _, rd := range r.Rounds {
		p := project(rd.Key)
		p.By, p.Q, p.Effective = rd.By, ratText(rd.Q), ratText(rd.EffectiveVotes)
		gs := payers[rd.Key]
		slices.SortFunc(gs, func(a, b *group) int { return b.perUnit.Cmp(a.perUnit) })
		for _, g := range gs {
			p.Payers = append(p.Payers, resPayer{PerUnit: ratText(g.perUnit.RatString()), Weight: g.weight, Carriers: g.carriers, Total: ratText(g.total.RatString())})
		}
		if d.Result.QuorumMet && slices.Contains(d.Result.Winners, rd.Key) {
			funded[rd.Key] = true
		}
		v.Funded = append(v.Funded, p)
	}
	// With the greedy comparison used, the winners are greedy's.
	if r.Comparison != nil && r.Comparison.Used == "greedy" && d.Result.QuorumMet {
		v.Funded = v.Funded[:0]
		clear(funded)
		for _, k := range d.Result.Winners {
			p := project(k)
			p.By = "greedy"
			v.Funded = append(v.Funded, p)
			funded[k] = true
		}
	}
	for _, o := range d.Options {
		if !funded[o.Key] {
			v.NotFunded = append(v.NotFunded, project(o.Key))
		}
	}
	slices.SortStableFunc(v.NotFunded, func(a, b resProject) int { return int(b.Votes - a.Votes) })
	if !v.QuorumMet {
		v.Funded = nil
	}
	v.Bar = chart.Stacked{ID: "chart-budget", Title: tr("budget.results.bar.title"),
		Desc: tr("budget.results.bar.desc", money(v.Spent, cur), money(v.Left, cur), money(v.Budget, cur)),
		Segments: []chart.Segment{
			{Label: tr("budget.results.spent"), Value: float64(v.Spent), ValueText: money(v.Spent, cur)},
			{Label: tr("budget.results.left"), Value: float64(v.Left), ValueText: money(v.Left, cur)},
		}, Total: float64(max(v.Budget, 1))}.SVG()
	var items []chart.BarItem
	var desc []string
	for i, p := range v.Funded {
		items = append(items, chart.BarItem{Label: p.Label, Value: float64(p.Cost), ValueText: money(p.Cost, cur), Color: chart.Palette[i%len(chart.Palette)]})
		desc = append(desc, p.Label+" "+money(p.Cost, cur))
	}
	if len(items) > 0 {
		v.FundedChart = chart.Bars{ID: "chart-funded", Title: tr("budget.results.funded.chart"), Desc: strings.Join(desc, "; "), Items: items}.SVG()
	}
	if !v.QuorumMet {
		// Nothing is funded: no payments, comparison or share to show
		// (the rounds the count would have made are in the proof).
		return v, nil
	}
	if r.Endowment != "" {
		v.Endowment = ratText(r.Endowment)
		g, err := s.budgetGreedy(ctx, b, d, r, tr)
		if err != nil {
			return nil, err
		}
		v.Greedy = g
	}
	if mine != nil {
		v.Share = budgetShare(mine, r, d, cur)
	}
	return v, nil
}

// budgetCompare is what greedy funds on a budget ballot, and the weight
// of voters it and MES each serve better.
type budgetCompare struct {
	greedy, mes             []string
	preferGreedy, preferMES int64
}

// budgetCompareOf computes a budgetCompare from the proof's votes, once
// per proof hash.
func (s *Server) budgetCompareOf(ctx context.Context, b *store.Ballot, d *resultData, r *tally.BudgetResult) (budgetCompare, error) {
	return s.results.greedy.get(ctx, b.ProofHash, func(ctx context.Context) (budgetCompare, error) {
		_, pv, err := s.exportLoadVotes(ctx, b)
		if err != nil {
			return budgetCompare{}, err
		}
		bc := budgetCompare{greedy: tally.BudgetGreedy(d.Options, d.Result.Totals, b.Budget, pv.Tiebreak)}
		for _, rd := range r.Rounds {
			bc.mes = append(bc.mes, rd.Key)
		}
		choices := make([]tally.Choice, 0, len(pv.Votes))
		weights := make([]int64, 0, len(pv.Votes))
		for _, v := range pv.Votes {
			c, err := tally.DecodeChoice("budget", v.Choice)
			if err != nil {
				return budgetCompare{}, err
			}
			choices = append(choices, c)
			weights = append(weights, d.carrierWeight(v.Voter))
		}
		bc.preferGreedy, bc.preferMES = tally.BudgetPreference(choices, weights, bc.greedy, bc.mes)
		return bc, nil
	})
}

// budgetGreedy sets what the greedy rule would have funded beside the MES
// outcome, with the weight of voters each serves better.
func (s *Server) budgetGreedy(ctx context.Context, b *store.Ballot, d *resultData, r *tally.BudgetResult, tr resTranslate) (*resGreedy, error) {
	bc, err := s.budgetCompareOf(ctx, b, d, r)
	if err != nil {
		return nil, err
	}
	greedy, mes := bc.greedy, bc.mes
	g := &resGreedy{Used: "mes"}
	if r.Comparison != nil {
		g.Used = r.Comparison.Used
	}
	g.PreferGreedy, g.PreferMES = bc.preferGreedy, bc.preferMES
	for _, o := range d.Options {
		row := resSideBySide{Label: o.Label, Cost: o.Cost, Votes: d.Result.Totals[o.Key], MES: slices.Contains(mes, o.Key), Greedy: slices.Contains(greedy, o.Key)}
		if !row.MES && !row.Greedy {
			continue
		}
		row.Different = row.MES != row.Greedy
		if row.MES {
			g.MESSpent += o.Cost
		}
		if row.Greedy {
			g.GreedySpent += o.Cost
		}
		g.Rows = append(g.Rows, row)
	}
	g.Chart = chart.Bars{ID: "chart-compare", Title: tr("budget.compare.chart.title"),
		Desc: tr("budget.compare.chart.desc", g.PreferMES, g.PreferGreedy),
		Items: []chart.BarItem{
			{Label: tr("budget.compare.mes"), Value: float64(g.PreferMES), ValueText: strconv.FormatInt(g.PreferMES, 10), Color: chart.Palette[0]},
			{Label: tr("budget.compare.greedy"), Value: float64(g.PreferGreedy), ValueText: strconv.FormatInt(g.PreferGreedy, 10), Color: chart.Palette[1]},
		}}.SVG()
	return g, nil
}

// budgetShare scales the carrier's payments to the voter's own weight.
func budgetShare(mine *resMyVote, r *tally.BudgetResult, d *resultData, cur string) *resBudgetShare {
	sh := &resBudgetShare{State: mine.State, Weight: mine.Weight, Carrier: mine.Carrier, CarrierW: mine.CarrierW}
	if (mine.State != "cast" && mine.State != "delegated") || mine.CarrierW == 0 {
		return sh
	}
	i := slices.IndexFunc(r.Payments, func(p tally.Payment) bool { return p.Voter == mine.Carrier })
	if i < 0 {
		return sh
	}
	p := r.Payments[i]
	scale := big.NewRat(mine.Weight, mine.CarrierW)
	scaled := func(s string) string {
		x, ok := new(big.Rat).SetString(s)
		if !ok {
			return s
		}
		return ratText(x.Mul(x, scale).RatString())
	}
	sh.Share, sh.Spent = scaled(p.Endowment), scaled(p.Spent)
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range p.Paid {
			if !yield(k) {
				return
			}
		}
	}) {
		sh.Rows = append(sh.Rows, resBudgetShareRow{Label: d.Label(k), Amount: scaled(p.Paid[k])})
	}
	return sh
}

// ratText writes a rational "n/d" for people: whole numbers as they are,
// others rounded to two decimals with "≈" (the exact value is in the proof).
func ratText(s string) string {
	if s == "" {
		return ""
	}
	x, ok := new(big.Rat).SetString(s)
	if !ok {
		return s
	}
	if x.IsInt() {
		return groupDigits(x.Num().String())
	}
	return "≈ " + x.FloatString(2)
}

// money writes an amount in whole currency units with its code, digits
// grouped by thin spaces (readable in English and German alike).
func money(n int64, currency string) string {
	s := groupDigits(strconv.FormatInt(n, 10))
	if currency == "" {
		return s
	}
	return s + "\u00a0" + currency
}

func groupDigits(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var out strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out.WriteString("\u202f")
		}
		out.WriteRune(c)
	}
	if neg {
		return "-" + out.String()
	}
	return out.String()
}
