package clog

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"koinon/internal/proof"
	"koinon/internal/statement"
)

// testStatement signs a statement of community "parks" on ballot b1 with
// the key of seed 1.
func testStatement(t testing.TB, kind statement.Kind, content string) *statement.Envelope {
	t.Helper()
	key := ed25519.NewKeyFromSeed(seed(1))
	s := statement.Statement{Format: statement.Format, Kind: kind, Community: "parks",
		Scope: statement.BallotScope("b1"), Content: []byte(content),
		At: "2026-12-05T10:00:00Z", Key: proof.KeyID(key.Public().(ed25519.PublicKey))}
	e, err := statement.Sign(s, key, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func testVote(t testing.TB, choice string) *statement.Envelope {
	return testStatement(t, statement.Vote, `{"choice":`+choice+`}`)
}

func TestEntries(t *testing.T) {
	v := testVote(t, `"yes"`)
	nonce := bytes.Repeat([]byte{7}, statement.NonceSize)
	o, c, err := statement.Open(nonce, v)
	if err != nil {
		t.Fatal(err)
	}
	ce, err := CommitmentEntry(v, c)
	if err != nil {
		t.Fatal(err)
	}
	oe, err := OpeningEntry(o, c)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []Entry{StatementEntry(v), ce, oe} {
		b, err := e.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseEntry(b)
		if err != nil {
			t.Fatalf("ParseEntry(%s): %v", b, err)
		}
		if again, _ := back.Bytes(); !bytes.Equal(again, b) {
			t.Fatalf("round trip:\n%s\n%s", b, again)
		}
	}
	cb, _ := ce.Bytes()
	if bytes.Contains(cb, []byte("yes")) || !bytes.Contains(cb, []byte(`"ballot":"b1"`)) {
		t.Fatalf("commitment entry shows the choice or hides the ballot: %s", cb)
	}
	if _, err := OpeningEntry(statement.Opening{Nonce: strings.Repeat("08", 32), Envelope: v}, c); !errors.Is(err, statement.ErrCommitment) {
		t.Fatalf("OpeningEntry with another nonce: %v", err)
	}
	if _, err := CommitmentEntry(testStatement(t, statement.VoteWithdraw, `{}`), c); !errors.Is(err, ErrEntry) {
		t.Fatalf("CommitmentEntry of a withdrawal: %v", err)
	}

	ob, _ := oe.Bytes()
	sb, _ := StatementEntry(v).Bytes()
	for name, tc := range map[string]struct {
		data []byte
		want error
	}{
		"not canonical":               {append([]byte(" "), sb...), ErrEntry},
		"unknown field":               {bytes.Replace(sb, []byte(`{"envelope"`), []byte(`{"a":1,"envelope"`), 1), ErrEntry},
		"statement with nonce":        {bytes.Replace(sb, []byte(`,"type"`), []byte(`,"nonce":"00","type"`), 1), ErrEntry},
		"unknown type":                {bytes.Replace(sb, []byte(`"statement"}`), []byte(`"note"}`), 1), ErrEntry},
		"commitment key not a key id": {bytes.Replace(cb, []byte(`"key":"`), []byte(`"key":"x`), 1), ErrEntry},
		"commitment not hex":          {bytes.Replace(cb, []byte(c.String()), []byte(strings.ToUpper(c.String())), 1), ErrEntry},
		"opening does not open":       {bytes.Replace(ob, []byte(o.Nonce), []byte(strings.Repeat("09", 32)), 1), statement.ErrCommitment},
		"too large":                   {make([]byte, MaxEntrySize+1), ErrEntry},
	} {
		if _, err := ParseEntry(tc.data); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
}

func FuzzParseEntry(f *testing.F) {
	b, _ := StatementEntry(testVote(f, `["a","b"]`)).Bytes()
	f.Add(b)
	f.Add([]byte(`{"ballot":"b","commitment":"00","key":"k","type":"vote_commitment"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := ParseEntry(data)
		if err != nil {
			return
		}
		if again, err := e.Bytes(); err != nil || !bytes.Equal(again, data) {
			t.Fatalf("Bytes(ParseEntry(x)) != x: %v", err)
		}
	})
}

func FuzzParseCheckpoint(f *testing.F) {
	f.Add("vote.example.org/logs/parks\n7\n" + b64(tlog.Hash(proof.EmptyRoot)) + "\n")
	f.Fuzz(func(t *testing.T, text string) {
		c, err := ParseCheckpoint(text)
		if err == nil && string(c.Bytes()) != text {
			t.Fatalf("Bytes(ParseCheckpoint(x)) = %q, x = %q", c.Bytes(), text)
		}
	})
}

func FuzzParseAddCheckpoint(f *testing.F) {
	f.Add(AddCheckpointRequest(3, tlog.TreeProof{tlog.Hash(proof.EmptyRoot)}, []byte("o\n1\nx\n\n— sig\n")))
	f.Fuzz(func(t *testing.T, body []byte) {
		old, p, signed, err := ParseAddCheckpoint(body)
		if err == nil && !bytes.Equal(AddCheckpointRequest(old, p, signed), body) {
			t.Fatalf("request does not round-trip: %q", body)
		}
	})
}

func FuzzParseEntryBundle(f *testing.F) {
	b, _ := EntryBundle([][]byte{[]byte("a"), {}, []byte("ccc")})
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := ParseEntryBundle(data)
		if err != nil {
			return
		}
		if again, err := EntryBundle(entries); err != nil || !bytes.Equal(again, data) {
			t.Fatalf("bundle does not round-trip: %v", err)
		}
	})
}
