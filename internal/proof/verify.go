package proof

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unsafe"

	"koinon/internal/secret"
	"koinon/internal/tally"
)

// Check is the outcome of one numbered check.
type Check struct {
	N      int    `json:"n"`
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Reason string `json:"reason,omitempty"`
}

// Report is what Verify and VerifyReceipt found. Checks run in order and
// stop at the first failure, which is the last entry.
type Report struct {
	Kind   string  `json:"kind"` // "proof" or "receipt"
	OK     bool    `json:"ok"`
	Error  string  `json:"error,omitempty"` // the input cannot be read as a proof or receipt
	Checks []Check `json:"checks"`

	Ballot    string          `json:"ballot,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`    // the recomputed result (proofs)
	Inclusion *Inclusion      `json:"inclusion,omitempty"` // the recomputed path (receipts)
	Counts    json.RawMessage `json:"counts,omitempty"`    // the verified counts (secret tallies)
}

// Inclusion shows how a receipt's leaf leads to its votes_root.
type Inclusion struct {
	Voter     string          `json:"voter"`
	LeafIndex int             `json:"leaf_index"`
	TreeSize  int             `json:"tree_size"`
	Leaf      json.RawMessage `json:"leaf"`
	LeafHash  string          `json:"leaf_hash"`
	Steps     []Step          `json:"steps"`
	Root      string          `json:"root"`
	VotesRoot string          `json:"votes_root"`
}

// ExitCode is the `koinon verify` status: 0 all checks pass, 1 a check
// fails, 2 the input is not a proof or receipt at all.
func (r *Report) ExitCode() int {
	switch {
	case r.Error != "":
		return 2
	case r.OK:
		return 0
	}
	return 1
}

// add records a check; it returns whether the check passed.
func (r *Report) add(name string, err error) bool {
	c := Check{N: len(r.Checks) + 1, Name: name, OK: err == nil}
	if err != nil {
		c.Reason = err.Error()
	}
	r.Checks = append(r.Checks, c)
	return c.OK
}

// Detect returns the format string of a proof or receipt ("" if none).
// It reads data in place, without a copy: the format key comes after the
// electorate, which can be most of a large proof.
func Detect(data []byte) string {
	d := decoder{s: unsafe.String(unsafe.SliceData(data), len(data))}
	var format string
	_ = d.object(func(key string) error {
		if key == "format" && format == "" {
			if s, err := d.str(); err == nil {
				format = strings.Clone(s) // s may point into data
				return errors.New("found")
			}
		}
		return d.skip()
	})
	return format
}

// VerifyAny verifies a proof, a receipt (with no proof beside it) or a
// secret-tally document.
func VerifyAny(data, trustedKey []byte) Report {
	switch Detect(data) {
	case ReceiptFormat:
		return VerifyReceipt(data, nil, trustedKey)
	case secret.Format:
		return VerifySecret(data) // unsigned: no key to check
	}
	return Verify(data, trustedKey)
}

// Verify runs the six checks of proof.md on a sealed proof, in order,
// stopping at the first failure. trustedKey, when not nil, is the raw
// 32-byte Ed25519 key the proof must be signed with.
func Verify(data, trustedKey []byte) Report {
	r := Report{Kind: "proof"}
	doc, err := parseInPlace(data) // the report copies what it keeps
	var se *SyntaxError
	if errors.As(err, &se) {
		r.Error = err.Error()
		return r
	}
	if err == nil {
		err = doc.checkSorted()
	}
	if !r.add("shape", err) {
		return r
	}
	r.Ballot = strings.Clone(doc.Ballot.ID)
	if !r.add("votes", doc.validate()) {
		return r
	}
	root := doc.buildTree().Root().String()
	if !r.add("votes_root", mismatch(doc.VotesRoot, root)) {
		return r
	}
	want := doc.Tiebreak
	doc.Tiebreak = tally.Tiebreak(root, doc.optionKeys())
	err = nil
	if !slices.Equal(want, doc.Tiebreak) {
		err = fmt.Errorf("document says %s, recomputed from votes_root %s", list(want), list(doc.Tiebreak))
	}
	if !r.add("tiebreak", err) {
		return r
	}
	res, err := doc.count()
	r.Result = res
	if err != nil {
		err = fmt.Errorf("cannot recount: %w", err)
	} else if !bytes.Equal(res, doc.Result) {
		err = FirstDifference("result", doc.Result, res)
	}
	if !r.add("result", err) {
		return r
	}
	r.OK = r.add("signature", checkSignatureOf(doc.Signer, doc.Signature, doc.writeHashed, trustedKey))
	return r
}

