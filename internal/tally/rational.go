package tally

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"
)

// ParseRational reads a fraction written "n/d": decimal digits only, no
// sign, no leading zeros, n ≥ 0 and d ≥ 1, so that every value has exactly
// one spelling in a document.
func ParseRational(s string) (Rational, error) {
	num, den, ok := strings.Cut(s, "/")
	if !ok {
		return Rational{}, fmt.Errorf("parse rational %q: want n/d", s)
	}
	n, err := parseCanonicalInt(num)
	if err != nil {
		return Rational{}, fmt.Errorf("parse rational %q: numerator: %w", s, err)
	}
	d, err := parseCanonicalInt(den)
	if err != nil {
		return Rational{}, fmt.Errorf("parse rational %q: denominator: %w", s, err)
	}
	if d == 0 {
		return Rational{}, fmt.Errorf("parse rational %q: denominator is zero", s)
	}
	return Rational{Num: n, Den: d}, nil
}

func parseCanonicalInt(s string) (int64, error) {
	if s == "" {
		return 0, fmt.Errorf("empty")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("%q is not a decimal integer", s)
		}
	}
	if len(s) > 1 && s[0] == '0' {
		return 0, fmt.Errorf("%q has a leading zero", s)
	}
	return strconv.ParseInt(s, 10, 64)
}

// String writes r as "n/d".
func (r Rational) String() string {
	return strconv.FormatInt(r.Num, 10) + "/" + strconv.FormatInt(r.Den, 10)
}

// MarshalText writes r as "n/d", the form documents use.
func (r Rational) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText reads "n/d" with ParseRational.
func (r *Rational) UnmarshalText(b []byte) error {
	v, err := ParseRational(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// cmpProducts compares a×b with c×d exactly (all non-negative), returning
// -1, 0 or +1. Weights are at most 2^53 and fractions int64, so the
// products need 128 bits.
func cmpProducts(a, b, c, d int64) int {
	h1, l1 := bits.Mul64(uint64(a), uint64(b))
	h2, l2 := bits.Mul64(uint64(c), uint64(d))
	switch {
	case h1 != h2:
		if h1 < h2 {
			return -1
		}
		return 1
	case l1 != l2:
		if l1 < l2 {
			return -1
		}
		return 1
	}
	return 0
}
