package proof

import (
	"crypto/ed25519"
	"io"
	"os"
	"strconv"
	"testing"
	"time"
)

func testKey(seed byte) ed25519.PrivateKey {
	s := make([]byte, ed25519.SeedSize)
	for i := range s {
		s[i] = seed
	}
	return ed25519.NewKeyFromSeed(s)
}

var testIssuedAt = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

// sealedMajority returns a sealed proof over a generated n-voter ballot.
func sealedMajority(tb testing.TB, n int) []byte {
	tb.Helper()
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(GenMajority(pw, n, 1)) }()
	data, err := io.ReadAll(pr)
	if err != nil {
		tb.Fatal(err)
	}
	doc, err := ParseDocument(data)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := Tally(doc); err != nil {
		tb.Fatal(err)
	}
	sealed, err := Seal(doc, testKey(1), testIssuedAt)
	if err != nil {
		tb.Fatal(err)
	}
	return sealed
}

// TestWriteLargeDocument writes a generated document for benchmarks and
// manual checks: KOINON_GEN_DOC=path [KOINON_GEN_VOTERS=n] [KOINON_GEN_SEAL=1]
// [KOINON_GEN_RECEIPT=path]. With KOINON_GEN_SEAL=1 the file is a sealed
// proof (signed with the test key of seed byte 1), else a tally input; with
// KOINON_GEN_RECEIPT the receipt of the last vote is written too.
func TestWriteLargeDocument(t *testing.T) {
	path := os.Getenv("KOINON_GEN_DOC")
	if path == "" {
		t.Skip("set KOINON_GEN_DOC to write a generated document")
	}
	n := 1_000_000
	if s := os.Getenv("KOINON_GEN_VOTERS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			t.Fatal(err)
		}
	}
	if os.Getenv("KOINON_GEN_SEAL") == "1" {
		sealed := sealedMajority(t, n)
		if err := os.WriteFile(path, sealed, 0o644); err != nil {
			t.Fatal(err)
		}
		if rpath := os.Getenv("KOINON_GEN_RECEIPT"); rpath != "" {
			doc, err := ParseProof(sealed)
			if err != nil {
				t.Fatal(err)
			}
			rc, err := Receipt(doc, doc.Votes[len(doc.Votes)-1].Voter, testKey(1))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(rpath, rc, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := GenMajority(f, n, 1); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkVerify100k verifies a sealed 100,000-voter proof, as
// `koinon verify` does.
func BenchmarkVerify100k(b *testing.B) {
	sealed := sealedMajority(b, 100_000)
	pub := testKey(1).Public().(ed25519.PublicKey)
	b.SetBytes(int64(len(sealed)))
	b.ResetTimer()
	for b.Loop() {
		if r := Verify(sealed, pub); !r.OK {
			b.Fatalf("verify failed: %+v", r.Checks)
		}
	}
}

// BenchmarkTallyFile parses and tallies the document named by
// KOINON_BENCH_DOC, as `koinon tally` does.
func BenchmarkTallyFile(b *testing.B) {
	path := os.Getenv("KOINON_BENCH_DOC")
	if path == "" {
		b.Skip("set KOINON_BENCH_DOC to a tally document")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		doc, err := ParseDocument(data)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Tally(doc); err != nil {
			b.Fatal(err)
		}
	}
}
