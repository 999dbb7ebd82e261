package statement

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"koinon/internal/proof"
)

// SignaturePrefix is prepended to a statement's canonical bytes to form the
// message its Ed25519 signatures cover, so that a statement signature can
// never be taken for a signature over anything else.
const SignaturePrefix = "koinon/v1/statement\n"

// Envelope is a signed statement as it travels and as the log stores it.
// Its bytes are the canonical JSON of this struct; Hash is over those bytes.
type Envelope struct {
	Statement json.RawMessage `json:"statement"`
	// Signature is by the key Statement.Key names (base64).
	Signature string `json:"signature"`
	// OldSignature is by the key a key_register replaces; "" otherwise.
	OldSignature string `json:"old_signature"`
	// Custodial says the server, not the citizen's device, signed.
	Custodial bool `json:"custodial"`

	st  Statement // parsed Statement
	raw []byte    // canonical envelope bytes
	// verified is a key Signature was found to verify with (Preverify),
	// or was made with (Sign): Verify then skips the curve arithmetic for
	// that key only.
	verified ed25519.PublicKey
}

// Hash is a SHA-256 digest, as hex in documents.
type Hash [sha256.Size]byte

func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// Message returns the bytes a statement signature covers.
func Message(statement []byte) []byte {
	return append([]byte(SignaturePrefix), statement...)
}

// Sign signs s with key and returns the envelope. oldKey, when not nil, is
// the key a key_register replaces and signs the same message too. key is
// a well-formed key (ed25519.NewKeyFromSeed or GenerateKey: its public
// half is its seed's), so the signature verifies with key's public half,
// and the envelope remembers that: Verify against that key, in this
// process, does not do the curve arithmetic of a signature it made.
func Sign(s Statement, key, oldKey ed25519.PrivateKey, custodial bool) (*Envelope, error) {
	if got := proof.KeyID(key.Public().(ed25519.PublicKey)); s.Key != got {
		return nil, fmt.Errorf("%w: statement names key %s, signing key is %s", ErrKeyMismatch, s.Key, got)
	}
	b, err := s.Bytes()
	if err != nil {
		return nil, err
	}
	if (oldKey != nil) != s.hasOldKey() {
		return nil, fmt.Errorf("%w: an old key signs exactly the key_register statements that name old_key", ErrOldKeySignature)
	}
	e := &Envelope{Statement: b, Custodial: custodial}
	e.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(key, Message(b)))
	if oldKey != nil {
		e.OldSignature = base64.StdEncoding.EncodeToString(ed25519.Sign(oldKey, Message(b)))
	}
	if e.raw, err = proof.Marshal((*envelopeFields)(e)); err != nil {
		return nil, err
	}
	e.st, e.verified = s, key.Public().(ed25519.PublicKey)
	return e, nil
}

// Parse reads an envelope strictly: canonical JSON with exactly the
// envelope's fields, holding a well-formed statement. Signatures are not
// checked here (see Verify).
func Parse(data []byte) (*Envelope, error) {
	var e Envelope
	if err := strictContent(data, (*envelopeFields)(&e)); err != nil {
		return nil, fmt.Errorf("%w: envelope: %v", ErrMalformed, err)
	}
	if err := strictContent(e.Statement, &e.st); err != nil {
		return nil, fmt.Errorf("%w: statement: %v", ErrMalformed, err)
	}
	if err := e.st.check(); err != nil {
		return nil, err
	}
	if e.OldSignature != "" && !e.st.hasOldKey() {
		// Otherwise anyone could make a second valid envelope, with
		// another hash, from a citizen's statement.
		return nil, fmt.Errorf("%w: old_signature on a statement that replaces no key", ErrMalformed)
	}
	e.Statement, _ = proof.Canonicalize(e.Statement)
	e.raw, _ = proof.Canonicalize(data)
	return &e, nil
}

// Bytes returns the envelope's canonical bytes.
func (e *Envelope) Bytes() []byte { return e.raw }

// Hash is SHA-256 of the envelope's canonical bytes: what the next
// statement's prev names.
func (e *Envelope) Hash() Hash { return sha256.Sum256(e.raw) }

// Parsed returns the statement inside the envelope.
func (e *Envelope) Parsed() *Statement { return &e.st }

// Verify checks that pub is the key the statement names and that the
// signature verifies. It does not consult any registry (see State).
func (e *Envelope) Verify(pub ed25519.PublicKey) error {
	if got := proof.KeyID(pub); got != e.st.Key {
		return fmt.Errorf("%w: statement names key %s, given key is %s", ErrKeyMismatch, e.st.Key, got)
	}
	if e.verified != nil && e.verified.Equal(pub) {
		return nil
	}
	if !verifySig(pub, e.Statement, e.Signature) {
		return fmt.Errorf("%w: key %s", ErrBadSignature, e.st.Key)
	}
	return nil
}

// Preverify checks the signatures of envs in parallel, on every CPU, each
// against the key a replay will check it with: a key_register's own
// public key, or for any other statement the key the envelopes register
// under the id it names. Each signature that verifies is remembered, so
// that the replay's State.Check, which still does every other check in
// order, does not verify it again; one that does not is left for the
// replay to refuse in its place. It changes no outcome, only the time.
func Preverify(envs []*Envelope) {
	keys := map[string]ed25519.PublicKey{}
	for _, e := range envs {
		if e != nil && e.st.Kind == KeyRegister {
			var c KeyContent
			if json.Unmarshal(e.st.Content, &c) == nil {
				if pub, err := decodePublicKey(c.PublicKey); err == nil {
					keys[e.st.Key] = pub
				}
			}
		}
	}
	workers := runtime.GOMAXPROCS(0)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(len(envs)) {
					return
				}
				e := envs[i]
				if e == nil {
					continue
				}
				if pub := keys[e.st.Key]; pub != nil && verifySig(pub, e.Statement, e.Signature) {
					e.verified = pub
				}
			}
		})
	}
	wg.Wait()
}

// hasOldKey reports whether s is a key_register naming the key it replaces.
func (s *Statement) hasOldKey() bool {
	if s.Kind != KeyRegister {
		return false
	}
	var c KeyContent
	return json.Unmarshal(s.Content, &c) == nil && c.OldKey != ""
}

func verifySig(pub ed25519.PublicKey, statement []byte, sig64 string) bool {
	sig, err := base64.StdEncoding.DecodeString(sig64)
	return err == nil && len(sig) == ed25519.SignatureSize &&
		base64.StdEncoding.EncodeToString(sig) == sig64 &&
		ed25519.Verify(pub, Message(statement), sig)
}

func decodePublicKey(s string) (ed25519.PublicKey, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != ed25519.PublicKeySize || base64.StdEncoding.EncodeToString(b) != s {
		return nil, fmt.Errorf("public_key %q is not a base64 Ed25519 key", s)
	}
	return ed25519.PublicKey(b), nil
}

// envelopeFields is Envelope without its methods, for encoding/json.
type envelopeFields Envelope

// MarshalJSON returns the canonical bytes.
func (e *Envelope) MarshalJSON() ([]byte, error) { return e.raw, nil }

// UnmarshalJSON parses strictly, as Parse.
func (e *Envelope) UnmarshalJSON(data []byte) error {
	p, err := Parse(data)
	if err == nil {
		*e = *p
	}
	return err
}
