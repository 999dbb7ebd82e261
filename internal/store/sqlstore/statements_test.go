package sqlstore_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"koinon/internal/clog"
	"koinon/internal/domain"
	"koinon/internal/proof"
	"koinon/internal/statement"
	"koinon/internal/store"
	"koinon/internal/store/sqlstore"
	"koinon/internal/store/storetest"
)

// Votes and delegations made without a device signature are signed with
// the citizen's custodial key and appended to the community log in the
// same transaction; each write answers with a receipt whose inclusion
// proof verifies in its signed checkpoint; the whole log replays; a vote
// on an open ballot is only a commitment.
func TestCustodialStatementsInTheLog(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		w, c, b := loggedBallot(t, s)
		info, err := s.Log(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if info.Origin != "vote.example.org/logs/club" || info.URL != "https://vote.example.org/logs/club/" {
			t.Fatalf("log %+v", info)
		}
		verifier, err := note.NewVerifier(info.VKey)
		if err != nil {
			t.Fatal(err)
		}

		sub := &store.Submission{}
		if err := s.SetDelegation(store.WithSubmission(ctx, sub), w.ID("ann"), store.Scope{CommunityID: c.ID}, []int64{w.ID("bob")}); err != nil {
			t.Fatal(err)
		}
		checkReceipt(t, sub.Receipt, info.Origin, verifier, s, c.ID)
		if sub.Receipt.Index != 1 || !sub.Receipt.Custodial {
			t.Fatalf("receipt %+v: want index 1 after ann's key registration, custodial", sub.Receipt)
		}
		sub = &store.Submission{}
		if _, err := cast(store.WithSubmission(ctx, sub), s, b.ID, w.ID("bob"), `"yes"`); err != nil {
			t.Fatal(err)
		}
		checkReceipt(t, sub.Receipt, info.Origin, verifier, s, c.ID)

		parsed := parsedLog(t, s, c.ID, 4)
		if parsed[3].Type != clog.TypeCommitment {
			t.Errorf("a vote on an open ballot is logged as %s, want a commitment", parsed[3].Type)
		}
		unopened, err := clog.CheckStatements(parsed, statement.NewState("club", nil))
		if err != nil || len(unopened) != 1 {
			t.Errorf("replay: unopened %v, %v", unopened, err)
		}
		if _, err := s.ConsistencyProof(ctx, c.ID, 2, 9); !errors.Is(err, clog.ErrSizeBeyondLog) && !errors.Is(err, clog.ErrBadRange) {
			t.Errorf("consistency to a size the log never had: %v", err)
		}
	})
}

// parsedLog reads the community's log up to size through s, parsed.
func parsedLog(t *testing.T, s *sqlstore.Store, communityID, size int64) []clog.Entry {
	t.Helper()
	entries, err := s.LogEntries(context.Background(), communityID, 0, size)
	if err != nil {
		t.Fatal(err)
	}
	parsed := make([]clog.Entry, len(entries))
	for i, e := range entries {
		if parsed[i], err = clog.ParseEntry(e); err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
	}
	return parsed
}

// replayLog replays the statements (signatures and chains) of the
// community "club"'s log up to size, read through s.
func replayLog(t *testing.T, s *sqlstore.Store, communityID, size int64, isBoard func(string) bool) error {
	t.Helper()
	_, err := clog.CheckStatements(parsedLog(t, s, communityID, size), statement.NewState("club", isBoard))
	return err
}

func checkReceipt(t *testing.T, r *store.Receipt, origin string, v note.Verifier, s *sqlstore.Store, communityID int64) {
	t.Helper()
	if r == nil {
		t.Fatal("no receipt")
	}
	cp, _, err := clog.OpenCheckpoint([]byte(r.Checkpoint), origin, v)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := s.LogEntries(context.Background(), communityID, r.Index, r.Index+1)
	if err != nil {
		t.Fatal(err)
	}
	p := make(tlog.RecordProof, len(r.Inclusion))
	for i, h := range r.Inclusion {
		b, _ := hex.DecodeString(h)
		copy(p[i][:], b)
	}
	if err := clog.VerifyInclusion(cp, r.Index, entries[0], p); err != nil {
		t.Fatal(err)
	}
}

