package proof2

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"koinon/internal/proof"
)

// Format is the format string of a proof-2 document.
const Format = "koinon-tally-proof/2"

// Document is a koinon-tally-proof/2. Its bytes are the canonical JSON of
// this struct; the signature covers them without the signature member.
type Document struct {
	Format string `json:"format"`
	Count
	// CustodialWeight is the counted weight that relied on a custodial key.
	CustodialWeight int64 `json:"custodial_weight"`
	// Log names the community log; Checkpoint is its signed close
	// checkpoint (signed note, with any cosignatures).
	Log        Log    `json:"log"`
	Checkpoint string `json:"checkpoint"`
	// CloseSize is the log's size when the ballot closed: entries from
	// CloseSize on (the openings, later statements) do not count.
	CloseSize int64 `json:"close_size"`
	// Entries are the log entries of every citizen on the roll, by index.
	Entries   []Entry       `json:"entries"`
	IssuedAt  string        `json:"issued_at"`
	Signer    *proof.Signer `json:"signer"`
	Signature string        `json:"signature,omitempty"`

	// raw is the canonical document Parse read, and tail the length of
	// its members after "entries" (see parts): the signed bytes are
	// taken from them instead of encoded again.
	raw  []byte
	tail int
}

// Log names a community log: its origin and its key (signed-note vkey).
type Log struct {
	Origin string `json:"origin"`
	VKey   string `json:"vkey"`
}

// Entry is one log entry with its position and its RFC 6962 inclusion
// proof in the checkpoint (hashes as lowercase hex, leaf upward). Entry's
// canonical bytes are the log entry's bytes.
type Entry struct {
	Index     int64           `json:"index"`
	Entry     json.RawMessage `json:"entry"`
	Inclusion []string        `json:"inclusion"`
}

// members are the top-level members of a sealed document.
var members = []string{"ballot", "checkpoint", "close_size", "custodial_weight", "electorate",
	"entries", "format", "issued_at", "log", "result", "signature", "signer", "tiebreak",
	"votes", "votes_root"}

// Parse reads a sealed document strictly: JSON with exactly the members
// above, each of its type. It checks nothing else (see Verify).
func Parse(data []byte) (*Document, error) {
	canon, err := proof.Canonicalize(data)
	if err != nil {
		return nil, err
	}
	if len(canon) == 0 || canon[0] != '{' {
		return nil, fmt.Errorf("not a JSON object")
	}
	// A missing member is named first; the members are only listed when
	// something is wrong (a valid document has them all: the form check
	// below would fail otherwise), which spares a copy of a large proof.
	fail := func(err error) (*Document, error) {
		var top map[string]json.RawMessage
		if json.Unmarshal(canon, &top) == nil {
			for _, m := range members {
				if _, ok := top[m]; !ok {
					return nil, fmt.Errorf("%s: missing", m)
				}
			}
		}
		return nil, err
	}
	var doc Document
	dec := json.NewDecoder(bytes.NewReader(canon))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return fail(err)
	}
	if doc.Format != Format {
		return fail(fmt.Errorf("format: must be %q, not %q", Format, doc.Format))
	}
	if doc.Signer == nil || doc.Signature == "" {
		return fail(fmt.Errorf("signer, signature: missing"))
	}
	for i := range doc.Entries {
		if doc.Entries[i].Inclusion == nil {
			return fail(fmt.Errorf("entries[%d].inclusion: must be a list", i))
		}
	}
	// Every member came through in its canonical form: nothing was lost.
	// (The entries are parts of canon, so canonical already.)
	head, entries, tail, err := doc.parts(true, true)
	if err != nil || !bytes.Equal(splice(head, entries, tail), canon) {
		return fail(fmt.Errorf("a member has the wrong type or form (null, a fraction, an empty list written as null)"))
	}
	doc.raw, doc.tail = canon, len(tail)
	return &doc, nil
}

// unsigned returns the canonical document without its signature: for a
// parsed document, its bytes with the members after "entries" encoded
// again without the signature.
func (doc *Document) unsigned() ([]byte, error) {
	if doc.raw == nil {
		return doc.bytes(false)
	}
	tail, err := doc.marshalTail(false)
	if err != nil {
		return nil, err
	}
	head := doc.raw[:len(doc.raw)-doc.tail+1]
	out := make([]byte, 0, len(head)+len(tail)-1)
	return append(append(out, head...), tail[1:]...), nil
}

// bytes returns the canonical JSON, with or without the signature.
func (doc *Document) bytes(withSignature bool) ([]byte, error) {
	head, entries, tail, err := doc.parts(withSignature, false)
	if err != nil {
		return nil, err
	}
	return splice(head, entries, tail), nil
}

// parts encodes the document in three canonical pieces: the object of the
// members before "entries" (ballot … electorate), the entries list, and
// the object of the members after it (format … votes_root). Canonical JSON
// sorts members by key, so splice joins them into the whole document's
// canonical form without canonicalising the entries — nearly all of a
// large proof — again.
func (doc *Document) parts(withSignature, canonicalEntries bool) (head, entries, tail []byte, err error) {
	if head, err = proof.Marshal(struct {
		Ballot          json.RawMessage `json:"ballot"`
		Checkpoint      string          `json:"checkpoint"`
		CloseSize       int64           `json:"close_size"`
		CustodialWeight int64           `json:"custodial_weight"`
		Electorate      json.RawMessage `json:"electorate"`
	}{doc.Ballot, doc.Checkpoint, doc.CloseSize, doc.CustodialWeight, doc.Electorate}); err != nil {
		return nil, nil, nil, err
	}
	if tail, err = doc.marshalTail(withSignature); err != nil {
		return nil, nil, nil, err
	}
	entries, err = marshalEntries(doc.Entries, canonicalEntries)
	return head, entries, tail, err
}

