package closing

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"koinon/internal/proof"
	"koinon/internal/secret"
	"koinon/internal/store"
	"koinon/internal/tally"
)

// A secret ballot closes in two steps (docs/spec/secret-ballot.md §11):
// the close freezes the count input and computes the weighted aggregate
// (aggregate), the ballot is then tallying; once a threshold of trustees
// sent verified decryption shares, SealSecret computes the counts and the
// result and builds the proof.

// SecretDefinition is what a secret ballot's encryption depends on: its
// id, method and options (secret.Definition). Approval ballots take any
// number of approvals, as public ones do.
func SecretDefinition(b store.Ballot, opts []store.BallotOption) secret.Definition {
	d := secret.Definition{ID: strconv.FormatInt(b.ID, 10), Method: b.Method}
	for _, o := range opts {
		d.Options = append(d.Options, tally.Option{Key: o.Key, Label: o.Label})
	}
	return d
}

// SecretFrozen is a secret ballot's count input as the close froze it:
// the ballot as a proof names it, the electorate with its effective
// delegate lists (public: tally.md §2) and every cast ballot with the
// weight the delegation resolution gives its voter.
type SecretFrozen struct {
	Ballot     proof.SecretTerms `json:"ballot"`
	Electorate []tally.Entry     `json:"electorate"`
	Cast       []secret.Cast     `json:"cast"`
}

// aggregate is the close of a secret ballot: resolution of the delegation
// graph (who cast is public), each carrier's weight, and the aggregate
// Π cᵢ^wᵢ per position.
func aggregate(in *store.CloseInput) (store.CloseOutput, error) {
	fr := SecretFrozen{Ballot: proofBallot(in).SecretTerms(), Electorate: electorate(in)}
	votes := make([]tally.Vote, len(in.Votes))
	for i, v := range in.Votes {
		votes[i] = tally.Vote{Voter: v.Voter}
	}
	res := tally.Resolve(fr.Electorate, votes)
	def := SecretDefinition(in.Ballot, in.Options)
	form, err := def.Form()
	if err != nil {
		return store.CloseOutput{}, fmt.Errorf("closing: ballot %d: %w", in.Ballot.ID, err)
	}
	fr.Cast = make([]secret.Cast, 0, len(in.Votes))
	for _, v := range in.Votes {
		row, ok := res.Lookup(v.Voter)
		if !ok || row.State != tally.StateCast {
			continue
		}
		c := secret.Cast{Voter: v.Voter, Weight: row.Weight}
		if err := json.Unmarshal([]byte(v.Choice), &c.Ballot); err != nil {
			return store.CloseOutput{}, fmt.Errorf("closing: secret vote of %s: %w", v.Voter, err)
		}
		fr.Cast = append(fr.Cast, c)
	}
	slices.SortFunc(fr.Cast, func(a, b secret.Cast) int { return strings.Compare(a.Voter, b.Voter) })
	frozen, err := json.Marshal(fr)
	if err != nil {
		return store.CloseOutput{}, err
	}
	agg, err := json.Marshal(secret.Aggregate(form.Size, fr.Cast))
	if err != nil {
		return store.CloseOutput{}, err
	}
	return store.CloseOutput{SecretFrozen: frozen, SecretAggregate: agg}, nil
}

// SecretSeal is what SealSecret needs: the ballot and its options, the
// finished key generation, the frozen input and aggregate, the verified
// decryption shares and the statements to carry.
type SecretSeal struct {
	Ballot        store.Ballot
	Options       []store.BallotOption
	KeyGeneration secret.KeyGeneration
	Frozen        SecretFrozen
	Aggregate     []secret.Ciphertext
	Shares        []secret.DecryptionShare
	Statements    []json.RawMessage
}

// SealSecret combines the decryption shares, finds the counts by
// baby-step giant-step bounded by the total weight, counts the result
// from them (tally.CountAggregated) and builds the proof. The tie-break
// order follows from the hash of the cast ballots, as a public ballot's
// follows from its votes root.
func SealSecret(in SecretSeal) (store.CloseOutput, error) {
	def := SecretDefinition(in.Ballot, in.Options)
	form, err := def.Form()
	if err != nil {
		return store.CloseOutput{}, err
	}
	shares := slices.Clone(in.Shares)
	slices.SortFunc(shares, func(a, b secret.DecryptionShare) int { return cmp.Compare(a.Trustee, b.Trustee) })
	counts, err := secret.Counts(in.KeyGeneration.Params.Threshold, in.Aggregate, shares, secret.TotalWeight(in.Frozen.Cast))
	if err != nil {
		return store.CloseOutput{}, fmt.Errorf("closing: decrypt ballot %d: %w", in.Ballot.ID, err)
	}
	rec := secret.Record{Form: form, KeyGeneration: in.KeyGeneration, Cast: in.Frozen.Cast, Aggregate: in.Aggregate,
		Shares: shares, Counts: counts}
	seed, err := proof.SecretTiebreakSeed(rec.Cast)
	if err != nil {
		return store.CloseOutput{}, err
	}
	keys := make([]string, len(def.Options))
	for i, o := range def.Options {
		keys[i] = o.Key
	}
	doc := proof.SecretBallotProof{Format: secret.Format, Ballot: def, Record: rec, Definition: in.Frozen.Ballot,
		Electorate: in.Frozen.Electorate, Tiebreak: tally.Tiebreak(seed, keys), Statements: in.Statements}
	if doc.Statements == nil {
		doc.Statements = []json.RawMessage{}
	}
	r, err := doc.Recount()
	if err != nil {
		return store.CloseOutput{}, fmt.Errorf("closing: count ballot %d: %w", in.Ballot.ID, err)
	}
	if doc.Result, err = json.Marshal(r); err != nil {
		return store.CloseOutput{}, err
	}
	sealed, err := json.Marshal(doc)
	if err != nil {
		return store.CloseOutput{}, err
	}
	return store.CloseOutput{ResultJSON: doc.Result, ProofJSON: sealed, VotesRoot: seed}, nil
}
