package proof

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"koinon/internal/tally"
)

// sealed returns a sealed proof of the test input, signed with testKey(1).
func sealed(t testing.TB) (*Document, []byte) {
	t.Helper()
	doc, err := ParseDocument([]byte(input))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Tally(doc); err != nil {
		t.Fatal(err)
	}
	b, err := Seal(doc, testKey(1), testIssuedAt)
	if err != nil {
		t.Fatal(err)
	}
	return doc, b
}

// edit decodes a JSON document, lets fn change it, and re-encodes it.
func edit(t *testing.T, data []byte, fn func(m map[string]any)) []byte {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatal(err)
	}
	fn(m)
	out, err := Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// resign replaces the seal with one by key, over the edited content.
func resign(t *testing.T, data []byte, key ed25519.PrivateKey) []byte {
	t.Helper()
	unsigned := edit(t, data, func(m map[string]any) {
		delete(m, "signature")
		s := NewSigner(key)
		m["signer"] = map[string]any{"key_id": s.KeyID, "public_key": s.PublicKey}
	})
	sig := base64.StdEncoding.EncodeToString(ed25519.Sign(key, unsigned))
	return edit(t, unsigned, func(m map[string]any) { m["signature"] = sig })
}

func arr(m map[string]any, k string) []any { return m[k].([]any) }
func obj(v any) map[string]any             { return v.(map[string]any) }
func pub(k ed25519.PrivateKey) []byte      { return k.Public().(ed25519.PublicKey) }
func lastCheck(r Report) Check             { return r.Checks[len(r.Checks)-1] }
func checkNames(r Report) (names []string) {
	for _, c := range r.Checks {
		names = append(names, c.Name)
	}
	return names
}

func TestVerifySealedProof(t *testing.T) {
	doc, data := sealed(t)
	r := Verify(data, pub(testKey(1)))
	if !r.OK || r.ExitCode() != 0 || len(r.Checks) != 6 {
		t.Fatalf("Verify(sealed proof) = %+v, want six passing checks", r)
	}
	if got := strings.Join(checkNames(r), " "); got != "shape votes votes_root tiebreak result signature" {
		t.Errorf("check names: %s", got)
	}
	if !bytes.Equal(r.Result, doc.Result) {
		t.Errorf("report result %s, want %s", r.Result, doc.Result)
	}
	if c, _ := Canonicalize(data); !bytes.Equal(c, data) {
		t.Error("sealed proof is not canonical JSON")
	}
	if r := Verify(data, nil); !r.OK {
		t.Errorf("Verify without a trusted key: %+v", lastCheck(r))
	}
	// Pretty-printed, the same proof still verifies: the signature covers
	// the canonical bytes, not the file's.
	var buf bytes.Buffer
	if err := json.Indent(&buf, data, "", "  "); err != nil {
		t.Fatal(err)
	}
	if r := Verify(buf.Bytes(), pub(testKey(1))); !r.OK {
		t.Errorf("Verify(indented proof): %+v", lastCheck(r))
	}
}

