// Package stv counts single transferable vote elections (tally.md §4.6)
// with exact fixed-point arithmetic. It is pure: standard library only, no
// floating point, no randomness.
//
// Both rules ignore empty rankings (and rankings that name only withdrawn
// candidates): they take no part in the quota nor in the exhausted figure,
// as in the PR Foundation reference rule and the Scottish count, where a
// blank paper is not a valid vote. In every round
// Σ votes + Exhausted (+ Lost for scottish) = the weight of the non-empty
// rankings, exactly.
//
// Identical rankings are grouped first, so the cost grows with the number of
// distinct rankings (Meek walks them as a prefix tree), not with ballots.
package stv

import (
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"strconv"
)

// Ballot is a group of identical rankings: Weight ballots ranking the
// candidates Ranking (0-based candidate indexes, best first, no repeats).
type Ballot struct {
	Weight  int64
	Ranking []int
}

// Election is one STV count.
type Election struct {
	Candidates int      // number of candidates, indexed 0..Candidates-1
	Seats      int      // ≥ 1
	Ballots    []Ballot // may hold empty rankings (they transfer nothing)
	// TieOrder is a permutation of candidate indexes: earlier wins a tie,
	// so among tied candidates the latest in TieOrder is defeated.
	// Nil means candidate index order.
	TieOrder []int
	// Withdrawn candidates are skipped on every ballot and never elected
	// (BLT files may withdraw candidates after the ballots were cast).
	Withdrawn []int
}

// Round is one reported round (meek) or stage (scottish). Decimal values
// are strings with the rule's digits (9 for meek, 5 for scottish).
type Round struct {
	Quota     string
	Exhausted string
	Votes     []string // per candidate
	Keep      []string // per candidate, meek only (nil for scottish)
	States    []string // per candidate: hopeful, elected, defeated (or withdrawn)
	Elected   []int    // candidates elected in this round, in order
	Defeated  []int    // candidates defeated in this round
	Action    string   // scottish: "first", "surplus", "exclusion"; meek: "count"
	Subject   int      // scottish: whose surplus moved or who was excluded, else -1
	// Surplus is the total surplus of the elected candidates at the end of
	// the round: meek Σ(vote − quota); scottish the surpluses not yet moved.
	Surplus string
	// Lost is the value dropped by truncating transfer values so far
	// (scottish only, "" for meek, whose keep values lose nothing).
	Lost string
	// Iterations is the number of vote distributions in the round (meek).
	Iterations int
}

// Result lists every round and the winners in order of election.
type Result struct {
	Rounds  []Round
	Winners []int
}

// MaxTotalWeight bounds the summed ballot weight so that 9-decimal vote
// totals fit in an int64.
const MaxTotalWeight = 1_000_000_000

// ErrInvalid wraps every input error.
var ErrInvalid = errors.New("stv: invalid election")

const (
	stHopeful = iota
	stElected
	stDefeated
	stWithdrawn
)

var stateNames = [...]string{"hopeful", "elected", "defeated", "withdrawn"}

// count is the state shared by both rules.
type count struct {
	n       int
	state   []int
	tieRank []int // tieRank[c] = position of c in TieOrder
	groups  []Ballot
	total   int64 // weight of the counted (non-empty) rankings
}

