package proof

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"koinon/internal/pipe"
)

// KeyID is a public key's id: the first 16 hex digits of SHA-256 of the raw
// 32-byte key.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// NewSigner describes the public half of key as a document's signer.
func NewSigner(key ed25519.PrivateKey) *Signer {
	pub := key.Public().(ed25519.PublicKey)
	return &Signer{KeyID: KeyID(pub), PublicKey: base64.StdEncoding.EncodeToString(pub)}
}

// Seal sets issued_at (whole seconds, UTC) and signer on a tallied document,
// signs the canonical bytes of the document without signature, and returns
// the sealed proof as canonical JSON.
func Seal(doc *Document, key ed25519.PrivateKey, issuedAt time.Time) ([]byte, error) {
	var buf bytes.Buffer
	if err := SealTo(&buf, doc, key, issuedAt); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// SealTo is Seal writing the sealed proof to w as it is made, so that a
// proof of any size is never whole in memory (see Sealing.SealTo).
func SealTo(w io.Writer, doc *Document, key ed25519.PrivateKey, issuedAt time.Time) error {
	if doc.Result == nil || doc.VotesRoot == "" {
		return errors.New("seal: document has no result; tally it first")
	}
	s := beginSeal(doc, key, issuedAt)
	s.hashHead()
	return s.SealTo(w)
}

// Sealing is a document being signed: the first signing pass over its
// head (everything before the result, which counting does not change)
// may run before the count ends (CountToSeal).
type Sealing struct {
	doc  *Document
	sig  *streamSigner
	head sync.WaitGroup // the first pass's head is hashed
}

// CountToSeal counts doc as Count does and begins to seal it with key at
// issuedAt: the first signing pass hashes the document's head on a second
// goroutine while the tally counts. Sealing.SealTo ends the seal.
func CountToSeal(doc *Document, key ed25519.PrivateKey, issuedAt time.Time) (*Sealing, error) {
	s := beginSeal(doc, key, issuedAt)
	s.head.Go(s.hashHead)
	doc.setRoot(nil)
	res, err := doc.count()
	if err != nil {
		s.head.Wait()
		return nil, err
	}
	doc.Result = res
	return s, nil
}

// beginSeal sets issued_at (whole seconds, UTC) and signer on doc and
// starts its signature.
func beginSeal(doc *Document, key ed25519.PrivateKey, issuedAt time.Time) *Sealing {
	doc.IssuedAt = issuedAt.UTC().Truncate(time.Second).Format(TimeLayout)
	doc.Signer = NewSigner(key)
	doc.Signature = ""
	return &Sealing{doc: doc, sig: newStreamSigner(key)}
}

// hashHead writes the head of the unsigned document to the first pass.
func (s *Sealing) hashHead() {
	sp := &spill{w: s.sig.FirstPass()} // a hash: writes never fail
	sp.flush(s.doc.appendHead(make([]byte, 0, 2*spillSize), sp), true)
}

// SealTo signs the counted document and writes the sealed proof to w. The
// document is serialised twice more, each time hashed on a second
// goroutine: the rest of the first signing pass, then the second pass,
// whose head and result, the same in the sealed proof, also go to w; once
// signed, only the sealed tail is written again.
func (s *Sealing) SealTo(w io.Writer) error {
	s.head.Wait()
	doc := s.doc
	p := pipe.New(s.sig.FirstPass(), pipeBlock)
	sp := &spill{w: p}
	sp.writeResult(doc)
	out := sp.flush(doc.appendTail(make([]byte, 0, 2*spillSize), false, sp), true)
	if err := errors.Join(sp.err, p.Close()); err != nil {
		return err
	}
	p = pipe.New(s.sig.SecondPass(), pipeBlock)
	sp = &spill{w: io.MultiWriter(p, w)}
	out = sp.flush(doc.appendHead(out, sp), true)
	sp.writeResult(doc)
	sp.w = p
	out = sp.flush(doc.appendTail(out, false, sp), true)
	if err := errors.Join(sp.err, p.Close()); err != nil {
		return err
	}
	signature, err := s.sig.Sum()
	if err != nil {
		return err
	}
	doc.Signature = base64.StdEncoding.EncodeToString(signature)
	sp = &spill{w: w}
	sp.flush(doc.appendTail(out, true, sp), true)
	return sp.err
}

// writeHashed writes the unsigned document to h, a hash, on a second
// goroutine while the document is serialised.
func (doc *Document) writeHashed(h io.Writer) error {
	p := pipe.New(h, pipeBlock)
	err := doc.writeJSON(p, false)
	if cerr := p.Close(); cerr != nil {
		err = cerr
	}
	return err
}

// pipeBlock is the block a hashing goroutine is handed at once.
const pipeBlock = spillSize

// ParseProof reads a sealed proof and checks its shape, voter order and
// votes (checks 1 and 2 of proof.md), for use by the platform, which then
// issues receipts from it. It does not recompute anything: see Verify.
func ParseProof(data []byte) (*Document, error) {
	doc, err := parse(data, true)
	if err != nil {
		return nil, err
	}
	if err := doc.checkSorted(); err != nil {
		return nil, err
	}
	if err := doc.validate(); err != nil {
		return nil, err
	}
	return doc, nil
}

// Receipt returns a signed receipt (format koinon-receipt/1) proving that
// voter's vote is leaf number i of the document's votes_root.
func Receipt(doc *Document, voter string, key ed25519.PrivateKey) ([]byte, error) {
	rs, err := NewReceipts(doc)
	if err != nil {
		return nil, err
	}
	return rs.Receipt(voter, key)
}

// Receipts issues the receipts of one proof. It keeps only the votes and
// the Merkle tree, copied out of the document, so a server can hold it for
// a large ballot instead of parsing the proof again for every voter.
type Receipts struct {
	ballot string
	root   string
	votes  []Vote // sorted by voter; Decoded unused
	tree   *Tree
}

// NewReceipts builds the tree of doc's votes and checks it against
// votes_root.
func NewReceipts(doc *Document) (*Receipts, error) {
	if doc.tree == nil {
		doc.buildTree()
	}
	if root := doc.tree.Root().String(); root != doc.VotesRoot {
		return nil, fmt.Errorf("receipt: votes_root %s does not match the votes (%s)", doc.VotesRoot, root)
	}
	votes := make([]Vote, len(doc.Votes))
	for i, v := range doc.Votes {
		votes[i] = Vote{Voter: strings.Clone(v.Voter), Choice: bytes.Clone(v.Choice)}
	}
	return &Receipts{ballot: doc.Ballot.ID, root: doc.VotesRoot, votes: votes, tree: doc.tree}, nil
}

// Receipt returns voter's signed receipt.
func (rs *Receipts) Receipt(voter string, key ed25519.PrivateKey) ([]byte, error) {
	i, ok := slices.BinarySearchFunc(rs.votes, voter, func(v Vote, t string) int { return strings.Compare(v.Voter, t) })
	if !ok {
		return nil, fmt.Errorf("receipt: %q has no vote in ballot %s", voter, rs.ballot)
	}
	path, err := rs.tree.Path(i)
	if err != nil {
		return nil, fmt.Errorf("receipt: %w", err)
	}
	r := &receipt{
		Ballot:    rs.ballot,
		Voter:     voter,
		LeafIndex: i,
		TreeSize:  len(rs.votes),
		Leaf:      appendVote(nil, &rs.votes[i]),
		AuditPath: path,
		VotesRoot: rs.root,
		Signer:    *NewSigner(key),
	}
	r.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(key, r.appendJSON(nil, false)))
	return r.appendJSON(nil, true), nil
}

