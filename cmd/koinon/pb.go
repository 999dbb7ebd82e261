package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"koinon/internal/pabulib"
	"koinon/internal/tally"
)

type pbOptions struct {
	rule, completion, tiebreak string
	exhaustiveStop, compare    bool
}

// pbDocument turns a pabulib .pb file into a tally document of method
// budget (budget.md, "Files from other software"): each project becomes an
// option keyed by its project id, each voter an electorate entry of weight
// 1 with its approvals as the vote. It also returns the tie-break order
// when the file order is asked for (nil for the hash order) and a phrase
// saying which order the count uses.
func pbDocument(data []byte, o pbOptions) ([]byte, []string, string, error) {
	f, err := pabulib.Parse(bytes.NewReader(data))
	if err != nil {
		return nil, nil, "", err
	}
	if o.rule != "mes" && o.rule != "greedy" {
		return nil, nil, "", fmt.Errorf("--rule: want mes or greedy, not %q", o.rule)
	}
	if o.completion != "add1" && o.completion != "add1+greedy" && o.completion != "none" {
		return nil, nil, "", fmt.Errorf("--completion: want add1, add1+greedy or none, not %q", o.completion)
	}
	if o.tiebreak != "hash" && o.tiebreak != "file" {
		return nil, nil, "", fmt.Errorf("--tiebreak: want hash or file, not %q", o.tiebreak)
	}
	budget, _ := f.Budget() // Parse checked it
	sum := sha256.Sum256(data)
	currency := f.Get("currency")
	b := docBallot{
		ID:         "pb-" + hex.EncodeToString(sum[:6]),
		Title:      f.Get("description"),
		Community:  "pabulib",
		Method:     "budget",
		Budget:     &budget,
		Currency:   &currency,
		BudgetRule: o.rule,
		Secrecy:    "public",
		OpensAt:    "1970-01-01T00:00:00Z", // the file's dates are not in RFC 3339
		ClosesAt:   "1970-01-01T00:00:00Z",
	}
	if o.rule == "mes" {
		b.Completion, b.ExhaustiveStop, b.CompareWithGreedy = o.completion, &o.exhaustiveStop, o.compare
	}
	order := make([]string, 0, len(f.Projects))
	for _, p := range f.Projects {
		if !tally.ValidKey(p.ID) {
			return nil, nil, "", fmt.Errorf("project id %q is not an option key ([a-z0-9-]{1,64})", p.ID)
		}
		b.Options = append(b.Options, docOption{Key: p.ID, Label: p.Name, Cost: p.Cost})
		order = append(order, p.ID)
	}
	electorate := make([]docEntry, len(f.Votes))
	votes := make([]docVote, len(f.Votes))
	for i, v := range f.Votes {
		electorate[i] = docEntry{Voter: v.Voter, Weight: 1, Delegates: []string{}}
		votes[i] = docVote{Voter: v.Voter, Choice: v.Projects}
	}
	doc, err := marshalDocument(b, electorate, votes)
	if err != nil {
		return nil, nil, "", err
	}
	if o.tiebreak == "hash" {
		return doc, nil, "hash of the votes root (tally.md §5)", nil
	}
	return doc, order, "the file's project order", nil
}
