package secret

import (
	"errors"
	"fmt"
	"io"
)

// Form says what a ballot must encrypt: Size ciphertexts, each 0 or 1, and
// for each Sum the total of the listed ciphertexts in Lo..Hi. A verifier
// derives the form from the ballot definition, never from the cast ballot.
type Form struct {
	Size int   `json:"size"`
	Sums []Sum `json:"sums"`
}

// Sum constrains the total of ciphertexts Of (indices into the ballot).
type Sum struct {
	Of []int `json:"of"`
	Lo int64 `json:"lo"`
	Hi int64 `json:"hi"`
}

// MajorityForm is one ciphertext per option, exactly one of them 1; it serves
// majority and single-seat plurality ballots.
func MajorityForm(options int) Form {
	return Form{Size: options, Sums: []Sum{{Of: upto(options), Lo: 1, Hi: 1}}}
}

// ApprovalForm is one ciphertext per option with between 0 and max of them 1.
func ApprovalForm(options, max int) Form {
	return Form{Size: options, Sums: []Sum{{Of: upto(options), Lo: 0, Hi: int64(max)}}}
}

// SchulzeForm is the pairwise matrix d[i][j] (i ≠ j, "i is preferred to j"),
// each 0 or 1, with d[i][j] + d[j][i] ≤ 1 for every pair; PairIndex gives the
// position of d[i][j].
func SchulzeForm(options int) Form {
	f := Form{Size: options * (options - 1)}
	for i := range options {
		for j := i + 1; j < options; j++ {
			f.Sums = append(f.Sums, Sum{Of: []int{PairIndex(options, i, j), PairIndex(options, j, i)}, Lo: 0, Hi: 1})
		}
	}
	return f
}

// PairIndex is the position of d[i][j] in a Schulze ballot of n options:
// row-major with the diagonal left out, i·(n−1) + j − [j > i].
func PairIndex(n, i, j int) int {
	if j > i {
		j--
	}
	return i*(n-1) + j
}

// SchulzePairs turns a ranking (rank[i] ≥ 1, smaller is preferred; 0 means
// unranked, below every ranked option) into the pairwise 0/1 vector.
func SchulzePairs(rank []int) []int64 {
	n := len(rank)
	d := make([]int64, n*(n-1))
	pos := func(r int) int {
		if r <= 0 {
			return int(^uint(0) >> 1)
		}
		return r
	}
	for i := range n {
		for j := range n {
			if i != j && pos(rank[i]) < pos(rank[j]) {
				d[PairIndex(n, i, j)] = 1
			}
		}
	}
	return d
}

