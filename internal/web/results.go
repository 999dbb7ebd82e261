package web

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"math/big"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"koinon/internal/chart"
	"koinon/internal/proof"
	"koinon/internal/store"
	"koinon/internal/tally"
)

// Result pages read the stored ResultJSON of a closed ballot and never
// recount. Parsing the result of a large ballot (a million resolution rows)
// takes a second or more, so the parsed result and everything the page
// derives from it (top carriers, chain-length histogram, tables) is kept in
// memory per ballot, keyed by the proof hash: a sealed proof never changes,
// and a different hash means a different result.

// topCarriers is how many of the largest carriers the page lists.
const topCarriers = 20

// resultCaches hold what the result pages derive from sealed proofs, each
// keyed by proof hash (web/cache.go).
type resultCaches struct {
	data      *cache[*resultData]     // parsed results, the costliest to build
	docs      *cache[[]byte]          // stored result documents, by kind and hash
	summaries *cache[ballotSummary]   // the history page's figures
	audits    *cache[auditInfo]       // proofs' seal fields
	receipts  *cache[*proof.Receipts] // receipt issuers (about 100 bytes per vote each)
	greedy    *cache[budgetCompare]   // a budget ballot's greedy outcome and who each rule serves better
}

func newResultCaches() resultCaches {
	return resultCaches{
		data:      newCache[*resultData](16, nil),
		docs:      newCache(256<<20, func(d []byte) int { return len(d) }),
		summaries: newCache[ballotSummary](4096, nil),
		audits:    newCache[auditInfo](4096, nil),
		receipts:  newCache[*proof.Receipts](8, nil),
		greedy:    newCache[budgetCompare](4096, nil),
	}
}

// resultData is a closed ballot's parsed result with the figures the pages
// derive from it; it does not depend on the language.
type resultData struct {
	Method  string
	Options []tally.Option
	label   map[string]string
	Result  tally.Result
	// Largest carriers, by weight, then voter.
	Top []tally.Carrier
	// CarriersForHalf is how many of the largest carriers hold at least
	// half of the participating weight.
	CarriersForHalf int
	// Hops[i] counts delegated voters whose chain has i+1 hops; the last
	// bin counts that many or more.
	Hops []int64
	// Voter counts by state (the weights are in Result.Weights).
	CastVoters, DelegatedVoters, LostVoters int64
}

// ballotResult loads and parses the ballot's result through the cache.
func (s *Server) ballotResult(ctx context.Context, b *store.Ballot) (*resultData, error) {
	return s.results.data.get(ctx, b.ProofHash, func(ctx context.Context) (*resultData, error) {
		raw, err := s.resultJSON(ctx, b)
		if err != nil {
			return nil, err
		}
		opts, err := s.store.BallotOptions(ctx, b.ID)
		if err != nil {
			return nil, err
		}
		return newResultData(b.Method, opts, raw)
	})
}

// resultJSON is the stored result of a closed ballot (the result object
// of proof.md, per-voter resolution included), kept in memory by proof
// hash: the result API serves these bytes as they are.
func (s *Server) resultJSON(ctx context.Context, b *store.Ballot) ([]byte, error) {
	if b.ResultJSON != nil {
		return []byte(*b.ResultJSON), nil
	}
	return s.results.docs.get(ctx, "result:"+b.ProofHash, func(ctx context.Context) ([]byte, error) {
		return s.store.BallotResult(ctx, b.ID)
	})
}

// resultSummaryJSON is the stored result without its per-voter lists
// (resolution and carriers), which grow with the electorate: what
// GET /api/v1/ballots/{id} and the ballot page show. Cached by proof hash.
// fullResultInBallot: GET /api/v1/ballots/{id} embeds the whole result
// (api.md: "when closed, its result") up to this size; a larger result (a
// ballot of tens of thousands of voters) is summarised there without the
// per-voter resolution and carriers, which …/result always serves.
const fullResultInBallot = 1 << 20

