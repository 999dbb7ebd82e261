package proof

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"

	"koinon/internal/tally"
)

// Tally recomputes votes_root, tiebreak (tally.md §5) and result of a
// document read with ParseDocument, and returns the unsigned document as
// canonical JSON: ballot, electorate, format, result, tiebreak, votes and
// votes_root. Any earlier seal is dropped.
func Tally(doc *Document) ([]byte, error) { return TallyWithOrder(doc, nil) }

// TallyWithOrder is Tally with a given tie-break order instead of the hash
// order, as `koinon tally --blt --tiebreak file` uses. A nil order means the
// hash order. Such a document fails check 4 of Verify by design.
func TallyWithOrder(doc *Document, order []string) ([]byte, error) {
	doc.IssuedAt, doc.Signer, doc.Signature = "", nil, ""
	doc.setRoot(order)
	// Everything around the result is known now: write it while counting.
	var head, tail []byte
	var wg sync.WaitGroup
	wg.Go(func() {
		head = doc.appendHead(make([]byte, 0, doc.sizeHint()), nil)
		tail = doc.appendTail(nil, false, nil)
	})
	res, err := doc.count()
	wg.Wait()
	if err != nil {
		return nil, err
	}
	doc.Result = res
	return append(append(head, res...), tail...), nil
}

// sizeHint estimates the canonical document's length, to allocate once.
func (doc *Document) sizeHint() int {
	n := 4096
	for i := range doc.Votes {
		n += 60 + 2*len(doc.Votes[i].Voter) + len(doc.Votes[i].Choice)
	}
	for i := range doc.Electorate {
		e := &doc.Electorate[i]
		n += 80 + 2*len(e.Voter)
		for _, d := range e.Delegates {
			n += 3 + len(d)
		}
	}
	return n
}

// setRoot recomputes votes_root and sets the tiebreak: the given order, or
// when nil the hash order of tally.md §5.
func (doc *Document) setRoot(order []string) {
	doc.VotesRoot = doc.buildTree().Root().String()
	if order == nil {
		order = tally.Tiebreak(doc.VotesRoot, doc.optionKeys())
	}
	doc.Tiebreak = order
}

func (doc *Document) optionKeys() []string {
	keys := make([]string, len(doc.Ballot.Options))
	for i, o := range doc.Ballot.Options {
		keys[i] = o.Key
	}
	return keys
}

// count runs the tally engine on the document's inputs and tiebreak and
// returns the canonical JSON of the result.
func (doc *Document) count() (json.RawMessage, error) {
	in, err := doc.Input()
	if err != nil {
		return nil, err
	}
	r, err := tally.Count(in)
	if err != nil {
		var fe *tally.FieldError
		if errors.As(err, &fe) {
			return nil, &FieldError{Field: fe.Field, Message: fe.Message}
		}
		return nil, fmt.Errorf("count: %w", err)
	}
	return marshalResult(r)
}

// marshalResult returns the canonical JSON of a result. The two lists with a
// row per voter, resolution and carriers, are written here directly, into
// one buffer sized for them; the rest goes through Marshal. A test holds
// this to Marshal(r) byte for byte.
func marshalResult(r tally.Result) ([]byte, error) {
	if len(r.Resolution)+len(r.Carriers) < 1024 {
		return Marshal(r)
	}
	small := r
	small.Resolution, small.Carriers = nil, nil
	rest, err := Marshal(small)
	if err != nil {
		return nil, err
	}
	const carriersKey, resolutionKey = `"carriers":[]`, `"resolution":[]`
	ci := bytes.Index(rest, []byte(carriersKey))
	ri := bytes.Index(rest, []byte(resolutionKey))
	if ci < 0 || ri < ci {
		return Marshal(r) // not the expected shape: let encoding/json decide
	}
	out := make([]byte, 0, len(rest)+carriersSize(r.Carriers)+resolutionSize(r.Resolution))
	out = append(out, rest[:ci+len(carriersKey)-1]...)
	for i, c := range r.Carriers {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, `{"voter":`...)
		out = appendString(out, c.Voter)
		out = append(out, `,"weight":`...)
		out = strconv.AppendInt(out, c.Weight, 10)
		out = append(out, '}')
	}
	out = append(out, rest[ci+len(carriersKey)-1:ri+len(resolutionKey)-1]...)
	out = appendResolution(out, r.Resolution)
	return append(out, rest[ri+len(resolutionKey)-1:]...), nil
}

// carriersSize bounds the JSON length of carrier rows whose strings need
// no escapes (a string that does makes the buffer grow).
func carriersSize(rows []tally.Carrier) int {
	n := 0
	for i := range rows {
		n += len(`,{"voter":"","weight":}`) + len(rows[i].Voter) + maxDigits
	}
	return n
}

// resolutionSize is carriersSize for resolution rows.
func resolutionSize(rows []tally.ResolutionRow) int {
	n := 0
	for i := range rows {
		row := &rows[i]
		n += len(`,{"hops":,"state":"","to":"","via":"","voter":""}`) + maxDigits +
			len(row.State.String()) + len(row.To) + len(row.Via) + len(row.Voter)
	}
	return n
}

