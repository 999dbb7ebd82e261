package textdiff

import (
	"reflect"
	"strings"
	"testing"
)

func TestLines(t *testing.T) {
	got := Lines("a\nb\nc\nd", "a\nc\nx\nd\ne")
	want := []Line{{Same, "a"}, {Removed, "b"}, {Same, "c"}, {Added, "x"}, {Same, "d"}, {Added, "e"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if got := Lines("", "x"); !reflect.DeepEqual(got, []Line{{Added, "x"}}) {
		t.Errorf("from empty: %v", got)
	}
	if got := Lines("same\r\ntext", "same\ntext"); len(got) != 2 || got[0].Op != Same || got[1].Op != Same {
		t.Errorf("CRLF against LF: %v", got)
	}
}

// TestLinesReplay: applying the diff's kept and added lines gives the
// new text, its kept and removed lines the old one.
func TestLinesReplay(t *testing.T) {
	a := "one\ntwo\nthree\nfour\nfive\nsix"
	b := "zero\none\nthree\nfour\n4.5\nsix\nseven"
	var old, cur []string
	for _, l := range Lines(a, b) {
		if l.Op != Added {
			old = append(old, l.Text)
		}
		if l.Op != Removed {
			cur = append(cur, l.Text)
		}
	}
	if strings.Join(old, "\n") != a || strings.Join(cur, "\n") != b {
		t.Errorf("replay: %q / %q", old, cur)
	}
}

func TestLinesTooLong(t *testing.T) {
	big := strings.Repeat("x\n", MaxLines+1)
	if got := Lines(big, "y"); len(got) != MaxLines+3 || got[len(got)-1] != (Line{Added, "y"}) {
		t.Errorf("over MaxLines: %d lines", len(got))
	}
}
