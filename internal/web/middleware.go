package web

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"koinon/internal/auth"
	"koinon/internal/store"
)

// middlewareStore is what the middleware handlers need of the store.
type middlewareStore interface {
	SessionCitizen(ctx context.Context, id int64) (store.Citizen, error)
	SessionLive(ctx context.Context, id string) (bool, error)
}

// Signer is the platform key that seals proofs.
type Signer interface {
	SigningKey() ed25519.PrivateKey
	// KeyDocument is served at /.well-known/koinon-key.
	KeyDocument() any
}

// Body limits: 1 MiB for API and form requests, more for roll uploads.
const (
	bodyLimit       = 1 << 20
	uploadBodyLimit = 16 << 20
)

const (
	sessionCookie = "koinon_session"
	refreshCookie = "koinon_refresh"
	csrfCookie    = "koinon_csrf"
	ctxCitizen    = "citizen"
	ctxClaims     = "claims" // *auth.Claims of the caller's token
	ctxCSRF       = "csrf"
	ctxRequestID  = "request_id"
)

func (s *Server) middleware() {
	e := s.echo
	// The security headers come first, so that the trailing-slash 301s
	// carry them too.
	e.Pre(s.securityHeaders, middleware.RemoveTrailingSlashWithConfig(middleware.TrailingSlashConfig{RedirectCode: http.StatusMovedPermanently}))
	e.Use(s.requestIDs, s.recoverPanics, s.logRequests, limitBodies)
	e.Use(echo.WrapMiddleware(http.NewCrossOriginProtection().Handler))
	e.Use(s.session, s.csrf)
}

// csrfCookieTTL is how long a browser keeps its anonymous CSRF cookie.
const csrfCookieTTL = 24 * time.Hour

// csrf checks the token of every state-changing form (field _csrf or
// header X-CSRF-Token). A signed-in browser's token is derived from its
// session, so it changes at each sign-in and sign-out and no cookie can
// stand in for it; before sign-in it is derived from a random cookie
// value. The token of the request is kept for the forms of its page.
func (s *Server) csrf(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if skipCSRF(c) {
			return next(c)
		}
		want := s.csrfToken(c)
		c.Set(ctxCSRF, want)
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		got := c.Request().Header.Get("X-CSRF-Token")
		if got == "" {
			got = c.FormValue("_csrf")
		}
		if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
			return errorf(http.StatusForbidden, "csrf", "the form expired or did not come from this site: reload the page and try again")
		}
		return next(c)
	}
}

// csrfToken is the CSRF token the caller's forms must carry; before
// sign-in it sets a fresh CSRF cookie when there is none.
func (s *Server) csrfToken(c echo.Context) string {
	if cl, ok := c.Get(ctxClaims).(*auth.Claims); ok && cl != nil && currentCitizen(c) != nil {
		return s.tokens.SessionCSRF(*cl)
	}
	if ck, err := c.Cookie(csrfCookie); err == nil && len(ck.Value) >= 32 {
		return s.tokens.AnonymousCSRF(ck.Value)
	}
	b := make([]byte, 32)
	rand.Read(b)
	v := hex.EncodeToString(b)
	s.setCookie(c, csrfCookie, v, s.now().Add(csrfCookieTTL))
	return s.tokens.AnonymousCSRF(v)
}

// skipCSRF: the JSON API authenticates with bearer tokens (no ambient
// credentials), so only cookie-authenticated forms need the token.
func skipCSRF(c echo.Context) bool {
	p := c.Request().URL.Path
	return strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/.well-known/") || strings.HasPrefix(p, "/static/")
}

func (s *Server) requestIDs(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		b := make([]byte, 8)
		rand.Read(b)
		id := hex.EncodeToString(b)
		c.Set(ctxRequestID, id)
		c.Response().Header().Set("X-Request-Id", id)
		return next(c)
	}
}

func requestID(c echo.Context) string {
	id, _ := c.Get(ctxRequestID).(string)
	return id
}

func (s *Server) recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				s.log.Error("panic", "request_id", requestID(c), "path", c.Request().URL.Path, "panic", r)
				err = errorf(http.StatusInternalServerError, "internal", "internal error")
			}
		}()
		return next(c)
	}
}

