package proof2

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"koinon/internal/clog"
	"koinon/internal/proof"
	"koinon/internal/tally"
)

// Input is what Build needs: the ballot, its roll, and the community log
// up to the close checkpoint.
type Input struct {
	// Ballot is the ballot object of proof.md, every member present;
	// secrecy must be "public".
	Ballot json.RawMessage
	// Roll is the frozen voter roll: voters and weights (Delegates are
	// ignored: they are recomputed from the statements).
	Roll []tally.Entry
	// Log names the community log and its key; Checkpoint is the signed
	// close checkpoint, with the cosignatures collected.
	Log        Log
	Checkpoint []byte
	// CloseSize is the log's size when the ballot closed.
	CloseSize int64
	// Entries are the log's entries from index 0, at least up to the
	// checkpoint's size (later ones are ignored).
	Entries [][]byte
}

// Build makes and seals a proof-2 document: it replays the log up to the
// checkpoint, takes every entry of every citizen on the roll with its
// inclusion proof, derives the effective delegation lists and votes from
// them, counts, and signs with key. It fails where Verify would.
func Build(in Input, key ed25519.PrivateKey, issuedAt time.Time) ([]byte, error) {
	c, err := openCheckpoint(in.Log, "", in.Checkpoint)
	if err != nil {
		return nil, err
	}
	if int64(len(in.Entries)) < c.Size || in.CloseSize < 0 || in.CloseSize > c.Size {
		return nil, fmt.Errorf("proof2: %d entries and close size %d for a checkpoint of size %d", len(in.Entries), in.CloseSize, c.Size)
	}
	raw := in.Entries[:c.Size]
	l := clog.Open(&clog.MemStorage{}, 0)
	if _, err := l.Append(raw); err != nil {
		return nil, err
	}
	if root, err := l.Root(c.Size); err != nil || root != c.Root {
		return nil, fmt.Errorf("proof2: the entries do not give the checkpoint's root")
	}
	entries, index, err := parseLog(raw)
	if err != nil {
		return nil, err
	}
	b, err := count1(in.Ballot, json.RawMessage("[]"), json.RawMessage("[]"))
	if err != nil {
		return nil, fmt.Errorf("proof2: ballot: %w", err)
	}
	citizens, unopened, err := replay(b.Ballot.Community, index, entries)
	if err != nil {
		return nil, fmt.Errorf("proof2: %w", err)
	}
	sel := onRoll(in.Roll, citizens)
	doc := &Document{Format: Format, Log: in.Log, Checkpoint: string(in.Checkpoint), CloseSize: in.CloseSize, Entries: []Entry{}}
	var subIndex []int64
	var subEntries []clog.Entry
	var subCitizens []string
	var subUnopened []int
	hidden := set(unopened)
	for _, i := range sel {
		p, err := l.InclusionProof(int64(i), c.Size)
		if err != nil {
			return nil, err
		}
		doc.Entries = append(doc.Entries, Entry{Index: int64(i), Entry: raw[i], Inclusion: hexProof(p)})
		if hidden[i] {
			subUnopened = append(subUnopened, len(subEntries))
		}
		subIndex, subEntries, subCitizens = append(subIndex, int64(i)), append(subEntries, entries[i]), append(subCitizens, citizens[i])
	}
	ev, err := collect(&b.Ballot, in.CloseSize, subIndex, subEntries, subCitizens, subUnopened)
	if err != nil {
		return nil, fmt.Errorf("proof2: %w", err)
	}
	cd, err := ev.countDoc(in.Ballot, in.Roll)
	if err != nil {
		return nil, fmt.Errorf("proof2: %w", err)
	}
	t, err := recount(cd)
	if err != nil {
		return nil, fmt.Errorf("proof2: %w", err)
	}
	doc.Count = t
	if doc.CustodialWeight, err = ev.custodialWeight(cd.Electorate, t.Result); err != nil {
		return nil, err
	}
	doc.IssuedAt = issuedAt.UTC().Truncate(time.Second).Format(proof.TimeLayout)
	doc.Signer = proof.NewSigner(key)
	unsigned, err := doc.bytes(false)
	if err != nil {
		return nil, err
	}
	doc.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(key, unsigned))
	return doc.bytes(true)
}

// openCheckpoint verifies the signed checkpoint with the log's key (or
// trustedKey, a vkey, when given).
func openCheckpoint(lg Log, trustedKey string, signed []byte) (clog.Checkpoint, error) {
	vkey := lg.VKey
	if trustedKey != "" {
		if trustedKey != vkey {
			return clog.Checkpoint{}, fmt.Errorf("log.vkey %q is not the trusted log key %q", vkey, trustedKey)
		}
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return clog.Checkpoint{}, fmt.Errorf("log.vkey: %w", err)
	}
	c, _, err := clog.OpenCheckpoint(signed, lg.Origin, v)
	return c, err
}

// parseLog parses raw log entries (from index 0).
func parseLog(raw [][]byte) ([]clog.Entry, []int64, error) {
	entries := make([]clog.Entry, len(raw))
	index := make([]int64, len(raw))
	for i, r := range raw {
		e, err := clog.ParseEntry(r)
		if err != nil {
			return nil, nil, fmt.Errorf("entry %d: %w", i, err)
		}
		entries[i], index[i] = e, int64(i)
	}
	return entries, index, nil
}

// onRoll returns the positions whose citizen is on the roll.
func onRoll(roll []tally.Entry, citizens []string) []int {
	on := make(map[string]bool, len(roll))
	for _, r := range roll {
		on[r.Voter] = true
	}
	var out []int
	for i, c := range citizens {
		if on[c] {
			out = append(out, i)
		}
	}
	return out
}

func hexProof(p tlog.RecordProof) []string {
	out := make([]string, len(p))
	for i, h := range p {
		out[i] = hex.EncodeToString(h[:])
	}
	return out
}
