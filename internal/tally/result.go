package tally

import (
	"encoding/json"
	"fmt"
)

// Result is the outcome of a count. Its JSON is exactly the result schema of
// proof.md (tally.md §6). Method-specific fields are nil for the other
// methods and are then left out of the JSON; an empty but non-nil slice or
// map is written as [] or {}.
type Result struct {
	Weights    Weights
	Resolution []ResolutionRow // non-absent entries, sorted by voter (UTF-8 bytes)
	Carriers   []Carrier       // casting voters, sorted by voter
	QuorumMet  bool
	Winners    []string // in order; always written as a list

	// Totals is per option key: majority (yes, no, abstain), plurality and
	// approval (weight per option), irv (first round) and stv (first
	// preferences). Nil for schulze.
	Totals map[string]int64
	// Passed is set for majority only.
	Passed *bool
	// IRVRounds (irv) and STVRounds (stv) are both written under "rounds";
	// at most one is non-nil.
	IRVRounds []IRVRound
	STVRounds []STVRound
	// Pairwise (d), Paths (p) and Ranking are set for schulze only; the
	// matrices are in option order.
	Pairwise [][]int64
	Paths    [][]int64
	Ranking  [][]string
	// Budget holds the figures of a budget count (budget.md); nil for
	// the other methods. Its fields are written at the top level of the
	// result, its rounds under "rounds".
	Budget *BudgetResult
}

// BudgetResult is what a budget count adds to a result (budget.md,
// "Result"). Rationals are written "n/d" in lowest terms, "n" when whole.
type BudgetResult struct {
	Spent  int64
	Left   int64
	Rounds []BudgetRound
	// Endowment, Add1Steps and Payments are set for rule mes only
	// (Endowment "" otherwise).
	Endowment string
	Add1Steps int
	Payments  []Payment
	// Comparison is set when the ballot asks for the greedy comparison.
	Comparison *Comparison
}

// BudgetRound is one selected project: by "mes" (with the price q per unit
// of weight and its effective vote count cost/q) or by "greedy".
type BudgetRound struct {
	Key            string `json:"key"`
	By             string `json:"by"`
	Q              string `json:"q,omitempty"`
	EffectiveVotes string `json:"effective_votes,omitempty"`
}

// Payment is one casting voter's share of the budget in the final MES run
// and what it paid for, by option key (non-zero payments only).
type Payment struct {
	Voter     string            `json:"voter"`
	Endowment string            `json:"endowment"`
	Spent     string            `json:"spent"`
	Paid      map[string]string `json:"paid"`
}

// Comparison is the greedy comparison of a mes count: the weight of the
// voters who approve more projects of each outcome, and the one used.
type Comparison struct {
	PreferGreedy int64  `json:"prefer_greedy"`
	PreferMES    int64  `json:"prefer_mes"`
	Used         string `json:"used"`
}

// Weights holds the weight figures of tally.md §3.
type Weights struct {
	Eligible      int64 `json:"eligible"`
	Direct        int64 `json:"direct"`
	Delegated     int64 `json:"delegated"`
	Participating int64 `json:"participating"`
	Lost          int64 `json:"lost"`
	Absent        int64 `json:"absent"`
	MaxWeight     int64 `json:"max_weight"`
}

// ResolutionRow is one non-absent electorate entry of a result. Via, To and
// Hops are set only when State is StateDelegated.
type ResolutionRow struct {
	Voter string `json:"voter"`
	State State  `json:"state"`
	Via   string `json:"via,omitempty"`
	To    string `json:"to,omitempty"`
	Hops  int    `json:"hops,omitempty"`
}

// Carrier is a casting voter and the weight W(c) its choice counts with.
type Carrier struct {
	Voter  string `json:"voter"`
	Weight int64  `json:"weight"`
}

// IRVRound is one instant-runoff round. Totals holds the continuing options
// only. Eliminated and Elected are option keys, "" (JSON null) when not
// applicable.
type IRVRound struct {
	Totals     map[string]int64
	Exhausted  int64
	Eliminated string
	Elected    string
}

