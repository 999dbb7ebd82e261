package store

import (
	"context"
	"encoding/json"

	"koinon/internal/domain"
	"koinon/internal/statement"
)

// CitizenKey is a key registered in a community's log.
type CitizenKey struct {
	CommunityID int64  `gorm:"primaryKey;autoIncrement:false"`
	KeyID       string `gorm:"primaryKey"`
	CitizenID   int64
	PublicKey   string
	Custodial   bool
	Revoked     bool
}

// RefuseStatement is a statement refused (HTTP 422), naming the problem.
func RefuseStatement(err error) error {
	return &domain.Invalid{Field: "statement", Message: err.Error()}
}

// LoggedStatement is a statement with its log index.
type LoggedStatement struct {
	Index    int64           `json:"index"`
	Hash     string          `json:"hash"`
	Envelope json.RawMessage `json:"envelope"`
}

// Submission carries, through a write's context (WithSubmission), the
// statement a citizen's device signed for that write. The store checks
// that it is exactly the statement the write makes and logs it; without
// an Envelope the store signs with the citizen's custodial key. Either
// way it sets Receipt once the statement is in the log.
type Submission struct {
	Envelope *statement.Envelope
	// Nonce is the device's commitment nonce of a vote on an open ballot.
	Nonce   []byte
	Receipt *Receipt
	// CommunityID and CitizenID, when the caller knows them, let the
	// store replay the citizen's statements before it takes the write
	// lock (prepare).
	CommunityID, CitizenID int64

	// Scratch belongs to the store handling the write, which keeps its
	// work between steps there; callers leave it nil.
	Scratch any
}

type submissionKey struct{}

// WithSubmission returns ctx carrying sub for the store's next write.
func WithSubmission(ctx context.Context, sub *Submission) context.Context {
	return context.WithValue(ctx, submissionKey{}, sub)
}

// SubmissionFrom returns the submission WithSubmission put in ctx, or nil.
func SubmissionFrom(ctx context.Context) *Submission {
	sub, _ := ctx.Value(submissionKey{}).(*Submission)
	return sub
}
