package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"koinon/internal/auth"
	"koinon/internal/domain"
	"koinon/internal/store"
)

// citizensStore is what the citizens handlers need of the store.
type citizensStore interface {
	AcceptInvitation(ctx context.Context, token, hash string) (store.Citizen, error)
	BumpTokenVersion(ctx context.Context, id int64) (store.Citizen, error)
	CitizenByID(ctx context.Context, id int64) (store.Citizen, error)
	CreateCitizen(ctx context.Context, c *store.Citizen) error
	CreateSession(ctx context.Context, citizenID int64, idle time.Duration) (store.Session, error)
	InvitationByToken(ctx context.Context, token string) (store.Invitation, store.Citizen, error)
	MembershipsOf(ctx context.Context, citizenID int64) ([]store.CitizenMembership, error)
	OffersTo(ctx context.Context, citizenID int64) ([]store.OfferedSeat, error)
	RevokeSession(ctx context.Context, id string) error
	RotateSession(ctx context.Context, id string, gen int64, grace time.Duration) (store.Session, error)
	SetPassword(ctx context.Context, id int64, hash string) (store.Citizen, error)
	UpdateProfile(ctx context.Context, id int64, displayName, statement string) error
}

// citizenJSON is a citizen as the API shows it; Email only to themself.
type citizenJSON struct {
	ID          int64     `json:"id"`
	Handle      string    `json:"handle"`
	DisplayName string    `json:"display_name"`
	Statement   string    `json:"statement"`
	Email       string    `json:"email,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

func toCitizenJSON(c store.Citizen, self bool) citizenJSON {
	j := citizenJSON{ID: c.ID, Handle: c.Handle, DisplayName: c.DisplayName, Statement: c.Statement, CreatedAt: c.CreatedAt.UTC()}
	if self {
		j.Email = c.Email
	}
	return j
}

type membershipJSON struct {
	Community string    `json:"community"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	Weight    int64     `json:"weight"`
	Since     time.Time `json:"since"`
}

type registration struct {
	Handle      string `json:"handle"`
	Email       string `json:"email"`
	Password    string `json:"password"`
	DisplayName string `json:"display_name"`
}

// check normalises r and returns every broken rule, in field order.
func (r *registration) check() []error {
	r.Handle = domain.NormalizeHandle(r.Handle)
	r.Email = domain.NormalizeEmail(r.Email)
	r.DisplayName = strings.TrimSpace(r.DisplayName)
	var errs []error
	for _, err := range []error{
		domain.CheckHandle(r.Handle),
		domain.CheckEmail("email", r.Email, true),
		domain.CheckPassword(r.Handle, r.Password),
		domain.CheckLine("display_name", r.DisplayName, false, domain.MaxDisplayName),
	} {
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// createCitizen registers r (already checked): argon2id hash, then insert;
// a taken handle is 409 on "handle".
func (s *Server) createCitizen(c echo.Context, r registration) (store.Citizen, error) {
	hash, err := auth.HashPassword(r.Password)
	if err != nil {
		return store.Citizen{}, err
	}
	if r.DisplayName == "" {
		r.DisplayName = r.Handle
	}
	ct := store.Citizen{Handle: r.Handle, Email: r.Email, DisplayName: r.DisplayName, PasswordHash: hash}
	if err := s.store.CreateCitizen(c.Request().Context(), &ct); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return ct, &httpError{Status: http.StatusConflict, Code: "taken", Field: "handle", Message: "handle: is already taken"}
		}
		return ct, err
	}
	return ct, nil
}

// POST /api/v1/auth/register
func (s *Server) apiRegister(c echo.Context) error {
	if err := s.passwordOff(); err != nil {
		return err
	}
	var r registration
	if err := bindJSON(c, &r); err != nil {
		return err
	}
	if err := first(r.check()); err != nil {
		return err
	}
	ct, err := s.createCitizen(c, r)
	if err != nil {
		return err
	}
	s.rememberLang(c, ct.ID, s.lang(c))
	return c.JSON(http.StatusCreated, map[string]any{"citizen": toCitizenJSON(ct, true)})
}

