package proof

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"io"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"
)

// The two-pass signer makes ed25519.Sign's signature, however the message
// is cut into writes.
func TestStreamSignerIsEd25519(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := range 200 {
		key := testKey(byte(n + 1))
		msg := make([]byte, rng.IntN(3)*rng.IntN(70_000))
		for i := range msg {
			msg[i] = byte(rng.Uint32())
		}
		got, err := streamSign(key, msg, msg, rng)
		if want := ed25519.Sign(key, msg); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("message of %d bytes: signature %x (%v), want %x", len(msg), got, err, want)
		}
	}
}

// Two passes over different bytes give no signature (the nonce of one
// message with the challenge of another would leak the key).
func TestStreamSignerRefusesDifferentPasses(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	msg := []byte("the sealed proof")
	for _, second := range [][]byte{[]byte("the sealed proof!"), []byte("The sealed proof"), nil} {
		if sig, err := streamSign(testKey(1), msg, second, rng); err == nil {
			t.Errorf("passes %q and %q: signature %x, want an error", msg, second, sig)
		}
	}
	g := newStreamSigner(testKey(1))
	g.FirstPass().Write(msg)
	if sig, err := g.Sum(); err == nil {
		t.Errorf("no second pass: signature %x, want an error", sig)
	}
}

// streamSign signs with a streamSigner, writing each pass in random cuts.
func streamSign(key ed25519.PrivateKey, first, second []byte, rng *rand.Rand) ([]byte, error) {
	g := newStreamSigner(key)
	for _, p := range []struct {
		w   io.Writer
		msg []byte
	}{{g.FirstPass(), first}, {nil, second}} {
		w := p.w
		if w == nil {
			w = g.SecondPass()
		}
		for rest := p.msg; len(rest) > 0; {
			k := 1 + rng.IntN(len(rest))
			w.Write(rest[:k])
			rest = rest[k:]
		}
	}
	return g.Sum()
}

// verifyStream accepts exactly what ed25519.Verify accepts: good
// signatures, and no tampered message, signature or key, non-canonical S
// (S + ℓ) or key that is not a point.
func TestVerifyStreamIsEd25519Verify(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	ell, _ := new(big.Int).SetString("7237005577332262213973186563042994240857116359379907606001950938285454250989", 10) // 2^252 + 27742317777372353535851937790883648493
	for n := range 300 {
		key := testKey(byte(n + 1))
		pub := []byte(key.Public().(ed25519.PublicKey))
		msg := make([]byte, rng.IntN(5000))
		for i := range msg {
			msg[i] = byte(rng.Uint32())
		}
		sig := ed25519.Sign(key, msg)
		switch n % 6 {
		case 1:
			sig[rng.IntN(len(sig))] ^= 1 << rng.IntN(8)
		case 2:
			if len(msg) > 0 {
				msg[rng.IntN(len(msg))] ^= 1 << rng.IntN(8)
			}
		case 3:
			pub = slices.Clone(pub)
			pub[rng.IntN(len(pub))] ^= 1 << rng.IntN(8)
		case 4: // S + ℓ, little-endian: the same signature, not canonical
			slices.Reverse(sig[32:])
			S := new(big.Int).SetBytes(sig[32:])
			S.Add(S, ell).FillBytes(sig[32:])
			slices.Reverse(sig[32:])
		case 5:
			pub = make([]byte, 32)
			pub[0] = byte(n) // small or not on the curve
		}
		want := ed25519.Verify(pub, msg, sig)
		got, err := verifyStream(pub, sig, func(w io.Writer) error {
			for rest := msg; len(rest) > 0; {
				k := 1 + rng.IntN(len(rest))
				w.Write(rest[:k])
				rest = rest[k:]
			}
			return nil
		})
		if err != nil || got != want {
			t.Fatalf("case %d (kind %d): verifyStream = %v, %v; ed25519.Verify = %v", n, n%6, got, err, want)
		}
	}
}

// A sealed proof written in blocks (a ballot large enough for many) is
// the document appended whole, signed by ed25519.Sign.
func TestSealToWritesTheSealedDocument(t *testing.T) {
	doc, err := ParseProof(sealedMajority(t, 20_000))
	if err != nil {
		t.Fatal(err)
	}
	if err := Count(doc); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := SealTo(&buf, doc, testKey(2), testIssuedAt); err != nil {
		t.Fatal(err)
	}
	if buf.Len() < 4*spillSize {
		t.Fatalf("proof of %d bytes: too small to test blocks", buf.Len())
	}
	if want := appendDocument(doc, true); !bytes.Equal(buf.Bytes(), want) {
		t.Fatal("the streamed proof differs from the appended one")
	}
	sig := base64.StdEncoding.EncodeToString(ed25519.Sign(testKey(2), appendDocument(doc, false)))
	if doc.Signature != sig {
		t.Fatalf("signature %s, want ed25519.Sign's %s", doc.Signature, sig)
	}
}

// CountToSeal, whose first signing pass starts during the count, seals
// what Count then SealTo seal.
func TestCountToSealIsCountThenSeal(t *testing.T) {
	sealed := sealedMajority(t, 20_000)
	var want, got bytes.Buffer
	doc, err := ParseProof(sealed)
	if err != nil {
		t.Fatal(err)
	}
	if err := Count(doc); err != nil {
		t.Fatal(err)
	}
	if err := SealTo(&want, doc, testKey(2), testIssuedAt); err != nil {
		t.Fatal(err)
	}
	if doc, err = ParseProof(sealed); err != nil {
		t.Fatal(err)
	}
	s, err := CountToSeal(doc, testKey(2), testIssuedAt)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SealTo(&got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Fatal("CountToSeal's proof differs from Count and SealTo's")
	}
}

// appendDocument is the document as writeJSON writes it, appended in one
// buffer.
func appendDocument(doc *Document, withSignature bool) []byte {
	out := append(doc.appendHead(nil, nil), doc.Result...)
	return doc.appendTail(out, withSignature, nil)
}
