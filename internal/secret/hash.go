package secret

import (
	"crypto/sha512"
	"encoding/binary"
	"hash"
)

// Domain-separation prefixes: the first field of every hash input.
const (
	domainStatement = "koinon/v1/secret/ballot-statement"
	domainRange     = "koinon/v1/secret/range-proof"
	domainDLEQ      = "koinon/v1/secret/decryption-proof"
	domainSchnorr   = "koinon/v1/secret/coefficient-proof"
	domainShareBox  = "koinon/v1/secret/dkg-share"
	domainBatch     = "koinon/v1/secret/batch-weights"
)

// transcript hashes fields with SHA-512, each as a 4-byte big-endian length
// followed by its bytes, so that no two field lists share an input.
type transcript struct{ h hash.Hash }

func newTranscript(domain string) *transcript {
	t := &transcript{h: sha512.New()}
	t.bytes([]byte(domain))
	return t
}

func (t *transcript) bytes(b []byte) *transcript {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(b)))
	t.h.Write(n[:])
	t.h.Write(b)
	return t
}

func (t *transcript) str(s string) *transcript { return t.bytes([]byte(s)) }

// int writes n as an 8-byte big-endian two's-complement field.
func (t *transcript) int(n int64) *transcript {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(n))
	return t.bytes(b[:])
}

func (t *transcript) points(ps ...Point) *transcript {
	for _, p := range ps {
		t.bytes(p.Bytes())
	}
	return t
}

func (t *transcript) sum() []byte { return t.h.Sum(nil) }

// challenge reduces the 64-byte digest modulo ℓ (RFC 9496 §4.4 style wide reduction).
func (t *transcript) challenge() Scalar {
	var s Scalar
	s.s.FromUniformBytes(t.sum())
	return s
}
