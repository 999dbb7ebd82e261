package tally

import (
	"reflect"
	"testing"

	"koinon/internal/tally/stv"
)

// outcome is the part of a result the method tests compare.
type outcome struct {
	QuorumMet bool
	Winners   []string
	Totals    map[string]int64
	Passed    *bool
}

func ptr[T any](v T) *T { return &v }

// voters returns an electorate of weight-1 voters without delegates.
func voters(names ...string) []Entry {
	out := make([]Entry, len(names))
	for i, n := range names {
		out[i] = entry(n, 1)
	}
	return out
}

func majorityInput(threshold, quorum Rational, strict bool, electorate []Entry, votes ...Vote) Input {
	b := newBallot("majority")
	b.Options, b.Threshold, b.Quorum, b.Strict = options("yes", "no", "abstain"), threshold, quorum, strict
	return Input{Ballot: b, Electorate: electorate, Votes: votes, Tiebreak: []string{"yes", "no", "abstain"}}
}

func TestCountMajority(t *testing.T) {
	half, none := Rational{1, 2}, Rational{0, 1}
	tests := []struct {
		name string
		in   Input
		want outcome
	}{
		{
			name: "abstentions count toward the quorum only",
			in:   majorityInput(half, half, true, voters("a", "b", "c", "d"), word("a", "yes"), word("b", "abstain"), word("c", "abstain")),
			want: outcome{true, []string{"yes"}, map[string]int64{"yes": 1, "no": 0, "abstain": 2}, ptr(true)},
		},
		{
			name: "strict majority fails on an exact half",
			in:   majorityInput(half, none, true, voters("a", "b"), word("a", "yes"), word("b", "no")),
			want: outcome{true, nil, map[string]int64{"yes": 1, "no": 1, "abstain": 0}, ptr(false)},
		},
		{
			name: "non-strict majority passes on an exact half",
			in:   majorityInput(half, none, false, voters("a", "b"), word("a", "yes"), word("b", "no")),
			want: outcome{true, []string{"yes"}, map[string]int64{"yes": 1, "no": 1, "abstain": 0}, ptr(true)},
		},
		{
			name: "two-thirds threshold needs more than two thirds",
			in:   majorityInput(Rational{2, 3}, none, true, voters("a", "b", "c"), word("a", "yes"), word("b", "yes"), word("c", "no")),
			want: outcome{true, nil, map[string]int64{"yes": 2, "no": 1, "abstain": 0}, ptr(false)},
		},
		{
			name: "only abstentions: not passed",
			in:   majorityInput(half, none, false, voters("a"), word("a", "abstain")),
			want: outcome{true, nil, map[string]int64{"yes": 0, "no": 0, "abstain": 1}, ptr(false)},
		},
		{
			name: "quorum just met (participating × d = n × eligible)",
			in:   majorityInput(half, Rational{1, 3}, true, voters("a", "b", "c"), word("a", "yes")),
			want: outcome{true, []string{"yes"}, map[string]int64{"yes": 1, "no": 0, "abstain": 0}, ptr(true)},
		},
		{
			name: "quorum just missed: totals kept, not passed",
			in:   majorityInput(half, Rational{1, 3}, true, voters("a", "b", "c", "d"), word("a", "yes")),
			want: outcome{false, nil, map[string]int64{"yes": 1, "no": 0, "abstain": 0}, ptr(false)},
		},
		{
			name: "delegated weight counts with the carrier",
			in: majorityInput(half, none, true, []Entry{entry("a", 1), entry("b", 1), entry("c", 3, "b")},
				word("a", "yes"), word("b", "no")),
			want: outcome{true, nil, map[string]int64{"yes": 1, "no": 4, "abstain": 0}, ptr(false)},
		},
		{
			name: "no votes: not passed",
			in:   majorityInput(half, none, true, voters("a")),
			want: outcome{true, nil, map[string]int64{"yes": 0, "no": 0, "abstain": 0}, ptr(false)},
		},
	}
	runOutcomes(t, tests)
}

