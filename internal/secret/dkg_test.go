package secret

import (
	"errors"
	"io"
	"strings"
	"testing"
)

// trustee is one simulated trustee's device.
type trustee struct {
	poly          Polynomial
	boxPub, boxPr *[32]byte
}

// dkgRun is a whole key generation played by n simulated trustees through a
// relay that sees only sealed shares. cheat, when non-zero, makes that
// dealer send a wrong share to trustee 1 and answer the complaint badly.
type dkgRun struct {
	kg      KeyGeneration
	secrets map[int]Scalar // x_j of each trustee
	sealed  []SealedShare
	devices map[int]trustee
}

func runDKG(t testing.TB, rnd io.Reader, p Params, cheat int) dkgRun {
	t.Helper()
	ts := map[int]trustee{}
	var cs []Commitment
	for j := 1; j <= p.Trustees; j++ {
		f, err := NewPolynomial(rnd, p, j)
		if err != nil {
			t.Fatal(err)
		}
		pub, pr, err := NewBoxKey(rnd)
		if err != nil {
			t.Fatal(err)
		}
		ts[j] = trustee{f, pub, pr}
		c, err := f.Commitment(rnd, p)
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	run := dkgRun{secrets: map[int]Scalar{}, devices: ts}
	for d := 1; d <= p.Trustees; d++ {
		for r := 1; r <= p.Trustees; r++ {
			s, err := ts[d].poly.Seal(rnd, p, r, ts[r].boxPub, ts[d].boxPr)
			if err != nil {
				t.Fatal(err)
			}
			if d == cheat && r == 1 {
				bad := ts[d].poly
				bad.Coefficients = append([]Scalar{scalarFromInt(7)}, bad.Coefficients[1:]...)
				s, _ = bad.Seal(rnd, p, r, ts[r].boxPub, ts[d].boxPr)
			}
			run.sealed = append(run.sealed, s)
		}
	}
	var complaints []Complaint
	var reveals []Reveal
	received := map[int]map[int]Scalar{}
	for _, s := range run.sealed {
		if received[s.Recipient] == nil {
			received[s.Recipient] = map[int]Scalar{}
		}
		v, err := s.Open(p, cs[s.Dealer-1], ts[s.Dealer].boxPub, ts[s.Recipient].boxPr)
		if err != nil {
			complaints = append(complaints, Complaint{Dealer: s.Dealer, Recipient: s.Recipient})
			reveals = append(reveals, Reveal{Dealer: s.Dealer, Recipient: s.Recipient, Share: scalarFromInt(7)})
			continue
		}
		received[s.Recipient][s.Dealer] = v
	}
	kg, err := NewKeyGeneration(p, cs, complaints, reveals)
	if err != nil {
		t.Fatal(err)
	}
	run.kg = kg
	for j := 1; j <= p.Trustees; j++ {
		x, err := kg.SecretShare(received[j])
		if err != nil {
			t.Fatal(err)
		}
		run.secrets[j] = x
	}
	return run
}

func TestDKGThresholdDecryption(t *testing.T) {
	rnd := seeded(4)
	p := Params{BallotID: "b1", Trustees: 3, Threshold: 2}
	run := runDKG(t, rnd, p, 0)
	if err := run.kg.Verify(); err != nil {
		t.Fatal(err)
	}
	for j, x := range run.secrets {
		if !baseMul(x).Equal(run.kg.TrusteeKey(j)) {
			t.Fatalf("trustee %d: secret share does not match its public share", j)
		}
	}
	r, _ := RandomScalar(rnd)
	aggs := []Ciphertext{Encrypt(run.kg.Key, 42, r), Encrypt(run.kg.Key, 0, r)}
	shares := map[int]DecryptionShare{}
	for j, x := range run.secrets {
		s, err := NewDecryptionShare(rnd, p.BallotID, run.kg.Key, j, x, aggs)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Verify(p.BallotID, run.kg.Key, run.kg.TrusteeKey(j), aggs); err != nil {
			t.Fatal(err)
		}
		shares[j] = s
	}
	for _, set := range [][]int{{1, 2}, {1, 3}, {2, 3}, {1, 2, 3}} {
		var ss []DecryptionShare
		for _, j := range set {
			ss = append(ss, shares[j])
		}
		m, err := Combine(p.Threshold, aggs, ss)
		if err != nil {
			t.Fatal(err)
		}
		if !m[0].Equal(baseMul(scalarFromInt(42))) || !m[1].IsIdentity() {
			t.Fatalf("trustees %v: wrong plaintexts", set)
		}
	}
	t.Run("one share below the threshold does not decrypt", func(t *testing.T) {
		if _, err := Combine(p.Threshold, aggs, []DecryptionShare{shares[2]}); err == nil {
			t.Fatal("Combine accepted one share with threshold 2")
		}
		// Interpolating one share anyway (λ = 1) gives x₂·A, not x·A.
		m := aggs[0].B.sub(shares[2].Parts[0])
		if m.Equal(baseMul(scalarFromInt(42))) {
			t.Fatal("a single share decrypted")
		}
	})
	t.Run("a share for another trustee fails its proof", func(t *testing.T) {
		s := shares[1]
		if err := s.Verify(p.BallotID, run.kg.Key, run.kg.TrusteeKey(2), aggs); err == nil {
			t.Fatal("share verified against another trustee's key")
		}
		s.Parts = []Point{s.Parts[0].add(generator), s.Parts[1]}
		err := s.Verify(p.BallotID, run.kg.Key, run.kg.TrusteeKey(1), aggs)
		if !errors.Is(err, errProof) || !strings.Contains(err.Error(), "part 0") {
			t.Fatalf("tampered part: %v", err)
		}
	})
}

func TestDKGBadShareIsNamed(t *testing.T) {
	p := Params{BallotID: "b1", Trustees: 3, Threshold: 2}
	run := runDKG(t, seeded(5), p, 2)
	if len(run.kg.Complaints) != 1 || run.kg.Complaints[0] != (Complaint{Dealer: 2, Recipient: 1}) {
		t.Fatalf("complaints = %v, want trustee 1 against trustee 2", run.kg.Complaints)
	}
	_, dq, err := Qualify(p, run.kg.Commitments, run.kg.Complaints, run.kg.Reveals)
	if err != nil {
		t.Fatal(err)
	}
	if e := dq[2]; e == nil || !strings.Contains(e.Error(), "share of trustee 2 for trustee 1") {
		t.Fatalf("disqualified = %v, want trustee 2 named", dq)
	}
	if got := run.kg.Qualified; len(got) != 2 || got[0] != 1 || got[1] != 3 {
		t.Fatalf("qualified = %v, want [1 3]", got)
	}
	if err := run.kg.Verify(); err != nil {
		t.Fatal(err)
	}
	// The key still decrypts with two trustees.
	r, _ := RandomScalar(seeded(6))
	aggs := []Ciphertext{Encrypt(run.kg.Key, 5, r)}
	var ss []DecryptionShare
	for _, j := range []int{2, 3} {
		s, _ := NewDecryptionShare(seeded(7), p.BallotID, run.kg.Key, j, run.secrets[j], aggs)
		ss = append(ss, s)
	}
	m, err := Combine(2, aggs, ss)
	if err != nil || !m[0].Equal(baseMul(scalarFromInt(5))) {
		t.Fatalf("Combine after disqualification: %v", err)
	}
	t.Run("unanswered complaint disqualifies", func(t *testing.T) {
		_, dq, _ := Qualify(p, run.kg.Commitments, run.kg.Complaints, nil)
		if dq[2] == nil || !strings.Contains(dq[2].Error(), "did not answer") {
			t.Fatalf("disqualified = %v", dq)
		}
	})
	t.Run("false complaint answered by the right share keeps the dealer", func(t *testing.T) {
		cs := append(run.kg.Complaints, Complaint{Dealer: 1, Recipient: 2})
		rs := append(run.kg.Reveals, Reveal{Dealer: 1, Recipient: 2, Share: run.devices[1].poly.Share(2)})
		q, dq, err := Qualify(p, run.kg.Commitments, cs, rs)
		if err != nil || len(q) != 2 || q[0] != 1 || dq[1] != nil {
			t.Fatalf("qualified = %v, disqualified = %v, err = %v; want trustee 1 kept", q, dq, err)
		}
	})
	t.Run("too few qualified", func(t *testing.T) {
		_, _, err := Qualify(p, run.kg.Commitments[:2], run.kg.Complaints, nil)
		if !errors.Is(err, ErrTooFewQualified) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("tampered key", func(t *testing.T) {
		kg := run.kg
		kg.Key = kg.Key.add(generator)
		if err := kg.Verify(); err == nil {
			t.Fatal("Verify accepted a tampered joint key")
		}
	})
	t.Run("relay moves a sealed share", func(t *testing.T) {
		// A sealed share is bound to its recipient: relabelled, it does not
		// open even with the right box keys.
		s := run.sealed[4] // dealer 2 → recipient 2
		s.Recipient = 3
		if _, err := s.Open(p, run.kg.Commitments[1], run.devices[2].boxPub, run.devices[2].boxPr); err == nil {
			t.Fatal("moved share opened")
		}
	})
}

func TestCommitmentProofs(t *testing.T) {
	p := Params{BallotID: "b1", Trustees: 3, Threshold: 2}
	f, _ := NewPolynomial(seeded(8), p, 1)
	c, _ := f.Commitment(seeded(8), p)
	if err := c.Verify(p); err != nil {
		t.Fatal(err)
	}
	if err := c.Verify(Params{BallotID: "b2", Trustees: 3, Threshold: 2}); err == nil {
		t.Fatal("commitment verified for another ballot")
	}
	c.Coefficients[1] = c.Coefficients[1].add(generator)
	if err := c.Verify(p); !errors.Is(err, errProof) {
		t.Fatalf("tampered coefficient: %v", err)
	}
}
