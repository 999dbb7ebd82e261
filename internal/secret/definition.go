package secret

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"koinon/internal/tally"
)

// Format is the format string of a secret-tally document.
const Format = "koinon-secret-tally/1"

// Definition is what a secret ballot's definition says about its
// encryption: the ballot id, the method and the options in the ballot's
// order. The form every cast ballot must fit follows from it alone.
type Definition struct {
	ID           string         `json:"id"`
	Method       string         `json:"method"` // majority, plurality, approval or schulze
	Options      []tally.Option `json:"options"`
	MaxApprovals int            `json:"max_approvals,omitempty"` // approval: at most this many (0: any number)
}

// Form derives the form of Definition's method (secret-ballot.md §4).
func (d Definition) Form() (Form, error) {
	n := len(d.Options)
	if d.ID == "" {
		return Form{}, errors.New("ballot: no id")
	}
	if n < 2 {
		return Form{}, fmt.Errorf("ballot: %d options, want at least 2", n)
	}
	if d.MaxApprovals != 0 && d.Method != "approval" {
		return Form{}, errors.New("ballot: max_approvals is for approval ballots")
	}
	switch d.Method {
	case "majority", "plurality":
		return MajorityForm(n), nil
	case "approval":
		if d.MaxApprovals < 0 || d.MaxApprovals > n {
			return Form{}, fmt.Errorf("ballot: max_approvals %d outside 0..%d", d.MaxApprovals, n)
		}
		if d.MaxApprovals == 0 {
			return ApprovalForm(n, n), nil
		}
		return ApprovalForm(n, d.MaxApprovals), nil
	case "schulze":
		if n > maxSchulzeOptions {
			return Form{}, fmt.Errorf("ballot: %d options, a secret Schulze ballot takes at most %d", n, maxSchulzeOptions)
		}
		return SchulzeForm(n), nil
	case "irv", "stv":
		return Form{}, fmt.Errorf("ballot: method %s needs a verifiable shuffle and cannot be secret; use schulze for a ranked secret ballot", d.Method)
	}
	return Form{}, fmt.Errorf("ballot: method %q is not majority, plurality, approval or schulze", d.Method)
}

// maxSchulzeOptions bounds a Schulze ballot's n(n−1) ciphertexts.
const maxSchulzeOptions = 32

// Choice is a voter's plaintext choice in the terms of the ballot: Option
// (an index) for majority and plurality, Approve (indices, possibly none)
// for approval, Ranks (one per option, 1 best, equal ranks allowed, 0
// unranked) for Schulze.
type Choice struct {
	Option  *int  `json:"option,omitempty"`
	Approve []int `json:"approve,omitempty"`
	Ranks   []int `json:"ranks,omitempty"`
}

// Vector turns a choice into the 0/1 vector the form encrypts, refusing a
// choice of another method or one the form does not allow.
func (d Definition) Vector(c Choice) ([]int64, error) {
	f, err := d.Form()
	if err != nil {
		return nil, err
	}
	n := len(d.Options)
	var v []int64
	switch d.Method {
	case "majority", "plurality":
		if c.Option == nil || *c.Option < 0 || *c.Option >= n || c.Approve != nil || c.Ranks != nil {
			return nil, fmt.Errorf("choice: give option, an index 0..%d", n-1)
		}
		v = make([]int64, n)
		v[*c.Option] = 1
	case "approval":
		if c.Option != nil || c.Ranks != nil {
			return nil, errors.New("choice: give approve, a list of option indices")
		}
		v = make([]int64, n)
		for _, i := range c.Approve {
			if i < 0 || i >= n || v[i] == 1 {
				return nil, fmt.Errorf("choice: approve: %d is not an option index 0..%d or appears twice", i, n-1)
			}
			v[i] = 1
		}
	case "schulze":
		if c.Option != nil || c.Approve != nil || len(c.Ranks) != n || slices.ContainsFunc(c.Ranks, func(r int) bool { return r < 0 }) {
			return nil, fmt.Errorf("choice: give ranks, %d ranks ≥ 0 (1 best, 0 unranked)", n)
		}
		v = SchulzePairs(c.Ranks)
	}
	if err := f.Check(v); err != nil {
		return nil, fmt.Errorf("choice: %w", err)
	}
	return v, nil
}

