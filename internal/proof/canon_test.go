package proof

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/gowebpki/jcs"
)

func TestCanonicalize(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"white space removed", " { \"b\" : [ 1 , 2 ] ,\n\t\"a\" : true } ", `{"a":true,"b":[1,2]}`},
		{"keys sorted recursively", `{"z":{"y":1,"x":2},"a":[{"d":0,"c":null}]}`, `{"a":[{"c":null,"d":0}],"z":{"x":2,"y":1}}`},
		{"keys sorted by UTF-16 code units", `{"\ud83d\ude00":1,"\ue000":2,"a":3}`, "{\"a\":3,\"\U0001F600\":1,\"\ue000\":2}"},
		{"RFC 8785 §3.2.3 sort example", `{"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis"}`,
			"{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\",\"\u00f6\":\"Latin Small Letter O With Diaeresis\",\"\u20ac\":\"Euro Sign\",\"\U0001F600\":\"Emoji: Grinning Face\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}"},
		{"short escapes", `"\b\f\n\r\t\"\\\/"`, `"\b\f\n\r\t\"\\/"`},
		{"other controls as lowercase \\u00xx", `"\u0001\u001F\u007f"`, "\"\\u0001\\u001f\x7f\""},
		{"no HTML escaping", `"<a & b>"`, `"<a & b>"`},
		{"non-ASCII written raw", `"\u00e9\u4e2d"`, `"é中"`},
		{"surrogate pair decoded", `"\uD83D\uDE00"`, "\"\U0001F600\""},
		{"integers plain", `[0,-0,7,-12,9007199254740991,-9007199254740991]`, `[0,0,7,-12,9007199254740991,-9007199254740991]`},
		{"literals", `[true,false,null]`, `[true,false,null]`},
		{"empty containers", `{"a":{},"b":[]}`, `{"a":{},"b":[]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Canonicalize([]byte(tc.in))
			if err != nil {
				t.Fatalf("Canonicalize(%s): %v", tc.in, err)
			}
			if string(got) != tc.want {
				t.Errorf("Canonicalize(%s)\nwant %s\ngot  %s", tc.in, tc.want, got)
			}
		})
	}
}

func TestCanonicalizeRejects(t *testing.T) {
	tests := []struct {
		name, in string
		syntax   bool // a *SyntaxError rather than a shape error
	}{
		{"fraction", `{"a":1.5}`, false},
		{"exponent", `[1e3]`, false},
		{"integer beyond 2^53-1", `9007199254740992`, false},
		{"negative beyond -(2^53-1)", `-9007199254740992`, false},
		{"duplicate key", `{"a":1,"b":2,"a":3}`, false},
		{"duplicate key after escape", `{"a":1,"\u0061":2}`, false},
		{"invalid UTF-8", "\"\xff\"", true},
		{"lone surrogate", `"\ud800"`, true},
		{"raw control character", "\"a\x01\"", true},
		{"trailing comma", `[1,]`, true},
		{"two values", `1 2`, true},
		{"leading zero", `01`, true},
		{"empty", ``, true},
		{"bad literal", `nul`, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Canonicalize([]byte(tc.in))
			if err == nil {
				t.Fatalf("Canonicalize(%q) succeeded, want an error", tc.in)
			}
			var se *SyntaxError
			if errors.As(err, &se) != tc.syntax {
				t.Errorf("Canonicalize(%q) = %v; syntax error %v, want %v", tc.in, err, !tc.syntax, tc.syntax)
			}
		})
	}
}

func TestMarshal(t *testing.T) {
	got, err := Marshal(map[string]any{"b": []int{2, 1}, "a": "<&>"})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"a":"<&>","b":[2,1]}`; string(got) != want {
		t.Errorf("Marshal: want %s, got %s", want, got)
	}
}

func TestCompareUTF16(t *testing.T) {
	ordered := []string{"", "\r", "1", "a", "ab", "\u0080", "ö", "€", "\U00010000", "\U0001F600", "\ue000", "\ufb33", "\uffff"}
	for i := range ordered {
		for j := range ordered {
			got := compareUTF16(ordered[i], ordered[j])
			if (got < 0) != (i < j) || (got == 0) != (i == j) {
				t.Errorf("compareUTF16(%q, %q) = %d, want sign of %d", ordered[i], ordered[j], got, i-j)
			}
		}
	}
}

func FuzzCanonicalize(f *testing.F) {
	for _, s := range []string{`{"b":1,"a":[true,null,"x\n"]}`, `[]`, `"\u00e9"`, `{"\ud83d\ude00":1,"\ue000":2}`, `-0`, `1.5`, `{"a":{"a":{}}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := Canonicalize(data)
		if err != nil {
			return
		}
		again, err := Canonicalize(out)
		if err != nil {
			t.Fatalf("canonical output %q does not canonicalize: %v", out, err)
		}
		if !bytes.Equal(out, again) {
			t.Fatalf("not idempotent: %q then %q", out, again)
		}
		var in, canon any
		if err := json.Unmarshal(data, &in); err != nil {
			t.Fatalf("accepted %q, which encoding/json rejects: %v", data, err)
		}
		if err := json.Unmarshal(out, &canon); err != nil {
			t.Fatalf("output %q is not JSON: %v", out, err)
		}
		if !reflect.DeepEqual(in, canon) {
			t.Fatalf("value changed: %q became %q", data, out)
		}
	})
}

// FuzzCanonicalizeJCS compares Canonicalize with an independent RFC 8785
// implementation: every input Canonicalize accepts must come out as the
// same bytes from github.com/gowebpki/jcs.
func FuzzCanonicalizeJCS(f *testing.F) {
	for _, s := range []string{`{"b":1,"a":[true,null,"x\n"]}`, `[]`, `"\u00e9"`, `{"\ud83d\ude00":1,"\ue000":2}`,
		`-0`, `9007199254740991`, `{"a":{"a":{}}}`, `"\u001f\u007f</script>"`, ` [ 1 , -2 ] `} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := Canonicalize(data)
		if err != nil {
			return
		}
		want, err := jcs.Transform(data)
		if err != nil {
			t.Fatalf("Canonicalize accepted %q, jcs rejects it: %v", data, err)
		}
		if !bytes.Equal(out, want) {
			t.Fatalf("Canonicalize(%q) = %q, jcs gives %q", data, out, want)
		}
	})
}
