package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"koinon/internal/clog"
)

// lockedBuffer is an io.Writer the witness goroutine writes while the test
// reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitFor waits until the witness has printed want.
func waitFor(t *testing.T, out *lockedBuffer, want string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if strings.Contains(out.String(), want) {
			return
		}
	}
	t.Fatalf("witness never printed %q; it printed:\n%s", want, out)
}

// testLog is a log the test publishes: its entries, tiles and signed
// checkpoint in a directory.
type testLog struct {
	entries [][]byte
	signed  []byte
	dir     string
	l       *clog.Log
}

func publishLog(t *testing.T, origin string, signer note.Signer, entries [][]byte) *testLog {
	t.Helper()
	tl := &testLog{entries: entries, dir: t.TempDir(), l: clog.Open(&clog.MemStorage{}, 0)}
	if _, err := tl.l.Append(entries); err != nil {
		t.Fatal(err)
	}
	writeTiles(t, tl.dir, entries)
	var err error
	if tl.signed, err = tl.l.SignCheckpoint(origin, signer); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tl.dir, "checkpoint"), tl.signed, 0o644); err != nil {
		t.Fatal(err)
	}
	return tl
}

func entriesN(n int, tag string) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = fmt.Appendf(nil, "entry %d%s", i, tag)
	}
	return out
}

func post(t *testing.T, url string, body []byte) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "text/plain", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestWitness runs `koinon witness` against a real HTTP server publishing
// a log's tiles: it cosigns the log's growth, and refuses a fork — a
// checkpoint of the same size with another root, whether the log serves
// it to the witness or another client brings it — and a larger checkpoint
// of the forked history, which does not extend what it cosigned.
func TestWitness(t *testing.T) {
	var served atomic.Pointer[string] // the directory the log serves
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.FileServer(http.Dir(*served.Load())).ServeHTTP(w, r)
	}))
	defer srv.Close()
	origin, _ := clog.Origin(srv.URL)
	seed := sha256.Sum256([]byte("witness test log"))
	skey, vkey, err := clog.NoteKeys(origin, seed[:])
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := note.NewSigner(skey)

	keyFile := filepath.Join(t.TempDir(), "witness.key")
	code, wvkey, errOut := runCmd(t, "", nil, "witness", "keygen", "--name", "witness.test", "--out", keyFile)
	if code != 0 {
		t.Fatalf("keygen: %d %s", code, errOut)
	}
	cosigVerifier, err := clog.CosignatureVerifier(strings.TrimSpace(wvkey))
	if err != nil {
		t.Fatal(err)
	}

	honest5 := publishLog(t, origin, signer, entriesN(5, ""))
	served.Store(&honest5.dir)
	ctx, cancel := context.WithCancel(context.Background())
	out := &lockedBuffer{}
	done := make(chan int)
	start := func() {
		go func() {
			done <- run(ctx, env{args: []string{"witness", "--log", srv.URL + "/", "--log-key", vkey, "--key", keyFile,
				"--listen", "127.0.0.1:0", "--interval", "50ms"}, getenv: func(string) string { return "" },
				stdin: strings.NewReader(""), stdout: out, stderr: out})
		}()
	}
	start()
	waitFor(t, out, "listening on ")
	addr := strings.Fields(out.String()[strings.Index(out.String(), "listening on "):])[2]
	add := "http://" + addr + "/add-checkpoint"

	waitFor(t, out, fmt.Sprintf("cosigned %s size 5\n", origin))
	honest300 := publishLog(t, origin, signer, entriesN(300, "")) // two tiles: the proof needs both
	served.Store(&honest300.dir)
	waitFor(t, out, fmt.Sprintf("cosigned %s size 300\n", origin))

	// Another client was shown a forked history of the same size.
	forked := entriesN(300, "")
	forked[299] = []byte("entry 299, rewritten")
	fork300 := publishLog(t, origin, signer, forked)
	if code, body := post(t, add, clog.AddCheckpointRequest(300, nil, fork300.signed)); code != http.StatusConflict || !strings.Contains(body, "same size with different roots") {
		t.Errorf("forked checkpoint via add-checkpoint: %d %s", code, body)
	}
	// The log serves the fork to the witness too.
	served.Store(&fork300.dir)
	waitFor(t, out, fmt.Sprintf("REFUSED %s size 300: clog: two checkpoints of the same size with different roots", origin))
	// And grows the forked history: it does not extend what was cosigned.
	fork310 := publishLog(t, origin, signer, append(forked, entriesN(10, " more")...))
	served.Store(&fork310.dir)
	waitFor(t, out, fmt.Sprintf("REFUSED %s size 310: clog: consistency proof does not verify", origin))

	// The honest log grows and sends its checkpoint itself.
	honest310 := publishLog(t, origin, signer, append(entriesN(300, ""), entriesN(10, " more")...))
	served.Store(&honest310.dir)
	proof, err := honest310.l.ConsistencyProof(300, 310)
	if err != nil {
		t.Fatal(err)
	}
	code, body := post(t, add, clog.AddCheckpointRequest(300, proof, honest310.signed))
	if code != http.StatusOK {
		t.Fatalf("honest add-checkpoint: %d %s", code, body)
	}
	if _, err := note.Open(append(bytes.Clone(honest310.signed), body...), note.VerifierList(cosigVerifier)); err != nil {
		t.Errorf("cosignature %q does not verify: %v", body, err)
	}
	if code, body := post(t, add, clog.AddCheckpointRequest(300, proof, honest310.signed)); code != http.StatusConflict || body != "310\n" {
		t.Errorf("stale old size: %d %q, want 409 with the latest size", code, body)
	}

	// The state survives a restart.
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("witness exited %d:\n%s", code, out)
	}
	state, _ := os.ReadFile(keyFile + ".state")
	if c, err := clog.ParseCheckpoint(string(state)); err != nil || c.Size != 310 {
		t.Fatalf("state file %q: %v", state, err)
	}
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	out.mu.Lock()
	out.b.Reset()
	out.mu.Unlock()
	served.Store(&fork310.dir)
	start()
	waitFor(t, out, fmt.Sprintf("REFUSED %s size 310: clog: two checkpoints of the same size with different roots", origin))
	cancel()
	<-done
}
