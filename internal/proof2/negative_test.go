package proof2

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"koinon/internal/clog"
	"koinon/internal/proof"
	"koinon/internal/statement"
	"koinon/internal/tally"
)

// operator plays a malicious operator who holds the platform key and the
// log key: it changes a sealed proof and seals it again.
type operator struct {
	t   *testing.T
	f   *fixture
	doc *Document
}

func newOperator(t *testing.T) *operator {
	f := standard(t)
	doc, err := Parse(f.build())
	if err != nil {
		t.Fatal(err)
	}
	return &operator{t: t, f: f, doc: doc}
}

// recount makes votes_root, tiebreak and result agree with the stated
// electorate and votes, as a careful forger would.
func (o *operator) recount() {
	c, err := count1(o.doc.Ballot, o.doc.Electorate, o.doc.Votes)
	if err != nil {
		o.t.Fatal(err)
	}
	if o.doc.Count, err = recount(c); err != nil {
		o.t.Fatal(err)
	}
}

// drop removes the proof's entry at log index i.
func (o *operator) drop(i int64) {
	o.doc.Entries = slices.DeleteFunc(o.doc.Entries, func(e Entry) bool { return e.Index == i })
}

// appendLog appends entries to the log, signs a new checkpoint with the
// log key, and puts them into the proof with fresh inclusion proofs.
func (o *operator) appendLog(entries ...[]byte) {
	first := int64(len(o.f.entries))
	o.f.entries = append(o.f.entries, entries...)
	o.doc.Checkpoint = string(o.f.checkpoint())
	for i, e := range entries {
		o.doc.Entries = append(o.doc.Entries, Entry{Index: first + int64(i), Entry: e})
	}
	l := clog.Open(&clog.MemStorage{}, 0)
	if _, err := l.Append(o.f.entries); err != nil {
		o.t.Fatal(err)
	}
	for i := range o.doc.Entries {
		p, err := l.InclusionProof(o.doc.Entries[i].Index, l.Size())
		if err != nil {
			o.t.Fatal(err)
		}
		o.doc.Entries[i].Inclusion = hexProof(p)
	}
}

func (o *operator) seal() []byte {
	unsigned, err := o.doc.bytes(false)
	if err != nil {
		o.t.Fatal(err)
	}
	o.doc.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(platform, unsigned))
	b, err := o.doc.bytes(true)
	if err != nil {
		o.t.Fatal(err)
	}
	return b
}

func setJSON(t *testing.T, dst *json.RawMessage, from, to string) {
	t.Helper()
	if !strings.Contains(string(*dst), from) {
		t.Fatalf("%s not in %s", from, *dst)
	}
	*dst = json.RawMessage(strings.Replace(string(*dst), from, to, 1))
}

