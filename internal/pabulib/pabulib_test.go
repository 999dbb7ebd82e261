package pabulib_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"koinon/internal/pabulib"
	"koinon/internal/tally"
)

const assenDir = "../../../shared/conformance/budget/assen-2024"

func readAssen(t *testing.T) *pabulib.File {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(assenDir, "assen-2024.pb"))
	if err != nil {
		if os.Getenv("KOINON_REQUIRE_CONFORMANCE") == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	f, err := pabulib.Parse(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestAssen2024 counts Assen's 2024 vote with MES and add1 (with and
// without the exhaustive stop) and compares the official outcome, and
// checks that add1+greedy funds project 7 as well, as the README says.
func TestAssen2024(t *testing.T) {
	f := readAssen(t)
	var want struct {
		Selected []string `json:"selected_set"`
		Spent    int64    `json:"spent"`
		Also     []string `json:"with_add1_greedy_also"`
	}
	data, err := os.ReadFile(filepath.Join(assenDir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	if len(f.Projects) != 14 || len(f.Votes) != 84 {
		t.Fatalf("%d projects, %d votes; want 14 and 84", len(f.Projects), len(f.Votes))
	}
	budget, err := f.Budget()
	if err != nil {
		t.Fatal(err)
	}
	in := tally.Input{Ballot: tally.Ballot{Method: "budget", Seats: 1, Threshold: tally.Rational{Num: 1, Den: 2},
		Quorum: tally.Rational{Num: 0, Den: 1}}}
	for _, p := range f.Projects {
		in.Ballot.Options = append(in.Ballot.Options, tally.Option{Key: p.ID, Label: p.Name, Cost: p.Cost})
		in.Tiebreak = append(in.Tiebreak, p.ID)
	}
	for _, v := range f.Votes {
		in.Electorate = append(in.Electorate, tally.Entry{Voter: v.Voter, Weight: 1})
		in.Votes = append(in.Votes, tally.Vote{Voter: v.Voter, Choice: tally.Choice{Keys: v.Projects}})
	}
	for _, tc := range []struct {
		completion string
		stop       bool
		want       []string
	}{
		{"add1", true, want.Selected},
		{"add1", false, want.Selected},
		{"add1+greedy", true, append(slices.Clone(want.Selected), want.Also...)},
	} {
		in.Ballot.Budget = tally.BudgetRules{Budget: budget, Rule: "mes", Completion: tc.completion, ExhaustiveStop: tc.stop}
		r, err := tally.Count(in)
		if err != nil {
			t.Fatal(err)
		}
		got, exp := slices.Sorted(slices.Values(r.Winners)), slices.Sorted(slices.Values(tc.want))
		if !slices.Equal(got, exp) {
			t.Errorf("%s (exhaustive stop %v): funded %v, want %v", tc.completion, tc.stop, r.Winners, tc.want)
		}
		if tc.completion == "add1" && r.Budget.Spent != want.Spent {
			t.Errorf("spent %d, want %d", r.Budget.Spent, want.Spent)
		}
	}
}

func TestParseErrors(t *testing.T) {
	good := "META\nkey;value\nbudget;100\nvote_type;approval\nPROJECTS\nproject_id;cost;name\n1;60;A\n2;40;B\nVOTES\nvoter_id;vote\nv1;1,2\nv2;\n"
	if _, err := pabulib.Parse(strings.NewReader(good)); err != nil {
		t.Fatalf("good file: %v", err)
	}
	tests := []struct{ name, from, to, want string }{
		{"ordinal ballots are refused", "vote_type;approval", "vote_type;ordinal", `vote_type "ordinal" is not supported`},
		{"a missing budget is refused", "budget;100\n", "", "META budget"},
		{"a cost of 0 is refused", "1;60;A", "1;0;A", "cost \"0\" is not a positive integer"},
		{"a fractional cost is refused", "1;60;A", "1;60.5;A", "is not a positive integer"},
		{"an unknown project is refused", "v1;1,2", "v1;1,3", `approves "3"`},
		{"a repeated voter is refused", "v2;\n", "v1;\n", "repeated"},
		{"a repeated approval is refused", "v1;1,2", "v1;1,1", "twice"},
		{"sections must come in order", "PROJECTS\n", "VOTES\n", "out of order"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := pabulib.Parse(strings.NewReader(strings.Replace(good, tc.from, tc.to, 1)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// FuzzParse checks that Parse never panics and that what it accepts,
// written back with Write, parses to the same File.
func FuzzParse(f *testing.F) {
	f.Add([]byte("META\nkey;value\nbudget;100\nvote_type;approval\nPROJECTS\nproject_id;cost;name\n1;60;A\n2;40;\"B;c\"\nVOTES\nvoter_id;vote\nv1;1,2\nv2;\n"))
	if data, err := os.ReadFile(filepath.Join(assenDir, "assen-2024.pb")); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := pabulib.Parse(bytes.NewReader(data))
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := pabulib.Write(&buf, a); err != nil {
			t.Fatal(err)
		}
		b, err := pabulib.Parse(&buf)
		if err != nil {
			t.Fatalf("reparse: %v\n%s", err, buf.Bytes())
		}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("round trip changed the file:\n%+v\n%+v", a, b)
		}
	})
}
