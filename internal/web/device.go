package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"koinon/internal/domain"
	"koinon/internal/statement"
	"koinon/internal/store"
)

// The browser's device keys (docs/browser-keys.md): static/js/device.js
// signs votes, withdrawals and delegations with a key made in the
// browser and checks its receipts on each visit. These routes serve it
// with the session cookie (and the CSRF token in X-CSRF-Token); they
// answer JSON, errors included (wantsJSON).

// deviceStateJSON is what device.js needs of a community on each visit:
// who is signed in, the community's log, its current checkpoint and the
// citizen's statements (their chain head, and every key registered for
// them).
type deviceStateJSON struct {
	Handle     string                  `json:"handle"`
	Community  string                  `json:"community"`
	Log        store.LogInfo           `json:"log"`
	Checkpoint string                  `json:"checkpoint"`
	Statements []store.LoggedStatement `json:"statements"`
}

// deviceState answers GET /communities/:slug/device.
func (s *Server) deviceState(c echo.Context) error {
	if err := s.logsOn(); err != nil {
		return err
	}
	ctx := c.Request().Context()
	cm := routeCommunityOf(c)
	out := deviceStateJSON{Handle: currentCitizen(c).Handle, Community: cm.Slug}
	var err error
	if out.Log, err = s.store.Log(ctx, cm.ID); err != nil {
		return err
	}
	cp, err := s.store.LogCheckpoint(ctx, cm.ID)
	if err != nil {
		return err
	}
	out.Checkpoint = string(cp)
	if out.Statements, err = s.store.StatementsOf(ctx, cm.ID, currentCitizen(c).ID); err != nil {
		return err
	}
	if out.Statements == nil {
		out.Statements = []store.LoggedStatement{}
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, out)
}

// voteChoice answers POST /ballots/:id/vote/choice: the vote form read as
// the page's own vote route reads it, as the choice the device then signs
// (or 422 with the form's field errors). It writes nothing; like the
// vote route it is for the ballot's voters while it is open.
func (s *Server) voteChoice(c echo.Context) error {
	b := routeBallot(c)
	if err := s.logsOn(); err != nil {
		return err
	}
	if b.Secrecy != "public" {
		return fieldError(http.StatusUnprocessableEntity, "ballot", "signed statements are for public ballots")
	}
	ctx := c.Request().Context()
	if err := s.precheckVote(c, b); err != nil {
		return err
	}
	if _, err := s.store.RollWeight(ctx, b.ID, currentCitizen(c).ID); errors.Is(err, store.ErrNotFound) {
		return notEligible(domain.ErrForbidden)
	} else if err != nil {
		return err
	}
	form, err := formParams(c)
	if err != nil {
		return err
	}
	opts, err := s.options.get(ctx, s.store, b)
	if err != nil {
		return err
	}
	raw, errs := readVoteForm(b.Method, opts, form, s.locales.translator(s.lang(c)))
	if errs == nil {
		raw, err = s.canonicalChoice(ctx, b, raw)
		if inv := (*domain.Invalid)(nil); errors.As(err, &inv) {
			errs = fieldErrors{"choice": s.locales.errorText(s.lang(c), err)}
		} else if err != nil {
			return err
		}
	}
	if errs != nil {
		return c.JSON(http.StatusUnprocessableEntity, map[string]any{"errors": errs})
	}
	return c.JSON(http.StatusOK, map[string]any{"choice": raw, "community": routeCommunityOf(c).Slug,
		"scope": statement.BallotScope(b.IDString())})
}

// wantsJSON reports whether a page route's caller asked for JSON (the
// device routes' fetches do): its errors are then JSON as the API's.
func wantsJSON(c echo.Context) bool {
	return strings.HasPrefix(c.Request().Header.Get("Accept"), "application/json")
}

// signedBy says how the citizen's latest statement in scope was signed:
// "device", "custodial", or "" when there is none.
func signedBy(stmts []store.LoggedStatement, scope string, kinds ...statement.Kind) string {
	for i := len(stmts) - 1; i >= 0; i-- {
		var env struct {
			Custodial bool `json:"custodial"`
			Statement struct {
				Kind  statement.Kind `json:"kind"`
				Scope string         `json:"scope"`
			} `json:"statement"`
		}
		if json.Unmarshal(stmts[i].Envelope, &env) != nil || env.Statement.Scope != scope {
			continue
		}
		for _, k := range kinds {
			if env.Statement.Kind == k {
				if env.Custodial {
					return "custodial"
				}
				return "device"
			}
		}
	}
	return ""
}

// deviceView is what a page needs to run device.js: the community whose
// log it checks, whether signing in the browser applies, and the script's
// texts in the reader's language.
type deviceView struct {
	Community string
	Ballot    int64  // the ballot page's ballot, 0 elsewhere
	Closed    bool   // the ballot is closed: check its sealed proof
	SignedBy  string // how the current vote or list was signed: device, custodial or ""
	Texts     string // JSON
}

// deviceFor returns the device view of a page in community cm, or nil
// when the server keeps no logs or nobody is signed in.
func (s *Server) deviceFor(c echo.Context, cm *store.Community) (*deviceView, error) {
	if !s.store.LogsEnabled() || currentCitizen(c) == nil || cm == nil {
		return nil, nil
	}
	texts, err := json.Marshal(s.locales.prefixed("device.js.", s.lang(c)))
	if err != nil {
		return nil, fmt.Errorf("device texts: %w", err)
	}
	return &deviceView{Community: cm.Slug, Texts: string(texts)}, nil
}