func upto(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// Validate checks the form itself: indices in range, ranges sane.
func (f Form) Validate() error {
	if f.Size < 1 {
		return errors.New("form: no ciphertexts")
	}
	for k, s := range f.Sums {
		if s.Lo > s.Hi || s.Hi-s.Lo >= maxBranches || s.Lo < 0 {
			return fmt.Errorf("form: sum %d: range %d..%d not allowed", k, s.Lo, s.Hi)
		}
		for _, i := range s.Of {
			if i < 0 || i >= f.Size {
				return fmt.Errorf("form: sum %d: index %d outside 0..%d", k, i, f.Size-1)
			}
		}
	}
	return nil
}

// Check reports whether a plaintext choice fits the form.
func (f Form) Check(choice []int64) error {
	if len(choice) != f.Size {
		return fmt.Errorf("choice has %d values, want %d", len(choice), f.Size)
	}
	for i, m := range choice {
		if m != 0 && m != 1 {
			return fmt.Errorf("choice %d is %d, want 0 or 1", i, m)
		}
	}
	for k, s := range f.Sums {
		var t int64
		for _, i := range s.Of {
			t += choice[i]
		}
		if t < s.Lo || t > s.Hi {
			return fmt.Errorf("sum %d is %d, want %d..%d", k, t, s.Lo, s.Hi)
		}
	}
	return nil
}

// Context binds a ballot's proofs to one secret ballot, one voter and the
// joint key: a proof made for one context fails in any other.
type Context struct {
	BallotID string // the ballot's identifier in the community
	Voter    string // the voter's identifier (e.g. their key id), public
	Key      Point  // the joint public key
}

// Ballot is an encrypted, proved ballot. JSON:
// {"ciphertexts": [...], "bit_proofs": [...], "sum_proofs": [...]}.
type Ballot struct {
	Ciphertexts []Ciphertext `json:"ciphertexts"`
	BitProofs   []RangeProof `json:"bit_proofs"`
	SumProofs   []RangeProof `json:"sum_proofs"`
}

// Opening is what the voter's device keeps to audit a prepared ballot
// (Benaloh challenge): the choice and the randomness of each ciphertext.
// Revealing it makes the ballot unusable for casting.
type Opening struct {
	Choice     []int64  `json:"choice"`
	Randomness []Scalar `json:"randomness"`
}

// statementHash hashes everything a ballot's proofs stand on: ballot id,
// voter, joint key, the form and every ciphertext.
func statementHash(ctx Context, f Form, cts []Ciphertext) []byte {
	t := newTranscript(domainStatement).str(ctx.BallotID).str(ctx.Voter).points(ctx.Key)
	t.int(int64(f.Size)).int(int64(len(f.Sums)))
	for _, s := range f.Sums {
		t.int(int64(len(s.Of)))
		for _, i := range s.Of {
			t.int(int64(i))
		}
		t.int(s.Lo).int(s.Hi)
	}
	t.int(int64(len(cts)))
	for _, c := range cts {
		t.points(c.A, c.B)
	}
	return t.sum()
}

func sumOf(s Sum, cts []Ciphertext) Ciphertext {
	t := ZeroCiphertext()
	for _, i := range s.Of {
		t = t.Add(cts[i])
	}
	return t
}

// Prepare encrypts and proves a choice that fits the form.
func Prepare(rnd io.Reader, ctx Context, f Form, choice []int64) (Ballot, Opening, error) {
	if err := f.Validate(); err != nil {
		return Ballot{}, Opening{}, err
	}
	if err := f.Check(choice); err != nil {
		return Ballot{}, Opening{}, err
	}
	o := Opening{Choice: append([]int64(nil), choice...), Randomness: make([]Scalar, f.Size)}
	b := Ballot{Ciphertexts: make([]Ciphertext, f.Size)}
	for i, m := range choice {
		r, err := RandomScalar(rnd)
		if err != nil {
			return Ballot{}, Opening{}, err
		}
		o.Randomness[i] = r
		b.Ciphertexts[i] = Encrypt(ctx.Key, m, r)
	}
	h := statementHash(ctx, f, b.Ciphertexts)
	for i, m := range choice {
		p, err := proveRange(rnd, rangeStatement{h, "bit", i}, ctx.Key, b.Ciphertexts[i], m, o.Randomness[i], 0, 1)
		if err != nil {
			return Ballot{}, Opening{}, err
		}
		b.BitProofs = append(b.BitProofs, p)
	}
	for k, s := range f.Sums {
		r, m := scalarFromInt(0), int64(0)
		for _, i := range s.Of {
			r, m = r.add(o.Randomness[i]), m+choice[i]
		}
		p, err := proveRange(rnd, rangeStatement{h, "sum", k}, ctx.Key, sumOf(s, b.Ciphertexts), m, r, s.Lo, s.Hi)
		if err != nil {
			return Ballot{}, Opening{}, err
		}
		b.SumProofs = append(b.SumProofs, p)
	}
	return b, o, nil
}

// Verify checks the shape of the ballot and every proof against the form:
// each proof's challenge, then all their equations in one batch; only when
// the batch fails are the proofs checked one by one to name the bad one.
func (b Ballot) Verify(ctx Context, f Form) error {
	if err := Complete(b); err != nil {
		return err
	}
	if len(b.Ciphertexts) != f.Size || len(b.BitProofs) != f.Size || len(b.SumProofs) != len(f.Sums) {
		return fmt.Errorf("ballot has %d ciphertexts, %d bit proofs and %d sum proofs, want %d, %d and %d",
			len(b.Ciphertexts), len(b.BitProofs), len(b.SumProofs), f.Size, f.Size, len(f.Sums))
	}
	h := statementHash(ctx, f, b.Ciphertexts)
	seed := newTranscript(domainBatch).bytes(h)
	proofs := b.proofs(h, f)
	for _, pr := range proofs {
		if err := pr.proof.checkShape(pr.st, pr.lo, pr.hi); err != nil {
			return pr.fail(err)
		}
		seed.points(pr.proof.Commitments...)
		for k := range pr.proof.C {
			seed.bytes(pr.proof.C[k].Bytes()).bytes(pr.proof.V[k].Bytes())
		}
	}
	bt, z := newBatch(f.Size), weights(seed.sum())
	for _, pr := range proofs {
		bt.add(pr.of, pr.lo, pr.proof, z)
	}
	if bt.holds(ctx.Key, b.Ciphertexts) {
		return nil
	}
	for _, pr := range proofs {
		if err := verifyRange(pr.st, ctx.Key, sumOf(Sum{Of: pr.of}, b.Ciphertexts), pr.lo, pr.hi, pr.proof); err != nil {
			return pr.fail(err)
		}
	}
	return errProof // unreachable unless the batch and the single checks disagree
}

// ballotProof is one range proof of a ballot with what it proves.
type ballotProof struct {
	st     rangeStatement
	of     []int
	lo, hi int64
	proof  RangeProof
}

func (pr ballotProof) fail(err error) error {
	if pr.st.label == "bit" {
		return fmt.Errorf("ciphertext %d: 0/1 proof: %w", pr.st.index, err)
	}
	return fmt.Errorf("sum %d (%d..%d): range proof: %w", pr.st.index, pr.lo, pr.hi, err)
}

// proofs lists the bit proofs, then the sum proofs, in order.
func (b Ballot) proofs(h []byte, f Form) []ballotProof {
	out := make([]ballotProof, 0, f.Size+len(f.Sums))
	for i, p := range b.BitProofs {
		out = append(out, ballotProof{rangeStatement{h, "bit", i}, []int{i}, 0, 1, p})
	}
	for k, s := range f.Sums {
		out = append(out, ballotProof{rangeStatement{h, "sum", k}, s.Of, s.Lo, s.Hi, b.SumProofs[k]})
	}
	return out
}

// Audit is the Benaloh challenge: it checks that the opening's randomness
// re-encrypts every ciphertext of b to the opening's choice. A ballot that
// was audited must never be cast (its randomness is public).
func Audit(ctx Context, f Form, b Ballot, o Opening) error {
	if err := f.Check(o.Choice); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	if len(o.Randomness) != f.Size || len(b.Ciphertexts) != f.Size {
		return errors.New("audit: opening and ballot do not match the form's size")
	}
	for i, c := range b.Ciphertexts {
		e := Encrypt(ctx.Key, o.Choice[i], o.Randomness[i])
		if !e.A.Equal(c.A) || !e.B.Equal(c.B) {
			return fmt.Errorf("audit: ciphertext %d does not encrypt %d", i, o.Choice[i])
		}
	}
	return nil
}
