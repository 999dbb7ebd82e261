package proof2

import (
	"bytes"
	"encoding/json"
	"fmt"
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
	var top map[string]json.RawMessage
	if err := json.Unmarshal(canon, &top); err != nil || top == nil {
		return nil, fmt.Errorf("not a JSON object")
	}
	for _, m := range members {
		if _, ok := top[m]; !ok {
			return nil, fmt.Errorf("%s: missing", m)
		}
	}
	var doc Document
	dec := json.NewDecoder(bytes.NewReader(canon))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	if doc.Format != Format {
		return nil, fmt.Errorf("format: must be %q, not %q", Format, doc.Format)
	}
	if doc.Signer == nil || doc.Signature == "" {
		return nil, fmt.Errorf("signer, signature: missing")
	}
	for i := range doc.Entries {
		if doc.Entries[i].Inclusion == nil {
			return nil, fmt.Errorf("entries[%d].inclusion: must be a list", i)
		}
	}
	// Every member came through in its canonical form: nothing was lost.
	again, err := doc.bytes(true)
	if err != nil || !bytes.Equal(again, canon) {
		return nil, fmt.Errorf("a member has the wrong type or form (null, a fraction, an empty list written as null)")
	}
	return &doc, nil
}

// bytes returns the canonical JSON, with or without the signature.
func (doc *Document) bytes(withSignature bool) ([]byte, error) {
	d := *doc
	if !withSignature {
		d.Signature = ""
	}
	return proof.Marshal(&d)
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
