package proof2

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"koinon/internal/clog"
	"koinon/internal/proof"
	"koinon/internal/statement"
	"koinon/internal/tally"
)

// seed derives a fixed Ed25519 seed from a name, so that every test and
// the vectors use the same keys.
func seed(name string) []byte {
	s := sha256.Sum256([]byte("koinon proof2 test " + name))
	return s[:]
}

const (
	testOrigin  = "vote.example.org/logs/c1"
	testBallot  = `{"closes_at":"2026-12-05T12:00:00Z","community":"c1","delegation":true,"id":"b1","method":"majority","opens_at":"2026-12-05T09:00:00Z","options":[{"key":"yes","label":"Yes"},{"key":"no","label":"No"},{"key":"abstain","label":"Abstain"}],"quorum":"0/1","seats":1,"secrecy":"public","strict":true,"threshold":"1/2","title":"Plant trees","topic":"parks"}`
	testWitness = "witness.example.org"
)

var (
	issuedAt   = time.Date(2026, 12, 5, 12, 30, 0, 0, time.UTC)
	platform   = ed25519.NewKeyFromSeed(seed("platform"))
	testRoll   = []tally.Entry{{Voter: "ann", Weight: 1}, {Voter: "bob", Weight: 1}, {Voter: "cy", Weight: 1}, {Voter: "dee", Weight: 1}, {Voter: "eve", Weight: 1}}
	cosignedAt = func() time.Time { return time.Unix(1796000000, 0) }
)

// fixture plays the citizens' devices and the server: it signs
// statements, appends them to a community log, and opens the votes at close.
type fixture struct {
	t        testing.TB
	keys     map[string]ed25519.PrivateKey
	heads    map[string]string
	custody  map[string]bool
	minute   int
	entries  [][]byte
	openings []clog.Entry // to append at close
	signer   note.Signer
	vkey     string
	close    int64
	index    map[string]int64 // name → index of a statement the tests refer to
}

func newFixture(t testing.TB) *fixture {
	skey, vkey, err := clog.NoteKeys(testOrigin, seed("log"))
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, keys: map[string]ed25519.PrivateKey{}, heads: map[string]string{},
		custody: map[string]bool{}, signer: signer, vkey: vkey, index: map[string]int64{}}
}

func (f *fixture) append(e clog.Entry) int64 {
	b, err := e.Bytes()
	if err != nil {
		f.t.Fatal(err)
	}
	f.entries = append(f.entries, b)
	return int64(len(f.entries) - 1)
}

// sign makes citizen's next statement with their key.
func (f *fixture) sign(citizen string, kind statement.Kind, scope string, content any) *statement.Envelope {
	f.t.Helper()
	key := f.keys[citizen]
	c, err := statement.Content(content)
	if err != nil {
		f.t.Fatal(err)
	}
	f.minute++
	s := statement.Statement{Format: statement.Format, Kind: kind, Community: "c1", Scope: scope, Content: c,
		Prev: f.heads[citizen], At: time.Date(2026, 12, 5, 9, f.minute, 0, 0, time.UTC).Format(statement.TimeLayout),
		Key: proof.KeyID(key.Public().(ed25519.PublicKey))}
	e, err := statement.Sign(s, key, nil, f.custody[citizen])
	if err != nil {
		f.t.Fatal(err)
	}
	f.heads[citizen] = e.Hash().String()
	return e
}

func (f *fixture) register(citizen string, custodial bool) {
	key := ed25519.NewKeyFromSeed(seed("citizen " + citizen))
	f.keys[citizen], f.custody[citizen] = key, custodial
	f.append(clog.StatementEntry(f.sign(citizen, statement.KeyRegister, statement.ScopeCommunity, statement.KeyContent{
		Citizen: citizen, PublicKey: base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey)), Custodial: custodial})))
}

func (f *fixture) delegate(name, citizen, scope string, delegates ...string) {
	if delegates == nil {
		delegates = []string{}
	}
	f.index[name] = f.append(clog.StatementEntry(f.sign(citizen, statement.Delegate, scope, statement.DelegateContent{Delegates: delegates})))
}

