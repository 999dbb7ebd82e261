package proof

// parseReceipt reads a receipt's shape; every field is required.
func parseReceipt(data []byte) (*receipt, error) {
	return decode(string(data), true, (*parser).receipt)
}

var receiptFields = []string{"format", "ballot", "voter", "leaf_index", "tree_size",
	"leaf", "audit_path", "votes_root", "signer", "signature"}

func (p *parser) receipt() (*receipt, error) {
	r := &receipt{}
	seen, err := p.object(receiptFields, func(f int) (err error) {
		switch receiptFields[f] {
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
			r.VotesRoot, err = p.hash()
		case "signer":
			var s *Signer
			if s, err = p.signer(); err == nil {
				r.Signer = *s
			}
		case "signature":
			r.Signature, err = p.signature()
		}
		return err
	})
	if err == nil {
		err = seen.require(receiptFields, all(receiptFields))
	}
	if err != nil {
		return nil, err
	}
	if r.LeafIndex >= r.TreeSize {
		return nil, &FieldError{Field: "leaf_index", Message: "must be below tree_size"}
	}
	return r, nil
}

var voteFields = []string{"voter", "choice"}

// vote reads one {voter, choice} object.
func (p *parser) vote() (Vote, error) {
	var v Vote
	seen, err := p.object(voteFields, func(f int) (err error) {
		if f == 0 {
			v.Voter, err = p.voter()
			return err
		}
		return p.choice(&v)
	})
	if err == nil {
		err = seen.require(voteFields, all(voteFields))
	}
	return v, err
}