type tokenJSON struct {
	Token            string    `json:"token"`
	ExpiresAt        time.Time `json:"expires_at"`
	RefreshToken     string    `json:"refresh_token,omitempty"`
	RefreshExpiresAt time.Time `json:"refresh_expires_at,omitzero"`
}

// issueTokens answers an access token and, withRefresh, starts a sign-in
// session whose first refresh token it answers too.
func (s *Server) issueTokens(c echo.Context, ct store.Citizen, withRefresh bool) (tokenJSON, error) {
	if !withRefresh {
		var out tokenJSON
		var err error
		out.Token, out.ExpiresAt, err = s.tokens.Issue(ct.ID, ct.Handle, ct.TokenVersion)
		return out, err
	}
	ses, err := s.store.CreateSession(c.Request().Context(), ct.ID, auth.RefreshTTL)
	if err != nil {
		return tokenJSON{}, err
	}
	return s.sessionTokens(ct, ses)
}

// sessionTokens are the access token and the current refresh token of ses.
func (s *Server) sessionTokens(ct store.Citizen, ses store.Session) (tokenJSON, error) {
	var out tokenJSON
	var err error
	if out.Token, out.ExpiresAt, err = s.tokens.IssueSession(ses.ID, ct.ID, ct.Handle, ct.TokenVersion); err != nil {
		return out, err
	}
	out.RefreshToken, out.RefreshExpiresAt, err = s.tokens.IssueRefresh(ses.ID, ses.Generation, ct.ID, ct.Handle, ct.TokenVersion)
	return out, err
}

