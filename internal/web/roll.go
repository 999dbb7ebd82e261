package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"koinon/internal/domain"
	"koinon/internal/store"
)

// rollStore is what the roll handlers need of the store.
type rollStore interface {
	ApplyRoll(ctx context.Context, communityID int64, lines []domain.RollLine) (store.RollPlan, []store.Invite, error)
	BoardOffers(ctx context.Context, communityID int64) ([]store.OfferedSeat, error)
	ChangeRole(ctx context.Context, communityID int64, handle, role string, weight int64) (store.RoleChange, error)
	EndMembership(ctx context.Context, communityID int64, handle string) error
	InviteWithoutPassword(ctx context.Context, communityID int64) ([]store.Invite, error)
	PlanRoll(ctx context.Context, communityID int64, lines []domain.RollLine) (store.RollPlan, error)
	Roll(ctx context.Context, communityID int64, at time.Time) ([]store.RollMember, error)
	RollHistory(ctx context.Context, communityID int64) ([]store.RollMember, error)
}

type memberJSON struct {
	Handle      string     `json:"handle"`
	DisplayName string     `json:"display_name"`
	Role        string     `json:"role"`
	Weight      int64      `json:"weight"`
	Since       time.Time  `json:"since"`
	Until       *time.Time `json:"until,omitempty"`
	Invited     bool       `json:"invited,omitempty"`
}

func toMembersJSON(ms []store.RollMember) []memberJSON {
	out := make([]memberJSON, len(ms))
	for i, m := range ms {
		out[i] = memberJSON{Handle: m.Handle, DisplayName: m.DisplayName, Role: m.Role, Weight: m.Weight, Since: m.StartedAt.UTC(), Invited: m.Invited}
		if m.EndedAt != nil {
			u := m.EndedAt.UTC()
			out[i].Until = &u
		}
	}
	return out
}

// rollAt parses ?at=RFC3339 (zero when absent).
func rollAt(c echo.Context) (time.Time, error) {
	v := c.QueryParam("at")
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return t, fieldError(http.StatusUnprocessableEntity, "at", "must be an RFC 3339 time such as 2030-01-31T12:00:00Z")
	}
	return t.UTC(), nil
}

// GET /api/v1/communities/:slug/members[?at=RFC3339]
func (s *Server) apiListMembers(c echo.Context) error {
	at, err := rollAt(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	ms, err := s.store.Roll(ctx, routeCommunityOf(c).ID, at)
	if err != nil {
		return err
	}
	out := map[string]any{"members": toMembersJSON(ms)}
	if !at.IsZero() {
		out["at"] = at
	} else {
		offers, err := s.store.BoardOffers(ctx, routeCommunityOf(c).ID)
		if err != nil {
			return err
		}
		out["offers"] = toOffersJSON(offers)
	}
	return c.JSON(http.StatusOK, out)
}

// GET /api/v1/communities/:slug/members/history
func (s *Server) apiMemberHistory(c echo.Context) error {
	ms, err := s.store.RollHistory(c.Request().Context(), routeCommunityOf(c).ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"history": toMembersJSON(ms)})
}

type setMember struct {
	Handle string `json:"handle"`
	Role   string `json:"role"`
	Weight *int64 `json:"weight"`
}

// setMembership checks r and adds or updates the membership; a board
// seat for someone not on the board is only offered (store.ChangeRole).
func (s *Server) setMembership(c echo.Context, r setMember) (store.RoleChange, error) {
	r.Handle = domain.NormalizeHandle(r.Handle)
	r.Role = strings.ToLower(strings.TrimSpace(r.Role))
	if err := domain.CheckHandle(r.Handle); err != nil {
		return store.RoleChange{}, err
	}
	if r.Role == "" {
		r.Role = domain.RoleMember
	}
	if !domain.ValidRole(r.Role) {
		return store.RoleChange{}, domain.Refuse("role", "role")
	}
	w := int64(1)
	if r.Weight != nil {
		w = *r.Weight
	}
	if err := domain.CheckWeight("weight", w); err != nil {
		return store.RoleChange{}, err
	}
	return s.store.ChangeRole(c.Request().Context(), routeCommunityOf(c).ID, r.Handle, r.Role, w)
}

// POST /api/v1/communities/:slug/members {handle, role, weight}: 200 with
// the membership, or 202 with role "offered" when a board seat is offered
// (it takes effect when the citizen accepts).
func (s *Server) apiSetMember(c echo.Context) error {
	var r setMember
	if err := bindJSON(c, &r); err != nil {
		return err
	}
	rc, err := s.setMembership(c, r)
	if err != nil {
		return err
	}
	handle := domain.NormalizeHandle(r.Handle)
	if rc.Offered {
		w := int64(1)
		if r.Weight != nil {
			w = *r.Weight
		}
		return c.JSON(http.StatusAccepted, map[string]any{"member": memberJSON{Handle: handle, Role: roleOffered, Weight: w, Since: s.now().UTC()}, "changed": rc.Changed, "offered": true})
	}
	m := rc.Membership
	return c.JSON(http.StatusOK, map[string]any{"member": memberJSON{Handle: handle, Role: m.Role, Weight: m.Weight, Since: m.StartedAt.UTC()}, "changed": rc.Changed})
}

