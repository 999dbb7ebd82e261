package clog

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	cosig "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
)

// algCosignatureV1 is the signed-note key type of C2SP tlog-cosignature's
// Ed25519 cosignature/v1.
const algCosignatureV1 = 0x04

// Cosigner makes C2SP tlog-cosignature cosignature/v1 signatures: Ed25519
// over "cosignature/v1\ntime <T>\n" followed by the checkpoint body, sent
// as the 8-byte big-endian T and the 64-byte signature. It is a
// note.Signer. Its clock is injected so that cosigning is reproducible.
type Cosigner struct {
	name string
	key  ed25519.PrivateKey
	hash uint32
	now  func() time.Time
}

// NewCosigner returns the cosigner named name with the given Ed25519 seed,
// and its verifier key in signed-note vkey form.
func NewCosigner(name string, seed []byte, now func() time.Time) (*Cosigner, string, error) {
	if len(seed) != ed25519.SeedSize {
		return nil, "", fmt.Errorf("clog: key seed of %d bytes", len(seed))
	}
	key := ed25519.NewKeyFromSeed(seed)
	typed := append([]byte{algCosignatureV1}, key.Public().(ed25519.PublicKey)...)
	sum := sha256.Sum256(append([]byte(name+"\n"), typed...))
	c := &Cosigner{name: name, key: key, hash: binary.BigEndian.Uint32(sum[:]), now: now}
	vkey := fmt.Sprintf("%s+%08x+%s", name, c.hash, base64.StdEncoding.EncodeToString(typed))
	if _, err := CosignatureVerifier(vkey); err != nil {
		return nil, "", err
	}
	return c, vkey, nil
}

// Name implements note.Signer.
func (c *Cosigner) Name() string { return c.name }

// KeyHash implements note.Signer.
func (c *Cosigner) KeyHash() uint32 { return c.hash }

// Sign implements note.Signer for a checkpoint body.
func (c *Cosigner) Sign(msg []byte) ([]byte, error) {
	t := uint64(c.now().Unix())
	signed := append([]byte("cosignature/v1\ntime "+strconv.FormatUint(t, 10)+"\n"), msg...)
	return append(binary.BigEndian.AppendUint64(nil, t), ed25519.Sign(c.key, signed)...), nil
}

// CosignatureVerifier returns the verifier of a witness's cosignatures
// from its vkey (transparency-dev/formats' implementation).
func CosignatureVerifier(vkey string) (note.Verifier, error) {
	parts := strings.SplitN(vkey, "+", 3)
	if key, err := base64.StdEncoding.DecodeString(parts[len(parts)-1]); err != nil || len(parts) != 3 || len(key) != 1+ed25519.PublicKeySize || key[0] != algCosignatureV1 {
		return nil, fmt.Errorf("clog: witness key %q: not a cosignature/v1 key (type 0x04, Ed25519)", vkey)
	}
	v, err := cosig.NewVerifierForCosignatureV1(vkey)
	if err != nil {
		return nil, fmt.Errorf("clog: witness key %q: %w", vkey, err)
	}
	return v, nil
}

// Cosigned counts the witnesses among witnesses whose cosignature on the
// signed checkpoint verifies, and fails with ErrWitnessQuorum below quorum.
// A signature line naming a known witness that does not verify is
// ErrBadCosignature.
func Cosigned(signed []byte, witnesses []note.Verifier, quorum int) (int, error) {
	n := 0
	for _, w := range witnesses {
		_, err := note.Open(signed, note.VerifierList(w))
		if err == nil {
			n++
			continue
		}
		var invalid *note.InvalidSignatureError
		if errors.As(err, &invalid) {
			return n, fmt.Errorf("%w: %s", ErrBadCosignature, w.Name())
		}
	}
	if n < quorum {
		return n, fmt.Errorf("%w: %d of %d needed", ErrWitnessQuorum, n, quorum)
	}
	return n, nil
}
