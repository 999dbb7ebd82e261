package sqlstore_test

import (
	"context"
	"errors"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"koinon/internal/domain"
	"koinon/internal/store"
	"koinon/internal/store/sqlstore"
	"koinon/internal/store/storetest"
)

// newBallot creates a draft ballot closing in an hour.
func newBallot(t *testing.T, w *storetest.World, communityID int64, method string, topic *int64) store.Ballot {
	t.Helper()
	b := store.Ballot{CommunityID: communityID, TopicID: topic, Title: method + " ballot", Method: method, Seats: 1,
		Threshold: "1/2", Strict: true, Quorum: "0/1", Delegation: true, Secrecy: "public",
		CreatedBy: w.ID("board"), ClosesAt: time.Now().UTC().Add(time.Hour)}
	opts := []store.BallotOption{{Key: "yes", Label: "Yes"}, {Key: "no", Label: "No"}, {Key: "abstain", Label: "Abstain"}}
	if err := w.S.CreateBallot(context.Background(), &b, opts, nil); err != nil {
		t.Fatal(err)
	}
	return b
}

func cast(ctx context.Context, s *sqlstore.Store, ballot, citizen int64, choice string) (store.Vote, error) {
	return s.CastVote(ctx, store.CastRequest{BallotID: ballot, CitizenID: citizen, Choice: choice,
		Receipt: func(voter string, at time.Time, _ string) (string, error) {
			return voter + "@" + at.Format(time.RFC3339), nil
		}})
}

func TestDelegationsScopesAndEvents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		w := storetest.NewWorld(t, s)
		c := w.Community("commons")
		tp := w.Topic(c.ID, "infra")
		w.Member(c.ID, domain.RoleMember, 1, "ann", "bob", "cat", "dan")
		w.Member(c.ID, domain.RoleBoard, 1, "board")
		w.Citizen("eve") // not a member
		ann, bob, cat := w.ID("ann"), w.ID("bob"), w.ID("cat")

		for _, tc := range []struct {
			name      string
			delegates []int64
			field     string
		}{
			{"delegating to oneself is refused", []int64{ann}, "delegates"},
			{"a delegate must be a member", []int64{w.ID("eve")}, "delegates"},
			{"a delegate is listed once", []int64{bob, bob}, "delegates"},
		} {
			err := s.SetDelegation(ctx, ann, store.Scope{CommunityID: c.ID}, tc.delegates)
			var inv *domain.Invalid
			if !errors.As(err, &inv) || inv.Field != tc.field {
				t.Errorf("%s: err = %v, want invalid %s", tc.name, err, tc.field)
			}
		}

		must(t, s.SetDelegation(ctx, ann, store.Scope{CommunityID: c.ID}, []int64{bob, cat}))
		must(t, s.SetDelegation(ctx, ann, store.Scope{CommunityID: c.ID, TopicID: tp.ID}, []int64{}))
		must(t, s.SetDelegation(ctx, ann, store.Scope{CommunityID: c.ID}, []int64{cat}))

		lists, err := s.DelegationsOf(ctx, ann, c.ID)
		must(t, err)
		if len(lists) != 2 || lists[0].ScopeKey != "c" || len(lists[0].Delegates) != 1 || lists[0].Delegates[0].Handle != "cat" || len(lists[1].Delegates) != 0 {
			t.Fatalf("DelegationsOf = %+v", lists)
		}
		notices, err := s.DelegationNotices(ctx, bob, c.ID, 10)
		must(t, err)
		if kinds := noticeKinds(notices); !slices.Equal(kinds, []string{"stop", "start"}) {
			t.Errorf("bob's notices = %v, want [stop start] (newest first)", kinds)
		}
		from, err := s.DelegatorsOf(ctx, cat, c.ID)
		must(t, err)
		if len(from) != 1 || from[0].Citizen.Handle != "ann" || from[0].Position != 0 {
			t.Errorf("DelegatorsOf(cat) = %+v", from)
		}

		// Scope precedence: topic ballot sees ann's explicit empty list;
		// a community ballot sees [cat].
		tb := newBallot(t, w, c.ID, "majority", &tp.ID)
		cb := newBallot(t, w, c.ID, "majority", nil)
		el, err := s.EffectiveLists(ctx, tb)
		must(t, err)
		if l, ok := el[ann]; !ok || len(l) != 0 {
			t.Errorf("topic ballot: ann's list = %v (present %v), want explicit empty", l, ok)
		}
		el, err = s.EffectiveLists(ctx, cb)
		must(t, err)
		if !slices.Equal(el[ann], []int64{cat}) {
			t.Errorf("community ballot: ann's list = %v, want [cat]", el[ann])
		}
		must(t, s.SetDelegation(ctx, ann, store.Scope{CommunityID: c.ID, BallotID: cb.ID}, []int64{bob}))
		el, _ = s.EffectiveLists(ctx, cb)
		if !slices.Equal(el[ann], []int64{bob}) {
			t.Errorf("ballot scope: ann's list = %v, want [bob]", el[ann])
		}
		must(t, s.RemoveDelegation(ctx, ann, store.Scope{CommunityID: c.ID, BallotID: cb.ID}))
		el, _ = s.EffectiveLists(ctx, cb)
		if !slices.Equal(el[ann], []int64{cat}) {
			t.Errorf("after removing the ballot list: %v, want [cat]", el[ann])
		}
		cb.Delegation = false
		el, _ = s.EffectiveLists(ctx, cb)
		if len(el) != 0 {
			t.Errorf("delegation off: lists = %v, want none", el)
		}
	})
}