func runOutcomes(t *testing.T, tests []struct {
	name string
	in   Input
	want outcome
}) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Count(tc.in)
			if err != nil {
				t.Fatalf("Count: %v", err)
			}
			got := outcome{res.QuorumMet, res.Winners, res.Totals, res.Passed}
			tc.want.Winners = nonNil(tc.want.Winners)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Count() mismatch\nwant %s\ngot  %s", show(tc.want), show(got))
			}
			assertRoundTrip(t, res)
		})
	}
}

func show(o outcome) string {
	p := "<nil>"
	if o.Passed != nil {
		p = map[bool]string{true: "true", false: "false"}[*o.Passed]
	}
	return "quorum_met=" + map[bool]string{true: "true", false: "false"}[o.QuorumMet] +
		" winners=" + stringList(o.Winners) + " passed=" + p + " totals=" + stringMap(o.Totals)
}

func stringList(s []string) string        { b, _ := jsonText(s); return b }
func stringMap(m map[string]int64) string { b, _ := jsonText(m); return b }

func simpleInput(method string, seats int, keys []string, tiebreak []string, electorate []Entry, votes ...Vote) Input {
	b := newBallot(method)
	b.Options, b.Seats = options(keys...), seats
	return Input{Ballot: b, Electorate: electorate, Votes: votes, Tiebreak: tiebreak}
}

func TestCountPluralityApproval(t *testing.T) {
	abc := []string{"a", "b", "c"}
	tests := []struct {
		name string
		in   Input
		want outcome
	}{
		{
			name: "the highest total wins",
			in:   simpleInput("plurality", 1, abc, abc, voters("x", "y", "z"), word("x", "b"), word("y", "b"), word("z", "a")),
			want: outcome{true, []string{"b"}, map[string]int64{"a": 1, "b": 2, "c": 0}, nil},
		},
		{
			name: "a tie for a seat goes to the earlier in tie-break order",
			in:   simpleInput("plurality", 1, abc, []string{"c", "b", "a"}, voters("x", "y"), word("x", "a"), word("y", "b")),
			want: outcome{true, []string{"b"}, map[string]int64{"a": 1, "b": 1, "c": 0}, nil},
		},
		{
			name: "seats are filled by total, then tiebreak, even at zero (tally.md §4.2)",
			in:   simpleInput("plurality", 2, abc, abc, voters("x"), word("x", "c")),
			want: outcome{true, []string{"c", "a"}, map[string]int64{"a": 0, "b": 0, "c": 1}, nil},
		},
		{
			name: "no votes: no winners",
			in:   simpleInput("plurality", 1, abc, abc, voters("x")),
			want: outcome{true, nil, map[string]int64{"a": 0, "b": 0, "c": 0}, nil},
		},
		{
			name: "one option with a vote wins",
			in:   simpleInput("plurality", 1, []string{"a"}, []string{"a"}, voters("x"), word("x", "a")),
			want: outcome{true, []string{"a"}, map[string]int64{"a": 1}, nil},
		},
		{
			name: "quorum missed: totals kept, no winners",
			in: func() Input {
				in := simpleInput("plurality", 1, abc, abc, voters("x", "y", "z"), word("x", "a"))
				in.Ballot.Quorum = Rational{1, 2}
				return in
			}(),
			want: outcome{false, nil, map[string]int64{"a": 1, "b": 0, "c": 0}, nil},
		},
		{
			name: "approval: seats filled by total, ties by tie-break order",
			in: simpleInput("approval", 2, abc, []string{"c", "a", "b"}, voters("x", "y", "z"),
				keysVote("x", "a", "b"), keysVote("y", "b", "c"), keysVote("z", "b")),
			want: outcome{true, []string{"b", "c"}, map[string]int64{"a": 1, "b": 3, "c": 1}, nil},
		},
		{
			name: "approval: an empty list participates and approves nothing",
			in:   simpleInput("approval", 1, abc, abc, voters("x", "y"), keysVote("x"), keysVote("y", "c")),
			want: outcome{true, []string{"c"}, map[string]int64{"a": 0, "b": 0, "c": 1}, nil},
		},
		{
			name: "approval: only empty lists still fill the seat by tiebreak (votes exist)",
			in:   simpleInput("approval", 1, abc, abc, voters("x"), keysVote("x")),
			want: outcome{true, []string{"a"}, map[string]int64{"a": 0, "b": 0, "c": 0}, nil},
		},
	}
	runOutcomes(t, tests)
}

