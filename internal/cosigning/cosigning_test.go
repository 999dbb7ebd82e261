package cosigning

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"koinon/internal/clog"
	"koinon/internal/domain"
	"koinon/internal/store"
)

const origin = "vote.example.org/logs/parks"

func seed(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }

// testLog is a log of n entries and its signer.
func testLog(t *testing.T, n int) (*clog.Log, note.Signer, note.Verifier, [][]byte) {
	skey, vkey, err := clog.NoteKeys(origin, seed("log"))
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := note.NewSigner(skey)
	verifier, _ := note.NewVerifier(vkey)
	entries := make([][]byte, n)
	for i := range entries {
		entries[i] = fmt.Appendf(nil, "entry %d", i)
	}
	l := clog.Open(&clog.MemStorage{}, 0)
	if _, err := l.Append(entries); err != nil {
		t.Fatal(err)
	}
	return l, signer, verifier, entries
}

// witnessServer serves clog.Witness over HTTP as koinon witness does;
// answer, when set, replaces the body of a 200.
func witnessServer(t *testing.T, name string, logKey note.Verifier, answer func([]byte) []byte) (store.LogWitness, *clog.Witness) {
	c, vkey, err := clog.NewCosigner(name, seed(name), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	w := clog.NewWitness(c, map[string]note.Verifier{origin: logKey}, nil, nil)
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sig, err := w.AddCheckpoint(body)
		var conflict *clog.ConflictError
		switch {
		case errors.As(err, &conflict):
			rw.Header().Set("Content-Type", "text/x.tlog.size")
			rw.WriteHeader(http.StatusConflict)
			fmt.Fprintf(rw, "%d\n", conflict.Latest)
		case errors.Is(err, clog.ErrFork):
			http.Error(rw, err.Error(), http.StatusConflict)
		case err != nil:
			http.Error(rw, err.Error(), http.StatusUnprocessableEntity)
		case answer != nil:
			_, _ = rw.Write(answer(sig))
		default:
			_, _ = rw.Write(sig)
		}
	}))
	t.Cleanup(srv.Close)
	return store.LogWitness{Name: name, VKey: vkey, URL: srv.URL + "/"}, w
}

func TestSubmit(t *testing.T) {
	l, signer, verifier, _ := testLog(t, 10)
	signed, err := l.SignCheckpoint(origin, signer)
	if err != nil {
		t.Fatal(err)
	}
	proof := func(old int64) (tlog.TreeProof, error) { return l.ConsistencyProof(old, 10) }
	ctx := context.Background()

	good, _ := witnessServer(t, "good.example", verifier, nil)
	if r := submit(ctx, http.DefaultClient, good, signed, 10, proof); r.err != nil || !strings.HasPrefix(r.line, "— good.example ") {
		t.Errorf("good witness: %q %v", r.line, r.err)
	}

	// A witness that lost our view of it (we think it is at 0, it is at
	// 4) answers 409 with its size; the submission is retried from there.
	behind, w := witnessServer(t, "behind.example", verifier, nil)
	short := clog.Open(&clog.MemStorage{}, 0)
	_, _ = short.Append([][]byte{[]byte("entry 0"), []byte("entry 1"), []byte("entry 2"), []byte("entry 3")})
	s4, _ := short.SignCheckpoint(origin, signer)
	if _, err := w.Cosign(0, nil, s4); err != nil {
		t.Fatal(err)
	}
	if r := submit(ctx, http.DefaultClient, behind, signed, 10, proof); r.err != nil {
		t.Errorf("retry from the witness's size: %v", r.err)
	}

	// A cosignature that does not verify with the configured key is refused.
	forged, _ := witnessServer(t, "forged.example", verifier, func(sig []byte) []byte {
		b := []byte(strings.Clone(string(sig)))
		b[len(b)-5] ^= 1
		return b
	})
	if r := submit(ctx, http.DefaultClient, forged, signed, 10, proof); r.err == nil || !strings.Contains(r.err.Error(), "does not verify") {
		t.Errorf("forged cosignature: %v", r.err)
	}
	// An answer without the witness's line is refused.
	silent, _ := witnessServer(t, "silent.example", verifier, func([]byte) []byte { return []byte("nothing\n") })
	if r := submit(ctx, http.DefaultClient, silent, signed, 10, proof); r.err == nil || !strings.Contains(r.err.Error(), "without a cosignature") {
		t.Errorf("no cosignature: %v", r.err)
	}
	// A witness configured with another key's vkey: its line is not found.
	other := good
	_, other.VKey, _ = clog.NewCosigner("good.example", seed("someone else"), time.Now)
	if r := submit(ctx, http.DefaultClient, other, signed, 10, proof); r.err == nil {
		t.Error("a cosignature by another key was accepted")
	}

	// A fork (same size, other root) is refused with 409 and named.
	forkLog := clog.Open(&clog.MemStorage{}, 0)
	es := make([][]byte, 10)
	for i := range es {
		es[i] = fmt.Appendf(nil, "fork %d", i)
	}
	_, _ = forkLog.Append(es)
	fork, _ := forkLog.SignCheckpoint(origin, signer)
	good.Cosigned = 10
	r := submit(ctx, http.DefaultClient, good, fork, 10, func(old int64) (tlog.TreeProof, error) { return forkLog.ConsistencyProof(old, 10) })
	if r.err == nil || !strings.Contains(r.err.Error(), "409 Conflict") || !strings.Contains(r.err.Error(), "different roots") {
		t.Errorf("fork: %v", r.err)
	}
}

