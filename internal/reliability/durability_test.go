package reliability

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"koinon/internal/auth"
	"koinon/internal/keyring"
	"koinon/internal/proof"
	"koinon/internal/proof2"
	"koinon/internal/store"
	"koinon/internal/store/sqlstore"
	"koinon/internal/store/storetest"
)

// ledger is what clients were told: per voter, the last acknowledged
// choice and, after it, the choice of a request that failed in transport
// (the server died with it in flight: it may or may not have committed).
type ledger struct {
	mu        sync.Mutex
	acked     map[string]string
	ambiguous map[string]string
	acks      int
}

func newLedger() *ledger {
	return &ledger{acked: map[string]string{}, ambiguous: map[string]string{}}
}

func (l *ledger) ack(voter, choice string) {
	l.mu.Lock()
	l.acked[voter] = choice
	delete(l.ambiguous, voter)
	l.acks++
	l.mu.Unlock()
}

func (l *ledger) lost(voter, choice string) {
	l.mu.Lock()
	l.ambiguous[voter] = choice
	l.mu.Unlock()
}

// check compares the stored votes with the ledger: every acknowledged vote
// is there with its choice unless a later in-flight request replaced it,
// and no voter has a vote nobody sent. It returns the number of lost or
// altered votes.
func (l *ledger) check(t *testing.T, stored map[string]string, voters []store.Citizen) int {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	bad := 0
	for _, v := range voters {
		h := v.Handle
		got, has := stored[h]
		acked, wasAcked := l.acked[h]
		amb, wasAmb := l.ambiguous[h]
		switch {
		case has && wasAcked && got == acked, has && wasAmb && got == amb:
		case !has && !wasAcked:
		default:
			bad++
			if bad <= 10 {
				t.Errorf("voter %s: stored %q (present %v), acknowledged %q (%v), in flight %q (%v)", h, got, has, acked, wasAcked, amb, wasAmb)
			}
		}
		if wasAmb && has && got == amb {
			// The in-flight vote committed: it is now the voter's vote.
			l.acked[h] = amb
			delete(l.ambiguous, h)
		} else if wasAmb {
			delete(l.ambiguous, h)
		}
	}
	for h := range stored {
		if !strings.HasPrefix(h, "v") {
			bad++
			t.Errorf("unexpected voter %s", h)
		}
	}
	return bad
}

// castLoad casts and replaces votes from clients concurrent clients, each
// owning a share of the voters, until ctx ends or the server dies.
func castLoad(ctx context.Context, url string, e *electorate, clients int, l *ledger, counts *statusCounts) {
	var wg sync.WaitGroup
	path := fmt.Sprintf("%s/api/v1/ballots/%d/vote", url, e.Ballot.ID)
	for c := range clients {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(c), uint64(time.Now().UnixNano())))
			var own []string
			for i, v := range e.Voters {
				if i%clients == c {
					own = append(own, v.Handle)
				}
			}
			if len(own) == 0 {
				return
			}
			for ctx.Err() == nil {
				h := own[rng.IntN(len(own))]
				choice := choices[rng.IntN(len(choices))]
				// No request context: the kill, not the client, ends requests.
				status, _, err := do(context.Background(), "PUT", path, e.Tokens[h], map[string]any{"choice": choice})
				counts.add(status)
				switch {
				case err != nil:
					l.lost(h, choice)
					return // the server is gone
				case status == 200:
					l.ack(h, choice)
				}
			}
		})
	}
	wg.Wait()
}

// voteThenKill casts votes for load, then kills the server with SIGKILL
// while requests are in flight.
func voteThenKill(srv *server, e *electorate, clients int, load time.Duration, l *ledger, counts *statusCounts) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { castLoad(ctx, srv.URL, e, clients, l, counts); close(done) }()
	time.Sleep(load)
	srv.kill()
	cancel()
	<-done
}

