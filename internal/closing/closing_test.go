package closing_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"koinon/internal/closing"
	"koinon/internal/domain"
	"koinon/internal/proof"
	"koinon/internal/store"
	"koinon/internal/store/sqlstore"
	"koinon/internal/store/storetest"
)

type keySigner struct{ key ed25519.PrivateKey }

func (k keySigner) SigningKey() ed25519.PrivateKey { return k.key }

func testSigner() keySigner {
	seed := sha256.Sum256([]byte("koinon closing test key"))
	return keySigner{ed25519.NewKeyFromSeed(seed[:])}
}

func ballot(t *testing.T, w *storetest.World, communityID int64, method string, topic *int64, options []string, mod func(*store.Ballot)) store.Ballot {
	t.Helper()
	b := store.Ballot{CommunityID: communityID, TopicID: topic, Title: "A " + method + " ballot", Method: method, Seats: 1,
		Threshold: "1/2", Strict: true, Quorum: "0/1", Delegation: true, Secrecy: "public",
		CreatedBy: w.ID("board"), ClosesAt: time.Now().UTC().Add(time.Hour)}
	if mod != nil {
		mod(&b)
	}
	var opts []store.BallotOption
	for _, o := range options {
		opts = append(opts, store.BallotOption{Key: o, Label: strings.ToUpper(o)})
	}
	if err := w.S.CreateBallot(context.Background(), &b, opts, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := w.S.OpenBallot(context.Background(), b.ID); err != nil {
		t.Fatal(err)
	}
	return b
}

func vote(t *testing.T, s *sqlstore.Store, b store.Ballot, citizen int64, choice string) {
	t.Helper()
	_, err := s.CastVote(context.Background(), store.CastRequest{BallotID: b.ID, CitizenID: citizen, Choice: choice,
		Receipt: func(voter string, at time.Time, nonce string) (string, error) {
			return proof.CastReceipt(b.IDString(), voter, json.RawMessage(choice), at, nonce)
		}})
	if err != nil {
		t.Fatal(err)
	}
}

func delegate(t *testing.T, w *storetest.World, sc store.Scope, from string, to ...string) {
	t.Helper()
	ids := []int64{}
	for _, h := range to {
		ids = append(ids, w.ID(h))
	}
	if err := w.S.SetDelegation(context.Background(), w.ID(from), sc, ids); err != nil {
		t.Fatal(err)
	}
}

type resultRows struct {
	Weights    map[string]int64 `json:"weights"`
	Resolution []struct {
		Voter, State, Via, To string
		Hops                  int
	} `json:"resolution"`
	Totals  map[string]int64 `json:"totals"`
	Winners []string         `json:"winners"`
	Passed  *bool            `json:"passed"`
}

// TestLiquidScenario: a chain, a cycle broken by a backup delegate, a
// topic list overriding the community list, a removed member who stays
// on the frozen roll, a weight-0 member outside the electorate and a
// delegate outside it.
func TestLiquidScenario(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		w := storetest.NewWorld(t, s)
		c := w.Community("commons")
		tp := w.Topic(c.ID, "infra")
		w.Member(c.ID, domain.RoleBoard, 1, "board")
		w.Member(c.ID, domain.RoleMember, 1, "ann", "bob", "cat", "dan", "eve", "fay", "gus", "hal")
		w.Member(c.ID, domain.RoleMember, 3, "ivy")
		w.Member(c.ID, domain.RoleAuditor, 0, "zed")
		com := store.Scope{CommunityID: c.ID}
		top := store.Scope{CommunityID: c.ID, TopicID: tp.ID}

		// Chain: ann → bob → cat (votes yes).
		delegate(t, w, com, "ann", "bob")
		delegate(t, w, com, "bob", "cat")
		// Cycle dan ↔ eve, broken by eve's backup fay (votes no).
		delegate(t, w, com, "dan", "eve")
		delegate(t, w, com, "eve", "dan", "fay")
		// Topic overrides community: gus → cat in general, → fay on infra.
		delegate(t, w, com, "gus", "cat")
		delegate(t, w, top, "gus", "fay")
		// hal names only zed, who is not in the electorate: lost.
		delegate(t, w, com, "hal", "zed")
		// ivy (weight 3) says "on infra I vote myself" and does not vote: absent.
		delegate(t, w, com, "ivy", "cat")
		delegate(t, w, top, "ivy")

		b := ballot(t, w, c.ID, "majority", &tp.ID, []string{"yes", "no", "abstain"}, nil)
		vote(t, s, b, w.ID("cat"), `"yes"`)
		vote(t, s, b, w.ID("fay"), `"no"`)
		vote(t, s, b, w.ID("board"), `"yes"`)
		w.EndMembership(c.ID, "board") // stays on the frozen roll

		cl := closing.New(s, testSigner(), nil)
		got, err := cl.Close(ctx, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != store.StateClosed || got.ProofJSON == nil || got.ResultJSON == nil {
			t.Fatalf("closed ballot = %+v", got)
		}
		var res resultRows
		if err := json.Unmarshal([]byte(*got.ResultJSON), &res); err != nil {
			t.Fatal(err)
		}
		// yes: cat 1 + ann 1 + bob 1 + board 1 = 4; no: fay 1 + eve 1 + dan 1 + gus 1 = 4.
		if res.Totals["yes"] != 4 || res.Totals["no"] != 4 {
			t.Errorf("totals = %v, want yes 4, no 4", res.Totals)
		}
		want := map[string]int64{"eligible": 12, "direct": 3, "delegated": 5, "lost": 1, "absent": 3}
		for k, v := range want {
			if res.Weights[k] != v {
				t.Errorf("weights[%s] = %d, want %d (all: %v)", k, res.Weights[k], v, res.Weights)
			}
		}
		states := map[string]string{}
		for _, r := range res.Resolution {
			states[r.Voter] = r.State + "/" + r.To
		}
		for voter, st := range map[string]string{"ann": "delegated/cat", "dan": "delegated/fay", "eve": "delegated/fay", "gus": "delegated/fay", "hal": "lost/"} {
			if states[voter] != st {
				t.Errorf("%s: %s, want %s", voter, states[voter], st)
			}
		}
		if _, ok := states["zed"]; ok {
			t.Error("weight-0 auditor zed is in the electorate")
		}

		// The stored proof verifies, and its hash is the stored one.
		pj := []byte(*got.ProofJSON)
		rep := proof.Verify(pj, testSigner().key.Public().(ed25519.PublicKey))
		if !rep.OK {
			t.Fatalf("proof does not verify: %+v", rep.Checks)
		}
		if !bytes.Equal(rep.Result, []byte(*got.ResultJSON)) {
			t.Error("stored result differs from the recount")
		}
		sum := sha256.Sum256(pj)
		if hex.EncodeToString(sum[:]) != got.ProofHash {
			t.Error("proof_hash is not the SHA-256 of the proof")
		}
		log, _ := s.BallotLog(ctx, b.ID)
		head, err := store.CheckLog(b.ID, log)
		if err != nil || head != got.LogHead || log[len(log)-1].Kind != store.EventSealed || !strings.Contains(log[len(log)-1].Payload, got.ProofHash) {
			t.Errorf("log: head %s (ballot %s), err %v, last %+v", head, got.LogHead, err, log[len(log)-1])
		}

		// Idempotent: a second close changes nothing.
		again, err := cl.Close(ctx, b.ID)
		if err != nil || *again.ProofJSON != *got.ProofJSON || again.LogHead != got.LogHead {
			t.Errorf("second close: err %v, proof or head changed", err)
		}
		// Votes and delegations on a closed ballot are refused.
		if _, err := s.CastVote(ctx, store.CastRequest{BallotID: b.ID, CitizenID: w.ID("ann"), Choice: `"no"`}); !errors.Is(err, domain.ErrState) {
			t.Errorf("vote after close: %v", err)
		}
		if err := s.SetDelegation(ctx, w.ID("ann"), store.Scope{CommunityID: c.ID, BallotID: b.ID}, []int64{w.ID("fay")}); !errors.Is(err, domain.ErrState) {
			t.Errorf("ballot delegation after close: %v", err)
		}

		// Receipts: cat's vote is in the tree.
		doc, err := proof.ParseProof(pj)
		if err != nil {
			t.Fatal(err)
		}
		rc, err := proof.Receipt(doc, "cat", testSigner().key)
		if err != nil {
			t.Fatal(err)
		}
		if r := proof.VerifyReceipt(rc, pj, nil); !r.OK {
			t.Errorf("receipt does not verify: %+v", r.Checks)
		}
	})
}

