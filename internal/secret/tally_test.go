package secret

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// election plays a whole secret ballot: DKG among 3 trustees (threshold 2),
// voters casting choices with weights, aggregation, and decryption by the
// given trustees.
func election(t testing.TB, rnd io.Reader, form Form, choices [][]int64, weights []int64, decrypting []int) Record {
	t.Helper()
	p := Params{BallotID: "ballot-7", Trustees: 3, Threshold: 2}
	run := runDKG(t, rnd, p, 0)
	rec := Record{Form: form, KeyGeneration: run.kg}
	for k, ch := range choices {
		voter := fmt.Sprintf("voter-%d", k)
		b, _, err := Prepare(rnd, Context{BallotID: p.BallotID, Voter: voter, Key: run.kg.Key}, form, ch)
		if err != nil {
			t.Fatal(err)
		}
		rec.Cast = append(rec.Cast, Cast{Voter: voter, Weight: weights[k], Ballot: b})
	}
	rec.Aggregate = Aggregate(form.Size, rec.Cast)
	for _, j := range decrypting {
		s, err := NewDecryptionShare(rnd, p.BallotID, run.kg.Key, j, run.secrets[j], rec.Aggregate)
		if err != nil {
			t.Fatal(err)
		}
		rec.Shares = append(rec.Shares, s)
	}
	counts, err := Counts(p.Threshold, rec.Aggregate, rec.Shares, TotalWeight(rec.Cast))
	if err != nil {
		t.Fatal(err)
	}
	rec.Counts = counts
	return rec
}

func recount(size int, choices [][]int64, weights []int64) []int64 {
	out := make([]int64, size)
	for k, ch := range choices {
		for i, m := range ch {
			out[i] += m * weights[k]
		}
	}
	return out
}

func TestWeightedTallyMatchesRecount(t *testing.T) {
	for _, tc := range []struct {
		name    string
		form    Form
		choices [][]int64
		weights []int64
	}{
		{"majority", MajorityForm(3), [][]int64{{1, 0, 0}, {0, 1, 0}, {1, 0, 0}, {0, 0, 1}}, []int64{1, 5, 2, 1}},
		{"approval", ApprovalForm(3, 2), [][]int64{{1, 1, 0}, {0, 0, 0}, {0, 1, 1}}, []int64{3, 1, 2}},
		{"schulze", SchulzeForm(3), [][]int64{SchulzePairs([]int{1, 2, 3}), SchulzePairs([]int{3, 1, 0})}, []int64{2, 7}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := election(t, seeded(11), tc.form, tc.choices, tc.weights, []int{1, 3}) // trustee 2 absent
			want := recount(tc.form.Size, tc.choices, tc.weights)
			if fmt.Sprint(rec.Counts) != fmt.Sprint(want) {
				t.Fatalf("counts = %v, want %v", rec.Counts, want)
			}
			if err := Verify(rec, tc.form); err != nil {
				t.Fatal(err)
			}
			if err := Verify(clone(t, rec), tc.form); err != nil {
				t.Fatalf("after JSON round trip: %v", err)
			}
		})
	}
}

