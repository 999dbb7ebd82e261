package tally

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

var seed = flag.Uint64("seed", 1, "seed of the property tests")

// propertyMethods are the methods the property tests draw from (stv is
// counted by package stv and tested there).
var propertyMethods = []string{"majority", "plurality", "approval", "irv", "schulze", "budget"}

// randomInput draws a valid input: weights 1–5, about 60 % of voters with
// one to three ranked delegates (some outside the electorate, so dead
// ends, chains and cycles all occur), about 30 % casting voters.
func randomInput(rng *rand.Rand, method string, singleDelegate bool) Input {
	b := newBallot(method)
	keys := []string{"yes", "no", "abstain"}
	if method != "majority" {
		keys = keys[:0]
		for i := range 2 + rng.IntN(5) {
			keys = append(keys, fmt.Sprintf("o%d", i))
		}
	}
	b.Options = options(keys...)
	if method == "budget" {
		randomBudget(rng, &b)
	}
	if method == "plurality" || method == "approval" || method == "schulze" {
		b.Seats = 1 + rng.IntN(len(keys))
	}
	b.Strict = rng.IntN(2) == 0
	n := 1 + rng.IntN(60)
	in := Input{Ballot: b, Tiebreak: slices.Clone(keys)}
	rng.Shuffle(len(in.Tiebreak), func(i, j int) { in.Tiebreak[i], in.Tiebreak[j] = in.Tiebreak[j], in.Tiebreak[i] })
	for i := range n {
		e := entry(fmt.Sprintf("v%03d", i), 1+rng.Int64N(5))
		if rng.IntN(10) < 6 {
			k := 1 + rng.IntN(3)
			if singleDelegate {
				k = 1
			}
			for range k {
				d := fmt.Sprintf("v%03d", rng.IntN(n+3)) // v(n)… are outsiders
				if d != e.Voter && !slices.Contains(e.Delegates, d) {
					e.Delegates = append(e.Delegates, d)
				}
			}
		}
		in.Electorate = append(in.Electorate, e)
		if rng.IntN(10) < 3 {
			in.Votes = append(in.Votes, Vote{Voter: e.Voter, Choice: randomChoice(rng, method, keys)})
		}
	}
	return in
}

func randomChoice(rng *rand.Rand, method string, keys []string) Choice {
	perm := slices.Clone(keys)
	rng.Shuffle(len(perm), func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
	switch method {
	case "majority", "plurality":
		return Choice{Word: perm[0]}
	case "schulze":
		groups := [][]string{}
		for _, k := range perm[:rng.IntN(len(perm)+1)] {
			if len(groups) > 0 && rng.IntN(3) == 0 {
				groups[len(groups)-1] = append(groups[len(groups)-1], k)
			} else {
				groups = append(groups, []string{k})
			}
		}
		return Choice{Groups: groups}
	}
	return Choice{Keys: perm[:rng.IntN(len(perm)+1)]}
}

func mustCount(t *testing.T, in Input) Result {
	t.Helper()
	res, err := Count(in)
	if err != nil {
		t.Fatalf("Count: %v", err)
	}
	return res
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestPropertyWeightConservation(t *testing.T) {
	t.Logf("seed %d", *seed)
	rng := rand.New(rand.NewPCG(*seed, 1))
	for i := range 300 {
		in := randomInput(rng, propertyMethods[i%len(propertyMethods)], false)
		res := mustCount(t, in)
		w := res.Weights
		if w.Eligible != w.Participating+w.Lost+w.Absent || w.Participating != w.Direct+w.Delegated {
			t.Fatalf("case %d: weights do not add up: %+v", i, w)
		}
		var carried, direct int64
		for _, c := range res.Carriers {
			carried += c.Weight
			w.MaxWeight = max(w.MaxWeight, c.Weight)
		}
		for _, e := range in.Electorate {
			for _, v := range in.Votes {
				if v.Voter == e.Voter {
					direct += e.Weight
				}
			}
		}
		if carried != w.Participating || direct != w.Direct || w != res.Weights {
			t.Fatalf("case %d: carriers hold %d, direct %d, weights %+v", i, carried, direct, res.Weights)
		}
	}
}

// naiveResolve computes distances and carriers by iterating tally.md §3's
// definition to a fixed point, as a reference for Resolve.
func naiveResolve(in Input) map[string][2]string {
	inElectorate := map[string]bool{}
	for _, e := range in.Electorate {
		inElectorate[e.Voter] = true
	}
	dist := map[string]int{}
	via := map[string]string{}
	for _, v := range in.Votes {
		dist[v.Voter] = 0
	}
	for changed := true; changed; {
		changed = false
		for _, e := range in.Electorate {
			if d, ok := dist[e.Voter]; ok && d == 0 {
				continue
			}
			best, carrier := -1, ""
			for _, d := range e.Delegates {
				if dd, ok := dist[d]; ok && inElectorate[d] && (best < 0 || dd < best) {
					best, carrier = dd, d
				}
			}
			if old, ok := dist[e.Voter]; best >= 0 && (!ok || old != best+1 || via[e.Voter] != carrier) {
				dist[e.Voter], via[e.Voter], changed = best+1, carrier, true
			}
		}
	}
	out := map[string][2]string{}
	for v, d := range dist {
		out[v] = [2]string{fmt.Sprint(d), via[v]}
	}
	return out
}

func TestPropertyResolveMatchesDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(*seed, 2))
	for i := range 300 {
		in := randomInput(rng, "plurality", false)
		res := Resolve(in.Electorate, in.Votes)
		got := map[string][2]string{}
		for i := range res.Len() {
			r := res.Row(i)
			switch r.State {
			case StateCast:
				got[r.Voter] = [2]string{"0", ""}
			case StateDelegated:
				got[r.Voter] = [2]string{fmt.Sprint(r.Hops), r.Via}
			}
		}
		if want := naiveResolve(in); !reflect.DeepEqual(got, want) {
			t.Fatalf("case %d: Resolve disagrees with the definition\nwant %v\ngot  %v\ninput %+v", i, want, got, in.Electorate)
		}
	}
}

