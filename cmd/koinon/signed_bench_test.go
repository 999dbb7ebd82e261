package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"koinon"
	"koinon/internal/auth"
	"koinon/internal/keyring"
	"koinon/internal/loadtest"
	"koinon/internal/proof"
	"koinon/internal/statement"
	"koinon/internal/store"
	"koinon/internal/store/sqlstore"
	"koinon/internal/store/storetest"
	"koinon/internal/web"
	"koinon/internal/web/resultstest"
)

// TestSignedVoteThroughput measures device-signed votes over HTTP on
// SQLite (docs/benchmarks.md): KOINON_BENCH_SIGNED=N seeds N members with
// registered device keys, signs one vote each outside the timer, then 64
// clients POST them to /api/v1/communities/{slug}/statements (signature,
// key and chain check, commitment appended to the community log, receipt
// with a signed checkpoint and inclusion proof). Skipped without it.
func TestSignedVoteThroughput(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("KOINON_BENCH_SIGNED"))
	if n <= 0 {
		t.Skip("set KOINON_BENCH_SIGNED=N (voters) to run")
	}
	ctx := context.Background()
	dir := t.TempDir()
	dataKey, err := keyring.OpenDataKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlstore.Open(ctx, sqlstore.Options{SQLitePath: filepath.Join(dir, "koinon.db"), Secrets: dataKey})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx, storetest.Migrations(t), nil); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(nil)
	logKeys, err := keyring.OpenLogKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.EnableLogs(store.LogConfig{Base: "http://" + ts.Listener.Addr().String() + "/logs/", Keys: logKeys}); err != nil {
		t.Fatal(err)
	}
	tokens := auth.NewTokens([]byte("0123456789abcdef0123456789abcdef"), nil)
	srv, err := web.New(web.Deps{Store: st, Tokens: tokens, Assets: koinon.Assets, Signer: resultstest.NewSigner("bench")})
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = srv
	ts.Start()
	defer ts.Close()
	f, err := loadtest.Seed(ctx, st, loadtest.SeedOptions{Members: n})
	if err != nil {
		t.Fatal(err)
	}
	toks, err := loadtest.Tokens(tokens, f)
	if err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	bodies := make([][]byte, n)
	id := strconv.FormatInt(f.BallotID, 10)
	for i, cid := range f.CitizenIDs {
		_, key, _ := ed25519.GenerateKey(rand.Reader)
		pub := key.Public().(ed25519.PublicKey)
		sign := func(kind statement.Kind, scope, prev string, content any) *statement.Envelope {
			raw, _ := statement.Content(content)
			e, err := statement.Sign(statement.Statement{Format: statement.Format, Kind: kind, Community: f.Slug, Scope: scope,
				Content: raw, Prev: prev, At: time.Now().UTC().Format(statement.TimeLayout), Key: proof.KeyID(pub)}, key, nil, false)
			if err != nil {
				t.Fatal(err)
			}
			return e
		}
		sub := &store.Submission{Envelope: sign(statement.KeyRegister, statement.ScopeCommunity, "",
			statement.KeyContent{Citizen: f.Handles[i], PublicKey: base64.StdEncoding.EncodeToString(pub)})}
		if err := st.RecordStatement(store.WithSubmission(ctx, sub), f.CommunityID, cid); err != nil {
			t.Fatal(err)
		}
		nonce, _ := statement.NewNonce(rand.Reader)
		choice := []string{`"yes"`, `"no"`, `"abstain"`}[i%3]
		vote := sign(statement.Vote, statement.BallotScope(id), sub.Receipt.Hash, statement.VoteContent{Choice: json.RawMessage(choice)})
		bodies[i], _ = json.Marshal(map[string]any{"envelope": vote, "nonce": hex.EncodeToString(nonce)})
	}
	t.Logf("%d key registrations through the store: %v (%.0f/s)", n, time.Since(start).Round(time.Millisecond), float64(n)/time.Since(start).Seconds())

	const clients = 64
	url := ts.URL + "/api/v1/communities/" + f.Slug + "/statements"
	work := make(chan int)
	lat := make([]time.Duration, n)
	var mu sync.Mutex
	failed := 0
	var wg sync.WaitGroup
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	start = time.Now()
	for range clients {
		wg.Go(func() {
			for i := range work {
				req, _ := http.NewRequest("POST", url, bytes.NewReader(bodies[i]))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+toks[i])
				t0 := time.Now()
				res, err := hc.Do(req)
				lat[i] = time.Since(t0)
				if err == nil {
					res.Body.Close()
				}
				if err != nil || res.StatusCode != http.StatusOK {
					mu.Lock()
					failed++
					mu.Unlock()
				}
			}
		})
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(lat)
	t.Logf("%d signed votes over HTTP in %v: %.0f votes/s, p50 %v, p99 %v, max %v, %d failed",
		n, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds(), lat[n/2], lat[n*99/100], lat[n-1], failed)
	if failed > 0 {
		t.Errorf("%d votes failed", failed)
	}
}