// Document is a secret ballot's tally evidence as one file: the
// definition the verifier derives the form from, and the record.
type Document struct {
	Format string     `json:"format"`
	Ballot Definition `json:"ballot"`
	Record Record     `json:"record"`
}

// ParseDocument reads a document. A document that is not JSON of the
// right shape is a *ShapeError (no check ran); a record whose points or
// scalars do not decode fails check 1, returned as a *CheckError with the
// document's definition.
func ParseDocument(data []byte) (Document, error) {
	var raw struct {
		Format string          `json:"format"`
		Ballot Definition      `json:"ballot"`
		Record json.RawMessage `json:"record"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return Document{}, &ShapeError{err}
	}
	if raw.Format != Format {
		return Document{}, &ShapeError{fmt.Errorf("format is %q, want %q", raw.Format, Format)}
	}
	if len(raw.Record) == 0 || raw.Record[0] != '{' {
		return Document{}, &ShapeError{errors.New("record: want an object")}
	}
	doc := Document{Format: raw.Format, Ballot: raw.Ballot}
	if err := json.Unmarshal(raw.Record, &doc.Record); err != nil {
		return doc, &CheckError{CheckEncoding, fmt.Errorf("record: %w", err)}
	}
	return doc, nil
}

// ShapeError says the input is not a secret-tally document at all.
type ShapeError struct{ Err error }

func (e *ShapeError) Error() string { return "not a " + Format + " document: " + e.Err.Error() }
func (e *ShapeError) Unwrap() error { return e.Err }

// Verify runs the numbered checks on the document's record against the
// form its definition gives; check 3 also requires the key generation to
// be for the definition's ballot id.
func (doc Document) Verify() error {
	f, err := doc.Ballot.Form()
	return verify(doc.Record, f, err, doc.Ballot.ID)
}

// Totals are the verified counts in the ballot's terms: per option key
// (majority, plurality, approval), or the pairwise matrix d[i][j], "i
// preferred to j", in option order with a zero diagonal (schulze).
func (doc Document) Totals() (perOption map[string]int64, pairwise [][]int64) {
	n, c := len(doc.Ballot.Options), doc.Record.Counts
	if doc.Ballot.Method != "schulze" {
		perOption = make(map[string]int64, n)
		for i, o := range doc.Ballot.Options {
			perOption[o.Key] = c[i]
		}
		return perOption, nil
	}
	pairwise = make([][]int64, n)
	for i := range pairwise {
		pairwise[i] = make([]int64, n)
		for j := range n {
			if i != j {
				pairwise[i][j] = c[PairIndex(n, i, j)]
			}
		}
	}
	return nil, pairwise
}

// Checks is the number of numbered checks.
const Checks = CheckCounts

// CheckName is the name of numbered check n.
func CheckName(n int) string { return checkNames[n] }

// FromTally turns a plaintext choice in the public form (tally.md §4: an
// option key, a list of keys, or a ranking of groups) into the Choice the
// form encrypts: the same ballot a voter would cast on a public ballot.
// Options a Schulze ranking leaves out are unranked (below every ranked
// one), as in the public count.
func (d Definition) FromTally(c tally.Choice) (Choice, error) {
	index := func(k string) (int, error) {
		i := slices.IndexFunc(d.Options, func(o tally.Option) bool { return o.Key == k })
		if i < 0 {
			return 0, fmt.Errorf("choice: %q is not an option", k)
		}
		return i, nil
	}
	switch d.Method {
	case "majority", "plurality":
		i, err := index(c.Word)
		return Choice{Option: &i}, err
	case "approval":
		out := Choice{Approve: []int{}}
		for _, k := range c.Keys {
			i, err := index(k)
			if err != nil {
				return Choice{}, err
			}
			out.Approve = append(out.Approve, i)
		}
		return out, nil
	case "schulze":
		out := Choice{Ranks: make([]int, len(d.Options))}
		for g, grp := range c.Groups {
			for _, k := range grp {
				i, err := index(k)
				if err != nil {
					return Choice{}, err
				}
				out.Ranks[i] = g + 1
			}
		}
		return out, nil
	}
	_, err := d.Form()
	return Choice{}, err
}