// POST /api/v1/auth/login
func (s *Server) apiLogin(c echo.Context) error {
	if err := s.passwordOff(); err != nil {
		return err
	}
	var r struct {
		Handle   string `json:"handle"`
		Password string `json:"password"`
	}
	if err := bindJSON(c, &r); err != nil {
		return err
	}
	ct, err := s.authenticate(c, domain.NormalizeHandle(r.Handle), r.Password)
	if err != nil {
		return err
	}
	out, err := s.issueTokens(c, ct, true)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// POST /api/v1/auth/refresh {refresh_token}: a new access token and a
// new refresh token; the one sent is spent. Sending a spent one again
// revokes its session (someone else holds a copy).
func (s *Server) apiRefresh(c echo.Context) error {
	var r struct {
		RefreshToken string `json:"refresh_token"`
	}
	if err := bindJSON(c, &r); err != nil {
		return err
	}
	bad := errorf(http.StatusUnauthorized, "unauthorized", "the refresh token is invalid, expired, spent or revoked")
	claims, err := s.tokens.ParseRefresh(r.RefreshToken)
	if err != nil || claims.Session == "" {
		return bad
	}
	ctx := c.Request().Context()
	ct, err := s.store.CitizenByID(ctx, claims.CitizenID())
	if errors.Is(err, store.ErrNotFound) || err == nil && ct.TokenVersion != claims.Version {
		return bad
	}
	if err != nil {
		return err
	}
	ses, err := s.store.RotateSession(ctx, claims.Session, claims.Generation, 0)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrRefreshReused) {
		return bad
	}
	if err != nil {
		return err
	}
	out, err := s.sessionTokens(ct, ses)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// POST /api/v1/auth/logout {refresh_token}: revokes that token's session.
// It answers 204 whatever the token, so it tells nothing about it.
func (s *Server) apiLogout(c echo.Context) error {
	var r struct {
		RefreshToken string `json:"refresh_token"`
	}
	if err := bindJSON(c, &r); err != nil {
		return err
	}
	if claims, err := s.tokens.ParseRefresh(r.RefreshToken); err == nil && claims.Session != "" {
		if err := s.store.RevokeSession(c.Request().Context(), claims.Session); err != nil {
			return err
		}
	}
	return c.NoContent(http.StatusNoContent)
}

// POST /api/v1/auth/logout-all: revokes every token of the caller.
func (s *Server) apiLogoutAll(c echo.Context) error {
	if _, err := s.store.BumpTokenVersion(c.Request().Context(), currentCitizen(c).ID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// GET /api/v1/me
func (s *Server) apiMe(c echo.Context) error {
	ct, err := s.fullCitizen(c)
	if err != nil {
		return err
	}
	ms, err := s.store.MembershipsOf(c.Request().Context(), ct.ID)
	if err != nil {
		return err
	}
	out := make([]membershipJSON, len(ms))
	for i, m := range ms {
		out[i] = membershipJSON{Community: m.Slug, Name: m.Name, Role: m.Role, Weight: m.Weight, Since: m.StartedAt.UTC()}
	}
	offers, err := s.store.OffersTo(c.Request().Context(), ct.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"citizen": toCitizenJSON(*ct, true), "memberships": out, "board_offers": toOffersJSON(offers)})
}

type profileUpdate struct {
	DisplayName *string `json:"display_name"`
	Statement   *string `json:"statement"`
}

func (s *Server) updateProfile(c echo.Context, ct *store.Citizen, u profileUpdate) error {
	name, statement := ct.DisplayName, ct.Statement
	if u.DisplayName != nil {
		name = strings.TrimSpace(*u.DisplayName)
	}
	if u.Statement != nil {
		statement = strings.TrimSpace(*u.Statement)
	}
	if err := domain.CheckLine("display_name", name, true, domain.MaxDisplayName); err != nil {
		return err
	}
	if err := domain.CheckText("statement", statement, false, domain.MaxStatement); err != nil {
		return err
	}
	if err := s.store.UpdateProfile(c.Request().Context(), ct.ID, name, statement); err != nil {
		return err
	}
	ct.DisplayName, ct.Statement = name, statement
	return nil
}

// PUT /api/v1/me {display_name?, statement?}
func (s *Server) apiUpdateMe(c echo.Context) error {
	var u profileUpdate
	if err := bindJSON(c, &u); err != nil {
		return err
	}
	ct, err := s.fullCitizen(c)
	if err != nil {
		return err
	}
	if err := s.updateProfile(c, ct, u); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"citizen": toCitizenJSON(*ct, true)})
}

// changePassword checks the current password (under the sign-in rate
// limits) and the new one, stores it and returns the citizen with its new
// token version: every older token is revoked.
func (s *Server) changePassword(c echo.Context, current, next string) (store.Citizen, error) {
	ct := currentCitizen(c)
	var inv *domain.Invalid
	if err := domain.CheckPassword(ct.Handle, next); errors.As(err, &inv) {
		moved := *inv
		moved.Field = "new_password"
		return store.Citizen{}, &moved
	}
	if _, err := s.authenticate(c, ct.Handle, current); err != nil {
		if errors.Is(err, errBadCredentials) {
			return store.Citizen{}, domain.Refuse("current_password", "password_wrong")
		}
		return store.Citizen{}, err
	}
	hash, err := auth.HashPassword(next)
	if err != nil {
		return store.Citizen{}, err
	}
	return s.store.SetPassword(c.Request().Context(), ct.ID, hash)
}

