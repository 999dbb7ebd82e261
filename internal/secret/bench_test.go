package secret

import (
	"encoding/json"
	"fmt"
	"runtime"
	"sync"
	"testing"
)

// BenchmarkPrepareSchulze10 encrypts and proves a 10-option Schulze ballot
// (90 ciphertexts, 90 0/1 proofs, 45 pair proofs).
func BenchmarkPrepareSchulze10(b *testing.B) {
	rnd := seeded(20)
	_, key := mustKey(b, rnd)
	ctx := Context{BallotID: "b", Voter: "v", Key: key}
	form, choice := SchulzeForm(10), SchulzePairs([]int{3, 1, 2, 0, 4, 5, 0, 6, 7, 8})
	defer reportCPU(b)()
	for b.Loop() {
		if _, _, err := Prepare(rnd, ctx, form, choice); err != nil {
			b.Fatal(err)
		}
	}
}

// majorityRecord builds (once per size) a verified record of n voters on a
// yes/no/abstain ballot with weights 1..5, preparing ballots on every CPU.
var majorityRecords sync.Map

func majorityRecord(b *testing.B, n int) Record {
	if r, ok := majorityRecords.Load(n); ok {
		return r.(Record)
	}
	form := MajorityForm(3)
	rec := election(b, seeded(21), form, [][]int64{{1, 0, 0}}, []int64{1}, []int{1, 2})
	key := rec.KeyGeneration.Key
	rec.Cast = make([]Cast, n)
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Go(func() {
			rnd := seeded(byte(100 + w))
			for k := w; k < n; k += workers {
				voter := fmt.Sprintf("voter-%d", k)
				ch := []int64{0, 0, 0}
				ch[k%3] = 1
				bl, _, err := Prepare(rnd, Context{BallotID: "ballot-7", Voter: voter, Key: key}, form, ch)
				if err != nil {
					panic(err)
				}
				rec.Cast[k] = Cast{Voter: voter, Weight: int64(1 + k%5), Ballot: bl}
			}
		})
	}
	wg.Wait()
	rec.Aggregate = Aggregate(form.Size, rec.Cast)
	rec.Shares = nil
	run := runDKGSecretsFor(b, rec)
	for _, j := range []int{1, 2} {
		s, err := NewDecryptionShare(seeded(22), "ballot-7", key, j, run[j], rec.Aggregate)
		if err != nil {
			b.Fatal(err)
		}
		rec.Shares = append(rec.Shares, s)
	}
	counts, err := Counts(2, rec.Aggregate, rec.Shares, TotalWeight(rec.Cast))
	if err != nil {
		b.Fatal(err)
	}
	rec.Counts = counts
	majorityRecords.Store(n, rec)
	return rec
}

// runDKGSecretsFor replays the seeded DKG of election to recover the
// trustees' secret shares.
func runDKGSecretsFor(b *testing.B, rec Record) map[int]Scalar {
	run := runDKG(b, seeded(21), rec.KeyGeneration.Params, 0)
	if !run.kg.Key.Equal(rec.KeyGeneration.Key) {
		b.Fatal("DKG replay differs")
	}
	return run.secrets
}

func benchmarkVerify(b *testing.B, n int) {
	rec := majorityRecord(b, n)
	data, err := json.Marshal(rec)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(len(data))/float64(n), "bytes/ballot")
	defer reportCPU(b)()
	for b.Loop() {
		var r Record
		if err := json.Unmarshal(data, &r); err != nil {
			b.Fatal(err)
		}
		if err := Verify(r, MajorityForm(3)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyMajority decodes the record from JSON and runs every check.
func BenchmarkVerifyMajority10000(b *testing.B)  { benchmarkVerify(b, 10000) }
func BenchmarkVerifyMajority100000(b *testing.B) { benchmarkVerify(b, 100000) }

// BenchmarkAggregateMajority100000 is the weighted homomorphic sum of
// 100,000 decoded ballots.
func BenchmarkAggregateMajority100000(b *testing.B) {
	rec := majorityRecord(b, 100000)
	defer reportCPU(b)()
	for b.Loop() {
		Aggregate(3, rec.Cast)
	}
}

// reportCPU adds the CPU seconds per operation (all cores together) to the
// benchmark's output; call the result after the loop.
func reportCPU(b *testing.B) func() {
	start := cpuSeconds()
	return func() {
		if end := cpuSeconds(); end > 0 {
			b.ReportMetric((end-start)/float64(b.N), "cpu-s/op")
		}
	}
}
