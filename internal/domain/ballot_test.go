package domain

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestCanVote(t *testing.T) {
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, state string
		closesAt    time.Time
		code        string // empty: may vote
	}{
		{"open before its closing time takes votes", StateOpen, now.Add(time.Second), ""},
		{"a draft is not open yet", StateDraft, now.Add(time.Hour), "ballot_not_open"},
		{"a closed ballot is closed", StateClosed, now.Add(time.Hour), "ballot_closed"},
		{"open at its closing time is being closed", StateOpen, now, "ballot_closed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CanVote(tc.state, tc.closesAt, now)
			var se *StateError
			switch {
			case tc.code == "" && err != nil:
				t.Errorf("CanVote() = %v, want nil", err)
			case tc.code != "" && (!errors.As(err, &se) || se.Code != tc.code):
				t.Errorf("CanVote() = %v, want a StateError %s", err, tc.code)
			}
		})
	}
}

func TestNewBallotLookups(t *testing.T) {
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	one := int64(7)
	broken := errors.New("connection reset")
	look := func(err error) BallotLookup {
		return BallotLookup{
			Proposals: func([]int64) ([]ProposalRef, error) { return nil, err },
			Topic:     func(string) (int64, error) { return 0, err },
		}
	}
	for _, tc := range []struct {
		name    string
		req     BallotRequest
		lookErr error
		field   string // the *Invalid field; empty: want lookErr itself
	}{
		{"a missing proposal is a field error", BallotRequest{Proposal: &one}, fmt.Errorf("proposal 7: %w", ErrNotFound), "proposal"},
		{"missing competing proposals are a field error", BallotRequest{Proposals: []int64{1, 2}}, ErrNotFound, "proposals"},
		{"a failed proposal read is not a field error", BallotRequest{Proposal: &one}, broken, ""},
		{"a missing topic is a field error", BallotRequest{Title: "T", Topic: "parks"}, ErrNotFound, "topic"},
		{"a failed topic read is not a field error", BallotRequest{Title: "T", Topic: "parks"}, broken, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewBallot(tc.req, look(tc.lookErr), now)
			var inv *Invalid
			if tc.field == "" {
				if !errors.Is(err, broken) || errors.As(err, &inv) {
					t.Errorf("NewBallot() = %v, want the read error itself", err)
				}
				return
			}
			if !errors.As(err, &inv) || inv.Field != tc.field {
				t.Errorf("NewBallot() = %v, want an Invalid on %q", err, tc.field)
			}
		})
	}
}

func TestNewBallotDefaults(t *testing.T) {
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	b, err := NewBallot(BallotRequest{Title: " Budget ", Method: "majority", ClosesAt: "2030-02-01T00:00:00Z"}, BallotLookup{}, now)
	if err != nil {
		t.Fatal(err)
	}
	if b.Title != "Budget" || len(b.Options) != 3 || b.Options[0].Key != "yes" || b.Seats != 1 || b.Threshold != "1/2" ||
		b.Quorum != "0/1" || !b.Strict || !b.Delegation || b.Secrecy != "public" || !b.ClosesAt.Equal(now.Add(31*24*time.Hour-12*time.Hour)) {
		t.Errorf("NewBallot() = %+v, want a yes/no/abstain majority ballot with the documented defaults", b)
	}
	if _, err := NewBallot(BallotRequest{Title: "Late", Method: "majority", ClosesAt: "2030-01-01T12:00:00Z"}, BallotLookup{}, now); err == nil {
		t.Error("a ballot closing now was accepted")
	}
}
