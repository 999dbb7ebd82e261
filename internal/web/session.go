package web

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"koinon/internal/auth"
	"koinon/internal/store"
)

// Browser sessions: a 15-minute access token in the session cookie and a
// 7-day refresh token in the refresh cookie, both naming one sign-in
// session (store.Session, a refresh-token family). When the access cookie
// is missing or expired, refreshSession spends the refresh token for a new
// pair, provided the citizen's token version has not moved since (a
// password change or "sign out everywhere" bumps it). A refresh token
// used twice revokes its session; signing out revokes it too.

// refreshGrace is how long after a refresh the token just spent still
// yields an access token without revoking the session: a browser sends
// several requests at once with the same cookie.
const refreshGrace = 10 * time.Second

// signIn starts a browser session for ct.
func (s *Server) signIn(c echo.Context, ct store.Citizen) error {
	ses, err := s.store.CreateSession(c.Request().Context(), ct.ID, auth.RefreshTTL)
	if err != nil {
		return err
	}
	s.clearCookie(c, csrfCookie)
	return s.setSession(c, ct, ses.ID, ses.Generation)
}

// setSession sets the session cookies of session sid (a refresh token
// of generation gen; none when gen is 0) and the caller and CSRF token
// of the rest of the request.
func (s *Server) setSession(c echo.Context, ct store.Citizen, sid string, gen int64) error {
	token, exp, err := s.tokens.IssueSession(sid, ct.ID, ct.Handle, ct.TokenVersion)
	if err != nil {
		return err
	}
	if gen > 0 {
		refresh, rexp, err := s.tokens.IssueRefresh(sid, gen, ct.ID, ct.Handle, ct.TokenVersion)
		if err != nil {
			return err
		}
		s.setCookie(c, refreshCookie, refresh, rexp)
	}
	s.setCookie(c, sessionCookie, token, exp)
	claims, err := s.tokens.Parse(token)
	if err != nil {
		return err
	}
	c.Set(ctxCitizen, &ct)
	c.Set(ctxClaims, &claims)
	c.Set(ctxCSRF, s.tokens.SessionCSRF(claims))
	return nil
}

// signOut ends the browser session: its refresh tokens are revoked and
// this browser's cookies dropped, the CSRF cookie too.
func (s *Server) signOut(c echo.Context) error {
	if cl, ok := c.Get(ctxClaims).(*auth.Claims); ok && cl.Session != "" {
		if err := s.store.RevokeSession(c.Request().Context(), cl.Session); err != nil {
			return err
		}
	}
	for _, name := range []string{sessionCookie, refreshCookie, csrfCookie} {
		s.clearCookie(c, name)
	}
	c.Set(ctxCitizen, nil)
	c.Set(ctxClaims, nil)
	return nil
}

// refreshSession renews an expired browser session from the refresh
// cookie; a refresh token that is bad, expired, revoked or spent is
// dropped (a spent one, outside the grace, also revokes the session).
func (s *Server) refreshSession(c echo.Context) {
	ck, err := c.Cookie(refreshCookie)
	if err != nil || ck.Value == "" {
		return
	}
	ctx := c.Request().Context()
	claims, err := s.tokens.ParseRefresh(ck.Value)
	if err != nil || claims.Session == "" {
		s.clearCookie(c, refreshCookie)
		return
	}
	ct, err := s.store.CitizenByID(ctx, claims.CitizenID())
	if err == nil && ct.TokenVersion != claims.Version {
		err = store.ErrNotFound
	}
	var ses store.Session
	if err == nil {
		ses, err = s.store.RotateSession(ctx, claims.Session, claims.Generation, refreshGrace)
	}
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrRefreshReused) {
			s.log.Error("refresh session", "request_id", requestID(c), "err", err)
			return
		}
		s.clearCookie(c, refreshCookie)
		return
	}
	gen := ses.Generation
	if ses.Raced {
		gen = 0 // a request beside the one that rotated: that one sets the new cookie
	}
	if err := s.setSession(c, ct, ses.ID, gen); err != nil {
		s.log.Error("refresh session", "request_id", requestID(c), "err", err)
	}
}

