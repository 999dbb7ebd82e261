package web

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"koinon/internal/chart"
	"koinon/internal/tally"
)

// The result page's view built from the one result model: the figures
// every method shares, then one builder per method.

// resTranslate is the template function t bound to one language.
type resTranslate = func(key string, args ...any) string

func buildResultsView(d *resultData, bv resBallot, tr resTranslate) *resultsView {
	r := &d.Result
	w := r.Weights
	v := &resultsView{Method: d.Method, QuorumMet: r.QuorumMet, Weights: w, Passed: r.Passed != nil && *r.Passed,
		Voters: resVoterCounts{d.CastVoters, d.DelegatedVoters, d.LostVoters}, Carriers: len(r.Carriers),
		CarriersForHalf: d.CarriersForHalf, MaxWeight: w.MaxWeight, Threshold: bv.Threshold}
	for _, k := range r.Winners {
		v.Winners = append(v.Winners, d.Label(k))
	}
	v.Hypothetical = len(r.Winners) == 0 && d.Method != "majority"

	// Participation: direct, delegated, lost, absent, with the quorum.
	part := []struct {
		key string
		val int64
	}{{"results.part.direct", w.Direct}, {"results.part.delegated", w.Delegated}, {"results.part.lost", w.Lost}, {"results.part.absent", w.Absent}}
	var segs []chart.Segment
	for _, p := range part {
		v.PartRows = append(v.PartRows, resFigure{Label: tr(p.key), Value: p.val, Share: resShare(p.val, w.Eligible)})
		segs = append(segs, chart.Segment{Label: tr(p.key), Value: float64(p.val), ValueText: strconv.FormatInt(p.val, 10)})
	}
	var markers []chart.Marker
	if q, err := tally.ParseRational(bv.Quorum); err == nil && q.Num > 0 && q.Den > 0 {
		qw := float64(w.Eligible) * float64(q.Num) / float64(q.Den)
		v.QuorumWeight = strconv.FormatFloat(qw, 'f', -1, 64)
		markers = append(markers, chart.Marker{Label: tr("results.chart.quorum", bv.Quorum, v.QuorumWeight), Value: qw})
	}
	v.Participation = chart.Stacked{
		ID: "chart-participation", Title: tr("results.part.chart.title"),
		Desc:     tr("results.part.chart.desc", w.Direct, w.Delegated, w.Lost, w.Absent, w.Eligible),
		Segments: segs, Markers: markers, Total: float64(w.Eligible),
	}.SVG()

	switch d.Method {
	case "majority":
		resMajority(v, d, tr)
	case "plurality", "approval":
		resTotals(v, d, tr, w.Participating)
	case "irv":
		resTotals(v, d, tr, w.Participating)
		resIRV(v, d, tr)
	case "stv":
		resSTV(v, d, tr)
	case "schulze":
		resSchulze(v, d, tr, bv.ID)
	}
	v.Ties = resTies(d, tr)
	resDelegation(v, d, tr)
	return v
}

func resMajority(v *resultsView, d *resultData, tr resTranslate) {
	t := d.Result.Totals
	yes, no, abstain := t["yes"], t["no"], t["abstain"]
	colors := map[string]string{"yes": "#1d6b2f", "no": "#a40e26", "abstain": "#4a5360"}
	var items []chart.BarItem
	for _, k := range []string{"yes", "no", "abstain"} {
		label := tr("results.majority." + k)
		v.Totals = append(v.Totals, resTotal{Key: k, Label: label, Value: t[k], Share: resShare(t[k], d.Result.Weights.Participating), Winner: k == "yes" && v.Passed})
		items = append(items, chart.BarItem{Label: label, Value: float64(t[k]), ValueText: strconv.FormatInt(t[k], 10), Emphasis: k == "yes" && v.Passed, Color: colors[k]})
	}
	var markers []chart.Marker
	if th, err := tally.ParseRational(v.Threshold); err == nil && th.Den > 0 {
		need := float64(yes+no) * float64(th.Num) / float64(th.Den)
		markers = append(markers, chart.Marker{Label: tr("results.chart.threshold", v.Threshold, strconv.FormatFloat(need, 'f', -1, 64)), Value: need})
	}
	outcome := tr("results.failed")
	if v.Passed {
		outcome = tr("results.passed")
	}
	v.TotalsChart = chart.Bars{ID: "chart-totals", Title: tr("results.totals.chart.title"),
		Desc:  tr("results.majority.chart.desc", yes, no, abstain, outcome),
		Items: items, Markers: markers}.SVG()
}

