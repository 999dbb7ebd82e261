package tally

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
)

// benchElectorate is 1,000,000 voters, 600,000 of them with a delegate list
// (a third of those with 2–3 ranked delegates), delegates drawn with
// power-law popularity (so cycles occur), and 200,000 casting voters.
var benchElectorate = sync.OnceValues(func() ([]Entry, []Vote) {
	const n, withList, casting = 1_000_000, 600_000, 200_000
	rng := rand.New(rand.NewPCG(42, 42))
	zipf := rand.NewZipf(rng, 1.2, 1, n-1)
	perm := rng.Perm(n) // popularity rank → voter, so popular voters are spread out
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("voter-%07d", i)
	}
	el := make([]Entry, n)
	for i := range el {
		el[i] = Entry{Voter: names[i], Weight: 1 + int64(rng.IntN(3))}
	}
	for _, i := range rng.Perm(n)[:withList] {
		k := 1
		if rng.IntN(3) == 0 {
			k = 2 + rng.IntN(2)
		}
		for len(el[i].Delegates) < k {
			d := names[perm[zipf.Uint64()]]
			if d != el[i].Voter && !slices.Contains(el[i].Delegates, d) {
				el[i].Delegates = append(el[i].Delegates, d)
			}
		}
	}
	votes := make([]Vote, 0, casting)
	for _, i := range rng.Perm(n)[:casting] {
		votes = append(votes, Vote{Voter: names[i], Choice: Choice{Word: "yes"}})
	}
	return el, votes
})

func BenchmarkResolve(b *testing.B) {
	el, votes := benchElectorate()
	b.ReportAllocs()
	b.ResetTimer()
	var res Resolution
	for b.Loop() {
		res = Resolve(el, votes)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(el)), "ns/voter")
	w := res.Weights
	b.Logf("eligible %d participating %d (delegated %d) lost %d absent %d max_weight %d",
		w.Eligible, w.Participating, w.Delegated, w.Lost, w.Absent, w.MaxWeight)
}

// benchSchulze builds 1,000,000 weighted schulze ballots over 40 options:
// either drawn from 10,000 ranking profiles with power-law popularity
// (truncated rankings with some ties, as real electorates give), or all
// different (random top-5 rankings: the worst case for grouping).
func benchSchulze(distinct bool) counting {
	const n, ballots, profiles = 40, 1_000_000, 10_000
	rng := rand.New(rand.NewPCG(7, 7))
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("o%02d", i)
	}
	b := newBallot("schulze")
	b.Options = options(keys...)
	randomRanking := func(depth int) Choice {
		perm := rng.Perm(n)[:depth]
		var groups [][]string
		for _, o := range perm {
			if len(groups) > 0 && rng.IntN(5) == 0 {
				groups[len(groups)-1] = append(groups[len(groups)-1], keys[o])
			} else {
				groups = append(groups, []string{keys[o]})
			}
		}
		return Choice{Groups: groups}
	}
	pool := make([]Choice, profiles)
	for i := range pool {
		pool[i] = randomRanking(1 + rng.IntN(n))
	}
	zipf := rand.NewZipf(rng, 1.1, 1, profiles-1)
	c := counting{ballot: b, keys: map[string]int{}, tieRank: make([]int, n), quorumMet: true}
	for i, k := range keys {
		c.keys[k], c.tieRank[i] = i, i
	}
	c.ballots = make([]weighted, ballots)
	for i := range c.ballots {
		ch := pool[zipf.Uint64()]
		if distinct {
			ch = randomRanking(5)
		}
		c.ballots[i] = weighted{choice: ch, weight: 1 + rng.Int64N(4)}
	}
	return c
}

func BenchmarkSchulze(b *testing.B) {
	for _, distinct := range []bool{false, true} {
		name := map[bool]string{false: "profiles", true: "distinct-top5"}[distinct]
		b.Run(name, func(b *testing.B) {
			c := benchSchulze(distinct)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				var r Result
				countSchulze(c, &r)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(c.ballots)), "ns/ballot")
		})
	}
}
