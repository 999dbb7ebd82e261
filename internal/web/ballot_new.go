package web

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // the form's time zones, also where the system has none

	"github.com/labstack/echo/v4"

	"koinon/internal/domain"
	"koinon/internal/store"
	"koinon/internal/tally"
)

// ballotNewStore is what the ballot new handlers need of the store.
type ballotNewStore interface {
	CreateBallot(ctx context.Context, b *store.Ballot, options []store.BallotOption, proposalIDs []int64) error
}

// The ballot list of a community and the new-ballot form.

type ballotsPage struct {
	Page
	Community *store.Community
	Board     bool
	Ballots   []store.Ballot
}

func (s *Server) listBallots(c echo.Context) error {
	cm := routeCommunityOf(c)
	board := isBoard(c)
	bs, err := s.store.ListBallots(c.Request().Context(), store.BallotFilter{CommunityID: cm.ID, HideDrafts: !board, Limit: 200})
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "ballots", ballotsPage{Page: s.page(c, "ballot.list.title"), Community: cm,
		Board: board, Ballots: bs})
}

// ballotForm is the new-ballot form as typed: every value is kept when the
// form is shown again with its errors.
type ballotForm struct {
	Title, Description, Topic, Method, Options, Seats, STVRule string
	Threshold, Quorum, Secrecy, ClosesAt, TZ                   string
	Strict, Delegation                                         bool
	Proposals                                                  []int64
	budgetForm
}

// methodFields names the form fields that each method uses besides those
// of every ballot. The page hides the others (static/js/ballot_new.js) and
// the server ignores them, so a stray value cannot block a ballot.
var methodFields = map[string][]string{
	"majority":  {"proposals", "threshold"},
	"plurality": {"options", "seats"},
	"approval":  {"options", "seats"},
	"irv":       {"options"},
	"schulze":   {"options", "seats", "proposals"},
	"stv":       {"options", "seats", "stv_rule"},
	"budget":    {"options", "proposals", "budget"},
}

func methodUses(method, field string) bool { return slices.Contains(methodFields[method], field) }

// closesLayouts are what an <input type="datetime-local"> sends.
var closesLayouts = []string{"2006-01-02T15:04", "2006-01-02T15:04:05"}

type proposalChoice struct {
	store.ProposalSummary
	Checked bool
}

type ballotNewPage struct {
	Page
	Community *store.Community
	Topics    []store.Topic
	Proposals []proposalChoice
	Methods   []string
	Form      ballotForm
	Errors    fieldErrors
}

// UsedBy lists the methods that use a form field, for data-methods.
func (p ballotNewPage) UsedBy(field string) string {
	var ms []string
	for _, m := range p.Methods {
		if methodUses(m, field) {
			ms = append(ms, m)
		}
	}
	return strings.Join(ms, " ")
}

func (s *Server) ballotNewPage(c echo.Context, f ballotForm) (ballotNewPage, error) {
	ctx := c.Request().Context()
	cm := routeCommunityOf(c)
	p := ballotNewPage{Page: s.page(c, "ballot.new.title"), Community: cm, Methods: tally.Methods, Form: f, Errors: fieldErrors{}}
	var err error
	if p.Topics, err = s.store.ScopeTopics(ctx, cm.ID); err != nil {
		return p, err
	}
	ps, _, err := s.store.ListProposals(ctx, cm.ID, 100, 0)
	for _, x := range ps {
		if x.BallotID == nil {
			p.Proposals = append(p.Proposals, proposalChoice{x, slices.Contains(f.Proposals, x.ID)})
		}
	}
	return p, err
}

func (s *Server) newBallot(c echo.Context) error {
	f := ballotForm{Method: "majority", Seats: "1", Threshold: "1/2", Quorum: "0/1", Secrecy: "public", Strict: true, Delegation: true,
		ClosesAt: s.now().Add(7 * 24 * time.Hour).UTC().Format(closesLayouts[0]), budgetForm: newBudgetForm()}
	if id, err := strconv.ParseInt(c.QueryParam("proposal"), 10, 64); err == nil {
		f.Proposals = []int64{id}
	}
	p, err := s.ballotNewPage(c, f)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "ballot_new", p)
}

// readBallotForm reads the form as typed.
func readBallotForm(c echo.Context) (ballotForm, error) {
	f := ballotForm{Title: c.FormValue("title"), Description: c.FormValue("description"), Topic: c.FormValue("topic"),
		Method: c.FormValue("method"), Options: c.FormValue("options"), Seats: c.FormValue("seats"), STVRule: c.FormValue("stv_rule"),
		Threshold: c.FormValue("threshold"), Quorum: c.FormValue("quorum"), Secrecy: c.FormValue("secrecy"),
		ClosesAt: c.FormValue("closes_at"), TZ: c.FormValue("tz"), Strict: c.FormValue("strict") == "1", Delegation: c.FormValue("delegation") == "1"}
	form, err := formParams(c)
	if err != nil {
		return f, err
	}
	for _, v := range form["proposal"] {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil {
			f.Proposals = append(f.Proposals, id)
		}
	}
	f.budgetForm = readBudgetForm(c)
	return f, nil
}