// round is an IRV round written compactly for tests.
type round struct {
	totals     map[string]int64
	exhausted  int64
	eliminated string
	elected    string
}

func TestCountIRV(t *testing.T) {
	abcd := []string{"a", "b", "c", "d"}
	var repeat = func(n int, prefix string, keys ...string) []Vote {
		var out []Vote
		for i := range n {
			out = append(out, keysVote(prefix+string(rune('0'+i)), keys...))
		}
		return out
	}
	history := append(append(append(repeat(5, "a", "a"), repeat(3, "b", "b", "c")...), repeat(4, "c", "c")...), repeat(1, "d", "d", "b")...)
	var names []string
	for _, v := range history {
		names = append(names, v.Voter)
	}
	tests := []struct {
		name    string
		in      Input
		rounds  []round
		winners []string
	}{
		{
			name: "a first-round majority wins at once",
			in:   simpleInput("irv", 1, abcd, abcd, voters("x", "y", "z"), keysVote("x", "a"), keysVote("y", "a", "b"), keysVote("z", "b")),
			rounds: []round{
				{map[string]int64{"a": 2, "b": 1, "c": 0, "d": 0}, 0, "", "a"},
			},
			winners: []string{"a"},
		},
		{
			name: "an elimination tie is broken by the previous round before the tie-break order",
			in:   simpleInput("irv", 1, abcd, abcd, voters(names...), history...),
			rounds: []round{
				{map[string]int64{"a": 5, "b": 3, "c": 4, "d": 1}, 0, "d", ""},
				{map[string]int64{"a": 5, "b": 4, "c": 4}, 0, "b", ""},
				{map[string]int64{"a": 5, "c": 7}, 1, "", "c"},
			},
			winners: []string{"c"},
		},
		{
			name: "a tie in every round goes to the last in tie-break order",
			in:   simpleInput("irv", 1, []string{"a", "b"}, []string{"b", "a"}, voters("x", "y"), keysVote("x", "a"), keysVote("y", "b")),
			rounds: []round{
				{map[string]int64{"a": 1, "b": 1}, 0, "a", ""},
				{map[string]int64{"b": 1}, 1, "", "b"},
			},
			winners: []string{"b"},
		},
		{
			name: "the one option left wins",
			in:   simpleInput("irv", 1, []string{"a"}, []string{"a"}, voters("x", "y"), keysVote("x", "a"), keysVote("y")),
			rounds: []round{
				{map[string]int64{"a": 1}, 1, "", "a"},
			},
			winners: []string{"a"},
		},
		{
			name: "all ballots exhausted: eliminate by tiebreak until one is left, which wins",
			in:   simpleInput("irv", 1, []string{"a", "b"}, []string{"a", "b"}, voters("x"), keysVote("x")),
			rounds: []round{
				{map[string]int64{"a": 0, "b": 0}, 1, "b", ""},
				{map[string]int64{"a": 0}, 1, "", "a"},
			},
			winners: []string{"a"},
		},
		{
			name:   "no votes: no rounds",
			in:     simpleInput("irv", 1, abcd, abcd, voters("x")),
			rounds: []round{},
		},
		{
			name: "quorum missed: rounds kept, no winners",
			in: func() Input {
				in := simpleInput("irv", 1, abcd, abcd, voters("x", "y", "z"), keysVote("x", "a"))
				in.Ballot.Quorum = Rational{1, 2}
				return in
			}(),
			rounds: []round{
				{map[string]int64{"a": 1, "b": 0, "c": 0, "d": 0}, 0, "", "a"},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Count(tc.in)
			if err != nil {
				t.Fatalf("Count: %v", err)
			}
			got := []round{}
			for _, r := range res.IRVRounds {
				got = append(got, round{r.Totals, r.Exhausted, r.Eliminated, r.Elected})
			}
			if !reflect.DeepEqual(got, tc.rounds) {
				t.Errorf("rounds mismatch\nwant %+v\ngot  %+v", tc.rounds, got)
			}
			if !reflect.DeepEqual(res.Winners, nonNil(tc.winners)) {
				t.Errorf("winners = %v, want %v", res.Winners, tc.winners)
			}
			if res.IRVRounds == nil || res.Totals == nil {
				t.Errorf("irv result lacks rounds or totals: %+v", res)
			}
			assertRoundTrip(t, res)
		})
	}
}

