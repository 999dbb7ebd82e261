package proof

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"koinon/internal/tally"
)

func entryVoter(e *tally.Entry) string { return e.Voter }
func voteVoter(v *Vote) string         { return v.Voter }

// sortVoters puts electorate and votes in voter order (UTF-8 bytes) and
// rejects repeated voters, naming entries by their index in the input.
func (doc *Document) sortVoters() error {
	if _, err := sortByVoter(doc.Electorate, entryVoter, "electorate"); err != nil {
		return err
	}
	perm, err := sortByVoter(doc.Votes, voteVoter, "votes")
	doc.voteOrder = perm
	return err
}

// sortByVoter sorts xs by voter and returns the input index of each sorted
// position (nil when xs was already sorted).
func sortByVoter[T any](xs []T, voter func(*T) string, field string) ([]int32, error) {
	sorted := true
	for i := 1; i < len(xs); i++ {
		c := strings.Compare(voter(&xs[i-1]), voter(&xs[i]))
		if c == 0 {
			return nil, dupVoter(field, i, i-1, voter(&xs[i]))
		}
		if c > 0 {
			sorted = false
			break
		}
	}
	if sorted {
		return nil, nil
	}
	perm, dup := sortPerm(len(xs), func(i int) string { return voter(&xs[i]) })
	if dup >= 0 {
		i, first := perm[dup], perm[dup-1]
		return nil, dupVoter(field, int(max(i, first)), int(min(i, first)), voter(&xs[i]))
	}
	out := make([]T, len(xs))
	for k, i := range perm {
		out[k] = xs[i]
	}
	copy(xs, out)
	return perm, nil
}

// sortPerm returns the permutation that sorts n strings, and the first
// sorted position k whose string equals the one at k-1 (-1 if none). It
// sorts compact keys, the 8 bytes after the prefix all strings share, and
// reads whole strings only for equal keys: ids like "citizen-000123" then
// sort with few cache misses.
func sortPerm(n int, str func(int) string) ([]int32, int) {
	lcp := len(str(0))
	first := str(0)
	for i := 1; i < n && lcp > 0; i++ {
		s := str(i)
		j := 0
		for j < lcp && j < len(s) && s[j] == first[j] {
			j++
		}
		lcp = j
	}
	type keyed struct {
		key uint64
		idx int32
	}
	ks := make([]keyed, n)
	for i := range ks {
		s := str(i)[lcp:]
		var k uint64
		for j := 0; j < 8; j++ {
			k <<= 8
			if j < len(s) {
				k |= uint64(s[j])
			}
		}
		ks[i] = keyed{k, int32(i)}
	}
	slices.SortFunc(ks, func(a, b keyed) int {
		if a.key != b.key {
			return cmp.Compare(a.key, b.key)
		}
		return cmp.Or(strings.Compare(str(int(a.idx)), str(int(b.idx))), cmp.Compare(a.idx, b.idx))
	})
	perm := make([]int32, n)
	dup := -1
	for i, k := range ks {
		perm[i] = k.idx
		if dup < 0 && i > 0 && k.key == ks[i-1].key && str(int(k.idx)) == str(int(ks[i-1].idx)) {
			dup = i
		}
	}
	return perm, dup
}

func dupVoter(field string, i, first int, voter string) error {
	return &FieldError{
		Field:   fmt.Sprintf("%s[%d].voter", field, i),
		Message: fmt.Sprintf("repeated voter %q (also %s[%d])", voter, field, first),
	}
}

// checkSorted requires a proof's electorate and votes to be in strictly
// increasing voter order (check 1).
func (doc *Document) checkSorted() error {
	for i := 1; i < len(doc.Electorate); i++ {
		if err := orderErr("electorate", i, doc.Electorate[i-1].Voter, doc.Electorate[i].Voter); err != nil {
			return err
		}
	}
	for i := 1; i < len(doc.Votes); i++ {
		if err := orderErr("votes", i, doc.Votes[i-1].Voter, doc.Votes[i].Voter); err != nil {
			return err
		}
	}
	return nil
}

