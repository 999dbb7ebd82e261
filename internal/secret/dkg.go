package secret

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"

	"golang.org/x/crypto/nacl/box"
)

// Params fixes one key generation: the secret ballot it serves, n trustees
// numbered 1..n and the threshold t of them needed to decrypt.
type Params struct {
	BallotID  string `json:"ballot_id"`
	Trustees  int    `json:"trustees"`
	Threshold int    `json:"threshold"`
}

// MaxTrustees bounds n.
const MaxTrustees = 64

// Validate checks 1 ≤ t ≤ n ≤ MaxTrustees.
func (p Params) Validate() error {
	if p.Trustees < 1 || p.Trustees > MaxTrustees || p.Threshold < 1 || p.Threshold > p.Trustees {
		return fmt.Errorf("trustees %d, threshold %d: want 1 ≤ threshold ≤ trustees ≤ %d", p.Trustees, p.Threshold, MaxTrustees)
	}
	return nil
}

func (p Params) trustee(j int) error {
	if j < 1 || j > p.Trustees {
		return fmt.Errorf("trustee %d outside 1..%d", j, p.Trustees)
	}
	return nil
}

// Polynomial is a dealer's secret f(z) = a₀ + a₁z + … + a_{t−1}z^{t−1}; the
// dealer keeps it on their device (JSON, in the trustee's key file) and
// forgets it once the key is complete.
type Polynomial struct {
	Dealer       int      `json:"dealer"`
	Coefficients []Scalar `json:"coefficients"`
}

// NewPolynomial draws trustee dealer's random polynomial of degree t−1.
func NewPolynomial(rnd io.Reader, p Params, dealer int) (Polynomial, error) {
	if err := p.Validate(); err != nil {
		return Polynomial{}, err
	}
	if err := p.trustee(dealer); err != nil {
		return Polynomial{}, err
	}
	f := Polynomial{Dealer: dealer, Coefficients: make([]Scalar, p.Threshold)}
	for k := range f.Coefficients {
		var err error
		if f.Coefficients[k], err = RandomScalar(rnd); err != nil {
			return Polynomial{}, err
		}
	}
	return f, nil
}

// Share returns f(j), the share for trustee j.
func (f Polynomial) Share(j int) Scalar {
	z, s := scalarFromInt(int64(j)), scalarFromInt(0)
	for k := len(f.Coefficients) - 1; k >= 0; k-- {
		s = s.mul(z).add(f.Coefficients[k])
	}
	return s
}

// Commitment is a dealer's public Feldman commitment Aₖ = aₖ·G with a
// Schnorr proof of knowledge of each aₖ (as ElectionGuard 2.0 asks).
type Commitment struct {
	Dealer       int            `json:"dealer"`
	Coefficients []Point        `json:"coefficients"`
	Proofs       []SchnorrProof `json:"proofs"`
}

func schnorrChallenge(p Params, dealer, k int, a, commit Point) Scalar {
	t := newTranscript(domainSchnorr).str(p.BallotID).int(int64(p.Trustees)).int(int64(p.Threshold))
	return t.int(int64(dealer)).int(int64(k)).points(a, commit).challenge()
}

// Commitment publishes the polynomial's Feldman commitment.
func (f Polynomial) Commitment(rnd io.Reader, p Params) (Commitment, error) {
	c := Commitment{Dealer: f.Dealer}
	for k, a := range f.Coefficients {
		u, err := RandomScalar(rnd)
		if err != nil {
			return Commitment{}, err
		}
		A := baseMul(a)
		ch := schnorrChallenge(p, f.Dealer, k, A, baseMul(u))
		c.Coefficients = append(c.Coefficients, A)
		c.Proofs = append(c.Proofs, SchnorrProof{C: ch, V: u.add(ch.mul(a))})
	}
	return c, nil
}

// Verify checks the commitment's shape and every proof of knowledge.
func (c Commitment) Verify(p Params) error {
	if err := Complete(c); err != nil {
		return fmt.Errorf("commitment of trustee %d: %w", c.Dealer, err)
	}
	if err := p.trustee(c.Dealer); err != nil {
		return fmt.Errorf("commitment: %w", err)
	}
	if len(c.Coefficients) != p.Threshold || len(c.Proofs) != p.Threshold {
		return fmt.Errorf("commitment of trustee %d: %d coefficients and %d proofs, want %d each",
			c.Dealer, len(c.Coefficients), len(c.Proofs), p.Threshold)
	}
	for k, A := range c.Coefficients {
		if A.IsIdentity() {
			return fmt.Errorf("commitment of trustee %d: coefficient %d is the identity", c.Dealer, k)
		}
		pr := c.Proofs[k]
		a := lincomb([]Scalar{pr.V, pr.C.neg()}, []Point{generator, A})
		if !schnorrChallenge(p, c.Dealer, k, A, a).Equal(pr.C) {
			return fmt.Errorf("commitment of trustee %d: coefficient %d: %w", c.Dealer, k, errProof)
		}
	}
	return nil
}

