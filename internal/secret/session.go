package secret

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// The trustee steps of a secret ballot, in the order a trustee takes them
// (secret-ballot.md §5, "Steps as statements"). Each is the content of a
// signed statement of the trustee.
const (
	StepKey     = "key"     // publish the X25519 box key for share delivery
	StepDeal    = "deal"    // publish the commitment and the sealed shares
	StepCheck   = "check"   // open the shares addressed to me: complaints, or none
	StepReveal  = "reveal"  // answer the complaints against me
	StepDecrypt = "decrypt" // the decryption share of the aggregates
)

// Steps lists the steps in order.
var Steps = []string{StepKey, StepDeal, StepCheck, StepReveal, StepDecrypt}

// KeyStep is the content of a key step: the trustee's X25519 public key.
type KeyStep struct {
	BoxKey []byte `json:"box_key"` // 32 bytes, base64
}

// DealStep is the content of a deal step: the dealer's commitment and one
// sealed share for each trustee, itself included, in trustee order.
type DealStep struct {
	Commitment Commitment    `json:"commitment"`
	Shares     []SealedShare `json:"shares"`
}

// CheckStep is the content of a check step: the recipient's complaints
// ([] when every share opened and matched its commitment).
type CheckStep struct {
	Complaints []Complaint `json:"complaints"`
}

// RevealStep is the content of a reveal step: the dealer's answer to
// every complaint against it.
type RevealStep struct {
	Reveals []Reveal `json:"reveals"`
}

// DecryptStep is the content of a decrypt step.
type DecryptStep struct {
	Share DecryptionShare `json:"share"`
}

// Session is a secret ballot's key generation as the trustees' published
// steps make it: what each trustee has done, what is due next, and the
// joint key once it is complete. It holds only public values.
type Session struct {
	Params  Params
	Keys    map[int]KeyStep
	Deals   map[int]DealStep
	Checks  map[int]CheckStep
	Reveals map[int]RevealStep
}

// NewSession starts an empty key generation.
func NewSession(p Params) Session {
	return Session{Params: p, Keys: map[int]KeyStep{}, Deals: map[int]DealStep{}, Checks: map[int]CheckStep{}, Reveals: map[int]RevealStep{}}
}

// StepError is a refused step: the trustee acted twice, out of turn, or
// sent content that does not verify. Nothing of a refused step is kept.
type StepError struct {
	Step string
	Err  error
}

func (e *StepError) Error() string { return e.Step + ": " + e.Err.Error() }
func (e *StepError) Unwrap() error { return e.Err }

// ErrTwice and ErrOutOfTurn are the order problems of a step.
var (
	ErrTwice     = errors.New("this trustee already took this step")
	ErrOutOfTurn = errors.New("out of turn")
)

func (s Session) complaintsAgainst(dealer int) []Complaint {
	var out []Complaint
	for j := 1; j <= s.Params.Trustees; j++ {
		for _, c := range s.Checks[j].Complaints {
			if c.Dealer == dealer {
				out = append(out, c)
			}
		}
	}
	return out
}

// Due returns the step trustee j must take next, "" when none is due now
// (waiting for others, or the key generation is complete).
func (s Session) Due(j int) string {
	n := s.Params.Trustees
	switch {
	case !has(s.Keys, j):
		return StepKey
	case len(s.Keys) < n:
		return ""
	case !has(s.Deals, j):
		return StepDeal
	case len(s.Deals) < n:
		return ""
	case !has(s.Checks, j):
		return StepCheck
	case len(s.Checks) < n:
		return ""
	case len(s.complaintsAgainst(j)) > 0 && !has(s.Reveals, j):
		return StepReveal
	}
	return ""
}

func has[V any](m map[int]V, j int) bool { _, ok := m[j]; return ok }

// strictJSON decodes content refusing unknown members and trailing data.
func strictJSON(content []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(content))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return errors.New("trailing data")
	}
	return nil
}

