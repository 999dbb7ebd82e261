package notify_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"koinon/internal/domain"
	"koinon/internal/notify"
	"koinon/internal/notify/smtptest"
	"koinon/internal/store/sqlstore"
	"koinon/internal/store/storetest"
)

// texts stands in for the locales: the key and its arguments.
func texts(lang, key string, args ...any) string { return lang + ":" + key + fmt.Sprint(args...) }

// startWorker runs a worker against srv until the returned stop is called
// (stop waits for it to return).
func startWorker(st *sqlstore.Store, srv *smtptest.Server, lease time.Duration) (stop func()) {
	return startBatches(st, srv, lease, 5)
}

// startBatches is startWorker claiming batch rows ahead (0: the Worker's
// default).
func startBatches(st *sqlstore.Store, srv *smtptest.Server, lease time.Duration, batch int) (stop func()) {
	return run(newWorker(st, srv, lease, batch))
}

// newWorker is a worker sending to srv, polling every 10 ms, first retry
// after 40 ms.
func newWorker(st *sqlstore.Store, srv *smtptest.Server, lease time.Duration, batch int) *notify.Worker {
	return &notify.Worker{Store: st, SMTP: notify.SMTP{Addr: srv.Addr, From: "koinon@example.org"},
		Render: &notify.Renderer{Texts: texts, BaseURL: "http://koinon.test", From: "koinon@example.org",
			Unsub: notify.NewUnsubscriber(make([]byte, 32))},
		Conns: 4, Batch: batch, Lease: lease, Poll: 10 * time.Millisecond, Backoff: 40 * time.Millisecond}
}

// run runs w until the returned stop is called (stop waits for it).
func run(w *notify.Worker) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	return func() { cancel(); <-done }
}

