package stv_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"koinon/internal/tally/stv"
)

func TestMeek(t *testing.T) {
	tests := []struct {
		name     string
		e        stv.Election
		winners  []int
		rounds   int
		defeated [][]int
	}{
		{
			name: "as many hopefuls as seats: all elected in one reported round, highest vote first",
			e: stv.Election{Candidates: 2, Seats: 2, Ballots: []stv.Ballot{
				{Weight: 1, Ranking: []int{0}}, {Weight: 3, Ranking: []int{1}},
			}},
			winners: []int{1, 0}, rounds: 1, defeated: [][]int{nil},
		},
		{
			name: "tie for last is broken by TieOrder: the latest is defeated",
			e: stv.Election{Candidates: 3, Seats: 1, TieOrder: []int{2, 0, 1}, Ballots: []stv.Ballot{
				{Weight: 2, Ranking: []int{0}}, {Weight: 2, Ranking: []int{1}}, {Weight: 3, Ranking: []int{2}},
			}},
			winners: []int{2}, rounds: 2, defeated: [][]int{{1}, {0}},
		},
		{
			name: "withdrawn candidate is skipped and never elected",
			e: stv.Election{Candidates: 3, Seats: 1, Withdrawn: []int{0}, Ballots: []stv.Ballot{
				{Weight: 5, Ranking: []int{0, 2}}, {Weight: 4, Ranking: []int{1}},
			}},
			winners: []int{2}, rounds: 1, defeated: [][]int{{1}},
		},
		{
			name:    "no ballots: ties all the way, decided by TieOrder",
			e:       stv.Election{Candidates: 3, Seats: 1, TieOrder: []int{1, 2, 0}},
			winners: []int{1}, rounds: 2, defeated: [][]int{{0}, {2}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := stv.Meek(tc.e)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(res.Winners, tc.winners) || len(res.Rounds) != tc.rounds {
				t.Fatalf("want winners %v in %d rounds, got %v in %d", tc.winners, tc.rounds, res.Winners, len(res.Rounds))
			}
			for i, r := range res.Rounds {
				if !slices.Equal(r.Defeated, tc.defeated[i]) {
					t.Errorf("round %d defeated: want %v, got %v", i+1, tc.defeated[i], r.Defeated)
				}
			}
		})
	}
}

func TestMeekReportsFixedPoint(t *testing.T) {
	// Droop's castor-pollux-helen-42: keep values rounded up leave Pollux at
	// 1.999999996, just below Helen.
	e := stv.Election{Candidates: 3, Seats: 2, TieOrder: []int{2, 1, 0}, Ballots: []stv.Ballot{
		{Weight: 4, Ranking: []int{0, 1}}, {Weight: 2, Ranking: []int{2}},
	}}
	res, err := stv.Meek(e)
	if err != nil {
		t.Fatal(err)
	}
	want := stv.Round{
		Quota: "2.000000001", Exhausted: "0.000000000",
		Votes:    []string{"2.000000004", "1.999999996", "2.000000000"},
		Keep:     []string{"0.500000001", "1.000000000", "1.000000000"},
		States:   []string{"elected", "defeated", "elected"},
		Elected:  []int{2},
		Defeated: []int{1},
		Action:   "count", Subject: -1, Surplus: "0.000000003", Iterations: 2,
	}
	if got := res.Rounds[1]; !reflect.DeepEqual(got, want) {
		t.Errorf("round 2 mismatch\nwant %+v\n got %+v", want, got)
	}
}

