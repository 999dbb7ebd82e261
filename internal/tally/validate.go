package tally

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// Methods lists the counting methods of tally.md §4.
var Methods = []string{"majority", "plurality", "approval", "irv", "schulze", "stv"}

// maxOptions bounds a ballot's options (Schulze is cubic in them).
const maxOptions = 1000

// maxTotalWeight keeps every sum of weights exact in JSON (2^53 − 1).
const maxTotalWeight = 1<<53 - 1

// FieldError is a validation error about one field of an input, named by a
// JSON path such as "votes[3].choice" or "electorate[2].weight".
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return "tally: " + e.Field + ": " + e.Message }

func fieldErr(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}

func isMethod(m string) bool {
	for _, k := range Methods {
		if k == m {
			return true
		}
	}
	return false
}

// validKey reports whether k matches [a-z0-9-]{1,64}.
func validKey(k string) bool {
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
		return nil, fieldErr("ballot.method", "unknown method %q", b.Method)
	}
	if len(b.Options) == 0 || len(b.Options) > maxOptions {
		return nil, fieldErr("ballot.options", "%d options, want 1 to %d", len(b.Options), maxOptions)
	}
	keys := make(map[string]int, len(b.Options))
	for i, o := range b.Options {
		f := "ballot.options[" + strconv.Itoa(i) + "].key"
		if !validKey(o.Key) {
			return nil, fieldErr(f, "key %q does not match [a-z0-9-]{1,64}", o.Key)
		}
		if _, dup := keys[o.Key]; dup {
			return nil, fieldErr(f, "duplicate option key %q", o.Key)
		}
		keys[o.Key] = i
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
		return nil, fieldErr("ballot.seats", "seats must be at least 1, got %d", b.Seats)
	case (b.Method == "majority" || b.Method == "irv") && b.Seats != 1:
		return nil, fieldErr("ballot.seats", "%s elects one winner, got %d seats", b.Method, b.Seats)
	case b.Seats > len(b.Options):
		return nil, fieldErr("ballot.seats", "%d seats for %d options", b.Seats, len(b.Options))
	}
	if b.STVRule != "" && b.STVRule != "meek" && b.STVRule != "scottish" {
		return nil, fieldErr("ballot.stv_rule", "unknown stv rule %q (want meek or scottish)", b.STVRule)
	}
	if err := checkFraction("ballot.threshold", b.Threshold); err != nil {
		return nil, err
	}
	if err := checkFraction("ballot.quorum", b.Quorum); err != nil {
		return nil, err
	}
	return keys, nil
}

// checkFraction requires 0 ≤ r ≤ 1 with a positive denominator.
func checkFraction(field string, r Rational) error {
	if r.Den < 1 || r.Num < 0 || r.Num > r.Den {
		return fieldErr(field, "%s is not a fraction between 0/1 and 1/1", r)
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
				return fieldErr("choice", "%q is not yes, no or abstain", c.Word)
			}
			return nil
		}
		if _, ok := keys[c.Word]; !ok {
			return fieldErr("choice", "unknown option %q", c.Word)
		}
		return nil
	case "approval", "irv", "stv":
		if c.Word != "" || c.Groups != nil {
			return fieldErr("choice", "%s takes a list of option keys", method)
		}
		return checkKeys("choice", keys, c.Keys, seen, true)
	case "schulze":
		if c.Word != "" || c.Keys != nil {
			return fieldErr("choice", "schulze takes a list of groups of option keys")
		}
		var err *FieldError
		for i, g := range c.Groups {
			f := "choice[" + strconv.Itoa(i) + "]"
			if len(g) == 0 {
				err = fieldErr(f, "empty group")
				break
			}
			if err = checkKeys(f, keys, g, seen, false); err != nil {
				break
			}
		}
		for _, g := range c.Groups {
			clearSeen(keys, g, seen)
		}
		return err
	}
	return fieldErr("ballot.method", "unknown method %q", method)
}

// checkKeys checks that every key is an option not seen before and marks
// it seen; reset clears the marks again before returning.
func checkKeys(field string, keys map[string]int, list []string, seen []bool, reset bool) *FieldError {
	var err *FieldError
	for i, k := range list {
		j, ok := keys[k]
		if !ok {
			err = fieldErr(field+"["+strconv.Itoa(i)+"]", "unknown option %q", k)
			break
		}
		if seen[j] {
			err = fieldErr(field+"["+strconv.Itoa(i)+"]", "option %q listed twice", k)
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
	keys, err := ballotKeys(in.Ballot)
	if err != nil {
		return err
	}
	voters := make(map[string]int, len(in.Electorate))
	var total int64
	for i, e := range in.Electorate {
		f := "electorate[" + strconv.Itoa(i) + "]"
		if e.Voter == "" {
			return fieldErr(f+".voter", "empty voter id")
		}
		if _, dup := voters[e.Voter]; dup {
			return fieldErr(f+".voter", "duplicate voter %q", e.Voter)
		}
		voters[e.Voter] = i
		if e.Weight <= 0 {
			return fieldErr(f+".weight", "weight must be at least 1, got %d", e.Weight)
		}
		if e.Weight > maxTotalWeight-total {
			return fieldErr(f+".weight", "total weight exceeds 2^53-1")
		}
		total += e.Weight
	}
	for i, e := range in.Electorate {
		if len(e.Delegates) == 0 {
			continue
		}
		seen := make(map[string]bool, len(e.Delegates))
		for j, d := range e.Delegates {
			f := "electorate[" + strconv.Itoa(i) + "].delegates[" + strconv.Itoa(j) + "]"
			if d == e.Voter {
				return fieldErr(f, "voter %q delegates to itself", d)
			}
			if seen[d] {
				return fieldErr(f, "delegate %q listed twice", d)
			}
			seen[d] = true
		}
	}
	voted := make([]bool, len(in.Electorate))
	scratch := make([]bool, len(in.Ballot.Options))
	for i, v := range in.Votes {
		f := "votes[" + strconv.Itoa(i) + "]"
		j, ok := voters[v.Voter]
		if !ok {
			return fieldErr(f+".voter", "voter %q is not in the electorate", v.Voter)
		}
		if voted[j] {
			return fieldErr(f+".voter", "second vote by %q", v.Voter)
		}
		voted[j] = true
		if err := checkChoice(in.Ballot.Method, keys, v.Choice, scratch); err != nil {
			err.Field = f + "." + err.Field
			return err
		}
	}
	if len(in.Tiebreak) != len(in.Ballot.Options) {
		return fieldErr("tiebreak", "%d keys for %d options", len(in.Tiebreak), len(in.Ballot.Options))
	}
	if err := checkKeys("tiebreak", keys, in.Tiebreak, scratch, true); err != nil {
		return err
	}
	return nil
}

// DecodeChoice reads a choice as documents write it for method (tally.md
// §4): a string for majority and plurality, a list of keys for approval, irv
// and stv, a list of lists of keys for schulze. It checks the shape only;
// ValidateChoice checks the keys.
func DecodeChoice(method string, data []byte) (Choice, error) {
	var c Choice
	var err error
	switch method {
	case "majority", "plurality":
		err = decodeNonNull(data, &c.Word)
	case "approval", "irv", "stv":
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
	case "approval", "irv", "stv":
		return json.Marshal(nonNil(c.Keys))
	case "schulze":
		return json.Marshal(nonNil(c.Groups))
	}
	return nil, fmt.Errorf("tally: encode choice: unknown method %q", method)
}
