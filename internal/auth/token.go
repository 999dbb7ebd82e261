package auth

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
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
// the token version current when it was issued.
type Claims struct {
	Handle  string `json:"handle"`
	Version int64  `json:"ver"`
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
}

// NewTokens returns a token issuer; now may be nil for the wall clock.
func NewTokens(key []byte, now func() time.Time) *Tokens {
	if now == nil {
		now = time.Now
	}
	return &Tokens{key: key, now: now}
}

// Issue returns a signed access token for the citizen and its expiry.
func (t *Tokens) Issue(citizenID int64, handle string, version int64) (string, time.Time, error) {
	return t.issue(citizenID, handle, version, audAccess, AccessTTL)
}

// IssueRefresh returns a signed refresh token and its expiry.
func (t *Tokens) IssueRefresh(citizenID int64, handle string, version int64) (string, time.Time, error) {
	return t.issue(citizenID, handle, version, audRefresh, RefreshTTL)
}

func (t *Tokens) issue(citizenID int64, handle string, version int64, aud string, ttl time.Duration) (string, time.Time, error) {
	now := t.now().UTC().Truncate(time.Second)
	exp := now.Add(ttl)
	claims := Claims{
		Handle:  handle,
		Version: version,
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
func (t *Tokens) Parse(token string) (Claims, error) { return t.parse(token, audAccess) }

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
