package proof

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"hash"
	"io"

	"filippo.io/edwards25519"
)

// streamSigner computes the Ed25519 signature of RFC 8032 §5.1.6 (the one
// ed25519.Sign makes) of a message too large to hold in memory, which it
// is given twice: once to derive the nonce, once for the challenge.
//
// Both passes must carry the same bytes: a nonce derived from one message
// and used with the challenge of another would, with a second such
// signature, give the private key away. Sum therefore compares SHA-256
// digests of the two passes and makes no signature when they differ.
type streamSigner struct {
	key          ed25519.PrivateKey
	s            *edwards25519.Scalar // secret scalar
	r            *edwards25519.Scalar // nonce, set by the first pass
	rBytes       []byte               // encoded R = [r]B
	h            hash.Hash            // SHA-512 of the current pass
	pass1, pass2 hash.Hash            // SHA-256 of each pass's message
}

// newStreamSigner starts a signature by key; write the message to
// FirstPass, then to SecondPass, then call Sum.
func newStreamSigner(key ed25519.PrivateKey) *streamSigner {
	d := sha512.Sum512(key.Seed())
	s, err := edwards25519.NewScalar().SetBytesWithClamping(d[:32])
	if err != nil {
		panic(err) // 32 bytes always clamp to a scalar
	}
	h := sha512.New()
	h.Write(d[32:])
	return &streamSigner{key: key, s: s, h: h, pass1: sha256.New(), pass2: sha256.New()}
}

// FirstPass is where the message is written the first time: SHA-512 of
// the key's prefix and the message.
func (g *streamSigner) FirstPass() io.Writer { return io.MultiWriter(g.h, g.pass1) }

// SecondPass derives the nonce from the first pass and returns where the
// message is written the second time: SHA-512 of R, the public key and
// the message.
func (g *streamSigner) SecondPass() io.Writer {
	g.r = scalarOf(g.h)
	g.rBytes = new(edwards25519.Point).ScalarBaseMult(g.r).Bytes()
	g.h = sha512.New()
	g.h.Write(g.rBytes)
	g.h.Write(g.key[32:])
	return io.MultiWriter(g.h, g.pass2)
}

// errPassesDiffer is Sum's answer when the two passes differ.
var errPassesDiffer = errors.New("seal: the document's two writings differ; nothing was signed")

// Sum returns the 64-byte signature R ‖ S, or errPassesDiffer.
func (g *streamSigner) Sum() ([]byte, error) {
	if g.r == nil || !bytes.Equal(g.pass1.Sum(nil), g.pass2.Sum(nil)) {
		return nil, errPassesDiffer
	}
	k := scalarOf(g.h)
	S := edwards25519.NewScalar().MultiplyAdd(k, g.s, g.r)
	return append(g.rBytes, S.Bytes()...), nil
}

// scalarOf reduces a SHA-512 digest modulo the group order.
func scalarOf(h hash.Hash) *edwards25519.Scalar {
	x, err := edwards25519.NewScalar().SetUniformBytes(h.Sum(nil))
	if err != nil {
		panic(err) // a SHA-512 digest has the 64 bytes it needs
	}
	return x
}

// verifyStream is ed25519.Verify of the message write writes, hashed as it
// is written (RFC 8032 §5.1.7): it checks what crypto/ed25519 checks, in
// the same way (a canonical S, then [S]B = R + [k]A without the cofactor),
// so both accept the same signatures. An error is write's own.
func verifyStream(pub, sig []byte, write func(io.Writer) error) (bool, error) {
	if len(pub) != ed25519.PublicKeySize || len(sig) != ed25519.SignatureSize || sig[63]&224 != 0 {
		return false, nil
	}
	A, err := new(edwards25519.Point).SetBytes(pub)
	if err != nil {
		return false, nil
	}
	S, err := edwards25519.NewScalar().SetCanonicalBytes(sig[32:])
	if err != nil {
		return false, nil
	}
	h := sha512.New()
	h.Write(sig[:32])
	h.Write(pub)
	if err := write(h); err != nil {
		return false, err
	}
	minusA := new(edwards25519.Point).Negate(A)
	R := new(edwards25519.Point).VarTimeDoubleScalarBaseMult(scalarOf(h), minusA, S)
	return bytes.Equal(sig[:32], R.Bytes()), nil
}