func (doc *Document) marshalTail(withSignature bool) ([]byte, error) {
	sig := doc.Signature
	if !withSignature {
		sig = ""
	}
	return proof.Marshal(struct {
		Format    string          `json:"format"`
		IssuedAt  string          `json:"issued_at"`
		Log       Log             `json:"log"`
		Result    json.RawMessage `json:"result"`
		Signature string          `json:"signature,omitempty"`
		Signer    *proof.Signer   `json:"signer"`
		Tiebreak  []string        `json:"tiebreak"`
		Votes     json.RawMessage `json:"votes"`
		VotesRoot string          `json:"votes_root"`
	}{doc.Format, doc.IssuedAt, doc.Log, doc.Result, sig, doc.Signer, doc.Tiebreak, doc.Votes, doc.VotesRoot})
}

func splice(head, entries, tail []byte) []byte {
	out := make([]byte, 0, len(head)+len(entries)+len(tail)+len(`,"entries":,`))
	out = append(out, head[:len(head)-1]...)
	out = append(out, `,"entries":`...)
	out = append(out, entries...)
	out = append(out, ',')
	return append(out, tail[1:]...)
}

// marshalEntries writes the entries list canonically: each entry is
// {"entry":…,"inclusion":[…],"index":…} with its entry bytes as they are
// (canonical, see Entry). Anything but canonical entry bytes and lowercase
// hex hashes takes the general encoder. canonical says the entry bytes
// are known to be canonical (parts of a canonical document).
func marshalEntries(es []Entry, canonical bool) ([]byte, error) {
	if es == nil {
		return []byte("null"), nil
	}
	n := 2
	for _, e := range es {
		n += len(e.Entry) + 40 + 67*len(e.Inclusion)
	}
	out := make([]byte, 0, n)
	out = append(out, '[')
	for i, e := range es {
		if !plain(e, canonical) {
			return proof.Marshal(es)
		}
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, `{"entry":`...)
		out = append(out, e.Entry...)
		out = append(out, `,"inclusion":[`...)
		for j, h := range e.Inclusion {
			if j > 0 {
				out = append(out, ',')
			}
			out = append(append(append(out, '"'), h...), '"')
		}
		out = append(out, `],"index":`...)
		out = strconv.AppendInt(out, e.Index, 10)
		out = append(out, '}')
	}
	return append(out, ']'), nil
}

// plain reports whether e encodes as marshalEntries writes it: a list of
// inclusion hashes (not null) of lowercase hex digits, and entry bytes in
// canonical form.
func plain(e Entry, canonical bool) bool {
	if e.Inclusion == nil || len(e.Entry) == 0 {
		return false
	}
	for _, h := range e.Inclusion {
		for k := 0; k < len(h); k++ {
			if c := h[k]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
				return false
			}
		}
	}
	if canonical {
		return true
	}
	canon, err := proof.Canonicalize(e.Entry)
	return err == nil && bytes.Equal(canon, e.Entry)
}

// count1 returns the proof/1 count document inside doc: ballot, electorate
// and votes as given, read by proof.ParseDocument.
func count1(ballot, electorate, votes json.RawMessage) (*proof.Document, error) {
	in, err := proof.Marshal(struct {
		Ballot     json.RawMessage `json:"ballot"`
		Electorate json.RawMessage `json:"electorate"`
		Votes      json.RawMessage `json:"votes"`
	}{ballot, electorate, votes})
	if err != nil {
		return nil, err
	}
	return proof.ParseDocument(in)
}

// Count holds the members of proof.md that a count gives (what
// proof.Tally writes, but format), with the same bytes.
type Count struct {
	Ballot     json.RawMessage `json:"ballot"`
	Electorate json.RawMessage `json:"electorate"`
	Votes      json.RawMessage `json:"votes"`
	VotesRoot  string          `json:"votes_root"`
	Tiebreak   []string        `json:"tiebreak"`
	Result     json.RawMessage `json:"result"`
}

// recount runs proof.Tally and returns its members.
func recount(c *proof.Document) (Count, error) {
	var t Count
	out, err := proof.Tally(c)
	if err != nil {
		return t, err
	}
	err = json.Unmarshal(out, &t)
	return t, err
}

func list(ss []string) string { return "[" + strings.Join(ss, " ") + "]" }

// sortedByIndex reports the first entry out of index order, or -1.
func (doc *Document) sortedByIndex() int {
	for i := 1; i < len(doc.Entries); i++ {
		if doc.Entries[i].Index <= doc.Entries[i-1].Index {
			return i
		}
	}
	return -1
}

// Counted returns the count a sealed proof states (ballot, electorate,
// votes), for a proof 2 as for a koinon-tally-proof/1.
func Counted(data []byte) (*proof.Document, error) {
	if proof.Detect(data) != Format {
		return proof.ParseDocument(data)
	}
	doc, err := Parse(data)
	if err != nil {
		return nil, err
	}
	return count1(doc.Ballot, doc.Electorate, doc.Votes)
}