func TestVerifyDetectsEdits(t *testing.T) {
	_, data := sealed(t)
	other := testKey(2)
	tests := []struct {
		name      string
		edit      func(t *testing.T) []byte
		trusted   []byte
		wantCheck int
		reason    string // part of the failing check's reason
	}{
		{"drop a vote", func(t *testing.T) []byte {
			return edit(t, data, func(m map[string]any) { m["votes"] = arr(m, "votes")[1:] })
		}, nil, 3, "document says"},
		{"change a choice", func(t *testing.T) []byte {
			return edit(t, data, func(m map[string]any) { obj(arr(m, "votes")[1])["choice"] = []any{"a"} })
		}, nil, 3, "document says"},
		{"vote for an unknown option", func(t *testing.T) []byte {
			return edit(t, data, func(m map[string]any) { obj(arr(m, "votes")[1])["choice"] = []any{"zz"} })
		}, nil, 2, `votes[1].choice[0]: unknown option "zz"`},
		{"vote by a voter outside the electorate", func(t *testing.T) []byte {
			return edit(t, data, func(m map[string]any) { m["electorate"] = arr(m, "electorate")[1:] })
		}, nil, 2, `votes[0].voter: "v1" is not in the electorate`},
		{"change a weight", func(t *testing.T) []byte {
			return edit(t, data, func(m map[string]any) { obj(arr(m, "electorate")[0])["weight"] = json.Number("5") })
		}, nil, 5, "result.carriers[0].weight: document says 3, recomputed 6"},
		{"change a delegate", func(t *testing.T) []byte {
			return edit(t, data, func(m map[string]any) { obj(arr(m, "electorate")[2])["delegates"] = []any{"v2"} })
		}, nil, 5, "result."},
		{"reorder two votes", func(t *testing.T) []byte {
			return edit(t, data, func(m map[string]any) { v := arr(m, "votes"); v[0], v[1] = v[1], v[0] })
		}, nil, 1, `votes[1].voter: "v1" is out of order after "v2"`},
		{"alter the result", func(t *testing.T) []byte {
			return edit(t, data, func(m map[string]any) { obj(m["result"])["winners"] = []any{"b"} })
		}, nil, 5, `result.winners[0]: document says "b", recomputed "c"`},
		{"alter the tiebreak", func(t *testing.T) []byte {
			return edit(t, data, func(m map[string]any) { tb := arr(m, "tiebreak"); tb[0], tb[1] = tb[1], tb[0] })
		}, nil, 4, "recomputed from votes_root"},
		{"drop the signature", func(t *testing.T) []byte {
			return edit(t, data, func(m map[string]any) { delete(m, "signature") })
		}, nil, 1, "signature: missing"},
		{"swap the signature", func(t *testing.T) []byte {
			return edit(t, data, func(m map[string]any) {
				m["signature"] = base64.StdEncoding.EncodeToString(ed25519.Sign(testKey(1), []byte("other")))
			})
		}, nil, 6, "does not verify"},
		{"swap the key", func(t *testing.T) []byte {
			return edit(t, data, func(m map[string]any) {
				s := NewSigner(other)
				m["signer"] = map[string]any{"key_id": s.KeyID, "public_key": s.PublicKey}
			})
		}, nil, 6, "does not verify"},
		{"key id of another key", func(t *testing.T) []byte {
			return edit(t, data, func(m map[string]any) { obj(m["signer"])["key_id"] = NewSigner(other).KeyID })
		}, nil, 6, "signer.key_id"},
		{"re-signed by another key", func(t *testing.T) []byte {
			return resign(t, data, other)
		}, pub(testKey(1)), 6, "not by the trusted key"},
		{"edited and re-signed by another key", func(t *testing.T) []byte {
			return resign(t, edit(t, data, func(m map[string]any) { obj(m["ballot"])["title"] = "Forged" }), other)
		}, pub(testKey(1)), 6, "not by the trusted key"},
		{"edited ballot title", func(t *testing.T) []byte {
			return edit(t, data, func(m map[string]any) { obj(m["ballot"])["title"] = "Forged" })
		}, nil, 6, "does not verify"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := Verify(tc.edit(t), tc.trusted)
			if r.OK || r.Error != "" || r.ExitCode() != 1 {
				t.Fatalf("Verify = %+v, want a failed check", r)
			}
			c := lastCheck(r)
			if c.N != tc.wantCheck || c.OK {
				t.Fatalf("failed at check %d %s (%s), want check %d", c.N, c.Name, c.Reason, tc.wantCheck)
			}
			if !strings.Contains(c.Reason, tc.reason) {
				t.Errorf("reason %q does not contain %q", c.Reason, tc.reason)
			}
		})
	}
	// Re-signed by another key, the proof is self-consistent: only the
	// trusted key exposes it.
	if r := Verify(resign(t, data, other), nil); !r.OK {
		t.Errorf("re-signed proof without a trusted key: %+v", lastCheck(r))
	}
}

func TestVerifyEveryFlippedByteFails(t *testing.T) {
	_, data := sealed(t)
	for i := range data {
		b := bytes.Clone(data)
		b[i] ^= 1
		if r := Verify(b, pub(testKey(1))); r.OK {
			t.Fatalf("flipping byte %d (%q) still verifies", i, data[max(0, i-20):min(len(data), i+20)])
		}
	}
}

func TestVerifyNotAProof(t *testing.T) {
	for _, in := range []string{"", "[1,2", "\xff", "{} {}"} {
		r := Verify([]byte(in), nil)
		if r.Error == "" || r.ExitCode() != 2 || len(r.Checks) != 0 {
			t.Errorf("Verify(%q) = %+v, want exit 2 with no checks", in, r)
		}
	}
	if r := Verify([]byte(`{"format":"x"}`), nil); r.ExitCode() != 1 || lastCheck(r).N != 1 {
		t.Errorf("JSON with the wrong shape: %+v, want check 1 failing", r)
	}
}

