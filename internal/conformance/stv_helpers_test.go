package conformance

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"koinon/internal/blt"
	"koinon/internal/tally/stv"
)

// stvConformanceDir finds shared/conformance as the sibling of the
// repository root (the folder holding go.mod). It skips the test when the
// folder is missing, or fails when KOINON_REQUIRE_CONFORMANCE=1.
func stvConformanceDir(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("repository root (go.mod) not found above the working directory")
		}
		dir = parent
	}
	conf := filepath.Join(filepath.Dir(dir), "shared", "conformance")
	if _, err := os.Stat(filepath.Join(conf, "stv")); err != nil {
		if os.Getenv("KOINON_REQUIRE_CONFORMANCE") == "1" {
			tb.Fatalf("conformance data required but missing: %v", err)
		}
		tb.Skipf("conformance data not found at %s", conf)
	}
	return conf
}

// stvLoad parses a BLT file into a count with the tie order of tally.md §5
// for counting files: the reverse of the file's candidate order.
func stvLoad(tb testing.TB, path string) (stv.Election, *blt.Election) {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	b, err := blt.Parse(f)
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return stvElection(b), b
}

func stvElection(b *blt.Election) stv.Election {
	e := stv.Election{Candidates: b.Candidates, Seats: b.Seats}
	for c := b.Candidates - 1; c >= 0; c-- {
		e.TieOrder = append(e.TieOrder, c)
	}
	for _, c := range b.Withdrawn {
		e.Withdrawn = append(e.Withdrawn, c-1)
	}
	for _, bl := range b.Ballots {
		r := make([]int, len(bl.Ranking))
		for i, c := range bl.Ranking {
			r[i] = c - 1
		}
		e.Ballots = append(e.Ballots, stv.Ballot{Weight: bl.Weight, Ranking: r})
	}
	return e
}

func stvReadJSON(tb testing.TB, path string, v any) {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
}

// stvUnits reads a decimal string ("2727.8", "744", "0.34294") as an
// integer count of 10^-digits units; more digits than that is an error.
func stvUnits(s string, digits int) (int64, error) {
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > digits {
		return 0, fmt.Errorf("%q has more than %d decimals", s, digits)
	}
	frac += strings.Repeat("0", digits-len(frac))
	return strconv.ParseInt(whole+frac, 10, 64)
}

// stvNumbers turns 0-based candidates into the 1-based BLT numbers used by
// the expected files.
func stvNumbers(cs []int) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = strconv.Itoa(c + 1)
	}
	return out
}

func stvSorted(s []string) []string {
	s = slices.Clone(s)
	slices.SortFunc(s, func(a, b string) int {
		x, _ := strconv.Atoi(a)
		y, _ := strconv.Atoi(b)
		return x - y
	})
	return s
}
