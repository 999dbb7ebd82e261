package secret

import (
	"io"
	"math/rand/v2"
	"testing"
)

// seeded is a deterministic randomness source for tests and vectors.
func seeded(seed byte) io.Reader { return rand.NewChaCha8([32]byte{seed}) }

func mustKey(t testing.TB, rnd io.Reader) (Scalar, Point) {
	t.Helper()
	x, k, err := NewKeyPair(rnd)
	if err != nil {
		t.Fatal(err)
	}
	return x, k
}
