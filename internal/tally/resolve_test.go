package tally

import (
	"reflect"
	"testing"
)

func TestResolve(t *testing.T) {
	type row struct {
		voter, state, via, to string
		hops                  int
		weight                int64
	}
	tests := []struct {
		name       string
		electorate []Entry
		votes      []string
		want       []row // every entry, in electorate order
		weights    Weights
	}{
		{
			name:       "a chain is followed until someone voted",
			electorate: []Entry{entry("a", 1, "b"), entry("b", 1, "c"), entry("c", 1)},
			votes:      []string{"c"},
			want:       []row{{"a", "delegated", "b", "c", 2, 0}, {"b", "delegated", "c", "c", 1, 0}, {"c", "cast", "", "", 0, 3}},
			weights:    Weights{Eligible: 3, Direct: 1, Delegated: 2, Participating: 3, MaxWeight: 3},
		},
		{
			name:       "a direct vote overrides delegation",
			electorate: []Entry{entry("a", 1, "b"), entry("b", 2, "a")},
			votes:      []string{"a", "b"},
			want:       []row{{"a", "cast", "", "", 0, 1}, {"b", "cast", "", "", 0, 2}},
			weights:    Weights{Eligible: 3, Direct: 3, Participating: 3, MaxWeight: 2},
		},
		{
			name:       "a cycle without a voter loses its weight",
			electorate: []Entry{entry("a", 2, "b"), entry("b", 1, "a"), entry("c", 1)},
			votes:      []string{"c"},
			want:       []row{{"a", "lost", "", "", 0, 0}, {"b", "lost", "", "", 0, 0}, {"c", "cast", "", "", 0, 1}},
			weights:    Weights{Eligible: 4, Direct: 1, Participating: 1, Lost: 3, MaxWeight: 1},
		},
		{
			name:       "a backup delegate breaks a cycle",
			electorate: []Entry{entry("erin", 1, "frank", "carol"), entry("frank", 1, "erin"), entry("carol", 1)},
			votes:      []string{"carol"},
			want:       []row{{"erin", "delegated", "carol", "carol", 1, 0}, {"frank", "delegated", "erin", "carol", 2, 0}, {"carol", "cast", "", "", 0, 3}},
			weights:    Weights{Eligible: 3, Direct: 1, Delegated: 2, Participating: 3, MaxWeight: 3},
		},
		{
			name:       "delegates outside the electorate are ignored",
			electorate: []Entry{entry("a", 1, "zed", "c"), entry("b", 1, "zed"), entry("c", 1)},
			votes:      []string{"c"},
			want:       []row{{"a", "delegated", "c", "c", 1, 0}, {"b", "lost", "", "", 0, 0}, {"c", "cast", "", "", 0, 2}},
			weights:    Weights{Eligible: 3, Direct: 1, Delegated: 1, Participating: 2, Lost: 1, MaxWeight: 2},
		},
		{
			name:       "the shortest chain wins over list order",
			electorate: []Entry{entry("x", 1, "a", "c"), entry("a", 1, "b"), entry("b", 1, "c"), entry("c", 1)},
			votes:      []string{"c"},
			want: []row{{"x", "delegated", "c", "c", 1, 0}, {"a", "delegated", "b", "c", 2, 0},
				{"b", "delegated", "c", "c", 1, 0}, {"c", "cast", "", "", 0, 4}},
			weights: Weights{Eligible: 4, Direct: 1, Delegated: 3, Participating: 4, MaxWeight: 4},
		},
		{
			name:       "the earliest delegate in the list wins a tie of distance",
			electorate: []Entry{entry("x", 1, "b", "a"), entry("a", 1), entry("b", 1)},
			votes:      []string{"a", "b"},
			want:       []row{{"x", "delegated", "b", "b", 1, 0}, {"a", "cast", "", "", 0, 1}, {"b", "cast", "", "", 0, 2}},
			weights:    Weights{Eligible: 3, Direct: 2, Delegated: 1, Participating: 3, MaxWeight: 2},
		},
		{
			// BFS discovers x through q (rooted at the first vote) before p,
			// but x lists p first and both are at distance 1.
			name: "list order, not discovery order, breaks a tie of distance",
			electorate: []Entry{entry("x", 1, "p", "q"), entry("p", 1, "c2"), entry("q", 1, "c1"),
				entry("c1", 1), entry("c2", 1)},
			votes: []string{"c1", "c2"},
			want: []row{{"x", "delegated", "p", "c2", 2, 0}, {"p", "delegated", "c2", "c2", 1, 0},
				{"q", "delegated", "c1", "c1", 1, 0}, {"c1", "cast", "", "", 0, 2}, {"c2", "cast", "", "", 0, 3}},
			weights: Weights{Eligible: 5, Direct: 2, Delegated: 3, Participating: 5, MaxWeight: 3},
		},
		{
			name:       "a lost first delegate falls back to a later one",
			electorate: []Entry{entry("x", 1, "l", "c"), entry("l", 1, "m"), entry("m", 1, "l"), entry("c", 1)},
			votes:      []string{"c"},
			want: []row{{"x", "delegated", "c", "c", 1, 0}, {"l", "lost", "", "", 0, 0},
				{"m", "lost", "", "", 0, 0}, {"c", "cast", "", "", 0, 2}},
			weights: Weights{Eligible: 4, Direct: 1, Delegated: 1, Participating: 2, Lost: 2, MaxWeight: 2},
		},
		{
			name:       "an empty list without a vote is absent",
			electorate: []Entry{entry("a", 3), entry("b", 1, "a")},
			votes:      nil,
			want:       []row{{"a", "absent", "", "", 0, 0}, {"b", "lost", "", "", 0, 0}},
			weights:    Weights{Eligible: 4, Lost: 1, Absent: 3},
		},
		{
			name:       "weights of a forest add up at its root",
			electorate: []Entry{entry("r", 5), entry("a", 2, "r"), entry("b", 3, "a"), entry("c", 7, "a")},
			votes:      []string{"r"},
			want: []row{{"r", "cast", "", "", 0, 17}, {"a", "delegated", "r", "r", 1, 0},
				{"b", "delegated", "a", "r", 2, 0}, {"c", "delegated", "a", "r", 2, 0}},
			weights: Weights{Eligible: 17, Direct: 5, Delegated: 12, Participating: 17, MaxWeight: 17},
		},
		{
			name:       "votes from outside the electorate are ignored",
			electorate: []Entry{entry("a", 1, "zed")},
			votes:      []string{"zed"},
			want:       []row{{"a", "lost", "", "", 0, 0}},
			weights:    Weights{Eligible: 1, Lost: 1},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var votes []Vote
			for _, v := range tc.votes {
				votes = append(votes, word(v, "yes"))
			}
			res := Resolve(tc.electorate, votes)
			var got []row
			for i := range res.Len() {
				r := res.Row(i)
				got = append(got, row{r.Voter, r.State.String(), r.Via, r.To, r.Hops, r.Weight})
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Resolve() rows mismatch\nwant %v\ngot  %v", tc.want, got)
			}
			if res.Weights != tc.weights {
				t.Errorf("Resolve() weights = %+v, want %+v", res.Weights, tc.weights)
			}
		})
	}
}

