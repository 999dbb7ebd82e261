package domain

import (
	"slices"
	"strings"
)

// SecrecySecret is the secrecy of a ballot whose choices are encrypted on
// the voters' devices and decrypted, summed, by a threshold of trustees
// (docs/spec/secret-ballot.md).
const SecrecySecret = "secret"

// StateTallying is a closed secret ballot waiting for its trustees'
// decryption shares; it becomes closed when the threshold is reached.
const StateTallying = "tallying"

// SecretMethods are the methods a secret ballot may use: those whose count
// is a sum of 0/1 ciphertexts. IRV and STV need the ballots themselves
// (through a verifiable shuffle), which Koinon does not have.
var SecretMethods = []string{"majority", "plurality", "approval", "schulze"}

// MaxTrustees bounds a secret ballot's trustees (secret.MaxTrustees).
const MaxTrustees = 64

// secretBallot checks a secret ballot's method and trustees: 1..64
// distinct handles and a threshold 1 ≤ t ≤ n. That each trustee is a
// member is checked by the caller, which has the roll.
func secretBallot(b *Ballot, method string, req BallotRequest, fail func(error, string, ...any)) {
	switch {
	case method == "irv" || method == "stv":
		fail(Invalidf("method", "a secret ballot cannot use %s: counting ranked transfers needs the ballots themselves, "+
			"which only a verifiable shuffle could provide without revealing them; use schulze for a ranked secret ballot", method),
			"ballot.error.secret_method_ranked", method)
	case method != "" && !slices.Contains(SecretMethods, method):
		fail(Invalidf("method", "a secret ballot uses one of %s, not %s", strings.Join(SecretMethods, ", "), Quote(method)),
			"ballot.error.secret_method", strings.Join(SecretMethods, ", "))
	}
	n := len(req.Trustees)
	seen := map[string]bool{}
	for _, h := range req.Trustees {
		h = strings.TrimSpace(h)
		if h == "" || seen[h] {
			fail(Invalidf("trustees", "name each trustee once, by handle"), "ballot.error.trustees")
			return
		}
		seen[h] = true
		b.Trustees = append(b.Trustees, h)
	}
	switch {
	case n == 0:
		fail(Invalidf("trustees", "a secret ballot needs trustees (handles of members) to decrypt its result"), "ballot.error.trustees")
		return
	case n > MaxTrustees:
		fail(Invalidf("trustees", "at most %d trustees", MaxTrustees), "ballot.error.trustees_many", MaxTrustees)
		return
	}
	if req.TrusteeThreshold < 1 || req.TrusteeThreshold > n {
		fail(Invalidf("trustee_threshold", "must be from 1 to the number of trustees (%d)", n), "ballot.error.trustee_threshold", n)
		return
	}
	b.TrusteeThreshold = req.TrusteeThreshold
}
