// Package resultstest builds closed ballots for tests of result pages and
// exports: citizens, memberships and delegations go straight into the
// store, the ballot is opened, voted and closed through the real store and
// closing code, so its ResultJSON and ProofJSON are what production makes.
package resultstest

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"koinon/internal/closing"
	"koinon/internal/proof"
	"koinon/internal/store"
	"koinon/internal/store/sqlstore"
	"koinon/internal/store/storetest"
)

// Signer is a fixed test platform key; it satisfies web.Signer and
// closing.Signer.
type Signer struct{ Key ed25519.PrivateKey }

// NewSigner derives a key from seed (any text).
func NewSigner(seed string) Signer {
	s := sha256.Sum256([]byte(seed))
	return Signer{Key: ed25519.NewKeyFromSeed(s[:])}
}

// SigningKey returns the private key.
func (s Signer) SigningKey() ed25519.PrivateKey { return s.Key }

// KeyDocument is what /.well-known/koinon-key serves.
func (s Signer) KeyDocument() any { return proof.NewSigner(s.Key) }

// Spec describes one ballot to create, vote and close.
type Spec struct {
	Title      string
	Method     string
	Options    []string // keys; the label is the key with a capital letter
	Labels     map[string]string
	Seats      int
	STVRule    string
	Threshold  string
	Quorum     string
	Secrecy    string // public (default) or pseudonymous
	NoDelegate bool   // delegation off
	// Votes maps a handle to its choice as JSON.
	Votes map[string]string
}

// Community is a community with members, ready for ballots.
type Community struct {
	W         *storetest.World
	Community store.Community
	Board     string
}

// NewCommunity creates a community whose members are handles (weight 1
// each, weights[h] when given); the first handle is on the board.
func NewCommunity(t testing.TB, st *sqlstore.Store, slug string, public bool, handles []string, weights map[string]int64) *Community {
	t.Helper()
	w := storetest.NewWorld(t, st)
	c := w.Community(slug)
	if !public {
		if err := storetest.DB(t, st).Model(&store.Community{}).Where("id = ?", c.ID).Update("public", false).Error; err != nil {
			t.Fatal(err)
		}
		c.Public = false
	}
	for i, h := range handles {
		role := "member"
		if i == 0 {
			role = "board"
		}
		wt := int64(1)
		if x, ok := weights[h]; ok {
			wt = x
		}
		w.Member(c.ID, role, wt, h)
	}
	return &Community{W: w, Community: c, Board: handles[0]}
}

// Delegate sets handle's community-wide delegation list.
func (c *Community) Delegate(t testing.TB, handle string, delegates ...string) {
	t.Helper()
	ids := make([]int64, len(delegates))
	for i, d := range delegates {
		ids[i] = c.W.ID(d)
	}
	if err := c.W.S.SetDelegation(context.Background(), c.W.ID(handle), store.Scope{CommunityID: c.Community.ID}, ids); err != nil {
		t.Fatalf("delegate %s → %v: %v", handle, delegates, err)
	}
}

// Closed creates, opens, votes and closes one ballot and returns it as
// stored.
func (c *Community) Closed(t testing.TB, signer Signer, sp Spec) store.Ballot {
	t.Helper()
	b := c.Open(t, sp)
	closed, err := closing.New(c.W.S, signer, nil).Close(context.Background(), b.ID)
	if err != nil {
		t.Fatalf("close ballot %q: %v", sp.Title, err)
	}
	return closed
}

// Open creates and opens one ballot and casts sp.Votes, leaving it open.
func (c *Community) Open(t testing.TB, sp Spec) store.Ballot {
	t.Helper()
	ctx := context.Background()
	st := c.W.S
	b := store.Ballot{
		CommunityID: c.Community.ID, Title: sp.Title, Method: sp.Method, Seats: max(sp.Seats, 1),
		STVRule: sp.STVRule, Threshold: or(sp.Threshold, "1/2"), Strict: true, Quorum: or(sp.Quorum, "0/1"),
		Delegation: !sp.NoDelegate, Secrecy: or(sp.Secrecy, "public"), CreatedBy: c.W.ID(c.Board),
		ClosesAt: time.Now().UTC().Add(24 * time.Hour),
	}
	if sp.Method == "stv" && b.STVRule == "" {
		b.STVRule = "meek"
	}
	keys := sp.Options
	if sp.Method == "majority" {
		keys = []string{"yes", "no", "abstain"}
	}
	var opts []store.BallotOption
	for _, k := range keys {
		label := sp.Labels[k]
		if label == "" {
			label = strings.ToUpper(k[:1]) + k[1:]
		}
		opts = append(opts, store.BallotOption{Key: k, Label: label})
	}
	if err := st.CreateBallot(ctx, &b, opts, nil); err != nil {
		t.Fatalf("create ballot %q: %v", sp.Title, err)
	}
	if _, err := st.OpenBallot(ctx, b.ID); err != nil {
		t.Fatalf("open ballot %q: %v", sp.Title, err)
	}
	for h, choice := range sp.Votes {
		canon, err := proof.Canonicalize([]byte(choice))
		if err != nil {
			t.Fatalf("choice %s of %s: %v", choice, h, err)
		}
		_, err = st.CastVote(ctx, store.CastRequest{BallotID: b.ID, CitizenID: c.W.ID(h), Choice: string(canon),
			Receipt: func(voter string, at time.Time, nonce string) (string, error) {
				return proof.CastReceipt(jsonID(b.ID), voter, json.RawMessage(canon), at, nonce)
			}})
		if err != nil {
			t.Fatalf("vote of %s on %q: %v", h, sp.Title, err)
		}
	}
	out, err := st.BallotWithDocuments(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func jsonID(id int64) string {
	b, _ := json.Marshal(id)
	return string(b)
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
