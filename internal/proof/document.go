package proof

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"koinon/internal/tally"
)

// Format and ReceiptFormat are the format strings of proof.md.
const (
	Format        = "koinon-tally-proof/1"
	ReceiptFormat = "koinon-receipt/1"
)

// Ballot is the ballot object of a proof document.
type Ballot struct {
	ID         string
	Title      string
	Community  string
	Topic      *string // nil is JSON null
	Method     string
	Options    []tally.Option
	Seats      int
	STVRule    string // stv only
	Threshold  string // rational "n/d", kept as written
	Strict     bool
	Quorum     string
	Delegation bool
	Secrecy    string // public or pseudonymous
	OpensAt    string
	ClosesAt   string

	// Budget ballots only (budget.md): the budget in currency units, the
	// currency's display code and the rule. Completion and ExhaustiveStop
	// are for rule mes only; CompareWithGreedy is written only when true.
	Budget            int64
	Currency          string
	BudgetRule        string
	Completion        string
	ExhaustiveStop    bool
	CompareWithGreedy bool
}

// Vote is one final vote. Choice holds the canonical JSON of the choice, the
// exact bytes inside the vote's Merkle leaf; Decoded is its reading for the
// ballot's method, filled in when the document is validated.
type Vote struct {
	Voter   string
	Choice  json.RawMessage
	Decoded tally.Choice

	shape choiceShape // the JSON shape of Choice, known before the method is
}

// Signer names the key that sealed a document or receipt.
type Signer struct {
	KeyID     string `json:"key_id"`
	PublicKey string `json:"public_key"`
}

// Document is a tally proof (proof.md), or the input of a count when the
// proof fields are still empty.
type Document struct {
	Format     string
	Ballot     Ballot
	Electorate []tally.Entry
	Votes      []Vote
	VotesRoot  string
	Tiebreak   []string
	Result     json.RawMessage // canonical JSON
	IssuedAt   string
	Signer     *Signer
	Signature  string

	voteOrder []int32 // input index of each sorted vote; nil if it came sorted
	tree      *Tree   // built by Tally or Verify, for receipts
}

// documentFields are the top-level fields of a document, in proof.md order.
var documentFields = []string{"format", "ballot", "electorate", "votes", "votes_root",
	"tiebreak", "result", "issued_at", "signer", "signature"}

const (
	fFormat = iota
	fBallot
	fElectorate
	fVotes
	fVotesRoot
	fTiebreak
	fResult
	fIssuedAt
	fSigner
	fSignature
)

// choiceShape is the JSON shape of a choice, before the method is known.
type choiceShape uint8

const (
	shapeOther  choiceShape = iota // anything the methods never accept
	shapeWord                      // a string
	shapeEmpty                     // []
	shapeKeys                      // a list of strings
	shapeGroups                    // a list of lists of strings
)

// ParseDocument reads the input of a count (`koinon tally`): a document with
// at least ballot, electorate and votes. Absent ballot fields take their
// defaults (seats 1, threshold "1/2", strict true, quorum "0/1", stv_rule
// "meek" for stv, delegation true, id "ballot", secrecy "public", empty title
// and community, null topic, times 1970-01-01T00:00:00Z); only method and
// options are required. Absent delegates lists are empty. Electorate and votes are
// sorted by voter, and every vote is checked against electorate and method.
//
// Input that is not JSON gives a *SyntaxError; anything else wrong gives a
// *FieldError naming the field and the entry (index in the input).
func ParseDocument(data []byte) (*Document, error) {
	doc, err := parse(data, false)
	if err != nil {
		return nil, err
	}
	if err := doc.sortVoters(); err != nil {
		return nil, err
	}
	if err := doc.validate(); err != nil {
		return nil, err
	}
	return doc, nil
}

// parse reads the document's shape. In proof mode every field of a sealed
// proof must be present and no default applies.
func parse(data []byte, proofMode bool) (*Document, error) {
	return decode(string(data), proofMode, (*parser).document)
}

// parseInPlace is parse in proof mode without copying data: the document's
// strings point into data, which must not change while the document is in
// use, and nothing of the document may outlive that use uncopied. Verify
// reads a large proof so, which saves a copy of it.
func parseInPlace(data []byte) (*Document, error) {
	return decode(unsafe.String(unsafe.SliceData(data), len(data)), true, (*parser).document)
}

