// Package trustee is a secret ballot's trustee on their own device: from
// the ballot's public transcript (GET /api/v1/ballots/{id}/secret) and the
// trustee's secret seed it makes the content of the step that is due —
// key generation (secret-ballot.md §5) or the decryption share (§6). The
// same code runs in `koinon trustee` and, compiled to WebAssembly, on the
// trustee page in the browser, so a trustee may use either with the same
// seed. It is pure: no network, no files, no clock; randomness for proofs
// and sealing comes from the caller.
//
// The seed is the trustee's only secret. The box key and the polynomial
// of each ballot are derived from it (HKDF-SHA512, info
// "koinon/v1/trustee/<community>/<ballot>/<purpose>"), so a device can
// take any step again from the seed and the public transcript alone.
package trustee

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha512"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"koinon/internal/secret"
)

// SeedSize is the length of a trustee's seed in bytes.
const SeedSize = 32

// Transcript is a secret ballot's public cryptographic state as the server
// shows it (GET /api/v1/ballots/{id}/secret).
type Transcript struct {
	Params   secret.Params  `json:"params"`
	Trustees []TrusteeSteps `json:"trustees"`
	// KeyGeneration is set once the joint key is complete, Aggregate once
	// the ballot is tallying.
	KeyGeneration *secret.KeyGeneration `json:"key_generation"`
	Aggregate     []secret.Ciphertext   `json:"aggregate"`
	Ballot        secret.Definition     `json:"ballot"`
	Key           *secret.Point         `json:"key"`
	Progress      struct {
		Phase   string `json:"phase"`
		Problem string `json:"problem"`
	} `json:"progress"`
	// You is the caller, when signed in: their trustee position (0 when
	// they are none), the key-generation step due for them, and the
	// voter id their encrypted ballots are bound to.
	You *struct {
		Trustee int    `json:"trustee"`
		Due     string `json:"due"`
		Voter   string `json:"voter"`
	} `json:"you"`
}

// TrusteeSteps is one trustee's published steps, by step name.
type TrusteeSteps struct {
	Position int                        `json:"position"`
	Handle   string                     `json:"handle"`
	Steps    map[string]json.RawMessage `json:"steps"`
}

// Session replays the published key-generation steps (secret.Replay).
func (t *Transcript) Session() (secret.Session, error) {
	var steps []secret.Published
	for _, tt := range t.Trustees {
		for step, c := range tt.Steps {
			steps = append(steps, secret.Published{Trustee: tt.Position, Step: step, Content: c})
		}
	}
	s, err := secret.Replay(t.Params, steps)
	if err != nil {
		return s, fmt.Errorf("the server's transcript: %w", err)
	}
	return s, nil
}

// Device is one trustee's secret for the ballots of one community.
type Device struct {
	Seed      []byte // SeedSize bytes
	Community string // the ballot's community slug
}

// ErrNotTrustee is returned when the transcript does not name the caller
// as a trustee.
var ErrNotTrustee = errors.New("you are not a trustee of this ballot")

// derived is a deterministic byte stream for this device, ballot and
// purpose.
func (d Device) derived(p secret.Params, purpose string) (io.Reader, error) {
	if len(d.Seed) != SeedSize {
		return nil, fmt.Errorf("trustee seed: %d bytes, want %d", len(d.Seed), SeedSize)
	}
	info := "koinon/v1/trustee/" + d.Community + "/" + p.BallotID + "/" + purpose
	b, err := hkdf.Key(sha512.New, d.Seed, nil, info, 64*(secret.MaxTrustees+2))
	if err != nil {
		return nil, err
	}
	return bytes.NewReader(b), nil
}

// BoxKey is the trustee's X25519 key pair for share delivery on ballot p.
func (d Device) BoxKey(p secret.Params) (public, private *[32]byte, err error) {
	r, err := d.derived(p, "box")
	if err != nil {
		return nil, nil, err
	}
	return secret.NewBoxKey(r)
}

