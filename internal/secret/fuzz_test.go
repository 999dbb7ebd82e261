package secret

import (
	"encoding/json"
	"errors"
	"os"
	"testing"
)

// FuzzPointText: a decoded point re-encodes to the same text; nothing panics.
func FuzzPointText(f *testing.F) {
	for _, m := range []int64{0, 1, 2, 5} {
		b, _ := baseMul(scalarFromInt(m)).MarshalText()
		f.Add(b)
	}
	f.Add([]byte("ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var p Point
		if p.UnmarshalText(b) != nil {
			return
		}
		out, _ := p.MarshalText()
		if string(out) != string(b) {
			t.Fatalf("%s decoded and re-encoded as %s", b, out)
		}
	})
}

// FuzzScalarText: a decoded scalar re-encodes to the same text.
func FuzzScalarText(f *testing.F) {
	b, _ := scalarFromInt(-1).MarshalText()
	f.Add(b)
	f.Add([]byte("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var s Scalar
		if s.UnmarshalText(b) != nil {
			return
		}
		if out, _ := s.MarshalText(); string(out) != string(b) {
			t.Fatalf("%s decoded and re-encoded as %s", b, out)
		}
	})
}

// FuzzRecord: any JSON either fails to decode or verifies or fails with a
// numbered check; it never panics.
func FuzzRecord(f *testing.F) {
	if b, err := os.ReadFile("testdata/vectors.json"); err == nil {
		var v struct {
			Elections []struct {
				Record json.RawMessage `json:"record"`
			} `json:"elections"`
		}
		if json.Unmarshal(b, &v) == nil && len(v.Elections) > 0 {
			f.Add([]byte(v.Elections[0].Record))
		}
	}
	f.Add([]byte(`{"form":{"size":3},"cast":[{"voter":"a","weight":1,"ballot":{}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var r Record
		if json.Unmarshal(b, &r) != nil {
			return
		}
		err := Verify(r, MajorityForm(3))
		var ce *CheckError
		if err != nil && !errors.As(err, &ce) {
			t.Fatalf("Verify error %v is not a *CheckError", err)
		}
	})
}

// FuzzBallot: a cast ballot from the network never panics its verifier.
func FuzzBallot(f *testing.F) {
	rnd := seeded(30)
	_, key := mustKey(f, rnd)
	ctx := Context{BallotID: "b", Voter: "v", Key: key}
	b, _, _ := Prepare(rnd, ctx, SchulzeForm(3), SchulzePairs([]int{1, 2, 3}))
	data, _ := json.Marshal(b)
	f.Add(data)
	f.Fuzz(func(t *testing.T, data []byte) {
		var b Ballot
		if json.Unmarshal(data, &b) != nil {
			return
		}
		_ = b.Verify(ctx, SchulzeForm(3))
	})
}