// DELETE /api/v1/communities/:slug/members/:handle
func (s *Server) apiRemoveMember(c echo.Context) error {
	if err := s.store.EndMembership(c.Request().Context(), routeCommunityOf(c).ID, domain.NormalizeHandle(c.Param("handle"))); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// readRollBody reads a roll file from a multipart "file" field or a raw
// text/csv body.
func readRollBody(c echo.Context) ([]byte, string, error) {
	mt, _, _ := mime.ParseMediaType(c.Request().Header.Get("Content-Type"))
	if mt == "multipart/form-data" {
		fh, err := c.FormFile("file")
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, "", err
			}
			return nil, "", domain.Refuse("file", "file_missing")
		}
		f, err := fh.Open()
		if err != nil {
			return nil, "", err
		}
		defer f.Close()
		b, err := io.ReadAll(f)
		return b, fh.Filename, err
	}
	b, err := io.ReadAll(c.Request().Body)
	return b, "", err
}

// rollErrorJSON is the 422 answer to a roll file with bad lines: the
// usual error plus every bad line.
type rollErrorJSON struct {
	Error     apiErrorBody       `json:"error"`
	Lines     []domain.LineError `json:"lines"`
	RequestID string             `json:"request_id,omitempty"`
}

type inviteJSON struct {
	Handle string `json:"handle"`
	Email  string `json:"email"`
	Link   string `json:"link"`
}

func inviteLinks(base string, invs []store.Invite) []inviteJSON {
	out := make([]inviteJSON, len(invs))
	for i, in := range invs {
		out[i] = inviteJSON{Handle: in.Handle, Email: in.Email, Link: base + "/invitations/" + in.Token}
	}
	return out
}

func baseURL(c echo.Context) string { return c.Scheme() + "://" + c.Request().Host }

// planOrApply parses data and previews it (apply false) or applies it.
func (s *Server) planOrApply(c echo.Context, data []byte, apply bool) (store.RollPlan, []store.Invite, error) {
	ctx := c.Request().Context()
	id := routeCommunityOf(c).ID
	lines, errs := domain.ParseRoll(bytes.NewReader(data))
	if len(errs) > 0 {
		return store.RollPlan{Changes: []store.RollChange{}, Errors: errs}, nil, store.ErrRollInvalid
	}
	if !apply {
		plan, err := s.store.PlanRoll(ctx, id, lines)
		if err == nil && len(plan.Errors) > 0 {
			err = store.ErrRollInvalid
		}
		return plan, nil, err
	}
	return s.store.ApplyRoll(ctx, id, lines)
}

// POST /api/v1/communities/:slug/roll/import[?dry_run=1]: a CSV body (or a
// multipart "file"). Any bad line: 422 listing every one, nothing applied.
func (s *Server) apiImportRoll(c echo.Context) error {
	data, _, err := readRollBody(c)
	if err != nil {
		return err
	}
	dry, _ := strconv.ParseBool(c.QueryParam("dry_run"))
	plan, invites, err := s.planOrApply(c, data, !dry)
	if errors.Is(err, store.ErrRollInvalid) {
		return c.JSON(http.StatusUnprocessableEntity, rollErrorJSON{
			Error:     apiErrorBody{Code: "invalid_roll", Field: "file", Message: fmt.Sprintf("the roll file has %d bad lines; nothing was applied", len(plan.Errors))},
			Lines:     plan.Errors,
			RequestID: requestID(c),
		})
	}
	if err != nil {
		return err
	}
	out := map[string]any{"applied": !dry, "plan": plan}
	if !dry {
		out["invitations"] = inviteLinks(baseURL(c), invites)
	}
	return c.JSON(http.StatusOK, out)
}

// --- pages ---

type rollPage struct {
	Page
	Community store.Community
	Members   []store.RollMember
	Offers    []store.OfferedSeat // board seats offered, not yet accepted
	At        string
	IsBoard   bool
	Values    map[string]string
	Errors    fieldErrors
	Problem   string
	Roles     []string
}

func (s *Server) renderRoll(c echo.Context, status int, values map[string]string, errs fieldErrors, problem string) error {
	cm := routeCommunityOf(c)
	m := routeMembership(c)
	p := rollPage{Page: s.page(c, "roll.title"), Community: *cm, IsBoard: m != nil && m.Role == domain.RoleBoard,
		Values: values, Errors: errs, Problem: problem, Roles: []string{domain.RoleMember, domain.RoleBoard, domain.RoleAuditor}}
	if p.Values == nil {
		p.Values = map[string]string{"role": domain.RoleMember, "weight": "1"}
	}
	if p.Errors == nil {
		p.Errors = fieldErrors{}
	}
	at, err := rollAt(c)
	if err != nil {
		at = time.Time{}
	}
	if !at.IsZero() {
		p.At = at.Format(time.RFC3339)
	}
	if p.Members, err = s.store.Roll(c.Request().Context(), cm.ID, at); err != nil {
		return err
	}
	if at.IsZero() {
		if p.Offers, err = s.store.BoardOffers(c.Request().Context(), cm.ID); err != nil {
			return err
		}
	}
	return s.render(c, status, "roll", p)
}