func resTotals(v *resultsView, d *resultData, tr resTranslate, participating int64) {
	t := d.Result.Totals
	var items []chart.BarItem
	var desc []string
	color := map[string]string{}
	for i, o := range d.Options {
		color[o.Key] = chart.Palette[i%len(chart.Palette)]
	}
	for _, o := range totalsOrder(d.Options, func(o tally.Option) string { return o.Key }, t, d.Result.Winners) {
		won := slices.Contains(d.Result.Winners, o.Key)
		v.Totals = append(v.Totals, resTotal{Key: o.Key, Label: d.Label(o.Key), Value: t[o.Key], Share: resShare(t[o.Key], participating), Winner: won})
		items = append(items, chart.BarItem{Label: d.Label(o.Key), Value: float64(t[o.Key]), ValueText: strconv.FormatInt(t[o.Key], 10),
			Emphasis: won, Color: color[o.Key]})
		desc = append(desc, d.Label(o.Key)+" "+strconv.FormatInt(t[o.Key], 10))
	}
	title := tr("results.totals.chart.title")
	if d.Method == "irv" {
		title = tr("results.totals.first")
	}
	v.TotalsChart = chart.Bars{ID: "chart-totals", Title: title,
		Desc: tr("results.totals.chart.desc", strings.Join(desc, "; "), v.winnersText(tr)), Items: items}.SVG()
}

// electedWords are the round table's words for an election: "elected", or
// "would have been elected" when the result elected nobody (quorum not
// met), so that the rounds never contradict the outcome.
func (v *resultsView) electedWords(tr resTranslate) (action func(label string) string, state string) {
	if v.Hypothetical {
		return func(l string) string { return tr("results.round.would_elect", l) }, tr("results.state.would_elect")
	}
	return func(l string) string { return tr("results.round.elected", l) }, tr("results.state.elected")
}

// winnersText lists the winners for a chart description, or says there are none.
func (v *resultsView) winnersText(tr resTranslate) string {
	if len(v.Winners) == 0 {
		return tr("results.none")
	}
	return strings.Join(v.Winners, ", ")
}

func resIRV(v *resultsView, d *resultData, tr resTranslate) {
	elected, electedState := v.electedWords(tr)
	rounds := d.Result.IRVRounds
	v.RoundRows = make([]resRoundRow, len(d.Options))
	series := make([]chart.Series, len(d.Options))
	var xl []string
	for i, o := range d.Options {
		v.RoundRows[i].Label = d.Label(o.Key)
		series[i].Label = d.Label(o.Key)
	}
	for ri, rd := range rounds {
		xl = append(xl, strconv.Itoa(ri+1))
		var acts []string
		if rd.Eliminated != "" {
			acts = append(acts, tr("results.round.eliminated", d.Label(rd.Eliminated)))
		}
		if rd.Elected != "" {
			acts = append(acts, elected(d.Label(rd.Elected)))
		}
		v.RoundHeads = append(v.RoundHeads, resRoundHead{N: ri + 1, Actions: strings.Join(acts, "; ")})
		v.Exhausted = append(v.Exhausted, resNumber{Text: strconv.FormatInt(rd.Exhausted, 10)})
		for i, o := range d.Options {
			total, in := rd.Totals[o.Key]
			cell := resRoundCell{Text: "—", Class: "out"}
			if in {
				cell = resRoundCell{Text: strconv.FormatInt(total, 10)}
				series[i].Points = append(series[i].Points, chart.Point{X: ri, Y: float64(total)})
			}
			switch o.Key {
			case rd.Eliminated:
				cell.Note, cell.Class = tr("results.state.eliminated"), "defeated"
				series[i].Ended = true
			case rd.Elected:
				cell.Note, cell.Class = electedState, "elected"
			}
			v.RoundRows[i].Cells = append(v.RoundRows[i].Cells, cell)
		}
	}
	v.RoundsChart = chart.Lines{ID: "chart-rounds", Title: tr("results.rounds.chart.title"),
		Desc:    tr("results.rounds.chart.desc.irv", len(rounds), v.winnersText(tr)),
		XLabels: xl, Series: series, XTitle: tr("results.round"), YTitle: tr("results.weight")}.SVG()
}