func TestCloseNeedsTheQuorum(t *testing.T) {
	l, signer, verifier, entries := testLog(t, 6)
	before, _ := l.SignCheckpoint(origin, signer)
	_, _ = l.Append([][]byte{[]byte("opening 1"), []byte("opening 2")})
	closeCP, _ := l.SignCheckpoint(origin, signer)
	entries = append(entries, []byte("opening 1"), []byte("opening 2"))
	a, _ := witnessServer(t, "a.example", verifier, nil)
	b, _ := witnessServer(t, "b.example", verifier, nil)
	dead := store.LogWitness{Name: "dead.example", URL: "http://127.0.0.1:1/"}
	_, dead.VKey, _ = clog.NewCosigner("dead.example", seed("dead"), time.Now)
	lg := &store.CloseLog{CommunityID: 7, Checkpoint: closeCP, Before: before, Entries: entries,
		Witnesses: store.WitnessConfig{Quorum: 2, Witnesses: []store.LogWitness{a, b, dead}}}

	cosigned, cs, err := Close(context.Background(), nil, lg)
	if err != nil {
		t.Fatal(err)
	}
	va, _ := clog.CosignatureVerifier(a.VKey)
	vb, _ := clog.CosignatureVerifier(b.VKey)
	if n, err := clog.Cosigned(cosigned, []note.Verifier{va, vb}, 2); n != 2 || err != nil {
		t.Errorf("close checkpoint cosigned by %d: %v", n, err)
	}
	if len(cs) != 4 || cs[2].Size != 8 || cs[0].Size != 6 || cs[0].CommunityID != 7 {
		t.Errorf("cosignatures: %+v", cs)
	}

	// A witness ahead of the log (it cosigned a close that was rolled
	// back) says so.
	lg.Witnesses.Quorum = 3
	_, _, err = Close(context.Background(), nil, lg)
	if err == nil || !strings.Contains(err.Error(), "a.example (refused (409 Conflict): the witness holds a checkpoint of size 8, beyond this one's 6)") {
		t.Errorf("witnesses ahead: %v", err)
	}
	a, _ = witnessServer(t, "a.example", verifier, nil)
	b, _ = witnessServer(t, "b.example", verifier, nil)
	lg.Witnesses.Witnesses = []store.LogWitness{a, b, dead}
	_, _, err = Close(context.Background(), nil, lg)
	var se *domain.StateError
	if !errors.Is(err, ErrQuorum) || !errors.As(err, &se) || se.Code != "witness_quorum" ||
		!strings.Contains(err.Error(), "dead.example (") || strings.Contains(err.Error(), "a.example (") {
		t.Errorf("quorum 3 with a dead witness: %v", err)
	}
	lg.Witnesses.Quorum = 0
	if got, cs, err := Close(context.Background(), nil, lg); err != nil || string(got) != string(closeCP) || cs != nil {
		t.Errorf("quorum 0 submits nothing in the close: %v %d", err, len(cs))
	}
}
