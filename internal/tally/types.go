package tally

// Option is one choice on a ballot: a key ([a-z0-9-]{1,64}) and a label;
// a project of a budget ballot also has a cost (≥ 1, in currency units).
type Option struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	Cost  int64  `json:"cost,omitempty"`
}

// Rational is an exact fraction n/d with d > 0, written "n/d" in documents.
type Rational struct {
	Num int64
	Den int64
}

// Ballot holds the counting parameters of tally.md §1.
type Ballot struct {
	Method     string // majority, plurality, approval, irv, schulze, stv, budget
	Options    []Option
	Seats      int    // ≥ 1
	STVRule    string // stv only: meek (default) or scottish
	Threshold  Rational
	Strict     bool
	Quorum     Rational
	Delegation bool
	Budget     BudgetRules // budget only
}

// BudgetRules are the parameters of a budget ballot (budget.md). Every
// field is explicit here: the callers apply the documented defaults.
type BudgetRules struct {
	Budget            int64  // ≥ 0, in currency units
	Rule              string // mes or greedy
	Completion        string // mes: add1, add1+greedy or none
	ExhaustiveStop    bool   // mes, add1: stop once the outcome is exhaustive
	CompareWithGreedy bool   // mes: take greedy's outcome if more weight prefers it
}

// Entry is one electorate row: a voter, its weight (≥ 1) and its effective
// ranked delegate list (tally.md §2).
type Entry struct {
	Voter     string   `json:"voter"`
	Weight    int64    `json:"weight"`
	Delegates []string `json:"delegates"`
}

// Choice is a decoded vote. Exactly one field is meaningful, by method:
// Word for majority ("yes", "no", "abstain") and plurality (an option key);
// Keys for approval and budget (a set) and irv/stv (a strict ranking); Groups for
// schulze (a ranking of tied groups, best first).
type Choice struct {
	Word   string
	Keys   []string
	Groups [][]string
}

// Vote is one casting voter's choice.
type Vote struct {
	Voter  string
	Choice Choice
}

// Input is everything a count depends on (tally.md §1).
type Input struct {
	Ballot     Ballot
	Electorate []Entry
	Votes      []Vote
	Tiebreak   []string // a permutation of the option keys; earlier wins a tie
}
