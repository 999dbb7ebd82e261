package proof2

import (
	"encoding/json"
	"os"
	"testing"
)

// FuzzVerify feeds Verify arbitrary documents, starting from the vector
// proof: it must never panic, and must accept only what verifies.
func FuzzVerify(f *testing.F) {
	b, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		f.Fatal(err)
	}
	var v Vectors
	if err := json.Unmarshal(b, &v); err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(v.Proof))
	f.Add([]byte(`{"format":"koinon-tally-proof/2"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := Verify(data, Options{})
		if r.OK && len(r.Checks) != 8 {
			t.Fatalf("ok with %d checks", len(r.Checks))
		}
	})
}
