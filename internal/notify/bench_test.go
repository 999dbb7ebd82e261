package notify_test

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"koinon/internal/notify"
	"koinon/internal/notify/smtptest"
	"koinon/internal/store"
	"koinon/internal/store/sqlstore"
	"koinon/internal/store/storetest"
)

// seedRoll inserts a community of n members with mail addresses (set-based
// SQL, outside any timer) and returns its id.
func seedRoll(tb testing.TB, s *sqlstore.Store, n int) int64 {
	tb.Helper()
	now := time.Now().UTC().Truncate(time.Second)
	must := func(err error) {
		if err != nil {
			tb.Fatal(err)
		}
	}
	c := store.Community{Slug: "big", Name: "Big", Public: true, CreatedAt: now}
	must(storetest.DB(tb, s).Create(&c).Error)
	seq := "WITH RECURSIVE seq(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM seq WHERE x < " + strconv.Itoa(n) + ") "
	must(storetest.DB(tb, s).Exec(seq+`INSERT INTO citizens (id, handle, email, display_name, statement, password_hash, token_version, failed_logins, created_at)
		SELECT x, 'v' || x, 'v' || x || '@example.org', '', '', '', 1, 0, ? FROM seq`, now).Error)
	must(storetest.DB(tb, s).Exec(seq+`INSERT INTO memberships (community_id, citizen_id, role, weight, started_at)
		SELECT ?, x, CASE WHEN x = 1 THEN 'board' ELSE 'member' END, 1, ? FROM seq`, c.ID, now).Error)
	return c.ID
}

// BenchmarkOpenBallot100k opens a ballot for 100,000 voters with mail
// on: one notification and one outbox row per voter, written in the
// opening's transaction (target < 5 s).
//
//	go test ./internal/notify -run '^$' -bench OpenBallot100k -benchtime 3x
func BenchmarkOpenBallot100k(b *testing.B) {
	const voters = 100_000
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s := storetest.MailSQLite(b)
		cid := seedRoll(b, s, voters)
		bl := store.Ballot{CommunityID: cid, Title: "Big election", Method: "majority", Threshold: "1/2", Quorum: "0/1",
			Delegation: true, Secrecy: "public", CreatedBy: 1, ClosesAt: time.Now().Add(48 * time.Hour)}
		if err := s.CreateBallot(context.Background(), &bl, []store.BallotOption{{Key: "yes", Label: "Yes"}, {Key: "no", Label: "No"}, {Key: "abstain", Label: "Abstain"}}, nil); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		if _, err := s.OpenBallot(context.Background(), bl.ID); err != nil {
			b.Fatal(err)
		}
		elapsed := time.Since(start)
		b.StopTimer()
		if n := pending(b, s); n != voters {
			b.Fatalf("%d mails queued, want %d", n, voters)
		}
		b.ReportMetric(elapsed.Seconds(), "s/open")
	}
}

// castWorld is a public ballot of 6,000 voters where voters 1..3,000 each
// have one delegator listing them first (when delegators is set), on a
// SQLite store with mail on.
func castWorld(b *testing.B, delegators bool) (*sqlstore.Store, int64) {
	b.Helper()
	const voters, votes = 6_000, 3_000
	s := storetest.MailSQLite(b)
	cid := seedRoll(b, s, voters)
	db := storetest.DB(b, s)
	now := time.Now().UTC()
	if delegators {
		seq := "WITH RECURSIVE seq(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM seq WHERE x < " + strconv.Itoa(votes) + ") "
		if err := db.Exec(seq+"INSERT INTO delegations (id, citizen_id, community_id, scope_key, updated_at) SELECT x, x + ?, ?, 'c', ? FROM seq", votes, cid, now).Error; err != nil {
			b.Fatal(err)
		}
		if err := db.Exec(seq + "INSERT INTO delegation_delegates (delegation_id, position, delegate_id) SELECT x, 0, x FROM seq").Error; err != nil {
			b.Fatal(err)
		}
	}
	bl := store.Ballot{CommunityID: cid, Title: "Votes", Method: "majority", Threshold: "1/2", Quorum: "0/1",
		Delegation: true, Secrecy: "public", CreatedBy: 1, ClosesAt: now.Add(48 * time.Hour)}
	if err := s.CreateBallot(context.Background(), &bl, []store.BallotOption{{Key: "yes", Label: "Yes"}, {Key: "no", Label: "No"}, {Key: "abstain", Label: "Abstain"}}, nil); err != nil {
		b.Fatal(err)
	}
	if _, err := s.OpenBallot(context.Background(), bl.ID); err != nil {
		b.Fatal(err)
	}
	return s, bl.ID
}