func (s *Server) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		status := c.Response().Status
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		s.metrics.Requests.WithLabelValues(c.Request().Method, route, strconv.Itoa(status/100)+"xx").Inc()
		s.metrics.RequestDuration.WithLabelValues(c.Request().Method, route).Observe(time.Since(start).Seconds())
		if strings.HasPrefix(c.Request().URL.Path, "/static/") && status < 400 {
			return nil
		}
		attrs := []any{"request_id", requestID(c), "method", c.Request().Method, "path", c.Path(),
			"status", status, "duration_ms", time.Since(start).Milliseconds()}
		if ct := currentCitizen(c); ct != nil && !isVoteRoute(route) {
			attrs = append(attrs, "user_id", ct.ID)
		}
		s.log.Info("request", attrs...)
		return nil
	}
}

// isVoteRoute reports whether a route casts, shows or withdraws a vote or
// a receipt: its log line names the route and status, never the citizen
// (with a time, that would say who voted when).
func isVoteRoute(route string) bool {
	return strings.HasSuffix(route, "/vote") || strings.HasSuffix(route, "/vote/withdraw") || strings.HasSuffix(route, "/receipt") ||
		strings.HasSuffix(route, "/vote/choice") || strings.HasSuffix(route, "/statements")
}

// securityHeaders: no inline scripts, no framing, no sniffing; with an
// https public URL, HSTS.
func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		if s.secure {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		return next(c)
	}
}

func limitBodies(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		limit := int64(bodyLimit)
		if strings.HasSuffix(r.URL.Path, "/roll/import") {
			limit = uploadBodyLimit
		}
		if r.ContentLength > limit {
			return errorf(http.StatusRequestEntityTooLarge, "too_large", "request body too large")
		}
		r.Body = http.MaxBytesReader(c.Response(), r.Body, limit)
		return next(c)
	}
}

// session resolves the caller from a bearer token (API clients) or the
// session cookie (browsers). A token is revoked when its version is older
// than the citizen's current one or its sign-in session was revoked
// (signed out, or its refresh token reused). Without a valid token the
// request goes on anonymously; routes that need a citizen say so.
func (s *Server) session(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		token, fromCookie := bearer(c), false
		if token == "" && !strings.HasPrefix(c.Request().URL.Path, "/api/") {
			if ck, err := c.Cookie(sessionCookie); err == nil {
				token, fromCookie = ck.Value, true
			}
		}
		if token == "" {
			if c.Request().Header.Get("Authorization") != "" {
				c.Set("bad_token", true)
			}
			if p := c.Request().URL.Path; !strings.HasPrefix(p, "/api/") && !strings.HasPrefix(p, "/static/") {
				s.refreshSession(c)
			}
			return next(c)
		}
		claims, err := s.tokens.Parse(token)
		if err == nil {
			var ct store.Citizen
			ct, err = s.store.SessionCitizen(c.Request().Context(), claims.CitizenID())
			if err == nil && ct.TokenVersion != claims.Version {
				err = auth.ErrBadToken
			}
			if err == nil && claims.Session != "" {
				err = s.checkSessionLive(c, claims.Session)
			}
			if err == nil {
				c.Set(ctxCitizen, &ct)
				c.Set(ctxClaims, &claims)
				return next(c)
			}
			if !errors.Is(err, store.ErrNotFound) && !errors.Is(err, auth.ErrBadToken) {
				return err
			}
		}
		if fromCookie {
			s.clearCookie(c, sessionCookie)
			s.refreshSession(c)
			return next(c)
		}
		c.Set("bad_token", true)
		return next(c)
	}
}

// checkSessionLive is ErrBadToken for a token of a revoked session.
func (s *Server) checkSessionLive(c echo.Context, sid string) error {
	live, err := s.store.SessionLive(c.Request().Context(), sid)
	if err == nil && !live {
		err = auth.ErrBadToken
	}
	return err
}

func bearer(c echo.Context) string {
	h := c.Request().Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// fullCitizen reloads the signed-in caller with every field (the session
// loads only id, handle, display name and token version) and keeps it for
// the rest of the request.
func (s *Server) fullCitizen(c echo.Context) (*store.Citizen, error) {
	ct, err := s.store.CitizenByID(c.Request().Context(), currentCitizen(c).ID)
	if err != nil {
		return nil, err
	}
	c.Set(ctxCitizen, &ct)
	return &ct, nil
}

// currentCitizen is the signed-in caller, or nil.
func currentCitizen(c echo.Context) *store.Citizen {
	ct, _ := c.Get(ctxCitizen).(*store.Citizen)
	return ct
}

func (s *Server) setCookie(c echo.Context, name, value string, expires time.Time) {
	c.SetCookie(&http.Cookie{Name: name, Value: value, Path: "/", Expires: expires,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
}

func (s *Server) clearCookie(c echo.Context, name string) {
	c.SetCookie(&http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
}