func TestPropertyShuffledInputSameResult(t *testing.T) {
	rng := rand.New(rand.NewPCG(*seed, 3))
	for i := range 300 {
		in := randomInput(rng, propertyMethods[i%len(propertyMethods)], false)
		want := mustJSON(t, mustCount(t, in))
		rng.Shuffle(len(in.Electorate), func(a, b int) { in.Electorate[a], in.Electorate[b] = in.Electorate[b], in.Electorate[a] })
		rng.Shuffle(len(in.Votes), func(a, b int) { in.Votes[a], in.Votes[b] = in.Votes[b], in.Votes[a] })
		if got := mustJSON(t, mustCount(t, in)); got != want {
			t.Fatalf("case %d: shuffling changed the result\nwant %s\ngot  %s", i, want, got)
		}
	}
}

func TestPropertyRemovingLostVoterChangesNothing(t *testing.T) {
	rng := rand.New(rand.NewPCG(*seed, 4))
	checked := 0
	for i := range 300 {
		in := randomInput(rng, propertyMethods[i%len(propertyMethods)], false)
		res := mustCount(t, in)
		var lost []ResolutionRow
		for _, r := range res.Resolution {
			if r.State == StateLost {
				lost = append(lost, r)
			}
		}
		if len(lost) == 0 {
			continue
		}
		x := lost[rng.IntN(len(lost))].Voter
		j := slices.IndexFunc(in.Electorate, func(e Entry) bool { return e.Voter == x })
		wx := in.Electorate[j].Weight
		in.Electorate = slices.Delete(slices.Clone(in.Electorate), j, j+1)
		after := mustCount(t, in)
		after.Weights.Eligible += wx
		after.Weights.Lost += wx
		res.Resolution = slices.DeleteFunc(res.Resolution, func(r ResolutionRow) bool { return r.Voter == x })
		if got, want := mustJSON(t, after), mustJSON(t, res); got != want {
			t.Fatalf("case %d: removing lost voter %s changed the result\nwant %s\ngot  %s", i, x, want, got)
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no case had a lost voter")
	}
}

// TestPropertyDirectVoteOverrides gives a delegated voter a vote of its own:
// it becomes a casting voter, and with single-delegate lists exactly the
// weight that flowed through it moves from its old root to it.
func TestPropertyDirectVoteOverrides(t *testing.T) {
	rng := rand.New(rand.NewPCG(*seed, 5))
	checked := 0
	for i := range 400 {
		single := i%2 == 0
		in := randomInput(rng, "plurality", single)
		before := Resolve(in.Electorate, in.Votes)
		var delegated []Resolved
		for i := range before.Len() {
			if r := before.Row(i); r.State == StateDelegated {
				delegated = append(delegated, r)
			}
		}
		if len(delegated) == 0 {
			continue
		}
		v := delegated[rng.IntN(len(delegated))]
		in.Votes = append(in.Votes, Vote{Voter: v.Voter, Choice: Choice{Word: in.Ballot.Options[0].Key}})
		after := Resolve(in.Electorate, in.Votes)
		now, _ := after.Lookup(v.Voter)
		if now.State != StateCast {
			t.Fatalf("case %d: %s voted but is %s", i, v.Voter, now.State)
		}
		if before.Weights.Participating != after.Weights.Participating {
			t.Fatalf("case %d: participation changed from %d to %d", i, before.Weights.Participating, after.Weights.Participating)
		}
		if !single {
			checked++
			continue
		}
		var through int64 // weight whose chain passed through v
		for i := range before.Len() {
			r := before.Row(i)
			if slices.Contains(before.Chain(r.Voter), v.Voter) {
				e := in.Electorate[slices.IndexFunc(in.Electorate, func(e Entry) bool { return e.Voter == r.Voter })]
				through += e.Weight
			}
		}
		for i := range after.Len() {
			r := after.Row(i)
			old, _ := before.Lookup(r.Voter)
			want := old.Weight
			switch r.Voter {
			case v.Voter:
				want = through
			case v.To:
				want -= through
			}
			if r.Weight != want {
				t.Fatalf("case %d: after %s voted, %s carries %d, want %d", i, v.Voter, r.Voter, r.Weight, want)
			}
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no case had a delegated voter")
	}
}
