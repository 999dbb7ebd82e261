package clog

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Checkpoint failures.
var (
	ErrCheckpoint     = errors.New("clog: malformed checkpoint")
	ErrWrongOrigin    = errors.New("clog: checkpoint of another log (origin)")
	ErrLogSignature   = errors.New("clog: checkpoint not signed by the log's key")
	ErrInclusion      = errors.New("clog: inclusion proof does not verify")
	ErrInconsistent   = errors.New("clog: consistency proof does not verify")
	ErrFork           = errors.New("clog: two checkpoints of the same size with different roots")
	ErrShrunk         = errors.New("clog: checkpoint smaller than an earlier one")
	ErrWitnessQuorum  = errors.New("clog: too few witness cosignatures")
	ErrBadCosignature = errors.New("clog: bad cosignature")
)

// Checkpoint is the body of a C2SP tlog-checkpoint: origin line, tree size,
// root hash. Koinon adds no extension lines.
type Checkpoint struct {
	Origin string
	Size   int64
	Root   tlog.Hash
}

// Bytes returns the checkpoint body: three lines, each ending in "\n".
func (c Checkpoint) Bytes() []byte {
	return log.Checkpoint{Origin: c.Origin, Size: uint64(c.Size), Hash: c.Root[:]}.Marshal()
}

// ParseCheckpoint reads a checkpoint body strictly.
func ParseCheckpoint(text string) (Checkpoint, error) {
	var lc log.Checkpoint
	rest, err := lc.Unmarshal([]byte(text))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("%w: %v", ErrCheckpoint, err)
	}
	c := Checkpoint{Origin: lc.Origin, Size: int64(lc.Size)}
	lines := strings.SplitN(text, "\n", 4)
	switch {
	case len(rest) > 0:
		return c, fmt.Errorf("%w: extension lines", ErrCheckpoint)
	case lc.Size > 1<<62 || strconv.FormatUint(lc.Size, 10) != lines[1]:
		return c, fmt.Errorf("%w: size %q", ErrCheckpoint, lines[1])
	case len(lc.Hash) != tlog.HashSize || base64.StdEncoding.EncodeToString(lc.Hash) != lines[2]:
		return c, fmt.Errorf("%w: root hash %q", ErrCheckpoint, lines[2])
	}
	copy(c.Root[:], lc.Hash)
	return c, nil
}

// Origin returns a log's origin line: its URL without the scheme or a
// trailing slash, e.g. "vote.example.org/logs/parks".
func Origin(logURL string) (string, error) {
	o, ok := strings.CutPrefix(logURL, "https://")
	if !ok {
		o, ok = strings.CutPrefix(logURL, "http://")
	}
	o = strings.TrimSuffix(o, "/")
	if !ok || o == "" || strings.ContainsAny(o, " \n+") {
		return "", fmt.Errorf("clog: %q is not an http(s) log URL", logURL)
	}
	return o, nil
}

// NoteKeys returns the signed-note signer key (skey) and verifier key (vkey)
// of the Ed25519 key with the given seed, named name (a log names its key
// after its origin).
func NoteKeys(name string, seed []byte) (skey, vkey string, err error) {
	if len(seed) != ed25519.SeedSize {
		return "", "", fmt.Errorf("clog: key seed of %d bytes", len(seed))
	}
	pub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	vkey, err = note.NewEd25519VerifierKey(name, pub)
	if err != nil {
		return "", "", fmt.Errorf("clog: %w", err)
	}
	hash := strings.Split(vkey, "+")[1]
	skey = "PRIVATE+KEY+" + name + "+" + hash + "+" + base64.StdEncoding.EncodeToString(append([]byte{1}, seed...))
	return skey, vkey, nil
}

// SignCheckpoint returns the signed note of the log's checkpoint at its
// current size, signed with the log's note signer.
func (l *Log) SignCheckpoint(origin string, signer note.Signer) ([]byte, error) {
	root, err := l.Root(l.size)
	if err != nil {
		return nil, err
	}
	c := Checkpoint{Origin: origin, Size: l.size, Root: root}
	return note.Sign(&note.Note{Text: string(c.Bytes())}, signer)
}

// OpenCheckpoint verifies a signed checkpoint: its origin is origin and the
// log's key (logKey) signed it. It returns the checkpoint and the note, whose
// other signatures (cosignatures) the caller may check with Cosigned.
func OpenCheckpoint(signed []byte, origin string, logKey note.Verifier) (Checkpoint, *note.Note, error) {
	n, err := note.Open(signed, note.VerifierList(logKey))
	if err != nil {
		var unverified *note.UnverifiedNoteError
		var invalid *note.InvalidSignatureError
		if errors.As(err, &unverified) || errors.As(err, &invalid) {
			return Checkpoint{}, nil, fmt.Errorf("%w: %v", ErrLogSignature, err)
		}
		return Checkpoint{}, nil, fmt.Errorf("%w: %v", ErrCheckpoint, err)
	}
	c, err := ParseCheckpoint(n.Text)
	if err != nil {
		return c, nil, err
	}
	if c.Origin != origin {
		return c, nil, fmt.Errorf("%w: %q, want %q", ErrWrongOrigin, c.Origin, origin)
	}
	return c, n, nil
}

// VerifyInclusion checks that entry (its bytes) is at index in checkpoint c.
func VerifyInclusion(c Checkpoint, index int64, entry []byte, p tlog.RecordProof) error {
	if index < 0 || index >= c.Size {
		return fmt.Errorf("%w: index %d in a tree of size %d", ErrBadRange, index, c.Size)
	}
	if err := tlog.CheckRecord(p, c.Size, c.Root, index, tlog.RecordHash(entry)); err != nil {
		return fmt.Errorf("%w: entry %d in size %d: %v", ErrInclusion, index, c.Size, err)
	}
	return nil
}

// VerifyConsistency checks that checkpoint next extends old: same origin,
// not smaller, same root at the same size (else ErrFork), and p proves the
// old tree a prefix of the new one.
func VerifyConsistency(old, next Checkpoint, p tlog.TreeProof) error {
	switch {
	case old.Origin != next.Origin:
		return fmt.Errorf("%w: %q then %q", ErrWrongOrigin, old.Origin, next.Origin)
	case next.Size < old.Size:
		return fmt.Errorf("%w: size %d after %d", ErrShrunk, next.Size, old.Size)
	case old.Size == next.Size && old.Root != next.Root:
		return fmt.Errorf("%w: size %d has roots %s and %s", ErrFork, old.Size, old.Root, next.Root)
	case old.Size == 0 || old.Size == next.Size:
		if len(p) != 0 {
			return fmt.Errorf("%w: proof from size %d to %d must be empty", ErrInconsistent, old.Size, next.Size)
		}
		return nil
	}
	if err := tlog.CheckTree(p, next.Size, next.Root, old.Size, old.Root); err != nil {
		return fmt.Errorf("%w: size %d to %d: %v", ErrInconsistent, old.Size, next.Size, err)
	}
	return nil
}
