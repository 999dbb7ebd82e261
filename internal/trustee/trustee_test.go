package trustee

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"testing"

	"koinon/internal/secret"
)

// TestStepFromSeed: the key step publishes the box key the seed gives,
// again and again (the device keeps nothing else); another seed is
// refused once the trustee published their key; a caller who is no
// trustee gets ErrNotTrustee.
func TestStepFromSeed(t *testing.T) {
	seed := bytes.Repeat([]byte{7}, SeedSize)
	d := Device{Seed: seed, Community: "c"}
	p := secret.Params{BallotID: "9", Trustees: 2, Threshold: 1}
	tr := &Transcript{Params: p, Trustees: []TrusteeSteps{{Position: 1, Steps: map[string]json.RawMessage{}}, {Position: 2, Steps: map[string]json.RawMessage{}}}}
	tr.You = &struct {
		Trustee int    `json:"trustee"`
		Due     string `json:"due"`
		Voter   string `json:"voter"`
	}{Trustee: 1, Due: secret.StepKey}
	first, err := d.Step(rand.Reader, tr)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := d.Step(rand.Reader, tr)
	if !bytes.Equal(first.(secret.KeyStep).BoxKey, again.(secret.KeyStep).BoxKey) {
		t.Fatal("the same seed gave two box keys")
	}
	raw, _ := json.Marshal(first)
	tr.Trustees[0].Steps[secret.StepKey] = raw
	other := Device{Seed: bytes.Repeat([]byte{8}, SeedSize), Community: "c"}
	if _, err := other.Step(rand.Reader, tr); !errors.Is(err, ErrOtherSeed) {
		t.Errorf("another seed: %v, want ErrOtherSeed", err)
	}
	if _, err := other.Decrypt(rand.Reader, tr); !errors.Is(err, ErrOtherSeed) {
		t.Errorf("another seed decrypting: %v, want ErrOtherSeed", err)
	}
	if _, err := (Device{Seed: seed[:5], Community: "c"}).Step(rand.Reader, tr); err == nil {
		t.Error("a 5-byte seed was used")
	}
	tr.You.Trustee = 0
	if _, err := d.Step(rand.Reader, tr); !errors.Is(err, ErrNotTrustee) {
		t.Errorf("no trustee: %v, want ErrNotTrustee", err)
	}
}
