package secret

import (
	"errors"
	"fmt"
	"io"
)

// RangeProof shows that a ciphertext (A, B) under key K encrypts one of the
// integers lo..hi, without saying which: a disjunctive Chaum–Pedersen proof
// (Cramer–Damgård–Schoenmakers), carrying its commitments as ElectionGuard
// 1.0 does so that a verifier can check many proofs in one multi-scalar
// multiplication. For branch k (value j = lo+k) the commitments satisfy
//
//	aₖ = vₖ·G − cₖ·A,   bₖ = vₖ·K − cₖ·(B − j·G)
//
// and Σ cₖ equals the challenge hashed over the statement and every aₖ, bₖ.
// A 0/1 proof is the range [0, 1].
type RangeProof struct {
	Commitments []Point  `json:"commitments"` // a₀, b₀, a₁, b₁, …
	C           []Scalar `json:"c"`
	V           []Scalar `json:"v"`
}

// maxBranches bounds the work one range proof can ask of a verifier.
const maxBranches = 1024

// rangeStatement is what a range challenge binds besides the commitments:
// the ballot statement hash and which ciphertext of the ballot is proved.
type rangeStatement struct {
	statement []byte // statementHash of the whole ballot
	label     string // "bit" or "sum"
	index     int
}

// challenge hashes the statement hash (which holds the ballot id, voter,
// joint key, form and every ciphertext), which ciphertext or sum is proved,
// its range and every commitment.
func (st rangeStatement) challenge(lo, hi int64, commits []Point) Scalar {
	t := newTranscript(domainRange).bytes(st.statement).str(st.label).int(int64(st.index)).int(lo).int(hi)
	return t.points(commits...).challenge()
}

// commit recomputes a = v·g1 − c·h1 and b = v·g2 − c·h2.
func commit(g1, h1, g2, h2 Point, c, v Scalar) (Point, Point) {
	nc := c.neg()
	return lincomb([]Scalar{v, nc}, []Point{g1, h1}), lincomb([]Scalar{v, nc}, []Point{g2, h2})
}

func proveRange(rnd io.Reader, st rangeStatement, key Point, ct Ciphertext, m int64, r Scalar, lo, hi int64) (RangeProof, error) {
	if lo > hi || hi-lo >= maxBranches {
		return RangeProof{}, fmt.Errorf("range %d..%d not allowed", lo, hi)
	}
	if m < lo || m > hi {
		return RangeProof{}, fmt.Errorf("value %d outside %d..%d", m, lo, hi)
	}
	n := int(hi - lo + 1)
	p := RangeProof{C: make([]Scalar, n), V: make([]Scalar, n)}
	commits := make([]Point, 2*n)
	honest := int(m - lo)
	var u Scalar
	h2 := shift(ct.B, lo)
	for k := range n {
		var err error
		if k == honest {
			if u, err = RandomScalar(rnd); err != nil {
				return RangeProof{}, err
			}
			commits[2*k], commits[2*k+1] = baseMul(u), key.mul(u)
		} else {
			if p.C[k], err = RandomScalar(rnd); err != nil {
				return RangeProof{}, err
			}
			if p.V[k], err = RandomScalar(rnd); err != nil {
				return RangeProof{}, err
			}
			commits[2*k], commits[2*k+1] = commit(generator, ct.A, key, h2, p.C[k], p.V[k])
		}
		h2 = h2.sub(generator)
	}
	c := st.challenge(lo, hi, commits)
	for k := range n {
		if k != honest {
			c = c.sub(p.C[k])
		}
	}
	p.C[honest] = c
	p.V[honest] = u.add(c.mul(r))
	p.Commitments = commits
	return p, nil
}

var errProof = errors.New("proof does not verify")

// shift returns B − lo·G, cheaply for the common lo of 0 and 1.
func shift(b Point, lo int64) Point {
	switch lo {
	case 0:
		return b
	case 1:
		return b.sub(generator)
	}
	return b.sub(baseMul(scalarFromInt(lo)))
}