func (s *Server) resultSummaryJSON(ctx context.Context, b *store.Ballot) ([]byte, error) {
	return s.results.docs.get(ctx, "summary:"+b.ProofHash, func(ctx context.Context) ([]byte, error) {
		raw, err := s.resultJSON(ctx, b)
		if err != nil {
			return nil, err
		}
		if len(raw) <= fullResultInBallot {
			return raw, nil
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(raw, &fields); err != nil {
			return nil, fmt.Errorf("results: parse stored result of ballot %d: %w", b.ID, err)
		}
		delete(fields, "resolution")
		delete(fields, "carriers")
		return json.Marshal(fields) // keys stay sorted, as canonical JSON has them
	})
}

// proofJSON is a closed ballot's sealed proof, read from the database on
// each call (it is the largest document; downloads carry an ETag).
func (s *Server) proofJSON(ctx context.Context, b *store.Ballot) ([]byte, error) {
	if b.ProofJSON != nil {
		return []byte(*b.ProofJSON), nil
	}
	return s.store.BallotProof(ctx, b.ID)
}

func newResultData(method string, opts []store.BallotOption, raw []byte) (*resultData, error) {
	d := &resultData{Method: method, label: map[string]string{}}
	if err := json.Unmarshal(raw, &d.Result); err != nil {
		return nil, fmt.Errorf("results: parse stored result: %w", err)
	}
	for _, o := range opts {
		d.Options = append(d.Options, tally.Option{Key: o.Key, Label: o.Label, Cost: o.Cost})
		d.label[o.Key] = o.Label
	}
	r := &d.Result
	d.Top = slices.Clone(r.Carriers)
	slices.SortFunc(d.Top, func(a, b tally.Carrier) int {
		return cmp.Or(cmp.Compare(b.Weight, a.Weight), strings.Compare(a.Voter, b.Voter))
	})
	var sum int64
	for i, c := range d.Top {
		sum += c.Weight
		if 2*sum >= r.Weights.Participating {
			d.CarriersForHalf = i + 1
			break
		}
	}
	if len(d.Top) > topCarriers {
		d.Top = slices.Clip(d.Top[:topCarriers])
	}
	const maxHops = 8
	d.Hops = make([]int64, maxHops)
	for _, row := range r.Resolution {
		switch row.State {
		case tally.StateCast:
			d.CastVoters++
		case tally.StateDelegated:
			d.DelegatedVoters++
			h := min(max(row.Hops, 1), maxHops)
			d.Hops[h-1]++
		case tally.StateLost:
			d.LostVoters++
		}
	}
	// Drop empty bins at the end, but keep at least the first three.
	n := len(d.Hops)
	for n > 3 && d.Hops[n-1] == 0 {
		n--
	}
	d.Hops = d.Hops[:n]
	return d, nil
}

// Label is the option's label, or its key when unknown.
func (d *resultData) Label(key string) string {
	if l, ok := d.label[key]; ok && l != "" {
		return l
	}
	return key
}

// row finds a voter's resolution row (rows are sorted by voter).
func (d *resultData) row(voter string) (tally.ResolutionRow, bool) {
	rows := d.Result.Resolution
	i, ok := slices.BinarySearchFunc(rows, voter, func(r tally.ResolutionRow, v string) int { return strings.Compare(r.Voter, v) })
	if !ok {
		return tally.ResolutionRow{}, false
	}
	return rows[i], true
}

// carrierWeight is W(c) of a casting voter.
func (d *resultData) carrierWeight(voter string) int64 {
	cs := d.Result.Carriers
	i, ok := slices.BinarySearchFunc(cs, voter, func(c tally.Carrier, v string) int { return strings.Compare(c.Voter, v) })
	if !ok {
		return 0
	}
	return cs[i].Weight
}

// ---- view models ----

type resBallot struct {
	ID            int64
	Title         string
	Method        string
	Seats         int
	STVRule       string
	Threshold     string
	Strict        bool
	Quorum        string
	Delegation    bool
	Secrecy       string
	State         string
	Closed        bool
	Closing       ballotClosing
	CommunitySlug string
	CommunityName string
}

func newResBallot(b *store.Ballot, cm *store.Community) resBallot {
	v := resBallot{ID: b.ID, Title: b.Title, Method: b.Method, Seats: max(b.Seats, 1), STVRule: b.STVRule,
		Threshold: cmp.Or(b.Threshold, "1/2"), Strict: b.Strict, Quorum: cmp.Or(b.Quorum, "0/1"), Delegation: b.Delegation,
		Secrecy: cmp.Or(b.Secrecy, "public"), State: b.State, Closed: b.State == store.StateClosed && b.ProofHash != ""}
	if b.Method == "stv" && v.STVRule == "" {
		v.STVRule = "meek"
	}
	v.Closing = closingOf(*b)
	if cm != nil {
		v.CommunitySlug, v.CommunityName = cm.Slug, cm.Name
	}
	return v
}

type resultsPage struct {
	Page
	Ballot resBallot
	R      *resultsView
	Mine   *resMyVote
	Budget *resBudget // budget ballots only
}

// resultsView is what the result page shows, in the request's language.
type resultsView struct {
	Method    string
	Winners   []string // labels
	Passed    bool
	QuorumMet bool
	Weights   tally.Weights
	// Participation
	Participation template.HTML
	PartRows      []resFigure
	QuorumWeight  string // n/d × eligible, as a decimal
	// Totals (majority, plurality, approval; irv/stv first preferences)
	TotalsChart template.HTML
	Totals      []resTotal
	Threshold   string
	// Rounds (irv, stv)
	RoundsChart template.HTML
	RoundHeads  []resRoundHead
	RoundRows   []resRoundRow
	Exhausted   []resNumber
	Quotas      []resNumber
	// Hypothetical is set when the rounds elected someone the result does
	// not (quorum not met): they are shown as "would have been elected".
	Hypothetical bool
	// Ties are sentences about each tie that decided something (resTies).
	Ties []string
	// Schulze
	Matrix  resMatrix
	Paths   resMatrix
	Ranking [][]string

	// MatrixFile links the matrices as a download when the ballot has more
	// than matrixPageMax options (MatrixOptions) and the tables are left out.
	MatrixFile    string
	MatrixOptions int

	// Delegation
	Top             []resCarrier
	Carriers        int
	CarriersForHalf int
	TopShare        string
	MaxWeight       int64
	HopsChart       template.HTML
	Hops            []resFigure
	Voters          resVoterCounts
}

type resVoterCounts struct{ Cast, Delegated, Lost int64 }

type resFigure struct {
	Label string
	Value int64
	Share string
}

type resTotal struct {
	Key, Label string
	Value      int64
	Share      string
	Winner     bool
}

type resRoundHead struct {
	N       int
	Actions string
}

type resRoundRow struct {
	Label string
	Cells []resRoundCell
}

type resRoundCell struct {
	Text  string // figure
	Exact string // the exact figure when Text rounds it (a title tooltip)
	Note  string // keep factor, elected, eliminated…
	Class string // elected, out, ""
}

// resNumber is a figure as shown, with the exact value when Text rounds it.
type resNumber struct {
	Text, Exact string
}

// stvFigure shows an STV decimal (nine places for Meek, five for Scottish
// rules) to two decimals, rounded half away from zero in exact
// arithmetic, and keeps the exact value for the tooltip; exports carry it.
func stvFigure(s string) resNumber {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return resNumber{Text: s}
	}
	n := resNumber{Text: r.FloatString(2)}
	if n.Text != s {
		n.Exact = s
	}
	return n
}