// checkAnswers fails the test when a request got a 5xx or no vote was
// acknowledged.
func checkAnswers(t *testing.T, l *ledger, counts *statusCounts) {
	t.Helper()
	if n := counts.serverErrors(); n > 0 {
		t.Errorf("%d responses were 5xx", n)
	}
	if l.acks == 0 {
		t.Fatal("no vote was acknowledged")
	}
}

// storedVotes reads every voter's vote through the API (200 or 404).
func storedVotes(t *testing.T, url string, e *electorate) map[string]string {
	t.Helper()
	out := map[string]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for _, v := range e.Voters {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			status, body, err := do(context.Background(), "GET", fmt.Sprintf("%s/api/v1/ballots/%d/vote", url, e.Ballot.ID), e.Tokens[v.Handle], nil)
			if err != nil || (status != 200 && status != 404) {
				t.Errorf("GET vote of %s = %d %s %v", v.Handle, status, body, err)
				return
			}
			if status == 200 {
				var m struct{ Choice string }
				if err := json.Unmarshal(body, &m); err != nil {
					t.Errorf("vote of %s: %v", v.Handle, err)
				}
				mu.Lock()
				out[v.Handle] = m.Choice
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return out
}

// seedDataDir creates a data directory with a migrated SQLite database,
// the server's token key and a seeded electorate.
func seedDataDir(t *testing.T, o seedOptions) (string, *electorate, *auth.Tokens) {
	t.Helper()
	dir := t.TempDir()
	key, err := auth.LoadOrCreateKey(filepath.Join(dir, "keys", "jwt.key"))
	if err != nil {
		t.Fatal(err)
	}
	tokens := auth.NewTokens(key, nil)
	st := openSQLiteDir(t, dir)
	if err := st.Migrate(context.Background(), storetest.Migrations(t), nil); err != nil {
		t.Fatal(err)
	}
	e := seed(t, st, tokens, o)
	st.Close()
	return dir, e, tokens
}

func openSQLiteDir(t *testing.T, dir string) *sqlstore.Store {
	t.Helper()
	key, err := keyring.OpenDataKey(dir) // the data key the binary finds there
	if err != nil {
		t.Fatal(err)
	}
	return storetest.Open(t, sqlstore.Options{SQLitePath: filepath.Join(dir, "koinon.db"), Secrets: key})
}

// TestDurabilityKillDuringVoting: clients cast and replace votes while
// the server is killed with SIGKILL, several times; after each restart
// every acknowledged vote is there with the acknowledged choice (a later
// acknowledged replacement wins) and there is nothing else. Then the
// ballot's closing time passes while the server is down and the server is
// killed again while the start-up scheduler closes it; after the last
// restart it is closed, once, and its proof verifies and holds exactly
// the acknowledged votes.
func TestDurabilityKillDuringVoting(t *testing.T) {
	voters, silent := size(60, 1500), size(3000, 60000)
	clients, rounds := size(12, 64), size(3, 6)
	load := size(700*time.Millisecond, 4*time.Second)
	dir, e, _ := seedDataDir(t, seedOptions{Voters: voters, Silent: silent})
	l := newLedger()
	counts := &statusCounts{}
	audit := &logAudit{}
	lost := 0
	start := time.Now()
	for round := range rounds {
		srv := startServer(t, dir)
		if round > 0 {
			lost += l.check(t, storedVotes(t, srv.URL, e), e.Voters)
		}
		voteThenKill(srv, e, clients, load, l, counts)
		st := openSQLiteDir(t, dir)
		audit.check(t, st, dir, e.Community)
		st.Close()
	}
	checkAnswers(t, l, counts)

	// The deadline passes while the server is down: the scheduler closes
	// the ballot at start-up. Kill it while it closes until one start
	// gets to the end.
	st := openSQLiteDir(t, dir)
	if err := storetest.DB(t, st).Model(&store.Ballot{}).Where("id = ?", e.Ballot.ID).
		Update("closes_at", time.Now().UTC().Add(-time.Second)).Error; err != nil {
		t.Fatal(err)
	}
	st.Close()
	interrupted, kills := 0, 0
	for attempt := range 12 {
		cmd := exec.Command(koinonBinary(t), "serve", "--addr", "127.0.0.1:0", "--data", dir)
		cmd.Env = cleanEnv()
		logs := &logBuffer{}
		cmd.Stderr = logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(attempt*attempt*4+rand.IntN(10)) * time.Millisecond)
		cmd.Process.Kill()
		cmd.Wait()
		kills++
		st := openSQLiteDir(t, dir)
		b, err := st.BallotByID(context.Background(), e.Ballot.ID)
		st.Close()
		if err != nil {
			t.Fatal(err)
		}
		if b.State == store.StateClosed {
			break
		}
		// Killed with the ballot still open: when the log shows the
		// server was up, the scheduler had started closing it.
		if strings.Contains(logs.String(), "koinon serving") {
			interrupted++
		}
	}
	srv := startServer(t, dir)
	deadline := time.Now().Add(60 * time.Second)
	var ballot struct{ State string }
	for time.Now().Before(deadline) {
		_, body, err := do(context.Background(), "GET", fmt.Sprintf("%s/api/v1/ballots/%d", srv.URL, e.Ballot.ID), "", nil)
		if err == nil && json.Unmarshal(body, &ballot) == nil && ballot.State == "closed" {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if ballot.State != "closed" {
		t.Fatalf("ballot not closed after restart:\n%s", srv.Log.String())
	}
	doc := fetchProof(t, srv.URL, e.Ballot.ID)
	inProof := map[string]string{}
	for _, v := range doc.Votes {
		var s string
		json.Unmarshal(v.Choice, &s)
		inProof[v.Voter] = s
	}
	lost += l.check(t, inProof, e.Voters)
	closes := strings.Count(srv.Log.String(), "ballot closed")
	srv.stop()
	if lost > 0 {
		t.Errorf("%d acknowledged votes lost or altered", lost)
	}
	summary(t, "SQLite, %d voters (+%d silent), %d clients, %d SIGKILLs during voting and %d during the start-up close (%d of them after the scheduler started, leaving the ballot open); %d requests (%s); %d acknowledged votes; %d lost; the community log verified after every kill during voting (sizes %v); closed once (%d close in the last log); proof verifies; %s",
		voters, silent, clients, rounds, kills, interrupted, counts.total(), counts, l.acks, lost, audit.sizes, closes, time.Since(start).Round(time.Second))
}

// fetchProof downloads a closed ballot's proof, checks it with
// proof2.VerifyAny against the key the server publishes, and parses it.
func fetchProof(t *testing.T, url string, ballotID int64) *proof.Document {
	t.Helper()
	status, data, err := do(context.Background(), "GET", fmt.Sprintf("%s/api/v1/ballots/%d/proof", url, ballotID), "", nil)
	if err != nil || status != 200 {
		t.Fatalf("GET proof = %d %s %v", status, trimBody(data), err)
	}
	r := proof2.VerifyAny(data, platformKey(t, url, data))
	if !r.OK {
		t.Fatalf("proof of ballot %d does not verify: %+v %s", ballotID, r.Checks, r.Error)
	}
	doc, err := proof2.Counted(data)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// platformKey is the public key /.well-known/koinon-key lists under the
// proof's key id.
func platformKey(t *testing.T, url string, proofJSON []byte) []byte {
	t.Helper()
	var p struct {
		Signer struct {
			KeyID string `json:"key_id"`
		} `json:"signer"`
	}
	json.Unmarshal(proofJSON, &p)
	_, data, err := do(context.Background(), "GET", url+"/.well-known/koinon-key", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	// The document lists keys; find the proof's by id wherever it sits.
	var anyDoc any
	json.Unmarshal(data, &anyDoc)
	var found string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if x["key_id"] == p.Signer.KeyID {
				if s, ok := x["public_key"].(string); ok {
					found = s
				}
			}
			for _, y := range x {
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	walk(anyDoc)
	if found == "" {
		t.Fatalf("key %s not published at /.well-known/koinon-key: %s", p.Signer.KeyID, data)
	}
	key, err := base64.StdEncoding.DecodeString(found)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func trimBody(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}
