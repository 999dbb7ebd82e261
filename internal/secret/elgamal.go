package secret

import (
	"errors"
	"fmt"
	"io"
)

// Ciphertext is an exponential ElGamal ciphertext of m under key K with
// randomness r: A = r·G, B = m·G + r·K. JSON: {"a": hex, "b": hex}.
type Ciphertext struct {
	A Point `json:"a"`
	B Point `json:"b"`
}

// NewKeyPair draws a secret key x and returns it with its public key x·G.
func NewKeyPair(rnd io.Reader) (Scalar, Point, error) {
	x, err := RandomScalar(rnd)
	if err != nil {
		return Scalar{}, Point{}, err
	}
	return x, baseMul(x), nil
}

// Encrypt encrypts the small integer m under key with randomness r.
func Encrypt(key Point, m int64, r Scalar) Ciphertext {
	return Ciphertext{A: baseMul(r), B: baseMul(scalarFromInt(m)).add(key.mul(r))}
}

// Add returns the encryption of the sum of both plaintexts.
func (c Ciphertext) Add(d Ciphertext) Ciphertext {
	return Ciphertext{A: c.A.add(d.A), B: c.B.add(d.B)}
}

// Mul returns the encryption of w times the plaintext (w is public).
func (c Ciphertext) Mul(w int64) Ciphertext {
	s := scalarFromInt(w)
	return Ciphertext{A: c.A.mul(s), B: c.B.mul(s)}
}

// ZeroCiphertext is the trivial encryption of 0 (both points the identity),
// the neutral element of Add.
func ZeroCiphertext() Ciphertext { return Ciphertext{A: Identity(), B: Identity()} }

// Decrypt returns m·G for the secret key x (B − x·A).
func Decrypt(x Scalar, c Ciphertext) Point { return c.B.sub(c.A.mul(x)) }

// DLog finds small discrete logarithms m·G → m for 0 ≤ m ≤ bound by
// baby-step giant-step with a table of ⌈√(bound+1)⌉ baby steps.
type DLog struct {
	bound int64
	step  int64
	table map[[32]byte]int64
	giant Point // −step·G
}

// NewDLog precomputes the baby steps j·G, 0 ≤ j < ⌈√(bound+1)⌉.
func NewDLog(bound int64) (*DLog, error) {
	if bound < 0 || bound > 1<<40 {
		return nil, fmt.Errorf("dlog bound %d outside 0..2^40", bound)
	}
	step := int64(1)
	for step*step < bound+1 {
		step++
	}
	d := &DLog{bound: bound, step: step, table: make(map[[32]byte]int64, step)}
	p := Identity()
	for j := range step {
		d.table[[32]byte(p.Bytes())] = j
		p = p.add(generator)
	}
	d.giant = Identity().sub(p) // p = step·G
	return d, nil
}

// ErrNoLog reports a point that is not m·G for any 0 ≤ m ≤ bound.
var ErrNoLog = errors.New("no discrete logarithm within the bound")

// Find returns m with m·G = p and 0 ≤ m ≤ bound.
func (d *DLog) Find(p Point) (int64, error) {
	for i := int64(0); i*d.step <= d.bound; i++ {
		if j, ok := d.table[[32]byte(p.Bytes())]; ok && i*d.step+j <= d.bound {
			return i*d.step + j, nil
		}
		p = p.add(d.giant)
	}
	return 0, ErrNoLog
}
