package store

import (
	"io"
	"time"
)

// ElectorateRow is one voter of the frozen roll.
type ElectorateRow struct {
	CitizenID int64
	Voter     string   // handle or pseudonym
	Weight    int64    // ≥ 1
	Delegates []string // effective list, as voter ids; never nil
}

// FinalVote is one vote as it stood at the close.
type FinalVote struct {
	CitizenID int64
	Voter     string
	Choice    string
}

// CloseOutput is the sealed outcome to store. The proof is ProofJSON, or
// when WriteProof is set what it writes: the store calls it once, inside
// the closing transaction, and stores and hashes the proof as it comes,
// so that a large proof is never whole in memory.
type CloseOutput struct {
	ResultJSON []byte
	ProofJSON  []byte
	WriteProof func(w io.Writer) error
	VotesRoot  string
	// Cosignatures are the witnesses' cosignatures collected during the
	// close (of CloseLog.Before and of the close checkpoint), stored in
	// the closing transaction.
	Cosignatures []Cosignature
	// SecretFrozen and SecretAggregate are set instead of the others for
	// a secret ballot, which the close moves to tallying: the frozen count
	// input and the weighted aggregate the trustees decrypt.
	SecretFrozen, SecretAggregate []byte
}

// CloseInput is what a ballot's count needs, read inside the closing
// transaction: the frozen roll with each voter's effective delegate list
// (already named as the proof names voters) and the final votes.
type CloseInput struct {
	Ballot     Ballot
	Community  Community
	Topic      *Topic
	Options    []BallotOption
	Electorate []ElectorateRow // in roll order (citizen id)
	Votes      []FinalVote     // in roll order
	ClosedAt   time.Time
	// Log is the community log at the close of a public ballot when the
	// logs are on (closelog.go): a proof 2 is built from it.
	Log *CloseLog
}

// CloseFunc counts and seals a ballot. It runs inside the closing
// transaction: if it fails, nothing of the close is kept. It may drop
// in's Electorate and Votes once it has taken what it needs (the store
// does not read them afterwards), so that their memory is freed early.
type CloseFunc func(in *CloseInput) (CloseOutput, error)