// GET /communities/:slug/roll[?at=]
func (s *Server) showRoll(c echo.Context) error {
	return s.renderRoll(c, http.StatusOK, nil, nil, "")
}

func rollURL(c echo.Context) string { return "/communities/" + routeCommunityOf(c).Slug + "/roll" }

// POST /communities/:slug/roll: add or update one member.
func (s *Server) setMemberPage(c echo.Context) error {
	values := formValues(c, "handle", "role", "weight")
	r := setMember{Handle: values["handle"], Role: values["role"]}
	errs := fieldErrors{}
	if w := strings.TrimSpace(values["weight"]); w != "" {
		n, err := strconv.ParseInt(w, 10, 64)
		if err != nil {
			errs["weight"] = "must be a whole number from 0"
		}
		r.Weight = &n
	}
	if len(errs) == 0 {
		rc, err := s.setMembership(c, r)
		if err == nil {
			key := "roll.unchanged"
			switch {
			case rc.Offered && rc.Changed:
				key = "roll.offered"
			case rc.Offered:
				key = "roll.offered.again"
			case rc.Changed:
				key = "roll.saved"
			}
			s.flash(c, s.tr(c, key, domain.NormalizeHandle(r.Handle)))
			return redirect(c, rollURL(c))
		}
		if !errs.add(s.errorWords(c), err) {
			if !isPageError(err) {
				return err
			}
			he, _ := classify(err)
			return s.renderRoll(c, he.Status, values, errs, s.locales.errorText(s.lang(c), err))
		}
	}
	return s.renderRoll(c, http.StatusUnprocessableEntity, values, errs, "")
}

// POST /communities/:slug/roll/:handle/remove
func (s *Server) removeMemberPage(c echo.Context) error {
	handle := domain.NormalizeHandle(c.Param("handle"))
	if err := s.store.EndMembership(c.Request().Context(), routeCommunityOf(c).ID, handle); err != nil {
		if !isPageError(err) {
			return err
		}
		he, _ := classify(err)
		return s.renderRoll(c, he.Status, nil, nil, s.locales.errorText(s.lang(c), err))
	}
	s.flash(c, s.tr(c, "roll.removed", handle))
	return redirect(c, rollURL(c))
}

// rollImportPage previews an uploaded roll file. A clean file comes back
// in a hidden field with its SHA-256, so the board confirms exactly what
// it saw.
type rollImportPage struct {
	Page
	Community store.Community
	Plan      store.RollPlan
	FileName  string
	Content   string // base64 of the file
	Sum       string // hex SHA-256 of the file
}

// POST /communities/:slug/roll/import: with a file, the preview; with
// confirm, content and sha256, the import.
func (s *Server) importRollPage(c echo.Context) error {
	cm := routeCommunityOf(c)
	var (
		data []byte
		name string
		err  error
	)
	confirm := c.FormValue("confirm") != ""
	if confirm {
		data, err = base64.StdEncoding.DecodeString(c.FormValue("content"))
		sum := sha256.Sum256(data)
		if err != nil || hex.EncodeToString(sum[:]) != c.FormValue("sha256") {
			return errorf(http.StatusUnprocessableEntity, "invalid", s.tr(c, "roll.import.changed"))
		}
		name = c.FormValue("file_name")
	} else if data, name, err = readRollBody(c); err != nil {
		if !isPageError(err) {
			return err
		}
		he, _ := classify(err)
		return s.renderRoll(c, he.Status, nil, fieldErrors{"file": s.locales.errorText(s.lang(c), err)}, "")
	}
	plan, invites, err := s.planOrApply(c, data, confirm)
	p := rollImportPage{Page: s.page(c, "roll.import.title"), Community: *cm, Plan: plan, FileName: name}
	if errors.Is(err, store.ErrRollInvalid) {
		return s.render(c, http.StatusUnprocessableEntity, "roll_import", p)
	}
	if err != nil {
		return err
	}
	if confirm {
		s.flash(c, s.tr(c, "roll.import.done", plan.Created, plan.Added, plan.Updated, len(invites)))
		return redirect(c, rollURL(c))
	}
	sum := sha256.Sum256(data)
	p.Content, p.Sum = base64.StdEncoding.EncodeToString(data), hex.EncodeToString(sum[:])
	return s.render(c, http.StatusOK, "roll_import", p)
}

// POST /communities/:slug/roll/invitations: a CSV of fresh invitation
// links for members who have no password yet (earlier links stop
// working).
func (s *Server) downloadInvitations(c echo.Context) error {
	cm := routeCommunityOf(c)
	invs, err := s.store.InviteWithoutPassword(c.Request().Context(), cm.ID)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"handle", "email", "link"})
	for _, in := range inviteLinks(baseURL(c), invs) {
		w.Write([]string{in.Handle, domain.CSVText(in.Email), in.Link})
	}
	w.Flush()
	h := c.Response().Header()
	h.Set("Content-Disposition", `attachment; filename="`+cm.Slug+`-invitations.csv"`)
	h.Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}