// castVotes casts votes by citizens 1..n one after the other and returns
// the rate.
func castVotes(b *testing.B, s *sqlstore.Store, ballot int64, n int) float64 {
	b.Helper()
	start := time.Now()
	castRange(b, s, ballot, 1, n+1)
	return float64(n) / time.Since(start).Seconds()
}

// castRange casts votes by citizens from..to-1 one after the other.
func castRange(b *testing.B, s *sqlstore.Store, ballot int64, from, to int) {
	b.Helper()
	receipt := func(string, time.Time, string) (string, error) { return "r", nil }
	for v := from; v < to; v++ {
		if _, err := s.CastVote(context.Background(), store.CastRequest{BallotID: ballot, CitizenID: int64(v), Handle: "v" + strconv.Itoa(v), Choice: `"yes"`, Receipt: receipt}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCastVoteWhileDraining: vote casting (sequential votes through
// the store, SQLite) while the worker drains the ballot's 6,000 opening
// mails plus 20,000 more to an accepting SMTP server, against the same
// votes with no worker running — target ≥ 90 %. Thirty rounds of 100
// votes on one store take turns, worker off and on in the order off, on,
// on, off, off, on, on, off …, so that a change in the machine's load, and
// the votes slowing as the tables grow, meet both sides alike; the
// figures sum all rounds of all iterations. Every vote also
// enqueues a "your delegate voted" mail (each voter has a delegator). The
// SMTP server takes 2 ms per mail, as one across a network does; it runs
// in this process, on the same cores, which a real one would not. Besides
// the rates it reports the process's CPU time per vote with no worker, and
// the extra CPU time of the rounds with the worker per mail sent in them
// (the worker, the in-process SMTP server and what the votes lose to
// them).
//
//	go test ./internal/notify -run '^$' -bench CastVoteWhileDraining -benchtime 3x
func BenchmarkCastVoteWhileDraining(b *testing.B) {
	const rounds, perRound = 30, 100
	var alone, draining phase
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s, ballot := castWorld(b, true)
		seedMore(b, s, 20_000)
		srv := smtptest.Start(b)
		srv.Discard, srv.Delay = true, 2*time.Millisecond // a server over the network
		for r := range rounds {
			from := 1 + r*perRound
			cast := func() { castRange(b, s, ballot, from, from+perRound) }
			if r%4 == 0 || r%4 == 3 {
				alone.measure(srv, cast)
				continue
			}
			stop := startBatches(s, srv, time.Minute, 0)
			time.Sleep(100 * time.Millisecond) // the worker is busy
			b.StartTimer()
			draining.measure(srv, cast)
			b.StopTimer()
			stop()
		}
	}
	votes := float64(b.N * rounds / 2 * perRound)
	aloneRate, drainRate := votes/alone.wall.Seconds(), votes/draining.wall.Seconds()
	b.ReportMetric(aloneRate, "votes/s-alone")
	b.ReportMetric(drainRate, "votes/s-draining")
	b.ReportMetric(100*drainRate/aloneRate, "%-kept")
	b.ReportMetric(float64(draining.mails)/draining.wall.Seconds(), "mails/s-meanwhile")
	b.ReportMetric(1e6*alone.cpu/votes, "cpu-µs/vote-alone")
	if draining.mails > 0 {
		b.ReportMetric(1e6*(draining.cpu-alone.cpu)/float64(draining.mails), "extra-cpu-µs/mail")
	}
}

// phase sums the rounds of one side of BenchmarkCastVoteWhileDraining.
type phase struct {
	wall  time.Duration
	cpu   float64 // the process's CPU seconds
	mails int     // accepted by the SMTP server meanwhile
}

func (p *phase) measure(srv *smtptest.Server, fn func()) {
	start, cpu, mails := time.Now(), cpuSeconds(), srv.Accepted()
	fn()
	p.wall += time.Since(start)
	p.cpu += cpuSeconds() - cpu
	p.mails += srv.Accepted() - mails
}

// BenchmarkCastVoteEnqueue: what enqueueing costs a vote — 3,000 votes
// each notifying one delegator (notification and mail row), against the
// same votes where nobody delegates.
//
//	go test ./internal/notify -run '^$' -bench CastVoteEnqueue -benchtime 2x
func BenchmarkCastVoteEnqueue(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s, ballot := castWorld(b, false)
		none := castVotes(b, s, ballot, 3_000)
		s2, ballot2 := castWorld(b, true)
		b.StartTimer()
		with := castVotes(b, s2, ballot2, 3_000)
		b.StopTimer()
		b.ReportMetric(none, "votes/s-no-notification")
		b.ReportMetric(with, "votes/s-notifying")
		b.ReportMetric(100*with/none, "%-kept")
	}
}

// BenchmarkOutboxDrain sends 5,000 queued mails to an SMTP server that
// takes 2 ms per mail on each connection (at most 2,000 mails/s over 4
// connections), and compares the worker with the server's pace measured
// on this machine: a bare go-smtp client sending the same number of
// mails over 4 connections, without a database. The process's CPU time
// per mail of both (each with the in-process server's) shows what the
// worker costs beyond the SMTP exchange; mails/write-tx how many mails
// each of the worker's write transactions serves.
//
//	go test ./internal/notify -run '^$' -bench OutboxDrain -benchtime 3x
func BenchmarkOutboxDrain(b *testing.B) {
	const mails, delay, conns = 5_000, 2 * time.Millisecond, 4
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s := storetest.MailSQLite(b)
		seedOutbox(b, s, mails, 100)
		srv := smtptest.Start(b)
		srv.Delay, srv.Discard = delay, true
		b.StartTimer()
		w := newWorker(s, srv, time.Minute, 0)
		writes := &countingStore{MailStore: s}
		w.Store = writes
		start, cpu := time.Now(), cpuSeconds()
		stop := run(w)
		srv.Wait(b, mails, 5*time.Minute)
		elapsed := time.Since(start)
		stop()
		cpu = cpuSeconds() - cpu
		b.StopTimer()
		rate := float64(mails) / elapsed.Seconds()
		paceCPU := cpuSeconds()
		pace := serverPace(b, srv, mails, conns)
		paceCPU = cpuSeconds() - paceCPU
		b.ReportMetric(rate, "mails/s")
		b.ReportMetric(pace, "server-mails/s")
		b.ReportMetric(100*rate/pace, "%-of-server-pace")
		b.ReportMetric(1e6*cpu/mails, "cpu-µs/mail")
		b.ReportMetric(1e6*paceCPU/mails, "bare-client-cpu-µs/mail")
		b.ReportMetric(float64(mails)/float64(writes.n.Load()), "mails/write-tx")
	}
}

// countingStore counts the worker's write transactions.
type countingStore struct {
	notify.MailStore
	n atomic.Int64
}

func (c *countingStore) ClaimMail(ctx context.Context, sent []int64, limit int, lease time.Duration) ([]store.Mail, error) {
	c.n.Add(1)
	return c.MailStore.ClaimMail(ctx, sent, limit, lease)
}

func (c *countingStore) MarkSent(ctx context.Context, ids ...int64) error {
	c.n.Add(1)
	return c.MailStore.MarkSent(ctx, ids...)
}

func (c *countingStore) RetryMail(ctx context.Context, id int64, next time.Time, reason string) error {
	c.n.Add(1)
	return c.MailStore.RetryMail(ctx, id, next, reason)
}

// seedMore queues n more mails for the citizens already seeded.
func seedMore(tb testing.TB, s *sqlstore.Store, n int) {
	tb.Helper()
	now := time.Now().UTC().Add(-time.Minute).Truncate(time.Second)
	seq := "WITH RECURSIVE seq(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM seq WHERE x < " + strconv.Itoa(n) + ") "
	db := storetest.DB(tb, s)
	if err := db.Exec(seq+`INSERT INTO notifications (citizen_id, kind, message, event_key, params, link, created_at, visible_at)
		SELECT (x % 1000) + 1, 'invitation', 'notify.invitation', 'more:' || x, '["Big"]', '/communities/big', ?, ? FROM seq`, now, now).Error; err != nil {
		tb.Fatal(err)
	}
	if err := db.Exec(`INSERT INTO outbox (notification_id, next_at) SELECT id, created_at FROM notifications n
		WHERE NOT EXISTS (SELECT 1 FROM outbox o WHERE o.notification_id = n.id)`).Error; err != nil {
		tb.Fatal(err)
	}
}

// seedOutbox queues n mails for citizens 1..citizens (set-based SQL).
func seedOutbox(tb testing.TB, s *sqlstore.Store, n, citizens int) {
	tb.Helper()
	seedRoll(tb, s, citizens)
	now := time.Now().UTC().Add(-time.Minute).Truncate(time.Second)
	seq := "WITH RECURSIVE seq(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM seq WHERE x < " + strconv.Itoa(n) + ") "
	if err := storetest.DB(tb, s).Exec(seq+`INSERT INTO notifications (citizen_id, kind, message, event_key, params, link, created_at, visible_at)
		SELECT (x % ?) + 1, 'invitation', 'notify.invitation', 'bench:' || x, '["Big"]', '/communities/big', ?, ? FROM seq`,
		citizens, now, now).Error; err != nil {
		tb.Fatal(err)
	}
	if err := storetest.DB(tb, s).Exec(`INSERT INTO outbox (notification_id, next_at) SELECT id, created_at FROM notifications`).Error; err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkOutboxMillionRows: the worker streams a 1,000,000-row outbox
// in claimed batches for 20 s, so the process stays within 200 MiB
// (peak resident set, VmHWM, of the whole process: run it alone, as make
// bench does, or another benchmark's peak counts).
//
//	go test ./internal/notify -run '^$' -bench OutboxMillionRows -benchtime 1x
func BenchmarkOutboxMillionRows(b *testing.B) {
	const rows = 1_000_000
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s := storetest.MailSQLite(b)
		seedOutbox(b, s, rows, 1000)
		srv := smtptest.Start(b)
		srv.Discard = true
		b.StartTimer()
		start := time.Now()
		stop := startBatches(s, srv, time.Minute, 0)
		time.Sleep(20 * time.Second)
		stop()
		elapsed := time.Since(start)
		b.StopTimer()
		sent := srv.Accepted()
		hwm := peakRSS(b)
		b.ReportMetric(float64(hwm>>20), "MiB-peak-RSS")
		b.ReportMetric(float64(sent)/elapsed.Seconds(), "mails/s")
		b.ReportMetric(float64(sent), "mails-sent")
		if hwm > 200<<20 {
			b.Errorf("peak RSS %d MiB, want ≤ 200 MiB", hwm>>20)
		}
		if sent == 0 {
			b.Error("nothing sent")
		}
	}
}

// peakRSS reads the process's peak resident set (VmHWM) in bytes.
func peakRSS(t testing.TB) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status")
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	t.Skip("no VmHWM")
	return 0
}

// serverPace sends n small mails over conns bare connections and returns
// the rate the server accepted them at.
func serverPace(tb testing.TB, srv *smtptest.Server, n, conns int) float64 {
	tb.Helper()
	before := srv.Accepted()
	msg := []byte("From: a@example.org\r\nTo: b@example.org\r\nSubject: pace\r\n\r\nbody\r\n")
	start := time.Now()
	var wg sync.WaitGroup
	for range conns {
		wg.Go(func() {
			c, err := smtp.Dial(srv.Addr)
			if err != nil {
				tb.Error(err)
				return
			}
			defer c.Quit()
			for range n / conns {
				if err := c.SendMail("a@example.org", []string{"b@example.org"}, bytes.NewReader(msg)); err != nil {
					tb.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	return float64(srv.Accepted()-before) / time.Since(start).Seconds()
}
