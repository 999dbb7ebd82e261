package statement

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"koinon/internal/proof"
)

// Format is the format string every statement carries.
const Format = "koinon-statement/1"

// TimeLayout is the form of the at field: RFC 3339, UTC, whole seconds.
const TimeLayout = "2006-01-02T15:04:05Z"

// Kind names what a statement does.
type Kind string

// The statement kinds. The first five are a citizen's; the last four are a
// board member's.
const (
	KeyRegister  Kind = "key_register"
	KeyRevoke    Kind = "key_revoke"
	Delegate     Kind = "delegate"
	Vote         Kind = "vote"
	VoteWithdraw Kind = "vote_withdraw"
	RollChange   Kind = "roll_change"
	BallotDefine Kind = "ballot_define"
	BallotOpen   Kind = "ballot_open"
	BallotClose  Kind = "ballot_close"

	// SecretVote is a vote on a secret ballot: the encrypted ballot with
	// its validity proofs (secret-ballot.md §4), never a plaintext choice.
	SecretVote Kind = "secret_vote"
	// The trustee kinds are a secret ballot's trustee's steps
	// (secret-ballot.md §11): key generation, then decryption.
	TrusteeKey     Kind = "trustee_key"
	TrusteeDeal    Kind = "trustee_deal"
	TrusteeCheck   Kind = "trustee_check"
	TrusteeReveal  Kind = "trustee_reveal"
	TrusteeDecrypt Kind = "trustee_decrypt"
)

// TrusteeKinds maps each trustee kind to its step (secret.Steps).
var TrusteeKinds = map[Kind]string{
	TrusteeKey: "key", TrusteeDeal: "deal", TrusteeCheck: "check", TrusteeReveal: "reveal", TrusteeDecrypt: "decrypt",
}

// SecretVoteContent is the content of secret_vote: the encrypted ballot
// ({ciphertexts, bit_proofs, sum_proofs}), checked by the server and any
// verifier against the ballot's joint key and the voter.
type SecretVoteContent struct {
	Ballot json.RawMessage `json:"ballot"`
}

// Board reports whether only a board member's key may make the kind.
func (k Kind) Board() bool {
	switch k {
	case RollChange, BallotDefine, BallotOpen, BallotClose:
		return true
	}
	return false
}

// Statement is one signed statement, before signing. Its bytes are the RFC
// 8785 canonical JSON of this struct.
type Statement struct {
	Format    string          `json:"format"`
	Kind      Kind            `json:"kind"`
	Community string          `json:"community"`
	Scope     string          `json:"scope"`
	Content   json.RawMessage `json:"content"`
	Prev      string          `json:"prev"`
	At        string          `json:"at"`
	Key       string          `json:"key"`
}

// Scopes: "community", "topic:<slug>" or "ballot:<id>" (tally.md §2).
const (
	ScopeCommunity   = "community"
	scopeTopicPrefix = "topic:"
	scopeBallotPref  = "ballot:"
)

// TopicScope and BallotScope build the scope strings of tally.md §2.
func TopicScope(slug string) string { return scopeTopicPrefix + slug }

// BallotScope is the scope of one ballot, and the scope of every vote.
func BallotScope(id string) string { return scopeBallotPref + id }

// Ballot returns the ballot id of a ballot scope.
func (s *Statement) Ballot() (string, bool) {
	return strings.CutPrefix(s.Scope, scopeBallotPref)
}

// KeyContent is the content of key_register: the new key, whose owner it is,
// whether the server holds it (custodial), and the id of the key it replaces
// ("" when the citizen has none at hand), which must also sign.
type KeyContent struct {
	Citizen   string `json:"citizen"`
	PublicKey string `json:"public_key"`
	Custodial bool   `json:"custodial"`
	OldKey    string `json:"old_key"`
}

// RevokeContent is the content of key_revoke: the id of the key revoked.
type RevokeContent struct {
	Revoked string `json:"revoked"`
}

// DelegateContent is the content of delegate: the priority list for the
// scope ([] = "I vote myself here"), or remove to drop the scope's entry.
type DelegateContent struct {
	Delegates []string `json:"delegates"`
	Remove    bool     `json:"remove"`
}

// VoteContent is the content of vote: the choice as the ballot's method
// takes it (canonical JSON).
type VoteContent struct {
	Choice json.RawMessage `json:"choice"`
}

// Bytes returns the statement's canonical bytes after checking its shape.
func (s *Statement) Bytes() ([]byte, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	b, err := proof.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return b, nil
}

