package store

import (
	"slices"
	"testing"
)

// TestScopePrecedence: the lists that apply to a ballot come most specific
// first, and ScopeRank orders them the same way (tally.md §2).
func TestScopePrecedence(t *testing.T) {
	topic := int64(7)
	for _, tc := range []struct {
		b    Ballot
		want []string
	}{
		{Ballot{ID: 12}, []string{"b:12", "c"}},
		{Ballot{ID: 12, TopicID: &topic}, []string{"b:12", "t:7", "c"}},
	} {
		keys := ScopeKeys(tc.b)
		if !slices.Equal(keys, tc.want) {
			t.Errorf("ScopeKeys(%+v) = %v, want %v", tc.b, keys, tc.want)
		}
		for i := 1; i < len(keys); i++ {
			if ScopeRank(keys[i-1]) <= ScopeRank(keys[i]) {
				t.Errorf("ScopeRank(%s) = %d is not above ScopeRank(%s) = %d", keys[i-1], ScopeRank(keys[i-1]), keys[i], ScopeRank(keys[i]))
			}
		}
	}
	if ScopeRank("") != 0 || ScopeRank("c") < 1 {
		t.Errorf(`ScopeRank("") = %d, ScopeRank("c") = %d: no list must rank below the community's`, ScopeRank(""), ScopeRank("c"))
	}
}
