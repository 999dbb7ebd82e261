package clog

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"testing"

	"koinon/internal/proof"
	"koinon/internal/statement"
)

// citizenLog builds the entries of one citizen, ann: she registers, votes
// on b1 (a commitment while b1 is open), then withdraws; the opening comes
// last, at close.
func citizenLog(t *testing.T) (entries []Entry, opening Entry) {
	t.Helper()
	key := ed25519.NewKeyFromSeed(seed(1))
	pub := key.Public().(ed25519.PublicKey)
	id := proof.KeyID(pub)
	prev := ""
	mk := func(kind statement.Kind, scope, content string, minute byte) *statement.Envelope {
		e, err := statement.Sign(statement.Statement{Format: statement.Format, Kind: kind, Community: "parks",
			Scope: scope, Content: []byte(content), Prev: prev, At: "2026-12-05T10:0" + string('0'+minute) + ":00Z", Key: id}, key, nil, false)
		if err != nil {
			t.Fatal(err)
		}
		prev = e.Hash().String()
		return e
	}
	reg := mk(statement.KeyRegister, statement.ScopeCommunity,
		`{"citizen":"ann","custodial":false,"old_key":"","public_key":"`+base64.StdEncoding.EncodeToString(pub)+`"}`, 0)
	vote := mk(statement.Vote, statement.BallotScope("b1"), `{"choice":"yes"}`, 1)
	withdraw := mk(statement.VoteWithdraw, statement.BallotScope("b1"), `{}`, 2)
	o, c, err := statement.Open(bytes.Repeat([]byte{9}, statement.NonceSize), vote)
	if err != nil {
		t.Fatal(err)
	}
	ce, _ := CommitmentEntry(vote, c)
	oe, err := OpeningEntry(o, c)
	if err != nil {
		t.Fatal(err)
	}
	return []Entry{StatementEntry(reg), ce, StatementEntry(withdraw)}, oe
}

func TestCheckStatements(t *testing.T) {
	live, opening := citizenLog(t)
	unopened, err := CheckStatements(live, statement.NewState("parks", nil))
	if err != nil || len(unopened) != 1 || unopened[0] != 1 {
		t.Fatalf("live log: unopened %v, %v; want [1]", unopened, err)
	}
	closed := append(live[:3:3], opening)
	if unopened, err := CheckStatements(closed, statement.NewState("parks", nil)); err != nil || len(unopened) != 0 {
		t.Fatalf("closed log: unopened %v, %v", unopened, err)
	}

	otherKey := live[1]
	otherKey.Key = "0123456789abcdef"
	otherBallot := live[1]
	otherBallot.Ballot = "b2"
	for name, tc := range map[string]struct {
		entries []Entry
		want    error
	}{
		"opening before its commitment": {[]Entry{live[0], opening, live[1], live[2]}, ErrOpening},
		"opened twice":                  {append(closed[:4:4], opening), ErrOpening},
		"commitment names another key":  {[]Entry{live[0], otherKey, live[2], opening}, ErrOpening},
		"commitment on another ballot":  {[]Entry{live[0], otherBallot, live[2], opening}, ErrOpening},
		"dropped vote, closed log":      {[]Entry{live[0], live[2]}, statement.ErrBrokenChain},
		"withdrawal before the vote":    {[]Entry{live[0], live[2], live[1], opening}, statement.ErrBrokenChain},
	} {
		if _, err := CheckStatements(tc.entries, statement.NewState("parks", nil)); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
}
