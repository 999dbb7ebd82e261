package proof

import (
	"crypto/ed25519"
)

// parseReceipt reads a receipt's shape; every field is required.
func parseReceipt(data []byte) (*receipt, error) {
	return decode(data, true, (*parser).receipt)
}

func (p *parser) receipt() (*receipt, error) {
	r := &receipt{}
	fields := []string{"format", "ballot", "voter", "leaf_index", "tree_size", "leaf", "audit_path", "votes_root", "signer", "signature"}
	var seen uint16
	err := p.d.object(func(key string) error {
		var err error
		switch key {
		case "format":
			var f string
			if f, err = p.d.str(); err == nil && f != ReceiptFormat {
				err = shapeErr("must be %q, not %q", ReceiptFormat, f)
			}
		case "ballot":
			if r.Ballot, err = p.d.str(); err == nil && r.Ballot == "" {
				err = shapeErr("must not be empty")
			}
		case "voter":
			r.Voter, err = p.voter()
		case "leaf_index":
			var n int64
			if n, err = p.d.integer(); err == nil && n < 0 {
				err = shapeErr("must be an integer ≥ 0")
			}
			r.LeafIndex = int(n)
		case "tree_size":
			var n int64
			if n, err = p.d.integer(); err == nil && n < 1 {
				err = shapeErr("must be an integer ≥ 1")
			}
			r.TreeSize = int(n)
		case "leaf":
			if r.leafVote, err = p.vote(); err == nil {
				r.Leaf = appendVote(nil, &r.leafVote)
			}
		case "audit_path":
			err = p.d.array(func(i int) error {
				s, err := p.d.str()
				if err == nil {
					var h Hash
					if h, err = ParseHash(s); err != nil {
						err = shapeErr("must be 64 lowercase hex digits")
					}
					r.AuditPath = append(r.AuditPath, h)
				}
				return atIndex(err, i)
			})
		case "votes_root":
			if r.VotesRoot, err = p.d.str(); err == nil {
				if _, herr := ParseHash(r.VotesRoot); herr != nil {
					err = shapeErr("must be 64 lowercase hex digits")
				}
			}
		case "signer":
			var s *Signer
			if s, err = p.signer(); err == nil {
				r.Signer = *s
			}
		case "signature":
			if r.Signature, err = p.d.str(); err == nil {
				err = checkBase64(r.Signature, ed25519.SignatureSize)
			}
		default:
			return &FieldError{Field: key, Message: "unknown field"}
		}
		for i, f := range fields {
			if f == key {
				if seen&(1<<i) != 0 {
					return duplicate(key)
				}
				seen |= 1 << i
			}
		}
		return within(err, key)
	})
	if err != nil {
		return nil, err
	}
	for i, f := range fields {
		if seen&(1<<i) == 0 {
			return nil, missing(f)
		}
	}
	if r.LeafIndex >= r.TreeSize {
		return nil, &FieldError{Field: "leaf_index", Message: "must be below tree_size"}
	}
	return r, nil
}

// vote reads one {voter, choice} object.
func (p *parser) vote() (Vote, error) {
	var v Vote
	var seen uint8
	err := p.d.object(func(key string) error {
		var bit uint8
		var err error
		switch key {
		case "voter":
			bit = 1
			v.Voter, err = p.voter()
		case "choice":
			bit = 2
			err = p.choice(&v)
		default:
			return &FieldError{Field: key, Message: "unknown field"}
		}
		if seen&bit != 0 {
			return duplicate(key)
		}
		seen |= bit
		return within(err, key)
	})
	switch {
	case err != nil:
	case seen&1 == 0:
		err = missing("voter")
	case seen&2 == 0:
		err = missing("choice")
	}
	return v, err
}
