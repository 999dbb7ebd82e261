package tally

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"slices"
)

// Tiebreak returns keys in the tie-break order of tally.md §5: ascending by
// the lowercase hex SHA-256 of votesRootHex + ":" + key. Earlier wins a tie.
func Tiebreak(votesRootHex string, keys []string) []string {
	type hashed struct{ key, hash string }
	hs := make([]hashed, len(keys))
	for i, k := range keys {
		sum := sha256.Sum256([]byte(votesRootHex + ":" + k))
		hs[i] = hashed{k, hex.EncodeToString(sum[:])}
	}
	slices.SortFunc(hs, func(a, b hashed) int {
		return cmp.Or(cmp.Compare(a.hash, b.hash), cmp.Compare(a.key, b.key))
	})
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.key
	}
	return out
}
