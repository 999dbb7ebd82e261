package proof

import (
	"crypto/sha256"
	"math/bits"
	"testing"
)

// rfc6962Leaves are the leaves of the RFC 6962 test vectors used by
// Certificate Transparency implementations.
var rfc6962Leaves = [][]byte{
	{},
	{0x00},
	{0x10},
	{0x20, 0x21},
	{0x30, 0x31},
	{0x40, 0x41, 0x42, 0x43},
	{0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57},
	{0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f},
}

// rfc6962Roots[i] is the root of the first i+1 leaves.
var rfc6962Roots = []string{
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
}

func TestRootVectors(t *testing.T) {
	if got, want := EmptyRoot.String(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"; got != want {
		t.Errorf("empty root: want %s, got %s", want, got)
	}
	if got := Root(nil); got != EmptyRoot {
		t.Errorf("Root(nil) = %s, want the empty root", got)
	}
	for n := 1; n <= len(rfc6962Leaves); n++ {
		hs := make([]Hash, n)
		for i := range hs {
			hs[i] = LeafHash(rfc6962Leaves[i])
		}
		if got := NewTree(append([]Hash(nil), hs...)).Root().String(); got != rfc6962Roots[n-1] {
			t.Errorf("tree of %d leaves: want root %s, got %s", n, rfc6962Roots[n-1], got)
		}
		if got := Root(hs).String(); got != rfc6962Roots[n-1] {
			t.Errorf("Root of %d leaves: want %s, got %s", n, rfc6962Roots[n-1], got)
		}
	}
}

// mth is RFC 6962's recursive definition, as a reference.
func mth(hs []Hash) Hash {
	switch len(hs) {
	case 0:
		return sha256.Sum256(nil)
	case 1:
		return hs[0]
	}
	k := 1 << (bits.Len(uint(len(hs)-1)) - 1) // largest power of two below n
	return NodeHash(mth(hs[:k]), mth(hs[k:]))
}

// refPath is RFC 6962's recursive PATH(m, D[n]).
func refPath(m int, hs []Hash) []Hash {
	if len(hs) <= 1 {
		return nil
	}
	k := 1 << (bits.Len(uint(len(hs)-1)) - 1)
	if m < k {
		return append(refPath(m, hs[:k]), mth(hs[k:]))
	}
	return append(refPath(m-k, hs[k:]), mth(hs[:k]))
}

func TestTreeAgainstDefinition(t *testing.T) {
	for n := 0; n <= 70; n++ {
		hs := make([]Hash, n)
		for i := range hs {
			hs[i] = LeafHash([]byte{byte(i), byte(i >> 8)})
		}
		tree := NewTree(append([]Hash(nil), hs...))
		if got, want := tree.Root(), mth(hs); got != want {
			t.Fatalf("n=%d: root %s, definition gives %s", n, got, want)
		}
		for m := 0; m < n; m++ {
			path, err := tree.Path(m)
			if err != nil {
				t.Fatal(err)
			}
			want := refPath(m, hs)
			if len(path) != len(want) {
				t.Fatalf("n=%d m=%d: path length %d, want %d", n, m, len(path), len(want))
			}
			for i := range path {
				if path[i] != want[i] {
					t.Fatalf("n=%d m=%d: path[%d] differs from the definition", n, m, i)
				}
			}
			root, err := RootFromPath(hs[m], m, n, path)
			if err != nil || root != tree.Root() {
				t.Fatalf("n=%d m=%d: RootFromPath = %s, %v; want %s", n, m, root, err, tree.Root())
			}
			if len(path) > 0 {
				bad := append([]Hash(nil), path...)
				bad[len(bad)/2][0] ^= 1
				if root, err := RootFromPath(hs[m], m, n, bad); err == nil && root == tree.Root() {
					t.Fatalf("n=%d m=%d: a flipped path bit still gives the root", n, m)
				}
				if _, err := RootFromPath(hs[m], m, n, path[:len(path)-1]); err == nil {
					t.Fatalf("n=%d m=%d: a short path was accepted", n, m)
				}
			}
			if _, err := RootFromPath(hs[m], m, n, append(path, hs[0])); err == nil {
				t.Fatalf("n=%d m=%d: a long path was accepted", n, m)
			}
		}
	}
}

func BenchmarkRoot1M(b *testing.B) {
	hs := make([]Hash, 1_000_000)
	for i := range hs {
		hs[i] = LeafHash([]byte{byte(i), byte(i >> 8), byte(i >> 16)})
	}
	scratch := make([]Hash, len(hs))
	b.ResetTimer()
	for b.Loop() {
		copy(scratch, hs)
		Root(scratch)
	}
}

// TestBuildTreeLarge checks the two-goroutine leaf hashing of large ballots
// against plain serial hashing.
func TestBuildTreeLarge(t *testing.T) {
	doc, err := ParseProof(sealedMajority(t, 30_000))
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Votes) < 1<<14 {
		t.Fatalf("only %d votes: the parallel path is not exercised", len(doc.Votes))
	}
	hs := make([]Hash, len(doc.Votes))
	for i := range hs {
		hs[i] = LeafHash(doc.Leaf(i))
	}
	if got, want := doc.buildTree().Root(), Root(hs); got != want || got.String() != doc.VotesRoot {
		t.Errorf("root %s, serial %s, document %s", got, want, doc.VotesRoot)
	}
}