// Apply checks trustee j's key-generation step and records it. A step
// taken twice is ErrTwice, one taken before the steps it needs is
// ErrOutOfTurn; a commitment, share list, complaint or reveal that does
// not verify is refused with the reason. Either way s is unchanged.
func (s *Session) Apply(j int, step string, content []byte) error {
	if err := s.Params.trustee(j); err != nil {
		return &StepError{step, err}
	}
	err := s.apply(j, step, content)
	if err != nil {
		return &StepError{step, err}
	}
	return nil
}

func (s *Session) apply(j int, step string, content []byte) error {
	n := s.Params.Trustees
	twice := func(done bool) error {
		if done {
			return ErrTwice
		}
		return nil
	}
	waiting := func(what string, got int) error {
		return fmt.Errorf("%w: waiting for %s (%d of %d)", ErrOutOfTurn, what, got, n)
	}
	switch step {
	case StepKey:
		if err := twice(has(s.Keys, j)); err != nil {
			return err
		}
		var k KeyStep
		if err := strictJSON(content, &k); err != nil {
			return fmt.Errorf("content: %w", err)
		}
		if len(k.BoxKey) != 32 {
			return fmt.Errorf("box_key: %d bytes, want 32", len(k.BoxKey))
		}
		s.Keys[j] = k
	case StepDeal:
		if err := twice(has(s.Deals, j)); err != nil {
			return err
		}
		if len(s.Keys) < n {
			return waiting("every trustee's box key", len(s.Keys))
		}
		var d DealStep
		if err := strictJSON(content, &d); err != nil {
			return fmt.Errorf("content: %w", err)
		}
		if d.Commitment.Dealer != j {
			return fmt.Errorf("commitment: dealer %d, want %d", d.Commitment.Dealer, j)
		}
		if err := Complete(d.Commitment); err != nil {
			return fmt.Errorf("commitment: %w", err)
		}
		if err := d.Commitment.Verify(s.Params); err != nil {
			return fmt.Errorf("commitment: %w", err)
		}
		if len(d.Shares) != n {
			return fmt.Errorf("shares: %d, want one for each of the %d trustees", len(d.Shares), n)
		}
		for r, sh := range d.Shares {
			if sh.Dealer != j || sh.Recipient != r+1 || len(sh.Sealed) < 24+16+64 {
				return fmt.Errorf("shares[%d]: want the sealed share of dealer %d for trustee %d", r, j, r+1)
			}
		}
		s.Deals[j] = d
	case StepCheck:
		if err := twice(has(s.Checks, j)); err != nil {
			return err
		}
		if len(s.Deals) < n {
			return waiting("every trustee's deal", len(s.Deals))
		}
		var c CheckStep
		if err := strictJSON(content, &c); err != nil {
			return fmt.Errorf("content: %w", err)
		}
		if c.Complaints == nil {
			return errors.New("complaints: must be a list ([] when every share is good)")
		}
		seen := map[int]bool{}
		for i, cp := range c.Complaints {
			if cp.Recipient != j || cp.Dealer < 1 || cp.Dealer > n || cp.Dealer == j || seen[cp.Dealer] {
				return fmt.Errorf("complaints[%d]: a complaint names another trustee as dealer, once, and this trustee as recipient", i)
			}
			seen[cp.Dealer] = true
		}
		s.Checks[j] = c
	case StepReveal:
		if err := twice(has(s.Reveals, j)); err != nil {
			return err
		}
		if len(s.Checks) < n {
			return waiting("every trustee's check", len(s.Checks))
		}
		against := s.complaintsAgainst(j)
		if len(against) == 0 {
			return fmt.Errorf("%w: no complaint against this trustee", ErrOutOfTurn)
		}
		var r RevealStep
		if err := strictJSON(content, &r); err != nil {
			return fmt.Errorf("content: %w", err)
		}
		if len(r.Reveals) != len(against) {
			return fmt.Errorf("reveals: %d, want one for each of the %d complaints", len(r.Reveals), len(against))
		}
		for i, rv := range r.Reveals {
			if rv.Dealer != j || rv.Recipient != against[i].Recipient {
				return fmt.Errorf("reveals[%d]: want the share for trustee %d", i, against[i].Recipient)
			}
			if err := VerifyShare(s.Deals[j].Commitment, rv.Recipient, rv.Share); err != nil {
				return fmt.Errorf("reveals[%d]: %w", i, err)
			}
		}
		s.Reveals[j] = r
	default:
		return fmt.Errorf("%w: %q is not a key-generation step", ErrOutOfTurn, step)
	}
	return nil
}

