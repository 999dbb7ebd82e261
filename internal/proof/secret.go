package proof

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"

	"koinon/internal/secret"
)

// SecretKind is the Report.Kind of a secret-tally document.
const SecretKind = "secret-tally"

// VerifySecret checks a secret-tally document (secret-ballot.md §8): the
// ten numbered checks of internal/secret, listed up to the first failure.
// When all pass, Counts holds the decrypted totals.
func VerifySecret(data []byte) Report {
	r := Report{Kind: SecretKind}
	doc, err := secret.ParseDocument(data)
	if se := (*secret.ShapeError)(nil); errors.As(err, &se) {
		r.Error = err.Error()
		return r
	}
	r.Ballot = doc.Ballot.ID
	if err == nil {
		err = doc.Verify()
	}
	var ce *secret.CheckError
	failed := secret.Checks + 1
	if errors.As(err, &ce) {
		failed = ce.Check
	} else if err != nil { // not reached: Verify fails only with a *CheckError
		r.Error = err.Error()
		return r
	}
	for n := 1; n <= secret.Checks && n <= failed; n++ {
		c := Check{N: n, Name: secret.CheckName(n), OK: n != failed}
		if !c.OK {
			c.Reason = ce.Err.Error()
		}
		r.Checks = append(r.Checks, c)
	}
	if r.OK = err == nil; r.OK {
		totals, pairwise := doc.Totals()
		r.Counts, _ = json.Marshal(struct {
			Totals   map[string]int64 `json:"totals,omitempty"`
			Pairwise [][]int64        `json:"pairwise,omitempty"`
		}{totals, pairwise})
	}
	return r
}

// SecretBallotHash is an encrypted ballot's receipt (secret-ballot.md §4,
// "Benaloh challenge"): SHA-256 of its canonical JSON, as lowercase hex.
// The voter's device shows it before casting; the server returns it as the
// cast receipt, and the voter finds the ballot under it in the proof. It
// proves nothing about the choice.
func SecretBallotHash(b secret.Ballot) (string, error) {
	canon, err := Marshal(b)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(canon)
	return hex.EncodeToString(sum[:]), nil
}
