package statement

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
)

// Key is a registered key as State knows it.
type Key struct {
	ID        string
	Citizen   string
	Public    ed25519.PublicKey
	Custodial bool
	Revoked   bool
}

// State is what a verifier knows after reading a community's statements in
// log order: the keys registered and revoked, each citizen's latest
// statement (the head of their chain), and every statement seen. The server
// runs it before appending; an auditor runs it replaying the log. It is not
// safe for concurrent use: a community's log has one writer.
type State struct {
	community string
	isBoard   func(citizen string) bool
	keys      map[string]*Key
	heads     map[string]head // by citizen
	seen      map[Hash]string // statement hash → citizen
}

type head struct {
	hash   Hash
	at     string
	hidden bool // the latest statement is a vote behind a commitment
}

// NewState starts an empty state for community. isBoard says whether a
// citizen may make board statements at this point of the log; nil refuses
// every board statement.
func NewState(community string, isBoard func(citizen string) bool) *State {
	if isBoard == nil {
		isBoard = func(string) bool { return false }
	}
	return &State{community: community, isBoard: isBoard,
		keys: map[string]*Key{}, heads: map[string]head{}, seen: map[Hash]string{}}
}

// Key returns a registered key by id.
func (st *State) Key(id string) (*Key, bool) {
	k, ok := st.keys[id]
	return k, ok
}

// Head returns the hash of citizen's latest statement, "" for none: the
// prev their next statement must name.
func (st *State) Head(citizen string) string {
	if h, ok := st.heads[citizen]; ok {
		return h.hash.String()
	}
	return ""
}

// Check verifies e against the state without changing it, in this order:
// community, key (known, not revoked, custodial flag, signature), board
// authority, replay, chain. It returns the citizen the statement is by.
func (st *State) Check(e *Envelope) (string, error) {
	s := &e.st
	if s.Community != st.community {
		return "", fmt.Errorf("%w: %q in the log of %q", ErrOtherCommunity, s.Community, st.community)
	}
	citizen, err := st.checkKey(e)
	if err != nil {
		return "", err
	}
	if s.Kind.Board() && !st.isBoard(citizen) {
		return "", fmt.Errorf("%w: %s by %s", ErrNotBoard, s.Kind, citizen)
	}
	h := e.Hash()
	if _, ok := st.seen[h]; ok {
		return "", fmt.Errorf("%w: %s", ErrReplay, h)
	}
	cur := st.heads[citizen]
	switch {
	case s.Prev == st.Head(citizen) && !cur.hidden:
	case s.Prev != "" && st.seen[mustHash(s.Prev)] == citizen:
		return "", fmt.Errorf("%w: prev %s, latest is %s", ErrStalePrev, s.Prev, st.Head(citizen))
	case cur.hidden && s.Prev != "":
		// prev names the hidden vote; the opening at close will show it.
	default:
		return "", fmt.Errorf("%w: prev %q, want %q", ErrBrokenChain, s.Prev, st.Head(citizen))
	}
	if s.At < cur.at { // same layout, so string order is time order
		return "", fmt.Errorf("%w: %s before %s", ErrTimeOrder, s.At, cur.at)
	}
	return citizen, nil
}

// checkKey finds and checks the signing key. A key_register brings its own
// key (and needs the replaced key's signature when it names one).
func (st *State) checkKey(e *Envelope) (string, error) {
	s := &e.st
	if s.Kind == KeyRegister {
		return st.checkRegister(e)
	}
	k, ok := st.keys[s.Key]
	if !ok {
		return "", fmt.Errorf("%w: %s", ErrUnknownKey, s.Key)
	}
	if k.Revoked {
		return "", fmt.Errorf("%w: %s", ErrRevokedKey, s.Key)
	}
	if e.Custodial != k.Custodial {
		return "", fmt.Errorf("%w: key %s registered custodial=%t", ErrCustodialMismatch, k.ID, k.Custodial)
	}
	if err := e.Verify(k.Public); err != nil {
		return "", err
	}
	if s.Kind == KeyRevoke {
		var c RevokeContent
		_ = json.Unmarshal(s.Content, &c) // shape checked by Parse/Sign
		if r, ok := st.keys[c.Revoked]; !ok {
			return "", fmt.Errorf("%w: revoking %s", ErrUnknownKey, c.Revoked)
		} else if r.Citizen != k.Citizen {
			return "", fmt.Errorf("%w: %s revoking %s of %s", ErrNotOwner, k.Citizen, r.ID, r.Citizen)
		}
	}
	return k.Citizen, nil
}