// maxDigits is the longest decimal int64.
const maxDigits = 20

// appendResolution writes resolution rows as encoding/json would, canonically:
// via, to and hops only when set.
func appendResolution(out []byte, rows []tally.ResolutionRow) []byte {
	for i := range rows {
		row := &rows[i]
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, '{')
		if row.Hops != 0 {
			out = append(out, `"hops":`...)
			out = strconv.AppendInt(out, int64(row.Hops), 10)
			out = append(out, ',')
		}
		out = append(out, `"state":`...)
		out = appendString(out, row.State.String())
		if row.To != "" {
			out = append(out, `,"to":`...)
			out = appendString(out, row.To)
		}
		if row.Via != "" {
			out = append(out, `,"via":`...)
			out = appendString(out, row.Via)
		}
		out = append(out, `,"voter":`...)
		out = appendString(out, row.Voter)
		out = append(out, '}')
	}
	return out
}

// Input returns the tally engine's view of the document: ballot parameters,
// electorate, decoded votes and the recorded tiebreak.
func (doc *Document) Input() (tally.Input, error) {
	b := doc.Ballot
	thr, err := tally.ParseRational(b.Threshold)
	if err != nil {
		return tally.Input{}, &FieldError{Field: "ballot.threshold", Message: err.Error()}
	}
	quo, err := tally.ParseRational(b.Quorum)
	if err != nil {
		return tally.Input{}, &FieldError{Field: "ballot.quorum", Message: err.Error()}
	}
	votes := make([]tally.Vote, len(doc.Votes))
	for i, v := range doc.Votes {
		votes[i] = tally.Vote{Voter: v.Voter, Choice: v.Decoded}
	}
	return tally.Input{
		Ballot:     b.tallyBallot(thr, quo),
		Electorate: doc.Electorate,
		Votes:      votes,
		Tiebreak:   doc.Tiebreak,
	}, nil
}

// Leaf returns the Merkle leaf of vote i: the JCS bytes of {voter, choice}.
func (doc *Document) Leaf(i int) []byte { return appendVote(nil, &doc.Votes[i]) }

func appendVote(dst []byte, v *Vote) []byte {
	dst = append(dst, `{"choice":`...)
	dst = append(dst, v.Choice...)
	dst = append(dst, `,"voter":`...)
	dst = appendString(dst, v.Voter)
	return append(dst, '}')
}

// buildTree hashes the vote leaves (in two goroutines for large ballots)
// and keeps the tree for receipts.
func (doc *Document) buildTree() *Tree {
	hs := make([]Hash, len(doc.Votes))
	hash := func(from, to int) {
		buf := make([]byte, 0, 256)
		for i := from; i < to; i++ {
			buf = appendVote(append(buf[:0], 0), &doc.Votes[i]) // 0x00 ‖ leaf
			hs[i] = sha256.Sum256(buf)
		}
	}
	if n := len(hs); n < 1<<14 {
		hash(0, n)
	} else {
		var wg sync.WaitGroup
		wg.Go(func() { hash(0, n/2) })
		hash(n/2, n)
		wg.Wait()
	}
	doc.tree = NewTree(hs)
	return doc.tree
}

// Count recomputes votes_root, tiebreak and result of a document read
// with ParseDocument, as Tally does, without writing the document out
// (SealTo writes it).
func Count(doc *Document) error {
	doc.IssuedAt, doc.Signer, doc.Signature = "", nil, ""
	doc.setRoot(nil)
	res, err := doc.count()
	if err != nil {
		return err
	}
	doc.Result = res
	return nil
}

// writeJSON writes the document as canonical JSON to w, a block at a
// time, so that a document of any size needs only one block of memory. The
// seal fields (issued_at, signer, signature) are written when set;
// signature only when withSignature.
func (doc *Document) writeJSON(w io.Writer, withSignature bool) error {
	sp := &spill{w: w}
	out := sp.flush(doc.appendHead(make([]byte, 0, 2*spillSize), sp), true)
	sp.writeResult(doc)
	sp.flush(doc.appendTail(out, withSignature, sp), true)
	return sp.err
}

// spill writes a document being appended to its writer in blocks; a nil
// spill keeps the whole document in the buffer.
type spill struct {
	w   io.Writer
	err error
}

// spillSize is the block a spill writes at once.
const spillSize = 256 << 10

// flush writes out once it holds a block (or when forced) and returns
// the emptied buffer to append to.
func (sp *spill) flush(out []byte, force bool) []byte {
	if sp == nil || (!force && len(out) < spillSize) {
		return out
	}
	if sp.err == nil {
		_, sp.err = sp.w.Write(out)
	}
	return out[:0]
}

// writeResult writes the document's result (the spill's buffer must
// be empty).
func (sp *spill) writeResult(doc *Document) {
	if sp.err == nil {
		_, sp.err = sp.w.Write(doc.Result)
	}
}

