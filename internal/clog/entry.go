package clog

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"koinon/internal/proof"
	"koinon/internal/statement"
)

// MaxEntrySize is the largest entry: tlog-tiles entry bundles prefix each
// entry with a 16-bit length.
const MaxEntrySize = 1<<16 - 1

// The entry types.
const (
	TypeStatement  = "statement"       // a signed statement, in the clear
	TypeCommitment = "vote_commitment" // a vote while its ballot is open
	TypeOpening    = "vote_opening"    // the vote behind a commitment, at close
)

// ErrEntry is returned for entry bytes that are not a well-formed entry.
var ErrEntry = errors.New("clog: malformed entry")

// Entry is one log entry. Its bytes are the canonical JSON of the fields its
// type uses (the others are absent); an entry never refers to a position
// in the log or to a checkpoint, so its bytes are fixed before it is
// appended.
type Entry struct {
	Type string `json:"type"`
	// statement and vote_opening: the signed statement.
	Envelope *statement.Envelope `json:"envelope,omitempty"`
	// vote_commitment: the ballot and the key that signed the hidden vote.
	Ballot string `json:"ballot,omitempty"`
	Key    string `json:"key,omitempty"`
	// vote_commitment and vote_opening: the commitment (hex).
	Commitment string `json:"commitment,omitempty"`
	// vote_opening: the nonce (hex).
	Nonce string `json:"nonce,omitempty"`
}

// StatementEntry is the entry of a statement logged in the clear.
func StatementEntry(e *statement.Envelope) Entry {
	return Entry{Type: TypeStatement, Envelope: e}
}

// CommitmentEntry is the entry that stands for vote v while its ballot is
// open: it shows that the key voted on the ballot, not how.
func CommitmentEntry(v *statement.Envelope, c statement.Hash) (Entry, error) {
	s := v.Parsed()
	ballot, ok := s.Ballot()
	if s.Kind != statement.Vote || !ok {
		return Entry{}, fmt.Errorf("%w: commitment to a %s statement", ErrEntry, s.Kind)
	}
	return Entry{Type: TypeCommitment, Ballot: ballot, Key: s.Key, Commitment: c.String()}, nil
}

// OpeningEntry is the entry published at close that opens commitment c.
func OpeningEntry(o statement.Opening, c statement.Hash) (Entry, error) {
	if err := o.Check(c); err != nil {
		return Entry{}, err
	}
	return Entry{Type: TypeOpening, Envelope: o.Envelope, Commitment: c.String(), Nonce: o.Nonce}, nil
}

// Bytes returns the entry's canonical bytes.
func (e Entry) Bytes() ([]byte, error) {
	b, err := proof.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrEntry, err)
	}
	if len(b) > MaxEntrySize {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrEntry, len(b), MaxEntrySize)
	}
	return b, nil
}

// ParseEntry reads an entry strictly: canonical JSON, the fields of its type
// and no others, a well-formed statement, and for an opening a nonce that
// opens the commitment. Signatures are checked by statement.State.
func ParseEntry(data []byte) (Entry, error) {
	var e Entry
	if len(data) > MaxEntrySize {
		return e, fmt.Errorf("%w: %d bytes", ErrEntry, len(data))
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return e, fmt.Errorf("%w: %v", ErrEntry, err)
	}
	again, err := proof.Marshal(e)
	if err != nil || !bytes.Equal(again, data) {
		return e, fmt.Errorf("%w: not canonical, or fields its type does not use", ErrEntry)
	}
	hasEnv, hasCommit := e.Envelope != nil, e.Commitment != ""
	switch {
	case e.Type == TypeStatement && hasEnv && !hasCommit && e.Ballot == "" && e.Key == "" && e.Nonce == "":
		return e, nil
	case e.Type == TypeCommitment && !hasEnv && e.Ballot != "" && e.Nonce == "":
		if k, err := hex.DecodeString(e.Key); err != nil || len(k) != 8 || hex.EncodeToString(k) != e.Key {
			return e, fmt.Errorf("%w: key %q is not a key id", ErrEntry, e.Key)
		}
		_, err := parseHash(e.Commitment)
		return e, err
	case e.Type == TypeOpening && hasEnv && e.Ballot == "" && e.Key == "":
		c, err := parseHash(e.Commitment)
		if err != nil {
			return e, err
		}
		return e, statement.Opening{Nonce: e.Nonce, Envelope: e.Envelope}.Check(c)
	}
	return e, fmt.Errorf("%w: type %q with the fields of another type", ErrEntry, e.Type)
}

func parseHash(s string) (statement.Hash, error) {
	var h statement.Hash
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(h) || hex.EncodeToString(b) != s {
		return h, fmt.Errorf("%w: commitment %q is not a lowercase hex SHA-256", ErrEntry, s)
	}
	copy(h[:], b)
	return h, nil
}
