package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"koinon/internal/clog"
	"koinon/internal/cosigning"
	"koinon/internal/store/sqlstore"
	"koinon/internal/store/storetest"
	"koinon/internal/testbin"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testbin.Cleanup()
	os.Exit(code)
}

// witnessProc is a `koinon witness` running as its own process.
type witnessProc struct {
	name, vkey, url string
	out             *lockedBuffer
}

// startWitness makes a witness key and runs `koinon witness` on the log
// in a separate process, polling every interval.
func startWitness(t *testing.T, name, logURL, logKey string, interval time.Duration) *witnessProc {
	t.Helper()
	keyFile := filepath.Join(t.TempDir(), name+".key")
	code, vkey, errs := runCmd(t, "", nil, "witness", "keygen", "--name", name, "--out", keyFile)
	if code != 0 {
		t.Fatalf("witness keygen: %d %s", code, errs)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, testbin.Koinon(t), "witness", "--log", logURL, "--log-key", logKey, "--key", keyFile,
		"--listen", "127.0.0.1:0", "--interval", interval.String())
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait(); pw.Close() })
	w := &witnessProc{name: name, vkey: strings.TrimSpace(vkey), out: &lockedBuffer{}}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			l := sc.Text()
			fmt.Fprintln(w.out, l)
			if a, ok := strings.CutPrefix(l, "listening on "); ok {
				addr <- a
			}
		}
	}()
	select {
	case a := <-addr:
		w.url = "http://" + a + "/"
	case <-time.After(20 * time.Second):
		t.Fatalf("witness %s did not start:\n%s", name, w.out)
	}
	return w
}

// deadURL is an address where nothing listens.
func deadURL(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	return "http://" + ln.Addr().String() + "/"
}

