package proof

import (
	"bufio"
	"crypto/ed25519"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"
)

// genMajority writes a majority tally document with n voters, formatted as
// Python's json.dumps formats (", " and ": "). About 60% vote (in a shuffled
// casting order), 30% delegate to one to three others, 10% stay absent.
func genMajority(w io.Writer, n int, seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, 0))
	bw := bufio.NewWriterSize(w, 1<<20)
	id := func(i int) string { return fmt.Sprintf("v%07d", i) }
	fmt.Fprint(bw, `{"format": "koinon-tally-proof/1", "ballot": {"id": "bench", "title": "Benchmark ballot", `+
		`"community": "bench", "topic": null, "method": "majority", "options": [{"key": "yes", "label": "Yes"}, `+
		`{"key": "no", "label": "No"}, {"key": "abstain", "label": "Abstain"}], "seats": 1, "threshold": "1/2", `+
		`"strict": true, "quorum": "1/4", "delegation": true, "secrecy": "public", `+
		`"opens_at": "2026-11-20T09:00:00Z", "closes_at": "2026-11-26T09:00:00Z"}, "electorate": [`)
	kind := make([]byte, n) // 'v' votes, 'd' delegates, 'a' absent
	for i := range kind {
		switch r := rng.IntN(10); {
		case r < 6:
			kind[i] = 'v'
		case r < 9:
			kind[i] = 'd'
		default:
			kind[i] = 'a'
		}
	}
	for i := range n {
		if i > 0 {
			bw.WriteString(", ")
		}
		weight := 1
		if rng.IntN(20) == 0 {
			weight = 2 + rng.IntN(4)
		}
		fmt.Fprintf(bw, `{"voter": "%s", "weight": %d, "delegates": [`, id(i), weight)
		if kind[i] == 'd' {
			k := 1 + rng.IntN(3)
			seen := map[int]bool{i: true}
			for j := 0; j < k; j++ {
				d := rng.IntN(n)
				if seen[d] {
					continue
				}
				seen[d] = true
				if len(seen) > 2 {
					bw.WriteString(", ")
				}
				bw.WriteString(`"` + id(d) + `"`)
			}
		}
		bw.WriteString("]}")
	}
	bw.WriteString(`], "votes": [`)
	order := rng.Perm(n)
	words := []string{"yes", "yes", "no", "abstain"}
	first := true
	for _, i := range order {
		if kind[i] != 'v' {
			continue
		}
		if !first {
			bw.WriteString(", ")
		}
		first = false
		fmt.Fprintf(bw, `{"voter": "%s", "choice": "%s"}`, id(i), words[rng.IntN(len(words))])
	}
	bw.WriteString("]}\n")
	return bw.Flush()
}

// testKey is a fixed signing key for tests.
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
	go func() { pw.CloseWithError(genMajority(pw, n, 1)) }()
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
	if err := genMajority(f, n, 1); err != nil {
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
