package sqlstore_test

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"koinon/internal/domain"
	"koinon/internal/store"
	"koinon/internal/store/sqlstore"
	"koinon/internal/store/storetest"
)

// A close turns SQLite's WAL autocheckpoint off for its own commit only:
// afterwards every pooled connection has it back.
func TestCloseRestoresAutocheckpoint(t *testing.T) {
	ctx := context.Background()
	s, w, b := openClub(t)
	if _, err := cast(ctx, s, b.ID, w.ID("board"), `"yes"`); err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("x"), 8<<20) // past the autocheckpoint's 1000 pages
	_, closed, err := s.CloseBallot(ctx, b.ID, false, func(*store.CloseInput) (store.CloseOutput, error) {
		return store.CloseOutput{ResultJSON: []byte(`{}`), ProofJSON: big}, nil
	})
	if err != nil || !closed {
		t.Fatalf("close: %v, closed %v", err, closed)
	}
	sqlDB, err := s.SQLDB()
	if err != nil {
		t.Fatal(err)
	}
	// Holding as many connections as the pool opens reaches every one.
	n := sqlDB.Stats().MaxOpenConnections
	for i := range n {
		conn, err := sqlDB.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		var pages int
		if err := conn.QueryRowContext(ctx, "PRAGMA wal_autocheckpoint").Scan(&pages); err != nil {
			t.Fatal(err)
		}
		if pages != 1000 {
			t.Errorf("connection %d of %d: wal_autocheckpoint %d, want 1000", i+1, n, pages)
		}
	}
}

// A close that runs in one batch after votes reads them: its reads go on
// the batch's own transaction, not beside it (another connection would not
// see the batch's rows yet).
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