func noticeKinds(ns []store.DelegationNotice) []string {
	var out []string
	for _, n := range ns {
		out = append(out, n.Kind)
	}
	return out
}

func TestVotingStatesRollAndLog(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		w := storetest.NewWorld(t, s)
		c := w.Community("commons")
		w.Member(c.ID, domain.RoleMember, 1, "ann", "bob")
		w.Member(c.ID, domain.RoleMember, 0, "zero")
		w.Member(c.ID, domain.RoleBoard, 2, "board")
		b := newBallot(t, w, c.ID, "majority", nil)

		if _, err := cast(ctx, s, b.ID, w.ID("ann"), `"yes"`); !errors.Is(err, domain.ErrState) {
			t.Errorf("vote on a draft: %v, want a state error", err)
		}
		_, err := s.OpenBallot(ctx, b.ID)
		must(t, err)
		if _, err := s.OpenBallot(ctx, b.ID); !errors.Is(err, domain.ErrState) {
			t.Errorf("opening twice: %v, want a state error", err)
		}
		w.Member(c.ID, domain.RoleMember, 1, "late") // joins after the roll froze
		w.EndMembership(c.ID, "bob")                 // leaves after: stays eligible

		for _, tc := range []struct {
			handle string
			want   error
		}{
			{"late", domain.ErrForbidden},
			{"zero", domain.ErrForbidden},
			{"bob", nil},
			{"ann", nil},
		} {
			if _, err := cast(ctx, s, b.ID, w.ID(tc.handle), `"no"`); !errors.Is(err, tc.want) && !(tc.want == nil && err == nil) {
				t.Errorf("vote by %s: %v, want %v", tc.handle, err, tc.want)
			}
		}
		v, err := cast(ctx, s, b.ID, w.ID("ann"), `"yes"`)
		must(t, err)
		if v.Choice != `"yes"` {
			t.Errorf("replaced vote = %q", v.Choice)
		}
		must(t, s.WithdrawVote(ctx, b.ID, w.ID("bob")))
		if err := s.WithdrawVote(ctx, b.ID, w.ID("bob")); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("withdraw twice: %v, want not found", err)
		}
		p, err := s.BallotParticipation(ctx, b.ID)
		must(t, err)
		if p.Voters != 3 || p.Eligible != 4 || p.VotesCast != 1 || p.DirectWeight != 1 {
			t.Errorf("participation = %+v, want 3 voters, weight 4, 1 vote of weight 1", p)
		}

		// Concurrent double submissions leave exactly one vote.
		var wg sync.WaitGroup
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				choice := `"yes"`
				if i%2 == 1 {
					choice = `"no"`
				}
				if _, err := cast(ctx, s, b.ID, w.ID("board"), choice); err != nil {
					t.Errorf("concurrent vote: %v", err)
				}
			}(i)
		}
		wg.Wait()
		var n int64
		sqlstore.GormDB(s).Model(&store.Vote{}).Where("ballot_id = ? AND citizen_id = ?", b.ID, w.ID("board")).Count(&n)
		if n != 1 {
			t.Errorf("board has %d votes, want 1", n)
		}

		log, err := s.BallotLog(ctx, b.ID)
		must(t, err)
		head, err := store.CheckLog(b.ID, log)
		must(t, err)
		got, _ := s.BallotByID(ctx, b.ID)
		if head != got.LogHead || log[0].Kind != store.EventOpened {
			t.Errorf("log head %s, ballot says %s; first %s", head, got.LogHead, log[0].Kind)
		}
		if want := 1 + 2 + 1 + 1 + 8; len(log) != want {
			t.Errorf("log has %d entries, want %d", len(log), want)
		}
		log[2].Payload = `{"voter":"mallory"}`
		if _, err := store.CheckLog(b.ID, log); err == nil {
			t.Error("a tampered log entry passed CheckLog")
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestEffectiveListsSameAtCloseAndLive is a property test: after random
// delegation changes in every scope, the lists the close counts with equal
// the lists the live views (the delegation page's flow, the home page)
// resolve with, for a topic ballot, a community ballot and a ballot with
// lists of its own.
func TestEffectiveListsSameAtCloseAndLive(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		seed := time.Now().UnixNano()
		t.Logf("seed %d", seed)
		rng := rand.New(rand.NewPCG(uint64(seed), 0))
		w := storetest.NewWorld(t, s)
		c := w.Community("commons")
		tp := w.Topic(c.ID, "parks")
		handles := []string{"ann", "bob", "cat", "dan", "eve", "fay", "gus"}
		w.Member(c.ID, "member", 1, handles...)
		w.Member(c.ID, "board", 1, "board")
		ballots := []store.Ballot{newBallot(t, w, c.ID, "majority", &tp.ID), newBallot(t, w, c.ID, "majority", nil),
			newBallot(t, w, c.ID, "approval", &tp.ID)}
		scopes := []store.Scope{{CommunityID: c.ID}, {CommunityID: c.ID, TopicID: tp.ID}}
		for _, b := range ballots {
			scopes = append(scopes, store.Scope{CommunityID: c.ID, BallotID: b.ID})
		}
		for round := range 8 {
			for range 6 {
				who := w.ID(handles[rng.IntN(len(handles))])
				sc := scopes[rng.IntN(len(scopes))]
				if rng.IntN(4) == 0 {
					must(t, s.RemoveDelegation(ctx, who, sc))
					continue
				}
				var list []int64
				for _, h := range handles {
					if id := w.ID(h); id != who && rng.IntN(3) == 0 {
						list = append(list, id)
					}
				}
				rng.Shuffle(len(list), func(i, j int) { list[i], list[j] = list[j], list[i] })
				must(t, s.SetDelegation(ctx, who, sc, list))
			}
			live, err := s.LiveInputs(ctx, ballots)
			must(t, err)
			for _, b := range ballots {
				atClose, err := s.ListsAtClose(ctx, b)
				must(t, err)
				effective, err := s.EffectiveLists(ctx, b)
				must(t, err)
				if !maps.EqualFunc(atClose, live[b.ID].Lists, slices.Equal) || !maps.EqualFunc(atClose, effective, slices.Equal) {
					t.Fatalf("round %d, ballot %d: lists at close %v, live %v, EffectiveLists %v", round, b.ID, atClose, live[b.ID].Lists, effective)
				}
			}
		}
	})
}