func mismatch(stated, recomputed string) error {
	if stated == recomputed {
		return nil
	}
	return fmt.Errorf("document says %s, recomputed %s", stated, recomputed)
}

func list(ss []string) string { return "[" + strings.Join(ss, " ") + "]" }

// CheckSignature is check 6: signer.key_id belongs to signer.public_key, sig
// (base64) verifies over signed, and when trustedKey is not nil the signer
// is that key.
func CheckSignature(s *Signer, sig string, signed, trustedKey []byte) error {
	return checkSignatureOf(s, sig, func(w io.Writer) error {
		_, err := w.Write(signed)
		return err
	}, trustedKey)
}

// checkSignatureOf is CheckSignature of the bytes write writes, which it
// hashes as they come instead of holding them.
func checkSignatureOf(s *Signer, sig string, write func(io.Writer) error, trustedKey []byte) error {
	pub, err := base64.StdEncoding.DecodeString(s.PublicKey)
	if err != nil {
		return fmt.Errorf("signer.public_key: %w", err)
	}
	if id := KeyID(pub); id != s.KeyID {
		return fmt.Errorf("signer.key_id is %s but public_key has id %s", s.KeyID, id)
	}
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return fmt.Errorf("signature: %w", err)
	}
	if ok, err := verifyStream(pub, raw, write); err != nil {
		return fmt.Errorf("signature: %w", err)
	} else if !ok {
		return fmt.Errorf("signature does not verify with key %s: the signed content was changed or another key signed it", s.KeyID)
	}
	if trustedKey != nil {
		if len(trustedKey) != ed25519.PublicKeySize {
			return fmt.Errorf("trusted key has %d bytes, want %d", len(trustedKey), ed25519.PublicKeySize)
		}
		if !bytes.Equal(pub, trustedKey) {
			return fmt.Errorf("signed by key %s, not by the trusted key %s", s.KeyID, KeyID(trustedKey))
		}
	}
	return nil
}

// VerifyReceipt checks a receipt: 1 shape; 2 leaf (the vote object is the
// receipt's voter's); 3 inclusion (the root from leaf and audit path equals
// votes_root); 4 signature; and, when proof is not nil, 5 proof (the proof
// verifies and holds the same votes_root, tree size and leaf).
func VerifyReceipt(data, proof, trustedKey []byte) Report {
	r := Report{Kind: "receipt"}
	rc, err := parseReceipt(data)
	var se *SyntaxError
	if errors.As(err, &se) {
		r.Error = err.Error()
		return r
	}
	if !r.add("shape", err) {
		return r
	}
	r.Ballot = rc.Ballot
	err = nil
	if rc.leafVote.Voter != rc.Voter {
		err = fmt.Errorf("leaf.voter is %q but the receipt is for %q", rc.leafVote.Voter, rc.Voter)
	}
	if !r.add("leaf", err) {
		return r
	}
	inc := &Inclusion{
		Voter: rc.Voter, LeafIndex: rc.LeafIndex, TreeSize: rc.TreeSize, Leaf: rc.Leaf,
		LeafHash: LeafHash(rc.Leaf).String(), VotesRoot: rc.VotesRoot, Steps: []Step{},
	}
	r.Inclusion = inc
	root, err := rootFromPath(LeafHash(rc.Leaf), rc.LeafIndex, rc.TreeSize, rc.AuditPath, &inc.Steps)
	if err == nil {
		inc.Root = root.String()
		err = mismatch(rc.VotesRoot, inc.Root)
		if err != nil {
			err = fmt.Errorf("leaf and audit_path give %s, receipt says %s", inc.Root, rc.VotesRoot)
		}
	}
	if !r.add("inclusion", err) {
		return r
	}
	ok := r.add("signature", CheckSignature(&rc.Signer, rc.Signature, rc.appendJSON(nil, false), trustedKey))
	if !ok || proof == nil {
		r.OK = ok
		return r
	}
	r.OK = r.add("proof", receiptInProof(rc, proof, trustedKey))
	return r
}

