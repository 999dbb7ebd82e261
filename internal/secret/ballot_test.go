package secret

import (
	"strings"
	"testing"
)

func TestBallotFormsRoundTrip(t *testing.T) {
	rnd := seeded(2)
	_, key := mustKey(t, rnd)
	ctx := Context{BallotID: "b1", Voter: "ann", Key: key}
	for _, tc := range []struct {
		name   string
		form   Form
		choice []int64
	}{
		{"majority: exactly one", MajorityForm(3), []int64{0, 1, 0}},
		{"approval: none", ApprovalForm(4, 2), []int64{0, 0, 0, 0}},
		{"approval: up to max", ApprovalForm(4, 2), []int64{1, 0, 0, 1}},
		{"schulze: ranking with tie and unranked", SchulzeForm(4), SchulzePairs([]int{1, 2, 2, 0})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, o, err := Prepare(rnd, ctx, tc.form, tc.choice)
			if err != nil {
				t.Fatal(err)
			}
			if err := b.Verify(ctx, tc.form); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if err := Audit(ctx, tc.form, b, o); err != nil {
				t.Fatalf("Audit: %v", err)
			}
			other := o
			other.Choice = append([]int64(nil), o.Choice...)
			other.Choice[0], other.Choice[1] = other.Choice[1], other.Choice[0]
			if tc.form.Check(other.Choice) == nil && other.Choice[0] != o.Choice[0] {
				if err := Audit(ctx, tc.form, b, other); err == nil {
					t.Fatal("Audit accepted another choice")
				}
			}
		})
	}
}

func TestSchulzePairs(t *testing.T) {
	d := SchulzePairs([]int{2, 1, 0})
	// n = 3: d[0][1] d[0][2] d[1][0] d[1][2] d[2][0] d[2][1]
	want := []int64{0, 1, 1, 1, 0, 0}
	for i := range want {
		if d[i] != want[i] {
			t.Fatalf("SchulzePairs = %v, want %v", d, want)
		}
	}
}

func TestBallotRejects(t *testing.T) {
	rnd := seeded(3)
	_, key := mustKey(t, rnd)
	ctx := Context{BallotID: "b1", Voter: "ann", Key: key}
	form := MajorityForm(3)
	b, _, err := Prepare(rnd, ctx, form, []int64{1, 0, 0})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Prepare(rnd, ctx, form, []int64{1, 1, 0}); err == nil {
		t.Fatal("Prepare accepted a sum of 2 on a majority ballot")
	}
	if _, _, err := Prepare(rnd, ctx, form, []int64{2, 0, 0}); err == nil {
		t.Fatal("Prepare accepted a 2")
	}
	// A dishonest client: a valid 0/1 proof per ciphertext, but 1+1+0.
	cheat := dishonestSum(t, ctx, form, []int64{1, 1, 0})
	for _, tc := range []struct {
		name  string
		ctx   Context
		b     Ballot
		wants string
	}{
		{"other voter (copied ballot)", Context{BallotID: "b1", Voter: "bob", Key: key}, b, "0/1 proof"},
		{"other ballot id", Context{BallotID: "b2", Voter: "ann", Key: key}, b, "0/1 proof"},
		{"other key", Context{BallotID: "b1", Voter: "ann", Key: generator}, b, "0/1 proof"},
		{"swapped ciphertexts", ctx, swapped(b), "0/1 proof"},
		{"encrypts 2", ctx, encryptsTwo(t, ctx, form), "0/1 proof"},
		{"sum out of range", ctx, cheat, "sum 0 (1..1): range proof"},
		{"missing proof", ctx, Ballot{Ciphertexts: b.Ciphertexts, BitProofs: b.BitProofs}, "want 3, 3 and 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.b.Verify(tc.ctx, form)
			if err == nil || !strings.Contains(err.Error(), tc.wants) {
				t.Fatalf("Verify = %v, want an error containing %q", err, tc.wants)
			}
		})
	}
}

func swapped(b Ballot) Ballot {
	c := b
	c.Ciphertexts = append([]Ciphertext(nil), b.Ciphertexts...)
	c.Ciphertexts[0], c.Ciphertexts[1] = c.Ciphertexts[1], c.Ciphertexts[0]
	return c
}

// dishonestSum proves each ciphertext 0/1 honestly and then forges nothing:
// it proves the sum against the range the sum really has, which the form's
// range then refuses.
func dishonestSum(t *testing.T, ctx Context, f Form, choice []int64) Ballot {
	t.Helper()
	rnd := seeded(9)
	b := Ballot{}
	rs := make([]Scalar, len(choice))
	for i, m := range choice {
		rs[i], _ = RandomScalar(rnd)
		b.Ciphertexts = append(b.Ciphertexts, Encrypt(ctx.Key, m, rs[i]))
	}
	h := statementHash(ctx, f, b.Ciphertexts)
	var total int64
	r := scalarFromInt(0)
	for i, m := range choice {
		p, err := proveRange(rnd, rangeStatement{h, "bit", i}, ctx.Key, b.Ciphertexts[i], m, rs[i], 0, 1)
		if err != nil {
			t.Fatal(err)
		}
		b.BitProofs = append(b.BitProofs, p)
		total, r = total+m, r.add(rs[i])
	}
	p, err := proveRange(rnd, rangeStatement{h, "sum", 0}, ctx.Key, sumOf(f.Sums[0], b.Ciphertexts), total, r, total, total)
	if err != nil {
		t.Fatal(err)
	}
	b.SumProofs = []RangeProof{p}
	return b
}

// encryptsTwo puts a 2 in the first ciphertext with a "proof" made as if it were 1.
func encryptsTwo(t *testing.T, ctx Context, f Form) Ballot {
	t.Helper()
	rnd := seeded(10)
	b, o, err := Prepare(rnd, ctx, f, []int64{1, 0, 0})
	if err != nil {
		t.Fatal(err)
	}
	b.Ciphertexts[0] = Encrypt(ctx.Key, 2, o.Randomness[0])
	h := statementHash(ctx, f, b.Ciphertexts)
	p, _ := proveRange(rnd, rangeStatement{h, "bit", 0}, ctx.Key, b.Ciphertexts[0], 1, o.Randomness[0], 0, 1)
	b.BitProofs[0] = p
	return b
}