func TestPseudonymousBallotHidesHandles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		w := storetest.NewWorld(t, s)
		c := w.Community("commons")
		w.Member(c.ID, domain.RoleBoard, 1, "board")
		w.Member(c.ID, domain.RoleMember, 1, "alice", "bobby", "carol")
		delegate(t, w, store.Scope{CommunityID: c.ID}, "alice", "bobby")
		b := ballot(t, w, c.ID, "irv", nil, []string{"x", "y", "z"}, func(b *store.Ballot) { b.Secrecy = "pseudonymous" })
		vote(t, s, b, w.ID("bobby"), `["y","x"]`)
		vote(t, s, b, w.ID("carol"), `["x"]`)
		got, err := closing.New(s, testSigner(), nil).Close(context.Background(), b.ID)
		if err != nil {
			t.Fatal(err)
		}
		pj := *got.ProofJSON
		for _, h := range []string{"alice", "bobby", "carol", "board"} {
			if strings.Contains(pj, h) {
				t.Errorf("pseudonymous proof names %s", h)
			}
		}
		full, _ := s.BallotByID(context.Background(), b.ID)
		if !strings.Contains(pj, storetest.Pseudonym(t, s, full, w.ID("alice"))) {
			t.Error("alice's pseudonym is missing")
		}
		if r := proof.Verify([]byte(pj), nil); !r.OK {
			t.Fatalf("proof does not verify: %+v", r.Checks)
		}
	})
}

