package clog

import (
	"errors"
	"fmt"

	"koinon/internal/statement"
)

// ErrOpening is an opening that does not belong to a commitment earlier in
// the log: none, another key's or ballot's, or a second opening.
var ErrOpening = errors.New("clog: opening without its commitment")

// CheckStatements runs the entries of a log, in order, through st (which
// checks every signature, key and chain; see statement.State). An opened
// vote is checked at its commitment's position, where it took effect; a
// commitment not yet opened (a live ballot) hides the vote (State.Hide); their
// indexes are returned, so that a verifier after close can insist there are
// none for a closed ballot. It stops at the first failure, naming the
// entry's index.
func CheckStatements(entries []Entry, st *statement.State) (unopened []int, err error) {
	return CheckStatementsAt(entries, nil, st)
}

// CheckStatementsAt is CheckStatements for some entries of a log (one
// citizen's or a proof's): index[i] is the log index of entries[i], which
// errors name; nil means entries is the log from index 0. unopened holds
// positions in entries.
func CheckStatementsAt(entries []Entry, index []int64, st *statement.State) (unopened []int, err error) {
	at := func(i int) int64 {
		if index == nil {
			return int64(i)
		}
		return index[i]
	}
	envs := make([]*statement.Envelope, len(entries))
	for i, e := range entries {
		envs[i] = e.Envelope
	}
	statement.Preverify(envs)
	opened := map[string]int{} // commitment → position of its opening
	for i, e := range entries {
		if e.Type != TypeOpening {
			continue
		}
		if _, dup := opened[e.Commitment]; dup {
			return nil, fmt.Errorf("entry %d: %w: commitment %s opened twice", at(i), ErrOpening, e.Commitment)
		}
		opened[e.Commitment] = i
	}
	committed := map[string]bool{}
	for i, e := range entries {
		switch e.Type {
		case TypeStatement:
			_, err = st.Accept(e.Envelope)
		case TypeCommitment:
			committed[e.Commitment] = true
			j, ok := opened[e.Commitment]
			if !ok {
				unopened = append(unopened, i)
				_, err = st.Hide(e.Key)
				break
			}
			v := entries[j].Envelope.Parsed()
			if ballot, _ := v.Ballot(); v.Key != e.Key || ballot != e.Ballot || v.Kind != statement.Vote {
				err = fmt.Errorf("%w: entry %d opens it with a %s by key %s on ballot %q", ErrOpening, at(j), v.Kind, v.Key, ballot)
				break
			}
			_, err = st.Accept(entries[j].Envelope)
		case TypeOpening:
			if !committed[e.Commitment] {
				err = fmt.Errorf("%w: commitment %s is not earlier in the log", ErrOpening, e.Commitment)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("entry %d: %w", at(i), err)
		}
	}
	return unopened, nil
}
