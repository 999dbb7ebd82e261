package reliability

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"koinon"
	"koinon/internal/auth"
	"koinon/internal/closing"
	"koinon/internal/metrics"
	"koinon/internal/proof"
	"koinon/internal/proof2"
	"koinon/internal/store"
	"koinon/internal/store/sqlstore"
	"koinon/internal/store/storetest"
	"koinon/internal/tally"
	"koinon/internal/web"
	"koinon/internal/web/resultstest"
)

// jwtKey is the token key of in-process servers.
var jwtKey = []byte("reliability-jwt-key-0123456789abcdef")

// app is the real server in process (httptest) over a store.
type app struct {
	TS      *httptest.Server
	Store   *sqlstore.Store
	Tokens  *auth.Tokens
	Signer  resultstest.Signer
	Log     *logBuffer
	Metrics *metrics.Metrics
}

type appOptions struct {
	Secure bool
	Now    func() time.Time
}

// pub is the platform's public key.
func (a *app) pub() []byte { return a.Signer.Key.Public().(ed25519.PublicKey) }

func newApp(t testing.TB, st *sqlstore.Store, o appOptions) *app {
	t.Helper()
	a := &app{Store: st, Tokens: auth.NewTokens(jwtKey, nil), Signer: resultstest.NewSigner("reliability"),
		Log: &logBuffer{}, Metrics: metrics.New()}
	srv, err := web.New(web.Deps{Store: st, Tokens: a.Tokens, Assets: koinon.Assets, Signer: a.Signer,
		Log:           slog.New(slog.NewJSONHandler(a.Log, &slog.HandlerOptions{Level: slog.LevelDebug})),
		SecureCookies: o.Secure, Metrics: a.Metrics, Now: o.Now})
	if err != nil {
		t.Fatal(err)
	}
	a.TS = httptest.NewServer(srv)
	t.Cleanup(a.TS.Close)
	return a
}