func resSTV(v *resultsView, d *resultData, tr resTranslate) {
	rounds := d.Result.STVRounds
	elected, electedState := v.electedWords(tr)
	// First preferences for the totals chart come from Totals when set.
	if d.Result.Totals != nil {
		resTotals(v, d, tr, d.Result.Weights.Participating)
		v.TotalsChart = ""
	}
	v.RoundRows = make([]resRoundRow, len(d.Options))
	series := make([]chart.Series, len(d.Options)+1)
	quota := &series[len(d.Options)]
	quota.Label, quota.Reference = tr("results.quota"), true
	var xl []string
	for i, o := range d.Options {
		v.RoundRows[i].Label = d.Label(o.Key)
		series[i].Label = d.Label(o.Key)
	}
	for ri, rd := range rounds {
		xl = append(xl, strconv.Itoa(ri+1))
		var acts []string
		if key, ok := stvActions[rd.Action]; ok {
			var subject []any
			if rd.Subject != "" {
				subject = append(subject, d.Label(rd.Subject))
			}
			acts = append(acts, tr(key, subject...))
		}
		for _, k := range rd.Elected {
			acts = append(acts, elected(d.Label(k)))
		}
		for _, k := range rd.Defeated {
			acts = append(acts, tr("results.round.defeated", d.Label(k)))
		}
		v.RoundHeads = append(v.RoundHeads, resRoundHead{N: ri + 1, Actions: strings.Join(acts, "; ")})
		v.Quotas = append(v.Quotas, stvFigure(rd.Quota))
		v.Exhausted = append(v.Exhausted, stvFigure(rd.Exhausted))
		if q, err := strconv.ParseFloat(rd.Quota, 64); err == nil {
			quota.Points = append(quota.Points, chart.Point{X: ri, Y: q})
		}
		for i, o := range d.Options {
			cd, ok := rd.Candidates[o.Key]
			cell := resRoundCell{Text: "—", Class: "out"}
			if ok {
				vote := stvFigure(cd.Vote)
				cell = resRoundCell{Text: vote.Text, Exact: tr("results.stv.exact", cd.Vote)}
				var notes []string
				if cd.Keep != "" {
					notes = append(notes, tr("results.keep", stvFigure(cd.Keep).Text))
					cell.Exact = tr("results.stv.exact.keep", cd.Vote, cd.Keep)
				}
				justDefeated := slices.Contains(rd.Defeated, o.Key)
				switch {
				case slices.Contains(rd.Elected, o.Key):
					notes = append(notes, electedState)
					cell.Class = "elected"
				case justDefeated:
					notes = append(notes, tr("results.state.defeated"))
					cell.Class = "defeated"
				case cd.State == "elected":
					notes = append(notes, electedState)
					cell.Class = "elected"
				case cd.State == "defeated":
					notes = append(notes, tr("results.state.defeated"))
					cell.Class = "out"
				}
				cell.Note = strings.Join(notes, " · ")
				if cd.State != "defeated" || justDefeated {
					if f, err := strconv.ParseFloat(cd.Vote, 64); err == nil && !series[i].Ended {
						series[i].Points = append(series[i].Points, chart.Point{X: ri, Y: f})
					}
				}
				if justDefeated {
					series[i].Ended = true
				}
			}
			v.RoundRows[i].Cells = append(v.RoundRows[i].Cells, cell)
		}
	}
	v.RoundsChart = chart.Lines{ID: "chart-rounds", Title: tr("results.rounds.chart.title"),
		Desc:    tr("results.rounds.chart.desc.stv", len(rounds), v.winnersText(tr)),
		XLabels: xl, Series: series, XTitle: tr("results.round"), YTitle: tr("results.votes")}.SVG()
}

// matrixPageMax is the most options whose Schulze matrices the result
// page shows as tables (2 × n² cells); beyond it the page links the result
// document, which holds both matrices, and keeps the ranking.
const matrixPageMax = 30

