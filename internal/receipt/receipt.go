// Package receipt holds the checks a citizen's device makes of the
// receipts it keeps for its statements (shared/spec/trust.md P2,
// docs/browser-keys.md): the bytes the log holds for a submission, that a
// later checkpoint of the community log extends the one kept, that an
// entry is in a checkpoint, and that a sealed proof 2 used the citizen's
// statements as they made them. The browser calls it through the
// WebAssembly module (internal/proof/wasm), so that it runs the same Go
// code as the server and `koinon verify`.
//
// It is pure: no I/O, no clock. It must not import store or web.
package receipt

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"koinon/internal/clog"
	"koinon/internal/proof"
	"koinon/internal/proof2"
	"koinon/internal/statement"
)

// Kept is a receipt as a device keeps it: the statement's kind, its log
// index and the exact entry bytes the log holds for it.
type Kept struct {
	Kind  string `json:"kind"`
	Index int64  `json:"index"`
	Entry []byte `json:"entry"`
}

// Entry returns the bytes the log holds for a submission: the statement
// entry of envelope, or, with a vote's commitment nonce (64 hex digits),
// its commitment entry (docs/spec/log.md, "Entries").
func Entry(envelope []byte, nonceHex string) ([]byte, error) {
	canon, err := proof.Canonicalize(envelope)
	if err != nil {
		return nil, err
	}
	env, err := statement.Parse(canon)
	if err != nil {
		return nil, err
	}
	if nonceHex == "" {
		return clog.StatementEntry(env).Bytes()
	}
	nonce, err := hex.DecodeString(nonceHex)
	if err != nil || len(nonce) != statement.NonceSize || hex.EncodeToString(nonce) != nonceHex {
		return nil, fmt.Errorf("%w: %q", statement.ErrBadNonce, nonceHex)
	}
	c, err := statement.Commit(nonce, env)
	if err != nil {
		return nil, err
	}
	e, err := clog.CommitmentEntry(env, c)
	if err != nil {
		return nil, err
	}
	return e.Bytes()
}

// Open verifies a signed checkpoint of the log of origin with its vkey.
func Open(vkey, origin string, signed []byte) (clog.Checkpoint, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return clog.Checkpoint{}, fmt.Errorf("%w: the log's key: %v", clog.ErrLogSignature, err)
	}
	c, _, err := clog.OpenCheckpoint(signed, origin, v)
	return c, err
}

// Advance accepts the checkpoint next only if the log's key signed it and
// it extends kept (when kept is not empty) by the consistency proof p
// (hex hashes, as the server's JSON gives them): the log was only ever
// appended to between the two.
func Advance(vkey, origin string, kept, next []byte, p []string) (clog.Checkpoint, error) {
	cp, err := Open(vkey, origin, next)
	if err != nil || len(kept) == 0 {
		return cp, err
	}
	old, err := Open(vkey, origin, kept)
	if err != nil {
		return cp, fmt.Errorf("the kept checkpoint: %w", err)
	}
	hs, err := Hashes(p)
	if err != nil {
		return cp, err
	}
	return cp, clog.VerifyConsistency(old, cp, tlog.TreeProof(hs))
}

// Included checks that entry is at index in the signed checkpoint, by the
// inclusion proof p (hex hashes, leaf upward).
func Included(vkey, origin string, signed []byte, index int64, entry []byte, p []string) error {
	cp, err := Open(vkey, origin, signed)
	if err != nil {
		return err
	}
	hs, err := Hashes(p)
	if err != nil {
		return err
	}
	return clog.VerifyInclusion(cp, index, entry, tlog.RecordProof(hs))
}

// Hashes reads a proof given as lowercase hex hashes.
func Hashes(hs []string) ([]tlog.Hash, error) {
	p := make([]tlog.Hash, len(hs))
	for i, h := range hs {
		b, err := hex.DecodeString(h)
		if err != nil || len(b) != len(p[i]) {
			return nil, fmt.Errorf("%w: proof hash %q", clog.ErrInclusion, h)
		}
		copy(p[i][:], b)
	}
	return p, nil
}

