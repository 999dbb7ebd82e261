package sqlstore_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"koinon/internal/store"
	"koinon/internal/store/sqlstore"
	"koinon/internal/store/storetest"
)

// Each refresh spends its generation; a spent one coming back revokes the
// session (within the grace it only answers Raced); of two concurrent
// uses of one token exactly one wins.
func TestSessionRotation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		ann := storetest.NewWorld(t, s).ID("ann")
		ses, err := s.CreateSession(ctx, ann, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		next, err := s.RotateSession(ctx, ses.ID, 1, 0)
		if err != nil || next.Generation != 2 || next.Raced {
			t.Fatalf("rotate = %+v, %v", next, err)
		}
		if _, err := s.RotateSession(ctx, ses.ID, 1, 0); !errors.Is(err, store.ErrRefreshReused) {
			t.Errorf("reuse = %v, want ErrRefreshReused", err)
		}
		if _, err := s.RotateSession(ctx, ses.ID, 2, 0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("newest token after a reuse = %v, want ErrNotFound", err)
		}
		if live, err := s.SessionLive(ctx, ses.ID); err != nil || live {
			t.Errorf("revoked session live = %v, %v", live, err)
		}

		ses, _ = s.CreateSession(ctx, ann, time.Hour)
		s.RotateSession(ctx, ses.ID, 1, 0)
		if raced, err := s.RotateSession(ctx, ses.ID, 1, time.Minute); err != nil || !raced.Raced {
			t.Errorf("spent token within the grace = %+v, %v; want Raced", raced, err)
		}
		if next, err := s.RotateSession(ctx, ses.ID, 2, time.Minute); err != nil || next.Generation != 3 {
			t.Errorf("session after a race = %+v, %v", next, err)
		}

		ses, _ = s.CreateSession(ctx, ann, time.Hour)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range errs {
			wg.Add(1)
			go func() { defer wg.Done(); _, errs[i] = s.RotateSession(ctx, ses.ID, 1, 0) }()
		}
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Errorf("concurrent uses of one token: %v, %v; want exactly one success", errs[0], errs[1])
		}
		if err := s.RevokeSession(ctx, ses.ID); err != nil {
			t.Fatal(err)
		}
		if live, _ := s.SessionLive(ctx, ses.ID); live {
			t.Error("signed-out session still live")
		}
	})
}
