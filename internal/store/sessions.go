package store

import (
	"errors"
	"time"
)

// Session is one sign-in: a family of refresh tokens. Generation counts
// the refresh tokens issued so far; only the newest one is valid.
type Session struct {
	ID         string
	CitizenID  int64
	Generation int64
	CreatedAt  time.Time
	UsedAt     time.Time
	RevokedAt  *time.Time
	// Raced: RotateSession saw the token just spent, within the grace.
	Raced bool `gorm:"-"`
}

// ErrRefreshReused reports a refresh token that was already used: someone
// holds a copy, so the whole session has been revoked.
var ErrRefreshReused = errors.New("refresh token reused: session revoked")
