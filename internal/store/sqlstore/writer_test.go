package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"koinon/internal/domain"
	"koinon/internal/store"
	"koinon/internal/store/sqlstore"
	"koinon/internal/store/storetest"
)

// Concurrent writes share group-commit batches, and each keeps its own
// outcome: a vote refused inside a batch (a citizen not on the roll)
// fails alone, every other vote is stored, logged and answered with a
// receipt whose inclusion proof verifies, and the log replays whole.
func TestGroupCommitKeepsEachWritesOutcome(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		storetest.Logs(t, s, "https://vote.example.org/logs/")
		w := storetest.NewWorld(t, s)
		c := w.Community("club")
		var voters, outsiders []string
		for i := range 24 {
			voters = append(voters, fmt.Sprintf("v%02d", i))
		}
		w.Member(c.ID, domain.RoleMember, 1, voters...)
		w.Member(c.ID, domain.RoleBoard, 1, "board")
		b := newBallot(t, w, c.ID, "majority", nil)
		if _, err := s.OpenBallot(ctx, b.ID); err != nil {
			t.Fatal(err)
		}
		for i := range 8 {
			outsiders = append(outsiders, fmt.Sprintf("o%02d", i))
			w.Citizen(outsiders[i]) // not on the frozen roll
		}
		info, err := s.Log(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		verifier, err := note.NewVerifier(info.VKey)
		if err != nil {
			t.Fatal(err)
		}
		type outcome struct {
			sub *store.Submission
			err error
		}
		all := append(append([]string{}, voters...), outsiders...)
		out := make([]outcome, len(all))
		var wg sync.WaitGroup
		for round := range 2 { // the second round replaces every vote
			for i, name := range all {
				wg.Go(func() {
					sub := &store.Submission{}
					_, err := cast(store.WithSubmission(ctx, sub), s, b.ID, w.ID(name), []string{`"yes"`, `"no"`}[(i+round)%2])
					out[i] = outcome{sub, err}
				})
			}
			wg.Wait()
			for i, name := range all {
				if i >= len(voters) {
					if !errors.Is(out[i].err, domain.ErrForbidden) {
						t.Errorf("round %d: %s is not on the roll: err %v, want ErrForbidden", round, name, out[i].err)
					}
					continue
				}
				if out[i].err != nil {
					t.Fatalf("round %d: %s: %v", round, name, out[i].err)
				}
				checkReceipt(t, out[i].sub.Receipt, info.Origin, verifier, s, c.ID)
			}
		}
		info, err = s.Log(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		// Each voter: key registration and two votes.
		if want := int64(3 * len(voters)); info.Size != want {
			t.Fatalf("log size %d, want %d", info.Size, want)
		}
		if err := replayLog(t, s, c.ID, info.Size, nil); err != nil {
			t.Errorf("replay: %v", err)
		}
		for i, name := range voters {
			v, err := s.VoteOf(ctx, b.ID, w.ID(name))
			if want := []string{`"no"`, `"yes"`}[i%2]; err != nil || v.Choice != want {
				t.Errorf("%s's vote %q, %v; want %s", name, v.Choice, err, want)
			}
		}
	})
}