// PUT /api/v1/me/password {current_password, new_password}: answers a
// fresh token, since the change revokes the old ones.
func (s *Server) apiChangePassword(c echo.Context) error {
	var r struct {
		Current string `json:"current_password"`
		New     string `json:"new_password"`
	}
	if err := bindJSON(c, &r); err != nil {
		return err
	}
	ct, err := s.changePassword(c, r.Current, r.New)
	if err != nil {
		return err
	}
	out, err := s.issueTokens(c, ct, true)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// --- pages ---

func (s *Server) showSignup(c echo.Context) error {
	if currentCitizen(c) != nil {
		return redirect(c, "/")
	}
	return s.render(c, http.StatusOK, "signup", formPage{Page: s.page(c, "signup.title"), Values: map[string]string{}, Errors: fieldErrors{}})
}

func (s *Server) signup(c echo.Context) error {
	if err := s.passwordOff(); err != nil {
		return err
	}
	r := registration{Handle: c.FormValue("handle"), Email: c.FormValue("email"), Password: c.FormValue("password"), DisplayName: c.FormValue("display_name")}
	errs := fieldErrors{}
	for _, err := range r.check() {
		errs.add(s.errorWords(c), err)
	}
	if len(errs) == 0 {
		ct, err := s.createCitizen(c, r)
		if err == nil {
			if err := s.signIn(c, ct); err != nil {
				return err
			}
			s.flash(c, s.tr(c, "signup.welcome"))
			return redirect(c, "/communities")
		}
		if !errs.add(s.errorWords(c), err) {
			return err
		}
	}
	p := formPage{Page: s.page(c, "signup.title"), Values: map[string]string{"handle": r.Handle, "email": r.Email, "display_name": r.DisplayName}, Errors: errs}
	status := http.StatusUnprocessableEntity
	if _, taken := errs["handle"]; taken && len(errs) == 1 && strings.Contains(errs["handle"], "taken") {
		status = http.StatusConflict
	}
	return s.render(c, status, "signup", p)
}

func (s *Server) showSignin(c echo.Context) error {
	next := safeNext(c.QueryParam("next"))
	if currentCitizen(c) != nil {
		return redirect(c, next)
	}
	return s.render(c, http.StatusOK, "signin", formPage{Page: s.page(c, "signin.title"), Values: map[string]string{}, Errors: fieldErrors{}, Next: next})
}

func (s *Server) signin(c echo.Context) error {
	if err := s.passwordOff(); err != nil {
		return err
	}
	handle := domain.NormalizeHandle(c.FormValue("handle"))
	next := safeNext(c.FormValue("next"))
	// An empty field is named beside it, not reported as a wrong password.
	missing := fieldErrors{}
	if handle == "" {
		missing["handle"] = s.tr(c, "signin.error.handle")
	}
	if c.FormValue("password") == "" {
		missing["password"] = s.tr(c, "signin.error.password")
	}
	if len(missing) > 0 {
		p := formPage{Page: s.page(c, "signin.title"), Values: map[string]string{"handle": handle}, Errors: missing, Problem: s.tr(c, "form.fix"), Next: next}
		return s.render(c, http.StatusUnprocessableEntity, "signin", p)
	}
	ct, err := s.authenticate(c, handle, c.FormValue("password"))
	if err == nil {
		if err := s.signIn(c, ct); err != nil {
			return err
		}
		return redirect(c, next)
	}
	he, internal := classify(err)
	if internal {
		return err
	}
	msg := s.tr(c, "signin.bad")
	if he.Status == http.StatusTooManyRequests {
		msg = s.tr(c, "signin.limited", c.Response().Header().Get("Retry-After"))
	}
	p := formPage{Page: s.page(c, "signin.title"), Values: map[string]string{"handle": handle}, Errors: fieldErrors{}, Problem: msg, Next: next}
	return s.render(c, he.Status, "signin", p)
}

func (s *Server) signout(c echo.Context) error {
	if err := s.signOut(c); err != nil {
		return err
	}
	return redirect(c, "/")
}

// profilePage is the signed-in citizen's own page.
type profilePage struct {
	Page
	Citizen     store.Citizen
	Memberships []store.CitizenMembership
	Offers      []store.OfferedSeat // board seats offered to the citizen
	Values      map[string]string
	Errors      fieldErrors
}

func (s *Server) renderProfile(c echo.Context, status int, values map[string]string, errs fieldErrors) error {
	ct, err := s.fullCitizen(c)
	if err != nil {
		return err
	}
	ms, err := s.store.MembershipsOf(c.Request().Context(), ct.ID)
	if err != nil {
		return err
	}
	offers, err := s.store.OffersTo(c.Request().Context(), ct.ID)
	if err != nil {
		return err
	}
	if values == nil {
		values = map[string]string{"display_name": ct.DisplayName, "statement": ct.Statement}
	}
	if errs == nil {
		errs = fieldErrors{}
	}
	return s.render(c, status, "profile", profilePage{Page: s.page(c, "profile.title"), Citizen: *ct, Memberships: ms, Offers: offers, Values: values, Errors: errs})
}

func (s *Server) showProfile(c echo.Context) error {
	return s.renderProfile(c, http.StatusOK, nil, nil)
}

func (s *Server) saveProfile(c echo.Context) error {
	name, statement := c.FormValue("display_name"), c.FormValue("statement")
	ct, err := s.fullCitizen(c)
	if err != nil {
		return err
	}
	err = s.updateProfile(c, ct, profileUpdate{DisplayName: &name, Statement: &statement})
	if err != nil {
		errs := fieldErrors{}
		if !errs.add(s.errorWords(c), err) {
			return err
		}
		return s.renderProfile(c, http.StatusUnprocessableEntity, map[string]string{"display_name": name, "statement": statement}, errs)
	}
	s.flash(c, s.tr(c, "profile.saved"))
	return redirect(c, "/profile")
}

func (s *Server) changePasswordPage(c echo.Context) error {
	ct, err := s.changePassword(c, c.FormValue("current_password"), c.FormValue("new_password"))
	if err != nil {
		errs := fieldErrors{}
		if !errs.add(s.errorWords(c), err) {
			if !isPageError(err) {
				return err
			}
			errs["current_password"] = s.locales.errorText(s.lang(c), err)
		}
		return s.renderProfile(c, formStatus(err), nil, errs)
	}
	if err := s.signIn(c, ct); err != nil {
		return err
	}
	s.flash(c, s.tr(c, "profile.password.changed"))
	return redirect(c, "/profile")
}

func (s *Server) signoutEverywhere(c echo.Context) error {
	if _, err := s.store.BumpTokenVersion(c.Request().Context(), currentCitizen(c).ID); err != nil {
		return err
	}
	if err := s.signOut(c); err != nil {
		return err
	}
	s.flash(c, s.tr(c, "profile.signout_all.done"))
	return redirect(c, "/signin")
}

// --- invitations ---

func (s *Server) showInvitation(c echo.Context) error {
	_, ct, err := s.store.InvitationByToken(c.Request().Context(), c.Param("token"))
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "invitation", formPage{Page: s.page(c, "invitation.title"), Values: map[string]string{}, Errors: fieldErrors{}, Handle: ct.Handle})
}

