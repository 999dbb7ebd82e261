package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"koinon/internal/domain"
	"koinon/internal/store"
	"koinon/internal/store/sqlstore"
	"koinon/internal/store/storetest"
)

// Two stores on one PostgreSQL database are two `koinon serve`
// processes: their vote batches run side by side and take the logs' and
// ballots' locks only at their ends, in one order. Every citizen votes on
// two ballots through both at once, round after round, while some
// withdraw and delegation changes (batches that run alone) go through
// one of them: every write
// succeeds (none deadlocks or fails: a batch that finds a chain moved by
// the other process runs again), every receipt verifies, the community
// log replays whole (no two statements extend one chain from the same
// head) and each ballot's event chain checks.
func TestSharedBatchesOnOnePostgres(t *testing.T) {
	ctx := context.Background()
	a, b := storetest.PostgresPair(t)
	const base = "https://vote.example.org/logs/"
	keys := storetest.Logs(t, a, base)
	if err := b.EnableLogs(store.LogConfig{Base: base, Keys: keys}); err != nil {
		t.Fatal(err)
	}
	w := storetest.NewWorld(t, a)
	c, voters := club(w, 16)
	w.Member(c.ID, domain.RoleBoard, 1, "board")
	ballots := []store.Ballot{newBallot(t, w, c.ID, "majority", nil), newBallot(t, w, c.ID, "majority", nil)}
	for _, bl := range ballots {
		if _, err := a.OpenBallot(ctx, bl.ID); err != nil {
			t.Fatal(err)
		}
	}
	info, err := a.Log(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := note.NewVerifier(info.VKey)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute) // a deadlock fails, it does not hang
	defer cancel()
	const rounds = 4
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		votes int64 // votes and withdrawals stored
	)
	for round := range rounds {
		for i, name := range voters {
			for k, s := range []*sqlstore.Store{a, b} {
				for _, bl := range ballots {
					wg.Go(func() {
						sub := &store.Submission{}
						_, err := cast(store.WithSubmission(ctx, sub), s, bl.ID, w.ID(name), []string{`"yes"`, `"no"`}[(i+round+k)%2])
						if err != nil {
							t.Errorf("round %d: %s on ballot %d through store %d: %v", round, name, bl.ID, k, err)
							return
						}
						checkReceipt(t, sub.Receipt, info.Origin, verifier, s, c.ID)
						mu.Lock()
						votes++
						mu.Unlock()
					})
				}
			}
			if i%3 == 1 { // a withdrawal beside the votes: one that finds no vote is fine
				wg.Go(func() {
					err := b.WithdrawVote(ctx, ballots[0].ID, w.ID(name))
					if err != nil && !errors.Is(err, store.ErrNotFound) {
						t.Errorf("round %d: withdrawal of %s: %v", round, name, err)
					}
					if err == nil {
						mu.Lock()
						votes++
						mu.Unlock()
					}
				})
			}
			if i%4 == 0 {
				wg.Go(func() {
					to := []int64{w.ID(voters[(i+round+1)%len(voters)])}
					if err := a.SetDelegation(ctx, w.ID(name), store.Scope{CommunityID: c.ID}, to); err != nil {
						t.Errorf("round %d: delegation of %s: %v", round, name, err)
					}
				})
			}
		}
		wg.Wait()
	}
	if t.Failed() {
		return
	}
	info, err = b.Log(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := replayLog(t, b, c.ID, info.Size, func(string) bool { return true }); err != nil {
		t.Errorf("replay: %v", err)
	}
	if want := votes + int64(len(voters)) + rounds*int64((len(voters)+3)/4); info.Size != want {
		t.Errorf("log size %d, want %d (key registrations, %d votes and withdrawals, delegation changes)", info.Size, want, votes)
	}
	for _, bl := range ballots {
		evs, err := a.BallotLog(ctx, bl.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.CheckLog(bl.ID, evs); err != nil {
			t.Errorf("ballot %d: %v", bl.ID, err)
		}
	}
}

// A vote that replaces one and a withdrawal of the same citizen may land
// in one shared batch, the withdrawal second: the replacing vote the
// batch kept for its end must not look for the row the withdrawal
// removed (it once sent the batch to run again until it gave up, a 500).
// Citizens vote and withdraw at once, over and over, on PostgreSQL:
// every vote succeeds, every withdrawal succeeds or finds no vote.
func TestSharedBatchVoteThenWithdraw(t *testing.T) {
	ctx := context.Background()
	s, _ := storetest.PostgresPair(t)
	w := storetest.NewWorld(t, s)
	c, voters := club(w, 8)
	bl := newBallot(t, w, c.ID, "majority", nil)
	if _, err := s.OpenBallot(ctx, bl.ID); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	for round := range 30 {
		for i, name := range voters {
			for k := range 3 {
				wg.Go(func() {
					if _, err := cast(ctx, s, bl.ID, w.ID(name), []string{`"yes"`, `"no"`}[(i+round+k)%2]); err != nil {
						t.Errorf("round %d: vote of %s: %v", round, name, err)
					}
				})
			}
			wg.Go(func() {
				if err := s.WithdrawVote(ctx, bl.ID, w.ID(name)); err != nil && !errors.Is(err, store.ErrNotFound) {
					t.Errorf("round %d: withdrawal of %s: %v", round, name, err)
				}
			})
		}
		wg.Wait()
		if t.Failed() {
			return
		}
	}
}

// club makes the community "club" with n members, v00, v01 …, and
// returns it with their names.
func club(w *storetest.World, n int) (store.Community, []string) {
	c := w.Community("club")
	voters := make([]string, n)
	for i := range voters {
		voters[i] = fmt.Sprintf("v%02d", i)
	}
	w.Member(c.ID, domain.RoleMember, 1, voters...)
	return c, voters
}

// On PostgreSQL a citizen's first vote is inserted at its batch's end
// (deferWrite): a withdrawal queued after it in the same batch still
// finds the vote (it runs in the next batch), and a second vote queued
// after a first one replaces it.
func TestFirstVotesLeftForTheBatchEnd(t *testing.T) {
	ctx := context.Background()
	s, _ := storetest.PostgresPair(t)
	w := storetest.NewWorld(t, s)
	c, voters := club(w, 2)
	bl := newBallot(t, w, c.ID, "majority", nil)
	if _, err := s.OpenBallot(ctx, bl.ID); err != nil {
		t.Fatal(err)
	}
	ann, bob := w.ID(voters[0]), w.ID(voters[1])
	vote := func(citizen int64, choice string) func() error {
		return func() error {
			_, err := cast(ctx, s, bl.ID, citizen, choice)
			return err
		}
	}
	jobs := []func() error{vote(ann, `"yes"`), func() error { return s.WithdrawVote(ctx, bl.ID, ann) }, vote(bob, `"yes"`), vote(bob, `"no"`)}
	queued, release := sqlstore.HoldWriter(s)
	var wg sync.WaitGroup
	for i, job := range jobs {
		wg.Go(func() {
			if err := job(); err != nil {
				t.Errorf("write %d: %v", i, err)
			}
		})
		for queued() < i+1 {
			time.Sleep(time.Millisecond)
		}
	}
	release()
	wg.Wait()
	if v, err := s.VoteOf(ctx, bl.ID, ann); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ann's vote after her withdrawal: %+v, %v; want ErrNotFound", v, err)
	}
	if v, err := s.VoteOf(ctx, bl.ID, bob); err != nil || v.Choice != `"no"` {
		t.Errorf("bob's vote: %q, %v; want \"no\"", v.Choice, err)
	}
}
