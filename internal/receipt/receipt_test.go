package receipt_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"koinon/internal/clog"
	"koinon/internal/proof"
	"koinon/internal/receipt"
	"koinon/internal/statement"
)

const origin = "vote.example.org/logs/parks"

// testLog is a community log in memory with its signing key.
type testLog struct {
	t      *testing.T
	log    *clog.Log
	signer note.Signer
	vkey   string
}

func newTestLog(t *testing.T, seed byte) *testLog {
	skey, vkey, err := clog.NoteKeys(origin, bytes.Repeat([]byte{seed}, 32))
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return &testLog{t: t, log: clog.Open(&clog.MemStorage{}, 0), signer: signer, vkey: vkey}
}

func (l *testLog) append(entries ...string) []byte {
	var bs [][]byte
	for _, e := range entries {
		bs = append(bs, []byte(e))
	}
	if _, err := l.log.Append(bs); err != nil {
		l.t.Fatal(err)
	}
	cp, err := l.log.SignCheckpoint(origin, l.signer)
	if err != nil {
		l.t.Fatal(err)
	}
	return cp
}

func hexes(hs []tlog.Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = hex.EncodeToString(h[:])
	}
	return out
}

func TestAdvanceAndIncluded(t *testing.T) {
	l := newTestLog(t, 9)
	kept := l.append("a", "b", "c")
	next := l.append("d", "e")
	p, err := l.log.ConsistencyProof(3, 5)
	if err != nil {
		t.Fatal(err)
	}
	good := hexes(p)
	if cp, err := receipt.Advance(l.vkey, origin, kept, next, good); err != nil || cp.Size != 5 {
		t.Fatalf("advance 3 to 5: %v %v", cp, err)
	}
	if _, err := receipt.Advance(l.vkey, origin, nil, next, nil); err != nil {
		t.Errorf("first checkpoint: %v", err)
	}
	inc, err := l.log.InclusionProof(1, 5)
	if err != nil {
		t.Fatal(err)
	}
	if err := receipt.Included(l.vkey, origin, next, 1, []byte("b"), hexes(inc)); err != nil {
		t.Errorf("entry 1 in size 5: %v", err)
	}

	// A fork: another log with the same key and size, other entries.
	fork := newTestLog(t, 9)
	forked := fork.append("a", "b", "x")
	other := newTestLog(t, 8)
	otherNext := other.append("a", "b", "c", "d", "e")
	bent := append([]string{}, good...)
	bent[0] = strings.Repeat("0", 64)
	for _, tc := range []struct {
		name       string
		vkey       string
		kept, next []byte
		proof      []string
		want       error
	}{
		{"a wrong consistency proof", l.vkey, kept, next, bent, clog.ErrInconsistent},
		{"two roots at one size", l.vkey, kept, forked, nil, clog.ErrFork},
		{"the log shrank", l.vkey, next, kept, nil, clog.ErrShrunk},
		{"not signed by the log's key", l.vkey, kept, otherNext, good, clog.ErrLogSignature},
		{"a proof hash that is not hex", l.vkey, kept, next, []string{"zz"}, clog.ErrInclusion},
		{"another log's key", other.vkey, kept, next, good, clog.ErrLogSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := receipt.Advance(tc.vkey, origin, tc.kept, tc.next, tc.proof); !errors.Is(err, tc.want) {
				t.Errorf("Advance: %v, want %v", err, tc.want)
			}
		})
	}
	if err := receipt.Included(l.vkey, origin, next, 1, []byte("B"), hexes(inc)); !errors.Is(err, clog.ErrInclusion) {
		t.Errorf("another entry: %v, want ErrInclusion", err)
	}
	if err := receipt.Included(l.vkey, "vote.example.org/logs/other", next, 1, []byte("b"), hexes(inc)); !errors.Is(err, clog.ErrWrongOrigin) {
		t.Errorf("another origin: %v, want ErrWrongOrigin", err)
	}
}

func TestEntry(t *testing.T) {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32))
	content, _ := statement.Content(statement.VoteContent{Choice: []byte(`"yes"`)})
	env, err := statement.Sign(statement.Statement{Format: statement.Format, Kind: statement.Vote, Community: "parks",
		Scope: statement.BallotScope("7"), Content: content, At: "2026-12-05T10:00:00Z", Key: proof.KeyID(key.Public().(ed25519.PublicKey))}, key, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	// Any JSON that canonicalises to the envelope gives the same entry.
	var loose map[string]any
	_ = json.Unmarshal(env.Bytes(), &loose)
	indented, _ := json.MarshalIndent(loose, "", "  ")
	got, err := receipt.Entry(indented, "")
	want, _ := clog.StatementEntry(env).Bytes()
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("statement entry: %s %v, want %s", got, err, want)
	}
	nonce := bytes.Repeat([]byte{0xab}, 32)
	c, _ := statement.Commit(nonce, env)
	ce, _ := clog.CommitmentEntry(env, c)
	want, _ = ce.Bytes()
	if got, err := receipt.Entry(env.Bytes(), hex.EncodeToString(nonce)); err != nil || !bytes.Equal(got, want) {
		t.Errorf("commitment entry: %s %v, want %s", got, err, want)
	}
	for _, bad := range []string{"07", strings.ToUpper(hex.EncodeToString(nonce)), "zz" + hex.EncodeToString(nonce)[2:]} {
		if _, err := receipt.Entry(env.Bytes(), bad); !errors.Is(err, statement.ErrBadNonce) {
			t.Errorf("nonce %q: %v, want ErrBadNonce", bad, err)
		}
	}
	if _, err := receipt.Entry([]byte(`{"statement":{}}`), ""); err == nil {
		t.Error("a malformed envelope gave an entry")
	}
}