// TestCrashBeforeSealLeavesBallotOpen: a failure after the count and
// before the seal is stored rolls the whole close back.
func TestCrashBeforeSealLeavesBallotOpen(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		w := storetest.NewWorld(t, s)
		c := w.Community("commons")
		w.Member(c.ID, domain.RoleBoard, 1, "board")
		b := ballot(t, w, c.ID, "plurality", nil, []string{"a", "b"}, nil)
		vote(t, s, b, w.ID("board"), `"a"`)
		boom := errors.New("power cut")
		_, _, err := s.CloseBallot(ctx, b.ID, false, func(in *store.CloseInput) (store.CloseOutput, error) {
			if len(in.Votes) != 1 || len(in.Electorate) != 1 {
				t.Errorf("close input: %d votes, %d voters", len(in.Votes), len(in.Electorate))
			}
			return store.CloseOutput{}, boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v", err)
		}
		got, _ := s.BallotByID(ctx, b.ID)
		log, _ := s.BallotLog(ctx, b.ID)
		if got.State != store.StateOpen || got.ProofJSON != nil || log[len(log)-1].Kind == store.EventClosed {
			t.Fatalf("after a failed close: state %s, proof %v, last log %s", got.State, got.ProofJSON != nil, log[len(log)-1].Kind)
		}
		// No signing key is the same kind of failure.
		if _, err := closing.New(s, keySigner{}, nil).Close(ctx, b.ID); err == nil {
			t.Fatal("closed without a key")
		}
		if got, err := closing.New(s, testSigner(), nil).Close(ctx, b.ID); err != nil || got.State != store.StateClosed {
			t.Fatalf("close after the failure: %v %s", err, got.State)
		}
	})
}

