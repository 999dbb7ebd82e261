package statement

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"koinon/internal/proof"
)

// testKey is a deterministic key: the seed is 32 bytes of b.
type testKey struct {
	priv ed25519.PrivateKey
	pub  ed25519.PublicKey
	id   string
}

func newTestKey(b byte) testKey {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{b}, ed25519.SeedSize))
	pub := priv.Public().(ed25519.PublicKey)
	return testKey{priv: priv, pub: pub, id: proof.KeyID(pub)}
}

func (k testKey) b64() string { return base64.StdEncoding.EncodeToString(k.pub) }

// at returns a fixed time plus n minutes.
func at(n int) string {
	return "2026-12-05T10:" + string(rune('0'+n/10)) + string(rune('0'+n%10)) + ":00Z"
}

func mustContent(t testing.TB, v any) []byte {
	t.Helper()
	c, err := Content(v)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// sign builds and signs a statement of community "c1".
func sign(t testing.TB, k testKey, kind Kind, scope string, content any, prev string, minute int) *Envelope {
	t.Helper()
	s := Statement{Format: Format, Kind: kind, Community: "c1", Scope: scope,
		Content: mustContent(t, content), Prev: prev, At: at(minute), Key: k.id}
	e, err := Sign(s, k.priv, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func register(t testing.TB, k testKey, citizen, prev string, minute int) *Envelope {
	return sign(t, k, KeyRegister, ScopeCommunity, KeyContent{Citizen: citizen, PublicKey: k.b64()}, prev, minute)
}

func TestSignParseVerify(t *testing.T) {
	ann := newTestKey(1)
	e := sign(t, ann, Delegate, TopicScope("parks"), DelegateContent{Delegates: []string{"bob", "cy"}}, "", 1)
	want := `{"custodial":false,"old_signature":"","signature":"` + e.Signature + `","statement":{"at":"2026-12-05T10:01:00Z","community":"c1","content":{"delegates":["bob","cy"],"remove":false},"format":"koinon-statement/1","key":"` + ann.id + `","kind":"delegate","prev":"","scope":"topic:parks"}}`
	if string(e.Bytes()) != want {
		t.Fatalf("envelope bytes\n got %s\nwant %s", e.Bytes(), want)
	}
	// White space and key order do not matter on input; the bytes are canonical.
	spaced := strings.Replace(want, `"custodial":false,`, "", 1)
	spaced = strings.Replace(spaced, `{"old_signature"`, `{ "custodial" : false , "old_signature"`, 1)
	p, err := Parse([]byte(spaced))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(p.Bytes(), e.Bytes()) || p.Hash() != e.Hash() {
		t.Fatalf("Parse: bytes differ:\n%s\n%s", p.Bytes(), e.Bytes())
	}
	if err := p.Verify(ann.pub); err != nil {
		t.Fatal(err)
	}
}

func TestParseRejects(t *testing.T) {
	ann := newTestKey(1)
	good := string(sign(t, ann, Vote, BallotScope("b1"), VoteContent{Choice: []byte(`"yes"`)}, "", 1).Bytes())
	tests := []struct {
		name, from, to string
		want           error
	}{
		{"not JSON", good, "{", ErrMalformed},
		{"unknown envelope field", `"custodial":false`, `"custodial":false,"extra":1`, ErrMalformed},
		{"missing envelope field", `"custodial":false,`, ``, ErrMalformed},
		{"unknown statement field", `"at":`, `"x":1,"at":`, ErrMalformed},
		{"wrong case", `"kind":`, `"Kind":`, ErrMalformed},
		{"format", `koinon-statement/1`, `koinon-statement/2`, ErrFormat},
		{"kind", `"kind":"vote"`, `"kind":"poll"`, ErrKind},
		{"vote outside a ballot", `"scope":"ballot:b1"`, `"scope":"community"`, ErrScope},
		{"empty ballot id", `"scope":"ballot:b1"`, `"scope":"ballot:"`, ErrScope},
		{"content shape", `{"choice":"yes"}`, `{"choices":"yes"}`, ErrContent},
		{"time with fraction", `10:01:00Z`, `10:01:00.5Z`, ErrMalformed},
		{"time not UTC", `10:01:00Z`, `10:01:00+01:00`, ErrMalformed},
		{"key id", `"key":"` + ann.id, `"key":"` + strings.ToUpper(ann.id), ErrMalformed},
		{"prev", `"prev":""`, `"prev":"00"`, ErrMalformed},
		{"float", `"custodial":false`, `"custodial":1.5`, ErrMalformed},
		{"old_signature on a vote", `"old_signature":""`, `"old_signature":"` + strings.Repeat("A", 86) + `=="`, ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(good, tc.from) {
				t.Fatalf("test input lacks %q", tc.from)
			}
			_, err := Parse([]byte(strings.Replace(good, tc.from, tc.to, 1)))
			if !errors.Is(err, tc.want) {
				t.Fatalf("Parse error %v, want %v", err, tc.want)
			}
		})
	}
}

func TestContentRejects(t *testing.T) {
	ann := newTestKey(1)
	tests := []struct {
		name    string
		kind    Kind
		scope   string
		content string
	}{
		{"delegates null", Delegate, ScopeCommunity, `{"delegates":null,"remove":false}`},
		{"remove with delegates", Delegate, ScopeCommunity, `{"delegates":["bob"],"remove":true}`},
		{"register without citizen", KeyRegister, ScopeCommunity, `{"citizen":"","custodial":false,"old_key":"","public_key":"` + ann.b64() + `"}`},
		{"register bad key", KeyRegister, ScopeCommunity, `{"citizen":"ann","custodial":false,"old_key":"","public_key":"AAAA"}`},
		{"revoke bad id", KeyRevoke, ScopeCommunity, `{"revoked":"x"}`},
		{"withdraw with content", VoteWithdraw, BallotScope("b1"), `{"choice":"yes"}`},
		{"board content not an object", BallotOpen, BallotScope("b1"), `[]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := Statement{Format: Format, Kind: tc.kind, Community: "c1", Scope: tc.scope,
				Content: []byte(tc.content), At: at(0), Key: ann.id}
			if _, err := Sign(s, ann.priv, nil, false); !errors.Is(err, ErrContent) {
				t.Fatalf("Sign error %v, want ErrContent", err)
			}
		})
	}
}

func TestSignWithOtherKey(t *testing.T) {
	ann, bob := newTestKey(1), newTestKey(2)
	s := Statement{Format: Format, Kind: VoteWithdraw, Community: "c1", Scope: BallotScope("b1"),
		Content: []byte(`{}`), At: at(0), Key: ann.id}
	if _, err := Sign(s, bob.priv, nil, false); !errors.Is(err, ErrKeyMismatch) {
		t.Fatalf("Sign error %v, want ErrKeyMismatch", err)
	}
	e := sign(t, ann, VoteWithdraw, BallotScope("b1"), struct{}{}, "", 0)
	if err := e.Verify(bob.pub); !errors.Is(err, ErrKeyMismatch) {
		t.Fatalf("Verify error %v, want ErrKeyMismatch", err)
	}
}

// tamper re-parses e with one substring of its bytes replaced.
func tamper(t *testing.T, e *Envelope, from, to string) *Envelope {
	t.Helper()
	b := strings.Replace(string(e.Bytes()), from, to, 1)
	if b == string(e.Bytes()) {
		t.Fatalf("tamper: %q not in envelope", from)
	}
	p, err := Parse([]byte(b))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestState(t *testing.T) {
	ann, ann2, bob, carol, eve := newTestKey(1), newTestKey(2), newTestKey(3), newTestKey(4), newTestKey(5)
	isBoard := func(c string) bool { return c == "carol" }
	// base builds a state in which ann, bob and carol have registered keys
	// and ann has delegated once.
	base := func(t *testing.T) (*State, *Envelope) {
		st := NewState("c1", isBoard)
		regAnn := register(t, ann, "ann", "", 0)
		del := sign(t, ann, Delegate, ScopeCommunity, DelegateContent{Delegates: []string{"bob"}}, regAnn.Hash().String(), 1)
		for _, e := range []*Envelope{regAnn, register(t, bob, "bob", "", 0), register(t, carol, "carol", "", 0), del} {
			if _, err := st.Accept(e); err != nil {
				t.Fatal(err)
			}
		}
		return st, del
	}
	vote := func(t *testing.T, k testKey, prev string, minute int) *Envelope {
		return sign(t, k, Vote, BallotScope("b1"), VoteContent{Choice: []byte(`"yes"`)}, prev, minute)
	}

	t.Run("accepts a chain and names the citizen", func(t *testing.T) {
		st, del := base(t)
		c, err := st.Accept(vote(t, ann, del.Hash().String(), 2))
		if err != nil || c != "ann" {
			t.Fatalf("Accept = %q, %v", c, err)
		}
	})

	tests := []struct {
		name string
		make func(t *testing.T, st *State, del *Envelope) *Envelope
		want error
	}{
		{"bad signature", func(t *testing.T, st *State, del *Envelope) *Envelope {
			e := vote(t, ann, del.Hash().String(), 2)
			return tamper(t, e, `"yes"`, `"no"`)
		}, ErrBadSignature},
		{"signature not canonical base64", func(t *testing.T, st *State, del *Envelope) *Envelope {
			e := vote(t, ann, del.Hash().String(), 2)
			return tamper(t, e, `==","statement"`, `= ","statement"`)
		}, ErrBadSignature},
		{"unknown key", func(t *testing.T, st *State, del *Envelope) *Envelope {
			return vote(t, eve, "", 2)
		}, ErrUnknownKey},
		{"other community", func(t *testing.T, st *State, del *Envelope) *Envelope {
			return tamper(t, vote(t, ann, del.Hash().String(), 2), `"community":"c1"`, `"community":"c2"`)
		}, ErrOtherCommunity},
		{"broken chain", func(t *testing.T, st *State, del *Envelope) *Envelope {
			return vote(t, ann, strings.Repeat("ab", 32), 2)
		}, ErrBrokenChain},
		{"first statement again", func(t *testing.T, st *State, del *Envelope) *Envelope {
			return vote(t, ann, "", 2)
		}, ErrBrokenChain},
		{"stale prev (second device, or a fork)", func(t *testing.T, st *State, del *Envelope) *Envelope {
			return vote(t, ann, st.Head("ann"), 2) // accepted below first
		}, ErrStalePrev},
		{"replay", func(t *testing.T, st *State, del *Envelope) *Envelope {
			return del
		}, ErrReplay},
		{"time goes back", func(t *testing.T, st *State, del *Envelope) *Envelope {
			return vote(t, ann, del.Hash().String(), 0)
		}, ErrTimeOrder},
		{"custodial flag on a device key", func(t *testing.T, st *State, del *Envelope) *Envelope {
			return tamper(t, vote(t, ann, del.Hash().String(), 2), `"custodial":false`, `"custodial":true`)
		}, ErrCustodialMismatch},
		{"board statement by a citizen", func(t *testing.T, st *State, del *Envelope) *Envelope {
			return sign(t, bob, BallotOpen, BallotScope("b1"), map[string]any{}, st.Head("bob"), 2)
		}, ErrNotBoard},
		{"revoked key", func(t *testing.T, st *State, del *Envelope) *Envelope {
			rev := sign(t, ann, KeyRevoke, ScopeCommunity, RevokeContent{Revoked: ann.id}, del.Hash().String(), 2)
			if _, err := st.Accept(rev); err != nil {
				t.Fatal(err)
			}
			return vote(t, ann, rev.Hash().String(), 3)
		}, ErrRevokedKey},
		{"revoking another citizen's key", func(t *testing.T, st *State, del *Envelope) *Envelope {
			return sign(t, bob, KeyRevoke, ScopeCommunity, RevokeContent{Revoked: ann.id}, st.Head("bob"), 2)
		}, ErrNotOwner},
		{"key registered twice", func(t *testing.T, st *State, del *Envelope) *Envelope {
			return register(t, bob, "bob2", "", 2)
		}, ErrKeyInUse},
		{"rotation without the old key's signature", func(t *testing.T, st *State, del *Envelope) *Envelope {
			e := rotate(t, ann2, ann, "ann", ann.id, del.Hash().String())
			return tamper(t, e, `"old_signature":"`+e.OldSignature+`"`, `"old_signature":""`)
		}, ErrOldKeySignature},
		{"rotation signed by another old key", func(t *testing.T, st *State, del *Envelope) *Envelope {
			return rotate(t, ann2, bob, "ann", ann.id, del.Hash().String())
		}, ErrOldKeySignature},
		{"rotation of another citizen's key", func(t *testing.T, st *State, del *Envelope) *Envelope {
			return rotate(t, ann2, bob, "ann", bob.id, del.Hash().String())
		}, ErrNotOwner},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, del := base(t)
			if strings.HasPrefix(tc.name, "stale") {
				if _, err := st.Accept(vote(t, ann, del.Hash().String(), 2)); err != nil {
					t.Fatal(err)
				}
				// A second device still believes del is the head.
				e := sign(t, ann, VoteWithdraw, BallotScope("b1"), struct{}{}, del.Hash().String(), 3)
				if _, err := st.Accept(e); !errors.Is(err, tc.want) {
					t.Fatalf("Accept error %v, want %v", err, tc.want)
				}
				return
			}
			e := tc.make(t, st, del)
			before := st.Head("ann")
			if _, err := st.Accept(e); !errors.Is(err, tc.want) {
				t.Fatalf("Accept error %v, want %v", err, tc.want)
			}
			if st.Head("ann") != before {
				t.Fatal("a refused statement moved the chain head")
			}
		})
	}

	t.Run("rotation revokes the old key", func(t *testing.T) {
		st, del := base(t)
		e := rotate(t, ann2, ann, "ann", ann.id, del.Hash().String())
		if _, err := st.Accept(e); err != nil {
			t.Fatal(err)
		}
		if k, _ := st.Key(ann.id); !k.Revoked {
			t.Fatal("old key not revoked")
		}
		if _, err := st.Accept(vote(t, ann2, e.Hash().String(), 3)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("custodial key", func(t *testing.T) {
		st := NewState("c1", nil)
		s := Statement{Format: Format, Kind: KeyRegister, Community: "c1", Scope: ScopeCommunity,
			Content: mustContent(t, KeyContent{Citizen: "dan", PublicKey: eve.b64(), Custodial: true}), At: at(0), Key: eve.id}
		reg, err := Sign(s, eve.priv, nil, true)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Accept(reg); err != nil {
			t.Fatal(err)
		}
		v := vote(t, eve, reg.Hash().String(), 1) // marked device-signed: refused
		if _, err := st.Accept(v); !errors.Is(err, ErrCustodialMismatch) {
			t.Fatalf("Accept error %v, want ErrCustodialMismatch", err)
		}
		if _, err := st.Accept(tamper(t, v, `"custodial":false`, `"custodial":true`)); err != nil {
			t.Fatal(err)
		}
	})
}

// rotate registers newKey for citizen replacing oldID, with old signing as
// the old key.
func rotate(t testing.TB, newKey, old testKey, citizen, oldID, prev string) *Envelope {
	t.Helper()
	s := Statement{Format: Format, Kind: KeyRegister, Community: "c1", Scope: ScopeCommunity,
		Content: mustContent(t, KeyContent{Citizen: citizen, PublicKey: newKey.b64(), OldKey: oldID}),
		Prev:    prev, At: at(2), Key: newKey.id}
	e, err := Sign(s, newKey.priv, old.priv, false)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestSignOldKey(t *testing.T) {
	ann, ann2 := newTestKey(1), newTestKey(2)
	vote := Statement{Format: Format, Kind: VoteWithdraw, Community: "c1", Scope: BallotScope("b1"),
		Content: []byte(`{}`), At: at(0), Key: ann.id}
	if _, err := Sign(vote, ann.priv, ann2.priv, false); !errors.Is(err, ErrOldKeySignature) {
		t.Fatalf("old key on a withdrawal: %v", err)
	}
	rot := Statement{Format: Format, Kind: KeyRegister, Community: "c1", Scope: ScopeCommunity,
		Content: mustContent(t, KeyContent{Citizen: "ann", PublicKey: ann2.b64(), OldKey: ann.id}), At: at(0), Key: ann2.id}
	if _, err := Sign(rot, ann2.priv, nil, false); !errors.Is(err, ErrOldKeySignature) {
		t.Fatalf("rotation without the old key: %v", err)
	}
}

func TestCheckChain(t *testing.T) {
	ann := newTestKey(1)
	a := register(t, ann, "ann", "", 0)
	b := sign(t, ann, Delegate, ScopeCommunity, DelegateContent{Delegates: []string{}}, a.Hash().String(), 1)
	c := sign(t, ann, VoteWithdraw, BallotScope("b1"), struct{}{}, b.Hash().String(), 2)
	if err := CheckChain([]*Envelope{a, b, c}); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		envs []*Envelope
		want error
	}{
		"dropped statement":  {[]*Envelope{a, c}, ErrBrokenChain},
		"missing first":      {[]*Envelope{b, c}, ErrBrokenChain},
		"replayed statement": {[]*Envelope{a, b, b}, ErrReplay},
		"reordered":          {[]*Envelope{a, c, b}, ErrBrokenChain},
	} {
		if err := CheckChain(tc.envs); !errors.Is(err, tc.want) {
			t.Errorf("%s: CheckChain error %v, want %v", name, err, tc.want)
		}
	}
}

func TestCommitment(t *testing.T) {
	ann := newTestKey(1)
	v := sign(t, ann, Vote, BallotScope("b1"), VoteContent{Choice: []byte(`"yes"`)}, "", 1)
	nonce := bytes.Repeat([]byte{7}, NonceSize)
	o, c, err := Open(nonce, v)
	if err != nil {
		t.Fatal(err)
	}
	if err := o.Check(c); err != nil {
		t.Fatal(err)
	}
	other := sign(t, ann, Vote, BallotScope("b1"), VoteContent{Choice: []byte(`"no"`)}, "", 1)
	for name, tc := range map[string]struct {
		o    Opening
		want error
	}{
		"other choice": {Opening{Nonce: o.Nonce, Envelope: other}, ErrCommitment},
		"other nonce":  {Opening{Nonce: strings.Repeat("08", NonceSize), Envelope: v}, ErrCommitment},
		"short nonce":  {Opening{Nonce: "0707", Envelope: v}, ErrBadNonce},
		"nonce case":   {Opening{Nonce: strings.Repeat("AB", NonceSize), Envelope: v}, ErrBadNonce},
	} {
		if err := tc.o.Check(c); !errors.Is(err, tc.want) {
			t.Errorf("%s: Check error %v, want %v", name, err, tc.want)
		}
	}
	if _, err := NewNonce(bytes.NewReader(nil)); err == nil {
		t.Error("NewNonce from an empty reader succeeded")
	}
}

func FuzzParse(f *testing.F) {
	ann := newTestKey(1)
	f.Add(sign(f, ann, Vote, BallotScope("b1"), VoteContent{Choice: []byte(`["a","b"]`)}, "", 1).Bytes())
	f.Add(register(f, ann, "ann", "", 0).Bytes())
	f.Add([]byte(`{"statement":{}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := Parse(data)
		if err != nil {
			return
		}
		again, err := Parse(e.Bytes())
		if err != nil || !bytes.Equal(again.Bytes(), e.Bytes()) {
			t.Fatalf("Parse(Bytes()) = %v, bytes differ", err)
		}
	})
}

func TestHiddenVote(t *testing.T) {
	ann := newTestKey(1)
	st := NewState("c1", nil)
	reg := register(t, ann, "ann", "", 0)
	if _, err := st.Accept(reg); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Hide(newTestKey(9).id); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("Hide with an unknown key: %v", err)
	}
	vote := sign(t, ann, Vote, BallotScope("b1"), VoteContent{Choice: []byte(`"yes"`)}, reg.Hash().String(), 1)
	if c, err := st.Hide(ann.id); c != "ann" || err != nil {
		t.Fatalf("Hide = %q, %v", c, err)
	}
	// A device unaware of the vote still links to the registration: stale.
	stale := sign(t, ann, VoteWithdraw, BallotScope("b1"), struct{}{}, reg.Hash().String(), 2)
	if _, err := st.Accept(stale); !errors.Is(err, ErrStalePrev) {
		t.Fatalf("stale after a hidden vote: %v", err)
	}
	next := sign(t, ann, VoteWithdraw, BallotScope("b1"), struct{}{}, vote.Hash().String(), 2)
	if _, err := st.Accept(next); err != nil {
		t.Fatalf("statement after a hidden vote: %v", err)
	}
	if st.Head("ann") != next.Hash().String() {
		t.Fatal("head did not move past the hidden vote")
	}
}
