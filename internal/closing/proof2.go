package closing

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"koinon/internal/proof"
	"koinon/internal/proof2"
	"koinon/internal/store"
)

// seal2 seals a public ballot's koinon-tally-proof/2 from its community
// log (docs/spec/proof-2.md): the count comes from the citizens' signed
// statements, not from the database rows. When the two differ the
// statements win and the difference is logged as an error: the database
// was changed outside the statements (or a bug).
func (c *Closer) seal2(in *store.CloseInput, doc *proof.Document, sealed1 []byte) (store.CloseOutput, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(sealed1, &top); err != nil {
		return store.CloseOutput{}, fmt.Errorf("closing: ballot %d: %w", in.Ballot.ID, err)
	}
	lg := in.Log
	sealed, err := proof2.Build(proof2.Input{
		Ballot: top["ballot"], Roll: doc.Electorate,
		Log:        proof2.Log{Origin: lg.Origin, VKey: lg.VKey},
		Checkpoint: lg.Checkpoint, CloseSize: lg.CloseSize, Entries: lg.Entries,
	}, c.Signer.SigningKey(), in.ClosedAt)
	if err != nil {
		return store.CloseOutput{}, fmt.Errorf("closing: proof 2 of ballot %d: %w", in.Ballot.ID, err)
	}
	d2, err := proof2.Parse(sealed)
	if err != nil {
		return store.CloseOutput{}, fmt.Errorf("closing: proof 2 of ballot %d: %w", in.Ballot.ID, err)
	}
	if d2.VotesRoot != doc.VotesRoot {
		c.Log.Error("the database's votes differ from the signed statements; the proof counts the statements",
			"ballot_id", in.Ballot.ID, "database_votes_root", doc.VotesRoot, "statements_votes_root", d2.VotesRoot)
	}
	sum := sha256.Sum256(sealed)
	return store.CloseOutput{ResultJSON: d2.Result, ProofJSON: sealed, ProofHash: hex.EncodeToString(sum[:]), VotesRoot: d2.VotesRoot}, nil
}