// TestSchedulerClosesEachDueBallotOnce runs several closers at once, as
// several server instances would, over the same database.
func TestSchedulerClosesEachDueBallotOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		w, c := boardAndAnn(t, s)
		var due []store.Ballot
		for i := 0; i < 4; i++ {
			b := ballot(t, w, c.ID, "approval", nil, []string{"a", "b", "c"}, nil)
			vote(t, s, b, w.ID("ann"), `["a","c"]`)
			due = append(due, b)
		}
		later := ballot(t, w, c.ID, "approval", nil, []string{"a", "b"}, nil)
		for _, b := range due {
			storetest.DB(t, s).Model(&store.Ballot{}).Where("id = ?", b.ID).Update("closes_at", time.Now().UTC().Add(-time.Minute))
		}
		total := threeAtOnce(t, "CloseDue", func() (int, error) { return closing.New(s, testSigner(), nil).CloseDue(ctx) })
		if total != len(due) {
			t.Errorf("closers closed %d ballots in all, want %d", total, len(due))
		}
		for _, b := range due {
			got, _ := s.BallotByID(ctx, b.ID)
			log, _ := s.BallotLog(ctx, b.ID)
			sealed := 0
			for _, e := range log {
				if e.Kind == store.EventSealed {
					sealed++
				}
			}
			if got.State != store.StateClosed || sealed != 1 {
				t.Errorf("ballot %d: state %s, sealed %d times", b.ID, got.State, sealed)
			}
		}
		if got, _ := s.BallotByID(ctx, later.ID); got.State != store.StateOpen {
			t.Errorf("a ballot not yet due was closed")
		}
	})
}

// boardAndAnn is a community with a board member and a member, ann.
func boardAndAnn(t *testing.T, s *sqlstore.Store) (*storetest.World, store.Community) {
	w := storetest.NewWorld(t, s)
	c := w.Community("commons")
	w.Member(c.ID, domain.RoleBoard, 1, "board")
	w.Member(c.ID, domain.RoleMember, 1, "ann")
	return w, c
}

// threeAtOnce runs step in three goroutines at once, as three server
// instances would, and returns the sum of what they counted.
func threeAtOnce(t *testing.T, name string, step func() (int, error)) int {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		total int
	)
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := step()
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
			mu.Lock()
			total += n
			mu.Unlock()
		}()
	}
	wg.Wait()
	return total
}

// TestResultNoticesFannedOutOnce checks that a close only queues its
// "result sealed" notices, and that fan-outs run at once by several
// instances (or again after a crash) send each voter one of them.
func TestResultNoticesFannedOutOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		w, c := boardAndAnn(t, s)
		b := ballot(t, w, c.ID, "plurality", nil, []string{"a", "b"}, nil)
		vote(t, s, b, w.ID("ann"), `"a"`)
		if _, err := closing.New(s, testSigner(), nil).Close(ctx, b.ID); err != nil {
			t.Fatal(err)
		}
		sealed := func() (notes, pending int64) {
			db := storetest.DB(t, s)
			db.Raw("SELECT COUNT(*) FROM notifications WHERE kind = ?", store.KindResultSealed).Scan(&notes)
			db.Raw("SELECT COUNT(*) FROM notification_fanouts").Scan(&pending)
			return notes, pending
		}
		if notes, pending := sealed(); notes != 0 || pending != 1 {
			t.Fatalf("after the close: %d notices, %d pending fan-outs; want 0, 1", notes, pending)
		}
		total := threeAtOnce(t, "FanOut", func() (int, error) { return s.FanOut(ctx) })
		if notes, pending := sealed(); total != 1 || notes != 2 || pending != 0 {
			t.Fatalf("after the fan-outs: sent %d, %d notices, %d pending; want 1, 2, 0", total, notes, pending)
		}
		for _, who := range []string{"board", "ann"} {
			got, err := s.Notifications(ctx, w.ID(who), 0, 10)
			if err != nil || len(got) == 0 || got[0].Kind != store.KindResultSealed || got[0].Link != "/ballots/"+strconv.FormatInt(b.ID, 10) {
				t.Errorf("%s's notifications: %v %+v", who, err, got)
			}
		}
		if n, err := s.FanOut(ctx); n != 0 || err != nil {
			t.Errorf("FanOut with nothing pending = %d, %v", n, err)
		}
	})
}
