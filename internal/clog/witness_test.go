package clog

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

// cosigned returns signed with the witness's answer appended, as a log
// shows a checkpoint with its cosignatures.
func cosigned(signed, sigs []byte) []byte { return append(bytes.Clone(signed), sigs...) }

func TestWitness(t *testing.T) {
	logSigner, logKey, _ := logKeys(t, 1)
	otherSigner, _, _ := logKeys(t, 2)
	cosigner, wvkey, err := NewCosigner("witness.example/w1", seed(3), fixedClock)
	if err != nil {
		t.Fatal(err)
	}
	wv, err := CosignatureVerifier(wvkey)
	if err != nil {
		t.Fatal(err)
	}
	var saved []int64
	w := NewWitness(cosigner, map[string]note.Verifier{testOrigin: logKey}, nil, func(c Checkpoint) error {
		if c.Size == 12 && len(saved) == 2 {
			saved = append(saved, -1)
			return errors.New("disk full")
		}
		saved = append(saved, c.Size)
		return nil
	})

	empty, _ := Open(&MemStorage{}, 0).SignCheckpoint(testOrigin, logSigner)
	if _, err := w.AddCheckpoint(AddCheckpointRequest(0, nil, empty)); err != nil {
		t.Fatalf("checkpoint of the empty log: %v", err)
	}
	l, _ := testLog(t, 10, rand.New(rand.NewPCG(1, 1)))
	cp10, _ := l.SignCheckpoint(testOrigin, logSigner)
	sigs, err := w.AddCheckpoint(AddCheckpointRequest(0, nil, cp10))
	if err != nil {
		t.Fatal(err)
	}
	if n, err := Cosigned(cosigned(cp10, sigs), []note.Verifier{wv}, 1); n != 1 || err != nil {
		t.Fatalf("Cosigned = %d, %v", n, err)
	}
	// A fork: the same first 5 entries, then others, to size 10.
	fork := Open(&MemStorage{}, 0)
	var entries [][]byte
	for i := range 10 {
		e := []byte("entry")
		if i >= 5 {
			e = []byte("other")
		}
		entries = append(entries, e)
	}
	if _, err := fork.Append(entries); err != nil {
		t.Fatal(err)
	}
	fork10, _ := fork.SignCheckpoint(testOrigin, logSigner)

	if _, err := l.Append([][]byte{[]byte("eleven"), []byte("twelve")}); err != nil {
		t.Fatal(err)
	}
	cp12, _ := l.SignCheckpoint(testOrigin, logSigner)
	proof, _ := l.ConsistencyProof(10, 12)
	forkProof, _ := fork.ConsistencyProof(5, 10)

	for name, tc := range map[string]struct {
		body []byte
		want error
	}{
		"fork at the same size":      {AddCheckpointRequest(10, nil, fork10), ErrFork},
		"old size not the latest":    {AddCheckpointRequest(5, forkProof, fork10), ErrConflict},
		"proof does not verify":      {AddCheckpointRequest(10, forkProof, cp12), ErrInconsistent},
		"old beyond checkpoint size": {AddCheckpointRequest(13, proof, cp12), ErrWitnessRequest},
		"unknown log":                {AddCheckpointRequest(10, proof, bytes.Replace(cp12, []byte("parks"), []byte("trees"), 1)), ErrUnknownLog},
		"not signed by the log":      {AddCheckpointRequest(10, proof, mustSign(t, otherSigner, cp12)), ErrNoLogSignature},
		"no empty line":              {[]byte("old 10\n"), ErrWitnessRequest},
		"malformed old size line":    {AddCheckpointRequest(10, proof, cp12)[1:], ErrWitnessRequest},
	} {
		if _, err := w.AddCheckpoint(tc.body); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	var conflict *ConflictError
	if _, err := w.AddCheckpoint(AddCheckpointRequest(5, forkProof, fork10)); !errors.As(err, &conflict) || conflict.Latest != 10 {
		t.Errorf("conflict answer %v, want latest size 10", err)
	}
	if w.Latest(testOrigin).Size != 10 {
		t.Fatal("a refused checkpoint moved the witness")
	}
	if _, err := w.AddCheckpoint(AddCheckpointRequest(10, proof, cp12)); err == nil || w.Latest(testOrigin).Size != 10 {
		t.Fatalf("cosigned although saving failed: %v", err)
	}
	sigs12, err := w.AddCheckpoint(AddCheckpointRequest(10, proof, cp12))
	if err != nil {
		t.Fatal(err)
	}
	if w.Latest(testOrigin).Size != 12 || fmt.Sprint(saved) != "[0 10 -1 12]" {
		t.Fatalf("witness recorded size %d, saved %v", w.Latest(testOrigin).Size, saved)
	}

	// Clients check cosignatures with the witness's key and a quorum.
	_, strangerKey, _ := func() (*Cosigner, string, error) { return NewCosigner("witness.example/w2", seed(4), fixedClock) }()
	sv, _ := CosignatureVerifier(strangerKey)
	good := cosigned(cp12, sigs12)
	if _, err := Cosigned(good, []note.Verifier{wv, sv}, 2); !errors.Is(err, ErrWitnessQuorum) {
		t.Errorf("quorum of 2 with one cosignature: %v", err)
	}
	bad := bytes.Clone(good)
	bad[len(bad)-5] ^= 'A' ^ 'B'
	if bytes.Equal(bad, good) {
		bad[len(bad)-5] ^= 1
	}
	if _, err := Cosigned(bad, []note.Verifier{wv}, 1); !errors.Is(err, ErrBadCosignature) {
		t.Errorf("tampered cosignature: %v, want ErrBadCosignature", err)
	}
	// A cosignature of checkpoint 10 does not vouch for checkpoint 12.
	if _, err := Cosigned(cosigned(cp12, sigs), []note.Verifier{wv}, 1); !errors.Is(err, ErrBadCosignature) {
		t.Errorf("cosignature of another checkpoint: %v, want ErrBadCosignature", err)
	}
}

// mustSign re-signs the text of a signed note with another signer.
func mustSign(t *testing.T, s note.Signer, signed []byte) []byte {
	t.Helper()
	text, _, _ := bytes.Cut(signed, []byte("\n\n"))
	out, err := note.Sign(&note.Note{Text: string(text) + "\n"}, s)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
