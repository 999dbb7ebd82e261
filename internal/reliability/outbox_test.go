package reliability

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"koinon/internal/notify/smtptest"
	"koinon/internal/store/sqlstore"
	"koinon/internal/store/storetest"
)

// TestOutboxKilledMidSend: a `koinon serve` process mails a roll import's
// invitations to a real SMTP server (smtptest) that, after a few mails,
// holds every DATA read but unanswered. The process is killed with
// SIGKILL while its connections wait for the server's reply, then started
// again on the same data directory. Nothing is lost: every citizen gets
// her mail, the held ones included, once their lease has run out. SMTP
// gives at-least-once where the process dies between the server's 250 and
// the outbox's commit: those mails go again, with the Message-ID of the
// first attempt (one per outbox row), and the receiving server, which
// deduplicates by Message-ID as mail stores do, keeps one. The test
// counts the resends and checks they are within the bound the worker
// documents (MarkEvery, 100, in all). On SQLite, and on PostgreSQL when
// KOINON_TEST_POSTGRES is set.
func TestOutboxKilledMidSend(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		outboxKilledMidSend(t, dir, nil, func() *sqlstore.Store { return openSQLiteDir(t, dir) })
	})
	t.Run("postgres", func(t *testing.T) {
		url := storetest.FreshPostgresURL(t)
		outboxKilledMidSend(t, t.TempDir(), []string{"--database", url}, func() *sqlstore.Store {
			return storetest.Open(t, sqlstore.Options{URL: url})
		})
	})
}

// outboxKilledMidSend runs the test with serve's data dir and extra flags;
// open opens its database once the server is stopped.
func outboxKilledMidSend(t *testing.T, dir string, extra []string, open func() *sqlstore.Store) {
	const (
		citizens = 60
		conns    = 4
		markMax  = 100 // notify.Worker's MarkEvery default
		before   = 7   // mails the server accepts before it holds
	)
	smtp := smtptest.Start(t)
	smtp.Dedupe = true
	held := smtp.Hold(before)
	mailURL := fmt.Sprintf("smtp://%s?from=koinon@example.org&conns=%d&lease=2s", smtp.Addr, conns)
	flags := append([]string{"--smtp-url", mailURL, "--public-url", "http://vote.example.org"}, extra...)
	srv := startServer(t, dir, flags...)

	ctx := context.Background()
	api := func(method, path, token string, body any) map[string]any {
		t.Helper()
		st, data, err := do(ctx, method, srv.URL+path, token, body)
		if err != nil || st >= 300 {
			t.Fatalf("%s %s = %d %s %v", method, path, st, trimBody(data), err)
		}
		var out map[string]any
		json.Unmarshal(data, &out)
		return out
	}
	api("POST", "/api/v1/auth/register", "", map[string]string{"handle": "founder", "email": "founder@example.org", "password": "correct horse battery staple"})
	tok := api("POST", "/api/v1/auth/login", "", map[string]string{"handle": "founder", "password": "correct horse battery staple"})["token"].(string)
	api("POST", "/api/v1/communities", tok, map[string]any{"slug": "seeds", "name": "Open Seeds", "public": true})
	var csv strings.Builder
	csv.WriteString("handle,email,display_name,role,weight\n")
	for i := range citizens {
		fmt.Fprintf(&csv, "r%02d,r%02d@example.org,R %d,member,1\n", i, i, i)
	}
	req, _ := http.NewRequest("POST", srv.URL+"/api/v1/communities/seeds/roll/import", strings.NewReader(csv.String()))
	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := client.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("roll import: %v %v", err, res)
	}
	res.Body.Close()

	select {
	case <-held:
	case <-time.After(60 * time.Second):
		t.Fatalf("the server never held a DATA; %d accepted\n%s", smtp.Accepted(), srv.Log.String())
	}
	time.Sleep(300 * time.Millisecond) // the other connections reach the hold too
	srv.kill()
	acceptedBefore, seenBefore := smtp.Accepted(), smtp.Seen()
	smtp.Release() // the held mails are refused: their sender is gone
	if acceptedBefore >= citizens {
		t.Fatalf("%d of %d mails accepted before the kill: the kill did not land mid-send", acceptedBefore, citizens)
	}

	srv = startServer(t, dir, flags...)
	deadline := time.Now().Add(90 * time.Second)
	for len(smtp.Mails()) < citizens && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(2500 * time.Millisecond) // a lease more: nothing else comes
	srv.stop()

	got := map[string]int{}
	ids := map[string]bool{}
	for _, m := range smtp.Mails() {
		got[m.To]++
		ids[m.Header.Get("Message-ID")] = true
		if !strings.Contains(m.Body, "http://vote.example.org/invitations/") {
			t.Errorf("mail to %s lacks its invitation link", m.To)
		}
	}
	for i := range citizens {
		if to := fmt.Sprintf("r%02d@example.org", i); got[to] != 1 {
			t.Errorf("%s kept %d mails, want 1", to, got[to])
		}
	}
	if len(ids) != len(smtp.Mails()) {
		t.Errorf("%d Message-IDs for %d kept mails", len(ids), len(smtp.Mails()))
	}
	resent := smtp.Duplicates()
	if resent > markMax {
		t.Errorf("%d mails sent again after the kill, want at most %d (MarkEvery)", resent, markMax)
	}

	st := open()
	defer st.Close()
	var rows struct{ Total, Unsent, Secrets int64 }
	if err := storetest.DB(t, st).Raw(`SELECT COUNT(*) AS total, COALESCE(SUM(CASE WHEN sent_at IS NULL THEN 1 ELSE 0 END), 0) AS unsent,
		COALESCE(SUM(CASE WHEN secret <> '' THEN 1 ELSE 0 END), 0) AS secrets FROM outbox`).Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	if rows.Total != citizens || rows.Unsent != 0 || rows.Secrets != 0 {
		t.Errorf("outbox: %d rows, %d unsent, %d with an invitation secret; want %d, 0, 0", rows.Total, rows.Unsent, rows.Secrets, citizens)
	}
	summary(t, "%d invitation mails, %d connections; SIGKILL with %d accepted and %d DATA read (the rest held unanswered); after restart all %d delivered, %d sent again (same Message-ID, dropped by the deduplicating server); outbox 0 unsent",
		citizens, conns, acceptedBefore, seenBefore, citizens, resent)
}
