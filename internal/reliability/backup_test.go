package reliability

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"koinon/internal/proof2"
	"koinon/internal/store"
	"koinon/internal/store/sqlstore"
	"koinon/internal/store/storetest"
)

// TestBackupUnderLoad: with a sealed ballot and votes being cast on a
// second one, `koinon backup FILE` (twice, mid-load) writes a consistent
// copy; `koinon restore FILE` puts it into a new data directory; a server
// started there serves every sealed proof, and each verifies with
// proof2.VerifyAny against the original platform key. Every vote acknowledged
// before the backup started is in it. The server's log holds none of the
// tokens, the JWT key or the signing key.
func TestBackupUnderLoad(t *testing.T) {
	voters, clients := size(40, 1000), size(8, 48)
	dir, e, _ := seedDataDir(t, seedOptions{Voters: voters})
	srv := startServer(t, dir)
	ctx := context.Background()
	// Seal the seeded ballot with a few votes.
	for i, v := range e.Voters[:min(10, len(e.Voters))] {
		do(ctx, "PUT", fmt.Sprintf("%s/api/v1/ballots/%d/vote", srv.URL, e.Ballot.ID), e.Tokens[v.Handle], map[string]any{"choice": choices[i%3]})
	}
	if status, body, _ := do(ctx, "POST", fmt.Sprintf("%s/api/v1/ballots/%d/close", srv.URL, e.Ballot.ID), e.Tokens["board"], nil); status != 200 {
		t.Fatalf("close = %d %s", status, trimBody(body))
	}
	sealed := fetchProof(t, srv.URL, e.Ballot.ID)
	_, proofBytes, _ := do(ctx, "GET", fmt.Sprintf("%s/api/v1/ballots/%d/proof", srv.URL, e.Ballot.ID), "", nil)
	key := platformKey(t, srv.URL, proofBytes)

	// A second ballot, open, under load while the backups run.
	status, body, _ := do(ctx, "POST", srv.URL+"/api/v1/communities/commons/ballots", e.Tokens["board"], map[string]any{
		"title": "Second", "method": "majority", "closes_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
	var b2 struct{ ID int64 }
	json.Unmarshal(body, &b2)
	if status != 201 {
		t.Fatalf("create ballot = %d %s", status, body)
	}
	if status, body, _ := do(ctx, "POST", fmt.Sprintf("%s/api/v1/ballots/%d/open", srv.URL, b2.ID), e.Tokens["board"], nil); status != 200 {
		t.Fatalf("open = %d %s", status, body)
	}
	e2 := *e
	e2.Ballot.ID = b2.ID
	l := newLedger()
	counts := &statusCounts{}
	lctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { castLoad(lctx, srv.URL, &e2, clients, l, counts) })
	var files []string
	var ackedBefore []map[string]string
	for i := range 2 {
		time.Sleep(size(300*time.Millisecond, 2*time.Second))
		l.mu.Lock()
		snap := map[string]string{}
		for k, v := range l.acked {
			snap[k] = v
		}
		l.mu.Unlock()
		file := filepath.Join(t.TempDir(), fmt.Sprintf("backup-%d.db", i))
		out := runKoinon(t, "backup", file, "--data", dir)
		if !strings.Contains(out, "integrity ok") {
			t.Errorf("backup said: %s", out)
		}
		files = append(files, file)
		ackedBefore = append(ackedBefore, snap)
	}
	cancel()
	wg.Wait()
	if n := counts.serverErrors(); n > 0 {
		t.Errorf("%d responses were 5xx during the backups", n)
	}

	for i, file := range files {
		restored := t.TempDir()
		out := runKoinon(t, "restore", file, "--data", restored)
		if !strings.Contains(out, "restored") {
			t.Errorf("restore said: %s", out)
		}
		rs := startServer(t, restored)
		// Every sealed ballot of the copy verifies against the original key.
		st := storetest.Open(t, sqlstore.Options{SQLitePath: filepath.Join(restored, "koinon.db"), ReadOnly: true})
		var closed []store.Ballot
		storetest.DB(t, st).Where("state = ?", store.StateClosed).Find(&closed)
		inCopy := votesOf(t, st, b2.ID)
		st.Close()
		if len(closed) != 1 {
			t.Errorf("backup %d: %d sealed ballots, want 1", i, len(closed))
		}
		for _, b := range closed {
			_, data, err := do(ctx, "GET", fmt.Sprintf("%s/api/v1/ballots/%d/proof", rs.URL, b.ID), "", nil)
			if err != nil {
				t.Fatal(err)
			}
			if r := proof2.VerifyAny(data, key); !r.OK {
				t.Errorf("backup %d: proof of ballot %d does not verify: %+v", i, b.ID, r.Checks)
			}
			doc, _ := proof2.Counted(data)
			if doc == nil || doc.VotesRoot != sealed.VotesRoot {
				t.Errorf("backup %d: restored proof differs from the original", i)
			}
		}
		missing := 0
		for h := range ackedBefore[i] {
			if _, ok := inCopy[h]; !ok {
				missing++
			}
		}
		if missing > 0 {
			t.Errorf("backup %d: %d votes acknowledged before it started are missing", i, missing)
		}
		rs.stop()
		summary(t, "backup %d taken under load (%d clients): %d votes of the open ballot in it, all %d acknowledged before it started present; sealed proof verifies after restore", i, clients, len(inCopy), len(ackedBefore[i]))
	}

	// Secrets stay out of the server's log.
	logs := srv.Log.String()
	jwtKeyFile, _ := os.ReadFile(filepath.Join(dir, "keys", "jwt.key"))
	secrets := map[string]string{"jwt key hex": hex.EncodeToString(jwtKeyFile), "jwt key base64": base64.StdEncoding.EncodeToString(jwtKeyFile), "board token": e.Tokens["board"]}
	if len(jwtKeyFile) > 0 {
		secrets["jwt key raw"] = string(jwtKeyFile)
	}
	filepath.WalkDir(filepath.Join(dir, "keys"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, err := os.ReadFile(p); err == nil && len(b) >= 16 {
				secrets["key file "+d.Name()] = strings.TrimSpace(string(b))
			}
		}
		return nil
	})
	for name, s := range secrets {
		if s != "" && strings.Contains(logs, s) {
			t.Errorf("the server log contains the %s", name)
		}
	}
	for _, v := range e.Voters[:3] {
		if strings.Contains(logs, e.Tokens[v.Handle]) {
			t.Errorf("the server log contains a voter's token")
		}
	}
	srv.stop()
}
