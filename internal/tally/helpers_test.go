package tally

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"testing"
)

// document is the part of a koinon-tally-proof/1 document a count reads,
// plus the tie-break fields and result when present.
type document struct {
	Ballot struct {
		Method     string    `json:"method"`
		Options    []Option  `json:"options"`
		Seats      *int      `json:"seats"`
		STVRule    string    `json:"stv_rule"`
		Threshold  *Rational `json:"threshold"`
		Strict     *bool     `json:"strict"`
		Quorum     *Rational `json:"quorum"`
		Delegation bool      `json:"delegation"`

		Budget            int64   `json:"budget"`
		BudgetRule        string  `json:"budget_rule"`
		Completion        *string `json:"completion"`
		ExhaustiveStop    *bool   `json:"exhaustive_stop"`
		CompareWithGreedy bool    `json:"compare_with_greedy"`
	} `json:"ballot"`
	Electorate []Entry `json:"electorate"`
	Votes      []struct {
		Voter  string          `json:"voter"`
		Choice json.RawMessage `json:"choice"`
	} `json:"votes"`
	VotesRoot string          `json:"votes_root"`
	Tiebreak  []string        `json:"tiebreak"`
	Result    json.RawMessage `json:"result"`
}

// readDocument decodes a document, applying the defaults of tally.md §1.
func readDocument(t *testing.T, path string) (Input, document) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc document
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	b := newBallot(doc.Ballot.Method)
	b.Options = doc.Ballot.Options
	b.STVRule = doc.Ballot.STVRule
	b.Delegation = doc.Ballot.Delegation
	if doc.Ballot.Seats != nil {
		b.Seats = *doc.Ballot.Seats
	}
	if doc.Ballot.Threshold != nil {
		b.Threshold = *doc.Ballot.Threshold
	}
	if doc.Ballot.Strict != nil {
		b.Strict = *doc.Ballot.Strict
	}
	if doc.Ballot.Quorum != nil {
		b.Quorum = *doc.Ballot.Quorum
	}
	if b.Method == "budget" {
		d := doc.Ballot
		b.Budget = BudgetRules{Budget: d.Budget, Rule: d.BudgetRule, CompareWithGreedy: d.CompareWithGreedy}
		if b.Budget.Rule == "" {
			b.Budget.Rule = "mes"
		}
		if b.Budget.Rule == "mes" {
			b.Budget.Completion, b.Budget.ExhaustiveStop = "add1", true
			if d.Completion != nil {
				b.Budget.Completion = *d.Completion
			}
			if d.ExhaustiveStop != nil {
				b.Budget.ExhaustiveStop = *d.ExhaustiveStop
			}
		}
	}
	in := Input{Ballot: b, Electorate: doc.Electorate, Tiebreak: doc.Tiebreak}
	for i, v := range doc.Votes {
		c, err := DecodeChoice(b.Method, v.Choice)
		if err != nil {
			t.Fatalf("%s: votes[%d]: %v", path, i, err)
		}
		in.Votes = append(in.Votes, Vote{Voter: v.Voter, Choice: c})
	}
	return in, doc
}

// newBallot returns a ballot with the defaults of tally.md §1 and no options.
func newBallot(method string) Ballot {
	return Ballot{Method: method, Seats: 1, Threshold: Rational{1, 2}, Strict: true, Quorum: Rational{0, 1}, Delegation: true}
}

// canonical decodes JSON into generic values so that key order and white
// space do not matter.
func canonical(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", data, err)
	}
	return v
}

// sameJSON reports whether two JSON texts are equal after canonicalising.
func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	return reflect.DeepEqual(canonical(t, a), canonical(t, b))
}

func keysOf(opts []Option) []string {
	keys := make([]string, len(opts))
	for i, o := range opts {
		keys[i] = o.Key
	}
	return keys
}

// options builds options labelled by their keys.
func options(keys ...string) []Option {
	out := make([]Option, len(keys))
	for i, k := range keys {
		out[i] = Option{Key: k, Label: k}
	}
	return out
}

func entry(voter string, weight int64, delegates ...string) Entry {
	return Entry{Voter: voter, Weight: weight, Delegates: delegates}
}

func word(voter, w string) Vote { return Vote{Voter: voter, Choice: Choice{Word: w}} }

func keysVote(voter string, keys ...string) Vote {
	if keys == nil {
		keys = []string{}
	}
	return Vote{Voter: voter, Choice: Choice{Keys: keys}}
}

func groupsVote(voter string, groups ...[]string) Vote {
	if groups == nil {
		groups = [][]string{}
	}
	return Vote{Voter: voter, Choice: Choice{Groups: groups}}
}

func jsonText(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}
