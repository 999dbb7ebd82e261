package secret

import (
	"fmt"
	"io"
	"slices"
)

// DecryptionShare is trustee j's part of decrypting the aggregates:
// Parts[i] = x_j·Aᵢ, each with a DLEQ proof that log_G X_j = log_{Aᵢ} Parts[i].
type DecryptionShare struct {
	Trustee int         `json:"trustee"`
	Parts   []Point     `json:"parts"`
	Proofs  []DLEQProof `json:"proofs"`
}

func dleqChallenge(ballotID string, key Point, trustee, index int, X Point, ct Ciphertext, d, a, b Point) Scalar {
	t := newTranscript(domainDLEQ).str(ballotID).points(key).int(int64(trustee)).int(int64(index))
	return t.points(X, ct.A, ct.B, d, a, b).challenge()
}

// NewDecryptionShare computes trustee j's decryption share of aggs with its
// secret share x.
func NewDecryptionShare(rnd io.Reader, ballotID string, key Point, trustee int, x Scalar, aggs []Ciphertext) (DecryptionShare, error) {
	X := baseMul(x)
	s := DecryptionShare{Trustee: trustee}
	for i, ct := range aggs {
		u, err := RandomScalar(rnd)
		if err != nil {
			return DecryptionShare{}, err
		}
		d := ct.A.mul(x)
		c := dleqChallenge(ballotID, key, trustee, i, X, ct, d, baseMul(u), ct.A.mul(u))
		s.Parts = append(s.Parts, d)
		s.Proofs = append(s.Proofs, DLEQProof{C: c, V: u.add(c.mul(x))})
	}
	return s, nil
}

// Verify checks the share's shape and every DLEQ proof against X, the
// trustee's public share (KeyGeneration.TrusteeKey).
func (s DecryptionShare) Verify(ballotID string, key, X Point, aggs []Ciphertext) error {
	if err := Complete(s); err != nil {
		return fmt.Errorf("trustee %d: %w", s.Trustee, err)
	}
	if len(s.Parts) != len(aggs) || len(s.Proofs) != len(aggs) {
		return fmt.Errorf("trustee %d: %d parts and %d proofs, want %d each", s.Trustee, len(s.Parts), len(s.Proofs), len(aggs))
	}
	for i, ct := range aggs {
		p, d := s.Proofs[i], s.Parts[i]
		a, b := commit(generator, X, ct.A, d, p.C, p.V)
		if !dleqChallenge(ballotID, key, s.Trustee, i, X, ct, d, a, b).Equal(p.C) {
			return fmt.Errorf("trustee %d: part %d: %w", s.Trustee, i, errProof)
		}
	}
	return nil
}

// lagrange returns λ_j = Π_{m∈set, m≠j} m/(m−j), the weight of f(j) in f(0).
func lagrange(set []int, j int) Scalar {
	num, den := scalarFromInt(1), scalarFromInt(1)
	for _, m := range set {
		if m != j {
			num = num.mul(scalarFromInt(int64(m)))
			den = den.mul(scalarFromInt(int64(m - j)))
		}
	}
	return num.mul(den.inv())
}

// Combine interpolates the shares at 0 and returns mᵢ·G = Bᵢ − Σ_j λ_j·Parts_j[i]
// for each aggregate. It needs at least threshold shares of distinct
// trustees; the shares must have been verified.
func Combine(threshold int, aggs []Ciphertext, shares []DecryptionShare) ([]Point, error) {
	set := make([]int, len(shares))
	for k, s := range shares {
		set[k] = s.Trustee
		if s.Trustee < 1 {
			return nil, fmt.Errorf("trustee %d: trustees are numbered from 1", s.Trustee)
		}
		if len(s.Parts) != len(aggs) {
			return nil, fmt.Errorf("trustee %d: %d parts, want %d", s.Trustee, len(s.Parts), len(aggs))
		}
	}
	slices.Sort(set)
	if len(slices.Compact(slices.Clone(set))) != len(set) {
		return nil, fmt.Errorf("a trustee's share is given twice: %v", set)
	}
	if len(set) < threshold {
		return nil, fmt.Errorf("%d decryption shares, the threshold is %d", len(set), threshold)
	}
	lambdas := make([]Scalar, len(shares))
	for k, s := range shares {
		lambdas[k] = lagrange(set, s.Trustee)
	}
	out := make([]Point, len(aggs))
	parts := make([]Point, len(shares))
	for i, ct := range aggs {
		for k, s := range shares {
			parts[k] = s.Parts[i]
		}
		out[i] = ct.B.sub(lincomb(lambdas, parts))
	}
	return out, nil
}