// decode reads s as one JSON value with read. A shape error may come
// before a syntax error further on: the input has a bad field only if it is
// JSON at all, so a syntax error anywhere wins.
func decode[T any](s string, proofMode bool, read func(*parser) (T, error)) (T, error) {
	var zero T
	p := &parser{d: decoder{s: s}, proofMode: proofMode}
	v, err := read(p)
	if err == nil {
		err = p.d.end()
	}
	if err != nil {
		var se *SyntaxError
		if errors.As(err, &se) {
			return zero, se
		}
		if serr := checkSyntax(p.d.s); serr != nil {
			return zero, serr
		}
		return zero, err
	}
	return v, nil
}

// parser decodes a document, sharing backing arrays between small values.
type parser struct {
	d         decoder
	proofMode bool
	strs      []string // slab for delegates, keys and groups
	groups    [][]string
	arena     []byte // canonical choices
	canon     canonicalizer
}

func missing(field string) error { return &FieldError{Field: field, Message: "missing"} }

func duplicate(field string) error {
	return &FieldError{Field: field, Message: "repeated key in object"}
}

func (p *parser) document() (*Document, error) {
	doc := &Document{}
	seen, err := p.object(documentFields, func(f int) (err error) {
		switch f {
		case fFormat:
			doc.Format, err = p.d.str()
			if err == nil && doc.Format != Format {
				err = shapeErr("must be %q, not %q", Format, doc.Format)
			}
		case fBallot:
			err = p.ballot(&doc.Ballot)
		case fElectorate:
			doc.Electorate, err = p.electorate()
		case fVotes:
			doc.Votes, err = p.votes()
		case fVotesRoot:
			doc.VotesRoot, err = p.hash()
		case fTiebreak:
			doc.Tiebreak, err = p.stringList()
		case fResult:
			if c := p.d.peek(); c != '{' && c != 0 {
				return shapeErr("must be an object, not %s", kindName(c))
			}
			doc.Result, err = p.canonicalAlone()
		case fIssuedAt:
			doc.IssuedAt, err = p.timestamp()
		case fSigner:
			doc.Signer, err = p.signer()
		case fSignature:
			doc.Signature, err = p.signature()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	required := fieldSet(1<<fBallot | 1<<fElectorate | 1<<fVotes)
	if p.proofMode {
		required = all(documentFields)
	}
	if err := seen.require(documentFields, required); err != nil {
		return nil, err
	}
	if !seen.has(fFormat) {
		doc.Format = Format
	}
	return doc, nil
}

// fieldSet holds one bit per key of an object, by its index in the
// object's field list.
type fieldSet uint32

func (s fieldSet) has(i int) bool { return s&(1<<i) != 0 }

// all is the set of every field in names.
func all(names []string) fieldSet { return 1<<len(names) - 1 }

// require reports the first field of names that is in required but not in s.
func (s fieldSet) require(names []string, required fieldSet) error {
	for i, name := range names {
		if required.has(i) && !s.has(i) {
			return missing(name)
		}
	}
	return nil
}

// object reads a JSON object whose keys all come from names, each at most
// once: the one field dispatch of every object in documents and receipts.
// read decodes the value of names[i]; a *FieldError it returns is placed
// under the key. The result holds the fields seen.
func (p *parser) object(names []string, read func(i int) error) (fieldSet, error) {
	var seen fieldSet
	err := p.d.object(func(key string) error {
		i := slices.Index(names, key)
		if i < 0 {
			return &FieldError{Field: key, Message: "unknown field"}
		}
		err := read(i)
		if seen.has(i) {
			return duplicate(key)
		}
		seen |= 1 << i
		return within(err, key)
	})
	return seen, err
}

// hash reads a SHA-256 hash written as hex.
func (p *parser) hash() (string, error) {
	s, err := p.d.str()
	if err == nil {
		if _, herr := ParseHash(s); herr != nil {
			err = shapeErr("must be 64 lowercase hex digits")
		}
	}
	return s, err
}

// signature reads an Ed25519 signature in base64.
func (p *parser) signature() (string, error) {
	s, err := p.d.str()
	if err == nil {
		err = checkBase64(s, ed25519.SignatureSize)
	}
	return s, err
}

// canonical reads any value and returns its canonical bytes from the arena.
func (p *parser) canonical() (json.RawMessage, error) {
	p.canon.d = &p.d
	start := len(p.arena)
	var err error
	p.arena, err = p.canon.value(p.arena)
	if err != nil {
		return nil, err
	}
	return p.arena[start:len(p.arena):len(p.arena)], nil
}

// canonicalAlone is canonical for a value as large as a result (a row per
// voter): its bytes go to a buffer of their own, sized by the value's
// length in the input, rather than to the arena, which would copy them
// each time it grew.
func (p *parser) canonicalAlone() (json.RawMessage, error) {
	mark, size := p.d, 0
	if p.d.skip() == nil {
		size = p.d.pos - mark.pos
	}
	p.d = mark
	p.canon.d = &p.d
	return p.canon.value(make([]byte, 0, size))
}

func (p *parser) stringList() ([]string, error) {
	var out []string
	err := p.d.array(func(i int) error {
		s, err := p.d.str()
		out = append(out, s)
		return atIndex(err, i)
	})
	if out == nil && err == nil {
		out = []string{}
	}
	return out, err
}

// timestamp reads an RFC 3339 UTC time with a Z and whole seconds.
func (p *parser) timestamp() (string, error) {
	s, err := p.d.str()
	if err != nil {
		return "", err
	}
	if t, terr := time.Parse(time.RFC3339, s); terr != nil || t.UTC().Format(TimeLayout) != s {
		return "", shapeErr("must be an RFC 3339 UTC time like 2026-01-02T15:04:05Z, not %q", s)
	}
	return s, nil
}

// TimeLayout is the one time format of documents: RFC 3339, UTC, whole seconds.
const TimeLayout = "2006-01-02T15:04:05Z"

func checkBase64(s string, size int) error {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != size || base64.StdEncoding.EncodeToString(b) != s {
		return shapeErr("must be %d bytes in padded standard base64", size)
	}
	return nil
}

var signerFields = []string{"key_id", "public_key"}

func (p *parser) signer() (*Signer, error) {
	s := &Signer{}
	seen, err := p.object(signerFields, func(f int) (err error) {
		if f == 0 {
			s.KeyID, err = p.d.str()
			if err == nil && (len(s.KeyID) != 16 || strings.Trim(s.KeyID, "0123456789abcdef") != "") {
				err = shapeErr("must be 16 lowercase hex digits")
			}
			return err
		}
		s.PublicKey, err = p.d.str()
		if err == nil {
			err = checkBase64(s.PublicKey, ed25519.PublicKeySize)
		}
		return err
	})
	if err == nil {
		err = seen.require(signerFields, all(signerFields))
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

// ballotFields are the fields of a ballot object, in proof.md order.
var ballotFields = []string{"id", "title", "community", "topic", "method", "options",
	"seats", "stv_rule", "threshold", "strict", "quorum", "delegation", "secrecy",
	"opens_at", "closes_at", "budget", "currency", "budget_rule", "completion",
	"exhaustive_stop", "compare_with_greedy"}

const (
	bID = iota
	bTitle
	bCommunity
	bTopic
	bMethod
	bOptions
	bSeats
	bSTVRule
	bThreshold
	bStrict
	bQuorum
	bDelegation
	bSecrecy
	bOpensAt
	bClosesAt
	bBudget
	bCurrency
	bBudgetRule
	bCompletion
	bExhaustiveStop
	bCompareWithGreedy
)

func (p *parser) ballot(b *Ballot) error {
	seen, err := p.object(ballotFields, func(f int) (err error) {
		switch f {
		case bID:
			b.ID, err = p.d.str()
			if err == nil && b.ID == "" {
				err = shapeErr("must not be empty")
			}
		case bTitle:
			b.Title, err = p.d.str()
		case bCommunity:
			b.Community, err = p.d.str()
		case bTopic:
			var isNull bool
			if isNull, err = p.d.null(); err == nil && !isNull {
				var t string
				if t, err = p.d.str(); err != nil {
					err = shapeErr("must be a string or null")
				}
				b.Topic = &t
			}
		case bMethod:
			b.Method, err = p.d.str()
			if err == nil && !slices.Contains(tally.Methods, b.Method) {
				err = shapeErr("unknown method %q (want one of %s)", b.Method, strings.Join(tally.Methods, ", "))
			}
		case bOptions:
			b.Options, err = p.options()
		case bSeats:
			var n int64
			n, err = p.d.integer()
			if err != nil || n < 1 {
				err = shapeErr("must be an integer ≥ 1")
			}
			b.Seats = int(n)
		case bSTVRule:
			b.STVRule, err = p.d.str()
			if err == nil && b.STVRule != "meek" && b.STVRule != "scottish" {
				err = shapeErr("must be \"meek\" or \"scottish\", not %q", b.STVRule)
			}
		case bThreshold:
			b.Threshold, err = p.rational()
		case bStrict:
			b.Strict, err = p.d.boolean()
		case bQuorum:
			b.Quorum, err = p.rational()
		case bDelegation:
			b.Delegation, err = p.d.boolean()
		case bSecrecy:
			b.Secrecy, err = p.d.str()
			if err == nil && b.Secrecy != "public" && b.Secrecy != "pseudonymous" {
				err = shapeErr("must be \"public\" or \"pseudonymous\", not %q", b.Secrecy)
			}
		case bOpensAt:
			b.OpensAt, err = p.timestamp()
		case bClosesAt:
			b.ClosesAt, err = p.timestamp()
		case bBudget:
			b.Budget, err = p.d.integer()
			if err == nil && b.Budget < 0 {
				err = shapeErr("must be an integer ≥ 0")
			}
		case bCurrency:
			b.Currency, err = p.d.str()
		case bBudgetRule:
			b.BudgetRule, err = p.d.str()
			if err == nil && b.BudgetRule != "mes" && b.BudgetRule != "greedy" {
				err = shapeErr("must be \"mes\" or \"greedy\", not %q", b.BudgetRule)
			}
		case bCompletion:
			b.Completion, err = p.d.str()
			if err == nil && b.Completion != "add1" && b.Completion != "add1+greedy" && b.Completion != "none" {
				err = shapeErr("must be \"add1\", \"add1+greedy\" or \"none\", not %q", b.Completion)
			}
		case bExhaustiveStop:
			b.ExhaustiveStop, err = p.d.boolean()
		case bCompareWithGreedy:
			b.CompareWithGreedy, err = p.d.boolean()
			if err == nil && !b.CompareWithGreedy && p.proofMode {
				err = shapeErr("is written only when true")
			}
		}
		return err
	})
	if err != nil {
		return err
	}
	required := []struct {
		name string
		bit  int
		set  func() // the default in a `koinon tally` input; nil: always required
	}{
		{"id", bID, func() { b.ID = "ballot" }},
		{"title", bTitle, func() {}},
		{"community", bCommunity, func() {}},
		{"topic", bTopic, func() {}},
		{"method", bMethod, nil},
		{"options", bOptions, nil},
		{"delegation", bDelegation, func() { b.Delegation = true }},
		{"secrecy", bSecrecy, func() { b.Secrecy = "public" }},
		{"opens_at", bOpensAt, func() { b.OpensAt = "1970-01-01T00:00:00Z" }},
		{"closes_at", bClosesAt, func() { b.ClosesAt = "1970-01-01T00:00:00Z" }},
	}
	// A proof must carry every field; a document given to `koinon tally`
	// needs only what the count reads, and gets documented defaults for
	// the rest (docs/proofs.md).
	for _, f := range required {
		if !seen.has(f.bit) {
			if p.proofMode || f.set == nil {
				return missing(f.name)
			}
			f.set()
		}
	}
	defaults := []struct {
		name string
		bit  int
		set  func()
	}{
		{"seats", bSeats, func() { b.Seats = 1 }},
		{"threshold", bThreshold, func() { b.Threshold = "1/2" }},
		{"strict", bStrict, func() { b.Strict = true }},
		{"quorum", bQuorum, func() { b.Quorum = "0/1" }},
	}
	if b.Method == "stv" {
		defaults = append(defaults, struct {
			name string
			bit  int
			set  func()
		}{"stv_rule", bSTVRule, func() { b.STVRule = "meek" }})
	} else if seen.has(bSTVRule) {
		return &FieldError{Field: "stv_rule", Message: "only allowed for method stv"}
	}
	for _, f := range defaults {
		if !seen.has(f.bit) {
			if p.proofMode {
				return missing(f.name)
			}
			f.set()
		}
	}
	if err := p.budgetFields(b, seen); err != nil {
		return err
	}
	// The engine's own ballot rules (one seat for majority and irv, no
	// more seats than options, fractions within 0..1) are shape too.
	thr, _ := tally.ParseRational(b.Threshold)
	quo, _ := tally.ParseRational(b.Quorum)
	err = tally.ValidateBallot(b.tallyBallot(thr, quo))
	var fe *tally.FieldError
	if errors.As(err, &fe) {
		return &FieldError{Field: strings.TrimPrefix(fe.Field, "ballot."), Message: fe.Message}
	}
	return err
}

// budgetFields applies the defaults of budget.md to a budget ballot
// (budget is always required; the rest only in a proof) and refuses the
// budget fields on any other ballot, and those of rule mes with greedy.
func (p *parser) budgetFields(b *Ballot, seen fieldSet) error {
	fields := []struct {
		name string
		bit  int
		set  func() // nil: always required
	}{
		{"budget", bBudget, nil},
		{"currency", bCurrency, func() {}},
		{"budget_rule", bBudgetRule, func() { b.BudgetRule = "mes" }},
		{"completion", bCompletion, func() { b.Completion = "add1" }},
		{"exhaustive_stop", bExhaustiveStop, func() { b.ExhaustiveStop = true }},
		{"compare_with_greedy", bCompareWithGreedy, func() {}},
	}
	if b.Method != "budget" {
		for _, f := range fields {
			if seen.has(f.bit) {
				return &FieldError{Field: f.name, Message: "only allowed for method budget"}
			}
		}
		for i, o := range b.Options {
			if o.Cost != 0 {
				return &FieldError{Field: "options[" + strconv.Itoa(i) + "].cost", Message: "only allowed for method budget"}
			}
		}
		return nil
	}
	for i, o := range b.Options {
		if o.Cost == 0 {
			return missing("options[" + strconv.Itoa(i) + "].cost")
		}
	}
	for k, f := range fields {
		if k >= 3 && b.BudgetRule == "greedy" {
			if seen.has(f.bit) {
				return &FieldError{Field: f.name, Message: "only allowed for budget_rule mes"}
			}
			continue
		}
		if !seen.has(f.bit) {
			if f.set == nil || p.proofMode && f.bit != bCompareWithGreedy {
				return missing(f.name)
			}
			f.set()
		}
	}
	return nil
}

// tallyBallot returns the engine's ballot parameters.
func (b *Ballot) tallyBallot(thr, quo tally.Rational) tally.Ballot {
	tb := tally.Ballot{
		Method: b.Method, Options: b.Options, Seats: b.Seats, STVRule: b.STVRule,
		Threshold: thr, Strict: b.Strict, Quorum: quo, Delegation: b.Delegation,
	}
	if b.Method == "budget" {
		tb.Budget = tally.BudgetRules{Budget: b.Budget, Rule: b.BudgetRule, Completion: b.Completion,
			ExhaustiveStop: b.ExhaustiveStop, CompareWithGreedy: b.CompareWithGreedy}
	}
	return tb
}

func (p *parser) rational() (string, error) {
	s, err := p.d.str()
	if err != nil {
		return "", err
	}
	if _, err := tally.ParseRational(s); err != nil {
		return "", shapeErr("must be a rational \"n/d\": %v", err)
	}
	return s, nil
}

var optionFields = []string{"key", "label", "cost"}

func (p *parser) options() ([]tally.Option, error) {
	var opts []tally.Option
	err := p.d.array(func(i int) error {
		var o tally.Option
		seen, err := p.object(optionFields, func(f int) (err error) {
			switch f {
			case 1:
				o.Label, err = p.d.str()
				return err
			case 2:
				o.Cost, err = p.d.integer()
				if err == nil && o.Cost < 1 {
					err = shapeErr("must be an integer ≥ 1")
				}
				return err
			}
			o.Key, err = p.d.str()
			if err == nil && !tally.ValidKey(o.Key) {
				err = shapeErr("must match [a-z0-9-]{1,64}, not %q", o.Key)
			}
			for _, prev := range opts {
				if err == nil && prev.Key == o.Key {
					err = shapeErr("repeated option %q", o.Key)
				}
			}
			return err
		})
		if err == nil {
			err = seen.require(optionFields, 0b011) // cost: budgetFields checks it
		}
		opts = append(opts, o)
		return atIndex(err, i)
	})
	if err == nil && len(opts) == 0 {
		err = shapeErr("must list at least one option")
	}
	return opts, err
}

var entryFields = []string{"voter", "weight", "delegates"}

func (p *parser) electorate() ([]tally.Entry, error) {
	var es chunked[tally.Entry]
	required := fieldSet(0b011)
	if p.proofMode {
		required = all(entryFields)
	}
	err := p.d.array(func(i int) error {
		var e tally.Entry
		seen, err := p.object(entryFields, func(f int) (err error) {
			switch f {
			case 0:
				e.Voter, err = p.voter()
			case 1:
				e.Weight, err = p.d.integer()
				if err != nil || e.Weight < 1 {
					var se *SyntaxError
					if !errors.As(err, &se) {
						err = shapeErr("must be an integer ≥ 1")
					}
				}
			case 2:
				e.Delegates, err = p.delegates()
			}
			return err
		})
		if err == nil {
			err = seen.require(entryFields, required)
		}
		switch {
		case err != nil:
		case !seen.has(2):
			e.Delegates = []string{}
		case slices.Contains(e.Delegates, e.Voter):
			err = &FieldError{Field: "delegates", Message: fmt.Sprintf("lists the voter %q itself", e.Voter)}
		}
		es.add(e)
		return atIndex(err, i)
	})
	return es.all(), err
}

func (p *parser) voter() (string, error) {
	v, err := p.d.str()
	if err == nil && v == "" {
		err = shapeErr("must not be empty")
	}
	return v, err
}

func (p *parser) delegates() ([]string, error) {
	start := len(p.strs)
	err := p.d.array(func(i int) error {
		s, err := p.voter()
		if err != nil {
			return atIndex(err, i)
		}
		if slices.Contains(p.strs[start:], s) {
			return &FieldError{Field: "[" + strconv.Itoa(i) + "]", Message: fmt.Sprintf("repeats %q", s)}
		}
		p.strs = append(p.strs, s)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(p.strs) == start {
		return []string{}, nil
	}
	// Lists share one growing slab; a list written before the slab moved
	// keeps pointing at the old array, which still holds it.
	return p.strs[start:len(p.strs):len(p.strs)], nil
}

func (p *parser) votes() ([]Vote, error) {
	var vs chunked[Vote]
	err := p.d.array(func(i int) error {
		v, err := p.vote()
		vs.add(v)
		return atIndex(err, i)
	})
	return vs.all(), err
}

// chunked collects a long list in fixed-size chunks and joins them once,
// instead of copying the whole list each time a slice outgrows itself.
type chunked[T any] struct {
	full [][]T
	cur  []T
	n    int
}

func (c *chunked[T]) add(x T) {
	if len(c.cur) == cap(c.cur) {
		if c.cur != nil {
			c.full = append(c.full, c.cur)
		}
		c.cur = make([]T, 0, min(1<<16, max(16, 2*c.n)))
	}
	c.cur = append(c.cur, x)
	c.n++
}

func (c *chunked[T]) all() []T {
	if len(c.full) == 0 {
		return append(make([]T, 0, c.n), c.cur...)
	}
	out := make([]T, 0, c.n)
	for _, ch := range c.full {
		out = append(out, ch...)
	}
	return append(out, c.cur...)
}

// choice reads a choice: its canonical bytes, and its generic reading (a
// word, a list of keys, or a list of groups) for the method check later.
func (p *parser) choice(v *Vote) error {
	start := p.d.pos
	raw, err := p.canonical()
	if err != nil {
		return err
	}
	v.Choice = raw
	sub := decoder{s: p.d.s[start:p.d.pos]}
	switch sub.peek() {
	case '"':
		v.Decoded.Word, _ = sub.rawString()
		v.shape = shapeWord
	case '[':
		v.shape = shapeEmpty
		n0 := len(p.strs)
		_ = sub.array(func(int) error {
			switch c := sub.peek(); {
			case c == '"' && v.shape != shapeGroups:
				s, _ := sub.rawString()
				p.strs = append(p.strs, s)
				v.shape = shapeKeys
			case c == '[' && v.shape != shapeKeys && v.shape != shapeOther:
				g0 := len(p.strs)
				_ = sub.array(func(int) error {
					if sub.peek() != '"' {
						v.shape = shapeOther
						return sub.skip()
					}
					s, _ := sub.rawString()
					p.strs = append(p.strs, s)
					return nil
				})
				if v.shape != shapeOther {
					v.shape = shapeGroups
					p.groups = append(p.groups, p.strs[g0:len(p.strs):len(p.strs)])
				}
			default:
				v.shape = shapeOther
				return sub.skip()
			}
			return nil
		})
		switch v.shape {
		case shapeKeys:
			v.Decoded.Keys = p.strs[n0:len(p.strs):len(p.strs)]
		case shapeGroups:
			// Group slices may point into an old slab if it grew; copy the
			// group headers out of the shared list.
			v.Decoded.Groups = slices.Clone(p.groups)
		case shapeEmpty:
			v.Decoded.Keys = []string{}
		}
		p.groups = p.groups[:0]
	}
	return nil
}
