package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/labstack/echo/v4"
	"golang.org/x/oauth2"

	"koinon/internal/store"
)

// oidcStore is what the oidc handlers need of the store.
type oidcStore interface {
	SignInExternal(ctx context.Context, in store.ExternalSignIn) (ct store.Citizen, created bool, err error)
}

// OIDCOptions configure sign-in through an OpenID Connect provider
// (docs/oidc.md).
type OIDCOptions struct {
	Issuer, ClientID, ClientSecret string
	// RedirectURL is PUBLIC-URL/signin/oidc/callback.
	RedirectURL string
	// Domains limits sign-in to verified emails of these domains (empty: any).
	Domains []string
	// Claim's values, mapped by Communities, name communities to join.
	Claim       string
	Communities map[string]string
}

// OIDC is a configured provider: discovery done, keys fetched on demand.
type OIDC struct {
	opts     OIDCOptions
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
	client   *http.Client
}

// oidcTimeout bounds each call to the provider.
const oidcTimeout = 10 * time.Second

// NewOIDC discovers the provider at o.Issuer; the discovered issuer must
// be exactly o.Issuer.
func NewOIDC(ctx context.Context, o OIDCOptions) (*OIDC, error) {
	client := &http.Client{Timeout: oidcTimeout}
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, client), o.Issuer)
	if err != nil {
		return nil, fmt.Errorf("oidc: discover %s: %w", o.Issuer, err)
	}
	return &OIDC{
		opts: o,
		oauth: oauth2.Config{ClientID: o.ClientID, ClientSecret: o.ClientSecret, Endpoint: p.Endpoint(),
			RedirectURL: o.RedirectURL, Scopes: []string{oidc.ScopeOpenID, "email", "profile"}},
		verifier: p.Verifier(&oidc.Config{ClientID: o.ClientID}),
		client:   client,
	}, nil
}

// oidcCookie carries state, nonce and PKCE verifier of one sign-in
// through the provider; it is HttpOnly, lives ten minutes and is spent
// by the callback.
const oidcCookie = "koinon_oidc"

type oidcFlow struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Next     string `json:"x"`
}

// startOIDC sends the browser to the provider.
func (s *Server) startOIDC(c echo.Context) error {
	if s.oidc == nil {
		return errorf(http.StatusNotFound, "not_found", "sign-in through a provider is not configured")
	}
	f := oidcFlow{State: rand.Text(), Nonce: rand.Text(), Verifier: oauth2.GenerateVerifier(), Next: safeNext(c.QueryParam("next"))}
	raw, err := json.Marshal(f)
	if err != nil {
		return err
	}
	s.setCookie(c, oidcCookie, base64.RawURLEncoding.EncodeToString(raw), s.now().Add(10*time.Minute))
	u := s.oidc.oauth.AuthCodeURL(f.State, oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier))
	return c.Redirect(http.StatusFound, u)
}

// oidcProblem is a refused sign-in: nothing was changed.
type oidcProblem struct {
	status int
	key    string // i18n key of the reason
	err    error  // detail for the log, never shown
}

func (p *oidcProblem) Error() string { return p.key + ": " + fmt.Sprint(p.err) }

// oidcCallback checks the provider's answer and signs the citizen in.
func (s *Server) oidcCallback(c echo.Context) error {
	if s.oidc == nil {
		return errorf(http.StatusNotFound, "not_found", "sign-in through a provider is not configured")
	}
	ct, next, err := s.finishOIDC(c)
	var pb *oidcProblem
	if errors.As(err, &pb) {
		s.log.Warn("oidc sign-in refused", "request_id", requestID(c), "reason", pb.key, "err", pb.err)
		return s.render(c, pb.status, "oidc_error", oidcErrorPage{Page: s.page(c, "oidc.error.title"), Reason: pb.key})
	}
	if err != nil {
		return err
	}
	if err := s.signIn(c, ct); err != nil {
		return err
	}
	return redirect(c, next)
}

type oidcErrorPage struct {
	Page
	Reason string
}

