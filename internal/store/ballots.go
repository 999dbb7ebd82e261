package store

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strconv"

	"koinon/internal/domain"
)

// Ballot states (domain.StateDraft …).
const (
	StateDraft  = domain.StateDraft
	StateOpen   = domain.StateOpen
	StateClosed = domain.StateClosed
)

// NewSecret returns a fresh ballot secret (32 random bytes, hex).
func NewSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Pseudonym is a citizen's voter id on a pseudonymous ballot (proof.md):
// the first 32 hex digits of HMAC-SHA256(secret, decimal citizen id), the
// key being the secret's 32 bytes.
func Pseudonym(secret string, citizenID int64) string {
	key, err := hex.DecodeString(secret)
	if err != nil {
		key = []byte(secret)
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(strconv.FormatInt(citizenID, 10)))
	return hex.EncodeToString(m.Sum(nil))[:32]
}

// BallotFilter narrows ListBallots.
type BallotFilter struct {
	CommunityID int64
	State       string // "" for all
	HideDrafts  bool   // leave drafts out (callers who are not on the board)
	Limit       int
	Offset      int
}

// Participation is an open ballot's running figures, weights only: it
// says how much weight has voted, not how.
type Participation struct {
	Voters       int64 // citizens on the roll
	Eligible     int64 // their weight
	VotesCast    int64 // direct votes so far
	DirectWeight int64 // weight of those votes
}

// RollEntry is one row of a frozen roll with the citizen's handle.
type RollEntry struct {
	CitizenID int64
	Handle    string
	Weight    int64
}

// IDString is the ballot id as documents write it.
func (b Ballot) IDString() string { return strconv.FormatInt(b.ID, 10) }