func TestResolutionChainAndLookup(t *testing.T) {
	res := Resolve([]Entry{entry("a", 1, "b"), entry("b", 1, "c"), entry("c", 1), entry("d", 1)}, []Vote{word("c", "yes")})
	if got, want := res.Chain("a"), []string{"a", "b", "c"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Chain(a) = %v, want %v", got, want)
	}
	if got, want := res.Chain("d"), []string{"d"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Chain(d) = %v, want %v", got, want)
	}
	if got := res.Chain("zed"); got != nil {
		t.Errorf("Chain(zed) = %v, want nil", got)
	}
	if r, ok := res.Lookup("c"); !ok || r.Weight != 3 || r.State != StateCast {
		t.Errorf("Lookup(c) = %+v, %v; want cast with weight 3", r, ok)
	}
}

func TestDelegationOffEmptiesEveryList(t *testing.T) {
	in := Input{
		Ballot:     Ballot{Method: "majority", Options: options("yes", "no", "abstain"), Seats: 1, Threshold: Rational{1, 2}, Strict: true, Quorum: Rational{0, 1}},
		Electorate: []Entry{entry("a", 1, "b"), entry("b", 1)},
		Votes:      []Vote{word("b", "yes")},
		Tiebreak:   []string{"yes", "no", "abstain"},
	}
	res, err := Count(in)
	if err != nil {
		t.Fatal(err)
	}
	want := Weights{Eligible: 2, Direct: 1, Participating: 1, Absent: 1, MaxWeight: 1}
	if res.Weights != want {
		t.Errorf("weights = %+v, want %+v", res.Weights, want)
	}
}