// A device-signed statement is checked before anything is written: a bad
// signature, an unknown key, a statement for another community or one
// that is not the write's are refused (422 naming the problem) and leave
// the vote and the log as they were.
func TestSignedStatementsAreChecked(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		w, c, b := loggedBallot(t, s)
		_, key, _ := ed25519.GenerateKey(nil)
		pub := key.Public().(ed25519.PublicKey)
		id := proof.KeyID(pub)
		sign := func(kind statement.Kind, community, scope, prev string, content any, k ed25519.PrivateKey) *statement.Envelope {
			raw, err := statement.Content(content)
			if err != nil {
				t.Fatal(err)
			}
			e, err := statement.Sign(statement.Statement{Format: statement.Format, Kind: kind, Community: community, Scope: scope,
				Content: raw, Prev: prev, At: "2026-12-05T10:00:00Z", Key: id}, k, nil, false)
			if err != nil {
				t.Fatal(err)
			}
			return e
		}
		reg := sign(statement.KeyRegister, "club", statement.ScopeCommunity, "", statement.KeyContent{Citizen: "ann", PublicKey: base64.StdEncoding.EncodeToString(pub)}, key)
		sub := &store.Submission{Envelope: reg}
		if err := s.RecordStatement(store.WithSubmission(ctx, sub), c.ID, w.ID("ann")); err != nil {
			t.Fatal(err)
		}
		head := sub.Receipt.Hash
		vote := func(choice string) any { return statement.VoteContent{Choice: []byte(choice)} }
		scope := statement.BallotScope(b.IDString())
		// badSig is a vote whose signature is the one of another statement.
		badSig := func() *statement.Envelope {
			good := sign(statement.Vote, "club", scope, head, vote(`"yes"`), key)
			raw, _ := json.Marshal(map[string]any{"custodial": false, "old_signature": "", "statement": good.Statement,
				"signature": sign(statement.Vote, "club", scope, head, vote(`"no"`), key).Signature})
			e, err := statement.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			return e
		}
		for name, tc := range map[string]struct {
			env  *statement.Envelope
			want error
		}{
			"bad signature":   {badSig(), statement.ErrBadSignature},
			"broken chain":    {sign(statement.Vote, "club", scope, "", vote(`"yes"`), key), statement.ErrBrokenChain},
			"other community": {sign(statement.Vote, "elsewhere", scope, head, vote(`"yes"`), key), statement.ErrOtherCommunity},
			"other choice":    {sign(statement.Vote, "club", scope, head, vote(`"no"`), key), statement.ErrContent},
			"replay":          {reg, statement.ErrKeyInUse},
		} {
			_, err := cast(store.WithSubmission(ctx, &store.Submission{Envelope: tc.env}), s, b.ID, w.ID("ann"), `"yes"`)
			var inv *domain.Invalid
			if !errors.As(err, &inv) || inv.Field != "statement" {
				t.Errorf("%s: %v, want a 422 on statement", name, err)
			} else if !strings.Contains(inv.Message, tc.want.Error()) {
				t.Errorf("%s: %q does not name %v", name, inv.Message, tc.want)
			}
		}
		if _, err := s.VoteOf(ctx, b.ID, w.ID("ann")); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a refused statement left a vote: %v", err)
		}
		if info, _ := s.Log(ctx, c.ID); info.Size != 1 {
			t.Errorf("log size %d after refusals, want 1", info.Size)
		}
		sub = &store.Submission{Envelope: sign(statement.Vote, "club", scope, head, vote(`"yes"`), key)}
		if _, err := cast(store.WithSubmission(ctx, sub), s, b.ID, w.ID("ann"), `"yes"`); err != nil || sub.Receipt == nil || sub.Receipt.Custodial {
			t.Fatalf("signed vote: %v, receipt %+v", err, sub.Receipt)
		}
	})
}