func newCount(e Election) (*count, error) {
	n := e.Candidates
	if n < 1 || e.Seats < 1 {
		return nil, fmt.Errorf("%w: %d candidates, %d seats", ErrInvalid, n, e.Seats)
	}
	k := &count{n: n, state: make([]int, n), tieRank: make([]int, n)}
	if e.TieOrder == nil {
		for c := range n {
			k.tieRank[c] = c
		}
	} else {
		if len(e.TieOrder) != n {
			return nil, fmt.Errorf("%w: tie order has %d of %d candidates", ErrInvalid, len(e.TieOrder), n)
		}
		for c := range k.tieRank {
			k.tieRank[c] = -1
		}
		for i, c := range e.TieOrder {
			if c < 0 || c >= n || k.tieRank[c] >= 0 {
				return nil, fmt.Errorf("%w: tie order is not a permutation", ErrInvalid)
			}
			k.tieRank[c] = i
		}
	}
	for _, c := range e.Withdrawn {
		if c < 0 || c >= n {
			return nil, fmt.Errorf("%w: withdrawn candidate %d", ErrInvalid, c)
		}
		k.state[c] = stWithdrawn
	}
	// Drop withdrawn candidates and empty rankings, then group identical
	// rankings in lexicographic order (Meek's prefix tree needs that order).
	bs := make([]Ballot, 0, len(e.Ballots))
	seen := make([]int, n) // seen[c] = index+1 of the last ballot naming c
	for i, b := range e.Ballots {
		if b.Weight < 0 {
			return nil, fmt.Errorf("%w: ballot %d has weight %d", ErrInvalid, i, b.Weight)
		}
		r := b.Ranking
		for j, c := range b.Ranking {
			if c < 0 || c >= n || seen[c] == i+1 {
				return nil, fmt.Errorf("%w: ballot %d ranks candidate %d out of range or twice", ErrInvalid, i, c)
			}
			seen[c] = i + 1
			// r aliases b.Ranking until a withdrawn candidate forces a copy.
			if k.state[c] == stWithdrawn {
				if len(r) == len(b.Ranking) {
					r = slices.Clone(b.Ranking[:j])
				}
			} else if len(r) < len(b.Ranking) {
				r = append(r, c)
			}
		}
		if b.Weight == 0 || len(r) == 0 {
			continue
		}
		k.total += b.Weight
		if k.total > MaxTotalWeight {
			return nil, fmt.Errorf("%w: total weight above %d", ErrInvalid, MaxTotalWeight)
		}
		bs = append(bs, Ballot{Weight: b.Weight, Ranking: r})
	}
	k.groups = group(bs, n)
	return k, nil
}

// group sorts the rankings lexicographically and sums the weights of equal
// ones. The sort compares an inline key packing the first candidates, so
// most comparisons never touch the rankings themselves.
func group(bs []Ballot, n int) []Ballot {
	width := bits.Len(uint(n)) // bits per candidate+1
	per := 64 / width          // candidates packed per key
	type item struct {
		key uint64
		i   int32
	}
	items := make([]item, len(bs))
	for i, b := range bs {
		var key uint64
		for j := range per {
			key <<= width
			if j < len(b.Ranking) {
				key |= uint64(b.Ranking[j] + 1)
			}
		}
		items[i] = item{key, int32(i)}
	}
	slices.SortFunc(items, func(a, b item) int {
		if a.key != b.key {
			if a.key < b.key {
				return -1
			}
			return 1
		}
		ra, rb := bs[a.i].Ranking, bs[b.i].Ranking
		return slices.Compare(ra[min(per, len(ra)):], rb[min(per, len(rb)):])
	})
	groups := make([]Ballot, 0, len(bs))
	for _, it := range items {
		b := bs[it.i]
		if l := len(groups); l > 0 && slices.Equal(groups[l-1].Ranking, b.Ranking) {
			groups[l-1].Weight += b.Weight
			continue
		}
		groups = append(groups, b)
	}
	return groups
}

func (k *count) with(s int) []int {
	var out []int
	for c, st := range k.state {
		if st == s {
			out = append(out, c)
		}
	}
	return out
}

func (k *count) states() []string {
	out := make([]string, k.n)
	for c, s := range k.state {
		out[c] = stateNames[s]
	}
	return out
}

// byTie sorts candidates by TieOrder (the winner of a tie first).
func (k *count) byTie(cs []int) {
	slices.SortFunc(cs, func(a, b int) int { return k.tieRank[a] - k.tieRank[b] })
}

// decimal formats v (in units of 10^-digits) with exactly digits decimals.
func decimal(v int64, digits int) string {
	neg := v < 0
	if neg {
		v = -v
	}
	s := strconv.FormatInt(v, 10)
	for len(s) <= digits {
		s = "0" + s
	}
	s = s[:len(s)-digits] + "." + s[len(s)-digits:]
	if neg {
		s = "-" + s
	}
	return s
}

func decimals(vs []int64, digits int) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = decimal(v, digits)
	}
	return out
}

// mulDiv returns a×b/c rounded down (or up), for a, b ≥ 0, c > 0, and
// whether the result fits in an int64.
func mulDiv(a, b, c int64, up bool) (int64, bool) {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi >= uint64(c) {
		return 0, false
	}
	q, r := bits.Div64(hi, lo, uint64(c))
	if up && r != 0 {
		q++
	}
	if q > 1<<63-1 {
		return 0, false
	}
	return int64(q), true
}
