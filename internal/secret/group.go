package secret

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/gtank/ristretto255"
)

// Point is an element of the ristretto255 group, encoded as its canonical 32
// bytes (RFC 9496 §4.3.2) and in JSON as 64 lowercase hex digits. The zero
// Point (a field absent from JSON) is not a group element: it equals nothing
// and Complete reports it.
type Point struct {
	e   ristretto255.Element
	ok  bool
	enc []byte // the encoding when known (decoded points), so it is not recomputed
}

// Scalar is an integer modulo the group order ℓ = 2^252 + 27742317777372353535851937790883648493,
// encoded as 32 little-endian bytes (canonical: below ℓ) and in JSON as 64
// lowercase hex digits.
type Scalar struct{ s ristretto255.Scalar }

var errEncoding = errors.New("not 64 lowercase hex digits")

var generator = func() Point {
	p := Point{ok: true}
	p.e.Base()
	return p
}()

// Generator returns the ristretto255 base point G.
func Generator() Point { return generator }

// Identity returns the neutral element.
func Identity() Point {
	p := Point{ok: true}
	p.e.Zero()
	return p
}

// Bytes returns the 32-byte encoding of p.
func (p Point) Bytes() []byte {
	if p.enc != nil {
		return append(make([]byte, 0, 32), p.enc...)
	}
	return p.e.Encode(make([]byte, 0, 32))
}

// Equal reports whether p and q are the same group element.
func (p Point) Equal(q Point) bool { return p.ok && q.ok && p.e.Equal(&q.e) == 1 }

// IsIdentity reports whether p is the neutral element.
func (p Point) IsIdentity() bool { return p.Equal(Identity()) }

// PointFromBytes decodes a canonical 32-byte encoding; anything else
// (wrong length, non-canonical, not a group element) is an error.
func PointFromBytes(b []byte) (Point, error) {
	p := Point{ok: true, enc: append([]byte(nil), b...)}
	if err := p.e.Decode(b); err != nil {
		return Point{}, errors.New("not a canonical ristretto255 encoding")
	}
	return p, nil
}

// MarshalText encodes p as lowercase hex.
func (p Point) MarshalText() ([]byte, error) { return hexText(p.Bytes()), nil }

// UnmarshalText decodes 64 lowercase hex digits of a canonical point.
func (p *Point) UnmarshalText(t []byte) error {
	b, err := strictHex(t)
	if err != nil {
		return fmt.Errorf("point: %w", err)
	}
	q, err := PointFromBytes(b)
	if err != nil {
		return fmt.Errorf("point: %w", err)
	}
	*p = q
	return nil
}

// Bytes returns the 32-byte little-endian encoding of s.
func (s Scalar) Bytes() []byte { return s.s.Encode(make([]byte, 0, 32)) }

// Equal reports whether s and u are equal.
func (s Scalar) Equal(u Scalar) bool { return s.s.Equal(&u.s) == 1 }

// ScalarFromBytes decodes a canonical 32-byte little-endian scalar.
func ScalarFromBytes(b []byte) (Scalar, error) {
	var s Scalar
	if len(b) != 32 || s.s.Decode(b) != nil {
		return Scalar{}, errors.New("not a canonical scalar")
	}
	return s, nil
}

// MarshalText encodes s as lowercase hex.
func (s Scalar) MarshalText() ([]byte, error) { return hexText(s.Bytes()), nil }

// UnmarshalText decodes 64 lowercase hex digits of a canonical scalar.
func (s *Scalar) UnmarshalText(t []byte) error {
	b, err := strictHex(t)
	if err != nil {
		return fmt.Errorf("scalar: %w", err)
	}
	u, err := ScalarFromBytes(b)
	if err != nil {
		return fmt.Errorf("scalar: %w", err)
	}
	*s = u
	return nil
}

func hexText(b []byte) []byte {
	out := make([]byte, hex.EncodedLen(len(b)))
	hex.Encode(out, b)
	return out
}

