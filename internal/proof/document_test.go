package proof

import (
	"errors"
	"strings"
	"testing"
)

// input is a small valid approval document; tests edit its text.
const input = `{
 "format": "koinon-tally-proof/1",
 "ballot": {"id": "t1", "title": "Test", "community": "c", "topic": null, "method": "approval",
  "options": [{"key": "a", "label": "A"}, {"key": "b", "label": "B"}, {"key": "c", "label": "C"}],
  "seats": 1, "delegation": true, "secrecy": "public",
  "opens_at": "2026-11-20T09:00:00Z", "closes_at": "2026-11-26T09:00:00Z"},
 "electorate": [
  {"voter": "v3", "weight": 1, "delegates": ["v1"]},
  {"voter": "v1", "weight": 2, "delegates": []},
  {"voter": "v2", "weight": 1, "delegates": []},
  {"voter": "v4", "weight": 1, "delegates": []},
  {"voter": "v5", "weight": 1}
 ],
 "votes": [
  {"voter": "v2", "choice": ["b"]},
  {"voter": "v1", "choice": ["a", "c"]},
  {"voter": "v4", "choice": []}
 ]
}`

func TestParseDocumentDefaults(t *testing.T) {
	doc, err := ParseDocument([]byte(input))
	if err != nil {
		t.Fatal(err)
	}
	b := doc.Ballot
	if b.Seats != 1 || b.Threshold != "1/2" || !b.Strict || b.Quorum != "0/1" || b.STVRule != "" {
		t.Errorf("defaults: seats %d threshold %q strict %v quorum %q stv_rule %q", b.Seats, b.Threshold, b.Strict, b.Quorum, b.STVRule)
	}
	if got := doc.Electorate[4].Delegates; got == nil || len(got) != 0 {
		t.Errorf("absent delegates: got %#v, want an empty list", got)
	}
	var voters []string
	for _, v := range doc.Votes {
		voters = append(voters, v.Voter)
	}
	if strings.Join(voters, " ") != "v1 v2 v4" {
		t.Errorf("votes not sorted by voter: %v", voters)
	}
	if string(doc.Votes[0].Choice) != `["a","c"]` || strings.Join(doc.Votes[0].Decoded.Keys, ",") != "a,c" {
		t.Errorf("vote v1: choice %s decoded %v", doc.Votes[0].Choice, doc.Votes[0].Decoded)
	}
	stv := strings.Replace(input, `"method": "approval"`, `"method": "stv"`, 1)
	if doc, err := ParseDocument([]byte(stv)); err != nil || doc.Ballot.STVRule != "meek" {
		t.Errorf("stv without stv_rule: err %v, want default meek", err)
	}
}

