package store

import (
	"errors"
	"time"
)

// CastRequest is a vote to record. Receipt computes the cast receipt from
// the voter id (handle or pseudonym), the cast time and the receipt nonce
// once the store knows them.
type CastRequest struct {
	BallotID  int64
	CitizenID int64
	// Handle is the citizen's handle when the caller knows it (the
	// session does); empty makes the store look it up.
	Handle  string
	Choice  string // canonical JSON
	Receipt func(voter string, castAt time.Time, nonce string) (string, error)
}

// IsNotFound reports whether err is ErrNotFound.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