type irvRoundJSON struct {
	Totals     map[string]int64 `json:"totals"`
	Exhausted  int64            `json:"exhausted"`
	Eliminated *string          `json:"eliminated"`
	Elected    *string          `json:"elected"`
}

// MarshalJSON writes an empty Eliminated or Elected as null.
func (r IRVRound) MarshalJSON() ([]byte, error) {
	return json.Marshal(irvRoundJSON{
		Totals:     nonNilMap(r.Totals),
		Exhausted:  r.Exhausted,
		Eliminated: nullable(r.Eliminated),
		Elected:    nullable(r.Elected),
	})
}

// UnmarshalJSON reads null as "".
func (r *IRVRound) UnmarshalJSON(b []byte) error {
	var j irvRoundJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*r = IRVRound{Totals: j.Totals, Exhausted: j.Exhausted, Eliminated: deref(j.Eliminated), Elected: deref(j.Elected)}
	return nil
}

// STVRound is one STV round (meek) or stage (scottish). Decimal figures are
// strings with the rule's digits. Subject is "" (JSON null) when the round
// has none.
type STVRound struct {
	Quota      string
	Exhausted  string
	Candidates map[string]STVCandidate // by option key
	Elected    []string                // newly elected, in order
	Defeated   []string                // newly defeated
	Action     string
	Subject    string
}

// STVCandidate is one candidate's figures in an STV round. Keep is the
// keep factor (meek only; "" and left out of the JSON for scottish).
type STVCandidate struct {
	Vote  string `json:"vote"`
	Keep  string `json:"keep,omitempty"`
	State string `json:"state"`
}

type stvRoundJSON struct {
	Quota      string                  `json:"quota"`
	Exhausted  string                  `json:"exhausted"`
	Candidates map[string]STVCandidate `json:"candidates"`
	Elected    []string                `json:"elected"`
	Defeated   []string                `json:"defeated"`
	Action     string                  `json:"action"`
	Subject    *string                 `json:"subject"`
}

// MarshalJSON writes nil lists as [] and an empty Subject as null.
func (r STVRound) MarshalJSON() ([]byte, error) {
	return json.Marshal(stvRoundJSON{
		Quota:      r.Quota,
		Exhausted:  r.Exhausted,
		Candidates: nonNilMap(r.Candidates),
		Elected:    nonNil(r.Elected),
		Defeated:   nonNil(r.Defeated),
		Action:     r.Action,
		Subject:    nullable(r.Subject),
	})
}

// UnmarshalJSON reads null as "".
func (r *STVRound) UnmarshalJSON(b []byte) error {
	var j stvRoundJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*r = STVRound{Quota: j.Quota, Exhausted: j.Exhausted, Candidates: j.Candidates,
		Elected: j.Elected, Defeated: j.Defeated, Action: j.Action, Subject: deref(j.Subject)}
	return nil
}

// resultJSON fixes the key set of a result; omitzero leaves out exactly the
// nil (not applicable) fields.
type resultJSON struct {
	Weights    Weights          `json:"weights"`
	Resolution []ResolutionRow  `json:"resolution"`
	Carriers   []Carrier        `json:"carriers"`
	QuorumMet  bool             `json:"quorum_met"`
	Totals     map[string]int64 `json:"totals,omitzero"`
	Passed     *bool            `json:"passed,omitzero"`
	Rounds     json.RawMessage  `json:"rounds,omitzero"`
	Pairwise   [][]int64        `json:"pairwise,omitzero"`
	Paths      [][]int64        `json:"paths,omitzero"`
	Ranking    [][]string       `json:"ranking,omitzero"`
	Winners    []string         `json:"winners"`
	Spent      *int64           `json:"spent,omitzero"`
	Left       *int64           `json:"left,omitzero"`
	Endowment  string           `json:"endowment,omitzero"`
	Add1Steps  *int             `json:"add1_steps,omitzero"`
	Payments   []Payment        `json:"payments,omitzero"`
	Comparison *Comparison      `json:"comparison,omitzero"`
}

