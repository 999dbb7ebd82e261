package clog

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"koinon/internal/proof"
)

const testOrigin = "vote.example.org/logs/parks"

func seed(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

// testLog returns a log of n entries "entry 0", "entry 1", … appended in
// batches of random size, with the entries.
func testLog(t testing.TB, n int, r *rand.Rand) (*Log, [][]byte) {
	t.Helper()
	l := Open(&MemStorage{}, 0)
	var all [][]byte
	for len(all) < n {
		k := min(1+r.IntN(40), n-len(all))
		var batch [][]byte
		for i := range k {
			batch = append(batch, fmt.Appendf(nil, "entry %d", len(all)+i))
		}
		first, err := l.Append(batch)
		if err != nil || first != int64(len(all)) {
			t.Fatalf("Append = %d, %v; want first %d", first, err, len(all))
		}
		all = append(all, batch...)
	}
	return l, all
}

func logKeys(t testing.TB, b byte) (note.Signer, note.Verifier, string) {
	t.Helper()
	skey, vkey, err := NoteKeys(testOrigin, seed(b))
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return s, v, vkey
}

func TestRootsAndProofs(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const n = 300 // crosses a full tile
	l, entries := testLog(t, n, r)
	for size := int64(0); size <= n; size++ {
		root, err := l.Root(size)
		if err != nil {
			t.Fatal(err)
		}
		// The project's own RFC 6962 tree (proof.NewTree) agrees.
		var leaves []proof.Hash
		for _, e := range entries[:size] {
			leaves = append(leaves, proof.LeafHash(e))
		}
		want := proof.EmptyRoot
		if size > 0 {
			want = proof.NewTree(leaves).Root()
		}
		if root != tlog.Hash(want) {
			t.Fatalf("size %d: root %s, proof.Tree says %s", size, root, want)
		}
	}
	for range 200 {
		size := 1 + r.Int64N(n)
		index := r.Int64N(size)
		old := r.Int64N(size + 1)
		root, _ := l.Root(size)
		c := Checkpoint{Origin: testOrigin, Size: size, Root: root}
		p, err := l.InclusionProof(index, size)
		if err != nil {
			t.Fatal(err)
		}
		if err := VerifyInclusion(c, index, entries[index], p); err != nil {
			t.Fatal(err)
		}
		if err := VerifyInclusion(c, index, []byte("forged"), p); !errors.Is(err, ErrInclusion) {
			t.Fatalf("forged entry: %v, want ErrInclusion", err)
		}
		oldRoot, _ := l.Root(old)
		tp, err := l.ConsistencyProof(old, size)
		if err != nil {
			t.Fatal(err)
		}
		oc := Checkpoint{Origin: testOrigin, Size: old, Root: oldRoot}
		if err := VerifyConsistency(oc, c, tp); err != nil {
			t.Fatalf("consistency %d→%d: %v", old, size, err)
		}
		if old > 0 && old < size {
			bad := Checkpoint{Origin: testOrigin, Size: old, Root: tlog.RecordHash([]byte("rewritten"))}
			if err := VerifyConsistency(bad, c, tp); !errors.Is(err, ErrInconsistent) {
				t.Fatalf("rewritten history %d→%d: %v, want ErrInconsistent", old, size, err)
			}
		}
	}
}

// Replay gives the root the stored log gives at every size, also when the
// iterator hands each entry over in one reused buffer, and refuses an
// entry too large for the log.
func TestReplay(t *testing.T) {
	const n = 300
	l, entries := testLog(t, n, rand.New(rand.NewPCG(3, 4)))
	for size := range n + 1 {
		want, _ := l.Root(int64(size))
		var buf []byte
		root, got, err := Replay(func(yield func([]byte) bool) {
			for _, e := range entries[:size] {
				if buf = append(buf[:0], e...); !yield(buf) {
					return
				}
			}
		})
		if err != nil || got != int64(size) || root != want {
			t.Fatalf("Replay of %d entries = %s, %d, %v; want %s, %d", size, root, got, err, want, size)
		}
	}
	tooLarge := [][]byte{[]byte("ok"), make([]byte, MaxEntrySize+1)}
	if _, _, err := Replay(slices.Values(tooLarge)); !errors.Is(err, ErrEntry) {
		t.Errorf("Replay of a %d-byte entry: %v, want ErrEntry", MaxEntrySize+1, err)
	}
}

func TestProofRequestsOutsideTheLog(t *testing.T) {
	l, _ := testLog(t, 10, rand.New(rand.NewPCG(3, 4)))
	for name, tc := range map[string]struct {
		err  func() error
		want error
	}{
		"inclusion beyond size":   {func() error { _, err := l.InclusionProof(10, 10); return err }, ErrBadRange},
		"inclusion negative":      {func() error { _, err := l.InclusionProof(-1, 5); return err }, ErrBadRange},
		"inclusion in a future":   {func() error { _, err := l.InclusionProof(3, 11); return err }, ErrSizeBeyondLog},
		"consistency to a future": {func() error { _, err := l.ConsistencyProof(5, 11); return err }, ErrSizeBeyondLog},
		"consistency backwards":   {func() error { _, err := l.ConsistencyProof(6, 5); return err }, ErrBadRange},
		"root of a future":        {func() error { _, err := l.Root(11); return err }, ErrSizeBeyondLog},
		"tile of a future":        {func() error { _, err := l.HashTile(tlog.Tile{H: 8, L: 0, N: 0, W: 11}); return err }, ErrSizeBeyondLog},
	} {
		if err := tc.err(); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
}

func TestAppendIsAllOrNothing(t *testing.T) {
	l, _ := testLog(t, 5, rand.New(rand.NewPCG(5, 6)))
	root, _ := l.Root(5)
	if _, err := l.Append([][]byte{[]byte("ok"), make([]byte, MaxEntrySize+1)}); !errors.Is(err, ErrEntry) {
		t.Fatalf("oversized entry: %v", err)
	}
	if got, _ := l.Root(5); l.Size() != 5 || got != root {
		t.Fatal("a failed append changed the log")
	}
}

func TestCheckpoint(t *testing.T) {
	signer, verifier, _ := logKeys(t, 1)
	_, otherKey, _ := logKeys(t, 2)
	l, _ := testLog(t, 7, rand.New(rand.NewPCG(7, 8)))
	signed, err := l.SignCheckpoint(testOrigin, signer)
	if err != nil {
		t.Fatal(err)
	}
	root, _ := l.Root(7)
	wantText := testOrigin + "\n7\n" + b64(root) + "\n\n— " + testOrigin + " "
	if !strings.HasPrefix(string(signed), wantText) {
		t.Fatalf("checkpoint note\n%s\nwant prefix\n%s", signed, wantText)
	}
	c, _, err := OpenCheckpoint(signed, testOrigin, verifier)
	if err != nil || c.Size != 7 || c.Root != root {
		t.Fatalf("OpenCheckpoint = %+v, %v", c, err)
	}
	for name, tc := range map[string]struct {
		signed []byte
		origin string
		key    note.Verifier
		want   error
	}{
		"wrong origin":    {signed, "vote.example.org/logs/other", verifier, ErrWrongOrigin},
		"other log's key": {signed, testOrigin, otherKey, ErrLogSignature},
		"size changed":    {bytes.Replace(signed, []byte("\n7\n"), []byte("\n8\n"), 1), testOrigin, verifier, ErrLogSignature},
		"not a note":      {[]byte("hello"), testOrigin, verifier, ErrCheckpoint},
	} {
		if _, _, err := OpenCheckpoint(tc.signed, tc.origin, tc.key); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	for _, bad := range []string{
		"o\n07\n" + b64(root) + "\n", "o\n7\nAAAA\n", "o\n7\n" + b64(root) + "\next\n", "o\n-1\n" + b64(root) + "\n", "\n7\n" + b64(root) + "\n",
	} {
		if _, err := ParseCheckpoint(bad); !errors.Is(err, ErrCheckpoint) {
			t.Errorf("ParseCheckpoint(%q) = %v, want ErrCheckpoint", bad, err)
		}
	}
	if o, err := Origin("https://vote.example.org/logs/parks/"); o != testOrigin || err != nil {
		t.Errorf("Origin = %q, %v", o, err)
	}
	if _, err := Origin("ftp://x"); err == nil {
		t.Error("Origin accepted ftp")
	}
}

func TestVerifyConsistencyRefuses(t *testing.T) {
	a := Checkpoint{Origin: testOrigin, Size: 5, Root: tlog.RecordHash([]byte("a"))}
	b := Checkpoint{Origin: testOrigin, Size: 5, Root: tlog.RecordHash([]byte("b"))}
	small := Checkpoint{Origin: testOrigin, Size: 4, Root: a.Root}
	other := Checkpoint{Origin: "x.example/logs/y", Size: 6, Root: a.Root}
	for name, tc := range map[string]struct {
		old, next Checkpoint
		want      error
	}{
		"fork":           {a, b, ErrFork},
		"shrunk":         {a, small, ErrShrunk},
		"other origin":   {a, other, ErrWrongOrigin},
		"no proof":       {small, a, ErrInconsistent},
		"same but proof": {a, a, nil},
	} {
		if err := VerifyConsistency(tc.old, tc.next, nil); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
}

func TestTiles(t *testing.T) {
	for _, tc := range []struct {
		tile tlog.Tile
		path string
	}{
		{tlog.Tile{H: 8, L: 0, N: 1234067, W: 256}, "tile/0/x001/x234/067"},
		{tlog.Tile{H: 8, L: 1, N: 0, W: 5}, "tile/1/000.p/5"},
		{tlog.Tile{H: 8, L: -1, N: 1000, W: 256}, "tile/entries/x001/000"},
		{tlog.Tile{H: 8, L: -1, N: 2, W: 17}, "tile/entries/002.p/17"},
	} {
		if got := TilePath(tc.tile); got != tc.path {
			t.Errorf("TilePath(%+v) = %q, want %q", tc.tile, got, tc.path)
		}
		if got, err := ParseTilePath(tc.path); err != nil || got != tc.tile {
			t.Errorf("ParseTilePath(%q) = %+v, %v", tc.path, got, err)
		}
	}
	for _, bad := range []string{"tile/8/0/000", "tile/data/000", "tile/0/1", "tile/0/000.p/256", "tile/0/000.p/0", "checkpoint", "tile/entries/x000/001"} {
		if _, err := ParseTilePath(bad); err == nil {
			t.Errorf("ParseTilePath(%q) accepted", bad)
		}
	}

	// A tlog client that reads only our hash tiles computes the same root and
	// proofs: the tiles are what x/mod's tile reader expects.
	l, entries := testLog(t, 600, rand.New(rand.NewPCG(9, 10)))
	root, _ := l.Root(600)
	tr := tileReader{l}
	hr := tlog.TileHashReader(tlog.Tree{N: 600, Hash: root}, tr)
	if got, err := tlog.TreeHash(600, hr); err != nil || got != root {
		t.Fatalf("root from tiles = %s, %v; want %s", got, err, root)
	}
	p, err := tlog.ProveRecord(600, 345, hr)
	if err != nil || tlog.CheckRecord(p, 600, root, 345, tlog.RecordHash(entries[345])) != nil {
		t.Fatalf("inclusion from tiles: %v", err)
	}
	var paths []string
	for _, tile := range Tiles(250, 600) {
		paths = append(paths, TilePath(tile))
	}
	want := "tile/0/000 tile/entries/000 tile/0/001 tile/entries/001 tile/0/002.p/88 tile/entries/002.p/88 tile/1/000.p/2"
	if got := strings.Join(paths, " "); got != want {
		t.Errorf("Tiles(250, 600) = %s\nwant %s", got, want)
	}

	bundle, err := EntryBundle(entries[512:600])
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(bundle, append([]byte{0, 9}, "entry 512"...)) {
		t.Fatalf("bundle starts %q", bundle[:12])
	}
	back, err := ParseEntryBundle(bundle)
	if err != nil || len(back) != 88 || !bytes.Equal(back[87], entries[599]) {
		t.Fatalf("ParseEntryBundle: %d entries, %v", len(back), err)
	}
	for _, bad := range [][]byte{{0}, {0, 5, 'a'}} {
		if _, err := ParseEntryBundle(bad); !errors.Is(err, ErrEntry) {
			t.Errorf("ParseEntryBundle(%q) = %v", bad, err)
		}
	}
}

type tileReader struct{ l *Log }

func (r tileReader) Height() int { return TileHeight }

func (r tileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	var out [][]byte
	for _, t := range tiles {
		b, err := r.l.HashTile(t)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

func (r tileReader) SaveTiles([]tlog.Tile, [][]byte) {}

func b64(h tlog.Hash) string { return base64.StdEncoding.EncodeToString(h[:]) }

var fixedClock = func() time.Time { return time.Unix(1796000000, 0) }