// loggedBallot sets up a community "club" with logs on, members ann and
// bob, a board, and an open public majority ballot.
func loggedBallot(t *testing.T, s *sqlstore.Store) (*storetest.World, store.Community, store.Ballot) {
	t.Helper()
	storetest.Logs(t, s, "https://vote.example.org/logs/")
	w := storetest.NewWorld(t, s)
	c := w.Community("club")
	w.Member(c.ID, domain.RoleMember, 1, "ann", "bob")
	w.Member(c.ID, domain.RoleBoard, 1, "board")
	b := newBallot(t, w, c.ID, "majority", nil)
	if _, err := s.OpenBallot(context.Background(), b.ID); err != nil {
		t.Fatal(err)
	}
	return w, c, b
}

// Turning the logs on for a database that already has delegations and
// votes on open public ballots starts each community's log with them,
// signed with the citizens' custodial keys, once.
func TestBackfillLogs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		w := storetest.NewWorld(t, s)
		c := w.Community("club")
		w.Member(c.ID, domain.RoleMember, 1, "ann", "bob")
		w.Member(c.ID, domain.RoleBoard, 1, "board")
		b := newBallot(t, w, c.ID, "majority", nil)
		if _, err := s.OpenBallot(ctx, b.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.SetDelegation(ctx, w.ID("ann"), store.Scope{CommunityID: c.ID}, []int64{w.ID("bob")}); err != nil {
			t.Fatal(err)
		}
		if _, err := cast(ctx, s, b.ID, w.ID("bob"), `"no"`); err != nil {
			t.Fatal(err)
		}
		storetest.Logs(t, s, "https://vote.example.org/logs/")
		for _, want := range []int{2, 0} {
			if n, err := s.BackfillLogs(ctx); err != nil || n != want {
				t.Fatalf("backfill: %d, %v; want %d", n, err, want)
			}
		}
		if info, _ := s.Log(ctx, c.ID); info.Size != 4 {
			t.Errorf("log size %d, want two key registrations, a delegation and a vote commitment", info.Size)
		}
	})
}

// Two servers on one PostgreSQL database append to a community's log in
// one order: citizens delegate concurrently through two store handles,
// and the log then holds every statement once, replays (signatures and
// chains) and gives the same root read from either handle.
func TestTwoServersShareOneLog(t *testing.T) {
	ctx := context.Background()
	a, b := storetest.PostgresPair(t)
	keys := storetest.Logs(t, a, "https://vote.example.org/logs/")
	if err := b.EnableLogs(store.LogConfig{Base: "https://vote.example.org/logs/", Keys: keys}); err != nil {
		t.Fatal(err)
	}
	w := storetest.NewWorld(t, a)
	c := w.Community("club")
	handles := []string{"ann", "bob", "cat", "dan", "eve", "fay", "gus", "hal"}
	w.Member(c.ID, domain.RoleMember, 1, handles...)
	var wg sync.WaitGroup
	errs := make(chan error, 4*len(handles))
	for i, h := range handles {
		st := []*sqlstore.Store{a, b}[i%2]
		wg.Go(func() {
			for round := range 4 {
				to := w.ID(handles[(i+1+round)%len(handles)])
				if err := st.SetDelegation(ctx, w.ID(h), store.Scope{CommunityID: c.ID}, []int64{to}); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	info, err := a.Log(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(5 * len(handles)); info.Size != want {
		t.Fatalf("log size %d, want %d (a key and four delegations each)", info.Size, want)
	}
	if err := replayLog(t, b, c.ID, info.Size, nil); err != nil {
		t.Fatalf("the log does not replay: %v", err)
	}
	ca, err := a.LogCheckpoint(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := b.LogCheckpoint(ctx, c.ID)
	if err != nil || string(ca) != string(cb) {
		t.Fatalf("the two servers sign different checkpoints:\n%s\n%s (%v)", ca, cb, err)
	}
}