// TestVerifyRefuses has one case per check: each tampering is named by the
// check that catches it first.
func TestVerifyRefuses(t *testing.T) {
	pub := []byte(platform.Public().(ed25519.PublicKey))
	tests := []struct {
		name   string
		tamper func(o *operator) ([]byte, Options)
		check  int
		reason string
	}{
		{"another format", func(o *operator) ([]byte, Options) {
			o.doc.Format = "koinon-tally-proof/1"
			return o.seal(), Options{}
		}, 1, `must be "koinon-tally-proof/2"`},
		{"ballot without a method", func(o *operator) ([]byte, Options) {
			setJSON(o.t, &o.doc.Ballot, `"method":"majority",`, ``)
			return o.seal(), Options{}
		}, 1, "ballot.method"},
		{"checkpoint signed by another key", func(o *operator) ([]byte, Options) {
			skey, _, _ := clog.NoteKeys(testOrigin, seed("another log key"))
			s, _ := note.NewSigner(skey)
			o.f.signer = s
			o.doc.Checkpoint = string(o.f.checkpoint())
			return o.seal(), Options{}
		}, 2, "not signed by the log's key"},
		{"log key not the trusted one", func(o *operator) ([]byte, Options) {
			_, vkey, _ := clog.NoteKeys(testOrigin, seed("another log key"))
			return o.seal(), Options{LogKey: vkey}
		}, 2, "is not the trusted log key"},
		{"witness quorum not met", func(o *operator) ([]byte, Options) {
			_, w := o.f.witness()
			_, other, _ := clog.NewCosigner("other.example.org", seed("other witness"), cosignedAt)
			return o.seal(), Options{Witnesses: []string{w, other}, Quorum: 2}
		}, 2, "too few witness cosignatures"},
		{"wrong inclusion proof", func(o *operator) ([]byte, Options) {
			p := []byte(o.doc.Entries[3].Inclusion[0])
			p[0] = "10"[min(1, int(p[0]-'0'))]
			o.doc.Entries[3].Inclusion[0] = string(p)
			return o.seal(), Options{}
		}, 3, "entries[3] (index 3): clog: inclusion proof does not verify"},
		{"vote signed by an unregistered key", func(o *operator) ([]byte, Options) {
			o.f.keys["eve"] = ed25519.NewKeyFromSeed(seed("operator's key for eve"))
			e := o.f.sign("eve", statement.Vote, statement.BallotScope("b1"), statement.VoteContent{Choice: json.RawMessage(`"no"`)})
			b, _ := clog.StatementEntry(e).Bytes()
			o.appendLog(b)
			return o.seal(), Options{}
		}, 4, "statement: unknown key"},
		{"dropped statement in the middle of a chain", func(o *operator) ([]byte, Options) {
			o.drop(o.f.index["bob ballot"])
			return o.seal(), Options{}
		}, 4, "prev does not link"},
		{"vote commitment without its opening", func(o *operator) ([]byte, Options) {
			o.doc.Entries = slices.DeleteFunc(o.doc.Entries, func(e Entry) bool {
				return strings.Contains(string(e.Entry), `"vote_opening"`) && strings.Contains(string(e.Entry), `"choice":"yes"`)
			})
			return o.seal(), Options{}
		}, 4, "cy's vote commitment on ballot b1 has no opening"},
		{"delegation list not the signed one", func(o *operator) ([]byte, Options) {
			setJSON(o.t, &o.doc.Electorate, `{"delegates":["cy"],"voter":"ann"`, `{"delegates":["bob"],"voter":"ann"`)
			o.recount()
			return o.seal(), Options{}
		}, 5, "electorate[0] (ann): delegates [bob], but ann's delegate statement at entry 15 (scope topic:parks) gives [cy]"},
		{"tampered choice", func(o *operator) ([]byte, Options) {
			setJSON(o.t, &o.doc.Votes, `{"choice":"yes","voter":"cy"}`, `{"choice":"no","voter":"cy"}`)
			o.recount()
			return o.seal(), Options{}
		}, 6, `votes[1] (cy): choice "no", but the signed vote at entry 10 says "yes"`},
		{"vote with no statement", func(o *operator) ([]byte, Options) {
			setJSON(o.t, &o.doc.Votes, `]`, `,{"choice":"no","voter":"eve"}]`)
			o.recount()
			return o.seal(), Options{}
		}, 6, "votes[3] (eve): no signed vote of eve on ballot b1 in the proof"},
		{"wrong result", func(o *operator) ([]byte, Options) {
			setJSON(o.t, &o.doc.Result, `"yes":3`, `"yes":4`)
			return o.seal(), Options{}
		}, 7, "result.totals.yes: document says 4, recomputed 3"},
		{"wrong custodial weight", func(o *operator) ([]byte, Options) {
			o.doc.CustodialWeight = 0
			return o.seal(), Options{}
		}, 7, "custodial_weight: document says 0, recomputed 1"},
		{"changed after sealing", func(o *operator) ([]byte, Options) {
			b := o.seal()
			return []byte(strings.Replace(string(b), `"issued_at":"2026-12-05T12:30:00Z"`, `"issued_at":"2026-12-05T12:31:00Z"`, 1)), Options{}
		}, 8, "signature does not verify"},
		{"sealed by another platform key", func(o *operator) ([]byte, Options) {
			other := ed25519.NewKeyFromSeed(seed("another platform"))
			return o.seal(), Options{PlatformKey: []byte(other.Public().(ed25519.PublicKey))}
		}, 8, "not by the trusted key"},
		{"later delegation dropped so an older one applies", func(o *operator) ([]byte, Options) {
			o.drop(o.f.index["ann topic"])
			setJSON(o.t, &o.doc.Electorate, `{"delegates":["cy"],"voter":"ann"`, `{"delegates":["bob"],"voter":"ann"`)
			o.recount()
			return o.seal(), Options{PlatformKey: pub, Log: o.f.entries}
		}, 11, "entry 15 (statement delegate, scope topic:parks) of ann is in the log but not in the proof"},
		{"log entry rewritten", func(o *operator) ([]byte, Options) {
			log := slices.Clone(o.f.entries)
			log[1] = log[2]
			return o.seal(), Options{Log: log}
		}, 9, "the log's first 22 entries give root"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data, opts := tc.tamper(newOperator(t))
			r := Verify(data, opts)
			if r.OK || r.Error != "" {
				t.Fatalf("Verify passed or could not read: %s\n%s", r.Error, checkLines(r))
			}
			last := r.Checks[len(r.Checks)-1]
			t.Logf("%d FAIL %s: %s", last.N, last.Name, last.Reason)
			if last.N != tc.check || !strings.Contains(last.Reason, tc.reason) {
				t.Errorf("failed check %d %s: %s\nwant check %d with %q", last.N, last.Name, last.Reason, tc.check, tc.reason)
			}
		})
	}
}

