package proof2

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"koinon/internal/clog"
	"koinon/internal/proof"
)

// Options are what the verifier trusts, and the log to replay. Every field
// is optional.
type Options struct {
	// PlatformKey is the raw 32-byte Ed25519 key the document must be
	// signed with.
	PlatformKey []byte
	// LogKey is the log's vkey the verifier trusts; log.vkey must be it.
	LogKey string
	// Witnesses are the vkeys of the community's witnesses; at least
	// Quorum of them must have cosigned the checkpoint.
	Witnesses []string
	Quorum    int
	// Log, when not nil, is the whole log from index 0 (at least up to the
	// checkpoint's size): checks 9 to 12 replay it.
	Log [][]byte
}

// Report is the outcome of Verify: proof.Report with the figures proof 2
// adds.
type Report struct {
	proof.Report
	// CustodialWeight is the counted weight that relied on custodial keys
	// (recomputed; set once check 7 passes), out of CountedWeight.
	CustodialWeight *int64 `json:"custodial_weight,omitempty"`
	CountedWeight   *int64 `json:"counted_weight,omitempty"`
	// Cosignatures is the number of trusted witnesses that cosigned.
	Cosignatures int `json:"cosignatures"`
}

func (r *Report) add(name string, err error) bool {
	c := proof.Check{N: len(r.Checks) + 1, Name: name, OK: err == nil}
	if err != nil {
		c.Reason = err.Error()
	}
	r.Checks = append(r.Checks, c)
	return c.OK
}

// verifier carries what the checks have established so far.
type verifier struct {
	doc        *Document
	opts       Options
	stated     *proof.Document // the count as the document states it
	checkpoint clog.Checkpoint
	entries    []clog.Entry
	index      []int64
	citizens   []string
	ev         *evidence
	recomputed *proof.Document
}

// Verify runs the checks of proof-2.md in order and stops at the first
// failure, which it names: 1 shape, 2 checkpoint, 3 inclusion,
// 4 statements, 5 delegations, 6 votes, 7 result, 8 signature, and with
// opts.Log 9 log_root, 10 log_entries, 11 log_complete, 12 log_keys.
func Verify(data []byte, opts Options) Report {
	r := Report{Report: proof.Report{Kind: "proof"}}
	doc, err := Parse(data)
	var se *proof.SyntaxError
	if errors.As(err, &se) {
		r.Error = err.Error()
		return r
	}
	v := &verifier{doc: doc, opts: opts}
	if err == nil {
		err = v.shape()
	}
	if v.stated != nil {
		r.Ballot = v.stated.Ballot.ID
	}
	steps := []struct {
		name  string
		check func() error
	}{
		{"checkpoint", func() error { return v.checkpointCheck(&r) }},
		{"inclusion", v.inclusion},
		{"statements", v.statements},
		{"delegations", v.delegations},
		{"votes", v.votes},
		{"result", func() error { return v.result(&r) }},
		{"signature", v.signature},
	}
	if !r.add("shape", err) {
		return r
	}
	for _, s := range steps {
		if !r.add(s.name, s.check()) {
			return r
		}
	}
	if opts.Log != nil && !v.replayLog(&r) {
		return r
	}
	r.OK = true
	return r
}

// shape: check 1.
func (v *verifier) shape() error {
	doc := v.doc
	stated, err := count1(doc.Ballot, doc.Electorate, doc.Votes)
	if err != nil {
		return err
	}
	v.stated = stated
	if stated.Ballot.Secrecy != "public" {
		return fmt.Errorf("ballot.secrecy: proof 2 is for public ballots, not %q", stated.Ballot.Secrecy)
	}
	if i := doc.sortedByIndex(); i >= 0 {
		return fmt.Errorf("entries[%d]: index %d after %d: entries must be in increasing index order", i, doc.Entries[i].Index, doc.Entries[i-1].Index)
	}
	v.entries = make([]clog.Entry, len(doc.Entries))
	v.index = make([]int64, len(doc.Entries))
	errs := make([]error, len(doc.Entries))
	parallel(len(doc.Entries), func(i int) {
		v.entries[i], errs[i] = clog.ParseEntry(doc.Entries[i].Entry)
		v.index[i] = doc.Entries[i].Index
	})
	for i, err := range errs {
		if err != nil {
			return fmt.Errorf("entries[%d].entry: %w", i, err)
		}
	}
	return nil
}

// parallel runs f(0) … f(n-1) on every CPU.
func parallel(n int, f func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(n); i = next.Add(1) - 1 {
				f(int(i))
			}
		})
	}
	wg.Wait()
}

// checkpointCheck: check 2.
func (v *verifier) checkpointCheck(r *Report) error {
	doc := v.doc
	c, err := openCheckpoint(doc.Log, v.opts.LogKey, []byte(doc.Checkpoint))
	if err != nil {
		return err
	}
	v.checkpoint = c
	if len(v.opts.Witnesses) > 0 || v.opts.Quorum > 0 {
		ws := make([]note.Verifier, len(v.opts.Witnesses))
		for i, w := range v.opts.Witnesses {
			if ws[i], err = clog.CosignatureVerifier(w); err != nil {
				return err
			}
		}
		if r.Cosignatures, err = clog.Cosigned([]byte(doc.Checkpoint), ws, v.opts.Quorum); err != nil {
			return err
		}
	}
	if doc.CloseSize < 0 || doc.CloseSize > c.Size {
		return fmt.Errorf("close_size %d outside the checkpoint's size %d", doc.CloseSize, c.Size)
	}
	if n := len(doc.Entries); n > 0 && (doc.Entries[0].Index < 0 || doc.Entries[n-1].Index >= c.Size) {
		return fmt.Errorf("entries index outside the checkpoint's size %d", c.Size)
	}
	return nil
}