func TestScottish(t *testing.T) {
	// 10 ballots, 2 seats: quota ⌊10/3⌋+1 = 4. A has 6 (surplus 2, value
	// 2/6 = 0.33333 per paper), B 1, C 2, D 1.
	e := stv.Election{Candidates: 4, Seats: 2, Ballots: []stv.Ballot{
		{Weight: 3, Ranking: []int{0, 1}},
		{Weight: 3, Ranking: []int{0}},
		{Weight: 1, Ranking: []int{1}},
		{Weight: 2, Ranking: []int{2, 3}},
		{Weight: 1, Ranking: []int{3, 2}},
		{Weight: 1, Ranking: []int{}},
	}}
	res, err := stv.Scottish(e)
	if err != nil {
		t.Fatal(err)
	}
	type stage struct {
		action    string
		subject   int
		votes     string
		exhausted string
		lost      string
		elected   []int
		defeated  []int
	}
	want := []stage{
		{"first", -1, "6.00000 1.00000 2.00000 1.00000", "0.00000", "0.00000", []int{0}, nil},
		// 3 papers to B at 0.33333, 3 exhausted at 0.33333; 0.00002 lost.
		{"surplus", 0, "4.00000 1.99999 2.00000 1.00000", "0.99999", "0.00002", nil, nil},
		// No surplus left: D, the lowest, is excluded; its paper goes to C.
		{"exclusion", 3, "4.00000 1.99999 3.00000 0.00000", "0.99999", "0.00002", nil, []int{3}},
		// B and C for one seat: B, the lowest, is excluded and its papers
		// exhaust; C is then the only hopeful for the last seat (rule 52).
		{"exclusion", 1, "4.00000 0.00000 3.00000 0.00000", "2.99998", "0.00002", []int{2}, []int{1}},
	}
	if len(res.Rounds) != len(want) {
		t.Fatalf("want %d stages, got %d: %+v", len(want), len(res.Rounds), res.Rounds)
	}
	for i, w := range want {
		r := res.Rounds[i]
		got := stage{r.Action, r.Subject, strings.Join(r.Votes, " "), r.Exhausted, r.Lost, r.Elected, r.Defeated}
		if !reflect.DeepEqual(got, w) {
			t.Errorf("stage %d mismatch\nwant %+v\n got %+v", i+1, w, got)
		}
		if r.Quota != "4.00000" {
			t.Errorf("stage %d quota %s, want 4.00000", i+1, r.Quota)
		}
	}
	if !slices.Equal(res.Winners, []int{0, 2}) {
		t.Errorf("winners: want [0 2], got %v", res.Winners)
	}
}