// TestDroppedLastDelegationNeedsTheLog shows the limit of a proof alone: a
// citizen's last statement dropped from proof and count passes checks 1 to
// 8; only the log replay (check 11) names it.
func TestDroppedLastDelegationNeedsTheLog(t *testing.T) {
	o := newOperator(t)
	o.drop(o.f.index["ann topic"])
	setJSON(t, &o.doc.Electorate, `{"delegates":["cy"],"voter":"ann"`, `{"delegates":["bob"],"voter":"ann"`)
	o.recount()
	o.doc.CustodialWeight = 1
	data := o.seal()
	if r := Verify(data, Options{}); !r.OK {
		t.Fatalf("without the log: %s", checkLines(r))
	}
	if r := Verify(data, Options{Log: o.f.entries}); r.OK {
		t.Fatal("with the log: passed")
	}
}

// TestAddedKeyNeedsTheLog: a key registered for a citizen who already had
// a device key, without that key's signature, passes checks 1 to 8 when it
// signs a vote (the registration is valid on its face); the log replay
// names it (check 12). A rotation signed by the old key is not flagged,
// nor is an added key that signs nothing the proof counts.
func TestAddedKeyNeedsTheLog(t *testing.T) {
	story := func(t *testing.T, rotate, vote bool) []byte {
		f := newFixture(t)
		for _, c := range []string{"ann", "bob", "cy", "dee", "eve"} {
			f.register(c, c == "dee")
		}
		f.vote("cy b1", "cy", "b1", "yes")
		old := f.keys["eve"]
		key := ed25519.NewKeyFromSeed(seed("operator's key for eve"))
		f.keys["eve"] = key
		content := statement.KeyContent{Citizen: "eve", PublicKey: base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey))}
		if !rotate {
			f.append(clog.StatementEntry(f.sign("eve", statement.KeyRegister, statement.ScopeCommunity, content)))
		} else {
			content.OldKey = proof.KeyID(old.Public().(ed25519.PublicKey))
			raw, _ := statement.Content(content)
			f.minute++
			e, err := statement.Sign(statement.Statement{Format: statement.Format, Kind: statement.KeyRegister, Community: "c1",
				Scope: statement.ScopeCommunity, Content: raw, Prev: f.heads["eve"], Key: proof.KeyID(key.Public().(ed25519.PublicKey)),
				At: time.Date(2026, 12, 5, 9, f.minute, 0, 0, time.UTC).Format(statement.TimeLayout)}, key, old, false)
			if err != nil {
				t.Fatal(err)
			}
			f.heads["eve"] = e.Hash().String()
			f.append(clog.StatementEntry(e))
		}
		if vote {
			f.vote("eve b1", "eve", "b1", "no")
		}
		f.closeBallot()
		in := f.input()
		in.Roll = []tally.Entry{{Voter: "ann", Weight: 1}, {Voter: "bob", Weight: 1}, {Voter: "cy", Weight: 1}, {Voter: "dee", Weight: 1}, {Voter: "eve", Weight: 1}}
		data, err := Build(in, platform, issuedAt)
		if err != nil {
			t.Fatal(err)
		}
		if r := Verify(data, Options{}); !r.OK {
			t.Fatalf("without the log: %s", checkLines(r))
		}
		r := Verify(data, Options{Log: f.entries})
		if !r.OK {
			last := r.Checks[len(r.Checks)-1]
			return []byte(fmt.Sprintf("%d FAIL %s: %s", last.N, last.Name, last.Reason))
		}
		return nil
	}
	got := string(story(t, false, true))
	if want := "12 FAIL log_keys: entry 7 (vote_commitment on ballot b1) of eve is signed with key"; !strings.Contains(got, want) ||
		!strings.Contains(got, "registered at entry 6 without the signature of eve's device key") {
		t.Errorf("an added key that votes: %q, want %q", got, want)
	}
	if got := story(t, true, true); got != nil {
		t.Errorf("a rotation signed by the old key: %s", got)
	}
	if got := story(t, false, false); got != nil {
		t.Errorf("an added key that signs nothing counted: %s", got)
	}
}
