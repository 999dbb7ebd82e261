package closing_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"strings"
	"testing"

	"koinon/internal/closing"
	"koinon/internal/domain"
	"koinon/internal/proof2"
	"koinon/internal/store"
	"koinon/internal/store/sqlstore"
	"koinon/internal/store/storetest"
)

// With the community logs on, a public ballot closes with a
// koinon-tally-proof/2: it verifies with the whole log replayed and
// counts what the database counted; a vote row changed behind the
// statements' back makes it fail check 6, naming the voter.
func TestProof2FromTheLog(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		keys := storetest.Logs(t, s, "https://vote.example.org/logs/")
		w := storetest.NewWorld(t, s)
		c := w.Community("commons")
		tp := w.Topic(c.ID, "infra")
		w.Member(c.ID, domain.RoleBoard, 1, "board")
		w.Member(c.ID, domain.RoleMember, 1, "ann", "bob", "cat", "dan", "eve", "fay", "gus")
		com := store.Scope{CommunityID: c.ID}
		top := store.Scope{CommunityID: c.ID, TopicID: tp.ID}
		delegate(t, w, com, "ann", "bob")
		delegate(t, w, com, "bob", "cat")
		delegate(t, w, com, "dan", "eve")
		delegate(t, w, com, "eve", "dan", "fay")
		delegate(t, w, com, "gus", "cat")
		delegate(t, w, top, "gus", "fay")

		b := ballot(t, w, c.ID, "majority", &tp.ID, []string{"yes", "no", "abstain"}, nil)
		vote(t, s, b, w.ID("cat"), `"yes"`)
		vote(t, s, b, w.ID("fay"), `"no"`)
		vote(t, s, b, w.ID("board"), `"abstain"`)
		vote(t, s, b, w.ID("board"), `"yes"`)
		got, err := closing.New(s, testSigner(), nil).Close(ctx, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		info, err := s.Log(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		entries, err := s.LogEntries(ctx, c.ID, 0, info.Size)
		if err != nil {
			t.Fatal(err)
		}
		_, vkey, _ := keys.LogSigner(info.Origin)
		rep := proof2.Verify([]byte(*got.ProofJSON), proof2.Options{PlatformKey: []byte(testSigner().key.Public().(ed25519.PublicKey)), LogKey: vkey, Log: entries})
		if !rep.OK {
			t.Fatalf("proof 2 does not verify: %+v", rep)
		}
		var res resultRows
		if err := json.Unmarshal([]byte(*got.ResultJSON), &res); err != nil {
			t.Fatal(err)
		}
		// yes: cat, ann (via bob), bob, board; no: fay, dan (via eve's backup), eve, gus (infra → fay).
		if res.Totals["yes"] != 4 || res.Totals["no"] != 4 {
			t.Errorf("totals %v, want yes 4 no 4", res.Totals)
		}

		// An operator changes a vote in the database only: the proof
		// counts it, and fails check 6 naming the voter.
		b2 := ballot(t, w, c.ID, "majority", nil, []string{"yes", "no", "abstain"}, nil)
		vote(t, s, b2, w.ID("fay"), `"no"`)
		if err := storetest.DB(t, s).Exec("UPDATE votes SET choice = ? WHERE ballot_id = ? AND citizen_id = ?", `"yes"`, b2.ID, w.ID("fay")).Error; err != nil {
			t.Fatal(err)
		}
		got, err = closing.New(s, testSigner(), nil).Close(ctx, b2.ID)
		if err != nil {
			t.Fatal(err)
		}
		rep = proof2.Verify([]byte(*got.ProofJSON), proof2.Options{LogKey: vkey})
		if n := len(rep.Checks); rep.OK || n == 0 || rep.Checks[n-1].Name != "votes" || !strings.Contains(rep.Checks[n-1].Reason, "fay") {
			t.Errorf("tampered vote: %+v", rep.Checks)
		}
	})
}
