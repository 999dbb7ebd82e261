package blt

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want *Election
	}{
		{
			name: "standard file with quoted names and title",
			in:   "3 2\n4 1 2 0\n2 3 0\n0\n\"Castor\"\n\"Pollux\"\n\"Helen\"\n\"Pollux and Helen should tie\"\n",
			want: &Election{Candidates: 3, Seats: 2, Names: []string{"Castor", "Pollux", "Helen"},
				Title: "Pollux and Helen should tie",
				Ballots: []Ballot{
					{Weight: 4, Ranking: []int{1, 2}, Overvote: -1},
					{Weight: 2, Ranking: []int{3}, Overvote: -1},
				}},
		},
		{
			name: "unquoted names and title, double spaces, no final newline (McCune)",
			in:   "2 1\n64 1 0\n2 2  1 0\n0\nBarney CROCKETT (Lab)\nCoral DUTHIE (Ind)\nDyce/Bucksburn/Danestone Ward",
			want: &Election{Candidates: 2, Seats: 1, Names: []string{"Barney CROCKETT (Lab)", "Coral DUTHIE (Ind)"},
				Title: "Dyce/Bucksburn/Danestone Ward",
				Ballots: []Ballot{
					{Weight: 64, Ranking: []int{1}, Overvote: -1},
					{Weight: 2, Ranking: []int{2, 1}, Overvote: -1},
				}},
		},
		{
			name: "withdrawn lines, ballot ids, empty ballot, trailer after title ignored",
			in:   "3 1\n-2\n-3 -2\n(a1) 1 1 3 0\n1 0\n0\n\"A\" \"B\"\n\"C\"\n\"T\"\n\"extra\"\nQuota 84.88\n",
			want: &Election{Candidates: 3, Seats: 1, Withdrawn: []int{2, 3}, Names: []string{"A", "B", "C"}, Title: "T",
				Ballots: []Ballot{
					{Weight: 1, Ranking: []int{1, 3}, Overvote: -1},
					{Weight: 1, Ranking: []int{}, Overvote: -1},
				}},
		},
		{
			name: "Checkoway dialect: comment, blank ranks dropped, truncated at first overvote, repeats dropped",
			in: "# Created by Stephen Checkoway\n3 1\n1 - 2 - 0\n1 1=3 2 0\n1 2 -=- 1 0\n1 1 1 1 0\n0\n" +
				"\"A\"\n\"B\"\n\"C\"\n\"Mayor\"\n",
			want: &Election{Candidates: 3, Seats: 1, Names: []string{"A", "B", "C"}, Title: "Mayor",
				Ballots: []Ballot{
					{Weight: 1, Ranking: []int{2}, Overvote: -1, Ranks: [][]int{{}, {2}, {}}},
					{Weight: 1, Ranking: []int{}, Overvote: 0, Ranks: [][]int{{1, 3}, {2}}},
					{Weight: 1, Ranking: []int{2}, Overvote: 1, Ranks: [][]int{{2}, {0, 0}, {1}}},
					{Weight: 1, Ranking: []int{1}, Overvote: -1, Ranks: [][]int{{1}, {1}, {1}}},
				}},
		},
		{
			name: "Droop options: nick, tie, withdrawn; missing title",
			in:   "3 1\n[nick a b c]\n[withdrawn c]\n2 b a 0\n0\n\"A\"\n\"B\"\n\"C\"\n[tie 3 1 2]\n",
			want: &Election{Candidates: 3, Seats: 1, Withdrawn: []int{3}, Names: []string{"A", "B", "C"},
				Nicknames: []string{"a", "b", "c"}, TieOrder: []int{3, 1, 2},
				Ballots: []Ballot{{Weight: 2, Ranking: []int{2, 1}, Overvote: -1}}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(strings.NewReader(tc.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Parse() mismatch\nwant %+v\n got %+v", tc.want, got)
			}
			roundTrip(t, got)
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty input", "", "missing header"},
		{"absurd header", "100000 1\n", "line 1: header"},
		{"seats above candidates", "2 3\n", "line 1: header"},
		{"candidate out of range", "2 1\n1 1 3 0\n0\n", "line 2: \"3\" is not a candidate"},
		{"ballot without closing 0", "2 1\n1 1 2\n0\n", "line 2: ballot line"},
		{"zero weight line before end", "2 1\n0 1 0\n", "line 2: ballot weight"},
		{"missing names", "2 1\n1 1 0\n0\n\"A\"\n", "line 4: end of file after 1 of 2"},
		{"unterminated name", "1 1\n1 1 0\n0\n\"A\n", "line 4: unterminated"},
		{"bad withdrawn", "2 1\n-3\n", "line 2: withdrawn candidate 3"},
		{"incomplete tie", "2 1\n[tie 1]\n0\n\"A\"\n\"B\"\n", "[tie] lists 1 of 2"},
		{"no ballot terminator", "2 1\n1 1 0\n", "not closed by a line 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse() error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestFormatQuotesNames(t *testing.T) {
	e := &Election{Candidates: 2, Seats: 1, Names: []string{"Ann Lee", `Bob "B" Ray`}, Title: "T",
		Ballots: []Ballot{{Weight: 3, Ranking: []int{2, 1}, Overvote: -1}}}
	var buf bytes.Buffer
	if err := Format(&buf, e); err != nil {
		t.Fatal(err)
	}
	want := "2 1\n3 2 1 0\n0\n\"Ann Lee\"\nBob \"B\" Ray\n\"T\"\n"
	if buf.String() != want {
		t.Errorf("Format() = %q, want %q", buf.String(), want)
	}
	roundTrip(t, e)
}

// roundTrip checks Parse(Format(e)) == e.
func roundTrip(t *testing.T, e *Election) {
	t.Helper()
	var buf bytes.Buffer
	if err := Format(&buf, e); err != nil {
		t.Fatalf("Format: %v", err)
	}
	back, err := Parse(&buf)
	if err != nil {
		t.Fatalf("Parse(Format()): %v\n%s", err, buf.String())
	}
	if !reflect.DeepEqual(back, e) {
		t.Fatalf("Parse(Format(e)) != e\nwant %+v\n got %+v", e, back)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"3 2\n4 1 2 0\n2 3 0\n0\n\"Castor\"\n\"Pollux\"\n\"Helen\"\n\"T\"\n",
		"# c\n3 1\n1 - 2 - 0\n1 1=3 2 0\n1 2 -=- 1 0\n0\nA\nB\nC\nTitle",
		"3 1\n-2\n[nick a b c]\n(x) 2 b a 0\n1 0\n0\n\"A\" \"B\" \"C\" \"T\"\n[tie 3 1 2]\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := Parse(bytes.NewReader(data))
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := Format(&buf, e); err != nil {
			// Only names that no BLT line can hold may fail.
			if !strings.Contains(err.Error(), "cannot be written") {
				t.Fatalf("Format of a parsed file: %v", err)
			}
			return
		}
		back, err := Parse(&buf)
		if err != nil {
			t.Fatalf("Parse(Format()): %v\n%s", err, buf.String())
		}
		if !reflect.DeepEqual(back, e) {
			t.Fatalf("round trip\nwant %+v\n got %+v", e, back)
		}
	})
}

func TestParseLineEndings(t *testing.T) {
	for name, text := range map[string]string{
		"unix":    "2 1\n1 1 0\n0\n\"A\"\n\"B\"\n\"T\"\n",
		"windows": "2 1\r\n1 1 0\r\n0\r\n\"A\"\r\n\"B\"\r\n\"T\"\r\n",
		"old mac": "2 1\r1 1 0\r0\r\"A\"\r\"B\"\r\"T\"\r",
	} {
		e, err := Parse(strings.NewReader(text))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(e.Names) != 2 || e.Names[1] != "B" || e.Title != "T" || len(e.Ballots) != 1 {
			t.Errorf("%s: parsed %+v", name, e)
		}
	}
}
