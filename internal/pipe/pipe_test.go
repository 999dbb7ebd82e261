package pipe

import (
	"bytes"
	"errors"
	"testing"
)

func TestWriterKeepsOrder(t *testing.T) {
	var out bytes.Buffer
	p := New(&out, 4)
	var want bytes.Buffer
	for i := range 50 {
		b := bytes.Repeat([]byte{byte('a' + i%26)}, i%9)
		p.Write(b)
		want.Write(b)
		if i%7 == 0 {
			p.Do(func() error { out.WriteString("|"); return nil })
			want.WriteString("|")
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if out.String() != want.String() {
		t.Fatalf("got %q, want %q", out.String(), want.String())
	}
}

type failing struct{ n int }

func (f *failing) Write(b []byte) (int, error) {
	if f.n++; f.n > 2 {
		return 0, errBoom
	}
	return len(b), nil
}

var errBoom = errors.New("boom")

func TestWriterStopsAtTheFirstError(t *testing.T) {
	f := &failing{}
	p := New(f, 2)
	ran := false
	for range 100 {
		if _, err := p.Write([]byte("xyz")); err != nil {
			break
		}
	}
	p.Do(func() error { ran = true; return nil })
	if err := p.Close(); !errors.Is(err, errBoom) {
		t.Fatalf("Close: %v, want %v", err, errBoom)
	}
	if ran {
		t.Fatal("a job ran after the failed write")
	}
	if f.n != 3 {
		t.Fatalf("%d writes reached the destination, want 3", f.n)
	}
}