// check validates every field and the kind's content.
func (s *Statement) check() error {
	if s.Format != Format {
		return fmt.Errorf("%w: format %q, want %q", ErrFormat, s.Format, Format)
	}
	if s.Community == "" {
		return fmt.Errorf("%w: community is empty", ErrMalformed)
	}
	if t, err := time.Parse(TimeLayout, s.At); err != nil || t.Format(TimeLayout) != s.At {
		return fmt.Errorf("%w: at %q is not RFC 3339 UTC in whole seconds", ErrMalformed, s.At)
	}
	if !isHex(s.Key, 16) {
		return fmt.Errorf("%w: key %q is not a key id (16 hex digits)", ErrMalformed, s.Key)
	}
	if s.Prev != "" && !isHex(s.Prev, 64) {
		return fmt.Errorf("%w: prev %q is not a SHA-256 hex hash", ErrMalformed, s.Prev)
	}
	if err := s.checkScope(); err != nil {
		return err
	}
	return s.checkContent()
}

func (s *Statement) checkScope() error {
	ballot, isBallot := s.Ballot()
	topic, isTopic := strings.CutPrefix(s.Scope, scopeTopicPrefix)
	ok := false
	switch s.Kind {
	case KeyRegister, KeyRevoke, RollChange, BallotDefine:
		ok = s.Scope == ScopeCommunity
	case Delegate:
		ok = s.Scope == ScopeCommunity || isTopic && topic != "" || isBallot && ballot != ""
	case Vote, VoteWithdraw, BallotOpen, BallotClose, SecretVote, TrusteeKey, TrusteeDeal, TrusteeCheck, TrusteeReveal, TrusteeDecrypt:
		ok = isBallot && ballot != ""
	default:
		return fmt.Errorf("%w: %q", ErrKind, s.Kind)
	}
	if !ok {
		return fmt.Errorf("%w: %s statement with scope %q", ErrScope, s.Kind, s.Scope)
	}
	return nil
}

// checkContent decodes the content strictly into the kind's shape; board
// kinds take any JSON object, which the integrating layer interprets.
func (s *Statement) checkContent() error {
	var err error
	switch s.Kind {
	case KeyRegister:
		var c KeyContent
		if err = strictContent(s.Content, &c); err == nil {
			err = c.check()
		}
	case KeyRevoke:
		var c RevokeContent
		if err = strictContent(s.Content, &c); err == nil && !isHex(c.Revoked, 16) {
			err = fmt.Errorf("revoked %q is not a key id", c.Revoked)
		}
	case Delegate:
		var c DelegateContent
		if err = strictContent(s.Content, &c); err == nil {
			switch {
			case c.Delegates == nil:
				err = fmt.Errorf("delegates must be a list")
			case c.Remove && len(c.Delegates) > 0:
				err = fmt.Errorf("remove with a non-empty delegates list")
			}
		}
	case Vote:
		var c VoteContent
		if err = strictContent(s.Content, &c); err == nil && len(c.Choice) == 0 {
			err = fmt.Errorf("choice is missing")
		}
	case VoteWithdraw:
		err = strictContent(s.Content, &struct{}{})
	case SecretVote:
		var c SecretVoteContent
		if err = strictContent(s.Content, &c); err == nil && (len(c.Ballot) == 0 || c.Ballot[0] != '{') {
			err = fmt.Errorf("ballot must be an object")
		}
	default: // board kinds
		var m map[string]json.RawMessage
		err = json.Unmarshal(s.Content, &m)
		if err == nil && m == nil {
			err = fmt.Errorf("must be an object")
		}
	}
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrContent, s.Kind, err)
	}
	return nil
}

func (c *KeyContent) check() error {
	if c.Citizen == "" {
		return fmt.Errorf("citizen is empty")
	}
	if _, err := decodePublicKey(c.PublicKey); err != nil {
		return err
	}
	if c.OldKey != "" && !isHex(c.OldKey, 16) {
		return fmt.Errorf("old_key %q is not a key id", c.OldKey)
	}
	return nil
}

// strictContent decodes raw into v, refusing unknown and missing fields:
// re-encoding v must give raw's canonical bytes exactly.
func strictContent(raw json.RawMessage, v any) error {
	canon, err := proof.Canonicalize(raw)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(canon))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	again, err := proof.Marshal(v)
	if err != nil {
		return err
	}
	if !bytes.Equal(again, canon) {
		return fmt.Errorf("fields missing, misspelt or not in their canonical form")
	}
	return nil
}

// Content encodes a kind's content value for a Statement.
func Content(v any) (json.RawMessage, error) {
	return proof.Marshal(v)
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
