package clog_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"

	"golang.org/x/mod/sumdb/note"

	"koinon/internal/clog"
	"koinon/internal/proof"
	"koinon/internal/statement"
)

// Example shows a submission end to end: the server checks a citizen's
// signed statement, appends it and answers with the index, a signed
// checkpoint and an inclusion proof; the citizen's device checks that
// receipt, and later that the log only grew.
func Example() {
	const origin = "vote.example.org/logs/parks"
	skey, vkey, _ := clog.NoteKeys(origin, bytes.Repeat([]byte{10}, 32))
	logSigner, _ := note.NewSigner(skey)
	logKey, _ := note.NewVerifier(vkey) // published as log.vkey

	// The device: a key, and its registration signed with it.
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32))
	pub := key.Public().(ed25519.PublicKey)
	content, _ := statement.Content(statement.KeyContent{Citizen: "ann", PublicKey: base64.StdEncoding.EncodeToString(pub)})
	env, _ := statement.Sign(statement.Statement{Format: statement.Format, Kind: statement.KeyRegister,
		Community: "parks", Scope: statement.ScopeCommunity, Content: content,
		At: "2026-12-05T10:00:00Z", Key: proof.KeyID(pub)}, key, nil, false)
	submitted := env.Bytes()

	// The server: parse, check against the community's state, append.
	state := statement.NewState("parks", nil)
	log := clog.Open(&clog.MemStorage{}, 0)
	received, err := statement.Parse(submitted)
	if err != nil {
		fmt.Println("422:", err)
		return
	}
	if _, err := state.Accept(received); err != nil {
		fmt.Println("422:", err)
		return
	}
	entry, _ := clog.StatementEntry(received).Bytes()
	index, _ := log.Append([][]byte{entry})
	checkpoint, _ := log.SignCheckpoint(origin, logSigner)
	inclusion, _ := log.InclusionProof(index, log.Size())

	// The device checks its receipt and keeps the checkpoint.
	kept, _, err := clog.OpenCheckpoint(checkpoint, origin, logKey)
	fmt.Println("checkpoint:", err == nil, "size", kept.Size)
	fmt.Println("included:", clog.VerifyInclusion(kept, index, entry, inclusion) == nil)

	// Later: the log grew; the device checks the new checkpoint extends it.
	log.Append([][]byte{[]byte("another entry")})
	later, _ := log.SignCheckpoint(origin, logSigner)
	now, _, _ := clog.OpenCheckpoint(later, origin, logKey)
	consistency, _ := log.ConsistencyProof(kept.Size, now.Size)
	fmt.Println("consistent:", clog.VerifyConsistency(kept, now, consistency) == nil)
	// Output:
	// checkpoint: true size 1
	// included: true
	// consistent: true
}