// receipt is a parsed receipt; Leaf holds the canonical vote object.
type receipt struct {
	Ballot    string
	Voter     string
	LeafIndex int
	TreeSize  int
	Leaf      json.RawMessage
	leafVote  Vote
	AuditPath []Hash
	VotesRoot string
	Signer    Signer
	Signature string
}

func (r *receipt) appendJSON(out []byte, withSignature bool) []byte {
	out = append(out, `{"audit_path":[`...)
	for i, h := range r.AuditPath {
		if i > 0 {
			out = append(out, ',')
		}
		out = appendString(out, h.String())
	}
	out = append(out, `],"ballot":`...)
	out = appendString(out, r.Ballot)
	out = append(out, `,"format":`...)
	out = appendString(out, ReceiptFormat)
	out = append(out, `,"leaf":`...)
	out = append(out, r.Leaf...)
	out = append(out, `,"leaf_index":`...)
	out = strconv.AppendInt(out, int64(r.LeafIndex), 10)
	if withSignature {
		out = append(out, `,"signature":`...)
		out = appendString(out, r.Signature)
	}
	out = append(out, `,"signer":`...)
	out = r.Signer.appendJSON(out)
	out = append(out, `,"tree_size":`...)
	out = strconv.AppendInt(out, int64(r.TreeSize), 10)
	out = append(out, `,"voter":`...)
	out = appendString(out, r.Voter)
	out = append(out, `,"votes_root":`...)
	out = appendString(out, r.VotesRoot)
	return append(out, '}')
}

// CastReceipt is the receipt the platform returns when a vote is cast: the
// SHA-256 hex of the JCS bytes of {ballot, cast_at, choice, nonce, voter}.
// The nonce is secret randomness (64 hex digits) that only the voter is
// given, so the receipt is a commitment only they can open: without it,
// hashing each possible choice does not find theirs. The choice must be
// JSON the proof format allows (it was checked when cast).
func CastReceipt(ballotID, voter string, choice json.RawMessage, castAt time.Time, nonce string) (string, error) {
	c, err := Canonicalize(choice)
	if err != nil {
		return "", fmt.Errorf("cast receipt: choice: %w", err)
	}
	if len(nonce) < 32 {
		return "", errors.New("cast receipt: the nonce must have at least 128 bits")
	}
	out := append([]byte(`{"ballot":`), appendString(nil, ballotID)...)
	out = append(out, `,"cast_at":`...)
	out = appendString(out, castAt.UTC().Truncate(time.Second).Format(TimeLayout))
	out = append(out, `,"choice":`...)
	out = append(out, c...)
	out = append(out, `,"nonce":`...)
	out = appendString(out, nonce)
	out = append(out, `,"voter":`...)
	out = appendString(out, voter)
	out = append(out, '}')
	sum := sha256.Sum256(out)
	return hex.EncodeToString(sum[:]), nil
}
