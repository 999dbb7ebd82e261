package web

import (
	"cmp"
	"context"
	"errors"
	"html/template"
	"math/big"
	"net/http"

	"github.com/labstack/echo/v4"

	"koinon/internal/store"
	"koinon/internal/tally"
)

// The result page (GET /ballots/:id/results): its view models, handler
// and the caller's own vote; results_methods.go builds the per-method
// parts from the one result model (results.go).

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