func TestParseDocumentErrors(t *testing.T) {
	tests := []struct {
		name, old, new string
		want           string // the whole error message
	}{
		{"weight zero", `"voter": "v2", "weight": 1`, `"voter": "v2", "weight": 0`, "electorate[2].weight: must be an integer ≥ 1"},
		{"weight fraction", `"voter": "v2", "weight": 1`, `"voter": "v2", "weight": 1.5`, "electorate[2].weight: must be an integer ≥ 1"},
		{"weight string", `"voter": "v2", "weight": 1`, `"voter": "v2", "weight": "1"`, "electorate[2].weight: must be an integer ≥ 1"},
		{"unknown option", `["a", "c"]`, `["a", "x"]`, `votes[1].choice[1]: unknown option "x"`},
		{"repeated key in a ranking", `["a", "c"]`, `["a", "a"]`, `votes[1].choice[1]: repeated option "a"`},
		{"wrong choice shape", `["a", "c"]`, `"a"`, "votes[1].choice: must be a list of distinct option keys"},
		{"duplicate voter in votes", `{"voter": "v4", "choice": []}`, `{"voter": "v1", "choice": []}`, `votes[2].voter: repeated voter "v1" (also votes[1])`},
		{"duplicate voter in electorate", `{"voter": "v4", "weight": 1, "delegates": []}`, `{"voter": "v2", "weight": 1, "delegates": []}`, `electorate[3].voter: repeated voter "v2" (also electorate[2])`},
		{"voter outside the electorate", `{"voter": "v4", "choice": []}`, `{"voter": "zed", "choice": []}`, `votes[2].voter: "zed" is not in the electorate`},
		{"unknown method", `"method": "approval"`, `"method": "borda"`, `ballot.method: unknown method "borda" (want one of majority, plurality, approval, irv, schulze, stv, budget)`},
		{"missing ballot field", `"method": "approval",`, ``, "ballot.method: missing"},
		{"missing votes", `"votes": [`, `"votez": [`, "votez: unknown field"},
		{"repeated field", `"seats": 1,`, `"seats": 1, "seats": 2,`, "ballot.seats: repeated key in object"},
		{"stv_rule outside stv", `"seats": 1,`, `"seats": 1, "stv_rule": "meek",`, "ballot.stv_rule: only allowed for method stv"},
		{"bad rational", `"seats": 1,`, `"seats": 1, "quorum": "1/0",`, `ballot.quorum: must be a rational "n/d": parse rational "1/0": denominator is zero`},
		{"engine ballot rule", `"seats": 1,`, `"seats": 4,`, "ballot.seats: 4 seats for 3 options"},
		{"delegate to self", `"delegates": ["v1"]`, `"delegates": ["v3"]`, `electorate[0].delegates: lists the voter "v3" itself`},
		{"repeated delegate", `"delegates": ["v1"]`, `"delegates": ["v1", "v1"]`, `electorate[0].delegates[1]: repeats "v1"`},
		{"wrong format", `koinon-tally-proof/1`, `koinon-tally-proof/2`, `format: must be "koinon-tally-proof/1", not "koinon-tally-proof/2"`},
		{"bad time", `"2026-11-20T09:00:00Z"`, `"2026-11-20 09:00"`, `ballot.opens_at: must be an RFC 3339 UTC time like 2026-01-02T15:04:05Z, not "2026-11-20 09:00"`},
		{"big integer", `"voter": "v2", "weight": 1`, `"voter": "v2", "weight": 9007199254740992`, "electorate[2].weight: must be an integer ≥ 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(input, tc.old) {
				t.Fatalf("test input lacks %q", tc.old)
			}
			_, err := ParseDocument([]byte(strings.Replace(input, tc.old, tc.new, 1)))
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("got %v (%T), want a *FieldError", err, err)
			}
			if err.Error() != tc.want {
				t.Errorf("error:\nwant %s\ngot  %s", tc.want, err)
			}
		})
	}
}

func TestParseDocumentNotJSON(t *testing.T) {
	for _, in := range []string{"", "{", "not json", `{"ballot": 1,}`, input + "x", input[:200], "{\"votes\": [\"\xff\"]}"} {
		_, err := ParseDocument([]byte(in))
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("ParseDocument(%.40q) = %v, want a *SyntaxError", in, err)
		}
	}
	// A shape error early in the document does not hide that the rest is not JSON.
	bad := strings.Replace(input, `"weight": 2`, `"weight": "x"`, 1) + "garbage"
	var se *SyntaxError
	if _, err := ParseDocument([]byte(bad)); !errors.As(err, &se) {
		t.Errorf("shape error before a syntax error: got %v, want a *SyntaxError", err)
	}
}

func FuzzParseDocument(f *testing.F) {
	f.Add([]byte(input))
	f.Add([]byte(`{"ballot":{},"electorate":[],"votes":[]}`))
	f.Add([]byte(`{"votes":[{"voter":"a","choice":[["x"],[]]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := ParseDocument(data)
		if err != nil {
			return
		}
		out, err := Tally(doc)
		if err != nil {
			return
		}
		again, err := ParseDocument(out)
		if err != nil {
			t.Fatalf("Tally output does not parse: %v\n%s", err, out)
		}
		out2, err := Tally(again)
		if err != nil || string(out2) != string(out) {
			t.Fatalf("Tally is not stable on its own output (err %v)", err)
		}
	})
}

func TestParseDocumentMinimalBallot(t *testing.T) {
	doc, err := ParseDocument([]byte(`{"ballot": {"method": "plurality", "options": [{"key": "a", "label": "A"}, {"key": "b", "label": "B"}]},
		"electorate": [{"voter": "x", "weight": 1, "delegates": []}, {"voter": "y", "weight": 2, "delegates": ["x"]}],
		"votes": [{"voter": "x", "choice": "b"}]}`))
	if err != nil {
		t.Fatalf("ParseDocument: %v", err)
	}
	b := doc.Ballot
	if b.ID != "ballot" || !b.Delegation || b.Secrecy != "public" || b.Seats != 1 || b.Quorum != "0/1" || b.Topic != nil {
		t.Errorf("defaults not applied: %+v", b)
	}
}