// TestConcurrentVotingWhileClosing: voters cast, replace and withdraw
// votes (two clients per voter, racing each other) and change their
// delegations while the board closes the ballot twice at once and a second
// closer (another instance) closes it directly. Afterwards: no response
// was 5xx or mentioned a locked database or a deadlock; no vote was
// acknowledged after a close was; the ballot was sealed once; the votes
// table equals the proof's votes (one per voter: what was frozen); the
// proof verifies; and a recount of the proof's inputs with tally.Count
// equals the stored result.
func TestConcurrentVotingWhileClosing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *sqlstore.Store) {
		voters := size(40, 400)
		clients := size(24, 96)
		before := size(600*time.Millisecond, 5*time.Second)
		a := newApp(t, st, appOptions{})
		e := seed(t, st, a.Tokens, seedOptions{Voters: voters, Delegate: true})
		base := a.TS.URL
		votePath := fmt.Sprintf("%s/api/v1/ballots/%d/vote", base, e.Ballot.ID)
		counts := &statusCounts{}
		var bad atomic.Int64
		var closedAt atomic.Int64 // unix nanos of the first acknowledged close
		var lateAcks atomic.Int64
		check := func(what string, status int, body []byte, err error) {
			counts.add(status)
			low := strings.ToLower(string(body))
			if err != nil || status >= 500 || strings.Contains(low, "locked") || strings.Contains(low, "deadlock") {
				if bad.Add(1) <= 10 {
					t.Errorf("%s = %d %s %v", what, status, trimBody(body), err)
				}
			}
		}
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for c := range clients {
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(c), 9))
				for ctx.Err() == nil {
					v := e.Voters[rng.IntN(len(e.Voters))]
					tok := e.Tokens[v.Handle]
					started := time.Now().UnixNano()
					switch r := rng.IntN(20); {
					case r < 13:
						status, body, err := do(context.Background(), "PUT", votePath, tok, map[string]any{"choice": choices[rng.IntN(3)]})
						check("PUT vote", status, body, err)
						if ca := closedAt.Load(); status == 200 && ca != 0 && started > ca {
							lateAcks.Add(1)
						}
					case r < 16:
						status, body, err := do(context.Background(), "DELETE", votePath, tok, nil)
						check("DELETE vote", status, body, err)
					default:
						var ds []string
						for range rng.IntN(3) {
							if d := e.Voters[rng.IntN(len(e.Voters))].Handle; d != v.Handle && !slices.Contains(ds, d) {
								ds = append(ds, d)
							}
						}
						req := map[string]any{"community": "commons", "delegates": ds}
						if rng.IntN(2) == 0 {
							req["ballot"] = e.Ballot.ID
						}
						status, body, err := do(context.Background(), "PUT", base+"/api/v1/delegations", tok, req)
						check("PUT delegations", status, body, err)
					}
				}
			})
		}
		time.Sleep(before)
		// Three closers at once: two board requests and another instance.
		var cw sync.WaitGroup
		for range 2 {
			cw.Go(func() {
				status, body, err := do(context.Background(), "POST", fmt.Sprintf("%s/api/v1/ballots/%d/close", base, e.Ballot.ID), e.Tokens["board"], nil)
				check("POST close", status, body, err)
				if status == 200 {
					closedAt.CompareAndSwap(0, time.Now().UnixNano())
				}
			})
		}
		cw.Go(func() {
			if _, err := closing.New(st, a.Signer, nil).Close(context.Background(), e.Ballot.ID); err != nil {
				t.Errorf("second closer: %v", err)
			}
		})
		cw.Wait()
		time.Sleep(before / 3) // traffic goes on against the closed ballot
		cancel()
		wg.Wait()

		if n := lateAcks.Load(); n > 0 {
			t.Errorf("%d votes were acknowledged after the close was", n)
		}
		b, err := st.BallotWithDocuments(context.Background(), e.Ballot.ID)
		if err != nil || b.State != store.StateClosed || b.ProofJSON == nil || b.ResultJSON == nil {
			t.Fatalf("ballot after close: %+v %v", b.State, err)
		}
		var sealed int64
		storetest.DB(t, st).Model(&store.BallotEvent{}).Where("ballot_id = ? AND kind = ?", b.ID, store.EventSealed).Count(&sealed)
		if sealed != 1 {
			t.Errorf("ballot sealed %d times, want 1", sealed)
		}
		data := []byte(*b.ProofJSON)
		if r := proof2.VerifyAny(data, a.pub()); !r.OK {
			t.Fatalf("proof does not verify: %+v", r.Checks)
		}
		doc, err := proof2.Counted(data)
		if err != nil {
			t.Fatal(err)
		}
		// Frozen: the votes left in the table are exactly the proof's.
		inProof := map[string]string{}
		for _, v := range doc.Votes {
			var s string
			json.Unmarshal(v.Choice, &s)
			if _, dup := inProof[v.Voter]; dup {
				t.Errorf("voter %s twice in the proof", v.Voter)
			}
			inProof[v.Voter] = s
		}
		if table := votesOf(t, st, b.ID); !mapsEqual(table, inProof) {
			t.Errorf("votes table and proof differ:\ntable %v\nproof %v", table, inProof)
		}
		recount(t, doc, []byte(*b.ResultJSON))
		if n := counts.serverErrors(); n > 0 {
			t.Errorf("%d responses were 5xx; server errors logged:\n%s", n, grepLines(a.Log.String(), `"level":"ERROR"`))
		}
		summary(t, "%d voters, %d clients, 3 concurrent closers; %d requests (%s); %d votes frozen; sealed once; recount equals stored result; no 5xx, no \"database is locked\", no deadlock",
			voters, clients, counts.total(), counts, len(doc.Votes))
	})
}

// recount counts the proof's inputs with tally.Count and compares the
// outcome with the stored result; it also recomputes the whole result
// bytes with proof.Tally.
func recount(t *testing.T, doc *proof.Document, stored []byte) {
	t.Helper()
	in, err := doc.Input()
	if err != nil {
		t.Fatal(err)
	}
	res, err := tally.Count(in)
	if err != nil {
		t.Fatalf("tally.Count: %v", err)
	}
	var got struct {
		Weights tally.Weights    `json:"weights"`
		Winners []string         `json:"winners"`
		Totals  map[string]int64 `json:"totals"`
		Passed  *bool            `json:"passed"`
	}
	if err := json.Unmarshal(stored, &got); err != nil {
		t.Fatal(err)
	}
	if got.Weights != res.Weights || !slices.Equal(got.Winners, res.Winners) || !mapsEqual(got.Totals, res.Totals) ||
		(got.Passed == nil) != (res.Passed == nil) || (got.Passed != nil && *got.Passed != *res.Passed) {
		t.Errorf("recount differs from the stored result:\nstored  %+v\nrecount weights %+v winners %v totals %v", got, res.Weights, res.Winners, res.Totals)
	}
	// And byte for byte: the unsealed document recomputed from the inputs.
	redo := *doc
	full, err := proof.Tally(&redo)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(redo.Result, stored) || !bytes.Contains(full, stored) {
		t.Errorf("recomputed result bytes differ from the stored result")
	}
}

func mapsEqual[K comparable, V comparable](a, b map[K]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// grepLines returns the lines of s that contain substr.
func grepLines(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