// finishOIDC verifies state, code, ID token and nonce and finds or
// creates the citizen; every refusal is an *oidcProblem.
func (s *Server) finishOIDC(c echo.Context) (store.Citizen, string, error) {
	bad := func(key string, err error) (store.Citizen, string, error) {
		return store.Citizen{}, "", &oidcProblem{status: http.StatusBadRequest, key: key, err: err}
	}
	q := c.QueryParams()
	if e := q.Get("error"); e != "" {
		return bad("oidc.error.provider", errors.New(e+": "+q.Get("error_description")))
	}
	ck, err := c.Cookie(oidcCookie)
	if err != nil {
		return bad("oidc.error.state", errors.New("no flow cookie"))
	}
	s.clearCookie(c, oidcCookie) // one attempt per flow
	var f oidcFlow
	raw, err := base64.RawURLEncoding.DecodeString(ck.Value)
	if err == nil {
		err = json.Unmarshal(raw, &f)
	}
	if err != nil || f.State == "" || subtle.ConstantTimeCompare([]byte(f.State), []byte(q.Get("state"))) != 1 {
		return bad("oidc.error.state", errors.New("state does not match"))
	}
	ctx, cancel := context.WithTimeout(oidc.ClientContext(c.Request().Context(), s.oidc.client), oidcTimeout)
	defer cancel()
	tok, err := s.oidc.oauth.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(f.Verifier))
	if err != nil {
		return bad("oidc.error.exchange", err)
	}
	rawID, _ := tok.Extra("id_token").(string)
	if rawID == "" {
		return bad("oidc.error.token", errors.New("no id_token"))
	}
	idt, err := s.oidc.verifier.Verify(ctx, rawID)
	if err != nil {
		return bad("oidc.error.token", err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(f.Nonce)) != 1 {
		return bad("oidc.error.nonce", errors.New("nonce does not match"))
	}
	in, err := s.oidc.signIn(idt)
	if err != nil {
		return store.Citizen{}, "", err
	}
	ct, created, err := s.store.SignInExternal(c.Request().Context(), in)
	if errors.Is(err, store.ErrAmbiguousEmail) {
		return store.Citizen{}, "", &oidcProblem{status: http.StatusConflict, key: "oidc.error.ambiguous", err: err}
	}
	if err != nil {
		return store.Citizen{}, "", err
	}
	s.log.Info("oidc sign-in", "request_id", requestID(c), "citizen", ct.ID, "created", created)
	return ct, f.Next, nil
}

// signIn reads the verified token's claims and applies the domain rule
// and the community mapping.
func (o *OIDC) signIn(idt *oidc.IDToken) (store.ExternalSignIn, error) {
	var cl map[string]any
	if err := idt.Claims(&cl); err != nil {
		return store.ExternalSignIn{}, &oidcProblem{status: http.StatusBadRequest, key: "oidc.error.token", err: err}
	}
	str := func(k string) string { v, _ := cl[k].(string); return v }
	verified, _ := cl["email_verified"].(bool)
	in := store.ExternalSignIn{Issuer: idt.Issuer, Subject: idt.Subject, Email: str("email"), EmailVerified: verified,
		Username: str("preferred_username"), Name: str("name")}
	if len(o.opts.Domains) > 0 {
		_, domain, _ := strings.Cut(strings.ToLower(in.Email), "@")
		if !verified || !slices.Contains(o.opts.Domains, domain) {
			return in, &oidcProblem{status: http.StatusForbidden, key: "oidc.error.domain", err: fmt.Errorf("email %q verified=%v", in.Email, verified)}
		}
	}
	if o.opts.Claim != "" {
		for _, v := range claimValues(cl[o.opts.Claim]) {
			if slug, ok := o.opts.Communities[v]; ok {
				in.Communities = append(in.Communities, slug)
			}
		}
	}
	return in, nil
}

// claimValues reads a claim that is a string or a list of strings.
func claimValues(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// passwordOff refuses password sign-in and sign-up when the instance
// signs in through its provider only (--password-signin=false).
func (s *Server) passwordOff() error {
	if s.passwordSignin {
		return nil
	}
	return errorf(http.StatusForbidden, "password_signin_off", "password sign-in is turned off here; sign in through the provider")
}
