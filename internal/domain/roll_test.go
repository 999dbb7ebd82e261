package domain

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

func TestParseRoll(t *testing.T) {
	for _, tc := range []struct {
		name      string
		in        string
		want      []RollLine
		wantLines []int // lines of the errors
	}{
		{
			name: "header, defaults and normalised handles",
			in:   "handle,email,display_name,role,weight\nAnn,ann@Example.ORG,Ann A,,\nbob,,,board,0\n",
			want: []RollLine{
				{Line: 2, Handle: "ann", Email: "ann@example.org", DisplayName: "Ann A", Role: "member", Weight: 1},
				{Line: 3, Handle: "bob", Role: "board", Weight: 0},
			},
		},
		{
			name: "no header, trailing columns left out",
			in:   "cyd\ndee,dee@example.org\n",
			want: []RollLine{
				{Line: 1, Handle: "cyd", Role: "member", Weight: 1},
				{Line: 2, Handle: "dee", Email: "dee@example.org", Role: "member", Weight: 1},
			},
		},
		{
			name: "header in another order",
			in:   "weight,handle\n3,eve\n",
			want: []RollLine{{Line: 2, Handle: "eve", Role: "member", Weight: 3}},
		},
		{
			name:      "every bad line is reported",
			in:        "handle,email,display_name,role,weight\nok_one,,,,\nx,,,,\nbad@,,,,\nfay,not-an-email,,,\ngus,,,king,\nhal,,,,-1\nivy,,,,1.5\nok_one,,,,\njo,,,,1,extra\n",
			want:      []RollLine{{Line: 2, Handle: "ok_one", Role: "member", Weight: 1}},
			wantLines: []int{3, 4, 5, 6, 7, 8, 9, 10},
		},
		{name: "empty file", in: "", wantLines: []int{0}},
		{name: "header only", in: "handle\n", wantLines: []int{0}},
		{name: "unknown header column", in: "handle,shoe_size\nann,42\n", wantLines: []int{1}},
		{name: "byte order mark", in: "\ufeffhandle\nann\n", want: []RollLine{{Line: 2, Handle: "ann", Role: "member", Weight: 1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, errs := ParseRoll(strings.NewReader(tc.in))
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ParseRoll lines:\nwant %+v\n got %+v", tc.want, got)
			}
			var lines []int
			for _, e := range errs {
				lines = append(lines, e.Line)
				if e.Message == "" {
					t.Errorf("error without a message: %+v", e)
				}
			}
			if !reflect.DeepEqual(lines, tc.wantLines) {
				t.Errorf("ParseRoll error lines = %v, want %v (%v)", lines, tc.wantLines, errs)
			}
		})
	}
}

func FuzzParseRoll(f *testing.F) {
	f.Add("handle,email,display_name,role,weight\nann,ann@example.org,Ann,board,2\n")
	f.Add("bob\n\"cyd\",,\"C, D\"\n")
	f.Add("a\"b\n")
	f.Fuzz(func(t *testing.T, in string) {
		lines, errs := ParseRoll(strings.NewReader(in))
		if len(errs) > 0 || len(lines) == 0 {
			return
		}
		// parse(format(x)) == x, line numbers aside.
		var buf bytes.Buffer
		if err := FormatRoll(&buf, lines); err != nil {
			t.Fatal(err)
		}
		again, errs := ParseRoll(&buf)
		if len(errs) > 0 {
			t.Fatalf("formatted roll does not parse: %v\n%s", errs, buf.String())
		}
		for i := range lines {
			lines[i].Line, again[i].Line = 0, 0
		}
		if !reflect.DeepEqual(lines, again) {
			t.Fatalf("round trip:\nwant %+v\n got %+v", lines, again)
		}
	})
}
