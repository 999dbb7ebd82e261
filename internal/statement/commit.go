package statement

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"io"
)

// CommitmentPrefix separates vote commitments from every other hash.
const CommitmentPrefix = "koinon/v1/vote-commitment\n"

// NonceSize is the size of the secret a voter's device draws per vote.
const NonceSize = 32

// Commit returns the commitment to a signed vote: SHA-256(CommitmentPrefix ‖
// nonce ‖ envelope bytes). The log holds it while the ballot is open.
func Commit(nonce []byte, e *Envelope) (Hash, error) {
	if len(nonce) != NonceSize {
		return Hash{}, fmt.Errorf("%w: %d bytes", ErrBadNonce, len(nonce))
	}
	h := sha256.New()
	h.Write([]byte(CommitmentPrefix))
	h.Write(nonce)
	h.Write(e.Bytes())
	var out Hash
	h.Sum(out[:0])
	return out, nil
}

// NewNonce reads a fresh nonce from rand (crypto/rand.Reader in production).
func NewNonce(rand io.Reader) ([]byte, error) {
	n := make([]byte, NonceSize)
	if _, err := io.ReadFull(rand, n); err != nil {
		return nil, fmt.Errorf("statement: nonce: %w", err)
	}
	return n, nil
}

// Opening is what the server keeps and publishes at close: the nonce (hex)
// and the signed vote it commits to.
type Opening struct {
	Nonce    string    `json:"nonce"`
	Envelope *Envelope `json:"envelope"`
}

// Open returns the opening and the commitment for a signed vote.
func Open(nonce []byte, e *Envelope) (Opening, Hash, error) {
	c, err := Commit(nonce, e)
	return Opening{Nonce: hex.EncodeToString(nonce), Envelope: e}, c, err
}

// Check verifies that o opens commitment c.
func (o Opening) Check(c Hash) error {
	nonce, err := hex.DecodeString(o.Nonce)
	if err != nil || hex.EncodeToString(nonce) != o.Nonce {
		return fmt.Errorf("%w: nonce %q is not lowercase hex", ErrBadNonce, o.Nonce)
	}
	got, err := Commit(nonce, o.Envelope)
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare(got[:], c[:]) != 1 {
		return fmt.Errorf("%w: opening gives %s, log holds %s", ErrCommitment, got, c)
	}
	return nil
}
