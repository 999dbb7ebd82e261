package proof2

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	"koinon/internal/clog"
	"koinon/internal/statement"
)

// replayLog runs checks 9 to 12 against the whole log (opts.Log):
// 9 log_root, the log's first size entries give the checkpoint's root;
// 10 log_entries, every entry of the proof is the log's entry at its index;
// 11 log_complete, the log replays (statements.md) and holds no entry of a
// citizen on the roll that the proof left out — a later delegation or vote
// dropped so that an older one applies is named here;
// 12 log_keys, no statement the proof counts is signed with a key
// registered for a citizen who already had a device key, without that
// key's signature (keyAdded).
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
	entries, citizens, err := v.complete(raw)
	if !r.add("log_complete", err) {
		return false
	}
	return r.add("log_keys", v.addedKeys(entries, citizens))
}

// complete replays the whole log and names the first entry of a citizen on
// the roll that the proof does not carry.
func (v *verifier) complete(raw [][]byte) ([]clog.Entry, []string, error) {
	entries, index, err := parseLog(raw)
	if err != nil {
		return nil, nil, err
	}
	citizens, _, err := replay(v.stated.Ballot.Community, index, entries)
	if err != nil {
		return nil, nil, err
	}
	in := make(map[int64]bool, len(v.index))
	for _, i := range v.index {
		in[i] = true
	}
	for _, i := range onRoll(v.stated.Electorate, citizens) {
		if !in[int64(i)] {
			return nil, nil, fmt.Errorf("entry %d (%s) of %s is in the log but not in the proof", i, describe(entries[i]), citizens[i])
		}
	}
	return entries, citizens, nil
}

// addedKey is a key registered for a citizen who already had a device
// key, without that key's signature (no old_key): the citizen's own device
// did not take part, so only the citizen can say whether it was theirs
// (a lost device) or the operator's (P5).
type addedKey struct {
	at       int    // the registration's log index
	existing string // the device key the citizen had
	since    int    // where that key was registered
}

// keyAdded walks the whole log (replayed) and returns every added key.
func keyAdded(entries []clog.Entry, citizens []string) map[string]addedKey {
	type devKey struct {
		id string
		at int
	}
	devices := map[string][]devKey{} // citizen → active device keys, oldest first
	drop := func(c, id string) {
		devices[c] = slices.DeleteFunc(devices[c], func(k devKey) bool { return k.id == id })
	}
	added := map[string]addedKey{}
	for i, e := range entries {
		if e.Type != clog.TypeStatement {
			continue
		}
		s := e.Envelope.Parsed()
		c := citizens[i]
		switch s.Kind {
		case statement.KeyRegister:
			var kc statement.KeyContent
			_ = json.Unmarshal(s.Content, &kc) // checked by the replay
			if d := devices[c]; len(d) > 0 && kc.OldKey == "" {
				added[s.Key] = addedKey{at: i, existing: d[0].id, since: d[0].at}
			}
			if kc.OldKey != "" {
				drop(c, kc.OldKey)
			}
			if !kc.Custodial {
				devices[c] = append(devices[c], devKey{s.Key, i})
			}
		case statement.KeyRevoke:
			var rc statement.RevokeContent
			_ = json.Unmarshal(s.Content, &rc)
			drop(c, rc.Revoked)
		}
	}
	return added
}

// addedKeys: check 12. A vote or delegation the proof counts (before
// close_size), signed with an added key, is named.
func (v *verifier) addedKeys(entries []clog.Entry, citizens []string) error {
	added := keyAdded(entries, citizens)
	if len(added) == 0 {
		return nil
	}
	for i, e := range v.entries {
		if v.index[i] >= v.doc.CloseSize {
			break
		}
		key := e.Key
		if e.Envelope != nil {
			if s := e.Envelope.Parsed(); s.Kind != statement.KeyRegister && s.Kind != statement.KeyRevoke {
				key = s.Key
			}
		}
		if a, ok := added[key]; ok {
			c := citizens[v.index[i]]
			return fmt.Errorf("entry %d (%s) of %s is signed with key %s, registered at entry %d without the signature of %s's device key %s (entry %d): "+
				"a key registered without the citizen's existing key", v.index[i], describe(e), c, key, a.at, c, a.existing, a.since)
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
