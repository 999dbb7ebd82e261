package proof

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// maxSafeInt is the largest integer I-JSON (RFC 7493) lets a reader hold
// exactly: 2^53 − 1.
const maxSafeInt = 1<<53 - 1

// maxDepth bounds nesting so hostile input cannot exhaust the stack.
const maxDepth = 64

// SyntaxError reports input that is not JSON at all (RFC 8259 text in UTF-8).
type SyntaxError struct {
	Offset int // byte offset of the problem
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("not JSON: %s at byte %d", e.Msg, e.Offset)
}

// FieldError reports JSON that does not have the shape the format requires.
// Field is a path such as "votes[2].choice"; empty for the document itself.
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.Message
	}
	return e.Field + ": " + e.Message
}

// within prefixes the field path of a *FieldError with a parent path: an
// object key ("ballot") or an array index ("[3]"). Other errors pass through.
func within(err error, parent string) error {
	var fe *FieldError
	if err == nil || !errors.As(err, &fe) {
		return err
	}
	switch {
	case fe.Field == "":
		fe.Field = parent
	case fe.Field[0] == '[':
		fe.Field = parent + fe.Field
	default:
		fe.Field = parent + "." + fe.Field
	}
	return fe
}

// atIndex is within for an array element; the path is built only on error.
func atIndex(err error, i int) error {
	if err == nil {
		return nil
	}
	return within(err, "["+strconv.Itoa(i)+"]")
}

func shapeErr(format string, args ...any) error {
	return &FieldError{Message: fmt.Sprintf(format, args...)}
}

// decoder reads JSON from a string, so that unescaped strings can be returned
// as substrings of the input without copying.
type decoder struct {
	s     string
	pos   int
	depth int
}

func (d *decoder) syntax(msg string) error { return &SyntaxError{Offset: d.pos, Msg: msg} }