func (s *Server) acceptInvitation(c echo.Context) error {
	ctx := c.Request().Context()
	token := c.Param("token")
	_, ct, err := s.store.InvitationByToken(ctx, token)
	if err != nil {
		return err
	}
	pw := c.FormValue("password")
	errs := fieldErrors{}
	errs.add(s.errorWords(c), domain.CheckPassword(ct.Handle, pw))
	if pw != c.FormValue("password_again") {
		errs["password_again"] = s.tr(c, "invitation.mismatch")
	}
	if len(errs) > 0 {
		return s.render(c, http.StatusUnprocessableEntity, "invitation", formPage{Page: s.page(c, "invitation.title"), Values: map[string]string{}, Errors: errs, Handle: ct.Handle})
	}
	hash, err := auth.HashPassword(pw)
	if err != nil {
		return err
	}
	ct, err = s.store.AcceptInvitation(ctx, token, hash)
	if err != nil {
		return err
	}
	if err := s.signIn(c, ct); err != nil {
		return err
	}
	s.flash(c, s.tr(c, "invitation.done"))
	return redirect(c, "/profile")
}

// tr translates key for the request's language (flash messages).
func (s *Server) tr(c echo.Context, key string, args ...any) string {
	return s.locales.translator(s.lang(c))(key, args...)
}