func orderErr(field string, i int, prev, cur string) error {
	switch c := strings.Compare(prev, cur); {
	case c == 0:
		return dupVoter(field, i, i-1, cur)
	case c > 0:
		return &FieldError{
			Field:   fmt.Sprintf("%s[%d].voter", field, i),
			Message: fmt.Sprintf("%q is out of order after %q (lists are sorted by voter)", cur, prev),
		}
	}
	return nil
}

// inputIndex maps a sorted vote position back to its index in the input.
func (doc *Document) inputIndex(i int) int {
	if doc.voteOrder == nil {
		return i
	}
	return int(doc.voteOrder[i])
}

// validate checks what a count needs beyond shape (check 2): every vote's
// voter is in the electorate and every choice fits the method. It fills in
// each vote's Decoded choice. Electorate and votes must be sorted.
func (doc *Document) validate() error {
	es := doc.Electorate
	j := 0
	for i := range doc.Votes {
		v := &doc.Votes[i]
		for j < len(es) && es[j].Voter < v.Voter {
			j++
		}
		if j == len(es) || es[j].Voter != v.Voter {
			return &FieldError{
				Field:   fmt.Sprintf("votes[%d].voter", doc.inputIndex(i)),
				Message: fmt.Sprintf("%q is not in the electorate", v.Voter),
			}
		}
	}
	m := newMethodCheck(doc.Ballot)
	for i := range doc.Votes {
		if err := m.decode(&doc.Votes[i]); err != nil {
			return within(err, fmt.Sprintf("votes[%d].choice", doc.inputIndex(i)))
		}
	}
	return nil
}

// methodCheck decodes choices for one ballot's method.
type methodCheck struct {
	method string
	keys   []string
	index  map[string]int // for ballots with many options
	seen   []int          // seen[option] == stamp: already in this choice
	stamp  int
}

func newMethodCheck(b Ballot) *methodCheck {
	m := &methodCheck{method: b.Method, seen: make([]int, len(b.Options))}
	for _, o := range b.Options {
		m.keys = append(m.keys, o.Key)
	}
	if len(m.keys) > 16 {
		m.index = make(map[string]int, len(m.keys))
		for i, k := range m.keys {
			m.index[k] = i
		}
	}
	return m
}

func (m *methodCheck) option(k string) int {
	if m.index != nil {
		if i, ok := m.index[k]; ok {
			return i
		}
		return -1
	}
	return slices.Index(m.keys, k)
}

// key checks one key of a list choice: known, and not yet in this choice.
func (m *methodCheck) key(k string, field string) error {
	i := m.option(k)
	if i < 0 {
		return &FieldError{Field: field, Message: fmt.Sprintf("unknown option %q", k)}
	}
	if m.seen[i] == m.stamp {
		return &FieldError{Field: field, Message: fmt.Sprintf("repeated option %q", k)}
	}
	m.seen[i] = m.stamp
	return nil
}

func (m *methodCheck) decode(v *Vote) error {
	m.stamp++
	c := &v.Decoded
	switch m.method {
	case "majority", "plurality":
		if v.shape != shapeWord {
			if m.method == "majority" {
				return shapeErr(`must be "yes", "no" or "abstain"`)
			}
			return shapeErr("must be one option key")
		}
		if m.option(c.Word) < 0 {
			return shapeErr("unknown option %q", c.Word)
		}
		c.Keys, c.Groups = nil, nil
	case "approval", "irv", "stv":
		if v.shape != shapeKeys && v.shape != shapeEmpty {
			if m.method == "approval" {
				return shapeErr("must be a list of distinct option keys")
			}
			return shapeErr("must be a ranking: a list of distinct option keys, best first")
		}
		for i, k := range c.Keys {
			if err := m.key(k, "["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
		c.Word, c.Groups = "", nil
	case "schulze":
		switch v.shape {
		case shapeEmpty:
			c.Keys, c.Groups = nil, [][]string{}
		case shapeGroups:
		default:
			return shapeErr(`must be a ranking of groups, best first, like [["a"], ["b", "c"]]`)
		}
		for i, g := range c.Groups {
			if len(g) == 0 {
				return &FieldError{Field: "[" + strconv.Itoa(i) + "]", Message: "empty group"}
			}
			for j, k := range g {
				if err := m.key(k, fmt.Sprintf("[%d][%d]", i, j)); err != nil {
					return err
				}
			}
		}
		c.Word, c.Keys = "", nil
	}
	return nil
}