// vote logs a commitment to citizen's vote and keeps the opening for close.
func (f *fixture) vote(name, citizen, ballot, choice string) {
	e := f.sign(citizen, statement.Vote, statement.BallotScope(ballot), statement.VoteContent{Choice: json.RawMessage(`"` + choice + `"`)})
	n := sha256.Sum256([]byte("nonce " + name))
	o, c, err := statement.Open(n[:], e)
	if err != nil {
		f.t.Fatal(err)
	}
	ce, err := clog.CommitmentEntry(e, c)
	if err != nil {
		f.t.Fatal(err)
	}
	f.index[name] = f.append(ce)
	oe, err := clog.OpeningEntry(o, c)
	if err != nil {
		f.t.Fatal(err)
	}
	f.openings = append(f.openings, oe)
}

// closeBallot records the close size and appends the openings.
func (f *fixture) closeBallot() {
	f.close = int64(len(f.entries))
	for _, o := range f.openings {
		f.append(o)
	}
	f.openings = nil
}

// checkpoint signs the log's current checkpoint and has one witness
// cosign it.
func (f *fixture) checkpoint() []byte {
	l := clog.Open(&clog.MemStorage{}, 0)
	if _, err := l.Append(f.entries); err != nil {
		f.t.Fatal(err)
	}
	root, err := l.Root(l.Size())
	if err != nil {
		f.t.Fatal(err)
	}
	w, _ := f.witness()
	text := clog.Checkpoint{Origin: testOrigin, Size: l.Size(), Root: root}.Bytes()
	cosigned, err := note.Sign(&note.Note{Text: string(text)}, f.signer, w)
	if err != nil {
		f.t.Fatal(err)
	}
	return cosigned
}

func (f *fixture) witness() (*clog.Cosigner, string) {
	w, vkey, err := clog.NewCosigner(testWitness, seed("witness"), cosignedAt)
	if err != nil {
		f.t.Fatal(err)
	}
	return w, vkey
}

// standard is the story the tests tell: ann delegates to bob for the
// community, then to cy for the topic "parks" (her last statement); bob
// delegates to cy for the community but votes himself on b1 (an explicit
// empty ballot list), voting abstain then no; cy votes yes; dee votes no
// with a custodial key; eve delegates to ann; zed, not on the roll,
// delegates too; another ballot b2 stays open with bob's hidden vote.
func standard(t *testing.T) *fixture {
	f := newFixture(t)
	for _, c := range []string{"ann", "bob", "cy", "dee", "eve", "zed"} {
		f.register(c, c == "dee")
	}
	f.delegate("ann community", "ann", statement.ScopeCommunity, "bob")
	f.delegate("bob community", "bob", statement.ScopeCommunity, "cy")
	f.delegate("bob ballot", "bob", statement.BallotScope("b1"))
	f.delegate("eve community", "eve", statement.ScopeCommunity, "ann")
	f.vote("cy b1", "cy", "b1", "yes")
	f.vote("dee b1", "dee", "b1", "no")
	f.vote("bob b1 first", "bob", "b1", "abstain")
	f.vote("bob b1", "bob", "b1", "no")
	f.delegate("zed community", "zed", statement.ScopeCommunity, "ann")
	f.delegate("ann topic", "ann", statement.TopicScope("parks"), "cy")
	open := f.openings
	f.openings = nil
	f.vote("bob b2", "bob", "b2", "yes") // b2 stays open: never opened
	f.openings = open
	f.closeBallot()
	f.delegate("cy after close", "cy", statement.ScopeCommunity, "ann")
	return f
}

func (f *fixture) input() Input {
	return Input{Ballot: json.RawMessage(testBallot), Roll: testRoll, Log: Log{Origin: testOrigin, VKey: f.vkey},
		Checkpoint: f.checkpoint(), CloseSize: f.close, Entries: f.entries}
}

func (f *fixture) build() []byte {
	f.t.Helper()
	b, err := Build(f.input(), platform, issuedAt)
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}