// TestVerifyNamesTheFailedCheck tampers with one field at a time.
func TestVerifyNamesTheFailedCheck(t *testing.T) {
	form := MajorityForm(3)
	choices := [][]int64{{1, 0, 0}, {0, 1, 0}, {1, 0, 0}}
	weights := []int64{1, 2, 3}
	base := election(t, seeded(12), form, choices, weights, []int{1, 2})
	if err := Verify(base, form); err != nil {
		t.Fatal(err)
	}
	cheat := dishonestSum(t, Context{BallotID: "ballot-7", Voter: "voter-1", Key: base.KeyGeneration.Key}, form, []int64{1, 1, 0})
	for _, tc := range []struct {
		name   string
		form   Form
		tamper func(r *Record)
		check  int
	}{
		{"aggregate point missing", form, func(r *Record) { r.Aggregate[0].A = Point{} }, CheckEncoding},
		{"ciphertext point missing", form, func(r *Record) { r.Cast[1].Ballot.Ciphertexts[2].B = Point{} }, CheckEncoding},
		{"tampered joint key", form, func(r *Record) { r.KeyGeneration.Key = r.KeyGeneration.Key.add(generator) }, CheckKeyGeneration},
		{"tampered commitment", form, func(r *Record) {
			c := &r.KeyGeneration.Commitments[0]
			c.Coefficients = append([]Point{c.Coefficients[0].add(generator)}, c.Coefficients[1:]...)
		}, CheckKeyGeneration},
		{"other form", ApprovalForm(3, 3), func(r *Record) {}, CheckForm},
		{"zero weight", form, func(r *Record) { r.Cast[0].Weight = 0 }, CheckCast},
		{"voter twice", form, func(r *Record) { r.Cast[1].Voter = r.Cast[0].Voter }, CheckCast},
		{"replayed ballot", form, func(r *Record) {
			r.Cast = append(r.Cast, Cast{Voter: "mallory", Weight: 1, Ballot: r.Cast[0].Ballot})
		}, CheckUnique},
		{"bad 0/1 proof", form, func(r *Record) {
			p := &r.Cast[2].Ballot.BitProofs[1]
			p.V = []Scalar{p.V[0].add(scalarFromInt(1)), p.V[1]}
		}, CheckBallots},
		{"bad proof commitment", form, func(r *Record) {
			p := &r.Cast[0].Ballot.SumProofs[0]
			p.Commitments[1] = p.Commitments[1].add(generator)
		}, CheckBallots},
		{"sum out of range", form, func(r *Record) { r.Cast[1].Ballot = cheat }, CheckBallots},
		{"wrong weight", form, func(r *Record) { r.Cast[1].Weight = 4 }, CheckAggregate},
		{"wrong aggregate", form, func(r *Record) { r.Aggregate[2].B = r.Aggregate[2].B.add(generator) }, CheckAggregate},
		{"bad share proof", form, func(r *Record) { r.Shares[1].Proofs[0].V = r.Shares[1].Proofs[0].V.add(scalarFromInt(1)) }, CheckShares},
		{"tampered share", form, func(r *Record) { r.Shares[0].Parts[0] = r.Shares[0].Parts[0].add(generator) }, CheckShares},
		{"share of an unknown trustee", form, func(r *Record) { r.Shares[0].Trustee = 4 }, CheckShares},
		{"share given twice", form, func(r *Record) { r.Shares[1] = r.Shares[0] }, CheckShares},
		{"one share below the threshold", form, func(r *Record) { r.Shares = r.Shares[:1] }, CheckCombination},
		{"wrong count", form, func(r *Record) { r.Counts[0]++ }, CheckCounts},
		{"negative count", form, func(r *Record) { r.Counts[2] = -1 }, CheckCounts},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := clone(t, base)
			tc.tamper(&r)
			err := Verify(r, tc.form)
			var ce *CheckError
			if !errors.As(err, &ce) || ce.Check != tc.check {
				t.Fatalf("Verify = %v, want check %d (%s)", err, tc.check, checkNames[tc.check])
			}
		})
	}
}

// clone deep-copies a record through JSON, which also exercises the codecs.
func clone(t testing.TB, r Record) Record {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var c Record
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRecordDecodingRefusesBadPoints: a ciphertext that is not a canonical
// group element never reaches the checks.
func TestRecordDecodingRefusesBadPoints(t *testing.T) {
	rec := election(t, seeded(13), MajorityForm(3), [][]int64{{0, 0, 1}}, []int64{1}, []int{2, 3})
	good, _ := json.Marshal(rec)
	a, _ := rec.Cast[0].Ballot.Ciphertexts[1].A.MarshalText()
	for name, bad := range map[string]string{
		"not canonical (≥ p)": "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"negative s":          "0100000000000000000000000000000000000000000000000000000000000000",
		"not on the curve":    "0200000000000000000000000000000000000000000000000000000000000000",
		"uppercase hex":       strings.ToUpper(string(a)),
	} {
		doc := strings.Replace(string(good), string(a), bad, 1)
		var r Record
		if err := json.Unmarshal([]byte(doc), &r); err == nil || !strings.Contains(err.Error(), "point") {
			t.Errorf("%s: Unmarshal = %v, want a point error", name, err)
		}
	}
}

// TestFirstFailureIsTheLowest: however the workers interleave, the verifier
// names the lowest failing index.
func TestFirstFailureIsTheLowest(t *testing.T) {
	for range 20 {
		k, err := firstFailure(1000, func(i int) error {
			if i == 977 || i == 123 || i == 124 {
				return fmt.Errorf("bad %d", i)
			}
			return nil
		})
		if k != 123 || err == nil || err.Error() != "bad 123" {
			t.Fatalf("firstFailure = %d, %v; want 123", k, err)
		}
	}
	if k, err := firstFailure(5, func(int) error { return nil }); k != -1 || err != nil {
		t.Fatalf("no failure: %d, %v", k, err)
	}
}