// enqueue puts n citizens on a community's roll: n invitation mails.
func enqueue(t *testing.T, st *sqlstore.Store, n int) *storetest.World {
	t.Helper()
	w := storetest.NewWorld(t, st)
	c := w.Community("commons")
	for i := range n {
		h := fmt.Sprintf("c%03d", i)
		w.Citizen(h)
		if _, _, err := st.SetMembership(context.Background(), c.ID, h, domain.RoleMember, 1); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// once checks that each of n citizens got exactly one mail.
func once(t *testing.T, srv *smtptest.Server, n int) {
	t.Helper()
	got := map[string]int{}
	for _, m := range srv.Mails() {
		got[m.To]++
	}
	for i := range n {
		to := fmt.Sprintf("c%03d@example.org", i)
		if got[to] != 1 {
			t.Errorf("%s got %d mails, want 1", to, got[to])
		}
	}
}

func pending(t testing.TB, st *sqlstore.Store) int64 {
	t.Helper()
	n, err := st.OutboxPending(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A server that refuses: the mail waits with exponential backoff, the
// citizen's page can say it is delayed, and once the server accepts again
// every mail goes out exactly once.
func TestWorkerRetriesWithBackoff(t *testing.T) {
	storetest.EachMail(t, func(t *testing.T, st *sqlstore.Store) {
		world := enqueue(t, st, 1)
		srv := smtptest.Start(t)
		srv.SetMode(smtptest.Refuse)
		w := newWorker(st, srv, time.Minute, 5)
		w.Backoff = 100 * time.Millisecond
		stop := run(w)
		defer stop()
		deadline := time.Now().Add(20 * time.Second)
		for len(srv.Tries()) < 5 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		tries := srv.Tries()
		if len(tries) < 5 {
			t.Fatalf("%d attempts, want 5", len(tries))
		}
		// Attempt i comes no sooner than Backoff·2^(i-1) after the one
		// before (a loaded machine only makes it later), and the waits
		// grow: the fourth is well over twice the first.
		for i := 1; i < 5; i++ {
			if gap, want := tries[i].Sub(tries[i-1]), w.Backoff<<(i-1); gap < want*95/100 {
				t.Errorf("attempt %d came %v after the one before, want at least %v (doubling backoff)", i, gap, want)
			}
		}
		if first, fourth := tries[1].Sub(tries[0]), tries[4].Sub(tries[3]); fourth < 2*first {
			t.Errorf("the fourth wait (%v) is not well over the first (%v)", fourth, first)
		}
		delayed, err := st.MailDelayed(context.Background(), world.ID("c000"))
		if err != nil || !delayed {
			t.Errorf("MailDelayed = %v, %v; want true", delayed, err)
		}
		if len(srv.Mails()) != 0 || pending(t, st) != 1 {
			t.Fatalf("refused mail: %d accepted, %d pending", len(srv.Mails()), pending(t, st))
		}
		srv.SetMode(smtptest.Accept)
		srv.Wait(t, 1, 10*time.Second)
		// Marked within the feeder's 100 ms, or a write transaction's
		// time on a loaded machine.
		for deadline := time.Now().Add(5 * time.Second); pending(t, st) != 0 && time.Now().Before(deadline); {
			time.Sleep(20 * time.Millisecond)
		}
		once(t, srv, 1)
		if p := pending(t, st); p != 0 {
			t.Errorf("%d mails still pending", p)
		}
	})
}

// The worker dies mid-send: the SMTP server drops the connection after
// DATA without accepting, and the worker is stopped with mail claimed
// and unsent. A new worker (the restarted process) sends every mail,
// none twice: claimed rows come back when their lease ends.
func TestWorkerKilledMidSendLosesNothing(t *testing.T) {
	storetest.EachMail(t, func(t *testing.T, st *sqlstore.Store) {
		const n = 40
		enqueue(t, st, n)
		srv := smtptest.Start(t)
		srv.SetMode(smtptest.DropData)
		// Long enough that a send on a loaded machine ends inside its
		// lease (a lease that runs out mid-send lets the mail go twice).
		lease := 2 * time.Second
		stop := startWorker(st, srv, lease)
		deadline := time.Now().Add(10 * time.Second)
		for srv.Seen() < 3 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		stop()
		if srv.Seen() < 3 || len(srv.Mails()) != 0 {
			t.Fatalf("before the kill: %d DATA, %d accepted", srv.Seen(), len(srv.Mails()))
		}
		if p := pending(t, st); p != n {
			t.Fatalf("after the kill %d pending, want %d", p, n)
		}
		srv.SetMode(smtptest.Accept)
		stop = startWorker(st, srv, lease)
		defer stop()
		srv.Wait(t, n, 20*time.Second)
		time.Sleep(lease + 200*time.Millisecond)
		once(t, srv, n)
		if p := pending(t, st); p != 0 {
			t.Errorf("%d mails still pending", p)
		}
		ids := map[string]bool{}
		for _, m := range srv.Mails() {
			id := m.Header.Get("Message-ID")
			if !strings.HasPrefix(id, "<outbox-") || !strings.HasSuffix(id, "@koinon.test>") || ids[id] {
				t.Errorf("Message-ID %q: want a unique <outbox-N@koinon.test>", id)
			}
			ids[id] = true
		}
	})
}

// The worker sends over TLS — STARTTLS on a submission port, or TLS from
// the first byte (smtps) — and authenticates with AUTH PLAIN; with a
// wrong password nothing is sent and the mail waits.
func TestWorkerTLSAndAuth(t *testing.T) {
	for _, implicit := range []bool{false, true} {
		t.Run(map[bool]string{false: "starttls", true: "smtps"}[implicit], func(t *testing.T) {
			st := storetest.MailSQLite(t)
			enqueue(t, st, 3)
			srv, trust := smtptest.StartSecure(t, "koinon", "right password", implicit)
			w := newWorker(st, srv, time.Minute, 0)
			w.TLS = trust
			w.SMTP.Implicit, w.SMTP.Username, w.SMTP.Password = implicit, "koinon", "wrong password"
			stop := run(w)
			deadline := time.Now().Add(10 * time.Second)
			for len(srv.Tries()) == 0 && srv.Conns() < 2 && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			stop()
			if srv.Conns() == 0 || len(srv.Tries()) != 0 || pending(t, st) != 3 {
				t.Fatalf("wrong password: %d connections, %d MAIL commands, %d pending; want ≥ 1, 0, 3", srv.Conns(), len(srv.Tries()), pending(t, st))
			}
			w = newWorker(st, srv, time.Minute, 0)
			w.TLS = trust
			w.SMTP.Implicit, w.SMTP.Username, w.SMTP.Password = implicit, "koinon", "right password"
			w.Backoff = time.Millisecond
			defer run(w)()
			srv.Wait(t, 3, 10*time.Second)
			once(t, srv, 3)
		})
	}
}

// A graceful stop gives back the rows the worker claimed and did not
// send: a new worker sends them at once although their lease (an hour)
// has not run out, each once.
func TestWorkerStopGivesBackClaims(t *testing.T) {
	storetest.EachMail(t, func(t *testing.T, st *sqlstore.Store) {
		const n = 60
		enqueue(t, st, n)
		srv := smtptest.Start(t)
		srv.Delay = 20 * time.Millisecond
		w := newWorker(st, srv, time.Hour, n) // claims every row at once
		stop := run(w)
		srv.Wait(t, 4, 10*time.Second)
		stop()
		sent := srv.Accepted()
		var claimed int64
		if err := storetest.DB(t, st).Raw("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL AND claimed_until IS NOT NULL").Scan(&claimed).Error; err != nil {
			t.Fatal(err)
		}
		if p := pending(t, st); claimed != 0 || sent >= n || p != int64(n-sent) {
			t.Fatalf("after the stop: %d sent, %d pending, %d still claimed; want < %d, the rest, 0", sent, p, claimed, n)
		}
		defer run(newWorker(st, srv, time.Hour, 0))()
		srv.Wait(t, n, 10*time.Second)
		time.Sleep(100 * time.Millisecond)
		once(t, srv, n)
	})
}
