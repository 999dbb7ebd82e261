package proof2

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"koinon/internal/statement"
	"koinon/internal/tally"
)

// bigFixture has n citizens: each registers a key; every third delegates
// to the citizen before them for the community; the others vote. Keys are
// made from seeds, so the log is the same on every run.
func bigFixture(tb testing.TB, n int) (*fixture, []tally.Entry) {
	f := newFixture(tb)
	roll := make([]tally.Entry, n)
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("c%07d", i)
		roll[i] = tally.Entry{Voter: names[i], Weight: 1}
		f.register(names[i], i%10 == 0)
	}
	choices := []string{"yes", "no", "abstain"}
	for i, c := range names {
		if i%3 == 2 {
			f.delegate("", c, statement.ScopeCommunity, names[i-1])
		} else {
			f.vote(strconv.Itoa(i), c, "b1", choices[i%3])
		}
	}
	f.closeBallot()
	return f, roll
}

// BenchmarkVerify measures Verify (checks 1-8) of a proof 2 for
// KOINON_PROOF2_VOTERS voters (default 10,000).
func BenchmarkVerify(b *testing.B) {
	n := 10000
	if s := os.Getenv("KOINON_PROOF2_VOTERS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	benchVerify(b, n)
}

// BenchmarkVerify100k is issue 16's figure: `koinon verify` of a proof 2
// for 100,000 voters (target: under 2 s).
func BenchmarkVerify100k(b *testing.B) { benchVerify(b, 100000) }

func benchVerify(b *testing.B, n int) {
	start := time.Now()
	f, roll := bigFixture(b, n)
	in := f.input()
	in.Roll = roll
	in.Ballot = json.RawMessage(testBallot)
	data, err := Build(in, platform, issuedAt)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%d voters, %d log entries, proof %d bytes, fixture+build %v", n, len(f.entries), len(data), time.Since(start))
	pub := []byte(platform.Public().(ed25519.PublicKey))
	b.ResetTimer()
	for range b.N {
		if r := Verify(data, Options{PlatformKey: pub}); !r.OK {
			b.Fatal(checkLines(r))
		}
	}
}
