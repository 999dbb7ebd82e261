package secret

import (
	"errors"
	"fmt"
	"io"
	"slices"
)

// Voting is what a voter's device needs to prepare a ballot: the ballot's
// definition, its joint public key and the voter's public identifier.
type Voting struct {
	Ballot Definition `json:"ballot"`
	Key    Point      `json:"key"`
	Voter  string     `json:"voter"`
}

// form checks the parameters and gives the form and the proofs' context.
func (v Voting) form() (Form, Context, error) {
	f, err := v.Ballot.Form()
	switch {
	case err != nil:
	case v.Voter == "":
		err = errors.New("voter: empty")
	case !v.Key.ok || v.Key.IsIdentity():
		err = errors.New("key: missing or the identity")
	}
	return f, Context{BallotID: v.Ballot.ID, Voter: v.Voter, Key: v.Key}, err
}

// Prepare encrypts and proves a choice; the opening stays on the device
// for a Benaloh challenge and is forgotten when the ballot is cast.
func (v Voting) Prepare(rnd io.Reader, c Choice) (Ballot, Opening, error) {
	f, ctx, err := v.form()
	if err != nil {
		return Ballot{}, Opening{}, err
	}
	m, err := v.Ballot.Vector(c)
	if err != nil {
		return Ballot{}, Opening{}, err
	}
	return Prepare(rnd, ctx, f, m)
}

// Audit is the Benaloh challenge in the ballot's terms: the opening must be
// of the stated choice and re-encrypt every ciphertext of b.
func (v Voting) Audit(b Ballot, o Opening, c Choice) error {
	f, ctx, err := v.form()
	if err != nil {
		return err
	}
	m, err := v.Ballot.Vector(c)
	if err != nil {
		return err
	}
	if !slices.Equal(m, o.Choice) {
		return errors.New("audit: the opening is of another choice")
	}
	if err := Complete(b); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return Audit(ctx, f, b, o)
}

// Verify checks a cast ballot's proofs as check 6 does.
func (v Voting) Verify(b Ballot) error {
	f, ctx, err := v.form()
	if err != nil {
		return err
	}
	return b.Verify(ctx, f)
}
