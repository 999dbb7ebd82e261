package secret

import (
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// Cast is one counted ballot: who cast it and with what weight (both public:
// the delegation resolution is recomputable) and the encrypted ballot.
type Cast struct {
	Voter  string `json:"voter"`
	Weight int64  `json:"weight"`
	Ballot Ballot `json:"ballot"`
}

// Record is the public evidence of a secret ballot's count: the form, the
// key generation, every cast ballot, the aggregates, the trustees'
// decryption shares and the counts.
type Record struct {
	Form          Form              `json:"form"`
	KeyGeneration KeyGeneration     `json:"key_generation"`
	Cast          []Cast            `json:"cast"`
	Aggregate     []Ciphertext      `json:"aggregate"`
	Shares        []DecryptionShare `json:"shares"`
	Counts        []int64           `json:"counts"`
}

// UnmarshalJSON decodes the cast ballots on every CPU: each point's
// decoding costs a field inversion, and a large record holds millions.
func (r *Record) UnmarshalJSON(data []byte) error {
	type plain Record
	var shadow struct {
		plain
		Cast []json.RawMessage `json:"cast"`
	}
	if err := json.Unmarshal(data, &shadow); err != nil {
		return err
	}
	*r = Record(shadow.plain)
	r.Cast = make([]Cast, len(shadow.Cast))
	_, err := firstFailure(len(shadow.Cast), func(k int) error {
		if err := json.Unmarshal(shadow.Cast[k], &r.Cast[k]); err != nil {
			return fmt.Errorf("cast %d: %w", k, err)
		}
		return nil
	})
	return err
}

// MaxTotalWeight bounds the total weight, and so each count and the
// discrete logarithm search.
const MaxTotalWeight = 1 << 40

// Aggregate returns Π cᵢ^wᵢ per position: the encryption of each position's
// weighted sum. Ballots of equal weight are added first, so the work is one
// point addition per ciphertext and one multiplication per distinct weight.
func Aggregate(size int, cast []Cast) []Ciphertext {
	byWeight := map[int64][]Ciphertext{}
	for _, c := range cast {
		s, ok := byWeight[c.Weight]
		if !ok {
			s = make([]Ciphertext, size)
			for i := range s {
				s[i] = ZeroCiphertext()
			}
			byWeight[c.Weight] = s
		}
		for i, ct := range c.Ballot.Ciphertexts[:size] {
			s[i] = s[i].Add(ct)
		}
	}
	out := make([]Ciphertext, size)
	for i := range out {
		out[i] = ZeroCiphertext()
	}
	weights := make([]int64, 0, len(byWeight))
	for w := range byWeight {
		weights = append(weights, w)
	}
	slices.Sort(weights)
	for _, w := range weights {
		for i, ct := range byWeight[w] {
			out[i] = out[i].Add(ct.Mul(w))
		}
	}
	return out
}

// TotalWeight sums the cast weights.
func TotalWeight(cast []Cast) int64 {
	var t int64
	for _, c := range cast {
		t += c.Weight
	}
	return t
}

// Counts combines at least threshold verified decryption shares and finds
// each count by baby-step giant-step, bounded by the total weight.
func Counts(threshold int, aggs []Ciphertext, shares []DecryptionShare, totalWeight int64) ([]int64, error) {
	ms, err := Combine(threshold, aggs, shares)
	if err != nil {
		return nil, err
	}
	d, err := NewDLog(totalWeight)
	if err != nil {
		return nil, err
	}
	counts := make([]int64, len(ms))
	for i, m := range ms {
		if counts[i], err = d.Find(m); err != nil {
			return nil, fmt.Errorf("count %d: %w", i, err)
		}
	}
	return counts, nil
}

// The verifier's numbered checks, in the order they run.
const (
	CheckEncoding      = 1 + iota // every point present (decoding already refused non-canonical ones)
	CheckKeyGeneration            // commitments, complaints, qualified set, joint key
	CheckForm                     // the record's form is the one the ballot definition gives
	CheckCast                     // voters distinct and named, weights 1..MaxTotalWeight
	CheckUnique                   // no ciphertext appears twice (replayed ballots)
	CheckBallots                  // every 0/1 proof and sum range proof
	CheckAggregate                // the aggregates equal Π cᵢ^wᵢ recomputed
	CheckShares                   // each trustee once, each DLEQ proof against X_j
	CheckCombination              // at least threshold shares combine by Lagrange at 0
	CheckCounts                   // counts[i]·G equals each combined point, 0 ≤ count ≤ total weight
)

var checkNames = map[int]string{
	CheckEncoding: "encoding", CheckKeyGeneration: "key generation", CheckForm: "ballot form", CheckCast: "voters and weights",
	CheckUnique: "ciphertext uniqueness", CheckBallots: "ballot validity proofs", CheckAggregate: "weighted aggregate",
	CheckShares: "decryption share proofs", CheckCombination: "share combination", CheckCounts: "counts",
}

// CheckError names the first failed check.
type CheckError struct {
	Check int
	Err   error
}

func (e *CheckError) Error() string {
	return fmt.Sprintf("check %d (%s): %v", e.Check, checkNames[e.Check], e.Err)
}

func (e *CheckError) Unwrap() error { return e.Err }

func fail(check int, format string, a ...any) error {
	return &CheckError{Check: check, Err: fmt.Errorf(format, a...)}
}

// Verify runs every check on the record, against the form the verifier
// derived from the ballot definition, and returns the first failure as a
// *CheckError.
func Verify(rec Record, want Form) error {
	kg := rec.KeyGeneration
	p := kg.Params
	if err := Complete(rec); err != nil {
		return &CheckError{CheckEncoding, err}
	}
	if err := kg.Verify(); err != nil {
		return &CheckError{CheckKeyGeneration, err}
	}
	if err := want.Validate(); err != nil {
		return &CheckError{CheckForm, err}
	}
	if !formEqual(rec.Form, want) {
		return fail(CheckForm, "the record's form differs from the ballot definition's")
	}
	voters := make(map[string]bool, len(rec.Cast))
	var total int64
	for k, c := range rec.Cast {
		switch {
		case c.Voter == "" || voters[c.Voter]:
			return fail(CheckCast, "cast %d: voter %q is empty or appears twice", k, c.Voter)
		case c.Weight < 1 || c.Weight > MaxTotalWeight-total:
			return fail(CheckCast, "cast %d (voter %q): weight %d outside 1..%d", k, c.Voter, c.Weight, MaxTotalWeight-total)
		case len(c.Ballot.Ciphertexts) != want.Size:
			return fail(CheckCast, "cast %d (voter %q): %d ciphertexts, want %d", k, c.Voter, len(c.Ballot.Ciphertexts), want.Size)
		}
		voters[c.Voter] = true
		total += c.Weight
	}
	seen := make(map[[32]byte]int, len(rec.Cast)*want.Size)
	for k, c := range rec.Cast {
		for i, ct := range c.Ballot.Ciphertexts {
			a := [32]byte(ct.A.Bytes())
			if prev, dup := seen[a]; dup {
				return fail(CheckUnique, "cast %d (voter %q): ciphertext %d repeats one of cast %d", k, c.Voter, i, prev)
			}
			seen[a] = k
		}
	}
	if k, err := firstFailure(len(rec.Cast), func(k int) error {
		c := rec.Cast[k]
		return c.Ballot.Verify(Context{BallotID: p.BallotID, Voter: c.Voter, Key: kg.Key}, want)
	}); err != nil {
		return fail(CheckBallots, "cast %d (voter %q): %w", k, rec.Cast[k].Voter, err)
	}
	agg := Aggregate(want.Size, rec.Cast)
	if len(rec.Aggregate) != want.Size {
		return fail(CheckAggregate, "%d aggregates, want %d", len(rec.Aggregate), want.Size)
	}
	for i := range agg {
		if !agg[i].A.Equal(rec.Aggregate[i].A) || !agg[i].B.Equal(rec.Aggregate[i].B) {
			return fail(CheckAggregate, "aggregate %d differs from the weighted product of the cast ciphertexts", i)
		}
	}
	trustees := map[int]bool{}
	for _, s := range rec.Shares {
		if err := p.trustee(s.Trustee); err != nil || trustees[s.Trustee] {
			return fail(CheckShares, "trustee %d: unknown or given twice", s.Trustee)
		}
		trustees[s.Trustee] = true
		if err := s.Verify(p.BallotID, kg.Key, kg.TrusteeKey(s.Trustee), agg); err != nil {
			return &CheckError{CheckShares, err}
		}
	}
	ms, err := Combine(p.Threshold, agg, rec.Shares)
	if err != nil {
		return &CheckError{CheckCombination, err}
	}
	if len(rec.Counts) != len(ms) {
		return fail(CheckCounts, "%d counts, want %d", len(rec.Counts), len(ms))
	}
	for i, m := range ms {
		n := rec.Counts[i]
		if n < 0 || n > total || !baseMul(scalarFromInt(n)).Equal(m) {
			return fail(CheckCounts, "count %d: %d is not the decrypted sum (0..%d)", i, n, total)
		}
	}
	return nil
}

func formEqual(a, b Form) bool {
	return a.Size == b.Size && slices.EqualFunc(a.Sums, b.Sums, func(x, y Sum) bool {
		return x.Lo == y.Lo && x.Hi == y.Hi && slices.Equal(x.Of, y.Of)
	})
}

// firstFailure runs check(0..n−1) on every CPU and returns the lowest
// failing index, so the report does not depend on scheduling. Indices are
// handed out in order, so every index below a failure has been taken.
func firstFailure(n int, check func(int) error) (int, error) {
	errs := make([]error, n)
	var next, lowest atomic.Int64
	lowest.Store(int64(n))
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for {
				k := next.Add(1) - 1
				if k >= lowest.Load() {
					return
				}
				if errs[k] = check(int(k)); errs[k] != nil {
					for l := lowest.Load(); k < l && !lowest.CompareAndSwap(l, k); l = lowest.Load() {
					}
				}
			}
		})
	}
	wg.Wait()
	if k := lowest.Load(); k < int64(n) {
		return int(k), errs[k]
	}
	return -1, nil
}
