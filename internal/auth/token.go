package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Token lifetimes. An access token authenticates requests; a refresh
// token (browser cookie or API client) only mints new access tokens. Both
// carry the citizen's token version, so bumping it revokes them all.
const (
	AccessTTL  = 15 * time.Minute
	RefreshTTL = 7 * 24 * time.Hour
)

// Audiences keep the two kinds of token apart: a refresh token is never
// accepted as an access token and the other way round.
const (
	audAccess  = "koinon-access"
	audRefresh = "koinon-refresh"
)

// Claims are what a Koinon token says: the citizen (sub), its handle and
// the token version current when it was issued; a token of a sign-in
// session also names the session (a refresh-token family) and, for a
// refresh token, its generation in that family.
type Claims struct {
	Handle     string `json:"handle"`
	Version    int64  `json:"ver"`
	Session    string `json:"sid,omitempty"`
	Generation int64  `json:"gen,omitempty"`
	jwt.RegisteredClaims
}

// CitizenID returns the subject as a citizen id. Parse refuses a token
// whose subject is not one, so on a parsed token it never fails.
func (c Claims) CitizenID() int64 {
	id, err := citizenID(c.Subject)
	if err != nil {
		return 0
	}
	return id
}

func citizenID(sub string) (int64, error) {
	id, err := strconv.ParseInt(sub, 10, 64)
	if err == nil && id <= 0 {
		err = fmt.Errorf("auth: subject %q is not a citizen id", sub)
	}
	return id, err
}

// Tokens issues and checks HS256 tokens with one server key.
type Tokens struct {
	key []byte
	now func() time.Time
	// checked keeps access tokens that passed Parse, by their bytes
	// (under checkedMu): a token's claims cannot change without its
	// signature failing, so a request that brings one again costs a map
	// lookup and the expiry check, not the JSON decoding (about 5 % of a
	// vote's CPU). Emptied when it holds maxChecked tokens.
	checkedMu sync.Mutex
	checked   map[string]Claims
}

// maxChecked bounds Tokens.checked (about 4 MB).
const maxChecked = 10_000

// NewTokens returns a token issuer; now may be nil for the wall clock.
func NewTokens(key []byte, now func() time.Time) *Tokens {
	if now == nil {
		now = time.Now
	}
	return &Tokens{key: key, now: now, checked: map[string]Claims{}}
}

// Issue returns a signed access token for the citizen and its expiry,
// outside any sign-in session (tools, tests).
func (t *Tokens) Issue(citizenID int64, handle string, version int64) (string, time.Time, error) {
	return t.issue(Claims{Handle: handle, Version: version}, citizenID, audAccess, AccessTTL)
}

// IssueSession returns a signed access token of sign-in session sid.
func (t *Tokens) IssueSession(sid string, citizenID int64, handle string, version int64) (string, time.Time, error) {
	return t.issue(Claims{Handle: handle, Version: version, Session: sid}, citizenID, audAccess, AccessTTL)
}

// IssueRefresh returns a signed refresh token of generation gen of
// session sid, and its expiry.
func (t *Tokens) IssueRefresh(sid string, gen int64, citizenID int64, handle string, version int64) (string, time.Time, error) {
	return t.issue(Claims{Handle: handle, Version: version, Session: sid, Generation: gen}, citizenID, audRefresh, RefreshTTL)
}

func (t *Tokens) issue(claims Claims, citizenID int64, aud string, ttl time.Duration) (string, time.Time, error) {
	now := t.now().UTC().Truncate(time.Second)
	exp := now.Add(ttl)
	claims = Claims{
		Handle:     claims.Handle,
		Version:    claims.Version,
		Session:    claims.Session,
		Generation: claims.Generation,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    "koinon",
			Subject:   strconv.FormatInt(citizenID, 10),
			Audience:  jwt.ClaimStrings{aud},
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(exp),
		},
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(t.key)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("auth: sign token: %w", err)
	}
	return s, exp, nil
}

// ErrBadToken covers every unusable token: malformed, wrong algorithm or
// key, expired.
var ErrBadToken = errors.New("invalid or expired token")

// Parse checks an access token's signature (HS256 only), issuer,
// audience and expiry.
func (t *Tokens) Parse(token string) (Claims, error) {
	t.checkedMu.Lock()
	c, ok := t.checked[token]
	t.checkedMu.Unlock()
	if ok {
		if !t.now().Before(c.ExpiresAt.Time) {
			return Claims{}, ErrBadToken
		}
		return c, nil
	}
	c, err := t.parse(token, audAccess)
	if err == nil {
		t.checkedMu.Lock()
		if len(t.checked) >= maxChecked {
			clear(t.checked)
		}
		t.checked[token] = c
		t.checkedMu.Unlock()
	}
	return c, err
}

// ParseRefresh checks a refresh token like Parse checks an access token.
func (t *Tokens) ParseRefresh(token string) (Claims, error) { return t.parse(token, audRefresh) }

func (t *Tokens) parse(token, aud string) (Claims, error) {
	var c Claims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return t.key, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer("koinon"),
		jwt.WithAudience(aud),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(t.now),
	)
	if err != nil {
		return Claims{}, ErrBadToken
	}
	if _, err := citizenID(c.Subject); err != nil {
		return Claims{}, ErrBadToken
	}
	return c, nil
}

// SessionCSRF is the CSRF token of a signed-in browser: an HMAC, under
// the token key, of its session id (or, for a token outside a session, of
// the citizen and token version). A new sign-in is a new session, so the
// token changes; a cookie planted by someone else cannot match it.
func (t *Tokens) SessionCSRF(c Claims) string {
	if c.Session != "" {
		return t.csrf("s:" + c.Session)
	}
	return t.csrf(fmt.Sprintf("c:%s:%d", c.Subject, c.Version))
}

// AnonymousCSRF is the CSRF token of a browser that has not signed in,
// bound to the random value of its CSRF cookie (the cookie alone is not
// the token, so planting one does not let a forged form through).
func (t *Tokens) AnonymousCSRF(cookie string) string { return t.csrf("a:" + cookie) }

func (t *Tokens) csrf(binding string) string {
	m := hmac.New(sha256.New, t.key)
	m.Write([]byte("koinon-csrf\x00" + binding))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// LoadOrCreateKey reads the token key at path, creating a random 32-byte
// key (mode 0600) when the file does not exist.
func LoadOrCreateKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		if len(b) < 32 {
			return nil, fmt.Errorf("auth: token key %s is shorter than 32 bytes", path)
		}
		return b, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("auth: read token key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("auth: token key dir: %w", err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return LoadOrCreateKey(path)
		}
		return nil, fmt.Errorf("auth: create token key: %w", err)
	}
	defer f.Close()
	if _, err := f.Write(key); err != nil {
		return nil, err
	}
	return key, f.Sync()
}