// appendHead writes the document up to the result's value, spilling
// blocks to sp.
func (doc *Document) appendHead(out []byte, sp *spill) []byte {
	out = append(out, `{"ballot":`...)
	out = doc.Ballot.appendJSON(out)
	out = append(out, `,"electorate":[`...)
	for i := range doc.Electorate {
		e := &doc.Electorate[i]
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, `{"delegates":`...)
		out = appendStrings(out, e.Delegates)
		out = append(out, `,"voter":`...)
		out = appendString(out, e.Voter)
		out = append(out, `,"weight":`...)
		out = strconv.AppendInt(out, e.Weight, 10)
		out = sp.flush(append(out, '}'), false)
	}
	out = append(out, `],"format":`...)
	out = appendString(out, doc.Format)
	if doc.IssuedAt != "" {
		out = append(out, `,"issued_at":`...)
		out = appendString(out, doc.IssuedAt)
	}
	return append(out, `,"result":`...)
}

// appendTail writes the document after the result's value, spilling
// blocks to sp.
func (doc *Document) appendTail(out []byte, withSignature bool, sp *spill) []byte {
	if withSignature && doc.Signature != "" {
		out = append(out, `,"signature":`...)
		out = appendString(out, doc.Signature)
	}
	if doc.Signer != nil {
		out = append(out, `,"signer":`...)
		out = doc.Signer.appendJSON(out)
	}
	out = append(out, `,"tiebreak":`...)
	out = appendStrings(out, doc.Tiebreak)
	out = append(out, `,"votes":[`...)
	for i := range doc.Votes {
		if i > 0 {
			out = append(out, ',')
		}
		out = sp.flush(appendVote(out, &doc.Votes[i]), false)
	}
	out = append(out, `],"votes_root":`...)
	out = appendString(out, doc.VotesRoot)
	return append(out, '}')
}

func (s *Signer) appendJSON(out []byte) []byte {
	out = append(out, `{"key_id":`...)
	out = appendString(out, s.KeyID)
	out = append(out, `,"public_key":`...)
	out = appendString(out, s.PublicKey)
	return append(out, '}')
}

// appendJSON writes the ballot's members in JCS key order.
func (b *Ballot) appendJSON(out []byte) []byte {
	budget, mes := b.Method == "budget", b.Method == "budget" && b.BudgetRule == "mes"
	out = append(out, '{')
	if budget {
		out = append(out, `"budget":`...)
		out = strconv.AppendInt(out, b.Budget, 10)
		out = append(out, `,"budget_rule":`...)
		out = appendString(out, b.BudgetRule)
		out = append(out, ',')
	}
	out = append(out, `"closes_at":`...)
	out = appendString(out, b.ClosesAt)
	out = append(out, `,"community":`...)
	out = appendString(out, b.Community)
	if mes && b.CompareWithGreedy {
		out = append(out, `,"compare_with_greedy":true`...)
	}
	if mes {
		out = append(out, `,"completion":`...)
		out = appendString(out, b.Completion)
	}
	if budget {
		out = append(out, `,"currency":`...)
		out = appendString(out, b.Currency)
	}
	out = append(out, `,"delegation":`...)
	out = strconv.AppendBool(out, b.Delegation)
	if mes {
		out = append(out, `,"exhaustive_stop":`...)
		out = strconv.AppendBool(out, b.ExhaustiveStop)
	}
	out = append(out, `,"id":`...)
	out = appendString(out, b.ID)
	out = append(out, `,"method":`...)
	out = appendString(out, b.Method)
	out = append(out, `,"opens_at":`...)
	out = appendString(out, b.OpensAt)
	out = append(out, `,"options":[`...)
	for i, o := range b.Options {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, '{')
		if budget {
			out = append(out, `"cost":`...)
			out = strconv.AppendInt(out, o.Cost, 10)
			out = append(out, ',')
		}
		out = append(out, `"key":`...)
		out = appendString(out, o.Key)
		out = append(out, `,"label":`...)
		out = appendString(out, o.Label)
		out = append(out, '}')
	}
	out = append(out, `],"quorum":`...)
	out = appendString(out, b.Quorum)
	out = append(out, `,"seats":`...)
	out = strconv.AppendInt(out, int64(b.Seats), 10)
	out = append(out, `,"secrecy":`...)
	out = appendString(out, b.Secrecy)
	out = append(out, `,"strict":`...)
	out = strconv.AppendBool(out, b.Strict)
	if b.Method == "stv" {
		out = append(out, `,"stv_rule":`...)
		out = appendString(out, b.STVRule)
	}
	out = append(out, `,"threshold":`...)
	out = appendString(out, b.Threshold)
	out = append(out, `,"title":`...)
	out = appendString(out, b.Title)
	out = append(out, `,"topic":`...)
	if b.Topic == nil {
		out = append(out, "null"...)
	} else {
		out = appendString(out, *b.Topic)
	}
	return append(out, '}')
}

func appendStrings(out []byte, ss []string) []byte {
	out = append(out, '[')
	for i, s := range ss {
		if i > 0 {
			out = append(out, ',')
		}
		out = appendString(out, s)
	}
	return append(out, ']')
}
