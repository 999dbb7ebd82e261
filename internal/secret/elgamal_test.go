package secret

import (
	"errors"
	"testing"
)

func TestEncryptAddMulDecrypt(t *testing.T) {
	rnd := seeded(1)
	x, key := mustKey(t, rnd)
	r1, _ := RandomScalar(rnd)
	r2, _ := RandomScalar(rnd)
	c := Encrypt(key, 3, r1).Mul(5).Add(Encrypt(key, 4, r2).Mul(2)) // 3·5 + 4·2
	d, err := NewDLog(100)
	if err != nil {
		t.Fatal(err)
	}
	m, err := d.Find(Decrypt(x, c))
	if err != nil || m != 23 {
		t.Fatalf("Find = %d, %v; want 23", m, err)
	}
}

func TestDLogBounds(t *testing.T) {
	for _, bound := range []int64{0, 1, 2, 15, 16, 17, 1000} {
		d, err := NewDLog(bound)
		if err != nil {
			t.Fatal(err)
		}
		for m := int64(0); m <= bound; m++ {
			if got, err := d.Find(baseMul(scalarFromInt(m))); err != nil || got != m {
				t.Fatalf("bound %d: Find(%d·G) = %d, %v", bound, m, got, err)
			}
		}
		if _, err := d.Find(baseMul(scalarFromInt(bound + 1))); !errors.Is(err, ErrNoLog) {
			t.Fatalf("bound %d: Find(bound+1) err = %v, want ErrNoLog", bound, err)
		}
		if _, err := d.Find(baseMul(scalarFromInt(-1))); !errors.Is(err, ErrNoLog) {
			t.Fatalf("bound %d: Find(−G) err = %v, want ErrNoLog", bound, err)
		}
	}
}

func TestPointDecodingRejects(t *testing.T) {
	good, _ := generator.MarshalText()
	nonCanonical := make([]byte, 32)
	for i := range nonCanonical {
		nonCanonical[i] = 0xff // ≥ p
	}
	negative := append([]byte{1}, make([]byte, 31)...) // s = 1 is "negative" (odd)
	for name, b := range map[string][]byte{
		"non-canonical field element": nonCanonical,
		"negative s":                  negative,
		"short":                       make([]byte, 31),
	} {
		if _, err := PointFromBytes(b); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
	var p Point
	for _, s := range []string{"", string(good[:63]), string(good) + "0", "E2F2AE0A6ABC4E71A884A961C500515F58E30B6AA582DD8DB6A65945E08D2D76"} {
		if err := p.UnmarshalText([]byte(s)); err == nil {
			t.Errorf("UnmarshalText(%q) accepted", s)
		}
	}
	if err := p.UnmarshalText(good); err != nil || !p.Equal(generator) {
		t.Fatalf("generator round trip: %v", err)
	}
	var s Scalar
	if err := s.UnmarshalText([]byte("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")); err == nil {
		t.Error("scalar ℓ accepted")
	}
}