func TestCountSchulze(t *testing.T) {
	abc := []string{"a", "b", "c"}
	tests := []struct {
		name     string
		in       Input
		pairwise [][]int64
		ranking  [][]string
		winners  []string
	}{
		{
			name:     "options not listed are tied below every listed one",
			in:       simpleInput("schulze", 1, abc, abc, voters("x"), groupsVote("x", []string{"b"})),
			pairwise: [][]int64{{0, 0, 0}, {1, 0, 1}, {0, 0, 0}},
			ranking:  [][]string{{"b"}, {"a", "c"}},
			winners:  []string{"b"},
		},
		{
			name: "a tie in the Schulze relation is one group ordered by tie-break",
			in: simpleInput("schulze", 1, abc, []string{"c", "b", "a"}, voters("x", "y"),
				groupsVote("x", []string{"a"}, []string{"b"}), groupsVote("y", []string{"b"}, []string{"a"})),
			pairwise: [][]int64{{0, 1, 2}, {1, 0, 2}, {0, 0, 0}},
			ranking:  [][]string{{"b", "a"}, {"c"}},
			winners:  []string{"b"},
		},
		{
			name: "equal ranks inside a group count for neither side",
			in: simpleInput("schulze", 2, abc, abc, voters("x", "y"),
				groupsVote("x", []string{"c", "a"}, []string{"b"}), groupsVote("y", []string{"a"})),
			pairwise: [][]int64{{0, 2, 1}, {0, 0, 0}, {0, 1, 0}},
			ranking:  [][]string{{"a"}, {"c"}, {"b"}},
			winners:  []string{"a", "c"},
		},
		{
			name:     "no votes: every option tied, no winners",
			in:       simpleInput("schulze", 1, abc, []string{"b", "c", "a"}, voters("x")),
			pairwise: [][]int64{{0, 0, 0}, {0, 0, 0}, {0, 0, 0}},
			ranking:  [][]string{{"b", "c", "a"}},
		},
		{
			name: "delegated weight multiplies a ranking",
			in: simpleInput("schulze", 1, abc, abc, []Entry{entry("x", 1), entry("y", 1), entry("z", 5, "y")},
				groupsVote("x", []string{"a"}, []string{"b"}, []string{"c"}), groupsVote("y", []string{"c"}, []string{"b"}, []string{"a"})),
			pairwise: [][]int64{{0, 1, 1}, {6, 0, 1}, {6, 6, 0}},
			ranking:  [][]string{{"c"}, {"b"}, {"a"}},
			winners:  []string{"c"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Count(tc.in)
			if err != nil {
				t.Fatalf("Count: %v", err)
			}
			if !reflect.DeepEqual(res.Pairwise, tc.pairwise) {
				t.Errorf("pairwise = %v, want %v", res.Pairwise, tc.pairwise)
			}
			if !reflect.DeepEqual(res.Ranking, tc.ranking) {
				t.Errorf("ranking = %v, want %v", res.Ranking, tc.ranking)
			}
			if !reflect.DeepEqual(res.Winners, nonNil(tc.winners)) {
				t.Errorf("winners = %v, want %v", res.Winners, tc.winners)
			}
			if res.Totals != nil || res.IRVRounds != nil || res.Passed != nil {
				t.Errorf("schulze result carries fields of other methods: %+v", res)
			}
			assertRoundTrip(t, res)
		})
	}
}

func TestCountSTVWithoutVotes(t *testing.T) {
	in := simpleInput("stv", 2, []string{"a", "b", "c"}, []string{"a", "b", "c"}, voters("x"))
	res, err := Count(in)
	if err != nil {
		t.Fatalf("Count: %v", err)
	}
	if res.STVRounds == nil || len(res.STVRounds) != 0 || len(res.Winners) != 0 {
		t.Errorf("no votes: want empty rounds and no winners, got %+v", res)
	}
	if want := map[string]int64{"a": 0, "b": 0, "c": 0}; !reflect.DeepEqual(res.Totals, want) {
		t.Errorf("totals = %v, want %v", res.Totals, want)
	}
}

