package secret

import (
	"errors"
	"fmt"
	"io"
)

// RangeProof shows that a ciphertext (A, B) under key K encrypts one of the
// integers lo..hi, without saying which: a disjunctive Chaum–Pedersen proof
// (Cramer–Damgård–Schoenmakers), in ElectionGuard 2.0's compact form. For
// branch k (value j = lo+k) the verifier recomputes the commitments
//
//	aₖ = vₖ·G − cₖ·A,   bₖ = vₖ·K − cₖ·(B − j·G)
//
// and accepts when Σ cₖ equals the challenge hashed over the statement and
// every aₖ, bₖ. A 0/1 proof is the range [0, 1].
type RangeProof struct {
	C []Scalar `json:"c"`
	V []Scalar `json:"v"`
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

func verifyRange(st rangeStatement, key Point, ct Ciphertext, lo, hi int64, p RangeProof) error {
	if lo > hi || hi-lo >= maxBranches {
		return fmt.Errorf("range %d..%d not allowed", lo, hi)
	}
	n := int(hi - lo + 1)
	if len(p.C) != n || len(p.V) != n {
		return fmt.Errorf("proof has %d challenges and %d responses, want %d each", len(p.C), len(p.V), n)
	}
	commits := make([]Point, 2*n)
	h2 := shift(ct.B, lo)
	sum := scalarFromInt(0)
	for k := range n {
		commits[2*k], commits[2*k+1] = commit(generator, ct.A, key, h2, p.C[k], p.V[k])
		sum = sum.add(p.C[k])
		h2 = h2.sub(generator)
	}
	if !st.challenge(lo, hi, commits).Equal(sum) {
		return errProof
	}
	return nil
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