// inclusion: check 3. The entries are checked on every CPU; the first
// failing one is named.
func (v *verifier) inclusion() error {
	errs := make([]error, len(v.doc.Entries))
	parallel(len(v.doc.Entries), func(i int) {
		e := v.doc.Entries[i]
		p := make(tlog.RecordProof, len(e.Inclusion))
		for j, h := range e.Inclusion {
			b, err := hex.DecodeString(h)
			if err != nil || len(b) != tlog.HashSize || hex.EncodeToString(b) != h {
				errs[i] = fmt.Errorf("entries[%d].inclusion[%d]: not a lowercase hex SHA-256", i, j)
				return
			}
			p[j] = tlog.Hash(b)
		}
		if err := clog.VerifyInclusion(v.checkpoint, e.Index, e.Entry, p); err != nil {
			errs[i] = fmt.Errorf("entries[%d] (index %d): %w", i, e.Index, err)
		}
	})
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// statements: check 4.
func (v *verifier) statements() error {
	b := &v.stated.Ballot
	citizens, unopened, err := replay(b.Community, v.index, v.entries)
	if err != nil {
		return err
	}
	v.citizens = citizens
	on := map[string]bool{}
	for _, e := range v.stated.Electorate {
		on[e.Voter] = true
	}
	for i, c := range citizens {
		if !on[c] {
			return fmt.Errorf("entry %d is by %q, who is not on the roll", v.index[i], c)
		}
	}
	v.ev, err = collect(b, v.doc.CloseSize, v.index, v.entries, citizens, unopened)
	if err != nil {
		return err
	}
	v.recomputed, err = v.ev.countDoc(v.doc.Ballot, v.stated.Electorate)
	return err
}

// delegations: check 5.
func (v *verifier) delegations() error {
	for i, e := range v.stated.Electorate {
		got, from := v.ev.effective(e.Voter)
		if slices.Equal(e.Delegates, got) {
			continue
		}
		why := "no delegation statement applies"
		if from.env != nil {
			why = fmt.Sprintf("%s's delegate statement at entry %d (scope %s) gives %s", e.Voter, from.index, from.env.Parsed().Scope, list(got))
		}
		return fmt.Errorf("electorate[%d] (%s): delegates %s, but %s", i, e.Voter, list(e.Delegates), why)
	}
	return nil
}

// votes: check 6.
func (v *verifier) votes() error {
	got := map[string]proof.Vote{}
	for _, w := range v.recomputed.Votes {
		got[w.Voter] = w
	}
	for i, w := range v.stated.Votes {
		g, ok := got[w.Voter]
		if !ok {
			return fmt.Errorf("votes[%d] (%s): no signed vote of %s on ballot %s in the proof", i, w.Voter, w.Voter, v.stated.Ballot.ID)
		}
		if !bytes.Equal(g.Choice, w.Choice) {
			return fmt.Errorf("votes[%d] (%s): choice %s, but the signed vote at entry %d says %s", i, w.Voter, w.Choice, v.ev.votes[w.Voter].index, g.Choice)
		}
		delete(got, w.Voter)
	}
	for _, w := range v.recomputed.Votes {
		if _, left := got[w.Voter]; left {
			return fmt.Errorf("the signed vote of %s at entry %d is missing from votes", w.Voter, v.ev.votes[w.Voter].index)
		}
	}
	return nil
}

// result: check 7.
func (v *verifier) result(r *Report) error {
	t, err := recount(v.recomputed)
	if err != nil {
		return fmt.Errorf("cannot recount: %w", err)
	}
	r.Result = t.Result
	doc := v.doc
	switch {
	case !bytes.Equal(t.Ballot, doc.Ballot):
		return proof.FirstDifference("ballot", doc.Ballot, t.Ballot)
	case !bytes.Equal(t.Electorate, doc.Electorate):
		return proof.FirstDifference("electorate", doc.Electorate, t.Electorate)
	case !bytes.Equal(t.Votes, doc.Votes):
		return proof.FirstDifference("votes", doc.Votes, t.Votes)
	case t.VotesRoot != doc.VotesRoot:
		return fmt.Errorf("votes_root: document says %s, recomputed %s", doc.VotesRoot, t.VotesRoot)
	case !slices.Equal(t.Tiebreak, doc.Tiebreak):
		return fmt.Errorf("tiebreak: document says %s, recomputed %s", list(doc.Tiebreak), list(t.Tiebreak))
	case !bytes.Equal(t.Result, doc.Result):
		return proof.FirstDifference("result", doc.Result, t.Result)
	}
	cw, err := v.ev.custodialWeight(v.stated.Electorate, t.Result)
	if err != nil {
		return err
	}
	var counted struct {
		Weights struct {
			Participating int64 `json:"participating"`
		} `json:"weights"`
	}
	_ = json.Unmarshal(t.Result, &counted)
	r.CustodialWeight, r.CountedWeight = &cw, &counted.Weights.Participating
	if cw != doc.CustodialWeight {
		return fmt.Errorf("custodial_weight: document says %d, recomputed %d", doc.CustodialWeight, cw)
	}
	return nil
}

// signature: check 8.
func (v *verifier) signature() error {
	unsigned, err := v.doc.unsigned()
	if err != nil {
		return err
	}
	return proof.CheckSignature(v.doc.Signer, v.doc.Signature, unsigned, v.opts.PlatformKey)
}

// VerifyAny verifies what `koinon verify` takes without further options:
// a proof 2 signed by trustedKey (its log key as the document names it),
// or anything proof.VerifyAny verifies.
func VerifyAny(data, trustedKey []byte) proof.Report {
	if proof.Detect(data) == Format {
		return Verify(data, Options{PlatformKey: trustedKey}).Report
	}
	return proof.VerifyAny(data, trustedKey)
}
