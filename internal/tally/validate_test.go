package tally

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

// validInput is a small valid plurality input the cases below break.
func validInput() Input {
	b := newBallot("plurality")
	b.Options = options("a", "b", "c")
	return Input{
		Ballot:     b,
		Electorate: []Entry{entry("x", 1), entry("y", 2, "x"), entry("z", 1)},
		Votes:      []Vote{word("x", "a"), word("z", "b")},
		Tiebreak:   []string{"c", "a", "b"},
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(in *Input)
		field  string // "" when valid
	}{
		{"a valid input passes", func(in *Input) {}, ""},
		{"unknown method", func(in *Input) { in.Ballot.Method = "borda" }, "ballot.method"},
		{"no options", func(in *Input) { in.Ballot.Options = nil }, "ballot.options"},
		{"option key with capitals", func(in *Input) { in.Ballot.Options[1].Key = "B" }, "ballot.options[1].key"},
		{"option key too long", func(in *Input) { in.Ballot.Options[0].Key = strings.Repeat("a", 65) }, "ballot.options[0].key"},
		{"duplicate option key", func(in *Input) { in.Ballot.Options[2].Key = "a" }, "ballot.options[2].key"},
		{"zero seats", func(in *Input) { in.Ballot.Seats = 0 }, "ballot.seats"},
		{"more seats than options", func(in *Input) { in.Ballot.Seats = 4 }, "ballot.seats"},
		{"irv elects one", func(in *Input) {
			in.Ballot.Method, in.Ballot.Seats = "irv", 2
			in.Votes = nil
		}, "ballot.seats"},
		{"unknown stv rule", func(in *Input) { in.Ballot.STVRule = "droop" }, "ballot.stv_rule"},
		{"threshold above one", func(in *Input) { in.Ballot.Threshold = Rational{3, 2} }, "ballot.threshold"},
		{"threshold with zero denominator", func(in *Input) { in.Ballot.Threshold = Rational{} }, "ballot.threshold"},
		{"negative quorum", func(in *Input) { in.Ballot.Quorum = Rational{-1, 2} }, "ballot.quorum"},
		{"majority options must be yes, no, abstain", func(in *Input) {
			in.Ballot.Method = "majority"
			in.Votes = nil
		}, "ballot.options"},
		{"duplicate voter", func(in *Input) { in.Electorate[2].Voter = "x" }, "electorate[2].voter"},
		{"empty voter id", func(in *Input) { in.Electorate[1].Voter = "" }, "electorate[1].voter"},
		{"zero weight", func(in *Input) { in.Electorate[2].Weight = 0 }, "electorate[2].weight"},
		{"total weight beyond 2^53", func(in *Input) { in.Electorate[0].Weight, in.Electorate[1].Weight = 1<<52, 1<<52 }, "electorate[1].weight"},
		{"a voter delegating to itself", func(in *Input) { in.Electorate[1].Delegates = []string{"x", "y"} }, "electorate[1].delegates[1]"},
		{"a repeated delegate", func(in *Input) { in.Electorate[1].Delegates = []string{"x", "x"} }, "electorate[1].delegates[1]"},
		{"a repeated delegate in a long list", func(in *Input) {
			in.Electorate[1].Delegates = append(longList(20), "d7")
		}, "electorate[1].delegates[20]"},
		{"a long list naming the voter itself", func(in *Input) {
			in.Electorate[1].Delegates = append(longList(20), "y", "d3")
		}, "electorate[1].delegates[20]"},
		{"a long list without repeats", func(in *Input) { in.Electorate[2].Delegates = longList(40) }, ""},
		{"vote by a voter outside the electorate", func(in *Input) { in.Votes[1].Voter = "q" }, "votes[1].voter"},
		{"second vote by one voter", func(in *Input) { in.Votes[1].Voter = "x" }, "votes[1].voter"},
		{"unknown option", func(in *Input) { in.Votes[0].Choice.Word = "d" }, "votes[0].choice"},
		{"plurality takes a word", func(in *Input) { in.Votes[0].Choice = Choice{Keys: []string{"a"}} }, "votes[0].choice"},
		{"tiebreak too short", func(in *Input) { in.Tiebreak = in.Tiebreak[:2] }, "tiebreak"},
		{"tiebreak with a repeat", func(in *Input) { in.Tiebreak[2] = "c" }, "tiebreak[2]"},
		{"tiebreak with an unknown key", func(in *Input) { in.Tiebreak[0] = "z" }, "tiebreak[0]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := validInput()
			tc.change(&in)
			err := Validate(in)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Validate() = %v, want a *FieldError for %s", err, tc.field)
			}
			if fe.Field != tc.field {
				t.Errorf("Validate() field = %q (%v), want %q", fe.Field, err, tc.field)
			}
			if _, err := Count(in); !errors.As(err, &fe) {
				t.Errorf("Count() = %v, want the validation error", err)
			}
		})
	}
}