// eval returns Σ jᵏ·Aₖ = f(j)·G.
func (c Commitment) eval(j int) Point {
	pow, z := scalarFromInt(1), scalarFromInt(int64(j))
	s := make([]Scalar, len(c.Coefficients))
	for k := range s {
		s[k], pow = pow, pow.mul(z)
	}
	return lincomb(s, c.Coefficients)
}

// VerifyShare checks s·G = Σ jᵏ·Aₖ: that s is the dealer's share for j.
func VerifyShare(c Commitment, j int, s Scalar) error {
	if !baseMul(s).Equal(c.eval(j)) {
		return fmt.Errorf("share of trustee %d for trustee %d does not match the commitment", c.Dealer, j)
	}
	return nil
}

// SealedShare carries f_dealer(recipient) through the server, which relays
// it and cannot read it: NaCl box (X25519, XSalsa20-Poly1305) from the
// dealer's box key to the recipient's. Sealed is the 24-byte nonce followed
// by the box of shareContext ‖ share; JSON base64 (RFC 4648 §4, padded).
type SealedShare struct {
	Dealer    int    `json:"dealer"`
	Recipient int    `json:"recipient"`
	Sealed    []byte `json:"sealed"`
}

// NewBoxKey draws a trustee's X25519 key for share delivery; the public half
// goes into the trustee's signed key-generation statement.
func NewBoxKey(rnd io.Reader) (public, private *[32]byte, err error) {
	return box.GenerateKey(rnd)
}

// shareContext binds a sealed share to its key generation, dealer and
// recipient, so a relay cannot move it to another place.
func shareContext(p Params, dealer, recipient int) []byte {
	return newTranscript(domainShareBox).str(p.BallotID).int(int64(p.Trustees)).int(int64(p.Threshold)).
		int(int64(dealer)).int(int64(recipient)).sum()[:32]
}

// Seal encrypts f(recipient) to the recipient's box key.
func (f Polynomial) Seal(rnd io.Reader, p Params, recipient int, recipientKey, dealerKey *[32]byte) (SealedShare, error) {
	if err := p.trustee(recipient); err != nil {
		return SealedShare{}, err
	}
	var nonce [24]byte
	if _, err := io.ReadFull(rnd, nonce[:]); err != nil {
		return SealedShare{}, fmt.Errorf("seal share: %w", err)
	}
	msg := append(shareContext(p, f.Dealer, recipient), f.Share(recipient).Bytes()...)
	return SealedShare{Dealer: f.Dealer, Recipient: recipient,
		Sealed: box.Seal(nonce[:], msg, &nonce, recipientKey, dealerKey)}, nil
}

// Open decrypts a sealed share with the recipient's box key and checks it
// against the dealer's commitment. Any error is grounds for a Complaint.
func (s SealedShare) Open(p Params, c Commitment, dealerKey, recipientKey *[32]byte) (Scalar, error) {
	if c.Dealer != s.Dealer {
		return Scalar{}, fmt.Errorf("share of trustee %d checked against trustee %d's commitment", s.Dealer, c.Dealer)
	}
	if len(s.Sealed) < 24 {
		return Scalar{}, fmt.Errorf("share of trustee %d: sealed box too short", s.Dealer)
	}
	nonce := [24]byte(s.Sealed[:24])
	msg, ok := box.Open(nil, s.Sealed[24:], &nonce, dealerKey, recipientKey)
	ctx := shareContext(p, s.Dealer, s.Recipient)
	if !ok || len(msg) != 64 || !bytes.Equal(msg[:32], ctx) {
		return Scalar{}, fmt.Errorf("share of trustee %d for trustee %d does not open", s.Dealer, s.Recipient)
	}
	v, err := ScalarFromBytes(msg[32:])
	if err != nil {
		return Scalar{}, fmt.Errorf("share of trustee %d: %w", s.Dealer, err)
	}
	return v, VerifyShare(c, s.Recipient, v)
}

// Complaint is a recipient's public statement that the dealer's share did
// not open or did not match the commitment.
type Complaint struct {
	Dealer    int `json:"dealer"`
	Recipient int `json:"recipient"`
}

// Reveal is the dealer's answer to a complaint: the disputed share in the
// clear, which anyone checks against the commitment (Pedersen/GJKR). A
// dealer who does not answer, or answers with a bad share, is disqualified.
type Reveal struct {
	Dealer    int    `json:"dealer"`
	Recipient int    `json:"recipient"`
	Share     Scalar `json:"share"`
}

// KeyGeneration is the public transcript of a DKG and its result.
type KeyGeneration struct {
	Params      Params       `json:"params"`
	Commitments []Commitment `json:"commitments"`
	Complaints  []Complaint  `json:"complaints"`
	Reveals     []Reveal     `json:"reveals"`
	Qualified   []int        `json:"qualified"` // dealers whose polynomials make the key, ascending
	Key         Point        `json:"key"`       // the joint public key Σ A_{i,0} over Qualified
}