// Problem is a kept statement a sealed proof did not use as made, or a
// proof that does not verify (Index -1).
type Problem struct {
	Kind   string `json:"kind,omitempty"`
	Index  int64  `json:"index"`
	Reason string `json:"reason"`
}

// Sealed is the outcome of checking one sealed proof.
type Sealed struct {
	// OnRoll: the citizen is in the proof's electorate (otherwise the
	// proof says nothing about their statements).
	OnRoll bool `json:"on_roll"`
	// Used counts the kept statements below the close the proof carries
	// byte for byte.
	Used     int       `json:"used"`
	Problems []Problem `json:"problems"`
}

// ErrNotProof2 is returned for a document that is not a proof 2 (a
// pseudonymous ballot, or one sealed before the logs).
var ErrNotProof2 = errors.New("receipt: not a koinon-tally-proof/2")

// CheckSealed checks a sealed proof 2 of the community whose log key is
// vkey against the citizen's kept receipts: the proof verifies (every
// signature, chain link, inclusion and the recount) and, when handle is
// on its roll, carries every kept statement logged before the close
// exactly as the device made it.
func CheckSealed(raw []byte, vkey, handle string, kept []Kept) (Sealed, error) {
	out := Sealed{Problems: []Problem{}}
	doc, err := proof2.Parse(raw)
	if err != nil {
		return out, fmt.Errorf("%w: %v", ErrNotProof2, err)
	}
	if rep := proof2.Verify(raw, proof2.Options{LogKey: vkey}); !rep.OK {
		out.Problems = append(out.Problems, Problem{Index: -1, Reason: FailedCheck(rep)})
	}
	var el []struct {
		Voter string `json:"voter"`
	}
	_ = json.Unmarshal(doc.Electorate, &el)
	for _, e := range el {
		out.OnRoll = out.OnRoll || e.Voter == handle
	}
	if !out.OnRoll {
		return out, nil
	}
	carried := map[int64][]byte{}
	for _, e := range doc.Entries {
		if c, err := proof.Canonicalize(e.Entry); err == nil {
			carried[e.Index] = c
		}
	}
	for _, k := range kept {
		if k.Index >= doc.CloseSize {
			continue
		}
		if bytes.Equal(carried[k.Index], k.Entry) {
			out.Used++
		} else {
			out.Problems = append(out.Problems, Problem{Kind: k.Kind, Index: k.Index, Reason: "not used as made"})
		}
	}
	return out, nil
}

// FailedCheck names a report's failure: the check and its reason.
func FailedCheck(rep proof2.Report) string {
	if n := len(rep.Checks); n > 0 && !rep.Checks[n-1].OK {
		return rep.Checks[n-1].Name + ": " + rep.Checks[n-1].Reason
	}
	return rep.Error
}

// BundleOf names the entry bundle (C2SP tlog-tiles) that holds entry
// index of a log of size entries: its path under the log's URL and the
// entry's position in it. A device fetches it to see that the log still
// serves its entries as it made them.
func BundleOf(size, index int64) (path string, at int, err error) {
	if index < 0 || index >= size {
		return "", 0, fmt.Errorf("%w: index %d in a log of %d", clog.ErrBadRange, index, size)
	}
	n := index / clog.TileWidth
	w := min(size-n*clog.TileWidth, clog.TileWidth)
	return clog.TilePath(tlog.Tile{H: clog.TileHeight, L: -1, N: n, W: int(w)}), int(index % clog.TileWidth), nil
}

// EntryIn returns the entry at position at of an entry bundle.
func EntryIn(bundle []byte, at int) ([]byte, error) {
	entries, err := clog.ParseEntryBundle(bundle)
	if err != nil {
		return nil, err
	}
	if at < 0 || at >= len(entries) {
		return nil, fmt.Errorf("%w: no entry %d in a bundle of %d", clog.ErrBadRange, at, len(entries))
	}
	return entries[at], nil
}
