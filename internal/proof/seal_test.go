package proof

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"testing"
)

// The two-pass signer makes ed25519.Sign's signature.
func TestStreamSignerIsEd25519(t *testing.T) {
	for n := range 5 {
		key := testKey(byte(n + 1))
		msg := bytes.Repeat([]byte{byte(n), 'x'}, 1000*n)
		g := newStreamSigner(key)
		g.FirstPass().Write(msg)
		g.SecondPass().Write(msg)
		if got, want := g.Sum(), ed25519.Sign(key, msg); !bytes.Equal(got, want) {
			t.Fatalf("message of %d bytes: signature %x, want %x", len(msg), got, want)
		}
	}
}

// A sealed proof written in blocks (a ballot large enough for many) is
// the document appendJSON makes, signed by ed25519.Sign.
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
	if want := doc.appendJSON(nil, true); !bytes.Equal(buf.Bytes(), want) {
		t.Fatal("the streamed proof differs from the appended one")
	}
	sig := base64.StdEncoding.EncodeToString(ed25519.Sign(testKey(2), doc.appendJSON(nil, false)))
	if doc.Signature != sig {
		t.Fatalf("signature %s, want ed25519.Sign's %s", doc.Signature, sig)
	}
}
