// Package stv counts single transferable vote elections (tally.md §4.6)
// with exact fixed-point arithmetic. It is pure: standard library only.
package stv

import "errors"

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
	TieOrder []int
}

// Round is one reported round (meek) or stage (scottish). Decimal values
// are strings with the rule's digits (9 for meek, 5 for scottish).
type Round struct {
	Quota     string
	Exhausted string
	Votes     []string // per candidate
	Keep      []string // per candidate, meek only (nil for scottish)
	States    []string // per candidate: hopeful, elected, defeated
	Elected   []int    // candidates elected in this round, in order
	Defeated  []int    // candidates defeated in this round
	Action    string   // scottish: "first", "surplus", "exclusion"; meek: "count"
	Subject   int      // scottish: whose surplus moved or who was excluded, else -1
}

// Result lists every round and the winners in order of election.
type Result struct {
	Rounds  []Round
	Winners []int
}

// ErrNotImplemented is returned until the rule is written.
var ErrNotImplemented = errors.New("stv: rule not implemented")

// Meek counts by the PR Foundation's reference Meek rule.
func Meek(e Election) (Result, error) { return Result{}, ErrNotImplemented }

// Scottish counts by the Scottish local-government rules (SSI 2007/42).
func Scottish(e Election) (Result, error) { return Result{}, ErrNotImplemented }