// strictHex accepts exactly 64 lowercase hex digits, so that every value has
// one encoding.
func strictHex(t []byte) ([]byte, error) {
	if len(t) != 64 {
		return nil, errEncoding
	}
	for _, c := range t {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return nil, errEncoding
		}
	}
	return hex.DecodeString(string(t))
}

// RandomScalar draws a uniform scalar from 64 bytes of rnd.
func RandomScalar(rnd io.Reader) (Scalar, error) {
	var b [64]byte
	if _, err := io.ReadFull(rnd, b[:]); err != nil {
		return Scalar{}, fmt.Errorf("random scalar: %w", err)
	}
	var s Scalar
	s.s.FromUniformBytes(b[:])
	return s, nil
}

// scalarFromInt returns n mod ℓ.
func scalarFromInt(n int64) Scalar {
	neg := n < 0
	u := uint64(n)
	if neg {
		u = uint64(-n)
	}
	var b [32]byte
	for i := range 8 {
		b[i] = byte(u >> (8 * i))
	}
	var s Scalar
	if err := s.s.Decode(b[:]); err != nil {
		panic("secret: small scalar rejected") // unreachable: 2^64 < ℓ
	}
	if neg {
		s.s.Negate(&s.s)
	}
	return s
}

func (s Scalar) add(u Scalar) Scalar { var r Scalar; r.s.Add(&s.s, &u.s); return r }
func (s Scalar) sub(u Scalar) Scalar { var r Scalar; r.s.Subtract(&s.s, &u.s); return r }
func (s Scalar) mul(u Scalar) Scalar { var r Scalar; r.s.Multiply(&s.s, &u.s); return r }
func (s Scalar) neg() Scalar         { var r Scalar; r.s.Negate(&s.s); return r }
func (s Scalar) inv() Scalar         { var r Scalar; r.s.Invert(&s.s); return r }

// Arithmetic on an absent point yields an absent point.
func (p Point) add(q Point) Point  { r := Point{ok: p.ok && q.ok}; r.e.Add(&p.e, &q.e); return r }
func (p Point) sub(q Point) Point  { r := Point{ok: p.ok && q.ok}; r.e.Subtract(&p.e, &q.e); return r }
func (p Point) mul(s Scalar) Point { r := Point{ok: p.ok}; r.e.ScalarMult(&s.s, &p.e); return r }

func baseMul(s Scalar) Point { r := Point{ok: true}; r.e.ScalarBaseMult(&s.s); return r }

// lincomb returns Σ sᵢ·pᵢ in variable time (all inputs are public).
func lincomb(s []Scalar, p []Point) Point {
	ss := make([]*ristretto255.Scalar, len(s))
	pp := make([]*ristretto255.Element, len(p))
	r := Point{ok: true}
	for i := range s {
		ss[i], pp[i] = &s[i].s, &p[i].e
		r.ok = r.ok && p[i].ok
	}
	r.e.VarTimeMultiScalarMult(ss, pp)
	return r
}

// Complete reports the first absent point in v (a struct, slice or map of
// them), naming its path, so that a decoded document missing a field is
// refused before any check relies on it.
func Complete(v any) error { return complete(reflect.ValueOf(v), "") }

var pointType = reflect.TypeFor[Point]()

func complete(v reflect.Value, path string) error {
	switch {
	case v.Type() == pointType:
		if !v.Interface().(Point).ok {
			return fmt.Errorf("%s: point missing", strings.TrimPrefix(path, "."))
		}
	case v.Kind() == reflect.Struct:
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if err := complete(v.Field(i), path+"."+name); err != nil {
				return err
			}
		}
	case v.Kind() == reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return nil
		}
		for i := range v.Len() {
			if err := complete(v.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case v.Kind() == reflect.Map:
		for _, k := range v.MapKeys() {
			if err := complete(v.MapIndex(k), fmt.Sprintf("%s[%v]", path, k)); err != nil {
				return err
			}
		}
	}
	return nil
}
