package conformance

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"koinon/internal/blt"
	"koinon/internal/tally"
)

// dataDir returns shared/conformance/<rel>, the folder beside the
// repository root (the first directory up from the working directory that
// holds go.mod).
func dataDir(t *testing.T, rel string) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			p := filepath.Join(dir, "..", "shared", "conformance", rel)
			if _, err := os.Stat(p); err == nil {
				return p
			}
			missing(t, p)
		}
		if filepath.Dir(dir) == dir {
			missing(t, "shared/conformance (no go.mod above "+wd+")")
		}
	}
}

func missing(t *testing.T, p string) {
	t.Helper()
	if os.Getenv("KOINON_REQUIRE_CONFORMANCE") == "1" {
		t.Fatalf("conformance data not found: %s (KOINON_REQUIRE_CONFORMANCE=1)", p)
	}
	t.Skipf("conformance data not found: %s (set KOINON_REQUIRE_CONFORMANCE=1 to fail instead)", p)
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
}

// election is a case's ballots in Koinon's terms: option keys "c1"… in
// candidate order, each ballot line one voter whose weight is its count.
type election struct {
	names []string // names[i] is option i's published name
	keys  []string
	input tally.Input
}

func newElection(method string, names []string, seats int) *election {
	e := &election{names: names}
	opts := make([]tally.Option, len(names))
	for i, n := range names {
		k := fmt.Sprintf("c%d", i+1)
		e.keys = append(e.keys, k)
		opts[i] = tally.Option{Key: k, Label: n}
	}
	e.input = tally.Input{
		Ballot: tally.Ballot{Method: method, Options: opts, Seats: seats, Threshold: tally.Rational{Num: 1, Den: 2},
			Strict: true, Quorum: tally.Rational{Num: 0, Den: 1}},
		Tiebreak: e.keys,
	}
	return e
}

// add casts one ballot line of the given weight.
func (e *election) add(weight int64, c tally.Choice) {
	v := fmt.Sprintf("b%07d", len(e.input.Electorate))
	e.input.Electorate = append(e.input.Electorate, tally.Entry{Voter: v, Weight: weight})
	e.input.Votes = append(e.input.Votes, tally.Vote{Voter: v, Choice: c})
}

// abstain adds a voter who casts no vote (a ballot without a valid mark).
func (e *election) abstain(weight int64) {
	v := fmt.Sprintf("b%07d", len(e.input.Electorate))
	e.input.Electorate = append(e.input.Electorate, tally.Entry{Voter: v, Weight: weight})
}

func (e *election) count(t *testing.T) tally.Result {
	t.Helper()
	res, err := tally.Count(e.input)
	if err != nil {
		t.Fatalf("Count: %v", err)
	}
	return res
}

// key returns the option key of a published name.
func (e *election) key(t *testing.T, name string) string {
	t.Helper()
	for i, n := range e.names {
		if n == name {
			return e.keys[i]
		}
	}
	t.Fatalf("no candidate named %q", name)
	return ""
}

// name returns the published name of an option key.
func (e *election) name(key string) string {
	for i, k := range e.keys {
		if k == key {
			return e.names[i]
		}
	}
	return key
}

// parseBLT reads a BLT case file. blt.Parse already normalises each ranking
// the Koinon way: blank ranks dropped, truncated at the first overvote.
func parseBLT(t *testing.T, path string) *blt.Election {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := blt.Parse(f)
	if err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	return b
}

// rankedElection turns a BLT file into an irv or plurality election.
func rankedElection(t *testing.T, b *blt.Election, method string) *election {
	t.Helper()
	e := newElection(method, b.Names, 1)
	for _, bl := range b.Ballots {
		keys := make([]string, len(bl.Ranking))
		for i, c := range bl.Ranking {
			keys[i] = e.keys[c-1]
		}
		switch {
		case method == "irv":
			e.add(bl.Weight, tally.Choice{Keys: keys})
		case len(keys) > 0:
			e.add(bl.Weight, tally.Choice{Word: keys[0]})
		default:
			e.abstain(bl.Weight)
		}
	}
	return e
}