// KeyGeneration returns the finished key generation once every trustee
// has checked and every complaint is answered; ok is false before. err is
// set when the key generation failed (fewer qualified dealers than the
// threshold).
func (s Session) KeyGeneration() (kg KeyGeneration, ok bool, err error) {
	n := s.Params.Trustees
	if len(s.Checks) < n {
		return kg, false, nil
	}
	var complaints []Complaint
	var reveals []Reveal
	cs := make([]Commitment, 0, n)
	for j := 1; j <= n; j++ {
		cs = append(cs, s.Deals[j].Commitment)
		complaints = append(complaints, s.Checks[j].Complaints...)
		if len(s.complaintsAgainst(j)) > 0 {
			if !has(s.Reveals, j) {
				return kg, false, nil
			}
			reveals = append(reveals, s.Reveals[j].Reveals...)
		}
	}
	slices.SortFunc(complaints, func(a, b Complaint) int { return a.Dealer*1000 + a.Recipient - b.Dealer*1000 - b.Recipient })
	kg, err = NewKeyGeneration(s.Params, cs, nonNil(complaints), nonNil(reveals))
	return kg, err == nil, err
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// ReceivedShares opens, for trustee j with box secret key boxKey, every
// share dealt to j (from the deals, or a reveal when there is one) and
// returns them by dealer, with the complaints j should make about the
// shares that do not open or match.
func (s Session) ReceivedShares(j int, boxKey *[32]byte) (map[int]Scalar, []Complaint) {
	got := map[int]Scalar{}
	var complaints []Complaint
	for i := 1; i <= s.Params.Trustees; i++ {
		d, ok := s.Deals[i]
		if !ok || len(d.Shares) < j {
			continue
		}
		for _, rv := range s.Reveals[i].Reveals {
			if rv.Recipient == j {
				got[i] = rv.Share
			}
		}
		if _, ok := got[i]; ok {
			continue
		}
		dealerKey := [32]byte(s.Keys[i].BoxKey)
		v, err := d.Shares[j-1].Open(s.Params, d.Commitment, &dealerKey, boxKey)
		if err != nil {
			if i != j {
				complaints = append(complaints, Complaint{Dealer: i, Recipient: j})
			}
			continue
		}
		got[i] = v
	}
	return got, nonNil(complaints)
}

// VerifyDecryption checks trustee j's decryption step against the
// finished key generation and the aggregates: the share names j and every
// DLEQ proof verifies against X_j.
func VerifyDecryption(kg KeyGeneration, j int, aggs []Ciphertext, content []byte) (DecryptionShare, error) {
	var d DecryptStep
	if err := strictJSON(content, &d); err != nil {
		return d.Share, &StepError{StepDecrypt, fmt.Errorf("content: %w", err)}
	}
	if d.Share.Trustee != j {
		return d.Share, &StepError{StepDecrypt, fmt.Errorf("share: trustee %d, want %d", d.Share.Trustee, j)}
	}
	if err := d.Share.Verify(kg.Params.BallotID, kg.Key, kg.TrusteeKey(j), aggs); err != nil {
		return d.Share, &StepError{StepDecrypt, fmt.Errorf("share: %w", err)}
	}
	return d.Share, nil
}

// Published is one trustee step as published (its statement's content).
type Published struct {
	Trustee int
	Step    string
	Content []byte
}

// Replay rebuilds a key generation from its published steps, in any
// order: they are applied step by step (every box key, then every deal,
// check and reveal), as they were taken. Decrypt steps are skipped.
func Replay(p Params, steps []Published) (Session, error) {
	s := NewSession(p)
	for _, name := range Steps[:4] {
		for j := 1; j <= p.Trustees; j++ {
			for _, st := range steps {
				if st.Step != name || st.Trustee != j {
					continue
				}
				if err := s.Apply(j, name, st.Content); err != nil {
					return s, fmt.Errorf("trustee %d: %w", j, err)
				}
			}
		}
	}
	return s, nil
}
