package proof

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// Hash is a SHA-256 digest.
type Hash [sha256.Size]byte

// String returns the lowercase hex form used in documents.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// ParseHash reads a 64-digit lowercase hex hash.
func ParseHash(s string) (Hash, error) {
	var h Hash
	if len(s) != 2*len(h) {
		return h, fmt.Errorf("hash %q: want 64 hex digits", s)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return h, fmt.Errorf("hash %q: want lowercase hex", s)
		}
	}
	_, err := hex.Decode(h[:], []byte(s))
	return h, err
}

// LeafHash is RFC 6962's leaf hash: SHA-256(0x00 ‖ leaf).
func LeafHash(leaf []byte) Hash {
	h := sha256.New()
	h.Write([]byte{0})
	h.Write(leaf)
	var out Hash
	h.Sum(out[:0])
	return out
}

// NodeHash is RFC 6962's interior hash: SHA-256(0x01 ‖ left ‖ right).
func NodeHash(left, right Hash) Hash {
	var buf [1 + 2*sha256.Size]byte
	buf[0] = 1
	copy(buf[1:], left[:])
	copy(buf[1+sha256.Size:], right[:])
	return sha256.Sum256(buf[:])
}

// EmptyRoot is the root of a tree with no leaves: SHA-256("").
var EmptyRoot Hash = sha256.Sum256(nil)

// Tree is an RFC 6962 Merkle tree over leaf hashes, kept level by level so
// that inclusion paths cost O(log n). Pairing neighbours level by level and
// promoting an unpaired last node unchanged gives exactly RFC 6962's tree,
// which splits at the largest power of two below n.
type Tree struct {
	levels [][]Hash // levels[0] = leaf hashes; the last level holds the root
}

// NewTree builds the tree over the given leaf hashes (which it keeps).
func NewTree(leaves []Hash) *Tree {
	t := &Tree{levels: [][]Hash{leaves}}
	for cur := leaves; len(cur) > 1; {
		next := make([]Hash, (len(cur)+1)/2)
		for i := 0; i+1 < len(cur); i += 2 {
			next[i/2] = NodeHash(cur[i], cur[i+1])
		}
		if len(cur)%2 == 1 {
			next[len(next)-1] = cur[len(cur)-1]
		}
		t.levels = append(t.levels, next)
		cur = next
	}
	return t
}

// Size returns the number of leaves.
func (t *Tree) Size() int { return len(t.levels[0]) }

// Root returns the tree head.
func (t *Tree) Root() Hash {
	top := t.levels[len(t.levels)-1]
	if len(top) == 0 {
		return EmptyRoot
	}
	return top[0]
}

// Path returns the inclusion (audit) path of leaf i, from the leaf upward.
func (t *Tree) Path(i int) ([]Hash, error) {
	if i < 0 || i >= t.Size() {
		return nil, fmt.Errorf("merkle path: leaf %d outside tree of size %d", i, t.Size())
	}
	var path []Hash
	for _, level := range t.levels[:len(t.levels)-1] {
		if sib := i ^ 1; sib < len(level) {
			path = append(path, level[sib])
		}
		i >>= 1
	}
	return path, nil
}

// Root computes the root over leaf hashes in place, without keeping the
// levels; leaves is overwritten.
func Root(leaves []Hash) Hash {
	if len(leaves) == 0 {
		return EmptyRoot
	}
	for n := len(leaves); n > 1; n = (n + 1) / 2 {
		for i := 0; i+1 < n; i += 2 {
			leaves[i/2] = NodeHash(leaves[i], leaves[i+1])
		}
		if n%2 == 1 {
			leaves[n/2] = leaves[n-1]
		}
	}
	return leaves[0]
}

// ErrPath reports an inclusion path that does not fit its index and size.
var ErrPath = errors.New("merkle path: wrong length for leaf index and tree size")

// Step is one step up an inclusion path: the sibling hash, the side it
// sits on, and the node hash it gives.
type Step struct {
	Sibling string `json:"sibling"`
	Side    string `json:"side"` // "left" or "right" of the running hash
	Hash    string `json:"hash"`
}

// RootFromPath recomputes the root of a tree of size leaves from leaf
// number index and its audit path (RFC 9162 §2.1.3.2).
func RootFromPath(leaf Hash, index, size int, path []Hash) (Hash, error) {
	return rootFromPath(leaf, index, size, path, nil)
}

// rootFromPath is RootFromPath, recording each step when steps is not nil.
func rootFromPath(leaf Hash, index, size int, path []Hash, steps *[]Step) (Hash, error) {
	if index < 0 || index >= size {
		return Hash{}, fmt.Errorf("merkle path: leaf %d outside tree of size %d", index, size)
	}
	fn, sn := index, size-1
	r := leaf
	for _, p := range path {
		if sn == 0 {
			return Hash{}, ErrPath
		}
		side := "right"
		if fn&1 == 1 || fn == sn {
			side = "left"
			r = NodeHash(p, r)
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			r = NodeHash(r, p)
		}
		if steps != nil {
			*steps = append(*steps, Step{Sibling: p.String(), Side: side, Hash: r.String()})
		}
		fn >>= 1
		sn >>= 1
	}
	if sn != 0 {
		return Hash{}, ErrPath
	}
	return r, nil
}
