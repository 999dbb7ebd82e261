package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"

	"github.com/labstack/echo/v4"

	"koinon/internal/domain"
	"koinon/internal/store"
	"koinon/internal/tally"
)

// ballotActionsStore is what the ballot actions handlers need of the store.
type ballotActionsStore interface {
	BallotParticipation(ctx context.Context, ballotID int64) (store.Participation, error)
	OpenBallot(ctx context.Context, id int64) (store.Ballot, error)
}

// Actions from the ballot page: the board opens and closes (after a
// confirmation), a voter casts, edits a ranking or withdraws.

func (s *Server) openBallot(c echo.Context) error {
	b := routeBallot(c)
	_, err := s.store.OpenBallot(c.Request().Context(), b.ID)
	if err := s.flashStateError(c, err); err != nil {
		return err
	}
	return redirect(c, "/ballots/"+b.IDString())
}

// ballotClosePage is the confirmation step before closing: what closing
// does, the participation that may be shown before the close
// (docs/ballots.md: weights only on public ballots) and the time left.
type ballotClosePage struct {
	Page
	Ballot       store.Ballot
	Community    *store.Community
	TimeLeft     string
	Part         store.Participation
	Live         *tally.Weights // public ballots only
	Pseudonymous bool
}

// confirmCloseBallot asks the board to confirm closing an open ballot;
// the page's form posts to closeBallot. Other states go to the ballot.
func (s *Server) confirmCloseBallot(c echo.Context) error {
	ctx := c.Request().Context()
	b := routeBallot(c)
	if b.State != store.StateOpen {
		return redirect(c, "/ballots/"+b.IDString())
	}
	p := ballotClosePage{Page: s.page(c, "ballot.close.title"), Ballot: *b, Community: routeCommunityOf(c),
		TimeLeft: timeLeft(s.locales.translator(s.lang(c)), b.ClosesAt.Sub(s.now())), Pseudonymous: b.Secrecy != "public"}
	var err error
	if p.Part, err = s.store.BallotParticipation(ctx, b.ID); err != nil {
		return err
	}
	if !p.Pseudonymous {
		lb, err := s.resolveLive(ctx, *b)
		if err != nil {
			return err
		}
		p.Live = &lb.res.Weights
	}
	return s.render(c, http.StatusOK, "ballot_close", p)
}

// closeBallot closes the ballot when the confirmation page's form says
// so (confirm=1); any other post is sent to that page first.
func (s *Server) closeBallot(c echo.Context) error {
	b := routeBallot(c)
	if c.FormValue("confirm") != "1" {
		return redirect(c, "/ballots/"+b.IDString()+"/close")
	}
	_, err := s.closer().Close(c.Request().Context(), b.ID)
	if err := s.flashStateError(c, err); err != nil {
		return err
	}
	return redirect(c, "/ballots/"+b.IDString())
}

// flashStateError shows a refused action as a flash on the next page and
// returns any other error.
func (s *Server) flashStateError(c echo.Context, err error) error {
	var inv *domain.Invalid
	var st *domain.StateError
	switch {
	case errors.As(err, &inv), errors.As(err, &st):
		s.flash(c, "!"+s.locales.errorText(s.lang(c), err))
	case err != nil:
		return err
	}
	return nil
}

// castBallot reads the page's vote form. For ranked methods the buttons
// "up", "down", "remove" and "add" (value = option key) edit the draft
// ranking server-side and show the page again; "cast" saves the vote and
// "abstain" an empty ballot (readVoteForm). A refused form is shown again
// as typed, with the reasons beside its fields (422).
func (s *Server) castBallot(c echo.Context) error {
	b := routeBallot(c)
	form, err := formParams(c)
	if err != nil {
		return err
	}
	if b.Method == "irv" || b.Method == "stv" {
		if edited, ok := editRanking(form["rank"], form); ok {
			p, err := s.ballotPage(c, edited)
			if err != nil {
				return err
			}
			return s.render(c, http.StatusOK, "ballot_show", p)
		}
	}
	opts, err := s.options.get(c.Request().Context(), s.store, b)
	if err != nil {
		return err
	}
	tr := s.locales.translator(s.lang(c))
	if b.Secrecy == domain.SecrecySecret {
		return s.castSecretBallot(c, b, form)
	}
	raw, errs := readVoteForm(b.Method, opts, form, tr)
	if errs == nil {
		_, err = s.castVote(c, b, raw)
		var inv *domain.Invalid
		if errors.As(err, &inv) {
			errs = fieldErrors{"choice": s.locales.errorText(s.lang(c), err)}
		}
	}
	if errs != nil {
		return s.refuseVote(c, form, errs)
	}
	if err := s.flashStateError(c, err); err != nil {
		return err
	}
	if err == nil {
		saved := "vote.saved"
		if form.Get("abstain") == "1" {
			saved = "vote.saved_empty"
		}
		s.flash(c, tr(saved))
	}
	return redirect(c, "/ballots/"+b.IDString()+"#vote")
}

// refuseVote shows the ballot page again with the vote form as typed and
// errs beside its fields.
func (s *Server) refuseVote(c echo.Context, form url.Values, errs fieldErrors) error {
	var draft []string
	if m := routeBallot(c).Method; m == "irv" || m == "stv" {
		draft = append([]string{}, form["rank"]...)
	}
	p, err := s.ballotPage(c, draft)
	if err != nil {
		return err
	}
	keepTyped(&p.Form, form, errs)
	p.FormError = errs["choice"]
	return s.render(c, http.StatusUnprocessableEntity, "ballot_show", p)
}

// editRanking applies one up/down/remove/add button to the ranking.
func editRanking(order []string, form map[string][]string) ([]string, bool) {
	order = slices.Clone(order)
	one := func(name string) string {
		if v := form[name]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	if k := one("up"); k != "" {
		if i := slices.Index(order, k); i > 0 {
			order[i-1], order[i] = order[i], order[i-1]
		}
		return order, true
	}
	if k := one("down"); k != "" {
		if i := slices.Index(order, k); i >= 0 && i < len(order)-1 {
			order[i+1], order[i] = order[i], order[i+1]
		}
		return order, true
	}
	if k := one("remove"); k != "" {
		return slices.DeleteFunc(order, func(x string) bool { return x == k }), true
	}
	if k := one("add"); k != "" {
		if !slices.Contains(order, k) {
			order = append(order, k)
		}
		return order, true
	}
	return order, false
}

func (s *Server) withdrawBallot(c echo.Context) error {
	b := routeBallot(c)
	err := s.withdrawVote(c, b)
	if errors.Is(err, store.ErrNotFound) {
		err = nil
	}
	if err := s.flashStateError(c, err); err != nil {
		return err
	}
	if err == nil {
		s.flash(c, s.locales.translator(s.lang(c))("vote.withdrawn"))
	}
	return redirect(c, "/ballots/"+b.IDString()+"#vote")
}