func (st *State) checkRegister(e *Envelope) (string, error) {
	var c KeyContent
	_ = json.Unmarshal(e.st.Content, &c)
	pub, _ := decodePublicKey(c.PublicKey)
	if err := e.Verify(pub); err != nil {
		return "", err
	}
	if _, ok := st.keys[e.st.Key]; ok {
		return "", fmt.Errorf("%w: %s", ErrKeyInUse, e.st.Key)
	}
	if e.Custodial != c.Custodial {
		return "", fmt.Errorf("%w: envelope custodial=%t, registration says %t", ErrCustodialMismatch, e.Custodial, c.Custodial)
	}
	if c.OldKey == "" {
		if e.OldSignature != "" {
			return "", fmt.Errorf("%w: old_signature without old_key", ErrOldKeySignature)
		}
		return c.Citizen, nil
	}
	old, ok := st.keys[c.OldKey]
	switch {
	case !ok:
		return "", fmt.Errorf("%w: old_key %s", ErrUnknownKey, c.OldKey)
	case old.Revoked:
		return "", fmt.Errorf("%w: old_key %s", ErrRevokedKey, c.OldKey)
	case old.Citizen != c.Citizen:
		return "", fmt.Errorf("%w: old_key %s is %s's", ErrNotOwner, old.ID, old.Citizen)
	case !verifySig(old.Public, e.Statement, e.OldSignature):
		return "", fmt.Errorf("%w: old_key %s", ErrOldKeySignature, c.OldKey)
	}
	return c.Citizen, nil
}

// Accept checks e and, when it passes, applies it: registers or revokes a
// key (a registration with old_key revokes the old key: rotation) and moves
// the citizen's chain head to e.
func (st *State) Accept(e *Envelope) (string, error) {
	citizen, err := st.Check(e)
	if err != nil {
		return "", err
	}
	s := &e.st
	switch s.Kind {
	case KeyRegister:
		var c KeyContent
		_ = json.Unmarshal(s.Content, &c)
		pub, _ := decodePublicKey(c.PublicKey)
		st.keys[s.Key] = &Key{ID: s.Key, Citizen: c.Citizen, Public: pub, Custodial: c.Custodial}
		if c.OldKey != "" {
			st.keys[c.OldKey].Revoked = true
		}
	case KeyRevoke:
		var c RevokeContent
		_ = json.Unmarshal(s.Content, &c)
		st.keys[c.Revoked].Revoked = true
	}
	h := e.Hash()
	st.seen[h] = citizen
	st.heads[citizen] = head{hash: h, at: s.At}
	return citizen, nil
}

// Hide records a vote that the log holds only as a commitment, signed by
// key: the citizen's next statement links to a hash the verifier cannot
// know until the opening, so its prev is taken on trust (anything but ""
// or an earlier statement). Only a replay of a live log needs this; after
// close, a replay puts each opened vote where its commitment stands.
func (st *State) Hide(key string) (string, error) {
	k, ok := st.keys[key]
	switch {
	case !ok:
		return "", fmt.Errorf("%w: %s", ErrUnknownKey, key)
	case k.Revoked:
		return "", fmt.Errorf("%w: %s", ErrRevokedKey, key)
	}
	h := st.heads[k.Citizen]
	h.hidden = true
	st.heads[k.Citizen] = h
	return k.Citizen, nil
}

// mustHash decodes a hex hash already checked by Parse.
func mustHash(s string) Hash {
	var h Hash
	_, _ = hex.Decode(h[:], []byte(s))
	return h
}

// CheckChain checks that envs, one citizen's statements in order, form an
// unbroken chain from the first ("" prev) on, with no statement twice. It
// checks links only, not signatures.
func CheckChain(envs []*Envelope) error {
	prev := ""
	seen := map[Hash]bool{}
	for i, e := range envs {
		h := e.Hash()
		if seen[h] {
			return fmt.Errorf("%w: statement %d (%s)", ErrReplay, i, h)
		}
		if e.st.Prev != prev {
			return fmt.Errorf("%w: statement %d has prev %q, want %q", ErrBrokenChain, i, e.st.Prev, prev)
		}
		seen[h] = true
		prev = h.String()
	}
	return nil
}

// Clone returns a copy of the state that changes independently of st,
// deciding board authority with isBoard (nil: st's). A server keeps a
// replayed state and clones it for each new statement instead of
// replaying the log again.
func (st *State) Clone(isBoard func(citizen string) bool) *State {
	if isBoard == nil {
		isBoard = st.isBoard
	}
	c := &State{community: st.community, isBoard: isBoard,
		keys: make(map[string]*Key, len(st.keys)), heads: make(map[string]head, len(st.heads)), seen: make(map[Hash]string, len(st.seen))}
	for id, k := range st.keys {
		kc := *k
		c.keys[id] = &kc
	}
	maps.Copy(c.heads, st.heads)
	maps.Copy(c.seen, st.seen)
	return c
}
