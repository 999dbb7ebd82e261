package reliability

import (
	"context"
	"encoding/hex"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"koinon/internal/auth"
	"koinon/internal/clog"
	"koinon/internal/keyring"
	"koinon/internal/statement"
	"koinon/internal/store"
	"koinon/internal/store/sqlstore"
	"koinon/internal/store/storetest"
)

// logAudit checks a community's log after each SIGKILL as an auditor
// would: the whole log replays (every statement's signature, key and
// chain), its root is the one of a checkpoint signed with the log's key,
// and that checkpoint extends (consistency proof) the one of the previous
// check: a kill during a batched append left no torn or rewritten log.
type logAudit struct {
	last  clog.Checkpoint
	sizes []int64
}

// check reads the log through a store opened on the server's database
// and data directory (the server is down).
func (a *logAudit) check(t *testing.T, st *sqlstore.Store, dir string, c store.Community) {
	t.Helper()
	ctx := context.Background()
	keys, err := keyring.OpenLogKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	// koinon serve --addr 127.0.0.1:0 names its logs after that address.
	if err := st.EnableLogs(store.LogConfig{Base: "http://127.0.0.1:0/logs/", Keys: keys}); err != nil {
		t.Fatal(err)
	}
	info, err := st.Log(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	v, err := note.NewVerifier(info.VKey)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := st.LogCheckpoint(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	cp, _, err := clog.OpenCheckpoint(signed, info.Origin, v)
	if err != nil {
		t.Fatalf("log checkpoint: %v", err)
	}
	entries, err := st.LogEntries(ctx, c.ID, 0, cp.Size)
	if err != nil {
		t.Fatalf("log entries 0 to %d: %v", cp.Size, err)
	}
	root, size, err := clog.Replay(slices.Values(entries))
	if err != nil || size != cp.Size || root != cp.Root {
		t.Fatalf("log replay: size %d root %s (%v), checkpoint size %d root %s", size, root, err, cp.Size, cp.Root)
	}
	parsed := make([]clog.Entry, len(entries))
	for i, e := range entries {
		if parsed[i], err = clog.ParseEntry(e); err != nil {
			t.Fatalf("log entry %d: %v", i, err)
		}
	}
	if _, err := clog.CheckStatements(parsed, statement.NewState(c.Slug, nil)); err != nil {
		t.Fatalf("log statements do not replay: %v", err)
	}
	if a.last.Size > 0 {
		p, err := st.ConsistencyProof(ctx, c.ID, a.last.Size, cp.Size)
		if err != nil {
			t.Fatal(err)
		}
		if err := clog.VerifyConsistency(a.last, cp, hashes(t, p)); err != nil {
			t.Fatalf("log after the restart does not extend the log before it: %v", err)
		}
	}
	a.last = cp
	a.sizes = append(a.sizes, cp.Size)
}

// TestDurabilityKillDuringVotingPostgres is the voting half of
// TestDurabilityKillDuringVoting on PostgreSQL: clients cast and replace
// votes (group-committed in batches) while `koinon serve` is killed with
// SIGKILL; after each kill every acknowledged vote is stored as
// acknowledged and the community log verifies and extends the previous.
func TestDurabilityKillDuringVotingPostgres(t *testing.T) {
	url := storetest.FreshPostgresURL(t)
	voters, silent := size(60, 1500), size(600, 20000)
	clients, rounds := size(12, 64), size(3, 6)
	load := size(700*time.Millisecond, 4*time.Second)
	dir := t.TempDir()
	key, err := auth.LoadOrCreateKey(filepath.Join(dir, "keys", "jwt.key"))
	if err != nil {
		t.Fatal(err)
	}
	open := func() *sqlstore.Store {
		dk, err := keyring.OpenDataKey(dir)
		if err != nil {
			t.Fatal(err)
		}
		return storetest.Open(t, sqlstore.Options{URL: url, Secrets: dk})
	}
	st := open()
	if err := st.Migrate(context.Background(), storetest.Migrations(t), nil); err != nil {
		t.Fatal(err)
	}
	e := seed(t, st, auth.NewTokens(key, nil), seedOptions{Voters: voters, Silent: silent})
	st.Close()
	l, counts, audit := newLedger(), &statusCounts{}, &logAudit{}
	lost := 0
	start := time.Now()
	for range rounds {
		srv := startServer(t, dir, "--database", url)
		voteThenKill(srv, e, clients, load, l, counts)
		st := open()
		lost += l.check(t, votesOf(t, st, e.Ballot.ID), e.Voters)
		audit.check(t, st, dir, e.Community)
		st.Close()
	}
	checkAnswers(t, l, counts)
	if lost > 0 {
		t.Errorf("%d acknowledged votes lost or altered", lost)
	}
	summary(t, "PostgreSQL, %d voters (+%d silent), %d clients, %d SIGKILLs during voting; %d requests (%s); %d acknowledged votes; %d lost; the community log verified after every kill (sizes %v); %s",
		voters, silent, clients, rounds, counts.total(), counts, l.acks, lost, audit.sizes, time.Since(start).Round(time.Second))
}

// hashes decodes a proof's hex hashes.
func hashes(t *testing.T, hexes []string) tlog.TreeProof {
	t.Helper()
	p := make(tlog.TreeProof, len(hexes))
	for i, h := range hexes {
		if n, err := hex.Decode(p[i][:], []byte(h)); err != nil || n != len(p[i]) {
			t.Fatalf("proof hash %q: %v", h, err)
		}
	}
	return p
}