// ErrTooFewQualified means fewer than threshold dealers qualified, so a
// coalition below the threshold could know the key: the DKG failed.
var ErrTooFewQualified = errors.New("fewer qualified dealers than the threshold")

// Qualify decides the qualified dealers from the public transcript: a dealer
// qualifies when their commitment verifies and every complaint against them
// is answered by a reveal that matches the commitment. disqualified names
// each excluded dealer with the reason.
func Qualify(p Params, cs []Commitment, complaints []Complaint, reveals []Reveal) (qualified []int, disqualified map[int]error, err error) {
	if err := p.Validate(); err != nil {
		return nil, nil, err
	}
	disqualified = map[int]error{}
	byDealer := map[int]Commitment{}
	for _, c := range cs {
		if _, dup := byDealer[c.Dealer]; dup {
			return nil, nil, fmt.Errorf("two commitments of trustee %d", c.Dealer)
		}
		if err := c.Verify(p); err != nil {
			disqualified[c.Dealer] = err
			continue
		}
		byDealer[c.Dealer] = c
	}
	for _, cp := range complaints {
		if p.trustee(cp.Dealer) != nil || p.trustee(cp.Recipient) != nil {
			return nil, nil, fmt.Errorf("complaint by trustee %d against %d: no such trustee", cp.Recipient, cp.Dealer)
		}
		c, ok := byDealer[cp.Dealer]
		if !ok {
			continue
		}
		i := slices.IndexFunc(reveals, func(r Reveal) bool { return r.Dealer == cp.Dealer && r.Recipient == cp.Recipient })
		bad := fmt.Errorf("trustee %d did not answer trustee %d's complaint", cp.Dealer, cp.Recipient)
		if i >= 0 {
			bad = VerifyShare(c, cp.Recipient, reveals[i].Share)
		}
		if bad != nil {
			disqualified[cp.Dealer] = bad
			delete(byDealer, cp.Dealer)
		}
	}
	for d := range byDealer {
		qualified = append(qualified, d)
	}
	slices.Sort(qualified)
	if len(qualified) < p.Threshold {
		return qualified, disqualified, ErrTooFewQualified
	}
	return qualified, disqualified, nil
}

// NewKeyGeneration qualifies the dealers and computes the joint key.
func NewKeyGeneration(p Params, cs []Commitment, complaints []Complaint, reveals []Reveal) (KeyGeneration, error) {
	q, _, err := Qualify(p, cs, complaints, reveals)
	if err != nil {
		return KeyGeneration{}, err
	}
	kg := KeyGeneration{Params: p, Commitments: cs, Qualified: q,
		Complaints: append([]Complaint{}, complaints...), Reveals: append([]Reveal{}, reveals...)}
	kg.Key = kg.jointKey()
	return kg, nil
}

func (kg KeyGeneration) commitment(dealer int) Commitment {
	i := slices.IndexFunc(kg.Commitments, func(c Commitment) bool { return c.Dealer == dealer })
	return kg.Commitments[i]
}

func (kg KeyGeneration) jointKey() Point {
	k := Identity()
	for _, d := range kg.Qualified {
		k = k.add(kg.commitment(d).Coefficients[0])
	}
	return k
}

// Verify recomputes the qualified set and the joint key from the transcript.
func (kg KeyGeneration) Verify() error {
	q, _, err := Qualify(kg.Params, kg.Commitments, kg.Complaints, kg.Reveals)
	if err != nil {
		return err
	}
	if !slices.Equal(q, kg.Qualified) {
		return fmt.Errorf("qualified dealers are %v, the transcript says %v", q, kg.Qualified)
	}
	if kg.Key.IsIdentity() || !kg.jointKey().Equal(kg.Key) {
		return errors.New("joint key is not the sum of the qualified dealers' constant commitments")
	}
	return nil
}

// TrusteeKey returns trustee j's public share X_j = x_j·G = Σ_{i∈Qualified} f_i(j)·G,
// against which its decryption shares are checked.
func (kg KeyGeneration) TrusteeKey(j int) Point {
	x := Identity()
	for _, d := range kg.Qualified {
		x = x.add(kg.commitment(d).eval(j))
	}
	return x
}

// SecretShare returns trustee j's decryption key x_j = Σ f_i(j) over the
// qualified dealers, from the shares j received (opened or revealed).
func (kg KeyGeneration) SecretShare(received map[int]Scalar) (Scalar, error) {
	x := scalarFromInt(0)
	for _, d := range kg.Qualified {
		s, ok := received[d]
		if !ok {
			return Scalar{}, fmt.Errorf("no share from qualified trustee %d", d)
		}
		x = x.add(s)
	}
	return x, nil
}
