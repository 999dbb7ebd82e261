package conformance

import (
	"path/filepath"
	"testing"
)

// TestPluralityFirstChoices counts the first valid ranking of every ballot
// (blank first ranks skipped, an overvote is no vote) as a plurality vote
// and checks the official round-1 counts and plurality winners.
func TestPluralityFirstChoices(t *testing.T) {
	cases := []struct {
		dir, file, winner string
	}{
		{"irv/oakland-2010-mayor", "ballots.blt", "DON PERATA"},
		{"irv/burlington-2009-mayor", "ballots_checkoway.blt", "Kurt Wright"},
	}
	for _, tc := range cases {
		t.Run(filepath.Base(tc.dir), func(t *testing.T) {
			dir := dataDir(t, tc.dir)
			var want struct {
				Official struct {
					Round1 map[string]int64 `json:"round_1"`
				} `json:"official_published"`
			}
			readJSON(t, filepath.Join(dir, "expected.json"), &want)
			e := rankedElection(t, parseBLT(t, filepath.Join(dir, tc.file)), "plurality")
			res := e.count(t)
			checkTotals(t, e, "plurality totals", res.Totals, want.Official.Round1)
			if len(res.Winners) != 1 || e.name(res.Winners[0]) != tc.winner {
				t.Errorf("winners %v, want %s", res.Winners, tc.winner)
			}
		})
	}
}