func TestCountSTV(t *testing.T) {
	for _, rule := range []string{"meek", "scottish"} {
		t.Run(rule, func(t *testing.T) {
			in := simpleInput("stv", 2, []string{"a", "b", "c"}, []string{"a", "b", "c"}, voters("x", "y", "z", "w"),
				keysVote("x", "a", "b"), keysVote("y", "a", "c"), keysVote("z", "b"), keysVote("w", "c", "b"))
			in.Ballot.STVRule = rule
			in.Electorate[0].Weight = 4
			res, err := Count(in)
			if err != nil {
				t.Fatalf("Count: %v", err)
			}
			if want := map[string]int64{"a": 5, "b": 1, "c": 1}; !reflect.DeepEqual(res.Totals, want) {
				t.Errorf("first preferences = %v, want %v", res.Totals, want)
			}
			if len(res.STVRounds) == 0 || len(res.Winners) != 2 || res.Winners[0] != "a" {
				t.Errorf("want rounds and two winners, a first; got %+v", res)
			}
			for _, r := range res.STVRounds {
				if len(r.Candidates) != 3 || (rule == "meek") != (r.Candidates["a"].Keep != "") {
					t.Errorf("round %+v: want 3 candidates, keep factors for meek only", r)
				}
			}
			assertRoundTrip(t, res)
		})
	}
}

// TestSTVRounds checks the mapping of stv's rounds onto option keys.
func TestSTVRounds(t *testing.T) {
	c := counting{ballot: Ballot{Options: options("x", "y")}}
	got, err := c.stvRounds([]stv.Round{
		{Quota: "1.000000001", Exhausted: "0.000000000", Votes: []string{"2.000000000", "1.000000000"},
			Keep: []string{"1.000000000", "1.000000000"}, States: []string{"elected", "hopeful"},
			Elected: []int{0}, Action: "count", Subject: -1},
		{Quota: "2", Exhausted: "0", Votes: []string{"2", "1"}, States: []string{"elected", "defeated"},
			Defeated: []int{1}, Action: "exclusion", Subject: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []STVRound{
		{Quota: "1.000000001", Exhausted: "0.000000000", Candidates: map[string]STVCandidate{
			"x": {Vote: "2.000000000", Keep: "1.000000000", State: "elected"},
			"y": {Vote: "1.000000000", Keep: "1.000000000", State: "hopeful"}},
			Elected: []string{"x"}, Defeated: []string{}, Action: "count"},
		{Quota: "2", Exhausted: "0", Candidates: map[string]STVCandidate{
			"x": {Vote: "2", State: "elected"}, "y": {Vote: "1", State: "defeated"}},
			Elected: []string{}, Defeated: []string{"y"}, Action: "exclusion", Subject: "y"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("stvRounds mismatch\nwant %+v\ngot  %+v", want, got)
	}
	if _, err := c.stvRounds([]stv.Round{{Votes: []string{"1"}}}); err == nil {
		t.Error("stvRounds accepted a round with the wrong number of candidates")
	}
	res := Result{Winners: []string{"x"}, Totals: map[string]int64{"x": 2, "y": 1}, STVRounds: got}
	assertRoundTrip(t, res)
	data, _ := res.MarshalJSON()
	wantJSON := `{"weights":{"eligible":0,"direct":0,"delegated":0,"participating":0,"lost":0,"absent":0,"max_weight":0},
	"resolution":[],"carriers":[],"quorum_met":false,"totals":{"x":2,"y":1},"winners":["x"],"rounds":[
	{"quota":"1.000000001","exhausted":"0.000000000","candidates":{"x":{"vote":"2.000000000","keep":"1.000000000","state":"elected"},
	 "y":{"vote":"1.000000000","keep":"1.000000000","state":"hopeful"}},"elected":["x"],"defeated":[],"action":"count","subject":null},
	{"quota":"2","exhausted":"0","candidates":{"x":{"vote":"2","state":"elected"},"y":{"vote":"1","state":"defeated"}},
	 "elected":[],"defeated":["y"],"action":"exclusion","subject":"y"}]}`
	if !sameJSON(t, data, []byte(wantJSON)) {
		t.Errorf("stv result JSON\nwant %s\ngot  %s", compact(t, []byte(wantJSON)), data)
	}
}