// stvActions are the translation keys of the STV round actions of
// internal/tally/stv ("count" for Meek; "first", "surplus", "exclusion" for
// Scottish stages), each taking the subject's label when there is one.
var stvActions = map[string]string{
	"count":     "results.stv.action.count",
	"first":     "results.stv.action.first",
	"surplus":   "results.stv.action.surplus",
	"exclusion": "results.stv.action.exclusion",
}

type resMatrix struct {
	Labels []string
	Rows   [][]resMatrixCell
}

type resMatrixCell struct {
	Text  string
	Mark  string // ▲ beats, ▼ loses, = tie, "" diagonal
	Class string // win, lose, tie, self
	Title string
}

type resCarrier struct {
	Rank   int
	Voter  string
	Weight int64
	Share  string
}

type resMyVote struct {
	Voter        string
	Pseudonymous bool
	State        string // cast, delegated, lost, absent, off_roll
	Weight       int64  // own roll weight
	Chain        []string
	Carrier      string
	CarrierW     int64
	Hops         int
	Delegation   bool
}

// showResults renders GET /ballots/:id/results.
func (s *Server) showResults(c echo.Context) error {
	b, _ := c.Get("ballot").(*store.Ballot)
	if b == nil {
		return errorf(http.StatusNotFound, "not_found", "not found")
	}
	ctx := c.Request().Context()
	page := resultsPage{Page: s.page(c, "results.title"), Ballot: newResBallot(b, routeCommunityOf(c))}
	page.Title = b.Title
	if !page.Ballot.Closed {
		return s.render(c, http.StatusOK, "ballot_results", page)
	}
	d, err := s.ballotResult(ctx, b)
	if err != nil {
		return err
	}
	tr := s.locales.translator(page.Lang)
	page.R = buildResultsView(d, page.Ballot, tr)
	if ct := currentCitizen(c); ct != nil {
		mine, err := s.resultsMyVote(ctx, b, d, ct.ID)
		if err != nil {
			return err
		}
		page.Mine = mine
	}
	if b.Method == "budget" {
		if page.Budget, err = s.budgetResults(ctx, b, d, tr, page.Mine); err != nil {
			return err
		}
	}
	return s.render(c, http.StatusOK, "ballot_results", page)
}

// myVote traces the citizen's weight through the resolution rows.
func (s *Server) resultsMyVote(ctx context.Context, b *store.Ballot, d *resultData, citizenID int64) (*resMyVote, error) {
	w, err := s.store.RollWeight(ctx, b.ID, citizenID)
	if errors.Is(err, store.ErrNotFound) {
		return &resMyVote{State: "off_roll"}, nil
	}
	if err != nil {
		return nil, err
	}
	voter, err := s.store.VoterID(ctx, *b, citizenID)
	if err != nil {
		return nil, err
	}
	v := &resMyVote{Voter: voter, Pseudonymous: b.Secrecy == "pseudonymous", Weight: w, Delegation: b.Delegation}
	row, ok := d.row(voter)
	if !ok {
		v.State = "absent"
		return v, nil
	}
	v.State = row.State.String()
	switch row.State {
	case tally.StateCast:
		v.Carrier, v.CarrierW = voter, d.carrierWeight(voter)
	case tally.StateDelegated:
		v.Hops, v.Carrier = row.Hops, row.To
		v.CarrierW = d.carrierWeight(row.To)
		// Follow via links to the carrier; a chain is at most Hops long.
		v.Chain = []string{voter}
		cur := row
		for i := 0; i < row.Hops && cur.State == tally.StateDelegated; i++ {
			v.Chain = append(v.Chain, cur.Via)
			next, ok := d.row(cur.Via)
			if !ok {
				break
			}
			cur = next
		}
	}
	return v, nil
}

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
