package web

import (
	"context"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"koinon/internal/store"
	"koinon/internal/tally"
)

// homeStore is what the home handlers need of the store.
type homeStore interface {
	AwaitingBallots(ctx context.Context, citizenID int64) ([]store.HomeBallot, error)
	GoneDelegates(ctx context.Context, citizenID int64) ([]store.GoneDelegate, error)
	RecentResults(ctx context.Context, citizenID int64, limit int) ([]store.HomeBallot, error)
}

// recentResultsOnHome is how many closed ballots the home page lists.
const recentResultsOnHome = 5

type homePage struct {
	Page
	Public   []store.CommunitySummary
	Mine     []store.CommunitySummary
	Awaiting []awaitingView
	Results  []store.HomeBallot
	Gone     []store.GoneDelegate
	HasLost  bool // some awaiting ballot's vote is lost, or a delegate is gone
}

// awaitingView is an open ballot the reader has not voted on yet, with
// where their vote goes if they do nothing.
type awaitingView struct {
	Ballot   store.HomeBallot
	Flow     flowView
	Lost     string // when Flow.State is lost: cycle, left or dead_end
	TimeLeft string
}

func (s *Server) home(c echo.Context) error {
	ctx := c.Request().Context()
	p := homePage{Page: s.page(c, "home.title")}
	var err error
	if p.Public, err = s.store.ListCommunities(ctx, 0); err != nil {
		return err
	}
	if p.User == nil {
		return s.render(c, http.StatusOK, "home", p)
	}
	if p.Mine, err = s.store.ListCommunities(ctx, p.User.ID); err != nil {
		return err
	}
	if p.Awaiting, err = s.awaiting(ctx, p.User.Handle, p.User.ID, s.locales.translator(p.Lang)); err != nil {
		return err
	}
	if p.Results, err = s.store.RecentResults(ctx, p.User.ID, recentResultsOnHome); err != nil {
		return err
	}
	if p.Gone, err = s.store.GoneDelegates(ctx, p.User.ID); err != nil {
		return err
	}
	p.HasLost = len(p.Gone) > 0
	for _, a := range p.Awaiting {
		p.HasLost = p.HasLost || a.Lost != ""
	}
	return s.render(c, http.StatusOK, "home", p)
}

// awaiting lists the open ballots waiting for the citizen's vote, each
// resolved live: a fixed number of queries whatever the number of ballots.
func (s *Server) awaiting(ctx context.Context, handle string, id int64, tr func(string, ...any) string) ([]awaitingView, error) {
	hb, err := s.store.AwaitingBallots(ctx, id)
	if err != nil || len(hb) == 0 {
		return nil, err
	}
	ballots := make([]store.Ballot, len(hb))
	for i := range hb {
		ballots[i] = hb[i].Ballot
	}
	inputs, err := s.store.LiveInputs(ctx, ballots)
	if err != nil {
		return nil, err
	}
	out := make([]awaitingView, len(hb))
	for i, b := range hb {
		lb := newLiveBallot(b.Ballot, inputs[b.ID])
		out[i] = awaitingView{Ballot: b, Flow: lb.flow(handle), TimeLeft: timeLeft(tr, b.ClosesAt.Sub(s.now()))}
		if out[i].Flow.State == tally.StateLost.String() {
			out[i].Lost = lb.lostReason(handle)
		}
	}
	return out, nil
}

// lostReason says why handle's weight reaches no casting voter now: a
// cycle (their delegates lead back to them), a delegate who is not on the
// ballot's roll (left the community), or a dead end (nobody on the chain
// has voted yet).
func (lb *liveBallot) lostReason(handle string) string {
	lists := make(map[string][]string, len(lb.entries))
	for _, e := range lb.entries {
		lists[e.Voter] = e.Delegates
	}
	mine := lists[handle]
	seen := map[string]bool{}
	next := append([]string{}, mine...)
	for len(next) > 0 {
		h := next[0]
		next = next[1:]
		if h == handle {
			return "cycle"
		}
		if !seen[h] {
			seen[h] = true
			next = append(next, lists[h]...)
		}
	}
	for _, d := range mine {
		if strings.HasPrefix(d, "#") {
			return "left"
		}
	}
	return "dead_end"
}
