package sqlstore_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"koinon/internal/domain"
	"koinon/internal/store"
	"koinon/internal/store/sqlstore"
	"koinon/internal/store/storetest"
)

// Votes queued before a close commit before it (the writer keeps the
// order of the jobs it batches) and are counted.
func TestCloseAfterVotesInItsBatchCountsThem(t *testing.T) {
	ctx := context.Background()
	voters := []string{"ann", "bob", "cat"}
	s, w, b := openClub(t, voters...)
	queued, release := sqlstore.HoldWriter(s)
	var wg sync.WaitGroup
	for i, v := range voters {
		wg.Go(func() {
			if _, err := cast(ctx, s, b.ID, w.ID(v), `"yes"`); err != nil {
				t.Error(err)
			}
		})
		for queued() < i+1 {
			time.Sleep(time.Millisecond)
		}
	}
	var counted int
	wg.Go(func() {
		_, _, err := s.CloseBallot(ctx, b.ID, false, func(in *store.CloseInput) (store.CloseOutput, error) {
			counted = len(in.Votes)
			return store.CloseOutput{ResultJSON: []byte(`{}`), ProofJSON: []byte(`{}`)}, nil
		})
		if err != nil {
			t.Error(err)
		}
	})
	for queued() < len(voters)+1 {
		time.Sleep(time.Millisecond)
	}
	release()
	wg.Wait()
	if counted != len(voters) {
		t.Fatalf("the close counted %d votes, want %d", counted, len(voters))
	}
}

// A close that runs in one batch after another write reads what that
// write did: its reads go on the batch's own transaction, not beside it
// (another connection would not see the batch's rows yet). Here the
// write is a delegation, which the close's lists must show.
func TestCloseAfterADelegationInItsBatchSeesIt(t *testing.T) {
	ctx := context.Background()
	s, w, b := openClub(t, "ann", "bob")
	queued, release := sqlstore.HoldWriter(s)
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := s.SetDelegation(ctx, w.ID("ann"), store.Scope{CommunityID: b.CommunityID}, []int64{w.ID("bob")}); err != nil {
			t.Error(err)
		}
	})
	for queued() < 1 {
		time.Sleep(time.Millisecond)
	}
	var delegates []string
	wg.Go(func() {
		_, _, err := s.CloseBallot(ctx, b.ID, false, func(in *store.CloseInput) (store.CloseOutput, error) {
			for _, e := range in.Electorate {
				if e.CitizenID == w.ID("ann") {
					delegates = e.Delegates
				}
			}
			return store.CloseOutput{ResultJSON: []byte(`{}`), ProofJSON: []byte(`{}`)}, nil
		})
		if err != nil {
			t.Error(err)
		}
	})
	for queued() < 2 {
		time.Sleep(time.Millisecond)
	}
	release()
	wg.Wait()
	if len(delegates) != 1 {
		t.Fatalf("ann's delegates at the close: %v, want bob", delegates)
	}
}

// openClub opens a majority ballot of a SQLite community whose roll is
// "board" and members.
func openClub(t *testing.T, members ...string) (*sqlstore.Store, *storetest.World, store.Ballot) {
	t.Helper()
	s := storetest.SQLite(t)
	w := storetest.NewWorld(t, s)
	c := w.Community("club")
	if len(members) > 0 {
		w.Member(c.ID, domain.RoleMember, 1, members...)
	}
	w.Member(c.ID, domain.RoleBoard, 1, "board")
	b := newBallot(t, w, c.ID, "majority", nil)
	if _, err := s.OpenBallot(context.Background(), b.ID); err != nil {
		t.Fatal(err)
	}
	return s, w, b
}
