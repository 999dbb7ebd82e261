package proof2

import (
	"bytes"
	"fmt"

	"koinon/internal/clog"
)

// replayLog runs checks 9 to 11 against the whole log (opts.Log):
// 9 log_root, the log's first size entries give the checkpoint's root;
// 10 log_entries, every entry of the proof is the log's entry at its index;
// 11 log_complete, the log replays (statements.md) and holds no entry of a
// citizen on the roll that the proof left out — a later delegation or vote
// dropped so that an older one applies is named here.
func (v *verifier) replayLog(r *Report) bool {
	c := v.checkpoint
	var raw [][]byte
	err := func() error {
		if int64(len(v.opts.Log)) < c.Size {
			return fmt.Errorf("the log has %d entries, the checkpoint %d", len(v.opts.Log), c.Size)
		}
		raw = v.opts.Log[:c.Size]
		l := clog.Open(&clog.MemStorage{}, 0)
		if _, err := l.Append(raw); err != nil {
			return err
		}
		root, err := l.Root(c.Size)
		if err == nil && root != c.Root {
			err = fmt.Errorf("the log's first %d entries give root %s, the checkpoint says %s", c.Size, root, c.Root)
		}
		return err
	}()
	if !r.add("log_root", err) {
		return false
	}
	err = nil
	for i, e := range v.doc.Entries {
		if !bytes.Equal(raw[e.Index], e.Entry) {
			err = fmt.Errorf("entries[%d]: the log's entry %d differs", i, e.Index)
			break
		}
	}
	if !r.add("log_entries", err) {
		return false
	}
	return r.add("log_complete", v.complete(raw))
}

// complete replays the whole log and names the first entry of a citizen on
// the roll that the proof does not carry.
func (v *verifier) complete(raw [][]byte) error {
	entries, index, err := parseLog(raw)
	if err != nil {
		return err
	}
	citizens, _, err := replay(v.stated.Ballot.Community, index, entries)
	if err != nil {
		return err
	}
	in := make(map[int64]bool, len(v.index))
	for _, i := range v.index {
		in[i] = true
	}
	for _, i := range onRoll(v.stated.Electorate, citizens) {
		if !in[int64(i)] {
			return fmt.Errorf("entry %d (%s) of %s is in the log but not in the proof", i, describe(entries[i]), citizens[i])
		}
	}
	return nil
}

// describe names an entry's kind for messages: "delegate, scope topic:parks".
func describe(e clog.Entry) string {
	if e.Envelope == nil {
		return e.Type + " on ballot " + e.Ballot
	}
	s := e.Envelope.Parsed()
	return fmt.Sprintf("%s %s, scope %s", e.Type, s.Kind, s.Scope)
}