// TestDelegationPageOf: one call reads the page, with each delegate's
// membership and last vote.
func TestDelegationPageOf(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		w := storetest.NewWorld(t, s)
		c := w.Community("commons")
		w.Member(c.ID, "member", 1, "ann", "bob", "cat", "dan")
		w.Member(c.ID, "board", 1, "board")
		ann, bob, cat := w.ID("ann"), w.ID("bob"), w.ID("cat")
		must(t, s.SetDelegation(ctx, ann, store.Scope{CommunityID: c.ID}, []int64{bob, cat}))
		b := newBallot(t, w, c.ID, "majority", nil)
		if _, err := s.OpenBallot(ctx, b.ID); err != nil {
			t.Fatal(err)
		}
		v, err := cast(ctx, s, b.ID, bob, `"yes"`)
		must(t, err)
		w.EndMembership(c.ID, "cat")

		p, err := s.DelegationPageOf(ctx, ann, c.ID)
		must(t, err)
		if !slices.Equal(p.Members, []string{"board", "bob", "dan"}) {
			t.Errorf("Members = %v, want the other current members", p.Members)
		}
		if len(p.Lists) != 1 || len(p.Open) != 1 || len(p.Live[b.ID].Voters) != 1 || p.HasClosed {
			t.Errorf("page = %d lists, %d open ballots, live voters %v, has closed %v; want 1, 1, [bob], false",
				len(p.Lists), len(p.Open), p.Live[b.ID].Voters, p.HasClosed)
		}
		if st := p.Delegates[bob]; !st.Member || st.LastVote == nil || !st.LastVote.Equal(v.CastAt) {
			t.Errorf("bob = %+v, want a member who last voted at %v", st, v.CastAt)
		}
		if st := p.Delegates[cat]; st.Member || st.LastVote != nil {
			t.Errorf("cat = %+v, want no longer a member, never voted", st)
		}
	})
}