// request turns the form into an API request, using only the fields of
// the chosen method. What cannot be read (seats, the closing time and its
// zone) is reported in errs, translated by tr.
func (f ballotForm) request(tr func(string, ...any) string, errs fieldErrors) ballotRequest {
	m := f.Method
	req := ballotRequest{Title: f.Title, Description: f.Description, Topic: f.Topic, Method: m,
		Quorum: f.Quorum, Secrecy: f.Secrecy, Delegation: &f.Delegation}
	if methodUses(m, "threshold") {
		req.Threshold, req.Strict = f.Threshold, &f.Strict
	}
	if methodUses(m, "stv_rule") {
		req.STVRule = f.STVRule
	}
	if seats := strings.TrimSpace(f.Seats); methodUses(m, "seats") && seats != "" {
		if n, err := strconv.Atoi(seats); err == nil {
			req.Seats = &n
		} else {
			errs["seats"] = tr("ballot.error.seats", domain.MaxSeats)
		}
	}
	if methodUses(m, "budget") {
		req.BudgetRequest = f.budgetForm.request()
	}
	if methodUses(m, "options") {
		for _, line := range strings.Split(f.Options, "\n") {
			line = strings.TrimSpace(line)
			if line == "" {
				continue
			}
			if m == "budget" {
				req.Options = append(req.Options, projectLine(line))
			} else if k, l, ok := strings.Cut(line, ":"); ok && domain.CheckOptionKey("k", strings.TrimSpace(k)) == nil {
				req.Options = append(req.Options, optionRequest{Key: strings.TrimSpace(k), Label: strings.TrimSpace(l)})
			} else {
				req.Options = append(req.Options, optionRequest{Label: line})
			}
		}
	}
	if methodUses(m, "proposals") {
		switch n := len(f.Proposals); {
		case n == 1 && m == "majority":
			req.Proposal, req.Options = &f.Proposals[0], nil
		case n > 1 && m == "schulze", n > 0 && m == "budget":
			req.Proposals, req.Options = f.Proposals, nil
		case n > 1:
			errs["proposals"] = tr("ballot.error.proposal_one")
		case n == 1:
			errs["proposals"] = tr("ballot.error.proposals_two")
		}
	}
	req.ClosesAt = f.closesAt(tr, errs)
	return req
}

// closesAt reads the datetime-local value in the zone the page states:
// the browser's (tz, filled by script) or else UTC, as RFC 3339.
func (f ballotForm) closesAt(tr func(string, ...any) string, errs fieldErrors) string {
	v := strings.TrimSpace(f.ClosesAt)
	if v == "" {
		return "" // buildBallot names the missing field
	}
	loc := time.UTC
	if f.TZ != "" {
		l, err := time.LoadLocation(f.TZ)
		if err != nil || f.TZ == "Local" {
			errs["closes_at"] = tr("ballot.error.closes_at_zone", domain.Quote(f.TZ))
			return ""
		}
		loc = l
	}
	for _, layout := range closesLayouts {
		if t, err := time.ParseInLocation(layout, v, loc); err == nil {
			return t.UTC().Format(time.RFC3339)
		}
	}
	errs["closes_at"] = tr("ballot.error.closes_at_format")
	return ""
}

// createBallot makes a draft from the form, or shows the form again with
// every refused field's reason beside it and every value as typed (422).
func (s *Server) createBallot(c echo.Context) error {
	ctx := c.Request().Context()
	tr := s.locales.translator(s.lang(c))
	f, err := readBallotForm(c)
	if err != nil {
		return err
	}
	errs := fieldErrors{}
	req := f.request(tr, errs)
	cm := routeCommunityOf(c)
	b, opts, proposals, err := s.buildBallot(ctx, cm, currentCitizen(c).ID, req)
	if err == nil && len(errs) == 0 {
		if err = s.store.CreateBallot(ctx, &b, opts, proposals); err == nil {
			return redirect(c, "/ballots/"+b.IDString())
		}
	}
	if !ballotFormErrors(err, tr, errs) {
		return err
	}
	p, perr := s.ballotNewPage(c, f)
	if perr != nil {
		return perr
	}
	p.Errors = errs
	return s.render(c, http.StatusUnprocessableEntity, "ballot_new", p)
}

// ballotFormFields are the form fields that show an error beside them;
// errors on other fields are shown above the form (key "").
var ballotFormFields = []string{"title", "description", "topic", "method", "options", "proposals", "seats", "stv_rule",
	"threshold", "quorum", "secrecy", "closes_at", "budget", "currency", "budget_rule", "completion"}

// ballotFormErrors adds each field error in err (buildBallot joins them)
// to errs, translated, under its form field, after those already there;
// it reports false when err holds an error that is not a field's.
func ballotFormErrors(err error, tr func(string, ...any) string, errs fieldErrors) bool {
	list := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	}
	for _, e := range list {
		var fp *domain.Problem
		var inv *domain.Invalid
		var field, msg string
		switch {
		case e == nil:
			continue
		case errors.As(e, &fp):
			field, msg = fp.Field, tr(fp.Key, fp.Args...)
		case errors.As(e, &inv):
			field, msg = inv.Field, tr("ballot.error.invalid")
		default:
			return false
		}
		field, _, _ = strings.Cut(field, "[")
		if field == "proposal" {
			field = "proposals"
		}
		if !slices.Contains(ballotFormFields, field) {
			field = ""
		}
		if _, dup := errs[field]; !dup {
			errs[field] = msg
		}
	}
	return true
}