func TestInvalid(t *testing.T) {
	tests := []struct {
		name string
		e    stv.Election
	}{
		{"no seats", stv.Election{Candidates: 2}},
		{"candidate ranked twice", stv.Election{Candidates: 2, Seats: 1, Ballots: []stv.Ballot{{Weight: 1, Ranking: []int{0, 0}}}}},
		{"candidate out of range", stv.Election{Candidates: 2, Seats: 1, Ballots: []stv.Ballot{{Weight: 1, Ranking: []int{2}}}}},
		{"negative weight", stv.Election{Candidates: 2, Seats: 1, Ballots: []stv.Ballot{{Weight: -1, Ranking: []int{1}}}}},
		{"tie order not a permutation", stv.Election{Candidates: 2, Seats: 1, TieOrder: []int{0, 0}}},
		{"total weight too large", stv.Election{Candidates: 2, Seats: 1, Ballots: []stv.Ballot{{Weight: stv.MaxTotalWeight + 1, Ranking: []int{1}}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for rule, count := range map[string]func(stv.Election) (stv.Result, error){"meek": stv.Meek, "scottish": stv.Scottish} {
				if _, err := count(tc.e); !errors.Is(err, stv.ErrInvalid) {
					t.Errorf("%s: want ErrInvalid, got %v", rule, err)
				}
			}
		})
	}
}

// randomElection draws a small election with partial rankings.
func randomElection(rng *rand.Rand) stv.Election {
	n := 2 + rng.IntN(6)
	e := stv.Election{Candidates: n, Seats: 1 + rng.IntN(n), TieOrder: rng.Perm(n)}
	for range 1 + rng.IntN(40) {
		r := rng.Perm(n)[:rng.IntN(n+1)]
		e.Ballots = append(e.Ballots, stv.Ballot{Weight: 1 + rng.Int64N(5), Ranking: r})
	}
	return e
}

// units reads a decimal string as an integer of its smallest unit.
func units(t *testing.T, s string) int64 {
	v, err := strconv.ParseInt(strings.Replace(s, ".", "", 1), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Every round accounts for every counted ballot: Σ votes + exhausted
// (+ lost, scottish) = weight of the non-empty rankings, exactly.
func TestPropertyVotesAddUp(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	for i := range 500 {
		e := randomElection(rng)
		var valid int64
		for _, b := range e.Ballots {
			if len(b.Ranking) > 0 {
				valid += b.Weight
			}
		}
		for rule, count := range map[string]func(stv.Election) (stv.Result, error){"meek": stv.Meek, "scottish": stv.Scottish} {
			res, err := count(e)
			if err != nil {
				t.Fatal(err)
			}
			one := int64(1_000_000_000)
			if rule == "scottish" {
				one = 100_000
			}
			for ri, r := range res.Rounds {
				sum := units(t, r.Exhausted)
				if r.Lost != "" {
					sum += units(t, r.Lost)
				}
				for _, v := range r.Votes {
					sum += units(t, v)
				}
				if sum != valid*one {
					t.Fatalf("election %d %s round %d: votes+exhausted = %d units, want %d (%+v)", i, rule, ri+1, sum, valid*one, e)
				}
			}
			if len(res.Winners) != min(e.Seats, e.Candidates) {
				t.Fatalf("election %d %s: %d winners for %d seats", i, rule, len(res.Winners), e.Seats)
			}
		}
	}
}

// The order of ballots, and grouping identical rankings, never change the
// result.
func TestPropertyBallotOrder(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	for i := range 300 {
		e := randomElection(rng)
		split := e
		split.Ballots = nil
		for _, b := range e.Ballots {
			for range b.Weight {
				split.Ballots = append(split.Ballots, stv.Ballot{Weight: 1, Ranking: b.Ranking})
			}
		}
		rng.Shuffle(len(split.Ballots), func(a, b int) { split.Ballots[a], split.Ballots[b] = split.Ballots[b], split.Ballots[a] })
		for rule, count := range map[string]func(stv.Election) (stv.Result, error){"meek": stv.Meek, "scottish": stv.Scottish} {
			a, err1 := count(e)
			b, err2 := count(split)
			if err1 != nil || err2 != nil || !reflect.DeepEqual(a, b) {
				t.Fatalf("election %d %s: result depends on ballot order (%v %v)\n%+v\n%+v", i, rule, err1, err2, a, b)
			}
		}
	}
}

// irvWinner is a plain IRV count (tally.md §4.4) that reports whether a tie
// for last place ever had to be broken.
func irvWinner(e stv.Election) (winner int, tie bool) {
	out := make([]bool, e.Candidates)
	for left := e.Candidates; ; left-- {
		tot := make([]int64, e.Candidates)
		var sum int64
		for _, b := range e.Ballots {
			for _, c := range b.Ranking {
				if !out[c] {
					tot[c] += b.Weight
					sum += b.Weight
					break
				}
			}
		}
		lead, low := -1, -1
		for c := range e.Candidates {
			if out[c] {
				continue
			}
			if lead < 0 || tot[c] > tot[lead] {
				lead = c
			}
			if low < 0 || tot[c] < tot[low] {
				low = c
			}
		}
		if tot[lead]*2 > sum || left == 1 {
			return lead, false
		}
		for c := range e.Candidates {
			if !out[c] && c != low && tot[c] == tot[low] {
				return -1, true
			}
		}
		out[low] = true
	}
}

// With one seat and no tie deciding, Meek is IRV.
func TestPropertyMeekOneSeatIsIRV(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	checked := 0
	for i := range 1000 {
		e := randomElection(rng)
		e.Seats = 1
		want, tie := irvWinner(e)
		if tie {
			continue
		}
		checked++
		res, err := stv.Meek(e)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(res.Winners, []int{want}) {
			t.Fatalf("election %d: IRV elects %d, Meek %v (%+v)", i, want, res.Winners, e)
		}
	}
	if checked < 300 {
		t.Fatalf("only %d elections without ties", checked)
	}
}

// benchElection draws 500,000 ballots over 20 candidates: popularity
// decreasing with the index, rankings of 1 to 15 names (middle lengths
// most likely), so that most rankings are distinct.
func benchElection() stv.Election {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 20
	e := stv.Election{Candidates: n, Seats: 7}
	weight := make([]float64, n)
	for c := range weight {
		weight[c] = 1 / float64(c+3)
	}
	for range 500_000 {
		l := 1 + min(rng.IntN(8)+rng.IntN(8), n-1)
		r := make([]int, 0, l)
		used := make([]bool, n)
		for len(r) < l {
			var total float64
			for c := range n {
				if !used[c] {
					total += weight[c]
				}
			}
			x := rng.Float64() * total
			for c := range n {
				if used[c] {
					continue
				}
				if x -= weight[c]; x < 0 || c == n-1 {
					used[c] = true
					r = append(r, c)
					break
				}
			}
		}
		e.Ballots = append(e.Ballots, stv.Ballot{Weight: 1, Ranking: r})
	}
	return e
}

func BenchmarkMeek500k(b *testing.B) {
	e := benchElection()
	distinct := map[string]bool{}
	for _, bl := range e.Ballots {
		distinct[fmt.Sprint(bl.Ranking)] = true
	}
	var rounds int
	for b.Loop() {
		res, err := stv.Meek(e)
		if err != nil {
			b.Fatal(err)
		}
		rounds = len(res.Rounds)
	}
	b.ReportMetric(float64(len(distinct)), "distinct")
	b.ReportMetric(float64(rounds), "rounds")
}