// checkShape checks the proof's lengths and its challenge: Σ cₖ against the
// hash of the statement and the given commitments.
func (p RangeProof) checkShape(st rangeStatement, lo, hi int64) error {
	if lo > hi || hi-lo >= maxBranches {
		return fmt.Errorf("range %d..%d not allowed", lo, hi)
	}
	n := int(hi - lo + 1)
	if len(p.C) != n || len(p.V) != n || len(p.Commitments) != 2*n {
		return fmt.Errorf("proof has %d commitments, %d challenges and %d responses, want %d, %d and %d",
			len(p.Commitments), len(p.C), len(p.V), 2*n, n, n)
	}
	sum := scalarFromInt(0)
	for _, c := range p.C {
		sum = sum.add(c)
	}
	if !st.challenge(lo, hi, p.Commitments).Equal(sum) {
		return errProof
	}
	return nil
}

// verifyRange checks one proof completely, equation by equation.
func verifyRange(st rangeStatement, key Point, ct Ciphertext, lo, hi int64, p RangeProof) error {
	if err := p.checkShape(st, lo, hi); err != nil {
		return err
	}
	h2 := shift(ct.B, lo)
	for k := range p.C {
		a, b := commit(generator, ct.A, key, h2, p.C[k], p.V[k])
		if !a.Equal(p.Commitments[2*k]) || !b.Equal(p.Commitments[2*k+1]) {
			return errProof
		}
		h2 = h2.sub(generator)
	}
	return nil
}

// batch sums the equations of a ballot's range proofs, each times a weight
// z derived from a hash of the whole ballot and its proofs:
//
//	Σ z·(v·G − c·A − a) + z′·(v·K − c·(B − j·G) − b) = 0,
//
// where (A, B) is the proved ciphertext or the sum of the listed ones. One
// failing equation makes the sum non-zero except with probability 2⁻¹²⁸.
type batch struct {
	g, k   Scalar
	ab     []Scalar // coefficients of the ballot's ciphertexts: A₀, B₀, A₁, …
	coeffs []Scalar // coefficients of the commitments
	points []Point
}

func newBatch(size int) *batch {
	b := &batch{g: scalarFromInt(0), k: scalarFromInt(0), ab: make([]Scalar, 2*size)}
	for i := range b.ab {
		b.ab[i] = scalarFromInt(0)
	}
	return b
}

// add puts the proof of the sum of ciphertexts of (one index for a bit
// proof) into the batch, with weights z(0), z(1), … for its equations.
func (b *batch) add(of []int, lo int64, p RangeProof, z func() Scalar) {
	xa, xb := scalarFromInt(0), scalarFromInt(0)
	for k := range p.C {
		c, v := p.C[k], p.V[k]
		z1, z2 := z(), z()
		b.g = b.g.add(z1.mul(v)).add(z2.mul(c).mul(scalarFromInt(lo + int64(k))))
		b.k = b.k.add(z2.mul(v))
		xa, xb = xa.add(z1.mul(c)), xb.add(z2.mul(c))
		b.coeffs = append(b.coeffs, z1.neg(), z2.neg())
		b.points = append(b.points, p.Commitments[2*k], p.Commitments[2*k+1])
	}
	for _, i := range of {
		b.ab[2*i], b.ab[2*i+1] = b.ab[2*i].sub(xa), b.ab[2*i+1].sub(xb)
	}
}

// holds reports whether the weighted sum of all equations is the identity.
func (b *batch) holds(key Point, cts []Ciphertext) bool {
	s := append([]Scalar{b.g, b.k}, b.ab...)
	ps := make([]Point, 0, len(s)+len(b.points))
	ps = append(ps, generator, key)
	for _, c := range cts {
		ps = append(ps, c.A, c.B)
	}
	return lincomb(append(s, b.coeffs...), append(ps, b.points...)).IsIdentity()
}

// weights returns a generator of 128-bit weights from the seed:
// zₑ = the first 16 bytes of SHA-512(seed ‖ e), little-endian.
func weights(seed []byte) func() Scalar {
	var e int64
	return func() Scalar {
		d := newTranscript(domainBatch).bytes(seed).int(e).sum()
		e++
		var b [32]byte
		copy(b[:16], d)
		z, _ := ScalarFromBytes(b[:])
		return z
	}
}

// DLEQProof shows log_G X = log_A D (Chaum–Pedersen): the verifier
// recomputes a = v·G − c·X, b = v·A − c·D and checks c against the hash.
type DLEQProof struct {
	C Scalar `json:"c"`
	V Scalar `json:"v"`
}

// SchnorrProof shows knowledge of log_G P: a = v·G − c·P.
type SchnorrProof struct {
	C Scalar `json:"c"`
	V Scalar `json:"v"`
}
