package tally

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const examplesDir = "../../../shared/spec/examples"

// TestSpecExamples reproduces every worked example of spec/examples: the
// tie-break order from votes_root and the result, as canonical JSON.
func TestSpecExamples(t *testing.T) {
	inputs, err := filepath.Glob(filepath.Join(examplesDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, path := range inputs {
		if strings.HasSuffix(path, ".expected.json") {
			continue
		}
		n++
		name := strings.TrimSuffix(filepath.Base(path), ".json")
		t.Run(name, func(t *testing.T) {
			in, _ := readDocument(t, path)
			_, want := readDocument(t, strings.TrimSuffix(path, ".json")+".expected.json")
			if got := Tiebreak(want.VotesRoot, keysOf(in.Ballot.Options)); !reflect.DeepEqual(got, want.Tiebreak) {
				t.Errorf("Tiebreak(%s) = %v, want %v", want.VotesRoot, got, want.Tiebreak)
			}
			in.Tiebreak = want.Tiebreak
			res, err := Count(in)
			if err != nil {
				t.Fatalf("Count: %v", err)
			}
			got, err := json.Marshal(res)
			if err != nil {
				t.Fatal(err)
			}
			if !sameJSON(t, got, want.Result) {
				t.Errorf("result mismatch\nwant %s\ngot  %s", compact(t, want.Result), got)
			}
			assertRoundTrip(t, res)
		})
	}
	if n == 0 {
		t.Fatalf("no examples found in %s", examplesDir)
	}
}

func compact(t *testing.T, data []byte) string {
	t.Helper()
	b, err := json.Marshal(canonical(t, data))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// assertRoundTrip checks that a result read back from its JSON writes the
// same JSON and equals the original (the web layer stores and reloads it).
func assertRoundTrip(t *testing.T, res Result) {
	t.Helper()
	first, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var back Result
	if err := json.Unmarshal(first, &back); err != nil {
		t.Fatalf("unmarshal result: %v", err)
	}
	second, err := json.Marshal(back)
	if err != nil {
		t.Fatal(err)
	}
	if string(first) != string(second) {
		t.Errorf("round trip changed the JSON\nfirst  %s\nsecond %s", first, second)
	}
	if !reflect.DeepEqual(normalise(res), normalise(back)) {
		t.Errorf("round trip changed the result\nbefore %+v\nafter  %+v", res, back)
	}
}

// normalise maps the empty-but-non-nil distinctions JSON cannot keep.
func normalise(r Result) Result {
	r.Winners = nonNil(r.Winners)
	r.Resolution = nonNil(r.Resolution)
	r.Carriers = nonNil(r.Carriers)
	if len(r.STVRounds) == 0 && r.STVRounds != nil {
		r.STVRounds, r.IRVRounds = nil, []IRVRound{}
	}
	for i := range r.STVRounds {
		r.STVRounds[i].Elected = nonNil(r.STVRounds[i].Elected)
		r.STVRounds[i].Defeated = nonNil(r.STVRounds[i].Defeated)
	}
	return r
}
