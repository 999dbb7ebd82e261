package proof

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Canonicalize returns the RFC 8785 (JCS) form of one JSON value, restricted
// to what the proof format allows: objects, arrays, strings, integers within
// ±(2^53−1), true, false and null. Fractions, exponents, duplicate keys and
// invalid UTF-8 are errors.
func Canonicalize(data []byte) ([]byte, error) {
	c := canonicalizer{d: &decoder{s: string(data)}}
	out, err := c.value(make([]byte, 0, len(data)))
	if err != nil {
		return nil, fmt.Errorf("canonicalize: %w", err)
	}
	if err := c.d.end(); err != nil {
		return nil, fmt.Errorf("canonicalize: %w", err)
	}
	return out, nil
}

// Marshal encodes v with encoding/json and returns its canonical form.
func Marshal(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("canonical marshal: %w", err)
	}
	return Canonicalize(b)
}

// member locates one object member already written to the output:
// out[start:end] is `"key":value`, and key is the decoded key.
type member struct {
	key        string
	start, end int
}

// canonicalizer appends the canonical form of the decoder's input. Object
// members are written in input order, then moved into key order in place,
// so there is no allocation per object beyond a shared scratch area.
type canonicalizer struct {
	d       *decoder
	members []member // stack shared by nested objects
	scratch []byte
}

func (c *canonicalizer) value(out []byte) ([]byte, error) {
	d := c.d
	switch ch := d.peek(); {
	case ch == '{':
		return c.object(out)
	case ch == '[':
		out = append(out, '[')
		err := d.array(func(i int) error {
			if i > 0 {
				out = append(out, ',')
			}
			var err error
			out, err = c.value(out)
			if err != nil {
				return atIndex(err, i)
			}
			return nil
		})
		return append(out, ']'), err
	case ch == '"':
		s, err := d.rawString()
		if err != nil {
			return out, err
		}
		return appendString(out, s), nil
	case ch == '-' || ('0' <= ch && ch <= '9'):
		n, err := d.integer()
		if err != nil {
			return out, err
		}
		return strconv.AppendInt(out, n, 10), nil
	case ch == 't':
		return append(out, "true"...), d.literal("true")
	case ch == 'f':
		return append(out, "false"...), d.literal("false")
	case ch == 'n':
		return append(out, "null"...), d.literal("null")
	case ch == 0:
		return out, d.syntax("unexpected end of input")
	default:
		return out, d.syntax(fmt.Sprintf("unexpected character %q", ch))
	}
}

func (c *canonicalizer) object(out []byte) ([]byte, error) {
	open := len(out)
	out = append(out, '{')
	base := len(c.members)
	sorted := true
	err := c.d.object(func(key string) error {
		if len(c.members) > base {
			out = append(out, ',')
		}
		start := len(out)
		out = appendString(out, key)
		out = append(out, ':')
		var err error
		if out, err = c.value(out); err != nil {
			return within(err, key)
		}
		if n := len(c.members); n > base && compareUTF16(c.members[n-1].key, key) >= 0 {
			sorted = false
		}
		c.members = append(c.members, member{key: key, start: start, end: len(out)})
		return nil
	})
	ms := c.members[base:]
	defer func() { c.members = c.members[:base] }()
	if err != nil {
		return out, err
	}
	if !sorted {
		slices.SortStableFunc(ms, func(a, b member) int { return compareUTF16(a.key, b.key) })
		for i := 1; i < len(ms); i++ {
			if ms[i].key == ms[i-1].key {
				return out, &FieldError{Field: ms[i].key, Message: "duplicate key"}
			}
		}
		c.scratch = append(c.scratch[:0], out[open+1:]...)
		shift := open + 1
		out = out[:open+1]
		for i, m := range ms {
			if i > 0 {
				out = append(out, ',')
			}
			out = append(out, c.scratch[m.start-shift:m.end-shift]...)
		}
	}
	return append(out, '}'), nil
}

// compareUTF16 orders strings by their UTF-16 code units, as RFC 8785 sorts
// object keys. It differs from byte order only for characters above U+FFFF
// against U+E000–U+FFFF.
func compareUTF16(a, b string) int {
	for i := 0; i < len(a) && i < len(b); {
		ca, cb := a[i], b[i]
		if ca < utf8.RuneSelf && cb < utf8.RuneSelf {
			if ca != cb {
				return int(ca) - int(cb)
			}
			i++
			continue
		}
		ra, na := utf8.DecodeRuneInString(a[i:])
		rb, nb := utf8.DecodeRuneInString(b[i:])
		if ra != rb {
			ha, la := utf16Units(ra)
			hb, lb := utf16Units(rb)
			if ha != hb {
				return int(ha) - int(hb)
			}
			return int(la) - int(lb)
		}
		if na != nb { // cannot happen for equal runes from valid UTF-8
			return na - nb
		}
		i += na
	}
	return len(a) - len(b)
}

// utf16Units returns r's UTF-16 code units (lo is 0 inside the BMP).
func utf16Units(r rune) (hi, lo rune) {
	if r < 0x10000 {
		return r, 0
	}
	return utf16.EncodeRune(r)
}

// appendString appends s as a JCS string: only '"', '\\' and control
// characters are escaped, with the short forms where JSON has them.
func appendString(out []byte, s string) []byte {
	out = append(out, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		out = append(out, s[start:i]...)
		switch c {
		case '"', '\\':
			out = append(out, '\\', c)
		case '\b':
			out = append(out, '\\', 'b')
		case '\f':
			out = append(out, '\\', 'f')
		case '\n':
			out = append(out, '\\', 'n')
		case '\r':
			out = append(out, '\\', 'r')
		case '\t':
			out = append(out, '\\', 't')
		default:
			out = append(out, '\\', 'u', '0', '0', hexDigit[c>>4], hexDigit[c&0xF])
		}
		start = i + 1
	}
	out = append(out, s[start:]...)
	return append(out, '"')
}

const hexDigit = "0123456789abcdef"