// api sends a JSON request as handle and returns the status and body.
func (cw *clientWorld) api(t *testing.T, handle, method, path string, body any) (int, string) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, cw.ts.URL+path, r)
	req.Header.Set("Content-Type", "application/json")
	if handle != "" {
		c := cw.w.Citizen(handle)
		tok, _, err := cw.tokens.Issue(c.ID, c.Handle, c.TokenVersion)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

type witnessJSON struct {
	Name string `json:"name,omitempty"`
	VKey string `json:"vkey"`
	URL  string `json:"url"`
}

// TestServerWitnesses runs two `koinon witness` processes and a dead
// witness against a real server: the board configures them (bad
// configurations are 422 naming the field); the server pushes each new
// checkpoint and serves the cosignatures with it; a close that the quorum
// does not cosign is refused with 409 naming the missing witness and
// writes nothing; a close the quorum cosigns seals a proof whose
// checkpoint `koinon verify --witness --quorum` accepts; and when the
// operator then rewrites a log entry (a forked history: same size, other
// root), both witnesses refuse it, the polling one on its own.
func TestServerWitnesses(t *testing.T) {
	for dialect, open := range map[string]func(testing.TB) *sqlstore.Store{"sqlite": storetest.SQLite, "postgres": storetest.Postgres} {
		t.Run(dialect, func(t *testing.T) { testServerWitnesses(t, open(t)) })
	}
}

func testServerWitnesses(t *testing.T, st *sqlstore.Store) {
	ctx := context.Background()
	cw := newClientWorld(t, st)
	info, err := st.Log(ctx, cw.c.ID)
	if err != nil {
		t.Fatal(err)
	}
	logURL := cw.ts.URL + "/logs/commons/"
	w1 := startWitness(t, "w1.example", logURL, info.VKey, time.Hour)
	w2 := startWitness(t, "w2.example", logURL, info.VKey, 200*time.Millisecond) // polls as well
	_, w3key, err := clog.NewCosigner("w3.example", make([]byte, 32), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	dead := deadURL(t)
	good := []witnessJSON{{VKey: w1.vkey, URL: w1.url}, {Name: "w2.example", VKey: w2.vkey, URL: w2.url}, {VKey: w3key, URL: dead}}
	path := "/api/v1/communities/commons/witnesses"

	for _, tc := range []struct {
		name  string
		by    string
		body  any
		code  int
		field string
	}{
		{"quorum above the witnesses", "board", map[string]any{"quorum": 4, "witnesses": good}, 422, `"field":"quorum"`},
		{"negative quorum", "board", map[string]any{"quorum": -1, "witnesses": good}, 422, `"field":"quorum"`},
		{"no quorum", "board", map[string]any{"witnesses": good}, 422, `"field":"quorum"`},
		{"bad key", "board", map[string]any{"quorum": 1, "witnesses": []witnessJSON{{VKey: info.VKey, URL: w1.url}}}, 422, `"field":"witnesses[0].vkey"`},
		{"name not the key's", "board", map[string]any{"quorum": 1, "witnesses": []witnessJSON{{Name: "other", VKey: w1.vkey, URL: w1.url}}}, 422, `"field":"witnesses[0].name"`},
		{"same witness twice", "board", map[string]any{"quorum": 1, "witnesses": []witnessJSON{good[0], good[0]}}, 422, `"field":"witnesses[1].vkey"`},
		{"not an http URL", "board", map[string]any{"quorum": 1, "witnesses": []witnessJSON{{VKey: w1.vkey, URL: "ftp://x/"}}}, 422, `"field":"witnesses[0].url"`},
		{"URL with a password", "board", map[string]any{"quorum": 1, "witnesses": []witnessJSON{{VKey: w1.vkey, URL: "http://a:b@x/"}}}, 422, `"field":"witnesses[0].url"`},
		{"quorum a string", "board", map[string]any{"quorum": "2", "witnesses": good}, 422, `"field":"quorum"`},
		{"a member", "ann", map[string]any{"quorum": 2, "witnesses": good}, 403, ""},
		{"anonymous", "", map[string]any{"quorum": 2, "witnesses": good}, 401, ""},
	} {
		if code, body := cw.api(t, tc.by, "PUT", path, tc.body); code != tc.code || !strings.Contains(body, tc.field) {
			t.Errorf("%s: %d %s, want %d naming %s", tc.name, code, body, tc.code, tc.field)
		}
	}
	if cfg, _ := st.Witnesses(ctx, cw.c.ID); len(cfg.Witnesses) != 0 {
		t.Fatalf("a refused configuration was written: %+v", cfg)
	}
	if code, body := cw.api(t, "board", "PUT", path, map[string]any{"quorum": 3, "witnesses": good}); code != 200 {
		t.Fatalf("configure witnesses: %d %s", code, body)
	}

	cw.play(t)
	worker := &cosigning.Worker{Store: st, Wait: 10 * time.Second}
	if err := worker.Sync(ctx, cw.c.ID); err != nil {
		t.Fatal(err)
	}
	cfg, _ := st.Witnesses(ctx, cw.c.ID)
	size := cw.logSize(t)
	if cfg.Witnesses[0].Cosigned != size || cfg.Witnesses[1].Cosigned != size || cfg.Witnesses[2].LastError == "" {
		t.Fatalf("after a sync at size %d: %+v", size, cfg.Witnesses)
	}
	verifiers := func(ws ...string) []note.Verifier {
		var out []note.Verifier
		for _, w := range ws {
			v, err := clog.CosignatureVerifier(w)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, v)
		}
		return out
	}
	signed := cw.get(t, "/logs/commons/checkpoint")
	if n, err := clog.Cosigned([]byte(signed), verifiers(w1.vkey, w2.vkey, w3key), 2); err != nil || n != 2 {
		t.Errorf("served checkpoint cosigned by %d: %v\n%s", n, err, signed)
	}
	page := cw.get(t, "/communities/commons/log")
	for _, want := range []string{"w1.example", "w2.example", "w3.example", "did not cosign", "connection refused"} {
		if !strings.Contains(page, want) {
			t.Errorf("log page lacks %q", want)
		}
	}

	// Quorum 3 with one witness down: the close is refused, naming it,
	// and nothing is written.
	closePath := "/api/v1/ballots/" + strconv.FormatInt(cw.ballot.ID, 10) + "/close"
	code, body := cw.api(t, "board", "POST", closePath, nil)
	if code != http.StatusConflict || !strings.Contains(body, "w3.example") || strings.Contains(body, "w1.example (") {
		t.Fatalf("close without the quorum: %d %s", code, body)
	}
	if b, _ := st.BallotByID(ctx, cw.ballot.ID); b.State != "open" || cw.logSize(t) != size {
		t.Fatalf("a refused close wrote: state %s, log size %d (was %d)", b.State, cw.logSize(t), size)
	}

	// Quorum 2: sealed on a checkpoint both live witnesses cosigned.
	if code, body := cw.api(t, "board", "PUT", path, map[string]any{"quorum": 2, "witnesses": good}); code != 200 {
		t.Fatalf("configure witnesses: %d %s", code, body)
	}
	if code, body := cw.api(t, "board", "POST", closePath, nil); code != 200 {
		t.Fatalf("close with the quorum: %d %s", code, body)
	}
	code, body = cw.api(t, "", "GET", "/api/v1/ballots/"+strconv.FormatInt(cw.ballot.ID, 10)+"/proof", nil)
	if code != 200 {
		t.Fatalf("proof: %d", code)
	}
	proofFile := filepath.Join(cw.dir, "witnessed.json")
	if err := os.WriteFile(proofFile, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	key := base64.StdEncoding.EncodeToString([]byte(cw.signer.Key.Public().(ed25519.PublicKey)))
	verify := func(args ...string) (int, string) {
		code, out, errs := runCmd(t, "", nil, append([]string{"verify", proofFile, "--key", key, "--log-key", info.VKey}, args...)...)
		return code, out + errs
	}
	if code, out := verify("--witness", w1.vkey, "--witness", w2.vkey, "--quorum", "2", "--log", logURL); code != 0 {
		t.Errorf("verify --witness --quorum 2: %d\n%s", code, out)
	}
	if code, out := verify("--witness", w1.vkey, "--witness", w2.vkey, "--witness", w3key, "--quorum", "3"); code != 1 || !strings.Contains(out, "too few witness cosignatures") {
		t.Errorf("verify --quorum 3: %d\n%s", code, out)
	}
	closeSize := cw.logSize(t)
	if err := worker.Sync(ctx, cw.c.ID); err != nil {
		t.Fatal(err)
	}

	// The operator rewrites entry 1 and the tree with it: the log now
	// shows another root for a size both witnesses cosigned.
	cw.rewriteLog(t, 1)
	if err := worker.Sync(ctx, cw.c.ID); err != nil {
		t.Fatal(err)
	}
	cfg, _ = st.Witnesses(ctx, cw.c.ID)
	for _, w := range cfg.Witnesses[:2] {
		if w.Cosigned != closeSize || !strings.Contains(w.LastError, "409 Conflict") || !strings.Contains(w.LastError, "same size with different roots") {
			t.Errorf("%s after the rewrite: cosigned %d, last error %q", w.Name, w.Cosigned, w.LastError)
		}
	}
	waitFor(t, w2.out, fmt.Sprintf("REFUSED %s size %d: clog: two checkpoints of the same size with different roots", info.Origin, closeSize))
	if !strings.Contains(cw.get(t, "/communities/commons/log"), "same size with different roots") {
		t.Error("the log page does not show the witnesses' refusal")
	}
	if n, _ := clog.Cosigned([]byte(cw.get(t, "/logs/commons/checkpoint")), verifiers(w1.vkey, w2.vkey), 0); n != 0 {
		t.Errorf("the rewritten checkpoint is served with %d cosignatures", n)
	}
}

func (cw *clientWorld) get(t *testing.T, path string) string {
	t.Helper()
	code, body := cw.api(t, "", "GET", path, nil)
	if code != 200 {
		t.Fatalf("GET %s: %d %s", path, code, body)
	}
	return body
}

func (cw *clientWorld) logSize(t *testing.T) int64 {
	t.Helper()
	info, err := cw.st.Log(context.Background(), cw.c.ID)
	if err != nil {
		t.Fatal(err)
	}
	return info.Size
}

// rewriteLog plays an operator who rewrites log entry idx and the stored
// tree hashes to match, so that the log serves a consistent but different
// history (a fork of what was published).
func (cw *clientWorld) rewriteLog(t *testing.T, idx int64) {
	t.Helper()
	ctx := context.Background()
	size := cw.logSize(t)
	entries, err := cw.st.LogEntries(ctx, cw.c.ID, 0, size)
	if err != nil {
		t.Fatal(err)
	}
	entries[idx] = []byte(`{"type":"statement"}`)
	mem := &clog.MemStorage{}
	if _, err := clog.Open(mem, 0).Append(entries); err != nil {
		t.Fatal(err)
	}
	cw.exec(t, "UPDATE log_entries SET data = ? WHERE community_id = ? AND idx = ?", entries[idx], cw.c.ID, idx)
	indexes := make([]int64, tlog.StoredHashCount(size))
	for i := range indexes {
		indexes[i] = int64(i)
	}
	hashes, err := mem.ReadHashes(indexes)
	if err != nil {
		t.Fatal(err)
	}
	for i, h := range hashes {
		cw.exec(t, "UPDATE log_hashes SET hash = ? WHERE community_id = ? AND idx = ?", h[:], cw.c.ID, i)
	}
}