func TestReceipts(t *testing.T) {
	doc, data := sealed(t)
	key := testKey(1)
	for _, v := range doc.Votes {
		rc, err := Receipt(doc, v.Voter, key)
		if err != nil {
			t.Fatal(err)
		}
		if Detect(rc) != ReceiptFormat {
			t.Fatalf("Detect(receipt) = %q", Detect(rc))
		}
		r := VerifyReceipt(rc, data, pub(key))
		if !r.OK || len(r.Checks) != 5 {
			t.Fatalf("receipt of %s: %+v", v.Voter, r)
		}
		if r.Inclusion == nil || r.Inclusion.Root != doc.VotesRoot || r.Inclusion.Voter != v.Voter {
			t.Errorf("receipt of %s: inclusion %+v", v.Voter, r.Inclusion)
		}
		if r := VerifyAny(rc, nil); !r.OK || r.Kind != "receipt" || len(r.Checks) != 4 {
			t.Errorf("receipt of %s without proof: %+v", v.Voter, r)
		}
	}
	if _, err := Receipt(doc, "v3", key); err == nil {
		t.Error("Receipt for a voter without a vote succeeded")
	}

	rc, err := Receipt(doc, "v2", key)
	if err != nil {
		t.Fatal(err)
	}
	otherDoc, err := ParseDocument([]byte(strings.Replace(input, `["b"]`, `["c"]`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Tally(otherDoc); err != nil {
		t.Fatal(err)
	}
	otherProof, err := Seal(otherDoc, key, testIssuedAt)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		receipt   []byte
		proof     []byte
		trusted   []byte
		wantCheck int
	}{
		{"tampered audit path", edit(t, rc, func(m map[string]any) {
			p := arr(m, "audit_path")
			p[0] = strings.Repeat("0", 64)
		}), nil, nil, 3},
		{"audit path too short", edit(t, rc, func(m map[string]any) { m["audit_path"] = arr(m, "audit_path")[:1] }), nil, nil, 3},
		{"changed choice in the leaf", edit(t, rc, func(m map[string]any) { obj(m["leaf"])["choice"] = []any{"a"} }), nil, nil, 3},
		{"leaf of another voter", edit(t, rc, func(m map[string]any) { obj(m["leaf"])["voter"] = "v1" }), nil, nil, 2},
		{"another leaf index", edit(t, rc, func(m map[string]any) { m["leaf_index"] = json.Number("0") }), nil, nil, 3},
		{"swapped signature", edit(t, rc, func(m map[string]any) {
			m["signature"] = base64.StdEncoding.EncodeToString(ed25519.Sign(key, []byte("x")))
		}), nil, nil, 4},
		{"untrusted key", rc, nil, pub(testKey(2)), 4},
		{"proof of other votes", rc, otherProof, nil, 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := VerifyReceipt(tc.receipt, tc.proof, tc.trusted)
			if r.OK || r.ExitCode() != 1 {
				t.Fatalf("VerifyReceipt = %+v, want a failed check", r)
			}
			if c := lastCheck(r); c.N != tc.wantCheck {
				t.Errorf("failed at check %d %s (%s), want check %d", c.N, c.Name, c.Reason, tc.wantCheck)
			}
		})
	}
}

// testNonce is a fixed receipt nonce (256 bits) for the pinned bytes below.
const testNonce = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

func TestCastReceipt(t *testing.T) {
	got, err := CastReceipt("b1", "ann", json.RawMessage(`[ "b", "a" ]`), testIssuedAt, testNonce)
	if err != nil {
		t.Fatal(err)
	}
	// sha256sum of {"ballot":"b1","cast_at":"2026-11-26T10:00:00Z","choice":["b","a"],"nonce":"0011…eeff","voter":"ann"}
	if want := "1eae4efd21db7495d4da2ca9170374070d98f437e66c805ce3ea85e02a89c2d9"; got != want {
		t.Errorf("CastReceipt = %s, want %s", got, want)
	}
	again, _ := CastReceipt("b1", "ann", json.RawMessage(`["b","a"]`), testIssuedAt.Add(400_000_000), testNonce)
	if again != got {
		t.Errorf("CastReceipt depends on formatting or sub-second time: %s vs %s", got, again)
	}
	if _, err := CastReceipt("b1", "ann", json.RawMessage(`[1.5]`), testIssuedAt, testNonce); err == nil {
		t.Error("CastReceipt accepted a fraction")
	}
	if _, err := CastReceipt("b1", "ann", json.RawMessage(`["b","a"]`), testIssuedAt, ""); err == nil {
		t.Error("CastReceipt accepted an empty nonce (anyone could recompute the choice)")
	}
	// The receipt of 2026-11 (no nonce) was a hash anyone could recompute
	// by trying each choice; the nonce must change it.
	if got == "890307f4a6c16fabae98e16020a9cb97dcca3db471dff84ced7a04883053dc61" {
		t.Error("CastReceipt ignores the nonce")
	}
}

// TestMarshalResultMatchesMarshal holds the hand-written encoding of large
// results to encoding/json's canonical form.
func TestMarshalResultMatchesMarshal(t *testing.T) {
	data := sealedMajority(t, 5000)
	doc, err := ParseProof(data)
	if err != nil {
		t.Fatal(err)
	}
	in, err := doc.Input()
	if err != nil {
		t.Fatal(err)
	}
	r, err := tally.Count(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Resolution) < 1024 {
		t.Fatalf("only %d resolution rows: the fast path is not exercised", len(r.Resolution))
	}
	fast, err := marshalResult(r)
	if err != nil {
		t.Fatal(err)
	}
	slow, err := Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fast, slow) {
		t.Errorf("marshalResult differs from Marshal: %v", FirstDifference("result", slow, fast))
	}
}

func FuzzVerify(f *testing.F) {
	doc, data := sealed(f)
	f.Add(data)
	rc, err := Receipt(doc, "v1", testKey(1))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(rc)
	f.Add([]byte(input))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := VerifyAny(b, nil)
		if r.OK && Detect(b) == Format {
			// Whatever verifies must re-verify from its canonical form.
			c, err := Canonicalize(b)
			if err != nil || !Verify(c, nil).OK {
				t.Fatalf("verified input does not verify canonicalized (err %v)", err)
			}
		}
		_ = VerifyReceipt(b, data, nil)
	})
}