// receiptInProof checks a receipt against the proof it points into.
func receiptInProof(rc *receipt, proof, trustedKey []byte) error {
	if trustedKey == nil {
		// The receipt's own key vouches for the proof it is compared with.
		trustedKey, _ = base64.StdEncoding.DecodeString(rc.Signer.PublicKey)
	}
	pr := Verify(proof, trustedKey)
	if !pr.OK {
		if pr.Error != "" {
			return fmt.Errorf("proof: %s", pr.Error)
		}
		last := pr.Checks[len(pr.Checks)-1]
		return fmt.Errorf("proof fails check %d %s: %s", last.N, last.Name, last.Reason)
	}
	doc, err := ParseProof(proof)
	if err != nil {
		return fmt.Errorf("proof: %w", err)
	}
	switch {
	case doc.Ballot.ID != rc.Ballot:
		return fmt.Errorf("receipt is for ballot %q, proof for %q", rc.Ballot, doc.Ballot.ID)
	case doc.VotesRoot != rc.VotesRoot:
		return fmt.Errorf("receipt votes_root %s, proof votes_root %s", rc.VotesRoot, doc.VotesRoot)
	case len(doc.Votes) != rc.TreeSize:
		return fmt.Errorf("receipt tree_size %d, proof has %d votes", rc.TreeSize, len(doc.Votes))
	case !bytes.Equal(doc.Leaf(rc.LeafIndex), rc.Leaf):
		return fmt.Errorf("proof votes[%d] is %s, receipt leaf is %s", rc.LeafIndex, doc.Leaf(rc.LeafIndex), rc.Leaf)
	}
	return nil
}

// FirstDifference names the first place where two JSON values differ, as
// "path.field: document says X, recomputed Y".
func FirstDifference(path string, stated, recomputed []byte) error {
	var a, b any
	da := json.NewDecoder(bytes.NewReader(stated))
	da.UseNumber()
	db := json.NewDecoder(bytes.NewReader(recomputed))
	db.UseNumber()
	if da.Decode(&a) != nil || db.Decode(&b) != nil {
		return fmt.Errorf("%s differs from the recomputed one", path)
	}
	if p, x, y, ok := diff(path, a, b); ok {
		return fmt.Errorf("%s: document says %s, recomputed %s", p, show(x), show(y))
	}
	return fmt.Errorf("%s differs from the recomputed one", path)
}

func diff(path string, a, b any) (string, any, any, bool) {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			return path, a, b, true
		}
		keys := make([]string, 0, len(x)+len(y))
		for k := range x {
			keys = append(keys, k)
		}
		for k := range y {
			if _, ok := x[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.SortFunc(keys, compareUTF16)
		for _, k := range keys {
			u, inA := x[k]
			v, inB := y[k]
			if !inA || !inB {
				return path + "." + k, present(u, inA), present(v, inB), true
			}
			if p, u, v, ok := diff(path+"."+k, u, v); ok {
				return p, u, v, true
			}
		}
		return "", nil, nil, false
	case []any:
		y, ok := b.([]any)
		if !ok {
			return path, a, b, true
		}
		for i := 0; i < len(x) && i < len(y); i++ {
			if p, u, v, ok := diff(path+"["+strconv.Itoa(i)+"]", x[i], y[i]); ok {
				return p, u, v, true
			}
		}
		if len(x) != len(y) {
			return path + ".length", len(x), len(y), true
		}
		return "", nil, nil, false
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if bytes.Equal(ja, jb) {
		return "", nil, nil, false
	}
	return path, a, b, true
}

// absent stands for a member one side does not have.
type absent struct{}

func present(v any, ok bool) any {
	if !ok {
		return absent{}
	}
	return v
}

func show(v any) string {
	if _, ok := v.(absent); ok {
		return "nothing"
	}
	b, _ := json.Marshal(v)
	if len(b) > 80 {
		return string(b[:77]) + "..."
	}
	return string(b)
}