// TestCheckSealed checks the proof-2 vectors as a citizen's device: ann's
// statements are carried as made; a statement the proof does not carry as
// made, or a proof that does not verify, is a problem.
func TestCheckSealed(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "proof2", "testdata", "vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Log struct {
			VKey string `json:"vkey"`
		} `json:"log"`
		Proof json.RawMessage `json:"proof"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	if v.Proof, err = proof.Canonicalize(v.Proof); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Entries []struct {
			Index int64           `json:"index"`
			Entry json.RawMessage `json:"entry"`
		} `json:"entries"`
	}
	_ = json.Unmarshal(v.Proof, &doc)
	var kept []receipt.Kept
	for _, e := range doc.Entries {
		c, _ := proof.Canonicalize(e.Entry)
		if bytes.Contains(c, []byte(`"citizen":"ann"`)) || bytes.Contains(c, []byte(`"key":"34750f98bd59fcfc"`)) {
			kept = append(kept, receipt.Kept{Kind: "statement", Index: e.Index, Entry: c})
		}
	}
	if len(kept) == 0 {
		t.Fatal("no statement of ann's in the vectors")
	}
	got, err := receipt.CheckSealed(v.Proof, v.Log.VKey, "ann", kept)
	if err != nil || !got.OnRoll || got.Used != len(kept) || len(got.Problems) != 0 {
		t.Fatalf("ann's statements: %+v %v", got, err)
	}
	changed := append([]receipt.Kept{}, kept...)
	changed[0].Entry = []byte(base64.StdEncoding.EncodeToString(changed[0].Entry))
	if got, _ := receipt.CheckSealed(v.Proof, v.Log.VKey, "ann", changed); len(got.Problems) != 1 || got.Problems[0].Index != kept[0].Index {
		t.Errorf("a statement not carried as made: %+v", got)
	}
	tampered := bytes.Replace(v.Proof, []byte(`"custodial_weight":1`), []byte(`"custodial_weight":0`), 1)
	if bytes.Equal(tampered, v.Proof) {
		t.Fatal("could not tamper with the proof")
	}
	if got, _ := receipt.CheckSealed(tampered, v.Log.VKey, "ann", kept); len(got.Problems) == 0 || got.Problems[0].Index != -1 {
		t.Errorf("a proof that does not verify: %+v", got)
	}
	if got, _ := receipt.CheckSealed(v.Proof, "other+00000000+AQ==", "ann", kept); len(got.Problems) == 0 {
		t.Errorf("another log key: %+v", got)
	}
	if got, _ := receipt.CheckSealed(v.Proof, v.Log.VKey, "zed", kept); got.OnRoll || len(got.Problems) != 0 {
		t.Errorf("not on the roll: %+v", got)
	}
	if _, err := receipt.CheckSealed([]byte(`{"format":"koinon-tally-proof/1"}`), v.Log.VKey, "ann", kept); !errors.Is(err, receipt.ErrNotProof2) {
		t.Errorf("a proof 1: %v", err)
	}
}

func TestBundleOf(t *testing.T) {
	for _, tc := range []struct {
		size, index int64
		path        string
		at          int
	}{
		{5, 2, "tile/entries/000.p/5", 2},
		{256, 255, "tile/entries/000", 255},
		{600, 300, "tile/entries/001", 44},
		{600, 599, "tile/entries/002.p/88", 87},
	} {
		path, at, err := receipt.BundleOf(tc.size, tc.index)
		if err != nil || path != tc.path || at != tc.at {
			t.Errorf("BundleOf(%d, %d) = %s %d %v, want %s %d", tc.size, tc.index, path, at, err, tc.path, tc.at)
		}
	}
	if _, _, err := receipt.BundleOf(5, 5); !errors.Is(err, clog.ErrBadRange) {
		t.Errorf("an index beyond the log: %v", err)
	}
	bundle := []byte{0, 1, 'a', 0, 2, 'b', 'c'}
	if e, err := receipt.EntryIn(bundle, 1); err != nil || string(e) != "bc" {
		t.Errorf("EntryIn(1) = %q %v", e, err)
	}
	if _, err := receipt.EntryIn(bundle, 2); !errors.Is(err, clog.ErrBadRange) {
		t.Errorf("no entry 2: %v", err)
	}
	if _, err := receipt.EntryIn(bundle[:5], 0); err == nil {
		t.Error("a cut bundle was read")
	}
}