func resSchulze(v *resultsView, d *resultData, tr resTranslate, ballotID int64) {
	labels := make([]string, len(d.Options))
	for i, o := range d.Options {
		labels[i] = d.Label(o.Key)
	}
	if len(labels) > matrixPageMax {
		v.MatrixFile, v.MatrixOptions = fmt.Sprintf("/api/v1/ballots/%d/result", ballotID), len(labels)
	} else {
		v.Matrix = resMatrixOf(d.Result.Pairwise, labels, tr)
		v.Paths = resMatrixOf(d.Result.Paths, labels, tr)
	}
	for _, g := range d.Result.Ranking {
		var ls []string
		for _, k := range g {
			ls = append(ls, d.Label(k))
		}
		v.Ranking = append(v.Ranking, ls)
	}
}

func resMatrixOf(m [][]int64, labels []string, tr resTranslate) resMatrix {
	mv := resMatrix{Labels: labels}
	for i := range m {
		var row []resMatrixCell
		for j := range m[i] {
			if i == j || j >= len(m) || i >= len(m[j]) {
				row = append(row, resMatrixCell{Text: "—", Class: "self"})
				continue
			}
			c := resMatrixCell{Text: strconv.FormatInt(m[i][j], 10)}
			switch {
			case m[i][j] > m[j][i]:
				c.Mark, c.Class = "▲", "win"
				c.Title = tr("results.matrix.beats", labels[i], labels[j], m[i][j], m[j][i])
			case m[i][j] < m[j][i]:
				c.Mark, c.Class = "▼", "lose"
				c.Title = tr("results.matrix.loses", labels[i], labels[j], m[i][j], m[j][i])
			default:
				c.Mark, c.Class = "=", "tie"
				c.Title = tr("results.matrix.ties", labels[i], labels[j], m[i][j])
			}
			row = append(row, c)
		}
		mv.Rows = append(mv.Rows, row)
	}
	return mv
}

func resDelegation(v *resultsView, d *resultData, tr resTranslate) {
	total := d.Result.Weights.Participating
	var topSum int64
	for i, c := range d.Top {
		v.Top = append(v.Top, resCarrier{Rank: i + 1, Voter: c.Voter, Weight: c.Weight, Share: resShare(c.Weight, total)})
		topSum += c.Weight
	}
	v.TopShare = resShare(topSum, total)
	var bins []chart.Bin
	var desc []string
	for i, n := range d.Hops {
		label := strconv.Itoa(i + 1)
		if i == len(d.Hops)-1 && len(d.Hops) == 8 {
			label += "+"
		}
		v.Hops = append(v.Hops, resFigure{Label: label, Value: n, Share: resShare(n, d.DelegatedVoters)})
		bins = append(bins, chart.Bin{Label: label, Value: float64(n), ValueText: strconv.FormatInt(n, 10)})
		desc = append(desc, tr("results.hops.bin", i+1, label, n))
	}
	v.HopsChart = chart.Histogram{ID: "chart-hops", Title: tr("results.hops.chart.title"),
		Desc: tr("results.hops.chart.desc", d.DelegatedVoters, strings.Join(desc, "; ")), Bins: bins, XTitle: tr("results.hops")}.SVG()
}

// totalsOrder is the order of every totals table and chart: the winners
// first, in the order the result lists them (tally.md §4: order of
// election, ties by the tie-break order), then the other options by total,
// highest first, equal totals in ballot order.
func totalsOrder[O any](opts []O, key func(O) string, totals map[string]int64, winners []string) []O {
	rank := func(o O) int {
		if i := slices.Index(winners, key(o)); i >= 0 {
			return i
		}
		return len(winners)
	}
	out := slices.Clone(opts)
	slices.SortStableFunc(out, func(a, b O) int {
		return cmp.Or(cmp.Compare(rank(a), rank(b)), cmp.Compare(totals[key(b)], totals[key(a)]))
	})
	return out
}

// resShare is the one rounding rule of every percentage Koinon shows
// (docs/results.md, "Percentages"): part/total with one decimal, rounded
// half up, computed in integers: 1/3 is "33.3%", 2/3 is "66.7%".
func resShare(part, total int64) string {
	if total <= 0 {
		return "—"
	}
	// Round half up at the first decimal.
	tenths := (part*2000/total + 1) / 2
	return strconv.FormatInt(tenths/10, 10) + "." + strconv.FormatInt(tenths%10, 10) + "%"
}
