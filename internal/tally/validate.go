package tally

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// Methods lists the counting methods of tally.md §4.
var Methods = []string{"majority", "plurality", "approval", "irv", "schulze", "stv", "budget"}

// maxOptions bounds a ballot's options (Schulze is cubic in them).
const maxOptions = 1000

// maxTotalWeight keeps every sum of weights exact in JSON (2^53 − 1).
const maxTotalWeight = 1<<53 - 1

// FieldError is a validation error about one field of an input, named by a
// JSON path such as "votes[3].choice" or "electorate[2].weight".
type FieldError struct {
	Field   string
	Message string // in English
	// Rule names the broken rule when it is one of Rules (a ballot's
	// settings, which people type), and Args fill its text.
	Rule string
	Args []any
}

func (e *FieldError) Error() string { return "tally: " + e.Field + ": " + e.Message }

func fieldErr(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// Rules are the ballot-setting rules by name, with their English text; the
// web layer words them in the reader's language by name.
var Rules = map[string]string{
	"seats_min":     "seats must be at least 1, got %d",
	"seats_one":     "%s elects one winner, got %d seats",
	"seats_options": "%d seats for %d options",
	"fraction":      "%s is not a fraction between 0/1 and 1/1",
}

// ruleErr is a FieldError for one of Rules.
func ruleErr(field, rule string, args ...any) *FieldError {
	e := fieldErr(field, Rules[rule], args...)
	e.Rule, e.Args = rule, args
	return e
}

func isMethod(m string) bool {
	for _, k := range Methods {
		if k == m {
			return true
		}
	}
	return false
}

// ValidKey reports whether k is an option key: it matches [a-z0-9-]{1,64}
// (spec §1).
func ValidKey(k string) bool {
	if len(k) == 0 || len(k) > 64 {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// ValidateBallot checks a ballot's parameters and options.
func ValidateBallot(b Ballot) error {
	_, err := ballotKeys(b)
	return err
}

// ballotKeys validates b and returns its option index by key.
func ballotKeys(b Ballot) (map[string]int, error) {
	if !isMethod(b.Method) {
		return nil, fieldErr("ballot.method", "unknown method %s", Quote(b.Method))
	}
	if len(b.Options) == 0 || len(b.Options) > maxOptions {
		return nil, fieldErr("ballot.options", "%d options, want 1 to %d", len(b.Options), maxOptions)
	}
	keys := make(map[string]int, len(b.Options))
	for i, o := range b.Options {
		f := "ballot.options[" + strconv.Itoa(i) + "].key"
		if !ValidKey(o.Key) {
			return nil, fieldErr(f, "key %s does not match [a-z0-9-]{1,64}", Quote(o.Key))
		}
		if _, dup := keys[o.Key]; dup {
			return nil, fieldErr(f, "duplicate option key %s", Quote(o.Key))
		}
		keys[o.Key] = i
		if o.Cost != 0 && b.Method != "budget" {
			return nil, fieldErr("ballot.options["+strconv.Itoa(i)+"].cost", "only budget ballots have costs")
		}
	}
	if b.Method == "budget" {
		if err := checkBudget(b); err != nil {
			return nil, err
		}
	}
	if b.Method == "majority" {
		_, y := keys["yes"]
		_, n := keys["no"]
		_, a := keys["abstain"]
		if len(keys) != 3 || !y || !n || !a {
			return nil, fieldErr("ballot.options", "a majority ballot has exactly the options yes, no and abstain")
		}
	}
	switch {
	case b.Seats < 1:
		return nil, ruleErr("ballot.seats", "seats_min", b.Seats)
	case (b.Method == "majority" || b.Method == "irv") && b.Seats != 1:
		return nil, ruleErr("ballot.seats", "seats_one", b.Method, b.Seats)
	case b.Seats > len(b.Options):
		return nil, ruleErr("ballot.seats", "seats_options", b.Seats, len(b.Options))
	}
	if b.STVRule != "" && b.STVRule != "meek" && b.STVRule != "scottish" {
		return nil, fieldErr("ballot.stv_rule", "unknown stv rule %s (want meek or scottish)", Quote(b.STVRule))
	}
	if err := checkFraction("ballot.threshold", b.Threshold); err != nil {
		return nil, err
	}
	if err := checkFraction("ballot.quorum", b.Quorum); err != nil {
		return nil, err
	}
	return keys, nil
}

// checkBudget checks the costs and rules of a budget ballot (budget.md).
// Costs and budget stay below 2^53 together, so that every sum of them is
// exact in int64 and in JSON.
func checkBudget(b Ballot) error {
	var total int64
	for i, o := range b.Options {
		if o.Cost < 1 || o.Cost > maxTotalWeight-total {
			return fieldErr("ballot.options["+strconv.Itoa(i)+"].cost", "cost must be a positive integer, and all costs together below 2^53, got %d", o.Cost)
		}
		total += o.Cost
	}
	r := b.Budget
	if r.Budget < 0 || r.Budget > maxTotalWeight {
		return fieldErr("ballot.budget", "budget must be an integer from 0 to 2^53-1, got %d", r.Budget)
	}
	switch r.Rule {
	case "mes":
		if r.Completion != "add1" && r.Completion != "add1+greedy" && r.Completion != "none" {
			return fieldErr("ballot.completion", "unknown completion %q (want add1, add1+greedy or none)", r.Completion)
		}
	case "greedy":
		if r.Completion != "" || r.ExhaustiveStop || r.CompareWithGreedy {
			return fieldErr("ballot.budget_rule", "completion, exhaustive_stop and compare_with_greedy are for rule mes only")
		}
	default:
		return fieldErr("ballot.budget_rule", "unknown budget rule %q (want mes or greedy)", r.Rule)
	}
	return nil
}

// checkFraction requires 0 ≤ r ≤ 1 with a positive denominator.
func checkFraction(field string, r Rational) error {
	if r.Den < 1 || r.Num < 0 || r.Num > r.Den {
		return ruleErr(field, "fraction", r.String())
	}
	return nil
}

// ValidateChoice checks that c fits the method and options of b (tally.md
// §4); the web layer calls it before accepting a vote. The error is a
// *FieldError whose Field starts with "choice".
func ValidateChoice(b Ballot, c Choice) error {
	keys, err := ballotKeys(b)
	if err != nil {
		return err
	}
	if err := checkChoice(b.Method, keys, c, make([]bool, len(b.Options))); err != nil {
		return err
	}
	return nil
}

// checkChoice validates c; seen is scratch space of one flag per option and
// is left all false.
func checkChoice(method string, keys map[string]int, c Choice, seen []bool) *FieldError {
	switch method {
	case "majority", "plurality":
		if c.Keys != nil || c.Groups != nil {
			return fieldErr("choice", "%s takes one word, not a list", method)
		}
		if method == "majority" {
			if c.Word != "yes" && c.Word != "no" && c.Word != "abstain" {
				return fieldErr("choice", "%s is not yes, no or abstain", Quote(c.Word))
			}
			return nil
		}
		if _, ok := keys[c.Word]; !ok {
			return fieldErr("choice", "unknown option %s", Quote(c.Word))
		}
		return nil
	case "approval", "budget", "irv", "stv":
		if c.Word != "" || c.Groups != nil {
			return fieldErr("choice", "%s takes a list of option keys", method)
		}
		return checkKeys("choice", -1, keys, c.Keys, seen, true)
	case "schulze":
		if c.Word != "" || c.Keys != nil {
			return fieldErr("choice", "schulze takes a list of groups of option keys")
		}
		var err *FieldError
		for i, g := range c.Groups {
			if len(g) == 0 {
				err = fieldErr(groupField("choice", i), "empty group")
				break
			}
			if err = checkKeys("choice", i, keys, g, seen, false); err != nil {
				break
			}
		}
		for _, g := range c.Groups {
			clearSeen(keys, g, seen)
		}
		return err
	}
	return fieldErr("ballot.method", "unknown method %s", Quote(method))
}

// groupField returns field[group], or field when group < 0.
func groupField(field string, group int) string {
	if group < 0 {
		return field
	}
	return field + "[" + strconv.Itoa(group) + "]"
}

// checkKeys checks that every key is an option not seen before and marks
// it seen; reset clears the marks again before returning. The list is
// field[group] (just field when group < 0); the name is only built for an
// error.
func checkKeys(field string, group int, keys map[string]int, list []string, seen []bool, reset bool) *FieldError {
	var err *FieldError
	for i, k := range list {
		j, ok := keys[k]
		if !ok {
			err = fieldErr(groupField(field, group)+"["+strconv.Itoa(i)+"]", "unknown option %s", Quote(k))
			break
		}
		if seen[j] {
			err = fieldErr(groupField(field, group)+"["+strconv.Itoa(i)+"]", "option %s listed twice", Quote(k))
			break
		}
		seen[j] = true
	}
	if reset {
		clearSeen(keys, list, seen)
	}
	return err
}

func clearSeen(keys map[string]int, list []string, seen []bool) {
	for _, k := range list {
		if j, ok := keys[k]; ok {
			seen[j] = false
		}
	}
}

// Validate checks an input against tally.md §1 and §4. Its error is a
// *FieldError naming the first offending field.
func Validate(in Input) error {
	_, _, err := validate(in)
	return err
}

// validate is Validate; for a valid input it also returns the option index
// by key and what resolution needs (the voter index it builds to find
// repeated voters, and the position of every vote's voter). On the happy
// path it allocates per input, not per entry: field names are built only
// for an error.
func validate(in Input) (map[string]int, prepared, error) {
	return validateInput(in, true)
}

// validateInput is validate; choices are checked only when checkChoices
// is set (CountAggregated ignores them).
func validateInput(in Input, checkChoices bool) (map[string]int, prepared, error) {
	keys, err := ballotKeys(in.Ballot)
	if err != nil {
		return nil, prepared{}, err
	}
	el := in.Electorate
	p := prepared{index: makeVoterIndex(el)}
	var total int64
	var st stage
	for lo := 0; lo < len(el); lo += batch {
		hi := min(lo+batch, len(el))
		p.index.stage(&st, lo, hi)
		for i := lo; i < hi; i++ {
			e := &el[i]
			if e.Voter == "" {
				return nil, prepared{}, fieldErr(entryField(i, "voter"), "empty voter id")
			}
			if p.index.add(&st, i-lo, int32(i)) >= 0 {
				return nil, prepared{}, fieldErr(entryField(i, "voter"), "duplicate voter %q", e.Voter)
			}
			if e.Weight <= 0 {
				return nil, prepared{}, fieldErr(entryField(i, "weight"), "weight must be at least 1, got %d", e.Weight)
			}
			if e.Weight > maxTotalWeight-total {
				return nil, prepared{}, fieldErr(entryField(i, "weight"), "total weight exceeds 2^53-1")
			}
			total += e.Weight
			p.delegates += len(e.Delegates)
		}
	}
	var seen map[string]struct{} // for long lists only, reused
	for i := range el {
		e := &el[i]
		if len(e.Delegates) == 0 {
			continue
		}
		if err := checkDelegates(i, e, &seen); err != nil {
			return nil, prepared{}, err
		}
	}
	p.votePos = make([]int32, len(in.Votes))
	p.lookupVotes(in.Votes)
	voted := make([]bool, len(el))
	scratch := make([]bool, len(in.Ballot.Options))
	for i := range in.Votes {
		v := &in.Votes[i]
		j := p.votePos[i]
		if j < 0 {
			return nil, prepared{}, fieldErr(voteField(i, "voter"), "voter %q is not in the electorate", v.Voter)
		}
		if voted[j] {
			return nil, prepared{}, fieldErr(voteField(i, "voter"), "second vote by %q", v.Voter)
		}
		voted[j] = true
		if !checkChoices {
			continue
		}
		if err := checkChoice(in.Ballot.Method, keys, v.Choice, scratch); err != nil {
			err.Field = voteField(i, err.Field)
			return nil, prepared{}, err
		}
	}
	if len(in.Tiebreak) != len(in.Ballot.Options) {
		return nil, prepared{}, fieldErr("tiebreak", "%d keys for %d options", len(in.Tiebreak), len(in.Ballot.Options))
	}
	if err := checkKeys("tiebreak", -1, keys, in.Tiebreak, scratch, true); err != nil {
		return nil, prepared{}, err
	}
	return keys, p, nil
}

// shortList is the longest delegate list checked for repeats pairwise;
// longer ones go through a set.
const shortList = 16

// checkDelegates checks electorate entry i's delegate list: no voter
// naming itself, no repeats. seen is a set kept for long lists.
func checkDelegates(i int, e *Entry, seen *map[string]struct{}) *FieldError {
	ds := e.Delegates
	long := len(ds) > shortList
	if long {
		if *seen == nil {
			*seen = make(map[string]struct{}, len(ds))
		}
		clear(*seen)
	}
	for j, d := range ds {
		if d == e.Voter {
			return fieldErr(delegateField(i, j), "voter %q delegates to itself", d)
		}
		repeat := false
		if long {
			_, repeat = (*seen)[d]
			(*seen)[d] = struct{}{}
		} else {
			for _, prev := range ds[:j] {
				if prev == d {
					repeat = true
					break
				}
			}
		}
		if repeat {
			return fieldErr(delegateField(i, j), "delegate %q listed twice", d)
		}
	}
	return nil
}

func entryField(i int, field string) string {
	return "electorate[" + strconv.Itoa(i) + "]." + field
}

func delegateField(i, j int) string {
	return "electorate[" + strconv.Itoa(i) + "].delegates[" + strconv.Itoa(j) + "]"
}

func voteField(i int, field string) string {
	return "votes[" + strconv.Itoa(i) + "]." + field
}

// DecodeChoice reads a choice as documents write it for method (tally.md
// §4): a string for majority and plurality, a list of keys for approval,
// budget, irv and stv, a list of lists of keys for schulze. It checks the shape only;
// ValidateChoice checks the keys.
func DecodeChoice(method string, data []byte) (Choice, error) {
	var c Choice
	var err error
	switch method {
	case "majority", "plurality":
		err = decodeNonNull(data, &c.Word)
	case "approval", "budget", "irv", "stv":
		err = decodeNonNull(data, &c.Keys)
	case "schulze":
		err = decodeNonNull(data, &c.Groups)
	default:
		return Choice{}, fmt.Errorf("tally: decode choice: unknown method %q", method)
	}
	if err != nil {
		return Choice{}, fmt.Errorf("tally: decode %s choice: %w", method, err)
	}
	return c, nil
}

func decodeNonNull(data []byte, v any) error {
	if string(data) == "null" {
		return fmt.Errorf("choice is null")
	}
	return json.Unmarshal(data, v)
}

// EncodeChoice writes c as documents write it for method; DecodeChoice
// reads it back.
func EncodeChoice(method string, c Choice) ([]byte, error) {
	switch method {
	case "majority", "plurality":
		return json.Marshal(c.Word)
	case "approval", "budget", "irv", "stv":
		return json.Marshal(nonNil(c.Keys))
	case "schulze":
		return json.Marshal(nonNil(c.Groups))
	}
	return nil, fmt.Errorf("tally: encode choice: unknown method %q", method)
}