// Polynomial is trustee j's dealt polynomial on ballot p.
func (d Device) Polynomial(p secret.Params, j int) (secret.Polynomial, error) {
	r, err := d.derived(p, "polynomial")
	if err != nil {
		return secret.Polynomial{}, err
	}
	return secret.NewPolynomial(r, p, j)
}

// ErrOtherSeed is returned when the box key the caller published is not
// the one their seed gives: the seed is another ballot's or device's.
var ErrOtherSeed = errors.New("this trustee key is not the one you used for this ballot's key generation")

// open returns the caller's position, their box key and the replayed
// session, checking that the seed gives the box key they published.
func (d Device) open(t *Transcript) (int, *[32]byte, *[32]byte, secret.Session, error) {
	var sess secret.Session
	if t.You == nil || t.You.Trustee == 0 {
		return 0, nil, nil, sess, ErrNotTrustee
	}
	j := t.You.Trustee
	pub, priv, err := d.BoxKey(t.Params)
	if err != nil {
		return 0, nil, nil, sess, err
	}
	if sess, err = t.Session(); err != nil {
		return 0, nil, nil, sess, err
	}
	if k, ok := sess.Keys[j]; ok && !bytes.Equal(k.BoxKey, pub[:]) {
		return 0, nil, nil, sess, ErrOtherSeed
	}
	return j, pub, priv, sess, nil
}

// Step makes the content of the key-generation step due for the caller
// (t.You.Due): the box key, the deal, the check of the shares received,
// or the reveals answering complaints. rnd feeds proofs and sealing.
func (d Device) Step(rnd io.Reader, t *Transcript) (any, error) {
	j, pub, priv, sess, err := d.open(t)
	if err != nil {
		return nil, err
	}
	p := t.Params
	switch t.You.Due {
	case secret.StepKey:
		return secret.KeyStep{BoxKey: pub[:]}, nil
	case secret.StepDeal:
		f, err := d.Polynomial(p, j)
		if err != nil {
			return nil, err
		}
		ds := secret.DealStep{}
		if ds.Commitment, err = f.Commitment(rnd, p); err != nil {
			return nil, err
		}
		for r := 1; r <= p.Trustees; r++ {
			rk := [32]byte(sess.Keys[r].BoxKey)
			sh, err := f.Seal(rnd, p, r, &rk, priv)
			if err != nil {
				return nil, err
			}
			ds.Shares = append(ds.Shares, sh)
		}
		return ds, nil
	case secret.StepCheck:
		_, complaints := sess.ReceivedShares(j, priv)
		return secret.CheckStep{Complaints: complaints}, nil
	case secret.StepReveal:
		f, err := d.Polynomial(p, j)
		if err != nil {
			return nil, err
		}
		r := secret.RevealStep{Reveals: []secret.Reveal{}}
		for i := 1; i <= p.Trustees; i++ {
			for _, c := range sess.Checks[i].Complaints {
				if c.Dealer == j {
					r.Reveals = append(r.Reveals, secret.Reveal{Dealer: j, Recipient: c.Recipient, Share: f.Share(c.Recipient)})
				}
			}
		}
		return r, nil
	}
	return nil, fmt.Errorf("the server says step %q is due, which this device does not know", t.You.Due)
}

// Decrypt makes the caller's decryption share of the aggregate. The
// transcript must hold the finished key generation and the aggregate.
func (d Device) Decrypt(rnd io.Reader, t *Transcript) (secret.DecryptStep, error) {
	j, _, priv, sess, err := d.open(t)
	if err != nil {
		return secret.DecryptStep{}, err
	}
	if t.KeyGeneration == nil || t.Aggregate == nil {
		return secret.DecryptStep{}, errors.New("the ballot has no aggregate yet: it is decrypted once closed")
	}
	got, _ := sess.ReceivedShares(j, priv)
	x, err := t.KeyGeneration.SecretShare(got)
	if err != nil {
		return secret.DecryptStep{}, err
	}
	share, err := secret.NewDecryptionShare(rnd, t.Params.BallotID, t.KeyGeneration.Key, j, x, t.Aggregate)
	return secret.DecryptStep{Share: share}, err
}