func TestValidateChoice(t *testing.T) {
	opts := options("a", "b", "c")
	tests := []struct {
		method string
		choice Choice
		field  string
	}{
		{"majority", Choice{Word: "yes"}, ""},
		{"majority", Choice{Word: "maybe"}, "choice"},
		{"plurality", Choice{Word: "b"}, ""},
		{"plurality", Choice{Word: ""}, "choice"},
		{"approval", Choice{Keys: []string{}}, ""},
		{"approval", Choice{Keys: []string{"a", "c"}}, ""},
		{"approval", Choice{Keys: []string{"a", "a"}}, "choice[1]"},
		{"approval", Choice{Word: "a"}, "choice"},
		{"irv", Choice{Keys: []string{"c", "a"}}, ""},
		{"irv", Choice{Keys: []string{"c", "x"}}, "choice[1]"},
		{"stv", Choice{Keys: []string{"b", "c", "b"}}, "choice[2]"},
		{"schulze", Choice{Groups: [][]string{{"a", "b"}, {"c"}}}, ""},
		{"schulze", Choice{Groups: [][]string{}}, ""},
		{"schulze", Choice{Groups: [][]string{{"a"}, {}}}, "choice[1]"},
		{"schulze", Choice{Groups: [][]string{{"a"}, {"b", "a"}}}, "choice[1][1]"},
		{"schulze", Choice{Keys: []string{"a"}}, "choice"},
	}
	for _, tc := range tests {
		b := newBallot(tc.method)
		b.Options = opts
		if tc.method == "majority" {
			b.Options = options("yes", "no", "abstain")
		}
		err := ValidateChoice(b, tc.choice)
		var fe *FieldError
		switch {
		case tc.field == "" && err != nil:
			t.Errorf("ValidateChoice(%s, %+v) = %v, want nil", tc.method, tc.choice, err)
		case tc.field != "" && (!errors.As(err, &fe) || fe.Field != tc.field):
			t.Errorf("ValidateChoice(%s, %+v) = %v, want an error on %s", tc.method, tc.choice, err, tc.field)
		}
	}
	// The scratch marks must be cleared: a valid choice after an invalid one.
	b := newBallot("schulze")
	b.Options = opts
	if err := ValidateChoice(b, Choice{Groups: [][]string{{"a"}, {"a"}}}); err == nil {
		t.Error("repeated key accepted")
	}
}

func TestParseRational(t *testing.T) {
	for _, s := range []string{"0/1", "1/2", "2/3", "1/1", "10/100"} {
		r, err := ParseRational(s)
		if err != nil || r.String() != s {
			t.Errorf("ParseRational(%q) = %v, %v; want it back", s, r, err)
		}
	}
	for _, s := range []string{"", "1", "1/0", "-1/2", "+1/2", "01/2", "1/02", " 1/2", "1/2/3", "a/b", "1.5/2", "99999999999999999999/1"} {
		if r, err := ParseRational(s); err == nil {
			t.Errorf("ParseRational(%q) = %v, want an error", s, r)
		}
	}
}

func FuzzParseRational(f *testing.F) {
	for _, s := range []string{"1/2", "0/1", "01/2", "-1/2", "1/0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRational(s)
		if err == nil && r.String() != s {
			t.Errorf("ParseRational(%q).String() = %q", s, r.String())
		}
	})
}

func FuzzDecodeChoice(f *testing.F) {
	for _, s := range []string{`"yes"`, `["a","b"]`, `[["a"],["b","c"]]`, `[]`, `null`, `[[]]`, `{}`} {
		for _, m := range Methods {
			f.Add(m, []byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, method string, data []byte) {
		c, err := DecodeChoice(method, data)
		if err != nil {
			return
		}
		out, err := EncodeChoice(method, c)
		if err != nil {
			t.Fatalf("EncodeChoice(%s, %+v): %v", method, c, err)
		}
		back, err := DecodeChoice(method, out)
		if err != nil {
			t.Fatalf("DecodeChoice(%s, %s) after encoding: %v", method, out, err)
		}
		again, _ := EncodeChoice(method, back)
		if string(again) != string(out) {
			t.Errorf("encode(decode(%s)) = %s, then %s", data, out, again)
		}
	})
}

// longList returns n distinct delegate ids outside the electorate.
func longList(n int) []string {
	ds := make([]string, n)
	for i := range ds {
		ds[i] = "d" + strconv.Itoa(i)
	}
	return ds
}

// TestValidateAllocs holds Validate to a fixed number of allocations per
// input on the happy path, whatever the number of entries and votes.
func TestValidateAllocs(t *testing.T) {
	allocs := func(n int) float64 {
		in := validInput()
		in.Ballot.Method = "schulze"
		in.Electorate, in.Votes = nil, nil
		for i := range n {
			e := Entry{Voter: "v" + strconv.Itoa(i), Weight: 1}
			if i > 0 {
				e.Delegates = []string{"v" + strconv.Itoa(i-1), "w"}
			}
			in.Electorate = append(in.Electorate, e)
			if i%2 == 0 {
				in.Votes = append(in.Votes, Vote{Voter: e.Voter, Choice: Choice{Groups: [][]string{{"b"}, {"a", "c"}}}})
			}
		}
		return testing.AllocsPerRun(5, func() {
			if err := Validate(in); err != nil {
				t.Fatal(err)
			}
		})
	}
	if small, large := allocs(100), allocs(5000); small != large {
		t.Errorf("Validate allocates %v times for 100 entries, %v for 5000", small, large)
	}
}