// Sign-in rate limits: after loginFreeFailures failed attempts for a
// handle (ipFreeFailures for one client address) each further failure
// locks that key for twice as long as the previous one, from
// loginBaseDelay up to loginMaxDelay. A key's failures are forgotten
// loginForget after its last failure; a successful sign-in clears the
// handle's count (not the address's, so that an attacker cannot reset
// it with an account of their own).
const (
	loginFreeFailures = 5
	ipFreeFailures    = 20
	loginBaseDelay    = time.Second
	loginMaxDelay     = 15 * time.Minute
	loginForget       = time.Hour
	loginMaxEntries   = 100_000
)

// loginLimiter rate-limits sign-in attempts per handle and per address.
// It never holds more than max entries: when full, forgotten entries are
// swept and, if that is not enough, the least recently failed one goes.
type loginLimiter struct {
	now     func() time.Time
	max     int
	mu      sync.Mutex
	entries map[string]*loginAttempts
}

type loginAttempts struct {
	failures int
	last     time.Time
	until    time.Time
}

func newLoginLimiter(now func() time.Time) *loginLimiter {
	return &loginLimiter{now: now, max: loginMaxEntries, entries: map[string]*loginAttempts{}}
}

func handleKey(h string) string {
	if len(h) > 64 {
		h = h[:64]
	}
	return "h:" + h
}

func ipKey(ip string) string { return "ip:" + ip }

// wait is how long the longest lock among keys still lasts (0: go on).
func (l *loginLimiter) wait(keys ...string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var w time.Duration
	for _, k := range keys {
		if a := l.entries[k]; a != nil && a.until.After(now) {
			w = max(w, a.until.Sub(now))
		}
	}
	return w
}

// fail records a failed attempt against every key.
func (l *loginLimiter) fail(keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	for _, k := range keys {
		a := l.entries[k]
		if a == nil || now.Sub(a.last) > loginForget {
			if a == nil {
				l.makeRoom(now)
			}
			a = &loginAttempts{}
			l.entries[k] = a
		}
		a.failures++
		a.last = now
		free := loginFreeFailures
		if strings.HasPrefix(k, "ip:") {
			free = ipFreeFailures
		}
		if over := a.failures - free; over >= 0 {
			d := loginBaseDelay * time.Duration(math.Pow(2, float64(min(over, 20))))
			a.until = now.Add(min(d, loginMaxDelay))
		}
	}
}

// reset forgets a key's failures (after a successful sign-in).
func (l *loginLimiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.entries, key)
}

// makeRoom leaves room for one more entry.
func (l *loginLimiter) makeRoom(now time.Time) {
	if len(l.entries) < l.max {
		return
	}
	for k, a := range l.entries {
		if now.Sub(a.last) > loginForget && !a.until.After(now) {
			delete(l.entries, k)
		}
	}
	for len(l.entries) >= l.max {
		var oldest string
		var at time.Time
		for k, a := range l.entries {
			if oldest == "" || a.last.Before(at) {
				oldest, at = k, a.last
			}
		}
		delete(l.entries, oldest)
	}
}

// errBadCredentials never says whether the handle exists.
var errBadCredentials = errorf(http.StatusUnauthorized, "bad_credentials", "wrong handle or password")

// authenticate checks a handle and password under the rate limits. An
// unknown handle costs the same argon2 time as a known one, and both
// fail with the same error.
func (s *Server) authenticate(c echo.Context, handle, password string) (store.Citizen, error) {
	keys := []string{handleKey(handle), ipKey(c.RealIP())}
	if w := s.limiter.wait(keys...); w > 0 {
		secs := int(math.Ceil(w.Seconds()))
		c.Response().Header().Set("Retry-After", strconv.Itoa(secs))
		return store.Citizen{}, errorf(http.StatusTooManyRequests, "rate_limited",
			fmt.Sprintf("too many failed sign-ins: try again in %d seconds", secs))
	}
	ct, err := s.store.CitizenByHandle(c.Request().Context(), handle)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return store.Citizen{}, err
	}
	known := err == nil
	hash := ""
	if known {
		hash = ct.PasswordHash
	}
	if !auth.CheckPassword(hash, password) || !known {
		s.limiter.fail(keys...)
		s.metrics.LoginFailures.Inc()
		return store.Citizen{}, errBadCredentials
	}
	s.limiter.reset(keys[0])
	return ct, nil
}
