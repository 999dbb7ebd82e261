package closing

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"koinon/internal/cosigning"
	"koinon/internal/proof"
	"koinon/internal/proof2"
	"koinon/internal/store"
)

// seal2 seals a public ballot's koinon-tally-proof/2 (docs/spec/proof-2.md):
// the count is the database's, as in proof 1, and the evidence is the
// community log — every signed statement of every voter with its inclusion
// in the close checkpoint. When the database was changed behind the
// statements' back (a vote altered or added, a delegation list changed),
// the proof still counts the database and says so: `koinon verify` then
// names the voter and the statement that differ (checks 5 and 6). The
// server logs the difference as an error when it seals.
func (c *Closer) seal2(in *store.CloseInput, doc *proof.Document, sealed1 []byte) (store.CloseOutput, error) {
	var count proof2.Count
	if err := json.Unmarshal(sealed1, &count); err != nil {
		return store.CloseOutput{}, fmt.Errorf("closing: ballot %d: %w", in.Ballot.ID, err)
	}
	lg := in.Log
	key := c.Signer.SigningKey()
	// With a witness quorum, the seal is on a checkpoint the quorum
	// cosigned; without it the close fails here and rolls back.
	wait := c.WitnessWait
	if wait <= 0 {
		wait = cosigning.DefaultWait
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	checkpoint, cosigs, werr := cosigning.Close(ctx, c.WitnessClient, lg)
	cancel()
	if werr != nil {
		return store.CloseOutput{}, fmt.Errorf("closing: ballot %d: %w", in.Ballot.ID, werr)
	}
	sealed, err := proof2.Build(proof2.Input{
		Ballot: count.Ballot, Roll: doc.Electorate,
		Log:        proof2.Log{Origin: lg.Origin, VKey: lg.VKey},
		Checkpoint: checkpoint, CloseSize: lg.CloseSize, Entries: lg.Entries,
	}, key, in.ClosedAt)
	if err != nil {
		return store.CloseOutput{}, fmt.Errorf("closing: proof 2 of ballot %d: %w", in.Ballot.ID, err)
	}
	d2, err := proof2.Parse(sealed)
	if err != nil {
		return store.CloseOutput{}, fmt.Errorf("closing: proof 2 of ballot %d: %w", in.Ballot.ID, err)
	}
	if !sameCount(d2.Count, count) {
		c.Log.Error("the database's votes or delegations differ from the signed statements; the proof will not verify",
			"ballot_id", in.Ballot.ID, "database_votes_root", count.VotesRoot, "statements_votes_root", d2.VotesRoot)
		d2.Count = count
		if sealed, err = reseal(d2, key); err != nil {
			return store.CloseOutput{}, fmt.Errorf("closing: proof 2 of ballot %d: %w", in.Ballot.ID, err)
		}
	}
	return store.CloseOutput{ResultJSON: d2.Result, ProofJSON: sealed, VotesRoot: d2.VotesRoot, Cosignatures: cosigs}, nil
}

// sameCount compares two counts byte for byte (both are canonical).
func sameCount(a, b proof2.Count) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// reseal signs d again: canonical JSON without the signature, then with.
func reseal(d *proof2.Document, key ed25519.PrivateKey) ([]byte, error) {
	d.Signature = ""
	unsigned, err := json.Marshal(d)
	if err == nil {
		unsigned, err = proof.Canonicalize(unsigned)
	}
	if err != nil {
		return nil, err
	}
	d.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(key, unsigned))
	signed, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	return proof.Canonicalize(signed)
}
