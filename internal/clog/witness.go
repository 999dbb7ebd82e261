package clog

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Witness refusals, with the C2SP tlog-witness status each maps to.
var (
	ErrUnknownLog     = errors.New("clog: witness: unknown log origin")                  // 404
	ErrNoLogSignature = errors.New("clog: witness: no valid signature of the log's key") // 403
	ErrWitnessRequest = errors.New("clog: witness: malformed add-checkpoint request")    // 400
	ErrConflict       = errors.New("clog: witness: old size is not the latest cosigned") // 409
)

// emptyRoot is the root of the empty tree, SHA-256("").
var emptyRoot, _ = tlog.TreeHash(0, nil)

// maxProofLines is the most consistency proof lines a request may carry.
const maxProofLines = 63

// ConflictError is ErrConflict with the size the witness last cosigned,
// which the 409 answer carries.
type ConflictError struct{ Latest int64 }

func (e *ConflictError) Error() string {
	return fmt.Sprintf("%v: latest cosigned size is %d", ErrConflict, e.Latest)
}

func (e *ConflictError) Unwrap() error { return ErrConflict }

// Witness is the pure core of a C2SP tlog-witness: for each log it knows
// (by origin, with the log's key) it keeps the latest checkpoint it
// cosigned, and cosigns a new one only when a consistency proof shows it
// extends that one. A fork (same size, other root) or a bad proof is
// refused.
type Witness struct {
	signer note.Signer
	save   func(Checkpoint) error
	mu     sync.Mutex
	logs   map[string]note.Verifier
	latest map[string]Checkpoint
}

// NewWitness returns a witness signing with signer (a Cosigner) for the
// given logs (origin → log key), starting from the checkpoints it cosigned
// before (may be nil). save, when not nil, persists a checkpoint before it
// is cosigned (tlog-witness requires the check and the record to be one
// step; Cosign holds a lock across both); if it fails nothing is cosigned.
func NewWitness(signer note.Signer, logs map[string]note.Verifier, latest map[string]Checkpoint, save func(Checkpoint) error) *Witness {
	w := &Witness{signer: signer, save: save, logs: logs, latest: map[string]Checkpoint{}}
	for o, c := range latest {
		w.latest[o] = c
	}
	return w
}

// Latest returns the latest checkpoint cosigned for origin (size 0 if none).
func (w *Witness) Latest(origin string) Checkpoint {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.latest[origin]
}

// AddCheckpoint handles an add-checkpoint request body ("old N", proof
// lines, an empty line, the signed checkpoint) and returns the cosignature
// line(s) to answer with.
func (w *Witness) AddCheckpoint(body []byte) ([]byte, error) {
	old, proof, signed, err := ParseAddCheckpoint(body)
	if err != nil {
		return nil, err
	}
	return w.Cosign(old, proof, signed)
}

// Cosign checks signed against the witness's view and cosigns it.
func (w *Witness) Cosign(old int64, proof tlog.TreeProof, signed []byte) ([]byte, error) {
	origin, _, _ := bytes.Cut(signed, []byte("\n"))
	logKey, ok := w.logs[string(origin)]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownLog, origin)
	}
	c, n, err := OpenCheckpoint(signed, string(origin), logKey)
	switch {
	case errors.Is(err, ErrLogSignature):
		return nil, fmt.Errorf("%w: %v", ErrNoLogSignature, err)
	case err != nil:
		return nil, fmt.Errorf("%w: %v", ErrWitnessRequest, err)
	case old > c.Size:
		return nil, fmt.Errorf("%w: old size %d beyond checkpoint size %d", ErrWitnessRequest, old, c.Size)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	prev, ok := w.latest[c.Origin]
	if !ok { // nothing cosigned yet: the empty tree
		prev = Checkpoint{Origin: c.Origin, Root: emptyRoot}
	}
	if old != prev.Size {
		return nil, &ConflictError{Latest: prev.Size}
	}
	if err := VerifyConsistency(prev, c, proof); err != nil {
		return nil, err
	}
	cosigned, err := note.Sign(&note.Note{Text: n.Text}, w.signer)
	if err != nil {
		return nil, fmt.Errorf("clog: witness: %w", err)
	}
	if w.save != nil {
		if err := w.save(c); err != nil {
			return nil, fmt.Errorf("clog: witness: save checkpoint: %w", err)
		}
	}
	w.latest[c.Origin] = c
	_, sig, _ := bytes.Cut(cosigned, []byte("\n\n"))
	return sig, nil
}

// ParseAddCheckpoint splits a C2SP tlog-witness add-checkpoint body.
func ParseAddCheckpoint(body []byte) (old int64, proof tlog.TreeProof, signed []byte, err error) {
	head, signed, ok := bytes.Cut(body, []byte("\n\n"))
	if !ok {
		return 0, nil, nil, fmt.Errorf("%w: no empty line", ErrWitnessRequest)
	}
	lines := strings.Split(string(head), "\n")
	n, ok := strings.CutPrefix(lines[0], "old ")
	old, err = strconv.ParseInt(n, 10, 64)
	if !ok || err != nil || old < 0 || strconv.FormatInt(old, 10) != n {
		return 0, nil, nil, fmt.Errorf("%w: old size line %q", ErrWitnessRequest, lines[0])
	}
	if len(lines)-1 > maxProofLines {
		return 0, nil, nil, fmt.Errorf("%w: %d proof lines", ErrWitnessRequest, len(lines)-1)
	}
	for _, l := range lines[1:] {
		b, err := base64.StdEncoding.Strict().DecodeString(l)
		if err != nil || len(b) != tlog.HashSize {
			return 0, nil, nil, fmt.Errorf("%w: proof line %q", ErrWitnessRequest, l)
		}
		proof = append(proof, tlog.Hash(b))
	}
	return old, proof, signed, nil
}

// AddCheckpointRequest formats an add-checkpoint body: what a log sends a
// witness with the consistency proof from the witness's latest size.
func AddCheckpointRequest(old int64, proof tlog.TreeProof, signed []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "old %d\n", old)
	for _, h := range proof {
		b.WriteString(base64.StdEncoding.EncodeToString(h[:]) + "\n")
	}
	b.WriteString("\n")
	b.Write(signed)
	return b.Bytes()
}