// MarshalJSON writes the result schema of proof.md.
func (r Result) MarshalJSON() ([]byte, error) {
	j := resultJSON{
		Weights:    r.Weights,
		Resolution: nonNil(r.Resolution),
		Carriers:   nonNil(r.Carriers),
		QuorumMet:  r.QuorumMet,
		Totals:     r.Totals,
		Passed:     r.Passed,
		Pairwise:   r.Pairwise,
		Paths:      r.Paths,
		Ranking:    r.Ranking,
		Winners:    nonNil(r.Winners),
	}
	var err error
	if b := r.Budget; b != nil {
		j.Spent, j.Left, j.Comparison = &b.Spent, &b.Left, b.Comparison
		if b.Endowment != "" {
			j.Endowment, j.Add1Steps = b.Endowment, &b.Add1Steps
			j.Payments = nonNil(b.Payments)
			for i := range j.Payments {
				j.Payments[i].Paid = nonNilMap(j.Payments[i].Paid)
			}
		}
		if r.IRVRounds != nil || r.STVRounds != nil {
			return nil, fmt.Errorf("tally: marshal result: budget with irv or stv rounds")
		}
		j.Rounds, err = json.Marshal(nonNil(b.Rounds))
	}
	switch {
	case r.IRVRounds != nil && r.STVRounds != nil:
		return nil, fmt.Errorf("tally: marshal result: both irv and stv rounds set")
	case r.IRVRounds != nil:
		j.Rounds, err = json.Marshal(r.IRVRounds)
	case r.STVRounds != nil:
		j.Rounds, err = json.Marshal(r.STVRounds)
	}
	if err != nil {
		return nil, fmt.Errorf("tally: marshal rounds: %w", err)
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads the result schema of proof.md. A result with "spent"
// is a budget result; otherwise rounds whose entries carry a "quota" are
// STV rounds, any others IRV rounds; an empty list (no votes) is read as
// empty IRVRounds, which marshals identically.
func (r *Result) UnmarshalJSON(b []byte) error {
	var j resultJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("tally: unmarshal result: %w", err)
	}
	*r = Result{
		Weights:    j.Weights,
		Resolution: j.Resolution,
		Carriers:   j.Carriers,
		QuorumMet:  j.QuorumMet,
		Winners:    j.Winners,
		Totals:     j.Totals,
		Passed:     j.Passed,
		Pairwise:   j.Pairwise,
		Paths:      j.Paths,
		Ranking:    j.Ranking,
	}
	if j.Spent != nil {
		b := &BudgetResult{Spent: *j.Spent, Comparison: j.Comparison, Endowment: j.Endowment, Payments: j.Payments}
		if j.Left != nil {
			b.Left = *j.Left
		}
		if j.Add1Steps != nil {
			b.Add1Steps = *j.Add1Steps
		}
		if err := json.Unmarshal(j.Rounds, &b.Rounds); err != nil {
			return fmt.Errorf("tally: unmarshal budget rounds: %w", err)
		}
		r.Budget = b
		return nil
	}
	if j.Rounds == nil || string(j.Rounds) == "null" {
		return nil
	}
	var probe []struct {
		Quota *string `json:"quota"`
	}
	if err := json.Unmarshal(j.Rounds, &probe); err != nil {
		return fmt.Errorf("tally: unmarshal rounds: %w", err)
	}
	var err error
	if len(probe) > 0 && probe[0].Quota != nil {
		err = json.Unmarshal(j.Rounds, &r.STVRounds)
	} else {
		r.IRVRounds = []IRVRound{}
		err = json.Unmarshal(j.Rounds, &r.IRVRounds)
	}
	if err != nil {
		return fmt.Errorf("tally: unmarshal rounds: %w", err)
	}
	return nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func nonNilMap[K comparable, V any](m map[K]V) map[K]V {
	if m == nil {
		return map[K]V{}
	}
	return m
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