func (d *decoder) ws() {
	for d.pos < len(d.s) {
		switch d.s[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// peek skips white space and returns the next byte, 0 at the end (a NUL
// byte, never valid outside strings, reads the same and fails as syntax).
func (d *decoder) peek() byte {
	d.ws()
	if d.pos >= len(d.s) {
		return 0
	}
	return d.s[d.pos]
}

// end checks that only white space follows the top-level value.
func (d *decoder) end() error {
	if d.ws(); d.pos < len(d.s) {
		return d.syntax("data after the top-level value")
	}
	return nil
}

// kindName names the JSON type starting with c, for shape errors.
func kindName(c byte) string {
	switch c {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	case 0:
		return "nothing"
	}
	return "a number"
}

// object reads an object, calling fn with the decoder positioned at each
// member's value. fn must consume the value. Duplicate keys are fn's concern.
func (d *decoder) object(fn func(key string) error) error {
	if c := d.peek(); c != '{' {
		if c == 0 {
			return d.syntax("unexpected end of input")
		}
		return shapeErr("must be an object, not %s", kindName(c))
	}
	d.pos++
	if d.depth++; d.depth > maxDepth {
		return d.syntax("nesting too deep")
	}
	if d.peek() == '}' {
		d.pos++
		d.depth--
		return nil
	}
	for {
		if d.peek() != '"' {
			return d.syntax("expected a string key")
		}
		key, err := d.rawString()
		if err != nil {
			return err
		}
		if d.peek() != ':' {
			return d.syntax("expected ':'")
		}
		d.pos++
		if err := fn(key); err != nil {
			return err
		}
		switch d.peek() {
		case ',':
			d.pos++
		case '}':
			d.pos++
			d.depth--
			return nil
		default:
			return d.syntax("expected ',' or '}'")
		}
	}
}

// array reads an array, calling fn with the decoder positioned at each
// element. fn must consume the element.
func (d *decoder) array(fn func(i int) error) error {
	if c := d.peek(); c != '[' {
		if c == 0 {
			return d.syntax("unexpected end of input")
		}
		return shapeErr("must be an array, not %s", kindName(c))
	}
	d.pos++
	if d.depth++; d.depth > maxDepth {
		return d.syntax("nesting too deep")
	}
	if d.peek() == ']' {
		d.pos++
		d.depth--
		return nil
	}
	for i := 0; ; i++ {
		if err := fn(i); err != nil {
			return err
		}
		switch d.peek() {
		case ',':
			d.pos++
		case ']':
			d.pos++
			d.depth--
			return nil
		default:
			return d.syntax("expected ',' or ']'")
		}
	}
}

// str reads a string value.
func (d *decoder) str() (string, error) {
	if c := d.peek(); c != '"' {
		if c == 0 {
			return "", d.syntax("unexpected end of input")
		}
		return "", shapeErr("must be a string, not %s", kindName(c))
	}
	return d.rawString()
}

// rawString reads the string at d.pos (which holds '"'). Strings without
// escapes are returned as substrings of the input.
func (d *decoder) rawString() (string, error) {
	start := d.pos + 1
	i := start
	for i < len(d.s) {
		c := d.s[i]
		switch {
		case c == '"':
			d.pos = i + 1
			return d.s[start:i], nil
		case c == '\\':
			return d.escapedString(start)
		case c < 0x20:
			d.pos = i
			return "", d.syntax("control character in string")
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRuneInString(d.s[i:])
			if r == utf8.RuneError && size == 1 {
				d.pos = i
				return "", d.syntax("invalid UTF-8")
			}
			i += size
		}
	}
	d.pos = i
	return "", d.syntax("unterminated string")
}

// escapedString decodes a string that holds escapes, from start (just after
// the opening quote).
func (d *decoder) escapedString(start int) (string, error) {
	buf := make([]byte, 0, 32)
	i := start
	for i < len(d.s) {
		c := d.s[i]
		switch {
		case c == '"':
			d.pos = i + 1
			return string(buf), nil
		case c == '\\':
			if i+1 >= len(d.s) {
				d.pos = i
				return "", d.syntax("unterminated string")
			}
			e := d.s[i+1]
			i += 2
			switch e {
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r, ok := hex4(d.s, i)
				if !ok {
					d.pos = i
					return "", d.syntax("bad \\u escape")
				}
				i += 4
				if utf16.IsSurrogate(r) {
					r2, ok := rune(-1), false
					if i+6 <= len(d.s) && d.s[i] == '\\' && d.s[i+1] == 'u' {
						r2, ok = hex4(d.s, i+2)
					}
					dec := utf16.DecodeRune(r, r2)
					if !ok || dec == utf8.RuneError {
						d.pos = i
						return "", d.syntax("lone surrogate in \\u escape")
					}
					r = dec
					i += 6
				}
				buf = utf8.AppendRune(buf, r)
			default:
				d.pos = i - 1
				return "", d.syntax("bad escape")
			}
		case c < 0x20:
			d.pos = i
			return "", d.syntax("control character in string")
		case c < utf8.RuneSelf:
			buf = append(buf, c)
			i++
		default:
			r, size := utf8.DecodeRuneInString(d.s[i:])
			if r == utf8.RuneError && size == 1 {
				d.pos = i
				return "", d.syntax("invalid UTF-8")
			}
			buf = append(buf, d.s[i:i+size]...)
			i += size
		}
	}
	d.pos = i
	return "", d.syntax("unterminated string")
}

func hex4(s string, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// number scans a JSON number token and reports whether it is an integer.
func (d *decoder) number() (tok string, integer bool, err error) {
	start := d.pos
	i := start
	if i < len(d.s) && d.s[i] == '-' {
		i++
	}
	switch {
	case i < len(d.s) && d.s[i] == '0':
		i++
	case i < len(d.s) && '1' <= d.s[i] && d.s[i] <= '9':
		for i < len(d.s) && '0' <= d.s[i] && d.s[i] <= '9' {
			i++
		}
	default:
		d.pos = i
		return "", false, d.syntax("invalid number")
	}
	integer = true
	if i < len(d.s) && d.s[i] == '.' {
		integer = false
		i++
		if i >= len(d.s) || d.s[i] < '0' || d.s[i] > '9' {
			d.pos = i
			return "", false, d.syntax("invalid number")
		}
		for i < len(d.s) && '0' <= d.s[i] && d.s[i] <= '9' {
			i++
		}
	}
	if i < len(d.s) && (d.s[i] == 'e' || d.s[i] == 'E') {
		integer = false
		i++
		if i < len(d.s) && (d.s[i] == '+' || d.s[i] == '-') {
			i++
		}
		if i >= len(d.s) || d.s[i] < '0' || d.s[i] > '9' {
			d.pos = i
			return "", false, d.syntax("invalid number")
		}
		for i < len(d.s) && '0' <= d.s[i] && d.s[i] <= '9' {
			i++
		}
	}
	d.pos = i
	return d.s[start:i], integer, nil
}

// integer reads an integer within I-JSON's exact range. Fractions and
// exponents are shape errors: the format has integers only.
func (d *decoder) integer() (int64, error) {
	c := d.peek()
	if c != '-' && (c < '0' || c > '9') {
		if c == 0 {
			return 0, d.syntax("unexpected end of input")
		}
		return 0, shapeErr("must be an integer, not %s", kindName(c))
	}
	tok, isInt, err := d.number()
	if err != nil {
		return 0, err
	}
	if !isInt {
		return 0, shapeErr("must be an integer, not %s", tok)
	}
	n, err := strconv.ParseInt(tok, 10, 64)
	if err != nil || n > maxSafeInt || n < -maxSafeInt {
		return 0, shapeErr("integer %s is outside ±(2^53−1)", tok)
	}
	return n, nil
}

// boolean reads true or false.
func (d *decoder) boolean() (bool, error) {
	switch c := d.peek(); c {
	case 't':
		return true, d.literal("true")
	case 'f':
		return false, d.literal("false")
	case 0:
		return false, d.syntax("unexpected end of input")
	default:
		return false, shapeErr("must be true or false, not %s", kindName(c))
	}
}

// null consumes null if it comes next and reports whether it did.
func (d *decoder) null() (bool, error) {
	if d.peek() != 'n' {
		return false, nil
	}
	return true, d.literal("null")
}

func (d *decoder) literal(lit string) error {
	if len(d.s)-d.pos < len(lit) || d.s[d.pos:d.pos+len(lit)] != lit {
		return d.syntax("invalid literal")
	}
	d.pos += len(lit)
	return nil
}

// skip reads and discards any value, checking its syntax only.
func (d *decoder) skip() error {
	switch c := d.peek(); {
	case c == '{':
		return d.object(func(string) error { return d.skip() })
	case c == '[':
		return d.array(func(int) error { return d.skip() })
	case c == '"':
		_, err := d.rawString()
		return err
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == 'n':
		return d.literal("null")
	case c == '-' || ('0' <= c && c <= '9'):
		_, _, err := d.number()
		return err
	case c == 0:
		return d.syntax("unexpected end of input")
	default:
		return d.syntax(fmt.Sprintf("unexpected character %q", c))
	}
}

// checkSyntax reports a *SyntaxError when data is not one JSON value.
func checkSyntax(s string) error {
	d := decoder{s: s}
	if err := d.skip(); err != nil {
		return err
	}
	return d.end()
}
