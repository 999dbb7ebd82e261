package web

import (
	"context"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"koinon/internal/chart"
	"koinon/internal/store"
)

// historyLimit is how many closed ballots the history page shows.
const historyLimit = 200

// ballotSummary is the part of a result the history page shows.
type ballotSummary struct {
	Winners       []string // labels
	Passed        *bool
	QuorumMet     bool
	Participating int64
	Eligible      int64
}

type historyPage struct {
	Page
	CommunitySlug string
	CommunityName string
	Rows          []historyRow
	Turnout       template.HTML
}

type historyRow struct {
	ID            int64
	Title         string
	Method        string
	ClosedAt      time.Time
	Outcome       string
	Turnout       string
	Participating int64
	Eligible      int64
}

// ballotSummary reads the figures of one closed ballot, once per proof.
func (s *Server) historySummary(ctx context.Context, b *store.Ballot) (ballotSummary, error) {
	return s.results.summaries.get(ctx, b.ProofHash, func(ctx context.Context) (ballotSummary, error) {
		// The summary leaves out the per-voter lists of a large result.
		raw, err := s.resultSummaryJSON(ctx, b)
		if err != nil {
			return ballotSummary{}, err
		}
		opts, err := s.store.BallotOptions(ctx, b.ID)
		if err != nil {
			return ballotSummary{}, err
		}
		d, err := newResultData(b.Method, opts, raw)
		if err != nil {
			return ballotSummary{}, err
		}
		r := &d.Result
		sum := ballotSummary{Passed: r.Passed, QuorumMet: r.QuorumMet, Participating: r.Weights.Participating, Eligible: r.Weights.Eligible}
		for _, k := range r.Winners {
			sum.Winners = append(sum.Winners, d.Label(k))
		}
		return sum, nil
	})
}

// showHistory renders GET /communities/:slug/history (and its short
// link /c/:slug/history).
func (s *Server) showHistory(c echo.Context) error {
	cm := routeCommunityOf(c)
	if cm == nil {
		return errorf(http.StatusNotFound, "not_found", "not found")
	}
	ctx := c.Request().Context()
	page := historyPage{Page: s.page(c, "history.title"), CommunitySlug: cm.Slug, CommunityName: cm.Name}
	ballots, err := s.store.ListBallots(ctx, store.BallotFilter{CommunityID: cm.ID, State: store.StateClosed, Limit: historyLimit})
	if err != nil {
		return err
	}
	// Oldest first, by closing time.
	slices.SortStableFunc(ballots, func(a, b store.Ballot) int { return closingOf(a).At.Compare(closingOf(b).At) })
	tr := s.locales.translator(page.Lang)
	var pts []chart.Point
	var desc []string
	var closed []time.Time
	var ids []int64
	for i := range ballots {
		b := &ballots[i]
		if b.ProofHash == "" {
			continue
		}
		sum, err := s.historySummary(ctx, b)
		if err != nil {
			return err
		}
		row := historyRow{ID: b.ID, Title: b.Title, Method: b.Method, ClosedAt: closingOf(*b).At,
			Turnout: resShare(sum.Participating, sum.Eligible), Participating: sum.Participating, Eligible: sum.Eligible}
		switch {
		case !sum.QuorumMet:
			row.Outcome = tr("history.outcome.no_quorum")
		case sum.Passed != nil && *sum.Passed:
			row.Outcome = tr("results.passed")
		case sum.Passed != nil:
			row.Outcome = tr("results.failed")
		case len(sum.Winners) == 0:
			row.Outcome = tr("history.outcome.none")
		default:
			row.Outcome = strings.Join(sum.Winners, ", ")
		}
		page.Rows = append(page.Rows, row)
		if sum.Eligible > 0 {
			pts = append(pts, chart.Point{X: len(closed), Y: float64(sum.Participating) * 100 / float64(sum.Eligible)})
		}
		closed, ids = append(closed, row.ClosedAt), append(ids, row.ID)
	}
	xl := historyLabels(closed, ids)
	for i, row := range page.Rows {
		desc = append(desc, xl[i]+" "+row.Turnout)
	}
	if len(page.Rows) > 0 {
		page.Turnout = chart.Lines{ID: "chart-turnout", Title: tr("history.chart.title"),
			Desc:    tr("history.chart.desc", len(page.Rows), strings.Join(desc, "; ")),
			XLabels: xl, Series: []chart.Series{{Label: tr("history.turnout"), Points: pts}},
			YMax: 100, XTitle: tr("history.closed"), YTitle: tr("history.turnout.axis")}.SVG()
	}
	// Newest first in the table.
	slices.Reverse(page.Rows)
	return s.render(c, http.StatusOK, "community_history", page)
}

// historyLabels names each closed ballot on the chart's x-axis so that no
// two labels are the same: the closing date (UTC); for ballots that closed
// on the same day the month, day and minute instead; then with seconds;
// and, for ballots that closed in the same second, the ballot number too.
// Labels stay short so that neighbours on the axis do not overlap.
func historyLabels(closed []time.Time, ids []int64) []string {
	layouts := []string{"2006-01-02", "01-02 15:04", "01-02 15:04:05"}
	out := make([]string, len(closed))
	for i, t := range closed {
		out[i] = t.UTC().Format(layouts[0])
	}
	for _, layout := range layouts[1:] {
		dup := duplicated(out)
		for i, t := range closed {
			if dup[out[i]] {
				out[i] = t.UTC().Format(layout)
			}
		}
	}
	dup := duplicated(out)
	for i := range out {
		if dup[out[i]] {
			out[i] += " #" + strconv.FormatInt(ids[i], 10)
		}
	}
	return out
}

// duplicated reports which labels occur more than once.
func duplicated(labels []string) map[string]bool {
	seen := make(map[string]int, len(labels))
	for _, l := range labels {
		seen[l]++
	}
	dup := map[string]bool{}
	for l, n := range seen {
		if n > 1 {
			dup[l] = true
		}
	}
	return dup
}
